"""Shared fixtures: an emulator per test module, on 127.0.0.1 and a free port."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.server import BackgroundServer

_keys = itertools.count()


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
    return stripe.StripeClient(
        key,
        base_addresses={"api": server.url, "connect": server.url, "files": server.url},
        max_network_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(emulator_server: BackgroundServer, api_key: str) -> stripe.StripeClient:
    return make_client(emulator_server, api_key)
