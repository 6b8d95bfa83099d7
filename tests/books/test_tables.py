"""harness.books: the pandas views of balances, payouts, disputes and one booking's money.

Each test gets its own platform on an emulator whose clock is frozen at 2026-01-01 12:00 UTC
(a Thursday), so dates and amounts are exact. Bookings are the guide's example: 1000 cents,
application fee 123, Stripe's fee 59.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest

from harness.books import charts, formatting
from harness.books import tables as insp
from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer
from tests.conftest import make_client
from tests.emulator.after_charge_support import Market, new_market

DAY = 86400
_keys = itertools.count()


@pytest.fixture(scope="module")
def frozen_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(Emulator(settings=Settings(frozen_clock=True))) as server:
        yield server


@pytest.fixture
def market(frozen_server: BackgroundServer) -> Market:
    key = f"sk_test_inspect{next(_keys):06d}"
    return new_market(make_client(frozen_server, key), frozen_server.url, key)


def book(market: Market, card: str = "pm_card_visa", account: str | None = None):
    return market.client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": account or market.account}, "payment_method": card,
        "confirm": True, "return_url": "https://example.com/return",
    })


def advance(market: Market, seconds: int) -> None:
    market.control("/_emulator/clock/advance", seconds=seconds)


def manual_payouts(market: Market, account: str | None = None) -> None:
    market.client.v1.accounts.update(
        account or market.account, {"settings": {"payouts": {"schedule": {"interval": "manual"}}}})


def nets(trail) -> dict[str, int]:
    return trail.iloc[-1][["renter", "platform", "homeowner", "Stripe"]].to_dict()


# -- one booking's money trail --------------------------------------------------------------
def test_money_trail_of_one_booking_adds_up_to_the_cent(market: Market) -> None:
    pi = book(market)
    trail = insp.money_trail(market.client, pi.id)
    assert list(trail["step"]) == ["renter pays", "Stripe's processing fee",
                                   "transfer to homeowner", "application fee", "net"]
    assert nets(trail) == {"renter": -1000, "platform": 64, "homeowner": 877, "Stripe": 59}
    charge = market.client.v1.charges.retrieve(pi.latest_charge)
    assert list(trail["object"])[0] == charge.id
    assert list(trail["object"])[2:4] == [charge.transfer, charge.application_fee]
    # every movement only moves money: each row sums to zero
    assert (trail[["renter", "platform", "homeowner", "Stripe"]].sum(axis=1) == 0).all()


def test_partial_refunds_show_who_pays(market: Market) -> None:
    kept, plain, reverse, both = (book(market) for _ in range(4))
    refunds = market.client.v1.refunds
    refunds.create({"payment_intent": plain.id, "amount": 500})
    refunds.create({"payment_intent": reverse.id, "amount": 500, "reverse_transfer": True})
    refunds.create({"payment_intent": both.id, "amount": 500, "reverse_transfer": True,
                    "refund_application_fee": True})
    table = insp.compare_trails(market.client, {"kept": kept.id, "plain": plain.id,
                                                "reverse": reverse.id, "both": both.id})
    assert list(table.index) == insp.TRAIL_ROWS
    assert table.loc["platform net"].to_dict() == {"kept": 64, "plain": -436, "reverse": 64,
                                                   "both": 2}
    assert table.loc["homeowner net"].to_dict() == {"kept": 877, "plain": 877, "reverse": 377,
                                                    "both": 439}
    assert table.loc["application fee kept"].to_dict() == {"kept": 123, "plain": 123,
                                                           "reverse": 123, "both": 61}
    assert set(table.loc["refunded to renter"]) == {0, 500}
    assert set(table.loc["Stripe's processing fee"]) == {59}
    # renter paid - refunded - charged back = Stripe's fees + platform net + homeowner net
    for column in table:
        c = table[column]
        assert (c["renter paid"] - c["refunded to renter"] - c["charged back (dispute)"]
                == c["Stripe's processing fee"] + c["dispute fees"] + c["platform net"]
                + c["homeowner net"])
    trail = insp.money_trail(market.client, both.id)
    assert list(trail["step"])[4:7] == ["refund to renter", "transfer reversal",
                                        "application fee refund"]
    assert list(trail["homeowner"])[4:7] == [0, -500, 62]


def test_each_ending_of_a_booking(market: Market) -> None:
    client = market.client
    undone = book(market)
    client.v1.refunds.create({"payment_intent": undone.id, "reverse_transfer": True,
                              "refund_application_fee": True})
    lost, won, recovered = (book(market, "pm_card_createDispute") for _ in range(3))
    asked = book(market, "pm_card_createDisputeInquiry")
    client.v1.disputes.update(insp.dispute_of(client, lost.id).id, {
        "evidence": {"uncategorized_text": "losing_evidence"}, "submit": True})
    client.v1.disputes.update(insp.dispute_of(client, won.id).id, {
        "evidence": {"uncategorized_text": "winning_evidence"}, "submit": True})
    client.v1.disputes.close(insp.dispute_of(client, recovered.id).id)
    transfer = client.v1.charges.retrieve(recovered.latest_charge).transfer
    client.v1.transfers.reversals.create(transfer, {"refund_application_fee": True})

    table = insp.compare_trails(client, {"undone": undone.id, "lost": lost.id, "won": won.id,
                                         "recovered": recovered.id, "inquiry": asked.id})
    assert table.loc["platform net"].to_dict() == {
        "undone": -59, "lost": 64 - 2500, "won": 64 - 1500, "recovered": -1559, "inquiry": 64}
    assert table.loc["homeowner net"].to_dict() == {
        "undone": 0, "lost": 877, "won": 877, "recovered": 0, "inquiry": 877}
    assert table.loc["dispute fees"].to_dict() == {
        "undone": 0, "lost": 1500, "won": 1500, "recovered": 1500, "inquiry": 0}
    assert table.loc["charged back (dispute)"].to_dict() == {
        "undone": 0, "lost": 1000, "won": 0, "recovered": 1000, "inquiry": 0}

    won_trail = insp.money_trail(client, won.id)
    assert list(won_trail["step"])[4:6] == ["dispute: amount and fee taken",
                                            "dispute won: reinstated"]
    assert list(won_trail["platform"])[4:6] == [-2500, 1000]
    assert nets(won_trail) == {"renter": -1000, "platform": -1436, "homeowner": 877,
                               "Stripe": 1559}
    inquiry_trail = insp.money_trail(client, asked.id)
    assert "dispute (warning_needs_response): no money moves" in list(inquiry_trail["step"])


def test_money_trail_needs_a_charge(market: Market) -> None:
    pi = market.client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(ValueError, match="has no charge yet"):
        insp.money_trail(market.client, pi.id)


def test_dispute_of_gives_up_when_no_dispute_opens(market: Market) -> None:
    pi = book(market)
    with pytest.raises(TimeoutError):
        insp.dispute_of(market.client, pi.id, timeout=0)


# -- the tables ----------------------------------------------------------------------------
def test_balance_transactions_for_one_or_several_accounts(market: Market) -> None:
    book(market)
    one = insp.balance_transactions(market.client)
    assert list(one["type"]) == ["charge", "transfer", "application_fee"]
    assert list(one["net"]) == [941, -1000, 123]
    assert list(one["fee"]) == [59, 0, 0]
    assert list(one["reporting_category"]) == ["charge", "transfer", "platform_earning"]
    assert set(one["available_on"]) == {date(2026, 1, 8)}
    assert set(one["status"]) == {"pending"}

    both = insp.balance_transactions(market.client, {"platform": None, "Maya": market.account})
    assert both.index.names == ["account", "id"]
    maya = both.loc["Maya"]
    assert (list(maya["type"]), list(maya["amount"]), list(maya["fee"]), list(maya["net"])) == (
        ["payment"], [1000], [123], [877])
    assert both.loc["platform"].equals(one)


def test_balance_transactions_read_every_page(market: Market) -> None:
    for _ in range(103):
        market.client.v1.topups.create({"amount": 1, "currency": "usd"})
    frame = insp.balance_transactions(market.client)
    assert len(frame) == 103 and frame["net"].sum() == 103
    assert len(frame.index.unique()) == 103
    assert len(insp.balance_transactions(market.client, limit=5)) == 5


def test_balance_summary_and_change(market: Market) -> None:
    accounts = {"platform": None, "Maya": market.account}
    before = insp.balance_summary(market.client, accounts)
    book(market)
    book(market, "pm_card_bypassPending")
    after = insp.balance_summary(market.client, accounts)
    assert after.loc["platform", ["available", "pending"]].tolist() == [64, 64]
    assert after.loc["Maya", ["available", "pending"]].tolist() == [877, 877]
    assert after.loc["Maya", "total usd"] == "$17.54"
    change = insp.balance_change(before, after)
    assert change.loc["Maya", ("change", "available")] == 877
    assert change.loc["platform", ("change", "pending")] == 64
    assert change.loc["platform", ("before", "available")] == 0


def test_payouts_table_follows_automatic_manual_instant_and_failed(
        market: Market, frozen_server: BackgroundServer) -> None:
    client = market.client
    book(market, "pm_card_bypassPending")
    advance(market, 12 * 3600)  # 2026-01-02 00:00: the daily automatic payout
    manual_payouts(market)
    book(market, "pm_card_bypassPending")
    maya = {"stripe_account": market.account}
    client.v1.payouts.create({"amount": 500, "currency": "usd"}, maya)
    client.v1.payouts.create({"amount": 300, "currency": "usd", "method": "instant"}, maya)

    daniel = new_market(client, frozen_server.url, market.key).account
    client.v1.accounts.external_accounts.create(
        daniel, {"external_account": "btok_us_verified_noAccount"})
    manual_payouts(market, daniel)
    book(market, "pm_card_bypassPending", account=daniel)
    client.v1.payouts.create({"amount": 877, "currency": "usd"}, {"stripe_account": daniel})
    advance(market, 5 * DAY)

    table = insp.payouts(client, {"Maya": market.account, "Daniel": daniel})
    assert table.index.names == ["account", "id"]
    rows = table[["amount", "status", "arrival_date", "automatic", "method",
                  "failure_code"]].values.tolist()
    assert rows == [
        [877, "paid", date(2026, 1, 6), True, "standard", "None"],
        [500, "paid", date(2026, 1, 6), False, "standard", "None"],
        [300, "paid", date(2026, 1, 2), False, "instant", "None"],
        [877, "failed", date(2026, 1, 6), False, "standard", "no_account"],
    ]
    assert list(table["created"])[0] == datetime(2026, 1, 2)
    assert len(insp.payouts(client, market.account)) == 3
    assert insp.payouts(client).empty  # the platform's own: none
    failed = insp.balance_transactions(client, daniel)
    assert list(failed["type"]) == ["payment", "payout", "payout_failure"]
    assert list(failed["net"]) == [877, -877, 877]


def test_application_fees_transfers_reversals_and_refunds(market: Market) -> None:
    client = market.client
    kept, halved = book(market), book(market)
    refund = client.v1.refunds.create({"payment_intent": halved.id, "amount": 500,
                                       "reverse_transfer": True,
                                       "refund_application_fee": True})
    kept_charge = client.v1.charges.retrieve(kept.latest_charge)
    client.v1.transfers.reversals.create(kept_charge.transfer, {"amount": 100})

    fees = insp.application_fees(client)
    assert fees[["amount", "amount_refunded", "kept", "refunded"]].values.tolist() == [
        [123, 0, 123, False], [123, 62, 61, False]]
    assert list(fees["account"]) == [market.account] * 2
    assert fees["originating_transaction"].iloc[0] == kept_charge.id

    transfers = insp.transfers(client)
    assert transfers[["amount", "amount_reversed", "reversed"]].values.tolist() == [
        [1000, 100, False], [1000, 500, False]]
    assert transfers["source_transaction"].iloc[0] == kept_charge.id

    reversals = insp.transfer_reversals(client)
    assert reversals[["amount", "source_refund"]].values.tolist() == [
        [100, "None"], [500, refund.id]]
    assert len(insp.transfer_reversals(client, kept_charge.transfer)) == 1

    refunds = insp.refunds(client)
    assert refunds[["amount", "status", "payment_intent"]].values.tolist() == [
        [500, "succeeded", halved.id]]
    assert insp.refunds(client, kept.id).empty


def test_separate_transfer_has_no_source_transaction(market: Market) -> None:
    market.client.v1.topups.create({"amount": 5000, "currency": "usd"})
    market.client.v1.transfers.create({"amount": 2000, "currency": "usd",
                                       "destination": market.account})
    transfers = insp.transfers(market.client)
    assert transfers[["amount", "source_transaction"]].values.tolist() == [[2000, "None"]]


def test_disputes_table(market: Market) -> None:
    client = market.client
    lost, won = book(market, "pm_card_createDispute"), book(market, "pm_card_createDispute")
    book(market, "pm_card_createDisputeInquiry")
    client.v1.disputes.close(insp.dispute_of(client, lost.id).id)
    client.v1.disputes.update(insp.dispute_of(client, won.id).id, {
        "evidence": {"uncategorized_text": "winning_evidence"}})
    table = insp.disputes(client)
    assert table[["status", "reason", "withdrawn", "dispute_fee", "reinstated",
                  "net"]].values.tolist() == [
        ["lost", "fraudulent", -1000, -1500, 0, -2500],
        ["won", "fraudulent", -1000, -1500, 1000, -1500],
        ["warning_needs_response", "general", 0, 0, 0, 0],
    ]
    assert set(table["due_by"]) == {date(2026, 1, 8)}
    assert len(insp.disputes(client, won.id)) == 1


# -- balance over time ---------------------------------------------------------------------
def test_balance_history_rebuilds_pending_and_available(market: Market) -> None:
    manual_payouts(market)  # keep the money in the balance
    book(market)  # the platform's first payment: available after the first week, 2026-01-08
    book(market, "pm_card_bypassPending")
    advance(market, 7 * DAY)
    book(market)  # 2026-01-08 12:00: delay_days (2) from now on, available 2026-01-10
    advance(market, 2 * DAY)  # 2026-01-10 12:00
    history = insp.balance_history(market.client, market.account)
    assert [(t.strftime("%m-%d %H"), a, p) for t, a, p in history.itertuples()] == [
        ("01-01 12", 877, 877),
        ("01-08 00", 1754, 0),
        ("01-08 12", 1754, 877),
        ("01-10 00", 2631, 0),
    ]
    until = int(datetime(2026, 1, 11, tzinfo=timezone.utc).timestamp())
    extended = insp.balance_history(market.client, None, until=until)
    assert extended.iloc[-1].tolist() == [192, 0]  # the platform's three fees of 64
    assert extended.index[-1] == datetime(2026, 1, 11)
    # what the history ends at is what Stripe says the balance is now
    assert market.balance(market.account) == (2631, 0)


def test_balance_chart_draws_available_and_pending(market: Market) -> None:
    book(market)
    fig = charts.balance_chart(market.client, market.account, "Maya")
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()][:2] == ["available", "pending"]
    assert ax.get_title().startswith("Maya")


def test_when_and_dates() -> None:
    assert formatting.when(1767268800) == "2026-01-01 12:00 UTC"
    assert insp._date(1767830400) == date(2026, 1, 8)
    assert insp._date(None) is None


def test_advance_clock_in_test_mode_explains_what_to_do_instead() -> None:
    from harness.lab.session import Lab

    lab = Lab.__new__(Lab)
    lab.config = type("Cfg", (), {"is_emulator": False})()  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="pm_card_bypassPending.*wait"):
        lab.advance_clock(DAY)
