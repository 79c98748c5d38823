output "consolidate_role_arn" {
  description = "ARN of the consolidate execution role. Resolves only after its policy is attached (Lambda checks DLQ and SQS permissions at create time)."
  value       = aws_iam_role.consolidate.arn

  depends_on = [aws_iam_role_policy.consolidate]
}

output "consolidate_role_name" {
  description = "Name of the consolidate execution role."
  value       = aws_iam_role.consolidate.name
}

output "analyze_role_arn" {
  description = "ARN of the analyze execution role. Resolves only after its policy is attached."
  value       = aws_iam_role.analyze.arn

  depends_on = [aws_iam_role_policy.analyze]
}

output "analyze_role_name" {
  description = "Name of the analyze execution role."
  value       = aws_iam_role.analyze.name
}

output "verify_policy_arn" {
  description = "ARN of the managed policy for auditors who run `cloudtrail-analyzer verify` (read the raw logs and digests, cloudtrail:ListPublicKeys)."
  value       = aws_iam_policy.verify.arn
}

output "consolidate_policy_json" {
  description = "Inline policy document of the consolidate role."
  value       = data.aws_iam_policy_document.consolidate.json
}

output "analyze_policy_json" {
  description = "Inline policy document of the analyze role."
  value       = data.aws_iam_policy_document.analyze.json
}
