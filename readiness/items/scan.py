"""The data contract: the items a deployed table holds, judged against their entity's item schema.

Read-only and bounded. Each contracted table is read with a parallel Scan (``Segment`` /
``TotalSegments``, a page limit and an item limit per table, ``ReturnConsumedCapacity=TOTAL``), and
every item read is judged the way the services depend on it:

- ``items.schema`` (per table): the item belongs to the table's entity (``entityType`` or the
  partition key prefix of the contract's key pattern) and is valid against its JSON Schema
  (``contracts/items/*.schema.json``, with format checks);
- ``items.index_keys`` (per GSI that is not sparse): the item carries the index's key attributes in
  the indexed type, or the access pattern that reads the index cannot find it;
- ``items.sparse_index`` (per sparse GSI): an active item carries the index key, an inactive one
  does not (ADR 0005: a sparse index only stays sparse if ``activeKey`` goes with ``active``).

Items hold customers' personal data. Verdicts, progress lines and errors name the table, the
item's key (PK/SK), a JSON pointer and the rule broken, and never an attribute value: jsonschema's
own messages quote the value, so each message is built here from the error's keyword, the schema's
value for it and the error's path. Drills' own test items (both the test-mark key prefix and the
marker attribute, readiness/testitems.py) are left out; an item with only one of the two is judged.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from readiness.checks import FAIL, PASS, UNVERIFIABLE, Verdict
from readiness.contract.desired import Desired, TableSpec
from readiness.items.rules import ACTIVE_FLAG, Entity, Judged, Violation, judge
from readiness.observation.live import Answer, ask
from readiness.progress import Progress, progress
from readiness.targets.base import Target

if TYPE_CHECKING:  # run.py imports the drills and the provisioner: only its type is needed here
    from readiness.run import Run

SCHEMA, INDEX_KEYS, SPARSE_INDEX = "items.schema", "items.index_keys", "items.sparse_index"
C_SCHEMA = "004 3.2: every item conforms to its entity's item schema (contracts/items, LLD 3.2.1-3.2.3)"
C_INDEX_KEYS = "004 3.1 / D4: every item carries the keys of the indexes its access patterns read, in the indexed type"
C_SPARSE = "004 3.2 / D5: a sparse index holds only active items (ADR 0005)"
CRITERIA = {SCHEMA: C_SCHEMA, INDEX_KEYS: C_INDEX_KEYS, SPARSE_INDEX: C_SPARSE}
"""The check ids this module gives verdicts for, with the success criterion each traces to."""

READ_UNIT_BYTES = 4096  # an eventually consistent read: half a read unit per 4 KB (DynamoDB's pricing)


class SamplingError(ValueError):
    """A sampling option is out of range; the message says which and what is allowed."""


@dataclass(frozen=True)
class Sampling:
    """How much of each table is read. ``full`` reads every item (segments in parallel, progress shown,
    a cost estimate first); otherwise at most ``items_per_table`` items in pages of ``page_size``."""

    items_per_table: int = 1000
    page_size: int = 100
    segments: int = 4
    full: bool = False
    shown: int = 5  # violations a FAIL names; the rest are counted

    def __post_init__(self) -> None:
        for name, low, high in (("items_per_table", 1, 10_000_000), ("page_size", 1, 1000),
                                ("segments", 1, 1000), ("shown", 1, 100)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SamplingError(f"item sampling: {name} must be a whole number from {low} to {high}, "
                                    f"not {value!r}")

    def segment_quota(self, segment: int) -> int | None:
        """How many items one segment may read (None: to the end); the quotas add up to items_per_table."""
        if self.full:
            return None
        share, extra = divmod(self.items_per_table, self.segments)
        return share + (1 if segment < extra else 0)

    def segment_pages(self, segment: int) -> int | None:
        """How many Scan calls one segment may make: twice the pages its quota needs (a page is cut at 1 MB
        before it reaches the limit, so a page can hold fewer items), plus one. None: to the end."""
        quota = self.segment_quota(segment)
        return None if quota is None else 0 if quota == 0 else 2 * math.ceil(quota / self.page_size) + 1


@dataclass
class TableCost:
    """What reading one table cost."""

    table: str
    calls: int = 0
    items_read: int = 0
    read_units: float = 0.0
    complete: bool = False  # every segment was read to its end (the whole table)
    test_items_skipped: int = 0
    estimated_items: int | None = None  # full reads only: DescribeTable's ItemCount, asked first
    estimated_read_units: float | None = None


@dataclass
class ItemCost:
    """What the item verification cost, for the report (calls, items read, read units)."""

    mode: str  # "sample" or "full"
    items_per_table: int | None
    tables: list[TableCost] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.tables)

    @property
    def items_read(self) -> int:
        return sum(t.items_read for t in self.tables)

    @property
    def read_units(self) -> float:
        return sum(t.read_units for t in self.tables)

    @property
    def read_units_per_1000_items(self) -> float | None:
        return None if not self.items_read else round(1000 * self.read_units / self.items_read, 2)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "items_per_table": self.items_per_table, "calls": self.calls,
                "items_read": self.items_read, "read_units": round(self.read_units, 2),
                "read_units_per_1000_items": self.read_units_per_1000_items, "seconds": round(self.seconds, 2),
                "tables": [asdict(t) for t in self.tables]}

    def line(self) -> str:
        """One line for the report's notes and the console."""
        bound = "every item" if self.mode == "full" else f"a sample of at most {self.items_per_table:,} items"
        per = self.read_units_per_1000_items
        return (f"items: {bound} per table; {self.items_read:,} items read from {len(self.tables)} tables in "
                f"{self.calls:,} Scan calls, {self.read_units:,.1f} read units"
                + (f" ({per:,.2f} per 1,000 items)" if per is not None else "") + f", {self.seconds:.1f} s")


