"""Thin events (API v2 ``v2.core.event``): what v2 resources report, as Stripe pushes them
to event destinations and ``stripe listen``, and as ``/v2/core/events`` returns them.

A thin event is small and unversioned: the pushed notification carries ``id``, ``object``,
``type``, ``created``, ``livemode``, ``context``, ``reason`` and ``related_object``
(``{id, type, url}``); the receiver fetches the full event (``changes``, ``data``) from
``GET /v2/core/events/{id}`` or the object itself from ``related_object.url``
(https://docs.stripe.com/event-destinations#thin-events,
https://docs.stripe.com/api/v2/core/accounts/event-types).

Resources report v2 changes the way v1 ones do, with ``ctx.emit``: a signal whose type is
a thin type (``v2.…``) becomes a thin event here instead of a v1 Event. For an Account,
emitting ``v2.core.account.updated`` with the previous attributes is enough: the events for
the parts that changed (``v2.core.account[requirements].updated``,
``[configuration.recipient].capability_status_updated`` …) are derived from the change.
"""

from __future__ import annotations

import copy
import datetime
import functools
import re
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_v2_page
from ..params import V2_LIST_PARAMS, ListOf, Obj, Str
from ..registry import on_signals, route
from ..shapes import declared_fields, iso_time

# Thin types carry the API version they come from (``v1.billing.meter…``, ``v2.core…``);
# the Stripe CLI tells them from snapshot types by the same pattern.
THIN_TYPE = re.compile(r"v\d+\.")
ID_LENGTH = 46  # evt_test_ + 46, as Stripe's v2 event IDs
# Where a related object is fetched (the notification's ``related_object.url``).
URLS = {
    "v2.core.account": "/v2/core/accounts/{id}",
    "v2.core.event_destination": "/v2/core/event_destinations/{id}",
}
# The parts of a v2 Account that have an event of their own when they change
# (https://docs.stripe.com/api/v2/core/accounts/event-types).
ACCOUNT_PARTS = ("identity", "defaults", "requirements", "future_requirements",
                 "configuration.customer", "configuration.merchant",
                 "configuration.recipient")
CONFIGURATIONS = ("customer", "merchant", "recipient")
# Every thin type the emulator sends (the parts' events are derived in ``_expand``).
SENT = frozenset(
    ["v2.core.account.created", "v2.core.account.updated", "v2.core.account.closed",
     "v2.core.account_link.returned", "v2.core.event_destination.ping"]
    + [f"v2.core.account[{part}].updated" for part in ACCOUNT_PARTS]
    + [f"v2.core.account[configuration.{c}].capability_status_updated"
       for c in CONFIGURATIONS])
# The notification's fields: everything else (``changes``, ``data``) is fetched.
PUSHED = ("id", "object", "type", "created", "livemode", "context", "reason",
          "related_object")

# Subscribers get (ctx, event, platform) for every new thin event: destinations, CLI.
subscribers: list[Callable[[Context, dict[str, Any], str], None]] = []


def is_thin(event_type: str) -> bool:
    return bool(THIN_TYPE.match(event_type))


def known(event_type: str) -> bool:
    """A thin type Stripe sends: stripe-python 16 has a class for each."""
    from stripe.events._event_classes import _V2_EVENT_CLASS_LOOKUP

    return event_type in _V2_EVENT_CLASS_LOOKUP


@functools.cache
def _fields(event_type: str) -> tuple[str, ...]:
    """The fields stripe-python 16 declares for this type's Event class (the typed class
    adds ``related_object`` and, for some types, ``data``)."""
    from stripe.events._event_classes import _V2_EVENT_CLASS_LOOKUP

    found = _V2_EVENT_CLASS_LOOKUP.get(event_type)
    if found is None:
        return declared_fields("v2.core.Event")
    return declared_fields(f"events.{found[1]}")


def notification(event: dict[str, Any]) -> dict[str, Any]:
    """What is pushed: the event without its fetched attributes."""
    return {k: event[k] for k in PUSHED if k in event}


def related(obj: dict[str, Any]) -> dict[str, Any] | None:
    url = URLS.get(obj.get("object", ""))
    if url is None or not obj.get("id"):
        return None
    return {"id": obj["id"], "type": obj["object"], "url": url.format(id=obj["id"])}


