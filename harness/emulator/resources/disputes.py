"""Dispute: a cardholder's bank takes the money back, and the platform answers.

For destination charges the platform is debited the disputed amount (what was captured)
plus the dispute fee (in the currency the charge settled in), in one balance transaction
of type ``adjustment`` (category ``dispute``); a won dispute reinstates the amount
(``dispute_reversal``), not the fee. Test evidence ``winning_evidence`` /
``losing_evidence`` in ``uncategorized_text`` decides the outcome
(https://docs.stripe.com/testing#disputes, https://docs.stripe.com/disputes/how-disputes-work,
https://support.stripe.com/questions/dispute-fees-faq).

No dispute countered fee. Since 17 June 2025 Stripe charges one when you counter a dispute
and returns it if you win (https://support.stripe.com/questions/june-2025-pricing-updates-for-disputes,
https://docs.stripe.com/disputes/how-disputes-work#dispute-fees), but no page says test mode
charges it, and the SDK's ``Dispute.balance_transactions`` is "zero, one, or two balance
transactions that show funds withdrawn and reinstated": no third one for a counter fee. So
submitting evidence moves no money here.
"""

from __future__ import annotations

from typing import Any

import stripe as _sdk

from .. import fx, money
from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_page
from ..params import LIST_PARAMS, Bool, Metadata, Obj, Range, Str
from ..registry import loader, on_tick, route
from ..shapes import build, merge_metadata
from .balance import render_entry

EVIDENCE_FIELDS = tuple(k for k in _sdk.Dispute.Evidence.__annotations__
                        if k not in ("enhanced_evidence",))
UPDATE = {
    "evidence": Obj(fields={k: Str(max_length=150000) for k in EVIDENCE_FIELDS}),
    "metadata": Metadata(),
    "submit": Bool(),
}
OPEN = ("needs_response", "warning_needs_response", "under_review", "warning_under_review")


def open_dispute(ctx: Context, charge: dict[str, Any], kind: str) -> dict[str, Any]:
    """The bank disputes ``charge`` (``kind``: ``fraudulent``, ``product_not_received`` or
    ``inquiry``). Inquiries move no money until they escalate."""
    inquiry = kind == "inquiry"
    dispute_id = ctx.new_id("dp")
    # The bank takes back what the cardholder paid: a partially captured charge's
    # amount_captured, not its authorization ("Stripe debits your balance the payment amount
    # and the dispute fee", https://docs.stripe.com/disputes; Dispute.amount is "usually the
    # amount of the charge", stripe-python 16).
    amount = charge["amount_captured"]
    txns = []
    if not inquiry:
        # Withdrawn from the balance the charge settled in (converted as the charge was),
        # with the dispute fee in that balance's currency: a fee priced in US cents, so
        # 1500 cents on a usd balance whatever the charge's currency (the docs name the fee
        # in dollars only; Settings.dispute_fee_in converts it as the card fee's fixed part).
        currency, settled = money.settled_amount(ctx, ctx.account, charge["currency"], amount)
        rate = None if currency == charge["currency"] else str(
            fx.exchange_rate(charge["currency"], currency))
        entry = money.post(
            ctx, ctx.account, currency=currency, amount=-settled, exchange_rate=rate,
            type="adjustment", reporting_category="dispute", source=dispute_id,
            available_on=ctx.now(), description=f"Chargeback withdrawal for {charge['id']}",
            fee_details=[{"amount": ctx.settings.dispute_fee_in(currency), "application": None,
                          "currency": currency, "description": "Dispute fee",
                          "type": "stripe_fee"}],
        )
        txns.append(render_entry(ctx, entry))
    card = (charge["payment_method_details"] or {}).get("card") or {}
    dispute = build(
        "Dispute", id=dispute_id, object="dispute", amount=amount,
        balance_transactions=txns, charge=charge["id"], created=ctx.now(),
        currency=charge["currency"], enhanced_eligibility_types=[],
        evidence={**{k: None for k in EVIDENCE_FIELDS}, "enhanced_evidence": {}},
        evidence_details={"due_by": ctx.now() + ctx.settings.dispute_response_days * 86400,
                          "enhanced_eligibility": {}, "has_evidence": False,
                          "past_due": False, "submission_count": 0,
                          "submission_method": "not_submitted"},
        is_charge_refundable=inquiry, livemode=False, metadata={},
        network_reason_code="10.4" if kind == "fraudulent" else "13.1",
        payment_intent=charge["payment_intent"],
        payment_method_details={"card": {"brand": card.get("brand", "visa"),
                                         "case_type": "inquiry" if inquiry else "chargeback",
                                         "network": card.get("network") or "visa",
                                         "network_reason_code": None},
                                "type": "card"},
        reason="general" if inquiry else kind,
        status="warning_needs_response" if inquiry else "needs_response",
    )
    ctx.insert(dispute, parent=charge["id"])
    charge["disputed"] = not inquiry
    ctx.save(charge)
    ctx.emit("charge.dispute.created", dispute)
    if not inquiry:
        ctx.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def _close(ctx: Context, dispute: dict[str, Any], won: bool,
           account: str | None = None) -> dict[str, Any]:
    """Close ``dispute``, which lives on ``account`` (the request's account by default)."""
    account = account or ctx.account
    inquiry = dispute["status"].startswith("warning")
    if inquiry:
        dispute["status"] = "warning_closed"
    elif won:
        entry = money.post(
            ctx, account, currency=dispute["currency"], amount=dispute["amount"],
            type="adjustment", reporting_category="dispute_reversal", source=dispute["id"],
            available_on=ctx.now(), description=f"Chargeback reversal for {dispute['charge']}",
        )
        dispute["balance_transactions"].append(render_entry(ctx, entry))
        dispute["status"] = "won"
        ctx.emit("charge.dispute.funds_reinstated", dispute, account=account)
    else:
        dispute["status"] = "lost"
    dispute["is_charge_refundable"] = False
    ctx.save(dispute)
    ctx.emit("charge.dispute.closed", dispute, account=account)
    return dispute


