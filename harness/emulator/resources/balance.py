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
        instant_available=_instant(ctx, ns, currencies),
        livemode=False,
    )


def instant_available(ctx: Context, ns: str, currency: str) -> int:
    """Card funds are ready for Instant Payouts "as soon as the charge is complete"
    (https://docs.stripe.com/connect/instant-payouts), so their pending part counts too;
    what waiting refunds need stays behind (see refunds.held)."""
    from . import refunds  # refunds -> events; imported here so balance stays a leaf

    row = ctx.store.execute(
        "SELECT COALESCE(SUM(net), 0) FROM ledger WHERE ns=? AND currency=? AND "
        "(available_on <= ? OR source_type='card')", (ns, currency, ctx.now())).fetchone()
    return max(0, int(row[0]) - refunds.held(ctx, ns, currency))


def _instant(ctx: Context, ns: str, currencies: list[str]) -> list[dict[str, Any]] | None:
    """``Balance.instant_available``, for an account with an external account that takes
    Instant Payouts (``available_payout_methods`` has ``instant``); else absent, as for
    accounts Stripe has not made eligible."""
    found = ctx.store.get(ns)
    banks = ((found[1].get("external_accounts") or {}).get("data") or []) if found else []
    out = []
    for currency in currencies:
        if not any(b.get("currency") == currency and "instant" in
                   (b.get("available_payout_methods") or []) for b in banks):
            continue
        amount = instant_available(ctx, ns, currency)
        out.append({"amount": amount, "currency": currency, "net_available": None,
                    "source_types": {"card": amount}})
    return out or None


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
    filters = {k: params[k] for k in ("type", "source", "currency") if k in params}
    window = _payout_window(ctx, params["payout"]) if "payout" in params else None

    def fetch(before_seq: int | None, after_seq: int | None, limit: int) -> list[dict]:
        if window is not None:
            entries = _window_entries(ctx, window, filters, before_seq, after_seq, limit)
        else:
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


# -- what an automatic payout settled ------------------------------------------------------
# An automatic payout sweeps the available balance, so it settles every transaction of its
# account and currency that became available after the previous automatic payout and by its
# own creation, its own ``payout`` transaction included; ties at the same second go by ledger
# order. ``payout=`` works "for automatic Stripe payouts only"
# (https://docs.stripe.com/api/balance_transactions/list#balance_transaction_list-payout).
Window = tuple[str, tuple[int, int] | None, tuple[int, int]]


def _position(ctx: Context, payout: dict[str, Any]) -> tuple[int, int]:
    return (payout["created"], ctx.ledger.seq_of(payout["balance_transaction"]) or 0)


def _payout_window(ctx: Context, payout_id: str) -> Window:
    found = ctx.find(payout_id, "payout")
    if found is None or found[0] != ctx.account:
        raise NotFound("payout", payout_id, param="payout")
    payout = found[1]
    if not payout["automatic"]:
        raise InvalidRequest("Balance transaction history can only be filtered on automatic "
                             "transfers, not manual.", param="payout")
    end = _position(ctx, payout)
    earlier = [_position(ctx, p) for p in ctx.store.query(
        type="payout", ns=ctx.account, where={"automatic": True, "currency": payout["currency"]},
        limit=100000) if _position(ctx, p) < end]
    return payout["currency"], max(earlier) if earlier else None, end


def _window_entries(ctx: Context, window: Window, filters: dict[str, Any],
                    before_seq: int | None, after_seq: int | None, limit: int) -> list[Entry]:
    currency, start, end = window
    sql = ["SELECT * FROM ledger WHERE ns=? AND currency=?",
           "AND (available_on < ? OR (available_on = ? AND seq <= ?))"]
    args: list[Any] = [ctx.account, currency, end[0], end[0], end[1]]
    if start is not None:
        sql.append("AND (available_on > ? OR (available_on = ? AND seq > ?))")
        args += [start[0], start[0], start[1]]
    for column in ("type", "source"):
        if column in filters:
            sql.append(f"AND {column}=?")
            args.append(filters[column])
    if before_seq is not None:
        sql.append("AND seq < ?")
        args.append(before_seq)
    if after_seq is not None:
        sql.append("AND seq > ? ORDER BY seq ASC LIMIT ?")
        rows = ctx.store.execute(" ".join(sql), [*args, after_seq, limit]).fetchall()
        return [ctx.ledger._entry(r) for r in reversed(rows)]
    sql.append("ORDER BY seq DESC LIMIT ?")
    rows = ctx.store.execute(" ".join(sql), [*args, limit]).fetchall()
    return [ctx.ledger._entry(r) for r in rows]


@loader("txn")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    entry = ctx.ledger.get(object_id)
    return render_entry(ctx, entry) if entry and ctx.visible(entry.ns) else None
