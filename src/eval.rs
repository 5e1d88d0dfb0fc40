//! The reference meaning of a query: evaluate a validated [`crate::ir::Query`]
//! against records you already hold.
//!
//! This is KQL's semantics written once, in plain Rust, with no target in
//! sight. The conformance tests compare every backend's output, executed by
//! third-party SOQL and OData implementations (and a SugarCRM filter
//! evaluator), against it. It is also useful on its own: apply a query to
//! JSON records fetched earlier, or to test data.
//!
//! ```
//! use kql::{check, eval, Lang, Options};
//! use serde_json::json;
//!
//! let q = check("SELECT Name FROM Account WHERE Employees > 10 AND Name LIKE 'ac%' ORDER BY Name DESC",
//!               Lang::Kql, None, &Options::default()).unwrap();
//! let records = [
//!     json!({"Name": "Acme", "Employees": 50}),
//!     json!({"Name": "acorn", "Employees": 12.5}),
//!     json!({"Name": "Acre", "Employees": null}),   // NULL > 10 is UNKNOWN: not returned
//!     json!({"Name": "Beta", "Employees": 99}),
//! ];
//! let rows = eval::eval(&q, &records, &eval::EvalOptions::default());
//! assert_eq!(rows, [json!({"Name": "acorn"}), json!({"Name": "Acme"})]);
//! ```
//!
//! # Semantics
//!
//! **Records.** A record is a JSON object ([`serde_json::Value`] or
//! [`serde_json::Map`]). A field is read by its exact (case-sensitive) name; a
//! dotted path `a.b` reads `b` inside the object `a`. A missing field, a JSON
//! `null`, a path through a non-object, and any record that is not an object
//! all give **NULL**. Nothing here panics, whatever the records hold.
//!
//! **Three-valued logic.** Every predicate is TRUE, FALSE or UNKNOWN, and
//! `AND`/`OR`/`NOT` follow Kleene's tables (SQL-92): `FALSE AND x = FALSE`,
//! `TRUE OR x = TRUE`, `NOT UNKNOWN = UNKNOWN`. `WHERE` keeps the rows whose
//! condition is TRUE.
//!
//! **Comparisons** (`=`, `!=`, `<`, `<=`, `>`, `>=`) between the field's value
//! and the literal:
//!
//! | literal | record value | compared as |
//! |---|---|---|
//! | number | JSON number | exact decimals (a JSON float is taken at its shortest round-trip decimal form, e.g. `0.1`; no `f64` arithmetic) |
//! | string | JSON string | strings, by Unicode scalar values after lower-casing both sides when [`EvalOptions::case_insensitive`] (the default), else exactly |
//! | `TRUE`/`FALSE` | JSON boolean | booleans (`FALSE < TRUE`) |
//! | date or datetime | JSON string holding an ISO-8601 date (`YYYY-MM-DD`) or a datetime with a zone (`…T hh:mm[:ss[.f]]` + `Z`, `±hh:mm` or `±hhmm`) | instants: a datetime at its offset, a date at 00:00 UTC |
//! | anything else | | **UNKNOWN** (a type mismatch is not an error, it just matches nothing, not even under `!=`) |
//!
//! NULL compared with anything is UNKNOWN, so `x != 'a'` does not return rows
//! where `x` is NULL.
//!
//! **`LIKE`** (`'kw%'`, `'%kw'`, `'%kw%'`) needs a string value (else UNKNOWN)
//! and tests starts-with / ends-with / contains on the literal text — `%`,
//! `_` and `[` inside the text are ordinary characters — with the same case
//! rule as `=`. `NOT LIKE` is the 3VL negation.
//!
//! **`IN (v1, …)`** is `x = v1 OR x = v2 …` and `NOT IN` its negation, so a
//! NULL `x` gives UNKNOWN for both. **`IS NULL`** is TRUE for NULL, else FALSE
//! (never UNKNOWN).
//!
//! **`ORDER BY`** sorts stably (ties keep the input order) with NULL as the
//! smallest value: first under `ASC`, last under `DESC` — the default of
//! Salesforce, SQL Server/Dataverse and MySQL/SugarCRM. Values of different
//! kinds sort as NULL < booleans < numbers < strings < arrays and objects
//! (equal to each other). Strings sort as text, with the same case rule as
//! comparisons — except that when every string value of a sort key (among the
//! rows being sorted) is an ISO-8601 date or datetime with a zone, that key
//! sorts them as instants (a datetime column with mixed offsets sorts
//! chronologically; a text column that merely holds one date-like value
//! still sorts as text).
//!
//! **`OFFSET`, then `LIMIT`** are applied to the sorted rows.
//!
//! **Output.** `SELECT *` returns each whole record; a field list returns one
//! object per row whose keys are the paths as written (`"a.b"` for a dotted
//! path) and whose values are the values read (NULL as `null`).
//!
//! **Case.** CRMs compare strings case-insensitively (Salesforce, Dataverse,
//! MySQL's default collations), so that is the default. The third-party
//! oracles differ (open-soql's `=` is case-sensitive, SQLite folds ASCII
//! only); `case_insensitive: false` gives exact, code-point semantics.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::ir::{CmpOp, Cond, Date, DateTime, Direction, LikePattern, Literal, Query, Selection};

