//! What the fuzz targets in `fuzz/` found, one named test each, with the
//! fuzzer's minimized input where there is one (see "Fuzzing" in the README).
//!
//! A test marked `#[ignore = "known bug: …"]` fails until the bug it names is
//! fixed; the fuzz target that found it steps around the same inputs (a
//! `KNOWN BUG` comment there names the test). Fixing the bug means removing
//! both: the `ignore` here and the step-around in the target. Each test's
//! comment says where its bug was and how it was fixed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use analyzer_wasm::consolidate::Consolidator;
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::{InputRecord, Status};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Remembers the largest single allocation, so a test can bound it.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// A source that hands out one byte per read, as a stream may.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn add(raw: impl Read) -> InputRecord {
    Session::open("").unwrap().add("input", raw)
}

const LOG: &[u8] = br#"{"Records":[{"eventName":"A","eventTime":"2026-11-01T00:00:00Z"}]}"#;

/// Found by `format_detection` (minimized input `1f 8b 37`, read whole and
/// one byte per read). `input::open` decides gzip or not from the first
/// `fill_buf` of the raw stream, which holds whatever the first read gave:
/// when a stream's first read returns a single byte, a gzip log is read as
/// plain bytes and fails with "not JSON: the content starts with byte 0x1f".
/// Fixed: `input::open` reads the first two bytes whole (or to the end)
/// before looking for the magic, then puts them back in front.
#[test]
fn gzip_magic_split_across_reads() {
    let minimized = [0x1f, 0x8b, 0x37];
    let whole = add(&minimized[..]);
    let trickled = add(OneByte(&minimized));
    assert_eq!(
        (whole.status, &whole.detail),
        (trickled.status, &trickled.detail)
    );
    let log = gzip(LOG);
    let outcome = add(OneByte(&log));
    assert_eq!(
        (outcome.status, outcome.events),
        (Status::Analyzed, 1),
        "{}",
        outcome.detail
    );
}

/// Found by `record_scanner` (minimized input `51 ef bb bf`: knobs 0x51, so
/// reads of at most 3 bytes, then a bare byte-order mark) and reachable
/// through a session the same way. `Scanner::skip_bom` looks at the first
/// `fill_buf` only: when the mark is split across reads it is not skipped,
/// and a log that starts with one fails with "not JSON: the content starts
/// with byte 0xef". Fixed: `skip_bom` matches the mark byte by byte; a stream
/// that starts like one and is not fails as "an incomplete UTF-8 byte-order
/// mark", however it is read.
#[test]
fn bom_split_across_reads() {
    let mut log = b"\xEF\xBB\xBF".to_vec();
    log.extend_from_slice(LOG);
    assert_eq!(add(&log[..]).status, Status::Analyzed);
    let outcome = add(OneByte(&log));
    assert_eq!(
        (outcome.status, outcome.events),
        (Status::Analyzed, 1),
        "{}",
        outcome.detail
    );
}

#[derive(Clone, Default)]
struct Scratch(Rc<RefCell<Vec<u8>>>);

