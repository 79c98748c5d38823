//! The wasmtime engine and compiled components, through the on-disk cache
//! of compiled code (`cache.rs`): compiling a component takes hundreds of
//! milliseconds, loading a precompiled one a few.

use std::path::Path;

use anyhow::{Context, Result};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use super::cache::{Cache, Entry};
use super::limits::EPOCH_TICK;

/// Builds the one engine a process uses, and starts the thread that
/// advances its epoch (the clock behind every time limit).
pub fn new_engine() -> Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    // The map from native code back to wasm offsets only adds offsets to
    // trap backtraces (function names stay): without it the default
    // component compiles in about a tenth less time and its compiled code,
    // which every warm start reads and authenticates, is a tenth smaller.
    config.generate_address_map(false);
    let engine = Engine::new(&config)?;
    start_epoch_ticker(engine.weak());
    Ok(engine)
}

/// Ticks until the engine is dropped.
fn start_epoch_ticker(engine: wasmtime::EngineWeak) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn the epoch ticker");
}

/// Compiles `bytes`, or loads the compiled code from the cache in
/// `cache_dir` when an earlier run left it there and it is authentic (see
/// [`super::cache`]). A cache that is unsafe, cannot be read or written, or
/// holds a refused entry only costs time: the component is compiled and used
/// all the same.
pub fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: Option<&Path>,
    origin: &str,
) -> Result<Component> {
    let Some(dir) = cache_dir else {
        return compile(engine, bytes, origin);
    };
    let cache = match Cache::open(dir) {
        Ok(cache) => cache,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), reason = %format!("{e:#}"), "not using the compiled-component cache");
            return compile(engine, bytes, origin);
        }
    };
    let entry = Entry::new(engine, bytes);
    if let Some(component) = cache.load(engine, &entry) {
        return Ok(component);
    }
    let component = compile(engine, bytes, origin)?;
    if let Err(e) = cache.store(&entry, &component) {
        tracing::warn!(dir = %cache.path().display(), error = %format!("{e:#}"), "cannot cache the compiled component");
    }
    Ok(component)
}

fn compile(engine: &Engine, bytes: &[u8], origin: &str) -> Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!("failed to compile component from {origin}: is it a WebAssembly component?")
        })
}
