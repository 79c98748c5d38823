//! CloudTrail `eventTime` as seconds since the Unix epoch, without a date
//! library: what burst windows and the report's timeline count in.

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
