data "aws_caller_identity" "current" {}

locals {
  account_id       = data.aws_caller_identity.current.account_id
  package_hash     = filebase64sha256(var.package_path)
  alarm_ok_actions = var.enable_alarm_ok_actions ? var.alarm_actions : []
}

################################################################################
# Log groups (created before the functions so Lambda does not create them
# without retention)
################################################################################

resource "aws_cloudwatch_log_group" "consolidate" {
  name              = "/aws/lambda/${var.consolidate_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_group_kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "analyze" {
  name              = "/aws/lambda/${var.analyze_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_group_kms_key_arn

  tags = var.tags
}

################################################################################
# consolidate: scheduled planner + SQS job consumer (CTA_FUNCTION=consolidate)
################################################################################

resource "aws_lambda_function" "consolidate" {
  #checkov:skip=CKV_AWS_117:The function only calls S3, SQS, CloudWatch Logs and X-Ray public endpoints; a VPC would add NAT/endpoint cost and no isolation benefit.
  function_name                  = var.consolidate_function_name
  description                    = "cloudtrail-analyzer: plans and merges CloudTrail partitions into consolidated files."
  role                           = var.consolidate_role_arn
  handler                        = "bootstrap"
  runtime                        = "provided.al2023"
  architectures                  = [var.architecture]
  filename                       = var.package_path
  source_code_hash               = local.package_hash
  memory_size                    = var.consolidate_memory_size
  timeout                        = var.consolidate_timeout
  reserved_concurrent_executions = var.consolidate_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn

  ephemeral_storage {
    size = var.consolidate_ephemeral_storage_size
  }

  dead_letter_config {
    target_arn = var.async_dlq_arn
  }

  tracing_config {
    mode = var.tracing_mode
  }

  environment {
    variables = {
      CTA_FUNCTION            = "consolidate"
      CTA_LOG_BUCKET          = var.log_bucket_name
      CTA_LOG_PREFIX          = var.log_prefix
      CTA_CONSOLIDATED_PREFIX = var.consolidated_prefix
      CTA_JOB_QUEUE_URL       = var.jobs_queue_url
      CTA_CLEANUP             = tostring(var.enable_cleanup)
      CTA_WINDOW_DAYS         = tostring(var.window_days)
      CTA_MAX_JOB_MB          = tostring(var.max_job_mb)
      CTA_COMPONENT_URI       = var.component_uri
      CTA_COMPONENT_SHA256    = var.component_sha256
      CTA_CONFIG_URI          = var.config_uri
      CTA_SIGMA_URI           = var.sigma_uri
      CTA_MEMORY_LIMIT_MB     = tostring(max(128, var.consolidate_memory_size - 256))
      # Half of /tmp, less the component cache, for the sorted runs of days
      # larger than memory; the other half for the parts waiting to upload.
      CTA_SCRATCH_LIMIT_MB = tostring(max(64, floor((var.consolidate_ephemeral_storage_size - 256) / 2)))
      CTA_TIME_LIMIT_SECS  = tostring(var.consolidate_timeout)
      CTA_CACHE_DIR        = var.cache_dir
      RUST_LOG             = var.rust_log
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.consolidate]
}

resource "aws_lambda_function_event_invoke_config" "consolidate" {
  function_name                = aws_lambda_function.consolidate.function_name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_in_seconds
}

resource "aws_lambda_event_source_mapping" "consolidate_jobs" {
  function_name           = aws_lambda_function.consolidate.arn
  event_source_arn        = var.jobs_queue_arn
  batch_size              = var.sqs_batch_size
  function_response_types = ["ReportBatchItemFailures"]
  enabled                 = true

  dynamic "scaling_config" {
    for_each = var.sqs_maximum_concurrency != null ? [var.sqs_maximum_concurrency] : []

    content {
      maximum_concurrency = scaling_config.value
    }
  }
}

resource "aws_lambda_permission" "consolidate_schedule" {
  count = var.enable_schedule ? 1 : 0

  statement_id   = "AllowScheduleInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.consolidate.function_name
  principal      = "events.amazonaws.com"
  source_arn     = var.schedule_rule_arn
  source_account = local.account_id
}

################################################################################
# analyze: S3-triggered analysis (CTA_FUNCTION=analyze)
################################################################################

resource "aws_lambda_function" "analyze" {
  #checkov:skip=CKV_AWS_117:The function only calls S3, SNS, EventBridge, CloudWatch Logs and X-Ray public endpoints; a VPC would add NAT/endpoint cost and no isolation benefit.
  function_name                  = var.analyze_function_name
  description                    = "cloudtrail-analyzer: runs the analyzer component over raw and consolidated CloudTrail logs."
  role                           = var.analyze_role_arn
  handler                        = "bootstrap"
  runtime                        = "provided.al2023"
  architectures                  = [var.architecture]
  filename                       = var.package_path
  source_code_hash               = local.package_hash
  memory_size                    = var.analyze_memory_size
  timeout                        = var.analyze_timeout
  reserved_concurrent_executions = var.analyze_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn

  ephemeral_storage {
    size = var.ephemeral_storage_size
  }

  dead_letter_config {
    target_arn = var.async_dlq_arn
  }

  tracing_config {
    mode = var.tracing_mode
  }

  environment {
    variables = {
      CTA_FUNCTION             = "analyze"
      CTA_LOG_BUCKET           = var.log_bucket_name
      CTA_LOG_PREFIX           = var.log_prefix
      CTA_CONSOLIDATED_PREFIX  = var.consolidated_prefix
      CTA_OUTPUT_BUCKET        = var.output_bucket_name
      CTA_OUTPUT_PREFIX        = var.output_prefix
      CTA_COMPONENT_URI        = var.component_uri
      CTA_COMPONENT_SHA256     = var.component_sha256
      CTA_CONFIG_URI           = var.config_uri
      CTA_SIGMA_URI            = var.sigma_uri
      CTA_SNS_TOPIC_ARN        = var.sns_topic_arn
      CTA_EVENT_BUS_NAME       = var.event_bus_name
      CTA_REPORT_QUEUE_URL     = var.reports_queue_url
      CTA_REPORT_DEBOUNCE_SECS = tostring(var.report_debounce_seconds)
      CTA_MEMORY_LIMIT_MB      = tostring(max(128, var.analyze_memory_size - 256))
      CTA_TIME_LIMIT_SECS      = tostring(var.analyze_timeout)
      CTA_CACHE_DIR            = var.cache_dir
      RUST_LOG                 = var.rust_log
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.analyze]
}

resource "aws_lambda_function_event_invoke_config" "analyze" {
  function_name                = aws_lambda_function.analyze.function_name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_in_seconds
}

# Day reports, one build of a day at a time (FIFO, a message group per day).
resource "aws_lambda_event_source_mapping" "analyze_day_reports" {
  function_name           = aws_lambda_function.analyze.arn
  event_source_arn        = var.reports_queue_arn
  batch_size              = 1
  function_response_types = ["ReportBatchItemFailures"]
  enabled                 = true
}

resource "aws_lambda_permission" "analyze_s3" {
  statement_id   = "AllowLogBucketInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.analyze.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.log_bucket_arn
  source_account = local.account_id
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "consolidate_errors" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.consolidate_function_name}-errors"
  alarm_description   = "The consolidate function reported errors."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.errors_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  dimensions = {
    FunctionName = aws_lambda_function.consolidate.function_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "analyze_errors" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.analyze_function_name}-errors"
  alarm_description   = "The analyze function reported errors."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.errors_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  dimensions = {
    FunctionName = aws_lambda_function.analyze.function_name
  }

  tags = var.tags
}

# Custom metrics the functions log in CloudWatch's Embedded Metric Format
# (host/src/lambda/metrics.rs): emitted at every plan and every job.
resource "aws_cloudwatch_metric_alarm" "raw_files_past_window" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.consolidate_function_name}-raw-files-past-window"
  alarm_description   = "Raw CloudTrail files sit in the day before the planning window: no plan will consolidate them (unreadable, or the schedule stopped). See the README."
  namespace           = "cloudtrail-analyzer"
  metric_name         = "RawFilesPastWindow"
  statistic           = "Maximum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "raw_files_unreadable" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.consolidate_function_name}-raw-files-unreadable"
  alarm_description   = "A consolidation could not read raw CloudTrail files and left them in place (named in the function's log)."
  namespace           = "cloudtrail-analyzer"
  metric_name         = "RawFilesUnreadable"
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "raw_files_modified" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.consolidate_function_name}-raw-files-modified"
  alarm_description   = "Raw CloudTrail files are not what their digest files list (tampered, or damaged): left in place, neither consolidated nor deleted (named in the function's log). See the README."
  namespace           = "cloudtrail-analyzer"
  metric_name         = "RawFilesModified"
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "jobs_dlq_depth" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.jobs_dlq_name}-depth"
  alarm_description   = "Consolidation jobs failed max_receive_count times and landed in the jobs dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  dimensions = {
    QueueName = var.jobs_dlq_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "reports_dlq_depth" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.reports_dlq_name}-depth"
  alarm_description   = "Day report builds failed max_receive_count times and landed in the report dead-letter queue: a day's report is stale until one is asked for again."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  dimensions = {
    QueueName = var.reports_dlq_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "async_dlq_depth" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.async_dlq_name}-depth"
  alarm_description   = "Asynchronous invocations (schedule or S3 notification) of a cloudtrail-analyzer function failed after all retries."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = local.alarm_ok_actions

  dimensions = {
    QueueName = var.async_dlq_name
  }

  tags = var.tags
}
