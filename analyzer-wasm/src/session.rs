//! One analysis over many inputs: the engine behind the `session` resource.

use std::io::{Read, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::container::{self, Contents};
use crate::event::Event;
use crate::findings::{self, Alert, Findings};
use crate::input;
use crate::report::{self, ArtifactInfo, Finished};
use crate::rules::sigma::RuleSet;
use crate::stats::{InputRecord, STATE_VERSION, Stats, Status};

pub struct Session {
    config: Config,
    stats: Stats,
    findings: Findings,
    /// What the last `finish` fixed for the artifacts; anything added
    /// after it clears this, so no artifact mixes two states.
    finished: Option<Finished>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub inputs: u64,
    pub analyzed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub events: u64,
    pub findings: u64,
}

pub struct Report {
    pub summary: Summary,
    /// Rendered on demand by [`Session::write_artifact`].
    pub artifacts: Vec<ArtifactInfo>,
    /// Inputs that failed or were skipped.
    pub problems: Vec<InputRecord>,
    /// The findings to deliver at once (`rules.alerts`: high and critical
    /// by default, bounded, the rest in one summary alert).
    pub alerts: Vec<Alert>,
}

/// The exported state: versioned so a session refuses another component's
/// (`merge_state` reads the version on its own first).
#[derive(Deserialize)]
struct SavedState {
    stats: Stats,
    findings: Findings,
}

/// The state as it is written, borrowing the session's.
#[derive(Serialize)]
struct SavedStateRef<'a> {
    state_version: u32,
    producer: String,
    stats: &'a Stats,
    findings: &'a Findings,
}

impl Session {
    pub fn open(config: &str) -> Result<Session, String> {
        Session::open_with_sigma(config, Arc::default())
    }

    /// A session that evaluates these Sigma rules too.
    pub fn open_with_sigma(config: &str, sigma: Arc<RuleSet>) -> Result<Session, String> {
        Ok(Session {
            config: Config::parse_with_sigma(config, sigma)?,
            stats: Stats::default(),
            findings: Findings::default(),
            finished: None,
        })
    }

    /// Reads one input to its end. A failed input contributes no counts, so
    /// a report never holds half a file.
    pub fn add(&mut self, name: &str, raw: impl Read) -> InputRecord {
        self.finished = None;
        let mut file_stats = Stats::default();
        let mut file_findings = Findings::default();
        let read = read_input(raw, &self.config, &mut file_stats, &mut file_findings);
        let (status, detail, bytes) = match read {
            (Ok(Contents::Events(format)), bytes) => {
                (Status::Analyzed, format.name().to_owned(), bytes)
            }
            (Ok(Contents::Skipped(reason)), bytes) => (Status::Skipped, reason, bytes),
            (Err(reason), bytes) => (Status::Failed, reason, bytes),
        };
        let record = InputRecord {
            name: name.to_owned(),
            status,
            events: if status == Status::Analyzed {
                file_stats.total_events
            } else {
                0
            },
            bytes,
            detail,
        };
        if status == Status::Analyzed {
            self.stats.merge(file_stats, self.config.limits.max_keys);
            self.findings.merge(file_findings, &self.config.rules);
        }
        self.stats.inputs.push(record.clone());
        record
    }

    /// An input the host could not deliver: listed as failed, counted nowhere.
    pub fn record_failure(&mut self, name: &str, reason: &str) {
        self.finished = None;
        self.stats.inputs.push(InputRecord {
            name: name.to_owned(),
            status: Status::Failed,
            events: 0,
            bytes: 0,
            detail: reason.to_owned(),
        });
    }

    pub fn export_state(&self) -> Vec<u8> {
        // Serialized where it lies: a copy would double the state's memory.
        let saved = SavedStateRef {
            state_version: STATE_VERSION,
            producer: crate::producer(),
            stats: &self.stats,
            findings: &self.findings,
        };
        // Measured first, then written into a buffer of exactly that size:
        // a state is the largest thing a session hands over, and a growing
        // buffer would need up to twice its size while it grows.
        let mut counted = report::ByteCount::default();
        serde_json::to_writer(&mut counted, &saved).expect("state serializes");
        let mut out = Vec::with_capacity(counted.bytes() as usize);
        serde_json::to_writer(&mut out, &saved).expect("state serializes");
        out
    }

    pub fn merge_state(&mut self, state: &[u8]) -> Result<(), String> {
        #[derive(Deserialize)]
        struct Version {
            state_version: u32,
            #[serde(default)]
            producer: String,
        }
        let version: Version =
            serde_json::from_slice(state).map_err(|e| format!("not an analyzer state: {e}"))?;
        if version.state_version != STATE_VERSION {
            return Err(format!(
                "state version {} from {:?} cannot be merged into version {STATE_VERSION}",
                version.state_version, version.producer
            ));
        }
        let saved: SavedState =
            serde_json::from_slice(state).map_err(|e| format!("corrupt analyzer state: {e}"))?;
        self.finished = None;
        self.stats.merge(saved.stats, self.config.limits.max_keys);
        self.findings.merge(saved.findings, &self.config.rules);
        Ok(())
    }

    pub fn summary(&self) -> Summary {
        Summary {
            inputs: self.stats.inputs.len() as u64,
            analyzed: self.stats.count(Status::Analyzed),
            skipped: self.stats.count(Status::Skipped),
            failed: self.stats.count(Status::Failed),
            events: self.stats.total_events,
            findings: self.findings.report(&self.config.rules).len() as u64,
        }
    }

