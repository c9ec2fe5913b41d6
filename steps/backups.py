"""AWS Backup: vault, plan, retention, cross-region copy, selection."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("the backup vault exists and is encrypted with KMS")
def vault(account: Run) -> None:
    """backup.vault."""
    expect(account, "backup.vault")


@then("the backup plan runs every hour into that vault")
def hourly(account: Run) -> None:
    """backup.schedule."""
    expect(account, "backup.schedule")


@then("every backup is kept for the environment's retention period")
def retention(account: Run) -> None:
    """backup.retention."""
    expect(account, "backup.retention")


@then("backups are copied to the DR region exactly where the contract requires it")
def copied(account: Run) -> None:
    """backup.copy."""
    expect(account, "backup.copy")


@then("the backup selection covers every table")
def selection(account: Run) -> None:
    """backup.selection."""
    expect(account, "backup.selection")


@then("the backup plan has exactly the contract's rule")
def only_the_contract_rule(account: Run) -> None:
    """backup.plan_rules: AWS Backup runs every rule of the plan."""
    expect(account, "backup.plan_rules")


@then("no backup job failed, aborted or expired within the retention window")
def jobs_healthy(account: Run) -> None:
    """backup.jobs (live targets; UNVERIFIABLE where the target cannot list backup jobs)."""
    expect(account, "backup.jobs")
