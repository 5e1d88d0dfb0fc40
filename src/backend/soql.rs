//! Backend for Salesforce: [`ir::Query`] → one SOQL statement
//! (`SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET m]`).
//!
//! The statement is written straight into one pre-sized `String`; a string
//! literal with nothing to escape is copied in one piece. Every problem found
//! is reported (not just the first), each naming the target and the
//! construct. Sources are the rows of the SOQL research notes
//! (`research/soql.md`, Part A: "A.1 row N", "A.2", "A.3").
//!
//! # Rules
//!
//! **Names** (A.1 rows 22–25). SOQL has no way to quote or escape a name, so
//! every field, relationship path and object name is checked before it is
//! emitted and rejected otherwise — never spliced raw:
//!
//! * a field is one or more segments `[A-Za-z][A-Za-z0-9_]*` joined by `.`
//!   (`Name`, `Owner.Name`, `Parent__r.Name`); an object name (`FROM`) is one
//!   segment (`B001`). Non-ASCII letters, a leading `_` or digit, spaces,
//!   commas, parentheses, `$`, quotes are all rejected (row 24 restricts
//!   names to this grammar; Salesforce's own parser and jetstream disagree
//!   on non-ASCII letters).
//! * the first segment must not be a SOQL reserved word, compared without
//!   regard to case (row 23: keywords are case-insensitive). The list is the
//!   one *tested* in row 25: the documented reserved words except `GROUP`,
//!   plus `BY TRUE FALSE ELSE FOR UPDATE ROLLUP CUBE` (`B002`). `Group`,
//!   `Order`, `Offset`, `Type`, … are accepted: they are real object or field
//!   names and Salesforce's grammar takes them. **After a dot** only the
//!   character grammar applies (`Owner.Limit` is accepted): row 25 found
//!   every word accepted after a dot, and the KQL parser makes the same
//!   choice.
//! * a literal in the SELECT list is a property name (KQL spec) and is held
//!   to exactly the same rule, so
//!   `SELECT 'Id, (SELECT Id FROM Contacts)' FROM Account` is a `B001` error,
//!   never a sub-query.
//! * SOQL names are case-insensitive (row 23) and Salesforce rejects a field
//!   selected twice ("duplicate field selected", row 21): a field repeated
//!   in another letter case is dropped with warning `S102`, a sort key
//!   repeated in another letter case with `S104` (the later key can never
//!   change the order).
//!
//! **String literals** (rows 1–4, A.2). Single-quoted; `\` → `\\`, `'` → `\'`,
//! newline → `\n`, CR → `\r`, tab → `\t`. Every other control character
//! (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) is rejected (`B004`):
//! `\f` is documented but rejected by Salesforce's grammar (row 4), `\b` and
//! `\uXXXX` are not in every API version's docs. `"` and everything else
//! (non-ASCII, emoji, `’`, `＇`, `%`, `_`, `$`, …) are written raw: SOQL's
//! only string delimiter is `'` (row 1). In a `LIKE` pattern the keyword's
//! `%` and `_` are escaped as `\%` and `\_` (rows 3–5; the validator already
//! forbids them, this is defence in depth); in `=`/`IN` literals they stay
//! raw, where `\%` and `\_` are errors (row 4).
//!
//! **Other literals.** Numbers unquoted, plain decimal as the IR guarantees
//! (row 12: no exponent); they are re-checked to be `-?digits(.digits)?`
//! before they are written. Booleans `true`/`false` (row 11). Dates
//! unquoted `YYYY-MM-DD` (row 6); datetimes unquoted
//! `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)` with the fraction and the zone as
//! written, `Z` kept as `Z` (row 7, [`ir::DateTime::write_iso`]).
//!
//! **Conditions** (rows 10, 13–16). `IS NULL` → `f = null`, `IS NOT NULL` →
//! `f != null` (SOQL has no `IS`); `!=` for not-equal; `f IN (a, b)`,
//! `f NOT IN (a, b)`; `NOT LIKE` → `(NOT f LIKE 'p')` (SOQL has no `NOT LIKE`
//! operator); `NOT c` → `(NOT c)` with a group operand parenthesised,
//! `(NOT (a OR b))`. SOQL has no AND/OR precedence and a `NOT` term cannot
//! stand beside `AND`/`OR`, so every child whose operator differs from its
//! parent's is parenthesised and every `NOT` is emitted inside its own
//! parentheses (rule under A.3).
//!
//! **Null semantics** (row 29, open). KQL means SQL three-valued logic. The
//! behaviour of SOQL's `!=`, `NOT IN`, `NOT … LIKE` and `NOT (…)` on rows
//! where the field is null is not documented; they are emitted as the plain
//! operators, and the translation assumes SQL's behaviour (null rows
//! excluded). `= null` / `!= null` are SOQL's documented null tests.
//!
//! **Clauses** (rows 17–21, 26). Clause order `… ORDER BY … LIMIT … OFFSET`
//! (row 18). A sort direction is emitted as written: `DESC` always, `ASC`
//! only when written (SOQL's default is ascending, as KQL's, row 17); no
//! `NULLS FIRST/LAST` (KQL does not define null placement). `OFFSET` above
//! 2,000 is rejected (`B003`, row 20). `SELECT *` is rejected (`S015`, row 21)
//! and DQL input too (`S014`) — normally by the validator, here again for a
//! query validated without a target. A string literal may be at most 4,000
//! characters as written between its quotes, after escaping (`B005`, row 26
//! and A.2), the statement at most 100,000 characters (`B006`, row 26).
//! Characters are counted as UTF-16 code units, as Salesforce's Java runtime
//! counts them (an emoji counts 2): never fewer than Unicode characters, so
//! the check is on the safe side whichever way the server counts.
//! Conditions nested deeper than 256 levels are refused (`L001`) so that no
//! hand-built query can exhaust the stack.
//!
//! A query violating an IR invariant (an empty `AND`, an empty field list, a
//! number not in plain decimal notation) can only be built by hand; it is
//! reported as `X001` rather than emitted.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};

