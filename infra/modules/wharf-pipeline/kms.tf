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
      {
        # CloudWatch alarms publish to the pipeline's SNS topic, encrypted with the key.
        Sid       = "AllowCloudWatchAlarmsToTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.${local.dns_suffix}" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

# The component manifest's signing key (asymmetric, ECC_NIST_P256): `wharf deploy --signing-key`
# signs the manifest of the components it uploads, and the Lambda verifies it (kms:Verify only)
# before it uses a component or precompiled code. Whoever may sign with it can give the function
# code to run: grant kms:Sign to the deploying principal alone (deployer_principals).
resource "aws_kms_key" "signing" {
  #checkov:skip=CKV_AWS_7:Asymmetric keys cannot be rotated by KMS; rotate by creating a new key and redeploying.
  description              = "Wharf pipeline of ${var.customer}: signs the deployed component manifest"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_NIST_P256"
  deletion_window_in_days  = var.kms_deletion_window_days
  tags                     = local.tags

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          # Administration stays with the account's IAM; use (Sign, Verify) is granted below
          # and in iam.tf.
          Sid       = "EnableIamAdministration"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
          Action = [
            "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
            "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
            "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
          ]
          Resource = "*"
        },
      ],
      length(var.deployer_principals) == 0 ? [] : [
        {
          Sid       = "DeployersSign"
          Effect    = "Allow"
          Principal = { AWS = var.deployer_principals }
          Action    = ["kms:Sign", "kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
          Resource  = "*"
        },
      ],
    )
  })
}

resource "aws_kms_alias" "signing" {
  name          = "alias/${local.name}-signing"
  target_key_id = aws_kms_key.signing.key_id
}
