"""The house's walls (ARCHITECTURE.md), read from the source with ``ast``: every import of
every module under ``harness/``, function-level (lazy) imports included.

* the platform never imports the emulator, the emulator never imports the platform, and
  neither imports the glue above them;
* the glue wings import only downward: guide → books → lab → platform / emulator;
* nothing imports ``harness.tools`` (only the command line, ``harness.__main__``);
* glue reaches the emulator only through its public package ``harness.emulator``;
* no module shadows the standard library, and no two modules share a basename.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from harness.tools import import_graph

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "harness"

# Lower rank = deeper. A glue module may import its own wing or a deeper one.
RANK = {"guide": 3, "books": 2, "lab": 1, "platform": 0, "emulator": 0}
GLUE = ("guide", "books", "lab")
# harness/platform/ is fixed by DESIGN.md ("the platform app lives in harness/platform/"), and
# as a subpackage it never shadows anything: only ``import platform`` run from inside
# harness/ itself would find it, and no code does that (python -m runs from the root).
ALLOWED_SHADOWS = {"platform"}
PRIVATE_EMULATOR_ALLOWED: set[tuple[str, str]] = set()  # none: every setting has a control


# The same reading of the source as ``python -m harness.tools.import_graph`` (a test may use a
# tool; no harness module may).
GRAPH = import_graph.graph(ROOT)
MODULES = set(GRAPH)


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*RANK, "tools") else None


def _arrows(where: str) -> list[tuple[str, str]]:
    return [(a, b) for a, targets in GRAPH.items() if _wing(a) == where for b in targets]


def test_the_parser_sees_lazy_imports() -> None:
    """A function-level import counts: the face imports the lab only inside __getattr__."""
    assert "harness.lab.logsafe" in GRAPH["harness"]
    assert "harness.emulator" in GRAPH["harness.lab.session"]  # inside start()


def test_platform_never_imports_the_emulator_or_the_glue() -> None:
    bad = [(a, b) for a, b in _arrows("platform") if not b.startswith("harness.platform")]
    assert bad == []


def test_emulator_never_imports_the_platform_or_the_glue() -> None:
    bad = [(a, b) for a, b in _arrows("emulator") if not b.startswith("harness.emulator")]
    assert bad == []


@pytest.mark.parametrize("wing", GLUE)
def test_glue_wings_import_only_downward(wing: str) -> None:
    bad = []
    for a, b in _arrows(wing):
        other = _wing(b)
        if other is None or other == "tools" or (other != wing and RANK[other] >= RANK[wing]):
            bad.append((a, b))
    assert bad == []


def test_nothing_imports_the_tools() -> None:
    bad = [(a, b) for a, targets in GRAPH.items() for b in targets
           if _wing(b) == "tools" and _wing(a) != "tools" and a != "harness.__main__"]
    assert bad == []


def test_the_face_imports_only_the_lab() -> None:
    assert {_wing(b) for b in GRAPH["harness"]} == {"lab"}


def test_glue_reaches_the_emulator_only_through_its_public_package() -> None:
    bad = [(a, b) for a, targets in GRAPH.items() if _wing(a) not in ("emulator",)
           for b in targets if b.startswith("harness.emulator.")
           and (a, b) not in PRIVATE_EMULATOR_ALLOWED]
    assert bad == []


def test_the_top_level_holds_only_the_face_the_command_line_and_the_plugin() -> None:
    top = sorted(p.name for p in HARNESS.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "pytest_plugin.py"]


def test_the_pytest_plugin_is_wiring_over_the_lab() -> None:
    """DESIGN.md puts the plugin at the top; it starts the public emulator and hands the
    rest to the lab, like the face."""
    assert {_wing(b) or b for b in GRAPH["harness.pytest_plugin"]} == {
        "lab", "emulator"}


def test_no_module_shadows_the_standard_library() -> None:
    names = {m.rpartition(".")[2] for m in MODULES if m != "harness"}
    assert sorted((names & set(sys.stdlib_module_names)) - ALLOWED_SHADOWS) == []


def test_no_two_modules_share_a_basename() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in HARNESS.rglob("*.py"):
        if path.stem not in ("__init__", "__main__"):
            seen[path.stem].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}