use serde::Serialize;

use crate::ast::{CmpOp, Direction};
use crate::error::{Code, Error, Errors};
use crate::ir::{self, Cond, Field, LikePattern, Literal, Selection, Value};
use crate::span::Span;
use crate::{Lang, Options};

/// Longest SOQL statement, in characters (A.1 row 26).
const MAX_STATEMENT_CHARS: usize = 100_000;
/// Longest string literal, in characters between the quotes after escaping
/// (A.1 row 26, A.2).
const MAX_STRING_CHARS: usize = 4_000;
/// Largest `OFFSET` (A.1 row 20).
const MAX_OFFSET: u64 = 2_000;
/// Deepest condition nesting the backend lowers.
const MAX_DEPTH: usize = 256;

/// Words that cannot be a field or object name, in any letter case (A.1 row 25, tested list).
const RESERVED: &[&str] = &[
    "AND", "ASC", "BY", "CUBE", "DESC", "ELSE", "EXCLUDES", "FALSE", "FIRST", "FOR", "FROM",
    "HAVING", "IN", "INCLUDES", "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "ROLLUP",
    "SELECT", "TRUE", "UPDATE", "USING", "WHERE", "WITH",
];

/// The Salesforce request: one SOQL statement, for
/// `GET /services/data/vXX.X/query?q=<statement, URL-encoded>`.
///
/// Serialises as `{"soql": "…"}`; `Display` prints the statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SoqlQuery {
    /// The SOQL statement.
    pub soql: String,
}

impl fmt::Display for SoqlQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.soql)
    }
}

/// Lowers a validated query to a SOQL statement, returning it with the
/// backend's warnings, or every error found.
pub fn lower(q: &ir::Query<'_>, options: &Options) -> Result<(SoqlQuery, Vec<Error>), Errors> {
    let _ = options;
    let mut l = Lowerer {
        out: String::with_capacity(estimate(q)),
        errors: Vec::new(),
        warnings: Vec::new(),
        too_deep: false,
    };
    l.query(q);
    if l.errors.is_empty() {
        let n = statement_chars(&l.out);
        if n > MAX_STATEMENT_CHARS {
            l.errors.push(
                Error::new(
                    Code::SoqlStatementTooLong,
                    query_span(q),
                    format!("salesforce statement is {n} characters (utf-16 units), over the soql limit of {MAX_STATEMENT_CHARS}"),
                )
                .with_help("select fewer fields or shorten the `IN` lists and strings; split the query into several"),
            );
        }
    }
    if l.errors.is_empty() {
        return Ok((SoqlQuery { soql: l.out }, l.warnings));
    }
    l.errors.sort_by_key(|e| (e.span.start, e.span.end));
    let mut all = l.errors;
    all.append(&mut l.warnings);
    Err(Errors(all))
}

