"""The data contract on the items themselves (readiness/items/scan.py), on embedded moto and DynamoDB Local.

Every rule is broken the way a service bug or an operator would break it: one bad item among valid
ones (a decoy the check must not stop at), an item of another entity, a hot fix that drops an index
and writes the key in another type, a soft delete that forgets the sparse key. Valid items come from
the schemas (readiness/testitems.py's generator, driven by hypothesis) and must PASS. The sample
bound is counted in Scan calls and items read. No output ever carries an attribute value.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.checks import FAIL, PASS, UNVERIFIABLE, Verdict
from readiness.contract.desired import Desired, TableSpec, desired_state
from readiness.contract.loading import load_contract
from readiness.contract.model import Contract
from readiness.items.rules import judge
from readiness.items.scan import INDEX_KEYS, SCHEMA, SPARSE_INDEX, ItemCost, Sampling, SamplingError, verify_items
from readiness.report.run_report import Report
from readiness.report.verdict import BLOCKED, run_verdict
from readiness.targets.base import Target, open_target
from readiness.targets.provision import deploy
from readiness.targets.services import find_dynamodb_local
from readiness.testitems import EXPIRES, MARKER, RunScope, as_dynamodb, generate_item

needs_dynamodb_local = pytest.mark.skipif(
    find_dynamodb_local() is None and not os.environ.get("CI"),
    reason="DynamoDB Local is not installed: run `python -m readiness install-dynamodb-local`")
BACKENDS = ["moto", pytest.param("dynamodb-local", marks=needs_dynamodb_local)]
SCOPE = RunScope("0a1b2c3d")  # ids inside the schemas' patterns, not the drills' test mark: "real" items
SERIALIZER = TypeSerializer()
Account = tuple[Target, Desired]


# ============================================================================ helpers


@functools.cache
def contract() -> Contract:
    return load_contract()


def spec_of(desired: Desired, logical: str) -> TableSpec:
    return next(t for t in desired.tables if t.logical == logical)


def item(desired: Desired, logical: str, n: int, *, active: bool = True) -> dict[str, Any]:
    """A valid item of the table's entity, without the drills' marker attributes."""
    made = generate_item(spec_of(desired, logical).table, SCOPE, n, active=active)
    return {k: v for k, v in made.items() if k not in (MARKER, EXPIRES)}


def serialized(values: dict[str, Any]) -> dict[str, Any]:
    return {k: SERIALIZER.serialize(as_dynamodb(v)) for k, v in values.items()}


def put(target: Target, desired: Desired, logical: str, *items: dict[str, Any]) -> None:
    spec = spec_of(desired, logical)
    client = target.client("dynamodb", spec.region, write=True)
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": serialized(i)}} for i in items[start:start + 25]]
        left: dict[str, Any] = {spec.name: batch}
        while left:
            left = client.batch_write_item(RequestItems=left).get("UnprocessedItems") or {}


def valid_items(target: Target, desired: Desired, logical: str, count: int, *, first: int = 0) -> None:
    put(target, desired, logical, *(item(desired, logical, n, active=n % 3 != 0)
                                    for n in range(first, first + count)))


def bad_among_valid(target: Target, desired: Desired, logical: str, valid: int,
                    breaks: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """valid items, then one more broken by ``breaks`` (a decoy the check must not stop at): the bad one."""
    valid_items(target, desired, logical, valid)
    bad = item(desired, logical, 10_000)
    breaks(bad)
    put(target, desired, logical, bad)
    return bad


def key_of(desired: Desired, logical: str, values: dict[str, Any]) -> str:
    return f"PK={values['PK']} SK={values['SK']}"


def find(verdicts: list[Verdict], check_id: str, resource: str) -> Verdict:
    found = [v for v in verdicts if v.id == check_id and v.resource == resource]
    assert len(found) == 1, f"{len(found)} verdicts for {check_id} {resource}"
    return found[0]


def dump(verdicts: list[Verdict]) -> str:
    return "\n".join(v.line() + json.dumps(v.to_dict(), default=str) for v in verdicts)


# ============================================================================ the accounts


def _empty(target: Target, desired: Desired) -> None:
    """Every item gone, every index back (DynamoDB Local is shared by the module's tests)."""
    client = target.client("dynamodb", desired.env.region, write=True)
    redeploy = False
    for spec in desired.tables:
        table = client.describe_table(TableName=spec.name)["Table"]
        if len(table.get("GlobalSecondaryIndexes") or []) != len(spec.gsis):
            client.delete_table(TableName=spec.name)
            client.get_waiter("table_not_exists").wait(TableName=spec.name)
            redeploy = True
            continue
        keys = [a["AttributeName"] for a in table["KeySchema"]]
        for page in client.get_paginator("scan").paginate(TableName=spec.name, ProjectionExpression=",".join(keys)):
            for found in page["Items"]:
                client.delete_item(TableName=spec.name, Key=found)
    if redeploy:
        deploy(target, desired)


@pytest.fixture(scope="module")
def dynamodb_local(loaded_contract: Contract) -> Iterator[Account]:
    desired = desired_state(loaded_contract, "sit")
    with open_target("dynamodb-local") as target:
        deploy(target, desired)
        yield target, desired


@pytest.fixture(params=BACKENDS)
def sit(request: pytest.FixtureRequest, moto_account: Callable[..., Account]) -> Iterator[Account]:
    """SIT's tables, empty, on the backend of the parameter."""
    if request.param == "moto":
        yield moto_account("sit")
        return
    target, desired = request.getfixturevalue("dynamodb_local")
    _empty(target, desired)
    try:
        yield target, desired
    finally:
        _empty(target, desired)


# ============================================================================ valid items PASS


@settings(max_examples=150, deadline=None)
@given(logical=st.sampled_from(["tenants", "products", "campaigns", "orders", "users"]),
       token=st.from_regex(r"[0-9a-f]{8}", fullmatch=True), n=st.integers(0, 10**7), active=st.booleans(),
       seed=st.integers())
def test_items_generated_from_the_schemas_break_no_rule(logical: str, token: str, n: int, active: bool,
                                                        seed: int) -> None:
    """n goes back n seconds from now (dateCreated), so it stays within the last four months."""
    import random

    table = contract().tables[logical]
    made = generate_item(table, RunScope(token), n, active=active, rng=random.Random(seed))
    raw = serialized({k: v for k, v in made.items() if k not in (MARKER, EXPIRES)})
    judged = judge(table, [raw])
    assert judged.items == 1
    assert [str(v) for v in judged.schema] == []
    assert {g: [str(v) for v in found] for g, found in judged.by_index.items() if found} == {}


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_valid_items_in_every_table_pass(sit: Account) -> None:
    target, desired = sit
    for spec in desired.tables:
        valid_items(target, desired, spec.logical, 12)
    verdicts, cost = verify_items(target, desired)
    assert [v.line() for v in verdicts if v.status != PASS] == []
    assert {v.id for v in verdicts} == {SCHEMA, INDEX_KEYS, SPARSE_INDEX}
    assert len(verdicts) == len(desired.tables) + sum(len(t.gsis) for t in desired.tables)
    assert cost.items_read == 12 * len(desired.tables)
    assert all(t.complete for t in cost.tables)
    assert "60 items judged" not in dump(verdicts) and "all 12 items judged" in dump(verdicts)


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(st.tuples(st.sampled_from(["tenants", "products", "campaigns", "orders", "users"]),
                                st.integers(0, 10**6), st.booleans(), st.integers()), min_size=1, max_size=12))
