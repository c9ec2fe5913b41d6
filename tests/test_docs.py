"""The living documentation: the page model (blockers, gaps, scenario verdicts), the site and its bad input.

The reports here are hand-made in the shapes of readiness.json (with the drills' ``measurements``)
and pytest-bdd's cucumber JSON; one test makes a real acceptance run to prove that an UNVERIFIABLE
scenario reaches the cucumber JSON as skipped rather than passed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from docs_reports import MEASUREMENTS, check, element, write_report

from readiness.cli import main
from readiness.report.site import build_site, write_site
from readiness.report.site_input import DocsError
from readiness.report.site_load import annotate_skips
from readiness.report.site_model import FAILED, NOT_RUN, PASSED, SKIPPED, Figure, Measurement
from readiness.report.site_render import charts, render_site, summary_charts

REPO = Path(__file__).resolve().parent.parent

FEATURE = """\
@acceptance
Feature: Tables
  As the DBA who owns the contract
  I want every table to exist as the contract defines it
  So that the services find their tables

  Background:
    Given the contract of the environment under test

  @tables_created
  Scenario: All five tables are created
    Then every table exists

  @on_demand
  Scenario: Every table is billed on demand
    Then every table is billed on demand

  @ttl
  Scenario: No table expires items
    Then no table expires items by TTL

  @tags
  Scenario: Every table is tagged
    Then every table carries the tags
