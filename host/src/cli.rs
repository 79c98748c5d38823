//! The `cloudtrail-analyzer` command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::analyze::{self, Job, OnOutcome};
use crate::bindings::{InputOutcome, InputStatus};
use crate::consolidate;
use crate::inputs;
use crate::outputs::Destination;
use crate::runtime::{self, Analyzer, Limits};
use crate::storage::{self, LazyS3, S3Location};

/// Exit status when every input was analyzed (or skipped as not a log).
pub const EXIT_OK: u8 = 0;
/// Exit status when at least one input failed; the others were still analyzed.
pub const EXIT_INPUT_FAILED: u8 = 1;
/// Exit status for usage errors and anything that stopped the whole run.
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "cloudtrail-analyzer",
    version,
    about = "Analyze AWS CloudTrail logs with a sandboxed, swappable rules component",
    after_help = "Exit status: 0 all inputs analyzed or skipped; 1 an input failed (the rest \
                  were analyzed); 2 usage error or a failure that stopped the run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze log files, folders and S3 prefixes into reports.
    Analyze {
        /// Files, folders (read recursively) and s3://bucket/prefix URIs.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// A folder or s3://bucket/prefix for the artifacts.
        #[arg(long)]
        out: String,
        /// A rules configuration (JSON) file or s3:// URI, passed to the component.
        #[arg(long)]
        config: Option<String>,
        /// Parallel workers [default: the number of cores].
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar, even on a terminal.
        #[arg(long, short)]
        quiet: bool,
        /// Also name every skipped input (digest files, other non-logs) on stderr.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Consolidate many log files into one CloudTrail log (deduplicated, ordered).
    Aggregate {
        #[arg(required = true)]
        inputs: Vec<String>,
        /// A file or s3://bucket/key for the consolidated log (.json.gz); a log
        /// too large for one part is written as NAME.part-00001.json.gz, ….
        #[arg(long)]
        out: String,
        #[arg(long)]
        config: Option<String>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Inspect or export analyzer components.
    Component {
        #[command(subcommand)]
        command: ComponentCommand,
    },
}

#[derive(Subcommand)]
enum ComponentCommand {
    /// Print a component's name, version, contract and rules.
    Info {
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Write the embedded default component: the starting point for custom rules.
    Export { file: PathBuf },
}

#[derive(Args, Clone)]
struct RuntimeArgs {
    /// The analyzer component: a .wasm file or s3://bucket/key [default: the embedded one].
    #[arg(long, env = "CTA_COMPONENT_URI")]
    component: Option<String>,
    /// Memory cap of the component, in MiB.
    #[arg(long, env = "CTA_MEMORY_LIMIT_MB", default_value_t = runtime::limits::DEFAULT_MEMORY_LIMIT_MB)]
    memory_limit_mb: u64,
    /// Time cap of each call into the component, in seconds.
    #[arg(long, env = "CTA_TIME_LIMIT_SECS", default_value_t = runtime::limits::DEFAULT_TIME_LIMIT_SECS)]
    time_limit_secs: u64,
    /// Cap of the scratch file a consolidation spills to, in MiB.
    #[arg(long, env = "CTA_SCRATCH_LIMIT_MB", default_value_t = runtime::limits::DEFAULT_SCRATCH_LIMIT_MB)]
    scratch_limit_mb: u64,
    /// Where compiled components are cached [default: ~/.cache/cloudtrail-analyzer].
    #[arg(long, env = "CTA_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the component on every run.
    #[arg(long)]
    no_cache: bool,
    /// An S3-compatible endpoint [default: AWS_ENDPOINT_URL or AWS].
    #[arg(long)]
    endpoint_url: Option<String>,
}

impl RuntimeArgs {
    fn s3(&self) -> Arc<LazyS3> {
        Arc::new(LazyS3::new(self.endpoint_url.clone()))
    }

    async fn load(&self, s3: &LazyS3) -> Result<Analyzer> {
        let limits = Limits::new(self.memory_limit_mb, self.time_limit_secs)?
            .with_scratch_mb(self.scratch_limit_mb)?;
        let cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(runtime::default_cache_dir)
        };
        let (bytes, origin) = match &self.component {
            None => (
                runtime::DEFAULT_COMPONENT.to_vec(),
                "the embedded default component".to_owned(),
            ),
            Some(source) => (read_source(source, s3).await?, source.clone()),
        };
        let engine = runtime::new_engine()?;
        Analyzer::load(&engine, &bytes, &origin, cache_dir.as_deref(), limits).await
    }
}

/// Reads a small file or S3 object named on the command line.
async fn read_source(source: &str, s3: &LazyS3) -> Result<Vec<u8>> {
    match S3Location::parse(source) {
        Some(loc) => {
            let loc = loc?;
            Ok(storage::get_bytes(s3.get().await, &loc.bucket, &loc.key)
                .await?
                .0)
        }
        None => tokio::fs::read(source)
            .await
            .with_context(|| format!("cannot read {source}")),
    }
}

/// Prints a line of output; a closed pipe (`… | head`) is not an error.
fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let logging = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    drop(logging);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Analyze {
            inputs,
            out,
            config,
            jobs,
            quiet,
            verbose,
            runtime,
        } => {
            let s3 = runtime.s3();
            let analyzer = runtime.load(&s3).await?;
            let destination = Destination::parse(&out)?;
            let config = match config {
                Some(source) => String::from_utf8(read_source(&source, &s3).await?)
                    .with_context(|| format!("{source} is not UTF-8 text"))?,
                None => String::new(),
            };
            let (inputs, unreadable) = inputs::expand(&inputs, &s3).await?;
            let progress = progress_bar(inputs.len() as u64, quiet);
            let workers =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let job = Job {
                inputs,
                unreadable,
                config,
                workers,
            };
            // Counted here too: a failure is a failure even if a component's
            // report leaves it out.
            let failures = Arc::new(AtomicU64::new(0));
            let on_outcome = report_outcome(progress.clone(), failures.clone(), verbose);
            let report = analyze::analyze(&analyzer, s3.clone(), job, on_outcome).await?;
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
            let written = destination.write(&report.artifacts, &s3).await?;
            let s = &report.summary;
            eprintln!(
                "{} inputs: {} analyzed, {} skipped, {} failed; {} events, {} findings",
                s.inputs, s.analyzed, s.skipped, s.failed, s.events, s.findings
            );
            for path in written {
                say(format_args!("{path}"));
            }
            let failed = s.failed > 0 || failures.load(Ordering::Relaxed) > 0;
            Ok(if failed { EXIT_INPUT_FAILED } else { EXIT_OK })
        }
        Command::Aggregate {
            inputs,
            out,
            config,
            runtime,
        } => {
            let s3 = runtime.s3();
            let analyzer = runtime.load(&s3).await?;
            let config = match config {
                Some(source) => String::from_utf8(read_source(&source, &s3).await?)?,
                None => String::new(),
            };
            let (inputs, unreadable) = inputs::expand(&inputs, &s3).await?;
            let (result, written) =
                consolidate::consolidate(&analyzer, &s3, &inputs, &unreadable, &config, &out)
                    .await?;
            for p in &result.problems {
                report_problem(p, true);
            }
            eprintln!(
                "{} records in, {} duplicates removed, {} records out in {} part(s)",
                result.records_in, result.duplicates, result.records_out, result.parts
            );
            for path in written {
                say(format_args!("{path}"));
            }
            let failed = result
                .problems
                .iter()
                .any(|p| p.status == InputStatus::Failed);
            Ok(if failed { EXIT_INPUT_FAILED } else { EXIT_OK })
        }
        Command::Component {
            command: ComponentCommand::Info { runtime },
        } => {
            let s3 = runtime.s3();
            let analyzer = runtime.load(&s3).await?;
            let info = analyzer.info();
            say(format_args!("name:     {}", info.name));
            say(format_args!("version:  {}", info.version));
            say(format_args!("contract: {}", info.contract));
            say(format_args!("source:   {}", analyzer.origin()));
            say(format_args!("rules:    {}", info.rules.len()));
            for rule in &info.rules {
                say(format_args!(
                    "  {:<14} {:<9} {}",
                    rule.id, rule.severity, rule.title
                ));
            }
            Ok(EXIT_OK)
        }
        Command::Component {
            command: ComponentCommand::Export { file },
        } => {
            tokio::fs::write(&file, runtime::DEFAULT_COMPONENT)
                .await
                .with_context(|| format!("cannot write {}", file.display()))?;
            say(format_args!("{}", file.display()));
            Ok(EXIT_OK)
        }
    }
}

