"""The runtime every notebook needs: :func:`start` and :class:`Lab` (``session``), the
configuration (``config``), the background server, log safety, the browser and Stripe CLI
launchers, the platform server handle, the standalone emulator, and the one helper for the
emulator's ``/_emulator/*`` controls. Imports lazily: ``harness.lab.config`` and
``harness.lab.logsafe`` need nothing but the standard library."""

from __future__ import annotations

from typing import Any

__all__ = ["STRIPE_API_BASE", "Lab", "LiveKeyRefused", "emulator_keys", "start"]

_NAMES = {"Lab": "session", "start": "session", "STRIPE_API_BASE": "session",
          "LiveKeyRefused": "config", "emulator_keys": "emulator_controls"}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