"""


@pytest.fixture
def features(tmp_path: Path) -> Path:
    d = tmp_path / "features"
    d.mkdir()
    (d / "tables.feature").write_text(FEATURE, encoding="utf-8")
    return d


def results(site: Any, scenario: str) -> dict[str, str]:
    sc = next(s for f in site.features for s in f.scenarios if s.name == scenario)
    return {run.slug: r.status for run, r in sc.results}


# ============================================================================ the page model


def test_a_failing_check_appears_among_the_blockers(tmp_path: Path, features: Path) -> None:
    run = write_report(tmp_path / "moto", checks=[
        check("table.billing_mode", "fail", resource="orders-sit", reason="billed by provisioned capacity",
              actual="PROVISIONED"),
        check("table.billing_mode", "pass", resource="users-sit"),
    ])
    site = build_site([run], features)
    assert [(b.run.slug, b.id, b.resource, b.expected, b.actual, b.reason) for b in site.blockers] == [
        ("moto", "table.billing_mode", "orders-sit", "PAY_PER_REQUEST", "PROVISIONED",
         "billed by provisioned capacity")]
    assert site.runs[0].verdict == "BLOCKED"
    assert site.gaps == []


def test_an_unverifiable_check_appears_with_its_reason_and_is_no_blocker(tmp_path: Path, features: Path) -> None:
    reason = "list_backup_selections(bbws-dynamodb-backup-plan-sit)@eu-west-1 answered: not implemented"
    run = write_report(tmp_path / "moto", checks=[
        check("backup.selection", "unverifiable", resource="plan-sit", reason=reason, actual=None),
        check("table.pitr", "unverifiable", resource="orders-sit", reason="UnknownOperationException"),
        check("table.pitr", "unverifiable", resource="users-sit", reason="UnknownOperationException"),
        check("table.billing_mode", "pass"),
    ])
    site = build_site([run], features)
    assert site.blockers == []
    assert [(g.id, g.reason, g.resources) for g in site.gaps] == [
        ("backup.selection", reason, ("plan-sit",)),
        ("table.pitr", "UnknownOperationException", ("orders-sit", "users-sit")),
    ]
    html = render_site(site)["index.html"]
    assert reason in html and 'id="gaps"' in html


def test_a_run_without_checks_is_a_gap_not_a_clean_bill(tmp_path: Path, features: Path) -> None:
    site = build_site([write_report(tmp_path / "moto", checks=[])], features)
    assert site.runs[0].verdict == "INCOMPLETE"
    assert [(g.kind, g.reason) for g in site.gaps] == [
        ("run", "the run reported no check at all: nothing was verified")]


def test_a_scenario_without_a_result_is_not_run_never_passed(tmp_path: Path, features: Path) -> None:
    reported = write_report(tmp_path / "moto", elements=[element("All five tables are created", "passed")])
    no_cucumber = write_report(tmp_path / "ddblocal", target="DynamoDB Local")
    site = build_site([reported, no_cucumber], features)
    assert results(site, "All five tables are created") == {"moto": PASSED, "ddblocal": NOT_RUN}
    assert results(site, "Every table is billed on demand") == {"moto": NOT_RUN, "ddblocal": NOT_RUN}
    page = render_site(site)["features/tables.html"]
    section = page.split('data-scenario="Every table is billed on demand"')[1].split("</section>")[0]
    assert 'data-status="not run"' in section and "passed" not in section


def test_a_skipped_scenario_is_unverifiable_and_a_failed_one_failed_with_its_message(
        tmp_path: Path, features: Path) -> None:
    run = write_report(tmp_path / "moto", elements=[
        element("All five tables are created", "passed", "failed", error="orders-sit: expected ACTIVE"),
        element("Every table is billed on demand", "passed", "skipped"),
        element("No table expires items", "passed", "undefined"),
        element("Every table is tagged"),
    ])
    sc = {s.name: r for s in build_site([run], features).features[0].scenarios for _, r in s.results}
    assert sc["All five tables are created"].status == FAILED
    assert "orders-sit: expected ACTIVE" in sc["All five tables are created"].message
    assert sc["Every table is billed on demand"].status == SKIPPED
    assert sc["No table expires items"].status == NOT_RUN, "a step that is neither passed nor failed is no pass"
    assert sc["Every table is tagged"].status == NOT_RUN, "a scenario with no step result is no pass"


def test_annotate_skips_gives_each_skipped_step_its_reason(tmp_path: Path) -> None:
    run = write_report(tmp_path / "moto", elements=[element("A", "passed", "skipped"), element("B", "passed")])
    annotate_skips(run / "cucumber.json", {"A": "UNVERIFIABLE on moto: plan-sit: not implemented", "B": "no"})
    data = json.loads((run / "cucumber.json").read_text())
    assert [[s["result"].get("error_message") for s in e["steps"]] for e in data[0]["elements"]] == [
        [None, "UNVERIFIABLE on moto: plan-sit: not implemented"], [None]]
    annotate_skips(tmp_path / "absent.json", {"A": "x"})
    assert not (tmp_path / "absent.json").exists()


def test_outline_examples_fold_into_the_worst_result(tmp_path: Path, features: Path) -> None:
    run = write_report(tmp_path / "moto", elements=[
        element("All five tables are created", "passed"), element("All five tables are created", "skipped"),
        element("All five tables are created", "passed")])
    assert results(build_site([run], features), "All five tables are created") == {"moto": SKIPPED}


def test_the_feature_keeps_its_narrative_background_and_steps(tmp_path: Path, features: Path) -> None:
    feature = build_site([write_report(tmp_path / "moto")], features).features[0]
    assert (feature.slug, feature.name, feature.tags) == ("tables", "Tables", ["acceptance"])
    assert feature.description.splitlines()[0] == "As the DBA who owns the contract"
    assert [(s.keyword, s.text) for s in feature.background] == [
        ("Given", "the contract of the environment under test")]
    assert [(s.name, s.tags, [st.text for st in s.steps]) for s in feature.scenarios][1] == (
        "Every table is billed on demand", ["on_demand"], ["every table is billed on demand"])


def test_drills_failed_are_blockers_and_unmeasured_are_gaps(tmp_path: Path, features: Path) -> None:
    site = build_site([write_report(tmp_path / "moto", measurements=MEASUREMENTS)], features)
    assert [(b.kind, b.id, b.actual) for b in site.blockers] == [
        ("drill", "drill.load", {"p99": "1.4 s", "achieved_rate": "990 ops/s"})]
    assert [(g.kind, g.id, g.reason) for g in site.gaps] == [
        ("drill", "drill.replication.lag", "the target ignores replicas")]
    assert [m.id for _, m in site.measurements] == ["drill.restore.pitr", "drill.load", "drill.replication.lag"]


def test_a_drill_the_engine_also_reports_as_a_check_is_listed_once(tmp_path: Path, features: Path) -> None:
    """The engine adds each measurement's verdict to checks: one blocker or gap per drill, not two."""
    as_checks = [check(m["id"], m["status"], resource=m["resource"], reason=m["reason"]) for m in MEASUREMENTS]
    site = build_site([write_report(tmp_path / "moto", checks=as_checks, measurements=MEASUREMENTS)], features)
    assert [(b.kind, b.id, b.reason) for b in site.blockers] == [("drill", "drill.load", "p99 above its target")]
    assert [(g.kind, g.id, g.resources) for g in site.gaps] == [("drill", "drill.replication.lag", ("orders-prod",))]


