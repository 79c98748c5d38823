//! The component's command line compiled natively, to profile the engine
//! with native tools: `cargo run --release -p analyzer-wasm --example native -- <logs>`
//! (then `perf record` the binary in `target/release/examples/`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = analyzer_wasm::cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
