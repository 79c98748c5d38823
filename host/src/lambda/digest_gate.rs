//! Consolidation validates before it absorbs. When CloudTrail digest files
//! exist for a partition's account and region, every raw file is checked
//! against the digest that lists it before the job reads it into the
//! consolidated log: only a file whose SHA-256 is what a valid (signed,
//! chained) digest lists is absorbed, and so only such a file can ever be
//! deleted by cleanup. The component judges (its `integrity` export); this
//! fetches the digests with their S3 metadata and the public keys their
//! regions need (`cloudtrail:ListPublicKeys`).
//!
//! Digest files live under `CloudTrail-Digest/`, outside the raw prefix a
//! job lists and cleans, so consolidation never deletes one.

use anyhow::Result;
use aws_sdk_s3::Client;

use super::layout::Partition;
use crate::public_keys;
use crate::runtime::{Analyzer, Handle, Instance, LogCheck, VerificationOptions};
use crate::storage;

pub struct Gate {
    instance: Instance,
    run: Handle,
    /// How many digest files were read.
    pub digests: usize,
}

impl Gate {
    /// `None` when the partition has no digest files (the trail does not
    /// validate log files): the job consolidates as it always did.
    pub async fn open(
        analyzer: &Analyzer,
        s3: &Client,
        bucket: &str,
        log_prefix: &str,
        partition: &Partition,
    ) -> Result<Option<Gate>> {
        let mut digests = Vec::new();
        for prefix in partition.digest_prefixes(log_prefix) {
            digests.extend(storage::list(s3, bucket, &prefix).await?);
        }
        if digests.is_empty() {
            return Ok(None);
        }
        let mut instance = analyzer.instantiate().await?;
        let options = VerificationOptions {
            public_keys: Vec::new(),
            from: None,
            to: None,
        };
        let run = instance.open_verification(&options).await?;
        for digest in &digests {
            let name = format!("s3://{bucket}/{}", digest.key);
            match storage::open_with_metadata(s3, bucket, &digest.key).await {
                Ok((reader, metadata)) => {
                    // A digest that cannot be read makes the files it
                    // lists unverifiable, which `check` says.
                    let _ = instance.verify_file(run, &name, reader, &metadata).await?;
                }
                Err(e) => {
                    instance
                        .verify_failure(run, &name, &format!("{e:#}"))
                        .await?
                }
            }
        }
        for request in instance.verification_missing_keys(run).await? {
            let keys = public_keys::list(&request).await?;
            instance.add_verification_keys(run, &keys).await?;
        }
        Ok(Some(Gate {
            instance,
            run,
            digests: digests.len(),
        }))
    }

    /// One raw file's bytes against the digests (`Bytes`: the caller
    /// keeps a cheap handle on them to absorb the file if it is valid).
    pub async fn check(&mut self, name: &str, bytes: bytes::Bytes) -> Result<LogCheck> {
        self.instance
            .check_log(self.run, name, std::io::Cursor::new(bytes))
            .await
    }
}
