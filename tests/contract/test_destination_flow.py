"""The guide's flow through the SDK, asserted the same way on the emulator and on Stripe.

Nothing here uses an emulator control directly: onboarding goes through the backend's
lab-like helpers (``conftest.Backend``). Amounts are the worked example's: 1000 usd with
``application_fee_amount=123`` and Stripe's US card pricing of 2.9 % + 30 cents = 59
(https://stripe.com/pricing; https://docs.stripe.com/connect/destination-charges).
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .conftest import TAG, Backend

pytestmark = pytest.mark.contract
RETURN_URL = "https://example.com/return"  # confirm=True with automatic payment methods


def destination_charge(backend: Backend, destination: str, pm: str = "pm_card_visa",
                       **extra: Any) -> stripe.PaymentIntent:
    return backend.client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": pm, "confirm": True,
        "return_url": RETURN_URL, "application_fee_amount": 123,
        "transfer_data": {"destination": destination}, "metadata": TAG, **extra})


def txn(backend: Backend, txn_id: str, account: str | None = None) -> stripe.BalanceTransaction:
    options: Any = {"stripe_account": account} if account else {}
    return backend.client.v1.balance_transactions.retrieve(txn_id, options=options)


def money(t: stripe.BalanceTransaction) -> tuple[str, int, int, int, str]:
    return t.type, t.amount, t.fee, t.net, t.currency


# -- onboarding ---------------------------------------------------------------------------------
def test_a_new_express_account_is_restricted_until_onboarded(backend: Backend) -> None:
    account = backend.express_account()
    assert account.id.startswith("acct_")
    assert (account.type, account.country) == ("express", "US")
    assert account.metadata.to_dict() == TAG
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False, False, False)
    assert account.capabilities.transfers in ("inactive", "pending")
    due = set(account.requirements.currently_due)
    assert {"business_type", "external_account", "tos_acceptance.date"} <= due


def test_completed_express_onboarding_enables_the_homeowner(backend: Backend) -> None:
    account = backend.express_account()
    backend.complete_onboarding(account.id)  # skips in test mode: a person must do it
    done = backend.client.v1.accounts.retrieve(account.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True, True, True)
    assert (done.capabilities.card_payments, done.capabilities.transfers) == ("active",
                                                                              "active")
    assert done.requirements.currently_due == []
    assert done.external_accounts.data[0].object == "bank_account"


def test_documented_test_values_enable_a_platform_collected_account(backend: Backend) -> None:
    account = backend.custom_test_account()
    assert account["capabilities"]["transfers"] == "active"
    assert account["capabilities"]["card_payments"] == "active"
    assert account["controller"]["requirement_collection"] == "application"
    assert account["requirements"]["currently_due"] == []
    assert account["metadata"] == TAG


# -- the destination charge, to the cent ----------------------------------------------------------
@pytest.fixture
def homeowner(backend: Backend) -> str:
    return backend.homeowner()


def test_destination_charge_on_the_platform(backend: Backend, homeowner: str) -> None:
    pi = destination_charge(backend, homeowner)
    assert (pi.status, pi.amount, pi.amount_received, pi.application_fee_amount) == (
        "succeeded", 1000, 1000, 123)
    assert pi.transfer_data.destination == homeowner
    charge = backend.client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.status, charge.paid, charge.captured, charge.amount) == (
        "succeeded", True, True, 1000)
    assert charge.transfer.startswith("tr_") and charge.application_fee.startswith("fee_")
    assert charge.application_fee_amount == 123
    assert charge.transfer_data.destination == homeowner
    assert charge.on_behalf_of is None

    c = txn(backend, charge.balance_transaction)
    assert money(c) == ("charge", 1000, 59, 941, "usd") and c.source == charge.id
    assert [(d.type, d.amount) for d in c.fee_details] == [("stripe_fee", 59)]

    transfer = backend.client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.destination, transfer.source_transaction) == (
        1000, homeowner, charge.id)
    t = txn(backend, transfer.balance_transaction)
    assert money(t) == ("transfer", -1000, 0, -1000, "usd") and t.source == transfer.id

    fee = backend.client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.originating_transaction) == (123, homeowner, charge.id)
    f = txn(backend, fee.balance_transaction)
    assert money(f) == ("application_fee", 123, 0, 123, "usd") and f.source == fee.id
    assert c.net + t.net + f.net == 64  # what the platform keeps


def test_destination_charge_on_the_homeowners_account(backend: Backend, homeowner: str) -> None:
    pi = destination_charge(backend, homeowner)
    charge = backend.client.v1.charges.retrieve(pi.latest_charge)
    transfer = backend.client.v1.transfers.retrieve(charge.transfer)
    assert transfer.destination_payment.startswith("py_")
    as_homeowner: Any = {"stripe_account": homeowner}
    payment = backend.client.v1.charges.retrieve(transfer.destination_payment,
                                                 options=as_homeowner)
    assert (payment.amount, payment.source_transfer) == (1000, transfer.id)
    p = txn(backend, payment.balance_transaction, homeowner)
    assert money(p) == ("payment", 1000, 123, 877, "usd")
    assert [(d.type, d.amount) for d in p.fee_details] == [("application_fee", 123)]


# -- a partial refund that reverses the transfer --------------------------------------------------
def test_partial_refund_with_reverse_transfer(backend: Backend, homeowner: str) -> None:
    pi = destination_charge(backend, homeowner)
    charge = backend.client.v1.charges.retrieve(pi.latest_charge)
    refund = backend.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "reverse_transfer": True})
    assert (refund.status, refund.amount, refund.charge) == ("succeeded", 500, charge.id)
    assert refund.transfer_reversal.startswith("trr_")
    r = txn(backend, refund.balance_transaction)
    assert money(r) == ("refund", -500, 0, -500, "usd") and r.source == refund.id

    reversal = backend.client.v1.transfers.reversals.retrieve(charge.transfer,
                                                               refund.transfer_reversal)
    assert (reversal.amount, reversal.transfer, reversal.source_refund) == (
        500, charge.transfer, refund.id)
    v = txn(backend, reversal.balance_transaction)
    assert money(v) == ("transfer_refund", 500, 0, 500, "usd")
    transfer = backend.client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (500, False)

    assert reversal.destination_payment_refund.startswith("pyr_")
    on_homeowner = backend.client.v1.balance_transactions.list(
        {"source": reversal.destination_payment_refund}, {"stripe_account": homeowner}).data
    assert [money(t) for t in on_homeowner] == [("payment_refund", -500, 0, -500, "usd")]

    fee = backend.client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (0, False)  # the fee stays with the platform
    after = backend.client.v1.charges.retrieve(charge.id)
    assert (after.amount_refunded, after.refunded) == (500, False)


# -- errors ---------------------------------------------------------------------------------------
def test_declined_card_is_402_card_declined_and_moves_no_money(
    backend: Backend, homeowner: str
) -> None:
    with pytest.raises(stripe.CardError) as info:
        destination_charge(backend, homeowner, pm="pm_card_chargeDeclined")
    err = info.value
    assert (err.http_status, err.code, err.error.decline_code) == (
        402, "card_declined", "generic_decline")
    assert err.error.type == "card_error"
    assert err.error.payment_intent["status"] == "requires_payment_method"
    failed = backend.client.v1.charges.retrieve(err.error.charge)
    assert (failed.status, failed.paid, failed.transfer) == ("failed", False, None)
    assert failed.balance_transaction is None


def test_destination_without_transfers_capability_is_refused(backend: Backend) -> None:
    fresh = backend.express_account()
    with pytest.raises(stripe.InvalidRequestError) as info:
        destination_charge(backend, fresh.id)
    err = info.value
    assert (err.http_status, err.code) == (400, "insufficient_capabilities_for_transfer")
    assert err.param == "transfer_data[destination]"
    assert "transfers" in err.user_message


def test_missing_objects_are_404_resource_missing(backend: Backend) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        backend.client.v1.charges.retrieve("ch_3ConnectLabMissing000000")
    err = info.value
    assert (err.http_status, err.code) == (404, "resource_missing")
    assert err.user_message == "No such charge: 'ch_3ConnectLabMissing000000'"
    with pytest.raises(stripe.InvalidRequestError) as info:
        backend.client.v1.customers.retrieve("cus_ConnectLabMissing0")
    assert (info.value.http_status, info.value.code, info.value.param) == (
        404, "resource_missing", "id")
