data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The IAM role or user behind the credentials running Terraform (a role's
# ARN, not its assumed-role session): it uploads the component and config,
# so the rules bucket policy admits it as a writer.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Bucket names are global: make them unique per account and region.
  bucket_suffix          = "${local.account_id}-${local.region}"
  log_bucket_name        = coalesce(var.log_bucket_name, "${var.name_prefix}-logs-${local.bucket_suffix}")
  output_bucket_name     = coalesce(var.output_bucket_name, "${var.name_prefix}-reports-${local.bucket_suffix}")
  rules_bucket_name      = coalesce(var.rules_bucket_name, "${var.name_prefix}-rules-${local.bucket_suffix}")
  access_log_bucket_name = "${var.name_prefix}-access-logs-${local.bucket_suffix}"

  consolidate_function_name = "${var.name_prefix}-consolidate"
  analyze_function_name     = "${var.name_prefix}-analyze"

  # The trail ARN is known before the trail exists, so the log bucket policy
  # can be in place before CloudTrail checks it.
  trail_name = "${var.name_prefix}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"

  event_bus_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.alert_event_bus_name}"

  # Build outputs of the Rust workspace (the repository root is one level up).
  lambda_package_path   = coalesce(var.lambda_package_path, "${path.module}/../target/lambda/cloudtrail-analyzer/bootstrap.zip")
  component_source_path = coalesce(var.component_source_path, "${path.module}/../target/wasm32-wasip2/release/analyzer_wasm.wasm")

  findings_prefix = "findings-sent/"

  # Who may write the component and config keys: the named deployers and
  # whoever applies this (who can rewrite the bucket policy anyway).
  rules_writer_arns = distinct(concat(var.component_writer_arns, [data.aws_iam_session_context.current.issuer_arn]))

  # Messages must stay invisible for the whole time one may be in flight.
  jobs_visibility_timeout_seconds    = 6 * var.consolidate_timeout
  reports_visibility_timeout_seconds = 6 * var.analyze_timeout

  tags = merge(var.tags, { Application = "cloudtrail-analyzer" })
}

################################################################################
# Storage
################################################################################

module "s3" {
  source = "./modules/s3"

  log_bucket_name    = local.log_bucket_name
  output_bucket_name = local.output_bucket_name
  rules_bucket_name  = local.rules_bucket_name
  force_destroy      = var.force_destroy

  kms_key_arn                            = var.kms_key_arn
  noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
  abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days

  create_access_log_bucket   = var.create_access_log_bucket
  access_log_bucket_name     = local.access_log_bucket_name
  access_log_target_bucket   = var.access_log_target_bucket
  access_log_target_prefix   = var.access_log_target_prefix
  access_log_expiration_days = var.access_log_expiration_days

  enable_cloudtrail_policy  = var.create_cloudtrail
  cloudtrail_arn            = local.trail_arn
  enable_organization_trail = var.enable_organization_trail
  organization_id           = var.organization_id
  log_prefix                = var.log_prefix
  consolidated_prefix       = var.consolidated_prefix

  enable_analyze_notifications = true
  analyze_function_arn         = module.lambda.analyze_function_arn

  create_component_object  = var.create_component_object
  component_source_path    = local.component_source_path
  component_sha256         = var.component_sha256
  rules_config_source_path = var.rules_config_path
  sigma_rules_source_dir   = var.sigma_rules_path
  rules_writer_arns        = local.rules_writer_arns

  tags = local.tags
}

module "queue" {
  source = "./modules/queue"

  name                       = "${var.name_prefix}-jobs.fifo"
  dlq_name                   = "${var.name_prefix}-jobs-dlq.fifo"
  async_dlq_name             = "${var.name_prefix}-async-dlq"
  visibility_timeout_seconds = local.jobs_visibility_timeout_seconds
  max_receive_count          = var.max_receive_count
  kms_key_arn                = var.kms_key_arn

  reports_name                       = "${var.name_prefix}-reports.fifo"
  reports_dlq_name                   = "${var.name_prefix}-reports-dlq.fifo"
  reports_delay_seconds              = var.report_debounce_seconds
  reports_visibility_timeout_seconds = local.reports_visibility_timeout_seconds

  # Only the consolidate function may use the job queues, only the analyze
  # function the report queues (and named operators both).
  consumer_role_arn         = module.iam.consolidate_role_arn
  reports_consumer_role_arn = module.iam.analyze_role_arn
  queue_operator_arns       = var.queue_operator_arns

  tags = local.tags
}

################################################################################
# Findings topic (optional)
################################################################################

resource "aws_sns_topic" "alerts" {
  count = var.enable_sns_alerts ? 1 : 0

  name              = "${var.name_prefix}-findings"
  kms_master_key_id = coalesce(var.kms_key_arn, "alias/aws/sns")

  tags = local.tags
}

################################################################################
# Functions
################################################################################

module "iam" {
  source = "./modules/iam"

  consolidate_role_name     = "${var.name_prefix}-consolidate"
  analyze_role_name         = "${var.name_prefix}-analyze"
  verify_policy_name        = "${var.name_prefix}-verify"
  consolidate_function_name = local.consolidate_function_name
  analyze_function_name     = local.analyze_function_name
  permissions_boundary_arn  = var.permissions_boundary_arn

