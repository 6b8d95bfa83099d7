"""Disputes (the platform is liable), the clock, balance.available and payouts."""

from __future__ import annotations

import json
import urllib.request

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


# -- disputes: staged evidence and the counter fee ---------------------------------------------
def test_staged_evidence_is_submitted_later_with_submit_alone(market: Market):
    """https://docs.stripe.com/api/disputes/update: with submit=false "evidence is staged on
    the dispute", and "can be submitted to the bank by making another request with this
    attribute set to true"."""
    pi = market.book("pm_card_createDispute")
    dispute = _dispute(market, pi)
    staged = market.client.v1.disputes.update(
        dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}, "submit": False})
    assert staged.status == "needs_response"
    assert (staged.evidence_details.has_evidence, staged.evidence_details.submission_count,
            staged.evidence_details.submission_method) == (True, 0, "not_submitted")
    assert staged.evidence.uncategorized_text == "winning_evidence"
    won = market.client.v1.disputes.update(dispute.id, {"submit": True})
    assert won.status == "won"
    assert (won.evidence_details.submission_count,
            won.evidence_details.submission_method) == (1, "manual")
    assert market.nets() == (64 - 1500, 877)  # the amount is back, the dispute fee is not


def test_submitting_evidence_charges_no_counter_fee_in_test_mode(market: Market):
    """Stripe's June 2025 dispute countered fee (returned on a win) is a live-pricing fee; no
    docs page says test mode charges it, and Dispute.balance_transactions holds only the
    withdrawal and the reinstatement (see disputes.py), so countering moves no money."""
    pi = market.book("pm_card_createDispute")
    countered = market.client.v1.disputes.update(
        _dispute(market, pi).id, {"evidence": {"product_description": "Two nights, lst_001"}})
    assert countered.status == "under_review" and len(countered.balance_transactions) == 1
    assert market.nets() == (64 - 2500, 877)


