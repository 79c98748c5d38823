//! The engine against the Sigma specification: each value form, modifier
//! and condition form, matching and not matching; conditions against a
//! brute-force evaluator; and what is refused.

use serde_json::{Value, json};

use super::*;

/// A rule with this `detection` (YAML, indented by four spaces).
fn rule_text(detection: &str) -> String {
    format!(
        "title: Test rule\nid: test-1\nlevel: high\nlogsource:\n    product: aws\n    \
         service: cloudtrail\ndetection:\n{detection}\n"
    )
}

fn load_one(text: &str) -> Result<RuleSet, RefusedRule> {
    let (set, mut refused) = RuleSet::load([("test.yml", text.as_bytes())], |_| false);
    match refused.pop() {
        Some(r) => Err(r),
        None => Ok(set),
    }
}

fn detection(detection: &str) -> RuleSet {
    load_one(&rule_text(detection)).unwrap_or_else(|r| panic!("refused: {r:?}\n{detection}"))
}

fn fires(set: &RuleSet, record: &Value) -> bool {
    let raw = serde_json::to_vec(record).unwrap();
    let event = crate::event::Event::parse(&raw).unwrap();
    let mut hits = 0;
    set.check(&event, &raw, |_| hits += 1);
    hits > 0
}

/// Asserts the detection fires on every `yes` record and on no `no` one.
fn check(detection_text: &str, yes: &[Value], no: &[Value]) {
    let set = detection(detection_text);
    for record in yes {
        assert!(
            fires(&set, record),
            "should fire:\n{detection_text}\non {record}"
        );
    }
    for record in no {
        assert!(
            !fires(&set, record),
            "should not fire:\n{detection_text}\non {record}"
        );
    }
}

fn refused(detection_text: &str) -> Refusal {
    match load_one(&rule_text(detection_text)) {
        Ok(_) => panic!("loaded, should be refused:\n{detection_text}"),
        Err(r) => r.refusal,
    }
}

fn event(name: &str, params: Value) -> Value {
    json!({
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": params,
        "resources": [
            {"ARN": "arn:aws:s3:::one", "type": "AWS::S3::Bucket"},
            {"ARN": "arn:aws:s3:::two", "type": "AWS::S3::Object"}
        ]
    })
}

fn named(name: &str) -> Value {
    event(name, json!({}))
}

#[test]
fn maps_are_and_lists_are_or() {
    let d = "    sel:\n        eventSource: iam.amazonaws.com\n        \
             eventName:\n            - CreateUser\n            - DeleteUser\n    \
             condition: sel";
    check(
        d,
        &[named("CreateUser"), named("deleteuser")],
        &[
            named("CreateUsers"),
            json!({"eventSource": "s3.amazonaws.com", "eventName": "CreateUser"}),
        ],
    );
    // A list of maps: either map.
    let d = "    sel:\n        - eventName: CreateUser\n        - \
             requestParameters.userName: bob\n    condition: sel";
    check(
        d,
        &[named("CreateUser"), event("X", json!({"userName": "BOB"}))],
        &[event("X", json!({"userName": "bobby"}))],
    );
}

#[test]
fn wildcards_escapes_and_case() {
    check(
        "    sel:\n        eventName: 'Create*Key'\n    condition: sel",
        &[named("CreateAccessKey"), named("createkey")],
        &[named("CreateAccessKeys")],
    );
    check(
        "    sel:\n        eventName: 'Get?'\n    condition: sel",
        &[named("GetX")],
        &[named("Get"), named("GetXY")],
    );
    check(
        "    sel:\n        requestParameters.name: 'a\\*b'\n    condition: sel",
        &[event("X", json!({"name": "A*B"}))],
        &[event("X", json!({"name": "axb"}))],
    );
    check(
        "    sel:\n        eventName|cased: CreateUser\n    condition: sel",
        &[named("CreateUser")],
        &[named("createuser")],
    );
}

#[test]
fn position_modifiers() {
    let e = |n: &str| event("X", json!({"policy": n}));
    check(
        "    sel:\n        requestParameters.policy|contains: 'Effect'\n    condition: sel",
        &[e("{\"effect\":1}")],
        &[e("Effec")],
    );
    check(
        "    sel:\n        requestParameters.policy|startswith: 'arn:aws:iam'\n    condition: sel",
        &[e("arn:aws:iam::1:role/x")],
        &[e("x arn:aws:iam")],
    );
    check(
        "    sel:\n        requestParameters.policy|endswith: '/admin'\n    condition: sel",
        &[e("role/Admin")],
        &[e("role/admin2")],
    );
}

