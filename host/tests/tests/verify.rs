//! `cloudtrail-analyzer verify` on generated trails (`tools/loggen` signs
//! its digests as CloudTrail does, with a test key): local copies with
//! signature sidecars, and a bucket on a real S3 server (moto) where the
//! signatures are object metadata, as CloudTrail delivers them.

use std::path::Path;

use super::util::{self, json, run, text};

/// Verdict counts of a verification.json.
fn counts(out: &Path) -> serde_json::Value {
    json(&std::fs::read(out.join("verification.json")).unwrap())["counts"].clone()
}

fn verdict_of(out: &Path, file_ends: &str) -> String {
    let report = json(&std::fs::read(out.join("verification.json")).unwrap());
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with(file_ends))
        .unwrap_or_else(|| panic!("{file_ends} is not in the report"));
    file["verdict"].as_str().unwrap().to_owned()
}

async fn upload(client: &aws_sdk_s3::Client, bucket: &str, files: &[loggen::LogFile]) {
    for f in files {
        util::put_log_file(client, bucket, f).await;
    }
}

#[test]
fn local_copies_verify_and_a_changed_log_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let files: Vec<_> = loggen::generate(&loggen::Spec::small()).collect();
    let summary = loggen::write_files_with_signatures(files.clone(), &logs).unwrap();
    let keys = logs.join("public-keys.json");
    let out = dir.path().join("out");
    let verify = |out: &Path| {
        run(util::bin()
            .args(["verify", logs.to_str().unwrap(), "--public-keys"])
            .arg(&keys)
            .arg("--out")
            .arg(out))
    };
    let ok = verify(&out);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(counts(&out)["valid"], summary.files, "{}", counts(&out));
    assert!(text(&ok.stderr).contains(&format!("{} valid", summary.files)));

    // Someone edits one log file and deletes another.
    let edited = files.iter().find(|f| !f.is_digest).unwrap();
    std::fs::write(logs.join(&edited.key), util::gzip(br#"{"Records":[]}"#)).unwrap();
    let deleted = files.iter().rfind(|f| !f.is_digest).unwrap();
    std::fs::remove_file(logs.join(&deleted.key)).unwrap();
    let out = dir.path().join("out-after");
    let failed = verify(&out);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    assert_eq!(verdict_of(&out, &edited.key), "modified");
    assert_eq!(verdict_of(&out, &deleted.key), "missing");
    assert_eq!(counts(&out)["valid"], summary.files - 2);
}

#[test]
fn without_keys_or_with_bad_keys_nothing_is_called_valid() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    loggen::write_files_with_signatures(loggen::generate(&loggen::Spec::small()), &logs).unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        "{\"PublicKeyList\": [{\"Value\": \"AAAA\", \"Fingerprint\": \"ab\"}]}",
    )
    .unwrap();
    let refused = run(util::bin()
        .args(["verify", logs.to_str().unwrap(), "--public-keys"])
        .arg(&keys)
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("public keys") && stderr.contains("ab"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_bucket_verifies_by_object_metadata_and_a_deleted_digest_is_a_gap() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "verify").await;
    let files: Vec<_> = loggen::generate(&loggen::Spec::small()).collect();
    upload(&client, &bucket, &files).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, loggen::public_keys_json()).unwrap();
    let verify = |out: &Path| {
        run(moto
            .bin()
            .args([
                "verify",
                &format!("s3://{bucket}/AWSLogs/"),
                "--public-keys",
            ])
            .arg(&keys)
            .arg("--out")
            .arg(out))
    };
    let out = dir.path().join("out");
    let ok = verify(&out);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(counts(&out)["valid"], files.len(), "{}", counts(&out));

    // A digest in the middle of a chain deleted: the gap is named, and the
    // log files it listed are in no digest now.
    let digest = files
        .iter()
        .filter(|f| f.is_digest)
        .find(|f| {
            let doc = json(&util::gunzip(&f.body));
            !doc["previousDigestS3Object"].is_null()
                && !doc["logFiles"].as_array().unwrap().is_empty()
        })
        .unwrap();
    let has_successor = files
        .iter()
        .filter(|f| f.is_digest)
        .any(|f| json(&util::gunzip(&f.body))["previousDigestS3Object"] == digest.key.as_str());
    assert!(has_successor, "pick a digest inside a chain");
    util::delete(&client, &bucket, &digest.key).await;
    let out = dir.path().join("out-after");
    let failed = verify(&out);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    assert_eq!(verdict_of(&out, &digest.key), "digest-missing");
    let listed = json(&util::gunzip(&digest.body))["logFiles"][0]["s3Object"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verdict_of(&out, &listed), "not-in-digest");
}

