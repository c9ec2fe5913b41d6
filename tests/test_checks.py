"""Every check in the engine: deploy a correct account, break exactly that property, see FAIL.

``MUTATIONS`` maps every check id of ``readiness.checks.CHECKS`` to the cases that break it; a check
registered without a case fails ``test_every_check_has_a_mutation``. A case either mutates the moto
account with boto3 write clients (preferred) or, where moto cannot make or cannot show the change,
edits the observed snapshot; each snapshot edit says why in a comment.

Each case asserts: the correct account has no FAIL at all; after the mutation the set of FAIL
verdicts is exactly the one the case names (the broken check on the mutated resource, plus any
consequence the mutation necessarily has, e.g. a deleted table fails every table check); the
failing verdicts name the resource and say why; every other resource of the same check still PASSes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest

from readiness.checks import CHECKS, FAIL, PASS, UNVERIFIABLE, Verdict, evaluate
from readiness.contract.desired import Desired, TableSpec
from readiness.observation.live import Answer, Snapshot, observe
from readiness.targets.base import SILENT_GAPS, Target

MOTO_GAPS = SILENT_GAPS["moto"]
OTHER_ACCOUNT_KEY_ALIAS = "alias/not-the-contract-key"

Failures = frozenset[tuple[str, str]] | Callable[[Desired], set[tuple[str, str]]]


# ------------------------------------------------------------------------------------------- helpers


def set_answer(snap: Snapshot, operation: str, region: str, resource: str, value: Any) -> None:
    """Replace one answer of the snapshot with a successful answer carrying value."""
    snap.answers[(operation, region, resource)] = Answer(f"{operation}({resource})@{region}", value=value)


def answer_value(snap: Snapshot, operation: str, region: str, resource: str) -> Any:
    answer = snap.get(operation, region, resource)
    assert answer.ok, f"the correct account must answer {answer.call}: {answer}"
    return json.loads(json.dumps(answer.value, default=str))  # a private, plain copy


def edit_table(snap: Snapshot, desired: Desired, name: str, edit: Callable[[dict[str, Any]], None]) -> None:
    region = desired.env.region
    table = answer_value(snap, "describe_table", region, name)
    edit(table)
    set_answer(snap, "describe_table", region, name, table)


def spec_of(desired: Desired, name: str) -> TableSpec:
    return next(t for t in desired.tables if t.name == name)


def ddb(target: Target, desired: Desired) -> Any:
    return target.client("dynamodb", desired.env.region, write=True)


def gsi_definition(spec: TableSpec, index: str, *, sort_key: str | None = None,
                   projection: dict[str, Any] | None = None) -> dict[str, Any]:
    g = next(x for x in spec.gsis if x.name == index)
    sort = sort_key or g.sort_key
    return {
        "IndexName": g.name,
        "KeySchema": [{"AttributeName": g.partition_key, "KeyType": "HASH"},
                      *([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])],
        "Projection": projection or {"ProjectionType": g.projection,
                                     **({"NonKeyAttributes": list(g.non_key_attributes)}
                                        if g.non_key_attributes else {})},
    }


def create_index(target: Target, desired: Desired, table: str, definition: dict[str, Any],
                 new_attributes: dict[str, str] | None = None) -> None:
    """Add a GSI. moto replaces AttributeDefinitions on UpdateTable instead of merging them as DynamoDB
    does, so pass the table's current definitions plus the new ones (also valid against DynamoDB)."""
    client = ddb(target, desired)
    current = client.describe_table(TableName=table)["Table"]["AttributeDefinitions"]
    attrs = {a["AttributeName"]: a["AttributeType"] for a in current}
    attrs.update(new_attributes or {})
    client.update_table(TableName=table,
                        AttributeDefinitions=[{"AttributeName": k, "AttributeType": v} for k, v in attrs.items()],
                        GlobalSecondaryIndexUpdates=[{"Create": definition}])


def delete_index(target: Target, desired: Desired, table: str, index: str) -> None:
    ddb(target, desired).update_table(TableName=table,
                                      GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}])


def recreate_table(target: Target, desired: Desired, name: str, *, partition_type: str | None = None,
                   kms_key: str | None = None) -> None:
    """Drop the table and create it again exactly as the contract says, except the given overrides."""
    env, spec = desired.env, spec_of(desired, name)
    c = spec.table
    client = ddb(target, desired)
    client.delete_table(TableName=name)
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    attrs = dict(c.attributes)
    if partition_type:
        attrs[c.partition.attribute] = partition_type
    sse: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
    if kms_key:
        sse["KMSMasterKeyId"] = kms_key
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": c.partition.attribute, "KeyType": "HASH"},
                   *([{"AttributeName": c.sort.attribute, "KeyType": "RANGE"}] if c.sort else [])],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": v} for k, v in attrs.items()],
        BillingMode=env.billing_mode,
        SSESpecification=sse,
        DeletionProtectionEnabled=env.deletion_protection,
        Tags=[{"Key": k, "Value": v} for k, v in env.tags.items()],
        **({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": c.stream}} if c.stream else {}),
        **({"GlobalSecondaryIndexes": [gsi_definition(spec, g.name) for g in spec.gsis]} if spec.gsis else {}),
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": env.pitr_enabled, "RecoveryPeriodInDays": env.pitr_recovery_period_days})


def reput_alarm(target: Target, desired: Desired, name: str, **overrides: Any) -> None:
    """Write an existing single-metric alarm again, as it is, except the overrides."""
    cw = target.client("cloudwatch", desired.env.region, write=True)
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
            "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
            "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")
    cw.put_metric_alarm(**{**{k: alarm[k] for k in keep if k in alarm}, **overrides})


def edit_plan_rule(snap: Snapshot, desired: Desired, edit: Callable[[dict[str, Any]], None]) -> None:
    env = desired.env
    plan = answer_value(snap, "get_backup_plan", env.region, env.backup.plan)
    rule = next(r for r in plan["BackupPlan"]["Rules"] if r["RuleName"] == env.backup.rule)
    edit(rule)
    set_answer(snap, "get_backup_plan", env.region, env.backup.plan, plan)


def table_arns(snap: Snapshot, desired: Desired) -> dict[str, str]:
    region = desired.env.region
    return {t.name: answer_value(snap, "describe_table", region, t.name)["TableArn"] for t in desired.tables}


def topic_arn(snap: Snapshot, desired: Desired, name: str) -> str:
    topics = answer_value(snap, "list_topics", desired.env.region, "*")
    return next(t["TopicArn"] for t in topics if t["TopicArn"].rsplit(":", 1)[-1] == name)


def with_subscribers(snap: Snapshot, desired: Desired, *, pending: tuple[str, ...] = ()) -> None:
    """What SNS answers for a live account whose topics reach someone (the contract names no subscriber, so the
    account the suite deploys has none, ADR 0050): a confirmed e-mail subscription on every contract topic,
    except the ``pending`` ones, whose only subscription is still PendingConfirmation."""
    for name in desired.topics:
        arn = topic_arn(snap, desired, name)
        confirmed = name not in pending
        set_answer(snap, "list_subscriptions_by_topic", desired.env.region, arn, [{
            "SubscriptionArn": f"{arn}:3f1c9a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d" if confirmed else "PendingConfirmation",
            "Owner": arn.split(":")[4], "Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": arn}])


def with_selection(snap: Snapshot, desired: Desired, *, tables: list[str] | None = None,
                   resources: list[str] | None = None, name: str | None = None) -> None:
    """What AWS Backup answers for the plan's selection (moto does not implement selections)."""
    env = desired.env
    arns = table_arns(snap, desired)
    chosen = resources if resources is not None else [arns[t] for t in (tables or list(arns))]
    account = next(iter(arns.values())).split(":")[4]
    role = f"arn:aws:iam::{account}:role/{env.backup.iam_role}"
    plan_id = next(p["BackupPlanId"] for p in answer_value(snap, "list_backup_plans", env.region, "*")
                   if p["BackupPlanName"] == env.backup.plan)
    selection_name = name or env.backup.selection
    set_answer(snap, "list_backup_selections", env.region, env.backup.plan, [{
        "SelectionId": "8d1f2c3e-0000-4000-8000-000000000001", "SelectionName": selection_name,
        "BackupPlanId": plan_id, "CreationDate": "2026-01-07T10:00:00Z", "IamRoleArn": role}])
    if selection_name == env.backup.selection:
        set_answer(snap, "get_backup_selection", env.region, env.backup.selection,
                   {"SelectionName": selection_name, "IamRoleArn": role, "Resources": chosen})


def with_cost_alert(snap: Snapshot, desired: Desired, *, percent: str | None = None, topic: str | None = None,
                    monitor_name: str | None = None, subscribed: bool = True) -> None:
    """What Cost Explorer answers for the anomaly monitor and its subscription (moto has neither)."""
    env = desired.env
    arns = table_arns(snap, desired)
    account = next(iter(arns.values())).split(":")[4]
    monitor_arn = f"arn:aws:ce::{account}:anomalymonitor/5c1f6a0e-0000-4000-8000-000000000001"
    set_answer(snap, "get_anomaly_monitors", "us-east-1", "*", [{
        "MonitorArn": monitor_arn, "MonitorName": monitor_name or env.monitoring.cost_monitor,
        "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE", "CreationDate": "2026-01-07"}])
    threshold = {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
                                "Values": [percent or f"{desired.cost_anomaly_percent:g}"],
                                "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}
    set_answer(snap, "get_anomaly_subscriptions", "us-east-1", "*", [{
        "SubscriptionArn": f"arn:aws:ce::{account}:anomalysubscription/0a9b-0001",
        "AccountId": account, "SubscriptionName": env.monitoring.cost_monitor,
        "MonitorArnList": [monitor_arn] if subscribed else [],
        "Subscribers": [{"Type": "SNS", "Address": topic_arn(snap, desired, topic or desired.cost_anomaly_topic),
                         "Status": "CONFIRMED"}],
        "Frequency": "IMMEDIATE", "ThresholdExpression": threshold}])


def backup_job(snap: Snapshot, desired: Desired, table: str, state: str, message: str = "") -> dict[str, Any]:
    """One BackupJob as ListBackupJobs answers it (botocore's backup BackupJob shape)."""
    env = desired.env
    arn = table_arns(snap, desired)[table]
    account = arn.split(":")[4]
    return {"AccountId": account, "BackupJobId": f"4f1e0a9c-{state.lower()}-{table}",
            "BackupVaultName": env.backup.vault,
            "BackupVaultArn": f"arn:aws:backup:{env.region}:{account}:backup-vault:{env.backup.vault}",
            "ResourceArn": arn, "CreationDate": "2026-11-30T10:00:00Z", "State": state,
            "StatusMessage": message, "PercentDone": "0.0",
            "IamRoleArn": f"arn:aws:iam::{account}:role/{env.backup.iam_role}", "ResourceType": "DynamoDB"}


def with_backup_jobs(snap: Snapshot, desired: Desired, *jobs: dict[str, Any]) -> None:
    """What ListBackupJobs answers per state (moto does not implement backup jobs): the given jobs, by state."""
    from readiness.observation.live import BAD_BACKUP_JOB_STATES
    for state in BAD_BACKUP_JOB_STATES:
        set_answer(snap, "list_backup_jobs", desired.env.region, state, [j for j in jobs if j["State"] == state])


def replicated(snap: Snapshot, desired: Desired, *, overrides: dict[str, dict[str, Any]] | None = None,
               replica_status: dict[str, str] | None = None, no_dr_table: tuple[str, ...] = (),
               extra_regions: tuple[str, ...] = ()) -> None:
    """What DynamoDB answers for a correct global table (moto ignores ReplicaUpdates), then the given
    deviations: ``overrides`` per table name, a replica status per table name, a missing DR table."""
    env = desired.env
    assert env.replication is not None
    for t in desired.tables:
        table = answer_value(snap, "describe_table", env.region, t.name)
        table["GlobalTableVersion"] = env.replication.global_table_version
        table["Replicas"] = [{"RegionName": r, "ReplicaStatus": (replica_status or {}).get(t.name, "ACTIVE")}
                             for r in (*env.replication.regions, *extra_regions)]
        table.update((overrides or {}).get(t.name, {}))
        set_answer(snap, "describe_table", env.region, t.name, table)
        for region in env.replication.regions:
            if t.name in no_dr_table:
                continue
            # the replica is encrypted with the environment's key in its own region (its alias there)
            key = answer_value(snap, "describe_key", region, desired.key_alias)["Arn"]
            dr = dict(table, TableArn=table["TableArn"].replace(f":{env.region}:", f":{region}:"),
                      SSEDescription={**table["SSEDescription"], "KMSMasterKeyArn": key})
            set_answer(snap, "describe_table", region, t.name, dr)
            # PITR, TTL and tags are per replica: the DR table reports its own
            for operation in ("describe_continuous_backups", "describe_time_to_live", "list_tags_of_resource"):
                set_answer(snap, operation, region, t.name, answer_value(snap, operation, env.region, t.name))


def failures_of_table(name: str, desired: Desired) -> set[tuple[str, str]]:
    """Every table and index check of one table: what a missing table fails."""
    spec = spec_of(desired, name)
    out = {(cid, name) for cid, c in CHECKS.items() if c.scope == "table" and cid != "table.lookalikes"}
    out |= {(cid, f"{name}/{g.name}") for cid, c in CHECKS.items() if c.scope == "gsi" for g in spec.gsis}
    return out


# --------------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    env: str
    fails: Failures
    reasons: dict[str, str] = field(default_factory=dict)  # resource -> words its FAIL reason must contain
    account: Callable[[Target, Desired], None] | None = None  # mutates the moto account
    snapshot: Callable[[Snapshot, Desired], None] | None = None  # edits the observation (moto can't)

    def expected(self, desired: Desired) -> set[tuple[str, str]]:
        return set(self.fails(desired)) if callable(self.fails) else set(self.fails)


def _pitr_off(t: Target, d: Desired) -> None:
    ddb(t, d).update_continuous_backups(TableName="tenants-sit", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})


def _pitr_7_days(t: Target, d: Desired) -> None:
    ddb(t, d).update_continuous_backups(TableName="products-sit", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})


