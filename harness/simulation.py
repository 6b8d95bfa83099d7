"""A month of the marketplace: thousands of bookings, then the books closed to the cent.

Three steps, each a short call from notebook 08:

1. **Plan** (:func:`build_marketplace`, :func:`plan_bookings`): about 50 homeowners and 500
   listings, grown from ``data/`` with a seeded random generator, and a month of bookings:
   which listing, how many nights, which test card, and what happens later (a cancellation,
   a partial refund, a goodwill credit, a dispute). Pure Python, no Stripe: the same seed
   always gives the same month.
2. **Run** (:func:`run_month`): each booking is a destination charge made with the ``stripe``
   SDK, as the platform's checkout would make it; refunds and dispute answers happen on
   their day; the clock moves one day at a time (``lab.advance_clock``), so funds become
   available and the homeowners' automatic daily payouts run.
3. **Close the books** (:func:`read_books`, :func:`reconcile` and the reports): every
   balance transaction, payout, dispute and balance is read back through the API, and the
   figures are checked against each other and against what the platform recorded.

Money is in cents throughout. The platform's fee is computed by the platform's own rule
(``harness.platform.app.application_fee``), never re-implemented here.
"""

from __future__ import annotations

import csv
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import stripe

from . import marketplace
from .inspect import pyplot
from .lab import Lab
from .marketplace import Homeowner, Listing
from .platform.app import application_fee

__all__ = [
    "Books", "BookingRecord", "Marketplace", "Month", "MonthConfig", "PlannedBooking",
    "build_marketplace", "default_config", "export_reports", "fee_share", "fee_share_chart",
    "homeowner_report", "outcomes", "payout_timing", "payout_timing_chart", "plan_bookings",
    "plan_table", "platform_summary", "progress", "read_books", "reconcile", "revenue_chart",
    "run_month", "weekly_revenue",
]

DAY = 86400
ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "build" / "reports"
RETURN_URL = "https://example.com/bookings/complete"
PLAN_START = date(2026, 1, 1)  # the planning calendar (weekends are busier); the emulator's day 1

SUCCEEDING_CARDS = {"pm_card_visa": 55, "pm_card_mastercard": 25, "pm_card_amex": 10,
                    "pm_card_visa_debit": 10}
DECLINING_CARDS = {
    "pm_card_chargeDeclined": 30, "pm_card_chargeDeclinedInsufficientFunds": 30,
    "pm_card_chargeDeclinedExpiredCard": 15, "pm_card_chargeDeclinedIncorrectCvc": 10,
    "pm_card_chargeDeclinedLostCard": 5, "pm_card_chargeDeclinedStolenCard": 5,
    "pm_card_chargeDeclinedProcessingError": 5}
THREE_D_SECURE = "pm_card_authenticationRequired"
DISPUTE_CARD = "pm_card_createDispute"
NIGHTS = {1: 10, 2: 25, 3: 25, 4: 15, 5: 10, 6: 7, 7: 8}

# What can happen to a booking after it was paid.
FATES = {
    "kept": "paid, nothing more",
    "cancelled": "full refund; transfer reversed and fee refunded (the homeowner pays it back)",
    "partly refunded": "half refunded; transfer and fee reversed in proportion",
    "goodwill credit": "10 % refunded from the platform's own balance (nothing reversed)",
    "dispute won": "disputed; winning evidence submitted",
    "dispute lost": "disputed; losing evidence submitted; homeowner's share reversed",
    "dispute unanswered": "disputed; no answer, lost at the deadline; homeowner's share reversed",
    "abandoned": "3D Secure never completed; the platform cancels the PaymentIntent",
    "declined": "the card was declined",
}


