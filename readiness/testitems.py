"""Test items: what a drill may write, how it is recognised, and how it is removed.

A drill never writes outside its own run's items. Every item it writes

- has ids that satisfy the item schema and start with the test mark: UUIDs whose first group is
  ``7e57`` + four hex digits of the run (``7e57c0de-...``), codes ``T7E57C0DE-0001``;
- carries the marker attribute ``readinessTestRun`` (the run token) and ``readinessTestExpires``
  (epoch seconds: when a later run may treat it as an orphan of a killed run).

A real item can have an id starting with ``7e57`` by chance, but never the marker attribute: the
orphan sweep deletes only items with both, conditionally on the marker (``ConditionExpression``), so
not even a race can delete anything else. Generated items are validated against the table's item
schema (jsonschema with format checks) before they are written.
"""

from __future__ import annotations

import random
import secrets
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema

from readiness.contract.model import Table

TEST_MARK = "7e57"
MARKER = "readinessTestRun"
EXPIRES = "readinessTestExpires"
ORPHAN_AFTER_SECONDS = 3600  # a run lasts far less; an older marker belongs to a run that was killed


class ItemSchemaError(Exception):
    """The generator made an item its schema rejects: a contract the drill cannot serve."""


@dataclass(frozen=True)
class RunScope:
    """The identity of one run's test items."""

    token: str  # 8 lowercase hex digits starting with TEST_MARK
    started: float = field(default_factory=time.time)

    @classmethod
    def new(cls) -> RunScope:
        return cls(TEST_MARK + secrets.token_hex(2))

    def uuid(self, n: int) -> str:
        """The n-th UUID of this run (version 4 layout, first group = the run token)."""
        rest = f"{n:012x}"[-12:]
        return f"{self.token}-{n >> 48 & 0xffff:04x}-4{(n * 7919) % 4096:03x}-8{(n * 104729) % 4096:03x}-{rest}"

    def code(self, n: int) -> str:
        return f"T{self.token.upper()}-{n:04X}"

    def restore_table(self, table: str, kind: str = "pitr") -> str:
        """The table a restore drill creates (deleted afterwards); matches the IAM scope *-restore-*."""
        return f"{table}-restore-{kind}-{self.token}"

    def marks(self) -> dict[str, Any]:
        return {MARKER: self.token, EXPIRES: int(self.started) + ORPHAN_AFTER_SECONDS}


def as_dynamodb(value: Any) -> Any:
    """Floats as Decimal, recursively: what boto3's DynamoDB serializer accepts for numbers."""
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: as_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_dynamodb(v) for v in value]
    return value


def key_prefix(table: Table) -> str:
    """What every test item's partition key starts with in this table (for the bounded sweep)."""
    pattern = table.partition.pattern or ""
    head = pattern.split("{", 1)[0]
    variable = pattern[len(head):].split("}", 1)[0].strip("{")
    return head + ("T" + TEST_MARK.upper() if variable == "code" else TEST_MARK)


def run_prefix(table: Table, scope: RunScope) -> str:
    """What the partition key of every item of this run starts with in this table."""
    head = key_prefix(table)
    rest = scope.token[len(TEST_MARK):]
    return head + (rest.upper() if head.endswith("T" + TEST_MARK.upper()) else rest)


def is_test_item(item: Mapping[str, Any]) -> bool:
    return isinstance(item.get(MARKER), str) and str(item[MARKER]).startswith(TEST_MARK)


def _partition_value(table: Table, values: Mapping[str, Any]) -> str:
    pattern = table.partition.pattern or "{id}"
    return pattern.replace("{id}", str(values.get("id"))).replace("{code}", str(values.get("code")))


def generate_item(table: Table, scope: RunScope, n: int, *, active: bool = True, rng: random.Random | None = None,
                  **overrides: Any) -> dict[str, Any]:
    """A valid item of table's item schema: run-scoped ids, every optional attribute the GSIs need,
    ``activeKey`` only when active (the sparse index), the run's marker attributes."""
    rng = rng or random.Random(f"{scope.token}-{table.name}-{n}")
    schema = table.item_schema
    props: Mapping[str, Any] = schema.get("properties", {})
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=n)
    values: dict[str, Any] = {}
    for name, spec in props.items():
        if name in ("PK", "SK") or (name == "activeKey"):
            continue
        values[name] = _value(name, spec, scope, n, now, rng)
    if "active" in props:
        values["active"] = active
    if "activeKey" in props and active:
        values["activeKey"] = props["activeKey"].get("const", "ACTIVE")
    if "orderMonth" in props and "dateCreated" in values:
        values["orderMonth"] = str(values["dateCreated"])[:7]
    values.update(overrides)
    values["PK"] = _partition_value(table, values)
    if table.sort is not None:
        values["SK"] = props.get("SK", {}).get("const", table.sort.pattern or "METADATA")
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(values))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(item)"
        raise ItemSchemaError(f"{table.item_schema_file}: {path}: generated test item rejected: "
                              f"{error.message}")
    return {**values, **scope.marks()}


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    """One validator per item schema, made once: jsonschema.validate checks the schema itself on every
    call (13 ms an item; the load drill generates up to 1,000 of them in each Locust process)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cls: Any = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        cached = (schema, cls(schema, format_checker=jsonschema.FormatChecker()))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def _value(name: str, spec: Mapping[str, Any], scope: RunScope, n: int, now: datetime,
           rng: random.Random) -> Any:
    if "const" in spec:
        return spec["const"]
    if "enum" in spec:
        return rng.choice(list(spec["enum"]))
    fmt, kind = spec.get("format"), spec.get("type")
    if fmt == "uuid":
        return scope.uuid(n * 16 + (zlib.crc32(name.encode()) & 0xf))
    if fmt == "date-time":
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "date":
        return (now.date() + timedelta(days=30 if name.lower().startswith("to") else 0)).isoformat()
    if fmt == "email":
        return f"{scope.token}-{n}@example.test"
    if fmt == "uri":
        return f"https://example.test/{scope.token}/{n}"
    if name == "code" or spec.get("pattern", "").startswith("^[A-Z0-9_-]"):
        return scope.code(n)
    if spec.get("pattern") == "^[A-Z]{3}$":
        return "ZAR"
    if kind == "integer":
        return 1
    if kind == "number":
        return round(rng.uniform(1, 100), 2)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return f"readiness drill {scope.token} #{n}"
