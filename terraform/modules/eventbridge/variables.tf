variable "name" {
  description = "Name of the schedule rule."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, periods, hyphens or underscores."
  }
}

variable "schedule_expression" {
  description = "When the consolidate function plans jobs: rate(...) or cron(...)."
  type        = string
  default     = "rate(12 hours)"

  validation {
    condition     = can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.schedule_expression)) || can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(1 minute|hour|day) / rate(<n> minutes|hours|days) or a six-field cron(...) expression."
  }
}

variable "enable_schedule" {
  description = "Whether the schedule rule is enabled."
  type        = bool
  default     = true
}

variable "target_function_arn" {
  description = "ARN of the consolidate function invoked by the schedule."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:.+$", var.target_function_arn))
    error_message = "target_function_arn must be a Lambda function ARN."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries when EventBridge cannot deliver the scheduled event to the function."
  type        = number
  default     = 3

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "maximum_retry_attempts must be between 0 and 185."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "Maximum age of an undelivered scheduled event before EventBridge drops it."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 86400
    error_message = "maximum_event_age_in_seconds must be between 60 and 86400."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