# -- configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthConfig:
    """How big the month is and how the renters behave. Rates are fractions of bookings."""

    seed: int = 42
    homeowners: int = 50
    listings: int = 500
    bookings: int = 1500  # about 22 s of emulator time in notebook 08 (see the report)
    days: int = 30  # days with bookings
    settle_days: int = 10  # days after the month: funds mature, payouts arrive, disputes close
    decline_rate: float = 0.04
    three_ds_rate: float = 0.01
    cancel_rate: float = 0.03
    partial_rate: float = 0.02
    goodwill_rate: float = 0.01
    disputes_won: int = 3
    disputes_lost: int = 3
    disputes_unanswered: int = 2
    fee_percent: float = 12.3  # the platform's cut (the platform app's default)
    use_clock: bool = True  # advance the emulator's clock day by day (emulator only)

    @property
    def total_days(self) -> int:
        return self.days + self.settle_days

    @classmethod
    def small(cls, seed: int = 42, **changes: Any) -> MonthConfig:
        """A tiny month (3 homeowners, 20 bookings, one dispute of each kind) for tests and
        for Stripe test mode, where thousands of API calls would take many minutes."""
        values: dict[str, Any] = dict(
            seed=seed, homeowners=3, listings=8, bookings=20, days=5, settle_days=9,
            decline_rate=0.1, three_ds_rate=0.05, cancel_rate=0.1, partial_rate=0.1,
            goodwill_rate=0.1, disputes_won=1, disputes_lost=1, disputes_unanswered=1)
        values.update(changes)
        return cls(**values)


def default_config(lab: Lab, seed: int = 42) -> MonthConfig:
    """The full month on the emulator; in Stripe test mode a small month without the clock
    (test mode's time cannot be moved, and 2000 bookings would take a long while)."""
    if lab.config.is_emulator:
        return MonthConfig(seed=seed)
    print("Stripe test mode: a small month (20 bookings), all on today's date. Payouts follow "
          "Stripe's own schedule and unanswered disputes stay open.")
    return MonthConfig.small(seed=seed, use_clock=False)


# -- the marketplace, grown from data/ ------------------------------------------------------
FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kira",
    "Leo", "Mina", "Nico", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wes", "Ximena", "Yusuf", "Zoe", "Amir", "Bea", "Cole", "Dina", "Emil", "Fay", "Gil",
    "Hana", "Ivan", "Jade", "Kofi", "Lena", "Milo", "Nadia")
