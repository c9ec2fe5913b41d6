"""Monitoring checks: alarms, SNS topics, dashboard widgets, cost anomaly alerts (features/monitoring.feature)."""

from __future__ import annotations

import json
from typing import Any

from readiness.checks.core import (
    C_TAGS,
    Context,
    Missing,
    certainly,
    check,
    need,
    tags_verdict,
    verdict,
)
from readiness.contract.desired import AlarmSpec, WidgetSpec, observed_alarm_canonical
from readiness.contract.tfvars import COST_FREQUENCY, COST_MONITOR_DIMENSION, COST_MONITOR_TYPE
from readiness.observation.live import TAGGED_TYPES
from readiness.outcome import FAIL, PASS, UNVERIFIABLE, Unknown, mentions_unknown

# ------------------------------------------------------------------------------------------ monitoring

C_ALARMS = "003 Monitoring & Alerts: CloudWatch alarms with their thresholds and SNS actions"
C_ALARM_HEALTH = "003 SIT/PROD post-deployment validation: no contracted alarm is firing (ADR 0050)"
C_TOPICS = "003 Monitoring & Alerts: alerts reach DevOps and FinOps (an SNS topic with a confirmed subscriber)"
C_DASHBOARD = "003 SIT Success: monitoring dashboards configured"
C_COST = "003 Monitoring & Alerts: cost anomaly > 20% increase alerts FinOps"
ALARM_ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def _topics(ctx: Context) -> set[str]:
    env = ctx.desired.env
    topics = need(ctx.snap.get("list_topics", env.region, "*"), "SNS topics", "SNS")
    return {t["TopicArn"] for t in topics}


def _topic_arn(topics: set[str], name: str) -> str | None:
    return next((arn for arn in topics if arn.rsplit(":", 1)[-1] == name), None)


def _alarm(ctx: Context, a: AlarmSpec, expected: Any) -> dict[str, Any]:
    alarms = need(ctx.snap.get("describe_alarms", a.region, "*"), expected, a.name)
    found = next((x for x in alarms if x.get("AlarmName") == a.name), None)
    if found is None:
        raise Missing(a.name, expected)
    return dict(found)


def _tags_of(ctx: Context, arn: str, expected: Any, what: str) -> dict[str, str]:
    """The tags of one alarm or topic, from the region's Resource Groups Tagging API answer (a resource it does
    not list has no tags)."""
    answer = ctx.snap.get("get_resources", ctx.desired.env.region, TAGGED_TYPES)
    mapping: dict[str, Any] = next((m for m in need(answer, expected, what) if m.get("ResourceARN") == arn), {})
    return {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}


