//! A component that misbehaves on purpose, chosen by the input's name, so
//! the host's tests can prove the sandbox holds: `loop` never returns,
//! `alloc` allocates without end, `files`, `env` and `socket` reach for
//! what a sandboxed component must not have and report what they got;
//! `scratch-flood`, given to a consolidator, writes to its scratch stream
//! without end; `sleep` blocks in a host call (a `wasi:clocks` pollable) for
//! an hour, where epoch interruption cannot reach it; `escape` writes
//! terminal escape sequences into its outcome, `escape-trap` to stderr
//! before it traps, `stderr-flood` 100 MiB of them; `artifact-bomb` lists a small artifact, then writes
//! into its stream without end. A configuration that says `crash-on-open`
//! or `hang-on-open` makes every `open` trap or loop: what a probe meets.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: "../../wit",
    world: "analyzer-host",
    with: {
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
    },
});

use cloudtrail::analyzer::types as t;
use exports::cloudtrail::analyzer::analyzer as wit;

struct Component;
export!(Component);

impl wit::Guest for Component {
    type Session = Session;
    type Consolidator = Flood;

    fn info() -> t::ComponentInfo {
        t::ComponentInfo {
            name: "hostile".into(),
            version: "0.0.1".into(),
            contract: "0.3.0".into(),
            rules: if cfg!(feature = "amplify-info") {
                amplified_rules()
            } else {
                Vec::new()
            },
        }
    }
}

/// Half a million rules whose titles all alias one 4 KiB buffer (the
/// `amplify-info` build): 2 GiB for the host to copy out of `info`.
fn amplified_rules() -> Vec<t::Rule> {
    let buffer = std::mem::ManuallyDrop::new("x".repeat(4096));
    let (ptr, len) = (buffer.as_ptr() as *mut u8, buffer.len());
    (0..500_000)
        .map(|_| t::Rule {
            id: String::new(),
            // SAFETY: none, on purpose, as in `amplified_problems`.
            title: unsafe { String::from_raw_parts(ptr, len, len) },
            severity: String::new(),
        })
        .collect()
}

/// `amplify` arms the session: its `finish` then returns half a million
/// problems whose details all alias one 4 KiB buffer: 22 MB to hold in the
/// component, 2 GiB for the host to copy out.
pub struct Session {
    amplify: std::cell::Cell<bool>,
    bomb: std::cell::Cell<bool>,
}

impl Session {
    fn act(&self, name: String) -> t::InputOutcome {
        match name.rsplit('/').next() {
            Some("amplify") => self.amplify.set(true),
            Some("artifact-bomb") => self.bomb.set(true),
            _ => {}
        }
        misbehave(name)
    }
}

