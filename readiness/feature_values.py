"""The numbers the features state, and the contract value each one must equal (ADR 0069).

QA read ``features/*.feature`` as the acceptance documents, so each criterion that has a value states it in a
Scenario Outline's Examples table, one row per environment. The contract stays the source of truth: this module
declares, per Examples column, the contract value it states (:data:`COLUMNS`), and
:func:`feature_value_problems` (``python -m readiness validate``) names every feature cell that disagrees with
the contract as ``file: line N column M: feature-value: message``. The steps (``steps/``) check the same agreement
for the run's environment through :func:`disagreement` before they judge the account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser

from readiness.contract.model import AlarmDef, Contract, Environment, Problem
from readiness.drills.load_stats import PASS_FRACTION

ENV_COLUMN = "environment"
EXAMPLE_PARAM = "_pytest_bdd_example"  # pytest-bdd's parameter holding an outline's Examples row
NOT_APPLICABLE = "n/a"  # a cell for an environment the criterion does not apply to (no replica outside prod)

Value = float | str | None


@dataclass(frozen=True)
class Column:
    """One Examples column: the contract value it states, where that value lives, and how a cell is read."""

    source: str  # where the value is written: "environments/{env}.yaml /backup/retention_days"
    value: Callable[[Contract, Environment], Value]
    kind: str = "number"  # "number" (a cell "n/a" where the value is None) or "text"


def _alarm(contract: Contract, alarm_id: str) -> AlarmDef:
    return next(a for a in contract.monitoring.alarms if a.id == alarm_id)


def _alarm_threshold(alarm_id: str) -> Column:
    return Column(f"monitoring.yaml /alarms/{alarm_id}/threshold",
                  lambda c, e: _alarm(c, alarm_id).threshold)


def _lag(field: str) -> Callable[[Contract, Environment], Value]:
    return lambda c, e: None if e.replication is None else float(getattr(e.replication, field))


def _tag(name: str) -> Column:
    return Column(ENV + f"/tags/{name}", lambda c, e: e.tags.get(name, "none"), "text")


def _bucket_replica(contract: Contract, env: Environment) -> Value:
    replica = contract.buckets["templates"].replication_of(env.name)
    return replica.region if replica else "none"


ENV = "environments/{env}.yaml "

COLUMNS: Mapping[str, Column] = {
    # backups.feature
    "schedule": Column(ENV + "/backup/schedule", lambda c, e: e.backup.schedule, "text"),
    "retention days": Column(ENV + "/backup/retention_days", lambda c, e: e.backup.retention_days),
    "copy region": Column(ENV + "/backup/copy/region",
                          lambda c, e: e.backup.copy.region if e.backup.copy else "none", "text"),
    "copy retention days": Column(ENV + "/backup/copy/retention_days",
                                  lambda c, e: e.backup.copy.retention_days if e.backup.copy else None),
    # recovery.feature
    "recovery period days": Column(ENV + "/pitr/recovery_period_days", lambda c, e: e.pitr_recovery_period_days),
    "deletion protection": Column(ENV + "/deletion_protection",
                                  lambda c, e: "on" if e.deletion_protection else "off", "text"),
    # restore_drills.feature
    "rto minutes": Column(ENV + "/recovery/rto_minutes", lambda c, e: e.rto_minutes),
    "pitr rpo minutes": Column(ENV + "/recovery/rpo_minutes/pitr", lambda c, e: e.rpo_minutes["pitr"]),
    "backup rpo minutes": Column(ENV + "/recovery/rpo_minutes/backup", lambda c, e: e.rpo_minutes["backup"]),
    # replication.feature
    "replica regions": Column(ENV + "/replication/regions",
                              lambda c, e: ", ".join(e.replication.regions) if e.replication else "none", "text"),
    "lag p99 seconds": Column(ENV + "/replication/lag_p99_seconds", _lag("lag_p99_seconds")),
    # monitoring.feature
    "user errors": _alarm_threshold("user-errors"),
    "system errors": _alarm_threshold("system-errors"),
    "read throttles": _alarm_threshold("read-throttles"),
    "write throttles": _alarm_threshold("write-throttles"),
    "backup failures": _alarm_threshold("backup-failures"),
    "lag alarm seconds": Column(ENV + "/replication/lag_alarm_seconds", _lag("lag_alarm_seconds")),
    "cost increase percent": Column("monitoring.yaml /cost_anomaly/threshold_percent",
                                    lambda c, e: c.monitoring.cost_anomaly_percent),
    # tags.feature: the seven tags of 004 5.3.3 on every table
    **{f"{tag} tag": _tag(tag) for tag in ("Environment", "Project", "Owner", "CostCenter", "ManagedBy",
                                           "BackupPolicy", "Component")},
    # encryption.feature
    "key kind": Column(ENV + "/encryption/kind", lambda c, e: e.encryption_kind, "text"),
    # template_buckets.feature
    "region": Column(ENV + "/region", lambda c, e: e.region, "text"),
    "noncurrent version days": Column("buckets/templates.yaml /lifecycle/noncurrent_version_expiration_days",
                                      lambda c, e: c.buckets["templates"].noncurrent_version_expiration_days),
    "bucket replica region": Column("buckets/templates.yaml /replication/{env}/region",
                                    lambda c, e: _bucket_replica(c, e), "text"),
    # load.feature: the live profile; an emulator drives the scaled profile under load/local (ADR 0030)
    "writes per second": Column(ENV + "/load/writes_per_second", lambda c, e: e.load_live.writes_per_second),
    "reads per second": Column(ENV + "/load/reads_per_second", lambda c, e: e.load_live.reads_per_second),
    "duration seconds": Column(ENV + "/load/duration_seconds", lambda c, e: e.load_live.duration_seconds),
    "p99 latency ms": Column(ENV + "/load/p99_latency_ms", lambda c, e: e.load_live.p99_latency_ms),
    "achieved percent": Column("readiness/drills/load.py PASS_FRACTION", lambda c, e: round(PASS_FRACTION * 100, 6)),
}


def read_cell(column: str, text: str) -> Value:
    """A cell as the value it states: a number (None for "n/a") or, for a text column, the text.
    ValueError when a number column holds something else."""
    if COLUMNS[column].kind == "text":
        return text.strip()
    text = text.strip()
    if text == NOT_APPLICABLE:
        return None
    return float(text)


def _shown(value: Value) -> str:
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def disagreement(contract: Contract, env: Environment, column: str, stated: Value) -> str | None:
    """Why the feature's value of ``column`` is not the contract's for ``env``; None when they agree."""
    declared = COLUMNS[column]
    wanted = declared.value(contract, env)
    if declared.kind == "number" and wanted is not None:
        wanted = float(wanted)
    if stated == wanted:
        return None
    return (f"{column} is {_shown(stated)} for {env.name}; the contract says {_shown(wanted)} "
            f"({declared.source.format(env=env.name)})")


# ---------------------------------------------------------------------------- validate


def _outlines(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    feature = document.get("feature") or {}
    for child in feature.get("children", []):
        if "scenario" in child:
            yield child["scenario"]
        for rc in child.get("rule", {}).get("children", []):
            if "scenario" in rc:
                yield rc["scenario"]


def _where(cell: Mapping[str, Any]) -> str:
    return f"line {cell['location']['line']} column {cell['location']['column']}"


def _table_problems(contract: Contract, rel: str, scenario: str, examples: Mapping[str, Any]) -> Iterator[Problem]:
    header = examples.get("tableHeader")
    if not header:
        return
    names = [c["value"] for c in header["cells"]]
    for cell in header["cells"]:
        if cell["value"] != ENV_COLUMN and cell["value"] not in COLUMNS:
            yield Problem(rel, _where(cell), "feature-column",
                          f"no contract value is declared for column {cell['value']!r} of {scenario!r} "
                          "(readiness/feature_values.py COLUMNS)")
    if ENV_COLUMN not in names:
        yield Problem(rel, _where(header["cells"][0]), "feature-column",
                      f"the Examples of {scenario!r} have no {ENV_COLUMN!r} column: a value is stated per environment")
        return
    seen: set[str] = set()
    for row in examples.get("tableBody", []):
        cells = dict(zip(names, row["cells"], strict=False))
        env_name = cells[ENV_COLUMN]["value"]
        if env_name not in contract.environments:
            yield Problem(rel, _where(cells[ENV_COLUMN]), "feature-environment",
                          f"{env_name!r} is not an environment of the contract "
                          f"({', '.join(sorted(contract.environments))})")
            continue
        if env_name in seen:
            yield Problem(rel, _where(cells[ENV_COLUMN]), "feature-environment",
                          f"a second row for {env_name} in {scenario!r}")
        seen.add(env_name)
        env = contract.environments[env_name]
        for name, cell in cells.items():
            if name not in COLUMNS:
                continue
            try:
                stated = read_cell(name, cell["value"])
            except ValueError:
                yield Problem(rel, _where(cell), "feature-value",
                              f"{name} is {cell['value']!r}: expected a number (or {NOT_APPLICABLE})")
                continue
            why = disagreement(contract, env, name, stated)
            if why:
                yield Problem(rel, _where(cell), "feature-value", why)
    for missing in sorted(set(contract.environments) - seen):
        yield Problem(rel, f"line {examples['location']['line']}", "feature-environment",
                      f"the Examples of {scenario!r} have no row for {missing}")


def feature_value_problems(contract: Contract, features: Path | None = None) -> list[Problem]:
    """Every Examples cell of the features that disagrees with the contract (both are checked: the contract is
    the truth). ``features`` defaults to the ``features/`` folder next to the contract; none there, no problem."""
    folder = features if features is not None else contract.root.parent / "features"
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.feature")) if folder.is_dir() else []:
        rel = f"{folder.name}/{path.name}"
        try:
            document = cast(Mapping[str, Any], Parser().parse(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, CompositeParserException, ParserError) as exc:
            problems.append(Problem(rel, "/", "gherkin", str(exc).strip().splitlines()[0]))
            continue
        for scenario in _outlines(document):
            for examples in scenario.get("examples", []):
                problems.extend(_table_problems(contract, rel, scenario["name"], examples))
    return sorted(problems)


def row_environment(item: Any) -> str | None:
    """The ``environment`` cell of the Examples row a collected test runs, None for a plain scenario."""
    callspec = getattr(item, "callspec", None)
    row = callspec.params.get(EXAMPLE_PARAM) if callspec is not None else None
    return row.get(ENV_COLUMN) if isinstance(row, dict) else None
