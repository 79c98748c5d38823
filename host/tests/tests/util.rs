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
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let target_dir = PathBuf::from(env!("CTA_GUEST_TARGET_DIR"));
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

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes the generator's small sample set into `dir`.
pub fn sample_logs(dir: &Path) -> loggen::Summary {
    loggen::write_to_dir(&loggen::Spec::small(), dir).unwrap()
}

/// A moto S3 server on 127.0.0.1, shared by the tests of one run. A small
/// Python watchdog owns it and kills it when this process's pipe closes, so
/// the server never outlives the tests.
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
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = format!(
            "import subprocess, sys\n\
             p = subprocess.Popen(['moto_server', '-H', '127.0.0.1', '-p', '{port}'],\n\
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
    })
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
