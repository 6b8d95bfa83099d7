"""Where the guide says "in your Dashboard": a clickable link to that page, for notebooks
00, 01, 03, 05, 06 and 07.

On the emulator the link is a fresh single-use login link into the platform's Dashboard
(``lab.dashboard_url``): it works once, for five minutes, then the browser stays logged in
with a cookie; run the cell again for a new one. In test mode it is the same page on
dashboard.stripe.com, where you log in as usual.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..lab import Lab

# What each Dashboard page is called, as the guide names it.
TITLES = {
    "": "Home",
    "payments": "Payments",
    "balance": "Balances",
    "connect/accounts": "Connect → Accounts",
    "developers": "Developers → API keys",
    "developers/logs": "Developers → Logs",
    "developers/webhooks": "Developers → Webhooks",
    "developers/events": "Developers → Events",
    "settings/connect": "Settings → Connect",
}
_OBJECTS = {"payments": "Payments", "disputes": "Payments → Disputes",
            "connect/accounts": "Connect → Accounts", "developers/webhooks": "Webhooks",
            "developers/events": "Events"}


def title(page: str) -> str:
    """``"connect/accounts/acct_1"`` → ``"Connect → Accounts → acct_1"``."""
    page = page.strip("/")
    if page in TITLES:
        return TITLES[page]
    head, _, rest = page.rpartition("/")
    return f"{_OBJECTS.get(head, head)} → {rest}"


@dataclass(frozen=True)
class DashboardLink:
    """A link a notebook shows: clickable in Jupyter, the address itself in plain text."""

    url: str
    label: str
    single_use: bool

    def _repr_html_(self) -> str:
        note = " <small>(single-use: run the cell again for a new link)</small>" \
            if self.single_use else ""
        return (f'<a href="{html.escape(self.url)}" target="_blank" rel="noopener noreferrer">'
                f"Open the Dashboard: {html.escape(self.label)}</a>{note}")

    def __repr__(self) -> str:
        return f"Dashboard → {self.label}: {self.url}"

    __str__ = __repr__


def dashboard_link(lab: Lab, page: str = "", label: str | None = None) -> DashboardLink:
    """A link to ``page`` of the platform's Dashboard (``""``, ``"connect/accounts"``,
    ``"payments/pi_…"``, ``"settings/connect"``, …; see ``harness.lab.session``)."""
    return DashboardLink(lab.dashboard_url(page), label or title(page),
                         single_use=lab.config.is_emulator)
