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

/// The largest component file the host compiles: the default one is well
/// under 1 MiB, and compiling costs time and memory in proportion to size.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// What the contract needs of an instance, with room to spare: a Rust
/// component built by wit-bindgen instantiates a handful of core instances
/// (the module and its shims), one linear memory and a few tables.
pub const MAX_CORE_INSTANCES: usize = 32;
pub const MAX_MEMORIES: usize = 4;
pub const MAX_TABLES: usize = 16;
/// Parts one consolidation may return: a day in 10,000 parts of the default
/// 256 MiB is 2.5 TiB of JSON.
pub const MAX_PARTS: usize = 10_000;

/// The most artifacts one report may have (ours has six).
pub const MAX_ARTIFACTS: usize = 256;
/// Runs one consolidation may spill and hand back for merging.
pub const MAX_RUNS: usize = 10_000;
/// Live resource handles (sessions, streams, runs) an instance may hold.
pub const MAX_COMPONENT_HANDLES: usize = 10_000;
/// Each table element is charged to the memory budget at this size.
const TABLE_ELEMENT_BYTES: u64 = 16;

/// One memory budget for everything an instance allocates: every linear
/// memory and every table counts against `limit`. Remembers that it refused
/// a growth, so the resulting trap can be reported as the limit it is.
pub struct MemoryCap {
    pub limit: u64,
    pub exceeded: bool,
    /// Bytes granted so far over all memories and tables.
    used: u64,
}

impl MemoryCap {
    pub fn new(limit: u64) -> MemoryCap {
        MemoryCap {
            limit,
            exceeded: false,
            used: 0,
        }
    }

    /// Grants a growth from `current` to `desired` bytes of one memory or
    /// table when the total stays within the budget.
    fn grow(&mut self, current: u64, desired: u64) -> bool {
        let next = (self.used + desired).saturating_sub(current);
        if next > self.limit {
            self.exceeded = true;
            return false;
        }
        self.used = next;
        true
    }
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(current as u64, desired as u64))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(
            current as u64 * TABLE_ELEMENT_BYTES,
            desired as u64 * TABLE_ELEMENT_BYTES,
        ))
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
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

    #[test]
    fn one_budget_for_all_memories_and_tables() {
        use wasmtime::ResourceLimiter;
        let mut cap = MemoryCap::new(100 << 20);
        // Two memories of 40 MiB fit; a third does not, though each alone would.
        assert!(cap.memory_growing(0, 40 << 20, None).unwrap());
        assert!(cap.memory_growing(0, 40 << 20, None).unwrap());
        assert!(!cap.memory_growing(0, 40 << 20, None).unwrap());
        assert!(cap.exceeded);
        // Growing one that exists counts only the difference.
        let mut cap = MemoryCap::new(100 << 20);
        assert!(cap.memory_growing(0, 60 << 20, None).unwrap());
        assert!(cap.memory_growing(60 << 20, 90 << 20, None).unwrap());
        // Tables draw on the same budget.
        assert!(!cap.table_growing(0, 1 << 20, None).unwrap());
        assert!(cap.table_growing(0, 1000, None).unwrap());
        assert_eq!(cap.memories(), MAX_MEMORIES);
    }

    /// A core module with one funcref table and `grow(n)`, which runs
    /// `table.grow` by `n` null elements (hand-encoded: the host's wasmtime
    /// has no text-format parser).
    const TABLE_GROWER: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
        0x03, 0x02, 0x01, 0x00, // function 0 has type 0
        0x04, 0x04, 0x01, 0x70, 0x00, 0x00, // table: funcref, min 0, no max
        0x07, 0x08, 0x01, 0x04, b'g', b'r', b'o', b'w', 0x00, 0x00, // export "grow"
        0x0a, 0x0b, 0x01, 0x09, 0x00, // code: one body, no locals
        0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00,
        0x0b, // ref.null func; local.get 0; table.grow 0
    ];

    fn store_capped_at(limit: u64) -> wasmtime::Store<MemoryCap> {
        let engine = wasmtime::Engine::default();
        let mut store = wasmtime::Store::new(&engine, MemoryCap::new(limit));
        store.limiter(|cap| cap);
        store
    }

    #[test]
    fn a_table_grower_is_refused_by_the_budget_in_wasmtime() {
        let mut store = store_capped_at(1 << 20);
        let module = wasmtime::Module::new(store.engine(), TABLE_GROWER).unwrap();
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        // A million elements cost 16 MiB of a 1 MiB budget: refused (-1).
        assert_eq!(grow.call(&mut store, 1 << 20).unwrap(), -1);
        assert!(store.data().exceeded);
        // What fits is granted, from the old size 0.
        assert_eq!(grow.call(&mut store, 1000).unwrap(), 0);
        assert_eq!(store.data().used, 1000 * TABLE_ELEMENT_BYTES);
    }

    #[test]
    fn more_tables_than_the_contract_needs_are_refused_at_instantiation() {
        let count = MAX_TABLES as u8 + 1;
        let mut section = vec![count];
        for _ in 0..count {
            section.extend([0x70, 0x00, 0x00]); // funcref, min 0, no max
        }
        let mut bytes = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        bytes.extend([0x04, section.len() as u8]);
        bytes.extend(section);
        let mut store = store_capped_at(1 << 20);
        let module = wasmtime::Module::new(store.engine(), &bytes).unwrap();
        let error = wasmtime::Instance::new(&mut store, &module, &[]).unwrap_err();
        assert!(
            format!("{error:?}").contains("table count too high"),
            "{error:?}"
        );
    }
}
