"""The house's layout: the rules the code's structure keeps (docs/design.md, "Layout").

No import circle among fdevent's modules (what runs, not what type checkers read), and no
module so large that it hides its seams.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support import IMPORT_ROOT

#: The most lines a module of the package may have: the house's 500 (every module fits since
#: state.py, lifecycle.py and flow.py were split out).
MAX_LINES = 500


def _runtime_imports(path: Path, package: str) -> set[str]:
    """The fdevent modules ``path`` imports when it runs (not those under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("fdevent"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if not mod.startswith("fdevent"):
                continue
            # "from . import x" names a module x when the package has one.
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                root = IMPORT_ROOT / Path(*sub.split("."))
                found.add(sub if root.with_suffix(".py").exists() or root.is_dir() else mod)
    return found


def test_no_import_circle_among_fdevent_modules() -> None:
    graph: dict[str, set[str]] = {}
    for path in sorted((IMPORT_ROOT / "fdevent").rglob("*.py")):
        if "_compiled" in path.parts:
            continue
        rel = path.relative_to(IMPORT_ROOT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = name if rel.name == "__init__" else name.rpartition(".")[0]
        graph[name] = {m for m in _runtime_imports(path, package) if m != name}
    # A package's __init__ importing its own modules is how a package is built, not a circle:
    # only edges from a module to a module (or to a package other than its own parents) count.
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if node.startswith(dep + "."):
                continue  # a module importing from its own package
            if state.get(dep) == 1:
                raise AssertionError("import circle: " + " -> ".join([*stack, node, dep]))
            if dep in graph and not state.get(dep):
                visit(dep, [*stack, node])
        state[node] = 2

    for name in graph:
        if not state.get(name):
            visit(name, [])
    assert "fdevent._pure.core.base" in graph and len(graph) > 30


def test_no_module_is_over_the_limit() -> None:
    sizes = {
        str(p.relative_to(IMPORT_ROOT)): len(p.read_text().splitlines())
        for p in (IMPORT_ROOT / "fdevent").rglob("*.py")
        if "_compiled" not in p.parts
    }
    assert sizes and {k: v for k, v in sizes.items() if v > MAX_LINES} == {}