# -- payouts: failures, instant payouts, reconciliation ---------------------------------------
def _clock(market: Market) -> int:
    request = urllib.request.Request(market.api_base + "/_emulator/clock",
                                     headers={"Authorization": f"Bearer {market.key}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["now"]


def _to_midnight(market: Market) -> None:
    market.control("/_emulator/clock/advance", seconds=DAY - _clock(market) % DAY)


def _payouts(market: Market) -> list[stripe.Payout]:
    return market.client.v1.payouts.list(
        {"limit": 100}, options={"stripe_account": market.account}).data


def test_failed_payout_errors_the_bank_account_and_stops_scheduled_payouts(
        client: stripe.StripeClient, emulator_server, api_key: str):
    """stripe-python BankAccount.status: "If a payout sent to this bank account fails, we'll
    set the status to `errored` and will not continue to send scheduled payouts until the
    bank details are updated" (https://docs.stripe.com/payouts#payout-failures)."""
    market = new_market(client, emulator_server.url, api_key,
                        bank="btok_us_verified_noAccount")
    options = {"stripe_account": market.account}
    market.book("pm_card_bypassPending")
    _to_midnight(market)
    assert [(p.amount, p.automatic, p.status) for p in _payouts(market)] == [
        (877, True, "pending")]
    market.control("/_emulator/clock/advance", seconds=5 * DAY)
    failed = _payouts(market)[0]
    assert (failed.status, failed.failure_code) == ("failed", "no_account")
    bank = client.v1.accounts.external_accounts.list(market.account).data[0]
    assert bank.id == failed.destination and bank.status == "errored"
    updates = client.v1.events.list({"type": "account.external_account.updated"}, options).data
    assert [(e.data.object.id, e.data.previous_attributes["status"]) for e in updates] == [
        (bank.id, "new")]
    market.control("/_emulator/clock/advance", seconds=3 * DAY)  # three more midnights
    assert len(_payouts(market)) == 1  # the returned 877 stays: nothing is sent to it
    assert market.balance(market.account)[0] == 877
    fresh = client.v1.accounts.external_accounts.create(
        market.account, {"external_account": "btok_us_verified"})
    market.control("/_emulator/clock/advance", seconds=DAY)
    newest = _payouts(market)[0]
    assert (newest.amount, newest.destination, newest.automatic) == (877, fresh.id, True)


def test_instant_payout_uses_card_funds_at_once_and_charges_the_fee(market: Market):
    """Card funds are instant-available "as soon as the charge is complete"
    (https://docs.stripe.com/connect/instant-payouts); the fee is 1.5% of the payout, at
    least 50 cents (https://stripe.com/pricing)."""
    market.client.v1.accounts.update(
        market.account, {"settings": {"payouts": {"schedule": {"interval": "manual"}}}})
    options = {"stripe_account": market.account}
    market.book(amount=100_000, fee=123)  # pm_card_visa: 99,877 pending, nothing available
    balance = market.client.v1.balance.retrieve(options=options)
    assert (balance.available[0].amount, balance.pending[0].amount) == (0, 99_877)
    assert [(f.amount, f.currency) for f in balance.instant_available] == [(99_877, "usd")]
    with pytest.raises(stripe.InvalidRequestError) as err:  # standard payouts still wait
        market.client.v1.payouts.create({"amount": 100, "currency": "usd"}, options)
    assert err.value.code == "balance_insufficient"
    big = market.client.v1.payouts.create(
        {"amount": 50_000, "currency": "usd", "method": "instant"}, options)
    txn = market.client.v1.balance_transactions.retrieve(big.balance_transaction, options=options)
    assert (txn.type, txn.amount, txn.fee, txn.net) == ("payout", -50_000, 750, -50_750)
    assert txn.fee_details[0].type == "stripe_fee"
    small = market.client.v1.payouts.create(
        {"amount": 500, "currency": "usd", "method": "instant"}, options)
    small_txn = market.client.v1.balance_transactions.retrieve(small.balance_transaction,
                                                               options=options)
    assert (small_txn.fee, small_txn.net) == (50, -550)  # 7.5 cents would be under the minimum
    left = market.client.v1.balance.retrieve(options=options).instant_available[0].amount
    assert left == 99_877 - 50_750 - 550
    with pytest.raises(stripe.InvalidRequestError) as err:  # amount + fee must fit
        market.client.v1.payouts.create(
            {"amount": left - 100, "currency": "usd", "method": "instant"}, options)
    assert err.value.code == "balance_insufficient"


def test_automatic_payout_is_reconciled_and_lists_what_it_settled(market: Market):
    """Payout.reconciliation_status: "If `completed`, you can use the Balance Transactions
    API to list all balance transactions that are paid out in this payout"; the payout filter
    is "For automatic Stripe payouts only"
    (https://docs.stripe.com/api/balance_transactions/list#balance_transaction_list-payout)."""
    options = {"stripe_account": market.account}
    market.book("pm_card_bypassPending")
    market.book("pm_card_bypassPending", amount=2000, fee=246)
    _to_midnight(market)
    first = _payouts(market)[0]
    assert (first.amount, first.automatic, first.reconciliation_status) == (
        877 + 1754, True, "in_progress")
    market.control("/_emulator/clock/advance", seconds=3600)
    first = market.client.v1.payouts.retrieve(first.id, options=options)
    assert first.reconciliation_status == "completed"
    settled = market.client.v1.balance_transactions.list({"payout": first.id}, options).data
    assert [(t.type, t.net) for t in settled] == [("payout", -2631), ("payment", 1754),
                                                   ("payment", 877)]
    market.book("pm_card_bypassPending", amount=3000, fee=369)
    _to_midnight(market)
    second = _payouts(market)[0]
    assert second.amount == 2631 and second.id != first.id
    settled = market.client.v1.balance_transactions.list({"payout": second.id}, options).data
    assert [(t.type, t.net) for t in settled] == [("payout", -2631), ("payment", 2631)]
    page = market.client.v1.balance_transactions.list({"payout": first.id, "limit": 1},
                                                      options)
    assert page.has_more and page.data[0].type == "payout"


def test_manual_payouts_are_not_reconciled_nor_filterable(market: Market):
    market.client.v1.accounts.update(
        market.account, {"settings": {"payouts": {"schedule": {"interval": "manual"}}}})
    options = {"stripe_account": market.account}
    market.book("pm_card_bypassPending")
    payout = market.client.v1.payouts.create({"amount": 877, "currency": "usd"}, options)
    assert payout.reconciliation_status == "not_applicable"
    with pytest.raises(stripe.InvalidRequestError) as err:
        market.client.v1.balance_transactions.list({"payout": payout.id}, options)
    assert err.value.param == "payout"


def test_dispute_of_a_partial_capture_takes_back_what_was_captured(market: Market):
    """The bank takes back the payment, and a partially captured charge paid only what was
    captured: "Stripe debits your balance the payment amount and the dispute fee"
    (https://docs.stripe.com/disputes); Dispute.amount is "usually the amount of the charge"
    (stripe-python 16), here its amount_captured, never money the cardholder never paid."""
    pi = market.client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": market.account},
        "payment_method": "pm_card_createDispute", "capture_method": "manual",
        "confirm": True, "return_url": "https://example.com/return"})
    market.client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 400})
    dispute = _dispute(market, pi)
    assert (dispute.amount, dispute.currency) == (400, "usd")
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-400, 1500, -1900)
    # captured 400 (fee 30 + 12 = 42): 400 - 42 - 400 (transfer) + 123 - 1900
    assert market.nets() == (400 - 42 - 400 + 123 - 1900, 400 - 123)
    won = market.client.v1.disputes.update(
        dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}})
    assert won.balance_transactions[1].amount == 400


