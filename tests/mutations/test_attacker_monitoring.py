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

from readiness.contract import Contract
from readiness.desired import Desired, desired_state
from readiness.observe import Snapshot
from readiness.targets import Target

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


ATTACKS = [
    Attack("metric kept as a decoy, the alarm evaluates m1 * 0", "sit", "alarm.configuration",
           _name("bbws-dynamodb-sit-user-errors"), account=_decoy_times_zero),
    Attack("metric kept as a decoy, another metric returns the data", "sit", "alarm.configuration",
           _name("tenants-sit-read-throttles"), account=_decoy_other_metric),
    Attack("SUM(METRICS()) kept, a wrapper expression returns data", "sit", "alarm.configuration",
           _name("orders-sit-system-errors"), account=_sum_wrapped),
    Attack("one operation dropped from the summed SystemErrors", "sit", "alarm.configuration",
           _name("users-sit-system-errors"), account=_operation_dropped),
    Attack("statistic Average instead of Sum", "sit", "alarm.configuration",
           _name("campaigns-sit-write-throttles"), account=_average),
    Attack("period an hour instead of five minutes", "sit", "alarm.configuration",
           _name("bbws-dynamodb-sit-backup-failures"), account=_five_minutes),
    Attack("3 out of 3 periods instead of 1", "sit", "alarm.configuration",
           _name("products-sit-read-throttles"), account=_three_of_three),
    Attack("missing data ignored", "sit", "alarm.configuration",
           _name("orders-sit-write-throttles"), account=_missing_data_ignored),
    Attack("PROD lag alarm watches a region with no replica", "prod", "alarm.configuration",
           _name("orders-prod-replication-lag-eu-west-1"), account=_prod_lag_other_region),
    Attack("a second alarm action to another account's topic", "sit", "alarm.action",
           _name("tenants-sit-write-throttles"), account=_second_action_elsewhere),
    Attack("insufficient-data action to a Lambda", "sit", "alarm.action",
           _name("bbws-dynamodb-sit-user-errors"), account=_insufficient_data_to_lambda),
    Attack("alarm actions disabled", "sit", "alarm.action",
           _name("campaigns-sit-system-errors"), account=_actions_disabled),
    Attack("an alarm firing after the deploy", "sit", "alarm.state",
           _name("products-sit-write-throttles"), account=_firing),
    Attack("an alarm tagged Environment=prod", "sit", "alarm.tags",
           _name("users-sit-read-throttles"), account=_alarm_tagged_prod),
    Attack("the FinOps topic's only subscriber never confirmed", "sit", "topic.subscribed",
           _name("bbws-finops-alerts-sit"), snapshot=_pending_only),
    Attack("the DevOps topic re-tagged Owner=nobody", "sit", "topic.tags",
           _name("bbws-dynamodb-alerts-sit"), account=_topic_retagged),
    Attack("a widget moved to us-east-1", "sit", "dashboard.widget",
           _name(f"{DASH_SIT}/Consumed capacity units"), account=_widget_to_virginia),
    Attack("a widget plots another table's dimension value", "sit", "dashboard.widget",
           _name(f"{DASH_SIT}/System errors"), account=_wrong_table_dimension),
    Attack("a same-titled copy of a widget in another region", "sit", "dashboard.widget",
           _name(f"{DASH_SIT}/Throttled requests"), account=_copy_in_another_region),
    Attack("the contract's rows hidden behind a decoy row", "sit", "dashboard.widget",
           _name(f"{DASH_SIT}/User errors"), account=_hidden_rows),
    Attack("the alarm widget shows alarms of another region", "sit", "dashboard.widget",
           _name(f"{DASH_SIT}/Table status"), account=_alarm_widget_other_region),
    Attack("cost alert: an extra And that is never met", "sit", "cost.anomaly_alert", _name(COST_SIT),
           snapshot=_unreachable_and),
    Attack("cost alert: Or another dimension", "sit", "cost.anomaly_alert", _name(COST_SIT),
           snapshot=_or_another_dimension),
    Attack("cost alert: weekly", "sit", "cost.anomaly_alert", _name(COST_SIT), snapshot=_weekly),
    Attack("cost alert: the FinOps topic name in another account", "sit", "cost.anomaly_alert", _name(COST_SIT),
           snapshot=_topic_of_another_account),
    Attack("cost alert: EQUALS instead of >=", "sit", "cost.anomaly_alert", _name(COST_SIT),
           snapshot=_equals_match),
    Attack("a prefix rule expires noncurrent versions after a day", "sit", "bucket.lifecycle", _name(BUCKET_SIT),
           account=_prefix_rule_sooner),
    Attack("a tag rule expires current versions", "sit", "bucket.lifecycle", _name(BUCKET_SIT),
           account=_tag_rule_expires_current),
    Attack("a rule transitions everything to Glacier", "sit", "bucket.lifecycle", _name(BUCKET_SIT),
           account=_transition_to_glacier),
    Attack("a public read statement for AWS '*'", "sit", "bucket.policy", _name(BUCKET_SIT), account=_public_read),
    Attack("a public statement whose condition only asks for TLS", "sit", "bucket.policy", _name(BUCKET_SIT),
           account=_public_with_harmless_condition),
    Attack("the access logs readable by everyone", "sit", "bucket.policy", _name(BUCKET_SIT),
           account=_public_log_bucket),
    Attack("a leftover bbws-templates-sit-old", "sit", "bucket.inventory", _name(BUCKET_SIT),
           account=_leftover("bbws-templates-sit-old")),
    Attack("an unsuffixed bbws-templates in another region", "sit", "bucket.inventory", _name(BUCKET_SIT),
           account=_leftover("bbws-templates", "eu-central-1")),
    Attack("a second access-log bucket", "sit", "bucket.inventory", _name(BUCKET_SIT),
           account=_leftover("bbws-access-logs-sit-2")),
    Attack("the log bucket encrypted with KMS", "sit", "bucket.log_bucket", _name(BUCKET_SIT),
           account=_log_bucket_kms),
    Attack("the log bucket's public access block removed", "sit", "bucket.log_bucket", _name(BUCKET_SIT),
           account=_log_bucket_unblocked),
    Attack("the log bucket re-tagged Component=logs", "sit", "bucket.tags", _name(BUCKET_SIT),
           account=_log_bucket_retagged),
    Attack("the bucket answers from another region", "sit", "bucket.region", _name(BUCKET_SIT),
           snapshot=_bucket_in_frankfurt),
    Attack("a compliance object lock", "sit", "bucket.object_lock", _name(BUCKET_SIT), snapshot=_locked),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attacker_mutant_is_blocked(attack: Attack, moto_account: Any, correct_snapshot: Any,
                                    loaded_contract: Contract) -> None:
    verdicts = judge(attack, moto_account, correct_snapshot)
    assert_blocked(attack, verdicts, desired_state(loaded_contract, attack.env))
