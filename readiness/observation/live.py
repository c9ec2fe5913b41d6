"""One read-only snapshot of an account: every describe/list call made once, concurrently.

Each call's outcome is an :class:`Answer`: the response, "not found" (a real answer: the
resource is missing), or "unavailable" (the target could not say: not implemented, access
denied, throttled past the retries, endpoint down). Checks turn the last into UNVERIFIABLE.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from readiness.contract.desired import Desired
from readiness.outcome import CannotSay, Kind, classify, describe_failure, error_parts
from readiness.targets.base import Target

S3_BUCKET_OPERATIONS = ("get_bucket_versioning", "get_bucket_encryption", "get_public_access_block",
                        "get_bucket_lifecycle_configuration", "get_bucket_logging", "get_bucket_replication",
                        "get_bucket_tagging", "get_object_lock_configuration", "get_bucket_policy",
                        "get_bucket_policy_status")
"""What observe asks of every contracted bucket (plus list_objects_v2 for its objects, head_bucket for its region)."""
S3_LOG_BUCKET_OPERATIONS = ("get_bucket_encryption", "get_public_access_block", "get_bucket_policy",
                            "get_bucket_policy_status", "get_bucket_tagging")
"""What observe asks of a bucket's access-log bucket (plus head_bucket): it holds the audit trail."""
@dataclass(frozen=True)
class Answer:
    """What one call answered."""

    call: str
    value: Any = None
    missing: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing


def ask(call: str, fn: Callable[[], Any], *, foreign: str | None = None) -> Answer:
    """One call's answer. ``foreign`` names a service the target does not serve: then no error it
    answers can mean "not found", and every failure is quoted as unavailable."""
    try:
        return Answer(call, value=fn())
    except Exception as exc:  # BotoCoreError, OSError, an emulator answering garbage: never end the run
        prefix = f"{foreign}; it answered " if foreign else ""
        if ASKED[classify(exc)] == "missing" and not foreign and isinstance(exc, ClientError):
            return Answer(call, missing=True, error=None, value={"Error": error_parts(exc)[1]})
        return Answer(call, error=prefix + describe_failure(exc))


ASKED: dict[Kind, str] = {kind: "missing" if kind is Kind.NOT_FOUND else "unavailable" for kind in Kind}
"""What observe makes of each kind of failure: "not found" is a real answer, anything else leaves the
question open (the check turns it into UNVERIFIABLE)."""


@dataclass
class Snapshot:
    """Every answer, keyed by (operation, region, resource)."""

    answers: dict[tuple[str, str, str], Answer] = field(default_factory=dict)
    api_calls: int = 0
    calls_by_operation: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def get(self, operation: str, region: str, resource: str) -> Answer:
        return self.answers.get((operation, region, resource),
                                Answer(f"{operation}({resource})@{region}", error="never asked (observation skipped)"))


Job = tuple[str, str, str, Callable[[], Any]]
DYNAMODB_OPERATIONS = {"describe_table", "describe_continuous_backups", "describe_time_to_live",
                       "list_tags_of_resource", "list_tables"}
BAD_BACKUP_JOB_STATES = ("FAILED", "ABORTED", "EXPIRED")
"""What a backup job must not have ended as within the retention window (ListBackupJobs ByState)."""


def _run(pool: ThreadPoolExecutor, snap: Snapshot, jobs: list[Job], target: Target) -> None:
    def foreign(op: str) -> str | None:
        service = "dynamodb" if op in DYNAMODB_OPERATIONS else "other"
        return None if target.serves(service) else f"{target.label} serves DynamoDB only"

    futures = {(op, region, res): pool.submit(ask, f"{op}({res})@{region}", fn, foreign=foreign(op))
               for op, region, res, fn in jobs}
    for key, fut in futures.items():
        snap.answers[key] = fut.result()


def _call(client: Any, operation: str, result_key: str | None = None, **kwargs: Any) -> Any:
    """client.operation(**kwargs), optionally narrowed to one key of the response."""
    response = getattr(client, operation)(**kwargs)
    return response[result_key] if result_key else response


def _paged(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(result_key, []))
    return items


