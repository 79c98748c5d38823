//! One consolidation job: a partition's raw logs, plus the consolidated log
//! already committed for it, merged into one deduplicated, ordered log.
//!
//! A partition with more raw data than `CTA_MAX_JOB_MB` is done in steps:
//! each step takes the next raw files in key order, merges them into the
//! consolidated log, and names the job for the rest (`next`), which the
//! function sends back to the queue, so no invocation runs unbounded.
//!
//! Nothing is overwritten, and nothing is deleted before a commit that
//! holds it (see `manifest` for the layout):
//! 1. read the partition's manifest and the parts it names, then the raw
//!    files of this step; the host frames and hashes every record itself
//!    (`crate::ledger`) while the component consolidates them;
//! 2. the component's parts are spooled to `/tmp` and checked: counts that
//!    add up, and, by the host's own ledger, every input record in them
//!    and none from nowhere;
//! 3. write the parts under a new generation folder of this job's own, and
//!    read each back (SHA-256, and the records the host frames in it);
//! 4. commit: write the manifest naming them, conditional on the ETag of
//!    the manifest read in step 1. A job that lost the race (another job
//!    committed first) deletes its own parts and nothing else;
//! 5. only then delete what the commit made garbage (older generations)
//!    and, when cleanup is on, the raw files the host accounted for record
//!    by record. Files that failed to read, or that the host could not
//!    frame itself, are never deleted.
//!
//! When the trail writes digest files, step 1 reads a raw file only after
//! the digest that lists it vouches for its bytes (`digest_gate`): a file
//! that is modified, or that no valid digest lists yet, is neither
//! absorbed nor deleted, and is reported; the manifest records, for each
//! file absorbed, its SHA-256 and the digest that listed it.
//!
//! A crash anywhere leaves either the old commit or the new one, each
//! whole, and every raw file not yet in a commit; rerunning is safe.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use std::collections::HashMap;

use super::Services;
use super::layout::Partition;
use super::manifest::{self, Absorbed, Commit, Current, Manifest, PartEntry};
use super::plan::Job;
use crate::bindings::InputStatus;
use crate::consolidate::{Consolidating, Finished};
use crate::digest_gate::{Admission, Gate};
use crate::inputs::Input;
use crate::ledger;
use crate::runtime::Analyzer;
use crate::storage::{self, LazyS3, ObjectInfo};

#[derive(Debug, Serialize)]
pub struct Problem {
    pub input: String,
    /// `failed`, `skipped`, `modified` (not what its digest lists) or
    /// `unverified` (no valid digest lists it yet): all left in place,
    /// unconsolidated; or `kept` (consolidated, but not deleted).
    pub status: &'static str,
    pub reason: String,
}

