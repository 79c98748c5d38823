//! Swapping rules and containing hostile components.

use std::fs;

use super::util::{self, bin, json, run, text};

#[test]
fn another_component_is_loaded_from_a_file_without_rebuilding() {
    let alt = util::test_component("test-alt-rules");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.json"), b"0123456789").unwrap();
    let out = dir.path().join("out");
    let result = run(bin()
        .arg("analyze")
        .arg(dir.path().join("a.json"))
        .arg("--out")
        .arg(&out)
        .arg("--component")
        .arg(&alt));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let report = json(&fs::read(out.join("alt.json")).unwrap());
    assert_eq!(
        report,
        serde_json::json!({"alt_rules": true, "inputs": 1, "bytes": 10})
    );
    assert!(!out.join("insights.json").exists());
    let info = run(bin().args(["component", "info", "--component"]).arg(&alt));
    assert!(text(&info.stdout).contains("alt-rules"));
}

#[tokio::test]
async fn another_component_is_loaded_from_s3() {
    let alt = util::test_component("test-alt-rules");
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "rules").await;
    util::put(
        &client,
        &bucket,
        "components/alt.wasm",
        fs::read(&alt).unwrap(),
    )
    .await;
    util::put(&client, &bucket, "logs/a.json", b"abc".to_vec()).await;
    let result = run(moto.bin().args([
        "analyze",
        &format!("s3://{bucket}/logs/"),
        "--out",
        &format!("s3://{bucket}/out"),
        "--component",
        &format!("s3://{bucket}/components/alt.wasm"),
    ]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let report = json(&util::get(&client, &bucket, "out/alt.json").await);
    assert_eq!(report["bytes"], 3);
}

#[test]
fn incompatible_and_broken_components_are_refused() {
    let plain = util::test_component("test-not-analyzer");
    let result = run(bin().args(["component", "info", "--component"]).arg(&plain));
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("is not a cloudtrail-analyzer component for contract 0.2.0"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    fs::write(&garbage, b"definitely not wasm").unwrap();
    let result = run(bin()
        .args(["component", "info", "--component"])
        .arg(&garbage));
    assert_eq!(result.status.code(), Some(2));
    assert!(
        text(&result.stderr).contains("failed to compile component"),
        "{}",
        text(&result.stderr)
    );
}

fn hostile(input: &str, extra: &[&str]) -> std::process::Output {
    let hostile = util::test_component("test-hostile");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(input);
    fs::write(&file, b"x").unwrap();
    let out = dir.path().join("out");
    run(bin()
        .arg("analyze")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--component")
        .arg(&hostile)
        .args(extra)
        .env("SECRET_TOKEN", "do-not-leak"))
}

#[test]
fn an_endless_loop_is_stopped_by_the_time_limit() {
    let result = hostile("loop", &["--time-limit-secs", "1"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("exceeded its time limit of 1 s"),
        "{stderr}"
    );
}

#[test]
fn a_component_blocked_in_a_host_call_is_stopped_by_the_time_limit() {
    // It sleeps on a wasi:clocks pollable: no wasm runs, so only the
    // wall-clock half of the limit can stop it.
    let started = std::time::Instant::now();
    let result = hostile("sleep", &["--time-limit-secs", "2"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "exceeded its time limit of 2 s (--time-limit-secs) while waiting in a host call"
        ),
        "{stderr}"
    );
    // Stopped, with the replay into a fresh instance, well before the hour.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(!stderr.contains("woke up"), "{stderr}");
}

#[test]
fn escape_sequences_from_a_component_never_reach_the_terminal() {
    let result = hostile("escape", &[]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(!stderr.contains('\u{202e}'), "{stderr:?}");
    assert!(
        stderr.contains("\\u{1b}[2Jcleared \\u{202e}desrever"),
        "{stderr}"
    );

    let result = hostile("escape-trap", &[]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}]0;pwned\\u{7}"), "{stderr}");
}

#[test]
fn an_amplifying_result_is_stopped_at_the_memory_limit() {
    // 2 GiB of aliased strings in `finish`: the host copies at most the
    // component's memory limit out of one call, and says which flag bounds it.
    let result = hostile("amplify", &["--memory-limit-mb", "64"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("more than 64 MiB in one call, its memory limit (--memory-limit-mb)"),
        "{stderr}"
    );
}

#[test]
fn an_allocation_bomb_is_stopped_by_the_memory_limit() {
    let result = hostile("alloc", &["--memory-limit-mb", "64"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("exceeded its memory limit of 64 MiB"),
        "{stderr}"
    );
}

#[test]
fn files_environment_and_network_are_denied() {
    for (input, denied, leaked) in [
        ("files", "read_dir denied", "listed /"),
        ("env", "env vars: 0; args: 0", "do-not-leak"),
        ("socket", "connect denied", "connected"),
    ] {
        let result = hostile(input, &[]);
        let stderr = text(&result.stderr);
        assert!(stderr.contains(denied), "{input}: {stderr}");
        assert!(
            !stderr.contains(leaked) || input == "socket" && stderr.contains("denied"),
            "{input}: {stderr}"
        );
    }
}

#[test]
fn a_scratch_flood_is_stopped_by_the_scratch_limit() {
    let hostile = util::test_component("test-hostile");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scratch-flood");
    fs::write(&file, b"x").unwrap();
    let result = run(bin()
        .arg("aggregate")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("day.json.gz"))
        .arg("--component")
        .arg(&hostile)
        .args(["--scratch-limit-mb", "3"]));
    let stderr = text(&result.stderr);
    // The flood is refused at the limit: 3 chunks of 1 MiB got through.
    assert!(
        stderr.contains("scratch refused after 3145728 bytes")
            && stderr.contains("reached its limit of 3 MiB"),
        "{stderr}"
    );
    assert_ne!(result.status.code(), Some(0), "{stderr}");
}
