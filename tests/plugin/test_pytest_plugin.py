"""The ``stripe_emulator`` fixture, driven the way a user's suite uses it (pytester runs a
suite in a fresh pytest session, with the plugin named by ``-p`` as where entry points are
off)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.emulator import Emulator
from harness.lab.server import BackgroundServer
from harness.pytest_plugin import _worker_db

pytest_plugins = ["pytester"]
EXAMPLE = Path(__file__).parent / "example"


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=source)
    return pytester.runpytest_subprocess("-p", "harness.pytest_plugin", "-q", *args)


def test_the_example_suite_passes(pytester: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE / "test_marketplace.py", pytester.path / "test_marketplace.py")
    result = pytester.runpytest_subprocess("-p", "harness.pytest_plugin", "-q")
    result.assert_outcomes(passed=3)


def test_keys_clock_onboarding_and_events(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import stripe

def test_it(stripe_emulator):
    e = stripe_emulator
    assert e.secret_key.startswith("sk_test_") and e.publishable_key.startswith("pk_test_")
    assert e.publishable_key[8:] not in e.secret_key
    account = e.client.v1.accounts.create({"type": "express", "country": "US"})
    assert account.charges_enabled is False
    e.complete_onboarding(account.id)
    assert e.client.v1.accounts.retrieve(account.id).charges_enabled is True
    before = e.now()
    assert e.advance_clock(3 * 86400) == before + 3 * 86400
    assert "account.updated" in [event.type for event in e.events(account=account.id)]
    customer = e.client.v1.customers.create({"name": "Renter"})
    [created] = e.events("customer.created")
    assert created.data.object.id == customer.id
    intent = e.client.v1.payment_intents.create({"amount": 700, "currency": "usd"})
    # Stripe.js reads a PaymentIntent with the publishable key and its client secret
    pk = stripe.StripeClient(e.publishable_key, base_addresses={"api": e.api_base})
    seen = pk.v1.payment_intents.retrieve(intent.id, {"client_secret": intent.client_secret})
    assert seen.amount == 700
    logged = e.requests[-1]
    assert (logged.method, logged.key_type, logged.status) == ("GET", "publishable", 200)
    assert logged.params == {"client_secret": "***"}
""")
    result.assert_outcomes(passed=1)


def test_two_tests_never_share_a_platform(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_it(stripe_emulator, n):
    assert stripe_emulator.client.v1.customers.list().data == []
    stripe_emulator.client.v1.customers.create({"name": f"renter {n}"})
    assert len(stripe_emulator.client.v1.customers.list().data) == 1
""")
    result.assert_outcomes(passed=3)


def test_api_version_option_sets_the_platforms_default(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(stripe_emulator):
    e = stripe_emulator
    e.client.v1.customers.create({})
    [event] = e.events("customer.created")
    assert event.api_version == "2025-03-31.basil"
""", "--stripe-api-version", "2025-03-31.basil")
    result.assert_outcomes(passed=1)


def test_db_option_keeps_the_session_in_that_file(pytester: pytest.Pytester,
                                                   tmp_path: Path) -> None:
    db = tmp_path / "stripe.db"
    result = run(pytester, """
def test_it(stripe_emulator):
    stripe_emulator.client.v1.customers.create({"name": "kept"})
""", "--stripe-emulator-db", str(db))
    result.assert_outcomes(passed=1)
    assert db.stat().st_size > 0


def test_url_option_uses_a_running_emulator(pytester: pytest.Pytester) -> None:
    emulator = Emulator()
    with BackgroundServer(emulator) as server:
        result = run(pytester, f"""
def test_it(stripe_emulator):
    assert stripe_emulator.api_base == "{server.url}"
    stripe_emulator.client.v1.customers.create({{"name": "outside"}})
""", "--stripe-emulator-url", server.url)
        result.assert_outcomes(passed=1)
        names = [row[0] for row in emulator.store.execute(
            "SELECT json_extract(data, '$.name') FROM objects WHERE type='customer'")]
    assert names == ["outside"]


def test_webhook_endpoint_returns_the_endpoints_signing_secret(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(stripe_emulator):
    secret = stripe_emulator.webhook_endpoint("https://example.com/hook", ["charge.refunded"])
    [endpoint] = stripe_emulator.client.v1.webhook_endpoints.list().data
    assert secret.startswith("whsec_") and endpoint.enabled_events == ["charge.refunded"]
    assert endpoint.url == "https://example.com/hook"
""")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(("db", "worker", "expected"), [
    (":memory:", "gw1", ":memory:"),
    ("/tmp/s.db", None, "/tmp/s.db"),
    ("/tmp/s.db", "gw1", "/tmp/s-gw1.db"),
    ("stripe", "gw0", "stripe-gw0"),
])
def test_each_xdist_worker_gets_its_own_file(monkeypatch: pytest.MonkeyPatch, db: str,
                                              worker: str | None, expected: str) -> None:
    if worker:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    else:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _worker_db(db) == expected


def test_the_request_log_masks_secrets_and_skips_controls(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import pytest
import stripe

def test_it(stripe_emulator):
    e = stripe_emulator
    # Stripe refuses raw card numbers from a server: the refusal is logged, the number not
    with pytest.raises(stripe.InvalidRequestError):
        e.client.v1.payment_methods.create({"type": "card", "card": {
            "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    e.advance_clock(60)
    [logged] = e.requests
    assert (logged.path, logged.status) == ("/v1/payment_methods", 400)
    assert logged.params["card"] == {"number": "***", "exp_month": "12",
                                     "exp_year": "2034", "cvc": "***"}
""")
    result.assert_outcomes(passed=1)
