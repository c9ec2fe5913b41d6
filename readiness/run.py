"""One readiness run: contract -> (deploy) -> observe -> checks -> report. No pytest here.

Every drill of the catalogue (readiness/drills/) gets a verdict in the report, run or not: a drill
the run did not exercise is UNVERIFIABLE "not run" with why and the option that would run it, or NOT
APPLICABLE where the contract says so. A run that cannot use its target still writes a report
(:func:`error_report`, verdict ERROR), so a missing run is visible.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.checks import UNVERIFIABLE, Verdict, evaluate
from readiness.contract.desired import Desired, desired_state
from readiness.contract.loading import DEFAULT_ROOT, load_contract
from readiness.contract.model import Contract, ContractError
from readiness.drills import Drills, not_run
from readiness.items.scan import Sampling, judge_in_run
from readiness.observation.live import Snapshot, observe
from readiness.outcome import describe_failure
from readiness.report.provenance import provenance
from readiness.report.run_report import Report, utc_now
from readiness.safety import caller_identity
from readiness.targets.base import Target, TargetError, open_target
from readiness.targets.provision import Deployment, deploy

RUNNERS = ("pytest", "cli")  # pytest offers every drill scenario; the CLI runs only the read-only drills


@dataclass
class Run:
    contract: Contract
    desired: Desired
    target: Target
    deployment: Deployment | None
    snapshot: Snapshot
    verdicts: list[Verdict]
    notes: list[str] = field(default_factory=list)
    drills: Drills | None = None  # made by the first scenario that drills (steps/drills.py)
    allow: frozenset[str] = frozenset()  # --allow
    no_deploy: bool = False
    runner: str = "pytest"  # who offers the drills: "pytest" (the scenarios) or "cli" (read-only drills only)
    started: str = field(default_factory=utc_now)
    caller: Mapping[str, Any] | str = "not asked"
    options: Mapping[str, Any] = field(default_factory=dict)
    items_cost: dict[str, Any] | None = None  # set by the item check (readiness.items.scan.judge_in_run)

    def drilling(self, allow: frozenset[str] | None = None) -> Drills:
        """The run's drills (one scope of test items per run); the first call sweeps orphans of killed runs
        when the run may delete them."""
        if self.drills is None:
            self.drills = Drills(self.target, self.desired, allow=self.allow if allow is None else allow)
            if not self.drills.allow & {"writes", "restore", "load"}:
                return self.drills  # a read-only run could not remove an orphan it found
            try:
                removed = self.drills.sweep()
            except Exception as exc:  # a sweep that cannot run must not stop the drills; it is noted
                self.notes.append(f"orphan sweep not done: {describe_failure(exc)}")
            else:
                if removed:
                    self.notes.append(f"removed {len(removed)} orphans of killed runs: {', '.join(removed[:5])}"
                                      + (" ..." if len(removed) > 5 else ""))
        return self.drills

    def finish(self) -> None:
        """Clean up whatever the drills left (idempotent); what could not be removed is noted."""
        if self.drills is not None:
            for problem in self.drills.cleanup():
                self.notes.append(f"cleanup: could not remove {problem}")

    def read_only_drills(self) -> None:
        """The drills that only read (backup RPO per table), as the CLI runs them: the same as the scenario."""
        drills = self.drilling()
        for table in self.desired.tables:
            drills.backup_rpo(table)

    def report(self) -> Report:
        env = self.desired.env
        measured = list(self.drills.measurements) if self.drills else []
        missing = not_run(self.desired, measured, allow=self.allow, target_kind=self.target.kind,
                          no_deploy=self.no_deploy, runner=self.runner)
        return Report(environment=env.name, target=self.target.label,
                      verdicts=self.verdicts + [m.verdict() for m in measured + missing],
                      api_calls=self.snapshot.api_calls,
                      account=env.account, region=env.region,
                      seconds=self.snapshot.seconds, notes=self.notes, measurements=[m.to_dict() for m in measured],
                      not_run=[{"id": m.id, "resource": m.resource, "status": m.status, "reason": m.reason,
                                "needs": m.details.get("needs")} for m in missing],
                      provenance=provenance(started=self.started, finished=utc_now(),
                                            contract_root=self.contract.root, caller=self.caller,
                                            endpoint=self.target.endpoint_url or self.target.label,
                                            options=self.options),
                      items_cost=self.items_cost)


def verify(target: Target, contract: Contract, env_name: str, *, deploy_first: bool) -> Run:
    """Deploy (emulators only, unless verify-only), observe once, evaluate every check."""
    desired = desired_state(contract, env_name)
    deployment = deploy(target, desired) if deploy_first else None
    notes = [f"not deployed on this target: {u}" for u in (deployment.unsupported if deployment else [])]
    if target.kind == "plan":
        snapshot, verdicts, plan_notes = _plan_snapshot(target, desired)
        notes += plan_notes
    else:
        snapshot = observe(target, desired)
        verdicts = evaluate(desired, snapshot, target.silent_gaps)
    if verdicts and all(v.status == UNVERIFIABLE for v in verdicts):
        raise TargetError(f"{target.label} could not answer a single check; first answer: {verdicts[0].reason}")
    return Run(contract, desired, target, deployment, snapshot, verdicts, notes)


def _plan_snapshot(target: Target, desired: Desired) -> tuple[Snapshot, list[Verdict], list[str]]:
    """The plan's answers and verdicts (plan.no_destroy included), after making sure it is a plan of
    this environment's account and region; any problem with the file is one line (TargetError)."""
    from readiness.checks.plan import PlanError, judge

    try:
        return judge(str(target.plan_json), desired, target.silent_gaps)
    except PlanError as exc:
        raise TargetError(str(exc)) from None


