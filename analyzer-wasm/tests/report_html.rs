//! `report.html` in a real browser: Debian's headless Chromium loads the
//! report of the sample logs plus a log full of markup, and the test checks
//! that the page logs nothing to the console (no script errors, no CSP
//! violations), requests nothing over the network, draws its charts, and
//! shows `<script>alert(1)</script>` as text.
//!
//! Chromium is required, not optional: without `/usr/bin/chromium` the test
//! fails (install Debian's `chromium` package; CI does). Every run is bounded
//! by coreutils `timeout`, uses a fresh profile in a temporary directory,
//! and maps every host name to "not found", so nothing leaves the machine.
//!
//! `REPORT_HTML_OUT=<dir>` also copies the report and its screenshot there.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use analyzer_wasm::report::REPORT_HTML;
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::Status;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Seconds before `timeout` stops a Chromium run (and 10 more before it kills it).
const TIMEOUT_SECS: u32 = 60;
const WINDOW: (u32, u32) = (1280, 2000);

const EVIL_NAME: &str = "<script>alert(1)</script>";
const EVIL_NAME_TEXT: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";
const EVIL_MARKUP: &str = "\"><img src=x onerror=alert(2)>";
const EVIL_MARKUP_TEXT: &str = "&gt;&lt;img src=x onerror=alert(2)&gt;";
/// Events in the hostile log: enough for the top-10 charts.
const HOSTILE_EVENTS: u64 = 40;
const EVIL_INPUT: &str = "broken/\"><img src=x onerror=alert(3)>.json.gz";

/// Elements the page must never hold: the hostile values would create the
/// first two, and the rest would load or run something.
const FORBIDDEN_ELEMENTS: [&str; 12] = [
    "script",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "link",
    "base",
    "form",
    "a",
    "image",
    "foreignobject",
];

/// Flags for every run: headless, a fresh profile, no first-run work, the
/// browser's console on stderr, and no host name resolving to anything.
const FLAGS: [&str; 13] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--enable-logging=stderr",
    "--v=0",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
];

/// A directory removed on drop, so a failing assertion leaves nothing behind.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("report-html-{tag}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What one Chromium run left behind.
struct Run {
    stdout: String,
    stderr: String,
    net_log: Value,
}

fn require_chromium() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} not found: this test renders report.html in Debian's headless Chromium \
         and does not skip without it. Install it with `apt-get install -y chromium` \
         (CI installs it)."
    );
}

/// Runs Chromium once on `page` with `extra` flags (`--dump-dom`,
/// `--screenshot=...`), under `timeout`, with its own fresh profile and
/// home directory inside `work`.
fn chromium(work: &Path, run: &str, page: &Path, extra: &[String]) -> Run {
    require_chromium();
    let dir = work.join(run);
    let profile = dir.join("profile");
    fs::create_dir_all(&profile).unwrap();
    let net_log = dir.join("netlog.json");
    let (stdout_path, stderr_path) = (dir.join("stdout"), dir.join("stderr"));
    // Output goes to files, not pipes: a stray child holding a pipe open
    // cannot make the test wait past the timeout.
    let mut command = Command::new("timeout");
    command
        .args(["--kill-after=10", &TIMEOUT_SECS.to_string(), CHROMIUM])
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .current_dir(&dir)
        .env("HOME", &dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running `timeout {CHROMIUM}`: {e}"));
    let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        status.code() != Some(124) && status.code() != Some(137),
        "{run}: Chromium did not finish within {TIMEOUT_SECS} s\n{stderr}"
    );
    assert!(
        status.success(),
        "{run}: Chromium failed: {status}\n{stderr}"
    );
    let log = fs::read(&net_log)
        .unwrap_or_else(|e| panic!("{run}: no net log at {}: {e}", net_log.display()));
    let net_log =
        serde_json::from_slice(&log).unwrap_or_else(|e| panic!("{run}: net log is not JSON: {e}"));
    Run {
        stdout,
        stderr,
        net_log,
    }
}

/// Lines of Chromium's log that report something from the page's console:
/// any console message (the report has no scripts, so any message is a
/// problem), an uncaught exception, or a blocked load.
fn console_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains(":CONSOLE")
                || line.contains("CONSOLE(")
                || line.contains("Uncaught")
                || line.contains("Refused to")
                || line.contains("Content Security Policy")
        })
        .collect()
}

