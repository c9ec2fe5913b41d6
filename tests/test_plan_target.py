"""The plan target: a Terraform plan document judged with the same checks as a live account.

Every check has a mutant plan (``PLAN_MUTATIONS``; a check without one fails
``test_every_check_has_a_plan_mutation``): the correct plan has no FAIL, the mutant FAILs that check
on the mutated resource. Plans of an empty account (``create=True``) know no ARNs: what rests on one
is UNVERIFIABLE naming the attribute, never PASS, never FAIL.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
from plan_documents import PLAN_CANNOT_SHOW, drop, plan_document, planned, write
from test_seed_sit_state import SEED_TABLES

from readiness.checks import CHECKS, FAIL, PASS, UNVERIFIABLE, Verdict, evaluate
from readiness.checks.plan import PlanError, load_plan, plan_snapshot
from readiness.contract.desired import desired_state
from readiness.contract.model import Contract
from readiness.items.scan import INDEX_KEYS, SCHEMA, SPARSE_INDEX
from readiness.report.verdict import BLOCKED, INCOMPLETE, READY, run_verdict
from readiness.run import readiness_run
from readiness.targets.base import TargetError

ROOT = Path(__file__).resolve().parents[1]
TABLE = 'module.tables["orders"].aws_dynamodb_table.this'
Doc = dict[str, Any]


def judge(contract: Contract, env: str, doc: Doc, tmp_path: Path) -> list[Verdict]:
    desired = desired_state(contract, env)
    plan = load_plan(write(tmp_path, doc), desired.env.region)
    return evaluate(desired, plan_snapshot(plan, desired))


def failing(verdicts: list[Verdict]) -> set[tuple[str, str]]:
    return {(v.id, v.resource) for v in verdicts if v.status == FAIL}


def judged(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts of the checks a plan can show (PLAN_CANNOT_SHOW: what only the account has)."""
    return [v for v in verdicts if v.id not in PLAN_CANNOT_SHOW]


# ----------------------------------------------------------------------------------- correct plans


@pytest.mark.parametrize("env", ["dev", "sit", "prod"])
def test_replan_of_a_deployed_environment_passes(loaded_contract: Contract, env: str, tmp_path: Path) -> None:
    """What terraform/ plans (the replicas protected too, ADR 0064) has no FAIL in any environment."""
    every = judge(loaded_contract, env, plan_document(env), tmp_path)
    assert failing(every) == set()
    for v in every:
        if v.id in PLAN_CANNOT_SHOW:  # what only the account has: UNVERIFIABLE with the reason, never PASS
            assert v.status == UNVERIFIABLE and PLAN_CANNOT_SHOW[v.id] in v.reason, v.line()
    verdicts = judged(every)
    unverifiable = {v.id for v in verdicts if v.status == UNVERIFIABLE}
    if env == "prod":  # customer-managed key: every ARN the checks compare is in the plan
        assert run_verdict(verdicts) == READY
    else:  # which keys alias/aws/dynamodb and alias/aws/backup are, no plan shows
        assert unverifiable == {"table.encryption", "backup.vault"}
        assert all("AWS-managed key alias/aws/" in v.reason for v in verdicts if v.status == UNVERIFIABLE)
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
    # ARNs made at apply: the keys, the role, the topics an alarm or the cost alert names, the log bucket's policy
    expected = {"table.encryption", "alarm.action", "cost.anomaly_alert", "bucket.logging", "backup.vault",
                "backup.selection", "bucket.policy"}
    assert unknown == (expected | {"bucket.replication", "backup.copy", "table.replica_settings"}
                       if env == "prod" else expected)
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
ALARM_AT = f'module.monitoring.aws_cloudwatch_metric_alarm.this["{ALARM}"]'
QUERY_ALARM = "orders-prod-system-errors"
QUERY_ALARM_AT = f'module.monitoring.aws_cloudwatch_metric_alarm.this["{QUERY_ALARM}"]'
BUCKET = "bbws-templates-prod"
BUCKET_MODULE = 'module.buckets["templates"]'
LOGS_MODULE = 'module.access_logs["templates"]'
VAULT = "bbws-dynamodb-backup-vault-prod"
PLAN = "bbws-dynamodb-backup-plan-prod"
BACKUP_PLAN_AT = "module.backup.aws_backup_plan.this"
KEY = "alias/bbws-dynamodb-prod"
FOREIGN_TOPIC = "arn:aws:sns:af-south-1:111122223333:someone-elses-topic"


