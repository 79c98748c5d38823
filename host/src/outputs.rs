//! Where artifacts go: a local folder or an S3 prefix.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::bindings::{Artifact, Report};
use crate::runtime::{Handle, Instance, Sink};
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

    /// Finishes `session` and delivers its report's artifacts here, one at
    /// a time; returns the report and where each artifact went. Into a
    /// local folder each goes straight into a file as the component writes
    /// it, so the host never holds an artifact whole; to S3 each is held
    /// in memory for its upload.
    pub async fn receive(
        &self,
        instance: &mut Instance,
        session: Handle,
        s3: &LazyS3,
    ) -> Result<(Report, Vec<String>)> {
        let mut written = Vec::new();
        let report = match self {
            Destination::Dir(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                instance
                    .finish_into(
                        session,
                        |artifact, budget| {
                            safe_name(&artifact.name)?;
                            let file = new_temp_file(dir)?;
                            let sink = Sink::to_file(budget, file.as_file().try_clone()?);
                            Ok((sink, file))
                        },
                        async |artifact, _, file| {
                            // Only a whole artifact, as long as the component
                            // said, takes its name; a failed one's temporary
                            // file is removed when dropped.
                            let path = dir.join(&artifact.name);
                            file.persist(&path)
                                .with_context(|| format!("cannot write {}", path.display()))?;
                            written.push(path.display().to_string());
                            Ok(())
                        },
                    )
                    .await?
            }
            Destination::S3(_) => {
                instance
                    .finish_with(session, async |artifact| {
                        written.push(self.write_one(artifact, s3).await?);
                        Ok(())
                    })
                    .await?
            }
        };
        Ok((report, written))
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

/// A new hidden file in `dir` for an artifact on its way in, removed when
/// dropped unless persisted.
fn new_temp_file(dir: &Path) -> Result<tempfile::NamedTempFile> {
    // Mode 0666 less the umask, as a file `std::fs::write` creates; a
    // temporary file is 0600 by default.
    tempfile::Builder::new()
        .prefix(".artifact-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))
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
