//! A SugarCRM stand-in: an evaluator of `POST /rest/v11/<Module>/filter` request
//! bodies over in-memory records, implementing the server semantics that the
//! project's SugarCRM filter research notes (§ below; not published with this
//! repository) §2–§4 and §6 read out of Sugar 13's source (FilterApi,
//! SugarQuery's Where/Doctrine compiler, DBManager; a public copy:
//! <https://github.com/mikesugarcrm/sugar_13>, commit `cf884f3`) and the filter
//! API documentation
//! (<https://support.sugarcrm.com/documentation/sugar_developer/sugar_developer_guide_14.0/integration/web_services/rest_api/endpoints/modulefilter_post/>),
//! and a validator of the request shape (§8, rules 1–11).
//!
//! It is written from the research notes alone and shares no code with
//! `src/backend/sugar.rs` or with `kql::eval`: it is the oracle the backend's
//! output is executed by. What it models, with the section it comes from:
//!
//! * §2 the top-level `filter` array is an implicit AND; every key of an item
//!   object, and every operator of a field object, is added to the group of the
//!   *container* (inside `$or` a two-key object is an OR); `$and`/`$or` take
//!   arrays of objects; a group with no conditions compiles to nothing and its
//!   parent drops it (an empty top-level filter matches every row); a bare
//!   scalar is `$equals`; a list where an operator object belongs is an error
//!   (PHP 8: "Did not recognize the operand: 0").
//! * §3 the operator table: `$equals` `$not_equals` `$lt` `$lte` `$gt` `$gte`
//!   (SQL comparisons: NULL never matches), `$starts` `$ends` `$contains`
//!   (MySQL LIKE with `%` and `_` live and `\` as the escape character, not
//!   escaped by Sugar; an array value ORs the patterns), `$not_contains`
//!   (`col IS NULL OR col NOT LIKE …`: NULL rows included; an array ANDs),
//!   `$in` (`col IN (…)`, and `(col IS NULL OR col IN (…))` when the array holds
//!   `""`; an empty array matches nothing), `$not_in` (`col IS NULL OR col NOT
//!   IN (…)`: NULL rows included; with `""` in the array: `col IS NOT NULL AND
//!   col NOT IN (the rest)`, or just `col IS NOT NULL`), `$is_null`,
//!   `$not_null`, `$empty`, `$not_empty`, `$between`/`$dateBetween`.
//! * §3/§5 datetime fields: an ISO value with an offset is converted to UTC, one
//!   without a zone is read in the API user's zone (UTC here), fractions of a
//!   second are dropped (the DB format is `Y-m-d H:i:s`); a date-only value is
//!   expanded to whole days (`$equals` → the day, `$gt d` → `>= d+1 00:00:00`,
//!   `$lt d` → `<= d-1 23:59:59`, …).
//! * §5 float/double/decimal fields (not currency): `$equals`, `$not_equals`,
//!   `$lt`…`$gte` become a raw `ROUND(col, p)` condition that is hoisted to the
//!   top-level AND, even from inside an `$or`.
//! * §4 value binding: `""` and `false` bind as the column type's empty value
//!   (`''` for text, `0` for numbers and booleans); booleans bind as 0/1.
//! * §1 `order_by` `"f:dir,…"`: only a string counts, a direction other than
//!   `desc` (any case) is ascending, a repeated field keeps its first
//!   occurrence, absent means `date_modified DESC`; NULLs sort first ascending
//!   and last descending (MySQL); ties keep the stored order. `max_num`
//!   absent, `0` or `""` means 20; negative means no limit. `offset` defaults
//!   to 0. `fields` selects columns, unknown names are dropped, and `id` and
//!   `date_modified` always come back.
//!
//! Not modelled (documented in tests/conformance/README.md): MySQL's
//! accent-insensitive and PAD SPACE collation rules (strings compare
//! case-insensitively, by Unicode lower case, and nothing else), macros
//! (`$owner`, `$favorite`, …), relate/link fields, `$dateRange` and the
//! `$…_x_days` operators, cross-type comparisons other than the binding rules
//! above (UNKNOWN here).

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// A column type of the stand-in module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// `id` (char(36)).
    Id,
    /// `varchar`, `name`, `enum`, `text`.
    Varchar,
    /// `int`.
    Int,
    /// `currency` (decimal, but bound normally: no raw ROUND).
    Currency,
    /// `float` / `double` / `decimal`: comparisons become a hoisted raw ROUND.
    Float,
    /// `bool` (tinyint).
    Bool,
    /// `date`.
    Date,
    /// `datetime` (UTC in the DB).
    Datetime,
}

/// A module's table: typed columns and rows (JSON objects; absent = NULL).
pub struct Table {
    pub columns: Vec<(String, ColType)>,
    pub rows: Vec<Map<String, Value>>,
}

impl Table {
    fn col(&self, name: &str) -> Result<ColType, String> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| format!("422 Unknown field {name}"))
    }
}

// ---- a small, independent three-valued logic ----------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum T3 {
    T,
    F,
    U,
}

fn and3(a: T3, b: T3) -> T3 {
    match (a, b) {
        (T3::F, _) | (_, T3::F) => T3::F,
        (T3::T, T3::T) => T3::T,
        _ => T3::U,
    }
}

fn or3(a: T3, b: T3) -> T3 {
    match (a, b) {
        (T3::T, _) | (_, T3::T) => T3::T,
        (T3::F, T3::F) => T3::F,
        _ => T3::U,
    }
}

fn not3(a: T3) -> T3 {
    match a {
        T3::T => T3::F,
        T3::F => T3::T,
        T3::U => T3::U,
    }
}

fn b3(b: bool) -> T3 {
    if b {
        T3::T
    } else {
        T3::F
    }
}

// ---- values as the database sees them ---------------------------------------------