#[test]
fn all_needs_every_value() {
    let e = |n: &str| event("X", json!({"policy": n}));
    check(
        "    sel:\n        requestParameters.policy|contains|all:\n            - '\"Action\":\"*\"'\n            \
         - '\"Resource\":\"*\"'\n    condition: sel",
        &[e("{\"Action\":\"s3:Get\",\"Resource\":\"*\"}")],
        &[e("{\"Action\":\"s3:Get\"}")],
    );
}

#[test]
fn regex_with_and_without_flags() {
    let e = |n: &str| event("X", json!({"userName": n}));
    check(
        "    sel:\n        requestParameters.userName|re: '^adm[0-9]+$'\n    condition: sel",
        &[e("adm42")],
        &[e("ADM42"), e("xadm4")],
    );
    check(
        "    sel:\n        requestParameters.userName|re|i: '^adm[0-9]+$'\n    condition: sel",
        &[e("ADM42")],
        &[e("adm")],
    );
    check(
        "    sel:\n        requestParameters.userName|re|m: '^b$'\n    condition: sel",
        &[e("a\nb")],
        &[e("a b")],
    );
    check(
        "    sel:\n        requestParameters.userName|re|s: 'a.b'\n    condition: sel",
        &[e("a\nb")],
        &[e("ab")],
    );
}

#[test]
fn regexes_that_backtrack_elsewhere_run_in_linear_time_or_are_refused() {
    // Exponential for a backtracking engine; linear here.
    let set = detection("    sel:\n        requestParameters.x|re: '^(a+)+$'\n    condition: sel");
    let bomb = format!("{}!", "a".repeat(20_000));
    assert!(!fires(&set, &event("X", json!({"x": bomb}))));
    // What needs backtracking is refused by name.
    for re in ["'(a)\\1'", "'a(?=b)'"] {
        let r = refused(&format!(
            "    sel:\n        requestParameters.x|re: {re}\n    condition: sel"
        ));
        assert!(!r.unsupported && r.reason.contains("regex"), "{r:?}");
    }
    // So is one whose compiled form would be huge.
    let r = refused(
        "    sel:\n        requestParameters.x|re: '(((a{100}){100}){100})'\n    condition: sel",
    );
    assert!(r.reason.contains("regex"), "{r:?}");
}

#[test]
fn cidr() {
    let ip = |a: &str| json!({"eventName": "X", "sourceIPAddress": a});
    check(
        "    sel:\n        sourceIPAddress|cidr:\n            - 10.0.0.0/8\n            - '2001:db8::/32'\n    \
         condition: sel",
        &[ip("10.200.0.1"), ip("2001:db8::7")],
        &[ip("11.0.0.1"), ip("2001:db9::1"), ip("ec2.amazonaws.com")],
    );
    assert!(
        !refused("    sel:\n        sourceIPAddress|cidr: 10.0.0.0/33\n    condition: sel")
            .unsupported
    );
}

#[test]
fn exists_and_null() {
    let with = json!({"eventName": "X", "errorCode": "AccessDenied"});
    let null = json!({"eventName": "X", "errorCode": null});
    let without = json!({"eventName": "X"});
    check(
        "    sel:\n        errorCode|exists: true\n    condition: sel",
        std::slice::from_ref(&with),
        &[null.clone(), without.clone()],
    );
    check(
        "    sel:\n        errorCode|exists: false\n    condition: sel",
        &[null.clone(), without.clone()],
        std::slice::from_ref(&with),
    );
    check(
        "    sel:\n        errorCode: null\n    condition: sel",
        &[null, without],
        &[with],
    );
}

#[test]
fn fieldref() {
    let e = |a: &str, b: &str| event("X", json!({"a": a, "b": b}));
    check(
        "    sel:\n        requestParameters.a|fieldref: requestParameters.b\n    condition: sel",
        &[e("Same", "same")],
        &[e("one", "two")],
    );
    check(
        "    sel:\n        requestParameters.a|fieldref|startswith: requestParameters.b\n    condition: sel",
        &[e("prefix-rest", "prefix")],
        &[e("rest", "prefix")],
    );
}

