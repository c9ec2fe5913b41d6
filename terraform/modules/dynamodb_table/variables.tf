variable "table" {
  description = "One table of the contract: an entry of `tables` in the environment's contract.auto.tfvars.json, rendered by readiness/tfvars.py from contracts/tables/<table>.yaml and contracts/environments/<env>.yaml."
  type = object({
    name           = string
    billing_mode   = optional(string, "PAY_PER_REQUEST")
    hash_key       = string
    hash_key_type  = string
    range_key      = optional(string)
    range_key_type = optional(string)
    attributes = list(object({
      name = string
      type = string
    }))
    gsis = optional(list(object({
      name               = string
      hash_key           = string
      range_key          = optional(string)
      projection_type    = string
      non_key_attributes = optional(list(string), [])
    })), [])
    stream_view_type = optional(string)
    ttl = optional(object({
      enabled        = bool
      attribute_name = optional(string)
    }), { enabled = false })
    deletion_protection = bool
    pitr = object({
      enabled              = bool
      recovery_period_days = optional(number, 35)
    })
    replica_regions = optional(list(string), [])
  })

  validation {
    condition     = var.table.billing_mode == "PAY_PER_REQUEST"
    error_message = "table.billing_mode must be PAY_PER_REQUEST (D6: on-demand everywhere). Allowed values: PAY_PER_REQUEST."
  }

  validation {
    condition     = var.table.stream_view_type == null || contains(["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"], coalesce(var.table.stream_view_type, "none"))
    error_message = "table.stream_view_type must be null (no stream) or one of NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY."
  }

  validation {
    condition     = alltrue([for a in var.table.attributes : contains(["S", "N", "B"], a.type)])
    error_message = "Every table.attributes[*].type must be one of S, N, B (D5: DynamoDB key attributes are strings, numbers or binary)."
  }

  validation {
    condition = contains([for a in var.table.attributes : "${a.name}:${a.type}"], "${var.table.hash_key}:${var.table.hash_key_type}") && (
      var.table.range_key == null || contains([for a in var.table.attributes : "${a.name}:${a.type}"], "${coalesce(var.table.range_key, "-")}:${coalesce(var.table.range_key_type, "-")}")
    )
    error_message = "table.hash_key and table.range_key must be declared in table.attributes with their types (hash_key_type, range_key_type: S, N or B)."
  }

  validation {
    condition     = alltrue([for g in var.table.gsis : contains(["ALL", "KEYS_ONLY", "INCLUDE"], g.projection_type)])
    error_message = "Every table.gsis[*].projection_type must be one of ALL, KEYS_ONLY, INCLUDE."
  }

  validation {
    condition     = alltrue([for g in var.table.gsis : (g.projection_type == "INCLUDE") == (length(g.non_key_attributes) > 0)])
    error_message = "table.gsis[*].non_key_attributes must be non-empty for projection_type INCLUDE and empty for ALL and KEYS_ONLY."
  }

  validation {
    condition = alltrue([for g in var.table.gsis : contains([for a in var.table.attributes : a.name], g.hash_key) && (
      g.range_key == null || contains([for a in var.table.attributes : a.name], coalesce(g.range_key, "-"))
    )])
    error_message = "Every table.gsis[*].hash_key and range_key must be declared in table.attributes."
  }

  validation {
    condition     = length(distinct([for g in var.table.gsis : g.name])) == length(var.table.gsis)
    error_message = "table.gsis[*].name must be unique within the table."
  }

  validation {
    condition     = var.table.pitr.recovery_period_days >= 1 && var.table.pitr.recovery_period_days <= 35
    error_message = "table.pitr.recovery_period_days must be between 1 and 35 (allowed: 1..35 days)."
  }

  validation {
    condition     = !var.table.ttl.enabled || var.table.ttl.attribute_name != null
    error_message = "table.ttl.attribute_name is required when table.ttl.enabled is true."
  }

  validation {
    condition     = length(var.table.replica_regions) == 0 || var.table.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "A replicated table (replica_regions) must stream NEW_AND_OLD_IMAGES (global tables 2019.11.21). Allowed values: NEW_AND_OLD_IMAGES."
  }

  validation {
    condition     = length(distinct(var.table.replica_regions)) == length(var.table.replica_regions)
    error_message = "table.replica_regions must not repeat a region."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key the table is encrypted with; null means SSE-KMS with the AWS-managed key alias/aws/dynamodb (D9: dev and sit)."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", coalesce(var.kms_key_arn, "-")))
    error_message = "kms_key_arn must be null (AWS-managed key) or a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "replica_kms_key_arns" {
  description = "Customer-managed KMS key ARN per replica region; a region without an entry uses the AWS-managed key there."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "tags" {
  description = "The contract's tags (D15), applied to the table and propagated to its replicas."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Environment", "Project", "Owner", "CostCenter", "ManagedBy", "BackupPolicy", "Component"] : contains(keys(var.tags), k)])
    error_message = "tags must include the seven D15 tags: Environment, Project, Owner, CostCenter, ManagedBy, BackupPolicy, Component."
  }
}
