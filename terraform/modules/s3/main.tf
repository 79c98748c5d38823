data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The three data buckets share one hardened configuration.
  buckets = {
    log    = var.log_bucket_name
    output = var.output_bucket_name
    rules  = var.rules_bucket_name
  }

  sse_algorithm = var.kms_key_arn == null ? "AES256" : "aws:kms"

  # Where S3 server access logs go: the dedicated bucket created here, or an
  # existing bucket named by the caller, or nowhere.
  access_log_target = var.create_access_log_bucket ? aws_s3_bucket.access_logs[0].id : var.access_log_target_bucket
  enable_access_log = var.create_access_log_bucket || var.access_log_target_bucket != null

  # CloudTrail writes under <log_prefix>AWSLogs/<account>/ (and AWSLogs/<org-id>/
  # for an organization trail).
  raw_prefix = "${var.log_prefix}AWSLogs/"
}

################################################################################
# Data buckets: log (CloudTrail + consolidated), output (reports), rules (component)
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice left to the operator (it needs a second region and provider); versioning is on so it can be added.
  #checkov:skip=CKV2_AWS_62:Only the log bucket has consumers for object events (the analyze function, wired in aws_s3_bucket_notification.log); the output and rules buckets have none.
  for_each = local.buckets

  bucket        = each.value
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = each.value, Purpose = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_algorithm
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = { for k, v in aws_s3_bucket.this : k => v if local.enable_access_log }

  bucket        = each.value.id
  target_bucket = local.access_log_target
  target_prefix = "${var.access_log_target_prefix}${each.value.id}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "noncurrent-versions-and-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Raw logs are deleted after consolidation; drop the leftover delete
    # markers once their noncurrent versions have expired.
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

################################################################################
# Bucket policies: TLS only everywhere, plus CloudTrail delivery on the log
# bucket and, on the rules bucket, writes of the rules for deployers only
################################################################################

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]

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

# Whoever can write the component key chooses the code every function runs,
# and the config key what it is told; an IAM grant anywhere in the account
# (s3:* on a developer role, say) must not be enough. Every principal whose
# ARN is not one of the deployers' is denied every write and delete of those
# two keys, versions and ACLs included. Reading stays with IAM.
data "aws_iam_policy_document" "rules_writers" {
  statement {
    sid    = "DenyRulesWritesExceptDeployers"
    effect = "Deny"
    actions = [
      "s3:PutObject",
      "s3:PutObjectAcl",
      "s3:PutObjectVersionAcl",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:ReplicateObject",
      "s3:ReplicateDelete",
    ]
    resources = [
      "${aws_s3_bucket.this["rules"].arn}/${var.component_key}",
      "${aws_s3_bucket.this["rules"].arn}/${var.config_key}",
      "${aws_s3_bucket.this["rules"].arn}/${var.sigma_prefix}*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = var.rules_writer_arns
    }
  }
}

