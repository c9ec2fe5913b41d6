"""The catalogue of drills: each drill of the contract, its criterion and the scenario that runs it.

A leaf of the drills package (it imports nothing from it): the scope rules (:mod:`readiness.drills.scope`)
and the account guard read its markers."""

from __future__ import annotations

from dataclasses import dataclass

C_ACCESS = "003 SIT Week 1: integration testing - every access pattern served by its table or index"
C_LOCKING = "004 3.3: optimistic locking with a version attribute (no lost update)"
C_TRANSACTION = "003 SIT Week 1: integration testing - an order and its campaign commit or roll back together"
C_STREAMS = "004 3.3: streams deliver new and old images for change data capture (D8)"
C_RESTORE = "003 SIT Week 3 / PROD Success: PITR and backup restore tested within RTO and RPO (D14)"
C_LAG = "003 PROD Success: replication lag < 1 second (D13)"
C_LOAD = "003 SIT Week 2: sustained load (1000 writes/sec, 5000 reads/sec) without throttling"


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
