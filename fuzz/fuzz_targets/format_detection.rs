//! Format detection and the byte stream under it (`container.rs`,
//! `input.rs`): the fuzzer's bytes are one input file. Whatever they hold,
//! the session must not panic, a failed or skipped input must count
//! nothing, the answer must not depend on how the bytes arrive (in small
//! reads, gzip, two gzip members), and a document serde reads as a
//! CloudTrail log or an array of events must be analyzed with every record.
#![no_main]

use std::io::Read;

use analyzer_fuzz::{Trickle, gzip};
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::{InputRecord, Status};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use serde_json::value::RawValue;

fn add(raw: impl Read) -> InputRecord {
    let mut session = Session::open("").expect("the default configuration");
    let record = session.add("input", raw);
    let summary = session.summary();
    assert_eq!(summary.inputs, 1);
    if record.status == Status::Analyzed {
        assert_eq!(summary.events, record.events);
    } else {
        assert_eq!((record.events, summary.events), (0, 0), "{record:?}");
    }
    record
}

/// The top-level members of an object in document order, duplicates kept.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = m.next_entry()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// How many events a document that serde reads whole must give, when its
/// records are plain JSON objects: `Some((format, n))`.
fn expected(data: &[u8]) -> Option<(&'static str, u64)> {
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let all_objects = |list: &Value| -> Option<u64> {
        let items = list.as_array()?;
        items
            .iter()
            .all(Value::is_object)
            .then_some(items.len() as u64)
    };
    if let Ok(list) = serde_json::from_slice::<Value>(text)
        && list.is_array()
    {
        return Some(("event-array", all_objects(&list)?));
    }
    let Members(members) = serde_json::from_slice(text).ok()?;
    // The first "Records" or "Events" member is the container.
    let (key, list) = members
        .iter()
        .find(|(k, _)| k == "Records" || k == "Events")?;
    if key != "Records" {
        return None;
    }
    let list: Value = serde_json::from_str(list.get()).ok()?;
    Some(("cloudtrail-log", all_objects(&list)?))
}

fuzz_target!(|data: &[u8]| {
    let plain = add(data);
    let same = |other: InputRecord, how: &str| {
        assert_eq!(
            (plain.status, plain.events, &plain.detail),
            (other.status, other.events, &other.detail),
            "read {how}"
        );
    };
    let trickled = add(Trickle::new(data, &[1, 7, 3, 200]));
    // In a corrupt gzip stream, which error stops the reading depends on how
    // far the inflater ran ahead of the scanner: the corruption, or bad JSON
    // before it. Either fails the input whole; only the reason may differ.
    let either_error = data.starts_with(&[0x1f, 0x8b])
        && plain.status == Status::Failed
        && trickled.status == Status::Failed
        && [&plain.detail, &trickled.detail]
            .iter()
            .any(|d| d.contains("invalid gzip data"));
    if either_error {
        assert_eq!(plain.events, trickled.events, "read in small pieces");
    } else {
        same(trickled, "in small pieces");
    }
    // Bytes that start as gzip are read as gzip: wrapping them changes them.
    if !data.starts_with(&[0x1f, 0x8b]) {
        same(add(&gzip(data)[..]), "through gzip");
        let (a, b) = data.split_at(data.len() / 2);
        let mut two = gzip(a);
        two.extend(gzip(b));
        same(add(&two[..]), "through two gzip members");
        if let Some((format, events)) = expected(data) {
            // A record is read as serde reads it, but two known keys in one
            // record, or nesting past limits.max_depth (100, under serde's
            // 128), fail it.
            let tolerated = ["duplicate field", "nested deeper"];
            if !tolerated.iter().any(|t| plain.detail.contains(t)) {
                assert_eq!(
                    (plain.status, plain.detail.as_str(), plain.events),
                    (Status::Analyzed, format, events),
                    "a valid {format} document"
                );
            }
        }
    }
});
