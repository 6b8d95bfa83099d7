"""Hostile input: malformed bodies, wrong types, huge numbers, unicode, deep nesting and
unknown parameters, thrown at every emulator endpoint. Never a 5xx; every 4xx is Stripe's
error shape, and parameter errors name the parameter."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

import harness.emulator.routes  # noqa: F401  - registers every route
from harness.emulator import Emulator
from harness.emulator.registry import registry

from .support import seeded_world

KEY = "sk_test_fuzzing_platform"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def world() -> tuple[Client, dict[str, list[str]]]:
    """An emulator with one of everything, and real IDs to put in paths."""
    client = Client(Emulator())
    post, account, pi, charge = seeded_world(client, KEY)
    disputed = post("/v1/payment_intents", {
        "amount": "1000", "currency": "usd", "payment_method": "pm_card_createDispute",
        "confirm": "true", "return_url": "https://example.com/return"})
    customer = post("/v1/customers", {"email": "f@example.com"})
    ids = {
        "id": [pi["id"], customer["id"], account["id"], charge["id"], "nope", "x" * 300],
        "account": [account["id"], "acct_missing"],
        "transfer": [charge["transfer"], "tr_missing"],
        "fee": [charge["application_fee"], "fee_missing"],
        "charge": [charge["id"]],
        "customer": [customer["id"]],
        "name": ["transfers", "card_payments", "bogus"],
    }
    ids["id"].append(disputed["latest_charge"])
    return client, ids


ROUTES = [r for r in registry.routes if not r.raw and not r.path.startswith("/_emulator/3ds")]
scalar = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "true", "false", "null", "0", "-1", "1e9", "NaN", "💸", "\x00",
                     "usd", "pm_card_visa", "acct_x", " "]),
)


def _keys(route) -> st.SearchStrategy[str]:
    names = list((route.params or {}).keys()) or ["amount"]
    base = st.sampled_from(names + ["unknown_param", "expand", "metadata", "limit"])
    suffix = st.lists(st.one_of(st.sampled_from(["[0]", "[]", "[x]", "[destination]"]),
                                st.text(alphabet="ab[]0", max_size=4)), max_size=4)
    return st.builds(lambda b, s: b + "".join(s), base, suffix)


@st.composite
def requests(draw, world_ids):
    route = draw(st.sampled_from(ROUTES))
    path = route.path
    for arg in re.findall(r"<(\w+)>", path):
        value = draw(st.sampled_from(world_ids.get(arg, ["whatever"])))
        path = path.replace(f"<{arg}>", quote(value, safe=""))
    pairs = draw(st.lists(st.tuples(_keys(route), scalar), max_size=8))
    return route.method, path, pairs


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_makes_the_emulator_fail(world, data) -> None:
    client, ids = world
    method, path, pairs = data.draw(requests(ids))
    body = urlencode(pairs)
    if method == "POST":
        response = client.post(path, data=body, headers={
            **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = client.open(path + ("?" + body if body else ""), method=method,
                               headers=AUTH)
    assert response.status_code < 500, (method, path, body, response.get_data(as_text=True))
    assert response.headers.get("Request-Id", "").startswith("req_")
    if response.status_code >= 400:
        error = json.loads(response.get_data(as_text=True))["error"]
        assert error["type"] and error["message"]
        if (error.get("code") or "").startswith("parameter"):
            assert error.get("param"), error


@pytest.mark.parametrize("body", [
    "a" * 5000,
    "%%%%",
    "amount[" * 50 + "=1",
    "&".join(f"metadata[k{i}]=v" for i in range(200)),
    "amount=1&amount=2",
    "currency=usd&amount=" + "9" * 400,
    "expand[]=" + ".".join(["latest_charge"] * 10),
])
def test_pathological_bodies_are_4xx(world, body: str) -> None:
    client, _ = world
    response = client.post("/v1/payment_intents", data=body, headers={
        **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_json_body_is_refused_with_a_message(world) -> None:
    client, _ = world
    response = client.post("/v1/customers", data='{"email": "x"}',
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in json.loads(response.get_data(as_text=True))["error"][
        "message"]
