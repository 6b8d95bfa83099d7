"""The lab on a remote Jupyter: JupyterLab in Chromium, which may reach only Jupyter's port.

A real JupyterLab server (``--ServerApp.base_url=/user/ada/``, as on a JupyterHub, with
jupyter-server-proxy) runs notebooks 03, 04 and 04b with Run All from its own menu; its kernel
has ``CONNECT_LAB_PUBLIC_URL`` set to that Jupyter base. Chromium's every request to any
other port is aborted (and recorded), so the learner's steps work only if every URL a
browser opens goes through ``/user/ada/proxy/<port>/``: paying in 04's card iframe, and
opening 04b's printed Checkout link by hand and paying there. In 03 and 04 the learner then
pastes the exercise's answer into its cell in JupyterLab's editor and runs it and the check.

Screenshots of what the learner sees land in ``build/remote-jupyter/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.guide import elements_checkout as cd
from harness.guide import hosted_checkout_steps as hd

pytest.importorskip("jupyter_server_proxy")
pytest.importorskip("jupyterlab")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "remote-jupyter"
BASE_PATH = "/user/ada/"
NB_03 = "03_destination_charge.ipynb"
NB_04 = "04_checkout_elements.ipynb"
NB_04B = "04b_checkout_hosted.ipynb"
RUN_ALL_TIMEOUT = 600  # seconds: the notebooks' own headless payments run in the kernel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_closing_cell(source: Path, target: Path) -> None:
    """The notebook without its stored outputs, and without a final cell that stops the lab
    (issue 19 takes it out of Run All): the learner's steps come after Run All, on a lab
    that still runs."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    last = "".join(nb["cells"][-1]["source"])
    if "lab.stop()" in last or "platform.stop()" in last:
        nb["cells"].pop()
    for cell in nb["cells"]:  # as a learner opens it fresh: nothing run yet
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    target.write_text(json.dumps(nb), encoding="utf-8")


class Jupyter:
    def __init__(self, root: Path, public: bool) -> None:
        self.mode = "proxy" if public else "local"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}{BASE_PATH}"
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "JUPYTER_CONFIG_DIR": str(root / ".jupyter"),
               "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces")}
        env.pop("CONNECT_LAB_PUBLIC_URL", None)
        if public:
            env["CONNECT_LAB_PUBLIC_URL"] = self.base
        # Every cell in the page (no windowing), so the test reads every prompt and output.
        tracker = root / ".settings" / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True, exist_ok=True)
        (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        self.log = (root / "jupyter.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", f"--IdentityProvider.token={self.token}", "--allow-root",
             "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
             f"--ServerApp.base_url={BASE_PATH}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=", "--ServerApp.port_retries=0"],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}api/status?token={self.token}",
                                            timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: see {self.log.name}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)  # the server and its kernels
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture(scope="module", params=["proxy", "local"])
def jupyter(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jupyter]:
    """The proxy path (the kernel's public URL is the Jupyter base) and, for comparison,
    the local one (no CONNECT_LAB_PUBLIC_URL: the browser opens 127.0.0.1 ports)."""
    root = tmp_path_factory.mktemp("remote-lab")
    for name in (NB_03, NB_04, NB_04B):
        without_closing_cell(ROOT / "notebooks" / name, root / name)
    shutil.copytree(ROOT / "notebooks" / "solutions", root / "solutions")
    server = Jupyter(root, public=request.param == "proxy")
    server.mode = request.param
    yield server
    server.stop()


