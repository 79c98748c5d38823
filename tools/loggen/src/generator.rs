//! Turns a [`Spec`] into files: which records go in which file, their
//! times, the file names, and the hourly digests between them.
//!
//! Order of the output: accounts, then regions, then days, then the files
//! of a day in delivery order, each hour's digest right after the last log
//! file it covers. Every file draws from its own derived random stream, so
//! a file's bytes depend only on the seed and its position.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use flate2::Compression;

use crate::digest::{Covered, DigestInput, Previous, write_digest};
use crate::events::{Api, Caller, EventCtx, Pick, event_json, write_event};
use crate::gz::Gzip;
use crate::ids::push_alnum;
use crate::layout;
use crate::rng::Rng;
use crate::time::{self, DAY};
use crate::world::World;
use crate::{LogFile, Spec};

// Stream tags, so the streams of different uses never coincide.
const TAG_FILE: u64 = 0xF11E;
const TAG_LEGACY: u64 = 0x01D;

/// Calls that must show up in every output, however small: the rare
/// security-relevant changes and every identity type. Without this a small
/// sample would miss most of them by chance. They are handed out from the
/// first files on, a few per file, then the normal random mix takes over.
///
/// Global services log only in the home region, so they have their own list.
const MUST_HOME: &[Pick] = &[
    Pick::new(Caller::IamUser, Api::ConsoleLogin),
    Pick::failing(Caller::IamUser, Api::ConsoleLogin),
    Pick::new(Caller::Root, Api::ConsoleLogin),
    Pick::new(Caller::Root, Api::IamCreateAccessKey),
    Pick::new(Caller::IamUser, Api::IamPutUserPolicy),
    Pick::new(Caller::AssumedRole, Api::IamAttachRolePolicy),
    Pick::new(Caller::IamUser, Api::IamCreateAccessKey),
    Pick::new(Caller::AssumedRole, Api::IamCreateUser),
    Pick::failing(Caller::IamUser, Api::IamGetUser),
    Pick::new(Caller::AssumedRole, Api::ConsoleLogin),
    Pick::new(Caller::IdentityCenterUser, Api::SsoGetRoleCredentials),
    Pick::new(Caller::AssumedRole, Api::OrgDescribeOrganization),
    Pick::new(Caller::AssumedRole, Api::OrgListAccounts),
];
const MUST_ANY: &[Pick] = &[
    Pick::new(Caller::AssumedRole, Api::CtStopLogging),
    Pick::new(Caller::AssumedRole, Api::CtPutEventSelectors),
    Pick::new(Caller::AssumedRole, Api::KmsDisableKey),
    Pick::new(Caller::AssumedRole, Api::KmsScheduleKeyDeletion),
    Pick::new(Caller::AssumedRole, Api::ConfigStopConfigurationRecorder),
    Pick::new(Caller::AssumedRole, Api::GdDeleteDetector),
    Pick::new(Caller::AssumedRole, Api::Ec2AuthorizeSecurityGroupIngress),
    Pick::new(Caller::IamUser, Api::Ec2CreateRoute),
    Pick::new(Caller::AssumedRole, Api::Ec2CreateNetworkAcl),
    Pick::new(Caller::AssumedRole, Api::Ec2CreateVpc),
    Pick::new(Caller::AssumedRole, Api::Ec2AttachInternetGateway),
    Pick::new(Caller::AssumedRole, Api::S3PutBucketPolicy),
    Pick::new(Caller::IamUser, Api::S3PutBucketAcl),
    Pick::new(Caller::AssumedRole, Api::S3DeletePublicAccessBlock),
    Pick::new(Caller::Nobody, Api::Insight),
    Pick::new(Caller::SamlUser, Api::StsAssumeRoleWithSaml),
    Pick::new(Caller::WebIdentityUser, Api::StsAssumeRoleWithWebIdentity),
    Pick::new(Caller::AwsAccount, Api::S3GetObject),
    Pick::new(Caller::FederatedUser, Api::Ec2DescribeInstances),
    Pick::new(Caller::AwsService, Api::StsAssumeRole),
    Pick::new(Caller::ServiceEvent, Api::KmsRotateKey),
    Pick::new(Caller::ServiceEvent, Api::BackupJobCompleted),
    Pick::new(Caller::Root, Api::S3ListBuckets),
    Pick::new(Caller::AssumedRole, Api::LambdaInvoke),
    Pick::new(Caller::IamUser, Api::StsGetSessionToken),
    Pick::failing(Caller::AssumedRole, Api::Ec2DescribeInstances),
    Pick::failing(Caller::IamUser, Api::S3GetObject),
    Pick::failing(Caller::AssumedRole, Api::KmsDecrypt),
];

