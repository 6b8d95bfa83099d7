"""``POST /webhook/thin``: the platform's thin-event endpoint (an event destination with
``event_payload=thin``, or ``stripe listen --all-thin --forward-to …/webhook/thin``).

A thin event is a small notification; the handler verifies it and builds the typed
notification in one call (``client.parse_event_notification``), then fetches what it needs
(``fetch_event()`` for the event's ``data``, ``fetch_related_object()`` for the Account)
(https://docs.stripe.com/event-destinations#thin-events). Each event ID is recorded with
what was decided, once, as for ``/webhook``; an unverified body is a 400 and changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request

from .webhooks import _secrets

blueprint = Blueprint("thin_webhooks", __name__)
RECIPIENT = "v2.core.account[configuration.recipient].capability_status_updated"


def parse(client: stripe.StripeClient, payload: bytes, signature: str | None,
          secrets: list[str]) -> Any:
    """The notification, once its signature checks out with one of ``secrets`` (the
    destination's and, while ``stripe listen`` runs, the CLI's)."""
    last: Exception | None = None
    for secret in secrets or [""]:
        try:
            return client.parse_event_notification(payload, signature, secret)
        except stripe.SignatureVerificationError as exc:
            last = exc
    raise last or stripe.SignatureVerificationError("No webhook secret configured", signature)


@blueprint.post("/webhook/thin")
def thin_webhook() -> Any:
    client: stripe.StripeClient = current_app.config["STRIPE"]
    try:
        note = parse(client, request.get_data(), request.headers.get("Stripe-Signature"),
                     _secrets(current_app.config["PLATFORM"]))
    except stripe.SignatureVerificationError:
        return jsonify(error="Invalid signature"), 400
    except (ValueError, KeyError, TypeError):  # signed, but not a thin notification
        return jsonify(error="Invalid payload: not a thin event notification"), 400
    db = current_app.config["DB"]
    with db.transaction() as conn:
        seen = conn.execute("SELECT decision FROM webhook_events WHERE id=?",
                            (note.id,)).fetchone()
    if seen is not None:
        return jsonify(received=True, decision="duplicate: already handled"), 200
    decision = decide(client, note)
    related = getattr(note, "related_object", None)
    with db.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO webhook_events (id, type, account, object_id, decision,"
            " received_at) VALUES (?,?,?,?,?,?)",
            (note.id, note.type, str(note.context) if note.context else None,
             related.id if related is not None else None, decision, int(time.time())))
    return jsonify(received=True, decision=decision), 200


def decide(client: stripe.StripeClient, note: Any) -> str:
    """What the platform does with one notification (its Stripe calls are made outside the
    database transaction)."""
    if note.type == RECIPIENT:
        capability = note.fetch_event().data.updated_capability
        account = client.v2.core.accounts.retrieve(
            note.related_object.id, {"include": ["configuration.recipient"]})
        found: Any = account.configuration
        for part in ["recipient", "capabilities", *capability.split(".")]:
            found = getattr(found, part, None) if found is not None else None
        status = getattr(found, "status", "unknown")
        ready = ": it can receive transfers" if status == "active" else ""
        return f"{account.id}: recipient {capability} is {status}{ready}"
    if note.type == "v2.core.account[requirements].updated":
        return f"{note.related_object.id}: requirements changed"
    if note.type == "v2.core.account_link.returned":
        data = note.fetch_event().data
        return f"{data.account_id} came back from {data.use_case}"
    if note.type == "v2.core.account.created":
        return f"{note.related_object.id}: account created"
    return f"ignored: {note.type} needs no action"
