"""``lab.dashboard_url()``: on the emulator a fresh single-use link into the platform's own
Dashboard (a workshop learner's too, over HTTP); in test mode the same page on
dashboard.stripe.com."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import stripe

import harness
from harness.emulator import Emulator
from harness.lab import Lab
from harness.lab.config import Config
from harness.lab.server import BackgroundServer
from harness.lab.session import STRIPE_API_BASE, stripe_dashboard_url


@pytest.fixture(scope="module")
def room() -> Iterator[BackgroundServer]:
    with BackgroundServer(Emulator()) as server:
        yield server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _open(url: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_each_call_is_a_fresh_single_use_link(room: BackgroundServer) -> None:
    lab = harness.start(env={"CONNECT_LAB_API_BASE": room.url,
                             "STRIPE_SECRET_KEY": "sk_test_dashboard-learner"})
    first, second = lab.dashboard_url("connect/accounts"), lab.dashboard_url()
    assert first != second
    assert first.startswith(f"{room.url}/dashboard/{lab.platform_id}/login?token=")
    assert _open(first) == 303  # logs in, once
    assert _open(first) == 410
    assert _open(second) == 303


def test_an_unknown_page_is_refused_on_both_backends(room: BackgroundServer) -> None:
    lab = harness.start(env={"CONNECT_LAB_API_BASE": room.url,
                             "STRIPE_SECRET_KEY": "sk_test_dashboard-learner"})
    with pytest.raises(ValueError, match="No Dashboard page"):
        lab.dashboard_url("no/such/page")


@pytest.mark.parametrize(("page", "url"), [
    ("", "https://dashboard.stripe.com/test/dashboard"),
    ("connect/accounts", "https://dashboard.stripe.com/test/connect/accounts/overview"),
    ("connect/accounts/acct_123", "https://dashboard.stripe.com/test/connect/accounts/acct_123"),
    ("payments/pi_123", "https://dashboard.stripe.com/test/payments/pi_123"),
    ("balance", "https://dashboard.stripe.com/test/balance/overview"),
    ("disputes/dp_1", "https://dashboard.stripe.com/test/disputes/dp_1"),
    ("developers/webhooks", "https://dashboard.stripe.com/test/webhooks"),
    ("developers/events/evt_1", "https://dashboard.stripe.com/test/events/evt_1"),
    ("settings/connect", "https://dashboard.stripe.com/test/settings/connect"),
])
def test_test_mode_gives_the_real_dashboards_address(page: str, url: str) -> None:
    lab = Lab(Config("stripe", "sk_test_" + "x" * 24, "pk_test_x"), STRIPE_API_BASE,
              stripe.StripeClient("sk_test_" + "x" * 24))
    assert lab.dashboard_url(page) == url == stripe_dashboard_url(page)


def test_a_dashboard_link_moves_no_seeded_id() -> None:
    """A notebook may show a Dashboard link anywhere: the IDs after it stay as stored."""
    from harness.emulator import Settings

    from ..conftest import make_client

    made = []
    for with_link in (False, True):
        with BackgroundServer(Emulator(settings=Settings(seed=7))) as server:
            key = "sk_test_seeded-notebook"
            client = make_client(server, key)
            first = client.v1.customers.create({"email": "a@example.com"}).id
            if with_link:
                lab = Lab(Config("emulator", key, "pk_test_x"), server.url, client)
                _open(lab.dashboard_url())  # the link, and a browser logging in with it
            made.append((first, client.v1.customers.create({"email": "b@example.com"}).id))
    assert made[0] == made[1]