#[test]
fn base64_and_base64offset() {
    let e = |n: &str| event("X", json!({"userData": n}));
    // base64("curl") = "Y3VybA==".
    check(
        "    sel:\n        requestParameters.userData|base64: curl\n    condition: sel",
        &[e("Y3VybA==")],
        &[e("y3vyba=="), e("curl")],
    );
    let script = |s: &str| e(&detection::base64(s.as_bytes()));
    check(
        "    sel:\n        requestParameters.userData|base64offset|contains: 'curl http'\n    condition: sel",
        &[
            script("#!/bin/sh\ncurl http://x"),
            script("x curl http"),
            script("xy curl http://"),
        ],
        &[script("wget http://x")],
    );
}

#[test]
fn windash() {
    let e = |n: &str| event("X", json!({"commandLine": n}));
    check(
        "    sel:\n        requestParameters.commandLine|windash|contains: ' -enc '\n    condition: sel",
        &[e("ps -enc AAA"), e("ps /enc AAA"), e("ps \u{2013}enc AAA")],
        &[e("ps xenc AAA")],
    );
}

#[test]
fn numeric_comparisons() {
    let e = |n: Value| event("X", json!({"durationSeconds": n}));
    check(
        "    sel:\n        requestParameters.durationSeconds|gte: 43200\n    condition: sel",
        &[e(json!(43200)), e(json!(129600)), e(json!("50000"))],
        &[e(json!(3600)), e(json!("soon"))],
    );
    check(
        "    sel:\n        requestParameters.durationSeconds|lt: 900\n    condition: sel",
        &[e(json!(899.5))],
        &[e(json!(900))],
    );
    check(
        "    sel:\n        requestParameters.durationSeconds|gt: 900\n    condition: sel",
        &[e(json!(901))],
        &[e(json!(900))],
    );
    check(
        "    sel:\n        requestParameters.durationSeconds|lte: 900\n    condition: sel",
        &[e(json!(900))],
        &[e(json!(901))],
    );
}

#[test]
fn numbers_and_booleans_match_their_json_text() {
    check(
        "    sel:\n        requestParameters.enable: false\n        requestParameters.port: 22\n    condition: sel",
        &[event("X", json!({"enable": false, "port": 22}))],
        &[
            event("X", json!({"enable": true, "port": 22})),
            event("X", json!({"enable": false})),
        ],
    );
}

#[test]
fn arrays_are_searched() {
    // A list on the path, and a list at its end: any element.
    check(
        "    sel:\n        resources.type: 'AWS::S3::Object'\n    condition: sel",
        &[named("X")],
        &[json!({"eventName": "X", "resources": []})],
    );
    check(
        "    sel:\n        requestParameters.names: bob\n    condition: sel",
        &[event("X", json!({"names": ["alice", "bob"]}))],
        &[event("X", json!({"names": ["alice"]}))],
    );
    // A key that holds dots is found as one key.
    check(
        "    sel:\n        requestParameters.a.b: c\n    condition: sel",
        &[
            event("X", json!({"a.b": "c"})),
            event("X", json!({"a": {"b": "c"}})),
        ],
        &[event("X", json!({"a": "c"}))],
    );
}

#[test]
fn keywords_search_every_value() {
    check(
        "    keywords:\n        - 'evil.example'\n        - 'xmrig'\n    condition: keywords",
        &[
            event("X", json!({"url": "https://EVIL.example/x"})),
            event("X", json!({"deep": [{"cmd": "run xmrig"}]})),
        ],
        &[event("X", json!({"url": "https://good.example/"}))],
    );
}