/// A database value (after binding).
#[derive(Clone, Debug, PartialEq)]
enum Db {
    Text(String),
    Num(String),
    /// Seconds since the epoch (UTC); date columns use midnight.
    Time(i64),
}

const OPERATORS: &[&str] = &[
    "$equals",
    "$not_equals",
    "$starts",
    "$ends",
    "$contains",
    "$not_contains",
    "$in",
    "$not_in",
    "$between",
    "$dateBetween",
    "$is_null",
    "$not_null",
    "$empty",
    "$not_empty",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
];

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn digits(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `YYYY-MM-DD` → seconds at midnight UTC.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > dim[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400)
}

/// Sugar's `fromIso`: `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH[:MM]]` → UTC seconds, the
/// fraction dropped (the DB format has none); no zone = the user's zone (UTC).
fn parse_iso_datetime(s: &str) -> Option<i64> {
    let day = parse_date(s.get(0..10)?)?;
    let rest = s.get(10..)?;
    let rest = rest.strip_prefix('T')?;
    let (h, mi, se) = (
        digits(rest.get(0..2)?)?,
        digits(rest.get(3..5)?)?,
        digits(rest.get(6..8)?)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let mut tail = rest.get(8..)?;
    if let Some(f) = tail.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        tail = &f[n..];
    }
    let offset = match tail {
        "" | "Z" => 0,
        _ => {
            let sign = match tail.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let z = &tail[1..];
            let (oh, om) = match z.len() {
                2 => (digits(z)?, 0),
                4 => (digits(&z[0..2])?, digits(&z[2..4])?),
                5 if &z[2..3] == ":" => (digits(&z[0..2])?, digits(&z[3..5])?),
                _ => return None,
            };
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(day + h * 3600 + mi * 60 + se - offset)
}

/// A stored cell as a DB value; `None` for NULL.
fn cell(row: &Map<String, Value>, name: &str, ty: ColType) -> Option<Db> {
    let v = row.get(name)?;
    Some(match (ty, v) {
        (_, Value::Null) => return None,
        (ColType::Datetime, Value::String(s)) => Db::Time(parse_iso_datetime(s)?),
        (ColType::Date, Value::String(s)) => Db::Time(parse_date(s)?),
        (ColType::Bool, Value::Bool(b)) => Db::Num(if *b { "1" } else { "0" }.into()),
        (_, Value::Number(n)) => Db::Num(n.to_string()),
        (_, Value::String(s)) => Db::Text(s.clone()),
        (_, Value::Bool(b)) => Db::Num(if *b { "1" } else { "0" }.into()),
        _ => return None,
    })
}

/// Binds a filter value for a column (DBManager `bindValue`/`massageValue`, and
/// SugarFieldDatetime for datetimes). `None` = not comparable (UNKNOWN).
fn bind(v: &Value, ty: ColType) -> Option<Db> {
    let empty = matches!(v, Value::Bool(false)) || v.as_str() == Some("");
    match ty {
        ColType::Int | ColType::Currency | ColType::Float | ColType::Bool => {
            if empty {
                return Some(Db::Num("0".into()));
            }
            match v {
                Value::Number(n) => Some(Db::Num(n.to_string())),
                Value::Bool(true) => Some(Db::Num("1".into())),
                _ => None,
            }
        }
        ColType::Datetime => match v {
            Value::String(s) => parse_iso_datetime(s)
                .or_else(|| parse_date(s))
                .map(Db::Time),
            _ => None,
        },
        ColType::Date => match v {
            Value::String(s) => parse_date(s).map(Db::Time),
            _ => None,
        },
        ColType::Id | ColType::Varchar => match v {
            Value::String(s) => Some(Db::Text(s.clone())),
            _ if empty => Some(Db::Text(String::new())),
            _ => None,
        },
    }
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn dec_cmp(a: &str, b: &str) -> Option<Ordering> {
    // Exact decimal comparison: normalise sign, integer and fraction parts.
    fn norm(s: &str) -> Option<(bool, String, String)> {
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        if s.contains(['e', 'E']) {
            // serde_json prints large/small floats with an exponent
            let f: f64 = s.parse().ok()?;
            return norm(&format!(
                "{}{}",
                if neg { "-" } else { "" },
                format_args!("{f:.20}")
            ));
        }
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        if !i.bytes().chain(f.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let i = i.trim_start_matches('0').to_string();
        let f = f.trim_end_matches('0').to_string();
        let zero = i.is_empty() && f.is_empty();
        Some((neg && !zero, i, f))
    }
    let (na, ia, fa) = norm(a)?;
    let (nb, ib, fb) = norm(b)?;
    if na != nb {
        return Some(if na {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let mag = ia
        .len()
        .cmp(&ib.len())
        .then_with(|| ia.cmp(&ib))
        .then_with(|| fa.cmp(&fb));
    Some(if na { mag.reverse() } else { mag })
}

fn db_cmp(a: &Db, b: &Db) -> Option<Ordering> {
    match (a, b) {
        (Db::Text(x), Db::Text(y)) => Some(fold(x).cmp(&fold(y))),
        (Db::Num(x), Db::Num(y)) => dec_cmp(x, y),
        (Db::Time(x), Db::Time(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// MySQL `LIKE` (case-insensitive): `%` any run, `_` one character, `\` escapes.
fn mysql_like(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = fold(value).chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new(); // (char, is_literal)
    let mut it = fold(pattern)
        .chars()
        .collect::<Vec<_>>()
        .into_iter()
        .peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some(n) => p.push((n, true)),
                None => p.push(('\\', true)),
            }
        } else {
            p.push((c, false));
        }
    }
    // classic DP
    let (n, m) = (v.len(), p.len());
    let mut dp = vec![vec![false; m + 1]; n + 1];
    dp[0][0] = true;
    for j in 1..=m {
        dp[0][j] = dp[0][j - 1] && p[j - 1] == ('%', false);
    }
    for i in 1..=n {
        for j in 1..=m {
            dp[i][j] = match p[j - 1] {
                ('%', false) => dp[i][j - 1] || dp[i - 1][j],
                ('_', false) => dp[i - 1][j - 1],
                (c, _) => dp[i - 1][j - 1] && v[i - 1] == c,
            };
        }
    }
    dp[n][m]
}

struct Ctx<'a> {
    table: &'a Table,
    row: &'a Map<String, Value>,
    /// Raw float conditions hoisted to the top-level AND.
    hoisted: Vec<T3>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    And,
    Or,
}

fn combine(op: Group, items: &[T3]) -> Option<T3> {
    if items.is_empty() {
        return None;
    }
    Some(match op {
        Group::And => items.iter().fold(T3::T, |a, b| and3(a, *b)),
        Group::Or => items.iter().fold(T3::F, |a, b| or3(a, *b)),
    })
}

/// Evaluates the items of a group; `None` when the group compiles to nothing.
fn eval_group(items: &[Value], op: Group, cx: &mut Ctx<'_>) -> Result<Option<T3>, String> {
    let mut conds = Vec::new();
    for item in items {
        let Some(obj) = item.as_object() else {
            return Err(format!("422 Did not recognize the definition: {item}"));
        };
        for (key, spec) in obj {
            match key.as_str() {
                "$and" | "$or" => {
                    let Some(arr) = spec.as_array() else {
                        return Err(format!("500 {key} needs an array (PHP TypeError)"));
                    };
                    let sub = if key == "$and" { Group::And } else { Group::Or };
                    if let Some(t) = eval_group(arr, sub, cx)? {
                        conds.push(t);
                    }
                }
                k if k.starts_with('$') => return Err(format!("unmodelled macro {k}")),
                field => field_conds(field, spec, cx, &mut conds)?,
            }
        }
    }
    Ok(combine(op, &conds))
}

fn field_conds(
    field: &str,
    spec: &Value,
    cx: &mut Ctx<'_>,
    out: &mut Vec<T3>,
) -> Result<(), String> {
    let ty = cx.table.col(field)?;
    let ops: Vec<(&str, &Value)> = match spec {
        Value::Object(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        Value::Array(_) => return Err("422 Did not recognize the operand: 0".into()),
        scalar => vec![("$equals", scalar)],
    };
    let val = cell(cx.row, field, ty);
    for (op, v) in ops {
        if !OPERATORS.contains(&op) {
            return Err(format!("422 Did not recognize the operand: {op}"));
        }
        let raw_float = ty == ColType::Float
            && matches!(
                op,
                "$equals" | "$not_equals" | "$lt" | "$lte" | "$gt" | "$gte" | "$between"
            );
        let t = op_truth(op, v, ty, val.as_ref())?;
        if raw_float {
            cx.hoisted.push(t);
        } else {
            out.push(t);
        }
    }
    Ok(())
}

fn cmp_truth(val: Option<&Db>, op: &str, bound: Option<Db>) -> T3 {
    let (Some(a), Some(b)) = (val, bound) else {
        return T3::U;
    };
    let Some(o) = db_cmp(a, &b) else { return T3::U };
    b3(match op {
        "=" => o == Ordering::Equal,
        "!=" => o != Ordering::Equal,
        "<" => o == Ordering::Less,
        "<=" => o != Ordering::Greater,
        ">" => o == Ordering::Greater,
        ">=" => o != Ordering::Less,
        _ => false,
    })
}

fn op_truth(op: &str, v: &Value, ty: ColType, val: Option<&Db>) -> Result<T3, String> {
    let is_null = b3(val.is_none());
    let date_only = ty == ColType::Datetime
        && v.as_str().is_some_and(|s| s.len() < 11)
        && v.as_str().and_then(parse_date).is_some();
    let day = v.as_str().and_then(parse_date);
    Ok(match op {
        "$is_null" => is_null,
        "$not_null" => not3(is_null),
        "$empty" => or3(is_null, cmp_truth(val, "=", Some(Db::Text(String::new())))),
        "$not_empty" => and3(
            not3(is_null),
            cmp_truth(val, "!=", Some(Db::Text(String::new()))),
        ),
        "$equals" if date_only => {
            let d = day.unwrap_or_default();
            and3(
                cmp_truth(val, ">=", Some(Db::Time(d))),
                cmp_truth(val, "<=", Some(Db::Time(d + 86_399))),
            )
        }
        "$gt" if date_only => {
            cmp_truth(val, ">=", Some(Db::Time(day.unwrap_or_default() + 86_400)))
        }
        "$gte" if date_only => cmp_truth(val, ">=", Some(Db::Time(day.unwrap_or_default()))),
        "$lt" if date_only => cmp_truth(val, "<=", Some(Db::Time(day.unwrap_or_default() - 1))),
        "$lte" if date_only => {
            cmp_truth(val, "<=", Some(Db::Time(day.unwrap_or_default() + 86_399)))
        }
        "$equals" | "$not_equals" | "$lt" | "$lte" | "$gt" | "$gte" => {
            if v.is_array() || v.is_object() {
                return Err(format!("unmodelled: {op} with a non-scalar value"));
            }
            let sql = match op {
                "$equals" => "=",
                "$not_equals" => "!=",
                "$lt" => "<",
                "$lte" => "<=",
                "$gt" => ">",
                _ => ">=",
            };
            cmp_truth(val, sql, bind(v, ty))
        }
        "$starts" | "$ends" | "$contains" | "$not_contains" => {
            let values: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            let mut acc: Option<T3> = None;
            for item in values {
                let s = match item {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(true) => "1".into(),
                    _ => String::new(),
                };
                let pat = match op {
                    "$starts" => format!("{s}%"),
                    "$ends" => format!("%{s}"),
                    _ => format!("%{s}%"),
                };
                let like = match val {
                    None => T3::U,
                    Some(Db::Text(t)) => b3(mysql_like(t, &pat)),
                    Some(Db::Num(n)) => b3(mysql_like(n, &pat)),
                    Some(Db::Time(_)) => T3::U,
                };
                let t = if op == "$not_contains" {
                    or3(is_null, not3(like))
                } else {
                    like
                };
                acc = Some(match (acc, op) {
                    (None, _) => t,
                    (Some(a), "$not_contains") => and3(a, t),
                    (Some(a), _) => or3(a, t),
                });
            }
            acc.unwrap_or(T3::F)
        }
        "$in" | "$not_in" => {
            let Some(arr) = v.as_array() else {
                return Err(format!("422 {op} requires an array"));
            };
            let member = |list: &[&Value]| -> T3 {
                if list.is_empty() {
                    return T3::U; // `col IN (NULL)`
                }
                list.iter().fold(T3::F, |a, item| {
                    let b = if item.is_null() {
                        bind(&Value::String(String::new()), ty)
                    } else {
                        bind(item, ty)
                    };
                    or3(a, cmp_truth(val, "=", b))
                })
            };
            let all: Vec<&Value> = arr.iter().collect();
            let has_empty = arr.iter().any(|x| x.as_str() == Some(""));
            if op == "$in" {
                if has_empty {
                    or3(is_null, member(&all))
                } else {
                    member(&all)
                }
            } else if has_empty {
                let rest: Vec<&Value> = arr.iter().filter(|x| x.as_str() != Some("")).collect();
                if rest.is_empty() {
                    not3(is_null)
                } else {
                    // notNull AND (col IS NULL OR col NOT IN rest)
                    and3(not3(is_null), or3(is_null, not3(member(&rest))))
                }
            } else {
                or3(is_null, not3(member(&all)))
            }
        }
        "$between" | "$dateBetween" => {
            let Some([lo, hi]) = v
                .as_array()
                .map(Vec::as_slice)
                .and_then(|s| <&[Value; 2]>::try_from(s).ok())
            else {
                return Err(format!("422 {op} requires an array with two values."));
            };
            and3(
                cmp_truth(val, ">=", bind(lo, ty)),
                cmp_truth(val, "<=", bind(hi, ty)),
            )
        }
        other => return Err(format!("unmodelled operator {other}")),
    })
}

/// The truth of the body's filter on one row (`T` when there is no filter).
pub fn row_matches(
    filter: Option<&Value>,
    table: &Table,
    row: &Map<String, Value>,
) -> Result<T3, String> {
    let items = match filter {
        None => return Ok(T3::T),
        Some(Value::String(s)) if s.is_empty() => return Ok(T3::T),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("422 Unexpected filter type {other}")),
    };
    let mut cx = Ctx {
        table,
        row,
        hoisted: Vec::new(),
    };
    let main = eval_group(items, Group::And, &mut cx)?;
    let mut all: Vec<T3> = cx.hoisted;
    all.extend(main);
    Ok(combine(Group::And, &all).unwrap_or(T3::T))
}

/// The order of `order_by` (FilterApi/SugarApi `getOrderByFromArgs`).
fn order_keys(body: &Map<String, Value>, table: &Table) -> Result<Vec<(String, bool)>, String> {
    let spec = match body.get("order_by") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Ok(vec![("date_modified".into(), true)]),
    };
    let mut keys: Vec<(String, bool)> = Vec::new();
    for part in spec.split(',') {
        let (f, dir) = part.split_once(':').unwrap_or((part, ""));
        let f = f.trim();
        table
            .col(f)
            .map_err(|_| format!("422 Non existing field: {f} in module"))?;
        if keys.iter().any(|(k, _)| k == f) {
            continue;
        }
        keys.push((f.to_string(), dir.trim().eq_ignore_ascii_case("desc")));
    }
    Ok(keys)
}

fn php_int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => Some(s.trim().parse::<i64>().unwrap_or(0)),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => Some(0),
    }
}

/// Executes a filter request body: the indices of the rows of the response,
/// in order (one page: `max_num` rows from `offset`).
pub fn execute(body: &Value, table: &Table) -> Result<Vec<usize>, String> {
    let rows = execute_unpaged(body, table)?;
    let body = body.as_object().ok_or("body is not an object")?;
    let max_num = match php_int(body.get("max_num")) {
        None | Some(0) => 20,
        Some(n) => n,
    };
    let offset = php_int(body.get("offset")).unwrap_or(0).max(0) as usize;
    let rows = rows.into_iter().skip(offset);
    Ok(if max_num < 0 {
        rows.collect()
    } else {
        rows.take(max_num as usize).collect()
    })
}

/// Every matching row in the response order, before `max_num`/`offset`:
/// what consecutive pages of the same request slice.
pub fn execute_unpaged(body: &Value, table: &Table) -> Result<Vec<usize>, String> {
    let body = body.as_object().ok_or("body is not an object")?;
    let mut rows = Vec::new();
    for (i, row) in table.rows.iter().enumerate() {
        if row_matches(body.get("filter"), table, row)? == T3::T {
            rows.push(i);
        }
    }
    let keys = order_keys(body, table)?;
    let typed: Vec<(String, ColType, bool)> = keys
        .into_iter()
        .map(|(k, d)| table.col(&k).map(|t| (k, t, d)))
        .collect::<Result<_, _>>()?;
    rows.sort_by(|&a, &b| {
        for (k, ty, desc) in &typed {
            let (x, y) = (cell(&table.rows[a], k, *ty), cell(&table.rows[b], k, *ty));
            let o = match (&x, &y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(p), Some(q)) => db_cmp(p, q).unwrap_or(Ordering::Equal),
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(rows)
}

/// The fields each returned record carries: the known names of `fields` plus
/// `id` and `date_modified`; every column when `fields` is absent.
pub fn returned_fields(body: &Value, table: &Table) -> Vec<String> {
    let mut out: Vec<String> = match body.get("fields").and_then(Value::as_str) {
        Some(s) => s
            .split(',')
            .map(str::trim)
            .filter(|f| table.columns.iter().any(|(n, _)| n == f))
            .map(String::from)
            .collect(),
        None => return table.columns.iter().map(|(n, _)| n.clone()).collect(),
    };
    for m in ["id", "date_modified"] {
        if !out.iter().any(|f| f == m) && table.columns.iter().any(|(n, _)| n == m) {
            out.push(m.to_string());
        }
    }
    out
}

// ---- the request-shape validator (§8) ------------------------------------------------

fn ident_ok(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Checks a request body against the compiler rules of sugarcrm-filter.md §8.
/// `types` (when known) adds the typed-value checks of rule 4.
pub fn validate_body(body: &Value, table: Option<&Table>) -> Result<(), String> {
    let obj = body
        .as_object()
        .ok_or("rule: the body must be a JSON object")?;
    for k in obj.keys() {
        if !["filter", "fields", "order_by", "max_num", "offset"].contains(&k.as_str()) {
            return Err(format!("unexpected body key {k:?}"));
        }
    }
    if let Some(f) = obj.get("filter") {
        let items = f.as_array().ok_or("rule 1: filter must be an array")?;
        if items.is_empty() {
            return Err("rule 2: empty top-level filter array (omit filter instead)".into());
        }
        for it in items {
            check_item(it, 1, table)?;
        }
    }
    if let Some(f) = obj.get("fields") {
        let s = f
            .as_str()
            .ok_or("rule 11: fields must be a comma-separated string")?;
        let mut seen = Vec::new();
        for name in s.split(',') {
            if !ident_ok(name) {
                return Err(format!(
                    "rule 5/11: bad field name {name:?} in fields {s:?}"
                ));
            }
            if seen.contains(&name) {
                return Err(format!("rule 11: field {name:?} repeated"));
            }
            seen.push(name);
        }
    }
    if let Some(o) = obj.get("order_by") {
        let s = o.as_str().ok_or("rule 9: order_by must be a string")?;
        let mut seen = Vec::new();
        for part in s.split(',') {
            let (f, dir) = part
                .split_once(':')
                .ok_or_else(|| format!("rule 9: order_by item {part:?} has no direction"))?;
            if !ident_ok(f) {
                return Err(format!("rule 5/9: bad order_by field {f:?}"));
            }
            if !dir.eq_ignore_ascii_case("asc") && !dir.eq_ignore_ascii_case("desc") {
                return Err(format!(
                    "rule 9: order_by direction {dir:?} must be asc or desc"
                ));
            }
            if seen.contains(&f) {
                return Err(format!("rule 9: order_by field {f:?} repeated"));
            }
            seen.push(f);
        }
    }
    if let Some(m) = obj.get("max_num") {
        if m.as_u64().is_none_or(|n| n < 1) {
            return Err(format!("rule 10: max_num must be an integer >= 1, got {m}"));
        }
    }
    if let Some(o) = obj.get("offset") {
        if o.as_u64().is_none() {
            return Err(format!(
                "rule 10: offset must be a non-negative integer, got {o}"
            ));
        }
    }
    Ok(())
}

fn check_item(item: &Value, depth: usize, table: Option<&Table>) -> Result<(), String> {
    let obj = item
        .as_object()
        .ok_or_else(|| format!("rule 1: filter item {item} is not an object"))?;
    if obj.len() != 1 {
        return Err(format!(
            "rule 1: filter item {item} must have exactly one key"
        ));
    }
    let Some((key, spec)) = obj.iter().next() else {
        return Err("rule 1: empty item".into());
    };
    match key.as_str() {
        "$and" | "$or" => {
            if depth > 13 {
                return Err(format!("rule 3: $and/$or nested deeper than 13 ({depth})"));
            }
            let arr = spec
                .as_array()
                .ok_or_else(|| format!("rule 1: {key} needs an array"))?;
            if arr.is_empty() {
                return Err(format!("rule 2: empty {key} group (means TRUE)"));
            }
            for it in arr {
                check_item(it, depth + 1, table)?;
            }
            Ok(())
        }
        k if k.starts_with('$') => Err(format!("rule 5: `$` key {k:?} outside $and/$or")),
        field => {
            let ok = match field.split_once('.') {
                Some((link, f)) => ident_ok(link) && ident_ok(f),
                None => ident_ok(field),
            };
            if !ok {
                return Err(format!("rule 5: bad field name {field:?}"));
            }
            let ops = spec.as_object().ok_or_else(|| {
                format!("rule 1: {field:?} must hold an operator object, got {spec}")
            })?;
            if ops.len() != 1 {
                return Err(format!(
                    "rule 1: {field:?} must hold exactly one operator, got {spec}"
                ));
            }
            let Some((op, v)) = ops.iter().next() else {
                return Err("rule 1: empty operator object".into());
            };
            if !OPERATORS.contains(&op.as_str()) {
                return Err(format!("rule 5: unknown operator {op:?}"));
            }
            check_value(field, op, v, table)
        }
    }
}

fn check_value(field: &str, op: &str, v: &Value, table: Option<&Table>) -> Result<(), String> {
    let ty = table.and_then(|t| t.col(field).ok());
    let scalar_ok = |x: &Value| -> Result<(), String> {
        match x {
            Value::Null => Err(format!("rule 4: null value for {field} {op}")),
            Value::Object(_) => Err(format!("rule 4: object value for {field} {op}")),
            Value::Array(_) => Err(format!("rule 4: array value for {field} {op}")),
            _ => match (ty, x) {
                (Some(ColType::Int | ColType::Currency | ColType::Float), v) if !v.is_number() => {
                    Err(format!(
                        "rule 4: {field} is numeric, value {v} is not a JSON number"
                    ))
                }
                (Some(ColType::Bool), v) if !v.is_boolean() => Err(format!(
                    "rule 4: {field} is boolean, value {v} is not a JSON bool"
                )),
                (Some(ColType::Datetime), Value::String(s))
                    if parse_iso_datetime(s).is_none() || !has_zone(s) =>
                {
                    Err(format!(
                        "rule 4: datetime value {s:?} for {field} has no explicit offset"
                    ))
                }
                (Some(ColType::Date), Value::String(s)) if parse_date(s).is_none() => {
                    Err(format!("rule 4: bad date {s:?} for {field}"))
                }
                (Some(ColType::Datetime | ColType::Date), v) if !v.is_string() => {
                    Err(format!("rule 4: {field} needs a string value"))
                }
                _ => Ok(()),
            },
        }
    };
    match op {
        "$in" | "$not_in" => {
            let arr = v
                .as_array()
                .ok_or_else(|| format!("rule 4: {op} needs an array"))?;
            if arr.is_empty() {
                return Err(format!("rule 2: empty {op} array"));
            }
            arr.iter().try_for_each(scalar_ok)
        }
        "$between" | "$dateBetween" => match v.as_array() {
            Some(a) if a.len() == 2 => a.iter().try_for_each(scalar_ok),
            _ => Err(format!("rule 4: {op} needs [min, max]")),
        },
        "$is_null" | "$not_null" | "$empty" | "$not_empty" => {
            if v.as_str() == Some("") {
                Ok(())
            } else {
                Err(format!("rule 8: {op} takes the value \"\", got {v}"))
            }
        }
        "$starts" | "$ends" | "$contains" | "$not_contains" => {
            let s = v
                .as_str()
                .ok_or_else(|| format!("rule 6: {op} needs a string, got {v}"))?;
            if s.contains(['%', '_', '\\']) {
                return Err(format!(
                    "rule 6: LIKE value {s:?} contains % _ or \\ (live wildcards in Sugar)"
                ));
            }
            Ok(())
        }
        _ => scalar_ok(v),
    }
}

fn has_zone(s: &str) -> bool {
    s.len() > 19 && (s.ends_with('Z') || s[19..].contains(['+', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> Table {
        let columns = vec![
            ("id".to_string(), ColType::Id),
            ("name".to_string(), ColType::Varchar),
            ("industry".to_string(), ColType::Varchar),
            ("amount".to_string(), ColType::Currency),
            ("probability".to_string(), ColType::Int),
            ("rating".to_string(), ColType::Float),
            ("date_entered".to_string(), ColType::Datetime),
            ("date_closed".to_string(), ColType::Date),
            ("date_modified".to_string(), ColType::Datetime),
            ("is_active".to_string(), ColType::Bool),
        ];
        let rows = vec![
            json!({"id": "1", "name": "Acme", "industry": "Banking", "amount": 5000, "probability": 50, "rating": 1.5,
                   "date_entered": "2024-01-01T00:00:00+00:00", "date_closed": "2024-06-30", "date_modified": "2024-03-01T00:00:00Z", "is_active": true}),
            json!({"id": "2", "name": "a%b", "industry": null, "amount": 20000, "probability": 10, "rating": 2.5,
                   "date_entered": "2023-12-31T23:59:59+00:00", "date_closed": "2024-07-01", "date_modified": "2024-03-02T00:00:00Z", "is_active": false}),
            json!({"id": "3", "name": "axb", "industry": "Insurance", "amount": null, "probability": 60, "rating": null,
                   "date_entered": "2024-01-01T10:00:00+02:00", "date_closed": null, "date_modified": "2024-03-03T00:00:00Z", "is_active": null}),
            json!({"id": "4", "name": "Beta", "industry": "", "amount": 1, "probability": null, "rating": 1.5,
                   "date_entered": null, "date_closed": "2024-06-29", "date_modified": "2024-03-04T00:00:00Z", "is_active": true}),
        ];
        Table {
            columns,
            rows: rows
                .into_iter()
                .filter_map(|r| r.as_object().cloned())
                .collect(),
        }
    }

    fn ids(body: Value) -> Vec<&'static str> {
        let t = table();
        let names = ["1", "2", "3", "4"];
        execute(&body, &t)
            .unwrap()
            .into_iter()
            .map(|i| names[i])
            .collect()
    }

    #[test]
    fn worked_examples_of_section_7() {
        // 1, bare form equivalent
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$equals":"Banking"}}],"order_by":"id:asc"})),
            ["1"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":"banking"}],"order_by":"id:asc"})),
            ["1"]
        );
        // 2: != excludes NULL
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_equals":"Banking"}}],"order_by":"id:asc"})),
            ["3", "4"]
        );
        // 3, 4
        assert_eq!(
            ids(json!({"filter":[{"amount":{"$lt":10000}}],"order_by":"id:asc"})),
            ["1", "4"]
        );
        assert_eq!(
            ids(json!({"filter":[{"probability":{"$lte":50}}],"order_by":"id:asc"})),
            ["1", "2"]
        );
        // 5: date field
        assert_eq!(
            ids(json!({"filter":[{"date_closed":{"$gt":"2024-06-30"}}],"order_by":"id:asc"})),
            ["2"]
        );
        // 6: datetime with offset converted to UTC
        assert_eq!(
            ids(
                json!({"filter":[{"date_entered":{"$gte":"2024-01-01T00:00:00+00:00"}}],"order_by":"id:asc"})
            ),
            ["1", "3"]
        );
        // 7-9: LIKE with live wildcards
        assert_eq!(
            ids(json!({"filter":[{"name":{"$starts":"a"}}],"order_by":"id:asc"})),
            ["1", "2", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[{"name":{"$starts":"a%b"}}],"order_by":"id:asc"})),
            ["2", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[{"name":{"$ends":"TA"}}],"order_by":"id:asc"})),
            ["4"]
        );
        assert_eq!(
            ids(json!({"filter":[{"name":{"$contains":"_"}}],"order_by":"id:asc"})),
            ["1", "2", "3", "4"]
        );
        assert_eq!(
            ids(json!({"filter":[{"name":{"$contains":"\\%"}}],"order_by":"id:asc"})),
            ["2"]
        );
        // 10, 11
        assert_eq!(
            ids(
                json!({"filter":[{"industry":{"$in":["Banking","Insurance"]}}],"order_by":"id:asc"})
            ),
            ["1", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_in":["Banking"]}}],"order_by":"id:asc"})),
            ["2", "3", "4"]
        );
        assert_eq!(
            ids(
                json!({"filter":[{"$and":[{"industry":{"$not_null":""}},{"industry":{"$not_in":["Banking"]}}]}],"order_by":"id:asc"})
            ),
            ["3", "4"]
        );
        // 12, 13
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$is_null":""}}],"order_by":"id:asc"})),
            ["2"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_null":""}}],"order_by":"id:asc"})),
            ["1", "3", "4"]
        );
        // 14, 15, 16
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$equals":"Banking"}},{"name":{"$equals":"Acme"}}]})),
            ["1"]
        );
        assert_eq!(
            ids(
                json!({"filter":[{"$or":[{"industry":{"$equals":"Banking"}},{"industry":{"$equals":"Insurance"}}]}],"order_by":"id:asc"})
            ),
            ["1", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[
                {"$or":[{"industry":{"$equals":"Banking"}},{"industry":{"$equals":"Insurance"}}]},
                {"$or":[{"name":{"$starts":"Z"}},{"$and":[{"probability":{"$gt":55}},{"industry":{"$in":["Insurance","x"]}}]}]}
            ],"order_by":"id:asc"})),
            ["3"]
        );
        // 17: explicit directions; NULL first ascending
        assert_eq!(
            ids(json!({"order_by":"industry:asc,id:desc"})),
            ["2", "4", "1", "3"]
        );
        assert_eq!(ids(json!({"order_by":"amount:desc"})), ["2", "1", "4", "3"]);
        // 18: max_num / offset, 0 means 20, negative no limit
        assert_eq!(
            ids(json!({"order_by":"id:asc","max_num":2,"offset":1})),
            ["2", "3"]
        );
        assert_eq!(
            ids(json!({"order_by":"id:asc","max_num":0})),
            ["1", "2", "3", "4"]
        );
        assert_eq!(
            ids(json!({"order_by":"id:asc","max_num":-1,"offset":3})),
            ["4"]
        );
        // default order: date_modified DESC
        assert_eq!(ids(json!({})), ["4", "3", "2", "1"]);
        // 19: fields
        let t = table();
        assert_eq!(
            returned_fields(&json!({"fields":"name,industry,bogus"}), &t),
            ["name", "industry", "id", "date_modified"]
        );
    }

    #[test]
    fn grouping_follows_the_container() {
        // a two-key object inside $or is OR-ed; at the top it is AND-ed
        assert_eq!(
            ids(
                json!({"filter":[{"$or":[{"name":{"$equals":"acme"},"probability":{"$equals":10}}]}],"order_by":"id:asc"})
            ),
            ["1", "2"]
        );
        assert_eq!(
            ids(
                json!({"filter":[{"name":{"$equals":"acme"},"probability":{"$equals":10}}],"order_by":"id:asc"})
            ),
            Vec::<&str>::new()
        );
        // multi-operator object inside $or: amount > 1 OR amount < 5 → every non-null amount
        assert_eq!(
            ids(json!({"filter":[{"$or":[{"amount":{"$gt":10000,"$lt":2}}]}],"order_by":"id:asc"})),
            ["2", "4"]
        );
        // empty groups compile to nothing
        assert_eq!(
            ids(json!({"filter":[{"$or":[]}],"order_by":"id:asc"})),
            ["1", "2", "3", "4"]
        );
        assert_eq!(
            ids(json!({"filter":[{"$or":[{"$and":[]},{"id":"2"}]}],"order_by":"id:asc"})),
            ["2"]
        );
        assert_eq!(
            ids(json!({"filter":"","order_by":"id:asc"})),
            ["1", "2", "3", "4"]
        );
    }

    #[test]
    fn null_including_operators_and_empty_string_quirks() {
        assert_eq!(
            ids(json!({"filter":[{"name":{"$not_contains":"b"}}],"order_by":"id:asc"})),
            ["1"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_contains":"bank"}}],"order_by":"id:asc"})),
            ["2", "3", "4"]
        );
        // "" in $in adds IS NULL
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$in":[""]}}],"order_by":"id:asc"})),
            ["2", "4"]
        );
        // "" in $not_in: IS NOT NULL AND NOT IN (rest); '' rows stay
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_in":["","Banking"]}}],"order_by":"id:asc"})),
            ["3", "4"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_in":[""]}}],"order_by":"id:asc"})),
            ["1", "3", "4"]
        );
        // empty $in matches nothing, empty $not_in only NULLs
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$in":[]}}],"order_by":"id:asc"})),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$not_in":[]}}],"order_by":"id:asc"})),
            ["2"]
        );
        // "" and false bind as the empty value of the type
        assert_eq!(
            ids(json!({"filter":[{"is_active":{"$equals":false}}],"order_by":"id:asc"})),
            ["2"]
        );
        assert_eq!(
            ids(json!({"filter":[{"probability":{"$not_equals":""}}],"order_by":"id:asc"})),
            ["1", "2", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[{"industry":{"$empty":""}}],"order_by":"id:asc"})),
            ["2", "4"]
        );
    }

    #[test]
    fn datetimes_dates_and_raw_float_hoisting() {
        // date-only value on a datetime field covers the whole day
        assert_eq!(
            ids(json!({"filter":[{"date_entered":{"$equals":"2024-01-01"}}],"order_by":"id:asc"})),
            ["1", "3"]
        );
        assert_eq!(
            ids(json!({"filter":[{"date_entered":{"$lt":"2024-01-01"}}],"order_by":"id:asc"})),
            ["2"]
        );
        assert_eq!(
            ids(json!({"filter":[{"date_entered":{"$gt":"2023-12-31"}}],"order_by":"id:asc"})),
            ["1", "3"]
        );
        // fractions dropped: >= 00:00:00.5 is >= 00:00:00
        assert_eq!(
            ids(
                json!({"filter":[{"date_entered":{"$gte":"2024-01-01T00:00:00.5Z"}}],"order_by":"id:asc"})
            ),
            ["1", "3"]
        );
        // a float comparison inside $or is hoisted to the top-level AND
        // (without hoisting: rows 1, 2 and 4)
        assert_eq!(
            ids(
                json!({"filter":[{"$or":[{"rating":{"$equals":1.5}},{"id":"2"}]}],"order_by":"id:asc"})
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(
                json!({"filter":[{"$or":[{"rating":{"$equals":2.5}},{"id":"2"}]}],"order_by":"id:asc"})
            ),
            ["2"]
        );
        assert_eq!(
            ids(
                json!({"filter":[{"$or":[{"amount":{"$equals":1}},{"id":"2"}]}],"order_by":"id:asc"})
            ),
            ["2", "4"]
        );
    }

    #[test]
    fn errors_of_the_server() {
        let t = table();
        for (body, msg) in [
            (json!({"filter":[{"name":["x"]}]}), "operand: 0"),
            (json!({"filter":[["x"]]}), "definition"),
            (json!({"filter":[{"name":{"$like":"x"}}]}), "operand: $like"),
            (
                json!({"filter":[{"industry":{"$in":"x"}}]}),
                "requires an array",
            ),
            (json!({"filter":[{"nope":"x"}]}), "Unknown field nope"),
            (json!({"filter":{"a":1}}), "Unexpected filter type"),
            (json!({"filter":[{"$or":{"a":1}}]}), "needs an array"),
        ] {
            let e = execute(&body, &t).unwrap_err();
            assert!(e.contains(msg), "{body}: {e}");
        }
    }

    #[test]
    fn shape_validator_rules() {
        let t = table();
        let ok = json!({"filter":[{"$or":[{"name":{"$starts":"A"}},{"$and":[{"industry":{"$not_null":""}},{"industry":{"$not_in":["x"]}}]}]}],
                        "fields":"name,industry","order_by":"name:asc,date_entered:desc","max_num":25,"offset":0});
        validate_body(&ok, Some(&t)).unwrap();
        validate_body(
            &json!({"filter":[{"date_entered":{"$gte":"2024-01-01T00:00:00+00:00"}}]}),
            Some(&t),
        )
        .unwrap();
        let mut deep = json!({"name":{"$equals":"x"}});
        for _ in 0..13 {
            deep = json!({"$and":[deep, {"id":{"$equals":"1"}}]});
        }
        validate_body(&json!({"filter":[deep.clone()]}), Some(&t)).unwrap();
        let deeper = json!({"$or":[deep, {"id":{"$equals":"1"}}]});
        for (bad, rule) in [
            (json!({"filter":[{"name":"x"}]}), "rule 1"),
            (
                json!({"filter":[{"name":{"$equals":"x"},"id":{"$equals":"1"}}]}),
                "rule 1",
            ),
            (json!({"filter":[{"amount":{"$gt":1,"$lt":5}}]}), "rule 1"),
            (json!({"filter":[{"$or":[]}]}), "rule 2"),
            (json!({"filter":[]}), "rule 2"),
            (json!({"filter":[deeper]}), "rule 3"),
            (json!({"filter":[{"name":{"$equals":null}}]}), "rule 4"),
            (
                json!({"filter":[{"name":{"$equals":{"$field":"id"}}}]}),
                "rule 4",
            ),
            (json!({"filter":[{"name":{"$equals":["x"]}}]}), "rule 4"),
            (json!({"filter":[{"amount":{"$equals":"5"}}]}), "rule 4"),
            (json!({"filter":[{"is_active":{"$equals":1}}]}), "rule 4"),
            (
                json!({"filter":[{"date_entered":{"$gt":"2024-01-01T00:00:00"}}]}),
                "rule 4",
            ),
            (json!({"filter":[{"industry":{"$in":[]}}]}), "rule 2"),
            (json!({"filter":[{"$name":{"$equals":"x"}}]}), "rule 5"),
            (json!({"filter":[{"na me":{"$equals":"x"}}]}), "rule 5"),
            (json!({"filter":[{"name":{"$starts":"a%"}}]}), "rule 6"),
            (json!({"filter":[{"name":{"$contains":"a\\b"}}]}), "rule 6"),
            (json!({"filter":[{"name":{"$is_null":null}}]}), "rule 8"),
            (json!({"order_by":["name:asc"]}), "rule 9"),
            (json!({"order_by":"name"}), "rule 9"),
            (json!({"order_by":"name:up"}), "rule 9"),
            (json!({"order_by":"name:asc,name:desc"}), "rule 9"),
            (json!({"max_num":0}), "rule 10"),
            (json!({"max_num":-1}), "rule 10"),
            (json!({"fields":["name"]}), "rule 11"),
            (json!({"fields":"name,,id"}), "rule 5/11"),
        ] {
            let e = validate_body(&bad, Some(&t)).unwrap_err();
            assert!(e.starts_with(rule), "{bad}: {e}");
        }
    }

    #[test]
    fn mysql_like_matcher() {
        assert!(mysql_like("Hello", "h%"));
        assert!(mysql_like("a%b", "a\\%b"));
        assert!(!mysql_like("axb", "a\\%b"));
        assert!(mysql_like("axb", "a_b"));
        assert!(mysql_like("", "%"));
        assert!(!mysql_like("", "_"));
        assert!(mysql_like("ÉCOLE", "%é%"));
    }
}
