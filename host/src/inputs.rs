//! What to analyze: local files and folders, and S3 prefixes, expanded into
//! single inputs that can each be opened as a stream.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::storage::{self, LazyS3, Reader, S3Location};

/// Bytes read from a local file at a time.
const FILE_READ_BYTES: usize = 256 << 10;

#[derive(Debug, Clone)]
pub enum Input {
    File(PathBuf),
    Object { bucket: String, key: String },
}

impl Input {
    /// The name the component and every report use for this input.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Object { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    pub async fn open(&self, s3: &LazyS3) -> Result<Reader> {
        match self {
            Input::File(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot open: {e}"))?;
                // Each read of a tokio file is a hop to a blocking thread:
                // big reads make a log file one or two hops, not one per
                // small read the component's stream asks for.
                Ok(Box::pin(tokio::io::BufReader::with_capacity(
                    FILE_READ_BYTES,
                    file,
                )))
            }
            Input::Object { bucket, key } => storage::open(s3.get().await, bucket, key).await,
        }
    }

    /// Its whole bytes.
    pub async fn read_all(&self, s3: &LazyS3) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut self.open(s3).await?, &mut bytes).await?;
        Ok(bytes)
    }

    /// Opens it with its S3 user metadata (none for a local file).
    pub async fn open_with_metadata(&self, s3: &LazyS3) -> Result<(Reader, Vec<(String, String)>)> {
        match self {
            Input::File(_) => Ok((self.open(s3).await?, Vec::new())),
            Input::Object { bucket, key } => {
                storage::open_with_metadata(s3.get().await, bucket, key).await
            }
        }
    }
}

/// An argument that named nothing readable.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub name: String,
    pub reason: String,
}

/// Expands arguments: files as they are, folders recursively (in a stable
/// order), `s3://bucket/prefix` through every page of the listing.
pub async fn expand(args: &[String], s3: &LazyS3) -> Result<(Vec<Input>, Vec<Unreadable>)> {
    let mut inputs = Vec::new();
    let mut unreadable = Vec::new();
    for arg in args {
        if let Some(loc) = S3Location::parse(arg) {
            let loc = loc?;
            match storage::list(s3.get().await, &loc.bucket, &loc.key).await {
                Ok(objects) if objects.is_empty() => unreadable.push(Unreadable {
                    name: arg.clone(),
                    reason: "no objects under this prefix".into(),
                }),
                Ok(objects) => inputs.extend(objects.into_iter().map(|o| Input::Object {
                    bucket: loc.bucket.clone(),
                    key: o.key,
                })),
                Err(e) => unreadable.push(Unreadable {
                    name: arg.clone(),
                    reason: format!("{e:#}"),
                }),
            }
        } else if let Err(e) = walk(Path::new(arg), &mut inputs) {
            unreadable.push(Unreadable {
                name: arg.clone(),
                reason: e.to_string(),
            });
        }
    }
    Ok((inputs, unreadable))
}

fn walk(path: &Path, out: &mut Vec<Input>) -> std::io::Result<()> {
    if !std::fs::metadata(path)?.is_dir() {
        out.push(Input::File(path.to_owned()));
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        walk(&entry, out)?;
    }
    Ok(())
}
