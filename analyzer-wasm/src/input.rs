//! Turns the bytes a host hands over into a plain JSON byte stream:
//! counts what was read, undoes gzip (told apart by its magic bytes, not by
//! the file name) and caps the decompressed size so a gzip bomb fails cleanly.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

/// Large enough that the scanner rarely refills, small enough to stay cheap.
const BUFFER_BYTES: usize = 256 << 10;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Counts the bytes read from the host, before decompression.
pub struct ByteCounter {
    read: Rc<Cell<u64>>,
}

impl ByteCounter {
    pub fn bytes(&self) -> u64 {
        self.read.get()
    }
}

struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Fails with a clear message once more than `limit` bytes come out.
struct Capped<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte more than allowed so reaching the cap exactly is fine.
        let want = (buf.len() as u64).min(self.remaining.saturating_add(1)) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.remaining {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed size exceeds the {}-byte input limit (limits.max_input_bytes)",
                    self.limit
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Prefixes decoder errors so a reader can tell a broken gzip from broken JSON.
struct GzipErrors<R>(R);

impl<R: Read> Read for GzipErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("invalid gzip data: {e}")))
    }
}

/// Wraps `raw` so that reading it yields decompressed JSON bytes.
pub fn open<'a>(
    raw: impl Read + 'a,
    max_input_bytes: u64,
) -> io::Result<(Box<dyn BufRead + 'a>, ByteCounter)> {
    let read = Rc::new(Cell::new(0));
    let counter = ByteCounter { read: read.clone() };
    let mut raw = Counting { inner: raw, read };
    // The magic is read whole, however the stream splits its first reads,
    // then put back in front of the rest.
    let mut head = [0u8; GZIP_MAGIC.len()];
    let mut len = 0;
    while len < head.len() {
        match raw.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let is_gzip = head[..len] == GZIP_MAGIC;
    let buffered = BufReader::with_capacity(
        BUFFER_BYTES,
        io::Cursor::new(head).take(len as u64).chain(raw),
    );
    let plain: Box<dyn Read + 'a> = if is_gzip {
        Box::new(GzipErrors(MultiGzDecoder::new(buffered)))
    } else {
        Box::new(buffered)
    };
    let capped = Capped {
        inner: plain,
        remaining: max_input_bytes,
        limit: max_input_bytes,
    };
    Ok((
        Box::new(BufReader::with_capacity(BUFFER_BYTES, capped)),
        counter,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(raw: &[u8], limit: u64) -> io::Result<Vec<u8>> {
        let (mut r, _) = open(raw, limit)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn plain_and_multi_member_gzip() {
        assert_eq!(read_all(b"{}", 10).unwrap(), b"{}");
        let mut two = gzip(b"{\"a\":");
        two.extend(gzip(b"1}"));
        assert_eq!(read_all(&two, 100).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn counts_compressed_bytes() {
        let data = gzip(&[b' '; 10_000]);
        let (mut r, counter) = open(&data[..], 1 << 20).unwrap();
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(counter.bytes(), data.len() as u64);
    }

    #[test]
    fn bombs_and_truncation_fail_clearly() {
        let bomb = gzip(&vec![b' '; 1 << 20]);
        let err = read_all(&bomb, 1000).unwrap_err().to_string();
        assert!(err.contains("input limit"), "{err}");
        assert_eq!(read_all(&bomb, 1 << 20).unwrap().len(), 1 << 20);
        let truncated = &bomb[..bomb.len() / 2];
        let err = read_all(truncated, 1 << 30).unwrap_err().to_string();
        assert!(err.contains("invalid gzip data"), "{err}");
    }
}
