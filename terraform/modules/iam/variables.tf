################################################################################
# Names
################################################################################

variable "consolidate_role_name" {
  description = "Name of the consolidate function's execution role."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.consolidate_role_name))
    error_message = "consolidate_role_name must be a valid IAM role name (1-64 characters)."
  }
}

variable "verify_policy_name" {
  description = "Name of the managed policy for auditors who run `cloudtrail-analyzer verify`."
  type        = string
}

variable "analyze_role_name" {
  description = "Name of the analyze function's execution role."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.analyze_role_name))
    error_message = "analyze_role_name must be a valid IAM role name (1-64 characters)."
  }
}

variable "consolidate_function_name" {
  description = "Name of the consolidate function; scopes its log-group permissions to /aws/lambda/<name>."
  type        = string
}

variable "analyze_function_name" {
  description = "Name of the analyze function; scopes its log-group permissions to /aws/lambda/<name>."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Optional IAM permissions boundary attached to both roles."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

################################################################################
# Buckets and prefixes
################################################################################

variable "log_bucket_arn" {
  description = "ARN of the CloudTrail log bucket (raw and consolidated logs)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.log_bucket_arn))
    error_message = "log_bucket_arn must be an S3 bucket ARN."
  }
}

variable "output_bucket_arn" {
  description = "ARN of the output (reports) bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.output_bucket_arn))
    error_message = "output_bucket_arn must be an S3 bucket ARN."
  }
}

variable "rules_bucket_arn" {
  description = "ARN of the rules bucket holding the analyzer component and config."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.rules_bucket_arn))
    error_message = "rules_bucket_arn must be an S3 bucket ARN."
  }
}

variable "log_prefix" {
  description = "CTA_LOG_PREFIX: prefix in front of AWSLogs/ in the log bucket (empty or ending with '/')."
  type        = string
  default     = ""

  validation {
    condition     = var.log_prefix == "" || can(regex("^[^/].*/$", var.log_prefix))
    error_message = "log_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "consolidated_prefix" {
  description = "CTA_CONSOLIDATED_PREFIX: prefix of consolidated partitions in the log bucket."
  type        = string
  default     = "consolidated/"

  validation {
    condition     = can(regex("^[^/].*/$", var.consolidated_prefix))
    error_message = "consolidated_prefix must end with '/' and not start with '/'."
  }
}

variable "output_prefix" {
  description = "CTA_OUTPUT_PREFIX: prefix of reports and partial states in the output bucket."
  type        = string
  default     = "reports/"

  validation {
    condition     = can(regex("^[^/].*/$", var.output_prefix))
    error_message = "output_prefix must end with '/' and not start with '/'."
  }
}

variable "findings_prefix" {
  description = "Prefix of the dedup markers for published findings in the output bucket."
  type        = string
  default     = "findings-sent/"

  validation {
    condition     = can(regex("^[^/].*/$", var.findings_prefix))
    error_message = "findings_prefix must end with '/' and not start with '/'."
  }
}

variable "component_key" {
  description = "Object key of the analyzer component in the rules bucket."
  type        = string
  default     = "components/analyzer.wasm"
}

variable "config_key" {
  description = "Object key of the rules config JSON in the rules bucket, or null when there is none."
  type        = string
  default     = null
}

variable "sigma_prefix" {
  description = "Key prefix of the Sigma rule files in the rules bucket (CTA_SIGMA_URI), or null when there are none."
  type        = string
  default     = null
}

variable "enable_cleanup" {
  description = "Grant s3:DeleteObject on raw logs (CTA_CLEANUP=true)."
  type        = bool
  default     = true
}

################################################################################
# Queues, alerts, encryption, tracing
################################################################################

variable "jobs_queue_arn" {
  description = "ARN of the SQS jobs queue."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:[0-9]{12}:.+$", var.jobs_queue_arn))
    error_message = "jobs_queue_arn must be an SQS queue ARN."
  }
}

variable "reports_queue_arn" {
  description = "ARN of the SQS report queue (day report requests) the analyze function sends to and consumes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:[0-9]{12}:.+$", var.reports_queue_arn))
    error_message = "reports_queue_arn must be an SQS queue ARN."
  }
}

variable "async_dlq_arn" {
  description = "ARN of the SQS dead-letter queue for failed asynchronous invocations."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:[0-9]{12}:.+$", var.async_dlq_arn))
    error_message = "async_dlq_arn must be an SQS queue ARN."
  }
}

variable "enable_sns_alerts" {
  description = "Grant sns:Publish on sns_topic_arn."
  type        = bool
  default     = false
}

variable "sns_topic_arn" {
  description = "ARN of the findings SNS topic (used when enable_sns_alerts is true)."
  type        = string
  default     = null
}

variable "enable_eventbridge_alerts" {
  description = "Grant events:PutEvents on event_bus_arn."
  type        = bool
  default     = false
}

variable "event_bus_arn" {
  description = "ARN of the EventBridge bus findings are put on (used when enable_eventbridge_alerts is true)."
  type        = string
  default     = null

  validation {
    condition     = var.event_bus_arn == null || can(regex("^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+$", var.event_bus_arn))
    error_message = "event_bus_arn must be an EventBridge event bus ARN."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key used by the buckets, queues and topic; null when none is used."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "enable_tracing" {
  description = "Grant X-Ray trace ingestion (needed when the functions use tracing mode Active)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
