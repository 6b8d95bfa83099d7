"""What the ``stripe_emulator`` fixture adds per test: 200 tests that each make one API call
on a platform of their own (the fixture) against 200 that share one platform, in one pytest
run each (the session's emulator start is paid once in both)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = 200
OWN = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_call(stripe_emulator, n):
    stripe_emulator.client.v1.balance.retrieve()
"""
SHARED = """
import pytest

@pytest.fixture(scope="session")
def shared(stripe_emulator_url):
    from harness.lab.own_platform import EmulatorPlatform
    return EmulatorPlatform(stripe_emulator_url)

@pytest.mark.parametrize("n", range({n}))
def test_call(shared, n):
    shared.client.v1.balance.retrieve()
"""


def timed(source: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_suite.py").write_text(source.format(n=N))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "harness.pytest_plugin", tmp], check=True,
                       capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    own, shared = timed(OWN), timed(SHARED)
    print(f"{N} tests, one call each: own platform per test {own:.2f} s, shared platform "
          f"{shared:.2f} s; the fixture adds {(own - shared) / N * 1000:.1f} ms per test")


if __name__ == "__main__":
    main()
