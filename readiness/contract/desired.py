"""The desired state of one environment, derived from the contract.

The provisioner creates exactly this; the checks compare an observed account with exactly this;
the Terraform renderer (contract/tfvars.py) writes exactly this. Nothing here talks to AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.contract.model import AlarmDef, Bucket, BucketReplication, Contract, Environment, Gsi, Table, fill
from readiness.contract.templates import md5_hex, template_files

AWS_MANAGED_DYNAMODB_KEY = "alias/aws/dynamodb"
AWS_MANAGED_BACKUP_KEY = "alias/aws/backup"
TREAT_MISSING_DATA = "notBreaching"
"""What every alarm does without data points: the provisioner and Terraform (readiness/contract/tfvars.py) set it."""

Metric = tuple[str, str, tuple[tuple[str, str], ...], str, int]
"""(namespace, metric name, sorted dimensions, statistic, period)."""


@dataclass(frozen=True)
class TableSpec:
    logical: str
    name: str
    region: str
    table: Table

    @property
    def gsis(self) -> tuple[Gsi, ...]:
        return self.table.gsis


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    region: str
    definition: AlarmDef
    resource: str
    metrics: tuple[Metric, ...]
    expression: str | None
    topic: str

    def canonical(self) -> dict[str, Any]:
        """What drives the alarm and when it fires (ADR 0050): the metrics that feed the one query returning
        data, the expression that query is (None for a plain metric), and the alarm's rule."""
        return {
            "metrics": sorted(self.metrics),
            "expression": self.expression,
            "comparison": self.definition.comparison,
            "threshold": self.definition.threshold,
            "evaluation_periods": self.definition.evaluation_periods,
            "datapoints_to_alarm": self.definition.evaluation_periods,
            "treat_missing_data": TREAT_MISSING_DATA,
            "units": [],  # a unit filters the data points the alarm sees: a wrong one and it sees none
        }


@dataclass(frozen=True)
class WidgetSpec:
    title: str
    kind: str
    namespace: str | None
    # (metric name, dimension value it must carry, or "" for an account-level metric)
    required: tuple[tuple[str, str], ...]
    alarms: tuple[str, ...]
    # the metric rows the provisioner plots: [namespace, metric, dimension name, value, ...]
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class TemplateObject:
    """One template in a bucket: the HTML key and its plain-text alternative, with their current MD5s
    (None when the repository lacks the file; validation reports that)."""

    key: str
    text_key: str
    audience: str
    md5: str | None
    text_md5: str | None
    root: Path | None = None  # the repository folder the files are uploaded from

    def files(self) -> dict[str, bytes]:
        """The bytes to upload, key -> content (the HTML and its plain-text alternative, where they exist)."""
        if self.root is None:
            return {}
        return {k: (self.root / k).read_bytes() for k in (self.key, self.text_key) if (self.root / k).is_file()}


@dataclass(frozen=True)
class BucketSpec:
    logical: str
    name: str
    region: str
    bucket: Bucket
    logging_bucket: str | None
    logging_prefix: str
    replication: BucketReplication | None
    tags: Mapping[str, str]
    objects: tuple[TemplateObject, ...] = ()


