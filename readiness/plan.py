"""The plan target: judge a Terraform plan (``terraform show -json plan.out``) before anyone applies it.

The plan's ``planned_values`` are turned into the same answers a live observation collects
(``describe_table``, ``get_backup_plan``, ``describe_alarms``, ...; see observe.py), keyed the same
way, so every check runs unchanged and gives the same ids and verdicts as a live run. A resource the
plan does not leave in place (never created, or destroyed by the plan) is "not found".

What a plan cannot know yet: ARNs and ids of resources it creates. Those values are
:class:`~readiness.observe.Unknown` (marked by ``after_unknown`` in ``resource_changes``); a check
whose FAIL rests on one becomes UNVERIFIABLE naming the attribute (checks.run_check). A plan of an
already deployed environment knows them all from its state and is judged in full.

Format: https://developer.hashicorp.com/terraform/internals/json-format (format_version 1.x).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.desired import AWS_MANAGED_BACKUP_KEY, AWS_MANAGED_DYNAMODB_KEY, Desired
from readiness.observe import Answer, Snapshot, Unknown

COST_EXPLORER_REGION = "us-east-1"  # observe.py asks Cost Explorer there: it is a global service
_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


class PlanError(Exception):
    """The plan document cannot be used; the message names the file and what was expected."""


@dataclass(frozen=True)
class Planned:
    """One resource instance the plan leaves in place after apply."""

    address: str
    type: str
    region: str
    values: dict[str, Any]
    module: str = ""  # the module instance that holds it ('' for the root module)


@dataclass(frozen=True)
class Plan:
    path: str
    variables: dict[str, Any]
    resources: tuple[Planned, ...]
    changes: dict[str, list[str]]  # address -> actions ("create", "update", "delete", "no-op", ...)
    assumed_region: tuple[str, ...] = ()  # resources whose provider region the plan did not show

    def of_type(self, *types: str) -> Iterator[Planned]:
        return (r for r in self.resources if r.type in types)

    @property
    def replaced(self) -> list[str]:
        """Addresses the plan destroys (and maybe re-creates): data loss for a table."""
        return sorted(a for a, acts in self.changes.items() if "delete" in acts)


# ------------------------------------------------------------------------------------------- loading


def load_plan(path: str | Path, default_region: str) -> Plan:
    """Read ``terraform show -json`` output; PlanError with one line when it is not such a document."""
    where = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{where}: no such file (write it with: terraform show -json plan.out > {where})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{where}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{where}: line {exc.lineno}: not JSON ({exc.msg}); expected terraform show -json output"
                        ) from None
    if not isinstance(doc, dict) or not str(doc.get("format_version", "")).startswith("1."):
        raise PlanError(f"{where}: format_version: expected a Terraform JSON plan (format_version 1.x), "
                        f"got {doc.get('format_version') if isinstance(doc, dict) else type(doc).__name__!r}")
    planned = (doc.get("planned_values") or {}).get("root_module")
    if not isinstance(planned, dict):
        raise PlanError(f"{where}: planned_values.root_module: missing; expected the JSON of a saved plan "
                        f"(terraform show -json plan.out), not of a state")
    variables = {k: (v or {}).get("value") for k, v in (doc.get("variables") or {}).items()}
    unknown: dict[str, Any] = {}
    changes: dict[str, list[str]] = {}
    for c in doc.get("resource_changes") or []:
        if isinstance(c, dict) and "address" in c:
            change = c.get("change") or {}
            unknown[c["address"]] = change.get("after_unknown") or {}
            changes[c["address"]] = list(change.get("actions") or [])
    configured = _configured(doc.get("configuration") or {}, variables)
    raws = [r for r in _walk(planned) if r.get("mode", "managed") == "managed"]
    addresses = {str(r.get("address", "")) for r in raws}
    resources: list[Planned] = []
    assumed: list[str] = []
    for raw in raws:
        address, kind = str(raw.get("address", "")), str(raw.get("type", ""))
        module = address[:max(address.rfind(f"{kind}."), 1) - 1]
        region, expressions = configured.get(_INDEX.sub("", address), (None, {}))
        if region is None:
            assumed.append(address)
        values = _overlay(raw.get("values") or {}, unknown.get(address, {}), address)
        values = {k: _same_as(v, expressions.get(k), module, addresses) for k, v in values.items()}
        resources.append(Planned(address, kind, region or configured.get("", (None,))[0] or default_region,
                                 values, module))
    return Plan(where, variables, tuple(resources), changes, tuple(assumed))


def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _walk(child)


def _overlay(values: Any, unknown: Any, label: str) -> Any:
    """values with every leaf that after_unknown marks true replaced by Unknown(label.path)."""
    if unknown is True:
        return Unknown(f"(known after apply: {label})")
    if isinstance(unknown, dict):
        out = dict(values) if isinstance(values, dict) else {}
        for key, mark in unknown.items():
            if mark is not False:
                out[key] = _overlay(out.get(key), mark, f"{label}.{key}")
        return out
    if isinstance(unknown, list):
        seq = list(values) if isinstance(values, list) else []
        for i, mark in enumerate(unknown):
            if i < len(seq):
                seq[i] = _overlay(seq[i], mark, f"{label}[{i}]")
            elif mark is not False:
                seq.append(_overlay(None, mark, f"{label}[{i}]"))
        return seq
    return values


_REFERENCE = re.compile(r"(?!(?:var|local|module|data|each|count|path|self|terraform)\.)"
                        r"([a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)")


def _same_as(value: Any, expression: Any, module: str, addresses: set[str]) -> Any:
    """An unknown value whose configuration is exactly one other resource's attribute (`x = aws_y.z.arn`,
    `x = [aws_y.z.arn]`) is labelled as that attribute, so that both sides of a comparison agree."""
    refs = {m.groups() for r in (expression or {}).get("references") or [] if (m := _REFERENCE.fullmatch(r))}
    if len(refs) != 1:
        return value
    (resource, attribute), = refs
    address = f"{module}.{resource}" if module else resource
    if address not in addresses:
        return value
    label = Unknown(f"(known after apply: {address}.{attribute})")
    if isinstance(value, Unknown):
        return label
    if isinstance(value, list) and value and all(isinstance(v, Unknown) for v in value):
        return [label for _ in value]
    return value


def _configured(configuration: dict[str, Any], variables: dict[str, Any]
                ) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Per configured resource (address without instance keys): its provider's region and its
    expressions. Key "" holds the default provider's region."""
    providers: dict[str, str | None] = {}
    for key, block in (configuration.get("provider_config") or {}).items():
        providers[key] = _region_of(block.get("expressions") or {}, variables)
    out: dict[str, tuple[str | None, dict[str, Any]]] = {"": (providers.get("aws"), {})}

    def visit(module: dict[str, Any], prefix: str) -> None:
        for res in module.get("resources") or []:
            key = str(res.get("provider_config_key", ""))
            region = providers.get(key) or providers.get(key.rpartition(":")[2])
            out[prefix + str(res.get("address", ""))] = (region, dict(res.get("expressions") or {}))
        for name, call in (module.get("module_calls") or {}).items():
            visit(call.get("module") or {}, f"{prefix}module.{name}.")

    visit(configuration.get("root_module") or {}, "")
    return out