/// Traps or loops when the configuration asks for it.
fn on_open(config: &str) {
    if config.contains("crash-on-open") {
        std::process::abort();
    }
    if config.contains("hang-on-open") {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

/// Writes 1 MiB chunks into `out` until the host refuses one.
fn flood(mut out: wit::OutputStream) -> Result<(), t::Error> {
    use std::io::Write;
    let chunk = vec![b' '; 1 << 20];
    loop {
        out.write_all(&chunk)
            .map_err(|e| t::Error::Limit(format!("hostile: the stream refused: {e}")))?;
    }
}

fn amplified_problems() -> Vec<t::InputOutcome> {
    let buffer = std::mem::ManuallyDrop::new("x".repeat(4096));
    let (ptr, len) = (buffer.as_ptr() as *mut u8, buffer.len());
    let mut problems = Vec::with_capacity(500_000);
    for _ in 0..500_000 {
        // SAFETY: none, on purpose: many Strings own one buffer. The host
        // must refuse to lift them; the instance is discarded before any of
        // them is dropped.
        let detail = unsafe { String::from_raw_parts(ptr, len, len) };
        problems.push(failed(String::new(), detail));
    }
    problems
}

fn misbehave(name: String) -> t::InputOutcome {
    // The host names inputs by path: act on the file name.
    let action = name.rsplit('/').next().unwrap_or_default().to_owned();
    let detail = match action.as_str() {
        "loop" => {
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        "files" => {
            let root = std::fs::read_dir("/")
                .map(|_| "listed /".to_string())
                .unwrap_or_else(|e| format!("read_dir denied: {e}"));
            let passwd = std::fs::read("/etc/passwd")
                .map(|_| "read /etc/passwd".to_string())
                .unwrap_or_else(|e| format!("read denied: {e}"));
            let write = std::fs::write("/tmp/hostile", b"x")
                .map(|_| "wrote /tmp".to_string())
                .unwrap_or_else(|e| format!("write denied: {e}"));
            format!("{root}; {passwd}; {write}")
        }
        "env" => format!(
            "env vars: {}; args: {}",
            std::env::vars().count(),
            std::env::args().count()
        ),
        "sleep" => {
            let hour = 3_600_000_000_000;
            wasip2::clocks::monotonic_clock::subscribe_duration(hour).block();
            "woke up after an hour".to_string()
        }
        "escape" => "\x1b[2Jcleared \u{202e}desrever".to_string(),
        "stderr-flood" => {
            // 100 MiB of screen clears and window titles, then a trap.
            let line = "\x1b[2J\x1b]0;pwned\x07 flood\n".repeat(1 << 12);
            for _ in 0..(100 << 20) / line.len() {
                let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            }
            std::process::abort()
        }
        "escape-trap" => {
            // Clear the screen, retitle the window, hide what follows; then
            // trap, so the host shows the stderr it captured.
            eprintln!("\x1b[2J\x1b]0;pwned\x07\x1b[8mhidden");
            std::process::abort()
        }
        "socket" => match std::net::TcpStream::connect("127.0.0.1:9") {
            Ok(_) => "connected".to_string(),
            Err(e) => format!("connect denied: {e}"),
        },
        other => format!("nothing to do for {other}"),
    };
    failed(name, detail)
}

/// Every outcome here is a failure whose detail says what happened.
fn failed(name: String, detail: String) -> t::InputOutcome {
    t::InputOutcome {
        name,
        status: t::InputStatus::Failed,
        events: 0,
        bytes: 0,
        detail,
    }
}

impl wit::GuestSession for Session {
    fn open(config: String) -> Result<wit::Session, t::Error> {
        on_open(&config);
        Ok(wit::Session::new(Session {
            amplify: Default::default(),
            bomb: Default::default(),
        }))
    }
    fn add_bytes(&self, name: String, _data: Vec<u8>) -> t::InputOutcome {
        self.act(name)
    }
    fn add_stream(&self, name: String, _data: wit::InputStream) -> t::InputOutcome {
        self.act(name)
    }
    fn record_failure(&self, _name: String, _reason: String) {}
    fn export_state(&self) -> Vec<u8> {
        Vec::new()
    }
    fn merge_state(&self, _state: Vec<u8>) -> Result<(), t::Error> {
        Ok(())
    }
    fn finish(&self) -> t::Report {
        t::Report {
            summary: t::Summary {
                inputs: 0,
                analyzed: 0,
                skipped: 0,
                failed: 0,
                events: 0,
                findings: 0,
            },
            artifacts: if self.bomb.get() {
                vec![t::ArtifactInfo {
                    name: "bomb.json".into(),
                    media_type: "application/json".into(),
                    bytes: 2,
                }]
            } else {
                Vec::new()
            },
            problems: if self.amplify.get() {
                amplified_problems()
            } else {
                Vec::new()
            },
            alerts: Vec::new(),
        }
    }
    fn write_artifact(&self, _name: String, out: wit::OutputStream) -> Result<(), t::Error> {
        flood(out)
    }
}

/// A consolidator that floods the scratch stream the host lends it
/// (`scratch-flood`; `finish` then fails with what the flood met, so the
/// host's error shows it), or lies about its output: `junk-parts` returns
/// 20,000 parts that are not gzip, `endless-parts` whole gzip parts without
/// end, `flood-parts` one that never ends, `slow-parts` parts without end,
/// each taking half a second, and `lying-counts` counts that contradict
/// each other and its one part.
pub struct Flood {
    scratch: std::cell::RefCell<wasip2::io::streams::OutputStream>,
    met: std::cell::RefCell<String>,
    lie: std::cell::Cell<Option<Lie>>,
    parts: std::cell::Cell<u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Lie {
    JunkParts,
    EndlessParts,
    FloodParts,
    SlowParts,
    Counts,
}

/// `{"Records":[]}`, gzip.
const EMPTY_LOG_GZ: [u8; 34] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x0a, 0x4a, 0x4d, 0xce,
    0x2f, 0x4a, 0x29, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0x05, 0x00, 0x22, 0x0a, 0xe2, 0x96, 0x0e, 0x00,
    0x00, 0x00,
];

/// Writes `data` as part `number` to `out`.
fn part(
    out: wit::OutputStream,
    number: u64,
    data: Vec<u8>,
    records: u64,
) -> Result<t::ConsolidatedPart, t::Error> {
    use std::io::Write;
    let mut out = out;
    out.write_all(&data)
        .and_then(|()| Write::flush(&mut out))
        .map_err(|e| t::Error::Limit(e.to_string()))?;
    Ok(t::ConsolidatedPart {
        artifact: t::ArtifactInfo {
            name: format!("part-{number}.json.gz"),
            media_type: "application/gzip".into(),
            bytes: data.len() as u64,
        },
        records,
    })
}

impl Flood {
    fn act(&self, name: String) -> t::InputOutcome {
        let lie = match name.rsplit('/').next().unwrap_or_default() {
            "junk-parts" => Some(Lie::JunkParts),
            "endless-parts" => Some(Lie::EndlessParts),
            "flood-parts" => Some(Lie::FloodParts),
            "slow-parts" => Some(Lie::SlowParts),
            "lying-counts" => Some(Lie::Counts),
            _ => None,
        };
        if let Some(lie) = lie {
            self.lie.set(Some(lie));
            return t::InputOutcome {
                name,
                status: t::InputStatus::Analyzed,
                events: 1,
                bytes: 1,
                detail: "CloudTrail log".into(),
            };
        }
        if !name.ends_with("/scratch-flood") && name != "scratch-flood" {
            return misbehave(name);
        }
        use std::io::Write;
        let chunk = vec![0u8; 1 << 20];
        let mut written = 0u64;
        let detail = loop {
            match self.scratch.borrow_mut().write_all(&chunk) {
                Ok(()) => written += chunk.len() as u64,
                Err(e) => break format!("scratch refused after {written} bytes: {e}"),
            }
        };
        self.met.replace(detail.clone());
        failed(name, detail)
    }
}

impl wit::GuestConsolidator for Flood {
    fn open(config: String, scratch: wit::OutputStream) -> Result<wit::Consolidator, t::Error> {
        on_open(&config);
        Ok(wit::Consolidator::new(Flood {
            scratch: std::cell::RefCell::new(scratch),
            met: Default::default(),
            lie: Default::default(),
            parts: Default::default(),
        }))
    }
    fn add_bytes(&self, name: String, _data: Vec<u8>) -> t::InputOutcome {
        self.act(name)
    }
    fn add_stream(&self, name: String, _data: wit::InputStream) -> t::InputOutcome {
        self.act(name)
    }
    fn record_failure(&self, _name: String, _reason: String) {}
    fn runs(&self) -> Result<Vec<u64>, t::Error> {
        Ok(Vec::new())
    }
    fn merge(&self, _runs: Vec<wit::InputStream>) -> Result<(), t::Error> {
        Ok(())
    }
    fn next_part(&self, out: wit::OutputStream) -> Result<Option<t::ConsolidatedPart>, t::Error> {
        let number = self.parts.get() + 1;
        self.parts.set(number);
        match self.lie.get() {
            None => Ok(None),
            Some(Lie::JunkParts) if number <= 20_000 => {
                part(out, number, b"junk".to_vec(), 0).map(Some)
            }
            Some(Lie::JunkParts) => Ok(None),
            Some(Lie::EndlessParts) => part(out, number, EMPTY_LOG_GZ.to_vec(), 0).map(Some),
            Some(Lie::FloodParts) => flood(out).map(|()| None),
            Some(Lie::SlowParts) => {
                let start = wasip2::clocks::monotonic_clock::now();
                while wasip2::clocks::monotonic_clock::now() - start < 500_000_000 {
                    std::hint::black_box(0);
                }
                part(out, number, EMPTY_LOG_GZ.to_vec(), 0).map(Some)
            }
            Some(Lie::Counts) if number == 1 => {
                part(out, number, EMPTY_LOG_GZ.to_vec(), 1_000_000).map(Some)
            }
            Some(Lie::Counts) => Ok(None),
        }
    }
    fn finish(&self) -> Result<t::Consolidation, t::Error> {
        if self.lie.get().is_none() {
            return Err(t::Error::Limit(format!("hostile: {}", self.met.borrow())));
        }
        Ok(t::Consolidation {
            records_in: 1,
            duplicates: 7,
            conflicts: 0,
            conflicting: Vec::new(),
            records_out: 1_000_000,
            first_event_time: String::new(),
            last_event_time: String::new(),
            parts: 1,
            problems: Vec::new(),
        })
    }
}
