"""WebhookEndpoint and signed delivery of Events to it.

Deliveries are POSTed by a background worker, signed as Stripe signs them
(``Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "t.payload")>``,
https://docs.stripe.com/webhooks#verify-manually), and retried with backoff on the
emulator's clock when the endpoint fails or times out. Test mode retries three times over a
few hours (https://docs.stripe.com/webhooks#retries).

The worker delivers for event destinations too (:mod:`.event_destinations`): ``enqueue``
queues one signed POST to any endpoint-like object whose URL ``delivery_urls`` can read.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound
from ..listing import store_page
from ..params import LIST_PARAMS, Bool, ListOf, Metadata, Str
from ..registry import loader, on_reset, on_start, on_stop, route
from ..shapes import build, merge_metadata
from ..versions import parse, render
from .events import _matches, subscribers

RETRY_DELAYS = (60 * 60, 2 * 60 * 60, 4 * 60 * 60)  # then give up (test mode: 3 retries)
TIMEOUT_SECONDS = 10
SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    event TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,          -- pending | succeeded | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
"""

CREATE = {
    "url": Str(required=True),
    "enabled_events": ListOf(item=Str(), required=True),
    "description": Str(nullable=True),
    "metadata": Metadata(),
    "connect": Bool(),
    "api_version": Str(),
}
UPDATE = {
    "url": Str(),
    "enabled_events": ListOf(item=Str()),
    "description": Str(nullable=True),
    "metadata": Metadata(),
    "disabled": Bool(),
}


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _secret(ctx: Context, endpoint_id: str) -> str:
    return ctx.store.get_meta(f"whsec:{endpoint_id}") or ""


def _connect(ctx: Context, endpoint_id: str) -> bool:
    return ctx.store.get_meta(f"whconnect:{endpoint_id}") == "1"


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise InvalidRequest("Invalid URL: URL must be publicly accessible (an http:// or "
                             "https:// URL).", code="url_invalid", param="url")


def _check_events(events: list[str]) -> None:
    for i, name in enumerate(events):
        if name != "*" and ("." not in name or " " in name):
            raise InvalidRequest(f"Invalid enabled_events[{i}]: must be a known event type "
                                 "or '*'", param=f"enabled_events[{i}]")