def observe(target: Target, desired: Desired, *, workers: int = 16) -> Snapshot:
    """Read everything the checks need, each resource once, in three concurrent waves."""
    env = desired.env
    primary = env.region
    start_calls = target.calls.snapshot()
    started = time.perf_counter()
    ddb = {r: target.client("dynamodb", r) for r in env.regions}
    kms = target.client("kms", primary)
    backup = target.client("backup", primary)
    cw = target.client("cloudwatch", primary)
    sns = target.client("sns", primary)
    ce = target.client("ce", "us-east-1")
    copy = env.backup.copy
    copy_backup = target.client("backup", copy.region) if copy else None
    snap = Snapshot()

    wave1: list[Job] = []
    for t in desired.tables:
        for region in env.regions:
            wave1.append(("describe_table", region, t.name,
                          partial(_call, ddb[region], "describe_table", "Table", TableName=t.name)))
        for region in env.regions:  # PITR is per replica: 003 PROD asks for it in both regions
            wave1.append(("describe_continuous_backups", region, t.name,
                          partial(_call, ddb[region], "describe_continuous_backups", "ContinuousBackupsDescription",
                                  TableName=t.name)))
        wave1.append(("describe_time_to_live", primary, t.name,
                      partial(_call, ddb[primary], "describe_time_to_live", "TimeToLiveDescription",
                              TableName=t.name)))
    wave1.append(("describe_key", primary, desired.key_alias,
                  lambda: kms.describe_key(KeyId=desired.key_alias)["KeyMetadata"]))
    wave1.append(("describe_backup_vault", primary, env.backup.vault,
                  lambda: backup.describe_backup_vault(BackupVaultName=env.backup.vault)))
    if copy and copy_backup is not None:
        wave1.append(("describe_backup_vault", copy.region, copy.vault,
                      lambda: copy_backup.describe_backup_vault(BackupVaultName=copy.vault)))
    wave1.append(("list_backup_plans", primary, "*",
                  lambda: _paged(backup, "list_backup_plans", "BackupPlansList")))
    names = [a.name for a in desired.alarms]
    wave1.append(("describe_alarms", primary, "*", lambda: [
        alarm for i in range(0, len(names), 100)
        for alarm in cw.describe_alarms(AlarmNames=names[i:i + 100], MaxRecords=100).get("MetricAlarms", [])]))
    wave1.append(("get_dashboard", primary, env.monitoring.dashboard,
                  lambda: cw.get_dashboard(DashboardName=env.monitoring.dashboard)))
    wave1.append(("list_topics", primary, "*", lambda: _paged(sns, "list_topics", "Topics")))
    wave1.append(("get_anomaly_monitors", "us-east-1", "*",
                  lambda: ce.get_anomaly_monitors().get("AnomalyMonitors", [])))
    wave1.append(("get_anomaly_subscriptions", "us-east-1", "*",
                  lambda: ce.get_anomaly_subscriptions().get("AnomalySubscriptions", [])))
    wave1 += _bucket_jobs(target, desired)
    wave1 += _inventory_jobs(target, desired)
    wave1 += _backup_jobs(target, desired)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        _run(pool, snap, wave1, target)

        wave2: list[Job] = []
        for t in desired.tables:
            described = snap.get("describe_table", primary, t.name)
            if described.ok:
                wave2.append(("list_tags_of_resource", primary, t.name,
                              partial(_paged, ddb[primary], "list_tags_of_resource", "Tags",
                                      ResourceArn=described.value["TableArn"])))
        key = snap.get("describe_key", primary, desired.key_alias)
        if key.ok and env.encryption_kind == "customer-managed":
            wave2.append(("get_key_rotation_status", primary, desired.key_alias,
                          partial(_call, kms, "get_key_rotation_status", KeyId=key.value["KeyId"])))
        plan_id = find_plan_id(snap, primary, env.backup.plan)
        if plan_id:
            wave2.append(("get_backup_plan", primary, env.backup.plan,
                          lambda: backup.get_backup_plan(BackupPlanId=plan_id)))
            wave2.append(("list_backup_selections", primary, env.backup.plan,
                          lambda: _paged(backup, "list_backup_selections", "BackupSelectionsList",
                                         BackupPlanId=plan_id)))
        wave2 += _tag_jobs(target, desired, snap)
        wave2 += _monitoring_jobs(target, desired, snap)
        _run(pool, snap, wave2, target)

        wave3: list[Job] = []
        selections = snap.get("list_backup_selections", primary, env.backup.plan)
        if selections.ok and plan_id:
            for s in selections.value:  # every selection of the plan: AWS Backup applies them all
                wave3.append(("get_backup_selection", primary, str(s.get("SelectionName")),
                              partial(_call, backup, "get_backup_selection", "BackupSelection",
                                      BackupPlanId=plan_id, SelectionId=s["SelectionId"])))
        _run(pool, snap, wave3, target)

    snap.seconds = time.perf_counter() - started
    after = target.calls.snapshot()
    snap.calls_by_operation = {k: v - start_calls.get(k, 0) for k, v in after.items() if v - start_calls.get(k, 0)}
    snap.api_calls = sum(snap.calls_by_operation.values())
    return snap


