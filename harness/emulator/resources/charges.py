"""Charge: created by PaymentIntents (``ch_``), by destination transfers (``py_``), and
directly by the legacy Charges API (``POST /v1/charges`` with a ``source``).

The legacy create is what older destination-charge articles use
(https://docs.stripe.com/api/charges/create, https://docs.stripe.com/connect/destination-charges):
``source=tok_visa``, ``transfer_data[destination]`` (or the older
``destination[account]``), ``application_fee_amount``, ``capture=false`` and a later
``POST /v1/charges/{id}/capture``; an uncaptured charge's hold lapses after 7 days as a
PaymentIntent's does (``capture_before``, ``charge.expired``). Its money moves through
:mod:`money` exactly as a PaymentIntent's destination charge does. The Charges API cannot
authenticate, so a card that asks for 3D Secure is declined with ``authentication_required``
(https://docs.stripe.com/declines/codes: "The card was declined as the transaction
requires authentication").
"""

from __future__ import annotations

import copy
from typing import Any

from .. import money
from ..cards import DECLINE_MESSAGES
from ..context import Context
from ..errors import CardDeclined, InvalidRequest, not_modelled_param
from ..listing import store_page
from ..params import (
    LIST_PARAMS,
    Bool,
    Custom,
    Int,
    Metadata,
    NotModelled,
    Obj,
    Range,
    Str,
    exclusive,
)
from ..registry import loader, route
from ..shapes import check_amount, check_currency, merge_metadata
from . import payment_intents as intents
from .events import changes
from .tokens import spend, test_card_of

SHIPPING = intents.PAYMENT_SHARED["shipping"]


def _destination(value: Any, name: str) -> Any:
    """``destination[account]`` (+ ``[amount]``): the hash stripe-python 16 still declares
    for Charge create (``ChargeCreateParamsDestination``), an older spelling of
    ``transfer_data``. The bare string form (``destination=acct_...``) of the first
    Connect guides is older still; the docs do not say which versions took it, so it gets
    the not-modelled answer."""
    if isinstance(value, str):
        raise not_modelled_param(name, "https://docs.stripe.com/api/charges/create",
                                 hint="destination as a string (destination=acct_...) is an "
                                 "older form; use transfer_data[destination] (or "
                                 "destination[account])")
    return Obj(fields={"account": Str(required=True), "amount": Int(min=1)}).coerce(value,
                                                                                     name)


CREATE = {
    "amount": Int(required=True, min=1),
    "currency": Str(required=True),
    "source": Str(),
    "customer": Str(),
    "capture": Bool(),
    "description": Str(nullable=True, max_length=1000),
    "metadata": Metadata(),
    "receipt_email": Str(),
    "shipping": SHIPPING,
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    "application_fee_amount": Int(min=0),
    # The older name of application_fee_amount, still declared by stripe-python 16
    # (undocumented; the docs do not say which versions read it, so all do).
    "application_fee": Int(min=0),
    "transfer_data": intents.TRANSFER_DATA,
    "destination": Custom(fn=_destination),
    "on_behalf_of": Str(),
    "transfer_group": Str(),
    "radar_options": NotModelled(),
}
CAPTURE = {
    "amount": Int(min=1),
    "application_fee_amount": Int(min=0),
    "application_fee": Int(min=0),
    "transfer_data": Obj(fields={"amount": Int(min=1)}),
    "receipt_email": Str(),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    "transfer_group": Str(),
}


def _fee_param(params: dict[str, Any]) -> int | None:
    exclusive(params, ("application_fee_amount", "application_fee"))
    return params.get("application_fee_amount", params.get("application_fee"))


def _transfer_data(params: dict[str, Any]) -> dict[str, Any] | None:
    exclusive(params, ("transfer_data", "destination"))
    if "destination" in params:
        old = params["destination"]
        return {"destination": old["account"], "amount": old.get("amount")}
    if "transfer_data" in params:
        return {"amount": None, **params["transfer_data"]}
    return None


