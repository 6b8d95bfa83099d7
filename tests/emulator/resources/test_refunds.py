"""Refunds of a destination charge: who pays, to the cent (1000 usd, fee 123, Stripe 59)."""

from __future__ import annotations

import pytest
import stripe

from ..after_charge_support import Market, new_market


@pytest.fixture
def market(client: stripe.StripeClient, emulator_server, api_key: str) -> Market:
    return new_market(client, emulator_server.url, api_key)


def _delta(market: Market, action) -> tuple[int, int]:
    before = market.nets()
    action()
    after = market.nets()
    return after[0] - before[0], after[1] - before[1]


def test_full_refund_with_both_flags_leaves_platform_out_only_stripes_fee(market: Market):
    pi = market.book()
    assert market.nets() == (64, 877)
    refund = market.client.v1.refunds.create(
        {"payment_intent": pi.id, "reverse_transfer": True, "refund_application_fee": True})
    assert refund.status == "succeeded" and refund.amount == 1000
    assert market.nets() == (-59, 0)  # Stripe keeps its processing fee
    reversal = market.client.v1.transfers.reversals.list(
        market.client.v1.charges.retrieve(pi.latest_charge).transfer).data[0]
    assert reversal.amount == 1000 and reversal.source_refund == refund.id
    fee = market.client.v1.application_fees.list({"limit": 1}).data[0]
    assert fee.refunded is True and fee.amount_refunded == 123


def test_partial_refund_without_flags_is_paid_by_the_platform(market: Market):
    pi = market.book()
    delta = _delta(market, lambda: market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500}))
    assert delta == (-500, 0)


def test_partial_refund_reversing_the_transfer_is_paid_by_the_homeowner(market: Market):
    pi = market.book()
    delta = _delta(market, lambda: market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "reverse_transfer": True}))
    assert delta == (0, -500)


def test_partial_refund_with_both_flags_splits_in_proportion(market: Market):
    pi = market.book()
    # 500 of 1000: half the transfer (500) comes back, half the fee (62, 61.5 rounded up) goes
    delta = _delta(market, lambda: market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "reverse_transfer": True,
         "refund_application_fee": True}))
    assert delta == (-62, -438)
    types = {t.type for t in market.client.v1.balance_transactions.list({"limit": 10}).data}
    assert {"refund", "transfer_refund", "application_fee_refund"} <= types


def test_over_refund_is_refused_and_moves_nothing(market: Market):
    pi = market.book()
    market.client.v1.refunds.create({"payment_intent": pi.id, "amount": 600})
    before = market.nets()
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    assert err.value.param == "amount"
    assert "greater than unrefunded amount on charge ($4.00)" in err.value.user_message
    assert market.nets() == before
    market.client.v1.refunds.create({"payment_intent": pi.id})
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.refunds.create({"payment_intent": pi.id})
    assert err.value.code == "charge_already_refunded"


def test_fee_refund_on_destination_charge_requires_reversing_the_transfer(market: Market):
    pi = market.book()
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.refunds.create({"payment_intent": pi.id, "refund_application_fee": True})
    assert err.value.param == "refund_application_fee"


def test_direct_transfer_reversal_and_fee_refund(market: Market):
    pi = market.book()
    charge = market.client.v1.charges.retrieve(pi.latest_charge)
    reversal = market.client.v1.transfers.reversals.create(charge.transfer, {"amount": 300})
    assert reversal.amount == 300
    transfer = market.client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (300, False)
    fee_refund = market.client.v1.application_fees.refunds.create(charge.application_fee,
                                                                   {"amount": 23})
    assert fee_refund.object == "fee_refund" and fee_refund.amount == 23
    assert market.nets() == (64 + 300 - 23, 877 - 300 + 23)
    with pytest.raises(stripe.InvalidRequestError):
        market.client.v1.transfers.reversals.create(charge.transfer, {"amount": 701})
