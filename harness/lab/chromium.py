"""A headless Chromium for tests and notebooks, driven by Playwright.

Browser downloads are blocked here, so Playwright drives Debian's Chromium
(``/usr/bin/chromium``). On a machine where Playwright's own Chromium was installed
(``playwright install chromium``), that one is used instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium unless CONNECT_LAB_CHROMIUM says otherwise; None = Playwright's own."""
    explicit = os.environ.get("CONNECT_LAB_CHROMIUM")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@contextmanager
def browser() -> Iterator[Any]:
    """A launched headless browser; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        path = chromium_path()
        launched = p.chromium.launch(headless=True, args=ARGS,
                                     **({"executable_path": path} if path else {}))
        try:
            yield launched
        finally:
            launched.close()
