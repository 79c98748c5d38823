//! The output streams a component writes its artifacts and consolidated
//! parts into: in memory or straight into a file, counted, and capped, so
//! what one call can hand the host is bounded by the host, not by what the
//! component claims.

use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{OutputStream, StreamError, StreamResult};

/// The most one write moves: large enough for few calls.
const CHUNK_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct Sink {
    inner: Arc<Mutex<Received>>,
    limit: u64,
}

#[derive(Default)]
struct Received {
    data: Vec<u8>,
    /// When set, bytes go here instead of `data`.
    file: Option<File>,
    /// Bytes taken, in `data` or the file.
    len: u64,
    /// Set when the component tried to write past the limit.
    overflowed: bool,
}

impl Sink {
    /// A sink that takes at most `limit` bytes, in memory.
    pub fn new(limit: u64) -> Sink {
        Sink {
            inner: Arc::default(),
            limit,
        }
    }

    /// A sink that writes at most `limit` bytes into `file` as they come,
    /// so the host never holds them whole.
    pub fn to_file(limit: u64, file: File) -> Sink {
        let sink = Sink::new(limit);
        sink.inner.lock().expect("sink lock").file = Some(file);
        sink
    }

    /// The stream end the component gets.
    pub fn writer(&self) -> SinkWriter {
        SinkWriter(self.clone())
    }

    /// Whether the component tried to write more than the limit.
    pub fn overflowed(&self) -> bool {
        self.inner.lock().expect("sink lock").overflowed
    }

    /// What was written, for a sink in memory.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.inner.lock().expect("sink lock").data)
    }

    /// How many bytes were taken.
    pub fn written(&self) -> u64 {
        self.inner.lock().expect("sink lock").len
    }
}

pub struct SinkWriter(Sink);

impl SinkWriter {
    fn full(&self) -> StreamError {
        self.0.inner.lock().expect("sink lock").overflowed = true;
        StreamError::LastOperationFailed(wasmtime::format_err!(
            "the host's output stream is full ({} bytes)",
            self.0.limit
        ))
    }

    fn len(&self) -> u64 {
        self.0.written()
    }
}

#[async_trait::async_trait]
impl Pollable for SinkWriter {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl OutputStream for SinkWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if self.len() + bytes.len() as u64 > self.0.limit {
            return Err(self.full());
        }
        let mut received = self.0.inner.lock().expect("sink lock");
        match &mut received.file {
            Some(file) => file
                .write_all(&bytes)
                .map_err(|e| StreamError::LastOperationFailed(e.into()))?,
            None => received.data.extend_from_slice(&bytes),
        }
        received.len += bytes.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        let left = self.0.limit.saturating_sub(self.len());
        if left == 0 {
            return Err(self.full());
        }
        Ok(left.min(CHUNK_BYTES as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_fits_and_remembers_an_overflow() {
        let sink = Sink::new(5);
        let mut w = sink.writer();
        w.write(Bytes::from_static(b"abc")).unwrap();
        assert_eq!(w.check_write().unwrap(), 2);
        assert!(w.write(Bytes::from_static(b"def")).is_err());
        assert!(sink.overflowed());
        assert_eq!(sink.take(), b"abc");
    }

    #[test]
    fn a_file_sink_writes_through_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let sink = Sink::to_file(5, File::create(&path).unwrap());
        let mut w = sink.writer();
        w.write(Bytes::from_static(b"abc")).unwrap();
        assert!(w.write(Bytes::from_static(b"def")).is_err());
        assert!(sink.overflowed());
        assert_eq!(sink.written(), 3);
        assert!(sink.take().is_empty(), "nothing held in memory");
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    }
}
