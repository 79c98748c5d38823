//! One big `{"Records":[...]}` gzip file, for benchmarks of huge inputs.
//!
//! Records are made in chunks of about 2048 by worker threads; each chunk
//! is deflated on its own and ended with a sync flush, so the chunks join
//! in order into ONE deflate stream inside ONE gzip member (what pigz
//! does), readable by any gzip reader, `flate2::read::GzDecoder` included.
//! Only a few chunks are in memory at a time, whatever the target size.

use std::io::{self, Write};
use std::sync::Arc;

use flate2::{Compression, Crc, FlushCompress};

use crate::generator::{Plan, Producer, Scratch, legacy_minor, scheduled, write_records};
use crate::gz::Gzip;
use crate::{Spec, Summary};

/// Records per chunk (rounded to whole file slots).
const CHUNK_EVENTS: u64 = 2048;

struct Chunk {
    deflated: Vec<u8>,
    crc: Crc,
    raw_len: u64,
    events: u64,
}

fn files_per_chunk(events_per_file: u64) -> u64 {
    CHUNK_EVENTS.div_ceil(events_per_file.max(1))
}

/// Chunk `c`: the records of virtual file slots `c*k .. (c+1)*k`.
fn make_chunk(plan: &Plan, c: u64, scratch: &mut Scratch) -> Chunk {
    let n = u64::from(plan.spec.events_per_file);
    let k = files_per_chunk(n);
    let json = &mut scratch.json;
    json.clear();
    for v in c * k..(c + 1) * k {
        if v > 0 {
            json.push(',');
        }
        let (slot, home) = plan.virtual_slot(v);
        let picks = scheduled(v, home, n as usize);
        let legacy = legacy_minor(plan.spec.seed, v, &slot);
        write_records(&plan.spec, &plan.world, slot, &picks, legacy, json);
    }
    let mut deflated = Vec::with_capacity(json.len() / 4);
    scratch
        .gz
        .piece(json.as_bytes(), FlushCompress::Sync, &mut deflated);
    let mut crc = Crc::new();
    crc.update(json.as_bytes());
    Chunk {
        deflated,
        crc,
        raw_len: json.len() as u64,
        events: k * n,
    }
}

/// See [`crate::consolidated`]; also returns the uncompressed size.
pub fn write(
    spec: &Spec,
    target: u64,
    mut out: impl Write,
    threads: usize,
) -> io::Result<(Summary, u64)> {
    let mut gz = Gzip::new(Compression::fast());
    let mut crc = Crc::new();
    let mut piece = Vec::new();
    let mut compressed = 0u64;
    let mut raw = 0u64;
    let mut events = 0u64;
    let mut emit = |out: &mut dyn Write, bytes: &[u8]| -> io::Result<()> {
        compressed += bytes.len() as u64;
        out.write_all(bytes)
    };

    emit(&mut out, &gz.header())?;
    let head = b"{\"Records\":[";
    gz.piece(head, FlushCompress::Sync, &mut piece);
    emit(&mut out, &piece)?;
    crc.update(head);
    raw += head.len() as u64;

    let can_write = spec.events_per_file > 0 && spec.log_files() > 0;
    if can_write && raw < target {
        let mut chunks = Producer::new(Arc::new(Plan::new(spec)), threads, u64::MAX, make_chunk);
        let mut c = 0;
        while raw < target {
            let chunk = chunks.get(c);
            c += 1;
            emit(&mut out, &chunk.deflated)?;
            crc.combine(&chunk.crc);
            raw += chunk.raw_len;
            events += chunk.events;
        }
    }

    let tail = b"]}";
    piece.clear();
    gz.piece(tail, FlushCompress::Finish, &mut piece);
    emit(&mut out, &piece)?;
    crc.update(tail);
    raw += tail.len() as u64;
    emit(&mut out, &Gzip::trailer(&crc))?;
    out.flush()?;
    let summary = Summary {
        files: 1,
        events,
        digests: 0,
        bytes: compressed,
    };
    Ok((summary, raw))
}
