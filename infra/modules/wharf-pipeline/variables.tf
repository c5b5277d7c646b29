variable "customer" {
  description = "Customer prefix: names every resource and is the top-level prefix of every S3 key (`<customer>/...`). Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,26}[a-z0-9])?$", var.customer))
    error_message = "customer must be 1-28 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "bucket_name" {
  description = "Name of the customer's S3 bucket. Default: wharf-<customer>-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens)."
  }
}

variable "workflows" {
  description = "Workflows to schedule, by workflow name (the `<customer>/<name>/workflow.yaml` that `wharf deploy` uploads): what `wharf schedule --terraform` writes from the workflows' `schedule:` blocks (docs/schedule.md). Each gets an EventBridge Scheduler schedule that invokes the Lambda with {\"workflow\": \"<name>\"} and an archive lifecycle rule."
  type = map(object({
    schedule_expression = string
    timezone            = optional(string, "Europe/London")
    enabled             = optional(bool, true)
    start_date          = optional(string)
    end_date            = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.workflows) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", name))])
    error_message = "Workflow names must be 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit."
  }

  validation {
    condition     = length(setintersection(keys(var.workflows), ["workflows", "components", "jobs"])) == 0
    error_message = "Workflow names 'workflows', 'components' and 'jobs' are reserved: they are S3 prefixes of the pipeline itself."
  }

  validation {
    condition     = alltrue([for w in values(var.workflows) : can(regex("^(rate|cron|at)\\(.+\\)$", w.schedule_expression))])
    error_message = "schedule_expression must be an EventBridge Scheduler expression: rate(...), cron(...) or at(...)."
  }
}

variable "lambda_zip" {
  description = "Path of the Lambda deployment package: a zip holding the `bootstrap` binary (`make lambda` writes target/lambda/wharf-lambda.zip). It need not exist to plan; it must exist to apply."
  type        = string
}

variable "lambda_architecture" {
  description = "Instruction set of the `bootstrap` binary: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_memory_mb" {
  description = "Lambda memory in MiB (CPU scales with it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Lambda timeout in seconds: the longest a single workflow run or results batch may take."
  type        = number
  default     = 900

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 1 and 900."
  }
}

variable "lambda_deadline_margin_seconds" {
  description = "Seconds of the Lambda timeout kept back: a run pauses before starting a task once less than this is left, and continues in a fresh invocation. Set it above the longest single task."
  type        = number
  default     = 120

  validation {
    condition     = var.lambda_deadline_margin_seconds >= 5 && var.lambda_deadline_margin_seconds < 900
    error_message = "lambda_deadline_margin_seconds must be between 5 and 899."
  }
}

variable "suspension_resend_seconds" {
  description = "A run suspended at a Sage task sends its job again when no answer came this long after it was last sent (the runner answers a job it already ran from its record)."
  type        = number
  default     = 21600 # 6 hours

  validation {
    condition     = var.suspension_resend_seconds >= 60
    error_message = "suspension_resend_seconds must be at least 60."
  }
}

variable "suspension_max_age_seconds" {
  description = "A schedule that finds its workflow's run suspended longer than this ends that run as failed (with the reason in its record) and starts a new one. Below message_retention_seconds."
  type        = number
  default     = 1123200 # 13 days

  validation {
    condition     = var.suspension_max_age_seconds >= 3600
    error_message = "suspension_max_age_seconds must be at least 3600."
  }
}

variable "lambda_ephemeral_storage_mb" {
  description = "Size of the Lambda's /tmp in MiB (a run's working directory lives there)."
  type        = number
  default     = 1024

  validation {
    condition     = var.lambda_ephemeral_storage_mb >= 512 && var.lambda_ephemeral_storage_mb <= 10240
    error_message = "lambda_ephemeral_storage_mb must be between 512 and 10240."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved (and so maximum) concurrent executions of the customer's Lambda, or null (the default) to reserve none and draw on the account's unreserved pool. An account may reserve at most its concurrency quota less 100, so at 500 customers reserving 5 each exceeds the default quota of 1,000: reserve only for customers that need a guarantee (see docs/cloud.md)."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 3, false)
    error_message = "lambda_reserved_concurrency must be null or at least 3 (the results queue mapping needs 2, and scheduled runs need headroom beside it)."
  }
}

variable "results_max_concurrency" {
  description = "Most concurrent Lambda invocations the results queue mapping may use (2 or more; below lambda_reserved_concurrency when that is set, so scheduled runs keep headroom)."
  type        = number
  default     = 2

  validation {
    condition     = var.results_max_concurrency >= 2 && var.results_max_concurrency <= 1000
    error_message = "results_max_concurrency must be between 2 and 1000."
  }
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing of the Lambda: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.lambda_tracing_mode)
    error_message = "lambda_tracing_mode must be Active or PassThrough."
  }
}

