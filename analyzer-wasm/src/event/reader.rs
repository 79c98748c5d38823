//! The fast way to read an [`Event`]: one pass over the record that reads the
//! values the rules use and skips everything else, eight bytes a step.
//!
//! serde's derive reads the same fields, but it looks at every byte through
//! its dispatch, and it reads each lenient nested object twice (as raw text,
//! then as a struct). This reader accepts and refuses exactly the records
//! serde does and reads the same values from them: [`Event::parse_with_serde`]
//! is the reference it is compared with, in `tests/event_reader.rs` and in
//! the `event_fields` fuzz target. What that takes, rule by rule:
//!
//! - the grammar is strict JSON, as serde_json's: no trailing commas,
//!   no control characters in strings, `\u` escapes of four hex digits,
//!   numbers without leading zeros, nothing after the record but whitespace;
//! - keys, values the rules read and nested values kept as text must be UTF-8
//!   (serde validates those); a string skipped under an unknown key need not
//!   be (serde does not look);
//! - a known key given twice fails the record (serde's `duplicate field`),
//!   and makes a lenient nested object absent;
//! - escaped strings and values that are not strings (numbers, say) are
//!   handed to serde itself, so their text is serde's to the byte.

use std::borrow::Cow;

use super::{Event, Field, Lenient, LenientList, RawJson, Resource, SessionContext};
use super::{SessionIssuer, UserIdentity};

type Result<T> = std::result::Result<T, String>;

