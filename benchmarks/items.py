"""Benchmark: the item check (readiness/items/scan.py) on a table larger than its sample bound, on DynamoDB Local.

Starts DynamoDB Local with SIT's tables, fills orders-sit with valid orders generated from the item
schema (BatchWriteItem, not timed), then times the bounded sample (the default read of every run) and
a full read of every item, and prints for each: wall time, items read, Scan calls, read units and read
units per 1,000 items. The sample must stay within its bound whatever the table's size: the script
exits 1 if it reads more items, or makes more Scan calls, than the bound allows. Figures only otherwise:
machines differ. DynamoDB Local reports consumed capacity the way DynamoDB does (half a read unit per
4 KB an eventually consistent Scan reads), so read units per 1,000 items carry over to AWS; its wall
time does not.

    python benchmarks/items.py [--items 20000] [--sample 1000] [--segments 4]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.items.scan import ItemCost, Sampling, verify_items
from readiness.progress import progress
from readiness.targets.base import Target, open_target
from readiness.targets.provision import deploy
from readiness.testitems import EXPIRES, MARKER, RunScope, as_dynamodb, generate_item


def fill(target: Target, env: str, count: int) -> None:
    """count valid orders in orders-sit (25 per BatchWriteItem, unprocessed items retried)."""
    desired = desired_state(load_contract(), env)
    spec = next(t for t in desired.tables if t.logical == "orders")
    client = target.client("dynamodb", spec.region, write=True)
    serializer, scope = TypeSerializer(), RunScope("0b3e4c11")
    with progress(f"writing {count:,} orders into {spec.name}") as shown:
        for start in range(0, count, 25):
            batch: list[dict[str, Any]] = []
            for n in range(start, min(count, start + 25)):
                made = generate_item(spec.table, scope, n)
                values = {k: v for k, v in made.items() if k not in (MARKER, EXPIRES)}
                batch.append({"PutRequest": {"Item": {k: serializer.serialize(as_dynamodb(v))
                                                      for k, v in values.items()}}})
            left: dict[str, Any] = {spec.name: batch}
            while left:
                left = client.batch_write_item(RequestItems=left).get("UnprocessedItems") or {}
            shown.update(items=min(count, start + 25))


def show(label: str, cost: ItemCost, wall: float, table: str) -> None:
    orders = next(t for t in cost.tables if t.table == table)
    per = 1000 * orders.read_units / orders.items_read if orders.items_read else 0.0
    rate = orders.items_read / wall if wall else 0.0
    print(f"  {label:<28} {wall:6.2f} s wall  {orders.items_read:7,} items  {orders.calls:4} Scan calls  "
          f"{orders.read_units:8,.1f} read units  ({per:5.2f} per 1,000 items, {rate:8,.0f} items/s)")
    print(f"  {'':<28} all five tables: {cost.calls} calls, {cost.items_read:,} items, "
          f"{cost.read_units:,.1f} read units")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="orders written (default 20,000)")
    parser.add_argument("--sample", type=int, default=1000, help="the sample bound per table (default 1,000)")
    parser.add_argument("--segments", type=int, default=4, help="parallel Scan segments (default 4)")
    parser.add_argument("--page-size", type=int, default=100, help="items per Scan page (default 100)")
    args = parser.parse_args()
    env, table = "sit", "orders-sit"
    sample = Sampling(items_per_table=args.sample, segments=args.segments, page_size=args.page_size)
    full = Sampling(full=True, segments=args.segments, page_size=args.page_size)
    print(f"benchmark: item check on DynamoDB Local, {table} holding {args.items:,} valid orders; sample bound "
          f"{args.sample:,} items per table, {args.segments} segments, pages of {args.page_size}")
    desired = desired_state(load_contract(), env)
    with open_target("dynamodb-local") as target:
        deploy(target, desired)
        fill(target, env, args.items)
        started = time.monotonic()
        verdicts, cost = verify_items(target, desired, sampling=sample)
        show("sample", cost, time.monotonic() - started, table)
        bad = [v.line() for v in verdicts if v.status != "pass"]
        orders = next(t for t in cost.tables if t.table == table)
        pages = sum(sample.segment_pages(i) or 0 for i in range(sample.segments))
        started = time.monotonic()
        stream = io.StringIO()
        _, everything = verify_items(target, desired, sampling=full, stream=stream)
        show("full read", everything, time.monotonic() - started, table)
        first = next(t for t in everything.tables if t.table == table)
        print(f"  {'':<28} estimated first from DescribeTable: {first.estimated_items or 0:,} items, "
              f"{first.estimated_read_units or 0:,.1f} read units")
    if bad:
        print("  unexpected verdicts on valid items:\n    " + "\n    ".join(bad[:5]))
    if orders.items_read > args.sample or orders.calls > pages:
        print(f"  BOUND EXCEEDED: the sample read {orders.items_read:,} items in {orders.calls} calls "
              f"(bound {args.sample:,} items, {pages} calls)")
        return 1
    print(f"  the sample stayed within its bound: {orders.items_read:,} of {args.items:,} items, "
          f"{orders.calls} of at most {pages} Scan calls")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
