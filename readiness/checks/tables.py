"""Table checks: existence, keys, billing, PITR, streams, encryption, protection, TTL, tags, replicas and
look-alikes (features/tables.feature, encryption, recovery, replication, tags)."""

from __future__ import annotations

from typing import Any

from readiness.checks.core import (
    C_TAGS,
    Context,
    Unverifiable,
    because,
    certainly,
    check,
    need,
    tags_problems,
    verdict,
)
from readiness.contract.desired import TableSpec
from readiness.observation.live import Answer
from readiness.outcome import FAIL, PASS, UNVERIFIABLE, mentions_unknown

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
C_REPLICAS = "003 PROD Success: all 5 tables replicated to eu-west-1 (D13)"


def described_table(ctx: Context, t: TableSpec) -> dict[str, Any]:
    region = ctx.desired.env.region
    return dict(need(ctx.snap.get("describe_table", region, t.name), f"table {t.name} in {region}", t.name))


@check("table.exists", "table", C_TABLES)
def table_exists(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = described_table(ctx, t)
    status = table.get("TableStatus")
    return verdict(status == "ACTIVE", "ACTIVE", status, "the table exists and is ACTIVE",
                   f"the table is {status}, not ACTIVE")


def key_schema(schema: list[dict[str, str]], types: dict[str, str]) -> dict[str, str]:
    return {k["KeyType"]: f"{k['AttributeName']} ({types.get(k['AttributeName'], '?')})" for k in schema}


def expected_keys(partition: tuple[str, str], sort: tuple[str, str] | None) -> dict[str, str]:
    keys = {"HASH": f"{partition[0]} ({partition[1]})"}
    if sort:
        keys["RANGE"] = f"{sort[0]} ({sort[1]})"
    return keys


@check("table.key_schema", "table", C_KEYS)
def table_key_schema(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = described_table(ctx, t)
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    c = t.table
    expected = expected_keys((c.partition.attribute, c.partition.type),
                              (c.sort.attribute, c.sort.type) if c.sort else None)
    actual = key_schema(table.get("KeySchema", []), types)
    return verdict(actual == expected, expected, actual, "the key schema matches the contract",
                   "the key schema differs from the contract")


@check("table.no_extra_indexes", "table", C_GSIS)
def table_no_extra_indexes(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = described_table(ctx, t)
    actual = sorted(g["IndexName"] for g in table.get("GlobalSecondaryIndexes", []) or [])
    actual += sorted(f"{i['IndexName']} (LSI)" for i in table.get("LocalSecondaryIndexes", []) or [])
    expected = sorted(g.name for g in t.gsis)
    extra = sorted(set(actual) - set(expected))
    return verdict(not extra, expected, actual, "no index the contract does not name",
                   f"indexes the contract does not name: {', '.join(extra)}")


@check("table.billing_mode", "table", C_BILLING)
def table_billing(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    table = described_table(ctx, t)
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    want = ctx.desired.env.billing_mode
    return verdict(mode == want, want, mode, "billed on demand", f"billed {mode}")


def in_dr_regions(ctx: Context, t: TableSpec, operation: str, expected: Any) -> dict[str, Any]:
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
    described_table(ctx, t)
    want = "ENABLED" if env.pitr_enabled else "DISABLED"
    desc = need(ctx.snap.get("describe_continuous_backups", env.region, t.name), want, t.name)
    statuses = {env.region: _pitr_status(desc)}
    if statuses[env.region] == want:  # 003 PROD Success: "PITR enabled in both regions"
        statuses.update({r: _pitr_status(d) for r, d in
                         in_dr_regions(ctx, t, "describe_continuous_backups", want).items()})
    wrong = {r: s for r, s in statuses.items() if s != want}
    expected = dict.fromkeys(statuses, want) if len(statuses) > 1 else want
    actual = statuses if len(statuses) > 1 else statuses[env.region]
    return verdict(not wrong, expected, actual, f"PITR {want} in {', '.join(statuses)}",
                   "; ".join(f"PITR is {s} in {r}" for r, s in wrong.items()))


@check("table.pitr_recovery_period", "table", C_PITR)
def table_pitr_period(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    described_table(ctx, t)
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
    table = described_table(ctx, t)
    spec = table.get("StreamSpecification") or {}
    actual = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    want = t.table.stream
    return verdict(actual == want, want, actual, f"streams {actual}",
                   "no stream" if actual is None else f"streams {actual}")


@check("table.encryption", "table", C_SSE)
def table_encryption(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    table = described_table(ctx, t)
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
    actual = bool(described_table(ctx, t).get("DeletionProtectionEnabled", False))
    want = ctx.desired.env.deletion_protection
    return verdict(actual == want, want, actual, f"deletion protection {'on' if actual else 'off'} as contracted",
                   f"deletion protection is {'on' if actual else 'off'}")


@check("table.ttl", "table", C_TTL)
def table_ttl(ctx: Context, t: TableSpec) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    described_table(ctx, t)
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
    described_table(ctx, t)
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
    table = described_table(ctx, t)
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
    expected = (f"no table named {t.logical}* in {', '.join(desired.table_regions)} but {t.name} in "
                f"{', '.join(sorted(home))}")
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
    tag_problems = [f"tags: {p}" for p in tags_problems(dict(env.tags), tags)]
    (known if mentions_unknown(list(tags.values())) is None else problems).extend(tag_problems)
    if actual["sse_key"] != key.get("Arn"):
        problems.append(f"encrypted with {actual['sse_key'] or 'no KMS key'}, not {alias} ({key.get('Arn')})")
    if known:  # definite whatever the key turns out to be
        return FAIL, expected, actual, certainly(f"the replica in {region}: " + "; ".join(known + problems))
    return verdict(not problems, expected, actual, f"the replica in {region} is configured as contracted",
                   f"the replica in {region}: " + "; ".join(problems), rests_on=(key.get("Arn"),))
