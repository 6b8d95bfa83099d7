"""Price: what a Product costs, in one currency. https://docs.stripe.com/api/prices

A Price belongs to the account that created it (the platform, or a connected account with
``Stripe-Account``); anyone else gets Stripe's 404 for it. The emulator models per-unit
prices, one-time and recurring (a recurring Price is kept and listed, but nothing bills it:
Subscriptions are not modelled); tiered, custom-amount, metered and multi-currency prices
answer a 400 that says the emulator does not model them yet.

Inline prices (``price_data`` on a Checkout line item) are Price objects too, kept under
the object that made them: they can be retrieved, but lists and searches leave them out
("Returns a list of your active prices, excluding inline prices", stripe-python's
``Price.list``).
"""

from __future__ import annotations

import copy
from typing import Any

from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_page
from ..params import (
    LIST_PARAMS,
    Bool,
    Custom,
    Enum,
    Int,
    ListOf,
    Metadata,
    Obj,
    Param,
    Range,
    Str,
    exclusive,
)
from ..registry import loader, route
from ..search import BOOLEAN, SEARCH_PARAMS, STRING, TOKEN, search_page
from ..shapes import build, check_currency, merge_metadata
from . import products
from .events import changes
from .products import INTERVALS, RECURRING, TAX_BEHAVIORS, decimal_amount, not_modelled

PRODUCT_DATA = Obj(fields={
    "name": Str(required=True, max_length=250), "active": Bool(), "metadata": Metadata(),
    "statement_descriptor": Str(max_length=22), "tax_code": Str(), "unit_label": Str(
        max_length=12), "tax_details": Obj(fields={"performance_location": Str(),
                                                   "tax_code": Str(nullable=True)}),
})
# What a price's money is: shared by POST /v1/prices and Checkout's ``price_data``.
AMOUNT_FIELDS: dict[str, Param] = {
    "currency": Str(required=True),
    "unit_amount": Int(min=0),
    "unit_amount_decimal": Custom(fn=decimal_amount),
    "tax_behavior": Enum(choices=TAX_BEHAVIORS),
    "recurring": RECURRING,
}
CREATE: dict[str, Param] = {
    **AMOUNT_FIELDS,
    "product": Str(),
    "product_data": PRODUCT_DATA,
    "active": Bool(),
    "metadata": Metadata(),
    "nickname": Str(),
    "lookup_key": Str(max_length=200),
    "transfer_lookup_key": Bool(),
    "billing_scheme": Enum(choices=("per_unit", "tiered")),
    # tiers, tiers_mode, custom_unit_amount, currency_options, transform_quantity: not
    # modelled (the core's 400 for a parameter stripe-python declares and this schema lacks)
}
UPDATE: dict[str, Param] = {
    "active": Bool(), "metadata": Metadata(), "nickname": Str(nullable=True),
    "lookup_key": Str(max_length=200, nullable=True), "transfer_lookup_key": Bool(),
    "tax_behavior": Enum(choices=TAX_BEHAVIORS),
}
# Query fields for prices (https://docs.stripe.com/search#query-fields-for-prices).
SEARCH_FIELDS = {"active": BOOLEAN, "currency": TOKEN, "lookup_key": STRING,
                 "metadata": STRING, "product": TOKEN, "type": TOKEN}