@dataclass(frozen=True)
class Desired:
    env: Environment
    tables: tuple[TableSpec, ...]
    alarms: tuple[AlarmSpec, ...]
    widgets: tuple[WidgetSpec, ...]
    cost_anomaly_percent: float
    cost_anomaly_topic: str
    buckets: tuple[BucketSpec, ...] = field(default=())
    # every region any environment of the contract uses: where a look-alike of a contract table is searched
    inventory_regions: tuple[str, ...] = field(default=())

    @property
    def dr_regions(self) -> tuple[str, ...]:
        """The regions outside the primary the environment keeps data in: its replicas and its backup copy."""
        env = self.env
        regions = [*(env.replication.regions if env.replication else ()), *([env.backup.copy.region]
                                                                            if env.backup.copy else [])]
        return tuple(dict.fromkeys(r for r in regions if r != env.region))

    @property
    def table_regions(self) -> tuple[str, ...]:
        """The regions ListTables is asked in (the inventory): the environment's own, then the contract's others."""
        return tuple(dict.fromkeys((*self.env.regions, *self.dr_regions, *self.inventory_regions)))

    @property
    def key_alias(self) -> str:
        return self.env.key_alias or AWS_MANAGED_DYNAMODB_KEY

    @property
    def topics(self) -> tuple[str, ...]:
        """The SNS topics the contract creates (DevOps, FinOps), in that order."""
        m = self.env.monitoring
        return tuple(dict.fromkeys((m.devops_topic, m.finops_topic)))

    @property
    def vault_key_alias(self) -> str:
        return self.env.key_alias or AWS_MANAGED_BACKUP_KEY

    def dashboard_body(self, alarm_arns: dict[str, str] | None = None) -> str:
        """A CloudWatch dashboard body with one widget per contract widget."""
        widgets: list[dict[str, Any]] = []
        for i, w in enumerate(self.widgets):
            place = {"x": (i % 2) * 12, "y": (i // 2) * 6, "width": 12, "height": 6}
            if w.kind == "alarms":
                arns = [(alarm_arns or {}).get(a, a) for a in w.alarms]
                widgets.append({"type": "alarm", **place, "properties": {"title": w.title, "alarms": arns}})
                continue
            widgets.append({"type": "metric", **place, "properties": {
                "title": w.title, "metrics": [list(r) for r in w.rows], "region": self.env.region,
                "stat": "Sum", "period": 300}})
        return json.dumps({"widgets": widgets}, sort_keys=True)


def _widget_rows(contract: Contract, env: Environment, namespace: str, metric: str, scope: str,
                 tables: list[TableSpec]) -> list[tuple[str, ...]]:
    """Plot a metric with the dimensions CloudWatch publishes it under (SystemErrors: per Operation too)."""
    if scope == "account":
        return [(namespace, metric)]
    if scope == "backup-vault":
        return [(namespace, metric, "BackupVaultName", env.backup.vault)]
    if scope == "replica":
        regions = env.replication.regions if env.replication else ()
        return [(namespace, metric, "TableName", t.name, "ReceivingRegion", r) for t in tables for r in regions]
    operations = next((a.operations for a in contract.monitoring.alarms if a.metric == metric and a.operations), ())
    if operations:
        return [(namespace, metric, "TableName", t.name, "Operation", op) for t in tables for op in operations]
    return [(namespace, metric, "TableName", t.name) for t in tables]


def _alarm_specs(contract: Contract, env: Environment, tables: list[TableSpec]) -> list[AlarmSpec]:
    specs: list[AlarmSpec] = []
    prefix = env.monitoring.alarm_prefix

    def metric(a: AlarmDef, dims: dict[str, str]) -> Metric:
        return (a.namespace, a.metric, tuple(sorted(dims.items())), a.statistic, a.period_seconds)

    for a in contract.monitoring.alarms:
        topic = env.monitoring.devops_topic if a.notify == "devops" else env.monitoring.finops_topic
        if a.scope == "account":
            specs.append(AlarmSpec(f"{prefix}-{a.id}", env.region, a, env.region, (metric(a, {}),), None, topic))
        elif a.scope == "backup-vault":
            specs.append(AlarmSpec(f"{prefix}-{a.id}", env.region, a, env.backup.vault,
                                   (metric(a, {"BackupVaultName": env.backup.vault}),), None, topic))
        elif a.scope == "table":
            for t in tables:
                if a.operations:
                    ms = tuple(metric(a, {"TableName": t.name, "Operation": op}) for op in a.operations)
                    specs.append(AlarmSpec(f"{t.name}-{a.id}", env.region, a, t.name, ms, "SUM(METRICS())", topic))
                else:
                    specs.append(AlarmSpec(f"{t.name}-{a.id}", env.region, a, t.name,
                                           (metric(a, {"TableName": t.name}),), None, topic))
        elif a.scope == "replica" and env.replication:
            for t in tables:
                for region in env.replication.regions:
                    specs.append(AlarmSpec(f"{t.name}-{a.id}-{region}", env.region, a, f"{t.name} -> {region}",
                                           (metric(a, {"TableName": t.name, "ReceivingRegion": region}),),
                                           None, topic))
    return specs


def _bucket_specs(contract: Contract, env: Environment) -> list[BucketSpec]:
    cat = contract.templates
    files = template_files(contract)
    specs: list[BucketSpec] = []
    for b in contract.buckets.values():
        objects: tuple[TemplateObject, ...] = ()
        if cat is not None and cat.bucket == b.name:
            objects = tuple(TemplateObject(
                key=t.key, text_key=t.text_key, audience=t.audience,
                md5=md5_hex(files[t.key]) if t.key in files else None,
                text_md5=md5_hex(files[t.text_key]) if t.text_key in files else None,
                root=contract.templates_root) for t in cat.templates)
        specs.append(BucketSpec(logical=b.name, name=b.bucket_name(env.name), region=env.region, bucket=b,
                                logging_bucket=b.logging_bucket(env.name),
                                logging_prefix=fill(b.logging_prefix, env=env.name),
                                replication=b.replication_of(env.name), tags=b.tags_of(env.name),
                                objects=objects))
    return specs


def desired_state(contract: Contract, env_name: str) -> Desired:
    env = contract.environment(env_name)
    tables = [TableSpec(t.name, env.table_name(t.name), env.region, t) for t in contract.tables_of(env)]
    alarms = _alarm_specs(contract, env, tables)
    widgets: list[WidgetSpec] = []
    for w in contract.monitoring.widgets:
        if w.kind == "alarms":
            widgets.append(WidgetSpec(w.title, w.kind, None, (), tuple(a.name for a in alarms)))
            continue
        if w.scope == "replica" and not env.replication:
            continue
        scope = w.scope or "account"
        values = {"table": [t.name for t in tables], "replica": [t.name for t in tables],
                  "backup-vault": [env.backup.vault], "account": [""]}[scope]
        rows = [r for m in w.metrics for r in _widget_rows(contract, env, w.namespace or "", m, scope, tables)]
        widgets.append(WidgetSpec(w.title, w.kind, w.namespace,
                                  tuple((m, v) for m in w.metrics for v in values), (), tuple(rows)))
    return Desired(env=env, tables=tuple(tables), alarms=tuple(alarms), widgets=tuple(widgets),
                   cost_anomaly_percent=contract.monitoring.cost_anomaly_percent,
                   cost_anomaly_topic=env.monitoring.finops_topic
                   if contract.monitoring.cost_anomaly_notify == "finops" else env.monitoring.devops_topic,
                   buckets=tuple(_bucket_specs(contract, env)),
                   inventory_regions=tuple(sorted({r for e in contract.environments.values()
                                                   for r in (*e.regions, *([e.backup.copy.region]
                                                                           if e.backup.copy else []))})))


def _query_ids(expression: str, queries: Mapping[str, dict[str, Any]]) -> set[str]:
    """The query ids an expression reads: every query for METRICS() (a quoted argument filters the ids that
    contain it), and each id it names."""
    used: set[str] = set()
    for arg in re.findall(r"METRICS\(\s*(?:[\"']([^\"']*)[\"'])?\s*\)", expression):
        used |= {i for i in queries if arg in i}
    used |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)) & set(queries)
    return used