#[test]
fn a_window_verifies_its_hours_only_on_every_core_and_writes_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let files: Vec<_> = loggen::generate(&loggen::Spec::small()).collect();
    let summary = loggen::write_files_with_signatures(files.clone(), &logs).unwrap();
    let keys = logs.join("public-keys.json");
    // A log file of the first day spoiled: outside the window, it is never
    // read, so the window is valid; the whole trail is not.
    let early = files
        .iter()
        .find(|f| !f.is_digest && f.key.contains("/2026/11/01/"))
        .unwrap();
    std::fs::write(logs.join(&early.key), b"not gzip, not json").unwrap();
    let verify = |out: &Path, extra: &[&str]| {
        run(util::bin()
            .args(["verify", logs.to_str().unwrap(), "--public-keys"])
            .arg(&keys)
            .arg("--out")
            .arg(out)
            .args(extra))
    };
    let window = ["--from", "2026-11-02T12:00:00Z", "--to", "2026-11-02"];
    let out_one = dir.path().join("one");
    let one = verify(&out_one, &[&window[..], &["--jobs", "1"]].concat());
    assert!(one.status.success(), "{}", text(&one.stderr));
    let valid = counts(&out_one)["valid"].as_u64().unwrap();
    assert!(valid > 0 && valid < summary.files, "{}", counts(&out_one));
    let report = std::fs::read_to_string(out_one.join("verification.json")).unwrap();
    assert!(!report.contains("/2026/11/01/"), "{report}");
    let page = std::fs::read_to_string(out_one.join("report.html")).unwrap();
    assert!(page.contains("Log file integrity") && page.contains("every file valid"));

    // Two workers, each reading part of the files, give the same report.
    let out_two = dir.path().join("two");
    let two = verify(&out_two, &[&window[..], &["--jobs", "2"]].concat());
    assert!(two.status.success(), "{}", text(&two.stderr));
    assert_eq!(
        report,
        std::fs::read_to_string(out_two.join("verification.json")).unwrap()
    );

    let out_all = dir.path().join("all");
    let all = verify(&out_all, &["--jobs", "2"]);
    assert_eq!(all.status.code(), Some(1), "{}", text(&all.stderr));
    assert_eq!(verdict_of(&out_all, &early.key), "modified");
    let page = std::fs::read_to_string(out_all.join("report.html")).unwrap();
    assert!(page.contains("NOT all valid") && page.contains(&early.key));

    let bad = verify(&dir.path().join("bad"), &["--from", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--from"),
        "{}",
        text(&bad.stderr)
    );
}

#[tokio::test]
async fn without_a_key_file_each_regions_keys_come_from_list_public_keys() {
    let dir = tempfile::tempdir().unwrap();
    // The shared moto answers ListPublicKeys with loggen's key.
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "keys").await;
    let files: Vec<_> = loggen::generate(&loggen::Spec::small()).collect();
    let regions: std::collections::BTreeSet<_> = files
        .iter()
        .filter(|f| f.is_digest)
        .map(|f| {
            f.key
                .split("/CloudTrail-Digest/")
                .nth(1)
                .unwrap()
                .split('/')
                .next()
                .unwrap()
        })
        .collect();
    assert!(regions.len() > 1, "digests of several regions: {regions:?}");
    upload(&client, &bucket, &files).await;
    let out = dir.path().join("out");
    let ok = run(moto
        .bin()
        .args(["verify", &format!("s3://{bucket}/AWSLogs/"), "--out"])
        .arg(&out));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(counts(&out)["valid"], files.len(), "{}", counts(&out));

    // Plain moto has no ListPublicKeys: the call's failure is named.
    let plain = util::moto_without_public_keys();
    let plain_client = plain.client().await;
    let bucket = util::bucket(&plain_client, "nokeys").await;
    let digest = files.iter().find(|f| f.is_digest).unwrap();
    plain_client
        .put_object()
        .bucket(&bucket)
        .key(&digest.key)
        .body(digest.body.clone().into())
        .send()
        .await
        .unwrap();
    let failed = run(plain
        .bin()
        .args(["verify", &format!("s3://{bucket}/AWSLogs/"), "--out"])
        .arg(dir.path().join("out-nokeys")));
    assert_eq!(failed.status.code(), Some(2), "{}", text(&failed.stderr));
    assert!(
        text(&failed.stderr).contains("cloudtrail:ListPublicKeys"),
        "{}",
        text(&failed.stderr)
    );
}

#[test]
fn aggregate_with_digests_absorbs_only_what_they_vouch_for() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let spec = loggen::Spec::small();
    let files: Vec<_> = loggen::generate(&spec).collect();
    loggen::write_files_with_signatures(files.clone(), &logs).unwrap();
    let (account, region) = (&spec.accounts[0], &spec.regions[0]);
    let day = logs.join(format!("AWSLogs/{account}/CloudTrail/{region}/2026/11/01"));
    let digests = logs.join(format!("AWSLogs/{account}/CloudTrail-Digest/{region}"));
    // Someone drops a record from one of the day's files.
    let victim = files
        .iter()
        .find(|f| !f.is_digest && logs.join(&f.key).starts_with(&day))
        .unwrap();
    let mut doc = json(&util::gunzip(&victim.body));
    doc["Records"].as_array_mut().unwrap().pop();
    std::fs::write(
        logs.join(&victim.key),
        util::gzip(&serde_json::to_vec(&doc).unwrap()),
    )
    .unwrap();
    let aggregate = |out: &Path, checked: bool| {
        let mut cmd = util::bin();
        cmd.arg("aggregate").arg(&day).arg("--out").arg(out);
        if checked {
            cmd.arg("--digests")
                .arg(&digests)
                .arg("--public-keys")
                .arg(logs.join("public-keys.json"));
        }
        run(&mut cmd)
    };
    let records = |out: &Path| {
        json(&util::gunzip(&std::fs::read(out).unwrap()))["Records"]
            .as_array()
            .unwrap()
            .len()
    };
    let per_file = spec.events_per_file as usize;

    let unchecked = dir.path().join("unchecked.json.gz");
    let done = aggregate(&unchecked, false);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(records(&unchecked), 2 * per_file - 1);

    let checked = dir.path().join("checked.json.gz");
    let done = aggregate(&checked, true);
    assert_eq!(done.status.code(), Some(1), "{}", text(&done.stderr));
    let stderr = text(&done.stderr);
    let name = victim.key.rsplit('/').next().unwrap();
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(name) && l.contains("modified, not consolidated")),
        "{stderr}"
    );
    assert_eq!(records(&checked), per_file, "only the untouched file");
}
