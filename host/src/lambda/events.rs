//! What invoked the function, read from the event's shape: an EventBridge
//! schedule, an S3 notification (direct, through EventBridge, or inside SQS
//! messages), a consolidation job from the queue, or a hand-made request.

use anyhow::{Result, bail};
use aws_lambda_events::event::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use super::day_report;
use super::layout::Day;
use super::plan::Job;

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    /// The version the notification is about (the log bucket is
    /// versioned): read by it, the object is still there after cleanup
    /// deleted the key, so analysis never races consolidation.
    pub version_id: Option<String>,
}

/// A hand-made invocation for backfill: `{"from": "2026-10-01", "to":
/// "2026-10-31", "accounts": ["111122223333"]}`; every field is optional
/// (`{}` plans the default window).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualRequest {
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Schedule,
    Manual(ManualRequest),
    /// SQS messages: (message id, what the body asks for).
    Messages(Vec<(String, Message)>),
    Objects(Vec<ObjectRef>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Job(Job),
    /// Build a day's report (see `day_report`).
    DayReport(day_report::Request),
    Objects(Vec<ObjectRef>),
    /// S3's `s3:TestEvent` and the like: acknowledged, nothing to do.
    Nothing,
    Invalid(String),
}

/// `+` and `%XX` as S3 notifications encode object keys.
pub fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
                {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// S3 notification records. Read by hand rather than into `S3Event`, which
/// insists on fields (times, versions) this function has no use for.
fn s3_objects(value: &Value) -> Option<Vec<ObjectRef>> {
    let objects: Vec<ObjectRef> = value
        .get("Records")?
        .as_array()?
        .iter()
        .filter(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:s3"))
        .filter_map(|r| {
            Some(ObjectRef {
                bucket: r.pointer("/s3/bucket/name")?.as_str()?.to_owned(),
                key: decode_key(r.pointer("/s3/object/key")?.as_str()?),
                version_id: r
                    .pointer("/s3/object/versionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect();
    (!objects.is_empty()).then_some(objects)
}

/// EventBridge's "Object Created" event carries the key unencoded.
fn eventbridge_object(value: &Value) -> Option<ObjectRef> {
    if value.get("source")?.as_str()? != "aws.s3" {
        return None;
    }
    let detail = value.get("detail")?;
    Some(ObjectRef {
        bucket: detail.get("bucket")?.get("name")?.as_str()?.to_owned(),
        key: detail.get("object")?.get("key")?.as_str()?.to_owned(),
        version_id: detail
            .get("object")?
            .get("version-id")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn message(body: &str) -> Message {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Message::Invalid(format!("not JSON: {body:.100}"));
    };
    if let Ok(envelope) = serde_json::from_value::<day_report::Envelope>(value.clone()) {
        return Message::DayReport(envelope.day_report);
    }
    if let Ok(job) = serde_json::from_value::<Job>(value.clone()) {
        return Message::Job(job);
    }
    if let Some(objects) = s3_objects(&value) {
        return Message::Objects(objects);
    }
    if let Some(object) = eventbridge_object(&value) {
        return Message::Objects(vec![object]);
    }
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Message::Nothing;
    }
    Message::Invalid(format!(
        "not a job, a day report request or an S3 notification: {body:.100}"
    ))
}

pub fn classify(value: &Value) -> Result<Trigger> {
    if let Some(objects) = s3_objects(value) {
        return Ok(Trigger::Objects(objects));
    }
    let is_sqs = value
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        == Some("aws:sqs");
    if is_sqs {
        let event: SqsEvent = serde_json::from_value(value.clone())?;
        let messages = event
            .records
            .into_iter()
            .map(|m| {
                let id = m.message_id.unwrap_or_default();
                let body = m.body.unwrap_or_default();
                (id, message(&body))
            })
            .collect();
        return Ok(Trigger::Messages(messages));
    }
    if let Some(object) = eventbridge_object(value) {
        return Ok(Trigger::Objects(vec![object]));
    }
    if value.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        return Ok(Trigger::Schedule);
    }
    if value.is_object() {
        let request: ManualRequest = serde_json::from_value(value.clone()).map_err(|e| {
            anyhow::anyhow!("not an event this function handles, nor a manual request ({e})")
        })?;
        return Ok(Trigger::Manual(request));
    }
    bail!("not an event this function handles: {value:.200}")
}

impl ManualRequest {
    /// The days asked for, oldest first; `default` when none are given.
    pub fn days(&self, default: Vec<Day>) -> Result<Vec<Day>> {
        let parse = |label: &str, v: &Option<String>| -> Result<Option<Day>> {
            match v {
                None => Ok(None),
                Some(text) => match Day::parse(text) {
                    Some(d) => Ok(Some(d)),
                    None => bail!("`{label}` must be a date like 2026-11-01, not `{text}`"),
                },
            }
        };
        let (from, to) = (parse("from", &self.from)?, parse("to", &self.to)?);
        let (from, to) = match (from, to) {
            (None, None) => return Ok(default),
            (Some(f), None) => (f, f),
            (None, Some(t)) => (t, t),
            (Some(f), Some(t)) => (f, t),
        };
        let span = to.to_unix_days() - from.to_unix_days();
        if !(0..=366).contains(&span) {
            bail!("`from` must not be after `to`, and the range at most 367 days");
        }
        Ok((0..=span)
            .map(|i| Day::from_unix_days(from.to_unix_days() + i))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_keys_like_s3() {
        assert_eq!(decode_key("a+b%2Bc%3D.json.gz"), "a b+c=.json.gz");
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("x%zz"), "x%zz");
    }

    #[test]
    fn classifies_every_trigger() {
        let s3 = json!({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k+1.json.gz","versionId":"v1"}}}]});
        assert_eq!(
            classify(&s3).unwrap(),
            Trigger::Objects(vec![ObjectRef {
                bucket: "b".into(),
                key: "k 1.json.gz".into(),
                version_id: Some("v1".into()),
            }])
        );
        let schedule = json!({"detail-type":"Scheduled Event","source":"aws.events","detail":{}});
        assert_eq!(classify(&schedule).unwrap(), Trigger::Schedule);
        let eb = json!({"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"a b"}}});
        assert_eq!(
            classify(&eb).unwrap(),
            Trigger::Objects(vec![ObjectRef {
                bucket: "b".into(),
                key: "a b".into(),
                version_id: None,
            }])
        );
        let job = json!({"account":"1","region":"r","day":{"year":2026,"month":11,"day":1}});
        let report = json!({"day_report":{"day":{"year":2026,"month":11,"day":1},"not_before":60}});
        let sqs = json!({"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":job.to_string()},
                                    {"eventSource":"aws:sqs","messageId":"m2","body":s3.to_string()},
                                    {"eventSource":"aws:sqs","messageId":"m3","body":"{\"Event\":\"s3:TestEvent\"}"},
                                    {"eventSource":"aws:sqs","messageId":"m4","body":report.to_string()}]});
        let Trigger::Messages(m) = classify(&sqs).unwrap() else {
            panic!()
        };
        assert!(matches!(m[0].1, Message::Job(_)));
        assert!(matches!(m[1].1, Message::Objects(_)));
        assert_eq!(m[2].1, Message::Nothing);
        assert_eq!(
            m[3].1,
            Message::DayReport(day_report::Request {
                day: Day::parse("2026-11-01").unwrap(),
                not_before: 60,
            })
        );
        assert_eq!(
            classify(&json!({})).unwrap(),
            Trigger::Manual(ManualRequest::default())
        );
        assert!(classify(&json!({"form":"typo"})).is_err());
    }

    #[test]
    fn manual_ranges() {
        let r = ManualRequest {
            from: Some("2026-02-27".into()),
            to: Some("2026-03-01".into()),
            accounts: vec![],
        };
        assert_eq!(r.days(vec![]).unwrap().len(), 3);
        let bad = ManualRequest {
            from: Some("2026-03-02".into()),
            to: Some("2026-03-01".into()),
            accounts: vec![],
        };
        assert!(bad.days(vec![]).is_err());
    }
}
