# `terraform test` for the module, with a mocked AWS provider: nothing is created and no
# credentials or network are needed (only the provider's schema). infra/check.sh runs it when a
# terraform binary and the hashicorp/aws provider are available.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-2"
    }
  }

  # Policy documents are rendered by the real provider only; the roles need some JSON object.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-2:123456789012:mocked"
      url = "https://sqs.eu-west-2.amazonaws.com/123456789012/mocked"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mocked"
    }
  }

  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::123456789012:policy/mocked"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-2:123456789012:log-group:mocked"
    }
  }

  mock_resource "aws_scheduler_schedule_group" {
    defaults = {
      arn = "arn:aws:scheduler:eu-west-2:123456789012:schedule-group/mocked"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-2:123456789012:wharf-acme-garden-alarms"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-2:123456789012:function:mocked"
    }
  }
}

variables {
  customer                  = "acme-garden"
  lambda_zip                = "does-not-exist/wharf-lambda.zip"
  runner_trusted_principals = ["arn:aws:iam::123456789012:role/acme-sage-host"]
  workflows = {
    "sftp-to-sage" = { schedule_expression = "rate(15 minutes)" }
    "stock-push"   = { schedule_expression = "cron(0 * * * ? *)", enabled = false }
  }
}

run "defaults" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_runs.namespace == "Wharf" &&
      aws_cloudwatch_metric_alarm.failed_runs.metric_name == "FailedRuns" &&
      aws_cloudwatch_metric_alarm.failed_runs.dimensions == tomap({ Customer = "acme-garden" }) &&
      aws_cloudwatch_metric_alarm.failed_runs.threshold == 0 &&
      aws_cloudwatch_metric_alarm.failed_runs.alarm_actions == toset(["arn:aws:sns:eu-west-2:123456789012:wharf-acme-garden-alarms"]) &&
      aws_cloudwatch_metric_alarm.function_errors.alarm_actions == toset(["arn:aws:sns:eu-west-2:123456789012:wharf-acme-garden-alarms"])
    )
    error_message = "the failed-runs alarm does not watch Wharf/FailedRuns of the customer, or alarms do not notify the pipeline's topic"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket == "wharf-acme-garden-123456789012-eu-west-2"
    error_message = "bucket name is not derived from customer, account and region"
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      WHARF_BUCKET                     = "wharf-acme-garden-123456789012-eu-west-2"
      WHARF_CUSTOMER                   = "acme-garden"
      WHARF_JOBS_QUEUE_URL             = "https://sqs.eu-west-2.amazonaws.com/123456789012/mocked"
      WHARF_RESULTS_QUEUE_URL          = "https://sqs.eu-west-2.amazonaws.com/123456789012/mocked"
      WHARF_DEADLINE_MARGIN_SECONDS    = "120"
      WHARF_SIGNING_KEY                = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
      WHARF_SUSPENSION_RESEND_SECONDS  = "21600"
      WHARF_SUSPENSION_MAX_AGE_SECONDS = "1123200"
      RUST_LOG                         = "info"
    })
    error_message = "Lambda environment is not the contract's"
  }

  assert {
    condition = (
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.handler == "bootstrap" &&
      aws_lambda_function.this.architectures == tolist(["x86_64"]) &&
      aws_lambda_function.this.timeout == 900 &&
      aws_lambda_function.this.reserved_concurrent_executions == -1
    )
    error_message = "Lambda runtime settings are wrong"
  }

  assert {
    condition     = aws_scheduler_schedule.workflow["sftp-to-sage"].target[0].input == "{\"workflow\":\"sftp-to-sage\"}"
    error_message = "schedule input is not {\"workflow\": \"<name>\"}"
  }

  assert {
    condition = (
      aws_scheduler_schedule.workflow["sftp-to-sage"].schedule_expression == "rate(15 minutes)" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].schedule_expression_timezone == "Europe/London" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].state == "ENABLED" &&
      aws_scheduler_schedule.workflow["stock-push"].state == "DISABLED" &&
      aws_scheduler_schedule.workflow["stock-push"].group_name == "wharf-acme-garden" &&
      aws_scheduler_schedule.workflow["stock-push"].name == "stock-push" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].flexible_time_window[0].mode == "FLEXIBLE" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].flexible_time_window[0].maximum_window_in_minutes == 5
    )
    error_message = "schedules are wrong"
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.results.batch_size == 1 &&
      aws_lambda_event_source_mapping.results.function_response_types == toset(["ReportBatchItemFailures"])
    )
    error_message = "results queue mapping is wrong"
  }

  assert {
    condition = (
      aws_sqs_queue.jobs.visibility_timeout_seconds == 300 &&
      aws_sqs_queue.results.visibility_timeout_seconds == 960 &&
      aws_sqs_queue.jobs.message_retention_seconds == 1209600 &&
      aws_sqs_queue.results.message_retention_seconds == 1209600 &&
      jsondecode(aws_sqs_queue.jobs.redrive_policy).maxReceiveCount == 5 &&
      jsondecode(aws_sqs_queue.results.redrive_policy).maxReceiveCount == 10
    )
    error_message = "queue settings are wrong"
  }

  assert {
    condition = toset([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.filter[0].prefix if startswith(r.id, "archive-")
    ]) == toset(["acme-garden/sftp-to-sage/archive/", "acme-garden/stock-push/archive/"])
    error_message = "archive lifecycle rules are not one per workflow"
  }

  assert {
    condition = one([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.expiration[0].days if r.id == "jobs"
    ]) == 30 && one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.filter[0].prefix if r.id == "jobs"]) == "acme-garden/jobs/"
    error_message = "Sage job objects do not expire"
  }

  assert {
    condition = (
      toset(keys(aws_cloudwatch_metric_alarm.queue)) == toset(["jobs-dead-letters", "results-dead-letters", "invoke-dead-letters", "jobs-waiting", "results-waiting"]) &&
      aws_cloudwatch_metric_alarm.queue["jobs-waiting"].threshold == 3600 &&
      aws_cloudwatch_metric_alarm.queue["results-waiting"].threshold == 1920 &&
      aws_cloudwatch_metric_alarm.queue["jobs-dead-letters"].threshold == 0
    )
    error_message = "alarms on dead letters and waiting messages are missing"
  }

  assert {
    condition     = aws_cloudwatch_log_group.lambda.retention_in_days == 365 && aws_cloudwatch_log_group.lambda.name == "/aws/lambda/wharf-acme-garden"
    error_message = "log group is wrong"
  }

  assert {
    condition     = length(aws_iam_user.runner) == 0 && output.runner_user_name == null
    error_message = "no runner IAM user should be created by default"
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0
    error_message = "no access logging without access_log_bucket"
  }
}

