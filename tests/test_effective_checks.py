"""Effective-behaviour checks of tables, backups, KMS, the DR region, inventory and backup health (issue 12).

Unit-level cases the per-check corpus (tests/test_checks.py) and the attacker corpus
(tests/mutations/test_attacker_backups.py) do not show: how a status is decided, never by reading text.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_checks import answer_value, set_answer

from readiness.checks import FAIL, PASS, UNVERIFIABLE, CheckDef, Context, because, evaluate, run_check, selects, verdict
from readiness.observation.live import Snapshot
from readiness.outcome import Unknown
from readiness.targets.base import SILENT_GAPS


def _judge(fn: Any, correct_snapshot: Any) -> Any:
    desired, _ = correct_snapshot("sit")
    definition = CheckDef("test.check", "a criterion", "environment", fn)
    return run_check(definition, Context(desired, Snapshot(), {}), "r", ())


def test_a_reason_that_merely_reads_like_a_plan_unknown_stays_a_fail(correct_snapshot: Any) -> None:
    """The text of a reason decides nothing: an account value that looks like a plan's marker is still a FAIL."""
    decoy = "(known after apply: aws_kms_key.this.arn)"
    v = _judge(lambda ctx: verdict(False, "x", "y", "good", f"encrypted with {decoy}"), correct_snapshot)
    assert v.status == FAIL and decoy in v.reason and type(v.reason) is str


def test_a_failure_resting_on_an_unknown_is_unverifiable(correct_snapshot: Any) -> None:
    unknown = Unknown("(known after apply: aws_kms_key.this.arn)")
    v = _judge(lambda ctx: (FAIL, "x", "y", because(f"not with {unknown}", unknown)), correct_snapshot)
    assert v.status == UNVERIFIABLE and "so the plan cannot show it" in v.reason
    v = _judge(lambda ctx: verdict(False, "x", {"key": unknown}, "good", "bad"), correct_snapshot)
    assert v.status == UNVERIFIABLE
    v = _judge(lambda ctx: verdict(True, "x", "y", "good", "bad", rests_on=(unknown,)), correct_snapshot)
    assert v.status == PASS


# ------------------------------------------------------------------ AWS Backup's resource assignment

ARN = "arn:aws:dynamodb:eu-west-1:815856636111:table/orders-sit"
TAGS = {"Environment": "sit", "BackupPolicy": "hourly"}


@pytest.mark.parametrize(("selection", "chosen"), [
    ({}, True),  # neither Resources nor ListOfTags: every resource (AWS's warning about cost)
    ({"Resources": [ARN]}, True),
    ({"Resources": ["arn:aws:dynamodb:*:*:table/*"]}, True),
    ({"Resources": ["arn:aws:dynamodb:eu-west-1:*:table/orders-?it"]}, True),
    ({"Resources": ["arn:aws:dynamodb:us-east-1:*:table/*"]}, False),
    ({"Resources": [ARN.upper()]}, False),  # patterns are case-sensitive
    # Resources OR ListOfTags
    ({"Resources": ["arn:aws:dynamodb:us-east-1:*:table/*"], "ListOfTags": [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "BackupPolicy", "ConditionValue": "hourly"}]}, True),
    ({"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "Backup", "ConditionValue": "yes"},
                     {"ConditionType": "STRINGEQUALS", "ConditionKey": "Environment", "ConditionValue": "sit"}]}, True),
    # AND Conditions
    ({"Resources": [ARN], "Conditions": {"StringEquals": [
        {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "sit"},
        {"ConditionKey": "aws:ResourceTag/BackupPolicy", "ConditionValue": "daily"}]}}, False),
    ({"Resources": [ARN], "Conditions": {"StringLike": [
        {"ConditionKey": "aws:ResourceTag/BackupPolicy", "ConditionValue": "hour*"}]}}, True),
    ({"Resources": [ARN], "Conditions": {"StringNotEquals": [
        {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "sit"}]}}, False),
    ({"Resources": [ARN], "Conditions": {"StringNotLike": [
        {"ConditionKey": "aws:ResourceTag/Owner", "ConditionValue": "*"}]}}, True),  # no Owner tag at all
    ({"Resources": [ARN], "Conditions": {"StringEquals": [], "StringLike": []}}, True),
    # minus NotResources
    ({"Resources": ["*"], "NotResources": ["arn:aws:dynamodb:*:*:table/orders-*"]}, False),
    ({"Resources": ["*"], "NotResources": ["arn:aws:dynamodb:*:*:table/users-*"]}, True),
])
def test_selects_as_aws_backup_assigns_resources(selection: dict[str, Any], chosen: bool) -> None:
    assert selects(selection, ARN, TAGS) is chosen