/// Options of an evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalOptions {
    /// Compare strings (in `=`, `<`, `LIKE`, `IN` and `ORDER BY`) after
    /// lower-casing both sides (Unicode lower-case mapping). Default `true`.
    pub case_insensitive: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            case_insensitive: true,
        }
    }
}

/// A truth value of SQL's three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Truth {
    /// TRUE.
    True,
    /// FALSE.
    False,
    /// UNKNOWN (a NULL or a type mismatch was involved).
    Unknown,
}

impl Truth {
    /// `NOT`: TRUE ↔ FALSE, UNKNOWN stays UNKNOWN.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    /// Kleene `AND`: FALSE wins, then UNKNOWN.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene `OR`: TRUE wins, then UNKNOWN.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// `true` only for TRUE (what `WHERE` keeps).
    pub fn is_true(self) -> bool {
        self == Truth::True
    }

    fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// Something a query can be evaluated against: a JSON object.
pub trait Record {
    /// The value at `path` (`.`-separated), `None` when absent.
    fn get_path(&self, path: &str) -> Option<&Value>;
    /// The whole record, for `SELECT *`.
    fn to_value(&self) -> Value;
}

impl Record for Map<String, Value> {
    fn get_path(&self, path: &str) -> Option<&Value> {
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut cur = self.get(first)?;
        for seg in segments {
            cur = cur.as_object()?.get(seg)?;
        }
        Some(cur)
    }

