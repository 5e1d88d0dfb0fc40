//! Runs the built `kql` binary: streams, exit codes, output formats.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kql(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kql"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn kql");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
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
        assert!(
            text(&out.stdout).starts_with("ok: kql query on"),
            "{}",
            text(&out.stdout)
        );
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
    assert!(
        err.starts_with("error[S001]: functions are not supported: `COUNT`"),
        "{err}"
    );
}

#[test]
fn query_from_stdin_when_absent_or_dash() {
    for args in [&["check"][..], &["check", "-"][..]] {
        let out = kql(args, Some(b"SELECT Id FROM Account"));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "ok: kql query on `Account` accepted (documented subset)\n"
        );
    }
}

#[test]
fn json_error_format() {
    let out = kql(
        &[
            "check",
            "--error-format",
            "json",
            "SELECT a FROM X WHERE a = NULL AND b LIKE 'x'",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    let errors = v["errors"].as_array().expect("errors array");
    let codes: Vec<&str> = errors
        .iter()
        .map(|e| e["code"].as_str().unwrap_or(""))
        .collect();
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
    let out = kql(
        &[
            "check",
            "--format",
            "json",
            "SELECT Name FROM Account WHERE Name LIKE 'Ac%' ORDER BY Name",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["object"]["name"], "Account");
    assert_eq!(v["filter"]["kind"], "like");
    assert_eq!(
        v["filter"]["pattern"],
        serde_json::json!({"kind": "starts_with", "text": "Ac"})
    );
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
    let out = kql(
        &[
            "check",
            "--lang",
            "dql",
            "--target",
            "salesforce",
            "SELECT Id FROM Account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[S014]: dql is not supported by salesforce"));
}

#[test]
fn parse_prints_the_ast_as_json() {
    let out = kql(
        &["parse", "SELECT Id FROM Account WHERE Name = 'O''Brien'"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["from"][0]["source"]["name"]["name"], "Account");
    assert_eq!(v["where"]["kind"], "compare");
    assert_eq!(v["where"]["rhs"]["value"], "O'Brien");
    assert_eq!(
        v["where"]["rhs"]["span"],
        serde_json::json!({"start": 36, "end": 46})
    );
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
    for bytes in [
        &b"SELECT a FROM X WHERE a = '\xed\xa0\x80'"[..],
        &b"\xff"[..],
    ] {
        let out = kql(&["check"], Some(bytes));
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).starts_with("kql: error: the query is not valid UTF-8"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn control_characters_are_rejected_with_a_code() {
    let out = kql(&["check"], Some(b"SELECT a FROM X WHERE a = 1\x00"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error[P003]: unexpected character U+0000"),
        "{err}"
    );
    // the rendered source line shows a visible placeholder, never the raw byte
    assert!(!err.contains('\0'));
}

#[test]
fn no_color_output_has_no_escape_codes() {
    let out = kql(&["check", "select x FROM y"], None);
    assert!(!text(&out.stderr).contains('\x1b'));
}

#[test]
fn translate_text_per_target() {
    let q = "SELECT Id, Name FROM Account WHERE Name = 'O''Brien' AND AnnualRevenue > 1000.50";
    let out = kql(&["translate", "--target", "salesforce", q], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "SELECT Id, Name FROM Account WHERE Name = 'O\\'Brien' AND AnnualRevenue > 1000.50\n"
    );
    let out = kql(
        &[
            "translate",
            "--lang",
            "dql",
            "--target",
            "dynamics",
            SPEC_DQL[2],
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "opportunities?$select=opportunityid,name,stepname&$expand=parentaccountid($select=accountid)&$filter=contains(name,'kloud')&$orderby=name asc,opportunityid asc\n"
    );
    let out = kql(&["translate", "--target", "sugarcrm", SPEC_KQL[1]], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"filter\":[{\"name\":{\"$contains\":\"kloudless\"}},{\"email\":{\"$not_equals\":\"\"}}],\"fields\":\"id,name,email,status\",\"order_by\":\"name:asc,id:asc\"}\n"
    );
}

#[test]
fn translate_json_contract() {
    let q = "SELECT name FROM account WHERE name LIKE 'Contoso%' ORDER BY name LIMIT 10 OFFSET 20";
    let out = kql(
        &["translate", "--target", "dynamics", "--format", "json", q],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["target"], "dynamics");
    assert_eq!(v["entity_set"], "accounts");
    assert_eq!(v["query"]["$filter"], "startswith(name,'Contoso')");
    assert_eq!(v["query"]["$top"], "30");
    assert!(v["query"]["$orderby"]
        .as_str()
        .unwrap_or("")
        .ends_with("accountid asc"));
    assert!(v["query_string"]
        .as_str()
        .unwrap_or("")
        .contains("$filter=startswith(name%2C'Contoso')"));
    assert!(v["headers"].is_object());
    assert_eq!(v["client_skip"], 20);
    assert!(v["warnings"].as_array().is_some());
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for k in [
        "target",
        "entity_set",
        "query",
        "query_string",
        "headers",
        "client_skip",
        "client_take",
        "warnings",
    ] {
        assert!(keys.contains(&k), "missing {k} in {keys:?}");
    }

    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--format",
            "json",
            SPEC_KQL[0],
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["target"], "salesforce");
    // NULLs last when descending and `Id` breaking ties between pages (R66)
    assert_eq!(
        v["soql"],
        "SELECT id, name, website FROM Accounts WHERE name LIKE 'Jim%' ORDER BY name DESC NULLS LAST, Id LIMIT 100 OFFSET 200"
    );
    assert_eq!(v["warnings"], serde_json::json!([]));

    let out = kql(
        &[
            "translate",
            "--target",
            "sugarcrm",
            "--format",
            "json",
            SPEC_KQL[0],
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["target"], "sugarcrm");
    assert_eq!(v["module"], "Accounts");
    assert_eq!(
        v["body"]["filter"],
        serde_json::json!([{"name": {"$starts": "Jim"}}])
    );
    assert_eq!(v["body"]["max_num"], 100);
    assert_eq!(v["body"]["offset"], 200);
    assert!(v["client_take"].is_null());
}

#[test]
fn translate_all_targets() {
    // accepted by every target
    let out = kql(
        &[
            "translate",
            "--target",
            "all",
            "--format",
            "json",
            SPEC_KQL[1],
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // `!=` with its null guard (R64)
    assert_eq!(
        v["salesforce"]["soql"],
        "SELECT id, name, email, status FROM Leads WHERE name LIKE '%kloudless%' AND email != '' AND email != null ORDER BY name ASC"
    );
    assert_eq!(v["dynamics"]["target"], "dynamics");
    assert_eq!(v["sugarcrm"]["module"], "Leads");
    // rejected by one target: that target holds {"errors": […]}, exit 1
    let out = kql(
        &[
            "translate",
            "--target",
            "all",
            "--format",
            "json",
            "SELECT * FROM Account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["salesforce"]["errors"][0]["code"], "S015");
    assert!(v["dynamics"]["query_string"].is_string());
    assert_eq!(v["sugarcrm"]["body"], serde_json::json!({}));
    // text form: one line per target
    let out = kql(
        &["translate", "--target", "all", "SELECT * FROM Account"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0], "salesforce: rejected");
    assert!(lines[1].starts_with("dynamics: "));
    assert!(lines[2].starts_with("sugarcrm: "));
    assert!(text(&out.stderr).contains("salesforce:\nerror[S015]"));
    // DQL: `all` means every target of the language, i.e. dynamics
    let out = kql(
        &[
            "translate",
            "--lang",
            "dql",
            "--target",
            "all",
            "--format",
            "json",
            SPEC_DQL[0],
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v.as_object().map(|o| o.len()), Some(1));
    assert_eq!(v["dynamics"]["entity_set"], "accounts");
}

#[test]
fn translate_exact_decimals_in_json() {
    let out = kql(
        &[
            "translate",
            "--target",
            "all",
            "--format",
            "json",
            "SELECT name FROM Accounts WHERE amount = 12.50",
        ],
        None,
    );
    let s = text(&out.stdout);
    assert!(s.contains("\"$equals\":12.50"), "{s}");
    assert!(s.contains("amount = 12.50"), "{s}");
}

#[test]
fn translate_exit_codes_and_streams() {
    // rejected by the target: exit 1, nothing on stdout
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "SELECT Id FROM Account OFFSET 2001",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).starts_with("error[B003]"),
        "{}",
        text(&out.stderr)
    );
    // rejected by the front end, JSON diagnostics
    let out = kql(
        &[
            "translate",
            "--target",
            "sugarcrm",
            "--error-format",
            "json",
            "SELECT a FROM X WHERE NOT (a = 1)",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON");
    assert_eq!(v["errors"][0]["code"], "S018");
    // --extended lifts it
    let out = kql(
        &[
            "translate",
            "--target",
            "sugarcrm",
            "--extended",
            "SELECT a FROM X WHERE NOT (a = 1)",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"filter\":[{\"a\":{\"$not_equals\":1}}],\"fields\":\"a\"}\n"
    );
    // usage errors
    let out = kql(&["translate", "SELECT a FROM X"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kql(
        &["translate", "--target", "oracle", "SELECT a FROM X"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    // stdin
    let out = kql(
        &["translate", "--target", "salesforce", "-"],
        Some(b"SELECT Id FROM Account"),
    );
    assert_eq!(text(&out.stdout), "SELECT Id FROM Account\n");
    // warnings on stderr, success
    let out = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "SELECT name FROM widget",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("warning[B027]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn translate_entity_set_option() {
    let out = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "--entity-set",
            "usersettingscollection",
            "--primary-key",
            "systemuserid",
            "SELECT uilanguageid FROM usersettings LIMIT 5 OFFSET 5",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("usersettingscollection?"), "{s}");
    assert!(s.contains("systemuserid asc"), "{s}");
    let out = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "--entity-set",
            "accounts?$x=1",
            "SELECT name FROM account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("B021"), "{}", text(&out.stderr));
}
