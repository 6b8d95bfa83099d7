"""Accounts v2 (``/v2/core/accounts``): one Account, seen through configurations.

https://docs.stripe.com/api/v2/core/accounts. A v2 Account is the same account v1 sees
(https://docs.stripe.com/connect/accounts-v2/account-creation: Accounts v2 "is interoperable
with most v1 APIs"): it is stored once, as the v1 Account object of :mod:`.accounts` in the
platform's namespace, so ``transfer_data[destination]``, ``Stripe-Account``, balances, payouts
and login links work unchanged, and it is onboarded by the same hosted page. What only v2
has (which configurations and capabilities were asked for, identity and defaults that v1
keeps nowhere, ``closed``) is kept beside it under :func:`accounts.v2_state_key`; the v2
object is rendered from both on every answer.

Capabilities map onto v1's: ``recipient.stripe_balance.stripe_transfers`` is v1
``transfers`` (what a destination charge without ``on_behalf_of`` needs), ``merchant.
card_payments`` is v1 ``card_payments`` (``on_behalf_of``). Their v2 status follows the v1
one: ``restricted`` (status detail ``requirements_past_due`` / ``provide_info``) while
requirements are due, ``active`` once onboarding has supplied them. ``customer.
automatic_indirect_tax`` has no v1 counterpart and no requirements here: it is ``active`` once
requested (the docs list no requirements the emulator could collect for it).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound, PermissionDenied
from ..listing import store_v2_page
from ..params import (
    V2_LIST_PARAMS,
    Bool,
    Custom,
    Enum,
    Int,
    ListOf,
    Metadata,
    Obj,
    Str,
    Url,
)
from ..registry import route
from ..shapes import build, check_currency, iso_time, merge_metadata
from . import accounts as v1
from . import thin_events
from .account_links import account_details

CONFIGURATIONS = ("customer", "merchant", "recipient")
INCLUDABLE = ("configuration.customer", "configuration.merchant", "configuration.recipient",
              "defaults", "future_requirements", "identity", "requirements")
# (configuration, v2 capability) -> the v1 capability it is, or None (v2 only)
CAPABILITIES: dict[tuple[str, str], str | None] = {
    ("recipient", "stripe_balance.stripe_transfers"): "transfers",
    ("merchant", "card_payments"): "card_payments",
    ("customer", "automatic_indirect_tax"): None,
}
# v1 requirement -> the v2 field it names (the requirement entry's ``description``). The
# docs call it a "machine-readable string describing the requirement" and list no values;
# these are the v2 fields that hold what each v1 requirement asks for.
REQUIREMENT_NAMES = {
    "business_profile.mcc": "configuration.merchant.mcc",
    "business_profile.url": "defaults.profile.business_url",
    "business_type": "identity.entity_type",
    "external_account": "defaults.payout_methods",
    "individual.address.city": "identity.individual.address.city",
    "individual.address.line1": "identity.individual.address.line1",
    "individual.address.postal_code": "identity.individual.address.postal_code",
    "individual.address.state": "identity.individual.address.state",
    "individual.dob.day": "identity.individual.date_of_birth.day",
    "individual.dob.month": "identity.individual.date_of_birth.month",
    "individual.dob.year": "identity.individual.date_of_birth.year",
    "individual.email": "identity.individual.email",
    "individual.first_name": "identity.individual.given_name",
    "individual.last_name": "identity.individual.surname",
    "individual.phone": "identity.individual.phone",
    "individual.ssn_last_4": "identity.individual.id_numbers.us_ssn_last_4",
    "tos_acceptance.date": "identity.attestations.terms_of_service.account.date",
    "tos_acceptance.ip": "identity.attestations.terms_of_service.account.ip",
}
ENTITY_TYPES = ("company", "government_entity", "individual", "non_profit")


def _iso_date(value: Any, name: str) -> int:
    """An RFC 3339 timestamp (``2026-12-02T06:20:18.000Z``) as epoch seconds."""
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid {name}: expected an RFC 3339 timestamp",
                             code="parameter_invalid_string", param=name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(value)
        return int(moment.astimezone(timezone.utc).timestamp())
    except (ValueError, OverflowError):
        raise InvalidRequest(f"Invalid {name}: expected an RFC 3339 timestamp such as "
                             "2026-12-02T06:20:18.000Z", param=name) from None


def _requested() -> Obj:
    return Obj(fields={"requested": Bool(required=True)})


ADDRESS = Obj(fields={k: Str(max_length=200) for k in (
    "city", "country", "line1", "line2", "postal_code", "state")})
INDIVIDUAL = Obj(fields={
    "given_name": Str(max_length=100), "surname": Str(max_length=100),
    "email": Str(max_length=800), "phone": Str(max_length=40), "address": ADDRESS,
    "date_of_birth": Obj(fields={"day": Int(required=True, min=1, max=31),
                                 "month": Int(required=True, min=1, max=12),
                                 "year": Int(required=True, min=1900, max=2100)}),
    "id_numbers": ListOf(max_items=5, item=Obj(fields={
        "type": Enum(required=True, choices=("us_ssn_last_4",)),
        "value": Str(required=True, max_length=4)})),
})
IDENTITY = Obj(fields={
    "country": Str(max_length=2), "entity_type": Enum(choices=ENTITY_TYPES),
    "individual": INDIVIDUAL,
    "attestations": Obj(fields={"terms_of_service": Obj(fields={"account": Obj(fields={
        "date": Custom(fn=_iso_date), "ip": Str(max_length=64),
        "user_agent": Str(max_length=500)})})}),
})
DEFAULTS = Obj(fields={
    "currency": Str(max_length=3),
    "locales": ListOf(item=Str(max_length=10), max_items=20),
    "profile": Obj(fields={"business_url": Url(), "doing_business_as": Str(max_length=200),
                           "product_description": Str(max_length=1000)}),
    "responsibilities": Obj(fields={
        "fees_collector": Enum(required=True, choices=(
            "application", "application_custom", "application_express", "stripe")),
        "losses_collector": Enum(required=True, choices=("application", "stripe"))}),
})
CONFIGURATION = Obj(fields={
    "recipient": Obj(fields={"capabilities": Obj(fields={
        "stripe_balance": Obj(fields={"stripe_transfers": _requested()})})}),
    "merchant": Obj(fields={"mcc": Str(max_length=4),
                            "capabilities": Obj(fields={"card_payments": _requested()})}),
    "customer": Obj(fields={"capabilities": Obj(fields={
        "automatic_indirect_tax": _requested()})}),
})
INCLUDE = ListOf(item=Enum(choices=INCLUDABLE), max_items=len(INCLUDABLE))
# Update only: ``configuration.<name>.applied`` "can be updated to deactivate or re-apply a
# configuration" (stripe-python 16, AccountUpdateParams).
UPDATE_CONFIGURATION = Obj(fields={
    name: Obj(fields={**spec.fields, "applied": Bool()})
    for name, spec in CONFIGURATION.fields.items()  # type: ignore[attr-defined]
})
WRITABLE: dict[str, Any] = {
    "contact_email": Str(nullable=True, max_length=800),
    "contact_phone": Str(nullable=True, max_length=40),
    "display_name": Str(nullable=True, max_length=200),
    "dashboard": Enum(choices=("express", "full", "none")),
    "metadata": Metadata(),
    "identity": IDENTITY,
    "defaults": DEFAULTS,
    "configuration": CONFIGURATION,
    "include": INCLUDE,
}
UPDATE = {**WRITABLE, "configuration": UPDATE_CONFIGURATION}
CLOSE = {"applied_configurations": ListOf(item=Enum(choices=CONFIGURATIONS), max_items=3)}


# -- what v2 keeps beside the v1 account -----------------------------------------------------
def v2_state(ctx: Context, account_id: str) -> dict[str, Any] | None:
    raw = ctx.store.get_meta(v1.v2_state_key(account_id))
    return json.loads(raw) if raw else None


def save_v2_state(ctx: Context, account_id: str, state: dict[str, Any]) -> None:
    ctx.store.set_meta(v1.v2_state_key(account_id), json.dumps(state, sort_keys=True))


def find(ctx: Context, account_id: str, param: str = "id") -> tuple[dict, dict]:
    """The platform's v2 account ``account_id`` (v1 object, v2 state), or a 404: another
    platform's ID, or one made with Accounts v1, answers as unknown."""
    if ctx.is_connected:
        raise PermissionDenied("Only the platform can manage its accounts with the Accounts "
                               "v2 API; remove the Stripe-Account header.")
    account = ctx.connected(account_id) if isinstance(account_id, str) else None
    state = v2_state(ctx, account_id) if account is not None else None
    if account is None or state is None:
        raise NotFound("account", str(account_id)[:100], param=param)
    return account, state


