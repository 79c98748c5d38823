//! Holds the Terraform in `terraform/` against the host code.
//!
//! 1. Environment: each Lambda function sets only variables the host reads
//!    (`VARIABLES` in `host/src/lambda/config.rs`, plus `RUST_LOG`), never a
//!    test-only one, and every variable its role needs.
//! 2. Memory headroom: `CTA_MEMORY_LIMIT_MB` (the component's cap) is the
//!    function's memory size minus room for the host process.
//! 3. IAM: the S3 actions granted are exactly those of the S3 calls in
//!    `host/src`; no wildcard; `s3:DeleteObject` for consolidate only on raw
//!    logs and consolidated parts, for analyze only on the day states it
//!    supersedes (and granted, since it deletes them); the SQS, SNS and
//!    EventBridge grants the calls need.
//! 4. Triggers: schedule and jobs queue → consolidate; S3 notifications and
//!    the report queue → analyze; the Lambda permissions to match.
//! 5. Packaging: the default artifact paths are what the documented build
//!    commands produce; `provided.al2023`, handler `bootstrap`, arm64.
//! 6. Numeric limits: every number the host reads (`RANGES` in
//!    `host/src/lambda/config.rs`) that a function's environment sets is,
//!    for every value the Terraform validations let through, one the host
//!    accepts: equal ranges for a variable that only feeds the host
//!    (`window_days`, `max_job_mb`), within the host's range for one AWS
//!    bounds too (timeouts, and sizes derived from memory and storage); each
//!    variable held to whole numbers.
//! 7. The rules and the jobs: the rules bucket policy denies writes of the
//!    component and config keys to every principal but the deployers (and
//!    keeps TLS only); the pin (`CTA_COMPONENT_SHA256`) reaches both
//!    functions from one validated variable; the jobs queue and its
//!    dead-letter queue have policies that deny messages to every principal
//!    but the consolidate role, the report queue and its dead-letter queue
//!    to every principal but the analyze role, and non-TLS requests.
//!
//! Terraform expressions are not evaluated; they are compared as text.
//! Each test gathers all its findings and fails once, listing them.

use std::collections::{BTreeMap, BTreeSet};

use hcl::expr::{BinaryOperator, Operation};
use terraform_check::{
    Block, Expression, Statement, TfFile, attr, blocks, describe, expand_locals, literal,
    method_calls, object, read, rust_sources, rust_str_array, statements, string_literals,
    strip_line_comments, text, walk,
};

const ROOT_MAIN: &str = "terraform/main.tf";
const ROOT_VARIABLES: &str = "terraform/variables.tf";
const README: &str = "terraform/README.md";
const LAMBDA_MAIN: &str = "terraform/modules/lambda/main.tf";
const LAMBDA_VARIABLES: &str = "terraform/modules/lambda/variables.tf";
const LAMBDA_OUTPUTS: &str = "terraform/modules/lambda/outputs.tf";
const IAM_MAIN: &str = "terraform/modules/iam/main.tf";
const IAM_OUTPUTS: &str = "terraform/modules/iam/outputs.tf";
const S3_MAIN: &str = "terraform/modules/s3/main.tf";
const S3_VARIABLES: &str = "terraform/modules/s3/variables.tf";
const QUEUE_MAIN: &str = "terraform/modules/queue/main.tf";
const EVENTBRIDGE_MAIN: &str = "terraform/modules/eventbridge/main.tf";
const EXAMPLE_VARIABLES: &str = "terraform/examples/minimal/variables.tf";

const HOST_SRC: &str = "host/src";
const CONFIG_RS: &str = "host/src/lambda/config.rs";
const DAY_REPORT_RS: &str = "host/src/lambda/day_report.rs";

const CONSOLIDATE: &str = "consolidate";
const ANALYZE: &str = "analyze";
const ROLES: &[&str] = &[CONSOLIDATE, ANALYZE];

/// Variables the host reads that are not in `VARIABLES`, each of which must
/// appear as a string literal somewhere in `host/src`.
const HOST_EXTRA: &[&str] = &["RUST_LOG"];

/// Variables the host reads only under test; Terraform must never set them.
const TEST_ONLY: &[&str] = &["CTA_FAULT"];

/// What a deployed role needs set although `config.rs` would start without
/// it (it has a default or is optional there). The variables `config.rs`
/// refuses to start without (an "X is not set" error) are derived from the
/// source and need no entry here.
const DEPLOYMENT_NEEDS: &[(&str, &[&str], &str)] = &[
    (
        "CTA_LOG_PREFIX",
        ROLES,
        "var.log_prefix must reach the host: consolidate lists raw logs under it, analyze tells raw keys by it",
    ),
    (
        "CTA_CONSOLIDATED_PREFIX",
        ROLES,
        "var.consolidated_prefix must reach the host: consolidate writes there, analyze recognises partitions by it",
    ),
    (
        "CTA_COMPONENT_URI",
        ROLES,
        "unset, the host runs its embedded component and ignores the uploaded one",
    ),
    (
        "CTA_COMPONENT_SHA256",
        ROLES,
        "var.component_sha256 must reach both functions, or one of them runs whatever is uploaded",
    ),
    (
        "CTA_MEMORY_LIMIT_MB",
        ROLES,
        "the component's cap must follow the function's memory size",
    ),
    (
        "CTA_TIME_LIMIT_SECS",
        ROLES,
        "the host's default may exceed the function's timeout",
    ),
    (
        "CTA_JOB_QUEUE_URL",
        &[CONSOLIDATE],
        "unset, the scheduled plan consolidates every partition inline instead of queueing jobs",
    ),
    (
        "CTA_CLEANUP",
        &[CONSOLIDATE],
        "the host defaults to true, but s3:DeleteObject is granted only with var.enable_cleanup",
    ),
    (
        "CTA_WINDOW_DAYS",
        &[CONSOLIDATE],
        "var.window_days must reach the planner",
    ),
    (
        "CTA_MAX_JOB_MB",
        &[CONSOLIDATE],
        "var.max_job_mb must reach the consolidator, or a step may outgrow the function's timeout",
    ),
    (
        "CTA_SCRATCH_LIMIT_MB",
        &[CONSOLIDATE],
        "the scratch file must fit the function's ephemeral storage",
    ),
    (
        "CTA_OUTPUT_PREFIX",
        &[ANALYZE],
        "the analyze role may write reports only under var.output_prefix",
    ),
    (
        "CTA_REPORT_QUEUE_URL",
        &[ANALYZE],
        "unset, every analysis builds the day report itself instead of the day's one writer",
    ),
];

/// S3 SDK operations (`client.op()`) and the IAM actions they need.
const S3_OPERATIONS: &[(&str, &[&str])] = &[
    ("get_object", &["s3:GetObject"]),
    ("head_object", &["s3:GetObject"]),
    ("get_object_attributes", &["s3:GetObject"]),
    ("put_object", &["s3:PutObject"]),
    ("copy_object", &["s3:GetObject", "s3:PutObject"]),
    ("create_multipart_upload", &["s3:PutObject"]),
    ("upload_part", &["s3:PutObject"]),
    ("upload_part_copy", &["s3:GetObject", "s3:PutObject"]),
    ("complete_multipart_upload", &["s3:PutObject"]),
    ("abort_multipart_upload", &["s3:AbortMultipartUpload"]),
    ("list_objects", &["s3:ListBucket"]),
    ("list_objects_v2", &["s3:ListBucket"]),
    ("list_object_versions", &["s3:ListBucketVersions"]),
    ("list_multipart_uploads", &["s3:ListBucketMultipartUploads"]),
    ("delete_object", &["s3:DeleteObject"]),
    ("delete_objects", &["s3:DeleteObject"]),
    ("get_object_tagging", &["s3:GetObjectTagging"]),
    // A read of one version of an object (`get_object().set_version_id()`).
    ("set_version_id", &["s3:GetObjectVersion"]),
    ("put_object_tagging", &["s3:PutObjectTagging"]),
    ("get_bucket_location", &["s3:GetBucketLocation"]),
];

/// Other SDK operations the host calls, the action each needs and the role
/// that calls it (the code does not say which role runs which call, so this
/// is the documented split: consolidate plans jobs, analyze asks for day
/// reports and sends findings).
const OTHER_OPERATIONS: &[(&str, &str, &str)] = &[
    ("send_message", "sqs:SendMessage", CONSOLIDATE),
    ("send_message", "sqs:SendMessage", ANALYZE),
    ("send_message_batch", "sqs:SendMessage", CONSOLIDATE),
    ("publish", "sns:Publish", ANALYZE),
    ("put_events", "events:PutEvents", ANALYZE),
    ("list_public_keys", "cloudtrail:ListPublicKeys", CONSOLIDATE),
];

/// Each queue a function consumes (the root's module output), its
/// consumer and what it holds.
const QUEUE_CONSUMERS: &[(&str, &str, &str)] = &[
    ("module.queue.queue_arn", CONSOLIDATE, "jobs queue"),
    ("module.queue.reports_queue_arn", ANALYZE, "report queue"),
];

