"""Stripe Checkout on the platform: success_url is not proof, the webhook fulfils once."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

import harness
from harness.lab.platform_server import PlatformHandle, start_platform


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[harness.Lab, PlatformHandle]]:
    lab = harness.start(seed=7)
    platform = start_platform(
        lab,
        homeowners=[{"id": "h1", "name": "Ana", "email": "ana@example.com"}],
        listings=[{"id": "l1", "homeowner_id": "h1", "title": "Loft", "city": "Lisbon",
                   "nightly_price": 500}],
    )
    account = lab.client.v1.accounts.create({"type": "express", "capabilities": {
        "transfers": {"requested": True}, "card_payments": {"requested": True}}})
    lab.complete_onboarding(account.id)
    with platform.db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id=? WHERE id='h1'", (account.id,))
    endpoint = lab.client.v1.webhook_endpoints.create({
        "url": platform.url_for("/webhook"),
        "enabled_events": ["checkout.session.completed", "payment_intent.succeeded"]})
    platform.config.webhook_secret = endpoint.secret
    yield lab, platform
    platform.stop()
    lab.stop()


def _get(url: str) -> tuple[int, str, str]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def _pay(lab: harness.Lab, session_id: str, card: str = "pm_card_visa") -> dict:
    def call(method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            lab.api_base + path, method=method,
            data=urllib.parse.urlencode(body).encode() if body else None,
            headers={"Authorization": f"Bearer {lab.publishable_key}"})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())
    init = call("POST", f"/v1/payment_pages/{session_id}/init", {"email": "r@example.com"})
    intent = init["client_secret"].split("_secret_")[0]
    return call("POST", f"/v1/payment_intents/{intent}/confirm",
                {"client_secret": init["client_secret"], "payment_method": card})


def _booking(platform: PlatformHandle, session_id: str) -> dict:
    return platform.db.one("SELECT * FROM bookings WHERE checkout_session=?", (session_id,))


def _wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_book_redirects_to_the_hosted_page_with_the_server_price(setup) -> None:
    lab, platform = setup
    status, location, _ = _get(platform.url_for("/book/l1?nights=3&amount=1"))
    assert status == 303 and "/c/pay/cs_test_" in location
    session_id = location.rsplit("/", 1)[1]
    session = lab.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.status) == (1500, "open")
    page = _get(location)[2]
    assert "$15.00" in page and "Loft (Lisbon)" in page


def test_visiting_success_url_without_paying_fulfils_nothing(setup) -> None:
    lab, platform = setup
    location = _get(platform.url_for("/book/l1"))[1]
    session_id = location.rsplit("/", 1)[1]
    status, _, body = _get(platform.url_for(f"/success?session_id={session_id}"))
    assert status == 200 and "confirming your payment" in body
    assert _booking(platform, session_id)["status"] == "pending"
    assert _get(platform.url_for("/success?session_id=nonsense"))[0] == 400


def test_paying_completes_the_session_and_the_webhook_fulfils_once(setup) -> None:
    lab, platform = setup
    location = _get(platform.url_for("/book/l1?nights=2"))[1]
    session_id = location.rsplit("/", 1)[1]
    assert _pay(lab, session_id)["status"] == "succeeded"
    assert _wait_for(lambda: _booking(platform, session_id)["status"] == "paid")
    booking = _booking(platform, session_id)
    assert booking["amount"] == 1000 and booking["connected"] == 1
    assert booking["payment_intent"].startswith("pi_")
    # both events arrived; exactly one of them fulfilled the booking
    assert _wait_for(lambda: len(platform.db.query(
        "SELECT * FROM webhook_events WHERE object_id IN (?, ?)",
        (session_id, booking["payment_intent"]))) == 2)
    decisions = [r["decision"] for r in platform.db.query(
        "SELECT decision FROM webhook_events WHERE object_id IN (?, ?)",
        (session_id, booking["payment_intent"]))]
    assert sum(d.startswith("fulfilled") for d in decisions) == 1
    session = lab.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.status, session.payment_status) == ("complete", "paid")


def test_expired_session_cannot_be_paid(setup) -> None:
    lab, platform = setup
    location = _get(platform.url_for("/book/l1"))[1]
    session_id = location.rsplit("/", 1)[1]
    expired = lab.client.v1.checkout.sessions.expire(session_id)
    assert expired.status == "expired"
    with pytest.raises(urllib.error.HTTPError) as err:
        _pay(lab, session_id)
    assert err.value.code == 400
    assert "expired" in _get(location)[2]


def test_platform_cannot_cancel_the_payment_intent_checkout_created(setup) -> None:
    lab, platform = setup
    location = _get(platform.url_for("/book/l1"))[1]
    session_id = location.rsplit("/", 1)[1]
    with pytest.raises(urllib.error.HTTPError):
        _pay(lab, session_id, card="pm_card_chargeDeclined")
    intent = lab.client.v1.checkout.sessions.retrieve(session_id).payment_intent
    import stripe

    with pytest.raises(stripe.InvalidRequestError) as err:
        lab.client.v1.payment_intents.cancel(intent)
    assert "created by Checkout" in err.value.user_message
    lab.client.v1.checkout.sessions.expire(session_id)
    assert lab.client.v1.payment_intents.retrieve(intent).status == "canceled"
