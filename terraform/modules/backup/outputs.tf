output "vault_arn" {
  description = "ARN of the environment's backup vault."
  value       = aws_backup_vault.this.arn
}

output "dr_vault_arn" {
  description = "ARN of the DR vault in the copy region (null without a copy)."
  value       = try(aws_backup_vault.dr[0].arn, null)
}

output "plan_id" {
  description = "ID of the backup plan."
  value       = aws_backup_plan.this.id
}

output "plan_arn" {
  description = "ARN of the backup plan."
  value       = aws_backup_plan.this.arn
}

output "selection_id" {
  description = "ID of the backup selection."
  value       = aws_backup_selection.this.id
}

output "role_arn" {
  description = "ARN of the IAM role AWS Backup assumes."
  value       = aws_iam_role.this.arn
}
