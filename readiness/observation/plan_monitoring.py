"""The plan's monitoring answers: alarms, topics and their subscriptions and tags, the dashboard, the cost alert.

Same keys and shapes as observation/live.py's (DescribeAlarms MetricAlarm, ListTopics, ListSubscriptionsByTopic,
the Resource Groups Tagging API's GetResources, GetDashboard, Cost Explorer's GetAnomalyMonitors and
GetAnomalySubscriptions), from aws_cloudwatch_metric_alarm, aws_sns_topic, aws_sns_topic_subscription,
aws_cloudwatch_dashboard, aws_ce_anomaly_monitor and aws_ce_anomaly_subscription (AWS provider 6.x).
What only a running account has (an alarm's state, whether a subscription was confirmed) is left out or
answered as unavailable with the reason, so those checks are UNVERIFIABLE on a plan, never PASS.
"""

from __future__ import annotations

from typing import Any

from readiness.contract.desired import Desired
from readiness.observation.live import TAGGED_TYPES
from readiness.observation.plan_load import Plan, Planned
from readiness.observation.plan_values import (
    Put,
    blocks,
    effective_tags,
    first,
    flag,
    items,
    known_arn,
    mapping,
    shown,
    tag_list,
)
from readiness.outcome import Unknown

COST_EXPLORER_REGION = "us-east-1"  # observation/live.py asks Cost Explorer there: it is a global service
CONFIRMED_AT_ONCE = {"sqs", "lambda", "firehose", "application"}
"""Protocols whose subscription in the same account needs no confirmation (AWS confirms it on Subscribe);
email, http(s) and sms subscriptions wait for the endpoint's owner, which no plan can show."""


def topic_arn(topic: Planned, account: str) -> Any:
    """A topic's ARN; before the first apply, the one AWS will give it (region, account and name fix it)."""
    return known_arn(topic.values, f"arn:aws:sns:{topic.region}:{account}:{topic.values.get('name')}")


def alarm_arn(alarm: Planned, account: str) -> Any:
    name = alarm.values.get("alarm_name")
    return known_arn(alarm.values, f"arn:aws:cloudwatch:{alarm.region}:{account}:alarm:{name}")


def _dimensions(value: Any) -> list[dict[str, Any]]:
    return [{"Name": k, "Value": x} for k, x in mapping(value).items()]


def _query(q: dict[str, Any]) -> dict[str, Any]:
    """One metric_query block as a MetricDataQuery (ReturnData only when set: AWS defaults it to true)."""
    query: dict[str, Any] = {"Id": q.get("id")}
    if q.get("expression"):
        query["Expression"] = q.get("expression")
    else:
        m = first(q.get("metric"))
        query["MetricStat"] = {"Metric": {"Namespace": m.get("namespace"), "MetricName": m.get("metric_name"),
                                          "Dimensions": _dimensions(m.get("dimensions"))},
                               "Stat": m.get("stat"), "Period": m.get("period"),
                               **({"Unit": m["unit"]} if m.get("unit") else {})}
    for attribute, key in (("label", "Label"), ("period", "Period"), ("account_id", "AccountId")):
        if q.get(attribute) and not (key == "Period" and "MetricStat" in query):
            query[key] = q[attribute]
    if q.get("return_data") is not None:
        query["ReturnData"] = flag(q.get("return_data"))
    return query


def alarm(planned: Planned, account: str) -> dict[str, Any]:
    """A DescribeAlarms MetricAlarm for aws_cloudwatch_metric_alarm; no StateValue (only a running alarm has
    one), so alarm.state is UNVERIFIABLE on a plan."""
    v = planned.values
    out: dict[str, Any] = {
        "AlarmName": v.get("alarm_name"), "AlarmArn": alarm_arn(planned, account),
        "ComparisonOperator": v.get("comparison_operator"), "Threshold": v.get("threshold"),
        "EvaluationPeriods": v.get("evaluation_periods"),
        "TreatMissingData": v.get("treat_missing_data") or "missing",  # the provider's default
        "ActionsEnabled": flag(v.get("actions_enabled", True)), "AlarmActions": items(v.get("alarm_actions")),
        "OKActions": items(v.get("ok_actions")), "InsufficientDataActions": items(v.get("insufficient_data_actions")),
    }
    for attribute, key in (("datapoints_to_alarm", "DatapointsToAlarm"), ("unit", "Unit"),
                           ("threshold_metric_id", "ThresholdMetricId")):
        if v.get(attribute) is not None and v.get(attribute) != "":
            out[key] = v[attribute]
    if v.get("metric_name"):
        out.update(Namespace=v.get("namespace"), MetricName=v.get("metric_name"), Period=v.get("period"),
                   Dimensions=_dimensions(v.get("dimensions")),
                   **({"ExtendedStatistic": v["extended_statistic"]} if v.get("extended_statistic")
                      else {"Statistic": v.get("statistic")}))
    if (queries := [_query(q) for q in blocks(v.get("metric_query"))]):
        out["Metrics"] = queries
    return out


def _subscription(s: dict[str, Any], arn: Any) -> dict[str, Any] | None:
    """One aws_sns_topic_subscription as ListSubscriptionsByTopic lists it, or None when the plan cannot show
    whether it is confirmed: AWS confirms sqs, lambda, firehose and application subscriptions on Subscribe;
    others wait for their endpoint, which the state of a deployed one shows (pending_confirmation)."""
    pending = s.get("pending_confirmation")
    if str(s.get("protocol")) not in CONFIRMED_AT_ONCE and not isinstance(pending, bool):
        return None
    listed = "PendingConfirmation" if pending is True else known_arn(s, f"{arn}:(known after apply)")
    return {"SubscriptionArn": listed, "Protocol": s.get("protocol"), "Endpoint": s.get("endpoint"), "TopicArn": arn}


