"""The month's figures: the platform's summary, each homeowner's report, the
reconciliation, weekly revenue, fee share and payout timing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..formatting import day, usd
from .month_plan import DAY
from .month_reading import Books
from .month_run import Month

# -- the figures ----------------------------------------------------------------------------------
PAID_OUT = ("pending", "in_transit", "paid")  # payouts that took money out of the balance
# Disputes whose amount is withdrawn from the platform: until won, and for good when lost.
# (Inquiries, ``warning_*``, move no money.)
WITHDRAWN = ("needs_response", "under_review", "lost")


def _charged_back(books: Books) -> int:
    disputes = books.disputes
    return int(disputes[disputes["status"].isin(WITHDRAWN)]["amount"].sum())


def _sum(frame: Any, column: str = "amount", **where: Any) -> int:
    for key, value in where.items():
        if isinstance(value, (tuple, list, set)):
            frame = frame[frame[key].isin(list(value))]
        else:
            frame = frame[frame[key] == value]
    return int(frame[column].sum())


def platform_summary(books: Books):
    """The platform's month, from its balance transactions: what came in, what went out,
    and what it kept (cents). ``revenue`` is application fees net of fee refunds."""
    import pandas as pd

    bt = books.transactions[books.transactions["account"] == "platform"]
    fees = _sum(bt, type="application_fee")
    fee_refunds = -_sum(bt, type="application_fee_refund")
    lines = [
        ("renters paid (captured charges)", _sum(bt, type="charge")),
        ("Stripe's processing fees", -_sum(bt, "stripe_fee", type="charge")),
        ("transfers to homeowners", _sum(bt, type="transfer")),
        ("application fees", fees),
        ("application fees refunded", -fee_refunds),
        ("refunds to renters", _sum(bt, type="refund")),
        ("transfer reversals (back from homeowners)", _sum(bt, type="transfer_refund")),
        ("disputes: amounts withdrawn",
         _sum(bt, reporting_category="dispute", type="adjustment")),
        ("disputes: fees", -_sum(bt, "stripe_fee", type="adjustment")),
        ("disputes: amounts reinstated", _sum(bt, reporting_category="dispute_reversal")),
        ("platform payouts", _sum(bt, type="payout")),
    ]
    frame = pd.DataFrame(lines, columns=["line", "cents"]).set_index("line")
    frame.loc["platform net (sum of the lines)"] = int(frame["cents"].sum())
    frame.loc["platform revenue (fees net of refunds)"] = fees - fee_refunds
    frame["usd"] = [usd(c) for c in frame["cents"]]
    return frame


def homeowner_report(month: Month, books: Books):
    """One row per homeowner: what their account received and paid back, what reached the
    bank, and the balance left. ``net - paid_out == balance`` for every row."""
    import pandas as pd

    bt = books.transactions[books.transactions["account"] != "platform"]
    by_type = bt.groupby(["account", "type"])["amount"].sum()
    payments = bt[bt["type"] == "payment"].groupby("account")
    earned = bt[~bt["type"].isin(["payout", "payout_failure"])].groupby("account")["net"].sum()
    out = books.payouts[books.payouts["status"].isin(PAID_OUT)].groupby("account")
    counts, paid, first = out["id"].count(), out["amount"].sum(), out["created"].min()
    balances = books.balances.set_index("account")

    def amount(acct: str, kind: str) -> int:
        return int(by_type.get((acct, kind), 0))

    rows = []
    for owner in month.market.homeowners:
        acct = month.accounts[owner.homeowner_id]
        bal = balances.loc[acct]
        rows.append({
            "homeowner": owner.homeowner_id, "name": owner.name, "account": acct,
            "bookings": int(payments.size().get(acct, 0)),
            "gross": amount(acct, "payment"),
            "application_fees": -int(payments["fee"].sum().get(acct, 0)),
            "reversed": amount(acct, "payment_refund"),
            "fees_refunded": amount(acct, "application_fee_refund"),
            "net": int(earned.get(acct, 0)),
            "payouts": int(counts.get(acct, 0)), "paid_out": int(paid.get(acct, 0)),
            "first_payout": day(int(first[acct])) if acct in first.index else "",
            "balance": int(bal["available"] + bal["pending"]),
        })
    return pd.DataFrame(rows).set_index("homeowner")


def reconcile(month: Month, books: Books, owners: Any = None):
    """The checks, each to the cent (``difference`` must be 0 on every row):

    * **conservation**: every account's net plus Stripe's fees equals what renters paid,
      less refunds, chargebacks and payouts. The right side comes from the platform's own
      records and from Payout and Dispute objects, the left from the ledger;
    * the ledger against the Balance API, for every account;
    * the platform's records (fees, refunds) against Stripe's balance transactions;
    * transfers out of the platform against payments into the homeowners' accounts;
    * each homeowner: net earned - paid out = balance.
    """
    import pandas as pd

    bt, payouts = books.transactions, books.payouts
    platform = bt[bt["account"] == "platform"]
    homes = bt[bt["account"] != "platform"]
    captured = sum(r.captured for r in month.bookings)
    refunded = sum(r.refunded for r in month.bookings)
    charged_back = _charged_back(books)
    paid_out = int(payouts[payouts["status"].isin(PAID_OUT)]["amount"].sum())
    nets = int(bt["net"].sum())
    stripe_fees = int(bt["stripe_fee"].sum())
    compared = books.balances
    ledger = bt
    scope = "all accounts"
    if books.platform_history:  # its balance also holds older money: compare the homeowners
        compared = compared[compared["account"] != "platform"]
        ledger = homes
        scope = "homeowners; the platform has older money"
    balance_total = int((compared["available"] + compared["pending"]).sum())
    ledger_by_account = ledger.groupby("account")["net"].sum()
    balance_by_account = compared.set_index("account")
    mismatched = sum(1 for acct, row in balance_by_account.iterrows()
                     if int(ledger_by_account.get(acct, 0)) != int(row["available"]
                                                                  + row["pending"]))
    report = homeowner_report(month, books) if owners is None else owners
    owners_off = int(((report["net"] - report["paid_out"]) != report["balance"]).sum())
    checks = [
        ("conservation: nets + Stripe's fees = paid - refunded - charged back - paid out",
         nets + stripe_fees, captured - refunded - charged_back - paid_out),
        (f"ledger = Balance API ({scope}, cents)", int(ledger["net"].sum()), balance_total),
        ("ledger = Balance API (accounts that differ)", mismatched, 0),
        ("application fees: platform's records = Stripe",
         sum(r.fee for r in month.bookings), _sum(platform, type="application_fee")),
        ("captured: platform's records = Stripe", captured, _sum(platform, type="charge")),
        ("refunds: platform's records = Stripe", refunded, -_sum(platform, type="refund")),
        ("transfers out = payments in", -_sum(platform, type="transfer"),
         _sum(homes, type="payment")),
        ("reversals: platform = homeowners", _sum(platform, type="transfer_refund"),
         -_sum(homes, type="payment_refund")),
        ("homeowners whose net - paid out != balance", owners_off, 0),
    ]
    frame = pd.DataFrame(checks, columns=["check", "left", "right"]).set_index("check")
    frame["difference"] = frame["left"] - frame["right"]
    frame.attrs["balanced"] = bool((frame["difference"] == 0).all())
    return frame


def _week_label(start: date, index: int) -> str:
    first = start + timedelta(days=7 * index)
    last = first + timedelta(days=6)
    return f"{first:%b %d}-{last:%b %d}"


def _day_index(start: int, timestamp: int) -> int:
    """Whole UTC days since the month's first day (00:00 of ``start``'s date)."""
    midnight = start - start % DAY
    return (int(timestamp) - midnight) // DAY


def weekly_revenue(books: Books):
    """The platform's money week by week (weeks counted from the month's first day):
    captured volume, application fees net of refunds (revenue), Stripe's fees, and the
    platform's net."""
    import pandas as pd

    bt = books.transactions[books.transactions["account"] == "platform"].copy()
    start_day = datetime.fromtimestamp(books.start, timezone.utc).date()
    bt["week"] = [_day_index(books.start, t) // 7 for t in bt["created"]]
    rows = []
    for week, group in bt.groupby("week"):
        rows.append({
            "week": _week_label(start_day, int(week)),
            "captured": _sum(group, type="charge"),
            "revenue": _sum(group, type="application_fee")
            + _sum(group, type="application_fee_refund"),
            "stripe_fees": int(group["stripe_fee"].sum()),
            "refunds": -_sum(group, type="refund"),
            "platform_net": int(group["net"].sum()),
        })
    return pd.DataFrame(rows).set_index("week")


def fee_share(month: Month, books: Books):
    """Where the renters' money went, in cents and as a share of what they paid."""
    import pandas as pd

    bt = books.transactions
    platform = bt[bt["account"] == "platform"]
    homes = bt[bt["account"] != "platform"]
    captured = _sum(platform, type="charge")
    refunded = -_sum(platform, type="refund")
    shares = [
        ("homeowners", int(homes[~homes["type"].isin(["payout", "payout_failure"])]
                           ["net"].sum())),
        ("platform (net)", int(platform[~platform["type"].isin(["payout", "payout_failure"])]
                               ["net"].sum())),
        ("Stripe's fees", int(bt["stripe_fee"].sum())),
        ("refunded to renters", refunded),
        ("charged back", _charged_back(books)),
    ]
    frame = pd.DataFrame(shares, columns=["party", "cents"]).set_index("party")
    frame.loc["total (= renters paid)"] = int(frame["cents"].sum())
    frame["share"] = [f"{c / captured:.2%}" if captured else "" for c in frame["cents"]]
    frame.attrs["captured"] = captured
    return frame


def payout_timing(month: Month, books: Books):
    """Day by day, for all homeowners together: what they earned (their net from the day's
    payments, less reversals, plus fee refunds), what was paid out that day, and what
    arrived in their banks; with running totals (cents)."""
    import pandas as pd

    homes = books.transactions[books.transactions["account"] != "platform"]
    earnings = homes[~homes["type"].isin(["payout", "payout_failure"])]
    theirs = books.payouts[books.payouts["account"] != "platform"]
    out = theirs[theirs["status"].isin(PAID_OUT)]
    arrived = theirs[theirs["status"] == "paid"]
    days = range(_day_index(books.start, month.ended) + 1)
    earned_by = _by_day(books.start, earnings["created"], earnings["net"])
    out_by = _by_day(books.start, out["created"], out["amount"])
    arrived_by = _by_day(books.start, arrived["arrival_date"], arrived["amount"])
    start_day = datetime.fromtimestamp(books.start, timezone.utc).date()
    frame = pd.DataFrame({
        "date": [start_day + timedelta(days=d) for d in days],
        "earned": [earned_by.get(d, 0) for d in days],
        "paid_out": [out_by.get(d, 0) for d in days],
        "arrived": [arrived_by.get(d, 0) for d in days],
    }).set_index("date")
    for column in ("earned", "paid_out", "arrived"):
        frame[f"{column}_total"] = frame[column].cumsum()
    return frame


def _by_day(start: int, times: Iterable[int], amounts: Iterable[int]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for when, amount in zip(times, amounts, strict=True):
        totals[_day_index(start, when)] += int(amount)
    return totals
