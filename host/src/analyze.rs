//! Runs a component over many inputs on every core: inputs are spread over
//! workers, each with its own sandboxed instance and session, and their
//! partial states are merged into the first worker's session, which reports.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anyhow::Result;

use crate::bindings::{InputOutcome, InputStatus, Report};
use crate::inputs::{Input, Unreadable};
use crate::outputs::Destination;
use crate::read_ahead;
use crate::runtime::{Analyzer, Body, Handle, Instance};
use crate::storage::LazyS3;

/// Told about every input as it finishes (a progress bar, a log line).
pub type OnOutcome = Arc<dyn Fn(&InputOutcome) + Send + Sync>;

pub struct Job {
    pub inputs: Vec<Input>,
    pub unreadable: Vec<Unreadable>,
    /// The rules configuration, passed to the component as it is.
    pub config: String,
    pub workers: usize,
}

/// What a worker has fed its session, so it can rebuild the session after
/// the component traps (a trap poisons the whole instance).
enum Fed {
    Input(Input),
    Failure { name: String, reason: String },
}

pub async fn analyze(
    analyzer: &Analyzer,
    s3: Arc<LazyS3>,
    job: Job,
    on_outcome: OnOutcome,
    destination: &Destination,
) -> Result<(Report, Vec<String>)> {
    let workers = job.workers.clamp(1, job.inputs.len().max(1));
    let queue = Arc::new(Mutex::new(VecDeque::from(job.inputs)));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (analyzer, s3, queue, config, on_outcome) = (
            analyzer.clone(),
            s3.clone(),
            queue.clone(),
            job.config.clone(),
            on_outcome.clone(),
        );
        tasks.push(tokio::spawn(async move {
            worker(&analyzer, &s3, &queue, &config, &*on_outcome).await
        }));
    }
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await??);
    }
    // The first worker's session takes in the others' states and reports:
    // with one worker nothing is exported, copied or instantiated again.
    let mut sessions = sessions.into_iter();
    let (mut instance, session) = sessions.next().expect("at least one worker");
    for (mut other, handle) in sessions {
        let state = other.export_state(handle).await?;
        drop(other);
        instance.merge_state(session, &state).await?;
    }
    for u in &job.unreadable {
        instance.record_failure(session, &u.name, &u.reason).await?;
        on_outcome(&InputOutcome {
            name: u.name.clone(),
            status: InputStatus::Failed,
            events: 0,
            bytes: 0,
            detail: u.reason.clone(),
        });
    }
    // One artifact at a time: the host never holds the whole report.
    destination.receive(&mut instance, session, &s3).await
}

async fn fresh(analyzer: &Analyzer, config: &str) -> Result<(Instance, Handle)> {
    let mut instance = analyzer.instantiate().await?;
    let session = instance.open_session(config).await?;
    Ok((instance, session))
}

/// Feeds one input, read now (a replay); `Err` only when the component
/// itself failed.
async fn feed(
    instance: &mut Instance,
    session: Handle,
    s3: &Arc<LazyS3>,
    input: &Input,
) -> Result<InputOutcome> {
    let opened = input.open(s3).await.map(Body::Stream);
    feed_opened(instance, session, &input.name(), opened).await
}

async fn feed_opened(
    instance: &mut Instance,
    session: Handle,
    name: &str,
    opened: Result<Body>,
) -> Result<InputOutcome> {
    match opened {
        Ok(body) => instance.add_stream(session, name, body).await,
        Err(e) => {
            let reason = format!("{e:#}");
            instance.record_failure(session, name, &reason).await?;
            Ok(InputOutcome {
                name: name.to_owned(),
                status: InputStatus::Failed,
                events: 0,
                bytes: 0,
                detail: reason,
            })
        }
    }
}

/// The next input from the queue, its reading started.
fn next_input(queue: &Mutex<VecDeque<Input>>) -> Option<(Input, read_ahead::Fetched)> {
    let input = queue.lock().unwrap().pop_front()?;
    let fetched = read_ahead::start_as_is(input.clone());
    Some((input, fetched))
}

async fn worker(
    analyzer: &Analyzer,
    s3: &Arc<LazyS3>,
    queue: &Mutex<VecDeque<Input>>,
    config: &str,
    on_outcome: &(dyn Fn(&InputOutcome) + Send + Sync),
) -> Result<(Instance, Handle)> {
    let (mut instance, mut session) = fresh(analyzer, config).await?;
    let mut fed: Vec<Fed> = Vec::new();
    // The next input is read while the component works on this one.
    let mut ahead = next_input(queue);
    while let Some((input, fetched)) = ahead {
        ahead = next_input(queue);
        let opened = fetched.body(s3).await.map(|(body, _metadata)| body);
        match feed_opened(&mut instance, session, &input.name(), opened).await {
            Ok(outcome) => {
                on_outcome(&outcome);
                fed.push(Fed::Input(input));
            }
            Err(trap) => {
                let name = input.name();
                let reason = format!("{trap:#}");
                tracing::info!(input = %name, error = %reason, "the component failed on this input; restarting it");
                (instance, session) = fresh(analyzer, config).await?;
                replay(&mut instance, session, s3, &fed).await?;
                instance.record_failure(session, &name, &reason).await?;
                on_outcome(&InputOutcome {
                    name: name.clone(),
                    status: InputStatus::Failed,
                    events: 0,
                    bytes: 0,
                    detail: reason.clone(),
                });
                fed.push(Fed::Failure { name, reason });
            }
        }
    }
    Ok((instance, session))
}

/// Feeds a new session what the poisoned one had, so no count is lost.
async fn replay(
    instance: &mut Instance,
    session: Handle,
    s3: &Arc<LazyS3>,
    fed: &[Fed],
) -> Result<()> {
    for item in fed {
        match item {
            Fed::Input(input) => {
                feed(instance, session, s3, input).await?;
            }
            Fed::Failure { name, reason } => instance.record_failure(session, name, reason).await?,
        }
    }
    Ok(())
}
