resource "aws_cloudwatch_event_rule" "this" {
  name                = var.name
  description         = "Plans cloudtrail-analyzer consolidation jobs (one SQS message per account/region/day partition)."
  schedule_expression = var.schedule_expression
  state               = var.enable_schedule ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "consolidate"
  arn       = var.target_function_arn

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }
}
