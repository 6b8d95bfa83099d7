"""Accounts v2 (``/v2/core/accounts``): one Account, seen through configurations.

https://docs.stripe.com/api/v2/core/accounts. A v2 Account is the same account v1 sees
(https://docs.stripe.com/connect/accounts-v2: "interoperable with most v1 APIs"): it is
stored once, as the v1 Account object of :mod:`.accounts` in the platform's namespace, so
``transfer_data[destination]``, ``Stripe-Account``, balances and payouts work unchanged. What
only v2 has (its configurations, identity, defaults, closed) is kept beside it, under the
meta key ``v2_account:<id>``; the v2 object is rendered from both on every answer.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound, PermissionDenied
from ..listing import store_v2_page
from ..params import V2_LIST_PARAMS, Bool, Enum, ListOf, Metadata, Obj, Str
from ..registry import route
from ..shapes import build, iso_time, merge_metadata
from . import accounts as v1
from . import thin_events

CONFIGURATIONS = ("customer", "merchant", "recipient")
INCLUDABLE = ("configuration.customer", "configuration.merchant", "configuration.recipient",
              "defaults", "future_requirements", "identity", "requirements")
DASHBOARDS = {"express": "express", "full": "full", "none": "none"}
INCLUDE = ListOf(item=Enum(choices=INCLUDABLE), max_items=len(INCLUDABLE))

WRITABLE: dict[str, Any] = {
    "contact_email": Str(nullable=True),
    "display_name": Str(nullable=True),
    "metadata": Metadata(),
    "identity": Obj(fields={"country": Str(max_length=2),
                            "entity_type": Enum(choices=("company", "government_entity",
                                                         "individual", "non_profit"))}),
    "include": INCLUDE,
}
CREATE = {**WRITABLE, "dashboard": Enum(choices=tuple(DASHBOARDS))}


# -- what v2 keeps beside the v1 account -----------------------------------------------------
def v2_state(ctx: Context, account_id: str) -> dict[str, Any] | None:
    raw = ctx.store.get_meta(f"v2_account:{account_id}")
    return json.loads(raw) if raw else None


def save_v2_state(ctx: Context, account_id: str, state: dict[str, Any]) -> None:
    ctx.store.set_meta(f"v2_account:{account_id}", json.dumps(state, sort_keys=True))


def _find(ctx: Context, account_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The platform's v2 account ``account_id`` (v1 object, v2 state), or a 404: another
    platform's ID, or a v1-only one, answers as unknown."""
    if ctx.is_connected:
        raise PermissionDenied("Connected accounts cannot manage accounts with the Accounts "
                               "v2 API.")
    account = ctx.connected(account_id)
    state = v2_state(ctx, account_id) if account is not None else None
    if account is None or state is None:
        raise NotFound("account", account_id)
    return account, state


# -- the v2 view -------------------------------------------------------------------------------
def render(ctx: Context, account: dict[str, Any], state: dict[str, Any],
           include: list[str] | None = None) -> dict[str, Any]:
    """The v2 Account: what ``include`` names is filled in, the other includable sections
    are null (https://docs.stripe.com/api-v2-overview#include-dependent-response-values)."""
    wanted = set(include or ())
    identity = state.get("identity") or {}
    return build(
        "v2.core.Account",
        id=account["id"], object="v2.core.account",
        applied_configurations=[c for c in CONFIGURATIONS if c in state["configuration"]],
        closed=state.get("closed", False),
        configuration=None, contact_email=account["email"], contact_phone=None,
        created=iso_time(account["created"]), dashboard=state["dashboard"],
        defaults=None, display_name=account["business_profile"]["name"],
        future_requirements=None,
        identity=({"attestations": None, "business_details": None,
                   "country": identity.get("country"),
                   "entity_type": identity.get("entity_type"), "individual": None}
                  if "identity" in wanted else None),
        livemode=False, metadata=account["metadata"], requirements=None,
    )


def _apply(ctx: Context, account: dict[str, Any], state: dict[str, Any],
           params: dict[str, Any]) -> None:
    if "contact_email" in params:
        account["email"] = params["contact_email"]
    if "display_name" in params:
        account["business_profile"]["name"] = params["display_name"]
    if "metadata" in params:
        account["metadata"] = merge_metadata(account["metadata"], params["metadata"])
    if "identity" in params:
        state["identity"] = {**(state.get("identity") or {}), **params["identity"]}
        if params["identity"].get("country"):
            account["country"] = params["identity"]["country"].upper()


# -- HTTP ----------------------------------------------------------------------------------------
@route("POST", "/v2/core/accounts", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        raise PermissionDenied("Connected accounts cannot create accounts.")
    dashboard = params.get("dashboard") or "full"
    identity = params.get("identity") or {}
    account = v1.new_account(ctx, ctx.new_id("acct", 16), {
        "controller": {"stripe_dashboard": {"type": dashboard}},
        "country": identity.get("country") or "US"})
    state: dict[str, Any] = {"dashboard": dashboard, "configuration": {}, "closed": False}
    _apply(ctx, account, state, params)
    ctx.insert(account, ns=ctx.platform)
    save_v2_state(ctx, account["id"], state)
    thin_events.account_changed(ctx, None, render(ctx, account, state, list(INCLUDABLE)))
    return render(ctx, account, state, params.get("include"))


@route("GET", "/v2/core/accounts/<id>", params={"include": INCLUDE})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    account, state = _find(ctx, id)
    return render(ctx, account, state, params.get("include"))


@route("POST", "/v2/core/accounts/<id>", params=WRITABLE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    account, state = _find(ctx, id)
    if state.get("closed"):
        raise InvalidRequest("This account is closed and cannot be updated.", param="id")
    before = copy.deepcopy(account)
    shown_before = copy.deepcopy(render(ctx, account, state, list(INCLUDABLE)))
    _apply(ctx, account, state, params)
    save_v2_state(ctx, id, state)
    v1.save_and_announce(ctx, before, v1.refresh(ctx, account))
    thin_events.account_changed(ctx, shown_before, render(ctx, account, state, list(INCLUDABLE)))
    return render(ctx, account, state, params.get("include"))


@route("GET", "/v2/core/accounts", params={
    **V2_LIST_PARAMS, "closed": Bool(),
    "applied_configurations": ListOf(item=Enum(choices=CONFIGURATIONS), max_items=3)})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's v2 accounts, newest first; closed ones only with ``closed=true``
    (the SDK: "If omitted, returns only Accounts that are not closed")."""
    if ctx.is_connected:
        return {"data": [], "next_page_url": None, "previous_page_url": None}
    closed = params.get("closed", False)
    wanted = set(params.get("applied_configurations") or ())
    states: dict[str, dict[str, Any] | None] = {}

    def state_of(account: dict[str, Any]) -> dict[str, Any] | None:
        if account["id"] not in states:
            states[account["id"]] = v2_state(ctx, account["id"])
        return states[account["id"]]

    def keep(account: dict[str, Any]) -> bool:
        state = state_of(account)
        return (state is not None and bool(state.get("closed")) == closed
                and wanted <= set(state["configuration"]))

    return store_v2_page(ctx, params, "/v2/core/accounts", type="account", ns=ctx.platform,
                         keep=keep, render=lambda a: render(ctx, a, state_of(a) or {}))
