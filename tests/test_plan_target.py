"""The plan target: a Terraform plan document judged with the same checks as a live account.

Every check has a mutant plan (``PLAN_MUTATIONS``; a check without one fails
``test_every_check_has_a_plan_mutation``): the correct plan has no FAIL, the mutant FAILs that check
on the mutated resource. Plans of an empty account (``create=True``) know no ARNs: what rests on one
is UNVERIFIABLE naming the attribute, never PASS, never FAIL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plan_documents import drop, plan_document, planned, write
from test_seed_sit_state import SEED_TABLES

from readiness.checks import CHECKS, FAIL, PASS, UNVERIFIABLE, Verdict, evaluate
from readiness.contract import Contract
from readiness.desired import desired_state
from readiness.plan import PlanError, load_plan, plan_snapshot
from readiness.report import BLOCKED, INCOMPLETE, READY, run_verdict
from readiness.run import readiness_run
from readiness.targets import TargetError

ROOT = Path(__file__).resolve().parents[1]
TABLE = 'module.tables["orders"].aws_dynamodb_table.this'
Doc = dict[str, Any]


def judge(contract: Contract, env: str, doc: Doc, tmp_path: Path) -> list[Verdict]:
    desired = desired_state(contract, env)
    plan = load_plan(write(tmp_path, doc), desired.env.region)
    return evaluate(desired, plan_snapshot(plan, desired))


def failing(verdicts: list[Verdict]) -> set[tuple[str, str]]:
    return {(v.id, v.resource) for v in verdicts if v.status == FAIL}


# Checks whose answers readiness/plan.py does not produce (issue 12 item 1; to wire when plan.py is rewritten):
# a plan shows the vault, plan and key tags (tags_all), the DR key (module.kms_dr), the replicas, the
# selection's iam_role_arn; it never shows the account's other tables or its backup jobs (UNVERIFIABLE for good).
PLAN_DOES_NOT_ANSWER = {"table.lookalikes", "table.replica_settings", "backup.jobs", "backup.vault_tags",
                        "backup.plan_tags", "kms.dr_key", "kms.key_tags", "backup.selection", "backup.copy",
                        "backup.vault"}


def judged(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts of the checks the plan target answers."""
    return [v for v in verdicts if v.id not in PLAN_DOES_NOT_ANSWER]


# ----------------------------------------------------------------------------------- correct plans


@pytest.mark.parametrize("env", ["dev", "sit", "prod"])
def test_replan_of_a_deployed_environment_passes(loaded_contract: Contract, env: str, tmp_path: Path) -> None:
    every = judge(loaded_contract, env, plan_document(env), tmp_path)
    assert failing(every) == set()
    verdicts = judged(every)
    unverifiable = {v.id for v in verdicts if v.status == UNVERIFIABLE}
    if env == "prod":  # customer-managed key: every ARN the checks compare is in the plan
        assert run_verdict(verdicts) == READY
    else:  # which key alias/aws/dynamodb is, no plan shows
        assert unverifiable == {"table.encryption"}
        assert all("AWS-managed key alias/aws/dynamodb" in v.reason for v in verdicts if v.status == UNVERIFIABLE)
    # same check ids as a live run (a DR region and a customer-managed key only in prod)
    assert {v.id for v in every} == set(CHECKS) - (set() if env == "prod" else
                                                   {"table.replica_settings", "kms.dr_key", "kms.key_tags"})


@pytest.mark.parametrize("env", ["sit", "prod"])
def test_first_plan_says_what_it_cannot_know_until_apply(loaded_contract: Contract, env: str,
                                                         tmp_path: Path) -> None:
    verdicts = judge(loaded_contract, env, plan_document(env, create=True), tmp_path)
    assert failing(verdicts) == set()
    assert run_verdict(verdicts) == INCOMPLETE
    unknown = {v.id for v in judged(verdicts) if v.status == UNVERIFIABLE}
    expected = {"table.encryption", "alarm.action", "cost.anomaly_alert", "bucket.logging"}
    assert unknown == (expected | {"bucket.replication"} if env == "prod" else expected)
    for v in judged(verdicts):
        if v.status == UNVERIFIABLE:
            assert "known after apply: module." in v.reason, v.line()
    # what a first plan does know is judged: the monitor ARN the subscription names is the monitor's own
    [cost] = [v for v in verdicts if v.id == "cost.anomaly_alert"]
    assert "aws_ce_anomaly_subscription.this.subscriber" in cost.reason


