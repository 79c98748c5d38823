//! The verifier on whole generated trails: `tools/loggen` writes digest
//! chains as CloudTrail does (real hashes, signed with its test key), so
//! every account, region and organization trail of the sample set must
//! verify, and each kind of tampering must be named.

use analyzer_wasm::integrity::{Verdict, Verification, Window};
use loggen::{LogFile, Spec};

fn bucket_key(f: &LogFile) -> String {
    format!("trail-bucket/{}", f.key)
}

/// Runs a verification over `files`, digests signed through their S3
/// metadata as CloudTrail delivers them.
fn verify(files: &[LogFile]) -> analyzer_wasm::integrity::Report {
    let mut run = Verification::open(loggen::public_keys_json().as_bytes(), Window::all()).unwrap();
    for f in files {
        let metadata: Vec<(String, String)> = f
            .signature
            .iter()
            .flat_map(|s| {
                [
                    ("signature".to_owned(), s.clone()),
                    ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
                ]
            })
            .collect();
        run.add(&bucket_key(f), &f.body[..], &metadata).unwrap();
    }
    run.finish()
}

#[test]
fn every_generated_trail_verifies() {
    let files: Vec<LogFile> = loggen::generate(&Spec::small()).collect();
    let digests = files.iter().filter(|f| f.is_digest).count();
    let report = verify(&files);
    let bad: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.verdict != Verdict::Valid)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(report.files.len(), files.len());
    assert!(digests >= 18, "{digests} digests");
    // An organization trail's files are among them.
    assert!(
        report
            .files
            .iter()
            .any(|f| f.file.contains("/o-exampleorg1/"))
    );
}

#[test]
fn tampering_is_named() {
    let mut files: Vec<LogFile> = loggen::generate(&Spec::small()).collect();
    let log = files.iter().position(|f| !f.is_digest).unwrap();
    // A record appended to a log file: same gzip framing, other bytes.
    let mut changed = files[log].clone();
    let json = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&changed.body[..])
            .read_to_string(&mut s)
            .unwrap();
        s.replacen(
            "{\"Records\":[",
            "{\"Records\":[{\"eventName\":\"Forged\"},",
            1,
        )
    };
    changed.body = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(json.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    let modified = bucket_key(&changed);
    files[log] = changed;
    // A whole log file deleted.
    let gone = files.iter().rposition(|f| !f.is_digest).unwrap();
    let deleted = files.remove(gone).key;
    let report = verify(&files);
    let verdict = |key: &str| {
        report
            .files
            .iter()
            .find(|f| f.file.ends_with(key))
            .map(|f| f.verdict)
    };
    assert_eq!(verdict(&modified), Some(Verdict::Modified));
    assert_eq!(verdict(&deleted), Some(Verdict::Missing));
    let bad = report
        .files
        .iter()
        .filter(|f| f.verdict != Verdict::Valid)
        .count();
    assert_eq!(bad, 2, "{:#?}", report.files);
}