def _get(ctx: Context, dispute_id: str) -> dict[str, Any]:
    return ctx.get(dispute_id, "dispute", param="dispute")


@route("GET", "/v1/disputes/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _get(ctx, id)


@route("POST", "/v1/disputes/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    dispute = _get(ctx, id)
    if dispute["status"] not in OPEN:
        raise InvalidRequest(f"This dispute is already closed ({dispute['status']}); it can no "
                             "longer be updated.", param="dispute")
    if dispute["status"] in ("under_review", "warning_under_review") and "evidence" in params:
        raise InvalidRequest("Evidence has already been submitted for this dispute.",
                             param="evidence")
    previous = {"evidence": dict(dispute["evidence"]), "status": dispute["status"]}
    for key, value in (params.get("evidence") or {}).items():
        dispute["evidence"][key] = value
    if params.get("evidence"):
        dispute["evidence_details"]["has_evidence"] = True
    if "metadata" in params:
        dispute["metadata"] = merge_metadata(dispute["metadata"], params["metadata"])
    # Evidence staged with submit=false is submitted "by making another request with this
    # attribute set to true (the default)" (https://docs.stripe.com/api/disputes/update):
    # submit=true alone sends what is staged. A request without evidence and without submit
    # (metadata only) submits nothing; the docs do not say it should.
    staged = dispute["evidence_details"]["has_evidence"]
    sending = params.get("evidence") is not None or (params.get("submit") is True and staged)
    if params.get("submit", True) and sending and dispute["status"] in (
            "needs_response", "warning_needs_response"):
        dispute["evidence_details"]["submission_count"] += 1
        dispute["evidence_details"]["submission_method"] = "manual"
        text = dispute["evidence"].get("uncategorized_text") or ""
        if text == "winning_evidence":
            return _close(ctx, dispute, won=True)
        if text == "losing_evidence":
            return _close(ctx, dispute, won=False)
        dispute["status"] = "warning_under_review" if dispute["status"].startswith("warning") \
            else "under_review"
    ctx.save(dispute)
    ctx.emit("charge.dispute.updated", dispute, previous)
    return dispute


@route("POST", "/v1/disputes/<id>/close", params={})
def close(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    dispute = _get(ctx, id)
    if dispute["status"] not in OPEN:
        raise InvalidRequest(f"This dispute is already closed ({dispute['status']}).",
                             param="dispute")
    return _close(ctx, dispute, won=False)


@route("GET", "/v1/disputes", params={**LIST_PARAMS, "charge": Str(), "payment_intent": Str(),
                                      "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("charge", "payment_intent") if k in params}
    return store_page(ctx, params, "/v1/disputes", type="dispute", where=where or None)


@on_tick
def deadlines(ctx: Context, before: int) -> None:
    """A dispute nobody answered by ``due_by`` is lost (an inquiry just closes), the
    platform's and its connected accounts' (direct charges) alike, each closed as its own
    account. ``past_due`` stays false: it tells whether "the last evidence submission was
    submitted past the due date", false "if no evidence submissions have occurred"
    (stripe-python 16, Dispute.EvidenceDetails.past_due)."""
    rows = ctx.store.execute(
        "SELECT id, ns FROM objects WHERE type='dispute' AND ns IN (SELECT id FROM objects"
        " WHERE ns=? AND type='account') AND json_extract(data, '$.status') IN"
        " ('needs_response', 'warning_needs_response')", (ctx.platform,)).fetchall()
    for dispute_id, ns in rows:
        found = ctx.store.get(dispute_id)
        if found is not None and found[1]["evidence_details"]["due_by"] <= ctx.now():
            _close(ctx, found[1], won=False, account=ns)


@loader("dp", "du")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "dispute")
    return found[1] if found and ctx.visible(found[0]) else None
