//! A finding as a state keeps it: the event's fields and the rule, packed
//! into one allocation.
//!
//! A state holds tens of thousands of these (every kept finding, and the
//! first call of each of up to [`super::MAX_BURST_KEYS`] access-denied
//! bursts), for the whole run, in every worker. Nine separate strings cost
//! a header and an allocation each; packed, a hit is one string and its
//! field boundaries, which roughly halves what the findings hold.
//!
//! A hit compares, orders, serializes and deserializes exactly as the
//! struct of nine strings it replaces, fields in the same order, so report
//! order and saved states are unchanged.

use std::cmp::Ordering;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::{Event, Field};

/// The fields, in report order (the order hits sort in).
const FIELDS: usize = 9;
const EVENT_TIME: usize = 0;
const RULE_ID: usize = 1;
const EVENT_ID: usize = 2;
const EVENT_NAME: usize = 3;
const EVENT_SOURCE: usize = 4;
const PRINCIPAL: usize = 5;
const SOURCE_IP: usize = 6;
const ACCOUNT_ID: usize = 7;
const REGION: usize = 8;
/// Their names in saved states.
const NAMES: [&str; FIELDS] = [
    "event_time",
    "rule_id",
    "event_id",
    "event_name",
    "event_source",
    "principal",
    "source_ip",
    "account_id",
    "region",
];

#[derive(Clone, PartialEq, Eq)]
pub(super) struct Hit {
    /// The fields, one after another.
    text: Box<str>,
    /// Where each field but the last ends in `text`. Equal hits have equal
    /// text and ends, so the derived equality is the fields' equality.
    ends: [u32; FIELDS - 1],
}

impl Hit {
    fn new(fields: [&str; FIELDS]) -> Hit {
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0; FIELDS - 1];
        for (i, field) in fields.iter().enumerate() {
            text.push_str(field);
            if let Some(end) = ends.get_mut(i) {
                // A wasm32 component cannot hold 4 GiB of fields.
                *end = u32::try_from(text.len()).expect("a hit's fields fit in 4 GiB");
            }
        }
        Hit {
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// The event's fields, with an empty rule id; missing fields are empty.
    pub(super) fn of(e: &Event) -> Hit {
        fn text<'f>(f: &'f Field<'_>) -> &'f str {
            f.as_str().unwrap_or_default()
        }
        let account = match e.recipient_account_id.as_str() {
            Some(account) => account,
            None => e.identity().map(|id| text(&id.account_id)).unwrap_or(""),
        };
        let principal = e.principal().unwrap_or_default();
        Hit::new([
            text(&e.event_time),
            "",
            text(&e.event_id),
            text(&e.event_name),
            text(&e.event_source),
            &principal,
            text(&e.source_ip),
            account,
            text(&e.aws_region),
        ])
    }

    /// This hit with another rule id.
    pub(super) fn with_rule(&self, rule_id: &str) -> Hit {
        let mut fields = self.fields();
        fields[RULE_ID] = rule_id;
        Hit::new(fields)
    }

    fn fields(&self) -> [&str; FIELDS] {
        let mut fields = [""; FIELDS];
        let mut start = 0;
        for (i, field) in fields.iter_mut().enumerate() {
            let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
            *field = &self.text[start..end];
            start = end;
        }
        fields
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        &self.text[start..end]
    }

    pub(super) fn event_time(&self) -> &str {
        self.field(EVENT_TIME)
    }
    pub(super) fn rule_id(&self) -> &str {
        self.field(RULE_ID)
    }
    pub(super) fn event_id(&self) -> &str {
        self.field(EVENT_ID)
    }
    pub(super) fn event_name(&self) -> &str {
        self.field(EVENT_NAME)
    }
    pub(super) fn event_source(&self) -> &str {
        self.field(EVENT_SOURCE)
    }
    pub(super) fn principal(&self) -> &str {
        self.field(PRINCIPAL)
    }
    pub(super) fn source_ip(&self) -> &str {
        self.field(SOURCE_IP)
    }
    pub(super) fn account_id(&self) -> &str {
        self.field(ACCOUNT_ID)
    }
    pub(super) fn region(&self) -> &str {
        self.field(REGION)
    }
}

/// Field by field, as the struct of nine strings did.
impl Ord for Hit {
    fn cmp(&self, other: &Hit) -> Ordering {
        self.fields().cmp(&other.fields())
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Hit) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The hit as saved states hold it: an object of the nine fields, read
/// back through this struct (its fields in the order of [`NAMES`]).
#[derive(Deserialize)]
struct Stored {
    event_time: String,
    rule_id: String,
    event_id: String,
    event_name: String,
    event_source: String,
    principal: String,
    source_ip: String,
    account_id: String,
    region: String,
}

impl Serialize for Hit {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut object = serializer.serialize_struct("Hit", FIELDS)?;
        for (name, value) in NAMES.into_iter().zip(self.fields()) {
            object.serialize_field(name, value)?;
        }
        object.end()
    }
}

impl<'de> Deserialize<'de> for Hit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hit, D::Error> {
        let s = Stored::deserialize(deserializer)?;
        Ok(Hit::new([
            &s.event_time,
            &s.rule_id,
            &s.event_id,
            &s.event_name,
            &s.event_source,
            &s.principal,
            &s.source_ip,
            &s.account_id,
            &s.region,
        ]))
    }
}

impl fmt::Debug for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut object = f.debug_struct("Hit");
        for (name, value) in NAMES.into_iter().zip(self.fields()) {
            object.field(name, &value);
        }
        object.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(fields: [&str; FIELDS]) -> Hit {
        Hit::new(fields)
    }

    #[test]
    fn fields_come_back_as_they_went_in_even_empty_or_shared_prefixes() {
        let fields = ["t", "", "ab", "a", "b", "", "1.2.3.4", "", "eu-west-1"];
        let h = hit(fields);
        assert_eq!(h.fields(), fields);
        assert_eq!(h.rule_id(), "");
        assert_eq!(h.region(), "eu-west-1");
        assert_eq!(h.with_rule("R.1").rule_id(), "R.1");
        assert_eq!(h.with_rule("R.1").event_id(), "ab");
    }

    #[test]
    fn order_and_equality_are_field_by_field_not_of_the_packed_text() {
        // The same packed text "ab" split two ways: different hits, and the
        // order is that of the first field ("a" < "ab"), as for the struct.
        let a = hit(["a", "b", "", "", "", "", "", "", ""]);
        let b = hit(["ab", "", "", "", "", "", "", "", ""]);
        assert_ne!(a, b);
        assert!(a < b);
        let c = hit(["a", "c", "", "", "", "", "", "", ""]);
        assert!(a < c && c < b);
    }

    #[test]
    fn saved_as_the_object_of_nine_fields_and_read_back() {
        let h = hit(["t", "R.1", "id", "n", "s", "p", "ip", "acct", "r"]);
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "event_time": "t", "rule_id": "R.1", "event_id": "id",
                "event_name": "n", "event_source": "s", "principal": "p",
                "source_ip": "ip", "account_id": "acct", "region": "r"
            })
        );
        let back: Hit = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
    }
}