def _provisioned(t: Target, d: Desired) -> None:
    ddb(t, d).update_table(TableName="orders-sit", BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})


def _extra_index(t: Target, d: Desired) -> None:
    create_index(t, d, "products-sit", {"IndexName": "ActiveProductsIndex",
                                        "KeySchema": [{"AttributeName": "activeKey", "KeyType": "HASH"},
                                                      {"AttributeName": "dateCreated", "KeyType": "RANGE"}],
                                        "Projection": {"ProjectionType": "ALL"}})


def _rekey_index(t: Target, d: Desired) -> None:
    delete_index(t, d, "orders-sit", "CustomerIndex")
    create_index(t, d, "orders-sit", gsi_definition(spec_of(d, "orders-sit"), "CustomerIndex", sort_key="status"))


def _reproject_index(t: Target, d: Desired) -> None:
    delete_index(t, d, "users-sit", "OrganisationIndex")
    create_index(t, d, "users-sit", gsi_definition(spec_of(d, "users-sit"), "OrganisationIndex",
                                                   projection={"ProjectionType": "KEYS_ONLY"}))


def _stream_off(t: Target, d: Desired) -> None:
    ddb(t, d).update_table(TableName="campaigns-sit", StreamSpecification={"StreamEnabled": False})


def _stream_new_image(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto 5.2.5 keeps the old stream label after StreamEnabled=False and then refuses to
    # enable the stream again with another view type (ResourceInUseException "Cannot enable stream").
    edit_table(s, d, "users-sit", lambda t: t.update(StreamSpecification={"StreamEnabled": True,
                                                                          "StreamViewType": "NEW_IMAGE"}))


def _other_kms_key(t: Target, d: Desired) -> None:
    # moto accepts UpdateTable SSESpecification and ignores it, so the table is re-created with the key.
    kms = t.client("kms", d.env.region, write=True)
    key = kms.create_key(Description="a key the contract does not name")["KeyMetadata"]["Arn"]
    recreate_table(t, d, "tenants-sit", kms_key=key)


def _protect(t: Target, d: Desired) -> None:
    ddb(t, d).update_table(TableName="products-sit", DeletionProtectionEnabled=True)


def _unprotect(t: Target, d: Desired) -> None:
    ddb(t, d).update_table(TableName="tenants-prod", DeletionProtectionEnabled=False)


def _ttl_on(t: Target, d: Desired) -> None:
    ddb(t, d).update_time_to_live(TableName="campaigns-sit",
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"})


def _tags(t: Target, d: Desired) -> None:
    client = ddb(t, d)
    users = client.describe_table(TableName="users-sit")["Table"]["TableArn"]
    orders = client.describe_table(TableName="orders-sit")["Table"]["TableArn"]
    client.untag_resource(ResourceArn=users, TagKeys=["Owner"])
    client.tag_resource(ResourceArn=orders, Tags=[{"Key": "Environment", "Value": "dev"}])


def _delete_table(t: Target, d: Desired) -> None:
    ddb(t, d).delete_table(TableName="users-sit")


def _table_creating(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto makes every table ACTIVE at once, so a table stuck in CREATING is fabricated.
    edit_table(s, d, "orders-sit", lambda t: t.update(TableStatus="CREATING"))


def _numeric_partition_key(t: Target, d: Desired) -> None:
    recreate_table(t, d, "orders-sit", partition_type="N")


def _sit_replica(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto ignores ReplicaUpdates, so the replica the contract does not name is fabricated.
    edit_table(s, d, "tenants-sit", lambda t: t.update(
        GlobalTableVersion="2019.11.21", Replicas=[{"RegionName": "eu-central-1", "ReplicaStatus": "ACTIVE"}]))


def _prod_replica_creating(s: Snapshot, d: Desired) -> None:
    # Snapshot edit (moto ignores ReplicaUpdates): a correct global table except one replica still CREATING.
    replicated(s, d, replica_status={"products-prod": "CREATING"})


def _prod_replica_wrong_version(s: Snapshot, d: Desired) -> None:
    # Snapshot edit (moto ignores ReplicaUpdates): one table is a legacy 2017.11.29 global table.
    replicated(s, d, overrides={"orders-prod": {"GlobalTableVersion": "2017.11.29"}})


def _prod_replica_no_dr_table(s: Snapshot, d: Desired) -> None:
    # Snapshot edit (moto ignores ReplicaUpdates): the replica is listed, but eu-west-1 has no such table.
    replicated(s, d, no_dr_table=("campaigns-prod",))


def _delete_index(t: Target, d: Desired) -> None:
    delete_index(t, d, "tenants-sit", "EmailIndex")


def _index_creating(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto makes every index ACTIVE at once, so an index still backfilling is fabricated.
    def edit(table: dict[str, Any]) -> None:
        for g in table["GlobalSecondaryIndexes"]:
            if g["IndexName"] == "CampaignProductIndex":
                g["IndexStatus"] = "CREATING"
    edit_table(s, d, "campaigns-sit", edit)


def _delete_vault(t: Target, d: Desired) -> None:
    t.client("backup", d.env.region, write=True).delete_backup_vault(BackupVaultName=d.env.backup.vault)


def _vault_other_key(t: Target, d: Desired) -> None:
    backup = t.client("backup", d.env.region, write=True)
    key = t.client("kms", d.env.region, write=True).create_key()["KeyMetadata"]["Arn"]
    backup.delete_backup_vault(BackupVaultName=d.env.backup.vault)
    backup.create_backup_vault(BackupVaultName=d.env.backup.vault, EncryptionKeyArn=key)


# Backup plan edits are snapshot edits: moto 5.2.5 does not implement update_backup_plan, and after
# delete_backup_plan it refuses to create a plan with the same name (AlreadyExistsException).
def _daily(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.update(ScheduleExpression="cron(0 5 * * ? *)"))


def _retention_7(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.update(Lifecycle={"DeleteAfterDays": 7}))


def _copy_removed(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.pop("CopyActions"))


def _copy_added(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.update(CopyActions=[{
        "DestinationBackupVaultArn": "arn:aws:backup:eu-central-1:815856636111:backup-vault:elsewhere",
        "Lifecycle": {"DeleteAfterDays": 14}}]))


def _selection_missing_orders(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto does not implement backup selections at all.
    with_selection(s, d, tables=[t.name for t in d.tables if t.name != "orders-sit"])


def _rotation_off(t: Target, d: Desired) -> None:
    kms = t.client("kms", d.env.region, write=True)
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=d.key_alias)["KeyMetadata"]["KeyId"])


def _key_disabled(t: Target, d: Desired) -> None:
    kms = t.client("kms", d.env.region, write=True)
    kms.disable_key(KeyId=kms.describe_key(KeyId=d.key_alias)["KeyMetadata"]["KeyId"])


def _threshold(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "tenants-sit-read-throttles", Threshold=5.0)


def _action_removed(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "bbws-dynamodb-sit-backup-failures", AlarmActions=[])


def _widget_removed(t: Target, d: Desired) -> None:
    cw = t.client("cloudwatch", d.env.region, write=True)
    name = d.env.monitoring.dashboard
    body = json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])
    body["widgets"] = [w for w in body["widgets"] if w["properties"]["title"] != "Throttled requests"]
    cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))


