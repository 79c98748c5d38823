//! Helpers for `tests/terraform.rs`, the test that holds the Terraform in
//! `terraform/` against the host code.
//!
//! The Terraform is parsed with `hcl-rs` and never evaluated: expressions
//! such as `var.x` or `"${local.raw_prefix}*"` are compared on their text.
//! The host's Rust sources are read as plain text (this crate does not depend
//! on the host, so it builds fast and alone).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

pub use hcl::{Block, Body, Expression};

/// The repository root (this crate lives in `tools/terraform-check`), or
/// `TERRAFORM_CHECK_ROOT` when set: a copy of the tree to try the checks on
/// (`terraform/` and `host/` are read, plus the two manifests).
pub fn repo_root() -> PathBuf {
    if let Some(root) = std::env::var_os("TERRAFORM_CHECK_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Reads `rel` (relative to the repository root), naming it on failure.
pub fn read(rel: &str) -> String {
    let path = repo_root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

// ---------------------------------------------------------------------------
// HCL
// ---------------------------------------------------------------------------

/// One parsed `.tf` file, with the path it is reported under.
pub struct TfFile {
    pub path: String,
    pub body: Body,
}

impl TfFile {
    /// Parses `rel` (relative to the repository root).
    pub fn load(rel: &str) -> TfFile {
        let text = read(rel);
        let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{rel}: not valid HCL: {e}"));
        TfFile {
            path: rel.to_owned(),
            body,
        }
    }

    /// Top-level blocks `ident "l1" "l2" …` whose labels start with `labels`.
    pub fn blocks<'a>(&'a self, ident: &str, labels: &[&str]) -> Vec<&'a Block> {
        blocks(&self.body, ident, labels)
    }

    /// The one top-level block `ident "l1" "l2"`; panics naming the file if
    /// there is none or more than one.
    pub fn block<'a>(&'a self, ident: &str, labels: &[&str]) -> &'a Block {
        let found = self.blocks(ident, labels);
        match found.as_slice() {
            [one] => one,
            _ => panic!(
                "{}: expected exactly one `{}`, found {}",
                self.path,
                spell(ident, labels),
                found.len()
            ),
        }
    }

    /// `resource "ty" "name"`.
    pub fn resource<'a>(&'a self, ty: &str, name: &str) -> &'a Block {
        self.block("resource", &[ty, name])
    }

    /// Every `resource "ty" …`, with its name.
    pub fn resources<'a>(&'a self, ty: &str) -> Vec<(String, &'a Block)> {
        self.blocks("resource", &[ty])
            .into_iter()
            .map(|b| (label(b, 1).to_owned(), b))
            .collect()
    }

    /// The `default` of `variable "name"`, if it has one.
    pub fn variable_default(&self, name: &str) -> Option<&Expression> {
        attr(self.block("variable", &[name]).body(), "default")
    }

    /// Every `locals { … }` entry of the file.
    pub fn locals(&self) -> BTreeMap<String, &Expression> {
        self.blocks("locals", &[])
            .into_iter()
            .flat_map(|b| b.body().attributes())
            .map(|a| (a.key().to_owned(), a.expr()))
            .collect()
    }

    /// The value of `local.name`; panics naming the file if it is missing.
    pub fn local(&self, name: &str) -> &Expression {
        self.locals()
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("{}: no `local.{name}` in its locals", self.path))
    }

    /// `name = …` in the body of `block`; panics naming file and block.
    pub fn attr<'a>(&self, block: &'a Block, name: &str) -> &'a Expression {
        attr(block.body(), name).unwrap_or_else(|| {
            panic!(
                "{}: `{}` has no `{name}` attribute",
                self.path,
                describe(block)
            )
        })
    }

    /// The text of `name = …` in `block`.
    pub fn attr_text(&self, block: &Block, name: &str) -> String {
        text(self.attr(block, name))
    }
}

/// Blocks `ident "l1" "l2" …` directly in `body` whose labels start with `labels`.
pub fn blocks<'a>(body: &'a Body, ident: &str, labels: &[&str]) -> Vec<&'a Block> {
    body.blocks()
        .filter(|b| b.identifier() == ident)
        .filter(|b| {
            b.labels().len() >= labels.len()
                && b.labels()
                    .iter()
                    .zip(labels)
                    .all(|(l, want)| l.as_str() == *want)
        })
        .collect()
}

/// The `i`-th label of `block` (`""` if it has fewer).
pub fn label(block: &Block, i: usize) -> &str {
    block.labels().get(i).map_or("", |l| l.as_str())
}

