data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the account root statement is the KMS default that delegates to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the account root statement is the KMS default that delegates to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only (KMS key policies cannot name the key they belong to).
  statement {
    sid       = "EnableIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.key.service_principals) > 0 ? [var.key.service_principals] : []

    content {
      sid       = "AllowServicesOfThisAccount"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV_AWS_7:Rotation is the contract's (var.key.rotation) and its validation rejects false, so every key created rotates; checkov also scans the dev/sit calls (count = 0, no key) where encryption.rotation is false.
  description             = var.key.description
  enable_key_rotation     = var.key.rotation
  deletion_window_in_days = var.key.deletion_window_days
  policy                  = data.aws_iam_policy_document.this.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = var.key.alias
  target_key_id = aws_kms_key.this.key_id
}
