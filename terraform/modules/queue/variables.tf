variable "name" {
  description = "Name of the jobs queue (one message per partition to consolidate); a FIFO queue, so it ends in .fifo."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,75}\\.fifo$", var.name))
    error_message = "name must be 1-75 characters of letters, digits, hyphens and underscores, then .fifo."
  }
}

variable "dlq_name" {
  description = "Name of the jobs dead-letter queue; FIFO like the jobs queue, so it ends in .fifo."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,75}\\.fifo$", var.dlq_name))
    error_message = "dlq_name must be 1-75 characters of letters, digits, hyphens and underscores, then .fifo."
  }
}

variable "async_dlq_name" {
  description = "Name of the dead-letter queue for failed asynchronous Lambda invocations."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,80}$", var.async_dlq_name))
    error_message = "async_dlq_name must be 1-80 characters of letters, digits, hyphens and underscores."
  }
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the jobs queue; must be at least 6x the consuming function's timeout."
  type        = number

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "max_receive_count" {
  description = "Receives before a job message moves to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "message_retention_seconds" {
  description = "Retention of job messages."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Retention of messages in both dead-letter queues."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN for queue encryption; null uses SQS-managed SSE."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "kms_data_key_reuse_period_seconds" {
  description = "Seconds SQS reuses a data key before calling KMS again (only with kms_key_arn)."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}

variable "consumer_role_arn" {
  description = "ARN of the consolidate function's execution role: it sends jobs (the planner) and consumes them (the event source mapping). The queue policies deny sending, receiving and deleting messages to every other IAM principal."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.consumer_role_arn))
    error_message = "consumer_role_arn must be an IAM role ARN."
  }
}

variable "reports_name" {
  description = "Name of the report queue (one message group per day whose report is asked for); FIFO, so it ends in .fifo."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,75}\\.fifo$", var.reports_name))
    error_message = "reports_name must be 1-75 characters of letters, digits, hyphens and underscores, then .fifo."
  }
}

variable "reports_dlq_name" {
  description = "Name of the report queue's dead-letter queue; FIFO, so it ends in .fifo."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,75}\\.fifo$", var.reports_dlq_name))
    error_message = "reports_dlq_name must be 1-75 characters of letters, digits, hyphens and underscores, then .fifo."
  }
}

variable "reports_delay_seconds" {
  description = "Delivery delay of the report queue: the debounce window of day report requests (CTA_REPORT_DEBOUNCE_SECS), so a request is delivered once its window has closed."
  type        = number

  validation {
    condition     = var.reports_delay_seconds >= 1 && var.reports_delay_seconds <= 300 && floor(var.reports_delay_seconds) == var.reports_delay_seconds
    error_message = "reports_delay_seconds must be a whole number between 1 and 300 (the SQS deduplication interval)."
  }
}

variable "reports_visibility_timeout_seconds" {
  description = "Visibility timeout of the report queue; must be at least 6x the analyze function's timeout."
  type        = number

  validation {
    condition     = var.reports_visibility_timeout_seconds >= 0 && var.reports_visibility_timeout_seconds <= 43200
    error_message = "reports_visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "reports_consumer_role_arn" {
  description = "ARN of the analyze function's execution role: it asks for day reports and builds them (the event source mapping). The report queue policies deny sending, receiving and deleting messages to every other IAM principal but queue_operator_arns."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.reports_consumer_role_arn))
    error_message = "reports_consumer_role_arn must be an IAM role ARN."
  }
}

variable "queue_operator_arns" {
  description = "Other IAM principals (role, user or root ARNs) allowed to send to, receive from and delete from the jobs and report queues and their dead-letter queues, e.g. to inspect or redrive failed jobs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.queue_operator_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|(role|user)/[^*?].*)$", arn))])
    error_message = "queue_operator_arns must hold IAM ARNs: arn:<partition>:iam::<account>:role/<name>, user/<name> or root."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
