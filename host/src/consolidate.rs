//! Consolidation on the host side: streams inputs into the component's
//! consolidator, lends it a scratch file, and spools the parts it returns,
//! so neither side holds the whole day.
//!
//! The host believes nothing the component says about its output without a
//! check of its own: parts are bounded in number and bytes (twice what the
//! host handed over), each must be a complete gzip stream, the counts the
//! component reports must agree with each other and with its parts, and the
//! host's own ledger (`crate::ledger`: every record it handed over, framed
//! and hashed by the host) must find every input record in the parts and no
//! record from nowhere, before anything is written to its destination.

use std::collections::HashMap;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::task::{Context as TaskContext, Poll};

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::oneshot;

use crate::bindings::{Consolidation, InputOutcome, InputStatus};
use crate::digest_gate::{Admission, Gate};
use crate::inputs::{Input, Unreadable};
use crate::ledger::{Framed, Ledger, Tally};
use crate::record_layout::RecordLayout;
use crate::runtime::limits::MAX_PARTS;
use crate::runtime::{Analyzer, Handle, Instance, Scratch};
use crate::spool::Spool;
use crate::storage::{self, LazyS3, Reader, S3Location};

/// One consolidation in its own instance, with its scratch file.
pub struct Consolidating {
    instance: Instance,
    handle: Handle,
    scratch: Scratch,
    /// Bytes the host handed over, counted as they were read.
    bytes_in: Arc<AtomicU64>,
    /// Records the component said it read, over the inputs it analyzed.
    events_in: u64,
    /// The host's own account of the records it handed over.
    ledger: Ledger,
    /// Frames each input for the ledger while the component reads it.
    framing: FramingThread,
    /// Each input's layout, by name, when the host framed it and
    /// `keep_layouts` asked for them.
    layouts: HashMap<String, RecordLayout>,
    keep_layouts: bool,
}

/// A consolidation spooled and checked, ready to be written.
pub struct Finished {
    pub result: Consolidation,
    pub spool: Spool,
    /// Which inputs the host accounted for record by record: only those
    /// may be deleted on the strength of this consolidation.
    pub ledger: Ledger,
    /// How each input the host framed is made of its records, by name:
    /// what lets a consolidated log prove its raw files later.
    pub layouts: HashMap<String, RecordLayout>,
}

impl Consolidating {
    pub async fn start(analyzer: &Analyzer, config: &str) -> Result<Consolidating> {
        let scratch = Scratch::new(analyzer.limits().scratch_bytes)?;
        let mut instance = analyzer.instantiate().await?;
        let handle = instance.open_consolidator(config, &scratch).await?;
        Ok(Consolidating {
            instance,
            handle,
            scratch,
            bytes_in: Arc::default(),
            events_in: 0,
            ledger: Ledger::default(),
            framing: FramingThread::start(),
            layouts: HashMap::new(),
            keep_layouts: false,
        })
    }

    /// Keeps each input's layout (`Finished::layouts`): only a job whose
    /// inputs a digest vouched for needs them, to prove them later.
    pub fn keep_layouts(&mut self) {
        self.keep_layouts = true;
    }

