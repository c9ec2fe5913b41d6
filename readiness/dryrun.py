"""``--dry-run``: the API calls a run would make, per service and region, and the IAM actions they need, without
calling AWS (ADR 0074).

The list is not a typed copy: the run's own code path (the account guard, the observation, the item check and
the read-only drills: ``readiness.run``) runs against embedded moto, where the environment's contract has just
been deployed, with every botocore call recorded as (service, region, operation) on its way in. Nothing leaves
the process: moto answers in memory with fake credentials. An account that matches the contract is asked
exactly these calls; one that differs can be asked fewer (a missing table is not described further). The drills
that write (``--allow writes,restore,load``, pytest only) add the operations ``readiness.permissions`` grants
them, listed by name (their counts depend on what they measure). The IAM check uses the policies in ``iam/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.items.scan import Sampling, judge_in_run
from readiness.options import RunOptions, contract_root
from readiness.permissions import (
    DRILL_OPERATIONS,
    DRILLS_POLICY,
    READ_ONLY,
    READ_ONLY_POLICY,
    iam_action,
    load_policy,
    policy_actions,
)
from readiness.run import verify
from readiness.safety import caller_identity
from readiness.targets.base import NAMES, Target, TargetError, open_target
from readiness.targets.provision import deploy

Call = tuple[str, str, str]  # (botocore service name, region, operation)
WRITE_DRILLS = frozenset({"writes", "restore", "load", "load-prod"})
WRITES_PHASE = "drills that write (--allow)"


@contextmanager
def recording() -> Iterator[Counter[Call]]:
    """Every botocore API call made in the block, counted by (service, region, operation)."""
    calls: Counter[Call] = Counter()
    original: Callable[..., Any] = getattr(BaseClient, "_make_api_call")  # noqa: B009 (botocore's private hook)

    def record(client: BaseClient, operation: str, params: Any) -> Any:
        calls[(client.meta.service_model.service_name, client.meta.region_name, operation)] += 1
        return original(client, operation, params)

    setattr(BaseClient, "_make_api_call", record)  # noqa: B010
    try:
        yield calls
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010


@dataclass
class DryRun:
    env: str
    target: str
    account: str
    region: str
    phases: dict[str, Counter[Call]] = field(default_factory=dict)  # what the run does -> its calls
    # what the run does -> the operations (service:Operation) it may call, counts unknown: the drills that write,
    # or every read-only operation when moto is not installed to record the calls (the slim live extra)
    uncounted: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def calls(self) -> Counter[Call]:
        total: Counter[Call] = Counter()
        for counted in self.phases.values():
            total.update(counted)
        return total

    def operations(self) -> set[str]:
        return {f"{service}:{op}" for service, _, op in self.calls()} | {
            op for ops in self.uncounted.values() for op in ops}

    def iam_actions(self) -> list[str]:
        return sorted({iam_action(op) for op in self.operations()})

    def text(self) -> str:
        lines = [f"dry run: {self.env.upper()} on {NAMES.get(self.target, self.target)} (account {self.account}, "
                 f"{self.region}): no call was made. {self.note}".rstrip(), ""]
        for phase, counted in self.phases.items():
            lines.append(f"{phase} ({sum(counted.values())} calls)")
            lines += [f"  {region:<14} {service:<26} {op:<36} x{n:<4} {iam_action(f'{service}:{op}')}"
                      for (service, region, op), n in sorted(counted.items())]
        for phase, ops in self.uncounted.items():
            lines.append(f"{phase} ({len(ops)} operations, not counted)")
            lines += [f"  {self.region:<14} {op.split(':')[0]:<26} {op.split(':')[1]:<36} {'':<5} {iam_action(op)}"
                      for op in ops]
        per_service: Counter[tuple[str, str]] = Counter()
        for (service, region, _), n in self.calls().items():
            per_service[(service, region)] += n
        lines += ["", f"per service and region ({sum(per_service.values())} calls):"]
        lines += [f"  {service}@{region}: {n}" for (service, region), n in sorted(per_service.items())]
        actions = self.iam_actions()
        lines += ["", f"IAM actions needed ({len(actions)}): {', '.join(actions)}"]
        policy = self.policy_gap()
        lines.append("iam/ policies: " + ("they allow every one of them" if not policy else
                                          f"they do not allow {', '.join(policy)}"))
        return "\n".join(lines) + "\n"

    def policy_gap(self) -> list[str]:
        """The IAM actions needed that neither iam/readiness-readonly.json nor (with drills) readiness-drills.json
        allows, by action name."""
        allowed = policy_actions(load_policy(READ_ONLY_POLICY))
        if WRITES_PHASE in self.uncounted:
            allowed |= policy_actions(load_policy(DRILLS_POLICY))
        return sorted(set(self.iam_actions()) - allowed)


def dry_run(options: RunOptions, *, runner: str = "pytest") -> DryRun:
    """The calls a run with these options would make (see the module docstring); calls nothing outside."""
    contract = load_contract(contract_root(options.contract))
    env = contract.environment(options.env)
    desired = desired_state(contract, options.env)
    result = DryRun(options.env, options.target, env.account, env.region)
    if options.target == "plan":
        result.note = "The plan target reads the plan file only: it makes no API call and needs no credentials."
        return result
    try:
        import moto  # noqa: F401  (only to know whether the calls can be recorded here)
    except ImportError:
        result.note = ("moto is not installed (the live extra), so the calls are not recorded: the operations "
                       "are readiness/permissions.py's READ_ONLY set, without counts.")
        result.uncounted["read-only run"] = sorted(READ_ONLY)
        if runner == "pytest" and options.allow & WRITE_DRILLS:
            result.uncounted[WRITES_PHASE] = sorted(DRILL_OPERATIONS - READ_ONLY)
        return result
    with open_target("moto") as emulator:  # in-process, fake credentials: nothing can reach AWS
        deploy(emulator, desired)
        reader = Target("moto", read_only=True)
        if options.target == "aws":
            with recording() as guard, suppress(TargetError):  # moto's account is not the environment's
                caller_identity(reader, env)
            result.phases["account guard"] = guard
        with recording() as observed:
            run = verify(reader, contract, options.env, deploy_first=False)
        result.phases["observation"] = observed
        with recording() as items:
            judge_in_run(run, Sampling(full=options.items == "full"))
        result.phases["item check"] = items
        with recording() as drills:
            run.read_only_drills()
        result.phases["read-only drills"] = drills
    if options.target != "aws":
        result.note = ("An emulator target also gets the contract deployed first (writes into the emulator) "
                       "unless --no-deploy.")
    if runner == "pytest" and options.allow & WRITE_DRILLS:
        result.uncounted[WRITES_PHASE] = sorted(DRILL_OPERATIONS - result.operations())
    return result
