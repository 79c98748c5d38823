//! The compiled-component cache through the real binary: it is private,
//! it is reused, and nothing in it loads unless the host wrote it: a
//! poisoned entry, another component's code, a link or an unsafe directory
//! is refused, and the analysis still gives the right result.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Output;

use super::util::{self, bin, json, run, text};

const REFUSED: &str = "refusing a cached compiled component";
const NOT_USED: &str = "not using the compiled-component cache";
const LOADED: &str = "loaded the compiled component from the cache";

/// Sample logs, and how many events they hold.
fn logs(tmp: &Path) -> (PathBuf, u64) {
    let logs = tmp.join("logs");
    let summary = util::sample_logs(&logs);
    (logs, summary.events)
}

/// `analyze` with the cache in `cache` (and `component`, when given).
fn analyze(cache: &Path, logs: &Path, out: &Path, component: Option<&Path>) -> Output {
    let mut cmd = bin();
    cmd.env("CTA_CACHE_DIR", cache)
        .env("RUST_LOG", "warn,host::runtime=debug")
        .arg("analyze")
        .arg(logs)
        .arg("--out")
        .arg(out);
    if let Some(component) = component {
        cmd.arg("--component").arg(component);
    }
    let result = run(&mut cmd);
    assert!(result.status.success(), "{}", text(&result.stderr));
    result
}

/// Runs the default component and checks its report counted every event.
fn analyze_right(cache: &Path, logs: &Path, events: u64, tmp: &Path) -> String {
    let out = tmp.join(format!("out-{}", rand_suffix()));
    let result = analyze(cache, logs, &out, None);
    let insights = json(&fs::read(out.join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], events);
    text(&result.stderr)
}

