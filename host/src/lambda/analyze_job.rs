//! Analysis of a newly created object. A committed manifest (see
//! `manifest`) gets a full report of its partition's log, plus its partial
//! state; the day's report across every account and region is then asked
//! for (see `day_report`), built by merging the saved states.
//!
//! Reports converge on the newest commit, whatever order notifications
//! arrive in: a report is written from the partition's *current* manifest,
//! and after writing it the job checks that the manifest is still what it
//! read; if not, it builds the report again. One state per partition is
//! kept, named by its generation, and the day merges only the newest state
//! of each partition, so no part is ever counted twice. Re-delivery of the
//! same notification rewrites the same keys with the same content.

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::Services;
use super::day_report::{self, Asked, MAX_REBUILDS};
use super::events::ObjectRef;
use super::layout::{Partition, daily_prefix};
use super::manifest;
use crate::alerts::Delivered;
use crate::bindings::Report;
use crate::runtime::{Analyzer, Body, Handle, Instance};
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
    /// The day report this analysis asked for, when queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day_report: Option<day_report::Request>,
}

/// Finishes the report and puts each artifact under `prefix` as it
/// arrives; returns the report and where each artifact went.
pub(super) async fn write_report(
    instance: &mut Instance,
    session: Handle,
    services: &Services,
    bucket: &str,
    prefix: &str,
) -> Result<(Report, Vec<String>)> {
    let mut written = Vec::new();
    let report = instance
        .finish_with(session, async |artifact| {
            let name = crate::outputs::safe_name(&artifact.name)?;
            let key = format!("{prefix}{name}");
            let (data, media_type) = (artifact.data, &artifact.media_type);
            storage::put(&services.s3, bucket, &key, data, media_type).await?;
            written.push(format!("s3://{bucket}/{key}"));
            Ok(())
        })
        .await?;
    Ok((report, written))
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
    let Some(partition) = Partition::from_manifest_key(&c.consolidated_prefix, key) else {
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
            day_report: None,
        });
    };
    let out_bucket = c
        .output_bucket
        .as_deref()
        .context("CTA_OUTPUT_BUCKET is not set")?;

    let mut written = Vec::new();
    let mut summary = None;
    for _ in 0..MAX_REBUILDS {
        let current =
            manifest::read(&services.s3, bucket, &partition, &c.consolidated_prefix).await?;
        let Some(committed) = &current.manifest else {
            bail!(
                "{object}: no manifest to report on (it was notified, so S3 should have it; retry)"
            );
        };
        let mut instance = analyzer.instantiate().await?;
        let session = instance.open_session(config).await?;
        for part in &committed.parts {
            let reader = storage::open(&services.s3, bucket, &part.key).await?;
            let name = format!("s3://{bucket}/{}", part.key);
            instance
                .add_stream(session, &name, Body::Stream(reader))
                .await?;
        }
        let state = instance.export_state(session).await?;
        let report_prefix = partition.prefix(&c.output_prefix);
        let report;
        (report, written) =
            write_report(&mut instance, session, services, out_bucket, &report_prefix).await?;
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
        let day_state_key = format!(
            "{day}states/{}",
            day_report::state_name(&partition, committed.generation)
        );
        storage::put(
            &services.s3,
            out_bucket,
            &day_state_key,
            state,
            "application/json",
        )
        .await?;
        written.push(format!("s3://{out_bucket}/{day_state_key}"));
        summary = Some(report.summary);
        let now = manifest::read(&services.s3, bucket, &partition, &c.consolidated_prefix).await?;
        if now.etag == current.etag {
            break;
        }
        summary = None;
        tracing::info!(partition = %partition.prefix(""), "a newer commit landed while reporting; reporting again");
    }
    let summary = summary.with_context(|| {
        format!("{object}: the partition was committed again {MAX_REBUILDS} times while it was reported; retry")
    })?;

    let day_report = match day_report::ask(services, analyzer, partition.day, config).await? {
        Asked::Written(keys) => {
            written.extend(keys);
            None
        }
        Asked::Queued(request) => Some(request),
    };
    Ok(AnalyzeReport {
        object,
        kind: "consolidated-log",
        events: summary.events,
        failed_inputs: summary.failed,
        written,
        alerts: None,
        day_report,
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
            day_report: None,
        });
    }
    let mut instance = analyzer.instantiate().await?;
    let session = instance.open_session(config).await?;
    // By version: consolidation may have deleted the key since (it absorbs
    // raw files on its own schedule), and the version is still there.
    let version = target.version_id.as_deref();
    let reader = storage::open_version(&services.s3, bucket, key, version).await?;
    let outcome = instance
        .add_stream(session, &object, Body::Stream(reader))
        .await?;
    // Only the alerts matter here: each artifact is dropped as it arrives.
    let report = instance.finish_with(session, async |_| Ok(())).await?;
    let delivered = services.alerts.deliver(&report.alerts).await?;
    Ok(AnalyzeReport {
        object,
        kind: "raw-log",
        events: outcome.events,
        failed_inputs: report.summary.failed,
        written: Vec::new(),
        alerts: Some(delivered),
        day_report: None,
    })
}
