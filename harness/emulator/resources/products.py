"""Product: what a platform sells (a night in a cabin, a cleaning fee).
https://docs.stripe.com/api/products

A Product belongs to the account that created it, like its Prices. ``product_data`` on a
Price or a Checkout line item creates one inline; ``default_price_data`` gives a new Product
its first Price.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound
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
)
from ..registry import loader, route
from ..search import BOOLEAN, SEARCH_PARAMS, STRING, search_page
from ..shapes import build, merge_metadata
from .events import changes


def not_modelled(name: str, what: str) -> InvalidRequest:
    """The emulator's own refusal of a value Stripe takes and the emulator does not model
    yet (``billing_scheme=tiered``...), shaped like the core's answer for a parameter it does
    not model (:func:`harness.emulator.errors.not_modelled_param`). A parameter left out of
    a schema here gets that answer from the core."""
    return InvalidRequest(f"{name}: {what} is something Stripe does that Connect Lab's "
                          "emulator does not model yet.", param=name)


_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")


def decimal_amount(value: Any, name: str) -> Decimal:
    """``unit_amount_decimal``: a decimal string of cents, at most 12 decimal places
    (https://docs.stripe.com/api/prices/create#create_price-unit_amount_decimal)."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise InvalidRequest(f"Invalid decimal: {str(value)[:50]}", code="parameter_invalid",
                             param=name)
    return Decimal(value)


def _dimension(value: Any, name: str) -> float:
    """A package dimension: a positive number (inches, or ounces for ``weight``)."""
    try:
        number = float(value) if isinstance(value, str) and len(value) < 30 else None
    except ValueError:
        number = None
    if number is None or not 0 < number < 1e9:
        raise InvalidRequest(f"Invalid decimal: {str(value)[:50]}", code="parameter_invalid",
                             param=name)
    return number


INTERVALS = ("day", "month", "week", "year")
# A recurring Price is data the emulator keeps and answers with; what it bills (a
# Subscription) is not modelled, so Checkout takes recurring prices in no mode it has.
RECURRING = Obj(fields={
    "interval": Enum(choices=INTERVALS, required=True), "interval_count": Int(min=1),
    "trial_period_days": Int(min=0, max=730),
    "usage_type": Enum(choices=("licensed", "metered")),
})
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
PACKAGE = Obj(fields={k: Custom(fn=_dimension, required=True)
                      for k in ("height", "length", "weight", "width")}, nullable=True)
TAX_DETAILS = Obj(fields={"performance_location": Str(), "tax_code": Str(nullable=True)},
                  nullable=True)
FEATURES = ListOf(item=Obj(fields={"name": Str(required=True, max_length=80)}), max_items=15,
                  nullable=True)
DEFAULT_PRICE_DATA = Obj(fields={
    "currency": Str(required=True), "unit_amount": Int(min=0),
    "unit_amount_decimal": Custom(fn=decimal_amount),
    "tax_behavior": Enum(choices=TAX_BEHAVIORS), "metadata": Metadata(),
    "recurring": RECURRING,
})
WRITABLE: dict[str, Param] = {
    "name": Str(max_length=250),
    "active": Bool(),
    "description": Str(max_length=40000, nullable=True),
    "images": ListOf(item=Str(max_length=2048), max_items=8, nullable=True),
    "marketing_features": FEATURES,
    "metadata": Metadata(),
    "package_dimensions": PACKAGE,
    "shippable": Bool(),
    "statement_descriptor": Str(max_length=22),
    "tax_code": Str(nullable=True),
    "tax_details": TAX_DETAILS,
    "unit_label": Str(max_length=12, nullable=True),
    "url": Str(max_length=5000, nullable=True),
}
CREATE: dict[str, Param] = {
    **WRITABLE,
    "name": Str(required=True, max_length=250),
    "type": Enum(choices=("good", "service")),
    "default_price_data": DEFAULT_PRICE_DATA,
    # Not ``id``: Stripe takes a product ID of the caller's choosing, but the emulator's IDs
    # are one space for every tenant, so a chosen ID would tell one platform what another has
    # named. Left out, it is the core's "not modelled" 400.
}
UPDATE: dict[str, Param] = {**WRITABLE, "default_price": Str()}
# Query fields for products (https://docs.stripe.com/search#query-fields-for-products).
SEARCH_FIELDS = {"active": BOOLEAN, "description": STRING, "metadata": STRING,
                 "name": STRING, "shippable": BOOLEAN, "url": STRING}


