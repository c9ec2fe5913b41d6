"""The run's verdict from its checks: READY, INCOMPLETE, BLOCKED (and ERROR when the run itself failed)."""

from __future__ import annotations

from collections.abc import Sequence

from readiness.checks import FAIL, NOT_APPLICABLE, UNVERIFIABLE, Verdict

READY, BLOCKED, INCOMPLETE, ERROR = "READY", "BLOCKED", "INCOMPLETE", "ERROR"
VERDICTS = (READY, INCOMPLETE, BLOCKED, ERROR)


def run_verdict(verdicts: Sequence[Verdict]) -> str:
    """BLOCKED on any FAIL; INCOMPLETE on any UNVERIFIABLE or when nothing applicable was judged; READY
    otherwise. NOT APPLICABLE neither blocks nor passes: a run of only those judged nothing."""
    statuses = {v.status for v in verdicts}
    if FAIL in statuses:
        return BLOCKED
    if UNVERIFIABLE in statuses or not statuses - {NOT_APPLICABLE}:
        return INCOMPLETE
    return READY
