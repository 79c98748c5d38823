//! The real binary in Lambda mode, against the Runtime API harness and a
//! real S3 (and SQS) server on 127.0.0.1.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::runtime_api::{Function, RuntimeApi};
use super::util::{self, gzip};

struct Pipeline {
    client: aws_sdk_s3::Client,
    logs: String,
    out: String,
    dir: tempfile::TempDir,
    expected_events: u64,
}

/// Uploads a generated day's logs (two layouts, several accounts and regions).
async fn pipeline(hint: &str, spec: &loggen::Spec) -> Pipeline {
    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, &format!("{hint}-logs")).await;
    let out = util::bucket(&client, &format!("{hint}-out")).await;
    let mut expected_events = 0;
    let mut uploads = Vec::new();
    // Bounded concurrency: a flood of connections makes moto time out.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    for file in loggen::generate(spec) {
        expected_events += file.events;
        let (client, logs) = (client.clone(), logs.clone());
        let permit = permits.clone().acquire_owned().await.unwrap();
        uploads.push(tokio::spawn(async move {
            util::put_log_file(&client, &logs, &file).await;
            drop(permit);
        }));
    }
    for u in uploads {
        u.await.unwrap();
    }
    Pipeline {
        client,
        logs,
        out,
        dir: tempfile::tempdir().unwrap(),
        expected_events,
    }
}

impl Pipeline {
    fn env(&self, function: &str, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("CTA_FUNCTION", function.to_owned()),
            ("CTA_LOG_BUCKET", self.logs.clone()),
            ("CTA_OUTPUT_BUCKET", self.out.clone()),
            ("CTA_CACHE_DIR", util::cache_dir().display().to_string()),
        ];
        for (k, v) in extra {
            let key: &'static str = Box::leak(k.to_string().into_boxed_str());
            env.push((key, v.clone()));
        }
        env
    }

    async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let client = self.client.clone();
        let mut keys = Vec::new();
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            keys.extend(
                page.unwrap()
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        keys
    }

    /// The parts every committed manifest names: the consolidated logs.
    async fn committed_parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        for key in self.keys(&self.logs, "consolidated/").await {
            if key.ends_with("/manifest.json") {
                let manifest = util::json(&util::get(&self.client, &self.logs, &key).await);
                for part in manifest["parts"].as_array().unwrap() {
                    parts.push(part["key"].as_str().unwrap().to_owned());
                }
            }
        }
        parts
    }

    /// One run of the consolidate function over 2026-11-01; its answer.
    async fn consolidate_first_day(&self) -> Value {
        let api = RuntimeApi::start().await;
        let _f = Function::start(&api, &self.env("consolidate", &[]), self.dir.path());
        api.invoke(json!({"from": "2026-11-01", "to": "2026-11-01"}))
            .await
            .expect("the consolidation succeeds")
    }

    /// Every partition's manifest key.
    async fn manifests(&self) -> Vec<String> {
        let mut keys = self.keys(&self.logs, "consolidated/").await;
        keys.retain(|k| k.ends_with("/manifest.json"));
        keys
    }

    /// Objects under `consolidated/` that are neither a manifest nor a
    /// part one names: what a crash or a lost race left for cleanup.
    async fn leftovers(&self) -> Vec<String> {
        let committed = self.committed_parts().await;
        self.keys(&self.logs, "consolidated/")
            .await
            .into_iter()
            .filter(|k| !k.ends_with("/manifest.json") && !committed.contains(k))
            .collect()
    }

    /// Every record in the consolidated logs, by event id → count.
    async fn consolidated_ids(&self) -> BTreeMap<String, u32> {
        self.ids_in(self.committed_parts().await).await
    }

    /// Every record in the consolidated logs and the raw files.
    async fn ids_anywhere(&self) -> BTreeMap<String, u32> {
        let mut keys = self.committed_parts().await;
        keys.extend(self.raw_log_keys().await);
        self.ids_in(keys).await
    }

    /// The records of the gzip logs at `keys`, by event id → count.
    async fn ids_in(&self, keys: Vec<String>) -> BTreeMap<String, u32> {
        let mut ids = BTreeMap::new();
        for key in keys {
            let body = util::get(&self.client, &self.logs, &key).await;
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::MultiGzDecoder::new(&body[..]),
                &mut text,
            )
            .unwrap();
            let doc: Value = serde_json::from_str(&text).unwrap();
            for r in doc["Records"].as_array().unwrap() {
                *ids.entry(r["eventID"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1;
            }
        }
        ids
    }

    async fn raw_log_keys(&self) -> Vec<String> {
        self.keys(&self.logs, "AWSLogs/")
            .await
            .into_iter()
            .filter(|k| k.contains("/CloudTrail/"))
            .collect()
    }
}

fn small_spec() -> loggen::Spec {
    loggen::Spec::small()
}

fn manual_request() -> Value {
    json!({"from": "2026-11-01", "to": "2026-11-02"})
}

#[tokio::test(flavor = "multi_thread")]
async fn consolidates_every_partition_verifies_and_cleans_up_then_reruns_idempotently() {
    let p = pipeline("cons", &small_spec()).await;
    let api = RuntimeApi::start().await;
    let _f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    let result = api
        .invoke(manual_request())
        .await
        .expect("the invocation succeeds");
    let partitions = result["planned"].as_u64().unwrap();
    assert!(partitions >= 6, "{result}");
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len() as u64, p.expected_events);
    assert!(ids.values().all(|&n| n == 1), "every event exactly once");
    assert!(
        p.raw_log_keys().await.is_empty(),
        "raw logs are deleted after verification"
    );
    let digests = p.keys(&p.logs, "AWSLogs/").await;
    assert!(
        !digests.is_empty() && digests.iter().all(|k| k.contains("CloudTrail-Digest")),
        "digests stay"
    );
    assert!(
        !p.keys(&p.logs, "consolidated/o-").await.is_empty(),
        "the organization layout is kept"
    );

    let before: Vec<Vec<u8>> = {
        let mut v = Vec::new();
        for k in p.keys(&p.logs, "consolidated/").await {
            v.push(util::get(&p.client, &p.logs, &k).await);
        }
        v
    };
    api.invoke(manual_request())
        .await
        .expect("a rerun succeeds");
    let mut after = Vec::new();
    for k in p.keys(&p.logs, "consolidated/").await {
        after.push(util::get(&p.client, &p.logs, &k).await);
    }
    assert!(
        before == after,
        "a rerun with nothing new writes the same bytes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_larger_than_the_consolidator_buffer_spills_to_scratch_and_comes_out_whole() {
    // A trail without digest files: the late file added below is not
    // listed by any digest, which would keep it out of the consolidation.
    let mut spec = small_spec();
    spec.digest_files = false;
    let p = pipeline("spill", &spec).await;
    // A buffer of 8 KiB against days of about 50 KiB: every
    // partition goes through sorted runs on the scratch file, and into
    // several bounded parts.
    let rules = br#"{"consolidate":{"max_buffer_bytes":8192,"max_part_bytes":16384}}"#;
    util::put(&p.client, &p.logs, "config/rules.json", rules.to_vec()).await;
    let env = p.env(
        "consolidate",
        &[
            (
                "CTA_CONFIG_URI",
                format!("s3://{}/config/rules.json", p.logs),
            ),
            ("RUST_LOG", "info".into()),
        ],
    );
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &env, p.dir.path());
    api.invoke(manual_request())
        .await
        .expect("the invocation succeeds");
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len() as u64, p.expected_events);
    assert!(ids.values().all(|&n| n == 1), "every event exactly once");
    assert!(p.raw_log_keys().await.is_empty());
    let parts = p.keys(&p.logs, "consolidated/").await;
    assert!(
        parts.iter().any(|k| k.ends_with("/part-00003.json.gz")),
        "{parts:?}"
    );
    let logs = f.logs();
    assert!(
        logs.lines()
            .filter(|l| l.contains("consolidation spooled and checked"))
            .any(|l| !l.contains("\"runs\":0")),
        "{logs}"
    );

    // The rerun reads the parts back through the same runs: same bytes.
    let mut before = Vec::new();
    for k in &parts {
        before.push(util::get(&p.client, &p.logs, k).await);
    }
    api.invoke(manual_request())
        .await
        .expect("a rerun succeeds");
    let mut after = Vec::new();
    for k in p.keys(&p.logs, "consolidated/").await {
        after.push(util::get(&p.client, &p.logs, &k).await);
    }
    assert!(
        before == after,
        "a rerun with nothing new writes the same bytes"
    );

    // Larger parts, and a new file for one partition: its rerun writes
    // fewer parts, and the stale ones go.
    util::put(&p.client, &p.logs, "config/rules.json", b"{}".to_vec()).await;
    let folder = format!("{}/us-east-1/2026/11/01/", spec.accounts[0]);
    let late = br#"{"Records":[{"eventID":"late-1","eventTime":"2026-11-01T23:59:59Z","eventName":"GetObject"}]}"#;
    let late_key = format!(
        "AWSLogs/{}/CloudTrail/us-east-1/2026/11/01/late.json.gz",
        spec.accounts[0]
    );
    util::put(&p.client, &p.logs, &late_key, gzip(late)).await;
    api.invoke(manual_request())
        .await
        .expect("a rerun with larger parts succeeds");
    let parts = p.keys(&p.logs, &format!("consolidated/{folder}")).await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(
        parts[0].starts_with(&format!("consolidated/{folder}g000002-"))
            && parts[0].ends_with("/part-00001.json.gz")
            && parts[1] == format!("consolidated/{folder}manifest.json"),
        "one part in the second generation, and its manifest: {parts:?}"
    );
    assert!(p.leftovers().await.is_empty());
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len() as u64, p.expected_events + 1);
    assert!(ids.values().all(|&n| n == 1), "every event exactly once");
}

/// One partition, one day: small enough to crash after every S3 write.
fn one_partition_spec() -> loggen::Spec {
    let mut spec = small_spec();
    spec.accounts.truncate(1);
    spec.regions.truncate(1);
    spec.days = 1;
    spec.files_per_partition_day = 8;
    spec.events_per_file = 40;
    spec.digest_files = false;
    spec
}