impl Write for Scratch {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A consolidator that spilled one run (one record larger than its buffer),
/// ready for `merge`.
fn one_run_written() -> Consolidator {
    let config = r#"{"consolidate":{"max_buffer_bytes":1024}}"#;
    let mut c = Consolidator::open(config, Box::new(Scratch::default())).unwrap();
    let log = format!(
        r#"{{"Records":[{{"eventID":"1","eventTime":"t","pad":"{}"}}]}}"#,
        "x".repeat(1100)
    );
    assert_eq!(c.add("log", log.as_bytes()).status, Status::Analyzed);
    assert_eq!(c.runs().unwrap().len(), 1);
    c
}

/// Reads the runs back; the first error, from `merge` or `next_part`.
fn read_back(mut c: Consolidator, run: Vec<u8>) -> Result<u64, String> {
    c.merge(vec![Box::new(io::Cursor::new(run))])?;
    let mut records = 0;
    while let Some(part) = c.next_part()? {
        records += part.records;
    }
    Ok(records)
}

/// A run that ends inside a frame is an error, not a panic or a record.
#[test]
fn truncated_run_is_an_error() {
    // Input 0, then an `eventTime` that says 9 bytes and holds 2.
    let frames = [&0u32.to_le_bytes()[..], &9u32.to_le_bytes(), b"20"].concat();
    let err = read_back(one_run_written(), gzip(&frames)).unwrap_err();
    assert!(err.contains("ends mid-record"), "{err}");
}

/// Found by `run_reader` (minimized input `2d 00 00 00 00 00 00 fe fa`:
/// knobs 0x2d, so the harness gzips the rest; a frame of input 0 whose
/// `eventTime` says 0xfafe0000 bytes). `RunReader::field` in
/// `consolidate/runs.rs` allocated the length a frame states, up to 4 GiB,
/// before reading a byte of it: a corrupt or truncated scratch run made the
/// component ask for gigabytes (under a memory limit, an abort) instead of
/// failing with "a scratch run ends mid-record". Fixed: the field is read
/// with `take(len)`, so memory follows the bytes present.
#[test]
fn corrupt_run_length_allocates_what_it_says() {
    let frames = [&0u32.to_le_bytes()[..], &0xfafe_0000u32.to_le_bytes()].concat();
    let c = one_run_written();
    LARGEST.store(0, Ordering::Relaxed);
    let result = read_back(c, gzip(&frames));
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(result.is_err());
    assert!(
        largest < 64 << 20,
        "allocated {largest} bytes for an 8-byte run"
    );
}

/// One frame of a run: the input's index, then `eventTime`, `eventID` and
/// the raw record, each behind a little-endian `u32` length.
fn frame(input: u32, time: &str, id: &str, raw: &str) -> Vec<u8> {
    let mut out = input.to_le_bytes().to_vec();
    for field in [time, id, raw] {
        out.extend_from_slice(&(field.len() as u32).to_le_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// Found by `run_reader` on its first inputs (runs of another consolidation
/// handed back: more records than this one wrote). `Consolidator::finish`
/// computes `duplicates` as `records_in - records_out`: when the runs read
/// back hold more records than were written, that overflows (a panic with
/// overflow checks; in the release component, a `duplicates` near 2^64
/// reported as a count). Fixed: the consolidator counts the records it spills and
/// fails the merge when the runs give back more ("the scratch runs hold
/// more records than the N written to them") or fewer, which were otherwise
/// counted as duplicates without a word; `finish` subtracts checked.
#[test]
fn runs_with_more_records_than_written() {
    let mut c = one_run_written();
    let frames = [
        frame(0, "t", "1", r#"{"eventID":"1","eventTime":"t"}"#),
        frame(0, "t", "2", r#"{"eventID":"2","eventTime":"t"}"#),
    ]
    .concat();
    let result = c
        .merge(vec![Box::new(io::Cursor::new(gzip(&frames)))])
        .and_then(|()| {
            while c.next_part()?.is_some() {}
            Ok(())
        })
        .and_then(|()| c.finish());
    match result {
        Ok(done) => panic!(
            "finished: records in {}, duplicates {}, records out {}",
            done.records_in, done.duplicates, done.records_out
        ),
        Err(e) => assert!(e.contains("more records than the 1 written"), "{e}"),
    }
}

/// The other side of the fix above: runs that give back fewer records than
/// were written (here none) fail the merge instead of counting the missing
/// ones as duplicates.
#[test]
fn runs_with_fewer_records_than_written() {
    let error = read_back(one_run_written(), gzip(b"")).unwrap_err();
    assert!(
        error.contains("the scratch runs hold 0 records, 1 were written"),
        "{error}"
    );
}

/// Found by `config` (minimized input
/// `{"limits":{"max_keys":16778589934592435456}}`; any `max_keys` past half
/// of `usize`, 2^31 in the wasm32 component). `Counter::merge` in
/// `counter.rs` tested `counts.len() > 2 * max_keys`, which overflowed: a
/// panic with overflow checks (the fuzz build, `cargo test` without
/// `--release`), a wrapped bound without. Fixed with `saturating_mul`. Only a
/// build with overflow checks catches a regression here, as the fuzz target
/// does.
#[test]
fn max_keys_near_usize_max() {
    let config = format!(r#"{{"limits":{{"max_keys":{}}}}}"#, usize::MAX / 2 + 1);
    let mut session = Session::open(&config).unwrap();
    for _ in 0..2 {
        let outcome = session.add("log", LOG);
        assert_eq!(outcome.status, Status::Analyzed, "{}", outcome.detail);
    }
    let state = session.export_state();
    session.merge_state(&state).unwrap();
    assert_eq!(session.summary().events, 4);
}

/// A saved state of an empty session, with `edit` applied to its JSON.
fn edited_state(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let state = Session::open("").unwrap().export_state();
    let mut state: serde_json::Value = serde_json::from_slice(&state).unwrap();
    edit(&mut state);
    serde_json::to_vec(&state).unwrap()
}

/// Found by `state_merge` (a state whose `principal_counts` holds
/// 888888888888888881; minimized here to that one count). `bar_chart` in
/// `html.rs` scales a bar as `n * 190 / max`, which overflows for a count
/// past `u64::MAX / 190` (about 9.7e16): a panic with overflow checks, a
/// wrong bar width without. Fixed: the width is computed in
/// `u128`.
#[test]
fn huge_count_in_a_state_renders() {
    let state = edited_state(|s| {
        s["stats"]["dims"]["principal_counts"] =
            serde_json::json!({"counts": {"arn:aws:iam::1:user/a": 888_888_888_888_888_881u64}});
    });
    let mut session = Session::open("").unwrap();
    session.merge_state(&state).unwrap();
    session.finish();
    let html = session.artifact("report.html").unwrap();
    // The only bar is the longest: the chart's full 190 units.
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains(r#"width="190""#), "no full-width bar");
}

/// Found while reducing the crash above (the same class, in the merge
/// itself): `Counter::merge` (`counts`, `other`) and `Stats::merge`
/// (`total_events`) add a state's counts unchecked, so merging states whose
/// counts add past `u64::MAX` panics with overflow checks and wraps without
/// (a count that goes down when a state is merged). No real log comes near;
/// a corrupt or forged state does. Fixed: the merges and `Counter::total` saturate,
/// so a merge never wraps (a count stuck at `u64::MAX` is visibly absurd,
/// where a wrapped one looks plausible).
#[test]
fn state_counts_that_overflow_when_merged() {
    let big = u64::MAX - 1;
    let state = edited_state(|s| {
        s["stats"]["total_events"] = big.into();
        s["stats"]["dims"]["event_counts"] =
            serde_json::json!({"counts": {"A": big}, "other": big});
    });
    let mut session = Session::open("").unwrap();
    session.merge_state(&state).unwrap();
    if session.merge_state(&state).is_ok() {
        assert!(session.summary().events >= big, "total_events wrapped");
        let merged: serde_json::Value = serde_json::from_slice(&session.export_state()).unwrap();
        let counts = &merged["stats"]["dims"]["event_counts"];
        assert!(
            counts["counts"]["A"].as_u64().unwrap() >= big,
            "a count wrapped"
        );
        assert!(counts["other"].as_u64().unwrap() >= big, "`other` wrapped");
    }
}
