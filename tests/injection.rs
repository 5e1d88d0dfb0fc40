//! Injection suite: hostile literals and identifiers, per target.
//!
//! For every hostile string value, in `=`, `IN` and (where valid) `LIKE`
//! positions, the translation either is refused with a code, or
//!
//! 1. the target's literal, decoded by the target's rules (written here,
//!    independently of the backends), is exactly the input value, and
//! 2. the output with that literal cut out is identical to the output for a
//!    harmless value with its literal cut out — so the value changed nothing
//!    but its own literal.
//!
//! Hostile identifiers (a literal in the SELECT list names a property) must be
//! refused with a code, or emitted as exactly the name written.
//! When the conformance oracles are installed, every accepted output is also
//! parsed by the target's third-party grammar (tests/conformance).

use kql::{Lang, Options, Target};
use serde_json::{json, Value};

#[allow(dead_code)]
#[path = "conformance/oracles.rs"]
mod oracles;
#[allow(dead_code)]
#[path = "conformance/sugar.rs"]
mod sugar;

/// Hostile values (the text the user means, before KQL quoting).
const VALUES: &[&str] = &[
    "'",
    "''",
    "\\'",
    "\\\\'",
    "\\",
    "\\\\",
    "\\\\\\",
    "x\\",
    "'; DROP TABLE Account; --",
    "' OR '1'='1",
    "') OR (Name != '",
    "' OR Name != '",
    "\" OR \"\"=\"",
    "\\\" OR 1=1",
    "%",
    "_",
    "[",
    "]",
    "[%]",
    "[_]",
    "50%_off",
    "&",
    "#",
    "+",
    "=",
    ";",
    "?",
    "/",
    "&$filter=Name ne null",
    "#fragment",
    "a+b c",
    "%27",
    "%2527",
    "$owner",
    "$and",
    "{\"$field\":\"id\"}",
    "line1\nline2",
    "cr\rhere",
    "tab\there",
    "\u{2019}",
    "O\u{2019}Brien",
    "\u{FF07} OR 1=1",
    "\u{02BC}",
    "N\u{0430}me",
    "\u{1F600}",
    "e\u{301}",
    "\u{202E}evil",
    "\\n",
    "\\u0027",
    "*/ /*",
    "--",
    ")",
    "(",
    ",",
    "null",
    "NULL",
    "true",
    " ",
    "",
    "a'b''c'''d",
    "\\'\\'\\'",
];

/// Hostile identifiers, as KQL SELECT-list text, each with what must happen
/// to the name: refused (any code), or emitted as the exact name.
const IDENTS: &[&str] = &[
    "'Id, (SELECT Id FROM Contacts)'",
    "'Id FROM Account --'",
    "'Name) OR (1=1'",
    "'a b'",
    "'a,b'",
    "'a(b'",
    "'a)b'",
    "'a''b'",
    "'$owner'",
    "'$and'",
    "'a.b.c.d'",
    "'_x'",
    "'1a'",
    "'Name;'",
    "'Name&$top=1'",
    "'Name#'",
    "'N\u{0430}me'",
    "'\u{FF2E}ame'",
    "'Name\u{200B}'",
    "'Name\n'",
    "'SELECT'",
    "'from'",
    "select",
    "Limit",
    "N\u{0430}me",
    "'*'",
    "''",
];

/// Decodes every SOQL string literal in `s`, in order; `None` when a literal
/// is malformed (unknown escape, unclosed, raw newline).
fn soql_literals(s: &str) -> Option<Vec<(usize, usize, String)>> {
    let mut out = Vec::new();
    let b: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i].1 != '\'' {
            i += 1;
            continue;
        }
        let start = b[i].0;
        let mut v = String::new();
        i += 1;
        loop {
            let (_, c) = *b.get(i)?;
            match c {
                '\'' => break,
                '\n' => return None,
                '\\' => {
                    let (_, e) = *b.get(i + 1)?;
                    v.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        '\'' | '"' | '\\' | '%' | '_' => e,
                        _ => return None,
                    });
                    i += 1;
                }
                c => v.push(c),
            }
            i += 1;
        }
        let end = b.get(i).map_or(s.len(), |(k, _)| k + 1);
        out.push((start, end, v));
        i += 1;
    }
    Some(out)
}