/// How many scheduled calls a file takes at most, per list.
const MUST_PER_FILE: usize = 2;

/// Per mille of log files written as an older trail (2014–2019) wrote
/// them: every record but Insights has an `eventVersion` from 1.02 to 1.06
/// and lacks the fields that came later (see [`write_event`]). Decided per
/// file from its own random stream, so the other files do not change.
const LEGACY_PER_MILLE: u32 = 30;

/// The older versions' weights, by minor version (1.02 ... 1.06); most
/// records of the late 2010s were 1.04 or 1.05.
const LEGACY_MINORS: &[(u32, u8)] = &[(15, 2), (15, 3), (25, 4), (30, 5), (15, 6)];

/// The file (by ordinal) that is always in the oldest format, 1.02, so even
/// the sample set has older records of every kind: without
/// `eventCategory`, `managementEvent` and `resources`, and with the calls
/// below, which add records without `sourceIPAddress` and identities
/// without `type`.
const LEGACY_FILE: u64 = 1;
const MUST_LEGACY: &[Pick] = &[
    Pick::new(Caller::ServiceEvent, Api::KmsRotateKey),
    Pick::new(Caller::AwsService, Api::StsAssumeRole),
    Pick::new(Caller::AssumedRole, Api::KmsDecrypt),
];

/// The format of the file at `ordinal` (and `slot`): `Some(minor)` for an
/// older trail's `eventVersion` `1.0<minor>`, `None` for today's.
pub fn legacy_minor(seed: u64, ordinal: u64, slot: &Slot) -> Option<u8> {
    if ordinal == LEGACY_FILE {
        return Some(2);
    }
    let mut rng = Rng::derive(seed, &slot.path(TAG_LEGACY));
    rng.per_mille(LEGACY_PER_MILLE)
        .then(|| *rng.weighted(LEGACY_MINORS))
}

/// The scheduled calls of a file: a pure function of its position (its
/// ordinal among all files and among home-region files), so files can be
/// made in any order or in parallel and still come out the same.
pub fn scheduled(ordinal: u64, home_ordinal: Option<u64>, records: usize) -> Vec<Pick> {
    let mut picks = Vec::new();
    let mut take = |list: &[Pick], n: u64| {
        for i in 0..MUST_PER_FILE as u64 {
            if let Some(p) = usize::try_from(n * MUST_PER_FILE as u64 + i)
                .ok()
                .and_then(|i| list.get(i))
            {
                picks.push(*p);
            }
        }
    };
    if let Some(h) = home_ordinal {
        take(MUST_HOME, h);
    }
    take(MUST_ANY, ordinal);
    if ordinal == LEGACY_FILE {
        picks.extend_from_slice(MUST_LEGACY);
    }
    picks.truncate(records);
    picks
}

/// Where a file sits in the output.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub account: usize,
    pub region: usize,
    pub day: u32,
    pub file: u32,
    /// Only the consolidated writer goes around more than once.
    pub round: u64,
}

impl Slot {
    fn path(&self, tag: u64) -> [u64; 6] {
        [
            tag,
            self.account as u64,
            self.region as u64,
            u64::from(self.day),
            u64::from(self.file),
            self.round,
        ]
    }
}

/// The time span a file's records cover.
pub struct Span {
    pub oldest: i64,
    pub newest: i64,
}