def _subscriptions(plan: Plan, arn: Any, name: str) -> list[dict[str, Any]] | str:
    """ListSubscriptionsByTopic from the plan's aws_sns_topic_subscription resources on the topic, or (as text)
    why the plan cannot show whether anyone receives it: then the answer is unavailable, never empty."""
    planned = [s.values for s in plan.of_type("aws_sns_topic_subscription")]
    subs = [s for s in planned if s.get("topic_arn") == arn]
    shown = [x for s in subs if (x := _subscription(s, arn)) is not None]
    if any(str(x["SubscriptionArn"]).startswith("arn:") for x in shown):
        return shown
    unknown = next((s.get("topic_arn") for s in planned if isinstance(s.get("topic_arn"), Unknown)), None)
    waiting = ", ".join(sorted(str(s.get("protocol")) for s in subs))
    why = (f"a subscription's topic is {unknown[1:-1]}" if unknown is not None else
           f"its subscriptions ({waiting}) are not shown confirmed" if subs else
           "the plan subscribes nobody (the contract names no subscriber, ADR 0050)")
    return (f"a plan cannot show whether anyone receives {name}: {why}, and subscriptions made outside the plan "
            "show only in the account")


def _tag_mappings(alarms: list[Planned], topics: list[Planned], account: str, required: Any) -> list[dict[str, Any]]:
    """GetResources' ResourceTagMappingList: every tagged alarm and topic of the region."""
    out = []
    for arn, values in [*((alarm_arn(a, account), a.values) for a in alarms),
                        *((topic_arn(t, account), t.values) for t in topics)]:
        tags = tag_list(effective_tags(values, required))
        if tags:
            out.append({"ResourceARN": arn, "Tags": tags})
    return out


def _threshold_expression(block: dict[str, Any]) -> dict[str, Any]:
    """threshold_expression of aws_ce_anomaly_subscription in the Cost Explorer API's shape."""
    out: dict[str, Any] = {}
    dim = first(block.get("dimension"))
    if dim:
        out["Dimensions"] = {"Key": dim.get("key"), "MatchOptions": list(dim.get("match_options") or []),
                             "Values": list(dim.get("values") or [])}
    for op, key in (("and", "And"), ("or", "Or")):
        if (parts := blocks(block.get(op))):
            out[key] = [_threshold_expression(b) for b in parts]
    if (negated := first(block.get("not"))):
        out["Not"] = _threshold_expression(negated)
    return out


def monitoring(plan: Plan, desired: Desired, put: Put) -> None:
    """Every monitoring answer observe() collects."""
    env = desired.env
    region, account = env.region, env.account
    alarms = [a for a in plan.of_type("aws_cloudwatch_metric_alarm") if a.region == region]
    topics = [t for t in plan.of_type("aws_sns_topic") if t.region == region]
    put("describe_alarms", region, "*", lambda: [alarm(a, account) for a in alarms])
    put("list_topics", region, "*", [{"TopicArn": topic_arn(t, account)} for t in topics])
    for t in topics:
        if t.values.get("name") in desired.topics:
            arn = topic_arn(t, account)
            subs = _subscriptions(plan, arn, str(t.values.get("name")))
            if isinstance(subs, str):
                put("list_subscriptions_by_topic", region, arn, error=subs)
            else:
                put("list_subscriptions_by_topic", region, arn, subs)
    put("get_resources", region, TAGGED_TYPES, lambda: _tag_mappings(alarms, topics, account, env.tags))
    dash = next((d.values for d in plan.of_type("aws_cloudwatch_dashboard")
                 if d.region == region and d.values.get("dashboard_name") == env.monitoring.dashboard), None)
    if dash is None:
        put("get_dashboard", region, env.monitoring.dashboard, missing=True)
    elif isinstance(dash.get("dashboard_body"), Unknown):
        put("get_dashboard", region, env.monitoring.dashboard, error=f"the dashboard body is {dash['dashboard_body']}")
    else:
        put("get_dashboard", region, env.monitoring.dashboard,
            {"DashboardName": env.monitoring.dashboard, "DashboardBody": dash.get("dashboard_body")})
    put("get_anomaly_monitors", COST_EXPLORER_REGION, "*", [
        {"MonitorName": m.values.get("name"), "MonitorArn": m.values.get("arn"),
         "MonitorType": m.values.get("monitor_type"), "MonitorDimension": m.values.get("monitor_dimension")}
        for m in plan.of_type("aws_ce_anomaly_monitor")])
    put("get_anomaly_subscriptions", COST_EXPLORER_REGION, "*", lambda: [
        {"SubscriptionName": s.values.get("name"), "MonitorArnList": items(s.values.get("monitor_arn_list")),
         # an address the plan cannot show (a topic created with it) makes the answer unavailable: compared
         # inside a formatted list it would no longer be an Unknown
         "Subscribers": [{"Type": x.get("type"), "Address": shown(x.get("address"))}
                         for x in blocks(s.values.get("subscriber"))],
         "Frequency": s.values.get("frequency"),
         "ThresholdExpression": _threshold_expression(first(s.values.get("threshold_expression")))}
        for s in plan.of_type("aws_ce_anomaly_subscription")])
