"""The webhook queue in a shared room: one learner's dead endpoint, with 200 deliveries
waiting for their retry, must not delay anyone else's webhooks (the queue used to take the 50
oldest pending rows and only then look at which were due, so nothing newer went out)."""

from __future__ import annotations

import http.server
import threading
import time
from typing import Any

from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import fresh_secret_key

DEAD = "http://127.0.0.1:9/hook"  # nothing listens: every attempt is refused


class _Receiver(http.server.BaseHTTPRequestHandler):
    got: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.got.append(time.monotonic())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _pending(emulator: Any, endpoint: str) -> list[Any]:
    return emulator.store.execute(
        "SELECT attempts FROM webhook_deliveries WHERE endpoint=? AND status='pending'",
        (endpoint,)).fetchall()


def test_a_dead_endpoint_with_200_waiting_retries_delays_only_itself(
        emulator_server: BackgroundServer) -> None:
    emulator = emulator_server.emulator  # type: ignore[attr-defined]
    learner = make_client(emulator_server, fresh_secret_key())
    dead = learner.v1.webhook_endpoints.create({"url": DEAD,
                                                "enabled_events": ["customer.created"]})
    for n in range(200):
        learner.v1.customers.create({"name": f"renter {n}"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
            row["attempts"] == 0 for row in _pending(emulator, dead.id)):
        time.sleep(0.1)
    waiting = _pending(emulator, dead.id)
    assert len(waiting) == 200 and {row["attempts"] for row in waiting} == {1}  # retry in 1 h

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Receiver.got = []
        other = make_client(emulator_server, fresh_secret_key())
        other.v1.webhook_endpoints.create({
            "url": f"http://127.0.0.1:{server.server_port}/hook",
            "enabled_events": ["customer.created"]})
        sent = time.monotonic()
        other.v1.customers.create({"name": "someone else's renter"})
        while not _Receiver.got and time.monotonic() < sent + 15:
            time.sleep(0.05)
    finally:
        server.shutdown()
    assert _Receiver.got, "the healthy endpoint got nothing while the dead one waited"
    assert _Receiver.got[0] - sent < 5
    assert len(_pending(emulator, dead.id)) == 200  # the dead one's retries still wait


def test_a_hanging_endpoint_does_not_hold_up_another(emulator_server: BackgroundServer) -> None:
    """An endpoint that accepts and never answers costs its own poster the 10 s timeout;
    another platform's delivery goes out meanwhile."""
    import socket

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(50)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow = make_client(emulator_server, fresh_secret_key())
        slow.v1.webhook_endpoints.create({
            "url": f"http://127.0.0.1:{hang.getsockname()[1]}/hook",
            "enabled_events": ["customer.created"]})
        for n in range(3):
            slow.v1.customers.create({"name": f"slow {n}"})
        time.sleep(0.3)  # the slow endpoint's poster is now waiting on its first POST
        _Receiver.got = []
        other = make_client(emulator_server, fresh_secret_key())
        other.v1.webhook_endpoints.create({
            "url": f"http://127.0.0.1:{server.server_port}/hook",
            "enabled_events": ["customer.created"]})
        sent = time.monotonic()
        other.v1.customers.create({"name": "fast"})
        while not _Receiver.got and time.monotonic() < sent + 15:
            time.sleep(0.05)
        assert _Receiver.got and _Receiver.got[0] - sent < 5
    finally:
        server.shutdown()
        hang.close()
