"""The template buckets and the email templates in them (004 section 4)."""

from pytest_bdd import parsers, then

from readiness.run import Run
from steps.common import TYPES, agree, expect

## Then


@then(parsers.parse("every {row_env} template bucket is in {region}"))
def bucket_region(run: Run, row_env: str, region: str) -> None:
    """bucket.region for every bucket, once the feature's region is the environment's."""
    agree(run, row_env, region=region)
    expect(run, "bucket.region")


@then("every template bucket has object lock as contracted")
def bucket_object_lock(run: Run) -> None:
    """bucket.object_lock for every bucket."""
    expect(run, "bucket.object_lock")


@then("no template bucket or its access-log bucket has a public bucket policy")
def bucket_policy(run: Run) -> None:
    """bucket.policy for every bucket."""
    expect(run, "bucket.policy")


@then("every access-log bucket is encrypted and blocks all public access")
def log_bucket(run: Run) -> None:
    """bucket.log_bucket for every bucket."""
    expect(run, "bucket.log_bucket")


@then("the account holds no bucket named like a template bucket that the contract does not create")
def bucket_inventory(run: Run) -> None:
    """bucket.inventory for every bucket."""
    expect(run, "bucket.inventory")


@then("every template bucket keeps the versions of its objects")
def bucket_versioned(run: Run) -> None:
    """bucket.versioning for every bucket."""
    expect(run, "bucket.versioning")


@then("every template bucket encrypts its objects with S3-managed keys")
def bucket_encrypted(run: Run) -> None:
    """bucket.encryption for every bucket."""
    expect(run, "bucket.encryption")


@then("every template bucket blocks all public access")
def bucket_private(run: Run) -> None:
    """bucket.public_access for every bucket."""
    expect(run, "bucket.public_access")


@then(parsers.parse("every template bucket keeps noncurrent versions for {days:Number} days", extra_types=TYPES))
def bucket_lifecycle(run: Run, days: float) -> None:
    """bucket.lifecycle for every bucket, once the feature's days are the contract's."""
    agree(run, run.desired.env.name, noncurrent_version_days=days)
    expect(run, "bucket.lifecycle")


@then("every template bucket writes its access logs to a separate bucket")
def bucket_logging(run: Run) -> None:
    """bucket.logging for every bucket."""
    expect(run, "bucket.logging")


@then("every template bucket carries the required tags with the contract's values")
def bucket_tags(run: Run) -> None:
    """bucket.tags for every bucket."""
    expect(run, "bucket.tags")


@then(parsers.parse("every {row_env} template bucket replicates to exactly this DR region: {region}"))
def bucket_replication(run: Run, row_env: str, region: str) -> None:
    """bucket.replication for every bucket (none outside prod), once the feature's region is the contract's."""
    agree(run, row_env, bucket_replica_region=region)
    expect(run, "bucket.replication")


@then("every email template and its plain-text alternative is at its key with the repository's content")
def templates_current(run: Run) -> None:
    """template.object for every template."""
    expect(run, "template.object")
