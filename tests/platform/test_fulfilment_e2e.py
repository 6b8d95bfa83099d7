"""Fulfilment end to end: the real ``stripe listen`` forwards to the platform's /webhook.

A booking paid through the API is fulfilled exactly once, even when its event arrives twice
(through ``stripe listen`` and a WebhookEndpoint at once, or replayed byte for byte), and
whichever of ``checkout.session.completed`` and ``payment_intent.succeeded`` comes first.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import request

import harness
from harness.guide import webhook_steps as wl
from harness.lab.platform_server import PlatformHandle, start_platform
from harness.lab.stripe_cli import SHIM, Listener
from harness.platform import webhooks

pytestmark = pytest.mark.skipif(
    not SHIM.exists(),
    reason="the Stripe CLI is not installed (node_modules/.bin/stripe): run `make system`",
)

EVENTS = ["payment_intent.succeeded", "checkout.session.completed"]


class Platform:
    """The platform app, with every request to /webhook recorded as it arrived."""

    def __init__(self, lab: harness.Lab, handle: PlatformHandle) -> None:
        self.lab, self.handle = lab, handle
        self.received: list[dict[str, Any]] = []

    def record(self) -> None:
        if request.path == "/webhook":
            self.received.append({"body": request.get_data(as_text=True),
                                  "signature": request.headers.get("Stripe-Signature")})

    def deliveries_of(self, event_id: str) -> list[dict[str, Any]]:
        return [r for r in self.received if json.loads(r["body"]).get("id") == event_id]

    def booking(self, column: str, value: str) -> dict[str, Any]:
        return self.handle.db.one(f"SELECT * FROM bookings WHERE {column}=?", (value,))

    def handled(self) -> list[dict[str, Any]]:
        return self.handle.db.query("SELECT * FROM webhook_events ORDER BY rowid")


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    lab = harness.start(seed=None, env={})  # the emulator, whatever the shell has set
    handle = start_platform(
        lab,
        homeowners=[{"id": "h1", "name": "Ana", "email": "ana@example.com"}],
        listings=[{"id": "l1", "homeowner_id": "h1", "title": "Loft", "city": "Lisbon",
                   "nightly_price": 8900}],
    )
    account = lab.client.v1.accounts.create({"type": "express", "capabilities": {
        "transfers": {"requested": True}, "card_payments": {"requested": True}}})
    lab.complete_onboarding(account.id)
    with handle.db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id=? WHERE id='h1'", (account.id,))
    recorded = Platform(lab, handle)
    handle.app.before_request(recorded.record)
    yield recorded
    handle.stop()
    lab.stop()


@pytest.fixture
def fulfilments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the handler really fulfilled a booking (not a no-op, not a duplicate)."""
    done: list[str] = []
    real = webhooks._fulfil

    def counting(conn: Any, booking: Any, amount: Any) -> str:
        decision = real(conn, booking, amount)
        if decision.startswith("fulfilled"):
            done.append(decision)
        return decision

    monkeypatch.setattr(webhooks, "_fulfil", counting)
    return done


def listen(platform: Platform, events: list[str]) -> Listener:
    listener = wl.listen(platform.lab, platform.handle, events=events)
    assert listener.secret and listener.secret.startswith("whsec_")
    return listener


def cli_answers(listener: Listener, event_id: str, timeout: float = 20) -> dict[str, Any]:
    """What the platform answered the CLI for ``event_id`` (its webhook_response)."""
    listener.wait_for(f"[{event_id}]", timeout=timeout)
    return listener.wait_for_response(event_id, timeout=timeout)


def event_of(platform: Platform, event_type: str, object_id: str) -> str:
    events = platform.lab.client.v1.events.list({"type": event_type, "limit": 20})
    return next(e.id for e in events.data if e.data.object.id == object_id)