def _region_of(expressions: dict[str, Any], variables: dict[str, Any]) -> str | None:
    """A provider's region: a constant, or the first set variable it refers to (var.x, coalesce(var.a, var.b))."""
    region = expressions.get("region") or {}
    if isinstance(region.get("constant_value"), str):
        return str(region["constant_value"])
    for ref in region.get("references") or []:
        if ref.startswith("var.") and isinstance(variables.get(ref[4:]), str):
            return str(variables[ref[4:]])
    return None


# ------------------------------------------------------------------------------------- plan -> answers


def _first(block: Any) -> dict[str, Any]:
    """A nested block of the AWS provider is a list of at most one object."""
    if isinstance(block, list) and block and isinstance(block[0], dict):
        return dict(block[0])
    return {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    """The objects of a nested block list (an unknown block list has none the plan can show)."""
    return [dict(b) for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _tags(values: dict[str, Any]) -> Any:
    tags = values.get("tags_all")
    return values.get("tags") if tags is None or isinstance(tags, Unknown) else tags


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
        "DeletionProtectionEnabled": bool(v.get("deletion_protection_enabled")),
    }
    gsis = [{"IndexName": g.get("name"), "IndexStatus": "ACTIVE",
             "KeySchema": _key_schema(g.get("hash_key"), g.get("range_key")),
             "Projection": {"ProjectionType": g.get("projection_type"),
                            **({"NonKeyAttributes": _items(g["non_key_attributes"])}
                               if g.get("non_key_attributes") else {})}}
            for g in _blocks(v.get("global_secondary_index"))]
    if gsis:
        table["GlobalSecondaryIndexes"] = gsis
    if v.get("local_secondary_index"):
        table["LocalSecondaryIndexes"] = [{"IndexName": i.get("name")} for i in v["local_secondary_index"]]
    if v.get("stream_enabled"):
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": v.get("stream_view_type")}
    sse = _first(v.get("server_side_encryption"))
    key = (dr or {}).get("kms_key_arn") if dr is not None else sse.get("kms_key_arn")
    if sse.get("enabled"):
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
    desc: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if enabled else "DISABLED"}
    if enabled and days:
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
        if block.get(op):
            out[key] = [_threshold_expression(b) for b in block[op]]
    return out


