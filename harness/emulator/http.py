"""The emulator's HTTP layer: a WSGI app with Stripe's request pipeline.

Order of work for each request (after paper_tiger and Stripe's own docs):
route -> parse -> auth -> Stripe-Account -> version -> idempotency -> handler in one
SQLite transaction -> expand -> JSON. Every answer carries a ``Request-Id`` header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import traceback
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .context import Context
from .errors import (
    AuthenticationFailed,
    IdempotencyConflict,
    InvalidRequest,
    PermissionDenied,
    StripeError,
)
from .expand import expand
from .faults import drop_connection
from .forms import decode, decode_pairs
from .params import validate_fields
from .registry import Route

if TYPE_CHECKING:
    from . import Emulator

log = logging.getLogger("harness.emulator")
IDEMPOTENCY_TTL = 24 * 3600
DROP_RESPONSE = "connect_lab.drop_response"  # environ flag set by an injected ``drop`` fault
# What api.stripe.com answers every request with, so Stripe.js on another origin may call it.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, HEAD, PUT, PATCH, POST, DELETE",
    "Access-Control-Expose-Headers": "Request-Id, Stripe-Manage-Version, Stripe-Should-Retry, "
                                     "X-Stripe-External-Auth-Required, "
                                     "X-Stripe-Privileged-Session-Required",
    "Access-Control-Max-Age": "300",
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body, indent=2), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def mask_key(key: str) -> str:
    """Stripe's masking: the first 8 and last 4 characters, stars between, same length."""
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