/// Where a string's content lies in the record, between its quotes.
#[derive(Clone, Copy)]
struct Str {
    start: usize,
    end: usize,
    escaped: bool,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    /// The same bytes as text, when they are all valid UTF-8 (a record
    /// nearly always is): then no span needs checking on its own.
    text: Option<&'a str>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
            pos: 0,
        }
    }

    fn of_text(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            text: Some(text),
            pos: 0,
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T> {
        Err(format!("{what} at byte {}", self.pos))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` after optional whitespace.
    fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        self.ws();
        if self.peek() != Some(byte) {
            return self.fail(what);
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a string from its opening quote, checking its escapes and that
    /// it holds no control character, but not its UTF-8 (see the module).
    fn string(&mut self) -> Result<Str> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos += special_byte(&self.bytes[self.pos..]);
            match self.peek() {
                None => return self.fail("the record ends inside a string"),
                Some(b) if b < 0x20 => return self.fail("a control character in a string"),
                _ => {}
            }
            if self.bytes[self.pos] == b'"' {
                let end = self.pos;
                self.pos += 1;
                return Ok(Str {
                    start,
                    end,
                    escaped,
                });
            }
            escaped = true;
            self.escape()?;
        }
    }

    /// Steps over one escape, from its backslash.
    fn escape(&mut self) -> Result<()> {
        match self.bytes.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 2,
            Some(b'u') => {
                let hex = self.bytes.get(self.pos + 2..self.pos + 6);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return self.fail("an invalid \\u escape");
                }
                self.pos += 6;
            }
            _ => return self.fail("an invalid escape"),
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Steps over a number, with serde_json's grammar.
    fn number(&mut self) -> Result<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return self.fail("a number with a leading zero");
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail("an invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.fail("an invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.fail("an invalid number");
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if !self.bytes[self.pos..].starts_with(word) {
            return self.fail("an invalid literal");
        }
        self.pos += word.len();
        Ok(())
    }

    /// Steps over one value of any depth. Iterative, with its own stack of
    /// open containers, so hostile nesting cannot overflow the call stack
    /// (serde's skipping has no depth limit either).
    fn skip_value(&mut self) -> Result<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value.
            self.ws();
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b @ (b'{' | b'[')) => {
                    self.pos += 1;
                    self.ws();
                    let close = if b == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        open.push(close);
                        if close == b'}' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                _ => return self.fail("expected a value"),
            }
            // After a value: the next element, or the ends of containers.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.member_key()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return self.fail("expected ',' or the end of a container"),
                }
            }
        }
    }

    /// A key of a skipped object and its colon.
    fn member_key(&mut self) -> Result<()> {
        self.ws();
        if self.peek() != Some(b'"') {
            return self.fail("expected a string key");
        }
        self.string()?;
        self.expect(b':', "expected ':'")
    }

    /// Reads an object from its `{`, calling `member` with each key, the
    /// cursor on the value, which `member` must read.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    ) -> Result<()> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.fail("expected a string key");
            }
            let key = self.string()?;
            let key = self.key_text(key)?;
            self.expect(b':', "expected ':'")?;
            self.ws();
            member(self, key)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.fail("expected ',' or '}'"),
            }
        }
    }

    /// A key of a struct, which serde decodes and checks.
    fn key_text(&self, s: Str) -> Result<Cow<'a, str>> {
        if !s.escaped {
            return self.utf8(s.start, s.end).map(Cow::Borrowed);
        }
        let quoted = &self.bytes[s.start - 1..s.end + 1];
        serde_json::from_slice::<String>(quoted)
            .map(Cow::Owned)
            .map_err(|e| format!("invalid key: {e}"))
    }

    /// The bytes from `start` to `end` as text, which they must be.
    fn utf8(&self, start: usize, end: usize) -> Result<&'a str> {
        if let Some(text) = self.text.and_then(|t| t.get(start..end)) {
            return Ok(text);
        }
        std::str::from_utf8(&self.bytes[start..end])
            .map_err(|e| format!("invalid UTF-8 ({e}) after byte {start}"))
    }

    /// The JSON text of the value at the cursor, which must be UTF-8.
    fn raw(&mut self) -> Result<&'a str> {
        let start = self.pos;
        self.skip_value()?;
        self.utf8(start, self.pos)
    }

    /// One scalar field.
    fn field(&mut self) -> Result<Field<'a>> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                if !s.escaped {
                    return self
                        .utf8(s.start, s.end)
                        .map(|text| Field::Str(Cow::Borrowed(text)));
                }
            }
            Some(b'n') => {
                self.literal(b"null")?;
                return Ok(Field::Null);
            }
            _ => self.skip_value()?,
        }
        serde_json::from_slice(&self.bytes[start..self.pos]).map_err(|e| format!("{e}"))
    }
}

/// How many bytes at the start of `bytes` are plain string content, i.e.
/// where the first `"`, `\\` or control character is (`bytes.len()` when
/// none is). Eight bytes a step, with the bit tricks of "Bit Twiddling
/// Hacks" (a zero byte, a byte less than n), which run as fast in
/// WebAssembly as natively.
fn special_byte(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = has_zero(x ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(x ^ (ONES * u64::from(b'\\')));
        // A byte below 0x20, high bit clear (bytes of 0x80 and up are not
        // control characters, and `x - 0x20` borrows only below 0x20).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            // Little-endian: the lowest set bit is the first such byte. A
            // borrow can set a false bit only above a true one.
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - i)
}

/// Fills the `N` known keys of one object; another key is skipped, and a
/// known key given twice is an error.
fn members<'a, const N: usize>(
    c: &mut Cursor<'a>,
    names: [&str; N],
    mut read: impl FnMut(&mut Cursor<'a>, usize) -> Result<()>,
) -> Result<()> {
    let mut seen = [false; N];
    c.object(|c, key| match names.iter().position(|n| *n == key) {
        Some(i) if seen[i] => Err(format!("duplicate field `{key}`")),
        Some(i) => {
            seen[i] = true;
            read(c, i)
        }
        None => c.skip_value(),
    })
}

/// A nested object serde reads leniently: checked as JSON with the record,
/// then read on its own, absent when it is no object or fails to read.
fn lenient<'a, T>(
    c: &mut Cursor<'a>,
    read: fn(&mut Cursor<'a>) -> Result<T>,
) -> Result<Lenient<T>> {
    let raw = c.raw()?;
    if !raw.starts_with('{') {
        return Ok(Lenient(None));
    }
    Ok(Lenient(read(&mut Cursor::of_text(raw)).ok()))
}

fn session_issuer<'a>(c: &mut Cursor<'a>) -> Result<SessionIssuer<'a>> {
    let mut s = SessionIssuer::default();
    members(c, ["userName", "arn"], |c, i| {
        let f = c.field()?;
        match i {
            0 => s.user_name = f,
            _ => s.arn = f,
        }
        Ok(())
    })?;
    Ok(s)
}

fn session_context<'a>(c: &mut Cursor<'a>) -> Result<SessionContext<'a>> {
    let mut s = SessionContext::default();
    members(c, ["sessionIssuer"], |c, _| {
        s.session_issuer = lenient(c, session_issuer)?;
        Ok(())
    })?;
    Ok(s)
}