def _alarm(v: dict[str, Any]) -> dict[str, Any]:
    """A DescribeAlarms MetricAlarm for aws_cloudwatch_metric_alarm."""
    alarm: dict[str, Any] = {
        "AlarmName": v.get("alarm_name"), "ComparisonOperator": v.get("comparison_operator"),
        "Threshold": v.get("threshold"), "EvaluationPeriods": v.get("evaluation_periods"),
        "ActionsEnabled": v.get("actions_enabled", True), "AlarmActions": _items(v.get("alarm_actions")),
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
            error: str | None = None, code: str = "not in the plan") -> None:
        call = f"{operation}({resource})@{region} in {plan.path}"
        snap.answers[(operation, region, resource)] = Answer(
            call, value=value if not missing else {"Error": code}, missing=missing, error=error)

    tables = {(r.region, r.values.get("name")): r for r in plan.of_type("aws_dynamodb_table")}
    for t in desired.tables:
        found = tables.get((primary, t.name))
        v = found.values if found else {}
        replicas = {r.get("region_name"): r for r in _blocks(v.get("replica"))}
        for region in env.regions:
            own = tables.get((region, t.name)) if region != primary else found
            if region == primary or own is not None:
                if own is None:
                    put("describe_table", region, t.name, missing=True)
                    put("describe_continuous_backups", region, t.name, missing=True)
                    continue
                put("describe_table", region, t.name, _table(own.values, region, account))
                pitr = _first(own.values.get("point_in_time_recovery"))
                put("describe_continuous_backups", region, t.name,
                    _pitr(pitr.get("enabled"), pitr.get("recovery_period_in_days")))
            elif region in replicas:
                replica = replicas[region]
                put("describe_table", region, t.name, _table(v, region, account, dr=replica))
                put("describe_continuous_backups", region, t.name, _pitr(replica.get("point_in_time_recovery")))
            else:
                put("describe_table", region, t.name, missing=True)
                put("describe_continuous_backups", region, t.name, missing=True)
        if found is None:
            put("describe_time_to_live", primary, t.name, missing=True)
            put("list_tags_of_resource", primary, t.name, missing=True)
            continue
        ttl = _first(v.get("ttl"))
        put("describe_time_to_live", primary, t.name,
            {"TimeToLiveStatus": "ENABLED" if ttl.get("enabled") else "DISABLED",
             **({"AttributeName": ttl["attribute_name"]} if ttl.get("enabled") else {})})
        tags = _tags(v)
        if isinstance(tags, Unknown):
            put("list_tags_of_resource", primary, t.name, error=f"the tags are {tags}")
        else:
            put("list_tags_of_resource", primary, t.name, [{"Key": k, "Value": x} for k, x in _map(tags).items()])

    _keys(plan, desired, put)
    _backups(plan, desired, put)
    _monitoring(plan, desired, put)
    _buckets(plan, desired, put)
    snap.api_calls = 0  # a plan is read from a file: no API call at all
    return snap


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
    put("describe_key", env.region, alias, {"Arn": v.get("arn"), "KeyId": v.get("key_id"),
                                            "KeyState": "Enabled" if v.get("is_enabled", True) else "Disabled",
                                            "KeyManager": "CUSTOMER"})
    put("get_key_rotation_status", env.region, alias, {"KeyRotationEnabled": bool(v.get("enable_key_rotation"))})


