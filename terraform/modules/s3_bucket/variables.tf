variable "bucket" {
  description = "One S3 bucket of the LLD (004 section 4): versioned, SSE-S3, private, noncurrent versions expiring, optionally logging to another bucket, replicating to a DR bucket, receiving access logs, and holding objects uploaded from the repository."
  type = object({
    name                               = string
    versioning                         = bool
    noncurrent_version_expiration_days = number
    logging = optional(object({
      target_bucket = string
      target_prefix = string
    }))
    replication = optional(object({
      destination_bucket_arn = string
      role_name              = string
    }))
    log_delivery = optional(object({
      source_bucket = string
      prefix        = string
    }))
    objects = optional(map(object({
      source       = string
      content_type = string
    })), {})
  })

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket.name))
    error_message = "bucket.name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens (004 5.3.2: bbws-{purpose}-{env})."
  }

  validation {
    condition     = var.bucket.noncurrent_version_expiration_days >= 1
    error_message = "bucket.noncurrent_version_expiration_days must be >= 1 (004 4.3: 90)."
  }

  validation {
    condition     = var.bucket.replication == null || var.bucket.versioning
    error_message = "bucket.replication needs bucket.versioning = true (S3 replicates versioned buckets only)."
  }

  validation {
    condition     = alltrue([for o in values(var.bucket.objects) : contains(["text/html; charset=utf-8", "text/plain; charset=utf-8"], o.content_type)])
    error_message = "bucket.objects content_type must be one of text/html; charset=utf-8, text/plain; charset=utf-8."
  }
}

variable "tags" {
  description = "The LLD's tags (004 5.3.3): Environment, Project, Owner, CostCenter, ManagedBy and Component s3."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Environment", "Project", "Owner", "CostCenter", "ManagedBy", "Component"] : contains(keys(var.tags), k)])
    error_message = "tags must include Environment, Project, Owner, CostCenter, ManagedBy and Component (004 5.3.3)."
  }
}
