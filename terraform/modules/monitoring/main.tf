# The promotion plan's "Monitoring & Alerts" (ADR 0019, 0020): two KMS-encrypted SNS topics (DevOps,
# FinOps), one CloudWatch alarm per contract alarm (single metric or SUM(METRICS()) metric math),
# the dashboard, and the Cost Explorer anomaly monitor with its >= threshold% subscription.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Alarms and Cost Anomaly Detection publish to encrypted topics only if the key lets their service
# principals use it: the AWS-managed alias/aws/sns does not, so the topics get their own key.
module "topic_key" {
  source = "../kms"

  key = {
    alias              = "alias/${var.monitoring.topics.devops}"
    description        = "SNS topics ${var.monitoring.topics.devops} and ${var.monitoring.topics.finops}"
    rotation           = true
    service_principals = ["cloudwatch.amazonaws.com", "costalerts.amazonaws.com"]
  }
  tags = var.tags
}

resource "aws_sns_topic" "this" {
  for_each = var.monitoring.topics

  name              = each.value
  kms_master_key_id = module.topic_key.key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  for_each = var.monitoring.topics

  statement {
    sid       = "AccountOwner"
    actions   = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
    resources = [aws_sns_topic.this[each.key].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.this[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  dynamic "statement" {
    for_each = each.value == var.monitoring.cost_anomaly.topic ? [each.value] : []

    content {
      sid       = "CostAnomalyAlerts"
      actions   = ["SNS:Publish"]
      resources = [aws_sns_topic.this[each.key].arn]

      principals {
        type        = "Service"
        identifiers = ["costalerts.amazonaws.com"]
      }
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = var.monitoring.topics

  arn    = aws_sns_topic.this[each.key].arn
  policy = data.aws_iam_policy_document.topic[each.key].json
}

locals {
  alarms     = { for a in var.monitoring.alarms : a.name => a }
  topic_arns = { for k, t in aws_sns_topic.this : var.monitoring.topics[k] => t.arn }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  treat_missing_data  = each.value.treat_missing_data
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  actions_enabled     = true
  alarm_actions       = [local.topic_arns[each.value.topic]]
  tags                = var.tags

  dynamic "metric_query" {
    for_each = each.value.metric_queries

    content {
      id          = metric_query.value.id
      expression  = metric_query.value.expression
      label       = metric_query.value.label
      return_data = metric_query.value.return_data

      dynamic "metric" {
        for_each = metric_query.value.metric == null ? [] : [metric_query.value.metric]

        content {
          namespace   = metric.value.namespace
          metric_name = metric.value.metric_name
          dimensions  = metric.value.dimensions
          period      = metric.value.period
          stat        = metric.value.stat
        }
      }
    }
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.monitoring.dashboard.name
  dashboard_body = var.monitoring.dashboard.body

  # the "Table status" widget lists the alarms by ARN
  depends_on = [aws_cloudwatch_metric_alarm.this]
}

resource "aws_ce_anomaly_monitor" "this" {
  name              = var.monitoring.cost_anomaly.monitor
  monitor_type      = var.monitoring.cost_anomaly.monitor_type
  monitor_dimension = var.monitoring.cost_anomaly.monitor_dimension
  tags              = var.tags
}

resource "aws_ce_anomaly_subscription" "this" {
  name             = var.monitoring.cost_anomaly.monitor
  frequency        = var.monitoring.cost_anomaly.frequency
  monitor_arn_list = [aws_ce_anomaly_monitor.this.arn]
  tags             = var.tags

  subscriber {
    type    = "SNS"
    address = local.topic_arns[var.monitoring.cost_anomaly.topic]
  }

  threshold_expression {
    dimension {
      key           = "ANOMALY_TOTAL_IMPACT_PERCENTAGE"
      match_options = ["GREATER_THAN_OR_EQUAL"]
      values        = [tostring(var.monitoring.cost_anomaly.threshold_percent)]
    }
  }

  depends_on = [aws_sns_topic_policy.this]
}
