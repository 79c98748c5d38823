//! The host as AWS Lambda functions (`provided.al2023`). `main` builds the
//! expensive things once per cold start (settings, AWS clients, the engine,
//! the compiled component) and lends them to the runtime loop; `handle` is a
//! plain async function of the event, so tests call it directly too.
//!
//! Roles (`CTA_FUNCTION`):
//! - `consolidate`: on the schedule or by hand it plans (one job per
//!   partition with raw files, sent to the job queue, or run inline when no
//!   queue is configured); on job messages from the queue it consolidates.
//! - `analyze`: on object-created notifications it reports on consolidated
//!   logs and asks for the day's report, which it builds from the saved
//!   partial states on messages from the report queue; raw
//!   logs, as CloudTrail delivers them, are checked for findings only, which
//!   are published at once (SNS, EventBridge) when configured.

mod analyze_job;
mod component_slot;
pub mod config;
mod consolidate_job;
mod day_report;
pub mod events;
pub mod layout;
pub mod manifest;
mod metrics;
mod plan;
mod rule_files_slot;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

use self::component_slot::ComponentSlot;
use self::config::{LambdaConfig, Role};
use self::events::{Message, ObjectRef, Trigger};
use self::layout::Day;
use self::plan::Job;
use self::rule_files_slot::RuleFilesSlot;
use crate::alerts::{DeliveryOptions, Publisher};
use crate::runtime::{self, Analyzer};
use crate::storage;

/// Everything an invocation needs, made once per cold start.
pub struct Services {
    pub config: LambdaConfig,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub alerts: Publisher,
    component: ComponentSlot,
    rule_files: RuleFilesSlot,
}

impl Services {
    pub async fn new(config: LambdaConfig) -> Result<Services> {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let s3 = storage::new_client(None).await;
        let sqs = aws_sdk_sqs::Client::new(&shared);
        let alerts = Publisher {
            s3: s3.clone(),
            marker_bucket: config.output_bucket.clone().unwrap_or_default(),
            sns: config
                .sns_topic_arn
                .clone()
                .map(|topic| (aws_sdk_sns::Client::new(&shared), topic)),
            event_bus: config
                .event_bus_name
                .clone()
                .map(|bus| (aws_sdk_eventbridge::Client::new(&shared), bus)),
            options: DeliveryOptions {
                lease: config.alert_lease,
                exit_after_claim: config.fault.as_deref() == Some(config::FAULT_EXIT_AFTER_CLAIM),
            },
        };
        if let Some(n) = config
            .fault
            .as_deref()
            .and_then(|f| f.strip_prefix(config::FAULT_EXIT_AFTER_S3_WRITE))
        {
            storage::exit_after_writes(
                n.parse()
                    .context("CTA_FAULT=exit-after-s3-write:N needs a number")?,
            );
        }
        let engine = runtime::new_engine()?;
        let component = ComponentSlot::new(
            engine,
            config.component.clone(),
            config.component_pin.clone(),
            config.cache_dir.clone(),
            config.limits,
        )?;
        let rule_files = RuleFilesSlot::new(config.sigma.clone());
        Ok(Services {
            config,
            s3,
            sqs,
            alerts,
            component,
            rule_files,
        })
    }

