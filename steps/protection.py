"""Data protection: point-in-time recovery, deletion protection, streams, encryption, tags."""

from pytest_bdd import parsers, then

from readiness.run import Run
from steps.common import TYPES, agree, expect

## Then


@then("point-in-time recovery is enabled on every table")
def pitr_enabled(run: Run) -> None:
    """table.pitr for every table."""
    expect(run, "table.pitr")


@then(parsers.parse("every {row_env} table can be restored to any second of the last {days:Number} days",
                    extra_types=TYPES))
def pitr_period(run: Run, row_env: str, days: float) -> None:
    """table.pitr_recovery_period for every table, once the feature's period is the contract's."""
    agree(run, row_env, recovery_period_days=days)
    expect(run, "table.pitr_recovery_period")


@then(parsers.parse("deletion protection is {state} on every {row_env} table, exactly as the contract requires"))
def deletion_protection(run: Run, row_env: str, state: str) -> None:
    """table.deletion_protection for every table, once the feature's on/off is the contract's."""
    agree(run, row_env, deletion_protection=state)
    expect(run, "table.deletion_protection")


@then("every table streams both the new and the old image of each change")
def streams(run: Run) -> None:
    """table.stream for every table."""
    expect(run, "table.stream")


@then(parsers.parse("every {row_env} table is encrypted at rest with the environment's KMS key"))
def encrypted(run: Run, row_env: str) -> None:
    """table.encryption for every table (its row's environment is the run's)."""
    agree(run, row_env)
    expect(run, "table.encryption")


@then(parsers.parse("that key is enabled and {kind}"))
def key_kind(run: Run, kind: str) -> None:
    """kms.key for the environment's key, kms.dr_key for its key in each DR region (prod), once the feature's
    kind of key is the contract's."""
    agree(run, run.desired.env.name, key_kind=kind)
    expect(run, "kms.key", "kms.dr_key")


@then(parsers.parse("every {row_env} table carries the seven required tags with the contract's values: "
                    "Environment {environment}, Project {project}, Owner {owner}, CostCenter {cost_center}, "
                    "ManagedBy {managed_by}, BackupPolicy {backup_policy}, Component {component}"))
def tagged(run: Run, row_env: str, environment: str, project: str, owner: str, cost_center: str, managed_by: str,
           backup_policy: str, component: str) -> None:
    """table.tags for every table, once the feature's tag values are the contract's."""
    agree(run, row_env, **{"Environment tag": environment, "Project tag": project, "Owner tag": owner,
                           "CostCenter tag": cost_center, "ManagedBy tag": managed_by,
                           "BackupPolicy tag": backup_policy, "Component tag": component})
    expect(run, "table.tags")


@then("the backup vaults, the backup plan and the customer-managed keys carry the seven required tags")
def resources_tagged(run: Run) -> None:
    """backup.vault_tags, backup.plan_tags and (customer-managed keys only) kms.key_tags."""
    expect(run, "backup.vault_tags", "backup.plan_tags", "kms.key_tags")
