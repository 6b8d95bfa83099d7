"""Decode Stripe's nested form encoding (``a[b][0][c]=x``) into Python values.

stripe-python always sends arrays with explicit indices (``items[0][price]``); other
clients (the Stripe CLI, curl users) also send ``items[]=x``. Both decode to lists.
Keys under ``metadata`` stay a dict even when they look like numbers, and so does the
top level: ``0=x`` is an unknown parameter named ``0``, never a list of parameters.

Decoding runs before authentication, so its cost is bounded and linear in the input:
at most :data:`MAX_FIELDS` pairs, :data:`MAX_DEPTH` levels, and only ASCII digits of at
most :data:`MAX_INDEX_DIGITS` make a list index (``[²]`` or ``[٣]`` is a plain key).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidRequest

_PART = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]{1,6}")  # ASCII only: str.isdigit() also accepts "²" and "٣"
MAX_DEPTH = 16
MAX_INDEX_DIGITS = 6
MAX_FIELDS = 4096  # pairs in one request (Stripe documents no figure; 50 metadata keys and
#                    100 line items of a few fields each stay far below it)


def is_index(part: str) -> bool:
    """An array index as Stripe's encoders write it: ASCII digits, a bounded number."""
    return _INDEX.fullmatch(part) is not None


class _List(dict):
    """A node built by ``a[]`` appends or numeric indices; becomes a list at the end."""

    __slots__ = ("next_index",)

    def __init__(self) -> None:
        super().__init__()
        self.next_index = 0


def split_key(key: str) -> list[str]:
    """``a[b][0]`` -> ``["a", "b", "0"]``; a malformed key is a 400 naming it."""
    head, _, rest = key.partition("[")
    if not rest:
        return [key]
    rest = "[" + rest
    parts = _PART.findall(rest)
    if len(parts) > MAX_DEPTH:
        raise InvalidRequest(f"Parameter nested too deeply: {key[:200]}", param=key[:200])
    if sum(len(p) + 2 for p in parts) != len(rest) or not head:
        raise InvalidRequest(f"Invalid parameter name: {key[:200]}", param=key[:200])
    return [head, *parts]


def too_many_fields(count: int) -> InvalidRequest:
    return InvalidRequest(
        f"Too many parameters: a request may carry at most {MAX_FIELDS} "
        f"(this one has {count}).", code="parameter_invalid")


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``pairs`` into dicts and lists, in one pass over the input."""
    if len(pairs) > MAX_FIELDS:
        raise too_many_fields(len(pairs))
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        node: dict[str, Any] = root
        for i, part in enumerate(parts[:-1]):
            part = _slot(node, part, parts, i)
            nxt = node.get(part)
            if nxt is None:
                nxt = _List() if is_index(parts[i + 1]) or parts[i + 1] == "" else {}
                node[part] = nxt
            elif not isinstance(nxt, dict):
                raise InvalidRequest(
                    f"Invalid parameter: {_join(parts[: i + 1])} was given as both a value "
                    "and an object",
                    param=_join(parts[: i + 1]),
                )
            node = nxt
        last = _slot(node, parts[-1], parts, len(parts) - 1)
        if isinstance(node.get(last), dict):
            raise InvalidRequest(f"Invalid parameter: {_join(parts)}", param=_join(parts))
        node[last] = value
    return {k: _finish(v, k == "metadata") for k, v in root.items()}


def _slot(node: dict[str, Any], part: str, parts: list[str], i: int) -> str:
    """The key ``part`` takes in ``node``: ``[]`` appends to a list node (O(1))."""
    if isinstance(node, _List):
        if part == "":
            part = str(node.next_index)
        elif is_index(part):
            part = str(int(part))  # "007" and "7" are one index
        if is_index(part):
            node.next_index = max(node.next_index, int(part) + 1)
    elif part == "" and i > 0:
        raise InvalidRequest(
            f"Invalid parameter: {_join(parts[:i])} is an object, not an array",
            param=_join(parts[:i]))
    return part


def _join(parts: list[str]) -> str:
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def _finish(node: Any, inside_metadata: bool) -> Any:
    """Turn list nodes whose keys are all indices into lists (sorted by index)."""
    if not isinstance(node, dict):
        return node
    out = {k: _finish(v, k == "metadata") for k, v in node.items()}
    if not inside_metadata and out and all(is_index(k) for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def decode(body: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # parse_qsl's own field cap
        raise too_many_fields(body.count("&") + 1) from None
    return decode_pairs(pairs)


def decode_json(body: str) -> dict[str, Any]:
    """An API v2 request body: one JSON object (https://docs.stripe.com/api-v2-overview:
    "requests and responses use JSON encoding").

    Bounded like the form decoder: at most :data:`MAX_DEPTH` levels and :data:`MAX_FIELDS`
    values, so a hostile body costs linear work and never a 500 (``RecursionError`` on a
    deep array, ``ValueError`` on a 5000-digit number). The docs give no wording for a body
    that is not JSON; the emulator's says which rule was broken."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest(
            "Invalid request: the body is not valid JSON (API v2 requests take an "
            "application/json body).", code="parameter_invalid") from None
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid request: the JSON body must be an object.",
                             code="parameter_invalid")
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_FIELDS:
            raise too_many_fields(count)
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise InvalidRequest("Invalid request: the JSON body is nested too deeply "
                                     f"(at most {MAX_DEPTH} levels).", code="parameter_invalid")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return value


def _no_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259), though Python reads them."""
    raise ValueError(name)
