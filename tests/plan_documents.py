"""Terraform JSON plans (``terraform show -json``) of the stack per environment, built for the tests.

No provider can be downloaded on these machines, so no real plan can be made here. These documents
follow the documented JSON output format as Terraform 1.x writes it (format_version 1.2, checked
against hashicorp/terraform's internal/command/jsonplan and jsonconfig and the plans kept under
tests/fixtures/plans/terraform-json): planned_values with child_modules and for_each/count instance
keys; nested blocks as lists of objects in values, after, after_unknown, sensitive_values and
configuration expressions; after_unknown/after_sensitive with the value's nesting (objects omit false,
lists hold one mark per element); prior_state of a deployed account; configuration with the root's
provider_config (region and allowed_account_ids from variables), module_calls with their
count/for_each expressions and resources whose provider_config_key is the root key Terraform
resolves a passed provider to ("aws.dr"); every root variable. The values are what
terraform/modules/* would plan from the environment's contract.tfvars.json. ``create=True`` is
the first plan of an empty account (ARNs and ids unknown until apply); ``create=False`` re-plans a
deployed account (everything known, no-op). :func:`set_actions` turns a resource's change into an
update, a replace or a delete.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
Resource = dict[str, Any]


def tfvars(env: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "terraform" / "environments" / env / "contract.tfvars.json").read_text()))


class PlanBuilder:
    """Collects resources per module instance and renders the three sections of a plan."""

    def __init__(self, variables: dict[str, Any], *, create: bool) -> None:
        self.variables = variables  # every root variable, as terraform show -json lists them
        self.create = create
        self.modules: dict[str, list[Resource]] = {}
        self.unknown: dict[str, dict[str, Any]] = {}
        self.providers: dict[str, str] = {}  # config address -> provider_config_key
        self.expressions: dict[str, dict[str, Any]] = {}  # config address -> expressions

    def add(self, module: str, rtype: str, name: str, values: dict[str, Any], *, key: str | int | None = None,
            computed: dict[str, Any] | None = None, provider: str = "aws",
            references: dict[str, list[str]] | None = None) -> str:
        """One resource instance; computed values are known on a re-plan, unknown on a create."""
        index = "" if key is None else (f'["{key}"]' if isinstance(key, str) else f"[{key}]")
        address = f"{module + '.' if module else ''}{rtype}.{name}{index}"
        values = copy.deepcopy(values)  # every resource owns its values: tests edit them in place
        unknown: dict[str, Any] = {}
        for attr, value in copy.deepcopy(computed or {}).items():
            if self.create:
                unknown[attr] = [True] * len(value) if isinstance(value, list) else True
            else:
                values[attr] = value
        resource = {"address": address, "mode": "managed", "type": rtype, "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                    "values": values}
        if key is not None:
            resource["index"] = key
        self.modules.setdefault(module, []).append(resource)
        self.unknown[address] = unknown
        config = f"{_strip(module) + '.' if module else ''}{rtype}.{name}"
        self.providers[config] = provider
        self.expressions[config] = _expressions(values, references or {})
        return address

    def document(self) -> dict[str, Any]:
        planned = self._planned("")
        changes = []
        for m, rs in self.modules.items():
            for r in rs:
                r["sensitive_values"] = _marks(r["values"])
                changes.append({
                    "address": r["address"], **({"module_address": m} if m else {}), "mode": "managed",
                    "type": r["type"], "name": r["name"], **({"index": r["index"]} if "index" in r else {}),
                    "provider_name": r["provider_name"],
                    "change": {"actions": ["create"] if self.create else ["no-op"],
                               "before": None if self.create else copy.deepcopy(r["values"]), "after": r["values"],
                               "after_unknown": _merge(_marks(r["values"]), self.unknown[r["address"]]),
                               "before_sensitive": False if self.create else _marks(r["values"]),
                               "after_sensitive": _marks(r["values"])}})
        doc: dict[str, Any] = {
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "variables": {k: {"value": v} for k, v in self.variables.items()},
            "planned_values": {"root_module": planned},
            "resource_changes": changes,
            "configuration": {
                "provider_config": {
                    "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                            "version_constraint": "~> 6.9",
                            "expressions": {"region": {"references": ["var.region"]},
                                            "allowed_account_ids": {"references": ["var.account"]}}},
                    "aws.dr": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "alias": "dr",
                               "version_constraint": "~> 6.9",
                               "expressions": {"region": {"references": ["var.dr_region", "var.region"]},
                                               "allowed_account_ids": {"references": ["var.account"]}}},
                },
                "root_module": self._configured(""),
            },
            "relevant_attributes": [],
            "timestamp": "2026-11-30T09:00:00Z",
            "applyable": True,
            "complete": True,
            "errored": False,
        }
        if not self.create:
            doc["prior_state"] = {"format_version": "1.0", "terraform_version": "1.11.4",
                                  "values": {"root_module": copy.deepcopy(planned)}}
        return doc

    def _planned(self, module: str) -> dict[str, Any]:
        out: dict[str, Any] = {"resources": self.modules.get(module, [])}
        children = sorted({m for m in self.modules if _parent(m) == module and m != module})
        if children:
            out["child_modules"] = [{"address": c, **self._planned(c)} for c in children]
        if module:
            out["address"] = module
        return out

    def _configured(self, prefix: str) -> dict[str, Any]:
        resources = [{"address": a[len(prefix):], "mode": "managed", "type": a[len(prefix):].split(".")[0],
                      "name": a[len(prefix):].split(".")[1], "provider_config_key": p,
                      "expressions": self.expressions[a], "schema_version": 0}
                     for a, p in self.providers.items() if a.startswith(prefix) and
                     not a[len(prefix):].startswith("module.")]
        calls: dict[str, Any] = {}
        for a in self.providers:
            rest = a[len(prefix):]
            if a.startswith(prefix) and rest.startswith("module."):
                name = rest.split(".")[1]
                calls[name] = {"source": f"../modules/{_MODULE_SOURCES.get(name, name)}",
                               **_MODULE_REPEAT.get(name, {}),
                               "module": self._configured(f"{prefix}module.{name}.")}
        return {"resources": resources, **({"module_calls": calls} if calls else {})}


# How the stack calls its modules (terraform/stack/main.tf)
_MODULE_SOURCES = {"kms_dr": "kms", "access_logs": "s3_bucket", "buckets_dr": "s3_bucket", "buckets": "s3_bucket",
                   "tables": "dynamodb_table"}
_MODULE_REPEAT = {
    "kms": {"count_expression": {"references": ["local.customer_managed_key"]}},
    "kms_dr": {"count_expression": {"references": ["local.dr_key_regions"]}},
    "tables": {"for_each_expression": {"references": ["var.tables"]}},
    "access_logs": {"for_each_expression": {"references": ["var.buckets"]}},
    "buckets_dr": {"for_each_expression": {"references": ["var.buckets"]}},
    "buckets": {"for_each_expression": {"references": ["var.buckets"]}},
}


def _marks(value: Any) -> Any:
    """after_unknown/sensitive_values of a value with nothing marked, as Terraform writes them: an
    object keeps only its non-false marks, a list holds one mark per element, a leaf is false."""
    if isinstance(value, dict):
        return {k: m for k, v in value.items() if (m := _marks(v)) is not False}
    if isinstance(value, list):
        return [_marks(v) for v in value]
    return False


def _merge(marks: Any, unknown: Any) -> Any:
    """The value's marks with the unknown ones (true, or nested objects/lists of them) laid over."""
    if isinstance(unknown, dict):
        base = dict(marks) if isinstance(marks, dict) else {}
        return {**base, **{k: _merge(base.get(k), u) for k, u in unknown.items()}}
    if isinstance(unknown, list):
        base = list(marks) if isinstance(marks, list) else []
        return [_merge(base[i] if i < len(base) else False, u) for i, u in enumerate(unknown)] + base[len(unknown):]
    return unknown if unknown is True else marks