/// Failures always; skipped inputs (listed in the report anyway) on request.
fn report_problem(outcome: &InputOutcome, verbose: bool) {
    match outcome.status {
        InputStatus::Failed => eprintln!("error: {}: {}", outcome.name, outcome.detail),
        InputStatus::Skipped if verbose => {
            eprintln!("skipped: {}: {}", outcome.name, outcome.detail)
        }
        _ => {}
    }
}

/// A progress bar on a terminal for long runs; nothing otherwise.
fn progress_bar(total: u64, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || total < 50 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} inputs, {msg} events [{elapsed}]",
        )
        .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn report_outcome(
    bar: Option<indicatif::ProgressBar>,
    failures: Arc<AtomicU64>,
    verbose: bool,
) -> OnOutcome {
    let events = AtomicU64::new(0);
    Arc::new(move |outcome: &InputOutcome| {
        let total = events.fetch_add(outcome.events, Ordering::Relaxed) + outcome.events;
        if outcome.status == InputStatus::Failed {
            failures.fetch_add(1, Ordering::Relaxed);
        }
        match &bar {
            Some(bar) => {
                bar.suspend(|| report_problem(outcome, verbose));
                bar.inc(1);
                bar.set_message(total.to_string());
            }
            None => report_problem(outcome, verbose),
        }
    })
}