#[test]
fn condition_forms() {
    let d = "    sel:\n        eventName: CreateUser\n    sel_admin:\n        requestParameters.userName|startswith: admin\n    \
             filter_ci:\n        userIdentity.arn|endswith: ':user/ci'\n    condition: 1 of sel* and not filter_ci";
    let ci = |n: &str| {
        let mut e = named(n);
        e["userIdentity"]["arn"] = json!("arn:aws:iam::1:user/ci");
        e
    };
    check(
        d,
        &[
            named("CreateUser"),
            event("X", json!({"userName": "admin2"})),
        ],
        &[ci("CreateUser"), named("DeleteUser")],
    );
    let d = "    sel:\n        eventName: CreateUser\n    sel_admin:\n        requestParameters.userName|startswith: admin\n    \
             condition: all of sel*";
    check(
        d,
        &[event("CreateUser", json!({"userName": "admin2"}))],
        &[named("CreateUser")],
    );
    let d = "    a:\n        eventName: A\n    b:\n        eventName: B\n    _x:\n        eventName: C\n    \
             condition: 1 of them";
    check(d, &[named("A"), named("B")], &[named("C")]);
    let d = "    a:\n        eventName: A\n    b:\n        sourceIPAddress: 198.51.100.7\n    \
             condition: all of them";
    check(d, &[named("A")], &[named("B")]);
    let d = "    a:\n        eventName: A\n    b:\n        eventName: B\n    \
             condition:\n        - a\n        - b";
    check(d, &[named("A"), named("B")], &[named("C")]);
    let d = "    a:\n        eventName: A\n    b:\n        requestParameters.x: 1\n    \
             c:\n        requestParameters.y: 2\n    condition: a and (b or c)";
    check(
        d,
        &[event("A", json!({"x": 1})), event("A", json!({"y": 2}))],
        &[named("A"), event("B", json!({"x": 1}))],
    );
}

#[test]
fn rules_are_indexed_by_event_name_where_they_can_be() {
    let indexed = "    sel:\n        eventName:\n            - A\n            - B\n    filter:\n        \
                   sourceIPAddress: x\n    condition: sel and not filter";
    let set = detection(indexed);
    assert_eq!(set.unindexed(), 0);
    let mut names: Vec<&str> = set.by_event_name.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);
    for unindexed in [
        "    sel:\n        eventName|startswith: A\n    condition: sel",
        "    sel:\n        eventName: A\n    other:\n        eventSource: x\n    condition: sel or other",
        "    sel:\n        eventName: A\n    condition: not sel",
        "    keywords:\n        - x\n    condition: keywords",
    ] {
        assert_eq!(detection(unindexed).unindexed(), 1, "{unindexed}");
    }
}

#[test]
fn unsupported_rules_are_refused_by_name_and_the_others_load() {
    let good = rule_text("    sel:\n        eventName: A\n    condition: sel");
    let aggregation = rule_text("    sel:\n        eventName: A\n    condition: sel | count() > 5")
        .replace("test-1", "agg-1");
    let correlation = "title: Many\nid: corr-1\ncorrelation:\n    type: event_count\n";
    let windows = "title: Win\nid: win-1\nlogsource:\n    product: windows\n    service: security\n\
                   detection:\n    sel:\n        EventID: 4625\n    condition: sel\n";
    let both = format!("{good}---\n{aggregation}");
    let (set, refused) = RuleSet::load(
        [
            ("both.yml", both.as_bytes()),
            ("corr.yml", correlation.as_bytes()),
            ("win.yml", windows.as_bytes()),
        ],
        |_| false,
    );
    assert_eq!(set.rules().len(), 1);
    assert_eq!(set.rules()[0].id, "test-1");
    let summary: Vec<(&str, &str, bool)> = refused
        .iter()
        .map(|r| (r.file.as_str(), r.rule.as_str(), r.refusal.unsupported))
        .collect();
    assert_eq!(
        summary,
        [
            ("both.yml", "agg-1", true),
            ("corr.yml", "corr-1", true),
            ("win.yml", "win-1", true)
        ]
    );
    assert!(refused[0].refusal.reason.contains("aggregates"));
    assert!(refused[1].refusal.reason.contains("correlation"));
    assert!(refused[2].refusal.reason.contains("product: windows"));
}

#[test]
fn broken_rules_are_refused_with_the_reason() {
    for (detection_text, wanted) in [
        (
            "    sel:\n        eventName|bogus: A\n    condition: sel",
            "unknown modifier \"bogus\"",
        ),
        (
            "    sel:\n        eventName: A\n    condition: sel and",
            "detection.condition",
        ),
        (
            "    sel:\n        eventName: A\n    condition: other",
            "not a search identifier",
        ),
        ("    sel:\n        eventName: A", "no detection.condition"),
        (
            "    sel:\n        eventName|re|contains: A\n    condition: sel",
            "take no other modifier",
        ),
        (
            "    sel:\n        eventName|i: A\n    condition: sel",
            "only go with re",
        ),
        (
            "    sel:\n        eventName|exists: yes-please\n    condition: sel",
            "true or false",
        ),
        (
            "    sel:\n        eventName|gt: many\n    condition: sel",
            "take a number",
        ),
        ("    sel: []\n    condition: sel", "empty list"),
        (
            "    sel: true\n    condition: sel",
            "search identifier must be",
        ),
        (
            "    sel:\n        eventName: []\n    condition: sel",
            "empty list",
        ),
        (
            "    sel:\n        eventName:\n            a: b\n    condition: sel",
            "a value must be",
        ),
    ] {
        let r = refused(detection_text);
        assert!(!r.unsupported, "{detection_text}: {r:?}");
        assert!(r.reason.contains(wanted), "{detection_text}: {}", r.reason);
    }
    let unsupported = refused("    sel:\n        eventName|wide: A\n    condition: sel");
    assert!(unsupported.unsupported && unsupported.reason.contains("UTF-16"));
}

