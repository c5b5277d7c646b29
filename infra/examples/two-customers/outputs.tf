output "acme_garden" {
  description = "Acme Garden's pipeline."
  value = {
    bucket            = module.acme_garden.bucket_name
    lambda            = module.acme_garden.lambda_function_name
    jobs_queue_url    = module.acme_garden.jobs_queue_url
    results_queue_url = module.acme_garden.results_queue_url
    schedules         = module.acme_garden.schedule_arns
    runner            = module.acme_garden.runner_config
  }
}

output "brightlight" {
  description = "Brightlight's pipeline."
  value = {
    bucket            = module.brightlight.bucket_name
    lambda            = module.brightlight.lambda_function_name
    jobs_queue_url    = module.brightlight.jobs_queue_url
    results_queue_url = module.brightlight.results_queue_url
    schedules         = module.brightlight.schedule_arns
    runner            = module.brightlight.runner_config
  }
}
