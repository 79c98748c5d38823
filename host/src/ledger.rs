//! The host's own account of records, kept without the component, so that
//! no component (buggy or hostile) can make the host delete a record.
//!
//! The host knows one thing about the bytes it moves: a CloudTrail log file
//! is the envelope `{"Records":[…]}`. It frames the elements of that array
//! as they stream past (inflating gzip itself) and keeps a 128-bit SHA-256
//! of each element's exact bytes, never reading a field inside one. A
//! consolidator copies records byte for byte and drops only byte-identical
//! duplicates, so the distinct record hashes of what went in must be
//! exactly those of what came out. Order does not matter: these are sets.
//!
//! An input the host cannot frame (another container form, a count that
//! differs from the component's) is *unverified*: its records may appear in
//! the output (their number bounds the output the host cannot account for),
//! but it is never deleted on the strength of this check.

use std::collections::HashSet;
use std::io::{self, Read, Write};

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

use crate::record_layout::{GapRecorder, RecordLayout};

/// A record's identity: the first 128 bits of the SHA-256 of its bytes.
pub type RecordHash = u128;

fn finish_hash(hasher: Sha256) -> RecordHash {
    let digest = hasher.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    RecordHash::from_be_bytes(first)
}

/// Where the framer is in the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// At the very start: a UTF-8 byte order mark may come (bytes seen).
    Bom(u8),
    /// Before the top-level `{`.
    Document,
    /// In the top object, where a member name or (first) `}` may come.
    MemberName { first: bool },
    /// Inside a member name.
    Name { escaped: bool },
    /// Between a member name and its `:`.
    Colon,
    /// Before a member's value.
    Value,
    /// Skipping a member value other than `Records`.
    Skip(Skip),
    /// After a member value: `,` or `}`.
    AfterMember,
    /// After `[` of `Records`, or after a `,` in it (`first` allows `]`).
    Element { first: bool },
    /// Inside a record: nesting depth (the record's own `{` is 1).
    Record {
        depth: u32,
        string: bool,
        escaped: bool,
    },
    /// After a record: `,` or `]`.
    AfterElement,
    /// After the top-level `}`: only white space.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Skip {
    depth: u32,
    string: bool,
    escaped: bool,
    scalar: bool,
}

/// The bytes that change a record's nesting outside its strings.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    while k < 5 {
        table[b"\"{}[]"[k] as usize] = true;
        k += 1;
    }
    table
};

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Frames the records of one plain-JSON envelope as its bytes are written.
pub struct Framer {
    at: At,
    name: Vec<u8>,
    in_records: bool,
    records_members: u32,
    hasher: Option<Sha256>,
    hashes: Vec<RecordHash>,
    offset: u64,
    error: Option<String>,
    /// The bytes outside records, for the file's layout.
    gaps: GapRecorder,
    /// The offset of the next byte `gaps` has not seen (a byte can be
    /// looked at twice, as the state changes).
    gaps_through: u64,
    /// Where each record lies in the (inflated) input, end exclusive.
    spans: Vec<(u64, u64)>,
}

/// What framing a whole file gives.
pub struct Framed {
    /// The hash of every record, in order.
    pub records: Vec<RecordHash>,
    /// Where each record lies in the (inflated) input, end exclusive.
    pub spans: Vec<(u64, u64)>,
    gaps: GapRecorder,
}

impl Framed {
    /// How to rebuild the file from its records, when it can be (made
    /// only when asked: parts are framed too, and never rebuilt).
    pub fn layout(&mut self) -> Option<RecordLayout> {
        std::mem::take(&mut self.gaps).finish(&self.records)
    }
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            at: At::Bom(0),
            name: Vec::new(),
            in_records: false,
            records_members: 0,
            hasher: None,
            hashes: Vec::new(),
            offset: 0,
            error: None,
            gaps: GapRecorder::default(),
            gaps_through: 0,
            spans: Vec::new(),
        }
    }
}

