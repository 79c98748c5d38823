//! A loaded analyzer component and its sandboxed instances.
//!
//! Setup reads top to bottom, once per component: compiled `Component` →
//! `Linker` with WASI → `InstancePre`. Each `Instance` gets a fresh `Store`
//! whose WASI context grants nothing: no preopened directories, no
//! environment, no arguments, no network, no inherited stdio (stderr is
//! captured, bounded, for the host's log), plus a memory cap and a time
//! limit armed before every call. The only streams it ever holds are the
//! ones handed to it in calls: inputs to read, and a consolidator's capped
//! scratch stream.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail, ensure};
use tokio::io::AsyncRead;
use wasmtime::component::{Linker, Resource, ResourceAny, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::{AsyncReadStream, MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_io::poll::DynPollable;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

use super::engine::load_component;
use super::limits::{
    Limits, MAX_ARTIFACTS, MAX_COMPONENT_BYTES, MAX_COMPONENT_HANDLES, MemoryCap,
    STDERR_CAPTURE_BYTES,
};
use super::scratch::Scratch;
use super::sink::Sink;
use super::untrusted;
pub use crate::bindings::integrity::exports::cloudtrail::analyzer::integrity::{
    ConsolidatedVerdict, KeyRequest, LogCheck, LogVerdict, VerificationOptions,
};
use crate::bindings::integrity::{IntegrityHost, IntegrityHostIndices};
use crate::bindings::rule_files::{
    RefusedRule, RuleFile, RuleFilesHost, RuleFilesHostIndices, RuleSet,
};
use crate::bindings::{
    AnalyzerHost, AnalyzerHostPre, Artifact, ArtifactInfo, CONTRACT, ComponentInfo,
    ConsolidatedPart, Consolidation, ContractError, InputOutcome, Report, Rule,
};

pub struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
    stderr: MemoryOutputPipe,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// What a file's bytes come from: a stream, or bytes already in memory.
pub enum Body {
    Stream(crate::storage::Reader),
    Bytes(Vec<u8>),
}

/// A compiled, checked component, ready to instantiate many times.
#[derive(Clone)]
pub struct Analyzer {
    engine: Engine,
    pre: AnalyzerHostPre<StoreState>,
    info: ComponentInfo,
    limits: Limits,
    origin: String,
    /// Where the component's `rule-files` export is, if it has one.
    rule_files_export: Option<Arc<RuleFilesHostIndices>>,
    /// Where the component's `integrity` export is, if it has one.
    integrity_export: Option<Arc<IntegrityHostIndices>>,
    /// Rule files every new instance loads before its first session.
    rule_files: Option<Arc<Vec<RuleFile>>>,
}

impl Analyzer {
    /// Compiles (or loads from the cache) and checks a component: it must
    /// export the analyzer interface and report a compatible contract.
    pub async fn load(
        engine: &Engine,
        bytes: &[u8],
        origin: &str,
        cache_dir: Option<&Path>,
        limits: Limits,
    ) -> Result<Analyzer> {
        if bytes.len() > MAX_COMPONENT_BYTES {
            bail!(
                "{origin} is {} MiB, larger than the {} MiB a component may be",
                bytes.len() >> 20,
                MAX_COMPONENT_BYTES >> 20
            );
        }
        let component = load_component(engine, bytes, cache_dir, origin)?;
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        without_timers(&mut linker)?;
        let not_ours = |e: wasmtime::Error| {
            anyhow!(
                "{origin} is not a cloudtrail-analyzer component for contract {CONTRACT}: {e}\n\
                 (export the default one with `cloudtrail-analyzer component export` to start from)"
            )
        };
        let instance_pre = linker.instantiate_pre(&component).map_err(not_ours)?;
        let rule_files_export = RuleFilesHostIndices::new(&instance_pre).ok().map(Arc::new);
        let integrity_export = IntegrityHostIndices::new(&instance_pre).ok().map(Arc::new);
        let pre = AnalyzerHostPre::new(instance_pre).map_err(not_ours)?;
        let placeholder = ComponentInfo {
            name: String::new(),
            version: String::new(),
            contract: String::new(),
            rules: Vec::new(),
        };
        let mut analyzer = Analyzer {
            engine: engine.clone(),
            pre,
            info: placeholder,
            limits,
            origin: origin.to_owned(),
            rule_files_export,
            integrity_export,
            rule_files: None,
        };
        let info = analyzer.instantiate().await?.info().await?;
        check_contract(&info.contract).map_err(|e| {
            anyhow!(
                "{origin} ({} {}) is incompatible: {e}",
                info.name,
                info.version
            )
        })?;
        analyzer.info = info;
        Ok(analyzer)
    }

    pub fn info(&self) -> &ComponentInfo {
        &self.info
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// This component with rule files (Sigma rules, for the default one)
    /// loaded into every instance it makes; the component says which
    /// rules loaded and which it refused, and why. A component that does
    /// not take rule files is refused: running it without them would
    /// silently drop the rules.
    pub async fn with_rule_files(&self, files: Arc<Vec<RuleFile>>) -> Result<(Analyzer, RuleSet)> {
        if self.rule_files_export.is_none() {
            bail!(
                "{} does not take rule files: it does not export the \
                 cloudtrail:analyzer/rule-files interface of contract {CONTRACT}",
                self.origin
            );
        }
        let mut analyzer = self.clone();
        analyzer.rule_files = Some(files);
        let (mut instance, loaded) = analyzer.instantiate_with_rule_files().await?;
        analyzer.info = instance.info().await?;
        Ok((analyzer, loaded.expect("rule files were given")))
    }

    pub async fn instantiate(&self) -> Result<Instance> {
        Ok(self.instantiate_with_rule_files().await?.0)
    }

    /// A new instance, and what its component said of the rule files it
    /// was given, if any.
    async fn instantiate_with_rule_files(&self) -> Result<(Instance, Option<RuleSet>)> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE_BYTES);
        // Nothing is inherited or preopened: the builder grants no files,
        // environment, arguments or network unless told to.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let state = StoreState {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap::new(self.limits.memory_bytes),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        // What one call may copy out of the component (strings, lists,
        // artifacts) is bounded by its memory limit, not wasmtime's default:
        // lists aliasing one buffer could otherwise make the host allocate
        // many times what the component holds.
        store.set_hostcall_fuel(usize::try_from(self.limits.memory_bytes).unwrap_or(usize::MAX));
        store.set_max_component_handles(MAX_COMPONENT_HANDLES);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.limits.epoch_ticks());
        let cannot = |e: wasmtime::Error| anyhow!("cannot instantiate {}: {e:?}", self.origin);
        let instance = self
            .pre
            .instance_pre()
            .instantiate_async(&mut store)
            .await
            .map_err(cannot)?;
        let bindings = AnalyzerHost::new(&mut store, &instance).map_err(cannot)?;
        let rule_files_export = match &self.rule_files_export {
            Some(indices) => Some(indices.load(&mut store, &instance).map_err(cannot)?),
            None => None,
        };
        let integrity_export = match &self.integrity_export {
            Some(indices) => Some(indices.load(&mut store, &instance).map_err(cannot)?),
            None => None,
        };
        let mut instance = Instance {
            store,
            bindings,
            rule_files_export,
            integrity_export,
            limits: self.limits,
            abandoned: false,
        };
        let loaded = match &self.rule_files {
            Some(files) => Some(instance.load_rule_files(files).await?),
            None => None,
        };
        Ok((instance, loaded))
    }
}

