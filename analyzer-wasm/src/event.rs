//! The fields of a CloudTrail event that the rules read, borrowed from the
//! record's bytes. Everything else in a record is skipped unparsed. The
//! structs say with serde attributes how each field is read; [`reader`]
//! reads them faster, with exactly the same outcome.
//!
//! Reading is lenient the way the old analyzer's `dict.get` was: a missing
//! field is `Missing`, a JSON `null` is `Null`, a number or boolean keeps its
//! JSON text, and a nested object where a string was expected does not fail
//! the record.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

mod reader;

/// One scalar field of an event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Field<'a> {
    #[default]
    Missing,
    Null,
    Str(Cow<'a, str>),
    /// A number or boolean, as the text Python's `json.dumps` gives it as a
    /// key; an object or list, as `{}`/`[]`. `truthy` is Python's truthiness
    /// of the value (`0`, `0.0`, `false`, `{}` and `[]` are falsy).
    Other {
        text: String,
        truthy: bool,
    },
}

impl<'a> Field<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            Field::Other { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The key the old analyzer's `json.dumps(Counter)` gave this value:
    /// `None` (missing or null) became `"null"`.
    pub fn legacy_key(&self) -> &str {
        self.as_str().unwrap_or("null")
    }

    /// The key of the old analyzer's `if value: counter[value] += 1`: `None`
    /// for a value Python finds falsy (missing, `null`, `""`, `false`, `0`,
    /// an empty object or list), which is not counted at all.
    pub fn truthy_key(&self) -> Option<&str> {
        match self {
            Field::Str(s) if !s.is_empty() => Some(s),
            Field::Other { text, truthy: true } => Some(text),
            _ => None,
        }
    }

    pub fn is_present(&self) -> bool {
        self.as_str().is_some()
    }

    fn other(text: impl Into<String>, truthy: bool) -> Self {
        Field::Other {
            text: text.into(),
            truthy,
        }
    }
}

/// Python's `repr` of a float, which is what `json.dumps` writes for a float
/// key: the shortest digits that round-trip, `1.0` for integral values, and
/// exponent notation (`1e+16`, `1.5e-05`) outside `1e-4 <= |v| < 1e16`.
fn python_float_repr(v: f64) -> String {
    // `{:e}` gives the same shortest round-trip digits, always in exponent form.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{point}{rest}e{exp_sign}{:02}", exp.abs())
    } else if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            let zeros = "0".repeat(point - digits.len());
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (int, frac) = digits.split_at(point);
            format!("{sign}{int}.{frac}")
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Field::other(if v { "true" } else { "false" }, v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Field::other(v.to_string(), v != 0))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Field::other(v.to_string(), v != 0))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Field::other(python_float_repr(v), v != 0.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = 0;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    entries += 1;
                }
                Ok(Field::other("{}", entries > 0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    items += 1;
                }
                Ok(Field::other("[]", items > 0))
            }
        }
        d.deserialize_any(FieldVisitor)
    }
}

/// A nested object read only if it has the expected shape; anything else
/// (null, a string, a list, a malformed object) reads as absent. (serde
/// would read a struct from a list too; a record's `[1]` is not an object.)
#[derive(Debug)]
pub struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'a>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        if !raw.get().starts_with('{') {
            return Ok(Lenient(None));
        }
        Ok(Lenient(serde_json::from_str(raw.get()).ok()))
    }
}

/// A nested value kept as its JSON text, read only when a rule asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    pub fn get(&self) -> &'a str {
        self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        Ok(RawJson(raw.get()))
    }
}

/// A list read only if it is one; anything else reads as absent.
#[derive(Debug)]
pub struct LenientList<T>(pub Option<Vec<T>>);

