//! Many log files in, one CloudTrail log out: the engine behind the
//! `consolidator` resource.
//!
//! Records are deduplicated by `eventID` (a record without one by its exact
//! bytes), ordered by `eventTime`, and written as gzip `{"Records":[…]}`
//! parts of bounded size. The output depends only on the set of records, not
//! on the order of the inputs, so rerunning a consolidation gives the same
//! bytes: that is what makes a crashed run safe to repeat.

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::{Compression, GzBuilder};

use crate::config::Config;
use crate::container::{self, Contents};
use crate::event::Event;
use crate::input;
use crate::report::Artifact;
use crate::stats::{InputRecord, Status};

struct Record {
    time: String,
    id: String,
    raw: Vec<u8>,
}

pub struct Consolidator {
    config: Config,
    records: Vec<Record>,
    /// Dedup key → index in `records`.
    index: HashMap<String, usize>,
    records_in: u64,
    duplicates: u64,
    inputs: Vec<InputRecord>,
}

pub struct Part {
    pub artifact: Artifact,
    pub records: u64,
}

pub struct Consolidation {
    pub records_in: u64,
    pub duplicates: u64,
    pub records_out: u64,
    pub first_event_time: String,
    pub last_event_time: String,
    pub parts: Vec<Part>,
    pub problems: Vec<InputRecord>,
}

impl Consolidator {
    pub fn open(config: &str) -> Result<Consolidator, String> {
        Ok(Consolidator {
            config: Config::parse(config)?,
            records: Vec::new(),
            index: HashMap::new(),
            records_in: 0,
            duplicates: 0,
            inputs: Vec::new(),
        })
    }

    /// Reads one input; a failed input contributes no records.
    pub fn add(&mut self, name: &str, raw: impl Read) -> InputRecord {
        let limits = self.config.limits.clone();
        let mut file_records = Vec::new();
        let (result, bytes) = match input::open(raw, limits.max_input_bytes) {
            Ok((reader, counter)) => {
                let result = container::read_events(reader, &limits, &mut |raw| {
                    let event = Event::parse(raw)?;
                    let time = event.event_time.as_str().unwrap_or("").to_owned();
                    let id = event.event_id.as_str().unwrap_or("").to_owned();
                    file_records.push(Record {
                        time,
                        id,
                        raw: raw.to_vec(),
                    });
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
        let events = if status == Status::Analyzed {
            file_records.len() as u64
        } else {
            0
        };
        if status == Status::Analyzed {
            for record in file_records {
                self.insert(record);
            }
        }
        let outcome = InputRecord {
            name: name.to_owned(),
            status,
            events,
            bytes,
            detail,
        };
        self.inputs.push(outcome.clone());
        outcome
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

    fn insert(&mut self, record: Record) {
        self.records_in += 1;
        let key = if record.id.is_empty() {
            format!("raw:{}", String::from_utf8_lossy(&record.raw))
        } else {
            format!("id:{}", record.id)
        };
        match self.index.get(&key) {
            Some(&i) => {
                self.duplicates += 1;
                // Keep the smaller copy so the choice does not depend on input order.
                if record.raw < self.records[i].raw {
                    self.records[i] = record;
                }
            }
            None => {
                self.index.insert(key, self.records.len());
                self.records.push(record);
            }
        }
    }

    pub fn finish(mut self) -> Result<Consolidation, String> {
        self.index = HashMap::new();
        self.records
            .sort_unstable_by(|a, b| (&a.time, &a.id, &a.raw).cmp(&(&b.time, &b.id, &b.raw)));
        let max_part = self.config.consolidate.max_part_bytes;
        let mut parts = Vec::new();
        let mut start = 0;
        while start < self.records.len() {
            let mut end = start;
            let mut size = 0u64;
            while end < self.records.len()
                && (end == start || size + (self.records[end].raw.len() as u64) < max_part)
            {
                size += self.records[end].raw.len() as u64 + 1;
                end += 1;
            }
            let number = parts.len() + 1;
            parts.push(Part {
                artifact: Artifact {
                    name: format!("part-{number:05}.json.gz"),
                    media_type: "application/gzip".into(),
                    data: write_part(&self.records[start..end]).map_err(|e| e.to_string())?,
                },
                records: (end - start) as u64,
            });
            start = end;
        }
        let time = |r: Option<&Record>| r.map(|r| r.time.clone()).unwrap_or_default();
        let mut problems: Vec<InputRecord> = self
            .inputs
            .into_iter()
            .filter(|i| i.status != Status::Analyzed)
            .collect();
        problems.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Consolidation {
            records_in: self.records_in,
            duplicates: self.duplicates,
            records_out: self.records.len() as u64,
            first_event_time: time(self.records.first()),
            last_event_time: time(self.records.last()),
            parts,
            problems,
        })
    }
}

/// gzip with no timestamp or name in the header, so equal records give equal bytes.
fn write_part(records: &[Record]) -> std::io::Result<Vec<u8>> {
    let mut gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    gz.write_all(b"{\"Records\":[")?;
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            gz.write_all(b",")?;
        }
        gz.write_all(&r.raw)?;
    }
    gz.write_all(b"]}")?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

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
        let run = |first: &[u8], second: &[u8]| {
            let mut c = Consolidator::open("").unwrap();
            c.add("x", first);
            c.add("y", second);
            c.finish().unwrap()
        };
        let one = run(a, b);
        let two = run(b, a);
        assert_eq!((one.records_in, one.duplicates, one.records_out), (4, 1, 3));
        assert_eq!(one.parts[0].artifact.data, two.parts[0].artifact.data);
        let ids: Vec<_> = records_of(&one.parts[0])
            .iter()
            .map(|r| r["eventID"].clone())
            .collect();
        assert_eq!(ids, ["3", "1", "2"]);
        assert_eq!(one.first_event_time, "2026-01-01T00:00:00Z");
    }

    #[test]
    fn parts_are_bounded() {
        let records: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    r#"{{"eventID":"{i:03}","eventTime":"t{i:03}","pad":"{}"}}"#,
                    "x".repeat(100)
                )
            })
            .collect();
        let log = format!("{{\"Records\":[{}]}}", records.join(","));
        let mut c = Consolidator::open(r#"{"consolidate":{"max_part_bytes":2048}}"#).unwrap();
        c.add("log", log.as_bytes());
        let result = c.finish().unwrap();
        assert!(result.parts.len() > 1);
        let total: u64 = result.parts.iter().map(|p| p.records).sum();
        assert_eq!(total, 100);
        for p in &result.parts {
            assert_eq!(records_of(p).len() as u64, p.records);
        }
    }

    #[test]
    fn failed_inputs_add_no_records() {
        let mut c = Consolidator::open("").unwrap();
        c.add("bad", &b"{\"Records\":[{\"eventID\":\"1\"},"[..]);
        let result = c.finish().unwrap();
        assert_eq!((result.records_out, result.problems.len()), (0, 1));
    }
}
