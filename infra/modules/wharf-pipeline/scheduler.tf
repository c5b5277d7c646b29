# One schedule per workflow, in the customer's schedule group or a shared one
# (schedule_group_name), from the workflows' `schedule:` (`wharf schedule --terraform`,
# docs/schedule.md). The Lambda receives the input verbatim: {"workflow": "<workflow name>"}.

resource "aws_scheduler_schedule_group" "this" {
  count = local.create_schedule_group ? 1 : 0

  name = local.name
  tags = local.tags
}

resource "aws_scheduler_schedule" "workflow" {
  for_each = var.workflows

  name        = "${local.schedule_name_prefix}${each.key}"
  group_name  = local.create_schedule_group ? aws_scheduler_schedule_group.this[0].name : local.schedule_group
  description = "Wharf: run workflow ${each.key} of ${var.customer}"
  state       = each.value.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn = aws_kms_key.this.arn

  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = each.value.timezone
  start_date                   = each.value.start_date
  end_date                     = each.value.end_date

  # Many customers share expressions like rate(15 minutes): a window spreads their starts.
  flexible_time_window {
    mode                      = var.schedule_flexible_window_minutes > 0 ? "FLEXIBLE" : "OFF"
    maximum_window_in_minutes = var.schedule_flexible_window_minutes > 0 ? var.schedule_flexible_window_minutes : null
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ workflow = each.key })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.invoke_dlq.arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