def test_reports_without_measurements_are_fine(tmp_path: Path, features: Path) -> None:
    site = build_site([write_report(tmp_path / "moto")], features)
    assert site.measurements == []
    assert "No drill measurements in this run." in render_site(site)["measurements.html"]


@pytest.mark.parametrize(("figure", "met"), [
    (Figure("rto", 12.3, "s", 3600, "max"), True), (Figure("rto", 4000, "s", 3600, "max"), False),
    (Figure("rate", 990, "ops/s", 1000, "min"), False), (Figure("rate", 1000, "ops/s", 1000, "min"), True),
    (Figure("p99", None, "s", 1.0, "max"), None), (Figure("p50", 0.05, "s"), None),
])
def test_a_figure_is_met_only_when_measured_within_its_target(figure: Figure, met: bool | None) -> None:
    assert figure.met is met


def test_only_targets_and_percentile_series_are_charted() -> None:
    counts = (Figure("items", 4, "count"), Figure("index_lookups", 12, "count"))
    lag = (Figure("lag_p50", 0.2, "s"), Figure("lag_p99", 0.6, "s"), Figure("samples", 50, "count"))
    assert charts(counts) == []
    assert [unit for unit, _ in charts(lag)] == ["s"]


def test_the_overview_draws_one_bar_per_resource_for_each_targeted_figure() -> None:
    def restore(resource: str, rto: float | None) -> Measurement:
        return Measurement("drill.restore.pitr", "", resource, "pass", "",
                           (Figure("rto", rto, "s", 3600, "max"), Figure("items", 4, "count")))
    overview = summary_charts([restore("orders-sit", 12.3), restore("users-sit", 4000), restore("tenants-sit", None)])
    assert [title for title, _ in overview] == ["drill.restore.pitr: rto (s)"], "counts without target: no chart"
    svg = str(overview[0][1])
    assert [t in svg for t in ("orders-sit", "users-sit", "tenants-sit")] == [True, True, True]
    assert svg.count('class="chart-ok"') == 1 and svg.count('class="chart-bad"') == 1 and "not measured" in svg
    assert summary_charts([restore("orders-sit", 12.3)]) == [], "one resource: its own section says it all"


def test_charts_are_inline_svg_one_per_unit_coloured_by_target() -> None:
    figures = tuple(Figure(**f) for f in MEASUREMENTS[1]["figures"])  # type: ignore[arg-type]
    drawn = charts(figures)
    assert [unit for unit, _ in drawn] == ["s", "ops/s"]
    seconds, rate = (str(svg) for _, svg in drawn)
    assert seconds.startswith("<svg") and seconds.count('class="chart-target"') == 1
    assert 'class="chart-plain"' in seconds and 'class="chart-bad"' in seconds  # p50 no target, p99 missed
    assert "990 ops/s (target ≥ 1,000 ops/s)" in rate and 'class="chart-bad"' in rate
    unmeasured = str(charts((Figure("p99", None, "s", 1.0, "max"),))[0][1])
    assert "not measured" in unmeasured and "chart-ok" not in unmeasured and "chart-bad" not in unmeasured


# ============================================================================ the site and the CLI


def test_the_site_is_self_contained_and_links_each_feature(tmp_path: Path, features: Path, capsys: Any) -> None:
    run = write_report(tmp_path / "reports" / "moto", elements=[element("All five tables are created", "passed")],
                       measurements=MEASUREMENTS)
    out = tmp_path / "site"
    assert main(["docs", "--reports", str(run), "--out", str(out), "--features", str(features)]) == 0
    assert "site: " in capsys.readouterr().out
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html"))
    assert pages == ["features/tables.html", "index.html", "measurements.html", "runs/moto.html"]
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html), f"{page.name} refers to something online"
        for link in re.findall(r'href="([^"#]+)', html):
            assert (page.parent / link).resolve().exists(), f"{page.name} links to a missing {link}"
    assert 'href="features/tables.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "measurements.html").read_text(encoding="utf-8").count("<svg") == 4