fn user_identity<'a>(c: &mut Cursor<'a>) -> Result<UserIdentity<'a>> {
    let mut id = UserIdentity::default();
    let names = [
        "type",
        "arn",
        "userName",
        "principalId",
        "accountId",
        "invokedBy",
        "sessionContext",
    ];
    members(c, names, |c, i| {
        let slot = match i {
            0 => &mut id.kind,
            1 => &mut id.arn,
            2 => &mut id.user_name,
            3 => &mut id.principal_id,
            4 => &mut id.account_id,
            5 => &mut id.invoked_by,
            _ => {
                id.session_context = lenient(c, session_context)?;
                return Ok(());
            }
        };
        *slot = c.field()?;
        Ok(())
    })?;
    Ok(id)
}

fn resource<'a>(c: &mut Cursor<'a>) -> Result<Resource<'a>> {
    let mut r = Resource::default();
    members(c, ["type"], |c, _| {
        r.kind = c.field()?;
        Ok(())
    })?;
    Ok(r)
}

/// `resources`: a list of lenient objects, absent when it is no list.
fn resources<'a>(c: &mut Cursor<'a>) -> Result<LenientList<Lenient<Resource<'a>>>> {
    let raw = c.raw()?;
    if !raw.starts_with('[') {
        return Ok(LenientList(None));
    }
    let mut list = Cursor::of_text(raw);
    list.pos = 1;
    let mut items = Vec::new();
    list.ws();
    if list.peek() == Some(b']') {
        return Ok(LenientList(Some(items)));
    }
    loop {
        list.ws();
        items.push(lenient(&mut list, resource)?);
        list.ws();
        match list.peek() {
            Some(b',') => list.pos += 1,
            // The list was checked whole by `raw`: this is its `]`.
            _ => return Ok(LenientList(Some(items))),
        }
    }
}

const EVENT_KEYS: [&str; 19] = [
    "eventVersion",
    "eventID",
    "eventTime",
    "eventName",
    "eventSource",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "eventType",
    "eventCategory",
    "recipientAccountId",
    "errorCode",
    "errorMessage",
    "readOnly",
    "userIdentity",
    "resources",
    "responseElements",
    "additionalEventData",
    "requestParameters",
];

/// Reads one record, which starts (after whitespace) with `{`.
pub(super) fn read(raw: &[u8]) -> Result<Event<'_>> {
    let mut c = Cursor::new(raw);
    c.ws();
    if c.peek() != Some(b'{') {
        return c.fail("expected an object");
    }
    let mut e = Event::default();
    members(&mut c, EVENT_KEYS, |c, i| {
        let slot = match i {
            0 => &mut e.event_version,
            1 => &mut e.event_id,
            2 => &mut e.event_time,
            3 => &mut e.event_name,
            4 => &mut e.event_source,
            5 => &mut e.aws_region,
            6 => &mut e.source_ip,
            7 => &mut e.user_agent,
            8 => &mut e.event_type,
            9 => &mut e.event_category,
            10 => &mut e.recipient_account_id,
            11 => &mut e.error_code,
            12 => &mut e.error_message,
            13 => &mut e.read_only,
            14 => {
                e.user_identity = lenient(c, user_identity)?;
                return Ok(());
            }
            15 => {
                e.resources = resources(c)?;
                return Ok(());
            }
            _ => {
                // An `Option`, so serde reads `null` as absent.
                let raw = Some(RawJson(c.raw()?)).filter(|r| r.get() != "null");
                match i {
                    16 => e.response_elements = raw,
                    17 => e.additional_event_data = raw,
                    _ => e.request_parameters = raw,
                }
                return Ok(());
            }
        };
        *slot = c.field()?;
        Ok(())
    })?;
    c.ws();
    if c.pos != raw.len() {
        return c.fail("trailing characters after the record");
    }
    Ok(e)
}
