//! The WIT contract's exports, mapped onto the plain-Rust engine. Nothing
//! here decides anything about CloudTrail: it only converts types.

use std::cell::RefCell;
use std::sync::Arc;

use crate::consolidate::Consolidator;
use crate::report::Artifact;
use crate::rules::sigma::RuleSet;
use crate::session::Session;
use crate::stats::{InputRecord, Status};

wit_bindgen::generate!({
    path: "../wit",
    world: "analyzer-component",
    with: {
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:cli/run@0.2.12": generate,
    },
});

use cloudtrail::analyzer::types as t;
use exports::cloudtrail::analyzer::analyzer as wit;
use exports::cloudtrail::analyzer::rule_files as wit_rules;

struct Component;

export!(Component);

thread_local! {
    /// The Sigma rules in force in this instance: the default pack, and
    /// the files `load-rules` gave.
    static SIGMA: RefCell<Option<Arc<RuleSet>>> = const { RefCell::new(None) };
}

fn sigma() -> Arc<RuleSet> {
    SIGMA.with(|s| {
        s.borrow_mut()
            .get_or_insert_with(|| Arc::new(load_sigma(Vec::new()).0))
            .clone()
    })
}

fn load_sigma(files: Vec<(&str, &[u8])>) -> (RuleSet, Vec<crate::rules::sigma::RefusedRule>) {
    RuleSet::load_with_default_pack(files, |id| crate::rules::rule(id).is_some())
}

fn sigma_rule(r: &crate::rules::sigma::SigmaRule) -> t::Rule {
    t::Rule {
        id: r.id.clone(),
        title: r.title.clone(),
        severity: r.severity.into(),
    }
}

impl wit_rules::Guest for Component {
    fn load_rules(files: Vec<wit_rules::RuleFile>) -> wit_rules::RuleSet {
        let files = files.iter().map(|f| (f.name.as_str(), &f.content[..]));
        let (set, refused) = load_sigma(files.collect());
        let loaded = set.rules().iter().map(sigma_rule).collect();
        SIGMA.with(|s| *s.borrow_mut() = Some(Arc::new(set)));
        wit_rules::RuleSet {
            loaded,
            refused: refused
                .into_iter()
                .map(|r| wit_rules::RefusedRule {
                    file: r.file,
                    rule: r.rule,
                    reason: r.refusal.reason,
                    unsupported: r.refusal.unsupported,
                })
                .collect(),
        }
    }
}

fn outcome(r: InputRecord) -> t::InputOutcome {
    t::InputOutcome {
        name: r.name,
        status: match r.status {
            Status::Analyzed => t::InputStatus::Analyzed,
            Status::Skipped => t::InputStatus::Skipped,
            Status::Failed => t::InputStatus::Failed,
        },
        events: r.events,
        bytes: r.bytes,
        detail: r.detail,
    }
}

fn artifact_info(a: &Artifact) -> t::ArtifactInfo {
    t::ArtifactInfo {
        name: a.name.clone(),
        media_type: a.media_type.clone(),
        bytes: a.data.len() as u64,
    }
}

/// Writes `data` whole to a host stream.
fn write_to(mut out: wit::OutputStream, data: &[u8]) -> Result<(), t::Error> {
    use std::io::Write;
    out.write_all(data)
        .and_then(|()| Write::flush(&mut out))
        .map_err(|e| t::Error::Limit(format!("the host's output stream refused the bytes: {e}")))
}

impl wit::Guest for Component {
    type Session = SessionResource;
    type Consolidator = ConsolidatorResource;

    fn info() -> t::ComponentInfo {
        t::ComponentInfo {
            name: crate::NAME.into(),
            version: crate::VERSION.into(),
            contract: crate::CONTRACT.into(),
            rules: crate::rules::rules()
                .iter()
                .map(|r| t::Rule {
                    id: r.id.into(),
                    title: r.title.into(),
                    severity: r.severity.into(),
                })
                .chain(sigma().rules().iter().map(sigma_rule))
                .collect(),
        }
    }
}

