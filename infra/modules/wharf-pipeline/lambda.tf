resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The Lambda reaches only AWS public endpoints (S3, SQS, KMS, Logs); a VPC would add NAT gateways or interface endpoints per customer and protect nothing.
  #checkov:skip=CKV_AWS_272:Code signing is not used: the zip is built by `make lambda` in this repository's pipeline and deployed by the same principal; signing would need AWS Signer and an S3-hosted artifact.
  function_name = local.lambda_function_name
  description   = "Wharf pipeline of ${var.customer}: scheduled workflow runs and Sage job results"
  role          = aws_iam_role.lambda.arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.lambda_architecture]
  filename      = var.lambda_zip
  # The zip may not exist yet when planning (it is built by `make lambda`).
  source_code_hash = try(filebase64sha256(var.lambda_zip), null)

  memory_size                    = var.lambda_memory_mb
  timeout                        = var.lambda_timeout_seconds
  reserved_concurrent_executions = coalesce(var.lambda_reserved_concurrency, -1) # -1: none reserved

  ephemeral_storage {
    size = var.lambda_ephemeral_storage_mb
  }

  kms_key_arn = aws_kms_key.this.arn

  # WHARF_DEADLINE_MARGIN_SECONDS: a run pauses before a task once less than this is left.
  environment {
    variables = {
      WHARF_BUCKET                     = aws_s3_bucket.this.bucket
      WHARF_CUSTOMER                   = var.customer
      WHARF_JOBS_QUEUE_URL             = aws_sqs_queue.jobs.url
      WHARF_RESULTS_QUEUE_URL          = aws_sqs_queue.results.url
      WHARF_DEADLINE_MARGIN_SECONDS    = tostring(var.lambda_deadline_margin_seconds)
      WHARF_SIGNING_KEY                = aws_kms_key.signing.arn
      WHARF_SUSPENSION_RESEND_SECONDS  = tostring(var.suspension_resend_seconds)
      WHARF_SUSPENSION_MAX_AGE_SECONDS = tostring(var.suspension_max_age_seconds)
      RUST_LOG                         = var.rust_log
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  tracing_config {
    mode = var.lambda_tracing_mode
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.invoke_dlq.arn
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = var.lambda_reserved_concurrency == null || var.results_max_concurrency < coalesce(var.lambda_reserved_concurrency, 0)
      error_message = "results_max_concurrency must be below lambda_reserved_concurrency, so scheduled runs keep headroom beside the results."
    }
    precondition {
      condition     = var.suspension_max_age_seconds < var.message_retention_seconds
      error_message = "suspension_max_age_seconds must be below message_retention_seconds: a run must give up before its job message can expire unread."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.lambda,
  ]
}

# Scheduled runs are asynchronous invocations: retries as configured, then the event goes to the
# function's dead-letter queue (dead_letter_config above).
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.lambda_async_retry_attempts
  maximum_event_age_in_seconds = 3600
}

# Sage job results from the on-prem runner, one message per invocation; a failed message is
# reported back (ReportBatchItemFailures) and retried until max_receive_count, then dead-lettered.
resource "aws_lambda_event_source_mapping" "results" {
  event_source_arn        = aws_sqs_queue.results.arn
  function_name           = aws_lambda_function.this.arn
  batch_size              = 1
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.results_max_concurrency
  }

  depends_on = [aws_iam_role_policy.lambda]
}
