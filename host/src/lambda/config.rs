//! The Lambda functions' settings, read once per cold start from the
//! environment. Every variable the host reads in Lambda mode is named here;
//! the Terraform test (`tools/terraform-check`) checks that the `lambda`
//! module sets only these, and all that each role needs. The numeric ones
//! are bounded by `RANGES`, which the same test holds the Terraform
//! variables' validations to, so a plan that validates never sets a value
//! the function refuses at start.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::runtime::limits::{
    DEFAULT_MEMORY_LIMIT_MB, DEFAULT_SCRATCH_LIMIT_MB, DEFAULT_TIME_LIMIT_SECS,
};
use crate::runtime::{ComponentPin, Limits};
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
    /// The FIFO queue of day report requests (analyze): one writer per
    /// day; unset, each analysis builds the day report itself.
    pub report_queue_url: Option<String>,
    /// The debounce window of day report requests: one build per day per
    /// window, however many partitions commit in it.
    pub report_debounce: Duration,
    pub cleanup: bool,
    /// Compressed bytes of raw files one consolidation step reads; a
    /// partition with more is done in several steps (`after` in the job).
    pub max_job_bytes: u64,
    pub window_days: u32,
    pub component: Option<S3Location>,
    /// The SHA-256 the component must have (`CTA_COMPONENT_SHA256`); a
    /// component with other bytes is refused before it is compiled.
    pub component_pin: Option<ComponentPin>,
    pub config: Option<S3Location>,
    /// Sigma rule files: every `*.yml`/`*.yaml` under this S3 prefix
    /// (`CTA_SIGMA_URI`), listed at each invocation.
    pub sigma: Option<S3Location>,
    /// Where new findings are published in real time; both optional.
    pub sns_topic_arn: Option<String>,
    pub event_bus_name: Option<String>,
    pub limits: Limits,
    pub cache_dir: PathBuf,
    /// How long an alert's claim is held before another delivery may take
    /// it over and publish the alert (see `crate::alerts`).
    pub alert_lease: Duration,
    /// Test-only fault injection, as a crash would strike: the process
    /// exits right after its N-th successful S3 write
    /// (`CTA_FAULT=exit-after-s3-write:N`: parts, manifests, deletes,
    /// markers, states); the analyze function exits right after claiming an
    /// alert, before publishing it (`exit-after-claim`). Never set in a
    /// deployment.
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
    "CTA_REPORT_QUEUE_URL",
    "CTA_REPORT_DEBOUNCE_SECS",
    "CTA_CLEANUP",
    "CTA_MAX_JOB_MB",
    "CTA_WINDOW_DAYS",
    "CTA_COMPONENT_URI",
    "CTA_COMPONENT_SHA256",
    "CTA_CONFIG_URI",
    "CTA_SIGMA_URI",
    "CTA_SNS_TOPIC_ARN",
    "CTA_EVENT_BUS_NAME",
    "CTA_MEMORY_LIMIT_MB",
    "CTA_TIME_LIMIT_SECS",
    "CTA_SCRATCH_LIMIT_MB",
    "CTA_CACHE_DIR",
    "CTA_ALERT_LEASE_SECS",
];

/// An alert claimed by a delivery that died before publishing it is taken
/// over by a later delivery after this long. A live delivery gives up
/// publishing after half of it, so a claim older than the lease is
/// abandoned; a minute also lets Lambda's second try of an asynchronous
/// invocation (one minute after the first fails) take it over.
pub const DEFAULT_ALERT_LEASE_SECS: u64 = 60;

/// `CTA_FAULT` value: the analyze function exits right after claiming an
/// alert, before publishing it (test only).
pub const FAULT_EXIT_AFTER_CLAIM: &str = "exit-after-claim";
/// `CTA_FAULT` prefix: `exit-after-s3-write:N` (see `LambdaConfig::fault`).
pub const FAULT_EXIT_AFTER_S3_WRITE: &str = "exit-after-s3-write:";

