"""Decode Stripe's nested form encoding (``a[b][0][c]=x``) into Python values.

stripe-python always sends arrays with explicit indices (``items[0][price]``); other
clients (the Stripe CLI, curl users) also send ``items[]=x``. Both decode to lists.
Keys under ``metadata`` stay a dict even when they look like numbers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidRequest

_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 16


def split_key(key: str) -> list[str]:
    """``a[b][0]`` -> ``["a", "b", "0"]``; a malformed key is a 400 naming it."""
    head, _, rest = key.partition("[")
    if not rest:
        return [key]
    rest = "[" + rest
    parts = _PART.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest or not head:
        raise InvalidRequest(f"Invalid parameter name: {key}", param=key)
    if len(parts) > MAX_DEPTH:
        raise InvalidRequest(f"Parameter nested too deeply: {key}", param=key)
    return [head, *parts]


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        node: dict[str, Any] = root
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = {}
                node[part] = nxt
            elif not isinstance(nxt, dict):
                raise InvalidRequest(
                    f"Invalid parameter: {_join(parts[: i + 1])} was given as both a value "
                    "and an object",
                    param=_join(parts[: i + 1]),
                )
            node = nxt
        last = parts[-1]
        if last == "":
            # ``a[]=x`` appends: store under the next free index
            last = str(sum(1 for k in node if k.isdigit() or k.startswith("\0")))
        if isinstance(node.get(last), dict):
            raise InvalidRequest(f"Invalid parameter: {_join(parts)}", param=_join(parts))
        node[last] = value
    return _listify(root, inside_metadata=False)


def _join(parts: list[str]) -> str:
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def _listify(node: Any, inside_metadata: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, k == "metadata") for k, v in node.items()}
    if not inside_metadata and out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def decode(body: str) -> dict[str, Any]:
    return decode_pairs(parse_qsl(body, keep_blank_values=True))
