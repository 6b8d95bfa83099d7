"""Fidelity rule 7, by property: money is a ledger, and it is neither created nor lost.

Hypothesis drives random sequences of Connect operations through the official SDK against
the emulator. After every step, to the cent:
- each account's balance (available + pending, from /v1/balance) is the sum of the nets of
  its balance transactions, and each transaction has net = amount - fee = amount - its
  fee_details;
- a transaction is available exactly when its available_on has passed;
- across the platform and its connected accounts, all nets plus the Stripe fees collected
  equal the captured charge amounts minus what left through refunds, disputes and payouts
  (automatic payouts sweep connected accounts' available funds as the clock passes midnight).

The operations cover what Stripe's money rules combine: destination and plain charges in
usd and in eur (converted into the usd balance, https://docs.stripe.com/currencies/conversions),
captured at once, asynchronously (``automatic_async``, the default) or partially after a
manual authorization; refunds with and without reverse_transfer / refund_application_fee,
waiting as ``pending`` when the balance does not cover them; the dispute test card and its
evidence (won or lost); transfers, instant payouts and the clock. A captured charge counts in
the currency it settled in (its balance transaction's ``exchange_rate``), and a dispute takes
back exactly what its charge captured (https://docs.stripe.com/disputes).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.emulator import Emulator, Settings

from .support import all_balance_transactions, wsgi_client

_platforms = itertools.count()

CARDS = ("pm_card_visa", "pm_card_bypassPending", "pm_card_createDispute")
CURRENCIES = ("usd", "eur")
amounts = st.integers(min_value=50, max_value=250_000)
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

ops = st.one_of(
    st.tuples(st.just("account")),
    st.tuples(
        st.just("destination"),
        amounts,
        st.sampled_from(("fee", "transfer", "none")),
        fractions,
        st.sampled_from(CARDS),
        st.booleans(),
        fractions,
        st.integers(0, 9),
        st.sampled_from(CURRENCIES),
    ),
    st.tuples(st.just("charge"), amounts, st.sampled_from(CARDS), st.booleans(), fractions,
              st.sampled_from(CURRENCIES)),
    st.tuples(st.just("transfer"), st.integers(0, 9), fractions, st.integers(0, 9)),
    st.tuples(st.just("payout_funds"), st.integers(1, 5000), st.integers(0, 9)),
    st.tuples(st.just("advance"), st.integers(0, 10), st.integers(0, 86399)),
    st.tuples(st.just("refund"), st.integers(0, 19), fractions, st.booleans(), st.booleans()),
    st.tuples(st.just("instant_payout"), st.integers(1, 5000), st.integers(0, 9)),
    st.tuples(st.just("evidence"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("legacy"), amounts, fractions, fractions, st.integers(0, 9),
              st.sampled_from(("tok_visa", "tok_bypassPending", "tok_createDispute"))),
)


@pytest.fixture(scope="module")
def app() -> Iterator[Emulator]:
    """An emulator of this module's own, called in-process through its WSGI app (the SDK's
    requests still pass through the whole HTTP layer; only the socket is skipped)."""
    emulator = Emulator(settings=Settings(frozen_clock=True))  # time moves only when told
    yield emulator
    emulator.close()


def _control(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    return json.loads(client.raw_request("post", path, **params).body)


@dataclass
class World:
    client: stripe.StripeClient
    accounts: list[str] = field(default_factory=list)
    # plain platform charges that may fund a transfer: id -> amount still transferable
    room: dict[str, int] = field(default_factory=dict)
    destination_charges: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)  # plain charges in eur
    steps: list[tuple[Any, ...]] = field(default_factory=list)

    def account(self, pick: int) -> str:
        if not self.accounts:
            self.op_account()
        return self.accounts[pick % len(self.accounts)]

    # -- operations ----------------------------------------------------------------------------
    def run(self, op: tuple[Any, ...]) -> None:
        self.steps.append(op)
        getattr(self, "op_" + op[0])(*op[1:])

    def op_account(self) -> None:
        account = self.client.v1.accounts.create(
            {
                "type": "express",
                "country": "US",
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
            }
        )
        done = _control(self.client, f"/_emulator/accounts/{account.id}/complete_onboarding")
        assert done["capabilities"]["transfers"] == "active"
        self.accounts.append(account.id)

    def _pay(
        self, params: dict[str, Any], manual: bool, capture_frac: float, floor: int
    ) -> stripe.PaymentIntent:
        if manual:
            params["capture_method"] = "manual"
        pi = self.client.v1.payment_intents.create(params)
        if manual:
            assert pi.status == "requires_capture"
            amount = pi.amount
            capture = max(floor, 1) + int((amount - max(floor, 1)) * capture_frac)
            pi = self.client.v1.payment_intents.capture(pi.id, {"amount_to_capture": capture})
            assert pi.amount_received == capture
        assert pi.status == "succeeded"
        return pi

    def op_destination(
        self,
        amount: int,
        variant: str,
        frac: float,
        card: str,
        manual: bool,
        capture_frac: float,
        pick: int,
        currency: str = "usd",
    ) -> None:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "payment_method": card,
            "confirm": True,
            "return_url": "https://example.com/return",
            "transfer_data": {"destination": self.account(pick)},
        }
        floor = 0
        if variant == "fee":
            floor = params["application_fee_amount"] = int(amount * frac)
        elif variant == "transfer":
            floor = params["transfer_data"]["amount"] = max(1, int(amount * frac))
        pi = self._pay(params, manual, capture_frac, floor)
        charge = self.client.v1.charges.retrieve(pi.latest_charge)
        self.destination_charges.append(charge.id)
        transfer = self.client.v1.transfers.retrieve(charge.transfer)
        expected = floor if variant == "transfer" else pi.amount_received
        rate = self._rate(charge)
        assert transfer.amount == _settled(expected, rate)  # in the platform's usd
        if variant == "fee" and floor:
            fee = self.client.v1.application_fees.retrieve(charge.application_fee)
            assert fee.amount == _settled(floor, rate)
        else:
            assert charge.application_fee is None

    def op_charge(self, amount: int, card: str, manual: bool, capture_frac: float,
                  currency: str = "usd") -> None:
        pi = self._pay(
            {
                "amount": amount,
                "currency": currency,
                "payment_method": card,
                "confirm": True,
                "return_url": "https://example.com/return",
            },
            manual,
            capture_frac,
            1,
        )
        if currency == "usd":  # a transfer's source_transaction is spent in usd
            self.room[pi.latest_charge] = pi.amount_received
        else:
            self.converted.append(pi.latest_charge)

    def op_transfer(self, which: int, frac: float, pick: int) -> None:
        if not self.room:
            return
        source = sorted(self.room)[which % len(self.room)]
        left = max(0, self.room[source])
        wanted = max(1, int(left * frac) + (which % 2))  # sometimes one cent too many
        params = {
            "amount": wanted,
            "currency": "usd",
            "destination": self.account(pick),
            "source_transaction": source,
        }
        if wanted > left:
            with pytest.raises(stripe.InvalidRequestError) as info:
                self.client.v1.transfers.create(params)
            assert info.value.param == "amount"
            return
        tr = self.client.v1.transfers.create(params)
        assert tr.amount == wanted and tr.source_transaction == source
        self.room[source] = left - wanted

    def op_payout_funds(self, amount: int, pick: int) -> None:
        """A transfer from the available balance (no source_transaction)."""
        destination = self.account(pick)
        available = self.totals(None)["available"]
        params = {"amount": amount, "currency": "usd", "destination": destination}
        if amount > available:
            with pytest.raises(stripe.InvalidRequestError) as info:
                self.client.v1.transfers.create(params)
            assert info.value.code == "balance_insufficient"
            return
        assert self.client.v1.transfers.create(params).amount == amount

    def op_instant_payout(self, amount: int, pick: int) -> None:
        """An instant payout from a connected account: card funds count at once, and Stripe's
        fee (1.5 %, at least 50 cents) must fit too (https://docs.stripe.com/connect/instant-payouts)."""
        account = self.account(pick)
        options = {"stripe_account": account}
        body = json.loads(self.client.raw_request("get", "/v1/balance", **options).body)
        instant = sum(f["amount"] for f in body.get("instant_available") or [])
        fee = max(50, (2 * 15 * amount + 1000) // 2000)
        params = {"amount": amount, "currency": "usd", "method": "instant"}
        if amount + fee > instant:
            with pytest.raises(stripe.InvalidRequestError) as info:
                self.client.v1.payouts.create(params, options)
            assert info.value.code == "balance_insufficient"
            return
        payout = self.client.v1.payouts.create(params, options)
        txn = self.client.v1.balance_transactions.retrieve(payout.balance_transaction,
                                                           options=options)
        assert (txn.amount, txn.fee, txn.net) == (-amount, fee, -amount - fee)

    def op_refund(self, which: int, frac: float, reverse: bool, refund_fee: bool) -> None:
        charges = sorted(self.room) + self.destination_charges + self.converted
        if not charges:
            return
        charge = self.client.v1.charges.retrieve(charges[which % len(charges)])
        if charge.disputed:  # a charged-back charge cannot be refunded
            with pytest.raises(stripe.InvalidRequestError) as info:
                self.client.v1.refunds.create({"charge": charge.id})
            assert info.value.code == "charge_disputed"
            return
        left = charge.amount - charge.amount_refunded  # the uncaptured rest counts as refunded
        if left <= 0:
            return
        amount = max(1, int(left * frac))
        params: dict[str, Any] = {"charge": charge.id, "amount": amount}
        if charge.transfer and reverse:
            params["reverse_transfer"] = True
            if refund_fee and charge.application_fee:
                params["refund_application_fee"] = True
        refund = self.client.v1.refunds.create(params)  # type: ignore[arg-type]
        # A refund the available balance does not cover waits (https://docs.stripe.com/refunds)
        assert refund.amount == amount
        assert (refund.status, refund.pending_reason) in (
            ("succeeded", None), ("pending", "insufficient_funds"))
        assert (refund.balance_transaction is None) == (refund.status == "pending")
        after = self.client.v1.charges.retrieve(charge.id)
        assert after.amount_refunded == charge.amount_refunded + amount
        assert after.refunded == (after.amount_refunded == after.amount)
        if charge.id in self.room:
            self.room[charge.id] -= amount

    def op_legacy(self, amount: int, frac: float, capture_frac: float, pick: int,
                  token: str) -> None:
        """A legacy destination Charge (``source``, ``capture=false``) captured in part
        (https://docs.stripe.com/api/charges/capture): its money moves as a PaymentIntent's."""
        fee = int(amount * frac)
        held = self.client.v1.charges.create({
            "amount": amount, "currency": "usd", "source": token, "capture": False,
            "application_fee_amount": fee, "transfer_data": {"destination": self.account(pick)}})
        capture = max(fee, 1) + int((amount - max(fee, 1)) * capture_frac)
        charge = self.client.v1.charges.capture(held.id, {"amount": capture})
        assert (charge.amount_captured, charge.amount_refunded) == (capture, amount - capture)
        assert self.client.v1.transfers.retrieve(charge.transfer).amount == capture
        self.destination_charges.append(charge.id)

    def op_evidence(self, which: int, win: bool) -> None:
        """Answer an open dispute with Stripe's test evidence (https://docs.stripe.com/testing#disputes)."""
        open_ = [d for d in self.client.v1.disputes.list({"limit": 100}).auto_paging_iter()
                 if d.status == "needs_response"]
        if not open_:
            return
        dispute = open_[which % len(open_)]
        text = "winning_evidence" if win else "losing_evidence"
        closed = self.client.v1.disputes.update(
            dispute.id, {"evidence": {"uncategorized_text": text}})
        assert closed.status == ("won" if win else "lost")
        assert len(closed.balance_transactions) == (2 if win else 1)

    def _rate(self, charge: stripe.Charge) -> Decimal | None:
        txn = self.client.v1.balance_transactions.retrieve(charge.balance_transaction)
        assert txn.currency == "usd"
        assert (txn.exchange_rate is None) == (charge.currency == "usd")
        return None if txn.exchange_rate is None else Decimal(str(txn.exchange_rate))

    def op_advance(self, days: int, seconds: int) -> None:
        _control(self.client, "/_emulator/clock/advance", seconds=days * 86400 + seconds)

    # -- invariants ----------------------------------------------------------------------------
    def totals(self, account: str | None) -> dict[str, int]:
        options: dict[str, Any] = {"stripe_account": account} if account else {}
        body = json.loads(self.client.raw_request("get", "/v1/balance", **options).body)
        out = {"available": 0, "pending": 0}
        for bucket in out:
            for funds in body[bucket]:
                assert funds["currency"] == "usd"
                assert funds["amount"] == sum(funds["source_types"].values())
                out[bucket] += funds["amount"]
        return out

    def check(self) -> None:
        now = json.loads(self.client.raw_request("get", "/_emulator/clock").body)["now"]
        nets = stripe_fees = 0
        for account in [None, *self.accounts]:
            txns = all_balance_transactions(self.client, account)
            balance = self.totals(account)
            for t in txns:
                assert t["net"] == t["amount"] - t["fee"], t
                assert t["fee"] == sum(d["amount"] for d in t["fee_details"]), t
                assert t["status"] == ("available" if t["available_on"] <= now else "pending")
            assert balance["available"] == sum(
                t["net"] for t in txns if t["status"] == "available"
            ), (account, self.steps)
            assert balance["available"] + balance["pending"] == sum(t["net"] for t in txns), (
                account,
                self.steps,
            )
            nets += sum(t["net"] for t in txns)
            stripe_fees += sum(
                d["amount"] for t in txns for d in t["fee_details"] if d["type"] == "stripe_fee"
            )
        charges = list(self.client.v1.charges.list({"limit": 100}).auto_paging_iter())
        # what was captured, in the usd it settled in (eur at its charge's exchange_rate)
        captured = sum(_settled(c.amount_captured, self._rate(c)) for c in charges if c.captured)
        refunds = self.client.v1.refunds.list({"limit": 100}).auto_paging_iter()
        refunded = 0
        for r in refunds:  # a waiting refund has moved no money yet
            assert (r.balance_transaction is None) == (r.status == "pending"), r.id
            if r.status == "succeeded":
                txn = self.client.v1.balance_transactions.retrieve(r.balance_transaction)
                assert txn.currency == "usd" and txn.fee == 0
                refunded -= txn.amount
        # a chargeback takes back what the charge captured, in its settled usd; a win
        # gives the same back (the fee stays with Stripe)
        by_id = {c.id: c for c in charges}
        charged_back = 0
        for d in self.client.v1.disputes.list({"limit": 100}).auto_paging_iter():
            charge = by_id[d.charge]
            assert (d.amount, d.currency) == (charge.amount_captured, charge.currency), d.id
            settled = _settled(d.amount, self._rate(charge))
            moved = [t.amount for t in d.balance_transactions]
            assert moved == ([-settled, settled] if d.status == "won" else [-settled]), d.id
            charged_back += -sum(moved)
        paid_out = sum(
            p.amount
            for account in [None, *self.accounts]
            for p in self.client.v1.payouts.list(
                {"limit": 100}, options={"stripe_account": account} if account else {}
            ).auto_paging_iter()
            if p.status not in ("failed", "canceled")
        )
        assert nets + stripe_fees == captured - refunded - charged_back - paid_out, self.steps


def _settled(amount: int, rate: Decimal | None) -> int:
    """``amount`` (minor units, two decimals) in usd at ``rate``, rounded half up."""
    if rate is None:
        return amount
    return int((Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(ops, min_size=1, max_size=10))
def test_money_is_conserved(app: Emulator, steps: list[tuple[Any, ...]]) -> None:
    world = World(wsgi_client(app, f"sk_test_ledgerprop{next(_platforms):08d}"))
    for op in steps:
        world.run(op)
        world.check()


def test_the_invariants_hold_for_the_worked_example(app: Emulator) -> None:
    """A fixed run, so a broken invariant also shows up without Hypothesis's search."""
    world = World(wsgi_client(app, "sk_test_ledgerpropfixed0001"))
    for op in [
        ("destination", 1000, "fee", 0.123, "pm_card_visa", False, 0.0, 0),
        ("charge", 2000, "pm_card_bypassPending", False, 0.0),
        ("transfer", 0, 0.5, 0),
        ("payout_funds", 500, 0),
        ("advance", 8, 0),
        ("destination", 5000, "transfer", 0.9, "pm_card_visa", True, 0.5, 0),
    ]:
        world.run(op)
        world.check()
    assert world.totals(None)["available"] == 64 + 1912 - 1000 - 500


def test_the_invariants_hold_when_the_new_rules_meet(app: Emulator) -> None:
    """A fixed run through the places two rules meet: a partial capture of a converted
    destination charge refunded with both flags (waiting, then paid), async captures of the
    dispute card in eur and of a partial capture, evidence won and lost, an instant payout
    beside a waiting refund, and the clock."""
    world = World(wsgi_client(app, "sk_test_ledgerpropfixed0002"))
    for op in [
        ("destination", 10000, "fee", 0.123, "pm_card_visa", True, 0.6, 0, "eur"),
        ("refund", 0, 0.5, True, True),  # waits: nothing is available yet
        ("charge", 3000, "pm_card_createDispute", False, 0.0, "eur"),
        ("destination", 1000, "fee", 0.123, "pm_card_createDispute", True, 0.4, 0),
        ("evidence", 0, True),
        ("instant_payout", 1000, 0),
        ("advance", 8, 0),
        ("refund", 0, 1.0, True, True),
        ("evidence", 0, False),
        ("advance", 1, 0),
    ]:
        world.run(op)
        world.check()
    disputes = world.client.v1.disputes.list({"limit": 10}).data
    # the partial capture took 123 + int(877 * 0.4) = 473 of 1000: its dispute is for 473
    assert sorted((d.amount, d.currency, d.status) for d in disputes) == [
        (473, "usd", "won"), (3000, "eur", "lost")]
    # the first refund waited, and was paid when the second one's reversal landed; the
    # second waits behind it (captured 1230 + int(8770 * 0.6) = 6492 eur, refunded in halves)
    refunds = world.client.v1.refunds.list({"limit": 10}).data  # newest first
    assert [(r.amount, r.currency, r.status) for r in refunds] == [
        (3246, "eur", "pending"), (3246, "eur", "succeeded")]
