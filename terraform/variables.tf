################################################################################
# General
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource name (buckets, functions, roles, queues, trail, rule). Lowercase letters, digits and hyphens."
  type        = string
  default     = "cta"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-20 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the buckets (SSE-KMS), the trail, the queues, the findings topic and Lambda environment variables. Null keeps SSE-S3 / service-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "log_group_kms_key_arn" {
  description = "Customer managed KMS key for the CloudWatch log groups (functions and optional trail group). Null uses CloudWatch Logs default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.log_group_kms_key_arn))
    error_message = "log_group_kms_key_arn must be a KMS key ARN."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional IAM permissions boundary for every role created here."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

################################################################################
# Buckets
################################################################################

variable "log_bucket_name" {
  description = "Name of the CloudTrail log bucket. Null: <name_prefix>-logs-<account>-<region>."
  type        = string
  default     = null
}

variable "output_bucket_name" {
  description = "Name of the reports bucket. Null: <name_prefix>-reports-<account>-<region>."
  type        = string
  default     = null
}

variable "rules_bucket_name" {
  description = "Name of the rules (component) bucket. Null: <name_prefix>-rules-<account>-<region>."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets. Keep false outside test accounts."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions (including consolidated-away raw logs) are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number >= 1."
  }
}

variable "create_access_log_bucket" {
  description = "Create a dedicated bucket for S3 server access logs of the three data buckets."
  type        = bool
  default     = true
}

variable "access_log_target_bucket" {
  description = "Existing access-log bucket to use when create_access_log_bucket is false (its policy must admit logging.s3.amazonaws.com). Null then disables access logging."
  type        = string
  default     = null
}

variable "access_log_target_prefix" {
  description = "Key prefix for access logs; each bucket logs under <prefix><bucket>/."
  type        = string
  default     = ""

  validation {
    condition     = var.access_log_target_prefix == "" || can(regex("^[^/].*/$", var.access_log_target_prefix))
    error_message = "access_log_target_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "access_log_expiration_days" {
  description = "Days after which access logs in the dedicated bucket expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expiration_days >= 1
    error_message = "access_log_expiration_days must be >= 1."
  }
}

################################################################################
# Key layout
################################################################################

variable "log_prefix" {
  description = "CTA_LOG_PREFIX: prefix in front of AWSLogs/ (the trail's s3_key_prefix plus '/'); empty for the bucket root."
  type        = string
  default     = ""

  validation {
    condition     = var.log_prefix == "" || can(regex("^[^/].*/$", var.log_prefix))
    error_message = "log_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "consolidated_prefix" {
  description = "CTA_CONSOLIDATED_PREFIX: where consolidated partitions go in the log bucket."
  type        = string
  default     = "consolidated/"

  validation {
    condition     = can(regex("^[^/].*/$", var.consolidated_prefix))
    error_message = "consolidated_prefix must end with '/' and not start with '/'."
  }
}

variable "output_prefix" {
  description = "CTA_OUTPUT_PREFIX: where reports and partial states go in the output bucket."
  type        = string
  default     = "reports/"

  validation {
    condition     = can(regex("^[^/].*/$", var.output_prefix)) && var.output_prefix != "findings-sent/"
    error_message = "output_prefix must end with '/', not start with '/', and differ from findings-sent/."
  }
}

################################################################################
# Artifacts
################################################################################

variable "lambda_package_path" {
  description = "Path of the cargo-lambda zip. Null: <repo>/target/lambda/cloudtrail-analyzer/bootstrap.zip."
  type        = string
  default     = null
}

variable "lambda_architecture" {
  description = "Lambda instruction set; must match the build (--arm64 -> arm64, --x86-64 -> x86_64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "create_component_object" {
  description = "Upload the analyzer component to components/analyzer.wasm in the rules bucket. False if it is managed entirely out of band."
  type        = bool
  default     = true
}

variable "component_source_path" {
  description = "Path of the analyzer component. Null: <repo>/target/wasm32-wasip2/release/analyzer_wasm.wasm."
  type        = string
  default     = null
}

variable "rules_config_path" {
  description = "Optional rules config JSON uploaded to config/rules.json (CTA_CONFIG_URI); null for none."
  type        = string
  default     = null
}

variable "sigma_rules_path" {
  description = "Optional local folder of Sigma rule files (*.yml, *.yaml) uploaded under sigma/ in the rules bucket and loaded by both functions beside the built-in rules (CTA_SIGMA_URI); null for none."
  type        = string
  default     = null

  # An empty prefix would fail every invocation (the functions refuse to run
  # without the operator's rules), so an empty folder is refused here.
  validation {
    condition     = var.sigma_rules_path == null || length(fileset(coalesce(var.sigma_rules_path, "."), "**/*.{yml,yaml}")) > 0
    error_message = "sigma_rules_path must name a folder holding at least one .yml or .yaml file."
  }
}

variable "component_writer_arns" {
  description = "IAM principals (role, user or root ARNs; ArnLike wildcards allowed after role/ or user/) allowed to write or delete the component and config keys of the rules bucket, beside the identity running Terraform; the bucket policy denies those writes to every other principal. Empty: only the Terraform caller."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.component_writer_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|(role|user)/[^*?].*)$", arn))])
    error_message = "component_writer_arns must hold IAM ARNs: arn:<partition>:iam::<account>:role/<name>, user/<name> or root (a wildcard may not start the name)."
  }
}

