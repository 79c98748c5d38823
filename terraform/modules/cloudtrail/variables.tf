variable "name" {
  description = "Name of the trail (the log bucket policy expects arn:<partition>:cloudtrail:<region>:<account>:trail/<name>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9._-]{2,127}$", var.name))
    error_message = "name must be 3-128 characters of letters, digits, periods, underscores and hyphens, starting with a letter or digit."
  }
}

variable "s3_bucket_name" {
  description = "Log bucket the trail delivers to. Pass a value that resolves after the bucket policy exists."
  type        = string
}

variable "log_prefix" {
  description = "Key prefix in front of AWSLogs/ (empty or ending with '/'); becomes the trail's s3_key_prefix without the trailing '/'."
  type        = string
  default     = ""

  validation {
    condition     = var.log_prefix == "" || can(regex("^[^/].*/$", var.log_prefix))
    error_message = "log_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "enable_logging" {
  description = "Whether the trail is logging."
  type        = bool
  default     = true
}

variable "enable_organization_trail" {
  description = "Make this an organization trail (apply in the management account or a delegated administrator)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for log file encryption (its key policy must allow cloudtrail.amazonaws.com); null keeps the bucket's default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "delivery_sns_topic_name" {
  description = "Optional existing SNS topic (name or ARN) notified of every log file delivery; its topic policy must allow cloudtrail.amazonaws.com. Null sends none (the analyze function is driven by S3 notifications)."
  type        = string
  default     = null
}

variable "enable_s3_data_events" {
  description = "Record S3 object-level data events through advanced event selectors."
  type        = bool
  default     = false
}

variable "s3_data_event_bucket_arns" {
  description = "Bucket ARNs whose object data events are recorded; empty records all buckets except the log bucket."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.s3_data_event_bucket_arns : can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]+$", arn))])
    error_message = "s3_data_event_bucket_arns must contain S3 bucket ARNs (arn:<partition>:s3:::<bucket>)."
  }
}

variable "enable_cloudwatch_logs" {
  description = "Also deliver trail events to a CloudWatch Logs group."
  type        = bool
  default     = false
}

variable "cloudwatch_logs_retention_days" {
  description = "Retention of the trail's CloudWatch Logs group."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_logs_retention_days)
    error_message = "cloudwatch_logs_retention_days must be a value CloudWatch Logs accepts."
  }
}

variable "cloudwatch_logs_kms_key_arn" {
  description = "Customer managed KMS key for the trail's CloudWatch Logs group; null uses default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_logs_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.cloudwatch_logs_kms_key_arn))
    error_message = "cloudwatch_logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the CloudWatch Logs delivery role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
