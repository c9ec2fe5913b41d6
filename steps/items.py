"""Items: the data the tables hold, judged against the contract (readiness/items/scan.py), read once per run."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then, when

from readiness.items.scan import INDEX_KEYS, SCHEMA, SPARSE_INDEX, Sampling, judge_in_run
from readiness.run import Run
from steps.common import expect

## When


@when(parsers.parse("a sample of up to {count:d} items is read from every table, in {segments:d} parallel segments"))
def items_read(run: Run, count: int, segments: int, request: pytest.FixtureRequest) -> None:
    """A bounded parallel Scan of every table (every item with --items full), judged once for the whole run."""
    full = request.config.getoption("--items") == "full"
    judge_in_run(run, Sampling(items_per_table=count, segments=segments, full=full))


## Then


@then("every item belongs to its table's entity and conforms to its item schema")
def items_conform(run: Run) -> None:
    """The schema check of every table."""
    expect(run, SCHEMA)


@then("every item carries the keys of the indexes its access patterns read, in the indexed type")
def items_indexed(run: Run) -> None:
    """The index key check of every index that is not sparse."""
    expect(run, INDEX_KEYS)


@then("no sparse index holds an inactive item, and every active item carries the sparse key")
def sparse_items(run: Run) -> None:
    """The sparse index check of every sparse index."""
    expect(run, SPARSE_INDEX)