def _metric_of(stat: dict[str, Any]) -> Metric:
    m = stat.get("Metric", {})
    dims = tuple(sorted((d["Name"], d["Value"]) for d in m.get("Dimensions", [])))
    return (m.get("Namespace", ""), m.get("MetricName", ""), dims, stat.get("Stat", ""), int(stat.get("Period", 0)))


def _driving(queries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None, list[str]]:
    """The metric queries behind the one query that returns data (what the alarm evaluates), and its expression;
    problems when not exactly one query returns data (AWS defaults ReturnData to true)."""
    returning = [q for q in queries if q.get("ReturnData", True)]
    if len(returning) != 1:
        return [], None, [f"{len(returning)} metric queries return data, not exactly one"]
    by_id = {str(q.get("Id")): q for q in queries}
    top = returning[0]
    if "MetricStat" in top:
        return [top["MetricStat"]], None, []
    stats: list[dict[str, Any]] = []
    seen: set[str] = set()
    pending = [str(top.get("Expression", ""))]
    while pending:  # an expression may read other expressions: follow them to the metrics they read
        for qid in sorted(_query_ids(pending.pop(), by_id) - seen):
            seen.add(qid)
            q = by_id[qid]
            if "MetricStat" in q:
                stats.append(q["MetricStat"])
            else:
                pending.append(str(q.get("Expression", "")))
    return stats, top.get("Expression"), []


def observed_alarm_canonical(alarm: dict[str, Any]) -> dict[str, Any]:
    """The same shape as AlarmSpec.canonical(), read from a DescribeAlarms MetricAlarm as CloudWatch evaluates it:
    a plain metric, or the metrics behind the one query that returns data (a decoy query that returns no data,
    even with the contract's metric, does not count). An anomaly-detection alarm compares with a band, not a
    threshold: its threshold reads as the band's query id. A unit on the alarm or a metric it reads filters the
    data points it evaluates (the contract sets none). ``problems`` lists what makes the alarm ill-formed."""
    metrics: list[Metric] = []
    expression: str | None = None
    problems: list[str] = []
    units = {alarm.get("Unit")}
    if alarm.get("MetricName"):
        dims = tuple(sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])))
        metrics.append((alarm.get("Namespace", ""), alarm["MetricName"], dims,
                        alarm.get("Statistic", alarm.get("ExtendedStatistic", "")), int(alarm.get("Period", 0))))
    elif alarm.get("Metrics"):
        stats, expression, problems = _driving(list(alarm["Metrics"]))
        metrics = [_metric_of(stat) for stat in stats]
        units |= {stat.get("Unit") for stat in stats}
    threshold: Any = alarm.get("Threshold")  # None when absent: never NaN, which strict JSON cannot carry
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        threshold = float(threshold)
    if alarm.get("ThresholdMetricId"):
        threshold = f"the anomaly band {alarm['ThresholdMetricId']}"
    evaluation_periods = alarm.get("EvaluationPeriods")
    return {
        "metrics": sorted(metrics),
        "expression": expression,
        "comparison": alarm.get("ComparisonOperator"),
        "threshold": threshold,
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm", evaluation_periods),
        "treat_missing_data": alarm.get("TreatMissingData", "missing"),
        "units": sorted(str(u) for u in units if u),
        **({"problems": problems} if problems else {}),
    }