fn spell(ident: &str, labels: &[&str]) -> String {
    let mut s = ident.to_owned();
    for l in labels {
        let _ = write!(s, " \"{l}\"");
    }
    s
}

/// `resource "aws_lambda_function" "consolidate"`, for messages.
pub fn describe(block: &Block) -> String {
    let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
    spell(block.identifier(), &labels)
}

/// `name = …` directly in `body`.
pub fn attr<'a>(body: &'a Body, name: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
}

/// The expression as one line of HCL text: `var.x`, `"${var.a}/b"`,
/// `tostring(var.n)`, `[var.architecture]`.
pub fn text(expr: &Expression) -> String {
    use hcl::format::{Format, Formatter};
    let mut formatter = Formatter::builder().compact(true).build_vec();
    expr.format_string(&mut formatter)
        .expect("formatting an expression cannot fail")
}

/// The value of a plain string literal (no interpolation).
pub fn literal(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s),
        _ => None,
    }
}

/// The elements of an array expression.
pub fn array(expr: &Expression) -> Option<&[Expression]> {
    match expr {
        Expression::Array(items) => Some(items),
        _ => None,
    }
}

/// The entries of an object expression, keys as plain strings.
pub fn object(expr: &Expression) -> Option<Vec<(String, &Expression)>> {
    match expr {
        Expression::Object(map) => Some(
            map.iter()
                .map(|(k, v)| (k.to_string().trim_matches('"').to_owned(), v))
                .collect(),
        ),
        _ => None,
    }
}

/// `expr` and every expression inside it, outermost first.
pub fn walk(expr: &Expression) -> Vec<&Expression> {
    use hcl::expr::Operation;
    let mut out = vec![expr];
    let children: Vec<&Expression> = match expr {
        Expression::Array(items) => items.iter().collect(),
        Expression::Object(map) => map.values().collect(),
        Expression::Traversal(t) => vec![&t.expr],
        Expression::FuncCall(f) => f.args.iter().collect(),
        Expression::Parenthesis(e) => vec![e],
        Expression::Conditional(c) => vec![&c.cond_expr, &c.true_expr, &c.false_expr],
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => vec![&u.expr],
            Operation::Binary(b) => vec![&b.lhs_expr, &b.rhs_expr],
        },
        _ => Vec::new(),
    };
    for child in children {
        out.extend(walk(child));
    }
    out
}

/// Replaces every `local.NAME` in `text` by the local's own text (inside a
/// template, `${local.NAME}` by the string it stands for), until none that
/// `locals` knows is left. Lets a check see through
/// `"${var.bucket}/${local.raw_prefix}*"` to `…AWSLogs/*`.
pub fn expand_locals(text: &str, locals: &BTreeMap<String, &Expression>) -> String {
    let mut out = text.to_owned();
    for _ in 0..8 {
        let mut changed = false;
        for (name, expr) in locals {
            let value = self::text(expr);
            let inner = match expr {
                Expression::String(_) | Expression::TemplateExpr(_) => {
                    value.trim_matches('"').to_owned()
                }
                _ => format!("${{{value}}}"),
            };
            let interpolated = format!("${{local.{name}}}");
            if out.contains(&interpolated) {
                out = out.replace(&interpolated, &inner);
                changed = true;
            }
            let bare = format!("local.{name}");
            let mut rebuilt = String::new();
            let mut rest = out.as_str();
            while let Some(i) = rest.find(&bare) {
                let after = &rest[i + bare.len()..];
                let whole_name = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
                rebuilt.push_str(&rest[..i]);
                if whole_name {
                    rebuilt.push_str(&value);
                    changed = true;
                } else {
                    rebuilt.push_str(&bare);
                }
                rest = after;
            }
            rebuilt.push_str(rest);
            out = rebuilt;
        }
        if !changed {
            break;
        }
    }
    out
}

/// One `statement` of a `data "aws_iam_policy_document"`, literal or the
/// `content` of a `dynamic "statement"`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: String,
    /// `Allow` unless the statement says otherwise.
    pub effect: String,
    /// Literal action names; a non-literal action is kept as its text.
    pub actions: Vec<String>,
    /// Each resource's text, with locals expanded.
    pub resources: Vec<String>,
    /// Inside a `dynamic "statement"` (granted only when its `for_each` is non-empty).
    pub dynamic: bool,
    /// Each `principals { type, identifiers }`, as (type, identifiers' text).
    pub principals: Vec<(String, String)>,
    /// Each `condition { test, variable, values }`, values as text with
    /// locals expanded.
    pub conditions: Vec<Condition>,
}