/// Accepts the same major version and, while the major version is 0, the
/// same minor: the rule semver gives pre-1.0 versions.
pub fn check_contract(contract: &str) -> Result<()> {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    let ours = parse(CONTRACT).expect("valid contract constant");
    let Some(theirs) = parse(contract) else {
        bail!("it reports contract version {contract:?}, which is not a version");
    };
    let compatible = theirs.0 == ours.0 && (ours.0 > 0 || theirs.1 == ours.1);
    if !compatible {
        bail!("it implements contract {contract}, this host speaks {CONTRACT}");
    }
    Ok(())
}

/// One sandboxed instance. A trap (a limit, a bug) poisons it: the caller
/// drops it and instantiates a new one.
pub struct Instance {
    store: Store<StoreState>,
    bindings: AnalyzerHost,
    /// The component's `rule-files` export, if it has one.
    rule_files_export: Option<RuleFilesHost>,
    /// The component's `integrity` export, if it has one.
    integrity_export: Option<IntegrityHost>,
    limits: Limits,
    /// Set when a call was abandoned mid-way (its time ran out while the
    /// component waited in a host call): the store may be half-way through
    /// that call, so the instance refuses every later one.
    abandoned: bool,
}

/// What a verification run found; `json` and `html` are the component's
/// report, to be written as they are.
#[derive(Debug, Clone)]
pub struct VerificationReport {
    pub all_valid: bool,
    pub counts: Vec<(String, u64)>,
    pub json: Vec<u8>,
    pub html: Vec<u8>,
}

