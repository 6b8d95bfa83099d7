"""A month of the marketplace: thousands of bookings, then the books closed to the cent.

Three steps, each a short call from notebook 08:

1. **Plan** (:func:`build_marketplace`, :func:`plan_bookings`): about 50 homeowners and 500
   listings, grown from ``data/`` with a seeded random generator, and a month of bookings:
   which listing, how many nights, which test card, and what happens later (a cancellation,
   a partial refund, a goodwill credit, a dispute). Pure Python, no Stripe: the same seed
   always gives the same month.
2. **Run** (:func:`run_month`): each booking is a destination charge made with the ``stripe``
   SDK, as the platform's checkout would make it; refunds and dispute answers happen on
   their day; the clock moves one day at a time (``lab.advance_clock``), so funds become
   available and the homeowners' automatic daily payouts run.
3. **Close the books** (:func:`read_books`, :func:`reconcile` and the reports): every
   balance transaction, payout, dispute and balance is read back through the API, and the
   figures are checked against each other and against what the platform recorded.

Money is in cents throughout. The platform's fee is computed by the platform's own rule
(``harness.platform.app.application_fee``), never re-implemented here.
"""

from __future__ import annotations

from .month_charts import fee_share_chart, payout_timing_chart, revenue_chart
from .month_figures import (
    fee_share,
    homeowner_report,
    payout_timing,
    platform_summary,
    reconcile,
    weekly_revenue,
)
from .month_plan import (
    DAY,
    DECLINING_CARDS,
    DISPUTE_CARD,
    RETURN_URL,
    SUCCEEDING_CARDS,
    THREE_D_SECURE,
    Marketplace,
    MonthConfig,
    PlannedBooking,
    build_marketplace,
    default_config,
    plan_bookings,
    plan_table,
)
from .month_reading import Books, read_books
from .month_reports import export_reports
from .month_run import BookingRecord, Month, outcomes, progress, run_month

__all__ = [
    "DAY", "DECLINING_CARDS", "DISPUTE_CARD", "RETURN_URL", "SUCCEEDING_CARDS", "THREE_D_SECURE",
    "Books", "BookingRecord", "Marketplace", "Month", "MonthConfig", "PlannedBooking",
    "build_marketplace", "default_config", "export_reports", "fee_share", "fee_share_chart",
    "homeowner_report", "outcomes", "payout_timing", "payout_timing_chart", "plan_bookings",
    "plan_table", "platform_summary", "progress", "read_books", "reconcile", "revenue_chart",
    "run_month", "weekly_revenue",
]
