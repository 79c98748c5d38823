//! The CLI against a real S3-compatible server (moto) on 127.0.0.1.

use super::util::{self, gzip, json, run, text};

const LOG: &[u8] = br#"{"Records":[{"eventName":"GetObject","eventID":"a"}]}"#;

#[tokio::test]
async fn lists_more_than_a_thousand_keys_and_writes_artifacts() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "list").await;
    let body = gzip(LOG);
    let mut puts = Vec::new();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    for i in 0..1105 {
        let (client, bucket, body) = (client.clone(), bucket.clone(), body.clone());
        let permit = permits.clone().acquire_owned().await.unwrap();
        puts.push(tokio::spawn(async move {
            util::put(
                &client,
                &bucket,
                &format!("AWSLogs/1/CloudTrail/us-east-1/2026/11/01/f{i:05}.json.gz"),
                body,
            )
            .await;
            drop(permit);
        }));
    }
    for p in puts {
        p.await.unwrap();
    }
    let result = run(moto.bin().args([
        "analyze",
        &format!("s3://{bucket}/AWSLogs/"),
        "--out",
        &format!("s3://{bucket}/reports/run1"),
    ]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(text(&result.stdout).contains(&format!("s3://{bucket}/reports/run1/insights.json")));
    let insights = json(&util::get(&client, &bucket, "reports/run1/insights.json").await);
    assert_eq!(insights["total_events"], 1105);
    assert_eq!(insights["summary"]["inputs"], 1105);
}

#[tokio::test]
async fn a_stream_that_stalls_inside_a_call_is_stopped_by_the_wall_clock_limit() {
    // The object's body stops halfway for 40 s while the component reads
    // it: no wasm runs, the component waits in a host call, and only the
    // wall-clock half of the time limit can stop it.
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "stall").await;
    let records: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"eventName":"GetObject","eventID":"{i}"}}"#))
        .collect();
    let log = format!("{{\"Records\":[{}]}}", records.join(","));
    util::put(&client, &bucket, "stalls.json", log.into_bytes()).await;
    let proxy = util::FaultProxy::start(&moto.endpoint);
    proxy.fail(util::Fault {
        method: "GET",
        target: "/stalls.json".into(),
        times: u32::MAX,
        status: 0,
        code: "",
        effect: util::Effect::StallBody(std::time::Duration::from_secs(40)),
    });
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let result = run(moto
        .bin()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args(["analyze", &format!("s3://{bucket}/stalls.json"), "--out"])
        .arg(dir.path())
        .args(["--time-limit-secs", "3"]));
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "exceeded its time limit of 3 s (--time-limit-secs) while waiting in a host call"
        ),
        "{stderr}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "stopped well before the stream resumed"
    );
}

#[tokio::test]
async fn streams_a_large_object() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "large").await;
    // ~60 MB of JSON, far larger than the 32 MiB the component may use.
    let record = format!(
        r#"{{"eventName":"PutObject","eventID":"{{}}","requestParameters":{{"pad":"{}"}}}}"#,
        "x".repeat(500)
    );
    let n = 120_000;
    let mut log = b"{\"Records\":[".to_vec();
    for i in 0..n {
        if i > 0 {
            log.push(b',');
        }
        log.extend(record.replace("{}", &i.to_string()).as_bytes());
    }
    log.extend(b"]}");
    assert!(log.len() > 60_000_000);
    util::put(&client, &bucket, "big.json.gz", gzip(&log)).await;
    let dir = tempfile::tempdir().unwrap();
    let result = run(moto.bin().args([
        "analyze",
        &format!("s3://{bucket}/big.json.gz"),
        "--out",
        dir.path().to_str().unwrap(),
        "--memory-limit-mb",
        "32",
    ]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let insights = json(&std::fs::read(dir.path().join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], n);
}

#[tokio::test]
async fn missing_bucket_or_key_is_a_clear_error() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "missing").await;
    util::put(&client, &bucket, "ok.json", LOG.to_vec()).await;
    let dir = tempfile::tempdir().unwrap();
    let result = run(moto.bin().args([
        "analyze",
        "s3://no-such-bucket-cta/x",
        &format!("s3://{bucket}/ok.json"),
        "--out",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("s3://no-such-bucket-cta/x") && stderr.contains("bucket does not exist"),
        "{stderr}"
    );
    let insights = json(&std::fs::read(dir.path().join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], 1);

    let result = run(moto.bin().args([
        "aggregate",
        &format!("s3://{bucket}/nope.json"),
        "--out",
        dir.path().join("x.json.gz").to_str().unwrap(),
    ]));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("no objects under this prefix") || stderr.contains("no such object"),
        "{stderr}"
    );

    let result = run(moto.bin().args([
        "component",
        "info",
        "--component",
        &format!("s3://{bucket}/missing.wasm"),
    ]));
    assert_eq!(result.status.code(), Some(2));
    assert!(
        text(&result.stderr).contains("no such object"),
        "{}",
        text(&result.stderr)
    );
}

#[tokio::test]
async fn aggregates_into_s3() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "agg").await;
    util::put(&client, &bucket, "in/a.json.gz", gzip(LOG)).await;
    util::put(&client, &bucket, "in/b.json", LOG.to_vec()).await;
    let result = run(moto.bin().args([
        "aggregate",
        &format!("s3://{bucket}/in/"),
        "--out",
        &format!("s3://{bucket}/out/day.json.gz"),
    ]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(text(&result.stderr).contains("2 records in, 1 duplicates removed, 1 records out"));
    let body = util::get(&client, &bucket, "out/day.json.gz").await;
    let mut s = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut s).unwrap();
    assert_eq!(json(s.as_bytes())["Records"].as_array().unwrap().len(), 1);
}
