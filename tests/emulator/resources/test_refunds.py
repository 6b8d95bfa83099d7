"""Refunds of a destination charge: who pays, to the cent (1000 usd, fee 123, Stripe 59)."""

from __future__ import annotations

import pytest
import stripe

from ..after_charge_support import Market, new_market


@pytest.fixture
def market(client: stripe.StripeClient, emulator_server, api_key: str) -> Market:
    return new_market(client, emulator_server.url, api_key)


def _fund(market: Market, amount: int = 10_000) -> None:
    """Top up the platform, so that refunds are paid from its available balance at once."""
    market.client.v1.topups.create({"amount": amount, "currency": "usd"})


def _delta(market: Market, action) -> tuple[int, int]:
    before = market.nets()
    action()
    after = market.nets()
    return after[0] - before[0], after[1] - before[1]


def test_full_refund_with_both_flags_leaves_platform_out_only_stripes_fee(market: Market):
    _fund(market)
    pi = market.book()
    assert market.nets() == (10_064, 877)
    refund = market.client.v1.refunds.create(
        {"payment_intent": pi.id, "reverse_transfer": True, "refund_application_fee": True})
    assert refund.status == "succeeded" and refund.amount == 1000
    assert market.nets() == (10_000 - 59, 0)  # Stripe keeps its processing fee
    reversal = market.client.v1.transfers.reversals.list(
        market.client.v1.charges.retrieve(pi.latest_charge).transfer).data[0]
    assert reversal.amount == 1000 and reversal.source_refund == refund.id
    fee = market.client.v1.application_fees.list({"limit": 1}).data[0]
    assert fee.refunded is True and fee.amount_refunded == 123


def test_partial_refund_without_flags_is_paid_by_the_platform(market: Market):
    _fund(market)
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
    _fund(market)
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


# -- refunds beyond the available balance wait (https://docs.stripe.com/refunds) ---------------
def _events(market: Market, kind: str) -> list:
    return market.client.v1.events.list({"type": kind, "limit": 100}).data


def test_refund_beyond_the_available_balance_waits_for_a_top_up(market: Market):
    """https://docs.stripe.com/refunds: "Refunds use your available Stripe balance (not
    including pending amounts)"; when it falls short, "Stripe holds the refund as pending for
    card transactions ... until your Stripe balance becomes sufficient"."""
    pi = market.book()  # the platform's 64 is still pending: nothing is available
    refund = market.client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    assert (refund.status, refund.pending_reason, refund.balance_transaction) == (
        "pending", "insufficient_funds", None)
    assert market.nets() == (64, 877)  # nothing debited yet: no negative balance
    charge = market.client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    with pytest.raises(stripe.InvalidRequestError):  # the waiting 500 still counts
        market.client.v1.refunds.create({"payment_intent": pi.id, "amount": 501})

    market.client.v1.topups.create({"amount": 499, "currency": "usd"})
    assert market.client.v1.refunds.retrieve(refund.id).status == "pending"  # 1 short
    market.client.v1.topups.create({"amount": 1, "currency": "usd"})
    done = market.client.v1.refunds.retrieve(refund.id)
    assert (done.status, done.pending_reason) == ("succeeded", None)
    txn = market.client.v1.balance_transactions.retrieve(done.balance_transaction)
    assert (txn.type, txn.amount, txn.net, txn.source) == ("refund", -500, -500, refund.id)
    assert market.balance()[0] == 0 and market.nets() == (64, 877)
    updated = _events(market, "refund.updated")
    assert [e.data.object.id for e in updated] == [refund.id]
    assert updated[0].data.object.status == "succeeded"
    assert updated[0].data.previous_attributes["status"] == "pending"
    assert updated[0].data.previous_attributes["balance_transaction"] is None
    assert [e.data.object.id for e in _events(market, "charge.refund.updated")] == [refund.id]
    charge = market.client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunds.data[0].status == "succeeded"


def test_pending_refund_completes_when_the_clock_makes_funds_available(market: Market):
    """The charge's own funds (2000 - 88 Stripe fee = 1912) wait 7 days; the refund waits with
    them and completes the day they become available (https://docs.stripe.com/refunds)."""
    pi = market.client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "return_url": "https://example.com/return"})
    refund = market.client.v1.refunds.create({"payment_intent": pi.id, "amount": 1500})
    assert refund.status == "pending"
    market.control("/_emulator/clock/advance", seconds=6 * 86400)
    assert market.client.v1.refunds.retrieve(refund.id).status == "pending"
    market.control("/_emulator/clock/advance", seconds=2 * 86400)
    done = market.client.v1.refunds.retrieve(refund.id)
    assert done.status == "succeeded"
    assert market.balance() == (1912 - 1500, 0)


