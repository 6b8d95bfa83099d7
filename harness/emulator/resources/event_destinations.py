"""Event destinations (``/v2/core/event_destinations``): where a platform's events go.

https://docs.stripe.com/api/v2/core/event-destinations. A destination of type
``webhook_endpoint`` receives either thin events (``event_payload=thin``: the notifications
of :mod:`.thin_events`) or v1 snapshot Events (``event_payload=snapshot``), from the
platform itself (``events_from`` ``@self``) and/or its connected accounts (``@accounts``).
Deliveries go through the webhook worker of :mod:`.webhook_endpoints` (the same
``Stripe-Signature``, retries on the emulator's clock), signed with the destination's own
``whsec_`` secret, which the create answer shows once when asked with
``include=["webhook_endpoint.signing_secret"]``.

Modelled: ``type=webhook_endpoint``. Amazon EventBridge and Azure Event Grid destinations
(and the organization scopes of ``events_from``) answer a 400 saying they are not modelled.
"""

from __future__ import annotations

import json
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, PermissionDenied
from ..listing import store_v2_page
from ..params import V2_LIST_PARAMS, Enum, ListOf, Metadata, Obj, Str, Url
from ..registry import route
from ..shapes import build, iso_time, merge_metadata
from . import events as v1_events
from . import thin_events
from .webhook_endpoints import delivery_log, delivery_urls, enqueue, rendering

PAYLOADS = ("snapshot", "thin")
TYPES = ("amazon_eventbridge", "azure_event_grid", "webhook_endpoint")
SCOPES = ("@self", "@accounts")
NOT_MODELLED_SCOPES = ("@organization_members", "@organization_members/@accounts")
ID_LENGTH = 44  # ed_test_ + 44, as Stripe's destination IDs

WEBHOOK = Obj(fields={"url": Url(required=True)})
CREATE = {
    "amazon_eventbridge": Obj(fields={"aws_account_id": Str(), "aws_region": Str()}),
    "azure_event_grid": Obj(fields={"azure_region": Str(), "azure_resource_group_name": Str(),
                                    "azure_subscription_id": Str()}),
    "description": Str(),
    "enabled_events": ListOf(item=Str(max_length=200), required=True, max_items=500),
    "event_payload": Enum(choices=PAYLOADS, required=True),
    "events_from": ListOf(item=Str(), max_items=4),
    "include": ListOf(item=Enum(choices=("webhook_endpoint.signing_secret",
                                         "webhook_endpoint.url")), max_items=2),
    "metadata": Metadata(),
    "name": Str(required=True),
    "snapshot_api_version": Str(max_length=64),
    "type": Enum(choices=TYPES, required=True),
    "webhook_endpoint": WEBHOOK,
}
INCLUDE_URL = {"include": ListOf(item=Enum(choices=("webhook_endpoint.url",)), max_items=1)}
UPDATE = {
    "description": Str(),
    "enabled_events": ListOf(item=Str(max_length=200), max_items=500),
    "metadata": Metadata(),
    "name": Str(),
    "webhook_endpoint": WEBHOOK,
    **INCLUDE_URL,
}
# The stored object keeps its ``webhook_endpoint.url`` (answers show it only when included);
# the secret lives beside it.
SECRET_META = "whsec:{id}"  # the webhook worker's key for an endpoint's secret


# -- rules ----------------------------------------------------------------------------------
def _check_events(events: list[str], payload: str) -> None:
    """Thin destinations name thin types (``v1.…``/``v2.…``) and have no wildcard (the
    Stripe CLI: "thin event destinations do not support selecting all event types");
    snapshot destinations name v1 types or ``*``. Stripe's exact wording is not
    documented; these messages say which rule was broken."""
    if not events:
        raise InvalidRequest("Invalid enabled_events: name at least one event type.",
                             param="enabled_events")
    for i, name in enumerate(events):
        param = f"enabled_events[{i}]"
        if payload == "thin":
            if not thin_events.known(name):
                raise InvalidRequest(
                    f"Invalid {param}: {name!r} is not a thin event type (thin types look "
                    "like v2.core.account.created; a thin destination cannot select all "
                    "types with '*').", param=param)
            if name not in thin_events.SENT:
                # A type Stripe sends that nothing in the emulator makes: refused rather
                # than accepted and never delivered.
                raise InvalidRequest(
                    f"{param}: {name!r} is not modelled by the Connect Lab emulator, which "
                    "sends these thin events: " + ", ".join(sorted(thin_events.SENT)) + ".",
                    param=param)
        elif thin_events.is_thin(name) or (name != "*" and ("." not in name or " " in name)):
            raise InvalidRequest(
                f"Invalid {param}: {name!r} is not a snapshot event type (snapshot "
                "destinations take v1 types such as charge.succeeded, or '*').", param=param)