/// An S3 resource of the day states: the output bucket, under
/// `var.output_prefix`, `daily/*/states/*`.
fn is_day_states(resource: &str) -> bool {
    resource.contains("var.output_bucket_arn")
        && resource.contains("${var.output_prefix}daily/")
        && resource.trim_matches('"').ends_with("/states/*")
}

/// What Lambda's SQS event source mapping needs on the queue's role.
const EVENT_SOURCE_MAPPING_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];

/// The raw CloudTrail key prefix (after `log_prefix`).
const RAW_LOGS: &str = "AWSLogs/";

/// The documented packaging commands and the artifacts they produce.
const LAMBDA_BUILD: &str = "cargo lambda build --release --arm64 --output-format zip --bin cloudtrail-analyzer --lambda-dir target/lambda";
const LAMBDA_ZIP: &str = "target/lambda/cloudtrail-analyzer/bootstrap.zip";
const COMPONENT_BUILD: &str = "cargo build --release -p analyzer-wasm --target wasm32-wasip2";
const COMPONENT_WASM: &str = "target/wasm32-wasip2/release/analyzer_wasm.wasm";

fn report(what: &str, mut problems: Vec<String>) {
    // One line per problem, even when several blocks lead to it.
    let mut seen = BTreeSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------
// The functions and their environments
// ---------------------------------------------------------------------------

struct Function<'a> {
    /// The resource name (`aws_lambda_function.<name>`).
    name: String,
    /// `CTA_FUNCTION`.
    role: String,
    block: &'a Block,
    env: Vec<(String, &'a Expression)>,
}

impl Function<'_> {
    fn env(&self, key: &str) -> Option<&Expression> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// Every `aws_lambda_function` of the lambda module, with its environment;
/// panics (naming the resource) on one without a literal environment or a
/// literal `CTA_FUNCTION`.
fn functions(file: &TfFile) -> Vec<Function<'_>> {
    file.resources("aws_lambda_function")
        .into_iter()
        .map(|(name, block)| {
            let env_blocks = blocks(block.body(), "environment", &[]);
            let env = env_blocks
                .first()
                .and_then(|e| attr(e.body(), "variables"))
                .and_then(object)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: `{}` has no literal `environment {{ variables = {{ … }} }}`",
                        file.path,
                        describe(block)
                    )
                });
            let role = env
                .iter()
                .find(|(k, _)| k == "CTA_FUNCTION")
                .and_then(|(_, v)| literal(v))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: `{}` does not set CTA_FUNCTION to a literal",
                        file.path,
                        describe(block)
                    )
                })
                .to_owned();
            Function {
                name,
                role,
                block,
                env,
            }
        })
        .collect()
}

/// `VARIABLES` from config.rs.
fn host_variables() -> Vec<String> {
    rust_str_array(&read(CONFIG_RS), "VARIABLES").unwrap_or_else(|| {
        panic!("{CONFIG_RS}: no `const VARIABLES: &[&str] = &[ … ];` literal to read")
    })
}

/// The variables config.rs refuses to start without (an "X is not set"
/// error), each with the roles that need it: both, unless the error is
/// guarded by `role == Role::R && x.is_none()` with `let x = get("X")`.
fn required_by_host(src: &str) -> BTreeMap<String, BTreeSet<String>> {
    let code = strip_line_comments(src);
    let mut out = BTreeMap::new();
    for lit in string_literals(&code) {
        let Some((name, _)) = lit.split_once(" is not set") else {
            continue;
        };
        if !name.starts_with("CTA_") || name.contains(' ') {
            continue;
        }
        let mut roles: BTreeSet<String> = ROLES.iter().map(|r| r.to_string()).collect();
        // `let ident = get("NAME")` … `if role == Role::R && ident.is_none()`.
        let binding = format!("= get(\"{name}\")");
        if let Some(line) = code.lines().find(|l| l.contains(&binding))
            && let Some(ident) = line
                .split(&binding)
                .next()
                .and_then(|b| b.trim().strip_prefix("let "))
                .map(str::trim)
        {
            let guard = format!("&& {ident}.is_none()");
            if let Some(guard_line) = code.lines().find(|l| l.contains(&guard))
                && let Some(role) = guard_line.split("Role::").nth(1)
            {
                let role: String = role
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase();
                roles = BTreeSet::from([role]);
            }
        }
        out.entry(name.to_owned())
            .or_insert_with(BTreeSet::new)
            .extend(roles);
    }
    out
}

/// Every `CTA_…` name inside a string literal of `src` (comments excluded).
fn cta_names_in_literals(src: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for lit in string_literals(&strip_line_comments(src)) {
        let mut rest = lit.as_str();
        while let Some(i) = rest.find("CTA_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest = &rest[i + name.len()..];
            names.insert(name.trim_end_matches('_').to_owned());
        }
    }
    names
}

#[test]
fn host_variables_list_is_complete() {
    let variables = host_variables();
    let known: BTreeSet<&str> = variables
        .iter()
        .map(String::as_str)
        .chain(TEST_ONLY.iter().copied())
        .collect();
    let mut problems = Vec::new();
    if variables.is_empty() {
        problems.push(format!("{CONFIG_RS}: VARIABLES is empty"));
    }
    for test_only in TEST_ONLY {
        if variables.iter().any(|v| v == test_only) {
            problems.push(format!(
                "{CONFIG_RS}: VARIABLES lists the test-only {test_only}"
            ));
        }
    }
    let sources = rust_sources(HOST_SRC);
    // Every CTA_ name the host spells out is one it lists (or test-only).
    for (path, src) in &sources {
        for name in cta_names_in_literals(src) {
            if !known.contains(name.as_str()) {
                problems.push(format!(
                    "{path}: mentions {name}, which is neither in VARIABLES ({CONFIG_RS}) nor test-only"
                ));
            }
        }
    }
    // Every listed name is read somewhere besides the list itself.
    let config = read(CONFIG_RS);
    let list_end = config
        .find("VARIABLES")
        .and_then(|i| config[i..].find("];").map(|j| i + j));
    let config_rest = list_end.map_or(config.as_str(), |end| &config[end..]);
    for name in &variables {
        let quoted = format!("\"{name}\"");
        let read_somewhere = config_rest.contains(&quoted)
            || sources
                .iter()
                .any(|(p, s)| p != CONFIG_RS && strip_line_comments(s).contains(&quoted));
        if !read_somewhere {
            problems.push(format!(
                "{CONFIG_RS}: VARIABLES lists {name} but no host source reads \"{name}\""
            ));
        }
    }
    for extra in HOST_EXTRA {
        let quoted = format!("\"{extra}\"");
        if !sources
            .iter()
            .any(|(_, s)| strip_line_comments(s).contains(&quoted))
        {
            problems.push(format!(
                "{HOST_SRC}: no source reads \"{extra}\" any more; drop it from HOST_EXTRA"
            ));
        }
    }
    report("the host's variable list", problems);
}

#[test]
fn environment_matches_host() {
    let variables = host_variables();
    let readable: BTreeSet<&str> = variables
        .iter()
        .map(String::as_str)
        .chain(HOST_EXTRA.iter().copied())
        .collect();
    let required = required_by_host(&read(CONFIG_RS));
    let mut problems = Vec::new();
    if required.is_empty() {
        problems.push(format!(
            "{CONFIG_RS}: found no \"CTA_… is not set\" error to derive the required variables from; update required_by_host"
        ));
    }
    // The table names only variables the host reads.
    for (name, _, _) in DEPLOYMENT_NEEDS {
        if !readable.contains(name) {
            problems.push(format!(
                "DEPLOYMENT_NEEDS names {name}, which is not in VARIABLES ({CONFIG_RS})"
            ));
        }
    }

    let lambda = TfFile::load(LAMBDA_MAIN);
    let all = functions(&lambda);
    for f in &all {
        let what = format!("{LAMBDA_MAIN}: `{}`", describe(f.block));
        if !ROLES.contains(&f.role.as_str()) {
            problems.push(format!(
                "{what}: CTA_FUNCTION = \"{}\" is neither consolidate nor analyze",
                f.role
            ));
            continue;
        }
        for (key, _) in &f.env {
            if TEST_ONLY.contains(&key.as_str()) {
                problems.push(format!("{what}: sets the test-only {key}"));
            } else if !readable.contains(key.as_str()) {
                problems.push(format!(
                    "{what}: sets {key}, which the host does not read (not in VARIABLES of {CONFIG_RS}, nor {HOST_EXTRA:?})"
                ));
            }
        }
        let needed = required
            .iter()
            .filter(|(_, roles)| roles.contains(&f.role))
            .map(|(name, _)| (name.as_str(), "config.rs refuses to start without it"))
            .chain(
                DEPLOYMENT_NEEDS
                    .iter()
                    .filter(|(_, roles, _)| roles.contains(&f.role.as_str()))
                    .map(|(name, _, why)| (*name, *why)),
            );
        for (name, why) in needed {
            if f.env(name).is_none() {
                problems.push(format!(
                    "{what} (CTA_FUNCTION = \"{}\"): does not set {name} ({why})",
                    f.role
                ));
            }
        }
    }
    for role in ROLES {
        let n = all.iter().filter(|f| f.role == *role).count();
        if n != 1 {
            problems.push(format!(
                "{LAMBDA_MAIN}: {n} aws_lambda_function(s) with CTA_FUNCTION = \"{role}\", expected 1"
            ));
        }
    }
    report("Lambda environment vs host", problems);
}

