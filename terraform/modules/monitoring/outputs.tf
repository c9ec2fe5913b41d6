output "topic_arns" {
  description = "ARN of each SNS topic, by topic name."
  value       = local.topic_arns
}

output "topic_key_arn" {
  description = "ARN of the KMS key the topics are encrypted with."
  value       = module.topic_key.key_arn
}

output "alarm_arns" {
  description = "ARN of each CloudWatch alarm, by alarm name."
  value       = { for name, a in aws_cloudwatch_metric_alarm.this : name => a.arn }
}

output "dashboard_arn" {
  description = "ARN of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_arn
}

output "cost_anomaly_monitor_arn" {
  description = "ARN of the Cost Explorer anomaly monitor."
  value       = aws_ce_anomaly_monitor.this.arn
}

output "cost_anomaly_subscription_arn" {
  description = "ARN of the Cost Explorer anomaly subscription."
  value       = aws_ce_anomaly_subscription.this.arn
}