LAST_NAMES = (
    "Alvarez", "Brooks", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Osei", "Patel", "Quintero",
    "Rossi", "Schmidt", "Thompson", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zimmerman")
CITIES = (
    ("Portland", "OR"), ("Austin", "TX"), ("Santa Fe", "NM"), ("Asheville", "NC"),
    ("Bozeman", "MT"), ("Savannah", "GA"), ("Burlington", "VT"), ("Sedona", "AZ"),
    ("Taos", "NM"), ("Boulder", "CO"), ("Charleston", "SC"), ("Duluth", "MN"),
    ("Eugene", "OR"), ("Flagstaff", "AZ"), ("Galveston", "TX"), ("Hood River", "OR"),
    ("Ithaca", "NY"), ("Jackson", "WY"), ("Key West", "FL"), ("Lake Placid", "NY"),
    ("Marfa", "TX"), ("Nantucket", "MA"), ("Ojai", "CA"), ("Park City", "UT"))
KINDS = ("cabin", "loft", "cottage", "studio", "bungalow", "farmhouse", "apartment",
         "townhouse", "A-frame", "guesthouse", "condo", "yurt")
FEATURES = ("with hot tub", "by the river", "near downtown", "with mountain views",
            "with a garden", "on the lake", "with a fireplace", "by the trailhead",
            "with a rooftop deck", "near the beach", "with bikes", "on a quiet street")
ADJECTIVES = ("Sunny", "Cozy", "Modern", "Historic", "Quiet", "Bright", "Rustic", "Airy",
              "Charming", "Spacious", "Hidden", "Restored")


@dataclass(frozen=True)
class Marketplace:
    """Homeowners and listings (``marketplace.Homeowner`` and ``marketplace.Listing`` rows)."""

    homeowners: tuple[Homeowner, ...]
    listings: tuple[Listing, ...]

    def homeowner(self, homeowner_id: str) -> Homeowner:
        return self._owners[homeowner_id]

    def listing(self, listing_id: str) -> Listing:
        return self._listings[listing_id]

    @property
    def _owners(self) -> dict[str, Homeowner]:
        return {h.homeowner_id: h for h in self.homeowners}

    @property
    def _listings(self) -> dict[str, Listing]:
        return {x.listing_id: x for x in self.listings}

    def table(self):
        """One row per homeowner: city, number of listings, price range (dollars)."""
        import pandas as pd

        rows = []
        for owner in self.homeowners:
            mine = [x for x in self.listings if x.homeowner_id == owner.homeowner_id]
            prices = [x.nightly_price for x in mine]
            rows.append({"homeowner": owner.homeowner_id, "name": owner.name,
                         "city": f"{owner.city}, {owner.state}", "listings": len(mine),
                         "cheapest night": _usd(min(prices)),
                         "dearest night": _usd(max(prices))})
        return pd.DataFrame(rows).set_index("homeowner")

    def __repr__(self) -> str:
        return (f"<Marketplace: {len(self.homeowners)} homeowners, "
                f"{len(self.listings)} listings>")


def build_marketplace(config: MonthConfig) -> Marketplace:
    """``data/``'s homeowners and listings first, then generated ones up to the sizes asked
    for. Every homeowner has at least one listing. Deterministic for ``config.seed``."""
    if config.listings < config.homeowners:
        raise ValueError("every homeowner needs a listing: listings >= homeowners")
    rng = random.Random(f"{config.seed}:marketplace")
    owners = list(marketplace.homeowners()[: config.homeowners])
    pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    for number in range(len(owners) + 1, config.homeowners + 1):
        first, last = pairs[number]
        city, state = rng.choice(CITIES)
        owners.append(Homeowner(
            homeowner_id=f"ho_{number:03d}", first_name=first, last_name=last,
            email=f"{first.lower()}.{last.lower()}.{number:03d}@example.com",
            city=city, state=state, country="US"))
    known = {o.homeowner_id for o in owners}
    listings = [x for x in marketplace.listings() if x.homeowner_id in known]
    listings = listings[: config.listings]
    # Each homeowner without a listing gets one; the rest go to owners at random, some
    # owners (the "superhosts") much more often than others.
    have = {x.homeowner_id for x in listings}
    weights = [rng.paretovariate(1.5) for _ in owners]
    todo = [o for o in owners if o.homeowner_id not in have]
    while len(listings) + len(todo) < config.listings:
        todo.append(rng.choices(owners, weights)[0])
    for owner in todo:
        number = len(listings) + 1
        bedrooms = rng.choice((1, 1, 1, 2, 2, 3, 4))
        listings.append(Listing(
            listing_id=f"lst_{number:03d}", homeowner_id=owner.homeowner_id,
            title=f"{rng.choice(ADJECTIVES)} {rng.choice(KINDS)} {rng.choice(FEATURES)}",
            city=owner.city, state=owner.state, bedrooms=bedrooms,
            max_guests=bedrooms * 2 + rng.choice((0, 0, 1, 2)),
            nightly_price=rng.randrange(60, 301) * 100 + bedrooms * 1500,
            currency="usd", min_nights=rng.choice((1, 1, 2, 2, 3))))
    return Marketplace(tuple(owners), tuple(listings))


# -- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedBooking:
    """One booking as planned: when, where, the card, and what happens to it later."""

    booking_id: str
    day: int  # 0 = the first day of the month
    listing_id: str
    homeowner_id: str
    nights: int
    amount: int
    application_fee: int
    card: str
    fate: str  # a key of FATES
    fate_day: int | None = None  # the day the refund or the dispute answer happens


def _day_weights(days: int) -> list[float]:
    weights = []
    for day in range(days):
        weekday = (PLAN_START + timedelta(days=day)).weekday()
        weights.append((1.45 if weekday in (4, 5) else 1.2 if weekday == 6 else 1.0)
                       * (1 + 0.01 * day))
    return weights


def plan_bookings(config: MonthConfig, market: Marketplace) -> list[PlannedBooking]:
    """The month's bookings, in the order they happen. Same seed, same plan."""
    rng = random.Random(f"{config.seed}:bookings")
    days = sorted(rng.choices(range(config.days), _day_weights(config.days), k=config.bookings))
    popularity = [rng.paretovariate(2.0) for _ in market.listings]
    plan = []
    for number, day in enumerate(days, 1):
        stay = rng.choices(market.listings, popularity)[0]
        nights = max(stay.min_nights, rng.choices(list(NIGHTS), list(NIGHTS.values()))[0])
        amount = stay.nightly_price * nights
        roll = rng.random()
        if roll < config.decline_rate:
            card = rng.choices(list(DECLINING_CARDS), list(DECLINING_CARDS.values()))[0]
            fate, fate_day = "declined", None
        elif roll < config.decline_rate + config.three_ds_rate:
            card, fate, fate_day = THREE_D_SECURE, "abandoned", day + 1
        else:
            card = rng.choices(list(SUCCEEDING_CARDS), list(SUCCEEDING_CARDS.values()))[0]
            fate, fate_day = "kept", None
            after = rng.random()
            for name, rate in (("cancelled", config.cancel_rate),
                               ("partly refunded", config.partial_rate),
                               ("goodwill credit", config.goodwill_rate)):
                if after < rate:
                    fate, fate_day = name, day + rng.randint(1, 4)
                    break
                after -= rate
        plan.append(PlannedBooking(
            booking_id=f"bk_{number:05d}", day=day, listing_id=stay.listing_id,
            homeowner_id=stay.homeowner_id, nights=nights, amount=amount,
            application_fee=application_fee(amount, config.fee_percent), card=card, fate=fate,
            fate_day=fate_day))
    # A few disputes, on kept bookings early enough to be settled within the run.
    kinds = (["dispute won"] * config.disputes_won + ["dispute lost"] * config.disputes_lost
             + ["dispute unanswered"] * config.disputes_unanswered)
    latest = max(0, config.days + config.settle_days - 9)
    candidates = [i for i, b in enumerate(plan) if b.fate == "kept" and b.day <= latest]
    if len(candidates) < len(kinds):
        raise ValueError("too few bookings for the disputes asked for")
    chosen = sorted(rng.sample(candidates, len(kinds)))
    rng.shuffle(kinds)
    for index, kind in zip(chosen, kinds, strict=True):
        booking = plan[index]
        answer = booking.day + rng.randint(2, 5) if kind != "dispute unanswered" else None
        plan[index] = replace(booking, card=DISPUTE_CARD, fate=kind, fate_day=answer)
    return plan


# -- progress bars --------------------------------------------------------------------------
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} {unit}{postfix}"