def test_a_directory_of_report_directories_is_every_run_in_it(tmp_path: Path, features: Path) -> None:
    write_report(tmp_path / "reports" / "moto")
    write_report(tmp_path / "reports" / "ddblocal", target="DynamoDB Local")
    (tmp_path / "reports" / "not-a-run").mkdir()
    site = build_site([tmp_path / "reports"], features)
    assert [(r.slug, r.target) for r in site.runs] == [("ddblocal", "DynamoDB Local"), ("moto", "embedded moto")]


def _docs(tmp_path: Path, features: Path, *reports: Path) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "readiness", "docs", "--reports", *map(str, reports),
                           "--out", str(tmp_path / "site"), "--features", str(features)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: None, r"^error: .*/missing: expected a report directory holding readiness\.json"),
    (lambda d: d.mkdir(), r"^error: .*/missing: expected readiness\.json, or report directories holding one"),
    (lambda d: (d.mkdir(), (d / "readiness.json").write_text("{not json")),
     r"^error: .*/missing/readiness\.json: expected a readiness report in JSON \(line 1"),
    (lambda d: write_report(d, checks=[check("table.ttl", "ok")]),
     r"^error: .*/missing/readiness\.json: /checks/0/status: expected a readiness report: 'ok' is not one of"),
    (lambda d: (write_report(d), (d / "cucumber.json").write_text('{"features": 1}')),
     r"^error: .*/missing/cucumber\.json: /: expected pytest-bdd's cucumber JSON"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, features: Path, make: Any,
                                                          expected: str) -> None:
    make(tmp_path / "missing")
    code, _, err = _docs(tmp_path, features, tmp_path / "missing")
    assert code == 2
    assert re.search(expected, err), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "site").exists()


def test_a_gherkin_error_names_the_feature_file(tmp_path: Path, features: Path) -> None:
    (features / "broken.feature").write_text("Feature: x\n  Scenario: y\n    Then z\n  Oops: not gherkin\n")
    with pytest.raises(DocsError, match=r"broken\.feature: expected Gherkin \("):
        build_site([write_report(tmp_path / "moto")], features)


def test_the_site_replaces_an_earlier_build_but_never_other_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site({"index.html": "one"}, out)
    write_site({"index.html": "two"}, out)
    assert (out / "index.html").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["site"], "no temporary directory is left behind"
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.md").write_text("mine")
    with pytest.raises(DocsError, match="holds other files"):
        write_site({"index.html": "three"}, precious)
    assert [p.name for p in precious.iterdir()] == ["notes.md"]


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_an_unverifiable_scenario_is_skipped_in_the_real_cucumber_json(tmp_path: Path) -> None:
    """pytest-bdd alone would report a scenario that called pytest.skip as passed (conftest fixes that)."""
    env = {**os.environ, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance and (backup_selection or on_demand)",
                           "--env=sit", "--target=moto", f"--report-dir={tmp_path}",
                           f"--cucumberjson={tmp_path / 'cucumber.json'}", "-p", "no:cacheprovider", "-q"],
                          capture_output=True, text=True, cwd=REPO, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    site = build_site([tmp_path])
    run = site.runs[0].slug
    assert results(site, "The backup plan is applied to every table") == {run: SKIPPED}
    skipped = next(r for f in site.features for s in f.scenarios for _, r in s.results
                   if s.name == "The backup plan is applied to every table")
    assert skipped.message.startswith("UNVERIFIABLE on embedded moto: bbws-dynamodb-tables-sit: "
                                      "list_backup_selections("), "the skip's evidence reaches the feature page"
    assert results(site, "On-demand capacity mode is confirmed for every table") == {run: PASSED}
    assert results(site, "PITR is enabled on every table") == {run: NOT_RUN}


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def _uploads_site(steps: list[dict[str, Any]]) -> bool:
    return any(str(s.get("uses", "")).startswith("actions/upload-artifact@") and "!cancelled()" in str(s.get("if"))
               and {"site", "reports/docs-screenshot.png"} <= set(str(s["with"]["path"]).split()) for s in steps)


