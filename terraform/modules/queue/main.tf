locals {
  # SQS-managed SSE by default; a customer managed key when kms_key_arn is set.
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
  kms_data_key_reuse      = var.kms_key_arn == null ? null : var.kms_data_key_reuse_period_seconds
}

################################################################################
# Jobs queue (one message per partition) and its dead-letter queue
#
# FIFO, with one message group per partition: at most one job of a
# partition runs at a time, so two consolidations never write the same log
# at once. Throughput is per group, so partitions still run in parallel.
################################################################################

resource "aws_sqs_queue" "dlq" {
  name                              = var.dlq_name
  fifo_queue                        = true
  message_retention_seconds         = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_data_key_reuse

  tags = merge(var.tags, { Name = var.dlq_name })
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  fifo_queue                        = true
  deduplication_scope               = "messageGroup"
  fifo_throughput_limit             = "perMessageGroupId"
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_data_key_reuse

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = merge(var.tags, { Name = var.name })
}

# Only the jobs queue may use the DLQ as its dead-letter target.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

################################################################################
# Report queue (one message group per day) and its dead-letter queue
#
# The analyze function asks for a day's report here after each partition
# commit and builds it from here: FIFO with one group per day, so one build
# of a day runs at a time; every request of one debounce window is the same
# message, deduplicated by SQS, and the delivery delay holds it until the
# window closes, so a burst of commits costs one build.
################################################################################

resource "aws_sqs_queue" "reports_dlq" {
  name                              = var.reports_dlq_name
  fifo_queue                        = true
  message_retention_seconds         = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_data_key_reuse

  tags = merge(var.tags, { Name = var.reports_dlq_name })
}

resource "aws_sqs_queue" "reports" {
  name                              = var.reports_name
  fifo_queue                        = true
  deduplication_scope               = "messageGroup"
  fifo_throughput_limit             = "perMessageGroupId"
  delay_seconds                     = var.reports_delay_seconds
  visibility_timeout_seconds        = var.reports_visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_data_key_reuse

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.reports_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = merge(var.tags, { Name = var.reports_name })
}

resource "aws_sqs_queue_redrive_allow_policy" "reports_dlq" {
  queue_url = aws_sqs_queue.reports_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.reports.arn]
  })
}

################################################################################
# Queue policies: jobs in and out only through the consolidate function,
# report requests only through the analyze function
#
# A job names a partition the consolidate function merges and then deletes
# the raw files of, so who may send one (or delete or hide one, or drain the
# dead-letter queue that shows a failure) is the consolidate role and the
# named operators alone (the analyze role and the operators for report
# requests), whatever IAM grants elsewhere in the account. The
# deny applies to IAM principals (aws:PrincipalArn present): SQS moving a
# message to the dead-letter queue itself is never in its way. Queue
# administration (attributes, tags, the policy itself) is left to IAM, so
# Terraform keeps managing the queues. Plus TLS only, as on the buckets.
#
# Only denies: in the same account a queue policy's Allow is a grant of its
# own, beside the iam module's least-privilege statements; the role's rights
# on the jobs queue come from there alone.
################################################################################

locals {
  # Each queue's one role beside the operators: the consolidate role for
  # jobs, the analyze role for report requests.
  job_queue_users    = distinct(concat([var.consumer_role_arn], var.queue_operator_arns))
  report_queue_users = distinct(concat([var.reports_consumer_role_arn], var.queue_operator_arns))

  job_queues = {
    jobs = aws_sqs_queue.this
    dlq  = aws_sqs_queue.dlq
  }
  report_queues = {
    reports     = aws_sqs_queue.reports
    reports_dlq = aws_sqs_queue.reports_dlq
  }
}

data "aws_iam_policy_document" "queue" {
  for_each = local.job_queues

  statement {
    sid    = "DenyMessagesExceptConsolidateRole"
    effect = "Deny"
    # Creating, reading, hiding or deleting a job.
    actions = [
      "sqs:SendMessage",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:PurgeQueue",
    ]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.job_queue_users
    }

    condition {
      test     = "Null"
      variable = "aws:PrincipalArn"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "report_queue" {
  for_each = local.report_queues

  statement {
    sid    = "DenyMessagesExceptAnalyzeRole"
    effect = "Deny"
    # Creating, reading, hiding or deleting a report request.
    actions = [
      "sqs:SendMessage",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:PurgeQueue",
    ]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.report_queue_users
    }

    condition {
      test     = "Null"
      variable = "aws:PrincipalArn"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.queue["jobs"].json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.queue["dlq"].json
}

resource "aws_sqs_queue_policy" "reports" {
  queue_url = aws_sqs_queue.reports.id
  policy    = data.aws_iam_policy_document.report_queue["reports"].json
}

resource "aws_sqs_queue_policy" "reports_dlq" {
  queue_url = aws_sqs_queue.reports_dlq.id
  policy    = data.aws_iam_policy_document.report_queue["reports_dlq"].json
}

################################################################################
# Dead-letter queue for failed asynchronous invocations of both functions
################################################################################

resource "aws_sqs_queue" "async_dlq" {
  name                              = var.async_dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_data_key_reuse

  tags = merge(var.tags, { Name = var.async_dlq_name })
}
