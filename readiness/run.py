"""One readiness run: contract -> (deploy) -> observe -> checks -> report. No pytest here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from readiness.checks import UNVERIFIABLE, Verdict, evaluate
from readiness.contract import Contract, load_contract
from readiness.desired import Desired, desired_state
from readiness.drills import Drills
from readiness.observe import Snapshot, describe_failure, observe
from readiness.provision import Deployment, deploy
from readiness.report import Report
from readiness.safety import guard_account
from readiness.targets import Target, TargetError, open_target


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

    def drilling(self, allow: frozenset[str]) -> Drills:
        """The run's drills (one scope of test items per run); the first call sweeps orphans of killed runs."""
        if self.drills is None:
            self.drills = Drills(self.target, self.desired, allow=allow)
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

    def report(self) -> Report:
        env = self.desired.env
        measured = self.drills.measurements if self.drills else []
        return Report(environment=env.name, target=self.target.label,
                      verdicts=self.verdicts + [m.verdict() for m in measured],
                      api_calls=self.snapshot.api_calls,
                      account=env.account, region=env.region,
                      seconds=self.snapshot.seconds, notes=self.notes, measurements=[m.to_dict() for m in measured])


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
    from readiness.plan import PlanError, judge

    try:
        return judge(str(target.plan_json), desired, target.silent_gaps)
    except PlanError as exc:
        raise TargetError(str(exc)) from None


@contextmanager
def readiness_run(env_name: str, target_kind: str = "moto", *, endpoint_url: str | None = None,
                  no_deploy: bool = False, profile: str | None = None,
                  contract_root: Path | str | None = None, plan_json: str | None = None) -> Iterator[Run]:
    """The whole run as a context: the target lives until the block ends."""
    contract = load_contract(contract_root)
    env = contract.environment(env_name)  # unknown environment: ContractError before any target starts
    if target_kind == "moto" and not endpoint_url and no_deploy:
        raise TargetError("embedded moto starts empty, so --no-deploy would verify nothing: "
                          "pass --endpoint-url URL of the account to verify")
    with open_target(target_kind, endpoint_url=endpoint_url, profile=profile, no_deploy=no_deploy,
                     plan_json=plan_json) as target:
        if target.kind == "aws":
            guard_account(target, env)  # before any other call
        elif target.endpoint_url:
            probe_endpoint(target, env.region)  # before deploying into it or judging its answers
        yield verify(target, contract, env_name, deploy_first=target.can_deploy)


def probe_endpoint(target: Target, region: str) -> None:
    """One ListTables: an endpoint that does not answer like DynamoDB is an error, not a list of FAILs."""
    try:
        answer = target.client("dynamodb", region).list_tables(Limit=1)
    except Exception as exc:  # refused, timed out, or an answer botocore cannot parse
        raise TargetError(f"{target.label} does not answer like DynamoDB: ListTables answered "
                          f"{describe_failure(exc)}") from None
    if not isinstance(answer.get("TableNames"), list):
        raise TargetError(f"{target.label} does not answer like DynamoDB: ListTables answered without TableNames")