impl Problem {
    fn new(input: String, status: &'static str, reason: String) -> Problem {
        Problem {
            input,
            status,
            reason,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct JobReport {
    pub partition: Partition,
    /// The generation committed (unchanged when there was nothing to do).
    pub generation: u64,
    pub raw_files: usize,
    pub existing_parts: usize,
    pub records_in: u64,
    pub duplicates: u64,
    pub records_out: u64,
    /// Records kept although they share `eventID` and `eventTime` with
    /// another record of other bytes (rewritten or forged), and the first
    /// few of those events as the component named them.
    pub conflicts: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicting: Vec<String>,
    pub parts: Vec<String>,
    pub raw_files_deleted: usize,
    /// Digest files the raw files were checked against (0: the trail
    /// writes none, and nothing was checked).
    pub digest_files: usize,
    pub problems: Vec<Problem>,
    /// Set when raw files are left for another step: the job that does them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Job>,
}

impl JobReport {
    fn unchanged(partition: &Partition, current: &Current, next: Option<Job>) -> JobReport {
        let parts = current.part_keys();
        let records = current.manifest.as_ref().map_or(0, |m| m.records);
        JobReport {
            partition: partition.clone(),
            generation: current.generation(),
            raw_files: 0,
            existing_parts: parts.len(),
            records_in: records,
            duplicates: 0,
            records_out: records,
            conflicts: 0,
            conflicting: Vec::new(),
            parts,
            raw_files_deleted: 0,
            digest_files: 0,
            problems: Vec::new(),
            next,
        }
    }
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
    let current = manifest::read(s3, bucket, partition, &c.consolidated_prefix).await?;
    let existing = current.part_keys();
    let next = more.then(|| Job {
        partition: partition.clone(),
        after: raw.last().map(|o| o.key.clone()),
    });
    if raw.is_empty() && current.legacy_parts.is_empty() {
        // Nothing to absorb and nothing to migrate: the commit stands.
        return Ok(JobReport::unchanged(partition, &current, next));
    }

    let mut run = Consolidating::start(analyzer, config).await?;
    for key in &existing {
        let name = format!("s3://{bucket}/{key}");
        let reader = storage::open(s3, bucket, key).await.context(
            "cannot read the committed log: if another job committed this partition first, \
             this one stops here, nothing written or deleted",
        )?;
        let outcome = run.add(&name, reader).await?;
        if outcome.status != InputStatus::Analyzed {
            bail!(
                "the consolidated log {name} is unreadable ({}); refusing to replace it",
                outcome.detail
            );
        }
    }
    let mut digests = Vec::new();
    for prefix in partition.digest_prefixes(&c.log_prefix) {
        for object in storage::list(s3, bucket, &prefix).await? {
            digests.push(Input::Object {
                bucket: bucket.to_owned(),
                key: object.key,
            });
        }
    }
    // No digest files: the trail does not validate log files, and the job
    // consolidates as it always did.
    let mut gate = if digests.is_empty() {
        None
    } else {
        let s3 = LazyS3::from_client(s3.clone());
        // The raw files' layouts, to prove them once deleted.
        run.keep_layouts();
        Some(Gate::open(analyzer, &s3, &digests, Vec::new()).await?)
    };
    let mut read = Vec::new();
    let mut problems = Vec::new();
    // What vouched for each file absorbed: its SHA-256 and its digest.
    let mut proofs: HashMap<String, (String, String)> = HashMap::new();
    for object in &raw {
        let name = format!("s3://{bucket}/{}", object.key);
        let opened = match gate.as_mut() {
            None => storage::open(s3, bucket, &object.key).await,
            Some(gate) => match storage::get_bytes(s3, bucket, &object.key).await {
                Ok((bytes, _)) => match gate.admit(&name, bytes).await? {
                    Admission::Absorb {
                        bytes,
                        sha256,
                        digest,
                    } => {
                        proofs.insert(object.key.clone(), (sha256, digest));
                        Ok(Box::pin(std::io::Cursor::new(bytes)) as storage::Reader)
                    }
                    Admission::Refuse { status, reason } => {
                        problems.push(Problem::new(name, status, reason));
                        continue;
                    }
                },
                Err(e) => Err(e),
            },
        };
        let outcome = match opened {
            Ok(reader) => run.add(&name, reader).await?,
            Err(e) => {
                let reason = format!("{e:#}");
                run.add_failure(&name, &reason).await?;
                problems.push(Problem::new(name, "failed", reason));
                continue;
            }
        };
        match outcome.status {
            InputStatus::Analyzed => read.push((object.key.clone(), name, outcome.events)),
            InputStatus::Skipped => problems.push(Problem::new(name, "skipped", outcome.detail)),
            InputStatus::Failed => problems.push(Problem::new(name, "failed", outcome.detail)),
        }
    }

    let Finished {
        result,
        spool,
        ledger,
        mut layouts,
    } = run.finish().await?;
    for key in &existing {
        let name = format!("s3://{bucket}/{key}");
        if !ledger.is_verified(&name) {
            bail!(
                "the host cannot account for the records of {name} itself; refusing to replace it"
            );
        }
    }
    for (name, why) in ledger.unverified() {
        problems.push(Problem::new(
            name.clone(),
            "kept",
            format!(
                "consolidated, but kept: the host cannot account for its records itself ({why})"
            ),
        ));
    }

    let generation = current.generation() + 1;
    let token = manifest::new_token()?;
    let folder = manifest::generation_prefix(partition, &c.consolidated_prefix, generation, &token);
    let mut parts = Vec::new();
    for index in 0..spool.parts().len() {
        let part = &spool.parts()[index];
        let key = format!("{folder}part-{:05}.json.gz", index + 1);
        let data = spool.read(index)?;
        let bytes = data.len() as u64;
        storage::put(s3, bucket, &key, data, &part.media_type).await?;
        parts.push(PartEntry {
            key,
            sha256: hex::encode(&part.sha256),
            bytes,
            records: part.records,
        });
    }
    for part in &parts {
        let (body, _) = storage::get_bytes(s3, bucket, &part.key).await?;
        let framed = ledger::frame_gzip(&body).map(|records| records.len() as u64);
        if hex::encode(Sha256::digest(&body)) != part.sha256 || framed.ok() != Some(part.records) {
            bail!(
                "s3://{bucket}/{} reads back other than it was written; nothing committed or deleted",
                part.key
            );
        }
    }

    let mut absorbed = current
        .manifest
        .as_ref()
        .map(|m| m.absorbed.clone())
        .unwrap_or_default();
    let mut consumed = Vec::new();
    for (key, name, records) in read {
        if ledger.is_verified(&name) {
            absorbed.retain(|a| a.key != key);
            let (sha256, digest) = proofs.remove(&key).unzip();
            // A file its digest vouched for is deleted only with what
            // proves it later: its layout (see `verify --consolidated`).
            let layout = digest.as_ref().and_then(|_| layouts.remove(&name));
            let provable = digest.is_none() || layout.is_some();
            absorbed.push(Absorbed {
                key: key.clone(),
                records,
                sha256,
                digest,
                layout,
            });
            if provable {
                consumed.push(key);
            } else {
                problems.push(Problem::new(
                    name,
                    "kept",
                    "consolidated, but kept: its layout (the bytes between its records) is too \
                     large to record, so the consolidated log could not prove it once deleted"
                        .to_owned(),
                ));
            }
        }
    }
    absorbed.sort_by(|a, b| a.key.cmp(&b.key));
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        partition: partition.clone(),
        generation,
        records: result.records_out,
        parts,
        absorbed,
    };
    match manifest::commit(s3, bucket, &c.consolidated_prefix, &current, &manifest).await? {
        Commit::Committed => {}
        Commit::Lost => {
            let own: Vec<String> = manifest.parts.iter().map(|p| p.key.clone()).collect();
            storage::delete(s3, bucket, &own).await?;
            bail!(
                "another job committed {} first; this job's generation {generation} was discarded                  and nothing else deleted (the next run absorbs what is left)",
                manifest::manifest_key(partition, &c.consolidated_prefix)
            );
        }
    }

    let prefix = partition.prefix(&c.consolidated_prefix);
    let listed: Vec<String> = storage::list(s3, bucket, &prefix)
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect();
    storage::delete(s3, bucket, &manifest::garbage(&prefix, &listed, &manifest)).await?;
    let raw_files_deleted = if c.cleanup {
        storage::delete(s3, bucket, &consumed).await?;
        consumed.len()
    } else {
        0
    };
    Ok(JobReport {
        partition: partition.clone(),
        generation,
        raw_files: raw.len(),
        existing_parts: existing.len(),
        records_in: result.records_in,
        duplicates: result.duplicates,
        records_out: result.records_out,
        conflicts: result.conflicts,
        conflicting: result
            .conflicting
            .iter()
            .map(|c| crate::runtime::untrusted::one_line(c))
            .collect(),
        parts: manifest.parts.into_iter().map(|p| p.key).collect(),
        raw_files_deleted,
        digest_files: gate.map_or(0, |g| g.digests),
        problems,
        next,
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
                etag: String::new(),
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