/// Writes the records of one file, comma-separated, to `out`, in the
/// older format `1.0<legacy>` when `legacy` is set.
///
/// The day is cut into `files_per_partition_day` windows; records spread
/// over their file's window in order, and a quarter of them are pulled up
/// to 90 s earlier, so times are ordered roughly but not strictly, as in
/// real files.
pub fn write_records(
    spec: &Spec,
    world: &World,
    slot: Slot,
    scheduled: &[Pick],
    legacy: Option<u8>,
    out: &mut String,
) -> Span {
    let mut rng = Rng::derive(spec.seed, &slot.path(TAG_FILE));
    let day_start = time::midnight(spec.start_day) + i64::from(slot.day) * DAY;
    let files = i64::from(spec.files_per_partition_day.max(1));
    let w0 = day_start + i64::from(slot.file) * DAY / files;
    let w1 = day_start + (i64::from(slot.file) + 1) * DAY / files;
    let n = spec.events_per_file as usize;
    let step = ((w1 - w0) / n.max(1) as i64).max(1);
    let account = &world.accounts[slot.account];
    let region = spec.regions[slot.region].as_str();
    let mut span = Span {
        oldest: i64::MAX,
        newest: i64::MIN,
    };
    let mut next_scheduled = 0;
    for k in 0..n {
        let mut t = w0 + (k as i64 * (w1 - w0)) / n as i64 + rng.below(step as u64) as i64;
        if rng.per_mille(250) {
            t -= rng.below(90) as i64;
        }
        let t = t.clamp(day_start, day_start + DAY - 1);
        span.oldest = span.oldest.min(t);
        span.newest = span.newest.max(t);
        if k > 0 {
            out.push(',');
        }
        let ctx = EventCtx {
            world,
            account,
            region,
            time: t,
            legacy,
        };
        // Scheduled calls sit at evenly spread positions in the file.
        let m = scheduled.len();
        if next_scheduled < m && k == (2 * next_scheduled + 1) * n / (2 * m) {
            write_event(&mut rng, &ctx, scheduled[next_scheduled], out);
            next_scheduled += 1;
        } else {
            event_json(&mut rng, &ctx, out);
        }
    }
    if n == 0 {
        span.oldest = w0;
        span.newest = w0;
    }
    span
}

/// Everything needed to build any file of a spec, shared read-only by
/// worker threads.
pub struct Plan {
    pub spec: Spec,
    pub world: World,
    /// Per region index: is it the home region, and how many home regions
    /// come before it (a spec could list a region twice).
    is_home: Vec<bool>,
    homes_before: Vec<u64>,
    homes: u64,
}

impl Plan {
    pub fn new(spec: &Spec) -> Plan {
        let world = World::new(spec);
        let is_home: Vec<bool> = spec
            .regions
            .iter()
            .map(|r| *r == world.home_region)
            .collect();
        let homes_before = is_home
            .iter()
            .scan(0u64, |n, &h| {
                let before = *n;
                *n += u64::from(h);
                Some(before)
            })
            .collect();
        Plan {
            homes: is_home.iter().filter(|h| **h).count() as u64,
            spec: spec.clone(),
            world,
            is_home,
            homes_before,
        }
    }

    fn dims(&self) -> (u64, u64, u64, u64) {
        let s = &self.spec;
        (
            s.accounts.len() as u64,
            s.regions.len() as u64,
            u64::from(s.days),
            u64::from(s.files_per_partition_day),
        )
    }

    /// The `g`-th log file of [`crate::generate`]'s order (accounts, regions,
    /// days, files), and its ordinal among home-region files.
    pub fn slot(&self, g: u64) -> (Slot, Option<u64>) {
        let (_, nr, nd, nf) = self.dims();
        let (f, x) = (g % nf, g / nf);
        let (d, x) = (x % nd, x / nd);
        let (r, a) = (x % nr, x / nr);
        let slot = Slot {
            account: a as usize,
            region: r as usize,
            day: d as u32,
            file: f as u32,
            round: 0,
        };
        let home = self.is_home[r as usize]
            .then(|| ((a * self.homes + self.homes_before[r as usize]) * nd + d) * nf + f);
        (slot, home)
    }

    /// The `v`-th file slot of the consolidated file's order: rounds, then
    /// days, accounts, regions, files (so a big file reads like a time
    /// series of the whole estate), and its home-region ordinal.
    pub fn virtual_slot(&self, v: u64) -> (Slot, Option<u64>) {
        let (na, nr, nd, nf) = self.dims();
        let per_round = na * nr * nd * nf;
        let (round, w) = (v / per_round, v % per_round);
        let (f, x) = (w % nf, w / nf);
        let (r, x) = (x % nr, x / nr);
        let (a, d) = (x % na, x / na);
        let slot = Slot {
            account: a as usize,
            region: r as usize,
            day: d as u32,
            file: f as u32,
            round,
        };
        let home = self.is_home[r as usize].then(|| {
            (((round * nd + d) * na + a) * self.homes + self.homes_before[r as usize]) * nf + f
        });
        (slot, home)
    }

