"""The month's charts, drawn from its figures."""

from __future__ import annotations

from typing import Any

from ..charts import pyplot


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
