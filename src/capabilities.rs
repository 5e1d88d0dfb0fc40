//! What each target can express, in one place (`grammar/subset.md`).
//!
//! [`validate`](crate::validate()) asks these functions while it reads the
//! syntax tree, so a query validated for a target is refused with the
//! target's codes, at the positions of the constructs. An IR that was not
//! validated for the target it is lowered to (validated with no target, or
//! built by hand) is checked by [`check`] before any backend sees it, so the
//! backends never check these rules again.
//!
//! The rules:
//! - `S014`: DQL compiles to dynamics only.
//! - `S015`: salesforce has no `SELECT *`.
//! - `S018`: sugarcrm has no `NOT (…)` and no `NOT LIKE`, except in extended
//!   mode, where NOT is pushed down where that is exact.

use crate::error::{Code, Error};
use crate::ir::{self, Cond, Selection};
use crate::options::{Lang, Target};
use crate::span::Span;

/// `S014`, when `lang` does not compile to `target`.
pub(crate) fn lang_target(lang: Lang, target: Target, span: Span) -> Option<Error> {
    (!lang.targets().contains(&target)).then(|| {
        Error::new(
            Code::LangTarget,
            span,
            format!("{lang} is not supported by {target}"),
        )
        .with_help("DQL compiles to dynamics only; write KQL for salesforce and sugarcrm")
    })
}

/// `S015`, when `target` has no `SELECT *`.
pub(crate) fn select_all(target: Target, span: Span) -> Option<Error> {
    (target == Target::Salesforce).then(|| {
        Error::new(
            Code::Wildcard,
            span,
            "salesforce does not support `SELECT *`",
        )
        .with_help("list the fields to return, e.g. `SELECT Id, Name`")
    })
}

/// `S018`, when `target` cannot negate `what` (`NOT (…)` or `NOT LIKE`).
pub(crate) fn negation(target: Target, extended: bool, span: Span, what: &str) -> Option<Error> {
    (target == Target::Sugarcrm && !extended).then(|| {
        Error::new(Code::SugarNot, span, format!("sugarcrm does not support {what}"))
            .with_help("use `!=`, `NOT IN` or `IS NOT NULL`, or turn on extended mode to push NOT down where exact")
    })
}

/// Every rule above that `q` breaks on `target`, in the order of the text.
pub(crate) fn check(q: &ir::Query<'_>, target: Target, extended: bool) -> Vec<Error> {
    let extended = extended || q.extended;
    let mut errors: Vec<Error> = Vec::new();
    errors.extend(lang_target(q.lang, target, q.object.span));
    if let Selection::All { span } = &q.selection {
        errors.extend(select_all(target, *span));
    }
    if let Some(c) = &q.filter {
        conditions(c, target, extended, 0, &mut errors);
    }
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors
}

/// How deep [`conditions`] looks: the backends refuse deeper conditions
/// (`L001`), which only a hand-built IR can have.
const MAX_DEPTH: usize = 256;

/// [`negation`] for every `NOT` and `NOT LIKE` in `c`, `depth` levels down.
fn conditions(c: &Cond<'_>, target: Target, extended: bool, depth: usize, errors: &mut Vec<Error>) {
    if depth > MAX_DEPTH {
        return;
    }
    match c {
        Cond::And { operands, .. } | Cond::Or { operands, .. } => {
            for o in operands {
                conditions(o, target, extended, depth + 1, errors);
            }
        }
        Cond::Not { operand, span } => {
            errors.extend(negation(target, extended, *span, "`NOT (…)`"));
            conditions(operand, target, extended, depth + 1, errors);
        }
        Cond::Like {
            negated: true,
            span,
            ..
        } => errors.extend(negation(target, extended, *span, "`NOT LIKE`")),
        _ => {}
    }
}