#[test]
fn bad_files_and_documents_are_named() {
    let (set, refused) = RuleSet::load(
        [
            ("bad.yml", &b"title: [unclosed\n"[..]),
            ("empty.yml", b""),
            ("list.yml", b"- a\n- b\n"),
            ("noid.yml", b"title: T\n"),
            ("level.yml", b"title: T\nid: x\nlevel: severe\n"),
        ],
        |_| false,
    );
    assert!(set.is_empty());
    let reasons: Vec<(&str, &str)> = refused
        .iter()
        .map(|r| (r.file.as_str(), r.refusal.reason.as_str()))
        .collect();
    assert!(
        reasons[0].0 == "bad.yml" && reasons[0].1.starts_with("not YAML"),
        "{reasons:?}"
    );
    assert_eq!(reasons[1], ("empty.yml", "the file holds no rule"));
    assert_eq!(reasons[2], ("list.yml", "a rule must be a YAML map"));
    assert_eq!(reasons[3], ("noid.yml", "no id"));
    assert!(reasons[4].1.contains("level must be"), "{reasons:?}");
    assert!(refused.iter().all(|r| !r.refusal.unsupported));
}

#[test]
fn ids_are_unique_and_built_in_ids_are_taken() {
    let a = rule_text("    sel:\n        eventName: A\n    condition: sel");
    let builtin = a.replace("test-1", "CTA.1");
    let (set, refused) = RuleSet::load(
        [
            ("a.yml", a.as_bytes()),
            ("again.yml", a.as_bytes()),
            ("builtin.yml", builtin.as_bytes()),
        ],
        |id| id == "CTA.1",
    );
    assert_eq!(set.rules().len(), 1);
    assert!(refused[0].refusal.reason.contains("already the id of"));
    assert!(refused[1].refusal.reason.contains("built-in"));
}

#[test]
fn levels_map_to_severities() {
    for (level, severity) in [
        ("informational", "low"),
        ("low", "low"),
        ("medium", "medium"),
        ("high", "high"),
        ("critical", "critical"),
    ] {
        let text = rule_text("    sel:\n        eventName: A\n    condition: sel")
            .replace("level: high", &format!("level: {level}"));
        assert_eq!(load_one(&text).unwrap().rules()[0].severity, severity);
    }
}