    pub fn finish(&mut self) -> Report {
        self.stats.dims.truncate(self.config.limits.max_keys);
        self.stats
            .inputs
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.bytes.cmp(&b.bytes)));
        let findings = self.findings.report(&self.config.rules);
        let mut summary = self.summary();
        summary.findings = findings.len() as u64;
        let extra = report::FindingsExtra {
            dropped: self.findings.dropped(),
            by_severity: self.findings.by_severity(&findings, &self.config.rules),
            burst_untracked: self.findings.burst_untracked(),
        };
        let alerts = findings::alerts(&findings, &self.config.rules.alerts);
        let finished = self.finished.insert(Finished {
            summary,
            findings,
            extra,
        });
        Report {
            alerts,
            artifacts: report::describe(&self.stats, finished),
            problems: self
                .stats
                .inputs
                .iter()
                .filter(|i| i.status != Status::Analyzed)
                .cloned()
                .collect(),
            summary: finished.summary.clone(),
        }
    }

    /// Renders the artifact `name` of the last `finish` into `out`, with
    /// exactly the length `finish` listed.
    pub fn write_artifact(&self, name: &str, out: &mut dyn Write) -> Result<(), String> {
        let finished = self.finished.as_ref().ok_or_else(|| {
            format!(
                "no report to write {name:?} from: `finish` was not called since the last input"
            )
        })?;
        match report::write(name, &self.stats, finished, out) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("a report has no artifact {name:?}")),
            Err(e) => Err(format!("cannot write {name}: {e}")),
        }
    }

    /// The artifact `name` of the last `finish`, in memory (for tests and tools).
    pub fn artifact(&self, name: &str) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.write_artifact(name, &mut out)?;
        Ok(out)
    }
}

/// Returns what the input held, and the bytes read from it either way.
fn read_input(
    raw: impl Read,
    config: &Config,
    stats: &mut Stats,
    findings: &mut Findings,
) -> (Result<Contents, String>, u64) {
    let limits = &config.limits;
    let (reader, counter) = match input::open(raw, limits.max_input_bytes) {
        Ok(opened) => opened,
        Err(e) => return (Err(e.to_string()), 0),
    };
    let contents = container::read_events(reader, limits, &mut |raw| {
        let event = Event::parse(raw)?;
        stats.add_event(&event, limits.max_keys);
        findings.check(&event, raw, &config.rules);
        Ok(())
    });
    (contents, counter.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_inputs_count_nothing() {
        let mut s = Session::open("").unwrap();
        let good = s.add("good.json", &br#"{"Records":[{"eventName":"A"}]}"#[..]);
        let bad = s.add("bad.json", &br#"{"Records":[{"eventName":"B"}, 7]}"#[..]);
        assert_eq!((good.status, good.events), (Status::Analyzed, 1));
        assert_eq!(bad.status, Status::Failed);
        assert!(bad.detail.contains("record 2"), "{}", bad.detail);
        assert_eq!(s.summary().events, 1);
        assert_eq!(s.finish().problems.len(), 1);
    }

    /// Regression: merges may leave up to twice `max_keys` keys; the report
    /// must still keep exactly `max_keys`.
    #[test]
    fn reports_keep_at_most_max_keys() {
        let mut s = Session::open(r#"{"limits":{"max_keys":2}}"#).unwrap();
        for ip in ["a", "b", "c", "d"] {
            let log = format!(r#"[{{"sourceIPAddress":"{ip}"}},{{"sourceIPAddress":"{ip}"}}]"#);
            s.add(ip, log.as_bytes());
        }
        s.finish();
        let insights = s.artifact(report::INSIGHTS_JSON).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&insights).unwrap();
        assert_eq!(doc["source_ip_counts"].as_object().unwrap().len(), 2);
        assert_eq!(
            doc["truncated_dimensions"]["source_ip_counts"]["other_events"],
            4
        );
    }

    /// Artifacts are rendered when written: each must be exactly as long as
    /// `finish` said, and none may mix the state before and after an input.
    #[test]
    fn artifacts_render_as_long_as_listed_and_only_after_finish() {
        let mut s = Session::open("").unwrap();
        s.add(
            "a",
            &br#"[{"eventName":"ConsoleLogin","sourceIPAddress":"1.2.3.4"}]"#[..],
        );
        let report = s.finish();
        assert_eq!(report.artifacts.len(), 6);
        for artifact in &report.artifacts {
            let bytes = s.artifact(artifact.name).unwrap();
            assert_eq!(bytes.len() as u64, artifact.bytes, "{}", artifact.name);
            assert_eq!(
                s.artifact(artifact.name).unwrap(),
                bytes,
                "rendered twice alike"
            );
        }
        assert!(s.artifact("other.txt").unwrap_err().contains("no artifact"));
        s.add("b", &br#"[{"eventName":"B"}]"#[..]);
        let err = s.artifact(report::INSIGHTS_JSON).unwrap_err();
        assert!(err.contains("`finish` was not called"), "{err}");
        s.finish();
        assert!(s.artifact(report::INSIGHTS_JSON).is_ok());
    }

    #[test]
    fn state_round_trips_and_checks_its_version() {
        let mut a = Session::open("").unwrap();
        a.add("a", &br#"[{"eventName":"A"}]"#[..]);
        let mut b = Session::open("").unwrap();
        b.merge_state(&a.export_state()).unwrap();
        assert_eq!(b.summary().events, 1);
        let err = b
            .merge_state(br#"{"state_version":99,"producer":"x"}"#)
            .unwrap_err();
        assert!(err.contains("version 99"), "{err}");
        assert!(
            b.merge_state(b"garbage")
                .unwrap_err()
                .contains("not an analyzer state")
        );
    }
}
