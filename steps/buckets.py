"""The template buckets and the email templates in them (004 section 4)."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("every template bucket is in the environment's region")
def bucket_region(run: Run) -> None:
    """bucket.region for every bucket."""
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


@then("every template bucket keeps noncurrent versions for the contracted days")
def bucket_lifecycle(run: Run) -> None:
    """bucket.lifecycle for every bucket."""
    expect(run, "bucket.lifecycle")


@then("every template bucket writes its access logs to a separate bucket")
def bucket_logging(run: Run) -> None:
    """bucket.logging for every bucket."""
    expect(run, "bucket.logging")


@then("every template bucket carries the required tags with the contract's values")
def bucket_tags(run: Run) -> None:
    """bucket.tags for every bucket."""
    expect(run, "bucket.tags")


@then("every template bucket replicates to exactly the DR region of the contract")
def bucket_replication(run: Run) -> None:
    """bucket.replication for every bucket (none outside prod)."""
    expect(run, "bucket.replication")


@then("every email template and its plain-text alternative is at its key with the repository's content")
def templates_current(run: Run) -> None:
    """template.object for every template."""
    expect(run, "template.object")