def test_the_pipeline_publishes_the_site_and_its_screenshot() -> None:
    validate = _workflow("validate.yml")["jobs"]
    docs = [job for job in validate.values() if any("tox -e docs" in str(s.get("run")) for s in job["steps"])]
    assert len(docs) == 1, "validate.yml: one job runs tox -e docs"
    assert {"moto", "ddblocal"} <= set(docs[0]["needs"]), "the docs job reads the acceptance jobs' reports"
    assert _uploads_site(docs[0]["steps"])
    # the three apply-<env>.yml call apply.yml (ADR 0073): its site job, after the verifying job, builds and
    # uploads the site of that run's report (without AWS credentials)
    for env in ("dev", "sit", "prod"):
        callers = _workflow(f"apply-{env}.yml")["jobs"].values()
        assert "./.github/workflows/apply.yml" in {job.get("uses") for job in callers}
    apply = _workflow("apply.yml")["jobs"]
    live = next(job_id for job_id, job in apply.items()
                if any("tox -e ${{ inputs.environment }}-live" in str(s.get("run")) for s in job["steps"]))
    site = [job for job in apply.values() if live in ([job["needs"]] if isinstance(job.get("needs"), str)
                                                      else job.get("needs") or [])
            and any("tox -e docs" in str(s.get("run")) for s in job["steps"])]
    assert len(site) == 1, "apply.yml: no job after the verification runs tox -e docs"
    assert _uploads_site(site[0]["steps"]), "apply.yml: the site is not uploaded"
    assert not any("configure-aws-credentials" in str(s.get("uses")) for s in site[0]["steps"])


# ============================================================================ for approvers (ADR 0071, 0072)

COMMIT_A, COMMIT_B = "a" * 40, "b" * 40


def missing_table(name: str = "users-sit") -> list[dict[str, Any]]:
    gone = f"{name} does not exist"
    return [check("table.exists", "fail", resource=name, reason=gone, expected=f"table {name}", actual=None),
            *[check(c, "fail", resource=name, reason=gone, expected=f"table {name}", actual=None)
              for c in ("table.key_schema", "table.billing_mode", "table.pitr", "table.tags")],
            *[check(c, "fail", resource=f"{name}/EmailIndex", reason=gone, expected=f"table {name}", actual=None)
              for c in ("gsi.status", "gsi.key_schema", "gsi.projection")]]


def test_a_missing_table_is_one_root_cause_blocker_with_its_dependents_counted(tmp_path: Path,
                                                                                features: Path) -> None:
    run = write_report(tmp_path / "moto", checks=[
        *missing_table(), check("table.stream", "fail", resource="products-sit", reason="no stream", actual=None),
        check("table.billing_mode", "pass", resource="tenants-sit")])
    site = build_site([run], features)
    assert [(rc.resource, rc.cause, rc.dependents, len(rc.blockers)) for rc in site.root_causes] == [
        ("users-sit", "users-sit does not exist (7 dependent checks)", 7, 8),
        ("products-sit", "products-sit: table.stream: no stream", 0, 1)]
    assert sum(len(rc.blockers) for rc in site.root_causes) == len(site.blockers) == 9  # nothing hidden
    html = render_site(site)["index.html"]
    assert "Blockers (2 root causes, 9 failed checks)" in html
    assert html.count('class="root-cause"') == 2 and html.count('class="blocker"') == 9


def test_an_emulator_only_history_never_says_promotable(tmp_path: Path, features: Path) -> None:
    targets = [("embedded moto", "moto"), ("LocalStack at http://localhost:4566", "localstack"),
               ("DynamoDB Local", "dynamodb-local"), ("Terraform plan p.json", "plan")]
    runs = [write_report(tmp_path / f"r{i}", target=target, kind=kind, commit=COMMIT_A,
                         started=f"2026-12-0{i + 1}T10:00:00Z") for i, (target, kind) in enumerate(targets)]
    site = build_site(runs, features)
    assert all(r.verdict == "READY" for r in site.runs)
    [h] = site.headlines
    assert (h.environment, h.promotable, h.live) == ("sit", False, None)
    assert h.text.startswith("SIT promotable: no, because no run on the live target (aws) yet: 4 pre-check runs")
    assert {r.kind for r in h.prechecks} == {"moto", "localstack", "dynamodb-local", "plan"}
    html = render_site(site)["index.html"]
    assert 'data-promotable="no"' in html and "SIT promotable: yes" not in html


