"""Deploy an environment's contract into an emulator (never into AWS: Terraform does that).

Creates exactly the desired state: KMS key, tables (keys, GSIs, billing, SSE, streams,
deletion protection, tags, PITR, TTL, replicas), the backup vault(s), plan and selection,
SNS topics, alarms, dashboard and the cost anomaly alert, and the S3 buckets (access-log bucket,
DR bucket in prod) with the email templates uploaded at their keys. A call the emulator does not
implement is recorded in ``Deployment.unsupported`` and the deployment goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError
from botocore.parsers import ResponseParserError

from readiness.contract.desired import TREAT_MISSING_DATA, BucketSpec, Desired, TableSpec
from readiness.contract.templates import content_type
from readiness.outcome import Kind, RefusedBySuite, classify, describe_failure
from readiness.targets.base import Target, TargetError

DEPLOYED: dict[Kind, str] = {
    Kind.ALREADY_EXISTS: "exists",  # an earlier deploy made it: fine
    Kind.UNSUPPORTED: "noted",  # the emulator does not do it: noted, its checks say what is missing
    Kind.UNAVAILABLE: "stop",  # the endpoint went away or answered garbage: the deploy cannot go on
    Kind.CREDENTIALS: "stop",  # nothing else would get through either
    Kind.REFUSED_BY_SUITE: "stop",  # a deploy client writes; a refusal is a bug, never a gap to note
    **{k: "noted unless required" for k in (Kind.NOT_FOUND, Kind.THROTTLED, Kind.DENIED, Kind.REJECTED)},
}
"""What a deploy makes of each kind of failure of one call."""


ABORT_MULTIPART_DAYS = 7
"""Incomplete multipart uploads are aborted after a week (Terraform's s3_bucket module does the same)."""


@dataclass
class Deployment:
    created: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


class Deployer:
    def __init__(self, target: Target, desired: Desired) -> None:
        if not target.can_deploy:
            raise TargetError(f"refusing to deploy into {target.label}: "
                              "this run is verify-only (--no-deploy or --target aws)")
        self.t = target
        self.d = desired
        self.env = desired.env
        self.out = Deployment()

    def client(self, service: str, region: str | None = None) -> Any:
        return self.t.client(service, region or self.env.region, write=True)

    def do(self, what: str, fn: Callable[[], Any], *, required: bool = True) -> Any:
        """Run one call; an unimplemented call is noted, an existing resource is fine."""
        try:
            result = fn()
        except (ClientError, NotImplementedError, BotoCoreError, ResponseParserError, RefusedBySuite) as exc:
            outcome = DEPLOYED[classify(exc)]
            if outcome == "exists":
                return None
            if outcome == "noted" or (outcome == "noted unless required" and not required):
                self.out.unsupported.append(f"{what}: {describe_failure(exc)}")
                return None
            raise TargetError(f"deploying {what} into {self.t.label} failed: {describe_failure(exc)}") from None
        self.out.created.append(what)
        return result

    # ------------------------------------------------------------------------------------------ pieces

    def key_arn(self, alias: str, region: str | None = None) -> str | None:
        kms = self.client("kms", region)
        if alias.startswith("alias/aws/"):
            found = self.do(f"kms key {alias}", lambda: kms.describe_key(KeyId=alias), required=False)
            return found["KeyMetadata"]["Arn"] if found else None
        try:
            return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
        except ClientError:
            pass
        key = self.do(f"kms key {alias}", lambda: kms.create_key(
            Description=f"BBWS DynamoDB {self.env.name}", Tags=self._tags("TagKey", "TagValue")))
        if not key:
            return None
        arn = key["KeyMetadata"]["Arn"]
        self.do(f"kms alias {alias}", lambda: kms.create_alias(AliasName=alias, TargetKeyId=arn))
        if self.env.key_rotation:
            self.do(f"kms rotation {alias}", lambda: kms.enable_key_rotation(KeyId=arn))
        return str(arn)

    def _tags(self, k: str = "Key", v: str = "Value") -> list[dict[str, str]]:
        return [{k: key, v: value} for key, value in self.env.tags.items()]

    def table(self, spec: TableSpec, key_arn: str | None) -> None:
        ddb = self.client("dynamodb")
        c = spec.table
        keys = [{"AttributeName": c.partition.attribute, "KeyType": "HASH"}]
        if c.sort:
            keys.append({"AttributeName": c.sort.attribute, "KeyType": "RANGE"})
        params: dict[str, Any] = {
            "TableName": spec.name,
            "KeySchema": keys,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in c.attributes.items()],
            "BillingMode": self.env.billing_mode,
            "SSESpecification": {"Enabled": True, "SSEType": "KMS",
                                 **({"KMSMasterKeyId": key_arn} if self.env.key_alias and key_arn else {})},
            "DeletionProtectionEnabled": self.env.deletion_protection,
            "Tags": self._tags(),
        }
        if c.stream:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": c.stream}
        if c.gsis:
            params["GlobalSecondaryIndexes"] = [{
                "IndexName": g.name,
                "KeySchema": [{"AttributeName": g.partition_key, "KeyType": "HASH"},
                              *([{"AttributeName": g.sort_key, "KeyType": "RANGE"}] if g.sort_key else [])],
                "Projection": {"ProjectionType": g.projection,
                               **({"NonKeyAttributes": list(g.non_key_attributes)} if g.non_key_attributes else {})},
            } for g in c.gsis]
        if self.env.billing_mode == "PROVISIONED":
            params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        self.do(f"table {spec.name}", lambda: ddb.create_table(**params))
        ddb.get_waiter("table_exists").wait(TableName=spec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        if self.env.pitr_enabled:
            self.do(f"PITR {spec.name}", lambda: ddb.update_continuous_backups(
                TableName=spec.name, PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": True,
                    "RecoveryPeriodInDays": self.env.pitr_recovery_period_days}))
        if c.ttl_enabled and c.ttl_attribute:
            self.do(f"TTL {spec.name}", lambda: ddb.update_time_to_live(
                TableName=spec.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": c.ttl_attribute}))
        if self.env.replication:
            updates = [{"Create": {"RegionName": r}} for r in self.env.replication.regions]
            self.do(f"replicas {spec.name}", lambda: ddb.update_table(TableName=spec.name, ReplicaUpdates=updates))

    def backups(self, table_arns: list[str]) -> None:
        b = self.env.backup
        vault_key = self.key_arn(self.d.vault_key_alias)
        backup = self.client("backup")
        self.do(f"backup vault {b.vault}", lambda: backup.create_backup_vault(
            BackupVaultName=b.vault, BackupVaultTags=dict(self.env.tags),
            **({"EncryptionKeyArn": vault_key} if vault_key else {})))
        rule: dict[str, Any] = {"RuleName": b.rule, "TargetBackupVaultName": b.vault,
                                "ScheduleExpression": b.schedule, "Lifecycle": {"DeleteAfterDays": b.retention_days}}
        if b.copy:
            copy = b.copy
            dr = self.client("backup", copy.region)
            dr_key = self.key_arn(self.d.vault_key_alias, copy.region)
            made = self.do(f"backup vault {copy.vault} ({copy.region})", lambda: dr.create_backup_vault(
                BackupVaultName=copy.vault, BackupVaultTags=dict(self.env.tags),
                **({"EncryptionKeyArn": dr_key} if dr_key else {})))
            dest = made["BackupVaultArn"] if made else \
                dr.describe_backup_vault(BackupVaultName=copy.vault)["BackupVaultArn"]
            rule["CopyActions"] = [{"DestinationBackupVaultArn": dest,
                                    "Lifecycle": {"DeleteAfterDays": copy.retention_days}}]
        plan = self.do(f"backup plan {b.plan}", lambda: backup.create_backup_plan(
            BackupPlan={"BackupPlanName": b.plan, "Rules": [rule]}, BackupPlanTags=dict(self.env.tags)))
        if plan:
            account = table_arns[0].split(":")[4] if table_arns else "000000000000"
            role = f"arn:aws:iam::{account}:role/{b.iam_role}"
            self.do(f"backup selection {b.selection}", lambda: backup.create_backup_selection(
                BackupPlanId=plan["BackupPlanId"],
                BackupSelection={"SelectionName": b.selection, "IamRoleArn": role, "Resources": table_arns}))

    def monitoring(self) -> None:
        m = self.env.monitoring
        sns = self.client("sns")
        topics = {}
        for name in (m.devops_topic, m.finops_topic):
            made = self.do(f"SNS topic {name}", partial(sns.create_topic, Name=name, Tags=self._tags()))
            if made:
                topics[name] = made["TopicArn"]
        cw = self.client("cloudwatch")
        for a in self.d.alarms:
            params: dict[str, Any] = {
                "AlarmName": a.name, "AlarmDescription": a.definition.plan,
                "ComparisonOperator": a.definition.comparison, "Threshold": a.definition.threshold,
                "EvaluationPeriods": a.definition.evaluation_periods, "TreatMissingData": TREAT_MISSING_DATA,
                "ActionsEnabled": True, "AlarmActions": [topics[a.topic]] if a.topic in topics else [],
                "Tags": self._tags(),
            }
            if a.expression:
                params["Metrics"] = [{"Id": "total", "Expression": a.expression, "ReturnData": True,
                                      "Label": a.definition.metric}] + [
                    {"Id": f"m{i}", "ReturnData": False, "MetricStat": {
                        "Metric": {"Namespace": ns, "MetricName": name,
                                   "Dimensions": [{"Name": k, "Value": v} for k, v in dims]},
                        "Period": period, "Stat": stat}}
                    for i, (ns, name, dims, stat, period) in enumerate(a.metrics)]
            else:
                ns, name, dims, stat, period = a.metrics[0]
                params.update(Namespace=ns, MetricName=name, Statistic=stat, Period=period,
                              Dimensions=[{"Name": k, "Value": v} for k, v in dims])
            self.do(f"alarm {a.name}", partial(cw.put_metric_alarm, **params))
        arns = {a.name: f"arn:aws:cloudwatch:{a.region}:{self._account()}:alarm:{a.name}" for a in self.d.alarms}
        self.do(f"dashboard {m.dashboard}", lambda: cw.put_dashboard(
            DashboardName=m.dashboard, DashboardBody=self.d.dashboard_body(arns)))
        ce = self.client("ce", "us-east-1")
        monitor = self.do(f"cost anomaly monitor {m.cost_monitor}", lambda: ce.create_anomaly_monitor(
            AnomalyMonitor={"MonitorName": m.cost_monitor, "MonitorType": "DIMENSIONAL",
                            "MonitorDimension": "SERVICE"}))
        if monitor and self.d.cost_anomaly_topic in topics:
            threshold = {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
                                        "Values": [f"{self.d.cost_anomaly_percent:g}"],
                                        "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}
            self.do(f"cost anomaly subscription {m.cost_monitor}", lambda: ce.create_anomaly_subscription(
                AnomalySubscription={"SubscriptionName": m.cost_monitor, "MonitorArnList": [monitor["MonitorArn"]],
                                     "Subscribers": [{"Type": "SNS", "Address": topics[self.d.cost_anomaly_topic]}],
                                     "Frequency": "IMMEDIATE", "ThresholdExpression": threshold}))

    def _bucket(self, name: str, region: str, *, versioning: bool, tags: dict[str, str]) -> Any:
        """Create a bucket with SSE-S3, every public access block, versioning as asked, and tags."""
        s3 = self.client("s3", region)
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        self.do(f"bucket {name}", partial(s3.create_bucket, Bucket=name, **location))
        self.do(f"bucket {name} encryption", partial(s3.put_bucket_encryption, Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [{
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}))
        self.do(f"bucket {name} public access block", partial(s3.put_public_access_block, Bucket=name,
                PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                "BlockPublicPolicy": True, "RestrictPublicBuckets": True}))
        if versioning:
            self.do(f"bucket {name} versioning", partial(s3.put_bucket_versioning, Bucket=name,
                    VersioningConfiguration={"Status": "Enabled"}))
        self.do(f"bucket {name} tags", partial(s3.put_bucket_tagging, Bucket=name,
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}))
        return s3

    def bucket(self, b: BucketSpec, account: str) -> None:
        c = b.bucket
        tags = dict(b.tags)
        if b.logging_bucket:
            self._bucket(b.logging_bucket, b.region, versioning=True, tags=tags)
            policy = {"Version": "2012-10-17", "Statement": [{
                "Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b.logging_bucket}/{b.logging_prefix}*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account},
                              "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{b.name}"}}}]}
            self.do(f"bucket {b.logging_bucket} policy", partial(
                self.client("s3", b.region).put_bucket_policy, Bucket=b.logging_bucket, Policy=json.dumps(policy)))
        s3 = self._bucket(b.name, b.region, versioning=c.versioning, tags=tags)
        self.do(f"bucket {b.name} lifecycle", partial(s3.put_bucket_lifecycle_configuration, Bucket=b.name,
                LifecycleConfiguration={"Rules": [{
                    "ID": "noncurrent-versions", "Status": "Enabled", "Filter": {},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": c.noncurrent_version_expiration_days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS}}]}))
        if b.logging_bucket:
            self.do(f"bucket {b.name} access logging", partial(s3.put_bucket_logging, Bucket=b.name,
                    BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": b.logging_bucket,
                                                            "TargetPrefix": b.logging_prefix}}))
        if b.replication:
            r = b.replication
            self._bucket(r.bucket, r.region, versioning=True, tags=tags)
            self.do(f"bucket {b.name} replication", partial(s3.put_bucket_replication, Bucket=b.name,
                    ReplicationConfiguration={"Role": f"arn:aws:iam::{account}:role/{r.role}", "Rules": [{
                        "ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
                        "DeleteMarkerReplication": {"Status": "Enabled"},
                        "Destination": {"Bucket": f"arn:aws:s3:::{r.bucket}"}}]}))
        for o in b.objects:
            for key, body in o.files().items():
                self.do(f"s3://{b.name}/{key}", partial(s3.put_object, Bucket=b.name, Key=key, Body=body,
                                                        ContentType=content_type(key)))

    def _account(self) -> str:
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except (ClientError, BotoCoreError, NotImplementedError):
            return "000000000000"

    def run(self) -> Deployment:
        key = self.key_arn(self.d.key_alias) if self._serves("kms", "the KMS key") else None
        arns: list[str] = []
        ddb = self.client("dynamodb")
        for spec in self.d.tables:
            self.table(spec, key)
            arns.append(ddb.describe_table(TableName=spec.name)["Table"]["TableArn"])
        selected = {t.name for t in self.d.tables if t.logical in self.env.backup.selection_tables}
        if self._serves("backup", "the backup vault, plan and selection"):
            self.backups([a for a in arns if a.rsplit("/", 1)[-1] in selected])
        if self._serves("cloudwatch", "the SNS topics, alarms, dashboard and cost anomaly alert"):
            self.monitoring()
        if self.d.buckets and self._serves("s3", "the template buckets and the email templates"):
            account = arns[0].split(":")[4] if arns else self._account()
            for b in self.d.buckets:
                self.bucket(b, account)
        return self.out

    def _serves(self, service: str, what: str) -> bool:
        if self.t.serves(service):
            return True
        self.out.unsupported.append(f"{what}: {self.t.label} serves DynamoDB only")
        return False


def deploy(target: Target, desired: Desired) -> Deployment:
    """Create the desired state in an emulator target; TargetError on a real failure."""
    try:
        return Deployer(target, desired).run()
    except (ClientError, BotoCoreError, ResponseParserError, WaiterError, KeyError, IndexError) as exc:
        # a call outside do() (a waiter, a describe) failed, or the target answered without a field AWS sends
        raise TargetError(f"deploying into {target.label} failed: {describe_failure(exc)}") from None
