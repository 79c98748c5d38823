//! The commit point of a partition's consolidated log.
//!
//! Parts are never overwritten. Each consolidation writes its parts under a
//! new generation folder, checks them, then publishes them by writing the
//! partition's `manifest.json` conditionally on the ETag of the manifest it
//! started from (`If-None-Match: *` when there was none). S3 makes that
//! check and the write one step, so of two jobs that started from the same
//! manifest exactly one commits; the other deletes only its own uncommitted
//! parts. Whatever the manifest names is the consolidated log: readers
//! (the analyze function, `aggregate`, Athena users) start from it.
//!
//! ```text
//! {consolidated_prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/manifest.json
//! {consolidated_prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/g000003-5f1c…/part-00001.json.gz
//! ```
//!
//! After a commit, a part is garbage when the manifest does not name it and
//! its generation is not newer than the manifest's: a job that could still
//! commit writes a newer generation than the one committed. Parts written
//! before manifests existed (`…/DD/part-00001.json.gz`) are generation 0:
//! the first commit absorbs and then removes them.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::layout::Partition;
use crate::record_layout::RecordLayout;
use crate::storage::{self, Conditional, Precondition};

pub const FORMAT: &str = "cloudtrail-analyzer/consolidated-manifest/1";
const FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartEntry {
    pub key: String,
    /// Hex SHA-256 of the object's bytes.
    pub sha256: String,
    pub bytes: u64,
    pub records: u64,
}

/// A raw file whose records the log holds (the host checked them itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absorbed {
    pub key: String,
    pub records: u64,
    /// Hex SHA-256 of its uncompressed bytes, as the digest that listed
    /// it vouched (absent when the trail writes no digests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// That digest, `s3://bucket/key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// How the file is made of the records now in the parts (with a
    /// digest only): `verify --consolidated` rebuilds the file from it and
    /// checks it against its digest after the file is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<RecordLayout>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub partition: Partition,
    pub generation: u64,
    /// Records over all parts.
    pub records: u64,
    pub parts: Vec<PartEntry>,
    /// Every raw file absorbed into this log over all generations, by key.
    pub absorbed: Vec<Absorbed>,
}

/// The manifest a job started from: what it read, and how to replace it.
pub struct Current {
    pub manifest: Option<Manifest>,
    /// The manifest's ETag; `None` when there is no manifest yet.
    pub etag: Option<String>,
    /// Parts from before manifests (generation 0), when there is no manifest.
    pub legacy_parts: Vec<String>,
}

impl Current {
    pub fn generation(&self) -> u64 {
        self.manifest.as_ref().map_or(0, |m| m.generation)
    }

    /// The keys of the consolidated log as it stands.
    pub fn part_keys(&self) -> Vec<String> {
        match &self.manifest {
            Some(m) => m.parts.iter().map(|p| p.key.clone()).collect(),
            None => self.legacy_parts.clone(),
        }
    }
}

pub fn manifest_key(partition: &Partition, consolidated_prefix: &str) -> String {
    format!("{}{FILE}", partition.prefix(consolidated_prefix))
}

/// `…/DD/g000003-TOKEN/`: a generation's folder, unique to the job that writes it.
pub fn generation_prefix(
    partition: &Partition,
    consolidated_prefix: &str,
    generation: u64,
    token: &str,
) -> String {
    format!(
        "{}g{generation:06}-{token}/",
        partition.prefix(consolidated_prefix)
    )
}

/// A random token that makes a job's generation folder its own.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).context("cannot draw a random job token")?;
    Ok(hex::encode(bytes))
}

/// The generation of a part key under the partition prefix: `Some(0)` for
/// a part from before manifests, `None` for anything that is not a part.
pub fn part_generation(partition_prefix: &str, key: &str) -> Option<u64> {
    let rest = key.strip_prefix(partition_prefix)?;
    let is_part = |name: &str| name.starts_with("part-") && name.ends_with(".json.gz");
    match rest.split_once('/') {
        None => is_part(rest).then_some(0),
        Some((folder, name)) => {
            let digits = folder.strip_prefix('g')?.split_once('-')?.0;
            if !is_part(name) || name.contains('/') || digits.len() != 6 {
                return None;
            }
            digits.parse().ok()
        }
    }
}