    /// The rules configuration, read at every invocation so a change applies at once.
    async fn rules_config(&self) -> Result<String> {
        match &self.config.config {
            None => Ok(String::new()),
            Some(loc) => {
                let (bytes, _) = storage::get_bytes(&self.s3, &loc.bucket, &loc.key).await?;
                String::from_utf8(bytes).with_context(|| format!("{loc} is not UTF-8 text"))
            }
        }
    }
}

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time() // CloudWatch stamps every line itself.
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "the function cannot start");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<()> {
    let config = LambdaConfig::from_env()?;
    let services = Arc::new(Services::new(config).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let services = services.clone();
        async move {
            handle(&services, event.payload)
                .await
                .map_err(|e| format!("{e:#}"))
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Handles one event; the returned JSON is the invocation's result.
pub async fn handle(services: &Services, event: Value) -> Result<Value> {
    let trigger = events::classify(&event)?;
    let config = services.rules_config().await?;
    let analyzer = services.component.current(&services.s3, &config).await?;
    let analyzer = services.rule_files.apply(&services.s3, analyzer).await?;
    let role = services.config.role;
    match (role, trigger) {
        (Role::Consolidate, Trigger::Schedule) => {
            plan(services, &analyzer, &config, Default::default()).await
        }
        (Role::Consolidate, Trigger::Manual(request)) => {
            plan(services, &analyzer, &config, request).await
        }
        (_, Trigger::Messages(messages)) => {
            messages_batch(services, &analyzer, &config, messages).await
        }
        (Role::Analyze, Trigger::Objects(objects)) => {
            analyze_objects(services, &analyzer, &config, &objects).await
        }
        (role, trigger) => bail!("the {role:?} function does not handle {trigger:?}"),
    }
}

async fn plan(
    services: &Services,
    analyzer: &Analyzer,
    config: &str,
    request: events::ManualRequest,
) -> Result<Value> {
    let c = &services.config;
    let window = plan::window(Day::today(), c.window_days);
    // Raw files of the day before the window are planned by no later run:
    // alarm on them rather than let them sit unconsolidated.
    let past = window[0].minus(1);
    let stranded = plan::raw_files(&services.s3, &c.log_bucket, &c.log_prefix, past).await?;
    let past_window: u64 = stranded.iter().map(|(_, files)| files).sum();
    for (partition, files) in &stranded {
        tracing::warn!(partition = %partition.prefix(""), files, "raw files past the planning window: no plan will consolidate them (see the README)");
    }
    metrics::emit(metrics::RAW_FILES_PAST_WINDOW, past_window);
    let days = request.days(window)?;
    let mut partitions =
        plan::partitions(&services.s3, &c.log_bucket, &c.log_prefix, &days).await?;
    if !request.accounts.is_empty() {
        partitions.retain(|p| request.accounts.contains(&p.account));
    }
    tracing::info!(partitions = partitions.len(), days = days.len(), "planned");
    let jobs: Vec<Job> = partitions.into_iter().map(Job::new).collect();
    match &c.job_queue_url {
        Some(queue) => {
            plan::enqueue(&services.sqs, queue, &jobs).await?;
            Ok(json!({"planned": jobs.len(), "queued": jobs.len(),
                       "raw_files_past_window": past_window}))
        }
        None => {
            // No queue (a small deployment, a backfill by hand): run inline,
            // every step of every partition.
            let planned = jobs.len();
            let mut reports = Vec::new();
            for job in jobs {
                let mut step = Some(job);
                while let Some(job) = step {
                    let (report, next) = consolidate(services, analyzer, config, &job).await?;
                    reports.push(report);
                    step = next;
                }
            }
            Ok(json!({"planned": planned, "consolidated": reports,
                       "raw_files_past_window": past_window}))
        }
    }
}

/// One step of a job; returns its report and the job for the rest, if any.
async fn consolidate(
    services: &Services,
    analyzer: &Analyzer,
    config: &str,
    job: &Job,
) -> Result<(Value, Option<Job>)> {
    let report = consolidate_job::run(services, analyzer, job, config).await?;
    for problem in &report.problems {
        tracing::warn!(input = %problem.input, status = problem.status, reason = %problem.reason, "input not consolidated; left in place");
    }
    let unreadable = report
        .problems
        .iter()
        .filter(|p| p.status == "failed")
        .count();
    metrics::emit(metrics::RAW_FILES_UNREADABLE, unreadable as u64);
    let modified = report
        .problems
        .iter()
        .filter(|p| p.status == "modified")
        .count();
    if modified > 0 {
        tracing::error!(
            modified,
            "raw log files are not what their CloudTrail digests list: left in place, neither consolidated nor deleted"
        );
    }
    metrics::emit(metrics::RAW_FILES_MODIFIED, modified as u64);
    if report.conflicts > 0 {
        tracing::warn!(
            conflicts = report.conflicts,
            events = %report.conflicting.join(", "),
            "records share an eventID and eventTime with another record but differ in bytes (rewritten or forged?); every copy is kept"
        );
    }
    tracing::info!(
        account = %report.partition.account,
        region = %report.partition.region,
        day = %report.partition.day,
        raw_files = report.raw_files,
        records_in = report.records_in,
        duplicates = report.duplicates,
        records_out = report.records_out,
        parts = report.parts.len(),
        raw_files_deleted = report.raw_files_deleted,
        problems = report.problems.len(),
        more = report.next.is_some(),
        "consolidated"
    );
    let next = report.next.clone();
    Ok((serde_json::to_value(report)?, next))
}

/// A step from the queue: the rest of the partition goes back to the queue
/// before this message counts as done, so a crash in between repeats the
/// step (harmless) rather than losing the rest.
async fn consolidate_step(
    services: &Services,
    analyzer: &Analyzer,
    config: &str,
    job: &Job,
) -> Result<Value> {
    let (report, next) = consolidate(services, analyzer, config, job).await?;
    if let Some(next) = next {
        let queue = services
            .config
            .job_queue_url
            .as_deref()
            .context("a job has more steps but CTA_JOB_QUEUE_URL is not set")?;
        plan::enqueue(&services.sqs, queue, &[next]).await?;
    }
    Ok(report)
}

async fn analyze_objects(
    services: &Services,
    analyzer: &Analyzer,
    config: &str,
    objects: &[ObjectRef],
) -> Result<Value> {
    let mut results = Vec::new();
    for o in objects {
        let report = analyze_job::run(services, analyzer, o, config).await?;
        tracing::info!(object = %report.object, kind = report.kind, events = report.events, failed_inputs = report.failed_inputs, "analyzed");
        results.push(serde_json::to_value(report)?);
    }
    Ok(json!({"analyzed": results}))
}

/// SQS batches report the messages that failed, so only those are retried
/// (and after `maxReceiveCount` tries land in the dead-letter queue).
async fn messages_batch(
    services: &Services,
    analyzer: &Analyzer,
    config: &str,
    messages: Vec<(String, Message)>,
) -> Result<Value> {
    let mut failures = Vec::new();
    let mut results = Vec::new();
    for (id, message) in messages {
        let result = match (services.config.role, message) {
            (Role::Consolidate, Message::Job(job)) => {
                consolidate_step(services, analyzer, config, &job).await
            }
            (Role::Analyze, Message::Objects(objects)) => {
                analyze_objects(services, analyzer, config, &objects).await
            }
            (Role::Analyze, Message::DayReport(request)) => {
                day_report::run(services, analyzer, &request, config)
                    .await
                    .map(|written| json!({"day_report": request.day, "written": written}))
            }
            (_, Message::Nothing) => Ok(json!({"ignored": id})),
            (role, Message::Invalid(why)) => Err(anyhow::anyhow!(
                "the {role:?} function cannot use message {id}: {why}"
            )),
            (role, other) => Err(anyhow::anyhow!(
                "the {role:?} function does not handle {other:?}"
            )),
        };
        match result {
            Ok(v) => results.push(v),
            Err(e) => {
                tracing::error!(message = %id, error = %format!("{e:#}"), "message failed");
                failures.push(json!({"itemIdentifier": id}));
            }
        }
    }
    Ok(json!({"batchItemFailures": failures, "results": results}))
}
