//! `findings.csv`: the findings as a spreadsheet, cells defused.

use super::Finding;
use crate::csv;

/// `findings.csv`: one row per finding, in the order given.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut out = csv::Table::new(&[
        "severity",
        "rule_id",
        "title",
        "event_time",
        "event_name",
        "event_source",
        "principal",
        "source_ip",
        "account_id",
        "region",
        "event_id",
    ]);
    for f in findings {
        out.row(&[
            &f.severity,
            &f.rule_id,
            &f.title,
            &f.event_time,
            &f.event_name,
            &f.event_source,
            &f.principal,
            &f.source_ip,
            &f.account_id,
            &f.region,
            &f.event_id,
        ]);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::RulesConfig;
    use crate::rules::testing::*;

    #[test]
    fn csv_has_a_header_and_defused_cells() {
        let record = set(
            api("ec2.amazonaws.com", "CreateVpc"),
            "userIdentity.arn",
            json!("=HYPERLINK(\"x\")"),
        );
        let config = RulesConfig::default();
        let text = findings_csv(&check_all(&[record], &config).report(&config));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "severity,rule_id,title,event_time,event_name,event_source,principal,source_ip,account_id,region,event_id"
        );
        assert!(
            lines[1].starts_with("low,CloudWatch.14,VPC change,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "{}",
            lines[1]
        );
        assert_eq!(lines.len(), 3);
    }
}