def has_configuration(ctx: Context, account_id: str, configuration: str) -> bool:
    """Whether ``account_id`` is a v2 account of the platform with ``configuration``."""
    account = ctx.connected(account_id)
    state = v2_state(ctx, account_id) if account is not None else None
    return state is not None and configuration in applied(state)


def applied(state: dict[str, Any]) -> list[str]:
    """The configurations in force: asked for, not deactivated, the account not closed."""
    if state.get("closed"):
        return []
    return [name for name in CONFIGURATIONS if name in state["configuration"]
            and state["configuration"][name].get("applied", True)]


# -- the v2 view -------------------------------------------------------------------------------
def _status(account: dict[str, Any], configuration: str, name: str) -> dict[str, Any]:
    legacy = CAPABILITIES[(configuration, name)]
    active = account["capabilities"].get(legacy) == "active" if legacy else True
    if active:
        return {"status": "active", "status_details": []}
    return {"status": "restricted", "status_details": [
        {"code": "requirements_past_due", "resolution": "provide_info"}]}


def _configuration(account: dict[str, Any], state: dict[str, Any], name: str) -> dict | None:
    config = state["configuration"].get(name)
    if config is None:
        return None
    caps = {cap: _status(account, name, cap) for cap in config["capabilities"]}
    in_force = name in applied(state)
    if name == "recipient":
        transfers = caps.get("stripe_balance.stripe_transfers")
        return {"applied": in_force, "capabilities": {
            "bank_accounts": None, "cards": None,
            "stripe_balance": ({"payouts": None, "stripe_transfers": transfers}
                               if transfers else None)}}
    if name == "merchant":
        return build("v2.core.Account.Configuration.Merchant", applied=in_force,
                     capabilities=_merchant_capabilities(caps),
                     mcc=account["business_profile"]["mcc"])
    return build("v2.core.Account.Configuration.Customer", applied=in_force,
                 capabilities={"automatic_indirect_tax": caps.get("automatic_indirect_tax")},
                 test_clock=None)