def test_items_drawn_from_the_schemas_pass_on_the_backend(sit: Account,
                                                          drawn: list[tuple[str, int, bool, int]]) -> None:
    """Each example adds hypothesis-drawn items (ids, enum choices, numbers, active or not) to the tables the
    earlier examples filled; the backend's answer, judged, still breaks no rule."""
    import random

    target, desired = sit
    for logical, n, active, seed in drawn:
        made = generate_item(spec_of(desired, logical).table, SCOPE, n, active=active, rng=random.Random(seed))
        put(target, desired, logical, {k: v for k, v in made.items() if k not in (MARKER, EXPIRES)})
    verdicts, cost = verify_items(target, desired)
    assert [v.line() for v in verdicts if v.status != PASS] == []
    assert cost.items_read >= len({(logical, n) for logical, n, _, _ in drawn})


# ============================================================================ each rule broken -> FAIL naming the key


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda item: item.update(values)


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def drop(item: dict[str, Any]) -> None:
        del item[name]
    return drop


# (case, table, break, check, resource suffix, pointer, rule)
BROKEN: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str, str, str]] = [
    ("enum", "orders", _set(status="SHIPPED"), SCHEMA, "", "/status", "enum"),
    ("pattern", "orders", _set(currency="rand"), SCHEMA, "", "/currency", "pattern"),
    ("type", "orders", _set(total="12.50"), SCHEMA, "", "/total", "type"),
    ("required", "tenants", _drop("email"), SCHEMA, "", "/email", "required"),
    ("format", "users", _set(email="not an address"), SCHEMA, "", "/email", "format"),
    ("extra attribute", "products", _set(internalNote="x"), SCHEMA, "", "/internalNote", "additionalProperties"),
    ("index key missing", "orders", _drop("customerId"), INDEX_KEYS, "/CustomerIndex", "/customerId",
     "index key missing"),
    ("inactive item in a sparse index", "tenants", _set(active=False, activeKey="ACTIVE"), SPARSE_INDEX, "/ActiveIndex",
     "/activeKey", "sparse"),
    ("inactive campaign in both sparse indexes", "campaigns", _set(active=False, activeKey="ACTIVE"), SPARSE_INDEX,
     "/CampaignActiveIndex", "/activeKey", "sparse"),
]


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
@pytest.mark.parametrize(("case", "logical", "breaks", "check_id", "suffix", "where", "rule"), BROKEN,
                         ids=[b[0] for b in BROKEN])
