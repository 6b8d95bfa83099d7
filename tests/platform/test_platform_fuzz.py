"""The platform app under hostile input (OAuth callback, checkout, booking, webhook):
never a 5xx, and a rejected request changes nothing in the platform's database."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.emulator.resources.webhook_endpoints import sign
from harness.lab import emulator_keys
from harness.platform import PlatformConfig, create_app
from harness.platform.db import Database
from harness.server import BackgroundServer

from ..conftest import make_client

SECRET = "whsec_fuzzing_the_platform_secret"
TEXT = st.one_of(st.text(max_size=40), st.sampled_from([
    "", "0", "-1", "999999", "1e3", "💸", "\x00", "lst_001", "ho_001", "cs_test_x", "pi_x",
    "../../etc/passwd", "<script>", "' OR 1=1 --", "a" * 500]))


@pytest.fixture(scope="module")
def web(emulator_server: BackgroundServer) -> tuple[FlaskClient, Database]:
    key = "sk_test_platform_fuzzing_key"
    client = make_client(emulator_server, key)
    account = client.v1.accounts.create({"type": "express", "capabilities": {
        "transfers": {"requested": True}, "card_payments": {"requested": True}}})
    config = PlatformConfig(secret_key=key,
                            publishable_key=emulator_keys(emulator_server.url, key)[
                                "publishable_key"],
                            api_base=emulator_server.url, connect_base=emulator_server.url,
                            webhook_secret=SECRET, public_url="http://platform.test")
    db = Database()
    db.seed([{"id": "ho_001", "name": "Ana", "email": "ana@example.com"},
             {"id": "ho_002", "name": "Bo", "email": "bo@example.com"}],
            [{"id": "lst_001", "homeowner_id": "ho_001", "title": "Loft", "city": "Lisbon",
              "nightly_price": 1000},
             {"id": "lst_002", "homeowner_id": "ho_002", "title": "Barn", "city": "Porto",
              "nightly_price": 700}])
    with db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id=? WHERE id='ho_001'",
                     (account.id,))
    return create_app(config, db).test_client(), db


def _state(db: Database) -> str:
    tables = ("homeowners", "bookings", "webhook_events", "oauth_states")
    return json.dumps({t: db.query(f"SELECT * FROM {t}") for t in tables}, sort_keys=True)


@st.composite
def requests(draw):
    kind = draw(st.sampled_from(["oauth", "checkout", "book", "success", "webhook", "onboard",
                                 "landing", "checkout_success"]))
    query = urlencode(draw(st.dictionaries(
        st.sampled_from(["code", "state", "error", "error_description", "nights", "ui",
                         "homeowner", "session_id", "payment_intent", "amount"]),
        TEXT, max_size=4)))
    listing = draw(st.one_of(st.sampled_from(["lst_001", "lst_002", "nope"]),
                             st.text(alphabet="abc_01%", min_size=1, max_size=8)))
    if kind == "webhook":
        body = draw(st.one_of(
            TEXT,
            st.builds(lambda t, i: json.dumps({"id": i, "object": "event", "type": t,
                                               "data": {"object": {"id": "pi_x"}}}),
                      st.sampled_from(["payment_intent.succeeded", "charge.refunded", "x"]),
                      TEXT),
        ))
        signature = draw(st.one_of(st.none(), TEXT, st.just("t=1,v1=00")))
        return "POST", "/webhook", body, signature
    paths = {"oauth": "/connect/oauth", "checkout": f"/checkout/{listing}",
             "book": f"/book/{listing}", "success": "/success", "onboard": "/onboard",
             "landing": "/", "checkout_success": "/checkout/success"}
    return "GET", paths[kind] + ("?" + query if query else ""), None, None


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests())
def test_hostile_requests_never_5xx_and_rejections_change_nothing(web, request) -> None:
    client, db = web
    method, path, body, signature = request
    before = _state(db)
    if method == "POST":
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        response = client.post(path, data=body, headers=headers)
    else:
        response = client.get(path)
    assert response.status_code < 500, (method, path, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert _state(db) == before, (method, path)


def test_a_well_signed_but_unknown_event_is_accepted_and_recorded_once(web) -> None:
    client, db = web
    payload = json.dumps({"id": "evt_fuzz_1", "object": "event", "type": "made.up",
                          "data": {"object": {"id": "x_1"}}})
    for _ in range(2):
        response = client.post("/webhook", data=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": sign(payload, SECRET)})
        assert response.status_code == 200
    assert len(db.query("SELECT * FROM webhook_events WHERE id='evt_fuzz_1'")) == 1
