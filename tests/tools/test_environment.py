"""environment.yml (conda) and pyproject.toml name the same packages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("- pip:", 1)[1]
    lines = re.findall(r"^\s+- ([^\s#]+)", pip_section, flags=re.M)
    assert not [line for line in lines if line.startswith("-e")]  # repo2docker: postBuild
    conda = {_name(line) for line in lines}
    assert conda == declared


def test_binder_builds_the_project_after_the_copy() -> None:
    """repo2docker installs environment.yml before copying the repository, then runs
    postBuild: the project, the Stripe CLI and a Chromium are installed there."""
    post = ROOT / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    steps = [line.split("#")[0].strip() for line in post.read_text().splitlines()]
    assert "pip install --no-deps -e ." in steps
    assert "npm ci --no-audit --no-fund" in steps
    assert "python -m playwright install chromium" in steps
    packages = [line.strip() for line in (ROOT / "apt.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert {"libnss3", "libgbm1", "libasound2t64"} <= set(packages)
    assert "chromium" not in packages and "chromium-browser" not in packages  # snaps


def test_the_devcontainer_sets_up_with_make() -> None:
    import json

    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert config["postCreateCommand"] == "make venv system"
    assert 8888 in config["forwardPorts"]


def test_stripe_is_pinned_to_16() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    stripe = next(r for r in project["dependencies"] if _name(r) == "stripe")
    assert ">=16" in stripe and "<17" in stripe
