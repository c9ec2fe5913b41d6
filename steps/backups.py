"""AWS Backup: vault, plan, retention, cross-region copy, selection."""

from pytest_bdd import parsers, then

from readiness.run import Run
from steps.common import TYPES, agree, expect

## Then


@then("the backup vault exists and is encrypted with KMS")
def vault(run: Run) -> None:
    """backup.vault."""
    expect(run, "backup.vault")


@then(parsers.parse("the {row_env} backup plan runs on {schedule}, every hour, into that vault"))
def hourly(run: Run, row_env: str, schedule: str) -> None:
    """backup.schedule, once the feature's schedule is the contract's."""
    agree(run, row_env, schedule=schedule)
    expect(run, "backup.schedule")


@then(parsers.parse("every {row_env} backup is kept for {days:Number} days", extra_types=TYPES))
def retention(run: Run, row_env: str, days: float) -> None:
    """backup.retention, once the feature's retention is the contract's."""
    agree(run, row_env, retention_days=days)
    expect(run, "backup.retention")


@then(parsers.parse("{row_env} backups are copied to the DR region {region} and kept there {days:Number} days, "
                    "exactly where the contract requires it", extra_types=TYPES))
def copied(run: Run, row_env: str, region: str, days: float | None) -> None:
    """backup.copy, once the feature's copy region and retention are the contract's ("none", "n/a": no copy)."""
    agree(run, row_env, copy_region=region, copy_retention_days=days)
    expect(run, "backup.copy")


@then("the backup selection covers every table")
def selection(run: Run) -> None:
    """backup.selection."""
    expect(run, "backup.selection")


@then("the backup plan has exactly the contract's rule")
def only_the_contract_rule(run: Run) -> None:
    """backup.plan_rules: AWS Backup runs every rule of the plan."""
    expect(run, "backup.plan_rules")


@then(parsers.parse("no {row_env} backup job failed, aborted or expired within the retention window of "
                    "{days:Number} days", extra_types=TYPES))
def jobs_healthy(run: Run, row_env: str, days: float) -> None:
    """backup.jobs over the feature's window, once it is the contract's retention (live targets; UNVERIFIABLE
    where the target cannot list backup jobs)."""
    agree(run, row_env, retention_days=days)
    expect(run, "backup.jobs")
