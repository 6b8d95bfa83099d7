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
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound
from ..listing import store_page
from ..params import LIST_PARAMS, Bool, ListOf, Metadata, Str
from ..registry import loader, on_reset, on_start, on_stop, route
from ..shapes import build, merge_metadata
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
    payload = json.dumps(event, indent=2)
    for endpoint in endpoints:
        enqueue(ctx, platform, endpoint["id"], event, payload)
    return len(endpoints)


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


class DeliveryWorker(threading.Thread):
    """POSTs due deliveries; sleeps until woken by a new event or a retry falls due."""

    def __init__(self, emulator: Any) -> None:
        super().__init__(name="webhook-delivery", daemon=True)
        self.emulator = emulator
        self._wake = threading.Event()
        # not ``_stop``: that name is threading.Thread's own method, which join() calls
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

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
        store, clock = self.emulator.store, self.emulator.clock
        rows = store.execute(
            "SELECT seq, platform, endpoint, event, payload, attempts, next_attempt_at"
            " FROM webhook_deliveries WHERE status='pending' ORDER BY seq LIMIT 50"
        ).fetchall()
        return [r for r in rows if r["next_attempt_at"] <= clock.now(r["platform"])]

    def deliver_due(self) -> bool:
        rows = self.due()
        for row in rows:
            self.deliver(row)
        return bool(rows)

    def deliver(self, row: Any) -> None:
        store = self.emulator.store
        found = store.get(row["endpoint"])
        secret = store.get_meta(f"whsec:{row['endpoint']}")
        if found is None or secret is None:  # endpoint deleted meanwhile
            store.execute("UPDATE webhook_deliveries SET status='failed', last_error=?"
                          " WHERE seq=?", ("endpoint deleted", row["seq"]))
            return
        url_of = delivery_urls.get(found[1].get("object", ""))
        url = url_of(found[1]) if url_of else None
        if not url:
            store.execute("UPDATE webhook_deliveries SET status='failed', last_error=?"
                          " WHERE seq=?", ("no delivery URL", row["seq"]))
            return
        status, error = post_signed(url, row["payload"], secret)
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


def post_signed(url: str, payload: str, secret: str) -> tuple[int | None, str | None]:
    request = urllib.request.Request(
        url, data=payload.encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                 "Stripe-Signature": sign(payload, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except Exception as exc:  # refused, timed out, bad URL: all are failed attempts
        return None, type(exc).__name__ + ": " + str(exc)[:200]


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
