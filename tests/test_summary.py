"""``python -m readiness summary REPORT_DIR``: the run's quick status, verdict and blockers as Markdown for the
GitHub step summary (readiness/report/summary.py, ADR 0073), rendered from real reports of the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from readiness.report.summary import MAX_ROWS, SummaryError, load_report, summary_markdown
from readiness.run import error_report

ROOT = Path(__file__).resolve().parent.parent


def _readiness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "readiness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def sit_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real report: the SIT verification on embedded moto, as `python -m readiness verify` writes it."""
    out = tmp_path_factory.mktemp("sit")
    done = _readiness("verify", "--env", "sit", "--target", "moto", "--report-dir", str(out))
    assert (out / "readiness.json").is_file(), done.stderr
    return load_report(out)


def _blocked(report: dict[str, Any]) -> dict[str, Any]:
    """The same report with users-sit missing: its table.exists failed (the shape of a real FAIL row)."""
    broken = copy.deepcopy(report)
    for check in broken["checks"]:
        if check["id"] == "table.exists" and check["resource"] == "users-sit":
            check.update(status="fail", actual="missing", reason="the table does not exist")
    broken["summary"]["pass"] -= 1
    broken["summary"]["fail"] += 1
    broken["verdict"] = "BLOCKED"
    return broken


def test_quick_status_comes_from_the_report(sit_report: dict[str, Any]) -> None:
    text = summary_markdown(sit_report)
    counts = sit_report["summary"]
    assert text.startswith(f"## ⚠️ SIT on {sit_report['target']}: {sit_report['verdict']}")
    assert (f"| Checks | {counts['pass']} pass, {counts['fail']} fail, {counts['unverifiable']} unverifiable, "
            f"{counts['not_applicable']} not applicable |") in text
    assert f"| Commit | {sit_report['provenance']['git_commit']} |" in text
    assert "### Blockers (0)\n\nNone." in text


def test_a_failed_check_is_a_blocker_with_expected_and_actual(sit_report: dict[str, Any]) -> None:
    text = summary_markdown(_blocked(sit_report))
    assert "## ❌ SIT" in text and "not promotable" in text
    assert "### Blockers (1 root cause, 1 failed check)" in text
    assert ("- **users-sit: table.exists: the table does not exist**\n  - `table.exists` on users-sit: expected "
            "ACTIVE, actual missing: the table does not exist") in text
    assert "Blockers (0)" not in summary_markdown(_blocked(sit_report))


def test_not_run_drills_are_one_row_per_drill_and_reason(sit_report: dict[str, Any]) -> None:
    text = summary_markdown(sit_report)
    rows = [line for line in text.split("### Not exercised by this run")[1].splitlines() if line.startswith("- `")]
    distinct = {(n["id"], n["reason"], n.get("needs")) for n in sit_report["not_run"]}
    assert len(rows) == len(distinct) < len(sit_report["not_run"])
    assert any("`drill.access` on tenants-sit, products-sit, campaigns-sit, orders-sit, users-sit" in r for r in rows)


def test_many_blockers_are_capped_and_counted(sit_report: dict[str, Any]) -> None:
    report = copy.deepcopy(sit_report)
    for check in report["checks"]:
        check["status"] = "fail"
    text = summary_markdown(report)
    assert f"root causes, {len(report['checks'])} failed checks)" in text
    assert text.count("\n  - `") == MAX_ROWS
    assert f"and {len(report['checks']) - MAX_ROWS} more (readiness.md has every one)" in text


def test_an_error_run_says_why(tmp_path: Path) -> None:
    error_report("sit", "aws", "the credentials are for account 111111111111, not SIT's 815856636111",
                 started="2026-12-01T10:00:00Z").write(tmp_path)
    text = summary_markdown(load_report(tmp_path))
    assert "SIT on aws: ERROR" in text
    assert "### Error\n\nthe credentials are for account 111111111111, not SIT's 815856636111" in text


def test_deselected_scenarios_and_pipes(sit_report: dict[str, Any]) -> None:
    report = copy.deepcopy(sit_report)
    report["provenance"]["options"]["deselected"] = ["features/backups.feature::The backup plan runs hourly"]
    report["checks"][0].update(status="fail", reason="a | b")
    text = summary_markdown(report)
    assert "### Deselected by the marker expression (1)\n\n- `features/backups.feature::The backup plan" in text
    assert "a \\| b" in text


def test_the_cli_prints_it_and_refuses_a_missing_or_broken_report(tmp_path: Path) -> None:
    missing = _readiness("summary", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "no readiness report" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "readiness.json").write_text('{"verdict": "READY",\n', encoding="utf-8")
    broken = _readiness("summary", str(tmp_path))
    assert broken.returncode == 2 and "readiness.json: line 2 column 1: not valid JSON" in broken.stderr
    (tmp_path / "readiness.json").write_text(json.dumps([1]), encoding="utf-8")
    with pytest.raises(SummaryError, match="expected a readiness report"):
        load_report(tmp_path)


def test_the_cli_output_is_the_renderer_s(tmp_path: Path, sit_report: dict[str, Any]) -> None:
    (tmp_path / "readiness.json").write_text(json.dumps(sit_report), encoding="utf-8")
    done = _readiness("summary", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == summary_markdown(sit_report)
