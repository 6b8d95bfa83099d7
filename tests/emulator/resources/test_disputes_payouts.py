"""Disputes (the platform is liable), the clock, balance.available and payouts."""

from __future__ import annotations

import pytest
import stripe

from ..after_charge_support import Market, new_market

DAY = 86400


@pytest.fixture
def market(client: stripe.StripeClient, emulator_server, api_key: str) -> Market:
    return new_market(client, emulator_server.url, api_key)


def _dispute(market: Market, pi) -> stripe.Dispute:
    return market.client.v1.disputes.list({"payment_intent": pi.id}).data[0]


def test_dispute_debits_platform_amount_plus_fee_and_a_loss_keeps_it(market: Market):
    pi = market.book("pm_card_createDispute")
    dispute = _dispute(market, pi)
    assert (dispute.status, dispute.amount, dispute.reason) == ("needs_response", 1000,
                                                               "fraudulent")
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.type, withdrawal.amount, withdrawal.fee, withdrawal.net) == (
        "adjustment", -1000, 1500, -2500)
    assert market.nets() == (64 - 2500, 877)  # the homeowner keeps the payment
    lost = market.client.v1.disputes.update(
        dispute.id, {"evidence": {"uncategorized_text": "losing_evidence"}})
    assert lost.status == "lost"
    assert market.nets() == (64 - 2500, 877)


def test_won_dispute_reinstates_the_amount_not_the_fee(market: Market):
    pi = market.book("pm_card_createDispute")
    won = market.client.v1.disputes.update(
        _dispute(market, pi).id, {"evidence": {"uncategorized_text": "winning_evidence"}})
    assert won.status == "won"
    assert [t.reporting_category for t in won.balance_transactions] == ["dispute",
                                                                         "dispute_reversal"]
    assert market.nets() == (64 - 1500, 877)


def test_accepting_a_dispute_closes_it_as_lost(market: Market):
    pi = market.book("pm_card_createDispute")
    closed = market.client.v1.disputes.close(_dispute(market, pi).id)
    assert closed.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        market.client.v1.disputes.close(closed.id)


def test_inquiry_moves_no_money(market: Market):
    pi = market.book("pm_card_createDisputeInquiry")
    inquiry = _dispute(market, pi)
    assert inquiry.status == "warning_needs_response" and inquiry.balance_transactions == []
    assert market.nets() == (64, 877)


def test_disputed_charge_cannot_be_refunded(market: Market):
    pi = market.book("pm_card_createDispute")
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.refunds.create({"payment_intent": pi.id})
    assert err.value.code == "charge_disputed"


def test_funds_mature_after_seven_days_and_are_paid_out_daily(market: Market):
    market.book()
    assert market.balance(market.account) == (0, 877)
    market.control("/_emulator/clock/advance", seconds=6 * DAY)
    assert market.balance(market.account) == (0, 877)
    market.control("/_emulator/clock/advance", seconds=2 * DAY)
    payouts = market.client.v1.payouts.list(options={"stripe_account": market.account}).data
    assert [(p.amount, p.automatic) for p in payouts] == [(877, True)]
    assert market.balance(market.account) == (0, 0)
    types = [e.type for e in market.client.v1.events.list(
        {"limit": 20}, {"stripe_account": market.account}).data]
    assert "balance.available" in types and "payout.created" in types
    market.control("/_emulator/clock/advance", seconds=4 * DAY)
    paid = market.client.v1.payouts.retrieve(payouts[0].id,
                                              options={"stripe_account": market.account})
    assert paid.status == "paid"


def test_manual_payout_needs_available_funds(market: Market):
    market.client.v1.accounts.update(
        market.account, {"settings": {"payouts": {"schedule": {"interval": "manual"}}}})
    market.book("pm_card_bypassPending")
    options = {"stripe_account": market.account}
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.payouts.create({"amount": 878, "currency": "usd"}, options)
    assert err.value.code == "balance_insufficient"
    payout = market.client.v1.payouts.create({"amount": 877, "currency": "usd"}, options)
    assert (payout.status, payout.automatic, payout.method) == ("pending", False, "standard")
    instant = None
    market.book("pm_card_bypassPending")
    instant = market.client.v1.payouts.create(
        {"amount": 500, "currency": "usd", "method": "instant"}, options)
    assert instant.arrival_date == instant.created


def test_failing_test_bank_account_fails_the_payout_and_returns_the_money(
        client: stripe.StripeClient, emulator_server, api_key: str):
    market = new_market(client, emulator_server.url, api_key)
    client.v1.accounts.external_accounts.create(
        market.account, {"external_account": "btok_us_verified_noAccount"})
    client.v1.accounts.update(
        market.account, {"settings": {"payouts": {"schedule": {"interval": "manual"}}}})
    market.book("pm_card_bypassPending")
    options = {"stripe_account": market.account}
    payout = client.v1.payouts.create({"amount": 877, "currency": "usd"}, options)
    market.control("/_emulator/clock/advance", seconds=5 * DAY)
    failed = client.v1.payouts.retrieve(payout.id, options=options)
    assert (failed.status, failed.failure_code) == ("failed", "no_account")
    assert market.balance(market.account)[0] == 877


def test_topup_funds_the_platform_for_separate_transfers(market: Market):
    topup = market.client.v1.topups.create({"amount": 5000, "currency": "usd"})
    assert topup.status == "succeeded"
    transfer = market.client.v1.transfers.create(
        {"amount": 4000, "currency": "usd", "destination": market.account})
    assert transfer.amount == 4000
    assert market.balance()[0] == 1000
