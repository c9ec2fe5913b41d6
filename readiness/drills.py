"""Behaviour drills: what a table does, not what it says. Data access, locking, transactions, streams,
restores (RTO/RPO) and replication lag, each measured, bounded in count and time, and cleaned up.

A drill writes only its run's test items (readiness/testitems.py) and ``<table>-restore-<kind>-<run>``
tables, through clients whose every write is checked against that scope before it is sent
(:meth:`Drills.guard`); anything else is refused even when the credentials would allow it. Whatever
a drill writes is recorded and removed in ``finally``, also when a step fails; :meth:`Drills.sweep`
removes the orphans of a killed run (bounded scan, conditional deletes on the marker attribute).

Each drill gives :class:`Measurement` objects (status pass / fail / unverifiable, reason, figures)
that the report lists under ``measurements`` and counts in the run verdict. A target that cannot
do a step (DynamoDB Local has no PITR, moto ignores replicas) gives UNVERIFIABLE with the call and
its answer, never a pass.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from readiness.checks import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE, Verdict
from readiness.contract.desired import Desired, TableSpec
from readiness.contract.model import Table
from readiness.observation.live import describe_failure, error_parts, is_unsupported
from readiness.progress import progress
from readiness.targets.base import ReadOnlyViolation, Target
from readiness.testitems import (
    EXPIRES,
    MARKER,
    TEST_MARK,
    ItemSchemaError,
    RunScope,
    as_dynamodb,
    generate_item,
    key_prefix,
    run_prefix,
)

C_ACCESS = "003 SIT Week 1: integration testing - every access pattern served by its table or index"
C_LOCKING = "004 3.3: optimistic locking with a version attribute (no lost update)"
C_TRANSACTION = "003 SIT Week 1: integration testing - an order and its campaign commit or roll back together"
C_STREAMS = "004 3.3: streams deliver new and old images for change data capture (D8)"
C_RESTORE = "003 SIT Week 3 / PROD Success: PITR and backup restore tested within RTO and RPO (D14)"
C_LAG = "003 PROD Success: replication lag < 1 second (D13)"
C_LOAD = "003 SIT Week 2: sustained load (1000 writes/sec, 5000 reads/sec) without throttling"

ITEMS_PER_TABLE = 4  # 3 active + 1 inactive: enough for every pattern and the sparse index, bounded
GSI_WAIT_SECONDS = 15.0
STREAM_WAIT_SECONDS = 15.0
CANARIES = 10
RESTORE_SAMPLE = 3  # seeded items a restore must bring back whole (count and content hash)
FROZEN_PROBE_SECONDS = 1.0  # how long an emulator's restorable window gets to show that it moves
POINT_MARGIN_SECONDS = 1.0  # between the sample and the restore point, and the point and the later item
SWEEP_PAGES = 10
THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}

_ser, _de = TypeSerializer(), TypeDeserializer()


def to_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(as_dynamodb(v)) for k, v in item.items()}


def from_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_de.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """Numbers as JSON wants them coming out of DynamoDB (int or float, not Decimal)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


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
    import hashlib
    import json

    lines = sorted(json.dumps(i, sort_keys=True, default=str) for i in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


@dataclass
class Measurement:
    """One drill's result on one resource."""

    id: str
    criterion: str
    resource: str
    status: str
    reason: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "criterion": self.criterion, "resource": self.resource, "status": self.status,
                "reason": self.reason, "figures": self.figures, **({"details": self.details} if self.details else {})}

    def verdict(self) -> Verdict:
        expected = {f["name"]: f"{'<=' if f.get('limit') == 'max' else '>='} {f['target']} {f['unit']}"
                    for f in self.figures if "target" in f} or "the drill succeeds"
        actual = {f["name"]: f["value"] for f in self.figures} or None
        return Verdict(self.id, self.criterion, self.resource, self.status, expected, actual, self.reason)

    def line(self) -> str:
        figs = ", ".join(f"{f['name']} {f['value']}{'' if f['unit'] == 'count' else ' ' + f['unit']}"
                         for f in self.figures if f["value"] is not None)
        return f"{self.status.upper()} {self.id} {self.resource}: {self.reason}" + (f" [{figs}]" if figs else "")


class DrillUnverifiable(Exception):
    """The target cannot do a step of the drill; the message quotes the call and its answer."""


class DrillFailed(Exception):
    """The target did the step and the result is wrong."""


def _target_could_not(exc: ClientError) -> bool:
    """The target could not answer (not implemented, an HTML error page, a fault, throttled, denied, unknown
    credentials), as opposed to answering that the account cannot serve the drill."""
    status, code, message = error_parts(exc)
    return (is_unsupported(exc) or code in THROTTLE_CODES or "AccessDenied" in code
            or code == "UnrecognizedClientException" or message.startswith("<") or (status or 0) >= 500)


def _attempt(call: str, fn: Callable[[], Any]) -> Any:
    """Run one call; a target that cannot do it makes the drill UNVERIFIABLE with its answer."""
    try:
        return fn()
    except ReadOnlyViolation as exc:
        raise DrillUnverifiable(f"{call} refused by the suite: {exc}") from None
    except ClientError as exc:
        if _target_could_not(exc):
            raise DrillUnverifiable(f"{call} answered {describe_failure(exc)}") from None
        raise
    except NotImplementedError as exc:
        raise DrillUnverifiable(f"{call} answered {describe_failure(exc)}") from None


