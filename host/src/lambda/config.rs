//! The Lambda functions' settings, read once per cold start from the
//! environment. Every variable the host reads in Lambda mode is named here;
//! the Terraform test (`tools/terraform-check`) checks that the `lambda`
//! module sets only these, and all that each role needs.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::runtime::Limits;
use crate::runtime::limits::{
    DEFAULT_MEMORY_LIMIT_MB, DEFAULT_SCRATCH_LIMIT_MB, DEFAULT_TIME_LIMIT_SECS,
};
use crate::storage::S3Location;

/// Which of the two functions this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Plans on the schedule, consolidates the partitions it is sent.
    Consolidate,
    /// Analyzes objects as they are created.
    Analyze,
}

#[derive(Debug, Clone)]
pub struct LambdaConfig {
    pub role: Role,
    pub log_bucket: String,
    pub log_prefix: String,
    pub consolidated_prefix: String,
    pub output_bucket: Option<String>,
    pub output_prefix: String,
    pub job_queue_url: Option<String>,
    pub cleanup: bool,
    /// Compressed bytes of raw files one consolidation step reads; a
    /// partition with more is done in several steps (`after` in the job).
    pub max_job_bytes: u64,
    pub window_days: u32,
    pub component: Option<S3Location>,
    pub config: Option<S3Location>,
    /// Where new findings are published in real time; both optional.
    pub sns_topic_arn: Option<String>,
    pub event_bus_name: Option<String>,
    pub limits: Limits,
    pub cache_dir: PathBuf,
    /// Test-only fault injection, as a crash would strike: the
    /// consolidation exits right after writing every part, before verifying
    /// or cleaning up (`CTA_FAULT=exit-after-write`), or right after writing
    /// K parts (`exit-after-part:K`). Never set in a deployment.
    pub fault: Option<String>,
}

/// Raw files per consolidation step, compressed: about 4 GB of JSON, a few
/// minutes' work, well inside Lambda's 15.
pub const DEFAULT_MAX_JOB_MB: u64 = 1024;

/// The names of the variables, in one list.
pub const VARIABLES: &[&str] = &[
    "CTA_FUNCTION",
    "CTA_LOG_BUCKET",
    "CTA_LOG_PREFIX",
    "CTA_CONSOLIDATED_PREFIX",
    "CTA_OUTPUT_BUCKET",
    "CTA_OUTPUT_PREFIX",
    "CTA_JOB_QUEUE_URL",
    "CTA_CLEANUP",
    "CTA_MAX_JOB_MB",
    "CTA_WINDOW_DAYS",
    "CTA_COMPONENT_URI",
    "CTA_CONFIG_URI",
    "CTA_SNS_TOPIC_ARN",
    "CTA_EVENT_BUS_NAME",
    "CTA_MEMORY_LIMIT_MB",
    "CTA_TIME_LIMIT_SECS",
    "CTA_SCRATCH_LIMIT_MB",
    "CTA_CACHE_DIR",
];

impl LambdaConfig {
    pub fn from_env() -> Result<LambdaConfig> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the settings through `get`, so tests need no process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<LambdaConfig> {
        let role = match get("CTA_FUNCTION").as_deref() {
            Some("consolidate") => Role::Consolidate,
            Some("analyze") => Role::Analyze,
            Some(other) => bail!("CTA_FUNCTION must be `consolidate` or `analyze`, not `{other}`"),
            None => bail!("CTA_FUNCTION is not set: it must be `consolidate` or `analyze`"),
        };
        let log_bucket = get("CTA_LOG_BUCKET").context("CTA_LOG_BUCKET is not set")?;
        let output_bucket = get("CTA_OUTPUT_BUCKET");
        if role == Role::Analyze && output_bucket.is_none() {
            bail!("CTA_OUTPUT_BUCKET is not set: the analyze function writes its reports there");
        }
        let s3_uri = |name: &str| -> Result<Option<S3Location>> {
            match get(name) {
                None => Ok(None),
                Some(uri) => match S3Location::parse(&uri) {
                    Some(loc) => Ok(Some(loc?)),
                    None => bail!("{name} must be an s3://bucket/key URI, not `{uri}`"),
                },
            }
        };
        let number = |name: &str, default: u64| -> Result<u64> {
            get(name).map_or(Ok(default), |v| {
                v.parse()
                    .with_context(|| format!("{name} must be a whole number, not `{v}`"))
            })
        };
        let cleanup = match get("CTA_CLEANUP").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => bail!("CTA_CLEANUP must be `true` or `false`, not `{other}`"),
        };
        let window_days = number("CTA_WINDOW_DAYS", 2)?;
        let max_job_mb = number("CTA_MAX_JOB_MB", DEFAULT_MAX_JOB_MB)?;
        if max_job_mb == 0 {
            bail!("CTA_MAX_JOB_MB must be at least 1");
        }
        if !(1..=31).contains(&window_days) {
            bail!("CTA_WINDOW_DAYS must be between 1 and 31, not {window_days}");
        }
        Ok(LambdaConfig {
            role,
            log_bucket,
            log_prefix: get("CTA_LOG_PREFIX").unwrap_or_default(),
            consolidated_prefix: get("CTA_CONSOLIDATED_PREFIX")
                .unwrap_or_else(|| "consolidated/".into()),
            output_bucket,
            output_prefix: get("CTA_OUTPUT_PREFIX").unwrap_or_else(|| "reports/".into()),
            job_queue_url: get("CTA_JOB_QUEUE_URL"),
            cleanup,
            max_job_bytes: max_job_mb << 20,
            window_days: window_days as u32,
            component: s3_uri("CTA_COMPONENT_URI")?,
            config: s3_uri("CTA_CONFIG_URI")?,
            sns_topic_arn: get("CTA_SNS_TOPIC_ARN"),
            event_bus_name: get("CTA_EVENT_BUS_NAME"),
            limits: Limits::new(
                number("CTA_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB)?,
                number("CTA_TIME_LIMIT_SECS", DEFAULT_TIME_LIMIT_SECS)?,
            )?
            .with_scratch_mb(number("CTA_SCRATCH_LIMIT_MB", DEFAULT_SCRATCH_LIMIT_MB)?)?,
            fault: get("CTA_FAULT"),
            cache_dir: get("CTA_CACHE_DIR")
                .map_or_else(|| PathBuf::from("/tmp/cloudtrail-analyzer"), PathBuf::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<LambdaConfig> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LambdaConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_errors() {
        let c = config(&[("CTA_FUNCTION", "consolidate"), ("CTA_LOG_BUCKET", "logs")]).unwrap();
        assert_eq!(
            (c.role, c.cleanup, c.window_days),
            (Role::Consolidate, true, 2)
        );
        assert_eq!(c.consolidated_prefix, "consolidated/");
        assert!(
            config(&[("CTA_FUNCTION", "analyze"), ("CTA_LOG_BUCKET", "l")])
                .unwrap_err()
                .to_string()
                .contains("CTA_OUTPUT_BUCKET")
        );
        assert!(config(&[("CTA_FUNCTION", "x")]).is_err());
        let err = config(&[
            ("CTA_FUNCTION", "consolidate"),
            ("CTA_LOG_BUCKET", "l"),
            ("CTA_CLEANUP", "yes"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("CTA_CLEANUP"));
    }
}
