"""The install check run by ``notebooks/00_setup.ipynb``.

:func:`report` prints only what should read the same on every correctly set-up machine
(the requirement and "ok"), so a notebook's stored output stays stable; :func:`versions`
gives the exact versions found, which vary from machine to machine. Run it from a shell
with ``python -m harness.tools.installcheck``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRIPE_CLI = ROOT / "node_modules" / ".bin" / "stripe"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")

# (distribution, requirement shown, minimum version, below this major) - as in pyproject.toml
PACKAGES = [
    ("stripe", "16.x", (16,), 17),
    ("jupyterlab", ">= 4.0", (4, 0), None),
    ("pandas", ">= 2.0", (2, 0), None),
    ("matplotlib", ">= 3.7", (3, 7), None),
    ("ipywidgets", ">= 8.0", (8, 0), None),
    ("flask", ">= 3.0", (3, 0), None),
    ("nbval", ">= 0.11", (0, 11), None),
    ("nbclient", ">= 0.10", (0, 10), None),
]


@dataclass(frozen=True)
class Check:
    name: str
    requirement: str
    ok: bool
    found: str  # the version or path found; varies per machine, so report() never prints it
    note: str = ""
    required: bool = True


def _parse(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def _package(dist: str, requirement: str, minimum: tuple[int, ...],
             below_major: int | None) -> Check:
    try:
        found = metadata.version(dist)
    except metadata.PackageNotFoundError:
        return Check(dist, requirement, False, "", "not installed: run `make venv`")
    version = _parse(found)
    ok = version >= minimum and (below_major is None or version[:1] < (below_major,))
    return Check(dist, requirement, ok, found, "" if ok else f"found {found}")


def _python() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Check("python", ">= 3.10", ok, found, "" if ok else f"found {found}")


def chromium_path() -> str | None:
    """The Chromium the browser tests would use: /usr/bin/chromium, else one on PATH, else
    Playwright's own download (on a developer's machine)."""
    if SYSTEM_CHROMIUM.exists():
        return str(SYSTEM_CHROMIUM)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    default_cache = Path.home() / ".cache" / "ms-playwright"
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", default_cache))
    for candidate in sorted(cache.glob("chromium-*/chrome-linux*/chrome")):
        return str(candidate)
    return None


def stripe_cli_path() -> str | None:
    """The Stripe CLI from npm (``node_modules/.bin/stripe``), else one on PATH."""
    if STRIPE_CLI.exists():
        return str(STRIPE_CLI.relative_to(ROOT))
    return shutil.which("stripe")


def _tool(name: str, requirement: str, path: str | None, missing: str) -> Check:
    return Check(name, requirement, path is not None, path or "", "" if path else missing,
                 required=False)


def checks() -> list[Check]:
    out = [_python(), *(_package(*spec) for spec in PACKAGES)]
    out.append(_tool("chromium", "browser tests", chromium_path(),
                     "not found: run `make system` (browser tests will be skipped)"))
    out.append(_tool("stripe CLI", "webhook notebooks", stripe_cli_path(),
                     "not found: run `make system` (CLI cells will be skipped)"))
    return out


def report(results: list[Check] | None = None) -> bool:
    """Print one stable line per requirement; return True when everything required is ok."""
    results = checks() if results is None else results
    width = max(len(c.name) for c in results) + 2
    for c in results:
        status = "ok" if c.ok else ("MISSING" if c.required else "missing")
        line = f"{c.name:<{width}}{c.requirement:<20}{status}"
        print(f"{line}  {c.note}".rstrip())
    ready = all(c.ok for c in results if c.required)
    print("\nready: every required package is installed." if ready else
          "\nnot ready: fix the lines marked MISSING, then restart the kernel.")
    return ready


def _cli_version(path: str) -> str:
    try:
        # --version only prints; `stripe version` would also look for updates online.
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20,
                              env={**os.environ, "STRIPE_CLI_TELEMETRY_OPTOUT": "1"})
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    words = done.stdout.splitlines()[0].split() if done.stdout.strip() else []
    return words[-1] if words else "?"


def versions(results: list[Check] | None = None):
    """The exact versions and paths found (differs per machine), as a pandas DataFrame."""
    import pandas as pd

    results = checks() if results is None else results
    rows = []
    for c in results:
        found = c.found
        if c.name == "stripe CLI" and c.found:
            found = f"{_cli_version(str(ROOT / c.found))} ({c.found})"
        rows.append({"name": c.name, "found": found or "-"})
    return pd.DataFrame(rows).set_index("name")


def describe_backend(lab) -> None:
    """Which Stripe this kernel talks to and which API versions apply. Prints no key."""
    import stripe

    if lab.config.is_emulator:
        print("backend        emulator (offline; STRIPE_SECRET_KEY is not set)")
        print(f"API base       {lab.api_base}")
        print("secret key     the emulator's built-in test key (never printed)")
        from ..lab.emulator_controls import platform_info

        default = platform_info(lab.api_base, lab.config.secret_key)["api_version"]
        default_note = "this emulator platform's default"
    else:
        print("backend        Stripe test mode (STRIPE_SECRET_KEY is set)")
        print(f"API base       {lab.api_base}")
        print("secret key     sk_test_… from the environment (never printed)")
        default = "your account's default version"
        default_note = "see Workbench in the Dashboard"
    print(f"SDK pins       {stripe.api_version}  (stripe-python sends it on every request)")
    print(f"no version     {default}  ({default_note})")
    print("               applies to requests without a Stripe-Version header, like the CLI's")


if __name__ == "__main__":
    sys.exit(0 if report() else 1)
