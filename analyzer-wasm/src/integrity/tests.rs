//! Every verdict, on digest chains signed here with test keys (the
//! `testdata/` keys are for these tests only).

use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest as _, Sha256};

use super::digest::hex;
use super::*;

const KEY_A: &str = include_str!("testdata/test-key-a.pem");
const KEY_B: &str = include_str!("testdata/test-key-b.pem");

fn private_key(pem: &str) -> RsaPrivateKey {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    RsaPrivateKey::from_pkcs1_der(&der).unwrap()
}

/// `list-public-keys` output for the given (fingerprint, key) pairs.
fn listing(keys: &[(&str, &RsaPrivateKey)]) -> Vec<u8> {
    let list: Vec<_> = keys
        .iter()
        .map(|(fp, k)| {
            let der = k.to_public_key().to_pkcs1_der().unwrap();
            serde_json::json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(der.as_bytes()),
                "ValidityStartTime": "2026-01-01T00:00:00+00:00",
                "ValidityEndTime": "2027-01-01T00:00:00+00:00",
                "Fingerprint": fp,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "PublicKeyList": list })).unwrap()
}

const BUCKET: &str = "trail-bucket";

fn log_key(hour: u32, n: u32) -> String {
    format!(
        "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/01/\
         111122223333_CloudTrail_eu-west-1_20260301T{hour:02}{n:02}Z_abcdefgh{n:04}.json.gz"
    )
}

fn digest_key(hour: u32) -> String {
    format!(
        "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/01/\
         111122223333_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20260301T{hour:02}0000Z.json.gz"
    )
}

/// A log file's uncompressed bytes.
fn log_body(hour: u32, n: u32) -> Vec<u8> {
    format!(
        r#"{{"Records":[{{"eventName":"E{hour}-{n}","eventTime":"2026-03-01T{hour:02}:00:00Z"}}]}}"#
    )
    .into_bytes()
}

/// One signed digest file: its uncompressed bytes and S3 metadata.
struct Signed {
    key: String,
    bytes: Vec<u8>,
    meta: SignatureMetadata,
}

/// A chain of hourly digests, each listing two logs, signed by `keys[h]`.
fn chain(hours: u32, keys: &[(&str, &RsaPrivateKey)]) -> Vec<Signed> {
    chain_restarted(hours, keys, None)
}

/// The same, but the digest ending at hour `restart` starts a new chain
/// half an hour late, as after logging was turned off and on again.
fn chain_restarted(
    hours: u32,
    keys: &[(&str, &RsaPrivateKey)],
    restart: Option<u32>,
) -> Vec<Signed> {
    let mut out: Vec<Signed> = Vec::new();
    for h in 1..=hours {
        let restarts = restart == Some(h);
        let (fp, key) = keys[(h as usize - 1) % keys.len()];
        let logs: Vec<_> = (0..2)
            .map(|n| {
                serde_json::json!({
                    "s3Bucket": BUCKET,
                    "s3Object": log_key(h - 1, n),
                    "hashValue": hex(&Sha256::digest(log_body(h - 1, n))),
                    "hashAlgorithm": "SHA-256",
                })
            })
            .collect();
        let previous = out.last().filter(|_| !restarts);
        let doc = serde_json::json!({
            "awsAccountId": "111122223333",
            "digestStartTime": format!("2026-03-01T{:02}:{}:00Z", h - 1, if restarts { "30" } else { "00" }),
            "digestEndTime": format!("2026-03-01T{h:02}:00:00Z"),
            "digestS3Bucket": BUCKET,
            "digestS3Object": digest_key(h),
            "digestPublicKeyFingerprint": fp,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "previousDigestS3Bucket": previous.map(|_| BUCKET),
            "previousDigestS3Object": previous.map(|p| p.key.clone()),
            "previousDigestHashValue": previous.map(|p| hex(&Sha256::digest(&p.bytes))),
            "previousDigestHashAlgorithm": previous.map(|_| "SHA-256"),
            "previousDigestSignature": previous.map(|p| p.meta.signature.clone()),
            "logFiles": logs,
        });
        let bytes = serde_json::to_vec(&doc).unwrap();
        let parsed = Digest::parse("x", &bytes).unwrap();
        let signature = sign(key, parsed.string_to_sign().as_bytes());
        out.push(Signed {
            key: digest_key(h),
            bytes,
            meta: SignatureMetadata {
                signature: hex(&signature),
                algorithm: "SHA256withRSA".into(),
            },
        });
    }
    out
}

