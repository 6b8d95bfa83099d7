"""``make run``: execute every notebook in order, headless, on the embedded emulator.

Executed copies and an HTML report (one row per notebook: cells, seconds, status) go to
``build/``. A failing notebook makes the run exit non-zero and names the cell.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    notebook: str
    cells: int
    seconds: float
    status: str
    detail: str = ""
    html: str = ""  # the executed notebook rendered, beside the report (build/notebooks/)


def run_notebook(path: Path, out_dir: Path, timeout: int = 600,
                 html_dir: Path = ROOT / "build" / "notebooks") -> Result:
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    # IPC (Unix sockets in a private directory) instead of TCP on localhost: the kernel then
    # has nothing to warn about ("running over TCP without encryption"), and no other user of
    # the machine can reach it.
    sockets = tempfile.mkdtemp(prefix="connect-lab-kernel-")
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
    client = NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                            record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    status, detail = "passed", ""
    try:
        client.execute()
    except CellExecutionError as exc:
        failing = next(
            (i for i, c in enumerate(code_cells, 1)
             if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
            None,
        )
        status = "failed"
        first_line = str(exc).strip().splitlines()[-1] if str(exc).strip() else "error"
        detail = f"code cell {failing}: {first_line}" if failing else first_line
    finally:
        if km.has_kernel:  # we made the manager, so nbclient leaves its kernel to us
            km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    page = render_html(nb, html_dir / (path.stem + ".html"))
    return Result(path.name, len(code_cells), seconds, status, detail, page)


def render_html(nb: nbformat.NotebookNode, target: Path) -> str:
    """The executed notebook as one HTML page (its charts are inline images), for the
    report to link (``build/notebooks/<name>.html``)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target.name


def write_report(results: list[Result], out: Path) -> None:
    rows = "\n".join(
        f"<tr class='{r.status}'><td><a href='notebooks/{html.escape(r.html)}'>"
        f"{html.escape(r.notebook)}</a></td><td>{r.cells}</td>"
        f"<td>{r.seconds:.1f}</td><td>{r.status}</td><td>{html.escape(r.detail)}</td></tr>"
        for r in results
    )
    total = sum(r.seconds for r in results)
    out.write_text(
        "<!doctype html><meta charset='utf-8'><title>Connect Lab run</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 10px}"
        ".failed{background:#fdd}.passed{background:#efe}</style>"
        "<h1>Connect Lab: notebook run</h1>"
        f"<p>{len(results)} notebooks, {total:.1f} s in all, backend: emulator.</p>"
        "<table><tr><th>notebook</th><th>code cells</th><th>seconds</th><th>status</th>"
        f"<th>detail</th></tr>{rows}</table>\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None, update: bool = False) -> int:
    """Run notebooks (all, or those whose name contains an argument). ``update`` writes the
    outputs they really produced back into ``notebooks/`` (``make notebooks``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))  # 04b_… too
    if argv:
        notebooks = [n for n in notebooks if any(a in n.name for a in argv)]
    build = ROOT / "build"
    os.environ.pop("STRIPE_SECRET_KEY", None)  # `make run` is the embedded emulator
    os.environ.pop("STRIPE_PUBLISHABLE_KEY", None)
    # Each notebook has its own kernel, emulator and ports, so they can run side by side:
    # one per core (CONNECT_LAB_JOBS overrides).
    jobs = int(os.environ.get("CONNECT_LAB_JOBS", "0")) or min(2, os.cpu_count() or 1)
    started = time.perf_counter()
    with tqdm(total=len(notebooks), desc="notebooks", unit="nb") as bar, \
            ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_notebook, path,
                               path.parent if update else build / "notebooks"): path
                   for path in reversed(notebooks)}  # the long month first: better packing
        finished: dict[Path, Result] = {}
        for future in as_completed(futures):
            finished[futures[future]] = future.result()
            bar.set_postfix_str(futures[future].name)
            bar.update(1)
    results = [finished[path] for path in notebooks]
    wall = time.perf_counter() - started
    write_report(results, build / "report.html")
    for r in results:
        mark = "ok  " if r.status == "passed" else "FAIL"
        print(f"{mark} {r.notebook:40s} {r.cells:3d} cells {r.seconds:6.1f} s  {r.detail}")
    print(f"{len(results)} notebooks in {wall:.1f} s ({jobs} at a time); "
          f"report: {build / 'report.html'}")
    failed = [r for r in results if r.status != "passed"]
    if failed:
        print(f"{len(failed)} notebook(s) failed: " + ", ".join(r.notebook for r in failed))
        return 1
    return 0
