"""``make run``'s runner: a notebook executed quietly (no kernel warning on the terminal),
and rendered to HTML with its charts for the report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from harness.tools.runner import Result, write_report

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('hello from the kernel')"),
                nbformat.v4.new_code_cell(
                    "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
                    "plt.plot([1, 2, 3]); plt.show()")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_a_run_prints_no_kernel_warning_and_renders_the_charts(tmp_path: Path) -> None:
    _notebook(tmp_path / "01_demo.ipynb")
    code = ("import sys; from pathlib import Path; from harness.tools.runner import run_notebook;"
            f"r = run_notebook(Path({str(tmp_path / '01_demo.ipynb')!r}), "
            f"Path({str(tmp_path / 'out')!r}), html_dir=Path({str(tmp_path / 'html')!r}));"
            "print(r.status, r.html)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=180)
    assert done.stdout.split() == ["passed", "01_demo.html"], done.stderr
    assert "WARNING" not in done.stderr and "without encryption" not in done.stderr
    page = (tmp_path / "html" / "01_demo.html").read_text()
    assert "hello from the kernel" in page and "data:image/png;base64," in page
    executed = nbformat.read(tmp_path / "out" / "01_demo.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "hello from the kernel\n"


def test_the_report_links_each_rendered_notebook(tmp_path: Path) -> None:
    write_report([Result("01_demo.ipynb", 2, 1.5, "passed", html="01_demo.html"),
                  Result("02_x.ipynb", 1, 0.5, "failed", "code cell 1: boom", "02_x.html")],
                 tmp_path / "report.html")
    report = (tmp_path / "report.html").read_text()
    assert "<a href='notebooks/01_demo.html'>01_demo.ipynb</a>" in report
    assert "<a href='notebooks/02_x.html'>02_x.ipynb</a>" in report and "boom" in report
