"""Shared fixtures: an emulator per test module, on 127.0.0.1 and a free port.

``--backend`` picks the Stripe that the contract tests (``tests/contract/``, marker
``contract``) talk to: ``emulator`` (the default; every test runs) or ``stripe`` (real test
mode with ``STRIPE_SECRET_KEY``; only the contract tests are collected, and they skip with
the reason when no key is set).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.lab.config import LiveKeyRefused, refuse_live
from harness.lab.server import BackgroundServer

_keys = itertools.count()
CONTRACT_DIR = Path(__file__).parent / "contract"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend", choices=("emulator", "stripe"), default="emulator",
        help="the Stripe for the contract tests: the offline emulator (default), or real "
             "Stripe test mode with STRIPE_SECRET_KEY=sk_test_... (then only tests/contract "
             "runs)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract: backend-agnostic (tests/contract); runs on real Stripe test "
        "mode with --backend=stripe")
    if config.getoption("--backend", "emulator") == "stripe":
        try:
            refuse_live(os.environ.get("STRIPE_SECRET_KEY", "").strip(), "STRIPE_SECRET_KEY")
        except LiveKeyRefused as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if CONTRACT_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.contract)
    if config.getoption("--backend") != "stripe":
        return
    keep = [i for i in items if i.get_closest_marker("contract")]
    dropped = [i for i in items if not i.get_closest_marker("contract")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[BackgroundServer]:
    emulator = Emulator(settings=Settings())
    with BackgroundServer(emulator) as server:
        server.emulator = emulator  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def emulator(emulator_server: BackgroundServer) -> Emulator:
    return emulator_server.emulator  # type: ignore[attr-defined]


@pytest.fixture
def api_key() -> str:
    """A fresh platform per test: each distinct secret key is its own isolated platform."""
    return f"sk_test_platform{next(_keys):06d}"


def make_client(server: BackgroundServer, key: str, **kwargs: object) -> stripe.StripeClient:
    kwargs.setdefault("max_network_retries", 0)
    return stripe.StripeClient(
        key,
        base_addresses={"api": server.url, "connect": server.url, "files": server.url},
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(emulator_server: BackgroundServer, api_key: str) -> stripe.StripeClient:
    return make_client(emulator_server, api_key)


@contextmanager
def seeded_lab() -> Iterator[Any]:
    """``harness.start(seed=42)`` on its own emulator, with the SDK's globals (which start()
    sets) restored afterwards so other tests see what they expect."""
    import harness

    names = ("api_key", "api_base", "connect_api_base", "max_network_retries")
    saved = {name: getattr(stripe, name) for name in names}
    lab = harness.start(seed=42, env={})
    try:
        yield lab
    finally:
        lab.stop()
        for name, value in saved.items():
            setattr(stripe, name, value)
