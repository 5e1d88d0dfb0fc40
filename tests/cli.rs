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
        let written = child.stdin.take().expect("stdin").write_all(input);
        // kql reads stdin no further than the input limit, so a longer input
        // may meet a closed pipe
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
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

/// Runs `kql` with extra environment variables (and `NO_COLOR` only if given).
fn kql_env(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kql"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("spawn kql");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        // kql may stop reading early (bounded input): a broken pipe is expected then.
        std::thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    child.wait_with_output().expect("wait for kql")
}

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kql-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write temp file");
    p
}

fn codes(stderr: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(stderr).expect("stderr is JSON");
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn targets_lists_languages_targets_and_modes() {
    let out = kql(&["targets"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "LANG  TARGET      MODES\n\
         kql   salesforce  documented, extended\n\
         kql   dynamics    documented, extended\n\
         kql   sugarcrm    documented, extended\n\
         dql   dynamics    documented, extended\n\
         \n\
         documented: the documented subset of the language (the default)\n\
         extended:   `--extended`: also the extensions listed in grammar/subset.md\n"
    );
    let out = kql(&["targets", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["languages"], serde_json::json!(["kql", "dql"]));
    assert_eq!(
        v["targets"],
        serde_json::json!(["salesforce", "dynamics", "sugarcrm"])
    );
    assert_eq!(v["modes"][1]["name"], "extended");
    let pairs: Vec<(String, String)> = v["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            assert_eq!(p["modes"], serde_json::json!(["documented", "extended"]));
            (p["lang"].to_string(), p["target"].to_string())
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("\"kql\"", "\"salesforce\""),
            ("\"kql\"", "\"dynamics\""),
            ("\"kql\"", "\"sugarcrm\""),
            ("\"dql\"", "\"dynamics\"")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _kql"),
        ("zsh", "#compdef kql"),
        ("fish", "complete -c kql"),
    ] {
        let out = kql(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let s = text(&out.stdout);
        assert!(s.contains(marker), "{shell}: {s}");
        for word in ["translate", "targets", "fmt", "batch", "max-input-bytes"] {
            assert!(s.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = kql(&["completions", "tcsh"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn color_flag_and_no_color() {
    let q = "select x FROM y";
    let red = "\x1b[1;31merror\x1b[0m[P004]";
    // always: colour even under NO_COLOR (the flag is explicit)
    let out = kql_env(
        &["check", "--color", "always", q],
        &[("NO_COLOR", "1")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(red),
        "{:?}",
        text(&out.stderr)
    );
    // never, and auto when stderr is not a terminal (here a pipe), with NO_COLOR unset
    for color in ["never", "auto"] {
        let out = kql_env(&["check", "--color", color, q], &[], None);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).starts_with("error[P004]"),
            "{color}: {:?}",
            text(&out.stderr)
        );
    }
    // the JSON form is never coloured
    let out = kql_env(
        &["check", "--color", "always", "--error-format", "json", q],
        &[],
        None,
    );
    assert_eq!(codes(&out.stderr), ["P004"]);
    let out = kql(&["check", "--color", "sometimes", q], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn deny_warnings_exits_1_on_any_warning() {
    let warns = "SELECT Name AS n FROM Account";
    let out = kql(&["check", warns], None);
    assert_eq!(out.status.code(), Some(0));
    let out = kql(&["check", "--deny-warnings", warns], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("ok:"),
        "the verdict is still printed"
    );
    let err = text(&out.stderr);
    assert!(err.contains("warning[S101]"), "{err}");
    assert!(
        err.ends_with("kql: warnings are denied (--deny-warnings): exit 1\n"),
        "{err}"
    );
    // JSON diagnostics stay one JSON document
    let out = kql(
        &["check", "--deny-warnings", "--error-format", "json", warns],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out.stderr), ["S101"]);
    // no warning: success
    let out = kql(
        &["check", "--deny-warnings", "SELECT Name FROM Account"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    // translate, one target and all
    let out = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "--deny-warnings",
            "SELECT name FROM widget",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("widgets?$select=name"));
    let out = kql(
        &[
            "translate",
            "--target",
            "all",
            "--deny-warnings",
            "SELECT name FROM widget",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--deny-warnings",
            "SELECT name FROM widget",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn limit_flags() {
    let json = ["--error-format", "json"];
    let run = |extra: &[&str], q: &str| {
        let mut args = vec!["check"];
        args.extend(json);
        args.extend(extra);
        args.push(q);
        kql(&args, None)
    };
    let q = "SELECT a FROM X WHERE ((a = 1)) AND b IN (1, 2, 3) AND c = 'abcd'";
    assert_eq!(run(&[], q).status.code(), Some(0));
    for (flag, value, code) in [
        ("--max-input-bytes", "10", "L002"),
        ("--max-depth", "1", "L001"),
        ("--max-predicates", "2", "L003"),
        ("--max-in-list", "2", "L004"),
        ("--max-string-bytes", "3", "L005"),
    ] {
        let out = run(&[flag, value], q);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        assert_eq!(codes(&out.stderr), [code], "{flag}");
    }
    for bad in ["0", "257", "-1", "x"] {
        let out = run(&["--max-depth", bad], q);
        assert_eq!(out.status.code(), Some(2), "--max-depth {bad}");
    }
    // the input limit can be raised above its default of 100,000 bytes
    let long = format!("SELECT a FROM X WHERE a = '{}'", "x".repeat(150_000));
    let out = kql(
        &["check", "--error-format", "json", "-"],
        Some(long.as_bytes()),
    );
    assert_eq!(codes(&out.stderr), ["L002"]);
    let out = kql(
        &[
            "check",
            "--max-input-bytes",
            "200000",
            "--max-string-bytes",
            "200000",
            "-",
        ],
        Some(long.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // the deepest nesting the flag allows runs through every command on the
    // main thread's stack
    for q in [
        format!(
            "SELECT a FROM X WHERE {}a = 1{}",
            "(".repeat(255),
            ")".repeat(255)
        ),
        format!("SELECT a FROM X WHERE {}a = 1", "NOT ".repeat(255)),
    ] {
        for cmd in [
            &["parse"][..],
            &["fmt"][..],
            &["check", "--extended"][..],
            &[
                "translate",
                "--target",
                "all",
                "--extended",
                "--format",
                "json",
            ][..],
        ] {
            let mut args = cmd.to_vec();
            args.extend(["--max-depth", "256", q.as_str()]);
            let out = kql(&args, None);
            assert_eq!(out.status.code(), Some(0), "{cmd:?}: {}", text(&out.stderr));
        }
        let out = kql(&["check", "--error-format", "json", q.as_str()], None);
        assert_eq!(codes(&out.stderr), ["L001"]);
    }
    // the help states the library's defaults
    let help = text(&kql(&["check", "--help"], None).stdout);
    let d = kql::Limits::default();
    for (flag, default) in [
        ("--max-input-bytes", d.max_input_bytes),
        ("--max-depth", d.max_depth),
        ("--max-predicates", d.max_predicates),
        ("--max-in-list", d.max_in_list),
        ("--max-string-bytes", d.max_string_bytes),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} is not in the help"));
        assert!(line.contains(&format!("[default: {default}]")), "{line}");
    }
    // other commands take them too
    let out = kql(
        &[
            "parse",
            "--max-depth",
            "1",
            "SELECT a FROM X WHERE ((a = 1))",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--max-in-list",
            "2",
            q,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error[L004]"));
}

#[test]
fn oversized_stdin_is_read_only_up_to_the_limit() {
    // 10 MB on stdin: kql stops reading after the limit (a broken pipe for the
    // writer) and reports L002 with the bytes it read.
    let big = format!("SELECT a FROM X WHERE a = '{}'", "x".repeat(10_000_000));
    let out = kql_env(
        &["check", "--error-format", "json"],
        &[],
        Some(big.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON");
    assert_eq!(v["errors"][0]["code"], "L002");
    let msg = v["errors"][0]["message"].as_str().expect("message");
    assert_eq!(msg, "query is 100004 bytes, over the limit of 100000 bytes");
    // a multi-byte character cut at the limit is still L002, not invalid UTF-8
    for limit in ["28", "29", "30", "31"] {
        let out = kql_env(
            &[
                "check",
                "--error-format",
                "json",
                "--max-input-bytes",
                limit,
            ],
            &[],
            Some("SELECT a FROM X WHERE a = 'ééééé€€€'".as_bytes()),
        );
        assert_eq!(out.status.code(), Some(1), "{limit}: {}", text(&out.stderr));
        assert_eq!(codes(&out.stderr), ["L002"], "{limit}");
    }
    // an input that ends in a split character by itself is not UTF-8, even
    // over the limit
    let out = kql(
        &["check", "--max-input-bytes", "15"],
        Some(b"SELECT a FROM X\xe2\x82"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("kql: error: the query is not valid UTF-8"));
    // the same from a file
    let p = temp_file("big.kql", big.as_bytes());
    let out = kql(
        &[
            "check",
            "--error-format",
            "json",
            "--file",
            p.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(codes(&out.stderr), ["L002"]);
}

#[test]
fn file_flag_reads_the_query_from_a_file() {
    let p = temp_file("q.kql", b"SELECT Id FROM Account\n");
    let path = p.to_str().expect("path");
    let out = kql(&["check", "--file", path], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ok: kql query on `Account` accepted (documented subset)\n"
    );
    let out = kql(
        &["translate", "--target", "salesforce", "--file", path],
        None,
    );
    assert_eq!(text(&out.stdout), "SELECT Id FROM Account\n");
    // `--file -` is stdin
    let out = kql(&["check", "--file", "-"], Some(b"SELECT Id FROM Account"));
    assert_eq!(out.status.code(), Some(0));
    // a positional argument is always query text, even when it names a file
    let out = kql(&["check", "--error-format", "json", path], None);
    assert_eq!(out.status.code(), Some(1));
    // usage and I/O errors
    let out = kql(&["check", "--file", path, "SELECT a FROM b"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = kql(&["check", "--file", "/nonexistent/kql/query.kql"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("kql: error: cannot read /nonexistent/kql/query.kql"),
        "{}",
        text(&out.stderr)
    );
    let bad = temp_file("bad.kql", b"SELECT a FROM X WHERE a = '\xff'");
    let out = kql(&["check", "--file", bad.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("kql: error: the query is not valid UTF-8"));
}

#[test]
fn fmt_prints_the_canonical_query() {
    let out = kql(
        &[
            "fmt",
            "SELECT a,b  FROM X WHERE (a=1 AND b='x''y') OR NOT (c LIKE '%z%') ORDER BY a DESC LIMIT 5",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let canonical =
        "SELECT a, b FROM X WHERE a = 1 AND b = 'x''y' OR NOT c LIKE '%z%' ORDER BY a DESC LIMIT 5\n";
    assert_eq!(text(&out.stdout), canonical);
    assert!(out.stderr.is_empty());
    // canonical text is a fixed point, from stdin and from a file
    let out = kql(&["fmt"], Some(canonical.as_bytes()));
    assert_eq!(text(&out.stdout), canonical);
    let p = temp_file("fmt.kql", canonical.as_bytes());
    let out = kql(&["fmt", "--file", p.to_str().expect("path")], None);
    assert_eq!(text(&out.stdout), canonical);
    // syntax only: fmt prints what parses even outside the subset
    let out = kql(&["fmt", "SELECT COUNT( * ) FROM Leads"], None);
    assert_eq!(text(&out.stdout), "SELECT COUNT(*) FROM Leads\n");
    // a syntax error is reported like the other commands do
    let out = kql(&["fmt", "--error-format", "json", "SELECT FROM"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(codes(&out.stderr), ["P001"]);
}

#[test]
fn fmt_repairs_keyword_case_and_check_reports_every_wrong_case_keyword() {
    let lower = "select Id from Account where not Name like 'A%' order by Name desc limit 5";
    let out = kql(&["fmt", lower], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "SELECT Id FROM Account WHERE NOT Name LIKE 'A%' ORDER BY Name DESC LIMIT 5\n"
    );
    // check: one run names every keyword to fix
    let out = kql(&["check", "--error-format", "json", lower], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out.stderr), ["P004"; 9]);
    // fmt still fails on another syntax error, after the keywords it repaired
    let out = kql(
        &["fmt", "--error-format", "json", "select a from X where"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out.stderr), ["P004", "P004", "P004", "P001"]);
}

#[test]
fn batch_translates_ndjson_lines() {
    let input = concat!(
        r#"{"id":1,"query":"SELECT Id FROM Account WHERE Name = 'O''Brien'","target":"salesforce"}"#,
        "\n\n   \n",
        r#"{"id":"two","query":"SELECT a FROM X WHERE NOT (a = 1)","target":"sugarcrm"}"#,
        "\r\n",
        r#"{"id":{"k":[1,2.50]},"query":"SELECT a FROM X WHERE NOT (a = 1)","target":"sugarcrm","extended":true}"#,
        "\n",
        "not json\n",
        r#"{"id":5,"query":"SELECT a FROM b","target":"oracle"}"#,
        "\n",
        r#"{"id":6,"target":"salesforce"}"#,
        "\n",
        r#"{"query":"SELECT name FROM account","target":"dynamics","lang":"dql"}"#,
    );
    let out = kql(&["translate", "--batch"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(
        lines[0],
        r#"{"line":1,"id":1,"target":"salesforce","soql":"SELECT Id FROM Account WHERE Name = 'O\\'Brien'","warnings":[]}"#
    );
    let v: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(v[1]["line"], 4);
    assert_eq!(v[1]["id"], "two");
    assert_eq!(v[1]["target"], "sugarcrm");
    assert_eq!(v[1]["errors"][0]["code"], "S018");
    // the id is echoed exactly as written
    assert!(lines[2]
        .starts_with(r#"{"line":5,"id":{"k":[1,2.50]},"target":"sugarcrm","module":"X","body":"#));
    assert_eq!(v[3]["line"], 6);
    assert_eq!(v[3]["id"], serde_json::Value::Null);
    assert!(v[3]["error"]
        .as_str()
        .expect("error")
        .starts_with("not a valid request"));
    assert_eq!(v[4]["id"], 5);
    assert_eq!(
        v[4]["error"],
        "unknown target `oracle` (expected salesforce, dynamics or sugarcrm)"
    );
    assert_eq!(v[5]["error"], "missing field `query`");
    assert_eq!(v[6]["entity_set"], "accounts");
    // a translated line is the `--format json` object plus `line` and `id`
    let single = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "--lang",
            "dql",
            "--format",
            "json",
            "SELECT name FROM account",
        ],
        None,
    );
    let mut expected: serde_json::Value = serde_json::from_slice(&single.stdout).expect("JSON");
    expected["line"] = 9.into();
    expected["id"] = serde_json::Value::Null;
    assert_eq!(v[6], expected);
}

#[test]
fn batch_flags_defaults_and_bad_input() {
    // --lang and --extended are the defaults of each line; --file reads the batch
    let q = r#"{"query":"SELECT * FROM account WHERE statecode IN (0, 1)","target":"dynamics"}"#;
    let p = temp_file("batch.ndjson", format!("{q}\n").as_bytes());
    let path = p.to_str().expect("path");
    let out = kql(
        &["translate", "--batch", "--lang", "dql", "--file", path],
        None,
    );
    assert!(
        text(&out.stdout).contains(r#""errors":[{"code":"S019""#),
        "{}",
        text(&out.stdout)
    );
    let out = kql(
        &[
            "translate",
            "--batch",
            "--lang",
            "dql",
            "--extended",
            "--file",
            path,
        ],
        None,
    );
    assert!(
        text(&out.stdout).contains(r#""entity_set":"accounts""#),
        "{}",
        text(&out.stdout)
    );
    // invalid UTF-8 and over-long lines give error objects and the run goes on
    let mut input =
        b"{\"query\":\"SELECT a FROM b WHERE a = '\xff'\",\"target\":\"salesforce\"}\n".to_vec();
    input.extend(
        format!(
            "{{\"query\":\"{}\",\"target\":\"salesforce\"}}\n",
            "x".repeat(70_000)
        )
        .bytes(),
    );
    input.extend(br#"{"query":"SELECT a FROM b","target":"salesforce"}"#);
    let out = kql(
        &["translate", "--batch", "--max-input-bytes", "20"],
        Some(&input),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let v: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(v.len(), 3, "{stdout}");
    assert!(v[0]["error"]
        .as_str()
        .expect("error")
        .starts_with("the line is not valid UTF-8"));
    assert_eq!(v[1]["error"], "the line is longer than 65656 bytes");
    assert_eq!(v[2]["line"], 3);
    assert_eq!(v[2]["soql"], "SELECT a FROM b");
    // --deny-warnings: exit 1 when a line warned
    let warn = br#"{"query":"SELECT name FROM widget","target":"dynamics"}"#;
    let out = kql(&["translate", "--batch", "--deny-warnings"], Some(warn));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = kql(&["translate", "--batch"], Some(warn));
    assert_eq!(out.status.code(), Some(0));
    // usage errors: a target or a query beside --batch
    for args in [
        &["translate", "--batch", "--target", "salesforce"][..],
        &["translate", "--batch", "SELECT a FROM b"][..],
        &["translate", "--batch", "--format", "json"][..],
    ] {
        let out = kql(args, Some(b""));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // an empty batch is a success with no output
    let out = kql(&["translate", "--batch"], Some(b""));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn names_unified_translates_for_every_target() {
    let q = "SELECT name, created FROM account WHERE modified >= '2024-01-01T00:00:00Z' ORDER BY name LIMIT 10";
    let out = kql(
        &["translate", "--names", "unified", "--target", "all", q],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        concat!(
            "salesforce: SELECT Name, CreatedDate FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z ORDER BY Name, Id LIMIT 10\n",
            "dynamics: accounts?$select=name,createdon&$filter=modifiedon ge 2024-01-01T00:00:00Z&$orderby=name asc,accountid asc&$top=10\n",
            r#"sugarcrm: {"filter":[{"date_modified":{"$gte":"2024-01-01T00:00:00+00:00"}}],"fields":"name,date_entered","order_by":"name:asc","max_num":10}"#,
            "\n"
        )
    );
    // `--names raw` is the default: the same text passes through unmapped
    for args in [
        &[
            "translate",
            "--target",
            "salesforce",
            "SELECT name FROM account",
        ][..],
        &[
            "translate",
            "--names",
            "raw",
            "--target",
            "salesforce",
            "SELECT name FROM account",
        ],
    ] {
        let out = kql(args, None);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "SELECT name FROM account\n");
    }
}

#[test]
fn names_unified_errors_exit_1_with_codes() {
    let out = kql(
        &[
            "check",
            "--names",
            "unified",
            "--target",
            "sugarcrm",
            "SELECT nme FROM contact",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error[U002]: `nme` is not a unified field of `contact`\n --> 1:8\n"),
        "{err}"
    );
    assert!(err.contains("= help: did you mean `name`?"), "{err}");
    // a field one target lacks: that target is rejected, the others translate
    let out = kql(
        &[
            "translate",
            "--names",
            "unified",
            "--target",
            "all",
            "--error-format",
            "json",
            "SELECT middle_name FROM contact",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "salesforce: rejected\ndynamics: contacts?$select=middlename\nsugarcrm: rejected\n"
    );
    let err = text(&out.stderr);
    assert!(err.contains(r#""code":"U003","severity":"error","message":"unified field `middle_name` of `contact` has no raw field on salesforce","span":{"start":7,"end":18},"line":1,"column":8"#), "{err}");
    // check without a target checks the names and keeps them unified
    let out = kql(
        &["check", "--names", "unified", "SELECT name FROM account"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ok: kql query on `account` accepted (documented subset)\n"
    );
    let out = kql(&["check", "--names", "both", "SELECT a FROM b"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn names_unified_applies_to_every_batch_line() {
    let input = concat!(
        r#"{"id":1,"query":"SELECT subject FROM task","target":"sugarcrm"}"#,
        "\n",
        r#"{"id":2,"query":"SELECT subject FROM task","target":"dynamics"}"#,
        "\n",
        r#"{"id":3,"query":"SELECT subject FROM tasks","target":"salesforce"}"#,
        "\n",
    );
    let out = kql(
        &["translate", "--batch", "--names", "unified"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(v[0]["module"], "Tasks");
    assert_eq!(v[0]["body"]["fields"], "name");
    assert_eq!(v[1]["entity_set"], "tasks");
    assert_eq!(v[1]["query"]["$select"], "subject");
    assert_eq!(v[2]["errors"][0]["code"], "U001");
}

const TRANSFORMS: &str = r#"{"objects": [
  {"kloudless_object_name": "account", "service_object_name": "Company__c",
   "bidirectional": {"name": "Legal_Name__c", "rating": "Profile__r.Rating__c", "odd": "v1\\.0.name"}},
  {"kloudless_object_name": "project", "service_object_name": "Project__c",
   "bidirectional": {"name": "Name", "budget": "Budget__c"}}
], "count": 2}"#;

#[test]
fn transforms_merge_into_unified_names_for_every_target() {
    let file = temp_file("transforms.json", TRANSFORMS.as_bytes());
    let f = file.to_str().unwrap();
    let out = kql(
        &[
            "translate",
            "--names",
            "unified",
            "--transforms",
            f,
            "--target",
            "salesforce",
            "SELECT name, created FROM account WHERE rating > 3",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "SELECT Legal_Name__c, CreatedDate FROM Company__c WHERE Profile__r.Rating__c > 3\n"
    );
    let out = kql(
        &[
            "translate",
            "--names",
            "unified",
            "--transforms",
            f,
            "--target",
            "all",
            "--entity-set",
            "projects",
            "--primary-key",
            "projectid",
            "SELECT name FROM project WHERE budget > 10",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        concat!(
            "salesforce: SELECT Name FROM Project__c WHERE Budget__c > 10\n",
            "dynamics: projects?$select=Name&$filter=Budget__c gt 10\n",
            r#"sugarcrm: {"filter":[{"Budget__c":{"$gt":10}}],"fields":"Name"}"#,
            "\n"
        )
    );
    // check, with and without a target
    let out = kql(
        &[
            "check",
            "--names",
            "unified",
            "--transforms",
            f,
            "SELECT name, budget FROM project",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ok: kql query on `project` accepted (documented subset)\n"
    );
    let out = kql(
        &[
            "check",
            "--names",
            "unified",
            "--transforms",
            f,
            "--target",
            "salesforce",
            "--error-format",
            "json",
            "SELECT odd FROM account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out.stderr), ["U008"]);
    // batch lines use them too
    let out = kql(
        &[
            "translate",
            "--batch",
            "--names",
            "unified",
            "--transforms",
            f,
        ],
        Some(br#"{"query": "SELECT budget FROM project", "target": "salesforce"}"#),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("SELECT Budget__c FROM Project__c"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn transforms_usage_and_document_errors_exit_2() {
    let file = temp_file("transforms-ok.json", TRANSFORMS.as_bytes());
    let f = file.to_str().unwrap();
    // without --names unified
    for names in [&[][..], &["--names", "raw"][..]] {
        let mut args = vec!["translate", "--target", "salesforce", "--transforms", f];
        args.extend_from_slice(names);
        args.push("SELECT name FROM account");
        let out = kql(&args, None);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            text(&out.stderr),
            "kql: error: --transforms maps unified names: add --names unified\n"
        );
        assert!(out.stdout.is_empty());
    }
    // an unreadable file
    let missing = std::env::temp_dir().join("kql-no-such-transforms.json");
    let out = kql(
        &[
            "check",
            "--names",
            "unified",
            "--transforms",
            missing.to_str().unwrap(),
            "SELECT name FROM account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("kql: error: cannot read "),
        "{}",
        text(&out.stderr)
    );
    // a malformed document: each U007 in the message
    let bad = temp_file(
        "transforms-bad.json",
        br#"{"kloudless_object_name": "account", "bidirectional": {"x": "A..B"}}"#,
    );
    let out = kql(
        &[
            "check",
            "--names",
            "unified",
            "--transforms",
            bad.to_str().unwrap(),
            "SELECT name FROM account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("kql: error: "), "{err}");
    assert!(err.contains(": malformed Transform document: [U007] Transform 0: `service_object_name` is missing (help: "), "{err}");
    assert!(
        err.contains("; [U007] Transform 0: raw field `A..B` of `x`: an empty level (help: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn schema_flag_checks_names_and_types() {
    let sf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schema/salesforce-account.json"
    );
    let d = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schema/dynamics.json");
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--schema",
            sf,
            "SELECT Id FROM Account WHERE IsDeleted IS NULL",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "SELECT Id FROM Account WHERE Id = null\n"
    );
    assert_eq!(text(&out.stderr), "");
    let out = kql(
        &[
            "translate",
            "--target",
            "dynamics",
            "--schema",
            d,
            "SELECT new_name FROM new_project WHERE new_customerid IS NULL",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "new_projectses?$select=new_name&$filter=_new_customerid_value eq null\n"
    );
    // unknown names and mistyped literals exit 1 with their codes
    let out = kql(
        &[
            "check",
            "--target",
            "salesforce",
            "--schema",
            sf,
            "--error-format",
            "json",
            "SELECT Nme FROM Account WHERE NumberOfEmployees = 'x'",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out.stderr), ["U022", "U023"]);
    let out = kql(
        &[
            "check",
            "--target",
            "salesforce",
            "--schema",
            sf,
            "SELECT Id FROM Acount",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did you mean `Account`?"),
        "{}",
        text(&out.stderr)
    );
    // with --batch, the schema applies to every line
    let out = kql(
        &["translate", "--batch", "--schema", sf],
        Some(
            concat!(
                r#"{"query":"SELECT Nme FROM Account","target":"salesforce"}"#,
                "\n",
                r#"{"query":"SELECT Name FROM Account WHERE IsDeleted IS NULL","target":"salesforce"}"#,
                "\n"
            )
            .as_bytes(),
        ),
    );
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["errors"][0]["code"], "U022");
    assert_eq!(lines[1]["soql"], "SELECT Name FROM Account WHERE Id = null");
    assert_eq!(lines[1]["warnings"], serde_json::json!([]));
    // `check --schema` needs a target; a malformed or missing file exits 2
    let out = kql(&["check", "--schema", sf, "SELECT Id FROM Account"], None);
    assert_eq!(out.status.code(), Some(2));
    let bad = temp_file("schema.json", b"[1]");
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--schema",
            bad.to_str().unwrap(),
            "SELECT Id FROM Account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("malformed Schema document: [U020] schema object 0: not a JSON object"),
        "{}",
        text(&out.stderr)
    );
    let out = kql(
        &[
            "translate",
            "--target",
            "salesforce",
            "--schema",
            "/nonexistent/schema.json",
            "SELECT Id FROM Account",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}
