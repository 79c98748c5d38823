//! Many log files in, one CloudTrail log out: the engine behind the
//! `consolidator` resource.
//!
//! Records are ordered by `eventTime` and deduplicated: only a record that
//! is byte for byte another one is dropped. Two records with the same
//! `eventID` and `eventTime` but other bytes are both kept and counted as a
//! conflict: CloudTrail delivers an event again with the same bytes, so a
//! different copy is either a rewrite or a forgery, and choosing one would
//! let a forged record under `AWSLogs/` replace the genuine one (whose raw
//! file is then deleted). The output depends only on the set of records,
//! not on the order of the inputs, so rerunning a consolidation gives the
//! same bytes: that is what makes a crashed run safe to repeat.
//!
//! Memory is bounded by `consolidate.max_buffer_bytes`, not by the size of
//! the day: a full buffer is sorted and written to the host's scratch
//! stream as a run, and the runs are merged at the end (an external merge
//! sort). A day that fits in the buffer never touches the scratch.

mod runs;

use std::io::{Read, Write};
use std::sync::Arc;

use flate2::{Compression, GzBuilder};

use crate::config::Config;
use crate::container::{self, Contents};
use crate::event::Event;
use crate::input;
use crate::report::Artifact;
use crate::rules::sigma::RuleSet;
use crate::stats::{InputRecord, Status};
use runs::{Merger, Record};

pub struct Consolidator {
    config: Config,
    scratch: Box<dyn Write>,
    /// Records not yet in a run, and the memory they hold.
    buffer: Vec<Record>,
    buffered: u64,
    /// Length in bytes of each run written to the scratch.
    runs: Vec<u64>,
    /// Records written to those runs, which the merge must read back.
    spilled: u64,
    /// Set once a scratch write fails: the consolidation cannot finish.
    scratch_error: Option<String>,
    inputs: Vec<InputRecord>,
    /// Records read from analyzed inputs.
    records_in: u64,
    stage: Stage,
    parts: u64,
}

enum Stage {
    Reading,
    /// `runs` was called; waiting for `merge`.
    Sorted,
    Writing(Box<Output>),
}

/// The writing side: records in order, duplicates and failed inputs dropped.
struct Output {
    source: Source,
    /// Whether each input (by index) was read whole; only those are written.
    analyzed: Vec<bool>,
    /// Read but not yet written, because the part it came to was full.
    pending: Option<Record>,
    /// The last record written, for deduplication.
    last: Option<Record>,
    /// Records the runs must give back (none when nothing spilled), and
    /// how many they gave back so far.
    spilled: Option<u64>,
    read_back: u64,
    records_out: u64,
    first_time: Option<String>,
    conflicts: u64,
    conflicting: Vec<String>,
}

/// How many conflicting events a consolidation names (all are counted).
pub const MAX_CONFLICTS_NAMED: usize = 100;

enum Source {
    Memory(std::vec::IntoIter<Record>),
    Runs(Merger),
}

pub struct Part {
    pub artifact: Artifact,
    pub records: u64,
}

pub struct Consolidation {
    pub records_in: u64,
    pub duplicates: u64,
    /// Records kept that share `eventID` and `eventTime` with an earlier
    /// one but differ in bytes, and the first few as `eventID eventTime`.
    pub conflicts: u64,
    pub conflicting: Vec<String>,
    pub records_out: u64,
    pub first_event_time: String,
    pub last_event_time: String,
    pub parts: u64,
    pub problems: Vec<InputRecord>,
}

impl Consolidator {
    pub fn open(config: &str, scratch: Box<dyn Write>) -> Result<Consolidator, String> {
        Consolidator::open_with_sigma(config, Arc::default(), scratch)
    }

    /// Opens with these Sigma rules in force: a consolidator evaluates no
    /// rule, but accepts the configuration a session with them accepts
    /// (one that disables a Sigma rule, say).
    pub fn open_with_sigma(
        config: &str,
        sigma: Arc<RuleSet>,
        scratch: Box<dyn Write>,
    ) -> Result<Consolidator, String> {
        Ok(Consolidator {
            config: Config::parse_with_sigma(config, sigma)?,
            scratch,
            buffer: Vec::new(),
            buffered: 0,
            runs: Vec::new(),
            spilled: 0,
            scratch_error: None,
            inputs: Vec::new(),
            records_in: 0,
            stage: Stage::Reading,
            parts: 0,
        })
    }

