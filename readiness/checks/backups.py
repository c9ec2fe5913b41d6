"""AWS Backup checks: vaults, plan rules, copies, selection, job health, tags (features/backups.feature)."""

from __future__ import annotations

import re
from typing import Any

from readiness.checks.core import (
    Context,
    Missing,
    Unverifiable,
    because,
    certainly,
    check,
    need,
    tagged,
    verdict,
)
from readiness.observation.live import BAD_BACKUP_JOB_STATES, Answer
from readiness.outcome import FAIL, PASS, UNVERIFIABLE, Unknown, mentions_unknown

# --------------------------------------------------------------------------------------------- backups

C_VAULT = "003 Backup Strategy: backup vault configured, KMS-encrypted (D11)"
C_PLAN = "003 SIT Success: backup plan executing hourly with the environment's retention (D11)"
C_COPY = "003 PROD Success: cross-region backup copy functioning (D11)"
C_SELECTION = "003 Step 6: backup plan applied to all tables (D11)"
C_BACKUP_HEALTH = "003 Backup Strategy: backups succeed within the retention window (post-deploy health)"
C_BACKUP_TAGS = "004 5.3.3: every resource carries the required tags (D15: the vaults and the plan)"


def _vault_key(ctx: Context, region: str, vault_name: str, expected: Any) -> tuple[str, Any, str] | None:
    """The vault's key judged as the environment requires: the CMK in prod (in the vault's region), AWS
    Backup's AWS-managed key alias/aws/backup elsewhere; enabled either way. None when it is right, else
    (status, actual, reason)."""
    env = ctx.desired.env
    vault = need(ctx.snap.get("describe_backup_vault", region, vault_name), expected, vault_name)
    key = vault.get("EncryptionKeyArn")
    alias = ctx.desired.vault_key_alias
    if not key and env.encryption_kind != "customer-managed" and "vault_default_key" in ctx.silent_gaps:
        call = ctx.snap.get("describe_backup_vault", region, vault_name).call
        return UNVERIFIABLE, key, f"{call} answered no EncryptionKeyArn; {ctx.silent_gaps['vault_default_key']}"
    if not key:
        return FAIL, key, f"{vault_name} in {region} has no KMS key"
    answer = ctx.snap.get("describe_key", region, alias)
    if answer.missing:  # no such key in the region: whatever the vault names, it is not that key
        return FAIL, {"key": key}, f"{vault_name} in {region} is encrypted with {key}, not {alias} (no such key there)"
    described = need(answer, expected, f"{alias} in {region}")
    actual = {"key": key, "KeyState": described.get("KeyState"), "KeyManager": described.get("KeyManager")}
    if key != described.get("Arn"):
        return FAIL, actual, because(f"{vault_name} in {region} is encrypted with {key}, not {alias} "
                                     f"({described.get('Arn')})", described.get("Arn"))
    manager = "CUSTOMER" if env.encryption_kind == "customer-managed" else "AWS"
    if described.get("KeyState") != "Enabled" or described.get("KeyManager") != manager:
        return FAIL, actual, (f"{alias} in {region} is {described.get('KeyState')} and managed by "
                              f"{described.get('KeyManager')}: AWS Backup cannot encrypt new recovery points")
    return None


def _vault_expected(ctx: Context) -> str:
    env = ctx.desired.env
    return f"encrypted with {ctx.desired.vault_key_alias} ({env.encryption_kind}), Enabled"


