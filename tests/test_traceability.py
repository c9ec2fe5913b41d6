"""Traceability: every check is asked by a feature, every scenario names its criterion."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from readiness.checks import CHECKS
from readiness.drills import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
FEATURES = sorted((ROOT / "features").glob("*.feature"))
STEPS = sorted((ROOT / "steps").glob("*.py"))


def _scenarios(path: Path) -> list[tuple[list[str], str]]:
    """(tags, title) of every scenario in a feature file."""
    found: list[tuple[list[str], str]] = []
    tags: list[str] = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("@"):
            tags += [t[1:] for t in line.split()]
        elif line.startswith(("Scenario:", "Scenario Outline:")):
            found.append((tags, line.split(":", 1)[1].strip()))
            tags = []
        elif line.startswith("Feature:"):
            tags = []
    return found


DRILLS_NAMED = set(re.findall(r'"(drill\.[a-z_.]+)"', "".join(p.read_text() for p in STEPS)))


def test_every_drill_is_named_by_the_then_step_that_judges_it() -> None:
    """Each drill's measurement is judged by a Then step that names it (steps/drills.py); the restore drills
    also judge that their restored table was deleted afterwards."""
    assert {spec.id for spec in CATALOGUE} | {"drill.restore.deleted"} == DRILLS_NAMED


def _declared_markers(config: pytest.Config) -> set[str]:
    return {line.split(":", 1)[0].strip() for line in config.getini("markers")}


def test_every_check_is_asked_by_a_step() -> None:
    asked = set(re.findall(r'"([a-z]+\.[a-z_]+)"', "".join(p.read_text() for p in STEPS))) - DRILLS_NAMED
    assert set(CHECKS) - asked == set(), "checks no scenario asks about"
    assert asked - set(CHECKS) == set(), "steps ask about checks the engine does not have"


@pytest.mark.parametrize("feature", FEATURES, ids=lambda p: p.name)
def test_every_scenario_is_tagged_with_a_declared_criterion(feature: Path, pytestconfig: pytest.Config) -> None:
    declared = _declared_markers(pytestconfig)
    text = feature.read_text()
    assert text.lstrip().startswith("@acceptance"), "the feature is not tagged @acceptance"
    narrative = r"^\s+As (?:an?|the) .+\n\s+I want .+\n\s+So that .+"
    assert re.search(narrative, text, re.M), "no As/I want/So that narrative"
    scenarios = _scenarios(feature)
    assert scenarios
    for tags, title in scenarios:
        criteria = [t for t in tags if t != "acceptance"]
        assert criteria, f"scenario {title!r} names no criterion"
        assert set(criteria) <= declared, f"undeclared tags on {title!r}: {set(criteria) - declared}"


def test_background_has_only_given_steps() -> None:
    for feature in FEATURES:
        background = feature.read_text().split("Background:", 1)[1].split("Scenario", 1)[0]
        keywords = {line.split()[0] for line in background.strip().splitlines() if line.strip() and
                    not line.strip().startswith("@")}
        assert keywords <= {"Given", "And"}, f"{feature.name}: Background has {keywords}"


def _then_steps(path: Path) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.FunctionDef)
            and any(isinstance(d, ast.Call) and getattr(d.func, "id", None) == "then" for d in node.decorator_list)]


@pytest.mark.parametrize("path", STEPS, ids=lambda p: p.name)
def test_every_then_step_has_a_docstring_naming_what_it_judges(path: Path) -> None:
    """The docstring starts with the check or drill ids the step passes to ``expect`` (issue 14 item 4)."""
    for step in _then_steps(path):
        doc = ast.get_docstring(step)
        assert doc, f"{path.name}: {step.name} has no docstring"
        judged = [a for call in ast.walk(step) if isinstance(call, ast.Call)
                  and getattr(call.func, "id", None) == "expect" for a in call.args[1:]]
        assert judged, f"{path.name}: {step.name} judges nothing through expect"
        named = [a.value for a in judged if isinstance(a, ast.Constant) and str(a.value).startswith("drill.")]
        assert all(n in doc for n in named), f"{path.name}: {step.name}: the docstring names no {named}"