# ------------------------------------------------------------------------------------------ mutants

Mutation = tuple[str, Callable[[dict[str, Any]], None] | None, Callable[[Doc], None] | None, str]


def tfv(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A tfvars edit: set the dotted path (list items by index) to value."""
    def edit(v: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = v
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return edit


def doc_edit(address: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Doc], None]:
    return lambda doc: change(planned(doc, address))


def _extra_gsi(v: dict[str, Any]) -> None:
    v["tables"]["orders"]["gsis"].append({"name": "StatusOnlyIndex", "hash_key": "status", "range_key": None,
                                          "projection_type": "KEYS_ONLY", "non_key_attributes": []})


def _drop_widget(v: dict[str, Any]) -> None:
    body = json.loads(v["monitoring"]["dashboard"]["body"])
    body["widgets"] = body["widgets"][1:]
    v["monitoring"]["dashboard"]["body"] = json.dumps(body)


def _first_alarm(v: dict[str, Any]) -> dict[str, Any]:
    return dict(v["monitoring"]["alarms"][0])


def _gsi_path(v: dict[str, Any], name: str) -> int:
    return next(i for i, g in enumerate(v["tables"]["orders"]["gsis"]) if g["name"] == name)


def _gsi_edit(name: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda v: v["tables"]["orders"]["gsis"][_gsi_path(v, name)].__setitem__(key, value)


def _drop_gsi(v: dict[str, Any]) -> None:
    v["tables"]["orders"]["gsis"] = [g for g in v["tables"]["orders"]["gsis"] if g["name"] != "OrderStatusIndex"]


def _alarm_threshold(v: dict[str, Any]) -> None:
    v["monitoring"]["alarms"][0]["threshold"] = 1000


ALARM = "bbws-dynamodb-prod-user-errors"
BUCKET = "bbws-templates-prod"
BUCKET_MODULE = 'module.buckets["templates"]'
PLAN_MUTATIONS: dict[str, Mutation] = {
    "table.exists": ("orders-prod", None, lambda doc: drop(doc, TABLE, destroy=True), "does not exist"),
    "table.key_schema": ("orders-prod", tfv("tables.orders.range_key", None), None, "key schema differs"),
    "table.no_extra_indexes": ("orders-prod", _extra_gsi, None, "StatusOnlyIndex"),
    "table.billing_mode": ("orders-prod", tfv("tables.orders.billing_mode", "PROVISIONED"), None, "PROVISIONED"),
    "table.pitr": ("orders-prod", tfv("tables.orders.pitr", {"enabled": False, "recovery_period_days": 35}), None,
                   "DISABLED"),
    "table.pitr_recovery_period": ("orders-prod", tfv("tables.orders.pitr.recovery_period_days", 7), None,
                                   "7 days"),
    "table.stream": ("orders-prod", tfv("tables.orders.stream_view_type", "KEYS_ONLY"), None, "KEYS_ONLY"),
    "table.encryption": ("orders-prod", None,
                         doc_edit(TABLE, lambda r: r.__setitem__("server_side_encryption", [{"enabled": False}])),
                         "not encrypted"),
    "table.deletion_protection": ("orders-prod", tfv("tables.orders.deletion_protection", False), None, "off"),
    "table.ttl": ("orders-prod", tfv("tables.orders.ttl", {"enabled": True, "attribute_name": "expiresAt"}), None,
                  "ENABLED"),
    "table.tags": ("orders-prod", None, doc_edit(TABLE, lambda r: [r[k].pop("Owner") for k in ("tags", "tags_all")]),
                   "missing Owner"),
    "table.replicas": ("orders-prod", tfv("tables.orders.replica_regions", []), None, "no replica in eu-west-1"),
    "gsi.status": ("orders-prod/OrderStatusIndex", _drop_gsi, None, "does not exist"),
    "gsi.key_schema": ("orders-prod/OrderStatusIndex", _gsi_edit("OrderStatusIndex", "range_key", "orderMonth"), None,
                       "keys differ"),
    "gsi.projection": ("orders-prod/OrderDateIndex", _gsi_edit("OrderDateIndex", "projection_type", "ALL"), None,
                       "projection differs"),
    "backup.schedule": ("bbws-dynamodb-backup-plan-prod", tfv("backup.schedule", "cron(0 5 * * ? *)"), None,
                        "schedule or target vault differs"),
    "backup.retention": ("bbws-dynamodb-backup-plan-prod", tfv("backup.retention_days", 7), None, "not 90"),
    "backup.plan_rules": ("bbws-dynamodb-backup-plan-prod", None,
                          doc_edit("module.backup.aws_backup_plan.this", lambda r: r["rule"].append(
                              {**r["rule"][0], "rule_name": "weekly", "schedule": "cron(0 3 ? * 1 *)"})),
                          "rule weekly"),
    "kms.key": ("alias/bbws-dynamodb-prod", None,
                doc_edit("module.kms[0].aws_kms_key.this", lambda r: r.__setitem__("enable_key_rotation", False)),
                "differs from the contract"),
    "alarm.configuration": (ALARM, _alarm_threshold, None, "threshold"),
    "alarm.action": (ALARM, None, doc_edit(f'module.monitoring.aws_cloudwatch_metric_alarm.this["{ALARM}"]',
                                           lambda r: r.__setitem__("alarm_actions", [])),
                     "does not notify bbws-dynamodb-alerts-prod"),
    "dashboard.widget": ("dynamodb-schemas-prod-dashboard/Table status", _drop_widget, None, "no widget titled"),
    "cost.anomaly_alert": ("bbws-dynamodb-prod-cost-monitor", tfv("monitoring.cost_anomaly.threshold_percent", 50),
                           None, "not 20%"),
    "bucket.versioning": (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket_versioning.this", lambda r: r[
        "versioning_configuration"][0].__setitem__("status", "Suspended")), "Suspended"),
    "bucket.encryption": (BUCKET, None, doc_edit(
        f"{BUCKET_MODULE}.aws_s3_bucket_server_side_encryption_configuration.this",
        lambda r: r["rule"][0]["apply_server_side_encryption_by_default"][0].__setitem__("sse_algorithm", "aws:kms")),
        "aws:kms"),
    "bucket.public_access": (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket_public_access_block.this",
                                                    lambda r: r.__setitem__("block_public_policy", False)),
                             "BlockPublicPolicy"),
    "bucket.lifecycle": (BUCKET, tfv("buckets.templates.noncurrent_version_expiration_days", 30), None, "not 90"),
    "bucket.logging": (BUCKET, None, lambda doc: drop(doc, f"{BUCKET_MODULE}.aws_s3_bucket_logging.this[0]"),
                       "access logging is off"),
    "bucket.replication": (BUCKET, None, doc_edit(
        f"{BUCKET_MODULE}.aws_s3_bucket_replication_configuration.this[0]",
        lambda r: r["rule"][0]["destination"][0].__setitem__("bucket", "arn:aws:s3:::someone-elses-bucket")),
        "no enabled rule replicating to bbws-templates-prod-dr"),
    "bucket.tags": (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket.this",
                                           lambda r: [r[k].pop("Owner") for k in ("tags", "tags_all")]),
                    "missing Owner"),
    "template.object": (f"{BUCKET}/invoices/invoice.html", None, doc_edit(
        f'{BUCKET_MODULE}.aws_s3_object.this["invoices/invoice.html"]',
        lambda r: r.__setitem__("etag", "0" * 32)), "stale upload"),
}


def test_every_check_has_a_plan_mutation() -> None:
    """Checks are added in parallel with their live mutants; this names each one a plan mutant must follow
    (PLAN_DOES_NOT_ANSWER: the checks whose answers the plan target does not produce)."""
    missing = sorted(set(CHECKS) - PLAN_DOES_NOT_ANSWER - set(PLAN_MUTATIONS))
    stale = sorted(set(PLAN_MUTATIONS) - set(CHECKS))
    assert not missing, f"checks without a plan mutant in PLAN_MUTATIONS: {', '.join(missing)}"
    assert not stale, f"PLAN_MUTATIONS names checks that no longer exist: {', '.join(stale)}"


@pytest.mark.parametrize("check_id", sorted(PLAN_MUTATIONS))
def test_a_plan_that_breaks_one_property_fails_that_check(loaded_contract: Contract, check_id: str,
                                                          tmp_path: Path) -> None:
    resource, edit_vars, edit_doc, says = PLAN_MUTATIONS[check_id]
    correct = judge(loaded_contract, "prod", plan_document("prod"), tmp_path)
    assert next(v for v in correct if v.id == check_id and v.resource == resource).status == PASS
    doc = plan_document("prod", edit=edit_vars)
    if edit_doc:
        edit_doc(doc)
    verdicts = judge(loaded_contract, "prod", doc, tmp_path)
    [hit] = [v for v in verdicts if v.id == check_id and v.resource == resource]
    assert hit.status == FAIL, hit.line()
    assert says in hit.reason or says in json.dumps(hit.actual), hit.line()
    others = [v for v in verdicts if v.id == check_id and v.resource != resource]
    assert all(v.status == PASS for v in others if v.resource.split("/")[0] != resource.split("/")[0]
               or check_id.startswith("backup.")), [v.line() for v in others if v.status != PASS]


def test_the_sse_key_of_a_replan_is_compared_with_the_contract_key(loaded_contract: Contract, tmp_path: Path) -> None:
    doc = plan_document("prod")
    planned(doc, TABLE)["server_side_encryption"] = [
        {"enabled": True, "kms_key_arn": "arn:aws:kms:af-south-1:093646564004:key/someone-elses"}]
    [v] = [v for v in judge(loaded_contract, "prod", doc, tmp_path) if v.id == "table.encryption"
           and v.resource == "orders-prod"]
    assert v.status == FAIL and "someone-elses" in v.reason


# ------------------------------------------------------------------------------ the seeds' own SIT


def seed_sit(v: dict[str, Any]) -> None:
    """The Terraform 000_* found: three tables (two without the suffix), seven GSIs, no backups."""
    template = v["tables"]["tenants"]
    tables = {}
    for name, gsis, streams in SEED_TABLES:
        attrs = sorted({"PK", "SK"} | {a for _, pk, sk in gsis for a in (pk, sk)})
        tables[name] = {**template, "name": name, "attributes": [{"name": a, "type": "S"} for a in attrs],
                        "gsis": [{"name": g, "hash_key": pk, "range_key": sk, "projection_type": "ALL",
                                  "non_key_attributes": []} for g, pk, sk in gsis],
                        "stream_view_type": "NEW_AND_OLD_IMAGES" if streams else None}
    v["tables"] = tables
    v["backup"] = None


def test_the_seeds_sit_plan_is_blocked_with_each_finding(loaded_contract: Contract, tmp_path: Path) -> None:
    verdicts = judge(loaded_contract, "sit", plan_document("sit", edit=seed_sit), tmp_path)
    assert run_verdict(verdicts) == BLOCKED
    fails = failing(verdicts)
    # missing tables (orders, users) and names without the suffix (tenants, campaigns)
    assert {("table.exists", f"{t}-sit") for t in ("tenants", "campaigns", "orders", "users")} <= fails
    assert ("table.exists", "products-sit") not in fails
    # products-sit: the seed's index name, not the LLD's, and streams off
    assert ("gsi.status", "products-sit/ActiveIndex") in fails
    assert ("table.no_extra_indexes", "products-sit") in fails
    assert ("table.stream", "products-sit") in fails
    # no backups at all
    assert {"backup.vault", "backup.schedule", "backup.retention", "backup.selection"} <= {i for i, _ in fails}


# ---------------------------------------------------------------------------------- the plan itself


def test_regions_come_from_each_resources_provider(loaded_contract: Contract, tmp_path: Path) -> None:
    desired = desired_state(loaded_contract, "prod")
    plan = load_plan(write(tmp_path, plan_document("prod")), desired.env.region)
    regions = {r.address: r.region for r in plan.resources}
    assert regions["module.backup.aws_backup_vault.dr[0]"] == "eu-west-1"
    assert regions["module.kms_dr[0].aws_kms_key.this"] == "eu-west-1"
    assert regions[TABLE] == "af-south-1"
    assert plan.assumed_region == ()


def test_the_copy_vault_in_the_wrong_region_fails(loaded_contract: Contract, tmp_path: Path) -> None:
    doc = plan_document("prod")
    for res in doc["configuration"]["root_module"]["module_calls"]["backup"]["module"]["resources"]:
        if res["address"] == "aws_backup_vault.dr":
            res["provider_config_key"] = "aws"  # miswired: the copy vault would be made in af-south-1
    [v] = [v for v in judge(loaded_contract, "prod", doc, tmp_path) if v.id == "backup.copy"]
    assert v.status == FAIL and "bbws-dynamodb-backup-vault-prod-dr does not exist" in v.reason


def test_a_plan_without_configuration_notes_the_region_it_assumed(tmp_path: Path) -> None:
    doc = plan_document("sit")
    del doc["configuration"]
    path = write(tmp_path, doc)
    with readiness_run("sit", "plan", plan_json=path) as run:
        assert failing(run.verdicts) == set()
        assert any("taken as eu-west-1" in n for n in run.notes)


def test_a_plan_that_destroys_a_table_says_so(tmp_path: Path) -> None:
    doc = plan_document("sit")
    drop(doc, 'module.tables["orders"].aws_dynamodb_table.this', destroy=True)
    with readiness_run("sit", "plan", plan_json=write(tmp_path, doc)) as run:
        assert ("table.exists", "orders-sit") in failing(run.verdicts)
        assert any("destroys" in n and "orders" in n and "data would be lost" in n for n in run.notes)
        assert run.snapshot.api_calls == 0
        assert run.report().target.startswith("Terraform plan ")


@pytest.mark.parametrize("content, says", [
    ("not json {", "line 1: not JSON"),
    ('{"format_version": "0.1"}', "format_version: expected a Terraform JSON plan"),
    ('{"format_version": "1.0", "values": {}}', "a state .*not a plan"),
    ('{"format_version": "1.0", "planned_values": {}}', "planned_values.root_module: missing"),
    ("[]", "a JSON array; expected the object"),
])
def test_a_document_that_is_not_a_plan_is_one_line(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanError, match=says) as err:
        load_plan(path, "eu-west-1")
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_plan_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="terraform show -json"):
        load_plan(tmp_path / "nope.json", "eu-west-1")


def test_a_plan_of_another_environment_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, plan_document("dev"))
    with pytest.raises(TargetError, match="the plan is for environment dev"), readiness_run("sit", "plan",
                                                                                           plan_json=path):
        pass


@pytest.mark.parametrize("kwargs", [{"plan_json": None}, {"plan_json": "x.json", "endpoint_url": "http://x"}])
def test_plan_target_options_go_together(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TargetError), readiness_run("sit", "plan", **kwargs):
        pass


def test_plan_json_without_the_plan_target_is_refused() -> None:
    with pytest.raises(TargetError, match="--plan-json FILE goes with --target plan"), \
            readiness_run("sit", "moto", plan_json="plan.json"):
        pass


def test_cli_verify_of_a_plan(tmp_path: Path) -> None:
    path = write(tmp_path, plan_document("prod"))
    result = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "prod", "--target", "plan",
                             "--plan-json", path, "--report-dir", str(tmp_path / "r")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "r" / "readiness.json").read_text())
    # every check the plan target answers passes (PLAN_DOES_NOT_ANSWER: a plan never shows the account's other
    # tables or its backup jobs); the drills and the item check cannot run on a document: INCOMPLETE (ADRs 0053, 0060)
    assert {c["status"] for c in report["checks"] if not c["id"].startswith(("drill.", "items."))
            and c["id"] not in PLAN_DOES_NOT_ANSWER} == {"pass"}
    assert {c["status"] for c in report["checks"] if c["id"].startswith("items.")} == {"unverifiable"}
    assert report["verdict"] == INCOMPLETE and all(n["reason"].startswith("not run: a Terraform plan is a document")
                                                   for n in report["not_run"] if n["status"] == "unverifiable")
    assert report["api_calls"] == 0 and report["target"].startswith("Terraform plan")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "prod", "--target", "plan",
                             "--plan-json", str(bad), "--report-dir", str(tmp_path / "r2")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert f"{bad}: line 1: not JSON" in result.stdout + result.stderr


def test_acceptance_features_against_a_plan(tmp_path: Path) -> None:
    doc = plan_document("sit")
    planned(doc, 'module.tables["users"].aws_dynamodb_table.this')["billing_mode"] = "PROVISIONED"
    path = write(tmp_path, doc)
    result = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance", "-p", "no:cacheprovider", "-q",
                             "--env=sit", "--target=plan", f"--plan-json={path}",
                             f"--report-dir={tmp_path / 'r'}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    report = json.loads((tmp_path / "r" / "readiness.json").read_text())
    assert report["verdict"] == BLOCKED
    assert [(c["id"], c["resource"]) for c in report["checks"] if c["status"] == "fail"] == [
        ("table.billing_mode", "users-sit")]
    assert "FAILED" in result.stdout and "users-sit" in result.stdout
