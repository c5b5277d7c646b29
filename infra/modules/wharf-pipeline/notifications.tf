# Failed runs: the function writes one data point of the metric Wharf/FailedRuns per run that
# ends failed (an embedded-metric log line, dimensions Customer and Customer+Workflow; see
# docs/notify.md "Cloud"). An alarm on the customer's sum, and an SNS topic that it and every
# other alarm of the pipeline notify (besides var.alarm_actions); var.alarm_emails subscribe
# to it.

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

# CloudWatch alarms of this account may publish; nobody else.
resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudWatchAlarms"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.${local.dns_suffix}" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alarms.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-*" }
      }
    }]
  })
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = concat([aws_sns_topic.alarms.arn], var.alarm_actions)
}

resource "aws_cloudwatch_metric_alarm" "failed_runs" {
  alarm_name          = "${local.name}-failed-runs"
  alarm_description   = "Wharf ${var.customer}: more than ${var.alarm_failed_runs_threshold} workflow run(s) ended failed in 5 minutes; `wharf history --bucket B --customer ${var.customer} WORKFLOW` shows them."
  namespace           = "Wharf"
  metric_name         = "FailedRuns"
  dimensions          = { Customer = var.customer }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_failed_runs_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  tags                = local.tags
}