    /// Reads one input; a failed input contributes no records.
    pub fn add(&mut self, name: &str, raw: impl Read) -> InputRecord {
        let (status, events, bytes, detail) = self.read_input(raw);
        let outcome = InputRecord {
            name: name.to_owned(),
            status,
            events: if status == Status::Analyzed {
                events
            } else {
                0
            },
            bytes,
            detail,
        };
        self.inputs.push(outcome.clone());
        outcome
    }

    fn read_input(&mut self, raw: impl Read) -> (Status, u64, u64, String) {
        if !matches!(self.stage, Stage::Reading) {
            return (
                Status::Failed,
                0,
                0,
                "the consolidator is past reading".into(),
            );
        }
        if let Some(e) = &self.scratch_error {
            return (Status::Failed, 0, 0, e.clone());
        }
        let input = self.inputs.len() as u32;
        let limits = self.config.limits.clone();
        let mut events = 0u64;
        let (result, bytes) = match input::open(raw, limits.max_input_bytes) {
            Ok((reader, counter)) => {
                let result = container::read_events(reader, &limits, &mut |raw| {
                    let event = Event::parse(raw)?;
                    let record = Record {
                        time: event.event_time.as_str().unwrap_or("").to_owned(),
                        id: event.event_id.as_str().unwrap_or("").to_owned(),
                        raw: raw.to_vec(),
                        input,
                    };
                    events += 1;
                    self.buffered += record.footprint();
                    self.buffer.push(record);
                    if self.buffered >= self.config.consolidate.max_buffer_bytes {
                        self.spill()?;
                    }
                    Ok(())
                });
                (result, counter.bytes())
            }
            Err(e) => (Err(e.to_string()), 0),
        };
        let (status, detail) = match result {
            Ok(Contents::Events(format)) => (Status::Analyzed, format.name().to_owned()),
            Ok(Contents::Skipped(reason)) => (Status::Skipped, reason),
            Err(reason) => (Status::Failed, reason),
        };
        if status == Status::Analyzed {
            self.records_in += events;
        } else {
            // What is still in memory goes now; what reached a run is
            // dropped when the log is written.
            self.buffer.retain(|r| r.input != input);
            self.buffered = self.buffer.iter().map(Record::footprint).sum();
        }
        (status, events, bytes, detail)
    }

    /// An input the host could not deliver: listed as failed, counted nowhere.
    pub fn record_failure(&mut self, name: &str, reason: &str) {
        self.inputs.push(InputRecord {
            name: name.to_owned(),
            status: Status::Failed,
            events: 0,
            bytes: 0,
            detail: reason.to_owned(),
        });
    }

