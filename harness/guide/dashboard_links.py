"""Where the guide says "in your Dashboard": a clickable link to that page, for notebooks
00, 01, 03, 05, 06 and 07.

On the emulator the way in is a fresh single-use login link into the platform's Dashboard
(``lab.dashboard_url``): it works once, for five minutes, then the browser stays logged in
with a cookie. A notebook never stores one (a link token has no place in a committed
notebook): the cell shows a button, and clicking it makes the link there and then. In test
mode it is the same page on dashboard.stripe.com, where you log in as usual: a plain link.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def dashboard_link(lab: Lab, page: str = "", label: str | None = None) -> Any:
    """A way to ``page`` of the platform's Dashboard (``""``, ``"connect/accounts"``,
    ``"payments/pi_…"``, ``"settings/connect"``, …; see ``harness.lab.session``): the link
    itself in test mode, a button that makes a single-use login link on the emulator."""
    label = label or title(page)
    if not lab.config.is_emulator:
        return DashboardLink(lab.dashboard_url(page), label, single_use=False)
    return DashboardButton(lambda: lab.dashboard_url(page), label)


class DashboardButton:
    """"Open the Dashboard" as a button: each click makes a fresh single-use login link
    and shows it beside the button (the stored notebook holds only the button)."""

    def __init__(self, mint: Callable[[], str], label: str) -> None:
        import ipywidgets as widgets

        self.label = label
        self._mint = mint
        self.button = widgets.Button(description="Open the Dashboard",
                                     tooltip=f"a single-use login link to {label}",
                                     icon="external-link")
        self.link = widgets.HTML()
        self.button.on_click(lambda _: self.click())
        self.widget = widgets.HBox([self.button, widgets.HTML(f"&nbsp;{html.escape(label)}"),
                                    self.link])

    def click(self) -> DashboardLink:
        """Make a link (what the button does), show it, and return it."""
        made = DashboardLink(self._mint(), self.label, single_use=True)
        self.link.value = f"&nbsp;→ {made._repr_html_()}"
        return made

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:  # no link in plain text: it would be stored
        return f"Dashboard → {self.label}: press the button for a single-use login link"

    __str__ = __repr__