/// Length of `s` in UTF-16 code units, Salesforce's (Java's) character count.
/// Never less than the number of Unicode characters, never more than the
/// number of UTF-8 bytes, so it is counted only when the byte length is
/// over a limit.
fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The statement's length in characters, counted only when the byte length could exceed the limit.
fn statement_chars(s: &str) -> usize {
    if s.len() <= MAX_STATEMENT_CHARS {
        s.len()
    } else {
        utf16_len(s)
    }
}

/// The smallest span covering everything the query names.
fn query_span(q: &ir::Query<'_>) -> Span {
    let mut span = q.object.span;
    match &q.selection {
        Selection::All { span: s } => span = span.to(*s),
        Selection::Fields { fields } => {
            for f in fields {
                span = span.to(f.span);
            }
        }
    }
    if let Some(c) = &q.filter {
        span = span.to(c.span());
    }
    for k in &q.order_by {
        span = span.to(k.field.span);
    }
    for c in [q.limit, q.offset].into_iter().flatten() {
        span = span.to(c.span);
    }
    span
}

/// A capacity for the output that is usually enough, so it is allocated once.
fn estimate(q: &ir::Query<'_>) -> usize {
    let mut n = 48 + q.object.name.len();
    if let Selection::Fields { fields } = &q.selection {
        n += fields.iter().map(|f| f.path.len() + 2).sum::<usize>();
    }
    if let Some(c) = &q.filter {
        n += 7 + cond_estimate(c, 0);
    }
    n += q
        .order_by
        .iter()
        .map(|k| k.field.path.len() + 7)
        .sum::<usize>();
    n
}

fn cond_estimate(c: &Cond<'_>, depth: usize) -> usize {
    if depth > MAX_DEPTH {
        return 0;
    }
    match c {
        Cond::And { operands, .. } | Cond::Or { operands, .. } => operands
            .iter()
            .map(|o| cond_estimate(o, depth + 1) + 6)
            .sum(),
        Cond::Not { operand, .. } => 7 + cond_estimate(operand, depth + 1),
        Cond::Compare { field, value, .. } => field.path.len() + 4 + value_estimate(&value.literal),
        Cond::Like { field, pattern, .. } => field.path.len() + 20 + pattern.text().len(),
        Cond::In { field, values, .. } => {
            field.path.len()
                + 10
                + values
                    .iter()
                    .map(|v| value_estimate(&v.literal) + 2)
                    .sum::<usize>()
        }
        Cond::IsNull { field, .. } => field.path.len() + 8,
    }
}

fn value_estimate(l: &Literal<'_>) -> usize {
    match l {
        Literal::String(s) => s.len() + 4,
        Literal::Number(n) => n.len(),
        Literal::Bool(_) => 5,
        Literal::Date(_) => 10,
        Literal::DateTime(_) => 35,
    }
}

/// What a checked name is, for messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    /// A property in the SELECT list, `WHERE` or `ORDER BY`.
    Field,
    /// A literal in the SELECT list read as a property name.
    SelectedLiteral,
    /// The object type in `FROM`.
    Object,
}

impl NameKind {
    fn of(f: &Field<'_>) -> Self {
        if f.from_literal {
            NameKind::SelectedLiteral
        } else {
            NameKind::Field
        }
    }

    fn what(self) -> &'static str {
        match self {
            NameKind::Field | NameKind::SelectedLiteral => "field name",
            NameKind::Object => "object name",
        }
    }

    fn note(self) -> &'static str {
        match self {
            NameKind::SelectedLiteral => " (a literal in the select list names a field)",
            NameKind::Field | NameKind::Object => "",
        }
    }
}

/// Why a name is not a SOQL identifier.
enum BadName {
    Empty,
    EmptySegment,
    /// A relationship path where only one name is allowed.
    Dotted,
    BadStart(char),
    BadChar(char),
}

/// Checks `name` against the SOQL identifier grammar: segments
/// `[A-Za-z][A-Za-z0-9_]*` joined by `.` (one segment when `dots` is false).
fn check_grammar(name: &str, dots: bool) -> Result<(), BadName> {
    if name.is_empty() {
        return Err(BadName::Empty);
    }
    let mut at_start = true;
    for c in name.chars() {
        if c == '.' {
            if !dots {
                return Err(BadName::Dotted);
            }
            if at_start {
                return Err(BadName::EmptySegment);
            }
            at_start = true;
        } else if at_start {
            if !c.is_ascii_alphabetic() {
                return Err(BadName::BadStart(c));
            }
            at_start = false;
        } else if !(c.is_ascii_alphanumeric() || c == '_') {
            return Err(BadName::BadChar(c));
        }
    }
    if at_start {
        return Err(BadName::EmptySegment);
    }
    Ok(())
}