def test_a_selection_by_tags_nobody_could_read_is_undecided() -> None:
    assert selects({"Resources": [ARN], "Conditions": {"StringEquals": [
        {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "sit"}]}}, ARN, None) is None
    assert selects({"Resources": [ARN]}, ARN, None) is True  # no tag in the selection: tags are not needed


def test_a_plan_without_the_contract_rule_fails_plan_rules_too(correct_snapshot: Any) -> None:
    """No rule at all is not "only the contract's rule"."""
    desired, snap = correct_snapshot("sit")
    env = desired.env
    plan = answer_value(snap, "get_backup_plan", env.region, env.backup.plan)
    plan["BackupPlan"]["Rules"] = []
    set_answer(snap, "get_backup_plan", env.region, env.backup.plan, plan)
    [v] = [v for v in evaluate(desired, snap, SILENT_GAPS["moto"]) if v.id == "backup.plan_rules"]
    assert v.status == FAIL and v.reason == "no rule hourly"


def test_two_rules_under_the_contract_name_fail(correct_snapshot: Any) -> None:
    desired, snap = correct_snapshot("sit")
    env = desired.env
    plan = answer_value(snap, "get_backup_plan", env.region, env.backup.plan)
    rule = plan["BackupPlan"]["Rules"][0]
    plan["BackupPlan"]["Rules"].append({**rule, "ScheduleExpression": "cron(0 5 * * ? *)"})
    set_answer(snap, "get_backup_plan", env.region, env.backup.plan, plan)
    [v] = [v for v in evaluate(desired, snap, SILENT_GAPS["moto"]) if v.id == "backup.plan_rules"]
    assert v.status == FAIL and "2 rules are named hourly" in v.reason


def test_a_definite_replica_defect_is_not_masked_by_a_key_a_plan_cannot_show(correct_snapshot: Any) -> None:
    """A first plan cannot show the DR key's ARN; deletion protection off on the replica is a FAIL all the same
    (an Unknown elsewhere in the verdict must not turn a definite defect into UNVERIFIABLE)."""
    from test_checks import replicated

    desired, snap = correct_snapshot("prod")
    replicated(snap, desired)
    dr = desired.env.replication.regions[0]
    unknown_key = Unknown("(known after apply: module.kms_dr[0].aws_kms_key.this.arn)")
    key = answer_value(snap, "describe_key", dr, desired.key_alias)
    set_answer(snap, "describe_key", dr, desired.key_alias, {**key, "Arn": unknown_key})
    name = desired.tables[0].name
    table = answer_value(snap, "describe_table", dr, name)
    set_answer(snap, "describe_table", dr, name, {**table, "SSEDescription": {**table["SSEDescription"],
                                                                                "KMSMasterKeyArn": unknown_key}})
    only_key_unknown = {v.resource: v for v in evaluate(desired, snap, {}) if v.id == "table.replica_settings"}
    assert only_key_unknown[f"{name}@{dr}"].status in (PASS, UNVERIFIABLE)  # the key alone: never a FAIL
    set_answer(snap, "describe_table", dr, name, {**table, "DeletionProtectionEnabled": False,
                                                  "SSEDescription": {**table["SSEDescription"],
                                                                     "KMSMasterKeyArn": unknown_key}})
    verdicts = {v.resource: v for v in evaluate(desired, snap, {}) if v.id == "table.replica_settings"}
    broken = verdicts[f"{name}@{dr}"]
    assert broken.status == FAIL and "deletion_protection is False, not True" in broken.reason, broken.line()
