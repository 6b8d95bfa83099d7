"""Account and Capability: the platform itself and its connected accounts (homeowners).

Requirements follow Stripe's model (https://docs.stripe.com/connect/required-verification-information):
what is not yet supplied is ``currently_due``; capabilities turn ``active`` when nothing is
due; ``charges_enabled``/``payouts_enabled`` follow the capabilities and the bank account.
Express accounts supply their details in Stripe-hosted onboarding; custom accounts supply
them through the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound, PermissionDenied
from ..listing import store_page
from ..params import (
    LIST_PARAMS,
    Bool,
    Enum,
    HexColor,
    Int,
    Metadata,
    Obj,
    Range,
    Str,
    ascii_int,
)
from ..registry import loader, on_new_platform, route
from ..shapes import build, merge_metadata
from .events import changes

CAPABILITIES = ("card_payments", "transfers")
# What a US individual must supply for card_payments + transfers.
REQUIRED = (
    "business_profile.mcc", "business_profile.url", "business_type", "external_account",
    "individual.address.city", "individual.address.line1", "individual.address.postal_code",
    "individual.address.state", "individual.dob.day", "individual.dob.month",
    "individual.dob.year", "individual.email", "individual.first_name",
    "individual.last_name", "individual.phone", "individual.ssn_last_4",
    "tos_acceptance.date", "tos_acceptance.ip",
)
# What a US company must supply (https://docs.stripe.com/connect/required-verification-information,
# United States, company, card_payments + transfers): the company's name, address, phone and
# tax ID, that its owners have been provided, and a representative. The emulator asks of
# the representative what it asks of an individual, plus a title; of each owner, a name, an
# email, a date of birth, an address and the last 4 of an SSN. Before a representative
# exists the fields are listed as ``representative.<field>``; afterwards, as Stripe lists a
# known person's, ``person_….<field>`` (and on the Person, its own ``requirements``).
COMPANY_REQUIRED = (
    "business_profile.mcc", "business_profile.url", "business_type",
    "company.address.city", "company.address.line1", "company.address.postal_code",
    "company.address.state", "company.name", "company.owners_provided", "company.phone",
    "company.tax_id", "external_account", "tos_acceptance.date", "tos_acceptance.ip",
)
PERSON_ADDRESS_DOB = (
    "address.city", "address.line1", "address.postal_code", "address.state", "dob.day",
    "dob.month", "dob.year")
REPRESENTATIVE_FIELDS = tuple(sorted((*PERSON_ADDRESS_DOB, "email", "first_name",
                                      "last_name", "phone", "relationship.title",
                                      "ssn_last_4")))
OWNER_FIELDS = tuple(sorted((*PERSON_ADDRESS_DOB, "email", "first_name", "last_name",
                             "ssn_last_4")))
COMPANY_TYPES = ("company", "non_profit", "government_entity")
TEST_BANK = {"country": "US", "currency": "usd", "routing_number": "110000000",
             "account_number": "000123456789", "account_holder_type": "individual"}

ADDRESS = Obj(fields={k: Str() for k in ("city", "country", "line1", "line2", "postal_code",
                                          "state")})
INDIVIDUAL = Obj(fields={
    "address": ADDRESS, "dob": Obj(fields={"day": Int(), "month": Int(), "year": Int()}),
    "email": Str(), "first_name": Str(), "last_name": Str(), "phone": Str(),
    "ssn_last_4": Str(), "id_number": Str(), "metadata": Metadata()})
DECLARATION = Obj(fields={"date": Int(), "ip": Str(), "user_agent": Str()})
COMPANY = Obj(fields={
    "address": ADDRESS, "name": Str(), "phone": Str(), "tax_id": Str(), "vat_id": Str(),
    "registration_number": Str(), "owners_provided": Bool(), "directors_provided": Bool(),
    "executives_provided": Bool(), "structure": Str(), "ownership_declaration": DECLARATION,
    "verification": Obj(fields={"document": Obj(fields={"front": Str(), "back": Str()})}),
})
BANK = Obj(fields={"object": Enum(choices=("bank_account",)), "country": Str(),
                   "currency": Str(), "routing_number": Str(), "account_number": Str(),
                   "account_holder_name": Str(),
                   "account_holder_type": Enum(choices=("individual", "company"))})
WRITABLE = {
    "email": Str(),
    "business_type": Enum(choices=("individual", "company", "non_profit",
                                   "government_entity")),
    "business_profile": Obj(fields={k: Str() for k in (
        "mcc", "url", "name", "product_description", "support_email", "support_phone",
        "support_url")}),
    "capabilities": Obj(fields={c: Obj(fields={"requested": Bool()}) for c in CAPABILITIES}),
    "individual": INDIVIDUAL,
    "company": COMPANY,
    "tos_acceptance": Obj(fields={"date": Int(), "ip": Str(), "user_agent": Str(),
                                  "service_agreement": Enum(choices=("full", "recipient"))}),
    "external_account": Str(),
    "metadata": Metadata(),
    "default_currency": Str(),
    "settings": Obj(fields={
        "payouts": Obj(fields={
            "schedule": Obj(fields={
                "interval": Enum(choices=("daily", "weekly", "monthly", "manual")),
                "delay_days": Str(), "weekly_anchor": Enum(choices=(
                    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                    "sunday")), "monthly_anchor": Int(min=1, max=31)}),
            "statement_descriptor": Str(max_length=22),
            "debit_negative_balances": Bool()}),
        "payments": Obj(fields={"statement_descriptor": Str(max_length=22)}),
        "card_payments": Obj(fields={"statement_descriptor_prefix": Str(max_length=10)}),
        # Colours end up in the hosted pages' <style>: only #rrggbb gets in.
        "branding": Obj(fields={"icon": Str(), "logo": Str(),
                                "primary_color": HexColor(nullable=True),
                                "secondary_color": HexColor(nullable=True)}),
    }),
}
CREATE = {
    **WRITABLE,
    "type": Enum(choices=("express", "standard", "custom")),
    "country": Str(),
    "controller": Obj(fields={
        "fees": Obj(fields={"payer": Enum(choices=("account", "application"))}),
        "losses": Obj(fields={"payments": Enum(choices=("application", "stripe"))}),
        "requirement_collection": Enum(choices=("application", "stripe")),
        "stripe_dashboard": Obj(fields={"type": Enum(choices=("express", "full", "none"))}),
    }),
}


# -- model ----------------------------------------------------------------------------------
def _get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _supplied(account: dict[str, Any], details: dict[str, Any]) -> set[str]:
    out = set()
    for path in REQUIRED:
        if path == "external_account":
            if account["external_accounts"]["data"]:
                out.add(path)
        elif path.startswith(("business_profile", "business_type")):
            if _get_path(account, path):
                out.add(path)
        elif _get_path(details, path) not in (None, ""):
            out.add(path)
    return out


def _requirements(due: list[str]) -> dict[str, Any]:
    return {"alternatives": [], "current_deadline": None, "currently_due": due,
            "disabled_reason": "requirements.past_due" if due else None, "errors": [],
            "eventually_due": due, "past_due": due, "pending_verification": []}


def persons_of(ctx: Context, account_id: str) -> list[dict[str, Any]]:
    """An account's persons, oldest first."""
    return ctx.store.query(type="person", parent=account_id, limit=1000, ascending=True)


