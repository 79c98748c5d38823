output "log_bucket_id" {
  description = "Name of the log bucket. Available only once its bucket policy (CloudTrail delivery) is in place."
  value       = aws_s3_bucket.this["log"].id

  depends_on = [aws_s3_bucket_policy.this]
}

output "log_bucket_arn" {
  description = "ARN of the log bucket."
  value       = aws_s3_bucket.this["log"].arn
}

output "output_bucket_id" {
  description = "Name of the output (reports) bucket."
  value       = aws_s3_bucket.this["output"].id
}

output "output_bucket_arn" {
  description = "ARN of the output (reports) bucket."
  value       = aws_s3_bucket.this["output"].arn
}

output "rules_bucket_id" {
  description = "Name of the rules bucket."
  value       = aws_s3_bucket.this["rules"].id
}

output "rules_bucket_arn" {
  description = "ARN of the rules bucket."
  value       = aws_s3_bucket.this["rules"].arn
}

output "access_log_bucket_id" {
  description = "Name of the dedicated access-log bucket, or null when not created."
  value       = try(aws_s3_bucket.access_logs[0].id, null)
}

output "access_log_bucket_arn" {
  description = "ARN of the dedicated access-log bucket, or null when not created."
  value       = try(aws_s3_bucket.access_logs[0].arn, null)
}

output "component_key" {
  description = "Object key of the analyzer component in the rules bucket."
  value       = var.component_key
}

output "component_uri" {
  description = "s3:// URI of the analyzer component (CTA_COMPONENT_URI). Resolves after the upload when Terraform manages the object."
  value       = "s3://${aws_s3_bucket.this["rules"].id}/${var.create_component_object ? aws_s3_object.component[0].key : var.component_key}"
}

output "config_key" {
  description = "Object key of the rules config JSON, or null when no config is uploaded."
  value       = var.rules_config_source_path != null ? var.config_key : null
}

output "config_uri" {
  description = "s3:// URI of the rules config JSON (CTA_CONFIG_URI), or \"\" when none is uploaded."
  value       = var.rules_config_source_path != null ? "s3://${aws_s3_bucket.this["rules"].id}/${aws_s3_object.config[0].key}" : ""
}

output "sigma_prefix" {
  description = "Key prefix of the Sigma rule files in the rules bucket, or null when none are uploaded."
  value       = var.sigma_rules_source_dir != null ? var.sigma_prefix : null
}

output "sigma_uri" {
  description = "s3:// prefix of the Sigma rule files (CTA_SIGMA_URI), or \"\" when none are uploaded. Resolves after the uploads."
  value       = var.sigma_rules_source_dir != null ? "s3://${aws_s3_bucket.this["rules"].id}/${var.sigma_prefix}" : ""
  depends_on  = [aws_s3_object.sigma]
}
