# What an operator must hear about, because nothing else will fix it: a message in a dead-letter
# queue (a job or result that failed every receive, a scheduled run that could not be delivered),
# a Sage job nobody takes (the runner is offline), results the function cannot keep up with, and
# failed invocations. Notifications go to alarm_actions (e.g. an SNS topic).

locals {
  dead_letter_queues = {
    jobs    = aws_sqs_queue.jobs_dlq.name
    results = aws_sqs_queue.results_dlq.name
    invoke  = aws_sqs_queue.invoke_dlq.name
  }
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = local.dead_letter_queues

  alarm_name          = "${local.name}-${each.key}-dead-letters"
  alarm_description   = "Wharf ${var.customer}: a message reached the ${each.key} dead-letter queue; see docs/cloud.md (failure modes) for what it means and how to redrive it."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_job" {
  alarm_name          = "${local.name}-jobs-waiting"
  alarm_description   = "Wharf ${var.customer}: a Sage job has waited over ${var.alarm_oldest_job_age_seconds} s for the on-premises runner (offline, or stuck)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.jobs.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_oldest_job_age_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_result" {
  alarm_name          = "${local.name}-results-waiting"
  alarm_description   = "Wharf ${var.customer}: a Sage result has waited longer than two visibility timeouts for the function (failing or throttled)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.results.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 2 * local.results_visibility_timeout_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  alarm_name          = "${local.name}-errors"
  alarm_description   = "Wharf ${var.customer}: invocations of the function failed (a run that failed is in its run history; this is the function itself)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}
