"""The measured calls. Each is the same stripe-python code for every backend.

A scenario's ``prepare(target)`` does the untimed set-up and returns ``(call, after)``:
``call()`` is what is timed, ``after(result)`` checks the result outside the timing (a
benchmark of wrong answers is worthless). A backend that lacks a call raises
``Unsupported`` from ``prepare`` with the reason it gave, found by asking it, not assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from servers import Unsupported

AMOUNT, CURRENCY = 1000, "usd"
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
LIST_SEED = 100  # PaymentIntents created (untimed) before the pagination row

Prepared = tuple[Callable[[], Any], Callable[[Any], None]]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    prepare: Callable[[Any], Prepared]
    note: str = ""
    # When a backend lacks this call, time this other scenario on it instead, interleaved
    # with the first backend's samples: a fair reference for goals that compare the two.
    reference: str | None = None


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def _short(exc: BaseException) -> str:
    if isinstance(exc, stripe.StripeError):
        message = (exc.user_message or str(exc)).strip().splitlines()[0]
        return f"HTTP {exc.http_status}: {message[:120]}"
    return f"{type(exc).__name__}: {str(exc)[:120]}"


# -- PaymentIntent create -----------------------------------------------------------------
def prepare_create(target: Any) -> Prepared:
    intents = target.client.v1.payment_intents

    def call() -> Any:
        return intents.create({"amount": AMOUNT, "currency": CURRENCY})

    def after(pi: Any) -> None:
        _expect(pi.id.startswith("pi_") and pi.status == "requires_payment_method",
                f"unexpected PaymentIntent {pi.id} {pi.status}")

    return call, after


# -- PaymentIntent create with confirm=True -------------------------------------------------
def prepare_confirm(target: Any) -> Prepared:
    intents = target.client.v1.payment_intents
    extra = target.confirm_extra

    def call() -> Any:
        return intents.create({"amount": AMOUNT, "currency": CURRENCY,
                               "payment_method": "pm_card_visa", "confirm": True, **extra})

    def after(pi: Any) -> None:
        _expect(pi.status == "succeeded", f"PaymentIntent {pi.id} is {pi.status}")

    return call, after


def saved_card(target: Any) -> tuple[str, str]:
    """A customer with a card PaymentMethod attached (untimed, once per target)."""
    if "saved_card" not in target.cache:
        client = target.client
        customer = client.v1.customers.create({"description": "bench renter"})
        pm = target.card_client.v1.payment_methods.create({"type": "card", "card": TEST_CARD})
        client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
        target.cache["saved_card"] = (customer.id, pm.id)
    return target.cache["saved_card"]


def prepare_confirm_saved(target: Any) -> Prepared:
    customer, pm = saved_card(target)
    intents = target.client.v1.payment_intents
    extra = target.confirm_extra

    def call() -> Any:
        return intents.create({"amount": AMOUNT, "currency": CURRENCY, "customer": customer,
                               "payment_method": pm, "confirm": True, **extra})

    def after(pi: Any) -> None:
        _expect(pi.status == "succeeded", f"PaymentIntent {pi.id} is {pi.status}")

    return call, after


# -- destination charge ---------------------------------------------------------------------
def connected_account(target: Any) -> str:
    """An Express account that completed onboarding (untimed, once per target)."""
    if "account" not in target.cache:
        client = target.client
        try:
            account = client.v1.accounts.create({
                "type": "express",
                "capabilities": {"transfers": {"requested": True},
                                 "card_payments": {"requested": True}},
            })
        except stripe.StripeError as exc:
            reasons = [f"POST /v1/accounts -> {_short(exc)}"]
            try:  # does it at least take the destination-charge parameters?
                client.v1.payment_intents.create({
                    "amount": AMOUNT, "currency": CURRENCY, "application_fee_amount": 123,
                    "transfer_data": {"destination": "acct_1BenchNoSuchAcct"}})
            except stripe.StripeError as exc2:
                reasons.append(
                    f"PaymentIntent create with application_fee_amount/transfer_data -> "
                    f"{_short(exc2)}")
            raise Unsupported("; ".join(reasons)) from None
        target.complete_onboarding(account.id)
        target.cache["account"] = account.id
    return target.cache["account"]


def prepare_destination(target: Any) -> Prepared:
    account = connected_account(target)
    intents = target.client.v1.payment_intents
    extra = target.confirm_extra

    def call() -> Any:
        pi = intents.create({
            "amount": AMOUNT, "currency": CURRENCY, "application_fee_amount": 123,
            "transfer_data": {"destination": account}, "capture_method": "manual",
            "payment_method": "pm_card_visa", "confirm": True, **extra,
        })
        return intents.capture(pi.id)

    def after(pi: Any) -> None:
        _expect(pi.status == "succeeded" and pi.amount_received == AMOUNT,
                f"destination charge {pi.id} is {pi.status}")

    return call, after


# -- list with pagination --------------------------------------------------------------------
def prepare_list(target: Any) -> Prepared:
    intents = target.client.v1.payment_intents
    for _ in range(LIST_SEED):
        intents.create({"amount": AMOUNT, "currency": CURRENCY})
    first = intents.list({"limit": 10})
    _expect(len(first.data) == 10 and first.has_more, "the first page should be full")
    start = first.data[-1].id
    cursor = {"after": start}

    def call() -> Any:
        return intents.list({"limit": 10, "starting_after": cursor["after"]})

    def after(page: Any) -> None:
        _expect(len(page.data) > 0, "an empty page")
        # walk the pages, as auto-pagination does; wrap to page 2 at the end
        cursor["after"] = page.data[-1].id if page.has_more else start

    return call, after



# -- an event delivered to a webhook ----------------------------------------------------------
class _Receiver:
    """A loopback webhook receiver that wakes the caller when an object's event arrives."""

    def __init__(self) -> None:
        import threading

        from harness.lab.server import BackgroundServer

        self.seen: set[str] = set()
        self.cond = threading.Condition()
        self.server = BackgroundServer(self._app).start()

    def _app(self, environ: dict, start_response: Any) -> Any:
        import json

        from werkzeug.wrappers import Request, Response

        body = Request(environ).get_data(as_text=True)
        try:
            object_id = json.loads(body)["data"]["object"]["id"]
        except (ValueError, KeyError, TypeError):
            object_id = ""
        with self.cond:
            self.seen.add(object_id)
            self.cond.notify_all()
        return Response("ok")(environ, start_response)

    def wait_for(self, object_id: str, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: object_id in self.seen, timeout=timeout)


