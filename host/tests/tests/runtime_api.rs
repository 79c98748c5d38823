//! A Lambda Runtime API endpoint on 127.0.0.1, speaking the documented
//! protocol (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`,
//! `…/{id}/error`), so the real binary runs its real `lambda_runtime` loop
//! in the tests. Deliberately small: HTTP/1.1, one request at a time per
//! connection, `Content-Length` or chunked bodies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Result<Value, Value>>>>>;

pub struct RuntimeApi {
    pub address: String,
    events: mpsc::UnboundedSender<(String, Value)>,
    pending: Pending,
    counter: std::sync::atomic::AtomicU64,
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn read_request(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).await.ok()?;
            let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).await.ok()?;
    }
    Some(Request { method, path, body })
}

async fn serve_connection(
    stream: TcpStream,
    events: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    pending: Pending,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Some(request) = read_request(&mut reader).await {
        let response = if request.method == "GET"
            && request.path.ends_with("/runtime/invocation/next")
        {
            let Some((id, event)) = events.lock().await.recv().await else {
                return;
            };
            let body = event.to_string();
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 900_000;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:cta-test\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        } else if request.method == "POST" && request.path.contains("/runtime/invocation/") {
            let rest = request
                .path
                .split("/runtime/invocation/")
                .nth(1)
                .unwrap_or_default();
            let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
            let value: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            if let Some(tx) = pending.lock().unwrap().remove(id) {
                let _ = tx.send(if kind == "response" {
                    Ok(value)
                } else {
                    Err(value)
                });
            }
            "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".to_owned()
        } else {
            "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".to_owned()
        };
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (tx, rx) = mpsc::unbounded_channel();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let pending: Pending = Arc::default();
        let serve_pending = pending.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, rx.clone(), serve_pending.clone()));
            }
        });
        RuntimeApi {
            address,
            events: tx,
            pending,
            counter: Default::default(),
        }
    }

    /// Delivers `event` to the function and waits (bounded) for its answer.
    pub async fn invoke(&self, event: Value) -> Result<Value, Value> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("req-{n}");
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id.clone(), tx);
        self.events.send((id, event)).unwrap();
        tokio::time::timeout(Duration::from_secs(300), rx)
            .await
            .expect("the function answered within 300 s")
            .expect("the runtime API stayed up")
    }
}

/// The real binary in Lambda mode, logging into a file; killed on drop.
pub struct Function {
    child: Child,
    pub log: PathBuf,
}

impl Function {
    /// The host binary built for this machine.
    pub fn start(api: &RuntimeApi, env: &[(&str, String)], dir: &Path) -> Function {
        Function::start_with(super::util::moto().bin(), api, env, dir)
    }

    /// Any program (the packaged binary under qemu, say), with the same
    /// Runtime API, S3 server and environment.
    pub fn start_with(
        mut cmd: std::process::Command,
        api: &RuntimeApi,
        env: &[(&str, String)],
        dir: &Path,
    ) -> Function {
        let log = dir.join(format!("function-{}.log", rand_suffix()));
        let log_file = std::fs::File::create(&log).unwrap();
        let moto = super::util::moto();
        cmd.env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "cta-test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/cta-test")
            .env("RUST_LOG", "info")
            // Both streams into one file, as Lambda sends both to CloudWatch
            // Logs (metrics are stdout lines in Embedded Metric Format).
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Function {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits (bounded) for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.kill();
    }
}

fn rand_suffix() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