def _expressions(values: dict[str, Any], references: dict[str, list[str]]) -> dict[str, Any]:
    """Configuration expressions: references where given, nested blocks as lists of objects, constants."""
    out: dict[str, Any] = {k: {"references": r} for k, r in references.items()}
    for k, v in values.items():
        if k in references:
            out[k] = {"references": references[k]}
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out[k] = [_expressions(x, {}) for x in v]
        elif v is not None:
            out[k] = {"constant_value": v}
    return out


def set_actions(doc: dict[str, Any], address: str, actions: list[str], *, reason: str | None = None) -> None:
    """Make one resource's change an update (["update"]), a replace (["delete","create"] or
    ["create","delete"]) or a delete (["delete"]), as Terraform writes each: a replaced resource is
    a new one (its arn unknown until apply), a deleted one leaves planned_values."""
    [change] = [c for c in doc["resource_changes"] if c["address"] == address]
    c = change["change"]
    c["actions"] = actions
    if c["before"] is None:
        c["before"] = copy.deepcopy(c["after"])
        c["before_sensitive"] = _marks(c["before"])
    if reason:
        change["action_reason"] = reason
    if actions == ["delete"]:
        c["after"], c["after_unknown"], c["after_sensitive"] = None, False, False
        drop(doc, address, destroy=True)
    elif "delete" in actions:
        c["after_unknown"] = _merge(c["after_unknown"], {"arn": True, "id": True})
        c["replace_paths"] = [["name"]] if "name" in c["after"] else []


