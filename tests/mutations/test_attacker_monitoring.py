"""Attacker-side mutants for monitoring and the template buckets: the account changed as an operator or an
attacker could, by adding or moving things rather than flipping the one property a check reads.

A decoy query that keeps the contract's metric in an alarm while another query drives it, a second action to
another account's topic, a topic whose only subscriber never confirmed, a dashboard widget moved to another
region, a cost alert with an extra term that can never be met, a lifecycle rule for one prefix that deletes
sooner, a public statement in a bucket policy, a leftover bucket named like the contract's... Each must read
BLOCKED with a FAIL of the named check on the attacked resource (tests/mutations/attacker.py). Changes are made
on the moto account with write clients; the few snapshot edits say in their docstring why moto cannot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from attacker import Attack, assert_blocked, judge
from test_checks import (
    BUCKET_SIT,
    DASH_SIT,
    answer_value,
    as_decoy,
    reput_alarm,
    set_answer,
    with_cost_alert,
    with_subscribers,
)

from readiness.contract.desired import Desired, desired_state
from readiness.contract.model import Contract
from readiness.observation.live import Snapshot
from readiness.targets.base import Target

LOG_SIT = "bbws-access-logs-sit"
FOREIGN_TOPIC = "arn:aws:sns:eu-west-1:999999999999:bbws-dynamodb-alerts-sit"
COST_SIT = "bbws-dynamodb-sit-cost-monitor"


def _name(value: str) -> Callable[[Desired], str]:
    return lambda _: value


# ------------------------------------------------------------------------------------------- alarms


def _cw(t: Target, d: Desired) -> Any:
    return t.client("cloudwatch", d.env.region, write=True)


def _describe(t: Target, d: Desired, name: str) -> dict[str, Any]:
    return dict(_cw(t, d).describe_alarms(AlarmNames=[name])["MetricAlarms"][0])


def _rewrite_metric_math(t: Target, d: Desired, name: str, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    """Put a metric-math alarm again with its queries edited (everything else as it is)."""
    alarm = _describe(t, d, name)
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
            "InsufficientDataActions", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")
    queries = [{k: v for k, v in q.items() if k in ("Id", "Expression", "MetricStat", "ReturnData", "Label")}
               for q in alarm["Metrics"]]
    edit(queries)
    _cw(t, d).put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm}, Metrics=queries)


def _decoy_times_zero(t: Target, d: Desired) -> None:
    as_decoy(t, d, "bbws-dynamodb-sit-user-errors", "m1 * 0")


def _decoy_other_metric(t: Target, d: Desired) -> None:
    """The contract's metric stays as m1 (returns no data); a second metric, m2, is what the alarm evaluates."""
    alarm = _describe(t, d, "tenants-sit-read-throttles")
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "EvaluationPeriods", "Threshold",
            "ComparisonOperator", "TreatMissingData")
    dims = alarm["Dimensions"]
    _cw(t, d).put_metric_alarm(**{k: alarm[k] for k in keep}, Metrics=[
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {
            "Namespace": "AWS/DynamoDB", "MetricName": "ReadThrottleEvents", "Dimensions": dims},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "m2", "ReturnData": True, "MetricStat": {"Metric": {
            "Namespace": "AWS/DynamoDB", "MetricName": "ConditionalCheckFailedRequests", "Dimensions": dims},
            "Period": 60, "Stat": "Sum"}}])


def _sum_wrapped(t: Target, d: Desired) -> None:
    """SUM(METRICS()) still there, no longer returning data; the alarm evaluates total * 0."""
    def edit(queries: list[dict[str, Any]]) -> None:
        for q in queries:
            q["ReturnData"] = False
        queries.append({"Id": "muted", "Expression": "total * 0", "ReturnData": True})
    _rewrite_metric_math(t, d, "orders-sit-system-errors", edit)


def _operation_dropped(t: Target, d: Desired) -> None:
    """DeleteItem's SystemErrors no longer summed (its query removed)."""
    def edit(queries: list[dict[str, Any]]) -> None:
        queries[:] = [q for q in queries if not any(
            x["Value"] == "DeleteItem" for x in q.get("MetricStat", {}).get("Metric", {}).get("Dimensions", []))]
    _rewrite_metric_math(t, d, "users-sit-system-errors", edit)


