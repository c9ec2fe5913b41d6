"""The plan's S3 answers: aws_s3_bucket and the per-bucket configuration resources of provider v4+.

Same keys and shapes as observation/live.py's _bucket_jobs (GetBucketVersioning, GetBucketEncryption, ...,
HeadBucket, ListObjectsV2) for the contracted buckets, their access-log buckets and DR buckets. A
configuration the plan does not make is what S3 answers for a bucket without it (NoSuch...). S3's
PolicyStatus is S3's own reading of the policy: a plan has the document, and the status is read from it
with the same rule (s3_policy.public_statements). ListBuckets is the account's inventory, which a plan does
not have: unavailable, so bucket.inventory is UNVERIFIABLE on a plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from readiness.contract.desired import Desired
from readiness.observation.live import S3_BUCKET_OPERATIONS, S3_LOG_BUCKET_OPERATIONS
from readiness.observation.plan_load import Plan, Planned
from readiness.observation.plan_values import (
    Put,
    Unshown,
    blocks,
    effective_tags,
    first,
    flag,
    shown,
    tag_list,
    unnamed,
)
from readiness.observation.s3_policy import public_statements
from readiness.outcome import Unknown

NO_INVENTORY = ("a Terraform plan shows only its own buckets, not the account's others (ListBuckets answers "
                "for the account: run against it)")
# What S3 answers when a bucket has no such configuration (None: an empty answer)
S3_NOT_CONFIGURED = {
    "get_bucket_versioning": None,  # S3 answers an empty document for a bucket never versioned
    "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_lifecycle_configuration": "NoSuchLifecycleConfiguration",
    "get_bucket_logging": None,
    "get_bucket_replication": "ReplicationConfigurationNotFoundError",
    "get_bucket_tagging": "NoSuchTagSet",
    "get_object_lock_configuration": "ObjectLockConfigurationNotFoundError",
    "get_bucket_policy": "NoSuchBucketPolicy",
    "get_bucket_policy_status": "NoSuchBucketPolicy",
    "head_bucket": None,
    "list_objects_v2": None,
}


def _filter(block: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule's filter block in GetBucketLifecycleConfiguration's LifecycleRuleFilter shape."""
    out: dict[str, Any] = {}
    for attribute, key in (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                           ("object_size_less_than", "ObjectSizeLessThan")):
        if block.get(attribute) not in (None, "", 0):
            out[key] = block[attribute]
    if (tag := first(block.get("tag"))):
        out["Tag"] = {"Key": tag.get("key"), "Value": tag.get("value")}
    if (both := first(block.get("and"))):  # prefix, sizes and a tags map, all of which an object must match
        out["And"] = {**_filter({**both, "tag": [], "and": []}),
                      **({"Tags": tag_list(both.get("tags"))} if both.get("tags") else {})}
    return out


def _lifecycle_rule(r: dict[str, Any]) -> dict[str, Any]:
    """One rule of aws_s3_bucket_lifecycle_configuration in GetBucketLifecycleConfiguration's shape."""
    rule: dict[str, Any] = {"ID": r.get("id"), "Status": r.get("status")}
    if r.get("filter") is not None:
        rule["Filter"] = _filter(first(r.get("filter")))
    if r.get("prefix"):
        rule["Prefix"] = r["prefix"]
    if (nve := first(r.get("noncurrent_version_expiration"))):
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("noncurrent_days"), **(
            {"NewerNoncurrentVersions": nve["newer_noncurrent_versions"]} if nve.get("newer_noncurrent_versions")
            else {})}
    if (expiration := first(r.get("expiration"))):
        rule["Expiration"] = {key: expiration[a] for a, key in (("days", "Days"), ("date", "Date"), (
            "expired_object_delete_marker", "ExpiredObjectDeleteMarker")) if expiration.get(a) not in (None, "", 0)}
    if (moves := blocks(r.get("transition"))):
        rule["Transitions"] = [{"StorageClass": t.get("storage_class"), "Days": t.get("days")} for t in moves]
    if (moves := blocks(r.get("noncurrent_version_transition"))):
        rule["NoncurrentVersionTransitions"] = [{"StorageClass": t.get("storage_class"),
                                                 "NoncurrentDays": t.get("noncurrent_days")} for t in moves]
    if (abort := first(r.get("abort_incomplete_multipart_upload"))):
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": abort.get("days_after_initiation")}
    return rule


def _policy_status(policy: Any) -> dict[str, Any]:
    return {"PolicyStatus": {"IsPublic": bool(public_statements(str(shown(policy))))}}


def _object_lock(enabled: bool, config: list[dict[str, Any]]) -> dict[str, Any]:
    rule = first(first(config[0].get("rule")).get("default_retention")) if config else {}
    return {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled" if enabled else None, **({"Rule": {
        "DefaultRetention": {k: rule[a] for a, k in (("mode", "Mode"), ("days", "Days"), ("years", "Years"))
                             if rule.get(a)}}} if rule else {})}}


