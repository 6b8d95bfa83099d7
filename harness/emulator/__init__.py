"""An offline, stateful Stripe Connect emulator.

It is Stripe, as documented: the same objects, errors and money movements, served over
HTTP so the official ``stripe`` SDK and the Stripe CLI talk to it unchanged. It knows no
marketplace. Use :class:`Emulator` in-process or ``python -m harness emulator`` standalone.
"""

from __future__ import annotations

import re
from typing import Any

from . import keys
from .clock import SEEDED_EPOCH, Clock, IdFactory
from .context import Context
from .errors import AuthenticationFailed, InvalidRequest
from .faults import Faults
from .ledger import Ledger
from .pipeline import HttpLayer, mask_key
from .registry import registry
from .request_log import RequestLog
from .settings import SDK_API_VERSION, Settings
from .store import Store
from .surface import emulator_only as emulator_only_routes
from .surface import surface as sdk_surface
from .surface import totals as surface_totals

# What may follow sk_test_ in a learner's key: Stripe's keys are alphanumeric; "-", "." and
# "_" let a workshop name keys ("sk_test_my-team.1"). Anything else (spaces, quotes,
# brackets, non-ASCII) is refused, so a key can always be found and masked in a log line.
_KEY_SUFFIX = re.compile(r"[A-Za-z0-9_.\-]{4,200}")
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


class Emulator:
    """The state (store, ledger, clock) and the WSGI app in front of it."""

    def __init__(self, db: str = ":memory:", settings: Settings | None = None) -> None:
        from . import routes  # noqa: F401  - registers every route

        self.settings = settings or Settings()
        self.store = Store(db)
        self.store.conn.executescript(keys.SCHEMA)
        keys.migrate(self.store)
        self.ledger = Ledger(self.store)
        seeded = self.settings.seed is not None
        frozen = seeded or self.settings.frozen_clock
        self.clock = Clock(self.store, SEEDED_EPOCH if frozen else None)
        self.ids = IdFactory(self._effective_seed())
        self.faults = Faults()
        self.requests = RequestLog()
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
        """Each distinct ``sk_test_`` key is its own platform, made on first use; a
        ``pk_test_`` key is valid only once issued to a platform (see ``keys.py``).
        Returns (platform account ID, key type)."""
        if key.startswith(("sk_live_", "rk_live_", "pk_live_")):
            raise AuthenticationFailed(
                f"Invalid API Key provided: {mask_key(key)}. The Connect Lab emulator is test "
                "mode only and refuses live keys."
            )
        found = keys.lookup(self.store, key)
        if found is not None:
            return found
        secret = key.startswith(keys.SECRET_PREFIXES) and _KEY_SUFFIX.fullmatch(key[8:])
        if not secret:
            why = ""
            if key.startswith(keys.SECRET_PREFIXES):  # say what the emulator's rule is
                why = (". On the Connect Lab emulator a secret key is sk_test_ followed by 4 "
                       "to 200 letters, digits, '_', '-' or '.'")
            raise AuthenticationFailed(f"Invalid API Key provided: {mask_key(key)}{why}")
        return self.create_platform(key), "secret"

    def create_platform(self, secret_key: str) -> str:
        """A new platform account for ``secret_key``, with its own random publishable key."""
        with self.store.transaction():
            found = keys.lookup(self.store, secret_key)
            if found is not None:
                return found[0]
            platform = self.ids.new("acct", 16)
            keys.register(self.store, platform, secret_key)
            self.store.set_platform_value(platform, "api_version",
                                          self.settings.default_api_version)
            ctx = Context(self, platform, platform, self.settings.default_api_version)
            for hook in registry.platform_hooks:
                hook(ctx)
            self.after_request(ctx)
        return platform

    def publishable_key(self, platform: str) -> str:
        """The platform's publishable key, as ``GET /_emulator/keys`` gives it."""
        return keys.publishable_key(self.store, platform)

    def platform_version(self, platform: str) -> str:
        return self.store.platform_value(platform, "api_version") or \
            self.settings.default_api_version

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


__all__ = ["Emulator", "Settings", "SDK_API_VERSION", "sdk_surface", "surface_totals",
           "emulator_only_routes"]