    pub async fn add(
        &mut self,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<InputOutcome> {
        let reader = Counting {
            inner: Box::pin(reader),
            count: self.bytes_in.clone(),
            input: self.framing.input,
            framing: self.framing.sender.clone(),
        };
        let outcome = self
            .instance
            .consolidate_stream(self.handle, name, reader)
            .await?;
        let framed = self.framing.finish().await;
        if outcome.status == InputStatus::Analyzed {
            self.events_in += outcome.events;
            let records = framed.map(|mut framed| {
                if self.keep_layouts
                    && let Some(layout) = framed.layout()
                {
                    self.layouts.insert(name.to_owned(), layout);
                }
                framed.records
            });
            self.ledger.input(name, records, outcome.events);
        }
        Ok(outcome)
    }

    /// An input that could not be read: the component lists it as failed.
    pub async fn add_failure(&mut self, name: &str, reason: &str) -> Result<()> {
        self.instance
            .consolidate_failure(self.handle, name, reason)
            .await
    }

    /// Merges what was read and spools every part, checked: the result is
    /// only returned when the parts and the counts add up.
    ///
    /// The writing (merge, every part, the counts) is the one loop the
    /// component drives, so it gets one time budget in total, the per-call
    /// limit (`--time-limit-secs`), however many parts come.
    pub async fn finish(mut self) -> Result<Finished> {
        let h = self.handle;
        let budget = self.instance.limits().time;
        let started = std::time::Instant::now();
        let over_budget = |started: std::time::Instant| {
            (started.elapsed() > budget).then(|| {
                anyhow::anyhow!(
                    "the component's consolidation took more than {} s to write its output, \
                     its time limit (--time-limit-secs) for all parts together; nothing written",
                    budget.as_secs()
                )
            })
        };
        let runs = self.instance.consolidation_runs(h).await?;
        self.instance.merge_runs(h, &self.scratch, &runs).await?;
        // A consolidation rewrites what it read; gzip of the same records
        // cannot reasonably take twice the room.
        let bytes_in = self.bytes_in.load(Ordering::Relaxed);
        let mut spool = Spool::new(bytes_in.saturating_mul(2).max(1 << 20))?;
        while let Some(part) = self
            .instance
            .next_part(h)
            .await
            .context("the consolidation is refused; nothing written")?
        {
            ensure!(
                spool.parts().len() < MAX_PARTS,
                "the component returned more than {MAX_PARTS} parts; nothing written"
            );
            let name = part.artifact.name.clone();
            let records = spool.push(part)?;
            self.ledger.output(&name, records)?;
            if let Some(e) = over_budget(started) {
                return Err(e);
            }
        }
        let result = self.instance.finish_consolidation(h).await?;
        check_counts(&result, &spool, self.events_in)?;
        self.ledger.check()?;
        tracing::info!(
            runs = runs.len(),
            scratch_bytes = self.scratch.written(),
            parts = result.parts,
            "consolidation spooled and checked"
        );
        Ok(Finished {
            result,
            spool,
            ledger: self.ledger,
            layouts: self.layouts,
        })
    }
}

/// The counts a component reports must agree with each other, with the
/// parts it returned, and with what it said per input.
fn check_counts(result: &Consolidation, spool: &Spool, events_in: u64) -> Result<()> {
    let mut problems = Vec::new();
    let parts = spool.parts().len() as u64;
    if result.parts != parts {
        problems.push(format!(
            "it reports {} part(s) but returned {parts}",
            result.parts
        ));
    }
    let in_parts: u64 = spool.parts().iter().map(|p| p.records).sum();
    if result.records_out != in_parts {
        problems.push(format!(
            "it reports {} records out but its parts hold {in_parts}",
            result.records_out
        ));
    }
    if result.records_in.checked_sub(result.duplicates) != Some(result.records_out) {
        problems.push(format!(
            "{} records in less {} duplicates is not {} records out",
            result.records_in, result.duplicates, result.records_out
        ));
    }
    if result.records_in != events_in {
        problems.push(format!(
            "it reports {} records in but counted {events_in} over its inputs",
            result.records_in
        ));
    }
    if !problems.is_empty() {
        bail!(
            "the component's consolidation does not add up ({}); nothing written",
            problems.join("; ")
        );
    }
    Ok(())
}

/// Counts the bytes read through it, and hands them to the framing thread.
struct Counting {
    inner: Pin<Box<dyn AsyncRead + Send>>,
    count: Arc<AtomicU64>,
    /// Which input this is, for the framing thread.
    input: u64,
    framing: SyncSender<Framing>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.inner.as_mut().poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if !read.is_empty() {
            self.count.fetch_add(read.len() as u64, Ordering::Relaxed);
            // Blocks only while the thread is `FRAMING_QUEUE` chunks behind.
            let _ = self.framing.send(Framing::Bytes(self.input, read.to_vec()));
        }
        polled
    }
}

/// What the framing thread is told, by input, in the order of reading.
enum Framing {
    Bytes(u64, Vec<u8>),
    /// The input being framed ended: reply with its records and start
    /// the next.
    End(oneshot::Sender<Result<Framed, String>>),
}

/// Chunks read but not yet framed, at most: bounds the memory the thread
/// may fall behind by (a chunk is one read of the input stream the
/// component reads from: 64 KiB at most).
const FRAMING_QUEUE: usize = 16;

/// The host's framing (inflate, frame, hash every record) on a thread of
/// its own, so it runs on the other core while the component consolidates.
struct FramingThread {
    sender: SyncSender<Framing>,
    /// The input being read now: the `End`s sent so far, which the thread
    /// counts too.
    input: u64,
}