@contextmanager
def progress(total: int, desc: str, unit: str, enabled: bool = True) -> Iterator[Any]:
    """A tqdm bar on stderr whose text never depends on time: no elapsed time, no rate, and
    redrawn every tenth of the way (by count, not by clock). A live notebook shows it moving;
    a stored notebook holds the same few lines on every run, and nbval sees the final one."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, bar_format=BAR_FORMAT,
               mininterval=0, miniters=max(1, total // 10), maxinterval=math.inf,
               dynamic_ncols=False, disable=not enabled)
    try:
        yield bar
    finally:
        bar.close()


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
            "booking_id": p.booking_id, "date": _date(start + p.day * DAY),
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
                f"({paid} paid), {_date(self.started)} to {_date(self.ended)}>")


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


# -- reading Stripe's books back ------------------------------------------------------------------
@dataclass
class Books:
    """Everything Stripe says happened, read through the API after the month.

    ``transactions``: every balance transaction of the platform (since the month started)
    and of each homeowner's account, with ``stripe_fee`` (the part of ``fee`` Stripe kept).
    ``payouts``: every payout of each homeowner (and the platform's since the month
    started). ``balances``: available + pending now. ``disputes``: the platform's disputes
    since the month started.
    """

    transactions: Any
    payouts: Any
    balances: Any
    disputes: Any
    start: int
    calls: int = 0
    platform_history: bool = False  # the platform's balance holds money from before the month


BT_FIELDS = ["account", "homeowner_id", "id", "type", "reporting_category", "source", "amount",
             "fee", "stripe_fee", "net", "created", "available_on", "status"]


def read_books(lab: Lab, month: Month, *, show_progress: bool = True) -> Books:
    """Read the month back from Stripe: balance transactions (all pages) and balances of
    every account, the homeowners' payouts, and the platform's disputes. About two hundred
    list calls; the connected accounts are read with the ``Stripe-Account`` header.

    The lists are read as JSON (``client.raw_request``) rather than as the SDK's typed
    objects: for ten thousand balance transactions that is twice as fast, and only a few
    plain fields are needed."""
    import pandas as pd

    reader = _Reader(lab.client)
    since = {"created": {"gte": month.started}}
    who = {None: "platform", **{acct: owner for owner, acct in month.accounts.items()}}
    bt_rows: list[dict[str, Any]] = []
    payout_rows: list[dict[str, Any]] = []
    balance_rows: list[dict[str, Any]] = []
    with progress(len(who), "reading the books", "accounts", show_progress) as bar:
        for account, owner in who.items():
            name = account or "platform"
            # the platform may have a history from before this month; the accounts do not
            params = since if account is None else {}
            for bt in reader.all("/v1/balance_transactions", params, account):
                bt_rows.append({
                    "account": name, "homeowner_id": owner if account else "",
                    "id": bt["id"], "type": bt["type"],
                    "reporting_category": bt["reporting_category"], "source": bt["source"],
                    "amount": bt["amount"], "fee": bt["fee"],
                    "stripe_fee": sum(d["amount"] for d in bt["fee_details"]
                                      if d["type"] == "stripe_fee"),
                    "net": bt["net"], "created": bt["created"],
                    "available_on": bt["available_on"], "status": bt["status"]})
            for p in reader.all("/v1/payouts", params, account):
                payout_rows.append({
                    "account": name, "homeowner_id": owner if account else "", "id": p["id"],
                    "created": p["created"], "arrival_date": p["arrival_date"],
                    "amount": p["amount"], "status": p["status"], "automatic": p["automatic"]})
            bal = reader.get("/v1/balance", account)
            balance_rows.append({
                "account": name, "homeowner_id": owner if account else "",
                "available": sum(f["amount"] for f in bal["available"] if f["currency"] == "usd"),
                "pending": sum(f["amount"] for f in bal["pending"] if f["currency"] == "usd")})
            bar.update(1)
    dispute_rows = [{k: d[k] for k in DISPUTE_FIELDS}
                    for d in reader.all("/v1/disputes", since, None)]
    # Money the platform had before the month is in its balance but not in these rows.
    older = reader.get("/v1/balance_transactions", None, limit=1,
                       created={"lt": month.started})["data"]
    transactions = pd.DataFrame(bt_rows, columns=BT_FIELDS)
    payouts = pd.DataFrame(payout_rows, columns=PAYOUT_FIELDS)
    balances = pd.DataFrame(balance_rows,
                            columns=["account", "homeowner_id", "available", "pending"])
    disputes = pd.DataFrame(dispute_rows, columns=DISPUTE_FIELDS)
    return Books(transactions, payouts, balances, disputes, month.started, reader.calls,
                 platform_history=bool(older))


PAYOUT_FIELDS = ["account", "homeowner_id", "id", "created", "arrival_date", "amount", "status",
                 "automatic"]
DISPUTE_FIELDS = ["id", "charge", "payment_intent", "amount", "status", "reason", "created"]


class _Reader:
    """GET requests through the SDK (``raw_request``: same keys, retries and headers), with
    the JSON bodies returned as plain dicts; lists are followed page by page."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.calls = 0

    def get(self, path: str, account: str | None, **params: Any) -> dict[str, Any]:
        import json

        self.calls += 1
        if account:
            params["stripe_account"] = account
        response = self.client.raw_request("get", path, **params)
        return json.loads(response.body)

    def all(self, path: str, params: dict[str, Any], account: str | None) -> Iterator[dict]:
        """Every object of a list, newest first (Stripe's order), following ``has_more``."""
        cursor: dict[str, Any] = {}
        while True:
            page = self.get(path, account, limit=100, **params, **cursor)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            cursor = {"starting_after": page["data"][-1]["id"]}


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
    frame["usd"] = [_usd(c) for c in frame["cents"]]
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
            "first_payout": _date(int(first[acct])) if acct in first.index else "",
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