def _average(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "campaigns-sit-write-throttles", Statistic="Average")


def _five_minutes(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "bbws-dynamodb-sit-backup-failures", Period=3600)


def _three_of_three(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "products-sit-read-throttles", EvaluationPeriods=3, DatapointsToAlarm=3)


def _missing_data_ignored(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "orders-sit-write-throttles", TreatMissingData="ignore")


def _seconds_not_milliseconds(t: Target, d: Desired) -> None:
    """ReplicationLatency is published in Milliseconds: an alarm filtered to Seconds never sees a data point."""
    reput_alarm(t, d, "tenants-prod-replication-lag-eu-west-1", Unit="Seconds")


def _second_action_elsewhere(t: Target, d: Desired) -> None:
    alarm = _describe(t, d, "tenants-sit-write-throttles")
    reput_alarm(t, d, "tenants-sit-write-throttles", AlarmActions=[*alarm["AlarmActions"], FOREIGN_TOPIC])


def _insufficient_data_to_lambda(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "bbws-dynamodb-sit-user-errors",
                InsufficientDataActions=["arn:aws:lambda:eu-west-1:815856636111:function:silence-alarms"])


def _actions_disabled(t: Target, d: Desired) -> None:
    reput_alarm(t, d, "campaigns-sit-system-errors", ActionsEnabled=False)


def _firing(t: Target, d: Desired) -> None:
    _cw(t, d).set_alarm_state(AlarmName="products-sit-write-throttles", StateValue="ALARM",
                              StateReason="Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (0.0).")


def _alarm_tagged_prod(t: Target, d: Desired) -> None:
    arn = _describe(t, d, "users-sit-read-throttles")["AlarmArn"]
    _cw(t, d).tag_resource(ResourceARN=arn, Tags=[{"Key": "Environment", "Value": "prod"}])


def _prod_lag_other_region(t: Target, d: Desired) -> None:
    """PROD's replication-lag alarm watches the receiving region us-east-1, where there is no replica."""
    alarm = _describe(t, d, "orders-prod-replication-lag-eu-west-1")
    dims = [{"Name": x["Name"], "Value": "us-east-1" if x["Name"] == "ReceivingRegion" else x["Value"]}
            for x in alarm["Dimensions"]]
    reput_alarm(t, d, "orders-prod-replication-lag-eu-west-1", Dimensions=dims)


# ------------------------------------------------------------------------------------------- topics


def _pending_only(s: Snapshot, d: Desired) -> None:
    """Snapshot edit: moto confirms every subscription the moment it is made, so it cannot show one still
    PendingConfirmation; the other topic answers what a live account does (a confirmed subscriber)."""
    with_subscribers(s, d, pending=(d.env.monitoring.finops_topic,))


def _topic_retagged(t: Target, d: Desired) -> None:
    sns = t.client("sns", d.env.region, write=True)
    arn = next(x["TopicArn"] for x in sns.list_topics()["Topics"]
               if x["TopicArn"].endswith(f":{d.env.monitoring.devops_topic}"))
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "Owner", "Value": "nobody"}])


# ---------------------------------------------------------------------------------------- dashboard


def _edit_dashboard(t: Target, d: Desired, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    cw = _cw(t, d)
    name = d.env.monitoring.dashboard
    body = json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])
    edit(body["widgets"])
    cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))