impl<T> Default for LenientList<T> {
    fn default() -> Self {
        LenientList(None)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'a>> Deserialize<'de> for LenientList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        Ok(LenientList(serde_json::from_str(raw.get()).ok()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionIssuer<'a> {
    #[serde(rename = "userName", borrow)]
    pub user_name: Field<'a>,
    #[serde(borrow)]
    pub arn: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow)]
    pub session_issuer: Lenient<SessionIssuer<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserIdentity<'a> {
    /// Kept apart from `Missing` on purpose: the old analyzer counted a
    /// missing type as `Unknown` but an explicit null as `null`.
    #[serde(rename = "type", borrow)]
    pub kind: Field<'a>,
    #[serde(borrow)]
    pub arn: Field<'a>,
    #[serde(rename = "userName", borrow)]
    pub user_name: Field<'a>,
    #[serde(rename = "principalId", borrow)]
    pub principal_id: Field<'a>,
    #[serde(rename = "accountId", borrow)]
    pub account_id: Field<'a>,
    #[serde(rename = "invokedBy", borrow)]
    pub invoked_by: Field<'a>,
    #[serde(rename = "sessionContext", borrow)]
    pub session_context: Lenient<SessionContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Field<'a>,
}

/// The fields of one event that any rule reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Event<'a> {
    #[serde(rename = "eventVersion", borrow)]
    pub event_version: Field<'a>,
    #[serde(rename = "eventID", borrow)]
    pub event_id: Field<'a>,
    #[serde(rename = "eventTime", borrow)]
    pub event_time: Field<'a>,
    #[serde(rename = "eventName", borrow)]
    pub event_name: Field<'a>,
    #[serde(rename = "eventSource", borrow)]
    pub event_source: Field<'a>,
    #[serde(rename = "awsRegion", borrow)]
    pub aws_region: Field<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    pub source_ip: Field<'a>,
    #[serde(rename = "userAgent", borrow)]
    pub user_agent: Field<'a>,
    #[serde(rename = "eventType", borrow)]
    pub event_type: Field<'a>,
    #[serde(rename = "eventCategory", borrow)]
    pub event_category: Field<'a>,
    #[serde(rename = "recipientAccountId", borrow)]
    pub recipient_account_id: Field<'a>,
    #[serde(rename = "errorCode", borrow)]
    pub error_code: Field<'a>,
    #[serde(rename = "errorMessage", borrow)]
    pub error_message: Field<'a>,
    #[serde(rename = "readOnly", borrow)]
    pub read_only: Field<'a>,
    #[serde(rename = "userIdentity", borrow)]
    pub user_identity: Lenient<UserIdentity<'a>>,
    /// Absent (`None`) is not the same as present-but-malformed: the old
    /// analyzer iterated `record.get('resources', [])`.
    #[serde(borrow)]
    pub resources: LenientList<Lenient<Resource<'a>>>,
    #[serde(rename = "responseElements", borrow)]
    pub response_elements: Option<RawJson<'a>>,
    #[serde(rename = "additionalEventData", borrow)]
    pub additional_event_data: Option<RawJson<'a>>,
    #[serde(rename = "requestParameters", borrow)]
    pub request_parameters: Option<RawJson<'a>>,
}

impl<'a> Event<'a> {
    /// Parses one record; it must be a JSON object.
    pub fn parse(raw: &'a [u8]) -> Result<Event<'a>, String> {
        Self::check_object(raw)?;
        reader::read(raw).map_err(|e| format!("invalid event JSON: {e}"))
    }

    /// Parses one record with serde, as the struct attributes say: the
    /// reference [`Event::parse`] is checked against (tests, fuzzing).
    pub fn parse_with_serde(raw: &'a [u8]) -> Result<Event<'a>, String> {
        Self::check_object(raw)?;
        serde_json::from_slice(raw).map_err(|e| format!("invalid event JSON: {e}"))
    }

    fn check_object(raw: &[u8]) -> Result<(), String> {
        let first = raw.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err("an event is not a JSON object".into());
        }
        Ok(())
    }

    pub fn identity(&self) -> Option<&UserIdentity<'a>> {
        self.user_identity.0.as_ref()
    }

    /// The old analyzer's `record.get('userIdentity', {}).get('type', 'Unknown')`.
    pub fn identity_type_key(&self) -> &str {
        match self.identity().map(|i| &i.kind) {
            None | Some(Field::Missing) => "Unknown",
            Some(kind) => kind.legacy_key(),
        }
    }

