"""``stripe listen``: the Stripe CLI's session API and its websocket, so the real CLI can
forward the emulator's events to a local webhook handler, offline.

The protocol, as the CLI speaks it (github:stripe/stripe-cli ``pkg/stripeauth``,
``pkg/websocket``, ``pkg/proxy``):

1. ``POST /v1/stripecli/sessions`` (form-encoded, the platform's secret key) with
   ``device_name``, ``websocket_features[]`` and the ``forward_*_url`` the CLI will post to.
   The answer carries ``websocket_id``, ``websocket_url``, ``websocket_authorized_feature``,
   ``secret`` (the ``whsec_`` the CLI prints and signs with), ``reconnect_delay``,
   ``display_connect_filter_warning``, ``default_version`` and ``latest_version``.
2. The CLI dials ``websocket_url?websocket_feature=…`` with a ``Websocket-Id`` header and the
   subprotocol ``stripecli-devproxy-v1``, pings every few seconds and reconnects every
   ``reconnect_delay`` seconds. An unknown ID is answered ``Unknown WebSocket ID.`` so the
   CLI opens a new session.
3. Every event of the platform and of its connected accounts is sent as a ``webhook_event``
   message: ``event_payload`` (the Event's JSON), ``http_headers`` (with a
   ``Stripe-Signature`` made with the session's secret), ``webhook_id``,
   ``webhook_conversation_id`` and ``endpoint.api_version``. ``null`` means "the account's
   default version"; a copy rendered at the latest version is sent too when that differs,
   and the CLI keeps exactly one of the two (``--latest`` picks the second).
4. The CLI itself decides where to post: events with ``account`` set (Connect events) go to
   ``--forward-connect-to`` (default: ``--forward-to``), the others to ``--forward-to``; it
   filters ``--events`` locally. It answers ``event_ack``, then ``webhook_response`` with
   the endpoint's status and body; those are kept for ``GET /_emulator/stripecli/responses``.
5. Thin events (websocket feature ``v2_events``, asked for by ``--all-thin`` or a thin type
   in ``--events``; CLI 1.52 ``pkg/cmd/listen.go``) come as ``v2_event`` messages:
   ``payload`` (the notification's JSON), ``http_headers`` (signed with the same session
   secret) and ``destination_id``. The CLI acks them with ``event_ack`` (``event_id``,
   ``webhook_id`` = the destination ID), posts them to the same ``--forward-to`` URL
   (``--forward-connect-to`` when ``context`` is set) and answers ``webhook_response``.
   One session may carry both features: ``websocket_authorized_feature`` lists them
   comma-separated, and the CLI dials with that list.

CLI sessions are not webhook endpoints: they do not count in an Event's
``pending_webhooks``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from .context import Context
from .errors import InvalidRequest, PermissionDenied
from .params import Int, ListOf, Str, validate_fields
from .pipeline import HttpLayer, Page, json_response
from .registry import on_reset, on_start, on_stop, route
from .resources import thin_events
from .resources.events import subscribers
from .resources.webhook_endpoints import rendering, sign
from .settings import SDK_API_VERSION

SUBPROTOCOL = "stripecli-devproxy-v1"
SNAPSHOT = "webhooks"  # v1 snapshot Events
THIN = "v2_events"  # thin events (API v2 notifications)
FEATURES = (SNAPSHOT, THIN)
RECONNECT_DELAY = 60  # seconds between the CLI's connection resets (its own default too)
UNKNOWN_ID = "Unknown WebSocket ID."
IDLE_SESSION_SECONDS = 3600  # sessions nobody connected to for this long are forgotten
MAX_RESPONSES = 1000  # webhook_response messages kept per platform
MAX_OUTBOX = 1000  # events kept for a session whose CLI is away (the newest win)
POLL_SECONDS = 0.05

SESSION_PARAMS = {
    "device_name": Str(),
    "websocket_features": ListOf(item=Str()),
    "filters": Str(),
    "forward_to_url": Str(),
    "forward_connect_to_url": Str(),
    "forward_thin_to_url": Str(),
    "forward_thin_connect_to_url": Str(),
}


@dataclass
class Session:
    id: str
    platform: str
    secret: str
    features: tuple[str, ...]
    device_name: str
    forward_to_url: str | None
    forward_connect_to_url: str | None
    created: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    connections: int = 0
    # the "destination" the session's thin events come from (the CLI acks with it)
    destination_id: str = field(default_factory=lambda: "ed_cli_" + secrets.token_hex(12))
    # (ack key, message) not yet sent; sent ones wait for the CLI's event_ack
    outbox: deque = field(default_factory=lambda: deque(maxlen=MAX_OUTBOX))


class Hub:
    """The live CLI sessions of one emulator, their outboxes and the responses they sent."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.responses: dict[str, deque] = {}
        self.stopping = threading.Event()

    def _prune(self) -> None:
        now = time.time()
        for key, old in list(self.sessions.items()):
            if old.connections == 0 and now - old.last_seen > IDLE_SESSION_SECONDS:
                del self.sessions[key]

    def add(self, session: Session) -> None:
        with self.lock:
            self._prune()
            self.sessions[session.id] = session

    def get(self, websocket_id: str) -> Session | None:
        with self.lock:
            return self.sessions.get(websocket_id)

    def for_platform(self, platform: str) -> list[Session]:
        with self.lock:
            self._prune()
            return [s for s in self.sessions.values() if s.platform == platform]

    def record(self, session: Session, message: dict[str, Any]) -> None:
        # The clock reads the store: never while holding self.lock (a request holds the
        # store's lock while it pushes events here).
        try:
            now = self.emulator.clock.now(session.platform)
        except Exception:  # the store is closing with the emulator
            now = int(time.time())
        row = _response_row(session, message, now)
        with self.lock:
            log = self.responses.setdefault(session.platform, deque(maxlen=MAX_RESPONSES))
            log.append(row)


