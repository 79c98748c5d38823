//! Sorted runs on the host's scratch file, and the merge that reads them
//! back in order.
//!
//! A run is one gzip member of framed records; a frame is the input's index,
//! then `eventTime`, `eventID` and the raw JSON, each behind a little-endian
//! `u32` length. Frames rather than JSON lines: a record's raw bytes may hold
//! newlines, and reading the keys back should not mean parsing JSON again.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{self, BufReader, Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// One CloudTrail record and the keys it is sorted and deduplicated by.
#[derive(Clone)]
pub struct Record {
    pub time: String,
    pub id: String,
    pub raw: Vec<u8>,
    /// Index of the input it came from: records of an input that later
    /// failed are dropped when the log is written.
    pub input: u32,
}

impl Record {
    /// The output order: event time, then event id, then bytes, so the
    /// order (and which of two duplicates is kept) never depends on the
    /// order the inputs came in.
    pub fn order(&self, other: &Record) -> Ordering {
        (&self.time, &self.id, &self.raw).cmp(&(&other.time, &other.id, &other.raw))
    }

    /// Bytes of memory the record holds, roughly: what the buffer limit counts.
    pub fn footprint(&self) -> u64 {
        (self.time.len() + self.id.len() + self.raw.len() + size_of::<Record>()) as u64
    }
}

/// Writes `records` (already sorted) as one run; returns its length in bytes.
pub fn write_run(records: &[Record], out: &mut dyn Write) -> io::Result<u64> {
    let mut counted = Counting {
        inner: out,
        bytes: 0,
    };
    // Fast compression: runs are read once, soon, from local disk.
    let mut gz = GzEncoder::new(&mut counted, Compression::fast());
    for r in records {
        gz.write_all(&r.input.to_le_bytes())?;
        for field in [r.time.as_bytes(), r.id.as_bytes(), &r.raw] {
            gz.write_all(&(field.len() as u32).to_le_bytes())?;
            gz.write_all(field)?;
        }
    }
    gz.finish()?.flush()?;
    Ok(counted.bytes)
}

struct Counting<'a> {
    inner: &'a mut dyn Write,
    bytes: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads one run's records back, in the order they were written.
pub struct RunReader {
    gz: GzDecoder<BufReader<Box<dyn Read>>>,
}

impl RunReader {
    pub fn new(run: Box<dyn Read>) -> RunReader {
        RunReader {
            gz: GzDecoder::new(BufReader::with_capacity(64 << 10, run)),
        }
    }

    pub fn next(&mut self) -> io::Result<Option<Record>> {
        let mut first = [0u8; 4];
        // A clean end of the run is an end exactly between frames.
        let n = read_full(&mut self.gz, &mut first)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 4 {
            return Err(truncated());
        }
        let input = u32::from_le_bytes(first);
        let time = String::from_utf8(self.field()?).map_err(|_| corrupt())?;
        let id = String::from_utf8(self.field()?).map_err(|_| corrupt())?;
        let raw = self.field()?;
        Ok(Some(Record {
            time,
            id,
            raw,
            input,
        }))
    }

    fn field(&mut self) -> io::Result<Vec<u8>> {
        let mut len = [0u8; 4];
        self.gz.read_exact(&mut len).map_err(|_| truncated())?;
        // The stated length is not trusted with an allocation: a corrupt run
        // could name gigabytes. Memory follows the bytes actually there.
        let len = u64::from(u32::from_le_bytes(len));
        let mut data = Vec::new();
        (&mut self.gz).take(len).read_to_end(&mut data)?;
        if data.len() as u64 != len {
            return Err(truncated());
        }
        Ok(data)
    }
}

/// Like `read_exact`, but reports how much it read when the input ends first.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn truncated() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "a scratch run ends mid-record",
    )
}

fn corrupt() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a scratch run holds a corrupt record",
    )
}

/// A k-way merge of sorted runs: one record per run in a heap.
pub struct Merger {
    runs: Vec<RunReader>,
    heads: BinaryHeap<Head>,
}

struct Head {
    record: Record,
    run: usize,
}

impl Ord for Head {
    // Reversed: `BinaryHeap` pops the greatest, the merge wants the least.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .record
            .order(&self.record)
            .then(other.run.cmp(&self.run))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl Merger {
    pub fn new(runs: Vec<Box<dyn Read>>) -> io::Result<Merger> {
        let mut merger = Merger {
            runs: runs.into_iter().map(RunReader::new).collect(),
            heads: BinaryHeap::new(),
        };
        for run in 0..merger.runs.len() {
            merger.advance(run)?;
        }
        Ok(merger)
    }

    fn advance(&mut self, run: usize) -> io::Result<()> {
        if let Some(record) = self.runs[run].next()? {
            self.heads.push(Head { record, run });
        }
        Ok(())
    }

    pub fn next(&mut self) -> io::Result<Option<Record>> {
        let Some(Head { record, run }) = self.heads.pop() else {
            return Ok(None);
        };
        self.advance(run)?;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, id: &str, input: u32) -> Record {
        Record {
            time: time.into(),
            id: id.into(),
            raw: format!("{{\"eventID\":\"{id}\",\n\"eventTime\":\"{time}\"}}").into_bytes(),
            input,
        }
    }

    fn run_of(records: &[Record]) -> Box<dyn Read> {
        let mut bytes = Vec::new();
        let len = write_run(records, &mut bytes).unwrap();
        assert_eq!(len, bytes.len() as u64);
        Box::new(io::Cursor::new(bytes))
    }

    #[test]
    fn runs_round_trip_and_merge_in_order() {
        let a = [record("1", "a", 0), record("3", "c", 1)];
        let b = [
            record("2", "b", 2),
            record("3", "c", 3),
            record("4", "d", 2),
        ];
        let mut merger = Merger::new(vec![run_of(&a), run_of(&b), run_of(&[])]).unwrap();
        let mut seen = Vec::new();
        while let Some(r) = merger.next().unwrap() {
            seen.push((r.time, r.id, r.input));
        }
        let want = [
            ("1", "a", 0),
            ("2", "b", 2),
            ("3", "c", 1),
            ("3", "c", 3),
            ("4", "d", 2),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(t, i, n)| (t.to_string(), i.to_string(), *n))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_truncated_run_is_an_error() {
        let mut bytes = Vec::new();
        write_run(&[record("1", "a", 0), record("2", "b", 0)], &mut bytes).unwrap();
        bytes.truncate(bytes.len() - 12);
        let read_all = || -> io::Result<usize> {
            let mut merger = Merger::new(vec![Box::new(io::Cursor::new(bytes.clone()))])?;
            let mut n = 0;
            while merger.next()?.is_some() {
                n += 1;
            }
            Ok(n)
        };
        assert!(read_all().is_err());
    }
}
