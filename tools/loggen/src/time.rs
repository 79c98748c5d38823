//! UTC times as seconds since the Unix epoch, and the few text forms
//! CloudTrail uses. Written by hand (Howard Hinnant's civil-date
//! algorithms) to avoid a date crate: UTC has no time zones or leap seconds
//! to get wrong, and formatting straight into the output buffer is faster.

pub const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// Parses `YYYY-MM-DD`, rejecting impossible dates such as 2026-02-30.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    // Round-tripping catches day overflow without a month-length table.
    (civil_from_days(days_from_civil(y, m, d)) == (y, m, d)).then_some((y, m, d))
}

/// Midnight UTC of a date, as epoch seconds.
pub fn midnight(date: (i32, u32, u32)) -> i64 {
    days_from_civil(date.0, date.1, date.2) * DAY
}

struct Parts {
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
}

fn parts(t: i64) -> Parts {
    let (y, mo, d) = civil_from_days(t.div_euclid(DAY));
    let sod = t.rem_euclid(DAY) as u32;
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod / 60 % 60,
        s: sod % 60,
    }
}

#[inline]
fn push2(out: &mut String, n: u32) {
    out.push((b'0' + (n / 10 % 10) as u8) as char);
    out.push((b'0' + (n % 10) as u8) as char);
}

#[inline]
fn push4(out: &mut String, n: i32) {
    let n = n.rem_euclid(10_000) as u32;
    push2(out, n / 100);
    push2(out, n % 100);
}

/// `2026-11-01T13:05:09Z`, CloudTrail's `eventTime`.
pub fn push_iso(out: &mut String, t: i64) {
    let p = parts(t);
    push4(out, p.y);
    out.push('-');
    push2(out, p.mo);
    out.push('-');
    push2(out, p.d);
    out.push('T');
    push2(out, p.h);
    out.push(':');
    push2(out, p.mi);
    out.push(':');
    push2(out, p.s);
    out.push('Z');
}

/// `20261101T1305Z`, the delivery time in a log file's name.
pub fn push_key_minute(out: &mut String, t: i64) {
    let p = parts(t);
    push4(out, p.y);
    push2(out, p.mo);
    push2(out, p.d);
    out.push('T');
    push2(out, p.h);
    push2(out, p.mi);
    out.push('Z');
}

/// `20261101T130509Z`, the end time in a digest file's name.
pub fn push_key_second(out: &mut String, t: i64) {
    let p = parts(t);
    push4(out, p.y);
    push2(out, p.mo);
    push2(out, p.d);
    out.push('T');
    push2(out, p.h);
    push2(out, p.mi);
    push2(out, p.s);
    out.push('Z');
}

/// `2026/11/01`, the date folders of a key.
pub fn push_date_path(out: &mut String, t: i64) {
    let p = parts(t);
    push4(out, p.y);
    out.push('/');
    push2(out, p.mo);
    out.push('/');
    push2(out, p.d);
}

/// `Nov 1, 2026, 1:05:09 PM`: the Java-style form CloudTrail uses inside
/// `responseElements` (STS credential expirations, IAM create dates).
pub fn push_java(out: &mut String, t: i64) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(t);
    out.push_str(MONTHS[(p.mo - 1) as usize]);
    out.push(' ');
    push_uint(out, u64::from(p.d));
    out.push_str(", ");
    push4(out, p.y);
    out.push_str(", ");
    let h12 = if p.h.is_multiple_of(12) { 12 } else { p.h % 12 };
    push_uint(out, u64::from(h12));
    out.push(':');
    push2(out, p.mi);
    out.push(':');
    push2(out, p.s);
    out.push_str(if p.h < 12 { " AM" } else { " PM" });
}

/// Decimal digits of an unsigned number, without going through `fmt`.
pub fn push_uint(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in [-1000, 0, 10_957, 20_758, 20_759, 30_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(parse_date("2026-11-01"), Some((2026, 11, 1)));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
    }

    #[test]
    fn formats() {
        let t = midnight((2026, 11, 1)) + 13 * 3600 + 5 * 60 + 9;
        let mut s = String::new();
        push_iso(&mut s, t);
        s.push(' ');
        push_key_minute(&mut s, t);
        s.push(' ');
        push_key_second(&mut s, t);
        s.push(' ');
        push_date_path(&mut s, t);
        s.push(' ');
        push_java(&mut s, t);
        s.push(' ');
        push_java(&mut s, midnight((2026, 11, 1)));
        assert_eq!(
            s,
            "2026-11-01T13:05:09Z 20261101T1305Z 20261101T130509Z 2026/11/01 \
             Nov 1, 2026, 1:05:09 PM Nov 1, 2026, 12:00:00 AM"
        );
    }
}