variable "component_sha256" {
  description = "CTA_COMPONENT_SHA256: SHA-256 (64 lowercase hex digits) the component must have; both functions refuse any other bytes before compiling them. Empty: no pin."
  type        = string
  default     = ""

  validation {
    condition     = var.component_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.component_sha256))
    error_message = "component_sha256 must be empty or 64 lowercase hexadecimal digits (sha256sum analyzer_wasm.wasm)."
  }
}

variable "queue_operator_arns" {
  description = "IAM principals (role, user or root ARNs) allowed, beside the consolidate function's role, to send to, receive from and delete from the jobs queue and its dead-letter queue (to inspect or redrive failed jobs). Empty: only the consolidate role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.queue_operator_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|(role|user)/[^*?].*)$", arn))])
    error_message = "queue_operator_arns must hold IAM ARNs: arn:<partition>:iam::<account>:role/<name>, user/<name> or root (a wildcard may not start the name)."
  }
}

variable "code_signing_config_arn" {
  description = "Optional Lambda code signing config for both functions."
  type        = string
  default     = null
}

################################################################################
# Functions
################################################################################

variable "consolidate_memory_size" {
  description = "Memory (MB) of the consolidate function; CTA_MEMORY_LIMIT_MB (the component's cap) is this minus 256, at least 128."
  type        = number
  default     = 2048

  validation {
    condition     = var.consolidate_memory_size >= 128 && var.consolidate_memory_size <= 10240 && floor(var.consolidate_memory_size) == var.consolidate_memory_size
    error_message = "consolidate_memory_size must be a whole number between 128 and 10240."
  }
}

variable "consolidate_timeout" {
  description = "Timeout (s) of the consolidate function (also CTA_TIME_LIMIT_SECS); the jobs queue visibility timeout is 6x this."
  type        = number
  default     = 900

  validation {
    condition     = var.consolidate_timeout >= 1 && var.consolidate_timeout <= 900 && floor(var.consolidate_timeout) == var.consolidate_timeout
    error_message = "consolidate_timeout must be a whole number between 1 and 900."
  }
}

variable "consolidate_reserved_concurrency" {
  description = "Reserved concurrency of the consolidate function; -1 for unreserved."
  type        = number
  default     = 5

  validation {
    condition     = var.consolidate_reserved_concurrency == -1 || var.consolidate_reserved_concurrency >= 1
    error_message = "consolidate_reserved_concurrency must be -1 or >= 1."
  }
}

variable "analyze_memory_size" {
  description = "Memory (MB) of the analyze function; CTA_MEMORY_LIMIT_MB (the component's cap) is this minus 256, at least 128."
  type        = number
  default     = 1024

  validation {
    condition     = var.analyze_memory_size >= 128 && var.analyze_memory_size <= 10240 && floor(var.analyze_memory_size) == var.analyze_memory_size
    error_message = "analyze_memory_size must be a whole number between 128 and 10240."
  }
}

variable "analyze_timeout" {
  description = "Timeout (s) of the analyze function (also CTA_TIME_LIMIT_SECS)."
  type        = number
  default     = 300

  validation {
    condition     = var.analyze_timeout >= 1 && var.analyze_timeout <= 900 && floor(var.analyze_timeout) == var.analyze_timeout
    error_message = "analyze_timeout must be a whole number between 1 and 900."
  }
}

variable "analyze_reserved_concurrency" {
  description = "Reserved concurrency of the analyze function; -1 for unreserved."
  type        = number
  default     = 10

  validation {
    condition     = var.analyze_reserved_concurrency == -1 || var.analyze_reserved_concurrency >= 1
    error_message = "analyze_reserved_concurrency must be -1 or >= 1."
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
  description = "Size (MB) of /tmp for the consolidate function: half of it (less the component cache) holds the sorted runs of a day larger than memory (CTA_SCRATCH_LIMIT_MB), the rest the parts waiting to be uploaded. About 1 GB of runs and 0.6 GB of parts per 4 GB of JSON in a partition-day; raise it (up to 10240) for larger days."
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

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts."
  }
}

variable "rust_log" {
  description = "RUST_LOG filter for both functions."
  type        = string
  default     = "info"
}

variable "enable_cleanup" {
  description = "CTA_CLEANUP: delete raw log files once their consolidation has been verified (grants s3:DeleteObject on AWSLogs/ only when true)."
  type        = bool
  default     = true
}

