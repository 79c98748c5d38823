data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # The trail writes under <s3_key_prefix>/AWSLogs/...; an empty prefix means the bucket root.
  s3_key_prefix = var.log_prefix == "" ? null : trimsuffix(var.log_prefix, "/")

  data_event_bucket_prefixes = [for arn in var.s3_data_event_bucket_arns : "${arn}/"]
  log_bucket_object_prefix   = "arn:${local.partition}:s3:::${var.s3_bucket_name}/"
}

################################################################################
# Optional CloudWatch Logs delivery
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.enable_cloudwatch_logs ? 1 : 0

  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = var.cloudwatch_logs_retention_days
  kms_key_id        = var.cloudwatch_logs_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "cloudwatch_assume" {
  count = var.enable_cloudwatch_logs ? 1 : 0

  statement {
    sid     = "CloudTrailAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "cloudwatch" {
  count = var.enable_cloudwatch_logs ? 1 : 0

  statement {
    sid    = "DeliverTrailEvents"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.this[0].arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.enable_cloudwatch_logs ? 1 : 0

  name                 = "${var.name}-cloudwatch-logs"
  description          = "Lets CloudTrail deliver ${var.name} events to CloudWatch Logs."
  assume_role_policy   = data.aws_iam_policy_document.cloudwatch_assume[0].json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.enable_cloudwatch_logs ? 1 : 0

  name   = "${var.name}-cloudwatch-logs"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch[0].json
}

################################################################################
# Trail
################################################################################

resource "aws_cloudtrail" "this" {
  name                          = var.name
  s3_bucket_name                = var.s3_bucket_name
  s3_key_prefix                 = local.s3_key_prefix
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = var.enable_logging
  is_organization_trail         = var.enable_organization_trail
  kms_key_id                    = var.kms_key_arn
  sns_topic_name                = var.delivery_sns_topic_name

  cloud_watch_logs_group_arn = var.enable_cloudwatch_logs ? "${aws_cloudwatch_log_group.this[0].arn}:*" : null
  cloud_watch_logs_role_arn  = var.enable_cloudwatch_logs ? aws_iam_role.cloudwatch[0].arn : null

  # Without data events the trail keeps its default (all management events).
  # With them, management events need an explicit selector of their own.
  dynamic "advanced_event_selector" {
    for_each = var.enable_s3_data_events ? [1] : []

    content {
      name = "Management events"

      field_selector {
        field  = "eventCategory"
        equals = ["Management"]
      }
    }
  }

  dynamic "advanced_event_selector" {
    for_each = var.enable_s3_data_events ? [1] : []

    content {
      name = "S3 object data events"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      # Either the listed buckets, or every bucket except the trail's own log
      # bucket (logging the consolidator's reads and writes would feed back
      # into the logs it consolidates).
      field_selector {
        field           = "resources.ARN"
        starts_with     = length(local.data_event_bucket_prefixes) > 0 ? local.data_event_bucket_prefixes : null
        not_starts_with = length(local.data_event_bucket_prefixes) > 0 ? null : [local.log_bucket_object_prefix]
      }
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.cloudwatch]
}