def _strip(module: str) -> str:
    import re

    return re.sub(r'\[(?:"[^"]*"|\d+)\]', "", module)


def _parent(module: str) -> str:
    parts = module.rsplit(".module.", 1)
    return parts[0] if len(parts) == 2 else ""


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def plan_document(env: str, *, create: bool = False, edit: Callable[[dict[str, Any]], None] | None = None
                  ) -> dict[str, Any]:
    """The plan of terraform/stack with the environment's var file, as terraform show -json would print it.

    ``edit`` may change the tfvars first (a miswired or drifted configuration)."""
    v = copy.deepcopy(tfvars(env))
    if edit:
        edit(v)
    b = PlanBuilder(dict(v), create=create)
    account, region, dr = v["account"], v["region"], v["dr_region"]
    cmk = v["encryption"]["kind"] == "customer-managed"
    key_arn = dr_key_arn = None
    if cmk:
        for module, where, provider in (("module.kms[0]", region, "aws"), ("module.kms_dr[0]", dr, "aws.dr")):
            key_id = f"{'1' if where == region else '2'}234abcd-0000-4000-8000-000000000000"
            arn = _arn("kms", where, account, f"key/{key_id}")
            b.add(module, "aws_kms_key", "this", {"enable_key_rotation": v["encryption"]["rotation"],
                                                  "is_enabled": True, "tags": v["tags"]},
                  computed={"arn": arn, "key_id": arn.rsplit("/", 1)[1], "tags_all": v["tags"]}, provider=provider)
            b.add(module, "aws_kms_alias", "this", {"name": v["encryption"]["key_alias"]},
                  computed={"target_key_id": arn.rsplit("/", 1)[1]}, provider=provider,
                  references={"target_key_id": ["aws_kms_key.this.key_id", "aws_kms_key.this"]})
            if where == region:
                key_arn = arn
            else:
                dr_key_arn = arn
    table_arns = {}
    for logical, t in v["tables"].items():
        arn = _arn("dynamodb", region, account, f"table/{t['name']}")
        table_arns[logical] = arn
        sse_key = key_arn or _arn("kms", region, account, "key/aws-managed-dynamodb")
        b.add(f'module.tables["{logical}"]', "aws_dynamodb_table", "this", {
            "name": t["name"], "billing_mode": t["billing_mode"], "hash_key": t["hash_key"],
            "range_key": t["range_key"], "deletion_protection_enabled": t["deletion_protection"],
            "stream_enabled": t["stream_view_type"] is not None, "stream_view_type": t["stream_view_type"],
            "attribute": [{"name": a["name"], "type": a["type"]} for a in t["attributes"]],
            "global_secondary_index": [
                {"name": g["name"], "hash_key": g["hash_key"], "range_key": g["range_key"],
                 "projection_type": g["projection_type"],
                 "non_key_attributes": g["non_key_attributes"] if g["projection_type"] == "INCLUDE" else None,
                 "read_capacity": 0, "write_capacity": 0} for g in t["gsis"]],
            "local_secondary_index": [],
            "point_in_time_recovery": [{"enabled": t["pitr"]["enabled"],
                                        "recovery_period_in_days": t["pitr"]["recovery_period_days"]
                                        if t["pitr"]["enabled"] else None}],
            "server_side_encryption": [{"enabled": True, **({} if create else {"kms_key_arn": sse_key})}],
            "ttl": [{"enabled": t["ttl"]["enabled"], "attribute_name": t["ttl"]["attribute_name"] or ""}],
            # AWS does not copy deletion protection to a replica: the module sets it on each one
            # (replica.deletion_protection_enabled, AWS provider >= 6.9, ADR 0064)
            "replica": [{"region_name": r, "point_in_time_recovery": t["pitr"]["enabled"],
                         "deletion_protection_enabled": t["deletion_protection"], "propagate_tags": True,
                         "arn": None if create else _arn("dynamodb", r, account, f"table/{t['name']}"),
                         "stream_arn": None, "stream_label": None,
                         **({"kms_key_arn": dr_key_arn} if dr_key_arn and not create else {})}
                        for r in t["replica_regions"]],
            "tags": v["tags"],
        }, computed={"arn": arn, "stream_arn": f"{arn}/stream/2026-11-01T00:00:00.000",
                     "tags_all": v["tags"]})
        if create:  # the SSE key of a table is unknown until the key exists (prod) or AWS picks it (dev, sit)
            b.unknown[f'module.tables["{logical}"].aws_dynamodb_table.this']["server_side_encryption"] = [
                {"kms_key_arn": True}]
            if t["replica_regions"]:
                b.unknown[f'module.tables["{logical}"].aws_dynamodb_table.this']["replica"] = [
                    {"kms_key_arn": True} for _ in t["replica_regions"]]
    bk = v.get("backup")
    if bk:
        _backup(b, v, table_arns, key_arn, dr_key_arn)
    _monitoring(b, v)
    for logical, bucket in (v.get("buckets") or {}).items():
        _buckets(b, v, logical, bucket)
    return b.document()


