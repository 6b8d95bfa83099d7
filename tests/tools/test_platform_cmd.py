"""The README's Stripe CLI recipe, run as written: a standalone emulator, the whsec_ from
`stripe listen --print-secret`, `python -m harness platform` verifying with it, `stripe listen
--forward-to` its /webhook, and `stripe trigger`: the platform answers 200 to a signed event."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.lab import stripe_cli
from harness.lab.standalone import start_emulator

ROOT = Path(__file__).resolve().parents[2]
CLI = stripe_cli.find_binary()
KEY = "sk_test_readme_recipe_platform"
ENV = {**os.environ, "STRIPE_CLI_TELEMETRY_OPTOUT": "1", "PYTHONPATH": str(ROOT)}


def _line(process: subprocess.Popen, pattern: str, timeout: float = 60) -> re.Match:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r} in {seen!r}")


@pytest.mark.skipif(CLI is None, reason="the Stripe CLI is not installed (make system)")
def test_the_readme_cli_recipe_delivers_a_signed_event_to_the_platform(tmp_path: Path) -> None:
    emulator, api_base = start_emulator(tmp_path / "room.sqlite3")
    procs: list[subprocess.Popen] = []
    try:
        cli = [str(CLI), "--api-key", KEY]
        secret = subprocess.run([str(CLI), "listen", "--print-secret", "--skip-update",
                                 "--api-base", api_base, "--api-key", KEY], env=ENV,
                                capture_output=True, text=True, timeout=60).stdout.strip()
        assert secret.startswith("whsec_")
        platform = subprocess.Popen(
            [sys.executable, "-m", "harness", "platform", "--api-base", api_base, "--api-key",
             KEY, "--port", "0", "--webhook-secret", secret], env=ENV, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(platform)
        url = _line(platform, r"the platform app\) on (http://127\.0\.0\.1:\d+)").group(1)
        listen = subprocess.Popen(
            [*cli, "listen", "--skip-update", "--api-base", api_base, "--no-wss", "--events",
             "payment_intent.succeeded", "--forward-to", f"{url}/webhook"], env=ENV,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(listen)
        _line(listen, r"Ready!")
        triggered = subprocess.run([*cli, "trigger", "payment_intent.succeeded", "--api-base",
                                    api_base], env=ENV, capture_output=True,
                                   text=True, timeout=120)
        assert "Trigger succeeded" in triggered.stdout + triggered.stderr
        answered = _line(listen, r"<--\s+\[(\d{3})\] POST " + re.escape(f"{url}/webhook"))
        assert answered.group(1) == "200"
    finally:
        for process in procs:
            process.terminate()
            process.wait(timeout=20)
        emulator.terminate()
        emulator.wait(timeout=20)
    assert procs[0].returncode == 0  # the platform stops cleanly on SIGTERM
