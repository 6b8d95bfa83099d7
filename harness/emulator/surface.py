"""How much of Stripe the emulator covers, read at run time from its registered routes and
from what stripe-python 16 declares (``declared.py``): every SDK method is implemented (a
route serves it) or answered with the "not modelled" 400, and every parameter of an
implemented method is honoured (its schema reads it) or answered with the "not modelled"
400. Whatever routes and parameters exist when this runs are what it counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .context import Context
from .declared import Node, Operation, operations, shape
from .params import Custom, ListOf, Metadata, Obj, Param
from .registry import Route, registry
from .settings import SDK_API_VERSION

HONOURED, NOT_MODELLED, UNCHECKED, UNKNOWN = "honoured", "not modelled", "unchecked", "unknown"
IMPLEMENTED, ABSENT = "implemented", "absent"


@dataclass
class Method:
    """One SDK method: whether a route serves it, and how its declared parameters fare."""

    op: Operation
    status: str  # IMPLEMENTED or NOT_MODELLED (the pipeline's 400 for a Stripe method)
    route: Route | None = None
    # every declared parameter path ("transfer_data[amount]"), with HONOURED, NOT_MODELLED,
    # UNCHECKED (the route takes any parameters, unread) or UNKNOWN (answered "unknown
    # parameter" though Stripe declares it: a bug)
    params: dict[str, str] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for value in self.params.values() if value == status)


def _removed_at_sdk_version(spec: Param) -> bool:
    """Would a request on the SDK's own version be told this name is unknown? (The
    pipeline's rule: the request's ``Context.version_at_least``.)"""
    at_sdk = Context(None, "", "", SDK_API_VERSION)  # type: ignore[arg-type]
    return spec.until is not None and at_sdk.version_at_least(spec.until)


def _below(node: Node, prefix: str, status: str, out: dict[str, str]) -> None:
    for path, _spec in node.paths(prefix):
        out[path] = status


def classify(node: Node, schema: dict[str, Param] | None, prefix: str = "",
             out: dict[str, str] | None = None, depth: int = 0) -> dict[str, str]:
    """Each parameter ``node`` declares, judged against the route's ``schema``."""
    out = {} if out is None else out
    for name, declared in node.fields.items():
        path = f"{prefix}[{name}]" if prefix else name
        inner = f"{path}[0]" if declared.is_list else path
        child = declared.child
        if schema is None:
            status = UNCHECKED
        elif not prefix and name == "expand":
            status = HONOURED  # the pipeline reads expand[] for every route
        elif name not in schema:
            status = NOT_MODELLED
        elif _removed_at_sdk_version(schema[name]):
            status = UNKNOWN
        else:
            status = HONOURED
        out[path] = status
        if child is None:
            continue
        if status != HONOURED or schema is None:
            _below(child, inner, status, out)
            continue
        spec: Any = schema[name]
        if isinstance(spec, ListOf):
            spec = spec.item
        if isinstance(spec, Obj) and depth < 12:
            classify(child, spec.fields, inner, out, depth + 1)
        elif isinstance(spec, (Custom, Metadata)):
            _below(child, inner, HONOURED, out)  # read by its own rule (a range, free keys)
        else:  # read as a plain value; Stripe's object form is not modelled
            _below(child, inner, NOT_MODELLED, out)
    return out


def surface(routes: list[Route] | None = None) -> list[Method]:
    """Every method of stripe-python's StripeClient, in the SDK's order, with its status."""
    if routes is None:
        from . import routes as _all  # noqa: F401 - registers every route

        routes = registry.routes
    served: dict[tuple[str, str], Route] = {}
    named: dict[str, Route] = {}
    for route in routes:
        if route.sdk:
            named[route.sdk] = route
        else:
            served.setdefault((route.method, shape(route.path)), route)
    out = []
    for op in operations():
        route = named.get(op.id) or served.get((op.method, shape(op.path)))
        if route is None:
            out.append(Method(op, NOT_MODELLED))
            continue
        method = Method(op, IMPLEMENTED, route)
        if op.params is not None:
            method.params = classify(op.params, None if route.raw else route.params)
        out.append(method)
    return out


def emulator_only(routes: list[Route] | None = None) -> list[Route]:
    """API routes that serve no SDK method (the emulator's own controls, Stripe.js' calls)."""
    if routes is None:
        from . import routes as _all  # noqa: F401

        routes = registry.routes
    known = {(op.method, shape(op.path)) for op in operations()}
    return [r for r in routes if not r.raw and (r.method, shape(r.path)) not in known
            and not r.sdk]


def totals(methods: list[Method]) -> dict[str, int]:
    """The figures: methods by status, and the parameters of implemented methods."""
    counts: Counter[str] = Counter()
    for method in methods:
        counts[f"methods {method.status}"] += 1
        for status in method.params.values():
            counts[f"params {status}"] += 1
    return dict(counts)