/// The whole numbers the host accepts for each numeric variable, inclusive:
/// (name, min, max). Every number is read through this table, and
/// `tools/terraform-check` holds the Terraform variables that feed these to
/// the same ranges. The memory, time and scratch bounds are those of
/// `runtime::Limits` (a test here keeps them equal).
pub const RANGES: &[(&str, u64, u64)] = &[
    ("CTA_WINDOW_DAYS", 1, 31),
    ("CTA_MAX_JOB_MB", 1, 1_048_576),
    ("CTA_MEMORY_LIMIT_MB", 16, 65_536),
    ("CTA_TIME_LIMIT_SECS", 1, 86_400),
    ("CTA_SCRATCH_LIMIT_MB", 1, 1_073_741_824),
    ("CTA_ALERT_LEASE_SECS", 2, 3_600),
    // Within SQS's 5-minute deduplication interval (`day_report`).
    ("CTA_REPORT_DEBOUNCE_SECS", 1, 300),
];

/// A day report is built at most once a minute per day by default.
pub const DEFAULT_REPORT_DEBOUNCE_SECS: u64 = 60;

/// The range of `name` in `RANGES`.
pub fn range(name: &str) -> Option<(u64, u64)> {
    RANGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, min, max)| (min, max))
}

/// Reads the whole number `name` through `get`, `default` when unset,
/// refusing what is outside its range in `RANGES`.
fn read_number(get: &impl Fn(&str) -> Option<String>, name: &str, default: u64) -> Result<u64> {
    let Some((min, max)) = range(name) else {
        bail!("{name} has no range in RANGES (config.rs)");
    };
    let Some(v) = get(name) else {
        return Ok(default);
    };
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => bail!("{name} must be a whole number between {min} and {max}, not `{v}`"),
    }
}

