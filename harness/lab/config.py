"""Which Stripe the notebooks talk to, and with which keys.

``emulator`` (the default) needs nothing. ``stripe`` (real test mode) is chosen by setting
``STRIPE_SECRET_KEY=sk_test_...``; live keys are refused before any request is made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

EMULATOR_SECRET_KEY = "sk_test_connectlab_platform"
LIVE_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")


class LiveKeyRefused(ValueError):
    """Connect Lab is a tutorial: it never touches live money."""


@dataclass(frozen=True)
class Config:
    backend: str  # "emulator" or "stripe"
    secret_key: str
    publishable_key: str
    client_id: str | None = None
    # A trainer's shared emulator (CONNECT_LAB_API_BASE): joined, not started in this kernel.
    api_base: str | None = None

    @property
    def is_emulator(self) -> bool:
        return self.backend == "emulator"

    def __repr__(self) -> str:  # never print a key
        return f"Config(backend={self.backend!r}, secret_key={mask(self.secret_key)!r})"


def mask(key: str | None) -> str:
    if not key:
        return ""
    return key[:8] + "…" + key[-4:] if len(key) > 12 else "…"


def refuse_live(key: str | None, name: str) -> None:
    if key and key.startswith(LIVE_PREFIXES):
        raise LiveKeyRefused(
            f"{name} is a live-mode key ({key[:8]}…). Connect Lab only runs against the offline "
            "emulator or Stripe *test* mode: use a key that starts with sk_test_ / pk_test_."
        )


def from_env(env: dict[str, str] | None = None) -> Config:
    """The backend from the environment:

    * nothing set: the emulator, started in this kernel, with its built-in key;
    * ``CONNECT_LAB_API_BASE=http://host:12111`` and ``STRIPE_SECRET_KEY=sk_test_<yours>``:
      a trainer's shared emulator (``python -m harness emulator``), joined with the learner's
      own key, which is the learner's own platform there;
    * ``STRIPE_SECRET_KEY=sk_test_…`` alone: Stripe test mode.
    """
    env = dict(os.environ if env is None else env)
    secret = env.get("STRIPE_SECRET_KEY", "").strip()
    publishable = env.get("STRIPE_PUBLISHABLE_KEY", "").strip()
    refuse_live(secret, "STRIPE_SECRET_KEY")
    refuse_live(publishable, "STRIPE_PUBLISHABLE_KEY")
    room = env.get("CONNECT_LAB_API_BASE", "").strip().rstrip("/")
    if room:
        if not room.startswith(("http://", "https://")):
            raise ValueError(f"CONNECT_LAB_API_BASE must be the emulator's URL, like "
                             f"http://trainer-laptop:12111 (got {room!r}).")
        if not secret.startswith("sk_test_"):
            raise ValueError(
                "CONNECT_LAB_API_BASE joins a shared emulator: set STRIPE_SECRET_KEY to a key "
                "of your own, sk_test_ followed by 4-200 letters, digits, _, - or . (every "
                "learner a different one: each key is its own platform there).")
        # The publishable key is the emulator's to issue (harness.start() reads it).
        return Config("emulator", secret, "", api_base=room)
    if not secret:
        # The emulator issues the publishable key when it makes the platform; harness.start()
        # reads it from GET /_emulator/keys (it is not derived from the secret key).
        return Config("emulator", EMULATOR_SECRET_KEY, "")
    if not secret.startswith(("sk_test_", "rk_test_")):
        raise ValueError("STRIPE_SECRET_KEY must be a test-mode key (sk_test_… or rk_test_…).")
    if publishable and not publishable.startswith("pk_test_"):
        raise ValueError("STRIPE_PUBLISHABLE_KEY must start with pk_test_.")
    return Config("stripe", secret, publishable, env.get("STRIPE_CLIENT_ID") or None)
