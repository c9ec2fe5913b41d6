"""Data protection: point-in-time recovery, deletion protection, streams, encryption, tags."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("point-in-time recovery is enabled on every table")
def pitr_enabled(account: Run) -> None:
    """table.pitr for every table."""
    expect(account, "table.pitr")


@then("every table can be restored to any second of the contracted recovery period")
def pitr_period(account: Run) -> None:
    """table.pitr_recovery_period for every table."""
    expect(account, "table.pitr_recovery_period")


@then("deletion protection is on exactly where the contract requires it")
def deletion_protection(account: Run) -> None:
    """table.deletion_protection for every table."""
    expect(account, "table.deletion_protection")


@then("every table streams both the new and the old image of each change")
def streams(account: Run) -> None:
    """table.stream for every table."""
    expect(account, "table.stream")


@then("every table is encrypted at rest with the environment's KMS key")
def encrypted(account: Run) -> None:
    """table.encryption for every table."""
    expect(account, "table.encryption")


@then("that key is enabled and of the contracted kind")
def key_kind(account: Run) -> None:
    """kms.key for the environment's key, kms.dr_key for its key in each DR region (prod)."""
    expect(account, "kms.key", "kms.dr_key")


@then("every table carries the seven required tags with the contract's values")
def tagged(account: Run) -> None:
    """table.tags for every table."""
    expect(account, "table.tags")


@then("the backup vaults, the backup plan and the customer-managed keys carry the seven required tags")
def resources_tagged(account: Run) -> None:
    """backup.vault_tags, backup.plan_tags and (customer-managed keys only) kms.key_tags."""
    expect(account, "backup.vault_tags", "backup.plan_tags", "kms.key_tags")
