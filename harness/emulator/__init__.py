"""An offline, stateful Stripe Connect emulator.

It is Stripe, as documented: the same objects, errors and money movements, served over
HTTP so the official ``stripe`` SDK and the Stripe CLI talk to it unchanged. It knows no
marketplace. Use :class:`Emulator` in-process or ``python -m harness emulator`` standalone.
"""

from __future__ import annotations

import re
from typing import Any

from .clock import SEEDED_EPOCH, Clock, IdFactory
from .context import Context
from .errors import AuthenticationFailed, InvalidRequest
from .faults import Faults
from .http import HttpLayer, mask_key
from .ledger import Ledger
from .registry import registry
from .settings import SDK_API_VERSION, Settings
from .store import Store

_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


class Emulator:
    """The state (store, ledger, clock) and the WSGI app in front of it."""

    def __init__(self, db: str = ":memory:", settings: Settings | None = None) -> None:
        from . import resources  # noqa: F401  - registers every resource module

        self.settings = settings or Settings()
        self.store = Store(db)
        self.ledger = Ledger(self.store)
        seeded = self.settings.seed is not None
        frozen = seeded or self.settings.frozen_clock
        self.clock = Clock(self.store, SEEDED_EPOCH if frozen else None)
        self.ids = IdFactory(self._effective_seed())
        self.faults = Faults()
        self.app = HttpLayer(self, registry.routes)
        self.workers: dict[str, Any] = {}
        for hook in registry.start_hooks:
            hook(self)

    def _effective_seed(self) -> int | None:
        """A file database restarted with the same seed must not reuse IDs."""
        if self.settings.seed is None:
            return None
        return self.settings.seed * 1_000_003 + self.store.count()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)

    # -- platforms and keys ---------------------------------------------------------------
    def platform_for_key(self, key: str) -> tuple[str, str]:
        """Each distinct ``sk_test_`` key is its own platform; ``pk_test_`` with the same
        suffix is its publishable key. Returns (platform account ID, key type)."""
        if key.startswith(("sk_live_", "rk_live_", "pk_live_")):
            raise AuthenticationFailed(
                f"Invalid API Key provided: {mask_key(key)}. The Connect Lab emulator is test "
                "mode only and refuses live keys."
            )
        kinds = {"sk_test_": "secret", "rk_test_": "secret", "pk_test_": "publishable"}
        prefix = next((p for p in kinds if key.startswith(p) and len(key) > len(p) + 3), None)
        if prefix is None:
            raise AuthenticationFailed(f"Invalid API Key provided: {mask_key(key)}")
        kind, suffix = kinds[prefix], key[len(prefix):]
        row = self.store.execute(
            "SELECT value FROM meta WHERE name=?", (f"key:{suffix}",)
        ).fetchone()
        if row is not None:
            return row["value"], kind
        if kind == "publishable":
            raise AuthenticationFailed(f"Invalid API Key provided: {mask_key(key)}")
        return self.create_platform(suffix), kind

    def create_platform(self, suffix: str) -> str:
        with self.store.transaction():
            existing = self.store.get_meta(f"key:{suffix}")
            if existing:
                return existing
            platform = self.ids.new("acct", 16)
            self.store.set_meta(f"key:{suffix}", platform)
            self.store.set_meta(f"version:{platform}", self.settings.default_api_version)
            ctx = Context(self, platform, platform, self.settings.default_api_version)
            for hook in registry.platform_hooks:
                hook(ctx)
            self.after_request(ctx)
        return platform

    def platform_version(self, platform: str) -> str:
        return self.store.get_meta(f"version:{platform}") or self.settings.default_api_version

    @staticmethod
    def check_version(version: str) -> None:
        if not _VERSION.match(version) or version.split(".")[0] > "2099":
            raise InvalidRequest(
                f"Invalid Stripe API version: {version}", param="Stripe-Version"
            )

    # -- after each request ----------------------------------------------------------------
    def after_request(self, ctx: Context) -> None:
        """Hand the request's signals to whoever listens (the events module, once loaded)."""
        for hook in registry.signal_hooks:
            hook(ctx)
        ctx.signals.clear()

    def reset(self) -> None:
        self.store.reset()
        self.clock.forget()

    def close(self) -> None:
        """Stop background workers (webhook delivery) and close the database."""
        for hook in registry.stop_hooks:
            hook(self)
        self.store.close()


__all__ = ["Emulator", "Settings", "SDK_API_VERSION"]
