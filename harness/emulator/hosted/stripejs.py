"""The Stripe.js stand-in, served from the emulator's own origin.

Real Stripe.js (https://js.stripe.com/v3/) cannot load offline, so a checkout page in
emulator mode loads ``<api_base>/v3/`` instead. Like the real library, the card inputs
live in iframes served by *this* origin (``/v3/elements-inner.html``): the platform's
page only ever holds references to them and never sees a card number. The iframes create
the PaymentMethod with the publishable key; the script confirms the PaymentIntent with
the publishable key and the client secret, never with a secret key. The 3D Secure test
challenge is the page at ``next_action.use_stripe_sdk.stripe_js`` (``/_emulator/3ds/<pi>``);
its buttons post to the ``/_emulator/3ds/<pi>`` control.

Code written from https://docs.stripe.com/js runs on it unchanged: every documented Element
type can be created and mounted (those with nothing to do offline mount an inert box that
says so), and a documented call the emulator does not model answers an error naming itself;
``static/stripe-v3.js`` lists what is covered. These routes are static files; they touch no
state.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from werkzeug.wrappers import Response

from ..pipeline import Page
from ..registry import route

STATIC = Path(__file__).resolve().parent / "static"
MIMETYPES = {
    ".js": "application/javascript",
    ".html": "text/html",
    ".css": "text/css",
}


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def static_file(name: str) -> Response:
    """One of the stand-in's files, with the headers js.stripe.com-like assets carry."""
    response = Response(_read(name), mimetype=MIMETYPES[Path(name).suffix])
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@route("GET", "/v3/", page=True)
def stripe_js(page: Page) -> Response:
    """The script a page includes with ``<script src="<api_base>/v3/">``."""
    return static_file("stripe-v3.js")


@route("GET", "/v3/elements-inner.html", page=True, frameable=True)
def element_frame(page: Page) -> Response:
    """The page inside every Element's iframe: the inputs, their validation, and the
    PaymentMethod creation (same origin as the API)."""
    return static_file("elements-inner.html")


@route("GET", "/v3/elements-inner.js", page=True)
def element_frame_js(page: Page) -> Response:
    return static_file("elements-inner.js")


@route("GET", "/_emulator/3ds/<id>", page=True, frameable=True)
def three_d_secure_page(page: Page, id: str) -> Response:
    """The test 3D Secure challenge that Stripe.js shows in a modal. The client secret
    reaches it by ``postMessage`` from the stand-in, never in its URL."""
    return static_file("three-d-secure.html")
