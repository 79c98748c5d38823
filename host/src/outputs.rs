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

    /// Writes every artifact; returns where each went.
    pub async fn write(&self, artifacts: &[Artifact], s3: &LazyS3) -> Result<Vec<String>> {
        let mut written = Vec::new();
        match self {
            Destination::Dir(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                for a in artifacts {
                    let path = dir.join(safe_name(&a.name)?);
                    tokio::fs::write(&path, &a.data)
                        .await
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    written.push(path.display().to_string());
                }
            }
            Destination::S3(loc) => {
                for a in artifacts {
                    let target = loc.child(safe_name(&a.name)?);
                    storage::put(
                        s3.get().await,
                        &target.bucket,
                        &target.key,
                        a.data.clone(),
                        &a.media_type,
                    )
                    .await?;
                    written.push(target.to_string());
                }
            }
        }
        Ok(written)
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