/// Reads the partition's current manifest (or, before the first commit,
/// lists the parts written before manifests existed).
pub async fn read(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    partition: &Partition,
    consolidated_prefix: &str,
) -> Result<Current> {
    let key = manifest_key(partition, consolidated_prefix);
    if let Some((bytes, etag)) = storage::get_if_exists(s3, bucket, &key).await? {
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("s3://{bucket}/{key} is not a manifest this host reads"))?;
        if manifest.format != FORMAT || manifest.partition != *partition {
            bail!(
                "s3://{bucket}/{key} is a manifest of format {:?} for another partition or version; \
                 refusing to replace it",
                manifest.format
            );
        }
        let etag = etag.with_context(|| format!("s3://{bucket}/{key} came without an ETag"))?;
        return Ok(Current {
            manifest: Some(manifest),
            etag: Some(etag),
            legacy_parts: Vec::new(),
        });
    }
    let prefix = partition.prefix(consolidated_prefix);
    let mut legacy_parts: Vec<String> = storage::list(s3, bucket, &prefix)
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| part_generation(&prefix, k) == Some(0))
        .collect();
    legacy_parts.sort();
    Ok(Current {
        manifest: None,
        etag: None,
        legacy_parts,
    })
}

/// How a commit ended.
pub enum Commit {
    Committed,
    /// Another job committed since this one read the manifest.
    Lost,
}

/// Publishes `manifest` if the partition's manifest is still the one
/// `current` read. A 409 (a concurrent write decided nothing) is retried.
pub async fn commit(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    consolidated_prefix: &str,
    current: &Current,
    manifest: &Manifest,
) -> Result<Commit> {
    let key = manifest_key(&manifest.partition, consolidated_prefix);
    let body = serde_json::to_vec_pretty(manifest)?;
    let when = match &current.etag {
        Some(etag) => Precondition::Matches(etag),
        None => Precondition::Absent,
    };
    for attempt in 1..=5u32 {
        match storage::put_conditional(s3, bucket, &key, body.clone(), "application/json", when)
            .await?
        {
            Conditional::Written(_) => return Ok(Commit::Committed),
            Conditional::Refused => {
                // A retried request whose first attempt did commit (its
                // answer lost on the way) is refused by its own write:
                // only the manifest now in place tells.
                let now = storage::get_if_exists(s3, bucket, &key).await?;
                let ours = now
                    .and_then(|(bytes, _)| serde_json::from_slice::<Manifest>(&bytes).ok())
                    .is_some_and(|now| now == *manifest);
                return Ok(if ours {
                    Commit::Committed
                } else {
                    Commit::Lost
                });
            }
            Conditional::Conflict => {
                tracing::warn!(attempt, key, "409 on the manifest commit; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
        }
    }
    bail!(
        "s3://{bucket}/{key}: the commit met 409 ConditionalRequestConflict five times; nothing deleted"
    )
}

/// The part keys under the partition that no reader needs once `manifest`
/// is committed: not named by it, and not newer than it.
pub fn garbage(partition_prefix: &str, listed: &[String], manifest: &Manifest) -> Vec<String> {
    listed
        .iter()
        .filter(|k| !manifest.parts.iter().any(|p| &p.key == *k))
        .filter(|k| part_generation(partition_prefix, k).is_some_and(|g| g <= manifest.generation))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::layout::Day;

    fn partition() -> Partition {
        Partition {
            org: None,
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            day: Day::parse("2026-11-01").unwrap(),
        }
    }

    #[test]
    fn parts_are_read_by_generation() {
        let p = partition();
        let prefix = p.prefix("consolidated/");
        let g3 = generation_prefix(&p, "consolidated/", 3, "abcd");
        assert_eq!(
            g3,
            "consolidated/111122223333/eu-west-1/2026/11/01/g000003-abcd/"
        );
        assert_eq!(
            part_generation(&prefix, &format!("{g3}part-00001.json.gz")),
            Some(3)
        );
        assert_eq!(
            part_generation(&prefix, &format!("{prefix}part-00002.json.gz")),
            Some(0)
        );
        for other in [
            format!("{prefix}manifest.json"),
            format!("{g3}notes.txt"),
            format!("{prefix}g12-x/part-00001.json.gz"),
            format!("{prefix}x/part-00001.json.gz"),
            format!("{g3}a/part-00001.json.gz"),
            "elsewhere/part-00001.json.gz".into(),
        ] {
            assert_eq!(part_generation(&prefix, &other), None, "{other}");
        }
    }

    #[test]
    fn garbage_is_unnamed_and_not_newer() {
        let p = partition();
        let prefix = p.prefix("c/");
        let key =
            |g: u64, t: &str| format!("{}part-00001.json.gz", generation_prefix(&p, "c/", g, t));
        let manifest = Manifest {
            format: FORMAT.into(),
            partition: p.clone(),
            generation: 2,
            records: 1,
            parts: vec![PartEntry {
                key: key(2, "won"),
                sha256: String::new(),
                bytes: 1,
                records: 1,
            }],
            absorbed: vec![],
        };
        let listed = vec![
            format!("{prefix}part-00001.json.gz"),
            key(1, "old"),
            key(2, "won"),
            key(2, "lost"),
            key(3, "in-flight"),
            format!("{prefix}manifest.json"),
        ];
        assert_eq!(
            garbage(&prefix, &listed, &manifest),
            vec![listed[0].clone(), listed[1].clone(), listed[3].clone()]
        );
    }
}
