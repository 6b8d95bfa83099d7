"""Cursor pagination shared by every list endpoint (``limit``, ``starting_after``,
``ending_before``, ``has_more``, ``url``). See https://docs.stripe.com/api/pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, NotFound

if TYPE_CHECKING:
    from .context import Context

# fetch(before_seq, after_seq, limit) -> objects newest first
Fetch = Callable[[int | None, int | None, int], list[dict[str, Any]]]


def page(
    ctx: Context,
    params: dict[str, Any],
    url: str,
    fetch: Fetch,
    seq_of: Callable[[str], int | None] | None = None,
    kind: str = "object",
) -> dict[str, Any]:
    limit = params.get("limit", 10)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise InvalidRequest(
            "You may only specify one of these parameters: starting_after, ending_before.",
            code="parameters_exclusive",
            param="ending_before",
        )
    if seq_of is None:
        # A cursor must be an object of this list's type in the caller's own namespace:
        # another tenant's ID answers as an unknown one, never as a position among ours.
        def seq_of(object_id: str) -> int | None:
            return ctx.store.seq_of(object_id, type=kind, ns=ctx.account)
    before_seq = after_seq = None
    if after:
        before_seq = seq_of(after)
        if before_seq is None:
            raise NotFound(kind, after, param="starting_after")
    if before:
        after_seq = seq_of(before)
        if after_seq is None:
            raise NotFound(kind, before, param="ending_before")
    rows = fetch(before_seq, after_seq, limit + 1)
    has_more = len(rows) > limit
    if after_seq is not None:
        # fetched oldest-first above the cursor; keep the ones nearest the cursor
        rows = rows[:limit]
        rows.reverse()
    else:
        rows = rows[:limit]
    return {"object": "list", "data": rows, "has_more": has_more, "url": url}


def store_page(
    ctx: Context,
    params: dict[str, Any],
    url: str,
    *,
    type: str,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    where: dict[str, Any] | None = None,
    parent: str | None = None,
    ns: str | None = None,
    top_level: bool = False,
) -> dict[str, Any]:
    """A list page over stored objects of one type in the acting account (``top_level``:
    only those that belong to no parent object)."""

    def fetch(before_seq: int | None, after_seq: int | None, limit: int) -> list[dict]:
        return ctx.store.query(
            type=type,
            ns=ns or (ctx.account if parent is None else None),
            parent=parent,
            where=where,
            created=params.get("created"),
            before_seq=before_seq,
            after_seq=after_seq,
            limit=limit,
            ascending=after_seq is not None,
            top_level=top_level,
        )

    def seq_of(object_id: str) -> int | None:
        return ctx.store.seq_of(object_id, type=type,
                                ns=ns or (ctx.account if parent is None else None),
                                parent=parent)

    result = page(ctx, params, url, fetch, seq_of=seq_of, kind=type)
    if render is not None:
        result["data"] = [render(o) for o in result["data"]]
    return result