class _NoItemBodies(logging.Filter):
    """botocore's DEBUG log prints every response body, and a Scan's body is the items themselves: that line
    is replaced by a note (the record stays, so a DEBUG run still shows the call was answered)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit: logging reports that itself
            return True
        if message.startswith("Response body") and '"Items"' in message:
            record.msg, record.args = "Response body: not logged (it holds table items: readiness/items/scan.py)", None
        return True


BOTOCORE_BODY_LOGGER = "botocore.parsers"


def keep_items_out_of_logs() -> None:
    """Install the filter once on the logger that prints response bodies."""
    log = logging.getLogger(BOTOCORE_BODY_LOGGER)
    if not any(isinstance(f, _NoItemBodies) for f in log.filters):
        log.addFilter(_NoItemBodies())


# ---------------------------------------------------------------------------- reading


@dataclass
class _Segment:
    items: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    read_units: float = 0.0
    complete: bool = False
    failure: Answer | None = None


def _scan_segment(client: Any, spec: TableSpec, segment: int, sampling: Sampling,
                  shown: Progress | None, counter: Callable[[int, float], None]) -> _Segment:
    """One segment's pages, until its end, its item quota or its page bound."""
    out = _Segment()
    quota, pages = sampling.segment_quota(segment), sampling.segment_pages(segment)
    start: Mapping[str, Any] | None = None
    while pages is None or out.calls < pages:
        limit = sampling.page_size if quota is None else min(sampling.page_size, quota - len(out.items))
        if limit <= 0:
            return out
        params: dict[str, Any] = {"TableName": spec.name, "Segment": segment, "TotalSegments": sampling.segments,
                                  "Limit": limit, "ReturnConsumedCapacity": "TOTAL"}
        if start:
            params["ExclusiveStartKey"] = start
        answer = ask(f"dynamodb:Scan {spec.name} segment {segment}/{sampling.segments} in {spec.region}",
                     partial(client.scan, **params))
        out.calls += 1
        if not answer.ok:
            out.failure = answer
            return out
        page: Mapping[str, Any] = answer.value
        items = list(page.get("Items") or [])[:limit]  # never more than asked, whatever the endpoint says
        units = float((page.get("ConsumedCapacity") or {}).get("CapacityUnits") or 0.0)
        out.items += items
        out.read_units += units
        counter(len(items), units)
        if shown is not None:
            shown.update()
        if start and page.get("LastEvaluatedKey") == start:  # the same page again: a loop, not a read
            out.failure = Answer(answer.call, error="answered the LastEvaluatedKey it was given: the read stopped "
                                                    "there rather than loop")
            return out
        start = page.get("LastEvaluatedKey")
        if not start:
            out.complete = True
            return out
    return out


