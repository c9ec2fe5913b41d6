"""Least privilege: every AWS API operation the suite calls, and the IAM policies that allow exactly those.

Operations are named as :class:`readiness.targets.base.CallLog` records them (``service:Operation``, botocore's
service name), which is also the IAM action (``dynamodb:DescribeTable``) except where ``IAM_PREFIX`` says
otherwise (DynamoDB Streams' actions are ``dynamodb:...``); :func:`iam_action` maps one to the other.

- ``READ_ONLY``: what a read-only run calls against AWS: the account guard (``sts:GetCallerIdentity``) and
  the observation of every resource of the environment. ``iam/readiness-readonly.json`` allows exactly their
  IAM actions (``iam_actions(READ_ONLY)``; S3's differ from the API names, ``IAM_ACTIONS``);
  tests/test_permissions.py records a run per environment through the CallLog and fails when the engine calls
  an operation that is not here, or this set names one it never calls.
- ``DRILL_OPERATIONS``: what the drills (``--allow writes,restore,load``) call *in addition*, on top of the
  read-only policy: test items written into the contract's tables, restores into ``*-restore-*`` tables,
  on-demand backups, and CloudWatch metric reads (replication latency). ``iam/readiness-drills.json``
  allows exactly these. **A drill must add every call it makes here** (and to that policy): the drills' own
  tests should assert ``uncovered(target.calls.snapshot(), READ_ONLY | DRILL_OPERATIONS) == set()`` after a
  drill ran, so a call the policy does not allow fails in CI instead of with AccessDenied in the account.
- ``EMULATOR_ONLY``: calls made only against an emulator endpoint (never against AWS), so no policy has them.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

IAM_DIR = Path(__file__).resolve().parent.parent / "iam"
READ_ONLY_POLICY = IAM_DIR / "readiness-readonly.json"
DRILLS_POLICY = IAM_DIR / "readiness-drills.json"

GUARD = frozenset({"sts:GetCallerIdentity"})
OBSERVATION = frozenset({
    # every table, in the primary and (prod) the replica region
    "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    # the inventory: one ListTables per region the contract uses (look-alike tables, leftover restores)
    "dynamodb:ListTables",
    # the environment's keys, in each region (rotation and tags: customer-managed keys only)
    "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
    # AWS Backup: vaults (and the DR copy's), the plan, its selections, their tags, failed jobs
    "backup:DescribeBackupVault", "backup:ListBackupPlans", "backup:GetBackupPlan",
    "backup:ListBackupSelections", "backup:GetBackupSelection", "backup:ListTags", "backup:ListBackupJobs",
    # monitoring
    "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "sns:ListTopics",
    "ce:GetAnomalyMonitors", "ce:GetAnomalySubscriptions",
    # every contract topic's subscriptions; the tags of every alarm and topic (one Tagging API read)
    "sns:ListSubscriptionsByTopic", "resourcegroupstaggingapi:GetResources",
    # the templates bucket (and its access-log and DR buckets): configuration and the object list
    "s3:GetBucketVersioning", "s3:GetBucketEncryption", "s3:GetPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration", "s3:GetBucketLogging", "s3:GetBucketReplication",
    "s3:GetBucketTagging", "s3:ListObjectsV2", "s3:HeadBucket",
    "s3:GetObjectLockConfiguration", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus",
    # the inventory of buckets named like the contract's
    "s3:ListBuckets",
    # the item check: a bounded sample of every contract table (reads only; ADR 0060)
    "dynamodb:Scan",
})
# The backup RPO drill reads only, so a read-only run makes it too (ADR 0053): each vault's recovery points and
# the failed backup jobs; its calls are recorded with the drills' (DRILL_OPERATIONS, tests/test_drills.py).
READ_ONLY_DRILLS = frozenset({"backup:ListRecoveryPointsByBackupVault", "backup:ListBackupJobs"})
READ_ONLY = GUARD | OBSERVATION | READ_ONLY_DRILLS

DRILL_OPERATIONS = frozenset({
    # test items in the contract's tables (and the restored copies the drills read back)
    "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems", "dynamodb:ConditionCheckItem",
    # restore drills: into *-restore-* tables only, which they also describe and delete afterwards
    "dynamodb:RestoreTableToPointInTime", "dynamodb:RestoreTableFromBackup",
    "dynamodb:CreateBackup", "dynamodb:DescribeBackup", "dynamodb:DeleteBackup", "dynamodb:DeleteTable",
    "dynamodb:DescribeTable",  # also read-only, but the drills' grant is on *-restore-* tables (waiting for them)
    # the orphan sweep looks for restore tables a killed run left behind
    "dynamodb:ListTables",
    # the stream drill reads the change records of its own test items
    "dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords",
    # the backup RPO drill: the newest recovery point of each table in every vault, and the failed jobs
    "backup:ListRecoveryPointsByBackupVault", "backup:ListBackupJobs",
    # replication latency of the global table (prod)
    "cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricData",
})

# botocore service names whose IAM actions carry another prefix
IAM_PREFIX = {"dynamodbstreams": "dynamodb", "resourcegroupstaggingapi": "tag"}
# API operations whose IAM action has another name (S3 mostly: https://docs.aws.amazon.com/AmazonS3/latest/
# userguide/using-with-s3-policy-actions.html)
IAM_ACTIONS = {
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:ListObjectsV2": "s3:ListBucket",
}

# The endpoint probe (readiness.run.probe_endpoint) asks an emulator one ListTables; AWS is never probed, but
# the inventory asks AWS ListTables too (OBSERVATION), so no call is left that only an emulator gets.
EMULATOR_ONLY: frozenset[str] = frozenset()


def iam_action(operation: str) -> str:
    """The IAM action of a CallLog operation: ``dynamodbstreams:GetRecords`` -> ``dynamodb:GetRecords``,
    ``s3:HeadBucket`` -> ``s3:ListBucket``; an IAM action is its own."""
    if operation in IAM_ACTIONS:
        return IAM_ACTIONS[operation]
    service, name = operation.split(":", 1)
    return f"{IAM_PREFIX.get(service, service)}:{name}"


def iam_actions(operations: Iterable[str]) -> set[str]:
    return {iam_action(op) for op in operations}


def uncovered(operations: Iterable[str], allowed: Iterable[str]) -> set[str]:
    """The IAM actions the operations (``service:Operation``, e.g. CallLog keys) need that ``allowed``
    (operations or IAM actions) does not grant."""
    return iam_actions(operations) - iam_actions(allowed)


def load_policy(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | Mapping) else list(value or [])


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in _as_list(policy.get("Statement"))]


def policy_actions(policy: Mapping[str, Any]) -> set[str]:
    """Every action an Allow statement of the policy names (exactly as written: wildcards stay wildcards)."""
    return {a for s in statements(policy) if s.get("Effect") == "Allow" for a in _as_list(s.get("Action"))}


def allows(policy: Mapping[str, Any], action: str, resource: str) -> bool:
    """True when an Allow statement names the action and a resource pattern matching the ARN (IAM wildcards
    ``*`` and ``?``; conditions are not evaluated)."""
    for s in statements(policy):
        if s.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in _as_list(s.get("Action"))):
            continue
        if any(fnmatch.fnmatchcase(resource, r) for r in _as_list(s.get("Resource"))):
            return True
    return False
