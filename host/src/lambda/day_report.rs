//! The day's report across every account and region: the newest saved
//! state of each partition merged, never the logs read again.
//!
//! One writer per day, debounced. A partition's analysis does not build the
//! day report itself: it asks for one on the report queue (FIFO, one
//! message group per day, so one build of a day runs at a time), as a
//! message that names the day and the end of the current debounce window
//! (`not_before`). Every request of one window is the same message, and
//! SQS drops the copies sent within its 5-minute deduplication interval,
//! so a burst of commits costs one build. None is lost: a copy is dropped
//! only while the first one waits for `not_before` (the queue's delivery
//! delay, and the build's own wait if it comes earlier), so the build
//! lists the states after every state of its window was written.
//!
//! Without a report queue (a small deployment, tests) the analysis builds
//! the day report inline. Either way a build checks, after writing, that
//! the states it merged are still the newest and rebuilds if not, so
//! concurrent builds converge on the newest states too.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Services;
use super::layout::{Day, Partition, daily_prefix};
use crate::runtime::Analyzer;
use crate::storage;

/// How many times a report is rebuilt because its sources changed while it
/// was written, before the invocation fails (and is retried).
pub const MAX_REBUILDS: usize = 5;

/// A report queue message: build `day`'s report, not before `not_before`
/// (Unix seconds, the end of the debounce window it was asked in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub day: Day,
    pub not_before: u64,
}

/// The body of a report queue message: `{"day_report": {...}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub day_report: Request,
}

/// What asking for a day report did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Asked {
    /// Built at once (no report queue): the objects written.
    Written(Vec<String>),
    /// Queued for the day's one writer.
    Queued(Request),
}

/// Asks for `day`'s report after a partition's state was saved.
pub async fn ask(
    services: &Services,
    analyzer: &Analyzer,
    day: Day,
    config: &str,
) -> Result<Asked> {
    let c = &services.config;
    let Some(queue) = &c.report_queue_url else {
        return build(services, analyzer, day, config)
            .await
            .map(Asked::Written);
    };
    let request = Request {
        day,
        not_before: window_end(unix_now(), c.report_debounce.as_secs()),
    };
    let body = serde_json::to_string(&Envelope {
        day_report: request.clone(),
    })?;
    let mut send = services
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(&body);
    if queue.ends_with(".fifo") {
        send = send
            .message_group_id(format!("day-report/{day}"))
            .message_deduplication_id(hex::encode(Sha256::digest(&body)));
    }
    send.send()
        .await
        .with_context(|| format!("cannot ask {queue} for the report of {day}"))?;
    Ok(Asked::Queued(request))
}

/// A queued request: waits for its window to close (when the queue's delay
/// did not already), then builds the day's report.
pub async fn run(
    services: &Services,
    analyzer: &Analyzer,
    request: &Request,
    config: &str,
) -> Result<Vec<String>> {
    let wait = request.not_before.saturating_sub(unix_now());
    if wait > 0 {
        // Never more than the debounce window (bounded by its range), so
        // well inside the function's timeout.
        tokio::time::sleep(Duration::from_secs(wait.min(MAX_DEBOUNCE_SECS))).await;
    }
    build(services, analyzer, request.day, config).await
}

/// The longest debounce window: within SQS's 5-minute deduplication
/// interval, so every copy of a window's request is dropped.
pub const MAX_DEBOUNCE_SECS: u64 = 300;

/// The end of the `window`-second window `now` is in.
fn window_end(now: u64, window: u64) -> u64 {
    let window = window.max(1);
    (now / window + 1) * window
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `[o-org_]ACCOUNT_REGION.gNNNNNN.json`: a partition's state, by generation.
pub fn state_name(partition: &Partition, generation: u64) -> String {
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

/// Builds the day's report from the newest state of every partition. Older
/// states are superseded and deleted; the report is rebuilt until the
/// states it merged are still the newest after it is written.
pub async fn build(
    services: &Services,
    analyzer: &Analyzer,
    day: Day,
    config: &str,
) -> Result<Vec<String>> {
    let s3 = &services.s3;
    let c = &services.config;
    let bucket = c
        .output_bucket
        .as_deref()
        .context("CTA_OUTPUT_BUCKET is not set")?;
    let day_prefix = daily_prefix(&c.output_prefix, day);
    let states_prefix = format!("{day_prefix}states/");
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
        let (_, written) =
            super::analyze_job::write_report(&mut instance, session, services, bucket, &day_prefix)
                .await?;
        let after = states(s3, bucket, &states_prefix).await?;
        if newest_states(&states_prefix, &after).0 == newest {
            tracing::info!(%day, states = newest.len(), "day report written");
            return Ok(written);
        }
        tracing::info!(%day, "the day's states changed while its report was written; rebuilding");
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

    #[test]
    fn a_request_waits_for_the_end_of_its_window() {
        assert_eq!(window_end(0, 60), 60);
        assert_eq!(window_end(59, 60), 60);
        assert_eq!(window_end(60, 60), 120);
        // Every request of one window is the same message, so SQS keeps one.
        let body = |now| {
            serde_json::to_string(&Envelope {
                day_report: Request {
                    day: Day::parse("2026-11-01").unwrap(),
                    not_before: window_end(now, 60),
                },
            })
            .unwrap()
        };
        assert_eq!(body(61), body(119));
        assert_ne!(body(119), body(120));
        assert_eq!(
            body(61),
            r#"{"day_report":{"day":{"year":2026,"month":11,"day":1},"not_before":120}}"#
        );
    }
}
