"""``POST /webhook``: the guide's fulfilment handler, with its holes fixed.

- The signature is verified (``stripe.Webhook.construct_event``) and stale timestamps are
  rejected (5 minutes), so a forged or replayed request does nothing: 400.
- Each event ID is recorded in SQLite; an event is handled at most once.
- ``payment_intent.succeeded`` and ``checkout.session.completed`` fulfil the booking in one
  transaction, exactly once, whichever arrives first and however often.
- The handler answers 2xx quickly; Stripe retries anything else.
"""

from __future__ import annotations

import time
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request

from .app import PlatformConfig

blueprint = Blueprint("webhooks", __name__)
TOLERANCE_SECONDS = 300


def _secrets(config: PlatformConfig) -> list[str]:
    """The endpoint's secret and, while ``stripe listen`` runs, the CLI's (comma-separated)."""
    return [s.strip() for s in (config.webhook_secret or "").split(",") if s.strip()]


def verify(payload: str, signature: str | None, secrets: list[str]) -> stripe.Event:
    if not signature:
        raise stripe.SignatureVerificationError("Missing Stripe-Signature header", signature)
    last: Exception | None = None
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret,
                                                  tolerance=TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:
            last = exc
    raise last or stripe.SignatureVerificationError("No webhook secret configured", signature)


@blueprint.post("/webhook")
def webhook() -> Any:
    config: PlatformConfig = current_app.config["PLATFORM"]
    payload = request.get_data(as_text=True)
    try:
        event = verify(payload, request.headers.get("Stripe-Signature"), _secrets(config))
    except ValueError:
        return jsonify(error="Invalid payload"), 400
    except stripe.SignatureVerificationError:
        return jsonify(error="Invalid signature"), 400
    decision = handle(current_app.config["DB"], event)
    return jsonify(received=True, decision=decision), 200


def handle(db: Any, event: stripe.Event) -> str:
    """Apply one verified event; returns what was decided (shown in the notebook's log)."""
    obj = event.data.object.to_dict()  # stripe 16 objects are not dicts
    with db.transaction() as conn:
        seen = conn.execute("SELECT decision FROM webhook_events WHERE id=?",
                            (event.id,)).fetchone()
        if seen is not None:
            return "duplicate: already handled"
        decision = _decide(conn, event.type, obj)
        conn.execute(
            "INSERT INTO webhook_events (id, type, account, object_id, decision, received_at)"
            " VALUES (?,?,?,?,?,?)",
            (event.id, event.type, getattr(event, "account", None), obj.get("id"), decision,
             int(time.time())),
        )
    return decision


def _booking(conn: Any, column: str, value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    row = conn.execute(f"SELECT * FROM bookings WHERE {column}=?", (value,)).fetchone()
    return dict(row) if row else None


def _fulfil(conn: Any, booking: dict[str, Any] | None, amount: int | None) -> str:
    if booking is None:
        return "ignored: no booking for this payment"
    if booking["status"] != "pending":
        return f"no-op: booking {booking['id']} is already {booking['status']}"
    if amount is not None and amount != booking["amount"]:
        return f"refused: paid {amount}, booking {booking['id']} costs {booking['amount']}"
    conn.execute("UPDATE bookings SET status='paid', paid_at=?, connected=1 WHERE id=?",
                 (int(time.time()), booking["id"]))
    return f"fulfilled booking {booking['id']}: renter and homeowner connected"


def _decide(conn: Any, event_type: str, obj: Any) -> str:
    if event_type == "payment_intent.succeeded":
        return _fulfil(conn, _booking(conn, "payment_intent", obj.get("id")),
                       obj.get("amount_received"))
    if event_type == "checkout.session.completed":
        booking = _booking(conn, "checkout_session", obj.get("id"))
        if obj.get("payment_status") != "paid":
            return "waiting: session completed but not paid yet"
        if booking is not None and obj.get("payment_intent"):
            conn.execute("UPDATE bookings SET payment_intent=? WHERE id=? AND payment_intent"
                         " IS NULL", (obj.get("payment_intent"), booking["id"]))
        return _fulfil(conn, booking, obj.get("amount_total"))
    if event_type == "charge.refunded":
        booking = _booking(conn, "payment_intent", obj.get("payment_intent"))
        if booking is None:
            return "ignored: no booking for this charge"
        if obj.get("refunded"):
            conn.execute("UPDATE bookings SET status='refunded' WHERE id=?", (booking["id"],))
            return f"booking {booking['id']} refunded in full"
        return f"booking {booking['id']} partly refunded"
    if event_type == "charge.dispute.created":
        conn.execute("UPDATE bookings SET status='disputed' WHERE payment_intent=?",
                     (obj.get("payment_intent"),))
        return "booking marked disputed: gather evidence"
    return f"ignored: {event_type} needs no action"
