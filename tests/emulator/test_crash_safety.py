"""Kill the standalone emulator with SIGKILL under load; after a restart on the same file
database, every success a client saw is still there, the ledger balances, and pending
webhook deliveries resume."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from werkzeug.wrappers import Request, Response

from harness.server import BackgroundServer
from harness.workshop import start_emulator

KEY = "sk_test_crash_safety_platform"


@pytest.fixture
def receiver() -> Iterator[tuple[BackgroundServer, list[str], threading.Event]]:
    """A webhook receiver that can be switched from failing (503) to accepting."""
    seen: list[str] = []
    accept = threading.Event()

    def app(environ, start_response):
        body = Request(environ).get_data(as_text=True)
        if not accept.is_set():
            return Response("down", status=503)(environ, start_response)
        seen.append(body)
        return Response("ok")(environ, start_response)

    with BackgroundServer(app) as server:
        yield server, seen, accept


def test_sigkill_under_load_loses_nothing_that_succeeded(tmp_path: Path, receiver) -> None:
    hook, seen, accept = receiver
    db = tmp_path / "emulator.sqlite3"
    process, api_base = start_emulator(db)
    port = int(api_base.rsplit(":", 1)[1])
    client = stripe.StripeClient(KEY, base_addresses={"api": f"http://127.0.0.1:{port}"},
                                 max_network_retries=0)
    client.v1.webhook_endpoints.create({"url": hook.url_for("/hook"),
                                        "enabled_events": ["payment_intent.succeeded"]})
    succeeded: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set() and len(succeeded) < 400:
            try:
                pi = client.v1.payment_intents.create({
                    "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
                    "confirm": True, "return_url": "https://example.com/return"})
            except stripe.StripeError:
                return  # the server died mid-request: that request never succeeded
            succeeded.append(pi.id)

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while len(succeeded) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    stop.set()
    for worker in workers:
        worker.join(timeout=10)
    assert len(succeeded) >= 40

    accept.set()  # the receiver is back: queued deliveries must now arrive
    process, _ = start_emulator(db, port)
    try:
        for pi_id in succeeded:
            pi = client.v1.payment_intents.retrieve(pi_id)
            assert pi.status == "succeeded" and pi.amount_received == 1000
        txns = list(client.v1.balance_transactions.list({"limit": 100}).auto_paging_iter())
        charges = [t for t in txns if t.type == "charge"]
        assert len(charges) >= len(succeeded)  # a killed request may have committed
        assert all((t.amount, t.fee, t.net) == (1000, 59, 941) for t in charges)
        balance = client.v1.balance.retrieve()
        derived = balance.available[0].amount + balance.pending[0].amount
        assert derived == sum(t.net for t in txns) == 941 * len(charges)
        # deliveries that failed before the crash retry on their backoff (one hour later)
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/_emulator/clock/advance", data=b"seconds=3700",
            headers={"Authorization": f"Bearer {KEY}"}))
        deadline = time.monotonic() + 20
        while len(seen) < len(succeeded) and time.monotonic() < deadline:
            time.sleep(0.1)
        delivered = {json.loads(body)["data"]["object"]["id"] for body in seen}
        assert set(succeeded) <= delivered
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
