"""The readiness report: run verdict, readiness.json shape, readiness.md sections, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.checks import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE, Verdict
from readiness.report import run_report as report_module
from readiness.report.approval import promotion, root_causes, target_kind
from readiness.report.run_report import Report
from readiness.report.summary import summary_markdown
from readiness.report.verdict import BLOCKED, ERROR, INCOMPLETE, READY, run_verdict

STATUSES = (PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE)


def v(status: str, check_id: str = "table.pitr", resource: str = "tenants-sit", reason: str = "why",
      expected: object = "ENABLED", actual: object = "DISABLED") -> Verdict:
    return Verdict(check_id, f"criterion of {check_id}", resource, status, expected, actual, reason)


def report(*verdicts: Verdict, api_calls: int = 42) -> Report:
    return Report(environment="sit", target="embedded moto", verdicts=list(verdicts), api_calls=api_calls,
                  account="815856636111", region="eu-west-1", seconds=1.25)


MIXED = [
    v(PASS, "table.exists", "tenants-sit", "the table exists and is ACTIVE", "ACTIVE", "ACTIVE"),
    v(FAIL, "table.exists", "orders-sit", "orders-sit does not exist", "the table", None),
    v(FAIL, "backup.vault", "bbws-dynamodb-backup-vault-sit", "bbws-dynamodb-backup-vault-sit does not exist",
      "an encrypted vault", None),
    v(UNVERIFIABLE, "backup.selection", "bbws-dynamodb-tables-sit",
      "list_backup_selections(bbws-dynamodb-backup-plan-sit)@eu-west-1 answered: not implemented by the target",
      ["orders-sit"], None),
    v(PASS, "gsi.status", "tenants-sit/EmailIndex", "the index is ACTIVE", "ACTIVE", "ACTIVE"),
]


# --------------------------------------------------------------------------------------- run verdict


def test_any_fail_blocks() -> None:
    assert run_verdict([v(PASS), v(UNVERIFIABLE), v(FAIL)]) == BLOCKED
    assert run_verdict([v(FAIL)]) == BLOCKED


def test_unverifiable_without_fail_is_incomplete() -> None:
    assert run_verdict([v(PASS), v(UNVERIFIABLE)]) == INCOMPLETE
    assert run_verdict([v(UNVERIFIABLE)]) == INCOMPLETE


def test_no_verdicts_is_incomplete_never_ready() -> None:
    assert run_verdict([]) == INCOMPLETE
    assert report().verdict == INCOMPLETE


def test_all_pass_is_ready() -> None:
    assert run_verdict([v(PASS), v(PASS, "table.ttl")]) == READY
    assert report(v(PASS)).verdict == READY


@given(st.lists(st.sampled_from(STATUSES), max_size=30))
def test_run_verdict_for_any_mix(statuses: list[str]) -> None:
    expected = BLOCKED if FAIL in statuses else INCOMPLETE if UNVERIFIABLE in statuses or PASS not in statuses \
        else READY
    assert run_verdict([v(s, resource=f"t{i}") for i, s in enumerate(statuses)]) == expected
    r = report(*(v(s, resource=f"t{i}") for i, s in enumerate(statuses)))
    assert r.summary == {"pass": statuses.count(PASS), "fail": statuses.count(FAIL),
                         "unverifiable": statuses.count(UNVERIFIABLE),
                         "not_applicable": statuses.count(NOT_APPLICABLE)}
    assert r.verdict == expected


# ------------------------------------------------------------------------------------ readiness.json


def test_json_shape_and_summary() -> None:
    data = report(*MIXED).to_json()
    # DESIGN.md section 4, in that order; "criteria" is the per-criterion extension (issue 3), "approval" the
    # approver's headline (issue 17): added last, nothing renamed
    assert list(data) == ["environment", "target", "verdict", "summary", "api_calls", "checks", "criteria",
                          "measurements", "not_run", "provenance", "approval"]
    assert data["environment"] == "sit" and data["target"] == "embedded moto"
    assert data["verdict"] == BLOCKED and data["api_calls"] == 42
    assert data["summary"] == {"pass": 2, "fail": 2, "unverifiable": 1, "not_applicable": 0}
    assert [c["resource"] for c in data["checks"]] == [x.resource for x in MIXED]
    for c, verdict in zip(data["checks"], MIXED, strict=True):
        assert set(c) == {"id", "criterion", "resource", "status", "expected", "actual", "reason"}
        assert c == {"id": verdict.id, "criterion": verdict.criterion, "resource": verdict.resource,
                     "status": verdict.status, "expected": verdict.expected, "actual": verdict.actual,
                     "reason": verdict.reason}
    assert {c["status"] for c in data["checks"]} == {"pass", "fail", "unverifiable"}


def test_written_json_round_trips_values_json_cannot_hold(tmp_path: Path) -> None:
    when = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)
    json_path, _ = report(v(FAIL, actual={"LatestRestorableDateTime": when})).write(tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["verdict"] == BLOCKED
    assert data["checks"][0]["actual"] == {"LatestRestorableDateTime": when.isoformat()}
    assert data["summary"] == {"pass": 0, "fail": 1, "unverifiable": 0, "not_applicable": 0}


# -------------------------------------------------------------------------------------- readiness.md


def test_markdown_sections_blockers_and_unverified() -> None:
    md = report(*MIXED).to_markdown()
    assert md.startswith("# SIT Readiness: DynamoDB Schemas")
    assert "**Status**: ❌ **BLOCKED**" in md
    assert "## QUICK STATUS" in md
    assert "| **Overall Readiness** | ❌ BLOCKED | 2 pass, 2 fail, 1 unverifiable, 0 not applicable |" in md
    assert "| Tables | ❌ | 1 pass, 1 fail, 0 unverifiable |" in md
    assert "| Indexes | ✅ | 1 pass, 0 fail, 0 unverifiable |" in md
    assert "| Backups | ❌ | 0 pass, 1 fail, 1 unverifiable |" in md
    blockers = md.split("## CRITICAL BLOCKERS (2)", 1)[1].split("## NOT VERIFIED", 1)[0]
    assert "### 1. orders-sit (1 failed)" in blockers
    assert "### 2. bbws-dynamodb-backup-vault-sit (1 failed)" in blockers
    assert "- **table.exists**: orders-sit does not exist" in blockers
    assert "- **backup.vault**:" in blockers
    assert "tenants-sit" not in blockers  # a passing check is no blocker
    unverified = md.split("## NOT VERIFIED ON THIS TARGET (1)", 1)[1].split("## ACTUAL RESOURCES", 1)[0]
    assert ("| backup.selection | bbws-dynamodb-tables-sit | list_backup_selections(bbws-dynamodb-backup-plan-sit)"
            "@eu-west-1 answered: not implemented by the target |") in unverified
    discrepancies = md.split("## DISCREPANCIES", 1)[1]
    assert "| orders-sit | table.exists |" in discrepancies
    assert "DENIED - BLOCKERS PRESENT" in md
    assert "API calls: 42" in md


def test_markdown_when_ready() -> None:
    md = report(v(PASS, reason="PITR ENABLED", actual="ENABLED")).to_markdown()
    assert "**Status**: ✅ **READY**" in md
    assert "## CRITICAL BLOCKERS (0)" in md and "None: no check failed." in md
    assert "## NOT VERIFIED ON THIS TARGET (0)" in md and "None: every check could be verified." in md
    assert "| — | — | — | none |" in md
    assert "✅ no blockers" in md and "DENIED" not in md


def test_markdown_when_incomplete_says_what_to_verify() -> None:
    md = report(v(PASS), v(UNVERIFIABLE, "table.replicas", "tenants-prod",
                           "describe_table(tenants-prod)@af-south-1 answered no Replicas")).to_markdown()
    assert "**Status**: ⚠️ **INCOMPLETE**" in md
    assert "| table.replicas | tenants-prod | describe_table(tenants-prod)@af-south-1 answered no Replicas |" in md
    assert "PENDING" in md and "DENIED" not in md


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    md = report(v(UNVERIFIABLE, reason="HTTP 500 a|b\nc")).to_markdown()
    assert "| table.pitr | tenants-sit | HTTP 500 a\\|b c |" in md


def test_markdown_notes_are_listed() -> None:
    r = report(v(PASS))
    r.notes = ["not deployed (target does not implement it): backup selection"]
    assert "## NOTES" in r.to_markdown()
    assert "- not deployed (target does not implement it): backup selection" in r.to_markdown()


# ---------------------------------------------------------------------------------------- write()


def test_write_creates_both_files_and_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "reports"
    json_path, md_path = report(*MIXED).write(out)
    assert (json_path, md_path) == (out / "readiness.json", out / "readiness.md")
    assert sorted(p.name for p in out.iterdir()) == ["readiness.json", "readiness.md"]
    assert json.loads(json_path.read_text(encoding="utf-8"))["verdict"] == BLOCKED
    assert "## CRITICAL BLOCKERS (2)" in md_path.read_text(encoding="utf-8")


def test_write_replaces_existing_files(tmp_path: Path) -> None:
    (tmp_path / "readiness.json").write_text('{"verdict": "STALE"}', encoding="utf-8")
    (tmp_path / "readiness.md").write_text("stale", encoding="utf-8")
    report(v(PASS)).write(tmp_path)
    assert json.loads((tmp_path / "readiness.json").read_text(encoding="utf-8"))["verdict"] == READY
    assert "stale" not in (tmp_path / "readiness.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readiness.json", "readiness.md"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    old = '{"verdict": "READY"}\n'
    (tmp_path / "readiness.json").write_text(old, encoding="utf-8")
    real_replace = os.replace

    def failing_replace(src: str, dst: str | Path) -> None:
        if str(dst).endswith("readiness.json"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(report_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        report(*MIXED).write(tmp_path)
    assert (tmp_path / "readiness.json").read_text(encoding="utf-8") == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readiness.json"]


def test_verdict_line_summarises_the_run() -> None:
    line = report(*MIXED).verdict_line()
    assert line == ("readiness SIT on embedded moto: BLOCKED "
                    "(2 pass, 2 fail, 1 unverifiable; 42 API calls)")


def test_criteria_say_where_each_was_verified() -> None:
    r = report(*MIXED, v(UNVERIFIABLE, "table.exists", "users-sit", "describe_table answered: HTTP 500"))
    by_criterion = {c["criterion"]: c for c in r.to_json()["criteria"]}
    assert by_criterion["criterion of table.exists"] == {
        "criterion": "criterion of table.exists", "checks": ["table.exists"], "status": FAIL,
        "verified": 2, "unverifiable": 1, "verified_on": "embedded moto"}
    assert by_criterion["criterion of backup.selection"]["status"] == UNVERIFIABLE
    assert by_criterion["criterion of backup.selection"]["verified_on"] is None
    assert by_criterion["criterion of gsi.status"]["status"] == PASS
    partly = report(v(PASS, "table.tags", "a"), v(UNVERIFIABLE, "table.tags", "b")).criteria()
    assert partly[0]["status"] == "partly verified" and partly[0]["verified_on"] == "embedded moto"
    md = r.to_markdown()
    assert "## WHERE EACH CRITERION WAS VERIFIED" in md
    row = "| criterion of backup.selection | backup.selection | UNVERIFIABLE | — (use a target that can show it) | 1 |"
    assert row in md


def test_console_lines_show_every_failure_and_one_line_per_unverifiable_check() -> None:
    unknown = [v(UNVERIFIABLE, "table.tags", f"t{i}", "list_tags_of_resource answered: UnknownOperationException")
               for i in range(4)]
    lines = report(*MIXED, *unknown).console_lines()
    assert lines[0].startswith("FAIL table.exists orders-sit") and lines[1].startswith("FAIL backup.vault")
    assert ("UNVERIFIABLE table.tags on 4 resources (t0, t1, t2 ...) — "
            "list_tags_of_resource answered: UnknownOperationException") in lines
    assert sum(line.startswith("UNVERIFIABLE") for line in lines) == 2


# ------------------------------------------------------------------ not applicable, ERROR, not run


def test_not_applicable_neither_blocks_nor_passes() -> None:
    replicas = v(NOT_APPLICABLE, "drill.replication_lag", "orders-sit", "not applicable: no replica region")
    assert run_verdict([v(PASS), replicas]) == READY
    assert run_verdict([replicas]) == INCOMPLETE  # nothing applicable was judged: never READY
    r = report(v(PASS), replicas)
    assert r.summary["not_applicable"] == 1
    assert "1 not applicable" in r.verdict_line()
    assert r.criteria()[1]["status"] == NOT_APPLICABLE
    assert "| Drills | ➖ | 0 pass, 0 fail, 0 unverifiable, 1 not applicable |" in r.to_markdown()


def test_an_error_run_says_why_and_is_never_ready(tmp_path: Path) -> None:
    r = report(v(PASS))
    r.error = "moto at http://127.0.0.1:1 does not answer like DynamoDB: ListTables answered connection refused"
    assert r.verdict == ERROR
    json_path, md_path = r.write(tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["verdict"] == ERROR and data["error"] == r.error
    md = md_path.read_text(encoding="utf-8")
    assert "**Status**: 🛑 **ERROR**" in md and "connection refused" in md and "NO VERDICT" in md
    assert r.console_lines()[0] == f"ERROR {r.error}"


def test_not_run_drills_are_listed_with_what_would_run_them() -> None:
    r = report(v(PASS), v(UNVERIFIABLE, "drill.restore.pitr", "orders-sit", "not run: a live AWS account is read-only"))
    r.not_run = [{"id": "drill.restore.pitr", "resource": "orders-sit", "status": UNVERIFIABLE,
                  "reason": "not run: a live AWS account is read-only", "needs": "--allow restore,writes"}]
    assert r.verdict == INCOMPLETE
    md = r.to_markdown()
    section = md.split("## NOT EXERCISED BY THIS RUN (1)", 1)[1].split("## WHERE EACH", 1)[0]
    assert "| drill.restore.pitr | orders-sit | UNVERIFIABLE | not run: a live AWS account is read-only | " \
           "--allow restore,writes |" in section
    assert "1 drills not run" in r.verdict_line()


# ------------------------------------------------------------------------------------- strict JSON


def _refuse_constant(name: str) -> object:
    raise ValueError(f"not strict JSON: {name}")


def strict_load(text: str) -> object:
    """A strict parser: Python's json refuses NaN/Infinity only when told to."""
    return json.loads(text, parse_constant=_refuse_constant)


