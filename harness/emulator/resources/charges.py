"""Charge: created by PaymentIntents (``ch_``) and by destination transfers (``py_``)."""

from __future__ import annotations

import copy
from typing import Any

from ..context import Context
from ..listing import store_page
from ..params import LIST_PARAMS, Metadata, Range, Str
from ..registry import loader, route
from ..shapes import merge_metadata
from .events import changes


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
