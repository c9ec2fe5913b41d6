"""Targets chosen by marker (ADR 0074): ``-m "acceptance and localstack"`` is ``--target localstack``; a conflict
is a usage error; every scenario carries the markers of the targets that can show it (readiness_pytest/
capabilities.py) and ``live_only`` when no emulator can; what a marker expression deselected is in the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from readiness_pytest.capabilities import BY_CRITERION, BY_SCENARIO, EMULATOR_MARKERS, TARGET_MARKER, targets_of
from readiness_pytest.plugin import marked_target

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "features"
PLAN = ROOT / "tests" / "fixtures" / "plans" / "sit-noop.json"
NEEDS = {"acceptance", "writes", "restore", "load", "replication"}  # what a scenario needs, not its criterion


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, **(env or {})})


def _judged(report_dir: Path) -> dict[str, Any]:
    report = json.loads((report_dir / "readiness.json").read_text(encoding="utf-8"))
    return {"target": report["target"], "verdict": report["verdict"], "summary": report["summary"],
            "checks": sorted((c["id"], c["resource"], c["status"]) for c in report["checks"])}


def _scenarios() -> dict[str, set[str]]:
    """Scenario name -> its tags (the feature's and its own), read from the feature files."""
    found: dict[str, set[str]] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        feature_tags: set[str] = set()
        pending: set[str] = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("@"):
                pending |= {t.lstrip("@") for t in text.split()}
            elif text.startswith("Feature:"):
                feature_tags, pending = pending, set()
            elif match := re.match(r"Scenario(?: Outline)?:\s*(.+)", text):
                found[match.group(1).strip()] = feature_tags | pending
                pending = set()
            elif text.startswith("Examples"):
                pending = set()
    return found


@pytest.mark.parametrize(("expression", "target"), [
    ("acceptance", None),
    ("acceptance and localstack", "localstack"),
    ("acceptance and dynamodb_local", "dynamodb-local"),
    ("acceptance and plan and on_demand", "plan"),
    ("acceptance and not live_only", None),
    ("acceptance and not moto", None),
    ("acceptance and not (moto or localstack)", None),
    ("(acceptance and aws)", "aws"),
    ("acceptance and not (not moto)", "moto"),
])
def test_the_target_a_marker_expression_names(expression: str, target: str | None) -> None:
    assert marked_target(expression) == target


def test_two_target_markers_are_one_usage_error_line() -> None:
    done = _pytest("-m", "acceptance and (moto or aws)", "--co")
    assert done.returncode == 4, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == ["ERROR: -m 'acceptance and (moto or aws)' names 2 targets (aws, moto): a run verifies one "
                      "target; choose one marker or --target"]


@pytest.mark.parametrize(("args", "env", "source"), [
    (["--target", "moto"], {}, "--target says moto"),
    (["--target=aws"], {}, "--target says aws"),
    ([], {"READINESS_TARGET": "moto"}, "READINESS_TARGET says moto"),
])
def test_a_marker_and_another_target_conflict(args: list[str], env: dict[str, str], source: str) -> None:
    done = _pytest("-m", "acceptance and localstack", *args, "--co", env=env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"chooses target localstack, {source}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_same_target_by_marker_and_by_option_is_accepted() -> None:
    done = _pytest("-m", "acceptance and plan", "--target", "plan", "--plan-json", str(PLAN), "--co")
    assert "ERROR" not in done.stderr and "tests collected" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_a_marker_expression_and_target_choose_the_same_run(tmp_path: Path) -> None:
    by_marker, by_option = tmp_path / "marker", tmp_path / "option"
    done = _pytest("-m", "acceptance and plan and on_demand", "--env", "sit", "--plan-json", str(PLAN),
                   "--report-dir", str(by_marker))
    assert done.returncode == 0, done.stdout[-2000:]
    done = _pytest("-m", "acceptance and on_demand", "--env", "sit", "--target", "plan", "--plan-json", str(PLAN),
                   "--report-dir", str(by_option))
    assert done.returncode == 0, done.stdout[-2000:]
    assert _judged(by_marker) == _judged(by_option)
    assert _judged(by_marker)["target"].startswith("Terraform plan")
    options = json.loads((by_marker / "readiness.json").read_text(encoding="utf-8"))["provenance"]["options"]
    assert options["target"] == "plan"
    finops = [n for n in options["deselected"] if "::test_a_cost_anomaly_alerts_finops" in n]
    assert finops and all("[sit-" in n for n in finops), "the marker left out SIT's row; other rows are no criterion"
    assert not [n for n in options["deselected"] if "[dev-" in n or "[prod-" in n], "other environments' rows"


def test_every_criterion_of_the_features_is_classified_and_every_named_scenario_exists() -> None:
    scenarios = _scenarios()
    declared = {m.split(":", 1)[0] for m in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
                ["ini_options"]["markers"]}
    criteria = {t for tags in scenarios.values() for t in tags} - NEEDS
    assert criteria <= declared
    assert criteria - set(BY_CRITERION) == set(), "a criterion marker the capability table does not classify"
    assert set(BY_SCENARIO) - set(scenarios) == set(), "BY_SCENARIO names a scenario the features do not have"
    assert all(tags - NEEDS for tags in scenarios.values()), "a scenario without a criterion marker"
    assert {*TARGET_MARKER.values(), "live_only"} <= declared


def test_live_only_is_exactly_what_no_emulator_can_show() -> None:
    done = _pytest("-m", "acceptance and live_only", "--co")
    assert "tests collected" in done.stdout, done.stdout + done.stderr  # exit 7: --co reads no account
    collected = {line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line}
    expected = {name for name, tags in _scenarios().items()
                if not {TARGET_MARKER[t] for t in targets_of(tags, name)} & EMULATOR_MARKERS}
    assert expected, "some criterion only a real account can show"
    assert len(collected) == len(expected)
    assert "No backup job failed within the retention window" in expected


def test_what_moto_is_marked_for_it_proves(tmp_path: Path) -> None:
    """The SIT features chosen by the moto marker, on embedded moto: none is UNVERIFIABLE there (NOT APPLICABLE
    to SIT is fine), and the report lists every scenario the marker left out."""
    junit, report = tmp_path / "junit.xml", tmp_path / "report"
    done = _pytest("-m", "acceptance and moto", "--env", "sit", "--report-dir", str(report), f"--junitxml={junit}",
                   "-p", "no:hypothesispytest")
    assert done.returncode == 0, done.stdout[-3000:]
    cases = ET.parse(junit).getroot().iter("testcase")
    unproven = {c.get("name"): s.get("message", "") for c in cases for s in c.findall("skipped")
                if not s.get("message", "").startswith("NOT APPLICABLE")}
    assert unproven == {}, "marked moto but not proven on moto"
    selected = int(ET.parse(junit).getroot().find("testsuite").get("tests"))  # type: ignore[union-attr]
    deselected = json.loads((report / "readiness.json").read_text())["provenance"]["options"]["deselected"]
    assert deselected and selected + len(deselected) == len(_scenarios())
