"""The plan target: judge a Terraform plan (``terraform show -json plan.out``) before anyone applies it.

The plan's ``planned_values`` are turned into the same answers a live observation collects
(``describe_table``, ``get_backup_plan``, ``describe_alarms``, ...; see observation/live.py), keyed the same
way, so every check runs unchanged and gives the same ids and verdicts as a live run. A resource the
plan does not leave in place (never created, or destroyed by the plan) is "not found". Reading the
file (budgets, shapes, providers) is observation/plan_load.py; building the answers, observation/plan_answers.py
(tables, keys, backups) with plan_monitoring.py, plan_s3.py and plan_values.py. What only an account has (its other
tables and buckets, backup jobs, alarm state, confirmed subscribers) is answered as unavailable, saying so.

What a plan cannot know yet (``after_unknown``) or must not print (``sensitive_values``) is an
:class:`~readiness.outcome.Unknown` naming the attribute. Where a check compares it, a FAIL resting on
it becomes UNVERIFIABLE (checks.run_check); where an answer would read it as a flag or a block (a PITR
block unknown until apply must not read as DISABLED, nor an unknown TTL as "not enabled"), the whole
answer is unavailable, naming the attribute: never PASS, never FAIL on what the plan cannot show.

Beyond end states, ``resource_changes`` are judged: ``plan.no_destroy`` FAILs for every contracted
table, vault, backup plan or bucket the plan deletes or replaces (003: "no existing tables will be
destroyed"). That check exists on the plan target only (a live account has no pending changes).

Format: https://developer.hashicorp.com/terraform/internals/json-format (format_version 1.x).
"""

from __future__ import annotations

from pathlib import Path

from readiness.checks.core import evaluate
from readiness.contract.desired import Desired
from readiness.observation.live import Snapshot
from readiness.observation.plan_answers import plan_snapshot
from readiness.observation.plan_load import Plan, PlanError, Planned, load_plan
from readiness.outcome import FAIL, PASS, UNVERIFIABLE, Unknown, Verdict

__all__ = ["NO_DESTROY", "Plan", "PlanError", "Planned", "destroy_verdicts", "judge", "load_plan",
           "plan_snapshot"]

NO_DESTROY = "plan.no_destroy"
C_NO_DESTROY = "003 SIT/PROD Terraform plan review: no existing tables destroyed, no data loss risk"


# ---------------------------------------------------------------------------------------- the verdicts


def judge(path: str | Path, desired: Desired, silent_gaps: dict[str, str] | None = None
          ) -> tuple[Snapshot, list[Verdict], list[str]]:
    """The plan's answers, every check's verdict plus plan.no_destroy, and the notes for the report;
    PlanError (one line) for a file that is not a plan of this environment or cannot be judged."""
    env = desired.env
    plan = load_plan(path, env.region)
    refuse_foreign(plan, desired)
    try:
        snapshot = plan_snapshot(plan, desired)
        verdicts = evaluate(desired, snapshot, silent_gaps) + destroy_verdicts(plan, desired)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # only a hand-edited document gets here: Terraform writes each attribute with its schema's type
        raise PlanError(f"{plan.path}: a planned value does not have the type the AWS provider writes "
                        f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]})") from None
    notes = [f"the plan destroys {a}" + (" (a table: its data would be lost)" if ".aws_dynamodb_table." in a
                                         or a.startswith("aws_dynamodb_table.") else "") for a in plan.replaced]
    if plan.assumed_region:
        notes.append(f"the plan does not show the provider region of {len(plan.assumed_region)} resources "
                     f"(e.g. {plan.assumed_region[0]}); taken as {env.region}")
    notes += [f"deleted outside Terraform since the last apply (resource_drift): {c.address}"
              for c in plan.drift if c.destroys]
    if not plan.complete:
        notes.append("the plan is not complete (complete: false): Terraform deferred some changes to a later "
                     "plan, which this judgement cannot see")
    if plan.kept:
        notes.append(f"the plan forgets {len(plan.kept)} resources (Terraform stops managing them; AWS keeps "
                     f"them, judged as prior_state holds them), e.g. {plan.kept[0]}")
    return snapshot, verdicts, notes


def refuse_foreign(plan: Plan, desired: Desired) -> None:
    """PlanError unless the plan is for this environment's account and region: its variables (when it
    has them) and its AWS providers' region and allowed_account_ids (constants or variables)."""
    env = desired.env
    for name, want in (("environment", env.name), ("account", env.account), ("region", env.region)):
        got = plan.variables.get(name)
        if got is not None and got != want:
            raise PlanError(f"{plan.path}: variables.{name}: the plan is for {name} {got}, but {env.name}'s "
                            f"contract says {want}; {_replan(env.name)}")
    default = plan.providers.get("aws")
    if default is not None and default.region is not None and default.region != env.region:
        raise PlanError(f"{plan.path}: configuration.provider_config.aws: the plan's provider region is "
                        f"{default.region}, but {env.name}'s contract says {env.region}; "
                        f"{_replan(env.name)}")
    for key, provider in sorted(plan.providers.items()):
        if (provider.allowed is not None and env.account not in provider.allowed) or \
                env.account in provider.forbidden:
            accounts = ", ".join(provider.allowed or ()) or "none"
            raise PlanError(f"{plan.path}: configuration.provider_config.{key}: the plan may only run in "
                            f"account(s) {accounts}, not {env.name}'s {env.account}; "
                            f"{_replan(env.name)}")


