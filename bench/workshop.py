"""A simulated workshop: N learners, each with their own key, on one standalone emulator.

Every learner onboards a homeowner, takes destination charges, refunds one, and receives
webhooks on its own receiver, all against one emulator process with a file database, on
loopback only. The run is bounded in count and time. It reports throughput, p50/p99
latency, errors, and cross-learner leaks (a learner seeing or reaching another's objects).
Used by ``make bench`` (30 learners) and, in reduced form, by the test suite.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stripe
from werkzeug.wrappers import Request, Response

from harness.lab import emulator_controls
from harness.lab.server import BackgroundServer
from harness.lab.standalone import start_emulator

RETURN_URL = "https://example.com/return"


@dataclass
class LearnerResult:
    key: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    own_ids: set[str] = field(default_factory=set)
    webhooks: int = 0


@dataclass
class WorkshopReport:
    learners: int
    calls: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: list[str]
    leaks: list[str]
    webhooks_expected: int
    webhooks_received: int

    @property
    def throughput(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def text(self) -> str:
        return (
            f"{self.learners} learners, {self.calls} API calls in {self.seconds:.1f} s "
            f"({self.throughput:.0f} calls/s); latency p50 {self.p50_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms; errors {len(self.errors)}; cross-learner leaks "
            f"{len(self.leaks)}; webhooks {self.webhooks_received}/{self.webhooks_expected}"
        )


def _timed(result: LearnerResult, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return fn()
    except stripe.StripeError as exc:
        result.errors.append(f"{result.key}: {type(exc).__name__}: {exc.user_message}")
        return None
    finally:
        result.latencies.append((time.perf_counter() - started) * 1000)


def learner(api_base: str, key: str, bookings: int, receiver_url: str,
            deadline: float) -> LearnerResult:
    """One learner's session, as a notebook would run it."""
    result = LearnerResult(key)
    client = stripe.StripeClient(key, base_addresses={"api": api_base}, max_network_retries=2)
    endpoint = _timed(result, lambda: client.v1.webhook_endpoints.create(
        {"url": receiver_url, "enabled_events": ["payment_intent.succeeded"]}))
    account = _timed(result, lambda: client.v1.accounts.create({
        "type": "express", "capabilities": {"transfers": {"requested": True},
                                            "card_payments": {"requested": True}}}))
    if account is None or endpoint is None:
        return result
    result.own_ids.add(account.id)
    _timed(result, lambda: emulator_controls.call(
        api_base, key, f"/_emulator/accounts/{account.id}/complete_onboarding", {}))
    for i in range(bookings):
        if time.monotonic() > deadline:
            result.errors.append(f"{key}: out of time after {i} bookings")
            break
        pi = _timed(result, lambda i=i: client.v1.payment_intents.create({
            "amount": 1000 + i, "currency": "usd", "application_fee_amount": 123,
            "transfer_data": {"destination": account.id}, "payment_method": "pm_card_visa",
            "confirm": True, "return_url": RETURN_URL}))
        if pi is None:
            continue
        result.own_ids.add(pi.id)
        if i == 0:
            _timed(result, lambda pi=pi: client.v1.refunds.create(
                {"payment_intent": pi.id, "amount": 500, "reverse_transfer": True}))
    listed = _timed(result, lambda: client.v1.payment_intents.list({"limit": 100}))
    if listed is not None:
        for pi in listed.data:
            if pi.id not in result.own_ids:
                result.errors.append(f"{key}: LEAK listed {pi.id}")
    return result


def run(learners: int = 30, bookings: int = 10, max_seconds: float = 120.0) -> WorkshopReport:
    """Run a workshop of ``learners`` on one standalone emulator; bounded by ``max_seconds``."""
    received: list[str] = []
    lock = threading.Lock()

    def receiver(environ: dict, start_response: Any) -> Any:
        body = Request(environ).get_data(as_text=True)
        with lock:
            received.append(body)
        return Response("ok")(environ, start_response)

    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(receiver) as hook:
        process, api_base = start_emulator(Path(tmp) / "workshop.sqlite3")
        try:
            results: list[LearnerResult] = [LearnerResult("")] * learners
            deadline = time.monotonic() + max_seconds
            started = time.perf_counter()

            def go(i: int) -> None:
                results[i] = learner(api_base, f"sk_test_workshop_learner_{i:03d}", bookings,
                                     hook.url_for(f"/learner/{i}"), deadline)

            threads = [threading.Thread(target=go, args=(i,)) for i in range(learners)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=max_seconds + 30)
            seconds = time.perf_counter() - started
            leaks = _probe_leaks(api_base, results)
            expected = sum(1 for r in results for i in r.own_ids if i.startswith("pi_"))
            wait_until = time.monotonic() + 20
            while len(received) < expected and time.monotonic() < wait_until:
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=10)
    latencies = sorted(x for r in results for x in r.latencies)
    errors = [e for r in results for e in r.errors if "LEAK" not in e]
    leaks += [e for r in results for e in r.errors if "LEAK" in e]
    return WorkshopReport(
        learners=learners, calls=len(latencies), seconds=seconds,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
        errors=errors, leaks=leaks, webhooks_expected=expected,
        webhooks_received=len(received),
    )


def _probe_leaks(api_base: str, results: list[LearnerResult]) -> list[str]:
    """Each learner tries to read its neighbour's PaymentIntent and act as its account."""
    leaks = []
    for i, result in enumerate(results):
        other = results[(i + 1) % len(results)]
        if other is result:
            continue
        client = stripe.StripeClient(result.key, base_addresses={"api": api_base},
                                     max_network_retries=0)
        for object_id in sorted(other.own_ids)[:2]:
            try:
                if object_id.startswith("pi_"):
                    client.v1.payment_intents.retrieve(object_id)
                else:
                    client.v1.balance.retrieve(options={"stripe_account": object_id})
                leaks.append(f"{result.key} reached {object_id}")
            except (stripe.InvalidRequestError, stripe.PermissionError):
                pass
    return leaks


if __name__ == "__main__":
    learners = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    print(run(learners=learners).text())
