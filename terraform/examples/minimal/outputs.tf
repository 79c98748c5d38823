output "log_bucket_name" {
  description = "CloudTrail log bucket."
  value       = module.cloudtrail_analyzer.log_bucket_name
}

output "output_bucket_name" {
  description = "Reports bucket."
  value       = module.cloudtrail_analyzer.output_bucket_name
}

output "component_uri" {
  description = "Where to copy a new analyzer component to swap the rules."
  value       = module.cloudtrail_analyzer.component_uri
}

output "consolidate_function_name" {
  description = "Invoke this to plan consolidation now."
  value       = module.cloudtrail_analyzer.consolidate_function_name
}

output "analyze_function_name" {
  description = "The S3-triggered analysis function."
  value       = module.cloudtrail_analyzer.analyze_function_name
}

output "trail_arn" {
  description = "ARN of the trail."
  value       = module.cloudtrail_analyzer.trail_arn
}