/// Conditions generated at random, printed, parsed and evaluated, against
/// the generated tree evaluated directly on every assignment of truth
/// values to the identifiers.
#[test]
fn conditions_agree_with_a_brute_force_evaluator() {
    #[derive(Debug)]
    enum Tree {
        Id(usize),
        Not(Box<Tree>),
        And(Box<Tree>, Box<Tree>),
        Or(Box<Tree>, Box<Tree>),
        /// `1 of` or `all of` the identifiers starting with `a` or `b`.
        Of {
            all: bool,
            group: usize,
        },
    }
    const NAMES: [&str; 5] = ["a1", "a2", "b1", "b2", "c"];
    fn group(g: usize) -> Vec<usize> {
        (0..NAMES.len())
            .filter(|&i| NAMES[i].starts_with(["a", "b"][g]))
            .collect()
    }
    fn generate(rng: &mut loggen::Rng, depth: u32) -> Tree {
        let leaf = depth == 0 || rng.below(3) == 0;
        match if leaf { rng.below(2) } else { 2 + rng.below(3) } {
            0 => Tree::Id(rng.below(NAMES.len() as u64) as usize),
            1 => Tree::Of {
                all: rng.below(2) == 0,
                group: rng.below(2) as usize,
            },
            2 => Tree::Not(Box::new(generate(rng, depth - 1))),
            3 => Tree::And(
                Box::new(generate(rng, depth - 1)),
                Box::new(generate(rng, depth - 1)),
            ),
            _ => Tree::Or(
                Box::new(generate(rng, depth - 1)),
                Box::new(generate(rng, depth - 1)),
            ),
        }
    }
    /// Printed with the fewest parentheses precedence allows, so the
    /// parser's precedence is what is tested.
    fn print(t: &Tree, parent: u8) -> String {
        let (text, level) = match t {
            Tree::Id(i) => (NAMES[*i].to_owned(), 3),
            Tree::Of { all, group } => (
                format!(
                    "{} of {}*",
                    if *all { "all" } else { "1" },
                    ["a", "b"][*group]
                ),
                3,
            ),
            Tree::Not(inner) => (format!("not {}", print(inner, 2)), 2),
            Tree::And(a, b) => (format!("{} and {}", print(a, 1), print(b, 2)), 1),
            Tree::Or(a, b) => (format!("{} or {}", print(a, 0), print(b, 1)), 0),
        };
        if level < parent {
            format!("({text})")
        } else {
            text
        }
    }
    fn truth(t: &Tree, bits: u32) -> bool {
        let id = |i: usize| bits >> i & 1 == 1;
        match t {
            Tree::Id(i) => id(*i),
            Tree::Not(inner) => !truth(inner, bits),
            Tree::And(a, b) => truth(a, bits) && truth(b, bits),
            Tree::Or(a, b) => truth(a, bits) || truth(b, bits),
            Tree::Of {
                all: true,
                group: g,
            } => group(*g).into_iter().all(id),
            Tree::Of {
                all: false,
                group: g,
            } => group(*g).into_iter().any(id),
        }
    }
    let names: Vec<String> = NAMES.map(String::from).to_vec();
    let mut rng = loggen::Rng::new(15);
    for _ in 0..2_000 {
        let tree = generate(&mut rng, 5);
        let text = print(&tree, 0);
        let parsed = Condition::parse(&text, &names).unwrap_or_else(|e| panic!("{text}: {e}"));
        for bits in 0..1u32 << NAMES.len() {
            let got = parsed.eval(&mut |i| bits >> i & 1 == 1);
            assert_eq!(got, truth(&tree, bits), "{text} with {bits:05b}");
        }
    }
}

/// Fields answered from what the event reader read, and fields looked up
/// in the record's tree, agree on records of odd shapes.
#[test]
fn read_fields_and_the_tree_agree_on_odd_records() {
    check(
        "    sel:\n        userIdentity.type: Root\n    condition: sel",
        &[
            json!({"eventName": "X", "userIdentity": {"type": "Root"}}),
            // A list: the reader reads nothing there, the tree searches it.
            json!({"eventName": "X", "userIdentity": [{"type": "Root"}]}),
            // A key that spells the dotted path itself.
            json!({"eventName": "X", "userIdentity.type": "Root"}),
            json!({"eventName": "X", "userIdentity": {"type": "IAMUser"}, "userIdentity.type": "Root"}),
        ],
        &[json!({"eventName": "X", "userIdentity": {"type": "IAMUser"}})],
    );
    // A number where a string is usual.
    check(
        "    sel:\n        eventName: 7\n    condition: sel",
        &[json!({"eventName": 7}), json!({"eventName": "7"})],
        &[json!({"eventName": 8})],
    );
    // A key spelled with an escape is still found.
    let set =
        detection("    sel:\n        requestParameters.versionId|exists: true\n    condition: sel");
    let fires_raw = |raw: &str| {
        let event = crate::event::Event::parse(raw.as_bytes()).unwrap();
        let mut hits = 0;
        set.check(&event, raw.as_bytes(), |_| hits += 1);
        hits > 0
    };
    assert!(fires_raw(
        r#"{"eventName":"X","requestParameters":{"\u0076ersionId":"1"}}"#
    ));
    assert!(fires_raw(
        r#"{"eventName":"X","requestParameters":{"versionId":"1"}}"#
    ));
    assert!(!fires_raw(
        r#"{"eventName":"X","requestParameters":{"version":"1"}}"#
    ));
}

