"""Benchmark: each drill's wall time and AWS API calls, and the restore drill's timing resolution.

Starts a moto server on 127.0.0.1, deploys SIT (and PROD for replication), runs every drill once per
round and prints seconds and API calls per drill. The restore drill's RTO is measured by polling
DescribeTable with a growing interval (0.2 s x 1.5 up to 5 s): its resolution at any elapsed time is
the poll interval then; the schedule is printed, as are the RTOs measured on moto (where a restore is
instant, so the figure is the measurement's own floor: one restore call plus the first polls).

    python benchmarks/drills.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from moto_endpoint import moto_server

from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.drills import Drills, Measurement
from readiness.targets.base import open_target
from readiness.targets.provision import deploy


def poll_schedule(first: float = 0.2, factor: float = 1.5, cap: float = 5.0, until: float = 3600.0
                  ) -> list[tuple[float, float]]:
    """(elapsed seconds, poll interval) of the restore drill's wait, as Drills._until sleeps."""
    out, elapsed, delay = [], 0.0, first
    while elapsed < until:
        out.append((elapsed, delay))
        elapsed += delay
        delay = min(delay * factor, cap)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    contract = load_contract()
    sit = desired_state(contract, "sit")
    orders = next(t for t in sit.tables if t.logical == "orders")
    timings: dict[str, list[tuple[float, int]]] = {}
    rtos: list[float] = []
    with moto_server() as url, open_target("moto", endpoint_url=url) as target:
        deploy(target, sit)
        for _ in range(args.rounds):
            drills = Drills(target, sit)
            runs: dict[str, Callable[[], Any]] = {
                "access (5 tables)": lambda d=drills: [d.access(t) for t in sit.tables],
                "streams (5 tables)": lambda d=drills: [d.streams(t) for t in sit.tables],
                "locking": lambda d=drills: d.locking(),
                "transaction": lambda d=drills: d.transaction(),
                "restore pitr (orders)": lambda d=drills: d.restore(orders, "pitr"),
                "restore backup (orders)": lambda d=drills: d.restore(orders, "backup"),
                "orphan sweep": lambda d=drills: d.sweep(),
            }
            for name, run in runs.items():
                before = target.calls.total
                started = time.perf_counter()
                result = run()
                timings.setdefault(name, []).append((time.perf_counter() - started, target.calls.total - before))
                # moto cannot restore as of a point (the PITR drill is UNVERIFIABLE there): time the backup restore
                if isinstance(result, Measurement) and result.id == "drill.restore.backup":
                    rtos.append(next(f["value"] for f in result.figures if f["name"] == "rto"))
    print(f"drills on a moto server, {args.rounds} rounds (median seconds, API calls per run):")
    for name, samples in timings.items():
        print(f"  {name:<26} {statistics.median(s for s, _ in samples):7.3f} s  {samples[0][1]:4d} calls")
    print(f"restore RTO measured on moto (instant restore: the measurement's floor): "
          f"median {statistics.median(rtos):.3f} s, max {max(rtos):.3f} s")
    schedule = poll_schedule()
    print("restore timing resolution (poll interval at elapsed time):")
    for mark in (0, 1, 5, 10, 30, 60, 300, 3600):
        interval = next((d for e, d in reversed(schedule) if e <= mark), schedule[0][1])
        print(f"  at {mark:>5} s: +/- {interval:.2f} s")
    print(f"  DescribeTable calls for a 60-minute restore: {sum(1 for e, _ in schedule if e < 3600)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
