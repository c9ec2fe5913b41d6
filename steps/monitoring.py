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


@then("the dashboard shows every widget the plan lists, for every table")
def dashboard(account: Run) -> None:
    """dashboard.widget for every widget."""
    expect(account, "dashboard.widget")


@then("a cost increase above the plan's threshold alerts FinOps")
def cost(account: Run) -> None:
    """cost.anomaly_alert."""
    expect(account, "cost.anomaly_alert")
