"""checkout.Session: Stripe Checkout, the hosted payment page.

A Session in ``mode=payment`` collects a card on a page the emulator hosts (``url``),
creates the PaymentIntent from ``payment_intent_data`` (a destination charge, here) when
the customer pays, and completes when that payment succeeds, whether or not the browser
ever reaches ``success_url``. https://docs.stripe.com/api/checkout/sessions,
https://docs.stripe.com/connect/destination-charges?platform=web&ui=stripe-hosted
"""

from __future__ import annotations

import json
from typing import Any

from ..context import Context
from ..errors import InvalidRequest
from ..listing import page, store_page
from ..params import (
    LIST_PARAMS,
    Enum,
    Int,
    ListOf,
    Metadata,
    Obj,
    Range,
    Str,
    Url,
    check_url,
)
from ..registry import expander, loader, on_tick, route
from ..settings import ENDIVE
from ..shapes import build, check_amount
from ..versions import Change, renders
from . import payment_intents, prices

# https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-line_items
PRICE_DATA = Obj(fields={
    **prices.AMOUNT_FIELDS,
    "product": Str(),
    "product_data": Obj(fields={
        "name": Str(required=True, max_length=250), "description": Str(max_length=40000),
        "images": ListOf(item=Str(), max_items=8), "metadata": Metadata(),
        "tax_code": Str(), "unit_label": Str(max_length=12),
        "tax_details": Obj(fields={"performance_location": Str(),
                                   "tax_code": Str(nullable=True)})}),
})
LINE_ITEM = Obj(fields={"price_data": PRICE_DATA, "price": Str(),
                        "quantity": Int(min=0, max=999999), "metadata": Metadata()})
PI_DATA = Obj(fields={
    "application_fee_amount": Int(min=0),
    "transfer_data": Obj(fields={"destination": Str(required=True), "amount": Int(min=1)}),
    "on_behalf_of": Str(),
    "transfer_group": Str(),
    "description": Str(),
    "metadata": Metadata(),
    "capture_method": Enum(choices=("automatic", "automatic_async", "manual")),
    "receipt_email": Str(),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    "shipping": payment_intents.PAYMENT_SHARED["shipping"],
})
CREATE = {
    "mode": Enum(choices=("payment", "setup", "subscription")),
    "line_items": ListOf(item=LINE_ITEM, max_items=100),
    "success_url": Url(max_length=5000),
    "cancel_url": Url(max_length=5000),
    "return_url": Url(),
    "ui_mode": Str(),  # its values depend on the version: see _ui_mode
    "customer": Str(),
    "customer_email": Str(),
    "client_reference_id": Str(max_length=200),
    "metadata": Metadata(),
    "expires_at": Int(),
    "payment_intent_data": PI_DATA,
    "payment_method_types": ListOf(item=Str()),
    "locale": Str(),
    "submit_type": Enum(choices=("auto", "book", "donate", "pay", "subscribe")),
}
MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 3600
# ui_mode's values were renamed in 2026-03-25.dahlia, and the old ones fail from then on
# (hosted -> hosted_page, embedded -> embedded_page, custom -> elements).
UI_MODES_RENAMED = Change(
    "2026-03-25.dahlia",
    doc="https://docs.stripe.com/changelog/dahlia/2026-03-25/updates-available-checkout-session-ui-modes")
UI_MODES = ("elements", "embedded_page", "form", "hosted_page")  # stripe-python 16's enum
# The names before dahlia. ``form`` is in stripe-python 16's enum but not in that changelog,
# which does not say when it arrived: it keeps its name.
OLD_UI_MODES = {"hosted_page": "hosted", "embedded_page": "embedded", "elements": "custom"}


def _ui_mode(ctx: Context, params: dict[str, Any]) -> str:
    """The Session's ``ui_mode`` as kept (the newest names), from the version's own names."""
    if "ui_mode" not in params:
        return "hosted_page"
    renamed = ctx.has(UI_MODES_RENAMED)
    choices = UI_MODES if renamed else tuple(sorted(OLD_UI_MODES.values()))
    given = Enum(choices=choices).coerce(params["ui_mode"], "ui_mode")
    mode = given if renamed else {old: new for new, old in OLD_UI_MODES.items()}[given]
    if mode != "hosted_page":
        hosted = "hosted_page" if renamed else OLD_UI_MODES["hosted_page"]
        raise InvalidRequest(f"The emulator hosts ui_mode={hosted} Sessions only.",
                             param="ui_mode")
    return mode


