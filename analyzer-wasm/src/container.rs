//! Recognizes what an input holds, by content, and hands over its events one
//! by one as raw JSON.
//!
//! Read forms: a CloudTrail log `{"Records":[…]}`; a JSON array of events;
//! JSON Lines (or concatenated objects) of events; `LookupEvents` output
//! `{"Events":[{"CloudTrailEvent":"<json>"}]}` and its JSON Lines form.
//! CloudTrail digest files are recognized and skipped.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use crate::config::Limits;
use crate::json_scan::{ScanError, Scanner};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CloudTrailLog,
    EventArray,
    EventLines,
    LookupEvents,
    LookupEventLines,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::CloudTrailLog => "cloudtrail-log",
            Format::EventArray => "event-array",
            Format::EventLines => "event-lines",
            Format::LookupEvents => "lookup-events",
            Format::LookupEventLines => "lookup-event-lines",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Contents {
    Events(Format),
    /// Not a log, and not an error: the reason says what it is.
    Skipped(String),
}

/// What the elements of a container are.
#[derive(Clone, Copy)]
enum Element {
    Event,
    /// A `LookupEvents` item whose `CloudTrailEvent` holds the event as a string.
    LookupItem,
}

#[derive(Deserialize)]
struct LookupItem<'a> {
    #[serde(rename = "CloudTrailEvent", borrow)]
    event: Cow<'a, str>,
}

/// Calls `on_event` with the raw JSON of every event in `reader`, in order.
/// An error from `on_event` stops the reading and is returned with the
/// record's number.
pub fn read_events<R: BufRead>(
    reader: R,
    limits: &Limits,
    on_event: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<Contents, String> {
    let mut scanner = Scanner::new(reader, limits.max_record_bytes, limits.max_depth);
    let mut events = Delivery { on_event, count: 0 };
    let text = |e: ScanError| e.to_string();
    scanner.skip_bom().map_err(text)?;
    match scanner.peek().map_err(text)? {
        None => Err("empty input: no JSON document".into()),
        Some(b'[') => {
            scanner.bump();
            read_array(&mut scanner, Element::Event, &mut events)?;
            scanner.expect_end().map_err(text)?;
            Ok(Contents::Events(Format::EventArray))
        }
        Some(b'{') => read_object_document(&mut scanner, &mut events),
        Some(b) if b.is_ascii_graphic() => {
            Err(format!("not JSON: the content starts with '{}'", b as char))
        }
        Some(b) => Err(format!("not JSON: the content starts with byte 0x{b:02x}")),
    }
}

struct Delivery<'f> {
    on_event: &'f mut dyn FnMut(&[u8]) -> Result<(), String>,
    count: u64,
}

impl Delivery<'_> {
    fn deliver(&mut self, element: Element, raw: &[u8]) -> Result<(), String> {
        self.count += 1;
        let result = match element {
            Element::Event => (self.on_event)(raw),
            Element::LookupItem => match serde_json::from_slice::<LookupItem>(raw) {
                Ok(item) => (self.on_event)(item.event.as_bytes()),
                Err(e) => Err(format!("not a LookupEvents item: {e}")),
            },
        };
        result.map_err(|e| format!("record {}: {e}", self.count))
    }
}

/// Reads array elements after the opening `[` up to and including the `]`.
fn read_array<R: BufRead>(
    scanner: &mut Scanner<R>,
    element: Element,
    events: &mut Delivery,
) -> Result<(), String> {
    let text = |e: ScanError| e.to_string();
    let mut value = Vec::new();
    if scanner.peek().map_err(text)? == Some(b']') {
        scanner.bump();
        return Ok(());
    }
    loop {
        value.clear();
        scanner.read_value(&mut value).map_err(text)?;
        events.deliver(element, &value)?;
        match scanner.peek().map_err(text)? {
            Some(b',') => scanner.bump(),
            Some(b']') => {
                scanner.bump();
                return Ok(());
            }
            Some(b) => {
                return Err(scanner
                    .syntax(format!(
                        "expected ',' or ']' in a list, found '{}'",
                        b as char
                    ))
                    .to_string());
            }
            None => return Err(scanner.syntax("the input ends inside a list").to_string()),
        }
    }
}