/// The reserved word `segment` spells, if any.
fn reserved(segment: &str) -> Option<&'static str> {
    if segment.len() > 8 {
        return None;
    }
    RESERVED
        .iter()
        .copied()
        .find(|r| r.eq_ignore_ascii_case(segment))
}

/// User text for a one-line message: control characters escaped, long text cut.
fn shown(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::with_capacity(s.len().min(MAX * 4) + 3);
    for (n, c) in s.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || c == '`' {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A character for a message: `` `c` ``, or `U+XXXX` for an invisible one and for `` ` ``.
fn char_name(c: char) -> String {
    if c.is_control() || c.is_whitespace() || c == '`' {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// `-?digits(.digits)?`
fn is_plain_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.map_or(true, digits)
}

/// A name compared without regard to ASCII case, for duplicate detection.
struct Caseless<'a>(&'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for b in self.0.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.write_u8(0xff);
    }
}

struct Lowerer {
    out: String,
    errors: Vec<Error>,
    warnings: Vec<Error>,
    too_deep: bool,
}

impl Lowerer {
    fn internal(&mut self, span: Span, what: &str) {
        self.errors.push(Error::new(
            Code::Internal,
            span,
            format!("salesforce backend received an invalid query: {what}"),
        ));
    }

    fn query(&mut self, q: &ir::Query<'_>) {
        if q.lang != Lang::Kql {
            self.errors.push(
                Error::new(
                    Code::LangTarget,
                    q.object.span,
                    format!("{} is not supported by salesforce", q.lang),
                )
                .with_help("DQL compiles to dynamics only; write KQL for salesforce and sugarcrm"),
            );
        }
        self.out.push_str("SELECT ");
        match &q.selection {
            Selection::All { span } => self.errors.push(
                Error::new(
                    Code::Wildcard,
                    *span,
                    "salesforce does not support `SELECT *`",
                )
                .with_help("list the fields to return, e.g. `SELECT Id, Name`"),
            ),
            Selection::Fields { fields } => self.fields(fields, q.object.span),
        }
        self.out.push_str(" FROM ");
        if self.name(&q.object.name, q.object.span, NameKind::Object) {
            self.out.push_str(&q.object.name);
        }
        if let Some(c) = &q.filter {
            self.out.push_str(" WHERE ");
            self.cond(c, 0);
        }
        self.order_by(&q.order_by);
        if let Some(limit) = q.limit {
            let _ = write!(self.out, " LIMIT {}", limit.value);
        }
        if let Some(offset) = q.offset {
            if offset.value > MAX_OFFSET {
                self.errors.push(
                    Error::new(
                        Code::SoqlOffsetRange,
                        offset.span,
                        format!("salesforce `OFFSET` is at most {MAX_OFFSET}, found {}", offset.value),
                    )
                    .with_help("page further with a `WHERE` condition on the sort key (e.g. `Id > 'last seen id'`) instead of `OFFSET`"),
                );
            }
            let _ = write!(self.out, " OFFSET {}", offset.value);
        }
    }

