"""Load the contract (YAML + JSON Schema) into typed objects.

Every problem a user can cause ends up as a :class:`Problem` (file, location, rule, message);
:func:`load_contract` raises :class:`ContractError` carrying all of them, never a traceback.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about the contract, printed as ``file: location: rule: message``."""

    file: str
    location: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.rule}: {self.message}"


class ContractError(Exception):
    """The contract cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


_FORMATTER = string.Formatter()


def fill(pattern: str, **values: str) -> str:
    """A naming pattern with its ``{name}`` fields filled in; ValueError for anything more that ``str.format``
    would do: ``{env:>999999999}`` allocates a gigabyte, ``{env.__class__}`` reads attributes, ``{0}`` and
    unknown names raise. Linear in the pattern."""
    out: list[str] = []
    for literal, name, spec, conversion in _FORMATTER.parse(pattern):
        out.append(literal)
        if name is None:
            continue
        if name not in values or spec or conversion:
            allowed = ", ".join(f"{{{v}}}" for v in values)
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} is not "
                             f"a field of this name: use {allowed} only")
        out.append(values[name])
    return "".join(out)


@dataclass(frozen=True)
class KeyAttr:
    attribute: str
    type: str
    pattern: str | None = None


@dataclass(frozen=True)
class Gsi:
    name: str
    partition_key: str
    sort_key: str | None
    projection: str
    non_key_attributes: tuple[str, ...] = ()
    sparse: bool = False


@dataclass(frozen=True)
class AccessPattern:
    name: str
    index: str
    partition_key: str
    sort_key: str | None
    consumer: str


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    description: str
    item_schema_file: str
    item_schema: Mapping[str, Any]
    partition: KeyAttr
    sort: KeyAttr | None
    attributes: Mapping[str, str]
    gsis: tuple[Gsi, ...]
    access_patterns: tuple[AccessPattern, ...]
    stream: str | None
    ttl_enabled: bool
    ttl_attribute: str | None


@dataclass(frozen=True)
class Replication:
    regions: tuple[str, ...]
    global_table_version: str
    lag_p99_seconds: float
    lag_alarm_seconds: float


@dataclass(frozen=True)
class BackupCopy:
    region: str
    vault: str
    retention_days: int


@dataclass(frozen=True)
class Backup:
    vault: str
    plan: str
    rule: str
    schedule: str
    retention_days: int
    selection: str
    selection_tables: tuple[str, ...]
    iam_role: str
    copy: BackupCopy | None


@dataclass(frozen=True)
class Monitoring:
    devops_topic: str
    finops_topic: str
    alarm_prefix: str
    dashboard: str
    cost_monitor: str


@dataclass(frozen=True)
class LoadProfile:
    """One load drill's rates, how long it holds them, and the p99 latency it must stay within."""

    writes_per_second: int
    reads_per_second: int
    duration_seconds: int
    p99_latency_ms: int


@dataclass(frozen=True)
class Environment:
    name: str
    file: str
    account: str
    region: str
    table_naming: str
    tables: tuple[str, ...]
    billing_mode: str
    pitr_enabled: bool
    pitr_recovery_period_days: int
    encryption_kind: str
    key_alias: str | None
    key_rotation: bool
    deletion_protection: bool
    replication: Replication | None
    tags: Mapping[str, str]
    backup: Backup
    monitoring: Monitoring
    rpo_minutes: Mapping[str, float]
    rto_minutes: float
    load: Mapping[str, int]  # the live profile's numbers by name (writes_per_second, ..., p99_latency_ms)
    load_live: LoadProfile  # what the drill drives against the environment's real account
    load_local: LoadProfile  # the same drill scaled to what an emulator on one machine can carry

    def table_name(self, table: str) -> str:
        """The physical name of a logical table in this environment (D2)."""
        return fill(self.table_naming, table=table, env=self.name)

    @property
    def regions(self) -> tuple[str, ...]:
        """Primary region first, then the replica regions."""
        return (self.region, *(self.replication.regions if self.replication else ()))


@dataclass(frozen=True)
class AlarmDef:
    id: str
    plan: str
    scope: str
    namespace: str
    metric: str
    operations: tuple[str, ...]
    statistic: str
    period_seconds: int
    evaluation_periods: int
    comparison: str
    threshold: float
    notify: str
    severity: str


@dataclass(frozen=True)
class WidgetDef:
    title: str
    kind: str
    scope: str | None = None
    namespace: str | None = None
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonitoringDefs:
    file: str
    alarms: tuple[AlarmDef, ...]
    cost_anomaly_percent: float
    cost_anomaly_notify: str
    widgets: tuple[WidgetDef, ...]


@dataclass(frozen=True)
class BucketReplication:
    region: str
    bucket: str
    role: str


@dataclass(frozen=True)
class Bucket:
    """One S3 bucket of the LLD (004 section 4); ``{env}`` in a name is the environment's name."""

    name: str
    file: str
    bucket_naming: str
    description: str
    versioning: bool
    encryption: str
    public_access_block: Mapping[str, bool]
    object_lock: bool
    noncurrent_version_expiration_days: int
    logging_naming: str | None
    logging_prefix: str
    content: str
    replication: Mapping[str, BucketReplication | None]
    tags: Mapping[str, str]

    def bucket_name(self, env: str) -> str:
        return fill(self.bucket_naming, env=env)

    def logging_bucket(self, env: str) -> str | None:
        return fill(self.logging_naming, env=env) if self.logging_naming else None

    def replication_of(self, env: str) -> BucketReplication | None:
        r = self.replication.get(env)
        if r is None:
            return None
        return BucketReplication(region=r.region, bucket=fill(r.bucket, env=env),
                                 role=fill(r.role, env=env))

    def tags_of(self, env: str) -> dict[str, str]:
        """The bucket's tags in an environment: Environment first, then the contract's."""
        return {"Environment": env, **self.tags}


@dataclass(frozen=True)
class TemplateDef:
    key: str
    audience: str
    category: str
    purpose: str
    variables_file: str
    variables: Mapping[str, Any]

    @property
    def text_key(self) -> str:
        """The plain-text alternative's key (004 4.2.2): the same path ending in .txt."""
        return self.key[: -len(".html")] + ".txt"


@dataclass(frozen=True)
class TemplateCatalogue:
    file: str
    bucket: str
    brand_name: str
    colors: Mapping[str, str]
    logo_alt: str
    company: str
    footer_variables: tuple[str, ...]
    unsubscribe_variable: str
    templates: tuple[TemplateDef, ...]


@dataclass(frozen=True)
class Contract:
    root: Path
    tables: Mapping[str, Table]
    environments: Mapping[str, Environment]
    monitoring: MonitoringDefs
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    buckets: Mapping[str, Bucket] = field(default_factory=dict)
    templates: TemplateCatalogue | None = None

    @property
    def templates_root(self) -> Path:
        """The repository folder that holds the template files (next to contracts/)."""
        return self.root.parent / "templates"

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ContractError([Problem(f"environments/{name}.yaml", "/", "unknown-environment",
                                         f"no environment {name!r} in the contract (known: {known})")]) from None

    def tables_of(self, env: Environment) -> list[Table]:
        return [self.tables[t] for t in env.tables if t in self.tables]