/// A document that starts with `{`: a log, LookupEvents output, a digest, or
/// the first of several events (JSON Lines).
fn read_object_document<R: BufRead>(
    scanner: &mut Scanner<R>,
    events: &mut Delivery,
) -> Result<Contents, String> {
    let text = |e: ScanError| e.to_string();
    scanner.bump();
    // The object rebuilt from its members, in case it is itself an event.
    let mut object = b"{".to_vec();
    let mut keys: Vec<String> = Vec::new();
    let mut container = None;
    let mut raw_key = Vec::new();
    let mut value = Vec::new();
    loop {
        match scanner.peek().map_err(text)? {
            Some(b'}') if keys.is_empty() && container.is_none() => {
                scanner.bump();
                break;
            }
            Some(b'"') => {}
            _ => return Err(scanner.syntax("expected an object key").to_string()),
        }
        raw_key.clear();
        scanner.read_value(&mut raw_key).map_err(text)?;
        let key: String = serde_json::from_slice(&raw_key)
            .map_err(|e| scanner.syntax(format!("bad object key: {e}")).to_string())?;
        scanner.expect(b':', "':'").map_err(text)?;
        let list = match key.as_str() {
            "Records" => Some((Format::CloudTrailLog, Element::Event)),
            "Events" => Some((Format::LookupEvents, Element::LookupItem)),
            _ => None,
        };
        match list {
            Some((format, element)) if container.is_none() => {
                if scanner.peek().map_err(text)? != Some(b'[') {
                    return Err(format!("\"{key}\" is not a list"));
                }
                scanner.bump();
                read_array(scanner, element, events)?;
                container = Some(format);
            }
            _ => {
                value.clear();
                scanner.read_value(&mut value).map_err(text)?;
                if container.is_none() {
                    if object.len() > 1 {
                        object.push(b',');
                    }
                    object.extend_from_slice(&raw_key);
                    object.push(b':');
                    object.extend_from_slice(&value);
                    keys.push(key);
                }
            }
        }
        match scanner.peek().map_err(text)? {
            Some(b',') => scanner.bump(),
            Some(b'}') => {
                scanner.bump();
                break;
            }
            _ => {
                return Err(scanner
                    .syntax("expected ',' or '}' in an object")
                    .to_string());
            }
        }
    }
    object.push(b'}');

    if let Some(format) = container {
        scanner.expect_end().map_err(text)?;
        return Ok(Contents::Events(format));
    }
    let has = |k: &str| keys.iter().any(|key| key == k);
    if has("digestStartTime") || (has("digestEndTime") && has("logFiles")) {
        scanner.expect_end().map_err(text)?;
        return Ok(Contents::Skipped("CloudTrail digest file".into()));
    }
    // What `verify` reads beside the logs: a digest's signature sidecar
    // (its S3 metadata) and CloudTrail's public keys.
    if keys.len() == 2 && has("signature") && has("signature-algorithm") {
        scanner.expect_end().map_err(text)?;
        return Ok(Contents::Skipped(
            "signature of a CloudTrail digest file".into(),
        ));
    }
    if keys.len() == 1 && has("PublicKeyList") {
        scanner.expect_end().map_err(text)?;
        return Ok(Contents::Skipped("CloudTrail public keys".into()));
    }
    let (format, element) = if has("eventVersion") || (has("eventName") && has("eventTime")) {
        (Format::EventLines, Element::Event)
    } else if has("CloudTrailEvent") {
        (Format::LookupEventLines, Element::LookupItem)
    } else {
        return Err("a JSON object with no \"Records\" list: not a CloudTrail log".into());
    };
    events.deliver(element, &object)?;
    loop {
        match scanner.peek().map_err(text)? {
            None => return Ok(Contents::Events(format)),
            Some(b'{') => {
                value.clear();
                scanner.read_value(&mut value).map_err(text)?;
                events.deliver(element, &value)?;
            }
            Some(b) => {
                return Err(scanner
                    .syntax(format!(
                        "expected another JSON object, found '{}'",
                        b as char
                    ))
                    .to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(Contents, Vec<String>), String> {
        let mut seen = Vec::new();
        let contents = read_events(text.as_bytes(), &Limits::default(), &mut |raw| {
            seen.push(String::from_utf8(raw.to_vec()).unwrap());
            Ok(())
        })?;
        Ok((contents, seen))
    }

    #[test]
    fn cloudtrail_log_with_other_keys_and_bom() {
        let (c, seen) =
            read("\u{feff}{\"x\":1, \"Records\": [{\"a\":1}, {\"b\":[2]}], \"y\":{}}").unwrap();
        assert_eq!(c, Contents::Events(Format::CloudTrailLog));
        assert_eq!(seen, [r#"{"a":1}"#, r#"{"b":[2]}"#]);
        let (c, seen) = read(r#"{"Records":[]}"#).unwrap();
        assert_eq!(c, Contents::Events(Format::CloudTrailLog));
        assert!(seen.is_empty());
    }

    #[test]
    fn arrays_lines_and_lookup_events() {
        let (c, seen) = read(r#"[{"eventName":"A"},{"eventName":"B"}]"#).unwrap();
        assert_eq!((c, seen.len()), (Contents::Events(Format::EventArray), 2));
        let lines = "{\"eventVersion\":\"1.08\",\"n\":1}\n{\"eventVersion\":\"1.08\",\"n\":2}\n";
        let (c, seen) = read(lines).unwrap();
        assert_eq!(c, Contents::Events(Format::EventLines));
        assert_eq!(seen[1], r#"{"eventVersion":"1.08","n":2}"#);
        let lookup = r#"{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"X\"}"}]}"#;
        let (c, seen) = read(lookup).unwrap();
        assert_eq!(
            (c, seen),
            (
                Contents::Events(Format::LookupEvents),
                vec![r#"{"eventName":"X"}"#.to_string()]
            )
        );
        let lookup_lines = "{\"CloudTrailEvent\":\"{}\"}\n{\"CloudTrailEvent\":\"{}\"}";
        let (c, seen) = read(lookup_lines).unwrap();
        assert_eq!(
            (c, seen.len()),
            (Contents::Events(Format::LookupEventLines), 2)
        );
    }

    #[test]
    fn digests_are_skipped() {
        let digest =
            r#"{"awsAccountId":"1","digestStartTime":"x","digestEndTime":"y","logFiles":[]}"#;
        assert_eq!(
            read(digest).unwrap().0,
            Contents::Skipped("CloudTrail digest file".into())
        );
    }

    #[test]
    fn signature_sidecars_and_public_keys_are_skipped() {
        let sidecar = r#"{"signature": "ab01", "signature-algorithm": "SHA256withRSA"}"#;
        assert_eq!(
            read(sidecar).unwrap().0,
            Contents::Skipped("signature of a CloudTrail digest file".into())
        );
        let keys = r#"{"PublicKeyList": [{"Value": "AA==", "Fingerprint": "ab"}]}"#;
        assert_eq!(
            read(keys).unwrap().0,
            Contents::Skipped("CloudTrail public keys".into())
        );
        // With anything else beside them, it is no such file.
        let other = r#"{"signature": "ab01", "signature-algorithm": "x", "eventName": "A"}"#;
        assert!(read(other).is_err());
    }

    #[test]
    fn bad_documents_say_why() {
        let cases = [
            ("", "empty input"),
            ("hello", "not JSON"),
            ("{\"Records\": 5}", "\"Records\" is not a list"),
            ("{\"foo\": 1}", "no \"Records\" list"),
            ("{\"Records\": [{\"a\":1}, {\"b\":", "ends inside"),
            ("{\"Records\": [1 2]}", "expected ',' or ']'"),
            ("{\"Records\": []} trailing", "after the end"),
        ];
        for (text, expected) in cases {
            let err = read(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn callback_errors_name_the_record() {
        let err = read_events(&b"[1,2,3]"[..], &Limits::default(), &mut |raw| {
            if raw == b"2" {
                Err("bad".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err, "record 2: bad");
    }
}

#[cfg(test)]
mod trickle_tests {
    use super::*;
    use std::io::Read;

    /// A source that hands out one byte per read, as a slow stream may.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn one_byte_reads_give_the_same_events() {
        let text = br#"{"Records":[{"eventName":"A","userIdentity":{"type":"Root"}}, {"b":true}]}"#;
        let (reader, _) = crate::input::open(Trickle(text), 1 << 20).unwrap();
        let mut seen = 0;
        let contents = read_events(reader, &Limits::default(), &mut |_| {
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(
            (contents, seen),
            (Contents::Events(Format::CloudTrailLog), 2)
        );
    }
}