def _bucket_answers(plan: Plan, bucket: Planned, required: Any) -> dict[str, Callable[[], Any]]:
    """The S3 answers for one planned bucket; a configuration the plan does not make is absent."""
    name = bucket.values.get("bucket")

    def of(kind: str) -> list[dict[str, Any]]:
        """Configuration resources of this bucket: named by it, or (name unknown until apply) in its module."""
        return [r.values for r in plan.of_type(kind) if r.region == bucket.region and (
            r.values.get("bucket") == name if not isinstance(r.values.get("bucket"), Unknown)
            else r.module == bucket.module)]

    def only(found: list[dict[str, Any]]) -> dict[str, Any]:
        """The one configuration resource of a kind: two of them fight over the bucket (S3 keeps whichever
        Terraform applies last), so the answer rests on what the plan cannot show."""
        if len(found) > 1:
            raise Unshown(Unknown(f"(not in the plan: {len(found)} configuration resources of one kind configure "
                                  f"bucket {name}, and S3 keeps whichever Terraform applies last)"))
        return found[0]

    out: dict[str, Callable[[], Any]] = {}
    if (v := of("aws_s3_bucket_versioning")):
        out["get_bucket_versioning"] = lambda: {
            "Status": first(only(v).get("versioning_configuration")).get("status")}
    if (e := of("aws_s3_bucket_server_side_encryption_configuration")):
        out["get_bucket_encryption"] = lambda: {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": first(r.get("apply_server_side_encryption_by_default")).get("sse_algorithm")}}
            for r in blocks(only(e).get("rule"))]}}
    if (b := of("aws_s3_bucket_public_access_block")):
        out["get_public_access_block"] = lambda: {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": only(b).get("block_public_acls"), "IgnorePublicAcls": only(b).get("ignore_public_acls"),
            "BlockPublicPolicy": only(b).get("block_public_policy"),
            "RestrictPublicBuckets": only(b).get("restrict_public_buckets")}}
    if (lc := of("aws_s3_bucket_lifecycle_configuration")):
        out["get_bucket_lifecycle_configuration"] = lambda: {"Rules": [
            _lifecycle_rule(r) for r in blocks(only(lc).get("rule"))]}
    if (lg := of("aws_s3_bucket_logging")):
        out["get_bucket_logging"] = lambda: {"LoggingEnabled": {"TargetBucket": only(lg).get("target_bucket"),
                                                                "TargetPrefix": only(lg).get("target_prefix")}}
    if (rp := of("aws_s3_bucket_replication_configuration")):
        out["get_bucket_replication"] = lambda: {"ReplicationConfiguration": {"Role": only(rp).get("role"), "Rules": [
            {"ID": r.get("id"), "Status": r.get("status"),
             "Destination": {"Bucket": first(r.get("destination")).get("bucket")}}
            for r in blocks(only(rp).get("rule"))]}}
    tags = effective_tags(bucket.values, required)
    if isinstance(tags, Unknown) or (isinstance(tags, dict) and tags):
        out["get_bucket_tagging"] = lambda: {"TagSet": tag_list(tags)}
    lock = of("aws_s3_bucket_object_lock_configuration")
    if bucket.values.get("object_lock_enabled") is not None or lock:
        enabled = bucket.values.get("object_lock_enabled")
        if isinstance(enabled, Unknown) or flag(enabled) or lock:
            out["get_object_lock_configuration"] = lambda: _object_lock(
                flag(enabled) or any(x.get("object_lock_enabled") == "Enabled" for x in lock), lock)
    if (policy := of("aws_s3_bucket_policy")):
        out["get_bucket_policy"] = lambda: {"Policy": shown(only(policy).get("policy"))}
        out["get_bucket_policy_status"] = lambda: _policy_status(only(policy).get("policy"))
    out["list_objects_v2"] = lambda: [{"Key": o.get("key"), "ETag": f'"{o.get("etag")}"'}
                                      for o in of("aws_s3_object")]
    out["head_bucket"] = lambda: {"BucketRegion": bucket.region}
    return out


def buckets(plan: Plan, desired: Desired, put: Put) -> None:
    """Every S3 answer observe() asks about the contracted buckets, their log buckets and DR buckets."""
    planned = {(b.region, b.values.get("bucket")): b for b in plan.of_type("aws_s3_bucket")}
    hidden = unnamed(plan, "aws_s3_bucket", "bucket")
    asked: list[tuple[str, str, tuple[str, ...], Any]] = []
    for b in desired.buckets:
        asked.append((b.region, b.name, (*S3_BUCKET_OPERATIONS, "head_bucket", "list_objects_v2"), b.tags))
        if b.logging_bucket:
            asked.append((b.region, b.logging_bucket, ("head_bucket", *S3_LOG_BUCKET_OPERATIONS), b.tags))
        if b.replication:
            asked.append((b.replication.region, b.replication.bucket, ("head_bucket", "get_bucket_versioning"), {}))
    for region, name, operations, required in asked:
        found = planned.get((region, name))
        answers: dict[str, Callable[[], Any]] = _bucket_answers(plan, found, required) if found else {}
        for op in operations:
            if found is None:
                put(op, region, name, missing=True, code="NoSuchBucket", unnamed=hidden.get(region))
            elif op in answers:
                put(op, region, name, answers[op])
            elif S3_NOT_CONFIGURED.get(op):
                put(op, region, name, missing=True, code=str(S3_NOT_CONFIGURED[op]))
            else:
                put(op, region, name, {})
    if desired.buckets:
        put("list_buckets", desired.env.region, "*", error=NO_INVENTORY)
