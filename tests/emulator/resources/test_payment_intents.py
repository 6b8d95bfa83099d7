"""PaymentIntent lifecycle, errors, test cards, versions and the clock, to the cent.

Stripe wording comes from /tmp/facts_errors.md (real captures) and stripe-python 16.1.0.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ...conftest import make_client
from ..support import advance, balance_totals, bt_ids, publishable, raw

DAY = 86400
PI_STATE = "https://stripe.com/docs/error-codes/payment-intent-unexpected-state"


RETURN_URL = "https://example.com/return"


def _pi(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    """Server-side confirmation needs a return_url with dynamic payment methods."""
    if params.get("confirm") and "payment_method_types" not in params:
        params.setdefault("return_url", RETURN_URL)
    return client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **params})


def _three_d_secure(
    server: Any, key: str, pi: stripe.PaymentIntent, outcome: str, secret: str | None = None
) -> Any:
    return raw(
        server,
        "POST",
        f"/_emulator/3ds/{pi.id}",
        key=publishable(server, key),
        params={"client_secret": secret or pi.client_secret, "outcome": outcome},
    )


# -- lifecycle ----------------------------------------------------------------------------------
def test_requires_payment_method_then_confirmation_then_succeeded(
    client: stripe.StripeClient,
) -> None:
    pi = _pi(client, description="Cabin, 2 nights")
    assert pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert (pi.amount_received, pi.latest_charge) == (0, None)
    pi = client.v1.payment_intents.update(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "requires_confirmation"
    assert pi.payment_method.startswith("pm_")
    pi = client.v1.payment_intents.confirm(pi.id, {"return_url": RETURN_URL})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 1000, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    assert (charge.status, charge.paid, charge.captured) == ("succeeded", True, True)
    assert (charge.amount, charge.amount_captured, charge.amount_refunded) == (1000, 1000, 0)
    assert charge.payment_intent == pi.id and charge.description == "Cabin, 2 nights"
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.outcome.type == "authorized"
    txn = charge.balance_transaction
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.status) == (
        "charge",
        1000,
        59,
        941,
        "pending",
    )
    assert txn.source == charge.id
    assert [(d.type, d.amount) for d in txn.fee_details] == [("stripe_fee", 59)]


def test_confirm_with_a_payment_method_in_one_call(client: stripe.StripeClient) -> None:
    pi = _pi(client)
    pi = client.v1.payment_intents.confirm(
        pi.id, {"payment_method": "pm_card_mastercard", "return_url": RETURN_URL}
    )
    assert pi.status == "succeeded"
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.brand == "mastercard"


def test_manual_capture_partial(client: stripe.StripeClient) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", capture_method="manual")
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 1000, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.captured, charge.balance_transaction, charge.amount_captured) == (False, None, 0)
    assert bt_ids(client) == []  # an authorization moves no money
    pi = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 600})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 600, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    assert (charge.captured, charge.amount, charge.amount_captured) == (True, 1000, 600)
    assert charge.amount_refunded == 400  # the uncaptured rest goes back to the cardholder
    txn = charge.balance_transaction
    # 2.9% of 600 = 17.4 -> 17, + 30
    assert (txn.amount, txn.fee, txn.net) == (600, 47, 553)
    assert balance_totals(client) == {"available": 0, "pending": 553}


def test_refunds_after_a_partial_capture(client: stripe.StripeClient) -> None:
    """The released 400 already counts in amount_refunded; all 600 captured stay refundable."""
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", capture_method="manual")
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 600})
    # refunds are paid from the available balance (https://docs.stripe.com/refunds)
    client.v1.topups.create({"amount": 1000, "currency": "usd"})
    first = client.v1.refunds.create({"payment_intent": pi.id, "amount": 300})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (700, False)
    rest = client.v1.refunds.create({"payment_intent": pi.id})
    assert (first.amount, rest.amount) == (300, 300)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded, charge.refunded) == (600, 1000, True)
    totals = balance_totals(client)  # Stripe's fee on the 600 is not returned
    assert totals["available"] + totals["pending"] == 1000 + 553 - 600


def test_capture_more_than_capturable_is_refused(client: stripe.StripeClient) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 1001})
    assert (info.value.http_status, info.value.param) == (400, "amount_to_capture")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    assert bt_ids(client) == []


def test_full_capture_by_default(client: stripe.StripeClient) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", capture_method="manual")
    pi = client.v1.payment_intents.capture(pi.id)
    assert (pi.status, pi.amount_received) == ("succeeded", 1000)
    assert balance_totals(client) == {"available": 0, "pending": 941}


def test_cancel(client: stripe.StripeClient) -> None:
    pi = _pi(client)
    pi = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "abandoned"})
    assert (pi.status, pi.cancellation_reason) == ("canceled", "abandoned")
    assert pi.canceled_at is not None


def test_cancel_of_requires_capture_releases_the_authorization(
    client: stripe.StripeClient,
) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", capture_method="manual")
    pi = client.v1.payment_intents.cancel(pi.id)
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("canceled", 0, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, 1000)
    assert bt_ids(client) == []
    assert balance_totals(client) == {"available": 0, "pending": 0}


# -- wrong-state errors ---------------------------------------------------------------------------
def _state_error(fn: Any, *args: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as info:
        fn(*args)
    err = info.value
    assert err.http_status == 400
    assert err.code == "payment_intent_unexpected_state"
    assert err.error.doc_url == PI_STATE
    return err


def test_wrong_state_errors(client: stripe.StripeClient) -> None:
    done = _pi(client, confirm=True, payment_method="pm_card_visa")
    pis = client.v1.payment_intents
    err = _state_error(pis.confirm, done.id)
    assert err.user_message == (
        "You cannot confirm this PaymentIntent because it has already "
        "succeeded after being previously confirmed."
    )
    assert err.json_body["error"]["payment_intent"]["id"] == done.id
    assert err.json_body["error"]["payment_intent"]["status"] == "succeeded"
    err = _state_error(pis.capture, done.id)
    assert err.user_message == (
        "This PaymentIntent could not be captured because it has already been captured."
    )
    err = _state_error(pis.cancel, done.id)
    assert err.user_message == (
        "You cannot cancel this PaymentIntent because it has a status of succeeded. Only a "
        "PaymentIntent with one of the following statuses may be canceled: "
        "requires_payment_method, requires_capture, requires_reauthorization, "
        "requires_confirmation, requires_action, processing."
    )
    fresh = _pi(client)
    _state_error(pis.capture, fresh.id)
    _state_error(pis.confirm, fresh.id)  # nothing to confirm with
    canceled = pis.cancel(fresh.id)
    _state_error(pis.confirm, canceled.id)
    _state_error(pis.cancel, canceled.id)
    assert pis.retrieve(canceled.id).status == "canceled"


# -- declines ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_decline(client: stripe.StripeClient, card: str, decline_code: str) -> None:
    pi = _pi(client)
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": card, "return_url": RETURN_URL})
    err = info.value
    assert err.http_status == 402
    assert err.code == "card_declined"
    assert err.error.type == "card_error"
    assert err.error.decline_code == decline_code
    assert err.error.doc_url == "https://stripe.com/docs/error-codes/card-declined"
    if decline_code == "generic_decline":
        assert err.user_message == "Your card was declined."
    body = err.json_body["error"]
    assert body["charge"].startswith("ch_")
    assert body["payment_intent"]["id"] == pi.id
    assert body["payment_intent"]["status"] == "requires_payment_method"
    assert body["payment_method"]["object"] == "payment_method"

    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    assert pi.last_payment_error.decline_code == decline_code
    assert pi.latest_charge == body["charge"]
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.status, charge.paid, charge.captured) == ("failed", False, False)
    assert charge.failure_code == "card_declined"
    assert charge.outcome.type == "issuer_declined"
    assert charge.outcome.reason == decline_code
    assert charge.balance_transaction is None
    assert bt_ids(client) == []  # a decline moves no money

    pi = client.v1.payment_intents.confirm(
        pi.id, {"payment_method": "pm_card_visa", "return_url": RETURN_URL}
    )
    assert pi.status == "succeeded" and pi.last_payment_error is None
    assert len(client.v1.charges.list({"payment_intent": pi.id}).data) == 2


def test_decline_on_create_with_confirm(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        _pi(client, confirm=True, payment_method="pm_card_chargeDeclined")
    pi_id = info.value.json_body["error"]["payment_intent"]["id"]
    assert client.v1.payment_intents.retrieve(pi_id).status == "requires_payment_method"


# -- 3D Secure ------------------------------------------------------------------------------------
def test_three_d_secure_completed(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_authenticationRequired")
    assert pi.status == "requires_action"
    # a server-side confirm with a return_url sends the customer to the bank's page
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == RETURN_URL
    assert pi.latest_charge is None and bt_ids(client) == []
    resp = _three_d_secure(emulator_server, api_key, pi, "complete")
    assert resp.status == 200, resp.body
    assert resp.body["status"] == "succeeded"
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert (pi.status, pi.amount_received, pi.next_action) == ("succeeded", 1000, None)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert balance_totals(client) == {"available": 0, "pending": 941}


def test_three_d_secure_failed(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_authenticationRequired")
    resp = _three_d_secure(emulator_server, api_key, pi, "fail")
    assert resp.status == 200, resp.body
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert pi.latest_charge is None and bt_ids(client) == []


def test_three_d_secure_control_checks_secret_and_state(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_authenticationRequired")
    wrong = _three_d_secure(emulator_server, api_key, pi, "complete", secret=pi.id + "_secret_x")
    assert (wrong.status, wrong.error["param"]) == (400, "client_secret")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_action"
    assert _three_d_secure(emulator_server, api_key, pi, "complete").status == 200
    again = _three_d_secure(emulator_server, api_key, pi, "complete")
    assert again.status == 400
    assert again.error["code"] == "payment_intent_unexpected_state"
    assert balance_totals(client)["pending"] == 941  # captured once


# -- versions ------------------------------------------------------------------------------------
def test_endive_rejects_payment_method_types(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        _pi(client, payment_method_types=["card"])
    assert info.value.http_status == 400
    assert info.value.code == "payment_method_types_no_longer_supported"
    assert info.value.param == "payment_method_types"
    pi = _pi(client)
    for call in (client.v1.payment_intents.update, client.v1.payment_intents.confirm):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call(pi.id, {"payment_method_types": ["card"]})
        assert info.value.code == "payment_method_types_no_longer_supported"
    assert client.v1.payment_intents.list().data[0].id == pi.id  # nothing else was made


def test_dahlia_client_may_send_payment_method_types(emulator_server: Any, api_key: str) -> None:
    dahlia = make_client(emulator_server, api_key, stripe_version="2026-07-29.dahlia")
    pi = _pi(dahlia, payment_method_types=["card"], confirm=True, payment_method="pm_card_visa")
    assert (pi.status, pi.payment_method_types) == ("succeeded", ["card"])


def test_allowed_payment_method_types_on_endive(client: stripe.StripeClient) -> None:
    pi = _pi(
        client, allowed_payment_method_types=["card"], confirm=True, payment_method="pm_card_visa"
    )
    assert pi.status == "succeeded"
    assert pi.payment_method_types == ["card"]


# -- amounts and currencies -----------------------------------------------------------------------
def test_amount_too_small(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        _pi(client, amount=49)
    assert (info.value.code, info.value.param) == ("amount_too_small", "amount")
    assert info.value.user_message == "Amount must be at least $0.50 usd"
    assert info.value.error.doc_url == "https://stripe.com/docs/error-codes/amount-too-small"
    assert _pi(client, amount=50).amount == 50


def test_invalid_currency(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        _pi(client, currency="xyz")
    assert (info.value.http_status, info.value.param) == (400, "currency")
    assert info.value.user_message.startswith(
        "Invalid currency: xyz. Stripe currently supports these currencies: "
    )
    assert client.v1.payment_intents.list().data == []


# -- available_on and the clock -------------------------------------------------------------------
def test_bypass_pending_card_is_available_at_once(client: stripe.StripeClient) -> None:
    pi = _pi(client, amount=2000, confirm=True, payment_method="pm_card_bypassPending")
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert (txn.amount, txn.fee, txn.net, txn.status) == (2000, 88, 1912, "available")
    assert txn.available_on <= txn.created + 1
    assert balance_totals(client) == {"available": 1912, "pending": 0}


def test_clock_moves_pending_to_available_at_midnight_utc_plus_7_days(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = _pi(client, confirm=True, payment_method="pm_card_visa")
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert txn.available_on == (txn.created // DAY + 7) * DAY
    assert txn.available_on % DAY == 0
    assert balance_totals(client) == {"available": 0, "pending": 941}
    # The shared emulator's clock follows the wall clock (plus the offset we add), so stop
    # a minute short rather than one second short: a slow machine must not cross the line.
    now = raw(emulator_server, "GET", "/_emulator/clock", key=api_key).body["now"]
    now = advance(emulator_server, api_key, txn.available_on - now - 60)
    assert now < txn.available_on
    assert balance_totals(client) == {"available": 0, "pending": 941}
    assert client.v1.balance_transactions.retrieve(txn.id).status == "pending"
    assert advance(emulator_server, api_key, txn.available_on - now) >= txn.available_on
    assert balance_totals(client) == {"available": 941, "pending": 0}
    assert client.v1.balance_transactions.retrieve(txn.id).status == "available"


def test_the_clock_is_per_platform(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    other_key = "sk_test_clockbystander001"
    other = make_client(emulator_server, other_key)
    _pi(other, confirm=True, payment_method="pm_card_visa")
    advance(emulator_server, api_key, 30 * DAY)
    assert balance_totals(other) == {"available": 0, "pending": 941}


def test_dynamic_payment_methods_need_a_return_url_to_confirm_server_side(
    client: stripe.StripeClient,
) -> None:
    auto = {"automatic_payment_methods": {"enabled": True}}
    with pytest.raises(stripe.InvalidRequestError) as err:
        _pi(client, confirm=True, payment_method="pm_card_visa", return_url=None, **auto)
    assert err.value.param == "return_url"
    assert err.value.user_message.startswith("A `return_url` must be specified")
    assert _pi(client, confirm=True, payment_method="pm_card_visa", **auto).status == "succeeded"
    never = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    pi = _pi(client, confirm=True, payment_method="pm_card_visa", return_url=None, **never)
    assert pi.status == "succeeded"