variable "lambda_async_retry_attempts" {
  description = "Retries of a failed scheduled (asynchronous) invocation, 0-2. Default 0: a failed run resumes at its next schedule (resume-on-failure), and the failed event goes to the invoke dead-letter queue."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_async_retry_attempts >= 0 && var.lambda_async_retry_attempts <= 2
    error_message = "lambda_async_retry_attempts must be 0, 1 or 2."
  }
}

variable "rust_log" {
  description = "RUST_LOG of the Lambda."
  type        = string
  default     = "info"
}

variable "archive_transition_days" {
  description = "Days after which objects under `<customer>/<workflow>/archive/` move to archive_transition_storage_class."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_transition_days >= 1
    error_message = "archive_transition_days must be at least 1."
  }
}

variable "archive_transition_storage_class" {
  description = "Cheaper storage class archived objects move to."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.archive_transition_storage_class)
    error_message = "archive_transition_storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "archive_expiration_days" {
  description = "Days after which objects under `<customer>/<workflow>/archive/` expire (must be later than archive_transition_days)."
  type        = number
  default     = 365

  validation {
    condition     = var.archive_expiration_days >= 2
    error_message = "archive_expiration_days must be at least 2."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions (overwritten or deleted objects) expire."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "access_log_bucket" {
  description = "Optional existing bucket that receives S3 server access logs of the pipeline bucket (under access_log_prefix). Null: no server access logging."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of the server access logs in access_log_bucket. Default: s3/<bucket name>/."
  type        = string
  default     = null
}

variable "max_receive_count" {
  description = "Receives of a jobs message before it moves to its dead-letter queue. The runner answers a job with a refusal on its last receive, so a job that keeps crashing the runner still ends the run that waits for it."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "results_max_receive_count" {
  description = "Receives of a results message before it moves to its dead-letter queue. Higher than the jobs queue's: a receive the event source mapping could not hand to a throttled function still counts."
  type        = number
  default     = 10

  validation {
    condition     = var.results_max_receive_count >= 1 && var.results_max_receive_count <= 1000
    error_message = "results_max_receive_count must be between 1 and 1000."
  }
}

variable "jobs_visibility_timeout_seconds" {
  description = "Visibility timeout of the jobs queue: how long a Sage job stays hidden after the runner receives it; the runner heartbeats with ChangeMessageVisibility while it works."
  type        = number
  default     = 300

  validation {
    condition     = var.jobs_visibility_timeout_seconds >= 0 && var.jobs_visibility_timeout_seconds <= 43200
    error_message = "jobs_visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "message_retention_seconds" {
  description = "How long the jobs and results queues keep a message. SQS deletes an expired message without dead-lettering it, so the default is the most SQS allows: a runner may be offline for days (a holiday) and its jobs must still be there."
  type        = number
  default     = 1209600 # 14 days

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the dead-letter queues keep a message. A dead-lettered message keeps its original enqueue time, so this counts from when it was first sent; the DLQ alarms fire as soon as one arrives."
  type        = number
  default     = 1209600 # 14 days

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda's CloudWatch log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the pipeline's KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "runner_trusted_principals" {
  description = "IAM principal ARNs allowed to assume the Sage runner role (e.g. the role the on-premises runner's host signs in as through IAM Roles Anywhere or SSO). Required unless runner_create_iam_user is set: the role never trusts the whole account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.runner_trusted_principals : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:.+$", arn)) && !can(regex(":root$", arn))])
    error_message = "runner_trusted_principals must be IAM or STS principal ARNs of roles or users (arn:aws:iam::123456789012:role/name, ...), not an account root."
  }
}

