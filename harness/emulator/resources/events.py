"""Event: every state change a request made, as Stripe reports it.

Resources ``emit`` signals while they work; at the end of the request (inside its
transaction) each signal becomes an Event on the account where it happened, and is queued
for the webhook endpoints and ``stripe listen`` sessions that want it.
https://docs.stripe.com/api/events/object
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..errors import InvalidRequest
from ..params import LIST_PARAMS, Bool, ListOf, Range, Str
from ..registry import loader, on_signals, route
from ..shapes import build
from ..versions import contents_at, render_partial
from .thin_events import is_thin

# Subscribers get (ctx, event, platform) for every new event: webhooks, CLI sessions.
subscribers: list[Callable[[Context, dict[str, Any], str], int]] = []


@on_signals
def record(ctx: Context) -> None:
    for event_type, obj, previous, account, when in ctx.signals:
        if is_thin(event_type):  # a v2 change: a thin event (thin_events.py), not an Event
            continue
        event = build(
            "Event",
            id=ctx.new_id("evt"), object="event",
            account=account if account != ctx.platform else None,
            api_version=ctx.emulator.platform_version(ctx.platform), context=None,
            created=when,
            data={"object": obj,
                  **({"previous_attributes": previous} if previous is not None else {})},
            livemode=False, pending_webhooks=0,
            request={"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            type=event_type,
        )
        event["pending_webhooks"] = sum(fn(ctx, event, ctx.platform) for fn in subscribers)
        ctx.insert(event, ns=account)


def _previous_attributes(event: dict[str, Any], version: str) -> dict[str, Any] | None:
    """``data.previous_attributes`` at the event's version, by the rules of its object."""
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("previous_attributes"), dict):
        return None
    kind = (data.get("object") or {}).get("object")
    previous = data["previous_attributes"]
    shown = render_partial(kind, previous, version) if isinstance(kind, str) else previous
    if shown is previous:
        return None
    return {**event, "data": {**data, "previous_attributes": shown}}


# An Event's ``data`` is rendered at the event's ``api_version`` (the account's default when
# it was created, or a webhook endpoint's own), never at the reader's Stripe-Version: "The
# contents of data never change" (stripe-python 16, Event.api_version;
# https://docs.stripe.com/api/events/object). It is kept as the newest version has it.
contents_at("event", lambda event: event.get("api_version"), _previous_attributes)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``data.previous_attributes`` of an ``*.updated`` event: each top-level key whose value
    changed, with its value before the change (``None`` for a key that was absent)."""
    keys = list(after) + [k for k in before if k not in after]
    return {k: copy.deepcopy(before.get(k)) for k in keys if before.get(k) != after.get(k)}


def _matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


@route("GET", "/v1/events/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "event", param="id")


@route("GET", "/v1/events", params={**LIST_PARAMS, "type": Str(), "types": ListOf(item=Str()),
                                    "created": Range(), "delivery_success": Bool()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "type" in params and "types" in params:
        raise InvalidRequest("You may only specify one of these parameters: type, types.",
                             code="parameters_exclusive", param="types")
    patterns = params.get("types") or ([params["type"]] if "type" in params else None)
    if patterns is None:
        from ..listing import store_page

        return store_page(ctx, params, "/v1/events", type="event")

    def fetch(before_seq: int | None, after_seq: int | None, limit: int) -> list[dict]:
        out: list[dict] = []
        cursor_before, cursor_after = before_seq, after_seq
        while len(out) < limit:
            batch = ctx.store.query(type="event", ns=ctx.account, created=params.get("created"),
                                    before_seq=cursor_before, after_seq=cursor_after,
                                    limit=200, ascending=after_seq is not None)
            if not batch:
                break
            out += [e for e in batch if any(_matches(e["type"], p) for p in patterns)]
            last = ctx.store.seq_of(batch[-1]["id"])
            if after_seq is not None:
                cursor_after = last
            else:
                cursor_before = last
        return out[:limit]

    from ..listing import page

    return page(ctx, params, "/v1/events", fetch, kind="event")


@loader("evt")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "event")
    return found[1] if found and ctx.visible(found[0]) else None
