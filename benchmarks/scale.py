"""Benchmark: what one verification costs as the contract grows, in API calls and in seconds.

For each size (5, 20, 50 and 100 tables by default) it writes a contract into a temporary directory:
the real contract (contracts/ and the templates/ beside it) with ``tenants`` cloned under new names
(``tenants_006``, ...) until the environment has that many tables, each clone listed in the
environment's tables and its backup selection as the real tables are. It then

- loads that contract (schema validation, model, lint), in a fresh interpreter state for the schema
  cache's sake: the first load in the process, then the median of the later ones (cached validators);
- deploys the environment into a moto server of its own (127.0.0.1, not timed);
- times ``--runs`` observations of the account (client creation included) and the checks on each.

It prints calls and seconds per size and the two ratios the issue sets (issue 15): calls must stay
linear in the tables (each added table costs no more calls at 100 tables than at 5: four DynamoDB calls,
plus a page of the alarm and tagging listings per page size; exit 1 otherwise) and the time
sub-linear (100 tables in less than 20x the time of 5; printed, not enforced: machines differ).

    python benchmarks/scale.py [--sizes 5,20,50,100] [--runs 3] [--env sit]
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from moto_endpoint import moto_server

from readiness.checks import evaluate
from readiness.contract.desired import desired_state
from readiness.contract.loading import DEFAULT_ROOT, load_contract
from readiness.observation.live import observe
from readiness.targets.base import open_target
from readiness.targets.provision import deploy

TEMPLATE_TABLE = "tenants"
TABLE_LIST = re.compile(r"^(\s*tables: )\[([^\]]*)\]", re.MULTILINE)


def scaled_contract(out: Path, size: int) -> Path:
    """A copy of the real contract with ``size`` tables (clones of tenants) in every environment; its root."""
    root = out / "contracts"
    shutil.copytree(DEFAULT_ROOT, root)
    shutil.copytree(DEFAULT_ROOT.parent / "templates", out / "templates")
    names = list(load_contract(root).tables)
    if size < len(names):
        raise SystemExit(f"--sizes: {size} is fewer than the contract's {len(names)} tables")
    source = (root / "tables" / f"{TEMPLATE_TABLE}.yaml").read_text()
    clones = [f"{TEMPLATE_TABLE}_{i:03d}" for i in range(len(names) + 1, size + 1)]
    for name in clones:
        (root / "tables" / f"{name}.yaml").write_text(
            source.replace(f"name: {TEMPLATE_TABLE}\n", f"name: {name}\n", 1))
    for env_file in (root / "environments").glob("*.yaml"):  # every environment deploys every table (lint)
        text, lists = TABLE_LIST.subn(lambda m: f"{m.group(1)}[{', '.join(names + clones)}]", env_file.read_text())
        if not lists:
            raise SystemExit(f"{env_file}: no 'tables: [...]' list to extend")
        env_file.write_text(text)  # the environment's tables and its backup selection
    return root


def measure(root: Path, env: str, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    contract = load_contract(root)
    first_load = time.perf_counter() - started
    loads = []
    for _ in range(runs):
        started = time.perf_counter()
        contract = load_contract(root)
        loads.append(time.perf_counter() - started)
    desired = desired_state(contract, env)
    observing: list[float] = []
    checking: list[float] = []
    calls = 0
    by_operation: dict[str, int] = {}
    with moto_server() as url:
        with open_target("moto", endpoint_url=url) as target:
            deploy(target, desired)
        for _ in range(runs):
            started = time.perf_counter()
            with open_target("moto", endpoint_url=url, no_deploy=True) as target:
                snap = observe(target, desired)
                observed = time.perf_counter()
                verdicts = evaluate(desired, snap, target.silent_gaps)
            checking.append(time.perf_counter() - observed)
            observing.append(observed - started)
            calls = snap.api_calls
            by_operation = snap.calls_by_operation
    return {"tables": len(desired.tables), "calls": calls, "checks": len(verdicts), "first_load": first_load,
            "load": statistics.median(loads), "observe": statistics.median(observing),
            "check": statistics.median(checking), "ops": by_operation}


def total(row: dict[str, Any]) -> float:
    """Seconds of one verification: load the contract (cached validators), observe, check."""
    return float(row["load"] + row["observe"] + row["check"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20,50,100", help="table counts, comma-separated (default 5,20,50,100)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--env", default="sit", choices=("dev", "sit"))  # one region: prod's replicas not emulated
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",")})
    except ValueError:
        parser.error(f"--sizes: expected comma-separated integers, got {args.sizes!r}")
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
            rows.append(measure(scaled_contract(Path(tmp), size), args.env, args.runs))

    print(f"benchmark: one {args.env.upper()} verification against a moto server as the tables grow "
          f"(median of {args.runs} runs)")
    print(f"  {'tables':>6} {'calls':>6} {'checks':>6} {'load 1st':>9} {'load':>7} {'observe':>8} {'checks':>7} "
          f"{'total':>7}  (seconds)")
    for r in rows:
        print(f"  {r['tables']:>6} {r['calls']:>6} {r['checks']:>6} {r['first_load']:>9.3f} {r['load']:>7.3f} "
              f"{r['observe']:>8.3f} {r['check']:>7.3f} {total(r):>7.3f}")
    linear = True
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growing = {op: [r["ops"].get(op, 0) for r in rows] for op in sorted(last["ops"])
                   if last["ops"][op] != first["ops"].get(op, 0)}
        for op, counts in growing.items():
            per = "one per table" if counts == [r["tables"] for r in rows] else "pages of a listing"
            print(f"    grows: {op:<40} {counts}  ({per})")
        steps = [(b["calls"] - a["calls"]) / (b["tables"] - a["tables"]) for a, b in itertools.pairwise(rows)]
        linear = max(steps) <= 1.1 * steps[0]  # each added table costs what it cost at the first step, or less
        print(f"  calls       per added table {', '.join(f'{x:.2f}' for x in steps)} between sizes: "
              f"{'linear' if linear else 'NOT LINEAR (grows with the size)'}")
        ratio = total(last) / total(first)
        tables = last["tables"] / first["tables"]
        print(f"  time        {last['tables']} tables take {ratio:.1f}x the time of {first['tables']} "
              f"({tables:g}x the tables): {'sub-linear' if ratio < tables else 'NOT sub-linear'}")
    return 0 if linear else 1


if __name__ == "__main__":
    sys.exit(main())