    /// Sorts the buffer into a run on the scratch stream.
    fn spill(&mut self) -> Result<(), String> {
        if let Some(e) = &self.scratch_error {
            return Err(e.clone());
        }
        self.buffer.sort_unstable_by(Record::order);
        match runs::write_run(&self.buffer, &mut self.scratch) {
            Ok(len) => {
                self.runs.push(len);
                self.spilled += self.buffer.len() as u64;
                self.buffer.clear();
                self.buffered = 0;
                Ok(())
            }
            Err(e) => {
                let e = format!("cannot write to the scratch stream: {e}");
                self.scratch_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Ends the reading; returns the length of each run on the scratch.
    pub fn runs(&mut self) -> Result<Vec<u64>, String> {
        if !matches!(self.stage, Stage::Reading) {
            return Err("`runs` was already called".into());
        }
        // Once anything went to the scratch, everything does: the merge
        // then reads one kind of source.
        if !self.runs.is_empty() && !self.buffer.is_empty() {
            self.spill()?;
        }
        if let Some(e) = &self.scratch_error {
            return Err(e.clone());
        }
        self.stage = Stage::Sorted;
        Ok(self.runs.clone())
    }

    /// Starts the writing over the runs read back (none when nothing spilled).
    pub fn merge(&mut self, runs: Vec<Box<dyn Read>>) -> Result<(), String> {
        if !matches!(self.stage, Stage::Sorted) {
            return Err("`merge` comes once, after `runs`".into());
        }
        if runs.len() != self.runs.len() {
            return Err(format!(
                "{} runs were written but {} streams came back",
                self.runs.len(),
                runs.len()
            ));
        }
        let spilled = (!runs.is_empty()).then_some(self.spilled);
        let source = if runs.is_empty() {
            let mut records = std::mem::take(&mut self.buffer);
            records.sort_unstable_by(Record::order);
            Source::Memory(records.into_iter())
        } else {
            Source::Runs(
                Merger::new(runs).map_err(|e| format!("cannot read the scratch runs: {e}"))?,
            )
        };
        self.stage = Stage::Writing(Box::new(Output {
            source,
            analyzed: self
                .inputs
                .iter()
                .map(|i| i.status == Status::Analyzed)
                .collect(),
            spilled,
            read_back: 0,
            pending: None,
            last: None,
            records_out: 0,
            first_time: None,
            conflicts: 0,
            conflicting: Vec::new(),
        }));
        Ok(())
    }

    /// The next part of the log, at most `consolidate.max_part_bytes` of
    /// records (a single larger record gets a part of its own).
    pub fn next_part(&mut self) -> Result<Option<Part>, String> {
        let Stage::Writing(output) = &mut self.stage else {
            return Err("`next-part` comes after `merge`".into());
        };
        let max_part = self.config.consolidate.max_part_bytes;
        let mut part = PartWriter::new();
        while let Some(record) = output.next_unique()? {
            if part.records > 0 && part.size + record.raw.len() as u64 + 1 > max_part {
                output.pending = Some(record);
                break;
            }
            part.push(&record).map_err(|e| e.to_string())?;
        }
        if part.records == 0 {
            return Ok(None);
        }
        self.parts += 1;
        let records = part.records;
        Ok(Some(Part {
            artifact: Artifact {
                name: format!("part-{:05}.json.gz", self.parts),
                media_type: "application/gzip".into(),
                data: part.finish().map_err(|e| e.to_string())?,
            },
            records,
        }))
    }

    /// The counts and problems, once every part was taken.
    pub fn finish(self) -> Result<Consolidation, String> {
        let Stage::Writing(mut output) = self.stage else {
            return Err("`finish` comes after `merge` and `next-part`".into());
        };
        if output.pending.is_some() || output.next_unique()?.is_some() {
            return Err("`finish` came before `next-part` returned none".into());
        }
        let mut problems: Vec<InputRecord> = self
            .inputs
            .into_iter()
            .filter(|i| i.status != Status::Analyzed)
            .collect();
        problems.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Consolidation {
            records_in: self.records_in,
            duplicates: (self.records_in.checked_sub(output.records_out)).ok_or_else(|| {
                format!(
                    "{} records were written out of {} read",
                    output.records_out, self.records_in
                )
            })?,
            records_out: output.records_out,
            conflicts: output.conflicts,
            conflicting: output.conflicting,
            first_event_time: output.first_time.unwrap_or_default(),
            last_event_time: output.last.map(|r| r.time).unwrap_or_default(),
            parts: self.parts,
            problems,
        })
    }
}

impl Output {
    /// The next record to write: in order, from an analyzed input, and not a
    /// byte-for-byte copy of the one before (copies sort next to each other).
    fn next_unique(&mut self) -> Result<Option<Record>, String> {
        if let Some(record) = self.pending.take() {
            return Ok(Some(record));
        }
        loop {
            let record = match &mut self.source {
                Source::Memory(records) => records.next(),
                Source::Runs(merger) => merger
                    .next()
                    .map_err(|e| format!("cannot read the scratch runs: {e}"))?,
            };
            // The runs come back through the host: they must hold the
            // records written to them, no more and no fewer.
            if let Some(spilled) = self.spilled {
                self.read_back += u64::from(record.is_some());
                if self.read_back > spilled {
                    return Err(format!(
                        "the scratch runs hold more records than the {spilled} written to them"
                    ));
                }
                if record.is_none() && self.read_back < spilled {
                    return Err(format!(
                        "the scratch runs hold {} records, {spilled} were written to them",
                        self.read_back
                    ));
                }
            }
            let Some(record) = record else {
                return Ok(None);
            };
            if !self
                .analyzed
                .get(record.input as usize)
                .copied()
                .unwrap_or(false)
            {
                continue;
            }
            if let Some(last) = &self.last
                && last.time == record.time
                && last.id == record.id
            {
                if last.raw == record.raw {
                    continue;
                }
                if !record.id.is_empty() {
                    self.conflicts += 1;
                    let named = format!("{} {}", record.id, record.time);
                    if self.conflicting.len() < MAX_CONFLICTS_NAMED
                        && self.conflicting.last() != Some(&named)
                    {
                        self.conflicting.push(named);
                    }
                }
            }
            self.last = Some(record.clone());
            self.first_time.get_or_insert_with(|| record.time.clone());
            self.records_out += 1;
            return Ok(Some(record));
        }
    }
}

/// One gzip `{"Records":[…]}` part, with no timestamp or name in the gzip
/// header, so equal records give equal bytes.
struct PartWriter {
    gz: flate2::write::GzEncoder<Vec<u8>>,
    records: u64,
    size: u64,
}

impl PartWriter {
    fn new() -> PartWriter {
        PartWriter {
            gz: GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), Compression::default()),
            records: 0,
            size: 0,
        }
    }