/// The prefilter skips only rules that cannot match: on generated traffic
/// and odd records, the rules `check` reports are exactly those whose
/// evaluation in full holds. The rules are made from the records' own
/// values (substrings, in both cases, with every position modifier, as
/// keywords and as numbers), so many of them fire.
#[test]
fn the_prefilter_skips_only_rules_that_cannot_match() {
    let spec = loggen::Spec {
        files_per_partition_day: 2,
        events_per_file: 40,
        digest_files: false,
        ..loggen::Spec::small()
    };
    let mut records: Vec<Vec<u8>> = Vec::new();
    for file in loggen::generate(&spec) {
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::MultiGzDecoder::new(&file.body[..]),
            &mut body,
        )
        .unwrap();
        let log: Value = serde_json::from_slice(&body).unwrap();
        for r in log["Records"].as_array().unwrap() {
            records.push(serde_json::to_vec(r).unwrap());
        }
    }
    for odd in [
        r#"{"eventName":"GetObject","requestParameters":{"bucketName":"Caf\u00e9-\u212a"}}"#,
        r#"{"eventName":"GetObject","requestParameters":{"bucketName":"a\"quoted\"name"}}"#,
        r#"{"eventName":"GetObject","requestParameters":{"bucketName":"\u0073ecret"}}"#,
        r#"{"eventName":"GetObject","requestParameters":{"size":1e3,"count":1000}}"#,
        r#"{"eventName":"GetObject","userIdentity":{"arn":"arn:aws:iam::1:user/K\u212aELVIN"}}"#,
    ] {
        records.push(odd.as_bytes().to_vec());
    }

    let paths = [
        "eventSource",
        "userAgent",
        "sourceIPAddress",
        "userIdentity.arn",
        "requestParameters.bucketName",
        "requestParameters.roleName",
        "requestParameters.size",
        "eventVersion",
    ];
    let mut rng = loggen::Rng::new(16);
    let mut rules = String::new();
    for n in 0..400 {
        let record: Value =
            serde_json::from_slice(&records[rng.below(records.len() as u64) as usize]).unwrap();
        let path = paths[rng.below(paths.len() as u64) as usize];
        let mut at = &record;
        for key in path.split('.') {
            at = &at[key];
        }
        let text = match at {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => "kelvin".into(),
        };
        let chars: Vec<char> = text.chars().collect();
        let start = rng.below(chars.len() as u64 / 2 + 1) as usize;
        let len = 1 + rng.below((chars.len() - start).max(1) as u64) as usize;
        let mut piece: String = chars[start..(start + len).min(chars.len())]
            .iter()
            .collect();
        if rng.below(3) == 0 {
            piece = piece.to_uppercase();
        }
        let piece = piece.replace('\'', "''");
        let modifier = [
            "",
            "|contains",
            "|startswith",
            "|endswith",
            "|contains|cased",
        ][rng.below(5) as usize];
        let selection = if rng.below(6) == 0 {
            format!("    keywords:\n        - '*{piece}*'\n    condition: keywords")
        } else {
            format!("    sel:\n        {path}{modifier}: '{piece}'\n    condition: sel")
        };
        rules.push_str(&format!(
            "title: Generated {n}\nid: gen-{n}\nlevel: low\nlogsource:\n    product: aws\n    \
             service: cloudtrail\ndetection:\n{selection}\n---\n"
        ));
    }
    let (set, refused) = RuleSet::load([("generated.yml", rules.as_bytes())], |_| false);
    assert!(refused.is_empty(), "{refused:?}");
    assert!(set.prefilter.is_some());

    let (mut fired, mut skipped) = (0, 0);
    for raw in &records {
        let event = crate::event::Event::parse(raw).unwrap();
        let mut hits = Vec::new();
        set.check(&event, raw, |rule| hits.push(rule.id.clone()));
        let record = Record::new(&event, raw);
        let expected: Vec<String> = set
            .rules()
            .iter()
            .filter(|r| r.matches(&record))
            .map(|r| r.id.clone())
            .collect();
        assert_eq!(hits, expected, "on {}", String::from_utf8_lossy(raw));
        fired += hits.len();
        if let Some(found) = set.prefilter.as_ref().unwrap().scan(raw) {
            skipped += (0..set.rules().len())
                .filter(|&i| !set.prefilter.as_ref().unwrap().may_match(i, &found))
                .count();
        }
    }
    // Both sides were exercised: rules fired, and rules were skipped.
    assert!(fired > records.len(), "{fired} hits");
    assert!(skipped > records.len() * 100, "{skipped} skipped");
}
