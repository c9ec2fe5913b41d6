"""Hand-made report directories in the shapes of readiness.json (with the drills' measurements) and
pytest-bdd's cucumber JSON, for the docs tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def check(check_id: str, status: str, resource: str = "orders-sit", reason: str = "as contracted",
          expected: Any = "PAY_PER_REQUEST", actual: Any = "PAY_PER_REQUEST") -> dict[str, Any]:
    return {"id": check_id, "criterion": f"criterion of {check_id}", "resource": resource, "status": status,
            "expected": expected, "actual": actual, "reason": reason}


def element(name: str, *statuses: str, error: str = "") -> dict[str, Any]:
    steps = [{"keyword": "Then", "name": f"step {i}", "line": i, "match": {"location": ""},
              "result": {"status": s, "duration": 1, **({"error_message": error} if s == "failed" else {})}}
             for i, s in enumerate(statuses)]
    return {"keyword": "Scenario", "id": name, "name": name, "line": 1, "description": "", "tags": [],
            "type": "scenario", "steps": steps}


def write_report(directory: Path, *, environment: str = "sit", target: str = "embedded moto",
                 checks: list[dict[str, Any]] | None = None, elements: list[dict[str, Any]] | None = None,
                 measurements: list[dict[str, Any]] | None = None, started: str | None = None,
                 commit: str | None = None, kind: str | None = None) -> Path:
    """A report directory; ``started``, ``commit`` and ``kind`` (the --target option) give it provenance."""
    directory.mkdir(parents=True, exist_ok=True)
    checks = checks if checks is not None else [check("table.billing_mode", "pass")]
    statuses = [c["status"] for c in checks]
    verdict = "BLOCKED" if "fail" in statuses else "INCOMPLETE" if "unverifiable" in statuses or not checks else "READY"
    data: dict[str, Any] = {"environment": environment, "target": target, "verdict": verdict,
                            "summary": {s: statuses.count(s) for s in ("pass", "fail", "unverifiable")},
                            "api_calls": 30, "checks": checks, "criteria": []}
    if measurements is not None:
        data["measurements"] = measurements
    if started or commit or kind:
        data["provenance"] = {"started": started, "finished": started, "git_commit": commit,
                              "options": {"env": environment, "target": kind}}
    (directory / "readiness.json").write_text(json.dumps(data), encoding="utf-8")
    if elements is not None:
        cucumber = [{"keyword": "Feature", "uri": "features/tables.feature", "name": "Tables", "id": "tables",
                     "line": 2, "description": "", "language": "en", "tags": [], "elements": elements}]
        (directory / "cucumber.json").write_text(json.dumps(cucumber), encoding="utf-8")
    return directory


MEASUREMENTS = [
    {"id": "drill.restore.pitr", "criterion": "003 RTO", "resource": "orders-sit", "status": "pass",
     "reason": "restored in 12.3 s", "figures": [
         {"name": "rto", "value": 12.3, "unit": "s", "target": 3600, "limit": "max"},
         {"name": "rpo", "value": 1.0, "unit": "s", "target": 300, "limit": "max"}]},
    {"id": "drill.load", "criterion": "003 load", "resource": "orders-sit", "status": "fail",
     "reason": "p99 above its target", "figures": [
         {"name": "p50", "value": 0.05, "unit": "s"},
         {"name": "p99", "value": 1.4, "unit": "s", "target": 1.0, "limit": "max"},
         {"name": "achieved_rate", "value": 990.0, "unit": "ops/s", "target": 1000, "limit": "min"}]},
    {"id": "drill.replication.lag", "resource": "orders-prod", "status": "unverifiable",
     "reason": "the target ignores replicas", "figures": [
         {"name": "p99", "value": None, "unit": "s", "target": 1.0, "limit": "max"}]},
]