fn sign(key: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
        .unwrap()
}

fn all_logs(hours: u32) -> Vec<LogInput> {
    (0..hours)
        .flat_map(|h| (0..2).map(move |n| (h, n)))
        .map(|(h, n)| LogInput {
            location: format!("{BUCKET}/{}", log_key(h, n)),
            sha256: Ok(hex(&Sha256::digest(log_body(h, n)))),
        })
        .collect()
}

/// Digest inputs, with S3 metadata for those `with_meta` picks.
fn inputs(chain: &[Signed], with_meta: impl Fn(usize) -> bool) -> Vec<DigestInput<'_>> {
    chain
        .iter()
        .enumerate()
        .map(|(i, s)| DigestInput {
            location: format!("{BUCKET}/{}", s.key),
            uncompressed: Ok(&s.bytes),
            signature: with_meta(i).then(|| s.meta.clone()),
        })
        .collect()
}

fn verdicts(report: &Report) -> Vec<(String, Verdict)> {
    report
        .files
        .iter()
        .filter(|f| f.verdict != Verdict::Valid)
        .map(|f| (f.file.rsplit('/').next().unwrap().to_owned(), f.verdict))
        .collect()
}

fn keys_a() -> (RsaPrivateKey, PublicKeys) {
    let a = private_key(KEY_A);
    let keys = PublicKeys::parse(&listing(&[("aaaa", &a)])).unwrap();
    (a, keys)
}

#[test]
fn a_signed_chain_with_its_logs_is_valid() {
    let (a, keys) = keys_a();
    let chain = chain(3, &[("aaaa", &a)]);
    let report = verify(inputs(&chain, |_| true), all_logs(3), &keys, &Window::all());
    assert!(report.all_valid(), "{:#?}", report.files);
    assert_eq!(report.files.len(), 3 + 6);
    assert_eq!(report.counts["valid"], 9);
}

#[test]
fn local_copies_are_vouched_for_by_the_next_digest_and_the_newest_needs_a_sidecar() {
    let (a, keys) = keys_a();
    let chain = chain(3, &[("aaaa", &a)]);
    // Only the newest has its signature (a sidecar): the others are
    // vouched for by their successors.
    let report = verify(
        inputs(&chain, |i| i == 2),
        all_logs(3),
        &keys,
        &Window::all(),
    );
    assert!(report.all_valid(), "{:#?}", report.files);
    // Without it, the newest digest and its logs cannot be verified.
    let report = verify(
        inputs(&chain, |_| false),
        all_logs(3),
        &keys,
        &Window::all(),
    );
    let bad = verdicts(&report);
    assert_eq!(
        bad,
        vec![
            (file(&digest_key(3)), Verdict::Unverifiable),
            (file(&log_key(2, 0)), Verdict::Unverifiable),
            (file(&log_key(2, 1)), Verdict::Unverifiable),
        ]
    );
}

/// Asserts that the file named `key` got `verdict`.
fn has(bad: &[(String, Verdict)], key: &str, verdict: Verdict) {
    assert!(bad.contains(&(file(key), verdict)), "{key}: {bad:?}");
}

fn file(key: &str) -> String {
    key.rsplit('/').next().unwrap().to_owned()
}

