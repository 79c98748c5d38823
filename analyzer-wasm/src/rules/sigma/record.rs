//! One record as Sigma rules read it. Most tests name a field the event
//! reader has already read (`eventName`, `eventSource`, `userIdentity.arn`):
//! those are answered from it. The record is parsed into a tree only when
//! a test names another field, and not even then when the field's key does
//! not occur in the record's bytes at all.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::Value as Json;

use crate::event::{Event, Field};

/// A value at a path: from the tree, or a field the reader read.
#[derive(Clone, Copy)]
pub(super) enum Leaf<'v> {
    Json(&'v Json),
    Field(&'v Field<'v>),
}

impl Leaf<'_> {
    /// The text patterns match: strings as they are, numbers and booleans
    /// as their JSON text; null, objects and lists have none.
    pub(super) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Leaf::Json(Json::String(s)) => Some(s.as_str().into()),
            Leaf::Json(Json::Number(n)) => Some(n.to_string().into()),
            Leaf::Json(Json::Bool(b)) => Some(if *b { "true" } else { "false" }.into()),
            Leaf::Json(_) => None,
            Leaf::Field(Field::Str(s)) => Some(s.as_ref().into()),
            Leaf::Field(_) => None,
        }
    }

    pub(super) fn is_null(&self) -> bool {
        matches!(self, Leaf::Json(Json::Null) | Leaf::Field(Field::Null))
    }

    pub(super) fn number(&self) -> Option<f64> {
        match self {
            Leaf::Json(Json::Number(n)) => n.as_f64(),
            Leaf::Json(Json::String(s)) => s.trim().parse().ok(),
            Leaf::Field(Field::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Leaf::Json(Json::String(s)) => Some(s),
            Leaf::Field(Field::Str(s)) => Some(s),
            _ => None,
        }
    }
}

pub(super) struct Record<'r> {
    event: &'r Event<'r>,
    raw: &'r [u8],
    /// Whether the bytes hold an escape that could spell a key: then a key
    /// is looked for in the tree, never in the bytes.
    escapes: bool,
    tree: OnceCell<Option<Json>>,
}

impl<'r> Record<'r> {
    pub(super) fn new(event: &'r Event<'r>, raw: &'r [u8]) -> Record<'r> {
        Record {
            event,
            raw,
            escapes: memchr::memmem::find(raw, b"\\u").is_some(),
            tree: OnceCell::new(),
        }
    }

    /// The values at a dotted path (see `detection::leaves`).
    pub(super) fn leaves<'s>(&'s self, path: &str, out: &mut Vec<Leaf<'s>>) {
        if let Some(field) = self.read_field(path) {
            if !matches!(field, Field::Missing) {
                out.push(Leaf::Field(field));
            }
            return;
        }
        if let Some(tree) = self.tree() {
            tree_leaves(tree, path, out);
        }
    }

    /// Whether `needle` (a key and its closing quote) may occur in the
    /// record: false only when it certainly does not.
    pub(super) fn may_hold(&self, needle: &[u8]) -> bool {
        self.escapes || memchr::memmem::find(self.raw, needle).is_some()
    }

    pub(super) fn tree(&self) -> Option<&Json> {
        self.tree
            .get_or_init(|| serde_json::from_slice(self.raw).ok())
            .as_ref()
    }

    /// A field the reader read, when it reads exactly as the tree would: a
    /// top-level string, null or absence. (A number or boolean keeps the
    /// text the legacy counts need, an object or list none: those go to
    /// the tree.) `userIdentity.*` only when `userIdentity` was an object
    /// the reader accepted and no key spells the dotted path itself.
    fn read_field(&self, path: &str) -> Option<&Field<'_>> {
        let e = self.event;
        let field = match path {
            "eventVersion" => &e.event_version,
            "eventID" => &e.event_id,
            "eventTime" => &e.event_time,
            "eventName" => &e.event_name,
            "eventSource" => &e.event_source,
            "awsRegion" => &e.aws_region,
            "sourceIPAddress" => &e.source_ip,
            "userAgent" => &e.user_agent,
            "eventType" => &e.event_type,
            "eventCategory" => &e.event_category,
            "recipientAccountId" => &e.recipient_account_id,
            "errorCode" => &e.error_code,
            "errorMessage" => &e.error_message,
            _ => {
                let key = path.strip_prefix("userIdentity.")?;
                let id = e.identity()?;
                if self.may_hold(b"userIdentity.") {
                    return None;
                }
                match key {
                    "type" => &id.kind,
                    "arn" => &id.arn,
                    "userName" => &id.user_name,
                    "principalId" => &id.principal_id,
                    "accountId" => &id.account_id,
                    "invokedBy" => &id.invoked_by,
                    _ => return None,
                }
            }
        };
        matches!(field, Field::Str(_) | Field::Null | Field::Missing).then_some(field)
    }
}

/// Whether a path is answered without the tree whenever the reader read
/// its field plainly: such tests are tried first.
pub(super) fn is_read_field(path: &str) -> bool {
    matches!(
        path,
        "eventVersion"
            | "eventID"
            | "eventTime"
            | "eventName"
            | "eventSource"
            | "awsRegion"
            | "sourceIPAddress"
            | "userAgent"
            | "eventType"
            | "eventCategory"
            | "recipientAccountId"
            | "errorCode"
            | "errorMessage"
            | "userIdentity.type"
            | "userIdentity.arn"
            | "userIdentity.userName"
            | "userIdentity.principalId"
            | "userIdentity.accountId"
            | "userIdentity.invokedBy"
    )
}

/// The values at a dotted path in a tree. At each object the rest of the
/// path is first tried as one key (a key may hold dots), then split at its
/// first dot; a list met on the way, or at the end, is searched element by
/// element.
pub(super) fn tree_leaves<'v>(value: &'v Json, path: &str, out: &mut Vec<Leaf<'v>>) {
    match value {
        Json::Array(items) => {
            for item in items {
                tree_leaves(item, path, out);
            }
        }
        _ if path.is_empty() => out.push(Leaf::Json(value)),
        Json::Object(map) => {
            if let Some(v) = map.get(path) {
                tree_leaves(v, "", out);
            }
            if let Some((head, rest)) = path.split_once('.')
                && let Some(v) = map.get(head)
            {
                tree_leaves(v, rest, out);
            }
        }
        _ => {}
    }
}

/// Every scalar in a tree, for keyword search.
pub(super) fn every_value<'v>(value: &'v Json, out: &mut Vec<Leaf<'v>>) {
    match value {
        Json::Array(items) => items.iter().for_each(|v| every_value(v, out)),
        Json::Object(map) => map.values().for_each(|v| every_value(v, out)),
        scalar => out.push(Leaf::Json(scalar)),
    }
}