/// One `condition` block of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub test: String,
    pub variable: String,
    pub values: String,
}

impl Statement {
    pub fn grants(&self, action: &str) -> bool {
        self.effect == "Allow" && self.actions.iter().any(|a| a == action)
    }
}

/// The statements of `doc`, a `data "aws_iam_policy_document"` block of `file`.
pub fn statements(file: &TfFile, doc: &Block) -> Vec<Statement> {
    let locals = file.locals();
    let mut out = Vec::new();
    for block in doc.body().blocks() {
        let (body, dynamic) = match (block.identifier(), label(block, 0)) {
            ("statement", _) => (block.body(), false),
            ("dynamic", "statement") => {
                let content = blocks(block.body(), "content", &[]);
                let [content] = content.as_slice() else {
                    panic!(
                        "{}: `{}` › `{}` has no single `content` block",
                        file.path,
                        describe(doc),
                        describe(block)
                    );
                };
                (content.body(), true)
            }
            _ => continue,
        };
        let sid = attr(body, "sid").and_then(literal).unwrap_or("(no sid)");
        let actions = match attr(body, "actions") {
            Some(expr) => array(expr)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: `{}` statement {sid}: `actions` must be a literal list, not {}",
                        file.path,
                        describe(doc),
                        text(expr)
                    )
                })
                .iter()
                .map(|a| literal(a).map_or_else(|| text(a), str::to_owned))
                .collect(),
            None => Vec::new(),
        };
        let resources = match attr(body, "resources") {
            Some(expr) => {
                let expanded = expand_locals(&text(expr), &locals);
                match array(expr) {
                    Some(items) => items
                        .iter()
                        .map(|r| expand_locals(&text(r), &locals))
                        .collect(),
                    None => vec![expanded],
                }
            }
            None => Vec::new(),
        };
        let literal_or_text = |b: &Body, name: &str| {
            attr(b, name).map_or_else(String::new, |e| {
                literal(e).map_or_else(|| text(e), str::to_owned)
            })
        };
        let principals = blocks(body, "principals", &[])
            .into_iter()
            .map(|p| {
                (
                    literal_or_text(p.body(), "type"),
                    literal_or_text(p.body(), "identifiers"),
                )
            })
            .collect();
        let conditions = blocks(body, "condition", &[])
            .into_iter()
            .map(|c| Condition {
                test: literal_or_text(c.body(), "test"),
                variable: literal_or_text(c.body(), "variable"),
                values: attr(c.body(), "values")
                    .map_or_else(String::new, |v| expand_locals(&text(v), &locals)),
            })
            .collect();
        out.push(Statement {
            sid: sid.to_owned(),
            effect: attr(body, "effect")
                .and_then(literal)
                .unwrap_or("Allow")
                .to_owned(),
            actions,
            resources,
            dynamic,
            principals,
            conditions,
        });
    }
    out
}

// ---------------------------------------------------------------------------
// Rust sources, as text
// ---------------------------------------------------------------------------

