# One bucket of the LLD (004 4.3): versioning, SSE-S3 (AES-256), all public access blocked, noncurrent
# versions expiring, optional access logging, replication and log delivery, and the objects it holds.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is the contract's: PROD only (004 7.2); the module replicates when bucket.replication is set.
  #checkov:skip=CKV_AWS_145:004 4.3 specifies SSE-S3 (AES-256), not SSE-KMS; the templates are not secret and e-mail Lambdas read them without KMS grants.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of template or log buckets.
  #checkov:skip=CKV_AWS_18:Access logging is the contract's: the template buckets log to their access-log bucket (bucket.logging); the access-log bucket itself does not log (that would loop).
  bucket = var.bucket.name
  tags   = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = var.bucket.versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.bucket.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.bucket.logging == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.bucket.logging.target_bucket
  target_prefix = var.bucket.logging.target_prefix
}

# Access logs delivered by the S3 logging service, for the source bucket of this account only.
data "aws_iam_policy_document" "log_delivery" {
  count = var.bucket.log_delivery == null ? 0 : 1

  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/${var.bucket.log_delivery.prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:s3:::${var.bucket.log_delivery.source_bucket}"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = var.bucket.log_delivery == null ? 0 : 1

  bucket     = aws_s3_bucket.this.id
  policy     = data.aws_iam_policy_document.log_delivery[0].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "replication_trust" {
  count = var.bucket.replication == null ? 0 : 1

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "replication" {
  count = var.bucket.replication == null ? 0 : 1

  statement {
    sid       = "ReadSource"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "ReadSourceVersions"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${var.bucket.replication.destination_bucket_arn}/*"]
  }
}

resource "aws_iam_role" "this" {
  count = var.bucket.replication == null ? 0 : 1

  name               = var.bucket.replication.role_name
  assume_role_policy = data.aws_iam_policy_document.replication_trust[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = var.bucket.replication == null ? 0 : 1

  name   = "replicate-${var.bucket.name}"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = var.bucket.replication == null ? 0 : 1

  bucket = aws_s3_bucket.this.id
  role   = aws_iam_role.this[0].arn

  rule {
    id       = "dr"
    status   = "Enabled"
    priority = 1

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    destination {
      bucket = var.bucket.replication.destination_bucket_arn
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_object" "this" {
  #checkov:skip=CKV_AWS_186:004 4.3 specifies SSE-S3 for the templates; objects take the bucket's default encryption (AES256).
  for_each = var.bucket.objects

  bucket                 = aws_s3_bucket.this.id
  key                    = each.key
  source                 = each.value.source
  etag                   = filemd5(each.value.source)
  content_type           = each.value.content_type
  server_side_encryption = "AES256"
  tags                   = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this]
}
