//! One consolidation job: a partition's raw logs, plus the consolidated log
//! already written for it, merged into one deduplicated, ordered log.
//!
//! A partition with more raw data than `CTA_MAX_JOB_MB` is done in steps:
//! each step takes the next raw files in key order, merges them into the
//! consolidated log, and names the job for the rest (`next`), which the
//! function sends back to the queue, so no invocation runs unbounded.
//!
//! The order of steps is what makes it safe to crash anywhere and rerun:
//! 1. read the existing consolidated parts and every raw file (the component
//!    deduplicates by event id and time, so records already consolidated
//!    count once;
//!    a day larger than its buffer spills to a scratch file in `/tmp`);
//! 2. write the new parts over the old ones, one at a time (same keys, same
//!    bytes for the same records), last part first. New records can only
//!    push a record into a later part, never an earlier one (parts are
//!    filled in time order), so when part k is overwritten every record of
//!    the old part k is already in the new parts k and above, written
//!    before it: a crash between two writes loses nothing. The parts wait
//!    in a spool file in `/tmp` until the last one is known;
//! 3. read every part back and check its SHA-256 and, through the component,
//!    its record count;
//! 4. only then delete parts left over from a larger earlier run, and, when
//!    cleanup is on, the raw files that went into the log. Files that failed
//!    to read are never deleted.

use anyhow::{Result, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Services;
use super::layout::Partition;
use super::plan::Job;
use crate::bindings::InputStatus;
use crate::consolidate::Consolidating;
use crate::runtime::Analyzer;
use crate::storage::{self, ObjectInfo};

#[derive(Debug, Serialize)]
pub struct Problem {
    pub input: String,
    pub status: &'static str,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct JobReport {
    pub partition: Partition,
    pub raw_files: usize,
    pub existing_parts: usize,
    pub records_in: u64,
    pub duplicates: u64,
    pub records_out: u64,
    pub parts: Vec<String>,
    pub raw_files_deleted: usize,
    pub problems: Vec<Problem>,
    /// Set when raw files are left for another step: the job that does them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Job>,
}

fn is_part(key: &str) -> bool {
    key.rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with("part-") && name.ends_with(".json.gz"))
}

/// The raw files of one step: in key order (within a partition CloudTrail's
/// file names differ first by delivery time), after the last key of the previous step, up to
/// `max_bytes` (at least one file). Also says whether files are left over.
fn step(mut raw: Vec<ObjectInfo>, after: Option<&str>, max_bytes: u64) -> (Vec<ObjectInfo>, bool) {
    raw.sort_by(|a, b| a.key.cmp(&b.key));
    raw.retain(|o| after.is_none_or(|after| o.key.as_str() > after));
    let mut total = 0u64;
    let take = raw
        .iter()
        .position(|o| {
            total += o.size;
            total > max_bytes
        })
        .map_or(raw.len(), |i| i.max(1));
    let more = take < raw.len();
    raw.truncate(take);
    (raw, more)
}

