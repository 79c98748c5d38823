//! The `cloudtrail-analyzer` command line.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::builder::StyledStr;
use clap::{Args, Parser, Subcommand};

use crate::analyze::{self, Job, OnOutcome};
use crate::bindings::{Artifact, InputOutcome, InputStatus};
use crate::consolidate;
use crate::digest_gate::Gate;
use crate::inputs;
use crate::outputs::Destination;
use crate::rule_files;
use crate::runtime::{self, Analyzer, ComponentPin, Limits, VerificationOptions};
use crate::storage::{self, LazyS3, S3Location};
use crate::verify;

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
    after_help = examples(TOP_EXAMPLES, Some(
        "Exit status: 0 all inputs analyzed or skipped; 1 an input failed (the rest \
         were analyzed); 2 usage error or a failure that stopped the run."
    ))
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze log files, folders and S3 prefixes into reports.
    #[command(after_help = examples(ANALYZE_EXAMPLES, None))]
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
        /// Sigma rules: a YAML file, or a folder or s3://bucket/prefix of them (*.yml,
        /// *.yaml); may be given again. The component evaluates them with its own rules.
        #[arg(long, value_name = "PATH")]
        sigma: Vec<String>,
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
    #[command(after_help = examples(AGGREGATE_EXAMPLES, None))]
    Aggregate {
        #[arg(required = true)]
        inputs: Vec<String>,
        /// A file or s3://bucket/key for the consolidated log (.json.gz); a log
        /// too large for one part is written as NAME.part-00001.json.gz, ….
        #[arg(long)]
        out: String,
        #[arg(long)]
        config: Option<String>,
        /// CloudTrail digest files (folders or s3://bucket/prefix, e.g. the trail's
        /// CloudTrail-Digest/REGION/ folder, with signature sidecars for local copies):
        /// each input is absorbed only when the digest that lists it vouches for its
        /// bytes; any other fails, named with why. Repeatable.
        #[arg(long, value_name = "PLACE")]
        digests: Vec<String>,
        /// CloudTrail's public keys for --digests (`aws cloudtrail list-public-keys`
        /// output); without it they are fetched with cloudtrail:ListPublicKeys.
        #[arg(long, value_name = "FILE", requires = "digests")]
        public_keys: Option<String>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Verify CloudTrail log file integrity: every digest file's signature and its chain,
    /// every log file's hash against the digest that lists it; exits 0 only when all are valid.
    #[command(after_help = examples(VERIFY_EXAMPLES, None))]
    Verify {
        /// Files, folders (read recursively) and s3://bucket/prefix URIs with digest files,
        /// log files and signature sidecars (DIGEST.json.gz.metadata.json).
        #[arg(required = true)]
        inputs: Vec<String>,
        /// CloudTrail's public keys: a file or s3:// URI with the output of
        /// `aws cloudtrail list-public-keys` (JSON). Without it, the keys are fetched with
        /// cloudtrail:ListPublicKeys in each region the digests are from.
        #[arg(long, value_name = "FILE")]
        public_keys: Option<String>,
        /// Only the digests of hours that overlap [--from, --to] and the log files they
        /// list (UTC: 2026-03-01 or 2026-03-01T10:00:00Z); files named well outside are
        /// not read.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// The end of the hours to verify; see --from.
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Consolidated logs to prove (a folder or s3://bucket/prefix with their
        /// manifest.json files, e.g. s3://bucket/consolidated/): each raw file a manifest
        /// says it absorbed is rebuilt from its parts and checked against its digest, and
        /// a record in no absorbed raw file is named. Repeatable.
        #[arg(long, value_name = "PLACE")]
        consolidated: Vec<String>,
        /// A folder or s3://bucket/prefix for verification.json and report.html.
        #[arg(long)]
        out: String,
        /// Parallel workers [default: the number of cores].
        #[arg(long)]
        jobs: Option<usize>,
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
    #[command(after_help = examples(INFO_EXAMPLES, None))]
    Info {
        /// Sigma rules to load first: the loaded ones are listed with the built-in ones,
        /// the refused ones with their reasons.
        #[arg(long, value_name = "PATH")]
        sigma: Vec<String>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Write the embedded default component: the starting point for custom rules.
    #[command(after_help = examples(EXPORT_EXAMPLES, None))]
    Export { file: PathBuf },
    /// Exercise a component in this process (compile, `info`, a tiny analysis and a tiny
    /// consolidation) and exit 0 if it held. Every other command runs this in a child
    /// process, bounded in time and memory, before it adopts a --component.
    Probe {
        /// A rules configuration (JSON) file, passed to the component.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
}

/// Examples at the end of `--help`: what each is for, then the command.
/// Each must run as written with the flags above (the CLI tests parse them
/// back through the binary and run the local ones).
type Examples = &'static [(&'static str, &'static str)];

const TOP_EXAMPLES: Examples = &[
    (
        "Analyze a folder of logs; the report goes to ./report",
        "cloudtrail-analyzer analyze ./AWSLogs --out report",
    ),
    (
        "Consolidate a day of logs in S3 into one file, with an AWS profile's credentials",
        "AWS_PROFILE=audit cloudtrail-analyzer aggregate \
         s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/01/ \
         --out 2024-06-01.json.gz",
    ),
    (
        "Write the embedded component, the starting point for custom rules",
        "cloudtrail-analyzer component export rules.wasm",
    ),
];

const ANALYZE_EXAMPLES: Examples = &[
    (
        "A folder of logs (read recursively); the report goes to ./report",
        "cloudtrail-analyzer analyze ./AWSLogs --out report",
    ),
    (
        "Every log under an S3 prefix, with an AWS profile's credentials",
        "AWS_PROFILE=audit cloudtrail-analyzer analyze s3://my-trail-bucket/AWSLogs/ --out report",
    ),
    (
        "Custom rules and their configuration; the report is written to S3",
        "cloudtrail-analyzer analyze ./AWSLogs --component rules.wasm --config rules.json \
         --out s3://my-reports/2024-06/",
    ),
];

const AGGREGATE_EXAMPLES: Examples = &[
    (
        "One day of local logs into one gzip log (in parts past 256 MiB)",
        "cloudtrail-analyzer aggregate ./AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/01 \
         --out 2024-06-01.json.gz",
    ),
    (
        "From and to an S3-compatible server (MinIO, LocalStack, …)",
        "cloudtrail-analyzer aggregate \
         s3://trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/01/ \
         --out s3://trail/daily/2024-06-01.json.gz --endpoint-url http://localhost:9000",
    ),
    (
        "A large day from S3 with 32 GiB of scratch, only files its digests vouch for",
        "AWS_PROFILE=audit cloudtrail-analyzer aggregate \
         s3://trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/01/ \
         --digests s3://trail/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/06/ \
         --out s3://trail/daily/2024-06-01.json.gz --scratch-limit-mb 32768",
    ),
];

const VERIFY_EXAMPLES: Examples = &[
    (
        "Local copies, with keys saved from `aws cloudtrail list-public-keys`",
        "cloudtrail-analyzer verify ./AWSLogs --public-keys keys.json --out verification",
    ),
    (
        "A bucket: signatures from object metadata, keys from cloudtrail:ListPublicKeys",
        "AWS_PROFILE=audit cloudtrail-analyzer verify s3://my-trail-bucket/AWSLogs/123456789012/ \
         --out verification",
    ),
    (
        "A day of an organization trail after cleanup: raw files rebuilt from consolidated logs",
        "AWS_PROFILE=audit cloudtrail-analyzer verify s3://org-trail-bucket/AWSLogs/o-abc123def4/ \
         --consolidated s3://org-trail-bucket/consolidated/o-abc123def4/ \
         --from 2026-03-01 --to 2026-03-01 --out verification",
    ),
];

const INFO_EXAMPLES: Examples = &[
    (
        "The embedded default component",
        "cloudtrail-analyzer component info",
    ),
    (
        "A custom component",
        "cloudtrail-analyzer component info --component rules.wasm",
    ),
    (
        "A component kept in S3, with an AWS profile's credentials",
        "AWS_PROFILE=audit cloudtrail-analyzer component info \
         --component s3://my-artifacts/rules.wasm",
    ),
];

const EXPORT_EXAMPLES: Examples = &[
    (
        "Write the embedded component to rules.wasm",
        "cloudtrail-analyzer component export rules.wasm",
    ),
    (
        "Then run it as a custom component",
        "cloudtrail-analyzer analyze ./AWSLogs --component rules.wasm --out report",
    ),
];

/// An "Examples:" section styled like clap's own headings, then `trailer`.
/// A long command is broken between words (never between a flag and its
/// value) with a shell line continuation, so it still pastes into a shell as it is.
fn examples(examples: Examples, trailer: Option<&str>) -> StyledStr {
    const WIDTH: usize = 90;
    let header = *clap::builder::styling::Styles::default().get_header();
    let mut text = format!("{header}Examples:{header:#}\n");
    for (what, command) in examples {
        text.push_str(&format!("  # {what}\n "));
        // A flag keeps its value; any other word can start a line.
        let mut chunks: Vec<String> = Vec::new();
        for word in command.split(' ') {
            match chunks.last_mut() {
                Some(flag) if flag.starts_with("--") && !flag.contains(' ') => {
                    flag.push(' ');
                    flag.push_str(word);
                }
                _ => chunks.push(word.to_owned()),
            }
        }
        let mut line = 1;
        for (i, chunk) in chunks.iter().enumerate() {
            // A line that goes on ends with ` \`: two more columns.
            let continued = if i + 1 < chunks.len() { 2 } else { 0 };
            if i > 0 && line + 1 + chunk.len() + continued > WIDTH {
                text.push_str(" \\\n     ");
                line = 5;
            }
            text.push(' ');
            text.push_str(chunk);
            line += 1 + chunk.len();
        }
        text.push_str("\n\n");
    }
    match trailer {
        Some(trailer) => text.push_str(trailer),
        None => text.truncate(text.trim_end().len()),
    }
    text.into()
}

#[derive(Args, Clone)]
struct RuntimeArgs {
    /// The analyzer component: a .wasm file or s3://bucket/key [default: the embedded one].
    #[arg(long, env = "CTA_COMPONENT_URI")]
    component: Option<String>,
    /// Run the component only if its SHA-256 is this (64 hex digits; empty: no pin); checked
    /// before compiling, and against the embedded one when no --component is given.
    #[arg(long, env = "CTA_COMPONENT_SHA256", value_name = "HEX", value_parser = parse_pin)]
    component_sha256: Option<PinArg>,
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

    /// The component to run: a --component is probed first, in a child
    /// process (see `runtime::probe`), with `config`.
    async fn load(&self, s3: &LazyS3, config: &str) -> Result<Analyzer> {
        let (bytes, origin) = self.read(s3).await?;
        if self.component.is_some() {
            runtime::probe::probe(
                &bytes,
                &origin,
                config,
                self.limits()?,
                self.cache().as_deref(),
            )
            .await?;
        }
        self.compile(&bytes, &origin).await
    }

    /// The component, loaded with no probe: what the probe itself runs.
    async fn load_unprobed(&self, s3: &LazyS3) -> Result<Analyzer> {
        let (bytes, origin) = self.read(s3).await?;
        self.compile(&bytes, &origin).await
    }

    fn limits(&self) -> Result<Limits> {
        Limits::new(self.memory_limit_mb, self.time_limit_secs)?
            .with_scratch_mb(self.scratch_limit_mb)
    }

    fn cache(&self) -> Option<PathBuf> {
        if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(runtime::default_cache_dir)
        }
    }

    /// The component's bytes and where they came from, checked against the
    /// pin before anything parses them.
    async fn read(&self, s3: &LazyS3) -> Result<(Cow<'static, [u8]>, String)> {
        let (bytes, origin) = match &self.component {
            // Borrowed, not copied: see `runtime::cache_key`.
            None => (
                Cow::Borrowed(runtime::DEFAULT_COMPONENT),
                "the embedded default component".to_owned(),
            ),
            Some(source) => (Cow::Owned(read_source(source, s3).await?), source.clone()),
        };
        if let Some(PinArg(Some(pin))) = &self.component_sha256 {
            pin.check(&bytes, &origin)?;
        }
        Ok((bytes, origin))
    }

    async fn compile(&self, bytes: &[u8], origin: &str) -> Result<Analyzer> {
        let engine = runtime::new_engine()?;
        Analyzer::load(
            &engine,
            bytes,
            origin,
            self.cache().as_deref(),
            self.limits()?,
        )
        .await
    }
}

/// `--component-sha256`, parsed; `None` when empty, so an empty
/// `CTA_COMPONENT_SHA256` means no pin, as it does in Lambda.
#[derive(Clone)]
struct PinArg(Option<ComponentPin>);

/// `--component-sha256`: 64 hexadecimal digits or nothing, else a usage error.
fn parse_pin(text: &str) -> Result<PinArg, String> {
    if text.is_empty() {
        return Ok(PinArg(None));
    }
    ComponentPin::parse(text, "--component-sha256 (CTA_COMPONENT_SHA256)")
        .map(|pin| PinArg(Some(pin)))
        .map_err(|e| format!("{e:#}"))
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

/// `--public-keys`: a key list that is empty is a usage error, not "fetch
/// them" (which is what leaving the option out means).
async fn read_public_keys(source: &str, s3: &LazyS3) -> Result<Vec<u8>> {
    let keys = read_source(source, s3).await?;
    anyhow::ensure!(!keys.is_empty(), "public keys: {source} is empty");
    Ok(keys)
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
    let started = Instant::now();
    match cli.command {
        Command::Analyze {
            inputs,
            out,
            config,
            sigma,
            jobs,
            quiet,
            verbose,
            runtime,
        } => {
            let s3 = runtime.s3();
            let destination = Destination::parse(&out)?;
            let config = read_config(config.as_deref(), &s3).await?;
            let mut analyzer = runtime.load(&s3, &config).await?;
            if !sigma.is_empty() {
                let files = rule_files::read(&sigma, &s3).await?;
                let (with_rules, set) = analyzer.with_rule_files(files).await?;
                rule_files::check(&set)?;
                analyzer = with_rules;
            }
            let (inputs, unreadable) = inputs::expand(&inputs, &s3).await?;
            let tally = Arc::new(Tally::default());
            let progress = progress_bar(inputs.len() as u64, quiet, tally.clone());
            let workers = jobs.unwrap_or_else(default_workers);
            let job = Job {
                inputs,
                unreadable,
                config,
                workers,
            };
            // Counted here too: a failure is a failure even if a component's
            // report leaves it out.
            let failures = Arc::new(AtomicU64::new(0));
            let on_outcome =
                report_outcome(progress.clone(), tally.clone(), failures.clone(), verbose);
            let analyzing = Instant::now();
            let (report, written) =
                analyze::analyze(&analyzer, s3.clone(), job, on_outcome, &destination).await?;
            let analysis = analyzing.elapsed();
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
            let s = &report.summary;
            // The whole run, then the analysis alone (without loading the
            // component and listing the inputs), as the progress bar saw it.
            eprintln!(
                "{} inputs: {} analyzed, {} skipped, {} failed; {} events, {} findings; \
                 done in {} (analysis {}: {})",
                s.inputs,
                s.analyzed,
                s.skipped,
                s.failed,
                s.events,
                s.findings,
                human_duration(started.elapsed()),
                human_duration(analysis),
                throughput(s.events, tally.bytes.load(Ordering::Relaxed), analysis),
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
            digests,
            public_keys,
            runtime,
        } => {
            let s3 = runtime.s3();
            let config = read_config(config.as_deref(), &s3).await?;
            let analyzer = runtime.load(&s3, &config).await?;
            let (inputs, unreadable) = inputs::expand(&inputs, &s3).await?;
            let gate = if digests.is_empty() {
                None
            } else {
                let (digests, unreadable) = inputs::expand(&digests, &s3).await?;
                if let Some(u) = unreadable.first() {
                    // Unread digests would leave every input unverified.
                    anyhow::bail!("cannot read {}: {}", u.name, u.reason);
                }
                let keys = match public_keys {
                    Some(source) => read_public_keys(&source, &s3).await?,
                    None => Vec::new(),
                };
                Some(Gate::open(&analyzer, &s3, &digests, keys).await?)
            };
            let (result, written) =
                consolidate::consolidate(&analyzer, &s3, &inputs, &unreadable, gate, &config, &out)
                    .await?;
            for p in &result.problems {
                report_problem(p, true);
            }
            eprintln!(
                "{} records in, {} duplicates removed, {} records out in {} part(s); done in {}",
                result.records_in,
                result.duplicates,
                result.records_out,
                result.parts,
                human_duration(started.elapsed()),
            );
            if result.conflicts > 0 {
                eprintln!(
                    "warning: {} record(s) share an eventID and eventTime with another record but \
                     differ in bytes (rewritten or forged?); every copy is kept: {}",
                    result.conflicts,
                    crate::runtime::untrusted::one_line(&result.conflicting.join(", "))
                );
            }
            for path in written {
                say(format_args!("{path}"));
            }
            let failed = result
                .problems
                .iter()
                .any(|p| p.status == InputStatus::Failed);
            Ok(if failed { EXIT_INPUT_FAILED } else { EXIT_OK })
        }
        Command::Verify {
            inputs,
            public_keys,
            from,
            to,
            consolidated,
            out,
            jobs,
            runtime,
        } => {
            let s3 = runtime.s3();
            let destination = Destination::parse(&out)?;
            let fetch_keys = public_keys.is_none();
            let public_keys = match public_keys {
                Some(source) => read_public_keys(&source, &s3).await?,
                None => Vec::new(),
            };
            let analyzer = runtime.load(&s3, "").await?;
            let (inputs, mut unreadable) = inputs::expand(&inputs, &s3).await?;
            let (consolidated, more_unreadable) = inputs::expand(&consolidated, &s3).await?;
            unreadable.extend(more_unreadable);
            let job = verify::Job {
                inputs,
                consolidated,
                unreadable,
                options: VerificationOptions {
                    public_keys,
                    from,
                    to,
                },
                fetch_keys,
                workers: jobs.unwrap_or_else(default_workers),
            };
            let on_error: verify::OnError =
                Arc::new(|name: &str, reason: &str| eprintln!("error: {name}: {reason}"));
            let report = verify::verify(&analyzer, s3.clone(), job, on_error).await?;
            let counts: Vec<String> = report
                .counts
                .iter()
                .map(|(verdict, n)| format!("{n} {verdict}"))
                .collect();
            eprintln!(
                "{}; done in {}",
                counts.join(", "),
                human_duration(started.elapsed())
            );
            for artifact in [
                Artifact {
                    name: "verification.json".into(),
                    media_type: "application/json".into(),
                    data: report.json,
                },
                Artifact {
                    name: "report.html".into(),
                    media_type: "text/html".into(),
                    data: report.html,
                },
            ] {
                say(destination.write_one(artifact, &s3).await?);
            }
            Ok(if report.all_valid {
                EXIT_OK
            } else {
                EXIT_INPUT_FAILED
            })
        }
        Command::Component {
            command: ComponentCommand::Info { sigma, runtime },
        } => {
            let s3 = runtime.s3();
            let mut analyzer = runtime.load(&s3, "").await?;
            let mut refused = Vec::new();
            if !sigma.is_empty() {
                let files = rule_files::read(&sigma, &s3).await?;
                let set;
                (analyzer, set) = analyzer.with_rule_files(files).await?;
                refused = set.refused;
            }
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
            if !refused.is_empty() {
                say(format_args!("refused:  {}", refused.len()));
                for r in &refused {
                    let kind = if r.unsupported {
                        "unsupported"
                    } else {
                        "broken"
                    };
                    let rule = if r.rule.is_empty() { "" } else { &r.rule };
                    say(format_args!("  {} {rule} ({kind}): {}", r.file, r.reason));
                }
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
        Command::Component {
            command: ComponentCommand::Probe { config, runtime },
        } => {
            let s3 = runtime.s3();
            let config = match config {
                Some(path) => tokio::fs::read_to_string(&path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?,
                None => String::new(),
            };
            let analyzer = runtime.load_unprobed(&s3).await?;
            runtime::probe::exercise(&analyzer, &config).await?;
            Ok(EXIT_OK)
        }
    }
}

/// The rules configuration named by `--config` (a file or S3 object), or
/// the defaults (empty).
async fn read_config(source: Option<&str>, s3: &LazyS3) -> Result<String> {
    match source {
        Some(source) => String::from_utf8(read_source(source, s3).await?)
            .with_context(|| format!("{source} is not UTF-8 text")),
        None => Ok(String::new()),
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

/// What the inputs analyzed so far add up to, for the progress bar and the
/// summary line.
#[derive(Default)]
struct Tally {
    events: AtomicU64,
    /// Bytes read as handed over (the compressed size of a gzip file).
    bytes: AtomicU64,
}

/// `12345 events/s, 6.7 MB/s` of input read.
fn throughput(events: u64, bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    format!(
        "{:.0} events/s, {:.1} MB/s",
        events as f64 / secs,
        bytes as f64 / 1e6 / secs
    )
}

/// `0.42s`, `3m 07s`, `1h 02m 09s`.
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{:.2}s", d.as_secs_f64()),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m {:02}s", secs / 3600, secs / 60 % 60, secs % 60),
    }
}

/// A progress bar on a terminal for long runs; nothing otherwise. Its
/// position counts inputs (and drives the ETA); the rates are drawn on
/// every tick from what the finished inputs read.
fn progress_bar(total: u64, quiet: bool, tally: Arc<Tally>) -> Option<indicatif::ProgressBar> {
    if quiet || total < 50 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{wide_bar} {pos}/{len} inputs, {events} events, {rate}, ETA {eta}",
    )
    .expect("valid template");
    let events = tally.clone();
    let style = style
        .with_key(
            "events",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&events.events.load(Ordering::Relaxed).to_string());
            },
        )
        .with_key(
            "rate",
            move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let rate = throughput(
                    tally.events.load(Ordering::Relaxed),
                    tally.bytes.load(Ordering::Relaxed),
                    state.elapsed(),
                );
                let _ = w.write_str(&rate);
            },
        );
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn report_outcome(
    bar: Option<indicatif::ProgressBar>,
    tally: Arc<Tally>,
    failures: Arc<AtomicU64>,
    verbose: bool,
) -> OnOutcome {
    Arc::new(move |outcome: &InputOutcome| {
        tally.events.fetch_add(outcome.events, Ordering::Relaxed);
        tally.bytes.fetch_add(outcome.bytes, Ordering::Relaxed);
        if outcome.status == InputStatus::Failed {
            failures.fetch_add(1, Ordering::Relaxed);
        }
        match &bar {
            Some(bar) => {
                bar.suspend(|| report_problem(outcome, verbose));
                bar.inc(1);
            }
            None => report_problem(outcome, verbose),
        }
    })
}

/// One worker per core.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(420)), "0.42s");
        assert_eq!(human_duration(Duration::from_secs(187)), "3m 07s");
        assert_eq!(human_duration(Duration::from_secs(3729)), "1h 02m 09s");
    }

    #[test]
    fn throughput_in_events_and_megabytes_per_second() {
        assert_eq!(
            throughput(5000, 3_000_000, Duration::from_secs(2)),
            "2500 events/s, 1.5 MB/s"
        );
    }

    #[test]
    fn long_examples_break_into_lines_that_paste_into_a_shell() {
        for list in [
            TOP_EXAMPLES,
            ANALYZE_EXAMPLES,
            AGGREGATE_EXAMPLES,
            VERIFY_EXAMPLES,
            INFO_EXAMPLES,
            EXPORT_EXAMPLES,
        ] {
            let text = examples(list, None).to_string();
            assert!(text.lines().all(|l| l.chars().count() <= 90), "{text}");
            // Joined back, each line is the command as written.
            let joined = text.replace(" \\\n      ", " ");
            for (_, command) in list {
                assert!(
                    joined.lines().any(|l| l == format!("  {command}")),
                    "{joined}"
                );
            }
        }
        let text = examples(AGGREGATE_EXAMPLES, None).to_string();
        assert!(text.contains(" \\\n      --out"), "{text}");
    }
}
