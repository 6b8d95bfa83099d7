"""Helpers shared by the emulator tests: raw HTTP, a recording SDK transport, the
stripe-python field checker, and ledger snapshots."""

from __future__ import annotations

import json
import typing
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import stripe
import werkzeug.test
from stripe._object_classes import OBJECT_CLASSES, get_object_class
from stripe._stripe_object import StripeObject

from harness.lab.server import BackgroundServer
from harness.lab.wsgi_client import WsgiTransport

from ..conftest import make_client


# -- raw HTTP ----------------------------------------------------------------------------------
@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


def raw(
    server: BackgroundServer,
    method: str,
    path: str,
    *,
    key: str | None = None,
    params: dict[str, Any] | list[tuple[str, str]] | None = None,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Raw:
    """One HTTP request with urllib: for what the SDK cannot express."""
    url = server.url + path
    data: bytes | None = None
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    encoded = urllib.parse.urlencode(params or {}, doseq=True)
    if method == "GET":
        if encoded:
            url += "?" + encoded
    else:
        data = body.encode() if isinstance(body, str) else body
        if data is None:
            data = encoded.encode()
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status, hdrs, text = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, text = exc.code, dict(exc.headers), exc.read()
    return Raw(status, hdrs, json.loads(text) if text else None)


def control(server: BackgroundServer, key: str, path: str, **params: Any) -> Raw:
    """POST an ``/_emulator/...`` control and insist it worked."""
    resp = raw(server, "POST", path, key=key, params={k: str(v) for k, v in params.items()})
    assert resp.status == 200, resp.body
    return resp


def publishable(server: BackgroundServer, key: str) -> str:
    """The platform's publishable key, read the way its owner reads it (``GET
    /_emulator/keys`` with the secret key): it is issued at random, not derived."""
    resp = raw(server, "GET", "/_emulator/keys", key=key)
    assert resp.status == 200, resp.body
    return resp.body["publishable_key"]


# -- Connect set-up -----------------------------------------------------------------------------
def seeded_world(client: werkzeug.test.Client, key: str) -> tuple[Any, dict, dict, dict]:
    """In-process: an onboarded Express account and a destination charge to it, for tests
    that need real IDs in paths. Returns (post, account, payment intent, charge), where
    ``post(path, body)`` insists on a 200 and returns the JSON."""
    auth = {"Authorization": f"Bearer {key}"}

    def post(path: str, body: dict, headers: dict | None = None) -> dict:
        response = client.post(path, data=body, headers={**auth, **(headers or {})})
        assert response.status_code == 200, response.get_data(as_text=True)
        return json.loads(response.get_data(as_text=True))

    account = post("/v1/accounts", {"type": "express",
                                    "capabilities[transfers][requested]": "true",
                                    "capabilities[card_payments][requested]": "true"})
    post(f"/_emulator/accounts/{account['id']}/complete_onboarding", {})
    pi = post("/v1/payment_intents", {
        "amount": "1000", "currency": "usd", "application_fee_amount": "123",
        "transfer_data[destination]": account["id"], "payment_method": "pm_card_visa",
        "confirm": "true", "return_url": "https://example.com/return"})
    charge = post(f"/v1/charges/{pi['latest_charge']}", {})
    return post, account, pi, charge


def onboarded_account(server: BackgroundServer, client: stripe.StripeClient, key: str) -> str:
    """An Express account whose hosted onboarding is complete (transfers active)."""
    account = client.v1.accounts.create(
        {"type": "express", "country": "US",
         "capabilities": {"card_payments": {"requested": True},
                          "transfers": {"requested": True}}}
    )
    control(server, key, f"/_emulator/accounts/{account.id}/complete_onboarding")
    return account.id


def advance(server: BackgroundServer, key: str, seconds: int) -> int:
    return control(server, key, "/_emulator/clock/advance", seconds=seconds).body["now"]


# -- ledger views ---------------------------------------------------------------------------------
def all_balance_transactions(
    client: stripe.StripeClient, account: str | None = None
) -> list[dict[str, Any]]:
    """Every balance transaction of an account, newest first, as raw JSON."""
    options: dict[str, Any] = {"stripe_account": account} if account else {}
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.raw_request("get", "/v1/balance_transactions", **params, **options)
        body = json.loads(page.body)
        out.extend(body["data"])
        if not body["has_more"]:
            return out
        params["starting_after"] = body["data"][-1]["id"]


def balance_totals(client: stripe.StripeClient, account: str | None = None) -> dict[str, int]:
    options: dict[str, Any] = {"stripe_account": account} if account else {}
    body = json.loads(client.raw_request("get", "/v1/balance", **options).body)
    return {
        bucket: sum(f["amount"] for f in body[bucket] if f["currency"] == "usd")
        for bucket in ("available", "pending")
    }


def bt_ids(client: stripe.StripeClient, account: str | None = None) -> list[str]:
    return [t["id"] for t in all_balance_transactions(client, account)]


# -- recording transport --------------------------------------------------------------------------
@dataclass
class Exchange:
    method: str
    url: str
    status: int
    key: str
    body: Any


class RecordingClient(stripe.RequestsClient):
    """The SDK's own transport, keeping every raw response body it received."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Exchange] = []

    def request(self, method, url, headers, post_data=None):  # type: ignore[override]
        content, status, resp_headers = super().request(method, url, headers, post_data)
        auth = (headers or {}).get("Authorization", "")
        self.log.append(Exchange(method, url, status, auth.removeprefix("Bearer "),
                                 json.loads(content) if content else None))
        return content, status, resp_headers


def recording_client(
    server: BackgroundServer, key: str, **kwargs: Any
) -> tuple[stripe.StripeClient, RecordingClient]:
    transport = RecordingClient()
    return make_client(server, key, http_client=transport, **kwargs), transport


# -- in-process transport -------------------------------------------------------------------------


def wsgi_client(app: Any, key: str, **kwargs: Any) -> stripe.StripeClient:
    base = "http://emulator.invalid"
    return stripe.StripeClient(key, http_client=WsgiTransport(app), max_network_retries=0,
                               base_addresses={"api": base, "connect": base, "files": base},
                               **kwargs)


# -- stripe-python declarations -------------------------------------------------------------------
def annotations_of(cls: type) -> dict[str, Any]:
    """Every field a stripe-python class declares, inherited ones included (no ClassVars)."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, ann in getattr(klass, "__annotations__", {}).items():
            if name.startswith("_") or typing.get_origin(ann) is typing.ClassVar:
                out.pop(name, None)
                continue
            out[name] = ann
    return out


def is_optional(ann: Any) -> bool:
    return typing.get_origin(ann) is typing.Union and type(None) in typing.get_args(ann)


def _strip_optional(ann: Any) -> Any:
    if is_optional(ann):
        rest = [a for a in typing.get_args(ann) if a is not type(None)]
        return rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    return ann


def _nested_class(ann: Any) -> tuple[str, type] | None:
    """("one" | "list" | "dict", cls) when a field holds a nested typed StripeObject."""
    ann = _strip_optional(ann)
    origin = typing.get_origin(ann)
    if isinstance(ann, type) and issubclass(ann, StripeObject) and ann.__annotations__:
        return "one", ann
    if origin in (list, typing.List):  # noqa: UP006
        (item,) = typing.get_args(ann) or (None,)
        if isinstance(item, type) and issubclass(item, StripeObject) and item.__annotations__:
            return "list", item
    if origin in (dict, typing.Dict):  # noqa: UP006
        args = typing.get_args(ann)
        if len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], StripeObject) \
                and args[1].__annotations__:
            return "dict", args[1]
    return None


