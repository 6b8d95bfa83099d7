"""The home-rental marketplace: its sample data and the platform's pricing rule.

This is "your platform's" business logic, so it never talks to Stripe and never imports
the emulator. It answers two questions the server must answer on its own:

* **How much does the renter pay?** The listing's nightly price times the number of
  nights, looked up on the server. Whatever amount a browser sends is ignored.
* **How much does the platform keep?** An application fee of 12.3 % of the amount,
  rounded half up to the cent, so the guide's example holds: 1000 -> 123.

The sample data lives in ``data/`` (CSV files, prices in cents).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..platform.app import FEE_PERCENT
from ..platform.app import application_fee as platform_fee

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

MAX_NIGHTS = 30


class PricingError(ValueError):
    """The renter asked for something the platform does not sell."""


@dataclass(frozen=True)
class Homeowner:
    homeowner_id: str
    first_name: str
    last_name: str
    email: str
    city: str
    state: str
    country: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Listing:
    listing_id: str
    homeowner_id: str
    title: str
    city: str
    state: str
    bedrooms: int
    max_guests: int
    nightly_price: int  # cents
    currency: str
    min_nights: int


@dataclass(frozen=True)
class Renter:
    renter_id: str
    first_name: str
    last_name: str
    email: str
    home_city: str
    home_state: str
    test_payment_method: str  # the pm_card_* token this test persona pays with

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Quote:
    """What the server decided a stay costs, in the smallest currency unit (cents)."""

    listing_id: str
    homeowner_id: str
    nights: int
    nightly_price: int
    amount: int
    application_fee_amount: int
    currency: str

    @property
    def homeowner_share(self) -> int:
        """What the homeowner keeps: the amount less the platform's fee."""
        return self.amount - self.application_fee_amount

    def metadata(self) -> dict[str, str]:
        """Metadata to put on the PaymentIntent, to find the booking again later."""
        return {"listing_id": self.listing_id, "homeowner_id": self.homeowner_id,
                "nights": str(self.nights)}


# -- data ---------------------------------------------------------------------------------
def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _typed(cls: type, row: dict[str, str]) -> Any:
    fields = cls.__dataclass_fields__
    return cls(**{k: int(v) if fields[k].type == "int" else v for k, v in row.items()})


@cache
def homeowners() -> tuple[Homeowner, ...]:
    return tuple(_typed(Homeowner, row) for row in _read("homeowners.csv"))


@cache
def listings() -> tuple[Listing, ...]:
    return tuple(_typed(Listing, row) for row in _read("listings.csv"))


@cache
def renters() -> tuple[Renter, ...]:
    return tuple(_typed(Renter, row) for row in _read("renters.csv"))


def homeowner(homeowner_id: str) -> Homeowner:
    for row in homeowners():
        if row.homeowner_id == homeowner_id:
            return row
    raise KeyError(f"no homeowner {homeowner_id!r}")


def listing(listing_id: str) -> Listing:
    for row in listings():
        if row.listing_id == listing_id:
            return row
    raise PricingError(f"no listing {listing_id!r}")


def renter(renter_id: str) -> Renter:
    for row in renters():
        if row.renter_id == renter_id:
            return row
    raise KeyError(f"no renter {renter_id!r}")


def table(name: str):
    """One of ``homeowners``, ``listings``, ``renters`` as a pandas DataFrame."""
    import pandas as pd

    rows = {"homeowners": homeowners, "listings": listings, "renters": renters}[name]()
    frame = pd.DataFrame([asdict(row) for row in rows])
    return frame.set_index(frame.columns[0])


# -- pricing --------------------------------------------------------------------------------
def application_fee(amount: int) -> int:
    """The platform's fee on ``amount`` at its default percent: the platform's own rule
    (:func:`harness.platform.app.application_fee`), not a copy of it."""
    if amount < 0:
        raise PricingError("amount must not be negative")
    return platform_fee(amount, FEE_PERCENT)


def quote(listing_id: str, nights: int) -> Quote:
    """Price a stay on the server, from the listing alone."""
    stay = listing(listing_id)
    if not isinstance(nights, int) or isinstance(nights, bool):
        raise PricingError("nights must be a whole number")
    if nights < stay.min_nights:
        raise PricingError(f"{stay.listing_id} needs at least {stay.min_nights} nights")
    if nights > MAX_NIGHTS:
        raise PricingError(f"stays are limited to {MAX_NIGHTS} nights")
    amount = stay.nightly_price * nights
    return Quote(
        listing_id=stay.listing_id, homeowner_id=stay.homeowner_id, nights=nights,
        nightly_price=stay.nightly_price, amount=amount,
        application_fee_amount=application_fee(amount), currency=stay.currency,
    )


def quote_from_request(body: dict[str, Any]) -> Quote:
    """What the checkout endpoint does with the browser's JSON.

    Only ``listing_id`` and ``nights`` are read. Any ``amount`` (or fee) in the body is
    ignored on purpose: a renter can edit anything their browser sends.
    """
    try:
        nights = int(body["nights"])
        listing_id = str(body["listing_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PricingError("send listing_id and nights") from exc
    return quote(listing_id, nights)


def quote_table(q: Quote):
    """A quote as a small pandas table (cents and dollars)."""
    import pandas as pd

    rows = [
        ("nightly price", q.nightly_price),
        (f"x {q.nights} nights = amount", q.amount),
        (f"application fee ({FEE_PERCENT:g} %)", q.application_fee_amount),
        ("homeowner share before Stripe's fee", q.homeowner_share),
    ]
    frame = pd.DataFrame(rows, columns=["line", "cents"]).set_index("line")
    frame["usd"] = [f"${c / 100:,.2f}" for c in frame["cents"]]
    return frame


# -- Stripe parameters for the platform's calls -----------------------------------------------
def express_account_params(owner: Homeowner) -> dict[str, Any]:
    """``accounts.create`` parameters for a homeowner's Express account."""
    return {
        "type": "express",
        "country": owner.country,
        "email": owner.email,
        "business_type": "individual",
        "capabilities": {"card_payments": {"requested": True},
                         "transfers": {"requested": True}},
        "metadata": {"homeowner_id": owner.homeowner_id},
    }


__all__ = [
    "DATA_DIR", "FEE_PERCENT", "Homeowner", "Listing", "PricingError", "Quote", "Renter",
    "application_fee", "express_account_params", "homeowner", "homeowners", "listing",
    "listings", "quote", "quote_from_request", "quote_table", "renter", "renters", "table",
]
