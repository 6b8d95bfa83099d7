"""Issue 13 item 10: races, the way a double-clicking customer or a retrying client makes them.

Against the real threaded server, N threads wait at a Barrier and then send the same money
request at once: confirm one PaymentIntent, capture one authorization, refund one charge in
full, transfers and payouts that together exceed the balance, the same request under one
Idempotency-Key, and payouts while the clock advances day by day. After each storm:
- the answers: exactly as many successes as fit, Stripe's error code for every other one;
- the objects and events: exactly one per success;
- the ledger (fidelity rule 7, helpers from test_ledger): each balance equals the
  sum of its balance transactions, money is conserved across the platform and its accounts,
  and no available balance went below zero where Stripe refuses to let it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import stripe

from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .support import Raw, onboarded_account, raw
from .test_ledger import World

N = 12  # parallel duplicates per storm
VISA = "pm_card_visa"
AVAILABLE_AT_ONCE = "pm_card_bypassPending"  # its funds are available immediately
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"}}


def storm(n: int, send: Callable[[int], Raw]) -> list[Raw]:
    """``send(i)`` from n threads released together by a Barrier; every answer, in order."""
    barrier = threading.Barrier(n)
    answers: list[Raw | None] = [None] * n
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            answers[i] = send(i)
        except BaseException as exc:  # noqa: BLE001 - reported below, never swallowed
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def tally(answers: list[Raw]) -> tuple[list[Raw], list[str]]:
    """(successes, the error code of every other answer); never a 5xx."""
    assert all(a.status < 500 for a in answers), [a.body for a in answers]
    ok = [a for a in answers if a.status == 200]
    codes = sorted(a.error.get("code") or a.error["type"] for a in answers if a.status != 200)
    return ok, codes


class Room:
    """One platform of a race: raw HTTP for the storm, the SDK for set-up and checks."""

    def __init__(self, server: BackgroundServer, key: str) -> None:
        self.server, self.key = server, key
        self.client = make_client(server, key)
        self.accounts: list[str] = []

    def post(self, path: str, params: dict[str, Any], *, account: str | None = None,
             idempotency_key: str | None = None) -> Raw:
        headers = {}
        if account:
            headers["Stripe-Account"] = account
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return raw(self.server, "POST", path, key=self.key, params=params, headers=headers)

    def account(self) -> str:
        self.accounts.append(onboarded_account(self.server, self.client, self.key))
        return self.accounts[-1]

    def paid(self, amount: int, card: str = VISA, **extra: Any) -> stripe.PaymentIntent:
        return self.client.v1.payment_intents.create({
            "amount": amount, "currency": "usd", "payment_method": card, "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            **extra})

    def events(self, event_type: str, object_id: str | None = None,
               account: str | None = None) -> int:
        options: dict[str, Any] = {"stripe_account": account} if account else {}
        listed = self.client.v1.events.list({"type": event_type, "limit": 100}, options)
        return sum(1 for e in listed.auto_paging_iter()
                   if object_id is None or e.data.object["id"] == object_id)

    def available(self, account: str | None = None) -> int:
        return World(self.client).totals(account)["available"]

    def check_ledger(self, *never_negative: str | None) -> None:
        """Each balance = its transactions; conservation over platform + accounts; and the
        available balance of each of ``never_negative`` (``None``: the platform) not below
        zero. Only those: Stripe lets fees and refunds take an available balance negative,
        but never a transfer or a payout (balance_insufficient)."""
        World(self.client, accounts=list(self.accounts)).check()
        for account in never_negative:
            assert self.available(account) >= 0, account


def test_confirming_one_payment_intent_twelve_times_charges_once(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    pi = room.client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": VISA,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    answers = storm(N, lambda i: room.post(f"/v1/payment_intents/{pi.id}/confirm", {}))
    ok, codes = tally(answers)
    assert [a.body["status"] for a in ok] == ["succeeded"]
    assert codes == ["payment_intent_unexpected_state"] * (N - 1)
    charges = room.client.v1.charges.list({"payment_intent": pi.id}).data
    assert [(c.amount, c.status) for c in charges] == [(1000, "succeeded")]
    assert room.events("payment_intent.succeeded", pi.id) == 1
    assert room.events("charge.succeeded", charges[0].id) == 1
    room.check_ledger()


def test_capturing_one_authorization_twelve_times_captures_once(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    pi = room.paid(1500, capture_method="manual")
    assert pi.status == "requires_capture"
    answers = storm(N, lambda i: room.post(f"/v1/payment_intents/{pi.id}/capture", {}))
    ok, codes = tally(answers)
    assert [(a.body["status"], a.body["amount_received"]) for a in ok] == [("succeeded", 1500)]
    assert codes == ["payment_intent_unexpected_state"] * (N - 1)
    charge = room.client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.captured, charge.amount_captured) == (True, 1500)
    assert room.events("charge.captured", charge.id) == 1
    assert room.events("payment_intent.succeeded", pi.id) == 1
    txns = room.client.v1.balance_transactions.list({"source": charge.id}).data
    assert [(t.type, t.amount) for t in txns] == [("charge", 1500)]
    room.check_ledger()


def test_refunding_one_charge_in_full_twelve_times_refunds_once(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    charge_id = room.paid(2000).latest_charge
    answers = storm(N, lambda i: room.post("/v1/refunds", {"charge": charge_id,
                                                           "amount": "2000"}))
    ok, codes = tally(answers)
    # the charge's funds are not available yet, so the one refund waits for them
    # (https://docs.stripe.com/refunds)
    assert [(a.body["amount"], a.body["status"]) for a in ok] == [(2000, "pending")]
    assert codes == ["charge_already_refunded"] * (N - 1)
    refunds = room.client.v1.refunds.list({"charge": charge_id}).data
    assert [r.id for r in refunds] == [ok[0].body["id"]]
    charge = room.client.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (2000, True)
    assert room.events("refund.created") == 1
    assert room.events("charge.refunded", charge_id) == 1
    room.check_ledger()


def test_transfers_that_together_exceed_the_balance_only_the_ones_that_fit_succeed(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    account = room.account()
    room.paid(10_000, AVAILABLE_AT_ONCE)
    funds = room.available()
    assert funds == 10_000 - 320  # 2.9% + 30c
    answers = storm(N, lambda i: room.post("/v1/transfers", {
        "amount": "1000", "currency": "usd", "destination": account}))
    ok, codes = tally(answers)
    fit = funds // 1000
    assert len(ok) == fit == 9
    assert codes == ["balance_insufficient"] * (N - fit)
    transfers = room.client.v1.transfers.list({"destination": account, "limit": 100}).data
    assert sorted(t.id for t in transfers) == sorted(a.body["id"] for a in ok)
    assert room.available() == funds - 1000 * fit
    assert room.available(account) == 1000 * fit
    assert room.events("transfer.created") == fit
    room.check_ledger(None, account)


def test_payouts_that_together_exceed_the_available_balance_only_the_ones_that_fit_succeed(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    account = room.account()
    room.paid(8_500, AVAILABLE_AT_ONCE, transfer_data={"destination": account})
    assert room.available(account) == 8_500
    answers = storm(N, lambda i: room.post("/v1/payouts", {"amount": "1000",
                                                           "currency": "usd"}, account=account))
    ok, codes = tally(answers)
    assert len(ok) == 8
    assert codes == ["balance_insufficient"] * (N - 8)
    payouts = room.client.v1.payouts.list(options={"stripe_account": account}).data
    assert sorted(p.id for p in payouts) == sorted(a.body["id"] for a in ok)
    assert room.available(account) == 500
    assert room.events("payout.created", account=account) == 8
    room.check_ledger(account)


def test_one_idempotency_key_sent_twelve_times_executes_once(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    params = {"amount": "3000", "currency": "usd", "payment_method": VISA, "confirm": "true",
              **{f"automatic_payment_methods[{k}]": v
                 for k, v in NO_REDIRECTS["automatic_payment_methods"].items()}}
    answers = storm(N, lambda i: room.post("/v1/payment_intents", params,
                                           idempotency_key="race-pi-0001"))
    ok, codes = tally(answers)
    assert set(codes) <= {"idempotency_key_in_use"}  # 409 while the first one ran
    assert len(ok) >= 1 and len({a.body["id"] for a in ok}) == 1
    assert sum(1 for a in ok if a.headers.get("Idempotent-Replayed") != "true") == 1
    pis = room.client.v1.payment_intents.list({"limit": 100}).data
    assert [(p.id, p.status) for p in pis] == [(ok[0].body["id"], "succeeded")]
    assert len(room.client.v1.charges.list({"limit": 100}).data) == 1
    assert room.events("payment_intent.succeeded") == 1
    room.check_ledger()


def test_one_idempotency_key_on_a_transfer_moves_money_once(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    room = Room(emulator_server, api_key)
    account = room.account()
    room.paid(5_000, AVAILABLE_AT_ONCE)
    funds = room.available()
    answers = storm(N, lambda i: room.post("/v1/transfers", {
        "amount": "1000", "currency": "usd", "destination": account},
        idempotency_key="race-transfer-0001"))
    ok, codes = tally(answers)
    assert set(codes) <= {"idempotency_key_in_use"}
    assert len({a.body["id"] for a in ok}) == 1
    assert len(room.client.v1.transfers.list({"limit": 100}).data) == 1
    assert (room.available(), room.available(account)) == (funds - 1000, 1000)
    room.check_ledger(None, account)


def test_payouts_racing_the_clock_never_pay_out_more_than_there_is(
    emulator_server: BackgroundServer, api_key: str,
) -> None:
    """The clock advance commits day by day, so manual payouts interleave with each day's
    automatic payout (which sweeps the available balance at midnight): together they pay
    out exactly the account's funds, never more."""
    room = Room(emulator_server, api_key)
    account = room.account()
    room.paid(9_000, AVAILABLE_AT_ONCE, transfer_data={"destination": account})

    def send(i: int) -> Raw:
        if i == 0:
            return room.post("/_emulator/clock/advance", {"seconds": str(3 * 86400)})
        return room.post("/v1/payouts", {"amount": "1000", "currency": "usd"},
                         account=account)

    answers = storm(N, send)
    assert answers[0].status == 200
    ok, codes = tally(answers[1:])
    assert set(codes) <= {"balance_insufficient"}
    payouts = list(room.client.v1.payouts.list(
        {"limit": 100}, options={"stripe_account": account}).auto_paging_iter())
    manual = [p for p in payouts if not p.automatic]
    assert sorted(p.id for p in manual) == sorted(a.body["id"] for a in ok)
    assert sum(p.amount for p in payouts if p.status != "failed") == 9_000
    assert room.available(account) == 0
    room.check_ledger(account)
