//! `verify --from T --to T`: which files a windowed verification reads and
//! which verdicts it reports.
//!
//! The window selects digests, as `validate-logs` does: every digest whose
//! hour overlaps [from, to] is checked, with the log files it lists. A log
//! file written before `to` may be delivered, and so listed, in the hour
//! after it, so the digests of that hour are checked too. A log file that no
//! checked digest lists is reported only when its name puts it inside the
//! window. The host is told to skip files whose names put them well
//! outside it (a margin either side keeps the neighbours that vouch for a
//! digest's signature and link), so a narrow window reads little.

use super::digest::Digest;
use crate::time::{parse_event_time, parse_file_name_time, parse_time_bound};

const HOUR: u64 = 3_600;
/// Read this far beyond the window: digests end an hour after they start,
/// log files are listed by the digest after their delivery, and the digest
/// either side of a checked one vouches for it.
const MARGIN: u64 = 3 * HOUR;

#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    from: Option<u64>,
    to: Option<u64>,
}

impl Window {
    /// No bounds: everything is read and reported.
    pub fn all() -> Window {
        Window::default()
    }

    /// Bounds as a person types them (`2026-03-01`, `2026-03-01T10:00Z`);
    /// `--to 2026-03-01` ends with that day.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Window, String> {
        let bound = |flag: &str, text: Option<&str>| {
            text.map(|t| {
                parse_time_bound(t).ok_or_else(|| {
                    format!("{flag} {t:?}: expected a UTC date or time, e.g. 2026-03-01 or 2026-03-01T10:00:00Z")
                })
            })
            .transpose()
        };
        // A date alone as `--to` means through the end of that day.
        let whole_day = to.is_some_and(|t| t.trim().len() == "2026-03-01".len());
        let window = Window {
            from: bound("--from", from)?,
            to: bound("--to", to)?.map(|t| if whole_day { t + 86_399 } else { t }),
        };
        if let (Some(f), Some(t)) = (window.from, window.to)
            && f > t
        {
            return Err("--from is after --to".into());
        }
        Ok(window)
    }

    /// Whether a file so named is worth reading: false only when its name
    /// carries a time well outside the window.
    pub fn wants(&self, name: &str) -> bool {
        let Some(t) = parse_file_name_time(name) else {
            return true;
        };
        self.from.is_none_or(|f| t + MARGIN >= f) && self.to.is_none_or(|to| t <= to + MARGIN)
    }

    /// Whether a digest's verdict, and those of the log files it lists, are
    /// reported: its hour overlaps [from, to + 1 hour].
    pub fn reports_digest(&self, d: &Digest) -> bool {
        let (Some(start), Some(end)) = (parse_event_time(&d.start), parse_event_time(&d.end))
        else {
            // A digest whose times do not parse is reported, as broken.
            return true;
        };
        self.from.is_none_or(|f| end > f) && self.to.is_none_or(|t| start < t + HOUR)
    }

    /// Whether a log file that no checked digest lists is reported.
    pub fn reports_unlisted_log(&self, name: &str) -> bool {
        let Some(t) = parse_file_name_time(name) else {
            return true;
        };
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t <= to)
    }

    /// Whether a digest missing from a chain, ending at `end` (seconds
    /// since the epoch, `None` when unknown), would have been inside the
    /// window, so its absence is a gap to report.
    pub fn reports_gap_ending(&self, end: Option<u64>) -> bool {
        let Some(t) = end else {
            return true;
        };
        self.from.is_none_or(|f| t > f) && self.to.is_none_or(|to| t <= to + HOUR)
    }
}
