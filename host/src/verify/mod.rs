//! `verify`: CloudTrail log file integrity. The host lists and reads the
//! files (with their S3 metadata, where CloudTrail puts a digest's
//! signature; local files read ahead and inflated, see `read_ahead`) into
//! the component's `integrity` export, which decides everything; the host
//! writes the component's report and exits by it.
//!
//! Reading is the costly part (every log file is inflated and hashed), so
//! files are spread over workers, each with its own instance and run, as
//! `analyze` does; the first worker's run takes in the others' and
//! finishes.
//!
//! Consolidated logs (`--consolidated`) are proven against the digests of
//! the raw files they absorbed: see `consolidated`.

mod consolidated;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::inputs::{Input, Unreadable};
use crate::public_keys;
use crate::read_ahead;
use crate::runtime::{Analyzer, Handle, Instance, VerificationOptions, VerificationReport};
use crate::storage::LazyS3;

/// Told of each file that could not be read, and why (the report has it too).
pub type OnError = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// What a verification reads.
pub struct Job {
    pub inputs: Vec<Input>,
    /// Where consolidated logs are: their `manifest.json`s are proven.
    pub consolidated: Vec<Input>,
    pub unreadable: Vec<Unreadable>,
    /// The keys and the hours, passed to the component as they are.
    pub options: VerificationOptions,
    /// Whether to ask `cloudtrail:ListPublicKeys` for the keys the
    /// component lacks once it has read the digests.
    pub fetch_keys: bool,
    pub workers: usize,
}

pub async fn verify(
    analyzer: &Analyzer,
    s3: Arc<LazyS3>,
    job: Job,
    on_error: OnError,
) -> Result<VerificationReport> {
    if let Some(u) = job.unreadable.first() {
        // A named place that cannot be listed would make every file in it
        // look missing: stop rather than report that.
        bail!("cannot read {}: {}", u.name, u.reason);
    }
    let mut work: VecDeque<Work> = job.inputs.into_iter().map(Work::File).collect();
    work.extend(
        job.consolidated
            .into_iter()
            .filter(consolidated::is_manifest)
            .map(Work::Consolidated),
    );
    let workers = job.workers.clamp(1, work.len().max(1));
    let queue = Arc::new(Mutex::new(work));
    let options = Arc::new(job.options);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (analyzer, s3, queue, options, on_error) = (
            analyzer.clone(),
            s3.clone(),
            queue.clone(),
            options.clone(),
            on_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            worker(&analyzer, &s3, &queue, &options, &*on_error).await
        }));
    }
    let mut runs = Vec::new();
    for task in tasks {
        runs.push(task.await??);
    }
    // With one worker nothing is handed over.
    let mut runs = runs.into_iter();
    let (mut instance, run) = runs.next().expect("at least one worker");
    for (mut other, other_run) in runs {
        let partial = other.take_verification(other_run).await?;
        drop(other);
        instance.merge_verification(run, &partial).await?;
    }
    if job.fetch_keys {
        for request in instance.verification_missing_keys(run).await? {
            let keys = public_keys::list(&request).await?;
            instance.add_verification_keys(run, &keys).await?;
        }
    }
    instance.finish_verification(run).await
}

/// One thing a worker does.
enum Work {
    /// Reads a digest, log file or sidecar into the run.
    File(Input),
    /// Proves a consolidated log, by its manifest.
    Consolidated(Input),
}

async fn worker(
    analyzer: &Analyzer,
    s3: &Arc<LazyS3>,
    queue: &Mutex<VecDeque<Work>>,
    options: &VerificationOptions,
    on_error: &(dyn Fn(&str, &str) + Send + Sync),
) -> Result<(Instance, Handle)> {
    let mut instance = analyzer.instantiate().await?;
    let run = instance.open_verification(options).await?;
    // The next file is read while the component hashes this one.
    let mut ahead = next_file(&mut instance, run, s3, queue).await?;
    while let Some((name, fetched)) = ahead {
        ahead = next_file(&mut instance, run, s3, queue).await?;
        match fetched.body(s3).await {
            Ok((body, metadata)) => {
                let added = instance
                    .verify_file(run, &name, body, &metadata)
                    .await
                    .with_context(|| format!("verifying {name}"))?;
                if let Err(reason) = added {
                    on_error(&name, &reason);
                }
            }
            Err(e) => {
                let reason = format!("{e:#}");
                instance.verify_failure(run, &name, &reason).await?;
                on_error(&name, &reason);
            }
        }
    }
    Ok((instance, run))
}

/// Takes work until a file the run wants, and starts reading it; proves
/// the consolidated logs it meets on the way.
async fn next_file(
    instance: &mut Instance,
    run: Handle,
    s3: &Arc<LazyS3>,
    queue: &Mutex<VecDeque<Work>>,
) -> Result<Option<(String, read_ahead::Fetched)>> {
    loop {
        let next = queue.lock().unwrap().pop_front();
        let input = match next {
            None => return Ok(None),
            Some(Work::File(input)) => input,
            Some(Work::Consolidated(manifest)) => {
                consolidated::prove(instance, run, s3, &manifest)
                    .await
                    .with_context(|| format!("proving {}", manifest.name()))?;
                continue;
            }
        };
        let name = input.name();
        // Outside the hours asked for: never fetched.
        if instance.verification_wants(run, &name).await? {
            return Ok(Some((name, read_ahead::start_inflated(input))));
        }
    }
}