class HttpLayer:
    """Turns HTTP into calls on resource handlers, and Stripe errors back into HTTP."""

    def __init__(self, emulator: Emulator, routes: list[Route]) -> None:
        self.emulator = emulator
        self.routes = routes
        self.url_map = Map(
            [Rule(r.path, methods=[r.method], endpoint=i, websocket=r.websocket)
             for i, r in enumerate(routes)],
            strict_slashes=False,
        )
        self._in_flight: set[tuple[str, str]] = set()
        self._in_flight_lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        request_id = self.emulator.ids.request_id()
        try:
            if request.method == "OPTIONS":  # a browser's CORS preflight (Stripe.js calls)
                response = Response(status=200)
                asked = request.headers.get("Access-Control-Request-Headers")
                if asked:
                    response.headers["Access-Control-Allow-Headers"] = asked
            else:
                response = self.dispatch(request, request_id)
        except StripeError as exc:
            response = json_response(exc.status, exc.body(), exc.headers)
        except Exception:  # a bug: say so in Stripe's shape, never a bare traceback
            log.error("emulator bug on %s %s\n%s", request.method, request.path,
                      traceback.format_exc())
            response = json_response(
                500,
                {"error": {"type": "api_error", "message": "An unexpected error occurred "
                           "inside the Connect Lab emulator. This is a bug: please report it."}},
            )
        response.headers["Request-Id"] = request_id
        for key, value in CORS_HEADERS.items():
            response.headers.setdefault(key, value)
        if environ.get(DROP_RESPONSE):  # an injected fault: the response is lost on its way
            log.info("dropping the response to %s %s (/_emulator/faults)", request.method,
                     request.path)
            drop_connection(environ)
        return response(environ, start_response)

    # -- the pipeline -------------------------------------------------------------------------
    def dispatch(self, request: Request, request_id: str = "") -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, path_args = adapter.match()
        except (RouteNotFound, MethodNotAllowed):
            raise InvalidRequest(
                f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                "https://docs.stripe.com or we can help at https://support.stripe.com/.",
                status=404,
            ) from None
        route = self.routes[endpoint]
        if route.raw:
            return route.handler(self.emulator, request, **path_args)

        params = self.parse(request)
        key = self.api_key(request)
        platform, key_type = self.emulator.platform_for_key(key)
        if key_type == "publishable" and not route.publishable:
            raise PermissionDenied(
                "This API call cannot be made with a publishable API key. "
                "Please use a secret API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys."
            )
        account = self.acting_account(request, platform, key)
        version = request.headers.get("Stripe-Version") or self.emulator.platform_version(platform)
        self.emulator.check_version(version)
        ctx = Context(self.emulator, platform, account, version, key_type,
                      request_id=request_id, base_url=request.host_url.rstrip("/"),
                      idempotency_key=request.headers.get("Idempotency-Key"))
        expand_paths = params.pop("expand", [])
        if isinstance(expand_paths, str):
            expand_paths = [expand_paths]
        if not isinstance(expand_paths, list) or not all(isinstance(p, str) for p in expand_paths):
            raise InvalidRequest("Invalid array", code="parameter_invalid", param="expand")
        if self.emulator.faults.check(request.method, request.path, platform):
            request.environ[DROP_RESPONSE] = True  # run and commit, then answer nothing

        idem_key = request.headers.get("Idempotency-Key")
        scope = f"{key}|{account}"
        fingerprint = self.fingerprint(request, params)
        if request.method == "POST" and idem_key:
            self.claim(scope, idem_key)  # a 409 while another request holds this key
            try:
                replay = self.replay(scope, idem_key, fingerprint, ctx.now())
                if replay is not None:
                    return replay
                status, body = self.run_and_remember(route, ctx, params, path_args,
                                                     expand_paths, scope, idem_key, fingerprint)
            finally:
                self.release(scope, idem_key)
        else:
            status, body = self.run(route, ctx, params, path_args, expand_paths)
        headers = {"Stripe-Version": version}
        if ctx.is_connected:
            headers["Stripe-Account"] = account
        return json_response(status, body, headers)

    def run_and_remember(
        self, route: Route, ctx: Context, params: dict, path_args: dict, expand_paths: list[str],
        scope: str, idem_key: str, fingerprint: str,
    ) -> tuple[int, dict[str, Any]]:
        try:
            status, body = self.run(route, ctx, params, path_args, expand_paths)
        except StripeError as exc:
            if exc.status == 402:
                self.remember(scope, idem_key, fingerprint, exc.status, exc.body(), ctx.now())
            raise
        if status < 400 or status == 402:
            self.remember(scope, idem_key, fingerprint, status, body, ctx.now())
        return status, body

    def claim(self, scope: str, key: str) -> None:
        """One request per Idempotency-Key at a time, as on Stripe: a second one that arrives
        while the first still runs gets a 409 (which stripe-python retries; by then the first
        has saved its result, and the retry replays it)."""
        with self._in_flight_lock:
            if (scope, key) in self._in_flight:
                raise IdempotencyConflict(
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    f"going through): {key}. Please try again later.",
                    code="idempotency_key_in_use", status=409,
                )
            self._in_flight.add((scope, key))

    def release(self, scope: str, key: str) -> None:
        with self._in_flight_lock:
            self._in_flight.discard((scope, key))

    def run(
        self, route: Route, ctx: Context, params: dict, path_args: dict, expand_paths: list[str]
    ) -> tuple[int, dict[str, Any]]:
        """Run the handler in one transaction; a Stripe error rolls it back (a decline keeps
        its failed charge, as on Stripe)."""
        store = self.emulator.store
        try:
            # own_transactions: the handler commits in steps, so no request-wide transaction
            with nullcontext() if route.own_transactions else store.transaction():
                if route.params is not None:
                    params = validate_fields(route.params, params)
                result = route.handler(ctx, params, **path_args)
                body = expand(ctx, result, expand_paths)
                self.emulator.after_request(ctx)
            return 200, body
        except BaseException as exc:
            self.emulator.clock.forget()  # a rolled-back clock advance must not linger
            if not isinstance(exc, StripeError):
                raise
            if getattr(exc, "commit", False):
                with store.transaction():
                    self.emulator.after_request(ctx)
            raise

    # -- pieces ------------------------------------------------------------------------------
    @staticmethod
    def parse(request: Request) -> dict[str, Any]:
        pairs = list(request.args.items(multi=True))
        if request.method == "POST":
            content_type = request.mimetype or ""
            raw = request.get_data(as_text=True)
            if raw and content_type not in ("", "application/x-www-form-urlencoded"):
                raise InvalidRequest(
                    "Invalid request: the body must be application/x-www-form-urlencoded, "
                    f"not {content_type}."
                )
            merged = decode(raw) if raw else {}
            if pairs:
                query = decode_pairs(pairs)
                query.update(merged)
                merged = query
            return merged
        return decode_pairs(pairs)

    @staticmethod
    def api_key(request: Request) -> str:
        header = request.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header[7:].strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except Exception:
                key = ""
        if not key:
            raise AuthenticationFailed(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/."
            )
        return key

    def acting_account(self, request: Request, platform: str, key: str) -> str:
        wanted = request.headers.get("Stripe-Account")
        if not wanted or wanted == platform:
            return platform
        owner = self.emulator.store.get(wanted)
        if owner is None or owner[0] != platform or not wanted.startswith("acct_"):
            raise PermissionDenied(
                f"The provided key '{mask_key(key)}' does not have access to account "
                f"'{wanted}' (or that account does not exist). Application access may have "
                "been revoked.",
                code="account_invalid",
            )
        return wanted

    @staticmethod
    def fingerprint(request: Request, params: dict) -> str:
        payload = json.dumps([request.method, request.path, params], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def replay(self, scope: str, key: str, fingerprint: str, now: int) -> Response | None:
        store = self.emulator.store
        row = store.execute(
            "SELECT fingerprint, status, body, created FROM idempotency WHERE scope=? AND key=?",
            (scope, key),
        ).fetchone()
        if row is None:
            return None
        if now - row["created"] > IDEMPOTENCY_TTL:
            store.execute("DELETE FROM idempotency WHERE scope=? AND key=?", (scope, key))
            return None
        if row["fingerprint"] != fingerprint:
            raise IdempotencyConflict(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        return json_response(
            row["status"], json.loads(row["body"]), {"Idempotent-Replayed": "true"}
        )

    def remember(
        self, scope: str, key: str, fingerprint: str, status: int, body: dict, now: int
    ) -> None:
        self.emulator.store.execute(
            "INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, created)"
            " VALUES (?,?,?,?,?,?)",
            (scope, key, fingerprint, status, json.dumps(body), now),
        )