def _estimate(client: Any, spec: TableSpec, cost: TableCost) -> str:
    """DescribeTable's item count and size (refreshed by DynamoDB about every six hours) as a cost estimate."""
    answer = ask(f"dynamodb:DescribeTable {spec.name} in {spec.region}",
                 lambda: client.describe_table(TableName=spec.name))
    if not answer.ok:
        return f"{spec.name}: no estimate ({answer.error or 'no such table'})"
    table = answer.value.get("Table") or {}
    count, size = int(table.get("ItemCount") or 0), int(table.get("TableSizeBytes") or 0)
    cost.estimated_items = count
    cost.estimated_read_units = round(math.ceil(size / READ_UNIT_BYTES) / 2, 1)
    return (f"{spec.name}: about {count:,} items, {size / 1e6:,.1f} MB, "
            f"about {cost.estimated_read_units:,.1f} read units")


# ---------------------------------------------------------------------------- judging

# ---------------------------------------------------------------------------- verdicts


def _listed(violations: Sequence[Violation], shown: int) -> str:
    first = "; ".join(str(v) for v in violations[:shown])
    rest = len(violations) - shown
    return first + (f" (and {rest} more)" if rest > 0 else "")


def _read_note(cost: TableCost, sampling: Sampling) -> str:
    if cost.complete:
        return f"all {cost.items_read:,} items"
    return f"a sample of {cost.items_read:,} items (bound {sampling.items_per_table:,})"


def _verdicts(spec: TableSpec, judged: Judged, cost: TableCost, failure: Answer | None,
              sampling: Sampling) -> list[Verdict]:
    table, out = spec.table, []
    read = _read_note(cost, sampling)
    unread = (f"; {failure.call} answered {failure.error or 'no such table'}" if failure else "")
    schema_expected = (f"every item carries {Entity.of(table).describe()} and is valid against "
                       f"{table.item_schema_file}")
    checks: list[tuple[str, str, str, list[Violation], str]] = [
        (SCHEMA, spec.name, schema_expected, judged.schema,
         f"{judged.invalid_items:,} of {read} break {table.item_schema_file}")]
    for g in table.gsis:
        check_id = SPARSE_INDEX if g.sparse else INDEX_KEYS
        expected = (f"{g.partition_key} only on items whose {ACTIVE_FLAG} is true" if g.sparse
                    else f"{', '.join(a for a in (g.partition_key, g.sort_key) if a)} on every item, "
                         f"typed as the index defines them")
        checks.append((check_id, f"{spec.name}/{g.name}", expected, judged.by_index[g.name],
                       f"{len(judged.by_index[g.name]):,} findings in {read}"))
    for check_id, resource, expected, violations, summary in checks:
        actual: dict[str, Any] = {"items_read": cost.items_read, "violations": len(violations),
                                  "first": [str(v) for v in violations[:sampling.shown]]}
        if violations:
            status, reason = FAIL, f"{summary}: {_listed(violations, sampling.shown)}{unread}"
        elif failure is not None:
            status, reason = UNVERIFIABLE, f"{read} judged before the read stopped{unread}"
        else:
            status = PASS
            reason = (f"{read} judged, none breaks the rule" if cost.items_read
                      else "the table holds no items to judge (Scan read none)")
        if judged.drill_items:
            reason += f"; {judged.drill_items} drill test items left out"
        out.append(Verdict(check_id, CRITERIA[check_id], resource, status, expected, actual, reason))
    return out


def _unverifiable(spec: TableSpec, reason: str) -> list[Verdict]:
    ids = [(SCHEMA, spec.name)] + [(SPARSE_INDEX if g.sparse else INDEX_KEYS, f"{spec.name}/{g.name}")
                                   for g in spec.table.gsis]
    return [Verdict(i, CRITERIA[i], r, UNVERIFIABLE, "items as the contract defines them", None, reason)
            for i, r in ids]


