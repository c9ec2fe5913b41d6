"""Render an environment's desired state as Terraform input: ``terraform/environments/<env>/contract.tfvars.json``.

The one stack (``terraform/stack``) reads nothing but this file (``-var-file``), so the Terraform
deploys exactly what the provisioner deploys into an emulator and what the checks verify:
everything comes from :func:`readiness.contract.desired.desired_state`. The files are committed (checkov
expands ``for_each`` over a ``--var-file``, not over ``jsondecode(file())``), and :func:`stale` tells
whether a committed file still equals the contract.

Nothing here talks to AWS or runs Terraform.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from readiness.contract.desired import TREAT_MISSING_DATA, AlarmSpec, BucketSpec, Desired, TableSpec, desired_state
from readiness.contract.model import Bucket, Contract, ContractError, Environment, Problem
from readiness.contract.templates import content_type

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "terraform" / "environments"
FILE_NAME = "contract.tfvars.json"
PARTITION = "aws"
COST_MONITOR_TYPE = "DIMENSIONAL"
COST_MONITOR_DIMENSION = "SERVICE"
COST_FREQUENCY = "IMMEDIATE"


def _num(value: float) -> int | float:
    """20.0 -> 20: keeps the JSON (and Terraform's tostring()) free of a spurious '.0'."""
    return int(value) if float(value).is_integer() else value


def _dr_region(env: Environment, buckets: Iterable[Bucket] = ()) -> str | None:
    """The one region that holds the replicas and the backup copy (the roots' ``aws.dr`` provider)."""
    regions = set(env.replication.regions if env.replication else ())
    if env.backup.copy:
        regions.add(env.backup.copy.region)
    regions |= {r.region for b in buckets if (r := b.replication_of(env.name))}
    if len(regions) > 1:
        raise ContractError([Problem(env.file, "/replication", "terraform-dr-region",
                                     "the Terraform roots have one DR provider, but the environment replicates or "
                                     f"copies backups to {', '.join(sorted(regions))}")])
    return next(iter(regions), None)


def _table(spec: TableSpec, env: Environment) -> dict[str, Any]:
    t = spec.table
    return {
        "name": spec.name,
        "billing_mode": env.billing_mode,
        "hash_key": t.partition.attribute,
        "hash_key_type": t.partition.type,
        "range_key": t.sort.attribute if t.sort else None,
        "range_key_type": t.sort.type if t.sort else None,
        "attributes": [{"name": name, "type": kind} for name, kind in t.attributes.items()],
        "gsis": [{
            "name": g.name,
            "hash_key": g.partition_key,
            "range_key": g.sort_key,
            "projection_type": g.projection,
            "non_key_attributes": list(g.non_key_attributes),
        } for g in t.gsis],
        "stream_view_type": t.stream,
        "ttl": {"enabled": t.ttl_enabled, "attribute_name": t.ttl_attribute if t.ttl_enabled else None},
        "deletion_protection": env.deletion_protection,
        "pitr": {"enabled": env.pitr_enabled, "recovery_period_days": env.pitr_recovery_period_days},
        "replica_regions": list(env.replication.regions) if env.replication else [],
    }


def _dimensions(dims: Iterable[tuple[str, str]]) -> dict[str, str] | None:
    """A metric's dimensions, or None for an account-level metric (Terraform then sends none)."""
    return dict(dims) or None


def _alarm(a: AlarmSpec) -> dict[str, Any]:
    d = a.definition
    alarm: dict[str, Any] = {
        "name": a.name,
        "description": d.plan,
        "comparison_operator": d.comparison,
        "threshold": _num(d.threshold),
        "evaluation_periods": d.evaluation_periods,
        "treat_missing_data": TREAT_MISSING_DATA,
        "topic": a.topic,
        "namespace": None,
        "metric_name": None,
        "dimensions": None,
        "statistic": None,
        "period": None,
        "metric_queries": [],
    }
    if a.expression:
        alarm["metric_queries"] = [
            {"id": "total", "expression": a.expression, "label": d.metric, "return_data": True, "metric": None},
            *({"id": f"m{i}", "expression": None, "label": None, "return_data": False,
               "metric": {"namespace": ns, "metric_name": name, "dimensions": _dimensions(dims),
                          "period": period, "stat": stat}}
              for i, (ns, name, dims, stat, period) in enumerate(a.metrics)),
        ]
        return alarm
    ns, name, dims, stat, period = a.metrics[0]
    alarm.update(namespace=ns, metric_name=name, dimensions=_dimensions(dims), statistic=stat, period=period)
    return alarm


def _alarm_arn(env: Environment, a: AlarmSpec) -> str:
    return f"arn:{PARTITION}:cloudwatch:{a.region}:{env.account}:alarm:{a.name}"


def _backup(desired: Desired) -> dict[str, Any]:
    b = desired.env.backup
    return {
        "vault": b.vault,
        "plan": b.plan,
        "rule": b.rule,
        "schedule": b.schedule,
        "retention_days": b.retention_days,
        "selection": {"name": b.selection, "tables": list(b.selection_tables)},
        "iam_role": b.iam_role,
        "copy": {"region": b.copy.region, "vault": b.copy.vault, "retention_days": b.copy.retention_days}
        if b.copy else None,
    }


def _monitoring(desired: Desired) -> dict[str, Any]:
    env = desired.env
    m = env.monitoring
    arns = {a.name: _alarm_arn(env, a) for a in desired.alarms}
    return {
        "topics": {"devops": m.devops_topic, "finops": m.finops_topic},
        "alarms": [_alarm(a) for a in desired.alarms],
        "dashboard": {"name": m.dashboard, "body": desired.dashboard_body(arns)},
        "cost_anomaly": {
            "monitor": m.cost_monitor,
            "monitor_type": COST_MONITOR_TYPE,
            "monitor_dimension": COST_MONITOR_DIMENSION,
            "frequency": COST_FREQUENCY,
            "threshold_percent": _num(desired.cost_anomaly_percent),
            "topic": desired.cost_anomaly_topic,
        },
    }


def _bucket(b: BucketSpec) -> dict[str, Any]:
    """One bucket with its objects; each object's source is relative to the repository root."""
    r = b.replication
    return {
        "name": b.name,
        "versioning": b.bucket.versioning,
        "noncurrent_version_expiration_days": b.bucket.noncurrent_version_expiration_days,
        "logging": {"bucket": b.logging_bucket, "prefix": b.logging_prefix} if b.logging_bucket else None,
        "replication": {"region": r.region, "bucket": r.bucket, "role": r.role} if r else None,
        "tags": dict(b.tags),
        "objects": {key: {"source": f"{b.bucket.content}/{key}", "content_type": content_type(key)}
                    for o in b.objects for key in (o.key, o.text_key)},
    }


def render(contract: Contract, env_name: str) -> dict[str, Any]:
    """The environment's whole desired state as the input of its Terraform root (JSON-serialisable).

    ContractError when the environment is unknown or needs more than one DR region.
    """
    desired = desired_state(contract, env_name)
    env = desired.env
    return {
        "environment": env.name,
        "account": env.account,
        "region": env.region,
        "dr_region": _dr_region(env, contract.buckets.values()),
        "tags": dict(env.tags),
        "tables": {spec.logical: _table(spec, env) for spec in desired.tables},
        "encryption": {
            "kind": env.encryption_kind,
            "key_alias": desired.key_alias,
            "rotation": env.key_rotation,
        },
        "backup": _backup(desired),
        "monitoring": _monitoring(desired),
        "buckets": {b.logical: _bucket(b) for b in desired.buckets},
    }


def dumps(data: dict[str, Any]) -> str:
    """The committed text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def path_of(env_name: str, root: Path | str = DEFAULT_ROOT) -> Path:
    return Path(root) / env_name / FILE_NAME


def write_all(contract: Contract, root: Path | str = DEFAULT_ROOT) -> list[Path]:
    """Write ``<root>/<env>/contract.tfvars.json`` for every environment; returns the paths written."""
    written: list[Path] = []
    for name in sorted(contract.environments):
        path = path_of(name, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(render(contract, name)), encoding="utf-8")
        written.append(path)
    return written


def stale(contract: Contract, root: Path | str = DEFAULT_ROOT) -> list[str]:
    """Environments whose committed tfvars differ from the contract (missing, edited, or of no environment)."""
    found: list[str] = []
    for name in sorted(contract.environments):
        path = path_of(name, root)
        try:
            committed = path.read_text(encoding="utf-8")
        except OSError:
            found.append(name)
            continue
        if committed != dumps(render(contract, name)):
            found.append(name)
    root = Path(root)
    if root.is_dir():
        orphans = {p.parent.name for p in root.glob(f"*/{FILE_NAME}")} - set(contract.environments)
        found += sorted(orphans)
    return found