pub async fn run(
    services: &Services,
    analyzer: &Analyzer,
    job: &Job,
    config: &str,
) -> Result<JobReport> {
    let s3 = &services.s3;
    let c = &services.config;
    let bucket = c.log_bucket.as_str();
    let partition = &job.partition;
    let listed = storage::list(s3, bucket, &partition.raw_prefix(&c.log_prefix)).await?;
    let (raw, more) = step(listed, job.after.as_deref(), c.max_job_bytes);
    let existing: Vec<String> =
        storage::list(s3, bucket, &partition.prefix(&c.consolidated_prefix))
            .await?
            .into_iter()
            .map(|o| o.key)
            .filter(|k| is_part(k))
            .collect();

    let mut run = Consolidating::start(analyzer, config).await?;
    for key in &existing {
        let reader = storage::open(s3, bucket, key).await?;
        let outcome = run.add(&format!("s3://{bucket}/{key}"), reader).await?;
        if outcome.status != InputStatus::Analyzed {
            bail!(
                "the consolidated log s3://{bucket}/{key} is unreadable ({}); refusing to overwrite it",
                outcome.detail
            );
        }
    }
    let mut consumed = Vec::new();
    let mut problems = Vec::new();
    for object in &raw {
        let name = format!("s3://{bucket}/{}", object.key);
        let outcome = match storage::open(s3, bucket, &object.key).await {
            Ok(reader) => run.add(&name, reader).await?,
            Err(e) => {
                let reason = format!("{e:#}");
                run.add_failure(&name, &reason).await?;
                problems.push(Problem {
                    input: name,
                    status: "failed",
                    reason,
                });
                continue;
            }
        };
        match outcome.status {
            InputStatus::Analyzed => consumed.push(object.key.clone()),
            InputStatus::Skipped => problems.push(Problem {
                input: name,
                status: "skipped",
                reason: outcome.detail,
            }),
            InputStatus::Failed => problems.push(Problem {
                input: name,
                status: "failed",
                reason: outcome.detail,
            }),
        }
    }

    let (result, spool) = run.finish().await?;

    // Last part first: see the module's comment.
    let mut written = Vec::new();
    for index in (0..spool.parts().len()).rev() {
        let part = &spool.parts()[index];
        let key = partition.part_key(&c.consolidated_prefix, index + 1);
        storage::put(s3, bucket, &key, spool.read(index)?, &part.media_type).await?;
        written.push((key, part.sha256.clone(), part.records));
        if c.fault.as_deref() == Some(&format!("exit-after-part:{}", written.len())) {
            tracing::error!(
                "CTA_FAULT=exit-after-part:{}: exiting as a crash would",
                written.len()
            );
            std::process::exit(70);
        }
    }
    written.reverse();
    if c.fault.as_deref() == Some("exit-after-write") {
        tracing::error!("CTA_FAULT=exit-after-write: exiting as a crash would");
        std::process::exit(70);
    }
    let mut verifier = analyzer.instantiate().await?;
    let session = verifier.open_session(config).await?;
    for (key, digest, records) in &written {
        let (body, _) = storage::get_bytes(s3, bucket, key).await?;
        if Sha256::digest(&body).as_slice() != digest.as_slice() {
            bail!(
                "s3://{bucket}/{key} reads back with another checksum than was written; nothing deleted"
            );
        }
        let outcome = verifier.add_bytes(session, key, &body).await?;
        if outcome.status != InputStatus::Analyzed || outcome.events != *records {
            bail!(
                "s3://{bucket}/{key} reads back with {} events ({}), {records} were written; nothing deleted",
                outcome.events,
                outcome.detail
            );
        }
    }

    let new_keys: Vec<&String> = written.iter().map(|(k, _, _)| k).collect();
    let stale: Vec<String> = existing
        .iter()
        .filter(|k| !new_keys.contains(k))
        .cloned()
        .collect();
    storage::delete(s3, bucket, &stale).await?;
    let raw_files_deleted = if c.cleanup {
        storage::delete(s3, bucket, &consumed).await?;
        consumed.len()
    } else {
        0
    };
    Ok(JobReport {
        partition: partition.clone(),
        raw_files: raw.len(),
        existing_parts: existing.len(),
        records_in: result.records_in,
        duplicates: result.duplicates,
        records_out: result.records_out,
        parts: written.into_iter().map(|(k, _, _)| k).collect(),
        raw_files_deleted,
        problems,
        next: more.then(|| Job {
            partition: partition.clone(),
            after: raw.last().map(|o| o.key.clone()),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(sizes: &[(&str, u64)]) -> Vec<ObjectInfo> {
        sizes
            .iter()
            .map(|(key, size)| ObjectInfo {
                key: key.to_string(),
                size: *size,
            })
            .collect()
    }

    fn keys(step: &(Vec<ObjectInfo>, bool)) -> (Vec<&str>, bool) {
        (step.0.iter().map(|o| o.key.as_str()).collect(), step.1)
    }

    #[test]
    fn steps_take_files_in_key_order_up_to_the_budget() {
        let raw = objects(&[("c", 40), ("a", 40), ("b", 40), ("d", 10)]);
        assert_eq!(keys(&step(raw.clone(), None, 100)), (vec!["a", "b"], true));
        assert_eq!(
            keys(&step(raw.clone(), Some("b"), 100)),
            (vec!["c", "d"], false)
        );
        assert_eq!(
            keys(&step(raw.clone(), None, 1000)),
            (vec!["a", "b", "c", "d"], false)
        );
        // A file larger than the budget still gets a step of its own.
        assert_eq!(keys(&step(raw.clone(), None, 5)), (vec!["a"], true));
        assert_eq!(keys(&step(raw, Some("d"), 5)), (vec![], false));
    }
}
