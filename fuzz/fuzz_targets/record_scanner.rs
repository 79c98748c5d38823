//! The record scanner (`json_scan.rs`), which cuts JSON values out of a
//! stream without parsing them. The first byte sets the limits and the read
//! sizes, the rest is the stream. The values cut, and the error that stops
//! the cutting, must not depend on where the reads split the stream; a value
//! is never larger than the limit; and where serde reads the whole stream
//! as objects, lists and strings, the scanner cuts exactly serde's values.
#![no_main]

use std::io::{BufRead, BufReader};

use analyzer_fuzz::Trickle;
use analyzer_wasm::json_scan::{ScanError, Scanner};
use libfuzzer_sys::fuzz_target;

/// What stopped the cutting, with the parts that do not depend on read sizes.
#[derive(Debug, PartialEq)]
enum Stop {
    End,
    Io(String),
    Syntax(u64, String),
    /// The offset of a too-large value is where the last read began.
    TooLarge(usize),
    TooDeep(u64, usize),
}

fn stop(e: ScanError) -> Stop {
    match e {
        ScanError::Io(e) => Stop::Io(e.to_string()),
        ScanError::Syntax { offset, message } => Stop::Syntax(offset, message),
        ScanError::TooLarge { limit, .. } => Stop::TooLarge(limit),
        ScanError::TooDeep { offset, limit } => Stop::TooDeep(offset, limit),
    }
}

/// Cuts values until the end or an error, stepping over a `,` or `:`
/// after each as the container reader does.
fn cut(reader: impl BufRead, max_value: usize, max_depth: usize) -> (Vec<Vec<u8>>, Stop) {
    let mut s = Scanner::new(reader, max_value, max_depth);
    let mut values = Vec::new();
    if let Err(e) = s.skip_bom() {
        return (values, stop(e));
    }
    loop {
        match s.peek() {
            Ok(None) => return (values, Stop::End),
            Ok(Some(_)) => {}
            Err(e) => return (values, stop(e)),
        }
        let mut value = b"kept".to_vec();
        if let Err(e) = s.read_value(&mut value) {
            assert!(value.starts_with(b"kept"), "read_value keeps what out held");
            return (values, stop(e));
        }
        assert!(value.starts_with(b"kept"), "read_value appends");
        let value = value.split_off(4);
        assert!(
            !value.is_empty() && value.len() <= max_value,
            "{} bytes",
            value.len()
        );
        values.push(value);
        if let Ok(Some(b',' | b':')) = s.peek() {
            s.bump();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, text)) = data.split_first() else {
        return;
    };
    let max_depth = 1 + usize::from(knobs & 0x0f);
    let max_value = if knobs & 0x10 == 0 { 1 << 20 } else { 48 };
    let capacity = 1 + usize::from(knobs >> 5);
    let whole = cut(text, max_value, max_depth);
    let sizes = [1, 2, 5, 3, 64];
    let pieces = cut(
        BufReader::with_capacity(capacity, Trickle::new(text, &sizes)),
        max_value,
        max_depth,
    );
    assert_eq!(whole.0, pieces.0, "read whole vs in pieces of {capacity}");
    // A value both too large and too deep fails on whichever limit the
    // reads reach first: either is right.
    let either_limit = matches!(
        (&whole.1, &pieces.1),
        (Stop::TooLarge(_), Stop::TooDeep(..)) | (Stop::TooDeep(..), Stop::TooLarge(_))
    );
    if !either_limit {
        assert_eq!(whole.1, pieces.1, "read whole vs in pieces of {capacity}");
    }

    // Against serde, with no limits in the way.
    let (values, end) = cut(text, usize::MAX, usize::MAX);
    let body = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut serde_values = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    while let Some(next) = stream.next() {
        if next.is_err() {
            return;
        }
        let end = stream.byte_offset();
        let raw = body[start..end].trim_ascii_start();
        if !matches!(raw.first(), Some(b'{' | b'[' | b'"')) {
            return;
        }
        serde_values.push(raw.to_vec());
        start = end;
    }
    assert_eq!(end, Stop::End);
    assert_eq!(values, serde_values, "the scanner cuts what serde reads");
});