variable "runner_external_id" {
  description = "Optional sts:ExternalId the runner must pass when it assumes the runner role."
  type        = string
  default     = null
}

variable "runner_max_session_seconds" {
  description = "Longest session of the runner role, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.runner_max_session_seconds >= 3600 && var.runner_max_session_seconds <= 43200
    error_message = "runner_max_session_seconds must be between 3600 and 43200."
  }
}

variable "runner_create_iam_user" {
  description = "Also create an IAM user (in a group holding the runner policy) for a runner that cannot assume a role. Not recommended: it needs a static access key, which this module does not create (create it out of band so the secret never enters Terraform state)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "schedule_group_name" {
  description = "An existing EventBridge Scheduler schedule group to put this customer's schedules in (named <customer>-<workflow> there), or null to create one group per customer. An account has at most 500 schedule groups: from a few hundred customers on, share one group per deployment."
  type        = string
  default     = null
}

variable "schedule_flexible_window_minutes" {
  description = "Flexible time window of the schedules, in minutes (0 = fire exactly on time). A window spreads the customers' runs that share an expression instead of starting them all in the same second."
  type        = number
  default     = 5

  validation {
    condition     = var.schedule_flexible_window_minutes >= 0 && var.schedule_flexible_window_minutes <= 1440
    error_message = "schedule_flexible_window_minutes must be between 0 and 1440."
  }
}

variable "jobs_expiration_days" {
  description = "Days after which Sage job objects (<customer>/jobs/) are deleted. Keep it longer than a run may stay suspended waiting for its job: a job message lives at most 14 days in its queue."
  type        = number
  default     = 30

  validation {
    condition     = var.jobs_expiration_days >= 15 && var.jobs_expiration_days <= 3650
    error_message = "jobs_expiration_days must be between 15 and 3650 (longer than the 14 days a job message can wait in its queue)."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires, besides the pipeline's own SNS topic (output alarm_topic_arn): a message in a dead-letter queue, a Sage job or result waiting too long, failed invocations. Empty: the alarms exist but notify nobody."
  type        = list(string)
  default     = []
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the pipeline's alarm topic (each confirms the subscription from the message AWS sends)."
  type        = list(string)
  default     = []
}

variable "alarm_failed_runs_threshold" {
  description = "Alarm when more workflow runs than this end failed within 5 minutes (0: any failed run)."
  type        = number
  default     = 0

  validation {
    condition     = var.alarm_failed_runs_threshold >= 0
    error_message = "alarm_failed_runs_threshold must be 0 or more."
  }
}

variable "alarm_oldest_job_age_seconds" {
  description = "Alarm when the oldest Sage job has waited this long in the jobs queue (the runner is offline or stuck)."
  type        = number
  default     = 3600

  validation {
    condition     = var.alarm_oldest_job_age_seconds >= 300
    error_message = "alarm_oldest_job_age_seconds must be at least 300."
  }
}

variable "deployer_principals" {
  description = "IAM principal ARNs that may sign the component manifest (run `wharf deploy --signing-key <signing_key_arn>`). Nobody else can sign: an object in components/ that the manifest does not vouch for is refused by the function."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.deployer_principals : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:.+$", arn)) && !can(regex(":root$", arn))])
    error_message = "deployer_principals must be IAM or STS principal ARNs of roles or users, not an account root."
  }
}

variable "secret_name_prefix" {
  description = "Secrets Manager names the function may read for connections' `{ aws-secret: NAME }` secrets: those starting with this prefix. Null means `wharf/<customer>/`."
  type        = string
  default     = null

  validation {
    condition     = var.secret_name_prefix == null || can(regex("^[A-Za-z0-9/_+=.@-]+$", var.secret_name_prefix))
    error_message = "secret_name_prefix may hold letters, digits and / _ + = . @ - only."
  }
}