def _hub(emulator: Any) -> Hub:
    return emulator.workers["stripecli"]


def _session_secret(api_key: str, device_name: str) -> str:
    """Stable per key and device, as the real CLI's secret is stable between runs (and
    across emulator restarts); derived, not drawn from the seeded ID stream, so a background
    ``stripe listen`` never shifts a notebook's deterministic IDs."""
    mac = hmac.new(api_key.encode(), f"stripecli|{device_name}".encode(), hashlib.sha256)
    return "whsec_" + mac.hexdigest()


# -- 1. the session API ---------------------------------------------------------------------
@route("POST", "/v1/stripecli/sessions", page=True)
def create_session(page: Page) -> Response:
    emulator, request = page.emulator, page.request
    key = HttpLayer.api_key(request)
    platform, key_type = emulator.platform_for_key(key)
    if key_type != "secret":
        raise PermissionDenied(
            "This API call cannot be made with a publishable API key. Please use a secret API "
            "key. You can find a list of your API keys at https://dashboard.stripe.com/account/"
            "apikeys.")
    params = validate_fields(SESSION_PARAMS, page.params)
    asked = params.get("websocket_features") or []
    features = tuple(f for f in FEATURES if f in asked)
    if not features:
        raise InvalidRequest(
            "websocket_features must include webhooks (snapshot events) or v2_events (thin "
            "events), as stripe listen sends them.", param="websocket_features")
    device = params.get("device_name") or "unknown"
    session = Session(
        id="cliws_" + secrets.token_hex(16), platform=platform,
        secret=_session_secret(key, device), features=features, device_name=device,
        forward_to_url=params.get("forward_to_url"),
        forward_connect_to_url=params.get("forward_connect_to_url"),
    )
    _hub(emulator).add(session)
    return json_response(200, {
        "websocket_id": session.id,
        "websocket_url": f"ws://{request.host}/subscribe/{platform}",
        "websocket_authorized_feature": ",".join(session.features),
        "secret": session.secret,
        "reconnect_delay": RECONNECT_DELAY,
        "display_connect_filter_warning": False,
        "default_version": emulator.platform_version(platform),
        "latest_version": SDK_API_VERSION,
    })


# -- 2. the websocket -----------------------------------------------------------------------
class _LockedSocket:
    """The connection's socket with whole, serialised writes: the websocket's reader thread
    answers pings while the handler thread sends events."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def send(self, data: bytes) -> int:
        with self._lock:
            self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DaemonThread(threading.Thread):
    """The websocket's reader thread must not keep a kernel or test run alive on exit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, daemon=True, **kwargs)


