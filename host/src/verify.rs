//! `verify`: CloudTrail log file integrity. The host lists and streams
//! the files (with their S3 metadata, where CloudTrail puts a digest's
//! signature) into the component's `integrity` export, which decides
//! everything; the host writes the component's report and exits by it.

use anyhow::{Result, bail};

use crate::inputs::{Input, Unreadable};
use crate::runtime::{Analyzer, VerificationReport};
use crate::storage::LazyS3;

/// What a verification reads.
pub struct Job {
    pub inputs: Vec<Input>,
    pub unreadable: Vec<Unreadable>,
    /// `aws cloudtrail list-public-keys` output.
    pub public_keys: Vec<u8>,
}

/// Streams every input through one instance, in order; `on_error` hears
/// of each file that could not be read (the report has it too).
pub async fn verify(
    analyzer: &Analyzer,
    s3: &LazyS3,
    job: Job,
    on_error: impl Fn(&str, &str),
) -> Result<VerificationReport> {
    if let Some(u) = job.unreadable.first() {
        // A named place that cannot be listed would make every file in it
        // look missing: stop rather than report that.
        bail!("cannot read {}: {}", u.name, u.reason);
    }
    let mut instance = analyzer.instantiate().await?;
    let run = instance.open_verification(&job.public_keys).await?;
    for input in &job.inputs {
        let name = input.name();
        match input.open_with_metadata(s3).await {
            Ok((reader, metadata)) => {
                if let Err(reason) = instance.verify_file(run, &name, reader, &metadata).await? {
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
    instance.finish_verification(run).await
}
