"""The bench a run's drills work at: its target and contract, its scope, guarded clients and ledger, the
clocks, and how one drill is measured (:meth:`Bench.measure`) and waited on (:meth:`Bench.until`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from readiness.contract.desired import Desired, TableSpec
from readiness.drills.core import DRILLED, SWEEP_PAGES, DrillFailed, DrillUnverifiable, Sheet, attempt, to_ddb
from readiness.drills.ledger import Ledger
from readiness.drills.scope import WriteGuard
from readiness.outcome import FAIL, UNVERIFIABLE, Kind, Verdict, classify, describe_failure
from readiness.progress import progress
from readiness.targets.base import ReadOnlyViolation, Target
from readiness.testitems import ItemSchemaError, RunScope

WAITED: dict[Kind, str] = {kind: "unverifiable" if kind is Kind.UNSUPPORTED else
                           "not yet" if kind is Kind.NOT_FOUND else "raise" for kind in Kind}
"""What a wait makes of each kind of failed probe: the table or backup is not there yet (keep polling), the
target does not do the call (UNVERIFIABLE), or anything else (the drill's measure decides)."""


class Bench:
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
        self.measurements: list[Verdict] = []
        self.write_guard = WriteGuard(desired, self.scope, self.allow, set())
        self.ledger = Ledger(desired, self.write_guard, lambda region: self.client(region), clock)
        self.lock = self.ledger.lock
        self.vaults: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    # ------------------------------------------------------------------------------- scope and clients

    def client(self, region: str | None = None, service: str = "dynamodb") -> Any:
        return self.target.client(service, region or self.desired.env.region, guard=self.guard)

    def guard(self, operation: str, params: Mapping[str, Any]) -> None:
        """Refuse any write outside this run's test items and restore tables (ReadOnlyViolation)."""
        self.write_guard.guard(operation, params)

    # ------------------------------------------------------------------------------ writing and cleanup

    @property
    def written(self) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
        return self.ledger.written

    @property
    def restore_tables(self) -> set[tuple[str, str]]:
        return self.ledger.restore_tables

    @property
    def backups(self) -> set[str]:
        return self.ledger.backups

    def put(self, table: TableSpec, item: dict[str, Any], region: str | None = None, **kwargs: Any) -> Any:
        where = region or self.desired.env.region
        self.record(table, item, where)  # first: an interrupted put is still cleaned up
        return attempt(f"PutItem({table.name})",
                       lambda: self.client(where).put_item(TableName=table.name, Item=to_ddb(item), **kwargs))

    def record(self, table: TableSpec, item: Mapping[str, Any], region: str | None = None) -> None:
        """Remember an item this run writes (or is about to write), for the cleanup."""
        self.ledger.record(table, item, region)

    def cleanup(self) -> list[str]:
        """Delete every item and table this run wrote (idempotent); what could not be deleted is returned."""
        return self.ledger.cleanup()

    def sweep(self, *, pages: int = SWEEP_PAGES, now: float | None = None) -> list[str]:
        """Remove what killed runs left: their expired test items (bounded scan) and restore tables."""
        return self.ledger.sweep(pages=pages, now=now)

    @contextmanager
    def cleaning(self) -> Iterator[None]:
        """Clean up when the block ends, however it ends."""
        with self.ledger.cleaning():
            yield

    # ------------------------------------------------------------------------------------- measuring

    def measure(self, drill_id: str, criterion: str, resource: str, body: Callable[[Sheet], None]
                 ) -> Verdict:
        m = Sheet()
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
            m.status = DRILLED[classify(exc)]
            m.reason = f"{self.target.label} answered {describe_failure(exc)}"
        except Exception as exc:  # the endpoint went away, an answer botocore cannot parse: never end the run
            m.status, m.reason = UNVERIFIABLE, f"{self.target.label}: {describe_failure(exc)}"
        verdict = m.verdict(drill_id, criterion, resource)
        self.measurements.append(verdict)
        return verdict

    def logical(self, logical: str) -> TableSpec:
        found = next((t for t in self.desired.tables if t.logical == logical), None)
        if found is None:
            raise DrillFailed(f"the environment has no {logical} table")
        return found

    def table_with(self, attribute: str) -> TableSpec:
        for t in self.desired.tables:
            if attribute in t.table.item_schema.get("properties", {}):
                return t
        raise DrillFailed(f"no table's item schema has {attribute!r}")

    def until(self, probe: Callable[[], Any], seconds: float, what: str) -> Any:
        """Poll probe (0.2 s growing 1.5x to 5 s) until it answers something true; progress on a terminal."""
        deadline = self.clock() + seconds
        delay = 0.2
        with progress(f"waiting for {what}") as shown:
            while True:
                try:
                    result = probe()
                except Exception as exc:  # what the probe's failure means decides: wait on, give up, or raise
                    if WAITED[classify(exc)] == "unverifiable":
                        raise DrillUnverifiable(describe_failure(exc)) from None
                    if WAITED[classify(exc)] != "not yet":
                        raise
                    result = None
                if result:
                    return result
                if self.clock() >= deadline:
                    raise DrillFailed(f"gave up waiting for {what} after {seconds:g} s")
                shown.update(limit_s=round(seconds))
                time.sleep(delay)
                delay = min(delay * 1.5, 5.0)
