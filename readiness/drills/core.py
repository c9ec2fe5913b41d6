"""What every drill shares: its bounds, DynamoDB's item encoding, figures, the two ways a step ends early
(:class:`DrillUnverifiable`, :class:`DrillFailed`), one call attempted (:func:`attempt`) and the work sheet
a drill fills in (:class:`Sheet`)."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from readiness.contract.model import Table
from readiness.outcome import (
    COULD_NOT_ANSWER,
    FAIL,
    PASS,
    UNVERIFIABLE,
    Kind,
    Verdict,
    classify,
    describe_failure,
    measured,
)
from readiness.targets.base import ReadOnlyViolation
from readiness.testitems import as_dynamodb

ITEMS_PER_TABLE = 4  # 3 active + 1 inactive: enough for every pattern and the sparse index, bounded
GSI_WAIT_SECONDS = 15.0
STREAM_WAIT_SECONDS = 15.0
CANARIES = 10
RESTORE_SAMPLE = 3  # seeded items a restore must bring back whole (count and content hash)
FROZEN_PROBE_SECONDS = 1.0  # how long an emulator's restorable window gets to show that it moves
POINT_MARGIN_SECONDS = 1.0  # between the sample and the restore point, and the point and the later item
SWEEP_PAGES = 10

SERIALIZER, DESERIALIZER = TypeSerializer(), TypeDeserializer()


def to_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: SERIALIZER.serialize(as_dynamodb(v)) for k, v in item.items()}


def from_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(DESERIALIZER.deserialize(v)) for k, v in item.items()}


def plain(value: Any) -> Any:
    """Numbers as JSON wants them coming out of DynamoDB (int or float, not Decimal)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def key_of(table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
    """The item's primary key attributes."""
    names = [table.partition.attribute] + ([table.sort.attribute] if table.sort else [])
    return {n: item[n] for n in names}


def figure(name: str, value: float | int | None, unit: str, target: float | None = None,
           limit: str | None = None) -> dict[str, Any]:
    """One measured figure; a value that is not a finite number (NaN from a broken clock) is not measured."""
    known = value is not None and math.isfinite(float(value))
    out: dict[str, Any] = {"name": name, "value": round(float(value), 3) if value is not None and known else None,
                           "unit": unit}
    if target is not None:
        out.update(target=target, limit=limit or "max")
    return out


def content_hash(items: list[dict[str, Any]]) -> str:
    """sha256 over items in canonical JSON, sorted: the same items in any order give the same hash."""
    lines = sorted(json.dumps(i, sort_keys=True, default=str) for i in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


class DrillUnverifiable(Exception):
    """The target cannot do a step of the drill; the message quotes the call and its answer."""


class DrillFailed(Exception):
    """The target did the step and the result is wrong."""


DRILLED: dict[Kind, str] = {kind: UNVERIFIABLE if kind in COULD_NOT_ANSWER else FAIL for kind in Kind}
"""What a drill makes of each kind of failed call: the target (or the suite) could not answer -> UNVERIFIABLE;
the account answered no (not found, rejected, already there) -> FAIL."""


def attempt(call: str, fn: Callable[[], Any]) -> Any:
    """Run one call; a target that cannot do it makes the drill UNVERIFIABLE with its answer."""
    try:
        return fn()
    except ReadOnlyViolation as exc:
        raise DrillUnverifiable(f"{call} refused by the suite: {exc}") from None
    except (ClientError, NotImplementedError) as exc:
        if DRILLED[classify(exc)] == UNVERIFIABLE:
            raise DrillUnverifiable(f"{call} answered {describe_failure(exc)}") from None
        raise


@dataclass
class Sheet:
    """A drill's work sheet while it runs: it ends as one :class:`~readiness.outcome.Verdict`."""

    status: str = PASS
    reason: str = ""
    figures: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def verdict(self, drill_id: str, criterion: str, resource: str) -> Verdict:
        return measured(drill_id, criterion, resource, self.status, self.reason, self.figures, self.details)