def _backup(b: PlanBuilder, v: dict[str, Any], table_arns: dict[str, str], key_arn: str | None,
            dr_key_arn: str | None) -> None:
    create, account, region, bk = b.create, v["account"], v["region"], v["backup"]
    vault_arn = _arn("backup", region, account, f"backup-vault:{bk['vault']}")
    b.add("module.backup", "aws_backup_vault", "this", {"name": bk["vault"], "tags": v["tags"],
                                                        **({"kms_key_arn": key_arn} if key_arn and not create else {})},
          computed={"arn": vault_arn, "tags_all": v["tags"], **({} if key_arn else {
              "kms_key_arn": _arn("kms", region, account, "key/aws-managed-backup")})})
    copy_arn = None
    if bk["copy"]:
        copy_arn = _arn("backup", bk["copy"]["region"], account, f"backup-vault:{bk['copy']['vault']}")
        b.add("module.backup", "aws_backup_vault", "dr", {"name": bk["copy"]["vault"], "tags": v["tags"],
                                                          **({"kms_key_arn": dr_key_arn} if not create else {})},
              key=0, provider="aws.dr", computed={"arn": copy_arn, "tags_all": v["tags"]})
        if create and dr_key_arn:
            b.unknown["module.backup.aws_backup_vault.dr[0]"]["kms_key_arn"] = True
    if create and key_arn:
        b.unknown["module.backup.aws_backup_vault.this"]["kms_key_arn"] = True
    plan_id = "0f1e2d3c-4b5a-4968-8776-000000000001"
    b.add("module.backup", "aws_backup_plan", "this", {
        "name": bk["plan"], "tags": v["tags"],
        "rule": [{"rule_name": bk["rule"], "target_vault_name": bk["vault"], "schedule": bk["schedule"],
                  "lifecycle": [{"delete_after": bk["retention_days"], "cold_storage_after": None}],
                  "copy_action": [{"lifecycle": [{"delete_after": bk["copy"]["retention_days"]}],
                                   **({"destination_vault_arn": copy_arn} if not create else {})}]
                  if bk["copy"] else []}]}, computed={"id": plan_id, "tags_all": v["tags"], "arn": _arn(
                      "backup", region, account, f"backup-plan:{plan_id}")})
    if create and bk["copy"]:
        b.unknown["module.backup.aws_backup_plan.this"]["rule"] = [{"copy_action": [{"destination_vault_arn": True}]}]
    b.add("module.backup", "aws_iam_role", "this", {"name": bk["iam_role"]},
          computed={"arn": f"arn:aws:iam::{account}:role/{bk['iam_role']}"})
    selected = [table_arns[t] for t in bk["selection"]["tables"] if t in table_arns]
    b.add("module.backup", "aws_backup_selection", "this", {"name": bk["selection"]["name"], "not_resources": [],
                                                            "selection_tag": [], "condition": []},
          computed={"plan_id": plan_id, "iam_role_arn": f"arn:aws:iam::{account}:role/{bk['iam_role']}",
                    "resources": selected},
          references={"plan_id": ["aws_backup_plan.this.id", "aws_backup_plan.this"],
                      "resources": ["var.table_arns"]})


