"""``POST /webhook``: the guide's fulfilment handler, with its holes fixed.

- The signature is verified (``stripe.WebhookSignature.verify_header``) and stale timestamps are
  rejected (5 minutes), so a forged or replayed request does nothing: 400.
- Each event ID is recorded in SQLite; an event is handled at most once.
- ``payment_intent.succeeded`` and ``checkout.session.completed`` fulfil the booking in one
  transaction, exactly once, whichever arrives first and however often.
- A signed body that is not an event (no ``data.object``, not JSON, no ``type``, a field of
  the wrong kind) is a 400 with a message, never a 500; nothing is recorded.
- The handler answers 2xx quickly; Stripe retries anything else. Well-formed events of
  types it does not act on are acknowledged (200, "ignored"): Stripe asks endpoints to
  "quickly return a successful status code (2xx)" and retries anything else
  (https://docs.stripe.com/webhooks#acknowledge-events-immediately).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request

from .app import PlatformConfig

blueprint = Blueprint("webhooks", __name__)
TOLERANCE_SECONDS = 300
_EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")  # payment_intent.succeeded, ...
MAX_ID = 255


class BadEvent(ValueError):
    """A correctly signed body that is not an event this handler can read."""


def _secrets(config: PlatformConfig) -> list[str]:
    """The endpoint's secret and, while ``stripe listen`` runs, the CLI's (comma-separated)."""
    return [s.strip() for s in (config.webhook_secret or "").split(",") if s.strip()]


def verify(payload: str, signature: str | None, secrets: list[str]) -> dict[str, Any]:
    """The event, once its signature checks out with one of ``secrets``. The SDK checks the
    signature (``stripe.WebhookSignature.verify_header``, what ``construct_event`` calls);
    the body is then read here, so a signed body of the wrong shape is a :class:`BadEvent`."""
    if not signature:
        raise stripe.SignatureVerificationError("Missing Stripe-Signature header", signature)
    last: Exception | None = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, signature, secret,
                                                  tolerance=TOLERANCE_SECONDS)
            return parse_event(payload)
        except stripe.SignatureVerificationError as exc:
            last = exc
    raise last or stripe.SignatureVerificationError("No webhook secret configured", signature)


def parse_event(payload: str) -> dict[str, Any]:
    """The event as a dict with a string ``id`` and ``type`` and a dict ``data.object``."""
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadEvent("Invalid payload: the body is not JSON.") from None
    if not isinstance(event, dict):
        raise BadEvent("Invalid payload: an event is a JSON object.")
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise BadEvent("Invalid event: no id.")
    if not isinstance(kind, str) or len(kind) > MAX_ID or not _EVENT_TYPE.fullmatch(kind):
        raise BadEvent("Invalid event: type is missing or not an event type.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadEvent("Invalid event: it has no data.object.")
    if event.get("account") is not None and not isinstance(event["account"], str):
        raise BadEvent("Invalid event: account must be a string.")
    return event


def _field(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """``obj[name]`` if absent/null or of ``kind``; a :class:`BadEvent` otherwise."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise BadEvent(f"Invalid event: data.object.{name} has the wrong type.")
    if not isinstance(value, kind):
        raise BadEvent(f"Invalid event: data.object.{name} has the wrong type.")
    if isinstance(value, str) and len(value) > MAX_ID:
        raise BadEvent(f"Invalid event: data.object.{name} is too long.")
    return value


@blueprint.post("/webhook")
def webhook() -> Any:
    config: PlatformConfig = current_app.config["PLATFORM"]
    payload = request.get_data(as_text=True)
    try:
        event = verify(payload, request.headers.get("Stripe-Signature"), _secrets(config))
    except stripe.SignatureVerificationError:
        return jsonify(error="Invalid signature"), 400
    except BadEvent as bad:
        return jsonify(error=str(bad)), 400
    try:
        decision = handle(current_app.config["DB"], event)
    except BadEvent as bad:  # a field the decision needs has the wrong type: nothing recorded
        return jsonify(error=str(bad)), 400
    return jsonify(received=True, decision=decision), 200


def handle(db: Any, event: dict[str, Any] | stripe.Event) -> str:
    """Apply one verified event; returns what was decided (shown in the notebook's log).
    The check for "seen" and the record of the event share one transaction, so parallel
    deliveries of one event are handled once."""
    if isinstance(event, stripe.StripeObject):
        event = parse_event(json.dumps(event.to_dict()))  # stripe 16 objects are not dicts
    obj = event["data"]["object"]
    object_id = _field(obj, "id", str)
    with db.transaction() as conn:
        seen = conn.execute("SELECT decision FROM webhook_events WHERE id=?",
                            (event["id"],)).fetchone()
        if seen is not None:
            return "duplicate: already handled"
        decision = _decide(conn, event["type"], obj, event.get("account"))
        conn.execute(
            "INSERT INTO webhook_events (id, type, account, object_id, decision, received_at)"
            " VALUES (?,?,?,?,?,?)",
            (event["id"], event["type"], event.get("account"), object_id, decision,
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


def _decide(conn: Any, event_type: str, obj: dict[str, Any], account: str | None) -> str:
    object_id = _field(obj, "id", str)
    if event_type == "account.application.deauthorized":
        # The homeowner (or the platform) ended the connection: forget the account, so they
        # can connect again. The only way a saved account is ever cleared.
        # https://docs.stripe.com/api/events/types#event_types-account.application.deauthorized
        if not account:
            return "ignored: deauthorization without an account"
        done = conn.execute("UPDATE homeowners SET stripe_account_id=NULL WHERE"
                            " stripe_account_id=?", (account,))
        return (f"homeowner disconnected from {account}" if done.rowcount
                else "ignored: no homeowner has this account")
    if event_type == "payment_intent.succeeded":
        return _fulfil(conn, _booking(conn, "payment_intent", object_id),
                       _field(obj, "amount_received", int))
    if event_type == "checkout.session.completed":
        booking = _booking(conn, "checkout_session", object_id)
        if _field(obj, "payment_status", str) != "paid":
            return "waiting: session completed but not paid yet"
        intent = _field(obj, "payment_intent", str)
        if booking is not None and intent:
            conn.execute("UPDATE bookings SET payment_intent=? WHERE id=? AND payment_intent"
                         " IS NULL", (intent, booking["id"]))
        return _fulfil(conn, booking, _field(obj, "amount_total", int))
    if event_type == "charge.refunded":
        booking = _booking(conn, "payment_intent", _field(obj, "payment_intent", str))
        if booking is None:
            return "ignored: no booking for this charge"
        if _field(obj, "refunded", bool):
            conn.execute("UPDATE bookings SET status='refunded' WHERE id=?", (booking["id"],))
            return f"booking {booking['id']} refunded in full"
        return f"booking {booking['id']} partly refunded"
    if event_type == "charge.dispute.created":
        conn.execute("UPDATE bookings SET status='disputed' WHERE payment_intent=?",
                     (_field(obj, "payment_intent", str),))
        return "booking marked disputed: gather evidence"
    return f"ignored: {event_type} needs no action"
