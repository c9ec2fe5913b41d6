"""Traceability: every check is asked by a feature, every scenario names its criterion."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.checks import CHECKS

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


def _declared_markers(config: pytest.Config) -> set[str]:
    return {line.split(":", 1)[0].strip() for line in config.getini("markers")}


def test_every_check_is_asked_by_a_step() -> None:
    asked = set(re.findall(r'"([a-z]+\.[a-z_]+)"', "".join(p.read_text() for p in STEPS)))
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