#[test]
fn host_requirements_are_derived() {
    // Guards the text derivation itself against a silent change of shape.
    let required = required_by_host(&read(CONFIG_RS));
    let analyze_only: Vec<_> = required
        .iter()
        .filter(|(_, roles)| roles.len() == 1 && roles.contains(ANALYZE))
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        required.values().any(|roles| roles.len() == ROLES.len()),
        "{CONFIG_RS}: no variable derived as required by both roles: {required:?}"
    );
    assert!(
        !analyze_only.is_empty(),
        "{CONFIG_RS}: no variable derived as required by analyze only (CTA_OUTPUT_BUCKET was): {required:?}"
    );
}

// ---------------------------------------------------------------------------
// Memory headroom
// ---------------------------------------------------------------------------

#[test]
fn memory_limit_leaves_room_for_the_host() {
    let lambda = TfFile::load(LAMBDA_MAIN);
    let mut problems = Vec::new();
    for f in functions(&lambda) {
        let what = format!("{LAMBDA_MAIN}: `{}`", describe(f.block));
        let memory = lambda.attr_text(f.block, "memory_size");
        let Some(limit) = f.env("CTA_MEMORY_LIMIT_MB") else {
            problems.push(format!("{what}: does not set CTA_MEMORY_LIMIT_MB"));
            continue;
        };
        let limit_text = text(limit);
        // `memory_size - N`, N > 0, somewhere in the expression.
        let subtracts = walk(limit).into_iter().any(|e| match e {
            Expression::Operation(op) => match op.as_ref() {
                Operation::Binary(b) => {
                    b.operator == BinaryOperator::Minus
                        && text(&b.lhs_expr) == memory
                        && matches!(&b.rhs_expr, Expression::Number(n) if n.as_f64().is_some_and(|n| n > 0.0))
                }
                Operation::Unary(_) => false,
            },
            _ => false,
        });
        if !subtracts {
            problems.push(format!(
                "{what}: CTA_MEMORY_LIMIT_MB = {limit_text} does not subtract the host's share from memory_size ({memory}); \
                 the component's cap must leave room for the host process, e.g. tostring(max(128, {memory} - 256))"
            ));
        }
        // A floor keeps small functions from a zero or negative cap.
        let floored = walk(limit).into_iter().any(|e| match e {
            Expression::FuncCall(call) => {
                call.name.to_string() == "max"
                    && call.args.iter().any(|a| matches!(a, Expression::Number(_)))
            }
            _ => false,
        });
        if !floored {
            problems.push(format!(
                "{what}: CTA_MEMORY_LIMIT_MB = {limit_text} has no max(<floor>, …): a small memory_size would give the component no memory"
            ));
        }
    }
    report("memory headroom", problems);
}

// ---------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------

/// Where each operation of `ops` is called in host/src, as "path:line".
fn call_sites(ops: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, src) in rust_sources(HOST_SRC) {
        for op in ops {
            for line in method_calls(&src, op) {
                out.entry((*op).to_owned())
                    .or_default()
                    .push(format!("{path}:{line}"));
            }
        }
    }
    out
}

