"""Behaviour drills: the steps run a drill of the engine (readiness/drills/) and assert on what it measured."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from pytest_bdd import parsers, then, when

from readiness.contract.desired import TableSpec
from readiness.drills import Drills, Measurement
from readiness.run import Run
from readiness.safety import parse_allow
from steps.common import TYPES, agree, expect


@pytest.fixture
def drills(run: Run, request: pytest.FixtureRequest) -> Drills:
    """The run's drills: one scope of test items, swept of orphans once, cleaned up at the end of the run."""
    return run.drilling(parse_allow(request.config.getoption("--allow")))


def chosen_tables(run: Run, request: pytest.FixtureRequest) -> list[TableSpec]:
    """--restore-table NAME (logical or physical) narrows the restore drills to one table; default every table."""
    choice = request.config.getoption("--restore-table")
    if choice in (None, "", "all"):
        return list(run.desired.tables)
    found = [t for t in run.desired.tables if choice in (t.logical, t.name)]
    if not found:
        raise pytest.UsageError(f"--restore-table {choice}: not a table of {run.desired.env.name} "
                                f"({', '.join(t.logical for t in run.desired.tables)})")
    return found


## When


@when("test items generated from each item schema are written to every table", target_fixture="measured")
def access(drills: Drills) -> list[Measurement]:
    """drill access: write, read back, look up through every access pattern."""
    return [drills.access(t) for t in drills.desired.tables]


@when("concurrent writers update one order with conditional writes on its version", target_fixture="measured")
def locking(drills: Drills) -> list[Measurement]:
    """drill locking."""
    return [drills.locking()]


@when("an order and its campaign are written in one transaction, and again with a failing condition",
      target_fixture="measured")
def transaction(drills: Drills) -> list[Measurement]:
    """drill transaction."""
    return [drills.transaction()]


@when("a test item is inserted, modified and removed in every table", target_fixture="measured")
def streams(drills: Drills) -> list[Measurement]:
    """drill streams."""
    return [drills.streams(t) for t in drills.desired.tables]


def _with_what_followed(drills: Drills, run: Callable[[], Measurement]) -> list[Measurement]:
    """A drill's measurement and those it added after it (a restore's "deleted afterwards")."""
    before = len(drills.measurements)
    run()
    return drills.measurements[before:]


