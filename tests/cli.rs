//! Runs the built `kql` binary: streams, exit codes, output formats.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kql(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kql"));
    cmd.args(args).env("NO_COLOR", "1").stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().expect("spawn kql");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait for kql")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8 output")
}

const SPEC_KQL: [&str; 2] = [
    "SELECT id, name, website FROM Accounts WHERE name LIKE 'Jim%' ORDER BY name DESC LIMIT 100 OFFSET 200",
    "SELECT id, name, email, status FROM Leads WHERE name LIKE '%kloudless%' AND email != '' ORDER BY name ASC",
];
const SPEC_DQL: [&str; 3] = [
    "SELECT accountid, name, numberofemployees FROM account WHERE name LIKE '%kloud%' ORDER BY name ASC",
    "SELECT leadid, fullname, emailaddress1, statuscode FROM lead WHERE fullname LIKE '%kloud%' AND emailaddress1 != '' ORDER BY fullname ASC",
    "SELECT opportunityid, name, stepname, parentaccountid.accountid FROM opportunity WHERE name LIKE '%kloud%' ORDER BY name ASC",
];

#[test]
fn check_accepts_the_spec_examples() {
    for q in SPEC_KQL {
        let out = kql(&["check", q], None);
        assert_eq!(out.status.code(), Some(0), "{q}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with("ok: kql query on"), "{}", text(&out.stdout));
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
    for q in SPEC_DQL {
        let out = kql(&["check", "--lang", "dql", "--target", "dynamics", q], None);
        assert_eq!(out.status.code(), Some(0), "{q}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("accepted for dynamics (documented subset)"));
    }
}

#[test]
fn lowercase_keyword_exits_1_with_the_case_hint() {
    let out = kql(&["check", "select id FROM Account"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "error[P004]: expected `SELECT`, found `select`\n --> 1:1\n  |\n1 | select id FROM Account\n  | ^^^^^^\n  = help: keywords are case-sensitive: write `SELECT`\n"
    );
}

#[test]
fn count_star_exits_1_naming_functions() {
    let out = kql(&["check", "SELECT COUNT(*) FROM Leads"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error[S001]: functions are not supported: `COUNT`"), "{err}");
}

#[test]
fn query_from_stdin_when_absent_or_dash() {
    for args in [&["check"][..], &["check", "-"][..]] {
        let out = kql(args, Some(b"SELECT Id FROM Account"));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "ok: kql query on `Account` accepted (documented subset)\n");
    }
}

#[test]
fn json_error_format() {
    let out = kql(&["check", "--error-format", "json", "SELECT a FROM X WHERE a = NULL AND b LIKE 'x'"], None);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    let errors = v["errors"].as_array().expect("errors array");
    let codes: Vec<&str> = errors.iter().map(|e| e["code"].as_str().unwrap_or("")).collect();
    assert_eq!(codes, ["S012", "S011"]);
    for e in errors {
        assert_eq!(e["severity"], "error");
        assert!(e["message"].is_string());
        assert!(e["span"]["start"].as_u64() <= e["span"]["end"].as_u64());
        assert!(e["help"].is_string());
    }
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let out = kql(&["check", "SELECT Name AS n, Name FROM Account a"], None);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(err.contains("warning[S101]: alias `n` is ignored"), "{err}");
    assert!(err.contains("warning[S102]"), "{err}");
    assert!(err.contains("warning[S101]: alias `a` is ignored"), "{err}");
    assert!(text(&out.stdout).starts_with("ok:"));
}

#[test]
fn check_json_prints_the_validated_query() {
    let out = kql(&["check", "--format", "json", "SELECT Name FROM Account WHERE Name LIKE 'Ac%' ORDER BY Name"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["object"]["name"], "Account");
    assert_eq!(v["filter"]["kind"], "like");
    assert_eq!(v["filter"]["pattern"], serde_json::json!({"kind": "starts_with", "text": "Ac"}));
    assert_eq!(v["order_by"][0]["direction"], "asc");
}

#[test]
fn extended_and_target_flags() {
    let q = "SELECT * FROM account WHERE statecode IN (0, 1)";
    let out = kql(&["check", "--lang", "dql", q], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[S019]"));
    let out = kql(&["check", "--lang", "dql", "--extended", q], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = kql(&["check", "--lang", "dql", "--target", "salesforce", "SELECT Id FROM Account"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[S014]: dql is not supported by salesforce"));
}

#[test]
fn parse_prints_the_ast_as_json() {
    let out = kql(&["parse", "SELECT Id FROM Account WHERE Name = 'O''Brien'"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["from"][0]["source"]["name"]["name"], "Account");
    assert_eq!(v["where"]["kind"], "compare");
    assert_eq!(v["where"]["rhs"]["value"], "O'Brien");
    assert_eq!(v["where"]["rhs"]["span"], serde_json::json!({"start": 36, "end": 46}));
    // parse reports syntax only: COUNT(*) parses.
    let out = kql(&["parse", "SELECT COUNT(*) FROM Leads"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = kql(&["parse", "SELECT FROM"], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let out = kql(&["check", "--no-such-flag", "SELECT a FROM b"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kql(&["check", "--target", "oracle", "SELECT a FROM b"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kql(&["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
    // invalid UTF-8 (a lone surrogate's bytes, and 0xFF) on stdin
    for bytes in [&b"SELECT a FROM X WHERE a = '\xed\xa0\x80'"[..], &b"\xff"[..]] {
        let out = kql(&["check"], Some(bytes));
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).starts_with("kql: error: the query is not valid UTF-8"), "{}", text(&out.stderr));
    }
}

#[test]
fn control_characters_are_rejected_with_a_code() {
    let out = kql(&["check"], Some(b"SELECT a FROM X WHERE a = 1\x00"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error[P003]: unexpected character U+0000"), "{err}");
    // the rendered source line shows a visible placeholder, never the raw byte
    assert!(!err.contains('\0'));
}

#[test]
fn no_color_output_has_no_escape_codes() {
    let out = kql(&["check", "select x FROM y"], None);
    assert!(!text(&out.stderr).contains('\x1b'));
}
