//! Analysis of a newly created object. A consolidated part gets a full
//! report under a key derived from its own, plus its partial state; the
//! day's report across every account and region is then rebuilt by merging
//! the saved states, never by reading the logs again. Re-delivery of the
//! same notification overwrites the same keys.

use anyhow::{Context, Result};
use serde::Serialize;

use super::Services;
use super::events::ObjectRef;
use super::layout::{Partition, daily_prefix};
use crate::alerts::Delivered;
use crate::bindings::Artifact;
use crate::runtime::Analyzer;
use crate::storage;

#[derive(Debug, Serialize)]
pub struct AnalyzeReport {
    pub object: String,
    pub kind: &'static str,
    pub events: u64,
    pub failed_inputs: u64,
    pub written: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Delivered>,
}

async fn write_all(
    services: &Services,
    bucket: &str,
    prefix: &str,
    artifacts: &[Artifact],
) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for a in artifacts {
        let key = format!("{prefix}{}", crate::outputs::safe_name(&a.name)?);
        storage::put(&services.s3, bucket, &key, a.data.clone(), &a.media_type).await?;
        written.push(format!("s3://{bucket}/{key}"));
    }
    Ok(written)
}

pub async fn run(
    services: &Services,
    analyzer: &Analyzer,
    target: &ObjectRef,
    config: &str,
) -> Result<AnalyzeReport> {
    let (bucket, key) = (target.bucket.as_str(), target.key.as_str());
    let c = &services.config;
    let object = format!("s3://{bucket}/{key}");
    let Some((partition, part)) = Partition::from_consolidated_key(&c.consolidated_prefix, key)
    else {
        if Partition::from_raw_key(&c.log_prefix, key).is_some() {
            return real_time(services, analyzer, target, config).await;
        }
        return Ok(AnalyzeReport {
            object,
            kind: "ignored",
            events: 0,
            failed_inputs: 0,
            written: Vec::new(),
            alerts: None,
        });
    };
    let out_bucket = c
        .output_bucket
        .as_deref()
        .context("CTA_OUTPUT_BUCKET is not set")?;

    let mut instance = analyzer.instantiate().await?;
    let session = instance.open_session(config).await?;
    let reader = storage::open(&services.s3, bucket, key).await?;
    instance.add_stream(session, &object, reader).await?;
    let state = instance.export_state(session).await?;
    let report = instance.finish(session).await?;

    let report_prefix = format!("{}{part}/", partition.prefix(&c.output_prefix));
    let mut written = write_all(services, out_bucket, &report_prefix, &report.artifacts).await?;
    let state_key = format!("{report_prefix}state.json");
    storage::put(
        &services.s3,
        out_bucket,
        &state_key,
        state.clone(),
        "application/json",
    )
    .await?;
    let day = daily_prefix(&c.output_prefix, partition.day);
    let day_state_key = format!("{day}states/{}.json", partition.flat_name(&part));
    storage::put(
        &services.s3,
        out_bucket,
        &day_state_key,
        state,
        "application/json",
    )
    .await?;
    written.push(format!("s3://{out_bucket}/{day_state_key}"));

    written.extend(rebuild_day(services, analyzer, out_bucket, &day, config).await?);
    Ok(AnalyzeReport {
        object,
        kind: "consolidated-log",
        events: report.summary.events,
        failed_inputs: report.summary.failed,
        written,
        alerts: None,
    })
}

/// A raw log as CloudTrail delivered it: findings only, published at once
/// and once; the consolidated report later covers the same events.
async fn real_time(
    services: &Services,
    analyzer: &Analyzer,
    target: &ObjectRef,
    config: &str,
) -> Result<AnalyzeReport> {
    let (bucket, key) = (target.bucket.as_str(), target.key.as_str());
    let object = format!("s3://{bucket}/{key}");
    if !services.alerts.is_configured() {
        return Ok(AnalyzeReport {
            object,
            kind: "raw-log (no alert destination configured)",
            events: 0,
            failed_inputs: 0,
            written: Vec::new(),
            alerts: None,
        });
    }
    let mut instance = analyzer.instantiate().await?;
    let session = instance.open_session(config).await?;
    // By version: consolidation may have deleted the key since (it absorbs
    // raw files on its own schedule), and the version is still there.
    let version = target.version_id.as_deref();
    let reader = storage::open_version(&services.s3, bucket, key, version).await?;
    let outcome = instance.add_stream(session, &object, reader).await?;
    let report = instance.finish(session).await?;
    let delivered = services.alerts.deliver(&report.alerts).await?;
    Ok(AnalyzeReport {
        object,
        kind: "raw-log",
        events: outcome.events,
        failed_inputs: report.summary.failed,
        written: Vec::new(),
        alerts: Some(delivered),
    })
}

/// The day's report: every saved state of the day merged.
async fn rebuild_day(
    services: &Services,
    analyzer: &Analyzer,
    bucket: &str,
    day: &str,
    config: &str,
) -> Result<Vec<String>> {
    let states = storage::list(&services.s3, bucket, &format!("{day}states/")).await?;
    let mut instance = analyzer.instantiate().await?;
    let session = instance.open_session(config).await?;
    for state in &states {
        let (bytes, _) = storage::get_bytes(&services.s3, bucket, &state.key).await?;
        if let Err(e) = instance.merge_state(session, &bytes).await {
            // A state from an older component version: report it, keep going.
            let name = format!("s3://{bucket}/{}", state.key);
            tracing::warn!(state = %name, error = %format!("{e:#}"), "cannot merge a saved state");
            instance
                .record_failure(
                    session,
                    &name,
                    &format!("cannot merge this saved state: {e:#}"),
                )
                .await?;
        }
    }
    let report = instance.finish(session).await?;
    write_all(services, bucket, day, &report.artifacts).await
}