@renders("checkout.session", UI_MODES_RENAMED)
def _old_ui_mode_names(session: dict[str, Any]) -> None:
    if session.get("ui_mode") in OLD_UI_MODES:
        session["ui_mode"] = OLD_UI_MODES[session["ui_mode"]]


def _line_items(ctx: Context, session_id: str, items: list[dict[str, Any]]) -> list[dict]:
    """Checkout's line items, as Stripe computes them without tax or discounts: each line's
    ``amount_subtotal`` = ``amount_total`` = unit amount x quantity, its ``description``
    the product's name, its ``price`` the Price object (an inline one for ``price_data``)."""
    out = []
    for i, item in enumerate(items):
        name = f"line_items[{i}]"
        prices.one_of(item, ("price", "price_data"), name)
        if "price" in item:
            price = prices.for_line_item(ctx, item["price"], f"{name}[price]")
        elif "price_data" in item:
            price = prices.new_price(ctx, item["price_data"], prefix=f"{name}[price_data]",
                                     parent=session_id)
        else:
            raise InvalidRequest(f"Missing required param: {name}[price] (or "
                                 f"{name}[price_data]).", code="parameter_missing",
                                 param=f"{name}[price]")
        # A one-time price needs a quantity (https://docs.stripe.com/api/checkout/sessions/
        # create#create_checkout_session-line_items-quantity).
        if "quantity" not in item:
            raise InvalidRequest(f"Missing required param: {name}[quantity].",
                                 code="parameter_missing", param=f"{name}[quantity]")
        if item["quantity"] < 1:
            raise InvalidRequest("This value must be greater than or equal to 1.",
                                 code="parameter_invalid_integer", param=f"{name}[quantity]")
        prices.one_time_only(price, f"{name}[price]" if "price" in item
                             else f"{name}[price_data][recurring]")
        product = ctx.store.get(price["product"])
        total = price["unit_amount"] * item["quantity"]
        out.append(build(
            "LineItem", id=ctx.new_id("li"), object="item", adjustable_quantity=None,
            amount_discount=0, amount_subtotal=total, amount_tax=0, amount_total=total,
            currency=price["currency"],
            description=product[1]["name"] if product else None, discounts=[],
            metadata=item.get("metadata") or {}, price=price, quantity=item["quantity"],
            taxes=[],
        ))
    return out


