"""Running the month: each planned booking becomes a destination charge made with the
``stripe`` SDK, day by day, with a progress bar."""

from __future__ import annotations

import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import stripe

from ...lab import Lab
from .. import marketplace
from ..formatting import day
from ..marketplace import Homeowner
from .month_plan import (
    DAY,
    FATES,
    RETURN_URL,
    Marketplace,
    MonthConfig,
    PlannedBooking,
    build_marketplace,
    default_config,
    plan_bookings,
)

# -- progress bars --------------------------------------------------------------------------
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} {unit}{postfix}"


@contextmanager
def progress(total: int, desc: str, unit: str, enabled: bool = True) -> Iterator[Any]:
    """A progress bar whose text never depends on time: no elapsed time, no rate, and
    redrawn every tenth of the way (by count, not by clock). In a notebook it is a widget
    (tqdm.auto picks it where ipywidgets runs), not red text on stderr; in a terminal the
    same bar on stderr. A stored notebook holds the same output on every run."""
    from tqdm.auto import tqdm

    where = {} if _in_notebook() else {"file": sys.stderr, "dynamic_ncols": False}
    bar = tqdm(total=total, desc=desc, unit=unit, bar_format=BAR_FORMAT, mininterval=0,
               miniters=max(1, total // 10), maxinterval=math.inf, disable=not enabled,
               **where)
    try:
        yield bar
    finally:
        bar.close()


def _in_notebook() -> bool:
    """Is this a Jupyter kernel (where tqdm.auto draws a widget)?"""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


# -- running it -------------------------------------------------------------------------------
@dataclass
class BookingRecord:
    """A booking as the platform recorded it: the plan, and what Stripe answered."""

    plan: PlannedBooking
    account: str = ""
    payment_intent: str | None = None
    status: str = ""  # the PaymentIntent's status after the renter paid
    decline_code: str | None = None
    charge: str | None = None
    captured: int = 0  # what the renter was charged (cents)
    fee: int = 0  # the application fee on the charge
    refunded: int = 0  # refunds the platform issued (cents)
    reversed: int = 0  # transfer reversals the platform made outside refunds (dispute losses)
    dispute: str | None = None
    dispute_status: str | None = None

    def row(self, start: int) -> dict[str, Any]:
        p = self.plan
        return {
            "booking_id": p.booking_id, "date": day(start + p.day * DAY),
            "listing_id": p.listing_id, "homeowner_id": p.homeowner_id, "account": self.account,
            "nights": p.nights, "amount": p.amount, "application_fee": p.application_fee,
            "card": p.card, "fate": p.fate, "payment_intent": self.payment_intent or "",
            "status": self.status, "decline_code": self.decline_code or "",
            "captured": self.captured, "refunded": self.refunded,
            "dispute": self.dispute or "", "dispute_status": self.dispute_status or "",
        }


@dataclass
class Month:
    """What :func:`run_month` did: the accounts it made and every booking's record."""

    config: MonthConfig
    market: Marketplace
    accounts: dict[str, str]  # homeowner_id -> acct_
    bookings: list[BookingRecord]
    started: int  # Unix time of day 0 (noon on the emulator)
    ended: int
    clock_moved: bool
    calls: int = 0  # API requests made (retries not counted)

    @property
    def homeowner_of(self) -> dict[str, str]:
        return {acct: owner for owner, acct in self.accounts.items()}

    def outcomes(self):
        return outcomes(self)

    def __repr__(self) -> str:
        paid = sum(1 for b in self.bookings if b.captured)
        return (f"<Month: {len(self.accounts)} homeowners, {len(self.bookings)} bookings "
                f"({paid} paid), {day(self.started)} to {day(self.ended)}>")


class _Runner:
    """Makes the month's API calls, one at a time, in a fixed order (so IDs are stable)."""

    def __init__(self, lab: Lab, config: MonthConfig) -> None:
        self.lab = lab
        self.client = lab.client
        self.config = config
        self.calls = 0

    def call(self, fn: Any, *args: Any) -> Any:
        self.calls += 1
        return fn(*args)

    # -- homeowners ---------------------------------------------------------------------------
    def onboard(self, owner: Homeowner) -> str:
        account = self.call(self.client.v1.accounts.create,
                            marketplace.express_account_params(owner))
        self.calls += 1
        note = self.lab.complete_onboarding(account.id)
        if not self.lab.config.is_emulator:
            print(f"{owner.homeowner_id} ({owner.name}): {note}")
        return account.id

    def wait_until_enabled(self, accounts: Iterable[str], timeout: float = 900) -> None:
        """Test mode: Express onboarding is a person filling in Stripe's form (the links were
        printed); wait until every account can take charges and receive payouts."""
        if self.lab.config.is_emulator:
            return
        waiting = set(accounts)
        print(f"Waiting up to {int(timeout)} s for {len(waiting)} homeowners to finish "
              "onboarding …", flush=True)
        deadline = time.monotonic() + timeout
        while waiting:
            for acct in sorted(waiting):
                found = self.call(self.client.v1.accounts.retrieve, acct)
                if found.charges_enabled and found.payouts_enabled:
                    waiting.discard(acct)
            if waiting and time.monotonic() > deadline:
                raise TimeoutError(f"{len(waiting)} homeowners did not finish onboarding")
            if waiting:
                time.sleep(5)

    # -- bookings -----------------------------------------------------------------------------
    def book(self, record: BookingRecord) -> None:
        p = record.plan
        params = {
            "amount": p.amount, "currency": "usd", "application_fee_amount": p.application_fee,
            "transfer_data": {"destination": record.account}, "payment_method": p.card,
            "confirm": True, "return_url": RETURN_URL,
            "description": f"{p.booking_id}: {p.nights} night{'s' if p.nights > 1 else ''} "
                           f"at {p.listing_id}",
            "metadata": {"booking_id": p.booking_id, "listing_id": p.listing_id,
                         "homeowner_id": p.homeowner_id, "nights": str(p.nights)},
        }
        try:
            pi = self.call(self.client.v1.payment_intents.create, params)
        except stripe.CardError as exc:
            error = exc.error
            record.status = "declined"
            record.decline_code = getattr(error, "decline_code", None) or exc.code
            intent = getattr(error, "payment_intent", None)
            record.payment_intent = getattr(intent, "id", None)
            return
        record.payment_intent, record.status = pi.id, pi.status
        record.charge = pi.latest_charge if isinstance(pi.latest_charge, str) else None
        if pi.status == "succeeded":
            record.captured = pi.amount_received
            record.fee = pi.application_fee_amount or 0

    # -- what happens later --------------------------------------------------------------------
    def follow_up(self, record: BookingRecord, day: int) -> None:
        fate, p = record.plan.fate, record.plan
        if fate == "abandoned":
            if record.status == "requires_action":
                pi = self.call(self.client.v1.payment_intents.cancel, record.payment_intent,
                               {"cancellation_reason": "abandoned"})
                record.status = pi.status
            return
        if not record.captured:
            return
        if fate == "cancelled":
            self.refund(record, record.captured, reverse=True)
        elif fate == "partly refunded":
            self.refund(record, record.captured // 2, reverse=True)
        elif fate == "goodwill credit":
            self.refund(record, record.captured // 10, reverse=False)
        elif fate in ("dispute won", "dispute lost"):
            dispute = self.find_dispute(record)  # opened right after the charge
            evidence = "winning_evidence" if fate == "dispute won" else "losing_evidence"
            dispute = self.call(self.client.v1.disputes.update, dispute.id,
                                {"evidence": {"uncategorized_text": evidence},
                                 "metadata": {"booking_id": p.booking_id}})
            record.dispute_status = dispute.status
            if dispute.status == "lost":
                self.recover(record)
        elif fate == "dispute unanswered":
            dispute = self.find_dispute(record)  # the deadline passed yesterday
            if dispute.status == "lost":
                self.recover(record)

    def refund(self, record: BookingRecord, amount: int, *, reverse: bool) -> None:
        params: dict[str, Any] = {"payment_intent": record.payment_intent, "amount": amount,
                                  "reason": "requested_by_customer",
                                  "metadata": {"booking_id": record.plan.booking_id}}
        if reverse:
            params.update(reverse_transfer=True, refund_application_fee=True)
        refund = self.call(self.client.v1.refunds.create, params)
        record.refunded += refund.amount

    def find_dispute(self, record: BookingRecord) -> Any:
        """The booking's dispute. The emulator opens it with the charge; Stripe test mode a
        few seconds later, so there this waits for it (up to a minute)."""
        deadline = time.monotonic() + (0 if self.lab.config.is_emulator else 60)
        while True:
            found = self.call(self.client.v1.disputes.list,
                              {"payment_intent": record.payment_intent, "limit": 1}).data
            if found or time.monotonic() >= deadline:
                break
            time.sleep(2)
        if not found:
            raise RuntimeError(f"no dispute was opened for {record.payment_intent}")
        record.dispute, record.dispute_status = found[0].id, found[0].status
        return found[0]

    def recover(self, record: BookingRecord) -> None:
        """A lost dispute: the platform takes the homeowner's share back (it keeps its fee
        and bears the dispute fee), by reversing that much of the transfer."""
        charge = self.call(self.client.v1.charges.retrieve, record.charge)
        share = record.captured - record.fee
        self.call(self.client.v1.transfers.reversals.create, charge.transfer,
                  {"amount": share, "description": "dispute lost",
                   "metadata": {"booking_id": record.plan.booking_id, "dispute": record.dispute}})
        record.reversed += share

    def advance_day(self) -> None:
        if self.config.use_clock and self.lab.config.is_emulator:
            self.calls += 1
            self.lab.advance_clock(DAY)


def run_month(lab: Lab, config: MonthConfig | None = None, *,
              market: Marketplace | None = None, plan: list[PlannedBooking] | None = None,
              show_progress: bool = True) -> Month:
    """Onboard the homeowners, then live through the month day by day: the day's bookings,
    the day's refunds and dispute answers, then the clock moves to the next day (payouts and
    dispute deadlines happen at midnight). ``market`` and ``plan`` default to the ones the
    config's seed gives."""
    config = config or default_config(lab)
    if config.use_clock and not lab.config.is_emulator:
        config = replace(config, use_clock=False)
    market = market or build_marketplace(config)
    plan = plan if plan is not None else plan_bookings(config, market)
    runner = _Runner(lab, config)
    started = lab.now()

    accounts: dict[str, str] = {}
    with progress(len(market.homeowners), "homeowners", "accounts", show_progress) as bar:
        for owner in market.homeowners:
            accounts[owner.homeowner_id] = runner.onboard(owner)
            bar.update(1)
    runner.wait_until_enabled(accounts.values())

    records = [BookingRecord(p, account=accounts[p.homeowner_id]) for p in plan]
    by_day: dict[int, list[BookingRecord]] = defaultdict(list)
    later: dict[int, list[BookingRecord]] = defaultdict(list)
    for record in records:
        by_day[record.plan.day].append(record)
        if record.plan.fate == "dispute unanswered":
            # the deadline is 7 days after the charge; the platform looks the day after
            later[record.plan.day + 8].append(record)
        elif record.plan.fate_day is not None:
            later[record.plan.fate_day].append(record)

    with progress(config.total_days, "month", "days", show_progress) as bar:
        for day in range(config.total_days):
            for record in by_day.get(day, ()):
                runner.book(record)
            for record in later.get(day, ()):
                runner.follow_up(record, day)
            paid = sum(1 for r in records if r.captured)
            bar.set_postfix_str(f"{paid} paid bookings", refresh=False)
            runner.advance_day()
            bar.update(1)

    month = Month(config, market, accounts, records, started, lab.now(),
                  clock_moved=config.use_clock, calls=runner.calls)
    return month


def outcomes(month: Month):
    """How the bookings went: one row per fate, with counts and amounts (cents)."""
    import pandas as pd

    rows: dict[str, dict[str, int]] = {}
    for record in month.bookings:
        row = rows.setdefault(record.plan.fate, {"bookings": 0, "charged": 0, "refunded": 0})
        row["bookings"] += 1
        row["charged"] += record.captured
        row["refunded"] += record.refunded
    order = [f for f in FATES if f in rows]
    frame = pd.DataFrame([{"outcome": f, **rows[f], "what happened": FATES[f]} for f in order])
    frame = frame.set_index("outcome")
    frame.loc["total"] = [frame["bookings"].sum(), frame["charged"].sum(),
                          frame["refunded"].sum(), ""]
    return frame
