"""Checks: compare one snapshot with the desired state and give a verdict per resource.

Every check has an id (``table.billing_mode``), the success criterion of the seeds it traces
to, and yields PASS, FAIL or UNVERIFIABLE with resource, expected, actual and a reason.
UNVERIFIABLE is never a pass: it says which call could not answer and what it answered.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from readiness.contract.desired import (
    AlarmSpec,
    BucketSpec,
    Desired,
    TableSpec,
    TemplateObject,
    WidgetSpec,
    observed_alarm_canonical,
)
from readiness.contract.model import Gsi
from readiness.contract.tfvars import COST_FREQUENCY, COST_MONITOR_DIMENSION, COST_MONITOR_TYPE
from readiness.observation.live import BAD_BACKUP_JOB_STATES, TAGGED_TYPES, Answer, Snapshot, Unknown, mentions_unknown

PASS, FAIL, UNVERIFIABLE = "pass", "fail", "unverifiable"
NOT_APPLICABLE = "not_applicable"  # the contract says the criterion does not apply to this environment
STATUSES = (PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE)


@dataclass(frozen=True)
class Verdict:
    id: str
    criterion: str
    resource: str
    status: str
    expected: Any
    actual: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (f"{self.status.upper()} {self.id} {self.resource}: expected {_fmt(self.expected)}, "
                f"actual {_fmt(self.actual)} — {self.reason}")


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Context:
    desired: Desired
    snap: Snapshot
    silent_gaps: dict[str, str]


@dataclass(frozen=True)
class CheckDef:
    id: str
    criterion: str
    scope: str  # table | gsi | replica | dr_key | cmk | environment | alarm | topic | widget | bucket | template
    fn: Callable[..., tuple[str, Any, Any, str]]
    resource: Callable[[Desired], str] | None = None  # environment scope: the resource the verdict names


CHECKS: dict[str, CheckDef] = {}


def check(check_id: str, scope: str, criterion: str,
          resource: Callable[[Desired], str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        CHECKS[check_id] = CheckDef(check_id, criterion, scope, fn, resource)
        return fn
    return register


class Unverifiable(Exception):
    """Raised inside a check when an answer it needs is unavailable."""

    def __init__(self, answer: Answer, expected: Any) -> None:
        super().__init__(answer.error)
        self.answer = answer
        self.expected = expected


class Missing(Exception):
    """Raised inside a check when the resource it needs does not exist."""

    def __init__(self, what: str, expected: Any) -> None:
        super().__init__(what)
        self.what = what
        self.expected = expected


def need(answer: Answer, expected: Any, what: str) -> Any:
    """The answer's value, or the right verdict for an unavailable or missing resource."""
    if answer.error is not None:
        raise Unverifiable(answer, expected)
    if answer.missing:
        raise Missing(what, expected)
    return answer.value


class Reason(str):
    """A reason that keeps the values its judgement rested on: an f-string keeps an Unknown's text but not
    its type, so a check that formats a compared value into its reason (and not into ``actual``) passes
    it here, and ``run_check`` finds it structurally (never by reading the text)."""

    rests_on: tuple[Any, ...] = ()
    certain: bool = False  # a FAIL that stands on known values alone, whatever else a plan cannot show yet


def because(text: str, *values: Any) -> str:
    """text as a reason resting on values (an Unknown among them makes a FAIL UNVERIFIABLE on a plan)."""
    reason = Reason(text)
    reason.rests_on = values
    return reason


def certainly(text: str) -> str:
    """text as the reason of a FAIL that rests on known values only: an Unknown elsewhere in the verdict (a key
    ARN a first plan cannot show) must not turn a definite defect into UNVERIFIABLE."""
    reason = Reason(text)
    reason.certain = True
    return reason


def verdict(ok: bool, expected: Any, actual: Any, good: str, bad: str,
            rests_on: tuple[Any, ...] = ()) -> tuple[str, Any, Any, str]:
    return (PASS if ok else FAIL), expected, actual, good if ok else because(bad, *rests_on)


# ---------------------------------------------------------------------------------------------- tables

C_TABLES = "003 SIT/PROD Success: all 5 tables created (ACTIVE) under the contract's names (D1, D2)"
C_KEYS = "004 3.1: tables keyed by the LLD's PK/SK patterns (D3)"
C_GSIS = "003 SIT Success: all GSIs ACTIVE (D4: the contract's names, keys and projections)"
C_BILLING = "003 SIT Success: on-demand capacity mode confirmed (D6)"
C_PITR = "003 SIT Success: PITR enabled (D7)"
C_STREAMS = "004 3.3: streams enabled with new and old images for change data capture (D8)"
C_SSE = "003 Week 4: encryption at rest with KMS (D9)"
C_DELETION = "004 3.3: deletion protection enabled in PROD only (D10)"
C_TTL = "004 3.3: TTL not enabled"
C_TAGS = "004 5.3.3: every resource carries the required tags (D15)"
C_REPLICAS = "003 PROD Success: all 5 tables replicated to eu-west-1 (D13)"


def _table(ctx: Context, t: TableSpec) -> dict[str, Any]:
    region = ctx.desired.env.region
    return dict(need(ctx.snap.get("describe_table", region, t.name), f"table {t.name} in {region}", t.name))


