"""The emulator's hosted pages (Stripe's side of OAuth, onboarding, the Express Dashboard).

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

PAGES = Path(__file__).resolve().parent
DEFAULT_COLOR = "#635bff"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@functools.cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


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


def harden(response: Any, *, frameable: bool = False) -> Any:
    """The headers every page of Stripe's browser side sends.

    * no framing (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``), so no other
      site can overlay a hosted form (clickjacking), except for the pages Stripe.js itself
      puts in an iframe on the merchant's page (the card inputs, the 3D Secure challenge);
    * ``nosniff``, so an answer is only ever read as the type it says it is;
    * ``Referrer-Policy: no-referrer``: onboarding and dashboard paths carry single-use
      tokens, which must not leak to the next site in a ``Referer`` header.
    """
    if not isinstance(response, Response):
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not frameable:
        headers["X-Frame-Options"] = "DENY"
        policy = headers.get("Content-Security-Policy")
        if not policy or "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = "; ".join(
                p for p in (policy, "frame-ancestors 'none'") if p)
    return response


def branding(account: dict[str, Any] | None) -> dict[str, Any]:
    """What a hosted page shows of a platform: its name, icon and colours.

    Express platforms "control branding" of the hosted pages
    (https://docs.stripe.com/connect/express-accounts) through the platform account's
    ``settings.branding`` and business name. An icon that is a File ID cannot be shown
    offline, so the page falls back to the name's initial.
    """
    account = account or {}
    settings = account.get("settings") or {}
    brand = settings.get("branding") or {}
    name = ((settings.get("dashboard") or {}).get("display_name")
            or (account.get("business_profile") or {}).get("name") or "Your platform")
    icon = brand.get("icon")
    icon_url = icon if isinstance(icon, str) and icon.startswith(("https://", "http://",
                                                                    "data:image/")) else None
    return {"name": name, "initial": name[:1].upper(), "icon_url": icon_url,
            "primary_color": color(brand.get("primary_color")),
            "secondary_color": color(brand.get("secondary_color") or brand.get("primary_color"))}


def money(amount: int, currency: str) -> str:
    from ..shapes import ZERO_DECIMAL

    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount) / 100:,.2f}" if currency == "usd" else \
        f"{sign}{abs(amount) / 100:,.2f} {currency.upper()}"
