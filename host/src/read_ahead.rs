//! Reads the next input of a verification while the component works on
//! the current one, and inflates it natively on a blocking thread: native
//! inflate (SIMD, a carry-less-multiply CRC) is several times faster than
//! the same code in wasm, and it runs on the other core instead of inside
//! the component's turn. A small input then reaches the component as bytes
//! in memory, which it reads without a task to wake for every 64 KiB.
//!
//! The component takes plain or gzip bytes and tells them apart by the
//! magic bytes, so it sees the same content either way. Anything this does
//! not inflate whole (not gzip, too large, a broken stream) goes to the
//! component as it came, so every error and verdict stays the component's.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;

use crate::inputs::Input;
use crate::runtime::Body;
use crate::storage::{LazyS3, Reader};

/// The largest gzip input inflated ahead: CloudTrail log files are far
/// smaller; a larger input streams through the component as before.
const MAX_GZIP_BYTES: u64 = 8 << 20;
/// The most it may inflate to (a gzip bomb goes to the component as it is).
const MAX_PLAIN_BYTES: u64 = 128 << 20;

/// An input's bytes and its S3 user metadata (none for a local file).
pub type Fetched = JoinHandle<Result<(Body, Vec<(String, String)>)>>;

/// Starts reading `input`. A local file is read and inflated on a blocking
/// thread, so it goes on while the component computes; an S3 object is
/// fetched by a task, then inflated on a blocking thread.
pub fn start(input: Input, s3: Arc<LazyS3>) -> Fetched {
    match input {
        Input::File(path) => tokio::task::spawn_blocking(move || {
            let body = read_local(&path)?;
            Ok((body, Vec::new()))
        }),
        Input::Object { .. } => tokio::spawn(async move {
            let (reader, metadata) = input.open_with_metadata(&s3).await?;
            let body = inflate_stream(reader).await.context("cannot read")?;
            Ok((body, metadata))
        }),
    }
}

fn read_local(path: &Path) -> Result<Body> {
    let mut file = std::fs::File::open(path).context("cannot open")?;
    if file.metadata().context("cannot open")?.len() > MAX_GZIP_BYTES {
        let file = tokio::fs::File::from_std(file);
        let reader = tokio::io::BufReader::with_capacity(256 << 10, file);
        return Ok(Body::Stream(Box::pin(reader)));
    }
    let mut raw = Vec::new();
    file.read_to_end(&mut raw).context("cannot read")?;
    Ok(Body::Bytes(inflated(raw)))
}

/// `reader`'s bytes, inflated when they are a small, whole gzip stream;
/// a small input comes back in memory, a larger one as a stream.
async fn inflate_stream(mut reader: Reader) -> std::io::Result<Body> {
    let mut head = Vec::new();
    (&mut reader)
        .take(MAX_GZIP_BYTES + 1)
        .read_to_end(&mut head)
        .await?;
    if head.len() as u64 > MAX_GZIP_BYTES {
        let rest = AsyncReadExt::chain(std::io::Cursor::new(head), reader);
        return Ok(Body::Stream(Box::pin(rest)));
    }
    tokio::task::spawn_blocking(move || Body::Bytes(inflated(head)))
        .await
        .map_err(std::io::Error::other)
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

    async fn through(bytes: Vec<u8>) -> Vec<u8> {
        let reader: Reader = Box::pin(std::io::Cursor::new(bytes.clone()));
        let streamed = match inflate_stream(reader).await.unwrap() {
            Body::Bytes(bytes) => bytes,
            Body::Stream(_) => panic!("a small input comes back in memory"),
        };
        assert_eq!(
            inflated(bytes),
            streamed,
            "the same from a stream or a file"
        );
        streamed
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_whole_gzip_stream_comes_out_inflated_every_member() {
        let two = gzip(&[b"{\"Records\":[", b"]}"]);
        assert_eq!(through(two).await, b"{\"Records\":[]}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn anything_else_comes_out_as_it_came() {
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
            assert_eq!(through(bytes.clone()).await, bytes);
        }
    }
}
