//! Real-time delivery of the component's alerts to SNS and/or EventBridge:
//! each alert at least once, and reported once.
//!
//! Each alert has a marker object named by its key, in three states:
//!
//! 1. `pending`: a delivery claims the alert by creating the marker with a
//!    conditional write (`If-None-Match: *`), so of two concurrent
//!    deliveries only one wins; the marker says when it was claimed.
//! 2. The winner publishes, then overwrites the marker with `sent`,
//!    conditional on the ETag of its claim (`If-Match`).
//! 3. A publish that fails (or takes longer than half the lease) overwrites
//!    the claim with `released`, and the invocation fails, so its retry
//!    sends the alert at once.
//!
//! A delivery that finds `sent` skips the alert. One that finds `released`,
//! or a `pending` claim older than the lease (its delivery died between
//! claim and publish: a timeout, an out-of-memory kill), takes the claim
//! over with a write conditional on that marker's ETag (so only one taker
//! wins) and publishes. One that finds a younger `pending` claim waits a
//! little for it to be settled, then fails, so the notification is retried
//! after the claim has either been sent or become old enough to take over:
//! an alert is never counted as sent before it was.
//!
//! Duplicates: only when a delivery dies after publishing and before marking
//! the alert sent (the taker publishes again), or when a publish that timed
//! out had in fact reached SNS.
//!
//! S3 answers a conditional write with 409 `ConditionalRequestConflict` when
//! a concurrent write got in the way; that decides nothing, so the write is
//! retried a few times with backoff.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bindings::Alert;
use crate::lambda::config;
use crate::storage::{self, Conditional, Precondition};

/// Where the markers live, in the output bucket.
pub const MARKER_PREFIX: &str = "findings-sent/";
/// EventBridge `source` and `detail-type` of published findings.
pub const EVENT_SOURCE: &str = "cloudtrail-analyzer";
pub const EVENT_DETAIL_TYPE: &str = "CloudTrail Analyzer Finding";

/// Tries of a conditional write that S3 answers with 409, and the first
/// pause between them (doubled each time): 0.1 + 0.2 + … + 1.6 s.
const CONFLICT_TRIES: u32 = 6;
const CONFLICT_BACKOFF: Duration = Duration::from_millis(100);
/// How long a delivery waits for a young claim of another to be settled.
const WAIT_FOR_CLAIM: Duration = Duration::from_secs(3);
const WAIT_STEP: Duration = Duration::from_millis(250);
/// Rounds of read-then-take-over for one alert before giving up (each round
/// means the marker changed under us: another delivery is active).
const MAX_ROUNDS: u32 = 32;

pub struct Publisher {
    pub s3: aws_sdk_s3::Client,
    pub marker_bucket: String,
    pub sns: Option<(aws_sdk_sns::Client, String)>,
    pub event_bus: Option<(aws_sdk_eventbridge::Client, String)>,
    pub options: DeliveryOptions,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Delivered {
    /// Published by this delivery (including `taken_over`).
    pub sent: u64,
    /// Found marked sent.
    pub already_sent: u64,
    /// Published after taking over a claim a dead (or failed) delivery left.
    pub taken_over: u64,
}

/// How delivery behaves (`CTA_ALERT_LEASE_SECS`, `CTA_FAULT`; see `config`).
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// How long a claim holds before another delivery may take it over.
    pub lease: Duration,
    /// Test only: exit right after claiming, as a crash would.
    pub exit_after_claim: bool,
}

impl DeliveryOptions {
    /// A claimant gives up publishing after this, well before its claim
    /// may be taken over.
    fn publish_deadline(&self) -> Duration {
        self.lease / 2
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum State {
    Pending,
    Sent,
    Released,
}

/// The marker's body.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    state: State,
    /// Milliseconds since the Unix epoch, when this state was written.
    at_ms: u64,
    /// The alert's key, for people reading the bucket.
    alert: String,
}

impl Marker {
    fn new(state: State, alert: &Alert) -> Marker {
        Marker {
            state,
            at_ms: now_ms(),
            alert: alert.key.clone(),
        }
    }

    fn body(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a marker serializes")
    }