def _bare(client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
    """client.operation(**kwargs) without ResponseMetadata (S3 answers its configurations at the top level)."""
    return {k: v for k, v in getattr(client, operation)(**kwargs).items() if k != "ResponseMetadata"}


def _head_bucket(client: Any, bucket: str) -> dict[str, Any]:
    """HeadBucket (its answer names the bucket's region); its bare 404 means "no such bucket", so say so.
    (GetBucketLocation is not used: botocore parses it outside the service model.)"""
    try:
        return _bare(client, "head_bucket", Bucket=bucket)
    except ClientError as exc:
        status, _, _ = error_parts(exc)
        if status == 404:
            answer: Any = {"Error": {"Code": "NoSuchBucket", "Message": f"HeadBucket {bucket}: 404"},
                           "ResponseMetadata": {"HTTPStatusCode": 404}}
            raise ClientError(answer, "HeadBucket") from None
        raise


def _bucket_jobs(target: Target, desired: Desired) -> list[Job]:
    """Every S3 answer the bucket and template checks need: 12 calls per bucket (one page of objects per
    1,000 keys), six for its access-log bucket, two for its DR bucket (prod), and one ListBuckets for the
    inventory of buckets named like the contract's."""
    jobs: list[Job] = []
    for b in desired.buckets:
        s3 = target.client("s3", b.region)
        for op in S3_BUCKET_OPERATIONS:
            jobs.append((op, b.region, b.name, partial(_bare, s3, op, Bucket=b.name)))
        jobs.append(("head_bucket", b.region, b.name, partial(_head_bucket, s3, b.name)))
        jobs.append(("list_objects_v2", b.region, b.name,
                     partial(_paged, s3, "list_objects_v2", "Contents", Bucket=b.name)))
        if b.logging_bucket:
            jobs.append(("head_bucket", b.region, b.logging_bucket, partial(_head_bucket, s3, b.logging_bucket)))
            for op in S3_LOG_BUCKET_OPERATIONS:
                jobs.append((op, b.region, b.logging_bucket, partial(_bare, s3, op, Bucket=b.logging_bucket)))
        if b.replication:
            dr = target.client("s3", b.replication.region)
            jobs.append(("head_bucket", b.replication.region, b.replication.bucket,
                         partial(_head_bucket, dr, b.replication.bucket)))
            jobs.append(("get_bucket_versioning", b.replication.region, b.replication.bucket,
                         partial(_bare, dr, "get_bucket_versioning", Bucket=b.replication.bucket)))
    if desired.buckets:
        s3 = target.client("s3", desired.env.region)
        jobs.append(("list_buckets", desired.env.region, "*", lambda: s3.list_buckets().get("Buckets", [])))
    return jobs


def _subscriptions(sns: Any, arn: str, live: bool, label: str) -> list[Any]:
    """A topic's subscriptions. An emulator the suite deployed has none to show: the contract names no
    subscriber (who receives alerts is configured outside the repository, ADR 0050), so its empty answer
    cannot say whether the live topic reaches anyone, and is quoted as such instead of judged."""
    subs = _paged(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
    if not subs and not live:
        raise CannotSay(f"{label} answered no subscription; the contract names no subscriber (they are configured "
                        "outside the repository, ADR 0050), so an emulator account cannot show who receives alerts")
    return subs


TAGGED_TYPES = "cloudwatch:alarm,sns:topic"
"""The resource types whose tags one Resource Groups Tagging API read answers (instead of a call per alarm)."""


def _tagged(tagging: Any) -> list[Any]:
    """Every tagged alarm and topic of the region with its tags (a page holds up to 500 tags, the most allowed)."""
    return _paged(tagging, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=TAGGED_TYPES.split(","),
                  TagsPerPage=500)


def _monitoring_jobs(target: Target, desired: Desired, snap: Snapshot) -> list[Job]:
    """Wave 2 of monitoring: the subscriptions of every contract topic found (one call each, keyed by its ARN),
    and the tags of every alarm and topic in the region in one Resource Groups Tagging API read (a page per 500
    tags: 71 resources with the seven required tags): 2 calls per topic and 1 per environment, none per alarm."""
    region = desired.env.region
    jobs: list[Job] = []
    topics = snap.get("list_topics", region, "*")
    if topics.ok:
        sns = target.client("sns", region)
        arns = [t["TopicArn"] for t in topics.value if t["TopicArn"].rsplit(":", 1)[-1] in desired.topics]
        for arn in arns:
            jobs.append(("list_subscriptions_by_topic", region, arn,
                         partial(_subscriptions, sns, arn, target.kind == "aws", target.label)))
    if desired.alarms or topics.ok:
        jobs.append(("get_resources", region, TAGGED_TYPES,
                     partial(_tagged, target.client("resourcegroupstaggingapi", region))))
    return jobs


def _inventory_jobs(target: Target, desired: Desired) -> list[Job]:
    """One ListTables per region the contract uses (paginated), for look-alikes of the contract's tables;
    in the DR regions the replicas' TTL (their settings and tags are asked in wave 2)."""
    jobs: list[Job] = []
    for region in desired.table_regions:
        jobs.append(("list_tables", region, "*",
                     partial(_paged, target.client("dynamodb", region), "list_tables", "TableNames")))
    replica_regions = desired.env.replication.regions if desired.env.replication else ()
    for region in replica_regions:
        ddb = target.client("dynamodb", region)
        for t in desired.tables:
            jobs.append(("describe_time_to_live", region, t.name,
                         partial(_call, ddb, "describe_time_to_live", "TimeToLiveDescription", TableName=t.name)))
    return jobs


def _backup_jobs(target: Target, desired: Desired) -> list[Job]:
    """The keys the vaults must be encrypted with (AWS-managed alias/aws/backup outside prod, the CMK in each DR
    region), and the backup jobs that failed, aborted or expired within the retention window (one
    ListBackupJobs per state, paginated)."""
    env = desired.env
    jobs: list[Job] = []
    keys = {(env.region, desired.vault_key_alias)} - {(env.region, desired.key_alias)}
    keys |= {(r, alias) for r in desired.dr_regions for alias in (desired.key_alias, desired.vault_key_alias)}
    for region, alias in sorted(keys):
        jobs.append(("describe_key", region, alias,
                     partial(_call, target.client("kms", region), "describe_key", "KeyMetadata", KeyId=alias)))
    backup = target.client("backup", env.region)
    since = datetime.now(UTC) - timedelta(days=env.backup.retention_days)
    for state in BAD_BACKUP_JOB_STATES:
        jobs.append(("list_backup_jobs", env.region, state,
                     partial(_paged, backup, "list_backup_jobs", "BackupJobs", ByState=state, ByCreatedAfter=since,
                             ByResourceType="DynamoDB")))
    return jobs


def _tag_jobs(target: Target, desired: Desired, snap: Snapshot) -> list[Job]:
    """Wave 2: the tags of the vaults, the plan and the customer-managed keys, and the DR replicas' tags."""
    env = desired.env
    jobs: list[Job] = []
    vaults = [(env.region, env.backup.vault), *([(env.backup.copy.region, env.backup.copy.vault)]
                                                if env.backup.copy else [])]
    for region, vault in vaults:
        described = snap.get("describe_backup_vault", region, vault)
        if described.ok:
            jobs.append(("list_tags", region, vault, partial(_call, target.client("backup", region), "list_tags",
                                                             "Tags", ResourceArn=described.value["BackupVaultArn"])))
    plans = snap.get("list_backup_plans", env.region, "*")
    for p in plans.value if plans.ok else []:
        if p.get("BackupPlanName") == env.backup.plan:
            jobs.append(("list_tags", env.region, env.backup.plan, partial(
                _call, target.client("backup", env.region), "list_tags", "Tags", ResourceArn=p["BackupPlanArn"])))
    if env.encryption_kind == "customer-managed":
        for region in (env.region, *desired.dr_regions):
            key = snap.get("describe_key", region, desired.key_alias)
            if key.ok:
                jobs.append(("list_resource_tags", region, desired.key_alias, partial(
                    _paged, target.client("kms", region), "list_resource_tags", "Tags", KeyId=key.value["KeyId"])))
                if region != env.region:
                    jobs.append(("get_key_rotation_status", region, desired.key_alias, partial(
                        _call, target.client("kms", region), "get_key_rotation_status", KeyId=key.value["KeyId"])))
    for region in env.replication.regions if env.replication else ():
        for t in desired.tables:
            described = snap.get("describe_table", region, t.name)
            if described.ok:
                jobs.append(("list_tags_of_resource", region, t.name, partial(
                    _paged, target.client("dynamodb", region), "list_tags_of_resource", "Tags",
                    ResourceArn=described.value["TableArn"])))
    return jobs


def find_plan_id(snap: Snapshot, region: str, plan_name: str) -> str | None:
    plans = snap.get("list_backup_plans", region, "*")
    if not plans.ok:
        return None
    for p in plans.value:
        if p.get("BackupPlanName") == plan_name:
            return str(p["BackupPlanId"])
    return None
