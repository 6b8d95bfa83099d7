"""The notebooks' Dashboard links: clickable in Jupyter, the address in plain text, and
honest about being single-use on the emulator."""

from __future__ import annotations

import html

import stripe

from harness.guide.dashboard_links import dashboard_link, title
from harness.lab import Lab
from harness.lab.config import Config
from harness.lab.session import STRIPE_API_BASE


def test_titles_follow_the_guides_names() -> None:
    assert title("") == "Home"
    assert title("settings/connect") == "Settings → Connect"
    assert title("connect/accounts/acct_1") == "Connect → Accounts → acct_1"


def test_test_mode_link_is_the_real_dashboard() -> None:
    key = "sk_test_" + "y" * 24
    lab = Lab(Config("stripe", key, "pk_test_y"), STRIPE_API_BASE, stripe.StripeClient(key))
    link = dashboard_link(lab, "connect/accounts")
    assert repr(link) == ("Dashboard → Connect → Accounts: "
                          "https://dashboard.stripe.com/test/connect/accounts/overview")
    assert 'href="https://dashboard.stripe.com/test/connect/accounts/overview"' in \
        link._repr_html_()
    assert "single-use" not in link._repr_html_()


def test_emulator_link_is_single_use(emulator_server, api_key: str) -> None:
    from harness.lab import emulator_keys

    from ..conftest import make_client

    config = Config("emulator", api_key, emulator_keys(emulator_server.url, api_key)
                    ["publishable_key"])
    lab = Lab(config, emulator_server.url, make_client(emulator_server, api_key))
    shown = dashboard_link(lab, "payments")
    # what a notebook stores holds no link token, only the button
    assert repr(shown) == "Dashboard → Payments: press the button for a single-use login link"
    assert "token" not in repr(shown) and shown.link.value == ""
    shown.button.click()  # the learner presses it: a fresh link appears beside it
    link = shown.click()
    assert link.single_use and "/dashboard/acct_" in link.url and "/login?token=" in link.url
    assert "single-use" in link._repr_html_() and link.url in html.unescape(shown.link.value)
    first = html.unescape(shown.link.value)
    shown.button.click()
    assert html.unescape(shown.link.value) != first  # each press makes a new one
