"""The replication drill: canaries written in the primary region, their lag to each replica region
(features/replication.feature)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from readiness.contract.desired import TableSpec
from readiness.drills.bench import Bench
from readiness.drills.catalogue import C_LAG
from readiness.drills.core import (
    CANARIES,
    DrillFailed,
    DrillUnverifiable,
    Sheet,
    figure,
    key_of,
    percentile,
    to_ddb,
)
from readiness.outcome import NOT_APPLICABLE, Verdict, describe_failure
from readiness.testitems import generate_item


def replication(bench: Bench, table: TableSpec, *, canaries: int = CANARIES, poll: float = 0.05,
                timeout: float = 30.0) -> Verdict:
    """Canaries written in the primary region, polled in each replica region: lag percentiles."""
    env = bench.desired.env

    def body(m: Sheet) -> None:
        if not env.replication:
            m.status = NOT_APPLICABLE
            m.reason = f"not applicable: the contract gives {env.name} no replica region"
            return
        for region in env.replication.regions:
            remote = bench.client(region)
            try:
                remote.describe_table(TableName=table.name)
            except ClientError as exc:
                gap = bench.target.silent_gaps.get("replicas")
                raise DrillUnverifiable(f"DescribeTable({table.name})@{region} answered "
                                        f"{describe_failure(exc)}" + (f"; {gap}" if gap else "")) from None
            lags: list[float] = []
            window_start = datetime.now(UTC)
            for n in range(canaries):
                canary = generate_item(table.table, bench.scope, 500 + n)
                key = to_ddb(key_of(table.table, canary))
                bench.put(table, canary)
                written = bench.clock()
                while remote.get_item(TableName=table.name, Key=key).get("Item") is None:
                    if bench.clock() - written > timeout:
                        raise DrillFailed(f"canary {canary['PK']} not in {region} after {timeout:g} s")
                    time.sleep(poll)
                lags.append(bench.clock() - written)
            limit = env.replication.lag_p99_seconds
            m.figures = [figure("lag_p50", percentile(lags, 50), "s"), figure("lag_p95", percentile(lags, 95), "s"),
                         figure("lag_p99", percentile(lags, 99), "s", limit),
                         figure("canaries", len(lags), "count"),
                         figure("cloudwatch_replication_latency", replication_latency(bench,
                             table.name, region, window_start), "s")]
            m.details["poll_interval_s"] = poll
            if percentile(lags, 99) > limit:
                raise DrillFailed(f"lag p99 {percentile(lags, 99):.3f} s to {region} > {limit:g} s")
            m.reason = f"{len(lags)} canaries reached {region}; p99 {percentile(lags, 99):.3f} s <= {limit:g} s"
    return bench.measure("drill.replication_lag", C_LAG, table.name, body)


def replication_latency(bench: Bench, table: str, region: str, since: datetime) -> float | None:
    """CloudWatch's ReplicationLatency (ms) for the probe's window, as seconds, when it has data."""
    try:
        cw = bench.target.client("cloudwatch", bench.desired.env.region)
        points = cw.get_metric_statistics(
            Namespace="AWS/DynamoDB", MetricName="ReplicationLatency",
            Dimensions=[{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": region}],
            StartTime=since - timedelta(minutes=1), EndTime=datetime.now(UTC) + timedelta(minutes=1),
            Period=60, Statistics=["Maximum"]).get("Datapoints", [])
    except Exception:
        return None
    return max(p["Maximum"] for p in points) / 1000.0 if points else None
