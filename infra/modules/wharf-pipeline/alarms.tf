# What an operator must hear about, because nothing else will fix it: a message in a dead-letter
# queue (a job or result that failed every receive, a scheduled run that could not be delivered),
# a Sage job nobody takes (the runner is offline), results the function cannot keep up with, and
# failed invocations. Notifications go to the pipeline's SNS topic and alarm_actions
# (notifications.tf).

locals {
  # Alarms on the queues: name => (queue, metric, threshold, description).
  queue_alarms = {
    "jobs-dead-letters" = {
      queue       = aws_sqs_queue.jobs_dlq.name
      metric      = "ApproximateNumberOfMessagesVisible"
      threshold   = 0
      description = "a Sage job reached the jobs dead-letter queue"
    }
    "results-dead-letters" = {
      queue       = aws_sqs_queue.results_dlq.name
      metric      = "ApproximateNumberOfMessagesVisible"
      threshold   = 0
      description = "a Sage result reached the results dead-letter queue"
    }
    "invoke-dead-letters" = {
      queue       = aws_sqs_queue.invoke_dlq.name
      metric      = "ApproximateNumberOfMessagesVisible"
      threshold   = 0
      description = "a scheduled run could not be delivered or failed every retry"
    }
    "jobs-waiting" = {
      queue       = aws_sqs_queue.jobs.name
      metric      = "ApproximateAgeOfOldestMessage"
      threshold   = var.alarm_oldest_job_age_seconds
      description = "a Sage job has waited over ${var.alarm_oldest_job_age_seconds} s for the on-premises runner (offline, or stuck)"
    }
    "results-waiting" = {
      queue       = aws_sqs_queue.results.name
      metric      = "ApproximateAgeOfOldestMessage"
      threshold   = 2 * local.results_visibility_timeout_seconds
      description = "a Sage result has waited longer than two visibility timeouts for the function (failing or throttled)"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "queue" {
  for_each = local.queue_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = "Wharf ${var.customer}: ${each.value.description}; see docs/cloud.md (failure modes)."
  namespace           = "AWS/SQS"
  metric_name         = each.value.metric
  dimensions          = { QueueName = each.value.queue }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
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
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