@route("POST", "/v1/checkout/sessions", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "payment_method_types" in params and ctx.version_at_least(ENDIVE):
        raise InvalidRequest(
            "The `payment_method_types` parameter is not supported on Checkout Sessions on API "
            f"version {ctx.api_version}; use dynamic payment methods instead.",
            code="payment_method_types_no_longer_supported", param="payment_method_types")
    mode = params.get("mode")
    if mode is None:
        raise InvalidRequest("Missing required param: mode.", code="parameter_missing",
                             param="mode")
    if mode != "payment":
        raise prices.not_modelled("mode", f"mode={mode} Checkout Sessions (only mode=payment)")
    ui_mode = _ui_mode(ctx, params)
    if "success_url" not in params:
        raise InvalidRequest("Missing required param: success_url.", code="parameter_missing",
                             param="success_url")
    if not params.get("line_items"):
        raise InvalidRequest("Missing required param: line_items.", code="parameter_missing",
                             param="line_items")
    now = ctx.now()
    expires_at = params.get("expires_at", now + MAX_LIFETIME)
    if not now + MIN_LIFETIME <= expires_at <= now + MAX_LIFETIME:
        raise InvalidRequest("The `expires_at` timestamp must be between 30 minutes and 24 hours "
                             "from Checkout Session creation.", param="expires_at")
    session_id = ctx.new_id("cs_test", 58)
    items = _line_items(ctx, session_id, params["line_items"])
    currencies = {i["currency"] for i in items}
    if len(currencies) > 1:
        raise InvalidRequest("All line items must use the same currency.",
                             param="line_items")
    currency = currencies.pop()
    total = sum(i["amount_total"] for i in items)
    check_amount(total, currency, param="line_items")
    pi_data = params.get("payment_intent_data") or {}
    # Check the destination-charge rules now, as Stripe does when the Session is created.
    probe = {"amount": total, "transfer_data": pi_data.get("transfer_data"),
             "application_fee_amount": pi_data.get("application_fee_amount"),
             "on_behalf_of": pi_data.get("on_behalf_of")}
    payment_intents._check_destination(ctx, probe)
    session = build(
        "checkout.Session", id=session_id, object="checkout.session",
        adaptive_pricing={"enabled": False}, after_expiration=None,
        allow_promotion_codes=None, allowed_payment_method_types=None, amount_subtotal=total,
        amount_total=total, automatic_tax={"enabled": False, "liability": None,
                                           "provider": None, "status": None},
        billing_address_collection=None, cancel_url=params.get("cancel_url"),
        client_reference_id=params.get("client_reference_id"), client_secret=None,
        consent=None, consent_collection=None, created=now, currency=currency,
        custom_fields=[], custom_text={"after_submit": None, "shipping_address": None,
                                       "submit": None, "terms_of_service_acceptance": None},
        customer=params.get("customer"), customer_creation="if_required",
        customer_details=None, customer_email=params.get("customer_email"),
        expires_at=expires_at, invoice=None, livemode=False, locale=params.get("locale"),
        metadata=params.get("metadata") or {}, mode="payment", origin_context=None,
        payment_intent=None, payment_link=None, payment_method_collection="if_required",
        payment_method_options={}, payment_method_types=["card"], payment_status="unpaid",
        recovered_from=None, redirect_on_completion=None, setup_intent=None,
        shipping_address_collection=None, shipping_cost=None, shipping_options=[],
        status="open", submit_type=params.get("submit_type"), subscription=None,
        success_url=params["success_url"], total_details={"amount_discount": 0,
                                                          "amount_shipping": 0,
                                                          "amount_tax": 0},
        ui_mode=ui_mode, url=f"{ctx.base_url}/c/pay/{session_id}",
    )
    ctx.insert(session)
    for item in items:
        ctx.insert(item, parent=session_id)
    ctx.store.set_meta(f"checkout_pi_data:{session_id}", json.dumps(pi_data))
    return session


@route("GET", "/v1/checkout/sessions/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "checkout.session", param="session")


@route("GET", "/v1/checkout/sessions", params={**LIST_PARAMS, "payment_intent": Str(),
                                               "status": Str(), "created": Range(),
                                               "customer": Str()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("payment_intent", "status", "customer") if k in params}
    return store_page(ctx, params, "/v1/checkout/sessions", type="checkout.session",
                      where=where or None)


@route("GET", "/v1/checkout/sessions/<id>/line_items", params=LIST_PARAMS)
def line_items(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    ctx.get(id, "checkout.session", param="session")

    def fetch(before: int | None, after: int | None, limit: int) -> list[dict]:
        # Line items list in the order they were given, oldest first, unlike most lists, so
        # the cursors point the other way: ``starting_after`` (``before``, for the newest-
        # first lists ``page`` assumes) means later items, ``ending_before`` earlier ones,
        # fetched nearest the cursor first as ``page`` expects.
        if after is not None:
            return ctx.store.query(type="item", parent=id, before_seq=after, limit=limit)
        return ctx.store.query(type="item", parent=id, after_seq=before, limit=limit,
                               ascending=True)

    def seq_of(object_id: str) -> int | None:
        return ctx.store.seq_of(object_id, type="item", parent=id)

    return page(ctx, params, f"/v1/checkout/sessions/{id}/line_items", fetch, seq_of=seq_of,
                kind="item")


@expander("checkout.session", "line_items")
def expand_line_items(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    """``expand[]=line_items``: the Session's first page of line items, as
    ``GET /v1/checkout/sessions/{id}/line_items`` answers it ("This field is not included by
    default. To include it in the response, expand the line_items field",
    https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-line_items)."""
    return line_items(ctx, {}, session["id"])


def expire(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    session["status"] = "expired"
    session["url"] = None
    ctx.save(session)
    # A PaymentIntent that Checkout made for a failed attempt dies with its Session: the
    # platform cannot cancel it itself ("expire the Checkout Session" instead).
    # https://docs.stripe.com/api/payment_intents/cancel
    if session["payment_intent"]:
        found = ctx.find(session["payment_intent"], "payment_intent")
        if found is not None and found[1]["status"] in (
                "requires_payment_method", "requires_confirmation", "requires_action"):
            payment_intents.cancel_intent(ctx, found[1], {}, by_checkout=True)
    ctx.emit("checkout.session.expired", session)
    return session


@route("POST", "/v1/checkout/sessions/<id>/expire", params={})
def expire_route(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    session = ctx.get(id, "checkout.session", param="session")
    if session["status"] != "open":
        raise InvalidRequest(f"Only Checkout Sessions with a status in [\"open\"] can be "
                             f"expired. This Checkout Session has a status of "
                             f"\"{session['status']}\".", param="session")
    return expire(ctx, session)


@on_tick
def expire_due(ctx: Context, before: int) -> None:
    for session in ctx.store.query(type="checkout.session", ns=ctx.platform,
                                   where={"status": "open"}, limit=10000):
        if session["expires_at"] <= ctx.now():
            expire(ctx, session)


# -- paying on the hosted page (the calls Checkout's own page makes, publishable key) ------
def _open_session(ctx: Context, session_id: str) -> dict[str, Any]:
    session = ctx.get(session_id, "checkout.session", param="session")
    if session["status"] == "expired" or session["expires_at"] <= ctx.now():
        raise InvalidRequest("This Checkout Session has expired.", param="session")
    return session


@route("POST", "/v1/payment_pages/<id>/init", params={"email": Str(), "name": Str()},
       publishable=True)
def page_init(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Create (once) the Session's PaymentIntent and hand its client secret to the page."""
    session = _open_session(ctx, id)
    if session["status"] == "complete":
        return {"object": "payment_page", "status": "complete",
                "success_url": success_url_of(session)}
    if session["payment_intent"]:
        pi = ctx.get(session["payment_intent"], "payment_intent")
    else:
        pi_data = json.loads(ctx.store.get_meta(f"checkout_pi_data:{id}") or "{}")
        email = params.get("email") or session["customer_email"]
        pi = payment_intents.new_payment_intent(ctx, {
            "amount": session["amount_total"], "currency": session["currency"],
            "customer": session["customer"],
            "description": pi_data.get("description"),
            "metadata": pi_data.get("metadata") or {},
            "application_fee_amount": pi_data.get("application_fee_amount"),
            "transfer_data": pi_data.get("transfer_data"),
            "on_behalf_of": pi_data.get("on_behalf_of"),
            "transfer_group": pi_data.get("transfer_group"),
            "capture_method": pi_data.get("capture_method", "automatic_async"),
            "receipt_email": pi_data.get("receipt_email") or email,
            "statement_descriptor": pi_data.get("statement_descriptor"),
            "statement_descriptor_suffix": pi_data.get("statement_descriptor_suffix"),
            "shipping": pi_data.get("shipping"),
        })
        session["payment_intent"] = pi["id"]
        ctx.store.set_meta(f"checkout_session_for:{pi['id']}", id)
    if params.get("email") or params.get("name"):  # what the customer typed, this attempt
        session["customer_details"] = _details(params.get("email") or session["customer_email"],
                                               params.get("name"))
    ctx.save(session)
    return {"object": "payment_page", "status": session["status"],
            "client_secret": pi["client_secret"], "amount_total": session["amount_total"],
            "currency": session["currency"]}


def _details(email: str | None, name: str | None = None) -> dict[str, Any]:
    return {"address": None, "business_name": None, "email": email, "individual_name": None,
            "name": name, "phone": None, "tax_exempt": "none", "tax_ids": []}


def success_url_of(session: dict[str, Any]) -> str | None:
    return safe_url(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))


@route("GET", "/v1/payment_pages/<id>", params={}, publishable=True)
def page_status(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    session = ctx.get(id, "checkout.session", param="session")
    out = {"object": "payment_page", "status": session["status"],
           "payment_status": session["payment_status"]}
    if session["status"] == "complete":
        out["success_url"] = success_url_of(session)
    return out


def complete_for_payment(ctx: Context, pi: dict[str, Any]) -> None:
    """A Session's PaymentIntent succeeded: the Session is complete and paid, whatever the
    browser does next (it may never reach success_url)."""
    session_id = ctx.store.get_meta(f"checkout_session_for:{pi['id']}")
    if not session_id:
        return
    found = ctx.find(session_id, "checkout.session")
    if found is None or found[1]["status"] != "open":
        return
    session = found[1]
    session.update(status="complete", payment_status="paid", url=None)
    if session["customer_details"] is None:
        session["customer_details"] = _details(pi.get("receipt_email"))
    ctx.save(session)
    ctx.emit("checkout.session.completed", session)


payment_intents.succeeded_hooks.append(complete_for_payment)


@loader("cs")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "checkout.session")
    return found[1] if found and ctx.visible(found[0]) else None


def safe_url(url: str | None) -> str | None:
    """A URL the page may send the browser to, checked again at render time (a Session
    stored before the create-time check must not run ``javascript:`` on this origin)."""
    try:
        return check_url(url, "url") if url else None
    except InvalidRequest:
        return None
