"""Balance and BalanceTransaction: read-only views over the ledger.

A balance is never stored; it is summed from the ledger at the emulator's current time
(https://docs.stripe.com/api/balance/balance_object).
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound
from ..ledger import Entry
from ..listing import page
from ..params import LIST_PARAMS, Range, Str
from ..registry import loader, route
from ..shapes import build


def render_entry(ctx: Context, entry: Entry) -> dict[str, Any]:
    return build(
        "BalanceTransaction",
        id=entry.id, object="balance_transaction", amount=entry.amount,
        available_on=entry.available_on, balance_type="payments", created=entry.created,
        currency=entry.currency, description=entry.description,
        exchange_rate=None if entry.exchange_rate is None else float(entry.exchange_rate),
        fee=entry.fee, fee_details=entry.fee_details, net=entry.net,
        reporting_category=entry.reporting_category, source=entry.source,
        status="available" if entry.available_on <= ctx.now() else "pending",
        type=entry.type,
    )


def balance_of(ctx: Context, ns: str) -> dict[str, Any]:
    sums = ctx.ledger.balances(ns, ctx.now())
    currencies = sorted(set(sums["available"]) | set(sums["pending"])) or ["usd"]

    def funds(bucket: str) -> list[dict[str, Any]]:
        out = []
        for currency in currencies:
            by_type = sums[bucket].get(currency, {})
            out.append({"amount": sum(by_type.values()), "currency": currency,
                        "source_types": {"card": by_type.get("card", 0),
                                         **{k: v for k, v in by_type.items() if k != "card"}}})
        return out

    return build(
        "Balance",
        object="balance", available=funds("available"), pending=funds("pending"),
        connect_reserved=[{"amount": 0, "currency": c} for c in currencies]
        if not ctx.is_connected or ns == ctx.platform else None,
        livemode=False,
    )


@route("GET", "/v1/balance", params={})
def retrieve_balance(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return balance_of(ctx, ctx.account)


@route("GET", "/v1/balance_transactions/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    entry = ctx.ledger.get(id)
    if entry is None or entry.ns != ctx.account:
        raise NotFound("balance_transaction", id)
    return render_entry(ctx, entry)


@route("GET", "/v1/balance_transactions",
       params={**LIST_PARAMS, "type": Str(), "source": Str(), "currency": Str(),
               "created": Range(), "payout": Str()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "payout" in params:
        raise InvalidRequest("Filtering balance transactions by `payout` is not emulated yet; "
                             "filter by `type` or `source` instead.", param="payout")
    filters = {k: params[k] for k in ("type", "source", "currency") if k in params}

    def fetch(before_seq: int | None, after_seq: int | None, limit: int) -> list[dict]:
        entries = ctx.ledger.entries(ctx.account, limit=limit, before_seq=before_seq,
                                     after_seq=after_seq, filters=filters,
                                     created=params.get("created"))
        rows = [render_entry(ctx, e) for e in entries]
        return list(reversed(rows)) if after_seq is not None else rows

    def seq_of(entry_id: str) -> int | None:
        entry = ctx.ledger.get(entry_id)  # a cursor from this account's ledger only
        return ctx.ledger.seq_of(entry_id) if entry and entry.ns == ctx.account else None

    return page(ctx, params, "/v1/balance_transactions", fetch, seq_of=seq_of,
                kind="balance_transaction")


@loader("txn")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    entry = ctx.ledger.get(object_id)
    return render_entry(ctx, entry) if entry and ctx.visible(entry.ns) else None
