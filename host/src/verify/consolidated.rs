//! `verify --consolidated`: proves a consolidated log against the CloudTrail
//! digests of the raw files it absorbed, after those files are deleted.
//!
//! A committed manifest names the parts and, for each raw file absorbed
//! after its digest vouched for it, the file's layout: its record hashes in
//! order and the bytes between records (`crate::record_layout`). The host
//! frames the parts' records, rebuilds each such raw file byte for byte
//! from them, and hands the rebuilt file to the verification run under the
//! raw file's own name: the component then judges it against the signed,
//! chained digest that listed it, exactly as it judges a raw file. So a
//! record removed or changed in a part makes its raw file `modified` (the
//! record is named), and a record in a part that no absorbed file had makes
//! the consolidated log `modified` (the record is named), without trusting
//! the manifest: a changed layout only makes a rebuild fail its digest.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::inputs::Input;
use crate::lambda::manifest::{self, Manifest};
use crate::ledger::{self, Framed, RecordHash};
use crate::record_layout::RebuildError;
use crate::runtime::{Body, ConsolidatedVerdict, Handle, Instance};
use crate::storage::LazyS3;

/// Records named in one reason, at most.
const NAMED_RECORDS: usize = 10;

/// Whether a listed input is a consolidated log's manifest.
pub fn is_manifest(input: &Input) -> bool {
    input.name().ends_with("/manifest.json")
}

/// Proves the consolidated log whose manifest is `input` into `run`.
pub async fn prove(instance: &mut Instance, run: Handle, s3: &LazyS3, input: &Input) -> Result<()> {
    let (verdict, reason) = judge(instance, run, s3, input).await?;
    instance
        .verify_consolidated(run, &input.name(), verdict, &reason)
        .await
}

/// The consolidated log's verdict and why; its raw files, rebuilt or not,
/// go into `run` on the way.
async fn judge(
    instance: &mut Instance,
    run: Handle,
    s3: &LazyS3,
    input: &Input,
) -> Result<(ConsolidatedVerdict, String)> {
    let unverifiable = |why: String| Ok((ConsolidatedVerdict::Unverifiable, why));
    let manifest: Manifest = match input.read_all(s3).await {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(m) => m,
            Err(e) => return unverifiable(format!("not a consolidated log's manifest: {e}")),
        },
        Err(e) => return unverifiable(format!("cannot be read: {e:#}")),
    };
    if manifest.format != manifest::FORMAT {
        return unverifiable(format!("unknown manifest format {:?}", manifest.format));
    }

    // The parts, inflated, their records framed by the host.
    let mut problems = Vec::new();
    let mut parts: Vec<(String, Vec<u8>, Framed)> = Vec::new();
    for part in &manifest.parts {
        let at = part_input(input, &manifest, &part.key);
        let bytes = match at.read_all(s3).await {
            Ok(bytes) => bytes,
            Err(e) => return unverifiable(format!("{}: cannot be read: {e:#}", at.name())),
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if sha256 != part.sha256 {
            problems.push(format!(
                "{}: its SHA-256 is {sha256}, the manifest committed {}",
                at.name(),
                part.sha256
            ));
        }
        match ledger::inflate_and_frame(&bytes) {
            Ok((text, framed)) => parts.push((at.name(), text, framed)),
            Err(e) => problems.push(format!("{}: not a whole log: {e:#}", at.name())),
        }
    }
    let mut records: HashMap<RecordHash, &[u8]> = HashMap::new();
    for (_, text, framed) in &parts {
        for (hash, (from, to)) in framed.records.iter().zip(&framed.spans) {
            records.insert(*hash, &text[*from as usize..*to as usize]);
        }
    }

    // Each raw file with a layout, rebuilt and judged by its digest.
    let mut claimed: HashSet<RecordHash> = HashSet::new();
    let mut unproven = 0;
    for absorbed in &manifest.absorbed {
        let Some(layout) = &absorbed.layout else {
            unproven += 1;
            continue;
        };
        claimed.extend(layout.record_hashes().flatten());
        let raw = raw_name(input, &absorbed.key);
        if !instance.verification_wants(run, &raw).await? {
            continue;
        }
        match layout.rebuild(&records) {
            Ok(bytes) => {
                // Its verdict is in the report; a rebuilt file reads.
                let _ = instance
                    .verify_file(run, &raw, Body::Bytes(bytes), &[])
                    .await?;
            }
            Err(RebuildError::Missing(missing)) => {
                // The run says it "cannot be read", then this.
                let why = format!(
                    "the consolidated log {} does not hold it whole: {} of its records are not \
                     in it (removed or changed): {}",
                    input.name(),
                    missing.len(),
                    name_records(missing.iter().map(|(n, h)| format!("record {n} ({h})")))
                );
                problems.push(format!(
                    "{raw}: {} of its records are missing",
                    missing.len()
                ));
                instance.verify_failure(run, &raw, &why).await?;
            }
            Err(RebuildError::Malformed(e)) => {
                let why = format!("its layout in {} does not add up: {e}", input.name());
                problems.push(format!("{raw}: {why}"));
                instance.verify_failure(run, &raw, &why).await?;
            }
        }
    }

    if unproven == 0 {
        let added: Vec<String> = parts
            .iter()
            .flat_map(|(part, _, framed)| {
                framed
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| !claimed.contains(h))
                    .map(move |(n, h)| format!("{part} record {} ({h:032x})", n + 1))
            })
            .collect();
        if !added.is_empty() {
            problems.push(format!(
                "{} record(s) that no raw file it absorbed had (added or changed): {}",
                added.len(),
                name_records(added.into_iter())
            ));
        }
    }
    if !problems.is_empty() {
        return Ok((ConsolidatedVerdict::Modified, problems.join("; ")));
    }
    if unproven > 0 {
        return unverifiable(format!(
            "{unproven} of the {} raw files it absorbed were absorbed without a digest check \
             (the trail wrote no digests for them, or they were consolidated before \
             consolidation checked digests): their records cannot be proven",
            manifest.absorbed.len()
        ));
    }
    Ok((ConsolidatedVerdict::Valid, String::new()))
}

fn name_records(mut names: impl ExactSizeIterator<Item = String>) -> String {
    let total = names.len();
    let named: Vec<String> = names.by_ref().take(NAMED_RECORDS).collect();
    if total > named.len() {
        format!("{}, and {} more", named.join(", "), total - named.len())
    } else {
        named.join(", ")
    }
}

/// Where a part is, beside its manifest: in the manifest's bucket, or, for
/// a local copy, under the manifest's folder (part keys start with the
/// partition's folder).
fn part_input(manifest_input: &Input, manifest: &Manifest, key: &str) -> Input {
    match manifest_input {
        Input::Object { bucket, .. } => Input::Object {
            bucket: bucket.clone(),
            key: key.to_owned(),
        },
        Input::File(path) => {
            let folder = manifest.partition.prefix("");
            let relative = key.split_once(&folder).map_or(key, |(_, rest)| rest);
            let dir = path.parent().unwrap_or(std::path::Path::new(""));
            Input::File(dir.join(relative))
        }
    }
}

/// The name a rebuilt raw file is judged under: its S3 name, or, for a
/// local copy, its key (digest entries are matched by file name).
fn raw_name(manifest_input: &Input, key: &str) -> String {
    match manifest_input {
        Input::Object { bucket, .. } => format!("s3://{bucket}/{key}"),
        Input::File(_) => key.to_owned(),
    }
}
