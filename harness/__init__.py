"""Connect Lab's harness. Start here with :func:`start`.

Four wings, each importing only downward (see ARCHITECTURE.md): ``guide`` (per-notebook
glue) → ``books`` (reading Stripe back) → ``lab`` (the runtime) → ``platform`` and
``emulator``; ``tools`` are commands nothing imports. This face imports lazily, so
``import harness`` is cheap and works before the SDK is installed (the install check needs
that), but it installs log safety at once: no secret reaches a log record, even at DEBUG.
"""

from __future__ import annotations

from typing import Any

from .lab import logsafe

logsafe.install()

__all__ = ["Lab", "LiveKeyRefused", "start"]

_FACE = {"Lab": "harness.lab.session", "start": "harness.lab.session",
         "LiveKeyRefused": "harness.lab.config"}


def __getattr__(name: str) -> Any:
    if name in _FACE:
        import importlib

        return getattr(importlib.import_module(_FACE[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
