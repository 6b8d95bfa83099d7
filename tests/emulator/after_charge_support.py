"""A homeowner and a booking helper shared by the after-the-charge tests."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

import stripe


@dataclass
class Market:
    client: stripe.StripeClient
    account: str
    api_base: str
    key: str

    def book(self, pm: str = "pm_card_visa", amount: int = 1000, fee: int = 123):
        return self.client.v1.payment_intents.create({
            "amount": amount, "currency": "usd", "application_fee_amount": fee,
            "transfer_data": {"destination": self.account}, "payment_method": pm,
            "confirm": True, "return_url": "https://example.com/return",
        })

    def nets(self) -> tuple[int, int]:
        """(platform, homeowner): each the sum of its balance transactions' net."""
        def total(options: dict) -> int:
            listing = self.client.v1.balance_transactions.list({"limit": 100}, options)
            return sum(t.net for t in listing.auto_paging_iter())
        return total({}), total({"stripe_account": self.account})

    def balance(self, account: str | None = None) -> tuple[int, int]:
        options = {"stripe_account": account} if account else {}
        bal = self.client.v1.balance.retrieve(options=options)
        return bal.available[0].amount, bal.pending[0].amount

    def control(self, path: str, **params: object) -> dict:
        data = "&".join(f"{k}={v}" for k, v in params.items()).encode()
        request = urllib.request.Request(self.api_base + path, data=data, method="POST",
                                         headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())


def new_market(client: stripe.StripeClient, api_base: str, key: str, bank: str = "") -> Market:
    params: dict = {"type": "express", "capabilities": {"transfers": {"requested": True},
                                                       "card_payments": {"requested": True}}}
    if bank:
        params["external_account"] = bank
    account = client.v1.accounts.create(params)
    market = Market(client, account.id, api_base, key)
    market.control(f"/_emulator/accounts/{account.id}/complete_onboarding")
    return market
