//! Hostile inputs through the whole pipeline, on the default test-thread
//! stack: each returns an error or a result, never a crash or a hang.

use kql::{Code, Lang, Limits, Options, Target};

fn opts(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

/// Error codes of translating `src` for every target of both languages.
fn codes(src: &str, o: &Options) -> Vec<(Lang, Target, Result<(), Vec<Code>>)> {
    let mut out = Vec::new();
    for lang in Lang::ALL {
        for target in Target::ALL {
            let r = kql::translate(src, lang, target, o)
                .map(|_| ())
                .map_err(|e| e.iter().filter(|d| d.is_error()).map(|d| d.code).collect());
            out.push((lang, target, r));
        }
    }
    out
}

fn all_fail_with(src: &str, o: &Options, code: Code) {
    for (lang, target, r) in codes(src, o) {
        match r {
            Err(c) => assert!(
                c.contains(&code),
                "{lang}→{target}: expected {code}, got {c:?}"
            ),
            Ok(()) => panic!("{lang}→{target}: expected {code}, got a translation"),
        }
    }
}

fn nested(n: usize) -> String {
    format!(
        "SELECT Id FROM Account WHERE {}Name = 'x'{}",
        "(".repeat(n),
        ")".repeat(n)
    )
}

#[test]
fn a_million_nested_parentheses() {
    let q = nested(1_000_000);
    // over the default input limit: refused before parsing
    all_fail_with(&q, &Options::default(), Code::InputTooLarge);
    // with the input limit lifted, the depth limit stops it
    all_fail_with(&q, &opts(Limits::unlimited()), Code::TooDeep);
}

#[test]
fn a_million_nots() {
    let q = format!(
        "SELECT Id FROM Account WHERE {}Name = 'x'",
        "NOT ".repeat(1_000_000)
    );
    all_fail_with(&q, &Options::default(), Code::InputTooLarge);
    all_fail_with(&q, &opts(Limits::unlimited()), Code::TooDeep);
}

#[test]
fn a_million_unary_minuses_and_operator_chains() {
    let q = format!(
        "SELECT Id FROM Account WHERE a = {}b",
        "- ".repeat(1_000_000)
    );
    all_fail_with(&q, &opts(Limits::unlimited()), Code::TooDeep);
    let q = format!(
        "SELECT Id FROM Account WHERE a = 1{}",
        " + 1".repeat(1_000_000)
    );
    all_fail_with(&q, &opts(Limits::unlimited()), Code::TooDeep);
    let q = format!(
        "SELECT Id FROM Account WHERE a = 1{}",
        " AND a = 1".repeat(200_000)
    );
    // a flat AND chain is not nesting: it is bounded by the predicate limit
    all_fail_with(
        &q,
        &opts(Limits {
            max_predicates: 1_000,
            ..Limits::unlimited()
        }),
        Code::TooManyPredicates,
    );
}

#[test]
fn ten_megabytes_of_input() {
    let big = "x".repeat(10 * 1024 * 1024);
    let q = format!("SELECT Id FROM Account WHERE Name = '{big}'");
    all_fail_with(&q, &Options::default(), Code::InputTooLarge);
    // lifted input limit: the string-literal limit applies
    let o = opts(Limits {
        max_string_bytes: 100_000,
        ..Limits::unlimited()
    });
    all_fail_with(&q, &o, Code::StringTooLong);
    // 10 MB of whitespace and an unterminated string
    let q = format!("SELECT Id FROM Account WHERE Name = '{big}");
    all_fail_with(&q, &opts(Limits::unlimited()), Code::UnterminatedString);
    let q = format!("{}SELECT Id FROM Account", " ".repeat(10 * 1024 * 1024));
    all_fail_with(&q, &Options::default(), Code::InputTooLarge);
}

#[test]
fn a_hundred_thousand_in_values() {
    let values: Vec<String> = (0..100_000).map(|i| format!("'{i:018}'")).collect();
    let q = format!("SELECT Id FROM Account WHERE Id IN ({})", values.join(", "));
    all_fail_with(&q, &Options::default(), Code::InputTooLarge);
    let o = opts(Limits {
        max_in_list: 10_000,
        ..Limits::unlimited()
    });
    all_fail_with(&q, &o, Code::InListTooLong);
    // no front-end limit at all: each target translates or refuses with its own limit
    let results = codes(&q, &opts(Limits::unlimited()));
    for (lang, target, r) in results {
        match (lang, target, r) {
            (Lang::Dql, Target::Salesforce | Target::Sugarcrm, Err(c)) => {
                assert!(c.contains(&Code::LangTarget), "{c:?}")
            }
            (_, Target::Salesforce, Err(c)) => assert_eq!(c, [Code::SoqlStatementTooLong]),
            (Lang::Dql, Target::Dynamics, Err(c)) => assert_eq!(c, [Code::NotDocumented]),
            (_, Target::Dynamics, Err(c)) => assert_eq!(c, [Code::DynamicsUrlTooLong]),
            (Lang::Kql, Target::Sugarcrm, Ok(())) => {}
            (l, t, r) => panic!("{l}→{t}: unexpected {r:?}"),
        }
    }
}

#[test]
fn control_characters_never_reach_a_target_raw() {
    for c in [
        '\0', '\u{1}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}',
    ] {
        // outside a string: a syntax error
        let q = format!("SELECT Id FROM Account WHERE Name = 'x'{c}");
        for (lang, target, r) in codes(&q, &Options::default()) {
            let c2 = r.expect_err("a control character outside a string is an error");
            assert!(
                c2.contains(&Code::InvalidCharacter),
                "{lang}→{target} {c:?}: {c2:?}"
            );
        }
        // inside a string: escaped where the target can, refused otherwise — never raw
        let q = format!("SELECT Id FROM Account WHERE Name = 'a{c}b'");
        for target in Target::ALL {
            match kql::translate(&q, Lang::Kql, target, &Options::default()) {
                Ok(t) => {
                    // what is sent: the SOQL text, the encoded OData query
                    // string, the Sugar JSON body — never the raw character
                    let json = serde_json::to_value(&t).expect("serialise");
                    let sent = match target {
                        Target::Salesforce => json["soql"].as_str().unwrap_or("").to_string(),
                        Target::Dynamics => json["query_string"].as_str().unwrap_or("").to_string(),
                        Target::Sugarcrm => {
                            // a JSON string: it must decode to exactly the user's value
                            let body: serde_json::Value =
                                serde_json::from_str(&t.request.to_string()).expect("JSON body");
                            assert_eq!(body["filter"][0]["Name"]["$equals"], format!("a{c}b"));
                            String::new()
                        }
                    };
                    assert!(!sent.contains(c), "{target}: raw {c:?} in {sent:?}");
                    // JSON escapes every C0 control (DEL and C1 may stay raw: valid JSON)
                    if c < ' ' {
                        let all = serde_json::to_string(&t).expect("serialise");
                        assert!(!all.contains(c), "{target}: raw {c:?} in {all}");
                    }
                }
                Err(e) => assert!(
                    e.iter().all(|d| d.code.as_str().starts_with('B')),
                    "{target}: {e}"
                ),
            }
        }
    }
}

#[test]
fn deep_nesting_within_the_limit_translates() {
    // the deepest plain nesting the default limit accepts is the limit itself
    let max = Limits::default().max_depth;
    let mut depth = 1;
    while kql::parse(&nested(depth + 1), Lang::Kql, &Options::default()).is_ok() {
        depth += 1;
    }
    assert_eq!(depth, max, "parentheses accepted by the default limit");
    for target in Target::ALL {
        let t = kql::translate(&nested(depth), Lang::Kql, target, &Options::default());
        assert!(t.is_ok(), "{target} at depth {depth}: {:?}", t.err());
    }
}

/// 64 levels of parentheses and `NOT`, with AND/OR between them, translate
/// for every target on a thread with a 2 MiB stack (a test thread's default,
/// fixed here so the bound does not depend on the harness), in whatever
/// build the tests run.
#[test]
fn sixty_four_mixed_levels_translate_on_a_2_mib_stack() {
    let mut cond = String::from("Name = 'x'");
    for level in 0..64 {
        cond = match level % 4 {
            0 => format!("(Industry = 'a' OR {cond})"),
            1 => format!("NOT {cond}"),
            2 => format!("(Website != 'b' AND {cond})"),
            _ => format!("NOT {cond}"),
        };
    }
    let src = format!("SELECT Id FROM Account WHERE {cond}");
    let deeper = format!("SELECT Id FROM Account WHERE NOT {cond}");
    let e = kql::parse(&deeper, Lang::Kql, &Options::default()).unwrap_err();
    assert_eq!(
        e.0[0].code,
        Code::TooDeep,
        "level 65 is over the default limit"
    );
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            Target::ALL.map(|target| {
                let t = kql::translate(&src, Lang::Kql, target, &Options::default());
                (target, t.map(|_| ()).map_err(|e| e.0))
            })
        })
        .unwrap();
    for (target, r) in handle.join().expect("no stack overflow") {
        match (target, r) {
            (_, Ok(())) => {}
            // SugarCRM has no `NOT (…)` of a compound condition (grammar/subset.md)
            (Target::Sugarcrm, Err(e)) if e.iter().all(|e| e.code == Code::SugarNot) => {}
            (target, Err(e)) => panic!("{target}: {e:?}"),
        }
    }
}

