variable "backup" {
  description = "The environment's AWS Backup settings: `backup` in contract.auto.tfvars.json, rendered by readiness/contract/tfvars.py from contracts/environments/<env>.yaml (D11)."
  type = object({
    vault          = string
    plan           = string
    rule           = string
    schedule       = string
    retention_days = number
    selection = object({
      name   = string
      tables = list(string)
    })
    iam_role = string
    copy = optional(object({
      region         = string
      vault          = string
      retention_days = number
    }))
  })

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.backup.schedule))
    error_message = "backup.schedule must be an AWS Backup schedule expression: cron(...) or rate(...); the contract uses cron(0 * * * ? *) (hourly, D11)."
  }

  validation {
    condition     = var.backup.retention_days >= 1 && floor(var.backup.retention_days) == var.backup.retention_days
    error_message = "backup.retention_days must be a whole number of days >= 1 (D11: dev 7, sit 14, prod 90)."
  }

  validation {
    condition     = length(var.backup.selection.tables) > 0
    error_message = "backup.selection.tables must name at least one table (D11: the selection covers every table)."
  }

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,50}$", var.backup.selection.name)) && can(regex("^[a-zA-Z0-9_.-]{1,50}$", var.backup.rule))
    error_message = "backup.selection.name and backup.rule must be 1-50 characters of letters, digits, '-', '_' or '.'."
  }

  validation {
    condition     = var.backup.copy == null || try(var.backup.copy.retention_days >= 1, false)
    error_message = "backup.copy must be null (no cross-region copy) or copy.retention_days must be >= 1 (D11: prod 90)."
  }

  validation {
    condition     = var.backup.copy == null || try(var.backup.copy.vault != var.backup.vault, false)
    error_message = "backup.copy.vault must differ from backup.vault (the copy goes to the DR vault)."
  }
}

variable "table_arns" {
  description = "ARNs of the tables the selection covers (one per backup.selection.tables entry)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.table_arns) > 0 && alltrue([for a in var.table_arns : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/", a))])
    error_message = "table_arns must be a non-empty list of DynamoDB table ARNs (arn:aws:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN for the vault; null means AWS Backup's AWS-managed key alias/aws/backup (D9: dev and sit)."
  type        = string
  default     = null
  nullable    = true
}

variable "dr_kms_key_arn" {
  description = "Customer-managed KMS key ARN (in the copy region) for the DR vault; null means alias/aws/backup there."
  type        = string
  default     = null
  nullable    = true
}

variable "tags" {
  description = "The contract's tags (D15) for the vaults, the plan and the role."
  type        = map(string)
  default     = {}
}