    fn fields(&mut self, fields: &[Field<'_>], object_span: Span) {
        if fields.is_empty() {
            self.internal(object_span, "the select list is empty");
            return;
        }
        let mut seen: HashSet<Caseless<'_>> = HashSet::with_capacity(fields.len());
        let mut first = true;
        for f in fields {
            if !self.field_ok(f) {
                continue;
            }
            if !seen.insert(Caseless(&f.path)) {
                self.warnings.push(
                    Error::new(
                        Code::DuplicateField,
                        f.span,
                        format!("`{}` is already selected (salesforce names ignore letter case); the repeat is dropped", f.path),
                    )
                    .with_help("remove the repeated field"),
                );
                continue;
            }
            if !first {
                self.out.push_str(", ");
            }
            first = false;
            self.out.push_str(&f.path);
        }
    }

    fn order_by(&mut self, keys: &[ir::OrderKey<'_>]) {
        let mut seen: HashSet<Caseless<'_>> = HashSet::with_capacity(keys.len());
        let mut first = true;
        for k in keys {
            if !self.field_ok(&k.field) {
                continue;
            }
            if !seen.insert(Caseless(&k.field.path)) {
                self.warnings.push(
                    Error::new(
                        Code::DuplicateOrderKey,
                        k.field.span,
                        format!("`{}` is already a sort key (salesforce names ignore letter case); the repeat is dropped", k.field.path),
                    )
                    .with_help("remove the repeated sort key"),
                );
                continue;
            }
            self.out.push_str(if first { " ORDER BY " } else { ", " });
            first = false;
            self.out.push_str(&k.field.path);
            match k.direction {
                Direction::Desc => self.out.push_str(" DESC"),
                Direction::Asc if k.explicit => self.out.push_str(" ASC"),
                Direction::Asc => {}
            }
        }
    }

    fn field_ok(&mut self, f: &Field<'_>) -> bool {
        self.name(&f.path, f.span, NameKind::of(f))
    }

    /// Writes a field of a condition once its name is checked. A bad name is
    /// reported and not written; the rest of the predicate is still lowered
    /// so that its literals are checked too.
    fn path(&mut self, f: &Field<'_>) {
        if self.field_ok(f) {
            self.out.push_str(&f.path);
        }
    }

    /// Checks a name; reports and returns `false` when SOQL cannot take it.
    fn name(&mut self, name: &str, span: Span, kind: NameKind) -> bool {
        let what = kind.what();
        let note = kind.note();
        if let Err(why) = check_grammar(name, kind != NameKind::Object) {
            let reason = match why {
                BadName::Empty => "it is empty".to_owned(),
                BadName::EmptySegment => "it has an empty segment around `.`".to_owned(),
                BadName::Dotted => "an object name cannot be a path".to_owned(),
                BadName::BadStart(c) => format!("a name cannot start with {}", char_name(c)),
                BadName::BadChar(c) => format!("{} is not allowed in a name", char_name(c)),
            };
            let help = match kind {
                NameKind::Object => "soql object names are letters, digits and `_`, starting with a letter (e.g. `Account`, `Invoice__c`)",
                NameKind::Field => "soql names are letters, digits and `_`, starting with a letter, joined by `.` for relationships (e.g. `Owner.Name`); soql cannot quote a name",
                NameKind::SelectedLiteral => "write the field name without quotes; soql names are letters, digits and `_`, starting with a letter, joined by `.`",
            };
            self.errors.push(
                Error::new(
                    Code::SoqlIdentifier,
                    span,
                    format!(
                        "invalid salesforce {what} `{}`{note}: {reason}",
                        shown(name)
                    ),
                )
                .with_help(help),
            );
            return false;
        }
        let head = name.split('.').next().unwrap_or(name);
        if let Some(word) = reserved(head) {
            self.errors.push(
                Error::new(Code::SoqlReserved, span, format!("invalid salesforce {what} `{name}`{note}: `{word}` is a soql reserved word"))
                    .with_help(format!("soql reserves `{word}` in any letter case; it cannot start a field or object name")),
            );
            return false;
        }
        true
    }

    fn cond(&mut self, c: &Cond<'_>, depth: usize) {
        if depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.errors.push(
                    Error::new(Code::TooDeep, c.span(), format!("the condition is nested deeper than the salesforce backend's limit of {MAX_DEPTH}"))
                        .with_help("flatten the condition"),
                );
            }
            return;
        }
        match c {
            Cond::And { operands, span } | Cond::Or { operands, span } => {
                let is_and = matches!(c, Cond::And { .. });
                if operands.is_empty() {
                    self.internal(
                        *span,
                        if is_and {
                            "an `AND` without operands"
                        } else {
                            "an `OR` without operands"
                        },
                    );
                    return;
                }
                for (i, o) in operands.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(if is_and { " AND " } else { " OR " });
                    }
                    // SOQL has no AND/OR precedence: a group of the other operator needs parentheses.
                    let paren = matches!(
                        (is_and, o),
                        (true, Cond::Or { .. }) | (false, Cond::And { .. })
                    );
                    if paren {
                        self.out.push('(');
                    }
                    self.cond(o, depth + 1);
                    if paren {
                        self.out.push(')');
                    }
                }
            }
            Cond::Not { operand, .. } => {
                // `(NOT x)`: NOT takes one comparison or one parenthesised group, and
                // cannot stand beside AND/OR unparenthesised. `Not` and negated `Like`
                // operands already print as `(NOT …)`.
                self.out.push_str("(NOT ");
                let paren = matches!(**operand, Cond::And { .. } | Cond::Or { .. });
                if paren {
                    self.out.push('(');
                }
                self.cond(operand, depth + 1);
                if paren {
                    self.out.push(')');
                }
                self.out.push(')');
            }
            Cond::Compare {
                field, op, value, ..
            } => {
                self.path(field);
                self.out.push_str(match op {
                    CmpOp::Eq => " = ",
                    CmpOp::Ne => " != ",
                    CmpOp::Lt => " < ",
                    CmpOp::Le => " <= ",
                    CmpOp::Gt => " > ",
                    CmpOp::Ge => " >= ",
                });
                self.value(value);
            }
            Cond::Like {
                field,
                pattern,
                negated,
                span,
            } => {
                if *negated {
                    self.out.push_str("(NOT ");
                }
                self.path(field);
                self.out.push_str(" LIKE ");
                let (lead, text, trail) = match pattern {
                    LikePattern::StartsWith(t) => ("", t, "%"),
                    LikePattern::EndsWith(t) => ("%", t, ""),
                    LikePattern::Contains(t) => ("%", t, "%"),
                };
                self.string(lead, text, trail, true, *span);
                if *negated {
                    self.out.push(')');
                }
            }
            Cond::In {
                field,
                values,
                negated,
                span,
            } => {
                self.path(field);
                if values.is_empty() {
                    self.internal(*span, "an empty `IN` list");
                    return;
                }
                self.out
                    .push_str(if *negated { " NOT IN (" } else { " IN (" });
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.value(v);
                }
                self.out.push(')');
            }
            Cond::IsNull { field, negated, .. } => {
                self.path(field);
                self.out
                    .push_str(if *negated { " != null" } else { " = null" });
            }
        }
    }

    fn value(&mut self, v: &Value<'_>) {
        match &v.literal {
            Literal::String(s) => self.string("", s, "", false, v.span),
            Literal::Number(n) => {
                if is_plain_decimal(n) {
                    self.out.push_str(n);
                } else {
                    self.internal(v.span, "a number not in plain decimal notation");
                }
            }
            Literal::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Literal::Date(d) => {
                let _ = write!(self.out, "{d}");
            }
            Literal::DateTime(dt) => {
                let _ = dt.write_iso(&mut self.out, true);
            }
        }
    }

    /// Writes `'<lead><escaped text><trail>'`. `like` escapes the `LIKE`
    /// wildcards `%` and `_` in `text` (never in `lead`/`trail`).
    fn string(&mut self, lead: &str, text: &str, trail: &str, like: bool, span: Span) {
        self.out.push('\'');
        let body_start = self.out.len();
        self.out.push_str(lead);
        if let Err(c) = escape_into(&mut self.out, text, like) {
            let what = if like {
                "`LIKE` pattern"
            } else {
                "string literal"
            };
            self.errors.push(
                Error::new(
                    Code::SoqlControlChar,
                    span,
                    format!("salesforce {what} cannot contain the control character U+{:04X}", u32::from(c)),
                )
                .with_help("soql strings can carry newline, carriage return and tab; remove other control characters"),
            );
            return;
        }
        self.out.push_str(trail);
        let body = self.out.get(body_start..).unwrap_or("");
        if body.len() > MAX_STRING_CHARS {
            let n = utf16_len(body);
            if n > MAX_STRING_CHARS {
                let what = if like {
                    "`LIKE` pattern"
                } else {
                    "string literal"
                };
                self.errors.push(
                    Error::new(
                        Code::SoqlStringTooLong,
                        span,
                        format!("salesforce {what} is {n} characters (utf-16 units) after escaping, over the soql limit of {MAX_STRING_CHARS}"),
                    )
                    .with_help("shorten the value; `\\`, `'`, newline, carriage return and tab count twice"),
                );
            }
        }
        self.out.push('\'');
    }
}

/// Appends `s` escaped for a SOQL string literal (A.2). Runs without
/// anything to escape are copied whole. Returns the first control
/// character SOQL cannot carry.
fn escape_into(out: &mut String, s: &str, like: bool) -> Result<(), char> {
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '\\' => "\\\\",
            '\'' => "\\'",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '%' if like => "\\%",
            '_' if like => "\\_",
            c if c.is_control() => return Err(c),
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or(""));
        out.push_str(rep);
        run = i + c.len_utf8();
    }
    out.push_str(s.get(run..).unwrap_or(""));
    Ok(())
}