def test_one_bad_item_among_valid_ones_fails_naming_its_key(
        sit: Account, case: str, logical: str, breaks: Callable[[dict[str, Any]], None], check_id: str,
        suffix: str, where: str, rule: str) -> None:
    target, desired = sit
    bad = bad_among_valid(target, desired, logical, 20, breaks)
    verdicts, _ = verify_items(target, desired)
    spec = spec_of(desired, logical)
    found = find(verdicts, check_id, spec.name + suffix)
    assert found.status == FAIL, found.line()
    assert f"{key_of(desired, logical, bad)}: {where}: {rule}" in found.reason
    assert found.actual["violations"] >= 1 and found.actual["items_read"] == 21
    assert "1 of all 21 items" in found.reason or check_id != SCHEMA
    others = [v for v in verdicts if v.resource.split("/")[0] != spec.name]
    assert [v.line() for v in others if v.status != PASS] == []
    assert run_verdict(verdicts) == BLOCKED


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_an_order_with_an_invalid_status_blocks_sit_naming_the_order(sit: Account) -> None:
    """Issue 16's "done when": an order with an invalid status in orders-sit blocks SIT, the key named."""
    target, desired = sit
    bad = bad_among_valid(target, desired, "orders", 5, _set(status="SHIPPED"))
    verdicts, _ = verify_items(target, desired)
    report = Report(environment="sit", target=target.label, verdicts=verdicts, api_calls=0)
    assert report.verdict == BLOCKED
    assert any(bad["PK"] in line and "/status: enum" in line for line in report.console_lines())


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_an_item_of_another_entity_belongs_to_no_entity(sit: Account) -> None:
    target, desired = sit
    valid_items(target, desired, "orders", 5)
    stray = item(desired, "tenants", 9)  # a tenant written into the orders table
    put(target, desired, "orders", stray)
    verdicts, _ = verify_items(target, desired)
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == FAIL
    assert f"PK={stray['PK']} SK=METADATA: /: entity: belongs to no entity" in found.reason
    assert "entityType ORDER or a partition key starting ORDER#" in found.reason


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_an_index_key_written_in_another_type_while_the_index_was_dropped_fails(sit: Account) -> None:
    """A hot fix drops OrderDateIndex, an item is written with orderMonth as a number: once the index is back
    that item is not in it. DynamoDB refuses such a write while the index exists (moto does not)."""
    target, desired = sit
    spec = spec_of(desired, "orders")
    valid_items(target, desired, "orders", 5)
    client = target.client("dynamodb", spec.region, write=True)
    client.update_table(TableName=spec.name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "OrderDateIndex"}}])
    for _ in range(100):
        gsis = client.describe_table(TableName=spec.name)["Table"].get("GlobalSecondaryIndexes") or []
        if "OrderDateIndex" not in {g["IndexName"] for g in gsis}:
            break
        time.sleep(0.1)
    bad = item(desired, "orders", 11)
    bad["orderMonth"] = 202611
    put(target, desired, "orders", bad)
    verdicts, _ = verify_items(target, desired)
    found = find(verdicts, INDEX_KEYS, "orders-sit/OrderDateIndex")
    assert found.status == FAIL
    assert f"PK={bad['PK']} SK=METADATA: /orderMonth: index key type: stored as N, OrderDateIndex indexes S" \
        in found.reason
    assert find(verdicts, INDEX_KEYS, "orders-sit/CustomerIndex").status == PASS