def _monitoring(b: PlanBuilder, v: dict[str, Any]) -> None:
    create, account, region, mon = b.create, v["account"], v["region"], v["monitoring"]
    topic_arns = {}
    for k, name in mon["topics"].items():
        arn = _arn("sns", region, account, name)
        topic_arns[name] = arn
        b.add("module.monitoring", "aws_sns_topic", "this", {"name": name, "tags": v["tags"]}, key=k,
              computed={"arn": arn, "tags_all": v["tags"]})
    for a in mon["alarms"]:
        values: dict[str, Any] = {
            "alarm_name": a["name"], "alarm_description": a["description"],
            "comparison_operator": a["comparison_operator"], "threshold": a["threshold"],
            "evaluation_periods": a["evaluation_periods"], "treat_missing_data": a["treat_missing_data"],
            "namespace": a["namespace"], "metric_name": a["metric_name"], "dimensions": a["dimensions"],
            "statistic": a["statistic"], "period": a["period"], "actions_enabled": True,
            "extended_statistic": None, "tags": v["tags"], "ok_actions": [], "insufficient_data_actions": [],
            "datapoints_to_alarm": None, "unit": None, "threshold_metric_id": None,
            "evaluate_low_sample_count_percentiles": None,
            "metric_query": [{"id": q["id"], "expression": q["expression"], "label": q["label"],
                              "return_data": q["return_data"], "period": None, "account_id": None,
                              "metric": [] if q["metric"] is None else [{
                                  "namespace": q["metric"]["namespace"], "metric_name": q["metric"]["metric_name"],
                                  "dimensions": q["metric"]["dimensions"], "period": q["metric"]["period"],
                                  "stat": q["metric"]["stat"], "unit": None}]}
                             for q in a["metric_queries"]],
        }
        b.add("module.monitoring", "aws_cloudwatch_metric_alarm", "this", values, key=a["name"],
              computed={"alarm_actions": [topic_arns[a["topic"]]], "tags_all": v["tags"],
                        "arn": _arn("cloudwatch", region, account, f"alarm:{a['name']}")},
              references={"alarm_actions": ["local.topic_arns", "each.value.topic", "each.value"]})
    b.add("module.monitoring", "aws_cloudwatch_dashboard", "this", {
        "dashboard_name": mon["dashboard"]["name"], "dashboard_body": mon["dashboard"]["body"]},
        computed={"dashboard_arn": f"arn:aws:cloudwatch::{account}:dashboard/{mon['dashboard']['name']}"})
    ca = mon["cost_anomaly"]
    monitor_arn = f"arn:aws:ce::{account}:anomalymonitor/5c1e0000-0000-4000-8000-000000000001"
    b.add("module.monitoring", "aws_ce_anomaly_monitor", "this", {
        "name": ca["monitor"], "monitor_type": ca["monitor_type"], "monitor_dimension": ca["monitor_dimension"]},
        computed={"arn": monitor_arn})
    b.add("module.monitoring", "aws_ce_anomaly_subscription", "this", {
        "name": ca["monitor"], "frequency": ca["frequency"],
        "subscriber": [{"type": "SNS", **({} if create else {"address": topic_arns[ca["topic"]]})}],
        "threshold_expression": [{"dimension": [{"key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
                                                 "match_options": ["GREATER_THAN_OR_EQUAL"],
                                                 "values": [str(ca["threshold_percent"]).removesuffix(".0")]}],
                                  "and": [], "or": [], "not": [], "cost_category": [], "tags": []}]},
        computed={"monitor_arn_list": [monitor_arn], "arn": f"arn:aws:ce::{account}:anomalysubscription/1",
},
        references={"monitor_arn_list": ["aws_ce_anomaly_monitor.this.arn", "aws_ce_anomaly_monitor.this"],
                    "subscriber": ["local.topic_arns", "var.monitoring.cost_anomaly.topic"]})
    if create:
        b.unknown["module.monitoring.aws_ce_anomaly_subscription.this"]["subscriber"] = [{"address": True}]


