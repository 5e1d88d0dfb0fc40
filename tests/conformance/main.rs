//! Conformance: every translation checked by independent implementations.
//!
//! For each target, thousands of seeded generated queries (both languages,
//! both modes), every accepted corpus query and every saved regression case
//! are translated; then
//!
//! 1. **syntax**: the output passes the target's syntax oracle — Salesforce's
//!    own SOQL grammar (`@salesforce/soql-common`); both OData parsers
//!    (odata-query, odatapy) for `$filter`/`$orderby`/`$select`, plus the
//!    request's own consistency (`query_string` decodes to `query`, no
//!    `$skip`); the SugarCRM request-shape validator (`sugar.rs`);
//! 2. **rows**: the output executed by a third-party engine (open-soql;
//!    odata-query over SQLite and odatapy, after the client paging plan
//!    `client_skip`/`client_take`; the SugarCRM stand-in, after its client
//!    paging) returns the rows `kql::eval` returns on the same fixture;
//! 3. **both NULL models**: every SOQL and OData query also returns those
//!    rows when its parsed text is evaluated under `sql3vl` and under
//!    `null_as_value` (`soql_eval.rs`, `oracles/odata_nav.py`; README.md,
//!    "NULL models"), so it is exact whichever logic the CRM really has.
//!
//! Rows are compared in order when the query sorts by the unique key, else
//! as multisets plus the sequence of sort-key values (which a valid sort
//! determines even with ties), and with `LIMIT`/`OFFSET` but no total order
//! as "same count, same sort-key sequence, every row in the filtered set"
//! (which rows of a tie are returned is not defined). README.md in this
//! directory lists every oracle deviation and how the fixtures and the
//! generator are designed around it.
//!
//! A mismatch prints the query, the output and both row sets and is saved
//! under `tests/conformance/regressions/`, which every later run replays.

mod commute;
mod fixtures;
mod gen;
mod oracles;
mod soql_eval;
mod sugar;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use kql::eval::{self, EvalOptions};
use kql::ir::{self, Cond, Selection};
use kql::{Lang, Options, Target};
use serde_json::{json, Map, Value};

use fixtures::Fixture;
use gen::{Gen, Profile};

/// Generated queries per target and run (the issue asks for at least 2,000 checked).
const PER_TARGET: usize = 2_400;

#[derive(Clone, Debug)]
enum Source {
    Generated(u64),
    Corpus(String),
    Regression(String),
}

#[derive(Clone, Debug)]
struct Case {
    source: Source,
    lang: Lang,
    extended: bool,
    text: String,
}

impl Case {
    fn options(&self) -> Options {
        Options::default().extended(self.extended)
    }
    fn describe(&self) -> String {
        let src = match &self.source {
            Source::Generated(seed) => format!("generated, seed {seed:#x}"),
            Source::Corpus(f) => format!("corpus {f}"),
            Source::Regression(f) => format!("regression {f}"),
        };
        format!(
            "{} ({}{}) [{src}]",
            self.text,
            self.lang,
            if self.extended { ", extended" } else { "" }
        )
    }
}

/// One translated case on its way through the checks.
struct Item<'q> {
    case: Case,
    ir: ir::Query<'q>,
    out: Value,
    /// All columns known to the fixture (execution possible).
    executable: bool,
}

#[derive(Default)]
struct Report {
    checked: usize,
    failures: Vec<String>,
    rejected: BTreeMap<String, usize>,
    not_applicable: usize,
    notes: BTreeMap<String, usize>,
    /// Per NULL model: what checks it, passed, failed.
    models: BTreeMap<&'static str, Model>,
}

/// The tally of one NULL model (see README.md, "NULL models").
#[derive(Default)]
struct Model {
    by: &'static str,
    passed: usize,
    failed: usize,
}

impl Report {
    fn note(&mut self, what: &str) {
        *self.notes.entry(what.to_string()).or_default() += 1;
    }

    /// Counts one query's result under `model`, checked by `by`.
    fn model(&mut self, model: &'static str, by: &'static str, ok: bool) {
        let m = self.models.entry(model).or_default();
        m.by = by;
        if ok {
            m.passed += 1;
        } else {
            m.failed += 1;
        }
    }
}

/// SQL's three-valued logic: what KQL means, and `kql::eval`.
const SQL3VL: &str = "sql3vl";
/// Two-valued logic with NULL as a value: `!=`/`ne` and `NOT IN`/`NotIn` TRUE
/// on NULL, every other comparison, LIKE and IN FALSE, NOT plain negation.
const NULL_AS_VALUE: &str = "null_as_value";

// ---- cases ---------------------------------------------------------------------------

fn profiles(target: Target) -> Vec<Profile> {
    let p = |lang, extended| Profile {
        lang,
        target,
        extended,
    };
    Lang::ALL
        .into_iter()
        .filter(|l| l.targets().contains(&target))
        .flat_map(|l| [p(l, false), p(l, true)])
        .collect()
}

fn generated(fx: &Fixture) -> Vec<Case> {
    let profiles = profiles(fx.target);
    let per = PER_TARGET / profiles.len();
    let mut out = Vec::new();
    for (pi, p) in profiles.iter().enumerate() {
        for i in 0..per {
            let seed = ((fx.target as u64) << 40) | ((pi as u64) << 24) | i as u64;
            let text = Gen::new(fx, *p, seed).query();
            out.push(Case {
                source: Source::Generated(seed),
                lang: p.lang,
                extended: p.extended,
                text,
            });
        }
    }
    out
}