    /// Who acted, as one string: the ARN when there is one (borrowed: this
    /// runs for every event).
    pub fn principal(&self) -> Option<Cow<'_, str>> {
        let id = self.identity()?;
        if let Some(arn) = id.arn.as_str() {
            return Some(Cow::Borrowed(arn));
        }
        if let Some(invoked_by) = id.invoked_by.as_str() {
            return Some(Cow::Borrowed(invoked_by));
        }
        let kind = id.kind.as_str().unwrap_or("Unknown");
        id.principal_id
            .as_str()
            .or_else(|| id.user_name.as_str())
            .map(|name| Cow::Owned(format!("{kind}:{name}")))
    }

    /// The user name, or for a role session the name of the role.
    pub fn user_name(&self) -> Option<&str> {
        let id = self.identity()?;
        id.user_name.as_str().or_else(|| {
            let issuer = id.session_context.0.as_ref()?.session_issuer.0.as_ref()?;
            issuer.user_name.as_str()
        })
    }

    /// Reads a string member of one of the raw nested objects.
    pub fn nested_str(raw: Option<RawJson<'a>>, key: &str) -> Option<String> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(raw?.get()).ok()?;
        match map.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn is_access_denied(&self) -> bool {
        self.error_code.as_str().is_some_and(|code| {
            code.ends_with("UnauthorizedOperation") || code.starts_with("AccessDenied")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_borrow_and_fall_back() {
        let raw = br#"{"eventName":"GetObject","awsRegion":null,"readOnly":true,
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
              "sessionContext":{"sessionIssuer":{"userName":"r"}}},
            "resources":[{"type":"AWS::S3::Object"},{"ARN":"x"}],"extra":{"deep":[1,2]}}"#;
        let e = Event::parse(raw).unwrap();
        assert!(matches!(
            e.event_name,
            Field::Str(Cow::Borrowed("GetObject"))
        ));
        assert_eq!(e.aws_region, Field::Null);
        assert_eq!(e.aws_region.legacy_key(), "null");
        assert_eq!(e.source_ip, Field::Missing);
        assert_eq!(e.read_only.as_str(), Some("true"));
        assert_eq!(e.identity_type_key(), "AssumedRole");
        assert_eq!(e.user_name(), Some("r"));
        let resources = e.resources.0.unwrap();
        assert_eq!(resources[1].0.as_ref().unwrap().kind, Field::Missing);
    }

    #[test]
    fn identity_type_follows_the_old_analyzer() {
        let missing = Event::parse(br#"{"eventName":"A"}"#).unwrap();
        assert_eq!(missing.identity_type_key(), "Unknown");
        let no_type = Event::parse(br#"{"userIdentity":{}}"#).unwrap();
        assert_eq!(no_type.identity_type_key(), "Unknown");
        let null_type = Event::parse(br#"{"userIdentity":{"type":null}}"#).unwrap();
        assert_eq!(null_type.identity_type_key(), "null");
        let odd = Event::parse(br#"{"userIdentity":"root"}"#).unwrap();
        assert_eq!(odd.identity_type_key(), "Unknown");
    }

    #[test]
    fn truthiness_follows_python() {
        let key = |json: &str| {
            let raw = format!(r#"{{"awsRegion":{json}}}"#);
            Event::parse(raw.as_bytes())
                .unwrap()
                .aws_region
                .truthy_key()
                .map(str::to_owned)
        };
        for falsy in [
            "null", r#""""#, "false", "0", "-0", "0.0", "-0.0", "0e5", "{}", "[]",
        ] {
            assert_eq!(key(falsy), None, "{falsy} is falsy in Python");
        }
        assert_eq!(Event::parse(b"{}").unwrap().aws_region.truthy_key(), None);
        assert_eq!(key(r#""us-east-1""#).as_deref(), Some("us-east-1"));
        assert_eq!(key("true").as_deref(), Some("true"));
        assert_eq!(key("7").as_deref(), Some("7"));
        assert_eq!(key("-3").as_deref(), Some("-3"));
        assert_eq!(key(r#"{"a":1}"#).as_deref(), Some("{}"));
        assert_eq!(key("[0]").as_deref(), Some("[]"));
    }

    #[test]
    fn floats_print_as_python_repr() {
        for (v, repr) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (100000.0, "100000.0"),
            (123.456, "123.456"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000015, "1.5e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.25e22, "1.25e+22"),
            (-2.5e-7, "-2.5e-07"),
            (1e300, "1e+300"),
            (0.1, "0.1"),
        ] {
            assert_eq!(python_float_repr(v), repr, "repr({v:?})");
        }
    }

    #[test]
    fn escaped_strings_and_non_objects() {
        let e = Event::parse(br#"{"eventName":"a\"b"}"#).unwrap();
        assert_eq!(e.event_name.as_str(), Some("a\"b"));
        assert!(
            Event::parse(b"[1]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(Event::parse(b"{\"eventName\":\"\xff\"}").is_err());
    }
}
