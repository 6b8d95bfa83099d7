"""Formatting for reading Stripe's numbers: cents as dollars, Unix times as dates, secrets
as their harmless head."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["day", "masked_secret", "usd", "when"]


def usd(cents: int | None) -> str:
    """1234 -> "$12.34", -59 -> "-$0.59"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def day(timestamp: int | None) -> str:
    """A Unix time as a UTC date (what ``available_on`` means)."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def when(timestamp: int) -> str:
    """A Unix time as ``2026-01-02 00:00 UTC`` (for the emulator's clock, say)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def masked_secret(secret: str | None) -> str:
    """Show that a client_secret exists without showing it: ``pi_123_secret_…``."""
    if not secret:
        return "(none)"
    head, sep, _ = secret.partition("_secret_")
    return f"{head}_secret_…" if sep else "…"

