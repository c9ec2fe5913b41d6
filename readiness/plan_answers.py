"""The plan's answers: ``planned_values`` turned into what observe.py would collect from an account.

Same keys (operation, region, resource) and the same shapes botocore gives (DescribeTable,
GetBackupPlan, DescribeAlarms, the S3 configuration calls), so every check runs unchanged. A resource
the plan does not leave in place is "not found". What the plan cannot show is an
:class:`~readiness.observe.Unknown` naming the attribute: compared, a FAIL resting on it becomes
UNVERIFIABLE (checks.run_check); read as a block or a flag (an unknown PITR block is not DISABLED, an
unknown TTL is not "not enabled"), it makes that one answer unavailable, naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from readiness.desired import AWS_MANAGED_BACKUP_KEY, AWS_MANAGED_DYNAMODB_KEY, Desired
from readiness.observe import Answer, Snapshot, Unknown
from readiness.plan_load import Plan, Planned

COST_EXPLORER_REGION = "us-east-1"  # observe.py asks Cost Explorer there: it is a global service


class _Unshown(Exception):
    """An answer rests on a value the plan cannot show (a whole block, or a flag read for its truth)."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value)
        self.value = value


def _shown(value: Any) -> Any:
    if isinstance(value, Unknown):
        raise _Unshown(value)
    return value


