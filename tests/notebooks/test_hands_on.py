"""What a learner does by hand between the cells: pay 04b's printed Checkout link in their
own browser, then run the rest of the notebook, which must cope (read that payment rather
than crash trying to pay the Session again)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from harness.lab.chromium import chromium_path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

BY_HAND = """# (the learner, in their own browser: opens the printed link and pays)
_hand = hd.HostedCheckoutDriver(platform.url)
print("paid by hand:", _hand.pay_url(location, cd.VISA, listing="lst_002", nights=2).outcome)
_hand.close()"""


@pytest.mark.skipif(chromium_path() is None and not Path("/usr/bin/chromium").exists(),
                    reason="no Chromium here (make system installs it)")
def test_04b_copes_when_the_printed_link_was_paid_by_hand() -> None:
    nb = nbformat.read(NOTEBOOKS / "04b_checkout_hosted.ipynb", as_version=4)
    printed = next(i for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and 'print("Location:", location)' in c.source)
    nb.cells.insert(printed + 1, nbformat.v4.new_code_cell(BY_HAND))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    texts = ["".join(o.get("text", "") for o in c.get("outputs", []))
             for c in nb.cells if c.cell_type == "code"]
    assert any("paid by hand: redirected" in t for t in texts)
    assert any("You paid this Session yourself" in t for t in texts)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
