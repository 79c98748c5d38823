//! Verdicts over a set of digest files and log files: which digests are
//! signed and chained, which log files are exactly what a digest lists,
//! and what is missing or unlisted.
//!
//! Beyond what `aws cloudtrail validate-logs` checks, a digest's
//! `previousDigestHashValue` must equal the SHA-256 of the previous
//! digest, and a log file that no digest lists is reported.
//!
//! A digest's signature comes from its S3 object metadata (`signature`,
//! `signature-algorithm`) or a sidecar holding the same; failing both,
//! the next digest of the chain vouches for it, since that digest's
//! signed text holds its `previousDigestSignature`. The newest digest of
//! local copies therefore needs its metadata or sidecar to be verified.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::digest::Digest;
use super::keys::{PublicKeys, Signature};
use super::window::Window;
use crate::time::{parse_event_time, parse_file_name_time};

/// A digest file as read: its uncompressed bytes, and its signature when
/// the place it was read from gives one.
pub struct DigestInput<'a> {
    pub location: String,
    /// Its uncompressed bytes, or why they could not be read.
    pub uncompressed: Result<&'a [u8], String>,
    pub signature: Option<SignatureMetadata>,
}

/// `x-amz-meta-signature` and `x-amz-meta-signature-algorithm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureMetadata {
    pub signature: String,
    pub algorithm: String,
}

/// A log file as read: the SHA-256 of its uncompressed bytes, or why it
/// could not be read.
#[derive(Serialize, Deserialize)]
pub struct LogInput {
    pub location: String,
    pub sha256: Result<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Valid,
    Modified,
    Missing,
    NotInDigest,
    DigestMissing,
    BadSignature,
    ChainBroken,
    Unverifiable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Digest,
    Log,
    /// A consolidated log, by its manifest: its raw files are rebuilt from
    /// it and judged as log files.
    Consolidated,
}

/// One file's verdict; `reason` says why when it is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileVerdict {
    pub file: String,
    pub kind: Kind,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub counts: BTreeMap<String, u64>,
    pub files: Vec<FileVerdict>,
    /// Files given that are neither digest nor log files (nor signature
    /// sidecars): no verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl Report {
    /// Whether every file is valid.
    pub fn all_valid(&self) -> bool {
        self.files.iter().all(|f| f.verdict == Verdict::Valid)
    }
}

/// The last path segment: CloudTrail file names are unique (account,
/// region, time and a random part), so a local copy is matched to its
/// digest entry by name wherever it was copied.
pub(super) fn file_name(location: &str) -> &str {
    location.rsplit(['/', '\\']).next().unwrap_or(location)
}

/// Digests read and judged: each one's own verdict (signature, chain),
/// and which log files they list. What judging a log file needs.
pub struct CheckedDigests {
    parsed: Vec<(Digest, Option<SignatureMetadata>)>,
    verdicts: Vec<(Verdict, String)>,
    /// Digests that could not be read or parsed, with their verdicts.
    unreadable: Vec<FileVerdict>,
    /// Log file name: (digest, entry in its `logs`); the first digest
    /// that lists a name.
    listed: HashMap<String, (usize, usize)>,
}

/// A log file judged against the digest that lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogJudgement {
    pub verdict: Verdict,
    pub reason: String,
    /// Where the digest that lists it was read; None when none does.
    pub digest: Option<String>,
}