    /// Builds the `g`-th log file.
    pub fn log_file(&self, g: u64, scratch: &mut Scratch) -> (LogFile, Covered) {
        let spec = &self.spec;
        let (slot, home) = self.slot(g);
        let picks = scheduled(g, home, spec.events_per_file as usize);
        let legacy = legacy_minor(spec.seed, g, &slot);
        let json = &mut scratch.json;
        json.clear();
        json.push_str("{\"Records\":[");
        let span = write_records(spec, &self.world, slot, &picks, legacy, json);
        json.push_str("]}");

        // Name and delivery time come from their own stream, so they do
        // not shift when the record mix changes.
        let mut rng = Rng::derive(spec.seed, &slot.path(TAG_FILE ^ 1));
        let day_start = time::midnight(spec.start_day) + i64::from(slot.day) * DAY;
        let delivered = (span.newest + rng.range(60, 300) as i64).div_euclid(60) * 60;
        let delivered = delivered.clamp(day_start, day_start + DAY - 60);
        let mut unique = String::with_capacity(16);
        push_alnum(&mut unique, &mut rng, 16);
        let account = &self.world.accounts[slot.account];
        let key = layout::log_key(
            &spec.key_prefix,
            account.org_id.as_deref(),
            &account.id,
            &spec.regions[slot.region],
            delivered,
            &unique,
        );
        // What a digest lists: the SHA-256 of the uncompressed bytes.
        let hash = crate::digest::sha256_hex(json.as_bytes());
        let body = scratch.gz.compress(json.as_bytes());
        let covered = Covered {
            key: key.clone(),
            hash,
            oldest: span.oldest,
            newest: span.newest,
            delivered,
            account: slot.account,
            region: slot.region,
        };
        let file = LogFile {
            key,
            body,
            events: u64::from(spec.events_per_file),
            is_digest: false,
            signature: None,
        };
        (file, covered)
    }
}

/// Per-thread buffers, reused from file to file.
pub struct Scratch {
    pub gz: Gzip,
    pub json: String,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            gz: Gzip::new(Compression::fast()),
            json: String::with_capacity(64 << 10),
        }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

