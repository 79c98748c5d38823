//! The wasmtime engine and compiled components, with an on-disk cache of
//! compiled code: compiling a component takes hundreds of milliseconds,
//! loading a precompiled one about one.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use super::limits::EPOCH_TICK;

/// Builds the one engine a process uses, and starts the thread that
/// advances its epoch (the clock behind every time limit).
pub fn new_engine() -> Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
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

/// A key for compiled code: the component's bytes and everything about the
/// engine that compiled code depends on (version, settings, target).
pub fn cache_key(engine: &Engine, component: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let digest = Sha256::digest(component);
    format!(
        "{}-{:016x}",
        hex::encode(&digest[..16]),
        engine_hash.finish()
    )
}

/// Compiles `bytes`, or loads the compiled code from `cache_dir` when an
/// earlier run left it there. A cache that cannot be read or written only
/// costs time: the component is compiled and used all the same.
pub fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: Option<&Path>,
    origin: &str,
) -> Result<Component> {
    let Some(dir) = cache_dir else {
        return compile(engine, bytes, origin);
    };
    let path = dir.join(format!("{}.cwasm", cache_key(engine, bytes)));
    if path.exists() {
        // SAFETY: the file was written by `Component::serialize` of this same
        // engine configuration (the key covers it) into the user's own cache
        // directory; deserializing code is only unsafe for untrusted files.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring unusable cached component")
            }
        }
    }
    let component = compile(engine, bytes, origin)?;
    if let Err(e) = store_compiled(&component, dir, &path) {
        tracing::warn!(path = %path.display(), error = %format!("{e:#}"), "cannot cache the compiled component");
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

fn store_compiled(component: &Component, dir: &Path, path: &PathBuf) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let code = component.serialize()?;
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, code)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The default cache directory: `$XDG_CACHE_HOME` or `~/.cache`, then
/// `cloudtrail-analyzer`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("cloudtrail-analyzer"))
}
