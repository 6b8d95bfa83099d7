"""Which outside tools this machine has: a headless Chromium and the Stripe CLI.

One rule for every notebook: a step that needs a missing tool prints one line saying so
(:func:`skip`) and hands back a value the next cells cope with, rather than crashing.
``CONNECT_LAB_CHROMIUM`` and ``CONNECT_LAB_STRIPE_CLI`` name each tool's path; a path that
does not exist means "not installed" (how the tests hide a tool).
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = "drives a headless Chromium"
STRIPE_CLI = "runs the Stripe CLI"


def has_chromium() -> bool:
    """A Chromium Playwright can launch: Debian's, the one named, or Playwright's own."""
    from .chromium import chromium_path

    path = chromium_path()
    if path:
        return os.path.exists(path)
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache/ms-playwright")
    return any(cache.glob("chromium*"))


def has_stripe_cli() -> bool:
    """The project's Stripe CLI (or one on PATH, or the one named) is installed."""
    from .stripe_cli import find_binary

    return find_binary() is not None


def skip_line(tool: str, instead: str = "") -> str:
    """The one line that says this step is skipped because ``tool`` is not installed."""
    line = (f"skipped: this step {tool}, which is not installed here — "
            "`make system` installs it")
    return line + (f"; {instead}" if instead else "")


def skip(tool: str, instead: str = "") -> None:
    """Print :func:`skip_line`."""
    print(skip_line(tool, instead))