/// `src` without `//` comments (line and doc comments), so a call named in a
/// comment is not taken for one. String literals containing `//` are rare
/// enough in this code base not to matter for what is looked for here.
pub fn strip_line_comments(src: &str) -> String {
    src.lines()
        .map(|line| match find_comment(line) {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a `//` comment starts in `line`, outside a string literal.
fn find_comment(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The string literals of `const NAME: &[&str] = &[ … ];` in `src`.
pub fn rust_str_array(src: &str, name: &str) -> Option<Vec<String>> {
    let src = strip_line_comments(src);
    let start = src.find(&format!("const {name}:"))?;
    let rest = &src[start..];
    let open = rest.find("&[")? + 2;
    let close = open + rest[open..].find("];")?;
    Some(string_literals(&rest[open..close]))
}

/// The contents of the `"…"` literals in `src`, in order (no escapes expected).
pub fn string_literals(src: &str) -> Vec<String> {
    src.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file under `dir` (relative to the repository root), sorted,
/// as (path relative to the root, text).
pub fn rust_sources(dir: &str) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {dir:?}: {e}"));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push((rel.display().to_string(), text));
            }
        }
    }
    let root = repo_root();
    let mut out = Vec::new();
    walk(&root, &root.join(dir), &mut out);
    out.sort();
    out
}

/// The 1-based line numbers where `.method()` is called in `src` (comments
/// excluded). AWS SDK operations are called as `.operation()` and then
/// configured through the returned builder, so the empty parentheses are
/// what tells them from a same-named helper; `set_…` setters are matched
/// with their argument.
pub fn method_calls(src: &str, method: &str) -> Vec<usize> {
    // A builder setter that changes what a call needs (`.set_version_id(v)`)
    // takes its value.
    let needle = if method.starts_with("set_") {
        format!(".{method}(")
    } else {
        format!(".{method}()")
    };
    strip_line_comments(src)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(&needle))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The `(name, min, max)` tuples of `const NAME: &[(&str, u64, u64)] = &[ … ];`
/// in `src`; numbers may contain `_`.
pub fn rust_range_table(src: &str, name: &str) -> Option<Vec<(String, u64, u64)>> {
    let src = strip_line_comments(src);
    let start = src.find(&format!("const {name}:"))?;
    let rest = &src[start..];
    let open = rest.find("= &[")? + 4;
    let close = open + rest[open..].find("];")?;
    let mut out = Vec::new();
    for tuple in rest[open..close].split('(').skip(1) {
        let tuple = tuple.split(')').next()?;
        let fields: Vec<&str> = tuple.split(',').map(str::trim).collect();
        let [quoted, min, max, ..] = fields.as_slice() else {
            return None;
        };
        let number = |s: &str| s.replace('_', "").parse::<u64>().ok();
        out.push((
            quoted.trim_matches('"').to_owned(),
            number(min)?,
            number(max)?,
        ));
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Numeric ranges of Terraform variables
// ---------------------------------------------------------------------------

/// What a variable's `validation` blocks let through, as far as numbers go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A `floor(var.x) == var.x` condition holds it to whole numbers.
    pub whole: bool,
}

impl Bounds {
    pub const ANY: Bounds = Bounds {
        min: None,
        max: None,
        whole: false,
    };

    /// What passes both.
    pub fn and(self, other: Bounds) -> Bounds {
        let pick = |a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, b) => a.or(b),
        };
        Bounds {
            min: pick(self.min, other.min, f64::max),
            max: pick(self.max, other.max, f64::min),
            whole: self.whole || other.whole,
        }
    }

    pub fn interval(self) -> Interval {
        Interval {
            lo: self.min.unwrap_or(f64::NEG_INFINITY),
            hi: self.max.unwrap_or(f64::INFINITY),
        }
    }
}

/// The numeric value of `expr`, a literal or a negated one.
pub fn number(expr: &Expression) -> Option<f64> {
    use hcl::expr::{Operation, UnaryOperator};
    match expr {
        Expression::Number(n) => n.as_f64(),
        Expression::Parenthesis(e) => number(e),
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) if u.operator == UnaryOperator::Neg => number(&u.expr).map(|n| -n),
            _ => None,
        },
        _ => None,
    }
}