@dataclass
class Problems:
    items: set[str] = field(default_factory=set)
    types_seen: set[str] = field(default_factory=set)
    classes_checked: set[str] = field(default_factory=set)

    def add(self, text: str) -> None:
        self.items.add(text)


def check_fields(
    obj: dict[str, Any], cls: type, label: str, problems: Problems, *, partial: bool = False
) -> None:
    """Every key is declared by ``cls``; every non-Optional declared field is present and
    not None (unless ``partial``: a publishable-key view or a deleted stub). Recurses into
    nested typed classes (``Charge.Outcome``) that have no ``object`` key of their own."""
    declared = annotations_of(cls)
    problems.classes_checked.add(cls.__qualname__)
    for key in obj:
        if key not in declared and key != "object":  # ListObject leaves ``object`` implicit
            problems.add(f"{label}.{key}: not declared by {cls.__qualname__}")
    for name, ann in declared.items():
        value = obj.get(name)
        if not partial and not is_optional(ann) and value is None:
            state = "missing" if name not in obj else "null"
            problems.add(f"{label}.{name}: non-Optional field is {state}")
        nested = _nested_class(ann)
        if nested is None or value is None:
            continue
        kind, sub = nested
        if kind == "one" and isinstance(value, dict) and "object" not in value:
            check_fields(value, sub, f"{label}.{name}", problems)
        elif kind == "list" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "object" not in item:
                    check_fields(item, sub, f"{label}.{name}[]", problems)
        elif kind == "dict" and isinstance(value, dict):
            for item in value.values():
                if isinstance(item, dict) and "object" not in item:
                    check_fields(item, sub, f"{label}.{name}{{}}", problems)


def walk_objects(node: Any, found: list[dict[str, Any]]) -> None:
    """Collect every dict carrying an ``object`` key, at any depth."""
    if isinstance(node, dict):
        if isinstance(node.get("object"), str):
            found.append(node)
        for value in node.values():
            walk_objects(value, found)
    elif isinstance(node, list):
        for value in node:
            walk_objects(value, found)


