# Every variable here is set by ../environments/<env>/contract.tfvars.json, which readiness/contract/tfvars.py renders from
# contracts/ (`python -m readiness render-tfvars`); never edit that file by hand: tests/test_terraform.py
# fails when it no longer equals the contract.

variable "environment" {
  description = "The environment's name (contracts/environments/<env>.yaml: name)."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be one of dev, sit, prod."
  }
}

variable "account" {
  description = "The environment's AWS account (D12); the providers refuse any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account))
    error_message = "account must be a 12-digit AWS account ID (D12: dev 536580886816, sit 815856636111, prod 093646564004)."
  }
}

variable "region" {
  description = "The environment's primary region (D12)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1 or af-south-1 (D12: dev and sit eu-west-1, prod af-south-1)."
  }
}

variable "dr_region" {
  description = "The region of the replicas and the backup copy (D12, D13: prod eu-west-1); null without DR."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.dr_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", coalesce(var.dr_region, "-")))
    error_message = "dr_region must be null (no DR) or an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "The seven required tags (D15)."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Environment", "Project", "Owner", "CostCenter", "ManagedBy", "BackupPolicy", "Component"] : contains(keys(var.tags), k)])
    error_message = "tags must include the seven D15 tags: Environment, Project, Owner, CostCenter, ManagedBy, BackupPolicy, Component."
  }
}

variable "tables" {
  description = "The environment's tables by logical name (contracts/tables/*.yaml with the environment's naming, capacity, PITR, deletion protection and replicas)."
  type = map(object({
    name           = string
    billing_mode   = string
    hash_key       = string
    hash_key_type  = string
    range_key      = string
    range_key_type = string
    attributes = list(object({
      name = string
      type = string
    }))
    gsis = list(object({
      name               = string
      hash_key           = string
      range_key          = string
      projection_type    = string
      non_key_attributes = list(string)
    }))
    stream_view_type = string
    ttl = object({
      enabled        = bool
      attribute_name = string
    })
    deletion_protection = bool
    pitr = object({
      enabled              = bool
      recovery_period_days = number
    })
    replica_regions = list(string)
  }))

  validation {
    condition     = length(var.tables) > 0
    error_message = "tables must hold at least one table (D1: tenants, products, campaigns, orders, users)."
  }
}

variable "encryption" {
  description = "SSE-KMS of the tables and the backup vault (D9): the AWS-managed key in dev/sit, a customer-managed key with rotation in prod."
  type = object({
    kind      = string
    key_alias = string
    rotation  = bool
  })

  validation {
    condition     = contains(["aws-managed", "customer-managed"], var.encryption.kind)
    error_message = "encryption.kind must be one of aws-managed, customer-managed."
  }

  validation {
    condition     = (var.encryption.kind == "customer-managed") == !startswith(var.encryption.key_alias, "alias/aws/")
    error_message = "encryption.key_alias must be an AWS-managed alias (alias/aws/...) for kind aws-managed and a customer alias (alias/...) for kind customer-managed."
  }
}

variable "backup" {
  description = "AWS Backup vault, hourly plan and rule, retention, selection, role and cross-region copy (D11)."
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
    copy = object({
      region         = string
      vault          = string
      retention_days = number
    })
  })

  validation {
    condition     = var.backup.retention_days >= 1
    error_message = "backup.retention_days must be >= 1 (D11: dev 7, sit 14, prod 90)."
  }
}

variable "monitoring" {
  description = "SNS topics, CloudWatch alarms, the dashboard and the cost anomaly alert (ADR 0019, 0020)."
  type = object({
    topics = object({
      devops = string
      finops = string
    })
    alarms = list(object({
      name                = string
      description         = string
      comparison_operator = string
      threshold           = number
      evaluation_periods  = number
      treat_missing_data  = string
      topic               = string
      namespace           = string
      metric_name         = string
      dimensions          = map(string)
      statistic           = string
      period              = number
      metric_queries = list(object({
        id          = string
        expression  = string
        label       = string
        return_data = bool
        metric = object({
          namespace   = string
          metric_name = string
          dimensions  = map(string)
          period      = number
          stat        = string
        })
      }))
    }))
    dashboard = object({
      name = string
      body = string
    })
    cost_anomaly = object({
      monitor           = string
      monitor_type      = string
      monitor_dimension = string
      frequency         = string
      threshold_percent = number
      topic             = string
    })
  })

  validation {
    condition     = length(var.monitoring.alarms) > 0
    error_message = "monitoring.alarms must hold the promotion plan's alarms (contracts/monitoring.yaml)."
  }
}

variable "buckets" {
  description = "The S3 buckets by logical name (contracts/buckets/*.yaml with the environment's names), each with its access-log bucket, DR replication (prod) and the objects uploaded into it (contracts/templates.yaml)."
  type = map(object({
    name                               = string
    versioning                         = bool
    noncurrent_version_expiration_days = number
    logging = object({
      bucket = string
      prefix = string
    })
    replication = object({
      region = string
      bucket = string
      role   = string
    })
    tags = map(string)
    objects = map(object({
      source       = string
      content_type = string
    }))
  }))

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.versioning && b.noncurrent_version_expiration_days >= 1])
    error_message = "buckets must be versioned with noncurrent_version_expiration_days >= 1 (004 4.3: versioning enabled, 90 days)."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.replication == null || (var.dr_region != null && try(b.replication.region, "") == var.dr_region)])
    error_message = "a bucket's replication.region must be the environment's dr_region (one DR provider per root; 004 7.2: prod to eu-west-1)."
  }
}
