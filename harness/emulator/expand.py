"""``expand[]``: replace an ID with the object it names, to any depth Stripe allows (4).

The object is found through the registry's loader for its ID prefix, so any resource
can be expanded from anywhere without the core knowing what it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest
from .registry import registry

if TYPE_CHECKING:
    from .context import Context

MAX_DEPTH = 4
# Stripe documents the depth limit, not a count; the emulator caps the count because every
# path may load a hundred objects while the request holds the store.
MAX_PATHS = 50


def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    prefix = object_id.split("_", 1)[0]
    loader = registry.loaders.get(prefix)
    return None if loader is None else loader(ctx, object_id)


def expand(ctx: Context, obj: Any, paths: list[str]) -> Any:
    paths = list(dict.fromkeys(paths))  # a path named twice is expanded once
    if len(paths) > MAX_PATHS:
        raise InvalidRequest(f"You may expand at most {MAX_PATHS} properties in one request "
                             f"(this one asked for {len(paths)}).", param="expand")
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise InvalidRequest(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. "
                f"Property: {path}",
                param="expand",
            )
        if ctx.key_type == "publishable" and len(parts) > 1:
            # A publishable key sees only an object's public view; expanding through it
            # (payment_method.customer) would hand a browser another object in full.
            raise InvalidRequest(f"This property cannot be expanded ({path}) with a "
                                 "publishable key.", param="expand")
        obj = _expand(ctx, obj, parts, path)
    return obj


def _expand(ctx: Context, obj: Any, parts: list[str], path: str) -> Any:
    if not parts:
        return obj
    if isinstance(obj, list):
        return [_expand(ctx, item, parts, path) for item in obj]
    if not isinstance(obj, dict):
        raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
    head, rest = parts[0], parts[1:]
    if head not in obj:
        raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
    value = obj[head]
    fill = registry.expanders.get((obj.get("object"), head))
    if value is None and fill is not None:
        value = fill(ctx, obj)
    if isinstance(value, str):
        loaded = load(ctx, value)
        if loaded is None:
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
        value = loaded
    elif value is None:
        return obj
    obj = dict(obj)
    obj[head] = _expand(ctx, value, rest, path) if rest else value
    return obj
