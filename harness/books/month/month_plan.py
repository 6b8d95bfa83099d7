"""The month's plan: its configuration, the marketplace grown from ``data/``, and the
bookings drawn from a seed. Pure Python, no Stripe: the same seed gives the same month."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ...lab import Lab
from ...platform.app import FEE_PERCENT, application_fee
from .. import marketplace
from ..formatting import usd
from ..marketplace import Homeowner, Listing

DAY = 86400
ROOT = Path(__file__).resolve().parents[3]
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
    fee_percent: float = FEE_PERCENT  # the platform's cut (the platform app's default)
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
                         "cheapest night": usd(min(prices)),
                         "dearest night": usd(max(prices))})
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



def plan_table(plan: list[PlannedBooking]):
    """The plan as a DataFrame (one row per booking; ``fate_day`` empty when nothing is due)."""
    import pandas as pd

    rows = [{**asdict(p), "fate_day": "" if p.fate_day is None else p.fate_day} for p in plan]
    return pd.DataFrame(rows).set_index("booking_id")
