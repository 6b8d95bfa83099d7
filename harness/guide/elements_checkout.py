"""Glue: pay on the platform's checkout page in a real (headless) Chromium.

A renter would type a card into the page; here Playwright does it. The same code works
against the emulator's Stripe.js stand-in and, where a browser can reach js.stripe.com,
against real Stripe test mode: the inputs are found by the names Stripe's own Elements use
(``cardnumber``, ``exp-date``, ``cvc``, ``postal``; in the Payment Element ``number``,
``expiry``, ``cvc``, ``postalCode``), and the 3D Secure modal by its buttons.

Two ways in:

* :class:`CheckoutPage` wraps a Playwright ``Page`` you already have (the browser tests
  use one browser for a whole module).
* :class:`CheckoutDriver` owns its own browser in a worker thread, so it also runs inside a
  Jupyter kernel (Playwright's sync API refuses to run on a thread with an asyncio loop).

The page's client secret is read only to know the PaymentIntent's ID; it is never
returned, printed or stored.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..books import marketplace
from ..lab.platform_server import PlatformHandle, start_platform
from ..lab.session import Lab
from ..lab.tools import CHROMIUM, has_chromium, skip

T = TypeVar("T")

VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"

# Where each checkout variant's inputs are: (container of the iframe, input name).
FIELDS = {
    "card": {"number": ("#card-element", "cardnumber"), "expiry": ("#card-element", "exp-date"),
             "cvc": ("#card-element", "cvc"), "postal": ("#card-element", "postal")},
    "split": {"number": ("#card-number", "cardnumber"), "expiry": ("#card-expiry", "exp-date"),
              "cvc": ("#card-cvc", "cvc")},
    "payment": {"number": ("#payment-element", "number"),
                "expiry": ("#payment-element", "expiry"),
                "cvc": ("#payment-element", "cvc"),
                "postal": ("#payment-element", "postalCode")},
}

# What the page shows once a confirmation is over: success, an error, or the 3DS modal.
_SETTLED = """() => {
  const result = document.querySelector('#payment-result');
  if (result && !result.hidden) return 'success';
  const form = document.querySelector('#payment-form');
  const modal = [...document.querySelectorAll('iframe')].some(f => !form.contains(f)
      && f.getBoundingClientRect().width > 100 && f.getBoundingClientRect().height > 100);
  if (modal) return 'challenge';
  const errors = document.querySelector('#card-errors');
  if (errors.textContent.trim() && !document.querySelector('#submit').disabled) return 'error';
  return false;
}"""


@dataclass(frozen=True)
class Card:
    """What a renter types. Expiry as on the card, ``MM / YY``."""

    number: str = VISA
    expiry: str = "12 / 34"
    cvc: str = "123"
    postal: str = "42424"
    name: str = "Sam Rivera"

    @property
    def last4(self) -> str:
        return re.sub(r"\D", "", self.number)[-4:]


@dataclass
class CheckoutResult:
    """What the renter saw, and which PaymentIntent the page was paying."""

    listing: str
    nights: int
    ui: str
    card: str  # last 4 digits only
    three_d_secure: str | None  # "complete" / "fail" when the modal was answered
    outcome: str  # "success" or "error"
    message: str
    payment_intent: str
    screenshot: bytes = field(default=b"", repr=False)
    challenge_screenshot: bytes = field(default=b"", repr=False)  # the 3DS modal, if shown

    def image(self, which: str = "final") -> Any:
        """The page at the end (or ``which="challenge"``: the 3DS modal) as an IPython image."""
        from IPython.display import Image

        data = self.challenge_screenshot if which == "challenge" else self.screenshot
        if not data:
            raise ValueError(f"no {which} screenshot was taken")
        return Image(data=data, format="png")


class CheckoutPage:
    """The checkout page in a Playwright ``Page``, driven like a renter would."""

    def __init__(self, page: Any, ui: str = "card") -> None:
        if ui not in FIELDS:
            raise ValueError(f"ui must be one of {sorted(FIELDS)}")
        self.page = page
        self.ui = ui
        self.challenge_screenshot = b""

    @classmethod
    def open(cls, page: Any, base_url: str, listing: str, *, nights: int = 1,
             ui: str = "card", timeout: float = 10.0) -> CheckoutPage:
        query = f"?nights={nights}" + (f"&ui={ui}" if ui != "card" else "")
        page.goto(f"{base_url.rstrip('/')}/checkout/{listing}{query}")
        checkout = cls(page, ui)
        checkout.field("number").wait_for(state="visible", timeout=timeout * 1000)
        return checkout

    # -- reading the page -------------------------------------------------------------------
    @property
    def payment_intent(self) -> str:
        """The PaymentIntent this page pays (the ID part of its client secret)."""
        secret = self.page.get_attribute("#payment-form", "data-secret") or ""
        return secret.split("_secret_", 1)[0]

    def error_text(self) -> str:
        return self.page.inner_text("#card-errors").strip()

    def succeeded(self) -> bool:
        return self.page.is_visible("#payment-result")

    def busy(self) -> bool:
        return self.page.is_disabled("#submit")

    def screenshot(self) -> bytes:
        return self.page.screenshot(full_page=True)

    # -- typing ---------------------------------------------------------------------------------
    def field(self, name: str) -> Any:
        """The input ``number``, ``expiry``, ``cvc`` or ``postal`` (inside Stripe's iframe)."""
        container, input_name = FIELDS[self.ui][name]
        frame = self.page.frame_locator(f"{container} iframe").first
        return frame.locator(f'input[name="{input_name}"]')

    def type(self, name: str, value: str) -> None:
        self.field(name).fill(value)

    def fill(self, card: Card) -> None:
        self.page.fill("#cardholder-name", card.name)
        self.type("number", card.number)
        self.type("expiry", card.expiry)
        self.type("cvc", card.cvc)
        if card.postal and "postal" in FIELDS[self.ui]:
            self.type("postal", card.postal)

    def submit(self) -> None:
        self.page.click("#submit")

    # -- waiting ------------------------------------------------------------------------------
    def wait(self, timeout: float = 15.0) -> str:
        """Until the confirmation settles: ``success``, ``error`` or ``challenge``."""
        handle = self.page.wait_for_function(_SETTLED, timeout=timeout * 1000, polling=50)
        return handle.json_value()

    def challenge_frame(self, timeout: float = 10.0) -> Any:
        """The frame of the 3D Secure modal (found by its "Complete" button)."""
        pattern = re.compile(r"^\s*complete", re.I)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if frame is self.page.main_frame:
                    continue
                try:
                    if frame.get_by_role("button", name=pattern).count():
                        return frame
                except Exception:  # a frame that went away while we looked
                    continue
            self.page.wait_for_timeout(50)
        raise TimeoutError("no 3D Secure challenge appeared")

    def answer_challenge(self, complete: bool = True) -> None:
        frame = self.challenge_frame()
        name = re.compile(r"^\s*complete" if complete else r"^\s*fail", re.I)
        frame.get_by_role("button", name=name).click()

    def pay(self, card: Card, *, three_d_secure: str = "complete",
            timeout: float = 15.0) -> tuple[str, str | None]:
        """Fill, submit, answer 3DS if asked; returns (outcome, the 3DS answer or None)."""
        if three_d_secure not in ("complete", "fail"):
            raise ValueError("three_d_secure must be 'complete' or 'fail'")
        self.fill(card)
        self.submit()
        outcome, answered = self.wait(timeout), None
        if outcome == "challenge":
            frame = self.challenge_frame()
            frame.locator("button:enabled").first.wait_for(timeout=timeout * 1000)
            self.challenge_screenshot = self.page.screenshot()
            self.answer_challenge(three_d_secure == "complete")
            answered = three_d_secure
            self.page.wait_for_function(f"() => ({_SETTLED})() !== 'challenge'",
                                        timeout=timeout * 1000, polling=50)
            outcome = self.wait(timeout)
        return outcome, answered

    def message(self, outcome: str) -> str:
        if outcome == "success":
            return self.page.inner_text("#payment-result h2").strip()
        return self.error_text()


class CheckoutDriver:
    """A headless Chromium of its own, on a worker thread (safe inside Jupyter)."""

    def __init__(self, base_url: str, *, viewport: tuple[int, int] = (1000, 640)) -> None:
        self.base_url = base_url
        self.viewport = {"width": viewport[0], "height": viewport[1]}
        self._pool: ThreadPoolExecutor | None = None
        self._stack = ExitStack()
        self._browser: Any = None
        self.available = has_chromium()
        if not self.available:  # a falsy driver: the notebooks' `if driver` cells skip
            skip(CHROMIUM, "pay by hand in your own browser instead")
            return
        self._call(lambda: None)  # start the browser now: a failure shows in this cell

    def __bool__(self) -> bool:
        return self.available

    def _call(self, fn: Callable[[], T], timeout: float = 120.0) -> T:
        """``fn`` on the browser's thread. After :meth:`close` the next call starts a fresh
        browser: a notebook closes its driver in its last cell, yet after Run All the
        learner still does the exercise above it with the same driver."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkout-browser")
            try:
                self._pool.submit(self._start).result(timeout)
            except BaseException:
                self._pool.shutdown(wait=False)
                self._pool = None
                raise
        return self._pool.submit(fn).result(timeout)

    def _start(self) -> None:
        from ..lab.chromium import browser

        self._browser = self._stack.enter_context(browser())

    def _page(self) -> tuple[Any, Any]:
        from ..lab.public import route_to_local

        context = self._browser.new_context(viewport=self.viewport)
        route_to_local(context)  # public (proxied) links open the local servers, as locally
        return context, context.new_page()

    def pay(self, listing: str, card: Card | str = VISA, *, nights: int = 1, ui: str = "card",
            three_d_secure: str = "complete") -> CheckoutResult:
        """Open ``/checkout/<listing>``, pay with ``card``, and report what the renter saw."""
        card = Card(card) if isinstance(card, str) else card

        def run() -> CheckoutResult:
            context, page = self._page()
            try:
                checkout = CheckoutPage.open(page, self.base_url, listing, nights=nights, ui=ui)
                outcome, answered = checkout.pay(card, three_d_secure=three_d_secure)
                return CheckoutResult(
                    listing=listing, nights=nights, ui=ui, card=card.last4,
                    three_d_secure=answered, outcome=outcome,
                    message=checkout.message(outcome),
                    payment_intent=checkout.payment_intent,
                    screenshot=checkout.screenshot(),
                    challenge_screenshot=checkout.challenge_screenshot,
                )
            finally:
                context.close()

        return self._call(run)

    def screenshot(self, path: str) -> bytes:
        """A picture of any page of the platform app (``path`` like ``/checkout/success``)."""

        def run() -> bytes:
            context, page = self._page()
            try:
                page.goto(self.base_url.rstrip("/") + path)
                return page.screenshot(full_page=True)
            finally:
                context.close()

        return self._call(run)

    def close(self) -> None:
        if self._pool is None:
            return
        if self._browser is not None:
            self._call(self._stack.close)
            self._browser = None
        self._pool.shutdown(wait=True)
        self._pool = None

    def __enter__(self) -> CheckoutDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CheckoutDriver on {self.base_url}>"


# -- the marketplace, seeded into the platform app ----------------------------------------------
def platform_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``data/`` as the rows the platform's database holds (homeowners, listings)."""
    owners = [{"id": h.homeowner_id, "name": h.name, "email": h.email}
              for h in marketplace.homeowners()]
    listings = [{"id": x.listing_id, "homeowner_id": x.homeowner_id, "title": x.title,
                 "city": x.city, "nightly_price": x.nightly_price, "currency": x.currency}
                for x in marketplace.listings()]
    return owners, listings


def connect_homeowner(lab: Lab, platform: PlatformHandle, homeowner_id: str, *,
                      onboard: bool = True) -> str:
    """Create the homeowner's Express account, save its ``acct_`` in the platform's
    database, and (``onboard``) finish onboarding. On the emulator onboarding completes at
    once; in test mode :meth:`Lab.complete_onboarding` returns a link a person must open."""
    owner = marketplace.homeowner(homeowner_id)
    account = lab.client.v1.accounts.create(marketplace.express_account_params(owner))
    with platform.db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id = ? WHERE id = ?",
                     (account.id, homeowner_id))
    if onboard:
        note = lab.complete_onboarding(account.id)
        if not lab.config.is_emulator:
            print(f"{homeowner_id}: {note}")
    return account.id


