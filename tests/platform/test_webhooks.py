"""The platform's /webhook: signatures, at-most-once handling, idempotent fulfilment."""

from __future__ import annotations

import json
import time

import pytest
from flask.testing import FlaskClient

from harness.emulator.resources.webhook_endpoints import sign
from harness.platform import PlatformConfig, create_app
from harness.platform.db import Database

SECRET = "whsec_test_secret_for_the_platform"


@pytest.fixture
def db() -> Database:
    database = Database()
    database.seed([{"id": "h1", "name": "Ana", "email": "ana@example.com"}],
                  [{"id": "l1", "homeowner_id": "h1", "title": "Loft", "city": "Lisbon",
                    "nightly_price": 1000}])
    with database.transaction() as conn:
        conn.execute("INSERT INTO bookings (listing_id, nights, amount, application_fee,"
                     " currency, payment_intent) VALUES ('l1', 1, 1000, 123, 'usd', 'pi_1')")
    return database


@pytest.fixture
def http(db: Database) -> FlaskClient:
    config = PlatformConfig("sk_test_unused_here", "pk_test_unused_here",
                            webhook_secret=SECRET)
    return create_app(config, db).test_client()


def event(event_id: str = "evt_1", kind: str = "payment_intent.succeeded", **obj) -> str:
    data = {"id": "pi_1", "object": "payment_intent", "amount_received": 1000, **obj}
    return json.dumps({"id": event_id, "object": "event", "type": kind,
                       "data": {"object": data}, "api_version": "2026-07-29.dahlia"})


def post(http: FlaskClient, payload: str, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return http.post("/webhook", data=payload, headers=headers)


def booking(db: Database) -> dict:
    return db.one("SELECT * FROM bookings WHERE payment_intent='pi_1'")


def test_signed_event_fulfils_the_booking_once(http: FlaskClient, db: Database) -> None:
    payload = event()
    first = post(http, payload, sign(payload, SECRET))
    assert first.status_code == 200 and "fulfilled" in first.json["decision"]
    assert (booking(db)["status"], booking(db)["connected"]) == ("paid", 1)
    again = post(http, payload, sign(payload, SECRET))
    assert again.status_code == 200 and again.json["decision"].startswith("duplicate")
    other = event("evt_2")  # a second, different event for the same payment
    assert "no-op" in post(http, other, sign(other, SECRET)).json["decision"]
    assert len(db.query("SELECT * FROM webhook_events")) == 2


@pytest.mark.parametrize("signature", [
    None,
    "t=1,v1=deadbeef",
    sign(event(), "whsec_someone_else"),
    sign(event(), SECRET, timestamp=int(time.time()) - 3600),  # stale: a replay
    "garbage",
])
def test_bad_signatures_are_400_and_change_nothing(http: FlaskClient, db: Database,
                                                   signature: str | None) -> None:
    response = post(http, event(), signature)
    assert response.status_code == 400
    assert response.json["error"] == "Invalid signature"
    assert booking(db)["status"] == "pending"
    assert db.query("SELECT * FROM webhook_events") == []


def test_bad_payload_is_400(http: FlaskClient) -> None:
    payload = "{not json"
    response = post(http, payload, sign(payload, SECRET))
    assert response.status_code == 400 and response.json["error"].startswith("Invalid payload")


def test_wrong_amount_is_refused(http: FlaskClient, db: Database) -> None:
    payload = event(amount_received=1)
    assert "refused" in post(http, payload, sign(payload, SECRET)).json["decision"]
    assert booking(db)["status"] == "pending"


def test_refund_and_dispute_update_the_booking(http: FlaskClient, db: Database) -> None:
    for i, (kind, obj) in enumerate([
        ("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1",
                             "refunded": True}),
    ]):
        payload = json.dumps({"id": f"evt_r{i}", "object": "event", "type": kind,
                              "data": {"object": obj}})
        assert post(http, payload, sign(payload, SECRET)).status_code == 200
    assert booking(db)["status"] == "refunded"
