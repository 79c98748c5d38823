output "trail_arn" {
  description = "ARN of the trail."
  value       = aws_cloudtrail.this.arn
}

output "trail_name" {
  description = "Name of the trail."
  value       = aws_cloudtrail.this.name
}

output "trail_home_region" {
  description = "Home region of the trail."
  value       = aws_cloudtrail.this.home_region
}

output "cloudwatch_log_group_name" {
  description = "CloudWatch Logs group of the trail, or null when disabled."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "cloudwatch_logs_role_arn" {
  description = "Role CloudTrail assumes to write to CloudWatch Logs, or null when disabled."
  value       = try(aws_iam_role.cloudwatch[0].arn, null)
}