    fn to_value(&self) -> Value {
        Value::Object(self.clone())
    }
}

impl Record for Value {
    fn get_path(&self, path: &str) -> Option<&Value> {
        self.as_object()?.get_path(path)
    }

    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// Evaluates `query` over `records`: filter, sort, offset, limit, then the
/// selected fields of each row (see the [module documentation](self)).
pub fn eval<R: Record>(query: &Query<'_>, records: &[R], options: &EvalOptions) -> Vec<Value> {
    eval_indices(query, records, options)
        .into_iter()
        .filter_map(|i| records.get(i))
        .map(|r| project(query, r))
        .collect()
}

/// Like [`eval`], but returns the positions in `records` of the result rows,
/// in result order.
pub fn eval_indices<R: Record>(
    query: &Query<'_>,
    records: &[R],
    options: &EvalOptions,
) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..records.len())
        .filter(|&i| {
            query
                .filter
                .as_ref()
                .is_none_or(|c| matches(c, &records[i], options).is_true())
        })
        .collect();
    if !query.order_by.is_empty() {
        let modes: Vec<StringOrder> = query
            .order_by
            .iter()
            .map(|k| string_order(records, &rows, &k.field.path))
            .collect();
        rows.sort_by(|&a, &b| {
            for (key, mode) in query.order_by.iter().zip(&modes) {
                let path = key.field.path.as_ref();
                let ord = sort_cmp(
                    records[a].get_path(path),
                    records[b].get_path(path),
                    *mode,
                    options,
                );
                let ord = match key.direction {
                    Direction::Asc => ord,
                    Direction::Desc => ord.reverse(),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let offset = query
        .offset
        .map_or(0, |c| usize::try_from(c.value).unwrap_or(usize::MAX));
    let limit = query.limit.map_or(usize::MAX, |c| {
        usize::try_from(c.value).unwrap_or(usize::MAX)
    });
    rows.into_iter().skip(offset).take(limit).collect()
}

/// The selected fields of one record (the whole record for `SELECT *`).
pub fn project<R: Record>(query: &Query<'_>, record: &R) -> Value {
    match &query.selection {
        Selection::All { .. } => record.to_value(),
        Selection::Fields { fields } => Value::Object(
            fields
                .iter()
                .map(|f| {
                    (
                        f.path.to_string(),
                        record.get_path(&f.path).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect(),
        ),
    }
}

/// The truth value of a condition on one record.
pub fn matches<R: Record>(cond: &Cond<'_>, record: &R, options: &EvalOptions) -> Truth {
    match cond {
        Cond::And { operands, .. } => operands
            .iter()
            .fold(Truth::True, |acc, c| acc.and(matches(c, record, options))),
        Cond::Or { operands, .. } => operands
            .iter()
            .fold(Truth::False, |acc, c| acc.or(matches(c, record, options))),
        Cond::Not { operand, .. } => matches(operand, record, options).not(),
        Cond::Compare {
            field, op, value, ..
        } => compare(value_of(record, &field.path), *op, &value.literal, options),
        Cond::Like {
            field,
            pattern,
            negated,
            ..
        } => {
            let t = like(value_of(record, &field.path), pattern, options);
            if *negated {
                t.not()
            } else {
                t
            }
        }
        Cond::In {
            field,
            values,
            negated,
            ..
        } => {
            let v = value_of(record, &field.path);
            let t = values.iter().fold(Truth::False, |acc, lit| {
                acc.or(compare(v, CmpOp::Eq, &lit.literal, options))
            });
            if *negated {
                t.not()
            } else {
                t
            }
        }
        Cond::IsNull { field, negated, .. } => {
            Truth::from_bool(value_of(record, &field.path).is_some() == *negated)
        }
    }
}

/// The value at `path`, `None` for NULL (absent or JSON null).
fn value_of<'r, R: Record>(record: &'r R, path: &str) -> Option<&'r Value> {
    record.get_path(path).filter(|v| !v.is_null())
}

/// `value op literal` in three-valued logic.
pub fn compare(
    value: Option<&Value>,
    op: CmpOp,
    literal: &Literal<'_>,
    options: &EvalOptions,
) -> Truth {
    let Some(value) = value else {
        return Truth::Unknown;
    };
    let ord = match (literal, value) {
        (Literal::Number(lit), Value::Number(n)) => decimal_cmp(&n.to_string(), lit),
        (Literal::String(lit), Value::String(s)) => str_cmp(s, lit, options),
        (Literal::Bool(lit), Value::Bool(b)) => Some(b.cmp(lit)),
        (Literal::Date(d), Value::String(s)) => parse_instant(s).map(|i| i.cmp(&date_instant(*d))),
        (Literal::DateTime(dt), Value::String(s)) => {
            parse_instant(s).map(|i| i.cmp(&datetime_instant(dt)))
        }
        _ => None,
    };
    let Some(ord) = ord else {
        return Truth::Unknown;
    };
    Truth::from_bool(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    })
}

fn like(value: Option<&Value>, pattern: &LikePattern<'_>, options: &EvalOptions) -> Truth {
    let Some(value) = value else {
        return Truth::Unknown;
    };
    let Some(s) = value.as_str() else {
        return Truth::Unknown;
    };
    let (s, text) = if options.case_insensitive {
        (fold(s), fold(pattern.text()))
    } else {
        (s.to_string(), pattern.text().to_string())
    };
    Truth::from_bool(match pattern {
        LikePattern::StartsWith(_) => s.starts_with(&text),
        LikePattern::EndsWith(_) => s.ends_with(&text),
        LikePattern::Contains(_) => s.contains(&text),
    })
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn str_cmp(a: &str, b: &str, options: &EvalOptions) -> Option<Ordering> {
    Some(if options.case_insensitive {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    } else {
        a.cmp(b)
    })
}

/// How a sort key compares strings: as instants when every string value of
/// the key (in the rows being sorted) is an ISO date or datetime with a zone,
/// else as text. Deciding per key keeps the order total.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StringOrder {
    Instants,
    Text,
}

fn string_order<R: Record>(records: &[R], rows: &[usize], path: &str) -> StringOrder {
    let all_instants = rows
        .iter()
        .filter_map(|&i| records.get(i)?.get_path(path)?.as_str())
        .all(|s| parse_instant(s).is_some());
    if all_instants {
        StringOrder::Instants
    } else {
        StringOrder::Text
    }
}

/// The total order of `ORDER BY` (NULL smallest); see the module docs.
fn sort_cmp(
    a: Option<&Value>,
    b: Option<&Value>,
    strings: StringOrder,
    options: &EvalOptions,
) -> Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            None | Some(Value::Null) => 0,
            Some(Value::Bool(_)) => 1,
            Some(Value::Number(_)) => 2,
            Some(Value::String(_)) => 3,
            Some(Value::Array(_) | Value::Object(_)) => 4,
        }
    }
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            decimal_cmp(&x.to_string(), &y.to_string()).unwrap_or(Ordering::Equal)
        }
        (Some(Value::String(x)), Some(Value::String(y))) => {
            match (strings, parse_instant(x), parse_instant(y)) {
                (StringOrder::Instants, Some(i), Some(j)) => i.cmp(&j),
                _ => str_cmp(x, y, options).unwrap_or(Ordering::Equal),
            }
        }
        _ => Ordering::Equal,
    }
}

