//! An independent SOQL executor, the test oracle for the salesforce rows check.
//!
//! It parses the subset of SOQL that kql emits, spelled as Salesforce's grammar
//! spells it (`SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]`),
//! and runs it over an in-memory table under one of two NULL models. It is
//! written from the SOQL documentation and shares no code with the `kql`
//! crate. Anything it cannot parse, an unknown object or field, or a literal
//! whose type does not fit its column is an `Err`, never a panic.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// The type of a column, which fixes how its values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColKind {
    /// A record id (text).
    Id,
    /// Text, compared case-insensitively.
    Str,
    /// An integer (compared as `f64`).
    Int,
    /// A decimal (compared as `f64`).
    Dec,
    /// A boolean.
    Bool,
    /// `YYYY-MM-DD` text, compared as a date.
    Date,
    /// ISO-8601 text with an offset, compared as an instant.
    DateTime,
}

/// What a comparison with a NULL field means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullModel {
    /// SQL three-valued logic: a comparison with NULL is UNKNOWN, NOT UNKNOWN is UNKNOWN, only TRUE selects a row.
    Sql3vl,
    /// Two-valued, NULL as a value: `!=` and `NOT IN` are TRUE on NULL, every
    /// other comparison (and LIKE, IN) is FALSE, NOT is plain negation.
    NullAsValue,
}

/// An in-memory object to query.
pub struct Table<'a> {
    /// The object's API name, e.g. `"Account"`.
    pub object: &'a str,
    /// Every field the table has.
    pub columns: Vec<(&'a str, ColKind)>,
    /// The records; a missing field or JSON null is NULL.
    pub rows: &'a [Map<String, Value>],
}

/// Parses and runs `soql`; returns the selected rows in result order, each a JSON object with exactly the selected fields (names as written in the SELECT list, values copied from the row, NULL as Value::Null). Err(message) for anything it cannot parse or an unknown object/field.
pub fn execute(soql: &str, table: &Table<'_>, model: NullModel) -> Result<Vec<Value>, String> {
    let toks = lex(soql)?;
    let query = Parser {
        toks,
        pos: 0,
        table,
    }
    .query()?;
    run(&query, table, model)
}

// ---------------------------------------------------------------- values

/// A UTC instant: seconds since 1970-01-01T00:00:00Z and nanoseconds.
type Instant = (i64, u32);

/// A comparable value; the variant always matches the column's kind.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Text { raw: String, lower: String },
    Num(f64),
    Bool(bool),
    Date(i64),
    Instant(Instant),
}

fn text(raw: String) -> Val {
    let lower = raw.to_lowercase();
    Val::Text { raw, lower }
}