def _merchant_capabilities(caps: dict[str, Any]) -> dict[str, Any]:
    out = build("v2.core.Account.Configuration.Merchant.Capabilities")
    out["card_payments"] = caps.get("card_payments")
    return out


def _requirements(ctx: Context, account: dict[str, Any], state: dict[str, Any]) -> dict:
    """v1's ``currently_due`` as v2 requirement entries: what each restricts, and when.
    Only capabilities that need onboarding (v1's ``transfers``, ``card_payments``) make
    requirements: an account with just the customer configuration has none."""
    restricted = [
        {"capability": cap, "configuration": conf, "deadline": {"status": "currently_due"}}
        for conf in applied(state) for cap in state["configuration"][conf]["capabilities"]
        if CAPABILITIES[(conf, cap)] is not None]
    due = account["requirements"]["currently_due"] if restricted else []
    entries = [{
        "awaiting_action_from": "user", "description": REQUIREMENT_NAMES.get(path, path),
        "errors": [], "impact": {"restricts_capabilities": restricted},
        "minimum_deadline": {"status": "currently_due"}, "reference": None,
        "requested_reasons": [{"code": "routine_onboarding"}]} for path in due]
    summary = {"minimum_deadline": {"status": "currently_due", "time": None}} if due else None
    return {"alternatives": [], "entries": entries, "summary": summary}


