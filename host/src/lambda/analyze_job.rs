//! Analysis of a newly created object. A committed manifest (see
//! `manifest`) gets a full report of its partition's log, plus its partial
//! state; the day's report across every account and region is then rebuilt
//! by merging the saved states, never by reading the logs again.
//!
//! Reports converge on the newest commit, whatever order notifications
//! arrive in: a report is written from the partition's *current* manifest,
//! and after writing it the job checks that the manifest (for the partition
//! report) and the set of states (for the day report) are still what it
//! read; if not, it builds the report again. One state per partition is
//! kept, named by its generation, and the day merges only the newest state
//! of each partition, so no part is ever counted twice. Re-delivery of the
//! same notification rewrites the same keys with the same content.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::Services;
use super::events::ObjectRef;
use super::layout::{Partition, daily_prefix};
use super::manifest;
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

/// How many times a report is rebuilt because its sources changed while it
/// was written, before the invocation fails (and is retried).
const MAX_REBUILDS: usize = 5;

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
            instance.add_stream(session, &name, reader).await?;
        }
        let state = instance.export_state(session).await?;
        let report = instance.finish(session).await?;

        let report_prefix = partition.prefix(&c.output_prefix);
        written = write_all(services, out_bucket, &report_prefix, &report.artifacts).await?;
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
            state_name(&partition, committed.generation)
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

    let day = daily_prefix(&c.output_prefix, partition.day);
    written.extend(rebuild_day(services, analyzer, out_bucket, &day, config).await?);
    Ok(AnalyzeReport {
        object,
        kind: "consolidated-log",
        events: summary.events,
        failed_inputs: summary.failed,
        written,
        alerts: None,
    })
}

/// `[o-org_]ACCOUNT_REGION.gNNNNNN.json`: a partition's state, by generation.
fn state_name(partition: &Partition, generation: u64) -> String {
    format!("{}.g{generation:06}.json", partition.flat_name())
}

/// The partition and generation of a state's file name; states from before
/// manifests (`…_part-00001.json`) are generation 0 of their partition.
fn parse_state_name(name: &str) -> Option<(String, u64)> {
    let stem = name.strip_suffix(".json")?;
    if let Some((flat, generation)) = stem.rsplit_once(".g") {
        return Some((flat.to_owned(), generation.parse().ok()?));
    }
    let (flat, part) = stem.rsplit_once("_part-")?;
    part.parse::<u64>().ok()?;
    Some((flat.to_owned(), 0))
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

/// The day's report: the newest state of every partition merged. Older
/// states are superseded and deleted; the report is rebuilt until the
/// states it merged are still the newest after it is written.
async fn rebuild_day(
    services: &Services,
    analyzer: &Analyzer,
    bucket: &str,
    day: &str,
    config: &str,
) -> Result<Vec<String>> {
    let s3 = &services.s3;
    let states_prefix = format!("{day}states/");
    for _ in 0..MAX_REBUILDS {
        let listed = states(s3, bucket, &states_prefix).await?;
        let (newest, superseded) = newest_states(&states_prefix, &listed);
        storage::delete(s3, bucket, &superseded).await?;
        let mut instance = analyzer.instantiate().await?;
        let session = instance.open_session(config).await?;
        for (key, _) in &newest {
            let (bytes, _) = storage::get_bytes(s3, bucket, key).await?;
            if let Err(e) = instance.merge_state(session, &bytes).await {
                // A state from an older component version: report it, keep going.
                let name = format!("s3://{bucket}/{key}");
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
        let written = write_all(services, bucket, day, &report.artifacts).await?;
        let after = states(s3, bucket, &states_prefix).await?;
        if newest_states(&states_prefix, &after).0 == newest {
            return Ok(written);
        }
        tracing::info!(
            day,
            "the day's states changed while its report was written; rebuilding"
        );
    }
    bail!(
        "the states under s3://{bucket}/{states_prefix} changed {MAX_REBUILDS} times while the day report was built; retry"
    )
}

type KeyAndEtag = (String, String);

/// The day's saved states with their ETags, in key order: a snapshot to
/// compare with a later one.
async fn states(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<KeyAndEtag>> {
    let mut listed: Vec<KeyAndEtag> = storage::list(s3, bucket, prefix)
        .await?
        .into_iter()
        .map(|o| (o.key, o.etag))
        .collect();
    listed.sort();
    Ok(listed)
}

/// Of the listed states (key, ETag), the newest of each partition, and the
/// keys of the ones they supersede. A partition still in the layout from
/// before manifests has one state per part (generation 0): those all count
/// until its first commit's state replaces them.
fn newest_states(prefix: &str, listed: &[KeyAndEtag]) -> (Vec<KeyAndEtag>, Vec<String>) {
    let mut by_partition: BTreeMap<String, Vec<(u64, &KeyAndEtag)>> = BTreeMap::new();
    for state in listed {
        let name = state.0.strip_prefix(prefix).unwrap_or(&state.0);
        if let Some((partition, generation)) = parse_state_name(name) {
            by_partition
                .entry(partition)
                .or_default()
                .push((generation, state));
        }
    }
    let (mut newest, mut superseded) = (Vec::new(), Vec::new());
    for states in by_partition.values() {
        let top = states.iter().map(|(g, _)| *g).max().unwrap_or(0);
        for (generation, state) in states {
            if *generation == top {
                newest.push((*state).clone());
            } else {
                superseded.push(state.0.clone());
            }
        }
    }
    newest.sort();
    (newest, superseded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_merges_the_newest_state_of_each_partition() {
        let listed: Vec<(String, String)> = [
            "s/1_eu-west-1_part-00001.json",
            "s/1_eu-west-1_part-00002.json",
            "s/1_eu-west-1.g000002.json",
            "s/1_eu-west-1.g000003.json",
            "s/2_us-east-1_part-00001.json",
            "s/2_us-east-1_part-00002.json",
            "s/o-x_3_us-east-1.g000001.json",
            "s/notes.txt",
        ]
        .iter()
        .map(|k| (k.to_string(), "e".to_string()))
        .collect();
        let (newest, superseded) = newest_states("s/", &listed);
        let newest: Vec<&str> = newest.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            newest,
            [
                "s/1_eu-west-1.g000003.json",
                "s/2_us-east-1_part-00001.json",
                "s/2_us-east-1_part-00002.json",
                "s/o-x_3_us-east-1.g000001.json",
            ]
        );
        assert_eq!(
            superseded,
            [
                "s/1_eu-west-1_part-00001.json",
                "s/1_eu-west-1_part-00002.json",
                "s/1_eu-west-1.g000002.json",
            ]
        );
    }
}
