"""Refund, TransferReversal and ApplicationFeeRefund: money going back.

For a destination charge the platform pays a refund by default; ``reverse_transfer`` pulls
the homeowner's share back in proportion, and ``refund_application_fee`` returns the
platform's fee in proportion (https://docs.stripe.com/connect/destination-charges#issue-refunds).
Stripe's processing fee is not returned
(https://support.stripe.com/questions/understanding-fees-for-refunded-payments).

A refund is paid from the refunding account's *available* balance; when that does not cover
it, a card refund is held ``pending`` (``pending_reason=insufficient_funds``) "until your
Stripe balance becomes sufficient" (https://docs.stripe.com/refunds): it completes, with
``refund.updated``, as soon as a later request or the clock leaves enough available.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .. import money
from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_page
from ..params import LIST_PARAMS, Bool, Enum, Int, Metadata, Range, Str
from ..registry import loader, on_reset, on_signals, route
from ..shapes import build, merge_metadata
from . import events
from .events import changes

CREATE = {
    "charge": Str(),
    "payment_intent": Str(),
    "amount": Int(min=1),
    "reason": Enum(choices=("duplicate", "fraudulent", "requested_by_customer")),
    "metadata": Metadata(),
    "refund_application_fee": Bool(),
    "reverse_transfer": Bool(),
    "instructions_email": Str(),
}


def _money(amount: int, currency: str) -> str:
    """Stripe words refund errors in dollars for usd: ``$25.00``."""
    return f"${amount / 100:,.2f}" if currency == "usd" else f"{amount} {currency}"


def refund_charge(ctx: Context, charge: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if charge["disputed"]:
        raise InvalidRequest(f"Charge {charge['id']} has been charged back; cannot issue a "
                             "refund.", code="charge_disputed", param="charge")
    if not charge["captured"] or charge["status"] != "succeeded":
        raise InvalidRequest(f"Charge {charge['id']} has not been captured or did not succeed; "
                             "cancel its PaymentIntent instead.", param="charge")
    # amount_refunded already counts the uncaptured rest of a partial capture (released as a
    # refund), so what is left to refund is amount - amount_refunded, not amount_captured - it.
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise InvalidRequest(f"Charge {charge['id']} has already been refunded.",
                             code="charge_already_refunded", param="charge")
    amount = params.get("amount", remaining)
    currency = charge["currency"]
    if amount > charge["amount"]:
        raise InvalidRequest(f"Refund amount ({_money(amount, currency)}) is greater than charge "
                             f"amount ({_money(charge['amount'], currency)})", param="amount")
    if amount > remaining:
        raise InvalidRequest(f"Refund amount ({_money(amount, currency)}) is greater than "
                             f"unrefunded amount on charge ({_money(remaining, currency)})",
                             param="amount")
    transfer = fee = None
    if params.get("reverse_transfer"):
        if not charge["transfer"]:
            raise InvalidRequest(f"Attempting to reverse_transfer on {charge['id']}, but it has "
                                 "no associated transfer.", param="reverse_transfer")
        transfer = ctx.get(charge["transfer"], "transfer", param="charge")
    if params.get("refund_application_fee"):
        if not charge["application_fee"]:
            raise InvalidRequest(f"Attempting to refund_application_fee on {charge['id']}, but it "
                                 "has no application fee", param="refund_application_fee")
        if charge["transfer"] and not params.get("reverse_transfer"):
            raise InvalidRequest("If you refund the application fee for a destination charge, "
                                 "you must also reverse the transfer (reverse_transfer=true).",
                                 param="refund_application_fee")
        fee = ctx.get(charge["application_fee"], "application_fee", param="charge")

    refund_id = ctx.new_id("re")
    refund = build(
        "Refund", id=refund_id, object="refund", amount=amount, balance_transaction=None,
        charge=charge["id"], created=ctx.now(), currency=currency, customer=charge["customer"],
        description=None,
        destination_details={"card": {"reference": None, "reference_status": "pending",
                                      "reference_type": "acquirer_reference_number",
                                      "type": "refund"}, "type": "card"},
        failure_balance_transaction=None, failure_reason=None,
        metadata=params.get("metadata") or {}, next_action=None,
        payment_intent=charge["payment_intent"], payment_method=charge["payment_method"],
        pending_reason=None, reason=params.get("reason"), receipt_number=None,
        source_transfer_reversal=None, status="succeeded", transfer_reversal=None,
    )
    # Reversal and fee refund are proportional to the charge as captured, not to what is
    # left of it: a refund of r reverses r / amount_captured of the transfer, rounded half
    # up; the refund that leaves nothing to refund takes back whatever is still owed
    # (https://docs.stripe.com/connect/destination-charges#issue-refunds).
    captured, last = charge["amount_captured"], amount == remaining
    if transfer is not None:
        owed = transfer["amount"] - transfer["amount_reversed"]
        share = owed if last else min(owed, money.proportion(amount, captured,
                                                             transfer["amount"]))
        if share > 0:
            reversal = money.reverse_transfer(ctx, transfer, share, source_refund=refund_id)
            refund["transfer_reversal"] = reversal["id"]
    if fee is not None:
        left = fee["amount"] - fee["amount_refunded"]
        back = left if last else min(left, money.proportion(amount, captured, fee["amount"]))
        if back > 0:
            money.refund_application_fee(ctx, fee, back)
    # The refund itself is paid from the available balance, after the reversal above has
    # landed in it; refunds already waiting are served first. The docs do not say whether a
    # reversal waits with a pending refund: here it happens at once (it is its own object,
    # named on the refund from the start), and only the refund's debit waits.
    # https://docs.stripe.com/refunds: "Refunds use your available Stripe balance (not
    # including pending amounts) ... Stripe holds the refund as pending for card transactions"
    settled, due = money.settled_amount(ctx, ctx.account, currency, amount)
    if _spendable(ctx, ctx.account, settled) >= due:
        refund["balance_transaction"] = _debit(ctx, ctx.account, refund)
    else:
        refund.update(status="pending", pending_reason="insufficient_funds")
        _waiting_add(ctx, refund_id)
    ctx.insert(refund, parent=charge["id"])
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    charge["refunds"] = money._with_item(charge["refunds"], refund)
    ctx.save(charge)
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge)
    return refund


# -- refunds waiting for funds ---------------------------------------------------------------
# A platform keeps the IDs of its pending refunds, oldest first, in one meta row, so that a
# request only looks further when some refund is waiting.
def _waiting_key(ctx: Context) -> str:
    return f"pending_refunds:{ctx.platform}"


def _waiting(ctx: Context) -> list[str]:
    return json.loads(ctx.store.get_meta(_waiting_key(ctx)) or "[]")


def _waiting_add(ctx: Context, refund_id: str) -> None:
    ctx.store.set_meta(_waiting_key(ctx), json.dumps([*_waiting(ctx), refund_id]))


def held(ctx: Context, ns: str, currency: str) -> int:
    """What the pending refunds of account ``ns`` still need in ``currency`` (automatic
    payouts leave it in the balance, or the refunds could never complete)."""
    total = 0
    for refund_id in _waiting(ctx):
        found = ctx.store.get(refund_id)
        if found and found[0] == ns and found[1]["status"] == "pending":
            settled, amount = money.settled_amount(ctx, ns, found[1]["currency"],
                                                   found[1]["amount"])
            total += amount if settled == currency else 0
    return total


def _spendable(ctx: Context, ns: str, currency: str) -> int:
    return ctx.ledger.available(ns, currency, ctx.now()) - held(ctx, ns, currency)


def _debit(ctx: Context, ns: str, refund: dict[str, Any]) -> str:
    return money.post(ctx, ns, currency=refund["currency"], amount=-refund["amount"],
                      type="refund", reporting_category="refund", source=refund["id"],
                      available_on=ctx.now()).id


def settle_pending(ctx: Context) -> None:
    """Complete, oldest first, each waiting refund its account's available balance now
    covers; the rest of that account and currency keeps waiting behind the first that
    does not fit."""
    waiting = _waiting(ctx)
    if not waiting:
        return
    kept: list[str] = []
    blocked: set[tuple[str, str]] = set()
    for refund_id in waiting:
        found = ctx.store.get(refund_id)
        if found is None or found[1].get("status") != "pending":
            continue
        ns, refund = found
        # in the currency the balance holds it (a converted charge's refund is, too)
        settled, amount = money.settled_amount(ctx, ns, refund["currency"], refund["amount"])
        lane = (ns, settled)
        if lane in blocked or ctx.ledger.available(ns, settled, ctx.now()) < amount:
            blocked.add(lane)
            kept.append(refund_id)
            continue
        before = copy.deepcopy(refund)
        refund.update(balance_transaction=_debit(ctx, ns, refund), status="succeeded",
                      pending_reason=None)
        ctx.save(refund)
        _update_charge_copy(ctx, refund)
        previous = changes(before, refund)
        # refund.updated for every refund; charge.refund.updated too, as for any update of a
        # charge's refund (https://docs.stripe.com/refunds#refund-events)
        ctx.emit("refund.updated", refund, previous, account=ns)
        ctx.emit("charge.refund.updated", refund, previous, account=ns)
    if kept != waiting:
        ctx.store.set_meta(_waiting_key(ctx), json.dumps(kept))


def _update_charge_copy(ctx: Context, refund: dict[str, Any]) -> None:
    """The charge's embedded ``refunds`` list shows the refund as it is now."""
    found = ctx.store.get(refund["charge"])
    if found is None:
        return
    charge = found[1]
    data = [refund if item["id"] == refund["id"] else item for item in charge["refunds"]["data"]]
    if data != charge["refunds"]["data"]:
        charge["refunds"] = {**charge["refunds"], "data": data}
        ctx.save(charge)


