"""The month's reports, exported as CSV files for a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..formatting import day
from .month_figures import (
    homeowner_report,
    payout_timing,
    platform_summary,
    reconcile,
    weekly_revenue,
)
from .month_plan import REPORTS, ROOT
from .month_reading import Books
from .month_run import Month


# -- reports --------------------------------------------------------------------------------------
def export_reports(month: Month, books: Books, directory: Path | str = REPORTS) -> Any:
    """Write the month's CSV reports; returns a table of the files written (path relative to
    the repository when it is inside it, so the output reads the same everywhere)."""
    import pandas as pd

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    start = month.started
    owners = homeowner_report(month, books)
    tables: dict[str, Any] = {
        "bookings.csv": pd.DataFrame([r.row(start) for r in month.bookings]),
        "homeowners.csv": owners.reset_index(),
        "platform.csv": platform_summary(books).reset_index(),
        "weekly_revenue.csv": weekly_revenue(books).reset_index(),
        "payouts.csv": _payouts_table(books),
        "payout_timing.csv": payout_timing(month, books).reset_index(),
        "reconciliation.csv": reconcile(month, books, owners).reset_index(),
        "balance_transactions.csv": _transactions_table(books),
    }
    written = []
    for name, table in tables.items():
        path = folder / name
        table.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        try:
            shown = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            shown = path.as_posix()
        written.append({"file": shown, "rows": len(table), "columns": len(table.columns)})
    return pd.DataFrame(written).set_index("file")


def _payouts_table(books: Books) -> Any:
    table = books.payouts.copy()
    table["created"] = [day(t) for t in table["created"]]
    table["arrival_date"] = [day(t) for t in table["arrival_date"]]
    return table


def _transactions_table(books: Books) -> Any:
    table = books.transactions.copy()
    table["created"] = [day(t) for t in table["created"]]
    table["available_on"] = [day(t) for t in table["available_on"]]
    return table