/// The engine, and after `finish` the names of the artifacts not yet
/// written: the contract lets the host ask for each once.
pub struct SessionResource(RefCell<Session>, RefCell<Vec<&'static str>>);

impl wit::GuestSession for SessionResource {
    fn open(config: String) -> Result<wit::Session, t::Error> {
        let session =
            Session::open_with_sigma(&config, sigma()).map_err(t::Error::InvalidConfig)?;
        Ok(wit::Session::new(SessionResource(
            RefCell::new(session),
            RefCell::default(),
        )))
    }

    fn add_bytes(&self, name: String, data: Vec<u8>) -> t::InputOutcome {
        outcome(self.0.borrow_mut().add(&name, &data[..]))
    }

    fn add_stream(&self, name: String, data: wit::InputStream) -> t::InputOutcome {
        outcome(self.0.borrow_mut().add(&name, data))
    }

    fn record_failure(&self, name: String, reason: String) {
        self.0.borrow_mut().record_failure(&name, &reason);
    }

    fn export_state(&self) -> Vec<u8> {
        self.0.borrow().export_state()
    }

    fn merge_state(&self, state: Vec<u8>) -> Result<(), t::Error> {
        self.0
            .borrow_mut()
            .merge_state(&state)
            .map_err(t::Error::InvalidState)
    }

    fn finish(&self) -> t::Report {
        let report = self.0.borrow_mut().finish();
        let s = report.summary;
        let wire = t::Report {
            summary: t::Summary {
                inputs: s.inputs,
                analyzed: s.analyzed,
                skipped: s.skipped,
                failed: s.failed,
                events: s.events,
                findings: s.findings,
            },
            artifacts: report
                .artifacts
                .iter()
                .map(|a| t::ArtifactInfo {
                    name: a.name.into(),
                    media_type: a.media_type.into(),
                    bytes: a.bytes,
                })
                .collect(),
            problems: report.problems.into_iter().map(outcome).collect(),
            alerts: report
                .alerts
                .into_iter()
                .map(|a| t::Alert {
                    key: a.key,
                    subject: a.subject,
                    body: a.body,
                })
                .collect(),
        };
        *self.1.borrow_mut() = report.artifacts.iter().map(|a| a.name).collect();
        wire
    }

    fn write_artifact(&self, name: String, out: wit::OutputStream) -> Result<(), t::Error> {
        let mut waiting = self.1.borrow_mut();
        let index = waiting.iter().position(|&a| a == name).ok_or_else(|| {
            t::Error::InvalidState(format!("no artifact {name:?} is waiting to be written"))
        })?;
        waiting.swap_remove(index);
        // Rendered straight into the stream, in large writes: fewer calls
        // into the host, and the artifact is never whole in memory.
        let mut out = std::io::BufWriter::with_capacity(256 << 10, out);
        self.0
            .borrow()
            .write_artifact(&name, &mut out)
            .map_err(t::Error::Limit)?;
        std::io::Write::flush(&mut out).map_err(|e| {
            t::Error::Limit(format!("the host's output stream refused the bytes: {e}"))
        })
    }
}

/// `finish` consumes the engine, so it sits in an `Option`.
pub struct ConsolidatorResource(RefCell<Option<Consolidator>>);

impl ConsolidatorResource {
    fn with<T>(&self, f: impl FnOnce(&mut Consolidator) -> T) -> Result<T, t::Error> {
        let mut inner = self.0.borrow_mut();
        let c = inner.as_mut().ok_or_else(|| {
            t::Error::InvalidState("the consolidator has already finished".into())
        })?;
        Ok(f(c))
    }

    fn add(&self, name: &str, data: impl std::io::Read) -> t::InputOutcome {
        match self.with(|c| c.add(name, data)) {
            Ok(r) => outcome(r),
            Err(_) => outcome(InputRecord {
                name: name.into(),
                status: Status::Failed,
                events: 0,
                bytes: 0,
                detail: "the consolidator has already finished".into(),
            }),
        }
    }
}

impl wit::GuestConsolidator for ConsolidatorResource {
    fn open(config: String, scratch: wit::OutputStream) -> Result<wit::Consolidator, t::Error> {
        // Runs are written in large chunks: fewer calls into the host.
        let scratch = std::io::BufWriter::with_capacity(256 << 10, scratch);
        let c = Consolidator::open_with_sigma(&config, sigma(), Box::new(scratch))
            .map_err(t::Error::InvalidConfig)?;
        Ok(wit::Consolidator::new(ConsolidatorResource(RefCell::new(
            Some(c),
        ))))
    }

    fn add_bytes(&self, name: String, data: Vec<u8>) -> t::InputOutcome {
        self.add(&name, &data[..])
    }

    fn add_stream(&self, name: String, data: wit::InputStream) -> t::InputOutcome {
        self.add(&name, data)
    }

    fn record_failure(&self, name: String, reason: String) {
        let _ = self.with(|c| c.record_failure(&name, &reason));
    }

    fn runs(&self) -> Result<Vec<u64>, t::Error> {
        self.with(|c| c.runs())?.map_err(t::Error::Limit)
    }

    fn merge(&self, runs: Vec<wit::InputStream>) -> Result<(), t::Error> {
        let runs = runs
            .into_iter()
            .map(|r| Box::new(r) as Box<dyn std::io::Read>)
            .collect();
        self.with(|c| c.merge(runs))?.map_err(t::Error::Limit)
    }

    fn next_part(&self, out: wit::OutputStream) -> Result<Option<t::ConsolidatedPart>, t::Error> {
        let Some(part) = self.with(|c| c.next_part())?.map_err(t::Error::Limit)? else {
            return Ok(None);
        };
        write_to(out, &part.artifact.data)?;
        Ok(Some(t::ConsolidatedPart {
            artifact: artifact_info(&part.artifact),
            records: part.records,
        }))
    }

    fn finish(&self) -> Result<t::Consolidation, t::Error> {
        let c = self.0.borrow_mut().take().ok_or_else(|| {
            t::Error::InvalidState("the consolidator has already finished".into())
        })?;
        let done = c.finish().map_err(t::Error::Limit)?;
        Ok(t::Consolidation {
            records_in: done.records_in,
            duplicates: done.duplicates,
            records_out: done.records_out,
            conflicts: done.conflicts,
            conflicting: done.conflicting,
            first_event_time: done.first_event_time,
            last_event_time: done.last_event_time,
            parts: done.parts,
            problems: done.problems.into_iter().map(outcome).collect(),
        })
    }
}

impl exports::wasi::cli::run::Guest for Component {
    fn run() -> Result<(), ()> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let code = crate::cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
        if code == 0 { Ok(()) } else { Err(()) }
    }
}

