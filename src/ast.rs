//! The syntax tree: faithful to the text, with byte spans on every node.
//!
//! The tree is *syntactic*: it holds everything the parser accepted, including
//! constructs that validation will reject (`COUNT(*)`, `JOIN`, `BETWEEN`, …), so
//! that the rejection can name the construct and point at it. Meaning (LIKE
//! pattern classes, default directions, typed literals) lives in [`crate::ir`].
//!
//! `Display` prints canonical KQL: upper-case keywords, single spaces, `''`
//! inside strings and the fewest parentheses that keep the tree's shape, so
//! `parse(&ast.to_string()) == ast` for every tree the parser produces
//! (spans are left out of equality, see [`Span`]).
//!
//! Strings borrow from the query text (`Cow::Borrowed`) unless they contained
//! a doubled quote `''`, so parsing allocates only for the tree's vectors.
//!
//! The layout keeps allocations and copies few, because building and
//! dropping the tree is a large part of a whole translation:
//!
//! * a node with several operands holds them in *one* box ([`Operands`],
//!   [`Like`], [`InList`], [`Call`]): one allocation per node, not one per
//!   operand, and every [`Expr`] stays small (48 bytes), which the vectors
//!   of operands and every move of a tree benefit from;
//! * `FROM` and `ORDER BY`, which nearly always hold one item, keep a lone
//!   item in place ([`SmallList`]) instead of in a vector of its own.
//!
//! None of this shows in the serialised form: a boxed part is flattened into
//! its node, and a [`SmallList`] serialises as a sequence, so the JSON is
//! what the plain layout (`lhs`/`rhs` boxes, vectors) would produce.

use std::borrow::Cow;
use std::fmt::{self, Write};

use serde::Serialize;

pub use crate::ir::{CmpOp, Direction, SmallList};
use crate::span::Span;

/// A parsed statement.
///
/// ```text
/// SELECT [DISTINCT] items FROM table {, table} {join} [WHERE expr]
///     [GROUP BY expr {, expr}] [HAVING expr] [ORDER BY item {, item}]
///     [LIMIT expr [OFFSET expr]]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Query<'a> {
    /// `DISTINCT` after `SELECT`, if written (rejected by validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct: Option<Span>,
    /// The SELECT list.
    pub select: Vec<SelectItem<'a>>,
    /// `FROM a, b`: every object named (more than one is rejected).
    pub from: SmallList<TableRef<'a>>,
    /// `JOIN …` clauses (rejected by validation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<Join<'a>>,
    /// `WHERE <expr>`.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_clause: Option<Expr<'a>>,
    /// `GROUP BY <expr>, …` (rejected by validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<GroupBy<'a>>,
    /// `HAVING <expr>` (rejected by validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub having: Option<Expr<'a>>,
    /// `ORDER BY <item>, …`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub order_by: SmallList<OrderItem<'a>>,
    /// `LIMIT <expr>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<Expr<'a>>,
    /// `OFFSET <expr>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<Expr<'a>>,
    /// The whole statement.
    pub span: Span,
}

/// One entry of the SELECT list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SelectItem<'a> {
    /// `*`
    Wildcard {
        /// Position of `*`.
        span: Span,
    },
    /// `<expr> [[AS] alias]`
    Expr {
        /// The selected expression (a property name, or something validation rejects).
        expr: Expr<'a>,
        /// An alias, which KQL ignores.
        #[serde(skip_serializing_if = "Option::is_none")]
        alias: Option<Alias<'a>>,
    },
}

/// `AS name` or a bare `name` after a selected expression or an object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alias<'a> {
    /// The alias.
    pub name: Ident<'a>,
    /// Whether `AS` was written.
    pub explicit: bool,
    /// From `AS` (or the name) to the end of the name.
    pub span: Span,
}

/// A property or object name, possibly a dotted path (`parentaccountid.accountid`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ident<'a> {
    /// The name exactly as written, segments joined by `.`.
    pub name: Cow<'a, str>,
    /// Position of the whole path.
    pub span: Span,
}

impl Ident<'_> {
    /// The `.`-separated segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.name.split('.')
    }
}

