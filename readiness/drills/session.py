"""One run's drills: the :class:`Drills` the steps (steps/drills.py) and the run (readiness/run.py) call, each
method one drill of :mod:`readiness.drills.access`, :mod:`~readiness.drills.recovery`,
:mod:`~readiness.drills.replication` or :mod:`~readiness.drills.loading`."""

from __future__ import annotations

from readiness.contract.desired import TableSpec
from readiness.drills import access, loading, recovery, replication
from readiness.drills.bench import Bench
from readiness.drills.core import CANARIES
from readiness.outcome import Verdict


class Drills(Bench):
    """One run's drills on one target: the scope of its test items, its guarded clients, its cleanup."""

    def access(self, table: TableSpec) -> Verdict:
        """Items written, read back by key, and found through every access pattern."""
        return access.access(self, table)

    def locking(self) -> Verdict:
        """A stale version is rejected; concurrent writers with conditional updates lose nothing."""
        return access.locking(self)

    def transaction(self) -> Verdict:
        """An order and its campaign in one transaction: both commit, or neither."""
        return access.transaction(self)

    def streams(self, table: TableSpec) -> Verdict:
        """INSERT carries the new image, MODIFY both, REMOVE the old one."""
        return access.streams(self, table)

    def restore(self, table: TableSpec, kind: str = "pitr", *, wait: float | None = None) -> Verdict:
        """A restore into <table>-restore-<kind>-<run> as of a point (see :func:`recovery.restore`)."""
        return recovery.restore(self, table, kind, wait=wait)

    def backup_rpo(self, table: TableSpec) -> Verdict:
        """The age of the table's newest completed recovery point in every contracted vault."""
        return recovery.backup_rpo(self, table)

    def load(self, logical: str = "orders", *, workers: int = 1) -> Verdict:
        """The environment's load profile driven by Locust against one table."""
        return loading.load(self, logical, workers=workers)

    def replication(self, table: TableSpec, *, canaries: int = CANARIES, poll: float = 0.05,
                    timeout: float = 30.0) -> Verdict:
        """Canaries written in the primary region, polled in each replica region: lag percentiles."""
        return replication.replication(self, table, canaries=canaries, poll=poll, timeout=timeout)
