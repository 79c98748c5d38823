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
# Queue policies: jobs in and out only through the consolidate function
#
# A job names a partition the consolidate function merges and then deletes
# the raw files of, so who may send one (or delete or hide one, or drain the
# dead-letter queue that shows a failure) is the consolidate role and the
# named operators alone, whatever IAM grants elsewhere in the account. The
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
  queue_users = distinct(concat([var.consumer_role_arn], var.queue_operator_arns))

  queues = {
    jobs = aws_sqs_queue.this
    dlq  = aws_sqs_queue.dlq
  }
}

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

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
      values   = local.queue_users
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
