"""pandas and matplotlib views of what Stripe did with the money.

Everything here is built from ordinary ``stripe`` SDK calls (retrieve, list, the
``Stripe-Account`` option), never from the emulator's insides, so the same views work on
real Stripe test mode. Amounts are in cents, as Stripe counts them; a ``usd`` column shows
dollars for reading.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import stripe

__all__ = [
    "DestinationCharge", "balance_transactions", "balances", "compare", "destination_charge",
    "flow_chart", "links_table", "masked_secret", "money_table", "objects_table",
    "payment_method_settings", "payment_summary", "usd",
]


def usd(cents: int | None) -> str:
    """1234 -> "$12.34", -59 -> "-$0.59"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def day(timestamp: int | None) -> str:
    """A Unix time as a UTC date (what ``available_on`` means)."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def masked_secret(secret: str | None) -> str:
    """Show that a client_secret exists without showing it: ``pi_123_secret_…``."""
    if not secret:
        return "(none)"
    head, sep, _ = secret.partition("_secret_")
    return f"{head}_secret_…" if sep else "…"


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


def destination_charge(client: stripe.StripeClient, payment_intent: str) -> DestinationCharge:
    """Fetch everything a succeeded destination charge created (five to eight API calls)."""
    expand = {"expand": ["balance_transaction"]}
    pi = client.v1.payment_intents.retrieve(payment_intent)
    if pi.latest_charge is None:
        raise ValueError(f"{pi.id} has no charge yet (status {pi.status})")
    charge = client.v1.charges.retrieve(pi.latest_charge, expand)
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
def balance_transactions(
    client: stripe.StripeClient, account: str | None = None, limit: int = 100
):
    """An account's balance transactions, oldest first (``account=None``: the platform)."""
    rows = []
    page = client.v1.balance_transactions.list({"limit": min(limit, 100)}, _as({}, account))
    for bt in page.auto_paging_iter():
        rows.append({"id": bt.id, "type": bt.type, "source": bt.source, "amount": bt.amount,
                     "fee": bt.fee, "net": bt.net, "currency": bt.currency,
                     "status": bt.status, "available_on": day(bt.available_on),
                     "reporting_category": bt.reporting_category})
        if len(rows) >= limit:
            break
    rows.reverse()
    columns = ["id", "type", "source", "amount", "fee", "net", "currency", "status",
               "available_on", "reporting_category"]
    import pandas as pd

    return pd.DataFrame(rows, columns=columns).set_index("id")


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
        charge = client.v1.charges.retrieve(pi.latest_charge,
                                            {"expand": ["balance_transaction"]})
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


# -- the picture ---------------------------------------------------------------------------
def _pyplot() -> Any:
    """Import pyplot without its one-off "building the font cache" warning on a fresh
    machine, which would otherwise land in (and change) a notebook's stored output."""
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        import matplotlib.pyplot as plt
    finally:
        logger.setLevel(level)
    return plt


def _label(cents: int) -> str:
    return usd(cents).replace("$", r"\$")  # a bare $ would start mathtext


def _waterfall(ax: Any, title: str, steps: list[tuple[str, int]], total: str) -> None:
    level, labels = 0, []
    for i, (label, delta) in enumerate(steps):
        bottom = level if delta >= 0 else level + delta
        ax.bar(i, abs(delta), bottom=bottom, width=0.6,
               color="#2e7d32" if delta >= 0 else "#c62828")
        ax.text(i, bottom + abs(delta), ("+" if delta >= 0 else "-") + _label(abs(delta)),
                ha="center", va="bottom", fontsize=9)
        if i:  # connector from the previous bar's level
            ax.plot([i - 0.7, i - 0.3], [level, level], color="#9e9e9e", linewidth=0.8)
        level += delta
        labels.append(label)
    n = len(steps)
    ax.plot([n - 0.7, n - 0.3], [level, level], color="#9e9e9e", linewidth=0.8)
    ax.bar(n, level, color="#1565c0", width=0.6)
    ax.text(n, max(level, 0), _label(level), ha="center", va="bottom", fontsize=9,
            fontweight="bold")
    labels.append(total)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)


def flow_chart(dc: DestinationCharge, homeowner: str = "Homeowner"):
    """Two waterfalls on one scale: the platform's ledger and the homeowner's, for one charge.

    Returns the matplotlib Figure (already closed, so Jupyter shows it exactly once).
    """
    plt = _pyplot()

    charge_bt = dc.charge.balance_transaction
    platform = [("renter pays", charge_bt.amount), ("Stripe's fee", -dc.stripe_fee),
                ("transfer out", dc.transfer.balance_transaction.net)]
    if dc.application_fee is not None:
        platform.append(("application fee", dc.application_fee.balance_transaction.net))
    payment_bt = dc.payment.balance_transaction
    owner = [("transfer in", payment_bt.amount)]
    if payment_bt.fee:
        owner.append(("application fee", -payment_bt.fee))

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True,
                                      width_ratios=[len(platform) + 1, len(owner) + 1.5])
    _waterfall(left, "Platform", platform, "platform net")
    left.set_ylabel("cents")
    _waterfall(right, homeowner, owner, "homeowner net")
    left.margins(y=0.12)
    fig.suptitle(f"Where the renter's {_label(charge_bt.amount)} goes: Stripe "
                 f"{_label(dc.stripe_fee)}, platform {_label(dc.platform_net)}, homeowner "
                 f"{_label(dc.homeowner_net)}", fontsize=12)
    fig.tight_layout()
    plt.close(fig)
    return fig
