"""Transfer: money from the platform to a connected account ("separate charges and
transfers", https://docs.stripe.com/connect/separate-charges-and-transfers).

With ``source_transaction`` the transfer is funded by that charge, even while the charge
is pending; without it, only the platform's *available* balance can fund it.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import fx, money
from ..context import Context
from ..errors import InvalidRequest
from ..listing import store_page
from ..params import LIST_PARAMS, Int, Metadata, Range, Str
from ..registry import loader, route
from ..shapes import check_currency, merge_metadata
from .events import changes
from .payment_intents import _connected_account

CREATE = {
    "amount": Int(required=True, min=1),
    "currency": Str(required=True),
    "destination": Str(required=True),
    "source_transaction": Str(),
    "transfer_group": Str(),
    "description": Str(),
    "metadata": Metadata(),
    "source_type": Str(),
}


def transferred_from(ctx: Context, charge_id: str) -> int:
    """How much of a charge earlier transfers already used."""
    rows = ctx.store.query(type="transfer", parent=charge_id, limit=1000)
    return sum(t["amount"] - t["amount_reversed"] for t in rows)


@route("POST", "/v1/transfers", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        raise InvalidRequest("Transfers can only be created by the platform.",
                             param="destination")
    currency = check_currency(params["currency"])
    account = _connected_account(ctx, params["destination"], "destination")
    # Standard accounts (full Dashboard, Stripe collects requirements) are not held to the
    # transfers capability in test mode: the Stripe CLI's own transfer.* fixtures transfer to
    # a bare `POST /v1/accounts` account ("Sandboxes and test mode might not enforce some
    # capabilities", https://docs.stripe.com/connect/account-capabilities).
    standard = account["type"] == "standard"
    if not standard and account["capabilities"].get("transfers") != "active":
        raise InvalidRequest(
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer", param="destination")
    amount = params["amount"]
    when = ctx.now()
    source = params.get("source_transaction")
    if source:
        charge = ctx.get(source, "charge", param="source_transaction")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise InvalidRequest(
                f"The source_transaction {source} has not been captured or has failed.",
                param="source_transaction")
        # The balance transaction's currency: a converted charge settled in another one
        # (fx.py); the room is counted in it too.
        settled = ctx.ledger.get(charge["balance_transaction"])
        if settled.currency != currency:
            raise InvalidRequest(
                "The currency of source_transaction's balance transaction "
                f"({settled.currency}) must be the same as the transfer currency "
                f"({currency}).", param="currency")
        # amount_refunded already includes the uncaptured rest of a partial capture, so
        # start from the authorized amount, not amount_captured (which would count it twice).
        room = fx.convert(charge["amount"] - charge["amount_refunded"], charge["currency"],
                          currency) - transferred_from(ctx, source)
        if amount > room:
            raise InvalidRequest(
                f"Transfer amount ({amount}) exceeds the amount of the source_transaction "
                f"that is still available to transfer ({room}).", param="amount")
        when = ctx.ledger.get(charge["balance_transaction"]).available_on
    elif ctx.ledger.available(ctx.platform, currency, ctx.now()) < amount:
        raise InvalidRequest(
            "You have insufficient available funds in your Stripe account. Try adding funds "
            "directly to your available balance by creating Charges using the "
            "4000000000000077 test card. See: https://stripe.com/docs/testing#available-balance",
            code="balance_insufficient", param="amount")

    return money.transfer(
        ctx, amount=amount, currency=currency, destination=account["id"], when=when,
        source_charge=source, description=params.get("description"),
        metadata=params.get("metadata"), transfer_group=params.get("transfer_group"),
        payment_transfer_group=params.get("transfer_group"))


@route("GET", "/v1/transfers/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "transfer", param="transfer")


@route("POST", "/v1/transfers/<id>", params={"description": Str(nullable=True),
                                             "metadata": Metadata()})
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    transfer = ctx.get(id, "transfer", param="transfer")
    before = copy.deepcopy(transfer)
    if "description" in params:
        transfer["description"] = params["description"]
    if "metadata" in params:
        transfer["metadata"] = merge_metadata(transfer["metadata"], params["metadata"])
    ctx.save(transfer)
    ctx.emit("transfer.updated", transfer, changes(before, transfer))
    return transfer


@route("GET", "/v1/transfers", params={**LIST_PARAMS, "destination": Str(),
                                       "transfer_group": Str(), "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {k: params[k] for k in ("destination", "transfer_group") if k in params}
    return store_page(ctx, params, "/v1/transfers", type="transfer", where=where or None)


@loader("tr")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "transfer")
    return found[1] if found and ctx.visible(found[0]) else None