fn corpus(target: Target) -> Vec<Case> {
    let mut out = Vec::new();
    for (dir, lang) in [("kql", Lang::Kql), ("dql", Lang::Dql)] {
        if !lang.targets().contains(&target) {
            continue;
        }
        let path = oracles::repo().join("tests/corpus").join(dir);
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            if let Some((_, t)) = stem.rsplit_once("__") {
                if t != target.name() {
                    continue;
                }
            }
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            out.push(Case {
                source: Source::Corpus(format!("{dir}/{name}")),
                lang,
                extended: name.starts_with("ext_"),
                text,
            });
        }
    }
    out
}

fn regressions_dir() -> PathBuf {
    oracles::repo().join("tests/conformance/regressions")
}

fn regressions(target: Target) -> Vec<Case> {
    let Ok(entries) = std::fs::read_dir(regressions_dir()) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap_or_default())
            .unwrap_or_else(|e| panic!("bad regression file {}: {e}", f.display()));
        if v["target"].as_str() != Some(target.name()) {
            continue;
        }
        let lang = if v["lang"].as_str() == Some("dql") {
            Lang::Dql
        } else {
            Lang::Kql
        };
        out.push(Case {
            source: Source::Regression(
                f.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string(),
            ),
            lang,
            extended: v["extended"].as_bool().unwrap_or(false),
            text: v["query"].as_str().unwrap_or_default().to_string(),
        });
    }
    out
}

// ---- semantics helpers -------------------------------------------------------------------

/// No string literal or LIKE text has an upper-case letter: the oracles'
/// case rules (open-soql's case-sensitive `=`, SQLite's ASCII-only NOCASE,
/// odatapy's case-sensitive comparisons) then agree with kql::eval's
/// case-insensitive default on the lower-case fixtures. Generated queries
/// always are; a corpus query that is not is checked by the syntax oracle only.
fn case_consistent(q: &ir::Query<'_>) -> bool {
    fn lit(v: &ir::Literal<'_>) -> bool {
        !matches!(v, ir::Literal::String(s) if s.chars().any(char::is_uppercase))
    }
    fn walk(c: &Cond<'_>) -> bool {
        match c {
            Cond::And { operands, .. } | Cond::Or { operands, .. } => operands.iter().all(walk),
            Cond::Not { operand, .. } => walk(operand),
            Cond::Compare { value, .. } => lit(&value.literal),
            Cond::In { values, .. } => values.iter().all(|v| lit(&v.literal)),
            Cond::Like { pattern, .. } => !pattern.text().chars().any(char::is_uppercase),
            Cond::IsNull { .. } => true,
        }
    }
    q.filter.as_ref().is_none_or(walk)
}

/// Whether some LIKE text holds `[` (see README: oracle B reads it literally).
fn like_has_bracket(c: &Cond<'_>) -> bool {
    match c {
        Cond::And { operands, .. } | Cond::Or { operands, .. } => {
            operands.iter().any(like_has_bracket)
        }
        Cond::Not { operand, .. } => like_has_bracket(operand),
        Cond::Like { pattern, .. } => pattern.text().contains('['),
        _ => false,
    }
}

fn fields_of(q: &ir::Query<'_>) -> Vec<String> {
    fn walk(c: &Cond<'_>, out: &mut Vec<String>) {
        match c {
            Cond::And { operands, .. } | Cond::Or { operands, .. } => {
                operands.iter().for_each(|o| walk(o, out))
            }
            Cond::Not { operand, .. } => walk(operand, out),
            Cond::Compare { field, .. }
            | Cond::Like { field, .. }
            | Cond::In { field, .. }
            | Cond::IsNull { field, .. } => out.push(field.path.to_string()),
        }
    }
    let mut out = Vec::new();
    if let Selection::Fields { fields } = &q.selection {
        out.extend(fields.iter().map(|f| f.path.to_string()));
    }
    if let Some(c) = &q.filter {
        walk(c, &mut out);
    }
    out.extend(q.order_by.iter().map(|k| k.field.path.to_string()));
    out
}

/// `(seconds, nanos)` of an ISO datetime with a zone, for comparing values.
fn instant(s: &str) -> Option<(i64, u32)> {
    if s.len() < 20 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let mut nanos = 0u32;
    if let Some(p) = s.find('.') {
        let digits: String = s[p + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(9)
            .collect();
        nanos = format!("{digits:0<9}").parse().ok()?;
    }
    let mut whole = s.to_string();
    if let Some(p) = whole.find('.') {
        let end = whole[p..]
            .find(['Z', '+', '-'])
            .map_or(whole.len(), |e| p + e);
        whole.replace_range(p..end, "");
    }
    Some((sugar_parse_iso(&whole)?, nanos))
}

fn sugar_parse_iso(s: &str) -> Option<i64> {
    // a tiny independent parser: YYYY-MM-DDThh:mm:ss(Z|±hh:mm)
    let num = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d, h, mi, se) = (
        num(0, 4)?,
        num(5, 7)?,
        num(8, 10)?,
        num(11, 13)?,
        num(14, 16)?,
        num(17, 19)?,
    );
    let off = match s.get(19..)? {
        "Z" => 0,
        z if z.len() == 6 => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (z.get(1..3)?.parse::<i64>().ok()? * 3600
                + z.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - off)
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y || instant(x).is_some_and(|i| Some(i) == instant(y))
        }
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => false,
    }
}

// ---- the comparison ---------------------------------------------------------------------

