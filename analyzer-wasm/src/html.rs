//! `report.html`: one self-contained page a person can open from disk.
//!
//! No scripts, fonts, images or links to anything: the charts are inline
//! SVG, the styles one inline `<style>`, and a Content-Security-Policy meta
//! tag forbids everything else, so even a value that escaped escaping could
//! not load or run anything. Every value that came from a log (event names,
//! principals, input names, error details, the title) goes through [`Esc`],
//! in text and in attributes alike.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write};

use crate::counter::Counter;
use crate::findings::{Finding, SeverityCount};
use crate::stats::{InputRecord, Stats, Status};
use crate::time::parse_event_time;

/// Bars in each top-N chart.
const TOP: usize = 10;
/// Characters of a label shown in a chart; the full value is in the tooltip.
const LABEL_CHARS: usize = 32;
/// Bars in the activity chart before hours are grouped into days.
const MAX_COLUMNS: u64 = 24 * 62;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS: &str = r#"
:root{color-scheme:light;--fg:#1c2230;--muted:#5c6577;--line:#e2e5eb;--bg:#f5f6f8;--card:#fff;--accent:#3867d6}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:var(--card);border-bottom:1px solid var(--line);padding:18px 24px}
header h1{margin:0;font-size:21px;font-weight:650;overflow-wrap:anywhere}
header p{margin:4px 0 0;color:var(--muted)}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h2{font-size:16px;margin:28px 0 10px}
h3{font-size:14px;margin:0 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:12px}
.card,.panel{background:var(--card);border:1px solid var(--line);border-radius:8px}
.card{padding:12px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;margin-top:2px;overflow-wrap:anywhere}
.card .v.small{font-size:14px}
.panel{padding:14px 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(400px,1fr));gap:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap;background:#fafbfc}
td{overflow-wrap:break-word}
td.wrap{overflow-wrap:anywhere}
td.nowrap{white-space:nowrap}
tbody tr:hover{background:#f8f9fc}
.muted{color:var(--muted)}
.sub{display:block;color:var(--muted);font-size:12px}
.empty{color:var(--muted);margin:4px 0}
.note{color:var(--muted);font-size:12px;margin:6px 0 0}
.sev{display:inline-block;white-space:nowrap;min-width:64px;text-align:center;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
.sev-critical{background:#7d1020;color:#fff}
.sev-high{background:#d9443f;color:#fff}
.sev-medium{background:#f2b33d;color:#2b2000}
.sev-low{background:#dde6f7;color:#1f3b6e}
.sev-other{background:#e6e7ea;color:#333}
.status-failed{color:#b3261e;font-weight:600;white-space:nowrap}
.status-skipped{color:#8a5a00;font-weight:600;white-space:nowrap}
details{margin-top:12px}
summary{cursor:pointer;color:var(--muted);margin-bottom:8px}
svg{display:block;width:100%;height:auto}
svg text{font-size:12px;fill:var(--fg)}
svg.bars text{font-size:11px}
svg .dim{fill:var(--muted)}
svg .bar{fill:var(--accent)}
svg .bar:hover{fill:#1f4fb8}
svg .axis{stroke:#c9ced8;stroke-width:1}
@media (max-width:640px){main{padding:14px 12px 32px}header{padding:14px 12px}.grid{grid-template-columns:1fr}}
"#;

/// Escapes `& < > " '` for HTML text and quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut last = 0;
        for (i, b) in self.0.bytes().enumerate() {
            let replacement = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(replacement)?;
            last = i + 1;
        }
        f.write_str(&self.0[last..])
    }
}

/// The whole page. `counts` is the findings per severity, drops included.
pub fn render(
    stats: &Stats,
    findings: &[Finding],
    counts: &BTreeMap<String, SeverityCount>,
    title: &str,
) -> String {
    let mut out = String::with_capacity(64 * 1024 + findings.len() * 600);
    // `write!` to a String cannot fail.
    let _ = page(&mut out, stats, findings, counts, title);
    out
}

fn page(
    out: &mut String,
    stats: &Stats,
    findings: &[Finding],
    counts: &BTreeMap<String, SeverityCount>,
    title: &str,
) -> fmt::Result {
    head(out, title)?;
    summary(out, stats, findings, counts)?;
    findings_table(out, findings)?;
    problems(out, &stats.inputs)?;

    out.push_str("<h2>Activity</h2>\n<div class=\"panel\">\n<h3>Events per hour (UTC)</h3>\n");
    activity_chart(out, &stats.dims.hourly_counts)?;
    out.push_str("</div>\n<div class=\"grid\" style=\"margin-top:16px\">\n");
    let d = &stats.dims;
    let charts: [(&str, &Counter); 8] = [
        ("Top event names", &d.event_counts),
        ("Services", &d.service_counts),
        ("Regions", &d.region_counts),
        ("Identity types", &d.account_counts),
        ("Source IP addresses", &d.source_ip_counts),
        ("Error codes", &d.error_code_counts),
        ("Principals", &d.principal_counts),
        ("Access denied, by principal", &d.access_denied_by_principal),
    ];
    for (name, counter) in charts {
        write!(out, "<div class=\"panel\">\n<h3>{}</h3>\n", Esc(name))?;
        bar_chart(out, counter)?;
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n</main>\n</body>\n</html>\n");
    Ok(())
}

/// The page up to `<main>`: what every page here starts with.
fn head(out: &mut String, title: &str) -> fmt::Result {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        Esc(title)
    )?;
    write!(
        out,
        "<header><h1>{}</h1><p>{}</p></header>\n<main>\n",
        Esc(title),
        Esc(&crate::producer())
    )
}

/// Files listed one by one in the integrity section; the JSON report has
/// every file.
const MAX_VERDICT_ROWS: usize = 2_000;

/// `report.html` of `verify`: the integrity section alone.
pub fn render_verification(report: &crate::integrity::Report, title: &str) -> String {
    let mut out = String::with_capacity(16 * 1024 + report.files.len().min(MAX_VERDICT_ROWS) * 300);
    // `write!` to a String cannot fail.
    let _ = head(&mut out, title)
        .and_then(|()| integrity_section(&mut out, report))
        .map(|()| out.push_str("</main>\n</body>\n</html>\n"));
    out
}

/// Log file integrity: a card per verdict, then every file that is not
/// valid with why, then the valid ones folded away.
fn integrity_section(out: &mut String, report: &crate::integrity::Report) -> fmt::Result {
    use crate::integrity::{Kind, Verdict};
    out.push_str("<h2>Log file integrity</h2>\n<div class=\"cards\">\n");
    let verdict = if report.all_valid() {
        "every file valid"
    } else {
        "NOT all valid"
    };
    card(out, "Verdict", verdict, true)?;
    for (name, count) in &report.counts {
        card(out, name, &number(*count), false)?;
    }
    out.push_str("</div>\n");
    let (valid, other): (Vec<_>, Vec<_>) = report
        .files
        .iter()
        .partition(|f| f.verdict == Verdict::Valid);
    let table = |out: &mut String, files: &[&crate::integrity::FileVerdict]| -> fmt::Result {
        out.push_str(
            "<div class=\"panel scroll\"><table>\n<thead><tr><th>File</th><th>Kind</th>\
             <th>Verdict</th><th>Why</th></tr></thead>\n<tbody>\n",
        );
        for f in files.iter().take(MAX_VERDICT_ROWS) {
            let kind = match f.kind {
                Kind::Digest => "digest",
                Kind::Log => "log",
                Kind::Consolidated => "consolidated",
            };
            let class = if f.verdict == Verdict::Valid {
                ""
            } else {
                "status-failed"
            };
            writeln!(
                out,
                "<tr><td class=\"wrap\">{}</td><td>{kind}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
                Esc(&f.file),
                f.verdict.name(),
                Esc(&f.reason),
            )?;
        }
        out.push_str("</tbody></table></div>\n");
        if files.len() > MAX_VERDICT_ROWS {
            writeln!(
                out,
                "<p class=\"note\">The first {} of {} shown; verification.json lists them all.</p>",
                number(MAX_VERDICT_ROWS as u64),
                number(files.len() as u64)
            )?;
        }
        Ok(())
    };
    if other.is_empty() {
        out.push_str(
            "<p class=\"empty\">No file is modified, missing, unlisted or unverifiable.</p>\n",
        );
    } else {
        table(out, &other)?;
    }
    if !valid.is_empty() {
        writeln!(
            out,
            "<details><summary>{} valid files</summary>",
            number(valid.len() as u64)
        )?;
        table(out, &valid)?;
        out.push_str("</details>\n");
    }
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "<p class=\"note\">{} other files given were neither digest nor log files.</p>",
            number(report.skipped.len() as u64)
        )?;
    }
    Ok(())
}

fn card(out: &mut String, key: &str, value: &str, small: bool) -> fmt::Result {
    let class = if small { "v small" } else { "v" };
    writeln!(
        out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"{class}\">{}</div></div>",
        Esc(key),
        Esc(value)
    )
}

fn summary(
    out: &mut String,
    stats: &Stats,
    findings: &[Finding],
    counts: &BTreeMap<String, SeverityCount>,
) -> fmt::Result {
    out.push_str("<h2>Summary</h2>\n<div class=\"cards\">\n");
    card(out, "Events", &number(stats.total_events), false)?;
    let none = "\u{2014}";
    let first = stats.first_event_time.as_deref().unwrap_or(none);
    let last = stats.last_event_time.as_deref().unwrap_or(none);
    card(out, "First event", first, true)?;
    card(out, "Last event", last, true)?;
    card(
        out,
        "Inputs analyzed",
        &number(stats.count(Status::Analyzed)),
        false,
    )?;
    card(
        out,
        "Inputs skipped",
        &number(stats.count(Status::Skipped)),
        false,
    )?;
    card(
        out,
        "Inputs failed",
        &number(stats.count(Status::Failed)),
        false,
    )?;
    card(out, "Findings", &number(findings.len() as u64), false)?;
    let by_severity: Vec<String> = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| {
            let n = findings.iter().filter(|f| f.severity == *s).count();
            format!("{n} {s}")
        })
        .collect();
    card(out, "By severity", &by_severity.join(", "), true)?;
    // Findings past a severity's cap are not in the table: say how many.
    let dropped: Vec<String> = counts
        .iter()
        .filter(|(_, c)| c.dropped > 0)
        .map(|(s, c)| match c.cap {
            Some(cap) => format!("{} {s} (past {})", number(c.dropped), number(cap as u64)),
            None => format!("{} {s}", number(c.dropped)),
        })
        .collect();
    if !dropped.is_empty() {
        card(out, "Not listed (caps)", &dropped.join(", "), true)?;
    }
    out.push_str("</div>\n");
    Ok(())
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

/// A CSS class from a fixed set: a severity from a state is never trusted as markup.
fn severity_class(severity: &str) -> &'static str {
    match severity {
        "critical" => "sev-critical",
        "high" => "sev-high",
        "medium" => "sev-medium",
        "low" => "sev-low",
        _ => "sev-other",
    }
}

fn findings_table(out: &mut String, findings: &[Finding]) -> fmt::Result {
    out.push_str("<h2>Findings</h2>\n");
    if findings.is_empty() {
        out.push_str("<p class=\"empty\">No findings.</p>\n");
        return Ok(());
    }
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        severity_rank(&a.severity)
            .cmp(&severity_rank(&b.severity))
            .then_with(|| a.event_time.cmp(&b.event_time))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    out.push_str(
        "<div class=\"panel scroll\"><table>\n<thead><tr><th>Severity</th><th>Rule<span class=\"sub\">Title</span></th>\
         <th>Time</th><th>Event<span class=\"sub\">Source</span></th><th>Principal<span class=\"sub\">Source IP</span></th>\
         <th>Account<span class=\"sub\">Region</span></th></tr></thead>\n<tbody>\n",
    );
    for f in sorted {
        writeln!(
            out,
            "<tr><td><span class=\"sev {}\">{}</span></td>\
             <td><span title=\"{}\">{}</span><span class=\"sub\">{}</span></td>\
             <td class=\"nowrap\">{}</td>\
             <td>{}<span class=\"sub\">{}</span></td>\
             <td class=\"wrap\">{}<span class=\"sub\">{}</span></td>\
             <td class=\"nowrap\">{}<span class=\"sub\">{}</span></td></tr>",
            severity_class(&f.severity),
            Esc(&f.severity),
            Esc(&f.title),
            Esc(&f.rule_id),
            Esc(&f.title),
            Esc(&f.event_time),
            Esc(&f.event_name),
            Esc(&f.event_source),
            Esc(&f.principal),
            Esc(&f.source_ip),
            Esc(&f.account_id),
            Esc(&f.region),
        )?;
    }
    out.push_str("</tbody></table></div>\n");
    Ok(())
}

/// Failed inputs in a table; skipped ones (digest files, mostly: expected
/// in any CloudTrail bucket) in a table folded under a summary line.
fn problems(out: &mut String, inputs: &[InputRecord]) -> fmt::Result {
    let with =
        |status| -> Vec<&InputRecord> { inputs.iter().filter(|i| i.status == status).collect() };
    let (failed, skipped) = (with(Status::Failed), with(Status::Skipped));
    if failed.is_empty() && skipped.is_empty() {
        return Ok(());
    }
    out.push_str("<h2>Inputs not analyzed</h2>\n");
    if !failed.is_empty() {
        inputs_table(out, &failed)?;
    }
    if !skipped.is_empty() {
        let noun = if skipped.len() == 1 {
            "input"
        } else {
            "inputs"
        };
        writeln!(
            out,
            "<details><summary>{} {noun} skipped</summary>",
            number(skipped.len() as u64)
        )?;
        inputs_table(out, &skipped)?;
        out.push_str("</details>\n");
    }
    Ok(())
}

fn inputs_table(out: &mut String, inputs: &[&InputRecord]) -> fmt::Result {
    out.push_str(
        "<div class=\"panel scroll\"><table>\n\
         <thead><tr><th>Input</th><th>Status</th><th>Bytes read</th><th>Reason</th></tr></thead>\n<tbody>\n",
    );
    for input in inputs {
        let (class, status) = match input.status {
            Status::Failed => ("status-failed", "failed"),
            Status::Skipped => ("status-skipped", "skipped"),
            Status::Analyzed => ("", "analyzed"),
        };
        writeln!(
            out,
            "<tr><td class=\"wrap\">{}</td><td class=\"{class}\">{status}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            Esc(&input.name),
            number(input.bytes),
            Esc(&input.detail),
        )?;
    }
    out.push_str("</tbody></table></div>\n");
    Ok(())
}

/// `1234567` as `1,234,567`.
fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A label cut to `LABEL_CHARS` characters, on a character boundary.
fn short(label: &str) -> String {
    match label.char_indices().nth(LABEL_CHARS) {
        Some((cut, _)) => format!("{}\u{2026}", &label[..cut]),
        None => label.to_owned(),
    }
}

/// Horizontal bars for the largest counts of one dimension.
fn bar_chart(out: &mut String, counter: &Counter) -> fmt::Result {
    let top = counter.top(TOP);
    if top.is_empty() {
        out.push_str("<p class=\"empty\">No data.</p>\n");
        return Ok(());
    }
    let max = top.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    // Labels of `LABEL_CHARS` fit in `label_width` at the 11px of `svg.bars`;
    // the count after the longest bar fits in what is left of the 500.
    let (row, label_width, bar_width) = (22u64, 240u64, 190u64);
    let height = row * top.len() as u64 + 4;
    writeln!(
        out,
        "<svg class=\"bars\" viewBox=\"0 0 500 {height}\" role=\"img\" aria-label=\"bar chart\">"
    )?;
    for (i, (key, n)) in top.iter().enumerate() {
        let y = row * i as u64 + 2;
        // In u128: a count past u64::MAX / 190 (a forged state) cannot overflow.
        // At most `bar_width`, as n <= max.
        let width = (u128::from(*n) * u128::from(bar_width))
            .div_ceil(u128::from(max))
            .max(1) as u64;
        writeln!(
            out,
            "<g><title>{}: {}</title>\
             <text x=\"0\" y=\"{}\">{}</text>\
             <rect class=\"bar\" x=\"{label_width}\" y=\"{}\" width=\"{width}\" height=\"{}\" rx=\"2\"></rect>\
             <text class=\"dim\" x=\"{}\" y=\"{}\">{}</text></g>",
            Esc(key),
            number(*n),
            y + 14,
            Esc(&short(key)),
            y + 3,
            row - 6,
            label_width + width + 6,
            y + 14,
            number(*n),
        )?;
    }
    out.push_str("</svg>\n");
    let shown = top.len();
    if counter.distinct_keys() > shown || counter.is_truncated() {
        let mut note = format!(
            "Top {shown} of {} values",
            number(counter.distinct_keys() as u64)
        );
        if counter.is_truncated() {
            write!(
                note,
                "; {} more events in values not kept",
                number(counter.other())
            )?;
        }
        writeln!(out, "<p class=\"note\">{}.</p>", Esc(&note))?;
    }
    Ok(())
}

/// The hourly counts as columns over a continuous time axis: missing hours
/// are zero. A long span is grouped by day; a span too long even for that,
/// or keys that are not `YYYY-MM-DDTHH`, are plotted as they are.
fn activity_chart(out: &mut String, hourly: &Counter) -> fmt::Result {
    let entries = hourly.sorted_by_key();
    if entries.is_empty() {
        out.push_str("<p class=\"empty\">No data.</p>\n");
        return Ok(());
    }
    let series = continuous_series(&entries)
        .unwrap_or_else(|| entries.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect());
    column_chart(out, &series)?;
    if hourly.is_truncated() {
        writeln!(
            out,
            "<p class=\"note\">{} events fall in hours not kept.</p>",
            number(hourly.other())
        )?;
    }
    Ok(())
}

fn continuous_series(entries: &[(&str, u64)]) -> Option<Vec<(String, u64)>> {
    let hour_of = |key: &str| parse_event_time(&format!("{key}:00:00Z")).map(|s| s / 3600);
    let hours: Vec<(u64, u64)> = entries
        .iter()
        .map(|(k, n)| Some((hour_of(k)?, *n)))
        .collect::<Option<_>>()?;
    let first = hours.iter().map(|h| h.0).min()?;
    let last = hours.iter().map(|h| h.0).max()?;
    let step = if last - first < MAX_COLUMNS {
        1
    } else if (last - first) / 24 < MAX_COLUMNS {
        24
    } else {
        return None;
    };
    let (start, end) = (first / step, last / step);
    let mut counts = vec![0u64; (end - start + 1) as usize];
    for (hour, n) in hours {
        counts[(hour / step - start) as usize] += n;
    }
    Some(
        counts
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let hour = (start + i as u64) * step;
                let label = format_hour(hour);
                (
                    if step == 1 {
                        label
                    } else {
                        label[..10].to_owned()
                    },
                    n,
                )
            })
            .collect(),
    )
}

/// `YYYY-MM-DDTHH` of an hour since the epoch.
fn format_hour(hours: u64) -> String {
    let (y, m, d) = civil_from_days(hours / 24);
    format!("{y:04}-{m:02}-{d:02}T{:02}", hours % 24)
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Vertical columns, one per label, with the first, middle and last labels
/// under the axis and the largest count beside it.
fn column_chart(out: &mut String, series: &[(String, u64)]) -> fmt::Result {
    let (width, height, left, top, bottom) = (960.0f64, 220.0f64, 56.0f64, 10.0f64, 182.0f64);
    let plot_width = width - left - 8.0;
    let max = series.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let step = plot_width / series.len() as f64;
    let gap = if step > 4.0 { 1.0 } else { 0.0 };
    write!(
        out,
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"events over time\">\n\
         <line class=\"axis\" x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\"></line>\n\
         <text class=\"dim\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
         <text class=\"dim\" x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\n",
        width - 8.0,
        left - 6.0,
        top + 10.0,
        number(max),
        left - 6.0,
        bottom,
    )?;
    for (i, (label, n)) in series.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let h = ((bottom - top) * *n as f64 / max as f64).max(1.0);
        writeln!(
            out,
            "<rect class=\"bar\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\"><title>{}: {}</title></rect>",
            left + step * i as f64,
            bottom - h,
            (step - gap).max(0.5),
            Esc(label),
            number(*n),
        )?;
    }
    let last = series.len() - 1;
    let ticks = match last {
        0 => vec![(0, "middle")],
        1 => vec![(0, "start"), (1, "end")],
        _ => vec![(0, "start"), (last / 2, "middle"), (last, "end")],
    };
    for (i, anchor) in ticks {
        let x = left + step * i as f64 + step / 2.0;
        writeln!(
            out,
            "<text class=\"dim\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            bottom + 18.0,
            Esc(&series[i].0),
        )?;
    }
    out.push_str("</svg>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::findings::Findings;
    use crate::rules::RulesConfig;

    fn stats_of(records: &[String]) -> Stats {
        let mut stats = Stats::default();
        for r in records {
            stats.add_event(&Event::parse(r.as_bytes()).unwrap(), 100);
        }
        stats
    }

    fn hostile() -> (Stats, Vec<Finding>) {
        let evil_name = "<script>alert(1)</script>";
        let evil_principal = "arn:aws:iam::1:user/\"><img src=x onerror=alert(2)>'";
        let records = vec![
            serde_json::json!({
                "eventID": "x1", "eventTime": "2026-03-01T10:00:00Z", "eventName": evil_name,
                "eventSource": "ec2.amazonaws.com", "sourceIPAddress": "198.51.100.7",
                "awsRegion": "us-east-1", "errorCode": "AccessDenied<b>",
                "userIdentity": {"type": "IAMUser", "arn": evil_principal}
            })
            .to_string(),
            serde_json::json!({
                "eventID": "x2", "eventTime": "2026-03-01T13:30:00Z", "eventName": "CreateVpc",
                "eventSource": "ec2.amazonaws.com", "sourceIPAddress": "203.0.113.9",
                "awsRegion": "eu-west-1",
                "userIdentity": {"type": "Root", "arn": evil_principal}
            })
            .to_string(),
        ];
        let mut stats = stats_of(&records);
        stats.inputs.push(InputRecord {
            name: "logs/<iframe>.json.gz".into(),
            status: Status::Failed,
            events: 0,
            bytes: 1234,
            detail: "invalid gzip & \"bad\" <marquee>".into(),
        });
        stats.inputs.push(InputRecord {
            name: "ok.json".into(),
            status: Status::Analyzed,
            events: 2,
            bytes: 10,
            detail: "json".into(),
        });
        let config = RulesConfig::default();
        let mut findings = Findings::default();
        for r in &records {
            findings.check(&Event::parse(r.as_bytes()).unwrap(), r.as_bytes(), &config);
        }
        (stats, findings.report(&config))
    }

    #[test]
    fn log_values_are_escaped_everywhere() {
        let (stats, findings) = hostile();
        assert!(findings.iter().any(|f| f.event_name.contains("<script>")));
        let html = render(
            &stats,
            &findings,
            &BTreeMap::new(),
            "Report for <title>&\"'",
        );
        assert!(!html.contains("<script"), "a raw <script> tag");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<iframe"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<marquee>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("user/&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;"));
        assert!(html.contains("<title>Report for &lt;title&gt;&amp;&quot;&#39;</title>"));
        assert!(html.contains("logs/&lt;iframe&gt;.json.gz"));
        assert!(html.contains("invalid gzip &amp; &quot;bad&quot; &lt;marquee&gt;"));
        // Attribute values cannot be broken out of: every `"` inside one is escaped.
        for attribute in html.split("title=\"").skip(1) {
            let value = attribute.split('"').next().unwrap();
            assert!(!value.contains('<') && !value.contains('>'), "{value}");
        }
    }

    #[test]
    fn page_is_self_contained_with_svg_charts() {
        let (stats, findings) = hostile();
        let html = render(&stats, &findings, &BTreeMap::new(), "CloudTrail report");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; img-src data:\">"
        ));
        assert!(
            html.matches("<svg").count() >= 9,
            "activity chart and eight bar charts"
        );
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<link") && !html.contains("url(") && !html.contains("@import"));
        assert!(html.trim_end().ends_with("</html>"));
        // Findings: severity first (root activity is high, the denied call low).
        let high = html.find("sev-high").unwrap();
        let low = html.find("sev-low").unwrap();
        assert!(high < low);
        // Only failed or skipped inputs are listed as problems.
        assert!(html.contains("Inputs not analyzed"));
        assert!(!html.contains("ok.json"));
    }

    #[test]
    fn activity_is_continuous_in_hours_or_days() {
        let hourly = |keys: &[(&str, u64)]| {
            let mut c = Counter::default();
            for (k, n) in keys {
                c.add_n(k, *n, 100);
            }
            c
        };
        let c = hourly(&[("2026-02-28T22", 3), ("2026-03-01T01", 5)]);
        let series = continuous_series(&c.sorted_by_key()).unwrap();
        let labels: Vec<&str> = series.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2026-02-28T22",
                "2026-02-28T23",
                "2026-03-01T00",
                "2026-03-01T01"
            ]
        );
        assert_eq!(series.iter().map(|s| s.1).collect::<Vec<_>>(), [3, 0, 0, 5]);
        let c = hourly(&[
            ("2024-01-01T05", 1),
            ("2024-12-31T23", 2),
            ("2024-12-31T01", 4),
        ]);
        let series = continuous_series(&c.sorted_by_key()).unwrap();
        assert_eq!(series.len(), 366);
        assert_eq!(series[365], ("2024-12-31".to_owned(), 6));
        assert!(continuous_series(&[("null", 1)]).is_none());
        let mut out = String::new();
        activity_chart(&mut out, &hourly(&[("garbage", 2)])).unwrap();
        assert!(out.contains("<svg") && out.contains("garbage"));
    }

    #[test]
    fn failed_inputs_are_listed_and_skipped_ones_folded() {
        let (mut stats, findings) = hostile();
        stats.inputs.insert(
            0,
            InputRecord {
                name: "a-digest.json.gz".into(),
                status: Status::Skipped,
                events: 0,
                bytes: 500,
                detail: "CloudTrail digest file".into(),
            },
        );
        let html = render(&stats, &findings, &BTreeMap::new(), "r");
        let failed = html.find("logs/&lt;iframe&gt;.json.gz").unwrap();
        let folded = html
            .find("<details><summary>1 input skipped</summary>")
            .unwrap();
        let skipped = html.find("a-digest.json.gz").unwrap();
        assert!(failed < folded && folded < skipped);
    }

    #[test]
    fn empty_stats_render() {
        let html = render(&Stats::default(), &[], &BTreeMap::new(), "Empty");
        assert!(html.contains("No findings."));
        assert!(html.contains("No data."));
        assert!(!html.contains("Inputs not analyzed"));
        assert!(!html.contains("Not listed (caps)"));
    }

    #[test]
    fn findings_past_a_cap_are_counted_on_the_page() {
        let count = |dropped, cap| SeverityCount {
            found: 10_000 + dropped,
            reported: 10_000,
            dropped,
            cap,
        };
        let counts = BTreeMap::from([
            ("critical".to_owned(), count(0, Some(100_000))),
            ("low".to_owned(), count(12_345, Some(10_000))),
            ("unknown".to_owned(), count(3, None)),
        ]);
        let html = render(&Stats::default(), &[], &counts, "r");
        assert!(
            html.contains("12,345 low (past 10,000), 3 unknown"),
            "{html}"
        );
        assert!(!html.contains("0 critical (past"));
    }

    #[test]
    fn helpers() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1_234_567), "1,234,567");
        assert_eq!(short("ab"), "ab");
        let long = "\u{e9}".repeat(40);
        assert_eq!(short(&long).chars().count(), LABEL_CHARS + 1);
        assert_eq!(
            Esc("a&b<c>d\"e'f").to_string(),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f"
        );
        for days in [0, 59, 365, 10_957, 19_782, 20_513] {
            let (y, m, d) = civil_from_days(days);
            let text = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
            assert_eq!(parse_event_time(&text), Some(days * 86_400), "{text}");
        }
    }
}