@contextmanager
def readiness_run(env_name: str, target_kind: str = "moto", *, endpoint_url: str | None = None,
                  no_deploy: bool = False, profile: str | None = None,
                  contract_root: Path | str | None = None, plan_json: str | None = None,
                  allow: frozenset[str] = frozenset(), runner: str = "pytest",
                  deadline_seconds: float | None = None, options: Mapping[str, Any] | None = None,
                  items: str = "sample") -> Iterator[Run]:
    """The whole run as a context: the target lives until the block ends."""
    started = utc_now()
    contract = load_contract(contract_root)
    env = contract.environment(env_name)  # unknown environment: ContractError before any target starts
    if target_kind == "moto" and not endpoint_url and no_deploy:
        raise TargetError("embedded moto starts empty, so --no-deploy would verify nothing: "
                          "pass --endpoint-url URL of the account to verify")
    extra: dict[str, Any] = {}
    unbounded = None
    if deadline_seconds is not None:
        if "deadline_seconds" in inspect.signature(open_target).parameters:
            extra["deadline_seconds"] = deadline_seconds
        else:  # a target layer without a run deadline: said in the report, never a crash
            unbounded = f"--deadline {deadline_seconds:g} s not applied: this suite's targets have no run deadline"
    with open_target(target_kind, endpoint_url=endpoint_url, profile=profile, no_deploy=no_deploy,
                     plan_json=plan_json, **extra) as target:
        caller: Mapping[str, Any] | str
        if target.kind == "aws":
            caller = caller_identity(target, env)  # the account guard, before any other call
        else:
            caller = ("not asked: a Terraform plan is a document" if target.kind == "plan" else
                      f"not asked: {target.label} is an emulator (no STS caller to name)")
            if target.endpoint_url:
                probe_endpoint(target, env.region)  # before deploying into it or judging its answers
        run = verify(target, contract, env_name, deploy_first=target.can_deploy)
        run.allow, run.no_deploy, run.runner, run.started, run.caller = allow, no_deploy, runner, started, caller
        run.options = dict(options or {})
        judge_in_run(run, Sampling(full=items == "full"))  # reads only: every run judges the items (ADR 0060)
        if unbounded:
            run.notes.append(unbounded)
        yield run


def error_report(env_name: str, target_kind: str, reason: str, *, started: str,
                 contract_root: Path | str | None = None, endpoint_url: str | None = None,
                 options: Mapping[str, Any] | None = None) -> Report:
    """The report of a run that could not use its target: verdict ERROR with the reason, the provenance it
    has, and no check (nothing was judged). The contract is read only to name the account and region."""
    root = Path(contract_root) if contract_root is not None else DEFAULT_ROOT
    account = region = ""
    try:
        env = load_contract(root).environment(env_name)
        account, region = env.account, env.region
    except ContractError:
        pass
    return Report(environment=env_name, target=target_kind + (f" at {endpoint_url}" if endpoint_url else ""),
                  verdicts=[], api_calls=0, account=account, region=region, error=reason,
                  provenance=provenance(started=started, finished=utc_now(), contract_root=root,
                                        caller="not asked: the run stopped before it could ask",
                                        endpoint=endpoint_url, options=options or {}))


def probe_endpoint(target: Target, region: str) -> None:
    """One ListTables: an endpoint that does not answer like DynamoDB is an error, not a list of FAILs."""
    try:
        answer = target.client("dynamodb", region).list_tables(Limit=1)
    except Exception as exc:  # refused, timed out, or an answer botocore cannot parse
        raise TargetError(f"{target.label} does not answer like DynamoDB: ListTables answered "
                          f"{describe_failure(exc)}") from None
    if not isinstance(answer.get("TableNames"), list):
        raise TargetError(f"{target.label} does not answer like DynamoDB: ListTables answered without TableNames")
