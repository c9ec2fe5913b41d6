output "name" {
  description = "The bucket's name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.this.arn
}

output "object_etags" {
  description = "ETag (MD5 of the uploaded file) of each object, by key."
  value       = { for k, o in aws_s3_object.this : k => o.etag }
}

output "replication_role_arn" {
  description = "The IAM role S3 replicates as (null without replication)."
  value       = one(aws_iam_role.this[*].arn)
}
