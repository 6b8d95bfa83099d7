"""Checkout's hosted payment page, ``/c/pay/<id>``: line items, email, card, Pay.

The page itself holds no rules: it shows a Session (``resources/checkout_sessions.py``) and
pays it with the Stripe.js stand-in through ``/v1/payment_pages/<id>/init`` and
``confirmCardPayment``, with the platform's publishable key. Its two templates,
``templates/checkout_pay.html`` and ``templates/checkout_expired.html``, are
``str.format`` templates (braces doubled), not Jinja ones: every value is escaped here.
"""

from __future__ import annotations

import html
import json
from functools import cache

from werkzeug.wrappers import Response

from ..pipeline import Page
from ..registry import route
from ..resources.checkout_sessions import safe_url, success_url_of
from .rendering import TEMPLATES, color


@cache
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@route("GET", "/c/pay/<id>", page=True)
def hosted_page(page: Page, id: str) -> Response:
    """Stripe's hosted payment page for a Session: line items, email, card, Pay."""
    emulator = page.emulator
    found = emulator.store.get(id)
    if found is None or found[1].get("object") != "checkout.session":
        return Response("<h1>This Checkout page does not exist.</h1>", status=404,
                        mimetype="text/html")
    ns, session = found
    platform_account = emulator.store.get(ns)
    brand = (platform_account[1] if platform_account else {}).get("settings", {}) \
        .get("branding", {})
    name = ((platform_account[1] if platform_account else {}).get("business_profile") or {}) \
        .get("name") or "Connect Lab"
    # The page's Stripe.js needs the platform's publishable key (public by design, and
    # unrelated to its secret key); a Session made as a connected account uses its platform's.
    publishable = emulator.publishable_key(ns) or (
        emulator.publishable_key(platform_account[0]) if platform_account else "")
    items = emulator.store.query(type="item", parent=id, limit=100, ascending=True)
    rows = "".join(
        f"<tr><td>{html.escape(i['description'])} × {i['quantity']}</td>"
        f"<td class='amount'>{_money(i['amount_total'], i['currency'])}</td></tr>"
        for i in items)
    expired = session["status"] == "expired" or \
        session["expires_at"] <= emulator.clock.now(ns)
    template = _template("checkout_pay.html" if not expired else "checkout_expired.html")
    body = template.format(
        name=html.escape(name), color=color(brand.get("primary_color")),
        rows=rows, total=_money(session["amount_total"], session["currency"]),
        email=html.escape(session["customer_email"] or ""),
        back=(f'<p><a id="cancel" href="{html.escape(session["cancel_url"])}">← Back to '
              f'{html.escape(name)}</a></p>' if safe_url(session["cancel_url"]) else ""),
        config=html.escape(json.dumps({"session": id, "pk": publishable,
                                        "status": session["status"],
                                        "success_url": success_url_of(session)})),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _money(amount: int, currency: str) -> str:
    return f"${amount / 100:,.2f}" if currency == "usd" else f"{amount} {currency.upper()}"
