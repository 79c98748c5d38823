################################################################################
# Functions
################################################################################

variable "consolidate_function_name" {
  description = "Name of the consolidate function."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.consolidate_function_name))
    error_message = "consolidate_function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "analyze_function_name" {
  description = "Name of the analyze function."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.analyze_function_name))
    error_message = "analyze_function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "consolidate_role_arn" {
  description = "Execution role ARN of the consolidate function."
  type        = string
}

variable "analyze_role_arn" {
  description = "Execution role ARN of the analyze function."
  type        = string
}

variable "package_path" {
  description = "Path of the cargo-lambda zip (target/lambda/cloudtrail-analyzer/bootstrap.zip) shared by both functions."
  type        = string
}

variable "architecture" {
  description = "Instruction set of the functions; must match the cargo lambda build (--arm64 or --x86-64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "consolidate_memory_size" {
  description = "Memory (MB) of the consolidate function; CTA_MEMORY_LIMIT_MB, the analyzer component's cap, is this minus 256 MB (at least 128) to leave room for the host process."
  type        = number
  default     = 2048

  validation {
    condition     = var.consolidate_memory_size >= 128 && var.consolidate_memory_size <= 10240 && floor(var.consolidate_memory_size) == var.consolidate_memory_size
    error_message = "consolidate_memory_size must be a whole number between 128 and 10240."
  }
}

variable "consolidate_timeout" {
  description = "Timeout (seconds) of the consolidate function; also passed as CTA_TIME_LIMIT_SECS."
  type        = number
  default     = 900

  validation {
    condition     = var.consolidate_timeout >= 1 && var.consolidate_timeout <= 900 && floor(var.consolidate_timeout) == var.consolidate_timeout
    error_message = "consolidate_timeout must be a whole number between 1 and 900."
  }
}

variable "consolidate_reserved_concurrency" {
  description = "Reserved concurrency of the consolidate function; -1 leaves it unreserved."
  type        = number
  default     = 5

  validation {
    condition     = var.consolidate_reserved_concurrency == -1 || var.consolidate_reserved_concurrency >= 1
    error_message = "consolidate_reserved_concurrency must be -1 (unreserved) or >= 1."
  }
}

variable "analyze_memory_size" {
  description = "Memory (MB) of the analyze function; CTA_MEMORY_LIMIT_MB, the analyzer component's cap, is this minus 256 MB (at least 128) to leave room for the host process."
  type        = number
  default     = 1024

  validation {
    condition     = var.analyze_memory_size >= 128 && var.analyze_memory_size <= 10240 && floor(var.analyze_memory_size) == var.analyze_memory_size
    error_message = "analyze_memory_size must be a whole number between 128 and 10240."
  }
}

variable "analyze_timeout" {
  description = "Timeout (seconds) of the analyze function; also passed as CTA_TIME_LIMIT_SECS."
  type        = number
  default     = 300

  validation {
    condition     = var.analyze_timeout >= 1 && var.analyze_timeout <= 900 && floor(var.analyze_timeout) == var.analyze_timeout
    error_message = "analyze_timeout must be a whole number between 1 and 900."
  }
}

variable "analyze_reserved_concurrency" {
  description = "Reserved concurrency of the analyze function; -1 leaves it unreserved."
  type        = number
  default     = 10

  validation {
    condition     = var.analyze_reserved_concurrency == -1 || var.analyze_reserved_concurrency >= 1
    error_message = "analyze_reserved_concurrency must be -1 (unreserved) or >= 1."
  }
}

variable "ephemeral_storage_size" {
  description = "Size (MB) of /tmp for the analyze function (holds CTA_CACHE_DIR)."
  type        = number
  default     = 512

  validation {
    condition     = var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240 && floor(var.ephemeral_storage_size) == var.ephemeral_storage_size
    error_message = "ephemeral_storage_size must be a whole number between 512 and 10240."
  }
}

