"""``pip install connect-lab`` as a user does it: build the wheel, install it with only its
own dependencies into a fresh venv (offline, from the wheelhouse ``make`` fetched at install
time), then run the example suite through the plugin's entry point, under xdist too, and
the ``connect-lab-emulator`` command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"  # make venv fills it (the Makefile)


def sh(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"{WHEELHOUSE} is missing: `make venv` fetches it (the core dependencies "
                    "and pytest, so this test installs offline)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "harness", src / "harness",
                    ignore=shutil.ignore_patterns("__pycache__"))
    sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
       "-w", tmp / "dist", src)
    [wheel] = (tmp / "dist").glob("connect_lab-*.whl")
    sh(sys.executable, "-m", "venv", tmp / "venv")
    venv = tmp / "venv" / "bin"
    sh(venv / "python", "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
       WHEELHOUSE, wheel, "pytest", "pytest-xdist")
    suite = tmp / "suite"
    suite.mkdir()
    shutil.copy(Path(__file__).parent / "example" / "test_marketplace.py", suite)
    return {"wheel": wheel, "bin": venv, "suite": suite}


def test_the_wheel_needs_none_of_the_notebook_extras(installed: dict[str, Path]) -> None:
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
        requires = [line.split(":", 1)[1].strip() for line in
                    wheel.read(meta).decode().splitlines() if line.startswith("Requires-Dist:")]
        entry_points = wheel.read(points).decode()
    core = sorted(r for r in requires if "extra ==" not in r)
    assert core == ["simple-websocket>=1.0", "stripe<17,>=16", "werkzeug>=3.0"]
    assert any(r.startswith("jupyterlab") and 'extra == "lab"' in r for r in requires)
    assert "connect-lab-emulator = harness.__main__:emulator_main" in entry_points
    assert "harness.pytest_plugin = harness.pytest_plugin" in entry_points
    missing = subprocess.run([installed["bin"] / "python", "-c", "import flask"],
                             capture_output=True)
    assert missing.returncode != 0  # the fresh venv has only what the wheel asked for


@pytest.mark.parametrize("args", [(), ("-n", "2"), ("-p", "harness.pytest_plugin")],
                         ids=["serial", "xdist", "named-too"])
def test_the_example_suite_passes_through_the_installed_plugin(
        installed: dict[str, Path], args: tuple[str, ...]) -> None:
    out = sh(installed["bin"] / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
             *args, cwd=installed["suite"])
    assert "3 passed" in out


def test_the_command_prints_its_keys_and_stops_on_sigterm(installed: dict[str, Path]) -> None:
    process = subprocess.Popen(
        [installed["bin"] / "connect-lab-emulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(process.stdout.readline())
        assert line["secret_key"].startswith("sk_test_")
        assert line["publishable_key"].startswith("pk_test_")
        request = urllib.request.Request(
            line["api_base"] + "/v1/balance",
            headers={"Authorization": f"Bearer {line['secret_key']}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            balance = json.loads(response.read())
        assert balance["object"] == "balance" and balance["livemode"] is False
        account = urllib.request.Request(
            line["api_base"] + "/v1/account",
            headers={"Authorization": f"Bearer {line['secret_key']}"})
        with urllib.request.urlopen(account, timeout=10) as response:
            assert json.loads(response.read())["id"] == line["account"]
    finally:
        process.send_signal(signal.SIGTERM)
        rc = process.wait(timeout=20)
    assert rc == 0
    assert "Connect Lab emulator on" in process.stderr.read()