def test_a_fail_names_the_first_violations_and_counts_the_rest(moto_account: Callable[..., Account]) -> None:
    target, desired = moto_account("sit")
    bad = [item(desired, "orders", n) for n in range(8)]
    for values in bad:
        values["status"] = "LOST"
    put(target, desired, "orders", *bad)
    verdicts, _ = verify_items(target, desired, sampling=Sampling(shown=3))
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == FAIL and found.reason.startswith("8 of all 8 items break order.schema.json")
    assert found.reason.count("/status: enum") == 3 and "(and 5 more)" in found.reason
    assert len(found.actual["first"]) == 3 and found.actual["violations"] == 8


# ============================================================================ drills' test items


def test_drills_own_test_items_are_left_out_and_a_marker_alone_hides_nothing(
        moto_account: Callable[..., Account]) -> None:
    target, desired = moto_account("sit")
    spec = spec_of(desired, "orders")
    drill_item = generate_item(spec.table, RunScope.new(), 1)  # marker attributes + test-mark ids
    put(target, desired, "orders", drill_item)
    verdicts, cost = verify_items(target, desired)
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == PASS and "1 drill test items left out" in found.reason
    assert next(t for t in cost.tables if t.table == "orders-sit").test_items_skipped == 1

    disguised = item(desired, "orders", 3)  # a real item given the marker: still judged
    disguised.update({"status": "LOST", MARKER: "7e57beef", EXPIRES: 1})
    put(target, desired, "orders", disguised)
    verdicts, _ = verify_items(target, desired)
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == FAIL
    assert f"PK={disguised['PK']} SK=METADATA: /status: enum" in found.reason
    assert f"/{MARKER}: additionalProperties" in found.reason


# ============================================================================ the bound


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_the_sample_bound_holds_on_a_table_larger_than_the_bound(sit: Account) -> None:
    target, desired = sit
    valid_items(target, desired, "orders", 300)
    sampling = Sampling(items_per_table=50, page_size=10, segments=4)
    before = target.calls.snapshot()
    verdicts, cost = verify_items(target, desired, sampling=sampling)
    after = target.calls.snapshot()
    orders = next(t for t in cost.tables if t.table == "orders-sit")
    assert orders.items_read == 50 and not orders.complete
    assert orders.calls <= 4 * 2  # quotas 13, 13, 12, 12 in pages of 10: two calls a segment
    assert {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)} == \
        {"dynamodb:Scan": cost.calls}
    assert cost.calls <= len(desired.tables) * 4 * 2 and cost.items_read <= 50 * len(desired.tables)
    assert orders.read_units > 0 and cost.read_units_per_1000_items is not None
    assert "a sample of 50 items (bound 50)" in find(verdicts, SCHEMA, "orders-sit").reason


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_a_full_read_estimates_first_reads_every_item_and_finds_what_a_sample_misses(sit: Account) -> None:
    target, desired = sit
    bad = bad_among_valid(target, desired, "orders", 120, _set(currency="rand"))
    stream = io.StringIO()
    verdicts, cost = verify_items(target, desired, sampling=Sampling(full=True, page_size=25, segments=3),
                                  stream=stream)
    orders = next(t for t in cost.tables if t.table == "orders-sit")
    assert orders.items_read == 121 and orders.complete and orders.estimated_items is not None
    assert cost.mode == "full" and cost.items_per_table is None
    text = stream.getvalue()
    assert text.index("cost estimate first") < text.index("reading every item of 5 tables")
    assert "items 121" in text and "done in" in text
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == FAIL and "of all 121 items" in found.reason and bad["PK"] in found.reason


