//! The consolidator's run reader (`consolidate/runs.rs`, through
//! `Consolidator::merge`): the runs read back from the scratch are the
//! fuzzer's bytes, not what the consolidator wrote, as after a host or disk
//! fault. The input is the runs joined by `RUN\n`; unless its first byte has
//! the high bit set, each run is gzipped by the harness (so the fuzzer works
//! on the frames), else handed over as it is (so it works on the gzip too).
//! A bad run must end in an error, never a panic, a hang or a huge
//! allocation; good frames must come out as parts.
#![no_main]

use std::io::{Cursor, Read};

use analyzer_fuzz::{Scratch, gzip, padded_log, take_parts};
use analyzer_wasm::consolidate::Consolidator;
use analyzer_wasm::stats::Status;
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"RUN\n";
const MAX_RUNS: usize = 4;

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut runs = Vec::new();
    while let Some(at) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        runs.push(&data[..at]);
        data = &data[at + SEPARATOR.len()..];
    }
    runs.push(data);
    runs
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let runs = split(rest);
    let gzipped = knobs & 0x80 != 0;
    if runs.len() > MAX_RUNS {
        return;
    }
    let runs: Vec<Vec<u8>> = runs
        .iter()
        .map(|run| if gzipped { run.to_vec() } else { gzip(run) })
        .collect();
    let config = r#"{"consolidate":{"max_buffer_bytes":1024,"max_part_bytes":2048}}"#;
    let mut c = Consolidator::open(config, Box::new(Scratch::default())).expect("valid");
    let log = padded_log(runs.len());
    assert_eq!(c.add("log", log.as_bytes()).status, Status::Analyzed);
    assert_eq!(c.runs().expect("runs in memory").len(), runs.len());
    let streams: Vec<Box<dyn Read>> = runs
        .into_iter()
        .map(|run| Box::new(Cursor::new(run)) as Box<dyn Read>)
        .collect();
    if c.merge(streams).is_err() {
        return;
    }
    let Ok(records) = take_parts(&mut c) else {
        return;
    };
    let Ok(done) = c.finish() else {
        return;
    };
    assert_eq!(done.records_out, records, "records out = records in parts");
    assert_eq!(done.records_in, done.duplicates + done.records_out);
});
