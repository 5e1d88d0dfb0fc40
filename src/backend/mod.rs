//! Backends: [`ir::Query`] → each CRM's native request.
//!
//! A backend consumes only the validated intermediate form, never the AST,
//! and returns a structured, serialisable request value. A construct the
//! target cannot express exactly is rejected with a `B…` code naming the
//! target and the construct — never approximated silently.
//!
//! | target | module | request |
//! |---|---|---|
//! | salesforce | [`soql`] | [`soql::SoqlQuery`]: the SOQL statement |
//! | dynamics | [`odata`] | [`odata::ODataRequest`]: entity set, `$select`/`$filter`/`$orderby`/`$top`/`$expand`, headers, client paging plan |
//! | sugarcrm | [`sugar`] | [`sugar::SugarRequest`]: module and `POST /rest/v11/<Module>/filter` body |

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Errors};
use crate::ir::CmpOp;
use crate::{ir, Options, Target};

pub mod odata;
pub mod soql;
pub mod sugar;

/// The native request for one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Request {
    /// Salesforce SOQL.
    Salesforce(soql::SoqlQuery),
    /// Dynamics / Dataverse OData.
    Dynamics(odata::ODataRequest),
    /// SugarCRM filter request.
    Sugarcrm(sugar::SugarRequest),
}

impl Request {
    /// The target this request is for.
    pub fn target(&self) -> Target {
        match self {
            Request::Salesforce(_) => Target::Salesforce,
            Request::Dynamics(_) => Target::Dynamics,
            Request::Sugarcrm(_) => Target::Sugarcrm,
        }
    }
}

/// The text form printed by `kql translate`: the SOQL statement, the decoded
/// OData `entity_set?query`, or the SugarCRM body JSON.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Salesforce(q) => fmt::Display::fmt(q, f),
            Request::Dynamics(q) => fmt::Display::fmt(q, f),
            Request::Sugarcrm(q) => fmt::Display::fmt(q, f),
        }
    }
}

/// A successful translation: the request plus every warning of validation
/// and lowering.
///
/// Serialises as the `kql translate --format json` contract: `{"target", "warnings", …request fields}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Translation {
    /// The target.
    pub target: Target,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
    /// Warnings (rendered with [`Errors::render`]).
    pub warnings: Vec<Error>,
}

/// [`IDENT`] class of an ASCII letter.
pub(crate) const LETTER: u8 = 1;
/// [`IDENT`] class of an ASCII digit.
pub(crate) const DIGIT: u8 = 2;
/// [`IDENT`] class of `_`.
pub(crate) const UNDERSCORE: u8 = 4;
/// [`IDENT`] class of a byte no name contains, other than `.`.
pub(crate) const BAD: u8 = 8;
/// [`IDENT`] class of `.`, which no name contains either but which joins
/// the names of a path.
pub(crate) const DOT: u8 = 16;

/// The class of each byte in a name: [`LETTER`], [`DIGIT`], [`UNDERSCORE`],
/// [`DOT`] or [`BAD`]. Shared by the backends, whose name grammars are
/// spelled as masks of these classes (SOQL starts a name with a letter,
/// Dataverse and SugarCRM with a letter or `_`), so that checking a byte is
/// one table load and one test.
pub(crate) const IDENT: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() {
            t[b] = LETTER;
        } else if c.is_ascii_digit() {
            t[b] = DIGIT;
        } else if c == b'_' {
            t[b] = UNDERSCORE;
        } else if c == b'.' {
            t[b] = DOT;
        }
        b += 1;
    }
    t
};

/// Every two-digit number `00`–`99`, in order.
const DIGIT_PAIRS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Appends `n` in decimal, as `write!(out, "{n}")` does but without the
/// formatting machinery: two digits at a time, each pair one copy.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    if n >= 100 {
        push_u64(out, n / 100);
        let k = (n % 100) as usize * 2;
        out.push_str(&DIGIT_PAIRS[k..k + 2]);
    } else if n >= 10 {
        let k = n as usize * 2;
        out.push_str(&DIGIT_PAIRS[k..k + 2]);
    } else {
        let k = n as usize * 2 + 1;
        out.push_str(&DIGIT_PAIRS[k..k + 1]);
    }
}

