variable "region" {
  description = "AWS region to deploy into (the trail's home region)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "cta"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-20 characters of lowercase letters, digits and hyphens."
  }
}

variable "lambda_architecture" {
  description = "arm64 (cargo lambda --arm64, default) or x86_64 (--x86-64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_package_path" {
  description = "Path of bootstrap.zip; null uses <repo>/target/lambda/cloudtrail-analyzer/bootstrap.zip."
  type        = string
  default     = null
}

variable "component_source_path" {
  description = "Path of the analyzer component; null uses <repo>/target/wasm32-wasip2/release/analyzer_wasm.wasm."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
