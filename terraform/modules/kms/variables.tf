variable "key" {
  description = "The customer-managed KMS key: its alias (alias/...), description, rotation, deletion window, and the AWS service principals that may use it directly (e.g. cloudwatch.amazonaws.com for an encrypted SNS topic)."
  type = object({
    alias                = string
    description          = string
    rotation             = optional(bool, true)
    deletion_window_days = optional(number, 30)
    service_principals   = optional(list(string), [])
  })

  validation {
    condition     = startswith(var.key.alias, "alias/") && !startswith(var.key.alias, "alias/aws/")
    error_message = "key.alias must start with \"alias/\" and must not be an AWS-managed alias (alias/aws/...)."
  }

  validation {
    condition     = var.key.rotation
    error_message = "key.rotation must be true: a customer-managed key rotates (D9). Allowed values: true."
  }

  validation {
    condition     = var.key.deletion_window_days >= 7 && var.key.deletion_window_days <= 30
    error_message = "key.deletion_window_days must be between 7 and 30 (allowed: 7..30)."
  }

  validation {
    condition     = alltrue([for p in var.key.service_principals : endswith(p, ".amazonaws.com")])
    error_message = "key.service_principals must be AWS service principals ending in .amazonaws.com (e.g. cloudwatch.amazonaws.com, costalerts.amazonaws.com)."
  }
}

variable "tags" {
  description = "Tags for the key (the contract's seven tags, D15)."
  type        = map(string)
  default     = {}
}
