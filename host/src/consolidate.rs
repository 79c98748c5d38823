//! Consolidation on the host side: streams inputs into the component's
//! consolidator and writes the parts it returns.

use std::path::Path;

use anyhow::{Context, Result};

use crate::bindings::Consolidation;
use crate::inputs::{Input, Unreadable};
use crate::outputs::safe_name;
use crate::runtime::Analyzer;
use crate::storage::{self, LazyS3, S3Location};

pub async fn consolidate(
    analyzer: &Analyzer,
    s3: &LazyS3,
    inputs: &[Input],
    unreadable: &[Unreadable],
    config: &str,
) -> Result<Consolidation> {
    let mut instance = analyzer.instantiate().await?;
    let handle = instance.open_consolidator(config).await?;
    for input in inputs {
        let name = input.name();
        match input.open(s3).await {
            Ok(reader) => {
                instance.consolidate_stream(handle, &name, reader).await?;
            }
            Err(e) => {
                instance
                    .consolidate_failure(handle, &name, &format!("{e:#}"))
                    .await?
            }
        }
    }
    for u in unreadable {
        instance
            .consolidate_failure(handle, &u.name, &u.reason)
            .await?;
    }
    instance.finish_consolidation(handle).await
}

/// The name of part `number` of `total`: the output itself when there is one
/// part, `stem.part-00001.json.gz`, … otherwise.
pub fn part_name(out: &str, number: usize, total: usize) -> String {
    if total == 1 {
        return out.to_owned();
    }
    let stem = out.strip_suffix(".json.gz").unwrap_or(out);
    format!("{stem}.part-{number:05}.json.gz")
}

/// Writes the parts to a file path or an S3 key; returns where they went.
pub async fn write_parts(result: &Consolidation, out: &str, s3: &LazyS3) -> Result<Vec<String>> {
    let mut written = Vec::new();
    let total = result.parts.len();
    for (i, part) in result.parts.iter().enumerate() {
        safe_name(&part.artifact.name)?;
        let target = part_name(out, i + 1, total);
        match S3Location::parse(&target) {
            Some(loc) => {
                let loc = loc?;
                let body = part.artifact.data.clone();
                storage::put(
                    s3.get().await,
                    &loc.bucket,
                    &loc.key,
                    body,
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
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        assert_eq!(part_name("day.json.gz", 1, 1), "day.json.gz");
        assert_eq!(
            part_name("s3://b/day.json.gz", 2, 3),
            "s3://b/day.part-00002.json.gz"
        );
    }
}