def test_waiting_refunds_complete_oldest_first(market: Market):
    """A later refund does not jump the queue: it waits behind the first."""
    first = market.client.v1.refunds.create({"payment_intent": market.book().id,
                                             "amount": 600})
    second = market.client.v1.refunds.create({"payment_intent": market.book().id,
                                              "amount": 100})
    assert (first.status, second.status) == ("pending", "pending")
    market.client.v1.topups.create({"amount": 650, "currency": "usd"})
    assert [market.client.v1.refunds.retrieve(r.id).status for r in (first, second)] == [
        "succeeded", "pending"]
    market.client.v1.topups.create({"amount": 50, "currency": "usd"})
    assert market.client.v1.refunds.retrieve(second.id).status == "succeeded"
    assert market.balance()[0] == 0


def test_reversal_lands_first_and_can_pay_the_refund(market: Market):
    """A destination charge's refund is debited to the platform; with reverse_transfer the
    homeowner's share comes back first, so a refund the reversal covers is paid at once
    (https://docs.stripe.com/refunds#refunds-through-a-connect-platform)."""
    pi = market.book()
    refund = market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 400, "reverse_transfer": True})
    assert refund.status == "succeeded" and refund.transfer_reversal.startswith("trr_")
    # with the fee refunded too, 400 in and 49 out leave 351: the refund of 400 waits
    waiting = market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 400, "reverse_transfer": True,
         "refund_application_fee": True})
    assert (waiting.status, waiting.pending_reason) == ("pending", "insufficient_funds")
    assert waiting.transfer_reversal.startswith("trr_")  # the reversal itself is done
    assert market.balance()[0] == 351


# -- reverse_transfer and refund_application_fee are proportional to the original charge ------
# https://docs.stripe.com/connect/destination-charges#issue-refunds: the transfer is reversed
# (and the fee refunded) in proportion to the amount refunded; rounding half up (money.py).
def test_second_partial_refund_reverses_its_share_of_the_original_transfer(market: Market):
    """Charge 1000, transfer_data[amount]=877: refunds of 100 then 126 reverse 88 (87.7) and
    111 (110.502), each its share of the original 877 (of what remained it would be 110)."""
    _fund(market)
    pi = market.client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "transfer_data": {"destination": market.account, "amount": 877},
        "return_url": "https://example.com/return"})
    shares = []
    for amount in (100, 126):
        refund = market.client.v1.refunds.create(
            {"payment_intent": pi.id, "amount": amount, "reverse_transfer": True})
        shares.append(market.client.v1.transfers.reversals.retrieve(
            market.client.v1.charges.retrieve(pi.latest_charge).transfer,
            refund.transfer_reversal).amount)
    assert shares == [88, 111]
    last = market.client.v1.refunds.create({"payment_intent": pi.id, "reverse_transfer": True})
    transfer = market.client.v1.transfers.retrieve(
        market.client.v1.charges.retrieve(pi.latest_charge).transfer)
    assert (last.amount, transfer.amount_reversed, transfer.reversed) == (774, 877, True)


def test_refund_after_a_manual_reversal_still_takes_its_share_of_the_whole(market: Market):
    """After the platform reversed 500 of the 1000 transfer by hand, a refund of 200 reverses
    200 (200/1000 of 1000), not 100 (200/1000 of the 500 left)."""
    _fund(market)
    pi = market.book()
    transfer = market.client.v1.charges.retrieve(pi.latest_charge).transfer
    market.client.v1.transfers.reversals.create(transfer, {"amount": 500})
    refund = market.client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 200, "reverse_transfer": True})
    reversal = market.client.v1.transfers.reversals.retrieve(transfer, refund.transfer_reversal)
    assert reversal.amount == 200


def test_second_partial_refund_refunds_its_share_of_the_original_fee(market: Market):
    """Fee 123 of 1000: refunds of 53 then 200 give back 7 (6.519) and 25 (24.6) of it; in
    proportion to what remained (116 of 947) the second would be 24."""
    _fund(market)
    pi = market.book()
    for amount in (53, 200):
        market.client.v1.refunds.create(
            {"payment_intent": pi.id, "amount": amount, "reverse_transfer": True,
             "refund_application_fee": True})
    fee = market.client.v1.application_fees.list({"limit": 1}).data[0]
    backs = [r.amount for r in market.client.v1.application_fees.refunds.list(fee.id).data]
    assert backs == [25, 7]  # newest first


def test_reversal_with_fee_refund_takes_its_share_of_the_whole_fee(market: Market):
    """POST /v1/transfers/:id/reversals with refund_application_fee: reversing 53 then 200 of
    the 1000 transfer returns 7 then 25 of the 123 fee, shares of the original fee
    (https://docs.stripe.com/api/transfer_reversals/create)."""
    pi = market.book()
    charge = market.client.v1.charges.retrieve(pi.latest_charge)
    for amount in (53, 200):
        market.client.v1.transfers.reversals.create(
            charge.transfer, {"amount": amount, "refund_application_fee": True})
    backs = [r.amount for r in market.client.v1.application_fees.refunds.list(
        charge.application_fee).data]
    assert backs == [25, 7]