#[test]
fn a_changed_log_file_is_modified_and_a_deleted_one_missing() {
    let (a, keys) = keys_a();
    let chain = chain(2, &[("aaaa", &a)]);
    let mut logs = all_logs(2);
    logs[1].sha256 = Ok(hex(&Sha256::digest(b"{\"Records\":[]}")));
    let gone = logs.remove(2);
    logs.push(LogInput {
        location: "local/copy/111122223333_CloudTrail_eu-west-1_20260301T0500Z_x.json.gz".into(),
        sha256: Ok("00".repeat(32)),
    });
    logs[0].sha256 = Err("not gzip".into());
    let report = verify(inputs(&chain, |_| true), logs, &keys, &Window::all());
    let bad = verdicts(&report);
    has(&bad, &log_key(0, 1), Verdict::Modified);
    has(&bad, &log_key(0, 0), Verdict::Modified);
    has(&bad, &gone.location, Verdict::Missing);
    assert!(
        bad.contains(&(
            "111122223333_CloudTrail_eu-west-1_20260301T0500Z_x.json.gz".into(),
            Verdict::NotInDigest
        )),
        "{bad:?}"
    );
    assert_eq!(bad.len(), 4, "{bad:?}");
    let modified = report
        .files
        .iter()
        .find(|f| f.file.ends_with(&log_key(0, 1)))
        .unwrap();
    assert!(modified.reason.contains("lists"), "{}", modified.reason);
}

#[test]
fn a_changed_digest_fails_its_signature_and_its_logs_are_unverifiable() {
    let (a, keys) = keys_a();
    let mut chain = chain(3, &[("aaaa", &a)]);
    // Drop a listed log from the middle digest, as someone hiding it would.
    let mut doc: serde_json::Value = serde_json::from_slice(&chain[1].bytes).unwrap();
    doc["logFiles"].as_array_mut().unwrap().pop();
    chain[1].bytes = serde_json::to_vec(&doc).unwrap();
    let report = verify(inputs(&chain, |_| true), all_logs(3), &keys, &Window::all());
    let bad = verdicts(&report);
    has(&bad, &digest_key(2), Verdict::BadSignature);
    has(&bad, &log_key(1, 0), Verdict::Unverifiable);
    // The dropped log is listed nowhere now.
    has(&bad, &log_key(1, 1), Verdict::NotInDigest);
    // The next digest's previousDigestHashValue no longer matches either.
    has(&bad, &digest_key(3), Verdict::ChainBroken);
}

#[test]
fn a_digest_re_signed_with_another_key_fails_its_signature() {
    // A forger with a key of their own cannot sign as CloudTrail: the
    // fingerprint names CloudTrail's key, whose signature fails.
    let (a, keys) = keys_a();
    let b = private_key(KEY_B);
    let mut chain = chain(2, &[("aaaa", &a)]);
    let mut doc: serde_json::Value = serde_json::from_slice(&chain[0].bytes).unwrap();
    doc["logFiles"][0]["hashValue"] = "11".repeat(32).into();
    chain[0].bytes = serde_json::to_vec(&doc).unwrap();
    let forged = Digest::parse("x", &chain[0].bytes).unwrap();
    chain[0].meta.signature = hex(&sign(&b, forged.string_to_sign().as_bytes()));
    let report = verify(inputs(&chain, |_| true), all_logs(2), &keys, &Window::all());
    let bad = verdicts(&report);
    has(&bad, &digest_key(1), Verdict::BadSignature);
}

#[test]
fn a_deleted_digest_is_a_gap_and_its_logs_are_not_in_a_digest() {
    let (a, keys) = keys_a();
    let mut chain = chain(3, &[("aaaa", &a)]);
    chain.remove(1);
    let report = verify(inputs(&chain, |_| true), all_logs(3), &keys, &Window::all());
    let bad = verdicts(&report);
    has(&bad, &digest_key(2), Verdict::DigestMissing);
    has(&bad, &log_key(1, 0), Verdict::NotInDigest);
    has(&bad, &log_key(1, 1), Verdict::NotInDigest);
    assert_eq!(bad.len(), 3, "{bad:?}");
}

