//! Different rules behind the same contract: counts inputs and bytes and
//! nothing else. The host's tests load it to prove that swapping the
//! component changes the results with no rebuild of the host.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::io::Read;

wit_bindgen::generate!({
    path: "../../wit",
    world: "analyzer-host",
    with: {
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
    },
});

use cloudtrail::analyzer::types as t;
use exports::cloudtrail::analyzer::analyzer as wit;

struct Component;
export!(Component);

impl wit::Guest for Component {
    type Session = Session;
    type Consolidator = Session;

    fn info() -> t::ComponentInfo {
        t::ComponentInfo {
            name: "alt-rules".into(),
            version: "9.9.9".into(),
            contract: "0.3.0".into(),
            rules: vec![t::Rule {
                id: "ALT.1".into(),
                title: "bytes per input".into(),
                severity: "info".into(),
            }],
        }
    }
}

#[derive(Default)]
pub struct Session(RefCell<(u64, u64)>);

impl Session {
    fn count(&self, name: String, bytes: u64) -> t::InputOutcome {
        let mut s = self.0.borrow_mut();
        s.0 += 1;
        s.1 += bytes;
        t::InputOutcome {
            name,
            status: t::InputStatus::Analyzed,
            events: 0,
            bytes,
            detail: "alt".into(),
        }
    }

    fn report(&self) -> Vec<u8> {
        let s = self.0.borrow();
        serde_json::json!({"alt_rules": true, "inputs": s.0, "bytes": s.1})
            .to_string()
            .into_bytes()
    }
}

impl wit::GuestSession for Session {
    fn open(_config: String) -> Result<wit::Session, t::Error> {
        Ok(wit::Session::new(Session::default()))
    }
    fn add_bytes(&self, name: String, data: Vec<u8>) -> t::InputOutcome {
        self.count(name, data.len() as u64)
    }
    fn add_stream(&self, name: String, mut data: wit::InputStream) -> t::InputOutcome {
        let mut buf = Vec::new();
        let _ = data.read_to_end(&mut buf);
        self.count(name, buf.len() as u64)
    }
    fn record_failure(&self, _name: String, _reason: String) {}
    fn export_state(&self) -> Vec<u8> {
        let s = self.0.borrow();
        format!("{} {}", s.0, s.1).into_bytes()
    }
    fn merge_state(&self, state: Vec<u8>) -> Result<(), t::Error> {
        let text = String::from_utf8(state).map_err(|e| t::Error::InvalidState(e.to_string()))?;
        let mut parts = text.split(' ').map(|p| p.parse::<u64>().unwrap_or(0));
        let mut s = self.0.borrow_mut();
        s.0 += parts.next().unwrap_or(0);
        s.1 += parts.next().unwrap_or(0);
        Ok(())
    }
    fn finish(&self) -> t::Report {
        let s = *self.0.borrow();
        t::Report {
            summary: t::Summary {
                inputs: s.0,
                analyzed: s.0,
                skipped: 0,
                failed: 0,
                events: 0,
                findings: 0,
            },
            artifacts: vec![t::ArtifactInfo {
                name: "alt.json".into(),
                media_type: "application/json".into(),
                bytes: self.report().len() as u64,
            }],
            problems: Vec::new(),
            alerts: Vec::new(),
        }
    }
    fn write_artifact(&self, name: String, mut out: wit::OutputStream) -> Result<(), t::Error> {
        use std::io::Write;
        if name != "alt.json" {
            return Err(t::Error::InvalidState(format!("no artifact {name}")));
        }
        out.write_all(&self.report())
            .and_then(|()| Write::flush(&mut out))
            .map_err(|e| t::Error::Limit(e.to_string()))
    }
}

impl wit::GuestConsolidator for Session {
    fn open(_config: String, _scratch: wit::OutputStream) -> Result<wit::Consolidator, t::Error> {
        Err(t::Error::InvalidConfig(
            "alt-rules does not consolidate".into(),
        ))
    }
    fn add_bytes(&self, name: String, data: Vec<u8>) -> t::InputOutcome {
        self.count(name, data.len() as u64)
    }
    fn add_stream(&self, name: String, _data: wit::InputStream) -> t::InputOutcome {
        self.count(name, 0)
    }
    fn record_failure(&self, _name: String, _reason: String) {}
    fn runs(&self) -> Result<Vec<u64>, t::Error> {
        Ok(Vec::new())
    }
    fn merge(&self, _runs: Vec<wit::InputStream>) -> Result<(), t::Error> {
        Ok(())
    }
    fn next_part(&self, _out: wit::OutputStream) -> Result<Option<t::ConsolidatedPart>, t::Error> {
        Ok(None)
    }
    fn finish(&self) -> Result<t::Consolidation, t::Error> {
        Err(t::Error::InvalidConfig(
            "alt-rules does not consolidate".into(),
        ))
    }
}
