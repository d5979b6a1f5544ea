"""No import cycles among the project's modules (rag, ingest, ui, eval).

Reads every module's imports from its source (ast, nothing is imported): at the top of the
module, inside functions and under `if TYPE_CHECKING`, since a cycle that only a deferred
import keeps from failing is still two modules that cannot be read or changed apart. Checked
twice: between modules, and between packages (a subpackage such as rag.retrieval counted as
one node), so that a lower layer importing the layer that calls it fails too.

    .venv/bin/python -m tests.test_imports   # prints the cycles, exits 1 if any is new
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "ingest", "ui", "eval")

Graph = dict[str, set[str]]

# Cycles waiting on work in progress elsewhere, each with a comment saying what ends it
# (none now). Any other fails.
KNOWN: set[str] = set()


def project_modules(root: Path = PROJECT) -> dict[str, Path]:
    """Module name -> source file, for every module of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The project modules that `name` (at `path`) imports, wherever the import stands."""
    known = set(modules)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import sub` imports the submodule; `from mod import name`, the module.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import rag.x.y` of a name in rag.x
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def module_graph(root: Path = PROJECT) -> Graph:
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def package_of(module: str, graph: Graph) -> str:
    """The subpackage a module belongs to (rag.retrieval.llama -> rag.retrieval); a top-level
    package's own modules (rag.service) stand for themselves."""
    parts = module.split(".")
    if len(parts) <= 2:
        # rag.retrieval (a package's __init__) is that package; rag.service is itself.
        return module
    return ".".join(parts[:2]) if ".".join(parts[:2]) in graph else module


def package_graph(graph: Graph) -> Graph:
    packages: Graph = {}
    for module, targets in graph.items():
        source = package_of(module, graph)
        edges = packages.setdefault(source, set())
        edges.update(t for t in (package_of(t, graph) for t in targets) if t != source)
    return packages


def cycles(graph: Graph) -> list[list[str]]:
    """One shortest cycle through each strongly connected group of nodes (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_shortest_cycle(graph, group) for group in groups)


def _shortest_cycle(graph: Graph, group: set[str]) -> list[str]:
    """The shortest cycle in a strongly connected group, from its first node (breadth first)."""
    start = min(group)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError("a strongly connected group holds a cycle")


def report(root: Path = PROJECT) -> list[str]:
    graph = module_graph(root)
    between_modules = cycles(graph)
    return ([f"module cycle: {' -> '.join(c)}" for c in between_modules]
            + [f"package cycle: {' -> '.join(c)}" for c in cycles(package_graph(graph))
               if c not in between_modules])  # modules of a top-level package stand alone


# -- tests ---------------------------------------------------------------------------------


def test_no_import_cycles() -> None:
    found = [c for c in report() if c not in KNOWN]
    assert not found, "import cycles (python -m tests.test_imports):\n" + "\n".join(found)


def test_walker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The walker finds cycles made by deferred, TYPE_CHECKING and relative imports."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "eval" / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from eval.b import B\n")
    (tmp_path / "eval" / "b.py").write_text("def f():\n    from . import a\n")
    (tmp_path / "rag" / "low").mkdir()
    (tmp_path / "rag" / "low" / "__init__.py").write_text("")
    (tmp_path / "rag" / "low" / "x.py").write_text("import rag.top\n")
    (tmp_path / "rag" / "low" / "y.py").write_text("")
    (tmp_path / "rag" / "top.py").write_text("from rag.low.y import thing\n")
    assert report(tmp_path) == ["module cycle: eval.a -> eval.b -> eval.a",
                                "package cycle: rag.low -> rag.top -> rag.low"]


if __name__ == "__main__":
    graph = module_graph()
    found = report()
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports among them")
    print("\n".join(c + (" (known: KNOWN)" if c in KNOWN else "") for c in found)
          or "no import cycles")
    sys.exit(1 if set(found) - KNOWN else 0)