def _contracted(desired: Desired) -> list[tuple[str, str, str, str]]:
    """(resource type, name attribute, name, what) of every contracted resource whose loss loses data."""
    env = desired.env
    out = [("aws_dynamodb_table", "name", t.name, "table") for t in desired.tables]
    out.append(("aws_backup_vault", "name", env.backup.vault, "backup vault"))
    if env.backup.copy:
        out.append(("aws_backup_vault", "name", env.backup.copy.vault, "backup vault"))
    out.append(("aws_backup_plan", "name", env.backup.plan, "backup plan"))
    for b in desired.buckets:
        out.append(("aws_s3_bucket", "bucket", b.name, "bucket"))
        if b.logging_bucket:
            out.append(("aws_s3_bucket", "bucket", b.logging_bucket, "bucket"))
        if b.replication:
            out.append(("aws_s3_bucket", "bucket", b.replication.bucket, "bucket"))
    return list(dict.fromkeys(out))


def destroy_verdicts(plan: Plan, desired: Desired) -> list[Verdict]:
    """plan.no_destroy for each contracted resource: FAIL when the plan deletes or replaces it."""
    verdicts = []
    for kind, attribute, name, what in _contracted(desired):
        ours = [c for c in plan.changes if c.type == kind and name in (c.before.get(attribute),
                                                                        c.after.get(attribute))]
        destroyed = [c for c in ours if c.destroys]
        unnamed = [c for c in plan.changes if c.type == kind and c.destroys
                   and isinstance(c.before.get(attribute), Unknown)]
        expected = "not deleted or replaced"
        if destroyed:
            actual = {c.address: "+".join(c.actions) for c in destroyed}
            loss = ": its data would be lost" if kind == "aws_dynamodb_table" else ""
            reason = "; ".join(f"the plan {'replaces' if 'create' in c.actions else 'deletes'} the {what} at "
                               f"{c.address}{' (deposed object ' + c.deposed + ')' if c.deposed else ''} "
                               f"({', '.join(c.actions)}{': ' + c.reason if c.reason else ''}){loss}"
                               for c in destroyed)
            verdicts.append(Verdict(NO_DESTROY, C_NO_DESTROY, name, FAIL, expected, actual, reason))
        elif unnamed:
            verdicts.append(Verdict(NO_DESTROY, C_NO_DESTROY, name, UNVERIFIABLE, expected, None,
                                    f"the plan deletes {unnamed[0].address}, whose {attribute} it does not show "
                                    f"({str(unnamed[0].before.get(attribute))[1:-1]})"))
        else:
            seen = {c.address: "+".join(c.actions) for c in ours}
            verdicts.append(Verdict(NO_DESTROY, C_NO_DESTROY, name, PASS, expected, seen or "not in resource_changes",
                                    f"the plan does not delete or replace the {what}"))
    # a KMS key has no name to match on; deleting or replacing any key of the stack schedules the old key's
    # deletion, and whatever it encrypts (tables, PITR history, recovery points, topics) becomes unreadable
    keys = [c for c in plan.changes if c.type == "aws_kms_key" and c.destroys]
    verdicts.append(Verdict(
        NO_DESTROY, C_NO_DESTROY, "KMS keys", FAIL if keys else PASS, "not deleted or replaced",
        {c.address: "+".join(c.actions) for c in keys} or "no key deleted or replaced",
        "; ".join(f"the plan {'replaces' if 'create' in c.actions else 'deletes'} the KMS key at {c.address}: "
                  "the old key is scheduled for deletion and what it encrypts becomes unreadable" for c in keys)
        or "the plan does not delete or replace a KMS key"))
    if not plan.complete:  # deferred changes may delete anything: no PASS can stand on what the plan does not hold
        verdicts = [Verdict(v.id, v.criterion, v.resource, UNVERIFIABLE, v.expected, v.actual,
                            "the plan is not complete (complete: false): Terraform deferred some changes to a later "
                            "plan, which could delete it") if v.status == PASS else v for v in verdicts]
    return verdicts


def _replan(env_name: str) -> str:
    """What to plan instead: the one stack with the environment's var file (ADR 0063)."""
    return f"plan terraform/stack with -var-file=../environments/{env_name}/contract.tfvars.json instead"
