//! Where artifacts go: a local folder or an S3 prefix.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::bindings::Artifact;
use crate::storage::{self, LazyS3, S3Location};

#[derive(Debug, Clone)]
pub enum Destination {
    Dir(PathBuf),
    S3(S3Location),
}

impl Destination {
    pub fn parse(arg: &str) -> Result<Destination> {
        match S3Location::parse(arg) {
            Some(loc) => Ok(Destination::S3(loc?)),
            None => Ok(Destination::Dir(PathBuf::from(arg))),
        }
    }

    /// Where an artifact named `name` lands, for messages.
    pub fn locate(&self, name: &str) -> String {
        match self {
            Destination::Dir(dir) => dir.join(name).display().to_string(),
            Destination::S3(loc) => loc.child(name).to_string(),
        }
    }

    /// Writes one artifact; returns where it went.
    pub async fn write_one(&self, artifact: Artifact, s3: &LazyS3) -> Result<String> {
        let name = safe_name(&artifact.name)?;
        match self {
            Destination::Dir(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                let path = dir.join(name);
                // The bytes move to the blocking thread: `tokio::fs::write`
                // would copy them, twice an artifact's size at the peak.
                let data = artifact.data;
                let written = {
                    let path = path.clone();
                    tokio::task::spawn_blocking(move || std::fs::write(path, data)).await?
                };
                written.with_context(|| format!("cannot write {}", path.display()))?;
                Ok(path.display().to_string())
            }
            Destination::S3(loc) => {
                let target = loc.child(name);
                let client = s3.get().await;
                let (bucket, key) = (&target.bucket, &target.key);
                storage::put(client, bucket, key, artifact.data, &artifact.media_type).await?;
                Ok(target.to_string())
            }
        }
    }
}

/// Artifact names come from the component: refuse any that would escape
/// the destination.
pub fn safe_name(name: &str) -> Result<&str> {
    let ok = !name.is_empty() && !name.contains(['/', '\\', '\0']) && name != "." && name != "..";
    anyhow::ensure!(
        ok,
        "the component produced an artifact with an unsafe name: {name:?}"
    );
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_names_cannot_escape() {
        assert!(safe_name("insights.json").is_ok());
        for bad in ["", "..", "../x", "a/b", "a\\b"] {
            assert!(safe_name(bad).is_err(), "{bad}");
        }
    }
}
