"""Benchmark: the load drill's highest sustained rate on this machine, per Locust worker process.

Starts DynamoDB Local and a moto server on 127.0.0.1 with SIT's tables, then runs the load drill
(readiness/drills/load.py) closed-loop: four writers and four readers per load-generating process, each
asked for far more calls than it can make, so every process runs flat out and the achieved rates
are what this machine (generator and endpoint together) sustains. First one process against each
endpoint (the faster one is the endpoint the tests use), then 1 and 2 worker processes against the
faster one. Prints the achieved rates, latency percentiles and the API calls each run made
(counted: the drill's own BatchWriteItem seed and cleanup, every PutItem and GetItem Locust made,
and one warm-up GetItem per process). Figures only, no assertions: machines differ.

    python benchmarks/load_capacity.py [--seconds 8] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator

from moto_endpoint import moto_server

from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.drills.load import run_load
from readiness.drills.load_stats import LoadResult
from readiness.targets.base import Target, open_target
from readiness.targets.provision import deploy

USERS_PER_PROCESS = 4  # writers, and as many readers
FLAT_OUT = 100_000  # calls per second asked of each kind: far beyond any local endpoint


@contextlib.contextmanager
def endpoint(kind: str, env: str) -> Iterator[Target]:
    contract = load_contract()
    if kind == "moto":
        with moto_server() as url, open_target("moto", endpoint_url=url) as target:
            deploy(target, desired_state(contract, env))
            yield target
    else:
        with open_target("dynamodb-local") as target:
            deploy(target, desired_state(contract, env))
            yield target


def flat_out(target: Target, env_name: str, workers: int, seconds: float) -> LoadResult:
    contract = load_contract()
    env = contract.environment(env_name)
    return run_load([contract.tables["orders"]], region=env.region, target=target, table_name=env.table_name,
                    writes_per_second=FLAT_OUT, reads_per_second=FLAT_OUT, duration_seconds=seconds,
                    p99_latency_ms=env.load_local.p99_latency_ms, workers=workers, max_keys=200,
                    user_rate=FLAT_OUT / (USERS_PER_PROCESS * workers), progress=None)


def show(label: str, res: LoadResult, wall: float) -> float:
    if res.unavailable:
        print(f"  {label:<34} could not run: {res.unavailable}")
        return 0.0
    w, r = res.operations["write"], res.operations["read"]
    total = w.achieved_rate + r.achieved_rate
    print(f"  {label:<34} {total:7.1f} ops/s  (PutItem {w.achieved_rate:6.1f}/s p50 {w.p50_ms:.0f} "
          f"p99 {w.p99_ms:.0f} ms; GetItem {r.achieved_rate:6.1f}/s p50 {r.p50_ms:.0f} p99 {r.p99_ms:.0f} ms)  "
          f"{total / res.workers:6.1f} per process, {wall:.1f} s wall")
    calls = ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(res.api_calls.items()))
    print(f"  {'':<34} API calls: {sum(res.api_calls.values())} ({calls}); errors "
          f"{w.errors + r.errors}, throttles {w.throttles + r.throttles}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load phase of each run (default 8)")
    parser.add_argument("--workers", default="1,2", help="worker process counts to compare (default 1,2)")
    parser.add_argument("--env", default="sit", choices=("dev", "sit", "prod"))
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    print(f"benchmark: load drill flat out ({USERS_PER_PROCESS} writers + {USERS_PER_PROCESS} readers per process, "
          f"{args.seconds:g} s each), orders table of {args.env.upper()}")

    best: dict[str, float] = {}
    for kind in ("dynamodb-local", "moto"):
        with endpoint(kind, args.env) as target:
            started = time.monotonic()
            res = flat_out(target, args.env, 1, args.seconds)
            best[kind] = show(f"{kind}, 1 process", res, time.monotonic() - started)
    fastest = max(best, key=lambda k: best[k])
    print(f"  fastest local endpoint: {fastest}")

    with endpoint(fastest, args.env) as target:
        rates: dict[int, float] = {}
        for n in counts:
            started = time.monotonic()
            res = flat_out(target, args.env, n, args.seconds)
            label = f"{fastest}, {n} worker process{'es' if n > 1 else ''}" + (" (master + workers)" if n > 1 else "")
            rates[n] = show(label, res, time.monotonic() - started)
    if rates.get(1):
        scaling = ", ".join(f"{n} processes x{rates[n] / rates[1]:.2f}" for n in counts if n > 1)
        print(f"  scaling against 1 process: {scaling or 'n/a'} "
              f"(this machine: {_cpus()} CPUs, shared with the endpoint)")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