def _identity(ctx: Context, account: dict[str, Any], state: dict[str, Any]) -> dict:
    details = account_details(ctx.emulator, account["id"])
    person = details.get("individual") or {}
    tos = account.get("tos_acceptance") or {}
    individual = None
    if person:
        dob = person.get("dob")
        address = person.get("address")
        individual = build(
            "v2.core.Account.Identity.Individual",
            id=f"person_{account['id'][5:]}", object="v2.core.account_person",
            account=account["id"], created=iso_time(account["created"]),
            updated=iso_time(account["created"]),
            given_name=person.get("first_name"), surname=person.get("last_name"),
            email=person.get("email"), phone=person.get("phone"), metadata={},
            address=({k: address.get(k) for k in ("city", "country", "line1", "line2",
                                                   "postal_code", "state")}
                     | {"town": None} if address else None),
            date_of_birth=dob if dob else None,
            id_numbers=([{"type": "us_ssn_last_4"}] if person.get("ssn_last_4") else None))
    attestations = None
    if tos.get("date"):
        attestations = build("v2.core.Account.Identity.Attestations", terms_of_service={
            "account": {"date": iso_time(tos["date"]), "ip": tos.get("ip"),
                        "user_agent": tos.get("user_agent")}})
    return {"attestations": attestations, "business_details": None,
            "country": account["country"],
            "entity_type": account["business_type"], "individual": individual}


