"""The data access drills: items read back and found through every access pattern, optimistic locking,
transactions, stream images (features/data_access.feature, streams.feature)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from readiness.contract.desired import TableSpec
from readiness.drills.bench import Bench
from readiness.drills.catalogue import C_ACCESS, C_LOCKING, C_STREAMS, C_TRANSACTION
from readiness.drills.core import (
    GSI_WAIT_SECONDS,
    ITEMS_PER_TABLE,
    STREAM_WAIT_SECONDS,
    DrillFailed,
    DrillUnverifiable,
    Sheet,
    attempt,
    figure,
    from_ddb,
    key_of,
    to_ddb,
)
from readiness.outcome import NOT_APPLICABLE, Verdict, error_parts
from readiness.testitems import generate_item


def access(bench: Bench, table: TableSpec) -> Verdict:
    """Items written, read back by key, and found through every access pattern; sparse indexes hold
    only active items."""
    def body(m: Sheet) -> None:
        c = table.table
        items = [generate_item(c, bench.scope, n, active=n != ITEMS_PER_TABLE - 1)
                 for n in range(ITEMS_PER_TABLE)]
        client = bench.client()
        for item in items:
            bench.put(table, item)
        for item in items:
            got = attempt(f"GetItem({table.name})", partial(
                client.get_item, TableName=table.name, Key=to_ddb(key_of(c, item)), ConsistentRead=True)
                           ).get("Item")
            if got is None or from_ddb(got) != from_ddb(to_ddb(item)):
                raise DrillFailed(f"{item['PK']} did not read back as written")
        slowest = 0.0
        checked = 0
        for pattern in c.access_patterns:
            if pattern.index == "table":
                continue
            for item in items:
                present = pattern.partition_key in item and (not pattern.sort_key or pattern.sort_key in item)
                started = bench.clock()
                found = find(bench, table, pattern.index, pattern.partition_key, pattern.sort_key, item,
                                   want=present)
                if found != present:
                    raise DrillFailed(
                        f"{pattern.index} ({pattern.name}) {'does not find' if present else 'holds'} "
                        f"{item['PK']}{'' if present else ', an item without ' + pattern.partition_key}"
                        f" after {GSI_WAIT_SECONDS:g} s")
                slowest = max(slowest, bench.clock() - started)
                checked += 1
        m.reason = (f"{len(items)} items read back; {checked} index lookups over "
                    f"{sum(p.index != 'table' for p in c.access_patterns)} access patterns as contracted"
                    + ("; the inactive item is absent from the sparse index" if "activeKey" in c.attributes
                       else ""))
        m.figures = [figure("items", len(items), "count"), figure("index_lookups", checked, "count"),
                     figure("gsi_propagation_max", slowest, "s")]
    return bench.measure("drill.access", C_ACCESS, table.name, body)


def find(bench: Bench, table: TableSpec, index: str, pk: str, sk: str | None, item: Mapping[str, Any], *,
          want: bool) -> bool:
    """Is item in index under its own key values? GSIs are eventually consistent: wait for `want`.

    An item without the index's partition key (the inactive item of a sparse index) is looked up
    under the value every indexed item has there (the schema's const, e.g. activeKey ACTIVE)."""
    const = (table.table.item_schema.get("properties", {}).get(pk) or {}).get("const")
    value = item.get(pk, const)
    if value is None:
        return False  # no value to look it up under: absent by construction
    names, vals = {"#p": pk}, {":p": value}
    expression = "#p = :p"
    if sk and sk in item:
        names["#s"] = sk
        expression += " AND #s = :s"
        vals[":s"] = item[sk]
    deadline = bench.clock() + (GSI_WAIT_SECONDS if want else 0.0)
    client = bench.client()
    own = table.table.partition.attribute
    while True:
        page = attempt(f"Query({table.name}/{index})", lambda: client.query(
            TableName=table.name, IndexName=index, KeyConditionExpression=expression,
            ExpressionAttributeNames=names, ExpressionAttributeValues=to_ddb(vals), Limit=100))
        found = any(from_ddb(i).get(own) == item[own] for i in page.get("Items", []))
        if found == want or bench.clock() >= deadline:
            return found
        time.sleep(0.2)


def locking(bench: Bench) -> Verdict:
    """A stale version is rejected; concurrent writers with conditional updates lose nothing."""
    table = bench.table_with("version")

    def body(m: Sheet) -> None:
        c = table.table
        item = generate_item(c, bench.scope, 100, version=1)
        bench.put(table, item)
        key = to_ddb(key_of(c, item))
        client = bench.client()

        def bump(expected: int) -> None:
            client.update_item(TableName=table.name, Key=key, UpdateExpression="SET #v = :next",
                               ConditionExpression="#v = :seen", ExpressionAttributeNames={"#v": "version"},
                               ExpressionAttributeValues=to_ddb({":seen": expected, ":next": expected + 1}))

        attempt(f"UpdateItem({table.name})", lambda: bump(1))
        try:
            attempt(f"UpdateItem({table.name})", lambda: bump(1))  # stale: version is 2 now
            raise DrillFailed("an update conditioned on a stale version (1) was accepted")
        except ClientError as exc:
            if error_parts(exc)[1] != "ConditionalCheckFailedException":
                raise
        writers, each = 4, 5
        conflicts = [0] * writers

        def writer(w: int) -> None:
            done = 0
            while done < each:
                seen = int(from_ddb(client.get_item(TableName=table.name, Key=key, ConsistentRead=True)
                                    ["Item"])["version"])
                try:
                    bump(seen)
                    done += 1
                except ClientError as exc:
                    if error_parts(exc)[1] != "ConditionalCheckFailedException":
                        raise
                    conflicts[w] += 1

        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(writer, range(writers)))
        final = int(from_ddb(client.get_item(TableName=table.name, Key=key, ConsistentRead=True)
                             ["Item"])["version"])
        want = 2 + writers * each
        m.figures = [figure("concurrent_updates", writers * each, "count"),
                     figure("conflicts_retried", sum(conflicts), "count"),
                     figure("lost_updates", want - final, "count", 0, "max")]
        if final != want and "atomic_conditions" in bench.target.silent_gaps:
            raise DrillUnverifiable(f"the stale version was rejected, but {want - final} of {writers * each} "
                                    f"concurrent conditional updates were lost: "
                                    f"{bench.target.silent_gaps['atomic_conditions']}")
        if final != want:
            raise DrillFailed(f"version is {final} after {writers * each} conditional updates, not {want}: "
                              f"{want - final} lost")
        m.reason = (f"the stale version was rejected; {writers} writers x {each} conditional updates, "
                    f"{sum(conflicts)} conflicts retried, none lost")
    return bench.measure("drill.locking", C_LOCKING, table.name, body)