impl CheckedDigests {
    pub fn new(digests: Vec<DigestInput>, keys: &PublicKeys) -> CheckedDigests {
        let mut unreadable = Vec::new();
        let mut parsed: Vec<(Digest, Option<SignatureMetadata>)> = Vec::new();
        for input in digests {
            let parsed_digest = input
                .uncompressed
                .and_then(|bytes| Digest::parse(&input.location, bytes));
            match parsed_digest {
                Ok(d) if file_name(&d.object) != file_name(&input.location) => {
                    unreadable.push(FileVerdict {
                        file: input.location.clone(),
                        kind: Kind::Digest,
                        verdict: Verdict::Unverifiable,
                        reason: format!(
                            "it says it was delivered as {}, not under this name",
                            d.s3_location()
                        ),
                    })
                }
                Ok(d) => parsed.push((d, input.signature)),
                Err(e) => unreadable.push(FileVerdict {
                    file: input.location,
                    kind: Kind::Digest,
                    verdict: Verdict::Unverifiable,
                    reason: e,
                }),
            }
        }
        let by_object: HashMap<&str, usize> = parsed
            .iter()
            .enumerate()
            .map(|(i, (d, _))| (d.object.as_str(), i))
            .collect();
        let mut successors: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, (d, _)) in parsed.iter().enumerate() {
            if let Some(link) = &d.previous {
                successors.entry(link.object.as_str()).or_default().push(i);
            }
        }
        // Each digest's signature: its own metadata, else what the next
        // digest recorded of it.
        let signature_of = |i: usize| -> Option<SignatureMetadata> {
            let (d, meta) = &parsed[i];
            meta.clone().or_else(|| {
                let next = successors.get(d.object.as_str())?.first()?;
                Some(SignatureMetadata {
                    signature: parsed[*next].0.previous_signature.clone()?,
                    algorithm: d.algorithm.clone(),
                })
            })
        };
        let verdicts = (0..parsed.len())
            .map(|i| digest_verdict(i, &parsed, &by_object, &successors, &signature_of, keys))
            .collect();
        let mut listed = HashMap::new();
        for (i, (d, _)) in parsed.iter().enumerate() {
            for (n, log) in d.logs.iter().enumerate() {
                listed
                    .entry(file_name(&log.object).to_owned())
                    .or_insert((i, n));
            }
        }
        CheckedDigests {
            parsed,
            verdicts,
            unreadable,
            listed,
        }
    }

    /// A log file (by its file name) against the digest that lists it, or
    /// `not-in-digest` when none does.
    pub fn judge_log(&self, location: &str, sha256: &Result<String, String>) -> LogJudgement {
        let Some(&(i, n)) = self.listed.get(file_name(location)) else {
            return LogJudgement {
                verdict: Verdict::NotInDigest,
                reason: match sha256 {
                    Ok(_) => "no digest given lists it (a log file is listed by the digest of \
                              the hour after its delivery)"
                        .into(),
                    Err(e) => format!("no digest given lists it, and it cannot be read: {e}"),
                },
                digest: None,
            };
        };
        let digest = &self.parsed[i].0;
        let entry = &digest.logs[n];
        let (verdict, reason) = match (sha256, &self.verdicts[i]) {
            (Err(e), _) => (Verdict::Modified, format!("cannot be read: {e}")),
            (Ok(hash), (Verdict::Valid, _)) if hash.eq_ignore_ascii_case(&entry.hash) => {
                (Verdict::Valid, String::new())
            }
            (Ok(hash), (Verdict::Valid, _)) => (
                Verdict::Modified,
                format!(
                    "its SHA-256 is {hash}; {} lists {}",
                    digest.location, entry.hash
                ),
            ),
            (Ok(hash), (verdict, why)) => (
                Verdict::Unverifiable,
                format!(
                    "{} lists it ({}), but that digest is {}: {why}",
                    digest.location,
                    if hash.eq_ignore_ascii_case(&entry.hash) {
                        "with this hash"
                    } else {
                        "with another hash"
                    },
                    verdict.name()
                ),
            ),
        };
        LogJudgement {
            verdict,
            reason,
            digest: Some(digest.location.clone()),
        }
    }
}