#[test]
fn a_previous_hash_that_differs_breaks_the_chain_even_when_signed() {
    // validate-logs never compares previousDigestHashValue; a digest whose
    // predecessor was swapped for another signed one is caught here.
    let (a, keys) = keys_a();
    let chain3 = chain(3, &[("aaaa", &a)]);
    let mut other = chain(3, &[("aaaa", &a)]);
    // Another digest 1, validly signed, with different content.
    let mut doc: serde_json::Value = serde_json::from_slice(&other[0].bytes).unwrap();
    doc["logFiles"].as_array_mut().unwrap().truncate(1);
    other[0].bytes = serde_json::to_vec(&doc).unwrap();
    let parsed = Digest::parse("x", &other[0].bytes).unwrap();
    other[0].meta.signature = hex(&sign(&a, parsed.string_to_sign().as_bytes()));
    let mut mixed = inputs(&chain3, |_| true);
    mixed[0] = DigestInput {
        location: mixed[0].location.clone(),
        uncompressed: Ok(&other[0].bytes),
        signature: Some(other[0].meta.clone()),
    };
    let report = verify(mixed, all_logs(3), &keys, &Window::all());
    let bad = verdicts(&report);
    has(&bad, &digest_key(2), Verdict::ChainBroken);
    let broken = report
        .files
        .iter()
        .find(|f| f.file.ends_with(&digest_key(2)))
        .unwrap();
    assert!(
        broken.reason.contains("previousDigestHashValue"),
        "{}",
        broken.reason
    );
}

#[test]
fn a_key_rotation_verifies_each_digest_with_its_own_key() {
    let a = private_key(KEY_A);
    let b = private_key(KEY_B);
    let chain = chain(4, &[("aaaa", &a), ("bbbb", &b)]);
    let both = PublicKeys::parse(&listing(&[("aaaa", &a), ("bbbb", &b)])).unwrap();
    let report = verify(inputs(&chain, |_| true), all_logs(4), &both, &Window::all());
    assert!(report.all_valid(), "{:#?}", report.files);
    // With only the first key, the second key's digests are unverifiable,
    // never valid and never "bad".
    let only_a = PublicKeys::parse(&listing(&[("aaaa", &a)])).unwrap();
    let report = verify(
        inputs(&chain, |_| true),
        all_logs(4),
        &only_a,
        &Window::all(),
    );
    let unverifiable: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.kind == Kind::Digest && f.verdict == Verdict::Unverifiable)
        .collect();
    assert_eq!(unverifiable.len(), 2, "{:#?}", report.files);
    assert!(
        unverifiable[0].reason.contains("bbbb"),
        "{}",
        unverifiable[0].reason
    );
}

#[test]
fn a_digest_moved_or_malformed_is_unverifiable_with_its_reason() {
    let (a, keys) = keys_a();
    let chain = chain(1, &[("aaaa", &a)]);
    let moved = DigestInput {
        location: "elsewhere/renamed.json.gz".into(),
        uncompressed: Ok(&chain[0].bytes),
        signature: Some(chain[0].meta.clone()),
    };
    let broken = DigestInput {
        location: "x/broken.json.gz".into(),
        uncompressed: Ok(b"{\"digestStartTime\": 3}"),
        signature: None,
    };
    let report = verify(vec![moved, broken], Vec::new(), &keys, &Window::all());
    let reasons: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.kind == Kind::Digest)
        .map(|f| (f.verdict, f.reason.clone()))
        .collect();
    assert!(reasons.iter().all(|(v, _)| *v == Verdict::Unverifiable));
    assert!(
        reasons.iter().any(|(_, r)| r.contains("delivered as")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(_, r)| r.contains("not a CloudTrail digest")),
        "{reasons:?}"
    );
}

#[test]
fn the_string_to_sign_is_the_aws_clis() {
    let (a, _) = keys_a();
    let chain = chain(2, &[("aaaa", &a)]);
    let first = Digest::parse("x", &chain[0].bytes).unwrap();
    let second = Digest::parse("x", &chain[1].bytes).unwrap();
    assert_eq!(
        first.string_to_sign(),
        format!(
            "2026-03-01T01:00:00Z\n{BUCKET}/{}\n{}\nnull",
            digest_key(1),
            hex(&Sha256::digest(&chain[0].bytes))
        )
    );
    assert!(second.string_to_sign().ends_with(&chain[0].meta.signature));
}