impl Framer {
    fn fail(&mut self, why: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(format!("at byte {}: {}", self.offset, why.into()));
        }
    }

    /// Feeds a chunk; errors are kept for `finish`.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut i = 0;
        // Where the current record started in this chunk, when inside one.
        let mut record_from = matches!(self.at, At::Record { .. }).then_some(0);
        while i < chunk.len() && self.error.is_none() {
            if let At::Record {
                string,
                escaped: false,
                ..
            } = self.at
            {
                // Most of a log is the inside of records, and most bytes
                // there change nothing: jump to the next that can.
                let rest = &chunk[i..];
                let skip = if string {
                    memchr::memchr2(b'"', b'\\', rest)
                } else {
                    rest.iter().position(|&b| STRUCTURAL[usize::from(b)])
                }
                .unwrap_or(rest.len());
                i += skip;
                self.offset += skip as u64;
                if i == chunk.len() {
                    break;
                }
            }
            let b = chunk[i];
            let mut consumed = true;
            let in_record = matches!(self.at, At::Record { .. })
                || (matches!(self.at, At::Element { .. }) && b == b'{');
            if !in_record && self.offset >= self.gaps_through {
                self.gaps.outside(b);
                self.gaps_through = self.offset + 1;
            }
            match self.at {
                At::Bom(n) => {
                    const BOM: [u8; 3] = [0xef, 0xbb, 0xbf];
                    if b == BOM[n as usize] {
                        self.at = if n == 2 { At::Document } else { At::Bom(n + 1) };
                    } else if n == 0 {
                        self.at = At::Document;
                        consumed = false;
                    } else {
                        self.fail("a broken byte order mark");
                    }
                }
                At::Document => match b {
                    b'{' => self.at = At::MemberName { first: true },
                    _ if is_space(b) => {}
                    _ => self.fail("not a JSON object: not a CloudTrail log envelope"),
                },
                At::MemberName { first } => match b {
                    b'"' => {
                        self.name.clear();
                        self.at = At::Name { escaped: false };
                    }
                    b'}' if first => self.at = At::End,
                    _ if is_space(b) => {}
                    _ => self.fail("expected a member name"),
                },
                At::Name { escaped } => {
                    if escaped {
                        self.at = At::Name { escaped: false };
                    } else if b == b'\\' {
                        self.at = At::Name { escaped: true };
                    } else if b == b'"' {
                        self.at = At::Colon;
                        continue_after(&mut i, &mut self.offset);
                        continue;
                    }
                    // An escaped `Records` is not `Records` here: such a
                    // file is left unverified, never misread.
                    if self.name.len() < 16 {
                        self.name.push(b);
                    }
                }
                At::Colon => match b {
                    b':' => self.at = At::Value,
                    _ if is_space(b) => {}
                    _ => self.fail("expected `:`"),
                },
                At::Value => {
                    if is_space(b) {
                    } else if self.name == b"Records" {
                        self.records_members += 1;
                        if self.records_members > 1 {
                            self.fail("two `Records` members");
                        } else if b == b'[' {
                            self.in_records = true;
                            self.at = At::Element { first: true };
                        } else {
                            self.fail("`Records` is not an array");
                        }
                    } else {
                        self.at = At::Skip(Skip {
                            depth: u32::from(b == b'{' || b == b'['),
                            string: b == b'"',
                            escaped: false,
                            scalar: !matches!(b, b'{' | b'[' | b'"'),
                        });
                        if matches!(self.at, At::Skip(Skip { scalar: true, .. })) {
                            consumed = false;
                        }
                    }
                }
                At::Skip(mut s) => {
                    if s.scalar {
                        if b == b',' || b == b'}' || is_space(b) {
                            self.at = At::AfterMember;
                            consumed = false;
                        }
                    } else if s.string {
                        if s.escaped {
                            s.escaped = false;
                        } else if b == b'\\' {
                            s.escaped = true;
                        } else if b == b'"' {
                            s.string = false;
                            if s.depth == 0 {
                                self.at = At::AfterMember;
                                continue_after(&mut i, &mut self.offset);
                                continue;
                            }
                        }
                        self.at = At::Skip(s);
                    } else {
                        match b {
                            b'"' => s.string = true,
                            b'{' | b'[' => s.depth += 1,
                            b'}' | b']' => s.depth -= 1,
                            _ => {}
                        }
                        self.at = if s.depth == 0 {
                            At::AfterMember
                        } else {
                            At::Skip(s)
                        };
                    }
                }
                At::AfterMember => match b {
                    b',' => self.at = At::MemberName { first: false },
                    b'}' => self.at = At::End,
                    _ if is_space(b) => {}
                    _ => self.fail("expected `,` or `}` after a member"),
                },
                At::Element { first } => match b {
                    b'{' => {
                        self.gaps.record_starts();
                        self.spans.push((self.offset, self.offset));
                        self.hasher = Some(Sha256::new());
                        record_from = Some(i);
                        self.at = At::Record {
                            depth: 1,
                            string: false,
                            escaped: false,
                        };
                    }
                    b']' if first => {
                        self.in_records = false;
                        self.at = At::AfterMember;
                    }
                    _ if is_space(b) => {}
                    _ => self.fail("a record that is not a JSON object"),
                },
                At::Record {
                    mut depth,
                    mut string,
                    mut escaped,
                } => {
                    if string {
                        if escaped {
                            escaped = false;
                        } else if b == b'\\' {
                            escaped = true;
                        } else if b == b'"' {
                            string = false;
                        }
                    } else {
                        match b {
                            b'"' => string = true,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => depth -= 1,
                            _ => {}
                        }
                    }
                    if depth == 0 {
                        let from = record_from.take().unwrap_or(0);
                        if let Some(mut hasher) = self.hasher.take() {
                            hasher.update(&chunk[from..=i]);
                            self.hashes.push(finish_hash(hasher));
                        }
                        if let Some(span) = self.spans.last_mut() {
                            span.1 = self.offset + 1;
                        }
                        self.at = At::AfterElement;
                    } else {
                        self.at = At::Record {
                            depth,
                            string,
                            escaped,
                        };
                    }
                }
                At::AfterElement => match b {
                    b',' => self.at = At::Element { first: false },
                    b']' => {
                        self.in_records = false;
                        self.at = At::AfterMember;
                    }
                    _ if is_space(b) => {}
                    _ => self.fail("expected `,` or `]` after a record"),
                },
                At::End => {
                    if !is_space(b) {
                        self.fail("data after the end of the log");
                    }
                }
            }
            if consumed {
                continue_after(&mut i, &mut self.offset);
            }
        }
        if let (Some(from), Some(hasher)) = (record_from, self.hasher.as_mut()) {
            hasher.update(&chunk[from.min(chunk.len())..]);
        }
    }

    /// The hash of every record, in order, or why the input is not a whole envelope.
    pub fn finish(self) -> Result<Vec<RecordHash>, String> {
        self.finish_framed().map(|framed| framed.records)
    }

    /// The records and the file's layout, or why the input is not a whole
    /// envelope.
    pub fn finish_framed(self) -> Result<Framed, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.at {
            At::End if self.records_members == 1 => Ok(Framed {
                records: self.hashes,
                spans: self.spans,
                gaps: self.gaps,
            }),
            At::End => Err("no `Records` member: not a CloudTrail log envelope".into()),
            _ => Err("the log ends before its envelope closes".into()),
        }
    }
}

