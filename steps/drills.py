"""Behaviour drills: the steps run a drill of the engine (readiness/drills.py) and assert on what it measured."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from pytest_bdd import then, when

from readiness.checks import FAIL, UNVERIFIABLE
from readiness.contract.desired import TableSpec
from readiness.drills import Drills, Measurement
from readiness.run import Run
from readiness.safety import parse_allow


@pytest.fixture
def drills(account: Run, request: pytest.FixtureRequest) -> Drills:
    """The run's drills: one scope of test items, swept of orphans once, cleaned up at the end of the run."""
    return account.drilling(parse_allow(request.config.getoption("--allow")))


def chosen_tables(account: Run, request: pytest.FixtureRequest) -> list[TableSpec]:
    """--restore-table NAME (logical or physical) narrows the restore drills to one table; default every table."""
    choice = request.config.getoption("--restore-table")
    if choice in (None, "", "all"):
        return list(account.desired.tables)
    found = [t for t in account.desired.tables if choice in (t.logical, t.name)]
    if not found:
        raise pytest.UsageError(f"--restore-table {choice}: not a table of {account.desired.env.name} "
                                f"({', '.join(t.logical for t in account.desired.tables)})")
    return found


def expect_measured(measured: list[Measurement]) -> None:
    """Pass only when every drill passed (or does not apply); FAIL fails with what was measured, UNVERIFIABLE
    skips with why."""
    assert measured, "no drill ran: the scenario would pass vacuously"
    failed = [m for m in measured if m.status == FAIL]
    if failed:
        pytest.fail("\n".join(m.line() for m in failed), pytrace=False)
    unknown = [m for m in measured if m.status == UNVERIFIABLE]
    if unknown:
        pytest.skip("UNVERIFIABLE: " + "; ".join(f"{m.resource}: {m.reason}" for m in unknown[:3])
                    + (f" (and {len(unknown) - 3} more)" if len(unknown) > 3 else ""))


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
def restore_pitr(drills: Drills, account: Run, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill restore (PITR), then drill restore.deleted."""
    return [m for t in chosen_tables(account, request)
            for m in _with_what_followed(drills, partial(drills.restore, t, "pitr"))]


@when("each table is backed up on demand after a seeded sample and restored from that backup into a drill table",
      target_fixture="measured")
def restore_backup(drills: Drills, account: Run, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill restore (on-demand backup), then drill restore.deleted."""
    return [m for t in chosen_tables(account, request)
            for m in _with_what_followed(drills, partial(drills.restore, t, "backup"))]


@when("the newest recovery point of each table is read in every backup vault the contract requires",
      target_fixture="measured")
def backup_rpo(drills: Drills) -> list[Measurement]:
    """drill RPO of the hourly backups, per table (read-only: runs by default everywhere)."""
    return [drills.backup_rpo(t) for t in drills.desired.tables]


@when("canary items are written in the primary region and polled in each replica region", target_fixture="measured")
def replication(drills: Drills, account: Run) -> list[Measurement]:
    """drill replication lag (prod)."""
    if account.desired.env.replication is None:  # the report says NOT APPLICABLE (drills.not_run)
        pytest.skip(f"NOT APPLICABLE: the contract gives {account.desired.env.name} no replica region")
    return [drills.replication(t) for t in drills.desired.tables]


@when("the environment's load profile is driven against the orders table", target_fixture="measured")
def load(drills: Drills, request: pytest.FixtureRequest) -> list[Measurement]:
    """drill load (Locust in its own processes)."""
    return [drills.load(workers=int(request.config.getoption("--load-workers")))]


## Then


@then("every item reads back by its key, every access pattern finds it, and no sparse index holds an inactive item")
def access_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("the stale version is rejected and no update is lost")
def locking_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("the first transaction is committed as a whole and the second leaves nothing behind")
def transaction_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("each stream delivers the insert with the new image, the change with both images and the removal with the "
      "old image")
def streams_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("each restored table is ACTIVE within the RTO with the sample whole and nothing written after the point, "
      "with the RPO within target, and is deleted afterwards")
def restored_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("each restored table is ACTIVE within the RTO with the sample whole and nothing written after the backup, "
      "and is deleted afterwards")
def restored_from_backup_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("each is younger than the backup RPO of the environment, with any failed backup job named")
def backup_rpo_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("the replication lag p99 is within the contract's limit")
def replication_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)


@then("every operation achieves at least 97% of its rate without throttling, with p99 latency within the limit")
def load_ok(measured: list[Measurement]) -> None:
    expect_measured(measured)