def _check_scopes(scopes: list[str]) -> list[str]:
    for i, scope in enumerate(scopes):
        if scope in NOT_MODELLED_SCOPES:
            raise InvalidRequest(
                f"events_from {scope!r} is not modelled by the Connect Lab emulator "
                "(it has no organizations); use @self or @accounts.",
                param=f"events_from[{i}]")
        if scope not in SCOPES:
            raise InvalidRequest(f"Invalid events_from[{i}]: must be one of @self or "
                                 "@accounts", param=f"events_from[{i}]")
    return list(dict.fromkeys(scopes))


def _show(ctx: Context, dest: dict[str, Any], include: list[str] | None,
          secret: str | None = None) -> dict[str, Any]:
    """The destination as answered: ``webhook_endpoint.url`` and ``.signing_secret`` are
    null unless included (the SDK: "Returned only when explicitly included")."""
    wanted = set(include or ())
    shown = dict(dest)
    if dest["type"] == "webhook_endpoint":
        url = (dest.get("webhook_endpoint") or {}).get("url")
        shown["webhook_endpoint"] = {
            "signing_secret": secret if "webhook_endpoint.signing_secret" in wanted else None,
            "url": url if "webhook_endpoint.url" in wanted else None,
        }
    return shown


def _get(ctx: Context, dest_id: str) -> dict[str, Any]:
    """The acting account's own destination; any other ID (another platform's included)
    answers 404."""
    return ctx.get(dest_id, "v2.core.event_destination")


