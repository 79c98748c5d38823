//! Swapping rules and containing hostile components.

use std::fs;
use std::path::Path;

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
        stderr.contains("is not a cloudtrail-analyzer component for contract 0.3.0"),
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
    let dir = tempfile::tempdir().unwrap();
    hostile_in(dir.path(), input, extra)
}

/// `hostile`, its input and its `out` folder in `dir`.
fn hostile_in(dir: &Path, input: &str, extra: &[&str]) -> std::process::Output {
    let hostile = util::test_component("test-hostile");
    let file = dir.join(input);
    fs::write(&file, b"x").unwrap();
    let out = dir.join("out");
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
fn a_component_gets_no_timer_to_block_on() {
    // It asks for an hour's sleep on a wasi:clocks pollable: the sandbox
    // has no timers, so the call traps at once (a stalled stream is what
    // the wall-clock half of the time limit is for: see the S3 tests).
    let started = std::time::Instant::now();
    let result = hostile("sleep", &["--time-limit-secs", "30"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("asked for a wasi:clocks timer, which the sandbox does not give"),
        "{stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
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
fn an_artifact_bomb_is_stopped_at_the_memory_limit_and_nothing_is_written() {
    // A small artifact listed, then written without end into its stream:
    // the host's stream takes the memory limit and no more.
    let dir = tempfile::tempdir().unwrap();
    let result = hostile_in(dir.path(), "artifact-bomb", &["--memory-limit-mb", "64"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "more than 64 MiB of artifacts in one call, its memory limit (--memory-limit-mb)"
        ),
        "{stderr}"
    );
    // The bytes went straight into a temporary file in the folder: it is
    // gone, and nothing took the artifact's name.
    let left: Vec<_> = fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_consolidation_that_writes_parts_without_end_is_stopped_by_its_time_budget() {
    // Half a second a part, each call within the limit: the writing as a
    // whole gets the per-call limit once.
    let started = std::time::Instant::now();
    let (result, dir) = hostile_aggregate("slow-parts", &["--time-limit-secs", "2"]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("took more than 2 s to write its output, its time limit (--time-limit-secs) for all parts together; nothing written"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn a_component_that_fails_its_probe_is_refused_before_it_reads_anything() {
    for (config, expected) in [
        ("crash-on-open", "the component failed"),
        (
            "hang-on-open",
            "exceeded its time limit of 2 s (--time-limit-secs)",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config_file = dir.path().join("rules.json");
        fs::write(&config_file, format!(r#"{{"{config}":true}}"#)).unwrap();
        let result = hostile(
            "files",
            &[
                "--config",
                config_file.to_str().unwrap(),
                "--time-limit-secs",
                "2",
            ],
        );
        let stderr = text(&result.stderr);
        assert_ne!(result.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("is refused: it failed its probe") && stderr.contains(expected),
            "{config}: {stderr}"
        );
        assert!(
            !stderr.contains("read denied"),
            "{config}: the component read nothing: {stderr}"
        );
    }
}

#[test]
fn an_amplifying_info_is_refused_at_the_memory_limit() {
    // `info` returns 2 GiB of aliased strings: the probe (and the host)
    // copy at most the memory limit out of one call.
    let amplifier = util::test_component_with("test-hostile", "amplify-info");
    let result = run(bin()
        .args(["component", "info", "--component"])
        .arg(&amplifier)
        .args(["--memory-limit-mb", "64"]));
    let stderr = text(&result.stderr);
    assert_ne!(result.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("failed its probe")
            && stderr
                .contains("more than 64 MiB in one call, its memory limit (--memory-limit-mb)"),
        "{stderr}"
    );
}

#[test]
fn a_stderr_flood_reaches_the_terminal_bounded_and_escaped() {
    let result = hostile("stderr-flood", &[]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "raw escapes"
    );
    assert!(stderr.contains("\\u{1b}[2J"), "{stderr}");
    assert!(
        stderr.contains("only the first 64 KiB of its stderr are kept"),
        "{}",
        &stderr[stderr.len().saturating_sub(500)..]
    );
    // 64 KiB captured, escaped (a few times longer), once per report of it.
    assert!(stderr.len() < 2 << 20, "{} bytes of stderr", stderr.len());
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

/// `aggregate` with the hostile consolidator on one input named `input`.
fn hostile_aggregate(input: &str, extra: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let hostile = util::test_component("test-hostile");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(input);
    fs::write(&file, b"x").unwrap();
    let result = run(bin()
        .arg("aggregate")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out/day.json.gz"))
        .arg("--component")
        .arg(&hostile)
        .args(["--memory-limit-mb", "64"])
        .args(extra));
    (result, dir)
}

#[test]
fn a_lying_consolidator_writes_nothing() {
    for (input, expected) in [
        (
            "junk-parts",
            "part 1 (part-1.json.gz) is not a complete gzip CloudTrail log",
        ),
        ("endless-parts", "more than 10000 parts"),
        // One part written without end: the host's stream takes the
        // memory limit and no more.
        (
            "flood-parts",
            "more than 64 MiB of a part in one call, its memory limit (--memory-limit-mb)",
        ),
        (
            "lying-counts",
            "holds 0 records, the component says 1000000",
        ),
    ] {
        let (result, dir) = hostile_aggregate(input, &[]);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{input}: {stderr}");
        assert!(stderr.contains(expected), "{input}: {stderr}");
        assert!(stderr.contains("nothing written"), "{input}: {stderr}");
        // Not one part reached the destination.
        assert!(
            !dir.path().join("out").exists(),
            "{input}: a part was written"
        );
    }
}

/// The SHA-256 of a file, as `--component-sha256` takes it.
fn sha256_of(path: &std::path::Path) -> String {
    host::runtime::ComponentPin::digest_of(&fs::read(path).unwrap())
}

#[test]
fn a_pinned_component_loads_and_any_other_is_refused_before_compiling() {
    let alt = util::test_component("test-alt-rules");
    let alt_digest = sha256_of(&alt);
    let default_digest = host::runtime::ComponentPin::digest_of(host::runtime::DEFAULT_COMPONENT);

    // The pinned component loads, pinned by the flag or by the variable
    // (either case), and an empty variable is no pin.
    for (flag, env) in [
        (Some(alt_digest.clone()), None),
        (None, Some(alt_digest.to_uppercase())),
        (None, Some(String::new())),
    ] {
        let mut cmd = bin();
        cmd.args(["component", "info", "--component"]).arg(&alt);
        if let Some(flag) = &flag {
            cmd.args(["--component-sha256", flag]);
        }
        if let Some(env) = &env {
            cmd.env("CTA_COMPONENT_SHA256", env);
        }
        let result = run(&mut cmd);
        assert!(
            result.status.success(),
            "{flag:?} {env:?}: {}",
            text(&result.stderr)
        );
        assert!(text(&result.stdout).contains("alt-rules"));
    }

    // Another component (here the embedded default's digest is pinned):
    // refused, naming both digests and the flag, and nothing analyzed.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.json"), b"[]").unwrap();
    let out = dir.path().join("out");
    let result = run(bin()
        .arg("analyze")
        .arg(dir.path().join("a.json"))
        .arg("--out")
        .arg(&out)
        .arg("--component")
        .arg(&alt)
        .args(["--component-sha256", &default_digest]));
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "before compiling it: its SHA-256 is {alt_digest}, but --component-sha256 \
             (CTA_COMPONENT_SHA256) pins {default_digest}"
        )),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing was written");

    // Without --component the embedded default is held to the pin too.
    let result = run(bin()
        .args(["component", "info"])
        .env("CTA_COMPONENT_SHA256", &alt_digest));
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing the embedded default component before compiling it"),
        "{stderr}"
    );
    let result = run(bin()
        .args(["component", "info", "--component-sha256"])
        .arg(&default_digest));
    assert!(result.status.success(), "{}", text(&result.stderr));

    // A malformed pin is a usage error, before anything is read.
    for bad in [
        "abc",
        &format!("{alt_digest}0"),
        &alt_digest.replace(char::is_numeric, "g"),
    ] {
        let result = run(bin()
            .args(["component", "info", "--component"])
            .arg(&alt)
            .args(["--component-sha256", bad]));
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("must be the component's SHA-256 as 64 hexadecimal digits"),
            "{bad}: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_component_from_s3_is_held_to_its_pin() {
    let alt = util::test_component("test-alt-rules");
    let alt_digest = sha256_of(&alt);
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "pinned").await;
    util::put(
        &client,
        &bucket,
        "components/alt.wasm",
        fs::read(&alt).unwrap(),
    )
    .await;
    util::put(&client, &bucket, "logs/a.json", b"abc".to_vec()).await;
    let analyze = |pin: &str| {
        run(moto
            .bin()
            .args([
                "analyze",
                &format!("s3://{bucket}/logs/"),
                "--out",
                &format!("s3://{bucket}/out"),
                "--component",
                &format!("s3://{bucket}/components/alt.wasm"),
            ])
            .env("CTA_COMPONENT_SHA256", pin))
    };
    let result = analyze(&alt_digest);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let report = json(&util::get(&client, &bucket, "out/alt.json").await);
    assert_eq!(report["bytes"], 3);

    let other = "0".repeat(64);
    let result = analyze(&other);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "refusing s3://{bucket}/components/alt.wasm before compiling it: its SHA-256 is \
             {alt_digest}, but --component-sha256 (CTA_COMPONENT_SHA256) pins {other}"
        )),
        "{stderr}"
    );
}