/// URLs the page made the browser request: every URL in the net log except
/// `file:` and `data:` ones and those the browser fetched for itself.
///
/// Chromium's own background fetches (component updates, network time,
/// account checks) happen even with the flags above; they start with
/// initiator "not an origin" and a network isolation key not naming the
/// page, while everything a `file://` page asks for carries the page's
/// (opaque) origin and a `file://` isolation key. The host resolver rules
/// make all of them fail before any packet is sent.
fn page_requests(net_log: &Value) -> Vec<String> {
    let types = &net_log["constants"]["logEventTypes"];
    let start_job = types["URL_REQUEST_START_JOB"].as_u64();
    let events = net_log["events"].as_array().map_or(&[][..], |v| v);
    let browser_own: Vec<&str> = events
        .iter()
        .filter(|e| start_job.is_some() && e["type"].as_u64() == start_job)
        .map(|e| &e["params"])
        .filter(|p| {
            p["initiator"].as_str() == Some("not an origin")
                && !p["network_isolation_key"]
                    .as_str()
                    .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|p| p["url"].as_str())
        .collect();
    let mut urls: Vec<String> = events
        .iter()
        .flat_map(|e| {
            let p = &e["params"];
            [&p["url"], &p["original_url"], &p["location"]]
        })
        .filter_map(Value::as_str)
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .filter(|url| !browser_own.contains(url))
        .map(str::to_owned)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// Names of the elements in a serialized DOM, in document order.
///
/// The serializer escapes `<` in text and double-quotes every attribute
/// value, and leaves only `<style>` and `<script>` contents raw, so a tag
/// is exactly a `<` followed by a letter outside those.
fn elements(dom: &str) -> Vec<String> {
    let lower = dom.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while let Some(offset) = lower[i..].find('<') {
        let start = i + offset + 1;
        if lower[start..].starts_with("!--") {
            i = lower[start..]
                .find("-->")
                .map_or(b.len(), |end| start + end);
            continue;
        }
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
            .count();
        if len == 0 || !b[start].is_ascii_alphabetic() {
            i = start;
            continue;
        }
        let name = &lower[start..start + len];
        let (mut j, mut quoted) = (start + len, false);
        while j < b.len() && (quoted || b[j] != b'>') {
            quoted ^= b[j] == b'"';
            j += 1;
        }
        if name == "style" || name == "script" {
            j = lower[j..]
                .find(&format!("</{name}"))
                .map_or(b.len(), |end| j + end);
        }
        names.push(name.to_owned());
        i = j;
    }
    names
}

fn count(names: &[String], name: &str) -> usize {
    names.iter().filter(|n| *n == name).count()
}

/// One log whose values are markup, all calls named `<script>...` by a
/// principal whose ARN and user agent break out of quotes: a root call (a
/// "Root user activity" finding), a denied call (another finding), and
/// enough ordinary calls to put the name and the principal in the charts.
fn hostile_log() -> Vec<u8> {
    let arn = format!("arn:aws:iam::111122223333:user/x{EVIL_MARKUP}");
    let event = |i: u32, identity: &str, error: Option<&str>| {
        let mut e = json!({
            "eventVersion": "1.08",
            "eventID": format!("0badc0de-0000-4000-8000-{i:012}"),
            "eventTime": format!("2026-11-01T12:{:02}:00Z", i % 60),
            "eventName": EVIL_NAME,
            "eventSource": "ec2.amazonaws.com",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": format!("Mozilla/5.0 {EVIL_MARKUP}"),
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
            "userIdentity": {
                "type": identity,
                "arn": arn,
                "accountId": "111122223333",
                "principalId": "AIDAEXAMPLE"
            }
        });
        if let Some(code) = error {
            e["errorCode"] = json!(code);
            e["errorMessage"] = json!(format!("not authorized {EVIL_MARKUP}"));
        }
        e
    };
    let mut records = vec![
        event(0, "Root", None),
        event(1, "IAMUser", Some("AccessDenied")),
    ];
    records.extend((2..HOSTILE_EVENTS as u32).map(|i| event(i, "IAMUser", None)));
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// The report of the sample logs, the hostile log and a broken input with a
/// hostile name, through the real session.
fn report_html() -> Vec<u8> {
    let mut session = Session::open("").unwrap();
    for file in loggen::generate(&loggen::Spec::small()) {
        session.add(&file.key, &file.body[..]);
    }
    let hostile = session.add("hostile/markup.json", &hostile_log()[..]);
    assert_eq!(
        (hostile.status, hostile.events),
        (Status::Analyzed, HOSTILE_EVENTS),
        "{}",
        hostile.detail
    );
    let broken = session.add(EVIL_INPUT, &b"\x1f\x8b\x08\x00 not gzip"[..]);
    assert_eq!(broken.status, Status::Failed);
    let report = session.finish();
    assert!(report.summary.findings > 0);
    session
        .artifact(REPORT_HTML)
        .expect("the report has report.html")
}

/// Reads a PNG's width and height from its IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    Some((be(16), be(20)))
}

#[test]
fn report_renders_in_headless_chromium() {
    let work = TempDir::new("report");
    let page = work.0.join(REPORT_HTML);
    fs::write(&page, report_html()).unwrap();
    // Kept before any check, so a failure can be looked at.
    let out = std::env::var_os("REPORT_HTML_OUT").map(PathBuf::from);
    if let Some(out) = &out {
        fs::create_dir_all(out).unwrap();
        fs::copy(&page, out.join(REPORT_HTML)).unwrap();
    }
    // Every check runs; the test fails at the end with all that failed.
    let mut failures: Vec<String> = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };

    // 1. The DOM after load.
    let run = chromium(&work.0, "dom", &page, &["--dump-dom".to_owned()]);
    let dom = &run.stdout;
    assert!(
        dom.contains("</html>"),
        "no DOM dumped:\n{dom}\n{}",
        run.stderr
    );
    quiet(&run, "--dump-dom", &mut check);
    let names = elements(dom);
    for forbidden in FORBIDDEN_ELEMENTS {
        let n = count(&names, forbidden);
        check(
            n == 0,
            format!("{n} <{forbidden}> elements in the loaded page"),
        );
    }
    check(
        dom.contains("http-equiv=\"Content-Security-Policy\""),
        "the CSP meta tag is gone".into(),
    );
    // The hostile name is text: in the event-name chart (label and
    // tooltip) and in both findings' rows.
    let texts = [
        (format!("{EVIL_NAME_TEXT}</text>"), 1, "a chart label"),
        (
            format!("<title>{EVIL_NAME_TEXT}: {HOSTILE_EVENTS}</title>"),
            1,
            "a chart tooltip",
        ),
        (
            format!("<td>{EVIL_NAME_TEXT}<span class=\"sub\">"),
            2,
            "the findings table",
        ),
    ];
    for (text, n, place) in texts {
        check(
            dom.matches(&text).count() >= n,
            format!("{EVIL_NAME} is not shown as text in {place}: no {text}"),
        );
    }
    // The hostile principal too: in the principals' tooltips and the findings.
    check(
        dom.matches(EVIL_MARKUP_TEXT).count() >= 3,
        format!("the hostile principal is not shown as text: no {EVIL_MARKUP_TEXT}"),
    );
    check(
        dom.contains("onerror=alert(3)&gt;.json.gz"),
        "the hostile input name is not listed as text".into(),
    );
    // The charts: the activity columns and eight bar charts, all drawn.
    let (svgs, rects) = (count(&names, "svg"), count(&names, "rect"));
    check(
        svgs >= 9,
        format!("{svgs} charts, expected the activity chart and 8 bar charts"),
    );
    check(
        dom.contains("aria-label=\"events over time\""),
        "no activity chart".into(),
    );
    check(
        rects >= 5 * svgs,
        format!("charts without bars: {rects} bars in {svgs} charts"),
    );
    check(!dom.contains("No data."), "a chart with no data".into());

    // 2. A screenshot, which also lays the page out and paints it.
    let png = work.0.join("report.png");
    let run = chromium(
        &work.0,
        "screenshot",
        &page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
        ],
    );
    quiet(&run, "--screenshot", &mut check);
    let image = fs::read(&png).unwrap_or_default();
    let size = png_size(&image);
    check(
        size == Some(WINDOW),
        format!("screenshot is not a {WINDOW:?} PNG: {size:?}"),
    );
    if let Some(out) = &out {
        let _ = fs::copy(&png, out.join("report.png"));
    }

    assert!(
        failures.is_empty(),
        "report.html in Chromium:\n- {}",
        failures.join("\n- ")
    );
}