@pytest.fixture
def learner(chromium: Any, jupyter: Jupyter) -> Iterator[tuple[Any, list[str]]]:
    """On the proxy path, a browser that reaches only the Jupyter server's port: every
    other request is aborted and recorded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    refused: list[str] = []

    def only_jupyter(route: Any) -> None:
        parts = urlsplit(route.request.url)
        if jupyter.mode == "proxy" and parts.scheme in ("http", "https", "ws", "wss") and not (
                parts.hostname == "127.0.0.1" and parts.port == jupyter.port):
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", only_jupyter)
    yield context.new_page(), refused
    context.close()


# The notebook's panel in JupyterLab's main area (by its path).
PANEL = ("[...window.jupyterapp.shell.widgets('main')]"
         ".find(w => w.context && w.context.path === 'NOTEBOOK')")


def run_all(page: Any, jupyter: Jupyter, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab and Run All Cells: the command the Run menu's item
    runs, executed by the page's own JupyterLab; returns once every cell has run."""
    page.goto(f"{jupyter.base}lab/tree/{notebook}?reset&token={jupyter.token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=60_000)
    page.wait_for_function("() => " + PANEL.replace("NOTEBOOK", notebook), timeout=60_000)
    state = page.evaluate(("""async (ms) => {
        const app = window.jupyterapp;
        const panel = """ + PANEL + """;
        await panel.context.ready;
        await panel.sessionContext.ready;
        app.shell.activateById(panel.id);  // Run All runs the current notebook
        const timeout = new Promise(r => setTimeout(() => r('timeout'), ms));
        const ran = await Promise.race([
            app.commands.execute('notebook:run-all-cells').then(() => 'ran'), timeout]);
        const cells = [...panel.content.model.cells].filter(c => c.type === 'code');
        const errors = cells.flatMap(c => c.toJSON().outputs)
            .filter(o => o.output_type === 'error')
            .map(o => o.ename + ': ' + o.evalue + '\\n' + o.traceback.join('\\n'));
        return {ran, notRun: cells.filter(c => c.executionCount === null).length,
                status: panel.sessionContext.session.kernel.status, errors};
    }""").replace("NOTEBOOK", notebook), RUN_ALL_TIMEOUT * 1000)
    assert not state["errors"], re.sub(r"\x1b\[[0-9;]*m", "", state["errors"][0])
    assert state["ran"] == "ran" and state["notRun"] == 0, state


def cell_output(page: Any, notebook: str, pattern: str) -> str:
    """The first group of ``pattern`` in the notebook's printed output (read from the
    notebook JupyterLab shows)."""
    texts = page.evaluate(("() => [..." + PANEL + """.content.model.cells]
        .flatMap(c => c.type === 'code' ? c.toJSON().outputs : [])
        .filter(o => o.output_type === 'stream')
        .map(o => Array.isArray(o.text) ? o.text.join('') : o.text)""").replace(
        "NOTEBOOK", notebook))
    for text in texts:
        match = re.search(pattern, text)
        if match:
            return match.group(1)
    raise AssertionError(f"no output matches {pattern!r}")


def in_kernel(page: Any, notebook: str, code: str) -> str:
    """Run ``code`` in the notebook's kernel (as a cell the learner adds would); its stdout."""
    return page.evaluate(("""async (code) => {
        const panel = """ + PANEL + """;
        const future = panel.sessionContext.session.kernel.requestExecute({code});
        let out = '';
        future.onIOPub = (msg) => {
            if (msg.header.msg_type === 'stream') { out += msg.content.text; }
            if (msg.header.msg_type === 'error') { out += msg.content.evalue; }
        };
        await future.done;
        return out;
    }""").replace("NOTEBOOK", notebook), code)


def do_exercise(page: Any, notebook: str, solution: Path) -> Any:
    """As a learner does the exercise: click into the answer cell, replace its text with the
    solution's code in JupyterLab's editor, Shift+Enter it and the check cell below it.
    Returns the check cell's element, once its output is the new verdict."""
    index = page.evaluate(("""() => {
        const panel = """ + PANEL + """;
        const i = [...panel.content.model.cells].findIndex(
            c => c.type === 'code' && c.sharedModel.getSource().startsWith('answer = None'));
        panel.content.widgets[i].node.id = 'answer-cell';
        panel.content.widgets[i + 1].node.id = 'check-cell';
        return i;
    }""").replace("NOTEBOOK", notebook))
    assert index > 0
    answer = page.locator("#answer-cell")
    answer.scroll_into_view_if_needed()
    answer.locator(".cm-content").click()
    page.keyboard.press("Control+A")  # the whole cell, as a learner selects it
    page.keyboard.insert_text(solution.read_text(encoding="utf-8").strip())  # a paste
    for cell in (index, index + 1):  # Shift+Enter runs it; the cell below becomes active
        before = page.evaluate(("() => " + PANEL + f".content.model.cells.get({cell})"
                                ".executionCount").replace("NOTEBOOK", notebook))
        page.keyboard.press("Shift+Enter")
        outputs = page.evaluate(("""async ([cell, before]) => {
            const model = """ + PANEL + """.content.model.cells.get(cell);
            const deadline = Date.now() + 60000;
            while (!(model.executionCount > before) && Date.now() < deadline) {
                await new Promise(r => setTimeout(r, 200));
            }
            return model.executionCount > before ? model.toJSON().outputs : null;
        }""").replace("NOTEBOOK", notebook), [cell, before or 0])
        assert outputs is not None, f"cell {cell} of {notebook} did not finish in 60 s"
        errors = [o for o in outputs if o["output_type"] == "error"]
        assert not errors, re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0]["traceback"]))
    return page.locator("#check-cell")


