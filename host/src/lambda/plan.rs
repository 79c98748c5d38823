//! The scheduled run: finds the partitions (account, region, day) that have
//! raw log files and sends one consolidation job per partition to the job
//! queue. It walks the key layout folder by folder (accounts, then regions,
//! then the days of the window) and never scans the bucket.

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::layout::{Day, Partition};
use crate::storage;

/// One consolidation job: a partition and, for the later steps of a
/// partition too large for one invocation, the last raw key already done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    #[serde(flatten)]
    pub partition: Partition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl Job {
    pub fn new(partition: Partition) -> Job {
        Job {
            partition,
            after: None,
        }
    }
}

/// The account folders under `AWSLogs/`, organization trails included.
async fn account_folders(
    s3: &Client,
    bucket: &str,
    log_prefix: &str,
) -> Result<Vec<(Option<String>, String)>> {
    let root = format!("{log_prefix}AWSLogs/");
    let mut accounts = Vec::new();
    for folder in storage::list_folders(s3, bucket, &root).await? {
        let name = folder[root.len()..].trim_end_matches('/').to_owned();
        if name.starts_with("o-") {
            for inner in storage::list_folders(s3, bucket, &folder).await? {
                let account = inner[folder.len()..].trim_end_matches('/').to_owned();
                accounts.push((Some(name.clone()), account));
            }
        } else {
            accounts.push((None, name));
        }
    }
    Ok(accounts)
}

/// Every partition of `days` with at least one raw file.
pub async fn partitions(
    s3: &Client,
    bucket: &str,
    log_prefix: &str,
    days: &[Day],
) -> Result<Vec<Partition>> {
    let mut found = Vec::new();
    for (org, account) in account_folders(s3, bucket, log_prefix).await? {
        let probe = Partition {
            org: org.clone(),
            account: account.clone(),
            region: String::new(),
            day: days[0],
        };
        // `…/ACCOUNT/CloudTrail/` is the raw prefix with region and day cut off.
        let trail_root = probe.raw_prefix(log_prefix);
        let trail_root = trail_root
            .split("/CloudTrail/")
            .next()
            .unwrap_or_default()
            .to_owned()
            + "/CloudTrail/";
        for region_folder in storage::list_folders(s3, bucket, &trail_root).await? {
            let region = region_folder[trail_root.len()..]
                .trim_end_matches('/')
                .to_owned();
            for &day in days {
                let partition = Partition {
                    org: org.clone(),
                    account: account.clone(),
                    region: region.clone(),
                    day,
                };
                if storage::any_object(s3, bucket, &partition.raw_prefix(log_prefix)).await? {
                    found.push(partition);
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The partitions of `day` that hold raw files, with how many each holds.
pub async fn raw_files(
    s3: &Client,
    bucket: &str,
    log_prefix: &str,
    day: Day,
) -> Result<Vec<(Partition, u64)>> {
    let mut out = Vec::new();
    for partition in partitions(s3, bucket, log_prefix, &[day]).await? {
        let files = storage::list(s3, bucket, &partition.raw_prefix(log_prefix)).await?;
        out.push((partition, files.len() as u64));
    }
    Ok(out)
}

/// The days of a window ending today: `window` days, oldest first.
pub fn window(today: Day, window: u32) -> Vec<Day> {
    (0..i64::from(window))
        .rev()
        .map(|back| today.minus(back))
        .collect()
}

/// Sends the jobs, ten per request (the SQS maximum).
///
/// On a FIFO queue (the deployed one) each partition is its own message
/// group, so at most one job per partition runs at a time: two jobs writing
/// the same consolidated log at once could each delete raw files the
/// other's parts do not hold. The deduplication id drops a second planning
/// of the same step within SQS's five-minute window.
pub async fn enqueue(sqs: &aws_sdk_sqs::Client, queue_url: &str, jobs: &[Job]) -> Result<()> {
    let fifo = queue_url.ends_with(".fifo");
    for (batch_number, batch) in jobs.chunks(10).enumerate() {
        let entries = batch
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let body = serde_json::to_string(job).expect("a job serializes");
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(format!("job-{batch_number}-{i}"))
                    .message_body(&body);
                if fifo {
                    entry = entry
                        .message_group_id(job.partition.prefix(""))
                        .message_deduplication_id(hex::encode(Sha256::digest(&body)));
                }
                entry.build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = sqs
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .with_context(|| format!("cannot send jobs to {queue_url}"))?;
        if let Some(failed) = out.failed().first() {
            anyhow::bail!(
                "the job queue refused a job: {} {}",
                failed.code(),
                failed.message().unwrap_or("")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_read_plain_partitions_and_steps() {
        let plain = r#"{"account":"111122223333","region":"us-east-1","day":{"year":2026,"month":3,"day":1}}"#;
        let job: Job = serde_json::from_str(plain).unwrap();
        assert_eq!(job.after, None);
        let step = Job {
            after: Some("AWSLogs/x.json.gz".into()),
            ..job.clone()
        };
        let text = serde_json::to_string(&step).unwrap();
        assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), step);
        assert_eq!(serde_json::to_string(&job).unwrap(), plain);
    }

    #[test]
    fn window_covers_yesterday_and_today() {
        let today = Day::parse("2026-03-01").unwrap();
        let days: Vec<String> = window(today, 2).iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-02-28", "2026-03-01"]);
    }
}
