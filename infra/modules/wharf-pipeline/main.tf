# Wharf cloud mode: one pipeline per customer.
#
#   EventBridge Scheduler --{"workflow": "<name>"}--> Lambda --> jobs queue --> on-prem Sage runner
#                                                       ^                              |
#                                                       +-------- results queue <------+
#
# Everything lives in one S3 bucket under the `<customer>/` prefix, encrypted with one KMS key.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  dns_suffix = data.aws_partition.current.dns_suffix

  name        = "wharf-${var.customer}"
  bucket_name = coalesce(var.bucket_name, "wharf-${var.customer}-${local.account_id}-${local.region}")

  # S3 layout (see infra/README.md): everything of this customer is under `<customer>/`.
  prefix      = "${var.customer}/"
  jobs_prefix = "${var.customer}/jobs/"

  lambda_function_name = local.name
  lambda_log_group     = "/aws/lambda/${local.lambda_function_name}"

  # Lambda requires the visibility timeout of an event-source queue to be at least the function
  # timeout. One message is one invocation (batch size 1), so the timeout plus a minute for the
  # runtime's start is enough for a live invocation; a longer one (AWS's generic advice is six
  # times) only delays the retry of a result the function failed or was throttled on, and every
  # such retry is a wait of the whole visibility timeout.
  results_visibility_timeout_seconds = min(43200, var.lambda_timeout_seconds + 60)

  # Schedules: one group per customer, or a shared group (schedule names then carry the customer).
  create_schedule_group = var.schedule_group_name == null
  schedule_group        = coalesce(var.schedule_group_name, local.name)
  schedule_name_prefix  = local.create_schedule_group ? "" : "${var.customer}-"

  # The runner role trusts only the named principals, plus the runner user when one is created.
  runner_principals = concat(
    var.runner_trusted_principals,
    var.runner_create_iam_user ? ["arn:${local.partition}:iam::${local.account_id}:user/${local.name}-runner"] : [],
  )

  tags = merge(var.tags, {
    "wharf:customer" = var.customer
  })
}