def test_a_sample_says_nothing_on_the_stream_and_only_scans(moto_account: Callable[..., Account]) -> None:
    target, desired = moto_account("sit")
    stream = io.StringIO()
    verdicts, cost = verify_items(target, desired, stream=stream)
    assert stream.getvalue() == ""
    assert all(v.status == PASS and "holds no items" in v.reason for v in verdicts)
    assert cost.items_read == 0 and cost.calls == 4 * len(desired.tables)
    assert cost.to_dict()["read_units_per_1000_items"] is None
    assert cost.line().startswith("items: a sample of at most 1,000 items per table; 0 items read from 5 tables")


@pytest.mark.parametrize("options", [{"items_per_table": 0}, {"page_size": 5000}, {"segments": -1},
                                     {"shown": True}, {"items_per_table": "10"}])
def test_a_sampling_option_out_of_range_is_one_clear_error(options: dict[str, Any]) -> None:
    with pytest.raises(SamplingError) as raised:
        Sampling(**options)
    name = next(iter(options))
    assert str(raised.value).startswith(f"item sampling: {name} must be a whole number from ")
    assert "\n" not in str(raised.value)


# ============================================================================ what the target cannot answer


class _Denied:
    """A DynamoDB client whose Scan is refused (a role without dynamodb:Scan), for some segments or all."""

    def __init__(self, client: Any, segments: set[int] | None = None) -> None:
        self._client, self._segments = client, segments

    def scan(self, **params: Any) -> Any:
        if self._segments is None or params["Segment"] in self._segments:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "not authorized to perform: dynamodb:Scan"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "Scan")
        return self._client.scan(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _deny(monkeypatch: pytest.MonkeyPatch, target: Target, segments: set[int] | None = None) -> None:
    real = target.client
    monkeypatch.setattr(target, "client", lambda service, region, **kw: _Denied(real(service, region, **kw),
                                                                                  segments))


def test_a_denied_scan_is_unverifiable_quoting_the_call(moto_account: Callable[..., Account],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target, desired = moto_account("sit")
    valid_items(target, desired, "orders", 5)
    _deny(monkeypatch, target)
    verdicts, _ = verify_items(target, desired)
    assert {v.status for v in verdicts} == {UNVERIFIABLE}
    found = find(verdicts, SCHEMA, "orders-sit")
    assert "dynamodb:Scan orders-sit segment" in found.reason and "AccessDeniedException" in found.reason


def test_violations_found_before_a_denied_segment_still_fail(moto_account: Callable[..., Account],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target, desired = moto_account("sit")
    bad = [item(desired, "orders", n) for n in range(40)]
    for values in bad:
        values["status"] = "LOST"
    put(target, desired, "orders", *bad)
    _deny(monkeypatch, target, {1})
    verdicts, _ = verify_items(target, desired, sampling=Sampling(segments=2))
    found = find(verdicts, SCHEMA, "orders-sit")
    assert found.status == FAIL and "AccessDeniedException" in found.reason


def test_a_missing_table_is_unverifiable_and_the_others_are_judged(moto_account: Callable[..., Account]) -> None:
    target, desired = moto_account("sit")
    target.client("dynamodb", desired.env.region, write=True).delete_table(TableName="users-sit")
    verdicts, _ = verify_items(target, desired)
    users = [v for v in verdicts if v.resource.startswith("users-sit")]
    assert users and all(v.status == UNVERIFIABLE and "no such table" in v.reason for v in users)
    assert {v.status for v in verdicts if not v.resource.startswith("users-sit")} == {PASS}


def test_a_plan_has_no_items_to_judge(loaded_contract: Contract) -> None:
    desired = desired_state(loaded_contract, "sit")
    verdicts, cost = verify_items(Target("plan", read_only=True, plan_json="plan.json"), desired)
    assert verdicts and {v.status for v in verdicts} == {UNVERIFIABLE}
    assert "a Terraform plan holds no items" in verdicts[0].reason and cost.calls == 0


# ============================================================================ personal data never leaves


PII = ("jane.doe@example.com", "Jane Doe Holdings", "+27 82 555 0101", "8001015009087", "Jane Doe",
       "jane.doe", "42 Long Street")


@pytest.mark.parametrize("sit", BACKENDS, indirect=True)
def test_no_output_carries_an_attribute_value(sit: Account, caplog: pytest.LogCaptureFixture) -> None:
    """Valid and invalid items full of personal data: verdicts, the report, the console, the progress
    stream, the cost record and botocore's DEBUG log name keys, pointers and rules, never a value."""
    target, desired = sit
    tenant = item(desired, "tenants", 1)
    tenant.update(email=PII[0], organizationName=PII[1], destinationEmail=PII[0], lastUpdatedBy=PII[5])
    wrong = item(desired, "tenants", 2)
    wrong.update(status=PII[0], organizationName=PII[1], phone=PII[2], idNumber=PII[3],
                 address={"street": PII[6]}, lastUpdatedBy=PII[4], active=PII[4], activeKey=PII[4])
    order = item(desired, "orders", 3)
    order.update(currency=PII[4], lastUpdatedBy=PII[0], campaignCode=PII[3], total=PII[2])
    user = item(desired, "users", 4)
    user.update(email=PII[4], firstName=PII[4])
    stray = {"PK": "ORDER#" + "0" * 36, "SK": "METADATA", "entityType": PII[1], "note": PII[6]}
    put(target, desired, "tenants", tenant, wrong)
    put(target, desired, "orders", order, {**stray, "PK": "CONTACT#1"})
    put(target, desired, "users", user)
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    for sampling in (Sampling(shown=20), Sampling(full=True, shown=20)):
        stream = io.StringIO()
        verdicts, cost = verify_items(target, desired, sampling=sampling, stream=stream)
        report = Report(environment="sit", target=target.label, verdicts=verdicts, api_calls=cost.calls,
                        notes=[cost.line()])
        outputs += [dump(verdicts), stream.getvalue(), json.dumps(cost.to_dict()), cost.line(),
                    "\n".join(report.console_lines()), report.to_markdown(), json.dumps(report.to_json())]
        assert find(verdicts, SCHEMA, "tenants-sit").status == FAIL  # the values were read and judged
        assert find(verdicts, SCHEMA, "orders-sit").status == FAIL
        assert find(verdicts, SPARSE_INDEX, "tenants-sit/ActiveIndex").status == FAIL
    outputs.append("\n".join(r.getMessage() for r in caplog.records))
    text = "\n".join(outputs)
    assert [p for p in PII if p in text] == []
    assert "Response body: not logged" in outputs[-1]  # botocore logged its DEBUG bodies, minus the items
    assert f"PK={wrong['PK']} SK=METADATA: /status: enum" in text and "/phone: additionalProperties" in text


def test_violation_text_is_built_from_the_schema_never_from_the_value() -> None:
    """jsonschema's own messages quote the value ('x' is not one of [...]); ours never do."""
    from readiness.items.rules import _schema_violations, _validator

    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3},
                                               "b": {"anyOf": [{"type": "integer"}, {"const": "none"}]},
                                               "c": {"type": "array", "items": {"type": "string"}}},
              "required": ["a", "d"], "additionalProperties": False}
    secret = "Jane Doe 8001015009087"
    found = _schema_violations(_validator(schema), "PK=X", {"a": secret, "b": secret, "c": [secret, 7],
                                                           secret: 1})
    text = "\n".join(str(v) for v in found)
    assert secret not in text.replace("/" + secret, "")  # an attribute name is a pointer, a name not a value
    assert "PK=X: /a: maxLength: maxLength 3" in text and "PK=X: /d: required: missing" in text
    assert "PK=X: /c/1: type: expected string" in text