# ---------------------------------------------------------------------------- entry point


def verify_items(target: Target, desired: Desired, *, sampling: Sampling | None = None,
                 stream: TextIO | None = None) -> tuple[list[Verdict], ItemCost]:
    """Read (a bounded sample of) every contracted table and judge its items; the verdicts and the cost.

    ``stream`` gets the full read's cost estimate and progress (default stderr); a sample says nothing.
    Reads through the target's read-only clients: Scan and (full reads) DescribeTable only.
    """
    sampling = sampling or Sampling()
    cost = ItemCost(mode="full" if sampling.full else "sample",
                    items_per_table=None if sampling.full else sampling.items_per_table)
    if target.kind == "plan":
        reason = "a Terraform plan holds no items: they are judged on a deployed account (live or emulated)"
        return [v for spec in desired.tables for v in _unverifiable(spec, reason)], cost
    keep_items_out_of_logs()
    started = time.monotonic()
    out = stream if stream is not None else sys.stderr
    costs = {spec.name: TableCost(spec.name) for spec in desired.tables}
    clients = {spec.name: target.client("dynamodb", spec.region) for spec in desired.tables}
    if sampling.full:
        lines = [_estimate(clients[s.name], s, costs[s.name]) for s in desired.tables]
        out.write("full item read, cost estimate first (DescribeTable): " + "; ".join(lines) + "\n")
        out.flush()
    jobs = [(spec, i) for spec in desired.tables for i in range(sampling.segments)]
    watch: AbstractContextManager[Progress | None] = (
        progress(f"reading every item of {len(desired.tables)} tables", stream=out) if sampling.full
        else nullcontext())  # a bounded sample takes a second or two: no progress line, logs stay clean
    lock = threading.Lock()
    with watch as shown:
        totals = {"items": 0.0, "read_units": 0.0}

        def counter(items: int, units: float) -> None:
            with lock:
                totals["items"] += items
                totals["read_units"] += units
                if shown is not None:
                    shown.update(items=int(totals["items"]), read_units=round(totals["read_units"], 1))

        with ThreadPoolExecutor(max_workers=max(1, min(32, len(jobs)))) as pool:
            results = list(pool.map(lambda job: _scan_segment(clients[job[0].name], job[0], job[1], sampling,
                                                              shown, counter), jobs))
    verdicts: list[Verdict] = []
    for spec in desired.tables:
        segments = [r for (s, _), r in zip(jobs, results, strict=True) if s is spec]
        c = costs[spec.name]
        c.calls = sum(r.calls for r in segments) + (1 if sampling.full else 0)
        c.items_read = sum(len(r.items) for r in segments)
        c.read_units = round(sum(r.read_units for r in segments), 2)
        c.complete = all(r.complete for r in segments)
        failure = next((r.failure for r in segments if r.failure is not None), None)
        if failure is not None and failure.missing:
            verdicts += _unverifiable(spec, f"{failure.call}: no such table (table.exists judges that), "
                                            f"so it has no items to judge")
            continue
        judged = judge(spec.table, [item for r in segments for item in r.items])
        c.test_items_skipped = judged.drill_items
        verdicts += _verdicts(spec, judged, c, failure, sampling)
    cost.tables = [costs[spec.name] for spec in desired.tables]
    cost.seconds = time.monotonic() - started
    return verdicts, cost



def judge_in_run(run: Run, sampling: Sampling | None = None, *, stream: TextIO | None = None) -> list[Verdict]:
    """The run's item verdicts, read once: the first caller (a scenario's step, or the run itself) reads and
    appends the verdicts to ``run.verdicts`` (so the report and the run's verdict have them) and the cost
    line to ``run.notes``; later callers get the same verdicts without another Scan."""
    done = [v for v in run.verdicts if v.id in CRITERIA]
    if done:
        return done
    verdicts, cost = verify_items(run.target, run.desired, sampling=sampling, stream=stream)
    run.verdicts.extend(verdicts)
    run.notes.append(cost.line())
    run.items_cost = cost.to_dict()
    return verdicts
