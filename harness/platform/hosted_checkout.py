"""The guide's other way to collect: Stripe Checkout, a Stripe-hosted payment page.

``GET /book/<listing>`` prices the stay on the server, creates a Checkout Session whose
PaymentIntent is a destination charge, and redirects the renter to Stripe's page.
``GET /success`` only *shows* the Session: the guide warns that a malicious user can open
``success_url`` without paying, and a customer can close the tab before the redirect, so
fulfilment happens in the webhook (``checkout.session.completed``), never here.
"""

from __future__ import annotations

import html
import re
from typing import Any

import stripe
from flask import Blueprint, abort, current_app, jsonify, redirect, request

from .app import PlatformConfig, application_fee, external_url
from .bookings import bookable, nights_from_request

blueprint = Blueprint("hosted_checkout", __name__)
_SESSION = re.compile(r"cs_(test|live)_[A-Za-z0-9]{1,200}")


@blueprint.get("/book/<listing_id>")
def book(listing_id: str) -> Any:
    nights = nights_from_request()
    db = current_app.config["DB"]
    config: PlatformConfig = current_app.config["PLATFORM"]
    listing, owner = bookable(listing_id)
    amount = listing["nightly_price"] * nights
    fee = application_fee(amount, config.fee_percent)
    client: stripe.StripeClient = current_app.config["STRIPE"]
    base = external_url("")
    try:
        session = client.v1.checkout.sessions.create({
            "mode": "payment",
            "line_items": [{
                "price_data": {"currency": listing["currency"],
                               "unit_amount": listing["nightly_price"],
                               "product_data": {"name": f"{listing['title']} ({listing['city']})"}},
                "quantity": nights,
            }],
            "payment_intent_data": {
                "application_fee_amount": fee,
                "transfer_data": {"destination": owner["stripe_account_id"]},
                "metadata": {"listing_id": listing["id"], "nights": str(nights)},
            },
            "success_url": f"{base}/success?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{base}/book/{listing['id']}/canceled",
        })
    except stripe.InvalidRequestError as exc:
        if exc.code == "insufficient_capabilities_for_transfer":
            abort(403, description="This listing cannot take bookings yet: its homeowner has "
                                   "not finished onboarding with Stripe.")
        return jsonify(error=f"Checkout could not be set up: {exc.user_message}"), 502
    with db.transaction() as conn:  # pending until the webhook says the Session is paid
        conn.execute(
            "INSERT INTO bookings (listing_id, nights, amount, application_fee, currency,"
            " checkout_session, status) VALUES (?,?,?,?,?,?, 'pending')",
            (listing["id"], nights, amount, fee, listing["currency"], session.id),
        )
    return redirect(session.url, code=303)


@blueprint.get("/book/<listing_id>/canceled")
def canceled(listing_id: str) -> Any:
    again = f"{request.script_root}/book/{listing_id}"
    return (f"<!doctype html><title>Booking canceled</title><h1>No charge was made</h1>"
            f"<p>You left the payment page. <a href='{html.escape(again)}'>Try "
            "again</a>.</p>")


@blueprint.get("/success")
def success() -> Any:
    """Thank the renter; change nothing. The booking is confirmed by the webhook."""
    session_id = request.args.get("session_id", "")
    if not _SESSION.fullmatch(session_id):
        abort(400, description="session_id is missing or malformed.")
    client: stripe.StripeClient = current_app.config["STRIPE"]
    try:
        session = client.v1.checkout.sessions.retrieve(session_id)
    except stripe.InvalidRequestError:
        abort(404, description="There is no such Checkout Session.")
    booking = current_app.config["DB"].one(
        "SELECT status FROM bookings WHERE checkout_session = ?", (session_id,))
    state = booking["status"] if booking else "unknown"
    return (
        "<!doctype html><meta charset='utf-8'><title>Thanks</title>"
        "<h1>Thanks, we are confirming your payment</h1>"
        f"<p id='session-status'>Checkout says: {html.escape(session.status)} / "
        f"{html.escape(session.payment_status)}.</p>"
        f"<p id='booking-status'>Your booking is <b>{html.escape(state)}</b>. We confirm it "
        "when Stripe tells our server the payment succeeded, not when this page loads.</p>"
    )
