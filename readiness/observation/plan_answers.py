"""The plan's answers: ``planned_values`` turned into what observation/live.py would collect from an account.

Same keys (operation, region, resource) and the same shapes botocore gives (DescribeTable,
GetBackupPlan, DescribeAlarms, the S3 configuration calls), so every check runs unchanged. A resource
the plan does not leave in place is "not found". What the plan cannot show is an
:class:`~readiness.observation.live.Unknown` naming the attribute: compared, a FAIL resting on it becomes
UNVERIFIABLE (checks.run_check); read as a block or a flag (an unknown PITR block is not DISABLED, an
unknown TTL is not "not enabled"), it makes that one answer unavailable, naming it.
"""

from __future__ import annotations

from typing import Any

from readiness.contract.desired import AWS_MANAGED_BACKUP_KEY, AWS_MANAGED_DYNAMODB_KEY, Desired
from readiness.observation.live import BAD_BACKUP_JOB_STATES, Answer, Snapshot
from readiness.observation.plan_load import Plan, Planned
from readiness.observation.plan_monitoring import monitoring
from readiness.observation.plan_s3 import buckets
from readiness.observation.plan_values import (
    Put,
    Unshown,
    aws_managed,
    blocks,
    effective_tags,
    first,
    flag,
    items,
    mapping,
    tag_list,
    unnamed,
)
from readiness.outcome import Unknown

NO_OTHER_TABLES = ("a Terraform plan shows only its own tables, not the account's others (ListTables answers for "
                   "the account: run against it)")
NO_BACKUP_JOBS = "a Terraform plan has no backup jobs: AWS Backup runs them in the account after apply"



