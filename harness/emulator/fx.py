"""Currency conversion: which currencies an account settles in, and the emulator's rates.

A payment in a currency the account cannot settle in is converted to the account's default
currency when it lands in the balance; its balance transaction is in the settlement currency
and carries ``exchange_rate`` (amount in A x exchange_rate = amount in B, in major units, as
stripe-python's ``BalanceTransaction.exchange_rate`` docstring says). An account settles in
its ``default_currency`` and in the currency of each of its bank accounts.
Sources: https://docs.stripe.com/currencies/conversions ("When the presentment currency
differs from any of your enabled settlement currencies - the currencies accepted by any of
your bank accounts or debit cards - Stripe automatically converts the payment to your default
settlement currency"), https://docs.stripe.com/connect/currencies.

Real rates are Stripe's mid-market rate at the time of the charge and change every day. The
emulator uses its own fixed table instead (``USD_PER_UNIT``: round figures, not market data),
so every run gives the same cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .shapes import ZERO_DECIMAL

# The emulator's own test rates: US dollars for one unit (major unit) of each currency.
USD_PER_UNIT: dict[str, Decimal] = {k: Decimal(v) for k, v in {
    "usd": "1", "eur": "1.10", "gbp": "1.25", "cad": "0.75", "aud": "0.65", "nzd": "0.60",
    "chf": "1.15", "sgd": "0.75", "hkd": "0.128", "jpy": "0.0067", "krw": "0.00075",
    "vnd": "0.00004", "clp": "0.0011", "pyg": "0.00013", "ugx": "0.00027", "xaf": "0.0017",
    "xof": "0.0017", "xpf": "0.0092", "bif": "0.00035", "djf": "0.0056", "gnf": "0.00012",
    "kmf": "0.0022", "mga": "0.00022", "rwf": "0.00075", "vuv": "0.0084", "aed": "0.27",
    "bgn": "0.56", "brl": "0.18", "czk": "0.044", "dkk": "0.15", "huf": "0.0028",
    "inr": "0.012", "mxn": "0.055", "myr": "0.22", "nok": "0.095", "pln": "0.25",
    "ron": "0.22", "sek": "0.095", "thb": "0.029", "idr": "0.000063", "php": "0.018",
    "zar": "0.055", "ils": "0.27", "try": "0.03",
}.items()}


def decimals(currency: str) -> int:
    """Minor units per major unit, as a power of ten: 0 for zero-decimal currencies
    (https://docs.stripe.com/currencies#zero-decimal), 2 for the others the emulator knows."""
    return 0 if currency in ZERO_DECIMAL else 2


def exchange_rate(source: str, target: str) -> Decimal:
    """Major units of ``target`` for one major unit of ``source``, to six places."""
    if source == target:
        return Decimal(1)
    return (USD_PER_UNIT[source] / USD_PER_UNIT[target]).quantize(Decimal("0.000001"),
                                                                  rounding=ROUND_HALF_UP)


def convert(amount: int, source: str, target: str) -> int:
    """``amount`` (minor units of ``source``) in minor units of ``target``, rounded half up."""
    if source == target:
        return amount
    major = Decimal(amount) / (10 ** decimals(source)) * exchange_rate(source, target)
    minor = (abs(major) * (10 ** decimals(target))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(minor) if amount >= 0 else -int(minor)


def settles_in(account: dict[str, Any], currency: str) -> bool:
    """Does ``account`` hold ``currency`` as it is (its default or a bank account's)?"""
    banks = (account.get("external_accounts") or {}).get("data") or []
    return currency == account.get("default_currency") or any(
        b.get("currency") == currency for b in banks)


def settlement_currency(account: dict[str, Any] | None, currency: str) -> str:
    """The currency a payment in ``currency`` lands in on ``account``'s balance."""
    if account is None or settles_in(account, currency):
        return currency
    return account.get("default_currency") or currency
