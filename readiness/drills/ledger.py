"""The ledger of what a run's drills wrote: every test item and restore table is recorded before it is
written and removed in ``finally`` (:meth:`Ledger.cleaning`), also when a step fails; :meth:`Ledger.sweep`
removes the orphans of a killed run (bounded scan, conditional deletes on the marker attribute)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from readiness.contract.desired import Desired, TableSpec
from readiness.drills.core import SWEEP_PAGES, attempt, from_ddb, key_of, to_ddb
from readiness.drills.scope import WriteGuard
from readiness.outcome import describe_failure, error_parts
from readiness.testitems import EXPIRES, MARKER, key_prefix


class Ledger:
    """Every item, restore table and backup one run's drills wrote, and their removal."""

    def __init__(self, desired: Desired, guard: WriteGuard, client: Callable[[str | None], Any],
                 clock: Callable[[], float]) -> None:
        self.desired = desired
        self.region = desired.env.region
        self.guard = guard
        self.scope = guard.scope
        self.client = client  # region (None: the primary) -> the run's guarded DynamoDB client
        self.clock = clock
        self.written: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}  # (region, table) -> PK -> key
        self.restore_tables: set[tuple[str, str]] = set()  # (region, table)
        self.backups: set[str] = guard.ledger_backups
        self.lock = threading.Lock()

    def record(self, table: TableSpec, item: Mapping[str, Any], region: str | None = None) -> None:
        """Remember an item this run writes (or is about to write), for the cleanup."""
        with self.lock:
            self.written.setdefault((region or self.region, table.name), {})[
                str(item[table.table.partition.attribute])] = key_of(table.table, item)


    def cleanup(self) -> list[str]:
        """Delete every item and table this run wrote (idempotent); what could not be deleted is returned."""
        problems: list[str] = []
        with self.lock:
            written = {k: dict(v) for k, v in self.written.items()}
            tables = set(self.restore_tables)
            backups = set(self.backups)
        for (region, table), keys in written.items():
            client = self.client(region)
            for pk, key in keys.items():
                try:
                    client.delete_item(TableName=table, Key=to_ddb(key))
                    with self.lock:
                        self.written.get((region, table), {}).pop(pk, None)
                except Exception as exc:  # keep going: one failure must not leave the rest behind
                    problems.append(f"{table} {pk}: {describe_failure(exc)}")
        for region, name in tables:
            problem = self.delete_table(region, name)
            if problem:
                problems.append(problem)
            else:
                with self.lock:
                    self.restore_tables.discard((region, name))
        for arn in backups:
            try:
                self.client(None).delete_backup(BackupArn=arn)
                with self.lock:
                    self.backups.discard(arn)
            except ClientError as exc:
                if error_parts(exc)[1] not in ("BackupNotFoundException",):
                    problems.append(f"backup {arn}: {describe_failure(exc)}")
        return problems

    def delete_table(self, region: str, name: str, wait: float = 600.0) -> str | None:
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
        client = self.client(None)
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
                page = attempt(f"Scan({spec.name})", partial(client.scan, **kwargs))
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
        tables = attempt("ListTables", lambda: [n for p in client.get_paginator("list_tables").paginate()
                                                 for n in p.get("TableNames", [])])
        for name in tables:
            if self.guard.is_restore_table(name, own=False) and not self.guard.is_restore_table(name, own=True) \
                    and self.delete_table(self.region, name, wait=0) is None:
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
