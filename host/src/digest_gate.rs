//! Consolidation validates before it absorbs. When CloudTrail digest files
//! exist for the raw files being consolidated, every raw file is checked
//! against the digest that lists it before its bytes go into the
//! consolidated log: only a file whose SHA-256 is what a valid (signed,
//! chained) digest lists is absorbed, and so only such a file can ever be
//! deleted by cleanup. The component judges (its `integrity` export); this
//! reads the digests with their metadata (where CloudTrail puts their
//! signatures) and gets the public keys their regions need.
//!
//! Used by the Lambda consolidation (the partition's digest folders) and by
//! `aggregate --digests`.

use anyhow::Result;

use crate::inputs::Input;
use crate::public_keys;
use crate::runtime::{Analyzer, Body, Handle, Instance, LogVerdict, VerificationOptions};
use crate::storage::LazyS3;

/// What the gate says of one raw file.
pub enum Admission {
    /// A valid digest lists exactly these bytes: absorb them (these, not
    /// another read, so nothing changes between the check and the use).
    Absorb {
        bytes: bytes::Bytes,
        /// Hex SHA-256 of the uncompressed bytes, as the digest lists it.
        sha256: String,
        /// Where that digest was read.
        digest: String,
    },
    /// Not absorbed: `modified` (not what its digest lists) or
    /// `unverified` (no valid digest lists it yet), and why.
    Refuse {
        status: &'static str,
        reason: String,
    },
}

pub struct Gate {
    instance: Instance,
    run: Handle,
    /// How many digest files (and sidecars) were read.
    pub digests: usize,
}

impl Gate {
    /// Reads `digests` (digest files, and signature sidecars for local
    /// copies) into a verification run of its own. The keys are
    /// `public_keys` (`aws cloudtrail list-public-keys` output) or, when
    /// that is empty, fetched with `cloudtrail:ListPublicKeys` for the
    /// regions and hours the digests need.
    pub async fn open(
        analyzer: &Analyzer,
        s3: &LazyS3,
        digests: &[Input],
        public_keys: Vec<u8>,
    ) -> Result<Gate> {
        let mut instance = analyzer.instantiate().await?;
        let fetch_keys = public_keys.is_empty();
        let options = VerificationOptions {
            public_keys,
            from: None,
            to: None,
        };
        let run = instance.open_verification(&options).await?;
        for digest in digests {
            let name = digest.name();
            match digest.open_with_metadata(s3).await {
                Ok((reader, metadata)) => {
                    // A digest that cannot be read makes the files it
                    // lists unverifiable, which `check` says.
                    let body = Body::Stream(reader);
                    let _ = instance.verify_file(run, &name, body, &metadata).await?;
                }
                Err(e) => {
                    instance
                        .verify_failure(run, &name, &format!("{e:#}"))
                        .await?
                }
            }
        }
        if fetch_keys {
            for request in instance.verification_missing_keys(run).await? {
                let keys = public_keys::list(&request).await?;
                instance.add_verification_keys(run, &keys).await?;
            }
        }
        Ok(Gate {
            instance,
            run,
            digests: digests.len(),
        })
    }

    /// One raw file's bytes, read once, against the digests.
    pub async fn admit(&mut self, name: &str, bytes: Vec<u8>) -> Result<Admission> {
        let bytes = bytes::Bytes::from(bytes);
        let check = self
            .instance
            .check_log(self.run, name, std::io::Cursor::new(bytes.clone()))
            .await?;
        Ok(match check.verdict {
            LogVerdict::Valid => Admission::Absorb {
                bytes,
                sha256: check.sha256,
                digest: check.digest,
            },
            LogVerdict::Modified => Admission::Refuse {
                status: "modified",
                reason: check.reason,
            },
            LogVerdict::NotInDigest | LogVerdict::Unverifiable => Admission::Refuse {
                status: "unverified",
                reason: check.reason,
            },
        })
    }
}
