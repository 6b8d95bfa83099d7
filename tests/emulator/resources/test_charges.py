"""The legacy Charges API (``POST /v1/charges`` with a source) that older destination-charge
articles use: the same money as a PaymentIntent destination charge, to the cent."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ...conftest import make_client
from ..support import advance, all_balance_transactions, onboarded_account


def _ledger(client: stripe.StripeClient, account: str | None = None) -> list[tuple]:
    return sorted((t["type"], t["amount"], t["fee"], t["net"], t["reporting_category"])
                  for t in all_balance_transactions(client, account))


def test_a_legacy_destination_charge_moves_what_a_payment_intent_moves(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    charge = client.v1.charges.create({
        "amount": 1000, "currency": "usd", "source": "tok_visa",
        "application_fee_amount": 123, "transfer_data": {"destination": host},
        "description": "Cabin, 1 night"})
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == \
        ("succeeded", True, True, 1000)
    assert charge.payment_intent is None
    assert charge.source.object == "card" and charge.source.brand == "Visa"
    assert charge.payment_method == charge.source.id and charge.source.id.startswith("card_")
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.transfer.startswith("tr_") and charge.application_fee.startswith("fee_")
    legacy_platform, legacy_host = _ledger(client), _ledger(client, host)
    # The same destination charge made the modern way, on a fresh platform.
    other_key = "sk_test_legacychargetwin0001"
    other = make_client(emulator_server, other_key)
    other_host = onboarded_account(emulator_server, other, other_key)
    other.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "application_fee_amount": 123, "transfer_data": {"destination": other_host},
        "return_url": "https://example.com/return"})
    assert legacy_platform == _ledger(other) == [
        ("application_fee", 123, 0, 123, "platform_earning"),
        ("charge", 1000, 59, 941, "charge"),
        ("transfer", -1000, 0, -1000, "transfer")]
    assert legacy_host == _ledger(other, other_host) == [("payment", 1000, 123, 877, "charge")]


def test_destination_account_hash_and_the_old_fee_name(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    """``destination[account]`` and ``application_fee``: what 2017-era articles send, and
    what stripe-python 16 still declares for Charge create."""
    host = onboarded_account(emulator_server, client, api_key)
    charge = client.v1.charges.create({"amount": 2000, "currency": "usd",
                                       "source": "tok_mastercard",
                                       "destination": {"account": host},
                                       "application_fee": 200})
    assert charge.transfer_data.destination == host
    assert charge.application_fee_amount == 200
    fixed = client.v1.charges.create({"amount": 2000, "currency": "usd", "source": "tok_visa",
                                      "destination": {"account": host, "amount": 1700}})
    assert fixed.application_fee is None
    assert client.v1.transfers.retrieve(fixed.transfer).amount == 1700
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.raw_request("post", "/v1/charges", amount=1000, currency="usd",
                           source="tok_visa", destination=host)
    assert (info.value.code, info.value.param) == (None, "destination")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa",
                                  "destination": {"account": host},
                                  "transfer_data": {"destination": host}})
    assert info.value.code == "parameters_exclusive"


def test_capture_false_then_capture_part(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    held = client.v1.charges.create({
        "amount": 5000, "currency": "usd", "source": "tok_visa", "capture": False,
        "application_fee_amount": 500, "transfer_data": {"destination": host}})
    assert (held.captured, held.amount_captured, held.balance_transaction) == (False, 0, None)
    assert all_balance_transactions(client) == []
    done = client.v1.charges.capture(held.id, {"amount": 4000})
    assert (done.captured, done.amount_captured, done.amount_refunded) == (True, 4000, 1000)
    # A partial capture posts the full authorization and a partial_capture_reversal for the
    # rest (https://docs.stripe.com/reports/reporting-categories): Stripe's fee nets to the
    # fee on 40.00, 1.46 + 0.30 (1.75 charged, 0.29 returned); the capture is transferred.
    assert _ledger(client) == [("application_fee", 500, 0, 500, "platform_earning"),
                               ("charge", 5000, 175, 4825, "charge"),
                               ("refund", -1000, -29, -971, "partial_capture_reversal"),
                               ("transfer", -4000, 0, -4000, "transfer")]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.capture(held.id)
    assert info.value.code == "charge_already_captured"


def test_payment_intent_charges_are_captured_through_their_payment_intent(
    client: stripe.StripeClient,
) -> None:
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual", "return_url": "https://example.com/return"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.capture(pi.latest_charge)
    assert info.value.param == "charge"


@pytest.mark.parametrize("token, code, decline", [
    ("tok_chargeDeclined", "card_declined", "generic_decline"),
    ("tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("tok_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
])
def test_declined_test_tokens(client: stripe.StripeClient, token: str, code: str,
                              decline: str) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": token})
    assert (info.value.http_status, info.value.code) == (402, code)
    assert info.value.error.decline_code == decline
    failed = client.v1.charges.retrieve(info.value.error.charge)
    assert (failed.status, failed.paid, failed.failure_code) == ("failed", False, code)
    assert all_balance_transactions(client) == []


def test_a_card_needing_3d_secure_cannot_pay_through_the_charges_api(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    from ..support import publishable

    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    tok = pk.v1.tokens.create({"card": {"number": "4000002760003184", "exp_month": "12",
                                        "exp_year": "2034", "cvc": "123"}})
    with pytest.raises(stripe.CardError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id})
    assert info.value.code == "authentication_required"


def test_the_dispute_test_token_is_disputed(client: stripe.StripeClient) -> None:
    charge = client.v1.charges.create({"amount": 3000, "currency": "usd",
                                       "source": "tok_createDispute"})
    disputes = client.v1.disputes.list().data
    assert [d.charge for d in disputes] == [charge.id]
    assert client.v1.charges.retrieve(charge.id).disputed is True


def test_refund_of_a_legacy_destination_charge(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    charge = client.v1.charges.create({
        "amount": 1000, "currency": "usd", "source": "tok_visa",
        "application_fee_amount": 123, "transfer_data": {"destination": host}})
    # the charge's funds are still pending: the refund is paid from available money
    # (https://docs.stripe.com/refunds#pending-refunds), here a top-up
    client.v1.topups.create({"amount": 1000, "currency": "usd"})
    refund = client.v1.refunds.create({"charge": charge.id, "reverse_transfer": True,
                                       "refund_application_fee": True})
    assert refund.status == "succeeded"
    totals = sum(t["net"] for t in all_balance_transactions(client))
    assert totals == 941 - 1000 + 1000 - 1000 + 123 - 123 + 1000  # Stripe keeps its 59
    assert sum(t["net"] for t in all_balance_transactions(client, host)) == 0


def test_source_and_customer_rules(emulator_server: Any, client: stripe.StripeClient) -> None:
    renter = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "customer": renter.id})
    assert "no active card" in str(info.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd"})
    assert info.value.param == "source"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_nope"})
    assert (info.value.code, info.value.param) == ("resource_missing", "source")
    other = make_client(emulator_server, "sk_test_legacychargeother01")
    theirs = other.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa",
                                  "customer": theirs.id})
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa",
                                  "transfer_data": {"destination": "acct_nobodyhere00"}})
    assert info.value.param == "transfer_data[destination]"


def test_a_reset_forgets_the_cards_behind_tokens_charges_and_setups(
    emulator_server: Any, emulator: Any, api_key: str
) -> None:
    """The emulator keeps test card numbers beside their owners (never in responses); a
    platform reset must take them all, whatever made them."""
    from ..support import control, publishable

    client = make_client(emulator_server, api_key)
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    tok = pk.v1.tokens.create({"card": {"number": "4242424242424242", "exp_month": "12",
                                        "exp_year": "2034"}})
    client.v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id})
    client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa",
                              "capture": False})
    with pytest.raises(stripe.CardError):
        client.v1.charges.create({"amount": 1000, "currency": "usd",
                                  "source": "tok_chargeDeclined"})
    client.v1.setup_intents.create({"payment_method": "pm_card_visa", "confirm": True,
                                    "return_url": "https://example.com/return"})
    control(emulator_server, api_key, "/_emulator/reset")
    store = emulator.store
    kept = {row[0] for row in store.execute("SELECT id FROM objects")}
    orphans = [name for (name,) in store.execute("SELECT name FROM meta")
               if name.startswith(("pm_card:", "pm_setup:", "pi_explicit_apm:"))
               and name.split(":", 1)[1] not in kept]
    assert orphans == []


def test_an_application_fee_without_a_destination_names_the_charge(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa",
                                  "application_fee_amount": 100})
    assert info.value.param == "application_fee_amount"
    assert "when the Charge is attempting" in str(info.value.user_message)
    assert client.v1.charges.list().data == []


def test_an_uncaptured_legacy_charge_expires_after_seven_days(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    """"Uncaptured payments expire a set number of days after they are created (7 by
    default), after which they are marked as refunded and capture attempts will fail"
    (https://docs.stripe.com/api/charges/capture): the hold of a ``capture=false`` Charge
    lapses as a PaymentIntent's does, with ``card.capture_before``, ``charge.expired`` and
    Stripe's charge_expired_for_capture (https://docs.stripe.com/error-codes)."""
    host = onboarded_account(emulator_server, client, api_key)
    held = client.v1.charges.create({
        "amount": 5000, "currency": "usd", "source": "tok_visa", "capture": False,
        "application_fee_amount": 500, "transfer_data": {"destination": host}})
    assert held.payment_method_details.card.capture_before == held.created + 7 * 86400
    kept = client.v1.charges.create({"amount": 2000, "currency": "usd", "source": "tok_visa",
                                     "capture": False})
    advance(emulator_server, api_key, 7 * 86400 - 60)
    assert client.v1.charges.capture(kept.id, {"amount": 1500}).amount_captured == 1500
    advance(emulator_server, api_key, 120)
    lapsed = client.v1.charges.retrieve(held.id)
    assert (lapsed.captured, lapsed.refunded, lapsed.amount_refunded) == (False, True, 5000)
    events = client.v1.events.list({"type": "charge.expired"}).data
    assert [e.data.object.id for e in events] == [held.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.capture(held.id)
    assert info.value.code == "charge_expired_for_capture"
    # nothing of the lapsed one moved; the one captured in time did (fee 58 + 30)
    assert [t for t in _ledger(client) if t[0] == "charge"] == [
        ("charge", 2000, 88, 1912, "charge")]

