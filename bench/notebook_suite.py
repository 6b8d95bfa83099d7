"""Time the whole notebook suite (what `make run` does) and report the 60-second goal."""

from __future__ import annotations

import subprocess
import sys
import time

GOAL_SECONDS = 60.0


def main() -> int:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "harness", "run"], capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    print("## Notebook suite (make run: every notebook, headless, on the emulator)")
    for line in result.stdout.splitlines():
        if line.startswith(("ok ", "FAIL")):
            print("    " + line)
    verdict = "holds" if result.returncode == 0 and seconds <= GOAL_SECONDS else "does not hold"
    status = "" if result.returncode == 0 else " (a notebook failed)"
    print(f"GOAL whole notebook suite <= {GOAL_SECONDS:g} s: {seconds:.1f} s -> {verdict}{status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