def test_only_a_ready_live_run_of_the_commit_being_promoted_says_yes(tmp_path: Path, features: Path) -> None:
    moto = write_report(tmp_path / "moto", kind="moto", commit=COMMIT_B, started="2026-12-01T11:00:00Z")
    live_a = write_report(tmp_path / "aws-a", target="AWS", kind="aws", commit=COMMIT_A,
                          started="2026-12-01T10:00:00Z")
    # the live READY run verified commit A; the newest run (moto) is of commit B: B is not promotable yet
    [h] = build_site([moto, live_a], features).headlines
    assert not h.promotable and h.commit == COMMIT_B
    assert "no live run of commit bbbbbbbbbbbb being promoted" in h.because
    # promoting A: its live run is READY
    [h] = build_site([moto, live_a], features, commit=COMMIT_A).headlines
    assert h.promotable and h.text.startswith("SIT promotable: yes, because the live run on aws is READY")
    # a later live run of A that is BLOCKED takes it back
    blocked = write_report(tmp_path / "aws-a2", target="AWS", kind="aws", commit=COMMIT_A,
                           started="2026-12-01T12:00:00Z", checks=missing_table())
    [h] = build_site([moto, live_a, blocked], features, commit=COMMIT_A).headlines
    assert not h.promotable and "BLOCKED by 1 root cause: users-sit does not exist (7 dependent checks)" in h.because
    # uncommitted changes are no commit to promote
    dirty = write_report(tmp_path / "aws-dirty", target="AWS", kind="aws", commit=COMMIT_A + "+dirty",
                         started="2026-12-01T13:00:00Z")
    [h] = build_site([dirty], features).headlines
    assert not h.promotable and "uncommitted changes" in h.because


def test_a_pass_row_shows_its_expected_and_actual_values(tmp_path: Path, features: Path) -> None:
    run = write_report(tmp_path / "moto", checks=[
        check("table.pitr", "pass", resource="users-sit", expected={"enabled": True, "recovery_days": 35},
              actual={"enabled": True, "recovery_days": 35}),
        check("table.billing_mode", "fail", resource="orders-sit", actual="PROVISIONED")])
    site = build_site([run], features)
    [row] = [c for c in site.runs[0].rows() if c.status == "pass"]
    assert row.expected == row.actual == {"enabled": True, "recovery_days": 35}
    assert [c.status for c in site.runs[0].rows()] == ["fail", "pass"]  # failures first
    page = render_site(site)["runs/moto.html"]
    tr = re.search(r'<tr class="check" data-status="pass".*?</tr>', page, re.S)
    assert tr is not None
    assert tr.group(0).count("enabled: True; recovery_days: 35") == 2  # expected and actual, both shown


def test_gaps_are_one_row_per_reason_and_target_not_per_table(tmp_path: Path, features: Path) -> None:
    tables = ("tenants-prod", "products-prod", "orders-prod")
    run = write_report(tmp_path / "moto", checks=[
        check("table.replicas", "unverifiable", resource=t,
              reason=f"describe_table({t})@af-south-1 answered no Replicas") for t in tables])
    [gap] = build_site([run], features).gaps
    assert (gap.id, gap.resources) == ("table.replicas", tables)
    assert gap.reason == "describe_table(…)@af-south-1 answered no Replicas"


def test_the_history_keeps_the_last_n_runs_per_environment_and_target(tmp_path: Path, features: Path) -> None:
    out = tmp_path / "site"
    for i, verdict_checks in enumerate([missing_table(), [check("table.pitr", "unverifiable", reason="x")],
                                        [check("table.pitr", "pass")], [check("table.pitr", "pass")]]):
        run = write_report(tmp_path / f"build{i}" / "moto", kind="moto", commit=COMMIT_A, checks=verdict_checks,
                           started=f"2026-12-0{i + 1}T10:00:00Z")
        assert main(["docs", "--reports", str(run), "--out", str(out), "--features", str(features),
                     "--keep", "3"]) == 0
    kept = sorted(p.parent.name for p in (out / "history").glob("*/readiness.json"))
    assert len(kept) == 3 and "2026-12-01" not in " ".join(kept), kept  # the oldest build fell out
    html = (out / "index.html").read_text(encoding="utf-8")
    trend = html.split('id="history"', 1)[1].split('id="features"', 1)[0]
    assert re.findall(r'class="history-run" data-verdict="(\w+)"', trend) == ["READY", "READY", "INCOMPLETE"]
    assert trend.count('class="trend-run"') == 3


