"""The emulator's clock and ID generator.

Time can be advanced (it drives ``available_on``, payouts, dispute deadlines). In seeded
mode the clock starts at a fixed instant and IDs come from a seeded RNG, so a notebook's
outputs are the same on every run.
"""

from __future__ import annotations

import random
import secrets
import string
import time

from .store import Store

ALPHABET = string.ascii_letters + string.digits
SEEDED_EPOCH = 1767268800  # 2026-01-01 12:00:00 UTC


class Clock:
    """Emulator time = a base (wall clock, or a fixed epoch when seeded) + an offset.

    Each platform has its own offset, so one workshop learner advancing time does not
    move everyone else's funds.
    """

    def __init__(self, store: Store, frozen_at: int | None = None) -> None:
        self.store = store
        self.frozen_at = frozen_at
        # A cache of the stored offsets (read on every now()), written only under the store's
        # lock: a filler cannot store a value read before a concurrent advance committed,
        # and a rolled-back advance is forgotten before anyone else can take the lock.
        self._offsets: dict[str, int] = {}
        store.rollback_hooks.append(self.forget)

    def offset(self, platform: str) -> int:
        cached = self._offsets.get(platform)
        if cached is None:
            with self.store.lock:
                cached = self._offsets.get(platform)
                if cached is None:
                    cached = int(self.store.platform_value(platform, "clock_offset") or 0)
                    self._offsets[platform] = cached
        return cached

    def forget(self) -> None:
        """Drop cached offsets (after a reset, or a rolled-back transaction)."""
        with self.store.lock:
            self._offsets.clear()

    def now(self, platform: str = "") -> int:
        base = self.frozen_at if self.frozen_at is not None else int(time.time())
        return base + (self.offset(platform) if platform else 0)

    def advance(self, platform: str, seconds: int) -> int:
        offset = self.offset(platform) + int(seconds)
        self.store.set_platform_value(platform, "clock_offset", offset)
        self._offsets[platform] = offset
        return self.now(platform)


class IdFactory:
    """Stripe-looking IDs: ``pi_`` + 24 alphanumerics; deterministic when seeded."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng: random.Random | None = random.Random(seed) if seed is not None else None

    def token(self, length: int = 24) -> str:
        if self._rng is not None:
            return "".join(self._rng.choices(ALPHABET, k=length))
        # one urandom call per ID, not per character (62 letters: a negligible bias)
        return "".join(ALPHABET[b % 62] for b in secrets.token_bytes(length))

    def secret(self, length: int = 24, *, outside_stream: bool = False) -> str:
        """A bearer secret (link token, client secret, ``whsec_``, OAuth code): always from
        ``secrets``, even when seeded, so two seeded runs never share one. A seeded stream
        still draws its characters and discards them, so the object IDs that follow are
        the same as they always were (notebook outputs stay put). ``outside_stream``: a
        secret the stream never sees (the Dashboard's links and sessions, which a notebook
        or a reader's browser may ask for at any point without moving the IDs after it)."""
        if self._rng is not None and not outside_stream:
            self._rng.choices(ALPHABET, k=length)
        return "".join(ALPHABET[b % 62] for b in secrets.token_bytes(length))

    def new(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_{self.token(length)}"

    def request_id(self) -> str:
        # Request IDs are never part of notebook output, so they are always random.
        return "req_" + "".join(ALPHABET[b % 62] for b in secrets.token_bytes(14))
