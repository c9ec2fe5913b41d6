"""Benchmark: how long one verification of SIT takes, and how many AWS API calls it makes.

Starts a moto server on 127.0.0.1, deploys the SIT contract into it once, then times N
verify-only runs (client creation + observation + checks; interpreter start excluded) and
counts the API calls each made. Budget (issue 2): at most 6 calls per table plus 10 per
environment, plus (issue 7, ADR 0042) 9 per S3 bucket and 2 more for its DR bucket, plus (issue 12,
ADR 0048) one ListTables per region the contract uses and 6 more per environment (DescribeKey of
alias/aws/backup, ListBackupJobs once per failed/aborted/expired state, ListTags of the vault and the
plan), and under 1 s. Exits 1 when the call budget is exceeded (calls are
deterministic; seconds are printed, not enforced, since CI machines vary).

    python benchmarks/verify_sit.py [--runs 5] [--env sit]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from readiness.checks import evaluate
from readiness.contract import load_contract
from readiness.desired import desired_state
from readiness.observe import observe
from readiness.provision import deploy
from readiness.server import moto_server
from readiness.targets import open_target

CALLS_PER_TABLE, CALLS_PER_ENVIRONMENT, SECONDS = 6, 16, 1.0
CALLS_PER_REGION = 1  # the inventory's ListTables, in each region the contract uses (counted with DynamoDB's)
CALLS_PER_BUCKET, CALLS_PER_DR_BUCKET = 9, 2  # 7 configurations + 1 object listing + the log bucket; DR: 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="sit", choices=("dev", "sit", "prod"))
    args = parser.parse_args()
    desired = desired_state(load_contract(), args.env)
    tables = len(desired.tables)
    bucket_budget = sum(CALLS_PER_BUCKET + (CALLS_PER_DR_BUCKET if b.replication else 0) for b in desired.buckets)
    regions = len(desired.table_regions)
    table_budget = CALLS_PER_TABLE * tables + CALLS_PER_REGION * regions
    budget = table_budget + CALLS_PER_ENVIRONMENT + bucket_budget

    with moto_server() as url:
        with open_target("moto", endpoint_url=url) as target:
            deploy(target, desired)
        seconds: list[float] = []
        calls: list[int] = []
        by_operation: dict[str, int] = {}
        for _ in range(args.runs):
            started = time.perf_counter()
            with open_target("moto", endpoint_url=url, no_deploy=True) as target:
                snap = observe(target, desired)
                verdicts = evaluate(desired, snap, target.silent_gaps)
            seconds.append(time.perf_counter() - started)
            calls.append(snap.api_calls)
            by_operation = snap.calls_by_operation

    table_calls = sum(n for op, n in by_operation.items() if op.startswith("dynamodb:"))
    bucket_calls = sum(n for op, n in by_operation.items() if op.startswith("s3:"))
    env_calls = sum(by_operation.values()) - table_calls - bucket_calls
    print(f"benchmark: verify {args.env.upper()} against a moto server, {args.runs} runs, {len(verdicts)} checks")
    print(f"  wall time   median {statistics.median(seconds):.3f} s  min {min(seconds):.3f} s  "
          f"max {max(seconds):.3f} s  (target < {SECONDS:.1f} s)")
    print(f"  API calls   {calls[-1]} per run = {table_calls} for {tables} tables "
          f"({table_calls / tables:.1f} per table) + {env_calls} for the environment + {bucket_calls} for "
          f"{len(desired.buckets)} bucket(s)  (budget {budget} = {CALLS_PER_TABLE}/table + "
          f"{CALLS_PER_REGION}/region x {regions} + {CALLS_PER_ENVIRONMENT}/environment + {bucket_budget} "
          f"for the buckets)")
    for op, n in sorted(by_operation.items()):
        print(f"    {op:<36} {n}")
    over = (calls[-1] > budget or table_calls > table_budget or env_calls > CALLS_PER_ENVIRONMENT + 1
            or bucket_calls > bucket_budget)
    slow = statistics.median(seconds) >= SECONDS
    print(f"  result      calls {'OVER BUDGET' if over else 'within budget'}; "
          f"time {'over target' if slow else 'within target'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