HOSTILE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True) | st.binary(max_size=20) | st.text(max_size=20)
    | st.datetimes(timezones=st.just(UTC)) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    | st.frozensets(st.integers(), max_size=3) | st.tuples(children, children),
    max_leaves=20)


@given(expected=HOSTILE, actual=HOSTILE, figure=st.floats(allow_nan=True, allow_infinity=True))
def test_readiness_json_is_strict_whatever_the_account_holds(tmp_path_factory: pytest.TempPathFactory,
                                                             expected: object, actual: object, figure: float) -> None:
    r = report(v(FAIL, expected=expected, actual=actual), v(PASS, actual={"n": actual}))
    r.measurements = [{"id": "drill.load", "resource": "orders-sit", "status": PASS, "reason": "ok",
                       "figures": [{"name": "p99", "value": figure, "unit": "ms"}]}]
    r.provenance = {"options": {"deadline": float("inf"), "raw": actual}}
    json_path, _ = r.write(tmp_path_factory.mktemp("strict"))
    data = strict_load(json_path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data["verdict"] == BLOCKED
    json.dumps(data, allow_nan=False)  # raises on a non-finite number anywhere in what was parsed
    assert data["checks"][0]["expected"] == report_module.strict(expected)  # the evidence is kept, not dropped


def test_strict_names_what_it_cannot_write() -> None:
    from decimal import Decimal

    assert report_module.strict([float("nan"), float("inf"), -float("inf"), Decimal("NaN"), Decimal("1.50"),
                                 Decimal("3"), b"\x00\xff", {1: "a"}]) == [
        "NaN", "Infinity", "-Infinity", "NaN", 1.5, 3, "AP8=", {"1": "a"}]


# ------------------------------------------------------------------------ for approvers (ADR 0071, 0072)

MISSING_USERS = [
    v(FAIL, "table.exists", "users-sit", "users-sit does not exist", "table users-sit in eu-west-1", None),
    *[v(FAIL, check_id, "users-sit", "users-sit does not exist", "table users-sit in eu-west-1", None)
      for check_id in ("table.key_schema", "table.billing_mode", "table.pitr", "table.stream", "table.tags")],
    *[v(FAIL, check_id, f"users-sit/{gsi}", "users-sit does not exist", "table users-sit in eu-west-1", None)
      for gsi in ("EmailIndex", "OrganisationIndex") for check_id in ("gsi.status", "gsi.projection")],
    v(FAIL, "backup.vault_tags", "bbws-dynamodb-backup-vault-sit",
      "bbws-dynamodb-backup-vault-sit in eu-west-1 does not exist", {"Environment": "sit"}, None),
    v(FAIL, "table.stream", "products-sit", "no stream", "NEW_AND_OLD_IMAGES", None),
    v(PASS, "table.billing_mode", "tenants-sit", "billed on demand", "PAY_PER_REQUEST", "PAY_PER_REQUEST"),
]


def live(r: Report, commit: str | None = "0123456789abcdef0123456789abcdef01234567") -> Report:
    r.target = "AWS"
    r.provenance = {"git_commit": commit, "options": {"target": "aws"}}
    return r


def test_a_missing_table_is_one_root_cause_with_its_dependents_counted() -> None:
    causes = root_causes(report(*MISSING_USERS).to_json()["checks"])
    assert [(c["resource"], c["failed"], c["dependent_checks"]) for c in causes] == [
        ("users-sit", 10, 9), ("bbws-dynamodb-backup-vault-sit", 1, 0), ("products-sit", 1, 0)]
    assert causes[0]["cause"] == "users-sit does not exist (9 dependent checks)"
    assert causes[0]["root"]["id"] == "table.exists"  # the check on the table itself, not a GSI's
    assert {d["resource"] for d in causes[0]["dependents"]} == {"users-sit", "users-sit/EmailIndex",
                                                                "users-sit/OrganisationIndex"}
    assert causes[2]["cause"] == "products-sit: table.stream: no stream"
    # collapsing only groups: every failure is still counted, and the markdown names each blocker once
    assert sum(c["failed"] for c in causes) == report(*MISSING_USERS).summary["fail"]
    md = report(*MISSING_USERS).to_markdown()
    assert "### 1. users-sit (10 failed): users-sit does not exist (9 dependent checks)" in md
    assert "12 failed checks from 3 root causes." in md


def test_a_missing_resource_with_other_failures_keeps_them_in_full() -> None:
    lookalike = v(FAIL, "table.lookalikes", "users-sit", "tables named like users-sit: users", "none", ["users"])
    [cause] = root_causes([c.to_dict() for c in (*MISSING_USERS[:3], lookalike)])
    assert cause["cause"] == "users-sit does not exist (2 dependent checks); 1 other failure"
    assert [f["id"] for f in cause["failures"]] == ["table.lookalikes"]


def test_an_emulator_or_plan_run_is_a_pre_check_and_never_promotable() -> None:
    for target, kind in (("embedded moto", "moto"), ("DynamoDB Local (started by the suite)", "dynamodb-local"),
                         ("Terraform plan plan.json", "plan"), ("aws at http://127.0.0.1:4566", "unknown")):
        r = report(v(PASS))
        r.target = target
        r.provenance = {"git_commit": "0123456789abcdef"}
        p = r.to_json()["approval"]
        assert (target_kind(r.to_json()), p["promotable"], p["evidence"]) == (kind, False, "pre-check")
        assert p["because"].startswith("this run is a pre-check on")
        assert r.to_markdown().splitlines()[2].startswith(
            "**SIT promotable**: ❌ **no**, because this run is a pre-check")


def test_only_a_ready_live_run_on_a_clean_commit_is_promotable() -> None:
    ready = live(report(v(PASS)))
    assert ready.to_json()["approval"]["promotable"] is True
    assert ready.to_json()["approval"]["headline"].startswith("SIT promotable: yes, because the live run on aws")
    assert "**SIT promotable**: ✅ **yes**" in ready.to_markdown()
    for r, why in ((live(report(*MISSING_USERS)), "BLOCKED by 3 root causes: users-sit does not exist"),
                   (live(report(v(PASS), v(UNVERIFIABLE))), "INCOMPLETE"),
                   (live(report(v(PASS)), commit=None), "names no commit"),
                   (live(report(v(PASS)), commit="0123+dirty"), "uncommitted changes")):
        p = promotion(r.to_json())
        assert p["promotable"] is False and why in p["because"], (why, p["because"])
    errored = live(report(v(PASS)))
    errored.error = "the account is not SIT's"
    assert "could not use its target" in promotion(errored.to_json())["because"]


def test_a_pass_row_shows_its_expected_and_actual_values() -> None:
    md = report(*MISSING_USERS).to_markdown()
    actual = md.split("## ACTUAL RESOURCES", 1)[1].split("## DISCREPANCIES", 1)[0]
    assert "| Check | Resource | Status | Expected | Actual |" in actual
    assert "| table.billing_mode | tenants-sit | PASS | PAY_PER_REQUEST | PAY_PER_REQUEST |" in actual


def test_gaps_are_grouped_by_reason_with_the_resource_taken_out() -> None:
    gaps = [v(UNVERIFIABLE, "table.replicas", f"{t}-prod", f"describe_table({t}-prod)@af-south-1 answered no Replicas")
            for t in ("tenants", "orders", "users")]
    na = [v(NOT_APPLICABLE, "table.replicas", f"{t}-sit", "not applicable: sit has no replica region")
          for t in ("tenants", "orders")]
    data = report(v(PASS), *gaps, *na).to_json()
    assert [(g["status"], g["reason"], g["count"]) for g in data["approval"]["gaps"]] == [
        ("unverifiable", "describe_table(…)@af-south-1 answered no Replicas", 3),
        ("not_applicable", "not applicable: sit has no replica region", 2)]
    md = report(v(PASS), *gaps, *na).to_markdown()
    assert "| table.replicas | 3: tenants-prod, orders-prod, users-prod | describe_table(…)@af-south-1 answered " \
           "no Replicas |" in md
    assert "## NOT APPLICABLE (2)" in md


def test_emulator_timings_are_labelled_as_no_evidence_of_aws() -> None:
    r = report(v(PASS))
    r.measurements = [{"id": "drill.restore.pitr", "resource": "orders-sit", "status": PASS, "reason": "restored",
                       "figures": [{"name": "rto", "value": 0.05, "unit": "s", "target": 3600, "limit": "max"}]}]
    assert "not evidence of AWS behaviour" in r.to_markdown()
    assert "not evidence of AWS behaviour" not in live(r).to_markdown()


def test_the_step_summary_is_the_headline_quick_status_and_root_causes() -> None:
    text = summary_markdown(report(*MISSING_USERS).to_json())
    assert text.startswith("## ❌ SIT on embedded moto: BLOCKED")
    assert "SIT promotable: no, because this run is a pre-check on embedded moto" in text
    assert "### Blockers (3 root causes, 12 failed checks)" in text
    assert "- **users-sit does not exist (9 dependent checks)**" in text
    assert "table.stream" not in text.split("- **users-sit", 1)[1].split("\n", 1)[0]