/// Checks everything given; every input gets exactly one verdict, and
/// each digest or log file that a digest names but that was not given
/// gets one too (`digest-missing`, `missing`), as does a stretch of time
/// that no digest covers. With a bounded `window`, only what falls in it
/// is reported (see [`Window`]).
pub fn verify(
    digests: Vec<DigestInput>,
    logs: Vec<LogInput>,
    keys: &PublicKeys,
    window: &Window,
) -> Report {
    let checked = CheckedDigests::new(digests, keys);
    let parsed = &checked.parsed;
    let mut out = checked.unreadable.clone();
    let given: HashSet<&str> = parsed.iter().map(|(d, _)| d.object.as_str()).collect();
    let reported: Vec<bool> = parsed
        .iter()
        .map(|(d, _)| window.reports_digest(d))
        .collect();
    for (i, (d, _)) in parsed.iter().enumerate() {
        if !reported[i] {
            continue;
        }
        if let Some(link) = &d.previous
            && !given.contains(link.object.as_str())
            // Its name holds its end time; failing that, this one's start.
            && window.reports_gap_ending(
                parse_file_name_time(&link.object).or(parse_event_time(&d.start)),
            )
        {
            out.push(FileVerdict {
                file: format!("{}/{}", link.bucket, link.object),
                kind: Kind::Digest,
                verdict: Verdict::DigestMissing,
                reason: format!(
                    "{} names it as the previous digest, and it was not given: the chain has a gap",
                    d.location
                ),
            });
        }
        let (verdict, reason) = checked.verdicts[i].clone();
        out.push(FileVerdict {
            file: d.location.clone(),
            kind: Kind::Digest,
            verdict,
            reason,
        });
    }
    out.extend(time_gaps(parsed, window));
    // Log files against the digests that list them.
    let mut seen: HashSet<&str> = HashSet::new();
    for log in &logs {
        let name = file_name(&log.location);
        let listed_by = checked.listed.get(name).map(|&(i, _)| i);
        if let Some(i) = listed_by {
            seen.insert(name);
            if !reported[i] && !window.reports_unlisted_log(name) {
                continue;
            }
        } else if !window.reports_unlisted_log(name) {
            continue;
        }
        let judged = checked.judge_log(&log.location, &log.sha256);
        out.push(FileVerdict {
            file: log.location.clone(),
            kind: Kind::Log,
            verdict: judged.verdict,
            reason: judged.reason,
        });
    }
    for (name, &(i, n)) in &checked.listed {
        if reported[i] && !seen.contains(name.as_str()) {
            let (digest, _) = &parsed[i];
            let entry = &digest.logs[n];
            out.push(FileVerdict {
                file: format!("{}/{}", entry.bucket, entry.object),
                kind: Kind::Log,
                verdict: Verdict::Missing,
                reason: format!("{} lists it, and it was not given", digest.location),
            });
        }
    }
    out.sort_by(|a, b| (a.kind, &a.file).cmp(&(b.kind, &b.file)));
    let mut counts = BTreeMap::new();
    for f in &out {
        *counts.entry(f.verdict.name().to_owned()).or_insert(0) += 1;
    }
    Report {
        counts,
        files: out,
        skipped: Vec::new(),
    }
}

/// Where a digest's chain lives: its trail and region, as the digest's
/// S3 key names them without the date folders and the end time
/// (`…/CloudTrail-Digest/<region>/` and `<account>_CloudTrail-Digest_<region>_<trail>_<region>`).
fn chain_key(d: &Digest) -> String {
    let (folder, file) = d.object.rsplit_once('/').unwrap_or(("", &d.object));
    let folder = folder.rsplitn(4, '/').last().unwrap_or(folder);
    let stem = file.rsplit_once('_').map_or(file, |(stem, _)| stem);
    format!("{}/{folder}/{stem}", d.bucket)
}

