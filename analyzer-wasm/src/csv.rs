//! CSV writing that is safe to open in a spreadsheet.

/// Quotes a cell when needed and defuses formula injection: a cell starting
/// with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, as
/// OWASP recommends, so a hostile event name cannot run as a formula.
pub fn cell(value: &str) -> String {
    let defused = match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Writes one row of cells, ending with CRLF as RFC 4180 asks.
pub fn row(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell(c));
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_quotes_are_defused() {
        assert_eq!(cell("GetObject"), "GetObject");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("-"), "'-");
    }
}
