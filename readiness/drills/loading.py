"""The load drill: the environment's load profile driven by Locust against one table (features/load.feature;
the engine is readiness/drills/load.py)."""

from __future__ import annotations

from readiness.drills.bench import Bench
from readiness.drills.catalogue import C_LOAD
from readiness.drills.core import DrillFailed, Sheet
from readiness.drills.load import LoadError, load_profile, run_load
from readiness.outcome import Verdict


def load(bench: Bench, logical: str = "orders", *, workers: int = 1) -> Verdict:
    """The environment's load profile (the contract's rates on AWS, its local profile on an emulator)
    driven by Locust in its own processes against one table; PASS at >= 97% of each rate, no throttle,
    p99 within the limit. The seeded test items go through this run's guarded client."""
    env = bench.desired.env
    spec = bench.logical(logical)
    profile = load_profile(env, bench.target.kind)

    def body(m: Sheet) -> None:
        try:
            result = run_load([spec.table], region=env.region, writes_per_second=profile.writes_per_second,
                              reads_per_second=profile.reads_per_second,
                              duration_seconds=profile.duration_seconds, p99_latency_ms=profile.p99_latency_ms,
                              target=bench.target, table_name=env.table_name, workers=workers,
                              scope=bench.scope, client=bench.client())
        except LoadError as exc:
            raise DrillFailed(str(exc)) from None
        verdict = result.verdict()
        m.figures = result.figures()
        m.details = {"profile": "live" if bench.target.kind == "aws" else "local", "workers": result.workers,
                     "users": result.users, "api_calls": sum(result.api_calls.values()),
                     **({"notes": list(result.notes)} if result.notes else {})}
        m.status, m.reason = verdict.status, verdict.reason
        if result.items_left:
            m.details["items_left"] = result.items_left
    return bench.measure("drill.load", C_LOAD, spec.name, body)
