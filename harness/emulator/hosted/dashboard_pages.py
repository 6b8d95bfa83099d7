"""The Express Dashboard a LoginLink opens (``/express/<account>/<token>``): a small page
that reads the account's balance, payments and payouts from the ledger. Login links are
single-use (https://docs.stripe.com/api/accounts/login_link); their records are
``resources/account_links.py``'s.
"""

from __future__ import annotations

import datetime
from typing import Any

from werkzeug.wrappers import Response

from ..context import Context
from ..pipeline import Page
from ..registry import route
from ..resources.account_links import (
    account_details,
    connected_account,
    consume_record,
    load_record,
)
from ..resources.balance import balance_of
from .rendering import message, money, platform_brand, render


def _date(ts: int | None) -> str:
    if not ts:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def dashboard_data(ctx: Context, account_id: str) -> dict[str, Any]:
    """The Express Dashboard's view of one account, from the store and the ledger."""
    emulator = ctx.emulator
    found = emulator.store.get(account_id)
    account = found[1] if found else {}
    bal = balance_of(ctx, account_id)
    pending = {f["currency"]: f["amount"] for f in bal["pending"]}
    balance = [{"currency": f["currency"], "available": money(f["amount"], f["currency"]),
                "pending": money(pending.get(f["currency"], 0), f["currency"])}
               for f in bal["available"]]
    payments = []
    for charge in emulator.store.query(type="charge", ns=account_id, limit=25):
        currency = charge.get("currency", "usd")
        entry = emulator.ledger.get(charge["balance_transaction"]) \
            if isinstance(charge.get("balance_transaction"), str) else None
        fee = entry.fee if entry else 0
        payments.append({"id": charge["id"], "date": _date(charge.get("created")),
                         "amount": money(charge.get("amount", 0), currency),
                         "fee": money(fee, currency),
                         "net": money(entry.net if entry else charge.get("amount", 0),
                                      currency)})
    payouts = [{"id": p["id"], "date": _date(p.get("arrival_date")), "status": p.get("status"),
                "amount": money(p.get("amount", 0), p.get("currency", "usd"))}
               for p in emulator.store.query(type="payout", ns=account_id, limit=25)]
    individual = account_details(emulator, account_id).get("individual", {})
    name = " ".join(x for x in (individual.get("first_name"), individual.get("last_name")) if x)
    return {"account_id": account_id, "account_name": name or account.get("email") or account_id,
            "charges_enabled": account.get("charges_enabled"),
            "payouts_enabled": account.get("payouts_enabled"),
            "balance": balance, "payments": payments, "payouts": payouts}


@route("GET", "/express/<account_id>/<token>", page=True)
def express_dashboard(page: Page, account_id: str, token: str) -> Response:
    emulator = page.emulator
    link = load_record(emulator, "login_link", token)
    if link is None or link["account"] != account_id:
        return message(emulator, None, "This link is not valid",
                       "Ask the platform for a new link to your Express Dashboard.", 404)
    if link["used"]:
        # Login links are single-use (https://docs.stripe.com/api/accounts/login_link).
        return message(emulator, link["platform"], "This link has already been used",
                       "Login links work once. Ask the platform for a new one.", 410)
    if connected_account(emulator, link["platform"], account_id) is None:
        return message(emulator, link["platform"], "This account is not available",
                       "It is no longer connected to the platform.", 404)
    if not consume_record(emulator, "login_link", token):
        return message(emulator, link["platform"], "This link has already been used",
                       "Login links work once. Ask the platform for a new one.", 410)
    ctx = page.context(link["platform"], account_id)
    return render("dashboard.html", brand=platform_brand(emulator, link["platform"]),
                  logout_url=link.get("redirect_url"), **dashboard_data(ctx, account_id))