_RECEIVERS: dict[str, _Receiver] = {}


def prepare_webhook(target: Any) -> Prepared:
    receiver = _RECEIVERS.setdefault(target.name, _Receiver())
    url = receiver.server.url_for("/webhook")
    if target.name == "emulator":
        if "webhook" not in target.cache:
            target.client.v1.webhook_endpoints.create(
                {"url": url, "enabled_events": ["payment_intent.succeeded"]})
            target.cache["webhook"] = True
    else:  # localstripe configures webhooks through its own /_config API, not Stripe's
        import urllib.parse
        import urllib.request

        data = urllib.parse.urlencode({"url": url, "secret": "whsec_bench",
                                       "events": "payment_intent.succeeded"}).encode()
        try:
            urllib.request.urlopen(urllib.request.Request(
                target.url + "/_config/webhooks/bench", data=data), timeout=10).read()
        except Exception as exc:  # noqa: BLE001 - reported as the reason it is n/a
            raise Unsupported(_short(exc)) from exc
    intents = target.client.v1.payment_intents
    extra = target.confirm_extra

    def call() -> Any:
        pi = intents.create({"amount": AMOUNT, "currency": CURRENCY,
                             "payment_method": "pm_card_visa", "confirm": True, **extra})
        return pi, receiver.wait_for(pi.id)

    def after(result: Any) -> None:
        pi, delivered = result
        _expect(delivered, f"payment_intent.succeeded for {pi.id} was not delivered in 10 s")

    return call, after

SCENARIOS = [
    Scenario("pi_create", "PaymentIntent create", prepare_create),
    Scenario("pi_confirm", "PaymentIntent create with confirm=True", prepare_confirm,
             "payment_method=pm_card_visa on both backends"),
    Scenario("pi_confirm_saved", "PaymentIntent create with confirm=True (saved card)",
             prepare_confirm_saved,
             "customer + a card PaymentMethod attached to it, created once beforehand"),
    Scenario("destination", "destination charge (create + confirm + capture)",
             prepare_destination,
             "2 SDK calls per sample: create(confirm=True, capture_method=manual, "
             "application_fee_amount=123, transfer_data[destination]) and capture",
             reference="pi_confirm"),
    Scenario("list", "list with pagination", prepare_list,
             "payment_intents.list(limit=10, starting_after=<previous page's last id>)"),
    Scenario("webhook", "event delivered to a webhook (confirm -> receiver has it)",
             prepare_webhook,
             "PaymentIntent create with confirm=True, then wait until a loopback receiver "
             "gets its payment_intent.succeeded; localstripe waits 1 s before every delivery "
             "by design (localstripe/webhooks.py)"),
]
