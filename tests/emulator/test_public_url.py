"""``Settings.public_url``: the URLs an API answer gives a browser are at the emulator's
public address (behind a Jupyter server's proxy), while the SDK calls it on 127.0.0.1; its
pages work under the prefix that proxy strips."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer

from ..conftest import make_client

KEY = "sk_test_public_url_suite"
PREFIX = "/user/ada/proxy/12111"
PUBLIC = "https://hub.example" + PREFIX


class StripPrefix:
    """What jupyter-server-proxy does in front of a local port: the prefix is stripped and
    named in X-Forwarded-Prefix."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        if path.startswith(PREFIX + "/"):
            environ = {**environ, "PATH_INFO": path[len(PREFIX):],
                       "HTTP_X_FORWARDED_PREFIX": PREFIX}
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    emulator = Emulator(settings=Settings(public_url=PUBLIC))
    running = BackgroundServer(StripPrefix(emulator)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server: BackgroundServer) -> stripe.StripeClient:
    return make_client(server, KEY)


def get(server: BackgroundServer, path: str) -> str:
    with urllib.request.urlopen(server.url + path, timeout=10) as answer:
        return answer.read().decode()


def test_answers_name_the_public_address(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1000,
                                       "product_data": {"name": "Stay"}}, "quantity": 1}]})
    assert session.url == f"{PUBLIC}/c/pay/{session.id}"
    account = client.v1.accounts.create({"type": "express", "country": "US"})
    link = client.v1.account_links.create({
        "account": account.id, "type": "account_onboarding",
        "refresh_url": "https://example.com/r", "return_url": "https://example.com/b"})
    assert link.url.startswith(f"{PUBLIC}/setup/c/{account.id}/")
    intent = client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": True, "return_url": "https://example.com/back"})
    assert intent.status == "requires_action"
    assert intent.next_action.redirect_to_url.url == f"{PUBLIC}/_emulator/3ds/{intent.id}"


def test_pages_work_under_the_stripped_prefix(server: BackgroundServer,
                                              client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1000,
                                       "product_data": {"name": "Stay"}}, "quantity": 1}]})
    page = get(server, f"{PREFIX}/c/pay/{session.id}")
    # Stripe.js and the API are found relative to the page, so under the prefix.
    assert '<script src="../../v3/"></script>' in page
    assert "window.location.pathname.replace(" in page
    assert '<script src="elements-inner.js">' in get(server, f"{PREFIX}/v3/elements-inner.html")
    account = client.v1.accounts.create({"type": "express", "country": "US"})
    link = client.v1.account_links.create({
        "account": account.id, "type": "account_onboarding",
        "refresh_url": "https://example.com/r", "return_url": "https://example.com/b"})
    form = get(server, link.url.removeprefix("https://hub.example"))  # PREFIX/setup/c/…
    token = link.url.rsplit("/", 1)[-1]
    action = re.search(r'<form method="post" action="([^"]*)"', form).group(1)
    assert action == token  # posts back to its own path, wherever that is