@check("table.exists", "table", C_TABLES)
def table_exists(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = _table(ctx, t)
    status = table.get("TableStatus")
    return verdict(status == "ACTIVE", "ACTIVE", status, "the table exists and is ACTIVE",
                   f"the table is {status}, not ACTIVE")


def _key_schema(schema: list[dict[str, str]], types: dict[str, str]) -> dict[str, str]:
    return {k["KeyType"]: f"{k['AttributeName']} ({types.get(k['AttributeName'], '?')})" for k in schema}


def _expected_keys(partition: tuple[str, str], sort: tuple[str, str] | None) -> dict[str, str]:
    keys = {"HASH": f"{partition[0]} ({partition[1]})"}
    if sort:
        keys["RANGE"] = f"{sort[0]} ({sort[1]})"
    return keys


@check("table.key_schema", "table", C_KEYS)
def table_key_schema(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = _table(ctx, t)
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    c = t.table
    expected = _expected_keys((c.partition.attribute, c.partition.type),
                              (c.sort.attribute, c.sort.type) if c.sort else None)
    actual = _key_schema(table.get("KeySchema", []), types)
    return verdict(actual == expected, expected, actual, "the key schema matches the contract",
                   "the key schema differs from the contract")


@check("table.no_extra_indexes", "table", C_GSIS)
def table_no_extra_indexes(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = _table(ctx, t)
    actual = sorted(g["IndexName"] for g in table.get("GlobalSecondaryIndexes", []) or [])
    actual += sorted(f"{i['IndexName']} (LSI)" for i in table.get("LocalSecondaryIndexes", []) or [])
    expected = sorted(g.name for g in t.gsis)
    extra = sorted(set(actual) - set(expected))
    return verdict(not extra, expected, actual, "no index the contract does not name",
                   f"indexes the contract does not name: {', '.join(extra)}")


@check("table.billing_mode", "table", C_BILLING)
def table_billing(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = _table(ctx, t)
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    want = ctx.desired.env.billing_mode
    return verdict(mode == want, want, mode, "billed on demand", f"billed {mode}")


def _in_dr_regions(ctx: Context, t: TableSpec, operation: str, expected: Any) -> dict[str, Any]:
    """The answer of operation for this table in every replica region (prod: "... in both regions").

    A replica table the target silently never created makes the whole verdict UNVERIFIABLE.
    """
    env = ctx.desired.env
    found: dict[str, Any] = {}
    for region in env.replication.regions if env.replication else ():
        replica = ctx.snap.get("describe_table", region, t.name)
        if replica.missing and "replicas" in ctx.silent_gaps:
            raise Unverifiable(Answer(replica.call, error=f"no table ({ctx.silent_gaps['replicas']})"), expected)
        need(replica, expected, f"{t.name} in {region}")
        found[region] = need(ctx.snap.get(operation, region, t.name), expected, f"{t.name} in {region}")
    return found


def _pitr_status(description: dict[str, Any]) -> str:
    return str(description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus", "DISABLED"))


@check("table.pitr", "table", C_PITR)
def table_pitr(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _table(ctx, t)
    want = "ENABLED" if env.pitr_enabled else "DISABLED"
    desc = need(ctx.snap.get("describe_continuous_backups", env.region, t.name), want, t.name)
    statuses = {env.region: _pitr_status(desc)}
    if statuses[env.region] == want:  # 003 PROD Success: "PITR enabled in both regions"
        statuses.update({r: _pitr_status(d) for r, d in
                         _in_dr_regions(ctx, t, "describe_continuous_backups", want).items()})
    wrong = {r: s for r, s in statuses.items() if s != want}
    expected = dict.fromkeys(statuses, want) if len(statuses) > 1 else want
    actual = statuses if len(statuses) > 1 else statuses[env.region]
    return verdict(not wrong, expected, actual, f"PITR {want} in {', '.join(statuses)}",
                   "; ".join(f"PITR is {s} in {r}" for r, s in wrong.items()))


@check("table.pitr_recovery_period", "table", C_PITR)
def table_pitr_period(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _table(ctx, t)
    desc = need(ctx.snap.get("describe_continuous_backups", env.region, t.name), "days", t.name)
    pitr = desc.get("PointInTimeRecoveryDescription", {})
    want = env.pitr_recovery_period_days
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        return FAIL, want, None, "PITR is not enabled, so there is no recovery period"
    days = pitr.get("RecoveryPeriodInDays")
    if days is None:  # the API omits it for the default; the default is 35 days
        days = 35
    return verdict(days == want, want, days, f"restorable for {days} days",
                   f"restorable for {days} days, not {want}")


@check("table.stream", "table", C_STREAMS)
def table_stream(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = _table(ctx, t)
    spec = table.get("StreamSpecification") or {}
    actual = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    want = t.table.stream
    return verdict(actual == want, want, actual, f"streams {actual}",
                   "no stream" if actual is None else f"streams {actual}")


@check("table.encryption", "table", C_SSE)
def table_encryption(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    table = _table(ctx, t)
    sse = table.get("SSEDescription") or {}
    expected = {"SSEType": "KMS", "key": f"{env.encryption_kind} ({ctx.desired.key_alias})"}
    if not sse and "sse" in ctx.silent_gaps:
        call = ctx.snap.get("describe_table", env.region, t.name).call
        return UNVERIFIABLE, expected, None, f"{call} answered no SSEDescription; {ctx.silent_gaps['sse']}"
    if sse.get("Status") != "ENABLED" or sse.get("SSEType") != "KMS":
        actual = {"SSEType": sse.get("SSEType") or "AWS owned key (default)", "Status": sse.get("Status")}
        return FAIL, expected, actual, "not encrypted with a KMS key"
    key_arn = sse.get("KMSMasterKeyArn", "")
    key = need(ctx.snap.get("describe_key", env.region, ctx.desired.key_alias), expected, ctx.desired.key_alias)
    actual = {"SSEType": "KMS", "key": key_arn}
    if key_arn != key.get("Arn"):
        return FAIL, expected, actual, because(
            f"encrypted with {key_arn}, not with {ctx.desired.key_alias} ({key.get('Arn')})", key.get("Arn"))
    manager = key.get("KeyManager")
    if env.encryption_kind == "customer-managed" and manager != "CUSTOMER":
        return FAIL, expected, {**actual, "KeyManager": manager}, f"{ctx.desired.key_alias} is managed by {manager}"
    return PASS, expected, actual, f"SSE-KMS with {ctx.desired.key_alias}"


@check("table.deletion_protection", "table", C_DELETION)
def table_deletion_protection(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    actual = bool(_table(ctx, t).get("DeletionProtectionEnabled", False))
    want = ctx.desired.env.deletion_protection
    return verdict(actual == want, want, actual, f"deletion protection {'on' if actual else 'off'} as contracted",
                   f"deletion protection is {'on' if actual else 'off'}")


@check("table.ttl", "table", C_TTL)
def table_ttl(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _table(ctx, t)
    desc = need(ctx.snap.get("describe_time_to_live", env.region, t.name), "TTL", t.name)
    status = desc.get("TimeToLiveStatus", "DISABLED")
    enabled = status in ("ENABLED", "ENABLING")
    attr = desc.get("AttributeName")
    want = {"enabled": t.table.ttl_enabled, "attribute": t.table.ttl_attribute}
    actual = {"enabled": enabled, "attribute": attr if enabled else None}
    return verdict(actual == want, want, actual, f"TTL {status}", f"TTL is {status}")


@check("table.tags", "table", C_TAGS)
def table_tags(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _table(ctx, t)
    tags = {x["Key"]: x["Value"] for x in need(ctx.snap.get("list_tags_of_resource", env.region, t.name),
                                              dict(env.tags), t.name)}
    missing = sorted(k for k in env.tags if k not in tags)
    wrong = sorted(k for k in env.tags if k in tags and tags[k] != env.tags[k])
    actual = {k: tags.get(k) for k in env.tags}
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += [f"{k}={tags[k]!r} (expected {env.tags[k]!r})" for k in wrong]
    return verdict(not problems, dict(env.tags), actual, "all required tags present with their values",
                   "; ".join(problems))


@check("table.replicas", "table", C_REPLICAS)
def table_replicas(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    table = _table(ctx, t)
    repl = env.replication
    expected: dict[str, Any] = ({"regions": list(repl.regions), "version": repl.global_table_version,
                                 "status": "ACTIVE"} if repl else {"regions": []})
    replicas = {r["RegionName"]: r.get("ReplicaStatus") for r in table.get("Replicas", []) or []
                if r.get("RegionName") != env.region}
    actual: dict[str, Any] = {"regions": sorted(replicas), "version": table.get("GlobalTableVersion"),
                              "status": sorted(set(replicas.values()))}
    if not repl:
        return verdict(not replicas, expected, actual, "no replicas, as contracted",
                       f"replicated to {', '.join(sorted(replicas))}, which the contract does not name")
    if not replicas and "replicas" in ctx.silent_gaps:
        call = ctx.snap.get("describe_table", env.region, t.name).call
        return (UNVERIFIABLE, expected, actual,
                f"{call} answered no Replicas; {ctx.silent_gaps['replicas']}")
    problems = [f"no replica in {r}" for r in repl.regions if r not in replicas]
    problems += [f"replica in {r}, which the contract does not name" for r in replicas if r not in repl.regions]
    problems += [f"replica in {r} is {s}" for r, s in replicas.items() if r in repl.regions and s != "ACTIVE"]
    if actual["version"] != repl.global_table_version:
        problems.append(f"global table version {actual['version']}, not {repl.global_table_version}")
    for region in repl.regions:
        dr = ctx.snap.get("describe_table", region, t.name)
        if dr.ok and dr.value.get("TableStatus") != "ACTIVE":
            problems.append(f"the table in {region} is {dr.value.get('TableStatus')}")
        elif dr.missing:
            problems.append(f"no table {t.name} in {region}")
    return verdict(not problems, expected, actual, f"replicated to {', '.join(repl.regions)} and ACTIVE",
                   "; ".join(problems))


C_INVENTORY = "003 SIT/PROD Success: exactly the contract's tables, under its names (D1, D2; 000 blocker 5)"
C_REPLICA_SETTINGS = "003 PROD Success: the DR replica configured as the contract states (D6-D10, D13, D15)"


@check("table.lookalikes", "table", C_INVENTORY)
def table_lookalikes(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    """A table the contract does not name but that carries this table's base name (``tenants``,
    ``orders-sit-old``, a leftover ``<table>-restore-...`` of a drill, a copy in another region) is
    where writes, restores or an application may go instead: a FAIL naming it. Observation runs before
    this run's drills, so every restore table seen here was left behind by an earlier run."""
    desired = ctx.desired
    home = set(desired.env.regions)
    names = {x.name for x in desired.tables}
    bases = sorted((x.logical.lower() for x in desired.tables), key=len, reverse=True)
    expected = f"no table named {t.logical}* in {', '.join(desired.table_regions)} but {t.name} in {', '.join(home)}"
    found: list[str] = []
    for region in desired.table_regions:
        for name in need(ctx.snap.get("list_tables", region, "*"), expected, f"the tables of {region}"):
            if name in names and region in home:
                continue
            base = next((b for b in bases if str(name).lower().startswith(b)), None)
            if base == t.logical.lower():
                found.append(f"{name} ({region})")
    return verdict(not found, expected, found, f"no other table named like {t.logical}",
                   f"tables named like {t.name} that the contract does not have: {', '.join(found)}")


def _replica(ctx: Context, t: TableSpec, region: str, expected: Any) -> dict[str, Any]:
    replica = ctx.snap.get("describe_table", region, t.name)
    if replica.missing and "replicas" in ctx.silent_gaps:
        raise Unverifiable(Answer(replica.call, error=f"no table ({ctx.silent_gaps['replicas']})"), expected)
    return dict(need(replica, expected, f"{t.name} in {region}"))


@check("table.replica_settings", "replica", C_REPLICA_SETTINGS)
def table_replica_settings(ctx: Context, t: TableSpec, region: str) -> tuple[str, Any, Any, str]:
    """The replica in a DR region is its own table to AWS: billing, deletion protection, stream, its SSE
    key (the environment's key in that region), TTL and tags are each the replica's own."""
    env = ctx.desired.env
    alias = ctx.desired.key_alias
    expected = {"billing": env.billing_mode, "deletion_protection": env.deletion_protection,
                "stream": t.table.stream, "sse_key": f"{alias} in {region}", "ttl": t.table.ttl_attribute
                if t.table.ttl_enabled else None, "tags": dict(env.tags)}
    table = _replica(ctx, t, region, expected)
    sse = table.get("SSEDescription") or {}
    stream = table.get("StreamSpecification") or {}
    ttl = need(ctx.snap.get("describe_time_to_live", region, t.name), expected, f"{t.name} in {region}")
    tags = {x["Key"]: x["Value"] for x in need(ctx.snap.get("list_tags_of_resource", region, t.name), expected,
                                                f"{t.name} in {region}")}
    key = need(ctx.snap.get("describe_key", region, alias), expected, f"{alias} in {region}")
    actual = {"billing": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
              "deletion_protection": bool(table.get("DeletionProtectionEnabled", False)),
              "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
              "sse_key": sse.get("KMSMasterKeyArn") if sse.get("Status") == "ENABLED" else None,
              "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None,
              "tags": {k: tags.get(k) for k in env.tags}}
    # each problem is definite (it rests on known values) or rests on what a plan cannot show yet
    known: list[str] = []
    problems: list[str] = []
    for k in ("billing", "deletion_protection", "stream", "ttl"):
        if actual[k] != expected[k]:
            (known if mentions_unknown(actual[k]) is None else problems).append(
                f"{k} is {actual[k]!r}, not {expected[k]!r}")
    tag_problems = [f"tags: {p}" for p in _tags_problems(dict(env.tags), tags)]
    (known if mentions_unknown(list(tags.values())) is None else problems).extend(tag_problems)
    if actual["sse_key"] != key.get("Arn"):
        problems.append(f"encrypted with {actual['sse_key'] or 'no KMS key'}, not {alias} ({key.get('Arn')})")
    if known:  # definite whatever the key turns out to be
        return FAIL, expected, actual, certainly(f"the replica in {region}: " + "; ".join(known + problems))
    return verdict(not problems, expected, actual, f"the replica in {region} is configured as contracted",
                   f"the replica in {region}: " + "; ".join(problems), rests_on=(key.get("Arn"),))


# ------------------------------------------------------------------------------------------------ GSIs


def _gsi(ctx: Context, t: TableSpec, g: Gsi) -> dict[str, Any]:
    table = _table(ctx, t)
    for index in table.get("GlobalSecondaryIndexes", []) or []:
        if index["IndexName"] == g.name:
            return dict(index)
    raise Missing(f"{t.name}/{g.name}", g.name)


@check("gsi.status", "gsi", C_GSIS)
def gsi_status(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    statuses = {env.region: _gsi(ctx, t, g).get("IndexStatus")}
    if statuses[env.region] == "ACTIVE":  # 003 PROD Success: "All GSIs ACTIVE in both regions"
        for region, replica in _in_dr_regions(ctx, t, "describe_table", "ACTIVE").items():
            index = next((i for i in replica.get("GlobalSecondaryIndexes", []) or [] if i["IndexName"] == g.name),
                         {"IndexStatus": "missing"})
            statuses[region] = index.get("IndexStatus")
    wrong = {r: s for r, s in statuses.items() if s != "ACTIVE"}
    actual = statuses if len(statuses) > 1 else statuses[env.region]
    return verdict(not wrong, "ACTIVE", actual, f"the index is ACTIVE in {', '.join(statuses)}",
                   "; ".join(f"the index is {s} in {r}" for r, s in wrong.items()))


@check("gsi.key_schema", "gsi", C_GSIS)
def gsi_key_schema(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    index = _gsi(ctx, t, g)
    types = {a["AttributeName"]: a["AttributeType"] for a in _table(ctx, t).get("AttributeDefinitions", [])}
    attrs = t.table.attributes
    expected = _expected_keys((g.partition_key, attrs.get(g.partition_key, "?")),
                              (g.sort_key, attrs.get(g.sort_key, "?")) if g.sort_key else None)
    actual = _key_schema(index.get("KeySchema", []), types)
    return verdict(actual == expected, expected, actual, "the index keys match the contract",
                   "the index keys differ from the contract")


@check("gsi.projection", "gsi", C_GSIS)
def gsi_projection(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    proj = _gsi(ctx, t, g).get("Projection", {})
    expected = {"type": g.projection, "non_key_attributes": sorted(g.non_key_attributes)}
    actual = {"type": proj.get("ProjectionType"), "non_key_attributes": sorted(proj.get("NonKeyAttributes", []))}
    return verdict(actual == expected, expected, actual, f"projects {g.projection}", "the projection differs")


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


def _account(ctx: Context) -> str | None:
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
    account = _account(ctx)
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
                       f"arn:aws:dynamodb:{env.region}:{_account(ctx) or '000000000000'}:table/{t.name}")
        arns[t.name] = arn
    # AWS always answers the role (a required member); a plan may not show it: then the selection counts for
    # coverage, and a verdict that would otherwise PASS rests on it (UNVERIFIABLE, quoting the call)
    role_ok = {name: _like(sel["IamRoleArn"], f"arn:aws:iam::{_account(ctx) or '*'}:role/{env.backup.iam_role}")
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


def _tags_problems(want: dict[str, str], tags: dict[str, str]) -> list[str]:
    missing = sorted(k for k in want if k not in tags)
    return ([f"missing {', '.join(missing)}"] if missing else []) + [
        f"{k}={tags[k]!r} (expected {v!r})" for k, v in want.items() if k in tags and tags[k] != v]


def _tagged(ctx: Context, operation: str, where: list[tuple[str, str]],
            read: Callable[[Any], dict[str, str]]) -> tuple[str, Any, Any, str]:
    """The environment's tags (D15) on each (region, resource) as operation answers them."""
    want = dict(ctx.desired.env.tags)
    actual: dict[str, Any] = {}
    problems: list[str] = []
    for region, name in where:
        tags = read(need(ctx.snap.get(operation, region, name), want, f"{name} in {region}"))
        actual[f"{name}@{region}"] = {k: tags.get(k) for k in want}
        problems += [f"{name} in {region}: {p}" for p in _tags_problems(want, tags)]
    if len(where) == 1:
        actual = next(iter(actual.values()))
    return verdict(not problems, want, actual, "all required tags present with their values", "; ".join(problems))


@check("backup.vault_tags", "environment", C_BACKUP_TAGS, resource=lambda d: d.env.backup.vault)
def backup_vault_tags(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    vaults = [(env.region, env.backup.vault), *([(env.backup.copy.region, env.backup.copy.vault)]
                                                if env.backup.copy else [])]
    for region, vault in vaults:  # a missing vault is backup.vault's (or backup.copy's) FAIL, named there
        need(ctx.snap.get("describe_backup_vault", region, vault), dict(env.tags), f"{vault} in {region}")
    return _tagged(ctx, "list_tags", vaults, lambda tags: {str(k): str(v) for k, v in dict(tags).items()})


@check("backup.plan_tags", "environment", C_BACKUP_TAGS, resource=lambda d: d.env.backup.plan)
def backup_plan_tags(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    _plan(ctx)
    return _tagged(ctx, "list_tags", [(env.region, env.backup.plan)],
                   lambda tags: {str(k): str(v) for k, v in dict(tags).items()})


# ------------------------------------------------------------------------------------------ encryption

C_KEY = "003 PROD pre-deployment: KMS keys available (D9: customer-managed key in prod)"


@check("kms.key", "environment", C_KEY, resource=lambda d: d.key_alias)
def kms_key(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    alias = ctx.desired.key_alias
    key = need(ctx.snap.get("describe_key", env.region, alias), alias, alias)
    state = key.get("KeyState")
    if env.encryption_kind != "customer-managed":
        return verdict(state == "Enabled", "Enabled", state, f"{alias} is enabled", f"{alias} is {state}")
    rotation = need(ctx.snap.get("get_key_rotation_status", env.region, alias), "rotation on", alias)
    expected = {"KeyState": "Enabled", "KeyManager": "CUSTOMER", "rotation": env.key_rotation}
    actual = {"KeyState": state, "KeyManager": key.get("KeyManager"),
              "rotation": bool(rotation.get("KeyRotationEnabled"))}
    return verdict(actual == expected, expected, actual, f"{alias} is an enabled customer-managed key",
                   f"{alias} differs from the contract")


C_KEY_DR = "003 PROD Success: the DR region's KMS key available for the replica and the backup copy (D9, D13)"
C_KEY_TAGS = "004 5.3.3: every resource carries the required tags (D15: the customer-managed keys)"


@check("kms.dr_key", "dr_key", C_KEY_DR)
def kms_dr_key(ctx: Context, region: str) -> tuple[str, Any, Any, str]:
    """The key the DR replica and the copy vault are encrypted with: enabled, the customer's, rotating."""
    env = ctx.desired.env
    alias = ctx.desired.key_alias
    expected = {"KeyState": "Enabled", "KeyManager": "CUSTOMER", "rotation": env.key_rotation}
    key = need(ctx.snap.get("describe_key", region, alias), expected, f"{alias} in {region}")
    rotation = need(ctx.snap.get("get_key_rotation_status", region, alias), expected, f"{alias} in {region}")
    actual = {"KeyState": key.get("KeyState"), "KeyManager": key.get("KeyManager"),
              "rotation": bool(rotation.get("KeyRotationEnabled"))}
    wrong = [f"{k} is {actual[k]}, not {v}" for k, v in expected.items() if actual[k] != v]
    return verdict(not wrong, expected, actual, f"{alias} in {region} is an enabled customer-managed key",
                   f"{alias} in {region}: " + "; ".join(wrong))


@check("kms.key_tags", "cmk", C_KEY_TAGS)
def kms_key_tags(ctx: Context, region: str) -> tuple[str, Any, Any, str]:
    alias = ctx.desired.key_alias
    need(ctx.snap.get("describe_key", region, alias), dict(ctx.desired.env.tags), f"{alias} in {region}")
    return _tagged(ctx, "list_resource_tags", [(region, alias)],
                   lambda tags: {str(x["TagKey"]): str(x["TagValue"]) for x in tags})


# ------------------------------------------------------------------------------------------ monitoring

C_ALARMS = "003 Monitoring & Alerts: CloudWatch alarms with their thresholds and SNS actions"
C_ALARM_HEALTH = "003 SIT/PROD post-deployment validation: no contracted alarm is firing (ADR 0050)"
C_TOPICS = "003 Monitoring & Alerts: alerts reach DevOps and FinOps (an SNS topic with a confirmed subscriber)"
C_DASHBOARD = "003 SIT Success: monitoring dashboards configured"
C_COST = "003 Monitoring & Alerts: cost anomaly > 20% increase alerts FinOps"
ALARM_ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def _topics(ctx: Context) -> set[str]:
    env = ctx.desired.env
    topics = need(ctx.snap.get("list_topics", env.region, "*"), "SNS topics", "SNS")
    return {t["TopicArn"] for t in topics}


def _topic_arn(topics: set[str], name: str) -> str | None:
    return next((arn for arn in topics if arn.rsplit(":", 1)[-1] == name), None)


def _alarm(ctx: Context, a: AlarmSpec, expected: Any) -> dict[str, Any]:
    alarms = need(ctx.snap.get("describe_alarms", a.region, "*"), expected, a.name)
    found = next((x for x in alarms if x.get("AlarmName") == a.name), None)
    if found is None:
        raise Missing(a.name, expected)
    return dict(found)


def tags_verdict(expected: Mapping[str, str], tags: dict[str, str], where: str = "") -> tuple[str, Any, Any, str]:
    """Every required tag present with its value (extra tags are fine); ``where`` prefixes each problem."""
    actual = {k: tags.get(k) for k in expected}
    wrong = [f"{where}{k}={tags[k]!r} (expected {v!r})" if k in tags else f"{where}missing {k}"
             for k, v in expected.items() if tags.get(k) != v]
    return verdict(not wrong, dict(expected), actual, "all required tags present with their values", "; ".join(wrong))


def _tags_of(ctx: Context, arn: str, expected: Any, what: str) -> dict[str, str]:
    """The tags of one alarm or topic, from the region's Resource Groups Tagging API answer (a resource it does
    not list has no tags)."""
    answer = ctx.snap.get("get_resources", ctx.desired.env.region, TAGGED_TYPES)
    mapping: dict[str, Any] = next((m for m in need(answer, expected, what) if m.get("ResourceARN") == arn), {})
    return {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}


@check("alarm.configuration", "alarm", C_ALARMS)
def alarm_configuration(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """The metric or expression that drives the alarm as CloudWatch evaluates it (the one query returning data),
    its statistic and period, and the alarm's rule: comparison, threshold, periods, datapoints, missing data."""
    expected = a.canonical()
    actual = observed_alarm_canonical(_alarm(ctx, a, expected))
    problems = list(actual.get("problems", []))
    diff = sorted(k for k in expected if expected[k] != actual.get(k))
    if diff:
        problems.append(f"differs in {', '.join(diff)}")
    return verdict(not problems, expected, actual, f"{a.definition.plan}", "; ".join(problems))


@check("alarm.action", "alarm", C_ALARMS)
def alarm_action(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """The alarm notifies its topic with actions enabled, and every action it has (alarm, OK and
    insufficient-data) goes to a topic of the contract in this account: nothing else is told."""
    found = _alarm(ctx, a, a.topic)
    topics = _topics(ctx)
    arn = _topic_arn(topics, a.topic)
    actions = {k: list(found.get(k) or []) for k in ALARM_ACTION_LISTS if found.get(k)}
    if arn is None:
        return FAIL, a.topic, actions, f"SNS topic {a.topic} does not exist"
    ours = {x for x in (_topic_arn(topics, t) for t in ctx.desired.topics) if x}
    problems = [] if arn in actions.get("AlarmActions", []) else [f"does not notify {a.topic}"]
    foreign = sorted({x for acts in actions.values() for x in acts if x not in ours})
    if foreign:
        problems.append(f"also acts on {', '.join(foreign)}, which is not a topic of the contract")
    enabled = found.get("ActionsEnabled", True)
    if not enabled:
        problems.append("alarm actions are disabled")
    # definite whatever a plan cannot show yet: actions disabled, or an action on a known foreign ARN
    if (enabled is False) or any(mentions_unknown(x) is None for x in foreign):
        return FAIL, a.topic, actions, certainly("; ".join(problems))
    return verdict(not problems, a.topic, actions, f"notifies {a.topic}", "; ".join(problems))


@check("alarm.state", "alarm", C_ALARM_HEALTH)
def alarm_state(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """Post-deploy health: a contracted alarm in ALARM is a live fault. INSUFFICIENT_DATA (a new alarm, or a
    metric without traffic yet) is not firing (ADR 0050); alarm.configuration judges what it watches."""
    expected = "OK or INSUFFICIENT_DATA (not ALARM)"
    found = _alarm(ctx, a, expected)
    state = found.get("StateValue")
    if state is None:
        call = ctx.snap.get("describe_alarms", a.region, "*").call
        return UNVERIFIABLE, expected, None, f"{call} answered no StateValue: the target cannot show whether it fires"
    reason = found.get("StateReason") or ""
    return verdict(state != "ALARM", expected, state,
                   "not firing" + (" (no data points yet)" if state == "INSUFFICIENT_DATA" else ""),
                   f"the alarm is firing: {reason}".rstrip(": "))


@check("alarm.tags", "alarm", C_TAGS)
def alarm_tags(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    expected = dict(ctx.desired.env.tags)
    arn = _alarm(ctx, a, expected).get("AlarmArn")
    if not arn:
        call = ctx.snap.get("describe_alarms", a.region, "*").call
        return UNVERIFIABLE, expected, None, f"{call} answered no AlarmArn to find the alarm's tags by"
    return tags_verdict(expected, _tags_of(ctx, str(arn), expected, a.name))


def _topic(ctx: Context, name: str, expected: Any) -> str:
    arn = _topic_arn(_topics(ctx), name)
    if arn is None:
        raise Missing(f"SNS topic {name}", expected)
    return arn


@check("topic.subscribed", "topic", C_TOPICS)
def topic_subscribed(ctx: Context, name: str) -> tuple[str, Any, Any, str]:
    """Someone receives what the topic publishes: at least one confirmed subscription (the contract names no
    subscriber: who receives alerts is configured outside the repository, ADR 0050). A subscription still
    PendingConfirmation delivers nothing."""
    expected = "at least one confirmed subscription"
    region = ctx.desired.env.region
    arn = _topic(ctx, name, expected)
    subs = need(ctx.snap.get("list_subscriptions_by_topic", region, arn), expected, name)
    confirmed = sorted(str(s.get("Protocol")) for s in subs if str(s.get("SubscriptionArn", "")).startswith("arn:"))
    pending = sorted(str(s.get("Protocol")) for s in subs if not str(s.get("SubscriptionArn", "")).startswith("arn:"))
    actual = {"confirmed": confirmed, "not confirmed": pending}
    return verdict(bool(confirmed), expected, actual, f"reaches {len(confirmed)} confirmed subscriber(s)",
                   "reaches nobody: no confirmed subscription"
                   + (f" ({len(pending)} pending confirmation)" if pending else ""))


@check("topic.tags", "topic", C_TAGS)
def topic_tags(ctx: Context, name: str) -> tuple[str, Any, Any, str]:
    expected = dict(ctx.desired.env.tags)
    return tags_verdict(expected, _tags_of(ctx, _topic(ctx, name, expected), expected, name))


def _plotted(rows: list[Any], widget_region: Any) -> list[tuple[str, str, Any]]:
    """The visible rows of a metric widget as CloudWatch draws them: (metric, region, account); "..." and "."
    repeat the previous row's values, dimensions compare in any order, an expression row is itself."""
    out: list[tuple[str, str, Any]] = []
    previous: list[Any] = []
    for row in rows:
        if not isinstance(row, list):
            continue
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        values = [v for v in row if not isinstance(v, dict)]
        if values and values[0] == "...":
            values = previous[:max(len(previous) - len(values) + 1, 0)] + values[1:]
        values = [previous[i] if v == "." and i < len(previous) else v for i, v in enumerate(values)]
        previous = values
        if options.get("visible", True) is False:
            continue
        if "expression" in options:
            shown = f"expression {options['expression']}"
        else:
            dims = sorted(zip(values[2::2], values[3::2], strict=False))
            shown = " ".join(str(v) for v in values[:2] + [x for d in dims for x in d])
        out.append((shown, str(options.get("region", widget_region)), options.get("accountId")))
    return out


def _props(widget: dict[str, Any]) -> dict[str, Any]:
    """A widget's properties (a body CloudWatch would refuse may hold anything there)."""
    props = widget.get("properties")
    return props if isinstance(props, dict) else {}


def _widget_problems(ctx: Context, w: WidgetSpec, widget: dict[str, Any]) -> tuple[Any, list[str]]:
    """What one widget shows, and how it differs from the contract's widget."""
    region = ctx.desired.env.region
    props = _props(widget)
    kind = "alarm" if w.kind == "alarms" else "metric"
    problems = [] if widget.get("type") == kind else [f"is a {widget.get('type')} widget, not {kind}"]
    if kind == "alarm":
        shown = []
        alarms = props.get("alarms")
        for x in alarms if isinstance(alarms, list) else []:
            parts = str(x).split(":")
            where = parts[3] if len(parts) > 6 and parts[0] == "arn" else region
            shown.append(parts[-1] if where == region else f"{parts[-1]} ({where})")
        missing = sorted(set(w.alarms) - set(shown))
        extra = sorted(set(shown) - set(w.alarms))
    else:
        rows = props.get("metrics")
        plotted = _plotted(rows if isinstance(rows, list) else [], props.get("region"))
        shown = sorted(m if r == region else f"{m} ({r})" for m, r, _ in plotted)
        want = {m for m, _, _ in _plotted([list(r) for r in w.rows], region)}
        missing = sorted(want - set(shown))
        extra = sorted(set(shown) - want)
        accounts = sorted({str(acc) for _, _, acc in plotted if acc not in (None, ctx.desired.env.account)})
        problems += [f"reads account {', '.join(accounts)}"] if accounts else []
    problems += [f"does not show {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"] if missing else []
    problems += [f"also shows {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}"] if extra else []
    return {"type": widget.get("type"), "shows": sorted(shown)}, problems


@check("dashboard.widget", "widget", C_DASHBOARD)
def dashboard_widget(ctx: Context, w: WidgetSpec) -> tuple[str, Any, Any, str]:
    """Every widget with the contract's title shows exactly the contract's metrics (namespace, metric,
    dimensions) or alarms, from the environment's region and account: a copy elsewhere is not the dashboard."""
    env = ctx.desired.env
    kind = "alarm" if w.kind == "alarms" else "metric"
    want = sorted(w.alarms) if w.kind == "alarms" else sorted(m for m, _, _ in _plotted([list(r) for r in w.rows],
                                                                                          env.region))
    expected = {"title": w.title, "type": kind, "region": env.region, "shows": want}
    dash = need(ctx.snap.get("get_dashboard", env.region, env.monitoring.dashboard), expected,
                env.monitoring.dashboard)
    try:
        body = json.loads(dash.get("DashboardBody") or "{}")
    except json.JSONDecodeError:
        return FAIL, expected, dash.get("DashboardBody", "")[:80], "the dashboard body is not JSON"
    listed = body.get("widgets") if isinstance(body, dict) else None
    widgets = [x for x in listed if isinstance(x, dict) and _props(x).get("title") == w.title] \
        if isinstance(listed, list) else []
    if not widgets:
        return FAIL, expected, None, f"no widget titled {w.title!r}"
    judged = [_widget_problems(ctx, w, x) for x in widgets]
    problems = [p for _, ps in judged for p in ps]
    actual = judged[0][0] if len(judged) == 1 else [j for j, _ in judged]
    if len(judged) > 1 and not problems:
        problems = [f"{len(judged)} widgets titled {w.title!r}"]
    return verdict(not problems, expected, actual, "shows every metric as contracted" if kind == "metric"
                   else "shows every alarm", "; ".join(problems))


def _arn_name(arn: str) -> str:
    """The resource name at the end of an ARN (a plan's unknown ARN stays itself)."""
    return arn if isinstance(arn, Unknown) else arn.rsplit(":", 1)[-1]


def _expression(value: Any) -> Any:
    """A Cost Explorer Expression without empty members, its numbers compared as numbers ("20" == "20.0")."""
    if isinstance(value, dict):
        return {k: _expression(v) for k, v in sorted(value.items()) if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_expression(v) for v in value]
    try:
        return float(value) if isinstance(value, str) and not isinstance(value, Unknown) else value
    except ValueError:
        return value


def _cost_expression(percent: float) -> dict[str, Any]:
    return {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE", "Values": [f"{percent:g}"],
                           "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}


@check("cost.anomaly_alert", "environment", C_COST, resource=lambda d: d.env.monitoring.cost_monitor)
def cost_anomaly(ctx: Context) -> tuple[str, Any, Any, str]:
    """The monitor watches every service (DIMENSIONAL/SERVICE, as Terraform and the provisioner create it), and a
    subscription on it has a whole threshold expression that is the contract's (no extra And that
    makes it unreachable, no Or, no other dimension or match option), sent immediately to the contract's
    topic in this account and to nobody else. Any one such subscription satisfies the criterion."""
    env = ctx.desired.env
    name = env.monitoring.cost_monitor
    topic = ctx.desired.cost_anomaly_topic
    expected = {"monitor": name, "threshold": _cost_expression(ctx.desired.cost_anomaly_percent),
                "frequency": COST_FREQUENCY, "subscribers": [f"SNS {topic}"]}
    monitors = need(ctx.snap.get("get_anomaly_monitors", "us-east-1", "*"), expected, name)
    monitor = next((m for m in monitors if m.get("MonitorName") == name), None)
    if monitor is None:
        raise Missing(name, expected)
    watches = f"{monitor.get('MonitorType')}/{monitor.get('MonitorDimension')}"
    if watches != f"{COST_MONITOR_TYPE}/{COST_MONITOR_DIMENSION}":  # a narrower monitor misses DynamoDB's costs
        return FAIL, expected, {"monitor": name, "watches": watches}, \
            f"{name} watches {watches}, not every service ({COST_MONITOR_TYPE}/{COST_MONITOR_DIMENSION})"
    subs = need(ctx.snap.get("get_anomaly_subscriptions", "us-east-1", "*"), expected, name)
    topic_arn = _topic_arn(_topics(ctx), topic)
    judged: list[tuple[str, Any, Any, str]] = []
    for sub in subs:
        if monitor.get("MonitorArn") not in sub.get("MonitorArnList", []):
            continue
        subscribers = [(s.get("Type"), s.get("Address"), s.get("Status")) for s in sub.get("Subscribers", [])]
        shown = [f"{t} {_arn_name(str(a)) if a == topic_arn else a}" + (f" ({st})" if st and st != "CONFIRMED"
                                                                         else "") for t, a, st in subscribers]
        threshold = sub.get("ThresholdExpression") or {}
        actual = {"monitor": name, "threshold": threshold, "frequency": sub.get("Frequency"), "subscribers": shown}
        problems = []
        if topic_arn is None or not any(t == "SNS" and a == topic_arn and st != "DECLINED" for t, a, st in subscribers):
            problems.append(f"does not notify {topic}")
        others = [s for s, (t, a, _) in zip(shown, subscribers, strict=True) if not (t == "SNS" and a == topic_arn)]
        if others:
            problems.append(f"also notifies {', '.join(others)}")
        if _expression(threshold) != _expression(expected["threshold"]):
            percents = _impact_percentages(threshold)
            want = ctx.desired.cost_anomaly_percent
            problems.append(f"alerts at an impact of {percents or 'no percentage'} (>=), not {want:g}%"
                            if percents != [want] else
                            "the threshold expression is not exactly the contract's (another term, And, Or "
                            "or match option)")
        if sub.get("Frequency") != COST_FREQUENCY:
            problems.append(f"alerts {sub.get('Frequency')}, not {COST_FREQUENCY}")
        judged.append(verdict(not problems, expected, actual, "anomalies above the threshold reach FinOps",
                              "; ".join(problems)))
    if not judged:
        return FAIL, expected, {"monitor": name, "subscriptions": 0}, f"no subscription alerts on {name}"
    # any one subscription whose whole expression, frequency and subscribers are as contracted satisfies it
    return next((j for j in judged if j[0] == PASS), judged[0])


def _impact_percentages(expression: dict[str, Any]) -> list[float]:
    """Every ANOMALY_TOTAL_IMPACT_PERCENTAGE >= value in a Cost Explorer threshold expression (And/Or nested)."""
    found: list[float] = []
    dims = expression.get("Dimensions") or {}
    if dims.get("Key") == "ANOMALY_TOTAL_IMPACT_PERCENTAGE" and \
            list(dims.get("MatchOptions") or []) == ["GREATER_THAN_OR_EQUAL"]:
        for value in dims.get("Values") or []:
            try:
                found.append(float(value))
            except (TypeError, ValueError):
                continue
    for nested in (expression.get("And") or []) + (expression.get("Or") or []):
        found += _impact_percentages(nested)
    return found


# ------------------------------------------------------------------------------------ buckets (004 4)

C_BUCKET = "004 11.1: S3 buckets created with correct configurations (004 4.3)"
C_BUCKET_REPLICATION = "004 7.2: the PROD template bucket replicates to eu-west-1; DEV and SIT do not"
C_BUCKET_TAGS = "004 5.3.3: every resource carries the required tags (Component s3)"
C_TEMPLATES = "004 11.1: all HTML templates uploaded to S3 (004 4.2.3), each at its current content"


def _s3(ctx: Context, b: BucketSpec, operation: str, expected: Any, bucket: str | None = None,
        region: str | None = None) -> dict[str, Any] | None:
    """One S3 answer about a bucket: its value, None for "not configured", Missing for no such bucket."""
    name, where = bucket or b.name, region or b.region
    answer = ctx.snap.get(operation, where, name)
    if answer.error is not None:
        raise Unverifiable(answer, expected)
    if answer.missing:
        if (answer.value or {}).get("Error") == "NoSuchBucket":
            raise Missing(f"bucket {name} in {where}", expected)
        return None
    return dict(answer.value or {})


@check("bucket.versioning", "bucket", C_BUCKET)
def bucket_versioning(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    want = "Enabled" if b.bucket.versioning else "not enabled"
    status = (_s3(ctx, b, "get_bucket_versioning", want) or {}).get("Status", "never enabled")
    ok = status == "Enabled" if b.bucket.versioning else status != "Enabled"
    return verdict(ok, want, status, f"versioning {status}", f"versioning is {status}")


@check("bucket.encryption", "bucket", C_BUCKET)
def bucket_encryption(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    want = "AES256" if b.bucket.encryption == "SSE-S3" else "aws:kms"
    config = _s3(ctx, b, "get_bucket_encryption", want)
    rules = (config or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algorithms = [(r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for r in rules]
    actual = algorithms[0] if len(algorithms) == 1 else algorithms or None
    return verdict(actual == want, want, actual, f"default encryption {want} ({b.bucket.encryption})",
                   "no default encryption" if actual is None else f"default encryption is {actual}")


PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@check("bucket.public_access", "bucket", C_BUCKET)
def bucket_public_access(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    expected = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
    config = (_s3(ctx, b, "get_public_access_block", expected) or {}).get("PublicAccessBlockConfiguration", {})
    actual = {k: bool(config.get(k, False)) for k in PUBLIC_ACCESS_FLAGS}
    off = [k for k, v in actual.items() if not v]
    return verdict(not off, expected, actual, "all public access blocked", f"not blocked: {', '.join(off)}")


def _whole_bucket(rule: dict[str, Any]) -> bool:
    """A lifecycle rule that applies to every object (no prefix, tag or size filter)."""
    f = rule.get("Filter")
    if f is None:
        return not rule.get("Prefix")
    return not any(v not in ("", None, {}) for v in f.values())


def _rule_scope(rule: dict[str, Any]) -> str:
    """Which objects a lifecycle rule applies to, in words."""
    if _whole_bucket(rule):
        return "every object"
    f = rule.get("Filter") or {"Prefix": rule.get("Prefix")}
    return "objects matching " + json.dumps(f, sort_keys=True, default=str)


@check("bucket.lifecycle", "bucket", C_BUCKET)
def bucket_lifecycle(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """The lifecycle S3 applies over every enabled rule (ADR 0052): where rules overlap the shortest expiry wins,
    so any rule, whatever its filter, that expires current versions, expires noncurrent ones sooner than the
    contract or transitions objects breaks it; a whole-bucket rule keeps noncurrent versions the contract's
    days. Aborting incomplete multipart uploads is harmless."""
    days = b.bucket.noncurrent_version_expiration_days
    expected = {"noncurrent_version_expiration_days": days, "applies_to": "every object",
                "current_versions": "never expire", "transitions": []}
    rules = (_s3(ctx, b, "get_bucket_lifecycle_configuration", expected) or {}).get("Rules", [])
    active = [r for r in rules if r.get("Status") == "Enabled"]
    actual = [{"id": r.get("ID"), "applies_to": _rule_scope(r),
               "noncurrent_days": (r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
               "expires_current": {k: v for k, v in (r.get("Expiration") or {}).items()
                                   if k in ("Days", "Date")} or None,
               "transitions": [t.get("StorageClass") for t in (r.get("Transitions") or [])
                               + (r.get("NoncurrentVersionTransitions") or [])]} for r in active]
    problems = [f"rule {a['id']} expires current versions of {a['applies_to']}: templates would disappear"
                for a in actual if a["expires_current"]]
    problems += [f"rule {a['id']} expires noncurrent versions of {a['applies_to']} after {a['noncurrent_days']} "
                 f"days, sooner than {days}" for a in actual
                 if a["noncurrent_days"] is not None and a["noncurrent_days"] < days]
    problems += [f"rule {a['id']} transitions {a['applies_to']} to {', '.join(map(str, a['transitions']))}, "
                 "which the contract does not" for a in actual if a["transitions"]]
    if not any(a["noncurrent_days"] == days and a["applies_to"] == "every object" for a in actual):
        found = sorted({a["noncurrent_days"] for a in actual if a["noncurrent_days"] is not None
                        and a["applies_to"] == "every object"})
        problems.append("no enabled lifecycle rule" if not actual else
                        f"noncurrent versions kept {found or 'forever'} days on the whole bucket, not {days}")
    return verdict(not problems, expected, actual, f"noncurrent versions kept {days} days", "; ".join(problems))


@check("bucket.region", "bucket", C_BUCKET)
def bucket_region(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """The bucket is in the environment's region (HeadBucket's BucketRegion): a same-named bucket elsewhere is not
    the contract's (data residency, and the Lambdas read it in-region)."""
    region = (_s3(ctx, b, "head_bucket", b.region) or {}).get("BucketRegion")
    return verdict(region == b.region, b.region, region, f"in {region}", f"the bucket is in {region}, not {b.region}")


@check("bucket.object_lock", "bucket", C_BUCKET)
def bucket_object_lock(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """Object lock as contracted: off, templates are replaced in place (a lock would refuse the update)."""
    want = b.bucket.object_lock
    config = (_s3(ctx, b, "get_object_lock_configuration", want) or {}).get("ObjectLockConfiguration") or {}
    enabled = config.get("ObjectLockEnabled") == "Enabled"
    actual: Any = {"enabled": enabled, **({"rule": config["Rule"]} if config.get("Rule") else {})}
    state = "on" if enabled else "off"
    return verdict(enabled == want, {"enabled": want}, actual, f"object lock {state} as contracted",
                   f"object lock is {state}")


# a condition on one of these keys, with a value without wildcards, limits who a "*" principal is (S3's own rule
# for "public": https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)
RESTRICTING_CONDITION_KEYS = {
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip",
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn", "aws:userid",
    "s3:dataaccesspointarn", "s3:dataaccesspointaccount"}
RESTRICTING_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "IpAddress")


def _broad(value: Any) -> bool:
    """A value that restricts nobody: a wildcard, or an IP range wider than a /8 (IPv4) or a /32 (IPv6), which
    a decoy can split everyone into (0.0.0.0/1 + 128.0.0.0/1)."""
    text = str(value)
    if "*" in text or "?" in text:
        return True
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return network.prefixlen < (8 if network.version == 4 else 32)


def _restricted(condition: Any) -> bool:
    """A condition that restricts who the statement grants: one of the exact operators (an ``...IfExists``
    operator passes whenever the key is absent, which it is for anonymous requests) on a key that names the
    caller or the source, with values none of which is broad."""
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if str(operator).split(":")[-1] not in RESTRICTING_OPERATORS or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            values = values if isinstance(values, list) else [values]
            if str(key).lower() in RESTRICTING_CONDITION_KEYS and values and not any(_broad(v) for v in values):
                return True
    return False


def _everyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return "*" in (aws if isinstance(aws, list) else [aws])
    return False


def public_statements(policy: str) -> list[str]:
    """The Allow statements of a bucket policy that grant everyone ("*", NotPrincipal) without a restricting
    condition, by Sid or position; a policy that is not JSON is reported as such."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return ["a policy that is not JSON"]
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = statements if isinstance(statements, list) else [statements]
    return [str(st.get("Sid") or f"statement {i + 1}") for i, st in enumerate(statements)
            if isinstance(st, dict) and st.get("Effect") == "Allow" and _everyone(st)
            and not _restricted(st.get("Condition"))]


def _policy_problems(ctx: Context, b: BucketSpec, name: str, expected: Any) -> tuple[Any, list[str]]:
    policy = (_s3(ctx, b, "get_bucket_policy", expected, bucket=name) or {}).get("Policy")
    status = (_s3(ctx, b, "get_bucket_policy_status", expected, bucket=name) or {}).get("PolicyStatus") or {}
    public = public_statements(policy) if policy else []
    problems = [f"the policy of {name} grants everyone: {', '.join(public)}"] if public else []
    if status.get("IsPublic"):
        problems.append(f"S3 reports the policy of {name} as public")
    return {"policy": bool(policy), "public_statements": public, "IsPublic": bool(status.get("IsPublic"))}, problems


@check("bucket.policy", "bucket", C_BUCKET)
def bucket_policy(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """No public bucket policy on the bucket or its access-log bucket: no Allow to everyone without a restricting
    condition, and S3's own PolicyStatus not public (the public access block is judged by bucket.public_access)."""
    expected = "no statement that grants everyone; PolicyStatus not public"
    actual: dict[str, Any] = {}
    problems: list[str] = []
    for name in [b.name] + ([b.logging_bucket] if b.logging_bucket else []):
        actual[name], found = _policy_problems(ctx, b, name, expected)
        problems += found
    return verdict(not problems, expected, actual, "no public bucket policy", "; ".join(problems))


@check("bucket.log_bucket", "bucket", C_BUCKET)
def bucket_log_bucket(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """The access-log bucket holds the audit trail: encrypted with S3-managed keys (the only default encryption
    S3 server access logging delivers into) and blocking all public access."""
    if b.logging_bucket is None:
        return NOT_APPLICABLE, None, None, "the contract gives this bucket no access-log bucket"
    name = b.logging_bucket
    expected = {"encryption": "AES256", "public_access_block": dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)}
    _s3(ctx, b, "head_bucket", expected)  # the log bucket of a bucket that does not exist is nobody's: Missing
    config = _s3(ctx, b, "get_bucket_encryption", expected, bucket=name)
    rules = (config or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algorithms = [(r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for r in rules]
    block = (_s3(ctx, b, "get_public_access_block", expected, bucket=name) or {}).get(
        "PublicAccessBlockConfiguration", {})
    encryption = algorithms[0] if len(algorithms) == 1 else algorithms or None
    blocked = {k: bool(block.get(k, False)) for k in PUBLIC_ACCESS_FLAGS}
    actual = {"encryption": encryption, "public_access_block": blocked}
    problems = [] if encryption == "AES256" else [f"{name} default encryption is {encryption}"]
    off = [k for k, v in blocked.items() if not v]
    problems += [f"{name} does not block: {', '.join(off)}"] if off else []
    return verdict(not problems, expected, actual, f"{name} is encrypted and private", "; ".join(problems))


def _base(naming: str) -> str:
    """A bucket name pattern's part before the environment: bbws-templates-{env} -> bbws-templates."""
    return naming.split("{env}")[0].rstrip("-_.") if "{env}" in naming else naming


@check("bucket.inventory", "bucket", C_BUCKET)
def bucket_inventory(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """Every bucket in the account named like this bucket or its access-log bucket (the base name with any
    suffix, or none) is one the contract creates: a leftover copy (bbws-templates-sit-old, an unsuffixed
    bbws-templates) holds templates and logs nobody verifies. ListBuckets answers for every region."""
    contracted = {b.name} | ({b.logging_bucket} if b.logging_bucket else set()) | (
        {b.replication.bucket} if b.replication else set())
    bases = {x for x in (_base(b.bucket.bucket_naming), _base(b.bucket.logging_naming or "")) if x}
    listed = need(ctx.snap.get("list_buckets", ctx.desired.env.region, "*"), sorted(contracted), "S3 buckets")
    names = sorted(str(x.get("Name")) for x in listed if any(str(x.get("Name")).startswith(p) for p in bases))
    extra = [n for n in names if n not in contracted]
    problems = [f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not in the contract"] if extra else []
    if b.name not in names:
        problems.append(f"{b.name} does not exist")
    return verdict(not problems, sorted(contracted), names, "no bucket named like the contract's but not in it",
                   "; ".join(problems))


@check("bucket.logging", "bucket", C_BUCKET)
def bucket_logging(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    expected = {"target_bucket": b.logging_bucket, "prefix": b.logging_prefix}
    enabled = (_s3(ctx, b, "get_bucket_logging", expected) or {}).get("LoggingEnabled") or {}
    actual = {"target_bucket": enabled.get("TargetBucket"), "prefix": enabled.get("TargetPrefix")}
    if b.logging_bucket is None:
        return verdict(not enabled, expected, actual, "no access logging, as contracted",
                       "logs although not contracted")
    if actual != expected:
        return FAIL, expected, actual, ("access logging is off" if not enabled else
                                        f"logs to {actual['target_bucket']}/{actual['prefix']}")
    _s3(ctx, b, "head_bucket", expected, bucket=b.logging_bucket)  # Missing when it does not exist
    return PASS, expected, actual, f"access logs go to the separate bucket {b.logging_bucket}"


@check("bucket.replication", "bucket", C_BUCKET_REPLICATION)
def bucket_replication(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    r = b.replication
    expected: Any = {"destination": f"arn:aws:s3:::{r.bucket}", "region": r.region, "role": r.role,
                     "status": "Enabled"} if r else None
    config = (_s3(ctx, b, "get_bucket_replication", expected) or {}).get("ReplicationConfiguration")
    rules = (config or {}).get("Rules", [])
    got: dict[str, Any] = {"role": (config or {}).get("Role"),
                           "rules": [{"destination": (x.get("Destination") or {}).get("Bucket"),
                                      "status": x.get("Status")} for x in rules]}
    if r is None:
        return verdict(not rules, expected, got if config else None, "no replication, as contracted (PROD only)",
                       "replicates although the contract has no replica for this environment")
    if not config:
        return FAIL, expected, None, "no replication configuration"
    actual = got
    problems = []
    enabled = [x for x in rules if x.get("Status") == "Enabled"]
    # S3 replicates an object by every enabled rule whose filter matches it: each one counts, not only the first
    if not any(_replicated(x) == expected["destination"] and _every_object(x) for x in enabled):
        problems.append(f"no enabled rule replicates every object to {r.bucket}" if any(
            _replicated(x) == expected["destination"] for x in enabled) else
            f"no enabled rule replicating to {r.bucket}")
    elsewhere = sorted({str(_replicated(x)) for x in enabled if _replicated(x) != expected["destination"]})
    problems += [f"also replicates to {', '.join(elsewhere)}"] if elsewhere else []
    accounts = sorted({str(a) for x in enabled if (a := (x.get("Destination") or {}).get("Account"))
                       and a != _account(ctx)})
    problems += [f"replicates into account {', '.join(accounts)}"] if accounts else []
    role = str(actual["role"] or "")
    account = _account(ctx)
    if not (role.endswith(f"/{r.role}") and role.startswith(f"arn:aws:iam::{account or ''}")
            and ":role/" in role):
        problems.append(f"replicates as {actual['role']}, not role {r.role} of this account")
    if problems:
        return FAIL, expected, actual, "; ".join(problems)
    dest_region = (_s3(ctx, b, "head_bucket", expected, bucket=r.bucket, region=r.region) or {}).get("BucketRegion")
    dest_versioning = (_s3(ctx, b, "get_bucket_versioning", expected, bucket=r.bucket, region=r.region)
                       or {}).get("Status")
    actual.update(region=dest_region, destination_versioning=dest_versioning)
    if dest_region != r.region:
        return FAIL, expected, actual, f"{r.bucket} is in {dest_region}, not {r.region}"
    return verdict(dest_versioning == "Enabled", expected, actual, f"replicates to {r.bucket} in {r.region}",
                   f"{r.bucket} is not versioned, so S3 cannot replicate into it")


def _replicated(rule: dict[str, Any]) -> Any:
    return (rule.get("Destination") or {}).get("Bucket")


def _every_object(rule: dict[str, Any]) -> bool:
    """A replication rule that applies to every object: no filter, an empty one, or an empty prefix."""
    f = rule.get("Filter")
    if f is None:
        return not rule.get("Prefix")
    return not f or (set(f) == {"Prefix"} and not f["Prefix"])


@check("bucket.tags", "bucket", C_BUCKET_TAGS)
def bucket_tags(ctx: Context, b: BucketSpec) -> tuple[str, Any, Any, str]:
    """The bucket's tags, and its access-log bucket's (created by the contract too)."""
    expected = dict(b.tags)
    found = []
    for name in [b.name] + ([b.logging_bucket] if b.logging_bucket else []):
        tagset = (_s3(ctx, b, "get_bucket_tagging", expected, bucket=name) or {}).get("TagSet", [])
        found.append(tags_verdict(expected, {t["Key"]: t["Value"] for t in tagset},
                                  "" if name == b.name else f"{name}: "))
    reasons = [r for status, _, _, r in found if status == FAIL]
    return verdict(not reasons, expected, found[0][2], "all required tags present with their values",
                   "; ".join(reasons))


@check("template.object", "template", C_TEMPLATES)
def template_object(ctx: Context, b: BucketSpec, o: TemplateObject) -> tuple[str, Any, Any, str]:
    expected = {o.key: o.md5, o.text_key: o.text_md5}
    answer = ctx.snap.get("list_objects_v2", b.region, b.name)
    contents = need(answer, expected, f"bucket {b.name} in {b.region}")
    etags = {c["Key"]: str(c.get("ETag", "")).strip('"') for c in contents}
    actual = {k: etags.get(k) for k in expected}
    problems = []
    for key, md5 in expected.items():
        if md5 is None:
            problems.append(f"the repository has no templates/{key} to compare with")
        elif key not in etags:
            problems.append(f"s3://{b.name}/{key} does not exist")
        elif etags[key] != md5:
            problems.append(f"s3://{b.name}/{key} has MD5 {etags[key]}, the repository's is {md5} (stale upload)")
    return verdict(not problems, expected, actual, "the template and its plain-text alternative are current",
                   "; ".join(problems))


# ------------------------------------------------------------------------------------------- evaluate


def _subjects(definition: CheckDef, desired: Desired) -> Iterator[tuple[str, tuple[Any, ...]]]:
    scope = definition.scope
    if scope == "table":
        for t in desired.tables:
            yield t.name, (t,)
    elif scope == "gsi":
        for t in desired.tables:
            for g in t.gsis:
                yield f"{t.name}/{g.name}", (t, g)
    elif scope == "replica":  # a table in each DR region it is replicated to
        for t in desired.tables:
            for region in desired.env.replication.regions if desired.env.replication else ():
                yield f"{t.name}@{region}", (t, region)
    elif scope in ("dr_key", "cmk"):  # the customer-managed key in each region (dr_key: outside the primary)
        if desired.env.encryption_kind == "customer-managed":
            for region in (() if scope == "dr_key" else (desired.env.region,)) + desired.dr_regions:
                yield desired.key_alias if region == desired.env.region else f"{desired.key_alias}@{region}", \
                    (region,)
    elif scope == "alarm":
        for a in desired.alarms:
            yield a.name, (a,)
    elif scope == "topic":
        for name in desired.topics:
            yield name, (name,)
    elif scope == "widget":
        for w in desired.widgets:
            yield f"{desired.env.monitoring.dashboard}/{w.title}", (w,)
    elif scope == "bucket":
        for b in desired.buckets:
            yield b.name, (b,)
    elif scope == "template":
        for b in desired.buckets:
            for o in b.objects:
                yield f"{b.name}/{o.key}", (b, o)
    else:
        yield (definition.resource or (lambda d: d.env.name))(desired), ()


def run_check(definition: CheckDef, ctx: Context, resource: str, args: tuple[Any, ...]) -> Verdict:
    try:
        status, expected, actual, reason = definition.fn(ctx, *args)
    except Unverifiable as exc:
        return Verdict(definition.id, definition.criterion, resource, UNVERIFIABLE, exc.expected, None,
                       f"{exc.answer.call} answered: {exc.answer.error}")
    except Missing as exc:
        return Verdict(definition.id, definition.criterion, resource, FAIL, exc.expected, None,
                       f"{exc.what} does not exist")
    unknown = mentions_unknown(actual) or mentions_unknown(getattr(reason, "rests_on", ()))
    if status == FAIL and unknown is not None and not getattr(reason, "certain", False):
        # a plan: the failure rests on a value it cannot show yet
        return Verdict(definition.id, definition.criterion, resource, UNVERIFIABLE, expected, actual,
                       f"{unknown[1:-1]}, so the plan cannot show it ({reason})")
    return Verdict(definition.id, definition.criterion, resource, status, expected, actual, str(reason))


def evaluate(desired: Desired, snap: Snapshot, silent_gaps: dict[str, str] | None = None) -> list[Verdict]:
    """Every registered check over every resource of the environment, in a stable order."""
    ctx = Context(desired, snap, dict(silent_gaps or {}))
    verdicts: list[Verdict] = []
    for definition in CHECKS.values():
        for resource, args in _subjects(definition, desired):
            verdicts.append(run_check(definition, ctx, resource, args))
    return verdicts