    fn push(&mut self, record: &Record) -> std::io::Result<()> {
        let lead: &[u8] = if self.records == 0 {
            b"{\"Records\":["
        } else {
            b","
        };
        self.gz.write_all(lead)?;
        self.gz.write_all(&record.raw)?;
        self.records += 1;
        self.size += record.raw.len() as u64 + 1;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.gz.write_all(b"]}")?;
        self.gz.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::cell::RefCell;
    use std::io::Cursor;
    use std::rc::Rc;

    /// A scratch stream the test can read back, as a host's file would be.
    #[derive(Clone, Default)]
    struct Scratch(Rc<RefCell<Vec<u8>>>);

    impl Write for Scratch {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Runs a whole consolidation as a host would; returns the result, the
    /// parts and how many runs went through the scratch.
    fn consolidate(config: &str, inputs: &[(&str, &[u8])]) -> (Consolidation, Vec<Part>, usize) {
        let scratch = Scratch::default();
        let mut c = Consolidator::open(config, Box::new(scratch.clone())).unwrap();
        for (name, data) in inputs {
            c.add(name, *data);
        }
        let lengths = c.runs().unwrap();
        let bytes = scratch.0.borrow().clone();
        let mut streams: Vec<Box<dyn Read>> = Vec::new();
        let mut offset = 0;
        for len in &lengths {
            let end = offset + *len as usize;
            streams.push(Box::new(Cursor::new(bytes[offset..end].to_vec())));
            offset = end;
        }
        assert_eq!(offset, bytes.len(), "the runs cover the scratch exactly");
        c.merge(streams).unwrap();
        let mut parts = Vec::new();
        while let Some(part) = c.next_part().unwrap() {
            parts.push(part);
        }
        (c.finish().unwrap(), parts, lengths.len())
    }

    fn records_of(part: &Part) -> Vec<serde_json::Value> {
        let mut text = String::new();
        GzDecoder::new(&part.artifact.data[..])
            .read_to_string(&mut text)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["Records"].as_array().unwrap().clone()
    }

    #[test]
    fn dedups_orders_and_ignores_input_order() {
        let a = br#"{"Records":[{"eventID":"2","eventTime":"2026-01-01T00:00:02Z"},{"eventID":"1","eventTime":"2026-01-01T00:00:01Z"}]}"#;
        let b = br#"{"Records":[{"eventID":"1","eventTime":"2026-01-01T00:00:01Z"},{"eventID":"3","eventTime":"2026-01-01T00:00:00Z"}]}"#;
        let (one, one_parts, _) = consolidate("", &[("x", a), ("y", b)]);
        let (_, two_parts, _) = consolidate("", &[("y", b), ("x", a)]);
        assert_eq!((one.records_in, one.duplicates, one.records_out), (4, 1, 3));
        assert_eq!(one_parts[0].artifact.data, two_parts[0].artifact.data);
        let ids: Vec<_> = records_of(&one_parts[0])
            .iter()
            .map(|r| r["eventID"].clone())
            .collect();
        assert_eq!(ids, ["3", "1", "2"]);
        assert_eq!(one.first_event_time, "2026-01-01T00:00:00Z");
        assert_eq!(one.last_event_time, "2026-01-01T00:00:02Z");
    }

    #[test]
    fn records_without_an_id_dedup_by_bytes() {
        let log = br#"{"Records":[{"eventTime":"t1","a":1},{"eventTime":"t1","a":2},{"eventTime":"t1","a":1}]}"#;
        let (result, _, _) = consolidate("", &[("log", log)]);
        assert_eq!((result.records_out, result.duplicates), (2, 1));
    }

    #[test]
    fn a_same_id_and_time_copy_with_other_bytes_is_kept_and_named() {
        let genuine = br#"{"Records":[{"eventID":"e1","eventTime":"t1","userName":"alice"}]}"#;
        let forged = br#"{"Records":[{"eventID":"e1","eventTime":"t1","userName":"aaa"},{"eventID":"e1","eventTime":"t1","userName":"alice"}]}"#;
        let (result, parts, _) = consolidate("", &[("genuine", genuine), ("forged", forged)]);
        assert_eq!(
            (result.records_in, result.duplicates, result.records_out),
            (3, 1, 2)
        );
        assert_eq!(
            (result.conflicts, result.conflicting),
            (1, vec!["e1 t1".to_owned()])
        );
        let names: Vec<_> = records_of(&parts[0])
            .iter()
            .map(|r| r["userName"].clone())
            .collect();
        assert_eq!(names, ["aaa", "alice"], "both copies are in the log");
    }

    fn padded_log(ids: std::ops::Range<usize>) -> String {
        let records: Vec<String> = ids
            .map(|i| {
                format!(
                    r#"{{"eventID":"{i:03}","eventTime":"t{:03}","pad":"{}"}}"#,
                    (i * 7919) % 1000,
                    "x".repeat(100)
                )
            })
            .collect();
        format!("{{\"Records\":[{}]}}", records.join(","))
    }

    #[test]
    fn parts_are_bounded() {
        let log = padded_log(0..100);
        let config = r#"{"consolidate":{"max_part_bytes":2048}}"#;
        let (result, parts, _) = consolidate(config, &[("log", log.as_bytes())]);
        assert!(parts.len() > 1);
        assert_eq!(result.parts, parts.len() as u64);
        let total: u64 = parts.iter().map(|p| p.records).sum();
        assert_eq!(total, 100);
        for p in &parts {
            assert_eq!(records_of(p).len() as u64, p.records);
            assert!(p.records == 1 || p.artifact.data.len() < 2048 + 64);
        }
    }

    #[test]
    fn a_day_larger_than_the_buffer_goes_through_runs_with_the_same_result() {
        // Overlapping inputs, so duplicates meet across runs.
        let a = padded_log(0..300);
        let b = padded_log(200..500);
        let c = padded_log(450..600);
        let inputs: [(&str, &[u8]); 3] = [
            ("a", a.as_bytes()),
            ("b", b.as_bytes()),
            ("c", c.as_bytes()),
        ];
        let (in_memory, memory_parts, memory_runs) = consolidate("", &inputs);
        let small = r#"{"consolidate":{"max_buffer_bytes":4096}}"#;
        let (spilled, spilled_parts, spilled_runs) = consolidate(small, &inputs);
        assert_eq!(memory_runs, 0);
        assert!(spilled_runs > 20, "{spilled_runs} runs");
        assert_eq!(
            (spilled.records_in, spilled.duplicates, spilled.records_out),
            (750, 150, 600)
        );
        assert_eq!(
            (
                in_memory.records_in,
                in_memory.duplicates,
                in_memory.records_out
            ),
            (spilled.records_in, spilled.duplicates, spilled.records_out)
        );
        assert_eq!(memory_parts.len(), spilled_parts.len());
        for (m, s) in memory_parts.iter().zip(&spilled_parts) {
            assert_eq!(m.artifact.data, s.artifact.data, "same bytes either way");
        }
    }

    #[test]
    fn failed_inputs_add_no_records() {
        let (result, _, _) =
            consolidate("", &[("bad", &b"{\"Records\":[{\"eventID\":\"1\"},"[..])]);
        assert_eq!((result.records_out, result.problems.len()), (0, 1));
    }

    #[test]
    fn an_input_that_fails_after_spilling_adds_no_records() {
        let good = padded_log(0..50);
        let whole = padded_log(100..400);
        // Cut inside the last record: hundreds of records reach runs first.
        let cut = &whole.as_bytes()[..whole.len() - 40];
        let small = r#"{"consolidate":{"max_buffer_bytes":4096}}"#;
        let (result, parts, runs) = consolidate(small, &[("good", good.as_bytes()), ("cut", cut)]);
        assert!(runs > 5);
        assert_eq!((result.records_in, result.records_out), (50, 50));
        assert_eq!(parts.iter().map(|p| p.records).sum::<u64>(), 50);
        assert_eq!(result.problems[0].name, "cut");
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("scratch limit reached"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_scratch_stops_the_consolidation() {
        let log = padded_log(0..100);
        let small = r#"{"consolidate":{"max_buffer_bytes":4096}}"#;
        let mut c = Consolidator::open(small, Box::new(Full)).unwrap();
        let outcome = c.add("log", log.as_bytes());
        assert_eq!(outcome.status, Status::Failed);
        assert!(
            outcome.detail.contains("scratch limit reached"),
            "{}",
            outcome.detail
        );
        let err = c.runs().unwrap_err();
        assert!(err.contains("scratch"), "{err}");
    }

    #[test]
    fn calls_out_of_order_are_errors() {
        let mut c = Consolidator::open("", Box::new(Scratch::default())).unwrap();
        assert!(c.next_part().is_err());
        assert!(c.merge(Vec::new()).is_err());
        c.runs().unwrap();
        assert!(c.runs().is_err());
        assert_eq!(c.add("late", &b"{}"[..]).status, Status::Failed);
    }
}
