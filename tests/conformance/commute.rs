//! Commutation of `kql::unify` with translation (issue 13 part 5): for a
//! generated query written with **unified** names, the rows a row oracle
//! returns for the translated raw request, mapped back with `kql::unify`,
//! are the rows `kql::eval` returns for the unified query over the unified
//! fixture (the raw fixture, unified).
//!
//! The unified fixture has one column per raw fixture column that a unified
//! `account` field maps to (its kind, nullability and sortability kept), so
//! the generator (`gen.rs`) draws unified queries from it exactly as it
//! draws raw ones from the raw fixture. Row oracles: salesforce
//! `soql_eval.rs` (both NULL models), dynamics `odata_nav.py` (after the
//! client paging plan), sugarcrm the stand-in of `sugar.rs` (after the
//! client's paging). The comparison is `compare_rows` of the raw harness.

use std::collections::HashMap;
use std::io::Write as _;

use kql::{Lang, Names, Options, Target, UnifyOptions};
use serde_json::{json, Map, Value};

use crate::fixtures::{Column, Fixture};
use crate::gen::Gen;

/// Generated unified queries per target and run.
pub const PER_TARGET: usize = 1_200;

/// The raw fixture unified: columns renamed to the unified fields that map
/// to them, rows `kql::unify` of the raw rows (less `type` and `api`).
pub fn unified_fixture(fx: &Fixture) -> Fixture {
    let pairs = kql::unify::field_map("account", fx.target).expect("account is unified");
    let columns: Vec<Column> = fx
        .columns
        .iter()
        .filter_map(|c| {
            let (u, _) = pairs.iter().find(|(_, r)| *r == c.name)?;
            Some(Column {
                name: u,
                ..c.clone()
            })
        })
        .collect();
    assert_eq!(columns[0].name, "id", "the key maps to `id`");
    let rows = unify_rows(
        fx.target,
        fx.rows.iter().cloned().map(Value::Object).collect(),
    );
    Fixture {
        target: fx.target,
        object: "account",
        columns,
        rows,
    }
}

/// Raw rows to unified rows (the unified fields only).
fn unify_rows(target: Target, rows: Vec<Value>) -> Vec<Map<String, Value>> {
    let out = kql::unify(
        &Value::Array(rows),
        target,
        "account",
        &UnifyOptions { raw: false },
    )
    .expect("unify the rows");
    out["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let mut o = o.as_object().expect("an object").clone();
            o.remove("type");
            o.remove("api");
            o
        })
        .collect()
}