/// An object in `FROM` or `JOIN`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableRef<'a> {
    /// The object, or a sub-query (rejected).
    pub source: TableSource<'a>,
    /// An alias, which KQL ignores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<Alias<'a>>,
    /// Position of the reference including its alias.
    pub span: Span,
}

/// What a [`TableRef`] names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableSource<'a> {
    /// An object type, `Account`.
    Object {
        /// The name.
        name: Ident<'a>,
    },
    /// `(SELECT …)`.
    Subquery {
        /// The inner statement.
        query: Box<Query<'a>>,
        /// Position including the parentheses.
        span: Span,
    },
}

/// `[INNER|LEFT [OUTER]|RIGHT [OUTER]|FULL [OUTER]|CROSS] JOIN table [ON expr]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Join<'a> {
    /// The join's kind keyword(s).
    pub kind: JoinKind,
    /// The joined object.
    pub table: TableRef<'a>,
    /// The `ON` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<Expr<'a>>,
    /// From the first keyword to the end of the join.
    pub span: Span,
}

/// The keyword(s) before `JOIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// `JOIN`
    Plain,
    /// `INNER JOIN`
    Inner,
    /// `LEFT [OUTER] JOIN`
    Left,
    /// `RIGHT [OUTER] JOIN`
    Right,
    /// `FULL [OUTER] JOIN`
    Full,
    /// `CROSS JOIN`
    Cross,
}

impl JoinKind {
    fn keyword(self) -> &'static str {
        match self {
            JoinKind::Plain => "JOIN",
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT JOIN",
            JoinKind::Right => "RIGHT JOIN",
            JoinKind::Full => "FULL JOIN",
            JoinKind::Cross => "CROSS JOIN",
        }
    }
}

/// `GROUP BY <expr>, …`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupBy<'a> {
    /// The grouping expressions.
    pub exprs: Vec<Expr<'a>>,
    /// From `GROUP` to the last expression.
    pub span: Span,
}

/// `<expr> [ASC|DESC]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderItem<'a> {
    /// The sort key.
    pub expr: Expr<'a>,
    /// The direction, if written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Position of the item.
    pub span: Span,
}

/// Arithmetic operators (rejected by validation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl ArithOp {
    fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
    fn precedence(self) -> u8 {
        match self {
            ArithOp::Add | ArithOp::Sub => PREC_ADD,
            ArithOp::Mul | ArithOp::Div | ArithOp::Rem => PREC_MUL,
        }
    }
}