def person_due(person: dict[str, Any]) -> list[str]:
    """What ``person`` still has to supply for its roles (representative, owner)."""
    relationship = person.get("relationship") or {}
    needed: set[str] = set()
    if relationship.get("representative"):
        needed.update(REPRESENTATIVE_FIELDS)
    if relationship.get("owner"):
        needed.update(OWNER_FIELDS)
    due = []
    for path in sorted(needed):
        if path == "ssn_last_4":
            if not (person.get("ssn_last_4_provided") or person.get("id_number_provided")):
                due.append(path)
        elif _get_path(person, path) in (None, ""):
            due.append(path)
    return due


def _company_due(ctx: Context, account: dict[str, Any]) -> list[str]:
    """The company's own fields, then its persons': see :data:`COMPANY_REQUIRED`."""
    company = account.get("company") or {}
    due = []
    for path in COMPANY_REQUIRED:
        if path == "external_account":
            done = bool(account["external_accounts"]["data"])
        elif path == "company.owners_provided":
            done = bool(company.get("owners_provided"))
        elif path == "company.tax_id":
            done = bool(company.get("tax_id_provided"))
        elif path.startswith("company."):
            done = _get_path({"company": company}, path) not in (None, "")
        else:
            done = _get_path(account, path) not in (None, "")
        if not done:
            due.append(path)
    persons = persons_of(ctx, account["id"])
    if not any((p.get("relationship") or {}).get("representative") for p in persons):
        due += [f"representative.{f}" for f in REPRESENTATIVE_FIELDS]
    for person in persons:
        missing = person_due(person)
        due += [f"{person['id']}.{f}" for f in missing]
    return sorted(due)


