"""Monitoring: the plan's alarms, their SNS actions, the dashboard, the cost anomaly alert."""

from pytest_bdd import parsers, then

from readiness.run import Run
from steps.common import TYPES, agree, expect

## Then


@then(parsers.parse("every {row_env} alarm of the plan exists with its metric, threshold and period: user errors "
                    "above {user:Number} a minute, system errors above {system:Number} a minute, read throttles "
                    "above {reads:Number}, write throttles above {writes:Number}, backup failures above "
                    "{backups:Number}, replication lag above {lag:Number} seconds", extra_types=TYPES))
def alarms(run: Run, row_env: str, user: float, system: float, reads: float, writes: float, backups: float,
           lag: float | None) -> None:
    """alarm.configuration for every alarm, once the feature's thresholds are the contract's."""
    agree(run, row_env, user_errors=user, system_errors=system, read_throttles=reads, write_throttles=writes,
          backup_failures=backups, lag_alarm_seconds=lag)
    expect(run, "alarm.configuration")


@then("every alarm notifies its SNS topic")
def alarm_actions(run: Run) -> None:
    """alarm.action for every alarm."""
    expect(run, "alarm.action")


@then("every alert topic reaches a confirmed subscriber")
def topic_subscribers(run: Run) -> None:
    """topic.subscribed for the DevOps and FinOps topics."""
    expect(run, "topic.subscribed")


@then("no alarm of the plan is in ALARM")
def alarms_quiet(run: Run) -> None:
    """alarm.state for every alarm."""
    expect(run, "alarm.state")


@then("every alarm and every alert topic carries the required tags with the contract's values")
def monitoring_tags(run: Run) -> None:
    """alarm.tags for every alarm, topic.tags for both topics."""
    expect(run, "alarm.tags", "topic.tags")


@then("the dashboard shows every widget the plan lists, for every table")
def dashboard(run: Run) -> None:
    """dashboard.widget for every widget."""
    expect(run, "dashboard.widget")


@then(parsers.parse("a cost increase above {percent:Number}% in {row_env} alerts FinOps", extra_types=TYPES))
def cost(run: Run, row_env: str, percent: float) -> None:
    """cost.anomaly_alert, once the feature's threshold is the contract's."""
    agree(run, row_env, cost_increase_percent=percent)
    expect(run, "cost.anomaly_alert")
