data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  consolidate_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.consolidate_function_name}"
  analyze_log_group_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.analyze_function_name}"

  # Raw CloudTrail logs (account and organization trails) live under
  # <log_prefix>AWSLogs/; consolidated partitions under <consolidated_prefix>.
  raw_prefix = "${var.log_prefix}AWSLogs/"

  rules_object_arns = concat(
    ["${var.rules_bucket_arn}/${var.component_key}"],
    var.config_key != null ? ["${var.rules_bucket_arn}/${var.config_key}"] : [],
    var.sigma_prefix != null ? ["${var.rules_bucket_arn}/${var.sigma_prefix}*"] : [],
  )

  enable_kms = var.kms_key_arn != null
}

################################################################################
# Trust policy shared by both roles
################################################################################

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

################################################################################
# consolidate (CTA_FUNCTION=consolidate)
################################################################################

resource "aws_iam_role" "consolidate" {
  name                 = var.consolidate_role_name
  description          = "Execution role of the cloudtrail-analyzer consolidate function."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "consolidate" {
  statement {
    sid       = "ListLogPartitions"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.log_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = [
        "${local.raw_prefix}*",
        "${var.consolidated_prefix}*",
      ]
    }
  }

  statement {
    sid     = "ReadRawAndConsolidatedLogs"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${var.log_bucket_arn}/${local.raw_prefix}*",
      "${var.log_bucket_arn}/${var.consolidated_prefix}*",
    ]
  }

  # Consolidation checks raw files against their digests, which CloudTrail
  # signs with per-region keys; ListPublicKeys has no resource-level
  # permissions.
  statement {
    sid       = "ListCloudTrailPublicKeys"
    effect    = "Allow"
    actions   = ["cloudtrail:ListPublicKeys"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteConsolidatedLogs"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${var.log_bucket_arn}/${var.consolidated_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.enable_cleanup ? [1] : []

    content {
      sid       = "DeleteConsolidatedRawLogs"
      effect    = "Allow"
      actions   = ["s3:DeleteObject"]
      resources = ["${var.log_bucket_arn}/${local.raw_prefix}*"]
    }
  }

  # Parts of a superseded generation (or from before manifests): deleted
  # only after the manifest naming their replacement is committed
  # (recoverable through bucket versioning).
  statement {
    sid       = "DeleteStaleConsolidatedParts"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.log_bucket_arn}/${var.consolidated_prefix}*/part-*.json.gz"]
  }

  statement {
    sid       = "ReadAnalyzerComponentAndConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = local.rules_object_arns
  }

  # The Sigma rule files are found by listing their prefix (CTA_SIGMA_URI).
  dynamic "statement" {
    for_each = var.sigma_prefix != null ? [1] : []

    content {
      sid       = "ListSigmaRules"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [var.rules_bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.sigma_prefix}*"]
      }
    }
  }

  statement {
    sid       = "PlanJobs"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [var.jobs_queue_arn]
  }

  statement {
    sid    = "ConsumeJobs"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [var.jobs_queue_arn]
  }

  statement {
    sid       = "AsyncInvokeDeadLetter"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [var.async_dlq_arn]
  }

  statement {
    sid    = "WriteOwnLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${local.consolidate_log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = local.enable_kms ? [1] : []

    content {
      sid    = "UseDataKey"
      effect = "Allow"
      actions = [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
      ]
      resources = [var.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []

    content {
      sid    = "WriteTraces"
      effect = "Allow"
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
      ]
      # X-Ray trace ingestion has no resource-level permissions.
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "consolidate" {
  name   = "${var.consolidate_role_name}-policy"
  role   = aws_iam_role.consolidate.id
  policy = data.aws_iam_policy_document.consolidate.json
}

################################################################################
# analyze (CTA_FUNCTION=analyze)
################################################################################

resource "aws_iam_role" "analyze" {
  name                 = var.analyze_role_name
  description          = "Execution role of the cloudtrail-analyzer analyze function."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "analyze" {
  statement {
    sid     = "ReadRawAndConsolidatedLogs"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${var.log_bucket_arn}/${local.raw_prefix}*",
      "${var.log_bucket_arn}/${var.consolidated_prefix}*",
    ]
  }

  # A raw log is read by the version its notification names, so a
  # consolidation that already deleted its key cannot race the analysis.
  statement {
    sid       = "ReadRawLogVersions"
    effect    = "Allow"
    actions   = ["s3:GetObjectVersion"]
    resources = ["${var.log_bucket_arn}/${local.raw_prefix}*"]
  }

  statement {
    sid       = "ReadAnalyzerComponentAndConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = local.rules_object_arns
  }

  # The Sigma rule files are found by listing their prefix (CTA_SIGMA_URI).
  dynamic "statement" {
    for_each = var.sigma_prefix != null ? [1] : []

    content {
      sid       = "ListSigmaRules"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [var.rules_bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.sigma_prefix}*"]
      }
    }
  }

  # Listing lets a missing partial state or finding marker come back as 404
  # (NoSuchKey) instead of 403 (AccessDenied).
  statement {
    sid       = "ListReportsAndFindingMarkers"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.output_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = [
        "${var.output_prefix}*",
        "${var.findings_prefix}*",
      ]
    }
  }

  statement {
    sid    = "ReadWriteReportsAndPartialStates"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["${var.output_bucket_arn}/${var.output_prefix}*"]
  }

  # A finding's marker is claimed, marked sent, released or taken over by
  # conditional writes (If-None-Match / If-Match); it is never deleted.
  statement {
    sid    = "ReadWriteFindingMarkers"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["${var.output_bucket_arn}/${var.findings_prefix}*"]
  }

  # The day report supersedes a partition's older states (earlier
  # generations of its log) and deletes them; nothing else in the output
  # bucket, and nothing in the log bucket.
  statement {
    sid       = "DeleteSupersededDayStates"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.output_bucket_arn}/${var.output_prefix}daily/*/states/*"]
  }

  # Day report requests: asked for after each partition commit, built from
  # the queue (one message group per day).
  statement {
    sid       = "AskForDayReports"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [var.reports_queue_arn]
  }

  statement {
    sid    = "ConsumeDayReports"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [var.reports_queue_arn]
  }

  statement {
    sid       = "AsyncInvokeDeadLetter"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [var.async_dlq_arn]
  }

  statement {
    sid    = "WriteOwnLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${local.analyze_log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = var.enable_sns_alerts ? [1] : []

    content {
      sid       = "PublishFindingsToSns"
      effect    = "Allow"
      actions   = ["sns:Publish"]
      resources = [var.sns_topic_arn]
    }
  }

  dynamic "statement" {
    for_each = var.enable_eventbridge_alerts ? [1] : []

    content {
      sid       = "PublishFindingsToEventBridge"
      effect    = "Allow"
      actions   = ["events:PutEvents"]
      resources = [var.event_bus_arn]
    }
  }

  dynamic "statement" {
    for_each = local.enable_kms ? [1] : []

    content {
      sid    = "UseDataKey"
      effect = "Allow"
      actions = [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
      ]
      resources = [var.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []

    content {
      sid    = "WriteTraces"
      effect = "Allow"
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
      ]
      # X-Ray trace ingestion has no resource-level permissions.
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "analyze" {
  name   = "${var.analyze_role_name}-policy"
  role   = aws_iam_role.analyze.id
  policy = data.aws_iam_policy_document.analyze.json
}

################################################################################
# verify (`cloudtrail-analyzer verify`, run by auditors: no function)
################################################################################

# A managed policy to attach to whoever audits the trail: list and read the
# raw log and digest files and the consolidated logs (`verify --consolidated`
# proves them against the digests), and fetch CloudTrail's public keys.
# ListPublicKeys has no resource-level permissions, so its resource is "*".
resource "aws_iam_policy" "verify" {
  name        = var.verify_policy_name
  description = "Lets its holder run cloudtrail-analyzer verify on the trail's log and digest files."
  policy      = data.aws_iam_policy_document.verify.json

  tags = var.tags
}

data "aws_iam_policy_document" "verify" {
  statement {
    sid       = "ListTrailFiles"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.log_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.raw_prefix}*", "${var.consolidated_prefix}*"]
    }
  }

  statement {
    sid     = "ReadLogDigestAndConsolidatedFiles"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${var.log_bucket_arn}/${local.raw_prefix}*",
      "${var.log_bucket_arn}/${var.consolidated_prefix}*",
    ]
  }

  statement {
    sid       = "ListCloudTrailPublicKeys"
    effect    = "Allow"
    actions   = ["cloudtrail:ListPublicKeys"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = local.enable_kms ? [1] : []

    content {
      sid       = "DecryptTrailFiles"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }
}
