# One schedule per workflow, in the customer's schedule group. The Lambda receives the input
# verbatim: {"workflow": "<workflow name>"}.

resource "aws_scheduler_schedule_group" "this" {
  name = local.name
  tags = local.tags
}

resource "aws_scheduler_schedule" "workflow" {
  for_each = var.workflows

  name        = each.key
  group_name  = aws_scheduler_schedule_group.this.name
  description = "Wharf: run workflow ${each.key} of ${var.customer}"
  state       = each.value.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn = aws_kms_key.this.arn

  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = each.value.timezone

  flexible_time_window {
    mode = "OFF"
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