def untag(r: dict[str, Any]) -> None:
    """Drop the Owner tag from a resource's own and effective tags (an operator edits one resource's tags)."""
    for k in ("tags", "tags_all"):
        r[k].pop("Owner")


def _second_copy(r: dict[str, Any]) -> None:
    r["rule"][0]["copy_action"].append({"destination_vault_arn": "arn:aws:backup:eu-west-1:111122223333:"
                                                                 "backup-vault:elsewhere",
                                        "lifecycle": [{"delete_after": 90}]})


def _public_statement(r: dict[str, Any]) -> None:
    policy = json.loads(r["policy"])
    policy["Statement"].append({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::bbws-access-logs-prod/*"})
    r["policy"] = json.dumps(policy)


def _decoy_returning_data(r: dict[str, Any]) -> None:
    """A second query that returns data (the contract's expression no longer the one CloudWatch evaluates)."""
    r["metric_query"].append({**r["metric_query"][1], "id": "decoy", "return_data": True})


def _expiring_prefix_rule(r: dict[str, Any]) -> None:
    """A second lifecycle rule, scoped to a prefix, that expires current versions (templates disappear)."""
    r["rule"].append({**r["rule"][0], "id": "tidy-invoices", "expiration": [
        {"days": 30, "date": None, "expired_object_delete_marker": False}],
        "filter": [{"prefix": "invoices/", "object_size_greater_than": None, "object_size_less_than": None,
                    "tag": [], "and": []}]})


def _moved_bucket(doc: Doc) -> None:
    """The template bucket's configuration miswired to the DR provider: S3 would make it in eu-west-1."""
    calls = doc["configuration"]["root_module"]["module_calls"]["buckets"]["module"]["resources"]
    for res in calls:
        if res["address"] == "aws_s3_bucket.this":
            res["provider_config_key"] = "aws.dr"


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
    "table.replica_settings": ("orders-prod@eu-west-1", None, doc_edit(
        TABLE, lambda r: r["replica"][0].__setitem__("propagate_tags", False)), "tags: missing"),
    "alarm.tags": (ALARM, None, doc_edit(ALARM_AT, untag), "missing Owner"),
    "topic.tags": ("bbws-finops-alerts-prod", None, doc_edit('module.monitoring.aws_sns_topic.this["finops"]', untag),
                   "missing Owner"),
    "backup.vault": (VAULT, None, doc_edit("module.backup.aws_backup_vault.this", lambda r: r.__setitem__(
        "kms_key_arn", "arn:aws:kms:af-south-1:093646564004:key/someone-elses")), "someone-elses"),
    "backup.vault_tags": (VAULT, None, doc_edit("module.backup.aws_backup_vault.dr[0]", untag),
                          "bbws-dynamodb-backup-vault-prod-dr in eu-west-1: missing Owner"),
    "backup.plan_tags": (PLAN, None, doc_edit(BACKUP_PLAN_AT, untag), "missing Owner"),
    "backup.copy": (PLAN, None, doc_edit(BACKUP_PLAN_AT, _second_copy), "which the contract does not name"),
    "backup.selection": ("bbws-dynamodb-tables-prod", None, doc_edit(
        "module.backup.aws_backup_selection.this", lambda r: r.__setitem__(
            "not_resources", ["arn:aws:dynamodb:af-south-1:093646564004:table/orders-prod"])),
        "not selected: orders-prod"),
    "kms.dr_key": (f"{KEY}@eu-west-1", None, doc_edit("module.kms_dr[0].aws_kms_key.this",
                                                      lambda r: r.__setitem__("enable_key_rotation", False)),
                   "rotation is False"),
    "kms.key_tags": (f"{KEY}@eu-west-1", None, doc_edit("module.kms_dr[0].aws_kms_key.this", untag), "missing Owner"),
    "bucket.region": (BUCKET, None, _moved_bucket, "does not exist"),
    "bucket.object_lock": (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket.this", lambda r: r.__setitem__(
        "object_lock_enabled", True)), "object lock is on"),
    "bucket.policy": (BUCKET, None, doc_edit(f"{LOGS_MODULE}.aws_s3_bucket_policy.this[0]", _public_statement),
                      "grants everyone: Everyone"),
    "bucket.log_bucket": (BUCKET, None, doc_edit(f"{LOGS_MODULE}.aws_s3_bucket_public_access_block.this",
                                                 lambda r: r.__setitem__("restrict_public_buckets", False)),
                          "does not block: RestrictPublicBuckets"),
}

MORE_PLAN_MUTATIONS: list[tuple[str, Mutation]] = [
    ("alarm.action", (ALARM, None, doc_edit(ALARM_AT, lambda r: r.__setitem__("ok_actions", [FOREIGN_TOPIC])),
                      "not a topic of the contract")),
    ("alarm.action", (ALARM, None, doc_edit(ALARM_AT, lambda r: r.__setitem__("actions_enabled", False)),
                      "alarm actions are disabled")),
    ("alarm.configuration", (QUERY_ALARM, None, doc_edit(QUERY_ALARM_AT, _decoy_returning_data),
                             "2 metric queries return data")),
    ("alarm.configuration", (ALARM, None, doc_edit(ALARM_AT, lambda r: r.__setitem__(
        "treat_missing_data", "breaching")), "treat_missing_data")),
    ("alarm.configuration", (ALARM, None, doc_edit(ALARM_AT, lambda r: r.update(evaluation_periods=5,
                                                                                  datapoints_to_alarm=1)),
                             "datapoints_to_alarm")),  # 1 of 5 minutes: the contract alarms on every breach
    ("alarm.configuration", (ALARM, None, doc_edit(ALARM_AT, lambda r: r.__setitem__("unit", "Percent")), "units")),
    ("backup.plan_rules", (PLAN, None, doc_edit(BACKUP_PLAN_AT, lambda r: r["rule"].append(
        {**r["rule"][0], "rule_name": "weekly-elsewhere", "target_vault_name": "Default"})), "weekly-elsewhere")),
    ("bucket.lifecycle", (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket_lifecycle_configuration.this",
                                                 _expiring_prefix_rule), "expires current versions")),
    ("bucket.policy", (BUCKET, None, lambda doc: _public_bucket_policy(doc), "grants everyone: PublicRead")),
    ("bucket.lifecycle", (BUCKET, None, doc_edit(f"{BUCKET_MODULE}.aws_s3_bucket_lifecycle_configuration.this",
                                                 lambda r: r["rule"][0]["filter"][0].__setitem__("prefix", "logs/")),
                          "on the whole bucket")),
    ("cost.anomaly_alert", ("bbws-dynamodb-prod-cost-monitor", None, doc_edit(
        "module.monitoring.aws_ce_anomaly_monitor.this",
        lambda r: r.__setitem__("monitor_dimension", "LINKED_ACCOUNT")),
        "watches DIMENSIONAL/LINKED_ACCOUNT")),
    ("cost.anomaly_alert", ("bbws-dynamodb-prod-cost-monitor", None, doc_edit(
        "module.monitoring.aws_ce_anomaly_subscription.this", lambda r: r.__setitem__("frequency", "WEEKLY")),
        "alerts WEEKLY")),
    # D10: AWS does not copy deletion protection to a replica (ADR 0064): an unprotected replica, and the plan of
    # the module under AWS provider 5.x, whose replica block has no deletion_protection_enabled at all
    ("table.replica_settings", ("orders-prod@eu-west-1", None, doc_edit(
        TABLE, lambda r: r["replica"][0].__setitem__("deletion_protection_enabled", False)),
        "deletion_protection is False, not True")),
    ("table.replica_settings", ("orders-prod@eu-west-1", None, doc_edit(
        TABLE, lambda r: r["replica"][0].pop("deletion_protection_enabled")), "deletion_protection")),
]
"""More ways an operator breaks a check (an extra action, a decoy query, a prefix rule, a policy on the bucket)."""


def _public_bucket_policy(doc: Doc) -> None:
    """A policy added to the template bucket itself (its module makes none) that lets everyone read it."""
    bucket = planned(doc, f"{BUCKET_MODULE}.aws_s3_bucket.this")
    root = doc["planned_values"]["root_module"]
    module = next(m for m in root["child_modules"] if m["address"] == BUCKET_MODULE)
    module["resources"].append({
        "address": f"{BUCKET_MODULE}.aws_s3_bucket_policy.public", "mode": "managed", "type": "aws_s3_bucket_policy",
        "name": "public", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
        "values": {"bucket": bucket["bucket"], "policy": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "PublicRead", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket['bucket']}/*"}]})}, "sensitive_values": {}})


def test_every_check_has_a_plan_mutation() -> None:
    """Checks are added in parallel with their live mutants; this names each one a plan mutant must follow
    (PLAN_CANNOT_SHOW: the checks a plan never shows, asserted UNVERIFIABLE with their reason below)."""
    missing = sorted(set(CHECKS) - set(PLAN_CANNOT_SHOW) - set(PLAN_MUTATIONS))
    stale = sorted((set(PLAN_MUTATIONS) | set(PLAN_CANNOT_SHOW)) - set(CHECKS) - {SCHEMA, INDEX_KEYS, SPARSE_INDEX})
    assert not missing, f"checks without a plan mutant in PLAN_MUTATIONS: {', '.join(missing)}"
    assert not stale, f"PLAN_MUTATIONS names checks that no longer exist: {', '.join(stale)}"


@pytest.mark.parametrize("check_id, mutation", sorted(PLAN_MUTATIONS.items()) + MORE_PLAN_MUTATIONS,
                         ids=lambda x: x if isinstance(x, str) else x[3][:30])
def test_a_plan_that_breaks_one_property_fails_that_check(loaded_contract: Contract, check_id: str,
                                                          mutation: Mutation, tmp_path: Path) -> None:
    """Each mutant starts from the correct plan of what terraform/ makes."""
    resource, edit_vars, edit_doc, says = mutation
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
    # the stack's own plan passes every check a plan can show; PLAN_CANNOT_SHOW
    # (what only the account has) and the drills and the item check (they cannot run on a document) are
    # UNVERIFIABLE (ADRs 0053, 0060)
    assert {c["status"] for c in report["checks"] if not c["id"].startswith(("drill.", "items."))
            and c["id"] not in PLAN_CANNOT_SHOW} == {"pass"}
    assert {c["status"] for c in report["checks"] if c["id"] in PLAN_CANNOT_SHOW} == {"unverifiable"}
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


@pytest.mark.parametrize("protocol, pending, status", [("sqs", None, PASS), ("email", None, UNVERIFIABLE),
                                                      ("email", False, PASS), ("email", True, UNVERIFIABLE)])
def test_a_topic_subscription_in_the_plan(loaded_contract: Contract, protocol: str, pending: bool | None,
                                          status: str, tmp_path: Path) -> None:
    """An SQS subscription in the same account is confirmed on Subscribe: the plan shows it reaches someone; an
    email one waits for its owner to confirm, which only the state of a deployed one shows (pending_confirmation):
    unknown or still pending, never PASS, nor FAIL: subscribers are configured outside the repository (ADR 0050),
    so the account may have a confirmed one the plan does not."""
    doc = plan_document("sit")
    topic = "arn:aws:sns:eu-west-1:815856636111:bbws-dynamodb-alerts-sit"
    module = next(m for m in doc["planned_values"]["root_module"]["child_modules"]
                  if m["address"] == "module.monitoring")
    module["resources"].append({
        "address": "module.monitoring.aws_sns_topic_subscription.oncall", "mode": "managed",
        "type": "aws_sns_topic_subscription", "name": "oncall", "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0, "sensitive_values": {},
        "values": {"topic_arn": topic, "protocol": protocol, "endpoint": "oncall@example.com" if protocol == "email"
                   else "arn:aws:sqs:eu-west-1:815856636111:oncall", "arn": f"{topic}:0f1e2d3c",
                   "pending_confirmation": pending}})
    verdicts = judge(loaded_contract, "sit", doc, tmp_path)
    [v] = [v for v in verdicts if v.id == "topic.subscribed" and v.resource == "bbws-dynamodb-alerts-sit"]
    assert v.status == status, v.line()
    if status == UNVERIFIABLE:
        assert "its subscriptions (email) are not shown confirmed" in v.reason
    [other] = [v for v in verdicts if v.id == "topic.subscribed" and v.resource == "bbws-finops-alerts-sit"]
    assert other.status == UNVERIFIABLE and "the plan subscribes nobody" in other.reason


# Where each answer sits in botocore's output shape: (service, the member observe.py narrows to, or None)
ANSWER_SHAPES = {
    "describe_table": ("dynamodb", "Table"),
    "describe_continuous_backups": ("dynamodb", "ContinuousBackupsDescription"),
    "describe_time_to_live": ("dynamodb", "TimeToLiveDescription"), "list_tags_of_resource": ("dynamodb", "Tags"),
    "list_tables": ("dynamodb", "TableNames"), "describe_key": ("kms", "KeyMetadata"),
    "get_key_rotation_status": ("kms", None), "list_resource_tags": ("kms", "Tags"),
    "describe_backup_vault": ("backup", None), "list_backup_plans": ("backup", "BackupPlansList"),
    "get_backup_plan": ("backup", None), "list_backup_selections": ("backup", "BackupSelectionsList"),
    "get_backup_selection": ("backup", "BackupSelection"), "list_tags": ("backup", "Tags"),
    "list_backup_jobs": ("backup", "BackupJobs"), "describe_alarms": ("cloudwatch", "MetricAlarms"),
    "get_dashboard": ("cloudwatch", None), "list_topics": ("sns", "Topics"),
    "list_subscriptions_by_topic": ("sns", "Subscriptions"),
    "get_resources": ("resourcegroupstaggingapi", "ResourceTagMappingList"),
    "get_anomaly_monitors": ("ce", "AnomalyMonitors"), "get_anomaly_subscriptions": ("ce", "AnomalySubscriptions"),
    "list_objects_v2": ("s3", "Contents"), "list_buckets": ("s3", "Buckets"),
}


def _outside_the_model(value: Any, shape: Any, where: str) -> list[str]:
    """Every key of value that botocore's shape does not have (structures by member, lists by element)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return [problem for k, v in value.items() for problem in (
            _outside_the_model(v, shape.members[k], f"{where}.{k}") if k in shape.members else [f"{where}.{k}"])]
    if shape.type_name == "list" and isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _outside_the_model(v, shape.member, f"{where}[{i}]")]
    if shape.type_name == "map" and isinstance(value, dict):
        return [p for k, v in value.items() for p in _outside_the_model(v, shape.value, f"{where}.{k}")]
    return []


@pytest.mark.parametrize("env", ["sit", "prod"])
def test_every_plan_answer_has_botocores_shape(loaded_contract: Contract, env: str, tmp_path: Path) -> None:
    """Each answer the plan target gives is what the AWS call answers: no key its service model does not have
    (a misspelt key reads as absent, and a check would judge the absence)."""
    session = botocore.session.get_session()
    desired = desired_state(loaded_contract, env)
    snapshot = plan_snapshot(load_plan(write(tmp_path, plan_document(env)), desired.env.region), desired)
    operations = set()
    for (operation, _, resource), answer in snapshot.answers.items():
        if not answer.ok:
            continue
        service, member = ANSWER_SHAPES.get(operation, ("s3", None))
        model = session.get_service_model(service)
        name = next(n for n in model.operation_names if botocore.xform_name(n) == operation)
        shape = model.operation_model(name).output_shape
        if member is not None:
            shape = shape.members[member]
        assert _outside_the_model(answer.value, shape, f"{operation}({resource})") == [], operation
        operations.add(operation)
    assert {"describe_alarms", "get_resources", "get_backup_selection", "list_tags", "get_bucket_policy",
            "get_bucket_lifecycle_configuration", "head_bucket", "get_anomaly_subscriptions",
            *(["list_resource_tags", "get_key_rotation_status"] if env == "prod" else [])} <= operations


def test_what_a_plan_cannot_show_stays_unverifiable_when_the_plan_makes_a_look_alike(loaded_contract: Contract,
                                                                                   tmp_path: Path) -> None:
    """A leftover copy planned beside the contract's table and bucket: the account may hold more such copies than the
    plan, so the inventory checks stay UNVERIFIABLE with their reason (never PASS) on every table and bucket."""
    doc = plan_document("prod")
    module = next(m for m in doc["planned_values"]["root_module"]["child_modules"] if m["address"] == BUCKET_MODULE)
    for rtype, name, attribute in (("aws_dynamodb_table", "orders-prod-old", "name"),
                                   ("aws_s3_bucket", "bbws-templates-prod-old", "bucket")):
        original = next(r for m in doc["planned_values"]["root_module"]["child_modules"] for r in m["resources"]
                        if r["type"] == rtype)
        module["resources"].append({**copy.deepcopy(original), "address": f"{BUCKET_MODULE}.{rtype}.old",
                                    "values": {**copy.deepcopy(original["values"]), attribute: name}})
    verdicts = judge(loaded_contract, "prod", doc, tmp_path)
    for check_id in ("table.lookalikes", "bucket.inventory"):
        found = [v for v in verdicts if v.id == check_id]
        assert found and all(v.status == UNVERIFIABLE and PLAN_CANNOT_SHOW[check_id] in v.reason for v in found)
