"""Payout and Topup: money leaving to a bank account, and money added from one.

Payouts go ``pending`` -> ``in_transit`` -> ``paid`` (or ``failed`` with the failure code
of Stripe's failing test bank accounts) as the emulator's clock moves. Automatic payouts
follow each account's ``settings.payouts.schedule`` and sweep the available balance.
balance.available is emitted when pending funds mature.
Sources: https://docs.stripe.com/api/payouts/object, https://docs.stripe.com/connect/testing,
https://docs.stripe.com/connect/manage-payout-schedule, https://docs.stripe.com/api/topups.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from .. import money
from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_page
from ..params import LIST_PARAMS, Enum, Int, Metadata, Range, Str
from ..registry import loader, on_tick, route
from ..shapes import build, check_currency, merge_metadata, midnight_after
from . import refunds
from .balance import balance_of, instant_available
from .events import changes

# Test bank account numbers (routing 110000000) and what their payouts do.
FAILING_BANKS = {
    "000111111116": ("no_account", "The bank account details on file are probably incorrect. "
                     "No bank account could be located with those details."),
    "000111111113": ("account_closed", "The bank account has been closed."),
    "000222222227": ("insufficient_funds", "Your bank notified us that the bank account "
                     "holder tried to debit funds that are not available."),
    "000333333335": ("debit_not_authorized", "Debit transactions are not approved on the "
                     "bank account."),
    "000444444440": ("invalid_currency", "The bank was unable to process this payout because "
                     "of its currency."),
}
INSTANT_INELIGIBLE = {"000888888883"}
# Stripe's Instant Payout fee (US): "1.5% of Instant Payouts volume", "Minimum fee of 50¢"
# (https://stripe.com/pricing, read as transcribed 2026-09-20; the support article
# https://support.stripe.com/questions/what-are-instant-payouts-and-who-is-eligible says 1%
# "for most countries": the pricing page is the rate card, so 1.5%). Rounded half up.
INSTANT_FEE_PERMILLE = 15
INSTANT_FEE_MINIMUM = 50
TOPUP_FAILURES = {
    "btok_us_verified_noAccount": "no_account",
    "btok_us_verified_accountClosed": "account_closed",
    "btok_us_verified_insufficientFunds": "insufficient_funds",
    "btok_us_verified_debitNotAuthorized": "debit_not_authorized",
    "btok_us_verified_invalidCurrency": "invalid_currency",
}
CREATE = {
    "amount": Int(required=True, min=1),
    "currency": Str(required=True),
    "method": Enum(choices=("standard", "instant")),
    "description": Str(),
    "destination": Str(),
    "metadata": Metadata(),
    "statement_descriptor": Str(max_length=22),
    "source_type": Enum(choices=("bank_account", "card", "fpx")),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INSUFFICIENT = (
    "You have insufficient funds in your Stripe account for this transfer. Your card balance "
    "is too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more "
    "details, see stripe.com/docs/api#balance)."
)


def _account(ctx: Context, ns: str) -> dict[str, Any]:
    found = ctx.find(ns, "account")
    assert found is not None
    return found[1]


def _bank_number(ctx: Context, bank: dict[str, Any]) -> str:
    return ctx.store.get_meta(f"bank_number:{bank['id']}") or "000123456789"


def arrival(ts: int, method: str) -> int:
    """Instant: now. Standard: two business days later, at 00:00 UTC."""
    if method == "instant":
        return ts
    day, added = midnight_after(ts, 0), 0
    while added < 2:
        day += 86400
        if datetime.fromtimestamp(day, timezone.utc).weekday() < 5:
            added += 1
    return day


def instant_fee(amount: int) -> int:
    return max(INSTANT_FEE_MINIMUM, money.proportion(INSTANT_FEE_PERMILLE, 1000, amount))


def create_payout(ctx: Context, ns: str, params: dict[str, Any], automatic: bool) -> dict:
    currency = check_currency(params["currency"])
    amount, method = params["amount"], params.get("method", "standard")
    account = _account(ctx, ns)
    if not account["payouts_enabled"]:
        # An account whose payouts are off (requirements due, paused, a closed v2 account)
        # pays nothing out, manually or automatically
        # (https://docs.stripe.com/connect/pausing-payments-or-payouts-on-connected-accounts:
        # "blocks creation of both automatic and manual payouts"; the error code is Stripe's
        # payouts_not_allowed, https://docs.stripe.com/error-codes#payouts-not-allowed).
        raise InvalidRequest("Payouts have been disabled on this account. Check the account's "
                             "requirements to see what it still needs.",
                             code="payouts_not_allowed")
    banks = [b for b in account["external_accounts"]["data"] if b["currency"] == currency]
    if "destination" in params:
        banks = [b for b in banks if b["id"] == params["destination"]]
        if not banks:
            raise InvalidRequest(f"No such external account: '{params['destination']}'",
                                 code="resource_missing", param="destination")
    if not banks and "destination" not in params:
        # A balance in a currency no bank account takes is paid out to the default bank
        # account, converted into its currency by Stripe
        # (https://docs.stripe.com/connect/currencies: "Not available for the currency:
        # Stripe converts the payout balance based on the Stripe account's default currency").
        banks = sorted((b for b in account["external_accounts"]["data"]
                        if b["default_for_currency"]),
                       key=lambda b: b["currency"] != account["default_currency"])
    if not banks:
        raise InvalidRequest(f"This account has no external account in {currency}; add a bank "
                             "account before paying out.", param="destination")
    bank = banks[0]
    if method == "instant" and _bank_number(ctx, bank) in INSTANT_INELIGIBLE:
        raise InvalidRequest("This external account is not eligible for Instant Payouts.",
                             code="instant_payouts_unsupported", param="method")
    fee_details = []
    if method == "instant":
        # Card funds can go out instantly once the charge completes (instant_available);
        # Stripe's fee is taken on the payout's balance transaction (where Stripe books it
        # is not documented; a stripe_fee there keeps net = amount - fee).
        fee = instant_fee(amount)
        if instant_available(ctx, ns, currency) < amount + fee:
            raise InvalidRequest(INSUFFICIENT, code="balance_insufficient", param="amount")
        fee_details = [{"amount": fee, "application": None, "currency": currency,
                        "description": "Instant Payout fee", "type": "stripe_fee"}]
    elif ctx.ledger.available(ns, currency, ctx.now()) < amount:
        raise InvalidRequest(INSUFFICIENT, code="balance_insufficient", param="amount")
    payout_id = ctx.new_id("po")
    txn = money.post(ctx, ns, convert=False, currency=currency, amount=-amount, type="payout",
                     reporting_category="payout", source=payout_id, available_on=ctx.now(),
                     fee_details=fee_details,
                     description=params.get("description") or ("STRIPE PAYOUT" if automatic
                                                                else None))
    payout = build(
        "Payout", id=payout_id, object="payout", amount=amount, application_fee=None,
        application_fee_amount=None, arrival_date=arrival(ctx.now(), method),
        automatic=automatic, balance_transaction=txn.id, created=ctx.now(), currency=currency,
        description=params.get("description") or ("STRIPE PAYOUT" if automatic else None),
        destination=bank["id"], failure_balance_transaction=None, failure_code=None,
        failure_message=None, livemode=False, metadata=params.get("metadata") or {},
        method=method, original_payout=None, payout_method=None,
        # Only automatic payouts are reconciled (their transactions can be listed with
        # balance_transactions?payout=); in_progress until the payout leaves Stripe.
        reconciliation_status="in_progress" if automatic else "not_applicable",
        reversed_by=None,
        source_type=params.get("source_type", "card"),
        statement_descriptor=params.get("statement_descriptor"), status="pending",
        trace_id={"status": "pending", "value": None}, type="bank_account",
    )
    ctx.insert(payout, ns=ns)
    ctx.emit("payout.created", payout, account=ns)
    return payout


@route("POST", "/v1/payouts", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return create_payout(ctx, ctx.account, params, automatic=False)


@route("GET", "/v1/payouts/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "payout", param="payout")


@route("POST", "/v1/payouts/<id>", params={"metadata": Metadata()})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    payout = ctx.get(id, "payout", param="payout")
    before = copy.deepcopy(payout)
    if "metadata" in params:
        payout["metadata"] = merge_metadata(payout["metadata"], params["metadata"])
    ctx.save(payout)
    ctx.emit("payout.updated", payout, changes(before, payout))
    return payout


@route("POST", "/v1/payouts/<id>/cancel", params={})
def cancel(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    payout = ctx.get(id, "payout", param="payout")
    if payout["status"] != "pending" or payout["automatic"]:
        raise InvalidRequest("Only pending, manually created payouts can be canceled.",
                             param="payout")
    txn = money.post(ctx, ctx.account, convert=False, currency=payout["currency"],
                     amount=payout["amount"], type="payout_cancel",
                     reporting_category="payout_reversal", source=payout["id"],
                     available_on=ctx.now())
    payout.update(status="canceled", failure_balance_transaction=txn.id)
    ctx.save(payout)
    ctx.emit("payout.canceled", payout)
    return payout


@route("GET", "/v1/payouts", params={**LIST_PARAMS, "status": Str(), "destination": Str(),
                                     "created": Range(), "arrival_date": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("status", "destination") if k in params}
    return store_page(ctx, params, "/v1/payouts", type="payout", where=where or None)


@loader("po")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "payout")
    return found[1] if found and ctx.visible(found[0]) else None


# -- top-ups -------------------------------------------------------------------------------
@route("POST", "/v1/topups", params={"amount": Int(required=True, min=1),
                                     "currency": Str(required=True), "description": Str(),
                                     "metadata": Metadata(), "source": Str(),
                                     "statement_descriptor": Str(max_length=15),
                                     "transfer_group": Str()})
def create_topup(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Add funds to the platform's balance from its bank (test bank tokens decide success)."""
    currency = check_currency(params["currency"])
    source = params.get("source", "btok_us_verified")
    if not source.startswith("btok_"):
        raise InvalidRequest(f"No such source: '{source}'", code="resource_missing",
                             param="source")
    topup_id = ctx.new_id("tu")
    failure = TOPUP_FAILURES.get(source)
    txn = None
    if failure is None:
        txn = money.post(ctx, ctx.account, currency=currency, amount=params["amount"],
                         type="topup", reporting_category="topup", source=topup_id,
                         available_on=ctx.now(), source_type="bank_account",
                         description=params.get("description"))
    topup = build(
        "Topup", id=topup_id, object="topup", amount=params["amount"],
        balance_transaction=txn.id if txn else None, created=ctx.now(), currency=currency,
        description=params.get("description"), expected_availability_date=ctx.now(),
        failure_code=failure, failure_message=None if failure is None else
        f"The top-up failed: {failure}.", initiated_by="user", livemode=False,
        metadata=params.get("metadata") or {}, payment_method=None, source=None,
        statement_descriptor=params.get("statement_descriptor"),
        status="failed" if failure else "succeeded", transfer_group=params.get("transfer_group"),
    )
    ctx.insert(topup)
    ctx.emit("topup.created", topup)
    ctx.emit("topup.failed" if failure else "topup.succeeded", topup)
    return topup


