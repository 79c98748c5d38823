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

use anyhow::{Result, anyhow, bail};
use tokio::io::AsyncRead;
use wasmtime::component::{Linker, Resource, ResourceAny, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::{AsyncReadStream, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

use super::engine::load_component;
use super::limits::{Limits, MemoryCap, STDERR_CAPTURE_BYTES};
use super::scratch::Scratch;
use crate::bindings::{
    AnalyzerHost, AnalyzerHostPre, CONTRACT, ComponentInfo, ConsolidatedPart, Consolidation,
    InputOutcome, Report,
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

/// A compiled, checked component, ready to instantiate many times.
#[derive(Clone)]
pub struct Analyzer {
    engine: Engine,
    pre: AnalyzerHostPre<StoreState>,
    info: ComponentInfo,
    limits: Limits,
    origin: String,
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
        let component = load_component(engine, bytes, cache_dir, origin)?;
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let not_ours = |e: wasmtime::Error| {
            anyhow!(
                "{origin} is not a cloudtrail-analyzer component for contract {CONTRACT}: {e}\n\
                 (export the default one with `cloudtrail-analyzer component export` to start from)"
            )
        };
        let pre = AnalyzerHostPre::new(linker.instantiate_pre(&component).map_err(not_ours)?)
            .map_err(not_ours)?;
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

    pub async fn instantiate(&self) -> Result<Instance> {
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
            memory: MemoryCap {
                limit: self.limits.memory_bytes,
                exceeded: false,
            },
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.limits.epoch_ticks());
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| anyhow!("cannot instantiate {}: {e:?}", self.origin))?;
        Ok(Instance {
            store,
            bindings,
            limits: self.limits,
        })
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
    limits: Limits,
}

/// A `session` or `consolidator` resource living in an instance.
#[derive(Clone, Copy)]
pub struct Handle(ResourceAny);

impl Instance {
    /// Gives the next call the full time budget.
    fn arm(&mut self) {
        self.store.set_epoch_deadline(self.limits.epoch_ticks());
    }

    /// Turns a trap into an error that names the limit it hit.
    fn explain(&mut self, e: wasmtime::Error) -> anyhow::Error {
        let stderr = self.stderr();
        let tail = if stderr.is_empty() {
            String::new()
        } else {
            format!("; its stderr: {stderr}")
        };
        if self.store.data().memory.exceeded {
            return anyhow!(
                "the component exceeded its memory limit of {} MiB (--memory-limit-mb){tail}",
                self.limits.memory_bytes >> 20
            );
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return anyhow!(
                "the component exceeded its time limit of {} s (--time-limit-secs){tail}",
                self.limits.time.as_secs()
            );
        }
        anyhow!("the component failed: {e:?}{tail}")
    }

    /// What the component wrote to stderr so far (bounded).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.store.data().stderr.contents())
            .trim()
            .to_owned()
    }

    fn stream(
        &mut self,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<Resource<DynInputStream>> {
        let stream: DynInputStream = Box::new(AsyncReadStream::new(reader));
        Ok(self.store.data_mut().table.push(stream)?)
    }

    pub async fn info(&mut self) -> Result<ComponentInfo> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer();
        api.call_info(&mut self.store)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn open_session(&mut self, config: &str) -> Result<Handle> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        match api.call_open(&mut self.store, config).await {
            Ok(Ok(r)) => Ok(Handle(r)),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(self.explain(e)),
        }
    }

    pub async fn add_bytes(&mut self, h: Handle, name: &str, data: &[u8]) -> Result<InputOutcome> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        api.call_add_bytes(&mut self.store, h.0, name, data)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn add_stream(
        &mut self,
        h: Handle,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<InputOutcome> {
        let stream = self.stream(reader)?;
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        api.call_add_stream(&mut self.store, h.0, name, stream)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn record_failure(&mut self, h: Handle, name: &str, reason: &str) -> Result<()> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        api.call_record_failure(&mut self.store, h.0, name, reason)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn export_state(&mut self, h: Handle) -> Result<Vec<u8>> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        api.call_export_state(&mut self.store, h.0)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn merge_state(&mut self, h: Handle, state: &[u8]) -> Result<()> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        match api.call_merge_state(&mut self.store, h.0, state).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(self.explain(e)),
        }
    }

    pub async fn finish(&mut self, h: Handle) -> Result<Report> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().session();
        api.call_finish(&mut self.store, h.0)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Opens a consolidator that spills its sorted runs to `scratch`.
    pub async fn open_consolidator(&mut self, config: &str, scratch: &Scratch) -> Result<Handle> {
        let writer: DynOutputStream = Box::new(scratch.writer());
        let writer = self.store.data_mut().table.push(writer)?;
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        match api.call_open(&mut self.store, config, writer).await {
            Ok(Ok(r)) => Ok(Handle(r)),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(self.explain(e)),
        }
    }

    pub async fn consolidate_stream(
        &mut self,
        h: Handle,
        name: &str,
        reader: impl AsyncRead + Send + 'static,
    ) -> Result<InputOutcome> {
        let stream = self.stream(reader)?;
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        api.call_add_stream(&mut self.store, h.0, name, stream)
            .await
            .map_err(|e| self.explain(e))
    }

    pub async fn consolidate_failure(&mut self, h: Handle, name: &str, reason: &str) -> Result<()> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        api.call_record_failure(&mut self.store, h.0, name, reason)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Ends the reading; the lengths of the runs written to the scratch.
    pub async fn consolidation_runs(&mut self, h: Handle) -> Result<Vec<u64>> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        match api.call_runs(&mut self.store, h.0).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(self.explain(e)),
        }
    }

    /// Hands the runs back for merging, one stream each.
    pub async fn merge_runs(
        &mut self,
        h: Handle,
        scratch: &Scratch,
        lengths: &[u64],
    ) -> Result<()> {
        let mut streams = Vec::with_capacity(lengths.len());
        for reader in scratch.readers(lengths)? {
            let stream: DynInputStream = Box::new(reader);
            streams.push(self.store.data_mut().table.push(stream)?);
        }
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        match api.call_merge(&mut self.store, h.0, &streams).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(self.explain(e)),
        }
    }

    pub async fn next_part(&mut self, h: Handle) -> Result<Option<ConsolidatedPart>> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        match api.call_next_part(&mut self.store, h.0).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(self.explain(e)),
        }
    }

    pub async fn finish_consolidation(&mut self, h: Handle) -> Result<Consolidation> {
        self.arm();
        let api = self.bindings.cloudtrail_analyzer_analyzer().consolidator();
        match api.call_finish(&mut self.store, h.0).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(self.explain(e)),
        }
    }
}