@check("backup.vault", "environment", C_VAULT, resource=lambda d: d.env.backup.vault)
def backup_vault(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    expected = _vault_expected(ctx)
    wrong = _vault_key(ctx, env.region, env.backup.vault, expected)
    if wrong is not None:
        return wrong[0], expected, wrong[1], wrong[2]
    return PASS, expected, ctx.snap.get("describe_backup_vault", env.region, env.backup.vault).value.get(
        "EncryptionKeyArn"), f"encrypted with {ctx.desired.vault_key_alias}, which is enabled"


def _plan(ctx: Context) -> dict[str, Any]:
    env = ctx.desired.env
    plans = need(ctx.snap.get("list_backup_plans", env.region, "*"), env.backup.plan, env.backup.plan)
    if not any(p.get("BackupPlanName") == env.backup.plan for p in plans):
        raise Missing(env.backup.plan, env.backup.plan)
    plan = need(ctx.snap.get("get_backup_plan", env.region, env.backup.plan), env.backup.plan, env.backup.plan)
    return dict(plan.get("BackupPlan", {}))


def _plan_rule(ctx: Context) -> dict[str, Any]:
    env = ctx.desired.env
    for rule in _plan(ctx).get("Rules", []):
        if rule.get("RuleName") == env.backup.rule:
            return dict(rule)
    raise Missing(f"{env.backup.plan} rule {env.backup.rule}", env.backup.rule)


def _rule_summary(rule: dict[str, Any]) -> dict[str, Any]:
    return {"rule": rule.get("RuleName"), "schedule": rule.get("ScheduleExpression"),
            "vault": rule.get("TargetBackupVaultName"),
            "retention_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
            "copies_to": [c.get("DestinationBackupVaultArn") for c in rule.get("CopyActions", []) or []]}


@check("backup.plan_rules", "environment", C_PLAN, resource=lambda d: d.env.backup.plan)
def backup_plan_rules(ctx: Context) -> tuple[str, Any, Any, str]:
    """AWS Backup runs every rule of a plan on every selected table: a rule the contract does not have backs
    up on another schedule, into another vault, keeps points another time or copies them elsewhere."""
    env = ctx.desired.env
    rules = _plan(ctx).get("Rules", []) or []
    actual = [_rule_summary(r) for r in rules]
    extra = [r for r in actual if r["rule"] != env.backup.rule]
    same_name = [r for r in actual if r["rule"] == env.backup.rule]
    problems = [f"rule {r['rule']} ({r['schedule']} into {r['vault']}, kept {r['retention_days']} days"
                f"{', copied to ' + ', '.join(map(str, r['copies_to'])) if r['copies_to'] else ''}) is not in the "
                f"contract" for r in extra]
    if len(same_name) != 1:
        problems.append(f"{len(same_name)} rules are named {env.backup.rule}" if same_name else
                        f"no rule {env.backup.rule}")
    return verdict(not problems, [env.backup.rule], actual, f"only the contract's rule {env.backup.rule}",
                   "; ".join(problems), rests_on=tuple(actual))


@check("backup.schedule", "environment", C_PLAN, resource=lambda d: d.env.backup.plan)
def backup_schedule(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    rule = _plan_rule(ctx)
    expected = {"schedule": env.backup.schedule, "vault": env.backup.vault}
    actual = {"schedule": rule.get("ScheduleExpression"), "vault": rule.get("TargetBackupVaultName")}
    return verdict(actual == expected, expected, actual, "hourly into the contract's vault",
                   "the schedule or target vault differs")


@check("backup.retention", "environment", C_PLAN, resource=lambda d: d.env.backup.plan)
def backup_retention(ctx: Context) -> tuple[str, Any, Any, str]:
    want = ctx.desired.env.backup.retention_days
    days = (_plan_rule(ctx).get("Lifecycle") or {}).get("DeleteAfterDays")
    return verdict(days == want, want, days, f"kept {days} days", f"kept {days} days, not {want}")


def backup_account(ctx: Context) -> str | None:
    """The observed account (from the primary vault's ARN): a copy must stay in it."""
    vault = ctx.snap.get("describe_backup_vault", ctx.desired.env.region, ctx.desired.env.backup.vault)
    arn = vault.value.get("BackupVaultArn") if vault.ok else None
    return arn.split(":")[4] if isinstance(arn, str) and not isinstance(arn, Unknown) and arn.count(":") >= 5 \
        else None


@check("backup.copy", "environment", C_COPY, resource=lambda d: d.env.backup.plan)
def backup_copy(ctx: Context) -> tuple[str, Any, Any, str]:
    """Every copy action of the contract's rule (another rule's copies fail backup.plan_rules): each one must
    be the contract's, into the DR vault of this account, which exists with the key the environment needs."""
    env = ctx.desired.env
    copies = _plan_rule(ctx).get("CopyActions", []) or []
    actual = [{"vault": c.get("DestinationBackupVaultArn"),
               "retention_days": (c.get("Lifecycle") or {}).get("DeleteAfterDays")} for c in copies]
    copy = env.backup.copy
    if copy is None:
        return verdict(not copies, [], actual, "no cross-region copy, as contracted",
                       "copies backups although the contract has no copy")
    account = backup_account(ctx)
    pattern = f"arn:aws:backup:{copy.region}:{account or '*'}:backup-vault:{copy.vault}"
    expected = {"vault": pattern.replace(":*:", ":<account>:"), "retention_days": copy.retention_days}

    def contracted(c: dict[str, Any]) -> bool:
        return _like(str(c["vault"]), pattern) and c["retention_days"] == copy.retention_days

    problems = [f"copies to {c['vault']} kept {c['retention_days']} days, which the contract does not name"
                for c in actual if not contracted(c)]
    if not any(contracted(c) for c in actual):
        problems.append(f"no copy to {copy.vault} in {copy.region} kept {copy.retention_days} days")
    # definite whatever a plan cannot show yet: a copy kept another number of days, or into a known other vault
    definite = [c for c in actual if (mentions_unknown(c["retention_days"]) is None and
                                      c["retention_days"] != copy.retention_days) or
                (mentions_unknown(c["vault"]) is None and not _like(str(c["vault"]), pattern))]
    if definite:
        return FAIL, expected, actual, certainly("; ".join(problems))
    if problems:
        return FAIL, expected, actual, because("; ".join(problems), *[c["vault"] for c in actual])
    bad = _vault_key(ctx, copy.region, copy.vault, expected)
    if bad is not None:
        return bad[0], expected, {"copies": actual, "destination key": bad[1]}, bad[2]
    return PASS, expected, actual, f"copied to {copy.vault} in {copy.region}, encrypted with an enabled key"


def _pattern(text: str) -> re.Pattern[str]:
    """An AWS Backup / IAM string pattern: ``*`` any run of characters, ``?`` one character, case-sensitive."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text), re.DOTALL)


def _like(value: str | None, pattern: str) -> bool:
    return value is not None and _pattern(pattern).fullmatch(value) is not None


def _condition_holds(operator: str, tags: dict[str, str], condition: dict[str, Any]) -> bool:
    key = str(condition.get("ConditionKey", ""))
    tag = tags.get(key.removeprefix("aws:ResourceTag/")) if key.startswith("aws:ResourceTag/") else None
    value = str(condition.get("ConditionValue", ""))
    return {"StringEquals": lambda: tag == value, "StringNotEquals": lambda: tag != value,
            "StringLike": lambda: _like(tag, value), "StringNotLike": lambda: not _like(tag, value),
            }.get(operator, lambda: False)()


def selects(selection: dict[str, Any], arn: str, tags: dict[str, str] | None) -> bool | None:
    """Whether AWS Backup assigns the resource arn (with its tags) to a plan through this selection: it is
    in Resources (wildcards) or matches one ListOfTags condition (OR), or neither list is given (everything);
    and it satisfies every Conditions entry (AND); and it is in no NotResources pattern. None when the
    answer rests on tags nobody could read."""
    resources = list(selection.get("Resources", []) or [])
    list_of_tags = list(selection.get("ListOfTags", []) or [])
    conditions = {op: list(cs or []) for op, cs in (selection.get("Conditions") or {}).items()}
    if (list_of_tags or any(conditions.values())) and tags is None:
        return None
    tags = tags or {}
    chosen = any(_like(arn, r) for r in resources) or any(
        c.get("ConditionType", "STRINGEQUALS") == "STRINGEQUALS" and tags.get(str(c.get("ConditionKey"))) ==
        c.get("ConditionValue") for c in list_of_tags) or not (resources or list_of_tags)
    chosen = chosen and all(_condition_holds(op, tags, c) for op, cs in conditions.items() for c in cs)
    return chosen and not any(_like(arn, r) for r in selection.get("NotResources", []) or [])


def _table_tags(ctx: Context, region: str, name: str) -> dict[str, str] | None:
    answer = ctx.snap.get("list_tags_of_resource", region, name)
    return {x["Key"]: x["Value"] for x in answer.value} if answer.ok else None


@check("backup.selection", "environment", C_SELECTION, resource=lambda d: d.env.backup.selection)
def backup_selection(ctx: Context) -> tuple[str, Any, Any, str]:
    """Every selection of the plan, evaluated as AWS Backup evaluates it; a table counts as backed up when a
    selection that AWS Backup runs with the contract's IAM role assigns it."""
    env = ctx.desired.env
    _plan_rule(ctx)
    expected = sorted(t.name for t in ctx.desired.tables if t.logical in env.backup.selection_tables)
    listed = need(ctx.snap.get("list_backup_selections", env.region, env.backup.plan), expected,
                  env.backup.selection)
    if not any(s.get("SelectionName") == env.backup.selection for s in listed):
        raise Missing(env.backup.selection, expected)
    selections = {str(s.get("SelectionName")): dict(need(
        ctx.snap.get("get_backup_selection", env.region, str(s.get("SelectionName"))), expected,
        str(s.get("SelectionName")))) for s in listed}
    named = [str(r) for s in selections.values() for r in (*(s.get("Resources") or []), *(s.get("NotResources") or []))]
    arns: dict[str, str] = {}
    for t in ctx.desired.tables:
        described = ctx.snap.get("describe_table", env.region, t.name)
        arn = described.value.get("TableArn") if described.ok else None
        if not isinstance(arn, str) or isinstance(arn, Unknown):  # not shown: the ARN a selection names for it
            home = f"arn:aws:dynamodb:{env.region}:*:table/{t.name}"
            arn = next((r for r in named if "*" not in r and "?" not in r and _like(r, home)),
                       f"arn:aws:dynamodb:{env.region}:{backup_account(ctx) or '000000000000'}:table/{t.name}")
        arns[t.name] = arn
    # AWS always answers the role (a required member); a plan may not show it: then the selection counts for
    # coverage, and a verdict that would otherwise PASS rests on it (UNVERIFIABLE, quoting the call)
    role_ok = {name: _like(sel["IamRoleArn"], f"arn:aws:iam::{backup_account(ctx) or '*'}:role/{env.backup.iam_role}")
               if isinstance(sel.get("IamRoleArn"), str) else None for name, sel in selections.items()}
    covered: dict[str, list[str]] = {}
    unreadable: list[str] = []
    for name in expected:
        for sel_name, sel in selections.items():
            chosen = selects(sel, arns[name], _table_tags(ctx, env.region, name))
            if chosen is None:
                unreadable.append(name)
            elif chosen and role_ok[sel_name] is not False:
                covered.setdefault(name, []).append(sel_name)
    shown = {n: {"IamRoleArn": s.get("IamRoleArn"), "Resources": s.get("Resources", []),
                 **{k: s[k] for k in ("NotResources", "ListOfTags", "Conditions") if s.get(k)}}
             for n, s in selections.items()}
    actual = {**shown.pop(env.backup.selection), **({"other selections": shown} if shown else {})}
    problems = []
    if role_ok[env.backup.selection] is False:
        problems.append(f"{env.backup.selection} runs as {selections[env.backup.selection].get('IamRoleArn')}, "
                        f"not role {env.backup.iam_role}")
    missing = [n for n in expected if n not in covered]
    if missing:
        if set(missing) <= set(unreadable):
            answer = ctx.snap.get("list_tags_of_resource", env.region, missing[0])
            raise Unverifiable(Answer(answer.call, error=f"{answer.error or 'no tags'} (the selection assigns "
                                                         f"by tags)"), expected)
        problems.append(f"not selected: {', '.join(missing)}")
    others = sorted(set(selections) - {env.backup.selection})
    note = f" (also selected by {', '.join(others)})" if others else ""
    unshown = [n for n, ok in role_ok.items() if ok is None]
    if not problems and unshown:
        call = ctx.snap.get("get_backup_selection", env.region, unshown[0]).call
        raise Unverifiable(Answer(call, error="no IamRoleArn: the role AWS Backup would run as is not shown"),
                           expected)
    return verdict(not problems, expected, actual, f"every table is selected{note}", "; ".join(problems))


@check("backup.jobs", "environment", C_BACKUP_HEALTH, resource=lambda d: d.env.backup.plan)
def backup_jobs(ctx: Context) -> tuple[str, Any, Any, str]:
    """Post-deploy health: no job for a contract table (or into the contract's vault) failed, aborted or
    expired within the retention window (ListBackupJobs ByState, ByCreatedAfter)."""
    env = ctx.desired.env
    expected = f"no {'/'.join(BAD_BACKUP_JOB_STATES)} backup job in the last {env.backup.retention_days} days"
    names = {t.name for t in ctx.desired.tables}
    bad: list[dict[str, Any]] = []
    for state in BAD_BACKUP_JOB_STATES:
        for job in need(ctx.snap.get("list_backup_jobs", env.region, state), expected, env.backup.plan):
            arn = str(job.get("ResourceArn", ""))
            if arn.rsplit("/", 1)[-1] in names or job.get("BackupVaultName") == env.backup.vault:
                bad.append({"job": job.get("BackupJobId"), "state": job.get("State"), "resource": arn,
                            "vault": job.get("BackupVaultName"), "message": job.get("StatusMessage")})
    shown = bad[:20] + ([{"more": len(bad) - 20}] if len(bad) > 20 else [])  # a bounded report
    return verdict(not bad, expected, shown, "no backup job failed, aborted or expired",
                   "; ".join(f"{b['state']} job {b['job']} of {b['resource'].rsplit('/', 1)[-1]}"
                             f"{': ' + str(b['message']) if b['message'] else ''}" for b in bad[:5])
                   + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""))


@check("backup.vault_tags", "environment", C_BACKUP_TAGS, resource=lambda d: d.env.backup.vault)
def backup_vault_tags(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    vaults = [(env.region, env.backup.vault), *([(env.backup.copy.region, env.backup.copy.vault)]
                                                if env.backup.copy else [])]
    for region, vault in vaults:  # a missing vault is backup.vault's (or backup.copy's) FAIL, named there
        need(ctx.snap.get("describe_backup_vault", region, vault), dict(env.tags), f"{vault} in {region}")
    return tagged(ctx, "list_tags", vaults, lambda tags: {str(k): str(v) for k, v in dict(tags).items()})


@check("backup.plan_tags", "environment", C_BACKUP_TAGS, resource=lambda d: d.env.backup.plan)
def backup_plan_tags(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _plan(ctx)
    return tagged(ctx, "list_tags", [(env.region, env.backup.plan)],
                   lambda tags: {str(k): str(v) for k, v in dict(tags).items()})