variable "consolidate_ephemeral_storage_size" {
  description = "Size (MB) of /tmp for the consolidate function: the compiled-component cache, then half of the rest for the sorted runs of days larger than memory (CTA_SCRATCH_LIMIT_MB) and room for the parts waiting to be uploaded."
  type        = number
  default     = 4096

  validation {
    condition     = var.consolidate_ephemeral_storage_size >= 512 && var.consolidate_ephemeral_storage_size <= 10240 && floor(var.consolidate_ephemeral_storage_size) == var.consolidate_ephemeral_storage_size
    error_message = "consolidate_ephemeral_storage_size must be a whole number between 512 and 10240."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode of both functions."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for encrypting environment variables at rest; null uses the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "code_signing_config_arn" {
  description = "Optional Lambda code signing config ARN applied to both functions."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]+$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be a Lambda code signing config ARN."
  }
}

################################################################################
# Logs
################################################################################

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "log_group_kms_key_arn" {
  description = "Customer managed KMS key for the log groups; the key policy must allow logs.<region>.amazonaws.com. Null uses CloudWatch Logs default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.log_group_kms_key_arn))
    error_message = "log_group_kms_key_arn must be a KMS key ARN."
  }
}

################################################################################
# Environment (CTA_*)
################################################################################

variable "log_bucket_name" {
  description = "CTA_LOG_BUCKET."
  type        = string
}

variable "log_bucket_arn" {
  description = "ARN of the log bucket, the only S3 source allowed to invoke the analyze function."
  type        = string
}

variable "log_prefix" {
  description = "CTA_LOG_PREFIX (both functions): prefix in front of AWSLogs/."
  type        = string
  default     = ""
}

variable "consolidated_prefix" {
  description = "CTA_CONSOLIDATED_PREFIX (both functions): prefix of consolidated partitions."
  type        = string
  default     = "consolidated/"
}

variable "enable_cleanup" {
  description = "CTA_CLEANUP (consolidate): delete raw files after a verified consolidation."
  type        = bool
  default     = true
}

variable "max_job_mb" {
  description = "Compressed MB of raw log files one consolidation step reads (CTA_MAX_JOB_MB); a partition with more is consolidated in several steps through the jobs queue."
  type        = number
  default     = 1024

  validation {
    condition     = var.max_job_mb >= 1 && var.max_job_mb <= 1048576 && floor(var.max_job_mb) == var.max_job_mb
    error_message = "max_job_mb must be a whole number between 1 and 1048576 (the host refuses more: CTA_MAX_JOB_MB)."
  }
}

variable "window_days" {
  description = "CTA_WINDOW_DAYS (consolidate): how many recent days of partitions each plan covers."
  type        = number
  default     = 2

  validation {
    condition     = var.window_days >= 1 && var.window_days <= 31 && floor(var.window_days) == var.window_days
    error_message = "window_days must be a whole number between 1 and 31 (the host refuses more: CTA_WINDOW_DAYS)."
  }
}

variable "output_bucket_name" {
  description = "CTA_OUTPUT_BUCKET (analyze)."
  type        = string
}

variable "output_prefix" {
  description = "CTA_OUTPUT_PREFIX (analyze)."
  type        = string
  default     = "reports/"
}

variable "component_uri" {
  description = "CTA_COMPONENT_URI: s3://<rules bucket>/<component key>."
  type        = string

  validation {
    condition     = can(regex("^s3://[^/]+/.+$", var.component_uri))
    error_message = "component_uri must look like s3://bucket/key."
  }
}

variable "component_sha256" {
  description = "CTA_COMPONENT_SHA256 (both functions): the SHA-256 the component must have, 64 lowercase hex digits; any other bytes are refused before compiling. \"\" for no pin."
  type        = string
  default     = ""

  validation {
    condition     = var.component_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.component_sha256))
    error_message = "component_sha256 must be empty or 64 lowercase hexadecimal digits."
  }
}

variable "config_uri" {
  description = "CTA_CONFIG_URI: s3:// URI of the rules config JSON, or \"\" when unset."
  type        = string
  default     = ""

  validation {
    condition     = var.config_uri == "" || can(regex("^s3://[^/]+/.+$", var.config_uri))
    error_message = "config_uri must be empty or look like s3://bucket/key."
  }
}

variable "sigma_uri" {
  description = "CTA_SIGMA_URI: s3:// prefix of the Sigma rule files, or \"\" when unset."
  type        = string
  default     = ""

  validation {
    condition     = var.sigma_uri == "" || can(regex("^s3://[^/]+/.+/$", var.sigma_uri))
    error_message = "sigma_uri must be empty or look like s3://bucket/prefix/."
  }
}