def _first(block: Any) -> dict[str, Any]:
    """A nested block of the AWS provider is a list of at most one object."""
    block = _shown(block)
    if isinstance(block, list) and block and isinstance(_shown(block[0]), dict):
        return dict(block[0])
    return {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    """The objects of a nested block list; one the plan cannot show makes the answer unavailable."""
    value = _shown(value)
    return [dict(b) for b in value if isinstance(_shown(b), dict)] if isinstance(value, list) else []


def _map(value: Any) -> dict[str, Any]:
    value = _shown(value)
    return dict(value) if isinstance(value, dict) else {}


def _flag(value: Any) -> bool:
    """A boolean argument read for its truth: an unknown one is not False (nor True)."""
    return bool(_shown(value))


def _tags(values: dict[str, Any], required: Any) -> Any:
    """The effective tags (tags_all). When the plan does not show them (provider default_tags unknown),
    the resource's own tags stand for them only if they already hold every required tag: resource tags
    override default tags, so that is sound; anything less is unknown, not missing."""
    effective, own = values.get("tags_all"), values.get("tags")
    if effective is None and not isinstance(own, Unknown):
        return own
    if isinstance(effective, Unknown) and isinstance(own, dict) and all(
            own.get(k) == v for k, v in dict(required).items()):
        return own
    return effective if effective is not None else own


def _key_schema(hash_key: Any, range_key: Any) -> list[dict[str, Any]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    return schema + ([{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])


def _table(v: dict[str, Any], region: str, account: str, dr: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DescribeTable answer for the table (or, with dr, for its replica in that region)."""
    name = v.get("name")
    table: dict[str, Any] = {
        "TableName": name,
        "TableStatus": "ACTIVE",
        "TableArn": v.get("arn") if dr is None else f"arn:aws:dynamodb:{region}:{account}:table/{name}",
        "KeySchema": _key_schema(v.get("hash_key"), v.get("range_key")),
        "AttributeDefinitions": [{"AttributeName": a.get("name"), "AttributeType": a.get("type")}
                                 for a in _blocks(v.get("attribute"))],
        "BillingModeSummary": {"BillingMode": v.get("billing_mode") or "PROVISIONED"},
        "DeletionProtectionEnabled": _flag(v.get("deletion_protection_enabled")),
    }
    gsis = [{"IndexName": g.get("name"), "IndexStatus": "ACTIVE",
             "KeySchema": _key_schema(g.get("hash_key"), g.get("range_key")),
             "Projection": {"ProjectionType": g.get("projection_type"),
                            **({"NonKeyAttributes": _items(g["non_key_attributes"])}
                               if g.get("non_key_attributes") else {})}}
            for g in _blocks(v.get("global_secondary_index"))]
    if gsis:
        table["GlobalSecondaryIndexes"] = gsis
    if (lsis := _blocks(v.get("local_secondary_index"))):
        table["LocalSecondaryIndexes"] = [{"IndexName": i.get("name")} for i in lsis]
    if _flag(v.get("stream_enabled")):
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": v.get("stream_view_type")}
    sse = _first(v.get("server_side_encryption"))
    key = (dr or {}).get("kms_key_arn") if dr is not None else sse.get("kms_key_arn")
    if _flag(sse.get("enabled")):
        table["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS",
                                   "KMSMasterKeyArn": key or _aws_managed(region, account, AWS_MANAGED_DYNAMODB_KEY)}
    replicas = _blocks(v.get("replica"))
    if replicas:
        table["Replicas"] = [{"RegionName": r.get("region_name"), "ReplicaStatus": "ACTIVE"} for r in replicas]
        table["GlobalTableVersion"] = "2019.11.21"  # the provider's replica blocks make version 2019.11.21 tables
    return table


def _aws_managed(region: str, account: str, alias: str) -> Unknown:
    """The ARN of the AWS-managed key behind alias, which no plan shows (AWS creates the key on first use)."""
    return Unknown(f"(not in the plan: the ARN of the AWS-managed key {alias} in {region} of {account})")


def _items(value: Any) -> list[Any]:
    """A list attribute; a wholly unknown list stands as one unknown element."""
    if isinstance(value, Unknown):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else []


def _pitr(enabled: Any, days: Any = None) -> dict[str, Any]:
    on = _flag(enabled)
    desc: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if on else "DISABLED"}
    if on and days:
        desc["RecoveryPeriodInDays"] = days
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": desc}


def _threshold_expression(block: dict[str, Any]) -> dict[str, Any]:
    """threshold_expression of aws_ce_anomaly_subscription in the Cost Explorer API's shape."""
    out: dict[str, Any] = {}
    dim = _first(block.get("dimension"))
    if dim:
        out["Dimensions"] = {"Key": dim.get("key"), "MatchOptions": list(dim.get("match_options") or []),
                             "Values": list(dim.get("values") or [])}
    for op, key in (("and", "And"), ("or", "Or")):
        if (parts := _blocks(block.get(op))):
            out[key] = [_threshold_expression(b) for b in parts]
    return out


def _alarm(v: dict[str, Any]) -> dict[str, Any]:
    """A DescribeAlarms MetricAlarm for aws_cloudwatch_metric_alarm."""
    alarm: dict[str, Any] = {
        "AlarmName": v.get("alarm_name"), "ComparisonOperator": v.get("comparison_operator"),
        "Threshold": v.get("threshold"), "EvaluationPeriods": v.get("evaluation_periods"),
        "ActionsEnabled": _flag(v.get("actions_enabled", True)), "AlarmActions": _items(v.get("alarm_actions")),
    }
    if v.get("metric_name"):
        alarm.update(Namespace=v.get("namespace"), MetricName=v.get("metric_name"), Period=v.get("period"),
                     Dimensions=[{"Name": k, "Value": x} for k, x in _map(v.get("dimensions")).items()],
                     **({"ExtendedStatistic": v["extended_statistic"]} if v.get("extended_statistic")
                        else {"Statistic": v.get("statistic")}))
    queries = []
    for q in _blocks(v.get("metric_query")):
        if q.get("expression"):
            queries.append({"Id": q.get("id"), "Expression": q.get("expression")})
            continue
        m = _first(q.get("metric"))
        queries.append({"Id": q.get("id"), "MetricStat": {
            "Metric": {"Namespace": m.get("namespace"), "MetricName": m.get("metric_name"),
                       "Dimensions": [{"Name": k, "Value": x} for k, x in _map(m.get("dimensions")).items()]},
            "Stat": m.get("stat"), "Period": m.get("period")}})
    if queries:
        alarm["Metrics"] = queries
    return alarm


def plan_snapshot(plan: Plan, desired: Desired) -> Snapshot:
    """Every answer observe() would collect, read from the plan instead of an account."""
    env = desired.env
    primary, account = env.region, env.account
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
            except _Unshown as exc:
                value, error = None, f"{exc.value[1:-1]}, so the plan cannot show it"
        snap.answers[(operation, region, resource)] = Answer(
            call, value=value if not missing else {"Error": code}, missing=missing, error=error)

    tables = {(r.region, r.values.get("name")): r for r in plan.of_type("aws_dynamodb_table")}
    unnamed = _unnamed(plan, "aws_dynamodb_table", "name")
    for t in desired.tables:
        found = tables.get((primary, t.name))
        v = found.values if found else {}
        try:
            replicas: dict[Any, Any] = {r.get("region_name"): r for r in _blocks(v.get("replica"))}
        except _Unshown as exc:
            replicas = {region: exc.value for region in env.regions}
        for region in env.regions:
            own = tables.get((region, t.name)) if region != primary else found
            if region == primary or own is not None:
                if own is None:
                    put("describe_table", region, t.name, missing=True, unnamed=unnamed.get(region))
                    put("describe_continuous_backups", region, t.name, missing=True, unnamed=unnamed.get(region))
                    continue
                values = own.values
                put("describe_table", region, t.name, lambda vs=values, r=region: _table(vs, r, account))
                put("describe_continuous_backups", region, t.name, lambda vs=values: _pitr(
                    _first(vs.get("point_in_time_recovery")).get("enabled"),
                    _first(vs.get("point_in_time_recovery")).get("recovery_period_in_days")))
            elif region in replicas:
                replica = replicas[region]
                put("describe_table", region, t.name,
                    lambda r=region, dr=replica, vs=v: _table(vs, r, account, dr=_map(dr)))
                put("describe_continuous_backups", region, t.name,
                    lambda dr=replica: _pitr(_map(dr).get("point_in_time_recovery")))
            else:
                put("describe_table", region, t.name, missing=True)
                put("describe_continuous_backups", region, t.name, missing=True)
        if found is None:
            put("describe_time_to_live", primary, t.name, missing=True, unnamed=unnamed.get(primary))
            put("list_tags_of_resource", primary, t.name, missing=True, unnamed=unnamed.get(primary))
            continue
        put("describe_time_to_live", primary, t.name, lambda vs=v: _ttl(_first(vs.get("ttl"))))
        tags = _tags(v, env.tags)
        if isinstance(tags, Unknown):
            put("list_tags_of_resource", primary, t.name, error=f"the tags are {tags}")
        else:
            put("list_tags_of_resource", primary, t.name, lambda tg=tags: [
                {"Key": k, "Value": x} for k, x in _map(tg).items()])

    _keys(plan, desired, put)
    _backups(plan, desired, put)
    _monitoring(plan, desired, put)
    _buckets(plan, desired, put)
    snap.api_calls = 0  # a plan is read from a file: no API call at all
    return snap


def _ttl(ttl: dict[str, Any]) -> dict[str, Any]:
    on = _flag(ttl.get("enabled"))
    return {"TimeToLiveStatus": "ENABLED" if on else "DISABLED", **({"AttributeName": ttl.get("attribute_name")}
                                                                   if on else {})}


def _unnamed(plan: Plan, kind: str, attribute: str) -> dict[str, Unknown]:
    """Per region, a planned resource of kind whose name the plan does not show (it could be any)."""
    return {r.region: name for r in plan.of_type(kind) if isinstance(name := r.values.get(attribute), Unknown)}


def _keys(plan: Plan, desired: Desired, put: Any) -> None:
    env = desired.env
    alias = desired.key_alias
    if alias in (AWS_MANAGED_DYNAMODB_KEY, AWS_MANAGED_BACKUP_KEY):
        # AWS-managed keys are always enabled; which key ARN they have, a plan cannot say
        put("describe_key", env.region, alias, {"Arn": _aws_managed(env.region, env.account, alias),
                                                "KeyId": alias, "KeyState": "Enabled", "KeyManager": "AWS"})
        return
    aliased = next((a for a in plan.of_type("aws_kms_alias")
                    if a.region == env.region and a.values.get("name") == alias), None)
    key = next((k for k in plan.of_type("aws_kms_key") if aliased and k.module == aliased.module
                and k.region == aliased.region), None)
    if aliased is None or key is None:
        put("describe_key", env.region, alias, missing=True)
        return
    v = key.values
    put("describe_key", env.region, alias, lambda: {
        "Arn": v.get("arn"), "KeyId": v.get("key_id"), "KeyManager": "CUSTOMER",
        "KeyState": "Enabled" if _flag(v.get("is_enabled", True)) else "Disabled"})
    put("get_key_rotation_status", env.region, alias, lambda: {"KeyRotationEnabled": _flag(
        v.get("enable_key_rotation"))})


def _backups(plan: Plan, desired: Desired, put: Any) -> None:
    env = desired.env
    vaults = {(r.region, r.values.get("name")): r.values for r in plan.of_type("aws_backup_vault")}
    unnamed = _unnamed(plan, "aws_backup_vault", "name")
    wanted = [(env.region, env.backup.vault)] + ([(env.backup.copy.region, env.backup.copy.vault)]
                                                 if env.backup.copy else [])
    for region, name in wanted:
        vault = vaults.get((region, name))
        if vault is None:
            put("describe_backup_vault", region, name, missing=True, unnamed=unnamed.get(region))
            continue
        key = vault.get("kms_key_arn") or _aws_managed(region, env.account, AWS_MANAGED_BACKUP_KEY)
        put("describe_backup_vault", region, name, {"BackupVaultName": name, "EncryptionKeyArn": key})

    plans = [p for p in plan.of_type("aws_backup_plan") if p.region == env.region]
    put("list_backup_plans", env.region, "*",
        [{"BackupPlanName": p.values.get("name"), "BackupPlanId": p.values.get("id") or p.address} for p in plans])
    ours = next((p for p in plans if p.values.get("name") == env.backup.plan), None)
    if ours is None:
        return
    put("get_backup_plan", env.region, env.backup.plan, lambda: {"BackupPlan": {
        "BackupPlanName": env.backup.plan, "Rules": [
            {"RuleName": r.get("rule_name"), "TargetBackupVaultName": r.get("target_vault_name"),
             "ScheduleExpression": r.get("schedule"),
             "Lifecycle": {"DeleteAfterDays": _first(r.get("lifecycle")).get("delete_after")},
             "CopyActions": [{"DestinationBackupVaultArn": c.get("destination_vault_arn"),
                              "Lifecycle": {"DeleteAfterDays": _first(c.get("lifecycle")).get("delete_after")}}
                             for c in _blocks(r.get("copy_action"))]}
            for r in _blocks(ours.values.get("rule"))]}})
    plan_id = ours.values.get("id")
    selections = [s for s in plan.of_type("aws_backup_selection") if s.region == env.region and (
        s.values.get("plan_id") == plan_id if isinstance(plan_id, str) and not isinstance(plan_id, Unknown)
        else s.module == ours.module)]
    put("list_backup_selections", env.region, env.backup.plan,
        [{"SelectionName": s.values.get("name"), "SelectionId": s.address} for s in selections])
    chosen = next((s.values for s in selections if s.values.get("name") == env.backup.selection), None)
    if chosen is not None:
        put("get_backup_selection", env.region, env.backup.selection, lambda: {
            "SelectionName": chosen.get("name"), "Resources": _items(chosen.get("resources")),
            "NotResources": _items(chosen.get("not_resources")),
            "ListOfTags": [{"ConditionType": x.get("type"), "ConditionKey": x.get("key"),
                            "ConditionValue": x.get("value")} for x in _blocks(chosen.get("selection_tag"))],
            "Conditions": {k: v for k, v in _first(chosen.get("condition")).items() if v}})


def _topic_arn(topic: Planned, account: str) -> Any:
    """A topic's ARN; before the first apply, the one AWS will give it (region, account and name fix it)."""
    arn = topic.values.get("arn")
    if arn and not isinstance(arn, Unknown):
        return arn
    return f"arn:aws:sns:{topic.region}:{account}:{topic.values.get('name')}"


def _monitoring(plan: Plan, desired: Desired, put: Any) -> None:
    env = desired.env
    put("describe_alarms", env.region, "*", lambda: [
        _alarm(a.values) for a in plan.of_type("aws_cloudwatch_metric_alarm") if a.region == env.region])
    put("list_topics", env.region, "*",
        [{"TopicArn": _topic_arn(t, env.account)} for t in plan.of_type("aws_sns_topic") if t.region == env.region])
    dash = next((d.values for d in plan.of_type("aws_cloudwatch_dashboard")
                 if d.region == env.region and d.values.get("dashboard_name") == env.monitoring.dashboard), None)
    if dash is None:
        put("get_dashboard", env.region, env.monitoring.dashboard, missing=True)
    elif isinstance(dash.get("dashboard_body"), Unknown):
        put("get_dashboard", env.region, env.monitoring.dashboard,
            error=f"the dashboard body is {dash['dashboard_body']}")
    else:
        put("get_dashboard", env.region, env.monitoring.dashboard,
            {"DashboardName": env.monitoring.dashboard, "DashboardBody": dash.get("dashboard_body")})
    put("get_anomaly_monitors", COST_EXPLORER_REGION, "*",
        [{"MonitorName": m.values.get("name"), "MonitorArn": m.values.get("arn")}
         for m in plan.of_type("aws_ce_anomaly_monitor")])
    put("get_anomaly_subscriptions", COST_EXPLORER_REGION, "*", lambda: [
        {"SubscriptionName": s.values.get("name"), "MonitorArnList": _items(s.values.get("monitor_arn_list")),
          "Subscribers": [{"Type": x.get("type"), "Address": x.get("address")}
                          for x in _blocks(s.values.get("subscriber"))],
          "ThresholdExpression": _threshold_expression(_first(s.values.get("threshold_expression")))}
         for s in plan.of_type("aws_ce_anomaly_subscription")])


# S3: aws_s3_bucket and the per-bucket configuration resources of provider v4+ (the s3_bucket module).
# What S3 answers when a bucket has no such configuration (None: an empty answer)
_S3_NOT_CONFIGURED = {
    "get_bucket_versioning": None,  # S3 answers an empty document for a bucket never versioned
    "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_lifecycle_configuration": "NoSuchLifecycleConfiguration",
    "get_bucket_logging": None,
    "get_bucket_replication": "ReplicationConfigurationNotFoundError",
    "get_bucket_tagging": "NoSuchTagSet",
}


def _bucket_answers(plan: Plan, bucket: Planned, required: Any) -> dict[str, Callable[[], Any]]:
    """The S3 answers for one planned bucket; a configuration the plan does not make is absent (None)."""
    name = bucket.values.get("bucket")

    def of(kind: str) -> list[dict[str, Any]]:
        """Configuration resources of this bucket: named by it, or (name unknown until apply) in its module."""
        return [r.values for r in plan.of_type(kind) if r.region == bucket.region and (
            r.values.get("bucket") == name if not isinstance(r.values.get("bucket"), Unknown)
            else r.module == bucket.module)]

    out: dict[str, Callable[[], Any]] = {}
    if (v := of("aws_s3_bucket_versioning")):
        out["get_bucket_versioning"] = lambda: {
            "Status": _first(v[0].get("versioning_configuration")).get("status")}
    if (e := of("aws_s3_bucket_server_side_encryption_configuration")):
        out["get_bucket_encryption"] = lambda: {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": _first(r.get("apply_server_side_encryption_by_default")).get("sse_algorithm")}}
            for r in _blocks(e[0].get("rule"))]}}
    if (b := of("aws_s3_bucket_public_access_block")):
        out["get_public_access_block"] = lambda: {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": b[0].get("block_public_acls"), "IgnorePublicAcls": b[0].get("ignore_public_acls"),
            "BlockPublicPolicy": b[0].get("block_public_policy"),
            "RestrictPublicBuckets": b[0].get("restrict_public_buckets")}}
    if (lc := of("aws_s3_bucket_lifecycle_configuration")):
        out["get_bucket_lifecycle_configuration"] = lambda: {"Rules": [
            _lifecycle_rule(r) for r in _blocks(lc[0].get("rule"))]}
    if (lg := of("aws_s3_bucket_logging")):
        out["get_bucket_logging"] = lambda: {"LoggingEnabled": {"TargetBucket": lg[0].get("target_bucket"),
                                                                "TargetPrefix": lg[0].get("target_prefix")}}
    if (rp := of("aws_s3_bucket_replication_configuration")):
        out["get_bucket_replication"] = lambda: {"ReplicationConfiguration": {"Role": rp[0].get("role"), "Rules": [
            {"ID": r.get("id"), "Status": r.get("status"),
             "Destination": {"Bucket": _first(r.get("destination")).get("bucket")}}
            for r in _blocks(rp[0].get("rule"))]}}
    tags = _tags(bucket.values, required)
    if isinstance(tags, Unknown) or (isinstance(tags, dict) and tags):
        out["get_bucket_tagging"] = lambda: {"TagSet": [{"Key": k, "Value": x} for k, x in _map(tags).items()]}
    out["list_objects_v2"] = lambda: [{"Key": o.get("key"), "ETag": f'"{o.get("etag")}"'}
                                      for o in of("aws_s3_object")]
    out["head_bucket"] = lambda: {"BucketRegion": bucket.region}
    return out


def _lifecycle_rule(r: dict[str, Any]) -> dict[str, Any]:
    """One rule of aws_s3_bucket_lifecycle_configuration in GetBucketLifecycleConfiguration's shape."""
    rule: dict[str, Any] = {"ID": r.get("id"), "Status": r.get("status"),
                            "Filter": {k: v for k, v in _first(r.get("filter")).items() if v}}
    if r.get("prefix"):
        rule["Prefix"] = r["prefix"]
    if (nve := _first(r.get("noncurrent_version_expiration"))):
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("noncurrent_days")}
    if (expiration := _first(r.get("expiration"))):
        rule["Expiration"] = expiration
    return rule


