# Two customers, each with its own pipeline (bucket, Lambda, queues, schedules, runner role).

locals {
  lambda_zip = coalesce(var.lambda_zip, "${path.root}/../../../target/lambda/wharf-lambda.zip")
}

module "acme_garden" {
  source = "../../modules/wharf-pipeline"

  customer            = "acme-garden"
  lambda_zip          = local.lambda_zip
  lambda_architecture = var.lambda_architecture

  workflows = {
    "sftp-to-sage" = {
      schedule_expression = "rate(15 minutes)"
    }
    "stock-push" = {
      schedule_expression = "cron(0 * * * ? *)" # hourly, on the hour
    }
  }

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

  workflows = {
    "orders-to-sage" = {
      schedule_expression = "cron(0/30 7-19 ? * MON-FRI *)" # every 30 minutes, office hours
      timezone            = "Europe/London"
    }
  }

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
