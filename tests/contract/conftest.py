"""The contract tests' backend: the session emulator (default) or real Stripe test mode.

``pytest --backend=stripe tests/contract`` runs these tests against the account of
``STRIPE_SECRET_KEY`` (sk_test_ only: live keys stop the run before it starts). Without a key
each test skips, saying so. Everything a test creates on Stripe is tagged
``metadata[connect_lab]=1`` and deleted afterwards (``python -m harness clean-stripe`` sweeps
what a crashed run left behind).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe

from harness.lab import STRIPE_API_BASE, Lab, emulator_keys
from harness.lab import config as config_mod
from harness.tools import drift

from ..conftest import make_client

NO_KEY = ("--backend=stripe needs STRIPE_SECRET_KEY=sk_test_... (see .env.example); no key "
          "is set, so the contract tests against Stripe test mode are skipped")
NEEDS_A_PERSON = ("needs a person to complete onboarding: an Express homeowner finishes "
                  "Stripe-hosted onboarding in a browser (the emulator automates this step)")
TAG = dict(drift.TAG)


@dataclass
class Backend:
    """What a contract test needs: an SDK client and lab-like helpers that do, on each
    backend, the honest thing (automate on the emulator; on Stripe, use what Stripe documents
    for tests, or skip when a person is needed)."""

    name: str
    lab: Lab
    created: list[str] = field(default_factory=list)

    @property
    def client(self) -> stripe.StripeClient:
        return self.lab.client

    @property
    def is_emulator(self) -> bool:
        return self.name == "emulator"

    def express_account(self, **extra: Any) -> stripe.Account:
        """An Express homeowner as the guide creates one, tagged for clean-up."""
        account = self.client.v1.accounts.create({
            "type": "express", "country": "US", "email": "homeowner@example.com",
            "capabilities": {"card_payments": {"requested": True},
                             "transfers": {"requested": True}},
            "metadata": TAG, **extra})
        self.created.append(account.id)
        return account

    def complete_onboarding(self, account_id: str) -> None:
        """The homeowner finishes hosted onboarding: at once on the emulator (the lab's
        control); in test mode only a person can, so the test skips."""
        if not self.is_emulator:
            pytest.skip(NEEDS_A_PERSON)
        self.lab.complete_onboarding(account_id)

    def custom_test_account(self) -> dict[str, Any]:
        """A homeowner enabled without a person: requirements supplied through the API with
        Stripe's documented test values (see ``harness.tools.drift.test_account_params``)."""
        try:
            account = self.client.v1.accounts.create(drift.test_account_params())
        except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
            if self.is_emulator:
                raise
            # e.g. a platform whose Connect platform profile is not complete may not create
            # accounts whose requirements it collects: a set-up matter, not a contract one
            pytest.skip(f"Stripe refused a platform-collected test account: {exc}")
        self.created.append(account.id)
        try:
            return drift.wait_until_enabled(self.client, account.id,
                                            timeout=0 if self.is_emulator else 30)
        except drift.NotEnabled as exc:
            if self.is_emulator:
                raise
            pytest.skip(f"Stripe did not enable the test account in time: {exc}")

    def homeowner(self) -> str:
        """A connected account that can receive transfers: the guide's Express account with
        onboarding completed on the emulator; in test mode, where Express onboarding needs a
        person, a platform-collected account filled with documented test values."""
        if self.is_emulator:
            account = self.express_account()
            self.complete_onboarding(account.id)
            return account.id
        return self.custom_test_account()["id"]

    def clean_up(self) -> None:
        if self.is_emulator:
            return  # the emulator's platform is this test's alone
        for account_id in self.created:
            try:
                self.client.v1.accounts.delete(account_id)
            except stripe.StripeError:
                pass  # `python -m harness clean-stripe` finds it later by its tag


@pytest.fixture
def backend(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Backend]:
    name = pytestconfig.getoption("--backend")
    if name == "stripe":
        if not os.environ.get("STRIPE_SECRET_KEY", "").strip():
            pytest.skip(NO_KEY)
        cfg = config_mod.from_env()
        client = stripe.StripeClient(cfg.secret_key, max_network_retries=2)
        lab = Lab(cfg, STRIPE_API_BASE, client)
    else:
        server = request.getfixturevalue("emulator_server")
        key = request.getfixturevalue("api_key")
        cfg = config_mod.Config("emulator", key,
                               emulator_keys(server.url, key)["publishable_key"])
        lab = Lab(cfg, server.url, make_client(server, key), server.emulator)
    backend = Backend(name, lab)
    yield backend
    backend.clean_up()
