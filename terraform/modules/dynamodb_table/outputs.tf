output "arn" {
  description = "ARN of the table (the backup selection lists it)."
  value       = aws_dynamodb_table.this.arn
}

output "name" {
  description = "Physical name of the table ({table}-{env}, D2)."
  value       = aws_dynamodb_table.this.name
}

output "stream_arn" {
  description = "ARN of the table's stream (null without a stream)."
  value       = aws_dynamodb_table.this.stream_arn
}

output "gsi_names" {
  description = "Names of the table's global secondary indexes."
  value       = sort(keys(local.gsis))
}

output "replica_regions" {
  description = "Regions the table is replicated to."
  value       = sort(var.table.replica_regions)
}