def _cost_threshold_30(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto does not implement Cost Explorer anomaly monitors or subscriptions.
    with_cost_alert(s, d, percent="30")


def _cost_wrong_topic(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto does not implement Cost Explorer anomaly monitors or subscriptions.
    with_cost_alert(s, d, topic=d.env.monitoring.devops_topic)


def s3(t: Target, d: Desired, region: str | None = None) -> Any:
    return t.client("s3", region or d.env.region, write=True)


BUCKET_SIT, BUCKET_PROD = "bbws-templates-sit", "bbws-templates-prod"


def _versioning_suspended(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_versioning(Bucket=BUCKET_SIT, VersioningConfiguration={"Status": "Suspended"})


def _sse_kms(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_encryption(Bucket=BUCKET_SIT, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})


def _public_policy_allowed(t: Target, d: Desired) -> None:
    s3(t, d).put_public_access_block(Bucket=BUCKET_SIT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})


def _noncurrent_30_days(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_lifecycle_configuration(Bucket=BUCKET_SIT, LifecycleConfiguration={"Rules": [{
        "ID": "noncurrent-versions", "Status": "Enabled", "Filter": {},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})


def _current_versions_expire(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_lifecycle_configuration(Bucket=BUCKET_SIT, LifecycleConfiguration={"Rules": [{
        "ID": "noncurrent-versions", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}]})


def _logging_off(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_logging(Bucket=BUCKET_SIT, BucketLoggingStatus={})


def _sit_replicates(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_replication(Bucket=BUCKET_SIT, ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/bbws-templates-replication-sit", "Rules": [{
            "ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::bbws-access-logs-sit"}}]})


def _prod_replication_removed(t: Target, d: Desired) -> None:
    s3(t, d).delete_bucket_replication(Bucket=BUCKET_PROD)


def _prod_dr_bucket_unversioned(t: Target, d: Desired) -> None:
    r = d.buckets[0].replication
    assert r is not None
    s3(t, d, r.region).put_bucket_versioning(Bucket=r.bucket, VersioningConfiguration={"Status": "Suspended"})


def _bucket_component_dynamodb(t: Target, d: Desired) -> None:
    tags = {**d.buckets[0].tags, "Component": "dynamodb"}
    s3(t, d).put_bucket_tagging(Bucket=BUCKET_SIT,
                                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _template_edited_in_the_bucket(t: Target, d: Desired) -> None:
    s3(t, d).put_object(Bucket=BUCKET_SIT, Key="receipts/order.html", Body=b"<p>an old order template</p>",
                        ContentType="text/html; charset=utf-8")


def _lookalike_left_over(t: Target, d: Desired) -> None:
    ddb(t, d).create_table(TableName="orders-sit-old", KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")


def _replica_unprotected(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto ignores ReplicaUpdates, so the DR replica exists only as DynamoDB would answer it.
    replicated(s, d)
    dr = answer_value(s, "describe_table", "eu-west-1", "users-prod")
    dr["DeletionProtectionEnabled"] = False
    set_answer(s, "describe_table", "eu-west-1", "users-prod", dr)


def _second_rule(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto 5.2.5 does not implement UpdateBackupPlan (see _daily).
    env = d.env
    plan = answer_value(s, "get_backup_plan", env.region, env.backup.plan)
    plan["BackupPlan"]["Rules"].append({"RuleName": "weekly", "TargetBackupVaultName": "Default",
                                        "ScheduleExpression": "cron(0 3 ? * 1 *)", "Lifecycle": {"DeleteAfterDays": 7},
                                        "RuleId": "0f9e8d7c-0000-4000-8000-000000000002"})
    set_answer(s, "get_backup_plan", env.region, env.backup.plan, plan)


def _failed_backup_job(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto does not implement ListBackupJobs.
    with_backup_jobs(s, d, backup_job(s, d, "orders-sit", "FAILED", "Access denied by the role"))


def _vault_untagged(t: Target, d: Desired) -> None:
    backup = t.client("backup", d.env.region, write=True)
    arn = backup.describe_backup_vault(BackupVaultName=d.env.backup.vault)["BackupVaultArn"]
    backup.untag_resource(ResourceArn=arn, TagKeyList=["Owner"])


def _plan_retagged(t: Target, d: Desired) -> None:
    backup = t.client("backup", d.env.region, write=True)
    plan = next(p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == d.env.backup.plan)
    backup.tag_resource(ResourceArn=plan["BackupPlanArn"], Tags={"Environment": "dev"})


def _dr_key_disabled(t: Target, d: Desired) -> None:
    kms = t.client("kms", "eu-west-1", write=True)
    kms.disable_key(KeyId=kms.describe_key(KeyId=d.key_alias)["KeyMetadata"]["KeyId"])


def _key_untagged(t: Target, d: Desired) -> None:
    kms = t.client("kms", d.env.region, write=True)
    kms.untag_resource(KeyId=kms.describe_key(KeyId=d.key_alias)["KeyMetadata"]["KeyId"], TagKeys=["CostCenter"])


def _plain_text_deleted(t: Target, d: Desired) -> None:
    s3(t, d).delete_object(Bucket=BUCKET_SIT, Key="invoices/invoice.txt")


def _alarm_firing(t: Target, d: Desired) -> None:
    t.client("cloudwatch", d.env.region, write=True).set_alarm_state(
        AlarmName="orders-sit-system-errors", StateValue="ALARM",
        StateReason="Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (1.0).")


def _alarm_untagged(t: Target, d: Desired) -> None:
    cw = t.client("cloudwatch", d.env.region, write=True)
    arn = cw.describe_alarms(AlarmNames=["users-sit-write-throttles"])["MetricAlarms"][0]["AlarmArn"]
    cw.untag_resource(ResourceARN=arn, TagKeys=["Owner"])


def as_decoy(target: Target, desired: Desired, name: str, expression: str) -> None:
    """Re-write a single-metric alarm as metric math: its metric stays, as query m1 that returns no data,
    and the alarm evaluates ``expression`` instead."""
    cw = target.client("cloudwatch", desired.env.region, write=True)
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
            "InsufficientDataActions", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")
    metric = {"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
              "Dimensions": alarm.get("Dimensions", [])}
    cw.put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm}, Metrics=[
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": metric, "Period": alarm["Period"],
                                                         "Stat": alarm["Statistic"]}},
        {"Id": "e1", "Expression": expression, "ReturnData": True, "Label": alarm["MetricName"]}])


def _alarm_decoy_expression(t: Target, d: Desired) -> None:
    as_decoy(t, d, "bbws-dynamodb-sit-user-errors", "m1 * 0")


def _alarm_foreign_action(t: Target, d: Desired) -> None:
    cw = t.client("cloudwatch", d.env.region, write=True)
    alarm = cw.describe_alarms(AlarmNames=["products-sit-read-throttles"])["MetricAlarms"][0]
    reput_alarm(t, d, "products-sit-read-throttles",
                OKActions=["arn:aws:sns:eu-west-1:999999999999:someone-elses-topic"],
                AlarmActions=alarm["AlarmActions"])


def _topic_pending(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto confirms every subscription at once, so one still PendingConfirmation is fabricated
    # (and the other topic answers what a live account does: a confirmed subscriber).
    with_subscribers(s, d, pending=(d.env.monitoring.devops_topic,))


def _topic_untagged(t: Target, d: Desired) -> None:
    sns = t.client("sns", d.env.region, write=True)
    arn = next(x["TopicArn"] for x in sns.list_topics()["Topics"] if x["TopicArn"].endswith(":bbws-finops-alerts-sit"))
    sns.untag_resource(ResourceArn=arn, TagKeys=["CostCenter"])


def _widget_other_region(t: Target, d: Desired) -> None:
    cw = t.client("cloudwatch", d.env.region, write=True)
    name = d.env.monitoring.dashboard
    body = json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])
    for w in body["widgets"]:
        if w["properties"]["title"] == "User errors":
            w["properties"]["region"] = "us-east-1"
    cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))


def _bucket_elsewhere(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: bucket names are global, so the bucket in another region is a re-created bucket, which in
    # moto loses every other configuration too; HeadBucket answering another region isolates the property.
    set_answer(s, "head_bucket", d.env.region, BUCKET_SIT, {"BucketRegion": "eu-central-1"})


def _object_lock_on(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto refuses PutObjectLockConfiguration on a bucket with objects (S3 allows it on a
    # versioned bucket since 2023).
    set_answer(s, "get_object_lock_configuration", d.env.region, BUCKET_SIT, {"ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}}})


def _public_read_policy(t: Target, d: Desired) -> None:
    """What making the templates public takes: lift BlockPublicPolicy (S3 refuses the policy otherwise)."""
    _public_policy_allowed(t, d)
    s3(t, d).put_bucket_policy(Bucket=BUCKET_SIT, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*"}]}))


def _log_bucket_kms(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_encryption(Bucket="bbws-access-logs-sit", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})


def _leftover_bucket(t: Target, d: Desired) -> None:
    s3(t, d).create_bucket(Bucket="bbws-templates-sit-old",
                           CreateBucketConfiguration={"LocationConstraint": d.env.region})


def _log_bucket_untagged(t: Target, d: Desired) -> None:
    tags = {k: v for k, v in d.buckets[0].tags.items() if k != "Owner"}
    s3(t, d).put_bucket_tagging(Bucket="bbws-access-logs-sit",
                                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _lifecycle_prefix_rule(t: Target, d: Desired) -> None:
    s3(t, d).put_bucket_lifecycle_configuration(Bucket=BUCKET_SIT, LifecycleConfiguration={"Rules": [
        {"ID": "noncurrent-versions", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
        {"ID": "tidy-receipts", "Status": "Enabled", "Filter": {"Prefix": "receipts/"},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})


def _cost_unreachable(s: Snapshot, d: Desired) -> None:
    # Snapshot edit: moto does not implement Cost Explorer anomaly monitors or subscriptions.
    with_cost_alert(s, d)
    sub = answer_value(s, "get_anomaly_subscriptions", "us-east-1", "*")
    sub[0]["ThresholdExpression"] = {"And": [sub[0]["ThresholdExpression"], {"Dimensions": {
        "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE", "Values": ["1000000000"], "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}]}
    set_answer(s, "get_anomaly_subscriptions", "us-east-1", "*", sub)


VAULT_SIT, PLAN_SIT = "bbws-dynamodb-backup-vault-sit", "bbws-dynamodb-backup-plan-sit"
DASH_SIT = "dynamodb-schemas-sit-dashboard"

MUTATIONS: dict[str, list[Case]] = {
    "table.exists": [
        Case("table deleted", "sit", lambda d: failures_of_table("users-sit", d),
             {"users-sit": "users-sit does not exist"}, account=_delete_table),
        Case("table CREATING", "sit", frozenset({("table.exists", "orders-sit")}),
             {"orders-sit": "CREATING"}, snapshot=_table_creating),
    ],
    "table.key_schema": [
        Case("partition key re-created as a number", "sit", frozenset({("table.key_schema", "orders-sit")}),
             {"orders-sit": "key schema differs"}, account=_numeric_partition_key),
    ],
    "table.no_extra_indexes": [
        Case("extra GSI", "sit", frozenset({("table.no_extra_indexes", "products-sit")}),
             {"products-sit": "ActiveProductsIndex"}, account=_extra_index),
    ],
    "table.billing_mode": [
        Case("provisioned", "sit", frozenset({("table.billing_mode", "orders-sit")}),
             {"orders-sit": "PROVISIONED"}, account=_provisioned),
    ],
    "table.pitr": [
        Case("PITR off", "sit", frozenset({("table.pitr", "tenants-sit"),
                                           ("table.pitr_recovery_period", "tenants-sit")}),
             {"tenants-sit": "DISABLED"}, account=_pitr_off),
    ],
    "table.pitr_recovery_period": [
        Case("7 days", "sit", frozenset({("table.pitr_recovery_period", "products-sit")}),
             {"products-sit": "7 days, not 35"}, account=_pitr_7_days),
    ],
    "table.stream": [
        Case("stream disabled", "sit", frozenset({("table.stream", "campaigns-sit")}),
             {"campaigns-sit": "no stream"}, account=_stream_off),
        Case("NEW_IMAGE", "sit", frozenset({("table.stream", "users-sit")}),
             {"users-sit": "NEW_IMAGE"}, snapshot=_stream_new_image),
    ],
    "table.encryption": [
        Case("another KMS key", "sit", frozenset({("table.encryption", "tenants-sit")}),
             {"tenants-sit": "not with alias/aws/dynamodb"}, account=_other_kms_key),
    ],
    "table.deletion_protection": [
        Case("on in SIT", "sit", frozenset({("table.deletion_protection", "products-sit")}),
             {"products-sit": "deletion protection is on"}, account=_protect),
        Case("off in PROD", "prod", frozenset({("table.deletion_protection", "tenants-prod")}),
             {"tenants-prod": "deletion protection is off"}, account=_unprotect),
    ],
    "table.ttl": [
        Case("TTL enabled", "sit", frozenset({("table.ttl", "campaigns-sit")}),
             {"campaigns-sit": "TTL is ENABLED"}, account=_ttl_on),
    ],
    "table.tags": [
        Case("tag removed and tag value changed", "sit",
             frozenset({("table.tags", "users-sit"), ("table.tags", "orders-sit")}),
             {"users-sit": "missing Owner", "orders-sit": "Environment='dev' (expected 'sit')"}, account=_tags),
    ],
    "table.replicas": [
        Case("SIT replica the contract does not name", "sit", frozenset({("table.replicas", "tenants-sit")}),
             {"tenants-sit": "eu-central-1, which the contract does not name"}, snapshot=_sit_replica),
        Case("PROD replica CREATING", "prod", frozenset({("table.replicas", "products-prod")}),
             {"products-prod": "replica in eu-west-1 is CREATING"}, snapshot=_prod_replica_creating),
        Case("PROD wrong global table version", "prod", frozenset({("table.replicas", "orders-prod")}),
             {"orders-prod": "global table version 2017.11.29"}, snapshot=_prod_replica_wrong_version),
        Case("PROD no table in the DR region", "prod", frozenset({("table.replicas", "campaigns-prod")}),
             {"campaigns-prod": "no table campaigns-prod in eu-west-1"}, snapshot=_prod_replica_no_dr_table),
    ],
    "gsi.status": [
        Case("GSI deleted", "sit", frozenset({(c, "tenants-sit/EmailIndex") for c in
                                              ("gsi.status", "gsi.key_schema", "gsi.projection")}),
             {"tenants-sit/EmailIndex": "does not exist"}, account=_delete_index),
        Case("GSI CREATING", "sit", frozenset({("gsi.status", "campaigns-sit/CampaignProductIndex")}),
             {"campaigns-sit/CampaignProductIndex": "CREATING"}, snapshot=_index_creating),
    ],
    "gsi.key_schema": [
        Case("GSI re-created with another sort key", "sit",
             frozenset({("gsi.key_schema", "orders-sit/CustomerIndex")}),
             {"orders-sit/CustomerIndex": "keys differ"}, account=_rekey_index),
    ],
    "gsi.projection": [
        Case("INCLUDE -> KEYS_ONLY", "sit", frozenset({("gsi.projection", "users-sit/OrganisationIndex")}),
             {"users-sit/OrganisationIndex": "projection differs"}, account=_reproject_index),
    ],
    "backup.vault": [
        Case("vault deleted", "sit", frozenset({("backup.vault", VAULT_SIT), ("backup.vault_tags", VAULT_SIT)}),
             {VAULT_SIT: "does not exist"}, account=_delete_vault),
        Case("PROD vault with another key", "prod", frozenset({("backup.vault", "bbws-dynamodb-backup-vault-prod")}),
             {"bbws-dynamodb-backup-vault-prod": "not alias/bbws-dynamodb-prod"}, account=_vault_other_key),
    ],
    "backup.schedule": [
        Case("daily", "sit", frozenset({("backup.schedule", PLAN_SIT)}),
             {PLAN_SIT: "schedule"}, snapshot=_daily),
    ],
    "backup.retention": [
        Case("7 days", "sit", frozenset({("backup.retention", PLAN_SIT)}),
             {PLAN_SIT: "kept 7 days, not 14"}, snapshot=_retention_7),
    ],
    "backup.copy": [
        Case("PROD copy removed", "prod", frozenset({("backup.copy", "bbws-dynamodb-backup-plan-prod")}),
             {"bbws-dynamodb-backup-plan-prod": "no copy to bbws-dynamodb-backup-vault-prod-dr"},
             snapshot=_copy_removed),
        Case("SIT copy the contract does not have", "sit", frozenset({("backup.copy", PLAN_SIT)}),
             {PLAN_SIT: "although the contract has no copy"}, snapshot=_copy_added),
    ],
    "backup.selection": [
        Case("a table not selected", "sit", frozenset({("backup.selection", "bbws-dynamodb-tables-sit")}),
             {"bbws-dynamodb-tables-sit": "not selected: orders-sit"}, snapshot=_selection_missing_orders),
    ],
    "kms.key": [
        Case("PROD rotation off", "prod", frozenset({("kms.key", "alias/bbws-dynamodb-prod")}),
             {"alias/bbws-dynamodb-prod": "differs from the contract"}, account=_rotation_off),
        Case("PROD key disabled", "prod", frozenset({("kms.key", "alias/bbws-dynamodb-prod"),
                                                     ("backup.vault", "bbws-dynamodb-backup-vault-prod")}),
             {"alias/bbws-dynamodb-prod": "differs from the contract"}, account=_key_disabled),
    ],
    "table.lookalikes": [
        Case("a leftover orders-sit-old", "sit", frozenset({("table.lookalikes", "orders-sit")}),
             {"orders-sit": "orders-sit-old (eu-west-1)"}, account=_lookalike_left_over),
    ],
    "table.replica_settings": [
        Case("PROD replica without deletion protection", "prod",
             frozenset({("table.replica_settings", "users-prod@eu-west-1")}),
             {"users-prod@eu-west-1": "deletion_protection is False"}, snapshot=_replica_unprotected),
    ],
    "backup.plan_rules": [
        Case("a second, weekly rule into the Default vault", "sit", frozenset({("backup.plan_rules", PLAN_SIT)}),
             {PLAN_SIT: "rule weekly"}, snapshot=_second_rule),
    ],
    "backup.jobs": [
        Case("a failed backup job", "sit", frozenset({("backup.jobs", PLAN_SIT)}),
             {PLAN_SIT: "FAILED job"}, snapshot=_failed_backup_job),
    ],
    "backup.vault_tags": [
        Case("Owner removed from the vault", "sit", frozenset({("backup.vault_tags", VAULT_SIT)}),
             {VAULT_SIT: "missing Owner"}, account=_vault_untagged),
    ],
    "backup.plan_tags": [
        Case("the plan tagged Environment dev", "sit", frozenset({("backup.plan_tags", PLAN_SIT)}),
             {PLAN_SIT: "Environment='dev'"}, account=_plan_retagged),
    ],
    "kms.dr_key": [
        Case("PROD DR key disabled", "prod", frozenset({("kms.dr_key", "alias/bbws-dynamodb-prod@eu-west-1"),
                                                       ("backup.copy", "bbws-dynamodb-backup-plan-prod")}),
             {"alias/bbws-dynamodb-prod@eu-west-1": "KeyState is Disabled"}, account=_dr_key_disabled),
    ],
    "kms.key_tags": [
        Case("PROD key without CostCenter", "prod", frozenset({("kms.key_tags", "alias/bbws-dynamodb-prod")}),
             {"alias/bbws-dynamodb-prod": "missing CostCenter"}, account=_key_untagged),
    ],
    "alarm.configuration": [
        Case("threshold changed", "sit", frozenset({("alarm.configuration", "tenants-sit-read-throttles")}),
             {"tenants-sit-read-throttles": "threshold"}, account=_threshold),
        Case("the metric kept as a decoy; the alarm evaluates m1 * 0", "sit",
             frozenset({("alarm.configuration", "bbws-dynamodb-sit-user-errors")}),
             {"bbws-dynamodb-sit-user-errors": "differs in expression"}, account=_alarm_decoy_expression),
    ],
    "alarm.action": [
        Case("action removed", "sit", frozenset({("alarm.action", "bbws-dynamodb-sit-backup-failures")}),
             {"bbws-dynamodb-sit-backup-failures": "does not notify bbws-dynamodb-alerts-sit"},
             account=_action_removed),
        Case("an OK action to another account's topic", "sit",
             frozenset({("alarm.action", "products-sit-read-throttles")}),
             {"products-sit-read-throttles": "someone-elses-topic, which is not a topic of the contract"},
             account=_alarm_foreign_action),
    ],
    "alarm.state": [
        Case("firing after the deploy", "sit", frozenset({("alarm.state", "orders-sit-system-errors")}),
             {"orders-sit-system-errors": "the alarm is firing: Threshold Crossed"}, account=_alarm_firing),
    ],
    "alarm.tags": [
        Case("Owner tag removed", "sit", frozenset({("alarm.tags", "users-sit-write-throttles")}),
             {"users-sit-write-throttles": "missing Owner"}, account=_alarm_untagged),
    ],
    "topic.subscribed": [
        Case("the only subscription is pending confirmation", "sit",
             frozenset({("topic.subscribed", "bbws-dynamodb-alerts-sit")}),
             {"bbws-dynamodb-alerts-sit": "reaches nobody: no confirmed subscription (1 pending confirmation)"},
             snapshot=_topic_pending),
    ],
    "topic.tags": [
        Case("CostCenter tag removed", "sit", frozenset({("topic.tags", "bbws-finops-alerts-sit")}),
             {"bbws-finops-alerts-sit": "missing CostCenter"}, account=_topic_untagged),
    ],
    "dashboard.widget": [
        Case("widget moved to another region", "sit", frozenset({("dashboard.widget", f"{DASH_SIT}/User errors")}),
             {f"{DASH_SIT}/User errors": "AWS/DynamoDB UserErrors (us-east-1)"}, account=_widget_other_region),
        Case("widget removed", "sit", frozenset({("dashboard.widget", f"{DASH_SIT}/Throttled requests")}),
             {f"{DASH_SIT}/Throttled requests": "no widget titled 'Throttled requests'"}, account=_widget_removed),
    ],
    "bucket.versioning": [
        Case("versioning suspended", "sit", frozenset({("bucket.versioning", BUCKET_SIT)}),
             {BUCKET_SIT: "versioning is Suspended"}, account=_versioning_suspended),
    ],
    "bucket.encryption": [
        Case("SSE-KMS instead of SSE-S3", "sit", frozenset({("bucket.encryption", BUCKET_SIT)}),
             {BUCKET_SIT: "default encryption is aws:kms"}, account=_sse_kms),
    ],
    "bucket.public_access": [
        Case("public bucket policies allowed", "sit", frozenset({("bucket.public_access", BUCKET_SIT)}),
             {BUCKET_SIT: "not blocked: BlockPublicPolicy"}, account=_public_policy_allowed),
    ],
    "bucket.lifecycle": [
        Case("noncurrent versions kept 30 days", "sit", frozenset({("bucket.lifecycle", BUCKET_SIT)}),
             {BUCKET_SIT: "kept [30] days"}, account=_noncurrent_30_days),
        Case("current versions expire", "sit", frozenset({("bucket.lifecycle", BUCKET_SIT)}),
             {BUCKET_SIT: "expires current versions"}, account=_current_versions_expire),
        Case("a prefix rule expires noncurrent versions after a day", "sit",
             frozenset({("bucket.lifecycle", BUCKET_SIT)}),
             {BUCKET_SIT: "rule tidy-receipts expires noncurrent versions"}, account=_lifecycle_prefix_rule),
    ],
    "bucket.region": [
        Case("in another region", "sit", frozenset({("bucket.region", BUCKET_SIT)}),
             {BUCKET_SIT: "is in eu-central-1, not eu-west-1"}, snapshot=_bucket_elsewhere),
    ],
    "bucket.object_lock": [
        Case("object lock on", "sit", frozenset({("bucket.object_lock", BUCKET_SIT)}),
             {BUCKET_SIT: "object lock is on"}, snapshot=_object_lock_on),
    ],
    "bucket.policy": [
        Case("public read policy", "sit", frozenset({("bucket.policy", BUCKET_SIT),
                                                     ("bucket.public_access", BUCKET_SIT)}),
             {BUCKET_SIT: "grants everyone: PublicRead"}, account=_public_read_policy),
    ],
    "bucket.log_bucket": [
        Case("log bucket encrypted with KMS", "sit", frozenset({("bucket.log_bucket", BUCKET_SIT)}),
             {BUCKET_SIT: "bbws-access-logs-sit default encryption is aws:kms"}, account=_log_bucket_kms),
    ],
    "bucket.inventory": [
        Case("a leftover bucket", "sit", frozenset({("bucket.inventory", BUCKET_SIT)}),
             {BUCKET_SIT: "bbws-templates-sit-old is not in the contract"}, account=_leftover_bucket),
    ],
    "bucket.logging": [
        Case("access logging off", "sit", frozenset({("bucket.logging", BUCKET_SIT)}),
             {BUCKET_SIT: "access logging is off"}, account=_logging_off),
    ],
    "bucket.replication": [
        Case("SIT replicates", "sit", frozenset({("bucket.replication", BUCKET_SIT)}),
             {BUCKET_SIT: "replicates although"}, account=_sit_replicates),
        Case("PROD replication removed", "prod", frozenset({("bucket.replication", BUCKET_PROD)}),
             {BUCKET_PROD: "no replication configuration"}, account=_prod_replication_removed),
        Case("PROD DR bucket not versioned", "prod", frozenset({("bucket.replication", BUCKET_PROD)}),
             {BUCKET_PROD: "is not versioned"}, account=_prod_dr_bucket_unversioned),
    ],
    "bucket.tags": [
        Case("Component dynamodb", "sit", frozenset({("bucket.tags", BUCKET_SIT)}),
             {BUCKET_SIT: "Component='dynamodb' (expected 's3')"}, account=_bucket_component_dynamodb),
        Case("the log bucket lost its Owner tag", "sit", frozenset({("bucket.tags", BUCKET_SIT)}),
             {BUCKET_SIT: "bbws-access-logs-sit: missing Owner"}, account=_log_bucket_untagged),
    ],
    "template.object": [
        Case("an old template in the bucket", "sit",
             frozenset({("template.object", f"{BUCKET_SIT}/receipts/order.html")}),
             {f"{BUCKET_SIT}/receipts/order.html": "(stale upload)"}, account=_template_edited_in_the_bucket),
        Case("plain-text alternative deleted", "sit",
             frozenset({("template.object", f"{BUCKET_SIT}/invoices/invoice.html")}),
             {f"{BUCKET_SIT}/invoices/invoice.html": "invoices/invoice.txt does not exist"},
             account=_plain_text_deleted),
    ],
    "cost.anomaly_alert": [
        Case("threshold 30%", "sit", frozenset({("cost.anomaly_alert", "bbws-dynamodb-sit-cost-monitor")}),
             {"bbws-dynamodb-sit-cost-monitor": "alerts at an impact of [30.0]"}, snapshot=_cost_threshold_30),
        Case("alerts DevOps, not FinOps", "sit",
             frozenset({("cost.anomaly_alert", "bbws-dynamodb-sit-cost-monitor")}),
             {"bbws-dynamodb-sit-cost-monitor": "does not notify bbws-finops-alerts-sit"}, snapshot=_cost_wrong_topic),
        Case("an extra And term makes it unreachable", "sit",
             frozenset({("cost.anomaly_alert", "bbws-dynamodb-sit-cost-monitor")}),
             {"bbws-dynamodb-sit-cost-monitor": "not exactly the contract's"}, snapshot=_cost_unreachable),
    ],
}

CASES = [pytest.param(check_id, case, id=f"{check_id}[{case.env}: {case.name}]")
         for check_id, cases in MUTATIONS.items() for case in cases]


def failed(verdicts: list[Verdict]) -> set[tuple[str, str]]:
    return {(v.id, v.resource) for v in verdicts if v.status == FAIL}


def by(verdicts: list[Verdict], check_id: str) -> dict[str, Verdict]:
    return {v.resource: v for v in verdicts if v.id == check_id}


# --------------------------------------------------------------------------------------------- tests


def test_every_check_has_a_mutation() -> None:
    assert set(MUTATIONS) == set(CHECKS), (
        f"checks without a mutation case: {sorted(set(CHECKS) - set(MUTATIONS))}; "
        f"cases for unknown checks: {sorted(set(MUTATIONS) - set(CHECKS))}")
    assert all(MUTATIONS[c] for c in CHECKS)
    for check_id, cases in MUTATIONS.items():
        for case in cases:
            assert (case.account is None) != (case.snapshot is None), f"{check_id} {case.name}: one way to break"


@pytest.mark.parametrize(("check_id", "case"), CASES)
def test_breaking_one_property_fails_its_check(check_id: str, case: Case, moto_account: Any,
                                               correct_snapshot: Any) -> None:
    if case.account is not None:
        target, desired = moto_account(case.env)
        gaps = target.silent_gaps
        before = evaluate(desired, observe(target, desired), gaps)
        case.account(target, desired)
        snap = observe(target, desired)
    else:  # the account is not touched: edit a private copy of a correct account's snapshot
        desired, snap = correct_snapshot(case.env)
        gaps = MOTO_GAPS
        before = evaluate(desired, snap, gaps)

    assert failed(before) == set(), "the correct account must not fail any check"
    assert by(before, check_id), f"{check_id} yields no verdict in {case.env}"

    if case.snapshot is not None:
        case.snapshot(snap, desired)
    after = evaluate(desired, snap, gaps)

    expected = case.expected(desired)
    assert {c for c, _ in expected} >= {check_id}
    assert failed(after) == expected

    mine = by(after, check_id)
    broken = {r for c, r in expected if c == check_id}
    for resource in broken:
        v = mine[resource]
        assert v.status == FAIL and v.resource == resource
        if resource in case.reasons:
            assert case.reasons[resource] in v.reason, v.line()
    assert set(case.reasons) <= {r for _, r in expected}
    others = {r: v.status for r, v in mine.items() if r not in broken}
    if case.snapshot is not None and check_id in ("table.replicas", "backup.selection", "cost.anomaly_alert",
                                                         "table.replica_settings", "topic.subscribed"):
        # the edit fabricated a correct answer for every other resource: those must now PASS
        assert all(s == PASS for s in others.values()), others
    else:
        before_mine = by(before, check_id)
        assert others == {r: before_mine[r].status for r in others}, "other resources must keep their verdict"
        assert all(s == PASS for s in others.values()), others


# ------------------------------------------------- what plain moto cannot show: UNVERIFIABLE, never PASS


def test_correct_sit_on_moto_passes_all_but_what_moto_cannot_show(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    verdicts = evaluate(desired, snap, MOTO_GAPS)
    unverifiable = {(v.id, v.resource): v.reason for v in verdicts if v.status == UNVERIFIABLE}
    assert set(unverifiable) == {("backup.vault", VAULT_SIT), ("backup.selection", "bbws-dynamodb-tables-sit"),
                                 ("cost.anomaly_alert", "bbws-dynamodb-sit-cost-monitor"), ("backup.jobs", PLAN_SIT),
                                 ("topic.subscribed", "bbws-dynamodb-alerts-sit"),
                                 ("topic.subscribed", "bbws-finops-alerts-sit")}
    assert all(v.status == PASS for v in verdicts if (v.id, v.resource) not in unverifiable)
    selection = unverifiable[("backup.selection", "bbws-dynamodb-tables-sit")]
    assert "list_backup_selections" in selection and "not implemented" in selection
    cost = unverifiable[("cost.anomaly_alert", "bbws-dynamodb-sit-cost-monitor")]
    assert "get_anomaly_monitors" in cost and "not implemented" in cost
    vault = unverifiable[("backup.vault", VAULT_SIT)]
    assert f"describe_backup_vault({VAULT_SIT})" in vault and "EncryptionKeyArn" in vault


def test_correct_prod_on_moto_cannot_show_replicas(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("prod")
    verdicts = evaluate(desired, snap, MOTO_GAPS)
    replicas = by(verdicts, "table.replicas")
    assert set(replicas) == {t.name for t in desired.tables}
    for name, v in replicas.items():
        assert v.status == UNVERIFIABLE, v.line()
        assert f"describe_table({name})@af-south-1" in v.reason and "no Replicas" in v.reason
    unverifiable = {v.id for v in verdicts if v.status == UNVERIFIABLE}
    # "PITR enabled in both regions" and "all GSIs ACTIVE in both regions" need the replica too
    assert unverifiable == {"table.replicas", "table.pitr", "gsi.status", "backup.selection", "cost.anomaly_alert",
                            "table.replica_settings", "backup.jobs", "topic.subscribed"}
    for v in verdicts:
        if v.id in ("table.pitr", "gsi.status", "table.replica_settings"):
            assert v.status == UNVERIFIABLE and "@eu-west-1" in v.reason, v.line()
    assert not failed(verdicts)


def test_replicas_without_the_silent_gap_fail_instead_of_passing(correct_snapshot: Any) -> None:
    """On a target that does emulate global tables, no Replicas in PROD is a FAIL, never a PASS."""
    desired, snap = correct_snapshot("prod")
    replicas = by(evaluate(desired, snap, {}), "table.replicas")
    assert {v.status for v in replicas.values()} == {FAIL}
    assert all("no replica in eu-west-1" in v.reason for v in replicas.values())


def test_prod_pitr_off_in_the_dr_region_fails(correct_snapshot: Any) -> None:
    """003 PROD Success: "PITR enabled in both regions" - the replica's own PITR counts."""
    desired, snap = correct_snapshot("prod")
    replicated(snap, desired)
    cb = answer_value(snap, "describe_continuous_backups", "eu-west-1", "orders-prod")
    cb["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] = "DISABLED"
    set_answer(snap, "describe_continuous_backups", "eu-west-1", "orders-prod", cb)
    verdicts = evaluate(desired, snap, MOTO_GAPS)
    assert failed(verdicts) == {("table.pitr", "orders-prod")}
    assert "PITR is DISABLED in eu-west-1" in by(verdicts, "table.pitr")["orders-prod"].reason


def test_prod_gsi_missing_in_the_dr_region_fails(correct_snapshot: Any) -> None:
    """003 PROD Success: "All GSIs ACTIVE in both regions" - an index absent from the replica fails."""
    desired, snap = correct_snapshot("prod")
    replicated(snap, desired)
    dr = answer_value(snap, "describe_table", "eu-west-1", "users-prod")
    dr["GlobalSecondaryIndexes"] = [g for g in dr["GlobalSecondaryIndexes"] if g["IndexName"] != "EmailIndex"]
    set_answer(snap, "describe_table", "eu-west-1", "users-prod", dr)
    verdicts = evaluate(desired, snap, MOTO_GAPS)
    assert failed(verdicts) == {("gsi.status", "users-prod/EmailIndex")}
    assert "missing in eu-west-1" in by(verdicts, "gsi.status")["users-prod/EmailIndex"].reason


def test_prod_global_table_as_contracted_passes(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("prod")
    replicated(snap, desired)
    verdicts = evaluate(desired, snap, MOTO_GAPS)
    replicas = by(verdicts, "table.replicas")
    assert {r: v.status for r, v in replicas.items()} == {t.name: PASS for t in desired.tables}
    assert not failed(verdicts)


def test_prod_replica_in_a_region_the_contract_does_not_name_fails(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("prod")
    replicated(snap, desired, extra_regions=("us-east-1",))
    assert by(evaluate(desired, snap, MOTO_GAPS), "table.replicas")["tenants-prod"].status == FAIL


# ---------------------------------------------------------------- backup selection: evaluation level


def test_backup_selection_of_every_table_passes(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired)
    v = by(evaluate(desired, snap, MOTO_GAPS), "backup.selection")["bbws-dynamodb-tables-sit"]
    assert v.status == PASS, v.line()
    assert sorted(a.rsplit("/", 1)[-1] for a in v.actual["Resources"]) == sorted(t.name for t in desired.tables)


def test_backup_selection_by_wildcard_passes(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired, resources=["arn:aws:dynamodb:*:*:table/*"])
    assert by(evaluate(desired, snap, MOTO_GAPS), "backup.selection")["bbws-dynamodb-tables-sit"].status == PASS


def _selection_verdict(snap: Snapshot, desired: Desired, **extra: Any) -> Verdict:
    env = desired.env
    selection = answer_value(snap, "get_backup_selection", env.region, env.backup.selection)
    set_answer(snap, "get_backup_selection", env.region, env.backup.selection, {**selection, **extra})
    return by(evaluate(desired, snap, MOTO_GAPS), "backup.selection")[env.backup.selection]


def test_backup_selection_wildcard_minus_a_table_fails(correct_snapshot: Any) -> None:
    """Resources "*" with NotResources [orders-sit] does not back up orders-sit."""
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired, resources=["*"])
    v = _selection_verdict(snap, desired, NotResources=[table_arns(snap, desired)["orders-sit"]])
    assert v.status == FAIL and v.reason == "not selected: orders-sit"


def test_backup_selection_list_of_tags_adds_to_resources(correct_snapshot: Any) -> None:
    """AWS Backup ORs Resources and ListOfTags: a tag list beside every table's ARN narrows nothing."""
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired)
    v = _selection_verdict(snap, desired, ListOfTags=[{"ConditionType": "STRINGEQUALS",
                                                       "ConditionKey": "Backup", "ConditionValue": "yes"}])
    assert v.status == PASS, v.line()


def test_backup_selection_narrowed_by_a_condition_no_table_meets_fails(correct_snapshot: Any) -> None:
    """Conditions are ANDed with Resources: a tag condition the tables do not meet selects none of them."""
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired)
    v = _selection_verdict(snap, desired, Conditions={"StringEquals": [
        {"ConditionKey": "aws:ResourceTag/Backup", "ConditionValue": "yes"}]})
    assert v.status == FAIL and v.reason.startswith("not selected: ") and "tenants-sit" in v.reason


def test_backup_selection_condition_the_tables_meet_passes(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired, resources=["arn:aws:dynamodb:*:*:table/*"])
    v = _selection_verdict(snap, desired, Conditions={"StringLike": [
        {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "s?t"}], "StringNotEquals": [
        {"ConditionKey": "aws:ResourceTag/BackupPolicy", "ConditionValue": "none"}]})
    assert v.status == PASS, v.line()


def test_backup_selection_of_a_same_named_table_elsewhere_fails(correct_snapshot: Any) -> None:
    """An ARN in another region or account is not the environment's table."""
    desired, snap = correct_snapshot("sit")
    arns = table_arns(snap, desired)
    elsewhere = [a.replace(":eu-west-1:", ":us-east-1:") if a.endswith("/users-sit") else a for a in arns.values()]
    with_selection(snap, desired, resources=elsewhere)
    v = by(evaluate(desired, snap, MOTO_GAPS), "backup.selection")[desired.env.backup.selection]
    assert v.status == FAIL and v.reason == "not selected: users-sit"


def test_backup_selection_with_another_name_fails(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_selection(snap, desired, name="someone-elses-selection")
    v = by(evaluate(desired, snap, MOTO_GAPS), "backup.selection")["bbws-dynamodb-tables-sit"]
    assert v.status == FAIL and "bbws-dynamodb-tables-sit does not exist" in v.reason


def test_backup_selection_on_plain_moto_is_unverifiable(moto_account: Any, verdicts_after: Any) -> None:
    target, desired = moto_account("sit")
    [v] = [v for v in verdicts_after(target, desired) if v.id == "backup.selection"]
    assert v.status == UNVERIFIABLE and v.resource == "bbws-dynamodb-tables-sit"
    assert "list_backup_selections" in v.reason and "not implemented" in v.reason


# -------------------------------------------------------------- cost anomaly alert: evaluation level


def test_cost_anomaly_alert_as_contracted_passes(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_cost_alert(snap, desired)
    v = by(evaluate(desired, snap, MOTO_GAPS), "cost.anomaly_alert")["bbws-dynamodb-sit-cost-monitor"]
    assert v.status == PASS, v.line()
    assert v.actual["subscribers"] == ["SNS bbws-finops-alerts-sit"]


def test_cost_anomaly_monitor_missing_fails(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_cost_alert(snap, desired, monitor_name="another-monitor")
    v = by(evaluate(desired, snap, MOTO_GAPS), "cost.anomaly_alert")["bbws-dynamodb-sit-cost-monitor"]
    assert v.status == FAIL and "bbws-dynamodb-sit-cost-monitor does not exist" in v.reason


def test_cost_anomaly_monitor_without_subscription_fails(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_cost_alert(snap, desired, subscribed=False)
    v = by(evaluate(desired, snap, MOTO_GAPS), "cost.anomaly_alert")["bbws-dynamodb-sit-cost-monitor"]
    assert v.status == FAIL and "no subscription" in v.reason


def test_cost_anomaly_threshold_200_is_not_20(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    with_cost_alert(snap, desired, percent="200")
    assert by(evaluate(desired, snap, MOTO_GAPS), "cost.anomaly_alert")["bbws-dynamodb-sit-cost-monitor"].status \
        == FAIL


def test_cost_anomaly_alert_on_plain_moto_is_unverifiable(moto_account: Any, verdicts_after: Any) -> None:
    target, desired = moto_account("sit")
    [v] = [v for v in verdicts_after(target, desired) if v.id == "cost.anomaly_alert"]
    assert v.status == UNVERIFIABLE and v.resource == "bbws-dynamodb-sit-cost-monitor"
    assert "get_anomaly_monitors" in v.reason and "not implemented" in v.reason


# ------------------------------------------------------------- S3 on a target that serves DynamoDB only


def test_buckets_on_dynamodb_local_are_unverifiable_with_the_call_quoted(correct_snapshot: Any) -> None:
    """DynamoDB Local does not serve S3: every bucket and template verdict quotes the call and its answer."""
    desired, snap = correct_snapshot("sit")
    for (operation, region, resource), answer in list(snap.answers.items()):
        if operation.startswith(("get_bucket", "get_public_access", "get_object_lock", "list_objects", "head_bucket",
                                 "list_buckets")):
            snap.answers[(operation, region, resource)] = Answer(
                answer.call, error="DynamoDB Local (started by the suite) serves DynamoDB only; "
                                   "it answered HTTP 500 500: Internal Server Error")
    verdicts = [v for v in evaluate(desired, snap, SILENT_GAPS["dynamodb-local"])
                if v.id.startswith(("bucket.", "template."))]
    assert len(verdicts) == 12 + 12
    for v in verdicts:
        assert v.status == UNVERIFIABLE, v.line()
        assert "@eu-west-1 answered: DynamoDB Local" in v.reason and "serves DynamoDB only" in v.reason


def test_a_missing_bucket_fails_every_bucket_and_template_check(moto_account: Any, verdicts_after: Any) -> None:
    target, desired = moto_account("sit")
    client = s3(target, desired)
    for version in client.list_object_versions(Bucket=BUCKET_SIT).get("Versions", []):
        client.delete_object(Bucket=BUCKET_SIT, Key=version["Key"], VersionId=version["VersionId"])
    client.delete_bucket(Bucket=BUCKET_SIT)
    verdicts = [v for v in verdicts_after(target, desired) if v.id.startswith(("bucket.", "template."))]
    assert {v.status for v in verdicts} == {FAIL}
    assert all("does not exist" in v.reason for v in verdicts), [v.line() for v in verdicts]


# ------------------------------------------------ monitoring and buckets: as AWS applies them (ADRs 0050-0052)


def _edit_alarm(snap: Snapshot, desired: Desired, name: str, edit: Callable[[dict[str, Any]], None]) -> None:
    alarms = answer_value(snap, "describe_alarms", desired.env.region, "*")
    edit(next(a for a in alarms if a["AlarmName"] == name))
    set_answer(snap, "describe_alarms", desired.env.region, "*", alarms)


def _verdict_of(snap: Snapshot, desired: Desired, check_id: str, resource: str) -> Verdict:
    return by(evaluate(desired, snap, MOTO_GAPS), check_id)[resource]


def test_a_metric_math_alarm_with_two_queries_returning_data_fails(correct_snapshot: Any) -> None:
    """PutMetricAlarm defaults ReturnData to true: two returning queries is not an alarm CloudWatch evaluates."""
    desired, snap = correct_snapshot("sit")
    _edit_alarm(snap, desired, "orders-sit-system-errors",
                lambda a: [q.pop("ReturnData", None) for q in a["Metrics"][:2]])
    v = _verdict_of(snap, desired, "alarm.configuration", "orders-sit-system-errors")
    assert v.status == FAIL and "2 metric queries return data, not exactly one" in v.reason


def test_an_anomaly_detection_alarm_is_not_a_threshold(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    _edit_alarm(snap, desired, "tenants-sit-read-throttles", lambda a: a.update(ThresholdMetricId="band"))
    v = _verdict_of(snap, desired, "alarm.configuration", "tenants-sit-read-throttles")
    assert v.status == FAIL and "threshold" in v.reason and v.actual["threshold"] == "the anomaly band band"


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_an_alarm_that_is_not_firing_is_healthy(correct_snapshot: Any, state: str) -> None:
    desired, snap = correct_snapshot("sit")
    _edit_alarm(snap, desired, "users-sit-read-throttles", lambda a: a.update(StateValue=state))
    assert _verdict_of(snap, desired, "alarm.state", "users-sit-read-throttles").status == PASS


def test_a_live_topic_without_any_subscription_fails(correct_snapshot: Any) -> None:
    """What AWS answers for a topic nobody subscribed to: an empty list, a real answer (not the emulator's)."""
    desired, snap = correct_snapshot("sit")
    with_subscribers(snap, desired)
    arn = topic_arn(snap, desired, desired.env.monitoring.devops_topic)
    set_answer(snap, "list_subscriptions_by_topic", desired.env.region, arn, [])
    v = _verdict_of(snap, desired, "topic.subscribed", desired.env.monitoring.devops_topic)
    assert v.status == FAIL and v.reason == "reaches nobody: no confirmed subscription"
    assert _verdict_of(snap, desired, "topic.subscribed", desired.env.monitoring.finops_topic).status == PASS


def _edit_dashboard_body(snap: Snapshot, desired: Desired, edit: Callable[[dict[str, Any]], None]) -> None:
    env = desired.env
    dash = answer_value(snap, "get_dashboard", env.region, env.monitoring.dashboard)
    body = json.loads(dash["DashboardBody"])
    edit(body)
    set_answer(snap, "get_dashboard", env.region, env.monitoring.dashboard, {**dash, "DashboardBody": json.dumps(body)})


def test_a_widget_written_with_shorthand_and_reordered_dimensions_passes(correct_snapshot: Any) -> None:
    """CloudWatch's "..." and "." repeat the previous row; dimension pairs may come in any order."""
    desired, snap = correct_snapshot("sit")

    def shorthand(body: dict[str, Any]) -> None:
        widgets = {w["properties"]["title"]: w["properties"] for w in body["widgets"]}
        rows = widgets["System errors"]["metrics"]  # [ns, metric, TableName, t, Operation, op]
        first = rows[0]
        widgets["System errors"]["metrics"] = [[first[0], first[1], first[4], first[5], first[2], first[3]]] + [
            [".", ".", *row[2:]] for row in rows[1:]]
        rows = widgets["Consumed capacity units"]["metrics"]  # [ns, metric, TableName, t]
        widgets["Consumed capacity units"]["metrics"] = [rows[0]] + [
            ["...", row[3]] if row[:3] == previous[:3] else row for previous, row in pairwise(rows)]

    _edit_dashboard_body(snap, desired, shorthand)
    body = json.loads(answer_value(snap, "get_dashboard", desired.env.region, DASH_SIT)["DashboardBody"])
    assert any(row[0] == "..." for w in body["widgets"] for row in w["properties"].get("metrics", []))
    for title in ("System errors", "Consumed capacity units"):
        v = _verdict_of(snap, desired, "dashboard.widget", f"{DASH_SIT}/{title}")
        assert v.status == PASS, v.line()


def test_a_widget_with_an_extra_row_fails(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")

    def extra(body: dict[str, Any]) -> None:
        props = next(w for w in body["widgets"] if w["properties"]["title"] == "User errors")["properties"]
        props["metrics"].append(["AWS/DynamoDB", "UserErrors", "TableName", "payroll"])

    _edit_dashboard_body(snap, desired, extra)
    v = _verdict_of(snap, desired, "dashboard.widget", f"{DASH_SIT}/User errors")
    assert v.status == FAIL and "also shows AWS/DynamoDB UserErrors TableName payroll" in v.reason


def _with_policy(snap: Snapshot, desired: Desired, statement: dict[str, Any]) -> None:
    set_answer(snap, "get_bucket_policy", desired.env.region, BUCKET_SIT, {"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [statement]})})


READ_ALL = {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*"}


@pytest.mark.parametrize(("condition", "public"), [
    ({"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}, False),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),
    ({"StringLike": {"aws:SourceVpce": "vpce-*"}}, True),  # a wildcard limits nothing
    ({"StringNotEquals": {"aws:SourceAccount": "815856636111"}}, True),  # everyone but one account
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),  # how, not who
])
def test_a_statement_to_everyone_is_public_unless_a_condition_limits_who(
        correct_snapshot: Any, condition: dict[str, Any], public: bool) -> None:
    desired, snap = correct_snapshot("sit")
    _with_policy(snap, desired, {**READ_ALL, "Condition": condition})
    v = _verdict_of(snap, desired, "bucket.policy", BUCKET_SIT)
    assert v.status == (FAIL if public else PASS), v.line()


def test_harmless_lifecycle_rules_pass(correct_snapshot: Any) -> None:
    """Aborting multipart uploads, removing expired delete markers, or keeping noncurrent versions longer for a
    prefix change nothing the contract states: the shortest expiry is still the contract's."""
    desired, snap = correct_snapshot("sit")
    config = answer_value(snap, "get_bucket_lifecycle_configuration", desired.env.region, BUCKET_SIT)
    config["Rules"] += [
        {"ID": "markers", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        {"ID": "keep-longer", "Status": "Enabled", "Filter": {"Prefix": "legal/"},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 365}},
        {"ID": "disabled", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}}]
    set_answer(snap, "get_bucket_lifecycle_configuration", desired.env.region, BUCKET_SIT, config)
    v = _verdict_of(snap, desired, "bucket.lifecycle", BUCKET_SIT)
    assert v.status == PASS, v.line()


def test_a_dashboard_body_of_another_shape_fails_without_a_crash(correct_snapshot: Any) -> None:
    """A body CloudWatch would refuse (properties a list, widgets an object) is judged, not a traceback."""
    desired, snap = correct_snapshot("sit")
    _edit_dashboard_body(snap, desired, lambda body: body.update(widgets=[{"type": "metric", "properties": []},
                                                                          "not a widget"]))
    verdicts = by(evaluate(desired, snap, MOTO_GAPS), "dashboard.widget")
    assert {v.status for v in verdicts.values()} == {FAIL}
    _edit_dashboard_body(snap, desired, lambda body: body.update(widgets={"title": "Table status"}))
    assert {v.status for v in by(evaluate(desired, snap, MOTO_GAPS), "dashboard.widget").values()} == {FAIL}


def test_an_alarm_without_a_threshold_reads_as_strict_json(correct_snapshot: Any) -> None:
    """An anomaly-detection alarm has no Threshold: the verdict says None, never NaN (readiness.json is strict)."""
    desired, snap = correct_snapshot("sit")
    _edit_alarm(snap, desired, "tenants-sit-read-throttles", lambda a: a.pop("Threshold"))
    v = _verdict_of(snap, desired, "alarm.configuration", "tenants-sit-read-throttles")
    assert v.status == FAIL and v.actual["threshold"] is None
    json.dumps([x.to_dict() for x in evaluate(desired, snap, MOTO_GAPS)], allow_nan=False, default=str)
