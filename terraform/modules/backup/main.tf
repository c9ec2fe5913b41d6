# AWS Backup for the environment's tables (D11): a KMS-encrypted vault, an hourly plan whose rule
# keeps each recovery point `retention_days` and (prod) copies it to the DR vault in the copy region,
# a selection that lists every table ARN, and the IAM role AWS Backup assumes.

data "aws_partition" "current" {}

data "aws_region" "dr" {
  provider = aws.dr
}

resource "aws_backup_vault" "this" {
  #checkov:skip=CKV_AWS_166:D9 - dev and sit vaults use AWS Backup's AWS-managed key alias/aws/backup by decision; prod passes its customer-managed key (kms_key_arn), verified by the check backup.vault.
  name        = var.backup.vault
  kms_key_arn = var.kms_key_arn
  tags        = var.tags
}

resource "aws_backup_vault" "dr" {
  #checkov:skip=CKV_AWS_166:D9 - the DR vault uses the environment's customer-managed key in the copy region when there is one (prod: dr_kms_key_arn), else alias/aws/backup.
  count = var.backup.copy == null ? 0 : 1

  provider    = aws.dr
  name        = var.backup.copy.vault
  kms_key_arn = var.dr_kms_key_arn
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = data.aws_region.dr.region == var.backup.copy.region
      error_message = "The aws.dr provider must be configured for the copy region (backup.copy.region)."
    }
  }
}

resource "aws_backup_plan" "this" {
  name = var.backup.plan

  rule {
    rule_name         = var.backup.rule
    target_vault_name = aws_backup_vault.this.name
    schedule          = var.backup.schedule

    lifecycle {
      delete_after = var.backup.retention_days
    }

    dynamic "copy_action" {
      for_each = aws_backup_vault.dr

      content {
        destination_vault_arn = copy_action.value.arn

        lifecycle {
          delete_after = var.backup.copy.retention_days
        }
      }
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.backup.iam_role
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = {
    backup   = "AWSBackupServiceRolePolicyForBackup"
    restores = "AWSBackupServiceRolePolicyForRestores"
  }

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/${each.value}"
}

resource "aws_backup_selection" "this" {
  name         = var.backup.selection.name
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.this.arn
  resources    = var.table_arns

  depends_on = [aws_iam_role_policy_attachment.this]
}