run "runner_user_on_request" {
  command = plan

  variables {
    runner_create_iam_user    = true
    runner_trusted_principals = ["arn:aws:iam::210987654321:role/sage-host"]
    access_log_bucket         = "central-access-logs"
  }

  assert {
    condition     = length(aws_iam_user.runner) == 1 && length(aws_iam_group_policy_attachment.runner) == 1
    error_message = "runner user and its group policy should be created"
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_prefix == "s3/wharf-acme-garden-123456789012-eu-west-2/"
    error_message = "access logging prefix is wrong"
  }
}

run "rejects_bad_customer" {
  command = plan

  variables {
    customer = "Acme_Garden"
  }

  expect_failures = [var.customer]
}

run "rejects_max_age_past_the_retention" {
  command = plan

  variables {
    suspension_max_age_seconds = 1209600
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_reserved_workflow_name" {
  command = plan

  variables {
    workflows = {
      jobs = { schedule_expression = "rate(1 hour)" }
    }
  }

  expect_failures = [var.workflows]
}

run "rejects_expiry_before_transition" {
  command = plan

  variables {
    archive_transition_days = 90
    archive_expiration_days = 60
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

run "rejects_results_concurrency_without_headroom" {
  command = plan

  variables {
    lambda_reserved_concurrency = 3
    results_max_concurrency     = 3
  }

  expect_failures = [aws_lambda_function.this]
}

run "reserved_concurrency_on_request" {
  command = plan

  variables {
    lambda_reserved_concurrency = 5
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5
    error_message = "reserved concurrency is not passed on"
  }
}

run "shared_schedule_group" {
  command = plan

  variables {
    schedule_group_name              = "wharf-production"
    schedule_flexible_window_minutes = 0
  }

  assert {
    condition = (
      length(aws_scheduler_schedule_group.this) == 0 &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].group_name == "wharf-production" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].name == "acme-garden-sftp-to-sage" &&
      aws_scheduler_schedule.workflow["sftp-to-sage"].flexible_time_window[0].mode == "OFF" &&
      output.schedule_group_name == "wharf-production"
    )
    error_message = "a shared schedule group is not used as asked"
  }
}

run "rejects_runner_role_without_principals" {
  command = plan

  variables {
    runner_trusted_principals = []
  }

  expect_failures = [aws_iam_role.runner]
}

run "rejects_account_root_as_runner_principal" {
  command = plan

  variables {
    runner_trusted_principals = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.runner_trusted_principals]
}

run "runner_user_alone_is_trusted" {
  command = plan

  variables {
    runner_trusted_principals = []
    runner_create_iam_user    = true
  }

  assert {
    condition     = length(aws_iam_user.runner) == 1
    error_message = "the runner user should be created"
  }
}
