"""The coverage figures for ``make bench``: how much of stripe-python 16's surface the
emulator serves, and the parameter figure of issue 15.12 (honoured / not modelled / wrongly
unknown, which must be 0), measured by sending every declared parameter through the API.

    PYTHONPATH=. .venv/bin/python bench/coverage_figures.py
"""

from __future__ import annotations

import subprocess
import sys


def main() -> int:
    print("## Coverage of stripe-python's methods and parameters (python -m harness coverage)")
    result = subprocess.run([sys.executable, "-m", "harness", "coverage", "--probe"],
                            capture_output=True, text=True)
    lines = result.stdout.splitlines()
    for line in lines:
        if not line.startswith("  v"):  # the figures, not the per-method listing
            print(line)
    if result.returncode:
        print(result.stderr[-2000:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
