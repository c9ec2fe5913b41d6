"""Benchmark: how long one verification of an environment takes, and how many AWS API calls it makes.

Starts a moto server on 127.0.0.1, deploys the environment's contract into it once, then times N
verify-only runs (client creation + observation + checks; interpreter start excluded) and counts the
API calls each made. The call budget is stated here, in one place, and met exactly by dev, sit and prod
(issue 15): a new call must change a number below on purpose. Exits 1 when a run exceeds it (calls are
deterministic; seconds are printed, not enforced, since CI machines vary).

    python benchmarks/verify_sit.py [--runs 5] [--env sit]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from moto_endpoint import moto_server

from readiness.checks import evaluate
from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.observation.live import observe
from readiness.targets.base import open_target
from readiness.targets.provision import deploy

SECONDS = 1.0
# per table in the primary region: DescribeTable, DescribeContinuousBackups, DescribeTimeToLive, ListTagsOfResource
CALLS_PER_TABLE = 4
# per table in each replica region (prod's DR): DescribeTable, DescribeContinuousBackups, DescribeTimeToLive
CALLS_PER_REPLICA = 3
# per region the contract uses: the inventory's ListTables (look-alike tables, ADR 0048)
CALLS_PER_REGION = 1
# per environment: KMS (2), AWS Backup (vault, plans, plan, selections, 3 x ListBackupJobs, 2 x ListTags),
# CloudWatch (alarms, dashboard), SNS (topics, 2 x ListSubscriptionsByTopic), Cost Explorer (2), GetResources
CALLS_PER_ENVIRONMENT = 19
# per DR region (prod): the copy vault and its tags, the DR key, its rotation and tags, its vault key
CALLS_PER_DR_REGION = 6
# per bucket: 7 configurations + object lock, policy, policy status + the object list + HeadBucket, and the
# access-log bucket's HeadBucket, encryption, public access block, policy, policy status, tags (ADRs 0042, 0051)
CALLS_PER_BUCKET = 18
CALLS_PER_DR_BUCKET = 2  # the DR bucket's HeadBucket and versioning
CALLS_PER_BUCKET_INVENTORY = 1  # one ListBuckets per environment (buckets named like the contract's)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="sit", choices=("dev", "sit", "prod"))
    args = parser.parse_args()
    desired = desired_state(load_contract(), args.env)
    tables = len(desired.tables)
    bucket_budget = CALLS_PER_BUCKET_INVENTORY + sum(CALLS_PER_BUCKET + (CALLS_PER_DR_BUCKET if b.replication else 0)
                                                     for b in desired.buckets)
    regions = len(desired.table_regions)
    replica_regions = len(desired.env.replication.regions) if desired.env.replication else 0
    table_budget = (CALLS_PER_TABLE + CALLS_PER_REPLICA * replica_regions) * tables + CALLS_PER_REGION * regions
    env_budget = CALLS_PER_ENVIRONMENT + CALLS_PER_DR_REGION * replica_regions
    budget = table_budget + env_budget + bucket_budget

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
          f"{len(desired.buckets)} bucket(s)  (budget {budget} = {table_budget} for the tables "
          f"[{CALLS_PER_TABLE}/table + {CALLS_PER_REPLICA}/table/replica region x {replica_regions} + "
          f"{CALLS_PER_REGION}/region x {regions}] + {env_budget} for the environment "
          f"[{CALLS_PER_ENVIRONMENT} + {CALLS_PER_DR_REGION}/DR region] + {bucket_budget} for the buckets)")
    for op, n in sorted(by_operation.items()):
        print(f"    {op:<36} {n}")
    over = calls[-1] > budget or table_calls > table_budget or env_calls > env_budget or bucket_calls > bucket_budget
    slow = statistics.median(seconds) >= SECONDS
    print(f"  result      calls {'OVER BUDGET' if over else 'within budget'}; "
          f"time {'over target' if slow else 'within target'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
