"""Without Chromium or the Stripe CLI the notebooks skip those steps with one clear line and
run to the end (issue 19: Binder and devcontainer ready), rather than stopping at the first
cell that needs the missing tool."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
HIDDEN = "/nonexistent/not-installed"

CHROMIUM_LINE = "skipped: this step drives a headless Chromium, which is not installed here"
CLI_LINE = "skipped: this step runs the Stripe CLI, which is not installed here"


def run(name: str, monkeypatch: pytest.MonkeyPatch, variable: str) -> list[str]:
    """Execute notebook ``name`` with one tool hidden; the text every code cell printed."""
    monkeypatch.setenv(variable, HIDDEN)  # the kernel inherits it
    nb = nbformat.read(next(NOTEBOOKS.glob(f"{name}_*.ipynb")), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    return ["".join(o.get("text", "") for o in c.get("outputs", []))
            for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", ["01", "02", "02b", "04", "04b"])
def test_without_chromium(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = run(name, monkeypatch, "CONNECT_LAB_CHROMIUM")
    assert any(CHROMIUM_LINE in t for t in texts)


@pytest.mark.parametrize("name", ["02b", "05"])
def test_without_the_stripe_cli(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = run(name, monkeypatch, "CONNECT_LAB_STRIPE_CLI")
    assert any(CLI_LINE in t for t in texts)
    if name == "05":  # the endpoint standing in for `stripe listen` fulfils both bookings
        assert any("events handled: 2 | paid bookings: 1" in t for t in texts)