/// An expression: conditions and values share one tree so that anything a
/// user plausibly writes parses, and validation decides what is allowed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr<'a> {
    /// A property name (possibly dotted).
    Column {
        /// The name.
        ident: Ident<'a>,
    },
    /// `'text'`, with `''` already turned into `'`.
    String {
        /// The value.
        value: Cow<'a, str>,
        /// Position including the quotes.
        span: Span,
    },
    /// A number exactly as written, sign included (`-12.50`, `1e3`).
    Number {
        /// The literal text.
        text: Cow<'a, str>,
        /// Position.
        span: Span,
    },
    /// `TRUE` / `FALSE`.
    Bool {
        /// The value.
        value: bool,
        /// Position.
        span: Span,
    },
    /// `NULL`.
    Null {
        /// Position.
        span: Span,
    },
    /// `*` as a function argument (`COUNT(*)`).
    Star {
        /// Position.
        span: Span,
    },
    /// `name(args)` (rejected by validation).
    Call {
        /// The name and the arguments.
        #[serde(flatten)]
        call: Box<Call<'a>>,
        /// Position including the parentheses.
        span: Span,
    },
    /// `-<expr>` on something other than a number literal (rejected).
    Neg {
        /// The operand.
        expr: Box<Expr<'a>>,
        /// Position.
        span: Span,
    },
    /// `a + b`, `a / b`, … (rejected).
    Arith {
        /// The operator.
        op: ArithOp,
        /// Both operands, in one box.
        #[serde(flatten)]
        operands: Box<Operands<'a>>,
        /// Position.
        span: Span,
    },
    /// `a <op> b`.
    Compare {
        /// The operator.
        op: CmpOp,
        /// Both operands, in one box.
        #[serde(flatten)]
        operands: Box<Operands<'a>>,
        /// Position.
        span: Span,
    },
    /// `a AND b AND …` (two or more operands; a parenthesised AND inside
    /// stays a separate node).
    And {
        /// The operands.
        operands: Vec<Expr<'a>>,
        /// Position.
        span: Span,
    },
    /// `a OR b OR …` (two or more operands).
    Or {
        /// The operands.
        operands: Vec<Expr<'a>>,
        /// Position.
        span: Span,
    },
    /// `NOT a`.
    Not {
        /// The operand.
        expr: Box<Expr<'a>>,
        /// Position.
        span: Span,
    },
    /// `a [NOT] LIKE pattern [ESCAPE e]`.
    Like {
        /// The operands and `NOT`, in one box.
        #[serde(flatten)]
        like: Box<Like<'a>>,
        /// Position.
        span: Span,
    },
    /// `a [NOT] IN (v, …)`.
    In {
        /// The tested expression, the values and `NOT`, in one box.
        #[serde(flatten)]
        in_list: Box<InList<'a>>,
        /// Position.
        span: Span,
    },
    /// `a [NOT] IN (SELECT …)` (rejected).
    InSubquery {
        /// The tested expression.
        expr: Box<Expr<'a>>,
        /// The sub-query.
        query: Box<Query<'a>>,
        /// `NOT IN`.
        negated: bool,
        /// Position.
        span: Span,
    },
    /// `a IS [NOT] NULL`.
    IsNull {
        /// The tested expression.
        expr: Box<Expr<'a>>,
        /// `IS NOT NULL`.
        negated: bool,
        /// Position.
        span: Span,
    },
    /// `a [NOT] BETWEEN low AND high` (rejected).
    Between {
        /// The tested expression.
        expr: Box<Expr<'a>>,
        /// Lower bound.
        low: Box<Expr<'a>>,
        /// Upper bound.
        high: Box<Expr<'a>>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// Position.
        span: Span,
    },
    /// `(SELECT …)` as a value (rejected).
    Subquery {
        /// The inner statement.
        query: Box<Query<'a>>,
        /// Position including the parentheses.
        span: Span,
    },
}

/// The two operands of a binary operator ([`Expr::Compare`], [`Expr::Arith`]),
/// held in one allocation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Operands<'a> {
    /// Left operand.
    pub lhs: Expr<'a>,
    /// Right operand.
    pub rhs: Expr<'a>,
}

/// The parts of [`Expr::Like`], held in one allocation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Like<'a> {
    /// The tested expression.
    pub expr: Expr<'a>,
    /// The pattern.
    pub pattern: Expr<'a>,
    /// `NOT LIKE`.
    pub negated: bool,
    /// `ESCAPE …` (rejected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escape: Option<Expr<'a>>,
}

/// The parts of [`Expr::In`]: the tested expression in the same allocation
/// as the list's header (the values themselves are in the list's own buffer).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InList<'a> {
    /// The tested expression.
    pub expr: Expr<'a>,
    /// The values (possibly empty, which validation rejects).
    pub list: Vec<Expr<'a>>,
    /// `NOT IN`.
    pub negated: bool,
}

/// The parts of [`Expr::Call`], boxed: calls are rare (validation rejects
/// them) and would otherwise make every [`Expr`] larger.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Call<'a> {
    /// The function name.
    pub name: Ident<'a>,
    /// The arguments.
    pub args: Vec<Expr<'a>>,
}

pub(crate) const PREC_OR: u8 = 1;
pub(crate) const PREC_AND: u8 = 2;
pub(crate) const PREC_NOT: u8 = 3;
pub(crate) const PREC_PRED: u8 = 4;
pub(crate) const PREC_ADD: u8 = 5;
pub(crate) const PREC_MUL: u8 = 6;
pub(crate) const PREC_NEG: u8 = 7;
pub(crate) const PREC_ATOM: u8 = 8;

