//! The shipped artifact itself: the arm64 `bootstrap` from the deployment
//! zip, run under qemu user emulation against the Runtime API harness and the
//! S3 server, must start and answer an event.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::runtime_api::{Function, RuntimeApi};
use super::util;

fn package() -> PathBuf {
    std::env::var_os("CTA_LAMBDA_ZIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/lambda/cloudtrail-analyzer/bootstrap.zip")
        })
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the arm64 package (scripts/package-lambda.sh), qemu-user-static and libc6-arm64-cross; .ci/run runs it"]
async fn the_arm64_package_starts_and_answers_under_qemu() {
    let zip = package();
    assert!(
        zip.exists(),
        "{} is missing: run scripts/package-lambda.sh first",
        zip.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let unzip = Command::new("unzip")
        .arg("-o")
        .arg(&zip)
        .arg("-d")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(unzip.status.success(), "{}", util::text(&unzip.stderr));
    let bootstrap = dir.path().join("bootstrap");
    let elf = std::fs::read(&bootstrap).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(
        u16::from_le_bytes([elf[18], elf[19]]),
        183,
        "an aarch64 executable (EM_AARCH64)"
    );

    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, "arm-logs").await;
    let out = util::bucket(&client, "arm-out").await;
    let key = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/01/111122223333_CloudTrail_eu-west-1_20261101T0000Z_a.json.gz";
    let log = br#"{"Records":[{"eventID":"e1","eventTime":"2026-11-01T00:00:01Z","eventName":"GetObject"},{"eventID":"e2","eventTime":"2026-11-01T00:00:00Z","eventName":"PutObject"}]}"#;
    util::put(&client, &logs, key, util::gzip(log)).await;

    let api = RuntimeApi::start().await;
    // The binary links glibc dynamically, as on provided.al2023: Debian's
    // libc6-arm64-cross provides the aarch64 loader and libraries.
    let mut cmd = Command::new("qemu-aarch64-static");
    cmd.arg("-L").arg("/usr/aarch64-linux-gnu").arg(&bootstrap);
    let env = [
        ("CTA_FUNCTION", "consolidate".to_owned()),
        ("CTA_LOG_BUCKET", logs.clone()),
        ("CTA_OUTPUT_BUCKET", out),
        (
            "CTA_CACHE_DIR",
            dir.path().join("cache").display().to_string(),
        ),
    ];
    let f = Function::start_with(cmd, &api, &env, dir.path());
    let answer = api
        .invoke(json!({"from": "2026-11-01"}))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    assert_eq!(answer["planned"], 1, "{answer}");
    assert_eq!(answer["consolidated"][0]["records_out"], 2, "{answer}");
    let part = answer["consolidated"][0]["parts"][0].as_str().unwrap();
    assert!(
        part.starts_with("consolidated/111122223333/eu-west-1/2026/11/01/g000001-"),
        "{answer}"
    );
    assert!(!util::get(&client, &logs, part).await.is_empty());
}
