"""Tunable behaviour of the emulator: fees, versions, seeds."""

from __future__ import annotations

from dataclasses import dataclass

from . import fx

# What stripe-python 16.1.0 pins (stripe._api_version) - the SDK sends it on every call.
SDK_API_VERSION = "2026-10-28.endive"
# What the Stripe CLI pins; accounts created before endive default to it, and the CLI sends
# no Stripe-Version on v1 paths, so its fixtures (which still use payment_method_types) work.
CLI_API_VERSION = "2026-07-29.dahlia"
# The first version that rejects payment_method_types on PaymentIntents.
# https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents
ENDIVE = "2026-09-30.endive"


@dataclass
class Settings:
    default_api_version: str = CLI_API_VERSION
    # Stripe's standard US card pricing: 2.9% + 30 cents (configurable per emulator).
    fee_percent: float = 2.9
    fee_fixed: int = 30
    # Stripe's US pricing adds 1 % when the payment's currency must be converted
    # (https://stripe.com/pricing: "+ 1% if currency conversion is required"); configurable.
    conversion_fee_percent: float = 1.0
    # An account's first payout waits 7 days from its first successful payment; later funds
    # follow settings.payouts.schedule.delay_days (https://support.stripe.com/questions/
    # delay-for-first-payout). The docs do not say whether test mode keeps the hold; the
    # emulator does (configurable), so a tutorial shows what a new live account sees.
    first_payout_days: int = 7
    # The network dispute fee Stripe debits in the US (not returned when a dispute is won
    # since the June 2025 pricing update); configurable.
    dispute_fee: int = 1500
    # Days a dispute stays open for evidence before it is lost by default.
    dispute_response_days: int = 7
    seed: int | None = None
    frozen_clock: bool = False
    # A Connect platform created today, which has not enabled Accounts v1: POST /v1/accounts
    # is refused and connected accounts are made with /v2/core/accounts
    # (https://docs.stripe.com/connect/accounts-v2/account-creation).
    new_platform: bool = False
    # Where browsers reach this emulator (no trailing slash), when not where the API client
    # does: behind a Jupyter server's proxy the SDK calls http://127.0.0.1:12111 while a
    # learner's browser opens https://hub.example/user/ada/proxy/12111. The URLs the API puts
    # in its answers (Checkout's url, Account Links, 3D Secure next actions) use it; None:
    # the address the request came to.
    public_url: str | None = None

    def stripe_fee(self, amount: int) -> int:
        """Round half up, as Stripe rounds fees to the cent: 1000 -> 59."""
        return int(amount * self.fee_percent / 100 + 0.5) + self.fee_fixed

    def card_fee(self, amount: int, currency: str = "usd", *, converted: bool = False) -> int:
        """Stripe's fee on ``amount`` (minor units of the settlement ``currency``), plus the
        conversion fee when the payment was converted into it.

        The fixed part is priced in US cents (``fee_fixed``). Stripe's US pricing page names
        no fixed fee for other settlement currencies (each country has its own pricing page,
        Japan's for one has none), so the emulator charges the same 30 cents converted at
        its own rate into that currency's own unit: 45 yen, not 30 (``fx.USD_PER_UNIT``)."""
        percent = self.fee_percent + (self.conversion_fee_percent if converted else 0.0)
        return int(amount * percent / 100 + 0.5) + self.in_currency(self.fee_fixed, currency)

    def dispute_fee_in(self, currency: str) -> int:
        """The dispute fee (``dispute_fee``, US cents) on a balance in ``currency``: priced
        in US cents like the card fee's fixed part, and converted the same way (2239 yen)."""
        return self.in_currency(self.dispute_fee, currency)

    @staticmethod
    def in_currency(us_cents: int, currency: str) -> int:
        """A fee Stripe prices in US cents, in minor units of the settlement ``currency``."""
        return fx.convert(us_cents, "usd", currency)
