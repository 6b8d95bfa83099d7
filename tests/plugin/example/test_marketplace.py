"""An example test suite for your own Connect platform, using only the ``stripe_emulator``
fixture that ``pip install connect-lab`` brings (no notebook, no Connect Lab glue).

Run it with ``pytest`` (the plugin loads itself) or ``pytest -n 2`` with pytest-xdist."""

from __future__ import annotations

import http.server
import json
import threading
import time

import stripe


def onboarded_homeowner(stripe_emulator) -> str:
    """A connected Express account that can receive transfers (your onboarding code would
    send the homeowner to an Account Link; the emulator can fill it in at once)."""
    account = stripe_emulator.client.v1.accounts.create({
        "type": "express", "country": "US", "email": "maya@example.com",
        "capabilities": {"card_payments": {"requested": True},
                         "transfers": {"requested": True}},
    })
    stripe_emulator.complete_onboarding(account.id)
    return account.id


def test_a_destination_charge_pays_the_homeowner_minus_the_fee(stripe_emulator) -> None:
    client = stripe_emulator.client
    homeowner = onboarded_homeowner(stripe_emulator)

    intent = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        # "automatic" posts the charge's balance transaction and transfer at once; the
        # default, automatic_async, fills them a moment later (a charge.updated event).
        "capture_method": "automatic",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "application_fee_amount": 123,
        "transfer_data": {"destination": homeowner},
    })

    assert intent.status == "succeeded"
    homeowner_balance = client.v1.balance.retrieve(options={"stripe_account": homeowner})
    assert homeowner_balance.pending[0].amount == 877  # 1000 transferred, 123 fee taken
    platform_balance = client.v1.balance.retrieve()
    assert platform_balance.pending[0].amount == 64  # 1000 - 59 Stripe fee - 1000 + 123
    assert [(r.method, r.path, r.status) for r in stripe_emulator.requests][-3:] == [
        ("POST", "/v1/payment_intents", 200),
        ("GET", "/v1/balance", 200),
        ("GET", "/v1/balance", 200),
    ]
    assert stripe_emulator.requests[-3].params["transfer_data"] == {"destination": homeowner}


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Your webhook handler, reduced to its core: verify, then record."""

    secret = ""
    received: list[stripe.Event] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = stripe.Webhook.construct_event(
                payload, self.headers["Stripe-Signature"], self.secret)
        except (ValueError, stripe.SignatureVerificationError):
            self.send_response(400)
            self.end_headers()
            return
        self.received.append(event)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_webhook_handler_gets_a_signed_payment_intent_succeeded(stripe_emulator) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Receiver.received = []
        _Receiver.secret = stripe_emulator.webhook_endpoint(
            f"http://127.0.0.1:{server.server_port}/webhook", ["payment_intent.succeeded"])
        intent = stripe_emulator.client.v1.payment_intents.create({
            "amount": 2500, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        })
        deadline = time.monotonic() + 10
        while not _Receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
    [event] = _Receiver.received
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == intent.id and event.data.object.amount == 2500
    assert [e.id for e in stripe_emulator.events("payment_intent.succeeded")] == [event.id]


def test_each_test_gets_a_platform_of_its_own(stripe_emulator) -> None:
    """Nothing from the other tests (they ran on the same emulator) is visible here."""
    assert stripe_emulator.client.v1.accounts.list().data == []
    assert stripe_emulator.client.v1.payment_intents.list().data == []
    assert json.loads(json.dumps(stripe_emulator.requests[-1].params)) == {}