/// No console messages and no network requests from the page.
fn quiet(run: &Run, name: &str, check: &mut impl FnMut(bool, String)) {
    let problems = console_problems(&run.stderr);
    check(
        problems.is_empty(),
        format!(
            "{name}: the page logged to the console:\n    {}",
            problems.join("\n    ")
        ),
    );
    let requests = page_requests(&run.net_log);
    check(
        requests.is_empty(),
        format!("{name}: the page made external requests: {requests:?}"),
    );
}

/// The checks above are only worth something if they see a misbehaving
/// page: one with a script, a console error and an image from the network
/// (on a host that cannot resolve, and the resolver rules answer "not
/// found" for every host anyway, so nothing is sent).
#[test]
fn checks_catch_a_misbehaving_page() {
    let work = TempDir::new("canary");
    let page = work.0.join("canary.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>canary</title></head>\
         <body><p title=\"a<b>\">x &lt;script&gt;</p>\
         <img src=\"http://canary.invalid/pixel.png\">\
         <script>console.error(\"canary error\"); undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let run = chromium(&work.0, "canary", &page, &["--dump-dom".to_owned()]);
    let names = elements(&run.stdout);
    assert_eq!(count(&names, "script"), 1, "{names:?}");
    assert_eq!(count(&names, "img"), 1, "{names:?}");
    assert_eq!(
        count(&names, "b"),
        0,
        "markup inside an attribute is no element"
    );
    let problems = console_problems(&run.stderr);
    assert!(
        problems.iter().any(|l| l.contains("canary error"))
            && problems.iter().any(|l| l.contains("Uncaught")),
        "the console check missed the canary's messages:\n{}",
        run.stderr
    );
    assert_eq!(
        page_requests(&run.net_log),
        ["http://canary.invalid/pixel.png"],
        "the net log check missed (or over-reported) the canary's request"
    );
}

#[test]
fn element_scanner() {
    let dom = "<!DOCTYPE html><html><head><style>p>a{}</style></head><body>\
               <!-- <img> --><p title=\"<script>\">&lt;img&gt;</p><svg><rect></rect></svg>\
               </body></html>";
    assert_eq!(
        elements(dom),
        ["html", "head", "style", "body", "p", "svg", "rect"]
    );
}
