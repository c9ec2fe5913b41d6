# One DynamoDB table of the contract: keys, attributes, GSIs, on-demand billing, SSE-KMS,
# stream, TTL, PITR with its recovery period, deletion protection, tags and global-table replicas.

locals {
  gsis = { for g in var.table.gsis : g.name => g }
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:D9 - dev and sit use SSE-KMS with the AWS-managed key alias/aws/dynamodb by decision; prod passes its customer-managed key (kms_key_arn), enforced by the contract lint rule `encryption` and the check table.encryption.
  name                        = var.table.name
  billing_mode                = var.table.billing_mode
  hash_key                    = var.table.hash_key
  range_key                   = var.table.range_key
  deletion_protection_enabled = var.table.deletion_protection
  stream_enabled              = var.table.stream_view_type != null
  stream_view_type            = var.table.stream_view_type

  dynamic "attribute" {
    for_each = var.table.attributes

    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.gsis

    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.projection_type == "INCLUDE" ? global_secondary_index.value.non_key_attributes : null
    }
  }

  point_in_time_recovery {
    enabled                 = var.table.pitr.enabled
    recovery_period_in_days = var.table.pitr.enabled ? var.table.pitr.recovery_period_days : null
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  ttl {
    enabled        = var.table.ttl.enabled
    attribute_name = var.table.ttl.enabled ? var.table.ttl.attribute_name : ""
  }

  dynamic "replica" {
    for_each = toset(var.table.replica_regions)

    content {
      region_name                 = replica.value
      kms_key_arn                 = lookup(var.replica_kms_key_arns, replica.value, null)
      point_in_time_recovery      = var.table.pitr.enabled
      deletion_protection_enabled = var.table.deletion_protection
      propagate_tags              = true
    }
  }

  tags = var.tags
}
