"""The per-resource sweep: one mutant for every property of every resource the checks cover.

Where the per-check and named corpora break one resource per check, this breaks each one: every table,
every GSI, every required tag of every table, the vault, the plan, every table's place in the backup
selection, the key, every alarm and every dashboard widget, in DEV, SIT and PROD. It works on the
observed snapshot of a correctly deployed moto account, completed with what AWS answers where moto
cannot (a global table's replicas, the vault's key, the backup selection, the cost anomaly alert, the
topics' subscribers), so the account is correct on the live target's terms: every verdict PASSes with no
silent gaps.

For each (check, resource) verdict, ``MUTATORS[check]`` breaks that resource's property in a copy of the
snapshot; the mutant is killed when that verdict is now FAIL (naming the resource) and every other
resource of the check still PASSes. The counts go into the kill rate (tests/mutations/conftest.py). A
check without a mutator here is listed as "not swept" in that summary; ``MUTATIONS`` in
tests/test_checks.py is what every check must have.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_checks import (
    answer_value,
    backup_job,
    edit_plan_rule,
    edit_table,
    replicated,
    set_answer,
    topic_arn,
    with_backup_jobs,
    with_cost_alert,
    with_selection,
    with_subscribers,
)

from readiness.checks import CHECKS, FAIL, PASS, Verdict, evaluate, subjects
from readiness.contract.desired import AlarmSpec, Desired, TableSpec, WidgetSpec, desired_state
from readiness.contract.loading import load_contract
from readiness.observation.live import TAGGED_TYPES, Snapshot

Mutant = tuple[str, Callable[[Snapshot, Desired], None]]  # (what it breaks, the edit)
Mutator = Callable[[Desired, tuple[Any, ...]], Iterator[Mutant]]


# ------------------------------------------------------------------------------------ a correct account


def complete(desired: Desired, snap: Snapshot) -> Snapshot:
    """What AWS answers for a correct deployment where moto cannot say (the same fabrications, with the
    same reasons, as tests/test_checks.py and tests/test_aws_target.py)."""
    env = desired.env
    if env.replication:
        replicated(snap, desired)
    vault = answer_value(snap, "describe_backup_vault", env.region, env.backup.vault)
    if not vault.get("EncryptionKeyArn"):  # moto does not report the AWS-managed key a vault gets by default
        vault["EncryptionKeyArn"] = f"arn:aws:kms:{env.region}:{env.account}:key/0f1e2d3c-aws-backup"
        set_answer(snap, "describe_backup_vault", env.region, env.backup.vault, vault)
        # ... nor describe alias/aws/backup, which AWS names that key by
        set_answer(snap, "describe_key", env.region, desired.vault_key_alias, {
            "KeyId": "0f1e2d3c-aws-backup", "Arn": vault["EncryptionKeyArn"], "KeyState": "Enabled",
            "KeyManager": "AWS", "Enabled": True})
    with_selection(snap, desired)
    with_cost_alert(snap, desired)
    with_backup_jobs(snap, desired)  # moto does not implement ListBackupJobs; none failed
    with_subscribers(snap, desired)  # the contract names no subscriber: the live topics' own (ADR 0050)
    return snap


# --------------------------------------------------------------------------------------------- mutators


def _table_edit(name: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Snapshot, Desired], None]:
    return lambda s, d: edit_table(s, d, name, edit)


def _answer_edit(operation: str, region: Callable[[Desired], str], resource: str,
                 edit: Callable[[Any], Any]) -> Callable[[Snapshot, Desired], None]:
    def apply(s: Snapshot, d: Desired) -> None:
        value = answer_value(s, operation, region(d), resource)
        set_answer(s, operation, region(d), resource, edit(value) or value)
    return apply


def _primary(d: Desired) -> str:
    return d.env.region


def table_status(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    yield "status ARCHIVED", _table_edit(t.name, lambda x: x.update(TableStatus="ARCHIVED"))


def key_schema(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    pk = t.table.partition.attribute

    def edit(x: dict[str, Any]) -> None:
        for a in x["AttributeDefinitions"]:
            if a["AttributeName"] == pk:
                a["AttributeType"] = "N" if a["AttributeType"] != "N" else "S"
    yield f"{pk} retyped", _table_edit(t.name, edit)


def extra_index(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    extra = {"IndexName": "UnexpectedIndex", "IndexStatus": "ACTIVE", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": t.table.partition.attribute, "KeyType": "HASH"}]}
    yield "an extra GSI", _table_edit(t.name, lambda x: x.setdefault("GlobalSecondaryIndexes", []).append(extra))


def billing(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    yield "PROVISIONED", _table_edit(t.name, lambda x: x.update(BillingModeSummary={"BillingMode": "PROVISIONED"}))


def _pitr(name: str, **change: Any) -> Callable[[Snapshot, Desired], None]:
    def edit(v: dict[str, Any]) -> None:
        v["PointInTimeRecoveryDescription"].update(change)
    return _answer_edit("describe_continuous_backups", _primary, name, edit)


def pitr(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "PITR disabled", _pitr(args[0].name, PointInTimeRecoveryStatus="DISABLED")


def pitr_period(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "restorable 1 day", _pitr(args[0].name, RecoveryPeriodInDays=1)


def stream(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    yield "stream off", _table_edit(t.name, lambda x: x.update(StreamSpecification={"StreamEnabled": False}))
    yield "KEYS_ONLY", _table_edit(t.name, lambda x: x.update(
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))


def encryption(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    yield "AWS owned key", _table_edit(t.name, lambda x: x.pop("SSEDescription", None))
    yield "another KMS key", _table_edit(t.name, lambda x: x["SSEDescription"].update(
        KMSMasterKeyArn=f"arn:aws:kms:{d.env.region}:{d.env.account}:key/not-the-contract-key"))


def deletion_protection(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    yield "flipped", _table_edit(t.name, lambda x: x.update(DeletionProtectionEnabled=not d.env.deletion_protection))


def ttl(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "TTL enabled", _answer_edit("describe_time_to_live", _primary, args[0].name,
                                      lambda v: v.update(TimeToLiveStatus="ENABLED", AttributeName="expiresAt"))


def tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    for key in d.env.tags:
        yield f"tag {key} removed", _answer_edit("list_tags_of_resource", _primary, t.name,
                                                 lambda v, key=key: [x for x in v if x["Key"] != key])
        yield f"tag {key} changed", _answer_edit(
            "list_tags_of_resource", _primary, t.name,
            lambda v, key=key: [dict(x, Value=x["Value"] + "-x") if x["Key"] == key else x for x in v])


def replicas(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    if d.env.replication:
        yield "replica removed", _table_edit(t.name, lambda x: x.update(Replicas=[]))
        yield "replica CREATING", _table_edit(t.name, lambda x: [r.update(ReplicaStatus="CREATING")
                                                                 for r in x["Replicas"]])
    else:
        yield "replica added", _table_edit(t.name, lambda x: x.update(
            GlobalTableVersion="2019.11.21", Replicas=[{"RegionName": "eu-central-1", "ReplicaStatus": "ACTIVE"}]))


def _gsi_edit(t: TableSpec, index: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Snapshot, Desired], None]:
    def table_edit(x: dict[str, Any]) -> None:
        for g in x["GlobalSecondaryIndexes"]:
            if g["IndexName"] == index:
                edit(g)
    return _table_edit(t.name, table_edit)


def gsi_status(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t, g = args
    yield "CREATING", _gsi_edit(t, g.name, lambda x: x.update(IndexStatus="CREATING"))


def gsi_keys(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t, g = args
    if g.sort_key:
        yield "sort key dropped", _gsi_edit(t, g.name, lambda x: x.update(
            KeySchema=[k for k in x["KeySchema"] if k["KeyType"] == "HASH"]))
    yield "partition key swapped", _gsi_edit(t, g.name, lambda x: [
        k.update(AttributeName=t.table.partition.attribute) for k in x["KeySchema"] if k["KeyType"] == "HASH"])


def gsi_projection(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t, g = args
    other = "KEYS_ONLY" if g.projection != "KEYS_ONLY" else "ALL"
    yield f"projection {other}", _gsi_edit(t, g.name, lambda x: x.update(Projection={"ProjectionType": other}))


def vault(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "no key", _answer_edit("describe_backup_vault", _primary, d.env.backup.vault,
                                 lambda v: v.pop("EncryptionKeyArn") and None)


def schedule(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "daily", lambda s, dd: edit_plan_rule(s, dd, lambda r: r.update(ScheduleExpression="cron(0 5 * * ? *)"))
    yield "another vault", lambda s, dd: edit_plan_rule(s, dd, lambda r: r.update(TargetBackupVaultName="Default"))


def retention(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "1 day", lambda s, dd: edit_plan_rule(s, dd, lambda r: r.update(Lifecycle={"DeleteAfterDays": 1}))


def copy(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    if d.env.backup.copy:
        yield "copy removed", lambda s, dd: edit_plan_rule(s, dd, lambda r: r.update(CopyActions=[]))
        yield "copy kept 1 day", lambda s, dd: edit_plan_rule(s, dd, lambda r: [
            c.update(Lifecycle={"DeleteAfterDays": 1}) for c in r["CopyActions"]])
    else:
        yield "copy added", lambda s, dd: edit_plan_rule(s, dd, lambda r: r.update(CopyActions=[{
            "DestinationBackupVaultArn": f"arn:aws:backup:eu-central-1:{dd.env.account}:backup-vault:x",
            "Lifecycle": {"DeleteAfterDays": 30}}]))


def selection(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    for t in d.tables:
        yield f"{t.name} not selected", lambda s, dd, name=t.name: with_selection(
            s, dd, tables=[x.name for x in dd.tables if x.name != name])


def key(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "disabled", _answer_edit("describe_key", _primary, d.key_alias, lambda v: v.update(KeyState="Disabled"))


def lookalikes(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t: TableSpec = args[0]
    for region in d.table_regions:
        yield f"{t.name}-old in {region}", _answer_edit("list_tables", lambda dd, r=region: r, "*",
                                                        lambda v, t=t: [*v, f"{t.name}-old"])
    for other in [r for r in d.table_regions if r not in d.env.regions]:
        yield f"{t.name} copied to {other}", _answer_edit("list_tables", lambda dd, r=other: r, "*",
                                                          lambda v, t=t: [*v, t.name])


def plan_rules(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    def second(s: Snapshot, dd: Desired) -> None:
        plan = answer_value(s, "get_backup_plan", dd.env.region, dd.env.backup.plan)
        plan["BackupPlan"]["Rules"].append({**plan["BackupPlan"]["Rules"][0], "RuleName": "extra"})
        set_answer(s, "get_backup_plan", dd.env.region, dd.env.backup.plan, plan)
    yield "a second rule", second


def jobs(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    for t in d.tables:
        for state in ("FAILED", "ABORTED", "EXPIRED"):
            yield f"{state} job of {t.name}", lambda s, dd, name=t.name, state=state: with_backup_jobs(
                s, dd, backup_job(s, dd, name, state))


def _tag_map_edits(operation: str, region: Callable[[Desired], str], name: str, keys: Any) -> Iterator[Mutant]:
    for key in keys:
        yield f"tag {key} removed", _answer_edit(operation, region, name,
                                                 lambda v, key=key: {k: x for k, x in v.items() if k != key})


def vault_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield from _tag_map_edits("list_tags", _primary, d.env.backup.vault, d.env.tags)


def plan_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield from _tag_map_edits("list_tags", _primary, d.env.backup.plan, d.env.tags)


def replica_settings(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    t, region = args

    def dr(operation: str, edit: Callable[[Any], Any]) -> Callable[[Snapshot, Desired], None]:
        return _answer_edit(operation, lambda dd: region, t.name, edit)
    yield "deletion protection flipped", dr("describe_table", lambda x: x.update(
        DeletionProtectionEnabled=not d.env.deletion_protection))
    yield "stream KEYS_ONLY", dr("describe_table", lambda x: x.update(
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))
    yield "PROVISIONED", dr("describe_table", lambda x: x.update(BillingModeSummary={"BillingMode": "PROVISIONED"}))
    yield "another key", dr("describe_table", lambda x: x["SSEDescription"].update(
        KMSMasterKeyArn=f"arn:aws:kms:{region}:{d.env.account}:key/not-the-contract-key"))
    yield "TTL enabled", dr("describe_time_to_live", lambda v: v.update(TimeToLiveStatus="ENABLED",
                                                                       AttributeName="expiresAt"))
    for key in d.env.tags:
        yield f"tag {key} removed", dr("list_tags_of_resource", lambda v, key=key: [x for x in v if x["Key"] != key])


def dr_key(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    region = args[0]
    yield "disabled", _answer_edit("describe_key", lambda dd: region, d.key_alias,
                                   lambda v: v.update(KeyState="Disabled"))
    yield "pending deletion", _answer_edit("describe_key", lambda dd: region, d.key_alias,
                                           lambda v: v.update(KeyState="PendingDeletion"))
    yield "rotation off", _answer_edit("get_key_rotation_status", lambda dd: region, d.key_alias,
                                       lambda v: v.update(KeyRotationEnabled=False))


def key_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    region = args[0]
    for key in d.env.tags:
        yield f"tag {key} removed", _answer_edit("list_resource_tags", lambda dd: region, d.key_alias,
                                                 lambda v, key=key: [x for x in v if x["TagKey"] != key])


def _alarm_edit(a: AlarmSpec, edit: Callable[[dict[str, Any]], None]) -> Callable[[Snapshot, Desired], None]:
    def apply(alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for x in alarms:
            if x["AlarmName"] == a.name:
                edit(x)
        return alarms
    return _answer_edit("describe_alarms", lambda d: a.region, "*", apply)


def alarm_configuration(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    a: AlarmSpec = args[0]
    yield "threshold", _alarm_edit(a, lambda x: x.update(Threshold=float(x["Threshold"]) + 1))
    yield "comparison", _alarm_edit(a, lambda x: x.update(ComparisonOperator="LessThanThreshold"))


def alarm_action(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    a: AlarmSpec = args[0]
    yield "action removed", _alarm_edit(a, lambda x: x.update(AlarmActions=[]))
    yield "actions disabled", _alarm_edit(a, lambda x: x.update(ActionsEnabled=False))


def widget(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    w: WidgetSpec = args[0]

    def drop(v: dict[str, Any]) -> None:
        body = json.loads(v["DashboardBody"])
        body["widgets"] = [x for x in body["widgets"] if (x.get("properties") or {}).get("title") != w.title]
        v["DashboardBody"] = json.dumps(body)
    yield "widget removed", _answer_edit("get_dashboard", _primary, d.env.monitoring.dashboard, drop)


def cost(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "30%", lambda s, dd: with_cost_alert(s, dd, percent="30")
    yield "DevOps, not FinOps", lambda s, dd: with_cost_alert(s, dd, topic=dd.env.monitoring.devops_topic)


def _each(items: Any, fn: Callable[[Any], Any]) -> None:
    """Edit every item in place (and return None: _answer_edit keeps the edited value)."""
    for item in items:
        fn(item)


def _bucket_edit(b: Any, operation: str, edit: Callable[[Any], Any]) -> Callable[[Snapshot, Desired], None]:
    return _answer_edit(operation, lambda d: b.region, b.name, edit)


def versioning(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    yield "versioning changed", _bucket_edit(b, "get_bucket_versioning", lambda v: v.update(
        Status="Suspended" if b.bucket.versioning else "Enabled"))


def bucket_encryption(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    other = "aws:kms" if b.bucket.encryption == "SSE-S3" else "AES256"
    yield f"default encryption {other}", _bucket_edit(b, "get_bucket_encryption", lambda v: _each(
        v["ServerSideEncryptionConfiguration"]["Rules"],
        lambda r: r["ApplyServerSideEncryptionByDefault"].update(SSEAlgorithm=other)))


def public_access(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"):
        yield f"{flag} off", _bucket_edit(b, "get_public_access_block", lambda v, flag=flag: v[
            "PublicAccessBlockConfiguration"].update({flag: False}))


def lifecycle(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    yield "rule disabled", _bucket_edit(b, "get_bucket_lifecycle_configuration", lambda v: _each(
        v["Rules"], lambda r: r.update(Status="Disabled")))
    yield "noncurrent days changed", _bucket_edit(b, "get_bucket_lifecycle_configuration", lambda v: _each(
        [r["NoncurrentVersionExpiration"] for r in v["Rules"] if "NoncurrentVersionExpiration" in r],
        lambda n: n.update(NoncurrentDays=n["NoncurrentDays"] + 1)))


def logging_(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    if b.logging_bucket:
        yield "logging off", _bucket_edit(b, "get_bucket_logging", lambda v: v.pop("LoggingEnabled") and None)
        yield "another prefix", _bucket_edit(b, "get_bucket_logging", lambda v: v["LoggingEnabled"].update(
            TargetPrefix="elsewhere/"))


def bucket_replication(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    if b.replication:
        yield "rule disabled", _bucket_edit(b, "get_bucket_replication", lambda v: _each(
            v["ReplicationConfiguration"]["Rules"], lambda r: r.update(Status="Disabled")))
        yield "another role", _bucket_edit(b, "get_bucket_replication", lambda v: v["ReplicationConfiguration"]
                                           .update(Role="arn:aws:iam::111122223333:role/someone-else"))
    else:
        yield "replication added", lambda s, dd: set_answer(s, "get_bucket_replication", b.region, b.name, {
            "ReplicationConfiguration": {"Role": "arn:aws:iam::111122223333:role/r", "Rules": [
                {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]}})


def bucket_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    for key in b.tags:
        yield f"tag {key} removed", _bucket_edit(b, "get_bucket_tagging", lambda v, key=key: v.update(
            TagSet=[t for t in v["TagSet"] if t["Key"] != key]))


def template_object(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b, o = args
    for key in (o.key, o.text_key):
        yield f"{key} stale", _bucket_edit(b, "list_objects_v2", lambda v, key=key: _each(
            [c for c in v if c["Key"] == key], lambda c: c.update(ETag='"0123456789abcdef0123456789abcdef"')))
    yield f"{o.key} missing", _bucket_edit(b, "list_objects_v2", lambda v: [c for c in v if c["Key"] != o.key])


MUTATORS: dict[str, Mutator] = {
    "table.exists": table_status, "table.key_schema": key_schema, "table.no_extra_indexes": extra_index,
    "table.billing_mode": billing, "table.pitr": pitr, "table.pitr_recovery_period": pitr_period,
    "table.stream": stream, "table.encryption": encryption, "table.deletion_protection": deletion_protection,
    "table.ttl": ttl, "table.tags": tags, "table.replicas": replicas,
    "gsi.status": gsi_status, "gsi.key_schema": gsi_keys, "gsi.projection": gsi_projection,
    "backup.vault": vault, "backup.schedule": schedule, "backup.retention": retention, "backup.copy": copy,
    "backup.selection": selection, "kms.key": key, "table.lookalikes": lookalikes,
    "backup.plan_rules": plan_rules, "backup.jobs": jobs, "backup.vault_tags": vault_tags,
    "backup.plan_tags": plan_tags, "table.replica_settings": replica_settings, "kms.dr_key": dr_key,
    "kms.key_tags": key_tags,
    "alarm.configuration": alarm_configuration, "alarm.action": alarm_action, "dashboard.widget": widget,
    "cost.anomaly_alert": cost,
    "bucket.versioning": versioning, "bucket.encryption": bucket_encryption, "bucket.public_access": public_access,
    "bucket.lifecycle": lifecycle, "bucket.logging": logging_, "bucket.replication": bucket_replication,
    "bucket.tags": bucket_tags, "template.object": template_object,
}


# ------------------------------------------------- monitoring and buckets as AWS applies them (ADRs 0050-0052)


def _tags_edit(arn_of: Callable[[Snapshot, Desired], str], key: str) -> Callable[[Snapshot, Desired], None]:
    """Drop one tag of one alarm or topic from the region's Tagging API answer."""
    def apply(s: Snapshot, d: Desired) -> None:
        arn = arn_of(s, d)
        mappings = answer_value(s, "get_resources", d.env.region, TAGGED_TYPES)
        for m in mappings:
            if m["ResourceARN"] == arn:
                m["Tags"] = [t for t in m["Tags"] if t["Key"] != key]
        set_answer(s, "get_resources", d.env.region, TAGGED_TYPES, mappings)
    return apply


