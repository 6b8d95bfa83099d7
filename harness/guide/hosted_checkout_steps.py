"""Glue: pay on Stripe Checkout's hosted page in a real (headless) Chromium.

The platform's ``/book/<listing>`` creates a Checkout Session and redirects (303) to the
Session's ``url``: a payment page that Stripe hosts, not the platform. On the emulator that
page is served at ``<api_base>/c/pay/<cs_…>``; it takes the renter's email, the name on the
card and the card itself (inside the same stand-in card iframe as the Elements flow), and
after a successful payment sends the browser to ``success_url``.

Real Checkout (``checkout.stripe.com``) is a different page that this driver does not
script: in test mode, a person opens the Session's URL and pays there.

Two ways in, as in :mod:`harness.guide.elements_checkout`:

* :class:`HostedCheckoutPage` wraps a Playwright ``Page`` you already have (the browser tests
  use one browser for a whole module);
* :class:`HostedCheckoutDriver` owns a browser on a worker thread, so it also runs inside a
  Jupyter kernel.

The Session's client secret stays inside the hosted page; nothing here reads it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..lab.platform_server import PlatformHandle
from ..lab.session import Lab
from ..lab.tools import CHROMIUM, skip
from .elements_checkout import DECLINED, INSUFFICIENT_FUNDS, THREE_D_SECURE, VISA, Card
from .elements_checkout import CheckoutDriver as _BrowserThread
from .elements_checkout import CheckoutPage as _CardPage

RENTER_EMAIL = "sam.rivera@example.com"
HOSTED_PATH = "/c/pay/"

# The hosted page, once a click on Pay has settled: an error under the card, or the 3DS modal.
# (A successful payment leaves the page; the driver sees that from the URL.)
_SETTLED = """() => {
  const form = document.querySelector('#payment-form');
  const pay = document.querySelector('#pay');
  if (!form || !pay) return false;
  const modal = [...document.querySelectorAll('iframe')].some(f => !form.contains(f)
      && f.getBoundingClientRect().width > 100 && f.getBoundingClientRect().height > 100);
  if (modal) return 'challenge';
  const errors = document.querySelector('#card-errors');
  if (errors.textContent.trim() && !pay.disabled) return 'error';
  return false;
}"""


@dataclass
class HostedResult:
    """What the renter saw on the hosted page, and where the browser ended up."""

    listing: str
    nights: int
    session: str  # the cs_… the page belonged to
    card: str  # last 4 digits only ("" when the renter canceled)
    three_d_secure: str | None  # "complete" / "fail" when the modal was answered
    outcome: str  # "redirected" (to success_url), "error", "canceled" or "closed"
    message: str  # the page's error, or the heading of the page the browser landed on
    landed_on: str  # path and query of the final page (no host, so no port)
    screenshot: bytes = field(default=b"", repr=False)  # the final page
    form_screenshot: bytes = field(default=b"", repr=False)  # the hosted page, filled in
    challenge_screenshot: bytes = field(default=b"", repr=False)  # the 3DS modal, if shown

    def image(self, which: str = "final") -> Any:
        """``final`` (the page at the end), ``form`` (the hosted page before Pay) or
        ``challenge`` (the 3DS modal) as an IPython image."""
        from IPython.display import Image

        data = {"final": self.screenshot, "form": self.form_screenshot,
                "challenge": self.challenge_screenshot}[which]
        if not data:
            raise ValueError(f"no {which} screenshot was taken")
        return Image(data=data, format="png")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class HostedCheckoutPage(_CardPage):
    """Stripe Checkout's hosted payment page in a Playwright ``Page``, driven like a renter.

    The card inputs (``number``, ``expiry``, ``cvc``, ``postal``) and the 3D Secure modal work
    as on the Elements page, so those helpers are inherited.
    """

    def __init__(self, page: Any) -> None:
        super().__init__(page, "card")
        self.form_screenshot = b""
        # The Checkout Session this page pays: the last part of its URL (kept, since the
        # browser leaves the page once it is paid).
        self.session = urlsplit(page.url).path.rsplit("/", 1)[-1]

    @classmethod
    def book(cls, page: Any, platform_url: str, listing: str, *, nights: int = 1,
             timeout: float = 10.0) -> HostedCheckoutPage:
        """Open the platform's ``/book/<listing>``, follow its redirect to Stripe's page."""
        page.goto(f"{platform_url.rstrip('/')}/book/{listing}?nights={nights}")
        return cls.attach(page, timeout=timeout)

    @classmethod
    def attach(cls, page: Any, *, timeout: float = 10.0) -> HostedCheckoutPage:
        """A page that is already on (or on its way to) a hosted Checkout page."""
        page.wait_for_url(re.compile(re.escape(HOSTED_PATH)), timeout=timeout * 1000)
        hosted = cls(page)
        hosted.field("number").wait_for(state="visible", timeout=timeout * 1000)
        return hosted

    # -- reading the page -------------------------------------------------------------------
    @property
    def payment_intent(self) -> str:  # the hosted page never shows it; ask the API
        raise AttributeError("read the PaymentIntent from the Checkout Session "
                             "(session.payment_intent)")

    def on_hosted_page(self) -> bool:
        return HOSTED_PATH in urlsplit(self.page.url).path

    def total(self) -> str:
        return self.page.inner_text("#total").strip()

    def busy(self) -> bool:
        return self.page.is_disabled("#pay")

    def pay_label(self) -> str:
        return self.page.inner_text("#pay").strip()

    def heading(self) -> str:
        return self.page.inner_text("h1").strip() if self.page.locator("h1").count() else ""

    # -- typing -------------------------------------------------------------------------------
    def fill(self, card: Card, email: str | None = RENTER_EMAIL) -> None:
        if email is not None:
            self.page.fill("#email", email)
        self.page.fill("#cardholder", card.name)
        self.type("number", card.number)
        self.type("expiry", card.expiry)
        self.type("cvc", card.cvc)
        if card.postal:
            self.type("postal", card.postal)

    def submit(self) -> None:
        self.page.click("#pay")

    def cancel(self, timeout: float = 10.0) -> str:
        """Click "← Back to …": the browser goes to the Session's ``cancel_url``."""
        self.page.click("#cancel")
        self.page.wait_for_url(lambda url: HOSTED_PATH not in urlsplit(url).path,
                               timeout=timeout * 1000)
        self.page.wait_for_load_state()
        return "canceled"

    # -- waiting ------------------------------------------------------------------------------
    def wait(self, timeout: float = 15.0) -> str:
        """Until the click on Pay settles: ``redirected`` (the browser left for
        ``success_url``), ``error`` (shown under the card, form enabled again) or
        ``challenge`` (the 3D Secure modal is open)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.on_hosted_page():
                self.page.wait_for_load_state()
                return "redirected"
            try:
                state = self.page.evaluate(_SETTLED)
            except Exception:  # the page is navigating away right now
                state = False
            if state:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError("the hosted page did not settle")
            self.page.wait_for_timeout(50)

    def pay(self, card: Card, *, email: str | None = RENTER_EMAIL,  # type: ignore[override]
            three_d_secure: str = "complete", timeout: float = 15.0) -> tuple[str, str | None]:
        """Fill, click Pay, answer 3DS if asked; returns (outcome, the 3DS answer or None)."""
        if three_d_secure not in ("complete", "fail"):
            raise ValueError("three_d_secure must be 'complete' or 'fail'")
        self.fill(card, email)
        self.form_screenshot = self.screenshot()
        self.submit()
        outcome, answered = self.wait(timeout), None
        if outcome == "challenge":
            frame = self.challenge_frame()
            frame.locator("button:enabled").first.wait_for(timeout=timeout * 1000)
            self.challenge_screenshot = self.page.screenshot()
            self.answer_challenge(three_d_secure == "complete", timeout=timeout)
            answered = three_d_secure
            outcome = self.wait(timeout)
        return outcome, answered

    def answer_challenge(self, complete: bool = True, timeout: float = 15.0) -> None:
        """Click "Complete" or "Fail" in the 3D Secure modal, and wait until it has closed."""
        super().answer_challenge(complete)
        deadline = time.monotonic() + timeout
        while self.on_hosted_page():
            try:
                if self.page.evaluate(_SETTLED) != "challenge":
                    return
            except Exception:  # navigating away: the modal is gone with the page
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the 3D Secure modal did not close")
            self.page.wait_for_timeout(50)

    def message(self, outcome: str) -> str:
        if outcome == "error":
            return self.error_text()
        return self.heading()


class HostedCheckoutDriver(_BrowserThread):
    """A headless Chromium of its own, on a worker thread (safe inside Jupyter), that books
    listings on the platform and pays on the hosted page."""

    def __init__(self, platform_url: str, *, viewport: tuple[int, int] = (1000, 640)) -> None:
        super().__init__(platform_url, viewport=viewport)

    def pay(self, listing: str, card: Card | str = VISA, *,  # type: ignore[override]
            nights: int = 1, email: str = RENTER_EMAIL, three_d_secure: str = "complete",
            close_before_redirect: bool = False, retry_with: Card | str | None = None,
            ) -> HostedResult:
        """Book ``listing`` on the platform (``/book/<listing>``, which redirects to Stripe's
        page), then pay there with ``card``.

        ``close_before_redirect`` plays the renter who closes the tab as soon as the payment
        went through: the browser never reaches ``success_url``. ``retry_with`` types a
        second card into the same page if the first one fails (declined, 3DS failed).
        """
        return self.pay_url(f"{self.base_url.rstrip('/')}/book/{listing}?nights={nights}",
                            card, email=email, three_d_secure=three_d_secure,
                            close_before_redirect=close_before_redirect,
                            retry_with=retry_with, listing=listing, nights=nights)

    def pay_url(self, url: str, card: Card | str = VISA, *, email: str = RENTER_EMAIL,
                three_d_secure: str = "complete", close_before_redirect: bool = False,
                retry_with: Card | str | None = None, listing: str = "",
                nights: int = 0) -> HostedResult:
        """Open ``url`` (a Session's ``url``, or a page that redirects to one) and pay."""
        card = Card(card) if isinstance(card, str) else card
        retry = Card(retry_with) if isinstance(retry_with, str) else retry_with

        def run() -> HostedResult:
            context, page = self._page()
            try:
                if close_before_redirect:  # the tab is gone before success_url loads
                    page.route(re.compile(re.escape(self.base_url) + r"/success\b.*"),
                               lambda route: route.abort())
                page.goto(url)
                hosted = HostedCheckoutPage.attach(page)
                outcome, answered = hosted.pay(card, email=email,
                                               three_d_secure=three_d_secure)
                used = card
                if outcome == "error" and retry is not None:
                    hosted.type("number", retry.number)
                    hosted.submit()
                    outcome, used = hosted.wait(), retry
                if close_before_redirect and outcome == "redirected":
                    outcome = "closed"
                return HostedResult(
                    listing=listing, nights=nights, session=hosted.session, card=used.last4,
                    three_d_secure=answered, outcome=outcome,
                    message="" if outcome == "closed" else hosted.message(outcome),
                    landed_on=_path(page.url) if outcome != "closed" else "",
                    screenshot=hosted.screenshot(), form_screenshot=hosted.form_screenshot,
                    challenge_screenshot=hosted.challenge_screenshot,
                )
            finally:
                context.close()

        return self._call(run)

    def cancel(self, listing: str, *, nights: int = 1) -> HostedResult:
        """``/book/<listing>``, then leave Stripe's page by its back link (``cancel_url``)."""

        def run() -> HostedResult:
            context, page = self._page()
            try:
                hosted = HostedCheckoutPage.book(page, self.base_url, listing, nights=nights)
                session = hosted.session
                form = hosted.screenshot()
                outcome = hosted.cancel()
                return HostedResult(
                    listing=listing, nights=nights, session=session, card="",
                    three_d_secure=None, outcome=outcome, message=hosted.heading(),
                    landed_on=_path(page.url), screenshot=hosted.screenshot(),
                    form_screenshot=form,
                )
            finally:
                context.close()

        return self._call(run)

    def visit(self, path: str) -> tuple[str, bytes]:
        """Open a page of the platform app (``/success?session_id=…``) as a browser would:
        its text and a screenshot."""

        def run() -> tuple[str, bytes]:
            context, page = self._page()
            try:
                page.goto(self.base_url.rstrip("/") + path)
                return page.inner_text("body").strip(), page.screenshot(full_page=True)
            finally:
                context.close()

        return self._call(run)

    def __repr__(self) -> str:
        return f"<HostedCheckoutDriver on {self.base_url}>"


# -- the webhook that does the work -----------------------------------------------------------
FULFILMENT_EVENTS = ("payment_intent.succeeded", "checkout.session.completed")


def connect_webhook(lab: Lab, platform: PlatformHandle,
                    events: Iterable[str] = FULFILMENT_EVENTS) -> str:
    """Register a WebhookEndpoint for the platform's ``/webhook`` and give the platform its
    signing secret. Returns the endpoint's ID; the ``whsec_`` secret is never returned.

    Stripe cannot reach ``127.0.0.1``: in test mode, forward events with ``stripe listen``
    (notebook 05) instead and give the platform the secret the CLI prints.
    """
    if not lab.config.is_emulator:
        raise RuntimeError("Stripe cannot reach this machine's 127.0.0.1: run `stripe listen "
                           "--events checkout.session.completed,payment_intent.succeeded "
                           f"--forward-to {platform.url_for('/webhook')}` (notebook 05).")
    endpoint = lab.client.v1.webhook_endpoints.create({
        "url": platform.url_for("/webhook"), "enabled_events": list(events),
        "description": "Connect Lab platform: fulfil bookings"})
    platform.config.webhook_secret = endpoint.secret
    return endpoint.id


def wait_for_webhooks(platform: PlatformHandle, session_id: str, *,
                      events: Iterable[str] = FULFILMENT_EVENTS,
                      timeout: float = 20.0) -> list[dict[str, Any]]:
    """Wait until the platform's handler has decided on every event in ``events`` for this
    Checkout Session (and its PaymentIntent); returns its rows, in the order handled.

    Deliveries are asynchronous: print nothing about fulfilment before this returns.
    """
    wanted = set(events)
    deadline = time.monotonic() + timeout
    while True:
        booking = platform.db.one(
            "SELECT payment_intent FROM bookings WHERE checkout_session=?", (session_id,))
        ids = [session_id] + ([booking["payment_intent"]] if booking and
                              booking["payment_intent"] else [])
        marks = ",".join("?" * len(ids))
        rows = platform.db.query(
            "SELECT id AS event, type, object_id, decision FROM webhook_events"
            f" WHERE object_id IN ({marks}) ORDER BY rowid", ids)
        if wanted <= {r["type"] for r in rows}:
            return rows
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {sorted(wanted)} about {session_id}")
        time.sleep(0.05)


def book_redirect(platform: PlatformHandle, listing: str, nights: int = 1) -> tuple[int, str]:
    """``GET /book/<listing>?nights=N`` without following the redirect, as the first half of a
    browser's visit: (status, ``Location``). The Location is the Checkout Session's ``url``."""
    import urllib.error
    import urllib.request

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(Stay)
    try:
        with opener.open(platform.url_for(f"/book/{listing}?nights={nights}"),
                         timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def session_id_from_url(url: str) -> str:
    """The ``cs_…`` at the end of a Checkout URL (emulator or ``checkout.stripe.com``)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _page_api(method: str, url: str, key: str, params: dict[str, str] | None = None) -> Any:
    import json
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode(params).encode() if params is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def pay_without_browser(location: str, email: str = RENTER_EMAIL) -> str:
    """Emulator, no Chromium here: send the hosted page's own requests (its script's
    ``payment_pages/…/init``, then Stripe.js's confirmation with the page's publishable key
    and the test card 4242's ``pm_card_visa``) as plain HTTP. Returns what the Session says."""
    import html as html_mod
    import json

    skip(CHROMIUM, "the hosted page's own requests are sent as plain HTTP instead, "
                   "paying with 4242 4242 4242 4242")
    _, page = _fetch(location)
    found = re.search(r'data-config="([^"]*)"', page)
    if found is None:
        raise RuntimeError("the Checkout page has no payment form")
    config = json.loads(html_mod.unescape(found.group(1)))
    base = location.split("/c/pay/", 1)[0]
    pages = f"{base}/v1/payment_pages/{config['session']}"
    init = _page_api("POST", pages + "/init", config["pk"], {"email": email, "name": Card().name})
    if init.get("status") != "complete":
        secret = init["client_secret"]
        _page_api("POST", f"{base}/v1/payment_intents/{secret.split('_secret_')[0]}/confirm",
                  config["pk"], {"client_secret": secret, "payment_method": "pm_card_visa"})
    status = _page_api("GET", pages, config["pk"])
    return f"paid without a browser: the Session is {status.get('status')}"


def _fetch(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def fetch_text(url: str) -> tuple[int, str]:
    """GET a page without a browser: (status, its visible text). Works in both modes."""
    import html as html_mod
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    body = re.sub(r"(?is)<(script|style|title).*?</\1>", "", body)
    text = re.sub(r"(?i)<(br|/p|/h1|/h2|/li|/tr)[^>]*>", "\n", body)
    text = html_mod.unescape(re.sub(r"<[^>]+>", "", text))
    return status, "\n".join(line.strip() for line in text.splitlines() if line.strip())


def session_summary(lab: Lab, session_id: str):
    """The fields of a Checkout Session that this notebook cares about (pandas)."""
    import pandas as pd

    s = lab.client.v1.checkout.sessions.retrieve(session_id)
    fields = ["id", "mode", "status", "payment_status", "amount_total", "currency",
              "customer_email", "payment_intent", "success_url", "cancel_url", "url"]
    rows = {f: getattr(s, f) for f in fields}
    details = s.customer_details
    rows["customer_details"] = None if details is None else \
        f"{details.name} <{details.email}>" if details.name else details.email
    return pd.DataFrame({"value": [str(v) if v is not None else "None"
                                   for v in rows.values()]}, index=list(rows))


def decisions(platform: PlatformHandle):
    """What the platform's ``/webhook`` decided, one row per event it handled (pandas)."""
    import pandas as pd

    rows = platform.db.query(
        "SELECT id AS event, type, object_id, decision FROM webhook_events ORDER BY rowid")
    return pd.DataFrame(rows, columns=["event", "type", "object_id", "decision"])


def bookings(platform: PlatformHandle):
    """The platform's bookings made through Checkout (pandas), oldest first."""
    import pandas as pd

    rows = platform.db.query(
        "SELECT id, listing_id, nights, amount, application_fee, checkout_session,"
        " payment_intent, status, connected FROM bookings WHERE checkout_session IS NOT NULL"
        " ORDER BY id")
    return pd.DataFrame(rows, columns=["id", "listing_id", "nights", "amount",
                                       "application_fee", "checkout_session",
                                       "payment_intent", "status", "connected"]).set_index("id")


def sessions(lab: Lab, labelled: Mapping[str, str]):
    """Checkout Sessions as the API sees them, one row per ``{label: cs_…}`` (pandas)."""
    import pandas as pd

    rows = []
    for label, session_id in labelled.items():
        s = lab.client.v1.checkout.sessions.retrieve(session_id)
        pi = lab.client.v1.payment_intents.retrieve(s.payment_intent) if s.payment_intent \
            else None
        error = pi.last_payment_error if pi else None
        rows.append({"attempt": label, "status": s.status, "payment_status": s.payment_status,
                     "amount_total": s.amount_total, "payment_intent": s.payment_intent,
                     "pi_status": pi.status if pi else None,
                     "amount_received": pi.amount_received if pi else 0,
                     "last_error": error.code if error else None})
    return pd.DataFrame(rows, columns=["attempt", "status", "payment_status", "amount_total",
                                       "payment_intent", "pi_status", "amount_received",
                                       "last_error"]).set_index("attempt")


__all__ = [
    "DECLINED", "FULFILMENT_EVENTS", "INSUFFICIENT_FUNDS", "RENTER_EMAIL", "THREE_D_SECURE",
    "VISA", "Card", "HostedCheckoutDriver", "HostedCheckoutPage", "HostedResult", "book_redirect",
    "bookings", "connect_webhook", "decisions", "fetch_text", "session_id_from_url",
    "session_summary", "sessions", "wait_for_webhooks",
]


# -- section 9: a Session priced with Products and Prices -------------------------------------
def listing_catalog(lab: Lab, listing_id: str, cleaning_fee: int) -> dict[str, str]:
    """The platform's catalog for one listing: a Product with a per-night Price, and a
    "Cleaning fee" Product with a flat Price. Returns ``{"nightly": price_…, "cleaning":
    price_…}``. (A real platform creates its catalog once and keeps these IDs; each run of
    this notebook in test mode makes new ones.)"""
    from ..books import marketplace

    stay = marketplace.listing(listing_id)
    catalog = {}
    for role, name, amount in (("nightly", f"{stay.title} ({stay.city}), one night",
                                stay.nightly_price), ("cleaning", "Cleaning fee", cleaning_fee)):
        product = lab.client.v1.products.create({
            "name": name, "metadata": {"listing_id": listing_id},
            "default_price_data": {"currency": stay.currency, "unit_amount": amount}})
        catalog[role] = product.default_price
    return catalog


def destination_for(lab: Lab, platform: PlatformHandle, listing_id: str,
                    line_items: list[dict[str, Any]]) -> dict[str, Any]:
    """``payment_intent_data`` for a destination charge to the listing's homeowner. The
    server adds up the Prices itself (unit amount x quantity, as Checkout does) to take the
    platform's fee on that total: the browser never names an amount."""
    from ..books import marketplace

    total = sum(lab.client.v1.prices.retrieve(item["price"]).unit_amount * item["quantity"]
                for item in line_items)
    owner = platform.db.one("SELECT stripe_account_id FROM homeowners WHERE id=?",
                            (marketplace.listing(listing_id).homeowner_id,))
    return {"application_fee_amount": marketplace.application_fee(total),
            "transfer_data": {"destination": owner["stripe_account_id"]},
            "metadata": {"listing_id": listing_id}}


def line_items_table(lab: Lab, session_id: str):
    """A Session's line items as Stripe lists them (pandas)."""
    import pandas as pd

    items = lab.client.v1.checkout.sessions.line_items.list(session_id, {"limit": 100})
    return pd.DataFrame([{"description": i.description, "price": i.price.id,
                          "unit_amount": i.price.unit_amount, "quantity": i.quantity,
                          "amount_subtotal": i.amount_subtotal, "amount_total": i.amount_total,
                          "currency": i.currency} for i in items.data])


def catalog_table(lab: Lab, catalog: Mapping[str, str]):
    """The catalog's Prices as the API returns them (pandas)."""
    import pandas as pd

    rows = []
    for role, price_id in catalog.items():
        price = lab.client.v1.prices.retrieve(price_id, {"expand": ["product"]})
        rows.append({"role": role, "price": price.id, "product": price.product.id,
                     "name": price.product.name, "unit_amount": price.unit_amount,
                     "currency": price.currency, "type": price.type})
    return pd.DataFrame(rows)


def paid_by_hand(lab: Lab, session_id: str) -> bool:
    """Has this Session been paid already (the learner opened the printed link and paid)?
    Then the notebook reads that payment instead of paying the Session a second time."""
    return lab.client.v1.checkout.sessions.retrieve(session_id).status == "complete"
