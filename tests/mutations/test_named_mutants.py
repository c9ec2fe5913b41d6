"""The named mutants: deviations the issue asks for by name, each on a correctly provisioned moto account.

Every mutant must be killed: the run goes from no FAIL at all to exactly the FAIL verdicts the case
names (the broken check on the mutated resource, plus what the mutation necessarily drags along),
with the mutated resource in the verdict and the case's words in its reason. The assertions are the
per-check corpus's own (``test_breaking_one_property_fails_its_check`` in tests/test_checks.py),
so both corpora judge a mutant the same way. Where a deviation already has a per-check case, the named
ones break other resources, other environments or the same property another way.

``REQUIRED`` lists the deviations the corpus must contain; ``test_every_required_mutant_is_named`` fails
when one is dropped.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_checks import (
    Case,
    create_index,
    ddb,
    delete_index,
    edit_plan_rule,
    failures_of_table,
    gsi_definition,
    reput_alarm,
    spec_of,
)
from test_checks import test_breaking_one_property_fails_its_check as assert_killed

from readiness.checks import CHECKS
from readiness.contract.desired import Desired
from readiness.observation.live import Snapshot
from readiness.targets.base import Target

REQUIRED = ("renamed table", "extra unexpected GSI", "projection changed", "backup copy action removed",
            "deletion protection off in prod", "backup plan schedule changed to daily", "alarm action removed")


# ------------------------------------------------------------------------------------------ mutations


def rename_table(target: Target, desired: Desired, old: str, new: str) -> None:
    """What a rename is in DynamoDB: a new table with the old one's definition, and the old one deleted."""
    client = ddb(target, desired)
    table = client.describe_table(TableName=old)["Table"]
    tags = client.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    gsis = [{"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in table.get("GlobalSecondaryIndexes", [])]
    stream = table.get("StreamSpecification")
    client.create_table(
        TableName=new, KeySchema=table["KeySchema"], AttributeDefinitions=table["AttributeDefinitions"],
        BillingMode=desired.env.billing_mode, Tags=tags,
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        DeletionProtectionEnabled=bool(table.get("DeletionProtectionEnabled")),
        **({"GlobalSecondaryIndexes": gsis} if gsis else {}),
        **({"StreamSpecification": stream} if stream else {}))
    client.get_waiter("table_exists").wait(TableName=new, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    client.delete_table(TableName=old)


def _renamed_orders(t: Target, d: Desired) -> None:
    rename_table(t, d, "orders-sit", "orders-sit-renamed")


def _renamed_prod_tenants(t: Target, d: Desired) -> None:
    # prod tables are deletion-protected: a rename there means lifting the protection first
    ddb(t, d).update_table(TableName="tenants-prod", DeletionProtectionEnabled=False)
    rename_table(t, d, "tenants-prod", "tenant-prod")


def _extra_email_index(t: Target, d: Desired) -> None:
    """A second index on users' email under a name the contract does not have."""
    create_index(t, d, "users-sit", {"IndexName": "EmailLookupIndex",
                                     "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "KEYS_ONLY"}})


def _extra_prod_index(t: Target, d: Desired) -> None:
    create_index(t, d, "campaigns-prod", {"IndexName": "CampaignsByStatusIndex",
                                          "KeySchema": [{"AttributeName": "campaignStatus", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}},
                 new_attributes={"campaignStatus": "S"})


def _keys_only_status_index(t: Target, d: Desired) -> None:
    delete_index(t, d, "tenants-sit", "TenantStatusIndex")
    create_index(t, d, "tenants-sit", gsi_definition(spec_of(d, "tenants-sit"), "TenantStatusIndex",
                                                     projection={"ProjectionType": "KEYS_ONLY"}))


def _include_fewer_attributes(t: Target, d: Desired) -> None:
    """INCLUDE kept, but one of the contract's non-key attributes no longer projected."""
    delete_index(t, d, "users-sit", "OrganisationIndex")
    spec = spec_of(d, "users-sit")
    attrs = [a for a in next(g for g in spec.gsis if g.name == "OrganisationIndex").non_key_attributes
             if a != "role"]
    create_index(t, d, "users-sit", gsi_definition(spec, "OrganisationIndex", projection={
        "ProjectionType": "INCLUDE", "NonKeyAttributes": attrs}))


# Backup plan edits are snapshot edits: moto 5.2.5 does not implement update_backup_plan, and after
# delete_backup_plan it refuses to create a plan with the same name (AlreadyExistsException).
def _copy_actions_emptied(s: Snapshot, d: Desired) -> None:
    """AWS answers CopyActions [] for a rule whose copy was removed in the console."""
    edit_plan_rule(s, d, lambda r: r.update(CopyActions=[]))


def _copy_to_the_primary_region(s: Snapshot, d: Desired) -> None:
    """The DR copy removed and replaced by a copy into the primary region's vault (no DR at all)."""
    def edit(rule: dict[str, Any]) -> None:
        for c in rule["CopyActions"]:
            c["DestinationBackupVaultArn"] = c["DestinationBackupVaultArn"].replace(":eu-west-1:", ":af-south-1:")
    edit_plan_rule(s, d, edit)


def _unprotect_two(t: Target, d: Desired) -> None:
    for name in ("orders-prod", "users-prod"):
        ddb(t, d).update_table(TableName=name, DeletionProtectionEnabled=False)


def _prod_daily(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.update(ScheduleExpression="cron(0 3 * * ? *)"))


def _dev_rate_daily(s: Snapshot, d: Desired) -> None:
    edit_plan_rule(s, d, lambda r: r.update(ScheduleExpression="rate(1 day)"))


def _table_alarm_action_removed(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "orders-sit-read-throttles", AlarmActions=[])


def _alarm_actions_disabled(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "users-sit-write-throttles", ActionsEnabled=False)


def _prod_alarm_to_another_topic(t: Target, d: Desired) -> None:
    sns = t.client("sns", d.env.region, write=True)
    other = sns.create_topic(Name="someone-elses-topic")["TopicArn"]
    reput_alarm(t, d, "bbws-dynamodb-prod-user-errors", AlarmActions=[other])


PROD_PLAN = "bbws-dynamodb-backup-plan-prod"
COPY = "no copy to bbws-dynamodb-backup-vault-prod-dr"

NAMED: list[tuple[str, str, Case]] = [
    ("renamed table", "table.exists",
     # the renamed table carries the contract's base name: table.lookalikes names it as well
     Case("orders-sit renamed to orders-sit-renamed", "sit",
          lambda d: failures_of_table("orders-sit", d) | {("table.lookalikes", "orders-sit")},
          {"orders-sit": "orders-sit does not exist"}, account=_renamed_orders)),
    ("renamed table", "table.exists",
     Case("tenants-prod renamed to tenant-prod", "prod",
          lambda d: failures_of_table("tenants-prod", d),
          {"tenants-prod": "tenants-prod does not exist"}, account=_renamed_prod_tenants)),
    ("extra unexpected GSI", "table.no_extra_indexes",
     Case("users-sit EmailLookupIndex", "sit", frozenset({("table.no_extra_indexes", "users-sit")}),
          {"users-sit": "indexes the contract does not name: EmailLookupIndex"}, account=_extra_email_index)),
    ("extra unexpected GSI", "table.no_extra_indexes",
     Case("campaigns-prod CampaignsByStatusIndex", "prod",
          frozenset({("table.no_extra_indexes", "campaigns-prod")}),
          {"campaigns-prod": "CampaignsByStatusIndex"}, account=_extra_prod_index)),
    ("projection changed", "gsi.projection",
     Case("tenants-sit/TenantStatusIndex ALL -> KEYS_ONLY", "sit",
          frozenset({("gsi.projection", "tenants-sit/TenantStatusIndex")}),
          {"tenants-sit/TenantStatusIndex": "projection differs"}, account=_keys_only_status_index)),
    ("projection changed", "gsi.projection",
     Case("users-sit/OrganisationIndex INCLUDE without role", "sit",
          frozenset({("gsi.projection", "users-sit/OrganisationIndex")}),
          {"users-sit/OrganisationIndex": "projection differs"}, account=_include_fewer_attributes)),
    ("backup copy action removed", "backup.copy",
     Case("PROD CopyActions []", "prod", frozenset({("backup.copy", PROD_PLAN)}), {PROD_PLAN: COPY},
          snapshot=_copy_actions_emptied)),
    ("backup copy action removed", "backup.copy",
     Case("PROD DR copy replaced by a copy in af-south-1", "prod", frozenset({("backup.copy", PROD_PLAN)}),
          {PROD_PLAN: COPY}, snapshot=_copy_to_the_primary_region)),
    ("deletion protection off in prod", "table.deletion_protection",
     Case("orders-prod and users-prod unprotected", "prod",
          frozenset({("table.deletion_protection", "orders-prod"), ("table.deletion_protection", "users-prod")}),
          {"orders-prod": "deletion protection is off", "users-prod": "deletion protection is off"},
          account=_unprotect_two)),
    ("backup plan schedule changed to daily", "backup.schedule",
     Case("PROD cron(0 3 * * ? *)", "prod", frozenset({("backup.schedule", PROD_PLAN)}),
          {PROD_PLAN: "the schedule or target vault differs"}, snapshot=_prod_daily)),
    ("backup plan schedule changed to daily", "backup.schedule",
     Case("DEV rate(1 day)", "dev", frozenset({("backup.schedule", "bbws-dynamodb-backup-plan-dev")}),
          {"bbws-dynamodb-backup-plan-dev": "the schedule or target vault differs"}, snapshot=_dev_rate_daily)),
    ("alarm action removed", "alarm.action",
     Case("orders-sit-read-throttles without its SNS action", "sit",
          frozenset({("alarm.action", "orders-sit-read-throttles")}),
          {"orders-sit-read-throttles": "does not notify bbws-dynamodb-alerts-sit"},
          account=_table_alarm_action_removed)),
    ("alarm action removed", "alarm.action",
     Case("users-sit-write-throttles with actions disabled", "sit",
          frozenset({("alarm.action", "users-sit-write-throttles")}),
          {"users-sit-write-throttles": "alarm actions are disabled"}, account=_alarm_actions_disabled)),
    ("alarm action removed", "alarm.action",
     Case("PROD user-errors alarm notifying another topic", "prod",
          frozenset({("alarm.action", "bbws-dynamodb-prod-user-errors")}),
          {"bbws-dynamodb-prod-user-errors": "does not notify bbws-dynamodb-alerts-prod"},
          account=_prod_alarm_to_another_topic)),
]


# --------------------------------------------------------------------------------------------- tests


def test_every_required_mutant_is_named() -> None:
    named = {label for label, _, _ in NAMED}
    assert set(REQUIRED) <= named, f"required mutants missing from NAMED: {sorted(set(REQUIRED) - named)}"
    for label, check_id, case in NAMED:
        assert check_id in CHECKS, f"{label} ({case.name}): no check {check_id}"
        assert (case.account is None) != (case.snapshot is None), f"{label} ({case.name}): one way to break"


@pytest.mark.parametrize(("check_id", "case"), [
    pytest.param(check_id, case, id=f"{label}[{case.env}: {case.name}]") for label, check_id, case in NAMED])
def test_named_mutant_fails_naming_its_resource(check_id: str, case: Case, moto_account: Any,
                                                correct_snapshot: Any) -> None:
    assert_killed(check_id, case, moto_account, correct_snapshot)