/// Decodes every OData `'…'` literal (with `''`) and JSON `"…"` string in a
/// decoded option value.
fn odata_literals(s: &str) -> Option<Vec<(usize, usize, String)>> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        match c {
            '\'' => {
                let mut v = String::new();
                loop {
                    let (k, c) = it.next()?;
                    if c == '\'' {
                        if it.peek().map(|p| p.1) == Some('\'') {
                            it.next();
                            v.push('\'');
                            continue;
                        }
                        out.push((start, k + 1, v));
                        break;
                    }
                    v.push(c);
                }
            }
            '"' => {
                let mut raw = String::from("\"");
                loop {
                    let (k, c) = it.next()?;
                    raw.push(c);
                    if c == '\\' {
                        raw.push(it.next()?.1);
                        continue;
                    }
                    if c == '"' {
                        let v: String = serde_json::from_str(&raw).ok()?;
                        out.push((start, k + 1, v));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// Inverts OData's `[%]` `[_]` `[[]` wildcard escapes inside LIKE functions.
fn unbracket(s: &str) -> String {
    s.replace("[%]", "%")
        .replace("[_]", "_")
        .replace("[[]", "[")
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            // an encoded query string carries no raw space, `+`, `&` inside values, `#`
            if matches!(b[i], b' ' | b'#' | b'+') || b[i] < 0x20 {
                return None;
            }
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn kql_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// What a target did with one query.
enum Outcome {
    Refused(Vec<String>),
    /// The output with its literals cut out, and the decoded literals.
    Emitted(String, Vec<String>),
}

fn run(target: Target, query: &str, extended: bool) -> Outcome {
    let opts = Options::default().extended(extended);
    let t = match kql::translate(query, Lang::Kql, target, &opts) {
        Ok(t) => t,
        Err(e) => {
            return Outcome::Refused(
                e.iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.code.to_string())
                    .collect(),
            )
        }
    };
    let json = serde_json::to_value(&t).expect("serialises");
    match target {
        Target::Salesforce => {
            let soql = json["soql"].as_str().expect("soql").to_string();
            let lits = soql_literals(&soql)
                .unwrap_or_else(|| panic!("malformed SOQL literal in {soql:?}"));
            let mut cut = soql.clone();
            for (s, e, _) in lits.iter().rev() {
                cut.replace_range(*s..*e, "?");
            }
            Outcome::Emitted(cut, lits.into_iter().map(|l| l.2).collect())
        }
        Target::Dynamics => {
            let qs = json["query_string"].as_str().expect("query_string");
            // the bytes sent decode to exactly the decoded option values
            let mut decoded = Vec::new();
            for pair in qs.split('&') {
                let (k, v) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad pair {pair:?} in {qs}"));
                let v =
                    percent_decode(v).unwrap_or_else(|| panic!("bad percent-encoding in {qs:?}"));
                assert_eq!(json["query"][k].as_str(), Some(v.as_str()), "{k} in {qs}");
                decoded.push(format!("{k}={v}"));
            }
            let all = decoded.join("&");
            let lits = odata_literals(&all)
                .unwrap_or_else(|| panic!("malformed OData literal in {all:?}"));
            let mut cut = all.clone();
            for (s, e, _) in lits.iter().rev() {
                cut.replace_range(*s..*e, "?");
            }
            let in_like = all.contains("contains(")
                || all.contains("startswith(")
                || all.contains("endswith(");
            let vals = lits
                .into_iter()
                // `In(PropertyName='Name', …)` names the property: not a value
                .filter(|l| !all[..l.0].ends_with("PropertyName="))
                .map(|l| if in_like { unbracket(&l.2) } else { l.2 })
                .collect();
            Outcome::Emitted(cut, vals)
        }
        Target::Sugarcrm => {
            let body: serde_json::Value =
                serde_json::from_str(&t.request.to_string()).expect("JSON body");
            fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
                match v {
                    serde_json::Value::String(s) => out.push(s.clone()),
                    serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
                    // the `""` of `$is_null` / `$not_null` is a placeholder, not a value
                    serde_json::Value::Object(o) => o
                        .iter()
                        .filter(|(k, _)| *k != "$is_null" && *k != "$not_null")
                        .for_each(|(_, x)| strings(x, out)),
                    _ => {}
                }
            }
            let mut vals = Vec::new();
            strings(&body["filter"], &mut vals);
            let mut shape = body.clone();
            fn blank(v: &mut serde_json::Value) {
                match v {
                    serde_json::Value::String(s) => *s = "?".into(),
                    serde_json::Value::Array(a) => a.iter_mut().for_each(blank),
                    serde_json::Value::Object(o) => o
                        .iter_mut()
                        .filter(|(k, _)| *k != "$is_null" && *k != "$not_null")
                        .for_each(|(_, x)| blank(x)),
                    _ => {}
                }
            }
            blank(&mut shape["filter"]);
            kql::oracle::sugar_shape(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            Outcome::Emitted(shape.to_string(), vals)
        }
    }
}

/// One hostile value in one query template: refused, or exact and inert.
fn check_value(
    target: Target,
    template: &str,
    v: &str,
    expect: &[String],
    extended: bool,
    stats: &mut (usize, usize),
) {
    let q = template.replace("{v}", &kql_quote(v));
    let benign = template.replace("{v}", &kql_quote("benign"));
    match run(target, &q, extended) {
        Outcome::Refused(codes) => {
            assert!(
                !codes.is_empty(),
                "{target}: refused without an error code: {q}"
            );
            stats.1 += 1;
        }
        Outcome::Emitted(cut, vals) => {
            assert_eq!(vals, expect, "{target}: literals of {q:?}");
            if target == Target::Sugarcrm && v.is_empty() {
                // Sugar reads `''` in `$in`/`$not_in` as "or NULL"; the backend
                // compensates with `$not_null` / `$not_equals` (decisions.md):
                // a deliberate change of shape, checked in the backend's tests.
                stats.0 += 1;
                return;
            }
            match run(target, &benign, extended) {
                Outcome::Emitted(bcut, _) => {
                    assert_eq!(cut, bcut, "{target}: {q:?} changed more than its literal")
                }
                Outcome::Refused(c) => panic!("{target}: benign query refused {c:?}: {benign}"),
            }
            stats.0 += 1;
        }
    }
}

#[test]
fn hostile_literals_are_exact_or_refused() {
    for target in Target::ALL {
        let mut stats = (0, 0);
        let mut cases = 0;
        for v in VALUES {
            let s = v.to_string();
            check_value(
                target,
                "SELECT Id FROM Account WHERE Name = {v}",
                v,
                std::slice::from_ref(&s),
                false,
                &mut stats,
            );
            check_value(
                target,
                "SELECT Id FROM Account WHERE Name IN ({v}, 'x')",
                v,
                &[s.clone(), "x".into()],
                false,
                &mut stats,
            );
            check_value(
                target,
                "SELECT Id FROM Account WHERE Name != {v} OR Name IS NULL",
                v,
                std::slice::from_ref(&s),
                false,
                &mut stats,
            );
            cases += 3;
            // LIKE: only text without KQL wildcards is a valid keyword
            if !v.contains('%') && !v.contains('_') && !v.is_empty() {
                let kw = |form: &str| form.replace("kw", &v.replace('\'', "''"));
                for form in ["'%kw%'", "'kw%'", "'%kw'"] {
                    let q = format!("SELECT Id FROM Account WHERE Name LIKE {}", kw(form));
                    let benign = format!(
                        "SELECT Id FROM Account WHERE Name LIKE {}",
                        form.replace("kw", "benign")
                    );
                    let expect_like = |lits: &[String]| -> bool {
                        // SOQL keeps the wildcards in the literal; OData and Sugar pass the bare keyword
                        let want = match target {
                            Target::Salesforce => form.trim_matches('\'').replace("kw", v),
                            _ => s.clone(),
                        };
                        lits == [want]
                    };
                    match run(target, &q, false) {
                        Outcome::Refused(codes) => {
                            assert!(!codes.is_empty());
                            stats.1 += 1;
                        }
                        Outcome::Emitted(cut, lits) => {
                            assert!(
                                expect_like(&lits),
                                "{target}: LIKE literals {lits:?} of {q:?}"
                            );
                            let Outcome::Emitted(bcut, _) = run(target, &benign, false) else {
                                panic!("benign LIKE refused")
                            };
                            assert_eq!(cut, bcut, "{target}: {q:?} changed more than its literal");
                            stats.0 += 1;
                        }
                    }
                    cases += 1;
                }
            }
        }
        eprintln!(
            "injection {target}: {cases} hostile literal cases, {} exact, {} refused with a code",
            stats.0, stats.1
        );
        assert!(cases >= 60, "{target}: only {cases} cases");
        assert!(stats.0 >= 60, "{target}: only {} cases emitted", stats.0);
    }
}

#[test]
fn hostile_identifiers_are_refused_or_exact() {
    for target in Target::ALL {
        let (mut refused, mut exact) = (0, 0);
        for ident in IDENTS {
            let q = format!("SELECT {ident} FROM Account");
            match kql::translate(&q, Lang::Kql, target, &Options::default()) {
                Err(e) => {
                    assert!(e.has_errors(), "{target}: {q}");
                    refused += 1;
                }
                Ok(t) => {
                    // the emitted name is exactly the name written, and a plain identifier
                    let name = ident.trim_matches('\'').replace("''", "'");
                    let json = serde_json::to_value(&t).expect("serialises");
                    let selected = match target {
                        Target::Salesforce => json["soql"]
                            .as_str()
                            .and_then(|s| s.strip_prefix("SELECT "))
                            .and_then(|s| s.strip_suffix(" FROM Account"))
                            .map(str::to_owned),
                        Target::Dynamics => json["query"]["$select"].as_str().map(str::to_owned),
                        Target::Sugarcrm => json["body"]["fields"].as_str().map(str::to_owned),
                    };
                    assert_eq!(
                        selected.as_deref(),
                        Some(name.as_str()),
                        "{target}: {q} → {json}"
                    );
                    assert!(
                        name.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
                        "{target}: emitted a name outside the identifier grammar: {name:?}"
                    );
                    exact += 1;
                }
            }
        }
        eprintln!("injection {target}: {} hostile identifiers, {exact} emitted exactly, {refused} refused", IDENTS.len());
        assert!(refused >= IDENTS.len() / 2, "{target}: too few refusals");
    }
}

#[test]
fn decoders_reject_malformed_literals() {
    assert_eq!(
        soql_literals("WHERE a = 'x\\'y'").map(|v| v[0].2.clone()),
        Some("x'y".into())
    );
    assert!(soql_literals("WHERE a = 'x\\qy'").is_none());
    assert!(soql_literals("WHERE a = 'x").is_none());
    assert_eq!(
        odata_literals("a eq 'O''B'").map(|v| v[0].2.clone()),
        Some("O'B".into())
    );
    assert!(
        odata_literals("a eq 'O'B").is_none()
            || odata_literals("a eq 'O'B").map(|v| v.len()) == Some(1)
    );
    assert_eq!(percent_decode("a%20b%2B"), Some("a b+".into()));
    assert_eq!(percent_decode("a b"), None);
}

/// Every hostile query of this suite.
fn hostile_queries() -> Vec<String> {
    let mut qs = Vec::new();
    for v in VALUES {
        let lit = kql_quote(v);
        qs.push(format!("SELECT Id FROM Account WHERE Name = {lit}"));
        qs.push(format!("SELECT Id FROM Account WHERE Name IN ({lit}, 'x')"));
        qs.push(format!(
            "SELECT Id FROM Account WHERE Name != {lit} OR Name IS NULL"
        ));
        if !v.contains('%') && !v.contains('_') && !v.is_empty() {
            let kw = v.replace('\'', "''");
            for form in ["'%kw%'", "'kw%'", "'%kw'"] {
                qs.push(format!(
                    "SELECT Id FROM Account WHERE NOT (Name LIKE {})",
                    form.replace("kw", &kw)
                ));
            }
        }
    }
    for ident in IDENTS {
        qs.push(format!("SELECT {ident} FROM Account"));
    }
    qs
}

/// The third-party grammars of the conformance tests accept every output:
/// Salesforce's own SOQL grammar, odata-query's `$filter`/`$orderby`/`$select`
/// parser, and the SugarCRM request-shape validator.
#[test]
fn outputs_pass_the_targets_third_party_grammars() {
    let mut soql = Vec::new();
    let mut odata = Vec::new();
    let mut sugar_checked = 0;
    for q in hostile_queries() {
        for target in Target::ALL {
            let Ok(t) = kql::translate(&q, Lang::Kql, target, &Options::default().extended(true))
            else {
                continue;
            };
            let out = serde_json::to_value(&t).expect("serialises");
            match target {
                Target::Salesforce => soql.push(json!({"id": soql.len(), "q": out["soql"]})),
                Target::Dynamics => {
                    let mut r = json!({"id": odata.len()});
                    for (k, name) in [
                        ("$filter", "filter"),
                        ("$orderby", "orderby"),
                        ("$select", "select"),
                        ("$top", "top"),
                    ] {
                        if let Some(v) = out["query"].get(k) {
                            r[name] = v.clone();
                        }
                    }
                    odata.push(r);
                }
                Target::Sugarcrm => {
                    let body: Value =
                        serde_json::from_str(&t.request.to_string()).expect("JSON body");
                    sugar::validate_body(&body, None)
                        .unwrap_or_else(|e| panic!("{q}: {e}: {body}"));
                    sugar_checked += 1;
                }
            }
        }
    }
    assert!(sugar_checked >= 60);
    let Some(or) = oracles::find() else {
        // not in CI and the oracles are not installed: reported loudly by `find`
        return;
    };
    let dir = oracles::scratch("injection");
    let verdicts = or.soql_syntax(&soql, &dir);
    for r in &soql {
        let v = &verdicts[&r["id"].as_u64().expect("id")];
        assert_eq!(
            v["ok"],
            json!(true),
            "Salesforce's grammar rejects {}: {}",
            r["q"],
            v["error"]
        );
    }
    let verdicts = or.odata_a(None, &odata, &dir);
    for r in &odata {
        let v = &verdicts[&r["id"].as_u64().expect("id")];
        assert_eq!(
            v["ok"],
            json!(true),
            "odata-query rejects {r}: {}",
            v["error"]
        );
    }
    eprintln!(
        "injection: {} SOQL statements and {} OData requests accepted by the third-party grammars, {sugar_checked} Sugar bodies by the shape validator",
        soql.len(),
        odata.len()
    );
    assert!(soql.len() >= 60 && odata.len() >= 60);
}
