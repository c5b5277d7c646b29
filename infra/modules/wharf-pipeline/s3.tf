# The customer's bucket. Layout (everything under `<customer>/`):
#   <customer>/<workflow>/workflow.yaml                  the deployed workflow (`wharf deploy`)
#   <customer>/components/<task>.wasm, precompiled/<key>.cwasm, connections.yaml, mappings.yaml
#   <customer>/<workflow>/work/..., archive/..., runs/, state.json, checkpoint.json, run.lock, truth/...
#   <customer>/jobs/<job-id>/...                         Sage jobs exchanged with the on-prem runner

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not required: the data is working state of a pipeline, versioned in one region, and the source of truth stays in the shop and Sage.
  bucket = local.bucket_name
  tags   = local.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

# Object-level events go to EventBridge (no rule consumes them by default; operators can add
# rules, e.g. to alert on uploads under <customer>/jobs/, without touching the bucket).
resource "aws_s3_bucket_notification" "this" {
  bucket      = aws_s3_bucket.this.id
  eventbridge = true
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = coalesce(var.access_log_prefix, "s3/${local.bucket_name}/")
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # A bucket policy put before the public access block could be judged public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Whole bucket: old versions of overwritten/deleted objects and abandoned multipart uploads.
  rule {
    id     = "noncurrent-versions-and-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  # Sage jobs: inputs and results of finished jobs are of no use after the run that sent them.
  rule {
    id     = "jobs"
    status = "Enabled"

    filter {
      prefix = local.jobs_prefix
    }

    expiration {
      days = var.jobs_expiration_days
    }
  }

  # Per workflow: the archive moves to a cheaper class, then expires.
  dynamic "rule" {
    for_each = var.workflows

    content {
      id     = "archive-${rule.key}"
      status = "Enabled"

      filter {
        prefix = "${var.customer}/${rule.key}/archive/"
      }

      transition {
        days          = var.archive_transition_days
        storage_class = var.archive_transition_storage_class
      }

      expiration {
        days = var.archive_expiration_days
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.archive_expiration_days > var.archive_transition_days
      error_message = "archive_expiration_days must be greater than archive_transition_days."
    }

    precondition {
      condition     = !contains(["STANDARD_IA", "ONEZONE_IA"], var.archive_transition_storage_class) || var.archive_transition_days >= 30
      error_message = "S3 moves objects to STANDARD_IA or ONEZONE_IA only after 30 days or more: raise archive_transition_days."
    }
  }

  # Lifecycle rules on a versioned bucket act once versioning is on.
  depends_on = [aws_s3_bucket_versioning.this]
}
