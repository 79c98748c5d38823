//! Probe before adopt: a component the host has not run before is compiled
//! and exercised in a child process (this same binary, `component probe`)
//! before the host loads it itself. The child gets no environment, and the
//! parent watches it: past `PROBE_TIME`, or past a memory bound derived
//! from `--memory-limit-mb`, it is killed. So a component that crashes the
//! compiler, compiles forever, or traps or breaks a limit on a tiny input
//! is refused with a message, and (in Lambda) the last good one keeps
//! running.
//!
//! The exercise is the contract's calls on a one-record log with no fields
//! (`{"Records":[{}]}`): `info`, an analysis with its artifacts, and a
//! consolidation. A contract error the component returns (a consolidator it
//! does not have, say) is an answer, not a failure; a trap, a limit or a
//! crash is.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::io::AsyncReadExt;

use super::component::is_refusal;
use super::{Analyzer, Limits, untrusted};
use crate::consolidate::Consolidating;

/// The longest a probe may take, compilation included.
pub const PROBE_TIME: Duration = Duration::from_secs(120);

/// Room for the compiler and the runtime, over the component's own memory.
const PROBE_EXTRA_BYTES: u64 = 512 << 20;

/// What the child's stderr may add to an error message.
const STDERR_BYTES: u64 = 16 << 10;

/// The most resident memory the probe's process may reach: twice the
/// component's memory limit (its memories, and the host's copies of what
/// it hands over) plus room to compile.
pub fn memory_bound(limits: &Limits) -> u64 {
    limits.memory_bytes.saturating_mul(2) + PROBE_EXTRA_BYTES
}

const PROBE_LOG: &[u8] = br#"{"Records":[{}]}"#;

/// Runs the exercise in this process: what the child does.
pub async fn exercise(analyzer: &Analyzer, config: &str) -> Result<()> {
    let tolerate = |result: Result<()>| match result {
        Err(e) if !is_refusal(&e) => Err(e),
        _ => Ok(()),
    };
    let mut instance = analyzer.instantiate().await?;
    tolerate(
        async {
            let session = instance.open_session(config).await?;
            instance.add_bytes(session, "probe.json", PROBE_LOG).await?;
            instance.export_state(session).await?;
            instance.finish(session).await?;
            Ok(())
        }
        .await,
    )
    .context("a tiny analysis")?;
    tolerate(
        async {
            let mut run = Consolidating::start(analyzer, config).await?;
            run.add("probe.json", PROBE_LOG).await?;
            run.finish().await?;
            Ok(())
        }
        .await,
    )
    .context("a tiny consolidation")
}

/// Probes `bytes` (from `origin`) in a child process under the bounds above.
pub async fn probe(
    bytes: &[u8],
    origin: &str,
    config: &str,
    limits: Limits,
    cache_dir: Option<&Path>,
) -> Result<()> {
    let dir = tempfile::tempdir().context("cannot create a directory for the probe")?;
    let component = dir.path().join("component.wasm");
    let config_file = dir.path().join("config.json");
    std::fs::write(&component, bytes).context("cannot write the component for its probe")?;
    std::fs::write(&config_file, config).context("cannot write the configuration for the probe")?;
    let exe = std::env::current_exe().context("cannot find this program to run the probe")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .env_clear()
        .env("RUST_LOG", "error")
        .args(["component", "probe", "--component"])
        .arg(&component)
        .arg("--config")
        .arg(&config_file)
        .args([
            "--memory-limit-mb",
            &(limits.memory_bytes >> 20).to_string(),
        ])
        .args(["--time-limit-secs", &limits.time.as_secs().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match cache_dir {
        Some(dir) => command.arg("--cache-dir").arg(dir),
        None => command.arg("--no-cache"),
    };
    let mut child = command.spawn().context("cannot start the probe process")?;
    let pid = child.id().context("the probe process has no id")?;
    let mut stderr = child.stderr.take().context("the probe's stderr")?;
    let read_stderr = tokio::spawn(async move {
        let mut text = Vec::new();
        let _ = (&mut stderr)
            .take(STDERR_BYTES)
            .read_to_end(&mut text)
            .await;
        // Drain the rest, so the child never blocks on a full pipe.
        let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        text
    });
    let bound = memory_bound(&limits);
    let started = Instant::now();
    let refused = |why: String| {
        anyhow::anyhow!(
            "{origin} is refused: {why} (probe: compiling it, `info`, a tiny analysis and a \
             tiny consolidation, in a child process)"
        )
    };
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if resident_bytes(pid).is_some_and(|rss| rss > bound) {
            let _ = child.kill().await;
            return Err(refused(format!(
                "its probe used more than {} MiB of memory (twice --memory-limit-mb, plus {} MiB \
                 to compile)",
                bound >> 20,
                PROBE_EXTRA_BYTES >> 20
            )));
        }
        if started.elapsed() > PROBE_TIME {
            let _ = child.kill().await;
            return Err(refused(format!(
                "its probe took more than {} s",
                PROBE_TIME.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let stderr = read_stderr.await.unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let said = untrusted::lines(String::from_utf8_lossy(&stderr).trim());
    let said = said.strip_prefix("error: ").unwrap_or(&said);
    Err(refused(match status.code() {
        Some(_) => format!("it failed its probe: {said}"),
        None => format!("its probe crashed ({status}): {said}"),
    }))
}

/// The resident set of process `pid`, from `/proc` (Linux).
fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}