/// The bounds the `validation` blocks of `variable` (a `variable "name"`
/// block) put on it: the conjunctions of `var.name >= N`, `var.name <= N`
/// (`>`/`<`, either side) and `floor(var.name) == var.name`. A condition on
/// the variable it cannot read that way (an `||`, a `contains(…)`) is an
/// error, so a range is never guessed.
pub fn validation_bounds(variable: &Block) -> Result<Bounds, String> {
    use hcl::expr::{BinaryOperator, Operation};
    let name = label(variable, 0);
    let me = format!("var.{name}");
    let mentions = |e: &Expression| walk(e).iter().any(|x| text(x) == me);
    let mut bounds = Bounds::ANY;
    for validation in blocks(variable.body(), "validation", &[]) {
        let Some(condition) = attr(validation.body(), "condition") else {
            continue;
        };
        let mut terms = vec![condition];
        while let Some(term) = terms.pop() {
            let binary = match term {
                Expression::Operation(op) => match op.as_ref() {
                    Operation::Binary(b) => Some(b),
                    _ => None,
                },
                _ => None,
            };
            let Some(b) = binary else {
                if mentions(term) {
                    return Err(format!(
                        "cannot read a range from `{}` in the validation of {me}",
                        text(term)
                    ));
                }
                continue;
            };
            if b.operator == BinaryOperator::And {
                terms.push(&b.lhs_expr);
                terms.push(&b.rhs_expr);
                continue;
            }
            let (lhs, rhs) = (text(&b.lhs_expr), text(&b.rhs_expr));
            let floor_me = format!("floor({me})");
            if b.operator == BinaryOperator::Eq
                && ((lhs == floor_me && rhs == me) || (lhs == me && rhs == floor_me))
            {
                bounds.whole = true;
                continue;
            }
            // `var.x OP n`, or `n OP var.x` turned around.
            let (op, n) = if lhs == me {
                (b.operator, number(&b.rhs_expr))
            } else if rhs == me {
                let flipped = match b.operator {
                    BinaryOperator::Less => BinaryOperator::Greater,
                    BinaryOperator::LessEq => BinaryOperator::GreaterEq,
                    BinaryOperator::Greater => BinaryOperator::Less,
                    BinaryOperator::GreaterEq => BinaryOperator::LessEq,
                    other => other,
                };
                (flipped, number(&b.lhs_expr))
            } else {
                if mentions(term) {
                    return Err(format!(
                        "cannot read a range from `{}` in the validation of {me}",
                        text(term)
                    ));
                }
                continue;
            };
            let Some(n) = n else {
                return Err(format!(
                    "`{}` in the validation of {me} does not compare with a number",
                    text(term)
                ));
            };
            // Strict bounds are read as on whole numbers (the check asks for those).
            let bound = match op {
                BinaryOperator::GreaterEq => Bounds {
                    min: Some(n),
                    ..Bounds::ANY
                },
                BinaryOperator::Greater => Bounds {
                    min: Some(n.floor() + 1.0),
                    ..Bounds::ANY
                },
                BinaryOperator::LessEq => Bounds {
                    max: Some(n),
                    ..Bounds::ANY
                },
                BinaryOperator::Less => Bounds {
                    max: Some(n.ceil() - 1.0),
                    ..Bounds::ANY
                },
                _ => {
                    return Err(format!(
                        "cannot read a range from `{}` in the validation of {me}",
                        text(term)
                    ));
                }
            };
            bounds = bounds.and(bound);
        }
    }
    Ok(bounds)
}

/// A closed range of numbers; either end may be infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub fn point(n: f64) -> Interval {
        Interval { lo: n, hi: n }
    }

    pub fn within(&self, lo: f64, hi: f64) -> bool {
        self.lo >= lo && self.hi <= hi
    }
}

/// The values `expr` can take when each `var.x` in it ranges over
/// `vars("x")`: interval arithmetic over literals, variables, `+ - * /`,
/// `max`, `min`, `floor`, `ceil`, `tostring` and parentheses. Exact for what
/// is monotonic in each variable (all the module's derived sizes are).
pub fn eval_interval(
    expr: &Expression,
    vars: &dyn Fn(&str) -> Option<Interval>,
) -> Result<Interval, String> {
    use hcl::expr::{BinaryOperator, Operation};
    if let Some(n) = number(expr) {
        return Ok(Interval::point(n));
    }
    let t = text(expr);
    if let Some(name) = t.strip_prefix("var.")
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return vars(name).ok_or_else(|| format!("no range known for {t}"));
    }
    match expr {
        Expression::Parenthesis(e) => eval_interval(e, vars),
        Expression::FuncCall(f) => {
            let args = f
                .args
                .iter()
                .map(|a| eval_interval(a, vars))
                .collect::<Result<Vec<_>, _>>()?;
            let fold = |g: fn(f64, f64) -> f64| {
                args.iter().copied().reduce(|a, b| Interval {
                    lo: g(a.lo, b.lo),
                    hi: g(a.hi, b.hi),
                })
            };
            let result = match (f.name.name.as_str(), args.as_slice()) {
                ("tostring", [one]) => Some(*one),
                ("floor", [one]) => Some(Interval {
                    lo: one.lo.floor(),
                    hi: one.hi.floor(),
                }),
                ("ceil", [one]) => Some(Interval {
                    lo: one.lo.ceil(),
                    hi: one.hi.ceil(),
                }),
                ("max", [_, ..]) => fold(f64::max),
                ("min", [_, ..]) => fold(f64::min),
                _ => None,
            };
            result.ok_or_else(|| format!("cannot evaluate `{t}`"))
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Binary(b) => {
                let l = eval_interval(&b.lhs_expr, vars)?;
                let r = eval_interval(&b.rhs_expr, vars)?;
                let corners = |g: fn(f64, f64) -> f64| {
                    let c = [g(l.lo, r.lo), g(l.lo, r.hi), g(l.hi, r.lo), g(l.hi, r.hi)];
                    Interval {
                        lo: c.iter().copied().fold(f64::INFINITY, f64::min),
                        hi: c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    }
                };
                match b.operator {
                    BinaryOperator::Plus => Ok(Interval {
                        lo: l.lo + r.lo,
                        hi: l.hi + r.hi,
                    }),
                    BinaryOperator::Minus => Ok(Interval {
                        lo: l.lo - r.hi,
                        hi: l.hi - r.lo,
                    }),
                    BinaryOperator::Mul => Ok(corners(|a, b| a * b)),
                    BinaryOperator::Div if r.lo > 0.0 || r.hi < 0.0 => Ok(corners(|a, b| a / b)),
                    _ => Err(format!("cannot evaluate `{t}`")),
                }
            }
            Operation::Unary(_) => Err(format!("cannot evaluate `{t}`")),
        },
        _ => Err(format!("cannot evaluate `{t}`")),
    }
}