class _Hijacked(Response):
    """What the WSGI server gets once the websocket is over: the connection is no longer
    HTTP, so werkzeug must write nothing more on it (it treats ConnectionError as a client
    that went away)."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        raise ConnectionError("websocket closed")


def _refuse(status: int, message: str) -> Response:
    return json_response(status, {"error": {"type": "invalid_request_error",
                                            "message": message}})


@route("GET", "/subscribe/<platform>", websocket=True)
def subscribe(emulator: Any, request: Request, platform: str) -> Response:
    """The websocket upgrade (its URL rule is marked as a websocket rule in ``start_hub``)."""
    hub = _hub(emulator)
    session = hub.get(request.headers.get("Websocket-Id", ""))
    if session is None or session.platform != platform:
        return _refuse(400, UNKNOWN_ID)
    wanted = {f for f in request.args.get("websocket_feature", "").split(",") if f}
    if not wanted or not wanted <= set(session.features):
        return _refuse(400, "This session is authorized for "
                            f"'{','.join(session.features)}' only.")
    if request.headers.get("Upgrade", "").lower() != "websocket" or \
            "werkzeug.socket" not in request.environ:
        return _refuse(400, "Expected a websocket upgrade.")

    from simple_websocket import ConnectionClosed, Server

    environ = dict(request.environ)
    environ["werkzeug.socket"] = _LockedSocket(environ["werkzeug.socket"])
    try:
        ws = Server.accept(environ, subprotocols=[SUBPROTOCOL], thread_class=_DaemonThread)
    except Exception:  # a malformed handshake (no Sec-WebSocket-Key, bad version, …)
        return _refuse(400, "Invalid websocket handshake.")
    with hub.lock:
        session.connections += 1
        session.last_seen = time.time()
    try:
        _pump(hub, session, ws, ConnectionClosed)
    finally:
        with hub.lock:
            session.connections -= 1
            session.last_seen = time.time()
        if ws.connected:
            try:
                ws.close(1001, "Connect Lab emulator stopping")
            except Exception:
                pass
    return _Hijacked()


@route("GET", "/subscribe/<platform>", page=True)
def subscribe_plain(page: Page, platform: str) -> Response:
    """The same URL without an upgrade: a clear 400, not a routing error."""
    return _refuse(400, "Expected a websocket upgrade.")


def _pump(hub: Hub, session: Session, ws: Any, closed: type[Exception]) -> None:
    """Send the session's queued events; read the CLI's acks and responses. Events sent on
    this connection but not acknowledged when it ends (the CLI resets its connection every
    ``reconnect_delay``) go back to the front of the outbox: delivery is at least once."""
    unacked: dict[str, str] = {}
    try:
        while ws.connected and not hub.stopping.is_set():
            while True:
                with hub.lock:
                    if not session.outbox:
                        break
                    ack_key, message = session.outbox.popleft()
                unacked[ack_key] = message
                ws.send(message)
            data = ws.receive(timeout=POLL_SECONDS)
            if data is None:
                continue
            session.last_seen = time.time()
            try:
                message = json.loads(data)
            except (TypeError, ValueError):
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "event_ack":
                unacked.pop(_ack_key(message.get("webhook_id"), message.get("event_id")),
                            None)
            elif message.get("type") == "webhook_response":
                hub.record(session, message)
    except (closed, OSError):  # the CLI went away mid-send
        pass
    finally:
        with hub.lock:
            session.outbox.extendleft(reversed(list(unacked.items())))


# -- 3. events into sessions ----------------------------------------------------------------
def _ack_key(webhook_id: Any, event_id: Any) -> str:
    """What an ``event_ack`` names: the message's webhook (for a thin event, the session's
    destination) and the event."""
    return f"{webhook_id}|{event_id}"


def _sessions(ctx: Context, platform: str, feature: str) -> tuple[Hub | None, list[Session]]:
    hub = ctx.emulator.workers.get("stripecli")
    if hub is None:
        return None, []
    return hub, [s for s in hub.for_platform(platform) if feature in s.features]


def push(ctx: Context, event: dict[str, Any], platform: str) -> int:
    """Queue ``event`` for every ``stripe listen`` session of ``platform`` that asked for
    snapshot events."""
    hub, sessions = _sessions(ctx, platform, SNAPSHOT)
    if hub is None or not sessions:
        return 0
    # The endpoint a CLI session stands for has no api_version: the account's default (the
    # event's own). The CLI drops a rendering whose api_version is set and not that default
    # unless run with --latest, so the latest one goes as a second, alternative rendering.
    renderings: list[tuple[str | None, str]] = [
        (None, json.dumps(rendering(event, None), indent=2))]
    if event.get("api_version") and event["api_version"] != SDK_API_VERSION:
        latest = rendering(event, SDK_API_VERSION)
        renderings.append((SDK_API_VERSION, json.dumps(latest, indent=2)))
    for session in sessions:
        for api_version, payload in renderings:
            webhook_id = "wh_" + secrets.token_hex(12)
            message = json.dumps({
                "type": "webhook_event",
                "webhook_id": webhook_id,
                "webhook_conversation_id": "wc_" + secrets.token_hex(12),
                "event_payload": payload,
                "http_headers": {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(payload, session.secret),
                },
                "endpoint": {"api_version": api_version},
            })
            with hub.lock:
                session.outbox.append((_ack_key(webhook_id, event["id"]), message))
    return 0  # CLI sessions are not webhook endpoints (see the module docstring)


subscribers.append(push)


def push_thin(ctx: Context, event: dict[str, Any], platform: str) -> None:
    """Queue a thin event's notification for every session that asked for thin events."""
    hub, sessions = _sessions(ctx, platform, THIN)
    if hub is None or not sessions:
        return
    payload = json.dumps(thin_events.notification(event), indent=2)
    for session in sessions:
        message = json.dumps({
            "type": "v2_event",
            "payload": payload,
            "http_headers": {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, session.secret),
            },
            "destination_id": session.destination_id,
        })
        with hub.lock:
            session.outbox.append((_ack_key(session.destination_id, event["id"]), message))


