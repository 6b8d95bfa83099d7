"""The install check runs and reports where ``stripe`` is not installed: that is when it is
needed most, so neither it nor the ``harness`` package it lives in may import the SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A Python where stripe is absent twice over: its import fails, and its distribution
# metadata is not found (what a machine without the package looks like).
WITHOUT_STRIPE = """
import runpy, sys
from importlib import metadata
sys.modules["stripe"] = None  # any `import stripe` now raises ImportError
real_version = metadata.version
def version(name):
    if name.lower() == "stripe":
        raise metadata.PackageNotFoundError(name)
    return real_version(name)
metadata.version = version
runpy.run_module("harness.tools.installcheck", run_name="__main__", alter_sys=True)
"""


def test_install_check_reports_a_missing_stripe_instead_of_crashing() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_STRIPE], cwd=ROOT, text=True,
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    stripe_line = next(line for line in lines if line.startswith("stripe "))
    assert "MISSING" in stripe_line and "run `make venv`" in stripe_line
    assert any(line.startswith("pandas") and line.rstrip().endswith("ok") for line in lines)
    assert "not ready: fix the lines marked MISSING, then restart the kernel." in lines
    assert done.returncode == 1
