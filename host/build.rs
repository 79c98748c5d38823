//! Builds the default analyzer component and embeds it in the host binary,
//! so `cargo run` works on a fresh clone with nothing else to build first.
//!
//! As wasmtime's `test-programs/artifacts/build.rs` does, the guest is built
//! by a nested `cargo build` with its own target directory (no lock fight
//! with this build), and every source in the guest's dep-info file is a
//! `rerun-if-changed`, so editing a rule rebuilds the embedded component.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const GUEST_PACKAGE: &str = "analyzer-wasm";
const GUEST_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>[/<triple>]/<profile>/build/<pkg>-<hash>/out; keep the
    // guest build beside the profiles so every profile and rerun shares it.
    let guest_target_dir = out_dir.ancestors().nth(4).unwrap().join("guest");

    let wasm = build_guest(&workspace, &guest_target_dir);
    let embedded = out_dir.join("analyzer.wasm");
    fs::copy(&wasm, &embedded).expect("copy the guest component");

    for source in dep_info_sources(&wasm.with_extension("d")) {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("analyzer-wasm/Cargo.toml").display()
    );
    println!(
        "cargo:rustc-env=CTA_GUEST_TARGET_DIR={}",
        guest_target_dir.display()
    );
    // Its BLAKE3 hash, which names its compiled code in the cache: a warm
    // start then finds that code without reading the component's bytes.
    let digest = blake3::hash(&fs::read(&embedded).expect("read the guest component"));
    fs::write(
        out_dir.join("gen.rs"),
        format!(
            "/// The default analyzer component, built from `analyzer-wasm/`.\n\
             pub const DEFAULT_COMPONENT: &[u8] = include_bytes!({embedded:?});\n\
             /// The BLAKE3 hash of [`DEFAULT_COMPONENT`].\n\
             pub const DEFAULT_COMPONENT_BLAKE3: [u8; 32] = {:?};\n",
            digest.as_bytes()
        ),
    )
    .unwrap();
}

/// Makes sure the toolchain that builds the guest has the wasm target.
///
/// rustup adds the targets of `rust-toolchain.toml` only when it installs the
/// toolchain itself, not to a toolchain that is already there, so on such a
/// machine the first `cargo run` would fail with "can't find crate for
/// `core`". With rustup present we add the target and say so; without it we
/// stop with the one command that fixes it.
fn ensure_guest_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = |root: &Path| root.join("lib/rustlib").join(GUEST_TARGET).is_dir();
    if sysroot.as_deref().is_some_and(installed) {
        return;
    }
    let fix = format!("rustup target add {GUEST_TARGET}");
    // RUSTUP_TOOLCHAIN is set by rustup's proxies; it names the toolchain
    // this build runs on (the one rust-toolchain.toml pins).
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", GUEST_TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    println!(
        "cargo:warning=the {GUEST_TARGET} target is missing; running `{fix}` to build the \
         embedded analyzer component"
    );
    match rustup.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("`{fix}` failed ({status}); run it by hand, then build again"),
        Err(_) => panic!(
            "the {GUEST_TARGET} target is not installed for {rustc} and rustup was not found: \
             install the target for this toolchain (with rustup: `{fix}`), then build again"
        ),
    }
}

fn build_guest(workspace: &Path, target_dir: &Path) -> PathBuf {
    ensure_guest_target();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--package",
            GUEST_PACKAGE,
            "--target",
            GUEST_TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir);
    // The outer build's flags are for the host (and, under `cargo lambda`,
    // for cross-linking with zig): none of them apply to the wasm guest.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PROFILE_RELEASE_LTO",
        "CARGO_PROFILE_RELEASE_STRIP",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo for the guest component");
    assert!(
        status.success(),
        "building the analyzer component failed (see the compiler output above; is the \
         wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
    );
    target_dir
        .join(GUEST_TARGET)
        .join("release")
        .join("analyzer_wasm.wasm")
}

/// Paths listed in a Makefile-style dep-info file (`target: dep dep …`).
fn dep_info_sources(dep_file: &Path) -> Vec<PathBuf> {
    let Ok(text) = fs::read_to_string(dep_file) else {
        return Vec::new();
    };
    let Some((_, deps)) = text.lines().next().and_then(|l| l.split_once(": ")) else {
        return Vec::new();
    };
    deps.replace("\\ ", "\u{0}")
        .split_whitespace()
        .map(|p| PathBuf::from(p.replace('\u{0}', " ")))
        .collect()
}