def transaction(bench: Bench) -> Verdict:
    """An order and its campaign in one transaction: both commit, or (a condition fails) neither."""
    orders, campaigns = bench.logical("orders"), bench.logical("campaigns")

    def body(m: Sheet) -> None:
        campaign = generate_item(campaigns.table, bench.scope, 200)
        order = generate_item(orders.table, bench.scope, 201, campaignCode=campaign["code"])
        bench.record(campaigns, campaign)
        bench.record(orders, order)
        client = bench.client()

        def write(o: Mapping[str, Any], condition: str) -> None:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": orders.name, "Item": to_ddb(o)}},
                {"Put": {"TableName": campaigns.name, "Item": to_ddb(campaign), "ConditionExpression": condition,
                         "ExpressionAttributeNames": {"#c": "code"}}}])

        attempt("TransactWriteItems", lambda: write(order, "attribute_not_exists(#c)"))
        for t, i in ((orders, order), (campaigns, campaign)):
            if "Item" not in client.get_item(TableName=t.name, Key=to_ddb(key_of(t.table, i)),
                                             ConsistentRead=True):
                raise DrillFailed(f"the committed transaction left no {i['PK']} in {t.name}")
        second = generate_item(orders.table, bench.scope, 202, campaignCode=campaign["code"])
        bench.record(orders, second)
        try:
            write(second, "attribute_not_exists(#c)")  # the campaign exists now: the condition fails
            raise DrillFailed("a transaction whose condition failed was committed")
        except ClientError as exc:
            if error_parts(exc)[1] != "TransactionCanceledException":
                raise
        if "Item" in client.get_item(TableName=orders.name, Key=to_ddb(key_of(orders.table, second)),
                                     ConsistentRead=True):
            raise DrillFailed(f"the cancelled transaction still wrote {second['PK']}")
        m.reason = "committed as a whole; cancelled as a whole (no partial order)"
        m.figures = [figure("transactions", 2, "count")]
    return bench.measure("drill.transaction", C_TRANSACTION, f"{orders.name} + {campaigns.name}", body)