@when("each table is restored as of a point after a seeded sample into a drill table", target_fixture="measured")
def restore_pitr(drills: Drills, run: Run, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill restore (PITR), then drill restore.deleted."""
    return [m for t in chosen_tables(run, request)
            for m in _with_what_followed(drills, partial(drills.restore, t, "pitr"))]


@when("each table is backed up on demand after a seeded sample and restored from that backup into a drill table",
      target_fixture="measured")
def restore_backup(drills: Drills, run: Run, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill restore (on-demand backup), then drill restore.deleted."""
    return [m for t in chosen_tables(run, request)
            for m in _with_what_followed(drills, partial(drills.restore, t, "backup"))]


@when("the newest recovery point of each table is read in every backup vault the contract requires",
      target_fixture="measured")
def backup_rpo(drills: Drills) -> list[Measurement]:
    """drill RPO of the hourly backups, per table (read-only: runs by default everywhere)."""
    return [drills.backup_rpo(t) for t in drills.desired.tables]


@when("canary items are written in the primary region and polled in each replica region", target_fixture="measured")
def replication(drills: Drills, run: Run) -> list[Measurement]:
    """drill replication lag (prod)."""
    if run.desired.env.replication is None:  # the report says NOT APPLICABLE (drills.not_run)
        pytest.skip(f"NOT APPLICABLE: the contract gives {run.desired.env.name} no replica region")
    return [drills.replication(t) for t in drills.desired.tables]


@when("the environment's load profile is driven against the orders table", target_fixture="measured")
def load(drills: Drills, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill load (Locust in its own processes)."""
    return [drills.load(workers=int(request.config.getoption("--load-workers")))]


## Then


@then("every item reads back by its key, every access pattern finds it, and no sparse index holds an inactive item")
def access_ok(run: Run, measured: list[Measurement]) -> None:
    """drill.access of every table: each item written reads back, every access pattern finds it."""
    expect(run, "drill.access", measured=measured)


@then("the stale version is rejected and no update is lost")
def locking_ok(run: Run, measured: list[Measurement]) -> None:
    """drill.locking: the conditional update on a stale version fails and the concurrent writers lose nothing."""
    expect(run, "drill.locking", measured=measured)


@then("the first transaction is committed as a whole and the second leaves nothing behind")
def transaction_ok(run: Run, measured: list[Measurement]) -> None:
    """drill.transaction: the order and its campaign commit together, the failing condition rolls both back."""
    expect(run, "drill.transaction", measured=measured)


@then("each stream delivers the insert with the new image, the change with both images and the removal with the "
      "old image")
def streams_ok(run: Run, measured: list[Measurement]) -> None:
    """drill.streams of every table: the stream records of an insert, a change and a removal, with their images."""
    expect(run, "drill.streams", measured=measured)


@then(parsers.parse("each restored {row_env} table is ACTIVE within the RTO of {rto:Number} minutes with the sample "
                    "whole and nothing written after the point, with the RPO within {rpo:Number} minutes, and is "
                    "deleted afterwards", extra_types=TYPES))
def restored_ok(run: Run, measured: list[Measurement], row_env: str, rto: float, rpo: float) -> None:
    """drill.restore.pitr (time to ACTIVE against the RTO, restore point against the PITR RPO, the sample) and
    drill.restore.deleted, once the feature's RTO and RPO are the contract's."""
    agree(run, row_env, rto_minutes=rto, pitr_rpo_minutes=rpo)
    expect(run, "drill.restore.pitr", "drill.restore.deleted", measured=measured)


@then(parsers.parse("each restored {row_env} table is ACTIVE within the RTO of {rto:Number} minutes with the sample "
                    "whole and nothing written after the backup, and is deleted afterwards", extra_types=TYPES))
def restored_from_backup_ok(run: Run, measured: list[Measurement], row_env: str, rto: float) -> None:
    """drill.restore.backup (time to ACTIVE against the RTO, the sample) and drill.restore.deleted, once the
    feature's RTO is the contract's."""
    agree(run, row_env, rto_minutes=rto)
    expect(run, "drill.restore.backup", "drill.restore.deleted", measured=measured)


@then(parsers.parse("each is younger than the {row_env} backup RPO of {rpo:Number} minutes, with any failed backup "
                    "job named", extra_types=TYPES))
def backup_rpo_ok(run: Run, measured: list[Measurement], row_env: str, rpo: float) -> None:
    """drill.rpo.backup of every table: the age of its newest recovery point in each vault against the backup RPO,
    once the feature's RPO is the contract's."""
    agree(run, row_env, backup_rpo_minutes=rpo)
    expect(run, "drill.rpo.backup", measured=measured)


@then(parsers.parse("the {row_env} replication lag p99 to {regions} is under {lag:Number} seconds", extra_types=TYPES))
def replication_ok(run: Run, measured: list[Measurement], row_env: str, regions: str, lag: float | None) -> None:
    """drill.replication_lag of every table: the p99 of the canaries' time to each replica region against the
    limit, once the feature's regions and limit are the contract's."""
    agree(run, row_env, replica_regions=regions, lag_p99_seconds=lag)
    expect(run, "drill.replication_lag", measured=measured)


@then(parsers.parse("every operation achieves at least {percent:Number}% of its rate without throttling, with p99 "
                    "latency within the limit: in {row_env}, {writes:Number} writes and {reads:Number} reads a "
                    "second for {seconds:Number} seconds, p99 within {p99:Number} ms", extra_types=TYPES))
def load_ok(run: Run, measured: list[Measurement], row_env: str, percent: float, writes: float, reads: float,
            seconds: float, p99: float) -> None:
    """drill.load of the orders table: each operation's achieved rate, throttles and p99 latency, once the
    feature's profile is the contract's live one (an emulator drives the contract's scaled load.local profile)."""
    agree(run, row_env, achieved_percent=percent, writes_per_second=writes, reads_per_second=reads,
          duration_seconds=seconds, p99_latency_ms=p99)
    expect(run, "drill.load", measured=measured)