# -- charts ---------------------------------------------------------------------------------------
def _dollars(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"\\${v:,.0f}"))


def revenue_chart(weekly: Any):
    """Bars per week: the platform's revenue (fees net of refunds), Stripe's fees and the
    platform's net; with the captured volume on a second axis."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    weeks = list(weekly.index)
    x = range(len(weeks))
    width = 0.27
    series = (("revenue", "platform revenue (fees net of refunds)", "#1565c0"),
              ("stripe_fees", "Stripe's fees", "#ef6c00"),
              ("platform_net", "platform net", "#2e7d32"))
    for i, (column, label, colour) in enumerate(series):
        ax.bar([v + (i - 1) * width for v in x], weekly[column] / 100, width, label=label,
               color=colour)
    ax.set_xticks(list(x), weeks)
    _dollars(ax)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title("The platform's money, week by week", fontsize=11)
    volume = ax.twinx()
    volume.plot(list(x), weekly["captured"] / 100, color="#616161", marker="o", linewidth=1.5,
                label="renters paid (right axis)")
    _dollars(volume)
    volume.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()
    more = volume.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center",
              bbox_to_anchor=(0.5, -0.1), ncol=4, fontsize=8, frameon=False)
    ax.spines[["top"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def fee_share_chart(shares: Any):
    """One bar split into who got the renters' money."""
    plt = pyplot()
    parts = shares.drop(index="total (= renters paid)")
    total = int(shares.loc["total (= renters paid)", "cents"])
    colours = ["#2e7d32", "#1565c0", "#ef6c00", "#9e9e9e", "#c62828"]
    fig, ax = plt.subplots(figsize=(10, 2.2))
    left = 0.0
    for (party, row), colour in zip(parts.iterrows(), colours, strict=True):
        share = row["cents"] / total if total else 0
        ax.barh(0, share, left=left, color=colour, label=f"{party} ({share:.1%})")
        if share > 0.04:
            ax.text(left + share / 2, 0, f"{share:.1%}", ha="center", va="center",
                    color="white", fontsize=9, fontweight="bold")
        left += share
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title(f"Where the renters' \\${total / 100:,.2f} went", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=5, fontsize=8,
              frameon=False)
    ax.spines[["top", "right", "left"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def payout_timing_chart(timing: Any):
    """Running totals: the homeowners' share as bookings happen, as payouts leave, and as
    they arrive in the bank. The gaps between the lines are Stripe's hold and the bank's
    transit time."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    for column, label, colour in (("earned_total", "earned (net of refunds)", "#1565c0"),
                                  ("paid_out_total", "paid out (payout created)", "#ef6c00"),
                                  ("arrived_total", "arrived in the bank", "#2e7d32")):
        ax.step(list(timing.index), timing[column] / 100, where="post", label=label,
                color=colour, linewidth=2)
    _dollars(ax)
    ax.set_title("When the homeowners' money moves (running totals)", fontsize=11)
    ax.legend(loc="upper left", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig


# -- reports --------------------------------------------------------------------------------------
def export_reports(month: Month, books: Books, directory: Path | str = REPORTS) -> Any:
    """Write the month's CSV reports; returns a table of the files written (path relative to
    the repository when it is inside it, so the output reads the same everywhere)."""
    import pandas as pd

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    start = month.started
    owners = homeowner_report(month, books)
    tables: dict[str, Any] = {
        "bookings.csv": pd.DataFrame([r.row(start) for r in month.bookings]),
        "homeowners.csv": owners.reset_index(),
        "platform.csv": platform_summary(books).reset_index(),
        "weekly_revenue.csv": weekly_revenue(books).reset_index(),
        "payouts.csv": _payouts_table(books),
        "payout_timing.csv": payout_timing(month, books).reset_index(),
        "reconciliation.csv": reconcile(month, books, owners).reset_index(),
        "balance_transactions.csv": _transactions_table(books),
    }
    written = []
    for name, table in tables.items():
        path = folder / name
        table.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        try:
            shown = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            shown = path.as_posix()
        written.append({"file": shown, "rows": len(table), "columns": len(table.columns)})
    return pd.DataFrame(written).set_index("file")


def _payouts_table(books: Books) -> Any:
    table = books.payouts.copy()
    table["created"] = [_date(t) for t in table["created"]]
    table["arrival_date"] = [_date(t) for t in table["arrival_date"]]
    return table


def _transactions_table(books: Books) -> Any:
    table = books.transactions.copy()
    table["created"] = [_date(t) for t in table["created"]]
    table["available_on"] = [_date(t) for t in table["available_on"]]
    return table


# -- small helpers --------------------------------------------------------------------------------
def _usd(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d")


def plan_table(plan: list[PlannedBooking]):
    """The plan as a DataFrame (one row per booking; ``fate_day`` empty when nothing is due)."""
    import pandas as pd

    rows = [{**asdict(p), "fate_day": "" if p.fate_day is None else p.fate_day} for p in plan]
    return pd.DataFrame(rows).set_index("booking_id")
