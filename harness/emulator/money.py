"""Every money movement of a card payment, written in one place.

Capturing a charge posts Stripe's fee; a destination charge then transfers to the
connected account, which receives a payment (``py_``) and pays the application fee back
to the platform. Sources, per rule:
- https://docs.stripe.com/connect/destination-charges ("funds are immediately and
  automatically transferred to the connected account's pending balance"; the platform
  pays Stripe's fees);
- https://docs.stripe.com/connect/marketplace/tasks/app-fees ("the full charge amount is
  immediately transferred ... The application_fee_amount ... is then transferred back");
- https://docs.stripe.com/api/balance_transactions/object (types, signs, net = amount - fee);
- https://docs.stripe.com/reports/balance-transaction-types (reporting categories).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import fx
from .context import Context
from .ledger import Entry
from .shapes import build, midnight_after

STRIPE_FEE_DESCRIPTION = "Stripe processing fees"


def available_on(ctx: Context, bypass_pending: bool, account_id: str) -> int:
    """When card funds captured now become available, on the timing of ``account_id``.

    Funds wait the account's ``settings.payouts.schedule.delay_days`` (read now: a later
    change to it moves later charges only) to 00:00 UTC. An account's first payout comes
    ``first_payout_days`` (7) after its first successful payment, so until then funds wait
    for that day too; an Express or Custom account follows the platform's first payment
    instead of its own, a Standard account its own. The bypassPending card skips all waits.
    https://docs.stripe.com/connect/manage-payout-schedule (delay_days applies to
    on_behalf_of and direct charges; destination charges follow the platform),
    https://support.stripe.com/questions/7-day-delay-for-first-payout-for-connected-accounts,
    https://support.stripe.com/questions/delay-for-first-payout,
    https://docs.stripe.com/testing#available-balance."""
    now = ctx.now()
    if bypass_pending:
        return now
    found = ctx.find(account_id, "account")
    account = found[1] if found else {}
    schedule = ((account.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    delay = int(schedule.get("delay_days", 2))
    anchor = account_id
    if account_id != ctx.platform and account.get("type") != "standard":
        anchor = ctx.platform
    row = ctx.store.execute(
        "SELECT created FROM ledger WHERE ns=? AND type IN ('charge', 'payment')"
        " ORDER BY seq LIMIT 1", (anchor,)).fetchone()
    first = now if row is None else int(row["created"])
    return max(midnight_after(now, delay), midnight_after(first, ctx.settings.first_payout_days))


def settled_amount(ctx: Context, ns: str, currency: str, amount: int) -> tuple[str, int]:
    """``amount`` of ``currency`` as it lands on (or leaves) ``ns``'s balance: in the
    currency the account settles it in, converted as :func:`post` converts it."""
    found = ctx.find(ns, "account")
    target = fx.settlement_currency(found[1] if found else None, currency)
    return target, fx.convert(amount, currency, target)


def post(ctx: Context, ns: str, *, convert: bool = True, **kwargs: Any) -> Entry:
    """Write one balance transaction on ``ns``. Money in a currency ``ns`` does not settle
    in is converted into its default currency first, fee details too, with
    ``exchange_rate`` set (fx.py); a payout passes ``convert=False``, as it moves a balance
    that is already held."""
    if convert and kwargs.get("exchange_rate") is None:
        kwargs = _settled(ctx, ns, kwargs)
    return ctx.ledger.post(id=ctx.new_id("txn"), ns=ns, created=ctx.now(), **kwargs)


def _settled(ctx: Context, ns: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    currency = kwargs["currency"]
    found = ctx.find(ns, "account")
    target = fx.settlement_currency(found[1] if found else None, currency)
    if target == currency:
        return kwargs
    details = [{**d, "amount": fx.convert(int(d["amount"]), currency, target),
                "currency": target} for d in kwargs.get("fee_details") or []]
    return {**kwargs, "currency": target, "fee_details": details,
            "amount": fx.convert(kwargs["amount"], currency, target),
            "exchange_rate": str(fx.exchange_rate(currency, target))}


def application_id(ctx: Context, platform: str) -> str:
    return ctx.store.get_meta(f"client_id:{platform}") or f"ca_{platform[5:]}"


def capture_charge(
    ctx: Context,
    charge: dict[str, Any],
    amount: int,
    *,
    bypass_pending: bool,
    ns: str,
) -> None:
    """Capture ``amount`` of ``charge`` (stored in ``ns``) and move all the money it moves.

    The charge lands in ``ns``'s settlement currency (converted, with ``exchange_rate``,
    when ``ns`` cannot settle the charge's currency; https://docs.stripe.com/currencies/conversions),
    and Stripe's fee is taken there, with the conversion fee when it was converted. The
    funds follow the timing of the settlement merchant: ``on_behalf_of`` if set, else
    ``ns`` (https://docs.stripe.com/connect/manage-payout-schedule)."""
    when = available_on(ctx, bypass_pending, charge.get("on_behalf_of") or ns)
    presented = charge["currency"]
    found = ctx.find(ns, "account")
    currency = fx.settlement_currency(found[1] if found else None, presented)
    gross = fx.convert(amount, presented, currency)
    rate = None if currency == presented else str(fx.exchange_rate(presented, currency))
    direct_fee = charge["application_fee_amount"] if ns != ctx.platform else None
    fee_details = [{
        "amount": ctx.settings.card_fee(gross, currency, converted=rate is not None),
        "application": None,
        "currency": currency,
        "description": STRIPE_FEE_DESCRIPTION,
        "type": "stripe_fee",
    }]
    if direct_fee:  # a direct charge on a connected account: it pays the platform's fee
        direct_fee = fx.convert(direct_fee, presented, currency)
        fee_details.append(_app_fee_detail(ctx, direct_fee, currency))
    txn = post(ctx, ns, currency=currency, amount=gross, type="charge",
               reporting_category="charge", source=charge["id"], available_on=when,
               fee_details=fee_details, description=charge["description"],
               exchange_rate=rate)
    charge.update(captured=True, amount_captured=amount, balance_transaction=txn.id)
    if amount < charge["amount"]:  # the uncaptured rest is released to the cardholder
        charge.update(amount_refunded=charge["amount"] - amount)

    destination = (charge.get("transfer_data") or {}).get("destination")
    if destination:
        _destination_transfer(ctx, charge, amount, when, currency)
    elif direct_fee:
        fee = _application_fee(ctx, charge, direct_fee, account=ns, payment=charge["id"],
                               originating=None, when=when, currency=currency)
        charge["application_fee"] = fee["id"]


def _app_fee_detail(ctx: Context, amount: int, currency: str) -> dict[str, Any]:
    return {
        "amount": amount,
        "application": application_id(ctx, ctx.platform),
        "currency": currency,
        "description": "Application fee",
        "type": "application_fee",
    }


def _destination_transfer(
    ctx: Context, charge: dict[str, Any], captured: int, when: int, currency: str
) -> None:
    """The transfer and the application fee move in the platform's settlement ``currency``:
    amounts given in the charge's currency are converted at the charge's rate."""
    destination = charge["transfer_data"]["destination"]
    fixed = charge["transfer_data"].get("amount")
    transfer_amount = min(fixed, captured) if fixed is not None else captured
    fee_amount = charge["application_fee_amount"] if fixed is None else None
    if fee_amount is not None:
        fee_amount = fx.convert(min(fee_amount, captured), charge["currency"], currency)
    transfer_amount = fx.convert(transfer_amount, charge["currency"], currency)
    fee_details = [_app_fee_detail(ctx, fee_amount, currency)] if fee_amount else []

    def application_fee(payment: dict[str, Any]) -> None:
        if fee_amount:
            fee = _application_fee(ctx, charge, fee_amount, account=destination,
                                   payment=payment["id"], originating=charge["id"], when=when,
                                   currency=currency)
            payment["application_fee"] = fee["id"]
            payment["application_fee_amount"] = fee_amount
            charge["application_fee"] = fee["id"]

    transfer(ctx, amount=transfer_amount, currency=currency, destination=destination,
             when=when, source_charge=charge["id"], transfer_group=charge.get("transfer_group"),
             fee_details=fee_details, before_payment=application_fee,
             before_event=lambda tr: charge.__setitem__("transfer", tr["id"]))


def transfer(
    ctx: Context, *, amount: int, currency: str, destination: str, when: int,
    source_charge: str | None = None, description: str | None = None,
    metadata: dict[str, str] | None = None, transfer_group: str | None = None,
    payment_transfer_group: str | None = None, fee_details: list[dict[str, Any]] | None = None,
    before_payment: Callable[[dict[str, Any]], None] | None = None,
    before_event: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The one transfer money movement, for ``POST /v1/transfers`` and a destination charge
    alike: the platform's ``transfer`` out, the Transfer, the connected account's
    ``payment`` in and its ``py_`` payment, then ``transfer.created``.
    https://docs.stripe.com/connect/separate-charges-and-transfers,
    https://docs.stripe.com/connect/destination-charges

    ``before_payment`` sees the ``py_`` payment before it is saved (a destination charge
    takes its application fee there); ``before_event`` sees the Transfer before its event."""
    platform = ctx.platform
    transfer_id, payment_id = ctx.new_id("tr"), ctx.new_id("py")
    out = post(ctx, platform, currency=currency, amount=-amount, type="transfer",
               reporting_category="transfer", source=transfer_id, available_on=when,
               description=description)
    transfer = build(
        "Transfer",
        id=transfer_id, object="transfer", amount=amount, amount_reversed=0,
        balance_transaction=out.id, created=ctx.now(), currency=currency,
        description=description, destination=destination, destination_payment=payment_id,
        livemode=False, metadata=metadata or {},
        reversals=_empty_list(f"/v1/transfers/{transfer_id}/reversals"),
        reversed=False, source_transaction=source_charge, source_type="card",
        transfer_group=transfer_group,
    )
    ctx.insert(transfer, ns=platform, parent=source_charge)  # indexed: transfers of a charge
    incoming = post(ctx, destination, currency=currency, amount=amount, type="payment",
                    reporting_category="charge", source=payment_id, available_on=when,
                    fee_details=fee_details)
    payment = new_charge(
        ctx, payment_id, amount=amount, amount_captured=amount, currency=currency,
        captured=True, balance_transaction=incoming.id, source_transfer=transfer_id,
        transfer_group=payment_transfer_group,
        payment_method_details={"type": "stripe_account", "stripe_account": {}},
    )
    if before_payment is not None:
        before_payment(payment)
    ctx.insert(payment, ns=destination)
    if before_event is not None:
        before_event(transfer)
    ctx.emit("transfer.created", transfer)
    return transfer


def _application_fee(
    ctx: Context,
    charge: dict[str, Any],
    amount: int,
    *,
    account: str,
    payment: str,
    originating: str | None,
    when: int,
    currency: str,
) -> dict[str, Any]:
    """The ApplicationFee, in the currency it was taken in (the docs are silent on its
    currency after a conversion); the platform's side converts on if it must."""
    fee_id = ctx.new_id("fee")
    txn = post(ctx, ctx.platform, currency=currency, amount=amount,
               type="application_fee", reporting_category="platform_earning", source=fee_id,
               available_on=when,
               description=f"Application fee from {account}")
    fee = build(
        "ApplicationFee",
        id=fee_id, object="application_fee", account=account, amount=amount,
        amount_refunded=0, application=application_id(ctx, ctx.platform),
        balance_transaction=txn.id, charge=payment, created=ctx.now(),
        currency=currency, fee_source={"charge": payment, "payout": None,
                                                 "type": "charge"},
        livemode=False, originating_transaction=originating, refunded=False,
        refunds=_empty_list(f"/v1/application_fees/{fee_id}/refunds"),
    )
    ctx.insert(fee, ns=ctx.platform)
    ctx.emit("application_fee.created", fee)
    return fee


def _empty_list(url: str) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False, "url": url}


def new_charge(ctx: Context, charge_id: str, **values: Any) -> dict[str, Any]:
    """A Charge with Stripe's defaults; callers set what differs."""
    base: dict[str, Any] = dict(
        id=charge_id, object="charge", amount=0, amount_captured=0, amount_refunded=0,
        application=None, application_fee=None, application_fee_amount=None,
        authorization_code=None, balance_transaction=None,
        billing_details={"address": {k: None for k in ("city", "country", "line1", "line2",
                                                        "postal_code", "state")},
                         "email": None, "name": None, "phone": None, "tax_id": None},
        calculated_statement_descriptor="CONNECT LAB", captured=False, created=ctx.now(),
        currency="usd", customer=None, description=None, disputed=False,
        failure_balance_transaction=None, failure_code=None, failure_message=None,
        fraud_details={}, livemode=False, metadata={}, on_behalf_of=None, outcome=None,
        paid=True, payment_intent=None, payment_method=None, payment_method_details=None,
        receipt_email=None, receipt_number=None, receipt_url=None, refunded=False,
        refunds=_empty_list(f"/v1/charges/{charge_id}/refunds"), review=None, shipping=None,
        source=None, source_transfer=None, statement_descriptor=None,
        statement_descriptor_suffix=None, status="succeeded", transfer=None,
        transfer_data=None, transfer_group=None,
    )
    base.update(values)
    return build("Charge", **base)


# -- money going back -------------------------------------------------------------------------
# Refunds, reversals and fee refunds take effect at once (available_on = now). The
# connected account's side of a reversal is a refund of its ``py_`` payment
# (TransferReversal.destination_payment_refund). Proportional amounts round half up.
# Sources: https://docs.stripe.com/connect/destination-charges#issue-refunds,
# https://docs.stripe.com/api/transfer_reversals, https://docs.stripe.com/api/fee_refunds,
# https://docs.stripe.com/reports/reporting-categories (types and categories).


def proportion(part: int, whole: int, of: int) -> int:
    """``of * part / whole`` rounded half up (the full amount when part == whole)."""
    if whole <= 0:
        return 0
    if part >= whole:
        return of
    return (2 * of * part + whole) // (2 * whole)


def reverse_transfer(
    ctx: Context,
    transfer: dict[str, Any],
    amount: int,
    *,
    source_refund: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Move ``amount`` of a transfer back from the connected account to the platform."""
    reversal_id, payment_refund_id = ctx.new_id("trr"), ctx.new_id("pyr")
    currency, destination = transfer["currency"], transfer["destination"]
    back = post(ctx, ctx.platform, currency=currency, amount=amount, type="transfer_refund",
                reporting_category="transfer_reversal", source=reversal_id,
                available_on=ctx.now())
    post(ctx, destination, currency=currency, amount=-amount, type="payment_refund",
         reporting_category="refund", source=payment_refund_id, available_on=ctx.now())
    reversal = build(
        "TransferReversal", id=reversal_id, object="transfer_reversal", amount=amount,
        balance_transaction=back.id, created=ctx.now(), currency=currency,
        destination_payment_refund=payment_refund_id, metadata=metadata or {},
        source_refund=source_refund, transfer=transfer["id"],
    )
    ctx.insert(reversal, ns=ctx.platform, parent=transfer["id"])
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    transfer["reversals"] = _with_item(transfer["reversals"], reversal)
    ctx.save(transfer)
    found = ctx.store.get(transfer["destination_payment"]) if transfer["destination_payment"] \
        else None
    if found is not None:
        payment = found[1]
        payment["amount_refunded"] += amount
        payment["refunded"] = payment["amount_refunded"] >= payment["amount"]
        ctx.save(payment)
    ctx.emit("transfer.reversed", transfer)
    return reversal


def refund_application_fee(
    ctx: Context, fee: dict[str, Any], amount: int, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    """Give ``amount`` of an application fee back to the account that paid it."""
    refund_id = ctx.new_id("fr")
    out = post(ctx, ctx.platform, currency=fee["currency"], amount=-amount,
               type="application_fee_refund", reporting_category="platform_earning_refund",
               source=refund_id, available_on=ctx.now())
    post(ctx, fee["account"], currency=fee["currency"], amount=amount,
         type="application_fee_refund", reporting_category="platform_earning_refund",
         source=refund_id, available_on=ctx.now())
    refund = build(
        "ApplicationFeeRefund", id=refund_id, object="fee_refund", amount=amount,
        balance_transaction=out.id, created=ctx.now(), currency=fee["currency"],
        fee=fee["id"], metadata=metadata or {},
    )
    ctx.insert(refund, ns=ctx.platform, parent=fee["id"])
    fee["amount_refunded"] += amount
    fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
    fee["refunds"] = _with_item(fee["refunds"], refund)
    ctx.save(fee)
    ctx.emit("application_fee.refunded", fee)
    return refund


def _with_item(listing: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    data = [item, *listing["data"]][:10]
    return {**listing, "data": data, "has_more": len(listing["data"]) >= 10}