// ---- exact decimals ---------------------------------------------------------

/// A decimal `±0.d1d2…dn × 10^exp` with `d1 != 0` and `dn != 0` (zero has no digits).
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// Parses `-?digits[.digits][(e|E)[+-]digits]` (also `.5`); `None` otherwise.
    fn parse(s: &str) -> Option<Decimal> {
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let exp10: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // Saturate: anything this large compares by its sign alone.
                e.parse::<i64>().unwrap_or(if e.starts_with('-') {
                    i64::MIN / 4
                } else {
                    i64::MAX / 4
                })
            }
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let lead = all.iter().take_while(|&&d| d == 0).count();
        let mut digits = all[lead..].to_vec();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exp: 0,
            });
        }
        let int_len = i64::try_from(int.len()).unwrap_or(i64::MAX / 4);
        let lead = i64::try_from(lead).unwrap_or(i64::MAX / 4);
        Some(Decimal {
            negative,
            digits,
            exp: int_len.saturating_sub(lead).saturating_add(exp10),
        })
    }

    fn signum(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (sa, sb) = (self.signum(), other.signum());
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let magnitude = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two decimal texts exactly; `None` if either is not a decimal.
fn decimal_cmp(a: &str, b: &str) -> Option<Ordering> {
    Some(Decimal::parse(a)?.cmp(&Decimal::parse(b)?))
}

// ---- instants -----------------------------------------------------------------

/// Seconds since 1970-01-01T00:00:00Z and nanoseconds.
type Instant = (i64, u32);

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn date_instant(d: Date) -> Instant {
    (
        days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)) * 86_400,
        0,
    )
}