fn continue_after(i: &mut usize, offset: &mut u64) {
    *i += 1;
    *offset += 1;
}

/// Frames one input as it streams: gzip (by its magic bytes) or plain JSON.
pub struct Tally {
    decoding: Decoding,
}

enum Decoding {
    /// The first bytes, until there are two to tell gzip from plain.
    Sniffing(Vec<u8>),
    Plain(Box<Framer>),
    Gzip(Box<flate2::write::MultiGzDecoder<FramerSink>>),
    Broken(String),
}

/// A `Write` end for the gzip decoder.
struct FramerSink(Framer);

impl Write for FramerSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.feed(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            decoding: Decoding::Sniffing(Vec::new()),
        }
    }
}

impl Tally {
    pub fn feed(&mut self, mut chunk: &[u8]) {
        if let Decoding::Sniffing(first) = &mut self.decoding {
            let take = (2 - first.len()).min(chunk.len());
            first.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if first.len() < 2 {
                return;
            }
            let first = std::mem::take(first);
            self.decoding = if first == [0x1f, 0x8b] {
                Decoding::Gzip(Box::new(flate2::write::MultiGzDecoder::new(FramerSink(
                    Framer::default(),
                ))))
            } else {
                Decoding::Plain(Box::default())
            };
            self.feed_decoded(&first);
        }
        self.feed_decoded(chunk);
    }

