//! The component's consolidator compiled natively, to profile it with
//! native tools: `cargo run --release -p analyzer-wasm --example
//! native_consolidate -- <files…> > out.json.gz` (then `perf record` the
//! binary in `target/release/examples/`). The day is held in memory, so it
//! must fit in `consolidate.max_buffer_bytes` (256 MiB of records by
//! default): nothing is spilled to a scratch file here.

use std::io::Write;

fn main() -> Result<(), String> {
    let mut consolidator =
        analyzer_wasm::consolidate::Consolidator::open("", Box::new(std::io::sink()))?;
    for name in std::env::args().skip(1) {
        let file = std::fs::File::open(&name).map_err(|e| format!("{name}: {e}"))?;
        let outcome = consolidator.add(&name, file);
        eprintln!("{name}: {:?} {}", outcome.status, outcome.detail);
    }
    consolidator.runs()?;
    consolidator.merge(Vec::new())?;
    let mut out = std::io::stdout().lock();
    while let Some(part) = consolidator.next_part()? {
        out.write_all(&part.artifact.data)
            .map_err(|e| e.to_string())?;
    }
    let result = consolidator.finish()?;
    eprintln!(
        "{} records in, {} out",
        result.records_in, result.records_out
    );
    Ok(())
}