def _s3_bucket(b: PlanBuilder, module: str, name: str, tags: dict[str, str], *, versioning: bool,
               noncurrent_days: int, provider: str = "aws", log_delivery: dict[str, str] | None = None) -> None:
    """aws_s3_bucket and the configuration resources the s3_bucket module gives every bucket (with
    log_delivery, the policy letting S3 server access logging write into it)."""
    ref = {"bucket": ["aws_s3_bucket.this.id", "aws_s3_bucket.this"]}
    b.add(module, "aws_s3_bucket", "this", {"bucket": name, "tags": tags, "force_destroy": False,
                                            "object_lock_enabled": False},
          computed={"id": name, "arn": f"arn:aws:s3:::{name}", "tags_all": tags}, provider=provider)
    if log_delivery:
        b.add(module, "aws_s3_bucket_policy", "this", {}, key=0, provider=provider, computed={
            "bucket": name, "policy": log_delivery_policy(name, log_delivery["prefix"], log_delivery["source"],
                                                          log_delivery["account"])},
            references={**ref, "policy": ["data.aws_iam_policy_document.log_delivery[0].json",
                                          "data.aws_iam_policy_document.log_delivery[0]"]})
    b.add(module, "aws_s3_bucket_versioning", "this", {"versioning_configuration": [
        {"status": "Enabled" if versioning else "Suspended", "mfa_delete": None}]},
        computed={"bucket": name}, provider=provider, references=ref)
    b.add(module, "aws_s3_bucket_server_side_encryption_configuration", "this", {"rule": [
        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": None}],
         "bucket_key_enabled": None}]}, computed={"bucket": name}, provider=provider, references=ref)
    b.add(module, "aws_s3_bucket_public_access_block", "this", {
        "block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True,
        "restrict_public_buckets": True}, computed={"bucket": name}, provider=provider, references=ref)
    b.add(module, "aws_s3_bucket_lifecycle_configuration", "this", {"rule": [
        {"id": "noncurrent-versions", "status": "Enabled", "prefix": "", "expiration": [], "transition": [],
         "noncurrent_version_transition": [], "filter": [{"prefix": "", "object_size_greater_than": None,
                                                          "object_size_less_than": None, "tag": [], "and": []}],
         "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_days, "newer_noncurrent_versions": None}],
         "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}]}]},
        computed={"bucket": name}, provider=provider, references=ref)


def log_delivery_policy(bucket: str, prefix: str, source: str, account: str) -> str:
    """data.aws_iam_policy_document.log_delivery's json as the s3_bucket module renders it (the provider writes
    the document with Version first and one condition per operator)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "S3ServerAccessLogs", "Effect": "Allow", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}*", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"}}}]}, indent=2)


def _buckets(b: PlanBuilder, v: dict[str, Any], logical: str, bucket: dict[str, Any]) -> None:
    """The access-log bucket, the DR bucket (prod) and the template bucket with its objects (main.tf)."""
    days, tags = bucket["noncurrent_version_expiration_days"], bucket["tags"]
    logs = bucket.get("logging")
    if logs:
        _s3_bucket(b, f'module.access_logs["{logical}"]', logs["bucket"], tags, versioning=True,
                   noncurrent_days=days, log_delivery={"prefix": logs["prefix"], "source": bucket["name"],
                                                       "account": v["account"]})
    replica = bucket.get("replication")
    if replica:
        _s3_bucket(b, f'module.buckets_dr["{logical}"]', replica["bucket"], tags, versioning=True,
                   noncurrent_days=days, provider="aws.dr")
    module = f'module.buckets["{logical}"]'
    _s3_bucket(b, module, bucket["name"], tags, versioning=bucket["versioning"], noncurrent_days=days)
    ref = {"bucket": ["aws_s3_bucket.this.id", "aws_s3_bucket.this"]}
    if logs:
        b.add(module, "aws_s3_bucket_logging", "this", {"target_prefix": logs["prefix"]}, key=0,
              computed={"bucket": bucket["name"], "target_bucket": logs["bucket"]}, references=ref)
    if replica:
        role_arn = f"arn:aws:iam::{v['account']}:role/{replica['role']}"
        b.add(module, "aws_iam_role", "this", {"name": replica["role"]}, key=0, computed={"arn": role_arn})
        b.add(module, "aws_s3_bucket_replication_configuration", "this", {"rule": [
            {"id": "dr", "status": "Enabled", "priority": 1, "filter": [{}],
             "delete_marker_replication": [{"status": "Enabled"}],
             "destination": [{**({} if b.create else {"bucket": f"arn:aws:s3:::{replica['bucket']}"})}]}]},
            key=0, computed={"bucket": bucket["name"], "role": role_arn}, references=ref)
        if b.create:
            b.unknown[f"{module}.aws_s3_bucket_replication_configuration.this[0]"]["rule"] = [
                {"destination": [{"bucket": True}]}]
    import hashlib

    for key, obj in sorted(bucket["objects"].items()):
        etag = hashlib.md5((ROOT / obj["source"]).read_bytes(), usedforsecurity=False).hexdigest()
        b.add(module, "aws_s3_object", "this", {"key": key, "etag": etag, "content_type": obj["content_type"],
                                                "server_side_encryption": "AES256", "source": obj["source"]},
              key=key, computed={"bucket": bucket["name"], "version_id": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"},
              references=ref)


def planned(doc: dict[str, Any], address: str) -> dict[str, Any]:
    """The planned values of one resource instance, to edit in place."""
    def walk(module: dict[str, Any]) -> Any:
        for r in module.get("resources", []):
            if r["address"] == address:
                return r["values"]
        for child in module.get("child_modules", []):
            if (found := walk(child)) is not None:
                return found
        return None

    found = walk(doc["planned_values"]["root_module"])
    assert found is not None, f"no {address} in the plan"
    return found  # type: ignore[no-any-return]


def drop(doc: dict[str, Any], address: str, *, destroy: bool = False) -> None:
    """Take one resource instance out of the planned values: destroy, the plan deletes it (it stays in
    prior_state); otherwise it was never configured nor deployed (out of prior_state and the changes)."""
    def walk(module: dict[str, Any]) -> None:
        module["resources"] = [r for r in module.get("resources", []) if r["address"] != address]
        for child in module.get("child_modules", []):
            walk(child)

    walk(doc["planned_values"]["root_module"])
    if not destroy and "prior_state" in doc:
        walk(doc["prior_state"]["values"]["root_module"])
    for change in doc["resource_changes"]:
        if change["address"] == address:
            c = change["change"]
            if destroy:
                c["actions"] = ["delete"]
                c["before"] = c["before"] if c["before"] is not None else copy.deepcopy(c["after"])
                c["after"], c["after_unknown"], c["after_sensitive"] = None, False, False
    if not destroy:
        doc["resource_changes"] = [c for c in doc["resource_changes"] if c["address"] != address]


def write(tmp: Path, doc: dict[str, Any], name: str = "plan.json") -> str:
    path = tmp / name
    path.write_text(json.dumps(doc, indent=1))
    return str(path)


PLAN_CANNOT_SHOW = {
    "table.lookalikes": "a Terraform plan shows only its own tables",  # ListTables is the account's
    "backup.jobs": "a Terraform plan has no backup jobs",  # AWS Backup runs them after apply
    "alarm.state": "answered no StateValue",  # only a running alarm has a state
    "topic.subscribed": "a plan cannot show whether anyone receives",  # subscribers live outside it (ADR 0050)
    "bucket.inventory": "a Terraform plan shows only its own buckets",  # ListBuckets is the account's
    # the item checks run on a deployed account only (ADR 0060)
    **dict.fromkeys(("items.schema", "items.index_keys", "items.sparse_index"), "a Terraform plan holds no items"),
}
"""The checks a plan can never show, with the reason their UNVERIFIABLE gives; the drills do not run on a
document either ("not run: a Terraform plan is a document", ADR 0053)."""