def _backups(plan: Plan, desired: Desired, put: Any) -> None:
    env = desired.env
    vaults = {(r.region, r.values.get("name")): r.values for r in plan.of_type("aws_backup_vault")}
    wanted = [(env.region, env.backup.vault)] + ([(env.backup.copy.region, env.backup.copy.vault)]
                                                 if env.backup.copy else [])
    for region, name in wanted:
        vault = vaults.get((region, name))
        if vault is None:
            put("describe_backup_vault", region, name, missing=True)
            continue
        key = vault.get("kms_key_arn") or _aws_managed(region, env.account, AWS_MANAGED_BACKUP_KEY)
        put("describe_backup_vault", region, name, {"BackupVaultName": name, "EncryptionKeyArn": key})

    plans = [p for p in plan.of_type("aws_backup_plan") if p.region == env.region]
    put("list_backup_plans", env.region, "*",
        [{"BackupPlanName": p.values.get("name"), "BackupPlanId": p.values.get("id") or p.address} for p in plans])
    ours = next((p for p in plans if p.values.get("name") == env.backup.plan), None)
    if ours is None:
        return
    rules = [{"RuleName": r.get("rule_name"), "TargetBackupVaultName": r.get("target_vault_name"),
              "ScheduleExpression": r.get("schedule"),
              "Lifecycle": {"DeleteAfterDays": _first(r.get("lifecycle")).get("delete_after")},
              "CopyActions": [{"DestinationBackupVaultArn": c.get("destination_vault_arn"),
                               "Lifecycle": {"DeleteAfterDays": _first(c.get("lifecycle")).get("delete_after")}}
                              for c in _blocks(r.get("copy_action"))]}
             for r in _blocks(ours.values.get("rule"))]
    put("get_backup_plan", env.region, env.backup.plan,
        {"BackupPlan": {"BackupPlanName": env.backup.plan, "Rules": rules}})
    plan_id = ours.values.get("id")
    selections = [s for s in plan.of_type("aws_backup_selection") if s.region == env.region and (
        s.values.get("plan_id") == plan_id if isinstance(plan_id, str) and not isinstance(plan_id, Unknown)
        else s.module == ours.module)]
    put("list_backup_selections", env.region, env.backup.plan,
        [{"SelectionName": s.values.get("name"), "SelectionId": s.address} for s in selections])
    chosen = next((s.values for s in selections if s.values.get("name") == env.backup.selection), None)
    if chosen is not None:
        put("get_backup_selection", env.region, env.backup.selection, {
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
    put("describe_alarms", env.region, "*",
        [_alarm(a.values) for a in plan.of_type("aws_cloudwatch_metric_alarm") if a.region == env.region])
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
    put("get_anomaly_subscriptions", COST_EXPLORER_REGION, "*",
        [{"SubscriptionName": s.values.get("name"), "MonitorArnList": _items(s.values.get("monitor_arn_list")),
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


def _bucket_answers(plan: Plan, bucket: Planned) -> dict[str, Any]:
    """The S3 answers for one planned bucket; a configuration the plan does not make is absent (None)."""
    name = bucket.values.get("bucket")

    def of(kind: str) -> list[dict[str, Any]]:
        """Configuration resources of this bucket: named by it, or (name unknown until apply) in its module."""
        return [r.values for r in plan.of_type(kind) if r.region == bucket.region and (
            r.values.get("bucket") == name if not isinstance(r.values.get("bucket"), Unknown)
            else r.module == bucket.module)]

    out: dict[str, Any] = {}
    if (v := of("aws_s3_bucket_versioning")):
        out["get_bucket_versioning"] = {"Status": _first(v[0].get("versioning_configuration")).get("status")}
    if (e := of("aws_s3_bucket_server_side_encryption_configuration")):
        out["get_bucket_encryption"] = {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": _first(r.get("apply_server_side_encryption_by_default")).get("sse_algorithm")}}
            for r in _blocks(e[0].get("rule"))]}}
    if (b := of("aws_s3_bucket_public_access_block")):
        out["get_public_access_block"] = {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": b[0].get("block_public_acls"), "IgnorePublicAcls": b[0].get("ignore_public_acls"),
            "BlockPublicPolicy": b[0].get("block_public_policy"),
            "RestrictPublicBuckets": b[0].get("restrict_public_buckets")}}
    if (lc := of("aws_s3_bucket_lifecycle_configuration")):
        rules = []
        for r in _blocks(lc[0].get("rule")):
            rule: dict[str, Any] = {"ID": r.get("id"), "Status": r.get("status"),
                                    "Filter": {k: v for k, v in _first(r.get("filter")).items() if v}}
            if r.get("prefix"):
                rule["Prefix"] = r["prefix"]
            if (nve := _first(r.get("noncurrent_version_expiration"))):
                rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("noncurrent_days")}
            if _first(r.get("expiration")):
                rule["Expiration"] = _first(r.get("expiration"))
            rules.append(rule)
        out["get_bucket_lifecycle_configuration"] = {"Rules": rules}
    if (lg := of("aws_s3_bucket_logging")):
        out["get_bucket_logging"] = {"LoggingEnabled": {"TargetBucket": lg[0].get("target_bucket"),
                                                        "TargetPrefix": lg[0].get("target_prefix")}}
    if (rp := of("aws_s3_bucket_replication_configuration")):
        out["get_bucket_replication"] = {"ReplicationConfiguration": {"Role": rp[0].get("role"), "Rules": [
            {"ID": r.get("id"), "Status": r.get("status"),
             "Destination": {"Bucket": _first(r.get("destination")).get("bucket")}}
            for r in _blocks(rp[0].get("rule"))]}}
    tags = _tags(bucket.values)
    if isinstance(tags, dict) and tags:
        out["get_bucket_tagging"] = {"TagSet": [{"Key": k, "Value": x} for k, x in tags.items()]}
    out["list_objects_v2"] = [{"Key": o.get("key"), "ETag": f'"{o.get("etag")}"'} for o in of("aws_s3_object")]
    out["head_bucket"] = {"BucketRegion": bucket.region}
    return out


def _buckets(plan: Plan, desired: Desired, put: Any) -> None:
    """Every S3 answer observe() asks about the contracted buckets, their log buckets and DR buckets."""
    planned = {(b.region, b.values.get("bucket")): b for b in plan.of_type("aws_s3_bucket")}
    asked: list[tuple[str, str, tuple[str, ...]]] = []
    for b in desired.buckets:
        asked.append((b.region, b.name, (*_S3_NOT_CONFIGURED, "list_objects_v2")))
        if b.logging_bucket:
            asked.append((b.region, b.logging_bucket, ("head_bucket",)))
        if b.replication:
            asked.append((b.replication.region, b.replication.bucket, ("head_bucket", "get_bucket_versioning")))
    for region, name, operations in asked:
        found = planned.get((region, name))
        answers = _bucket_answers(plan, found) if found else {}
        for op in operations:
            if found is None:
                put(op, region, name, missing=True, code="NoSuchBucket")
            elif op in answers:
                put(op, region, name, answers[op])
            elif _S3_NOT_CONFIGURED.get(op):
                put(op, region, name, missing=True, code=str(_S3_NOT_CONFIGURED[op]))
            else:
                put(op, region, name, {})
