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
  # timeout; AWS recommends six times it, so retries after throttling do not race a live batch.
  results_visibility_timeout_seconds = min(43200, 6 * var.lambda_timeout_seconds)

  # With no trusted principals given, the runner role trusts this account (IAM decides who).
  runner_principals = length(var.runner_trusted_principals) > 0 ? var.runner_trusted_principals : ["arn:${local.partition}:iam::${local.account_id}:root"]

  tags = merge(var.tags, {
    "wharf:customer" = var.customer
  })
}