/// A `session`, `consolidator` or `verification` resource living in an instance.
#[derive(Clone, Copy)]
pub struct Handle(ResourceAny);

/// A domain error the component returned, as text safe to print.
/// The WASI version whose clock the linker defines (wasmtime-wasi 48).
const CLOCKS: &str = "wasi:clocks/monotonic-clock@0.2.12";

const NO_TIMERS: &str = "the component asked for a wasi:clocks timer, which the sandbox does \
     not give: a rules component has nothing to wait for (reading the time is allowed)";

/// Replaces the monotonic clock's timers with functions that trap: a
/// component may read the time, never block on it. What a component can
/// still wait on (the streams the host lends it) the wall-clock half of
/// the time limit covers.
fn without_timers(linker: &mut Linker<StoreState>) -> Result<()> {
    linker.allow_shadowing(true);
    let mut clocks = linker.instance(CLOCKS)?;
    clocks.func_wrap(
        "subscribe-duration",
        |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            Err(wasmtime::format_err!(NO_TIMERS))
        },
    )?;
    clocks.func_wrap(
        "subscribe-instant",
        |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            Err(wasmtime::format_err!(NO_TIMERS))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// An error the component returned through the contract (a `result`), as
/// opposed to a trap or a limit: an answer, not a failure of the sandbox.
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn contract_error(e: ContractError) -> anyhow::Error {
    anyhow::Error::new(Refusal(untrusted::one_line(&e.to_string())))
}

/// Whether `e` is (or was caused by) an error the component returned
/// through the contract rather than a trap, a limit or a host failure.
pub fn is_refusal(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| cause.is::<Refusal>())
}

