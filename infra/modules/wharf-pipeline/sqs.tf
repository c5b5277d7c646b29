# Lambda --SendMessage--> jobs queue --> on-prem Sage runner --SendMessage--> results queue --> Lambda
# Each has a dead-letter queue; the invoke DLQ keeps scheduled invocations that failed or that
# EventBridge Scheduler could not deliver.

locals {
  sqs_kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "jobs_dlq" {
  name                              = "${local.name}-jobs-dlq"
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = local.sqs_kms_data_key_reuse_period_seconds
  tags                              = local.tags
}

resource "aws_sqs_queue" "jobs" {
  name                              = "${local.name}-jobs"
  visibility_timeout_seconds        = var.jobs_visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = local.sqs_kms_data_key_reuse_period_seconds
  tags                              = local.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "jobs_dlq" {
  queue_url = aws_sqs_queue.jobs_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}

resource "aws_sqs_queue" "results_dlq" {
  name                              = "${local.name}-results-dlq"
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = local.sqs_kms_data_key_reuse_period_seconds
  tags                              = local.tags
}

resource "aws_sqs_queue" "results" {
  name                              = "${local.name}-results"
  visibility_timeout_seconds        = local.results_visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = local.sqs_kms_data_key_reuse_period_seconds
  tags                              = local.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.results_dlq.arn
    maxReceiveCount     = var.results_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "results_dlq" {
  queue_url = aws_sqs_queue.results_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.results.arn]
  })
}

# Failed asynchronous (scheduled) Lambda invocations and schedules the scheduler could not deliver.
resource "aws_sqs_queue" "invoke_dlq" {
  name                              = "${local.name}-invoke-dlq"
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = local.sqs_kms_data_key_reuse_period_seconds
  tags                              = local.tags
}
