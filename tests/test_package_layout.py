"""The layout rules of ADR 0066 for the engine's split packages (readiness/checks, readiness/drills) and the
outcome core: no module over ~400 lines, no import inside a function (the way a cycle gets dodged), no
import cycle between their modules, no private (_underscore) name imported from another module, and
readiness/outcome.py at the bottom (it imports nothing from readiness but the leaf redact). Read from the
source (AST), so the test fails on the line that breaks a rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "readiness"
PACKAGES = ("checks", "drills")
MAX_LINES = 400
MODULES = sorted([p for pkg in PACKAGES for p in (ENGINE / pkg).glob("*.py")] + [ENGINE / "outcome.py"])


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every top-level import of readiness."""
    out: list[tuple[str, list[str], int]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("readiness"):
            out.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("readiness")]
    return out


def test_the_rules_see_every_module() -> None:
    assert len(MODULES) > 10 and ENGINE / "checks" / "core.py" in MODULES and ENGINE / "drills" / "bench.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_a_module_stays_small_and_imports_at_the_top(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: {len(text.splitlines())} lines > {MAX_LINES}"
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not inner, f"{path.name}:{inner[0].lineno}: an import inside {node.name}() (ADR 0066)"
    for module, names, line in imports(tree):
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{path.name}:{line}: imports the private {', '.join(private)} from {module}"


def test_the_outcome_core_imports_nothing_from_the_engine() -> None:
    found = imports(ast.parse((ENGINE / "outcome.py").read_text(encoding="utf-8")))
    assert [m for m, _, _ in found] == ["readiness.redact"], "only the redaction of what a target answered"


def test_no_import_cycle_inside_the_packages() -> None:
    """Between the modules of readiness/checks and readiness/drills (a package's __init__ re-exports its
    modules, so an import of the package itself from inside it counts as an edge to __init__)."""
    names = {module_name(p): p for p in MODULES}
    edges: dict[str, set[str]] = {n: set() for n in names}
    for name, path in names.items():
        for module, imported, _ in imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets = {f"{module}.{i}" for i in imported if f"{module}.{i}" in names} or {module}
            edges[name] |= {t for t in targets if t in names and t != name}
    assert find_cycle(edges) is None, "import cycle: " + " -> ".join(find_cycle(edges) or [])


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """The first cycle of a directed graph (depth first), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