def _alarm_arn(a: AlarmSpec) -> Callable[[Snapshot, Desired], str]:
    return lambda s, d: str(next(x["AlarmArn"] for x in answer_value(s, "describe_alarms", a.region, "*")
                                 if x["AlarmName"] == a.name))


def alarm_state(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "in ALARM", _alarm_edit(args[0], lambda x: x.update(StateValue="ALARM", StateReason="Threshold Crossed"))


def alarm_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "Owner removed", _tags_edit(_alarm_arn(args[0]), "Owner")


def topic_subscribed(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "only a pending subscription", lambda s, dd: with_subscribers(s, dd, pending=(args[0],))


def topic_tags(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "Environment removed", _tags_edit(lambda s, dd: topic_arn(s, dd, args[0]), "Environment")


def bucket_region(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    yield "in another region", _bucket_edit(args[0], "head_bucket", lambda v: v.update(BucketRegion="ca-central-1"))


def object_lock(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    yield "locked", lambda s, dd: set_answer(s, "get_object_lock_configuration", b.region, b.name, {
        "ObjectLockConfiguration": {"ObjectLockEnabled": "Disabled" if b.bucket.object_lock else "Enabled"}})


def bucket_policy(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    for name in [b.name] + ([b.logging_bucket] if b.logging_bucket else []):
        yield f"{name} public", lambda s, dd, name=name: set_answer(s, "get_bucket_policy", b.region, name, {
            "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*"}]})})


def log_bucket(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    if b.logging_bucket:
        yield "log bucket BlockPublicPolicy off", _answer_edit(
            "get_public_access_block", lambda dd: b.region, b.logging_bucket,
            lambda v: v["PublicAccessBlockConfiguration"].update(BlockPublicPolicy=False))


def bucket_inventory(d: Desired, args: tuple[Any, ...]) -> Iterator[Mutant]:
    b = args[0]
    yield "a leftover copy", _answer_edit("list_buckets", _primary, "*", lambda v: v.append(
        {"Name": f"{b.name}-old", "CreationDate": "2026-01-01T00:00:00Z"}))


MUTATORS.update({
    "alarm.state": alarm_state, "alarm.tags": alarm_tags, "topic.subscribed": topic_subscribed,
    "topic.tags": topic_tags, "bucket.region": bucket_region, "bucket.object_lock": object_lock,
    "bucket.policy": bucket_policy, "bucket.log_bucket": log_bucket, "bucket.inventory": bucket_inventory,
})


# --------------------------------------------------------------------------------------------- tests


def _subjects(check_id: str, desired: Desired) -> dict[str, tuple[Any, ...]]:
    return dict(subjects(CHECKS[check_id], desired))


def _by_resource(verdicts: list[Verdict], check_id: str) -> dict[str, str]:
    return {v.resource: v.status for v in verdicts if v.id == check_id}


SWEPT = [c for c in CHECKS if c in MUTATORS]
ENVS = ("dev", "sit", "prod")
# (env, check) where the check has resources: the DR replica, the DR key and the customer-managed keys are PROD's
_CONTRACT = load_contract()
SWEEPS = [(env, c) for env in ENVS for c in SWEPT
          if any(subjects(CHECKS[c], desired_state(_CONTRACT, env)))]


def test_checks_not_swept_are_listed(mutation_tally: Any) -> None:
    """A check without a per-resource mutator is reported in the kill-rate summary, not hidden."""
    mutation_tally.sweep_unswept = sorted(set(CHECKS) - set(MUTATORS))
    assert set(MUTATORS) <= set(CHECKS), f"mutators for unknown checks: {sorted(set(MUTATORS) - set(CHECKS))}"


@pytest.mark.parametrize("env", ["dev", "sit", "prod"])
def test_the_completed_account_passes_every_check(env: str, correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot(env)
    verdicts = evaluate(desired, complete(desired, snap), {})
    assert [v.line() for v in verdicts if v.status != PASS] == []


def test_every_swept_check_is_swept_somewhere() -> None:
    assert {c for _, c in SWEEPS} == set(SWEPT)


@pytest.mark.parametrize(("env", "check_id"), SWEEPS)
def test_every_resource_s_mutant_is_killed(env: str, check_id: str, correct_snapshot: Any,
                                          mutation_tally: Any) -> None:
    desired, snap = correct_snapshot(env)
    base = complete(desired, snap)
    subjects = _subjects(check_id, desired)
    assert subjects, f"{check_id} has no resource in {env}"
    survivors: list[str] = []
    count = 0
    for resource, args in subjects.items():
        for what, mutate in MUTATORS[check_id](desired, args):
            count += 1
            mutant = Snapshot(answers=dict(base.answers))  # mutators replace answers, never edit them in place
            mutate(mutant, desired)
            statuses = _by_resource(evaluate(desired, mutant, {}), check_id)
            others = {r: s for r, s in statuses.items() if r != resource and s != PASS}
            if statuses.get(resource) != FAIL or others:
                survivors.append(f"{env} {check_id} {resource}: {what} -> {statuses.get(resource)}"
                                 + (f", and {others}" if others else ""))
    mutation_tally.sweep_total += count
    mutation_tally.sweep_survivors.extend(survivors)
    assert not survivors, "\n".join(survivors)