@check("alarm.configuration", "alarm", C_ALARMS)
def alarm_configuration(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """The metric or expression that drives the alarm as CloudWatch evaluates it (the one query returning data),
    its statistic and period, and the alarm's rule: comparison, threshold, periods, datapoints, missing data."""
    expected = a.canonical()
    actual = observed_alarm_canonical(_alarm(ctx, a, expected))
    problems = list(actual.get("problems", []))
    diff = sorted(k for k in expected if expected[k] != actual.get(k))
    if diff:
        problems.append(f"differs in {', '.join(diff)}")
    return verdict(not problems, expected, actual, f"{a.definition.plan}", "; ".join(problems))


@check("alarm.action", "alarm", C_ALARMS)
def alarm_action(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """The alarm notifies its topic with actions enabled, and every action it has (alarm, OK and
    insufficient-data) goes to a topic of the contract in this account: nothing else is told."""
    found = _alarm(ctx, a, a.topic)
    topics = _topics(ctx)
    arn = _topic_arn(topics, a.topic)
    actions = {k: list(found.get(k) or []) for k in ALARM_ACTION_LISTS if found.get(k)}
    if arn is None:
        return FAIL, a.topic, actions, f"SNS topic {a.topic} does not exist"
    ours = {x for x in (_topic_arn(topics, t) for t in ctx.desired.topics) if x}
    problems = [] if arn in actions.get("AlarmActions", []) else [f"does not notify {a.topic}"]
    foreign = sorted({x for acts in actions.values() for x in acts if x not in ours})
    if foreign:
        problems.append(f"also acts on {', '.join(foreign)}, which is not a topic of the contract")
    enabled = found.get("ActionsEnabled", True)
    if not enabled:
        problems.append("alarm actions are disabled")
    # definite whatever a plan cannot show yet: actions disabled, or an action on a known foreign ARN
    if (enabled is False) or any(mentions_unknown(x) is None for x in foreign):
        return FAIL, a.topic, actions, certainly("; ".join(problems))
    return verdict(not problems, a.topic, actions, f"notifies {a.topic}", "; ".join(problems))


@check("alarm.state", "alarm", C_ALARM_HEALTH)
def alarm_state(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    """Post-deploy health: a contracted alarm in ALARM is a live fault. INSUFFICIENT_DATA (a new alarm, or a
    metric without traffic yet) is not firing (ADR 0050); alarm.configuration judges what it watches."""
    expected = "OK or INSUFFICIENT_DATA (not ALARM)"
    found = _alarm(ctx, a, expected)
    state = found.get("StateValue")
    if state is None:
        call = ctx.snap.get("describe_alarms", a.region, "*").call
        return UNVERIFIABLE, expected, None, f"{call} answered no StateValue: the target cannot show whether it fires"
    reason = found.get("StateReason") or ""
    return verdict(state != "ALARM", expected, state,
                   "not firing" + (" (no data points yet)" if state == "INSUFFICIENT_DATA" else ""),
                   f"the alarm is firing: {reason}".rstrip(": "))


@check("alarm.tags", "alarm", C_TAGS)
def alarm_tags(ctx: Context, a: AlarmSpec) -> tuple[str, Any, Any, str]:
    expected = dict(ctx.desired.env.tags)
    arn = _alarm(ctx, a, expected).get("AlarmArn")
    if not arn:
        call = ctx.snap.get("describe_alarms", a.region, "*").call
        return UNVERIFIABLE, expected, None, f"{call} answered no AlarmArn to find the alarm's tags by"
    return tags_verdict(expected, _tags_of(ctx, str(arn), expected, a.name))


def _topic(ctx: Context, name: str, expected: Any) -> str:
    arn = _topic_arn(_topics(ctx), name)
    if arn is None:
        raise Missing(f"SNS topic {name}", expected)
    return arn


@check("topic.subscribed", "topic", C_TOPICS)
def topic_subscribed(ctx: Context, name: str) -> tuple[str, Any, Any, str]:
    """Someone receives what the topic publishes: at least one confirmed subscription (the contract names no
    subscriber: who receives alerts is configured outside the repository, ADR 0050). A subscription still
    PendingConfirmation delivers nothing."""
    expected = "at least one confirmed subscription"
    region = ctx.desired.env.region
    arn = _topic(ctx, name, expected)
    subs = need(ctx.snap.get("list_subscriptions_by_topic", region, arn), expected, name)
    confirmed = sorted(str(s.get("Protocol")) for s in subs if str(s.get("SubscriptionArn", "")).startswith("arn:"))
    pending = sorted(str(s.get("Protocol")) for s in subs if not str(s.get("SubscriptionArn", "")).startswith("arn:"))
    actual = {"confirmed": confirmed, "not confirmed": pending}
    return verdict(bool(confirmed), expected, actual, f"reaches {len(confirmed)} confirmed subscriber(s)",
                   "reaches nobody: no confirmed subscription"
                   + (f" ({len(pending)} pending confirmation)" if pending else ""))


@check("topic.tags", "topic", C_TAGS)
def topic_tags(ctx: Context, name: str) -> tuple[str, Any, Any, str]:
    expected = dict(ctx.desired.env.tags)
    return tags_verdict(expected, _tags_of(ctx, _topic(ctx, name, expected), expected, name))


def _plotted(rows: list[Any], widget_region: Any) -> list[tuple[str, str, Any]]:
    """The visible rows of a metric widget as CloudWatch draws them: (metric, region, account); "..." and "."
    repeat the previous row's values, dimensions compare in any order, an expression row is itself."""
    out: list[tuple[str, str, Any]] = []
    previous: list[Any] = []
    for row in rows:
        if not isinstance(row, list):
            continue
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        values = [v for v in row if not isinstance(v, dict)]
        if values and values[0] == "...":
            values = previous[:max(len(previous) - len(values) + 1, 0)] + values[1:]
        values = [previous[i] if v == "." and i < len(previous) else v for i, v in enumerate(values)]
        previous = values
        if options.get("visible", True) is False:
            continue
        if "expression" in options:
            shown = f"expression {options['expression']}"
        else:
            dims = sorted(zip(values[2::2], values[3::2], strict=False))
            shown = " ".join(str(v) for v in values[:2] + [x for d in dims for x in d])
        out.append((shown, str(options.get("region", widget_region)), options.get("accountId")))
    return out


def _props(widget: dict[str, Any]) -> dict[str, Any]:
    """A widget's properties (a body CloudWatch would refuse may hold anything there)."""
    props = widget.get("properties")
    return props if isinstance(props, dict) else {}


def _widget_problems(ctx: Context, w: WidgetSpec, widget: dict[str, Any]) -> tuple[Any, list[str]]:
    """What one widget shows, and how it differs from the contract's widget."""
    region = ctx.desired.env.region
    props = _props(widget)
    kind = "alarm" if w.kind == "alarms" else "metric"
    problems = [] if widget.get("type") == kind else [f"is a {widget.get('type')} widget, not {kind}"]
    if kind == "alarm":
        shown = []
        alarms = props.get("alarms")
        for x in alarms if isinstance(alarms, list) else []:
            parts = str(x).split(":")
            where = parts[3] if len(parts) > 6 and parts[0] == "arn" else region
            shown.append(parts[-1] if where == region else f"{parts[-1]} ({where})")
        missing = sorted(set(w.alarms) - set(shown))
        extra = sorted(set(shown) - set(w.alarms))
    else:
        rows = props.get("metrics")
        plotted = _plotted(rows if isinstance(rows, list) else [], props.get("region"))
        shown = sorted(m if r == region else f"{m} ({r})" for m, r, _ in plotted)
        want = {m for m, _, _ in _plotted([list(r) for r in w.rows], region)}
        missing = sorted(want - set(shown))
        extra = sorted(set(shown) - want)
        accounts = sorted({str(acc) for _, _, acc in plotted if acc not in (None, ctx.desired.env.account)})
        problems += [f"reads account {', '.join(accounts)}"] if accounts else []
    problems += [f"does not show {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"] if missing else []
    problems += [f"also shows {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}"] if extra else []
    return {"type": widget.get("type"), "shows": sorted(shown)}, problems


@check("dashboard.widget", "widget", C_DASHBOARD)
def dashboard_widget(ctx: Context, w: WidgetSpec) -> tuple[str, Any, Any, str]:
    """Every widget with the contract's title shows exactly the contract's metrics (namespace, metric,
    dimensions) or alarms, from the environment's region and account: a copy elsewhere is not the dashboard."""
    env = ctx.desired.env
    kind = "alarm" if w.kind == "alarms" else "metric"
    want = sorted(w.alarms) if w.kind == "alarms" else sorted(m for m, _, _ in _plotted([list(r) for r in w.rows],
                                                                                          env.region))
    expected = {"title": w.title, "type": kind, "region": env.region, "shows": want}
    dash = need(ctx.snap.get("get_dashboard", env.region, env.monitoring.dashboard), expected,
                env.monitoring.dashboard)
    try:
        body = json.loads(dash.get("DashboardBody") or "{}")
    except json.JSONDecodeError:
        return FAIL, expected, dash.get("DashboardBody", "")[:80], "the dashboard body is not JSON"
    listed = body.get("widgets") if isinstance(body, dict) else None
    widgets = [x for x in listed if isinstance(x, dict) and _props(x).get("title") == w.title] \
        if isinstance(listed, list) else []
    if not widgets:
        return FAIL, expected, None, f"no widget titled {w.title!r}"
    judged = [_widget_problems(ctx, w, x) for x in widgets]
    problems = [p for _, ps in judged for p in ps]
    actual = judged[0][0] if len(judged) == 1 else [j for j, _ in judged]
    if len(judged) > 1 and not problems:
        problems = [f"{len(judged)} widgets titled {w.title!r}"]
    return verdict(not problems, expected, actual, "shows every metric as contracted" if kind == "metric"
                   else "shows every alarm", "; ".join(problems))


def _arn_name(arn: str) -> str:
    """The resource name at the end of an ARN (a plan's unknown ARN stays itself)."""
    return arn if isinstance(arn, Unknown) else arn.rsplit(":", 1)[-1]


def _expression(value: Any) -> Any:
    """A Cost Explorer Expression without empty members, its numbers compared as numbers ("20" == "20.0")."""
    if isinstance(value, dict):
        return {k: _expression(v) for k, v in sorted(value.items()) if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_expression(v) for v in value]
    try:
        return float(value) if isinstance(value, str) and not isinstance(value, Unknown) else value
    except ValueError:
        return value


def _cost_expression(percent: float) -> dict[str, Any]:
    return {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE", "Values": [f"{percent:g}"],
                           "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}


@check("cost.anomaly_alert", "environment", C_COST, resource=lambda d: d.env.monitoring.cost_monitor)
def cost_anomaly(ctx: Context) -> tuple[str, Any, Any, str]:
    """The monitor watches every service (DIMENSIONAL/SERVICE, as Terraform and the provisioner create it), and a
    subscription on it has a whole threshold expression that is the contract's (no extra And that
    makes it unreachable, no Or, no other dimension or match option), sent immediately to the contract's
    topic in this account and to nobody else. Any one such subscription satisfies the criterion."""
    env = ctx.desired.env
    name = env.monitoring.cost_monitor
    topic = ctx.desired.cost_anomaly_topic
    expected = {"monitor": name, "threshold": _cost_expression(ctx.desired.cost_anomaly_percent),
                "frequency": COST_FREQUENCY, "subscribers": [f"SNS {topic}"]}
    monitors = need(ctx.snap.get("get_anomaly_monitors", "us-east-1", "*"), expected, name)
    monitor = next((m for m in monitors if m.get("MonitorName") == name), None)
    if monitor is None:
        raise Missing(name, expected)
    watches = f"{monitor.get('MonitorType')}/{monitor.get('MonitorDimension')}"
    if watches != f"{COST_MONITOR_TYPE}/{COST_MONITOR_DIMENSION}":  # a narrower monitor misses DynamoDB's costs
        return FAIL, expected, {"monitor": name, "watches": watches}, \
            f"{name} watches {watches}, not every service ({COST_MONITOR_TYPE}/{COST_MONITOR_DIMENSION})"
    subs = need(ctx.snap.get("get_anomaly_subscriptions", "us-east-1", "*"), expected, name)
    topic_arn = _topic_arn(_topics(ctx), topic)
    judged: list[tuple[str, Any, Any, str]] = []
    for sub in subs:
        if monitor.get("MonitorArn") not in sub.get("MonitorArnList", []):
            continue
        subscribers = [(s.get("Type"), s.get("Address"), s.get("Status")) for s in sub.get("Subscribers", [])]
        shown = [f"{t} {_arn_name(str(a)) if a == topic_arn else a}" + (f" ({st})" if st and st != "CONFIRMED"
                                                                         else "") for t, a, st in subscribers]
        threshold = sub.get("ThresholdExpression") or {}
        actual = {"monitor": name, "threshold": threshold, "frequency": sub.get("Frequency"), "subscribers": shown}
        problems = []
        if topic_arn is None or not any(t == "SNS" and a == topic_arn and st != "DECLINED" for t, a, st in subscribers):
            problems.append(f"does not notify {topic}")
        others = [s for s, (t, a, _) in zip(shown, subscribers, strict=True) if not (t == "SNS" and a == topic_arn)]
        if others:
            problems.append(f"also notifies {', '.join(others)}")
        if _expression(threshold) != _expression(expected["threshold"]):
            percents = _impact_percentages(threshold)
            want = ctx.desired.cost_anomaly_percent
            problems.append(f"alerts at an impact of {percents or 'no percentage'} (>=), not {want:g}%"
                            if percents != [want] else
                            "the threshold expression is not exactly the contract's (another term, And, Or "
                            "or match option)")
        if sub.get("Frequency") != COST_FREQUENCY:
            problems.append(f"alerts {sub.get('Frequency')}, not {COST_FREQUENCY}")
        judged.append(verdict(not problems, expected, actual, "anomalies above the threshold reach FinOps",
                              "; ".join(problems)))
    if not judged:
        return FAIL, expected, {"monitor": name, "subscriptions": 0}, f"no subscription alerts on {name}"
    # any one subscription whose whole expression, frequency and subscribers are as contracted satisfies it
    return next((j for j in judged if j[0] == PASS), judged[0])


def _impact_percentages(expression: dict[str, Any]) -> list[float]:
    """Every ANOMALY_TOTAL_IMPACT_PERCENTAGE >= value in a Cost Explorer threshold expression (And/Or nested)."""
    found: list[float] = []
    dims = expression.get("Dimensions") or {}
    if dims.get("Key") == "ANOMALY_TOTAL_IMPACT_PERCENTAGE" and \
            list(dims.get("MatchOptions") or []) == ["GREATER_THAN_OR_EQUAL"]:
        for value in dims.get("Values") or []:
            try:
                found.append(float(value))
            except (TypeError, ValueError):
                continue
    for nested in (expression.get("And") or []) + (expression.get("Or") or []):
        found += _impact_percentages(nested)
    return found