/// Every `var.x` named in `expr`, as `x`.
pub fn variables_in(expr: &Expression) -> Vec<String> {
    let mut out: Vec<String> = walk(expr)
        .into_iter()
        .filter_map(|e| {
            let t = text(e);
            let name = t.strip_prefix("var.")?;
            name.chars()
                .all(|c| c.is_alphanumeric() || c == '_')
                .then(|| name.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_locals_in_templates_and_bare_references() {
        let body = hcl::parse(
            r#"
locals {
  raw_prefix = "${var.log_prefix}AWSLogs/"
  raw        = local.raw_prefix
  raw_prefixes = ["x"]
}
"#,
        )
        .unwrap();
        let file = TfFile {
            path: "t.tf".into(),
            body,
        };
        let locals = file.locals();
        assert_eq!(
            expand_locals(r#""${var.b}/${local.raw_prefix}*""#, &locals),
            r#""${var.b}/${var.log_prefix}AWSLogs/*""#
        );
        assert_eq!(
            expand_locals("local.raw", &locals),
            r#""${var.log_prefix}AWSLogs/""#
        );
        assert_eq!(expand_locals("local.raw_prefixes", &locals), r#"["x"]"#);
    }

    #[test]
    fn reads_rust_arrays_and_calls() {
        let src = "// .get_object() in a comment\npub const V: &[&str] = &[\n    \"A\", // one\n    \"B\",\n];\nlet x = client\n    .get_object()\n";
        assert_eq!(rust_str_array(src, "V").unwrap(), ["A", "B"]);
        assert_eq!(method_calls(src, "get_object"), [7]);
        assert!(method_calls(src, "get").is_empty());
    }

    #[test]
    fn reads_validation_bounds_and_evaluates_ranges() {
        let body = hcl::parse(
            r#"
variable "days" {
  validation {
    condition     = var.days >= 1 && var.days <= 31 && floor(var.days) == var.days
    error_message = "x"
  }
}
variable "open" {
  validation {
    condition     = var.open > 0
    error_message = "x"
  }
}
variable "either" {
  validation {
    condition     = var.either == -1 || var.either >= 1
    error_message = "x"
  }
}
locals {
  derived = tostring(max(64, floor((var.days - 3) / 2)))
}
"#,
        )
        .unwrap();
        let file = TfFile {
            path: "t.tf".into(),
            body,
        };
        let days = validation_bounds(file.block("variable", &["days"])).unwrap();
        assert_eq!(
            days,
            Bounds {
                min: Some(1.0),
                max: Some(31.0),
                whole: true
            }
        );
        let open = validation_bounds(file.block("variable", &["open"])).unwrap();
        assert_eq!((open.min, open.max, open.whole), (Some(1.0), None, false));
        assert!(validation_bounds(file.block("variable", &["either"])).is_err());

        let vars = |name: &str| (name == "days").then_some(Interval { lo: 1.0, hi: 200.0 });
        let derived = eval_interval(file.local("derived"), &vars).unwrap();
        assert_eq!(derived, Interval { lo: 64.0, hi: 98.0 });
        assert_eq!(variables_in(file.local("derived")), ["days"]);
        assert!(eval_interval(file.local("derived"), &|_| None).is_err());
    }

    #[test]
    fn reads_rust_range_tables() {
        let src = "pub const RANGES: &[(&str, u64, u64)] = &[\n    (\"A\", 1, 31), // days\n    (\"B\", 16, 65_536),\n];\n";
        assert_eq!(
            rust_range_table(src, "RANGES").unwrap(),
            [("A".to_owned(), 1, 31), ("B".to_owned(), 16, 65_536)]
        );
    }
}
