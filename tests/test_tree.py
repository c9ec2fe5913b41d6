"""The package's shape, as ADR 0075 states it: the folders are the pipeline, with no import circle, no import
inside a function to dodge one, no private name used across modules and no module over the size limit.

Read from the source (ast), so the rules hold for code that is never imported by a test run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "readiness"
MAX_LINES = 420  # "about 400": the largest module is plan_load (reading a plan within its bounds)
STRICT = ("readiness.checks", "readiness.drills")  # no import inside a function at all there (ADR 0066)
# stages, bottom first: a stage imports only from stages before it (the top-level helpers are usable anywhere)
STAGES = ("outcome", "contract", "targets", "observation", "checks", "items", "drills", "report")
ANYWHERE = {"readiness", "readiness.redact", "readiness.progress", "readiness.permissions", "readiness.outcome",
            "readiness.jsonfile"}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, names: list[str]) -> set[str]:
    """The package modules one import statement loads: ``from readiness.x import y`` is readiness.x.y when
    that is a module, else readiness.x."""
    found = set()
    for n in names:
        if f"{module}.{n}" in MODULES:
            found.add(f"{module}.{n}")
        elif module in MODULES:
            found.add(module)
    return found


def _type_checking(node: ast.If) -> bool:
    return (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING") or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def _imports(path: Path) -> tuple[set[str], list[tuple[int, str]], list[tuple[int, str]]]:
    """(modules imported when the module loads, [(line, module)] imported inside functions,
    [(line, name)] private names imported from another package module)."""
    tree = ast.parse(path.read_text())
    top: set[str] = set()
    nested: list[tuple[int, str]] = []
    private: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue  # types only: never executed, so never a circle
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            loaded: set[str] = set()
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module and (
                    child.module == "readiness" or child.module.startswith("readiness.")):
                loaded = _resolve(child.module, [a.name for a in child.names])
                private.extend((child.lineno, a.name) for a in child.names
                               if a.name.startswith("_") and not a.name.startswith("__")
                               and f"{child.module}.{a.name}" not in MODULES)
            elif isinstance(child, ast.Import):
                loaded = {a.name for a in child.names if a.name in MODULES}
            if loaded:
                if in_function:
                    nested.extend((child.lineno, m) for m in sorted(loaded))
                else:
                    top.update(loaded)
            visit(child, inner)

    visit(tree, False)
    return top, nested, private


GRAPH = {m: _imports(p) for m, p in MODULES.items()}


def _reach(start: str, *, nested: bool = False) -> set[str]:
    """What loading ``start`` loads (with ``nested``: also what its functions may load when called)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        top, inside, _ = GRAPH.get(todo.pop(), (set(), [], []))
        for nxt in top | ({t for _, t in inside} if nested else set()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_is_read() -> None:
    """The rules below judge something: the package has its stages and the graph has edges."""
    assert {"readiness.contract.loading", "readiness.targets.base", "readiness.observation.live"} <= set(MODULES)
    assert "readiness.contract.lint" in GRAPH["readiness.contract.loading"][0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_circle(module: str) -> None:
    assert module not in _reach(module), f"{module} imports itself through {sorted(_reach(module))}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_function_level_import_dodges_a_circle(module: str) -> None:
    """An import inside a function is allowed for start-up time (the CLI's subcommands) or an optional
    dependency, never to hide a circle: the module imported there must not import this one back."""
    dodging = [f"line {line}: {target}" for line, target in GRAPH[module][1]
               if module in _reach(target, nested=True) or target == module]
    assert not dodging, f"{module} imports inside a function what imports it back: {dodging}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(STRICT)))
def test_checks_and_drills_import_only_at_the_top(module: str) -> None:
    assert not GRAPH[module][1], f"{module}: imports inside a function: {GRAPH[module][1]}"


def test_the_outcome_core_is_at_the_bottom() -> None:
    """outcome.py imports nothing of the engine but the leaf that redacts what a target answered."""
    assert GRAPH["readiness.outcome"][0] == {"readiness.redact"} and not GRAPH["readiness.outcome"][1]
    assert not GRAPH["readiness.redact"][0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_across_modules(module: str) -> None:
    private = GRAPH[module][2]
    assert not private, f"{module} imports private names of another module: {private}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE.parent)} has {lines} lines (limit {MAX_LINES})"


def _stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m) is not None))
def test_stages_import_only_downwards(module: str) -> None:
    """contract -> targets -> observation -> checks -> items -> drills -> report: a stage never imports a later
    one (the run and the CLI, above all stages, import them all)."""
    mine = _stage(module)
    upward = sorted(m for m in GRAPH[module][0] | {t for _, t in GRAPH[module][1]}
                    if m not in ANYWHERE and (s := _stage(m)) is not None and mine is not None and s > mine)
    assert not upward, f"{module} (stage {STAGES[mine or 0]}) imports a later stage: {upward}"
