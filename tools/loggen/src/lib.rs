//! Deterministic generator of realistic AWS CloudTrail log files, for the
//! analyzer's tests and benchmarks.
//!
//! The same [`Spec`] (seed included) always gives byte-identical files.
//! Files use CloudTrail's S3 key layout (account and organization trails),
//! hold gzipped `{"Records":[...]}` documents with real field names and
//! shapes, and come with hourly digest files. See `README.md` beside this
//! crate for what is and is not modelled.

mod apis;
mod consolidated;
mod digest;
mod events;
mod generator;
mod gz;
mod ids;
mod json;
mod layout;
pub mod rng;
pub mod time;
mod world;

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use digest::{FINGERPRINT as DIGEST_KEY_FINGERPRINT, public_keys_json};
pub use events::{Api, Caller, EventCtx, Pick, event_json, pick, write_event};
pub use generator::{Generator, default_threads};
pub use rng::Rng;
pub use world::{Account, World};

/// `loggen --version`: the crate version and the output revision, which
/// goes up whenever the same spec and seed start giving other bytes (so
/// `bench/run.py`, which stamps its corpus with this, makes a new one).
/// Revision 2: a few percent of files in older record formats.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (output 2)");

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    pub seed: u64,
    /// 12-digit account ids.
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// When set, accounts at odd positions (the 2nd, 4th...) are logged by
    /// this organization's trail (`AWSLogs/<org-id>/<account>/...`), the
    /// others by their own trail (`AWSLogs/<account>/...`).
    pub org_id: Option<String>,
    /// First day, `(year, month, day)`, UTC.
    pub start_day: (i32, u32, u32),
    pub days: u32,
    /// Log files per account, region and day.
    pub files_per_partition_day: u32,
    pub events_per_file: u32,
    pub digest_files: bool,
    /// Prepended before `AWSLogs/` (a `/` is added if missing); usually empty.
    pub key_prefix: String,
}

impl Spec {
    /// The sample set: 3 accounts (the second one under organization
    /// `o-exampleorg1`), 3 regions including us-east-1, 2 days from
    /// 2026-11-01, 2 files per account-region-day, 25 events per file,
    /// digests on. 36 log files, 900 events.
    pub fn small() -> Spec {
        Spec {
            seed: 1,
            accounts: Spec::account_ids(3),
            regions: Spec::region_names(3),
            org_id: Some("o-exampleorg1".to_owned()),
            start_day: (2026, 11, 1),
            days: 2,
            files_per_partition_day: 2,
            events_per_file: 25,
            digest_files: true,
            key_prefix: String::new(),
        }
    }

    /// `n` distinct, stable 12-digit account ids.
    pub fn account_ids(n: usize) -> Vec<String> {
        const FIRST: [&str; 3] = ["123456789012", "210987654321", "345678901234"];
        (0..n)
            .map(|i| match FIRST.get(i) {
                Some(id) => (*id).to_owned(),
                // Spread over the 12-digit space, never with a leading zero.
                None => format!(
                    "{:012}",
                    400_000_000_000u64 + (i as u64).wrapping_mul(7_919_000_013) % 599_999_999_999
                ),
            })
            .collect()
    }

    /// The first `n` of a fixed list of commercial regions (us-east-1 first).
    pub fn region_names(n: usize) -> Vec<String> {
        const REGIONS: [&str; 17] = [
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "us-west-2",
            "eu-central-1",
            "ap-northeast-1",
            "us-east-2",
            "eu-west-2",
            "ap-south-1",
            "ca-central-1",
            "sa-east-1",
            "eu-north-1",
            "ap-southeast-1",
            "us-west-1",
            "eu-west-3",
            "ap-northeast-2",
            "eu-south-1",
        ];
        REGIONS.iter().take(n).map(|r| (*r).to_owned()).collect()
    }

    /// Log files the spec produces (digests not counted).
    pub fn log_files(&self) -> u64 {
        self.accounts.len() as u64
            * self.regions.len() as u64
            * u64::from(self.days)
            * u64::from(self.files_per_partition_day)
    }

    /// Records the spec produces.
    pub fn total_events(&self) -> u64 {
        self.log_files() * u64::from(self.events_per_file)
    }
}

