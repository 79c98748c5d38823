//! One verification run as a host drives it: files go in one at a time,
//! in any order, each with its S3 user metadata, and this tells digest
//! files, signature sidecars and log files apart; `finish` gives the
//! verdicts.
//!
//! A host may spread the files over several runs (one per instance, to
//! use every core): each run hands what it read to one of them as a
//! [`Partial`], and that one finishes. Reading is the costly part (every
//! log file is inflated and hashed); what a run keeps is small: a hash per
//! log file and the digests' bytes.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, Read};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::digest::{Digest, hex};
use super::keys::PublicKeys;
use super::verify::{
    self, CheckedDigests, DigestInput, FileVerdict, Kind, LogInput, LogJudgement, Report,
    SignatureMetadata, Verdict, file_name,
};
use super::window::Window;
use crate::config::DEFAULT_MAX_INPUT_BYTES;
use crate::input;

/// A digest file is a few hundred bytes per listed log; anything larger
/// than this is not one.
const MAX_DIGEST_BYTES: u64 = 64 << 20;

/// The suffix of a signature sidecar: `<digest file name>` + this, holding
/// `{"signature": "<hex>", "signature-algorithm": "SHA256withRSA"}` (the
/// `Metadata` of `aws s3api head-object` on the digest).
pub const SIDECAR_SUFFIX: &str = ".metadata.json";

pub struct Verification {
    keys: PublicKeys,
    window: Window,
    digests: Vec<ReadDigest>,
    /// Sidecar signatures by the digest file name they are for.
    sidecars: HashMap<String, SignatureMetadata>,
    logs: Vec<LogInput>,
    /// Files that are neither: named in the report, given no verdict.
    skipped: Vec<String>,
    /// Consolidated logs, as the host found them.
    consolidated: Vec<FileVerdict>,
    /// The digests judged, for [`Verification::check_log`]; dropped when
    /// a digest, sidecar or key is added.
    checked: Option<CheckedDigests>,
}

/// One log file checked at once: its judgement and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCheck {
    pub judgement: LogJudgement,
    /// Hex SHA-256 of its uncompressed bytes; None when unreadable.
    pub sha256: Option<String>,
}

/// A digest file as read: its name, its uncompressed bytes (or why they
/// could not be read) and the signature its metadata gave.
#[derive(Serialize, Deserialize)]
struct ReadDigest {
    name: String,
    #[serde(with = "base64_bytes")]
    bytes: Result<Vec<u8>, String>,
    signature: Option<SignatureMetadata>,
}

/// What one run read, for another run of the same component to finish
/// with: JSON, opaque to the host.
#[derive(Serialize, Deserialize, Default)]
struct Partial {
    digests: Vec<ReadDigest>,
    sidecars: Vec<(String, SignatureMetadata)>,
    logs: Vec<LogInput>,
    skipped: Vec<String>,
    #[serde(default)]
    consolidated: Vec<FileVerdict>,
}

/// A digest's bytes as base64 text in a [`Partial`].
mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Result<Vec<u8>, String>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Vec<u8>, String>, D::Error> {
        match Result::<String, String>::deserialize(d)? {
            Ok(text) => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Ok)
                .map_err(serde::de::Error::custom),
            Err(e) => Ok(Err(e)),
        }
    }
}

/// Public keys the digests read so far need and the keys given lack: a
/// region, and the span of its digests' times, to ask that region's
/// `cloudtrail:ListPublicKeys` for (its `StartTime` and `EndTime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub region: String,
    pub start: String,
    pub end: String,
}

#[derive(Deserialize)]
struct Sidecar {
    signature: String,
    #[serde(rename = "signature-algorithm")]
    algorithm: String,
}

/// Whether `name` is a CloudTrail log file (`<account>_CloudTrail_…` or
/// `<account>_CloudTrail-Insight_…`): other files in a folder (a key
/// list, notes) are skipped, not reported as unlisted. A log file renamed
/// away is still caught: its digest lists it, and it is missing.
pub fn is_log_name(name: &str) -> bool {
    let name = file_name(name);
    name.contains("_CloudTrail_") || name.contains("_CloudTrail-Insight_")
}

/// Whether `name` is a CloudTrail digest file (by CloudTrail's naming:
/// `…/CloudTrail-Digest/…/<account>_CloudTrail-Digest_<region>_….json.gz`).
pub fn is_digest_name(name: &str) -> bool {
    file_name(name).contains("_CloudTrail-Digest_")
}

/// What a file given to a run is, by its name.
enum FileKind<'a> {
    /// A signature sidecar, for the digest file so named.
    Sidecar(&'a str),
    Digest,
    Log,
    Other,
}

/// Sidecars first: a sidecar's name holds its digest's.
fn kind(name: &str) -> FileKind<'_> {
    if let Some(digest) = file_name(name).strip_suffix(SIDECAR_SUFFIX) {
        FileKind::Sidecar(digest)
    } else if is_digest_name(name) {
        FileKind::Digest
    } else if is_log_name(name) {
        FileKind::Log
    } else {
        FileKind::Other
    }
}