def _defaults(account: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    controller = account.get("controller") or {}
    payer = (controller.get("fees") or {}).get("payer")
    profile = account["business_profile"]
    return {
        "currency": account["default_currency"], "locales": state.get("locales") or [],
        "payout_methods": None,
        "profile": {"business_url": profile["url"], "doing_business_as": profile["name"],
                    "product_description": profile["product_description"]},
        "responsibilities": {
            "fees_collector": "stripe" if payer == "account" else payer,
            "losses_collector": (controller.get("losses") or {}).get("payments"),
            "requirements_collector": controller.get("requirement_collection") or "stripe"},
    }


def render(ctx: Context, account: dict[str, Any], state: dict[str, Any],
           include: list[str] | None = None) -> dict[str, Any]:
    """The v2 Account: what ``include`` names is filled in, the other includable sections
    are null, as the SDK's ``include`` docstring has it ("Additional fields to include in
    the response")."""
    wanted = set(include or ())
    configuration = None
    if any(w.startswith("configuration.") for w in wanted):
        configuration = {name: (_configuration(account, state, name)
                                if f"configuration.{name}" in wanted else None)
                         for name in CONFIGURATIONS}
    future = ({"alternatives": [], "entries": [], "minimum_transition_date": None,
               "summary": None} if "future_requirements" in wanted else None)
    return build(
        "v2.core.Account",
        id=account["id"], object="v2.core.account",
        applied_configurations=applied(state),
        closed=bool(state.get("closed")), configuration=configuration,
        contact_email=account["email"], contact_phone=state.get("contact_phone"),
        created=iso_time(account["created"]), dashboard=state["dashboard"],
        defaults=_defaults(account, state) if "defaults" in wanted else None,
        display_name=account["settings"]["dashboard"]["display_name"],
        future_requirements=future,
        identity=_identity(ctx, account, state) if "identity" in wanted else None,
        livemode=False, metadata=account["metadata"],
        requirements=(_requirements(ctx, account, state) if "requirements" in wanted
                      else None),
    )


# -- writes ------------------------------------------------------------------------------------
def _capabilities_asked(params: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """``configuration`` params as {configuration: {v2 capability: requested}}."""
    out: dict[str, dict[str, bool]] = {}
    for conf, body in (params.get("configuration") or {}).items():
        caps = (body or {}).get("capabilities") or {}
        asked: dict[str, bool] = {}
        for name, spec in caps.items():
            if name == "stripe_balance":
                for sub, inner in spec.items():
                    asked[f"stripe_balance.{sub}"] = inner["requested"]
            else:
                asked[name] = spec["requested"]
        out[conf] = asked
    return out


def _apply(ctx: Context, account: dict[str, Any], state: dict[str, Any],
           params: dict[str, Any]) -> None:
    """Write v2 params into the one account: v1's fields where v1 has them (so v1 reads the
    same values), the v2 state otherwise."""
    legacy: dict[str, Any] = {}
    if "contact_email" in params:
        account["email"] = params["contact_email"]
    if "contact_phone" in params:
        state["contact_phone"] = params["contact_phone"]
    if "display_name" in params:
        account["settings"]["dashboard"]["display_name"] = params["display_name"]
    if "metadata" in params:
        account["metadata"] = merge_metadata(account["metadata"], params["metadata"])
    identity = params.get("identity") or {}
    if identity.get("country"):
        account["country"] = identity["country"].upper()
    if identity.get("entity_type"):
        account["business_type"] = identity["entity_type"]
    person = identity.get("individual") or {}
    if person:
        individual: dict[str, Any] = {}
        for ours, theirs in (("given_name", "first_name"), ("surname", "last_name"),
                             ("email", "email"), ("phone", "phone"), ("address", "address")):
            if ours in person:
                individual[theirs] = person[ours]
        if "date_of_birth" in person:
            individual["dob"] = person["date_of_birth"]
        for number in person.get("id_numbers") or []:
            individual["ssn_last_4"] = number["value"]
        legacy["individual"] = individual
    tos = ((identity.get("attestations") or {}).get("terms_of_service") or {}).get("account")
    if tos:
        legacy["tos_acceptance"] = {k: v for k, v in tos.items() if v is not None}
    defaults = params.get("defaults") or {}
    if defaults.get("currency"):
        account["default_currency"] = check_currency(defaults["currency"],
                                                     "defaults[currency]")
    if "locales" in defaults:
        state["locales"] = defaults["locales"]
    profile = defaults.get("profile") or {}
    for ours, theirs in (("business_url", "url"), ("doing_business_as", "name"),
                         ("product_description", "product_description")):
        if ours in profile:
            account["business_profile"][theirs] = profile[ours]
    duties = defaults.get("responsibilities")
    if duties:
        collector = duties["fees_collector"]
        account["controller"]["fees"] = {"payer": "account" if collector == "stripe"
                                         else collector}
        account["controller"]["losses"] = {"payments": duties["losses_collector"]}
    merchant = (params.get("configuration") or {}).get("merchant") or {}
    if "mcc" in merchant:
        account["business_profile"]["mcc"] = merchant["mcc"]
    for conf, asked in _capabilities_asked(params).items():
        config = state["configuration"].setdefault(conf, {"capabilities": []})
        if "applied" in ((params.get("configuration") or {}).get(conf) or {}):
            config["applied"] = params["configuration"][conf]["applied"]
        for name, requested in asked.items():
            if requested and name not in config["capabilities"]:
                config["capabilities"].append(name)
            elif not requested and name in config["capabilities"]:
                config["capabilities"].remove(name)
    if "dashboard" in params:
        state["dashboard"] = params["dashboard"]
        account["controller"]["stripe_dashboard"] = {"type": params["dashboard"]}
        account["type"] = _legacy_type(params["dashboard"])
    if legacy:
        v1._apply(ctx, account, legacy)
    _sync_capabilities(account, state)


def _sync_capabilities(account: dict[str, Any], state: dict[str, Any]) -> None:
    """The v1 capabilities are exactly those the configurations ask for (statuses kept)."""
    wanted = {CAPABILITIES[(conf, cap)] for conf in applied(state)
              for cap in state["configuration"][conf]["capabilities"]} - {None}
    for name in list(account["capabilities"]):
        if name not in wanted:
            del account["capabilities"][name]
    for name in sorted(wanted):
        account["capabilities"].setdefault(name, "inactive")


def _legacy_type(dashboard: str) -> str:
    """What v1 calls the account: the type its dashboard implies, as for a v1 account made
    with controller properties (``accounts.new_account``). The docs do not say what
    ``type`` Stripe shows in v1 for an account made with Accounts v2."""
    return {"express": "express", "full": "standard", "none": "custom"}[dashboard]


# -- HTTP ----------------------------------------------------------------------------------------
@route("POST", "/v2/core/accounts", params=WRITABLE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        raise PermissionDenied("Only the platform can create accounts; remove the "
                               "Stripe-Account header.")
    dashboard = params.get("dashboard") or "full"
    identity = params.get("identity") or {}
    account = v1.new_account(ctx, ctx.new_id("acct", 16), {
        "controller": {"stripe_dashboard": {"type": dashboard}},
        "country": identity.get("country") or "US"})
    state: dict[str, Any] = {"dashboard": dashboard, "configuration": {}, "closed": False}
    _apply(ctx, account, state, params)
    v1.refresh(ctx, account)
    ctx.insert(account, ns=ctx.platform)
    save_v2_state(ctx, account["id"], state)
    thin_events.account_changed(ctx, None, render(ctx, account, state, list(INCLUDABLE)))
    return render(ctx, account, state, params.get("include"))


@route("GET", "/v2/core/accounts/<id>", params={"include": INCLUDE})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    account, state = find(ctx, id)
    return render(ctx, account, state, params.get("include"))


@route("POST", "/v2/core/accounts/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    account, state = find(ctx, id)
    if state.get("closed"):
        raise InvalidRequest("This account is closed and cannot be updated.", param="id")
    before = copy.deepcopy(account)
    shown_before = copy.deepcopy(render(ctx, account, state, list(INCLUDABLE)))
    _apply(ctx, account, state, params)
    save_v2_state(ctx, id, state)
    v1.save_and_announce(ctx, before, v1.refresh(ctx, account))
    thin_events.account_changed(ctx, shown_before,
                                render(ctx, account, state, list(INCLUDABLE)))
    return render(ctx, account, state, params.get("include"))


@route("POST", "/v2/core/accounts/<id>/close", params=CLOSE)
def close(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Close the account. The SDK: "All configurations on the Account must be passed in for
    this request to succeed"; when given, they must name every configuration it has."""
    account, state = find(ctx, id)
    given = params.get("applied_configurations")
    if given is not None and set(given) != set(state["configuration"]):
        raise InvalidRequest(
            "applied_configurations must list every configuration on the Account: "
            + (", ".join(sorted(state["configuration"])) or "none"),
            param="applied_configurations")
    if not state.get("closed"):
        before = copy.deepcopy(account)
        shown_before = copy.deepcopy(render(ctx, account, state, list(INCLUDABLE)))
        state["closed"] = True
        save_v2_state(ctx, id, state)
        for name in list(account["capabilities"]):
            account["capabilities"][name] = "inactive"
        account["charges_enabled"] = account["payouts_enabled"] = False
        v1.save_and_announce(ctx, before, account)
        thin_events.account_changed(ctx, shown_before,
                                    render(ctx, account, state, list(INCLUDABLE)))
    return render(ctx, account, state)


@route("GET", "/v2/core/accounts", params={
    **V2_LIST_PARAMS, "closed": Bool(),
    "applied_configurations": ListOf(item=Enum(choices=CONFIGURATIONS), max_items=3)})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's v2 accounts, newest first. The SDK: ``closed`` "If omitted, returns
    only Accounts that are not closed"; ``applied_configurations`` keeps "only accounts that
    have all of the configurations specified"."""
    if ctx.is_connected:
        raise PermissionDenied("Only the platform can list its accounts; remove the "
                               "Stripe-Account header.")
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
                and wanted <= set(applied(state) if not closed else state["configuration"]))

    return store_v2_page(ctx, params, "/v2/core/accounts", type="account", ns=ctx.platform,
                         keep=keep, render=lambda a: render(ctx, a, state_of(a) or {}))


def _announce_saved(ctx: Context, before: dict[str, Any], after: dict[str, Any]) -> None:
    """A v2 account changed through v1's paths (hosted onboarding, the onboarding control,
    ``POST /v1/accounts/{id}``): the same change as thin events. Both sides are rendered
    with today's v2 state; what changed in it is reported by the v2 route that changed it
    (one request's reports of one account become one event: thin_events)."""
    state = v2_state(ctx, after["id"])
    if state is None:
        return
    thin_events.account_changed(ctx, render(ctx, before, state, list(INCLUDABLE)),
                                render(ctx, after, state, list(INCLUDABLE)))


v1.saved_hooks.append(_announce_saved)