fn rand_suffix() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The cache's one entry.
fn entry(cache: &Path) -> PathBuf {
    let entries: Vec<_> = names(cache)
        .into_iter()
        .filter(|n| n.ends_with(".cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    cache.join(&entries[0])
}

#[test]
fn a_run_fills_a_private_cache_that_the_next_run_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let (logs, events) = logs(tmp.path());
    let cache = tmp.path().join("new").join("cache");
    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(
        !stderr.contains(LOADED) && !stderr.contains("WARN"),
        "{stderr}"
    );
    assert_eq!(mode(&tmp.path().join("new")), 0o700);
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&cache.join("key")), 0o600);
    assert_eq!(fs::read(cache.join("key")).unwrap().len(), 32);
    let entry = entry(&cache);
    assert_eq!(mode(&entry), 0o600);
    assert_eq!(names(&cache).len(), 2, "no temporary file is left");

    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(stderr.contains(LOADED), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn a_poisoned_entry_is_refused_and_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let (logs, events) = logs(tmp.path());
    let cache = tmp.path().join("cache");
    analyze_right(&cache, &logs, events, tmp.path());
    let entry = entry(&cache);
    let mut code = fs::read(&entry).unwrap();
    let middle = code.len() / 2;
    code[middle] ^= 0x01;
    fs::write(&entry, &code).unwrap();

    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(stderr.contains(REFUSED), "{stderr}");
    assert!(
        stderr.contains(&entry.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains("authentication tag does not match"),
        "{stderr}"
    );
    assert!(!stderr.contains(LOADED), "{stderr}");
    assert_ne!(fs::read(&entry).unwrap(), code, "rewritten");

    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(
        stderr.contains(LOADED) && !stderr.contains("WARN"),
        "{stderr}"
    );
}

#[test]
fn another_components_valid_code_under_this_components_key_is_refused() {
    let alt = util::test_component("test-alt-rules");
    let tmp = tempfile::tempdir().unwrap();
    let (logs, events) = logs(tmp.path());
    let cache = tmp.path().join("cache");
    analyze_right(&cache, &logs, events, tmp.path());
    let default_entry = entry(&cache);
    let default_name = default_entry.file_name().unwrap().to_owned();
    // Move the default entry aside so the alternative's is the only one.
    fs::rename(&default_entry, tmp.path().join("default.cwasm")).unwrap();
    let out = tmp.path().join("alt-out");
    analyze(&cache, &logs, &out, Some(&alt));
    assert!(out.join("alt.json").exists());
    let alt_entry = entry(&cache);
    assert_ne!(alt_entry.file_name().unwrap(), default_name);
    fs::copy(&alt_entry, cache.join(&default_name)).unwrap();

    // Had it been loaded, the report would be the alternative's alt.json.
    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(stderr.contains(REFUSED), "{stderr}");
    assert!(
        stderr.contains("authentication tag does not match"),
        "{stderr}"
    );
}

#[test]
fn unsafe_cache_directories_are_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let (logs, events) = logs(tmp.path());

    for unsafe_mode in [0o777, 0o770, 0o1777] {
        let cache = tmp.path().join(format!("mode{unsafe_mode:o}"));
        fs::create_dir(&cache).unwrap();
        set_mode(&cache, unsafe_mode);
        let stderr = analyze_right(&cache, &logs, events, tmp.path());
        assert!(stderr.contains(NOT_USED), "{stderr}");
        assert!(stderr.contains("lets others write"), "{stderr}");
        assert!(names(&cache).is_empty(), "nothing written there");
    }

    // A private directory reached through a link is not used either.
    let private = tmp.path().join("private");
    fs::create_dir(&private).unwrap();
    set_mode(&private, 0o700);
    let link = tmp.path().join("link");
    symlink(&private, &link).unwrap();
    let stderr = analyze_right(&link, &logs, events, tmp.path());
    assert!(stderr.contains(NOT_USED), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(names(&private).is_empty());

    // Nor one owned by another user (only root can make one).
    if rustix::process::geteuid().is_root() {
        let theirs = tmp.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        set_mode(&theirs, 0o700);
        std::os::unix::fs::lchown(&theirs, Some(65534), Some(65534)).unwrap();
        let stderr = analyze_right(&theirs, &logs, events, tmp.path());
        assert!(stderr.contains(NOT_USED), "{stderr}");
        assert!(stderr.contains("owned by uid 65534"), "{stderr}");
        assert!(names(&theirs).is_empty());
    }
}

#[test]
fn links_planted_in_the_cache_are_neither_followed_nor_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let (logs, events) = logs(tmp.path());
    let cache = tmp.path().join("cache");
    analyze_right(&cache, &logs, events, tmp.path());
    let entry = entry(&cache);

    // The entry's name links to a file outside: even a valid entry there is
    // not loaded, and it is not overwritten when the entry is rewritten.
    let outside = tmp.path().join("outside.cwasm");
    fs::rename(&entry, &outside).unwrap();
    let valid = fs::read(&outside).unwrap();
    symlink(&outside, &entry).unwrap();
    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(stderr.contains(REFUSED), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(
        fs::read(&outside).unwrap(),
        valid,
        "the target is untouched"
    );
    assert!(fs::symlink_metadata(&entry).unwrap().is_file());

    // A dangling link at the entry's name is replaced, not written through.
    let victim = tmp.path().join("victim");
    fs::remove_file(&entry).unwrap();
    symlink(&victim, &entry).unwrap();
    analyze_right(&cache, &logs, events, tmp.path());
    assert!(!victim.exists(), "nothing was written through the link");
    assert!(fs::symlink_metadata(&entry).unwrap().is_file());

    // A key that is a link makes the cache unusable.
    let key = cache.join("key");
    fs::rename(&key, tmp.path().join("key")).unwrap();
    symlink(tmp.path().join("key"), &key).unwrap();
    let stderr = analyze_right(&cache, &logs, events, tmp.path());
    assert!(stderr.contains(NOT_USED), "{stderr}");
    assert!(!stderr.contains(LOADED), "{stderr}");
}
