"""ApplicationFee: what the platform keeps from each destination or direct charge."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..listing import store_page
from ..params import LIST_PARAMS, Range, Str
from ..registry import loader, route


@route("GET", "/v1/application_fees/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "application_fee", param="id")


@route("GET", "/v1/application_fees", params={**LIST_PARAMS, "charge": Str(), "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {"charge": params["charge"]} if "charge" in params else None
    return store_page(ctx, params, "/v1/application_fees", type="application_fee", where=where)


@loader("fee")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "application_fee")
    return found[1] if found and ctx.visible(found[0]) else None
