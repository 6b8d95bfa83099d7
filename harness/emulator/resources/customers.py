"""Customer: the renter, who can keep payment methods for later."""

from __future__ import annotations

import copy
from typing import Any

from ..context import Context
from ..listing import store_page
from ..params import LIST_PARAMS, Metadata, NotModelled, Range, Str
from ..registry import loader, route
from ..shapes import build, merge_metadata
from .events import changes
from .payment_methods import attach_to_customer, resolve

WRITABLE = {
    "email": Str(nullable=True, max_length=512),
    "name": Str(nullable=True, max_length=256),
    "phone": Str(nullable=True, max_length=20),
    "description": Str(nullable=True),
    "metadata": Metadata(),
}


def new_customer(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    customer = build(
        "Customer",
        id=ctx.new_id("cus", 14),
        object="customer",
        created=ctx.now(),
        livemode=False,
        balance=0,
        delinquent=False,
        default_source=None,
        tax_exempt="none",
        test_clock=None,
        invoice_prefix=ctx.token(8).upper(),
        invoice_settings={"custom_fields": None, "default_payment_method": None,
                          "footer": None, "rendering_options": None},
        next_invoice_sequence=1,
        preferred_locales=[],
        email=params.get("email"),
        name=params.get("name"),
        phone=params.get("phone"),
        description=params.get("description"),
        metadata=params.get("metadata") or {},
    )
    ctx.insert(customer)
    ctx.emit("customer.created", customer)
    return customer


# Legacy card sources (``source=tok_visa``, ``default_source``) are not modelled: cards are
# saved as PaymentMethods (``payment_method`` here, SetupIntents, attach).
SOURCE = NotModelled(hint="Save cards as PaymentMethods: payment_method on create, a "
                          "SetupIntent, or POST /v1/payment_methods/{id}/attach.")


@route("POST", "/v1/customers",
       params={**WRITABLE, "payment_method": Str(), "source": SOURCE})
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """``payment_method`` attaches that card to the new customer
    (https://docs.stripe.com/api/customers/create#create_customer-payment_method)."""
    pm = resolve(ctx, params["payment_method"]) if params.get("payment_method") else None
    customer = new_customer(ctx, params)
    if pm is not None:
        attach_to_customer(ctx, pm, customer["id"])
    return customer


@route("GET", "/v1/customers/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    # A real 404 (GET /v1/customers/:id) names "id" as the param.
    return ctx.get(id, "customer", param="id")


@route("POST", "/v1/customers/<id>", params={**WRITABLE, "source": SOURCE})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    customer = ctx.get(id, "customer", param="customer")
    before = copy.deepcopy(customer)
    for key, value in params.items():
        if key == "metadata":
            customer["metadata"] = merge_metadata(customer["metadata"], value)
        else:
            customer[key] = value
    ctx.save(customer)
    previous = changes(before, customer)
    if previous:  # Stripe announces real changes only
        ctx.emit("customer.updated", customer, previous)
    return customer


@route("DELETE", "/v1/customers/<id>", params={})
def delete(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    customer = ctx.get(id, "customer", param="customer")
    ctx.store.delete(id)
    ctx.emit("customer.deleted", customer)  # the customer as it was
    return {"id": id, "object": "customer", "deleted": True}


@route("GET", "/v1/customers", params={**LIST_PARAMS, "email": Str(), "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {"email": params["email"]} if "email" in params else None
    return store_page(ctx, params, "/v1/customers", type="customer", where=where)


@loader("cus")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "customer")
    return found[1] if found and ctx.visible(found[0]) else None