impl Verification {
    /// `public_keys`: `aws cloudtrail list-public-keys` output, or nothing
    /// when the host will fetch them (see [`Verification::missing_keys`]);
    /// `window`: what to read and report.
    pub fn open(public_keys: &[u8], window: Window) -> Result<Verification, String> {
        let keys = if public_keys.is_empty() {
            PublicKeys::default()
        } else {
            let keys = PublicKeys::parse(public_keys).map_err(|e| format!("public keys: {e}"))?;
            if keys.is_empty() {
                return Err("public keys: the list is empty".into());
            }
            keys
        };
        Ok(Verification {
            keys,
            window,
            digests: Vec::new(),
            sidecars: HashMap::new(),
            logs: Vec::new(),
            skipped: Vec::new(),
            consolidated: Vec::new(),
            checked: None,
        })
    }

    /// Whether the host should read the file so named: false when its
    /// name puts it well outside the window, so it is not fetched at all.
    /// A sidecar goes with its digest.
    pub fn wants(&self, name: &str) -> bool {
        match kind(name) {
            FileKind::Sidecar(digest) => self.window.wants(digest),
            FileKind::Digest | FileKind::Log => self.window.wants(name),
            FileKind::Other => true,
        }
    }

    /// The regions (and times) whose public keys the digests read so far
    /// need and this run lacks.
    pub fn missing_keys(&self) -> Vec<KeyRequest> {
        let mut spans: BTreeMap<String, (String, String)> = BTreeMap::new();
        for read in &self.digests {
            let Some(d) = read
                .bytes
                .as_deref()
                .ok()
                .and_then(|bytes| Digest::parse(&read.name, bytes).ok())
            else {
                continue;
            };
            if self.keys.contains(&d.fingerprint) {
                continue;
            }
            // CloudTrail's times share one format, so text order is time order.
            let span = spans
                .entry(d.region().to_owned())
                .or_insert_with(|| (d.start.clone(), d.end.clone()));
            if d.start < span.0 {
                span.0 = d.start.clone();
            }
            if d.end > span.1 {
                span.1 = d.end.clone();
            }
        }
        spans
            .into_iter()
            .map(|(region, (start, end))| KeyRequest { region, start, end })
            .collect()
    }

    /// More public keys (`list-public-keys` output), e.g. what a
    /// [`KeyRequest`] fetched.
    pub fn add_public_keys(&mut self, public_keys: &[u8]) -> Result<(), String> {
        let more = PublicKeys::parse(public_keys).map_err(|e| format!("public keys: {e}"))?;
        self.keys.extend(more);
        self.checked = None;
        Ok(())
    }

    /// Everything read so far, as bytes [`Verification::merge_partial`]
    /// takes; this run is left empty.
    pub fn take_partial(&mut self) -> Vec<u8> {
        let partial = Partial {
            digests: std::mem::take(&mut self.digests),
            sidecars: self.sidecars.drain().collect(),
            logs: std::mem::take(&mut self.logs),
            skipped: std::mem::take(&mut self.skipped),
            consolidated: std::mem::take(&mut self.consolidated),
        };
        serde_json::to_vec(&partial).expect("a partial serializes")
    }

    /// Takes in what another run read ([`Verification::take_partial`]).
    pub fn merge_partial(&mut self, bytes: &[u8]) -> Result<(), String> {
        let partial: Partial = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a partial verification of this component: {e}"))?;
        self.checked = None;
        self.digests.extend(partial.digests);
        self.sidecars.extend(partial.sidecars);
        self.logs.extend(partial.logs);
        self.skipped.extend(partial.skipped);
        self.consolidated.extend(partial.consolidated);
        Ok(())
    }

    /// Checks one log file at once against the digests given so far (give
    /// them first), without adding it to the run's report: what
    /// consolidation asks before it absorbs a raw file.
    pub fn check_log(&mut self, name: &str, data: impl Read) -> LogCheck {
        let sha256 = hash_uncompressed(data).map_err(|e| e.to_string());
        if self.checked.is_none() {
            self.checked = Some(CheckedDigests::new(self.digest_inputs(), &self.keys));
        }
        let checked = self.checked.as_ref().expect("just set");
        LogCheck {
            judgement: checked.judge_log(name, &sha256),
            sha256: sha256.ok(),
        }
    }

