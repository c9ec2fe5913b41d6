"""A pytest plugin for tests/test_gate.py (``-p gate_force``): every run verdict reads READY.

moto cannot show every check, so no run on it is READY; the gate's READY row proves the mapping from
verdict to exit code, not a verdict, and this is the only place a verdict is forced.
"""

from __future__ import annotations

from readiness.report import run_report as report

report.run_verdict = lambda verdicts: report.READY
