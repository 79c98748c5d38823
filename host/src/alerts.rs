//! Real-time delivery of the component's alerts to SNS and/or EventBridge,
//! each alert once: before publishing, the host claims a marker object named
//! by the alert's key with a conditional write, so a re-delivered S3
//! notification (or a concurrent duplicate) finds the claim and sends nothing.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::bindings::Alert;
use crate::storage;

/// Where the send-once markers live, in the output bucket.
pub const MARKER_PREFIX: &str = "findings-sent/";
/// EventBridge `source` and `detail-type` of published findings.
pub const EVENT_SOURCE: &str = "cloudtrail-analyzer";
pub const EVENT_DETAIL_TYPE: &str = "CloudTrail Analyzer Finding";

pub struct Publisher {
    pub s3: aws_sdk_s3::Client,
    pub marker_bucket: String,
    pub sns: Option<(aws_sdk_sns::Client, String)>,
    pub event_bus: Option<(aws_sdk_eventbridge::Client, String)>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Delivered {
    pub sent: u64,
    pub already_sent: u64,
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

    pub async fn deliver(&self, alerts: &[Alert]) -> Result<Delivered> {
        let mut delivered = Delivered::default();
        if !self.is_configured() {
            return Ok(delivered);
        }
        for alert in alerts {
            let marker = Self::marker_key(alert);
            let claimed = storage::put_if_absent(
                &self.s3,
                &self.marker_bucket,
                &marker,
                alert.key.clone().into_bytes(),
            )
            .await?;
            if !claimed {
                delivered.already_sent += 1;
                continue;
            }
            if let Err(e) = self.publish(alert).await {
                // Release the claim so the retry of this invocation can send it.
                storage::delete_one(&self.s3, &self.marker_bucket, &marker).await?;
                return Err(e);
            }
            delivered.sent += 1;
        }
        Ok(delivered)
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