    /// The digests read, each with its signature (metadata, or sidecar).
    fn digest_inputs(&self) -> Vec<DigestInput<'_>> {
        self.digests
            .iter()
            .map(|d| DigestInput {
                location: d.name.clone(),
                uncompressed: d.bytes.as_deref().map_err(Clone::clone),
                signature: d
                    .signature
                    .clone()
                    .or_else(|| self.sidecars.get(file_name(&d.name)).cloned()),
            })
            .collect()
    }

    /// Takes one file. `metadata` is its S3 user metadata (`signature`,
    /// `signature-algorithm` on a digest). An error says why the file
    /// could not be read; a log file that cannot be read is also in the
    /// report (as modified, or not in a digest).
    pub fn add(
        &mut self,
        name: &str,
        data: impl Read,
        metadata: &[(String, String)],
    ) -> Result<(), String> {
        self.checked = None;
        match kind(name) {
            FileKind::Sidecar(digest) => self.add_sidecar(digest, data),
            FileKind::Digest => self.add_digest(name, data, metadata),
            FileKind::Log => self.add_log(name, data),
            FileKind::Other => {
                self.skipped.push(name.to_owned());
                Ok(())
            }
        }
    }

    /// The signature of the digest file named `digest`.
    fn add_sidecar(&mut self, digest: &str, data: impl Read) -> Result<(), String> {
        let mut text = Vec::new();
        data.take(1 << 20)
            .read_to_end(&mut text)
            .map_err(|e| e.to_string())?;
        let sidecar: Sidecar = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "not a signature sidecar ({{\"signature\": …, \"signature-algorithm\": …}}): {e}"
            )
        })?;
        self.sidecars.insert(
            digest.to_owned(),
            SignatureMetadata {
                signature: sidecar.signature,
                algorithm: sidecar.algorithm,
            },
        );
        Ok(())
    }

    fn add_digest(
        &mut self,
        name: &str,
        data: impl Read,
        metadata: &[(String, String)],
    ) -> Result<(), String> {
        let meta = |key: &str| {
            metadata
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        let signature = meta("signature").map(|signature| SignatureMetadata {
            signature,
            algorithm: meta("signature-algorithm").unwrap_or_default(),
        });
        let mut bytes = Vec::new();
        let read = input::open(data, MAX_DIGEST_BYTES)
            .and_then(|(mut r, _)| r.read_to_end(&mut bytes))
            .map(|_| bytes)
            .map_err(|e| format!("cannot be read: {e}"));
        let result = read.as_ref().map(|_| ()).map_err(Clone::clone);
        // Unreadable, it is still reported (unverifiable, with why).
        self.digests.push(ReadDigest {
            name: name.to_owned(),
            bytes: read,
            signature,
        });
        result
    }

    fn add_log(&mut self, name: &str, data: impl Read) -> Result<(), String> {
        let sha256 = hash_uncompressed(data).map_err(|e| e.to_string());
        let result = sha256.as_ref().map(|_| ()).map_err(Clone::clone);
        self.logs.push(LogInput {
            location: name.to_owned(),
            sha256,
        });
        result
    }

    /// A file that could not be read at all, and why: a digest is then
    /// unverifiable, a log file modified (or not in a digest), with `reason`.
    pub fn record_failure(&mut self, name: &str, reason: &str) {
        match kind(name) {
            FileKind::Digest => self.digests.push(ReadDigest {
                name: name.to_owned(),
                bytes: Err(format!("cannot be read: {reason}")),
                signature: None,
            }),
            FileKind::Log => self.logs.push(LogInput {
                location: name.to_owned(),
                sha256: Err(reason.to_owned()),
            }),
            // A sidecar that cannot be read leaves its digest unsigned,
            // which the digest's verdict says.
            FileKind::Sidecar(_) | FileKind::Other => self.skipped.push(name.to_owned()),
        }
    }

    /// A consolidated log (named by its manifest) as the host found it.
    /// Its raw files, rebuilt from it, are added as log files.
    pub fn add_consolidated(&mut self, name: &str, verdict: Verdict, reason: &str) {
        self.consolidated.push(FileVerdict {
            file: name.to_owned(),
            kind: Kind::Consolidated,
            verdict,
            reason: reason.to_owned(),
        });
    }

    pub fn finish(mut self) -> Report {
        let logs = std::mem::take(&mut self.logs);
        let mut report = verify::verify(self.digest_inputs(), logs, &self.keys, &self.window);
        self.consolidated.sort_by(|a, b| a.file.cmp(&b.file));
        for f in self.consolidated.drain(..) {
            *report
                .counts
                .entry(f.verdict.name().to_owned())
                .or_insert(0) += 1;
            report.files.push(f);
        }
        report.skipped = std::mem::take(&mut self.skipped);
        // In the order of the files, not of the runs that read them.
        report.skipped.sort();
        report
    }
}

/// SHA-256 of a file's uncompressed bytes, streaming.
fn hash_uncompressed(data: impl Read) -> io::Result<String> {
    let (mut reader, _) = input::open(data, DEFAULT_MAX_INPUT_BYTES)?;
    let mut hasher = Sha256::new();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        hasher.update(buf);
        let n = buf.len();
        reader.consume(n);
    }
    Ok(hex(&hasher.finalize()))
}
