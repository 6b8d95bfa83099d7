"""Build objects with exactly the fields stripe-python 16 declares for their class.

Stripe returns every field of an object, null when it has no value. Starting each object
from the SDK's own declaration keeps the emulator from inventing or forgetting fields.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

import stripe

from .errors import InvalidRequest


@functools.cache
def declared_fields(class_name: str) -> tuple[str, ...]:
    cls = _resolve(class_name)
    # ``_retrieve_params``, ``_field_encodings`` ... are the SDK's internals, not API fields.
    return tuple(k for k in _annotations(cls) if k != "OBJECT_NAME" and not k.startswith("_"))


def _annotations(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        out.update(getattr(klass, "__annotations__", {}))
    return out


def _resolve(class_name: str) -> type:
    obj: Any = stripe
    for part in class_name.split("."):
        obj = getattr(obj, part)
    return obj


def build(class_name: str, **values: Any) -> dict[str, Any]:
    """A full object of ``stripe.<class_name>``: declared fields, null unless given."""
    fields = declared_fields(class_name)
    unknown = set(values) - set(fields)
    if unknown:  # a programming error in the emulator, caught by the fidelity test too
        raise AssertionError(f"{class_name} declares no field(s) {sorted(unknown)}")
    return {name: values.get(name) for name in fields}


def check_currency(currency: str, param: str = "currency") -> str:
    currency = currency.lower()
    if currency not in CURRENCIES:
        raise InvalidRequest(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(CURRENCIES)),
            param=param,
        )
    return currency


# Minimum charge amounts per currency, in the smallest unit
# (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUMS = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "pyg", "ugx", "xaf", "xof", "bif", "djf", "gnf",
                "kmf", "mga", "rwf", "vuv", "xpf"}
CURRENCIES = set(MINIMUMS) | ZERO_DECIMAL | {"krw", "vnd", "idr", "php", "zar", "ils", "try"}


def format_minimum(currency: str) -> str:
    minimum = MINIMUMS.get(currency, 50)
    if currency in ZERO_DECIMAL:
        return f"{minimum} {currency}"
    symbol = {"usd": "$", "eur": "€", "gbp": "£", "aud": "$", "cad": "$", "nzd": "$",
              "sgd": "$", "hkd": "$", "mxn": "$"}.get(currency, "")
    return f"{symbol}{minimum / 100:.2f} {currency}"


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    if amount < MINIMUMS.get(currency, 1):
        raise InvalidRequest(
            f"Amount must be at least {format_minimum(currency)}",
            code="amount_too_small",
            param=param,
        )
    if amount > 99999999:
        raise InvalidRequest(
            "Amount must be no more than $999,999.99" if currency == "usd"
            else f"Amount must be no more than 99999999 {currency}",
            code="amount_too_large",
            param=param,
        )


def midnight_after(ts: int, days: int) -> int:
    """Stripe makes card funds available at 00:00 UTC, ``days`` after the charge."""
    return (ts // 86400 + days) * 86400


def merge_metadata(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """Stripe's metadata update: keys are merged, a key set to "" is removed, and
    ``metadata=""`` (decoded as an empty dict) removes them all."""
    if not new:
        return {}
    return {k: v for k, v in {**old, **new}.items() if v != ""}


def iso_time(timestamp: int) -> str:
    """An API v2 timestamp: stripe-python 16 declares v2 ``created`` and ``expires_at`` as
    ``str``; Stripe writes them in RFC 3339, UTC, to the millisecond
    (``2026-12-02T06:20:18.000Z``)."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
