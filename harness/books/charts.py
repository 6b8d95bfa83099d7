"""matplotlib pictures of the money: balance over time, and one destination charge as
waterfalls. Each returns a closed Figure, so Jupyter shows it exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import stripe

from .formatting import usd
from .tables import DestinationCharge, balance_history

__all__ = ["balance_chart", "flow_chart", "pyplot"]


def balance_chart(
    client: stripe.StripeClient, account: str | None = None, name: str = "Account",
    currency: str = "usd", until: int | None = None,
):
    """A step chart of :func:`balance_history`: available versus pending over time.

    Returns the matplotlib Figure (already closed, so Jupyter shows it exactly once).
    """
    plt = pyplot()
    history = balance_history(client, account, currency, until)
    fig, ax = plt.subplots(figsize=(10, 4))
    times = list(history.index)
    if times:  # hold the last level a little, so the final step shows as a line
        span = (times[-1] - times[0]) if len(times) > 1 else timedelta(days=1)
        times.append(times[-1] + max(span / 20, timedelta(hours=1)))
    for column, colour in (("available", "#2e7d32"), ("pending", "#ef6c00")):
        values = [v / 100 for v in history[column]]
        values += values[-1:]
        ax.step(times, values, where="post", color=colour, linewidth=2, label=column)
        ax.fill_between(times, values, step="post", color=colour, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("dollars" if currency == "usd" else currency.upper())
    ax.set_title(f"{name}: balance over time, rebuilt from balance transactions", fontsize=11)
    ax.legend(loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig


# -- the picture ---------------------------------------------------------------------------
def pyplot() -> Any:
    """Import pyplot without its one-off "building the font cache" warning on a fresh
    machine, which would otherwise land in (and change) a notebook's stored output."""
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        import matplotlib.pyplot as plt
    finally:
        logger.setLevel(level)
    return plt


def _label(cents: int) -> str:
    return usd(cents).replace("$", r"\$")  # a bare $ would start mathtext


def _waterfall(ax: Any, title: str, steps: list[tuple[str, int]], total: str) -> None:
    level, labels = 0, []
    for i, (label, delta) in enumerate(steps):
        bottom = level if delta >= 0 else level + delta
        ax.bar(i, abs(delta), bottom=bottom, width=0.6,
               color="#2e7d32" if delta >= 0 else "#c62828")
        ax.text(i, bottom + abs(delta), ("+" if delta >= 0 else "-") + _label(abs(delta)),
                ha="center", va="bottom", fontsize=9)
        if i:  # connector from the previous bar's level
            ax.plot([i - 0.7, i - 0.3], [level, level], color="#9e9e9e", linewidth=0.8)
        level += delta
        labels.append(label)
    n = len(steps)
    ax.plot([n - 0.7, n - 0.3], [level, level], color="#9e9e9e", linewidth=0.8)
    ax.bar(n, level, color="#1565c0", width=0.6)
    ax.text(n, max(level, 0), _label(level), ha="center", va="bottom", fontsize=9,
            fontweight="bold")
    labels.append(total)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)


def flow_chart(dc: DestinationCharge, homeowner: str = "Homeowner"):
    """Two waterfalls on one scale: the platform's ledger and the homeowner's, for one charge.

    Returns the matplotlib Figure (already closed, so Jupyter shows it exactly once).
    """
    plt = pyplot()

    charge_bt = dc.charge.balance_transaction
    platform = [("renter pays", charge_bt.amount), ("Stripe's fee", -dc.stripe_fee),
                ("transfer out", dc.transfer.balance_transaction.net)]
    if dc.application_fee is not None:
        platform.append(("application fee", dc.application_fee.balance_transaction.net))
    payment_bt = dc.payment.balance_transaction
    owner = [("transfer in", payment_bt.amount)]
    if payment_bt.fee:
        owner.append(("application fee", -payment_bt.fee))

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True,
                                      width_ratios=[len(platform) + 1, len(owner) + 1.5])
    _waterfall(left, "Platform", platform, "platform net")
    left.set_ylabel("cents")
    _waterfall(right, homeowner, owner, "homeowner net")
    left.margins(y=0.12)
    fig.suptitle(f"Where the renter's {_label(charge_bt.amount)} goes: Stripe "
                 f"{_label(dc.stripe_fee)}, platform {_label(dc.platform_net)}, homeowner "
                 f"{_label(dc.homeowner_net)}", fontsize=12)
    fig.tight_layout()
    plt.close(fig)
    return fig
