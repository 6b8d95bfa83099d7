"""The lab lives as long as its kernel: a stopped lab says so, and notebook 05's
``stripe listen`` dies with a restarted or killed kernel instead of living on as an orphan."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager

import harness
from harness.lab import stripe_cli
from harness.lab.lifetime import LabStopped

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_05 = ROOT / "notebooks" / "05_webhooks_fulfillment.ipynb"


def test_a_stopped_lab_says_run_the_first_cell_again() -> None:
    lab = harness.start(seed=None)
    lab.client.v1.customers.create({"name": "before"})
    lab.stop()
    with pytest.raises(LabStopped, match="the lab was stopped: run the first cell again"):
        lab.client.v1.customers.list()
    with pytest.raises(LabStopped):
        lab.advance_clock(60)
    with pytest.raises(LabStopped):
        lab.now()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not reaped) counts as gone
        return stat.read().split(") ", 1)[1][0] != "Z"


def _wait_gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _listen_in_kernel(km: KernelManager) -> int:
    """Run notebook 05 up to its ``stripe listen`` cell; return the CLI's pid."""
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    nb = nbformat.read(NOTEBOOK_05, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    upto = next(i for i, source in enumerate(code) if "wl.listen(" in source)
    for source in [f"import os; os.chdir({str(NOTEBOOK_05.parent)!r})", *code[:upto + 1],
                   "print('PID', listener.proc.pid)"]:
        reply = client.execute_interactive(source, timeout=120, output_hook=_collect)
        assert reply["content"]["status"] == "ok", reply["content"]
    client.stop_channels()
    pid = int(_collected[-1].split("PID", 1)[1].split()[0])
    assert _alive(pid)
    return pid


_collected: list[str] = []


def _collect(message: dict) -> None:
    if message["msg_type"] == "stream":
        _collected.append(message["content"]["text"])


@pytest.mark.skipif(stripe_cli.find_binary() is None, reason="the Stripe CLI is not installed "
                    "(make system installs it)")
@pytest.mark.parametrize("how", ["restart", "kill"])
def test_notebook_05s_stripe_listen_dies_with_its_kernel(how: str) -> None:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        pid = _listen_in_kernel(km)
        if how == "restart":
            km.restart_kernel(now=False)  # a clean shutdown, as JupyterLab's Restart asks
        else:
            os.kill(km.provisioner.process.pid, signal.SIGKILL)  # no atexit runs
        assert _wait_gone(pid), f"stripe listen (pid {pid}) outlived its kernel ({how})"
    finally:
        km.shutdown_kernel(now=True)
