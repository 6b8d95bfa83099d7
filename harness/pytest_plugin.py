"""``stripe_emulator``: an isolated Stripe platform per test, on an offline emulator.

Installed with the ``connect-lab`` distribution, pytest loads this plugin by itself (its
``pytest11`` entry point); where entry points are off, use ``-p harness.pytest_plugin``.
One emulator runs per test session (per pytest-xdist worker), and every test gets a
platform of its own, with new keys, so tests never see each other's objects::

    def test_destination_charge(stripe_emulator):
        client = stripe_emulator.client
        account = client.v1.accounts.create({"type": "express", ...})
        stripe_emulator.complete_onboarding(account.id)
        ...

Options: ``--stripe-emulator-db PATH`` (a SQLite file; default in memory),
``--stripe-api-version V`` (the platforms' default version), ``--stripe-emulator-url URL``
(use an emulator already running, e.g. ``connect-lab-emulator`` in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .lab.own_platform import EmulatorPlatform


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stripe-emulator", "Connect Lab's offline Stripe emulator")
    group.addoption("--stripe-emulator-db", default=":memory:", metavar="PATH",
                    help="SQLite file for the session's emulator (default: in memory; under "
                         "pytest-xdist each worker adds its name to the file's)")
    group.addoption("--stripe-api-version", default=None, metavar="VERSION",
                    help="default Stripe API version of the test platforms (default: the "
                         "emulator's, the version the Stripe CLI pins)")
    group.addoption("--stripe-emulator-url", default=None, metavar="URL",
                    help="use the emulator already running there instead of starting one")


def _worker_db(db: str) -> str:
    """One database file per xdist worker: two emulators must not share one file."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if db == ":memory:" or not worker:
        return db
    stem, dot, ext = db.rpartition(".")
    return f"{stem}-{worker}.{ext}" if dot and stem else f"{db}-{worker}"


@pytest.fixture(scope="session")
def stripe_emulator_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """The base URL of this session's emulator (started here unless one was given)."""
    given = pytestconfig.getoption("--stripe-emulator-url")
    if given:
        yield given.rstrip("/")
        return
    from .emulator import Emulator, Settings
    from .lab.server import BackgroundServer

    settings = Settings()
    version = pytestconfig.getoption("--stripe-api-version")
    if version:
        settings.default_api_version = version
    emulator = Emulator(db=_worker_db(pytestconfig.getoption("--stripe-emulator-db")),
                        settings=settings)
    server = BackgroundServer(emulator).start()
    try:
        yield server.url
    finally:
        server.stop()
        emulator.close()


@pytest.fixture
def stripe_emulator(stripe_emulator_url: str) -> EmulatorPlatform:
    """A new platform (its own secret and publishable keys) on the session's emulator."""
    from .lab.own_platform import EmulatorPlatform

    return EmulatorPlatform(stripe_emulator_url)
