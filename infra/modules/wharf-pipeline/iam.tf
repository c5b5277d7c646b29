# Three identities, each with only what it needs:
#   lambda    - the pipeline: the customer's prefix of the bucket, send jobs, consume results
#   scheduler - EventBridge Scheduler: invoke the Lambda, dead-letter undeliverable schedules
#   runner    - the on-prem Sage runner: consume jobs, send results, <customer>/jobs/* objects

locals {
  secret_prefix     = coalesce(var.secret_name_prefix, "wharf/${var.customer}/")
  bucket_arn        = aws_s3_bucket.this.arn
  prefix_objects    = "${aws_s3_bucket.this.arn}/${local.prefix}*"
  jobs_objects      = "${aws_s3_bucket.this.arn}/${local.jobs_prefix}*"
  via_s3_and_sqs    = ["s3.${local.region}.${local.dns_suffix}", "sqs.${local.region}.${local.dns_suffix}"]
  schedule_group_id = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule-group/${local.schedule_group}"
  # What `wharf deploy` writes and the function only reads: components (native code once
  # precompiled), connections, mappings and the workflow files. A function that could write
  # them could turn one bad run into code execution with its own role.
  deployed_objects = [
    "${aws_s3_bucket.this.arn}/${local.prefix}components/*",
    "${aws_s3_bucket.this.arn}/${local.prefix}connections.yaml",
    "${aws_s3_bucket.this.arn}/${local.prefix}mappings.yaml",
    "${aws_s3_bucket.this.arn}/${local.prefix}*/workflow.yaml",
  ]
}

# --- Lambda ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${local.name}-lambda"
  description        = "Wharf Lambda of ${var.customer}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "ListCustomerPrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.prefix, "${local.prefix}*"]
    }
  }

  statement {
    sid       = "CustomerObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.prefix_objects]
  }

  statement {
    sid       = "DeployedObjectsReadOnly"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = local.deployed_objects
  }

  statement {
    sid       = "SendJobs"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }

  # A run that would outlive the Lambda timeout pauses and sends itself a continue message on
  # the results queue (the function's own trigger).
  statement {
    sid       = "SendContinuations"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.results.arn]
  }

  statement {
    sid    = "ConsumeResults"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.results.arn]
  }

  statement {
    sid       = "AsyncInvokeDeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.invoke_dlq.arn]
  }

  statement {
    sid       = "OwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  statement {
    sid       = "PipelineKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  # Checks the component manifest's signature; never signs.
  statement {
    sid       = "VerifyComponentManifest"
    effect    = "Allow"
    actions   = ["kms:Verify"]
    resources = [aws_kms_key.signing.arn]
  }

  # Connections' `{ aws-secret: … }` secrets: only the customer's own, by name prefix.
  statement {
    sid       = "ConnectionSecrets"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}*"]
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "wharf-pipeline"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_iam_role_policy_attachment" "lambda_xray" {
  count = var.lambda_tracing_mode == "Active" ? 1 : 0

  role       = aws_iam_role.lambda.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

# --- EventBridge Scheduler -------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.schedule_group_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.name}-scheduler"
  description        = "EventBridge Scheduler: runs the Wharf workflows of ${var.customer}"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokePipeline"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:*"]
  }

  statement {
    sid       = "DeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.invoke_dlq.arn]
  }

  statement {
    sid       = "PipelineKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "wharf-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

# --- On-premises Sage runner ------------------------------------------------------------------

data "aws_iam_policy_document" "runner" {
  statement {
    sid    = "ConsumeJobs"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.jobs.arn]
  }

  statement {
    sid       = "SendResults"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.results.arn]
  }

  statement {
    sid       = "JobObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.jobs_objects]
  }

  # The objects and messages are encrypted with the pipeline key: usable through S3 and SQS only.
  statement {
    sid       = "PipelineKeyViaS3AndSqs"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.via_s3_and_sqs
    }
  }
}

resource "aws_iam_policy" "runner" {
  name        = "${local.name}-runner"
  description = "Wharf Sage runner of ${var.customer}: jobs queue, results queue, ${local.jobs_prefix}* objects"
  policy      = data.aws_iam_policy_document.runner.json
  tags        = local.tags
}

data "aws_iam_policy_document" "runner_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = local.runner_principals
    }

    dynamic "condition" {
      for_each = var.runner_external_id == null ? [] : [var.runner_external_id]

      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "runner" {
  name                 = "${local.name}-runner"
  description          = "Wharf on-premises Sage runner of ${var.customer}"
  assume_role_policy   = data.aws_iam_policy_document.runner_assume.json
  max_session_duration = var.runner_max_session_seconds
  tags                 = local.tags

  # IAM refuses a trust policy naming a principal that does not exist yet.
  depends_on = [aws_iam_user.runner]

  lifecycle {
    precondition {
      condition     = length(local.runner_principals) > 0
      error_message = "Name who may assume the runner role: runner_trusted_principals (the role or user the Sage host signs in as), or set runner_create_iam_user."
    }
  }
}

resource "aws_iam_role_policy_attachment" "runner" {
  role       = aws_iam_role.runner.name
  policy_arn = aws_iam_policy.runner.arn
}

# Only when asked for (runner_create_iam_user): a user for a runner that cannot assume a role.
# Its access key is created out of band, so the secret never enters Terraform state.
resource "aws_iam_group" "runner" {
  count = var.runner_create_iam_user ? 1 : 0

  name = "${local.name}-runner"
}

resource "aws_iam_group_policy_attachment" "runner" {
  count = var.runner_create_iam_user ? 1 : 0

  group      = aws_iam_group.runner[0].name
  policy_arn = aws_iam_policy.runner.arn
}

resource "aws_iam_user" "runner" {
  #checkov:skip=CKV_AWS_273:Created only when runner_create_iam_user is set, for an on-premises runner that can assume no role (no SSO or IAM Roles Anywhere there); the default is the runner role.
  count = var.runner_create_iam_user ? 1 : 0

  name = "${local.name}-runner"
  tags = local.tags
}

resource "aws_iam_user_group_membership" "runner" {
  count = var.runner_create_iam_user ? 1 : 0

  user   = aws_iam_user.runner[0].name
  groups = [aws_iam_group.runner[0].name]
}