#[test]
fn target_limits_are_options() {
    // the targets' limits live in the same `Limits` value and can be tightened
    let tight = Limits {
        soql_max_string_chars: 3,
        soql_max_statement_chars: 1_000,
        soql_max_offset: 10,
        dynamics_max_url_chars: 300,
        dynamics_max_conditions: 2,
        dynamics_max_expands: 1,
        sugar_max_groups: 1,
        ..Limits::default()
    };
    let o = opts(tight);
    let t = |q: &str, target: Target| -> Vec<Code> {
        match kql::translate(q, Lang::Kql, target, &o) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().filter(|d| d.is_error()).map(|d| d.code).collect(),
        }
    };
    let sf = Target::Salesforce;
    assert_eq!(
        t("SELECT Id FROM Account WHERE Name = 'abcd'", sf),
        [Code::SoqlStringTooLong]
    );
    assert_eq!(t("SELECT Id FROM Account WHERE Name = 'abc'", sf), []);
    assert_eq!(
        t("SELECT Id FROM Account OFFSET 11", sf),
        [Code::SoqlOffsetRange]
    );
    let long = format!(
        "SELECT Id FROM Account WHERE Name IN ({})",
        vec!["'a'"; 400].join(", ")
    );
    assert_eq!(t(&long, sf), [Code::SoqlStatementTooLong]);
    let dy = Target::Dynamics;
    assert_eq!(
        t(
            "SELECT name FROM account WHERE a = 1 AND b = 2 AND c = 3",
            dy
        ),
        [Code::DynamicsTooManyConditions]
    );
    assert_eq!(
        t("SELECT name, p.a, q.b FROM account", dy),
        [Code::DynamicsTooManyExpands]
    );
    let long = format!(
        "SELECT name FROM account WHERE name = '{}'",
        "x".repeat(300)
    );
    assert_eq!(t(&long, dy), [Code::DynamicsUrlTooLong]);
    let su = Target::Sugarcrm;
    assert_eq!(
        t(
            "SELECT a FROM Accounts WHERE a = 1 OR (b = 2 AND c = 3)",
            su
        ),
        [Code::SugarTooDeep]
    );
    assert_eq!(t("SELECT a FROM Accounts WHERE a = 1 OR b = 2", su), []);
    // the messages state the limit
    let e = kql::translate("SELECT Id FROM Account OFFSET 11", Lang::Kql, sf, &o).unwrap_err();
    assert!(e.0[0].message.contains("at most 10"), "{}", e.0[0].message);
}
