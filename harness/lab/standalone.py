"""A standalone emulator in its own process: ``python -m harness emulator`` on a file
database and a loopback port, as a trainer runs it for a room (and as the load test and the
crash-safety tests restart it)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["start_emulator"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator(db: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """``python -m harness emulator`` on a file database and a loopback port (a free one
    unless given: a restart reuses the old one so clients keep their URL)."""
    port = port or _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the standalone emulator did not start")
