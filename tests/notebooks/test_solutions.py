"""The exercise solutions pass their checks.

For each step notebook (01–07) the answer cell's source is replaced with
``notebooks/solutions/<notebook>.py`` (what ``%load`` would paste), the notebook runs top to
bottom in a fresh kernel on the embedded emulator (cwd ``notebooks/``), and the check cell must
say ``✔ Correct``. The stored notebooks keep the exercise unsolved (``✘ Not yet``); nbval
checks that side.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from harness.lab.chromium import chromium_path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
STEPS = [
    "01_connected_accounts_oauth",
    "02_account_links",
    "03_destination_charge",
    "04_checkout_elements",
    "05_webhooks_fulfillment",
    "06_refunds_disputes",
    "07_balances_payouts",
]
BROWSER = {"01_connected_accounts_oauth", "02_account_links", "04_checkout_elements"}


def _cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    found = [c for c in nb.cells if c.get("id") == cell_id]
    assert len(found) == 1, f"expected one cell with id {cell_id!r}, found {len(found)}"
    return found[0]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.extend(output.get("traceback", []))
    return "\n".join(parts)


@pytest.mark.parametrize("name", STEPS)
def test_stored_notebook_has_an_unsolved_exercise(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    answer, check = _cell(nb, "exercise-answer"), _cell(nb, "exercise-check")
    assert answer.source == f"answer = None  # your code here — or: %load solutions/{name}.py"
    assert nb.cells.index(answer) + 1 == nb.cells.index(check)
    assert "from harness.guide import exercises" in check.source
    assert "✘ Not yet: `answer` is still None" in _text(check)
    assert (SOLUTIONS / f"{name}.py").is_file()


@pytest.mark.parametrize("name", STEPS)
def test_solution_passes_its_check(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name in BROWSER and chromium_path() is None:
        pytest.skip("needs Chromium (/usr/bin/chromium) for the hosted pages")
    for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)  # the embedded emulator, never real Stripe
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    _cell(nb, "exercise-answer").source = (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")
    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    said = _text(_cell(nb, "exercise-check"))
    assert "✔ Correct" in said, said