impl FramingThread {
    fn start() -> FramingThread {
        let (sender, receiver) = sync_channel(FRAMING_QUEUE);
        std::thread::Builder::new()
            .name("ledger-framing".into())
            .spawn(move || {
                let (mut tally, mut current) = (Tally::default(), 0);
                for message in receiver {
                    match message {
                        Framing::Bytes(input, bytes) if input == current => tally.feed(&bytes),
                        // Read ahead of an input the component stopped
                        // reading (it failed): not part of the next one.
                        Framing::Bytes(..) => {}
                        Framing::End(reply) => {
                            let _ = reply.send(std::mem::take(&mut tally).finish_framed());
                            current += 1;
                        }
                    }
                }
            })
            .expect("spawn the ledger's framing thread");
        FramingThread { sender, input: 0 }
    }

    /// The records of the input being read, once the component is done
    /// with it: an analyzed input was read to its end, so every byte was
    /// sent before this.
    async fn finish(&mut self) -> Result<Framed, String> {
        let (reply, framed) = oneshot::channel();
        let gone = || "the ledger's framing thread stopped".to_string();
        let sent = self.sender.send(Framing::End(reply));
        self.input += 1;
        sent.map_err(|_| gone())?;
        framed.await.map_err(|_| gone())?
    }
}

/// Consolidates local or S3 inputs into `out` (a path or an `s3://` URI);
/// returns the counts and where the parts went. With a `gate`, an input is
/// absorbed only when the digest that lists it vouches for the bytes read;
/// any other is a failed input, with why.
pub async fn consolidate(
    analyzer: &Analyzer,
    s3: &LazyS3,
    inputs: &[Input],
    unreadable: &[Unreadable],
    mut gate: Option<Gate>,
    config: &str,
    out: &str,
) -> Result<(Consolidation, Vec<String>)> {
    let mut run = Consolidating::start(analyzer, config).await?;
    for input in inputs {
        let name = input.name();
        let opened = match gate.as_mut() {
            None => input.open(s3).await,
            Some(gate) => checked(gate, s3, input).await?,
        };
        match opened {
            Ok(reader) => {
                run.add(&name, reader).await?;
            }
            Err(e) => run.add_failure(&name, &format!("{e:#}")).await?,
        }
    }
    for u in unreadable {
        run.add_failure(&u.name, &u.reason).await?;
    }
    let Finished { result, spool, .. } = run.finish().await?;
    let count = spool.parts().len();
    let mut written = Vec::with_capacity(count);
    for index in 0..count {
        let number = (count > 1).then_some(index + 1);
        let part = &spool.parts()[index];
        let target = part_name(out, number);
        write_part(spool.read(index)?, &part.media_type, &target, s3).await?;
        written.push(target);
    }
    Ok((result, written))
}

/// An input's bytes, read once, when its digest vouches for them; else
/// why not (the input then fails, and is not absorbed).
async fn checked(gate: &mut Gate, s3: &LazyS3, input: &Input) -> Result<Result<Reader>> {
    let bytes = match input.read_all(s3).await {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(e)),
    };
    Ok(match gate.admit(&input.name(), bytes).await? {
        Admission::Absorb { bytes, .. } => Ok(Box::pin(std::io::Cursor::new(bytes)) as Reader),
        Admission::Refuse { status, reason } => {
            Err(anyhow::anyhow!("{status}, not consolidated: {reason}"))
        }
    })
}

/// `out` itself for a single part; `stem.part-00001.json.gz`, … otherwise.
pub fn part_name(out: &str, number: Option<usize>) -> String {
    let Some(number) = number else {
        return out.to_owned();
    };
    let stem = out.strip_suffix(".json.gz").unwrap_or(out);
    format!("{stem}.part-{number:05}.json.gz")
}

/// Writes one part to a file path or an S3 key.
async fn write_part(data: Vec<u8>, media_type: &str, target: &str, s3: &LazyS3) -> Result<()> {
    match S3Location::parse(target) {
        Some(loc) => {
            let loc = loc?;
            storage::put(s3.get().await, &loc.bucket, &loc.key, data, media_type).await?;
        }
        None => {
            if let Some(parent) = Path::new(target)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::write(target, &data)
                .await
                .with_context(|| format!("cannot write {target}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        assert_eq!(part_name("day.json.gz", None), "day.json.gz");
        assert_eq!(
            part_name("s3://b/day.json.gz", Some(2)),
            "s3://b/day.part-00002.json.gz"
        );
    }
}