def _buckets(plan: Plan, desired: Desired, put: Any) -> None:
    """Every S3 answer observe() asks about the contracted buckets, their log buckets and DR buckets."""
    planned = {(b.region, b.values.get("bucket")): b for b in plan.of_type("aws_s3_bucket")}
    unnamed = _unnamed(plan, "aws_s3_bucket", "bucket")
    asked: list[tuple[str, str, tuple[str, ...], Any]] = []
    for b in desired.buckets:
        asked.append((b.region, b.name, (*_S3_NOT_CONFIGURED, "list_objects_v2"), b.tags))
        if b.logging_bucket:
            asked.append((b.region, b.logging_bucket, ("head_bucket",), {}))
        if b.replication:
            asked.append((b.replication.region, b.replication.bucket, ("head_bucket", "get_bucket_versioning"), {}))
    for region, name, operations, required in asked:
        found = planned.get((region, name))
        answers: dict[str, Callable[[], Any]] = _bucket_answers(plan, found, required) if found else {}
        for op in operations:
            if found is None:
                put(op, region, name, missing=True, code="NoSuchBucket", unnamed=unnamed.get(region))
            elif op in answers:
                put(op, region, name, answers[op])
            elif _S3_NOT_CONFIGURED.get(op):
                put(op, region, name, missing=True, code=str(_S3_NOT_CONFIGURED[op]))
            else:
                put(op, region, name, {})