def test_each_scenario_shows_its_criterion_from_the_seeds(tmp_path: Path, features: Path) -> None:
    site = build_site([write_report(tmp_path / "moto")], features)
    scenario = next(s for s in site.features[0].scenarios if s.name == "Every table is billed on demand")
    assert scenario.criteria == [("on_demand", "003 SIT Success - on-demand capacity mode confirmed")]
    page = render_site(site)["features/tables.html"]
    assert "003 SIT Success - on-demand capacity mode confirmed" in page


def test_emulator_timings_are_never_drawn_green(tmp_path: Path, features: Path) -> None:
    restore = [{"id": "drill.restore.pitr", "resource": "orders-sit", "status": "pass", "reason": "restored",
                "figures": [{"name": "rto", "value": 0.05, "unit": "s", "target": 3600, "limit": "max"}]}]
    emulated = write_report(tmp_path / "moto", kind="moto", measurements=restore)
    live_run = write_report(tmp_path / "aws", target="AWS", kind="aws", measurements=restore)
    page = render_site(build_site([emulated, live_run], features))["measurements.html"]
    moto_part, aws_part = page.split('id="run-aws"', 1)
    assert "Not evidence of AWS behaviour" in moto_part and "chart-ok" not in moto_part.split('id="run-moto"', 1)[1]
    assert "chart-emulator" in moto_part and "on the emulator only" in moto_part
    assert "chart-ok" in aws_part and "Not evidence of AWS behaviour" not in aws_part


def test_a_scenario_skipped_as_not_applicable_is_its_own_status(tmp_path: Path, features: Path) -> None:
    """steps/drills.py skips with "NOT APPLICABLE: ..." (annotate_skips puts it on the step): not a gap."""
    elements = [element("Every table is billed on demand", "passed", "skipped"),
                element("No table expires items", "passed", "skipped")]
    elements[0]["steps"][1]["result"]["error_message"] = "NOT APPLICABLE: the contract gives sit no replica region"
    elements[1]["steps"][1]["result"]["error_message"] = "UNVERIFIABLE on embedded moto: x"
    site = build_site([write_report(tmp_path / "moto", elements=elements)], features)
    assert results(site, "Every table is billed on demand") == {"moto": "not applicable"}
    assert results(site, "No table expires items") == {"moto": SKIPPED}
    assert site.features[0].counts(site.runs[0])["not applicable"] == 1
    assert 'data-status="not applicable"' in render_site(site)["features/tables.html"]


def test_a_hostile_provenance_is_refused_or_kept_to_a_short_file_name(tmp_path: Path, features: Path) -> None:
    long_env = "e" * 5000
    run = write_report(tmp_path / "moto", environment=long_env, kind="moto", commit="c" * 40,
                       started="2026-12-01T10:00:00Z")
    out = tmp_path / "site"
    assert main(["docs", "--reports", str(run), "--out", str(out), "--features", str(features)]) == 0
    [kept] = (out / "history").iterdir()
    assert len(kept.name) <= 91
    data = json.loads((run / "readiness.json").read_text(encoding="utf-8"))
    data["provenance"]["started"] = "x" * 65
    (run / "readiness.json").write_text(json.dumps(data), encoding="utf-8")
    code, _, err = _docs(tmp_path, features, run)
    assert code == 2 and "/provenance/started" in err and "Traceback" not in err


def test_feature_pages_show_the_examples_tables_qa_read_the_numbers_from(tmp_path: Path) -> None:
    """A Scenario Outline's Examples are on its page, each environment's row with the contract's number
    (ADR 0069): the retention row of every environment reads what the contract says."""
    from readiness.contract.loading import load_contract
    from readiness.report.site_model import FEATURES_DIR

    contract = load_contract()
    site = build_site([write_report(tmp_path / "moto")], FEATURES_DIR)
    page = render_site(site)[next(f"features/{f.slug}.html" for f in site.features if f.file == "backups.feature")]
    retention = page.split("Backups are kept for the environment&#39;s retention period", 1)[1].split("</section>")[0]
    tables = re.findall(r'<table class="examples">(.*?)</table>', retention, re.S)
    assert len(tables) == 1 and "<th>retention days</th>" in tables[0]
    for env in contract.environments.values():
        assert f"<td>{env.name}</td><td>{env.backup.retention_days}</td>" in tables[0], env.name
    scenario = next(s for f in site.features for s in f.scenarios if s.name.startswith("Backups are kept"))
    assert scenario.examples[0][0] == ["environment", "retention days"]