impl Expr<'_> {
    /// The node's byte span.
    pub fn span(&self) -> Span {
        match self {
            Expr::Column { ident } => ident.span,
            Expr::String { span, .. }
            | Expr::Number { span, .. }
            | Expr::Bool { span, .. }
            | Expr::Null { span }
            | Expr::Star { span }
            | Expr::Call { span, .. }
            | Expr::Neg { span, .. }
            | Expr::Arith { span, .. }
            | Expr::Compare { span, .. }
            | Expr::And { span, .. }
            | Expr::Or { span, .. }
            | Expr::Not { span, .. }
            | Expr::Like { span, .. }
            | Expr::In { span, .. }
            | Expr::InSubquery { span, .. }
            | Expr::IsNull { span, .. }
            | Expr::Between { span, .. }
            | Expr::Subquery { span, .. } => *span,
        }
    }

    /// Binding strength used by the printer (higher binds tighter).
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Expr::Or { .. } => PREC_OR,
            Expr::And { .. } => PREC_AND,
            Expr::Not { .. } => PREC_NOT,
            Expr::Compare { .. }
            | Expr::Like { .. }
            | Expr::In { .. }
            | Expr::InSubquery { .. }
            | Expr::IsNull { .. }
            | Expr::Between { .. } => PREC_PRED,
            Expr::Arith { op, .. } => op.precedence(),
            Expr::Neg { .. } => PREC_NEG,
            _ => PREC_ATOM,
        }
    }
}

/// Writes `s` as a KQL string literal: `'` … `'` with `'` doubled.
pub fn write_string_literal(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('\'')?;
    let mut rest = s;
    while let Some(i) = rest.find('\'') {
        out.write_str(&rest[..=i])?;
        out.write_char('\'')?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)?;
    out.write_char('\'')
}

/// Writes `e`, in parentheses when its precedence is below `min`.
fn child(f: &mut fmt::Formatter<'_>, e: &Expr<'_>, min: u8) -> fmt::Result {
    if e.precedence() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{it}")?;
    }
    Ok(())
}

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for Expr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column { ident } => write!(f, "{ident}"),
            Expr::String { value, .. } => write_string_literal(f, value),
            Expr::Number { text, .. } => f.write_str(text),
            Expr::Bool { value, .. } => f.write_str(if *value { "TRUE" } else { "FALSE" }),
            Expr::Null { .. } => f.write_str("NULL"),
            Expr::Star { .. } => f.write_str("*"),
            Expr::Call { call, .. } => {
                write!(f, "{}(", call.name)?;
                expr_list(f, &call.args)?;
                f.write_str(")")
            }
            Expr::Neg { expr, .. } => {
                f.write_str("-")?;
                // `- -1` must not print as `--1`, and `- 5` (a negated
                // literal, not the literal `-5`) must not print as `-5`.
                if matches!(**expr, Expr::Number { .. } | Expr::Neg { .. }) {
                    f.write_str(" ")?;
                }
                child(f, expr, PREC_NEG)
            }
            Expr::Arith { op, operands, .. } => {
                let p = op.precedence();
                child(f, &operands.lhs, p)?;
                write!(f, " {} ", op.symbol())?;
                child(f, &operands.rhs, p + 1)
            }
            Expr::Compare { op, operands, .. } => {
                child(f, &operands.lhs, PREC_ADD)?;
                write!(f, " {} ", op.symbol())?;
                child(f, &operands.rhs, PREC_ADD)
            }
            Expr::And { operands, .. } => junction(f, operands, " AND ", PREC_AND + 1),
            Expr::Or { operands, .. } => junction(f, operands, " OR ", PREC_OR + 1),
            Expr::Not { expr, .. } => {
                f.write_str("NOT ")?;
                child(f, expr, PREC_NOT)
            }
            Expr::Like { like, .. } => {
                let Like {
                    expr,
                    pattern,
                    negated,
                    escape,
                } = &**like;
                child(f, expr, PREC_ADD)?;
                f.write_str(if *negated { " NOT LIKE " } else { " LIKE " })?;
                child(f, pattern, PREC_ADD)?;
                if let Some(e) = escape {
                    f.write_str(" ESCAPE ")?;
                    child(f, e, PREC_ADD)?;
                }
                Ok(())
            }
            Expr::In { in_list, .. } => {
                let InList {
                    expr,
                    list: items,
                    negated,
                } = &**in_list;
                child(f, expr, PREC_ADD)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                expr_list(f, items)?;
                f.write_str(")")
            }
            Expr::InSubquery {
                expr,
                query,
                negated,
                ..
            } => {
                child(f, expr, PREC_ADD)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                write!(f, "{query})")
            }
            Expr::IsNull { expr, negated, .. } => {
                child(f, expr, PREC_ADD)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
                ..
            } => {
                child(f, expr, PREC_ADD)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                child(f, low, PREC_ADD)?;
                f.write_str(" AND ")?;
                child(f, high, PREC_ADD)
            }
            Expr::Subquery { query, .. } => write!(f, "({query})"),
        }
    }
}