/// One oracle's raw rows for a request: its name, the rows or its error.
type OracleRows = (&'static str, Result<Vec<Value>, String>);

struct Case {
    text: String,
    lang: Lang,
    options: Options,
    out: Value,
}

/// Runs the commutation check for `target` (dynamics: skipped loudly when
/// its oracle is missing, as the raw conformance test is).
pub fn run(target: Target) {
    let fx = match target {
        Target::Salesforce => crate::fixtures::salesforce(),
        Target::Dynamics => crate::fixtures::dynamics(),
        Target::Sugarcrm => crate::fixtures::sugarcrm(),
    };
    let ufx = unified_fixture(&fx);
    // the unified fixture is the raw one read through the mapping
    assert_eq!(ufx.rows.len(), fx.rows.len());
    assert!(ufx.columns.len() >= 5, "{target}: too few mapped columns");

    let profiles = crate::profiles(target);
    let per = PER_TARGET / profiles.len();
    let mut cases = Vec::new();
    let mut rejected: HashMap<String, usize> = HashMap::new();
    let mut failures: Vec<String> = Vec::new();
    for (pi, p) in profiles.iter().enumerate() {
        for i in 0..per {
            let seed = (0xC0 << 48) | ((target as u64) << 40) | ((pi as u64) << 24) | i as u64;
            let text = Gen::new(&ufx, *p, seed).query();
            let mut options = Options::default().extended(p.extended);
            options.names = Names::Unified;
            match kql::translate(&text, p.lang, target, &options) {
                Ok(t) => cases.push(Case {
                    text,
                    lang: p.lang,
                    options,
                    out: serde_json::to_value(&t).expect("translation serialises"),
                }),
                Err(errs) => {
                    let codes: Vec<&str> = errs
                        .iter()
                        .filter(|e| e.severity == kql::Severity::Error)
                        .map(|e| e.code.as_str())
                        .collect();
                    if !codes.is_empty() && codes.iter().all(|c| c.starts_with('B')) {
                        for c in codes {
                            *rejected.entry(c.to_string()).or_default() += 1;
                        }
                    } else {
                        failures.push(format!(
                            "FRONT-END REJECTION of a unified query ({codes:?}): {text}\n{}",
                            errs.render(&text)
                        ));
                    }
                }
            }
        }
    }

    // the raw rows of each request, by the target's row oracle(s)
    let raw_rows: Vec<Vec<OracleRows>> = match target {
        Target::Salesforce => {
            let table = crate::soql_table(&fx);
            cases
                .iter()
                .map(|c| {
                    let soql = c.out["soql"].as_str().unwrap_or_default();
                    vec![
                        (
                            "soql_eval sql3vl",
                            crate::soql_eval::execute(
                                soql,
                                &table,
                                crate::soql_eval::NullModel::Sql3vl,
                            ),
                        ),
                        (
                            "soql_eval null_as_value",
                            crate::soql_eval::execute(
                                soql,
                                &table,
                                crate::soql_eval::NullModel::NullAsValue,
                            ),
                        ),
                    ]
                })
                .collect()
        }
        Target::Dynamics => {
            let Some(or) = crate::oracles::find() else {
                let _ = writeln!(
                    std::io::stdout(),
                    "commutation[dynamics]: SKIPPED (oracles missing: run `bash .ci/oracles.sh`)"
                );
                return;
            };
            let dir = crate::oracles::scratch("commute-dynamics");
            let fixture = crate::write_fixture(&dir, "accounts.json", &fx.odata_json("accounts"));
            let reqs: Vec<Value> = cases
                .iter()
                .enumerate()
                .map(|(i, c)| crate::odata_request(i, &c.out))
                .collect();
            let nav = or.odata_nav(&fixture, &reqs, &dir);
            cases
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let r = &nav[&(i as u64)];
                    let rows = if r["ok"] == json!(true) {
                        Ok(crate::client_plan(
                            &c.out,
                            r["rows"].as_array().map_or(&[][..], Vec::as_slice),
                        ))
                    } else {
                        Err(r["error"].as_str().unwrap_or("?").to_string())
                    };
                    vec![("odata_nav", rows)]
                })
                .collect()
        }
        Target::Sugarcrm => {
            let table = fx.sugar_table();
            cases
                .iter()
                .map(|c| {
                    let rows = crate::sugar_client(&c.out, &table).map(|idx| {
                        let fields = crate::sugar::returned_fields(&c.out["body"], &table);
                        idx.iter()
                            .map(|&i| {
                                Value::Object(
                                    fields
                                        .iter()
                                        .map(|f| {
                                            (
                                                f.clone(),
                                                fx.rows[i].get(f).cloned().unwrap_or(Value::Null),
                                            )
                                        })
                                        .collect(),
                                )
                            })
                            .collect()
                    });
                    vec![("sugar stand-in", rows)]
                })
                .collect()
        }
    };

    // fields the raw oracles add (the key, and sugar's date_modified), unified
    let extra: &[&str] = match target {
        Target::Salesforce => &[],
        Target::Dynamics => &["id"],
        Target::Sugarcrm => &["id", "modified"],
    };
    let mut checked = 0;
    for (c, results) in cases.iter().zip(raw_rows) {
        let ir = kql::check(&c.text, c.lang, None, &c.options).expect("unified IR");
        let mut ok = true;
        for (by, rows) in results {
            let verdict = rows.and_then(|rows| {
                let unified: Vec<Value> = unify_rows(target, rows)
                    .into_iter()
                    .map(Value::Object)
                    .collect();
                crate::compare_rows(&ufx, &ir, &unified, extra)
            });
            if let Err(e) = verdict {
                ok = false;
                failures.push(format!(
                    "{target} {by}: unify(oracle rows) != eval(unified query, unified fixture): {e}\n  {} ({}{})\n  raw: {}",
                    c.text,
                    c.lang,
                    if c.options.extended { ", extended" } else { "" },
                    c.out
                ));
            }
        }
        if ok {
            checked += 1;
        }
    }
    let _ = writeln!(
        std::io::stdout(),
        "commutation[{target}]: {} generated unified queries, {} translated, {checked} commuted, {} failed; rejected by the backend: {rejected:?}",
        profiles.len() * per,
        cases.len(),
        failures.len()
    );
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(10).collect();
        panic!(
            "{} commutation failures for {target}:\n{}",
            failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(
        checked >= 1_000,
        "only {checked} unified {target} queries were checked; at least 1,000 are asked for"
    );
}