/// Compares an oracle's rows with `kql::eval` on the fixture.
fn compare_rows(
    fx: &Fixture,
    q: &ir::Query<'_>,
    got: &[Value],
    extra_ok: &[&str],
) -> Result<(), String> {
    let opts = EvalOptions::default();
    let expected = eval::eval_indices(q, &fx.rows, &opts);
    let key = fx.key();
    let index: HashMap<String, usize> = fx
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.get(key).map(|k| (k.to_string(), i)))
        .collect();
    let mut got_idx = Vec::with_capacity(got.len());
    let selected: Vec<String> = match &q.selection {
        Selection::All { .. } => fx.columns.iter().map(|c| c.name.to_string()).collect(),
        Selection::Fields { fields } => fields.iter().map(|f| f.path.to_string()).collect(),
    };
    let keyed = matches!(q.selection, Selection::All { .. }) || selected.iter().any(|f| f == key);
    if !keyed {
        return compare_unkeyed(fx, q, got, &selected, &expected);
    }
    for row in got {
        let obj = row
            .as_object()
            .ok_or_else(|| format!("oracle row is not an object: {row}"))?;
        let k = obj
            .get(key)
            .ok_or_else(|| format!("oracle row without the key {key}: {row}"))?;
        let i = *index
            .get(&k.to_string())
            .ok_or_else(|| format!("oracle row with an unknown key: {row}"))?;
        for f in &selected {
            let want = fx.rows[i].get(f.as_str()).unwrap_or(&Value::Null);
            let have = obj
                .get(f.as_str())
                .ok_or_else(|| format!("oracle row lacks selected field {f}: {row}"))?;
            if !same_value(want, have) {
                return Err(format!(
                    "field {f} of row {k}: oracle {have}, fixture {want}"
                ));
            }
        }
        for f in obj.keys() {
            if !selected.iter().any(|s| s == f) && f != key && !extra_ok.contains(&f.as_str()) {
                return Err(format!("oracle row has unselected field {f}: {row}"));
            }
        }
        got_idx.push(i);
    }
    let total = q.order_by.iter().any(|k| k.field.path == key);
    if total {
        return if got_idx == expected {
            Ok(())
        } else {
            Err("rows differ (ordered comparison)".into())
        };
    }
    if got_idx.len() != expected.len() {
        return Err(format!(
            "{} rows, expected {}",
            got_idx.len(),
            expected.len()
        ));
    }
    let sort_keys = |idx: &[usize]| -> Vec<Vec<Value>> {
        idx.iter()
            .map(|&i| {
                q.order_by
                    .iter()
                    .map(|k| {
                        fx.rows[i]
                            .get(k.field.path.as_ref())
                            .cloned()
                            .unwrap_or(Value::Null)
                    })
                    .collect()
            })
            .collect()
    };
    let (a, b) = (sort_keys(&got_idx), sort_keys(&expected));
    let same_keys = a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x.iter().zip(y).all(|(u, v)| same_value(u, v)));
    if !same_keys {
        return Err("the sequence of sort-key values differs (not sorted as ORDER BY says)".into());
    }
    let mut g = got_idx.clone();
    g.sort_unstable();
    if g.windows(2).any(|w| w[0] == w[1]) {
        return Err("a row is returned twice".into());
    }
    if q.limit.is_none() && q.offset.is_none() {
        let mut e = expected.clone();
        e.sort_unstable();
        if g != e {
            return Err("rows differ (multiset comparison)".into());
        }
    } else {
        let mut all = q.clone();
        all.limit = None;
        all.offset = None;
        let filtered = eval::eval_indices(&all, &fx.rows, &opts);
        if let Some(bad) = g.iter().find(|i| !filtered.contains(i)) {
            return Err(format!(
                "row {bad} is returned but does not satisfy the filter"
            ));
        }
    }
    Ok(())
}

/// Without the key among the selected fields rows cannot be identified: the
/// projected rows are compared as multisets (each value normalised), or just
/// counted when LIMIT/OFFSET pick among ties.
fn compare_unkeyed(
    fx: &Fixture,
    q: &ir::Query<'_>,
    got: &[Value],
    selected: &[String],
    expected: &[usize],
) -> Result<(), String> {
    if got.len() != expected.len() {
        return Err(format!("{} rows, expected {}", got.len(), expected.len()));
    }
    let canon = |v: &Value| -> String {
        match v {
            Value::Number(n) => format!("n{}", n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => instant(s).map_or_else(|| format!("s{s}"), |i| format!("t{i:?}")),
            other => other.to_string(),
        }
    };
    let row_canon = |obj: &Map<String, Value>| -> Result<String, String> {
        let mut parts = Vec::new();
        for f in selected {
            let v = obj
                .get(f.as_str())
                .ok_or_else(|| format!("oracle row lacks selected field {f}"))?;
            parts.push(canon(v));
        }
        Ok(parts.join("\u{1}"))
    };
    let mut g = Vec::new();
    for row in got {
        g.push(row_canon(
            row.as_object().ok_or("oracle row is not an object")?,
        )?);
    }
    let mut e = Vec::new();
    for &i in expected {
        let proj: Map<String, Value> = selected
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    fx.rows[i].get(f.as_str()).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        e.push(row_canon(&proj)?);
    }
    if q.limit.is_none() && q.offset.is_none() {
        g.sort();
        e.sort();
        if g != e {
            return Err("projected rows differ (multiset comparison, no key selected)".into());
        }
    }
    Ok(())
}

fn expected_rows(fx: &Fixture, q: &ir::Query<'_>) -> Value {
    Value::Array(eval::eval(q, &fx.rows, &EvalOptions::default()))
}

// ---- targets -----------------------------------------------------------------------------------

fn fail(
    report: &mut Report,
    fx: &Fixture,
    item: &Item<'_>,
    check: &str,
    detail: &str,
    got: Option<&Value>,
) {
    let mut msg = String::new();
    let _ = writeln!(msg, "MISMATCH [{}] {check}: {detail}", fx.target);
    let _ = writeln!(msg, "  kql:      {}", item.case.describe());
    let _ = writeln!(msg, "  output:   {}", item.out);
    if item.executable {
        let _ = writeln!(msg, "  expected: {}", expected_rows(fx, &item.ir));
    }
    if let Some(g) = got {
        let _ = writeln!(msg, "  oracle:   {g}");
    }
    if !matches!(item.case.source, Source::Regression(_)) {
        save_regression(fx.target, &item.case, check, &msg);
    }
    report.failures.push(msg);
}

fn save_regression(target: Target, case: &Case, check: &str, msg: &str) {
    let dir = regressions_dir();
    let _ = std::fs::create_dir_all(&dir);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in case.text.bytes().chain(target.name().bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let v = json!({
        "target": target.name(),
        "lang": case.lang.name(),
        "extended": case.extended,
        "query": case.text,
        "check": check,
        "report": msg,
    });
    let path = dir.join(format!("{}-{h:016x}.json", target.name()));
    let _ = std::fs::write(
        &path,
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n",
    );
}

/// Translates every case: rejections are counted (B codes must be listed in
/// grammar/subset.md's backend section; front-end rejections of generated
/// queries are failures of the generator).
fn translate_all<'c>(fx: &Fixture, cases: &'c [Case], report: &mut Report) -> Vec<Item<'c>> {
    let mut items = Vec::new();
    for case in cases {
        match kql::translate(&case.text, case.lang, fx.target, &case.options()) {
            Ok(t) => {
                let ir = kql::check(&case.text, case.lang, Some(fx.target), &case.options())
                    .expect("translate accepted it");
                let out = serde_json::to_value(&t).expect("translation serialises");
                let executable = ir.object.name == fx.object
                    && fields_of(&ir).iter().all(|f| fx.column(f).is_some())
                    && case_consistent(&ir);
                items.push(Item {
                    case: case.clone(),
                    ir,
                    out,
                    executable,
                });
            }
            Err(errs) => {
                let codes: Vec<&str> = errs
                    .iter()
                    .filter(|e| e.severity == kql::Severity::Error)
                    .map(|e| e.code.as_str())
                    .collect();
                let b: Vec<&str> = codes
                    .iter()
                    .copied()
                    .filter(|c| c.starts_with('B'))
                    .collect();
                if !b.is_empty() && b.len() == codes.len() {
                    for c in b {
                        *report.rejected.entry(c.to_string()).or_default() += 1;
                    }
                } else if matches!(case.source, Source::Corpus(_)) {
                    // a corpus file checked with target None may be outside this target's subset
                    report.not_applicable += 1;
                } else {
                    report.failures.push(format!(
                        "FRONT-END REJECTION of a {} case ({codes:?}): {}\n{}",
                        fx.target,
                        case.describe(),
                        errs.render(&case.text)
                    ));
                }
            }
        }
    }
    items
}