@route("POST", "/v1/charges", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    currency = check_currency(params["currency"])
    check_amount(params["amount"], currency)
    customer = params.get("customer")
    if customer:
        ctx.get(customer, "customer", param="customer")
    if "source" not in params:
        if customer:  # the emulator's customers keep PaymentMethods, never sources
            raise InvalidRequest("Cannot charge a customer that has no active card",
                                 code="missing", param="card")
        raise InvalidRequest("Must provide source or customer.", code="parameter_missing",
                             param="source")
    if customer:
        raise InvalidRequest(f"Customer {customer} does not have a linked source with ID "
                             f"{params['source']}.", code="missing", param="source")
    charge = money.new_charge(
        ctx, ctx.new_id("ch"), amount=params["amount"], currency=currency,
        application_fee_amount=_fee_param(params), description=params.get("description"),
        metadata=params.get("metadata") or {}, on_behalf_of=params.get("on_behalf_of"),
        receipt_email=params.get("receipt_email"), shipping=params.get("shipping"),
        statement_descriptor=params.get("statement_descriptor"),
        statement_descriptor_suffix=params.get("statement_descriptor_suffix"),
        transfer_data=_transfer_data(params), transfer_group=params.get("transfer_group"),
    )
    intents._check_destination(ctx, charge)
    card, test = spend(ctx, params["source"])
    ctx.store.set_meta(f"pm_card:{charge['id']}", test.number)  # for a later capture
    # What the card gave is checked by the charge: "unchecked" on the token, "pass" here.
    checked = {k: "pass" if card[k] else None
               for k in ("address_line1_check", "address_zip_check", "cvc_check")}
    pm_like = {"card": {**card, "brand": test.brand,
                        "checks": {"address_line1_check": checked["address_line1_check"],
                                   "address_postal_code_check": checked["address_zip_check"],
                                   "cvc_check": checked["cvc_check"]}}}
    held = not params.get("capture", True)
    capture_before = ctx.now() + intents.AUTHORIZATION_VALIDITY if held else None
    charge.update(source=card, payment_method=card["id"],
                  payment_method_details=intents._card_details(pm_like, charge["amount"],
                                                               False, capture_before),
                  billing_details={**charge["billing_details"], "name": card["name"]})
    if test.three_d_secure or test.decline_code:
        if test.three_d_secure:
            code = decline = "authentication_required"
            message = "Your card was declined. This transaction requires authentication."
        else:
            code, decline = test.error_code, test.decline_code
            message = DECLINE_MESSAGES[decline]
        charge.update(status="failed", paid=False, failure_code=code, failure_message=message,
                      outcome=_outcome(False, decline))
        ctx.insert(charge)
        ctx.emit("charge.failed", charge)
        exc = CardDeclined(message, code=code, param="",
                           extra={"charge": charge["id"], "decline_code": decline})
        exc.commit = True  # the failed charge is kept, as on Stripe
        raise exc
    charge.update(status="succeeded", paid=True, captured=False, outcome=_outcome(True, None),
                  receipt_url=f"https://pay.stripe.com/receipts/payment/{ctx.token(40)}")
    if not held:
        money.capture_charge(ctx, charge, charge["amount"], bypass_pending=test.bypass_pending,
                             ns=ctx.account)
    else:
        intents.hold_until(ctx, charge, capture_before)
    ctx.insert(charge)
    ctx.emit("charge.succeeded", charge)
    if charge["captured"]:
        intents._dispute_if_test_card(ctx, charge, test)
    return charge


def _outcome(approved: bool, reason: str | None) -> dict[str, Any]:
    if approved:
        return {"advice_code": None, "network_advice_code": None,
                "network_decline_code": None, "network_status": "approved_by_network",
                "reason": None, "risk_level": "normal", "risk_score": 30,
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"advice_code": "try_again_later", "network_advice_code": None,
            "network_decline_code": "01", "network_status": "declined_by_network",
            "reason": reason, "risk_level": "normal", "risk_score": 30,
            "seller_message": "The bank did not return any further details with this "
                              "decline.", "type": "issuer_declined"}


@route("POST", "/v1/charges/<id>/capture", params=CAPTURE)
def capture(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Capture an uncaptured legacy charge (https://docs.stripe.com/api/charges/capture)."""
    charge = ctx.get(id, "charge", param="charge")
    if charge["payment_intent"]:
        # The docs point PaymentIntents' charges to the PaymentIntent's own capture; the
        # wording of this refusal is not documented.
        raise InvalidRequest(f"Charge {id} belongs to PaymentIntent "
                             f"{charge['payment_intent']}; capture the PaymentIntent "
                             "instead.", param="charge")
    if charge["captured"]:
        raise InvalidRequest(f"Charge {id} has already been captured.",
                             code="charge_already_captured", param="charge")
    if intents.lapsed(ctx, charge):  # expired, whether or not a tick has released it yet
        if not charge["refunded"]:
            intents.release_hold(ctx, ctx.account, charge)
        raise intents.expired_for_capture()
    if charge["status"] != "succeeded" or charge["refunded"]:
        raise InvalidRequest(f"Charge {id} cannot be captured.", param="charge")
    amount = params.get("amount", charge["amount"])
    if amount > charge["amount"]:
        raise InvalidRequest("The amount to capture must be less than or equal to the "
                             f"original amount ({charge['amount']}).",
                             code="amount_too_large", param="amount")
    fee = _fee_param(params)
    if fee is not None:
        charge["application_fee_amount"] = fee
    if "transfer_data" in params and charge["transfer_data"]:
        charge["transfer_data"] = {**charge["transfer_data"], **params["transfer_data"]}
    for key in ("receipt_email", "statement_descriptor", "statement_descriptor_suffix",
                "transfer_group"):
        if key in params:
            charge[key] = params[key]
    intents._check_destination(ctx, {**charge, "amount": amount})
    test = test_card_of(ctx, charge["id"])
    money.capture_charge(ctx, charge, amount, bypass_pending=test.bypass_pending,
                         ns=ctx.account)
    ctx.store.drop_record(intents.HOLD, charge["id"])
    ctx.save(charge)
    ctx.emit("charge.captured", charge)
    intents._dispute_if_test_card(ctx, charge, test)
    return charge


@route("GET", "/v1/charges/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "charge", param="charge")


@route("POST", "/v1/charges/<id>",
       params={"description": Str(nullable=True), "metadata": Metadata(),
               "receipt_email": Str(nullable=True), "transfer_group": Str()})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    charge = ctx.get(id, "charge", param="charge")
    before = copy.deepcopy(charge)
    for key, value in params.items():
        if key == "metadata":
            charge["metadata"] = merge_metadata(charge["metadata"], value)
        else:
            charge[key] = value
    ctx.save(charge)
    previous = changes(before, charge)
    if previous:
        ctx.emit("charge.updated", charge, previous)
    return charge


@route("GET", "/v1/charges",
       params={**LIST_PARAMS, "customer": Str(), "payment_intent": Str(), "created": Range(),
               "transfer_group": Str()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("customer", "payment_intent", "transfer_group") if k in params}
    return store_page(ctx, params, "/v1/charges", type="charge", where=where or None)


@loader("ch", "py")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "charge")
    return found[1] if found and ctx.visible(found[0]) else None