def new_event(
    ctx: Context,
    event_type: str,
    *,
    related_object: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    context: str | None = None,
    when: int | None = None,
    notify: bool = True,
) -> dict[str, Any]:
    """Store one thin event (in the request's transaction) and, unless ``notify`` is
    False (a ping goes to one destination only), hand it to the subscribers. Fields
    follow the SDK's class for ``event_type``."""
    fields = _fields(event_type)
    reason = None
    if ctx.request_id:
        reason = {"type": "request",
                  "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key}}
    values: dict[str, Any] = {
        "id": ctx.new_id("evt_test", ID_LENGTH), "object": "v2.core.event",
        "type": event_type, "created": iso_time(ctx.now() if when is None else when),
        "livemode": False, "context": context, "reason": reason, "changes": changes,
        "snapshot_event": None, "related_object": related_object, "data": data,
    }
    event = {name: values.get(name) for name in fields}
    # Kept in the platform's namespace, under its related object (the ``object_id`` filter).
    ctx.insert(event, ns=ctx.platform,
               parent=related_object["id"] if related_object else None)
    if notify:
        for fn in subscribers:
            fn(ctx, event, ctx.platform)
    return event


def account_changed(ctx: Context, before: dict[str, Any] | None,
                    after: dict[str, Any]) -> None:
    """Report a v2 Account change: ``before`` (None on create) and ``after`` are the v2
    Account rendered with every ``include``, so the part events can be told apart. Closing
    sends ``v2.core.account.closed`` beside the update."""
    # The Account belongs to the platform, whichever page or control changed it: its
    # events are the platform's own (``context`` null; ``events_from`` ``@self``). The docs
    # do not say which account a v2 Account's events belong to; this is the reading under
    # which ``related_object.url`` (``/v2/core/accounts/{id}``, a platform-only route) can
    # be fetched with the event's context, as the SDK's ``fetch_related_object`` does.
    if before is None:
        ctx.emit("v2.core.account.created", after, account=ctx.platform)
        return
    previous = _previous(before, after)
    if not previous:
        return
    ctx.emit("v2.core.account.updated", after, previous=previous, account=ctx.platform)
    if after.get("closed") and not before.get("closed"):
        ctx.emit("v2.core.account.closed", after, account=ctx.platform)


def _previous(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(before.get(k)) for k in list(after) + list(before)
            if before.get(k) != after.get(k)}


def _coalesce(signals: list[tuple]) -> list[tuple]:
    """One request reports one update of an object once: several ``….updated`` signals of
    the same object (a v2 route and the v1 save beneath it) become one, at the place of the
    last, from the state before the first to the state after the last."""
    first_before: dict[tuple[str, str], dict[str, Any]] = {}
    last_at: dict[tuple[str, str], int] = {}
    for i, (event_type, obj, previous, _account, _when) in enumerate(signals):
        if event_type.endswith(".updated") and is_thin(event_type) and obj.get("id"):
            key = (event_type, obj["id"])
            first_before.setdefault(key, {**obj, **(previous or {})})
            last_at[key] = i
    out = []
    for i, signal in enumerate(signals):
        event_type, obj, previous, account, when = signal
        key = (event_type, obj.get("id", ""))
        if key not in last_at:
            out.append(signal)
        elif last_at[key] == i:
            merged = _previous(first_before[key], obj)
            if merged:
                out.append((event_type, obj, merged, account, when))
    return out


# -- from signals -------------------------------------------------------------------------
@on_signals
def record(ctx: Context) -> None:
    """Every thin-typed signal of the request becomes its thin event(s)."""
    for event_type, obj, previous, account, when in _coalesce(ctx.signals):
        if not is_thin(event_type):
            continue
        context = account if account != ctx.platform else None
        rel = related(obj)
        for kind, extra in _expand(event_type, obj, previous):
            # A signal about an object points at it; one without (an Account Link's
            # return) carries its event's ``data`` itself.
            data = extra.get("data") if rel is not None else obj
            new_event(ctx, kind, related_object=rel, context=context, when=when,
                      data=data, changes=extra.get("changes"))


def _expand(event_type: str, obj: dict[str, Any],
            previous: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """The events one signal stands for. ``v2.core.account.updated`` with the previous
    attributes also stands for one event per changed part of the Account and one per
    capability whose status changed. (The docs list these types, not which fire together;
    the emulator sends the general ``updated`` for every update and the part events beside
    it, which is what a handler subscribed to either expects.)"""
    if obj.get("object") != "v2.core.account":
        return [(event_type, {})]
    if event_type == "v2.core.account.created":
        return [(event_type, {"changes": {"before": None, "after": copy.deepcopy(obj)}})]
    if event_type != "v2.core.account.updated" or previous is None:
        return [(event_type, {})]
    before = {**obj, **previous}
    out: list[tuple[str, dict[str, Any]]] = [
        (event_type, {"changes": {"before": dict(previous),
                                  "after": {k: copy.deepcopy(obj.get(k)) for k in previous}}})]
    for part in ACCOUNT_PARTS:
        old, new = _at(before, part), _at(obj, part)
        if old == new:
            continue
        top = part.split(".")[0]
        out.append((f"v2.core.account[{part}].updated",
                    {"changes": {"before": {top: _nest(part, old)},
                                 "after": {top: _nest(part, copy.deepcopy(new))}}}))
        if part.startswith("configuration."):
            old_caps = _statuses((old or {}).get("capabilities"))
            for name, status in _statuses((new or {}).get("capabilities")).items():
                if old_caps.get(name) != status:
                    out.append((f"v2.core.account[{part}].capability_status_updated",
                                {"data": {"updated_capability": name}}))
    return out


def _at(obj: dict[str, Any] | None, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _nest(path: str, value: Any) -> Any:
    """``configuration.recipient`` → ``{"recipient": value}`` (below the top key)."""
    for key in reversed(path.split(".")[1:]):
        value = {key: value}
    return value


def _statuses(capabilities: Any, prefix: str = "") -> dict[str, str]:
    """``{"stripe_balance.stripe_transfers": "active", …}`` from a configuration's nested
    capabilities (each leaf has a ``status``)."""
    out: dict[str, str] = {}
    if not isinstance(capabilities, dict):
        return out
    for key, value in capabilities.items():
        if not isinstance(value, dict):
            continue
        name = f"{prefix}{key}"
        if isinstance(value.get("status"), str):
            out[name] = value["status"]
        else:
            out.update(_statuses(value, name + "."))
    return out


# -- /v2/core/events ------------------------------------------------------------------------
@route("GET", "/v2/core/events/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """The full event (``changes``, ``data``): the platform's own, else a 404 (another
    platform's ID included). https://docs.stripe.com/api/v2/core/events/retrieve"""
    return ctx.get(id, "v2.core.event")


def _moment(value: Any, name: str) -> int:
    """An RFC 3339 time of a ``created`` filter, in seconds."""
    try:
        when = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidRequest(f"Invalid {name}: expected an RFC 3339 timestamp such as "
                             "2026-12-02T06:20:18.000Z", param=name)
    return int(when.timestamp())


CREATED = Obj(fields={op: Str(max_length=40) for op in ("gt", "gte", "lt", "lte")})
LIST = {**V2_LIST_PARAMS, "created": CREATED, "object_id": Str(max_length=255),
        "types": ListOf(item=Str(max_length=200), max_items=20)}


@route("GET", "/v2/core/events", params=LIST)
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's thin events, newest first, filtered by the related object
    (``object_id``), ``types`` (up to 20, the SDK's limit) and ``created``.
    https://docs.stripe.com/api/v2/core/events/list"""
    bounds = {op: _moment(v, f"created[{op}]") for op, v in (params.get("created") or {}).items()}
    types = set(params.get("types") or ())
    object_id = params.get("object_id")
    tests = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
             "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}

    def keep(event: dict[str, Any]) -> bool:
        if types and event["type"] not in types:
            return False
        if object_id and (event.get("related_object") or {}).get("id") != object_id:
            return False
        created = _moment(event["created"], "created")
        return all(tests[op](created, bound) for op, bound in bounds.items())

    return store_v2_page(ctx, params, "/v2/core/events", type="v2.core.event",
                         ns=ctx.account, keep=keep, render=lambda event: event)
