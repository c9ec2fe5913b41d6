"""Behaviour drills: what a table does, not what it says (ADR 0066). Data access, locking, transactions,
streams, restores (RTO/RPO), replication lag and load, each measured, bounded in count and time, and cleaned up.

* :mod:`~readiness.drills.catalogue` every drill, its criterion and scenario; :mod:`~readiness.drills.scope`
  what a run may do, the write guard, and a verdict for every drill not run;
* :mod:`~readiness.drills.ledger` what a run wrote and its cleanup; :mod:`~readiness.drills.bench` the shared
  state of one run's drills; :mod:`~readiness.drills.core` what every drill uses;
* one module per family: :mod:`~readiness.drills.access`, :mod:`~readiness.drills.recovery`,
  :mod:`~readiness.drills.replication`, :mod:`~readiness.drills.loading`; :class:`Drills` calls them.

Each drill gives a :class:`~readiness.outcome.Verdict` with figures (status pass / fail / unverifiable,
reason, figures, details) that the report lists under ``measurements`` and counts in the run verdict. A
target that cannot do a step (DynamoDB Local has no PITR, moto ignores replicas) gives UNVERIFIABLE with the
call and its answer, never a pass.
"""

from readiness.drills.catalogue import (
    C_ACCESS,
    C_LAG,
    C_LOAD,
    C_LOCKING,
    C_RESTORE,
    C_STREAMS,
    C_TRANSACTION,
    CATALOGUE,
    DRILL_MARKERS,
    DrillSpec,
)
from readiness.drills.core import (
    CANARIES,
    GSI_WAIT_SECONDS,
    ITEMS_PER_TABLE,
    RESTORE_SAMPLE,
    STREAM_WAIT_SECONDS,
    SWEEP_PAGES,
    DrillFailed,
    DrillUnverifiable,
    Sheet,
    content_hash,
    figure,
    from_ddb,
    percentile,
    to_ddb,
)
from readiness.drills.scope import GUARDED_MARKERS, WriteGuard, not_run, refusal
from readiness.drills.session import Drills
from readiness.outcome import THROTTLE_CODES, Verdict

Measurement = Verdict  # a drill's verdict: the one Verdict type, with figures (readiness.outcome.measured)

__all__ = [
    "CANARIES", "CATALOGUE", "C_ACCESS", "C_LAG", "C_LOAD", "C_LOCKING", "C_RESTORE", "C_STREAMS",
    "C_TRANSACTION", "DRILL_MARKERS", "GSI_WAIT_SECONDS", "GUARDED_MARKERS", "ITEMS_PER_TABLE", "RESTORE_SAMPLE",
    "STREAM_WAIT_SECONDS", "SWEEP_PAGES", "THROTTLE_CODES", "DrillFailed", "DrillSpec", "DrillUnverifiable",
    "Drills", "Measurement", "Sheet", "WriteGuard", "content_hash", "figure", "from_ddb", "not_run",
    "percentile", "refusal", "to_ddb",
]
