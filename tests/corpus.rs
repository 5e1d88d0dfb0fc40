//! Corpus tests: one query per file under `tests/corpus/` (conventions in
//! `tests/corpus/README.md`).
//!
//! * `kql/*.kql`, `dql/*.dql` must be accepted. Each snapshot holds the
//!   syntax tree (as JSON, spans included), the canonical text and the
//!   rendered warnings; the canonical text must re-parse to the same tree and
//!   print identically.
//! * `reject/*.kql`, `reject/*.dql` must be rejected. Each snapshot holds the
//!   rendered diagnostics (`Errors::render`).
//! * `every_front_end_code_is_exercised` checks that every `P…`, `S…` and `L…`
//!   code is produced by some corpus file or by one of the listed
//!   programmatic cases (limits that need big inputs).
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test corpus` (or
//! `cargo insta review`), then read the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kql::{check, parse, Code, Error, Errors, Lang, Limits, Options, Severity, Target};
use serde_json::json;

/// How a corpus file is checked, derived from its name.
#[derive(Debug)]
struct Case {
    lang: Lang,
    target: Option<Target>,
    options: Options,
}

/// `ext_…` → extended mode; `…__salesforce.kql` (etc.) → that target; the
/// extension gives the language.
fn case_for(path: &Path) -> Case {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name");
    let (stem, ext) = name.rsplit_once('.').expect("file name with an extension");
    let lang = match ext {
        "kql" => Lang::Kql,
        "dql" => Lang::Dql,
        other => panic!("{name}: unknown extension `.{other}` (expected .kql or .dql)"),
    };
    let target = Target::ALL
        .into_iter()
        .find(|t| stem.ends_with(&format!("__{}", t.name())));
    assert!(
        target.is_some() || !stem.contains("__"),
        "{name}: `__` is reserved for a target suffix (__salesforce, __dynamics, __sugarcrm)"
    );
    let options = Options::default().extended(stem.starts_with("ext_"));
    Case {
        lang,
        target,
        options,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every diagnostic points inside `src`, on character boundaries.
fn assert_spans_in_bounds(path: &Path, src: &str, diags: &[Error]) {
    for d in diags {
        let (s, e) = (d.span.start, d.span.end);
        assert!(
            s <= e && e <= src.len() && src.is_char_boundary(s) && src.is_char_boundary(e),
            "{}: {} span {s}..{e} is outside the input or splits a character (len {})",
            path.display(),
            d.code,
            src.len()
        );
        assert_eq!(
            d.severity,
            d.code.severity(),
            "{}: {} has the wrong severity",
            path.display(),
            d.code
        );
    }
}

/// A rendered diagnostic as a list of lines, so JSON snapshots stay readable.
fn lines(rendered: &str) -> Vec<&str> {
    rendered.lines().collect()
}

fn accepted(path: &Path) {
    let src = read(path);
    let case = case_for(path);
    let ir = check(&src, case.lang, case.target, &case.options).unwrap_or_else(|e| {
        panic!(
            "{} should be accepted ({case:?}) but was rejected:\n{}",
            path.display(),
            e.render(&src)
        )
    });
    assert_spans_in_bounds(path, &src, &ir.warnings);
    assert!(ir.warnings.iter().all(|w| w.severity == Severity::Warning));

    let ast = parse(&src, case.lang, &case.options).expect("check succeeded, so parse does");
    let canonical = ast.to_string();
    let reparsed = parse(&canonical, case.lang, &case.options).unwrap_or_else(|e| {
        panic!(
            "{}: canonical text does not parse:\n{}",
            path.display(),
            e.render(&canonical)
        )
    });
    assert_eq!(
        reparsed,
        ast,
        "{}: canonical text parses to a different tree",
        path.display()
    );
    assert_eq!(
        reparsed.to_string(),
        canonical,
        "{}: printing is not idempotent",
        path.display()
    );
    // The canonical form is accepted too, with the same warnings.
    let ir2 = check(&canonical, case.lang, case.target, &case.options).unwrap_or_else(|e| {
        panic!(
            "{}: canonical text is rejected:\n{}",
            path.display(),
            e.render(&canonical)
        )
    });
    let codes = |ws: &[Error]| ws.iter().map(|w| w.code).collect::<Vec<_>>();
    assert_eq!(
        codes(&ir2.warnings),
        codes(&ir.warnings),
        "{}: canonical text warns differently",
        path.display()
    );

    let rendered: Vec<String> = ir.warnings.iter().map(|w| w.render(&src)).collect();
    let warnings: Vec<Vec<&str>> = rendered.iter().map(|r| lines(r)).collect();
    insta::assert_json_snapshot!(json!({
        "ast": ast,
        "canonical": canonical,
        "warnings": warnings,
    }));
}

fn rejected(path: &Path) {
    let src = read(path);
    let case = case_for(path);
    let errors = match check(&src, case.lang, case.target, &case.options) {
        Ok(q) => panic!(
            "{} should be rejected ({case:?}) but was accepted: {q:?}",
            path.display()
        ),
        Err(e) => e,
    };
    assert!(
        errors.has_errors(),
        "{}: Err without an error-severity diagnostic",
        path.display()
    );
    assert_spans_in_bounds(path, &src, &errors.0);
    insta::assert_snapshot!(errors.render(&src));
}

#[test]
fn kql_corpus_is_accepted() {
    insta::glob!("corpus/kql/*.kql", accepted);
}

#[test]
fn dql_corpus_is_accepted() {
    insta::glob!("corpus/dql/*.dql", accepted);
}

#[test]
fn reject_corpus_is_rejected() {
    insta::glob!("corpus/reject/*.{kql,dql}", rejected);
}

fn corpus_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(sub)
}

fn files(sub: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus_dir(sub))
        .unwrap_or_else(|e| panic!("tests/corpus/{sub}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("kql" | "dql")))
        .collect();
    out.sort();
    out
}

#[test]
fn corpus_layout() {
    let (kql, dql, reject) = (files("kql"), files("dql"), files("reject"));
    assert!(
        kql.iter()
            .all(|p| p.extension().is_some_and(|x| x == "kql")),
        "only .kql files in kql/"
    );
    assert!(
        dql.iter()
            .all(|p| p.extension().is_some_and(|x| x == "dql")),
        "only .dql files in dql/"
    );
    assert!(
        kql.len() + dql.len() >= 60,
        "accepted corpus has {} files",
        kql.len() + dql.len()
    );
    assert!(
        reject.len() >= 60,
        "rejected corpus has {} files",
        reject.len()
    );
    // Every file name parses as a case (extension, target suffix).
    for p in kql.iter().chain(&dql).chain(&reject) {
        let _ = case_for(p);
    }
}

/// The five example queries of the spec, verbatim.
#[test]
fn spec_examples_are_in_the_corpus() {
    let examples = [
        ("dql", "SELECT accountid, name, numberofemployees FROM account WHERE name LIKE '%kloud%' ORDER BY name ASC"),
        ("dql", "SELECT leadid, fullname, emailaddress1, statuscode FROM lead WHERE fullname LIKE '%kloud%' AND emailaddress1 != '' ORDER BY fullname ASC"),
        ("dql", "SELECT opportunityid, name, stepname, parentaccountid.accountid FROM opportunity WHERE name LIKE '%kloud%' ORDER BY name ASC"),
        ("kql", "SELECT id, name, website FROM Accounts WHERE name LIKE 'Jim%' ORDER BY name DESC LIMIT 100 OFFSET 200"),
        ("kql", "SELECT id, name, email, status FROM Leads WHERE name LIKE '%kloudless%' AND email != '' ORDER BY name ASC"),
    ];
    for (dir, q) in examples {
        assert!(
            files(dir).iter().any(|p| read(p) == q),
            "spec example missing from tests/corpus/{dir}/: {q}"
        );
        // The canonical printer reproduces them exactly.
        let lang: Lang = dir.parse().unwrap();
        assert_eq!(parse(q, lang, &Options::default()).unwrap().to_string(), q);
    }
}

/// Diagnostics of inputs too big for a corpus file: the `L…` limits that
/// need large inputs, each once with small custom limits and once with the
/// default limits and a generated input.
fn programmatic_cases() -> Vec<(&'static str, String, Result<(), Errors>)> {
    fn run(src: &str, limits: Limits) -> Result<(), Errors> {
        let options = Options {
            limits,
            ..Options::default()
        };
        check(src, Lang::Kql, None, &options).map(|_| ())
    }
    let small = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        l
    };
    let mut cases = Vec::new();

    // L002: input size.
    let src = "SELECT Id FROM Account WHERE Name = 'Acme'".to_string();
    cases.push((
        "L002 small limit",
        src.clone(),
        run(&src, small(|l| l.max_input_bytes = 20)),
    ));
    let src = format!(
        "SELECT Id FROM Account WHERE Name = '{}'",
        "x".repeat(100_000)
    );
    cases.push((
        "L002 default limit",
        src.clone(),
        run(&src, Limits::default()),
    ));

    // L003: predicates.
    let src =
        "SELECT Id FROM Account WHERE Name = 'a' OR Name LIKE 'b%' OR Website IS NULL".to_string();
    cases.push((
        "L003 small limit",
        src.clone(),
        run(&src, small(|l| l.max_predicates = 2)),
    ));
    let preds = (0..1001)
        .map(|k| format!("Name = 'n{k}'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let src = format!("SELECT Id FROM Account WHERE {preds}");
    cases.push((
        "L003 default limit",
        src.clone(),
        run(&src, Limits::default()),
    ));

    // L004: IN list length.
    let src = "SELECT Id FROM Account WHERE Industry IN ('a', 'b', 'c')".to_string();
    cases.push((
        "L004 small limit",
        src.clone(),
        run(&src, small(|l| l.max_in_list = 2)),
    ));
    let values = (0..10_001)
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let src = format!("SELECT Id FROM Account WHERE NumberOfEmployees IN ({values})");
    cases.push((
        "L004 default limit",
        src.clone(),
        run(&src, Limits::default()),
    ));

    // L005: string length, as a value and as a LIKE pattern.
    let src = "SELECT Id FROM Account WHERE Name = 'Acme'".to_string();
    cases.push((
        "L005 small limit",
        src.clone(),
        run(&src, small(|l| l.max_string_bytes = 3)),
    ));
    let src = "SELECT Id FROM Account WHERE Name LIKE '%Acme%'".to_string();
    cases.push((
        "L005 small limit, LIKE",
        src.clone(),
        run(&src, small(|l| l.max_string_bytes = 5)),
    ));
    let src = format!(
        "SELECT Id FROM Account WHERE Name = '{}'",
        "x".repeat(100_001)
    );
    let limits = Limits {
        max_input_bytes: usize::MAX,
        ..Limits::default()
    };
    cases.push(("L005 default string limit", src.clone(), run(&src, limits)));

    // L001 with a custom depth limit.
    let src = "SELECT Id FROM Account WHERE ((Name = 'Acme'))".to_string();
    cases.push((
        "L001 small limit",
        src.clone(),
        run(&src, small(|l| l.max_depth = 1)),
    ));
    cases
}

#[test]
fn limits_produce_l_codes() {
    let expect = [
        (
            "L002 small limit",
            Code::InputTooLarge,
            "query is 42 bytes, over the limit of 20 bytes",
        ),
        (
            "L002 default limit",
            Code::InputTooLarge,
            "query is 100038 bytes, over the limit of 100000 bytes",
        ),
        (
            "L003 small limit",
            Code::TooManyPredicates,
            "the WHERE clause has 3 predicates, over the limit of 2",
        ),
        (
            "L003 default limit",
            Code::TooManyPredicates,
            "the WHERE clause has 1001 predicates, over the limit of 1000",
        ),
        (
            "L004 small limit",
            Code::InListTooLong,
            "the `IN` list has 3 values, over the limit of 2",
        ),
        (
            "L004 default limit",
            Code::InListTooLong,
            "the `IN` list has 10001 values, over the limit of 10000",
        ),
        (
            "L005 small limit",
            Code::StringTooLong,
            "string literal is 4 bytes, over the limit of 3",
        ),
        (
            "L005 small limit, LIKE",
            Code::StringTooLong,
            "string literal is 6 bytes, over the limit of 5",
        ),
        (
            "L005 default string limit",
            Code::StringTooLong,
            "string literal is 100001 bytes, over the limit of 100000",
        ),
        (
            "L001 small limit",
            Code::TooDeep,
            "more than 1 level of nesting: this `(` is level 2",
        ),
    ];
    let cases = programmatic_cases();
    assert_eq!(cases.len(), expect.len());
    for ((name, src, result), (want_name, code, message)) in cases.iter().zip(expect) {
        assert_eq!(*name, want_name);
        let errors = result.as_ref().expect_err(name);
        assert_spans_in_bounds(Path::new(name), src, &errors.0);
        assert_eq!(errors.0.len(), 1, "{name}: {errors}");
        assert_eq!(errors.0[0].code, code, "{name}: {errors}");
        assert_eq!(errors.0[0].message, message, "{name}");
    }
    // The rendering of the small cases, exactly.
    let (_, src, result) = &cases[0];
    assert_eq!(
        result.as_ref().unwrap_err().render(src),
        "error[L002]: query is 42 bytes, over the limit of 20 bytes\n --> 1:21\n  |\n1 | SELECT Id FROM Account WHERE Name = 'Acme'\n  |                     ^^^^^^^^^^^^^^^^^^^^^^\n  = help: shorten the query or raise `Limits::max_input_bytes`\n"
    );
    let (_, src, result) = &cases[4];
    assert_eq!(
        result.as_ref().unwrap_err().render(src),
        "error[L004]: the `IN` list has 3 values, over the limit of 2\n --> 1:30\n  |\n1 | SELECT Id FROM Account WHERE Industry IN ('a', 'b', 'c')\n  |                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    );
}

/// The input-size limit cuts at a byte offset; the span must still start on
/// a character boundary.
#[test]
fn input_limit_span_respects_char_boundaries() {
    let src = "SELECT Id FROM Account WHERE Name = 'Zürich'";
    for max in 0..src.len() {
        let options = Options {
            limits: Limits {
                max_input_bytes: max,
                ..Limits::default()
            },
            ..Options::default()
        };
        let e = check(src, Lang::Kql, None, &options).unwrap_err();
        assert_eq!(e.0[0].code, Code::InputTooLarge);
        assert_spans_in_bounds(Path::new("input limit"), src, &e.0);
        let _ = e.render(src);
    }
}

#[test]
fn every_front_end_code_is_exercised() {
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    for p in files("kql").iter().chain(&files("dql")) {
        let src = read(p);
        let case = case_for(p);
        if let Ok(q) = check(&src, case.lang, case.target, &case.options) {
            seen.extend(q.warnings.iter().map(|w| w.code.as_str()));
        }
    }
    for p in files("reject") {
        let src = read(&p);
        let case = case_for(&p);
        if let Err(e) = check(&src, case.lang, case.target, &case.options) {
            seen.extend(e.iter().map(|d| d.code.as_str()));
        }
    }
    for (_, _, result) in programmatic_cases() {
        if let Err(e) = result {
            seen.extend(e.iter().map(|d| d.code.as_str()));
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| c.starts_with(['P', 'S', 'L']))
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes never produced by the corpus or the programmatic cases: {missing:?}"
    );
}

/// Every rejected file's name starts with the (lower-case) code of one of its
/// errors, or with `multi_` (then it reports at least two errors) or `ext_`
/// (extended mode), so a file keeps testing what its name says.
#[test]
fn reject_file_names_match_their_codes() {
    for p in files("reject") {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let src = read(&p);
        let case = case_for(&p);
        let e = check(&src, case.lang, case.target, &case.options).unwrap_err();
        let codes: Vec<String> = e
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_ascii_lowercase())
            .collect();
        if name.starts_with("multi_") {
            assert!(
                codes.len() >= 2,
                "{name}: a multi_ file should report several errors, got {codes:?}"
            );
            continue;
        }
        if name.starts_with("ext_") {
            continue;
        }
        let prefix = &name[..4];
        assert!(
            codes.iter().any(|c| c == prefix),
            "{name}: expected a {prefix} error, got {codes:?}"
        );
    }
}

/// Every `corpus__…` snapshot belongs to an existing corpus file (a renamed
/// or deleted file must take its snapshot with it).
#[test]
fn no_stale_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/snapshots") {
        let name = entry
            .expect("directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(rest) = name.strip_prefix("corpus__") else {
            continue;
        };
        let Some(rest) = rest.strip_suffix(".snap") else {
            continue;
        };
        let exists = match rest.split_once('@') {
            Some(("accepted", file)) if file.ends_with(".kql") => {
                corpus_dir("kql").join(file).is_file()
            }
            Some(("accepted", file)) => corpus_dir("dql").join(file).is_file(),
            Some(("rejected", file)) => corpus_dir("reject").join(file).is_file(),
            _ => false,
        };
        if !exists {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots without a corpus file: {stale:?}"
    );
}

/// A known-poor diagnostic: the first diagnostic of `src` as it is today.
struct BadMessage {
    src: &'static str,
    lang: Lang,
    target: Option<Target>,
    extended: bool,
    code: &'static str,
    message: &'static str,
    /// What is poor about it.
    why: &'static str,
}

/// Known-poor diagnostics, pinned as they are today so that an improvement
/// shows up here (then update or delete the entry).
#[test]
fn bad_messages() {
    let cases = [
        BadMessage {
            src: "SELECT distinct Id FROM Account",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "S101",
            message: "alias `Id` is ignored",
            why: "accepted: selects a property `distinct` aliased `Id`; the user meant `DISTINCT`",
        },
        BadMessage {
            src: "SELECT Id FROM Contact WHERE LastName = 'O'Brien'",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "P007",
            message: "expected an operator, `AND`, `OR`, `ORDER BY`, `LIMIT` or end of query, found `Brien`",
            why: "no hint to double the quote (`'O''Brien'`)",
        },
        BadMessage {
            src: "SELECT 1, TRUE FROM Account",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "S105",
            message: "the literal is treated as the property name `1`",
            why: "the help says `write the property name without quotes` for an unquoted literal",
        },
        BadMessage {
            src: "SELECT Amount + 1 FROM Opportunity",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "S002",
            message: "arithmetic is not supported",
            why: "the help (`compare a property with a literal`) is about WHERE, not the SELECT list",
        },
        BadMessage {
            src: "SELECT Id FROM Account ORDER BY (Name = 'Acme')",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "S016",
            message: "expected a property name to sort by, found a condition",
            why: "code S016 is documented for predicates; S024 (`ORDER BY` needs a property name) fits better",
        },
        BadMessage {
            src: "SELECT id FROM Accounts WHERE NOT name = 'Acme'",
            lang: Lang::Kql,
            target: Some(Target::Sugarcrm),
            extended: false,
            code: "S018",
            message: "sugarcrm does not support `NOT (…)`",
            why: "the query has no parentheses; the help could suggest `name != 'Acme'`",
        },
        BadMessage {
            src: "SELECT accountid FROM account LIMIT 10",
            lang: Lang::Dql,
            target: None,
            extended: false,
            code: "S019",
            message: "`LIMIT` is not part of documented DQL",
            why: "the caret points at `10`, not at `LIMIT`",
        },
        BadMessage {
            src: "SELECT Id, Owner. Name FROM Account",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "P001",
            message: "expected a name after `.`, found character U+0020",
            why: "`a space` would read better than `character U+0020`",
        },
        BadMessage {
            src: "SELECT Id FROM Contact WHERE NULL = Email",
            lang: Lang::Kql,
            target: None,
            extended: true,
            code: "S012",
            message: "`= NULL` is never true",
            why: "in extended mode the operands are swapped first, so the message quotes `= NULL` for `NULL =`",
        },
        BadMessage {
            src: "SELECT Id FROM Account WHERE AnnualRevenue > 2.5E-1000",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "S026",
            message: "number cannot be written exactly in plain decimal notation",
            why: "the help says the exponent is too large; here it is too small",
        },
        BadMessage {
            src: "SELECT accountid FROM account",
            lang: Lang::Dql,
            target: Some(Target::Salesforce),
            extended: false,
            code: "S014",
            message: "dql is not supported by salesforce",
            why: "the language is written `dql` (lower case) while the help says `DQL`",
        },
        BadMessage {
            src: "SELECT Id FROM Account\u{a0}WHERE Name = 'Acme'",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "P007",
            message: "expected `WHERE`, `ORDER BY`, `LIMIT` or end of query, found character U+00A0",
            why: "a no-break space is an invisible character (P003) rather than trailing input",
        },
        BadMessage {
            src: "SELECT Id\u{7} FROM Account",
            lang: Lang::Kql,
            target: None,
            extended: false,
            code: "P003",
            message: "unexpected character U+0007",
            why: "the source line shows every control character as `␀` (the symbol for NUL)",
        },
    ];
    for c in &cases {
        let options = Options::default().extended(c.extended);
        let diags = match check(c.src, c.lang, c.target, &options) {
            Ok(q) => q.warnings,
            Err(e) => e.0,
        };
        let first = diags
            .first()
            .unwrap_or_else(|| panic!("{:?}: no diagnostic", c.src));
        assert_eq!(
            (first.code.as_str(), first.message.as_ref()),
            (c.code, c.message),
            "{:?} changed (it was poor because {}); update or delete this entry",
            c.src,
            c.why
        );
    }
}