data "aws_iam_policy_document" "cloudtrail" {
  count = var.enable_cloudtrail_policy ? 1 : 0

  lifecycle {
    precondition {
      condition     = var.cloudtrail_arn != null
      error_message = "cloudtrail_arn is required when enable_cloudtrail_policy is true."
    }

    precondition {
      condition     = !var.enable_organization_trail || var.organization_id != null
      error_message = "organization_id is required when enable_organization_trail is true."
    }
  }

  statement {
    sid       = "AWSCloudTrailAclCheck"
    effect    = "Allow"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this["log"].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [var.cloudtrail_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "AWSCloudTrailWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["log"].arn}/${local.raw_prefix}${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [var.cloudtrail_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  dynamic "statement" {
    for_each = var.enable_organization_trail ? [1] : []

    content {
      sid       = "AWSCloudTrailOrganizationWrite"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this["log"].arn}/${local.raw_prefix}${var.organization_id}/*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "s3:x-amz-acl"
        values   = ["bucket-owner-full-control"]
      }

      # Member-account logs are written by the management account's trail, so
      # the trail ARN (not the writing account) is the scoping condition here.
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [var.cloudtrail_arn]
      }
    }
  }
}

data "aws_iam_policy_document" "combined" {
  for_each = aws_s3_bucket.this

  source_policy_documents = concat(
    [data.aws_iam_policy_document.tls_only[each.key].json],
    each.key == "log" && var.enable_cloudtrail_policy ? [data.aws_iam_policy_document.cloudtrail[0].json] : [],
    each.key == "rules" ? [data.aws_iam_policy_document.rules_writers.json] : [],
  )
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.combined[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# Dedicated S3 server access log bucket (optional)
################################################################################

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target itself; logging it into itself (or another bucket) would recurse.
  #checkov:skip=CKV_AWS_144:Cross-region replication of access logs is left to the operator; versioning is on so it can be added.
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to buckets encrypted with SSE-S3 (AES256); SSE-KMS is not supported for the target bucket.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events from the access-log bucket.
  count = var.create_access_log_bucket ? 1 : 0

  bucket        = var.access_log_bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = var.access_log_bucket_name, Purpose = "access-logs" })

  lifecycle {
    precondition {
      condition     = var.access_log_bucket_name != null
      error_message = "access_log_bucket_name is required when create_access_log_bucket is true."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }

    expiration {
      days = var.access_log_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.access_logs[0].arn,
      "${aws_s3_bucket.access_logs[0].arn}/*",
    ]

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

  statement {
    sid       = "S3ServerAccessLogsPolicy"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/${var.access_log_target_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [for name in values(local.buckets) : "arn:${local.partition}:s3:::${name}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = var.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

################################################################################
# Analyzer component and optional rules config in the rules bucket
################################################################################

# Terraform re-uploads the component only when the local build artifact
# changes (source_hash). Deliberately no `etag`, `content_type` or `metadata`
# arguments and no lifecycle ignore_changes: an operator's out-of-band
# `aws s3 cp` of a new component then shows no drift and is not reverted by
# the next `terraform apply`; it is replaced only when the local file at
# component_source_path changes (a new build). Set create_component_object =
# false to hand the object over to operators entirely. The bucket is
# versioned, so earlier components stay recoverable.
resource "aws_s3_object" "component" {
  count = var.create_component_object ? 1 : 0

  bucket      = aws_s3_bucket.this["rules"].id
  key         = var.component_key
  source      = var.component_source_path
  source_hash = filemd5(var.component_source_path)

  tags = var.tags

  # The policy that admits the identity applying this as a writer is in
  # place before it uploads.
  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]

  lifecycle {
    precondition {
      condition     = var.component_source_path != null
      error_message = "component_source_path is required when create_component_object is true."
    }

    # A pinned deployment refuses any other component: never upload one.
    precondition {
      condition     = var.component_sha256 == "" || try(filesha256(var.component_source_path), "") == var.component_sha256
      error_message = "component_sha256 is set, but the file at component_source_path has another SHA-256; the functions would refuse it. Pin the digest of the file (sha256sum) or upload nothing (create_component_object = false)."
    }
  }
}

resource "aws_s3_object" "config" {
  count = var.rules_config_source_path != null ? 1 : 0

  bucket      = aws_s3_bucket.this["rules"].id
  key         = var.config_key
  source      = var.rules_config_source_path
  source_hash = filemd5(var.rules_config_source_path)

  tags = var.tags

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]
}

# Sigma rule files, one object each, under sigma_prefix. The functions list
# the prefix at each invocation, so files uploaded there later (aws s3 sync)
# count too; a file deleted from the folder is deleted from the bucket.
resource "aws_s3_object" "sigma" {
  for_each = var.sigma_rules_source_dir != null ? fileset(var.sigma_rules_source_dir, "**/*.{yml,yaml}") : []

  bucket      = aws_s3_bucket.this["rules"].id
  key         = "${var.sigma_prefix}${each.value}"
  source      = "${var.sigma_rules_source_dir}/${each.value}"
  source_hash = filemd5("${var.sigma_rules_source_dir}/${each.value}")

  tags = var.tags

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]
}

################################################################################
# Log bucket -> analyze function notifications
################################################################################

resource "aws_s3_bucket_notification" "log" {
  count = var.enable_analyze_notifications ? 1 : 0

  bucket = aws_s3_bucket.this["log"].id

  lifecycle {
    precondition {
      condition     = var.analyze_function_arn != null
      error_message = "analyze_function_arn is required when enable_analyze_notifications is true."
    }

    # S3 rejects overlapping prefixes for the same event type.
    precondition {
      condition     = !startswith(var.consolidated_prefix, local.raw_prefix) && !startswith(local.raw_prefix, var.consolidated_prefix)
      error_message = "consolidated_prefix and <log_prefix>AWSLogs/ must not overlap."
    }
  }

  # Consolidated partitions: a full report on each commit. The manifest is
  # the commit point; parts are written before it and may be discarded.
  lambda_function {
    id                  = "analyze-consolidated"
    lambda_function_arn = var.analyze_function_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.consolidated_prefix
    filter_suffix       = "/manifest.json"
  }

  # Raw CloudTrail files: real-time findings. Digest files under
  # CloudTrail-Digest/ match this filter too; the function ignores them.
  lambda_function {
    id                  = "analyze-raw"
    lambda_function_arn = var.analyze_function_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.raw_prefix
    filter_suffix       = ".json.gz"
  }
}