@route("POST", "/v1/webhook_endpoints", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check_url(params["url"])
    _check_events(params["enabled_events"])
    if "api_version" in params:
        try:
            parse(params["api_version"])
        except InvalidRequest:
            raise InvalidRequest(f"Invalid api_version: {params['api_version']}",
                                 param="api_version") from None
    endpoint_id = ctx.new_id("we")
    secret = "whsec_" + ctx.secret(32)
    endpoint = build(
        "WebhookEndpoint", id=endpoint_id, object="webhook_endpoint",
        api_version=params.get("api_version"), application=None, created=ctx.now(),
        description=params.get("description"), enabled_events=params["enabled_events"],
        livemode=False, metadata=params.get("metadata") or {}, secret=None, status="enabled",
        url=params["url"],
    )
    ctx.insert(endpoint)
    ctx.store.set_meta(f"whsec:{endpoint_id}", secret)
    if params.get("connect"):
        ctx.store.set_meta(f"whconnect:{endpoint_id}", "1")
    return {**endpoint, "secret": secret}  # the secret is shown on create only


@route("GET", "/v1/webhook_endpoints/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "webhook_endpoint")


@route("POST", "/v1/webhook_endpoints/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    endpoint = ctx.get(id, "webhook_endpoint")
    if "url" in params:
        _check_url(params["url"])
        endpoint["url"] = params["url"]
    if "enabled_events" in params:
        _check_events(params["enabled_events"])
        endpoint["enabled_events"] = params["enabled_events"]
    if "description" in params:
        endpoint["description"] = params["description"]
    if "metadata" in params:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], params["metadata"])
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    return ctx.save(endpoint)


@route("DELETE", "/v1/webhook_endpoints/<id>", params={})
def delete(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    ctx.get(id, "webhook_endpoint")
    ctx.store.delete(id)
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


@route("GET", "/v1/webhook_endpoints", params=LIST_PARAMS)
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # The acting account's own endpoints: under Stripe-Account that is the connected
    # account's (usually none), never the platform's.
    return store_page(ctx, params, "/v1/webhook_endpoints", type="webhook_endpoint")


@loader("we")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "webhook_endpoint")
    return found[1] if found and found[0] == ctx.account else None


@route("GET", "/_emulator/webhook_endpoints/<id>/deliveries", params=LIST_PARAMS)
def deliveries(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """The delivery log of one endpoint (what Stripe's Dashboard shows), newest first."""
    ctx.get(id, "webhook_endpoint")
    return delivery_log(ctx, params, id, f"/_emulator/webhook_endpoints/{id}/deliveries")


def delivery_log(ctx: Context, params: dict[str, Any], id: str, url: str) -> dict[str, Any]:
    """One page of the delivery log of ``id`` (the caller checked it is the caller's)."""
    for name in ("starting_after", "ending_before"):  # one page only: no cursor is valid
        if params.get(name):
            raise NotFound("webhook_delivery", params[name], param=name)
    rows = ctx.store.execute(
        "SELECT * FROM webhook_deliveries WHERE endpoint=? ORDER BY seq DESC LIMIT ?",
        (id, params.get("limit", 100)),
    ).fetchall()
    data = [{k: row[k] for k in ("event", "event_type", "status", "attempts", "last_status",
                                 "last_error", "next_attempt_at", "created")} for row in rows]
    return {"object": "list", "data": data, "has_more": False, "url": url}


# -- delivery ------------------------------------------------------------------------------
def queue(ctx: Context, event: dict[str, Any], platform: str) -> int:
    """Queue ``event`` for every enabled endpoint that wants it; returns how many."""
    connected = event["account"] is not None
    endpoints = [
        endpoint for endpoint in ctx.store.query(type="webhook_endpoint", ns=platform, limit=1000)
        if endpoint["status"] == "enabled" and _connect(ctx, endpoint["id"]) == connected
        and any(_matches(event["type"], p) or p == "*" for p in endpoint["enabled_events"])
    ]
    # The payload says how many endpoints still wait for it, this one included, as Stripe's do.
    event["pending_webhooks"] = len(endpoints)
    if not endpoints:
        return 0
    for endpoint in endpoints:
        _enqueue(ctx, platform, endpoint, event)
    return len(endpoints)


def _enqueue(ctx: Context, platform: str, endpoint: dict[str, Any],
             event: dict[str, Any]) -> None:
    """One pending delivery of ``event`` to ``endpoint``, rendered at the endpoint's version."""
    payload = json.dumps(rendering(event, endpoint["api_version"]), indent=2)
    enqueue(ctx, platform, endpoint["id"], event, payload)


def resend(ctx: Context, endpoint_id: str, event_id: str) -> None:
    """The Dashboard's "Resend" on a delivery: the event goes to that endpoint once more, as
    a new delivery (https://docs.stripe.com/webhooks/process-undelivered-events: events can be
    resent manually from the Dashboard for up to 15 days; the emulator keeps no such limit).
    Only an event this endpoint was already sent can be resent."""
    endpoint = ctx.get(endpoint_id, "webhook_endpoint")
    sent = ctx.store.execute("SELECT 1 FROM webhook_deliveries WHERE endpoint=? AND event=?",
                             (endpoint_id, event_id)).fetchone()
    found = ctx.store.get(event_id)
    if sent is None or found is None:
        raise NotFound("event", event_id, param="event")
    _enqueue(ctx, ctx.platform, endpoint, found[1])


subscribers.append(queue)

# How the worker finds where an endpoint-like object receives its deliveries, by its
# ``object``; other resources that deliver through this worker (event destinations) add
# theirs. Each must keep its signing secret at meta ``whsec:<id>``.
delivery_urls: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "webhook_endpoint": lambda endpoint: endpoint.get("url"),
}


def enqueue(ctx: Context, platform: str, target: str, event: dict[str, Any],
            payload: str) -> None:
    """Queue one signed POST of ``payload`` (``event`` rendered) to ``target``, retried on
    the emulator's clock like every webhook delivery."""
    ctx.store.execute(
        "INSERT INTO webhook_deliveries (platform, endpoint, event, event_type, payload,"
        " status, next_attempt_at, created) VALUES (?,?,?,?,?,?,?,?)",
        (platform, target, event["id"], event["type"], payload, "pending",
         ctx.now(), ctx.now()),
    )
    ctx.emulator.workers["webhooks"].wake()


def rendering(event: dict[str, Any], api_version: str | None) -> dict[str, Any]:
    """``event`` as an endpoint pinned to ``api_version`` receives it: its ``data`` and
    ``api_version`` at that version, or as created (the account's default) when None.
    "Events sent to this endpoint will be generated with this Stripe Version instead of your
    account's default Stripe Version" (stripe-python 16, WebhookEndpoint create params;
    https://docs.stripe.com/webhooks/versioning)."""
    version = api_version or event["api_version"]
    return render({**event, "api_version": version}, version)


# Each round takes, per endpoint, its oldest due deliveries (at most PER_ENDPOINT), for the
# endpoints not already being posted to, and posts them on a pool of POSTERS threads, one
# endpoint per thread: a dead or slow endpoint holds up only its own deliveries, never the
# room's (ours: Stripe documents no delivery concurrency).
POSTERS = 8
PER_ENDPOINT = 10
DUE_SQL = """
SELECT seq, platform, endpoint, event, payload, attempts, next_attempt_at FROM (
  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.endpoint ORDER BY d.seq) AS nth
  FROM webhook_deliveries d LEFT JOIN platforms p ON p.platform = d.platform
  WHERE d.status = 'pending' AND d.next_attempt_at <= ? + COALESCE(p.clock_offset, 0)
    AND d.endpoint NOT IN (SELECT value FROM json_each(?))
) WHERE nth <= ? ORDER BY seq"""


class DeliveryWorker(threading.Thread):
    """Finds due deliveries (in SQL: each platform's own clock decides what is due) and
    hands each endpoint's to a poster thread; sleeps until woken by a new event, a poster
    finishing, or half a second."""

    def __init__(self, emulator: Any) -> None:
        super().__init__(name="webhook-delivery", daemon=True)
        self.emulator = emulator
        self._wake = threading.Event()
        # not ``_stop``: that name is threading.Thread's own method, which join() calls
        self._stopping = threading.Event()
        self._busy: set[str] = set()  # endpoints with a batch being posted
        self._busy_lock = threading.Lock()
        self._posters = ThreadPoolExecutor(max_workers=POSTERS,
                                           thread_name_prefix="webhook-post")

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._posters.shutdown(wait=False, cancel_futures=True)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self.deliver_due()
            except Exception:  # the store may be closing; never kill the worker silently
                worked = False
                if self._stopping.is_set():
                    return
            if not worked:
                self._wake.wait(0.5)
                self._wake.clear()

    def due(self) -> list[Any]:
        """Due deliveries of the endpoints no poster is busy with, oldest first, at most
        PER_ENDPOINT each (a dead endpoint's backlog cannot crowd out anyone else's)."""
        with self._busy_lock:
            busy = json.dumps(sorted(self._busy))
        return self.emulator.store.execute(
            DUE_SQL, (self.emulator.clock.now(), busy, PER_ENDPOINT)).fetchall()

    def deliver_due(self) -> bool:
        batches: dict[str, list[Any]] = {}
        for row in self.due():
            batches.setdefault(row["endpoint"], []).append(row)
        started = False
        for endpoint, rows in batches.items():
            with self._busy_lock:
                if endpoint in self._busy:
                    continue
                self._busy.add(endpoint)
            try:
                self._posters.submit(self._post_batch, endpoint, rows)
            except RuntimeError:  # shutting down
                return False
            started = True
        return started

    def _post_batch(self, endpoint: str, rows: list[Any]) -> None:
        try:
            with _Connections() as connections:
                for row in rows:
                    if self._stopping.is_set():
                        return
                    self.deliver(row, connections)
        except Exception:  # the store closing under us: the rows stay pending
            pass
        finally:
            with self._busy_lock:
                self._busy.discard(endpoint)
            self.wake()

    def deliver(self, row: Any, connections: _Connections | None = None) -> None:
        store = self.emulator.store
        found = store.get(row["endpoint"])
        secret = store.get_meta(f"whsec:{row['endpoint']}")
        if found is None or secret is None:  # endpoint deleted meanwhile
            with store.transaction():
                store.execute("UPDATE webhook_deliveries SET status='failed', last_error=?"
                              " WHERE seq=?", ("endpoint deleted", row["seq"]))
            return
        url_of = delivery_urls.get(found[1].get("object", ""))
        url = url_of(found[1]) if url_of else None
        if not url:
            with store.transaction():
                store.execute("UPDATE webhook_deliveries SET status='failed', last_error=?"
                              " WHERE seq=?", ("no delivery URL", row["seq"]))
            return
        status, error = post_signed(url, row["payload"], secret, connections)
        attempts = row["attempts"] + 1
        now = self.emulator.clock.now(row["platform"])
        with store.transaction():
            if status is not None and 200 <= status < 300:
                store.execute("UPDATE webhook_deliveries SET status='succeeded', attempts=?,"
                              " last_status=?, last_error=NULL WHERE seq=?",
                              (attempts, status, row["seq"]))
                event = store.get(row["event"])
                if event is not None and "pending_webhooks" in event[1]:  # v1 Events
                    event[1]["pending_webhooks"] = max(0, event[1]["pending_webhooks"] - 1)
                    store.save(event[1])
            elif attempts > len(RETRY_DELAYS):
                store.execute("UPDATE webhook_deliveries SET status='failed', attempts=?,"
                              " last_status=?, last_error=? WHERE seq=?",
                              (attempts, status, error, row["seq"]))
            else:
                store.execute("UPDATE webhook_deliveries SET attempts=?, last_status=?,"
                              " last_error=?, next_attempt_at=? WHERE seq=?",
                              (attempts, status, error, now + RETRY_DELAYS[attempts - 1],
                               row["seq"]))


class _Connections:
    """One kept-alive HTTP connection per host for a batch of deliveries to one endpoint
    (a new one after any failure)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def get(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        if key not in self._open:
            kind = http.client.HTTPSConnection if scheme == "https" else \
                http.client.HTTPConnection
            self._open[key] = kind(host, port, timeout=TIMEOUT_SECONDS)
        return self._open[key]

    def drop(self, scheme: str, host: str, port: int) -> None:
        connection = self._open.pop((scheme, host, port), None)
        if connection is not None:
            connection.close()

    def __enter__(self) -> _Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()


def post_signed(url: str, payload: str, secret: str,
                connections: _Connections | None = None) -> tuple[int | None, str | None]:
    """POST a signed event; (HTTP status or None, what went wrong or None)."""
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
               "Stripe-Signature": sign(payload, secret)}
    parts = urllib.parse.urlsplit(url)
    if connections is None or parts.scheme not in ("http", "https") or not parts.hostname:
        request = urllib.request.Request(url, data=payload.encode(), method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, f"HTTP {exc.code}"
        except Exception as exc:  # refused, timed out, bad URL: all are failed attempts
            return None, type(exc).__name__ + ": " + str(exc)[:200]
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):  # a kept-alive connection the server closed: once more, fresh
        connection = connections.get(parts.scheme, parts.hostname, port)
        try:
            connection.request("POST", target, body=payload.encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            if response.will_close:
                connections.drop(parts.scheme, parts.hostname, port)
            status = response.status
            return status, None if 200 <= status < 300 else f"HTTP {status}"
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            connections.drop(parts.scheme, parts.hostname, port)
            if attempt == 2:
                return None, type(exc).__name__ + ": " + str(exc)[:200]
        except Exception as exc:  # refused, timed out, bad URL: all are failed attempts
            connections.drop(parts.scheme, parts.hostname, port)
            return None, type(exc).__name__ + ": " + str(exc)[:200]
    return None, "unreachable"  # pragma: no cover - the loop always returns


@on_start
def start_worker(emulator: Any) -> None:
    emulator.store.conn.executescript(SCHEMA)
    worker = DeliveryWorker(emulator)
    emulator.workers["webhooks"] = worker
    worker.start()


@on_reset
def forget_deliveries(emulator: Any, platform: str) -> None:
    """A reset platform's pending deliveries go with its events (/_emulator/reset)."""
    emulator.store.execute("DELETE FROM webhook_deliveries WHERE platform=?", (platform,))


@on_stop
def stop_worker(emulator: Any) -> None:
    worker = emulator.workers.pop("webhooks", None)
    if worker is not None:
        worker.stop()
        worker.join(timeout=5)