/// Orders two values of one kind (the parser checks kinds match).
fn compare(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Text { lower: x, .. }, Val::Text { lower: y, .. }) => x.cmp(y),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Date(x), Val::Date(y)) => x.cmp(y),
        (Val::Instant(x), Val::Instant(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The number written with exactly `n` ASCII digits at `s[at..at + n]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// `YYYY-MM-DD` as days since the epoch.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `YYYY-MM-DDThh:mm:ss(.f+)?(Z|+hh:mm|-hh:mm)` as a UTC instant.
fn parse_datetime(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    let days = parse_date(s.get(..10)?)?;
    if b.get(10) != Some(&b'T') || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (h, mi, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 9 {
            return None;
        }
        let frac = digits(b, at + 1, n)?;
        nanos = u32::try_from(frac * 10i64.pow(9 - n as u32)).ok()?;
        at += 1 + n;
    }
    let offset = match (b.get(at), b.len() - at) {
        (Some(b'Z'), 1) => 0,
        (Some(&sign @ (b'+' | b'-')), 6) if b[at + 3] == b':' => {
            let (oh, om) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset, nanos))
}

// ---------------------------------------------------------------- lexer

/// One character of a string literal: `\%` and `\_` stay apart from `%` and `_`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SChar {
    C(char),
    EscPercent,
    EscUnderscore,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(Vec<SChar>),
    Num(String),
    Date(i64),
    DateTime(Instant),
    Sym(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || "_.:+-".contains(*c))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(unquoted_literal(&word)?);
        } else if c == '\'' {
            let (s, end) = string_literal(&chars, i + 1)?;
            out.push(Tok::Str(s));
            i = end;
        } else {
            let two: String = [Some(c), next].iter().flatten().collect();
            if let Some(sym) = ["!=", "<>", "<=", ">="].into_iter().find(|s| *s == two) {
                out.push(Tok::Sym(sym));
                i += 2;
            } else if let Some(sym) = ["=", "<", ">", "(", ")", ","]
                .into_iter()
                .find(|s| s.starts_with(c))
            {
                out.push(Tok::Sym(sym));
                i += 1;
            } else {
                return Err(format!("unexpected character {c:?} at {i}"));
            }
        }
    }
    Ok(out)
}

/// A number `-?digits(.digits)?`, a date or a datetime.
fn unquoted_literal(w: &str) -> Result<Tok, String> {
    let unsigned = w.strip_prefix('-').unwrap_or(w);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "1"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(int) && all_digits(frac) {
        return Ok(Tok::Num(w.to_string()));
    }
    if let Some(d) = parse_date(w) {
        return Ok(Tok::Date(d));
    }
    if let Some(t) = parse_datetime(w) {
        return Ok(Tok::DateTime(t));
    }
    Err(format!("invalid literal `{w}`"))
}

/// Decodes a quoted string whose body starts at `chars[i]`; returns it and the
/// index after the closing quote.
fn string_literal(chars: &[char], mut i: usize) -> Result<(Vec<SChar>, usize), String> {
    let mut out = Vec::new();
    loop {
        let c = *chars.get(i).ok_or("unterminated string literal")?;
        i += 1;
        if c == '\'' {
            return Ok((out, i));
        }
        if c != '\\' {
            out.push(SChar::C(c));
            continue;
        }
        let e = *chars.get(i).ok_or("unterminated string literal")?;
        i += 1;
        out.push(match e {
            '\'' | '"' | '\\' => SChar::C(e),
            'n' => SChar::C('\n'),
            'r' => SChar::C('\r'),
            't' => SChar::C('\t'),
            'b' => SChar::C('\u{8}'),
            'f' => SChar::C('\u{c}'),
            '%' => SChar::EscPercent,
            '_' => SChar::EscUnderscore,
            'u' => {
                let mut cp = hex4(chars, &mut i)?;
                if (0xD800..0xDC00).contains(&cp) {
                    // a high surrogate must be followed by `\u` and a low one
                    if chars.get(i..i + 2) != Some(&['\\', 'u'][..]) {
                        return Err("unpaired surrogate in \\u escape".into());
                    }
                    i += 2;
                    let low = hex4(chars, &mut i)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err("unpaired surrogate in \\u escape".into());
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                SChar::C(char::from_u32(cp).ok_or("unpaired surrogate in \\u escape")?)
            }
            other => return Err(format!("invalid escape \\{other}")),
        });
    }
}

/// The four hex digits of a `\uXXXX` escape at `chars[*i]`.
fn hex4(chars: &[char], i: &mut usize) -> Result<u32, String> {
    let hex: String = chars
        .get(*i..*i + 4)
        .ok_or("short \\u escape")?
        .iter()
        .collect();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("bad \\u{hex} escape"));
    }
    *i += 4;
    u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- AST and parser

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pat {
    Any,
    One,
    Ch(char),
}

#[derive(Debug)]
enum Test {
    IsNull,
    NotNull,
    Cmp(Op, Val),
    Like(Vec<Pat>),
    In(Vec<Val>),
    NotIn(Vec<Val>),
}

#[derive(Debug)]
enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Pred(usize, Test),
}

struct OrderKey {
    col: usize,
    desc: bool,
    nulls_first: bool,
}

struct Query {
    /// (name as written, column index)
    fields: Vec<(String, usize)>,
    cond: Option<Cond>,
    order: Vec<OrderKey>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// Salesforce's reserved keywords: never a field or object name.
const RESERVED: &[&str] = &[
    "and", "asc", "desc", "excludes", "first", "from", "group", "having", "in", "includes", "last",
    "like", "limit", "not", "null", "nulls", "or", "select", "where", "with",
];

struct Parser<'t, 'a> {
    toks: Vec<Tok>,
    pos: usize,
    table: &'t Table<'a>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Result<Tok, String> {
        let t = self.peek().cloned().ok_or("unexpected end of query")?;
        self.pos += 1;
        Ok(t)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), String> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(format!("expected {kw}, found {:?}", self.peek()))
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), String> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(format!("expected `{sym}`, found {:?}", self.peek()))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Word(w) if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) => Ok(w),
            t => Err(format!("expected a name, found {t:?}")),
        }
    }

    /// A field name, resolved case-insensitively to a column index.
    fn field(&mut self) -> Result<(String, usize), String> {
        let name = self.name()?;
        let col = self
            .table
            .columns
            .iter()
            .position(|(c, _)| c.eq_ignore_ascii_case(&name))
            .ok_or_else(|| format!("no such column `{name}` on {}", self.table.object))?;
        Ok((name, col))
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        match self.next()? {
            Tok::Num(n) => n
                .parse()
                .map_err(|_| format!("{what} needs a count, not {n}")),
            t => Err(format!("{what} needs a count, found {t:?}")),
        }
    }

    fn query(mut self) -> Result<Query, String> {
        self.expect_kw("SELECT")?;
        let mut fields: Vec<(String, usize)> = Vec::new();
        loop {
            let f = self.field()?;
            if fields.iter().any(|(_, c)| *c == f.1) {
                return Err(format!("duplicate field selected: {}", f.0));
            }
            fields.push(f);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let object = self.name()?;
        if !object.eq_ignore_ascii_case(self.table.object) {
            return Err(format!("sObject type '{object}' is not supported"));
        }
        let cond = if self.eat_kw("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let (_, col) = self.field()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                let nulls_first = if self.eat_kw("NULLS") {
                    if self.eat_kw("LAST") {
                        false
                    } else {
                        self.expect_kw("FIRST")?;
                        true
                    }
                } else {
                    true
                };
                order.push(OrderKey {
                    col,
                    desc,
                    nulls_first,
                });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.count("LIMIT")?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.count("OFFSET")?)
        } else {
            None
        };
        if let Some(t) = self.peek() {
            return Err(format!("unexpected {t:?} after the query"));
        }
        Ok(Query {
            fields,
            cond,
            order,
            limit,
            offset,
        })
    }

    /// `elem (AND elem)*` or `elem (OR elem)*`: mixing the two needs parentheses.
    fn cond(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.elem()?];
        let mut conj: Option<bool> = None; // Some(true) = AND, Some(false) = OR
        loop {
            let and = if self.eat_kw("AND") {
                true
            } else if self.eat_kw("OR") {
                false
            } else {
                break;
            };
            if conj.is_some_and(|c| c != and) {
                return Err("AND and OR mixed without parentheses".into());
            }
            conj = Some(and);
            items.push(self.elem()?);
        }
        Ok(match conj {
            None => items.pop().ok_or("empty condition")?,
            Some(true) => Cond::And(items),
            Some(false) => Cond::Or(items),
        })
    }

    /// `NOT primary` or `primary`.
    fn elem(&mut self) -> Result<Cond, String> {
        if self.eat_kw("NOT") {
            if self.is_kw("NOT") {
                return Err("NOT must be followed by a comparison or a parenthesised group".into());
            }
            return Ok(Cond::Not(Box::new(self.primary()?)));
        }
        self.primary()
    }

    /// `( cond )` or a field predicate.
    fn primary(&mut self) -> Result<Cond, String> {
        if self.eat_sym("(") {
            let c = self.cond()?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        let (name, col) = self.field()?;
        let kind = self.table.columns[col].1;
        let test = match self.next()? {
            Tok::Sym(s @ ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=")) => {
                let op = match s {
                    "=" => Op::Eq,
                    "!=" | "<>" => Op::Ne,
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    _ => Op::Ge,
                };
                if self.eat_kw("null") {
                    match op {
                        Op::Eq => Test::IsNull,
                        Op::Ne => Test::NotNull,
                        _ => return Err(format!("`{s} null` is not allowed")),
                    }
                } else {
                    if kind == ColKind::Bool && !matches!(op, Op::Eq | Op::Ne) {
                        return Err(format!("boolean field {name} only takes = and !="));
                    }
                    Test::Cmp(op, self.literal(kind, &name)?)
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("LIKE") => {
                if !matches!(kind, ColKind::Str | ColKind::Id) {
                    return Err(format!("LIKE on non-text field {name}"));
                }
                match self.next()? {
                    Tok::Str(s) => Test::Like(s.into_iter().map(pattern_char).collect()),
                    t => return Err(format!("LIKE needs a string, found {t:?}")),
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IN") => Test::In(self.list(kind, &name)?),
            Tok::Word(w) if w.eq_ignore_ascii_case("NOT") => {
                self.expect_kw("IN")?;
                Test::NotIn(self.list(kind, &name)?)
            }
            t => return Err(format!("expected an operator after {name}, found {t:?}")),
        };
        Ok(Cond::Pred(col, test))
    }

    fn list(&mut self, kind: ColKind, name: &str) -> Result<Vec<Val>, String> {
        self.expect_sym("(")?;
        let mut vals = vec![self.literal(kind, name)?];
        while self.eat_sym(",") {
            vals.push(self.literal(kind, name)?);
        }
        self.expect_sym(")")?;
        Ok(vals)
    }

    /// A literal of the column's type (Salesforce rejects any other).
    fn literal(&mut self, kind: ColKind, name: &str) -> Result<Val, String> {
        let tok = self.next()?;
        let v = match (kind, &tok) {
            (ColKind::Str | ColKind::Id, Tok::Str(s)) => {
                let mut raw = String::new();
                for c in s {
                    match c {
                        SChar::C(c) => raw.push(*c),
                        _ => return Err("\\% and \\_ are only allowed in LIKE patterns".into()),
                    }
                }
                Some(text(raw))
            }
            (ColKind::Int | ColKind::Dec, Tok::Num(n)) => n.parse().ok().map(Val::Num),
            (ColKind::Bool, Tok::Word(w)) if w.eq_ignore_ascii_case("true") => {
                Some(Val::Bool(true))
            }
            (ColKind::Bool, Tok::Word(w)) if w.eq_ignore_ascii_case("false") => {
                Some(Val::Bool(false))
            }
            (ColKind::Date, Tok::Date(d)) => Some(Val::Date(*d)),
            (ColKind::DateTime, Tok::DateTime(t)) => Some(Val::Instant(*t)),
            _ => None,
        };
        v.ok_or_else(|| format!("{tok:?} does not fit field {name} ({kind:?})"))
    }
}

fn pattern_char(c: SChar) -> Pat {
    match c {
        SChar::C('%') => Pat::Any,
        SChar::C('_') => Pat::One,
        SChar::C(c) => Pat::Ch(c),
        SChar::EscPercent => Pat::Ch('%'),
        SChar::EscUnderscore => Pat::Ch('_'),
    }
}

// ---------------------------------------------------------------- execution

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

/// The field's raw JSON value: by exact name, else case-insensitively.
fn raw<'r>(row: &'r Map<String, Value>, name: &str) -> Option<&'r Value> {
    row.get(name)
        .or_else(|| {
            row.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// The row's value of a column, `None` for NULL; Err when it does not fit the kind.
fn cell(row: &Map<String, Value>, name: &str, kind: ColKind) -> Result<Option<Val>, String> {
    let Some(v) = raw(row, name) else {
        return Ok(None);
    };
    let val = match (kind, v) {
        (ColKind::Str | ColKind::Id, Value::String(s)) => Some(text(s.clone())),
        (ColKind::Int | ColKind::Dec, Value::Number(n)) => n.as_f64().map(Val::Num),
        (ColKind::Bool, Value::Bool(b)) => Some(Val::Bool(*b)),
        (ColKind::Date, Value::String(s)) => parse_date(s).map(Val::Date),
        (ColKind::DateTime, Value::String(s)) => parse_datetime(s).map(Val::Instant),
        _ => None,
    };
    val.map(Some)
        .ok_or_else(|| format!("row value {v} of {name} is not a {kind:?}"))
}

fn eq_ci(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Whole-value, case-insensitive LIKE match (`%` any run, `_` one character).
fn like(value: &str, pat: &[Pat]) -> bool {
    let v: Vec<char> = value.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None; // (pattern index after the %, value index)
    while i < v.len() {
        let step = match pat.get(j) {
            Some(Pat::One) => true,
            Some(Pat::Ch(c)) => eq_ci(*c, v[i]),
            _ => false,
        };
        if step {
            i += 1;
            j += 1;
        } else if pat.get(j) == Some(&Pat::Any) {
            star = Some((j + 1, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            star = Some((sj, si + 1));
            j = sj;
            i = si + 1;
        } else {
            return false;
        }
    }
    pat[j..].iter().all(|p| *p == Pat::Any)
}

fn test(t: &Test, v: Option<&Val>, model: NullModel) -> Truth {
    let Some(v) = v else {
        return match (t, model) {
            (Test::IsNull, _) => Truth::True,
            (Test::NotNull, _) => Truth::False,
            (_, NullModel::Sql3vl) => Truth::Unknown,
            (Test::Cmp(Op::Ne, _) | Test::NotIn(_), NullModel::NullAsValue) => Truth::True,
            (_, NullModel::NullAsValue) => Truth::False,
        };
    };
    let equal = |l: &Val| compare(v, l) == Ordering::Equal;
    Truth::of(match t {
        Test::IsNull => false,
        Test::NotNull => true,
        Test::Cmp(op, l) => {
            let o = compare(v, l);
            match op {
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                Op::Ge => o != Ordering::Less,
            }
        }
        Test::Like(p) => matches!(v, Val::Text { raw, .. } if like(raw, p)),
        Test::In(ls) => ls.iter().any(equal),
        Test::NotIn(ls) => !ls.iter().any(equal),
    })
}

fn eval(c: &Cond, cells: &[Option<Val>], model: NullModel) -> Truth {
    match c {
        Cond::And(cs) => cs
            .iter()
            .fold(Truth::True, |acc, c| acc.min(eval(c, cells, model))),
        Cond::Or(cs) => cs
            .iter()
            .fold(Truth::False, |acc, c| acc.max(eval(c, cells, model))),
        Cond::Not(c) => eval(c, cells, model).not(),
        Cond::Pred(col, t) => test(t, cells[*col].as_ref(), model),
    }
}

fn used_columns(c: &Cond, used: &mut [bool]) {
    match c {
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| used_columns(c, used)),
        Cond::Not(c) => used_columns(c, used),
        Cond::Pred(col, _) => used[*col] = true,
    }
}

fn run(q: &Query, table: &Table<'_>, model: NullModel) -> Result<Vec<Value>, String> {
    let mut used = vec![false; table.columns.len()];
    if let Some(c) = &q.cond {
        used_columns(c, &mut used);
    }
    q.order.iter().for_each(|k| used[k.col] = true);
    // cells[row][col]: converted only for the columns the query reads
    let mut cells = Vec::with_capacity(table.rows.len());
    for row in table.rows {
        let mut r = Vec::with_capacity(table.columns.len());
        for (&(name, kind), &u) in table.columns.iter().zip(&used) {
            r.push(if u { cell(row, name, kind)? } else { None });
        }
        cells.push(r);
    }
    let mut picked: Vec<usize> = (0..table.rows.len())
        .filter(|&i| match &q.cond {
            Some(c) => eval(c, &cells[i], model) == Truth::True,
            None => true,
        })
        .collect();
    picked.sort_by(|&a, &b| {
        q.order
            .iter()
            .map(|k| match (&cells[a][k.col], &cells[b][k.col]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) if k.nulls_first => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) if k.nulls_first => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) if k.desc => compare(x, y).reverse(),
                (Some(x), Some(y)) => compare(x, y),
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    let skip = q.offset.unwrap_or(0);
    let take = q.limit.unwrap_or(usize::MAX);
    Ok(picked
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|i| {
            let row = &table.rows[i];
            let obj: Map<String, Value> = q
                .fields
                .iter()
                .map(|(name, col)| {
                    let v = raw(row, table.columns[*col].0).cloned();
                    (name.clone(), v.unwrap_or(Value::Null))
                })
                .collect();
            Value::Object(obj)
        })
        .collect())
}

// ---------------------------------------------------------------- tests

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Map<String, Value>> {
        let rows = json!([
            {"Id": "1", "Name": "alpha", "N": 1, "Amt": 1.5, "Flag": true,
             "D": "2024-01-05", "T": "2024-01-01T10:00:00Z"},
            {"Id": "2", "Name": "Beta", "N": 7, "Amt": -12.5, "Flag": false,
             "D": "2023-12-31", "T": "2024-01-01T15:00:00+05:30"},
            {"Id": "3", "Name": null, "Amt": null, "Flag": true,
             "D": null, "T": "2024-01-01T02:00:00-08:00"},
            {"Id": "4", "Name": "o'brien", "N": 3, "Amt": 100, "Flag": false,
             "D": "2024-02-29", "T": "2023-12-31T23:30:00.123Z"},
            {"Id": "5", "Name": "a\\b", "N": 10, "Amt": 0, "Flag": true,
             "D": "2020-01-01", "T": "2024-01-01T10:00:00.500+00:00"},
            {"Id": "6", "Name": "50%", "N": 7, "Amt": 2, "Flag": false,
             "D": "2021-06-15", "T": null},
            {"Id": "7", "Name": "ALPHA\nline", "N": -4, "Amt": 3, "Flag": true,
             "D": "2022-03-03", "T": "2024-01-02T13:00:00+14:00"},
        ]);
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn table(rows: &[Map<String, Value>]) -> Table<'_> {
        Table {
            object: "Account",
            columns: vec![
                ("Id", ColKind::Id),
                ("Name", ColKind::Str),
                ("N", ColKind::Int),
                ("Amt", ColKind::Dec),
                ("Flag", ColKind::Bool),
                ("D", ColKind::Date),
                ("T", ColKind::DateTime),
            ],
            rows,
        }
    }

    /// The ids `soql` returns under `model`, in result order.
    fn ids(soql: &str, model: NullModel) -> Vec<String> {
        let rows = rows();
        let out = execute(soql, &table(&rows), model).unwrap_or_else(|e| panic!("{soql}: {e}"));
        out.iter()
            .map(|r| r["Id"].as_str().unwrap().to_string())
            .collect()
    }

    fn where_ids(cond: &str, model: NullModel) -> Vec<String> {
        ids(&format!("SELECT Id FROM Account WHERE {cond}"), model)
    }

    fn both(cond: &str) -> (Vec<String>, Vec<String>) {
        (
            where_ids(cond, NullModel::Sql3vl),
            where_ids(cond, NullModel::NullAsValue),
        )
    }

    fn err(soql: &str) -> String {
        let rows = rows();
        match execute(soql, &table(&rows), NullModel::Sql3vl) {
            Err(e) => e,
            Ok(r) => panic!("{soql} should fail, returned {r:?}"),
        }
    }

    #[test]
    fn ne_returns_the_null_row_only_under_null_as_value() {
        let (sql, nav) = both("Name != 'alpha'");
        assert_eq!(sql, ["2", "4", "5", "6", "7"]);
        assert_eq!(nav, ["2", "3", "4", "5", "6", "7"]);
        assert_eq!(both("Name <> 'alpha'"), (sql, nav));
    }

    #[test]
    fn ne_with_a_not_null_guard_agrees() {
        let (sql, nav) = both("(Name != 'x' AND Name != null)");
        assert_eq!(sql, ["1", "2", "4", "5", "6", "7"]);
        assert_eq!(sql, nav);
    }

    #[test]
    fn null_tests() {
        assert_eq!(both("Name = null"), (vec!["3".into()], vec!["3".into()]));
        let (sql, nav) = both("N != null");
        assert_eq!(sql, ["1", "2", "4", "5", "6", "7"]);
        assert_eq!(sql, nav);
        // an absent field is NULL too
        assert_eq!(where_ids("N = NULL", NullModel::Sql3vl), ["3"]);
    }

    #[test]
    fn not_like_differs() {
        let (sql, nav) = both("NOT Name LIKE 'a%'");
        assert_eq!(sql, ["2", "4", "6"]);
        assert_eq!(nav, ["2", "3", "4", "6"]);
        assert_eq!(both("(NOT Name LIKE 'a%')"), (sql, nav));
    }

    #[test]
    fn not_in_and_in_differ() {
        let (sql, nav) = both("Name NOT IN ('alpha', 'BETA')");
        assert_eq!(sql, ["4", "5", "6", "7"]);
        assert_eq!(nav, ["3", "4", "5", "6", "7"]);
        assert_eq!(
            both("Name IN ('alpha')"),
            (vec!["1".into()], vec!["1".into()])
        );
        let (sql, nav) = both("NOT (Name IN ('alpha'))");
        assert_eq!(sql.len() + 1, nav.len());
    }

    #[test]
    fn not_of_a_comparison_differs() {
        let (sql, nav) = both("NOT (N < 5)");
        assert_eq!(sql, ["2", "5", "6"]);
        assert_eq!(nav, ["2", "3", "5", "6"]);
        assert_eq!(both("N >= 5"), (sql.clone(), sql));
    }

    #[test]
    fn kleene_and_or() {
        // UNKNOWN OR TRUE is TRUE; UNKNOWN AND TRUE is not
        assert_eq!(
            where_ids("Name = 'zz' OR Id = '3'", NullModel::Sql3vl),
            ["3"]
        );
        assert!(where_ids("Name != 'zz' AND Id = '3'", NullModel::Sql3vl).is_empty());
        assert_eq!(
            where_ids("Name != 'zz' AND Id = '3'", NullModel::NullAsValue),
            ["3"]
        );
        // NOT (UNKNOWN AND FALSE) = NOT FALSE = TRUE
        assert_eq!(
            where_ids(
                "NOT (Name = 'zz' AND Id = '9') AND Id = '3'",
                NullModel::Sql3vl
            ),
            ["3"]
        );
    }

    #[test]
    fn mixed_and_or_needs_parentheses() {
        assert!(err("SELECT Id FROM Account WHERE N = 1 AND N = 2 OR N = 3").contains("mixed"));
        assert!(err("SELECT Id FROM Account WHERE N = 1 OR N = 2 AND N = 3").contains("mixed"));
        assert!(
            err("SELECT Id FROM Account WHERE (N = 1 OR (N = 2 AND N = 3 OR N = 4))")
                .contains("mixed")
        );
        let ok = where_ids("(N = 1 AND Flag = true) OR N = 3", NullModel::Sql3vl);
        assert_eq!(ok, ["1", "4"]);
        assert_eq!(
            where_ids("N = 1 or n = 3 OR N = 7", NullModel::Sql3vl),
            ["1", "2", "4", "6"]
        );
    }

    #[test]
    fn escapes_decode() {
        assert_eq!(where_ids(r"Name = 'o\'brien'", NullModel::Sql3vl), ["4"]);
        assert_eq!(where_ids(r"Name = 'A\\B'", NullModel::Sql3vl), ["5"]);
        assert_eq!(where_ids(r"Name = 'alpha\nLINE'", NullModel::Sql3vl), ["7"]);
        assert_eq!(where_ids(r"Name = '\u0061lpha'", NullModel::Sql3vl), ["1"]);
        assert_eq!(
            where_ids(r#"Name IN ('\"', '\t\r\b\f')"#, NullModel::Sql3vl),
            Vec::<String>::new()
        );
        assert!(err(r"SELECT Id FROM Account WHERE Name = 'a\qb'").contains("escape"));
        assert!(err(r"SELECT Id FROM Account WHERE Name = '50\%'").contains("LIKE"));
        err(r"SELECT Id FROM Account WHERE Name = 'x\u12'");
        err(r"SELECT Id FROM Account WHERE Name = 'x\ud800'");
        err(r"SELECT Id FROM Account WHERE Name = 'x\ud800\u0041'");
        err(r"SELECT Id FROM Account WHERE Name = 'x\udc00'");
        let emoji = lex(r"'\ud83d\ude00\u00e9'");
        assert_eq!(
            emoji,
            Ok(vec![Tok::Str(vec![SChar::C('😀'), SChar::C('é')])])
        );
        err("SELECT Id FROM Account WHERE Name = 'open");
    }

    #[test]
    fn like_rules() {
        let q = |p: &str| where_ids(&format!("Name LIKE '{p}'"), NullModel::Sql3vl);
        assert_eq!(q(r"50\%"), ["6"]);
        assert_eq!(q(r"%\%"), ["6"]);
        assert!(q(r"5\_%").is_empty());
        assert_eq!(q("_0%"), ["6"]);
        assert_eq!(q("ALPHA"), ["1"]);
        assert_eq!(q("alpha%"), ["1", "7"]); // % spans the newline
        assert_eq!(q("%a"), ["1", "2"]);
        assert_eq!(q("%"), ["1", "2", "4", "5", "6", "7"]);
        assert_eq!(q("a_b"), ["5"]);
        assert!(q("alph").is_empty());
        err("SELECT Id FROM Account WHERE N LIKE '1%'");
    }

    #[test]
    fn strings_compare_case_insensitively() {
        assert_eq!(where_ids("Name = 'ALPHA'", NullModel::Sql3vl), ["1"]);
        assert_eq!(
            where_ids("Name < 'b'", NullModel::Sql3vl),
            ["1", "5", "6", "7"]
        );
        assert_eq!(where_ids("Name >= 'BETA'", NullModel::Sql3vl), ["2", "4"]);
    }

    #[test]
    fn numbers_booleans_and_dates() {
        assert_eq!(where_ids("Amt < -1", NullModel::Sql3vl), ["2"]);
        assert_eq!(where_ids("Amt = 100.0", NullModel::Sql3vl), ["4"]);
        assert_eq!(
            where_ids("N IN (7, -4)", NullModel::Sql3vl),
            ["2", "6", "7"]
        );
        assert_eq!(
            where_ids("Flag = FALSE", NullModel::Sql3vl),
            ["2", "4", "6"]
        );
        assert_eq!(where_ids("D > 2023-12-31", NullModel::Sql3vl), ["1", "4"]);
        assert_eq!(where_ids("D <= 2021-06-15", NullModel::Sql3vl), ["5", "6"]);
    }

    #[test]
    fn datetimes_compare_as_instants() {
        // row 3 is 10:00Z written as 02:00-08:00, row 2 09:30Z, row 7 23:00Z (+14:00)
        assert_eq!(
            where_ids("T = 2024-01-01T10:00:00Z", NullModel::Sql3vl),
            ["1", "3"]
        );
        assert_eq!(
            where_ids("T < 2024-01-01T10:00:00+00:00", NullModel::Sql3vl),
            ["2", "4"]
        );
        assert_eq!(
            where_ids("T > 2024-01-01T10:00:00.499Z", NullModel::Sql3vl),
            ["5", "7"]
        );
        assert_eq!(
            where_ids("T = 2024-01-01T05:00:00.5-05:00", NullModel::Sql3vl),
            ["5"]
        );
        assert_eq!(
            where_ids("T < 2023-12-31T23:30:00.124Z", NullModel::Sql3vl),
            ["4"]
        );
        assert_eq!(
            where_ids("T = 2024-01-01T10:00:00Z", NullModel::NullAsValue),
            ["1", "3"]
        );
        err("SELECT Id FROM Account WHERE T > 2024-01-01T25:00:00Z");
        err("SELECT Id FROM Account WHERE T > 2024-01-01T10:00:00");
        err("SELECT Id FROM Account WHERE D > 2023-02-29");
    }

    #[test]
    fn literal_types_must_fit() {
        err("SELECT Id FROM Account WHERE N = '7'");
        err("SELECT Id FROM Account WHERE Name = 7");
        err("SELECT Id FROM Account WHERE Flag = 1");
        err("SELECT Id FROM Account WHERE Flag < true");
        err("SELECT Id FROM Account WHERE D = '2024-01-05'");
        err("SELECT Id FROM Account WHERE D = 2024-01-05T00:00:00Z");
        err("SELECT Id FROM Account WHERE T = 2024-01-05");
        err("SELECT Id FROM Account WHERE N IN (1, 'a')");
        err("SELECT Id FROM Account WHERE N < null");
    }

    #[test]
    fn names_objects_and_projection() {
        let rows = rows();
        let t = table(&rows);
        let out = execute(
            "select id, NAME, n from ACCOUNT where ID = '3'",
            &t,
            NullModel::Sql3vl,
        )
        .unwrap();
        assert_eq!(out, [json!({"id": "3", "NAME": null, "n": null})]);
        assert!(err("SELECT Id FROM Contact").contains("Contact"));
        assert!(err("SELECT Id, Nope FROM Account").contains("Nope"));
        err("SELECT Id, id FROM Account");
        err("SELECT FROM Account");
        err("SELECT Id FROM Account WHERE");
        err("SELECT Id FROM Account LIMIT 1 extra");
        err("SELECT Id FROM Account OFFSET 1 LIMIT 1");
        err("SELECT Id FROM Account LIMIT -1");
        err("SELECT Id FROM Account LIMIT 1.5");
        err("SELECT Id FROM Account WHERE NOT NOT N = 1");
        err("SELECT Id FROM Account WHERE Name NOT LIKE 'a%'");
        err("SELECT Id FROM Account WHERE N IN ()");
        err("SELECT Owner.Name FROM Account");
    }

    #[test]
    fn order_by_and_nulls() {
        let q = |tail: &str| ids(&format!("SELECT Id FROM Account {tail}"), NullModel::Sql3vl);
        assert_eq!(q(""), ["1", "2", "3", "4", "5", "6", "7"]);
        // default: NULLs first whatever the direction; ties keep table order
        assert_eq!(q("ORDER BY N"), ["3", "7", "1", "4", "2", "6", "5"]);
        assert_eq!(q("ORDER BY N DESC"), ["3", "5", "2", "6", "4", "1", "7"]);
        assert_eq!(
            q("ORDER BY N DESC NULLS LAST"),
            ["5", "2", "6", "4", "1", "7", "3"]
        );
        assert_eq!(
            q("ORDER BY N ASC NULLS FIRST"),
            ["3", "7", "1", "4", "2", "6", "5"]
        );
        assert_eq!(
            q("ORDER BY N, Id DESC"),
            ["3", "7", "1", "4", "6", "2", "5"]
        );
        // strings case-insensitively: "alpha" = "alpha\nline" prefix, "a\\b" < "alpha"
        assert_eq!(
            q("ORDER BY Name NULLS LAST"),
            ["6", "5", "1", "7", "2", "4", "3"]
        );
        assert_eq!(q("ORDER BY Flag, Id"), ["2", "4", "6", "1", "3", "5", "7"]);
        assert_eq!(
            q("ORDER BY T DESC NULLS LAST"),
            ["7", "5", "1", "3", "2", "4", "6"]
        );
        assert_eq!(q("ORDER BY D"), ["3", "5", "6", "7", "2", "1", "4"]);
        err("SELECT Id FROM Account ORDER BY N NULLS");
        err("SELECT Id FROM Account ORDER BY");
    }

    #[test]
    fn limit_and_offset() {
        let q = |tail: &str| ids(&format!("SELECT Id FROM Account {tail}"), NullModel::Sql3vl);
        assert_eq!(q("LIMIT 2"), ["1", "2"]);
        assert_eq!(q("OFFSET 5"), ["6", "7"]);
        assert_eq!(q("ORDER BY N DESC NULLS LAST LIMIT 2 OFFSET 1"), ["2", "6"]);
        assert_eq!(q("LIMIT 3 OFFSET 6"), ["7"]);
        assert!(q("LIMIT 0").is_empty());
        assert!(q("OFFSET 100").is_empty());
        assert_eq!(
            ids(
                "SELECT Id FROM Account WHERE N != null ORDER BY N LIMIT 1",
                NullModel::NullAsValue
            ),
            ["7"]
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for q in [
            "",
            "SELECT",
            "SELECT Id",
            "SELECT Id FROM",
            "SELECT Id FROM Account WHERE (N = 1",
            "SELECT Id FROM Account WHERE N = 1)",
            "SELECT Id FROM Account WHERE N =",
            "SELECT Id FROM Account WHERE N = 5abc",
            "SELECT Id FROM Account WHERE N = 1.",
            "SELECT Id FROM Account WHERE N = -",
            "SELECT Id FROM Account WHERE N == 1",
            "SELECT Id FROM Account WHERE N = 1 AND",
            "SELECT Id FROM Account WHERE Name = 'x' ; DROP",
            "SELECT Id FROM Account WHERE Name = '\\",
            "SELECT Id FROM Account WHERE Name = '\\u",
            "SELECT Id FROM Account WHERE T = 2024-01-01T10:00:00.Z",
            "SELECT Id FROM Account WHERE T = 2024-01-01T10:00:00+5:30",
            "SELECT Id FROM Account WHERE D = 2024-13-01",
            "SELECT * FROM Account",
            "SELECT Id FROM Account LIMIT 99999999999999999999999",
            "SELECT Id FROM Account WHERE Name LIKE 5",
            "SELECT Id FROM Account WHERE Name IN 'a'",
            "SELECT Id FROM Account WHERE N = 1 NOT",
            "SELECT Id FROM Account WHERE é = 1",
        ] {
            err(q);
        }
        // a row value that does not fit its column
        let bad = vec![json!({"Id": "1", "N": "seven"})
            .as_object()
            .unwrap()
            .clone()];
        let r = execute(
            "SELECT Id FROM Account WHERE N = 7",
            &table(&bad),
            NullModel::Sql3vl,
        );
        assert!(r.is_err());
    }
}