def streams(bench: Bench, table: TableSpec) -> Verdict:
    """INSERT carries the new image, MODIFY both, REMOVE the old one."""
    def body(m: Sheet) -> None:
        if table.table.stream is None:
            m.status, m.reason = NOT_APPLICABLE, "not applicable: the contract gives this table no stream"
            return
        client = bench.client()
        streams = bench.client(service="dynamodbstreams")
        arn = attempt(f"DescribeTable({table.name})",
                       lambda: client.describe_table(TableName=table.name)["Table"].get("LatestStreamArn"))
        if not arn:
            raise DrillFailed("the table has no stream")
        shards = attempt("DescribeStream", lambda: streams.describe_stream(StreamArn=arn)
                          ["StreamDescription"].get("Shards", []))
        iterators = [attempt("GetShardIterator", partial(
            streams.get_shard_iterator, StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST")
                              )["ShardIterator"]
            for s in shards if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})]
        item = generate_item(table.table, bench.scope, 300)
        key = to_ddb(key_of(table.table, item))
        started = bench.clock()
        bench.put(table, item)
        client.update_item(TableName=table.name, Key=key, UpdateExpression="SET #l = :l",
                           ExpressionAttributeNames={"#l": "lastUpdatedBy"},
                           ExpressionAttributeValues=to_ddb({":l": f"readiness drill {bench.scope.token} modify"}))
        client.delete_item(TableName=table.name, Key=key)
        seen: dict[str, dict[str, Any]] = {}
        deadline = bench.clock() + STREAM_WAIT_SECONDS
        while len(seen) < 3 and bench.clock() < deadline and iterators:
            nxt = []
            for it in iterators:
                page = attempt("GetRecords", partial(streams.get_records, ShardIterator=it, Limit=100))
                for r in page.get("Records", []):
                    if r["dynamodb"].get("Keys") == key:
                        seen.setdefault(r["eventName"], r["dynamodb"])
                if page.get("NextShardIterator"):
                    nxt.append(page["NextShardIterator"])
            iterators = nxt
            if len(seen) < 3:
                time.sleep(0.3)
        want = {"INSERT": ("NewImage",), "MODIFY": ("OldImage", "NewImage"), "REMOVE": ("OldImage",)}
        missing = [f"{e} without {img}" for e, imgs in want.items() for img in imgs
                   if e in seen and img not in seen[e]]
        missing += [f"no {e} record" for e in want if e not in seen]
        m.figures = [figure("records", len(seen), "count", 3, "min"),
                     figure("delivery", bench.clock() - started, "s")]
        view = {e: seen[e].get("StreamViewType") for e in seen}
        m.details = {"events": sorted(seen), "view": view}
        if missing:
            raise DrillFailed("the stream delivered " + "; ".join(missing))
        m.reason = "INSERT with the new image, MODIFY with both, REMOVE with the old image"
    return bench.measure("drill.streams", C_STREAMS, table.name, body)