fn write_fixture(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).expect("fixture json")).expect("write fixture");
    p
}

/// The fixture as the SOQL evaluator's table.
fn soql_table(fx: &Fixture) -> soql_eval::Table<'_> {
    use fixtures::Kind;
    soql_eval::Table {
        object: fx.object,
        columns: fx
            .columns
            .iter()
            .map(|c| {
                let k = match c.kind {
                    Kind::Key => soql_eval::ColKind::Id,
                    Kind::Str => soql_eval::ColKind::Str,
                    Kind::Int => soql_eval::ColKind::Int,
                    Kind::Dec => soql_eval::ColKind::Dec,
                    Kind::Bool => soql_eval::ColKind::Bool,
                    Kind::Date => soql_eval::ColKind::Date,
                    Kind::DateTime => soql_eval::ColKind::DateTime,
                };
                (c.name, k)
            })
            .collect(),
        rows: &fx.rows,
    }
}

/// Salesforce. `sql3vl`: Salesforce's own grammar accepts the statement,
/// and its rows equal `kql::eval`'s both from open-soql (two-valued on `!=`
/// and NOT, three-valued on NOT IN: neither model, so it must agree with
/// both) and from `soql_eval` (ours, written from the SOQL docs) under
/// three-valued logic. `null_as_value`: `soql_eval` under two-valued logic.
fn check_salesforce(fx: &Fixture, items: &[Item<'_>], or: &oracles::Oracles, report: &mut Report) {
    let dir = oracles::scratch("salesforce");
    let fixture = write_fixture(&dir, "account.json", &fx.soql_json());
    let table = soql_table(fx);
    let reqs: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, it)| json!({"id": i, "q": it.out["soql"]}))
        .collect();
    let syntax = or.soql_syntax(&reqs, &dir);
    let exec_reqs: Vec<Value> = reqs
        .iter()
        .zip(items)
        .filter(|(_, it)| it.executable)
        .map(|(r, _)| r.clone())
        .collect();
    let exec = or.soql_exec(&fixture, &exec_reqs, &dir);
    const SQL3VL_BY: &str = "soql-common grammar, open-soql rows, soql_eval rows (three-valued)";
    const NAV_BY: &str = "soql_eval rows (two-valued, NULL as a value)";
    for (i, it) in items.iter().enumerate() {
        let s = &syntax[&(i as u64)];
        if s["ok"] != json!(true) {
            fail(
                report,
                fx,
                it,
                "syntax (soql-common)",
                s["error"].as_str().unwrap_or("?"),
                None,
            );
            report.model(SQL3VL, SQL3VL_BY, false);
            continue;
        }
        if !it.executable {
            report.note("salesforce: syntax oracle only (object or fields not in the fixture, or upper-case literals)");
            report.checked += 1;
            continue;
        }
        let soql = it.out["soql"].as_str().unwrap_or_default();
        let r = &exec[&(i as u64)];
        let open_soql = if r["ok"] == json!(true) {
            let rows = r["rows"].as_array().cloned().unwrap_or_default();
            compare_rows(fx, &it.ir, &rows, &[])
                .map_err(|e| ("rows (open-soql vs kql::eval)", e, Some(r["rows"].clone())))
        } else {
            Err((
                "execution (open-soql)",
                r["error"].as_str().unwrap_or("?").to_string(),
                None,
            ))
        };
        let ours = |model| match soql_eval::execute(soql, &table, model) {
            Ok(rows) => {
                compare_rows(fx, &it.ir, &rows, &[]).map_err(|e| (e, Some(Value::Array(rows))))
            }
            Err(e) => Err((format!("soql_eval cannot run it: {e}"), None)),
        };
        let sql3vl = open_soql.and_then(|()| {
            ours(soql_eval::NullModel::Sql3vl)
                .map_err(|(e, rows)| ("rows (soql_eval sql3vl vs kql::eval)", e, rows))
        });
        let nav = ours(soql_eval::NullModel::NullAsValue);
        report.model(SQL3VL, SQL3VL_BY, sql3vl.is_ok());
        report.model(NULL_AS_VALUE, NAV_BY, nav.is_ok());
        match (sql3vl, nav) {
            (Ok(()), Ok(())) => report.checked += 1,
            (Err((check, e, rows)), _) => fail(report, fx, it, check, &e, rows.as_ref()),
            (Ok(()), Err((e, rows))) => fail(
                report,
                fx,
                it,
                "rows (soql_eval null_as_value vs kql::eval)",
                &e,
                rows.as_ref(),
            ),
        }
    }
}

