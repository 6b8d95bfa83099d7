"""Guide step 3: the renter pays on a page that your server renders.

``GET /checkout/<listing>`` decides the price on the server (the listing's nightly price
times the nights asked for; whatever else the browser sends is ignored), creates a
destination-charge PaymentIntent through the ``stripe`` SDK, and renders ``checkout.html``
with the PaymentIntent's client secret in a ``data-secret`` attribute. ``client.js``
collects the card with Stripe Elements and confirms it with ``stripe.confirmCardPayment``
(``?ui=payment``: the Payment Element and ``stripe.confirmPayment``; ``?ui=split``: the
split card Elements).

The client secret is never logged and never put in a URL: it lives only in the page that
needs it. (The SDK's own DEBUG log would show it; :class:`RedactClientSecrets` masks it
there. ``STRIPE_LOG=debug``, which prints straight to stderr, is not covered: don't.)

``GET /checkout/success`` fulfils nothing: the booking is confirmed by the
``payment_intent.succeeded`` webhook, because a browser may never come back.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import stripe
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)

from .app import PlatformConfig, application_fee, external_url
from .bookings import bookable, nights_from_request

blueprint = Blueprint("checkout", __name__)

UIS = ("card", "split", "payment")
_INTENT_ID = re.compile(r"pi_[A-Za-z0-9]{1,64}")
# What the SDK and urllib3 may log that is a bearer secret: client secrets, API keys (any
# suffix characters), hosted-link tokens (Account Links, login links) and OAuth codes.
_SECRETS = (
    (re.compile(r"\b((?:pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+"), r"\1_secret_[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9])((?:sk|rk)_(?:test|live)_)[^\s\"'<>&,;()\[\]{}\\]+"),
     r"\1[redacted]"),
    (re.compile(r"(/(?:setup/[a-z]|express)/acct_[A-Za-z0-9]+/)[^\s\"'<>?#&/]+"),
     r"\1[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9_])ac_[A-Za-z0-9]{8,}"), "ac_[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=]+"), "whsec_[redacted]"),
)
_SDK_LOGGERS = ("stripe", "urllib3.connectionpool")


class RedactClientSecrets(logging.Filter):
    """The ``stripe`` SDK logs request URLs and whole response bodies (client secrets
    included) and urllib3 logs each request line at DEBUG. This filter masks every bearer
    secret in them, so turning on debug logging leaks none. A logger's filter applies only
    to records made on that logger, so each of ``_SDK_LOGGERS`` gets one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        clean = message
        for pattern, replacement in _SECRETS:
            clean = pattern.sub(replacement, clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def _redact_sdk_logs() -> None:
    for name in _SDK_LOGGERS:
        sdk_logger = logging.getLogger(name)
        if not any(isinstance(f, RedactClientSecrets) for f in sdk_logger.filters):
            sdk_logger.addFilter(RedactClientSecrets())


_redact_sdk_logs()


def money(amount: int, currency: str) -> str:
    """Cents to a display string: 17800, usd -> $178.00."""
    if currency.lower() == "usd":
        return f"${amount / 100:,.2f}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def _create_intent(listing: dict[str, Any], owner: dict[str, Any], nights: int,
                   config: PlatformConfig) -> Any:
    amount = listing["nightly_price"] * nights
    client: stripe.StripeClient = current_app.config["STRIPE"]
    return client.v1.payment_intents.create({
        "amount": amount,
        "currency": listing["currency"],
        # The platform's cut; Stripe's own fee comes out of the platform's share.
        "application_fee_amount": application_fee(amount, config.fee_percent),
        # Destination charge: the homeowner's connected account receives the rest.
        "transfer_data": {"destination": owner["stripe_account_id"]},
        "description": f"{nights} night{'s' if nights != 1 else ''} at {listing['title']}",
        "metadata": {"listing_id": listing["id"], "homeowner_id": owner["id"],
                     "nights": str(nights)},
    })


@blueprint.get("/checkout/<listing_id>")
def checkout(listing_id: str) -> Any:
    ui = request.args.get("ui", "card")
    if ui not in UIS:
        abort(400, description="ui must be one of: " + ", ".join(UIS) + ".")
    nights = nights_from_request()
    db = current_app.config["DB"]
    config: PlatformConfig = current_app.config["PLATFORM"]
    listing, owner = bookable(listing_id)
    try:
        intent = _create_intent(listing, owner, nights, config)
    except stripe.InvalidRequestError as exc:
        if exc.code == "insufficient_capabilities_for_transfer":
            abort(403, description="This listing cannot take bookings yet: its homeowner has "
                                   "not finished onboarding with Stripe.")
        return _stripe_failed(exc)
    except stripe.StripeError as exc:
        return _stripe_failed(exc)

    with db.transaction() as conn:  # a pending booking; the webhook marks it paid
        conn.execute(
            "INSERT INTO bookings (listing_id, nights, amount, application_fee, currency,"
            " payment_intent, status) VALUES (?,?,?,?,?,?, 'pending')",
            (listing["id"], nights, intent.amount, intent.application_fee_amount,
             intent.currency, intent.id),
        )
    page = render_template(
        "checkout.html",
        listing=listing,
        nights=nights,
        ui=ui,
        nightly=money(listing["nightly_price"], listing["currency"]),
        total=money(intent.amount, intent.currency),
        client_secret=intent.client_secret,
        publishable_key=config.publishable_key,
        stripe_js_url=config.stripe_js_url,
        return_url=external_url("/checkout/success"),
        success_url=url_for("checkout.success"),
    )
    response = make_response(page)
    # The page carries a client secret: no caching, and no Referer with its URL elsewhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _stripe_failed(exc: stripe.StripeError) -> tuple[Response, int]:
    message = getattr(exc, "user_message", None) or "Stripe could not create the payment."
    return jsonify(error=f"Payment could not be set up: {message}"), 502


@blueprint.get("/checkout/success")
def success() -> Any:
    """Where the renter lands after paying. It shows "payment processing" and fulfils
    nothing: anyone can open this URL, and a renter may close the tab before reaching it.
    The ``payment_intent.succeeded`` webhook confirms the booking."""
    intent = request.args.get("payment_intent", "")
    response = make_response(render_template(
        "checkout_success.html",
        payment_intent=intent if _INTENT_ID.fullmatch(intent) else None,
    ))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
