"""``pytest --backend=stripe``: without a key every contract test skips with the reason,
a live key stops the run, and the test-mode helpers take the honest path (checked here
against the emulator standing in for Stripe, as this machine has no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.lab import Lab, emulator_keys
from harness.lab.config import Config

from ..conftest import make_client
from ..contract.conftest import NEEDS_A_PERSON, NO_KEY, Backend

ROOT = Path(__file__).resolve().parents[2]


def _pytest(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    if key is not None:
        env["STRIPE_SECRET_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:nbval", "-q", "-rs", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_stripe_backend_without_a_key_skips_every_contract_test() -> None:
    done = _pytest("--backend=stripe", "tests/contract", "tests/tools/test_drift.py")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " skipped" in summary and "passed" not in summary and "failed" not in summary
    assert "deselected" in summary  # test_drift.py is not a contract test
    assert NO_KEY in " ".join(done.stdout.split())


def test_stripe_backend_refuses_a_live_key() -> None:
    done = _pytest("--backend=stripe", "tests/contract", key="sk_live_" + "z" * 24)
    assert done.returncode != 0
    assert "live-mode key" in done.stderr + done.stdout


def _stripe_like(server: Any, key: str) -> Backend:
    """A Backend taking the test-mode paths, pointed at the emulator."""
    cfg = Config("stripe", key, emulator_keys(server.url, key)["publishable_key"])
    return Backend("stripe", Lab(cfg, server.url, make_client(server, key)))


def test_in_test_mode_express_onboarding_skips_for_a_person(
    emulator_server: Any, api_key: str
) -> None:
    backend = _stripe_like(emulator_server, api_key)
    account = backend.express_account()
    with pytest.raises(pytest.skip.Exception, match="needs a person to complete onboarding"):
        backend.complete_onboarding(account.id)
    assert NEEDS_A_PERSON.startswith("needs a person to complete onboarding")


def test_in_test_mode_the_homeowner_is_a_test_values_account_and_is_deleted(
    emulator_server: Any, api_key: str
) -> None:
    backend = _stripe_like(emulator_server, api_key)
    homeowner = backend.homeowner()
    account = backend.client.v1.accounts.retrieve(homeowner)
    assert account.type == "custom" and account.capabilities.transfers == "active"
    assert account.metadata.to_dict() == {"connect_lab": "1"}
    backend.clean_up()
    assert backend.client.v1.accounts.list().data == []