  log_bucket_arn      = module.s3.log_bucket_arn
  output_bucket_arn   = module.s3.output_bucket_arn
  rules_bucket_arn    = module.s3.rules_bucket_arn
  log_prefix          = var.log_prefix
  consolidated_prefix = var.consolidated_prefix
  output_prefix       = var.output_prefix
  findings_prefix     = local.findings_prefix
  component_key       = module.s3.component_key
  config_key          = module.s3.config_key
  sigma_prefix        = module.s3.sigma_prefix
  enable_cleanup      = var.enable_cleanup

  jobs_queue_arn    = module.queue.queue_arn
  reports_queue_arn = module.queue.reports_queue_arn
  async_dlq_arn     = module.queue.async_dlq_arn

  enable_sns_alerts         = var.enable_sns_alerts
  sns_topic_arn             = try(aws_sns_topic.alerts[0].arn, null)
  enable_eventbridge_alerts = var.enable_eventbridge_alerts
  event_bus_arn             = local.event_bus_arn

  kms_key_arn    = var.kms_key_arn
  enable_tracing = var.tracing_mode == "Active"

  tags = local.tags
}

module "lambda" {
  source = "./modules/lambda"

  consolidate_function_name = local.consolidate_function_name
  analyze_function_name     = local.analyze_function_name
  consolidate_role_arn      = module.iam.consolidate_role_arn
  analyze_role_arn          = module.iam.analyze_role_arn
  package_path              = local.lambda_package_path
  architecture              = var.lambda_architecture

  consolidate_memory_size            = var.consolidate_memory_size
  consolidate_timeout                = var.consolidate_timeout
  consolidate_reserved_concurrency   = var.consolidate_reserved_concurrency
  analyze_memory_size                = var.analyze_memory_size
  analyze_timeout                    = var.analyze_timeout
  analyze_reserved_concurrency       = var.analyze_reserved_concurrency
  ephemeral_storage_size             = var.ephemeral_storage_size
  consolidate_ephemeral_storage_size = var.consolidate_ephemeral_storage_size
  tracing_mode                       = var.tracing_mode
  kms_key_arn                        = var.kms_key_arn
  code_signing_config_arn            = var.code_signing_config_arn

  log_retention_days    = var.log_retention_days
  log_group_kms_key_arn = var.log_group_kms_key_arn

  log_bucket_name     = module.s3.log_bucket_id
  log_bucket_arn      = module.s3.log_bucket_arn
  log_prefix          = var.log_prefix
  consolidated_prefix = var.consolidated_prefix
  enable_cleanup      = var.enable_cleanup
  window_days         = var.window_days
  max_job_mb          = var.max_job_mb
  output_bucket_name  = module.s3.output_bucket_id
  output_prefix       = var.output_prefix
  component_uri       = module.s3.component_uri
  component_sha256    = var.component_sha256
  config_uri          = module.s3.config_uri
  sigma_uri           = module.s3.sigma_uri
  sns_topic_arn       = var.enable_sns_alerts ? aws_sns_topic.alerts[0].arn : ""
  event_bus_name      = var.enable_eventbridge_alerts ? var.alert_event_bus_name : ""
  rust_log            = var.rust_log

  jobs_queue_arn          = module.queue.queue_arn
  jobs_queue_url          = module.queue.queue_url
  reports_queue_arn       = module.queue.reports_queue_arn
  reports_queue_url       = module.queue.reports_queue_url
  reports_dlq_name        = module.queue.reports_dlq_name
  report_debounce_seconds = var.report_debounce_seconds
  jobs_dlq_name           = module.queue.dlq_name
  async_dlq_arn           = module.queue.async_dlq_arn
  async_dlq_name          = module.queue.async_dlq_name
  sqs_batch_size          = var.sqs_batch_size
  sqs_maximum_concurrency = var.sqs_maximum_concurrency

  enable_schedule   = var.enable_schedule
  schedule_rule_arn = module.eventbridge.rule_arn

  enable_alarms = var.enable_alarms
  alarm_actions = var.alarm_sns_topic_arns

  tags = local.tags
}

module "eventbridge" {
  source = "./modules/eventbridge"

  name                = "${var.name_prefix}-consolidate-schedule"
  schedule_expression = var.schedule_expression
  enable_schedule     = var.enable_schedule
  target_function_arn = module.lambda.consolidate_function_arn

  tags = local.tags
}

################################################################################
# Trail
################################################################################

module "cloudtrail" {
  source = "./modules/cloudtrail"
  count  = var.create_cloudtrail ? 1 : 0

  name = local.trail_name
  # Resolves only after the bucket policy that lets CloudTrail write exists.
  s3_bucket_name            = module.s3.log_bucket_id
  log_prefix                = var.log_prefix
  enable_organization_trail = var.enable_organization_trail
  kms_key_arn               = var.kms_key_arn
  delivery_sns_topic_name   = var.cloudtrail_delivery_sns_topic_name

  enable_s3_data_events     = var.enable_s3_data_events
  s3_data_event_bucket_arns = var.s3_data_event_bucket_arns

  enable_cloudwatch_logs         = var.enable_cloudtrail_cloudwatch_logs
  cloudwatch_logs_retention_days = var.log_retention_days
  cloudwatch_logs_kms_key_arn    = var.log_group_kms_key_arn
  permissions_boundary_arn       = var.permissions_boundary_arn

  tags = local.tags
}