# -- HTTP ------------------------------------------------------------------------------------
@route("POST", "/v2/core/event_destinations", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        # Deliveries look for the platform's destinations only.
        raise PermissionDenied(
            "Event destinations of a connected account are not modelled by the Connect Lab "
            "emulator; create the destination as the platform (no Stripe-Account header) "
            "with events_from [\"@accounts\"] to receive its accounts' events.")
    kind = params["type"]
    if kind != "webhook_endpoint":
        raise InvalidRequest(
            f"Event destinations of type {kind} are not modelled by the Connect Lab emulator "
            "(it runs offline); use type=webhook_endpoint.", param="type")
    for other in ("amazon_eventbridge", "azure_event_grid"):
        if other in params:
            raise InvalidRequest(f"{other} is only for destinations of type {other}.",
                                 param=other)
    if "webhook_endpoint" not in params:
        raise InvalidRequest("Missing required param: webhook_endpoint.",
                             code="parameter_missing", param="webhook_endpoint")
    payload = params["event_payload"]
    _check_events(params["enabled_events"], payload)
    # The docs give no default for events_from; their example object shows ["@self"].
    scopes = _check_scopes(params.get("events_from") or ["@self"])
    version = params.get("snapshot_api_version")
    if payload == "thin" and version is not None:
        # The SDK: "For snapshot events only …; do not provide this for thin events."
        raise InvalidRequest("snapshot_api_version is only for snapshot destinations; thin "
                             "events are not pinned to an API version.",
                             param="snapshot_api_version")
    if payload == "snapshot" and version is None:
        version = ctx.emulator.platform_version(ctx.platform)
    dest_id = ctx.new_id("ed_test", ID_LENGTH)
    now = iso_time(ctx.now())
    dest = build(
        "v2.core.EventDestination",
        id=dest_id, object="v2.core.event_destination", amazon_eventbridge=None,
        azure_event_grid=None, created=now, description=params.get("description") or "",
        enabled_events=params["enabled_events"], event_payload=payload, events_from=scopes,
        livemode=False, metadata=params.get("metadata") or {}, name=params["name"],
        snapshot_api_version=version, status="enabled", status_details=None,
        type=kind, updated=now,
        webhook_endpoint={"signing_secret": None, "url": params["webhook_endpoint"]["url"]},
    )
    ctx.insert(dest, ns=ctx.account)
    secret = "whsec_" + ctx.secret(32)
    ctx.store.set_meta(SECRET_META.format(id=dest_id), secret)
    return _show(ctx, dest, params.get("include"), secret)


@route("GET", "/v2/core/event_destinations/<id>", params=INCLUDE_URL)
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _show(ctx, _get(ctx, id), params.get("include"))


@route("POST", "/v2/core/event_destinations/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    dest = _get(ctx, id)
    if "enabled_events" in params:
        _check_events(params["enabled_events"], dest["event_payload"])
        dest["enabled_events"] = params["enabled_events"]
    for name in ("description", "name"):
        if name in params:
            dest[name] = params[name] if params[name] is not None else ""
    if "metadata" in params:
        dest["metadata"] = merge_metadata(dest["metadata"] or {}, params["metadata"])
    if "webhook_endpoint" in params:
        dest["webhook_endpoint"] = {"signing_secret": None,
                                    "url": params["webhook_endpoint"]["url"]}
    dest["updated"] = iso_time(ctx.now())
    ctx.save(dest)
    return _show(ctx, dest, params.get("include"))


@route("GET", "/v2/core/event_destinations", params={**V2_LIST_PARAMS, **INCLUDE_URL})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return store_v2_page(ctx, params, "/v2/core/event_destinations",
                         type="v2.core.event_destination", ns=ctx.account,
                         render=lambda dest: _show(ctx, dest, params.get("include")))


@route("DELETE", "/v2/core/event_destinations/<id>", params={})
def delete(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    _get(ctx, id)
    ctx.store.delete(id)
    ctx.store.execute("DELETE FROM meta WHERE name=?", (SECRET_META.format(id=id),))
    return {"id": id, "object": "v2.core.event_destination"}


@route("POST", "/v2/core/event_destinations/<id>/disable", params={})
def disable(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    dest = _get(ctx, id)
    dest["status"] = "disabled"
    dest["status_details"] = {"disabled": {"reason": "user"}}
    dest["updated"] = iso_time(ctx.now())
    return _show(ctx, ctx.save(dest), None)


@route("POST", "/v2/core/event_destinations/<id>/enable", params={})
def enable(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    dest = _get(ctx, id)
    dest["status"] = "enabled"
    dest["status_details"] = None
    dest["updated"] = iso_time(ctx.now())
    return _show(ctx, ctx.save(dest), None)


@route("POST", "/v2/core/event_destinations/<id>/ping", params={})
def ping(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """A ``v2.core.event_destination.ping`` thin event, sent to this destination only
    (https://docs.stripe.com/api/v2/core/event-destinations/ping); a disabled destination
    gets no delivery attempt, as for any event."""
    dest = _get(ctx, id)
    event = thin_events.new_event(ctx, "v2.core.event_destination.ping",
                                  related_object=thin_events.related(dest), notify=False)
    if dest["status"] == "enabled":
        enqueue(ctx, ctx.platform, id, event, json.dumps(thin_events.notification(event),
                                                         indent=2))
    return event


@route("GET", "/_emulator/event_destinations/<id>/deliveries",
       params={"limit": V2_LIST_PARAMS["limit"]})
def deliveries(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """The delivery log of one destination (what the Dashboard's event log shows)."""
    _get(ctx, id)
    return delivery_log(ctx, params, id, f"/_emulator/event_destinations/{id}/deliveries")


# -- delivery ----------------------------------------------------------------------------------
delivery_urls["v2.core.event_destination"] = lambda d: (d.get("webhook_endpoint") or {}).get("url")


def _destinations(ctx: Context, platform: str, payload: str) -> list[dict[str, Any]]:
    return [d for d in ctx.store.query(type="v2.core.event_destination", ns=platform,
                                       limit=1000)
            if d["status"] == "enabled" and d["event_payload"] == payload]


def _wants_scope(dest: dict[str, Any], connected: bool) -> bool:
    return ("@accounts" if connected else "@self") in (dest.get("events_from") or ["@self"])


def queue_thin(ctx: Context, event: dict[str, Any], platform: str) -> None:
    """Queue a new thin event's notification for every thin destination that wants it."""
    targets = [d for d in _destinations(ctx, platform, "thin")
               if event["type"] in d["enabled_events"]
               and _wants_scope(d, event.get("context") is not None)]
    if not targets:
        return
    payload = json.dumps(thin_events.notification(event), indent=2)
    for dest in targets:
        enqueue(ctx, platform, dest["id"], event, payload)


def queue_snapshot(ctx: Context, event: dict[str, Any], platform: str) -> int:
    """Queue a new v1 Event for every snapshot destination that wants it; the count is
    part of the Event's ``pending_webhooks``."""
    targets = [d for d in _destinations(ctx, platform, "snapshot")
               if any(p == "*" or v1_events._matches(event["type"], p)
                      for p in d["enabled_events"])
               and _wants_scope(d, event.get("account") is not None)]
    for dest in targets:
        # Rendered at the destination's pinned version, as a webhook endpoint's copies are
        # (the one rendering rule, webhook_endpoints.rendering).
        shown = rendering(event, dest["snapshot_api_version"])
        enqueue(ctx, platform, dest["id"], event, json.dumps(shown, indent=2))
    return len(targets)


thin_events.subscribers.append(queue_thin)
v1_events.subscribers.append(queue_snapshot)