/// Worker threads used when the caller does not say: `LOGGEN_THREADS` if
/// set, else the machine's cores, at most 4.
pub fn default_threads() -> usize {
    std::env::var("LOGGEN_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

/// Produces items 0, 1, 2... of `make`, in order: inline with one thread,
/// or round-robin over worker threads (worker k makes items k, k+n, ...,
/// a bounded channel each), so the order and bytes never depend on the
/// thread count.
pub struct Producer<T: Send + 'static> {
    plan: Arc<Plan>,
    make: fn(&Plan, u64, &mut Scratch) -> T,
    inline: Option<Scratch>,
    lanes: Vec<Receiver<T>>,
    handles: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> Producer<T> {
    pub fn new(
        plan: Arc<Plan>,
        threads: usize,
        count: u64,
        make: fn(&Plan, u64, &mut Scratch) -> T,
    ) -> Producer<T> {
        let mut p = Producer {
            plan,
            make,
            inline: None,
            lanes: Vec::new(),
            handles: Vec::new(),
        };
        if threads <= 1 {
            p.inline = Some(Scratch::new());
            return p;
        }
        for k in 0..threads {
            let (tx, rx) = sync_channel(2);
            let plan = Arc::clone(&p.plan);
            let worker = move || {
                let mut scratch = Scratch::new();
                let mut i = k as u64;
                while i < count {
                    // The consumer hung up: stop.
                    if tx.send(make(&plan, i, &mut scratch)).is_err() {
                        return;
                    }
                    i += threads as u64;
                }
            };
            let handle = std::thread::Builder::new()
                .name(format!("loggen-{k}"))
                .spawn(worker)
                .expect("cannot start a loggen worker thread");
            p.lanes.push(rx);
            p.handles.push(handle);
        }
        p
    }

    /// Item `i`; callers ask for 0, 1, 2... in order.
    pub fn get(&mut self, i: u64) -> T {
        match &mut self.inline {
            Some(scratch) => (self.make)(&self.plan, i, scratch),
            None => {
                let lane = (i % self.lanes.len() as u64) as usize;
                self.lanes[lane]
                    .recv()
                    .expect("a loggen worker thread panicked")
            }
        }
    }
}

impl<T: Send + 'static> Drop for Producer<T> {
    fn drop(&mut self) {
        // Hanging up makes every worker stop at its next send.
        self.lanes.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// The lazy iterator behind [`crate::generate`].
pub struct Generator {
    plan: Arc<Plan>,
    files: Producer<(LogFile, Covered)>,
    next: u64,
    total: u64,
    /// Log files of the current digest hour (all of one account and region).
    hour: Vec<Covered>,
    /// The log file that opened a new hour, held back while the digest of
    /// the previous hour goes out.
    queued: Option<LogFile>,
    previous: Option<Previous>,
    scratch: Scratch,
}

impl Generator {
    /// With [`default_threads`] workers (one for small specs).
    pub fn new(spec: &Spec) -> Generator {
        let threads = if spec.log_files() < 16 {
            1
        } else {
            default_threads()
        };
        Generator::with_threads(spec, threads)
    }

    /// With `threads` workers; the output is the same for any count.
    pub fn with_threads(spec: &Spec, threads: usize) -> Generator {
        let plan = Arc::new(Plan::new(spec));
        let total = spec.log_files();
        Generator {
            files: Producer::new(Arc::clone(&plan), threads, total, Plan::log_file),
            plan,
            next: 0,
            total,
            hour: Vec::new(),
            queued: None,
            previous: None,
            scratch: Scratch::new(),
        }
    }

    /// The digest of the log files gathered for the current hour.
    fn flush_digest(&mut self) -> Option<LogFile> {
        let first = self.hour.first()?;
        let spec = &self.plan.spec;
        let world = &self.plan.world;
        let (ai, ri) = (first.account, first.region);
        let account = &world.accounts[ai];
        let region = spec.regions[ri].as_str();
        let start = first.delivered.div_euclid(3600) * 3600;
        // Keep the last hour's digest inside its day, like its log files.
        let day_end = start.div_euclid(DAY) * DAY + DAY;
        let end = (start + 3600).min(day_end - 1);
        let key = layout::digest_key(
            &spec.key_prefix,
            account.org_id.as_deref(),
            &account.id,
            region,
            account.trail_name,
            &world.home_region,
            end,
        );
        let json = &mut self.scratch.json;
        json.clear();
        let link = write_digest(
            &DigestInput {
                account: &account.id,
                bucket: &world.trail_bucket,
                key: &key,
                start,
                end,
                logs: &self.hour,
                previous: self.previous.as_ref(),
            },
            json,
        );
        let body = self.scratch.gz.compress(json.as_bytes());
        let signature = Some(link.signature.clone());
        self.previous = Some(link);
        self.hour.clear();
        Some(LogFile {
            key,
            body,
            events: 0,
            is_digest: true,
            signature,
        })
    }
}

impl Iterator for Generator {
    type Item = LogFile;

    fn next(&mut self) -> Option<LogFile> {
        if let Some(file) = self.queued.take() {
            return Some(file);
        }
        if self.next == self.total {
            return self.flush_digest();
        }
        let (file, covered) = self.files.get(self.next);
        self.next += 1;
        if !self.plan.spec.digest_files {
            return Some(file);
        }
        let Some(open) = self.hour.first() else {
            self.hour.push(covered);
            return Some(file);
        };
        let same_trail = (open.account, open.region) == (covered.account, covered.region);
        if same_trail && open.delivered.div_euclid(3600) == covered.delivered.div_euclid(3600) {
            self.hour.push(covered);
            return Some(file);
        }
        let digest = self.flush_digest();
        if !same_trail {
            // A new trail region starts a new digest chain.
            self.previous = None;
        }
        self.hour.push(covered);
        self.queued = Some(file);
        digest
    }
}