/// The name after `prefix` in `text` (`aws_lambda_function.` → `analyze`).
fn reference<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Each function role's policy statements, found by following
/// function `role = var.X` → root `X = module.iam.Y` → iam output `Y` =
/// `aws_iam_role.R.arn` → `aws_iam_role_policy` with `role = aws_iam_role.R…`
/// and `policy = data.aws_iam_policy_document.D.json`.
fn role_statements(problems: &mut Vec<String>) -> BTreeMap<String, (String, Vec<Statement>)> {
    let root = TfFile::load(ROOT_MAIN);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let iam = TfFile::load(IAM_MAIN);
    let iam_outputs = TfFile::load(IAM_OUTPUTS);
    let lambda_module = root.block("module", &["lambda"]);
    let mut out = BTreeMap::new();
    for f in functions(&lambda) {
        let role_var = lambda.attr_text(f.block, "role");
        let Some(input) = reference(&role_var, "var.") else {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` role = {role_var}, expected var.<name>",
                describe(f.block)
            ));
            continue;
        };
        let passed = root.attr_text(lambda_module, input);
        let Some(output) = reference(&passed, "module.iam.") else {
            problems.push(format!(
                "{ROOT_MAIN}: module \"lambda\" {input} = {passed}, expected module.iam.<output>"
            ));
            continue;
        };
        let value = iam_outputs.attr_text(iam_outputs.block("output", &[output]), "value");
        let Some(iam_role) = reference(&value, "aws_iam_role.") else {
            problems.push(format!(
                "{IAM_OUTPUTS}: output \"{output}\" = {value}, expected aws_iam_role.<name>.arn"
            ));
            continue;
        };
        let attachments: Vec<_> = iam
            .resources("aws_iam_role_policy")
            .into_iter()
            .filter(|(_, b)| {
                reference(&iam.attr_text(b, "role"), "aws_iam_role.") == Some(iam_role)
            })
            .collect();
        let mut all = Vec::new();
        let mut docs = Vec::new();
        for (_, attachment) in &attachments {
            let policy = iam.attr_text(attachment, "policy");
            let Some(doc) = reference(&policy, "data.aws_iam_policy_document.") else {
                problems.push(format!(
                    "{IAM_MAIN}: `{}` policy = {policy}, expected data.aws_iam_policy_document.<name>.json",
                    describe(attachment)
                ));
                continue;
            };
            all.extend(statements(
                &iam,
                iam.block("data", &["aws_iam_policy_document", doc]),
            ));
            docs.push(format!("data.aws_iam_policy_document.{doc}"));
        }
        if docs.is_empty() {
            problems.push(format!(
                "{IAM_MAIN}: no aws_iam_role_policy attaches a policy document to aws_iam_role.{iam_role} (the {} function's role)",
                f.role
            ));
        }
        if !iam.resources("aws_iam_policy_attachment").is_empty()
            || !iam.resources("aws_iam_role_policy_attachment").is_empty()
        {
            problems.push(format!(
                "{IAM_MAIN}: managed policy attachments are not checked by this test; grant through aws_iam_role_policy"
            ));
        }
        out.insert(f.role.clone(), (docs.join(" + "), all));
    }
    out
}

#[test]
fn iam_grants_match_host_calls() {
    let mut problems = Vec::new();
    let roles = role_statements(&mut problems);
    for role in ROLES {
        if !roles.contains_key(*role) {
            problems.push(format!("{IAM_MAIN}: no policy found for the {role} role"));
        }
    }

    // S3: the actions the code needs, with where it calls them.
    let s3_ops: Vec<&str> = S3_OPERATIONS.iter().map(|(op, _)| *op).collect();
    let sites = call_sites(&s3_ops);
    let mut needed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (op, actions) in S3_OPERATIONS {
        if let Some(at) = sites.get(*op) {
            for action in *actions {
                needed
                    .entry(action)
                    .or_default()
                    .extend(at.iter().map(|s| format!(".{op}() at {s}")));
            }
        }
    }
    if needed.is_empty() {
        problems.push(format!(
            "{HOST_SRC}: found no S3 call at all; the scan (S3_OPERATIONS) needs updating"
        ));
    }

    // S3: the actions granted, to either role.
    let mut granted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (role, (docs, stmts)) in &roles {
        for s in stmts {
            for a in s.actions.iter().filter(|a| a.starts_with("s3:")) {
                granted
                    .entry(a.clone())
                    .or_default()
                    .push(format!("{role} ({docs}, statement {})", s.sid));
            }
        }
    }
    for (action, at) in &needed {
        if !granted.contains_key(*action) {
            problems.push(format!(
                "{IAM_MAIN}: {action} is granted to neither role, but the host needs it: {}",
                at.join(", ")
            ));
        }
    }
    for (action, at) in &granted {
        if !needed.contains_key(action.as_str()) {
            problems.push(format!(
                "{IAM_MAIN}: {action} is granted ({}) but no S3 call in {HOST_SRC} needs it",
                at.join(", ")
            ));
        }
    }

    // No wildcards: actions never, resources never for S3 or SQS.
    for (role, (docs, stmts)) in &roles {
        for s in stmts {
            let what = format!("{IAM_MAIN}: {role} ({docs}), statement {}", s.sid);
            for a in &s.actions {
                if a.contains('*') || !a.contains(':') {
                    problems.push(format!("{what}: wildcard or non-literal action {a}"));
                }
            }
            if s.effect != "Allow" {
                continue;
            }
            let data_plane = s
                .actions
                .iter()
                .any(|a| a.starts_with("s3:") || a.starts_with("sqs:"));
            for r in &s.resources {
                let bare = r.trim_matches('"');
                if data_plane
                    && (bare == "*" || bare.starts_with("arn:aws:s3:::*") || !r.contains("var."))
                {
                    problems.push(format!(
                        "{what}: resource {r} is a wildcard or names no bucket/queue variable"
                    ));
                }
            }
        }
    }

    // DeleteObject: consolidate on raw logs and stale consolidated parts in
    // the log bucket; analyze only on superseded day states in the output
    // bucket (its finding markers are claimed, marked sent and released by
    // conditional writes, never deleted).
    for (role, (docs, stmts)) in &roles {
        for s in stmts.iter().filter(|s| s.grants("s3:DeleteObject")) {
            let what = format!("{IAM_MAIN}: {role} ({docs}), statement {}", s.sid);
            if role == ANALYZE {
                for r in &s.resources {
                    if !is_day_states(r) {
                        problems.push(format!(
                            "{what}: s3:DeleteObject on {r}; the analyze role deletes only superseded day states (<output bucket>/<output_prefix>daily/*/states/*)"
                        ));
                    }
                }
                continue;
            }
            if role != CONSOLIDATE {
                problems.push(format!(
                    "{what}: grants s3:DeleteObject; only the consolidate role deletes (raw logs it consolidated)"
                ));
                continue;
            }
            if s.resources.is_empty() {
                problems.push(format!("{what}: s3:DeleteObject without resources"));
            }
            for r in &s.resources {
                let raw = r.contains(RAW_LOGS);
                // Stale parts, after a rerun that wrote fewer.
                let parts = r.contains("var.consolidated_prefix")
                    && r.trim_matches('"').ends_with("/part-*.json.gz");
                if !(raw || parts) || !r.contains("var.log_bucket_arn") {
                    problems.push(format!(
                        "{what}: s3:DeleteObject on {r}; allowed only on the log bucket under <log_prefix>{RAW_LOGS} and on consolidated parts"
                    ));
                }
            }
        }
    }
    // The day report deletes the states it supersedes: the analyze role
    // must be able to.
    if read(DAY_REPORT_RS).contains("storage::delete(")
        && let Some((docs, stmts)) = roles.get(ANALYZE)
        && !stmts
            .iter()
            .any(|s| s.grants("s3:DeleteObject") && s.resources.iter().any(|r| is_day_states(r)))
    {
        problems.push(format!(
            "{IAM_MAIN}: analyze ({docs}) has no s3:DeleteObject on the day states, which {DAY_REPORT_RS} deletes when superseded"
        ));
    }
    // The analyze role never writes into the log bucket.
    if let Some((docs, stmts)) = roles.get(ANALYZE) {
        for s in stmts.iter().filter(|s| s.grants("s3:PutObject")) {
            for r in s.resources.iter().filter(|r| r.contains("log_bucket")) {
                problems.push(format!(
                    "{IAM_MAIN}: analyze ({docs}), statement {}: s3:PutObject on the log bucket ({r})",
                    s.sid
                ));
            }
        }
    }

    // SQS, SNS, EventBridge calls of the host.
    let other_ops: Vec<&str> = OTHER_OPERATIONS.iter().map(|(op, _, _)| *op).collect();
    let other_sites = call_sites(&other_ops);
    for (op, action, role) in OTHER_OPERATIONS {
        let Some(at) = other_sites.get(*op) else {
            continue;
        };
        let Some((docs, stmts)) = roles.get(*role) else {
            continue;
        };
        if !stmts.iter().any(|s| s.grants(action)) {
            problems.push(format!(
                "{IAM_MAIN}: the {role} role ({docs}) lacks {action}, needed by .{op}() at {}",
                at.join(", ")
            ));
        }
    }
    if !other_sites.contains_key("send_message_batch") && !other_sites.contains_key("send_message")
    {
        problems.push(format!(
            "{HOST_SRC}: no .send_message_batch() / .send_message() found: the planner's queueing moved; update OTHER_OPERATIONS"
        ));
    }
    // The planner sends to the jobs queue.
    if let Some((docs, stmts)) = roles.get(CONSOLIDATE)
        && !stmts.iter().any(|s| {
            s.grants("sqs:SendMessage")
                && s.resources.iter().any(|r| r.contains("var.jobs_queue_arn"))
        })
    {
        problems.push(format!(
            "{IAM_MAIN}: consolidate ({docs}) has no sqs:SendMessage on var.jobs_queue_arn (the planner's queue)"
        ));
    }

    // The analyze function asks for day reports on the report queue.
    if read(DAY_REPORT_RS).contains(".send_message()")
        && let Some((docs, stmts)) = roles.get(ANALYZE)
        && !stmts.iter().any(|s| {
            s.grants("sqs:SendMessage")
                && s.resources
                    .iter()
                    .any(|r| r.contains("var.reports_queue_arn"))
        })
    {
        problems.push(format!(
            "{IAM_MAIN}: analyze ({docs}) has no sqs:SendMessage on var.reports_queue_arn (the day report requests of {DAY_REPORT_RS})"
        ));
    }

    // The event source mapping's function role can consume its queue.
    let lambda = TfFile::load(LAMBDA_MAIN);
    let all = functions(&lambda);
    for (_, esm) in lambda.resources("aws_lambda_event_source_mapping") {
        let target = lambda.attr_text(esm, "function_name");
        let queue = lambda.attr_text(esm, "event_source_arn");
        let Some(f) = reference(&target, "aws_lambda_function.")
            .and_then(|n| all.iter().find(|f| f.name == n))
        else {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` function_name = {target} is not one of the functions",
                describe(esm)
            ));
            continue;
        };
        let Some((docs, stmts)) = roles.get(&f.role) else {
            continue;
        };
        for action in EVENT_SOURCE_MAPPING_ACTIONS {
            let ok = stmts
                .iter()
                .any(|s| s.grants(action) && s.resources.iter().any(|r| r.contains(&queue)));
            if !ok {
                problems.push(format!(
                    "{IAM_MAIN}: {} ({docs}) lacks {action} on the queue of `{}` ({queue} in the lambda module)",
                    f.role,
                    describe(esm)
                ));
            }
        }
    }
    report("IAM vs host calls", problems);
}

// ---------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------

