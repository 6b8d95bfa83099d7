"""The emulator's HTTP core: a WSGI app with Stripe's request pipeline.

Order of work for each API request (after paper_tiger and Stripe's own docs):
route -> parse -> auth -> Stripe-Account -> version -> idempotency -> handler in one
SQLite transaction -> expand -> JSON. A page route (Stripe's browser side) goes
route -> parse -> handler in one SQLite transaction, with its events -> browser headers.
Every answer carries a ``Request-Id`` header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from .context import Context, connected_account
from .declared import Node, operation_at, operation_for, shadowed
from .errors import (
    AuthenticationFailed,
    IdempotencyConflict,
    InvalidRequest,
    PermissionDenied,
    StripeError,
    not_modelled_method,
)
from .expand import expand
from .faults import drop_connection
from .forms import MAX_FIELDS, decode, decode_json, decode_pairs
from .keys import read_only as read_only_key
from .keys import split as split_key_kind
from .params import validate_fields
from .registry import Route
from .versions import render

if TYPE_CHECKING:
    from . import Emulator

log = logging.getLogger("harness.emulator")
IDEMPOTENCY_TTL = 24 * 3600
# Stripe documents no request-size limit; 1 MiB is far above any real request (50 metadata
# keys of 500 characters and 100 line items stay under 100 KB) and bounds unauthenticated work.
MAX_BODY = 1 << 20
MAX_IDEMPOTENCY_KEY = 255
MAX_QUERY = 64 << 10  # a query string this long is no list filter
LOG_ENTRY = "connect_lab.log_entry"  # what the request log keeps of an API call
DROP_RESPONSE = "connect_lab.drop_response"  # environ flag set by an injected ``drop`` fault
# What the API answers the calls Stripe.js makes with a publishable key from the merchant's
# origin. Only those routes are open to other origins: a secret-key route or an emulator
# control is never readable cross-origin.
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
            merge_slashes=False,  # "/v1//charges" is an unknown URL, not a redirect
        )
        self._in_flight: set[tuple[str, str]] = set()
        self._in_flight_lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_BODY  # werkzeug's own form parsing honours these
        request.max_form_parts = MAX_FIELDS
        request.max_form_memory_size = MAX_BODY
        request_id = self.emulator.ids.request_id()
        cors = False
        try:
            self.check_size(request)
            if request.method == "OPTIONS":  # a browser's CORS preflight (Stripe.js calls)
                wanted = request.headers.get("Access-Control-Request-Method", "GET")
                cors = self.cross_origin(self.match(request, wanted.upper())[0])
                response = Response(status=200 if cors else 403)
                asked = request.headers.get("Access-Control-Request-Headers")
                if asked and cors:
                    response.headers["Access-Control-Allow-Headers"] = asked
            else:
                route, path_args = self.match(request)
                cors = self.cross_origin(route)
                response = self.dispatch(request, request_id, route, path_args)
        except StripeError as exc:
            response = json_response(exc.status, exc.body(), exc.headers)
        except HTTPException as exc:  # werkzeug's own limits, met inside a raw handler
            response = json_response(exc.code or 400, {"error": {
                "type": "invalid_request_error", "message": exc.description or exc.name}})
        except Exception:  # a bug: say so in Stripe's shape, never a bare traceback
            log.error("emulator bug on %s %s\n%s", request.method, request.path,
                      traceback.format_exc())
            response = json_response(
                500,
                {"error": {"type": "api_error", "message": "An unexpected error occurred "
                           "inside the Connect Lab emulator. This is a bug: please report it."}},
            )
        response.headers["Request-Id"] = request_id
        logged = environ.get(LOG_ENTRY)
        if logged is not None:  # an authenticated API call (not a control, page or socket)
            platform, entry = logged
            self.emulator.requests.record(platform, {**entry, "status": response.status_code})
        if cors:
            for key, value in CORS_HEADERS.items():
                response.headers.setdefault(key, value)
        if environ.get(DROP_RESPONSE):  # an injected fault: the response is lost on its way
            log.info("dropping the response to %s %s (/_emulator/faults)", request.method,
                     request.path)
            drop_connection(environ)
        return response(environ, start_response)

    # -- the pipeline -------------------------------------------------------------------------
    @staticmethod
    def cross_origin(route: Route) -> bool:
        """Open to other origins: what Stripe.js calls with a publishable key from the
        merchant's page. Never an emulator control (the 3DS answer comes from the challenge
        page, which the emulator itself serves)."""
        return route.publishable and not route.path.startswith("/_emulator/")

    @staticmethod
    def check_size(request: Request) -> None:
        """Refuse an oversized body before reading it (bounded work before authentication)."""
        length = request.content_length
        if length is not None and length > MAX_BODY:
            raise InvalidRequest(
                f"Request body too large: {length} bytes (the limit is {MAX_BODY}).",
                status=413)
        if len(request.environ.get("QUERY_STRING", "")) > MAX_QUERY:
            raise InvalidRequest(f"Request URL too long (the limit is {MAX_QUERY} characters "
                                 "of query string).", status=414)

    def match(self, request: Request, method: str | None = None) -> tuple[Route, dict]:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, path_args = adapter.match(method=method)
        except (RouteNotFound, MethodNotAllowed, RequestRedirect):
            path = request.path[:200]
            sdk = operation_at(method or request.method, request.path)
            if sdk is not None:
                raise not_modelled_method(sdk.method, sdk.path, sdk.id, sdk.docs) from None
            raise InvalidRequest(
                f"Unrecognized request URL ({request.method}: {path}). Please see "
                "https://docs.stripe.com or we can help at https://support.stripe.com/.",
                status=404,
            ) from None
        route = self.routes[endpoint]
        sdk = None if route.raw else shadowed(method or request.method, request.path,
                                              route.path, path_args)
        if sdk is not None:
            raise not_modelled_method(sdk.method, sdk.path, sdk.id, sdk.docs)
        return route, path_args

    def dispatch(self, request: Request, request_id: str, route: Route,
                 path_args: dict) -> Response:
        if route.websocket:
            return route.handler(self.emulator, request, **path_args)
        if route.page:
            return harden(self.run_page(route, request, path_args), frameable=route.frameable)

        params = self.parse(request, route)
        typed = route.v2 and request.method == "POST"  # a JSON body: typed values
        key = self.api_key(request)
        platform, kind = self.emulator.platform_for_key(key)
        key_type, bound = split_key_kind(kind)
        if key_type == "publishable" and not route.publishable:
            raise PermissionDenied(
                "This API call cannot be made with a publishable API key. "
                "Please use a secret API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys."
            )
        account = self.acting_account(request, platform, key, bound)
        if read_only_key(kind) and request.method not in ("GET", "HEAD"):
            # The docs give no wording for a write with a read_only token; this is the
            # answer Stripe gives a key without the permission an endpoint needs.
            raise PermissionDenied(
                f"The provided key '{mask_key(key)}' does not have the required permissions "
                f"for this endpoint on account '{account}': it was granted scope=read_only.")
        idem_key = request.headers.get("Idempotency-Key")
        if idem_key and len(idem_key) > MAX_IDEMPOTENCY_KEY:
            # "Idempotency keys are up to 255 characters long"
            # (https://docs.stripe.com/api/idempotent_requests; the error's wording is not
            # documented). Checked before the key is kept anywhere (log, table, controls).
            raise InvalidRequest(
                f"Invalid Idempotency-Key: it is {len(idem_key)} characters long; keys are up "
                f"to {MAX_IDEMPOTENCY_KEY} characters.", param="Idempotency-Key")
        if not route.path.startswith("/_emulator/"):
            request.environ[LOG_ENTRY] = (platform, {
                "id": request_id, "method": request.method, "path": request.path,
                "params": dict(params), "account": account if account != platform else None,
                "key_type": key_type, "idempotency_key": idem_key,
                "created": self.emulator.clock.now(platform)})
        version = request.headers.get("Stripe-Version") or self.emulator.platform_version(platform)
        self.emulator.check_version(version)
        ctx = Context(self.emulator, platform, account, version, key_type,
                      request_id=request_id, base_url=public_base(self.emulator, request),
                      idempotency_key=idem_key,
                      masked_key=mask_key(key))
        # API v2 has no expand[] (it has ``include``, a parameter of the routes that take it):
        # there ``expand`` is a parameter like any other, unknown unless a route declares it.
        expand_paths = [] if route.v2 else params.pop("expand", [])
        if isinstance(expand_paths, str):
            expand_paths = [expand_paths]
        if not isinstance(expand_paths, list) or not all(isinstance(p, str) for p in expand_paths):
            raise InvalidRequest("Invalid array", code="parameter_invalid", param="expand")
        if self.emulator.faults.check(request.method, request.path, platform):
            request.environ[DROP_RESPONSE] = True  # run and commit, then answer nothing

        headers = {"Stripe-Version": version}
        if ctx.is_connected:
            headers["Stripe-Account"] = account
        if idem_key and (request.method == "POST" or (route.v2 and request.method == "DELETE")):
            # stripe-python sends a key on every POST, and on API v2 DELETEs too
            # (_api_requestor.request_headers): both are idempotent requests.
            # Keys belong to the account the request acts as (never the raw API key: the
            # table is at rest in a --db file).
            idem = Idempotency(f"{platform}|{account}", idem_key,
                               self.fingerprint(request, params))
            self.claim(idem.scope, idem_key)  # a 409 while another request holds this key
            try:
                outcome = self.run(route, ctx, params, path_args, expand_paths, idem,
                                   typed=typed)
            finally:
                self.release(idem.scope, idem_key)
            if isinstance(outcome, Response):
                return outcome
            return json_response(200, outcome, headers)
        return json_response(200, self.run(route, ctx, params, path_args, expand_paths,
                                           typed=typed), headers)

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
        self, route: Route, ctx: Context, params: dict, path_args: dict,
        expand_paths: list[str], idem: Idempotency | None = None, *, typed: bool = False,
    ) -> Any:
        """Run the request (:meth:`run_once`), then the steps it left for after its commit
        (``Context.followups``, Stripe's "shortly after"), holding the writers' lock across
        both: no other request sees the state in between, and a notebook's next call always
        sees the steps done, so its outputs are the same on every run."""
        store = self.emulator.store
        with nullcontext() if route.own_transactions else store.exclusive():
            outcome = self.run_once(route, ctx, params, path_args, expand_paths, idem,
                                    typed=typed)
            self.emulator.follow_up(ctx)
        return outcome

    def run_once(
        self, route: Route, ctx: Context, params: dict, path_args: dict,
        expand_paths: list[str], idem: Idempotency | None = None, *, typed: bool = False,
    ) -> Any:
        """Run the handler in one transaction, with everything it causes: its events and,
        for an idempotent request, the saved response (so a crash can leave neither a
        result without its record nor a record without its result). A Stripe error rolls
        back, except a decline, which keeps its failed charge and events, as on Stripe.
        Returns the body, or the replayed Response.

        API v2 keys keep only successes. https://docs.stripe.com/api/idempotent_requests:
        "With API v2, retries don't repeat successful operations. Stripe retries failed or
        partially failed work to completion when possible and returns an updated response."
        A failed request here rolls back whole (nothing partial to finish), so its retry
        with the same key simply runs again, and a success is saved with its writes in one
        transaction, so a retry after a crash either finds it or finds nothing done. An
        error that commits what it wrote (a decline keeps its failed charge) is the one
        failure a v2 key keeps: the emulator cannot finish such work, and running it again
        would repeat its writes."""
        saves_errors = not route.v2
        store = self.emulator.store
        declined: StripeError | None = None
        try:
            # own_transactions: the handler commits in steps, so no request-wide transaction
            with nullcontext() if route.own_transactions else store.transaction():
                if idem is not None:
                    replay = self.replay(idem, ctx.now())
                    if replay is not None:
                        return replay
                try:
                    if route.params is not None:
                        params = validate_fields(route.params, params,
                                                 declared=lambda: declared_params(route),
                                                 removed=ctx.version_at_least, typed=typed)
                    result = route.handler(ctx, params, **path_args)
                    # objects are kept as the newest version has them; shown as asked
                    body = render(expand(ctx, result, expand_paths), ctx.api_version)
                except StripeError as exc:
                    exc.extra = render(exc.extra, ctx.api_version)  # a declined PI, say
                    if getattr(exc, "commit", False):  # committed by store.transaction
                        self.emulator.after_request(ctx)
                        if idem is not None and (exc.status == 402 or route.v2):
                            # work that failed after writing: on v2 too its answer is the
                            # key's, since running it again would write it twice
                            self.remember(idem, exc.status, exc.body(), ctx.now())
                    elif exc.status == 402:
                        declined = exc
                    raise
                self.emulator.after_request(ctx)
                if idem is not None:
                    self.remember(idem, 200, body, ctx.now())
            return body
        except BaseException:
            self.emulator.clock.forget()  # a rolled-back clock advance must not linger
            if declined is not None and idem is not None and saves_errors:
                # A decline that wrote nothing (say, a bad card number on PaymentMethod
                # create) is still the key's answer, as Stripe saves it: nothing ran, so
                # saving it apart cannot record an execution twice.
                with store.transaction():
                    self.remember(idem, declined.status, declined.body(), ctx.now())
            raise

    def run_page(self, route: Route, request: Request, path_args: dict) -> Response:
        """A page route: its parameters decoded as the API's are, its work in the request's
        one transaction with the events it causes. An HTTPException carrying a response is
        an answer that rolls the work back (an OAuth error, say)."""
        page = Page(self.emulator, request, self.parse(request))
        store = self.emulator.store
        try:
            with nullcontext() if route.own_transactions else store.exclusive():
                with nullcontext() if route.own_transactions else store.transaction():
                    response = route.handler(page, **path_args)
                    for ctx in page.contexts:
                        self.emulator.after_request(ctx)
                for ctx in page.contexts:
                    self.emulator.follow_up(ctx)
            return response
        except HTTPException as exc:
            self.emulator.clock.forget()
            if exc.response is None:
                raise
            return exc.response
        except BaseException:
            self.emulator.clock.forget()  # a rolled-back clock advance must not linger
            raise

    # -- pieces ------------------------------------------------------------------------------
    @staticmethod
    def parse(request: Request, route: Route | None = None) -> dict[str, Any]:
        """The request's parameters: a form body and query string on API v1 (and on pages);
        on API v2 a JSON body for POST, the query string otherwise
        (https://docs.stripe.com/api-v2-overview)."""
        pairs = list(request.args.items(multi=True))
        if route is not None and route.v2 and request.method == "POST":
            content_type = request.mimetype or ""
            raw = request.get_data(as_text=True)
            if pairs:
                raise InvalidRequest("Invalid request: API v2 POST parameters go in the JSON "
                                     "body, not the query string.")
            if not raw:
                return {}
            if content_type != "application/json":
                raise InvalidRequest(
                    "Invalid request: the body of an API v2 request must be application/json"
                    f", not {content_type or 'unspecified'}.")
            return decode_json(raw)
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

    def acting_account(self, request: Request, platform: str, key: str,
                       bound: str | None = None) -> str:
        """The account a request acts as: Stripe-Account's, or, for a key issued to one
        connected account (an OAuth access token or that account's publishable key), that
        account (https://docs.stripe.com/connect/oauth-reference)."""
        wanted = request.headers.get("Stripe-Account")
        if bound is not None:
            if wanted and wanted != bound or connected_account(
                    self.emulator.store, platform, bound) is None:
                raise PermissionDenied(
                    f"The provided key '{mask_key(key)}' does not have access to account "
                    f"'{wanted or bound}' (or that account does not exist). Application access "
                    "may have been revoked.", code="account_invalid")
            return bound
        if not wanted or wanted == platform:
            return platform
        if connected_account(self.emulator.store, platform, wanted) is None:
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

    def replay(self, idem: Idempotency, now: int) -> Response | None:
        store, scope, key = self.emulator.store, idem.scope, idem.key
        row = store.execute(
            "SELECT fingerprint, status, body, created FROM idempotency WHERE scope=? AND key=?",
            (scope, key),
        ).fetchone()
        if row is None:
            return None
        if now - row["created"] > IDEMPOTENCY_TTL:
            store.execute("DELETE FROM idempotency WHERE scope=? AND key=?", (scope, key))
            return None
        if row["fingerprint"] != idem.fingerprint:
            raise IdempotencyConflict(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        return json_response(
            row["status"], json.loads(row["body"]), {"Idempotent-Replayed": "true"}
        )

    def remember(self, idem: Idempotency, status: int, body: dict, now: int) -> None:
        self.emulator.store.execute(
            "INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, created)"
            " VALUES (?,?,?,?,?,?)",
            (idem.scope, idem.key, idem.fingerprint, status, json.dumps(body), now),
        )


def public_base(emulator: Emulator, request: Request) -> str:
    """The base of the URLs an answer gives browsers: the configured public address
    (``Settings.public_url``), else the one this request came to."""
    return (emulator.settings.public_url or request.host_url).rstrip("/")


def declared_params(route: Route) -> Node | None:
    """What stripe-python 16 declares for the method ``route`` serves (None for a route only
    the emulator has)."""
    op = operation_for(route.method, route.path, route.sdk)
    return op.params if op is not None else None


@dataclass
class Page:
    """What a page route's handler gets: the emulator, the request (headers, client address,
    path) and its parameters, query and form body decoded as the API decodes them. Work done
    for a platform goes through :meth:`context`, whose signals become events when the
    handler returns."""

    emulator: Emulator
    request: Request
    params: dict[str, Any]
    contexts: list[Context] = field(default_factory=list)

    def context(self, platform: str, account: str | None = None) -> Context:
        """A Context for work the page does on behalf of ``platform``."""
        ctx = Context(self.emulator, platform, account or platform,
                      self.emulator.platform_version(platform),
                      base_url=public_base(self.emulator, self.request))
        self.contexts.append(ctx)
        return ctx

    def text(self, name: str) -> str:
        """A parameter that must be a string ("" when absent or not a string)."""
        value = self.params.get(name)
        return value if isinstance(value, str) else ""


def harden(response: Any, *, frameable: bool = False) -> Any:
    """The headers every page of Stripe's browser side sends, set here in one place.

    * no framing (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``), so no other
      site can overlay a hosted form (clickjacking), except for the pages Stripe.js itself
      puts in an iframe on the merchant's page (the card inputs, the 3D Secure challenge);
    * ``nosniff``, so an answer is only ever read as the type it says it is;
    * ``Referrer-Policy: no-referrer``: onboarding and dashboard paths carry single-use
      tokens, which must not leak to the next site in a ``Referer`` header.
    """
    if not isinstance(response, Response):
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not frameable:
        headers["X-Frame-Options"] = "DENY"
        policy = headers.get("Content-Security-Policy")
        if not policy or "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = "; ".join(
                p for p in (policy, "frame-ancestors 'none'") if p)
    return response


@dataclass(frozen=True)
class Idempotency:
    """One idempotent request: whose key it is, the key, and what was asked."""

    scope: str
    key: str
    fingerprint: str
