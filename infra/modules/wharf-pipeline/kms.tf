# One customer-managed key per pipeline: S3 objects, the queues, the Lambda environment,
# the schedules' input and the log group are all encrypted with it.
#
# The key policy is written inline (not as an aws_iam_policy_document) because a key policy's
# Resource is always "*" (the key itself), which IAM-policy checks would read as unconstrained.

resource "aws_kms_key" "this" {
  description             = "Wharf pipeline of ${var.customer}: S3, SQS, Lambda environment, schedules and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  tags                    = local.tags

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration and use are delegated to IAM policies of this account: the Lambda,
        # scheduler and runner roles each get exactly the kms: actions they need in iam.tf.
        Sid       = "EnableIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts the Lambda's log group with the key (a service principal, so
        # it needs a key-policy grant), for that log group only.
        Sid       = "AllowCloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.lambda_log_group}"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}
