"""SIT as the hand-written readiness report (seeds/000_*) found it, verified against the SIT contract.

The account is built with boto3 in moto exactly as 000_* describes SIT today (ACTUAL RESOURCES):
three tables, two of them without the environment suffix; tenants with EmailIndex,
TenantStatusIndex and ActiveIndex; products-sit with one GSI, ActiveProductsIndex, and streams
disabled; campaigns with CampaignActiveIndex, CampaignProductIndex and ActiveIndex; PITR enabled
everywhere; no backup vault, plan or selection. Nothing is deployed: the engine only observes.
Every blocker the seed found by hand must come out of the engine as a FAIL naming the resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.checks import FAIL, PASS, UNVERIFIABLE, Verdict
from readiness.report.run_report import Report
from readiness.report.verdict import BLOCKED, run_verdict
from readiness.run import Run, verify

TAGS = {"Environment": "sit", "Project": "BBWS WP Containers", "Owner": "Tebogo", "CostCenter": "AWS",
        "ManagedBy": "Terraform", "BackupPolicy": "hourly", "Component": "dynamodb"}

# (table, GSIs as (name, partition key, sort key), streams enabled) as 000_* lists them.
SEED_TABLES: list[tuple[str, list[tuple[str, str, str]], bool]] = [
    ("tenants", [("EmailIndex", "email", "entityType"), ("TenantStatusIndex", "status", "dateCreated"),
                 ("ActiveIndex", "activeKey", "dateCreated")], True),
    ("products-sit", [("ActiveProductsIndex", "activeKey", "dateCreated")], False),
    ("campaigns", [("CampaignActiveIndex", "activeKey", "fromDate"), ("CampaignProductIndex", "productId", "fromDate"),
                   ("ActiveIndex", "activeKey", "dateCreated")], True),
]


def build_seed_sit(target: Any, region: str) -> None:
    ddb = target.client("dynamodb", region, write=True)
    for name, gsis, streams in SEED_TABLES:
        attrs = {"PK", "SK"} | {a for _, pk, sk in gsis for a in (pk, sk)}
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"Enabled": True, "SSEType": "KMS"},
            "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
            "GlobalSecondaryIndexes": [{
                "IndexName": g, "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
            } for g, pk, sk in gsis],
        }
        if streams:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        ddb.create_table(**params)
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})


@pytest.fixture
def seed_run(moto_account: Any, loaded_contract: Any) -> Run:
    target, desired = moto_account("sit", deploy_first=False)
    build_seed_sit(target, desired.env.region)
    ddb = target.client("dynamodb", desired.env.region)
    tables = ddb.list_tables()["TableNames"]
    # the account is what the seed counted: 3 tables, 7 GSIs, no backup resources
    assert sorted(tables) == ["campaigns", "products-sit", "tenants"]
    assert sum(len(ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"]) for t in tables) == 7
    assert target.client("backup", desired.env.region).list_backup_plans()["BackupPlansList"] == []
    return verify(target, loaded_contract, "sit", deploy_first=False)


def status(verdicts: list[Verdict], check_id: str, resource: str) -> Verdict:
    [v] = [v for v in verdicts if v.id == check_id and v.resource == resource]
    return v


def test_seed_sit_is_blocked(seed_run: Run) -> None:
    assert run_verdict(seed_run.verdicts) == BLOCKED
    assert seed_run.report().verdict == BLOCKED
    assert seed_run.deployment is None  # verified as it is: nothing was deployed


@pytest.mark.parametrize("table", ["orders-sit", "users-sit"])
def test_seed_blocker_1_missing_tables(seed_run: Run, table: str) -> None:
    v = status(seed_run.verdicts, "table.exists", table)
    assert v.status == FAIL and f"{table} does not exist" in v.reason


@pytest.mark.parametrize("table", ["tenants-sit", "campaigns-sit"])
def test_seed_blocker_5_tables_without_the_suffix_are_missing_under_contract_names(seed_run: Run,
                                                                                   table: str) -> None:
    v = status(seed_run.verdicts, "table.exists", table)
    assert v.status == FAIL and f"{table} does not exist" in v.reason
    # the unsuffixed table the seed found is named: it is where the application writes today (blocker 5)
    unsuffixed = table.removesuffix("-sit")
    lookalike = status(seed_run.verdicts, "table.lookalikes", table)
    assert lookalike.status == FAIL and lookalike.actual == [f"{unsuffixed} (eu-west-1)"]
    assert f"tables named like {table} that the contract does not have: {unsuffixed} (eu-west-1)" == lookalike.reason


def test_seed_products_sit_has_no_look_alike(seed_run: Run) -> None:
    """products-sit is the contract's own name: it is no look-alike of itself."""
    assert status(seed_run.verdicts, "table.lookalikes", "products-sit").status == PASS


