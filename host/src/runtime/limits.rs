//! The sandbox's limits, in one place, with their defaults.

use std::time::Duration;

use anyhow::bail;

/// Enough for the default rules on any input, and for a consolidation with
/// the default `consolidate.max_buffer_bytes`: a larger day spills to the
/// scratch file rather than growing memory.
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = 1024;
/// The scratch file a consolidation spills to: within Lambda's largest
/// ephemeral storage (10 GiB), less room for the compiled-component cache.
pub const DEFAULT_SCRATCH_LIMIT_MB: u64 = 8192;
/// Per call into the component: one input, one merge, one report.
pub const DEFAULT_TIME_LIMIT_SECS: u64 = 900;
/// How often the epoch advances; the time limit's resolution.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Bytes of the component's stderr kept for the host's log.
pub const STDERR_CAPTURE_BYTES: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub memory_bytes: u64,
    pub time: Duration,
    /// Bytes a consolidation may write to its scratch file.
    pub scratch_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_SECS).unwrap()
    }
}

impl Limits {
    pub fn new(memory_mb: u64, time_secs: u64) -> anyhow::Result<Limits> {
        if !(16..=65_536).contains(&memory_mb) {
            bail!("the memory limit must be between 16 and 65536 MiB, not {memory_mb}");
        }
        if !(1..=86_400).contains(&time_secs) {
            bail!("the time limit must be between 1 and 86400 seconds, not {time_secs}");
        }
        Ok(Limits {
            memory_bytes: memory_mb << 20,
            time: Duration::from_secs(time_secs),
            scratch_bytes: DEFAULT_SCRATCH_LIMIT_MB << 20,
        })
    }

    pub fn with_scratch_mb(self, scratch_mb: u64) -> anyhow::Result<Limits> {
        if !(1..=1 << 30).contains(&scratch_mb) {
            bail!("the scratch limit must be between 1 MiB and 1 PiB, not {scratch_mb} MiB");
        }
        Ok(Limits {
            scratch_bytes: scratch_mb << 20,
            ..self
        })
    }

    /// The epoch deadline, in ticks, for one call.
    pub fn epoch_ticks(&self) -> u64 {
        (self.time.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// Caps the component's linear memory and remembers that it did, so the
/// resulting trap can be reported as the limit it is.
pub struct MemoryCap {
    pub limit: u64,
    pub exceeded: bool,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limit {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ranges() {
        let l = Limits::default();
        assert_eq!(l.memory_bytes, 1024 << 20);
        assert_eq!(l.epoch_ticks(), 90_000);
        assert!(Limits::new(8, 10).is_err());
        assert!(Limits::new(64, 0).is_err());
        assert_eq!(Limits::new(64, 1).unwrap().epoch_ticks(), 100);
    }
}