def _person_requirements(due: list[str]) -> dict[str, Any]:
    return {"alternatives": [], "currently_due": due, "errors": [], "eventually_due": due,
            "past_due": due, "pending_verification": []}


def refresh(ctx: Context, account: dict[str, Any]) -> dict[str, Any]:
    """Recompute requirements, capabilities and the enabled flags from what is supplied."""
    if account["id"] == ctx.platform and account.get("type") == "standard" \
            and account["controller"].get("type") == "account":
        return account  # the platform's own account: verified, it holds the keys
    details = ctx.store.get_meta(f"account_details:{account['id']}")
    import json

    if account.get("business_type") in COMPANY_TYPES:
        due = _company_due(ctx, account)
    else:
        supplied = _supplied(account, json.loads(details) if details else {})
        due = [p for p in REQUIRED if p not in supplied]
    account["requirements"] = _requirements(due)
    account["future_requirements"] = {**_requirements([]), "disabled_reason": None}
    for name in list(account["capabilities"]):
        account["capabilities"][name] = "inactive" if due else "active"
    if is_closed(ctx, account["id"]):
        # "Closed Accounts can no longer be operated on"
        # (https://docs.stripe.com/api/v2/core/accounts/close): nothing supplied later (a v1
        # update, onboarding) turns a closed account's capabilities back on
        due = due or ["closed"]
        for name in list(account["capabilities"]):
            account["capabilities"][name] = "inactive"
    caps = account["capabilities"]
    account["charges_enabled"] = caps.get("card_payments") == "active"
    account["payouts_enabled"] = not due
    if not due:
        account["details_submitted"] = True
    return account


def is_closed(ctx: Context, account_id: str) -> bool:
    """Whether ``account_id`` is an Accounts v2 account that was closed."""
    import json

    raw = ctx.store.get_meta(v2_state_key(account_id))
    return bool(raw and json.loads(raw).get("closed"))


def _merge_details(ctx: Context, account_id: str, params: dict[str, Any]) -> None:
    import json

    raw = ctx.store.get_meta(f"account_details:{account_id}")
    details = json.loads(raw) if raw else {}
    for key in ("individual", "tos_acceptance"):
        if key in params:
            details[key] = _deep_merge(details.get(key, {}), params[key])
    ctx.store.set_meta(f"account_details:{account_id}", json.dumps(details))