@route("GET", "/v1/topups/<id>", params={})
def retrieve_topup(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "topup", param="topup")


@route("GET", "/v1/topups", params={**LIST_PARAMS, "status": Str(), "created": Range()})
def list_topups(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {"status": params["status"]} if "status" in params else None
    return store_page(ctx, params, "/v1/topups", type="topup", where=where)


@loader("tu")
def load_topup(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "topup")
    return found[1] if found and ctx.visible(found[0]) else None


# -- the clock -----------------------------------------------------------------------------
def _namespaces(ctx: Context) -> list[str]:
    rows = ctx.store.execute("SELECT id FROM objects WHERE ns=? AND type='account'",
                             (ctx.platform,)).fetchall()
    return [r[0] for r in rows]


def _payout_day(schedule: dict[str, Any], day: int) -> bool:
    interval = schedule.get("interval", "daily")
    moment = datetime.fromtimestamp(day, timezone.utc)
    if interval == "daily":
        return True
    if interval == "weekly":
        return WEEKDAYS[moment.weekday()] == schedule.get("weekly_anchor", "monday")
    if interval == "monthly":
        anchor = schedule.get("monthly_anchor", 1)
        last = (datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1,
                         tzinfo=timezone.utc).timestamp() - 86400)
        last_day = datetime.fromtimestamp(last, timezone.utc).day
        return moment.day == min(anchor, last_day)
    return False  # manual


