"""PaymentMethod: a card, from a ``pm_card_*`` test token or a raw test card number.

Raw numbers are accepted only with a publishable key (that is how Stripe.js sends them);
with a secret key Stripe refuses raw card data, and so does the emulator.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from ..cards import BY_NUMBER, BY_TOKEN, TestCard, luhn_ok
from ..context import Context
from ..errors import CardDeclined, InvalidRequest, NotFound
from ..listing import store_page
from ..params import LIST_PARAMS, Enum, Int, Metadata, Obj, Str
from ..registry import loader, route
from ..shapes import build, merge_metadata
from .events import changes

ADDRESS = Obj(fields={k: Str(nullable=True) for k in
                      ("city", "country", "line1", "line2", "postal_code", "state")})
BILLING = Obj(fields={"address": ADDRESS, "email": Str(nullable=True),
                      "name": Str(nullable=True), "phone": Str(nullable=True)})
CARD = Obj(fields={"number": Str(), "exp_month": Int(), "exp_year": Int(), "cvc": Str(),
                   "token": Str()})
CREATE = {
    "type": Enum(choices=("card",)),
    "card": CARD,
    "billing_details": BILLING,
    "metadata": Metadata(),
    "customer": Str(),
    "payment_method": Str(),
    "allow_redisplay": Enum(choices=("always", "limited", "unspecified")),
}


def _billing(details: dict[str, Any] | None) -> dict[str, Any]:
    details = details or {}
    address = {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")}
    address.update(details.get("address") or {})
    return {
        "address": address,
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
        "tax_id": None,
    }


def new_card_pm(
    ctx: Context,
    card: TestCard,
    *,
    exp_month: int = 12,
    exp_year: int | None = None,
    billing: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
    cvc_checked: bool = False,
    ns: str | None = None,
) -> dict[str, Any]:
    pm = build(
        "PaymentMethod",
        id=ctx.new_id("pm"),
        object="payment_method",
        type="card",
        created=ctx.now(),
        livemode=False,
        customer=None,
        allow_redisplay="unspecified",
        billing_details=_billing(billing),
        metadata=metadata or {},
        card=card_fields(ctx, card, exp_month=exp_month, exp_year=exp_year,
                         cvc_checked=cvc_checked),
    )
    # The card number stays inside the emulator (as a hidden column), like Stripe's vault.
    ctx.insert(pm, ns=ns)
    ctx.store.set_meta(f"pm_card:{pm['id']}", card.number)
    return pm


def card_fields(ctx: Context, card: TestCard, *, exp_month: int = 12,
                exp_year: int | None = None, cvc_checked: bool = False) -> dict[str, Any]:
    """What a PaymentMethod's ``card`` says of a test card (Tokens' Card shares it)."""
    from datetime import datetime, timezone

    year = exp_year or datetime.fromtimestamp(ctx.now(), timezone.utc).year + 3
    return {
        "brand": card.brand,
        "display_brand": card.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": "pass" if cvc_checked else None},
        "country": card.country,
        "exp_month": exp_month,
        "exp_year": year,
        "fingerprint": hashlib.sha256(card.number.encode()).hexdigest()[:16],
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def test_card_for(ctx: Context, pm: dict[str, Any]) -> TestCard:
    number = ctx.store.get_meta(f"pm_card:{pm['id']}")
    return BY_NUMBER[number]


def resolve(ctx: Context, value: str, param: str = "payment_method") -> dict[str, Any]:
    """A PaymentMethod ID or a ``pm_card_*`` token (which makes a fresh PaymentMethod)."""
    if value in BY_TOKEN:
        return new_card_pm(ctx, BY_TOKEN[value])
    found = ctx.find(value, "payment_method")
    if found is None or found[0] != ctx.account:
        raise InvalidRequest(
            f"No such PaymentMethod: '{value}'", code="resource_missing", param=param
        )
    return found[1]


def card_from_params(ctx: Context, card: dict[str, Any]) -> tuple[TestCard, int, int]:
    if "token" in card:
        raise InvalidRequest("Card tokens are not supported by the emulator; use a pm_card_* "
                             "test PaymentMethod instead.", param="card[token]")
    if ctx.key_type != "publishable":
        raise InvalidRequest(
            "Sending credit card numbers directly to the Stripe API is generally unsafe. We "
            "suggest you use test tokens that map to the test card you are using, see "
            "https://docs.stripe.com/testing.",
            param="card[number]",
        )
    for field in ("number", "exp_month", "exp_year"):
        if field not in card:
            raise InvalidRequest(f"Missing required param: card[{field}].",
                                 code="parameter_missing", param=f"card[{field}]")
    number = "".join(card["number"].split())
    if not (number.isascii() and number.isdigit()) or not luhn_ok(number):
        raise CardDeclined("Your card number is incorrect.", code="incorrect_number",
                             param="card[number]")
    test = BY_NUMBER.get(number)
    if test is None:
        raise CardDeclined(
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "For a list of valid test cards, visit: https://docs.stripe.com/testing.",
            code="card_declined", param="card[number]",
        )
    if not 1 <= card["exp_month"] <= 12:
        raise CardDeclined("Your card's expiration month is invalid.",
                             code="invalid_expiry_month", param="card[exp_month]")
    year = card["exp_year"] + (2000 if card["exp_year"] < 100 else 0)
    from datetime import datetime, timezone

    today = datetime.fromtimestamp(ctx.now(), timezone.utc)
    if (year, card["exp_month"]) < (today.year, today.month) or year > today.year + 50:
        raise CardDeclined("Your card's expiration year is invalid.",
                             code="invalid_expiry_year", param="card[exp_year]")
    cvc = card.get("cvc")
    cvc_length = 4 if test.brand == "amex" else 3
    if cvc is not None and not (cvc.isascii() and cvc.isdigit() and len(cvc) == cvc_length):
        raise CardDeclined("Your card's security code is invalid.", code="invalid_cvc",
                             param="card[cvc]")
    return test, card["exp_month"], year


@route("POST", "/v1/payment_methods", params=CREATE, publishable=True)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "payment_method" in params:  # cloning a platform PM onto a connected account
        raise InvalidRequest("Cloning PaymentMethods is not supported by the emulator.",
                             param="payment_method")
    if params.get("type") != "card":
        raise InvalidRequest("Missing required param: type.", code="parameter_missing",
                             param="type")
    if "card" not in params:
        raise InvalidRequest("Missing required param: card.", code="parameter_missing",
                             param="card")
    card, month, year = card_from_params(ctx, params["card"])
    pm = new_card_pm(ctx, card, exp_month=month, exp_year=year,
                     billing=params.get("billing_details"), metadata=params.get("metadata"),
                     cvc_checked="cvc" in params["card"])
    return pm


@route("GET", "/v1/payment_methods/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    if id in BY_TOKEN:
        return new_card_pm(ctx, BY_TOKEN[id])
    return ctx.get(id, "payment_method", param="payment_method")


@route("POST", "/v1/payment_methods/<id>",
       params={"billing_details": BILLING, "metadata": Metadata(),
               "allow_redisplay": Enum(choices=("always", "limited", "unspecified"))})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    pm = ctx.get(id, "payment_method", param="payment_method")
    before = copy.deepcopy(pm)
    if "billing_details" in params:
        pm["billing_details"] = _billing({**pm["billing_details"], **params["billing_details"]})
    if "metadata" in params:
        pm["metadata"] = merge_metadata(pm["metadata"], params["metadata"])
    if "allow_redisplay" in params:
        pm["allow_redisplay"] = params["allow_redisplay"]
    ctx.save(pm)
    previous = changes(before, pm)
    if previous:
        ctx.emit("payment_method.updated", pm, previous)
    return pm


@route("POST", "/v1/payment_methods/<id>/attach", params={"customer": Str(required=True)})
def attach(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    pm = resolve(ctx, id, param="payment_method")
    ctx.get(params["customer"], "customer", param="customer")
    return attach_to_customer(ctx, pm, params["customer"])


def attach_to_customer(ctx: Context, pm: dict[str, Any], customer: str) -> dict[str, Any]:
    """Save ``pm`` for ``customer`` (attach, a succeeded SetupIntent, or a payment with
    ``setup_future_usage``); a card another customer holds stays theirs."""
    if pm["customer"] and pm["customer"] != customer:
        raise InvalidRequest(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state", param="payment_method",
        )
    if pm["customer"] == customer:  # already there: nothing happens
        return pm
    pm["customer"] = customer
    ctx.save(pm)
    ctx.emit("payment_method.attached", pm)
    return pm


@route("POST", "/v1/payment_methods/<id>/detach", params={})
def detach(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    pm = ctx.get(id, "payment_method", param="payment_method")
    if not pm["customer"]:
        raise InvalidRequest(
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible.", code="payment_method_unexpected_state", param="payment_method",
        )
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    ctx.save(pm)
    ctx.emit("payment_method.detached", pm, previous)
    return pm


@route("GET", "/v1/payment_methods",
       params={**LIST_PARAMS, "customer": Str(), "type": Enum(choices=("card",))})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {"customer": params["customer"]} if "customer" in params else None
    return store_page(ctx, params, "/v1/payment_methods", type="payment_method", where=where)


@route("GET", "/v1/customers/<customer>/payment_methods",
       params={**LIST_PARAMS, "type": Enum(choices=("card",))})
def list_for_customer(ctx: Context, params: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.get(customer, "customer", param="customer")
    return store_page(ctx, params, f"/v1/customers/{customer}/payment_methods",
                      type="payment_method", where={"customer": customer})


@loader("pm")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "payment_method")
    if found is None or not ctx.visible(found[0]):
        return None
    return found[1]


__all__ = ["resolve", "new_card_pm", "card_fields", "test_card_for", "attach_to_customer",
           "NotFound"]
