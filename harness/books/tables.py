"""pandas tables of what Stripe did with the money.

Everything here is built from ordinary ``stripe`` SDK calls (retrieve, list, the
``Stripe-Account`` option), never from the emulator's insides, so the same views work on
real Stripe test mode. Amounts are in cents, as Stripe counts them; a ``usd`` column shows
dollars for reading.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import stripe

from .formatting import day, masked_secret, usd

__all__ = [
    "DestinationCharge", "Movement", "application_fees", "balance_change", "balance_history",
    "balance_summary", "balance_transactions", "balances", "capture_events", "captured_charge",
    "compare", "compare_trails", "destination_charge", "dispute_of", "disputes", "links_table",
    "money_table", "money_trail", "objects_table", "payment_method_settings", "payment_summary",
    "payouts", "refunds", "transfer_reversals", "transfers",
]


def _as(options: dict[str, Any], account: str | None) -> dict[str, Any]:
    return {**options, "stripe_account": account} if account else dict(options)


# -- one destination charge, every object it made ----------------------------------------
@dataclass
class DestinationCharge:
    """The objects one destination charge leaves behind, on both accounts.

    ``charge``, ``transfer``, ``payment`` and ``application_fee`` each have their
    ``balance_transaction`` expanded. ``payment`` is the ``py_`` on the connected account;
    ``application_fee`` is ``None`` when the charge used ``transfer_data[amount]``.
    """

    payment_intent: Any
    charge: Any
    transfer: Any
    payment: Any
    application_fee: Any
    account: str

    @property
    def stripe_fee(self) -> int:
        bt = self.charge.balance_transaction
        return sum(d.amount for d in bt.fee_details if d.type == "stripe_fee")

    @property
    def platform_net(self) -> int:
        nets = [self.charge.balance_transaction.net, self.transfer.balance_transaction.net]
        if self.application_fee is not None:
            nets.append(self.application_fee.balance_transaction.net)
        return sum(nets)

    @property
    def homeowner_net(self) -> int:
        return self.payment.balance_transaction.net


def captured_charge(client: stripe.StripeClient, charge_id: str, *, timeout: float = 60.0,
                    poll: float = 2.0) -> Any:
    """The charge with its ``balance_transaction`` expanded, once Stripe has finished
    capturing it. With ``capture_method=automatic_async`` (the default) the charge is
    captured but its ``balance_transaction``, ``transfer`` and ``application_fee`` are null
    at first; Stripe fills them shortly after and says so with ``charge.updated``
    (https://docs.stripe.com/payments/payment-intents/asynchronous-capture). A webhook
    handler waits for that event; a script re-reads the charge until they are set: at once
    on the emulator, within seconds in test mode (Stripe's SLA is an hour, so a charge still
    unfinished after ``timeout`` seconds is returned as it is)."""
    deadline = time.monotonic() + timeout
    while True:
        charge = client.v1.charges.retrieve(charge_id, {"expand": ["balance_transaction"]})
        finished = charge.balance_transaction is not None and (
            charge.transfer or not charge.transfer_data)
        if finished or not charge.captured or time.monotonic() >= deadline:
            return charge
        time.sleep(poll)


CAPTURE_EVENTS = ("charge.succeeded", "payment_intent.succeeded", "application_fee.created",
                  "transfer.created", "charge.updated")


def capture_events(client: stripe.StripeClient, payment_intent: str):
    """How a payment's capture was announced, oldest event first: what each event's object
    said of ``balance_transaction``, ``transfer`` and ``application_fee``, and what
    ``charge.updated`` reports as changed (``previous_attributes``). With ``automatic_async``
    the first two are null in ``charge.succeeded`` / ``payment_intent.succeeded`` and
    ``charge.updated`` fills them; with ``automatic`` they are set at once
    (https://docs.stripe.com/payments/payment-intents/asynchronous-capture)."""
    pi = client.v1.payment_intents.retrieve(payment_intent)
    if pi.latest_charge is None:
        raise ValueError(f"{pi.id} has no charge yet (status {pi.status})")
    charge = captured_charge(client, pi.latest_charge)  # waits until it is filled
    events = client.v1.events.list({"types": list(CAPTURE_EVENTS), "limit": 100}).data
    rows = []
    for event in reversed(events):
        obj = event.data.object.to_dict()
        linked = {"charge.succeeded": obj["id"] == charge.id,
                  "charge.updated": obj["id"] == charge.id,
                  "payment_intent.succeeded": obj["id"] == pi.id,
                  "transfer.created": obj.get("source_transaction") == charge.id,
                  "application_fee.created": charge.id in (obj.get("originating_transaction"),
                                                           obj.get("charge"))}
        if not linked.get(event.type):
            continue
        shown = obj if obj["object"] == "charge" else {}
        previous = event.data.to_dict().get("previous_attributes") or {}
        rows.append({
            "event": event.type, "object": obj["id"],
            **{field: _shown(shown.get(field, "")) for field in ("balance_transaction",
                                                                 "transfer", "application_fee")},
            "previous_attributes": ", ".join(f"{k}={_shown(v)}" for k, v in previous.items()),
        })
    return _frame(rows)


def _shown(value: Any) -> Any:
    return "null" if value is None else value


def destination_charge(client: stripe.StripeClient, payment_intent: str) -> DestinationCharge:
    """Fetch everything a succeeded destination charge created (five to eight API calls),
    once its capture has finished (:func:`captured_charge`)."""
    expand = {"expand": ["balance_transaction"]}
    pi = client.v1.payment_intents.retrieve(payment_intent)
    if pi.latest_charge is None:
        raise ValueError(f"{pi.id} has no charge yet (status {pi.status})")
    charge = captured_charge(client, pi.latest_charge)
    if not charge.transfer:
        raise ValueError(f"{charge.id} is not a destination charge, or not captured yet")
    transfer = client.v1.transfers.retrieve(charge.transfer, expand)
    payment = client.v1.charges.retrieve(
        transfer.destination_payment, expand, _as({}, transfer.destination)
    )
    fee = None
    if charge.application_fee:
        fee = client.v1.application_fees.retrieve(charge.application_fee, expand)
    return DestinationCharge(pi, charge, transfer, payment, fee, transfer.destination)


def _frame(rows: list[dict[str, Any]], index: str | None = None):
    import pandas as pd

    frame = pd.DataFrame(rows)
    return frame.set_index(index) if index else frame


def objects_table(dc: DestinationCharge):
    """One row per object the charge created: what it is, where it lives, its amount."""
    home = f"homeowner {dc.account}"
    rows = [
        {"object": "PaymentIntent", "id": dc.payment_intent.id, "account": "platform",
         "amount": dc.payment_intent.amount, "status": dc.payment_intent.status},
        {"object": "Charge", "id": dc.charge.id, "account": "platform",
         "amount": dc.charge.amount, "status": dc.charge.status},
        {"object": "Transfer", "id": dc.transfer.id, "account": "platform",
         "amount": dc.transfer.amount, "status": "reversed" if dc.transfer.reversed else ""},
        {"object": "Charge (payment)", "id": dc.payment.id, "account": home,
         "amount": dc.payment.amount, "status": dc.payment.status},
    ]
    if dc.application_fee is not None:
        fee = dc.application_fee
        rows.append({"object": "ApplicationFee", "id": fee.id, "account": "platform",
                     "amount": fee.amount, "status": "refunded" if fee.refunded else ""})
    return _frame(rows, "object")


def links_table(dc: DestinationCharge):
    """How the objects point at each other (the fields to follow when reconciling)."""
    pi, ch, tr, py, fee = (dc.payment_intent, dc.charge, dc.transfer, dc.payment,
                           dc.application_fee)
    edges = [
        (pi.id, "latest_charge", pi.latest_charge),
        (ch.id, "transfer", ch.transfer),
        (ch.id, "application_fee", ch.application_fee),
        (ch.id, "application_fee_amount", ch.application_fee_amount),
        (tr.id, "destination", tr.destination),
        (tr.id, "destination_payment", tr.destination_payment),
        (tr.id, "source_transaction", tr.source_transaction),
        (py.id, "source_transfer", py.source_transfer),
    ]
    if fee is not None:
        edges += [
            (fee.id, "account", fee.account),
            (fee.id, "charge", fee.charge),
            (fee.id, "originating_transaction", fee.originating_transaction),
        ]
    return _frame([{"from": a, "field": f, "to": "None" if b is None else str(b)}
                   for a, f, b in edges])


def money_table(dc: DestinationCharge):
    """Who got what, from the balance transactions of both accounts.

    The last row adds the three shares up again: it equals what the renter paid, because
    money is neither created nor lost. (Counts the charge as captured, before any refund.)
    """
    charge_bt = dc.charge.balance_transaction
    transfer_bt = dc.transfer.balance_transaction
    payment_bt = dc.payment.balance_transaction
    platform_how = f"charge {charge_bt.net} - transfer {-transfer_bt.net}"
    if dc.application_fee is not None:
        platform_how += f" + fee {dc.application_fee.balance_transaction.net}"
    homeowner_how = f"payment {payment_bt.amount}"
    if payment_bt.fee:
        homeowner_how += f" - fee {payment_bt.fee}"
    rows = [
        {"who": "renter paid", "how": f"charge {dc.charge.id}", "cents": charge_bt.amount},
        {"who": "Stripe's fee", "how": "from the platform's charge",
         "cents": dc.stripe_fee},
        {"who": "platform net", "how": platform_how, "cents": dc.platform_net},
        {"who": "homeowner net", "how": homeowner_how, "cents": dc.homeowner_net},
    ]
    rows.append({"who": "total", "how": "Stripe's fee + platform net + homeowner net",
                 "cents": dc.stripe_fee + dc.platform_net + dc.homeowner_net})
    frame = _frame(rows, "who")
    frame["usd"] = [usd(c) for c in frame["cents"]]
    return frame


def compare(variants: dict[str, DestinationCharge]):
    """Several destination charges side by side (e.g. fee versus ``transfer_data[amount]``)."""
    import pandas as pd

    columns = {}
    for name, dc in variants.items():
        values = {
            "renter paid": dc.charge.amount,
            "charge.application_fee_amount": dc.charge.application_fee_amount,
            "transfer.amount": dc.transfer.amount,
            "ApplicationFee": dc.application_fee.id if dc.application_fee else None,
            "Stripe's fee": dc.stripe_fee,
            "platform net": dc.platform_net,
            "homeowner net": dc.homeowner_net,
            "on_behalf_of": dc.charge.on_behalf_of,
        }
        columns[name] = {k: "None" if v is None else v for k, v in values.items()}
    return pd.DataFrame(columns, dtype=object)


# -- ledgers ---------------------------------------------------------------------------------
BT_COLUMNS = ["id", "type", "source", "amount", "fee", "net", "currency", "status",
              "available_on", "reporting_category"]


def _named(accounts: Any) -> dict[str, str | None] | None:
    """A mapping ``{name: account}`` for "several accounts", or None for a single one."""
    return dict(accounts) if isinstance(accounts, Mapping) else None


def _date(timestamp: int | None) -> date | None:
    """A Unix time as its UTC calendar date (``available_on``, ``arrival_date``, ``due_by``)."""
    if not timestamp:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date()


def _when(timestamp: int | None) -> datetime | None:
    """A Unix time as a naive UTC datetime (pandas prints it as ``2026-01-01 12:00:00``)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).replace(tzinfo=None)


def _oldest_first(listing: Any, limit: int | None = None) -> list[Any]:
    """Every object of a list call, following ``has_more`` (Stripe lists newest first)."""
    items = []
    for item in listing.auto_paging_iter():
        items.append(item)
        if limit is not None and len(items) >= limit:
            break
    items.reverse()
    return items


def _bt_rows(client: stripe.StripeClient, account: str | None, limit: int | None) -> list[dict]:
    page = client.v1.balance_transactions.list({"limit": 100}, _as({}, account))
    return [{"id": bt.id, "type": bt.type, "source": bt.source, "amount": bt.amount,
             "fee": bt.fee, "net": bt.net, "currency": bt.currency, "status": bt.status,
             "available_on": _date(bt.available_on), "reporting_category": bt.reporting_category}
            for bt in _oldest_first(page, limit)]


def balance_transactions(
    client: stripe.StripeClient, account: Any = None, limit: int | None = None
):
    """Balance transactions, oldest first, every page of them (or the newest ``limit``).

    ``account``: ``None`` for the platform, an ``acct_`` ID for a connected account (read
    with the ``Stripe-Account`` header), or ``{"platform": None, "Maya": acct}`` for several
    accounts at once (then the index is ``(account, id)``). ``available_on`` is a UTC date.
    """
    import pandas as pd

    several = _named(account)
    if several is None:
        rows = _bt_rows(client, account, limit)
        return pd.DataFrame(rows, columns=BT_COLUMNS).set_index("id")
    rows = [{"account": name, **row} for name, acct in several.items()
            for row in _bt_rows(client, acct, limit)]
    return pd.DataFrame(rows, columns=["account", *BT_COLUMNS]).set_index(["account", "id"])


def balances(client: stripe.StripeClient, accounts: dict[str, str | None]):
    """Available and pending balance per account, e.g. ``{"platform": None, "Maya": acct}``."""
    rows = []
    for name, account in accounts.items():
        bal = client.v1.balance.retrieve(options=_as({}, account))
        for bucket in ("available", "pending"):
            for fund in getattr(bal, bucket):
                rows.append({"account": name, "balance": bucket, "currency": fund.currency,
                             "cents": fund.amount, "usd": usd(fund.amount)})
    return _frame(rows).set_index(["account", "balance"])


def payment_summary(client: stripe.StripeClient, payment_intent: str):
    """A PaymentIntent, its charge and the charge's balance transaction, as one table."""
    pi = client.v1.payment_intents.retrieve(payment_intent)
    rows = [("PaymentIntent", pi.id, "status", pi.status),
            ("PaymentIntent", pi.id, "amount", pi.amount),
            ("PaymentIntent", pi.id, "client_secret", masked_secret(pi.client_secret))]
    if pi.latest_charge:
        charge = captured_charge(client, pi.latest_charge)
        rows.append(("Charge", charge.id, "status", charge.status))
        bt = charge.balance_transaction
        if bt is not None:
            rows += [("BalanceTransaction", bt.id, "type", bt.type),
                     ("BalanceTransaction", bt.id, "amount", bt.amount),
                     ("BalanceTransaction", bt.id, "fee", bt.fee),
                     ("BalanceTransaction", bt.id, "net", bt.net),
                     ("BalanceTransaction", bt.id, "status", bt.status),
                     ("BalanceTransaction", bt.id, "available_on", day(bt.available_on))]
    return _frame([{"object": o, "id": i, "field": f, "value": str(v)} for o, i, f, v in rows])


def payment_method_settings(intents: dict[str, Any]):
    """How each PaymentIntent chose its payment methods (endive versus older versions)."""
    import pandas as pd

    columns = {}
    for name, pi in intents.items():
        apm = getattr(pi, "automatic_payment_methods", None)
        columns[name] = {
            "id": pi.id,
            "status": pi.status,
            "payment_method_types": str(list(pi.payment_method_types or [])),
            "automatic_payment_methods": "None" if apm is None else f"enabled={apm.enabled}",
            "allowed_payment_method_types": str(
                getattr(pi, "allowed_payment_method_types", None)),
        }
    return pd.DataFrame(columns, dtype=object)


def balance_summary(client: stripe.StripeClient, accounts: Mapping[str, str | None]):
    """One row per account and currency: ``available`` and ``pending`` cents (and dollars).

    ``accounts`` names the accounts, e.g. ``{"platform": None, "Maya": acct}``.
    """
    import pandas as pd

    rows = []
    for name, account in accounts.items():
        bal = client.v1.balance.retrieve(options=_as({}, account))
        pending = {f.currency: f.amount for f in bal.pending}
        for fund in bal.available:
            rows.append({"account": name, "currency": fund.currency, "available": fund.amount,
                         "pending": pending.get(fund.currency, 0)})
    frame = pd.DataFrame(rows, columns=["account", "currency", "available", "pending"])
    frame["total usd"] = [usd(int(c)) for c in frame["available"] + frame["pending"]]
    return frame.set_index("account")


def balance_change(before: Any, after: Any):
    """Two :func:`balance_summary` tables side by side, with the change in cents."""
    import pandas as pd

    cents = ["available", "pending"]
    frame = pd.concat({"before": before[cents], "after": after[cents],
                       "change": after[cents] - before[cents]}, axis=1)
    return frame


# -- the objects behind the money --------------------------------------------------------------
def _several(client: stripe.StripeClient, accounts: Any, fetch: Any, columns: list[str]):
    """Rows from ``fetch(account)`` for one account, or for each of several (``account``
    column first)."""
    import pandas as pd

    several = _named(accounts)
    if several is None:
        return pd.DataFrame(fetch(accounts), columns=columns).set_index(columns[0])
    rows = [{"account": name, **row} for name, acct in several.items() for row in fetch(acct)]
    return pd.DataFrame(rows, columns=["account", *columns]).set_index(["account", columns[0]])


APPLICATION_FEE_COLUMNS = ["id", "created", "account", "charge", "originating_transaction",
                           "amount", "amount_refunded", "kept", "refunded"]


def application_fees(client: stripe.StripeClient, limit: int | None = None):
    """The platform's application fees, oldest first: what each homeowner paid, what was
    refunded, and what the platform kept. ``charge`` is the homeowner's ``py_`` payment,
    ``originating_transaction`` the platform's ``ch_``."""
    import pandas as pd

    listing = client.v1.application_fees.list({"limit": 100})
    rows = [{"id": f.id, "created": _when(f.created), "account": f.account, "charge": f.charge,
             "originating_transaction": f.originating_transaction, "amount": f.amount,
             "amount_refunded": f.amount_refunded, "kept": f.amount - f.amount_refunded,
             "refunded": f.refunded}
            for f in _oldest_first(listing, limit)]
    return pd.DataFrame(rows, columns=APPLICATION_FEE_COLUMNS).set_index("id")


TRANSFER_COLUMNS = ["id", "created", "destination", "amount", "amount_reversed", "reversed",
                    "source_transaction", "destination_payment"]


def transfers(client: stripe.StripeClient, limit: int | None = None):
    """The platform's transfers, oldest first. A destination charge's transfer has the
    ``ch_`` in ``source_transaction``; a separate transfer (from the balance) has none."""
    import pandas as pd

    listing = client.v1.transfers.list({"limit": 100})
    rows = [{"id": t.id, "created": _when(t.created), "destination": t.destination,
             "amount": t.amount, "amount_reversed": t.amount_reversed, "reversed": t.reversed,
             "source_transaction": t.source_transaction or "None",
             "destination_payment": t.destination_payment}
            for t in _oldest_first(listing, limit)]
    return pd.DataFrame(rows, columns=TRANSFER_COLUMNS).set_index("id")


REVERSAL_COLUMNS = ["id", "created", "transfer", "amount", "source_refund",
                    "destination_payment_refund"]


def transfer_reversals(client: stripe.StripeClient, transfer: str | None = None):
    """Transfer reversals, oldest first: of one transfer, or of every transfer that has
    some. ``source_refund`` is the Refund that caused it (``None``: reversed by hand)."""
    import pandas as pd

    if transfer is None:
        ids = [t.id for t in _oldest_first(client.v1.transfers.list({"limit": 100}))
               if t.amount_reversed]
    else:
        ids = [transfer]
    rows = [{"id": r.id, "created": _when(r.created), "transfer": r.transfer,
             "amount": r.amount, "source_refund": r.source_refund or "None",
             "destination_payment_refund": r.destination_payment_refund}
            for tr in ids
            for r in _oldest_first(client.v1.transfers.reversals.list(tr, {"limit": 100}))]
    return pd.DataFrame(rows, columns=REVERSAL_COLUMNS).set_index("id")


REFUND_COLUMNS = ["id", "created", "charge", "payment_intent", "amount", "status", "reason",
                  "transfer_reversal"]


def refunds(client: stripe.StripeClient, payment_intent: str | None = None):
    """Refunds, oldest first (all of the platform's, or one PaymentIntent's)."""
    import pandas as pd

    params: dict[str, Any] = {"limit": 100}
    if payment_intent:
        params["payment_intent"] = payment_intent
    rows = [{"id": r.id, "created": _when(r.created), "charge": r.charge,
             "payment_intent": r.payment_intent, "amount": r.amount, "status": r.status,
             "reason": r.reason or "None", "transfer_reversal": r.transfer_reversal or "None"}
            for r in _oldest_first(client.v1.refunds.list(params))]
    return pd.DataFrame(rows, columns=REFUND_COLUMNS).set_index("id")


PAYOUT_COLUMNS = ["id", "created", "amount", "currency", "status", "arrival_date", "automatic",
                  "method", "failure_code"]


def _payout_rows(client: stripe.StripeClient, account: str | None) -> list[dict[str, Any]]:
    listing = client.v1.payouts.list({"limit": 100}, _as({}, account))
    return [{"id": p.id, "created": _when(p.created), "amount": p.amount,
             "currency": p.currency, "status": p.status, "arrival_date": _date(p.arrival_date),
             "automatic": p.automatic, "method": p.method,
             "failure_code": p.failure_code or "None"}
            for p in _oldest_first(listing)]


def payouts(client: stripe.StripeClient, accounts: Any = None):
    """Payouts to the bank, oldest first: one account (``None`` = platform, or an
    ``acct_``), or several as ``{"Maya": acct, ...}``. ``automatic`` is True for payouts
    made by the account's payout schedule."""
    return _several(client, accounts, lambda acct: _payout_rows(client, acct), PAYOUT_COLUMNS)


def dispute_of(client: stripe.StripeClient, payment_intent: str, timeout: float = 30.0) -> Any:
    """The (first) Dispute of a PaymentIntent's charge, waiting for it to be opened.

    The dispute test cards open a dispute just after the charge: on the emulator at once,
    in test mode a few seconds later, so this polls ``disputes.list`` until one appears.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = client.v1.disputes.list({"payment_intent": payment_intent, "limit": 1}).data
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no dispute opened for {payment_intent} within {timeout:g} s")
        time.sleep(1.0)


DISPUTE_COLUMNS = ["id", "created", "charge", "amount", "reason", "status", "due_by",
                   "withdrawn", "dispute_fee", "reinstated", "net"]


def disputes(client: stripe.StripeClient, payment_intent: str | None = None):
    """Disputes, oldest first, with the money each moved on the platform's balance.

    ``withdrawn`` is the disputed amount taken back, ``dispute_fee`` the fee charged with it,
    ``reinstated`` what a won dispute gave back; ``net`` is their sum (an inquiry moves
    nothing). ``due_by`` is the date evidence is due.
    """
    import pandas as pd

    params: dict[str, Any] = {"limit": 100}
    if payment_intent:
        params["payment_intent"] = payment_intent
    rows = []
    for d in _oldest_first(client.v1.disputes.list(params)):
        txns = d.balance_transactions or []
        details = d.evidence_details
        rows.append({
            "id": d.id, "created": _when(d.created), "charge": d.charge, "amount": d.amount,
            "reason": d.reason, "status": d.status,
            "due_by": _date(details.due_by) if details else None,
            "withdrawn": sum(t.amount for t in txns if t.amount < 0),
            "dispute_fee": -sum(t.fee for t in txns),
            "reinstated": sum(t.amount for t in txns if t.amount > 0),
            "net": sum(t.net for t in txns),
        })
    return pd.DataFrame(rows, columns=DISPUTE_COLUMNS).set_index("id")


# -- one booking, followed everywhere its money went --------------------------------------------
@dataclass
class Movement:
    """One money movement of a booking, as the change it made to each party (cents).

    ``renter`` is the cardholder, ``stripe`` what Stripe (and the card networks) kept.
    Every movement's four changes add up to zero: money moves, it is never made or lost.
    """

    step: str
    object: str
    created: int
    renter: int = 0
    platform: int = 0
    homeowner: int = 0
    stripe: int = 0
    kind: str = ""


PARTIES = ["renter", "platform", "homeowner", "stripe"]


def _movements(client: stripe.StripeClient, payment_intent: str) -> list[Movement]:
    """Follow a PaymentIntent: charge -> transfer -> reversals, fee -> fee refunds, refunds,
    disputes. Only ordinary SDK reads, so it works on real test mode too."""
    pi = client.v1.payment_intents.retrieve(payment_intent)
    if not pi.latest_charge:
        raise ValueError(f"{pi.id} has no charge yet (status {pi.status})")
    charge = captured_charge(client, pi.latest_charge)
    bt = charge.balance_transaction
    if bt is None:
        raise ValueError(f"{charge.id} moved no money (status {charge.status})")
    moves = [
        Movement("renter pays", charge.id, charge.created, renter=-bt.amount,
                 platform=bt.amount, kind="charge"),
        Movement("Stripe's processing fee", bt.id, charge.created, platform=-bt.fee,
                 stripe=bt.fee, kind="stripe_fee"),
    ]
    if charge.amount_captured < charge.amount:  # a partial capture released the rest
        # (https://docs.stripe.com/reports/reporting-categories: partial_capture_reversal)
        found = client.v1.balance_transactions.list({"source": charge.id, "type": "refund"})
        for t in found.data:
            if t.reporting_category != "partial_capture_reversal":
                continue
            moves.append(Movement("uncaptured rest released", t.id, t.created,
                                  renter=-t.amount, platform=t.amount, kind="charge"))
            moves.append(Movement("fee on the uncaptured rest returned", t.id, t.created,
                                  platform=-t.fee, stripe=t.fee, kind="stripe_fee"))
    if charge.transfer:
        tr = client.v1.transfers.retrieve(charge.transfer)
        moves.append(Movement("transfer to homeowner", tr.id, tr.created, platform=-tr.amount,
                              homeowner=tr.amount, kind="transfer"))
    if charge.application_fee:
        fee = client.v1.application_fees.retrieve(charge.application_fee)
        moves.append(Movement("application fee", fee.id, fee.created, platform=fee.amount,
                              homeowner=-fee.amount, kind="application_fee"))
    for d in _oldest_first(client.v1.disputes.list({"charge": charge.id, "limit": 100})):
        txns = d.balance_transactions or []
        if not txns:
            moves.append(Movement(f"dispute ({d.status}): no money moves", d.id, d.created,
                                  kind="dispute"))
        for t in txns:
            step = "dispute: amount and fee taken" if t.amount < 0 else "dispute won: reinstated"
            moves.append(Movement(step, d.id, t.created, renter=-t.amount, platform=t.net,
                                  stripe=t.fee, kind="dispute"))
    listing = client.v1.refunds.list({"charge": charge.id, "limit": 100,
                                      "expand": ["data.balance_transaction"]})
    for r in _oldest_first(listing):
        if r.status in ("failed", "canceled"):
            continue
        fee = r.balance_transaction.fee if r.balance_transaction else 0
        moves.append(Movement("refund to renter", r.id, r.created, renter=r.amount,
                              platform=-r.amount - fee, stripe=fee, kind="refund"))
    if charge.transfer:
        for rv in _oldest_first(client.v1.transfers.reversals.list(charge.transfer,
                                                                   {"limit": 100})):
            moves.append(Movement("transfer reversal", rv.id, rv.created, platform=rv.amount,
                                  homeowner=-rv.amount, kind="reversal"))
    if charge.application_fee:
        for fr in _oldest_first(client.v1.application_fees.refunds.list(
                charge.application_fee, {"limit": 100})):
            moves.append(Movement("application fee refund", fr.id, fr.created,
                                  platform=-fr.amount, homeowner=fr.amount, kind="fee_refund"))
    return sorted(moves, key=lambda m: m.created)  # stable: same second keeps the order above


def money_trail(client: stripe.StripeClient, payment_intent: str):
    """Every movement of one booking's money, one row each, with what it did to the renter,
    the platform, the homeowner and Stripe; the last row is each party's net.

    The ``net`` row: the renter's is minus what they finally paid, the platform's and the
    homeowner's are what they kept, Stripe's is its fees. Each row adds up to zero.
    """
    import pandas as pd

    moves = _movements(client, payment_intent)
    rows = [{"step": m.step, "object": m.object, **{p: getattr(m, p) for p in PARTIES}}
            for m in moves]
    rows.append({"step": "net", "object": "",
                 **{p: sum(getattr(m, p) for m in moves) for p in PARTIES}})
    frame = pd.DataFrame(rows, columns=["step", "object", *PARTIES])
    return frame.rename(columns={"stripe": "Stripe"})


TRAIL_ROWS = ["renter paid", "refunded to renter", "charged back (dispute)",
              "Stripe's processing fee", "dispute fees", "application fee kept",
              "platform net", "homeowner net"]


def _summary(moves: list[Movement]) -> dict[str, int]:
    def total(kind: str, party: str) -> int:
        return sum(getattr(m, party) for m in moves if m.kind == kind)

    disputes_ = [m for m in moves if m.kind == "dispute"]
    return {
        "renter paid": -total("charge", "renter"),
        "refunded to renter": total("refund", "renter"),
        "charged back (dispute)": sum(m.renter for m in disputes_),
        "Stripe's processing fee": total("stripe_fee", "stripe") + total("refund", "stripe"),
        "dispute fees": sum(m.stripe for m in disputes_),
        "application fee kept": total("application_fee", "platform")
        + total("fee_refund", "platform"),
        "platform net": sum(m.platform for m in moves),
        "homeowner net": sum(m.homeowner for m in moves),
    }


def compare_trails(client: stripe.StripeClient, bookings: Mapping[str, str]):
    """Several bookings side by side (``{"what happened": payment_intent_id}``): what the
    renter paid and got back, what Stripe kept, and each side's net, in cents.

    For every column: renter paid - refunded - charged back = Stripe's fee + dispute fees
    + platform net + homeowner net.
    """
    import pandas as pd

    columns = {name: _summary(_movements(client, pi)) for name, pi in bookings.items()}
    return pd.DataFrame(columns, index=TRAIL_ROWS)


# -- balance over time ---------------------------------------------------------------------------
def balance_history(
    client: stripe.StripeClient, account: str | None = None, currency: str = "usd",
    until: int | None = None,
):
    """An account's ``available`` and ``pending`` balance after each moment something changed,
    rebuilt from its balance transactions alone (Stripe keeps no balance history).

    A transaction counts as pending from ``created`` until ``available_on``, then as
    available. Moments: every ``created``, and every ``available_on`` already reached (a
    transaction's ``status`` is ``available``), or up to ``until`` (a Unix time) if given.
    """
    import pandas as pd

    page = client.v1.balance_transactions.list({"limit": 100}, _as({}, account))
    txns = [t for t in _oldest_first(page) if t.currency == currency]
    moments = {t.created for t in txns}
    moments |= {t.available_on for t in txns
                if t.status == "available" or (until is not None and t.available_on <= until)}
    if until is not None:
        moments = {m for m in moments if m <= until} | {until}
    rows = []
    for moment in sorted(moments):
        ready = [t for t in txns if t.created <= moment and t.available_on <= moment]
        waiting = [t for t in txns if t.created <= moment < t.available_on]
        rows.append({"time": _when(moment), "available": sum(t.net for t in ready),
                     "pending": sum(t.net for t in waiting)})
    return pd.DataFrame(rows, columns=["time", "available", "pending"]).set_index("time")