def test_products_sit_exists_but_its_index_and_stream_differ(seed_run: Run) -> None:
    verdicts = seed_run.verdicts
    assert status(verdicts, "table.exists", "products-sit").status == PASS
    extra = status(verdicts, "table.no_extra_indexes", "products-sit")
    assert extra.status == FAIL and "ActiveProductsIndex" in extra.reason
    assert extra.actual == ["ActiveProductsIndex"]
    stream = status(verdicts, "table.stream", "products-sit")
    assert stream.status == FAIL and stream.reason == "no stream" and stream.actual is None
    # the index the contract names instead (D4) is missing
    assert status(verdicts, "gsi.status", "products-sit/ActiveIndex").status == FAIL
    # what the seed found right stays right: keys, on-demand, PITR
    for check_id in ("table.key_schema", "table.billing_mode", "table.pitr", "table.pitr_recovery_period"):
        assert status(verdicts, check_id, "products-sit").status == PASS, check_id


def test_seed_blocker_3_no_backup_vault_no_plan(seed_run: Run) -> None:
    verdicts = seed_run.verdicts
    vault = status(verdicts, "backup.vault", "bbws-dynamodb-backup-vault-sit")
    assert vault.status == FAIL and "bbws-dynamodb-backup-vault-sit does not exist" in vault.reason
    for check_id in ("backup.schedule", "backup.retention"):
        plan = status(verdicts, check_id, "bbws-dynamodb-backup-plan-sit")
        assert plan.status == FAIL and "bbws-dynamodb-backup-plan-sit does not exist" in plan.reason
    # no plan: the selection fails too (nothing left to ask moto about)
    assert status(verdicts, "backup.selection", "bbws-dynamodb-tables-sit").status == FAIL


def test_seed_report_json_has_the_stable_shape(seed_run: Run, tmp_path: Path) -> None:
    json_path, md_path = seed_run.report().write(tmp_path / "report")
    assert json_path == tmp_path / "report" / "readiness.json" and md_path.name == "readiness.md"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    # DESIGN.md section 4, plus the per-criterion "criteria" (where each criterion was verified)
    assert set(data) == {"environment", "target", "verdict", "summary", "api_calls", "checks", "criteria",
                         "measurements", "not_run", "provenance", "approval"}
    assert data["environment"] == "sit" and data["target"] == "embedded moto" and data["verdict"] == "BLOCKED"
    assert isinstance(data["api_calls"], int) and data["api_calls"] > 0
    assert set(data["summary"]) == {"pass", "fail", "unverifiable", "not_applicable"}
    checks = data["checks"]
    assert len(checks) == len(seed_run.verdicts) + len(data["not_run"])  # the drills not run have verdicts too
    for c in checks:
        assert set(c) == {"id", "criterion", "resource", "status", "expected", "actual", "reason"}
        assert c["status"] in {"pass", "fail", "unverifiable", "not_applicable"}
        assert c["criterion"] and c["resource"] and c["reason"]
    for key, s in (("pass", PASS), ("fail", FAIL), ("unverifiable", UNVERIFIABLE)):
        assert data["summary"][key] == sum(c["status"] == s for c in checks)
    assert data["summary"]["fail"] > 0
    failing = {(c["id"], c["resource"]) for c in checks if c["status"] == "fail"}
    assert {("table.exists", t) for t in ("tenants-sit", "campaigns-sit", "orders-sit", "users-sit")} <= failing
    assert {("table.lookalikes", "tenants-sit"), ("table.lookalikes", "campaigns-sit")} <= failing
    assert {("table.no_extra_indexes", "products-sit"), ("table.stream", "products-sit"),
            ("backup.vault", "bbws-dynamodb-backup-vault-sit"),
            ("backup.schedule", "bbws-dynamodb-backup-plan-sit")} <= failing


def test_seed_report_markdown_lists_the_blockers(seed_run: Run, tmp_path: Path) -> None:
    report: Report = seed_run.report()
    _, md_path = report.write(tmp_path)
    md = md_path.read_text(encoding="utf-8")
    assert "# SIT Readiness: DynamoDB Schemas" in md
    assert "**BLOCKED**" in md and "DENIED - BLOCKERS PRESENT" in md
    assert f"## CRITICAL BLOCKERS ({report.summary['fail']})" in md
    blockers = md.split("## CRITICAL BLOCKERS", 1)[1].split("## NOT VERIFIED", 1)[0]
    for check_id, resource in [("table.exists", "orders-sit"), ("table.exists", "users-sit"),
                               ("table.exists", "tenants-sit"), ("table.exists", "campaigns-sit"),
                               ("table.no_extra_indexes", "products-sit"), ("table.stream", "products-sit"),
                               ("backup.vault", "bbws-dynamodb-backup-vault-sit"),
                               ("backup.schedule", "bbws-dynamodb-backup-plan-sit")]:
        section = blockers.split(f". {resource} (", 1)[1].split("\n### ", 1)[0]
        assert f"- **{check_id}**:" in section, (check_id, resource)
    assert "indexes the contract does not name: ActiveProductsIndex" in blockers
    for unsuffixed in ("tenants", "campaigns"):  # 000_* blocker 5, named in the report
        assert f"that the contract does not have: {unsuffixed} (eu-west-1)" in blockers
