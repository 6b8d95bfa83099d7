"""Rendering the hosted pages (Stripe's side of OAuth, onboarding, the Express Dashboard).

Templates are Jinja2 with autoescaping on: every value that came from a request or from an
account is escaped. Pages are plain HTML with a little CSS and no external assets, so they
work offline.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from ..resources.accounts import display_name
from ..shapes import ZERO_DECIMAL

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_COLOR = "#635bff"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@functools.cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def self_action(path: str) -> str:
    """A form's ``action`` that posts back to the page's own path, written relative (its last
    segment), so it holds wherever the page is served: at the emulator's root, or behind a
    proxy that strips a prefix (a Jupyter server's ``/user/<name>/proxy/<port>/``)."""
    return path.rstrip("/").rsplit("/", 1)[-1] or "."


def render(template: str, status: int = 200, **values: Any) -> Response:
    html = _env().get_template(template).render(**values)
    resp = Response(html, status=status, mimetype="text/html")
    # Hosted pages hold one-time links and personal data: never cache them.
    resp.headers["Cache-Control"] = "no-store"
    return resp


def color(value: str | None) -> str:
    """A brand colour safe to put in CSS: ``#rrggbb`` or the default. Checked at every
    render, not only on write: a value stored by an older emulator must not reach CSS."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else DEFAULT_COLOR


def branding(account: dict[str, Any] | None) -> dict[str, Any]:
    """What a hosted page shows of a platform: its name, icon and colours.

    Express platforms "control branding" of the hosted pages
    (https://docs.stripe.com/connect/express-accounts) through the platform account's
    ``settings.branding`` and business name. An icon that is a File ID cannot be shown
    offline, so the page falls back to the name's initial.
    """
    account = account or {}
    brand = (account.get("settings") or {}).get("branding") or {}
    name = display_name(account)
    icon = brand.get("icon")
    icon_url = icon if isinstance(icon, str) and icon.startswith(("https://", "http://",
                                                                    "data:image/")) else None
    return {"name": name, "initial": name[:1].upper(), "icon_url": icon_url,
            "primary_color": color(brand.get("primary_color")),
            "secondary_color": color(brand.get("secondary_color") or brand.get("primary_color"))}


def platform_brand(emulator: Any, platform: str) -> dict[str, Any]:
    found = emulator.store.get(platform)
    return branding(found[1] if found else None)


def message(emulator: Any, platform: str | None, title: str, text: str,
            status: int) -> Response:
    """A hosted page that only says something (an invalid link, an expired form)."""
    brand = platform_brand(emulator, platform) if platform else branding(None)
    return render("message.html", status=status, brand=brand, title=title, message=text)


def money(amount: int, currency: str) -> str:

    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount) / 100:,.2f}" if currency == "usd" else \
        f"{sign}{abs(amount) / 100:,.2f} {currency.upper()}"