def pay_hosted_checkout(platform: Platform, nights: int) -> tuple[str, str]:
    """Book through Stripe Checkout (``/book``) and pay on the hosted page, as a renter
    would (the page's own calls, with the publishable key). Returns (session, intent)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(platform.handle.url_for(f"/book/l1?nights={nights}"))
        raise AssertionError("/book did not redirect to Checkout")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
        session_id = redirect.headers["Location"].rsplit("/", 1)[1]

    def call(path: str, body: dict[str, str]) -> dict[str, Any]:
        sent = urllib.request.Request(
            platform.lab.api_base + path, method="POST",
            data=urllib.parse.urlencode(body).encode(),
            headers={"Authorization": f"Bearer {platform.lab.publishable_key}"})
        with urllib.request.urlopen(sent, timeout=30) as response:
            return json.loads(response.read())

    init = call(f"/v1/payment_pages/{session_id}/init", {"email": "renter@example.com"})
    intent = init["client_secret"].split("_secret_")[0]
    paid = call(f"/v1/payment_intents/{intent}/confirm",
                {"client_secret": init["client_secret"], "payment_method": "pm_card_visa"})
    assert paid["status"] == "succeeded"
    return session_id, intent


# -- the same event twice -----------------------------------------------------------------------
def test_cli_and_webhook_endpoint_deliver_the_same_event_fulfilled_once(
    platform: Platform, fulfilments: list[str]
) -> None:
    lab = platform.lab
    endpoint = lab.client.v1.webhook_endpoints.create({
        "url": platform.handle.url_for("/webhook"), "enabled_events": EVENTS})
    try:
        with listen(platform, EVENTS) as listener:
            wl.use_secrets(platform.handle, listener.secret, endpoint.secret)
            intent = wl.book(platform.handle, "l1", nights=2)
            assert platform.booking("payment_intent", intent)["status"] == "pending"
            assert wl.pay(lab, intent).status == "succeeded"

            event_id = event_of(platform, "payment_intent.succeeded", intent)
            assert cli_answers(listener, event_id)["status"] == 200
            delivered = wl.wait_for_delivery(lab, endpoint.id, event_id)
            assert (delivered["status"], delivered["last_status"]) == ("succeeded", 200)
            assert len(platform.deliveries_of(event_id)) == 2  # the CLI's and the endpoint's
    finally:
        lab.client.v1.webhook_endpoints.delete(endpoint.id)

    booking = platform.booking("payment_intent", intent)
    assert (booking["status"], booking["connected"], booking["amount"]) == ("paid", 1, 17800)
    assert len(fulfilments) == 1
    rows = [r for r in platform.handled() if r["id"] == event_id]
    assert len(rows) == 1 and rows[0]["decision"].startswith("fulfilled booking")


def test_replaying_the_recorded_delivery_changes_nothing(
    platform: Platform, fulfilments: list[str]
) -> None:
    with listen(platform, ["payment_intent.succeeded"]) as listener:
        wl.use_secrets(platform.handle, listener.secret)
        intent = wl.book(platform.handle, "l1", nights=1)
        wl.pay(platform.lab, intent)
        event_id = event_of(platform, "payment_intent.succeeded", intent)
        answer = cli_answers(listener, event_id)
        assert answer["status"] == 200 and "fulfilled booking" in answer["body"]
        paid_at = platform.booking("payment_intent", intent)["paid_at"]

        # The exact bytes and Stripe-Signature header the CLI delivered, posted again.
        [recorded] = platform.deliveries_of(event_id)
        for _ in range(2):
            status, body = wl.post_webhook(platform.handle, recorded["body"],
                                           recorded["signature"])
            assert (status, body["decision"]) == (200, "duplicate: already handled")
        # The same event, freshly signed (what a retry by Stripe looks like).
        status, body = wl.redeliver(platform.lab, platform.handle, event_id, listener.secret)
        assert (status, body["decision"]) == (200, "duplicate: already handled")

    booking = platform.booking("payment_intent", intent)
    assert (booking["status"], booking["paid_at"]) == ("paid", paid_at)
    assert len(fulfilments) == 1
    assert [r["id"] for r in platform.handled()].count(event_id) == 1


# -- checkout.session.completed and payment_intent.succeeded, in either order ----------------------
def test_stripe_checkout_both_events_through_the_cli(
    platform: Platform, fulfilments: list[str]
) -> None:
    """Both events through the CLI at once, in whatever order it forwards them."""
    with listen(platform, EVENTS) as listener:
        wl.use_secrets(platform.handle, listener.secret)
        session_id, intent = pay_hosted_checkout(platform, nights=3)
        session_event = event_of(platform, "checkout.session.completed", session_id)
        intent_event = event_of(platform, "payment_intent.succeeded", intent)
        assert cli_answers(listener, session_event)["status"] == 200
        assert cli_answers(listener, intent_event)["status"] == 200

    booking = platform.booking("checkout_session", session_id)
    assert (booking["status"], booking["payment_intent"], booking["amount"]) == (
        "paid", intent, 26700)
    assert len(fulfilments) == 1
    handled = {r["id"] for r in platform.handled()}
    assert {session_event, intent_event} <= handled


@pytest.mark.parametrize("first", EVENTS)
def test_stripe_checkout_events_in_either_order(
    platform: Platform, fulfilments: list[str], first: str
) -> None:
    """The CLI forwards only ``first``; the other event arrives after it, signed."""
    second = next(e for e in EVENTS if e != first)
    with listen(platform, [first]) as listener:
        wl.use_secrets(platform.handle, listener.secret)
        session_id, intent = pay_hosted_checkout(platform, nights=2)
        ids = {"checkout.session.completed": session_id, "payment_intent.succeeded": intent}
        first_event = event_of(platform, first, ids[first])
        first_answer = cli_answers(listener, first_event)
        second_event = event_of(platform, second, ids[second])
        status, second_answer = wl.redeliver(platform.lab, platform.handle, second_event,
                                             listener.secret)
        assert status == 200 and first_answer["status"] == 200

    first_decision = json.loads(first_answer["body"])["decision"]
    if first == "checkout.session.completed":
        assert first_decision.startswith("fulfilled booking")
        assert second_answer["decision"].startswith("no-op")  # already paid
    else:
        # The intent's own event comes first: the booking knows only its Session so far.
        assert first_decision == "ignored: no booking for this payment"
        assert second_answer["decision"].startswith("fulfilled booking")
    booking = platform.booking("checkout_session", session_id)
    assert (booking["status"], booking["payment_intent"], booking["connected"]) == (
        "paid", intent, 1)
    assert len(fulfilments) == 1
    assert len(platform.deliveries_of(first_event)) == 1
    assert len(platform.deliveries_of(second_event)) == 1
