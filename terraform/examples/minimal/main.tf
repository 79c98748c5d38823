provider "aws" {
  region = var.region
}

# Everything at its defaults: multi-region trail into a new log bucket,
# consolidation every 12 hours, SSE-S3, no alert topics. The zip and the
# component are read from the Rust workspace's target/ directory.
module "cloudtrail_analyzer" {
  source = "../.."

  name_prefix           = var.name_prefix
  lambda_architecture   = var.lambda_architecture
  lambda_package_path   = var.lambda_package_path
  component_source_path = var.component_source_path

  tags = var.tags
}
