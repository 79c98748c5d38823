//! One record as Sigma rules read it. Most tests name a field the event
//! reader has already read (`eventName`, `eventSource`, `userIdentity.arn`):
//! those are answered from it. The record is parsed into a tree only when
//! a test names another field, and not even then when the field's key does
//! not occur in the record's bytes at all.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

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
    /// Whether a key may spell `userIdentity.` itself (then the reader's
    /// identity fields are not the tree's): looked for once.
    dotted_identity: OnceCell<bool>,
    /// Needles looked for so far and whether each was found: many rules
    /// test the same key, and each looks before it reads.
    needles: RefCell<Vec<(Box<[u8]>, bool)>>,
}

impl<'r> Record<'r> {
    pub(super) fn new(event: &'r Event<'r>, raw: &'r [u8]) -> Record<'r> {
        Record {
            event,
            raw,
            escapes: memchr::memmem::find(raw, b"\\u").is_some(),
            tree: OnceCell::new(),
            dotted_identity: OnceCell::new(),
            needles: RefCell::new(Vec::new()),
        }
    }

    /// The values at a dotted path (see `detection::leaves`).
    pub(super) fn leaves<'s>(&'s self, path: &FieldPath, out: &mut Vec<Leaf<'s>>) {
        match self.read_leaf(path) {
            Some(leaf) => out.extend(leaf),
            None => self.tree_leaves(path, out),
        }
    }

    /// The value at `path` when the reader answers it (None inside when
    /// the field is missing); None when only the tree can.
    pub(super) fn read_leaf(&self, path: &FieldPath) -> Option<Option<Leaf<'_>>> {
        let field = self.read_field(path.read?)?;
        Some((!matches!(field, Field::Missing)).then_some(Leaf::Field(field)))
    }

    /// The values at `path` in the tree.
    pub(super) fn tree_leaves<'s>(&'s self, path: &FieldPath, out: &mut Vec<Leaf<'s>>) {
        if let Some(tree) = self.tree() {
            tree_leaves(tree, &path.text, out);
        }
    }

    /// Whether `needle` (a key and its closing quote) may occur in the
    /// record: false only when it certainly does not.
    pub(super) fn may_hold(&self, needle: &[u8]) -> bool {
        // Once the tree is parsed, looking there is cheaper than the bytes.
        if self.escapes || self.tree.get().is_some() {
            return true;
        }
        let mut seen = self.needles.borrow_mut();
        if let Some((_, found)) = seen.iter().find(|(n, _)| **n == *needle) {
            return *found;
        }
        let found = memchr::memmem::find(self.raw, needle).is_some();
        seen.push((needle.into(), found));
        found
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
    fn read_field(&self, read: ReadField) -> Option<&Field<'_>> {
        use ReadField as R;
        let e = self.event;
        let field = match read {
            R::EventVersion => &e.event_version,
            R::EventId => &e.event_id,
            R::EventTime => &e.event_time,
            R::EventName => &e.event_name,
            R::EventSource => &e.event_source,
            R::AwsRegion => &e.aws_region,
            R::SourceIp => &e.source_ip,
            R::UserAgent => &e.user_agent,
            R::EventType => &e.event_type,
            R::EventCategory => &e.event_category,
            R::RecipientAccountId => &e.recipient_account_id,
            R::ErrorCode => &e.error_code,
            R::ErrorMessage => &e.error_message,
            identity => {
                let id = e.identity()?;
                if *self
                    .dotted_identity
                    .get_or_init(|| self.may_hold(b"userIdentity."))
                {
                    return None;
                }
                match identity {
                    R::IdentityType => &id.kind,
                    R::IdentityArn => &id.arn,
                    R::IdentityUserName => &id.user_name,
                    R::IdentityPrincipalId => &id.principal_id,
                    R::IdentityAccountId => &id.account_id,
                    _ => &id.invoked_by,
                }
            }
        };
        matches!(field, Field::Str(_) | Field::Null | Field::Missing).then_some(field)
    }
}

/// A dotted path into a record, with the reader's field that answers it
/// (when there is one) found once, when the rule loads.
#[derive(Debug)]
pub(super) struct FieldPath {
    pub(super) text: String,
    read: Option<ReadField>,
}

impl FieldPath {
    pub(super) fn new(text: &str) -> FieldPath {
        FieldPath {
            text: text.to_owned(),
            read: ReadField::of(text),
        }
    }

    /// Whether the path is answered without the tree whenever the reader
    /// read its field plainly: such tests are tried first.
    pub(super) fn is_read(&self) -> bool {
        self.read.is_some()
    }
}

/// The fields the event reader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadField {
    EventVersion,
    EventId,
    EventTime,
    EventName,
    EventSource,
    AwsRegion,
    SourceIp,
    UserAgent,
    EventType,
    EventCategory,
    RecipientAccountId,
    ErrorCode,
    ErrorMessage,
    IdentityType,
    IdentityArn,
    IdentityUserName,
    IdentityPrincipalId,
    IdentityAccountId,
    IdentityInvokedBy,
}

impl ReadField {
    fn of(path: &str) -> Option<ReadField> {
        use ReadField as R;
        Some(match path {
            "eventVersion" => R::EventVersion,
            "eventID" => R::EventId,
            "eventTime" => R::EventTime,
            "eventName" => R::EventName,
            "eventSource" => R::EventSource,
            "awsRegion" => R::AwsRegion,
            "sourceIPAddress" => R::SourceIp,
            "userAgent" => R::UserAgent,
            "eventType" => R::EventType,
            "eventCategory" => R::EventCategory,
            "recipientAccountId" => R::RecipientAccountId,
            "errorCode" => R::ErrorCode,
            "errorMessage" => R::ErrorMessage,
            "userIdentity.type" => R::IdentityType,
            "userIdentity.arn" => R::IdentityArn,
            "userIdentity.userName" => R::IdentityUserName,
            "userIdentity.principalId" => R::IdentityPrincipalId,
            "userIdentity.accountId" => R::IdentityAccountId,
            "userIdentity.invokedBy" => R::IdentityInvokedBy,
            _ => return None,
        })
    }
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
