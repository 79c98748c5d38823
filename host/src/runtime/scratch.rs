//! The scratch file a consolidator spills sorted runs to when a day does
//! not fit in its memory.
//!
//! The component sees only WASI streams, never a file: one output stream
//! that appends to the file, capped at `limit` bytes so a hostile component
//! cannot fill the disk, and one input stream per run, reading its byte
//! range back. The file is unlinked from the start (`tempfile::tempfile`),
//! so it is gone when the last handle closes, even after a crash.
//!
//! Reads and writes are plain positional file I/O on the calling thread:
//! the file is local (Lambda's `/tmp`), writes land in the page cache, and
//! a consolidation is the only work its process has at the time.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::limits::MAX_RUNS;
use anyhow::{Context, Result};
use bytes::Bytes;
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{InputStream, OutputStream, StreamError, StreamResult};

/// The most one write or read moves: large enough for few calls.
const CHUNK_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct Scratch {
    file: Arc<File>,
    written: Arc<AtomicU64>,
    limit: u64,
}

impl Scratch {
    /// A new, empty scratch file in the system's temporary directory.
    pub fn new(limit: u64) -> Result<Scratch> {
        let file = tempfile::tempfile().with_context(|| {
            format!(
                "cannot create a scratch file in {}",
                std::env::temp_dir().display()
            )
        })?;
        Ok(Scratch {
            file: Arc::new(file),
            written: Arc::new(AtomicU64::new(0)),
            limit,
        })
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// The stream the component writes its runs to.
    pub fn writer(&self) -> ScratchWriter {
        ScratchWriter(self.clone())
    }

    /// One stream per run, given the runs' lengths in order.
    pub fn readers(&self, lengths: &[u64]) -> Result<Vec<RunReader>> {
        anyhow::ensure!(
            lengths.len() <= MAX_RUNS,
            "the component names {} runs, more than the {MAX_RUNS} a consolidation may merge",
            lengths.len()
        );
        let mut offset = 0u64;
        let mut readers = Vec::with_capacity(lengths.len());
        for &len in lengths {
            let end = offset.checked_add(len).context("run lengths overflow")?;
            anyhow::ensure!(
                end <= self.written(),
                "the component names {end} bytes of runs but wrote {}",
                self.written()
            );
            readers.push(RunReader {
                file: self.file.clone(),
                position: offset,
                end,
            });
            offset = end;
        }
        Ok(readers)
    }
}

pub struct ScratchWriter(Scratch);

impl ScratchWriter {
    fn full(&self) -> StreamError {
        StreamError::LastOperationFailed(wasmtime::format_err!(
            "the scratch file reached its limit of {} MiB",
            self.0.limit >> 20
        ))
    }
}

#[async_trait::async_trait]
impl Pollable for ScratchWriter {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl OutputStream for ScratchWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let at = self.0.written();
        if at + bytes.len() as u64 > self.0.limit {
            return Err(self.full());
        }
        self.0
            .file
            .write_all_at(&bytes, at)
            .map_err(|e| StreamError::LastOperationFailed(e.into()))?;
        self.0
            .written
            .store(at + bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        let left = self.0.limit.saturating_sub(self.0.written());
        if left == 0 {
            return Err(self.full());
        }
        Ok(left.min(CHUNK_BYTES as u64) as usize)
    }
}

/// Reads one run's byte range of the scratch file.
pub struct RunReader {
    file: Arc<File>,
    position: u64,
    end: u64,
}

#[async_trait::async_trait]
impl Pollable for RunReader {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl InputStream for RunReader {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        let left = self.end - self.position;
        if left == 0 {
            return Err(StreamError::Closed);
        }
        let mut buf = vec![0u8; size.min(CHUNK_BYTES).min(left as usize)];
        let n = self
            .file
            .read_at(&mut buf, self.position)
            .map_err(|e| StreamError::LastOperationFailed(e.into()))?;
        if n == 0 {
            return Err(StreamError::LastOperationFailed(wasmtime::format_err!(
                "the scratch file ends before its run does"
            )));
        }
        buf.truncate(n);
        self.position += n as u64;
        Ok(Bytes::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_read_back_what_was_written_and_the_limit_holds() {
        let scratch = Scratch::new(10).unwrap();
        let mut w = scratch.writer();
        w.write(Bytes::from_static(b"abc")).unwrap();
        w.write(Bytes::from_static(b"defgh")).unwrap();
        assert!(
            w.write(Bytes::from_static(b"ijk")).is_err(),
            "past the limit"
        );
        assert_eq!(w.check_write().unwrap(), 2);
        let mut readers = scratch.readers(&[3, 5]).unwrap();
        assert_eq!(&readers[1].read(100).unwrap()[..], b"defgh");
        assert_eq!(&readers[0].read(2).unwrap()[..], b"ab");
        assert_eq!(&readers[0].read(2).unwrap()[..], b"c");
        assert!(matches!(readers[0].read(2), Err(StreamError::Closed)));
        assert!(scratch.readers(&[3, 6]).is_err(), "more than was written");
    }
}
