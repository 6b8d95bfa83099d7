"""What stripe-python 16 declares: every API method of its ``StripeClient`` and the
parameters each one takes (its ``*Params`` TypedDicts, nested ones included).

Read from the installed SDK, never copied: the SDK is generated from Stripe's OpenAPI spec,
so its names are the API's. The core asks this module one question, "does Stripe know this
parameter name here?", to tell a name Stripe knows but the emulator does not model yet (a
distinct 400 that says so) from one Stripe itself does not know (``parameter_unknown``).
Nothing here names a resource: methods are found by walking the client's services, and a
route is matched to one by its HTTP method and URL shape.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from typing_extensions import is_typeddict

DOCS_API = "https://docs.stripe.com/api/"
_SEGMENT = re.compile(r"\{[^}/]*\}|<[^>/]*>")
_SENTINEL = re.compile(r"__(\w+?)__")


def shape(path: str) -> str:
    """A URL template with its variable segments blanked: ``/v1/accounts/{account}`` (the
    SDK's way) and ``/v1/accounts/<id>`` (werkzeug's) are both ``/v1/accounts/{}``."""
    return _SEGMENT.sub("{}", path)


# -- the parameters of one method ---------------------------------------------------------------
@dataclass
class Field:
    """One declared parameter: how it may be written, and what it holds."""

    name: str
    required: bool = False
    child: Node | None = None  # an object's declared keys (or each list item's)
    is_list: bool = False
    is_map: bool = False  # free keys (Dict[str, str], metadata)
    scalars: set[str] = field(default_factory=set)  # of "str", "int", "bool", "float"
    choices: list[str] = field(default_factory=list)  # Literal values
    emptiable: bool = False  # Literal[""]: "" unsets it


class Node:
    """The declared keys of one TypedDict, built on first use (the SDK has thousands)."""

    def __init__(self, cls: type, docs: str, *, top: bool = False) -> None:
        self.cls = cls
        self.docs = docs  # the method's page in Stripe's API reference
        self.top = top

    def __repr__(self) -> str:
        return f"Node({self.cls.__name__})"

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    @cached_property
    def fields(self) -> dict[str, Field]:
        skip: set[str] = set()
        if self.top:  # a method's Params class also carries the SDK's request options
            from stripe._request_options import RequestOptions

            skip = set(RequestOptions.__annotations__)
        namespace = vars(sys.modules[self.cls.__module__])
        required = getattr(self.cls, "__required_keys__", frozenset())
        out: dict[str, Field] = {}
        for name, ann in self.cls.__annotations__.items():
            if name in skip:
                continue
            spec = Field(name, required=name in required)
            _read(ann, spec, namespace, self.docs, depth=0)
            out[name] = spec
        return out

    def paths(self, prefix: str = "", depth: int = 0) -> list[tuple[str, Field]]:
        """Every declared parameter below this one, written Stripe's way
        (``transfer_data[amount]``; a list item's keys as ``line_items[0][price]``)."""
        found: list[tuple[str, Field]] = []
        for name, spec in self.fields.items():
            path = f"{prefix}[{name}]" if prefix else name
            found.append((path, spec))
            if spec.child is not None and depth < 12:
                below = f"{path}[0]" if spec.is_list else path
                found.extend(spec.child.paths(below, depth + 1))
        return found


def _read(ann: Any, spec: Field, namespace: dict[str, Any], docs: str, depth: int) -> None:
    """Fold one annotation into ``spec`` (unions, lists, literals, nested TypedDicts)."""
    if depth > 8:
        return
    if isinstance(ann, typing.ForwardRef):
        ann = ann.__forward_arg__
    if isinstance(ann, str):
        try:
            ann = eval(ann, namespace)  # noqa: S307 - the SDK's own annotation text
        except Exception:
            spec.scalars.add("str")
            return
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in (typing.Union, types.UnionType) or _named(origin, "NotRequired", "Required"):
        for arg in args:
            _read(arg, spec, namespace, docs, depth + 1)
    elif origin is typing.Literal:
        for value in args:
            if value == "":
                spec.emptiable = True
            elif isinstance(value, str):
                spec.choices.append(value)
    elif origin in (list, tuple) or origin is typing.List:  # noqa: UP006
        spec.is_list = True
        for arg in args[:1]:
            _read(arg, spec, namespace, docs, depth + 1)
    elif origin is dict or (isinstance(origin, type) and "StripeObject" in origin.__name__):
        spec.is_map = True
    elif isinstance(ann, type) and is_typeddict(ann):
        spec.child = Node(ann, docs)
    elif ann in (str, int, bool, float):
        spec.scalars.add(ann.__name__)
    elif ann is Any:
        spec.scalars.add("str")


def _named(origin: Any, *names: str) -> bool:
    return getattr(origin, "_name", None) in names or repr(origin).endswith(
        tuple(f".{n}" for n in names))


# -- the methods ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One method of stripe-python's ``StripeClient``: ``v1.payment_intents`` ``create`` is
    ``POST /v1/payment_intents`` taking ``PaymentIntentCreateParams``."""

    service: str  # "v1.payment_intents"
    name: str  # "create"
    method: str  # "POST"
    path: str  # "/v1/payment_intents/{intent}"
    path_args: tuple[str, ...]
    params_module: str | None  # "stripe.params"
    params_class: str | None  # "PaymentIntentCreateParams"

    @property
    def id(self) -> str:
        return f"{self.service}.{self.name}"

    @property
    def resource(self) -> str:
        """The service without its API version: ``payment_intents``, ``checkout.sessions``."""
        return self.service.partition(".")[2]

    @property
    def docs(self) -> str:
        """The method's page in Stripe's API reference, built the way Stripe names most
        of them (``/api/payment_intents/create``, ``/api/checkout/sessions/list``). The
        reference has no index to read this from offline, and a few pages are named
        otherwise (a login link's is ``/api/accounts/login_link/create``): for those the
        link is this best guess, and the message still names the method."""
        version = "v2/" if self.service.startswith("v2.") else ""
        return DOCS_API + version + self.resource.replace(".", "/") + "/" + self.name

    @cached_property
    def params(self) -> Node | None:
        if not self.params_class or not self.params_module:
            return None
        cls = getattr(importlib.import_module(self.params_module), self.params_class, None)
        return Node(cls, self.docs, top=True) if isinstance(cls, type) else None


class _Captured(Exception):
    pass


class _Recorder:
    """A requestor that records the request a service method would send, and sends none."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        raise _Captured(method, url)

    request_async = request_stream = request_stream_async = request


def _params_class(fn: Any) -> str | None:
    param = inspect.signature(fn).parameters.get("params")
    if param is None:
        return None
    match = re.search(r"(\w+Params)\b", str(param.annotation))
    return match.group(1) if match else None


def _walk(cls: type, prefix: str, seen: set[type], out: list[Operation]) -> None:
    if cls in seen:
        return
    seen.add(cls)
    module = sys.modules[cls.__module__]
    for name, (where, clsname) in sorted(getattr(module, "_subservices", {}).items()):
        _walk(getattr(importlib.import_module(where), clsname), f"{prefix}.{name}", seen, out)
    service = cls(_Recorder())
    # the SDK keeps a service's params beside it: stripe.checkout -> stripe.params.checkout
    params_module = "stripe.params" + cls.__module__.rpartition(".")[0][len("stripe"):]
    for name, fn in vars(cls).items():
        if name.startswith("_") or not inspect.isfunction(fn) or \
                inspect.iscoroutinefunction(fn):
            continue
        signature = inspect.signature(fn)
        positional = [p.name for p in signature.parameters.values()
                      if p.kind == p.POSITIONAL_ONLY and p.name != "self"]
        kwargs = {}
        params = signature.parameters.get("params")
        if params is not None and params.default is inspect.Parameter.empty:
            kwargs["params"] = {}
        try:
            getattr(service, name)(*(f"__{a}__" for a in positional), **kwargs)
        except _Captured as done:
            method, url = done.args
        except Exception:  # not a plain request (none in stripe-python 16): not an API method
            continue
        else:
            continue
        path = _SENTINEL.sub(lambda m: "{" + m.group(1) + "}", url.split("?")[0])
        out.append(Operation(prefix, name, method.upper(), path, tuple(positional),
                             params_module, _params_class(fn)))


@cache
def operations() -> tuple[Operation, ...]:
    """Every method of ``StripeClient().v1`` and ``.v2``, services nested in services
    included (``v1.accounts.login_links.create``)."""
    from stripe._v1_services import V1Services
    from stripe._v2_services import V2Services

    out: list[Operation] = []
    seen: set[type] = set()
    _walk(V1Services, "v1", seen, out)
    _walk(V2Services, "v2", seen, out)
    return tuple(out)


@cache
def _by_shape() -> dict[tuple[str, str], Operation]:
    table: dict[tuple[str, str], Operation] = {}
    for op in operations():
        table.setdefault((op.method, shape(op.path)), op)
    return table


@cache
def _by_id() -> dict[str, Operation]:
    return {op.id: op for op in operations()}


def operation_for(method: str, path: str, sdk: str | None = None) -> Operation | None:
    """The SDK method a route serves: ``sdk`` (an operation id such as
    ``v1.accounts.login_links.create``) when the route names one, else the method whose
    HTTP method and URL shape are the route's. None for what only the emulator has."""
    if sdk:
        return _by_id().get(sdk)
    return _by_shape().get((method.upper(), shape(path)))


@cache
def _static() -> dict[tuple[str, str], Operation]:
    """The SDK's methods whose URL has no variable part (``GET /v1/payment_intents/search``)."""
    return {(op.method, op.path): op for op in reversed(operations()) if "{" not in op.path}


@cache
def _patterns() -> dict[tuple[str, int], list[tuple[re.Pattern[str], Operation]]]:
    table: dict[tuple[str, int], list[tuple[re.Pattern[str], Operation]]] = {}
    for op in operations():
        parts = op.path.strip("/").split("/")
        regex = "/".join("[^/]+" if part.startswith("{") else re.escape(part)
                         for part in parts)
        table.setdefault((op.method, len(parts)), []).append((re.compile(regex), op))
    for entries in table.values():  # the most literal template first (".../search" before "{}")
        entries.sort(key=lambda entry: entry[1].path.count("{"))
    return table


def operation_at(method: str, path: str) -> Operation | None:
    """The SDK method a concrete request (``POST /v1/subscriptions/sub_1/cancel``) calls, if
    any: how the core tells a Stripe method it does not model from a URL Stripe lacks."""
    method = method.upper()
    found = _static().get((method, path))
    if found is not None:
        return found
    parts = path.strip("/").split("/")
    for regex, op in _patterns().get((method, len(parts)), []):
        if regex.fullmatch("/".join(parts)):
            return op
    return None


def shadowed(method: str, path: str, route_path: str, path_args: dict[str, Any]) -> \
        Operation | None:
    """The SDK method a route with variables caught by mistake: ``GET
    /v1/payment_intents/search`` is Stripe's search, not a retrieve of the PaymentIntent
    ``search``. Stripe's IDs carry an underscore (``pi_…``), so only a request with a
    bare word in a variable part is looked up."""
    if not path_args or all("_" in str(value) for value in path_args.values()):
        return None
    found = _static().get((method.upper(), path))
    if found is None or shape(found.path) == shape(route_path):
        return None
    return found