# ============================================================================ the cost record


def test_the_cost_record_adds_up() -> None:
    from readiness.items.scan import TableCost

    cost = ItemCost(mode="sample", items_per_table=100,
                    tables=[TableCost("a", calls=2, items_read=100, read_units=5.0),
                            TableCost("b", calls=1, items_read=0, read_units=0.5)])
    assert (cost.calls, cost.items_read, cost.read_units, cost.read_units_per_1000_items) == (3, 100, 5.5, 55.0)
    assert cost.to_dict()["tables"][0] == {"table": "a", "calls": 2, "items_read": 100, "read_units": 5.0,
                                           "complete": False, "test_items_skipped": 0, "estimated_items": None,
                                           "estimated_read_units": None}


# ============================================================================ in a run


def test_every_run_reads_its_items_once_and_its_report_has_them_with_the_cost() -> None:
    """The run itself judges the items (they only read), so a run that selects no item scenario still has
    their verdicts; a scenario's step later gets the same verdicts without another Scan."""
    from moto_endpoint import moto_server

    from readiness.items.scan import judge_in_run
    from readiness.run import readiness_run

    with moto_server() as url:
        with open_target("moto", endpoint_url=url) as target:
            desired = desired_state(load_contract(), "sit")
            deploy(target, desired)
            bad = item(desired, "orders", 1)
            bad["status"] = "SHIPPED"
            put(target, desired, "orders", bad)
        with readiness_run("sit", "moto", endpoint_url=url, no_deploy=True) as run:
            first = [v for v in run.verdicts if v.id in (SCHEMA, INDEX_KEYS, SPARSE_INDEX)]
            scans = run.target.calls.snapshot()["dynamodb:Scan"]
            assert scans > 0, "the run read the items itself"
            assert judge_in_run(run, Sampling(items_per_table=10)) == first  # the scenario reads nothing
            assert run.target.calls.snapshot()["dynamodb:Scan"] == scans
            report = run.report()
    assert report.verdict == BLOCKED
    assert any(v.id == SCHEMA and v.status == FAIL and v.resource == "orders-sit" for v in first), first
    assert [v for v in report.verdicts if v.id in (SCHEMA, INDEX_KEYS, SPARSE_INDEX)] == first
    assert any(n.startswith("items: a sample of at most 1,000 items per table; 1 items read") for n in report.notes)
    assert "Scan calls" in report.to_markdown()
    cost = report.to_json()["items_cost"]  # the item check's cost is in readiness.json too (issue 16)
    assert cost["calls"] == scans and cost["items_read"] == 1 and cost["read_units"] > 0


class _Looping:
    """An endpoint that answers every page with the key it was given: a full read must stop, not spin."""

    def scan(self, **params: Any) -> Any:
        return {"Items": [], "LastEvaluatedKey": params.get("ExclusiveStartKey") or {"PK": {"S": "ORDER#x"}},
                "ConsumedCapacity": {"CapacityUnits": 0.5}}

    def describe_table(self, **_: Any) -> Any:
        return {"Table": {"ItemCount": 0, "TableSizeBytes": 0}}


def test_an_endpoint_that_repeats_its_last_key_stops_a_full_read(loaded_contract: Contract,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target, desired = Target("moto"), desired_state(loaded_contract, "sit")
    monkeypatch.setattr(target, "client", lambda *_, **__: _Looping())
    verdicts, cost = verify_items(target, desired, sampling=Sampling(full=True, segments=2), stream=io.StringIO())
    assert {v.status for v in verdicts} == {UNVERIFIABLE}
    assert "answered the LastEvaluatedKey it was given" in find(verdicts, SCHEMA, "orders-sit").reason
    assert all(t.calls == 1 + 2 * 2 for t in cost.tables)  # DescribeTable, then two pages per segment
