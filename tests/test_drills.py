"""The drills: each passes on a correct account, FAILs when exactly its property is broken, cleans up
after itself (also when interrupted), removes a killed run's orphans, and never writes outside its scope.

moto runs every drill but the backup RPO (no recovery points) and replication (replicas ignored);
what it cannot show is UNVERIFIABLE with its answer. Logic moto cannot exercise (lag percentiles,
recovery point ages, a stale write accepted) runs on botocore Stubber answers or a patched client.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

import readiness.drills.access
import readiness.drills.recovery
from readiness.checks import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE
from readiness.contract.desired import Desired, TableSpec
from readiness.drills import Drills, Measurement, from_ddb, to_ddb
from readiness.targets.base import ReadOnlyViolation, Target
from readiness.targets.services import find_dynamodb_local
from readiness.testitems import MARKER, RunScope, generate_item

Account = Callable[..., tuple[Target, Desired]]


def table(desired: Desired, logical: str) -> TableSpec:
    return next(t for t in desired.tables if t.logical == logical)


def leftovers(target: Target, desired: Desired) -> dict[str, Any]:
    """Every test item and every drill table still in the account."""
    ddb = target.client("dynamodb", desired.env.region)
    items = {t.name: [i for i in ddb.scan(TableName=t.name)["Items"] if MARKER in i] for t in desired.tables}
    names = set(ddb.list_tables()["TableNames"]) - {t.name for t in desired.tables}
    return {k: v for k, v in items.items() if v} | ({"tables": sorted(names)} if names else {})


@pytest.fixture
def sit(moto_account: Account) -> Iterator[tuple[Target, Desired, Drills]]:
    target, desired = moto_account("sit")
    drills = Drills(target, desired)
    yield target, desired, drills
    assert leftovers(target, desired) == {}, "the drill left something behind"


# ------------------------------------------------------------------------------- a correct account


def test_every_drill_passes_on_a_correct_account(sit: tuple[Target, Desired, Drills]) -> None:
    _, desired, drills = sit
    results = [drills.access(t) for t in desired.tables] + [drills.streams(t) for t in desired.tables]
    results += [drills.transaction(), drills.restore(table(desired, "orders"), "backup")]
    streamless = [m for m in results if m.id == "drill.streams" and m.status == NOT_APPLICABLE]
    assert [m.line() for m in results if m.status != PASS and m not in streamless] == []
    locking = drills.locking()  # moto's conditional writes race: PASS or UNVERIFIABLE, never FAIL
    assert locking.status in (PASS, UNVERIFIABLE) and "stale version was rejected" in locking.reason
    restored = results[-1]
    assert {f["name"] for f in restored.figures} == {"rto", "sample_restored"}
    assert all(f["value"] is not None and f["value"] <= f["target"] for f in restored.figures if f["unit"] == "s")
    assert "tags" in " ".join(restored.details["rehydration_checklist"])
    assert restored.details["restored_table"].startswith("orders-sit-restore-backup-7e57")
    assert restored.details["sample_sha256"] == restored.details["restored_sha256"]
    deleted = drills.measurements[-2]  # restore, its "deleted afterwards", then locking
    assert deleted.id == "drill.restore.deleted" and deleted.status == PASS, deleted.line()


def test_moto_cannot_restore_as_of_a_point_so_the_pitr_drill_is_unverifiable_with_its_answer(
        sit: tuple[Target, Desired, Drills]) -> None:
    """moto freezes LatestRestorableDateTime when PITR is enabled and restores current data: never a PASS."""
    _, desired, drills = sit
    m = drills.restore(table(desired, "orders"), "pitr")
    assert m.status == UNVERIFIABLE, m.line()
    assert "DescribeContinuousBackups(orders-sit) answered LatestRestorableDateTime" in m.reason
    assert "does not move" in m.reason


def test_what_moto_cannot_show_is_unverifiable_with_its_answer(sit: tuple[Target, Desired, Drills]) -> None:
    _, desired, drills = sit
    rpo = [drills.backup_rpo(t) for t in desired.tables]
    assert {m.status for m in rpo} == {UNVERIFIABLE}
    assert all("ListRecoveryPointsByBackupVault(bbws-dynamodb-backup-vault-sit)@eu-west-1" in m.reason for m in rpo)
    assert [m.resource for m in rpo] == [t.name for t in desired.tables]  # one verdict per table


def test_replication_on_moto_is_unverifiable_naming_the_silent_gap(moto_account: Account) -> None:
    target, desired = moto_account("prod")
    m = Drills(target, desired).replication(table(desired, "orders"))
    assert m.status == UNVERIFIABLE and "eu-west-1" in m.reason and "ignores them" in m.reason


# --------------------------------------------------------------------------------- break one thing


def test_access_fails_when_an_index_of_an_access_pattern_is_gone(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, drills = sit
    orders = table(desired, "orders")
    target.client("dynamodb", desired.env.region, write=True).update_table(
        TableName=orders.name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "OrderStatusIndex"}}])
    assert drills.access(table(desired, "tenants")).status == PASS
    m = drills.access(orders)
    assert m.status == FAIL and "OrderStatusIndex" in m.reason, m.line()


def test_access_fails_when_a_sparse_index_holds_inactive_items(sit: tuple[Target, Desired, Drills]) -> None:
    """ActiveIndex keyed on an attribute every item has is no longer sparse: the inactive product shows."""
    target, desired, drills = sit
    products = table(desired, "products")
    ddb = target.client("dynamodb", desired.env.region, write=True)
    ddb.update_table(TableName=products.name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ActiveIndex"}}])
    ddb.update_table(TableName=products.name, AttributeDefinitions=[
        {"AttributeName": "entityType", "AttributeType": "S"}, {"AttributeName": "dateCreated", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "ActiveIndex", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "entityType", "KeyType": "HASH"},
                                                               {"AttributeName": "dateCreated", "KeyType": "RANGE"}]}}])
    m = drills.access(products)
    assert m.status == FAIL, m.line()


def test_streams_fail_without_old_images(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, drills = sit
    users = table(desired, "users")
    ddb = target.client("dynamodb", desired.env.region, write=True)
    t = ddb.describe_table(TableName=users.name)["Table"]  # moto cannot change a view type: re-create the table
    ddb.delete_table(TableName=users.name)
    keys = {k["AttributeName"] for k in t["KeySchema"]}
    ddb.create_table(TableName=users.name, KeySchema=t["KeySchema"],
                     AttributeDefinitions=[a for a in t["AttributeDefinitions"] if a["AttributeName"] in keys],
                     BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    m = drills.streams(users)
    assert m.status == FAIL and "MODIFY without OldImage" in m.reason and "REMOVE without OldImage" in m.reason


def test_locking_fails_when_a_stale_version_is_accepted(sit: tuple[Target, Desired, Drills]) -> None:
    """A backend that ignores conditions (patched client) accepts the stale update."""
    _, _, drills = sit
    client = drills.client()
    original = client.update_item

    def unconditional(**kwargs: Any) -> Any:
        kwargs.pop("ConditionExpression", None)
        kwargs["ExpressionAttributeValues"] = {k: v for k, v in kwargs["ExpressionAttributeValues"].items()
                                               if k != ":seen"}
        return original(**kwargs)

    client.update_item = unconditional
    try:
        m = drills.locking()
    finally:
        del client.update_item
    assert m.status == FAIL and "stale version" in m.reason


def test_transaction_fails_when_a_cancelled_transaction_writes(sit: tuple[Target, Desired, Drills]) -> None:
    """A backend that applies a transaction's puts one by one and ignores their conditions."""
    _, _, drills = sit
    client = drills.client()

    def piecemeal(TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        for t in TransactItems:
            put = t["Put"]
            client.put_item(TableName=put["TableName"], Item=put["Item"])
        return {}

    client.transact_write_items = piecemeal
    try:
        m = drills.transaction()
    finally:
        del client.transact_write_items
    assert m.status == FAIL and "condition failed was committed" in m.reason


def test_restore_fails_without_pitr(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, drills = sit
    orders = table(desired, "orders")
    target.client("dynamodb", desired.env.region, write=True).update_continuous_backups(
        TableName=orders.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    m = drills.restore(orders, "pitr")
    assert m.status == FAIL and "PITR is not enabled" in m.reason


@pytest.mark.parametrize("kind", ["pitr", "backup"])
def test_restore_fails_when_it_takes_longer_than_the_rto(sit: tuple[Target, Desired, Drills], kind: str) -> None:
    """A clock on which every reading is an hour later: the restore takes longer than RTO 60 min."""
    target, desired, _ = sit
    ticks = itertools.count(step=3600.0)
    drills = Drills(PointInTime(target) if kind == "pitr" else target, desired, clock=lambda: next(ticks))
    m = drills.restore(table(desired, "orders"), kind, wait=10**6)
    assert m.status == FAIL and "rto" in m.reason and "> 3600 s" in m.reason, m.line()


# ------------------------------------------------------------------------ logic on Stubber answers


class StubTarget(Target):
    """A target whose clients are botocore-stubbed; every guarded client of one service is the same stub."""

    def __init__(self, clients: dict[tuple[str, str], Any]) -> None:
        super().__init__("aws", read_only=True)
        self.stubbed = clients

    def client(self, service: str, region: str, *, write: bool = False, guard: Any = None) -> Any:
        return self.stubbed[(service, region)]


def stubbed(service: str, region: str) -> tuple[Any, Stubber]:
    import boto3

    client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x").client(
        service, region_name=region)
    return client, Stubber(client)


def prod_replication(loaded_contract: Any, seen_after: list[int], *, step: float) -> Measurement:
    """Canaries that appear in eu-west-1 after the given number of polls; each poll is `step` seconds."""
    from readiness.contract.desired import desired_state

    desired = desired_state(loaded_contract, "prod")
    orders = table(desired, "orders")
    primary, p_stub = stubbed("dynamodb", "af-south-1")
    remote, r_stub = stubbed("dynamodb", "eu-west-1")
    cw, c_stub = stubbed("cloudwatch", "af-south-1")
    r_stub.add_response("describe_table", {"Table": {"TableName": orders.name}}, {"TableName": orders.name})
    for polls in seen_after:
        p_stub.add_response("put_item", {}, {"TableName": orders.name, "Item": ANY})
        for _ in range(polls):
            r_stub.add_response("get_item", {}, {"TableName": orders.name, "Key": ANY})
        r_stub.add_response("get_item", {"Item": {"PK": {"S": "x"}}}, {"TableName": orders.name, "Key": ANY})
    c_stub.add_response("get_metric_statistics", {"Datapoints": [{"Maximum": 420.0}]}, None)
    for _ in seen_after:  # cleanup deletes each canary
        p_stub.add_response("delete_item", {}, {"TableName": orders.name, "Key": ANY})
    clock = itertools.count(step=step)
    target = StubTarget({("dynamodb", "af-south-1"): primary, ("dynamodb", "eu-west-1"): remote,
                         ("cloudwatch", "af-south-1"): cw})
    drills = Drills(target, desired, allow=frozenset({"writes"}), clock=lambda: next(clock))
    with p_stub, r_stub, c_stub:
        m = drills.replication(orders, canaries=len(seen_after), poll=0)
        p_stub.assert_no_pending_responses()
    return m


def test_replication_lag_within_the_limit_passes(loaded_contract: Any) -> None:
    m = prod_replication(loaded_contract, [1, 2, 1, 3, 2], step=0.05)
    assert m.status == PASS, m.line()
    figures = {f["name"]: f["value"] for f in m.figures}
    assert figures["lag_p99"] <= 1.0 and figures["lag_p50"] <= figures["lag_p95"] <= figures["lag_p99"]
    assert figures["cloudwatch_replication_latency"] == 0.42  # CloudWatch's ms beside the probe's seconds


def test_replication_lag_over_the_limit_fails(loaded_contract: Any) -> None:
    m = prod_replication(loaded_contract, [1, 2, 40, 1], step=0.05)  # one canary took 40 polls: 2 s
    assert m.status == FAIL and "lag p99" in m.reason and "> 1 s" in m.reason


def backup_rpo_with(loaded_contract: Any, points: list[dict[str, Any]], *, env: str = "sit",
                    dr_points: list[dict[str, Any]] | None = None, jobs: list[dict[str, Any]] | None = None,
                    logical: str = "orders") -> Measurement:
    """The backup RPO drill of one table on stubbed vaults (the DR copy vault too when the contract has one)."""
    from readiness.contract.desired import desired_state

    desired = desired_state(loaded_contract, env)
    e = desired.env
    clients, stubs = {}, []
    vaults = [(e.region, e.backup.vault, points)] + (
        [(e.backup.copy.region, e.backup.copy.vault, dr_points or [])] if e.backup.copy else [])
    for region, vault, answer in vaults:
        client, stub = stubbed("backup", region)
        stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": answer},
                          {"BackupVaultName": vault})
        stub.add_response("list_backup_jobs", {"BackupJobs": (jobs or []) if region == e.region else []},
                          {"ByBackupVaultName": vault, "ByCreatedAfter": ANY})
        clients[("backup", region)] = client
        stubs.append(stub)
    for stub in stubs:
        stub.activate()
    try:
        return Drills(StubTarget(clients), desired).backup_rpo(table(desired, logical))
    finally:
        for stub in stubs:
            stub.deactivate()


def point(table_name: str, age_minutes: float, status: str = "COMPLETED", region: str = "eu-west-1",
          account: str = "815856636111") -> dict[str, Any]:
    return {"RecoveryPointArn": f"arn:aws:backup:{region}:{account}:recovery-point:{table_name}-{age_minutes}",
            "ResourceArn": f"arn:aws:dynamodb:{region}:{account}:table/{table_name}", "Status": status,
            "CreationDate": datetime.now(UTC) - timedelta(minutes=age_minutes)}


def test_backup_rpo_passes_with_a_recent_recovery_point(loaded_contract: Any) -> None:
    m = backup_rpo_with(loaded_contract, [point("orders-sit", 130), point("orders-sit", 25)])
    assert m.status == PASS and 24 * 60 < m.figures[0]["value"] < 26 * 60
    assert m.resource == "orders-sit" and m.figures[0]["name"] == "rpo_backup bbws-dynamodb-backup-vault-sit"


def test_backup_rpo_fails_when_the_newest_point_is_too_old(loaded_contract: Any) -> None:
    m = backup_rpo_with(loaded_contract, [point("orders-sit", 180), point("orders-sit", 10, status="FAILED"),
                                          point("someone-elses-table", 5)])
    assert m.status == FAIL and "180 min old" in m.reason


def test_backup_rpo_fails_without_any_recovery_point(loaded_contract: Any) -> None:
    assert backup_rpo_with(loaded_contract, []).status == FAIL


def test_backup_rpo_is_judged_per_table_a_fresh_point_of_another_table_does_not_count(loaded_contract: Any) -> None:
    """The old drill took the newest point of any table in the vault: one busy table hid four unprotected."""
    m = backup_rpo_with(loaded_contract, [point("orders-sit", 5), point("tenants-sit", 300)], logical="tenants")
    assert m.status == FAIL and "tenants-sit" in m.reason and "300 min old" in m.reason


def test_backup_rpo_names_the_failed_jobs(loaded_contract: Any) -> None:
    job = {"BackupJobId": "job-1234", "State": "FAILED", "StatusMessage": "Access denied to the KMS key",
           "ResourceArn": "arn:aws:dynamodb:eu-west-1:815856636111:table/orders-sit"}
    m = backup_rpo_with(loaded_contract, [point("orders-sit", 200)], jobs=[job])
    assert m.status == FAIL and "job-1234 (FAILED: Access denied to the KMS key)" in m.reason
    assert m.details["failed_jobs"] == {"bbws-dynamodb-backup-vault-sit": ["job-1234 (FAILED: Access denied to "
                                                                          "the KMS key)"]}


def test_prod_backup_rpo_reads_the_dr_copy_vault_too(loaded_contract: Any) -> None:
    fresh = [point("orders-prod", 20, region="af-south-1", account="093646564004")]
    stale_copy = [point("orders-prod", 400, region="af-south-1", account="093646564004")]
    m = backup_rpo_with(loaded_contract, fresh, env="prod", dr_points=stale_copy)
    assert m.status == FAIL and "bbws-dynamodb-backup-vault-prod-dr@eu-west-1" in m.reason and "400 min" in m.reason
    ok = backup_rpo_with(loaded_contract, fresh, env="prod", dr_points=fresh)
    assert ok.status == PASS and "2 vault(s)" in ok.reason
    missing = backup_rpo_with(loaded_contract, fresh, env="prod", dr_points=[])
    assert missing.status == FAIL
    assert "bbws-dynamodb-backup-vault-prod-dr@eu-west-1 holds no completed" in missing.reason


# --------------------------------------------------------------------- restores as of a point in time


class _AsOfClient:
    """A moto DynamoDB client that restores as AWS does: the restorable window follows the clock, and a
    restore as of a point leaves out what was written after it (``honest=False``: copies current data)."""

    def __init__(self, real: Any, target: PointInTime, raw: Any) -> None:
        self._real, self._target, self._raw = real, target, raw  # raw: unguarded, for what AWS itself does

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self._target.written.append((datetime.now(UTC), kwargs["TableName"], kwargs["Item"]))
        return self._real.put_item(**kwargs)

    def describe_continuous_backups(self, **kwargs: Any) -> Any:
        answer = self._real.describe_continuous_backups(**kwargs)
        pitr = answer["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
            pitr["LatestRestorableDateTime"] = datetime.now(UTC) - timedelta(seconds=self._target.lag)
        return answer

    def restore_table_to_point_in_time(self, *, SourceTableName: str, TargetTableName: str,
                                       RestoreDateTime: datetime) -> Any:
        answer = self._real.restore_table_to_point_in_time(SourceTableName=SourceTableName,
                                                           TargetTableName=TargetTableName,
                                                           UseLatestRestorableTime=True)
        schema = self._real.describe_table(TableName=SourceTableName)["Table"]["KeySchema"]
        names = [k["AttributeName"] for k in schema]
        for when, name, item in self._target.written:
            if name == SourceTableName and ((when > RestoreDateTime and self._target.honest)
                                            or item is self._target.lose):
                self._raw.delete_item(TableName=TargetTableName, Key={n: item[n] for n in names})
        return answer


class PointInTime(Target):
    """moto behind clients that restore as of a point in time, as AWS does (DESIGN section 5: moto itself
    freezes the window and copies current data); kind "aws", so nothing is excused as an emulator's gap."""

    def __init__(self, inner: Target, *, honest: bool = True, lag: float = 0.0) -> None:
        super().__init__("aws", read_only=False)
        self.inner, self.honest, self.lag = inner, honest, lag
        self.written: list[tuple[datetime, str, dict[str, Any]]] = []
        self.lose: dict[str, Any] | None = None  # an item the restore leaves out although written before

    def client(self, service: str, region: str, *, write: bool = False, guard: Any = None) -> Any:
        real = self.inner.client(service, region, write=True, guard=guard)
        return _AsOfClient(real, self, self.inner.client(service, region, write=True)) if service == "dynamodb" \
            else real


def test_a_restore_as_of_a_point_brings_back_the_sample_and_nothing_later(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, _ = sit
    drills = Drills(PointInTime(target), desired)
    m = drills.restore(table(desired, "orders"), "pitr")
    assert m.status == PASS, m.line()
    assert {f["name"] for f in m.figures} == {"rto", "rpo_pitr", "sample_restored"}
    assert m.details["sample"] == 3 and m.details["sample_sha256"] == m.details["restored_sha256"]
    assert "the later item did not" in m.reason
    deleted = drills.measurements[-1]
    assert (deleted.id, deleted.status, deleted.resource) == ("drill.restore.deleted", PASS, "orders-sit (pitr)")


def test_a_live_restore_that_copies_current_data_fails(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, _ = sit
    m = Drills(PointInTime(target, honest=False), desired).restore(table(desired, "orders"), "pitr")
    assert m.status == FAIL and "copied current data" in m.reason, m.line()


def test_a_restore_that_loses_a_sample_item_fails(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, _ = sit
    pit = PointInTime(target)
    drills = Drills(pit, desired)
    real_put = drills.put

    def put(t: TableSpec, item: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        answer = real_put(t, item, *args, **kwargs)
        if pit.lose is None:
            pit.lose = pit.written[-1][2]  # the first sample item never comes back
        return answer

    drills.put = put  # type: ignore[method-assign]
    m = drills.restore(table(desired, "orders"), "pitr")
    assert m.status == FAIL and "holds 2 of the 3 sample items" in m.reason, m.line()


def test_a_live_restorable_window_behind_the_rpo_fails(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, _ = sit
    pit = PointInTime(target, lag=900.0)  # 15 min behind the clock; SIT's PITR RPO is 5 min
    ticks = itertools.count(step=60.0)
    m = Drills(pit, desired, clock=lambda: next(ticks)).restore(table(desired, "orders"), "pitr")
    assert m.status == FAIL and "gave up waiting for the restorable window" in m.reason, m.line()


def test_a_leftover_restore_table_fails_named(sit: tuple[Target, Desired, Drills]) -> None:
    target, desired, drills = sit
    ddb = target.client("dynamodb", desired.env.region, write=True)
    orders = table(desired, "orders")
    leftover = f"{orders.name}-restore-pitr-7e57beef"  # a killed run's restore table, still there
    backup = ddb.create_backup(TableName=orders.name, BackupName="leftover")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName=leftover, BackupArn=backup)
    try:
        drills.restore(orders, "backup")
        deleted = drills.measurements[-1]
        assert deleted.id == "drill.restore.deleted" and deleted.status == FAIL
        assert leftover in deleted.reason and "left behind" in deleted.reason
    finally:
        ddb.delete_table(TableName=leftover)
        ddb.delete_backup(BackupArn=backup)


def test_a_long_lived_emulator_makes_no_false_fail(loaded_contract: Any) -> None:
    """A moto server deployed 10 minutes before the run (the wall clock moved on, moto's window did not):
    the PITR drill and the backup RPO are UNVERIFIABLE with moto's answer, never FAIL."""
    from moto_endpoint import moto_server

    from readiness.contract.desired import desired_state
    from readiness.targets.base import open_target
    from readiness.targets.provision import deploy

    desired = desired_state(loaded_contract, "sit")
    with moto_server() as url, open_target("moto", endpoint_url=url) as target:
        deploy(target, desired)
        later = Drills(target, desired, now=lambda: datetime.now(UTC) + timedelta(minutes=10))
        orders = table(desired, "orders")
        restored = later.restore(orders, "pitr")
        rpo = later.backup_rpo(orders)
        lag = re.search(r"\((\d+) s before the restore point\)", restored.reason)
        assert restored.status == UNVERIFIABLE and lag and int(lag.group(1)) >= 600, restored.line()
        assert rpo.status == UNVERIFIABLE, rpo.line()
        assert leftovers(target, desired) == {}


# --------------------------------------------------------------------------------------------- cleanup


def test_an_interrupted_drill_leaves_nothing_behind(sit: tuple[Target, Desired, Drills],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception in the middle of a drill (items written, restore table created) still cleans up."""
    _, desired, drills = sit

    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt("the operator pressed ^C")

    monkeypatch.setattr(readiness.drills.recovery, "rehydration", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drills.restore(table(desired, "orders"), "backup")
    monkeypatch.setattr(readiness.drills.access, "find", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drills.access(table(desired, "tenants"))
    # the fixture asserts that no test item and no drill table is left


def test_the_next_run_removes_a_killed_runs_orphans_and_nothing_else(moto_account: Account) -> None:
    target, desired = moto_account("sit")
    tenants = table(desired, "tenants")
    ddb = target.client("dynamodb", desired.env.region, write=True)
    killed = Drills(target, desired, scope=RunScope("7e57dead", started=time.time() - 7200))
    for n in range(3):
        killed.put(tenants, generate_item(tenants.table, killed.scope, n))
    ddb.create_table(TableName=f"{tenants.name}-restore-pitr-7e57dead", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}])
    # look-alikes that are not ours: a real tenant whose id happens to start with 7e57, a table a person made
    real = {k: v for k, v in generate_item(tenants.table, RunScope("7e57beef"), 9).items() if k != MARKER}
    ddb.put_item(TableName=tenants.name, Item=to_ddb(real))
    ddb.create_table(TableName=f"{tenants.name}-restore-manual", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}])
    running = Drills(target, desired, scope=RunScope("7e57a11e"))
    live = running.put(tenants, generate_item(tenants.table, running.scope, 1))
    assert live is not None

    removed = running.sweep()
    assert len([r for r in removed if r.startswith(tenants.name + " ")]) == 3
    assert f"table {tenants.name}-restore-pitr-7e57dead" in removed
    left = [from_ddb(i)["PK"] for i in ddb.scan(TableName=tenants.name)["Items"]]
    assert sorted(left) == sorted([real["PK"], generate_item(tenants.table, running.scope, 1)["PK"]])
    assert f"{tenants.name}-restore-manual" in ddb.list_tables()["TableNames"]
    running.cleanup()


def test_a_recent_run_is_not_swept(moto_account: Account) -> None:
    """Items of a run that may still be going (marker not expired) stay."""
    target, desired = moto_account("sit")
    tenants = table(desired, "tenants")
    other = Drills(target, desired, scope=RunScope("7e57b0b0"))
    other.put(tenants, generate_item(tenants.table, other.scope, 0))
    assert Drills(target, desired).sweep() == []
    other.cleanup()


# ---------------------------------------------------------------------------------------------- scope


def test_a_read_only_run_writes_only_its_own_test_items(moto_account: Account) -> None:
    target, desired = moto_account("sit")
    ro = Target("moto", read_only=True)  # same mock backend, read-only like a live run
    drills = Drills(ro, desired, allow=frozenset({"writes"}))
    orders = table(desired, "orders")
    client = drills.client()
    mine = generate_item(orders.table, drills.scope, 1)
    drills.put(orders, mine)
    refused = [
        lambda: client.put_item(TableName=orders.name, Item=to_ddb({**mine, "PK": "ORDER#" + "0" * 36})),
        lambda: client.put_item(TableName=orders.name,
                                Item=to_ddb({k: v for k, v in mine.items() if k != MARKER})),
        lambda: client.delete_item(TableName=orders.name, Key=to_ddb({"PK": "ORDER#" + "1" * 36, "SK": "METADATA"})),
        lambda: client.delete_table(TableName=orders.name),
        lambda: client.update_table(TableName=orders.name, BillingMode="PROVISIONED"),
        lambda: client.restore_table_to_point_in_time(SourceTableName=orders.name, TargetTableName="x",
                                                      UseLatestRestorableTime=True),
        lambda: client.put_item(TableName="some-other-table", Item=to_ddb(mine)),
    ]
    for attempt in refused:
        with pytest.raises(ReadOnlyViolation):
            attempt()
    m = drills.restore(orders, "pitr")  # --allow writes only: the restore itself is refused
    assert m.status == UNVERIFIABLE and "--allow restore" in m.reason
    drills.cleanup()
    assert leftovers(target, desired) == {}


def test_without_allowance_a_live_run_writes_nothing(moto_account: Account) -> None:
    target, desired = moto_account("sit")
    drills = Drills(Target("moto", read_only=True), desired)
    m = drills.access(table(desired, "orders"))
    assert m.status == UNVERIFIABLE and "--allow writes" in m.reason
    assert leftovers(target, desired) == {}


# ----------------------------------------------------------------------------------- DynamoDB Local


@pytest.mark.skipif(find_dynamodb_local() is None and not os.environ.get("CI"),
                    reason="DynamoDB Local is not installed: run `python -m readiness install-dynamodb-local`")
def test_drills_on_dynamodb_local(loaded_contract: Any) -> None:
    """AWS's own engine: conditions are atomic, so locking PASSes for real; no PITR, no backups."""
    from readiness.contract.desired import desired_state
    from readiness.targets.base import open_target
    from readiness.targets.provision import deploy

    desired = desired_state(loaded_contract, "sit")
    with open_target("dynamodb-local") as target:
        deploy(target, desired)
        drills = Drills(target, desired)
        passed = [drills.locking(), drills.transaction(), drills.access(table(desired, "orders")),
                  drills.streams(table(desired, "orders"))]
        assert [m.line() for m in passed if m.status != PASS] == []
        assert {f["name"]: f["value"] for f in passed[0].figures}["lost_updates"] == 0
        restore = drills.restore(table(desired, "orders"), "pitr")
        assert restore.status == UNVERIFIABLE and "UnknownOperationException" in restore.reason
        assert leftovers(target, desired) == {}


def test_load_on_embedded_moto_is_unverifiable_naming_why(sit: tuple[Target, Desired, Drills]) -> None:
    """Locust runs in its own process and cannot reach a moto that lives inside this one."""
    _, _, drills = sit
    m = drills.load()
    assert m.status == UNVERIFIABLE and "needs an endpoint" in m.reason and m.id == "drill.load"


def test_a_live_run_allowed_to_load_may_seed_test_items_but_nothing_else(moto_account: Account) -> None:
    _, desired = moto_account("sit")
    drills = Drills(Target("moto", read_only=True), desired, allow=frozenset({"load"}))
    orders = table(desired, "orders")
    client = drills.client()
    item = generate_item(orders.table, drills.scope, 7)
    client.batch_write_item(RequestItems={orders.name: [{"PutRequest": {"Item": to_ddb(item)}}]})
    client.batch_write_item(RequestItems={orders.name: [{"DeleteRequest": {"Key": to_ddb(
        {"PK": item["PK"], "SK": item["SK"]})}}]})
    with pytest.raises(ReadOnlyViolation):
        client.batch_write_item(RequestItems={orders.name: [{"PutRequest": {"Item": to_ddb(
            {**item, "PK": "ORDER#" + "2" * 36})}}]})
    with pytest.raises(ReadOnlyViolation, match="--allow restore"):
        client.delete_table(TableName=f"{orders.name}-restore-pitr-{drills.scope.token}")
