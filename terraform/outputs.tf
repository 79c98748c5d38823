################################################################################
# Buckets
################################################################################

output "log_bucket_name" {
  description = "CloudTrail log bucket (raw AWSLogs/ and consolidated/ partitions)."
  value       = module.s3.log_bucket_id
}

output "log_bucket_arn" {
  description = "ARN of the CloudTrail log bucket."
  value       = module.s3.log_bucket_arn
}

output "output_bucket_name" {
  description = "Reports bucket (reports/ and findings-sent/)."
  value       = module.s3.output_bucket_id
}

output "output_bucket_arn" {
  description = "ARN of the reports bucket."
  value       = module.s3.output_bucket_arn
}

output "rules_bucket_name" {
  description = "Rules bucket holding the analyzer component and optional config."
  value       = module.s3.rules_bucket_id
}

output "rules_bucket_arn" {
  description = "ARN of the rules bucket."
  value       = module.s3.rules_bucket_arn
}

output "access_log_bucket_name" {
  description = "Dedicated S3 access-log bucket, or null."
  value       = module.s3.access_log_bucket_id
}

output "component_uri" {
  description = "CTA_COMPONENT_URI; `aws s3 cp <file.wasm> <this>` swaps the rules."
  value       = module.s3.component_uri
}

output "config_uri" {
  description = "CTA_CONFIG_URI, or \"\" when no rules config is uploaded."
  value       = module.s3.config_uri
}

output "sigma_uri" {
  description = "CTA_SIGMA_URI, or \"\" when no Sigma rules are uploaded; `aws s3 sync <folder> <this>` adds rule files."
  value       = module.s3.sigma_uri
}

################################################################################
# Functions
################################################################################

output "consolidate_function_name" {
  description = "Name of the consolidate function (invoke by hand to plan now)."
  value       = module.lambda.consolidate_function_name
}

output "consolidate_function_arn" {
  description = "ARN of the consolidate function."
  value       = module.lambda.consolidate_function_arn
}

output "analyze_function_name" {
  description = "Name of the analyze function."
  value       = module.lambda.analyze_function_name
}

output "analyze_function_arn" {
  description = "ARN of the analyze function."
  value       = module.lambda.analyze_function_arn
}

output "consolidate_role_arn" {
  description = "Execution role of the consolidate function."
  value       = module.iam.consolidate_role_arn
}

output "analyze_role_arn" {
  description = "Execution role of the analyze function."
  value       = module.iam.analyze_role_arn
}

output "alarm_arns" {
  description = "CloudWatch alarm ARNs keyed by purpose."
  value       = module.lambda.alarm_arns
}

################################################################################
# Queues, schedule, alerts, trail
################################################################################

output "jobs_queue_url" {
  description = "CTA_JOB_QUEUE_URL: SQS jobs queue."
  value       = module.queue.queue_url
}

output "jobs_queue_arn" {
  description = "ARN of the SQS jobs queue."
  value       = module.queue.queue_arn
}

output "reports_queue_url" {
  description = "CTA_REPORT_QUEUE_URL: SQS FIFO queue of day report requests (one message group per day)."
  value       = module.queue.reports_queue_url
}

output "jobs_dlq_url" {
  description = "Dead-letter queue of the jobs queue."
  value       = module.queue.dlq_url
}

output "async_dlq_url" {
  description = "Dead-letter queue of failed asynchronous invocations of both functions."
  value       = module.queue.async_dlq_url
}

output "schedule_rule_arn" {
  description = "EventBridge rule that triggers planning."
  value       = module.eventbridge.rule_arn
}

output "sns_topic_arn" {
  description = "Findings SNS topic (CTA_SNS_TOPIC_ARN), or null when SNS alerts are off."
  value       = try(aws_sns_topic.alerts[0].arn, null)
}

output "trail_arn" {
  description = "ARN of the trail, or null when create_cloudtrail is false."
  value       = try(module.cloudtrail[0].trail_arn, null)
}

output "verify_policy_arn" {
  description = "Managed policy to attach to auditors who run `cloudtrail-analyzer verify`: read the raw logs, digests and consolidated logs, cloudtrail:ListPublicKeys."
  value       = module.iam.verify_policy_arn
}