use exports::cloudtrail::analyzer::integrity as wit_integrity;

impl wit_integrity::Guest for Component {
    type Verification = VerificationResource;
}

/// A verification run; `finish` takes it, so it finishes once.
pub struct VerificationResource(RefCell<Option<crate::integrity::Verification>>);

impl wit_integrity::GuestVerification for VerificationResource {
    fn open(
        options: wit_integrity::VerificationOptions,
    ) -> Result<wit_integrity::Verification, String> {
        let window =
            crate::integrity::Window::parse(options.from.as_deref(), options.to.as_deref())?;
        let run = crate::integrity::Verification::open(&options.public_keys, window)?;
        Ok(wit_integrity::Verification::new(VerificationResource(
            RefCell::new(Some(run)),
        )))
    }

    fn wants(&self, name: String) -> bool {
        self.0.borrow().as_ref().is_some_and(|run| run.wants(&name))
    }

    fn add(
        &self,
        name: String,
        data: wit_integrity::InputStream,
        metadata: Vec<(String, String)>,
    ) -> Result<(), String> {
        self.running(|run| run.add(&name, data, &metadata))
    }

    fn record_failure(&self, name: String, reason: String) {
        if let Some(run) = self.0.borrow_mut().as_mut() {
            run.record_failure(&name, &reason);
        }
    }

    fn add_consolidated(
        &self,
        name: String,
        verdict: wit_integrity::ConsolidatedVerdict,
        reason: String,
    ) {
        use crate::integrity::Verdict;
        let verdict = match verdict {
            wit_integrity::ConsolidatedVerdict::Valid => Verdict::Valid,
            wit_integrity::ConsolidatedVerdict::Modified => Verdict::Modified,
            wit_integrity::ConsolidatedVerdict::Unverifiable => Verdict::Unverifiable,
        };
        if let Some(run) = self.0.borrow_mut().as_mut() {
            run.add_consolidated(&name, verdict, &reason);
        }
    }

    fn take_partial(&self) -> Vec<u8> {
        self.running(|run| Ok(run.take_partial()))
            .unwrap_or_default()
    }

    fn merge_partial(&self, partial: Vec<u8>) -> Result<(), String> {
        self.running(|run| run.merge_partial(&partial))
    }

    fn check_log(&self, name: String, data: wit_integrity::InputStream) -> wit_integrity::LogCheck {
        use crate::integrity::Verdict;
        let check = self.running(|run| Ok(run.check_log(&name, data)));
        match check {
            Ok(c) => wit_integrity::LogCheck {
                verdict: match c.judgement.verdict {
                    Verdict::Valid => wit_integrity::LogVerdict::Valid,
                    Verdict::NotInDigest => wit_integrity::LogVerdict::NotInDigest,
                    Verdict::Modified => wit_integrity::LogVerdict::Modified,
                    _ => wit_integrity::LogVerdict::Unverifiable,
                },
                reason: c.judgement.reason,
                sha256: c.sha256.unwrap_or_default(),
                digest: c.judgement.digest.unwrap_or_default(),
            },
            Err(e) => wit_integrity::LogCheck {
                verdict: wit_integrity::LogVerdict::Unverifiable,
                reason: e,
                sha256: String::new(),
                digest: String::new(),
            },
        }
    }

    fn missing_keys(&self) -> Vec<wit_integrity::KeyRequest> {
        let requests = self.running(|run| Ok(run.missing_keys()));
        requests
            .unwrap_or_default()
            .into_iter()
            .map(|r| wit_integrity::KeyRequest {
                region: r.region,
                start_time: r.start,
                end_time: r.end,
            })
            .collect()
    }

    fn add_public_keys(&self, public_keys: Vec<u8>) -> Result<(), String> {
        self.running(|run| run.add_public_keys(&public_keys))
    }

    fn finish(&self) -> Result<wit_integrity::VerificationReport, String> {
        let run = self.0.borrow_mut().take();
        let report = run.ok_or("the verification has already finished")?.finish();
        let json = serde_json::to_vec_pretty(&report).expect("a report serializes");
        let html = crate::html::render_verification(&report, "CloudTrail log file integrity");
        Ok(wit_integrity::VerificationReport {
            all_valid: report.all_valid(),
            counts: report.counts.into_iter().collect(),
            json,
            html: html.into_bytes(),
        })
    }
}

impl VerificationResource {
    fn running<T>(
        &self,
        f: impl FnOnce(&mut crate::integrity::Verification) -> Result<T, String>,
    ) -> Result<T, String> {
        match self.0.borrow_mut().as_mut() {
            Some(run) => f(run),
            None => Err("the verification has already finished".into()),
        }
    }
}