/// A variable of the process environment; empty counts as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl LambdaConfig {
    pub fn from_env() -> Result<LambdaConfig> {
        Self::from_lookup(env)
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
        let number = |name: &str, default: u64| read_number(&get, name, default);
        let cleanup = match get("CTA_CLEANUP").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => bail!("CTA_CLEANUP must be `true` or `false`, not `{other}`"),
        };
        let window_days = number("CTA_WINDOW_DAYS", 2)?;
        // 64 hexadecimal digits, checked here with the other formats so a
        // malformed pin stops the function at start, not at an invocation.
        let component_pin = get("CTA_COMPONENT_SHA256")
            .map(|hex| ComponentPin::parse(&hex, "CTA_COMPONENT_SHA256"))
            .transpose()?;
        let max_job_mb = number("CTA_MAX_JOB_MB", DEFAULT_MAX_JOB_MB)?;
        Ok(LambdaConfig {
            role,
            log_bucket,
            log_prefix: get("CTA_LOG_PREFIX").unwrap_or_default(),
            consolidated_prefix: get("CTA_CONSOLIDATED_PREFIX")
                .unwrap_or_else(|| "consolidated/".into()),
            output_bucket,
            output_prefix: get("CTA_OUTPUT_PREFIX").unwrap_or_else(|| "reports/".into()),
            job_queue_url: get("CTA_JOB_QUEUE_URL"),
            report_queue_url: get("CTA_REPORT_QUEUE_URL"),
            report_debounce: Duration::from_secs(number(
                "CTA_REPORT_DEBOUNCE_SECS",
                DEFAULT_REPORT_DEBOUNCE_SECS,
            )?),
            cleanup,
            max_job_bytes: max_job_mb << 20,
            window_days: window_days as u32,
            component: s3_uri("CTA_COMPONENT_URI")?,
            component_pin,
            config: s3_uri("CTA_CONFIG_URI")?,
            sigma: s3_uri("CTA_SIGMA_URI")?,
            sns_topic_arn: get("CTA_SNS_TOPIC_ARN"),
            event_bus_name: get("CTA_EVENT_BUS_NAME"),
            limits: Limits::new(
                number("CTA_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB)?,
                number("CTA_TIME_LIMIT_SECS", DEFAULT_TIME_LIMIT_SECS)?,
            )?
            .with_scratch_mb(number("CTA_SCRATCH_LIMIT_MB", DEFAULT_SCRATCH_LIMIT_MB)?)?,
            alert_lease: Duration::from_secs(number(
                "CTA_ALERT_LEASE_SECS",
                DEFAULT_ALERT_LEASE_SECS,
            )?),
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

    #[test]
    fn the_component_pin_is_64_hex_digits_checked_at_start() {
        let base = [("CTA_FUNCTION", "consolidate"), ("CTA_LOG_BUCKET", "l")];
        assert!(config(&base).unwrap().component_pin.is_none());
        let digest = "ab".repeat(32);
        let mut vars = base.to_vec();
        vars.push(("CTA_COMPONENT_SHA256", &digest));
        let pin = config(&vars).unwrap().component_pin.unwrap();
        assert_eq!(pin.to_string(), digest);
        for bad in ["abc", "zz".repeat(32).as_str(), "ab".repeat(33).as_str()] {
            let mut vars = base.to_vec();
            vars.push(("CTA_COMPONENT_SHA256", bad));
            let err = format!("{:#}", config(&vars).unwrap_err());
            assert!(
                err.contains(
                    "CTA_COMPONENT_SHA256 must be the component's SHA-256 as 64 hexadecimal digits"
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn every_number_is_bounded_by_its_range() {
        let base = [("CTA_FUNCTION", "consolidate"), ("CTA_LOG_BUCKET", "l")];
        let defaults = config(&base).unwrap();
        assert_eq!(
            defaults.alert_lease,
            Duration::from_secs(DEFAULT_ALERT_LEASE_SECS)
        );
        for &(name, min, max) in RANGES {
            assert!(
                VARIABLES.contains(&name),
                "{name} is in RANGES, not in VARIABLES"
            );
            assert!(min <= max, "{name}");
            let with = |value: String| {
                let mut vars = base.to_vec();
                let value: &'static str = Box::leak(value.into_boxed_str());
                vars.push((name, value));
                config(&vars)
            };
            for ok in [min, max] {
                with(ok.to_string()).unwrap_or_else(|e| panic!("{name}={ok}: {e:#}"));
            }
            let mut bad = vec![(max + 1).to_string(), "1.5".into(), "-1".into(), "x".into()];
            if min > 0 {
                bad.push((min - 1).to_string());
            }
            for value in bad {
                let err = with(value.clone()).expect_err(&format!("{name}={value} accepted"));
                let text = format!("{err:#}");
                assert!(
                    text.contains(name) && text.contains(&format!("between {min} and {max}")),
                    "{name}={value}: {text}"
                );
            }
        }
        // The window's default and the others' are inside their ranges.
        let within = |name: &str, v: u64| {
            let (min, max) = range(name).unwrap();
            assert!((min..=max).contains(&v), "default {name}={v}");
        };
        within("CTA_WINDOW_DAYS", u64::from(defaults.window_days));
        within("CTA_MAX_JOB_MB", DEFAULT_MAX_JOB_MB);
        within("CTA_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB);
        within("CTA_TIME_LIMIT_SECS", DEFAULT_TIME_LIMIT_SECS);
        within("CTA_SCRATCH_LIMIT_MB", DEFAULT_SCRATCH_LIMIT_MB);
        within("CTA_ALERT_LEASE_SECS", DEFAULT_ALERT_LEASE_SECS);
        within("CTA_REPORT_DEBOUNCE_SECS", DEFAULT_REPORT_DEBOUNCE_SECS);
        assert_eq!(
            range("CTA_REPORT_DEBOUNCE_SECS").unwrap().1,
            super::super::day_report::MAX_DEBOUNCE_SECS
        );
    }

    #[test]
    fn ranges_are_those_of_the_runtime_limits() {
        // RANGES is what Terraform is checked against; `Limits` is what
        // enforces the memory, time and scratch caps. They must agree.
        let (mem_min, mem_max) = range("CTA_MEMORY_LIMIT_MB").unwrap();
        let (t_min, t_max) = range("CTA_TIME_LIMIT_SECS").unwrap();
        let (s_min, s_max) = range("CTA_SCRATCH_LIMIT_MB").unwrap();
        for (m, t) in [(mem_min, t_min), (mem_max, t_max)] {
            Limits::new(m, t).unwrap_or_else(|e| panic!("Limits::new({m}, {t}): {e:#}"));
        }
        assert!(Limits::new(mem_min - 1, t_min).is_err());
        assert!(Limits::new(mem_max + 1, t_min).is_err());
        assert!(Limits::new(mem_min, t_min - 1).is_err());
        assert!(Limits::new(mem_min, t_max + 1).is_err());
        let limits = Limits::default();
        assert!(limits.with_scratch_mb(s_min).is_ok());
        assert!(limits.with_scratch_mb(s_max).is_ok());
        assert!(limits.with_scratch_mb(s_min - 1).is_err());
        assert!(limits.with_scratch_mb(s_max + 1).is_err());
    }
}
