"""Reading Stripe back, on any backend: ``formatting`` (cents, dates), ``tables`` (pandas views
of the objects behind the money), ``charts`` (matplotlib), the sample ``marketplace`` and the
simulated ``month``. Only ordinary ``stripe`` SDK calls, so the same views work on test mode.

The names of ``formatting``, ``tables`` and ``charts`` are gathered here, so a notebook reads
them from one namespace (``from harness import books as insp``)."""

from __future__ import annotations

from .charts import balance_chart, flow_chart, pyplot
from .formatting import day, masked_secret, usd, when
from .tables import (
    DestinationCharge,
    Movement,
    application_fees,
    balance_change,
    balance_history,
    balance_summary,
    balance_transactions,
    balances,
    capture_events,
    captured_charge,
    compare,
    compare_trails,
    destination_charge,
    dispute_of,
    disputes,
    links_table,
    money_table,
    money_trail,
    objects_table,
    payment_method_settings,
    payment_summary,
    payouts,
    refunds,
    transfer_reversals,
    transfers,
)

__all__ = [
    "DestinationCharge", "Movement", "application_fees", "balance_change", "balance_chart",
    "balance_history", "balance_summary", "balance_transactions", "balances", "capture_events",
    "captured_charge", "compare", "compare_trails", "day", "destination_charge", "dispute_of",
    "disputes", "flow_chart", "links_table", "masked_secret", "money_table", "money_trail",
    "objects_table", "payment_method_settings", "payment_summary", "payouts", "pyplot",
    "refunds", "transfer_reversals", "transfers", "usd", "when",
]
