output "customer" {
  description = "The customer prefix."
  value       = var.customer
}

output "bucket_name" {
  description = "The customer's bucket (WHARF_BUCKET)."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the customer's bucket."
  value       = aws_s3_bucket.this.arn
}

output "signing_key_arn" {
  description = "The component manifest's signing key: `wharf deploy --signing-key <this>` (by one of deployer_principals)."
  value       = aws_kms_key.signing.arn
}

output "kms_key_arn" {
  description = "ARN of the pipeline's KMS key (S3, SQS, Lambda environment, schedules, logs)."
  value       = aws_kms_key.this.arn
}

output "lambda_function_name" {
  description = "Name of the pipeline Lambda."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the pipeline Lambda."
  value       = aws_lambda_function.this.arn
}

output "lambda_role_arn" {
  description = "ARN of the Lambda's execution role."
  value       = aws_iam_role.lambda.arn
}

output "lambda_log_group_name" {
  description = "The Lambda's CloudWatch log group."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "jobs_queue_url" {
  description = "URL of the jobs queue (WHARF_JOBS_QUEUE_URL): Lambda -> runner."
  value       = aws_sqs_queue.jobs.url
}

output "jobs_queue_arn" {
  description = "ARN of the jobs queue."
  value       = aws_sqs_queue.jobs.arn
}

output "results_queue_url" {
  description = "URL of the results queue (WHARF_RESULTS_QUEUE_URL): runner -> Lambda."
  value       = aws_sqs_queue.results.url
}

output "results_queue_arn" {
  description = "ARN of the results queue."
  value       = aws_sqs_queue.results.arn
}

output "dead_letter_queue_urls" {
  description = "URLs of the dead-letter queues: jobs, results, and invoke (failed scheduled invocations)."
  value = {
    jobs    = aws_sqs_queue.jobs_dlq.url
    results = aws_sqs_queue.results_dlq.url
    invoke  = aws_sqs_queue.invoke_dlq.url
  }
}

output "schedule_group_name" {
  description = "The customer's EventBridge Scheduler schedule group."
  value       = local.schedule_group
}

output "schedule_arns" {
  description = "ARN of each workflow's schedule, by workflow name."
  value       = { for name, schedule in aws_scheduler_schedule.workflow : name => schedule.arn }
}

output "runner_role_arn" {
  description = "ARN of the role the on-prem Sage runner assumes."
  value       = aws_iam_role.runner.arn
}

output "runner_policy_arn" {
  description = "ARN of the runner's managed policy."
  value       = aws_iam_policy.runner.arn
}

output "runner_user_name" {
  description = "The runner's IAM user, when runner_create_iam_user is set (null otherwise)."
  value       = try(aws_iam_user.runner[0].name, null)
}

output "runner_config" {
  description = "What the on-prem Sage runner needs to be configured with."
  value = {
    region            = local.region
    role_arn          = aws_iam_role.runner.arn
    bucket            = aws_s3_bucket.this.bucket
    jobs_prefix       = local.jobs_prefix
    jobs_queue_url    = aws_sqs_queue.jobs.url
    results_queue_url = aws_sqs_queue.results.url
  }
}

output "alarm_topic_arn" {
  description = "The SNS topic every alarm of the pipeline notifies (failed runs, dead letters, waiting jobs, function errors): subscribe to it."
  value       = aws_sns_topic.alarms.arn
}