/// Percent-decodes a query-string value.
fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("truncated escape at {i}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape %{hex}"))?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// The request's own consistency: `query_string` is `query` encoded so that no
/// character with a meaning in a URL query survives raw.
fn check_query_string(out: &Value) -> Result<(), String> {
    let query = out["query"].as_object().ok_or("no query object")?;
    for k in query.keys() {
        if !["$select", "$filter", "$orderby", "$top", "$expand"].contains(&k.as_str()) {
            return Err(format!(
                "unexpected query option {k} (Dataverse has no $skip)"
            ));
        }
    }
    let qs = out["query_string"].as_str().ok_or("no query_string")?;
    let mut seen = Map::new();
    if !qs.is_empty() {
        for pair in qs.split('&') {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("query_string pair without '=': {pair}"))?;
            if let Some(c) = value
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-_.!~*'()%,:@$/;".contains(*c)))
            {
                return Err(format!("query_string value of {name} has a raw {c:?}"));
            }
            seen.insert(name.to_string(), json!(percent_decode(value)?));
        }
    }
    for (k, v) in query {
        let want = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if seen.get(k).and_then(Value::as_str) != Some(want.as_str()) {
            return Err(format!(
                "query_string has {k}={:?}, query has {want:?}",
                seen.get(k)
            ));
        }
    }
    if seen.len() != query.len() {
        return Err(format!(
            "query_string has options {:?} the query has not",
            seen.keys().collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn odata_request(id: usize, out: &Value) -> Value {
    let q = &out["query"];
    let mut r = json!({"id": id});
    for (k, name) in [
        ("$filter", "filter"),
        ("$orderby", "orderby"),
        ("$select", "select"),
        ("$top", "top"),
    ] {
        if let Some(v) = q.get(k) {
            r[name] = v.clone();
        }
    }
    r
}

/// The client paging plan: drop `client_skip` rows, keep `client_take`.
fn client_plan(out: &Value, rows: &[Value]) -> Vec<Value> {
    let skip = out["client_skip"].as_u64().unwrap_or(0) as usize;
    let take = out["client_take"]
        .as_u64()
        .map_or(usize::MAX, |t| t as usize);
    rows.iter().skip(skip).take(take).cloned().collect()
}

fn check_dynamics(fx: &Fixture, items: &[Item<'_>], or: &oracles::Oracles, report: &mut Report) {
    let dir = oracles::scratch("dynamics");
    let fixture = write_fixture(&dir, "accounts.json", &fx.odata_json("accounts"));
    let reqs: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, it)| odata_request(i, &it.out))
        .collect();
    let exec_reqs: Vec<Value> = reqs
        .iter()
        .zip(items)
        .filter(|(_, it)| it.executable)
        .map(|(r, _)| r.clone())
        .collect();
    let parse_reqs: Vec<Value> = reqs
        .iter()
        .zip(items)
        .filter(|(_, it)| !it.executable)
        .map(|(r, _)| r.clone())
        .collect();
    let a = or.odata_a(Some(&fixture), &exec_reqs, &dir);
    let b = or.odata_b(&fixture, &exec_reqs, &dir);
    let nav = or.odata_nav(&fixture, &exec_reqs, &dir);
    const SQL3VL_BY: &str = "request consistency, odata-query grammar, odata-query+SQLite rows";
    const NAV_BY: &str =
        "odata_nav rows (odata-query AST, two-valued), odatapy rows (OData-spec null rules)";
    let parsed = if parse_reqs.is_empty() {
        HashMap::new()
    } else {
        or.odata_a(None, &parse_reqs, &dir)
    };
    for (i, it) in items.iter().enumerate() {
        if let Err(e) = check_query_string(&it.out) {
            fail(report, fx, it, "request (query_string)", &e, None);
            if it.executable {
                report.model(SQL3VL, SQL3VL_BY, false);
            }
            continue;
        }
        if it.out["query"].get("$expand").is_some() && it.executable {
            fail(
                report,
                fx,
                it,
                "request",
                "$expand on a fixture column",
                None,
            );
            report.model(SQL3VL, SQL3VL_BY, false);
            continue;
        }
        if !it.executable {
            let p = &parsed[&(i as u64)];
            if p["ok"] != json!(true) {
                fail(
                    report,
                    fx,
                    it,
                    "syntax (odata-query)",
                    p["error"].as_str().unwrap_or("?"),
                    None,
                );
            } else {
                report.note("dynamics: syntax only, odata-query grammar (object or fields not in the fixture, or upper-case literals; odatapy needs the model)");
                report.checked += 1;
            }
            continue;
        }
        if it.out["entity_set"] != json!("accounts") {
            fail(
                report,
                fx,
                it,
                "request",
                "entity set of `account` is not `accounts`",
                None,
            );
            report.model(SQL3VL, SQL3VL_BY, false);
            continue;
        }
        let (ra, rb, rn) = (&a[&(i as u64)], &b[&(i as u64)], &nav[&(i as u64)]);
        let rows_of =
            |r: &Value| client_plan(&it.out, r["rows"].as_array().map_or(&[][..], Vec::as_slice));
        // sql3vl: oracle A
        let sql3vl = if ra["ok"] != json!(true) {
            Err((
                "syntax/execution (odata-query + SQLite)",
                ra["error"].as_str().unwrap_or("?").to_string(),
                None,
            ))
        } else {
            let rows = rows_of(ra);
            compare_rows(fx, &it.ir, &rows, &["accountid"]).map_err(|e| {
                (
                    "rows (odata-query+SQLite vs kql::eval)",
                    e,
                    Some(Value::Array(rows)),
                )
            })
        };
        // null_as_value: our evaluator over odata-query's AST, then odatapy
        let null_as_value = if rn["ok"] != json!(true) {
            Err((
                "syntax/execution (odata_nav)",
                rn["error"].as_str().unwrap_or("?").to_string(),
                None,
            ))
        } else {
            let rows = rows_of(rn);
            compare_rows(fx, &it.ir, &rows, &["accountid"]).map_err(|e| {
                (
                    "rows (odata_nav null_as_value vs kql::eval)",
                    e,
                    Some(Value::Array(rows)),
                )
            })
        }
        .and_then(|()| {
            if rb["ok"] != json!(true) {
                return Err((
                    "syntax/execution (odatapy)",
                    rb["error"].as_str().unwrap_or("?").to_string(),
                    None,
                ));
            }
            if it.ir.filter.as_ref().is_some_and(like_has_bracket) {
                report.note("dynamics: odatapy parsed but its rows not compared (`[` in LIKE text: a T-SQL wildcard in Dataverse, oracle A and odata_nav, a literal in OData)");
                return Ok(());
            }
            let rows = rows_of(rb);
            compare_rows(fx, &it.ir, &rows, &["accountid"])
                .map_err(|e| ("rows (odatapy vs kql::eval)", e, Some(Value::Array(rows))))
        });
        report.model(SQL3VL, SQL3VL_BY, sql3vl.is_ok());
        report.model(NULL_AS_VALUE, NAV_BY, null_as_value.is_ok());
        match (sql3vl, null_as_value) {
            (Ok(()), Ok(())) => report.checked += 1,
            (Err((check, e, rows)), _) | (Ok(()), Err((check, e, rows))) => {
                fail(report, fx, it, check, &e, rows.as_ref())
            }
        }
    }
}

/// The SugarCRM client of the backend's contract (src/backend/sugar.rs): POST
/// the body and follow `next_offset` (the server sets it when the page was
/// full) until it is -1, or until `max_num` rows — the `LIMIT` — are in hand
/// (a server `max_list_limit` may shrink pages); `client_take` (LIMIT 0)
/// truncates further.
fn sugar_client(out: &Value, table: &sugar::Table) -> Result<Vec<usize>, String> {
    let mut body = out["body"].clone();
    let take = out["client_take"].as_u64().map(|t| t as usize);
    let limit = body
        .get("max_num")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let page = match body.get("max_num").and_then(Value::as_i64) {
        None | Some(0) => 20,
        Some(n) => n,
    };
    // Pages of one request are slices of the same sorted result: evaluate once.
    let all = sugar::execute_unpaged(&body, table)?;
    let mut offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let mut rows = Vec::new();
    loop {
        let got: Vec<usize> = if page < 0 {
            all.iter().skip(offset).copied().collect()
        } else {
            all.iter()
                .skip(offset)
                .take(page as usize)
                .copied()
                .collect()
        };
        let n = got.len();
        rows.extend(got);
        // next_offset is -1 unless more rows exist after this page
        let more = page >= 0 && n as i64 == page && all.len() > offset + page as usize;
        if !more || limit.is_some_and(|l| rows.len() >= l) {
            break;
        }
        offset += page as usize;
    }
    body["offset"] = json!(offset);
    for cap in [limit, take].into_iter().flatten() {
        rows.truncate(cap);
    }
    Ok(rows)
}

fn check_sugar(fx: &Fixture, items: &[Item<'_>], report: &mut Report) {
    let table = fx.sugar_table();
    for it in items {
        if it.out["module"] != json!(it.ir.object.name.as_ref()) {
            fail(
                report,
                fx,
                it,
                "request",
                "module is not the FROM object",
                None,
            );
            continue;
        }
        let known = if it.executable { Some(&table) } else { None };
        if let Err(e) = sugar::validate_body(&it.out["body"], known) {
            fail(
                report,
                fx,
                it,
                "request shape (sugarcrm-filter.md §8)",
                &e,
                None,
            );
            continue;
        }
        if !it.executable {
            report.note("sugarcrm: shape validator only (object or fields not in the fixture, or upper-case literals)");
            report.checked += 1;
            continue;
        }
        let idx = match sugar_client(&it.out, &table) {
            Ok(i) => i,
            Err(e) => {
                fail(report, fx, it, "execution (SugarCRM stand-in)", &e, None);
                continue;
            }
        };
        let fields = sugar::returned_fields(&it.out["body"], &table);
        let rows: Vec<Value> = idx
            .iter()
            .map(|&i| {
                Value::Object(
                    fields
                        .iter()
                        .map(|f| (f.clone(), fx.rows[i].get(f).cloned().unwrap_or(Value::Null)))
                        .collect(),
                )
            })
            .collect();
        let result = compare_rows(fx, &it.ir, &rows, &["id", "date_modified"]);
        report.model(
            "sugarcrm (the server's own NULL rules)",
            "the SugarCRM stand-in (sugar.rs)",
            result.is_ok(),
        );
        match result {
            Ok(()) => report.checked += 1,
            Err(e) => fail(
                report,
                fx,
                it,
                "rows (SugarCRM stand-in vs kql::eval)",
                &e,
                Some(&Value::Array(rows)),
            ),
        }
    }
}

fn summary_line(
    target: Target,
    generated: usize,
    corpus: usize,
    regressions: usize,
    r: &Report,
) -> String {
    let mut s = String::new();
    let rejected: Vec<String> = r.rejected.iter().map(|(c, n)| format!("{c}×{n}")).collect();
    let _ = writeln!(
        s,
        "conformance[{target}]: {generated} generated, {corpus} corpus, {regressions} regression cases; rejected by the backend (B codes, not failures): {}; corpus not applicable to this target: {}",
        if rejected.is_empty() { "none".to_string() } else { rejected.join(", ") },
        r.not_applicable
    );
    for (what, n) in &r.notes {
        let _ = writeln!(s, "conformance[{target}]: {n} × {what}");
    }
    for (model, m) in &r.models {
        let _ = writeln!(
            s,
            "conformance[{target}] model {model}: {} passed, {} failed (rows checked by {})",
            m.passed, m.failed, m.by
        );
    }
    let _ = writeln!(
        s,
        "conformance: {} passed, {} failed",
        r.checked,
        r.failures.len()
    );
    s
}

/// The defined error codes (src/error.rs, one section per backend;
/// grammar/subset.md lists the constructs each backend rejects).
fn documented_codes() -> String {
    std::fs::read_to_string(oracles::repo().join("src/error.rs")).unwrap_or_default()
}

fn run_target(target: Target) {
    let fx = match target {
        Target::Salesforce => fixtures::salesforce(),
        Target::Dynamics => fixtures::dynamics(),
        Target::Sugarcrm => fixtures::sugarcrm(),
    };
    let gen_cases = generated(&fx);
    let corpus_cases = corpus(target);
    let reg_cases = regressions(target);
    let all: Vec<Case> = gen_cases
        .iter()
        .chain(&corpus_cases)
        .chain(&reg_cases)
        .cloned()
        .collect();
    let mut report = Report::default();
    let items = translate_all(&fx, &all, &mut report);
    // every generated query the front end accepts must be translated or rejected with a B code
    let oracles = if target == Target::Sugarcrm {
        None
    } else {
        oracles::find()
    };
    match (target, &oracles) {
        (Target::Salesforce, Some(o)) => check_salesforce(&fx, &items, o, &mut report),
        (Target::Dynamics, Some(o)) => check_dynamics(&fx, &items, o, &mut report),
        (Target::Sugarcrm, _) => check_sugar(&fx, &items, &mut report),
        (_, None) => {
            // Skipped loudly (oracles::find): still check what needs no oracle.
            assert!(
                items.len() > gen_cases.len() / 2,
                "most generated {target} queries must translate"
            );
            for it in &items {
                if target == Target::Dynamics {
                    check_query_string(&it.out)
                        .unwrap_or_else(|e| panic!("{}: {e}", it.case.describe()));
                }
            }
            let _ = writeln!(
                std::io::stdout(),
                "conformance[{target}]: SKIPPED the oracle checks (oracles missing: run `bash .ci/oracles.sh`)"
            );
            return;
        }
    }
    let documented = documented_codes();
    for code in report.rejected.keys() {
        assert!(
            documented.contains(&format!("= \"{code}\"")),
            "backend rejection {code} for {target} is not a defined code"
        );
    }
    let line = summary_line(
        target,
        gen_cases.len(),
        corpus_cases.len(),
        reg_cases.len(),
        &report,
    );
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
    drop(out);
    if !report.failures.is_empty() {
        let shown: Vec<&String> = report.failures.iter().take(25).collect();
        panic!(
            "{} conformance failures for {target} (first {} below; all saved under tests/conformance/regressions/):\n{}",
            report.failures.len(),
            shown.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
    assert!(
        report.checked >= 2_000,
        "only {} {target} queries were checked; the issue asks for at least 2,000",
        report.checked
    );
    assert_models(target, &report);
}

#[test]
fn conformance_salesforce() {
    run_target(Target::Salesforce);
}

#[test]
fn conformance_dynamics() {
    run_target(Target::Dynamics);
}

#[test]
fn conformance_sugarcrm() {
    run_target(Target::Sugarcrm);
}

#[test]
fn commutation_salesforce() {
    commute::run(Target::Salesforce);
}

#[test]
fn commutation_dynamics() {
    commute::run(Target::Dynamics);
}

#[test]
fn commutation_sugarcrm() {
    commute::run(Target::Sugarcrm);
}

/// The fixtures are what README.md says they are.
#[test]
fn fixtures_have_the_documented_shape() {
    for fx in [
        fixtures::salesforce(),
        fixtures::dynamics(),
        fixtures::sugarcrm(),
    ] {
        assert!(
            fx.rows.len() >= 200,
            "{}: {} rows",
            fx.object,
            fx.rows.len()
        );
        let keys: Vec<String> = fx.rows.iter().map(|r| r[fx.key()].to_string()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            keys, sorted,
            "{}: keys unique and in fixture order",
            fx.object
        );
        let text = serde_json::to_string(&fx.rows).expect("json");
        for needle in [
            "\\\\", "'", "%", "_", "[", "ü", "\"", "\\t", "\\n", "&", "#", "+", "$",
        ] {
            assert!(
                text.contains(needle),
                "{}: no {needle:?} in the values",
                fx.object
            );
        }
        for c in &fx.columns {
            let nulls = fx
                .rows
                .iter()
                .filter(|r| r.get(c.name).is_none_or(Value::is_null))
                .count();
            assert_eq!(
                nulls > 0,
                c.nullable,
                "{}.{}: NULLs present iff nullable",
                fx.object,
                c.name
            );
        }
        // NULLs in every column type a filter can test (the key is never NULL)
        use fixtures::Kind;
        for kind in [
            Kind::Str,
            Kind::Int,
            Kind::Dec,
            Kind::Bool,
            Kind::Date,
            Kind::DateTime,
        ] {
            assert!(
                fx.columns.iter().any(|c| c.kind == kind && c.nullable),
                "{}: no nullable {kind:?} column",
                fx.object
            );
        }
        for r in &fx.rows {
            for v in r.values() {
                if let Value::String(s) = v {
                    assert!(
                        !s.chars().any(char::is_uppercase) || s.contains('T'),
                        "upper case in {s:?}"
                    );
                    assert!(
                        !s.chars().any(|c| ('\u{E000}'..='\u{FFFF}').contains(&c)),
                        "BMP private/high char in {s:?}"
                    );
                }
            }
        }
    }
}

/// Every NULL model checks at least 2,000 generated queries per target (the
/// issue's bar), and each counts every row-checked query (run_target also
/// asserts this after a full run).
fn assert_models(target: Target, r: &Report) {
    let expected: &[&str] = match target {
        Target::Sugarcrm => &["sugarcrm (the server's own NULL rules)"],
        _ => &[NULL_AS_VALUE, SQL3VL],
    };
    assert_eq!(
        r.models.keys().copied().collect::<Vec<_>>(),
        expected,
        "{target}: the models checked"
    );
    for (model, m) in &r.models {
        assert!(
            m.passed + m.failed >= 2_000,
            "{target}: only {} queries checked under {model}",
            m.passed + m.failed
        );
    }
}

/// The comparison itself catches wrong rows, wrong order, wrong values.
#[test]
fn row_comparison_catches_differences() {
    let fx = fixtures::dynamics();
    let q = kql::check("SELECT accountid, name FROM account WHERE new_score > 0 ORDER BY new_score DESC, accountid", Lang::Kql, None, &Options::default())
        .expect("valid");
    let good: Vec<Value> = eval::eval(&q, &fx.rows, &EvalOptions::default());
    assert!(good.len() > 50);
    compare_rows(&fx, &q, &good, &[]).expect("eval agrees with itself");
    let mut swapped = good.clone();
    swapped.swap(0, 1);
    assert!(compare_rows(&fx, &q, &swapped, &[]).is_err());
    assert!(compare_rows(&fx, &q, &good[1..], &[]).is_err());
    let mut wrong = good.clone();
    wrong[3]["name"] = json!("not the name");
    assert!(compare_rows(&fx, &q, &wrong, &[]).is_err());
    let mut extra = good.clone();
    extra[0]["revenue"] = json!(1);
    assert!(compare_rows(&fx, &q, &extra, &[]).is_err());
    // partial order: ties may come in any order, but the sort keys must not
    let q = kql::check(
        "SELECT accountid FROM account ORDER BY donotemail",
        Lang::Kql,
        None,
        &Options::default(),
    )
    .expect("valid");
    let mut rows = eval::eval(&q, &fx.rows, &EvalOptions::default());
    rows[..10].reverse();
    compare_rows(&fx, &q, &rows, &[]).expect("ties reordered");
    rows.reverse();
    assert!(compare_rows(&fx, &q, &rows, &[]).is_err());
}

/// The `null_as_value` OData evaluator's own checks (`odata_nav.py
/// --self-test`: each rule against oracle A on a fixture with a NULL in every
/// column type), so that the oracle is itself tested wherever it runs.
#[test]
fn odata_nav_self_test() {
    let Some(or) = oracles::find() else {
        return; // reported loudly by oracles::find (and a failure under CI=true)
    };
    let out = std::process::Command::new(&or.python)
        .arg(oracles::drivers().join("odata_nav.py"))
        .arg("--self-test")
        .output()
        .expect("run odata_nav.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" passed, 0 failed"),
        "odata_nav.py --self-test: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn query_string_check() {
    let ok = json!({"query": {"$filter": "name eq 'a&b #1+2 %'", "$top": 5}, "query_string": "$filter=name%20eq%20'a%26b%20%231%2B2%20%25'&$top=5"});
    check_query_string(&ok).expect("consistent");
    for bad in [
        json!({"query": {"$filter": "name eq 'a&b'"}, "query_string": "$filter=name%20eq%20'a&b'"}),
        json!({"query": {"$filter": "a eq 1"}, "query_string": "$filter=a eq 1"}),
        json!({"query": {"$filter": "a eq 1"}, "query_string": "$filter=a%20eq%202"}),
        json!({"query": {"$skip": 5}, "query_string": "$skip=5"}),
        json!({"query": {"$top": 5}, "query_string": "$top=5&$skip=1"}),
    ] {
        assert!(check_query_string(&bad).is_err(), "{bad}");
    }
}

#[test]
fn sugar_client_follows_pages() {
    let fx = fixtures::sugarcrm();
    let table = fx.sugar_table();
    let all = sugar_client(
        &json!({"body": {"fields": "id"}, "client_take": null}),
        &table,
    )
    .expect("runs");
    assert_eq!(all.len(), fx.rows.len());
    let limited = sugar_client(
        &json!({"body": {"order_by": "id:asc", "max_num": 25, "offset": 230}, "client_take": null}),
        &table,
    )
    .expect("runs");
    assert_eq!(limited, (230..240).collect::<Vec<_>>());
    let zero =
        sugar_client(&json!({"body": {"max_num": 1}, "client_take": 0}), &table).expect("runs");
    assert!(zero.is_empty());
}
