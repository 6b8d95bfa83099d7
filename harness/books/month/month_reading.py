"""Reading Stripe's books back after the month: every balance transaction, payout,
dispute and balance, through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import stripe

from ...lab import Lab
from .month_run import Month, progress


# -- reading Stripe's books back ------------------------------------------------------------------
@dataclass
class Books:
    """Everything Stripe says happened, read through the API after the month.

    ``transactions``: every balance transaction of the platform (since the month started)
    and of each homeowner's account, with ``stripe_fee`` (the part of ``fee`` Stripe kept).
    ``payouts``: every payout of each homeowner (and the platform's since the month
    started). ``balances``: available + pending now. ``disputes``: the platform's disputes
    since the month started.
    """

    transactions: Any
    payouts: Any
    balances: Any
    disputes: Any
    start: int
    calls: int = 0
    platform_history: bool = False  # the platform's balance holds money from before the month


BT_FIELDS = ["account", "homeowner_id", "id", "type", "reporting_category", "source", "amount",
             "fee", "stripe_fee", "net", "created", "available_on", "status"]


def read_books(lab: Lab, month: Month, *, show_progress: bool = True) -> Books:
    """Read the month back from Stripe: balance transactions (all pages) and balances of
    every account, the homeowners' payouts, and the platform's disputes. About two hundred
    list calls; the connected accounts are read with the ``Stripe-Account`` header.

    The lists are read as JSON (``client.raw_request``) rather than as the SDK's typed
    objects: for ten thousand balance transactions that is twice as fast, and only a few
    plain fields are needed."""
    import pandas as pd

    reader = _Reader(lab.client)
    since = {"created": {"gte": month.started}}
    who = {None: "platform", **{acct: owner for owner, acct in month.accounts.items()}}
    bt_rows: list[dict[str, Any]] = []
    payout_rows: list[dict[str, Any]] = []
    balance_rows: list[dict[str, Any]] = []
    with progress(len(who), "reading the books", "accounts", show_progress) as bar:
        for account, owner in who.items():
            name = account or "platform"
            # the platform may have a history from before this month; the accounts do not
            params = since if account is None else {}
            for bt in reader.all("/v1/balance_transactions", params, account):
                bt_rows.append({
                    "account": name, "homeowner_id": owner if account else "",
                    "id": bt["id"], "type": bt["type"],
                    "reporting_category": bt["reporting_category"], "source": bt["source"],
                    "amount": bt["amount"], "fee": bt["fee"],
                    "stripe_fee": sum(d["amount"] for d in bt["fee_details"]
                                      if d["type"] == "stripe_fee"),
                    "net": bt["net"], "created": bt["created"],
                    "available_on": bt["available_on"], "status": bt["status"]})
            for p in reader.all("/v1/payouts", params, account):
                payout_rows.append({
                    "account": name, "homeowner_id": owner if account else "", "id": p["id"],
                    "created": p["created"], "arrival_date": p["arrival_date"],
                    "amount": p["amount"], "status": p["status"], "automatic": p["automatic"]})
            bal = reader.get("/v1/balance", account)
            balance_rows.append({
                "account": name, "homeowner_id": owner if account else "",
                "available": sum(f["amount"] for f in bal["available"] if f["currency"] == "usd"),
                "pending": sum(f["amount"] for f in bal["pending"] if f["currency"] == "usd")})
            bar.update(1)
    dispute_rows = [{k: d[k] for k in DISPUTE_FIELDS}
                    for d in reader.all("/v1/disputes", since, None)]
    # Money the platform had before the month is in its balance but not in these rows.
    older = reader.get("/v1/balance_transactions", None, limit=1,
                       created={"lt": month.started})["data"]
    transactions = pd.DataFrame(bt_rows, columns=BT_FIELDS)
    payouts = pd.DataFrame(payout_rows, columns=PAYOUT_FIELDS)
    balances = pd.DataFrame(balance_rows,
                            columns=["account", "homeowner_id", "available", "pending"])
    disputes = pd.DataFrame(dispute_rows, columns=DISPUTE_FIELDS)
    return Books(transactions, payouts, balances, disputes, month.started, reader.calls,
                 platform_history=bool(older))


PAYOUT_FIELDS = ["account", "homeowner_id", "id", "created", "arrival_date", "amount", "status",
                 "automatic"]
DISPUTE_FIELDS = ["id", "charge", "payment_intent", "amount", "status", "reason", "created"]


class _Reader:
    """GET requests through the SDK (``raw_request``: same keys, retries and headers), with
    the JSON bodies returned as plain dicts; lists are followed page by page."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.calls = 0

    def get(self, path: str, account: str | None, **params: Any) -> dict[str, Any]:
        import json

        self.calls += 1
        if account:
            params["stripe_account"] = account
        response = self.client.raw_request("get", path, **params)
        return json.loads(response.body)

    def all(self, path: str, params: dict[str, Any], account: str | None) -> Iterator[dict]:
        """Every object of a list, newest first (Stripe's order), following ``has_more``."""
        cursor: dict[str, Any] = {}
        while True:
            page = self.get(path, account, limit=100, **params, **cursor)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            cursor = {"starting_after": page["data"][-1]["id"]}