/// A comma list of operands, each read by the parser at additive level.
fn expr_list(f: &mut fmt::Formatter<'_>, items: &[Expr<'_>]) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        child(f, it, PREC_ADD)?;
    }
    Ok(())
}

fn junction(f: &mut fmt::Formatter<'_>, ops: &[Expr<'_>], sep: &str, min: u8) -> fmt::Result {
    for (i, e) in ops.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        child(f, e, min)?;
    }
    Ok(())
}

impl fmt::Display for Alias<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.explicit {
            write!(f, " AS {}", self.name)
        } else {
            write!(f, " {}", self.name)
        }
    }
}

impl fmt::Display for SelectItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard { .. } => f.write_str("*"),
            SelectItem::Expr { expr, alias } => {
                // Items are read at operand level, so a predicate needs
                // parentheses; so does a `*` expression, which bare would
                // read back as the `SELECT *` wildcard.
                if let Expr::Star { .. } = expr {
                    f.write_str("(*)")?;
                } else {
                    child(f, expr, PREC_ADD)?;
                }
                if let Some(a) = alias {
                    write!(f, "{a}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for TableRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            TableSource::Object { name } => write!(f, "{name}")?,
            TableSource::Subquery { query, .. } => write!(f, "({query})")?,
        }
        if let Some(a) = &self.alias {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for OrderItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        child(f, &self.expr, PREC_ADD)?;
        if let Some(d) = self.direction {
            write!(f, " {}", d.keyword())?;
        }
        Ok(())
    }
}

impl fmt::Display for Query<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.distinct.is_some() {
            f.write_str("DISTINCT ")?;
        }
        list(f, &self.select)?;
        f.write_str(" FROM ")?;
        list(f, &self.from)?;
        for j in &self.joins {
            write!(f, " {} {}", j.kind.keyword(), j.table)?;
            if let Some(on) = &j.on {
                write!(f, " ON {on}")?;
            }
        }
        if let Some(w) = &self.where_clause {
            write!(f, " WHERE {w}")?;
        }
        if let Some(g) = &self.group_by {
            f.write_str(" GROUP BY ")?;
            expr_list(f, &g.exprs)?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            list(f, &self.order_by)?;
        }
        if let Some(l) = &self.limit {
            f.write_str(" LIMIT ")?;
            child(f, l, PREC_ADD)?;
        }
        if let Some(o) = &self.offset {
            f.write_str(" OFFSET ")?;
            child(f, o, PREC_ADD)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literal_doubles_quotes() {
        let mut s = String::new();
        write_string_literal(&mut s, "O'Brien ''x'").unwrap();
        assert_eq!(s, "'O''Brien ''''x'''");
    }

    #[test]
    fn small_list_acts_as_its_vec() {
        for n in 0..5usize {
            let items: Vec<usize> = (0..n).collect();
            let mut pushed = SmallList::new();
            for &i in &items {
                pushed.push(i);
            }
            let from_vec = SmallList::from(items.clone());
            assert_eq!(&*pushed, &items[..]);
            assert_eq!(pushed, from_vec);
            assert_eq!(pushed.iter().count(), n);
            assert_eq!(matches!(pushed, SmallList::One(_)), n == 1);
            assert_eq!(
                serde_json::to_string(&pushed).unwrap(),
                serde_json::to_string(&items).unwrap()
            );
        }
    }

    #[test]
    fn cmp_op_flip_and_negate_are_involutions() {
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            assert_eq!(op.flipped().flipped(), op);
            assert_eq!(op.negated().negated(), op);
        }
    }
}