variable "max_job_mb" {
  description = "Compressed MB of raw log files one consolidation step reads; a partition-day with more is consolidated in several steps, each sent back to the jobs queue, so no invocation outgrows its timeout."
  type        = number
  default     = 1024

  validation {
    condition     = var.max_job_mb >= 1 && var.max_job_mb <= 1048576 && floor(var.max_job_mb) == var.max_job_mb
    error_message = "max_job_mb must be a whole number between 1 and 1048576 (the host refuses more: CTA_MAX_JOB_MB)."
  }
}

variable "window_days" {
  description = "CTA_WINDOW_DAYS: how many recent days each scheduled plan covers."
  type        = number
  default     = 2

  validation {
    condition     = var.window_days >= 1 && var.window_days <= 31 && floor(var.window_days) == var.window_days
    error_message = "window_days must be a whole number between 1 and 31 (the host refuses more: CTA_WINDOW_DAYS)."
  }
}

################################################################################
# Scheduling and queueing
################################################################################

variable "schedule_expression" {
  description = "When consolidation is planned: rate(...) or cron(...)."
  type        = string
  default     = "rate(12 hours)"

  validation {
    condition     = can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.schedule_expression)) || can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(1 minute|hour|day), rate(<n> minutes|hours|days) or a six-field cron(...) expression."
  }
}

variable "enable_schedule" {
  description = "Enable the consolidation schedule (the function can still be invoked by hand)."
  type        = bool
  default     = true
}

variable "report_debounce_seconds" {
  description = "CTA_REPORT_DEBOUNCE_SECS: a day's report is built at most once per window of this many seconds, however many partitions commit in it (also the report queue's delivery delay)."
  type        = number
  default     = 60

  validation {
    condition     = var.report_debounce_seconds >= 1 && var.report_debounce_seconds <= 300 && floor(var.report_debounce_seconds) == var.report_debounce_seconds
    error_message = "report_debounce_seconds must be a whole number between 1 and 300 (the host refuses more: CTA_REPORT_DEBOUNCE_SECS)."
  }
}

variable "sqs_batch_size" {
  description = "Jobs (partitions) per consolidate invocation."
  type        = number
  default     = 1

  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10 && floor(var.sqs_batch_size) == var.sqs_batch_size
    error_message = "sqs_batch_size must be a whole number between 1 and 10."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Optional cap (2-1000) on concurrent consolidate invocations from the jobs queue."
  type        = number
  default     = null
}

variable "max_receive_count" {
  description = "Receives of a job before it moves to the jobs dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

################################################################################
# Alerts and alarms
################################################################################

variable "enable_sns_alerts" {
  description = "Create a KMS-encrypted SNS topic and let the analyze function publish findings to it."
  type        = bool
  default     = false
}

variable "enable_eventbridge_alerts" {
  description = "Let the analyze function put findings on alert_event_bus_name."
  type        = bool
  default     = false
}

variable "alert_event_bus_name" {
  description = "Existing EventBridge bus for findings (CTA_EVENT_BUS_NAME when enable_eventbridge_alerts is true)."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,256}$", var.alert_event_bus_name))
    error_message = "alert_event_bus_name must be an event bus name (not an ARN)."
  }
}

variable "enable_alarms" {
  description = "Create CloudWatch alarms on function Errors and on both dead-letter queues."
  type        = bool
  default     = true
}

variable "alarm_sns_topic_arns" {
  description = "SNS topic ARNs notified by the alarms (empty: alarms without actions)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_sns_topic_arns : can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", arn))])
    error_message = "alarm_sns_topic_arns must contain SNS topic ARNs."
  }
}

################################################################################
# CloudTrail
################################################################################

variable "create_cloudtrail" {
  description = "Create the multi-region trail writing into the log bucket (and its bucket policy statements)."
  type        = bool
  default     = true
}

variable "enable_organization_trail" {
  description = "Make the trail an organization trail (apply in the management account); requires organization_id."
  type        = bool
  default     = false
}

variable "organization_id" {
  description = "AWS Organizations ID (o-xxxxxxxxxx) for the organization trail bucket policy path."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-xxxxxxxxxx."
  }
}

variable "enable_s3_data_events" {
  description = "Record S3 object data events (advanced event selectors)."
  type        = bool
  default     = false
}

variable "s3_data_event_bucket_arns" {
  description = "Buckets whose data events are recorded; empty: all buckets except the log bucket."
  type        = list(string)
  default     = []
}

variable "enable_cloudtrail_cloudwatch_logs" {
  description = "Also deliver trail events to a CloudWatch Logs group."
  type        = bool
  default     = false
}

variable "cloudtrail_delivery_sns_topic_name" {
  description = "Optional existing SNS topic (name or ARN) CloudTrail notifies on every log file delivery; null for none."
  type        = string
  default     = null
}