def _titled(widgets: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return next(w for w in widgets if w["properties"]["title"] == title)


def _widget_to_virginia(t: Target, d: Desired) -> None:
    _edit_dashboard(t, d, lambda ws: _titled(ws, "Consumed capacity units")["properties"].update(region="us-east-1"))


def _wrong_table_dimension(t: Target, d: Desired) -> None:
    def edit(ws: list[dict[str, Any]]) -> None:
        for row in _titled(ws, "System errors")["properties"]["metrics"]:
            if "orders-sit" in row:
                row[row.index("orders-sit")] = "orders-sit-old"
    _edit_dashboard(t, d, edit)


def _copy_in_another_region(t: Target, d: Desired) -> None:
    """A second widget with the same title, reading another region, next to the correct one."""
    def edit(ws: list[dict[str, Any]]) -> None:
        copy = json.loads(json.dumps(_titled(ws, "Throttled requests")))
        copy["properties"]["region"] = "eu-central-1"
        copy["y"] += 30
        ws.append(copy)
    _edit_dashboard(t, d, edit)


def _hidden_rows(t: Target, d: Desired) -> None:
    """The contract's rows stay in the widget, hidden; a decoy row is what it draws."""
    def edit(ws: list[dict[str, Any]]) -> None:
        props = _titled(ws, "User errors")["properties"]
        props["metrics"] = [[*row, {"visible": False}] for row in props["metrics"]] + [
            ["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", "tenants-sit", "Operation", "GetItem"]]
    _edit_dashboard(t, d, edit)


def _alarm_widget_other_region(t: Target, d: Desired) -> None:
    def edit(ws: list[dict[str, Any]]) -> None:
        props = _titled(ws, "Table status")["properties"]
        props["alarms"] = [a.replace(":eu-west-1:", ":us-east-1:") for a in props["alarms"]]
    _edit_dashboard(t, d, edit)


# ------------------------------------------------------------------------------------ cost anomaly
# Snapshot edits: moto does not implement Cost Explorer anomaly monitors or subscriptions.


def _edit_subscription(s: Snapshot, d: Desired, edit: Callable[[dict[str, Any]], None]) -> None:
    with_cost_alert(s, d)
    subs = answer_value(s, "get_anomaly_subscriptions", "us-east-1", "*")
    edit(subs[0])
    set_answer(s, "get_anomaly_subscriptions", "us-east-1", "*", subs)


def _leaf(key: str, value: str, match: str = "GREATER_THAN_OR_EQUAL") -> dict[str, Any]:
    return {"Dimensions": {"Key": key, "Values": [value], "MatchOptions": [match]}}


def _unreachable_and(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): >= 20% AND >= $1,000,000,000 - it never fires."""
    _edit_subscription(s, d, lambda sub: sub.update(ThresholdExpression={"And": [
        sub["ThresholdExpression"], _leaf("ANOMALY_TOTAL_IMPACT_ABSOLUTE", "1000000000")]}))


def _or_another_dimension(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): >= 20% OR >= $5 - alerts on noise, not as contracted."""
    _edit_subscription(s, d, lambda sub: sub.update(ThresholdExpression={"Or": [
        sub["ThresholdExpression"], _leaf("ANOMALY_TOTAL_IMPACT_ABSOLUTE", "5")]}))


def _weekly(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): a weekly digest instead of an immediate alert."""
    _edit_subscription(s, d, lambda sub: sub.update(Frequency="WEEKLY"))


def _topic_of_another_account(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): the FinOps topic's name, in someone else's account."""
    foreign = f"arn:aws:sns:{d.env.region}:999999999999:{d.cost_anomaly_topic}"
    _edit_subscription(s, d, lambda sub: sub.update(Subscribers=[{"Type": "SNS", "Address": foreign,
                                                                  "Status": "CONFIRMED"}]))


def _equals_match(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): exactly 20%, never more."""
    _edit_subscription(s, d, lambda sub: sub.update(ThresholdExpression=_leaf(
        "ANOMALY_TOTAL_IMPACT_PERCENTAGE", "20", "EQUALS")))


def _custom_monitor(s: Snapshot, d: Desired) -> None:
    """Snapshot edit (moto has no Cost Explorer): the monitor, same name, re-created as a CUSTOM monitor of
    one linked account; DynamoDB's costs elsewhere are never watched."""
    with_cost_alert(s, d)
    monitors = answer_value(s, "get_anomaly_monitors", "us-east-1", "*")
    monitors[0].pop("MonitorDimension")
    monitors[0].update(MonitorType="CUSTOM", MonitorSpecification={"Dimensions": {
        "Key": "LINKED_ACCOUNT", "Values": ["111122223333"]}})
    set_answer(s, "get_anomaly_monitors", "us-east-1", "*", monitors)


# ------------------------------------------------------------------------------------------ buckets


def _s3(t: Target, d: Desired, region: str | None = None) -> Any:
    return t.client("s3", region or d.env.region, write=True)


def _lifecycle(t: Target, d: Desired, *extra: dict[str, Any]) -> None:
    """The contract's whole-bucket rule as deployed, plus the extra rules."""
    _s3(t, d).put_bucket_lifecycle_configuration(Bucket=BUCKET_SIT, LifecycleConfiguration={"Rules": [
        {"ID": "noncurrent-versions", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}, *extra]})


def _prefix_rule_sooner(t: Target, d: Desired) -> None:
    _lifecycle(t, d, {"ID": "invoices-cleanup", "Status": "Enabled", "Filter": {"Prefix": "invoices/"},
                      "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})


def _tag_rule_expires_current(t: Target, d: Desired) -> None:
    _lifecycle(t, d, {"ID": "expire-drafts", "Status": "Enabled",
                      "Filter": {"Tag": {"Key": "draft", "Value": "true"}}, "Expiration": {"Days": 1}})


def _transition_to_glacier(t: Target, d: Desired) -> None:
    _lifecycle(t, d, {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": ""},
                      "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]})


def _open_policy(t: Target, d: Desired, bucket: str, statement: dict[str, Any]) -> None:
    """Lift the block on public policies (S3 refuses a public policy otherwise) and add the statement."""
    s3 = _s3(t, d)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        current = {"Version": "2012-10-17", "Statement": []}
    current["Statement"].append(statement)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(current))


def _public_read(t: Target, d: Desired) -> None:
    _open_policy(t, d, BUCKET_SIT, {"Sid": "CdnRead", "Effect": "Allow", "Principal": {"AWS": "*"},
                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*"})


def _public_with_harmless_condition(t: Target, d: Desired) -> None:
    """Everyone, on condition only of HTTPS: that restricts how, not who."""
    _open_policy(t, d, BUCKET_SIT, {"Sid": "TlsOnlyRead", "Effect": "Allow", "Principal": "*",
                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}})


def _public_if_exists(t: Target, d: Desired) -> None:
    """Everyone, on a condition that holds whenever the key is absent (as it is for an anonymous caller)."""
    _open_policy(t, d, BUCKET_SIT, {"Sid": "VpcReadIfExists", "Effect": "Allow", "Principal": "*",
                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*",
                                    "Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0a1b2c3d"}}})


def _public_split_internet(t: Target, d: Desired) -> None:
    """Everyone, from 'only' two source ranges that together are the whole IPv4 internet."""
    _open_policy(t, d, BUCKET_SIT, {"Sid": "OfficeRead", "Effect": "Allow", "Principal": "*",
                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET_SIT}/*",
                                    "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}})


def _public_log_bucket(t: Target, d: Desired) -> None:
    _open_policy(t, d, LOG_SIT, {"Sid": "ReadLogs", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                 "Resource": f"arn:aws:s3:::{LOG_SIT}/*"})


def _leftover(name: str, region: str | None = None) -> Callable[[Target, Desired], None]:
    def create(t: Target, d: Desired) -> None:
        where = region or d.env.region
        _s3(t, d, where).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": where})
    return create


def _log_bucket_kms(t: Target, d: Desired) -> None:
    _s3(t, d).put_bucket_encryption(Bucket=LOG_SIT, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})


def _log_bucket_unblocked(t: Target, d: Desired) -> None:
    _s3(t, d).delete_public_access_block(Bucket=LOG_SIT)


def _log_bucket_retagged(t: Target, d: Desired) -> None:
    tags = {**d.buckets[0].tags, "Component": "logs"}
    _s3(t, d).put_bucket_tagging(Bucket=LOG_SIT,
                                 Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _bucket_in_frankfurt(s: Snapshot, d: Desired) -> None:
    """Snapshot edit: bucket names are global, so moving the bucket means re-creating it, and in moto the new
    bucket has none of the configuration; HeadBucket answering another region isolates the move."""
    set_answer(s, "head_bucket", d.env.region, BUCKET_SIT, {"BucketRegion": "eu-central-1"})


def _locked(s: Snapshot, d: Desired) -> None:
    """Snapshot edit: moto refuses PutObjectLockConfiguration on a bucket that holds objects (S3 allows it on a
    versioned bucket); a compliance-mode lock would refuse every template update for a year."""
    set_answer(s, "get_object_lock_configuration", d.env.region, BUCKET_SIT, {"ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}})


BUCKET_PROD = "bbws-templates-prod"


def _replication(t: Target, d: Desired, *, rules: list[dict[str, Any]] | None = None, role: str | None = None) -> None:
    """Re-put PROD's replication configuration as it is, with other rules or another role."""
    s3 = _s3(t, d)
    config = s3.get_bucket_replication(Bucket=BUCKET_PROD)["ReplicationConfiguration"]
    s3.put_bucket_replication(Bucket=BUCKET_PROD, ReplicationConfiguration={
        "Role": role or config["Role"], "Rules": rules if rules is not None else config["Rules"]})


def _dr_rule(**changes: Any) -> dict[str, Any]:
    return {"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": "arn:aws:s3:::bbws-templates-prod-dr"}, **changes}


def _filtered_rule(s: Snapshot, d: Desired, rule_filter: dict[str, Any]) -> None:
    """Snapshot edit: moto stores a replication rule's filter but answers it as ``{"Prefix": ""}`` whatever was
    put, so the filter that makes S3 replicate nothing is given as S3 answers it (GetBucketReplication)."""
    answer = s.get("get_bucket_replication", d.env.region, BUCKET_PROD)
    config = dict(answer.value["ReplicationConfiguration"])
    config["Rules"] = [{**config["Rules"][0], "Filter": rule_filter}]
    set_answer(s, "get_bucket_replication", d.env.region, BUCKET_PROD, {"ReplicationConfiguration": config})


def _replicate_nothing(s: Snapshot, d: Desired) -> None:
    _filtered_rule(s, d, {"Prefix": "nothing-here/"})


def _replicate_tagged_only(s: Snapshot, d: Desired) -> None:
    _filtered_rule(s, d, {"Tag": {"Key": "replicate", "Value": "never"}})


def _replicate_elsewhere_too(t: Target, d: Desired) -> None:
    _replication(t, d, rules=[_dr_rule(), _dr_rule(ID="copy", Priority=2,
                                                   Destination={"Bucket": "arn:aws:s3:::evil-bucket"})])


def _replicate_as_foreign_role(t: Target, d: Desired) -> None:
    _replication(t, d, role="arn:aws:iam::999999999999:role/bbws-templates-replication-prod")


def _on(check: str, resource: str, env: str = "sit") -> Callable[..., Attack]:
    """Attacks on one check's resource: ``_on(check, resource)(name, account=...)``."""
    return lambda name, **edit: Attack(name, env, check, _name(resource), **edit)


widget, cost = (lambda title: _on("dashboard.widget", f"{DASH_SIT}/{title}")), _on("cost.anomaly_alert", COST_SIT)
lifecycle, policy, inventory = (_on(f"bucket.{c}", BUCKET_SIT) for c in ("lifecycle", "policy", "inventory"))


def _alarm(check: str, alarm: str, name: str, env: str = "sit", **edit: Any) -> Attack:
    return _on(check, alarm, env)(name, **edit)


ATTACKS = [
    _alarm("alarm.configuration", "bbws-dynamodb-sit-user-errors", "metric kept as a decoy, the alarm evaluates m1 * 0",
           account=_decoy_times_zero),
    _alarm("alarm.configuration", "tenants-sit-read-throttles",
           "metric kept as a decoy, another metric returns the data", account=_decoy_other_metric),
    _alarm("alarm.configuration", "orders-sit-system-errors", "SUM(METRICS()) kept, a wrapper expression returns data",
           account=_sum_wrapped),
    _alarm("alarm.configuration", "users-sit-system-errors", "one operation dropped from the summed SystemErrors",
           account=_operation_dropped),
    _alarm("alarm.configuration", "campaigns-sit-write-throttles", "statistic Average instead of Sum",
           account=_average),
    _alarm("alarm.configuration", "bbws-dynamodb-sit-backup-failures", "period an hour instead of five minutes",
           account=_five_minutes),
    _alarm("alarm.configuration", "products-sit-read-throttles", "3 out of 3 periods instead of 1",
           account=_three_of_three),
    _alarm("alarm.configuration", "orders-sit-write-throttles", "missing data ignored", account=_missing_data_ignored),
    _alarm("alarm.configuration", "orders-prod-replication-lag-eu-west-1",
           "PROD lag alarm watches a region with no replica", "prod", account=_prod_lag_other_region),
    _alarm("alarm.configuration", "tenants-prod-replication-lag-eu-west-1",
           "PROD lag alarm filtered to a unit the metric is not published in", "prod",
           account=_seconds_not_milliseconds),
    _alarm("alarm.action", "tenants-sit-write-throttles", "a second alarm action to another account's topic",
           account=_second_action_elsewhere),
    _alarm("alarm.action", "bbws-dynamodb-sit-user-errors", "insufficient-data action to a Lambda",
           account=_insufficient_data_to_lambda),
    _alarm("alarm.action", "campaigns-sit-system-errors", "alarm actions disabled", account=_actions_disabled),
    _alarm("alarm.state", "products-sit-write-throttles", "an alarm firing after the deploy", account=_firing),
    _alarm("alarm.tags", "users-sit-read-throttles", "an alarm tagged Environment=prod", account=_alarm_tagged_prod),
    _on("topic.subscribed", "bbws-finops-alerts-sit")("the FinOps topic's only subscriber never confirmed",
                                                     snapshot=_pending_only),
    _on("topic.tags", "bbws-dynamodb-alerts-sit")("the DevOps topic re-tagged Owner=nobody", account=_topic_retagged),
    widget("Consumed capacity units")("a widget moved to us-east-1", account=_widget_to_virginia),
    widget("System errors")("a widget plots another table's dimension value", account=_wrong_table_dimension),
    widget("Throttled requests")("a same-titled copy of a widget in another region", account=_copy_in_another_region),
    widget("User errors")("the contract's rows hidden behind a decoy row", account=_hidden_rows),
    widget("Table status")("the alarm widget shows alarms of another region", account=_alarm_widget_other_region),
    cost("cost alert: an extra And that is never met", snapshot=_unreachable_and),
    cost("cost alert: Or another dimension", snapshot=_or_another_dimension),
    cost("cost alert: weekly", snapshot=_weekly),
    cost("cost alert: the FinOps topic name in another account", snapshot=_topic_of_another_account),
    cost("cost alert: EQUALS instead of >=", snapshot=_equals_match),
    cost("cost alert: the monitor narrowed to one linked account", snapshot=_custom_monitor),
    lifecycle("a prefix rule expires noncurrent versions after a day", account=_prefix_rule_sooner),
    lifecycle("a tag rule expires current versions", account=_tag_rule_expires_current),
    lifecycle("a rule transitions everything to Glacier", account=_transition_to_glacier),
    policy("a public read statement for AWS '*'", account=_public_read),
    policy("a public statement whose condition only asks for TLS", account=_public_with_harmless_condition),
    policy("the access logs readable by everyone", account=_public_log_bucket),
    policy("a public statement behind an IfExists condition", account=_public_if_exists),
    policy("a public statement from two ranges that are the whole internet", account=_public_split_internet),
    inventory("a leftover bbws-templates-sit-old", account=_leftover("bbws-templates-sit-old")),
    inventory("an unsuffixed bbws-templates in another region", account=_leftover("bbws-templates", "eu-central-1")),
    inventory("a second access-log bucket", account=_leftover("bbws-access-logs-sit-2")),
    _on("bucket.log_bucket", BUCKET_SIT)("the log bucket encrypted with KMS", account=_log_bucket_kms),
    _on("bucket.log_bucket", BUCKET_SIT)("the log bucket's public access block removed", account=_log_bucket_unblocked),
    _on("bucket.tags", BUCKET_SIT)("the log bucket re-tagged Component=logs", account=_log_bucket_retagged),
    _on("bucket.region", BUCKET_SIT)("the bucket answers from another region", snapshot=_bucket_in_frankfurt),
    _on("bucket.object_lock", BUCKET_SIT)("a compliance object lock", snapshot=_locked),
    _on("bucket.replication", BUCKET_PROD, "prod")("the DR rule filtered to a prefix nothing has",
                                                     snapshot=_replicate_nothing),
    _on("bucket.replication", BUCKET_PROD, "prod")("the DR rule filtered to a tag nothing carries",
                                                     snapshot=_replicate_tagged_only),
    _on("bucket.replication", BUCKET_PROD, "prod")("a second rule copies every template to a foreign bucket",
                                                     account=_replicate_elsewhere_too),
    _on("bucket.replication", BUCKET_PROD, "prod")("replicated as a same-named role of another account",
                                                     account=_replicate_as_foreign_role),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attacker_mutant_is_blocked(attack: Attack, moto_account: Any, correct_snapshot: Any,
                                    loaded_contract: Contract) -> None:
    verdicts = judge(attack, moto_account, correct_snapshot)
    assert_blocked(attack, verdicts, desired_state(loaded_contract, attack.env))