def _named(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def one_of(params: dict[str, Any], names: tuple[str, str], prefix: str = "") -> None:
    """Stripe's ``parameters_exclusive`` for two parameters under ``prefix``."""
    try:
        exclusive(params, names)
    except InvalidRequest as exc:
        exc.param = _named(prefix, names[1])
        raise


def unit_amount_of(params: dict[str, Any], prefix: str) -> tuple[int, str]:
    """``unit_amount`` and ``unit_amount_decimal`` from ``unit_amount`` or
    ``unit_amount_decimal`` (one of them, as Stripe asks). A fraction of a cent would make
    Stripe round each line's total; the emulator does not model that yet."""
    one_of(params, ("unit_amount", "unit_amount_decimal"), prefix)
    if "unit_amount" in params:
        return params["unit_amount"], str(params["unit_amount"])
    if "unit_amount_decimal" in params:
        amount = params["unit_amount_decimal"]
        if amount != amount.to_integral_value():
            raise not_modelled(_named(prefix, "unit_amount_decimal"), "fractions of a cent")
        return int(amount), str(int(amount))
    name = _named(prefix, "unit_amount")
    raise InvalidRequest(f"Missing required param: {name}.", code="parameter_missing",
                         param=name)


def new_price(ctx: Context, params: dict[str, Any], *, prefix: str = "",
              parent: str | None = None, announce: bool = True) -> dict[str, Any]:
    """A one-time per-unit Price. With ``parent`` (a Checkout Session) it is an inline
    price: inactive, unlisted and unannounced (the docs do not say whether Stripe sends
    ``price.created`` for inline prices; the emulator does not)."""
    if params.get("billing_scheme") == "tiered":
        raise not_modelled(_named(prefix, "billing_scheme"), "tiered prices")
    currency = check_currency(params["currency"], _named(prefix, "currency"))
    one_of(params, ("product", "product_data"), prefix)
    if "product" in params:
        product = ctx.get(params["product"], "product", param=_named(prefix, "product"))
    elif "product_data" in params:
        product = products.new_product(ctx, params["product_data"], parent=parent,
                                       announce=announce)
    else:
        name = _named(prefix, "product")
        raise InvalidRequest(f"Missing required param: {name}. (Or give "
                             f"{_named(prefix, 'product_data')} to create it inline.)",
                             code="parameter_missing", param=name)
    unit, unit_decimal = unit_amount_of(params, prefix)
    recurring = params.get("recurring")
    if recurring is not None:
        if recurring.get("usage_type") == "metered":  # needs a meter on current versions
            raise not_modelled(_named(prefix, "recurring[usage_type]"),
                               "metered prices (usage meters)")
        recurring = {"interval": recurring["interval"],
                     "interval_count": recurring.get("interval_count", 1), "meter": None,
                     "trial_period_days": recurring.get("trial_period_days"),
                     "usage_type": "licensed"}
    price = build(
        "Price", id=ctx.new_id("price"), object="price",
        active=params.get("active", True) if parent is None else False,
        billing_scheme="per_unit", created=ctx.now(), currency=currency,
        custom_unit_amount=None, livemode=False, lookup_key=None,
        metadata=params.get("metadata") or {}, nickname=params.get("nickname"),
        product=product["id"], recurring=recurring,
        tax_behavior=params.get("tax_behavior", "unspecified"), tiers_mode=None,
        transform_quantity=None, type="one_time" if recurring is None else "recurring",
        unit_amount=unit,
        unit_amount_decimal=unit_decimal,
    )
    if params.get("lookup_key") is not None:
        _take_lookup_key(ctx, price, params["lookup_key"], params.get("transfer_lookup_key"))
    ctx.insert(price, parent=parent)
    if announce and parent is None:
        ctx.emit("price.created", price)
    return price


def _take_lookup_key(ctx: Context, price: dict[str, Any], key: str,
                     transfer: bool | None) -> None:
    """Lookup keys are unique in an account; ``transfer_lookup_key`` moves one from the
    price that has it (https://docs.stripe.com/api/prices/create#create_price-lookup_key)."""
    for other in ctx.store.query(type="price", ns=ctx.account, where={"lookup_key": key},
                                 limit=5):
        if other["id"] == price["id"]:
            continue
        if not transfer:
            raise InvalidRequest(f"A price (`{other['id']}`) already uses that lookup key.",
                                 code="parameter_invalid", param="lookup_key")
        before = copy.deepcopy(other)
        other["lookup_key"] = None
        ctx.save(other)
        ctx.emit("price.updated", other, changes(before, other))
    price["lookup_key"] = key


@route("POST", "/v1/prices", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return new_price(ctx, params)


@route("GET", "/v1/prices/search", params=SEARCH_PARAMS)
def search(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return search_page(ctx, params, "/v1/prices/search", type="price", fields=SEARCH_FIELDS,
                       top_level=True)


@route("GET", "/v1/prices/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "price", param="price")


@route("POST", "/v1/prices/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    price = ctx.get(id, "price", param="price")
    before = copy.deepcopy(price)
    if "tax_behavior" in params and params["tax_behavior"] != price["tax_behavior"] \
            and price["tax_behavior"] in ("inclusive", "exclusive"):
        # "Once specified as either inclusive or exclusive, it cannot be changed."
        raise InvalidRequest("The tax_behavior of a price cannot be changed once it is "
                             f"{price['tax_behavior']}.", param="tax_behavior")
    for key in ("active", "nickname", "tax_behavior"):
        if key in params:
            price[key] = params[key]
    if "metadata" in params:
        price["metadata"] = merge_metadata(price["metadata"], params["metadata"])
    if "lookup_key" in params:
        if params["lookup_key"] is None:
            price["lookup_key"] = None
        else:
            _take_lookup_key(ctx, price, params["lookup_key"], params.get("transfer_lookup_key"))
    ctx.save(price)
    previous = changes(before, price)
    if previous:
        ctx.emit("price.updated", price, previous)
    return price


@route("GET", "/v1/prices", params={
    **LIST_PARAMS, "active": Bool(), "created": Range(), "currency": Str(),
    "lookup_keys": ListOf(item=Str(), max_items=10), "product": Str(),
    "type": Enum(choices=("one_time", "recurring")),
    "recurring": Obj(fields={"interval": Enum(choices=INTERVALS), "meter": Str(),
                             "usage_type": Enum(choices=("licensed", "metered"))}),
})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Active prices unless ``active=false`` asks for the inactive ones (stripe-python's
    ``Price.list``: "Returns a list of your active prices ... For the list of inactive
    prices, set active to false"). A ``recurring`` filter keeps recurring prices with
    those recurring fields."""
    where: dict[str, Any] = {"active": params.get("active", True)}
    for key in ("currency", "product", "type"):
        if key in params:
            where[key] = params[key].lower() if key == "currency" else params[key]
    if "recurring" in params:
        where["type"] = "recurring"
        for key, value in params["recurring"].items():
            where[f"recurring.{key}"] = value
    if "lookup_keys" in params:
        where["lookup_key"] = tuple(params["lookup_keys"])
    return store_page(ctx, params, "/v1/prices", type="price", where=where, top_level=True)


@loader("price")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "price")
    return found[1] if found and ctx.visible(found[0]) else None


def for_line_item(ctx: Context, price_id: str, param: str) -> dict[str, Any]:
    """A price named by a Checkout line item: the acting account's own and active."""
    price = ctx.get(price_id, "price", param=param)
    if not price["active"]:
        raise InvalidRequest("The price specified is inactive. This field only accepts active "
                             "prices.", param=param)
    return price


def one_time_only(price: dict[str, Any], param: str) -> None:
    """Checkout's ``mode=payment`` takes one-time prices only; recurring ones belong to
    ``mode=subscription`` (which the emulator does not model)."""
    if price["type"] == "recurring":
        raise InvalidRequest("You specified `payment` mode but passed a recurring price. "
                             "Either switch to `subscription` mode or use only one-time "
                             "prices.", param=param)
