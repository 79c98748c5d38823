//! Gzip (RFC 1952) written by hand around a reused raw-deflate state.
//!
//! Why not `GzEncoder`: a new encoder per file allocates and zeroes a fresh
//! deflate state (hundreds of KB) for every small file, and benchmarks
//! write tens of thousands of files. And the consolidated file is
//! compressed in parallel, pigz-style: independent pieces of one deflate
//! stream, each ended with a sync flush (byte-aligned, not final), joined
//! in order and closed by a final block; their CRCs are combined. The
//! header has no name and mtime 0, so output depends only on the input.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

pub struct Gzip {
    deflate: Compress,
    level: Compression,
}

impl Gzip {
    pub fn new(level: Compression) -> Gzip {
        Gzip {
            deflate: Compress::new(level, false),
            level,
        }
    }

    /// The 10-byte member header.
    pub fn header(&self) -> [u8; 10] {
        // XFL: 2 = best compression, 4 = fastest, as gzip(1) and flate2 set it.
        let xfl = match self.level.level() {
            0..=1 => 4,
            9.. => 2,
            _ => 0,
        };
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]
    }

    /// The 8-byte member trailer.
    pub fn trailer(crc: &Crc) -> [u8; 8] {
        let mut t = [0u8; 8];
        t[..4].copy_from_slice(&crc.sum().to_le_bytes());
        t[4..].copy_from_slice(&crc.amount().to_le_bytes());
        t
    }

    /// Deflates `data` as a new piece (no back-references before it),
    /// appending to `out`. `FlushCompress::Sync` leaves the stream open and
    /// byte-aligned for the next piece; `FlushCompress::Finish` closes it.
    pub fn piece(&mut self, data: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
        self.deflate.reset();
        let mut input = data;
        loop {
            if out.capacity() - out.len() < 256 {
                out.reserve(out.capacity().max(4096));
            }
            let before_in = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(input, out, flush)
                .expect("deflate of an in-memory buffer cannot fail");
            input = &input[(self.deflate.total_in() - before_in) as usize..];
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                // As in zlib: a sync flush is complete once all input is in
                // and the compressor left spare room, i.e. it stopped for
                // lack of input, not of output. (A repeated flush with
                // nothing new returns BufError without output: also done.)
                _ => input.is_empty() && (out.len() < out.capacity() || status == Status::BufError),
            };
            if done {
                break;
            }
        }
    }

    /// A whole gzip file of `data`.
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 4 + 64);
        out.extend_from_slice(&self.header());
        self.piece(data, FlushCompress::Finish, &mut out);
        let mut crc = Crc::new();
        crc.update(data);
        out.extend_from_slice(&Gzip::trailer(&crc));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> String {
        let mut back = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn round_trips_and_is_reusable() {
        let mut gz = Gzip::new(Compression::fast());
        for text in ["", "hello", &"CloudTrail ".repeat(50_000)] {
            assert_eq!(gunzip(&gz.compress(text.as_bytes())), text);
        }
    }

    #[test]
    fn pieces_join_into_one_member() {
        let parts = [
            "{\"Records\":[",
            &"{\"a\":1},".repeat(40_000),
            "",
            "{\"b\":2}",
            "]}",
        ];
        let mut gz = Gzip::new(Compression::fast());
        let mut out = gz.header().to_vec();
        let mut crc = Crc::new();
        for (i, p) in parts.iter().enumerate() {
            let last = i == parts.len() - 1;
            gz.piece(
                p.as_bytes(),
                if last {
                    FlushCompress::Finish
                } else {
                    FlushCompress::Sync
                },
                &mut out,
            );
            let mut c = Crc::new();
            c.update(p.as_bytes());
            crc.combine(&c);
        }
        out.extend_from_slice(&Gzip::trailer(&crc));
        // GzDecoder reads a single member only: this proves it is one.
        assert_eq!(gunzip(&out), parts.concat());
    }
}
