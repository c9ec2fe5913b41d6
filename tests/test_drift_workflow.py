"""The drift watch (.github/workflows/drift.yml, ADR 0062), parsed like tests/test_workflows.py does.

- PROD hourly, DEV and SIT daily (and on demand): the environment-picking script is run for each
  schedule, and its regions are the contract's;
- read-only: OIDC with a read-only role secret, `tox -e <env>-live` without --allow, no terraform, no
  GitHub environment (whose approval gate would hold every scheduled run);
- the previous report comes back from the cache before the verification and the new one is saved
  after it; the compare script (run here for real on report files) writes the diff to the step
  summary, and the job fails when the verdict changed or a check started failing;
- actionlint passes. Each check is shown to name the problem on a mutated copy.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_workflows import (
    ACTIONLINT,
    Workflow,
    action,
    actionlint,
    check_oidc,
    check_permissions,
    check_pinned_actions,
    check_toolchain,
    contract_region,
    is_always,
    jobs,
    load,
    run_of,
    steps,
    tox_envs,
    triggers,
    with_of,
)

REPO = Path(__file__).resolve().parent.parent
NAME = "drift.yml"
HOURLY = re.compile(r"^\d{1,2} \* \* \* \*$")
DAILY = re.compile(r"^\d{1,2} \d{1,2} \* \* \*$")
CACHE_PATH = "drift-history/${{ matrix.environment }}"


def step_named(wf: Workflow, job_id: str, word: str) -> tuple[int, dict[str, Any]]:
    found = [(i, s) for i, s in enumerate(steps(jobs(wf)[job_id])) if word in str(s.get("name", ""))]
    assert found, f"job {job_id}: no step named like {word!r}"
    return found[0]


def crons(wf: Workflow) -> list[str]:
    return [str(c.get("cron")) for c in triggers(wf).get("schedule") or []]


# ============================================================================ checks


def check_triggers(wf: Workflow) -> list[str]:
    """A schedule with an hourly and a daily cron, and a manual dispatch; nothing a push or a PR can start."""
    problems = []
    kinds = set(triggers(wf))
    if kinds != {"schedule", "workflow_dispatch"}:
        problems.append(f"triggered by {sorted(kinds)}, expected schedule and workflow_dispatch only")
    found = crons(wf)
    if sum(bool(HOURLY.match(c)) for c in found) != 1 or sum(bool(DAILY.match(c)) for c in found) != 1 \
            or len(found) != 2:
        problems.append(f"schedule {found}: expected one hourly cron (M * * * *) and one daily cron (M H * * *)")
    return problems


def check_read_only(wf: Workflow) -> list[str]:
    """Reads only: no --allow, no terraform, no approval-gated environment, the live env of the matrix."""
    problems = []
    for job_id, job in jobs(wf).items():
        if "environment" in job:
            problems.append(f"job {job_id}: environment: {job['environment']!r} (its approval gate holds a "
                            "scheduled run)")
        for step in steps(job):
            text = run_of(step)
            if "--allow" in text or "READINESS_ALLOW" in json.dumps(step):
                problems.append(f"job {job_id}: step {step.get('name')!r} lets the verification write (--allow)")
            if re.search(r"\bterraform\b", text):
                problems.append(f"job {job_id}: step {step.get('name')!r} runs terraform")
    drift = jobs(wf).get("drift") or {}
    live = [s for s in steps(drift) if re.search(r'\btox -e "\$\{ENVIRONMENT\}-live"', run_of(s))]
    if not live:
        problems.append("job drift: no step runs `tox -e \"${ENVIRONMENT}-live\"`")
    if (drift.get("env") or {}).get("ENVIRONMENT") != "${{ matrix.environment }}":
        problems.append("job drift: ENVIRONMENT is not the matrix's environment")
    if any(s.get("continue-on-error") for s in steps(drift)):
        problems.append("job drift: a step has continue-on-error: a drift would pass")
    return problems


def check_history(wf: Workflow) -> list[str]:
    """The previous report is restored before the verification and this one saved after it, same path."""
    problems = []
    drift = steps(jobs(wf).get("drift") or {})
    restore = [i for i, s in enumerate(drift) if action(s) == "actions/cache/restore"]
    save = [i for i, s in enumerate(drift) if action(s) == "actions/cache/save"]
    verify = [i for i, s in enumerate(drift) if "-live" in run_of(s)]
    if not restore or not save or not verify:
        return ["job drift: the history needs actions/cache/restore before and actions/cache/save after the "
                "verification"]
    if not restore[0] < verify[0] < save[0]:
        problems.append("job drift: restore the previous report before the verification and save after it")
    r, s = with_of(drift[restore[0]]), with_of(drift[save[0]])
    if r.get("path") != CACHE_PATH or s.get("path") != CACHE_PATH:
        problems.append(f"job drift: the cache path must be {CACHE_PATH} for both restore and save")
    prefix = str(r.get("restore-keys", ""))
    if not prefix or not str(s.get("key", "")).startswith(prefix) or "github.run_id" not in str(s.get("key")):
        problems.append("job drift: the saved key must be unique per run (github.run_id) and start with the "
                        "restore-keys prefix, or the next run never finds this report")
    if not is_always(drift[save[0]]):
        problems.append("job drift: the report is not saved when the comparison fails (needs !cancelled())")
    return problems


def check_diff_and_alert(wf: Workflow) -> list[str]:
    """The diff goes to the step summary, and a last step fails the job on any change but 0."""
    problems = []
    drift = steps(jobs(wf).get("drift") or {})
    compare = [run_of(s) for s in drift if "readiness.diff" in run_of(s) or "readiness diff" in run_of(s)]
    written = re.search(r"readiness[ .]diff [^\n]*--markdown[^\n]*?>>? *(\S+)", compare[0]) if compare else None
    into = written.group(1) if written else ""
    if not written or (into != '"$GITHUB_STEP_SUMMARY"'
                       and not re.search(rf'cat {re.escape(into)} >> "\$GITHUB_STEP_SUMMARY"', compare[0])):
        problems.append("job drift: no step writes `readiness diff --markdown` to $GITHUB_STEP_SUMMARY")
    if not any(re.search(r'python -m readiness summary "reports/\$\{ENVIRONMENT\}-live" >> "\$GITHUB_STEP_SUMMARY"',
                         run_of(s)) and is_always(s) for s in drift):
        problems.append("job drift: no step (also when the run is BLOCKED) writes `python -m readiness summary` of "
                        "the report to $GITHUB_STEP_SUMMARY (ADR 0073)")
    alerts = [s for s in drift if "steps.diff.outputs.changed != '0'" in str(s.get("if", ""))
              and "exit 1" in run_of(s)]
    if not alerts:
        problems.append("job drift: no step fails the job when the diff says the verdict changed")
    elif any(is_always(s) or "always()" in str(s.get("if")) for s in alerts):
        problems.append("job drift: the alert also runs when the verification itself failed")
    return problems


def check_drift(wf: Workflow) -> list[str]:
    return (check_triggers(wf) + check_read_only(wf) + check_history(wf) + check_diff_and_alert(wf)
            + check_pinned_actions(wf) + check_toolchain(wf) + check_oidc(wf)
            + check_permissions(wf, {"id-token": "write", "contents": "read"}))


# ============================================================================ the real file


def test_the_drift_workflow_is_scheduled_read_only_and_alerts_on_a_change() -> None:
    assert check_drift(load(NAME)) == []


def test_it_authenticates_with_a_read_only_role_per_environment() -> None:
    _, creds = step_named(load(NAME), "drift", "Configure AWS credentials")
    assert with_of(creds)["role-to-assume"] == "${{ secrets[format('AWS_READONLY_ROLE_{0}', matrix.environment)] }}"
    assert with_of(creds)["aws-region"] == "${{ matrix.region }}"


def test_the_live_envs_it_runs_exist_in_tox() -> None:
    assert {f"{env}-live" for env in ("dev", "sit", "prod")} <= tox_envs()


def _pick(schedule: str = "", chosen: str = "", tmp_path: Path | None = None) -> tuple[int, Any]:
    _, step = step_named(load(NAME), "environments", "Pick")
    assert tmp_path is not None
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", run_of(step)], capture_output=True, text=True,
                          timeout=30, check=False, env={**os.environ, "SCHEDULE": schedule, "CHOSEN": chosen,
                                                        "GITHUB_OUTPUT": str(output)})
    text = output.read_text(encoding="utf-8").strip()
    matrix = json.loads(text.split("=", 1)[1]) if text.startswith("matrix=") else None
    return done.returncode, matrix


def test_prod_is_watched_hourly_dev_and_sit_daily_in_the_contracts_regions(tmp_path: Path) -> None:
    hourly, daily = (next(c for c in crons(load(NAME)) if p.match(c)) for p in (HOURLY, DAILY))
    picked = {}
    for label, schedule, chosen in (("hourly", hourly, ""), ("daily", daily, ""), ("all", "", "all"),
                                    ("sit", "", "sit")):
        code, matrix = _pick(schedule, chosen, tmp_path)
        assert code == 0 and matrix is not None, label
        picked[label] = [m["environment"] for m in matrix["include"]]
        assert all(m["region"] == contract_region(m["environment"]) for m in matrix["include"])
    assert picked == {"hourly": ["prod"], "daily": ["dev", "sit"], "all": ["dev", "sit", "prod"], "sit": ["sit"]}
    assert _pick("5 4 * * *", "", tmp_path) == (1, None)  # a schedule added without a mapping fails loudly


# ============================================================================ the compare script, run for real


def _report(verdict: str, pitr: str) -> dict[str, Any]:
    return {"environment": "sit", "target": "AWS", "verdict": verdict, "checks": [
        {"id": "table.pitr", "criterion": "c", "resource": "orders-sit", "status": pitr, "expected": True,
         "actual": pitr == "pass", "reason": "PITR"}]}


def _compare(tmp_path: Path, previous: dict[str, Any] | None, current: dict[str, Any],
             history: int = 0) -> tuple[int, str, str, list[str]]:
    _, step = step_named(load(NAME), "drift", "Compare")
    work = tmp_path / "work"
    (work / "reports" / "sit-live").mkdir(parents=True)
    (work / "reports" / "sit-live" / "readiness.json").write_text(json.dumps(current), encoding="utf-8")
    hist = work / "drift-history" / "sit"
    hist.mkdir(parents=True)
    for n in range(history):
        (hist / f"readiness-2026010{n // 10}T0000{n % 10:02d}Z.json").write_text("{}", encoding="utf-8")
    if previous is not None:
        (hist / "latest.json").write_text(json.dumps(previous), encoding="utf-8")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    (shim / "python").chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.touch()
    output.touch()
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO),
           "ENVIRONMENT": "sit", "HISTORY": "drift-history/sit", "REPORT": "reports/sit-live/readiness.json",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", run_of(step)], cwd=work, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    changed = output.read_text(encoding="utf-8").strip()
    kept = sorted(p.name for p in hist.glob("readiness-*.json"))
    assert json.loads((hist / "latest.json").read_text(encoding="utf-8")) == current  # the next run's previous
    return int(changed.split("=", 1)[1]), summary.read_text(encoding="utf-8"), done.stdout, kept


def test_the_first_run_records_a_baseline(tmp_path: Path) -> None:
    changed, summary, _, kept = _compare(tmp_path, None, _report("READY", "pass"))
    assert changed == 0 and "first run, this report is the baseline" in summary and len(kept) == 1


def test_an_unchanged_environment_passes_quietly(tmp_path: Path) -> None:
    changed, summary, _, _ = _compare(tmp_path, _report("READY", "pass"), _report("READY", "pass"))
    assert changed == 0 and summary.startswith("## ✅ Drift: SIT")


def test_a_changed_verdict_alerts_with_the_diff_in_the_summary(tmp_path: Path) -> None:
    changed, summary, _, _ = _compare(tmp_path, _report("READY", "pass"), _report("BLOCKED", "fail"))
    assert changed == 1
    assert summary.startswith("## 🚨 Drift: SIT") and "| `table.pitr` | orders-sit | PASS | FAIL |" in summary
    wf = load(NAME)
    _, alert = step_named(wf, "drift", "Alert")
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", run_of(alert)], capture_output=True, text=True,
                          timeout=30, check=False, env={**os.environ, "ENVIRONMENT": "sit", "CHANGED": "1"})
    assert done.returncode == 1 and "::error::sit drifted" in done.stdout


def test_a_corrupt_previous_report_is_named_and_replaced(tmp_path: Path) -> None:
    changed, _, stdout, _ = _compare(tmp_path, {"not": "a report"}, _report("READY", "pass"))
    assert changed == 2 and "could not be compared" in stdout


def test_the_history_keeps_the_last_48_reports(tmp_path: Path) -> None:
    _, _, _, kept = _compare(tmp_path, _report("READY", "pass"), _report("READY", "pass"), history=50)
    assert len(kept) == 48 and kept[-1].startswith("readiness-2026") and "readiness-20260100T000000Z.json" not in kept


# ============================================================================ actionlint


@pytest.mark.skipif(ACTIONLINT is None and not os.environ.get("CI"), reason="actionlint is not installed")
def test_actionlint_passes_on_the_drift_workflow() -> None:
    done = actionlint(REPO / ".github" / "workflows" / NAME)
    assert done.returncode == 0, done.stdout + done.stderr


# ============================================================================ mutations


def _steps_of(wf: Workflow) -> list[dict[str, Any]]:
    return steps(jobs(wf)["drift"])


def _push(wf: Workflow) -> None:
    wf["on"]["push"] = {"branches": ["main"]}


def _weekly(wf: Workflow) -> None:
    wf["on"]["schedule"][0]["cron"] = "17 3 * * 1"


def _allow_writes(wf: Workflow) -> None:
    step = next(s for s in _steps_of(wf) if "-live" in run_of(s))
    step["run"] = run_of(step).replace('-live"', '-live" -- --allow writes')


def _gated(wf: Workflow) -> None:
    jobs(wf)["drift"]["environment"] = {"name": "${{ matrix.environment }}"}


def _no_restore(wf: Workflow) -> None:
    jobs(wf)["drift"]["steps"] = [s for s in _steps_of(wf) if action(s) != "actions/cache/restore"]


def _fixed_key(wf: Workflow) -> None:
    save = next(s for s in _steps_of(wf) if action(s) == "actions/cache/save")
    save["with"]["key"] = "readiness-drift"


def _no_summary(wf: Workflow) -> None:
    step = next(s for s in _steps_of(wf) if "readiness diff" in run_of(s) or "readiness.diff" in run_of(s))
    step["run"] = run_of(step).replace('cat drift.md >> "$GITHUB_STEP_SUMMARY"', "cat drift.md")


def _no_verdict_summary(wf: Workflow) -> None:
    jobs(wf)["drift"]["steps"] = [s for s in _steps_of(wf) if "readiness summary" not in run_of(s)]


def _no_alert(wf: Workflow) -> None:
    jobs(wf)["drift"]["steps"] = [s for s in _steps_of(wf) if "Alert" not in str(s.get("name"))]


def _tolerant(wf: Workflow) -> None:
    next(s for s in _steps_of(wf) if "Alert" in str(s.get("name")))["continue-on-error"] = True


def _keys(wf: Workflow) -> None:
    creds = next(s for s in _steps_of(wf) if action(s) == "aws-actions/configure-aws-credentials")
    creds["with"] = {"aws-access-key-id": "${{ secrets.KEY }}", "aws-secret-access-key": "${{ secrets.SECRET }}",
                     "aws-region": "eu-west-1"}


def _write_all(wf: Workflow) -> None:
    wf["permissions"] = "write-all"


MUTATIONS: list[tuple[str, Callable[[Workflow], None], str]] = [
    ("push trigger", _push, "expected schedule and workflow_dispatch only"),
    ("weekly instead of hourly", _weekly, "expected one hourly cron"),
    ("allow writes", _allow_writes, "lets the verification write"),
    ("approval-gated environment", _gated, "its approval gate holds a scheduled run"),
    ("no history restored", _no_restore, "actions/cache/restore before"),
    ("one fixed cache key", _fixed_key, "unique per run"),
    ("diff not in the summary", _no_summary, "$GITHUB_STEP_SUMMARY"),
    ("no verdict summary", _no_verdict_summary, "python -m readiness summary"),
    ("no alert", _no_alert, "no step fails the job"),
    ("alert tolerated", _tolerant, "continue-on-error"),
    ("access keys", _keys, "long-lived access keys"),
    ("write-all", _write_all, "permissions are 'write-all'"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_check_names_the_broken_drift_workflow(case: str, mutate: Callable[[Workflow], None],
                                                    message: str) -> None:
    wf = copy.deepcopy(load(NAME))
    mutate(wf)
    problems = check_drift(wf)
    assert any(message in p for p in problems), problems