def _key_schema(hash_key: Any, range_key: Any) -> list[dict[str, Any]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    return schema + ([{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])


def _table(v: dict[str, Any], region: str, account: str, dr: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DescribeTable answer for the table (or, with dr, for its replica in that region: what the provider
    creates there from the replica block; schema, billing, indexes and stream are the global table's)."""
    name = v.get("name")
    table: dict[str, Any] = {
        "TableName": name,
        "TableStatus": "ACTIVE",
        "TableArn": v.get("arn") if dr is None else (dr.get("arn")
                                                     or f"arn:aws:dynamodb:{region}:{account}:table/{name}"),
        "KeySchema": _key_schema(v.get("hash_key"), v.get("range_key")),
        "AttributeDefinitions": [{"AttributeName": a.get("name"), "AttributeType": a.get("type")}
                                 for a in blocks(v.get("attribute"))],
        "BillingModeSummary": {"BillingMode": v.get("billing_mode") or "PROVISIONED"},
        # a replica's deletion protection is its own (AWS does not replicate it): the replica block's, if the
        # provider has the argument (6.9 and later, ADR 0064; before it a replica is created unprotected)
        "DeletionProtectionEnabled": flag((dr if dr is not None else v).get("deletion_protection_enabled")),
    }
    gsis = [{"IndexName": g.get("name"), "IndexStatus": "ACTIVE",
             "KeySchema": _key_schema(g.get("hash_key"), g.get("range_key")),
             "Projection": {"ProjectionType": g.get("projection_type"),
                            **({"NonKeyAttributes": items(g["non_key_attributes"])}
                               if g.get("non_key_attributes") else {})}}
            for g in blocks(v.get("global_secondary_index"))]
    if gsis:
        table["GlobalSecondaryIndexes"] = gsis
    if (lsis := blocks(v.get("local_secondary_index"))):
        table["LocalSecondaryIndexes"] = [{"IndexName": i.get("name")} for i in lsis]
    if flag(v.get("stream_enabled")):
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": v.get("stream_view_type")}
    sse = first(v.get("server_side_encryption"))
    key = (dr or {}).get("kms_key_arn") if dr is not None else sse.get("kms_key_arn")
    if flag(sse.get("enabled")):
        table["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS",
                                   "KMSMasterKeyArn": key or aws_managed(region, account, AWS_MANAGED_DYNAMODB_KEY)}
    replicas = blocks(v.get("replica"))
    if replicas:
        table["Replicas"] = [{"RegionName": r.get("region_name"), "ReplicaStatus": "ACTIVE"} for r in replicas]
        table["GlobalTableVersion"] = "2019.11.21"  # the provider's replica blocks make version 2019.11.21 tables
    return table


def _pitr(enabled: Any, days: Any = None) -> dict[str, Any]:
    on = flag(enabled)
    desc: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if on else "DISABLED"}
    if on and days:
        desc["RecoveryPeriodInDays"] = days
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": desc}


def plan_snapshot(plan: Plan, desired: Desired) -> Snapshot:
    """Every answer observe() would collect, read from the plan instead of an account."""
    snap = Snapshot()

    def put(operation: str, region: str, resource: str, value: Any = None, *, missing: bool = False,
            error: str | None = None, code: str = "not in the plan", unnamed: Unknown | None = None) -> None:
        """One answer; value may be a function building it, so that what the plan cannot show (an
        unknown block or flag) makes this answer, and only this one, unavailable. A resource looked
        for by a name the plan does not show for some planned resource (unnamed) is not "missing"."""
        call = f"{operation}({resource})@{region} in {plan.path}"
        if missing and unnamed is not None:
            missing, error = False, f"not found by name, and the plan does not show every name: {unnamed[1:-1]}"
        if callable(value):
            try:
                value = value()
            except Unshown as exc:
                value, error = None, f"{exc.value[1:-1]}, so the plan cannot show it"
        snap.answers[(operation, region, resource)] = Answer(
            call, value=value if not missing else {"Error": code}, missing=missing, error=error)

    _tables(plan, desired, put)
    for region in desired.table_regions:  # the look-alike inventory is the account's, not the plan's
        put("list_tables", region, "*", error=NO_OTHER_TABLES)
    _keys(plan, desired, put)
    _backups(plan, desired, put)
    monitoring(plan, desired, put)
    buckets(plan, desired, put)
    snap.api_calls = 0  # a plan is read from a file: no API call at all
    return snap


def _tables(plan: Plan, desired: Desired, put: Put) -> None:
    """DescribeTable, DescribeContinuousBackups, DescribeTimeToLive and ListTagsOfResource of every contract
    table in every region observe() asks: the primary's resource, and in a DR region either a table planned
    there or the replica the primary's replica block makes."""
    env = desired.env
    primary, account = env.region, env.account
    tables = {(r.region, r.values.get("name")): r for r in plan.of_type("aws_dynamodb_table")}
    hidden = unnamed(plan, "aws_dynamodb_table", "name")
    dr_regions = env.replication.regions if env.replication else ()
    for t in desired.tables:
        found = tables.get((primary, t.name))
        v = found.values if found else {}
        try:
            replicas: dict[Any, Any] = {r.get("region_name"): r for r in blocks(v.get("replica"))}
        except Unshown as exc:
            replicas = {region: exc.value for region in (*env.regions, *dr_regions)}
        for region in dict.fromkeys((*env.regions, *dr_regions)):
            own = tables.get((region, t.name)) if region != primary else found
            if region == primary or own is not None:
                if own is None:
                    for op in ("describe_table", "describe_continuous_backups", "describe_time_to_live",
                               "list_tags_of_resource"):
                        put(op, region, t.name, missing=True, unnamed=hidden.get(region))
                    continue
                values = own.values
                put("describe_table", region, t.name, lambda vs=values, r=region: _table(vs, r, account))
                put("describe_continuous_backups", region, t.name, lambda vs=values: _pitr(
                    first(vs.get("point_in_time_recovery")).get("enabled"),
                    first(vs.get("point_in_time_recovery")).get("recovery_period_in_days")))
                put("describe_time_to_live", region, t.name, lambda vs=values: _ttl(first(vs.get("ttl"))))
                put("list_tags_of_resource", region, t.name, lambda vs=values: tag_list(effective_tags(vs, env.tags)))
            elif region in replicas:
                replica = replicas[region]
                put("describe_table", region, t.name,
                    lambda r=region, dr=replica, vs=v: _table(vs, r, account, dr=mapping(dr)))
                put("describe_continuous_backups", region, t.name,
                    lambda dr=replica: _pitr(mapping(dr).get("point_in_time_recovery")))
                # global tables version 2019.11.21 keep one TTL setting for every replica
                put("describe_time_to_live", region, t.name, lambda vs=v: _ttl(first(vs.get("ttl"))))
                put("list_tags_of_resource", region, t.name, lambda dr=replica, vs=v: tag_list(
                    effective_tags(vs, env.tags)) if flag(mapping(dr).get("propagate_tags")) else [])
            else:
                for op in ("describe_table", "describe_continuous_backups", "describe_time_to_live",
                           "list_tags_of_resource"):
                    put(op, region, t.name, missing=True)


def _ttl(ttl: dict[str, Any]) -> dict[str, Any]:
    on = flag(ttl.get("enabled"))
    return {"TimeToLiveStatus": "ENABLED" if on else "DISABLED", **({"AttributeName": ttl.get("attribute_name")}
                                                                   if on else {})}


def _key(plan: Plan, region: str, alias: str) -> Planned | None:
    """The aws_kms_key an aws_kms_alias of that name points to in region (the alias's module's key)."""
    aliased = next((a for a in plan.of_type("aws_kms_alias") if a.region == region and a.values.get("name") == alias),
                   None)
    return next((k for k in plan.of_type("aws_kms_key") if aliased and k.module == aliased.module
                 and k.region == aliased.region), None)


def _keys(plan: Plan, desired: Desired, put: Put) -> None:
    """DescribeKey of every key observe() asks about (the environment's key and the vaults' key, in the primary
    and each DR region), with the customer-managed keys' rotation and tags."""
    env = desired.env
    wanted = {(env.region, desired.key_alias), (env.region, desired.vault_key_alias)}
    wanted |= {(r, a) for r in desired.dr_regions for a in (desired.key_alias, desired.vault_key_alias)}
    for region, alias in sorted(wanted):
        if alias in (AWS_MANAGED_DYNAMODB_KEY, AWS_MANAGED_BACKUP_KEY):
            # AWS-managed keys are always enabled; which key ARN they have, a plan cannot say
            put("describe_key", region, alias, {"Arn": aws_managed(region, env.account, alias),
                                                "KeyId": alias, "KeyState": "Enabled", "KeyManager": "AWS"})
            continue
        key = _key(plan, region, alias)
        if key is None:
            put("describe_key", region, alias, missing=True)
            continue
        v = key.values
        put("describe_key", region, alias, lambda vs=v: {
            "Arn": vs.get("arn"), "KeyId": vs.get("key_id"), "KeyManager": "CUSTOMER",
            "KeyState": "Enabled" if flag(vs.get("is_enabled", True)) else "Disabled"})
        put("get_key_rotation_status", region, alias, lambda vs=v: {"KeyRotationEnabled": flag(
            vs.get("enable_key_rotation"))})
        put("list_resource_tags", region, alias, lambda vs=v: tag_list(effective_tags(vs, env.tags), "TagKey",
                                                                      "TagValue"))


def _backups(plan: Plan, desired: Desired, put: Put) -> None:
    """The vaults, the plan with its rules, selections and tags; no backup jobs (a plan has none)."""
    env = desired.env
    vaults = {(r.region, r.values.get("name")): r.values for r in plan.of_type("aws_backup_vault")}
    hidden = unnamed(plan, "aws_backup_vault", "name")
    wanted = [(env.region, env.backup.vault)] + ([(env.backup.copy.region, env.backup.copy.vault)]
                                                 if env.backup.copy else [])
    for region, name in wanted:
        vault = vaults.get((region, name))
        if vault is None:
            put("describe_backup_vault", region, name, missing=True, unnamed=hidden.get(region))
            continue
        key = vault.get("kms_key_arn") or aws_managed(region, env.account, AWS_MANAGED_BACKUP_KEY)
        put("describe_backup_vault", region, name, {"BackupVaultName": name, "BackupVaultArn": vault.get("arn"),
                                                    "EncryptionKeyArn": key})
        put("list_tags", region, name, lambda vs=vault: mapping(effective_tags(vs, env.tags)))
    for state in BAD_BACKUP_JOB_STATES:
        put("list_backup_jobs", env.region, state, error=NO_BACKUP_JOBS)

    plans = [p for p in plan.of_type("aws_backup_plan") if p.region == env.region]
    put("list_backup_plans", env.region, "*",
        [{"BackupPlanName": p.values.get("name"), "BackupPlanId": p.values.get("id") or p.address,
          "BackupPlanArn": p.values.get("arn")} for p in plans])
    ours = next((p for p in plans if p.values.get("name") == env.backup.plan), None)
    if ours is None:
        return
    put("list_tags", env.region, env.backup.plan, lambda: mapping(effective_tags(ours.values, env.tags)))
    put("get_backup_plan", env.region, env.backup.plan, lambda: {"BackupPlan": {
        "BackupPlanName": env.backup.plan, "Rules": [
            {"RuleName": r.get("rule_name"), "TargetBackupVaultName": r.get("target_vault_name"),
             "ScheduleExpression": r.get("schedule"),
             "Lifecycle": {"DeleteAfterDays": first(r.get("lifecycle")).get("delete_after")},
             "CopyActions": [{"DestinationBackupVaultArn": c.get("destination_vault_arn"),
                              "Lifecycle": {"DeleteAfterDays": first(c.get("lifecycle")).get("delete_after")}}
                             for c in blocks(r.get("copy_action"))]}
            for r in blocks(ours.values.get("rule"))]}})
    plan_id = ours.values.get("id")
    selections = [s for s in plan.of_type("aws_backup_selection") if s.region == env.region and (
        s.values.get("plan_id") == plan_id if isinstance(plan_id, str) and not isinstance(plan_id, Unknown)
        else s.module == ours.module)]
    put("list_backup_selections", env.region, env.backup.plan,
        [{"SelectionName": s.values.get("name"), "SelectionId": s.address} for s in selections])
    for s in selections:  # every selection of the plan: AWS Backup applies them all
        put("get_backup_selection", env.region, str(s.values.get("name")), lambda c=s.values: {
            "SelectionName": c.get("name"), "IamRoleArn": c.get("iam_role_arn"),
            "Resources": items(c.get("resources")), "NotResources": items(c.get("not_resources")),
            "ListOfTags": [{"ConditionType": x.get("type"), "ConditionKey": x.get("key"),
                            "ConditionValue": x.get("value")} for x in blocks(c.get("selection_tag"))],
            "Conditions": _conditions(first(c.get("condition")))})


def _conditions(block: dict[str, Any]) -> dict[str, Any]:
    """aws_backup_selection's condition block (string_equals, string_like, ... each a list of {key, value}) in
    GetBackupSelection's Conditions shape (StringEquals: [{ConditionKey, ConditionValue}], ...)."""
    out: dict[str, Any] = {}
    for attribute, key in (("string_equals", "StringEquals"), ("string_like", "StringLike"),
                           ("string_not_equals", "StringNotEquals"), ("string_not_like", "StringNotLike")):
        if (conditions := blocks(block.get(attribute))):
            out[key] = [{"ConditionKey": c.get("key"), "ConditionValue": c.get("value")} for c in conditions]
    return out