thin_events.subscribers.append(push_thin)


# -- 4. what the CLI answered ---------------------------------------------------------------
def _response_row(session: Session, message: dict[str, Any], now: int) -> dict[str, Any]:
    event_type = None
    try:
        event_type = json.loads(message.get("request_body") or "{}").get("type")
    except (TypeError, ValueError, AttributeError):
        pass
    return {
        "object": "emulator.stripecli_response",
        "session": session.id,
        "event": message.get("notification_id") or None,
        "event_type": event_type,
        "forward_url": message.get("forward_url"),
        "status": message.get("status"),
        "body": message.get("body"),
        "webhook_id": message.get("webhook_id"),
        "received": now,  # emulator time, like every other timestamp it reports
    }


@route("GET", "/_emulator/stripecli/responses", params={"limit": Int(min=1, max=1000)})
def responses(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The ``webhook_response`` messages that ``stripe listen`` sent back, newest first:
    which event went to which local URL, and what that URL answered."""
    if ctx.key_type != "secret" or ctx.is_connected:
        raise PermissionDenied("Emulator controls need the platform's secret key and no "
                               "Stripe-Account header.")
    hub = _hub(ctx.emulator)
    with hub.lock:
        rows = list(hub.responses.get(ctx.platform, ()))
    rows.reverse()
    return {"object": "list", "data": rows[: params.get("limit", 100)],
            "has_more": len(rows) > params.get("limit", 100),
            "url": "/_emulator/stripecli/responses"}


@on_start
def start_hub(emulator: Any) -> None:
    emulator.workers["stripecli"] = Hub(emulator)


@on_reset
def forget_sessions(emulator: Any, platform: str) -> None:
    """A reset platform's CLI sessions (and their undelivered events) end: the CLI must
    log in again, as after ``stripe login`` on another account (/_emulator/reset)."""
    hub = _hub(emulator)
    with hub.lock:
        for session_id in [k for k, s in hub.sessions.items() if s.platform == platform]:
            hub.sessions.pop(session_id).outbox.clear()
        hub.responses.pop(platform, None)


@on_stop
def stop_hub(emulator: Any) -> None:
    hub = emulator.workers.pop("stripecli", None)
    if hub is not None:
        hub.stopping.set()
