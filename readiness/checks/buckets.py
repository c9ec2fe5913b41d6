"""S3 checks: the template buckets, their access logs, replication, tags and template objects
(features/template_buckets.feature, templates.feature)."""

from __future__ import annotations

import json
from typing import Any

from readiness.checks.backups import backup_account
from readiness.checks.core import (
    Context,
    Missing,
    Unverifiable,
    check,
    need,
    tags_verdict,
    verdict,
)
from readiness.contract.desired import BucketSpec, TemplateObject
from readiness.observation.s3_policy import public_statements
from readiness.outcome import FAIL, NOT_APPLICABLE, PASS

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
                       and a != backup_account(ctx)})
    problems += [f"replicates into account {', '.join(accounts)}"] if accounts else []
    role = str(actual["role"] or "")
    account = backup_account(ctx)
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