@on_tick
def settle(ctx: Context, before: int) -> None:
    """One day (or the rest of one) of a platform's clock, for it and every connected
    account, in the accounts' order. Three queries find which accounts have anything due,
    so a quiet day costs next to nothing however many accounts there are (a clock advance
    over years settles day by day)."""
    now = ctx.now()
    refunds.settle_pending(ctx)  # refunds waiting for funds come before the day's payouts
    mine = "ns IN (SELECT id FROM objects WHERE ns=? AND type='account')"
    matured = {r[0] for r in ctx.store.execute(  # funds that matured since ``before``
        f"SELECT DISTINCT ns FROM ledger WHERE {mine} AND available_on > ?"
        " AND available_on <= ? AND amount > 0", (ctx.platform, before, now))}
    moving = {r[0] for r in ctx.store.execute(  # payouts on their way to a bank
        f"SELECT DISTINCT ns FROM objects WHERE type='payout' AND {mine}"
        " AND json_extract(data, '$.status') IN ('pending', 'in_transit')", (ctx.platform,))}
    midnight = now % 86400 == 0  # we stopped at 00:00 UTC: scheduled payouts run now
    funded = {r[0] for r in ctx.store.execute(
        f"SELECT ns FROM ledger WHERE {mine} AND available_on <= ?"
        " GROUP BY ns, currency HAVING SUM(net) > 0", (ctx.platform, now))} if midnight else set()
    for ns in _namespaces(ctx):
        connected = ns != ctx.platform
        if ns in matured:  # balance.available (not for negative rows)
            view = ctx if not connected else Context(ctx.emulator, ctx.platform, ns,
                                                     ctx.api_version)
            ctx.emit("balance.available", balance_of(view, ns), account=ns)
        if ns in moving:
            _progress_payouts(ctx, ns, now)
        if midnight and (ns in funded or ns in moving):  # a failed payout returns funds
            account = _account(ctx, ns)
            schedule = account["settings"]["payouts"]["schedule"]
            if account["payouts_enabled"] and _payout_day(schedule, now):
                # each currency's available balance (one in a currency without a bank
                # account of its own goes to the default one, see create_payout)
                for currency in sorted(ctx.ledger.balances(ns, now)["available"]):
                    # A pending refund's amount stays behind, or the sweep would keep the
                    # refund waiting for ever (the docs are silent on this order).
                    amount = ctx.ledger.available(ns, currency, now) - \
                        refunds.held(ctx, ns, currency)
                    banks = [b for b in account["external_accounts"]["data"]
                             if b["currency"] == currency]
                    bank = next((b for b in banks if b.get("default_for_currency")),
                                banks[0] if banks else None)
                    # A bank account whose payout failed is `errored`: Stripe "will not
                    # continue to send scheduled payouts until the bank details are updated"
                    # (stripe-python BankAccount.status; https://docs.stripe.com/payouts#payout-failures).
                    # Adding a new one makes it the default, and payouts resume to it.
                    if amount <= 0 or not account["external_accounts"]["data"] or (
                            bank is not None and bank["status"] == "errored"):
                        continue
                    params = {"amount": amount, "currency": currency}
                    if bank is not None:
                        params["destination"] = bank["id"]
                    try:
                        create_payout(ctx, ns, params, automatic=True)
                    except InvalidRequest:  # no bank account can take it: it waits
                        continue


