//! The partial state of an analysis: every count, mergeable.
//!
//! A `Stats` is what one session has seen. Two of them merge into the state
//! of a session that had seen both inputs, which is what lets a host split
//! work across threads or Lambda invocations and still get one exact report.

use serde::{Deserialize, Serialize};

use crate::counter::Counter;
use crate::event::Event;

/// Bumped whenever the serialized form or the meaning of a count changes
/// (3: the old analyzer's four truthy-only keys no longer count `null`).
pub const STATE_VERSION: u32 = 3;

macro_rules! dimensions {
    ($($(#[doc = $doc:literal])* $field:ident,)*) => {
        /// One counter per dimension; the field name is the dimension's name
        /// in `insights.json` and in `dimensions.csv`.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Dimensions {
            $($(#[doc = $doc])* #[serde(default)] pub $field: Counter,)*
        }

        impl Dimensions {
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Counter)> {
                [$((stringify!($field), &self.$field),)*].into_iter()
            }

            fn merge(&mut self, other: Dimensions, max_keys: usize) {
                $(self.$field.merge(other.$field, max_keys);)*
            }

            /// Cuts every dimension back to `max_keys`, before a report.
            pub fn truncate(&mut self, max_keys: usize) {
                $(self.$field.truncate(max_keys);)*
            }
        }
    };
}

dimensions! {
    /// `eventName` (legacy).
    event_counts,
    /// `resources[].type`, `null` when a resource has none (legacy).
    resource_counts,
    /// `userIdentity.type`, `Unknown` when missing (legacy).
    account_counts,
    /// `awsRegion`, only when truthy (legacy).
    region_counts,
    /// `sourceIPAddress`, only when truthy (legacy).
    source_ip_counts,
    /// `eventType`, only when truthy (legacy).
    event_type_counts,
    /// `eventCategory`, only when truthy (legacy).
    event_category_counts,
    /// `eventSource`: the AWS service called.
    service_counts,
    /// `userIdentity.arn`, or the invoking service, or `type:principalId`.
    principal_counts,
    /// `userIdentity.userName`, or the role name of a role session.
    user_name_counts,
    /// `recipientAccountId`: the account whose trail recorded the event.
    recipient_account_counts,
    /// `errorCode` of failed calls.
    error_code_counts,
    /// Access-denied calls (`AccessDenied*`, `*UnauthorizedOperation`) by principal.
    access_denied_by_principal,
    /// Access-denied calls by event name.
    access_denied_by_event,
    /// `read-only`, `mutating` or `unknown`, from `readOnly`.
    read_only_counts,
    /// Console sign-ins by result and MFA use.
    console_login_counts,
    /// Events by name whose caller was the root user.
    root_activity_counts,
    /// `userAgent`.
    user_agent_counts,
    /// Events per hour, keyed `YYYY-MM-DDTHH` (UTC).
    hourly_counts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Analyzed,
    Skipped,
    Failed,
}

/// What happened to one input, kept in the state so merged reports list every input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    pub name: String,
    pub status: Status,
    pub events: u64,
    pub bytes: u64,
    /// The detected format, or why the input was skipped or failed.
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub total_events: u64,
    pub first_event_time: Option<String>,
    pub last_event_time: Option<String>,
    pub dims: Dimensions,
    pub inputs: Vec<InputRecord>,
}

impl Stats {
    pub fn add_event(&mut self, e: &Event, max_keys: usize) {
        let d = &mut self.dims;
        self.total_events += 1;
        d.event_counts.add(e.event_name.legacy_key(), max_keys);
        if let Some(resources) = &e.resources.0 {
            for resource in resources {
                let key = resource.0.as_ref().map_or("null", |r| r.kind.legacy_key());
                d.resource_counts.add(key, max_keys);
            }
        }
        d.account_counts.add(e.identity_type_key(), max_keys);
        // The old analyzer counted these four only when truthy.
        for (counter, field) in [
            (&mut d.region_counts, &e.aws_region),
            (&mut d.source_ip_counts, &e.source_ip),
            (&mut d.event_type_counts, &e.event_type),
            (&mut d.event_category_counts, &e.event_category),
        ] {
            if let Some(key) = field.truthy_key() {
                counter.add(key, max_keys);
            }
        }

        if let Some(service) = e.event_source.as_str() {
            d.service_counts.add(service, max_keys);
        }
        let principal = e.principal();
        if let Some(p) = &principal {
            d.principal_counts.add(p, max_keys);
        }
        if let Some(user) = e.user_name() {
            d.user_name_counts.add(user, max_keys);
        }
        if let Some(account) = e.recipient_account_id.as_str() {
            d.recipient_account_counts.add(account, max_keys);
        }
        if let Some(code) = e.error_code.as_str() {
            d.error_code_counts.add(code, max_keys);
        }
        if e.is_access_denied() {
            let who = principal.as_deref().unwrap_or("unknown");
            d.access_denied_by_principal.add(who, max_keys);
            d.access_denied_by_event
                .add(e.event_name.legacy_key(), max_keys);
        }
        let read_only = match e.read_only.as_str() {
            Some("true") => "read-only",
            Some("false") => "mutating",
            _ => "unknown",
        };
        d.read_only_counts.add(read_only, max_keys);
        if let Some(result) = e.console_login_result() {
            let mfa = Event::nested_str(e.additional_event_data, "MFAUsed");
            let key = match (result.as_str(), mfa.as_deref() == Some("Yes")) {
                ("Success", true) => "Success with MFA",
                ("Success", false) => "Success without MFA",
                (_, true) => "Failure with MFA",
                (_, false) => "Failure without MFA",
            };
            d.console_login_counts.add(key, max_keys);
        }
        if e.identity_type_key() == "Root" {
            d.root_activity_counts
                .add(e.event_name.legacy_key(), max_keys);
        }
        if let Some(agent) = e.user_agent.as_str() {
            d.user_agent_counts.add(agent, max_keys);
        }
        if let Some(time) = e.event_time.as_str() {
            if let Some(hour) = time.get(..13) {
                d.hourly_counts.add(hour, max_keys);
            }
            if self.first_event_time.as_deref().is_none_or(|t| time < t) {
                set_reusing(&mut self.first_event_time, time);
            }
            if self.last_event_time.as_deref().is_none_or(|t| time > t) {
                set_reusing(&mut self.last_event_time, time);
            }
        }
    }

    pub fn merge(&mut self, other: Stats, max_keys: usize) {
        self.total_events = self.total_events.saturating_add(other.total_events);
        self.first_event_time =
            min_option(self.first_event_time.take(), other.first_event_time, true);
        self.last_event_time =
            min_option(self.last_event_time.take(), other.last_event_time, false);
        self.dims.merge(other.dims, max_keys);
        self.inputs.extend(other.inputs);
    }

    pub fn count(&self, status: Status) -> u64 {
        self.inputs.iter().filter(|i| i.status == status).count() as u64
    }
}

/// In a time-ordered log the last time moves on every event: reuse its buffer.
fn set_reusing(bound: &mut Option<String>, time: &str) {
    match bound {
        Some(t) => {
            t.clear();
            t.push_str(time);
        }
        None => *bound = Some(time.to_owned()),
    }
}

fn min_option(a: Option<String>, b: Option<String>, smaller: bool) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if (a <= b) == smaller { a } else { b }),
        (a, b) => a.or(b),
    }
}

