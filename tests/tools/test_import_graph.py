"""harness.tools.import_graph: the figures of a small tree written here (two modules that
import each other, one of them lazily, and a third that imports the package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.tools import import_graph


def test_figures_of_a_small_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = tmp_path / "harness"
    (pkg / "wing").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "wing" / "__init__.py").write_text("")
    (pkg / "wing" / "a.py").write_text("from . import b\nimport json\n")
    (pkg / "wing" / "b.py").write_text("def f():\n    from .a import thing\n")
    (pkg / "c.py").write_text("import harness.wing.a\nfrom harness import wing\n")
    edges = import_graph.graph(tmp_path)
    assert edges["harness.wing.a"] == {"harness.wing.b"}
    assert edges["harness.wing.b"] == {"harness.wing.a"}  # the lazy import counts
    assert edges["harness.c"] == {"harness.wing.a", "harness.wing"}
    assert import_graph.cycles(edges) == [["harness.wing.a", "harness.wing.b"]]
    assert import_graph.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "modules 5, arrows 4, cycles 1"
