//! Times as seconds since the Unix epoch, without a date library:
//! CloudTrail `eventTime` (what burst windows and the report's timeline
//! count in), and the times in file names and `verify --from/--to`.

/// Seconds since the Unix epoch of an `eventTime`: `YYYY-MM-DDTHH:MM:SSZ`,
/// optionally with fractional seconds (dropped). `None` for anything else,
/// including years before 1970.
pub fn parse_event_time(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        b[from..to].iter().try_fold(0u64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let rest = &b[19..];
    let fraction_ok = match rest {
        [b'Z'] => true,
        [b'.', digits @ .., b'Z'] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !fraction_ok
        || year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Seconds since the Unix epoch of a time a person types: a date
/// (`2026-03-01`, its midnight UTC) or a UTC time `YYYY-MM-DDTHH:MM[:SS]Z`
/// (the `Z` may be left off).
pub fn parse_time_bound(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    match text.len() {
        10 => parse_event_time(&format!("{text}T00:00:00Z")),
        16 => parse_event_time(&format!("{text}:00Z")),
        _ => parse_event_time(&format!("{text}Z")),
    }
}

/// The time CloudTrail writes into a log or digest file's name
/// (`…_20260301T1005Z_…` or `…_20260301T100500Z.json.gz`), in seconds since
/// the Unix epoch; `None` when the name has none.
pub fn parse_file_name_time(name: &str) -> Option<u64> {
    name.split(['_', '.', '/']).find_map(|part| {
        let b = part.as_bytes();
        let compact = matches!(b.len(), 14 | 16) && b[8] == b'T' && b[b.len() - 1] == b'Z';
        if !compact {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<&str> {
            let s = &part[r];
            s.bytes().all(|c| c.is_ascii_digit()).then_some(s)
        };
        let seconds = if b.len() == 16 { digits(13..15)? } else { "00" };
        parse_event_time(&format!(
            "{}-{}-{}T{}:{}:{seconds}Z",
            digits(0..4)?,
            digits(4..6)?,
            digits(6..8)?,
            digits(9..11)?,
            digits(11..13)?
        ))
    })
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_file_name_times_parse() {
        let midnight = parse_event_time("2026-03-01T00:00:00Z");
        assert_eq!(parse_time_bound("2026-03-01"), midnight);
        assert_eq!(parse_time_bound("2026-03-01T00:00Z"), midnight);
        assert_eq!(parse_time_bound("2026-03-01T00:00:00"), midnight);
        assert_eq!(parse_time_bound(" 2026-03-01T00:00:00Z "), midnight);
        for bad in ["", "yesterday", "2026-3-1", "2026-03-01T25:00Z", "20260301"] {
            assert_eq!(parse_time_bound(bad), None, "{bad}");
        }
        let at = |t: &str| parse_event_time(t);
        assert_eq!(
            parse_file_name_time(
                "AWSLogs/1/CloudTrail/eu-west-1/2026/03/01/1_CloudTrail_eu-west-1_20260301T1005Z_ab12.json.gz"
            ),
            at("2026-03-01T10:05:00Z")
        );
        assert_eq!(
            parse_file_name_time(
                "1_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260301T110502Z.json.gz"
            ),
            at("2026-03-01T11:05:02Z")
        );
        assert_eq!(
            parse_file_name_time(
                "1_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260301T110502Z_backfill.json.gz"
            ),
            at("2026-03-01T11:05:02Z")
        );
        for none in [
            "notes.txt",
            "1_CloudTrail_eu-west-1_2026030XT1005Z_a.json.gz",
            "",
        ] {
            assert_eq!(parse_file_name_time(none), None, "{none}");
        }
    }

    #[test]
    fn event_times_parse_without_a_date_library() {
        assert_eq!(parse_event_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_event_time("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_event_time("2024-02-29T23:59:59Z"),
            Some(1_709_251_199)
        );
        assert_eq!(
            parse_event_time("2026-03-01T10:04:59.999Z"),
            Some(1_772_359_499)
        );
        assert_eq!(
            parse_event_time("2026-03-01T10:04:59.5Z"),
            parse_event_time("2026-03-01T10:04:59Z")
        );
        for bad in [
            "",
            "2026-03-01",
            "2026-03-01T10:04:59",
            "2026-03-01T10:04:59+00:00",
            "2026-03-01T10:04:59.Z",
            "2026-03-01T10:04:59.1x2Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:60:00Z",
            "2026-03-01T10:00:60Z",
            "1969-12-31T23:59:59Z",
            "2026-03-01 10:00:00Z",
            "+026-03-01T10:00:00Z",
            "2026-03-01T10:00:00ZZ",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }
}
