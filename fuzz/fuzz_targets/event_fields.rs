//! Event field extraction (`event.rs`): the fuzzer's bytes are one record.
//! The fast reader must accept exactly what serde's derive accepts and read
//! the same fields from it. Every field must be what serde reads there as a
//! plain JSON value too (a string as
//! itself, a number as text that reads back as the same number, a bool as
//! `true`/`false`, an object or list as `{}`/`[]`, Python's truthiness), and
//! the record must go through a whole session, rules and report included.
#![no_main]

use analyzer_wasm::event::{Event, Field};
use analyzer_wasm::report::INSIGHTS_JSON;
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::Status;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn check(name: &str, field: &Field, value: Option<&Value>) {
    let (text, truthy) = match (field, value) {
        (Field::Missing, None) | (Field::Null, Some(Value::Null)) => return,
        (Field::Str(s), Some(Value::String(v))) => {
            assert_eq!(s, v, "{name}");
            assert_eq!(field.truthy_key(), (!v.is_empty()).then_some(v.as_str()));
            return;
        }
        (Field::Other { text, truthy }, Some(_)) => (text, *truthy),
        _ => panic!("{name}: {field:?} read from {value:?}"),
    };
    match value.unwrap() {
        Value::Bool(b) => assert_eq!((text.as_str(), truthy), (b.to_string().as_str(), *b)),
        Value::Number(n) => {
            let v = n.as_f64().unwrap();
            if let Some(i) = n.as_i64() {
                assert_eq!(text, &i.to_string(), "{name}");
            } else if let Some(u) = n.as_u64() {
                assert_eq!(text, &u.to_string(), "{name}");
            } else {
                let back: f64 = text.parse().unwrap_or_else(|_| panic!("{name}: {text}"));
                assert_eq!(back, v, "{name}: {text} reads back as another number");
            }
            assert_eq!(truthy, v != 0.0, "{name}: {text}");
        }
        Value::Object(m) => assert_eq!((text.as_str(), truthy), ("{}", !m.is_empty())),
        Value::Array(a) => assert_eq!((text.as_str(), truthy), ("[]", !a.is_empty())),
        other => panic!("{name}: {field:?} read from {other:?}"),
    }
}

fn fields(e: &Event, record: &Map<String, Value>) {
    let top = [
        ("eventVersion", &e.event_version),
        ("eventID", &e.event_id),
        ("eventTime", &e.event_time),
        ("eventName", &e.event_name),
        ("eventSource", &e.event_source),
        ("awsRegion", &e.aws_region),
        ("sourceIPAddress", &e.source_ip),
        ("userAgent", &e.user_agent),
        ("eventType", &e.event_type),
        ("eventCategory", &e.event_category),
        ("recipientAccountId", &e.recipient_account_id),
        ("errorCode", &e.error_code),
        ("errorMessage", &e.error_message),
        ("readOnly", &e.read_only),
    ];
    for (name, field) in top {
        check(name, field, record.get(name));
    }
    // A nested object is read when it is one (and has no repeated key).
    match (e.identity(), record.get("userIdentity")) {
        (Some(id), Some(Value::Object(v))) => {
            for (name, field) in [
                ("type", &id.kind),
                ("arn", &id.arn),
                ("userName", &id.user_name),
                ("principalId", &id.principal_id),
                ("accountId", &id.account_id),
                ("invokedBy", &id.invoked_by),
            ] {
                check(name, field, v.get(name));
            }
        }
        (Some(id), other) => panic!("userIdentity {id:?} read from {other:?}"),
        (None, Some(Value::Object(_))) | (None, _) => {}
    }
    if e.resources.0.is_some() {
        assert!(record.get("resources").is_some_and(Value::is_array));
    }
}

fuzz_target!(|data: &[u8]| {
    match (Event::parse(data), Event::parse_with_serde(data)) {
        (Ok(fast), Ok(serde)) => assert_eq!(format!("{fast:?}"), format!("{serde:?}")),
        (Err(_), Err(_)) => {}
        (fast, serde) => panic!("fast reader: {fast:?}\nserde: {serde:?}"),
    }
    if let Ok(event) = Event::parse(data) {
        let _ = (
            event.identity_type_key(),
            event.principal(),
            event.user_name(),
            event.is_access_denied(),
        );
        for raw in [
            event.response_elements,
            event.additional_event_data,
            event.request_parameters,
        ] {
            let _ = Event::nested_str(raw, "ConsoleLogin");
        }
        if let Ok(Value::Object(record)) = serde_json::from_slice::<Value>(data) {
            fields(&event, &record);
        }
    }

    // The whole way: a log of this one record, analyzed and reported.
    let mut log = b"{\"Records\":[".to_vec();
    log.extend_from_slice(data);
    log.extend_from_slice(b"]}");
    let mut session = Session::open("").expect("the default configuration");
    let outcome = session.add("one-record.json", &log[..]);
    session.finish();
    let insights = session.artifact(INSIGHTS_JSON).expect("insights.json");
    let insights: Value = serde_json::from_slice(&insights).expect("insights.json is JSON");
    let analyzed = outcome.status == Status::Analyzed;
    assert_eq!(
        insights["total_events"],
        if analyzed { outcome.events } else { 0 }
    );
});
