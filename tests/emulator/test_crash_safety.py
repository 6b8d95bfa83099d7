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

from harness.lab.server import BackgroundServer
from harness.lab.standalone import start_emulator

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


def _post(api_base: str, path: str, params: dict[str, str], idem_key: str) -> dict | None:
    """One POST with no retry of its own: the body, or None when the server died on it."""
    import http.client
    import urllib.error
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(
        api_base + path, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": idem_key})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, **json.loads(exc.read() or b"{}")}
    except (OSError, http.client.HTTPException):  # refused, reset or cut short: the kill
        return None


def test_kill_9_then_retry_with_the_same_key_executes_each_key_once(tmp_path: Path) -> None:
    """Eight SIGKILLs under four clients' load; then every key is retried with the same
    parameters. Each key must have made exactly one PaymentIntent (and one charge): the
    response record commits with the request's own work, or neither does."""
    db = tmp_path / "emulator.sqlite3"
    process, api_base = start_emulator(db)
    port = int(api_base.rsplit(":", 1)[1])
    attempted: list[str] = []
    lock = threading.Lock()
    kills = 0

    def params(key: str) -> dict[str, str]:
        return {"amount": "1000", "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": "true", "return_url": "https://example.com/return",
                "metadata[idem]": key}

    def load(worker: int, round_: int) -> None:
        for n in range(10_000):
            key = f"k-{round_}-{worker}-{n}"
            with lock:
                attempted.append(key)
            if _post(api_base, "/v1/payment_intents", params(key), key) is None:
                return

    try:
        for round_ in range(8):
            workers = [threading.Thread(target=load, args=(w, round_)) for w in range(4)]
            for worker in workers:
                worker.start()
            time.sleep(0.4)  # the load is running: kill it in the middle of requests
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            kills += 1
            for worker in workers:
                worker.join(timeout=15)
            process, _ = start_emulator(db, port)

        answers = {key: _post(api_base, "/v1/payment_intents", params(key), key)
                   for key in attempted}
        assert all(a is not None and a.get("object") == "payment_intent"
                   for a in answers.values()), [a for a in answers.values()
                                                if not a or "error" in a][:3]
        client = stripe.StripeClient(KEY, base_addresses={"api": api_base},
                                     max_network_retries=0)
        made: dict[str, list[str]] = {}
        for pi in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter():
            made.setdefault(pi.metadata["idem"], []).append(pi.id)
        doubles = {k: v for k, v in made.items() if len(v) > 1}
        assert kills == 8 and len(attempted) > 8 * 4
        assert not doubles, f"{len(doubles)} keys executed twice: {list(doubles)[:5]}"
        assert set(made) == set(attempted)
        assert all(made[key] == [answers[key]["id"]] for key in attempted)
        txns = list(client.v1.balance_transactions.list({"limit": 100}).auto_paging_iter())
        assert sum(1 for t in txns if t.type == "charge") == len(attempted)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_a_decline_commits_its_charge_and_events_in_one_transaction() -> None:
    """The failed charge, ``charge.failed`` and ``payment_intent.payment_failed`` land in
    one COMMIT, together with the key's saved answer: a crash between two commits could
    otherwise keep a charge whose events never exist."""
    from werkzeug.test import Client

    from harness.emulator import Emulator

    emulator = Emulator()
    client = Client(emulator)
    auth = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "decline-1"}
    client.get("/v1/balance", headers=auth)  # the platform exists before we count
    statements: list[str] = []
    emulator.store.conn.set_trace_callback(statements.append)
    response = client.post("/v1/payment_intents", headers=auth, data={
        "amount": "1000", "currency": "usd", "payment_method": "pm_card_chargeDeclined",
        "confirm": "true", "return_url": "https://example.com/return"})
    emulator.store.conn.set_trace_callback(None)
    assert response.status_code == 402
    commits = [s for s in statements if s.strip().upper() in ("COMMIT", "BEGIN IMMEDIATE")]
    assert commits == ["BEGIN IMMEDIATE", "COMMIT"], commits
    events = json.loads(client.get("/v1/events", headers=auth).get_data(as_text=True))
    assert {"charge.failed", "payment_intent.payment_failed"} <= {
        e["type"] for e in events["data"]}
    replay = client.post("/v1/payment_intents", headers=auth, data={
        "amount": "1000", "currency": "usd", "payment_method": "pm_card_chargeDeclined",
        "confirm": "true", "return_url": "https://example.com/return"})
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (402, "true")


def _post_json(api_base: str, path: str, body: dict, idem_key: str) -> dict | None:
    """One API v2 POST (a JSON body), no retry of its own; None when the server died on it."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        api_base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": idem_key,
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, **json.loads(exc.read() or b"{}")}
    except (OSError, http.client.HTTPException):
        return None


def test_kill_9_then_a_v2_retry_with_the_same_key_executes_each_key_once(
        tmp_path: Path) -> None:
    """API v2 keys keep only successes (a failed request's retry runs again), so the
    exactly-once rule rests on the saved success committing with the account it made: after
    SIGKILLs under load, retrying every key makes no second account."""
    db = tmp_path / "emulator.sqlite3"
    process, api_base = start_emulator(db)
    port = int(api_base.rsplit(":", 1)[1])
    attempted: list[str] = []
    lock = threading.Lock()

    def body(key: str) -> dict:
        return {"display_name": "Host", "metadata": {"idem": key},
                "configuration": {"recipient": {"capabilities": {"stripe_balance": {
                    "stripe_transfers": {"requested": True}}}}}}

    def load(worker: int, round_: int) -> None:
        for n in range(10_000):
            key = f"v2-{round_}-{worker}-{n}"
            with lock:
                attempted.append(key)
            if _post_json(api_base, "/v2/core/accounts", body(key), key) is None:
                return

    try:
        for round_ in range(3):
            workers = [threading.Thread(target=load, args=(w, round_)) for w in range(3)]
            for worker in workers:
                worker.start()
            time.sleep(0.4)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            for worker in workers:
                worker.join(timeout=15)
            process, _ = start_emulator(db, port)
        answers = {key: _post_json(api_base, "/v2/core/accounts", body(key), key)
                   for key in attempted}
        assert all(a is not None and a.get("object") == "v2.core.account"
                   for a in answers.values())
        client = stripe.StripeClient(KEY, base_addresses={"api": api_base},
                                     max_network_retries=0)
        made: dict[str, list[str]] = {}
        for account in client.v2.core.accounts.list({"limit": 100}).auto_paging_iter():
            made.setdefault(account.metadata["idem"], []).append(account.id)
        assert len(attempted) > 3 * 3
        assert {k: v for k, v in made.items() if len(v) > 1} == {}
        assert set(made) == set(attempted)
        assert all(made[key] == [answers[key]["id"]] for key in attempted)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