/// Stretches of time no digest covers: within one trail and region, a
/// digest that names no previous digest (a new chain: CloudTrail starts
/// one when logging or log file validation is turned back on) and starts
/// after the digest before it ended. Log files delivered in between are
/// covered by no digest. Backfill digests (`…_backfill.json.gz`) add to an
/// hour already covered and are left out.
fn time_gaps(parsed: &[(Digest, Option<SignatureMetadata>)], window: &Window) -> Vec<FileVerdict> {
    let mut chains: BTreeMap<String, Vec<(u64, u64, &Digest)>> = BTreeMap::new();
    for (d, _) in parsed {
        if file_name(&d.object).contains("_backfill") {
            continue;
        }
        if let (Some(start), Some(end)) = (parse_event_time(&d.start), parse_event_time(&d.end)) {
            chains
                .entry(chain_key(d))
                .or_default()
                .push((start, end, d));
        }
    }
    let mut gaps = Vec::new();
    for (key, mut chain) in chains {
        chain.sort_by_key(|&(_, end, _)| end);
        for pair in chain.windows(2) {
            let ((_, before_end, before), (start, _, d)) = (pair[0], pair[1]);
            if d.previous.is_none() && start > before_end && window.reports_gap_ending(Some(start))
            {
                gaps.push(FileVerdict {
                    file: format!("{key} from {} to {}", before.end, d.start),
                    kind: Kind::Digest,
                    verdict: Verdict::DigestMissing,
                    reason: format!(
                        "no digest covers {} to {}: {} starts a new chain (it names no previous \
                         digest), so logging or log file validation was off in between, and log \
                         files delivered then cannot be verified",
                        before.end, d.start, d.location
                    ),
                });
            }
        }
    }
    gaps
}

impl Verdict {
    /// As the report names it (`not-in-digest`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Modified => "modified",
            Verdict::Missing => "missing",
            Verdict::NotInDigest => "not-in-digest",
            Verdict::DigestMissing => "digest-missing",
            Verdict::BadSignature => "bad-signature",
            Verdict::ChainBroken => "chain-broken",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

/// A digest's own verdict: its signature, then its link to the previous
/// digest when that one was given.
fn digest_verdict(
    i: usize,
    parsed: &[(Digest, Option<SignatureMetadata>)],
    by_object: &HashMap<&str, usize>,
    successors: &HashMap<&str, Vec<usize>>,
    signature_of: &dyn Fn(usize) -> Option<SignatureMetadata>,
    keys: &PublicKeys,
) -> (Verdict, String) {
    let d = &parsed[i].0;
    if d.start > d.end {
        return (
            Verdict::ChainBroken,
            format!("it starts ({}) after it ends ({})", d.start, d.end),
        );
    }
    let Some(signature) = signature_of(i) else {
        return (
            Verdict::Unverifiable,
            "no signature: neither its S3 metadata, a sidecar, nor a later digest gives one".into(),
        );
    };
    match keys.verify(
        &d.fingerprint,
        &signature.algorithm,
        d.string_to_sign().as_bytes(),
        &signature.signature,
    ) {
        Signature::Valid => {}
        Signature::Invalid => {
            return (
                Verdict::BadSignature,
                format!(
                    "its signature does not verify with key {}: the digest or its signature was changed",
                    d.fingerprint
                ),
            );
        }
        Signature::Unverifiable(why) => return (Verdict::Unverifiable, why),
    }
    if successors.get(d.object.as_str()).is_some_and(|s| {
        s.iter()
            .any(|&n| parsed[n].0.previous_signature.as_deref() != Some(&signature.signature))
    }) {
        return (
            Verdict::ChainBroken,
            "a later digest records another signature for it".into(),
        );
    }
    let Some(link) = &d.previous else {
        return (Verdict::Valid, String::new());
    };
    let Some(&p) = by_object.get(link.object.as_str()) else {
        // Its own verdict stands; the gap is reported as digest-missing.
        return (Verdict::Valid, String::new());
    };
    let previous = &parsed[p].0;
    if !link.hash.eq_ignore_ascii_case(&previous.sha256) {
        return (
            Verdict::ChainBroken,
            format!(
                "its previousDigestHashValue is {}, and the SHA-256 of {} is {}",
                link.hash, previous.location, previous.sha256
            ),
        );
    }
    if successors[link.object.as_str()].len() > 1 {
        return (
            Verdict::ChainBroken,
            format!(
                "{} is named as the previous digest by more than one digest",
                previous.location
            ),
        );
    }
    if d.start < previous.end {
        return (
            Verdict::ChainBroken,
            format!(
                "it starts ({}) before the previous digest ends ({})",
                d.start, previous.end
            ),
        );
    }
    (Verdict::Valid, String::new())
}
