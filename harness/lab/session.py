"""``harness.start()``: one call that gives a notebook a working Stripe.

On the emulator it starts the emulator in a background thread (seeded, so outputs are
stable) and points the SDK at it. In test mode it only configures the SDK.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import stripe

from . import config as config_mod
from . import emulator_controls, lifetime, logsafe
from . import public as public_mod
from .emulator_controls import emulator_keys
from .server import BackgroundServer

STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_DASHBOARD = "https://dashboard.stripe.com/test/"
# The emulator's Dashboard pages and where the same page is on dashboard.stripe.com in test
# mode (a trailing "/" takes the rest of the path: an object's ID).
DASHBOARD_PAGES = {
    "": "dashboard",
    "payments": "payments", "payments/": "payments/",
    "disputes/": "disputes/",
    "balance": "balance/overview",
    "connect/accounts": "connect/accounts/overview", "connect/accounts/": "connect/accounts/",
    "developers": "apikeys", "developers/logs": "logs",
    "developers/webhooks": "webhooks", "developers/webhooks/": "webhooks/",
    "developers/events": "events", "developers/events/": "events/",
    "settings/connect": "settings/connect",
}


def stripe_dashboard_url(page: str = "") -> str:
    """The dashboard.stripe.com (test mode) address of an emulator Dashboard ``page``."""
    page = page.strip("/")
    if page in DASHBOARD_PAGES:
        return STRIPE_DASHBOARD + DASHBOARD_PAGES[page]
    head, _, rest = page.rpartition("/")
    if head + "/" in DASHBOARD_PAGES:
        return STRIPE_DASHBOARD + DASHBOARD_PAGES[head + "/"] + rest
    raise ValueError(f"No Dashboard page {page!r}; pages: {sorted(DASHBOARD_PAGES)}")


@dataclass
class Lab:
    """What a notebook needs: the backend, the API base, keys and a configured client."""

    config: config_mod.Config
    api_base: str
    client: stripe.StripeClient
    emulator: Any = None
    server: BackgroundServer | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # How the learner's browser reaches this kernel's servers (harness.lab.public).
    public: public_mod.PublicBase = field(default_factory=public_mod.PublicBase)

    @property
    def public_api_base(self) -> str:
        """The emulator's address for a browser (the Stripe.js stand-in, hosted pages): its
        public URL when this kernel runs it behind a Jupyter server, else ``api_base``."""
        if self.server is not None:
            return self.public.url(self.server.port)
        return self.api_base

    @property
    def backend(self) -> str:
        return self.config.backend

    @property
    def publishable_key(self) -> str:
        return self.config.publishable_key

    def control(self, path: str, **params: Any) -> dict[str, Any]:
        """POST an emulator-only control (``/_emulator/...``) with the platform's key."""
        self._check_running()
        if not self.config.is_emulator:
            raise RuntimeError(f"{path} exists only on the emulator")
        return emulator_controls.call(self.api_base, self.config.secret_key, path, params)

    def complete_onboarding(self, account_id: str, return_url: str = "https://example.com") -> str:
        """Finish a homeowner's onboarding.

        Emulator: the homeowner "fills in" Stripe's hosted form at once. Test mode: a person
        must do it, so this makes an Account Link and returns its URL to open.
        """
        if self.config.is_emulator:
            self.control(f"/_emulator/accounts/{account_id}/complete_onboarding")
            return "onboarding completed (emulator)"
        link = self.client.v1.account_links.create(
            {"account": account_id, "type": "account_onboarding",
             "refresh_url": return_url, "return_url": return_url}
        )
        return f"open this link and finish onboarding: {link.url}"

    def advance_clock(self, seconds: int) -> int:
        """Move the emulator's clock forward (pending funds become available on time).

        Real Stripe time cannot be moved: in test mode, pay with ``pm_card_bypassPending``
        to get available funds at once instead, or wait for the ``available_on`` date (and
        for the automatic payouts, which Stripe runs on its own schedule).
        """
        if not self.config.is_emulator:
            raise RuntimeError(
                "Stripe test mode has no clock to advance; use pm_card_bypassPending for "
                "funds that are available immediately, or wait until the balance "
                "transactions' available_on date (payouts then follow the account's schedule)."
            )
        return int(self.control("/_emulator/clock/advance", seconds=seconds)["now"])

    def now(self) -> int:
        """The current time as the backend sees it (the emulator's clock, or the wall clock)."""
        if not self.config.is_emulator:
            import time

            return int(time.time())
        self._check_running()
        return int(emulator_controls.call(self.api_base, self.config.secret_key,
                                          "/_emulator/clock")["now"])

    def dashboard_url(self, page: str = "") -> str:
        """The platform's Dashboard at ``page`` (``""`` Home, ``"connect/accounts"``,
        ``"payments/pi_…"``, ``"settings/connect"``, …, see ``DASHBOARD_PAGES``).

        Emulator: a fresh single-use login link (it works once, for five minutes; opening
        it logs the browser in with a cookie). Test mode: the same page on
        dashboard.stripe.com, where you log in as usual."""
        if not self.config.is_emulator:
            return stripe_dashboard_url(page)
        self._check_running()
        stripe_dashboard_url(page)  # the same pages on both backends
        return emulator_controls.dashboard_login_link(self.api_base, self.config.secret_key,
                                                      page.strip("/"))

    @property
    def platform_id(self) -> str:
        return self.client.v1.accounts.retrieve_current().id

    @property
    def stopped(self) -> bool:
        return isinstance(self.client, lifetime.Stopped)

    def _check_running(self) -> None:
        if self.stopped:
            raise lifetime.LabStopped()

    def stop(self) -> None:
        """Stop the emulator (if this kernel runs it). The kernel's exit does this anyway,
        so a notebook never needs to: after Run All the lab keeps serving its links. Any
        later use says "the lab was stopped: run the first cell again"."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.client = lifetime.Stopped()  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Lab backend={self.backend} api_base={self.api_base}>"


def sdk_client(api_base: str, secret_key: str, *, emulator: bool = True) -> stripe.StripeClient:
    """A StripeClient for ``api_base``: on the emulator its Connect (OAuth) and Files hosts
    are the emulator too; on Stripe they keep the SDK's defaults. Retries as Stripe advises
    (they are safe: the SDK sends an Idempotency-Key with every POST)."""
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base, "connect": api_base if emulator else None,
                        "files": api_base if emulator else None},
        max_network_retries=2,
    )


def start(
    *,
    seed: int | None = 42,
    db: str = ":memory:",
    api_version: str | None = None,
    env: dict[str, str] | None = None,
    new_platform: bool = False,
) -> Lab:
    """Start (or connect to) Stripe for this kernel and configure the SDK's globals too.

    ``new_platform``: the emulator behaves as a Connect platform created today, which has not
    enabled Accounts v1 (``POST /v1/accounts`` is refused; use ``/v2/core/accounts``). On real
    Stripe it changes nothing: your account is what it is."""
    logsafe.install()  # again: handlers added since import get the filter too
    cfg = config_mod.from_env(env)
    base = public_mod.detect(env)
    emulator = server = None
    if cfg.is_emulator:
        if cfg.api_base:  # a workshop: the trainer's emulator, this learner's own platform
            api_base = cfg.api_base
            try:
                keys = emulator_keys(api_base, cfg.secret_key)
            except OSError as exc:
                raise ConnectionError(f"No Connect Lab emulator answers at {api_base} "
                                      f"(CONNECT_LAB_API_BASE): {exc}") from None
        else:
            from ..emulator import Emulator, Settings

            settings = Settings(seed=seed, new_platform=new_platform)
            if api_version:
                settings.default_api_version = api_version
            emulator = Emulator(db=db, settings=settings)
            server = BackgroundServer(emulator).start()
            api_base = server.url  # the SDK's address; a browser's is the public one
            if not base.is_local:
                settings.public_url = base.url(server.port)
            keys = emulator_keys(api_base, cfg.secret_key)
        cfg = dataclasses.replace(cfg, publishable_key=keys["publishable_key"])
    else:
        api_base = STRIPE_API_BASE
    client = sdk_client(api_base, cfg.secret_key, emulator=cfg.is_emulator)
    stripe.api_key = cfg.secret_key
    stripe.api_base = api_base
    if cfg.is_emulator:
        stripe.connect_api_base = api_base
    stripe.max_network_retries = 2
    if cfg.client_id:
        stripe.client_id = cfg.client_id
    lab = Lab(cfg, api_base, client, emulator, server, public=base)
    lifetime.at_exit(lab.stop)
    return lab
