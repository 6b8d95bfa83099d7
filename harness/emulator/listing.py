"""Cursor pagination shared by every list endpoint (``limit``, ``starting_after``,
``ending_before``, ``has_more``, ``url``; https://docs.stripe.com/api/pagination), and the
API v2 form of it (``page`` tokens, ``next_page_url``, ``previous_page_url``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

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
) -> dict[str, Any]:
    """A list page over stored objects of one type in the acting account."""

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
        )

    def seq_of(object_id: str) -> int | None:
        return ctx.store.seq_of(object_id, type=type,
                                ns=ns or (ctx.account if parent is None else None),
                                parent=parent)

    result = page(ctx, params, url, fetch, seq_of=seq_of, kind=type)
    if render is not None:
        result["data"] = [render(o) for o in result["data"]]
    return result


# -- API v2 lists -------------------------------------------------------------------------------
# https://docs.stripe.com/api-v2-overview: a v2 list answers ``data`` with ``next_page_url`` and
# ``previous_page_url`` (null at either end); the URLs carry an opaque ``page`` token, and
# stripe-python's v2 ListObject follows next_page_url as given (v2/_list_object.py), so each
# URL repeats the request's filters and limit beside the token. The token says only where
# the page starts; it positions within the caller's own list (seq_of decides), so a forged
# one reveals nothing. The docs give neither the default nor the largest ``limit``; the v1
# figures (10, at most 100) are kept.
V2_LIMIT_DEFAULT = 10
# fetch_v2(before_seq, after_seq, limit) -> (seq, object) pairs: newest first below
# before_seq, or oldest first above after_seq
FetchV2 = Callable[[int | None, int | None, int], list[tuple[int, dict[str, Any]]]]


def page_token(direction: str, seq: int) -> str:
    raw = f"{direction}{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_page_token(token: str) -> tuple[str, int]:
    """``("next" | "previous", seq)`` from a token; anything else is a 400 on ``page``."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        text = ""
    number = text[1:]
    if len(token) > 64 or text[:1] not in ("n", "p") or not number.isascii() \
            or not number.isdigit():
        raise InvalidRequest("Invalid page token: pass the page token of a next_page_url or "
                             "previous_page_url unchanged.", code="parameter_invalid",
                             param="page")
    return ("next" if text[0] == "n" else "previous"), int(number)


def v2_page(params: dict[str, Any], path: str, fetch: FetchV2) -> dict[str, Any]:
    """One page of a v2 list; ``params`` are the validated list parameters (``limit``,
    ``page`` and the route's filters), which the page URLs repeat."""
    limit = params.get("limit") or V2_LIMIT_DEFAULT
    token = params.get("page")
    direction, cursor = read_page_token(token) if token else ("next", None)
    if direction == "next":
        rows = fetch(cursor, None, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        older = rows[-1][0] if more else None
        newer = rows[0][0] if rows and cursor is not None else None
    else:
        rows = fetch(None, cursor, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        rows.reverse()
        newer = rows[0][0] if more else None
        older = rows[-1][0] if rows else None
    query = {k: v for k, v in params.items() if k != "page" and v is not None}

    def url(direction: str, seq: int | None) -> str | None:
        if seq is None:
            return None
        pairs = encode_query({**query, "page": page_token(direction[0], seq)})
        return f"{path}?{urlencode(pairs)}"

    return {"data": [obj for _, obj in rows], "next_page_url": url("next", older),
            "previous_page_url": url("previous", newer)}


def encode_query(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``params`` as query pairs the way stripe-python writes them (``a[0]=x``,
    ``a[b]=y``, booleans as ``true``/``false``), which the core decodes back."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += encode_query(value, name)
        elif isinstance(value, list):
            pairs += encode_query(dict(enumerate(value)), name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


def store_v2_page(
    ctx: Context,
    params: dict[str, Any],
    path: str,
    *,
    type: str,
    ns: str,
    render: Callable[[dict[str, Any]], dict[str, Any]],
    keep: Callable[[dict[str, Any]], bool] = lambda obj: True,
) -> dict[str, Any]:
    """A v2 list page over stored objects of one type in ``ns``; ``keep`` filters them (a
    v2 filter may read what lives beside the stored object), ``render`` shows each one."""

    def fetch(before_seq: int | None, after_seq: int | None,
              limit: int) -> list[tuple[int, dict[str, Any]]]:
        out: list[tuple[int, dict[str, Any]]] = []
        while len(out) < limit:
            batch = ctx.store.query(type=type, ns=ns, before_seq=before_seq,
                                    after_seq=after_seq, limit=100,
                                    ascending=after_seq is not None)
            for obj in batch:
                seq = ctx.store.seq_of(obj["id"], type=type, ns=ns)
                if seq is None:
                    continue
                if after_seq is not None:
                    after_seq = seq
                else:
                    before_seq = seq
                if keep(obj):
                    out.append((seq, obj))
            if len(batch) < 100:
                break
        return out[:limit]

    result = v2_page(params, path, fetch)
    result["data"] = [render(obj) for obj in result["data"]]
    return result