fn datetime_instant(dt: &DateTime) -> Instant {
    let (days, _) = date_instant(dt.date);
    let secs = days + i64::from(dt.hour) * 3600 + i64::from(dt.minute) * 60 + i64::from(dt.second)
        - i64::from(dt.offset()) * 60;
    (secs, dt.nanos)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Parses an ISO-8601 date `YYYY-MM-DD` (as 00:00 UTC) or a datetime
/// `YYYY-MM-DDThh:mm[:ss[.f…]](Z|±hh:mm|±hhmm)`; `None` for anything else
/// (including a datetime without a zone and impossible dates).
fn parse_instant(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    let dim = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > dim {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some((days * 86_400, 0));
    }
    if !matches!(b[10], b'T' | b't') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b':') {
        second = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut j = start;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j == start {
                return None;
            }
            let mut frac = std::str::from_utf8(&b[start..j.min(start + 9)])
                .ok()?
                .to_string();
            while frac.len() < 9 {
                frac.push('0');
            }
            nanos = frac.parse().ok()?;
            i = j;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_secs: i64 = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let rest = &b[i + 1..];
            let (h, m) = match rest.len() {
                5 if rest[2] == b':' => (num(i + 1..i + 3)?, num(i + 4..i + 6)?),
                4 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let o = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
        - offset_secs;
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, Lang, Options};
    use serde_json::json;

    const T: Truth = Truth::True;
    const F: Truth = Truth::False;
    const U: Truth = Truth::Unknown;

    #[test]
    fn kleene_truth_tables() {
        let all = [T, F, U];
        let and = [[T, F, U], [F, F, F], [U, F, U]];
        let or = [[T, T, T], [T, F, U], [T, U, U]];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert_eq!(a.and(*b), and[i][j], "{a:?} AND {b:?}");
                assert_eq!(a.or(*b), or[i][j], "{a:?} OR {b:?}");
            }
        }
        assert_eq!([T.not(), F.not(), U.not()], [F, T, U]);
    }

    fn q(src: &str) -> Query<'_> {
        check(src, Lang::Kql, None, &Options::default().extended(true)).unwrap()
    }

    fn truth(cond: &str, rec: Value) -> Truth {
        let src = format!("SELECT Id FROM X WHERE {cond}");
        let query = q(&src);
        matches(
            query.filter.as_ref().unwrap(),
            &rec,
            &EvalOptions::default(),
        )
    }

    /// The 3VL tables through the query language: a = 1 (TRUE), b = 1 (FALSE), c IS UNKNOWN (NULL).
    #[test]
    fn kleene_through_queries() {
        let rec = json!({"t": 1, "f": 2, "n": null});
        let atoms = [("t = 1", T), ("f = 1", F), ("n = 1", U)];
        for (a, ta) in atoms {
            assert_eq!(truth(&format!("NOT ({a})"), rec.clone()), ta.not());
            for (b, tb) in atoms {
                assert_eq!(
                    truth(&format!("{a} AND {b}"), rec.clone()),
                    ta.and(tb),
                    "{a} AND {b}"
                );
                assert_eq!(
                    truth(&format!("{a} OR {b}"), rec.clone()),
                    ta.or(tb),
                    "{a} OR {b}"
                );
                assert_eq!(
                    truth(&format!("NOT ({a} OR {b})"), rec.clone()),
                    ta.or(tb).not()
                );
            }
        }
    }

    #[test]
    fn null_and_missing_are_unknown() {
        for rec in [
            json!({"x": null}),
            json!({}),
            json!([1, 2]),
            json!("text"),
            json!({"x": {"y": 1}}),
        ] {
            for cond in [
                "x = 'a'",
                "x != 'a'",
                "x < 5",
                "x LIKE '%a%'",
                "x NOT LIKE 'a%'",
                "x IN ('a')",
                "x NOT IN ('a')",
            ] {
                let t = truth(cond, rec.clone());
                assert_eq!(t, U, "{cond} on {rec}");
            }
            assert_eq!(truth("x.y.z = 1", rec.clone()), U);
        }
        assert_eq!(truth("x IS NULL", json!({"x": null})), T);
        assert_eq!(truth("x IS NULL", json!({})), T);
        assert_eq!(truth("x IS NOT NULL", json!({})), F);
        assert_eq!(truth("x IS NOT NULL", json!({"x": ""})), T);
        assert_eq!(truth("x IS NULL", json!({"x": false})), F);
    }

    #[test]
    fn type_mismatch_is_unknown() {
        assert_eq!(truth("x = 1", json!({"x": "1"})), U);
        assert_eq!(truth("x != 1", json!({"x": "1"})), U);
        assert_eq!(truth("x = 'true'", json!({"x": true})), U);
        assert_eq!(truth("x = TRUE", json!({"x": 1})), U);
        assert_eq!(truth("x > '2024-01-01'", json!({"x": "not a date"})), U);
        assert_eq!(truth("x LIKE 'a%'", json!({"x": 12})), U);
        assert_eq!(truth("x IN (1, 'a')", json!({"x": "b"})), U);
        assert_eq!(truth("x IN (1, 'b')", json!({"x": "b"})), T);
        assert_eq!(truth("x NOT IN (1, 'b')", json!({"x": "b"})), F);
    }

    #[test]
    fn exact_decimals() {
        assert_eq!(truth("x = 0.1", json!({"x": 0.1})), T);
        assert_eq!(truth("x = 1", json!({"x": 1.0})), T);
        assert_eq!(truth("x = 100", json!({"x": 1e2})), T);
        assert_eq!(truth("x = 0", json!({"x": -0.0})), T);
        assert_eq!(
            truth("x > 9007199254740992", json!({"x": 9007199254740993u64})),
            T
        );
        assert_eq!(truth("x < 18446744073709551616", json!({"x": u64::MAX})), T);
        assert_eq!(truth("x = -12.5", json!({"x": -12.5})), T);
        assert_eq!(truth("x < -12.4", json!({"x": -12.5})), T);
        assert_eq!(truth("x > -12.51", json!({"x": -12.5})), T);
        assert_eq!(truth("x > 1e-7", json!({"x": 1.5e-7})), T);
        assert_eq!(truth("x <= 0.00000015", json!({"x": 1.5e-7})), T);
        assert_eq!(
            truth("x > 123456789012345678901234567890", json!({"x": 1e300})),
            T
        );
        let cmp = |a: &str, b: &str| decimal_cmp(a, b);
        assert_eq!(cmp("0010.50", "10.5"), Some(Ordering::Equal));
        assert_eq!(cmp("-0", "0.000"), Some(Ordering::Equal));
        assert_eq!(cmp("-1", "-0.5"), Some(Ordering::Less));
        assert_eq!(cmp(".5", "0.5"), Some(Ordering::Equal));
        assert_eq!(cmp("1e999999999999999999999", "1"), Some(Ordering::Greater));
        assert_eq!(
            cmp("1e-999999999999999999999", "0"),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp("abc", "1"), None);
        assert_eq!(cmp("1.", "1"), Some(Ordering::Equal));
        assert_eq!(cmp(".", "1"), None);
        assert_eq!(cmp("1e", "1"), None);
    }

    #[test]
    fn strings_and_case() {
        let ci = EvalOptions::default();
        let cs = EvalOptions {
            case_insensitive: false,
        };
        let rec = json!({"x": "ÀcmE"});
        let query = q("SELECT x FROM X WHERE x = 'àCME'");
        let c = query.filter.as_ref().unwrap();
        assert_eq!(matches(c, &rec, &ci), T);
        assert_eq!(matches(c, &rec, &cs), F);
        assert_eq!(truth("x LIKE '%C[%'", json!({"x": "abc[%def"})), T);
        assert_eq!(truth("x LIKE '[a]%'", json!({"x": "abc"})), F);
        assert_eq!(truth("x LIKE '[a]%'", json!({"x": "[A]c"})), T);
        assert_eq!(truth("x LIKE '%\\'", json!({"x": "a\\"})), T);
        assert_eq!(truth("x LIKE '%z'", json!({"x": "abc"})), F);
        assert_eq!(truth("x NOT LIKE '%z'", json!({"x": "abc"})), T);
        assert_eq!(truth("x < 'b'", json!({"x": "A"})), T);
        assert_eq!(truth("x > 'B'", json!({"x": "a"})), F);
        assert_eq!(truth("x = ''", json!({"x": ""})), T);
    }

    #[test]
    fn dates_and_datetimes_as_instants() {
        assert_eq!(
            truth(
                "x = '2024-01-15T10:30:00Z'",
                json!({"x": "2024-01-15T12:30:00+02:00"})
            ),
            T
        );
        assert_eq!(
            truth(
                "x = '2024-01-15T10:30:00Z'",
                json!({"x": "2024-01-15T12:30:00.000+0200"})
            ),
            T
        );
        assert_eq!(
            truth(
                "x < '2024-01-15T10:30:00.5Z'",
                json!({"x": "2024-01-15T10:30:00.499Z"})
            ),
            T
        );
        assert_eq!(
            truth(
                "x > '2024-01-15T10:30:00-05:00'",
                json!({"x": "2024-01-15T15:30:01Z"})
            ),
            T
        );
        assert_eq!(truth("x = '2024-02-29'", json!({"x": "2024-02-29"})), T);
        assert_eq!(
            truth(
                "x >= '2024-02-29'",
                json!({"x": "2024-02-28T23:59:59-01:00"})
            ),
            T
        );
        assert_eq!(
            truth("x = '2024-02-29'", json!({"x": "2024-02-29T00:00:00Z"})),
            T
        );
        // no zone, impossible dates, junk: UNKNOWN
        assert_eq!(
            truth(
                "x = '2024-01-15T10:30:00Z'",
                json!({"x": "2024-01-15T10:30:00"})
            ),
            U
        );
        assert_eq!(truth("x < '2024-01-15'", json!({"x": "2023-02-29"})), U);
        assert_eq!(truth("x < '2024-01-15'", json!({"x": "2023-1-01"})), U);
        assert_eq!(
            truth("x < '2024-01-15'", json!({"x": "2023-01-01T25:00:00Z"})),
            U
        );
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse_instant("1970-01-01T01:00+01:00"), Some((0, 0)));
        assert_eq!(
            parse_instant("0000-03-01"),
            Some((days_from_civil(0, 3, 1) * 86_400, 0))
        );
        assert_eq!(
            parse_instant("1969-12-31T23:59:59.25Z"),
            Some((-1, 250_000_000))
        );
        for junk in [
            "",
            "2024",
            "2024-01-01X",
            "2024-01-01T",
            "2024-01-01T10:00Z+",
            "２０２４-01-01",
            "2024-01-01T10:00:00.Z",
        ] {
            assert_eq!(parse_instant(junk), None, "{junk}");
        }
    }

    #[test]
    fn in_lists() {
        assert_eq!(truth("x IN ('a', 'b')", json!({"x": "B"})), T);
        assert_eq!(truth("x IN ('a', 'b')", json!({"x": "c"})), F);
        assert_eq!(truth("x NOT IN ('a', 'b')", json!({"x": "c"})), T);
        assert_eq!(truth("x IN (1, 2.50)", json!({"x": 2.5})), T);
    }

    #[test]
    fn order_limit_offset_projection() {
        let recs = vec![
            json!({"id": 1, "n": "b", "v": 2}),
            json!({"id": 2, "n": null, "v": 1}),
            json!({"id": 3, "n": "A", "v": 2}),
            json!({"id": 4, "v": 3}),
            json!({"id": 5, "n": "a", "v": 1, "o": {"p": "z"}}),
        ];
        let opts = EvalOptions::default();
        let ids = |src: &str| -> Vec<usize> {
            eval_indices(&q(src), &recs, &opts)
                .into_iter()
                .map(|i| i + 1)
                .collect()
        };
        assert_eq!(ids("SELECT id FROM X ORDER BY n"), [2, 4, 3, 5, 1]);
        assert_eq!(ids("SELECT id FROM X ORDER BY n DESC"), [1, 3, 5, 2, 4]);
        assert_eq!(ids("SELECT id FROM X ORDER BY v DESC, n"), [4, 3, 1, 2, 5]);
        assert_eq!(ids("SELECT id FROM X ORDER BY v LIMIT 2 OFFSET 1"), [5, 1]);
        assert_eq!(ids("SELECT id FROM X LIMIT 0"), Vec::<usize>::new());
        assert_eq!(ids("SELECT id FROM X OFFSET 99"), Vec::<usize>::new());
        assert_eq!(ids("SELECT id FROM X WHERE v = 1 OFFSET 1"), [5]);
        let rows = eval(
            &q("SELECT id, o.p, missing FROM X WHERE id = 5"),
            &recs,
            &opts,
        );
        assert_eq!(rows, [json!({"id": 5, "o.p": "z", "missing": null})]);
        let rows = eval(&q("SELECT * FROM X WHERE id = 4"), &recs, &opts);
        assert_eq!(rows, [json!({"id": 4, "v": 3})]);
        let maps: Vec<Map<String, Value>> =
            recs.iter().filter_map(|r| r.as_object().cloned()).collect();
        assert_eq!(
            eval_indices(&q("SELECT id FROM X WHERE n LIKE 'a%'"), &maps, &opts),
            [2, 4]
        );
    }

    #[test]
    fn mixed_kinds_sort_totally() {
        let recs = vec![
            json!({"k": "zz"}),
            json!({"k": [1]}),
            json!({"k": "2024-01-01T00:00:00+01:00"}),
            json!({"k": 5}),
            json!({"k": true}),
            json!({"k": "2023-12-31T23:30:00Z"}),
            json!({"k": null}),
            json!({"k": {"a": 1}}),
            json!({"k": "Aa"}),
        ];
        // not every string is an instant: text order
        let idx = eval_indices(
            &q("SELECT k FROM X ORDER BY k"),
            &recs,
            &EvalOptions::default(),
        );
        assert_eq!(idx, [6, 4, 3, 5, 2, 8, 0, 1, 7]);
        // every string is an instant: chronological (2024-01-01T00:00+01:00 is 2023-12-31T23:00Z)
        let idx = eval_indices(
            &q("SELECT k FROM X WHERE k != 'zz' AND k != 'Aa' ORDER BY k"),
            &recs,
            &EvalOptions::default(),
        );
        assert_eq!(idx, [2, 5]);
        let idx = eval_indices(
            &q("SELECT k FROM X WHERE k IS NOT NULL ORDER BY k DESC"),
            &recs[2..7],
            &EvalOptions::default(),
        );
        assert_eq!(idx, [3, 0, 1, 2]);
    }

    #[test]
    fn never_panics_on_odd_records() {
        let query = q("SELECT a.b, c FROM X WHERE a.b > 1 OR c LIKE '%x%' OR d IN (1, 'x') ORDER BY a.b DESC, c LIMIT 3");
        let recs = vec![
            json!(null),
            json!(1),
            json!([]),
            json!({"a": []}),
            json!({"a": {"b": "x"}}),
            json!({"c": 3}),
        ];
        let rows = eval(&query, &recs, &EvalOptions::default());
        assert!(rows.is_empty());
    }
}
