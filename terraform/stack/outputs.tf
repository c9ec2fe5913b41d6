output "table_arns" {
  description = "ARN of each table, by logical name."
  value       = { for k, t in module.tables : k => t.arn }
}

output "table_stream_arns" {
  description = "Stream ARN of each table, by logical name."
  value       = { for k, t in module.tables : k => t.stream_arn }
}

output "kms_key_arn" {
  description = "The customer-managed key of the tables and the vault (null: AWS-managed keys, dev and sit)."
  value       = one(module.kms[*].key_arn)
}

output "backup_vault_arn" {
  description = "ARN of the backup vault."
  value       = module.backup.vault_arn
}

output "backup_dr_vault_arn" {
  description = "ARN of the DR backup vault (null without a cross-region copy)."
  value       = module.backup.dr_vault_arn
}

output "backup_plan_id" {
  description = "ID of the hourly backup plan."
  value       = module.backup.plan_id
}

output "topic_arns" {
  description = "ARN of each SNS topic, by name."
  value       = module.monitoring.topic_arns
}

output "alarm_arns" {
  description = "ARN of each CloudWatch alarm, by name."
  value       = module.monitoring.alarm_arns
}

output "dashboard_arn" {
  description = "ARN of the CloudWatch dashboard."
  value       = module.monitoring.dashboard_arn
}

output "cost_anomaly_monitor_arn" {
  description = "ARN of the Cost Explorer anomaly monitor."
  value       = module.monitoring.cost_anomaly_monitor_arn
}

output "bucket_arns" {
  description = "ARN of each S3 bucket, by logical name."
  value       = { for k, b in module.buckets : k => b.arn }
}

output "template_etags" {
  description = "ETag (MD5) of every uploaded object, by bucket and key."
  value       = { for k, b in module.buckets : k => b.object_etags }
}
