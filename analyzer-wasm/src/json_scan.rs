//! A streaming scanner that cuts JSON values out of a byte stream without
//! parsing them.
//!
//! CloudTrail files are one object holding one huge `Records` array. Parsing
//! the whole document would hold the whole file in memory; instead the
//! scanner walks the container by hand and hands each element's raw bytes to
//! serde, so memory is bounded by the largest record, not by the file.
//! It tracks only what it must to find where a value ends (nesting depth,
//! strings and escapes); serde validates each record it is given.

use std::fmt;
use std::io::{self, BufRead};

#[derive(Debug)]
pub enum ScanError {
    Io(io::Error),
    Syntax { offset: u64, message: String },
    TooLarge { offset: u64, limit: usize },
    TooDeep { offset: u64, limit: usize },
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::Io(e) => write!(f, "{e}"),
            ScanError::Syntax { offset, message } => {
                write!(f, "invalid JSON at byte {offset}: {message}")
            }
            ScanError::TooLarge { offset, limit } => write!(
                f,
                "a JSON value at byte {offset} is larger than the {limit}-byte record limit"
            ),
            ScanError::TooDeep { offset, limit } => {
                write!(f, "JSON nested deeper than {limit} levels at byte {offset}")
            }
        }
    }
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

pub struct Scanner<R> {
    reader: R,
    /// Bytes consumed so far, for error messages.
    offset: u64,
    max_value: usize,
    max_depth: usize,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl<R: BufRead> Scanner<R> {
    pub fn new(reader: R, max_value: usize, max_depth: usize) -> Self {
        Scanner {
            reader,
            offset: 0,
            max_value,
            max_depth,
        }
    }

    pub fn syntax(&self, message: impl Into<String>) -> ScanError {
        ScanError::Syntax {
            offset: self.offset,
            message: message.into(),
        }
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
    }

    /// Skips a UTF-8 byte-order mark, which some exporters write.
    /// The mark is matched a byte at a time, so where reads split the
    /// stream changes nothing; a stream that starts like one but is not is
    /// no JSON either.
    pub fn skip_bom(&mut self) -> Result<(), ScanError> {
        for (i, &expected) in b"\xEF\xBB\xBF".iter().enumerate() {
            match self.reader.fill_buf()?.first() {
                Some(&b) if b == expected => self.consume(1),
                _ if i == 0 => return Ok(()),
                _ => return Err(self.syntax("an incomplete UTF-8 byte-order mark")),
            }
        }
        Ok(())
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|&b| !is_whitespace(b)) {
                Some(i) => {
                    let b = buf[i];
                    self.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = buf.len();
                    self.consume(n);
                }
            }
        }
    }

    /// Consumes the byte `peek` returned.
    pub fn bump(&mut self) {
        self.consume(1);
    }

    /// Consumes `byte`, after optional whitespace, or fails naming `what`.
    pub fn expect(&mut self, byte: u8, what: &str) -> Result<(), ScanError> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.bump();
                Ok(())
            }
            Some(b) => Err(self.syntax(format!("expected {what}, found '{}'", b as char))),
            None => Err(self.syntax(format!("expected {what}, found the end of the input"))),
        }
    }

    /// Fails unless only whitespace is left.
    pub fn expect_end(&mut self) -> Result<(), ScanError> {
        match self.peek()? {
            None => Ok(()),
            Some(b) => Err(self.syntax(format!(
                "unexpected '{}' after the end of the document",
                b as char
            ))),
        }
    }

    /// Appends the raw bytes of the next JSON value to `out`.
    pub fn read_value(&mut self, out: &mut Vec<u8>) -> Result<(), ScanError> {
        let start = out.len();
        let first = self
            .peek()?
            .ok_or_else(|| self.syntax("expected a value, found the end of the input"))?;
        if !matches!(first, b'{' | b'[' | b'"') {
            return self.read_scalar(out, start);
        }
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(self.syntax("the input ends inside a value"));
            }
            let mut end = None;
            let mut i = 0;
            while i < buf.len() {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    // Most of a record is string content: jump to the next
                    // quote or backslash instead of looking at every byte.
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => i = buf.len(),
                        Some(offset) => {
                            i += offset;
                            if buf[i] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    end = Some(i + 1);
                                    break;
                                }
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                match buf[i] {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > self.max_depth {
                            let offset = self.offset + i as u64;
                            return Err(ScanError::TooDeep {
                                offset,
                                limit: self.max_depth,
                            });
                        }
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let take = end.unwrap_or(buf.len());
            if out.len() - start + take > self.max_value {
                return Err(ScanError::TooLarge {
                    offset: self.offset,
                    limit: self.max_value,
                });
            }
            out.extend_from_slice(&buf[..take]);
            self.consume(take);
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// Numbers, `true`, `false` and `null` end at a delimiter or the input's end.
    fn read_scalar(&mut self, out: &mut Vec<u8>, start: usize) -> Result<(), ScanError> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let end = buf
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || is_whitespace(b));
            let take = end.unwrap_or(buf.len());
            if out.len() - start + take > self.max_value {
                return Err(ScanError::TooLarge {
                    offset: self.offset,
                    limit: self.max_value,
                });
            }
            out.extend_from_slice(&buf[..take]);
            self.consume(take);
            if end.is_some() {
                break;
            }
        }
        if out.len() == start {
            return Err(self.syntax("expected a value"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let mut s = Scanner::new(text.as_bytes(), 1 << 20, 16);
        let mut out = Vec::new();
        while s.peek().unwrap().is_some() {
            let mut v = Vec::new();
            s.read_value(&mut v).unwrap();
            out.push(String::from_utf8(v).unwrap());
        }
        out
    }

    #[test]
    fn cuts_values_with_tricky_strings() {
        let v = values(r#"{"a":"}\"]"} [1,[2]] "x\\" 12 true null"#);
        assert_eq!(
            v,
            [
                r#"{"a":"}\"]"}"#,
                "[1,[2]]",
                r#""x\\""#,
                "12",
                "true",
                "null"
            ]
        );
    }

    #[test]
    fn values_split_across_buffer_refills() {
        let text = format!("[{}]", "\"ab\",".repeat(10_000) + "1");
        let reader = io::BufReader::with_capacity(7, text.as_bytes());
        let mut s = Scanner::new(reader, 1 << 20, 16);
        let mut v = Vec::new();
        s.read_value(&mut v).unwrap();
        assert_eq!(v, text.as_bytes());
    }

    #[test]
    fn depth_and_size_are_bounded() {
        let deep = "[".repeat(1_000_000);
        let mut s = Scanner::new(deep.as_bytes(), 1 << 30, 100);
        assert!(matches!(
            s.read_value(&mut Vec::new()),
            Err(ScanError::TooDeep { limit: 100, .. })
        ));
        let big = format!("\"{}\"", "a".repeat(5000));
        let mut s = Scanner::new(big.as_bytes(), 1000, 100);
        assert!(matches!(
            s.read_value(&mut Vec::new()),
            Err(ScanError::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_values_fail() {
        let mut s = Scanner::new(&b"{\"a\":[1,2"[..], 1 << 20, 16);
        let err = s.read_value(&mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("ends inside a value"), "{err}");
    }
}
