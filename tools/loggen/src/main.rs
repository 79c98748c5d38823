//! `loggen`: writes a deterministic set of CloudTrail log files to a
//! folder, or one big consolidated log file, and prints a one-line summary.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use loggen::{Generator, Spec, Summary};

/// Generate realistic, deterministic AWS CloudTrail logs.
///
/// Defaults are the sample set (Spec::small): 3 accounts, 3 regions,
/// 2 days from 2026-11-01, 2 files per account-region-day, 25 events per
/// file, digest files on, the second account under an organization trail.
#[derive(Parser, Debug)]
#[command(name = "loggen", version = loggen::VERSION)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["out", "consolidated"]))]
struct Args {
    /// Write the files of the spec under DIR, keys as relative paths.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write ONE gzip {"Records":[...]} file instead (needs --bytes).
    #[arg(long, value_name = "FILE", requires = "bytes")]
    consolidated: Option<PathBuf>,
    /// Uncompressed JSON size to reach with --consolidated: a number with an
    /// optional K, M or G (powers of 1024) or KB, MB, GB (powers of 1000).
    #[arg(long, value_name = "N", value_parser = parse_size)]
    bytes: Option<u64>,
    #[arg(long, default_value_t = Spec::small().seed)]
    seed: u64,
    #[arg(long, value_name = "N", default_value_t = 3)]
    accounts: usize,
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=17))]
    regions: u64,
    #[arg(long, value_name = "N", default_value_t = 2)]
    days: u32,
    /// Log files per account, region and day.
    #[arg(long, value_name = "N", default_value_t = 2)]
    files_per_day: u32,
    #[arg(long, value_name = "N", default_value_t = 25)]
    events_per_file: u32,
    /// Log odd-numbered accounts through organization o-exampleorg1 (the default).
    #[arg(long, overrides_with = "no_org")]
    org: bool,
    /// Log every account through its own trail only.
    #[arg(long)]
    no_org: bool,
    /// First day, YYYY-MM-DD (UTC).
    #[arg(long, value_name = "DATE", default_value = "2026-11-01", value_parser = parse_day)]
    start: (i32, u32, u32),
    /// Do not write CloudTrail-Digest files.
    #[arg(long)]
    no_digests: bool,
    /// Also write each digest's signature beside it (DIGEST.metadata.json) and the test
    /// key that signs them (public-keys.json), for `cloudtrail-analyzer verify`.
    #[arg(long, conflicts_with = "no_digests")]
    signatures: bool,
    /// S3 key prefix to put before AWSLogs/.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    prefix: String,
    /// Worker threads [default: LOGGEN_THREADS, else the cores, at most 4].
    /// The output is the same for any count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: Option<u64>,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_day(s: &str) -> Result<(i32, u32, u32), String> {
    loggen::time::parse_date(s).ok_or_else(|| format!("'{s}' is not a date: use YYYY-MM-DD"))
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size: use e.g. 1073741824, 1G or 500MB"))?;
    let mult: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => {
            return Err(format!(
                "unknown size unit in '{s}': use K, M, G, KB, MB or GB"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size '{s}' is too large"))
}

impl Args {
    fn spec(&self) -> Spec {
        let small = Spec::small();
        Spec {
            seed: self.seed,
            accounts: Spec::account_ids(self.accounts),
            regions: Spec::region_names(self.regions as usize),
            org_id: if self.no_org { None } else { small.org_id },
            start_day: self.start,
            days: self.days,
            files_per_partition_day: self.files_per_day,
            events_per_file: self.events_per_file,
            digest_files: !self.no_digests,
            key_prefix: self.prefix.clone(),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let spec = args.spec();
    let threads = args
        .threads
        .map_or_else(loggen::default_threads, |n| n as usize);
    let started = Instant::now();
    let (target, result) = if let Some(dir) = &args.out {
        let files = Generator::with_threads(&spec, threads);
        (
            dir.display().to_string(),
            if args.signatures {
                loggen::write_files_with_signatures(files, dir)
            } else {
                loggen::write_files(files, dir)
            }
            .map(|s| (s, None)),
        )
    } else {
        let path = args
            .consolidated
            .as_ref()
            .expect("clap requires --out or --consolidated");
        let bytes = args.bytes.expect("clap requires --bytes");
        let run = || -> std::io::Result<(Summary, Option<u64>)> {
            let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
            let (summary, raw) = loggen::consolidated_stats(&spec, bytes, file, threads)?;
            Ok((summary, Some(raw)))
        };
        (path.display().to_string(), run())
    };
    let (summary, raw) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loggen: cannot write {target}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let rate = summary.events as f64 / secs.max(1e-9);
    if args.json {
        let mut v = serde_json::to_value(summary).expect("summary serializes");
        v["uncompressed_bytes"] = serde_json::json!(raw);
        v["seconds"] = serde_json::json!(secs);
        v["events_per_second"] = serde_json::json!(rate.round());
        println!("{v}");
    } else {
        let raw = raw.map_or(String::new(), |r| format!(" ({r} uncompressed)"));
        println!(
            "loggen: {} files ({} digests), {} events, {} bytes{raw} -> {target} in {secs:.2} s ({rate:.0} events/s)",
            summary.files, summary.digests, summary.events, summary.bytes
        );
    }
    ExitCode::SUCCESS
}