def _deep_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        out[key] = _deep_merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def bank_account(ctx: Context, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
    number = data.get("account_number", TEST_BANK["account_number"])
    return {
        "id": ctx.new_id("ba"), "object": "bank_account", "account": account_id,
        "account_holder_name": data.get("account_holder_name"),
        "account_holder_type": data.get("account_holder_type", "individual"),
        "account_type": None, "available_payout_methods": ["standard", "instant"],
        "bank_name": "STRIPE TEST BANK", "country": data.get("country", "US"),
        "currency": data.get("currency", "usd"), "default_for_currency": True,
        "fingerprint": ctx.token(16), "future_requirements": None, "last4": number[-4:],
        "metadata": {}, "requirements": None,
        "routing_number": data.get("routing_number", TEST_BANK["routing_number"]),
        "status": "new",
    }


# Stripe's Connect test bank tokens and the account numbers behind them
# (https://docs.stripe.com/connect/testing#payouts).
TEST_BANK_TOKENS = {
    "btok_us_verified": "000123456789",
    "btok_us_verified_noAccount": "000111111116",
    "btok_us_verified_accountClosed": "000111111113",
    "btok_us_verified_insufficientFunds": "000222222227",
    "btok_us_verified_debitNotAuthorized": "000333333335",
    "btok_us_verified_invalidCurrency": "000444444440",
}


def add_external_account(ctx: Context, account: dict[str, Any], token: str) -> None:
    if not token.startswith(("btok_", "tok_")):
        raise InvalidRequest(f"No such token: '{token}'", code="resource_missing",
                             param="external_account")
    number = TEST_BANK_TOKENS.get(token, TEST_BANK["account_number"])
    bank = bank_account(ctx, account["id"], {**TEST_BANK, "account_number": number})
    ctx.store.set_meta(f"bank_number:{bank['id']}", number)
    for existing in account["external_accounts"]["data"]:
        existing["default_for_currency"] = False
    account["external_accounts"]["data"].insert(0, bank)


def _apply(ctx: Context, account: dict[str, Any], params: dict[str, Any]) -> None:
    for key in ("email", "business_type", "default_currency"):
        if key in params:
            account[key] = params[key]
    if "business_profile" in params:
        account["business_profile"].update(params["business_profile"])
    if account.get("business_type") in COMPANY_TYPES or "company" in params:
        _apply_company(account, params.get("company") or {})
    if "metadata" in params:
        account["metadata"] = merge_metadata(account["metadata"], params["metadata"])
    for name, spec in (params.get("capabilities") or {}).items():
        if spec.get("requested"):
            account["capabilities"].setdefault(name, "inactive")
        else:
            account["capabilities"].pop(name, None)
    if "settings" in params:
        settings = params["settings"]
        payouts = settings.get("payouts", {})
        schedule = account["settings"]["payouts"]["schedule"]
        if "schedule" in payouts:
            new = payouts["schedule"]
            if "delay_days" in new:
                if new["delay_days"] == "minimum":
                    new["delay_days"] = 2
                elif (days := ascii_int(new["delay_days"])) is not None and days >= 0:
                    new["delay_days"] = days
                else:
                    raise InvalidRequest(
                        "Invalid settings[payouts][schedule][delay_days]: must be an integer "
                        "or `minimum`", param="settings[payouts][schedule][delay_days]")
            schedule.update(new)
        for key in ("statement_descriptor", "debit_negative_balances"):
            if key in payouts:
                account["settings"]["payouts"][key] = payouts[key]
        if "branding" in settings:
            account["settings"]["branding"].update(settings["branding"])
        for group in ("payments", "card_payments"):
            account["settings"][group].update(settings.get(group) or {})
    if "tos_acceptance" in params:
        account["tos_acceptance"] = {**(account["tos_acceptance"] or {}),
                                     **params["tos_acceptance"]}
    if "external_account" in params:
        add_external_account(ctx, account, params["external_account"])
    _merge_details(ctx, account["id"], params)


def _fee_payer(kind: str, *, typed: bool) -> str:
    """``controller.fees.payer`` (stripe-python 16: account, application, application_custom,
    application_express). An account made with ``type`` gets the set of controller
    properties its type maps to (https://docs.stripe.com/connect/migrate-to-controller-properties):
    Express and Custom accounts keep their legacy fee billing, ``application_express`` and
    ``application_custom``; Standard accounts pay their own, ``account``. An account made
    with ``controller`` has what was asked, ``account`` by default (AccountCreateParams), and
    ``application`` for an Express Dashboard, whose platform pays Stripe's fees."""
    if typed:
        return {"express": "application_express", "custom": "application_custom"}.get(
            kind, "account")
    return "application" if kind == "express" else "account"


def _apply_company(account: dict[str, Any], params: dict[str, Any]) -> None:
    """``company[...]`` onto ``Account.company``. Tax and VAT IDs are secrets Stripe never
    returns: only that they were provided (``tax_id_provided``, ``vat_id_provided``)."""
    company = account.get("company") or {
        "address": dict.fromkeys(("city", "country", "line1", "line2", "postal_code",
                                  "state")),
        "directors_provided": False, "executives_provided": False, "name": None,
        "owners_provided": False, "ownership_declaration": None, "phone": None,
        "structure": None, "tax_id_provided": False, "vat_id_provided": False,
        "verification": {"document": dict.fromkeys(("back", "details", "details_code",
                                                    "front"))},
    }
    for key, value in params.items():
        if key == "address":
            company["address"].update(value)
        elif key in ("tax_id", "vat_id"):
            company[f"{key}_provided"] = bool(value)
        elif key == "registration_number":
            continue  # kept by Stripe, shown nowhere on the Account
        elif key == "ownership_declaration":
            company[key] = {"date": None, "ip": None, "user_agent": None,
                            **(company.get(key) or {}), **value}
        elif key == "verification":
            company[key]["document"].update(value.get("document") or {})
        else:
            company[key] = value
    account["company"] = company


def new_account(ctx: Context, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    controller = params.get("controller") or {}
    kind = params.get("type")
    if kind and controller:
        raise InvalidRequest("You cannot specify both `type` and `controller`.",
                             code="parameters_exclusive", param="controller")
    if not kind:
        dashboard = (controller.get("stripe_dashboard") or {}).get("type", "full")
        kind = {"express": "express", "full": "standard", "none": "custom"}[dashboard]
    country = (params.get("country") or "US").upper()
    account = build(
        "Account",
        id=account_id, object="account", type=kind, business_type=None,
        business_profile={"annual_revenue": None, "estimated_worker_count": None, "mcc": None,
                          "minority_owned_business_designation": None,
                          "monthly_estimated_revenue": {"amount": 0, "currency": "usd"},
                          "name": None, "product_description": None, "support_address": None,
                          "support_email": None, "support_phone": None, "support_url": None,
                          "url": None},
        capabilities={}, charges_enabled=False, country=country, created=ctx.now(),
        controller={
            "fees": {"payer": _fee_payer(kind, typed=bool(params.get("type")))},
            "is_controller": True,
            "losses": {"payments": "application" if kind in ("express", "custom") else "stripe"},
            "requirement_collection": "application" if kind == "custom" else "stripe",
            "stripe_dashboard": {"type": {"express": "express", "standard": "full",
                                          "custom": "none"}[kind]},
            "type": "application",
            **{k: v for k, v in controller.items() if k != "stripe_dashboard"},
        },
        default_currency="usd", details_submitted=False, email=None,
        external_accounts={"object": "list", "data": [], "has_more": False,
                           "url": f"/v1/accounts/{account_id}/external_accounts"},
        metadata={}, payouts_enabled=False,
        settings={
            "branding": {"icon": None, "logo": None, "primary_color": None,
                         "secondary_color": None},
            "card_payments": {"statement_descriptor_prefix": None},
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
            "payouts": {"debit_negative_balances": kind != "standard",
                        "schedule": {"delay_days": 2, "interval": "daily"},
                        "statement_descriptor": None},
        },
        tos_acceptance={"date": None, "ip": None, "user_agent": None},
    )
    _apply(ctx, account, params)
    return refresh(ctx, account)


@on_new_platform
def create_platform_account(ctx: Context) -> None:
    """Each secret key is a platform: give it an Account and an OAuth client_id."""
    account = new_account(ctx, ctx.platform, {"type": "standard"})
    account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                   business_type="company", email="platform@connect-lab.test",
                   requirements=_requirements([]))
    account["business_profile"]["name"] = "Connect Lab Rentals"
    account["settings"]["payments"]["statement_descriptor"] = "CONNECT LAB"
    account["capabilities"] = {"card_payments": "active", "transfers": "active"}
    account["controller"] = {"type": "account"}
    # The platform's own bank account (Stripe's test bank). Its payouts are manual here so
    # the tutorial can watch the platform's balance grow; Account.update can change that.
    bank = bank_account(ctx, ctx.platform, TEST_BANK)
    account["external_accounts"]["data"].append(bank)
    ctx.store.set_meta(f"bank_number:{bank['id']}", TEST_BANK["account_number"])
    account["settings"]["payouts"]["schedule"] = {"delay_days": 2, "interval": "manual"}
    ctx.insert(account, ns=ctx.platform)
    ctx.store.set_meta(f"client_id:{ctx.platform}", ctx.new_id("ca", 32))


def complete_onboarding(
    ctx: Context, account: dict[str, Any], supplied: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What a homeowner finishing Stripe-hosted onboarding supplies: every requirement.

    ``supplied`` is what they typed into a hosted form (keys ``individual``,
    ``business_profile``, ``bank``, ``tos_acceptance``); Stripe's test values fill the rest.
    A company gets its name, address, phone and tax ID, ``owners_provided``, and a
    representative (the ``individual`` values) if it has none; each person's missing
    fields are filled with test values too.
    """
    import json

    supplied = supplied or {}
    if account["business_type"] is None:
        account["business_type"] = "individual"
    profile = account["business_profile"]
    profile["mcc"] = profile["mcc"] or "6513"  # real estate agents and managers - rentals
    profile["url"] = ((supplied.get("business_profile") or {}).get("url") or profile["url"]
                      or "https://connect-lab.test/homeowner")
    if supplied.get("bank"):
        account["external_accounts"]["data"] = [
            bank_account(ctx, account["id"], {**TEST_BANK, **supplied["bank"]})]
    if not account["external_accounts"]["data"]:
        account["external_accounts"]["data"].append(bank_account(ctx, account["id"], TEST_BANK))
    details = {
        "individual": _deep_merge({
            "address": {"city": "San Francisco", "line1": "address_full_match",
                        "postal_code": "94111", "state": "CA"},
            "dob": {"day": 1, "month": 1, "year": 1901}, "email": account["email"] or
            "homeowner@example.com", "first_name": "Test", "last_name": "Homeowner",
            "phone": "0000000000", "ssn_last_4": "0000"}, supplied.get("individual") or {}),
        "tos_acceptance": {"date": ctx.now(), "ip": "127.0.0.1",
                           **(supplied.get("tos_acceptance") or {})},
    }
    if account["email"] is None:
        account["email"] = details["individual"]["email"]
    ctx.store.set_meta(f"account_details:{account['id']}", json.dumps(details))
    account["tos_acceptance"] = {"user_agent": None, **details["tos_acceptance"]}
    if account["business_type"] in COMPANY_TYPES:
        from . import persons

        company = account.get("company") or {}
        test_address = {k: v for k, v in details["individual"]["address"].items()
                        if not (company.get("address") or {}).get(k)}
        _apply_company(account, {
            "address": test_address,
            "name": company.get("name") or profile.get("name") or "Test Company",
            "phone": company.get("phone") or "0000000000", "tax_id": "000000000",
            "owners_provided": True})
        persons.complete_for_company(ctx, account, details["individual"])
    if ctx.store.get_meta(v2_state_key(account["id"])) is None:
        # An Accounts v2 account has the capabilities its configurations ask for
        # (core_accounts); onboarding it requests no others.
        for name in CAPABILITIES:
            account["capabilities"].setdefault(name, "inactive")
    return refresh(ctx, account)


def v2_state_key(account_id: str) -> str:
    """Where :mod:`.core_accounts` keeps what only Accounts v2 has of an account (its
    configurations...): named here, beside the account, so onboarding can tell the two apart."""
    return f"v2_account:{account_id}"


def card_statement_descriptor(ctx: Context, account_id: str, suffix: str | None) -> str | None:
    """``calculated_statement_descriptor`` of a card charge settled by ``account_id``.

    Whose static part: the connected account's for direct charges and for destination
    charges with ``on_behalf_of``, the platform's for destination charges without it
    (https://docs.stripe.com/connect/statement-descriptors); callers pass that account. The
    static part is ``settings.payments.statement_descriptor``, else the account's business or
    legal name (https://docs.stripe.com/changelog/2019-02-19/changes-statement-descriptor-behaviors-charges).
    A ``statement_descriptor_suffix`` joins the prefix (``settings.card_payments.
    statement_descriptor_prefix``, else the static descriptor) as ``PREFIX* SUFFIX``, the
    prefix cut so the whole stays within 22 characters (stripe-python 16,
    AccountCreateParams settings.payments.statement_descriptor)."""
    found = ctx.store.get(account_id)
    account = found[1] if found and found[1].get("object") == "account" else {}
    settings = account.get("settings") or {}
    static = (settings.get("payments") or {}).get("statement_descriptor") \
        or (account.get("business_profile") or {}).get("name") or _legal_name(ctx, account_id)
    if not suffix:
        return static[:22] if static else None
    prefix = (settings.get("card_payments") or {}).get("statement_descriptor_prefix") or static
    if not prefix:
        return suffix[:22]
    tail = f"* {suffix}"
    return prefix[:max(0, 22 - len(tail))] + tail if len(prefix + tail) > 22 else prefix + tail


def _legal_name(ctx: Context, account_id: str) -> str | None:
    """An individual's name, as supplied during onboarding (kept apart from the Account)."""
    raw = ctx.store.get_meta(f"account_details:{account_id}")
    person = (json.loads(raw) if raw else {}).get("individual") or {}
    name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    return name or None


def display_name(account: dict[str, Any]) -> str:
    """The name Stripe shows for a platform (hosted pages, its OAuth Application): the
    Dashboard display name, else the business name."""
    settings = account.get("settings") or {}
    return ((settings.get("dashboard") or {}).get("display_name")
            or (account.get("business_profile") or {}).get("name") or "Your platform")


def _own(ctx: Context, account_id: str) -> dict[str, Any] | None:
    """The platform's own account or one of its connected accounts."""
    if account_id != ctx.platform:
        return ctx.connected(account_id)
    found = ctx.find(account_id, "account")
    return found[1] if found else None


def _connected(ctx: Context, account_id: str) -> dict[str, Any]:
    account = _own(ctx, account_id)
    if account is None:
        raise PermissionDenied(
            f"The provided key does not have access to account '{account_id}' (or that account "
            "does not exist). Application access may have been revoked.",
            code="account_invalid")
    if ctx.is_connected and account_id != ctx.account:
        raise PermissionDenied("A connected account cannot read another account.",
                               code="account_invalid")
    return account


# (ctx, before, after) for every account saved by save_and_announce
saved_hooks: list[Callable[[Context, dict[str, Any], dict[str, Any]], None]] = []


def save_and_announce(ctx: Context, before: dict[str, Any], account: dict[str, Any]) -> dict:
    """Save ``account`` and emit what changed since ``before``: ``account.updated``, then
    ``account.external_account.created``/``deleted`` for bank accounts that came or went, then
    ``capability.updated`` for each capability whose status moved. All on the account itself
    (https://docs.stripe.com/connect/webhooks). Then ``saved_hooks`` hear of it (Accounts v2
    reports the same change as thin events)."""
    ctx.save(account)
    for hook in saved_hooks:
        hook(ctx, before, account)
    previous = changes(before, account)
    if previous:
        ctx.emit("account.updated", account, previous, account=account["id"])
    old_banks = {b["id"]: b for b in before["external_accounts"]["data"]}
    new_banks = {b["id"]: b for b in account["external_accounts"]["data"]}
    for bank_id, bank in new_banks.items():
        if bank_id not in old_banks:
            ctx.emit("account.external_account.created", bank, account=account["id"])
    for bank_id, bank in old_banks.items():
        if bank_id not in new_banks:
            ctx.emit("account.external_account.deleted", bank, account=account["id"])
    old_caps, new_caps = before["capabilities"], account["capabilities"]
    for name in sorted(set(old_caps) | set(new_caps)):
        if old_caps.get(name) != new_caps.get(name):
            capability = _capability_view(account, name)
            ctx.emit("capability.updated", capability,
                     changes(_capability_view(before, name), capability), account=account["id"])
    return account


# -- HTTP -------------------------------------------------------------------------------------
# https://docs.stripe.com/connect/accounts-v2/account-creation: "When building a new Stripe
# integration, use the Accounts v2 API (/v2/core/accounts) unless you're explicitly
# instructed to use Accounts v1. If an error directed you to this page, make sure that you're
# using /v2/core/accounts to create Accounts." The page shows neither the error's text, code
# nor status; this one is the emulator's own, says so, and points where Stripe's does.
NEW_PLATFORM_REFUSAL = (
    "Connect Lab emulator (new platform): this platform has not enabled Accounts v1, so "
    "POST /v1/accounts is refused. Create connected accounts with the Accounts v2 API "
    "(POST /v2/core/accounts); see https://docs.stripe.com/connect/accounts-v2/account-creation"
    ". (This wording is the emulator's: Stripe documents that such an error exists, not its "
    "text.)")


@route("POST", "/v1/accounts", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        raise PermissionDenied("Connected accounts cannot create accounts.")
    if ctx.settings.new_platform:
        raise InvalidRequest(NEW_PLATFORM_REFUSAL, extra={
            "doc_url": "https://docs.stripe.com/connect/accounts-v2/account-creation"})
    account = new_account(ctx, ctx.new_id("acct", 16), params)
    ctx.insert(account, ns=ctx.platform)
    return account


@route("GET", "/v1/account", params={})
def retrieve_own(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return ctx.find(ctx.account, "account")[1]


@route("GET", "/v1/accounts/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _connected(ctx, id)


@route("POST", "/v1/accounts/<id>", params=WRITABLE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    account = _connected(ctx, id)
    before = {k: (dict(v) if isinstance(v, dict) else v) for k, v in account.items()}
    import copy

    before = copy.deepcopy(account)
    _apply(ctx, account, params)
    return save_and_announce(ctx, before, refresh(ctx, account))


@route("DELETE", "/v1/accounts/<id>", params={})
def delete(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    if id == ctx.platform:
        raise InvalidRequest("You cannot delete your own platform account.", param="account")
    account = _connected(ctx, id)
    forget_account(ctx, account)
    return {"id": id, "object": "account", "deleted": True}


def forget_account(ctx: Context, account: dict[str, Any]) -> None:
    """A deleted account takes what it holds along: its objects, its ledger, and the
    records kept beside them (bank numbers, personal details), so nothing of it lingers
    for a later reset to miss. (Test-mode accounts may be deleted at any time:
    https://docs.stripe.com/api/accounts/delete.)"""
    store, ns = ctx.store, account["id"]
    banks = [b["id"] for b in (account.get("external_accounts") or {}).get("data", [])]
    for name in [f"bank_number:{b}" for b in banks] + [f"account_details:{ns}",
                                                        v2_state_key(ns)]:
        store.execute("DELETE FROM meta WHERE name=?", (name,))
    owned = "SELECT id FROM objects WHERE ns=?"
    store.execute(f"DELETE FROM meta WHERE substr(name, instr(name, ':') + 1) IN ({owned})",
                  (ns,))
    store.execute("DELETE FROM objects WHERE ns=?", (ns,))
    store.execute("DELETE FROM ledger WHERE ns=?", (ns,))
    store.delete(ns)


@route("GET", "/v1/accounts", params={**LIST_PARAMS, "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's connected accounts. Acting as a connected account (Stripe-Account),
    the list is that account's own connected accounts: it has none, so it is empty and never
    shows its siblings. (The docs do not say what Stripe answers here; an empty list is what
    a non-platform account has.)"""
    if ctx.is_connected:
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/accounts"}
    result = store_page(ctx, params, "/v1/accounts", type="account", ns=ctx.platform)
    result["data"] = [a for a in result["data"] if a["id"] != ctx.platform]
    return result


def _capability_view(account: dict[str, Any], name: str) -> dict[str, Any]:
    """The Capability ``name`` of ``account``, requested or not."""
    if name in account["capabilities"]:
        return _capability(account, name)
    return build("Capability", id=name, object="capability", account=account["id"],
                 future_requirements=None, requested=False, requested_at=None,
                 requirements=None, status="unrequested")


def _capability(account: dict[str, Any], name: str) -> dict[str, Any]:
    status = account["capabilities"].get(name)
    if status is None:
        raise NotFound("capability", name, param="capability")
    return build(
        "Capability", id=name, object="capability", account=account["id"],
        future_requirements=_requirements([]) | {"disabled_reason": None},
        requested=True, requested_at=account["created"],
        requirements=account["requirements"], status=status,
    )


@route("GET", "/v1/accounts/<account>/capabilities", params={})
def list_capabilities(ctx: Context, params: dict[str, Any], account: str) -> dict[str, Any]:
    acct = _connected(ctx, account)
    data = [_capability(acct, name) for name in sorted(acct["capabilities"])]
    return {"object": "list", "data": data, "has_more": False,
            "url": f"/v1/accounts/{account}/capabilities"}


@route("GET", "/v1/accounts/<account>/capabilities/<name>", params={})
def retrieve_capability(ctx: Context, params: dict[str, Any], account: str, name: str) -> dict:
    return _capability(_connected(ctx, account), name)


@route("POST", "/v1/accounts/<account>/capabilities/<name>", params={"requested": Bool()})
def update_capability(ctx: Context, params: dict[str, Any], account: str, name: str) -> dict:
    if name not in CAPABILITIES:
        raise InvalidRequest(f"Invalid capability: {name}", param="capability")
    acct = _connected(ctx, account)
    import copy

    before = copy.deepcopy(acct)
    _apply(ctx, acct, {"capabilities": {name: {"requested": params.get("requested", True)}}})
    save_and_announce(ctx, before, refresh(ctx, acct))
    return _capability_view(acct, name)


@route("GET", "/v1/accounts/<account>/external_accounts", params={**LIST_PARAMS,
       "object": Enum(choices=("bank_account", "card"))})
def list_external(ctx: Context, params: dict[str, Any], account: str) -> dict[str, Any]:
    acct = _connected(ctx, account)
    listed = acct["external_accounts"]
    for name in ("starting_after", "ending_before"):  # a cursor is one of these, or unknown
        cursor = params.get(name)
        if cursor and cursor not in {e.get("id") for e in listed.get("data", [])}:
            raise NotFound("external_account", cursor, param=name)
    return {**listed, "has_more": False}


@route("POST", "/v1/accounts/<account>/external_accounts",
       params={"external_account": Str(required=True), "default_for_currency": Bool(),
               "metadata": Metadata()})
def create_external(ctx: Context, params: dict[str, Any], account: str) -> dict[str, Any]:
    acct = _connected(ctx, account)
    import copy

    before = copy.deepcopy(acct)
    add_external_account(ctx, acct, params["external_account"])
    save_and_announce(ctx, before, refresh(ctx, acct))
    return acct["external_accounts"]["data"][0]


@loader("acct")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    if ctx.is_connected and object_id != ctx.account:
        return None  # acting as a connected account, its siblings stay out of reach (403)
    return _own(ctx, object_id)
