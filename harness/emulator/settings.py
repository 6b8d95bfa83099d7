"""Tunable behaviour of the emulator: fees, versions, seeds."""

from __future__ import annotations

from dataclasses import dataclass

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
    # Days until card funds are available (Stripe's first-payout hold is 7 days in test mode).
    payout_delay_days: int = 7
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

    def stripe_fee(self, amount: int) -> int:
        """Round half up, as Stripe rounds fees to the cent: 1000 -> 59."""
        return int(amount * self.fee_percent / 100 + 0.5) + self.fee_fixed
