"""``python -m harness.tools.import_graph [ROOT]``: the import graph of ``harness/`` in three
figures (modules, arrows between them, import cycles), read from the source with ``ast``,
function-level imports included. The closing note of a re-layout quotes it before and after.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def graph(root: Path) -> dict[str, set[str]]:
    """Each module under ``root/harness`` and the harness modules it imports."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in (root / "harness").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if package else parts)] = (path, package)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    out: dict[str, set[str]] = {}
    for module, (path, package) in modules.items():
        here = module if package else module.rpartition(".")[0]
        arrows: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = here.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            else:
                continue
            for target in targets:
                if target == "harness" or target.startswith("harness."):
                    found = resolve(target)
                    if found and found != module:
                        arrows.add(found)
        out[module] = arrows
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[2]
    edges = graph(root)
    loops = cycles(edges)
    print(f"modules {len(edges)}, arrows {sum(map(len, edges.values()))}, cycles {len(loops)}")
    for loop in loops:
        print("  cycle: " + " ↔ ".join(loop))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