/// The role (`CTA_FUNCTION`) of the function `text` refers to, following a
/// root-module `module.lambda.<output>` through the lambda module's outputs.
fn function_role(text: &str, all: &[Function<'_>], outputs: &TfFile) -> Option<String> {
    let name = match reference(text, "module.lambda.") {
        Some(output) => {
            let value = outputs.attr_text(outputs.block("output", &[output]), "value");
            reference(&value, "aws_lambda_function.")?.to_owned()
        }
        None => reference(text, "aws_lambda_function.")?.to_owned(),
    };
    all.iter().find(|f| f.name == name).map(|f| f.role.clone())
}

#[test]
fn triggers_reach_the_right_function() {
    let root = TfFile::load(ROOT_MAIN);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let outputs = TfFile::load(LAMBDA_OUTPUTS);
    let s3 = TfFile::load(S3_MAIN);
    let eventbridge = TfFile::load(EVENTBRIDGE_MAIN);
    let all = functions(&lambda);
    let mut problems = Vec::new();
    let expect_role =
        |problems: &mut Vec<String>, what: String, text: &str, role: &str| match function_role(
            text, &all, &outputs,
        ) {
            Some(r) if r == role => {}
            Some(r) => problems.push(format!(
                "{what} = {text} is the {r} function, expected {role}"
            )),
            None => problems.push(format!(
                "{what} = {text} names no function, expected {role}"
            )),
        };

    // Schedule → consolidate.
    for (_, target) in eventbridge.resources("aws_cloudwatch_event_target") {
        let arn = eventbridge.attr_text(target, "arn");
        let Some(input) = reference(&arn, "var.") else {
            expect_role(
                &mut problems,
                format!("{EVENTBRIDGE_MAIN}: `{}` arn", describe(target)),
                &arn,
                CONSOLIDATE,
            );
            continue;
        };
        let passed = root.attr_text(root.block("module", &["eventbridge"]), input);
        expect_role(
            &mut problems,
            format!(
                "{ROOT_MAIN}: module \"eventbridge\" {input} (the target of `{}`)",
                describe(target)
            ),
            &passed,
            CONSOLIDATE,
        );
    }
    // Jobs queue → consolidate; report queue → analyze.
    for (_, esm) in lambda.resources("aws_lambda_event_source_mapping") {
        let what = format!("{LAMBDA_MAIN}: `{}`", describe(esm));
        let queue = lambda.attr_text(esm, "event_source_arn");
        let passed = match reference(&queue, "var.") {
            Some(input) => root.attr_text(root.block("module", &["lambda"]), input),
            None => queue.clone(),
        };
        let Some((_, role, name)) = QUEUE_CONSUMERS.iter().find(|(q, _, _)| *q == passed) else {
            problems.push(format!(
                "{what}: event_source_arn = {queue} (passed {passed}) is none of the queues {QUEUE_CONSUMERS:?}"
            ));
            continue;
        };
        let target = lambda.attr_text(esm, "function_name");
        expect_role(
            &mut problems,
            format!("{what} function_name (consumer of the {name})"),
            &target,
            role,
        );
    }
    // S3 notifications → analyze, on raw logs and consolidated partitions.
    let s3_locals = s3.locals();
    let notifications = s3.resources("aws_s3_bucket_notification");
    if notifications.is_empty() {
        problems.push(format!("{S3_MAIN}: no aws_s3_bucket_notification"));
    }
    let s3_module = root.block("module", &["s3"]);
    for (_, n) in &notifications {
        let what = format!("{S3_MAIN}: `{}`", describe(n));
        let bucket = s3.attr_text(n, "bucket");
        if !bucket.contains("\"log\"") {
            problems.push(format!(
                "{what}: bucket = {bucket}, expected the log bucket"
            ));
        }
        let targets = blocks(n.body(), "lambda_function", &[]);
        let mut prefixes = Vec::new();
        for t in &targets {
            let arn = attr(t.body(), "lambda_function_arn")
                .map(text)
                .unwrap_or_default();
            match reference(&arn, "var.") {
                Some(input) => {
                    let passed = root.attr_text(s3_module, input);
                    expect_role(
                        &mut problems,
                        format!(
                            "{ROOT_MAIN}: module \"s3\" {input} (lambda_function_arn of {what})"
                        ),
                        &passed,
                        ANALYZE,
                    );
                }
                None => expect_role(
                    &mut problems,
                    format!("{what} lambda_function_arn"),
                    &arn,
                    ANALYZE,
                ),
            }
            let prefix = attr(t.body(), "filter_prefix")
                .map(|p| expand_locals(&text(p), &s3_locals))
                .unwrap_or_default();
            // The host reports on commits: parts are written before their
            // manifest and may be discarded.
            let suffix = attr(t.body(), "filter_suffix").map(text);
            if prefix == "var.consolidated_prefix"
                && suffix.as_deref().map(|s| s.trim_matches('"')) != Some("/manifest.json")
            {
                problems.push(format!(
                    "{what}: the consolidated notification must filter on suffix \"/manifest.json\" (the commit), found {suffix:?}"
                ));
            }
            prefixes.push(prefix);
        }
        if !prefixes.iter().any(|p| p.contains(RAW_LOGS)) {
            problems.push(format!(
                "{what}: no lambda_function with a filter_prefix under {RAW_LOGS} (raw logs), found {prefixes:?}"
            ));
        }
        if !prefixes.iter().any(|p| p == "var.consolidated_prefix") {
            problems.push(format!(
                "{what}: no lambda_function with filter_prefix = var.consolidated_prefix, found {prefixes:?}"
            ));
        }
        if prefixes.iter().any(String::is_empty) {
            problems.push(format!(
                "{what}: a lambda_function without filter_prefix would send every object to analyze"
            ));
        }
    }
    for input in ["log_prefix", "consolidated_prefix"] {
        let passed = root.attr_text(s3_module, input);
        if passed != format!("var.{input}") {
            problems.push(format!(
                "{ROOT_MAIN}: module \"s3\" {input} = {passed}, expected var.{input} (the same as the functions get)"
            ));
        }
        let to_lambda = root.attr_text(root.block("module", &["lambda"]), input);
        if to_lambda != passed {
            problems.push(format!(
                "{ROOT_MAIN}: module \"lambda\" {input} = {to_lambda} but module \"s3\" gets {passed}"
            ));
        }
    }

    // Permissions: s3 → analyze (source_arn + source_account), events → consolidate.
    let permissions = lambda.resources("aws_lambda_permission");
    for (principal, role, need_account) in [
        ("s3.amazonaws.com", ANALYZE, true),
        ("events.amazonaws.com", CONSOLIDATE, false),
    ] {
        let matching: Vec<_> = permissions
            .iter()
            .filter(|(_, p)| attr(p.body(), "principal").and_then(literal) == Some(principal))
            .collect();
        if matching.is_empty() {
            problems.push(format!(
                "{LAMBDA_MAIN}: no aws_lambda_permission for {principal}"
            ));
        }
        for (_, p) in matching {
            let what = format!("{LAMBDA_MAIN}: `{}` ({principal})", describe(p));
            let target = lambda.attr_text(p, "function_name");
            expect_role(
                &mut problems,
                format!("{what} function_name"),
                &target,
                role,
            );
            if attr(p.body(), "source_arn").is_none() {
                problems.push(format!("{what}: no source_arn"));
            }
            if need_account && attr(p.body(), "source_account").is_none() {
                problems.push(format!("{what}: no source_account"));
            }
        }
    }
    for (_, p) in &permissions {
        let principal = attr(p.body(), "principal").map(text).unwrap_or_default();
        if !["\"s3.amazonaws.com\"", "\"events.amazonaws.com\""].contains(&principal.as_str()) {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` allows {principal}, which this test does not know",
                describe(p)
            ));
        }
    }
    report("triggers", problems);
}

// ---------------------------------------------------------------------------
// Packaging
// ---------------------------------------------------------------------------

/// The literal default path in `coalesce(var.x, "<default>")`.
fn coalesce_default(expr: &Expression) -> Option<String> {
    match expr {
        Expression::FuncCall(call) if call.name.to_string() == "coalesce" => call
            .args
            .last()
            .map(|a| text(a).trim_matches('"').to_owned()),
        _ => None,
    }
}

#[test]
fn packaging_matches_the_documented_build() {
    let root = TfFile::load(ROOT_MAIN);
    let root_vars = TfFile::load(ROOT_VARIABLES);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let lambda_vars = TfFile::load(LAMBDA_VARIABLES);
    let example_vars = TfFile::load(EXAMPLE_VARIABLES);
    let mut problems = Vec::new();

    // The documented commands, and the manifests they rely on.
    let readme = read(README);
    for command in [LAMBDA_BUILD, COMPONENT_BUILD] {
        if !readme.contains(command) {
            problems.push(format!("{README}: does not document `{command}`"));
        }
    }
    let host_manifest = read("host/Cargo.toml");
    if !host_manifest.contains("[[bin]]\nname = \"cloudtrail-analyzer\"") {
        problems.push(
            "host/Cargo.toml: no [[bin]] named cloudtrail-analyzer (LAMBDA_BUILD's --bin)".into(),
        );
    }
    let wasm_manifest = read("analyzer-wasm/Cargo.toml");
    if !wasm_manifest.contains("name = \"analyzer-wasm\"") || !wasm_manifest.contains("cdylib") {
        problems.push(
            "analyzer-wasm/Cargo.toml: not the cdylib package analyzer-wasm that COMPONENT_BUILD builds into analyzer_wasm.wasm".into(),
        );
    }

    // Default artifact paths: <repo>/target/…, the repo being terraform/..
    for (local, wanted, module, input) in [
        ("lambda_package_path", LAMBDA_ZIP, "lambda", "package_path"),
        (
            "component_source_path",
            COMPONENT_WASM,
            "s3",
            "component_source_path",
        ),
    ] {
        let expr = root.local(local);
        match coalesce_default(expr) {
            Some(default) if default == format!("${{path.module}}/../{wanted}") => {}
            Some(default) => problems.push(format!(
                "{ROOT_MAIN}: local.{local} defaults to {default}, expected ${{path.module}}/../{wanted}"
            )),
            None => problems.push(format!(
                "{ROOT_MAIN}: local.{local} = {}, expected coalesce(var.…, \"${{path.module}}/../{wanted}\")",
                text(expr)
            )),
        }
        let passed = root.attr_text(root.block("module", &[module]), input);
        if passed != format!("local.{local}") {
            problems.push(format!(
                "{ROOT_MAIN}: module \"{module}\" {input} = {passed}, expected local.{local}"
            ));
        }
    }

    // Runtime, handler, architecture, code.
    for f in functions(&lambda) {
        let what = format!("{LAMBDA_MAIN}: `{}`", describe(f.block));
        for (key, wanted) in [
            ("runtime", "\"provided.al2023\""),
            ("handler", "\"bootstrap\""),
            ("architectures", "[var.architecture]"),
            ("filename", "var.package_path"),
        ] {
            let got = lambda.attr_text(f.block, key);
            if got != wanted {
                problems.push(format!("{what}: {key} = {got}, expected {wanted}"));
            }
        }
    }
    for (file, name) in [
        (&lambda_vars, "architecture"),
        (&root_vars, "lambda_architecture"),
        (&example_vars, "lambda_architecture"),
    ] {
        let default = file.variable_default(name).map_or("nothing".into(), text);
        if default != "\"arm64\"" {
            problems.push(format!(
                "{}: variable \"{name}\" defaults to {default}, expected \"arm64\" (the documented --arm64 build)",
                file.path
            ));
        }
    }
    let passed = root.attr_text(root.block("module", &["lambda"]), "architecture");
    if passed != "var.lambda_architecture" {
        problems.push(format!(
            "{ROOT_MAIN}: module \"lambda\" architecture = {passed}, expected var.lambda_architecture"
        ));
    }
    report("packaging", problems);
}

// ---------------------------------------------------------------------------
// Numeric limits
// ---------------------------------------------------------------------------

/// `RANGES` from config.rs: (variable, min, max) of every number the host reads.
fn host_ranges() -> Vec<(String, u64, u64)> {
    terraform_check::rust_range_table(&read(CONFIG_RS), "RANGES").unwrap_or_else(|| {
        panic!("{CONFIG_RS}: no `const RANGES: &[(&str, u64, u64)] = &[ … ];` literal to read")
    })
}

/// Whether `body` (outside `environment` blocks) uses `var.name`: then the
/// variable also sets something AWS bounds (a timeout, a memory size).
fn used_outside_environment(body: &terraform_check::Body, name: &str) -> bool {
    let me = format!("var.{name}");
    body.attributes()
        .any(|a| walk(a.expr()).iter().any(|e| text(e) == me))
        || body
            .blocks()
            .filter(|b| b.identifier() != "environment")
            .any(|b| used_outside_environment(b.body(), name))
}

/// The bounds of the lambda module's `var.name` at each level that can
/// set it: its own validations (`LAMBDA_VARIABLES`), then those of the root
/// variable that feeds it (followed through `module "lambda" { name =
/// var.root_name }`), or its default when the root module does not set it.
/// Each level must agree with the host on its own: a root variable that
/// accepts what the module refuses is a plan that fails for no good reason.
fn bounds_by_level(
    name: &str,
    lambda_vars: &TfFile,
    root_main: &TfFile,
    root_vars: &TfFile,
) -> Result<[(String, terraform_check::Bounds); 2], String> {
    let variable = lambda_vars.block("variable", &[name]);
    let own = terraform_check::validation_bounds(variable)
        .map_err(|e| format!("{LAMBDA_VARIABLES}: {e}"))?;
    let own = (format!("{LAMBDA_VARIABLES} var.{name}"), own);
    let module = root_main.block("module", &["lambda"]);
    let Some(passed) = attr(module.body(), name) else {
        // Not set by the root module: always the default.
        let default = attr(variable.body(), "default")
            .and_then(terraform_check::number)
            .ok_or_else(|| {
                format!("{LAMBDA_VARIABLES}: var.{name} is neither set by {ROOT_MAIN} nor has a number default")
            })?;
        let point = terraform_check::Bounds {
            min: Some(default),
            max: Some(default),
            whole: default.fract() == 0.0,
        };
        return Ok([own, (format!("the default of var.{name}"), point)]);
    };
    let passed = text(passed);
    let Some(root_name) = passed.strip_prefix("var.") else {
        return Err(format!(
            "{ROOT_MAIN}: module \"lambda\" {name} = {passed}; expected var.<name> to follow to its validation"
        ));
    };
    let root = terraform_check::validation_bounds(root_vars.block("variable", &[root_name]))
        .map_err(|e| format!("{ROOT_VARIABLES}: {e}"))?;
    Ok([own, (format!("{ROOT_VARIABLES} var.{root_name}"), root)])
}

fn show(n: f64) -> String {
    if n.is_infinite() {
        "unbounded".into()
    } else {
        format!("{n}")
    }
}

#[test]
fn numeric_limits_match_the_host() {
    let ranges = host_ranges();
    let lambda = TfFile::load(LAMBDA_MAIN);
    let lambda_vars = TfFile::load(LAMBDA_VARIABLES);
    let root_main = TfFile::load(ROOT_MAIN);
    let root_vars = TfFile::load(ROOT_VARIABLES);
    let variables = host_variables();
    let mut problems = Vec::new();
    if ranges.is_empty() {
        problems.push(format!("{CONFIG_RS}: RANGES is empty"));
    }
    for (name, min, max) in &ranges {
        if !variables.contains(name) {
            problems.push(format!(
                "{CONFIG_RS}: RANGES has {name}, which is not in VARIABLES"
            ));
        }
        if min > max {
            problems.push(format!("{CONFIG_RS}: RANGES {name}: {min} > {max}"));
        }
    }
    let mut checked = BTreeSet::new();
    for f in functions(&lambda) {
        let what = format!("{LAMBDA_MAIN}: `{}`", describe(f.block));
        for (key, expr) in &f.env {
            let Some((_, min, max)) = ranges.iter().find(|(n, _, _)| n == key) else {
                continue;
            };
            checked.insert(key.clone());
            let (min, max) = (*min as f64, *max as f64);
            let names = terraform_check::variables_in(expr);
            let mut levels: [BTreeMap<String, terraform_check::Interval>; 2] = Default::default();
            let mut sources: [Vec<String>; 2] = Default::default();
            for name in &names {
                let by_level = match bounds_by_level(name, &lambda_vars, &root_main, &root_vars) {
                    Ok(b) => b,
                    Err(e) => {
                        problems.push(format!("{what}: {key}: {e}"));
                        continue;
                    }
                };
                if !by_level.iter().any(|(_, b)| b.whole) {
                    problems.push(format!(
                        "{what}: {key} = {} uses var.{name}, which no validation holds to whole numbers \
                         (add `floor(var.{name}) == var.{name}`): the host reads a whole number",
                        text(expr)
                    ));
                }
                for (level, (source, b)) in by_level.into_iter().enumerate() {
                    levels[level].insert(name.clone(), b.interval());
                    sources[level].push(source);
                }
            }
            // A variable that only feeds the host must accept exactly what
            // the host accepts; one that also sets an AWS attribute (the
            // timeout) or a value derived from one (memory, storage) is
            // bounded by AWS, and must stay within the host's range.
            let inner = match expr {
                Expression::FuncCall(call) if call.name.name.as_str() == "tostring" => {
                    call.args.first().map_or_else(String::new, text)
                }
                other => text(other),
            };
            let direct = names.len() == 1
                && inner == format!("var.{}", names[0])
                && !used_outside_environment(f.block.body(), &names[0]);
            for (bounds, sources) in levels.iter().zip(&sources) {
                if bounds.len() != names.len() {
                    continue;
                }
                let by = if sources.is_empty() {
                    String::new()
                } else {
                    format!(" (by {})", sources.join(", "))
                };
                let range = match terraform_check::eval_interval(expr, &|n| bounds.get(n).copied())
                {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(format!("{what}: {key} = {}: {e}", text(expr)));
                        continue;
                    }
                };
                let (lo, hi) = (show(range.lo), show(range.hi));
                if direct && (range.lo != min || range.hi != max) {
                    problems.push(format!(
                        "{what}: {key} = {}: Terraform accepts {lo}..{hi}{by}, the host {min}..{max} \
                         ({CONFIG_RS} RANGES); they must be equal",
                        text(expr)
                    ));
                } else if !range.within(min, max) {
                    problems.push(format!(
                        "{what}: {key} = {} can be {lo}..{hi}{by}, but the host accepts only {min}..{max} \
                         ({CONFIG_RS} RANGES): a plan that validates would make the function fail to start",
                        text(expr)
                    ));
                }
            }
        }
    }
    // Guards the check itself: the numbers Terraform is known to set.
    for expected in [
        "CTA_WINDOW_DAYS",
        "CTA_MAX_JOB_MB",
        "CTA_MEMORY_LIMIT_MB",
        "CTA_TIME_LIMIT_SECS",
        "CTA_SCRATCH_LIMIT_MB",
    ] {
        if !checked.contains(expected) {
            problems.push(format!(
                "{LAMBDA_MAIN}: {expected} was not checked (not set, or not in RANGES of {CONFIG_RS})"
            ));
        }
    }
    report("numeric limits, Terraform vs host", problems);
}

// ---------------------------------------------------------------------------
// The rules and the jobs: who may change what the functions run
// ---------------------------------------------------------------------------

/// What a non-deployer must not do to the component and config keys.
const RULE_WRITE_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
];

/// What no one but the consolidate role (and named operators) may do to a
/// job: create it, take it, hide it, delete it.
const JOB_MESSAGE_ACTIONS: &[&str] = &[
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:PurgeQueue",
];

/// Conditions that exempt principals by ARN from a deny.
const NOT_ARN_TESTS: &[&str] = &["ArnNotLike", "ArnNotEquals"];

fn principal_is_anyone(s: &Statement) -> bool {
    s.principals
        .iter()
        .any(|(ty, ids)| ty == "*" && ids == "[\"*\"]")
}

/// A `Deny` of `actions` (at least) to every principal whose
/// `aws:PrincipalArn` is not in a list whose text contains `allowed`.
fn denies_all_but(s: &Statement, actions: &[&str], allowed: &str) -> bool {
    s.effect == "Deny"
        && principal_is_anyone(s)
        && actions.iter().all(|a| s.actions.iter().any(|x| x == a))
        && s.conditions.iter().any(|c| {
            NOT_ARN_TESTS.contains(&c.test.as_str())
                && c.variable == "aws:PrincipalArn"
                && c.values.contains(allowed)
        })
}

/// A `Deny` of `all` to everyone on `aws:SecureTransport = false`.
fn denies_insecure_transport(s: &Statement, all: &str) -> bool {
    s.effect == "Deny"
        && principal_is_anyone(s)
        && s.actions.iter().any(|a| a == all)
        && s.conditions.iter().any(|c| {
            c.test == "Bool" && c.variable == "aws:SecureTransport" && c.values == "[\"false\"]"
        })
}

/// The `data "aws_iam_policy_document"` named in `text`
/// (`data.aws_iam_policy_document.X[…].json`).
fn policy_document<'a>(file: &'a TfFile, text: &str) -> Option<(String, &'a Block)> {
    let name = reference(text, "data.aws_iam_policy_document.")?;
    let found = file.blocks("data", &["aws_iam_policy_document", name]);
    found.first().map(|b| (name.to_owned(), *b))
}

/// `var.name`'s validation accepts "" or 64 lowercase hexadecimal digits,
/// as the host's pin does (it also takes upper case; Terraform keeps one
/// spelling so a plan shows no change for a case change).
fn validates_a_sha256(file: &TfFile, name: &str, problems: &mut Vec<String>) {
    let variable = file.block("variable", &[name]);
    let conditions: Vec<String> = blocks(variable.body(), "validation", &[])
        .into_iter()
        .filter_map(|v| attr(v.body(), "condition").map(text))
        .collect();
    let ok = conditions.iter().any(|c| {
        c.contains(&format!("var.{name} == \"\""))
            && c.contains("^[0-9a-f]{64}$")
            && c.contains(&format!("var.{name})"))
    });
    if !ok {
        problems.push(format!(
            "{}: variable \"{name}\" must be validated as \"\" or ^[0-9a-f]{{64}}$ (the host refuses anything else at start), found {conditions:?}",
            file.path
        ));
    }
}

#[test]
fn component_pin_reaches_both_functions_from_one_variable() {
    let root = TfFile::load(ROOT_MAIN);
    let root_vars = TfFile::load(ROOT_VARIABLES);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let lambda_vars = TfFile::load(LAMBDA_VARIABLES);
    let s3 = TfFile::load(S3_MAIN);
    let s3_vars = TfFile::load(S3_VARIABLES);
    let mut problems = Vec::new();

    // The host reads it, and checks its format at start.
    let config = strip_line_comments(&read(CONFIG_RS));
    if !(config.contains("get(\"CTA_COMPONENT_SHA256\")")
        && config.contains("ComponentPin::parse("))
    {
        problems.push(format!(
            "{CONFIG_RS}: does not read CTA_COMPONENT_SHA256 through ComponentPin::parse (a malformed pin must stop the function at start)"
        ));
    }
    for f in functions(&lambda) {
        let got = f.env("CTA_COMPONENT_SHA256").map(text);
        if got.as_deref() != Some("var.component_sha256") {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` sets CTA_COMPONENT_SHA256 = {got:?}, expected var.component_sha256",
                describe(f.block)
            ));
        }
    }
    for module in ["lambda", "s3"] {
        let passed = root.attr_text(root.block("module", &[module]), "component_sha256");
        if passed != "var.component_sha256" {
            problems.push(format!(
                "{ROOT_MAIN}: module \"{module}\" component_sha256 = {passed}, expected var.component_sha256 (one pin for the functions and the upload)"
            ));
        }
    }
    for file in [&root_vars, &lambda_vars, &s3_vars] {
        validates_a_sha256(file, "component_sha256", &mut problems);
    }
    // Terraform never uploads a component the functions would refuse.
    let component = s3.resource("aws_s3_object", "component");
    let checked = blocks(component.body(), "lifecycle", &[])
        .into_iter()
        .flat_map(|l| blocks(l.body(), "precondition", &[]))
        .filter_map(|p| attr(p.body(), "condition").map(text))
        .any(|c| {
            c.contains("filesha256(var.component_source_path)")
                && c.contains("var.component_sha256")
        });
    if !checked {
        problems.push(format!(
            "{S3_MAIN}: `{}` has no precondition that filesha256(var.component_source_path) is var.component_sha256",
            describe(component)
        ));
    }
    report("the component pin", problems);
}

#[test]
fn sigma_rules_reach_both_functions_with_read_only_grants() {
    let root = TfFile::load(ROOT_MAIN);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let mut problems = Vec::new();

    // One prefix: uploaded by the s3 module, read through IAM, named to the host.
    for (module, input, expected) in [
        ("s3", "sigma_rules_source_dir", "var.sigma_rules_path"),
        ("iam", "sigma_prefix", "module.s3.sigma_prefix"),
        ("lambda", "sigma_uri", "module.s3.sigma_uri"),
    ] {
        let passed = root.attr_text(root.block("module", &[module]), input);
        if passed != expected {
            problems.push(format!(
                "{ROOT_MAIN}: module \"{module}\" {input} = {passed}, expected {expected}"
            ));
        }
    }
    for f in functions(&lambda) {
        let got = f.env("CTA_SIGMA_URI").map(text);
        if got.as_deref() != Some("var.sigma_uri") {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` sets CTA_SIGMA_URI = {got:?}, expected var.sigma_uri (both functions load the same rules)",
                describe(f.block)
            ));
        }
    }
    // Each role lists the prefix, and only it, and reads the objects under it.
    let roles = role_statements(&mut problems);
    for (role, (docs, stmts)) in &roles {
        let lists = stmts.iter().any(|s| {
            s.grants("s3:ListBucket")
                && s.resources == ["var.rules_bucket_arn"]
                && s.conditions
                    .iter()
                    .any(|c| c.variable == "s3:prefix" && c.values.contains("${var.sigma_prefix}*"))
        });
        let reads = stmts.iter().any(|s| {
            s.grants("s3:GetObject")
                && s.resources
                    .iter()
                    .any(|r| r.contains("${var.rules_bucket_arn}/${var.sigma_prefix}*"))
        });
        if !(lists && reads) {
            problems.push(format!(
                "{IAM_MAIN}: {role} ({docs}) lacks s3:ListBucket on var.rules_bucket_arn with s3:prefix = ${{var.sigma_prefix}}* \
                 (listed {lists}) or s3:GetObject on <rules bucket>/${{var.sigma_prefix}}* (read {reads})"
            ));
        }
        for s in stmts.iter().filter(|s| s.grants("s3:ListBucket")) {
            if s.resources.iter().any(|r| r.contains("rules_bucket"))
                && !s.conditions.iter().any(|c| c.variable == "s3:prefix")
            {
                problems.push(format!(
                    "{IAM_MAIN}: {role} ({docs}), statement {}: lists the rules bucket without an s3:prefix condition",
                    s.sid
                ));
            }
        }
    }
    report("Sigma rule files", problems);
}