impl Instance {
    /// Runs one call into the component under both halves of the time limit:
    /// the epoch deadline stops wasm that runs too long, and a wall-clock
    /// timeout stops a call that waits too long in a host call (a sleep on a
    /// `wasi:clocks` pollable, a stalled stream), which epochs cannot see.
    async fn call<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Store<StoreState>, &AnalyzerHost) -> wasmtime::Result<T>,
    ) -> Result<T> {
        if self.abandoned {
            bail!("this component instance was stopped at its time limit and cannot be used again");
        }
        self.store.set_epoch_deadline(self.limits.epoch_ticks());
        let outcome =
            tokio::time::timeout(self.limits.time, f(&mut self.store, &self.bindings)).await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.explain(e)),
            Err(_elapsed) => {
                self.abandoned = true;
                Err(anyhow!(
                    "the component exceeded its time limit of {} s (--time-limit-secs) while \
                     waiting in a host call{}",
                    self.limits.time.as_secs(),
                    self.stderr_tail()
                ))
            }
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Turns a trap into an error that names the limit it hit.
    fn explain(&mut self, e: wasmtime::Error) -> anyhow::Error {
        let tail = self.stderr_tail();
        if self.store.data().memory.exceeded {
            return anyhow!(
                "the component exceeded its memory limit of {} MiB over all its memories and \
                 tables (--memory-limit-mb){tail}",
                self.limits.memory_bytes >> 20
            );
        }
        if format!("{e:?}").contains("fuel allocated for hostcalls has been exhausted") {
            return anyhow!(
                "the component tried to hand the host more than {} MiB in one call, its memory \
                 limit (--memory-limit-mb){tail}",
                self.limits.memory_bytes >> 20
            );
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return anyhow!(
                "the component exceeded its time limit of {} s (--time-limit-secs){tail}",
                self.limits.time.as_secs()
            );
        }
        anyhow!(
            "the component failed: {}{tail}",
            untrusted::lines(&format!("{e:?}"))
        )
    }

    fn stderr_tail(&self) -> String {
        let stderr = self.stderr();
        if stderr.is_empty() {
            String::new()
        } else {
            format!("; its stderr: {stderr}")
        }
    }

    /// What the component wrote to stderr so far (bounded, control
    /// characters escaped).
    pub fn stderr(&self) -> String {
        let bytes = self.store.data().stderr.contents();
        let text = untrusted::lines(String::from_utf8_lossy(&bytes).trim());
        if bytes.len() >= STDERR_CAPTURE_BYTES {
            // The pipe refuses writes past its capacity: say so.
            format!(
                "{text} … (cut: only the first {} KiB of its stderr are kept)",
                STDERR_CAPTURE_BYTES >> 10
            )
        } else {
            text
        }
    }

    fn stream(
        &mut self,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<Resource<DynInputStream>> {
        let stream: DynInputStream = Box::new(AsyncReadStream::new(reader));
        Ok(self.store.data_mut().table.push(stream)?)
    }

    /// Bytes in memory are read straight by the component, with no task
    /// in between to wake for every 64 KiB.
    fn stream_of(&mut self, body: Body) -> Result<Resource<DynInputStream>> {
        match body {
            Body::Stream(reader) => self.stream(reader),
            Body::Bytes(bytes) => {
                let stream: DynInputStream = Box::new(MemoryInputPipe::new(bytes));
                Ok(self.store.data_mut().table.push(stream)?)
            }
        }
    }

    /// Hands rule files to this instance (see `Analyzer::with_rule_files`).
    async fn load_rule_files(&mut self, files: &[RuleFile]) -> Result<RuleSet> {
        // Out of `self` for the call, which borrows `self` whole.
        let Some(export) = self.rule_files_export.take() else {
            bail!("the component does not export cloudtrail:analyzer/rule-files");
        };
        let set = self
            .call(async |store, _| {
                export
                    .cloudtrail_analyzer_rule_files()
                    .call_load_rules(store, files)
                    .await
            })
            .await;
        self.rule_files_export = Some(export);
        Ok(printable_rule_set(set?))
    }

    pub async fn info(&mut self) -> Result<ComponentInfo> {
        let info = self
            .call(async |store, b| b.cloudtrail_analyzer_analyzer().call_info(store).await)
            .await?;
        Ok(printable_info(info))
    }

    pub async fn open_session(&mut self, config: &str) -> Result<Handle> {
        let opened = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().session();
                api.call_open(store, config).await
            })
            .await?;
        opened.map(Handle).map_err(contract_error)
    }

    pub async fn add_bytes(&mut self, h: Handle, name: &str, data: &[u8]) -> Result<InputOutcome> {
        let outcome = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().session();
                api.call_add_bytes(store, h.0, name, data).await
            })
            .await?;
        Ok(printable_outcome(outcome))
    }

    pub async fn add_stream(&mut self, h: Handle, name: &str, body: Body) -> Result<InputOutcome> {
        let stream = self.stream_of(body)?;
        let outcome = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().session();
                api.call_add_stream(store, h.0, name, stream).await
            })
            .await?;
        Ok(printable_outcome(outcome))
    }

    /// Opens a verification run (the `integrity` export) with CloudTrail's
    /// public keys, as `aws cloudtrail list-public-keys` prints them.
    pub async fn open_verification(&mut self, options: &VerificationOptions) -> Result<Handle> {
        let opened = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_open(store, options).await
            })
            .await?;
        opened
            .map(Handle)
            .map_err(|e| anyhow!("{}", untrusted::lines(&e)))
    }

    /// Whether a verification run needs the file so named.
    pub async fn verification_wants(&mut self, h: Handle, name: &str) -> Result<bool> {
        self.call_integrity(async |store, api| {
            let api = api.cloudtrail_analyzer_integrity().verification();
            api.call_wants(store, h.0, name).await
        })
        .await
    }

    /// What a verification run has read, for another run's `merge_verification`.
    pub async fn take_verification(&mut self, h: Handle) -> Result<Vec<u8>> {
        self.call_integrity(async |store, api| {
            let api = api.cloudtrail_analyzer_integrity().verification();
            api.call_take_partial(store, h.0).await
        })
        .await
    }

    /// Takes in what another run of the same component read.
    pub async fn merge_verification(&mut self, h: Handle, partial: &[u8]) -> Result<()> {
        let merged = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_merge_partial(store, h.0, partial).await
            })
            .await?;
        merged.map_err(|e| anyhow!("{}", untrusted::lines(&e)))
    }

    /// Checks one log file at once against the digests a verification run
    /// was given (see the contract's `check-log`).
    pub async fn check_log(
        &mut self,
        h: Handle,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<LogCheck> {
        let stream = self.stream(reader)?;
        let check = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_check_log(store, h.0, name, stream).await
            })
            .await?;
        Ok(LogCheck {
            reason: untrusted::one_line(&check.reason),
            sha256: untrusted::one_line(&check.sha256),
            digest: untrusted::one_line(&check.digest),
            ..check
        })
    }

    /// The public keys a verification run's digests need and it lacks.
    pub async fn verification_missing_keys(&mut self, h: Handle) -> Result<Vec<KeyRequest>> {
        self.call_integrity(async |store, api| {
            let api = api.cloudtrail_analyzer_integrity().verification();
            api.call_missing_keys(store, h.0).await
        })
        .await
    }

    /// More public keys (`list-public-keys` output) for a verification run.
    pub async fn add_verification_keys(&mut self, h: Handle, public_keys: &[u8]) -> Result<()> {
        let added = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_add_public_keys(store, h.0, public_keys).await
            })
            .await?;
        added.map_err(|e| anyhow!("{}", untrusted::lines(&e)))
    }

    /// Gives one file to a verification run with its S3 user metadata;
    /// the inner `Err` says why the component could not read it.
    pub async fn verify_file(
        &mut self,
        h: Handle,
        name: &str,
        body: Body,
        metadata: &[(String, String)],
    ) -> Result<std::result::Result<(), String>> {
        let stream = self.stream_of(body)?;
        let added = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_add(store, h.0, name, stream, metadata).await
            })
            .await?;
        Ok(added.map_err(|e| untrusted::one_line(&e)))
    }

    /// Tells a verification run of a file the host could not read.
    pub async fn verify_failure(&mut self, h: Handle, name: &str, reason: &str) -> Result<()> {
        self.call_integrity(async |store, api| {
            let api = api.cloudtrail_analyzer_integrity().verification();
            api.call_record_failure(store, h.0, name, reason).await
        })
        .await
    }

    /// Tells a verification run what the host found a consolidated log
    /// to be (`crate::verify::consolidated`).
    pub async fn verify_consolidated(
        &mut self,
        h: Handle,
        name: &str,
        verdict: ConsolidatedVerdict,
        reason: &str,
    ) -> Result<()> {
        self.call_integrity(async |store, api| {
            let api = api.cloudtrail_analyzer_integrity().verification();
            api.call_add_consolidated(store, h.0, name, verdict, reason)
                .await
        })
        .await
    }

    /// The verdicts of a verification run.
    pub async fn finish_verification(&mut self, h: Handle) -> Result<VerificationReport> {
        let finished = self
            .call_integrity(async |store, api| {
                let api = api.cloudtrail_analyzer_integrity().verification();
                api.call_finish(store, h.0).await
            })
            .await?;
        let report = finished.map_err(|e| anyhow!("{}", untrusted::lines(&e)))?;
        Ok(VerificationReport {
            all_valid: report.all_valid,
            counts: report
                .counts
                .into_iter()
                .map(|(verdict, n)| (untrusted::one_line(&verdict), n))
                .collect(),
            json: report.json,
            html: report.html,
        })
    }

    /// `call` for the `integrity` export.
    async fn call_integrity<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Store<StoreState>, &IntegrityHost) -> wasmtime::Result<T>,
    ) -> Result<T> {
        // Out of `self` for the call, which borrows `self` whole.
        let Some(export) = self.integrity_export.take() else {
            bail!(
                "the component does not verify integrity: it does not export the \
                 cloudtrail:analyzer/integrity interface of contract {CONTRACT}"
            );
        };
        let result = self.call(async |store, _| f(store, &export).await).await;
        self.integrity_export = Some(export);
        result
    }

    pub async fn record_failure(&mut self, h: Handle, name: &str, reason: &str) -> Result<()> {
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().session();
            api.call_record_failure(store, h.0, name, reason).await
        })
        .await
    }

    pub async fn export_state(&mut self, h: Handle) -> Result<Vec<u8>> {
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().session();
            api.call_export_state(store, h.0).await
        })
        .await
    }

    pub async fn merge_state(&mut self, h: Handle, state: &[u8]) -> Result<()> {
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().session();
            api.call_merge_state(store, h.0, state).await
        })
        .await?
        .map_err(contract_error)
    }

    /// The report, its artifacts received one by one through capped
    /// streams: together at most the memory limit, in bytes.
    pub async fn finish(&mut self, h: Handle) -> Result<Report> {
        let mut artifacts = Vec::new();
        let mut report = self
            .finish_with(h, async |artifact| {
                artifacts.push(artifact);
                Ok(())
            })
            .await?;
        report.artifacts = artifacts;
        Ok(report)
    }

    /// The report, each artifact handed to `deliver` as soon as it is
    /// received, so the host holds one at a time (the report's artifacts are
    /// then left empty). An error from `deliver` stops the delivery.
    pub async fn finish_with(
        &mut self,
        h: Handle,
        mut deliver: impl AsyncFnMut(Artifact) -> Result<()>,
    ) -> Result<Report> {
        self.finish_into(
            h,
            |_, budget| Ok((Sink::new(budget), ())),
            async |artifact, sink, ()| {
                deliver(Artifact {
                    name: artifact.name,
                    media_type: artifact.media_type,
                    data: sink.take(),
                })
                .await
            },
        )
        .await
    }

    /// The report, each artifact written into the sink `open` gives it
    /// (with `T`, whatever `done` needs to keep it), then handed to `done`
    /// once it is whole and as long as the component said. Together the
    /// sinks take at most the memory limit, in bytes; `open` is told what
    /// is left. The report's artifacts are left empty. An error from `open`
    /// or `done` stops the delivery.
    pub async fn finish_into<T>(
        &mut self,
        h: Handle,
        mut open: impl FnMut(&ArtifactInfo, u64) -> Result<(Sink, T)>,
        mut done: impl AsyncFnMut(ArtifactInfo, &Sink, T) -> Result<()>,
    ) -> Result<Report> {
        let info = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().session();
                api.call_finish(store, h.0).await
            })
            .await?;
        ensure!(
            info.artifacts.len() <= MAX_ARTIFACTS,
            "the component's report lists {} artifacts, more than the {MAX_ARTIFACTS} a report may have",
            info.artifacts.len()
        );
        let mut budget = self.limits.memory_bytes;
        for artifact in info.artifacts {
            let (sink, kept) = open(&artifact, budget)?;
            let stream = self.output(&sink)?;
            let name = artifact.name.as_str();
            let written = self
                .call(async |store, b| {
                    let api = b.cloudtrail_analyzer_analyzer().session();
                    api.call_write_artifact(store, h.0, name, stream).await
                })
                .await;
            if let Err(e) = written.and_then(|r| r.map_err(contract_error)) {
                return Err(self.overflowed(&sink, "artifacts").unwrap_or(e));
            }
            check_length(&sink, &artifact)?;
            budget -= sink.written();
            done(artifact, &sink, kept).await?;
        }
        Ok(Report {
            summary: info.summary,
            artifacts: Vec::new(),
            problems: info.problems.into_iter().map(printable_outcome).collect(),
            alerts: info.alerts,
        })
    }

    fn output(&mut self, sink: &Sink) -> Result<Resource<DynOutputStream>> {
        let writer: DynOutputStream = Box::new(sink.writer());
        Ok(self.store.data_mut().table.push(writer)?)
    }

    /// The error to give when the component tried to write past `sink`'s
    /// limit (its own error then only says the stream refused the bytes).
    fn overflowed(&self, sink: &Sink, what: &str) -> Option<anyhow::Error> {
        sink.overflowed().then(|| {
            anyhow!(
                "the component tried to hand the host more than {} MiB of {what} in one call, \
                 its memory limit (--memory-limit-mb){}",
                self.limits.memory_bytes >> 20,
                self.stderr_tail()
            )
        })
    }

    /// Opens a consolidator that spills its sorted runs to `scratch`.
    pub async fn open_consolidator(&mut self, config: &str, scratch: &Scratch) -> Result<Handle> {
        let writer: DynOutputStream = Box::new(scratch.writer());
        let writer = self.store.data_mut().table.push(writer)?;
        let opened = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().consolidator();
                api.call_open(store, config, writer).await
            })
            .await?;
        opened.map(Handle).map_err(contract_error)
    }

    pub async fn consolidate_stream(
        &mut self,
        h: Handle,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<InputOutcome> {
        let stream = self.stream(reader)?;
        let outcome = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().consolidator();
                api.call_add_stream(store, h.0, name, stream).await
            })
            .await?;
        Ok(printable_outcome(outcome))
    }

    pub async fn consolidate_failure(&mut self, h: Handle, name: &str, reason: &str) -> Result<()> {
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().consolidator();
            api.call_record_failure(store, h.0, name, reason).await
        })
        .await
    }

    /// Ends the reading; the lengths of the runs written to the scratch.
    pub async fn consolidation_runs(&mut self, h: Handle) -> Result<Vec<u64>> {
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().consolidator();
            api.call_runs(store, h.0).await
        })
        .await?
        .map_err(contract_error)
    }

    /// Hands the runs back for merging, one stream each.
    pub async fn merge_runs(
        &mut self,
        h: Handle,
        scratch: &Scratch,
        lengths: &[u64],
    ) -> Result<()> {
        let mut streams = Vec::new();
        for reader in scratch.readers(lengths)? {
            let stream: DynInputStream = Box::new(reader);
            streams.push(self.store.data_mut().table.push(stream)?);
        }
        self.call(async |store, b| {
            let api = b.cloudtrail_analyzer_analyzer().consolidator();
            api.call_merge(store, h.0, &streams).await
        })
        .await?
        .map_err(contract_error)
    }

    /// The next part, received through a stream capped at the memory limit.
    pub async fn next_part(&mut self, h: Handle) -> Result<Option<ConsolidatedPart>> {
        let sink = Sink::new(self.limits.memory_bytes);
        let stream = self.output(&sink)?;
        let described = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().consolidator();
                api.call_next_part(store, h.0, stream).await
            })
            .await
            .and_then(|r| r.map_err(contract_error));
        let info = match described {
            Ok(Some(info)) => info,
            Ok(None) => {
                ensure!(
                    sink.take().is_empty(),
                    "the component wrote a part but said there was none"
                );
                return Ok(None);
            }
            Err(e) => return Err(self.overflowed(&sink, "a part").unwrap_or(e)),
        };
        let data = received(&sink, &info.artifact)?;
        Ok(Some(ConsolidatedPart {
            artifact: Artifact {
                name: info.artifact.name,
                media_type: info.artifact.media_type,
                data,
            },
            records: info.records,
        }))
    }

    pub async fn finish_consolidation(&mut self, h: Handle) -> Result<Consolidation> {
        let mut done = self
            .call(async |store, b| {
                let api = b.cloudtrail_analyzer_analyzer().consolidator();
                api.call_finish(store, h.0).await
            })
            .await?
            .map_err(contract_error)?;
        done.problems = done.problems.into_iter().map(printable_outcome).collect();
        Ok(done)
    }
}