def start_marketplace_platform(lab: Lab, *, connect: Iterable[str] = ("ho_001",),
                               **kwargs: Any) -> PlatformHandle:
    """The platform app on a free port, seeded with ``data/``, with the homeowners in
    ``connect`` connected and onboarded."""
    owners, listings = platform_rows()
    platform = start_platform(lab, homeowners=owners, listings=listings, **kwargs)
    for homeowner_id in connect:
        connect_homeowner(lab, platform, homeowner_id)
    return platform


__all__ = [
    "DECLINED", "INSUFFICIENT_FUNDS", "THREE_D_SECURE", "VISA", "Card", "CheckoutDriver",
    "CheckoutPage", "CheckoutResult", "connect_homeowner", "platform_rows",
    "start_marketplace_platform",
]


def page_payments(lab: Lab, platform: PlatformHandle, listing: str):
    """The PaymentIntents the platform's checkout page made for ``listing`` (one per page
    load), with what Stripe says of each now: pay in the page above by hand, run this, and
    your payment is the ``succeeded`` row."""
    import pandas as pd

    rows = []
    for booking in platform.db.query(
            "SELECT payment_intent, nights FROM bookings WHERE listing_id=? AND payment_intent"
            " IS NOT NULL ORDER BY id", (listing,)):
        pi = lab.client.v1.payment_intents.retrieve(booking["payment_intent"])
        rows.append({"payment_intent": pi.id, "nights": booking["nights"], "amount": pi.amount,
                     "status": pi.status, "amount_received": pi.amount_received})
    columns = ["payment_intent", "nights", "amount", "status", "amount_received"]
    return pd.DataFrame(rows, columns=columns).set_index("payment_intent")
