//! How a log file's bytes are made of its records: the record hashes in
//! the file's order and the bytes between them (`{"Records":[`, the `,`s,
//! `]}`, and any white space or other members). With the records' bytes,
//! found again in a consolidated log by their hashes, this rebuilds the
//! file byte for byte, so its SHA-256 can be checked against the CloudTrail
//! digest that listed it long after the file itself was deleted.
//!
//! The host records this while it frames a raw file for its ledger
//! (`crate::ledger`), as bytes, never reading a field.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ledger::RecordHash;

/// Bytes between records beyond this make the file's layout unrecorded
/// (CloudTrail's own files have a few dozen).
const MAX_GAP_BYTES: usize = 64 << 10;

/// A file's layout, as a manifest stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLayout {
    /// The runs of bytes around and between the records, in order, each
    /// with how many times it repeats: `[["{\"Records\":[", 1], [",", 24],
    /// ["]}", 1]]` for 25 records. There is one more than records.
    pub gaps: Vec<(String, u64)>,
    /// Each record's hash (`crate::ledger`: the first 128 bits of the
    /// SHA-256 of its bytes), hex, in the file's order.
    pub records: Vec<String>,
}

/// Why a layout cannot be rebuilt into its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildError {
    /// Records (their position in the file, 1-based, and hash) that the
    /// consolidated log does not hold: removed, or changed.
    Missing(Vec<(usize, String)>),
    /// The layout itself does not add up.
    Malformed(String),
}

impl RecordLayout {
    pub fn record_hashes(&self) -> impl Iterator<Item = Option<RecordHash>> + '_ {
        self.records
            .iter()
            .map(|h| RecordHash::from_str_radix(h, 16).ok())
    }

    /// The file's bytes, from its records' bytes looked up by hash.
    pub fn rebuild(&self, records: &HashMap<RecordHash, &[u8]>) -> Result<Vec<u8>, RebuildError> {
        let gaps: u64 = self.gaps.iter().map(|(_, n)| n).sum();
        if gaps != self.records.len() as u64 + 1 {
            return Err(RebuildError::Malformed(format!(
                "{gaps} gaps around {} records",
                self.records.len()
            )));
        }
        let mut found = Vec::with_capacity(self.records.len());
        let mut missing = Vec::new();
        for (i, (text, hash)) in self.records.iter().zip(self.record_hashes()).enumerate() {
            match hash.and_then(|h| records.get(&h)) {
                Some(bytes) => found.push(*bytes),
                None => missing.push((i + 1, text.clone())),
            }
        }
        if !missing.is_empty() {
            return Err(RebuildError::Missing(missing));
        }
        let mut out = Vec::new();
        let mut records = found.into_iter();
        let mut first = true;
        for (gap, times) in &self.gaps {
            for _ in 0..*times {
                if !first && let Some(record) = records.next() {
                    out.extend_from_slice(record);
                }
                first = false;
                out.extend_from_slice(gap.as_bytes());
            }
        }
        Ok(out)
    }
}

/// Collects the bytes outside records as a framer walks a file.
#[derive(Debug, Default)]
pub struct GapRecorder {
    gaps: Vec<(Vec<u8>, u64)>,
    current: Vec<u8>,
    bytes: usize,
    too_large: bool,
}

impl GapRecorder {
    /// A byte outside any record.
    pub fn outside(&mut self, b: u8) {
        self.bytes += 1;
        if self.bytes > MAX_GAP_BYTES {
            self.too_large = true;
        } else {
            self.current.push(b);
        }
    }

    /// A record starts: the gap before it is whole.
    pub fn record_starts(&mut self) {
        let gap = std::mem::take(&mut self.current);
        match self.gaps.last_mut() {
            Some((last, n)) if *last == gap => *n += 1,
            _ => self.gaps.push((gap, 1)),
        }
    }

    /// The layout, given the records framed; `None` when the bytes between
    /// records are too many or not UTF-8 (the file is then not rebuilt).
    pub fn finish(mut self, records: &[RecordHash]) -> Option<RecordLayout> {
        self.record_starts();
        if self.too_large {
            return None;
        }
        let gaps = self
            .gaps
            .into_iter()
            .map(|(gap, n)| String::from_utf8(gap).ok().map(|g| (g, n)))
            .collect::<Option<Vec<_>>>()?;
        Some(RecordLayout {
            gaps,
            records: records.iter().map(|h| format!("{h:032x}")).collect(),
        })
    }
}
