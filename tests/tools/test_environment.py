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
    conda = {_name(line) for line in lines if not line.startswith("-e")}
    assert conda == declared


def test_stripe_is_pinned_to_16() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    stripe = next(r for r in project["dependencies"] if _name(r) == "stripe")
    assert ">=16" in stripe and "<17" in stripe