/// A predicate of a `WHERE` condition with the `NOT`s above it folded in:
/// the condition in negation normal form, as the SOQL and OData backends
/// write it (ruling R64).
///
/// `NOT` is pushed through `AND`/`OR` by De Morgan's laws and into each
/// predicate by its complement (`NOT a < 5` is `a >= 5`, `NOT a = 1` is
/// `a != 1`, `NOT a LIKE …` is `a NOT LIKE …`). All of this is exact under
/// SQL's three-valued logic: Kleene logic keeps De Morgan's laws, and a
/// comparison and its complement are both UNKNOWN on NULL.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Leaf<'c, 'a> {
    /// `field op value`, the value never a boolean compared by `=`/`!=`.
    Compare(&'c ir::Field<'a>, CmpOp, &'c ir::Value<'a>),
    /// `field = value` for a boolean value: `f != TRUE` (and `f NOT IN
    /// (TRUE)`) is written `f = FALSE`, which is what it means under
    /// three-valued logic (a boolean has two values) and is FALSE on NULL
    /// under either null model, so it needs no guard — on Salesforce, where
    /// `f != null` on a boolean means `f = true`, a guard would be wrong.
    Bool(&'c ir::Field<'a>, bool),
    /// `field [NOT] LIKE pattern` (`true`: negated).
    Like(&'c ir::Field<'a>, &'c ir::LikePattern<'a>, bool),
    /// `field [NOT] IN (values)` (`true`: negated).
    In(&'c ir::Field<'a>, &'c [ir::Value<'a>], bool),
    /// `field IS [NOT] NULL` (`true`: `IS NOT NULL`).
    IsNull(&'c ir::Field<'a>, bool),
}

impl<'c, 'a> Leaf<'c, 'a> {
    /// The predicate `c` under `neg` (an odd number of `NOT`s above it);
    /// `None` for `AND`, `OR` and `NOT`.
    #[inline]
    pub(crate) fn fold(c: &'c ir::Cond<'a>, neg: bool) -> Option<Self> {
        use ir::Cond;
        Some(match c {
            Cond::Compare {
                field, op, value, ..
            } => {
                let op = if neg { op.negated() } else { *op };
                match (op, &value.literal) {
                    (CmpOp::Eq, ir::Literal::Bool(b)) => Leaf::Bool(field, *b),
                    (CmpOp::Ne, ir::Literal::Bool(b)) => Leaf::Bool(field, !*b),
                    _ => Leaf::Compare(field, op, value),
                }
            }
            Cond::Like {
                field,
                pattern,
                negated,
                ..
            } => Leaf::Like(field, pattern, *negated != neg),
            Cond::In {
                field,
                values,
                negated,
                ..
            } => {
                let negated = *negated != neg;
                // `f NOT IN (TRUE)` is `f = FALSE`, for the reason `Bool` gives
                match sole_bool(values).filter(|_| negated) {
                    Some(b) => Leaf::Bool(field, !b),
                    None => Leaf::In(field, values, negated),
                }
            }
            Cond::IsNull { field, negated, .. } => Leaf::IsNull(field, *negated != neg),
            Cond::And { .. } | Cond::Or { .. } | Cond::Not { .. } => return None,
        })
    }

    /// The property tested.
    pub(crate) fn field(&self) -> &'c ir::Field<'a> {
        match *self {
            Leaf::Compare(f, ..)
            | Leaf::Bool(f, _)
            | Leaf::Like(f, ..)
            | Leaf::In(f, ..)
            | Leaf::IsNull(f, _) => f,
        }
    }

    /// Whether the predicate needs a null guard (`AND f IS NOT NULL`) on a
    /// target whose NULL logic may be two-valued: `!=`, `NOT LIKE` and
    /// `NOT IN` are TRUE on a NULL there, UNKNOWN in SQL. With the guard the
    /// predicate is FALSE on NULL under both models, and in a negation normal
    /// form a FALSE where SQL says UNKNOWN selects the same rows (only TRUE
    /// selects one, and AND/OR are monotone). Every other predicate is
    /// already FALSE (or UNKNOWN) on NULL under both models.
    pub(crate) fn needs_guard(&self) -> bool {
        matches!(
            self,
            Leaf::Compare(_, CmpOp::Ne, _) | Leaf::Like(_, _, true) | Leaf::In(_, _, true)
        )
    }

    /// Whether this predicate, standing after a guarded predicate on `field`
    /// in one `AND`, guards that field too: another guarded predicate on it
    /// (`f != 'a' AND f != 'b' AND f != null`, so `NOT (f = 'a' OR f = 'b')`
    /// writes no repeated guard), or `f IS NOT NULL`.
    fn guards(&self, field: &ir::Field<'_>) -> bool {
        (self.needs_guard() || matches!(self, Leaf::IsNull(_, true)))
            && self.field().path == field.path
    }
}