    fn feed_decoded(&mut self, chunk: &[u8]) {
        match &mut self.decoding {
            Decoding::Plain(framer) => framer.feed(chunk),
            Decoding::Gzip(decoder) => {
                if let Err(e) = decoder.write_all(chunk) {
                    self.decoding = Decoding::Broken(format!("not a whole gzip stream: {e}"));
                }
            }
            Decoding::Sniffing(_) | Decoding::Broken(_) => {}
        }
    }

    pub fn finish(self) -> Result<Vec<RecordHash>, String> {
        self.finish_framed().map(|framed| framed.records)
    }

    /// The records of the (inflated) input and its layout.
    pub fn finish_framed(self) -> Result<Framed, String> {
        match self.decoding {
            Decoding::Sniffing(first) => {
                let mut framer = Framer::default();
                framer.feed(&first);
                framer.finish_framed()
            }
            Decoding::Plain(framer) => framer.finish_framed(),
            Decoding::Gzip(decoder) => match decoder.finish() {
                Ok(sink) => sink.0.finish_framed(),
                Err(e) => Err(format!("not a whole gzip stream: {e}")),
            },
            Decoding::Broken(why) => Err(why),
        }
    }
}

/// The records of a whole gzip log held in memory, checking that every
/// gzip member is complete and nothing follows the last one.
pub fn frame_gzip(data: &[u8]) -> Result<Vec<RecordHash>> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        bail!("it does not start with the gzip magic bytes");
    }
    let mut decoder = flate2::bufread::MultiGzDecoder::new(data);
    let mut framer = Framer::default();
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let n = decoder.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        framer.feed(&buffer[..n]);
    }
    framer.finish().map_err(|why| anyhow::anyhow!("{why}"))
}

/// A whole gzip log held in memory, inflated, with its records framed.
pub fn inflate_and_frame(data: &[u8]) -> Result<(Vec<u8>, Framed)> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        bail!("it does not start with the gzip magic bytes");
    }
    let mut text = Vec::new();
    flate2::bufread::MultiGzDecoder::new(data).read_to_end(&mut text)?;
    let mut framer = Framer::default();
    framer.feed(&text);
    let framed = framer
        .finish_framed()
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    Ok((text, framed))
}

/// Records in versus records out, over one consolidation.
#[derive(Default)]
pub struct Ledger {
    /// Distinct records of the inputs the host framed itself.
    verified: HashSet<RecordHash>,
    /// Records (as the component counted them) of analyzed inputs the host
    /// could not frame: the most output the host cannot account for.
    unverified_records: u64,
    /// Names of those inputs, with why.
    unverified: Vec<(String, String)>,
    /// Distinct records of the output, and how many records it held.
    output: HashSet<RecordHash>,
    output_records: u64,
}

impl Ledger {
    /// Accounts for one input the component analyzed, given what the host
    /// framed of it and the events the component counted.
    pub fn input(&mut self, name: &str, framed: Result<Vec<RecordHash>, String>, events: u64) {
        match framed {
            Ok(hashes) if hashes.len() as u64 == events => self.verified.extend(hashes),
            Ok(hashes) => self.unverify(
                name,
                events,
                format!(
                    "the host framed {} records, the component counted {events}",
                    hashes.len()
                ),
            ),
            Err(why) => self.unverify(name, events, why),
        }
    }

    fn unverify(&mut self, name: &str, events: u64, why: String) {
        // Debug only: the Lambda job reports such an input as kept, and the
        // CLI deletes nothing anyway.
        tracing::debug!(input = name, reason = %why, "the host cannot account for this input's records itself");
        self.unverified_records += events;
        self.unverified.push((name.to_owned(), why));
    }

    /// Whether the host accounted for this input itself.
    pub fn is_verified(&self, name: &str) -> bool {
        !self.unverified.iter().any(|(n, _)| n == name)
    }

    /// The inputs the host could not account for, with why.
    pub fn unverified(&self) -> &[(String, String)] {
        &self.unverified
    }

    /// Accounts for one part of the output.
    pub fn output(&mut self, part: &str, hashes: Vec<RecordHash>) -> Result<()> {
        for hash in hashes {
            self.output_records += 1;
            if !self.output.insert(hash) {
                bail!(
                    "{part} holds a record twice, byte for byte: the consolidation is refused, nothing written"
                );
            }
        }
        Ok(())
    }

