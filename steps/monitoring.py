"""Monitoring: the plan's alarms, their SNS actions, the dashboard, the cost anomaly alert."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("every alarm of the plan exists with its metric, threshold and period")
def alarms(account: Run) -> None:
    """alarm.configuration for every alarm."""
    expect(account, "alarm.configuration")


@then("every alarm notifies its SNS topic")
def alarm_actions(account: Run) -> None:
    """alarm.action for every alarm."""
    expect(account, "alarm.action")


@then("every alert topic reaches a confirmed subscriber")
def topic_subscribers(account: Run) -> None:
    """topic.subscribed for the DevOps and FinOps topics."""
    expect(account, "topic.subscribed")


@then("no alarm of the plan is in ALARM")
def alarms_quiet(account: Run) -> None:
    """alarm.state for every alarm."""
    expect(account, "alarm.state")


@then("every alarm and every alert topic carries the required tags with the contract's values")
def monitoring_tags(account: Run) -> None:
    """alarm.tags for every alarm, topic.tags for both topics."""
    expect(account, "alarm.tags", "topic.tags")


@then("the dashboard shows every widget the plan lists, for every table")
def dashboard(account: Run) -> None:
    """dashboard.widget for every widget."""
    expect(account, "dashboard.widget")


@then("a cost increase above the plan's threshold alerts FinOps")
def cost(account: Run) -> None:
    """cost.anomaly_alert."""
    expect(account, "cost.anomaly_alert")
