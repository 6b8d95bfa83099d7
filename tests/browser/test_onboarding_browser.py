"""A real (headless) Chromium clicks through Stripe's hosted OAuth form and the Account Link
form on the emulator, and both end with a saved, enabled connected account."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from harness.guide import onboarding_steps as onboarding
from harness.lab import Lab, emulator_keys
from harness.lab.chromium import chromium_path
from harness.lab.config import Config
from harness.lab.platform_server import PlatformHandle
from harness.lab.server import BackgroundServer

from ..conftest import make_client


def _have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return bool(chromium_path() or shutil.which("chromium"))


pytestmark = pytest.mark.skipif(not _have_browser(), reason="Playwright or Chromium missing")


@pytest.fixture(scope="module", autouse=True)
def _one_browser() -> Iterator[None]:
    yield
    onboarding.close_browser()  # the helpers share one Chromium; close it after this module


@pytest.fixture
def lab(emulator_server: BackgroundServer, api_key: str) -> Lab:
    """A Lab on the shared emulator, as its own platform (no global SDK state touched)."""
    config = Config("emulator", api_key,
                    emulator_keys(emulator_server.url, api_key)["publishable_key"])
    return Lab(config, emulator_server.url, make_client(emulator_server, api_key),
               emulator_server.emulator)  # type: ignore[attr-defined]


@pytest.fixture
def platform(lab: Lab) -> Iterator[PlatformHandle]:
    handle = onboarding.start_platform(lab)
    yield handle
    handle.stop()


def test_oauth_form_in_a_browser_saves_an_enabled_account(lab: Lab,
                                                          platform: PlatformHandle) -> None:
    outcome = onboarding.complete_oauth(lab, platform, "ho_001")
    account_id = onboarding.saved_account(platform, "ho_001")
    assert account_id and account_id.startswith("acct_")
    # a real browser asks for HTML: Maya reads that she is connected, not a JSON body
    assert (outcome.status, outcome.body["page"]) == (200, "You're connected")
    assert f"your Stripe account {account_id} is connected" in outcome.body["says"]
    account = lab.client.v1.accounts.retrieve(account_id)
    assert account.type == "express" and account.email == "maya.chen@example.com"
    assert account.charges_enabled and account.payouts_enabled
    assert account.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}


def test_deny_in_a_browser_saves_nothing(lab: Lab, platform: PlatformHandle) -> None:
    outcome = onboarding.complete_oauth(lab, platform, "ho_002", deny=True)
    assert outcome.status == 400 and outcome.body["error"] == "access_denied"
    assert onboarding.saved_account(platform, "ho_002") is None


def test_account_link_form_in_a_browser_enables_the_account(lab: Lab,
                                                            platform: PlatformHandle) -> None:
    early = onboarding.complete_account_link(lab, platform, "ho_003", leave_early=True)
    assert early.details["status"] == "incomplete" and early.details["due_before"] > 0
    done = onboarding.complete_account_link(lab, platform, "ho_003", start="/onboard/refresh")
    assert done.details["status"] == "complete"
    account_id = onboarding.saved_account(platform, "ho_003")
    assert done.details["account"] == account_id
    account = lab.client.v1.accounts.retrieve(account_id)
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.requirements.currently_due == []