#[test]
fn rules_bucket_denies_rule_writes_to_all_but_the_deployers() {
    let root = TfFile::load(ROOT_MAIN);
    let s3 = TfFile::load(S3_MAIN);
    let mut problems = Vec::new();

    // The combined policy of each bucket, and the documents it merges.
    let combined = s3.block("data", &["aws_iam_policy_document", "combined"]);
    let sources = s3.attr(combined, "source_policy_documents");
    let policy = s3.resource("aws_s3_bucket_policy", "this");
    let policy_text = s3.attr_text(policy, "policy");
    if !policy_text.contains("data.aws_iam_policy_document.combined[") {
        problems.push(format!(
            "{S3_MAIN}: `{}` policy = {policy_text}, expected data.aws_iam_policy_document.combined[each.key].json",
            describe(policy)
        ));
    }

    // TLS only, on every bucket: a document merged unconditionally.
    let mut tls = false;
    for item in walk(sources) {
        if let Expression::Array(items) = item {
            for e in items {
                if let Some((_, doc)) = policy_document(&s3, &text(e)) {
                    tls |= statements(&s3, doc)
                        .iter()
                        .any(|s| denies_insecure_transport(s, "s3:*"));
                }
            }
        }
    }
    if !tls {
        problems.push(format!(
            "{S3_MAIN}: `{}` merges no document that denies s3:* without TLS (aws:SecureTransport = false) on every bucket",
            describe(combined)
        ));
    }

    // The rules bucket: a document merged when each.key == "rules" that
    // denies rule writes to all but var.rules_writer_arns, on both keys.
    let mut guarded = Vec::new();
    for e in walk(sources) {
        let Expression::Conditional(c) = e else {
            continue;
        };
        if !text(&c.cond_expr).contains("\"rules\"") {
            continue;
        }
        let Some((name, doc)) = policy_document(&s3, &text(&c.true_expr)) else {
            continue;
        };
        for st in statements(&s3, doc) {
            if !denies_all_but(&st, RULE_WRITE_ACTIONS, "var.rules_writer_arns") {
                continue;
            }
            for key in ["var.component_key", "var.config_key", "var.sigma_prefix"] {
                let covered = st
                    .resources
                    .iter()
                    .any(|r| r.contains("this[\"rules\"]") && r.contains(key));
                if !covered {
                    problems.push(format!(
                        "{S3_MAIN}: data.aws_iam_policy_document.{name} statement {}: no resource <rules bucket>/${{{key}}}",
                        st.sid
                    ));
                }
            }
            guarded.push(name.clone());
        }
    }
    if guarded.is_empty() {
        problems.push(format!(
            "{S3_MAIN}: the rules bucket's policy (`{}` when each.key == \"rules\") has no Deny of {RULE_WRITE_ACTIONS:?} \
             to principal * with ArnNotLike aws:PrincipalArn = var.rules_writer_arns: whoever can PutObject the component key controls the pipeline",
            describe(combined)
        ));
    }

    // The deployers: the named ones and whoever applies this.
    let passed = root.attr_text(root.block("module", &["s3"]), "rules_writer_arns");
    let writers = expand_locals(&passed, &root.locals());
    if !writers.contains("var.component_writer_arns") {
        problems.push(format!(
            "{ROOT_MAIN}: module \"s3\" rules_writer_arns = {passed} ({writers}) does not include var.component_writer_arns"
        ));
    }
    if !writers.contains("data.aws_iam_session_context.current.issuer_arn") {
        problems.push(format!(
            "{ROOT_MAIN}: module \"s3\" rules_writer_arns = {writers} does not admit the identity running Terraform \
             (data.aws_iam_session_context.current.issuer_arn), which uploads the component"
        ));
    }
    // Uploads wait for the policy that admits their writer.
    for name in ["component", "config"] {
        let object = s3.resource("aws_s3_object", name);
        let after = attr(object.body(), "depends_on")
            .map(text)
            .unwrap_or_default();
        if !after.contains("aws_s3_bucket_policy.this") {
            problems.push(format!(
                "{S3_MAIN}: `{}` does not depend on aws_s3_bucket_policy.this: a new deployer's upload could come before the policy admits it",
                describe(object)
            ));
        }
    }
    // Neither function may write the rules.
    let roles = role_statements(&mut problems);
    for (role, (docs, stmts)) in &roles {
        for st in stmts.iter().filter(|s| s.effect == "Allow") {
            for action in RULE_WRITE_ACTIONS {
                if st.grants(action) && st.resources.iter().any(|r| r.contains("rules_bucket")) {
                    problems.push(format!(
                        "{IAM_MAIN}: {role} ({docs}), statement {}: {action} on the rules bucket; only deployers write the rules",
                        st.sid
                    ));
                }
            }
        }
    }
    report("rules bucket policy", problems);
}