def test_run_all_03_then_do_its_exercise_in_jupyterlab(learner: Any, jupyter: Jupyter) -> None:
    page, refused = learner
    run_all(page, jupyter, NB_03)
    check = do_exercise(page, NB_03, ROOT / "notebooks" / "solutions" / "03_destination_charge.py")
    verdict = check.locator(".jp-OutputArea-output").inner_text()
    answer_source = page.evaluate(("() => " + PANEL + ".content.widgets.find("
                                   "w => w.node.id === 'answer-cell').model.sharedModel"
                                   ".getSource()").replace("NOTEBOOK", NB_03))
    assert answer_source.startswith("# Exercise 03"), answer_source[:200]
    SHOTS.mkdir(parents=True, exist_ok=True)
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"03-exercise-{jupyter.mode}.png"))
    assert verdict.startswith("✔ Correct: "), verdict
    assert "Maya receives exactly $700.00" in verdict, verdict
    # The answer cell's own output: the money table of the charge it made, no error.
    answer_out = page.locator("#answer-cell .jp-OutputArea").inner_text()
    assert "Error" not in answer_out, answer_out[:600]
    assert refused == [], refused


def test_pay_in_notebook_04s_iframe_through_the_jupyter_proxy(learner: Any,
                                                               jupyter: Jupyter) -> None:
    page, refused = learner
    run_all(page, jupyter, NB_04)
    proxied = f"{jupyter.base}proxy/" if jupyter.mode == "proxy" else "http://127.0.0.1:"
    frame_element = page.locator(f"iframe[src^='{proxied}']").first
    frame_element.scroll_into_view_if_needed()
    src = frame_element.get_attribute("src")
    assert src and "/checkout/lst_002" in src, src
    frame = frame_element.element_handle().content_frame()
    checkout = cd.CheckoutPage(frame)
    checkout.field("number").wait_for(state="visible")
    outcome, _ = checkout.pay(cd.Card(cd.VISA))
    SHOTS.mkdir(parents=True, exist_ok=True)
    frame_element.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"04-iframe-paid-{jupyter.mode}.png"))
    assert outcome == "success", checkout.error_text()
    assert checkout.message(outcome)
    assert re.match(r"pi_\w+", checkout.payment_intent)
    # The stand-in, its card frame and the API calls all came through the proxy.
    frames = [f.url for f in page.frames if "/v3/elements-inner.html" in f.url]
    assert frames and all(u.startswith(proxied) for u in frames), frames

    # The Dashboard shows the payment just made: its login link opens through the proxy.
    link = in_kernel(page, NB_04, 'print(lab.dashboard_url("payments"))').strip()
    assert link.startswith(proxied), link
    tab = page.context.new_page()
    tab.goto(link)
    assert tab.inner_text("#heading") == "Payments"
    assert checkout.payment_intent in tab.inner_text("#intents")
    tab.click(f"#intents a:has-text('{checkout.payment_intent}')")
    tab.wait_for_url(re.compile(re.escape(checkout.payment_intent)))
    assert tab.url.startswith(proxied), tab.url
    tab.screenshot(path=str(SHOTS / f"04-dashboard-payment-{jupyter.mode}.png"), full_page=True)
    # A Dashboard form (CSRF token, Origin check) posts through the proxy too.
    with tab.expect_navigation():
        tab.click("#refund-form button")
    assert tab.url.startswith(proxied), tab.url
    assert "refunded $178.00" in tab.inner_text("body"), tab.inner_text("body")[:400]
    tab.close()

    # The exercise, after Run All (whose last cell closed the notebook's driver).
    check = do_exercise(page, NB_04, ROOT / "notebooks" / "solutions" / "04_checkout_elements.py")
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"04-exercise-{jupyter.mode}.png"))
    verdict = check.locator(".jp-OutputArea-output").inner_text()
    assert verdict.startswith("✔ Correct: ") and "3D Secure" in verdict, verdict
    assert refused == [], refused