def check_body(body: Any, problems: Problems, *, partial: bool = False) -> None:
    """Check one raw response body: its objects, and an error envelope if it is one."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        check_fields(body["error"], stripe.ErrorObject, "error", problems, partial=partial)
    found: list[dict[str, Any]] = []
    walk_objects(body, found)
    for obj in found:
        name = obj["object"]
        if name not in OBJECT_CLASSES:
            if not name.startswith("emulator."):
                problems.add(f"{name}: no stripe-python class for this object type")
            continue
        problems.types_seen.add(name)
        cls = get_object_class("V1", name)
        stub = obj.get("deleted") is True
        if name == "search_result":
            obj = _search_page_as_declared(obj)
        check_fields(obj, cls, name, problems, partial=partial or stub)


def _search_page_as_declared(obj: dict[str, Any]) -> dict[str, Any]:
    """A search page as stripe-python declares it. Stripe's pages also carry ``url`` (the
    SDK's ``SearchResultObject`` reads it to ask for the next page) and ``next_page: null``
    on the last page (the API reference's example answers), though the class declares
    neither: those two are checked here, the rest as declared."""
    assert isinstance(obj.get("url"), str), obj
    assert (obj.get("next_page") is None) == (obj.get("has_more") is False), obj
    return {k: ("" if k == "next_page" and v is None else v) for k, v in obj.items()
            if k != "url"}


# -- an outsider's view ---------------------------------------------------------------------------
def publishable_key(server: BackgroundServer, secret_key: str) -> str:
    """How a test obtains a platform's publishable key: as its owner does, from the keys
    control (never built from the secret key)."""
    return publishable(server, secret_key)


def fresh_secret_key() -> str:
    """An unguessable secret key of its own: a new, isolated platform."""
    import secrets

    return "sk_test_" + secrets.token_hex(12)


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str | None:
        return self.headers.get("location")


def page(server: BackgroundServer, path: str, *, form: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> Page:
    """One browser request to a hosted page, redirects not followed, headers kept."""
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST" if form is not None else "GET", path, body=body, headers=sent)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return Page(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text)
    finally:
        conn.close()


# -- API v2 objects -------------------------------------------------------------------------------
# A v2 list answers data, next_page_url and previous_page_url
# (https://docs.stripe.com/api-v2-overview); stripe-python's hand-written v2 ListObject
# declares only the two it pages with, so the third is allowed here by name.
V2_LIST_EXTRA = {"previous_page_url"}


def check_v2_fields(obj: dict[str, Any], cls: type, label: str, problems: Problems) -> None:
    """Stricter than :func:`check_fields`, as v2 objects are rendered whole: every field
    ``cls`` declares is present (null where Optional), none other is, and nested typed
    classes are checked the same way, whether or not they carry an ``object`` of their own
    (``Account.Identity.Individual`` does)."""
    declared = annotations_of(cls)
    problems.classes_checked.add(cls.__qualname__)
    for key in obj:
        if key not in declared:
            problems.add(f"{label}.{key}: not declared by {cls.__qualname__}")
    for name, ann in declared.items():
        if name not in obj:
            problems.add(f"{label}.{name}: declared by {cls.__qualname__}, missing")
            continue
        value = obj[name]
        if value is None and not is_optional(ann):
            problems.add(f"{label}.{name}: non-Optional field is null")
        nested = _nested_class(ann)
        if nested is None or value is None:
            continue
        kind, sub = nested
        items = ([value] if kind == "one" else value if kind == "list"
                 else list(value.values()))
        for item in items:
            if isinstance(item, dict):
                check_v2_fields(item, sub, f"{label}.{name}", problems)
            else:
                problems.add(f"{label}.{name}: {type(item).__name__}, not an object")


def check_v2_body(body: Any, problems: Problems) -> None:
    """One raw API v2 response body: an error, a list page or one object."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        check_fields(body["error"], stripe.ErrorObject, "error", problems)
        return
    if isinstance(body, dict) and "data" in body and "next_page_url" in body:
        page = {k: v for k, v in body.items() if k not in V2_LIST_EXTRA}
        check_v2_fields({**page, "data": []}, stripe.v2.ListObject, "list", problems)
        for item in body["data"]:
            check_v2_body(item, problems)
        return
    name = body.get("object") if isinstance(body, dict) else None
    if not isinstance(name, str):
        problems.add(f"{str(body)[:80]}: not a v2 object")
        return
    problems.types_seen.add(name)
    cls = get_object_class("V2", name)
    if name == "v2.core.event":
        # A thin event's class is its type's (V2CoreAccountCreatedEvent adds related_object,
        # some add data), as client.v2.core.events.retrieve deserializes it.
        from stripe.events._event_classes import get_v2_event_class

        typed = get_v2_event_class(str(body.get("type")))
        if typed is stripe.StripeObject:
            problems.add(f"v2.core.event {body.get('type')}: no stripe-python class")
        else:
            cls = typed
    check_v2_fields(body, cls, name, problems)