#[test]
fn queues_deny_messages_to_all_but_their_function_role() {
    let root = TfFile::load(ROOT_MAIN);
    let lambda = TfFile::load(LAMBDA_MAIN);
    let queue = TfFile::load(QUEUE_MAIN);
    let mut problems = Vec::new();

    let policies = queue.resources("aws_sqs_queue_policy");
    // Each queue, and the queue module input that names the one role
    // exempted from its deny.
    for (q, what, role_input) in [
        ("this", "the jobs queue", "consumer_role_arn"),
        ("dlq", "the jobs dead-letter queue", "consumer_role_arn"),
        ("reports", "the report queue", "reports_consumer_role_arn"),
        (
            "reports_dlq",
            "the report dead-letter queue",
            "reports_consumer_role_arn",
        ),
    ] {
        let role_var = format!("var.{role_input}");
        let url = format!("aws_sqs_queue.{q}.id");
        let found: Vec<_> = policies
            .iter()
            .filter(|(_, p)| queue.attr_text(p, "queue_url") == url)
            .collect();
        let [(_, policy)] = found.as_slice() else {
            problems.push(format!(
                "{QUEUE_MAIN}: {} aws_sqs_queue_policy with queue_url = {url} ({what}), expected 1",
                found.len()
            ));
            continue;
        };
        let policy_text = queue.attr_text(policy, "policy");
        let Some((name, doc)) = policy_document(&queue, &policy_text) else {
            problems.push(format!(
                "{QUEUE_MAIN}: `{}` policy = {policy_text}, expected data.aws_iam_policy_document.<name>….json",
                describe(policy)
            ));
            continue;
        };
        let stmts = statements(&queue, doc);
        let at = format!("{QUEUE_MAIN}: data.aws_iam_policy_document.{name} ({what})");
        if !stmts
            .iter()
            .any(|s| denies_all_but(s, JOB_MESSAGE_ACTIONS, &role_var))
        {
            problems.push(format!(
                "{at}: no Deny of {JOB_MESSAGE_ACTIONS:?} to principal * with ArnNotLike aws:PrincipalArn including {role_var}"
            ));
        }
        if !stmts.iter().any(|s| denies_insecure_transport(s, "sqs:*")) {
            problems.push(format!(
                "{at}: no Deny of sqs:* without TLS (aws:SecureTransport = false)"
            ));
        }
        // Same account: a queue policy's Allow is a grant beside IAM.
        for s in stmts.iter().filter(|s| s.effect == "Allow") {
            problems.push(format!(
                "{at}: statement {} allows {:?}; grants belong in the iam module, held to the host's calls",
                s.sid, s.actions
            ));
        }
    }

    // The role exempted is the one the queue's consumer runs as: follow the
    // event source mapping to its function's role, as the root passes it.
    let lambda_module = root.block("module", &["lambda"]);
    for (_, esm) in lambda.resources("aws_lambda_event_source_mapping") {
        let source = lambda.attr_text(esm, "event_source_arn");
        let passed_queue = reference(&source, "var.")
            .map(|input| root.attr_text(lambda_module, input))
            .unwrap_or_default();
        let role_input = if passed_queue == "module.queue.reports_queue_arn" {
            "reports_consumer_role_arn"
        } else {
            "consumer_role_arn"
        };
        let queue_role = root.attr_text(root.block("module", &["queue"]), role_input);
        let target = lambda.attr_text(esm, "function_name");
        let Some(function) = reference(&target, "aws_lambda_function.") else {
            continue;
        };
        let role = lambda.attr_text(lambda.resource("aws_lambda_function", function), "role");
        let Some(input) = reference(&role, "var.") else {
            continue;
        };
        let passed = root.attr_text(lambda_module, input);
        if passed != queue_role {
            problems.push(format!(
                "{ROOT_MAIN}: module \"queue\" {role_input} = {queue_role}, but the queue's consumer \
                 (aws_lambda_function.{function}) runs as {passed}"
            ));
        }
    }
    report("queue policies", problems);
}

