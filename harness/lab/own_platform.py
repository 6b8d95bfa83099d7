"""One isolated platform on an emulator, for the test suite of someone's own marketplace:
what the ``stripe_emulator`` pytest fixture (``harness.pytest_plugin``) gives each test.

Everything goes over HTTP (the API with the SDK, the emulator's ``/_emulator/*`` controls),
so the same object works against an in-process emulator, a ``connect-lab-emulator`` started
by CI, or a trainer's shared one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import stripe

from . import emulator_controls
from .session import sdk_client

__all__ = ["EmulatorPlatform", "RecordedRequest", "new_secret_key"]


def new_secret_key() -> str:
    """A fresh test key: on the emulator each distinct secret key is a platform of its own."""
    return "sk_test_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


@dataclass(frozen=True)
class RecordedRequest:
    """One API call as the emulator saw it (secrets masked), like a Dashboard log line."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    account: str | None = None  # the Stripe-Account it acted as, if any
    key_type: str = "secret"
    idempotency_key: str | None = None
    id: str = ""
    created: int = 0


class EmulatorPlatform:
    """A platform of its own (new keys) on the emulator at ``api_base``."""

    def __init__(self, api_base: str, secret_key: str | None = None) -> None:
        self.api_base = api_base
        self.secret_key = secret_key or new_secret_key()

    def control(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """An emulator control (``/_emulator/...``) with this platform's key."""
        return emulator_controls.call(self.api_base, self.secret_key, path, params, **kw)

    @cached_property
    def publishable_key(self) -> str:
        """The platform's own ``pk_test_`` key, as the emulator issued it."""
        return emulator_controls.emulator_keys(self.api_base, self.secret_key)["publishable_key"]

    @cached_property
    def client(self) -> stripe.StripeClient:
        """A StripeClient configured for this platform on the emulator."""
        return sdk_client(self.api_base, self.secret_key)

    def configure_globals(self) -> None:
        """Point the SDK's module-level configuration here too (``stripe.api_key``…), for
        code under test that uses ``stripe.PaymentIntent.create`` rather than a client."""
        stripe.api_key = self.secret_key
        stripe.api_base = stripe.connect_api_base = self.api_base

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """Fill in the connected account's hosted onboarding at once (an emulator control:
        on Stripe a person completes the Account Link's form)."""
        return self.control(f"/_emulator/accounts/{account_id}/complete_onboarding", {})

    def advance_clock(self, seconds: int) -> int:
        """Move this platform's clock forward; what falls due on the way happens (funds
        become available, payouts run, deadlines pass). Returns the new time."""
        return int(self.control("/_emulator/clock/advance", {"seconds": seconds})["now"])

    def now(self) -> int:
        """The platform's current emulator time (Unix seconds)."""
        return int(self.control("/_emulator/clock")["now"])

    def events(self, type: str | None = None, account: str | None = None) -> list[stripe.Event]:
        """Every event of this platform, oldest first (optionally of one ``type``), or of
        one connected ``account`` (its Connect events, as ``Stripe-Account`` lists them)."""
        params: dict[str, Any] = {"limit": 100}
        if type:
            params["type"] = type
        options: dict[str, Any] = {"stripe_account": account} if account else {}
        found = list(self.client.v1.events.list(params, options).auto_paging_iter())
        return found[::-1]  # Stripe lists newest first

    def webhook_endpoint(self, url: str, events: list[str] | None = None,
                         **params: Any) -> str:
        """Create a webhook endpoint that delivers to ``url`` (a receiver the test runs) and
        return its signing secret, for ``stripe.Webhook.construct_event``."""
        endpoint = self.client.v1.webhook_endpoints.create(
            {"url": url, "enabled_events": events or ["*"], **params})
        return str(endpoint.secret)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The API requests made with this platform's keys so far, oldest first."""
        fields = RecordedRequest.__dataclass_fields__
        return [RecordedRequest(**{k: v for k, v in entry.items() if k in fields})
                for entry in self.control("/_emulator/requests")["data"]]

    def reset(self) -> None:
        """Forget this platform's objects and money (keys and settings stay)."""
        self.control("/_emulator/reset", {})

    def __repr__(self) -> str:
        return f"<EmulatorPlatform api_base={self.api_base}>"
