"""``readiness diff`` (readiness/report/diff.py): what changed between two readiness.json files of one environment.

The pairs are real reports: a correct SIT account on moto, then the same account broken from the
outside (a table's billing switched, an order with a status outside the enum), written by the
report's own writer. Hand-made documents cover the shapes a real report can take but moto cannot make.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from readiness.checks import FAIL, PASS, UNVERIFIABLE
from readiness.contract.desired import Desired
from readiness.report.diff import BAD_INPUT, CHANGED, NO_CHANGE, DiffError, diff_reports, load_report, run_diff
from readiness.report.run_report import Report
from readiness.targets.base import Target

REPO = Path(__file__).resolve().parent.parent
Account = tuple[Target, Desired]


def check(check_id: str, resource: str, status: str, actual: Any = None, reason: str = "r") -> dict[str, Any]:
    return {"id": check_id, "criterion": "c", "resource": resource, "status": status, "expected": None,
            "actual": actual, "reason": reason}


def report(verdict: str, *checks: dict[str, Any], environment: str = "sit") -> dict[str, Any]:
    return {"environment": environment, "target": "t", "verdict": verdict, "summary": {}, "api_calls": 1,
            "checks": list(checks), "criteria": [], "measurements": []}


BASE = report("READY", check("table.billing_mode", "orders-sit", PASS, "PAY_PER_REQUEST"),
              check("table.pitr", "orders-sit", PASS, True), check("items.schema", "orders-sit", PASS,
                                                                    {"items_read": 10, "violations": 0}))


def written(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document, encoding="utf-8")
    return path


# ============================================================================ pairs from real runs


def _report_of(target: Target, desired: Desired, verdicts_after: Callable[[Target, Desired], Any]) -> dict[str, Any]:
    from readiness.items.scan import verify_items

    items, _ = verify_items(target, desired)
    verdicts = verdicts_after(target, desired) + items
    return Report(environment="sit", target=target.label, verdicts=verdicts, api_calls=0).to_json()


def test_a_console_change_and_a_bad_order_between_two_real_runs(
        moto_account: Callable[..., Account], verdicts_after: Callable[[Target, Desired], Any]) -> None:
    from test_items import item, put

    target, desired = moto_account("sit")
    before = _report_of(target, desired, verdicts_after)
    client = target.client("dynamodb", desired.env.region, write=True)
    client.update_table(TableName="products-sit", BillingMode="PROVISIONED",
                        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    bad = item(desired, "orders", 1)
    bad["status"] = "SHIPPED"
    put(target, desired, "orders", bad)
    after = _report_of(target, desired, verdicts_after)

    found = diff_reports(before, after)
    assert found.new_verdict == "BLOCKED" and found.verdict_changed and found.alert
    assert found.exit_code == CHANGED
    failing = {(c.id, c.resource) for c in found.started_failing}
    assert {("table.billing_mode", "products-sit"), ("items.schema", "orders-sit")} <= failing
    schema = next(c for c in found.started_failing if c.id == "items.schema")
    assert bad["PK"] in schema.reason and "/status: enum" in schema.reason
    text = "\n".join(found.lines())
    assert "table.billing_mode products-sit: PASS -> FAIL" in text and "started failing (" in text

    back = diff_reports(after, before)  # the operator fixes both: resolved, verdict changes back
    assert {("table.billing_mode", "products-sit"), ("items.schema", "orders-sit")} <= \
        {(c.id, c.resource) for c in back.resolved}
    assert back.started_failing == [] and back.alert


# ============================================================================ each kind of change


def test_unchanged_reports_exit_zero() -> None:
    found = diff_reports(BASE, copy.deepcopy(BASE))
    assert not found.alert and found.exit_code == NO_CHANGE
    assert found.unchanged == 3 and all(not changes for _, changes in found.groups())
    assert found.headline() == "readiness SIT: verdict unchanged (READY); no check changed; 3 unchanged"


def test_a_new_failure_alerts_with_its_reason() -> None:
    new = copy.deepcopy(BASE)
    new["verdict"] = "BLOCKED"
    new["checks"][1] = check("table.pitr", "orders-sit", FAIL, False, "PITR is disabled")
    found = diff_reports(BASE, new)
    assert [c.line() for c in found.started_failing] == ["table.pitr orders-sit: PASS -> FAIL"]
    assert found.alert and found.exit_code == CHANGED
    assert "  table.pitr orders-sit: PASS -> FAIL — PITR is disabled" in found.lines()


def test_a_second_failure_while_already_blocked_still_alerts() -> None:
    """The verdict stays BLOCKED, but something else broke: that is drift too."""
    old = copy.deepcopy(BASE)
    old["verdict"] = "BLOCKED"
    old["checks"][0]["status"] = FAIL
    new = copy.deepcopy(old)
    new["checks"][1]["status"] = FAIL
    found = diff_reports(old, new)
    assert not found.verdict_changed and found.alert and found.exit_code == CHANGED


def test_resolved() -> None:
    old = copy.deepcopy(BASE)
    old["verdict"] = "BLOCKED"
    old["checks"][0] = check("table.billing_mode", "orders-sit", FAIL, "PROVISIONED")
    found = diff_reports(old, BASE)
    assert [c.line() for c in found.resolved] == ["table.billing_mode orders-sit: FAIL -> PASS"]
    assert found.started_failing == [] and found.verdict_changed and found.exit_code == CHANGED


def test_a_changed_value_with_the_same_status_is_shown_but_does_not_alert() -> None:
    new = copy.deepcopy(BASE)
    new["checks"][2]["actual"] = {"items_read": 12, "violations": 0}
    found = diff_reports(BASE, new)
    assert [c.line() for c in found.value_changed] == [
        'items.schema orders-sit: PASS, actual {"items_read": 10, "violations": 0} -> '
        '{"items_read": 12, "violations": 0}']
    assert not found.alert and found.exit_code == NO_CHANGE


def test_a_pass_becoming_unverifiable_changes_the_verdict() -> None:
    new = copy.deepcopy(BASE)
    new["verdict"] = "INCOMPLETE"
    new["checks"][1]["status"] = UNVERIFIABLE
    found = diff_reports(BASE, new)
    assert [c.line() for c in found.status_changed] == ["table.pitr orders-sit: PASS -> UNVERIFIABLE"]
    assert found.exit_code == CHANGED


def test_checks_that_appear_and_disappear() -> None:
    new = copy.deepcopy(BASE)
    new["checks"].pop(0)
    new["checks"].append(check("items.schema", "users-sit", PASS))
    new["checks"].append(check("items.sparse_index", "tenants-sit/ActiveIndex", FAIL))
    new["verdict"] = "BLOCKED"
    found = diff_reports(BASE, new)
    assert [c.line() for c in found.disappeared] == ["table.billing_mode orders-sit: gone (was PASS)"]
    assert [c.line() for c in found.appeared] == ["items.schema users-sit: new check, PASS"]
    assert [c.line() for c in found.started_failing] == ["items.sparse_index tenants-sit/ActiveIndex: new check, FAIL"]


def test_the_markdown_summary_names_every_change() -> None:
    new = copy.deepcopy(BASE)
    new["verdict"] = "BLOCKED"
    new["checks"][0] = check("table.billing_mode", "orders-sit", FAIL, "PROVISIONED", "billed | provisioned")
    new["checks"][2]["actual"] = {"items_read": 11, "violations": 0}
    text = diff_reports(BASE, new).markdown()
    assert text.startswith("## 🚨 Drift: SIT\n")
    assert "| `table.billing_mode` | orders-sit | PASS | FAIL | billed \\| provisioned |" in text
    assert "### Value changed (1)" in text and '{"items_read": 10, "violations": 0} -> ' in text


# ============================================================================ the command


def test_run_diff_prints_and_returns_the_exit_code(tmp_path: Path) -> None:
    new = copy.deepcopy(BASE)
    new["verdict"] = "BLOCKED"
    new["checks"][1]["status"] = FAIL
    old_path, new_path = written(tmp_path, "old.json", BASE), written(tmp_path, "new.json", new)
    out, err = io.StringIO(), io.StringIO()
    assert run_diff(old_path, new_path, out=out, err=err) == CHANGED
    assert out.getvalue().startswith("readiness SIT: verdict READY -> BLOCKED; 1 started failing;")
    assert err.getvalue() == ""
    assert run_diff(old_path, old_path, out=io.StringIO(), err=err) == NO_CHANGE


def test_python_dash_m_readiness_diff_runs(tmp_path: Path) -> None:
    old_path = written(tmp_path, "old.json", BASE)
    done = subprocess.run([sys.executable, "-m", "readiness", "diff", str(old_path), str(old_path), "--markdown"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == NO_CHANGE, done.stderr
    assert done.stdout.startswith("## ✅ Drift: SIT")


BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("not json", "{\"verdict\": ", "line 1 column 13: not valid JSON"),
    ("a list", [1, 2], "/: expected a readiness report (a JSON object), got list"),
    ("no checks", {"environment": "sit", "verdict": "READY"}, "/checks: expected a list of checks"),
    ("no verdict", {"environment": "sit", "checks": []}, "/verdict: expected a string"),
    ("a check without id", report("READY", {"resource": "x", "status": PASS}), "/checks/0/id: expected a string"),
    ("an unknown status", report("READY", check("a.b", "x", "green")), "/checks/0/status: expected one of pass"),
    ("deeply nested", "[" * 100_000, "not valid JSON"),
    ("not utf-8", None, "unreadable"),
]


@pytest.mark.parametrize(("case", "document", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_two(tmp_path: Path, case: str, document: Any, message: str) -> None:
    good = written(tmp_path, "good.json", BASE)
    bad = tmp_path / "bad.json"
    if document is None:
        bad.write_bytes(b"\xff\xfe{}")
    else:
        written(tmp_path, "bad.json", document)
    for old, new in ((bad, good), (good, bad)):
        out, err = io.StringIO(), io.StringIO()
        assert run_diff(old, new, out=out, err=err) == BAD_INPUT
        assert out.getvalue() == ""
        line = err.getvalue()
        assert line.count("\n") == 1 and line.startswith(f"readiness diff: {bad}: ") and message in line, line


def test_a_missing_file_a_directory_and_another_environment_are_refused(tmp_path: Path) -> None:
    good = written(tmp_path, "good.json", BASE)
    prod = written(tmp_path, "prod.json", report("READY", environment="prod"))
    cases = [(tmp_path / "nope.json", "no such file"), (tmp_path, "not a file")]
    for path, message in cases:
        err = io.StringIO()
        assert run_diff(path, good, out=io.StringIO(), err=err) == BAD_INPUT
        assert message in err.getvalue()
    err = io.StringIO()
    assert run_diff(good, prod, out=io.StringIO(), err=err) == BAD_INPUT
    assert "NEW: /environment: expected sit like OLD, got prod" in err.getvalue()
    with pytest.raises(DiffError):
        load_report(tmp_path / "nope.json")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.report import diff as diff_module

    monkeypatch.setattr(diff_module, "MAX_REPORT_BYTES", 100)
    big = written(tmp_path, "big.json", {**BASE, "notes": ["x" * 200]})
    with pytest.raises(DiffError, match=r"bytes is not a readiness report \(at most 100\)"):
        load_report(big)