@pytest.mark.parametrize(("currency", "amount", "settled", "rate"), [
    ("eur", 1000, 1100, 1.1),    # 10.00 EUR at the emulator's 1.10
    ("jpy", 10000, 6700, 0.0067),  # 10000 yen (zero-decimal) at 0.0067
])
def test_dispute_fee_of_a_converted_charge_is_the_settlement_currencys(
        market: Market, currency: str, amount: int, settled: int, rate: float):
    """The dispute fee is Stripe's $15.00 (https://stripe.com/pricing), debited with the
    disputed amount from the balance the charge settled in
    (https://docs.stripe.com/disputes/how-disputes-work#dispute-fees): on a usd balance it is
    1500 cents whatever the charge's currency, not 1500 units of that currency converted."""
    pi = market.client.v1.payment_intents.create({
        "amount": amount, "currency": currency, "payment_method": "pm_card_createDispute",
        "confirm": True, "return_url": "https://example.com/return"})
    dispute = _dispute(market, pi)
    assert (dispute.amount, dispute.currency) == (amount, currency)
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.currency, withdrawal.amount, withdrawal.fee, withdrawal.net) == (
        "usd", -settled, 1500, -settled - 1500)
    assert withdrawal.exchange_rate == rate
    assert [(d.amount, d.currency, d.type) for d in withdrawal.fee_details] == [
        (1500, "usd", "stripe_fee")]


def test_dispute_fee_on_a_yen_balance_is_counted_in_yen(market: Market):
    """A direct charge on an account that settles in jpy: the $15.00 fee in yen, converted
    as the card fee's fixed part is (Settings.card_fee: 30 cents are 45 yen), 2239 yen,
    not 1500 yen (https://docs.stripe.com/currencies#zero-decimal: yen have no minor unit)."""
    market.client.v1.accounts.update(market.account, {"default_currency": "jpy"})
    pi = market.client.v1.payment_intents.create(
        {"amount": 10000, "currency": "jpy", "payment_method": "pm_card_createDispute",
         "confirm": True, "return_url": "https://example.com/return"},
        {"stripe_account": market.account})
    dispute = market.client.v1.disputes.list({"payment_intent": pi.id},
                                             {"stripe_account": market.account}).data[0]
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.currency, withdrawal.amount, withdrawal.fee) == ("jpy", -10000, 2239)
    assert withdrawal.exchange_rate is None


def test_an_unanswered_dispute_on_a_direct_charge_is_lost_at_its_deadline(market: Market):
    """``due_by`` is the "Date by which evidence must be submitted in order to successfully
    challenge dispute" (stripe-python 16, Dispute.EvidenceDetails): one nobody answered is
    lost when it passes (the emulator's rule, disputes.deadlines), on a connected account's
    own (direct) charge as on the platform's, with ``charge.dispute.closed`` on that
    account. ``past_due`` stays false: it is "Whether the last evidence submission was
    submitted past the due date. Defaults to `false` if no evidence submissions have
    occurred" (the same docstring)."""
    direct = {"stripe_account": market.account}
    pi = market.client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_createDispute",
         "confirm": True, "return_url": "https://example.com/return"}, direct)
    dispute = market.client.v1.disputes.list({"payment_intent": pi.id}, direct).data[0]
    assert dispute.status == "needs_response"
    market.control("/_emulator/clock/advance", seconds=8 * DAY)
    after = market.client.v1.disputes.retrieve(dispute.id, options=direct)
    assert (after.status, after.evidence_details.past_due) == ("lost", False)
    closed = market.client.v1.events.list({"type": "charge.dispute.closed"}, direct).data
    assert [(e.data.object.id, e.account) for e in closed] == [(dispute.id, market.account)]