/// What a component wrote into `sink` for `artifact`: as long as it said.
fn received(sink: &Sink, artifact: &ArtifactInfo) -> Result<Vec<u8>> {
    check_length(sink, artifact)?;
    Ok(sink.take())
}

/// Whether a component wrote into `sink` as many bytes as it said.
fn check_length(sink: &Sink, artifact: &ArtifactInfo) -> Result<()> {
    ensure!(
        sink.written() == artifact.bytes,
        "the component described {} as {} bytes but wrote {}",
        untrusted::one_line(&artifact.name),
        artifact.bytes,
        sink.written()
    );
    Ok(())
}

fn printable_outcome(o: InputOutcome) -> InputOutcome {
    InputOutcome {
        name: untrusted::one_line(&o.name),
        detail: untrusted::one_line(&o.detail),
        ..o
    }
}

fn printable_rule(r: Rule) -> Rule {
    Rule {
        id: untrusted::one_line(&r.id),
        title: untrusted::one_line(&r.title),
        severity: untrusted::one_line(&r.severity),
    }
}

fn printable_rule_set(set: RuleSet) -> RuleSet {
    RuleSet {
        loaded: set.loaded.into_iter().map(printable_rule).collect(),
        refused: set
            .refused
            .into_iter()
            .map(|r| RefusedRule {
                file: untrusted::one_line(&r.file),
                rule: untrusted::one_line(&r.rule),
                reason: untrusted::one_line(&r.reason),
                unsupported: r.unsupported,
            })
            .collect(),
    }
}

fn printable_info(info: ComponentInfo) -> ComponentInfo {
    ComponentInfo {
        name: untrusted::one_line(&info.name),
        version: untrusted::one_line(&info.version),
        contract: untrusted::one_line(&info.contract),
        rules: info.rules.into_iter().map(printable_rule).collect(),
    }
}
