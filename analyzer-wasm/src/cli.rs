//! The component as a command: `wasmtime run` calls `wasi:cli/run`, which
//! lands here. Plain Rust over `std::fs`, so it is tested natively too.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::report::INSIGHTS_JSON;
use crate::rules::sigma::RuleSet;
use crate::session::Session;
use crate::stats::Status;

pub const USAGE: &str = "\
Analyze CloudTrail logs: prints insights.json for every log under PATH.

Usage: wasmtime run --dir <logs>::/logs analyzer_wasm.wasm [OPTIONS] <PATH>...

Arguments:
  <PATH>...         log files or folders (read recursively), as seen inside
                    the sandbox: map them in with wasmtime's --dir HOST::GUEST

Options:
      --config <FILE>  rules configuration (JSON), see the README
      --sigma <PATH>   Sigma rules: a YAML file, or a folder of them (*.yml,
                       *.yaml, read recursively); may be given again
      --out <DIR>      write every artifact into DIR instead of printing
                       insights.json (map DIR in with a writable --dir)
  -h, --help           print this help
  -V, --version        print the version

Exit status: 0 when every input was analyzed or skipped, 1 when an input
failed (the others are still analyzed), 2 on a usage or configuration error.
";

/// Runs the command; returns the exit status.
pub fn run(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    match run_inner(args, stdout, stderr) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            2
        }
    }
}

fn run_inner(
    args: &[String],
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, String> {
    let mut paths = Vec::new();
    let mut config_path = None;
    let mut out_dir = None;
    let mut sigma_paths = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                let _ = stdout.write_all(USAGE.as_bytes());
                return Ok(0);
            }
            "-V" | "--version" => {
                let _ = writeln!(stdout, "{}", crate::producer());
                return Ok(0);
            }
            "--config" => config_path = Some(rest.next().ok_or("--config needs a file")?.clone()),
            "--out" => out_dir = Some(rest.next().ok_or("--out needs a folder")?.clone()),
            "--sigma" => sigma_paths.push(PathBuf::from(
                rest.next().ok_or("--sigma needs a file or folder")?,
            )),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("unknown option '{flag}' (see --help)"));
            }
            path => paths.push(PathBuf::from(path)),
        }
    }
    if paths.is_empty() {
        return Err("no input given: name log files or folders (see --help)".into());
    }
    let config = match config_path {
        Some(p) => fs::read_to_string(&p).map_err(|e| format!("cannot read config {p}: {e}"))?,
        None => String::new(),
    };
    let sigma = load_sigma(&sigma_paths, stderr)?;
    let mut session = Session::open_with_sigma(&config, sigma)?;

    let mut files = Vec::new();
    let mut failed = false;
    for path in &paths {
        if let Err(e) = collect_files(path, &mut files) {
            let _ = writeln!(stderr, "error: {}: {e}", path.display());
            failed = true;
        }
    }
    for file in files {
        let name = file.display().to_string();
        let outcome = match fs::File::open(&file) {
            Ok(f) => session.add(&name, f),
            Err(e) => {
                let _ = writeln!(stderr, "error: {name}: cannot open: {e}");
                failed = true;
                continue;
            }
        };
        match outcome.status {
            Status::Failed => {
                let _ = writeln!(stderr, "error: {name}: {}", outcome.detail);
                failed = true;
            }
            Status::Skipped => {
                let _ = writeln!(stderr, "skipped: {name}: {}", outcome.detail);
            }
            Status::Analyzed => {}
        }
    }

    let report = session.finish();
    match out_dir {
        Some(dir) => {
            fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
            for artifact in &report.artifacts {
                let path = Path::new(&dir).join(artifact.name);
                let cannot =
                    |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
                let file = fs::File::create(&path).map_err(|e| cannot(&e))?;
                let mut file = std::io::BufWriter::with_capacity(256 << 10, file);
                session.write_artifact(artifact.name, &mut file)?;
                file.flush().map_err(|e| cannot(&e))?;
            }
        }
        None => {
            let mut out = std::io::BufWriter::new(&mut *stdout);
            session.write_artifact(INSIGHTS_JSON, &mut out)?;
            out.flush()
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        stderr,
        "{} inputs: {} analyzed, {} skipped, {} failed; {} events",
        s.inputs, s.analyzed, s.skipped, s.failed, s.events
    );
    Ok(if failed { 1 } else { 0 })
}

/// Loads the default Sigma pack and the rules under `paths`. A rule this engine does not
/// evaluate is named and left out; a broken one (bad YAML, an unknown
/// modifier) fails the run, as a typo in the configuration does.
fn load_sigma(paths: &[PathBuf], stderr: &mut dyn Write) -> Result<Arc<RuleSet>, String> {
    let mut files = Vec::new();
    for path in paths {
        let mut found = Vec::new();
        collect_files(path, &mut found).map_err(|e| format!("{}: {e}", path.display()))?;
        if path.is_dir() {
            found.retain(|f| {
                f.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml")
                })
            });
        }
        for file in found {
            let content = fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            files.push((file.display().to_string(), content));
        }
    }
    let (set, refused) = RuleSet::load_with_default_pack(
        files
            .iter()
            .map(|(name, content)| (name.as_str(), &content[..])),
        |id| crate::rules::rule(id).is_some(),
    );
    let mut broken = 0;
    for r in &refused {
        let rule = if r.rule.is_empty() {
            String::new()
        } else {
            format!(" {}", r.rule)
        };
        let kind = if r.refusal.unsupported {
            "not loaded"
        } else {
            broken += 1;
            "error"
        };
        let _ = writeln!(
            stderr,
            "sigma: {kind}: {}{rule}: {}",
            r.file, r.refusal.reason
        );
    }
    if broken > 0 {
        return Err(format!("{broken} Sigma rule(s) are broken (named above)"));
    }
    if !paths.is_empty() {
        let _ = writeln!(stderr, "sigma: {} rule(s) loaded", set.rules().len());
    }
    Ok(Arc::new(set))
}

/// Files under `path` in a stable order (folders are walked recursively).
fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !fs::metadata(path)?.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        collect_files(&entry, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn help_and_usage_errors() {
        let (code, out, _) = run_args(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Usage:"));
        let (code, _, err) = run_args(&[]);
        assert_eq!(code, 2);
        assert!(err.contains("no input"));
        assert_eq!(run_args(&["--bogus"]).0, 2);
    }

    #[test]
    fn bad_inputs_are_named_and_the_rest_is_counted() {
        let dir = std::env::temp_dir().join(format!("cta-cli-test-{}", std::process::id()));
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(
            dir.join("sub/good.json"),
            r#"{"Records":[{"eventName":"A"}]}"#,
        )
        .unwrap();
        fs::write(dir.join("bad.json"), "not json").unwrap();
        let (code, out, err) = run_args(&[dir.to_str().unwrap()]);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(code, 1);
        assert!(err.contains("bad.json: not JSON"), "{err}");
        let insights: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(insights["total_events"], 1);
    }
}
