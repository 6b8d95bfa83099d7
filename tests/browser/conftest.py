"""Browser tests: the emulator and the platform app on 127.0.0.1 and free ports, and one
headless Chromium for the whole module (a fresh context per test keeps tests apart)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.guide import elements_checkout as cd
from harness.lab import Lab, emulator_keys
from harness.lab.chromium import browser
from harness.lab.config import Config
from harness.lab.platform_server import PlatformHandle
from harness.lab.server import BackgroundServer

KEY = "sk_test_browsersuite"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    emulator = Emulator(settings=Settings())
    server = BackgroundServer(emulator).start()
    config = Config("emulator", KEY, emulator_keys(server.url, KEY)["publishable_key"])
    client = stripe.StripeClient(
        KEY, base_addresses={"api": server.url, "connect": server.url, "files": server.url},
        max_network_retries=0,
    )
    yield Lab(config, server.url, client, emulator, server)
    server.stop()


@pytest.fixture(scope="module")
def platform(lab: Lab) -> Iterator[PlatformHandle]:
    handle = cd.start_marketplace_platform(lab, connect=["ho_001"])
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def checkout(page: Any, platform: PlatformHandle) -> Callable[..., cd.CheckoutPage]:
    def open_page(listing: str = "lst_002", nights: int = 1, ui: str = "card") -> cd.CheckoutPage:
        return cd.CheckoutPage.open(page, platform.url, listing, nights=nights, ui=ui)

    return open_page
