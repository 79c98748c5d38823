//! Reads a worker's next local file while the component works on the
//! current one. For `verify` it also inflates it natively on a blocking
//! thread: native inflate (SIMD, a carry-less-multiply CRC) is several
//! times faster than the same code in wasm, and it runs on the other core
//! instead of inside the component's turn. A small file then reaches the
//! component as bytes in memory, which it reads without a task to wake for
//! every 64 KiB. S3 objects stream into the component as before.
//!
//! The component takes plain or gzip bytes and tells them apart by the
//! magic bytes, so it sees the same content either way. Anything this does
//! not inflate whole (not gzip, too large, a broken stream) goes to the
//! component as it came, so every error and verdict stays the component's.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use tokio::task::JoinHandle;

use crate::inputs::Input;
use crate::runtime::Body;
use crate::storage::LazyS3;

/// The largest input read ahead into memory: CloudTrail log files are far
/// smaller; a larger input streams through the component as before.
const MAX_AHEAD_BYTES: u64 = 8 << 20;
/// The most it may inflate to (a gzip bomb goes to the component as it is).
const MAX_PLAIN_BYTES: u64 = 128 << 20;

/// An input being read: a local file on a blocking thread, or an S3
/// object, opened only when its turn comes (see `start`).
pub enum Fetched {
    Local(JoinHandle<Result<Body>>),
    Object(Input),
}

impl Fetched {
    /// The input's bytes and its S3 user metadata (none for a local file).
    pub async fn body(self, s3: &LazyS3) -> Result<(Body, Vec<(String, String)>)> {
        match self {
            Fetched::Local(reading) => Ok((reading.await??, Vec::new())),
            Fetched::Object(input) => {
                let (reader, metadata) = input.open_with_metadata(s3).await?;
                Ok((Body::Stream(reader), metadata))
            }
        }
    }
}

/// Starts reading `input`, to be inflated: for `verify`, whose component
/// hashes the same uncompressed bytes either way.
pub fn start_inflated(input: Input) -> Fetched {
    start(input, inflated)
}

/// Starts reading `input`, its bytes as they are: for `analyze`, whose
/// component counts the bytes it reads as the input's size.
pub fn start_as_is(input: Input) -> Fetched {
    start(input, |raw| raw)
}

/// A local file is read (and `then` applied) on a blocking thread, so it
/// goes on while the component computes. An S3 object is left alone until
/// its turn: its body streams into the component as the component reads
/// it, so a body that stalls stalls inside the call, where the time limit
/// stops it, and no response waits idle on a connection meanwhile.
fn start(input: Input, then: fn(Vec<u8>) -> Vec<u8>) -> Fetched {
    match input {
        Input::File(path) => {
            Fetched::Local(tokio::task::spawn_blocking(move || read_local(&path, then)))
        }
        Input::Object { .. } => Fetched::Object(input),
    }
}

fn read_local(path: &Path, then: fn(Vec<u8>) -> Vec<u8>) -> Result<Body> {
    let mut file = std::fs::File::open(path).context("cannot open")?;
    if file.metadata().context("cannot open")?.len() > MAX_AHEAD_BYTES {
        let file = tokio::fs::File::from_std(file);
        let reader = tokio::io::BufReader::with_capacity(256 << 10, file);
        return Ok(Body::Stream(Box::pin(reader)));
    }
    let mut raw = Vec::new();
    file.read_to_end(&mut raw).context("cannot read")?;
    Ok(Body::Bytes(then(raw)))
}

/// Every member of a whole gzip stream, inflated; anything else (not gzip,
/// not whole, more than `MAX_PLAIN_BYTES` inflated) as it is.
fn inflated(raw: Vec<u8>) -> Vec<u8> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return raw;
    }
    let mut plain = Vec::with_capacity(raw.len() * 4);
    let whole = flate2::bufread::MultiGzDecoder::new(&raw[..])
        .take(MAX_PLAIN_BYTES + 1)
        .read_to_end(&mut plain)
        .is_ok();
    if whole && plain.len() as u64 <= MAX_PLAIN_BYTES {
        plain
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(members: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for member in members {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(member).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn through(bytes: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.json.gz");
        std::fs::write(&path, bytes).unwrap();
        match read_local(&path, inflated).unwrap() {
            Body::Bytes(bytes) => bytes,
            Body::Stream(_) => panic!("a small file comes back in memory"),
        }
    }

    #[test]
    fn a_whole_gzip_stream_comes_out_inflated_every_member() {
        let two = gzip(&[b"{\"Records\":[", b"]}"]);
        assert_eq!(through(&two), b"{\"Records\":[]}");
    }

    #[test]
    fn anything_else_comes_out_as_it_came() {
        let whole = gzip(&[b"{\"Records\":[]}"]);
        let cut = whole[..whole.len() - 3].to_vec();
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"garbage");
        let bomb = gzip(&[&vec![b' '; (MAX_PLAIN_BYTES + 1) as usize]]);
        for bytes in [
            b"{\"Records\":[]}".to_vec(),
            cut,
            trailing,
            bomb,
            Vec::new(),
        ] {
            assert_eq!(through(&bytes), bytes);
        }
    }

    #[test]
    fn a_file_too_large_to_read_ahead_streams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.json");
        std::fs::write(&path, vec![b' '; (MAX_AHEAD_BYTES + 1) as usize]).unwrap();
        assert!(matches!(
            read_local(&path, inflated).unwrap(),
            Body::Stream(_)
        ));
    }
}
