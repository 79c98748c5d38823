################################################################################
# Bucket names
################################################################################

variable "log_bucket_name" {
  description = "Name of the bucket CloudTrail writes to; consolidated partitions are written to the same bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.log_bucket_name))
    error_message = "log_bucket_name must be a valid S3 bucket name (3-63 characters, lowercase letters, digits, dots and hyphens)."
  }
}

variable "output_bucket_name" {
  description = "Name of the bucket the analyze function writes reports, partial states and finding markers to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.output_bucket_name))
    error_message = "output_bucket_name must be a valid S3 bucket name (3-63 characters, lowercase letters, digits, dots and hyphens)."
  }
}

variable "rules_bucket_name" {
  description = "Name of the bucket holding the analyzer WebAssembly component and the optional rules config."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.rules_bucket_name))
    error_message = "rules_bucket_name must be a valid S3 bucket name (3-63 characters, lowercase letters, digits, dots and hyphens)."
  }
}

variable "force_destroy" {
  description = "Allow Terraform to delete the buckets even when they still hold objects. Keep false outside test accounts."
  type        = bool
  default     = false
}

################################################################################
# Encryption and lifecycle
################################################################################

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for SSE-KMS on the log, output and rules buckets. Null keeps SSE-S3 (AES256)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are permanently deleted."
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

################################################################################
# Access logging
################################################################################

variable "create_access_log_bucket" {
  description = "Create a dedicated bucket for S3 server access logs of the log, output and rules buckets."
  type        = bool
  default     = true
}

variable "access_log_bucket_name" {
  description = "Name of the dedicated access-log bucket (used when create_access_log_bucket is true)."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must be a valid S3 bucket name."
  }
}

variable "access_log_target_bucket" {
  description = "Existing bucket to receive S3 server access logs when create_access_log_bucket is false. Null with create_access_log_bucket = false disables access logging."
  type        = string
  default     = null
}

variable "access_log_target_prefix" {
  description = "Key prefix for access logs in the target bucket; each source bucket logs under <prefix><bucket-name>/."
  type        = string
  default     = ""

  validation {
    condition     = var.access_log_target_prefix == "" || can(regex("^[^/].*/$", var.access_log_target_prefix))
    error_message = "access_log_target_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "access_log_expiration_days" {
  description = "Days after which objects in the dedicated access-log bucket expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expiration_days >= 1 && floor(var.access_log_expiration_days) == var.access_log_expiration_days
    error_message = "access_log_expiration_days must be a whole number >= 1."
  }
}

################################################################################
# CloudTrail delivery
################################################################################

variable "enable_cloudtrail_policy" {
  description = "Add the CloudTrail delivery statements (GetBucketAcl, PutObject) to the log bucket policy."
  type        = bool
  default     = true
}

variable "cloudtrail_arn" {
  description = "ARN of the trail allowed to deliver into the log bucket (aws:SourceArn condition). Required when enable_cloudtrail_policy is true."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_arn == null || can(regex("^arn:aws[a-zA-Z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/.+$", var.cloudtrail_arn))
    error_message = "cloudtrail_arn must be a CloudTrail trail ARN."
  }
}

variable "enable_organization_trail" {
  description = "Also allow the trail to write organization logs under AWSLogs/<organization_id>/."
  type        = bool
  default     = false
}

variable "organization_id" {
  description = "AWS Organizations ID (o-xxxxxxxxxx); required when enable_organization_trail is true."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-xxxxxxxxxx."
  }
}

variable "log_prefix" {
  description = "Key prefix CloudTrail writes under (its s3_key_prefix plus '/'); empty for the bucket root. Raw logs live under <log_prefix>AWSLogs/."
  type        = string
  default     = ""

  validation {
    condition     = var.log_prefix == "" || can(regex("^[^/].*/$", var.log_prefix))
    error_message = "log_prefix must be empty or end with '/' (and not start with '/')."
  }
}

variable "consolidated_prefix" {
  description = "Key prefix of consolidated partitions in the log bucket."
  type        = string
  default     = "consolidated/"

  validation {
    condition     = can(regex("^[^/].*/$", var.consolidated_prefix))
    error_message = "consolidated_prefix must end with '/' and not start with '/'."
  }
}

################################################################################
# Notifications
################################################################################

variable "enable_analyze_notifications" {
  description = "Send ObjectCreated notifications for consolidated manifests (commits) and raw .json.gz objects in the log bucket to the analyze function."
  type        = bool
  default     = true
}

variable "analyze_function_arn" {
  description = "ARN of the analyze Lambda function. It must already allow s3.amazonaws.com to invoke it (pass an ARN that depends on the aws_lambda_permission)."
  type        = string
  default     = null
}

################################################################################
# Rules objects
################################################################################

variable "create_component_object" {
  description = "Upload the analyzer component from component_source_path. Set false if the component is managed entirely out of band."
  type        = bool
  default     = true
}

variable "component_source_path" {
  description = "Local path of the analyzer WebAssembly component (analyzer_wasm.wasm)."
  type        = string
  default     = null
}

variable "component_key" {
  description = "Object key of the analyzer component in the rules bucket."
  type        = string
  default     = "components/analyzer.wasm"
}

variable "component_sha256" {
  description = "The pin the functions get (CTA_COMPONENT_SHA256), or \"\" for none. When set and Terraform uploads the component, the file at component_source_path must have this SHA-256 (checked at plan time), or the functions would refuse it."
  type        = string
  default     = ""

  validation {
    condition     = var.component_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.component_sha256))
    error_message = "component_sha256 must be empty or 64 lowercase hexadecimal digits."
  }
}

variable "rules_writer_arns" {
  description = "IAM principal ARNs (ArnLike patterns) that may write or delete the component and config keys; the rules bucket policy denies those writes to every other principal. Include whoever runs Terraform when it uploads them."
  type        = list(string)

  validation {
    condition     = length(var.rules_writer_arns) > 0 && alltrue([for arn in var.rules_writer_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|(role|user)/[^*?].*)$", arn))])
    error_message = "rules_writer_arns must hold at least one IAM ARN: arn:<partition>:iam::<account>:role/<name>, user/<name> or root."
  }
}

variable "rules_config_source_path" {
  description = "Local path of an optional rules config JSON; null uploads nothing."
  type        = string
  default     = null
}

variable "config_key" {
  description = "Object key of the rules config JSON in the rules bucket."
  type        = string
  default     = "config/rules.json"
}

variable "sigma_rules_source_dir" {
  description = "Local folder of Sigma rule files (*.yml, *.yaml, read recursively) uploaded under sigma_prefix; null uploads nothing."
  type        = string
  default     = null
}

variable "sigma_prefix" {
  description = "Key prefix of the Sigma rule files in the rules bucket. Writes under it are denied to all but the deployers, even when none is uploaded."
  type        = string
  default     = "sigma/"

  validation {
    condition     = can(regex("^[^/*?].*/$", var.sigma_prefix))
    error_message = "sigma_prefix must end with / and must not start with /, * or ?."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