@on_signals
def after_money_moved(ctx: Context) -> None:
    """After any request that changed something, see whether a waiting refund now fits.
    Its events are recorded here, apart from the request's own (whichever hook runs
    first), so that none is lost or recorded twice."""
    if not ctx.signals or not _waiting(ctx):
        return
    own, ctx.signals = ctx.signals, []
    try:
        settle_pending(ctx)
        events.record(ctx)
    finally:
        ctx.signals = own


@on_reset
def forget_waiting(emulator: Any, platform: str) -> None:
    emulator.store.execute("DELETE FROM meta WHERE name=?", (f"pending_refunds:{platform}",))


@route("POST", "/v1/refunds", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "charge" in params and "payment_intent" in params:
        raise InvalidRequest("You may only specify one of these parameters: charge, "
                             "payment_intent.", code="parameters_exclusive",
                             param="payment_intent")
    if "payment_intent" in params:
        pi = ctx.get(params["payment_intent"], "payment_intent", param="payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise InvalidRequest(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent")
        charge = ctx.get(pi["latest_charge"], "charge", param="payment_intent")
    elif "charge" in params:
        charge = ctx.get(params["charge"], "charge", param="charge")
    else:
        raise InvalidRequest("One of the following params should be provided for this request: "
                             "payment_intent or charge.", code="parameter_missing",
                             param="charge")
    return refund_charge(ctx, charge, params)


@route("GET", "/v1/refunds/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "refund", param="refund")


@route("POST", "/v1/refunds/<id>", params={"metadata": Metadata()})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    refund = ctx.get(id, "refund", param="refund")
    before = copy.deepcopy(refund)
    if "metadata" in params:
        refund["metadata"] = merge_metadata(refund["metadata"], params["metadata"])
    ctx.save(refund)
    previous = changes(before, refund)
    if previous:
        # refund.updated covers every refund (2024-10-28.acacia); a charge's refunds also
        # get the older charge.refund.updated (the CLI's fixture of that name does this).
        ctx.emit("refund.updated", refund, previous)
        if refund["charge"]:
            ctx.emit("charge.refund.updated", refund, previous)
    return refund


@route("GET", "/v1/refunds", params={**LIST_PARAMS, "charge": Str(), "payment_intent": Str(),
                                     "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("charge", "payment_intent") if k in params}
    return store_page(ctx, params, "/v1/refunds", type="refund", where=where or None)


@route("GET", "/v1/charges/<charge>/refunds", params=LIST_PARAMS)
def list_for_charge(ctx: Context, params: dict[str, Any], charge: str) -> dict[str, Any]:
    ctx.get(charge, "charge", param="charge")
    return store_page(ctx, params, f"/v1/charges/{charge}/refunds", type="refund",
                      parent=charge)


# -- transfer reversals ---------------------------------------------------------------------
@route("POST", "/v1/transfers/<transfer>/reversals",
       params={"amount": Int(min=1), "description": Str(), "metadata": Metadata(),
               "refund_application_fee": Bool()})
def create_reversal(ctx: Context, params: dict[str, Any], transfer: str) -> dict[str, Any]:
    tr = ctx.get(transfer, "transfer", param="transfer")
    owed = tr["amount"] - tr["amount_reversed"]
    amount = params.get("amount", owed)
    if owed <= 0:
        raise InvalidRequest(f"Transfer {transfer} has already been fully reversed.",
                             param="transfer")
    if amount > owed:
        raise InvalidRequest(f"You cannot reverse more than the amount that remains on the "
                             f"transfer ({owed}).", param="amount")
    reversal = money.reverse_transfer(ctx, tr, amount, metadata=params.get("metadata"))
    if params.get("refund_application_fee") and tr["source_transaction"]:
        charge = ctx.get(tr["source_transaction"], "charge", param="transfer")
        if charge["application_fee"]:
            fee = ctx.get(charge["application_fee"], "application_fee", param="transfer")
            # in proportion to the whole transfer, as for a refund (not to what remains)
            left = fee["amount"] - fee["amount_refunded"]
            back = left if amount == owed else \
                min(left, money.proportion(amount, tr["amount"], fee["amount"]))
            if back > 0:
                money.refund_application_fee(ctx, fee, back)
    return reversal


@route("GET", "/v1/transfers/<transfer>/reversals", params=LIST_PARAMS)
def list_reversals(ctx: Context, params: dict[str, Any], transfer: str) -> dict[str, Any]:
    ctx.get(transfer, "transfer", param="transfer")
    return store_page(ctx, params, f"/v1/transfers/{transfer}/reversals",
                      type="transfer_reversal", parent=transfer)


@route("GET", "/v1/transfers/<transfer>/reversals/<id>", params={})
def retrieve_reversal(ctx: Context, params: dict[str, Any], transfer: str, id: str) -> dict:
    reversal = ctx.get(id, "transfer_reversal", param="id")
    if reversal["transfer"] != transfer:
        raise InvalidRequest(f"No such transfer_reversal: '{id}'", code="resource_missing",
                             param="id", status=404)
    return reversal


# -- application fee refunds ----------------------------------------------------------------
@route("POST", "/v1/application_fees/<fee>/refunds",
       params={"amount": Int(min=1), "metadata": Metadata()})
def create_fee_refund(ctx: Context, params: dict[str, Any], fee: str) -> dict[str, Any]:
    application_fee = ctx.get(fee, "application_fee", param="id")
    left = application_fee["amount"] - application_fee["amount_refunded"]
    if left <= 0:
        raise InvalidRequest(f"Application fee {fee} has already been refunded.",
                             param="id")
    amount = params.get("amount", left)
    if amount > left:
        raise InvalidRequest(f"Refund amount ({amount}) is greater than the unrefunded amount "
                             f"of the application fee ({left}).", param="amount")
    return money.refund_application_fee(ctx, application_fee, amount, params.get("metadata"))


@route("GET", "/v1/application_fees/<fee>/refunds", params=LIST_PARAMS)
def list_fee_refunds(ctx: Context, params: dict[str, Any], fee: str) -> dict[str, Any]:
    ctx.get(fee, "application_fee", param="id")
    return store_page(ctx, params, f"/v1/application_fees/{fee}/refunds", type="fee_refund",
                      parent=fee)


@route("GET", "/v1/application_fees/<fee>/refunds/<id>", params={})
def retrieve_fee_refund(ctx: Context, params: dict[str, Any], fee: str, id: str) -> dict:
    refund = ctx.get(id, "fee_refund", param="id")
    if refund["fee"] != fee:
        raise InvalidRequest(f"No such fee_refund: '{id}'", code="resource_missing",
                             param="id", status=404)
    return refund


@loader("re")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "refund")
    return found[1] if found and ctx.visible(found[0]) else None


@loader("trr")
def load_reversal(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "transfer_reversal")
    return found[1] if found and ctx.visible(found[0]) else None


@loader("fr")
def load_fee_refund(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "fee_refund")
    return found[1] if found and ctx.visible(found[0]) else None