    /// Every verified input record is in the output, and the output holds
    /// no record the inputs cannot explain.
    pub fn check(&self) -> Result<()> {
        let missing = self.verified.difference(&self.output).count();
        if missing > 0 {
            bail!(
                "{missing} input record(s) are not in the component's output (checked by the host, \
                 record by record): the consolidation is refused, nothing written or deleted"
            );
        }
        let extra = (self.output.len() - self.verified.len()) as u64;
        if extra > self.unverified_records {
            bail!(
                "the component's output holds {extra} record(s) that are in no input: the \
                 consolidation is refused, nothing written or deleted"
            );
        }
        Ok(())
    }

    pub fn output_records(&self) -> u64 {
        self.output_records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_layout::RebuildError;
    use std::collections::HashMap;

    fn frame(text: &[u8]) -> Result<Vec<RecordHash>, String> {
        let mut framer = Framer::default();
        framer.feed(text);
        framer.finish()
    }

    fn hash(bytes: &[u8]) -> RecordHash {
        finish_hash(Sha256::new_with_prefix(bytes))
    }

    #[test]
    fn frames_the_exact_bytes_of_each_record() {
        let log = b"\xef\xbb\xbf {\"other\": [1, {\"Records\": \"]}\"}], \"n\": -1.5e3, \"Records\" : [ {\"a\":\"}\\\"\"} ,\n{\"b\":[{}]}], \"t\":true}\n";
        assert_eq!(
            frame(log).unwrap(),
            vec![hash(b"{\"a\":\"}\\\"\"}"), hash(b"{\"b\":[{}]}")]
        );
        assert_eq!(frame(br#"{"Records":[]}"#).unwrap(), vec![]);
    }

    /// The framer jumps over the bytes of a record that cannot end a string
    /// or change its nesting: escapes and brackets inside strings, split
    /// anywhere, must still end each record exactly where it ends.
    #[test]
    fn records_end_where_they_end_whatever_the_strings_hold_and_wherever_a_chunk_splits() {
        let records: [&[u8]; 5] = [
            br#"{"a":"\\"}"#,
            br#"{"b":"\\\"}]{[","c":[{"d":"]"},[]]}"#,
            br#"{"e":"x\"y\\z\\\\","f":{"g":"{{{"}}"#,
            "{\"h\":\"\\u005c\\\"\",\"i\":\"caf\\u00e9 été\"}".as_bytes(),
            br#"{}"#,
        ];
        let mut log = b"{\"Records\":[".to_vec();
        for (n, record) in records.iter().enumerate() {
            if n > 0 {
                log.extend_from_slice(b",\n  ");
            }
            log.extend_from_slice(record);
        }
        log.extend_from_slice(b"]}");
        let expected: Vec<RecordHash> = records.iter().map(|r| hash(r)).collect();
        assert_eq!(frame(&log).unwrap(), expected);
        for split in 0..=log.len() {
            let mut framer = Framer::default();
            framer.feed(&log[..split]);
            framer.feed(&log[split..]);
            assert_eq!(framer.finish().unwrap(), expected, "split at {split}");
        }
        for step in 1..16 {
            let mut framer = Framer::default();
            for chunk in log.chunks(step) {
                framer.feed(chunk);
            }
            assert_eq!(framer.finish().unwrap(), expected, "chunks of {step}");
        }
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let log = br#"{"Records":[{"eventID":"1","x":"a\"b"},{"eventID":"2","y":[1,2,{"z":null}]}],"s":"x"}"#;
        let whole = frame(log).unwrap();
        for step in 1..log.len() {
            let mut framer = Framer::default();
            for chunk in log.chunks(step) {
                framer.feed(chunk);
            }
            assert_eq!(framer.finish().unwrap(), whole, "chunks of {step}");
        }
    }

    #[test]
    fn a_file_is_rebuilt_byte_for_byte_from_its_layout_and_records() {
        let logs: [&[u8]; 4] = [
            b"\xef\xbb\xbf {\"other\": [1, {\"Records\": \"]}\"}], \"n\": -1.5e3, \"Records\" : [ {\"a\":\"}\\\"\"} ,\n{\"b\":[{}]}], \"t\":true}\n",
            br#"{"Records":[{"a":1},{"b":2},{"c":3}]}"#,
            br#"{"Records":[]}"#,
            b"{\n  \"Records\": [\n    {\"a\": 1},\n    {\"a\": 1}\n  ]\n}\n",
        ];
        for log in logs {
            for step in [1, 2, 7, log.len()] {
                let mut framer = Framer::default();
                for chunk in log.chunks(step) {
                    framer.feed(chunk);
                }
                let layout = framer.finish_framed().unwrap().layout().unwrap();
                // The records' bytes, as a consolidated log would hold them.
                let spans = [
                    &b"{\"a\":\"}\\\"\"}"[..],
                    b"{\"b\":[{}]}",
                    b"{\"a\":1}",
                    b"{\"b\":2}",
                    b"{\"c\":3}",
                    b"{\"a\": 1}",
                ];
                let records: HashMap<RecordHash, &[u8]> =
                    spans.iter().map(|r| (hash(r), *r)).collect();
                assert_eq!(
                    layout.rebuild(&records).unwrap(),
                    log,
                    "{} in chunks of {step}",
                    String::from_utf8_lossy(log)
                );
            }
        }
        let mut framer = Framer::default();
        framer.feed(logs[1]);
        let layout = framer.finish_framed().unwrap().layout().unwrap();
        assert_eq!(
            layout.gaps,
            vec![
                ("{\"Records\":[".to_owned(), 1),
                (",".to_owned(), 2),
                ("]}".to_owned(), 1)
            ]
        );
        // A record changed in the consolidated log is named.
        let changed: HashMap<RecordHash, &[u8]> = [&b"{\"a\":1}"[..], b"{\"c\":3}"]
            .iter()
            .map(|r| (hash(r), *r))
            .collect();
        assert_eq!(
            layout.rebuild(&changed),
            Err(RebuildError::Missing(vec![(
                2,
                format!("{:032x}", hash(b"{\"b\":2}"))
            )]))
        );
    }

    #[test]
    fn anything_else_is_not_an_envelope() {
        for bad in [
            &b"[{\"a\":1}]"[..],
            b"{\"Records\":[1]}",
            b"{\"Records\":{}}",
            b"{\"Records\":[],\"Records\":[]}",
            b"{\"Events\":[]}",
            b"{\"Records\":[{\"a\":1}]",
            b"{\"Records\":[{\"a\":1}]} x",
            b"{\"Rec\\u006frds\":[{\"a\":1}]}",
            b"",
        ] {
            assert!(frame(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn gzip_is_inflated_and_must_be_whole() {
        let log = br#"{"Records":[{"a":1},{"b":2}]}"#;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(log).unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(frame_gzip(&gz).unwrap(), frame(log).unwrap());
        let mut tally = Tally::default();
        for chunk in gz.chunks(1) {
            tally.feed(chunk);
        }
        assert_eq!(tally.finish().unwrap(), frame(log).unwrap());
        let mut truncated = Tally::default();
        truncated.feed(&gz[..gz.len() - 6]);
        assert!(truncated.finish().is_err());
        assert!(frame_gzip(&gz[..gz.len() - 6]).is_err());
    }

    #[test]
    fn the_ledger_refuses_lost_added_or_doubled_records() {
        let (a, b, c) = (hash(b"a"), hash(b"b"), hash(b"c"));
        let mut ledger = Ledger::default();
        ledger.input("one", Ok(vec![a, b]), 2);
        ledger.input("two", Ok(vec![b]), 1);
        ledger.output("p1", vec![a, b]).unwrap();
        ledger.check().unwrap();

        let mut lost = Ledger::default();
        lost.input("one", Ok(vec![a, b]), 2);
        lost.output("p1", vec![a]).unwrap();
        assert!(lost.check().is_err());

        let mut added = Ledger::default();
        added.input("one", Ok(vec![a]), 1);
        added.output("p1", vec![a, c]).unwrap();
        assert!(added.check().is_err());

        let mut doubled = Ledger::default();
        assert!(doubled.output("p1", vec![a, a]).is_err());

        // An input the host cannot frame explains at most its own count.
        let mut other = Ledger::default();
        other.input("one", Ok(vec![a]), 1);
        other.input("lines", Err("not an envelope".into()), 1);
        other.output("p1", vec![a, c]).unwrap();
        other.check().unwrap();
        assert!(!other.is_verified("lines") && other.is_verified("one"));
        other.output("p2", vec![b]).unwrap();
        assert!(other.check().is_err());
    }
}