impl Event<'_> {
    /// `Success` or `Failure` for a console sign-in, `None` for other events.
    pub fn console_login_result(&self) -> Option<String> {
        if self.event_name.as_str() != Some("ConsoleLogin") {
            return None;
        }
        Some(
            Event::nested_str(self.response_elements, "ConsoleLogin").unwrap_or_else(|| {
                if self.error_code.is_present() {
                    "Failure"
                } else {
                    "Success"
                }
                .to_owned()
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(records: &[&str]) -> Stats {
        let mut s = Stats::default();
        for r in records {
            s.add_event(&Event::parse(r.as_bytes()).unwrap(), 100);
        }
        s
    }

    #[test]
    fn counts_extended_dimensions() {
        let s = stats_of(&[
            r#"{"eventName":"ConsoleLogin","eventTime":"2026-11-01T05:06:07Z","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"readOnly":false}"#,
            r#"{"eventName":"GetObject","eventTime":"2026-11-01T04:00:00Z","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","userName":"bob"},"readOnly":true}"#,
        ]);
        let d = &s.dims;
        assert_eq!(d.console_login_counts.get("Success without MFA"), 1);
        assert_eq!(d.root_activity_counts.get("ConsoleLogin"), 1);
        assert_eq!(
            d.access_denied_by_principal.get("arn:aws:iam::1:user/bob"),
            1
        );
        assert_eq!(d.access_denied_by_event.get("GetObject"), 1);
        assert_eq!(d.read_only_counts.get("read-only"), 1);
        assert_eq!(d.read_only_counts.get("mutating"), 1);
        assert_eq!(d.hourly_counts.get("2026-11-01T05"), 1);
        assert_eq!(d.user_name_counts.get("bob"), 1);
        assert_eq!(s.first_event_time.as_deref(), Some("2026-11-01T04:00:00Z"));
        assert_eq!(s.last_event_time.as_deref(), Some("2026-11-01T05:06:07Z"));
    }

    #[test]
    fn merge_equals_counting_together() {
        let a = [r#"{"eventName":"A","eventTime":"2026-01-02T00:00:00Z"}"#];
        let b = [r#"{"eventName":"B","eventTime":"2026-01-01T00:00:00Z","resources":[{}]}"#];
        let mut merged = stats_of(&a);
        merged.merge(stats_of(&b), 100);
        let together = stats_of(&[a[0], b[0]]);
        assert_eq!(merged, together);
    }
}