    /// A marker written before markers had states (the plain alert key)
    /// was written just before publishing and deleted if that failed: it
    /// counts as sent.
    fn parse(bytes: &[u8]) -> Marker {
        serde_json::from_slice(bytes).unwrap_or_else(|_| Marker {
            state: State::Sent,
            at_ms: 0,
            alert: String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What became of one alert.
enum Outcome {
    Sent,
    TakenOver,
    AlreadySent,
    /// Claimed by another delivery less than the lease ago and not settled.
    ClaimedElsewhere,
}

impl Publisher {
    pub fn is_configured(&self) -> bool {
        self.sns.is_some() || self.event_bus.is_some()
    }

    pub fn marker_key(alert: &Alert) -> String {
        format!(
            "{MARKER_PREFIX}{}",
            hex::encode(Sha256::digest(alert.key.as_bytes()))
        )
    }

    /// Delivers every alert not yet sent. Fails (so the invocation is
    /// retried) when one could not be published, or is claimed by another
    /// delivery that has not settled it yet; the others are still delivered.
    pub async fn deliver(&self, alerts: &[Alert]) -> Result<Delivered> {
        let options = &self.options;
        let mut delivered = Delivered::default();
        if !self.is_configured() {
            return Ok(delivered);
        }
        let mut elsewhere = 0;
        for alert in alerts {
            match self.deliver_one(alert, options).await? {
                Outcome::Sent => delivered.sent += 1,
                Outcome::TakenOver => {
                    delivered.sent += 1;
                    delivered.taken_over += 1;
                }
                Outcome::AlreadySent => delivered.already_sent += 1,
                Outcome::ClaimedElsewhere => elsewhere += 1,
            }
        }
        if elsewhere > 0 {
            tracing::warn!(
                sent = delivered.sent,
                already_sent = delivered.already_sent,
                claimed_elsewhere = elsewhere,
                "findings claimed by another delivery and not yet sent"
            );
            bail!(
                "{elsewhere} finding(s) are claimed by another delivery that has not sent them yet; \
                 failing so this notification is retried (a claim older than {} s is taken over)",
                options.lease.as_secs()
            );
        }
        Ok(delivered)
    }

    async fn deliver_one(&self, alert: &Alert, options: &DeliveryOptions) -> Result<Outcome> {
        let marker = Self::marker_key(alert);
        let mut waited = Duration::ZERO;
        for _ in 0..MAX_ROUNDS {
            let pending = Marker::new(State::Pending, alert);
            if let Some(etag) = self
                .write_marker(&marker, &pending, Precondition::Absent)
                .await?
            {
                self.publish_claimed(alert, &marker, &etag, options).await?;
                return Ok(Outcome::Sent);
            }
            // The marker exists: see what it says.
            let Some((bytes, etag)) =
                storage::get_if_exists(&self.s3, &self.marker_bucket, &marker).await?
            else {
                continue; // gone meanwhile (expired): claim it afresh
            };
            let etag = etag.with_context(|| {
                format!("s3://{}/{marker}: S3 returned no ETag", self.marker_bucket)
            })?;
            let found = Marker::parse(&bytes);
            let age = Duration::from_millis(now_ms().saturating_sub(found.at_ms));
            match found.state {
                State::Sent => return Ok(Outcome::AlreadySent),
                State::Pending if age < options.lease => {
                    if waited >= WAIT_FOR_CLAIM {
                        return Ok(Outcome::ClaimedElsewhere);
                    }
                    tokio::time::sleep(WAIT_STEP).await;
                    waited += WAIT_STEP;
                    continue;
                }
                State::Pending | State::Released => {}
            }
            let takeover = Marker::new(State::Pending, alert);
            let Some(claim) = self
                .write_marker(&marker, &takeover, Precondition::Matches(&etag))
                .await?
            else {
                continue; // another delivery changed it first: look again
            };
            tracing::warn!(
                marker = %marker,
                previous = ?found.state,
                claimed_secs_ago = age.as_secs(),
                "taking over a finding's claim that was never sent"
            );
            self.publish_claimed(alert, &marker, &claim, options)
                .await?;
            return Ok(Outcome::TakenOver);
        }
        bail!(
            "s3://{}/{marker}: the marker kept changing under {MAX_ROUNDS} attempts to claim it",
            self.marker_bucket
        )
    }

    /// Publishes an alert this delivery has claimed (`claim` is the ETag of
    /// its claim), then marks it sent; on failure releases the claim.
    async fn publish_claimed(
        &self,
        alert: &Alert,
        marker: &str,
        claim: &str,
        options: &DeliveryOptions,
    ) -> Result<()> {
        if options.exit_after_claim {
            tracing::error!(
                marker,
                "CTA_FAULT={}: exiting as a crash would",
                config::FAULT_EXIT_AFTER_CLAIM
            );
            std::process::exit(70);
        }
        let deadline = options.publish_deadline();
        let published = match tokio::time::timeout(deadline, self.publish(alert)).await {
            Ok(result) => result,
            Err(_) => Err(anyhow!(
                "publishing took longer than {} ms: given up",
                deadline.as_millis()
            )),
        };
        if let Err(e) = published {
            // Release the claim, so the retry sends it without waiting for
            // the lease. If even that fails, the lease frees it later.
            let released = Marker::new(State::Released, alert);
            match self
                .write_marker(marker, &released, Precondition::Matches(claim))
                .await
            {
                Ok(_) => {}
                Err(release) => {
                    tracing::warn!(marker, error = %format!("{release:#}"), "cannot release the claim; it expires with the lease")
                }
            }
            return Err(e);
        }
        let sent = Marker::new(State::Sent, alert);
        match self
            .write_marker(marker, &sent, Precondition::Matches(claim))
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => tracing::warn!(
                marker,
                "the claim was taken over while publishing: this finding may have been sent twice"
            ),
            // Published: count it. A re-delivery of this notification after
            // the lease would send it again (at least once, not exactly once).
            Err(e) => {
                tracing::error!(marker, error = %format!("{e:#}"), "published, but cannot mark the finding sent")
            }
        }
        Ok(())
    }

    /// A conditional write of `marker`, retried while S3 answers 409: the
    /// new ETag, or `None` when the precondition does not hold.
    async fn write_marker(
        &self,
        key: &str,
        marker: &Marker,
        when: Precondition<'_>,
    ) -> Result<Option<String>> {
        let mut pause = CONFLICT_BACKOFF;
        for attempt in 1..=CONFLICT_TRIES {
            let answer = storage::put_conditional(
                &self.s3,
                &self.marker_bucket,
                key,
                marker.body(),
                "application/json",
                when,
            )
            .await?;
            match answer {
                Conditional::Written(etag) => return Ok(Some(etag)),
                Conditional::Refused => return Ok(None),
                Conditional::Conflict if attempt < CONFLICT_TRIES => {
                    tracing::info!(
                        marker = key,
                        attempt,
                        "409 ConditionalRequestConflict; retrying"
                    );
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Conditional::Conflict => {}
            }
        }
        bail!(
            "s3://{}/{key}: S3 answered 409 ConditionalRequestConflict {CONFLICT_TRIES} times",
            self.marker_bucket
        )
    }

    async fn publish(&self, alert: &Alert) -> Result<()> {
        if let Some((sns, topic)) = &self.sns {
            sns.publish()
                .topic_arn(topic)
                .subject(&alert.subject)
                .message(&alert.body)
                .send()
                .await
                .with_context(|| format!("cannot publish to {topic}"))?;
        }
        if let Some((events, bus)) = &self.event_bus {
            let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(EVENT_SOURCE)
                .detail_type(EVENT_DETAIL_TYPE)
                .detail(&alert.body)
                .build();
            let out = events
                .put_events()
                .entries(entry)
                .send()
                .await
                .with_context(|| format!("cannot put events on {bus}"))?;
            if out.failed_entry_count() > 0 {
                let why = out
                    .entries()
                    .first()
                    .and_then(|e| e.error_message())
                    .unwrap_or("unknown");
                anyhow::bail!("EventBridge refused the finding on {bus}: {why}");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_old_ones_count_as_sent() {
        let alert = Alert {
            key: "rule/event".into(),
            subject: String::new(),
            body: String::new(),
        };
        let m = Marker::parse(&Marker::new(State::Pending, &alert).body());
        assert_eq!((m.state, m.alert.as_str()), (State::Pending, "rule/event"));
        assert!(m.at_ms > 0);
        let legacy = Marker::parse(b"rule/event");
        assert_eq!(legacy.state, State::Sent);
        let options = DeliveryOptions {
            lease: Duration::from_secs(60),
            exit_after_claim: false,
        };
        assert_eq!(options.publish_deadline(), Duration::from_secs(30));
    }
}
