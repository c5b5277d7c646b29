# Two customers, each with its own pipeline (bucket, Lambda, queues, schedules, runner role).

locals {
  lambda_zip = coalesce(var.lambda_zip, "${path.root}/../../../target/lambda/wharf-lambda.zip")
}

module "acme_garden" {
  source = "../../modules/wharf-pipeline"

  customer            = "acme-garden"
  lambda_zip          = local.lambda_zip
  lambda_architecture = var.lambda_architecture

  # Written from the workflows' own `schedule:` blocks (docs/schedule.md):
  #   wharf schedule --terraform examples/sftp-to-sage.yaml -o schedules/acme-garden.json
  workflows = jsondecode(file("${path.module}/schedules/acme-garden.json"))

  runner_trusted_principals = var.acme_garden_runner_principals

  tags = {
    customer = "acme-garden"
  }
}

module "brightlight" {
  source = "../../modules/wharf-pipeline"

  customer            = "brightlight"
  lambda_zip          = local.lambda_zip
  lambda_architecture = var.lambda_architecture

  # Every 30 minutes in office hours, from examples/bigcommerce-to-sage.yaml's `schedule:`:
  #   wharf schedule --terraform examples/bigcommerce-to-sage.yaml -o schedules/brightlight.json
  workflows = jsondecode(file("${path.module}/schedules/brightlight.json"))

  # A smaller customer: less memory, shorter archive. (Acme Garden reserves no concurrency, the
  # default; Brightlight reserves 3 so its office-hours runs are never starved by other tenants.)
  lambda_memory_mb            = 512
  lambda_reserved_concurrency = 3
  archive_expiration_days     = 180

  runner_trusted_principals = var.brightlight_runner_principals

  tags = {
    customer = "brightlight"
  }
}