/// The metrics the host logs (Embedded Metric Format) and their names.
const HOST_METRICS: &str = "host/src/lambda/metrics.rs";

#[test]
fn every_custom_metric_has_an_alarm_and_every_alarm_a_metric() {
    let mut problems = Vec::new();
    let src = strip_line_comments(&read(HOST_METRICS));
    let constant = |name: &str| -> Option<String> {
        let rest = &src[src.find(&format!("pub const {name}: &str = \""))?..];
        let value = rest.split('"').nth(1)?;
        Some(value.to_owned())
    };
    let namespace = constant("NAMESPACE").expect("metrics.rs names its namespace");
    // Every `pub const X: &str` but the namespace is a metric.
    let metrics: BTreeSet<String> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .filter(|name| *name != "NAMESPACE")
        .filter_map(constant)
        .collect();
    assert!(!metrics.is_empty(), "{HOST_METRICS}: no metric found");

    let lambda = TfFile::load(LAMBDA_MAIN);
    let mut alarmed = BTreeSet::new();
    for alarm in lambda.blocks("resource", &["aws_cloudwatch_metric_alarm"]) {
        let field = |name: &str| attr(&alarm.body, name).and_then(literal).map(str::to_owned);
        if field("namespace").as_deref() != Some(namespace.as_str()) {
            continue;
        }
        let metric = field("metric_name").unwrap_or_default();
        if !metrics.contains(&metric) {
            problems.push(format!(
                "{LAMBDA_MAIN}: `{}` alarms on {namespace}/{metric}, which {HOST_METRICS} never emits",
                describe(alarm)
            ));
        }
        alarmed.insert(metric);
    }
    for metric in metrics.difference(&alarmed) {
        problems.push(format!(
            "{HOST_METRICS}: {namespace}/{metric} is emitted but no alarm in {LAMBDA_MAIN} watches it"
        ));
    }
    report("custom metrics vs alarms", problems);
}
