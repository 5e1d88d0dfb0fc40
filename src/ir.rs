//! The validated, typed query that backends consume.
//!
//! Everything syntactic is settled here: `LIKE` patterns are classified,
//! `ORDER BY` directions defaulted, literals typed (ISO-8601 strings become
//! dates and datetimes, numbers are plain decimals), aliases dropped,
//! duplicate fields removed, extended-mode rewrites applied. A backend never
//! needs to look at the [`crate::ast`].

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::span::Span;
use crate::{Lang, Target};

/// A query that passed validation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Query<'a> {
    /// The source language.
    pub lang: Lang,
    /// The target it was validated for, if any.
    pub target: Option<Target>,
    /// Whether extended mode was on.
    pub extended: bool,
    /// The object type (`FROM`), exactly as written.
    pub object: Name<'a>,
    /// What to return.
    pub selection: Selection<'a>,
    /// The `WHERE` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Cond<'a>>,
    /// Sort keys, duplicates removed, directions defaulted to ascending.
    /// Usually one: a lone key is held in place, without an allocation.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub order_by: SmallList<OrderKey<'a>>,
    /// `LIMIT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<Count>,
    /// `OFFSET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<Count>,
    /// Warnings (aliases ignored, duplicates dropped, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Error>,
}

impl Query<'_> {
    /// The smallest span covering everything the query names: object,
    /// selection, filter, sort keys, `LIMIT` and `OFFSET`.
    pub fn span(&self) -> Span {
        let mut span = self.object.span;
        match &self.selection {
            Selection::All { span: s } => span = span.to(*s),
            Selection::Fields { fields } => {
                for f in fields {
                    span = span.to(f.span);
                }
            }
        }
        if let Some(c) = &self.filter {
            span = span.to(c.span());
        }
        for k in &self.order_by {
            span = span.to(k.field.span);
        }
        for c in [self.limit, self.offset].into_iter().flatten() {
            span = span.to(c.span);
        }
        span
    }
}

/// An object type name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Name<'a> {
    /// The name as written (case-sensitive).
    pub name: Cow<'a, str>,
    /// Where it was written.
    pub span: Span,
}

/// The SELECT list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selection<'a> {
    /// `SELECT *`: every field.
    All {
        /// Position of `*`.
        span: Span,
    },
    /// Named fields, in order, without duplicates.
    Fields {
        /// The fields.
        fields: Vec<Field<'a>>,
    },
}

/// A property reference: a name or a dotted path (`parentaccountid.accountid`).
///
/// Identifiers are checked against each target's identifier grammar by the
/// backend, never here: the same name may be legal for one CRM and not another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field<'a> {
    /// The path as written.
    pub path: Cow<'a, str>,
    /// Where it was written.
    pub span: Span,
    /// Whether the name came from a literal in the SELECT list
    /// (`SELECT 'Name'` selects the property `Name`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_literal: bool,
    /// The field's type, when a schema supplied one ([`crate::schema`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ty: Option<FieldType>,
}

impl Field<'_> {
    /// The `.`-separated segments of the path.
    pub fn segments(&self) -> std::str::Split<'_, char> {
        self.path.split('.')
    }

    /// `true` for a dotted path.
    pub fn is_path(&self) -> bool {
        self.path.contains('.')
    }
}

/// Field types a schema can supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// Any number.
    Number,
    /// `true`/`false`.
    Boolean,
    /// A calendar date.
    Date,
    /// An instant.
    DateTime,
    /// A record identifier or a lookup to another record.
    Id,
    /// A type a schema names that the compiler does not check (a time, a
    /// file, an address, …).
    Other,
}

/// Whether `s` is a GUID in its 8-4-4-4-12 hexadecimal form (a Dataverse
/// key or lookup value, [`FieldType::Id`] there).
pub(crate) fn is_guid(s: &str) -> bool {
    s.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && s.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

/// A sort key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderKey<'a> {
    /// The field.
    pub field: Field<'a>,
    /// The direction (`Asc` when omitted).
    pub direction: Direction,
    /// Whether the direction was written.
    pub explicit: bool,
}

/// A `LIMIT` or `OFFSET` count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The value.
    pub value: u64,
    /// Where it was written.
    pub span: Span,
}

/// A boolean condition.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cond<'a> {
    /// All of the operands (two or more; nested ANDs are flattened).
    And {
        /// The operands.
        operands: Vec<Cond<'a>>,
        /// Position.
        span: Span,
    },
    /// Any of the operands (two or more; nested ORs are flattened).
    Or {
        /// The operands.
        operands: Vec<Cond<'a>>,
        /// Position.
        span: Span,
    },
    /// Negation (SQL three-valued: `NOT UNKNOWN` is `UNKNOWN`).
    Not {
        /// The operand.
        operand: Box<Cond<'a>>,
        /// Position.
        span: Span,
    },
    /// `field <op> value`.
    Compare {
        /// The property.
        field: Field<'a>,
        /// The operator.
        op: CmpOp,
        /// The literal.
        value: Value<'a>,
        /// Position.
        span: Span,
    },
    /// `field [NOT] LIKE pattern`.
    Like {
        /// The property.
        field: Field<'a>,
        /// The classified pattern.
        pattern: LikePattern<'a>,
        /// `NOT LIKE`.
        negated: bool,
        /// Position.
        span: Span,
    },
    /// `field [NOT] IN (values)`, never empty.
    In {
        /// The property.
        field: Field<'a>,
        /// The values.
        values: Vec<Value<'a>>,
        /// `NOT IN`.
        negated: bool,
        /// Position.
        span: Span,
    },
    /// `field IS [NOT] NULL`.
    IsNull {
        /// The property.
        field: Field<'a>,
        /// `IS NOT NULL`.
        negated: bool,
        /// Position.
        span: Span,
    },
}

