"""Checks: compare one snapshot with the desired state and give a verdict per resource (ADR 0066).

Every check has an id (``table.billing_mode``), the success criterion of the seeds it traces
to, and yields PASS, FAIL or UNVERIFIABLE with resource, expected, actual and a reason.
UNVERIFIABLE is never a pass: it says which call could not answer and what it answered.

One module per domain, as in ``features/`` and ``steps/``; :mod:`readiness.checks.core` holds the
registry and :func:`evaluate`. The domain modules are imported here in the order the report lists
their checks (registration order).
"""

from readiness.checks import tables  # noqa: I001 - the order registers the checks in the report's order
from readiness.checks import indexes, backups, protection, monitoring, buckets
from readiness.checks.backups import selects
from readiness.observation.s3_policy import public_statements
from readiness.checks.core import (
    CHECKS,
    CheckDef,
    Context,
    Missing,
    Reason,
    Unverifiable,
    because,
    certainly,
    check,
    evaluate,
    need,
    run_check,
    subjects,
    verdict,
)
from readiness.outcome import FAIL, NOT_APPLICABLE, PASS, STATUSES, UNVERIFIABLE, Verdict

__all__ = [
    "CHECKS", "FAIL", "NOT_APPLICABLE", "PASS", "STATUSES", "UNVERIFIABLE", "CheckDef", "Context", "Missing",
    "Reason", "Unverifiable", "Verdict", "backups", "because", "buckets", "certainly", "check", "evaluate",
    "indexes", "monitoring", "need", "protection", "public_statements", "run_check", "selects", "subjects",
    "tables", "verdict",
]