/// `c` without the `NOT`s wrapping it, and `neg` flipped once for each.
pub(crate) fn strip_nots<'c, 'a>(
    mut c: &'c ir::Cond<'a>,
    mut neg: bool,
) -> (&'c ir::Cond<'a>, bool) {
    while let ir::Cond::Not { operand, .. } = c {
        c = operand;
        neg = !neg;
    }
    (c, neg)
}

/// One operand of an `AND`/`OR` as a guarding backend writes it (R64).
pub(crate) struct Operand<'c, 'a> {
    /// The operand without the `NOT`s wrapping it, and its polarity.
    pub cond: &'c ir::Cond<'a>,
    pub neg: bool,
    /// The folded predicate; `None` for a group.
    pub leaf: Option<Leaf<'c, 'a>>,
    /// Whether it needs parentheses in its group.
    pub paren: bool,
    /// Whether it writes its own null guard (`false` when the next operand
    /// guards its field, [`Leaf::guards`]).
    pub guard: bool,
}

/// The operands of a group joining with `AND` (`all`) or `OR`, under `neg`,
/// each folded once (with one operand of lookahead for shared guards).
#[inline]
pub(crate) fn operands<'c, 'a>(
    ops: &'c [ir::Cond<'a>],
    all: bool,
    neg: bool,
) -> impl Iterator<Item = Operand<'c, 'a>> {
    let fold = move |o: &'c ir::Cond<'a>| {
        let (cond, neg) = strip_nots(o, neg);
        (cond, neg, Leaf::fold(cond, neg))
    };
    let mut next = ops.first().map(fold);
    (0..ops.len()).filter_map(move |i| {
        let (cond, neg, leaf) = next.take()?;
        next = ops.get(i + 1).map(fold);
        let guarded = leaf.filter(Leaf::needs_guard);
        let shape = match (leaf, cond) {
            (Some(_), _) if guarded.is_some() => Shape::All,
            (Some(_), _) => Shape::One,
            (None, ir::Cond::And { .. }) if !neg => Shape::All,
            (None, ir::Cond::Or { .. }) if neg => Shape::All,
            (None, _) => Shape::Any,
        };
        let shared = all
            && guarded.is_some_and(|g| {
                next.as_ref()
                    .and_then(|n| n.2)
                    .is_some_and(|n| n.guards(g.field()))
            });
        Some(Operand {
            cond,
            neg,
            leaf,
            paren: shape.paren_in(all),
            guard: !shared,
        })
    })
}

/// The one boolean an `IN` list holds, when it holds nothing else.
fn sole_bool(values: &[ir::Value<'_>]) -> Option<bool> {
    let mut sole = None;
    for v in values {
        match (&v.literal, sole) {
            (ir::Literal::Bool(b), None) => sole = Some(*b),
            (ir::Literal::Bool(b), Some(s)) if *b == s => {}
            _ => return None,
        }
    }
    sole
}

/// How a condition reads once [`Leaf`] folding is done, for parenthesising:
/// a group of the other connective needs parentheses, a guarded predicate is
/// an `AND` of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// An `AND` (or a guarded predicate).
    All,
    /// An `OR`.
    Any,
    /// One predicate.
    One,
}

impl Shape {
    /// Whether a child of this shape needs parentheses inside a group that
    /// joins with `AND` (`all`) or `OR`.
    fn paren_in(self, all: bool) -> bool {
        match self {
            Shape::All => !all,
            Shape::Any => all,
            Shape::One => false,
        }
    }
}

/// Lowers a validated query for `target`.
pub fn lower(
    q: &ir::Query<'_>,
    target: Target,
    options: &Options,
) -> Result<(Request, Vec<Error>), Errors> {
    // What the target cannot express was checked by `validate` when the
    // query was validated for this target; otherwise it is checked here.
    if q.target != Some(target) {
        let refused = crate::capabilities::check(q, target, options.extended);
        if !refused.is_empty() {
            return Err(Errors(refused));
        }
    }
    match target {
        Target::Salesforce => soql::lower(q, options).map(|(r, w)| (Request::Salesforce(r), w)),
        Target::Dynamics => odata::lower(q, options).map(|(r, w)| (Request::Dynamics(r), w)),
        Target::Sugarcrm => sugar::lower(q, options).map(|(r, w)| (Request::Sugarcrm(r), w)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_u64_writes_decimal() {
        let mut n = 1u64;
        let mut cases = vec![
            0,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            2000,
            u64::MAX,
            u64::MAX - 1,
        ];
        while let Some(m) = n.checked_mul(7) {
            cases.extend([n, n - 1, n + 1]);
            n = m;
        }
        for n in cases {
            let mut s = String::from("x");
            super::push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