def _progress_payouts(ctx: Context, ns: str, now: int) -> None:
    for status in ("pending", "in_transit"):
        for payout in ctx.store.query(type="payout", ns=ns, where={"status": status},
                                      limit=10000):
            previous = {"status": payout["status"]}
            if payout["reconciliation_status"] == "in_progress" and payout["created"] < now:
                previous["reconciliation_status"] = "in_progress"
                payout["reconciliation_status"] = "completed"
            if payout["arrival_date"] > now:
                if status == "pending" and payout["created"] < now:
                    payout["status"] = "in_transit"
                    ctx.save(payout)
                    ctx.emit("payout.updated", payout, previous, account=ns)
                continue
            bank = next((b for b in _account(ctx, ns)["external_accounts"]["data"]
                         if b["id"] == payout["destination"]), None)
            failure = FAILING_BANKS.get(_bank_number(ctx, bank)) if bank else None
            if failure:
                txn = money.post(ctx, ns, convert=False, currency=payout["currency"],
                                 amount=payout["amount"], type="payout_failure",
                                 reporting_category="payout_reversal", source=payout["id"],
                                 available_on=now)
                payout.update(status="failed", failure_code=failure[0],
                              failure_message=failure[1], failure_balance_transaction=txn.id)
                ctx.save(payout)
                ctx.emit("payout.failed", payout, previous, account=ns)
                _errored(ctx, ns, bank)
            else:
                payout.update(status="paid", trace_id={"status": "supported",
                                                       "value": f"TRACE{payout['id'][3:15]}"})
                ctx.save(payout)
                ctx.emit("payout.paid", payout, previous, account=ns)


def _errored(ctx: Context, ns: str, bank: dict[str, Any]) -> None:
    """A failed payout sets its bank account to ``errored`` (stripe-python BankAccount.status:
    "If a payout sent to this bank account fails, we'll set the status to `errored`")."""
    if bank["status"] == "errored":
        return
    account = _account(ctx, ns)
    for item in account["external_accounts"]["data"]:
        if item["id"] == bank["id"]:
            item["status"] = "errored"
            ctx.save(account)
            ctx.emit("account.external_account.updated", item, {"status": bank["status"]},
                     account=ns)
            return