variable "sns_topic_arn" {
  description = "CTA_SNS_TOPIC_ARN (analyze), \"\" when SNS alerts are off."
  type        = string
  default     = ""
}

variable "event_bus_name" {
  description = "CTA_EVENT_BUS_NAME (analyze), \"\" when EventBridge alerts are off."
  type        = string
  default     = ""
}

variable "cache_dir" {
  description = "CTA_CACHE_DIR: local cache of the compiled component."
  type        = string
  default     = "/tmp/cloudtrail-analyzer"
}

variable "rust_log" {
  description = "RUST_LOG filter for both functions."
  type        = string
  default     = "info"
}

################################################################################
# Queues and triggers
################################################################################

variable "jobs_queue_arn" {
  description = "ARN of the SQS jobs queue consumed by the consolidate function."
  type        = string
}

variable "jobs_queue_url" {
  description = "CTA_JOB_QUEUE_URL: URL of the SQS jobs queue the planner sends to."
  type        = string
}

variable "reports_queue_arn" {
  description = "ARN of the SQS report queue consumed by the analyze function (one build of a day at a time)."
  type        = string
}

variable "reports_queue_url" {
  description = "CTA_REPORT_QUEUE_URL: URL of the SQS report queue the analyze function asks for day reports on."
  type        = string
}

variable "report_debounce_seconds" {
  description = "CTA_REPORT_DEBOUNCE_SECS: the debounce window of day report requests (the report queue's delivery delay is the same)."
  type        = number
  default     = 60

  validation {
    condition     = var.report_debounce_seconds >= 1 && var.report_debounce_seconds <= 300 && floor(var.report_debounce_seconds) == var.report_debounce_seconds
    error_message = "report_debounce_seconds must be a whole number between 1 and 300 (the host refuses more: CTA_REPORT_DEBOUNCE_SECS)."
  }
}

variable "reports_dlq_name" {
  description = "Name of the report queue's dead-letter queue (alarm dimension)."
  type        = string
}

variable "jobs_dlq_name" {
  description = "Name of the jobs dead-letter queue (alarm dimension)."
  type        = string
}

variable "async_dlq_arn" {
  description = "ARN of the SQS dead-letter queue for failed asynchronous invocations."
  type        = string
}

variable "async_dlq_name" {
  description = "Name of the asynchronous-invocation dead-letter queue (alarm dimension)."
  type        = string
}

variable "sqs_batch_size" {
  description = "Job messages per consolidate invocation."
  type        = number
  default     = 1

  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10 && floor(var.sqs_batch_size) == var.sqs_batch_size
    error_message = "sqs_batch_size must be a whole number between 1 and 10."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Optional cap on concurrent consolidate invocations from the jobs queue (2-1000); null for none."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_maximum_concurrency == null || try(var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000, false)
    error_message = "sqs_maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation before it goes to the dead-letter queue."
  type        = number
  default     = 2

  validation {
    condition     = var.async_maximum_retry_attempts >= 0 && var.async_maximum_retry_attempts <= 2
    error_message = "async_maximum_retry_attempts must be between 0 and 2."
  }
}

variable "async_maximum_event_age_in_seconds" {
  description = "Maximum age of an asynchronous event before it goes to the dead-letter queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_maximum_event_age_in_seconds >= 60 && var.async_maximum_event_age_in_seconds <= 21600
    error_message = "async_maximum_event_age_in_seconds must be between 60 and 21600."
  }
}

variable "enable_schedule" {
  description = "Allow the schedule rule to invoke the consolidate function."
  type        = bool
  default     = true
}

variable "schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule allowed to invoke the consolidate function."
  type        = string
  default     = null
}

################################################################################
# Alarms
################################################################################

variable "enable_alarms" {
  description = "Create CloudWatch alarms on function Errors and dead-letter queue depth."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm fires."
  type        = list(string)
  default     = []
}

variable "enable_alarm_ok_actions" {
  description = "Also notify alarm_actions when an alarm returns to OK."
  type        = bool
  default     = false
}

variable "alarm_period_seconds" {
  description = "Evaluation period of the alarms."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 30 or a multiple of 60."
  }
}

variable "errors_alarm_threshold" {
  description = "Errors per period that trigger a function error alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.errors_alarm_threshold >= 1
    error_message = "errors_alarm_threshold must be >= 1."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