def _details(params: dict[str, Any]) -> dict[str, Any] | None:
    details = params.get("tax_details")
    if not details:
        return None
    return {"performance_location": details.get("performance_location"),
            "tax_code": details.get("tax_code")}


def new_product(ctx: Context, params: dict[str, Any], *, parent: str | None = None,
                announce: bool = True) -> dict[str, Any]:
    """A Product; with ``parent`` (a Checkout Session's ``product_data``) it is created
    inline and not announced (the docs do not say whether Stripe sends
    ``product.created`` then; the emulator does not)."""
    now = ctx.now()
    product = build(
        "Product", id=ctx.new_id("prod", 14), object="product",
        active=params.get("active", True), created=now, default_price=None,
        description=params.get("description"), images=params.get("images") or [],
        livemode=False,
        marketing_features=[{"name": f["name"]} for f in params.get("marketing_features")
                            or []],
        metadata=params.get("metadata") or {}, name=params["name"],
        package_dimensions=params.get("package_dimensions"),
        shippable=params.get("shippable"),
        statement_descriptor=params.get("statement_descriptor"),
        tax_code=params.get("tax_code"), tax_details=_details(params),
        type=params.get("type", "service"), unit_label=params.get("unit_label"),
        updated=now, url=params.get("url"),
    )
    ctx.insert(product, parent=parent)
    if "default_price_data" in params:
        from .prices import new_price

        price = new_price(ctx, {**params["default_price_data"], "product": product["id"]},
                          prefix="default_price_data", announce=False)
        product["default_price"] = price["id"]
        ctx.save(product)
        if announce:
            ctx.emit("product.created", product)
            ctx.emit("price.created", price)
        return product
    if announce and parent is None:
        ctx.emit("product.created", product)
    return product


@route("POST", "/v1/products", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return new_product(ctx, params)


@route("GET", "/v1/products/search", params=SEARCH_PARAMS)
def search(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return search_page(ctx, params, "/v1/products/search", type="product",
                       fields=SEARCH_FIELDS)


@route("GET", "/v1/products/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "product", param="id")


@route("POST", "/v1/products/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    product = ctx.get(id, "product", param="id")
    before = copy.deepcopy(product)
    if "default_price" in params:
        price = ctx.find(params["default_price"], "price")
        if price is None or price[0] != ctx.account:
            raise NotFound("price", params["default_price"], param="default_price")
        if price[1]["product"] != id:
            raise InvalidRequest("The default price must be a price of this product.",
                                 param="default_price")
        if not price[1]["active"]:
            raise InvalidRequest("The default price must be active.", param="default_price")
        product["default_price"] = params["default_price"]
    for key, value in params.items():
        if key in ("default_price", "metadata"):
            continue
        if key == "tax_details":
            product[key] = _details(params)
        elif key == "marketing_features":
            product[key] = [{"name": f["name"]} for f in value or []]
        elif key == "images":
            product[key] = value or []
        else:
            product[key] = value
    if "metadata" in params:
        product["metadata"] = merge_metadata(product["metadata"], params["metadata"])
    previous = changes(before, product)
    if previous:
        product["updated"] = ctx.now()
        previous = changes(before, product)
        ctx.emit("product.updated", product, previous)
    ctx.save(product)
    return product


@route("DELETE", "/v1/products/<id>", params={})
def delete(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Only a product without prices can go: "Deleting a product is only possible if it has
    no prices associated with it" (https://docs.stripe.com/api/products/delete). The docs do
    not say whether an inline price (Checkout's ``price_data``) counts; the emulator lets a
    product go despite its inline prices, which the answer's wording ("user-created
    prices") suggests."""
    product = ctx.get(id, "product", param="id")
    if ctx.store.query(type="price", ns=ctx.account, where={"product": id}, limit=1,
                       top_level=True):
        raise InvalidRequest("This product cannot be deleted because it has one or more "
                             "user-created prices.", param="id")
    ctx.store.delete(id)
    ctx.emit("product.deleted", product)
    return {"id": id, "object": "product", "deleted": True}


@route("GET", "/v1/products", params={
    **LIST_PARAMS, "active": Bool(), "created": Range(), "ids": ListOf(item=Str()),
    "shippable": Bool(), "type": Enum(choices=("good", "service")), "url": Str(),
})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where: dict[str, Any] = {k: params[k] for k in ("active", "shippable", "type", "url")
                             if k in params}
    if "ids" in params:
        where["id"] = tuple(params["ids"])
    return store_page(ctx, params, "/v1/products", type="product", where=where or None)


@loader("prod")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "product")
    return found[1] if found and ctx.visible(found[0]) else None