def test_open_04bs_printed_checkout_link_by_hand_and_pay(learner: Any,
                                                         jupyter: Jupyter) -> None:
    page, refused = learner
    run_all(page, jupyter, NB_04B)
    link = cell_output(page, NB_04B, r"Location:\s*(\S+)")
    public = f"{jupyter.base}proxy/" if jupyter.mode == "proxy" else "http://127.0.0.1:"
    assert link.startswith(public) and "/c/pay/cs_" in link, link
    platform = (cell_output(page, NB_04B, r"for your browser (\S+?)>") if jupyter.mode == "proxy"
                else cell_output(page, NB_04B, r"<Platform app on (\S+?)>"))
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The printed link, opened by hand in a tab of its own.
    tab = page.context.new_page()
    tab.goto(link)
    if hd.HOSTED_PATH in urlsplit(tab.url).path:  # not paid yet: pay it
        hosted = hd.HostedCheckoutPage.attach(tab)
        hosted.fill(cd.Card(cd.VISA))
        hosted.submit()
    tab.wait_for_url(re.compile(re.escape(platform) + r"/success\?session_id=cs_"))
    tab.screenshot(path=str(SHOTS / f"04b-printed-link-{jupyter.mode}.png"), full_page=True)

    # A fresh booking from the platform's page, through the proxy end to end: /book
    # redirects to Stripe's page, paying there returns to the platform's success_url.
    tab.goto(f"{platform}/book/lst_003?nights=1")
    hosted = hd.HostedCheckoutPage.attach(tab)
    assert tab.url.startswith(public)
    hosted.fill(cd.Card(cd.VISA))
    tab.screenshot(path=str(SHOTS / f"04b-hosted-form-{jupyter.mode}.png"), full_page=True)
    hosted.submit()
    tab.wait_for_url(re.compile(re.escape(platform) + r"/success\?session_id=cs_"))
    tab.screenshot(path=str(SHOTS / f"04b-success-{jupyter.mode}.png"), full_page=True)

    # 3D Secure: the stand-in opens the emulator's challenge page in its modal, at the
    # address it was served from.
    tab.goto(f"{platform}/book/lst_001?nights=1")
    hosted = hd.HostedCheckoutPage.attach(tab)
    outcome, answered = hosted.pay(cd.Card(cd.THREE_D_SECURE))
    assert (outcome, answered) == ("redirected", "complete")
    assert re.match(re.escape(platform) + r"/success\?session_id=cs_", tab.url), tab.url
    assert hosted.challenge_screenshot
    (SHOTS / f"04b-3ds-challenge-{jupyter.mode}.png").write_bytes(hosted.challenge_screenshot)
    assert refused == [], refused
