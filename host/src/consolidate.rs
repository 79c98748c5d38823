//! Consolidation on the host side: streams inputs into the component's
//! consolidator, lends it a scratch file, and writes the parts it returns
//! one at a time, so neither side holds the whole day.

use std::path::Path;

use anyhow::{Context, Result};
use tokio::io::AsyncRead;

use crate::bindings::{ConsolidatedPart, Consolidation, InputOutcome};
use crate::inputs::{Input, Unreadable};
use crate::outputs::safe_name;
use crate::runtime::{Analyzer, Handle, Instance, Scratch};
use crate::storage::{self, LazyS3, S3Location};

/// One consolidation in its own instance, with its scratch file.
pub struct Consolidating {
    instance: Instance,
    handle: Handle,
    scratch: Scratch,
}

impl Consolidating {
    pub async fn start(analyzer: &Analyzer, config: &str) -> Result<Consolidating> {
        let scratch = Scratch::new(analyzer.limits().scratch_bytes)?;
        let mut instance = analyzer.instantiate().await?;
        let handle = instance.open_consolidator(config, &scratch).await?;
        Ok(Consolidating {
            instance,
            handle,
            scratch,
        })
    }

    pub async fn add(
        &mut self,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<InputOutcome> {
        self.instance
            .consolidate_stream(self.handle, name, reader)
            .await
    }

    /// An input that could not be read: the component lists it as failed.
    pub async fn add_failure(&mut self, name: &str, reason: &str) -> Result<()> {
        self.instance
            .consolidate_failure(self.handle, name, reason)
            .await
    }

    /// Merges what was read and hands each part, in order, to `write`.
    pub async fn write_parts(
        mut self,
        mut write: impl AsyncFnMut(ConsolidatedPart) -> Result<()>,
    ) -> Result<Consolidation> {
        let h = self.handle;
        let runs = self.instance.consolidation_runs(h).await?;
        self.instance.merge_runs(h, &self.scratch, &runs).await?;
        while let Some(part) = self.instance.next_part(h).await? {
            write(part).await?;
        }
        let result = self.instance.finish_consolidation(h).await?;
        tracing::info!(
            runs = runs.len(),
            scratch_bytes = self.scratch.written(),
            parts = result.parts,
            "consolidation written"
        );
        Ok(result)
    }
}

/// Consolidates local or S3 inputs into `out` (a path or an `s3://` URI);
/// returns the counts and where the parts went.
pub async fn consolidate(
    analyzer: &Analyzer,
    s3: &LazyS3,
    inputs: &[Input],
    unreadable: &[Unreadable],
    config: &str,
    out: &str,
) -> Result<(Consolidation, Vec<String>)> {
    let mut run = Consolidating::start(analyzer, config).await?;
    for input in inputs {
        let name = input.name();
        match input.open(s3).await {
            Ok(reader) => {
                run.add(&name, reader).await?;
            }
            Err(e) => run.add_failure(&name, &format!("{e:#}")).await?,
        }
    }
    for u in unreadable {
        run.add_failure(&u.name, &u.reason).await?;
    }
    // A part is written once the next one exists: only then is it known
    // whether the output is one file or numbered parts.
    let mut held: Option<ConsolidatedPart> = None;
    let mut written = Vec::new();
    let result = run
        .write_parts(async |part| {
            if let Some(previous) = held.replace(part) {
                let target = part_name(out, Some(written.len() + 1));
                written.push(write_part(previous, target, s3).await?);
            }
            Ok(())
        })
        .await?;
    if let Some(last) = held {
        let number = (!written.is_empty()).then(|| written.len() + 1);
        written.push(write_part(last, part_name(out, number), s3).await?);
    }
    Ok((result, written))
}

/// `out` itself for a single part; `stem.part-00001.json.gz`, … otherwise.
pub fn part_name(out: &str, number: Option<usize>) -> String {
    let Some(number) = number else {
        return out.to_owned();
    };
    let stem = out.strip_suffix(".json.gz").unwrap_or(out);
    format!("{stem}.part-{number:05}.json.gz")
}

/// Writes one part to a file path or an S3 key; returns where it went.
async fn write_part(part: ConsolidatedPart, target: String, s3: &LazyS3) -> Result<String> {
    safe_name(&part.artifact.name)?;
    match S3Location::parse(&target) {
        Some(loc) => {
            let loc = loc?;
            storage::put(
                s3.get().await,
                &loc.bucket,
                &loc.key,
                part.artifact.data,
                &part.artifact.media_type,
            )
            .await?;
        }
        None => {
            if let Some(parent) = Path::new(&target)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::write(&target, &part.artifact.data)
                .await
                .with_context(|| format!("cannot write {target}"))?;
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        assert_eq!(part_name("day.json.gz", None), "day.json.gz");
        assert_eq!(
            part_name("s3://b/day.json.gz", Some(2)),
            "s3://b/day.part-00002.json.gz"
        );
    }
}
