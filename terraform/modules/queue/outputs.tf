output "queue_arn" {
  description = "ARN of the jobs queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the jobs queue (CTA_JOB_QUEUE_URL)."
  value       = aws_sqs_queue.this.id
}

output "queue_name" {
  description = "Name of the jobs queue."
  value       = aws_sqs_queue.this.name
}

output "dlq_arn" {
  description = "ARN of the jobs dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the jobs dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_name" {
  description = "Name of the jobs dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "async_dlq_arn" {
  description = "ARN of the dead-letter queue for failed asynchronous invocations."
  value       = aws_sqs_queue.async_dlq.arn
}

output "async_dlq_url" {
  description = "URL of the dead-letter queue for failed asynchronous invocations."
  value       = aws_sqs_queue.async_dlq.id
}

output "async_dlq_name" {
  description = "Name of the dead-letter queue for failed asynchronous invocations."
  value       = aws_sqs_queue.async_dlq.name
}

output "reports_queue_arn" {
  description = "ARN of the report queue."
  value       = aws_sqs_queue.reports.arn
}

output "reports_queue_url" {
  description = "URL of the report queue (CTA_REPORT_QUEUE_URL)."
  value       = aws_sqs_queue.reports.id
}

output "reports_dlq_name" {
  description = "Name of the report queue's dead-letter queue."
  value       = aws_sqs_queue.reports_dlq.name
}

output "reports_dlq_arn" {
  description = "ARN of the report queue's dead-letter queue."
  value       = aws_sqs_queue.reports_dlq.arn
}
