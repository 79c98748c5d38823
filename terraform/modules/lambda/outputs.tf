output "consolidate_function_name" {
  description = "Name of the consolidate function."
  value       = aws_lambda_function.consolidate.function_name
}

output "consolidate_function_arn" {
  description = "ARN of the consolidate function."
  value       = aws_lambda_function.consolidate.arn
}

output "analyze_function_name" {
  description = "Name of the analyze function."
  value       = aws_lambda_function.analyze.function_name
}

output "analyze_function_arn" {
  description = "ARN of the analyze function. Resolves only after s3.amazonaws.com may invoke it, so bucket notifications can use it directly."
  value       = aws_lambda_function.analyze.arn

  depends_on = [aws_lambda_permission.analyze_s3]
}

output "consolidate_log_group_name" {
  description = "Log group of the consolidate function."
  value       = aws_cloudwatch_log_group.consolidate.name
}

output "analyze_log_group_name" {
  description = "Log group of the analyze function."
  value       = aws_cloudwatch_log_group.analyze.name
}

output "event_source_mapping_uuid" {
  description = "UUID of the jobs queue -> consolidate event source mapping."
  value       = aws_lambda_event_source_mapping.consolidate_jobs.uuid
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, keyed by purpose (empty when alarms are disabled)."
  value = var.enable_alarms ? {
    consolidate_errors = aws_cloudwatch_metric_alarm.consolidate_errors[0].arn
    analyze_errors     = aws_cloudwatch_metric_alarm.analyze_errors[0].arn
    jobs_dlq_depth     = aws_cloudwatch_metric_alarm.jobs_dlq_depth[0].arn
    reports_dlq_depth  = aws_cloudwatch_metric_alarm.reports_dlq_depth[0].arn
    async_dlq_depth    = aws_cloudwatch_metric_alarm.async_dlq_depth[0].arn
  } : {}
}