class Drills:
    """One run's drills on one target: the scope of its test items, its guarded clients, its cleanup."""

    def __init__(self, target: Target, desired: Desired, *, allow: frozenset[str] = frozenset(),
                 scope: RunScope | None = None, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.target = target
        self.desired = desired
        self.scope = scope or RunScope.new()
        # an emulator the suite deploys into is throwaway; a live or verify-only run does what --allow says
        self.allow = allow if target.read_only else frozenset({"writes", "restore", "load"})
        self.clock = clock
        self.now = now  # the wall clock: restore points and recovery point ages
        self.measurements: list[Measurement] = []
        self.written: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}  # (region, table) -> PK -> key
        self.restore_tables: set[tuple[str, str]] = set()  # (region, table)
        self.backups: set[str] = set()
        self._lock = threading.Lock()
        self._tables = {t.name: t for t in desired.tables}
        self._vaults: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    # ------------------------------------------------------------------------------- scope and clients

    def client(self, region: str | None = None, service: str = "dynamodb") -> Any:
        return self.target.client(service, region or self.desired.env.region, guard=self.guard)

    def guard(self, operation: str, params: Mapping[str, Any]) -> None:
        """Refuse any write outside this run's test items and restore tables (ReadOnlyViolation)."""
        def table_of(name: Any) -> TableSpec:
            spec = self._tables.get(str(name))
            if spec is None:
                raise ReadOnlyViolation(f"{operation} on {name} refused: not a table of the contract")
            return spec

        def item_ok(table: Any, key: Mapping[str, Any], whole_item: bool) -> None:
            spec = table_of(table)
            pk = str((key.get(spec.table.partition.attribute) or {}).get("S", ""))
            if not pk.startswith(run_prefix(spec.table, self.scope)) and not (
                    operation == "DeleteItem" and pk.startswith(key_prefix(spec.table))
                    and "attribute_exists" in str(params.get("ConditionExpression", ""))):
                raise ReadOnlyViolation(f"{operation} on {table} key {pk!r} refused: not a test item of run "
                                        f"{self.scope.token}")
            if whole_item and MARKER not in key:
                raise ReadOnlyViolation(f"{operation} on {table} refused: the item lacks the marker {MARKER}")

        needs = "restore" if operation in ("RestoreTableToPointInTime", "RestoreTableFromBackup", "CreateBackup",
                                           "DeleteBackup", "DeleteTable") else "writes"
        if needs == "writes" and "load" in self.allow:  # the load drill seeds and deletes its own test items
            needs = "load"
        if needs not in self.allow:
            raise ReadOnlyViolation(f"{operation} refused: this run is not allowed {needs} (--allow {needs})")
        if operation == "PutItem":
            item_ok(params["TableName"], params["Item"], True)
        elif operation in ("UpdateItem", "DeleteItem"):
            item_ok(params["TableName"], params["Key"], False)
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        item_ok(table, r["PutRequest"]["Item"], True)
                    else:
                        item_ok(table, r["DeleteRequest"]["Key"], False)
        elif operation == "TransactWriteItems":
            for t in params["TransactItems"]:
                kind, body = next(iter(t.items()))
                if kind == "Put":
                    item_ok(body["TableName"], body["Item"], True)
                else:
                    item_ok(body["TableName"], body["Key"], False)
        elif operation in ("RestoreTableToPointInTime", "RestoreTableFromBackup"):
            if not self._is_restore_table(str(params["TargetTableName"]), own=True):
                raise ReadOnlyViolation(f"{operation} into {params['TargetTableName']} refused: "
                                        f"not a restore table of run {self.scope.token}")
        elif operation == "DeleteTable":
            if not self._is_restore_table(str(params["TableName"]), own=False):
                raise ReadOnlyViolation(f"DeleteTable {params['TableName']} refused: only drill restore tables "
                                        f"(<table>-restore-<kind>-{TEST_MARK}....) are ever deleted")
        elif operation == "CreateBackup":
            table_of(params["TableName"])
            if not str(params["BackupName"]).endswith(self.scope.token):
                raise ReadOnlyViolation(f"CreateBackup {params['BackupName']} refused: not named for this run")
        elif operation == "DeleteBackup":
            if params["BackupArn"] not in self.backups:
                raise ReadOnlyViolation("DeleteBackup refused: not a backup this run made")
        else:
            raise ReadOnlyViolation(f"{operation} refused: drills only write test items and restore tables")

    def _is_restore_table(self, name: str, *, own: bool) -> bool:
        token = re.escape(self.scope.token) if own else f"{TEST_MARK}[0-9a-f]{{4}}"
        return any(re.fullmatch(f"{re.escape(t)}-restore-(pitr|backup)-{token}", name) for t in self._tables)

    # ------------------------------------------------------------------------------ writing and cleanup

    def put(self, table: TableSpec, item: dict[str, Any], region: str | None = None, **kwargs: Any) -> Any:
        where = region or self.desired.env.region
        self.record(table, item, where)  # first: an interrupted put is still cleaned up
        return _attempt(f"PutItem({table.name})",
                        lambda: self.client(where).put_item(TableName=table.name, Item=to_ddb(item), **kwargs))

    def record(self, table: TableSpec, item: Mapping[str, Any], region: str | None = None) -> None:
        """Remember an item this run writes (or is about to write), for the cleanup."""
        with self._lock:
            self.written.setdefault((region or self.desired.env.region, table.name), {})[
                str(item[table.table.partition.attribute])] = self._key(table.table, item)

    @staticmethod
    def _key(table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
        names = [table.partition.attribute] + ([table.sort.attribute] if table.sort else [])
        return {n: item[n] for n in names}

    def cleanup(self) -> list[str]:
        """Delete every item and table this run wrote (idempotent); what could not be deleted is returned."""
        problems: list[str] = []
        with self._lock:
            written = {k: dict(v) for k, v in self.written.items()}
            tables = set(self.restore_tables)
            backups = set(self.backups)
        for (region, table), keys in written.items():
            client = self.client(region)
            for pk, key in keys.items():
                try:
                    client.delete_item(TableName=table, Key=to_ddb(key))
                    with self._lock:
                        self.written.get((region, table), {}).pop(pk, None)
                except Exception as exc:  # keep going: one failure must not leave the rest behind
                    problems.append(f"{table} {pk}: {describe_failure(exc)}")
        for region, name in tables:
            problem = self._delete_table(region, name)
            if problem:
                problems.append(problem)
            else:
                with self._lock:
                    self.restore_tables.discard((region, name))
        for arn in backups:
            try:
                self.client().delete_backup(BackupArn=arn)
                with self._lock:
                    self.backups.discard(arn)
            except ClientError as exc:
                if error_parts(exc)[1] not in ("BackupNotFoundException",):
                    problems.append(f"backup {arn}: {describe_failure(exc)}")
        return problems

    def _delete_table(self, region: str, name: str, wait: float = 600.0) -> str | None:
        client = self.client(region)
        deadline = self.clock() + wait
        while True:
            try:
                client.delete_table(TableName=name)
                return None
            except ClientError as exc:
                code = error_parts(exc)[1]
                if code == "ResourceNotFoundException":
                    return None
                if code == "ResourceInUseException" and self.clock() < deadline:  # still CREATING or restoring
                    time.sleep(2.0)
                    continue
                return f"table {name}: {describe_failure(exc)}"
            except Exception as exc:
                return f"table {name}: {describe_failure(exc)}"

    def sweep(self, *, pages: int = SWEEP_PAGES, now: float | None = None) -> list[str]:
        """Remove what killed runs left: their expired test items (bounded scan) and restore tables."""
        removed: list[str] = []
        now = time.time() if now is None else now
        client = self.client()
        for spec in self.desired.tables:
            pk = spec.table.partition.attribute
            kwargs: dict[str, Any] = {
                "TableName": spec.name, "Limit": 500,
                "FilterExpression": "begins_with(#pk, :prefix) AND attribute_exists(#m) AND #e < :now AND #m <> :me",
                "ExpressionAttributeNames": {"#pk": pk, "#m": MARKER, "#e": EXPIRES},
                "ExpressionAttributeValues": to_ddb({":prefix": key_prefix(spec.table), ":now": int(now),
                                                     ":me": self.scope.token}),
            }
            if spec.table.sort:
                kwargs["ProjectionExpression"] = "#pk, #sk"
                kwargs["ExpressionAttributeNames"]["#sk"] = spec.table.sort.attribute
            else:
                kwargs["ProjectionExpression"] = "#pk"
            for _ in range(pages):
                page = _attempt(f"Scan({spec.name})", partial(client.scan, **kwargs))
                for item in page.get("Items", []):
                    try:
                        client.delete_item(TableName=spec.name, Key=item, ConditionExpression="attribute_exists(#m)",
                                           ExpressionAttributeNames={"#m": MARKER})
                        removed.append(f"{spec.name} {from_ddb(item)[pk]}")
                    except ClientError as exc:
                        if error_parts(exc)[1] != "ConditionalCheckFailedException":
                            raise
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        tables = _attempt("ListTables", lambda: [n for p in client.get_paginator("list_tables").paginate()
                                                 for n in p.get("TableNames", [])])
        for name in tables:
            if self._is_restore_table(name, own=False) and not self._is_restore_table(name, own=True) \
                    and self._delete_table(self.desired.env.region, name, wait=0) is None:
                removed.append(f"table {name}")
        return removed

    @contextmanager
    def cleaning(self) -> Iterator[None]:
        """Clean up when the block ends, however it ends."""
        try:
            yield
        finally:
            self.cleanup()

    # ----------------------------------------------------------------------------------- data access

    def _measure(self, drill_id: str, criterion: str, resource: str, body: Callable[[Measurement], None]
                 ) -> Measurement:
        m = Measurement(drill_id, criterion, resource, PASS, "")
        try:
            with self.cleaning():
                body(m)
        except DrillUnverifiable as exc:
            m.status, m.reason = UNVERIFIABLE, f"{self.target.label}: {exc}"
        except (DrillFailed, ItemSchemaError) as exc:
            m.status, m.reason = FAIL, str(exc)
        except ReadOnlyViolation as exc:
            m.status, m.reason = UNVERIFIABLE, f"refused by the suite: {exc}"
        except ClientError as exc:
            m.status = UNVERIFIABLE if _target_could_not(exc) else FAIL
            m.reason = f"{self.target.label} answered {describe_failure(exc)}"
        except Exception as exc:  # the endpoint went away, an answer botocore cannot parse: never end the run
            m.status, m.reason = UNVERIFIABLE, f"{self.target.label}: {describe_failure(exc)}"
        self.measurements.append(m)
        return m

    def access(self, table: TableSpec) -> Measurement:
        """Items written, read back by key, and found through every access pattern; sparse indexes hold
        only active items."""
        def body(m: Measurement) -> None:
            c = table.table
            items = [generate_item(c, self.scope, n, active=n != ITEMS_PER_TABLE - 1)
                     for n in range(ITEMS_PER_TABLE)]
            client = self.client()
            for item in items:
                self.put(table, item)
            for item in items:
                got = _attempt(f"GetItem({table.name})", partial(
                    client.get_item, TableName=table.name, Key=to_ddb(self._key(c, item)), ConsistentRead=True)
                               ).get("Item")
                if got is None or from_ddb(got) != from_ddb(to_ddb(item)):
                    raise DrillFailed(f"{item['PK']} did not read back as written")
            slowest = 0.0
            checked = 0
            for pattern in c.access_patterns:
                if pattern.index == "table":
                    continue
                for item in items:
                    present = pattern.partition_key in item and (not pattern.sort_key or pattern.sort_key in item)
                    started = self.clock()
                    found = self._find(table, pattern.index, pattern.partition_key, pattern.sort_key, item,
                                       want=present)
                    if found != present:
                        raise DrillFailed(
                            f"{pattern.index} ({pattern.name}) {'does not find' if present else 'holds'} "
                            f"{item['PK']}{'' if present else ', an item without ' + pattern.partition_key}"
                            f" after {GSI_WAIT_SECONDS:g} s")
                    slowest = max(slowest, self.clock() - started)
                    checked += 1
            m.reason = (f"{len(items)} items read back; {checked} index lookups over "
                        f"{sum(p.index != 'table' for p in c.access_patterns)} access patterns as contracted"
                        + ("; the inactive item is absent from the sparse index" if "activeKey" in c.attributes
                           else ""))
            m.figures = [figure("items", len(items), "count"), figure("index_lookups", checked, "count"),
                         figure("gsi_propagation_max", slowest, "s")]
        return self._measure("drill.access", C_ACCESS, table.name, body)

    def _find(self, table: TableSpec, index: str, pk: str, sk: str | None, item: Mapping[str, Any], *,
              want: bool) -> bool:
        """Is item in index under its own key values? GSIs are eventually consistent: wait for `want`.

        An item without the index's partition key (the inactive item of a sparse index) is looked up
        under the value every indexed item has there (the schema's const, e.g. activeKey ACTIVE)."""
        const = (table.table.item_schema.get("properties", {}).get(pk) or {}).get("const")
        value = item.get(pk, const)
        if value is None:
            return False  # no value to look it up under: absent by construction
        names, vals = {"#p": pk}, {":p": value}
        expression = "#p = :p"
        if sk and sk in item:
            names["#s"] = sk
            expression += " AND #s = :s"
            vals[":s"] = item[sk]
        deadline = self.clock() + (GSI_WAIT_SECONDS if want else 0.0)
        client = self.client()
        own = table.table.partition.attribute
        while True:
            page = _attempt(f"Query({table.name}/{index})", lambda: client.query(
                TableName=table.name, IndexName=index, KeyConditionExpression=expression,
                ExpressionAttributeNames=names, ExpressionAttributeValues=to_ddb(vals), Limit=100))
            found = any(from_ddb(i).get(own) == item[own] for i in page.get("Items", []))
            if found == want or self.clock() >= deadline:
                return found
            time.sleep(0.2)

    def locking(self) -> Measurement:
        """A stale version is rejected; concurrent writers with conditional updates lose nothing."""
        table = self._table_with("version")

        def body(m: Measurement) -> None:
            c = table.table
            item = generate_item(c, self.scope, 100, version=1)
            self.put(table, item)
            key = to_ddb(self._key(c, item))
            client = self.client()

            def bump(expected: int) -> None:
                client.update_item(TableName=table.name, Key=key, UpdateExpression="SET #v = :next",
                                   ConditionExpression="#v = :seen", ExpressionAttributeNames={"#v": "version"},
                                   ExpressionAttributeValues=to_ddb({":seen": expected, ":next": expected + 1}))

            _attempt(f"UpdateItem({table.name})", lambda: bump(1))
            try:
                _attempt(f"UpdateItem({table.name})", lambda: bump(1))  # stale: version is 2 now
                raise DrillFailed("an update conditioned on a stale version (1) was accepted")
            except ClientError as exc:
                if error_parts(exc)[1] != "ConditionalCheckFailedException":
                    raise
            writers, each = 4, 5
            conflicts = [0] * writers

            def writer(w: int) -> None:
                done = 0
                while done < each:
                    seen = int(from_ddb(client.get_item(TableName=table.name, Key=key, ConsistentRead=True)
                                        ["Item"])["version"])
                    try:
                        bump(seen)
                        done += 1
                    except ClientError as exc:
                        if error_parts(exc)[1] != "ConditionalCheckFailedException":
                            raise
                        conflicts[w] += 1

            with ThreadPoolExecutor(writers) as pool:
                list(pool.map(writer, range(writers)))
            final = int(from_ddb(client.get_item(TableName=table.name, Key=key, ConsistentRead=True)
                                 ["Item"])["version"])
            want = 2 + writers * each
            m.figures = [figure("concurrent_updates", writers * each, "count"),
                         figure("conflicts_retried", sum(conflicts), "count"),
                         figure("lost_updates", want - final, "count", 0, "max")]
            if final != want and "atomic_conditions" in self.target.silent_gaps:
                raise DrillUnverifiable(f"the stale version was rejected, but {want - final} of {writers * each} "
                                        f"concurrent conditional updates were lost: "
                                        f"{self.target.silent_gaps['atomic_conditions']}")
            if final != want:
                raise DrillFailed(f"version is {final} after {writers * each} conditional updates, not {want}: "
                                  f"{want - final} lost")
            m.reason = (f"the stale version was rejected; {writers} writers x {each} conditional updates, "
                        f"{sum(conflicts)} conflicts retried, none lost")
        return self._measure("drill.locking", C_LOCKING, table.name, body)

    def _table_with(self, attribute: str) -> TableSpec:
        for t in self.desired.tables:
            if attribute in t.table.item_schema.get("properties", {}):
                return t
        raise DrillFailed(f"no table's item schema has {attribute!r}")

    def transaction(self) -> Measurement:
        """An order and its campaign in one transaction: both commit, or (a condition fails) neither."""
        orders, campaigns = self._logical("orders"), self._logical("campaigns")

        def body(m: Measurement) -> None:
            campaign = generate_item(campaigns.table, self.scope, 200)
            order = generate_item(orders.table, self.scope, 201, campaignCode=campaign["code"])
            self.record(campaigns, campaign)
            self.record(orders, order)
            client = self.client()

            def write(o: Mapping[str, Any], condition: str) -> None:
                client.transact_write_items(TransactItems=[
                    {"Put": {"TableName": orders.name, "Item": to_ddb(o)}},
                    {"Put": {"TableName": campaigns.name, "Item": to_ddb(campaign), "ConditionExpression": condition,
                             "ExpressionAttributeNames": {"#c": "code"}}}])

            _attempt("TransactWriteItems", lambda: write(order, "attribute_not_exists(#c)"))
            for t, i in ((orders, order), (campaigns, campaign)):
                if "Item" not in client.get_item(TableName=t.name, Key=to_ddb(self._key(t.table, i)),
                                                 ConsistentRead=True):
                    raise DrillFailed(f"the committed transaction left no {i['PK']} in {t.name}")
            second = generate_item(orders.table, self.scope, 202, campaignCode=campaign["code"])
            self.record(orders, second)
            try:
                write(second, "attribute_not_exists(#c)")  # the campaign exists now: the condition fails
                raise DrillFailed("a transaction whose condition failed was committed")
            except ClientError as exc:
                if error_parts(exc)[1] != "TransactionCanceledException":
                    raise
            if "Item" in client.get_item(TableName=orders.name, Key=to_ddb(self._key(orders.table, second)),
                                         ConsistentRead=True):
                raise DrillFailed(f"the cancelled transaction still wrote {second['PK']}")
            m.reason = "committed as a whole; cancelled as a whole (no partial order)"
            m.figures = [figure("transactions", 2, "count")]
        return self._measure("drill.transaction", C_TRANSACTION, f"{orders.name} + {campaigns.name}", body)

    def _logical(self, logical: str) -> TableSpec:
        found = next((t for t in self.desired.tables if t.logical == logical), None)
        if found is None:
            raise DrillFailed(f"the environment has no {logical} table")
        return found

    def streams(self, table: TableSpec) -> Measurement:
        """INSERT carries the new image, MODIFY both, REMOVE the old one."""
        def body(m: Measurement) -> None:
            if table.table.stream is None:
                m.status, m.reason = NOT_APPLICABLE, "not applicable: the contract gives this table no stream"
                return
            client = self.client()
            streams = self.client(service="dynamodbstreams")
            arn = _attempt(f"DescribeTable({table.name})",
                           lambda: client.describe_table(TableName=table.name)["Table"].get("LatestStreamArn"))
            if not arn:
                raise DrillFailed("the table has no stream")
            shards = _attempt("DescribeStream", lambda: streams.describe_stream(StreamArn=arn)
                              ["StreamDescription"].get("Shards", []))
            iterators = [_attempt("GetShardIterator", partial(
                streams.get_shard_iterator, StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST")
                                  )["ShardIterator"]
                for s in shards if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})]
            item = generate_item(table.table, self.scope, 300)
            key = to_ddb(self._key(table.table, item))
            started = self.clock()
            self.put(table, item)
            client.update_item(TableName=table.name, Key=key, UpdateExpression="SET #l = :l",
                               ExpressionAttributeNames={"#l": "lastUpdatedBy"},
                               ExpressionAttributeValues=to_ddb({":l": f"readiness drill {self.scope.token} modify"}))
            client.delete_item(TableName=table.name, Key=key)
            seen: dict[str, dict[str, Any]] = {}
            deadline = self.clock() + STREAM_WAIT_SECONDS
            while len(seen) < 3 and self.clock() < deadline and iterators:
                nxt = []
                for it in iterators:
                    page = _attempt("GetRecords", partial(streams.get_records, ShardIterator=it, Limit=100))
                    for r in page.get("Records", []):
                        if r["dynamodb"].get("Keys") == key:
                            seen.setdefault(r["eventName"], r["dynamodb"])
                    if page.get("NextShardIterator"):
                        nxt.append(page["NextShardIterator"])
                iterators = nxt
                if len(seen) < 3:
                    time.sleep(0.3)
            want = {"INSERT": ("NewImage",), "MODIFY": ("OldImage", "NewImage"), "REMOVE": ("OldImage",)}
            missing = [f"{e} without {img}" for e, imgs in want.items() for img in imgs
                       if e in seen and img not in seen[e]]
            missing += [f"no {e} record" for e in want if e not in seen]
            m.figures = [figure("records", len(seen), "count", 3, "min"),
                         figure("delivery", self.clock() - started, "s")]
            view = {e: seen[e].get("StreamViewType") for e in seen}
            m.details = {"events": sorted(seen), "view": view}
            if missing:
                raise DrillFailed("the stream delivered " + "; ".join(missing))
            m.reason = "INSERT with the new image, MODIFY with both, REMOVE with the old image"
        return self._measure("drill.streams", C_STREAMS, table.name, body)

    # -------------------------------------------------------------------------------------- restores

    def restore(self, table: TableSpec, kind: str = "pitr", *, wait: float | None = None) -> Measurement:
        """Restore into <table>-restore-<kind>-<run> as of a named point: a seeded sample written before the
        point must come back whole (count and content hash), an item written after it must not; RTO to
        ACTIVE with the sample readable, the PITR RPO, what the restored table lacks (the re-hydration
        checklist). Then the restore table is deleted, and that it is gone is its own verdict
        (``drill.restore.deleted``).

        The point is the moment right after the sample (PITR) or the backup (on demand). Where the target's
        restorable window does not move (moto freezes it when PITR is enabled and restores current data
        whatever the point), a point-in-time restore cannot be shown: UNVERIFIABLE with what it answered,
        never a PASS, and never a FAIL for a window that only looks old because the emulator is long-lived.
        """
        env = self.desired.env
        budget = wait if wait is not None else env.rto_minutes * 60 * 1.5
        rpo_limit = env.rpo_minutes.get("pitr", 5) * 60

        def body(m: Measurement) -> None:
            if "restore" not in self.allow:  # before the sample is written: a refused drill writes nothing
                raise ReadOnlyViolation("restoring a table refused: this run is not allowed restore "
                                        "(--allow restore)")
            client = self.client()
            target = self.scope.restore_table(table.name, kind)
            base = 400 if kind == "pitr" else 420
            sample = [generate_item(table.table, self.scope, base + n) for n in range(RESTORE_SAMPLE)]
            for item in sample:
                self.put(table, item)
            figures: list[dict[str, Any]] = []
            m.details = {"restored_table": target, "sample": len(sample)}
            if kind == "pitr":
                point, lag = self._restorable_point(client, table, rpo_limit)
                figures.append(figure("rpo_pitr", lag, "s", rpo_limit))
                m.details["restore_point"] = point.isoformat()
                time.sleep(POINT_MARGIN_SECONDS)  # and the later item strictly after it
            else:
                name = f"readiness-{table.name}-{self.scope.token}"
                backup = _attempt(f"CreateBackup({table.name})", lambda: client.create_backup(
                    TableName=table.name, BackupName=name)["BackupDetails"])
                backup_arn = str(backup["BackupArn"])
                self.backups.add(backup_arn)
                self._until(lambda: client.describe_backup(BackupArn=backup_arn)["BackupDescription"]
                            ["BackupDetails"]["BackupStatus"] == "AVAILABLE", budget, "the backup to be AVAILABLE")
            later = generate_item(table.table, self.scope, base + RESTORE_SAMPLE)  # after the point: not restored
            self.put(table, later)
            started = self.clock()
            with self._lock:
                self.restore_tables.add((env.region, target))
            m.details["restore_requested"] = True
            if kind == "pitr":
                _attempt(f"RestoreTableToPointInTime({table.name})", lambda: client.restore_table_to_point_in_time(
                    SourceTableName=table.name, TargetTableName=target, RestoreDateTime=point))
            else:
                _attempt(f"RestoreTableFromBackup({table.name})", lambda: client.restore_table_from_backup(
                    TargetTableName=target, BackupArn=backup_arn))
            self._until(lambda: client.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE",
                        budget, f"{target} to be ACTIVE")
            keys = [to_ddb(self._key(table.table, item)) for item in sample]
            self._until(lambda: any(client.get_item(TableName=target, Key=k, ConsistentRead=True).get("Item")
                                    for k in keys), 60.0, "the sample in the restored table")
            rto = self.clock() - started
            figures.insert(0, figure("rto", rto, "s", env.rto_minutes * 60))
            m.figures = figures
            got = [client.get_item(TableName=target, Key=k, ConsistentRead=True).get("Item") for k in keys]
            restored = [from_ddb(i) for i in got if i is not None]
            want_hash, got_hash = content_hash([from_ddb(to_ddb(i)) for i in sample]), content_hash(restored)
            figures.append(figure("sample_restored", len(restored), "count", len(sample), "min"))
            m.details.update(sample_sha256=want_hash, restored_sha256=got_hash)
            leaked = client.get_item(TableName=target, Key=to_ddb(self._key(table.table, later)),
                                     ConsistentRead=True).get("Item")
            if leaked is not None:
                evidence = (f"{target} holds {later[table.table.partition.attribute]}, written after the restore "
                            f"point {m.details.get('restore_point', 'of the backup')}: the restore copied current "
                            "data, not the table as of the point")
                if self.target.kind != "aws":
                    raise DrillUnverifiable(evidence)
                raise DrillFailed(evidence)
            if len(restored) != len(sample) or want_hash != got_hash:
                raise DrillFailed(f"{target} holds {len(restored)} of the {len(sample)} sample items written "
                                  f"before the restore point" + ("" if len(restored) != len(sample) else
                                                                  f", with other content (sha256 {got_hash[:12]} "
                                                                  f"!= {want_hash[:12]})"))
            gaps = self._rehydration(target, table)
            m.details["rehydration_checklist"] = gaps
            over = [f"{f['name']} {f['value']:g} s > {f['target']:g} s" for f in figures
                    if f.get("value") is not None and f.get("unit") == "s" and "target" in f
                    and f["value"] > f["target"]]
            if over:
                raise DrillFailed("; ".join(over))
            m.reason = (f"restored into {target} in {rto:.1f} s (RTO target {env.rto_minutes:g} min); the "
                        f"{len(sample)} sample items came back whole, the later item did not; "
                        f"re-hydrate: {', '.join(gaps) if gaps else 'nothing'}")

        measured = self._measure(f"drill.restore.{kind}", C_RESTORE, table.name, body)
        if measured.details.get("restore_requested"):
            self._deleted(kind, table)
        return measured

    def _restorable_point(self, client: Any, table: TableSpec, rpo_limit: float) -> tuple[datetime, float | None]:
        """The restore point (now, just after the sample) once the table's restorable window has reached it,
        and the window's lag behind the clock (the PITR RPO) when it was first read."""
        def latest() -> tuple[dict[str, Any], datetime | None]:
            cb = _attempt(f"DescribeContinuousBackups({table.name})", lambda: client.describe_continuous_backups(
                TableName=table.name)["ContinuousBackupsDescription"])
            pitr = cb.get("PointInTimeRecoveryDescription", {})
            when = pitr.get("LatestRestorableDateTime")
            return pitr, when if isinstance(when, datetime) else None

        pitr, first = latest()
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            raise DrillFailed("PITR is not enabled: there is nothing to restore from")
        time.sleep(POINT_MARGIN_SECONDS)  # the sample is strictly before the point, whatever the rounding
        point = self.now()
        if first is None:
            raise DrillUnverifiable(f"DescribeContinuousBackups({table.name}) answered no LatestRestorableDateTime")
        lag = (point - first).total_seconds()
        if first >= point:
            return point, max(lag, 0.0)
        if self.target.kind != "aws":  # an emulator: does its window move at all?
            time.sleep(FROZEN_PROBE_SECONDS)
            _, again = latest()
            if again is None or again <= first:
                raise DrillUnverifiable(
                    f"DescribeContinuousBackups({table.name}) answered LatestRestorableDateTime {first.isoformat()} "
                    f"({lag:.0f} s before the restore point) and the same again {FROZEN_PROBE_SECONDS:g} s later: "
                    "the restorable window does not move here, so a restore as of a point in time cannot be "
                    "shown (moto restores current data whatever the point)")
        self._until(lambda: (latest()[1] or point) > point, max(rpo_limit * 1.5, 1.0),
                    f"the restorable window of {table.name} to reach {point.isoformat()}")
        return point, lag

    def _deleted(self, kind: str, table: TableSpec) -> Measurement:
        """"Deleted afterwards" as its own verdict: the run's restore table is gone (or going), and so is any
        other drill restore table of this table; a leftover FAILs, named."""
        own = self.scope.restore_table(table.name, kind)

        def body(m: Measurement) -> None:
            client = self.client()
            names = _attempt("ListTables", lambda: [n for p in client.get_paginator("list_tables").paginate()
                                                    for n in p.get("TableNames", [])])
            left = []
            for name in names:
                if name != own and not (self._is_restore_table(name, own=False)
                                        and name.startswith(f"{table.name}-restore-")):
                    continue
                status = _attempt(f"DescribeTable({name})", lambda n=name: client.describe_table(  # type: ignore[misc]
                    TableName=n)["Table"].get("TableStatus"))
                if status != "DELETING":
                    left.append(f"{name} ({status})")
            m.figures = [figure("restore_tables_left", len(left), "count", 0, "max")]
            if left:
                raise DrillFailed(f"restore tables left behind: {', '.join(left)}")
            m.reason = f"{own} is deleted (no restore table of {table.name} is left)"
        return self._measure("drill.restore.deleted", C_RESTORE, f"{table.name} ({kind})", body)

    def backup_rpo(self, table: TableSpec) -> Measurement:
        """RPO of the hourly backups of one table: the age of its newest completed recovery point in every
        vault the contract requires (PROD's DR copy vault too), with the failed backup jobs of the last day
        named. Only reads, so it runs by default everywhere."""
        env = self.desired.env
        limit = env.rpo_minutes.get("backup", 60) * 60
        vaults = [(env.region, env.backup.vault)]
        if env.backup.copy is not None:
            vaults.append((env.backup.copy.region, env.backup.copy.vault))

        def body(m: Measurement) -> None:
            m.figures = [figure(f"rpo_backup {vault}", None, "s", limit) for _, vault in vaults]
            if not self.target.serves("backup"):
                raise DrillUnverifiable("it serves DynamoDB only: there is no AWS Backup vault to read")
            figures: list[dict[str, Any]] = []
            problems: list[str] = []
            for region, vault in vaults:
                points, jobs = self._vault(region, vault)
                mine = [p for p in points if str(p.get("ResourceArn", "")).endswith(f":table/{table.name}")]
                failed = sorted({f"{j.get('BackupJobId', '?')} ({j.get('State')}: "
                                 f"{str(j.get('StatusMessage') or 'no message')[:120]})"
                                 for j in jobs if str(j.get("ResourceArn", "")).endswith(f":table/{table.name}")})
                if failed:
                    m.details.setdefault("failed_jobs", {})[vault] = failed
                newest = max((p["CreationDate"] for p in mine if p.get("Status") in (None, "COMPLETED")
                              and isinstance(p.get("CreationDate"), datetime)), default=None)
                age = None if newest is None else (self.now() - newest).total_seconds()
                figures.append(figure(f"rpo_backup {vault}", age, "s", limit))
                figures.append(figure(f"recovery_points {vault}", len(mine), "count"))
                jobs_said = f"; failed jobs: {', '.join(failed[:3])}" if failed else ""
                if age is None:
                    problems.append(f"{vault}@{region} holds no completed recovery point of {table.name}{jobs_said}")
                elif age > limit:
                    problems.append(f"the newest recovery point of {table.name} in {vault}@{region} is "
                                    f"{age / 60:.0f} min old > {limit / 60:g} min{jobs_said}")
            m.figures = figures
            if problems:
                raise DrillFailed("; ".join(problems))
            ages = [f["value"] for f in figures if f["name"].startswith("rpo_backup")]
            m.reason = (f"the newest recovery point in each of {len(vaults)} vault(s) is at most "
                        f"{max(ages) / 60:.1f} min old (RPO {limit / 60:g} min)")
        return self._measure("drill.rpo.backup", C_RESTORE, table.name, body)

    def _vault(self, region: str, vault: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A vault's recovery points and its failed, aborted or expired jobs of the last day, read once per
        run (every table's RPO drill reads the same vault)."""
        with self._lock:
            cached = self._vaults.get((region, vault))
        if cached is not None:
            return cached
        backup = self.target.client("backup", region)
        points = _attempt(f"ListRecoveryPointsByBackupVault({vault})@{region}",
                          lambda: [p for page in backup.get_paginator("list_recovery_points_by_backup_vault")
                                   .paginate(BackupVaultName=vault) for p in page.get("RecoveryPoints", [])])
        try:
            jobs = [j for page in backup.get_paginator("list_backup_jobs").paginate(
                        ByBackupVaultName=vault, ByCreatedAfter=datetime.now(UTC) - timedelta(days=1))
                    for j in page.get("BackupJobs", []) if j.get("State") in ("FAILED", "ABORTED", "EXPIRED")]
        except Exception:  # the jobs only explain a stale recovery point; the points decide the verdict
            jobs = []
        with self._lock:
            self._vaults[(region, vault)] = (points, jobs)
        return points, jobs

    def _rehydration(self, restored: str, table: TableSpec) -> list[str]:
        """What AWS does not restore and the contract wants: tags, stream, PITR, deletion protection, alarms."""
        client = self.client()
        env = self.desired.env
        gaps: list[str] = []
        desc = client.describe_table(TableName=restored)["Table"]
        if table.table.stream and not (desc.get("StreamSpecification") or {}).get("StreamEnabled"):
            gaps.append(f"stream {table.table.stream}")
        try:
            pitr = client.describe_continuous_backups(TableName=restored)["ContinuousBackupsDescription"]
            if env.pitr_enabled and pitr.get("PointInTimeRecoveryDescription", {}).get(
                    "PointInTimeRecoveryStatus") != "ENABLED":
                gaps.append("PITR")
        except ClientError:
            gaps.append("PITR (not readable)")
        if env.deletion_protection and not desc.get("DeletionProtectionEnabled"):
            gaps.append("deletion protection")
        try:
            tags = {t["Key"] for t in client.list_tags_of_resource(ResourceArn=desc["TableArn"]).get("Tags", [])}
            missing = sorted(set(env.tags) - tags)
            if missing:
                gaps.append(f"tags ({', '.join(missing)})")
        except ClientError:
            gaps.append("tags (not readable)")
        gaps.append("alarms and dashboard rows (they name the source table)")
        gaps.append("backup selection (lists the source table's ARN)")
        return gaps

    def _until(self, probe: Callable[[], Any], seconds: float, what: str) -> Any:
        """Poll probe (0.2 s growing 1.5x to 5 s) until it answers something true; progress on a terminal."""
        deadline = self.clock() + seconds
        delay = 0.2
        with progress(f"waiting for {what}") as shown:
            while True:
                try:
                    result = probe()
                except ClientError as exc:
                    if is_unsupported(exc):
                        raise DrillUnverifiable(describe_failure(exc)) from None
                    if error_parts(exc)[1] != "ResourceNotFoundException":
                        raise
                    result = None
                if result:
                    return result
                if self.clock() >= deadline:
                    raise DrillFailed(f"gave up waiting for {what} after {seconds:g} s")
                shown.update(limit_s=round(seconds))
                time.sleep(delay)
                delay = min(delay * 1.5, 5.0)

    # ------------------------------------------------------------------------------------------ load

    def load(self, logical: str = "orders", *, workers: int = 1) -> Measurement:
        """The environment's load profile (the contract's rates on AWS, its local profile on an emulator)
        driven by Locust in its own processes against one table; PASS at >= 97% of each rate, no throttle,
        p99 within the limit. The seeded test items go through this run's guarded client."""
        from readiness.load import LoadError, load_profile, run_load  # Locust stays out of this process

        env = self.desired.env
        spec = self._logical(logical)
        profile = load_profile(env, self.target.kind)

        def body(m: Measurement) -> None:
            try:
                result = run_load([spec.table], region=env.region, writes_per_second=profile.writes_per_second,
                                  reads_per_second=profile.reads_per_second,
                                  duration_seconds=profile.duration_seconds, p99_latency_ms=profile.p99_latency_ms,
                                  target=self.target, table_name=env.table_name, workers=workers,
                                  scope=self.scope, client=self.client())
            except LoadError as exc:
                raise DrillFailed(str(exc)) from None
            verdict = result.verdict()
            m.figures = result.figures()
            m.details = {"profile": "live" if self.target.kind == "aws" else "local", "workers": result.workers,
                         "users": result.users, "api_calls": sum(result.api_calls.values()),
                         **({"notes": list(result.notes)} if result.notes else {})}
            m.status, m.reason = verdict.status, verdict.reason
            if result.items_left:
                m.details["items_left"] = result.items_left
        return self._measure("drill.load", C_LOAD, spec.name, body)

    # ----------------------------------------------------------------------------------- replication

    def replication(self, table: TableSpec, *, canaries: int = CANARIES, poll: float = 0.05,
                    timeout: float = 30.0) -> Measurement:
        """Canaries written in the primary region, polled in each replica region: lag percentiles."""
        env = self.desired.env

        def body(m: Measurement) -> None:
            if not env.replication:
                m.status = NOT_APPLICABLE
                m.reason = f"not applicable: the contract gives {env.name} no replica region"
                return
            for region in env.replication.regions:
                remote = self.client(region)
                try:
                    remote.describe_table(TableName=table.name)
                except ClientError as exc:
                    gap = self.target.silent_gaps.get("replicas")
                    raise DrillUnverifiable(f"DescribeTable({table.name})@{region} answered "
                                            f"{describe_failure(exc)}" + (f"; {gap}" if gap else "")) from None
                lags: list[float] = []
                window_start = datetime.now(UTC)
                for n in range(canaries):
                    canary = generate_item(table.table, self.scope, 500 + n)
                    key = to_ddb(self._key(table.table, canary))
                    self.put(table, canary)
                    written = self.clock()
                    while remote.get_item(TableName=table.name, Key=key).get("Item") is None:
                        if self.clock() - written > timeout:
                            raise DrillFailed(f"canary {canary['PK']} not in {region} after {timeout:g} s")
                        time.sleep(poll)
                    lags.append(self.clock() - written)
                limit = env.replication.lag_p99_seconds
                m.figures = [figure("lag_p50", percentile(lags, 50), "s"), figure("lag_p95", percentile(lags, 95), "s"),
                             figure("lag_p99", percentile(lags, 99), "s", limit),
                             figure("canaries", len(lags), "count"),
                             figure("cloudwatch_replication_latency", self._replication_latency(
                                 table.name, region, window_start), "s")]
                m.details["poll_interval_s"] = poll
                if percentile(lags, 99) > limit:
                    raise DrillFailed(f"lag p99 {percentile(lags, 99):.3f} s to {region} > {limit:g} s")
                m.reason = f"{len(lags)} canaries reached {region}; p99 {percentile(lags, 99):.3f} s <= {limit:g} s"
        return self._measure("drill.replication_lag", C_LAG, table.name, body)

    def _replication_latency(self, table: str, region: str, since: datetime) -> float | None:
        """CloudWatch's ReplicationLatency (ms) for the probe's window, as seconds, when it has data."""
        try:
            cw = self.target.client("cloudwatch", self.desired.env.region)
            points = cw.get_metric_statistics(
                Namespace="AWS/DynamoDB", MetricName="ReplicationLatency",
                Dimensions=[{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": region}],
                StartTime=since - timedelta(minutes=1), EndTime=datetime.now(UTC) + timedelta(minutes=1),
                Period=60, Statistics=["Maximum"]).get("Datapoints", [])
        except Exception:
            return None
        return max(p["Maximum"] for p in points) / 1000.0 if points else None



# ---------------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class DrillSpec:
    """A drill of the contract and the scenario that runs it: every one gets a verdict in every run."""

    id: str
    criterion: str
    scenario: str  # the feature scenario whose When step runs the drill
    markers: frozenset[str]  # that scenario's tags (tests/test_drills.py holds the features to them)
    tables: tuple[str, ...] = ()  # logical tables of a one-off drill; empty: one verdict per table
    replicated_only: bool = False  # NOT APPLICABLE where the contract gives the environment no replica


CATALOGUE: tuple[DrillSpec, ...] = (
    DrillSpec("drill.access", C_ACCESS, "Every access pattern finds the items written",
              frozenset({"writes", "access_patterns"})),
    DrillSpec("drill.locking", C_LOCKING, "A stale version is rejected and concurrent writers lose nothing",
              frozenset({"writes", "optimistic_locking"}), tables=("orders",)),
    DrillSpec("drill.transaction", C_TRANSACTION, "An order and its campaign commit or roll back together",
              frozenset({"writes", "transactions"}), tables=("orders", "campaigns")),
    DrillSpec("drill.streams", C_STREAMS, "The streams deliver new and old images for every change",
              frozenset({"writes", "stream_images"})),
    DrillSpec("drill.restore.pitr", C_RESTORE, "A point-in-time restore meets the RTO and the PITR RPO",
              frozenset({"restore", "writes", "restore_drill"})),
    DrillSpec("drill.restore.backup", C_RESTORE, "A restore from an on-demand backup meets the RTO",
              frozenset({"restore", "writes", "restore_drill"})),
    DrillSpec("drill.rpo.backup", C_RESTORE, "The newest hourly recovery point is within the backup RPO",
              frozenset({"backup_rpo"})),
    DrillSpec("drill.replication_lag", C_LAG, "Changes reach the DR region within the lag limit",
              frozenset({"replication", "writes", "replication_lag"}), replicated_only=True),
    DrillSpec("drill.load", C_LOAD, "The contract's rates are sustained without throttling",
              frozenset({"load", "sustained_load"}), tables=("orders",)),
)
DRILL_MARKERS = frozenset(m for spec in CATALOGUE for m in spec.markers) - {"writes", "restore", "load",
                                                                          "replication"}


def not_run(desired: Desired, measured: list[Measurement], *, allow: frozenset[str], target_kind: str,
            no_deploy: bool, runner: str) -> list[Measurement]:
    """A verdict for every drill of the catalogue this run did not measure: NOT APPLICABLE where the
    contract says so, else UNVERIFIABLE "not run" with why and what would run it (``details.needs``).

    ``runner`` is "pytest" (the scenarios were offered: a drill that did not run was refused, deselected
    or stopped by an earlier step) or "cli" (``python -m readiness verify`` runs only the read-only drills).
    The reason comes from :func:`readiness.safety.refusal`, the same function that skips the scenario.
    """
    from readiness.safety import refusal

    env = desired.env
    by_logical = {t.logical: t.name for t in desired.tables}
    done: dict[str, set[str]] = {}
    for m in measured:
        done.setdefault(m.id, set()).add(m.resource)
    out: list[Measurement] = []
    for spec in CATALOGUE:
        resources = ([" + ".join(by_logical.get(t, t) for t in spec.tables)] if spec.tables
                     else [t.name for t in desired.tables])
        if spec.tables and spec.id in done:
            continue  # a one-off drill that ran: its measurement is its verdict
        for resource in resources:
            if resource in done.get(spec.id, set()):
                continue
            if spec.replicated_only and env.replication is None:
                out.append(Measurement(spec.id, spec.criterion, resource, NOT_APPLICABLE,
                                       f"not applicable: the contract gives {env.name} no replica region "
                                       "(cross-region replication is PROD's)"))
                continue
            refused = refusal(spec.markers, allow, env.name, target_kind, no_deploy)
            needs = _needs(spec, allow, env.name, target_kind, no_deploy)
            if refused:
                reason = f"not run: {refused}"
            elif spec.id in done:
                reason = f"not run on this table: the run drilled only {', '.join(sorted(done[spec.id]))}"
                needs = "--restore-table all" if spec.id.startswith("drill.restore.") else needs
            elif runner == "cli":
                reason = ("not run: python -m readiness verify runs only the read-only drills; the scenario "
                          f"'{spec.scenario}' runs under pytest -m acceptance")
                needs = f"pytest -m acceptance --env {env.name} --target {target_kind}" + (
                    f" {needs}" if needs.startswith("--allow") else "")
            else:
                reason = (f"not run: the scenario '{spec.scenario}' was deselected, or a step before its drill "
                          "stopped it")
                needs = f"run the scenario '{spec.scenario}'" + (f" with {needs}" if needs.startswith("--") else "")
            out.append(Measurement(spec.id, spec.criterion, resource, UNVERIFIABLE, reason,
                                   details={"needs": needs}))
    return out


def _needs(spec: DrillSpec, allow: frozenset[str], env: str, target_kind: str, no_deploy: bool) -> str:
    """The option (or target) that would let the drill run here."""
    if target_kind == "plan":
        return "a target that is an account: --target aws (or an emulator) instead of a plan"
    if target_kind != "aws" and not no_deploy:
        return "nothing more: an emulator the suite deploys into allows every drill"
    words = sorted((spec.markers & {"writes", "restore", "load"}) - allow)
    if "load" in spec.markers and env == "prod" and "load-prod" not in allow:
        words.append("load-prod")
    return f"--allow {','.join(words)}" if words else "nothing more: it is allowed here"
