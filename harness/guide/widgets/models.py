"""The widgets' models, as in jupyter-widgets/tutorial: plain Python that holds the state
and does the work. They import no ipywidgets, so tests and a terminal use them directly, and
each one's :meth:`text` is its plain-text view.

The fee model computes with the very functions the money goes through: the platform's
``application_fee(amount, percent)`` (``harness.platform.app``) and the emulator's
``Settings.stripe_fee`` rule (2.9 % + 30 cents, rounded half up), through the emulator's public
``Settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...books.formatting import usd
from ...emulator import Settings
from ...lab import Lab
from ...platform.app import FEE_PERCENT, application_fee

__all__ = ["FeeBreakdown", "FeeModel"]


class _Watchers:
    """Callbacks a model calls when its state changes (the view subscribes here)."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Any], None]] = []

    def on_change(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.append(callback)

    def _changed(self) -> None:
        for callback in list(self._callbacks):
            callback(self)



# == fee calculator ============================================================================
@dataclass(frozen=True)
class FeeBreakdown:
    """Who gets what from one destination charge, in cents."""

    amount: int
    fee_percent: float
    stripe_fee: int
    application_fee: int

    @property
    def platform_net(self) -> int:
        """The application fee less Stripe's fee (which comes out of the platform's share)."""
        return self.application_fee - self.stripe_fee

    @property
    def homeowner_net(self) -> int:
        return self.amount - self.application_fee

    def rows(self) -> list[tuple[str, int]]:
        return [("renter pays", self.amount),
                ("Stripe's fee", self.stripe_fee),
                (f"platform fee ({self.fee_percent:g} %)", self.application_fee),
                ("platform net", self.platform_net),
                ("homeowner net", self.homeowner_net)]


class FeeModel(_Watchers):
    """The fee rule and one amount. ``settings`` is the emulator's fee settings (Stripe's
    percent and fixed part); by default Stripe's standard US card pricing."""

    def __init__(self, amount: int = 1000, fee_percent: float = FEE_PERCENT,
                 settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.amount = amount
        self.fee_percent = fee_percent

    @classmethod
    def for_lab(cls, lab: Lab, **kwargs: Any) -> FeeModel:
        """Stripe's fee as this lab's emulator charges it (test mode: the standard pricing)."""
        settings = None
        if lab.config.is_emulator:  # over HTTP: the emulator may be a workshop's, elsewhere
            from ...lab.emulator_controls import platform_info

            pricing = platform_info(lab.api_base, lab.config.secret_key)["pricing"]
            settings = Settings(fee_percent=pricing["fee_percent"],
                                fee_fixed=pricing["fee_fixed"])
        return cls(settings=settings, **kwargs)

    def set(self, amount: int | None = None, fee_percent: float | None = None) -> FeeBreakdown:
        if amount is not None:
            if amount < 0:
                raise ValueError("amount must not be negative")
            self.amount = int(amount)
        if fee_percent is not None:
            if not 0 <= fee_percent <= 100:
                raise ValueError("fee_percent must be between 0 and 100")
            self.fee_percent = float(fee_percent)
        self._changed()
        return self.breakdown()

    def breakdown(self, amount: int | None = None) -> FeeBreakdown:
        amount = self.amount if amount is None else amount
        return FeeBreakdown(amount=amount, fee_percent=self.fee_percent,
                            stripe_fee=self.settings.stripe_fee(amount),
                            application_fee=application_fee(amount, self.fee_percent))

    @property
    def rule(self) -> str:
        return (f"Stripe {self.settings.fee_percent:g} % + {self.settings.fee_fixed} cents, "
                f"platform {self.fee_percent:g} %, rounded half up")

    def text(self) -> str:
        b = self.breakdown()
        lines = [f"Fee calculator: {self.rule}"]
        lines += [f"  {name:24} {cents:>9}  {usd(cents):>11}" for name, cents in b.rows()]
        if b.platform_net < 0:
            lines.append("  (the platform loses money: its fee is smaller than Stripe's)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()
