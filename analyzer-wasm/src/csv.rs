//! CSV artifacts (`insights.csv`, `dimensions.csv`, `findings.csv`) that are
//! safe to open in a spreadsheet.
//!
//! Quoting and escaping are left to the `csv` crate, so what we write is
//! exactly what a CSV reader expects, even for hostile values (commas, quotes,
//! line breaks). This module adds only what the crate does not do: formula
//! defusing ([`defuse`]). The writer is set up to keep the bytes the earlier
//! hand-written code produced: `,` between cells, `"` quotes only where a cell
//! needs them (a `,`, `"`, CR or LF in it), `""` for a quote inside, and
//! `\r\n` after each row as RFC 4180 asks (the crate's default is `\n`).

use std::borrow::Cow;

use ::csv::{QuoteStyle, Terminator, Writer, WriterBuilder};

/// Defuses formula injection: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading `'`, as OWASP recommends, so a hostile
/// event name cannot run as a formula. Every other cell is left as it is.
pub fn defuse(value: &str) -> Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// A CSV document written in memory, a header row first, every cell defused.
pub struct Table {
    out: Writer<Vec<u8>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        let out = WriterBuilder::new()
            .delimiter(b',')
            .quote(b'"')
            .double_quote(true)
            .quote_style(QuoteStyle::Necessary)
            .terminator(Terminator::CRLF)
            .from_writer(Vec::new());
        let mut table = Table { out };
        table.row(header);
        table
    }

    /// Writes one row; it must have as many cells as the header.
    pub fn row(&mut self, cells: &[&str]) {
        for cell in cells {
            self.out
                .write_field(defuse(cell).as_bytes())
                .expect("writing to memory cannot fail");
        }
        self.out
            .write_record(None::<&[u8]>)
            .expect("every row has as many cells as the header");
    }

    pub fn finish(self) -> String {
        let bytes = self
            .out
            .into_inner()
            .expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("UTF-8 cells make UTF-8 CSV")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One cell as it appears in the file.
    fn cell(value: &str) -> String {
        let mut table = Table::new(&["h"]);
        table.row(&[value]);
        let text = table.finish();
        text.strip_prefix("h\r\n")
            .unwrap()
            .strip_suffix("\r\n")
            .unwrap()
            .to_owned()
    }

    #[test]
    fn formulas_and_quotes_are_defused() {
        assert_eq!(cell("GetObject"), "GetObject");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("-"), "'-");
    }

    #[test]
    fn ordinary_rows_keep_the_old_bytes() {
        let mut table = Table::new(&["dimension", "key", "count"]);
        table.row(&["eventName", "GetObject", "12"]);
        table.row(&["userAgent", "aws-cli/2.15, Python", "3"]);
        table.row(&["sourceIPAddress", "", "1"]);
        assert_eq!(
            table.finish(),
            "dimension,key,count\r\n\
             eventName,GetObject,12\r\n\
             userAgent,\"aws-cli/2.15, Python\",3\r\n\
             sourceIPAddress,,1\r\n"
        );
    }

    #[test]
    fn hostile_cells_parse_back_to_their_defused_values() {
        let hostile = [
            "=cmd|' /C calc'!A0",
            "a,b,c",
            "say \"hi\"",
            "\"",
            "line one\nline two",
            "\r\n=1+1",
            "\tTab",
            "-2+3",
            "@SUM(A1:A9)",
            "+",
            ",=1",
            "",
            "plain",
        ];
        let mut table = Table::new(&["name", "value"]);
        for (i, value) in hostile.iter().enumerate() {
            table.row(&[&i.to_string(), value]);
        }
        let text = table.finish();

        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["name", "value"]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), hostile.len());
        for (i, (row, value)) in rows.iter().zip(hostile).enumerate() {
            assert_eq!(row.len(), 2, "row {i}");
            assert_eq!(&row[0], i.to_string());
            assert_eq!(&row[1], defuse(value), "row {i}");
            assert!(!row[1].starts_with(['=', '+', '-', '@', '\t', '\r']));
        }
    }
}