#[test]
fn public_keys_that_do_not_decode_are_refused_by_fingerprint() {
    let bad = br#"{"PublicKeyList":[{"Value":"AAAA","Fingerprint":"ffff"}]}"#;
    let e = PublicKeys::parse(bad).unwrap_err();
    assert!(e.contains("ffff"), "{e}");
    assert!(PublicKeys::parse(b"[]").is_err());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_run_tells_digests_sidecars_and_logs_apart_and_hashes_logs_uncompressed() {
    let (a, _) = keys_a();
    let chain = chain(2, &[("aaaa", &a)]);
    let mut run = Verification::open(&listing(&[("aaaa", &a)]), Window::all()).unwrap();
    // The first digest is signed through its S3 metadata, the newest
    // through a sidecar; the middle of a chain needs neither.
    let metadata = vec![
        ("Signature".to_owned(), chain[0].meta.signature.clone()),
        ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
    ];
    run.add(&chain[0].key, &gzip(&chain[0].bytes)[..], &metadata)
        .unwrap();
    run.add(&chain[1].key, &gzip(&chain[1].bytes)[..], &[])
        .unwrap();
    let sidecar = serde_json::json!({
        "signature": chain[1].meta.signature,
        "signature-algorithm": "SHA256withRSA",
    });
    let sidecar_name = format!("copy/{}{}", file(&chain[1].key), run::SIDECAR_SUFFIX);
    run.add(
        &sidecar_name,
        &serde_json::to_vec(&sidecar).unwrap()[..],
        &[],
    )
    .unwrap();
    for h in 0..2 {
        for n in 0..2 {
            // Two gzip members: the hash is of the uncompressed bytes,
            // whatever framing wrote them.
            let body = log_body(h, n);
            let (head, tail) = body.split_at(7);
            let framed = [gzip(head), gzip(tail)].concat();
            run.add(&log_key(h, n), &framed[..], &[]).unwrap();
        }
    }
    let broken = "x/111122223333_CloudTrail_eu-west-1_20260301T0900Z_bad.json.gz";
    let e = run.add(broken, &[0x1f, 0x8b, 8, 0][..], &[]).unwrap_err();
    assert!(e.contains("gzip"), "{e}");
    let report = run.finish();
    assert_eq!(report.counts["valid"], 2 + 4, "{:#?}", report.files);
    let bad = verdicts(&report);
    assert_eq!(bad, vec![(file(broken), Verdict::NotInDigest)]);
    assert!(
        report
            .files
            .iter()
            .any(|f| f.reason.contains("cannot be read"))
    );
    assert!(!report.all_valid());
}

#[test]
fn a_run_needs_keys() {
    let e = Verification::open(br#"{"PublicKeyList":[]}"#, Window::all())
        .err()
        .unwrap();
    assert!(e.contains("empty"), "{e}");
}

fn at(time: &str) -> Window {
    let (from, to) = time.split_once('/').unwrap();
    Window::parse(Some(from), Some(to)).unwrap()
}

#[test]
fn a_new_chain_after_a_stretch_without_digests_is_a_gap_in_time() {
    let (a, keys) = keys_a();
    let chain = chain_restarted(4, &[("aaaa", &a)], Some(3));
    let report = verify(inputs(&chain, |_| true), all_logs(4), &keys, &Window::all());
    let gaps: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.verdict != Verdict::Valid)
        .collect();
    assert_eq!(gaps.len(), 1, "{:#?}", report.files);
    assert_eq!(gaps[0].verdict, Verdict::DigestMissing);
    assert!(
        gaps[0]
            .file
            .contains("2026-03-01T02:00:00Z to 2026-03-01T02:30:00Z"),
        "{}",
        gaps[0].file
    );
    assert!(gaps[0].reason.contains("new chain"), "{}", gaps[0].reason);
    // A chain that starts with the first digest given is no gap.
    let first_only = chain_restarted(2, &[("aaaa", &a)], Some(1));
    let report = verify(
        inputs(&first_only, |_| true),
        all_logs(2),
        &keys,
        &Window::all(),
    );
    assert!(report.all_valid(), "{:#?}", report.files);
}

#[test]
fn a_window_reports_the_digests_of_its_hours_and_the_logs_they_list() {
    let (a, keys) = keys_a();
    let chain = chain(6, &[("aaaa", &a)]);
    // Digests end at 01:00 … 06:00; the window's hours are those ending at
    // 03:00, and at 04:00 for logs written before 03:00 and listed after.
    let window = at("2026-03-01T02:00:00Z/2026-03-01T03:00:00Z");
    let report = verify(inputs(&chain, |_| true), all_logs(6), &keys, &window);
    assert!(report.all_valid(), "{:#?}", report.files);
    let files: Vec<_> = report.files.iter().map(|f| file(&f.file)).collect();
    assert_eq!(
        files,
        [
            file(&digest_key(3)),
            file(&digest_key(4)),
            file(&log_key(2, 0)),
            file(&log_key(2, 1)),
            file(&log_key(3, 0)),
            file(&log_key(3, 1)),
        ]
    );
    // A digest of the window that is gone is a gap, and the logs it
    // listed are in no digest.
    let without_third: Vec<_> = inputs(&chain, |_| true)
        .into_iter()
        .filter(|d| !d.location.ends_with(&digest_key(3)))
        .collect();
    let report = verify(without_third, all_logs(6), &keys, &window);
    assert_eq!(
        verdicts(&report),
        vec![
            (file(&digest_key(3)), Verdict::DigestMissing),
            (file(&log_key(2, 0)), Verdict::NotInDigest),
            (file(&log_key(2, 1)), Verdict::NotInDigest),
        ]
    );
}

#[test]
fn a_window_asks_only_for_files_near_it() {
    let (a, _) = keys_a();
    let run = Verification::open(
        &listing(&[("aaaa", &a)]),
        at("2026-03-01T05:00:00Z/2026-03-01T06:00:00Z"),
    )
    .unwrap();
    assert!(!run.wants(&log_key(1, 0)));
    assert!(run.wants(&log_key(4, 0)));
    assert!(run.wants(&digest_key(2)));
    assert!(!run.wants(&digest_key(1)));
    assert!(!run.wants(&format!("{}{}", digest_key(1), run::SIDECAR_SUFFIX)));
    assert!(run.wants("notes/README.txt"));
    assert!(Window::parse(Some("2026-03-02"), Some("2026-03-01")).is_err());
    assert!(Window::parse(Some("2026-03-01T12:00Z"), Some("2026-03-01")).is_ok());
    let e = Window::parse(Some("last tuesday"), None).unwrap_err();
    assert!(e.contains("--from"), "{e}");
}

#[test]
fn runs_merged_from_partials_give_the_verdicts_of_one_run() {
    let (a, _) = keys_a();
    let keys = listing(&[("aaaa", &a)]);
    let chain = chain(3, &[("aaaa", &a)]);
    let mut tampered = log_body(1, 1);
    tampered[3] ^= 1;
    let files: Vec<(String, Vec<u8>)> = chain
        .iter()
        .map(|d| (d.key.clone(), gzip(&d.bytes)))
        .chain(
            (0..3)
                .flat_map(|h| (0..2).map(move |n| (h, n)))
                .map(|(h, n)| {
                    let body = if (h, n) == (1, 1) {
                        tampered.clone()
                    } else {
                        log_body(h, n)
                    };
                    (log_key(h, n), gzip(&body))
                }),
        )
        .collect();
    let newest = &chain[2];
    let meta = [
        ("signature".to_owned(), newest.meta.signature.clone()),
        ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
    ];
    let add = |run: &mut Verification, (name, bytes): &(String, Vec<u8>)| {
        let meta: &[(String, String)] = if *name == newest.key { &meta } else { &[] };
        run.add(name, &bytes[..], meta).unwrap();
    };
    // What the host found of two consolidated logs travels with a partial.
    let consolidated = |run: &mut Verification| {
        run.add_consolidated("c/b/manifest.json", Verdict::Valid, "");
        run.add_consolidated("c/a/manifest.json", Verdict::Modified, "1 record added");
    };
    let mut one = Verification::open(&keys, Window::all()).unwrap();
    files.iter().for_each(|f| add(&mut one, f));
    consolidated(&mut one);
    let one = one.finish();

    let mut runs: Vec<_> = (0..3)
        .map(|_| Verification::open(&keys, Window::all()).unwrap())
        .collect();
    for (i, f) in files.iter().enumerate() {
        add(&mut runs[i % 3], f);
    }
    consolidated(&mut runs[0]);
    let mut last = runs.pop().unwrap();
    for mut run in runs {
        last.merge_partial(&run.take_partial()).unwrap();
    }
    assert!(last.merge_partial(b"{}").is_err());
    let merged = last.finish();
    assert_eq!(merged.files, one.files);
    assert_eq!(merged.counts, one.counts);
    assert_eq!(
        verdicts(&merged),
        vec![
            (file(&log_key(1, 1)), Verdict::Modified),
            ("manifest.json".to_owned(), Verdict::Modified)
        ]
    );
    assert_eq!(merged.counts["valid"], one.counts["valid"]);
    assert!(merged.files.iter().any(|f| f.file == "c/b/manifest.json"
        && f.kind == Kind::Consolidated
        && f.verdict == Verdict::Valid));
}

#[test]
fn a_run_without_keys_asks_for_each_regions_keys_over_its_digests_hours() {
    let (a, _) = keys_a();
    let chain = chain(3, &[("aaaa", &a)]);
    let mut run = Verification::open(b"", Window::all()).unwrap();
    for d in &chain {
        let meta = [
            ("signature".to_owned(), d.meta.signature.clone()),
            ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
        ];
        run.add(&d.key, &d.bytes[..], &meta).unwrap();
    }
    assert_eq!(
        run.missing_keys(),
        vec![run::KeyRequest {
            region: "eu-west-1".into(),
            start: "2026-03-01T00:00:00Z".into(),
            end: "2026-03-01T03:00:00Z".into(),
        }]
    );
    assert!(run.add_public_keys(b"[]").is_err());
    run.add_public_keys(&listing(&[("aaaa", &a)])).unwrap();
    assert_eq!(run.missing_keys(), vec![]);
    let report = run.finish();
    assert_eq!(report.counts["valid"], 3, "{:#?}", report.files);
}

#[test]
fn a_log_is_checked_at_once_against_the_digests_given_first() {
    let (a, _) = keys_a();
    let chain = chain(2, &[("aaaa", &a)]);
    let mut run = Verification::open(&listing(&[("aaaa", &a)]), Window::all()).unwrap();
    let newest = &chain[1];
    let meta = [
        ("signature".to_owned(), newest.meta.signature.clone()),
        ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
    ];
    run.add(&chain[0].key, &chain[0].bytes[..], &[]).unwrap();
    run.add(&newest.key, &newest.bytes[..], &meta).unwrap();
    let valid = run.check_log(&log_key(1, 0), &gzip(&log_body(1, 0))[..]);
    assert_eq!(valid.judgement.verdict, Verdict::Valid, "{valid:?}");
    assert!(valid.judgement.digest.unwrap().ends_with(&newest.key));
    assert_eq!(valid.sha256.unwrap(), hex(&Sha256::digest(log_body(1, 0))));
    let mut changed = log_body(0, 1);
    changed[5] ^= 1;
    let modified = run.check_log(&log_key(0, 1), &changed[..]);
    assert_eq!(modified.judgement.verdict, Verdict::Modified);
    assert!(modified.judgement.reason.contains("lists"), "{modified:?}");
    let unlisted = run.check_log(&log_key(5, 0), &log_body(5, 0)[..]);
    assert_eq!(unlisted.judgement.verdict, Verdict::NotInDigest);
    assert_eq!(unlisted.judgement.digest, None);
    // A checked log file is not part of the report.
    assert_eq!(run.finish().counts.get("modified"), None);
    // Without the newest digest's signature, what it lists is unverifiable.
    let mut unsigned = Verification::open(&listing(&[("aaaa", &a)]), Window::all()).unwrap();
    unsigned.add(&newest.key, &newest.bytes[..], &[]).unwrap();
    let check = unsigned.check_log(&log_key(1, 0), &log_body(1, 0)[..]);
    assert_eq!(check.judgement.verdict, Verdict::Unverifiable, "{check:?}");
}