/// One generated object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    /// S3 key (a relative path), e.g. `AWSLogs/123456789012/CloudTrail/...json.gz`.
    pub key: String,
    /// Gzip bytes.
    pub body: Vec<u8>,
    /// Records in the file; 0 for digests.
    pub events: u64,
    pub is_digest: bool,
    /// A digest's signature (hex), which CloudTrail keeps in the object's
    /// S3 metadata (`x-amz-meta-signature`, with `signature-algorithm`
    /// `SHA256withRSA`); None for log files.
    pub signature: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Files written, digests included.
    pub files: u64,
    pub events: u64,
    /// How many of `files` are digests.
    pub digests: u64,
    /// Compressed bytes written.
    pub bytes: u64,
}

impl Summary {
    fn add(&mut self, f: &LogFile) {
        self.files += 1;
        self.events += f.events;
        self.digests += u64::from(f.is_digest);
        self.bytes += f.body.len() as u64;
    }
}

/// All files of `spec`, lazily, in a fixed order (accounts, regions,
/// days, then files by delivery time, each hour's digest after its logs).
/// Files are built ahead by up to [`default_threads`] worker threads
/// (`LOGGEN_THREADS` to override); the bytes never depend on the count.
pub fn generate(spec: &Spec) -> impl Iterator<Item = LogFile> + use<> {
    Generator::new(spec)
}

/// Writes every file of `spec` under `dir`, keys as relative paths.
pub fn write_to_dir(spec: &Spec, dir: &Path) -> io::Result<Summary> {
    write_files(generate(spec), dir)
}

/// Writes `files` under `dir`, keys as relative paths.
pub fn write_files(files: impl IntoIterator<Item = LogFile>, dir: &Path) -> io::Result<Summary> {
    write(files, dir, false)
}

/// Writes `files` under `dir` as [`write_files`] does, and what local
/// copies need for `cloudtrail-analyzer verify`: beside each digest its
/// signature sidecar (`DIGEST.metadata.json`, what its S3 metadata holds)
/// and, at the top, `public-keys.json` (see [`public_keys_json`]).
pub fn write_files_with_signatures(
    files: impl IntoIterator<Item = LogFile>,
    dir: &Path,
) -> io::Result<Summary> {
    let summary = write(files, dir, true)?;
    fs::write(dir.join("public-keys.json"), public_keys_json())?;
    Ok(summary)
}

fn write(
    files: impl IntoIterator<Item = LogFile>,
    dir: &Path,
    sidecars: bool,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut made = None::<std::path::PathBuf>;
    for file in files {
        let path = dir.join(&file.key);
        if let Some(parent) = path.parent()
            && made.as_deref() != Some(parent)
        {
            fs::create_dir_all(parent)?;
            made = Some(parent.to_path_buf());
        }
        fs::write(&path, &file.body)?;
        if let Some(signature) = file.signature.as_ref().filter(|_| sidecars) {
            let mut sidecar = path.clone().into_os_string();
            sidecar.push(".metadata.json");
            fs::write(
                sidecar,
                format!(
                    "{{\"signature\": \"{signature}\", \"signature-algorithm\": \"SHA256withRSA\"}}\n"
                ),
            )?;
        }
        summary.add(&file);
    }
    Ok(summary)
}

/// Writes ONE gzip file `{"Records":[...]}` with at least
/// `target_uncompressed_bytes` of JSON (it stops at the end of the chunk of
/// about 2048 records that crosses the target), streaming: memory stays
/// flat whatever the size. Records cycle through the spec's days, accounts,
/// regions and file slots, round after round with fresh random streams, so
/// event ids stay unique; times stay within the spec's days.
/// `Summary::bytes` is the compressed size.
pub fn consolidated(
    spec: &Spec,
    target_uncompressed_bytes: u64,
    out: impl Write,
) -> io::Result<Summary> {
    consolidated_stats(spec, target_uncompressed_bytes, out, default_threads()).map(|(s, _)| s)
}

/// [`consolidated`] with a given number of worker threads (the bytes are
/// the same for any count), also returning the uncompressed size.
pub fn consolidated_stats(
    spec: &Spec,
    target_uncompressed_bytes: u64,
    out: impl Write,
    threads: usize,
) -> io::Result<(Summary, u64)> {
    consolidated::write(spec, target_uncompressed_bytes, out, threads)
}

#[cfg(test)]
mod tests;
