//! Exports only `wasi:cli/run`: the host must refuse it as an analyzer.

fn main() {
    println!("I am not an analyzer");
}