impl Cond<'_> {
    /// Position of the condition.
    pub fn span(&self) -> Span {
        match self {
            Cond::And { span, .. }
            | Cond::Or { span, .. }
            | Cond::Not { span, .. }
            | Cond::Compare { span, .. }
            | Cond::Like { span, .. }
            | Cond::In { span, .. }
            | Cond::IsNull { span, .. } => *span,
        }
    }
}

/// A `LIKE` pattern in one of the forms KQL defines. The text is the
/// *literal* search text: it contains no wildcard, and a backend must escape
/// whatever its target would read as one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum LikePattern<'a> {
    /// `'kw%'`
    StartsWith(Cow<'a, str>),
    /// `'%kw'`
    EndsWith(Cow<'a, str>),
    /// `'%kw%'`
    Contains(Cow<'a, str>),
}

impl LikePattern<'_> {
    /// The literal search text.
    pub fn text(&self) -> &str {
        match self {
            LikePattern::StartsWith(t) | LikePattern::EndsWith(t) | LikePattern::Contains(t) => t,
        }
    }
}

/// A typed literal with its position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value<'a> {
    /// The literal.
    #[serde(flatten)]
    pub literal: Literal<'a>,
    /// Where it was written.
    pub span: Span,
}

/// Literal values. `NULL` is not a value: it only appears as `IS [NOT] NULL`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Literal<'a> {
    /// Text (quotes already unescaped).
    String(Cow<'a, str>),
    /// A number in plain decimal notation: `-?digits(.digits)?`, no leading
    /// zeros, exponent expanded, `-0` written `0`.
    Number(Cow<'a, str>),
    /// `TRUE`/`FALSE`.
    Bool(bool),
    /// A quoted ISO-8601 date `'YYYY-MM-DD'`.
    Date(Date),
    /// A quoted ISO-8601 datetime with a zone, `'YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)'`.
    DateTime(DateTime),
}

/// A calendar date (proleptic Gregorian, year 0000–9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31 (valid for the month).
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An instant with an explicit zone, kept as written (precision and offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
    /// Second 0–59.
    pub second: u8,
    /// Fraction of a second in nanoseconds.
    pub nanos: u32,
    /// How many fraction digits were written (0–9).
    pub frac_digits: u8,
    /// Offset from UTC in minutes; `None` for `Z`.
    pub offset_minutes: Option<i16>,
}

impl DateTime {
    /// The offset in minutes (0 for `Z`).
    pub fn offset(&self) -> i16 {
        self.offset_minutes.unwrap_or(0)
    }

    /// Writes the canonical ISO-8601 form with the zone as `Z` or `±hh:mm`.
    pub fn write_iso(&self, out: &mut impl fmt::Write, utc_as_z: bool) -> fmt::Result {
        write!(
            out,
            "{}T{:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )?;
        if self.frac_digits > 0 {
            let digits = format!("{:09}", self.nanos);
            out.write_char('.')?;
            out.write_str(digits.get(..self.frac_digits as usize).unwrap_or(&digits))?;
        }
        match self.offset_minutes {
            None if utc_as_z => out.write_char('Z'),
            None => out.write_str("+00:00"),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                write!(out, "{sign}{:02}:{:02}", m / 60, m % 60)
            }
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_iso(f, true)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `ASC` or `DESC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `ASC`
    Asc,
    /// `DESC`
    Desc,
}

impl Direction {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

/// Comparison operators. `<>` parses as [`CmpOp::Ne`] and prints as `!=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The canonical symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `a < b` ⇔ `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }

    /// The complement under two-valued logic: `NOT (a < b)` ⇔ `a >= b`
    /// (also exact under SQL three-valued logic, both sides being UNKNOWN on NULL).
    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

/// A list that holds a lone item in place and more than one in a [`Vec`].
///
/// For the clauses that nearly always have one item (`FROM`, `ORDER BY`):
/// the usual query then needs no allocation for them. It dereferences to a
/// slice, compares as its slice (however the items are held) and serialises
/// as a sequence, like a `Vec`.
#[derive(Clone, Debug)]
pub enum SmallList<T> {
    /// Exactly one item.
    One(T),
    /// Any number of items (an empty list is `Many` with an empty `Vec`,
    /// which does not allocate).
    Many(Vec<T>),
}

impl<T> SmallList<T> {
    /// An empty list.
    pub const fn new() -> Self {
        SmallList::Many(Vec::new())
    }

    /// Appends `item`; the second item moves the first into a `Vec`.
    pub fn push(&mut self, item: T) {
        match self {
            SmallList::Many(v) if !v.is_empty() => v.push(item),
            SmallList::Many(_) => *self = SmallList::One(item),
            SmallList::One(_) => {
                let SmallList::One(first) = std::mem::take(self) else {
                    return;
                };
                let mut v = Vec::with_capacity(4);
                v.push(first);
                v.push(item);
                *self = SmallList::Many(v);
            }
        }
    }

    /// The items as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            SmallList::One(item) => std::slice::from_ref(item),
            SmallList::Many(v) => v,
        }
    }

    /// The items as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            SmallList::One(item) => std::slice::from_mut(item),
            SmallList::Many(v) => v,
        }
    }
}

impl<T> std::ops::DerefMut for SmallList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T> Extend<T> for SmallList<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.push(item);
        }
    }
}

impl<T> Default for SmallList<T> {
    fn default() -> Self {
        SmallList::new()
    }
}

impl<T> std::ops::Deref for SmallList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for SmallList<T> {
    fn from(v: Vec<T>) -> Self {
        SmallList::Many(v)
    }
}

impl<'l, T> IntoIterator for &'l SmallList<T> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: PartialEq> PartialEq for SmallList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Serialize> Serialize for SmallList<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}
