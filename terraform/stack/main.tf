# The environment's whole desired state, read from its var file (-var-file=../environments/<env>/
# contract.tfvars.json): the KMS key(s) (prod), every table, AWS Backup, and monitoring. One stack for
# every environment; only the var file and the backend file (-backend-config) differ.

locals {
  customer_managed_key = var.encryption.kind == "customer-managed"
  # the DR region needs its own key for the replicas and the DR vault when the tables use a CMK
  dr_key_regions = local.customer_managed_key && var.dr_region != null ? [var.dr_region] : []
}

module "kms" {
  source = "../modules/kms"
  count  = local.customer_managed_key ? 1 : 0

  key = {
    alias       = var.encryption.key_alias
    description = "BBWS DynamoDB ${var.environment}: tables and backup vault (D9)"
    rotation    = var.encryption.rotation
  }
  tags = var.tags
}

module "kms_dr" {
  source = "../modules/kms"
  count  = length(local.dr_key_regions)
  providers = {
    aws = aws.dr
  }

  key = {
    alias       = var.encryption.key_alias
    description = "BBWS DynamoDB ${var.environment}: replicas and DR backup vault (D9, D13)"
    rotation    = var.encryption.rotation
  }
  tags = var.tags
}

module "tables" {
  source   = "../modules/dynamodb_table"
  for_each = var.tables

  table                = each.value
  kms_key_arn          = one(module.kms[*].key_arn)
  replica_kms_key_arns = { for r in local.dr_key_regions : r => module.kms_dr[0].key_arn }
  tags                 = var.tags
}

module "backup" {
  source = "../modules/backup"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  backup         = var.backup
  table_arns     = [for t in var.backup.selection.tables : module.tables[t].arn]
  kms_key_arn    = one(module.kms[*].key_arn)
  dr_kms_key_arn = one(module.kms_dr[*].key_arn)
  tags           = var.tags
}

module "monitoring" {
  source = "../modules/monitoring"

  monitoring = var.monitoring
  tags       = var.tags
}

# The S3 buckets of the LLD (004 section 4): per bucket an access-log bucket, in prod a DR bucket in the
# DR region, and the bucket itself with its objects (the email templates) uploaded from the repository.

module "access_logs" {
  source   = "../modules/s3_bucket"
  for_each = { for k, b in var.buckets : k => b if b.logging != null }

  bucket = {
    name                               = each.value.logging.bucket
    versioning                         = true
    noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days
    log_delivery = {
      source_bucket = each.value.name
      prefix        = each.value.logging.prefix
    }
  }
  tags = each.value.tags
}

module "buckets_dr" {
  source   = "../modules/s3_bucket"
  for_each = { for k, b in var.buckets : k => b if b.replication != null }
  providers = {
    aws = aws.dr
  }

  bucket = {
    name                               = each.value.replication.bucket
    versioning                         = true
    noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days
  }
  tags = each.value.tags
}

module "buckets" {
  source   = "../modules/s3_bucket"
  for_each = var.buckets

  bucket = {
    name                               = each.value.name
    versioning                         = each.value.versioning
    noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days
    logging = each.value.logging == null ? null : {
      target_bucket = module.access_logs[each.key].name
      target_prefix = each.value.logging.prefix
    }
    replication = each.value.replication == null ? null : {
      destination_bucket_arn = module.buckets_dr[each.key].arn
      role_name              = each.value.replication.role
    }
    objects = { for key, o in each.value.objects : key => {
      source       = "${path.root}/../../${o.source}"
      content_type = o.content_type
    } }
  }
  tags = each.value.tags
}