/// A raw file of `count` events from the start of the day (so every record
/// after them moves toward a later part), padded to fill parts quickly.
fn late_file(spec: &loggen::Spec, name: &str, count: usize) -> (String, Vec<u8>, Vec<String>) {
    let ids: Vec<String> = (0..count).map(|i| format!("{name}-{i:03}")).collect();
    let records: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"eventID":"{id}","eventTime":"2026-11-01T00:00:00Z","eventName":"GetObject","pad":"{}"}}"#, "x".repeat(400)))
        .collect();
    let body = format!("{{\"Records\":[{}]}}", records.join(","));
    let key = format!(
        "AWSLogs/{}/CloudTrail/{}/2026/11/01/{name}.json.gz",
        spec.accounts[0], spec.regions[0]
    );
    (key, gzip(body.as_bytes()), ids)
}

/// Runs the consolidate function with `CTA_FAULT=exit-after-s3-write:N`
/// for N = 1, 2, … until a run gets through without reaching its N-th
/// write; after every crash, checks that each expected event is still in
/// the committed log or in a raw file. Returns how many runs crashed.
async fn crash_after_every_write(
    p: &Pipeline,
    env: &dyn Fn(Option<String>) -> Vec<(&'static str, String)>,
    request: &Value,
    expected: usize,
) -> usize {
    for n in 1..200 {
        let api = RuntimeApi::start().await;
        let mut f = Function::start(
            &api,
            &env(Some(format!("exit-after-s3-write:{n}"))),
            p.dir.path(),
        );
        let answered = tokio::select! {
            answer = api.invoke(request.clone()) => Some(answer),
            _ = exited(&mut f) => None,
        };
        let ids = p.ids_anywhere().await;
        assert_eq!(
            ids.len(),
            expected,
            "after a crash at S3 write {n}, every event is in the committed log or a raw file: {}",
            f.logs()
        );
        if let Some(answer) = answered {
            answer.expect("the run that did not crash succeeds");
            return n - 1;
        }
    }
    panic!("the run never got through 200 writes");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_any_s3_write_loses_nothing_as_parts_grow_and_shrink() {
    let spec = one_partition_spec();
    let p = pipeline("crash", &spec).await;
    let config_uri = format!("s3://{}/config/rules.json", p.logs);
    let env = |fault: Option<String>| {
        let mut extra = vec![("CTA_CONFIG_URI", config_uri.clone())];
        if let Some(fault) = fault {
            extra.push(("CTA_FAULT", fault));
        }
        p.env("consolidate", &extra)
    };
    let request = json!({"from": "2026-11-01", "to": "2026-11-01"});
    let set_part_bytes = |bytes: u64| {
        let rules = format!(r#"{{"consolidate":{{"max_part_bytes":{bytes}}}}}"#);
        util::put(&p.client, &p.logs, "config/rules.json", rules.into_bytes())
    };

    // Round 1: the first consolidation, in small parts.
    set_part_bytes(65536).await;
    let mut expected = p.expected_events as usize;
    let crashes = crash_after_every_write(&p, &env, &request, expected).await;
    assert!(
        crashes >= 5,
        "parts, the manifest and deletes: {crashes} writes"
    );

    // Round 2: late events before every other record, and smaller parts:
    // every record moves to a later part than it had.
    let (key, body, ids) = late_file(&spec, "late", 120);
    util::put(&p.client, &p.logs, &key, body).await;
    expected += ids.len();
    set_part_bytes(32768).await;
    crash_after_every_write(&p, &env, &request, expected).await;

    // Round 3: larger parts (fewer of them), one more late file, and the
    // first late file delivered again.
    let (key, body, ids) = late_file(&spec, "later", 50);
    util::put(&p.client, &p.logs, &key, body).await;
    expected += ids.len();
    let (key, body, _) = late_file(&spec, "late", 120);
    util::put(
        &p.client,
        &p.logs,
        &key.replace("late.json", "late-again.json"),
        body,
    )
    .await;
    set_part_bytes(1 << 20).await;
    crash_after_every_write(&p, &env, &request, expected).await;

    // A clean run: every event exactly once, nothing left behind.
    let api = RuntimeApi::start().await;
    let _f = Function::start(&api, &env(None), p.dir.path());
    api.invoke(request).await.expect("the clean rerun succeeds");
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len(), expected);
    assert!(ids.values().all(|&n| n == 1), "every event exactly once");
    assert!(p.raw_log_keys().await.is_empty());
    assert!(p.leftovers().await.is_empty(), "{:?}", p.leftovers().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_consolidations_of_one_partition_commit_once_and_lose_nothing() {
    let spec = one_partition_spec();
    let p = pipeline("race", &spec).await;
    let request = json!({"from": "2026-11-01", "to": "2026-11-01"});
    let mut expected = p.expected_events as usize;
    for round in 0..3 {
        // Two processes, one partition, started together; a late file
        // lands while they run (the planner racing a delivery).
        let (api_a, api_b) = (RuntimeApi::start().await, RuntimeApi::start().await);
        let _a = Function::start(&api_a, &p.env("consolidate", &[]), p.dir.path());
        let _b = Function::start(&api_b, &p.env("consolidate", &[]), p.dir.path());
        let (key, body, ids) = late_file(&spec, &format!("race-{round}"), 30);
        let late = util::put(&p.client, &p.logs, &key, body);
        let (a, b, ()) = tokio::join!(
            api_a.invoke(request.clone()),
            api_b.invoke(request.clone()),
            late
        );
        expected += ids.len();
        let answers = [a, b];
        let lost: Vec<String> = answers
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
            .collect();
        assert!(
            lost.iter()
                .all(|e| e.contains("committed") && e.contains("first")),
            "a job fails only by losing the commit: {lost:?}"
        );
        assert!(lost.len() < 2, "one of them commits");
        assert_eq!(p.ids_anywhere().await.len(), expected, "round {round}");
    }
    let api = RuntimeApi::start().await;
    let _f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    api.invoke(request).await.expect("a last run");
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len(), expected);
    assert!(ids.values().all(|&n| n == 1));
    assert!(p.raw_log_keys().await.is_empty());
    assert!(p.leftovers().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_faults_between_the_function_and_s3_lose_nothing_and_fail_clearly() {
    use util::{Effect, Fault};
    let spec = one_partition_spec();
    let p = pipeline("faults", &spec).await;
    let proxy = util::FaultProxy::start(&util::moto().endpoint);
    let env = p.env(
        "consolidate",
        &[("AWS_ENDPOINT_URL", proxy.endpoint.clone())],
    );
    let request = json!({"from": "2026-11-01", "to": "2026-11-01"});
    let expected = p.expected_events as usize;
    let fault = |method, target: &str, times, status, code, effect| Fault {
        method,
        target: target.to_owned(),
        times,
        status,
        code,
        effect,
    };
    let run = |env: Vec<(&'static str, String)>| {
        let request = request.clone();
        let dir = p.dir.path().to_owned();
        async move {
            let api = RuntimeApi::start().await;
            let f = Function::start(&api, &env, &dir);
            let started = std::time::Instant::now();
            let answer = api.invoke(request).await;
            (answer, started.elapsed(), f.logs())
        }
    };

    // Transient faults, each within the SDK's retries or a rerun's reach:
    // throttled part writes, a reset and a lost answer on the
    // commit, a failed, a truncated and a slow read of raw files.
    proxy.fail(fault(
        "PUT",
        "/g000001-",
        2,
        503,
        "SlowDown",
        Effect::Answer,
    ));
    proxy.fail(fault("PUT", "/manifest.json", 1, 0, "", Effect::Reset));
    proxy.fail(fault("PUT", "/manifest.json", 1, 0, "", Effect::LoseAnswer));
    proxy.fail(fault(
        "GET",
        "/AWSLogs/",
        1,
        500,
        "InternalError",
        Effect::Answer,
    ));
    proxy.fail(fault("GET", "/AWSLogs/", 1, 0, "", Effect::Truncate));
    proxy.fail(fault(
        "GET",
        "/AWSLogs/",
        1,
        0,
        "",
        Effect::Slow(Duration::from_secs(2)),
    ));
    let (answer, took, logs) = run(env.clone()).await;
    assert_eq!(proxy.injected(), 7, "every fault was met");
    assert!(
        took < Duration::from_secs(120),
        "retries are bounded: {took:?}"
    );
    assert_eq!(p.ids_anywhere().await.len(), expected, "{answer:?}\n{logs}");
    if let Err(e) = &answer {
        assert!(
            e.to_string().contains("s3://"),
            "errors name the object: {e}"
        );
    }

    // A commit that keeps failing: the job fails naming the manifest, and
    // deletes nothing.
    let (key, body, late) = late_file(&spec, "late", 20);
    util::put(&p.client, &p.logs, &key, body).await;
    let expected = expected + late.len();
    let raw_before = p.raw_log_keys().await;
    proxy.clear();
    proxy.fail(fault(
        "PUT",
        "/manifest.json",
        1000,
        500,
        "InternalError",
        Effect::Answer,
    ));
    let (answer, took, logs) = run(env.clone()).await;
    assert!(
        took < Duration::from_secs(120),
        "retries are bounded: {took:?}"
    );
    let error = answer.expect_err("no commit, no success").to_string();
    assert!(error.contains("manifest.json"), "{error}\n{logs}");
    assert_eq!(
        p.raw_log_keys().await,
        raw_before,
        "nothing deleted without a commit"
    );
    assert_eq!(p.ids_anywhere().await.len(), expected);

    // Faults gone: one clean run leaves every event exactly once.
    proxy.clear();
    let (answer, _, logs) = run(env).await;
    answer.unwrap_or_else(|e| panic!("{e}\n{logs}"));
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len(), expected);
    assert!(ids.values().all(|&n| n == 1));
    assert!(p.raw_log_keys().await.is_empty());
    assert!(p.leftovers().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn parts_written_before_manifests_are_migrated_into_the_first_commit() {
    let spec = one_partition_spec();
    let p = pipeline("migrate", &spec).await;
    // Today's layout, as an earlier version wrote it: parts right under
    // the partition, no manifest, some raw files already absorbed.
    let folder = format!(
        "consolidated/{}/{}/2026/11/01/",
        spec.accounts[0], spec.regions[0]
    );
    let (_, old_one, mut ids) = late_file(&spec, "old-a", 20);
    let (_, old_two, more) = late_file(&spec, "old-b", 20);
    ids.extend(more);
    util::put(
        &p.client,
        &p.logs,
        &format!("{folder}part-00001.json.gz"),
        old_one,
    )
    .await;
    util::put(
        &p.client,
        &p.logs,
        &format!("{folder}part-00002.json.gz"),
        old_two,
    )
    .await;
    let result = p.consolidate_first_day().await;
    assert_eq!(result["consolidated"][0]["existing_parts"], 2, "{result}");
    let found = p.consolidated_ids().await;
    assert_eq!(found.len(), p.expected_events as usize + ids.len());
    assert!(ids.iter().all(|id| found.get(id) == Some(&1)));
    let keys = p.keys(&p.logs, &folder).await;
    assert!(
        !keys.iter().any(|k| k.ends_with("/01/part-00001.json.gz")),
        "the old parts are gone once committed: {keys:?}"
    );
    assert!(keys.contains(&format!("{folder}manifest.json")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_copy_with_a_genuine_id_and_time_is_kept_beside_it_and_reported() {
    let spec = one_partition_spec();
    let p = pipeline("forge", &spec).await;
    let genuine = r#"{"Records":[{"eventID":"e-1","eventTime":"2026-11-01T12:00:00Z","eventName":"DeleteTrail","userIdentity":{"type":"IAMUser","userName":"mallory"}}]}"#.to_string();
    let forged = genuine.replace("mallory", "alice");
    let partition = format!(
        "AWSLogs/{}/CloudTrail/{}/2026/11/01/",
        spec.accounts[0], spec.regions[0]
    );
    util::put(
        &p.client,
        &p.logs,
        &format!("{partition}genuine.json.gz"),
        gzip(genuine.as_bytes()),
    )
    .await;
    util::put(
        &p.client,
        &p.logs,
        &format!("{partition}forged.json.gz"),
        gzip(forged.as_bytes()),
    )
    .await;
    let result = p.consolidate_first_day().await;
    let job = &result["consolidated"][0];
    assert_eq!(job["conflicts"], 1, "{result}");
    assert_eq!(job["conflicting"][0], "e-1 2026-11-01T12:00:00Z");
    assert_eq!(
        p.consolidated_ids().await.get("e-1"),
        Some(&2),
        "both copies are kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_one_job_per_partition_on_a_real_queue_and_workers_drain_it() {
    // Logs for yesterday and today, so the scheduled window finds them; one
    // day holds more than 1,000 raw files.
    let today = host::lambda::layout::Day::today();
    let yesterday = today.minus(1);
    let mut spec = small_spec();
    spec.start_day = (yesterday.year, yesterday.month, yesterday.day);
    spec.accounts.truncate(2);
    spec.regions.truncate(1);
    spec.files_per_partition_day = 1005;
    spec.events_per_file = 1;
    spec.digest_files = false;
    let p = pipeline("plan", &spec).await;
    // A late file for yesterday.
    let late_key = format!(
        "AWSLogs/{}/CloudTrail/{}/{}/late.json.gz",
        spec.accounts[0],
        spec.regions[0],
        yesterday.path()
    );
    let late = br#"{"Records":[{"eventID":"late-1","eventTime":"2026-01-01T23:59:59Z","eventName":"GetObject"}]}"#;
    util::put(&p.client, &p.logs, &late_key, gzip(late)).await;

    let (sqs, queue_url) = fifo_queue(&format!("{}-jobs", p.logs)).await;

    let api = RuntimeApi::start().await;
    let _f = Function::start(
        &api,
        &p.env("consolidate", &[("CTA_JOB_QUEUE_URL", queue_url.clone())]),
        p.dir.path(),
    );
    let schedule = json!({"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-28T00:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/cta"],"detail":{}});
    let planned = api.invoke(schedule).await.unwrap();
    assert_eq!(
        planned["queued"],
        2 * 2,
        "two accounts, one region, two days: {planned}"
    );

    let jobs = drain(&api, &sqs, &queue_url).await;
    assert_eq!(jobs, 4);
    let ids = p.consolidated_ids().await;
    assert_eq!(
        ids.len() as u64,
        p.expected_events + 1,
        "every event, and the late one"
    );
    assert!(ids.contains_key("late-1"));
    assert!(p.raw_log_keys().await.is_empty());
}

/// A FIFO job queue on moto, as Terraform makes it.
async fn fifo_queue(name: &str) -> (aws_sdk_sqs::Client, String) {
    let moto = util::moto();
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::new()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .build(),
    );
    let queue = sqs
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap();
    (sqs, queue.queue_url().unwrap().to_owned())
}

/// Drains the queue the way Lambda's event source mapping would; returns
/// the number of jobs done.
async fn drain(api: &RuntimeApi, sqs: &aws_sdk_sqs::Client, queue_url: &str) -> usize {
    let mut jobs = 0;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages();
        if messages.is_empty() {
            break;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(), "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs.fifo", "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}}))
            .collect();
        let answer = api.invoke(json!({"Records": records})).await.unwrap();
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
        for m in messages {
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
            jobs += 1;
        }
    }
    jobs
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partition_too_large_for_one_step_is_split_into_queued_steps() {
    let today = host::lambda::layout::Day::today();
    let mut spec = small_spec();
    spec.start_day = (today.year, today.month, today.day);
    spec.days = 1;
    spec.accounts.truncate(1);
    spec.regions.truncate(1);
    spec.files_per_partition_day = 12;
    spec.events_per_file = 2000;
    spec.digest_files = false;
    let p = pipeline("steps", &spec).await;
    let raw_bytes: usize = {
        let mut n = 0;
        for k in p.raw_log_keys().await {
            n += util::get(&p.client, &p.logs, &k).await.len();
        }
        n
    };
    // Steps of 1 MB: the partition needs several.
    assert!(raw_bytes > 3 << 20, "{raw_bytes} bytes of raw logs");
    let (sqs, queue_url) = fifo_queue(&format!("{}-jobs", p.logs)).await;
    let api = RuntimeApi::start().await;
    let _f = Function::start(
        &api,
        &p.env(
            "consolidate",
            &[
                ("CTA_JOB_QUEUE_URL", queue_url.clone()),
                ("CTA_MAX_JOB_MB", "1".into()),
            ],
        ),
        p.dir.path(),
    );
    let planned = api
        .invoke(json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}))
        .await
        .unwrap();
    assert_eq!(planned["queued"], 1, "{planned}");
    let steps = drain(&api, &sqs, &queue_url).await;
    assert!(steps >= 3, "{steps} steps for {raw_bytes} bytes");
    let ids = p.consolidated_ids().await;
    assert_eq!(ids.len() as u64, p.expected_events);
    assert!(ids.values().all(|&n| n == 1), "every event exactly once");
    assert!(p.raw_log_keys().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_files_are_named_and_left_in_place() {
    let p = pipeline("bad", &small_spec()).await;
    let bad_key = format!(
        "AWSLogs/{}/CloudTrail/{}/2026/11/01/broken.json.gz",
        small_spec().accounts[0],
        small_spec().regions[0]
    );
    let good = gzip(br#"{"Records":[{"eventID":"x"}]}"#);
    util::put(
        &p.client,
        &p.logs,
        &bad_key,
        good[..good.len() / 2].to_vec(),
    )
    .await;
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    let result = api.invoke(manual_request()).await.unwrap();
    assert!(
        result.to_string().contains("broken.json.gz"),
        "the report names it: {result}"
    );
    assert!(f.logs().contains("broken.json.gz"), "the log names it");
    assert_eq!(
        p.raw_log_keys().await,
        vec![bad_key],
        "only the bad file is left"
    );
    assert_eq!(p.consolidated_ids().await.len() as u64, p.expected_events);
}

/// The host frames each input for its ledger on a thread of its own, while
/// the component reads it. A large file the component refuses at its first
/// record is abandoned with much of it still unread, some of it already
/// read ahead: the next files must still be framed from their own first
/// byte, accounted for, and cleaned up. (Bytes read ahead that reach the
/// framing thread late are told apart by input; this test cannot time
/// that race, only check the outcome.)
#[tokio::test(flavor = "multi_thread")]
async fn a_file_refused_at_its_first_record_leaves_the_next_files_accounted_for() {
    let mut spec = small_spec();
    // Without digests, so that the component reads the file.
    spec.digest_files = false;
    let p = pipeline("readahead", &spec).await;
    let early_key = format!(
        "AWSLogs/{}/CloudTrail/{}/2026/11/01/0-bad-first-record.json.gz",
        spec.accounts[0], spec.regions[0]
    );
    let mut early = b"{\"Records\":[5".to_vec();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..40_000 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        early.extend_from_slice(format!(",{{\"eventID\":\"{seed:016x}{seed:x}\"}}").as_bytes());
    }
    early.extend_from_slice(b"]}");
    let early = gzip(&early);
    assert!(early.len() > 512 << 10, "many reads of it: {}", early.len());
    util::put(&p.client, &p.logs, &early_key, early).await;
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    let result = api.invoke(manual_request()).await.unwrap();
    assert!(
        result.to_string().contains("0-bad-first-record.json.gz"),
        "the report names it: {result}"
    );
    drop(f);
    assert_eq!(
        p.raw_log_keys().await,
        vec![early_key],
        "every other file was accounted for and cleaned up"
    );
    assert_eq!(p.consolidated_ids().await.len() as u64, p.expected_events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_file_its_digest_does_not_vouch_for_is_neither_consolidated_nor_deleted() {
    let spec = small_spec();
    let p = pipeline("tamper", &spec).await;
    // Someone drops one record from a delivered log file of the first day
    // and writes it back, gzipped anew.
    let victim = loggen::generate(&spec)
        .find(|f| !f.is_digest && f.key.contains("/2026/11/01/"))
        .unwrap();
    let mut doc: Value = util::json(&util::gunzip(&victim.body));
    let original_ids: Vec<String> = doc["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["eventID"].as_str().unwrap().to_owned())
        .collect();
    doc["Records"].as_array_mut().unwrap().pop();
    util::put(
        &p.client,
        &p.logs,
        &victim.key,
        gzip(&serde_json::to_vec(&doc).unwrap()),
    )
    .await;
    // And a file appears that no digest lists.
    let unlisted = victim.key.replace(".json.gz", "-unlisted.json.gz");
    util::put(
        &p.client,
        &p.logs,
        &unlisted,
        gzip(br#"{"Records":[{"eventID":"unlisted-1","eventTime":"2026-11-01T10:00:00Z"}]}"#),
    )
    .await;

    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    let result = api
        .invoke(json!({"from": "2026-11-01", "to": "2026-11-01"}))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let name = format!("s3://{}/{}", p.logs, victim.key);
    let mut problems: Vec<&Value> = result["consolidated"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|job| job["problems"].as_array().unwrap())
        .collect();
    // Sorted by status: `modified` before `unverified`.
    problems.sort_by_key(|p| p["status"].as_str().unwrap().to_owned());
    assert_eq!(problems.len(), 2, "{result}");
    assert_eq!(problems[1]["input"], format!("s3://{}/{unlisted}", p.logs));
    assert_eq!(problems[1]["status"], "unverified");
    assert_eq!(problems[0]["input"], name.as_str());
    assert_eq!(problems[0]["status"], "modified");
    assert!(
        problems[0]["reason"].as_str().unwrap().contains("SHA-256"),
        "the reason says what differs: {}",
        problems[0]
    );
    assert!(
        result["consolidated"]
            .as_array()
            .unwrap()
            .iter()
            .all(|job| job["digest_files"].as_u64().unwrap() > 0),
        "every partition was checked against its digests: {result}"
    );

    // Left in place, and none of its records consolidated.
    let day_one = |k: &String| k.contains("/2026/11/01/");
    let mut raw: Vec<String> = p.raw_log_keys().await.into_iter().filter(day_one).collect();
    raw.sort();
    let mut left = vec![victim.key.clone(), unlisted];
    left.sort();
    assert_eq!(raw, left);
    let consolidated = p.consolidated_ids().await;
    assert!(original_ids.iter().all(|id| !consolidated.contains_key(id)));
    assert!(!consolidated.contains_key("unlisted-1"));
    assert_eq!(
        consolidated.len() as u64,
        p.expected_events / 2 - u64::from(spec.events_per_file),
        "the first day's other records are all consolidated"
    );
    assert!(
        p.keys(&p.logs, "AWSLogs/")
            .await
            .iter()
            .filter(|k| k.contains("CloudTrail-Digest"))
            .count() as u64
            > 0,
        "digests stay"
    );

    // Alerted: a metric (its alarm is in terraform/modules/lambda) and an
    // error line naming the file.
    let logs = f.logs();
    let metric = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("RawFilesModified").and_then(Value::as_u64))
        .sum::<u64>();
    assert_eq!(metric, 1, "{logs}");
    assert!(logs.contains(&victim.key), "{logs}");

    // Each absorbed file is recorded with the SHA-256 its digest vouched
    // for and that digest.
    for key in p.manifests().await {
        let manifest = util::json(&util::get(&p.client, &p.logs, &key).await);
        for absorbed in manifest["absorbed"].as_array().unwrap() {
            assert_eq!(absorbed["sha256"].as_str().unwrap().len(), 64, "{absorbed}");
            assert!(
                absorbed["digest"]
                    .as_str()
                    .unwrap()
                    .contains("/CloudTrail-Digest/"),
                "{absorbed}"
            );
        }
    }
}

/// `verify` on the log bucket after consolidation; its report.
fn verify_bucket(p: &Pipeline, consolidated: bool, out: &std::path::Path) -> (Option<i32>, Value) {
    let mut cmd = util::moto().bin();
    cmd.args(["verify", &format!("s3://{}/AWSLogs/", p.logs)]);
    if consolidated {
        cmd.args(["--consolidated", &format!("s3://{}/consolidated/", p.logs)]);
    }
    let done = util::run(cmd.arg("--out").arg(out));
    let report = std::fs::read(out.join("verification.json"))
        .unwrap_or_else(|e| panic!("{e}: {}", util::text(&done.stderr)));
    (done.status.code(), util::json(&report))
}

fn verdicts(report: &Value) -> BTreeMap<String, (String, String)> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                (
                    f["verdict"].as_str().unwrap().to_owned(),
                    f["reason"].as_str().unwrap_or("").to_owned(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consolidated_day_is_proven_after_cleanup_and_a_tampered_part_is_caught() {
    let p = pipeline("prove", &small_spec()).await;
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    api.invoke(manual_request())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    assert!(
        p.raw_log_keys().await.is_empty(),
        "cleanup deleted every raw file"
    );
    let raw_files = loggen::generate(&small_spec())
        .filter(|f| !f.is_digest)
        .count();
    let manifests = p.manifests().await;

    // The digests alone: every raw file is missing.
    let (code, report) = verify_bucket(&p, false, &p.dir.path().join("alone"));
    assert_eq!(code, Some(1));
    assert_eq!(
        report["counts"]["missing"], raw_files,
        "{}",
        report["counts"]
    );

    // With the consolidated logs: every raw file is rebuilt from the parts
    // and valid by its digest, and every consolidated log is valid.
    let (code, report) = verify_bucket(&p, true, &p.dir.path().join("proven"));
    assert_eq!(code, Some(0), "{:#?}", verdicts(&report));
    let all = verdicts(&report);
    let logs = all.keys().filter(|k| k.contains("/CloudTrail/")).count();
    assert_eq!(logs, raw_files);
    let proven = all.keys().filter(|k| k.ends_with("/manifest.json")).count();
    assert_eq!(proven, manifests.len());

    // A local copy proves the same: the digests (with signature sidecars)
    // and the consolidated logs, copied out of the bucket.
    let copy = p.dir.path().join("copy");
    let digests = loggen::generate(&small_spec()).filter(|f| f.is_digest);
    loggen::write_files_with_signatures(digests, &copy).unwrap();
    for key in p.keys(&p.logs, "consolidated/").await {
        let path = copy.join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, util::get(&p.client, &p.logs, &key).await).unwrap();
    }
    let out = p.dir.path().join("local");
    let local = util::run(
        util::bin()
            .arg("verify")
            .arg(copy.join("AWSLogs"))
            .arg("--public-keys")
            .arg(copy.join("public-keys.json"))
            .arg("--consolidated")
            .arg(copy.join("consolidated"))
            .arg("--out")
            .arg(&out),
    );
    assert!(local.status.success(), "{}", util::text(&local.stderr));
    let report = util::json(&std::fs::read(out.join("verification.json")).unwrap());
    assert_eq!(report["counts"]["valid"], all.len(), "{}", report["counts"]);

    // Someone changes one record in one part, and writes it back.
    let part = p.committed_parts().await.into_iter().next().unwrap();
    let body = util::gunzip(&util::get(&p.client, &p.logs, &part).await);
    let text = String::from_utf8(body).unwrap();
    let tampered = text.replacen("\"eventName\":\"", "\"eventName\":\"Not", 1);
    assert_ne!(text, tampered);
    util::put(&p.client, &p.logs, &part, gzip(tampered.as_bytes())).await;
    let (code, report) = verify_bucket(&p, true, &p.dir.path().join("tampered"));
    assert_eq!(code, Some(1));
    let all = verdicts(&report);
    let bad: Vec<_> = all.iter().filter(|(_, (v, _))| v != "valid").collect();
    assert_eq!(
        bad.len(),
        2,
        "one raw file and its consolidated log: {bad:#?}"
    );
    let (raw, (verdict, why)) = bad
        .iter()
        .find(|(k, _)| k.contains("/CloudTrail/"))
        .unwrap();
    assert_eq!(verdict, "modified");
    assert!(
        why.contains("1 of its records are not in it (removed or changed): record "),
        "{raw}: {why}"
    );
    let (manifest, (verdict, why)) = bad
        .iter()
        .find(|(k, _)| k.ends_with("/manifest.json"))
        .unwrap();
    assert_eq!(verdict, "modified");
    assert!(
        why.contains(&format!("{part} record "))
            && why.contains("no raw file it absorbed had (added or changed)")
            && why.contains("the manifest committed"),
        "{manifest}: {why}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consolidated_log_of_a_trail_without_digests_is_unverifiable_not_valid() {
    let mut spec = small_spec();
    spec.digest_files = false;
    let p = pipeline("noproof", &spec).await;
    let answer = p.consolidate_first_day().await;
    assert!(
        answer["consolidated"]
            .as_array()
            .unwrap()
            .iter()
            .all(|job| job["digest_files"] == 0),
        "{answer}"
    );
    let (code, report) = verify_bucket(&p, true, &p.dir.path().join("out"));
    assert_eq!(code, Some(1));
    let all = verdicts(&report);
    let manifests = p.manifests().await;
    assert!(!manifests.is_empty());
    for key in manifests {
        let (verdict, why) = &all[&format!("s3://{}/{key}", p.logs)];
        assert_eq!(verdict, "unverifiable");
        assert!(why.contains("without a digest check"), "{why}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn analyzes_consolidated_logs_into_reports_and_a_day_report_even_when_redelivered() {
    // A trail without digest files: the late file added below is not
    // listed by any digest, which would keep it out of the consolidation.
    let mut spec = small_spec();
    spec.digest_files = false;
    let p = pipeline("ana", &spec).await;
    let api = RuntimeApi::start().await;
    let consolidate = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    api.invoke(manual_request()).await.unwrap();
    drop(consolidate);

    let parts = p.manifests().await;
    let api = RuntimeApi::start().await;
    let _analyze = Function::start(&api, &p.env("analyze", &[]), p.dir.path());
    let notification = |key: &str| json!({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-02T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","configurationId":"c","bucket":{"name":p.logs,"arn":format!("arn:aws:s3:::{}", p.logs)},"object":{"key":key.replace(' ', "+"),"size":1}}}]});
    for key in &parts {
        api.invoke(notification(key)).await.unwrap();
    }
    // Through EventBridge too, and the first one again: same keys, same content.
    let eb = json!({"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","account":"1","time":"2026-11-02T00:00:00Z","region":"us-east-1","resources":[],"detail":{"bucket":{"name":p.logs},"object":{"key":parts[0]}}});
    let reports_before = p.keys(&p.out, "reports/").await;
    api.invoke(eb).await.unwrap();
    api.invoke(notification(&parts[0])).await.unwrap();
    assert_eq!(p.keys(&p.out, "reports/").await, reports_before);

    let mut day_events = 0;
    for day in ["2026/11/01", "2026/11/02"] {
        let insights = util::json(
            &util::get(
                &p.client,
                &p.out,
                &format!("reports/daily/{day}/insights.json"),
            )
            .await,
        );
        day_events += insights["total_events"].as_u64().unwrap();
    }
    assert_eq!(
        day_events, p.expected_events,
        "the day reports merge every partition's state"
    );
    let one = parts[0]
        .trim_start_matches("consolidated/")
        .trim_end_matches("manifest.json");
    assert!(
        p.keys(&p.out, &format!("reports/{one}insights.json"))
            .await
            .len()
            == 1
    );

    // A late file for one partition, consolidated into generation 2: the
    // day counts it once, and that partition's older state is gone.
    let segments: Vec<&str> = one.trim_end_matches('/').split('/').collect();
    assert!(!segments[0].starts_with("o-"), "{one}");
    let late_key = format!(
        "AWSLogs/{}/CloudTrail/{}/{}/late.json.gz",
        segments[0],
        segments[1],
        segments[2..].join("/")
    );
    let late = br#"{"Records":[{"eventID":"late-1","eventTime":"2026-11-01T23:59:59Z","eventName":"GetObject"}]}"#;
    util::put(&p.client, &p.logs, &late_key, gzip(late)).await;
    {
        let api = RuntimeApi::start().await;
        let _c = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
        api.invoke(manual_request()).await.unwrap();
    }
    api.invoke(notification(&parts[0])).await.unwrap();
    let mut day_events = 0;
    let mut states = 0;
    for day in ["2026/11/01", "2026/11/02"] {
        let key = format!("reports/daily/{day}/insights.json");
        day_events += util::json(&util::get(&p.client, &p.out, &key).await)["total_events"]
            .as_u64()
            .unwrap();
        states += p
            .keys(&p.out, &format!("reports/daily/{day}/states/"))
            .await
            .len();
    }
    assert_eq!(day_events, p.expected_events + 1, "{late_key}");
    assert_eq!(states, parts.len(), "one state per partition");
}

#[tokio::test(flavor = "multi_thread")]
async fn day_reports_have_one_writer_per_day_debounced_on_the_report_queue() {
    const DEBOUNCE: u64 = 20;
    let p = pipeline("dayq", &small_spec()).await;
    {
        let api = RuntimeApi::start().await;
        let _c = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
        api.invoke(manual_request()).await.unwrap();
    }
    let (sqs, reports) = fifo_queue(&format!("{}-reports", p.out)).await;
    let api = RuntimeApi::start().await;
    let env = p.env(
        "analyze",
        &[
            ("CTA_REPORT_QUEUE_URL", reports.clone()),
            ("CTA_REPORT_DEBOUNCE_SECS", DEBOUNCE.to_string()),
        ],
    );
    let _analyze = Function::start(&api, &env, p.dir.path());
    let notification = |key: &str| json!({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":p.logs},"object":{"key":key}}}]});

    // Every commit, twice (S3 delivers at least once): each analysis
    // reports on its partition and asks for its day's report.
    let manifests = p.manifests().await;
    let started = std::time::Instant::now();
    let mut asked = std::collections::BTreeSet::new();
    for key in manifests.iter().chain(&manifests) {
        let answer = api.invoke(notification(key)).await.unwrap();
        let request = &answer["analyzed"][0]["day_report"];
        assert!(request["not_before"].as_u64().is_some(), "{answer}");
        asked.insert(request.to_string());
    }
    let elapsed = started.elapsed().as_secs();
    let days = 2;
    assert!(
        asked.len() as u64 <= days * (elapsed / DEBOUNCE + 2),
        "{} distinct requests for {} commits in {elapsed} s",
        asked.len(),
        2 * manifests.len()
    );
    // No day report yet: only the day's writer builds it.
    assert!(
        p.keys(&p.out, "reports/daily/")
            .await
            .iter()
            .all(|k| k.contains("/states/")),
        "a day report was written before its request was taken from the queue"
    );
    // SQS kept one message per distinct request: the copies were dropped.
    let queued = sqs
        .get_queue_attributes()
        .queue_url(&reports)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let queued: usize = queued.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap();
    assert_eq!(queued, asked.len(), "{asked:?}");

    // The writer builds each day once its window has closed, from every
    // partition's newest state.
    assert_eq!(drain(&api, &sqs, &reports).await, asked.len());
    let mut day_events = 0;
    for day in ["2026/11/01", "2026/11/02"] {
        let key = format!("reports/daily/{day}/insights.json");
        day_events += util::json(&util::get(&p.client, &p.out, &key).await)["total_events"]
            .as_u64()
            .unwrap();
        let written = p
            .client
            .head_object()
            .bucket(&p.out)
            .key(&key)
            .send()
            .await
            .unwrap()
            .last_modified()
            .unwrap()
            .secs();
        let not_before = asked
            .iter()
            .map(|r| serde_json::from_str::<Value>(r).unwrap())
            .filter(|r| r["day"]["day"] == json!(day[8..].parse::<u32>().unwrap()))
            .map(|r| r["not_before"].as_i64().unwrap())
            .max()
            .unwrap();
        assert!(
            written >= not_before,
            "{key} written at {written}, before its window closed at {not_before}"
        );
    }
    assert_eq!(day_events, p.expected_events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_component_upload_keeps_the_last_good_one_running() {
    let p = pipeline("swap", &small_spec()).await;
    let alt = std::fs::read(util::test_component("test-alt-rules")).unwrap();
    util::put(&p.client, &p.out, "components/analyzer.wasm", alt).await;
    let api = RuntimeApi::start().await;
    let consolidate = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    api.invoke(manual_request()).await.unwrap();
    drop(consolidate);
    let part = p.manifests().await.remove(0);
    let uri = format!("s3://{}/components/analyzer.wasm", p.out);
    // A configuration alt-rules ignores and the hostile component traps on.
    let rules = br#"{"crash-on-open":true}"#.to_vec();
    util::put(&p.client, &p.out, "config/rules.json", rules).await;
    let config = format!("s3://{}/config/rules.json", p.out);
    let api = RuntimeApi::start().await;
    let f = Function::start(
        &api,
        &p.env(
            "analyze",
            &[("CTA_COMPONENT_URI", uri), ("CTA_CONFIG_URI", config)],
        ),
        p.dir.path(),
    );
    let event = json!({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":p.logs},"object":{"key":part}}}]});
    api.invoke(event.clone()).await.unwrap();
    let one = part
        .trim_start_matches("consolidated/")
        .trim_end_matches("manifest.json");
    let alt_report = format!("reports/{one}alt.json");
    assert_eq!(
        p.keys(&p.out, &alt_report).await.len(),
        1,
        "the uploaded component ran"
    );

    // An upload, and the report of the last run gone: the next run's
    // report shows which component ran.
    let upload = |component: Vec<u8>| async {
        util::put(&p.client, &p.out, "components/analyzer.wasm", component).await;
        util::delete(&p.client, &p.out, &alt_report).await;
    };
    upload(b"garbage".to_vec()).await;
    api.invoke(event.clone())
        .await
        .expect("a broken upload does not break the function");
    assert_eq!(
        p.keys(&p.out, &alt_report).await.len(),
        1,
        "the last good component still ran"
    );
    assert!(
        f.logs().contains("refusing the new component"),
        "{}",
        f.logs()
    );

    // A component that compiles and keeps the contract, but traps in its
    // probe (a child process): never adopted, the last good one runs on.
    upload(std::fs::read(util::test_component("test-hostile")).unwrap()).await;
    api.invoke(event)
        .await
        .expect("a component that fails its probe does not break the function");
    assert_eq!(p.keys(&p.out, &alt_report).await.len(), 1, "alt-rules ran");
    assert!(f.logs().contains("failed its probe"), "{}", f.logs());
}

/// A Sigma rule on a call every generated partition holds.
fn sigma_rule(id: &str) -> Vec<u8> {
    format!(
        "title: Any GetObject\nid: {id}\nlevel: low\nlogsource:\n    product: aws\n    \
         service: cloudtrail\ndetection:\n    selection:\n        eventName: GetObject\n    \
         condition: selection\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigma_rules_under_a_prefix_are_reloaded_and_a_broken_set_keeps_the_last_good_one() {
    let p = pipeline("sigma", &small_spec()).await;
    let api = RuntimeApi::start().await;
    let consolidate = Function::start(&api, &p.env("consolidate", &[]), p.dir.path());
    api.invoke(manual_request()).await.unwrap();
    drop(consolidate);
    let part = p.manifests().await.remove(0);
    let one = part
        .trim_start_matches("consolidated/")
        .trim_end_matches("manifest.json");
    let findings_key = format!("reports/{one}findings.json");
    let rule_ids = || async {
        let doc = util::json(&util::get(&p.client, &p.out, &findings_key).await);
        let ids: std::collections::BTreeSet<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_owned())
            .filter(|id| id.starts_with("test."))
            .collect();
        util::delete(&p.client, &p.out, &findings_key).await;
        ids
    };

    // A cold start with a broken set: nothing good to fall back on, so
    // the invocation fails (and Lambda retries it).
    util::put(
        &p.client,
        &p.out,
        "sigma/broken.yml",
        b"title: [unclosed\n".to_vec(),
    )
    .await;
    let api = RuntimeApi::start().await;
    let f = Function::start(
        &api,
        &p.env(
            "analyze",
            &[("CTA_SIGMA_URI", format!("s3://{}/sigma/", p.out))],
        ),
        p.dir.path(),
    );
    let event = json!({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":p.logs},"object":{"key":part}}}]});
    let error = api.invoke(event.clone()).await.unwrap_err().to_string();
    assert!(
        error.contains("broken.yml") && error.contains("not YAML"),
        "{error}"
    );

    // Fixed: the rule runs at the next invocation.
    util::delete(&p.client, &p.out, "sigma/broken.yml").await;
    util::put(&p.client, &p.out, "sigma/one.yml", sigma_rule("test.one")).await;
    api.invoke(event.clone()).await.unwrap();
    assert_eq!(rule_ids().await, ["test.one".to_owned()].into());

    // A broken upload beside it: refused, the last good set runs on.
    util::put(
        &p.client,
        &p.out,
        "sigma/typo.yml",
        String::from_utf8(sigma_rule("test.typo"))
            .unwrap()
            .replace("eventName:", "eventName|contians:")
            .into_bytes(),
    )
    .await;
    api.invoke(event.clone()).await.unwrap();
    assert_eq!(rule_ids().await, ["test.one".to_owned()].into());
    assert!(f.logs().contains("refusing the rule files"), "{}", f.logs());
    assert!(f.logs().contains("unknown modifier"), "{}", f.logs());

    // Replaced by a good one: the new set runs.
    util::put(&p.client, &p.out, "sigma/typo.yml", sigma_rule("test.two")).await;
    api.invoke(event).await.unwrap();
    assert_eq!(
        rule_ids().await,
        ["test.one".to_owned(), "test.two".to_owned()].into()
    );
}

async fn queue_messages(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            return bodies;
        }
        for m in out.messages() {
            bodies.push(m.body().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_logs_publish_findings_to_sns_and_eventbridge_once() {
    let p = pipeline("alerts", &small_spec()).await;
    let moto = util::moto();
    let region = aws_sdk_sqs::config::Region::new("us-east-1");
    let creds = aws_sdk_sqs::config::Credentials::new("testing", "testing", None, None, "tests");
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region)
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_sqs::config::SharedCredentialsProvider::new(creds))
        .build();
    let sqs = aws_sdk_sqs::Client::new(&shared);
    let sns = aws_sdk_sns::Client::new(&shared);
    let events = aws_sdk_eventbridge::Client::new(&shared);

    let queue = |name: String| {
        let sqs = sqs.clone();
        async move {
            let url = sqs
                .create_queue()
                .queue_name(name)
                .send()
                .await
                .unwrap()
                .queue_url()
                .unwrap()
                .to_owned();
            let arn = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap()
                .attributes()
                .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
                .clone();
            (url, arn)
        }
    };
    let (sns_queue, sns_queue_arn) = queue(format!("{}-sns", p.out)).await;
    let topic = sns
        .create_topic()
        .name(format!("{}-findings", p.out))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&sns_queue_arn)
        .send()
        .await
        .unwrap();
    let (bus_queue, bus_queue_arn) = queue(format!("{}-bus", p.out)).await;
    let bus = format!("{}-bus", p.out);
    events.create_event_bus().name(&bus).send().await.unwrap();
    events
        .put_rule()
        .name("findings")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":["cloudtrail-analyzer"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("findings")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&bus_queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let api = RuntimeApi::start().await;
    let env = p.env(
        "analyze",
        &[
            ("CTA_SNS_TOPIC_ARN", topic.clone()),
            ("CTA_EVENT_BUS_NAME", bus.clone()),
        ],
    );
    let f = Function::start(&api, &env, p.dir.path());
    let raw = p.raw_log_keys().await;
    let deliver_all = || async {
        let mut sent = 0;
        let mut already = 0;
        for key in &raw {
            let event = json!({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":p.logs},"object":{"key":key}}}]});
            let answer = api
                .invoke(event)
                .await
                .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
            let alerts = &answer["analyzed"][0]["alerts"];
            sent += alerts["sent"].as_u64().unwrap();
            already += alerts["already_sent"].as_u64().unwrap();
        }
        (sent, already)
    };
    let (sent, already) = deliver_all().await;
    assert!(sent > 0, "the sample logs hold findings");
    assert_eq!(already, 0);
    let via_sns = queue_messages(&sqs, &sns_queue).await;
    let via_bus = queue_messages(&sqs, &bus_queue).await;
    assert_eq!(via_sns.len() as u64, sent, "one SNS message per finding");
    assert_eq!(
        via_bus.len() as u64,
        sent,
        "one EventBridge event per finding"
    );
    assert!(via_sns[0].contains("rule_id"), "{}", via_sns[0]);

    // Every notification delivered again: nothing is sent twice.
    let (sent_again, already_again) = deliver_all().await;
    assert_eq!((sent_again, already_again), (0, sent));
    assert!(queue_messages(&sqs, &sns_queue).await.is_empty());
    assert!(queue_messages(&sqs, &bus_queue).await.is_empty());
    // Raw logs are only read for findings: they stay, and no report is written.
    assert_eq!(p.raw_log_keys().await.len(), raw.len());
    assert!(p.keys(&p.out, "reports/").await.is_empty());
}

/// An SNS topic whose messages land in an SQS queue, to count what was
/// published.
struct Findings {
    sqs: aws_sdk_sqs::Client,
    topic: String,
    queue: String,
}

async fn findings_topic(name: &str) -> Findings {
    let moto = util::moto();
    let creds = aws_sdk_sqs::config::Credentials::new("testing", "testing", None, None, "tests");
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_sqs::config::SharedCredentialsProvider::new(creds))
        .build();
    let sqs = aws_sdk_sqs::Client::new(&shared);
    let sns = aws_sdk_sns::Client::new(&shared);
    let queue = sqs
        .create_queue()
        .queue_name(format!("{name}-findings"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let topic = sns
        .create_topic()
        .name(format!("{name}-findings"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    Findings { sqs, topic, queue }
}

impl Findings {
    /// The messages published since the last call.
    async fn published(&self) -> Vec<String> {
        queue_messages(&self.sqs, &self.queue).await
    }
}

fn s3_event(bucket: &str, key: &str) -> Value {
    json!({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":bucket},"object":{"key":key}}}]})
}

/// Resolves when the function's process has exited.
async fn exited(f: &mut Function) {
    while f.wait_exit(Duration::from_millis(1)).is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every finding marker of the output bucket, by key → its body.
async fn markers(p: &Pipeline) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for key in p.keys(&p.out, "findings-sent/").await {
        let body = util::get(&p.client, &p.out, &key).await;
        out.insert(key, util::json(&body));
    }
    out
}

/// The messages' SNS `Message` fields, each once, and how many came twice.
fn distinct_messages(bodies: &[String]) -> (std::collections::BTreeSet<String>, usize) {
    let mut seen = std::collections::BTreeSet::new();
    let mut twice = 0;
    for b in bodies {
        let v: Value = serde_json::from_str(b).unwrap();
        if !seen.insert(v["Message"].as_str().unwrap_or(b).to_owned()) {
            twice += 1;
        }
    }
    (seen, twice)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_claimed_by_a_delivery_that_died_is_published_after_the_lease() {
    let p = pipeline("lease", &small_spec()).await;
    let findings = findings_topic(&p.out).await;
    let lease = Duration::from_secs(20);
    let env = |extra: &[(&str, String)]| {
        let mut vars = vec![
            ("CTA_SNS_TOPIC_ARN", findings.topic.clone()),
            ("CTA_ALERT_LEASE_SECS", lease.as_secs().to_string()),
        ];
        vars.extend(extra.iter().cloned());
        p.env("analyze", &vars)
    };

    // A function that dies right after its first claim, as a timeout or an
    // out-of-memory kill would: files without findings are answered, the
    // first with one kills it.
    let api = RuntimeApi::start().await;
    let mut dying = Function::start(
        &api,
        &env(&[("CTA_FAULT", "exit-after-claim".into())]),
        p.dir.path(),
    );
    let mut crashed_on = None;
    for key in p.raw_log_keys().await {
        let answered = tokio::select! {
            answer = api.invoke(s3_event(&p.logs, &key)) => Some(answer),
            _ = exited(&mut dying) => None,
        };
        let Some(answer) = answered else {
            crashed_on = Some(key);
            break;
        };
        let answer = answer.unwrap_or_else(|e| panic!("{e}\n{}", dying.logs()));
        assert_eq!(answer["analyzed"][0]["alerts"]["sent"], 0, "{answer}");
    }
    let key = crashed_on.expect("the sample logs hold findings");
    assert!(
        dying.logs().contains("exit-after-claim"),
        "{}",
        dying.logs()
    );
    let claimed = markers(&p).await;
    assert_eq!(claimed.len(), 1, "one claim before the crash: {claimed:?}");
    let claim = claimed.values().next().unwrap().clone();
    assert_eq!(claim["state"], "pending", "{claim}");
    assert!(
        findings.published().await.is_empty(),
        "nothing was published"
    );

    // Redelivered within the lease: the claim may belong to a live
    // delivery, so it is neither taken over nor counted as sent; the
    // invocation fails, to be retried.
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &env(&[]), p.dir.path());
    let event = s3_event(&p.logs, &key);
    let early = api.invoke(event.clone()).await;
    let claimed_at = Duration::from_millis(claim["at_ms"].as_u64().unwrap());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert!(
        now < claimed_at + lease,
        "the machine is too slow for this test: the retry came after the lease"
    );
    let error = early.expect_err("a live claim is not counted as sent");
    assert!(
        error.to_string().contains("claimed by another delivery"),
        "{error}\n{}",
        f.logs()
    );
    let early_published = findings.published().await;

    // After the lease the claim is taken over and the alert published.
    tokio::time::sleep((claimed_at + lease + Duration::from_secs(1)).saturating_sub(now)).await;
    let answer = api
        .invoke(event)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let alerts = &answer["analyzed"][0]["alerts"];
    assert_eq!(alerts["taken_over"], 1, "{answer}");
    assert_eq!(alerts["sent"], 1, "{answer}");
    let late_published = findings.published().await;
    assert_eq!(late_published.len(), 1, "the abandoned alert, once");
    let mut all = early_published;
    all.extend(late_published);
    let (distinct, twice) = distinct_messages(&all);
    assert_eq!(twice, 0, "nothing published twice");
    let total = alerts["sent"].as_u64().unwrap() + alerts["already_sent"].as_u64().unwrap();
    assert_eq!(
        distinct.len() as u64,
        total,
        "every alert of the file, once"
    );
    let states = markers(&p).await;
    assert_eq!(states.len() as u64, total);
    assert!(states.values().all(|m| m["state"] == "sent"), "{states:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_publishes_release_their_claims_and_409_conflicts_are_retried() {
    let p = pipeline("conflict", &small_spec()).await;
    let findings = findings_topic(&p.out).await;
    let raw = p.raw_log_keys().await;

    // Publishing fails (no such topic): the claim is released, not left
    // counting as sent.
    let api = RuntimeApi::start().await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic".to_owned();
    let f = Function::start(
        &api,
        &p.env("analyze", &[("CTA_SNS_TOPIC_ARN", missing)]),
        p.dir.path(),
    );
    let mut failed = false;
    for key in &raw {
        if let Err(e) = api.invoke(s3_event(&p.logs, key)).await {
            assert!(e.to_string().contains("cannot publish"), "{e}");
            failed = true;
            break;
        }
    }
    assert!(failed, "the sample logs hold findings\n{}", f.logs());
    drop(f);
    let released = markers(&p).await;
    assert_eq!(released.len(), 1, "{released:?}");
    assert!(
        released.values().all(|m| m["state"] == "released"),
        "{released:?}"
    );

    // Every S3 conditional write of a marker first meets two 409
    // ConditionalRequestConflict answers (from a proxy in front of S3):
    // retried, never read as "already sent".
    let proxy = util::FaultProxy::start(&util::moto().endpoint);
    proxy.fail(util::Fault {
        method: "PUT",
        target: "/findings-sent/".into(),
        times: 2,
        status: 409,
        code: "ConditionalRequestConflict",
        effect: util::Effect::Answer,
    });
    let api = RuntimeApi::start().await;
    let f = Function::start(
        &api,
        &p.env(
            "analyze",
            &[
                ("CTA_SNS_TOPIC_ARN", findings.topic.clone()),
                ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
            ],
        ),
        p.dir.path(),
    );
    let (mut sent, mut already, mut taken_over) = (0, 0, 0);
    for key in &raw {
        let answer = api
            .invoke(s3_event(&p.logs, key))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
        let alerts = &answer["analyzed"][0]["alerts"];
        sent += alerts["sent"].as_u64().unwrap();
        already += alerts["already_sent"].as_u64().unwrap();
        taken_over += alerts["taken_over"].as_u64().unwrap();
    }
    assert_eq!(proxy.injected(), 2, "the faults were met");
    assert!(
        f.logs().contains("ConditionalRequestConflict"),
        "{}",
        f.logs()
    );
    assert_eq!(already, 0, "nothing was sent before");
    assert_eq!(taken_over, 1, "the released claim was taken over at once");
    let published = findings.published().await;
    let (distinct, twice) = distinct_messages(&published);
    assert_eq!((published.len() as u64, twice), (sent, 0));
    assert_eq!(distinct.len() as u64, sent);
    let states = markers(&p).await;
    assert_eq!(states.len() as u64, sent);
    assert!(states.values().all(|m| m["state"] == "sent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_that_cannot_be_fetched_at_cold_start_is_fetched_again_not_replaced() {
    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, "fetch-logs").await;
    let out = util::bucket(&client, "fetch-out").await;
    let alt = std::fs::read(util::test_component("test-alt-rules")).unwrap();
    util::put(&client, &out, "components/analyzer.wasm", alt).await;
    let part = "consolidated/123456789012/us-east-1/2026/11/01/manifest.json";
    util::put_committed_log(&client, &logs, part, gzip(br#"{"Records":[]}"#), 0).await;
    let dir = tempfile::tempdir().unwrap();

    // HEAD of the component works, every GET of it fails (503 SlowDown, so
    // the SDK's own retries fail too): a transient S3 error at cold start.
    let proxy = util::FaultProxy::start(&moto.endpoint);
    proxy.fail(util::Fault {
        method: "GET",
        target: "/components/analyzer.wasm".into(),
        times: u32::MAX,
        status: 503,
        code: "SlowDown",
        effect: util::Effect::Answer,
    });
    let api = RuntimeApi::start().await;
    let env = vec![
        ("CTA_FUNCTION", "analyze".to_owned()),
        ("CTA_LOG_BUCKET", logs.clone()),
        ("CTA_OUTPUT_BUCKET", out.clone()),
        ("CTA_CACHE_DIR", util::cache_dir().display().to_string()),
        (
            "CTA_COMPONENT_URI",
            format!("s3://{out}/components/analyzer.wasm"),
        ),
        ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
    ];
    let f = Function::start(&api, &env, dir.path());
    let event = s3_event(&logs, part);
    let error = api
        .invoke(event.clone())
        .await
        .expect_err("no component to run: the invocation fails, to be retried");
    assert!(
        error.to_string().contains("cannot fetch the component"),
        "{error}\n{}",
        f.logs()
    );
    assert!(proxy.injected() > 0);
    let report_dir = "reports/123456789012/us-east-1/2026/11/01/";
    let written = |client: aws_sdk_s3::Client, out: String| async move {
        let listed = client
            .list_objects_v2()
            .bucket(&out)
            .prefix(report_dir)
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(|k| k.trim_start_matches(report_dir).to_owned()))
            .collect::<Vec<_>>()
    };
    assert!(
        written(client.clone(), out.clone()).await.is_empty(),
        "the default rules did not stand in"
    );

    // S3 recovers: the next invocation of the same process fetches and
    // runs the uploaded component.
    proxy.clear();
    api.invoke(event)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let files = written(client.clone(), out.clone()).await;
    assert!(
        files.contains(&"alt.json".to_owned()),
        "the uploaded component ran: {files:?}\n{}",
        f.logs()
    );
}

/// Buckets with one empty consolidated part, the component `component` at
/// components/analyzer.wasm, and an analyze function's environment that
/// pins `pin`.
async fn pinned(hint: &str, component: Vec<u8>, pin: &str) -> Pinned {
    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, &format!("{hint}-logs")).await;
    let out = util::bucket(&client, &format!("{hint}-out")).await;
    util::put(&client, &out, "components/analyzer.wasm", component).await;
    util::put_committed_log(&client, &logs, PINNED_PART, gzip(br#"{"Records":[]}"#), 0).await;
    let env = vec![
        ("CTA_FUNCTION", "analyze".to_owned()),
        ("CTA_LOG_BUCKET", logs.clone()),
        ("CTA_OUTPUT_BUCKET", out.clone()),
        ("CTA_CACHE_DIR", util::cache_dir().display().to_string()),
        (
            "CTA_COMPONENT_URI",
            format!("s3://{out}/components/analyzer.wasm"),
        ),
        ("CTA_COMPONENT_SHA256", pin.to_owned()),
    ];
    Pinned {
        client,
        logs,
        out,
        env,
        dir: tempfile::tempdir().unwrap(),
    }
}

const PINNED_PART: &str = "consolidated/123456789012/us-east-1/2026/11/01/manifest.json";
const PINNED_REPORT: &str = "reports/123456789012/us-east-1/2026/11/01/";

struct Pinned {
    client: aws_sdk_s3::Client,
    logs: String,
    out: String,
    env: Vec<(&'static str, String)>,
    dir: tempfile::TempDir,
}

impl Pinned {
    fn event(&self) -> Value {
        s3_event(&self.logs, PINNED_PART)
    }

    /// The report files written for the part, emptied for the next run.
    async fn take_report(&self) -> Vec<String> {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.out)
            .prefix(PINNED_REPORT)
            .send()
            .await
            .unwrap();
        let mut files = Vec::new();
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            files.push(key.trim_start_matches(PINNED_REPORT).to_owned());
            self.client
                .delete_object()
                .bucket(&self.out)
                .key(key)
                .send()
                .await
                .unwrap();
        }
        files
    }
}

fn digest(bytes: &[u8]) -> String {
    host::runtime::ComponentPin::digest_of(bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_component_runs_and_a_later_upload_that_does_not_match_is_refused() {
    let alt = std::fs::read(util::test_component("test-alt-rules")).unwrap();
    let pin = digest(&alt);
    let p = pinned("pin-swap", alt.clone(), &pin).await;
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env, p.dir.path());
    api.invoke(p.event())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let files = p.take_report().await;
    assert!(
        files.contains(&"alt.json".to_owned()),
        "the pinned component ran: {files:?}"
    );

    // A good component, but not the pinned one: refused like a broken
    // upload, and the pinned one keeps running.
    let default = host::runtime::DEFAULT_COMPONENT.to_vec();
    util::put(
        &p.client,
        &p.out,
        "components/analyzer.wasm",
        default.clone(),
    )
    .await;
    api.invoke(p.event())
        .await
        .unwrap_or_else(|e| panic!("an unpinned upload does not break the function: {e}"));
    let files = p.take_report().await;
    assert!(
        files.contains(&"alt.json".to_owned()) && !files.contains(&"insights.json".to_owned()),
        "the pinned component still ran, not the upload: {files:?}"
    );
    let logs = f.logs();
    assert!(logs.contains("refusing the new component"), "{logs}");
    assert!(
        logs.contains(&format!(
            "its SHA-256 is {}, but CTA_COMPONENT_SHA256 pins {pin}",
            digest(&default)
        )),
        "{logs}"
    );

    // The pinned bytes uploaded again (a new ETag) load again.
    util::put(&p.client, &p.out, "components/analyzer.wasm", alt).await;
    api.invoke(p.event())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    assert!(p.take_report().await.contains(&"alt.json".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_cold_start_a_component_that_does_not_match_the_pin_fails_the_invocation() {
    let alt = std::fs::read(util::test_component("test-alt-rules")).unwrap();
    let pin = digest(&alt);
    // The object is a good component, the embedded default, but not the
    // pinned one; nor may the default stand in for it.
    let default = host::runtime::DEFAULT_COMPONENT.to_vec();
    let p = pinned("pin-cold", default.clone(), &pin).await;
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &p.env, p.dir.path());
    for _ in 0..2 {
        let error = api
            .invoke(p.event())
            .await
            .expect_err("nothing matching the pin to run: the invocation fails");
        let error = error.to_string();
        assert!(
            error.contains(&format!(
                "its SHA-256 is {}, but CTA_COMPONENT_SHA256 pins {pin}",
                digest(&default)
            )) && error.contains("no component matching CTA_COMPONENT_SHA256 is loaded"),
            "{error}\n{}",
            f.logs()
        );
        assert!(
            p.take_report().await.is_empty(),
            "no rules ran in place of the pinned ones"
        );
    }
    // Refused once: the second invocation saw the same ETag and did not
    // fetch or check it again.
    assert_eq!(
        f.logs().matches("nothing matching the pin to run").count(),
        1,
        "{}",
        f.logs()
    );

    // The pinned component is uploaded: the next invocation runs it.
    util::put(&p.client, &p.out, "components/analyzer.wasm", alt).await;
    api.invoke(p.event())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    assert!(p.take_report().await.contains(&"alt.json".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_pin_or_one_nothing_can_match_stops_the_function_at_start() {
    let alt = std::fs::read(util::test_component("test-alt-rules")).unwrap();
    let p = pinned("pin-start", alt.clone(), "not-a-digest").await;
    let api = RuntimeApi::start().await;
    let mut f = Function::start(&api, &p.env, p.dir.path());
    let status = f.wait_exit(Duration::from_secs(60)).expect("it stops");
    assert!(!status.success());
    assert!(
        f.logs().contains(
            "CTA_COMPONENT_SHA256 must be the component's SHA-256 as 64 hexadecimal digits"
        ),
        "{}",
        f.logs()
    );

    // No component URI: only the embedded default could run, and it is not
    // the pinned component.
    let env: Vec<_> = p
        .env
        .iter()
        .filter(|(k, _)| *k != "CTA_COMPONENT_URI")
        .map(|(k, v)| {
            let v = if *k == "CTA_COMPONENT_SHA256" {
                digest(&alt)
            } else {
                v.clone()
            };
            (*k, v)
        })
        .collect();
    let mut f = Function::start(&api, &env, p.dir.path());
    let status = f.wait_exit(Duration::from_secs(60)).expect("it stops");
    assert!(!status.success());
    assert!(
        f.logs()
            .contains("no CTA_COMPONENT_URI is set, so only the embedded default could run"),
        "{}",
        f.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_log_cleaned_up_before_its_notification_is_analyzed_by_version() {
    // One raw log with findings, in a versioned bucket (as Terraform makes
    // it); consolidation deletes the key before analyze gets to it.
    let p = pipeline("version", &small_spec()).await;
    p.client
        .put_bucket_versioning()
        .bucket(&p.logs)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let findings = findings_topic(&p.out).await;
    let env = p.env("analyze", &[("CTA_SNS_TOPIC_ARN", findings.topic.clone())]);
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &env, p.dir.path());

    // A raw log with a critical finding (logging stopped), under a raw key.
    let record = json!({"eventVersion":"1.08","eventID":"7c1e8f7a-0000-4000-8000-000000000001",
        "eventTime":"2026-11-01T00:10:00Z","eventSource":"cloudtrail.amazonaws.com",
        "eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9",
        "eventType":"AwsApiCall","recipientAccountId":"123456789012",
        "userIdentity":{"type":"IAMUser","accountId":"123456789012",
            "arn":"arn:aws:iam::123456789012:user/mallory","userName":"mallory"}});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        json!({ "Records": [record] }).to_string().as_bytes(),
    )
    .unwrap();
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/01/\
               123456789012_CloudTrail_us-east-1_20261101T0015Z_VersionedRawLog1.json.gz";
    let put = p
        .client
        .put_object()
        .bucket(&p.logs)
        .key(key)
        .body(gz.finish().unwrap().into())
        .send()
        .await
        .unwrap();
    let version = put.version_id().expect("a versioned bucket").to_owned();
    p.client
        .delete_object()
        .bucket(&p.logs)
        .key(key)
        .send()
        .await
        .unwrap();

    // Without the version (how notifications were read before), the key is gone.
    let unversioned = api.invoke(s3_event(&p.logs, key)).await;
    assert!(
        unversioned.is_err(),
        "the latest version is a delete marker"
    );

    let event = json!({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":p.logs},
        "object":{"key":key,"versionId":version}}}]});
    let answer = api
        .invoke(event)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let sent = answer["analyzed"][0]["alerts"]["sent"].as_u64().unwrap();
    assert!(sent > 0, "{answer}");
    assert_eq!(findings.published().await.len() as u64, sent);
}

/// A raw log whose first 20,000 records are access-denied calls (cheap low
/// findings) and whose last is the root user creating an access key
/// (critical): the critical finding is published, and no low one is.
#[tokio::test(flavor = "multi_thread")]
async fn a_critical_event_after_20000_access_denied_records_is_alerted() {
    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, "flood-logs").await;
    let out = util::bucket(&client, "flood-out").await;
    let findings = findings_topic(&out).await;
    let record = |i: u32, source: &str, name: &str, identity: Value| {
        json!({
            "eventVersion": "1.08",
            "eventID": format!("flood-{i:05}"),
            "eventTime": format!("2026-11-01T{:02}:{:02}:{:02}Z", i / 3600, i / 60 % 60, i % 60),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
            "userIdentity": identity,
        })
    };
    let mut records: Vec<Value> = (0..20_000)
        .map(|i| {
            let user = json!({"type": "IAMUser", "accountId": "111122223333",
                              "arn": "arn:aws:iam::111122223333:user/prober"});
            let mut r = record(i, "ec2.amazonaws.com", "DescribeInstances", user);
            r["errorCode"] = json!("Client.UnauthorizedOperation");
            r
        })
        .collect();
    let root = json!({"type": "Root", "accountId": "111122223333",
                      "arn": "arn:aws:iam::111122223333:root"});
    records.push(record(
        20 * 3600,
        "iam.amazonaws.com",
        "CreateAccessKey",
        root,
    ));
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/\
               111122223333_CloudTrail_us-east-1_20261101T2000Z_flood.json.gz";
    let body = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    util::put(&client, &logs, key, gzip(&body)).await;

    let api = RuntimeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("CTA_FUNCTION", "analyze".to_owned()),
        ("CTA_LOG_BUCKET", logs.clone()),
        ("CTA_OUTPUT_BUCKET", out.clone()),
        ("CTA_CACHE_DIR", util::cache_dir().display().to_string()),
        ("CTA_SNS_TOPIC_ARN", findings.topic.clone()),
    ];
    let f = Function::start(&api, &env, dir.path());
    let answer = api
        .invoke(s3_event(&logs, key))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    let analyzed = &answer["analyzed"][0];
    assert_eq!(analyzed["events"], 20_001, "{answer}");
    // The critical (CTA.3) and the root activity (CloudWatch.1, high): the
    // 20,000 low findings and the bursts (medium) are not alerts.
    assert_eq!(analyzed["alerts"]["sent"], 2, "{answer}");
    let published = findings.published().await;
    let messages: Vec<Value> = published
        .iter()
        .map(|b| {
            serde_json::from_str(util::json(b.as_bytes())["Message"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(messages.len(), 2, "{published:?}");
    let critical = messages
        .iter()
        .find(|m| m["severity"] == "critical")
        .unwrap_or_else(|| panic!("no critical alert: {messages:?}"));
    assert_eq!(critical["rule_id"], "CTA.3");
    assert_eq!(critical["event_id"], "flood-72000");
    assert!(messages.iter().all(|m| m["severity"] != "low"));
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_files_left_behind_the_planning_window_raise_a_metric() {
    // A one-day window (today); one raw file of yesterday that no plan will
    // consolidate any more, and nothing else in the bucket.
    let moto = util::moto();
    let client = moto.client().await;
    let logs = util::bucket(&client, "stranded-logs").await;
    let out = util::bucket(&client, "stranded-out").await;
    let yesterday = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400
        - 1;
    let (y, m, d) = civil_from_days(yesterday as i64);
    let key = format!(
        "AWSLogs/123456789012/CloudTrail/us-east-1/{y:04}/{m:02}/{d:02}/\
         123456789012_CloudTrail_us-east-1_{y:04}{m:02}{d:02}T2355Z_Stranded0000001.json.gz"
    );
    util::put(&client, &logs, &key, b"{\"Records\":[]}".to_vec()).await;
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&'static str, String)> = vec![
        ("CTA_FUNCTION", "consolidate".into()),
        ("CTA_LOG_BUCKET", logs.clone()),
        ("CTA_OUTPUT_BUCKET", out.clone()),
        ("CTA_CACHE_DIR", util::cache_dir().display().to_string()),
        ("CTA_WINDOW_DAYS", "1".into()),
    ];
    let api = RuntimeApi::start().await;
    let f = Function::start(&api, &env, dir.path());
    let answer = api
        .invoke(manual_request())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", f.logs()));
    assert_eq!(answer["raw_files_past_window"], 1, "{answer}");
    assert_eq!(answer["planned"], 0, "{answer}");
    let logs = f.logs();
    let metric = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("RawFilesPastWindow").is_some())
        .unwrap_or_else(|| panic!("no RawFilesPastWindow metric line:\n{logs}"));
    assert_eq!(metric["RawFilesPastWindow"], 1);
    assert_eq!(
        metric["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "cloudtrail-analyzer"
    );
    assert!(
        logs.contains("raw files past the planning window"),
        "{logs}"
    );
}

/// Year, month and day of a count of days since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
