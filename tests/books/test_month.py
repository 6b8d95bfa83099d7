"""harness.books.month: a month of the marketplace, planned from a seed, run on the emulator,
and closed to the cent.

The plan tests are pure Python. The run tests use a small month (3 homeowners, 20 bookings,
one dispute of each kind) on a fresh, seeded emulator each, started with ``harness.start``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.books import marketplace
from harness.books import month as simulation
from harness.lab.session import Lab
from harness.platform.app import application_fee

from ..conftest import seeded_lab

SMALL = simulation.MonthConfig.small(seed=7)



@pytest.fixture
def fresh_lab() -> Iterator[Lab]:
    """A seeded emulator of its own (IDs and clock deterministic), the SDK's globals restored
    afterwards."""
    with seeded_lab() as lab:
        yield lab


@pytest.fixture(scope="module")
def small_month() -> Iterator[tuple[simulation.Month, simulation.Books]]:
    with seeded_lab() as lab:
        month = simulation.run_month(lab, SMALL, show_progress=False)
        yield month, simulation.read_books(lab, month, show_progress=False)


# -- the plan -----------------------------------------------------------------------------------
def test_full_marketplace_has_the_asked_sizes_and_starts_with_data() -> None:
    market = simulation.build_marketplace(simulation.MonthConfig())
    assert len(market.homeowners) == 50
    assert len(market.listings) == 500
    assert market.homeowners[:5] == marketplace.homeowners()
    assert market.listings[:12] == marketplace.listings()
    owners_with_listings = {x.homeowner_id for x in market.listings}
    assert owners_with_listings == {h.homeowner_id for h in market.homeowners}
    assert len({h.email for h in market.homeowners}) == 50
    assert len({x.listing_id for x in market.listings}) == 500
    assert all(x.nightly_price > 0 and x.nightly_price % 100 == 0 for x in market.listings)


def test_plan_prices_each_booking_with_the_platforms_rule() -> None:
    config = simulation.MonthConfig()
    market = simulation.build_marketplace(config)
    plan = simulation.plan_bookings(config, market)
    assert len(plan) == 1500
    assert [p.day for p in plan] == sorted(p.day for p in plan)
    assert {p.day for p in plan} == set(range(30))
    for p in plan:
        stay = market.listing(p.listing_id)
        assert p.homeowner_id == stay.homeowner_id
        assert p.nights >= stay.min_nights
        assert p.amount == stay.nightly_price * p.nights
        assert p.application_fee == application_fee(p.amount, 12.3)
    fates = Counter(p.fate for p in plan)
    assert (fates["dispute won"], fates["dispute lost"], fates["dispute unanswered"]) == (3, 3, 2)
    assert all(p.card == simulation.DISPUTE_CARD for p in plan if p.fate.startswith("dispute"))
    assert all(p.card in simulation.DECLINING_CARDS for p in plan if p.fate == "declined")
    assert 30 <= fates["declined"] <= 100 and 20 <= fates["cancelled"] <= 80
    for p in plan:
        if p.fate in ("cancelled", "partly refunded", "goodwill credit", "abandoned"):
            assert p.fate_day is not None and p.fate_day > p.day


def test_the_same_seed_gives_the_same_month_and_another_seed_another() -> None:
    def plan_for(seed: int) -> list[simulation.PlannedBooking]:
        config = simulation.MonthConfig(seed=seed, bookings=300)
        return simulation.plan_bookings(config, simulation.build_marketplace(config))

    assert plan_for(42) == plan_for(42)
    assert plan_for(42) != plan_for(43)
    first = simulation.build_marketplace(simulation.MonthConfig(seed=1))
    assert first == simulation.build_marketplace(simulation.MonthConfig(seed=1))


def test_impossible_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="listings >= homeowners"):
        simulation.build_marketplace(simulation.MonthConfig(homeowners=10, listings=5))
    config = simulation.MonthConfig.small(bookings=2)
    with pytest.raises(ValueError, match="too few bookings"):
        simulation.plan_bookings(config, simulation.build_marketplace(config))


def test_progress_bar_text_does_not_depend_on_time(capsys: pytest.CaptureFixture[str]) -> None:
    with simulation.progress(3, "month", "days") as bar:
        for _ in range(3):
            bar.set_postfix_str("2 paid bookings", refresh=False)
            bar.update(1)
    err = capsys.readouterr().err
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("month: 100%|")
    assert final.endswith("| 3/3 days, 2 paid bookings")
    assert "it/s" not in err and "<" not in err and "00:0" not in err
    with simulation.progress(3, "quiet", "days", enabled=False) as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""


# -- a small month, run and reconciled ------------------------------------------------------------
def test_small_month_reconciles_to_the_cent(small_month) -> None:
    month, books = small_month
    checks = simulation.reconcile(month, books)
    assert checks.attrs["balanced"], checks.to_string()
    assert (checks["difference"] == 0).all()
    conservation = checks.iloc[0]
    captured = sum(r.captured for r in month.bookings)
    assert conservation["right"] < captured  # refunds, chargebacks and payouts left
    assert len(checks) == 9


def test_small_month_figures_add_up(small_month) -> None:
    month, books = small_month
    bt = books.transactions
    platform = bt[bt["account"] == "platform"]
    paid = [r for r in month.bookings if r.captured]
    # every paid booking: charge, transfer and application fee on the platform
    assert (platform["type"] == "charge").sum() == len(paid)
    assert (platform["type"] == "transfer").sum() == len(paid)
    assert (platform["type"] == "application_fee").sum() == len(paid)
    # Stripe's fee is 2.9 % + 30 cents, rounded half up, on every charge
    fees = platform[platform["type"] == "charge"]
    assert list(fees["stripe_fee"]) == [int(a * 2.9 / 100 + 0.5) + 30 for a in fees["amount"]]
    summary = simulation.platform_summary(books)
    lines = summary.drop(index=["platform net (sum of the lines)",
                                "platform revenue (fees net of refunds)"])
    assert int(lines["cents"].sum()) == int(platform["net"].sum())
    assert summary.loc["platform net (sum of the lines)", "cents"] == int(platform["net"].sum())
    revenue = (platform[platform["type"] == "application_fee"]["amount"].sum()
               + platform[platform["type"] == "application_fee_refund"]["amount"].sum())
    assert summary.loc["platform revenue (fees net of refunds)", "cents"] == revenue
    shares = simulation.fee_share(month, books)
    assert shares.loc["total (= renters paid)", "cents"] == sum(r.captured for r in paid)
    weekly = simulation.weekly_revenue(books)
    assert int(weekly["captured"].sum()) == sum(r.captured for r in paid)
    assert int(weekly["platform_net"].sum()) == int(platform["net"].sum())


def test_small_month_homeowners_were_paid_out_and_disputes_settled(small_month) -> None:
    month, books = small_month
    owners = simulation.homeowner_report(month, books)
    assert list(owners.index) == ["ho_001", "ho_002", "ho_003"]
    assert ((owners["net"] - owners["paid_out"]) == owners["balance"]).all()
    assert (owners["payouts"] > 0).all()  # the clock ran 14 days: holds ended, payouts ran
    assert int(owners["bookings"].sum()) == sum(1 for r in month.bookings if r.captured)
    assert set(books.payouts["status"]) == {"paid"}
    assert sorted(books.disputes["status"]) == ["lost", "lost", "won"]
    by_fate = {r.plan.fate: r for r in month.bookings if r.plan.fate.startswith("dispute")}
    assert by_fate["dispute won"].dispute_status == "won"
    assert by_fate["dispute lost"].dispute_status == "lost"
    assert by_fate["dispute unanswered"].dispute_status == "lost"
    for fate in ("dispute lost", "dispute unanswered"):  # the homeowner's share came back
        record = by_fate[fate]
        assert record.reversed == record.captured - record.fee
    outcomes = simulation.outcomes(month)
    assert outcomes.loc["total", "bookings"] == 20
    timing = simulation.payout_timing(month, books)
    assert timing["arrived_total"].iloc[-1] == int(owners["paid_out"].sum())
    assert timing["earned_total"].iloc[-1] == int(owners["net"].sum())


def test_small_month_is_the_same_on_every_run(small_month, fresh_lab: Lab) -> None:
    month, books = small_month
    again = simulation.run_month(fresh_lab, SMALL, show_progress=False)
    again_books = simulation.read_books(fresh_lab, again, show_progress=False)
    assert [r.row(again.started) for r in again.bookings] == \
        [r.row(month.started) for r in month.bookings]
    assert again.accounts == month.accounts
    assert again_books.transactions.equals(books.transactions)
    assert simulation.reconcile(again, again_books).equals(simulation.reconcile(month, books))


def test_reports_are_written_as_csv(small_month, tmp_path: Path) -> None:
    month, books = small_month
    written = simulation.export_reports(month, books, tmp_path)
    names = {Path(p).name for p in written.index}
    assert names == {"bookings.csv", "homeowners.csv", "platform.csv", "weekly_revenue.csv",
                     "payouts.csv", "payout_timing.csv", "reconciliation.csv",
                     "balance_transactions.csv"}
    bookings = (tmp_path / "bookings.csv").read_text().splitlines()
    assert len(bookings) == 21 and bookings[0].startswith("booking_id,date,listing_id")
    assert written.loc[(tmp_path / "bookings.csv").as_posix(), "rows"] == 20
    reconciliation = (tmp_path / "reconciliation.csv").read_text()
    assert reconciliation.count(",0\n") == 9  # every difference is zero


def test_charts_are_figures(small_month) -> None:
    month, books = small_month
    for fig in (simulation.revenue_chart(simulation.weekly_revenue(books)),
                simulation.fee_share_chart(simulation.fee_share(month, books)),
                simulation.payout_timing_chart(simulation.payout_timing(month, books))):
        assert fig.axes and fig.get_size_inches()[0] == 10


def test_a_platform_with_older_money_still_reconciles(fresh_lab: Lab) -> None:
    """As on a real test-mode account: the platform's balance already holds money from before
    the month, so only the month's balance transactions are counted for it."""
    client = fresh_lab.client
    owner = client.v1.accounts.create(
        marketplace.express_account_params(marketplace.homeowner("ho_005")))
    fresh_lab.complete_onboarding(owner.id)
    client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": owner.id}, "payment_method": "pm_card_visa",
        "confirm": True, "return_url": simulation.RETURN_URL})
    fresh_lab.advance_clock(3600)
    month = simulation.run_month(fresh_lab, simulation.MonthConfig.small(seed=3),
                                 show_progress=False)
    books = simulation.read_books(fresh_lab, month, show_progress=False)
    assert books.platform_history
    platform = books.transactions[books.transactions["account"] == "platform"]
    assert (platform["type"] == "charge").sum() == sum(1 for r in month.bookings if r.captured)
    checks = simulation.reconcile(month, books)
    assert checks.attrs["balanced"], checks.to_string()
    assert "ledger = Balance API (homeowners; the platform has older money, cents)" in checks.index
