"""Issue 13 item 5: does one platform's long clock advance freeze the other platforms?

One platform gets 150 connected accounts, each with two destination charges (so every day
of settling has work: funds maturing, automatic payouts, their progress), then advances its
clock ten years (the most ``/_emulator/clock/advance`` accepts) while another platform loops
``GET /v1/balance`` and ``POST /v1/payment_intents``. Prints the other platform's latency
(median, p99, worst) before and during the advance, and how long the advance took.

    PYTHONPATH=. .venv/bin/python bench/clock_freeze.py [--accounts 150] [--years 10]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import stripe

from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer


def client_for(server: BackgroundServer, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": server.url, "connect": server.url},
                               max_network_retries=0,
                               http_client=stripe.RequestsClient(timeout=600))


def populate(busy: stripe.StripeClient, accounts: int) -> None:
    for i in range(accounts):
        account = busy.v1.accounts.create({
            "type": "express", "country": "US",
            "capabilities": {"card_payments": {"requested": True},
                             "transfers": {"requested": True}}})
        busy.raw_request("post", f"/_emulator/accounts/{account.id}/complete_onboarding")
        for amount in (1000 + i, 2500 + i):
            busy.v1.payment_intents.create({
                "amount": amount, "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": True, "transfer_data": {"destination": account.id},
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})


def other_tenant_calls(other: stripe.StripeClient, stop: threading.Event,
                       samples: list[float]) -> None:
    while not stop.is_set():
        for call in (lambda: other.v1.balance.retrieve(),
                     lambda: other.v1.payment_intents.create({"amount": 500,
                                                              "currency": "usd"})):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{len(ordered)} calls, median {statistics.median(ordered) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, worst {ordered[-1] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=150)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    emulator = Emulator(settings=Settings(frozen_clock=True))
    with BackgroundServer(emulator) as server:
        busy = client_for(server, "sk_test_clockfreezebusy0001")
        other = client_for(server, "sk_test_clockfreezeother001")
        started = time.perf_counter()
        populate(busy, args.accounts)
        print(f"set-up: {args.accounts} accounts in {time.perf_counter() - started:.1f} s")

        quiet: list[float] = []
        stop = threading.Event()
        worker = threading.Thread(target=other_tenant_calls, args=(other, stop, quiet))
        worker.start()
        time.sleep(3)
        stop.set()
        worker.join()
        print(f"other platform, idle room:      {summary(quiet)}")

        during: list[float] = []
        stop = threading.Event()
        worker = threading.Thread(target=other_tenant_calls, args=(other, stop, during))
        worker.start()
        started = time.perf_counter()
        result: dict[str, Any] = busy.raw_request(
            "post", "/_emulator/clock/advance", seconds=args.years * 366 * 86400).body
        took = time.perf_counter() - started
        stop.set()
        worker.join()
        print(f"advance of {args.years} years: {took:.1f} s ({len(str(result))} bytes back)")
        print(f"other platform, during advance: {summary(during)}")
    emulator.close()


if __name__ == "__main__":
    main()
