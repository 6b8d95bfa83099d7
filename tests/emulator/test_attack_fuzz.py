"""An attacker's fuzzer: every route, raw ones included, with and without a key, fed the
input classes an outside attack used to get 500s and free work out of the emulator.

Classes: leading-digit and Unicode-digit keys, list indices that are huge or not ASCII,
empty and odd path segments, non-ASCII and signed "integers" in every declared parameter,
oversized bodies and field counts, and unauthenticated, publishable, live and malformed
keys. API v2 routes also get JSON bodies: malformed, non-object, too deep, too many values,
and every declared parameter (one level into objects) set to each JSON type. The rule for
each answer: never a 5xx; every JSON error is Stripe's shape; an integer Stripe would refuse
("１０００", "²", "--5", or on v2 a JSON string or float) is never accepted as an amount.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, unquote_plus, urlencode

import pytest
from werkzeug.test import Client

import harness.emulator.routes  # noqa: F401  - registers every route
from harness.emulator import Emulator
from harness.emulator.forms import MAX_FIELDS
from harness.emulator.params import Bool, Int, Obj
from harness.emulator.pipeline import MAX_BODY
from harness.emulator.registry import registry

from .support import seeded_world

KEY = "sk_test_attacker_fuzz_platform"
FIGURES = Path(__file__).resolve().parents[2] / "build" / "fuzz-figures.json"

HOSTILE_KEYS = [
    "0", "00", "7[a]", "0[0]", "²", "٣", "amount[²]", "x[٣]", "x[" + "9" * 5000 + "]",
    "x[99999999999999999999]", "x[-1]", "x[+1]", "x[ 1]", "expand[" + "9" * 40 + "]",
    "a" + "[]" * 20, "metadata[0]", "metadata[]", "[]", "[0]", "a[", "a]", "a[]b", "a[b",
    "\x00", "\u202e", "a[][b]", "a[b][]", "a[0]&a[b]", "",
]
HOSTILE_VALUES = ["²", "--5", "１０００", "٣٤", "9" * 5000, "+5", " 5", "1e3", "0x10", "\x00",
                  "-0", "NaN", "javascript:alert(1)", "x" * 6000]
NOT_INTEGERS = {"²", "--5", "１０００", "٣٤", "9" * 5000, "+5", "1e3", "0x10", "\x00", "NaN",
                "javascript:alert(1)", "x" * 6000}
PATH_SEGMENTS = ["", "²", "%00", "..", "x" * 5000, "%2F", "%E2%80%AE", "٣", " "]
# API v2: JSON values of every type for each declared parameter, and bodies that are not a
# JSON object at all
JSON_VALUES = [None, True, False, 0, -1, 1.5, 10**30, "1000", "", "²", "x" * 6000,
               "javascript:alert(1)", [], [None], ["a"] * 200, {}, {"a": {"b": {"c": 1}}}]
JSON_BODIES = ["{", "[]", "null", "1", '"x"', "NaN", '{"a": NaN}', '{"a": -Infinity}',
               "{" * 100, "[" * 10_000 + "]" * 10_000, '{"a": ' + "1" * 5000 + "}",
               "\ufeff{}", '{"a": "\\ud800"}', '{"a": 1, "a": 2}', "{}" * 3,
               json.dumps({"metadata": {str(i): "v" for i in range(MAX_FIELDS + 10)}}),
               json.dumps({"a": "[" * 20 + "1" + "]" * 20}).replace('"[', "[").replace(']"', "]")]


@pytest.fixture(scope="module")
def world() -> dict:
    client = Client(Emulator())
    _, account, pi, charge = seeded_world(client, KEY)
    keys = client.get("/_emulator/keys", headers={"Authorization": f"Bearer {KEY}"})
    assert keys.status_code == 200, keys.get_data(as_text=True)
    ids = {"id": pi["id"], "account": account["id"], "account_id": account["id"],
           "transfer": charge["transfer"], "fee": charge["application_fee"],
           "charge": charge["id"], "name": "transfers", "platform": "acct_x", "token": "tok_x"}
    v2 = client.post("/v2/core/accounts", data=json.dumps({"display_name": "Fuzz"}),
                     headers={"Authorization": f"Bearer {KEY}",
                              "Content-Type": "application/json"})
    assert v2.status_code == 200, v2.get_data(as_text=True)
    v2_ids = {**ids, "id": json.loads(v2.get_data(as_text=True))["id"]}
    return {"client": client, "ids": ids, "v2_ids": v2_ids,
            "pk": json.loads(keys.get_data(as_text=True))["publishable_key"]}


ROUTES = [r for r in registry.routes if not r.websocket]


def _path(route, ids: dict, segment: str | None = None) -> str:
    path = route.path
    for i, arg in enumerate(re.findall(r"<(\w+)>", path)):
        value = segment if segment is not None and i == 0 else quote(ids.get(arg, "x"), safe="")
        path = path.replace(f"<{arg}>", value)
    return path


def _requests(world: dict):
    """(route, method, path, body, headers): every class over every route."""
    ids, pk = world["ids"], world["pk"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    auths = {"none": {}, "secret": {"Authorization": f"Bearer {KEY}"},
             "publishable": {"Authorization": f"Bearer {pk}"},
             "live": {"Authorization": "Bearer sk_live_" + "z" * 24},
             "garbage": {"Authorization": "Basic %%%%"}}
    for route in ROUTES:
        if route.v2:
            yield from _json_requests(route, _path(route, world["v2_ids"]), auths)
        path = _path(route, ids)
        declared = list(route.params or {}) or ["amount"]
        for auth_name, auth in auths.items():  # every key class with a key and without;
            keys = HOSTILE_KEYS if auth_name in ("none", "secret") else HOSTILE_KEYS[:8]
            for key in keys:  # the other keys get the first few
                yield route, auth_name, path, urlencode([(key, "1")]), {**auth, **form}
        for name in declared:
            for value in HOSTILE_VALUES:
                yield route, "secret", path, urlencode([(name, value)]), {
                    **auths["secret"], **form}
        if "<" in route.path:
            for segment in PATH_SEGMENTS:
                yield route, "secret", _path(route, ids, segment), "", {**auths["secret"],
                                                                      **form}
        doubled = path.replace("/", "//", 2)
        yield route, "secret", doubled, "", {**auths["secret"], **form}
        yield route, "secret", path, "&".join(["x[]=1"] * (MAX_FIELDS * 4)), {
            **auths["secret"], **form}
        yield route, "none", path, "a=" + "b" * (MAX_BODY + 1), {**form}


def _json_requests(route, path: str, auths: dict):
    """JSON bodies for a v2 route: broken ones, and each declared value of each JSON type."""
    headers = {**auths["secret"], "Content-Type": "application/json"}
    if route.method != "POST":
        return
    for body in JSON_BODIES:
        yield route, "secret", path, body, headers
        yield route, "none", path, body, {"Content-Type": "application/json"}
    for name, spec in (route.params or {"amount": Int()}).items():
        for value in JSON_VALUES:
            yield route, "secret", path, json.dumps({name: value}), headers
        if isinstance(spec, Obj):
            for sub in spec.fields:
                for value in JSON_VALUES:
                    yield route, "secret", path, json.dumps({name: {sub: value}}), headers


def _send(client: Client, method: str, path: str, body: str, headers: dict):
    if method == "GET":
        return client.get(path + ("?" + body if body else ""), headers=headers)
    return client.open(path, method=method, data=body, headers=headers)


def test_no_hostile_input_gets_a_5xx_or_a_free_amount(world) -> None:
    client = world["client"]
    statuses: Counter[int] = Counter()
    failures: list[tuple] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for route, auth_name, path, body, headers in _requests(world):
        t0 = time.perf_counter()
        response = _send(client, route.method, path, body, headers)
        elapsed = time.perf_counter() - t0
        slowest = max(slowest, (elapsed, f"{route.method} {path[:60]} {body[:60]}"))
        statuses[response.status_code] += 1
        text = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append((route.method, path[:80], body[:80], auth_name, text[:200]))
            continue
        if response.mimetype == "application/json" and response.status_code >= 400:
            error = json.loads(text).get("error", {})
            if isinstance(error, str):  # the OAuth endpoints' own shape (RFC 6749)
                error = {"message": json.loads(text).get("error_description")}
            if not error.get("message"):
                failures.append(("shape", route.method, path[:80], body[:80], text[:200]))
        if response.status_code == 200 and route.params and \
                headers.get("Content-Type") == "application/json":
            sent = json.loads(body)
            for name, value in sent.items():
                spec = route.params.get(name)
                typed = (isinstance(spec, Int) and (not isinstance(value, int)
                                                     or isinstance(value, bool))) or \
                        (isinstance(spec, Bool) and not isinstance(value, bool))
                if typed and value is not None:
                    failures.append(("accepted", route.method, path, body[:80]))
        elif response.status_code == 200 and route.params:
            name, _, value = body.partition("=")
            spec = route.params.get(name)
            if isinstance(spec, Int) and unquote_plus(value) in NOT_INTEGERS:
                failures.append(("accepted", route.method, path, body[:80]))
    total = sum(statuses.values())
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps({
        "requests": total, "routes": len(ROUTES), "5xx": sum(
            n for s, n in statuses.items() if s >= 500),
        "statuses": dict(sorted(statuses.items())),
        "seconds": round(time.perf_counter() - started, 1),
        "slowest_ms": round(slowest[0] * 1000, 1), "slowest": slowest[1]}, indent=2))
    assert not failures, failures[:10]
    assert total > 5000


@pytest.mark.parametrize("body", ["amount=１０００", "amount=²", "amount=--5", "amount=٣",
                                  "amount=" + "9" * 5000])
def test_an_amount_stripe_would_not_read_is_a_400(world, body: str) -> None:
    response = world["client"].post("/v1/payment_intents", data=body + "&currency=usd",
                                    headers={"Authorization": f"Bearer {KEY}",
                                             "Content-Type":
                                                 "application/x-www-form-urlencoded"})
    error = json.loads(response.get_data(as_text=True))["error"]
    assert (response.status_code, error["code"], error["param"]) == (
        400, "parameter_invalid_integer", "amount")


def test_decoding_is_linear_and_capped_before_authentication(world) -> None:
    """32,000 ``x[]`` pairs with no key: one quick 400 (it took 26 s of CPU before), and a
    body over the limit is a 413 read from its Content-Length alone."""
    client = world["client"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    t0 = time.process_time()
    many = client.post("/v1/customers", data="&".join(["x[]=1"] * 32_000), headers=form)
    capped = client.post("/v1/customers", data="&".join(["x[]=1"] * MAX_FIELDS),
                         headers=form)
    cpu = time.process_time() - t0
    assert many.status_code == 400
    assert "Too many parameters" in json.loads(many.get_data(as_text=True))["error"]["message"]
    assert capped.status_code == 401  # decoded (linearly), then refused for want of a key
    big = client.post("/v1/customers", data="a=" + "b" * MAX_BODY, headers=form)
    assert big.status_code == 413
    assert cpu < 5, cpu  # a generous bound, far from the quadratic 26 s: not a speed target


def test_top_level_digit_keys_never_make_the_root_a_list(world) -> None:
    client = world["client"]
    auth = {"Authorization": f"Bearer {KEY}"}
    for path in ("/v1/customers?0=x", "/oauth/authorize?0=x", "/express/oauth/authorize?0=x",
                 "/v1/customers?0=x&1=y"):
        response = client.get(path, headers=auth)
        assert 400 <= response.status_code < 500, (path, response.get_data(as_text=True))
    response = client.post("/v1/customers", data="0=x", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"})
    error = json.loads(response.get_data(as_text=True))["error"]
    assert (response.status_code, error["param"]) == (400, "0")


def test_an_empty_path_segment_is_an_unknown_url(world) -> None:
    response = world["client"].get("/v1//charges", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 404
    assert "Unrecognized request URL" in json.loads(response.get_data(as_text=True))[
        "error"]["message"]
