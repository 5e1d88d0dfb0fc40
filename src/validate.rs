//! Validation: [`ast::Query`] → [`ir::Query`] under the documented subset of
//! (language, target, mode). The rules and their codes are the matrix in
//! `grammar/subset.md`; every problem is reported, not just the first.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::ast::{self, CmpOp, Direction, Expr, SelectItem, TableSource};
use crate::capabilities;
use crate::error::{one_line, Code, Error, Errors};
use crate::ir::{self, Cond, Count, Date, DateTime, Field, LikePattern, Literal, Value};
use crate::span::Span;
use crate::{Lang, Options, Target};

pub(crate) fn validate<'a>(
    q: &ast::Query<'a>,
    lang: Lang,
    target: Option<Target>,
    options: &Options,
) -> Result<ir::Query<'a>, Errors> {
    let v = Validator {
        lang,
        target,
        extended: options.extended,
        options,
        errors: Vec::new(),
        warnings: Vec::new(),
        predicates: 0,
    };
    v.query(q)
}

/// Exact duplicate detection for a list being built (the SELECT list, the
/// sort keys). While fewer than [`Repeats::FEW`] names are kept, a new name
/// is compared with the kept ones where they are, in the list itself: no
/// copy, no hashing, no allocation for the usual short lists. Past that a
/// hash set takes over, filled once from the tree's texts of every earlier
/// item (a dropped repeat has the text of a kept name, so it adds nothing),
/// so duplicate detection stays linear in the list.
struct Repeats<'q> {
    many: Option<HashSet<&'q str>>,
}

impl<'q> Repeats<'q> {
    const FEW: usize = 8;

    fn new() -> Self {
        Repeats { many: None }
    }

    /// Whether `text` repeats a kept name (and, when it does not, records it).
    /// `kept`: the names kept so far; `earlier`: the texts, borrowed from
    /// the tree, of the items before this one that named a field.
    fn repeat<'k, I: Iterator<Item = &'q str>>(
        &mut self,
        text: &'q str,
        mut kept: impl ExactSizeIterator<Item = &'k str>,
        earlier: impl FnOnce() -> I,
    ) -> bool {
        if self.many.is_none() {
            if kept.len() < Repeats::FEW {
                return kept.any(|k| k == text);
            }
            self.many = Some(earlier().collect());
        }
        self.many.as_mut().is_some_and(|set| !set.insert(text))
    }
}

/// The text an item of the SELECT list names a field by (see
/// [`Validator::selection`]), borrowed from the tree; `None` when it names none.
fn select_text<'q>(item: &'q SelectItem<'_>) -> Option<&'q str> {
    match item {
        SelectItem::Expr { expr, .. } => match expr {
            Expr::Column { ident } => Some(&ident.name),
            Expr::String { value, .. } => Some(value),
            Expr::Number { text, .. } => Some(text),
            Expr::Bool { value, .. } => Some(if *value { "TRUE" } else { "FALSE" }),
            Expr::Null { .. } => Some("NULL"),
            _ => None,
        },
        SelectItem::Wildcard { .. } => None,
    }
}

struct Validator<'o> {
    lang: Lang,
    target: Option<Target>,
    extended: bool,
    options: &'o Options,
    errors: Vec<Error>,
    warnings: Vec<Error>,
    predicates: usize,
}

impl<'o> Validator<'o> {
    fn err(&mut self, e: Error) {
        self.errors.push(e);
    }

    fn warn(&mut self, e: Error) {
        self.warnings.push(e);
    }

    /// A construct outside documented DQL: an error unless `extended`.
    fn dql_documented(&mut self, span: Span, what: &str) {
        if self.lang == Lang::Dql && !self.extended {
            self.err(
                Error::new(
                    Code::NotDocumented,
                    span,
                    format!("{what} is not part of documented DQL"),
                )
                .with_help("use KQL, or turn on extended mode (`--extended`)"),
            );
        }
    }

    /// Every problem found: the errors in source order, then the warnings.
    #[cold]
    fn into_errors(mut self, span: Span) -> Errors {
        if self.errors.is_empty() {
            self.errors.push(Error::new(
                Code::Internal,
                span,
                "validation produced no query and no error",
            ));
        }
        self.errors.sort_by_key(|e| (e.span.start, e.span.end));
        let mut all = self.errors;
        all.extend(self.warnings);
        Errors(all)
    }

    /// The query, built in place as the result (it is a few hundred bytes).
    fn query<'a>(mut self, q: &ast::Query<'a>) -> Result<ir::Query<'a>, Errors> {
        let head = Span::new(q.span.start, q.span.start + 6);
        if let Some(t) = self.target {
            if let Some(e) = capabilities::lang_target(self.lang, t, head) {
                self.err(e);
            }
        }
        if let Some(d) = q.distinct {
            self.err(
                Error::new(Code::Distinct, d, "`SELECT DISTINCT` is not supported")
                    .with_help("remove `DISTINCT`"),
            );
        }
        let selection = self.selection(q);
        let object = self.from(q);
        for j in &q.joins {
            self.err(
                Error::new(
                    Code::Join,
                    j.span,
                    "`JOIN` is not supported: a query reads one object type",
                )
                .with_help("query each object type separately"),
            );
        }
        let filter = match &q.where_clause {
            Some(w) => self.cond(w, false).map(Some),
            None => Some(None),
        };
        if self.predicates > self.options.limits.max_predicates {
            let span = q.where_clause.as_ref().map_or(q.span, Expr::span);
            self.err(Error::new(
                Code::TooManyPredicates,
                span,
                format!(
                    "the WHERE clause has {} predicates, over the limit of {}",
                    self.predicates, self.options.limits.max_predicates
                ),
            ));
        }
        if let Some(g) = &q.group_by {
            self.err(
                Error::new(Code::GroupBy, g.span, "`GROUP BY` is not supported")
                    .with_help("aggregation is not available in KQL"),
            );
        }
        if let Some(h) = &q.having {
            self.err(
                Error::new(Code::Having, h.span(), "`HAVING` is not supported")
                    .with_help("aggregation is not available in KQL"),
            );
        }
        let order_by = self.order_by(&q.order_by);
        let limit = q.limit.as_ref().and_then(|e| {
            self.dql_documented(e.span(), "`LIMIT`");
            self.count(e, "LIMIT")
        });
        let offset = q.offset.as_ref().and_then(|e| {
            self.dql_documented(e.span(), "`OFFSET`");
            self.count(e, "OFFSET")
        });
        let ok_limit = q.limit.is_none() || limit.is_some();
        let ok_offset = q.offset.is_none() || offset.is_some();
        let complete = selection.is_some()
            && object.is_some()
            && filter.is_some()
            && order_by.is_some()
            && ok_limit
            && ok_offset;
        if !complete || !self.errors.is_empty() {
            return Err(self.into_errors(q.span));
        }
        // (each part is moved once, straight into the result)
        let (Some(selection), Some(object), Some(filter), Some(order_by)) =
            (selection, object, filter, order_by)
        else {
            return Err(self.into_errors(q.span));
        };
        Ok(ir::Query {
            lang: self.lang,
            target: self.target,
            extended: self.extended,
            object,
            selection,
            filter,
            order_by,
            limit,
            offset,
            warnings: self.warnings,
        })
    }

    fn alias(&mut self, a: &Option<ast::Alias<'_>>) {
        if let Some(a) = a {
            self.warn(
                Error::new(
                    Code::AliasIgnored,
                    a.span,
                    format!("alias `{}` is ignored", a.name),
                )
                .with_help("aliases are not part of KQL; results use the property names"),
            );
        }
    }

    fn selection<'a>(&mut self, q: &ast::Query<'a>) -> Option<ir::Selection<'a>> {
        let mut fields: Vec<Field<'a>> = Vec::with_capacity(q.select.len());
        let mut seen = Repeats::new();
        let mut wildcard = None;
        let mut ok = true;
        for (i, item) in q.select.iter().enumerate() {
            match item {
                SelectItem::Wildcard { span } => {
                    if q.select.len() > 1 {
                        self.err(
                            Error::new(
                                Code::Wildcard,
                                *span,
                                "`*` cannot be combined with other fields",
                            )
                            .with_help("select `*` alone, or list the fields"),
                        );
                        ok = false;
                    } else if let Some(e) =
                        self.target.and_then(|t| capabilities::select_all(t, *span))
                    {
                        self.err(e);
                        ok = false;
                    } else {
                        self.dql_documented(*span, "`SELECT *`");
                    }
                    wildcard = Some(*span);
                }
                SelectItem::Expr { expr, alias } => {
                    self.alias(alias);
                    // (the field, and its path as text borrowed from the tree)
                    let field = match expr {
                        Expr::Column { ident } => Some((
                            Field {
                                path: ident.name.clone(),
                                span: ident.span,
                                from_literal: false,
                                ty: None,
                            },
                            &*ident.name,
                        )),
                        Expr::String { value, span } => {
                            Some((self.literal_field(value.clone(), *span), &**value))
                        }
                        Expr::Number { text, span } => {
                            Some((self.literal_field(text.clone(), *span), &**text))
                        }
                        Expr::Bool { value, span } => {
                            let name = if *value { "TRUE" } else { "FALSE" };
                            Some((self.literal_field(Cow::Borrowed(name), *span), name))
                        }
                        Expr::Null { span } => {
                            Some((self.literal_field(Cow::Borrowed("NULL"), *span), "NULL"))
                        }
                        other => {
                            self.unsupported(other, &"a property name in the SELECT list");
                            None
                        }
                    };
                    match field {
                        Some((f, text)) => {
                            let kept = fields.iter().map(|f| &*f.path);
                            let earlier = || q.select[..i].iter().filter_map(select_text);
                            if seen.repeat(text, kept, earlier) {
                                self.warn(duplicate_field(&f));
                            } else {
                                fields.push(f);
                            }
                        }
                        None => ok = false,
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        match wildcard {
            Some(span) => Some(ir::Selection::All { span }),
            None => Some(ir::Selection::Fields { fields }),
        }
    }

    fn literal_field<'a>(&mut self, name: Cow<'a, str>, span: Span) -> Field<'a> {
        self.warn(
            Error::new(
                Code::LiteralAsProperty,
                span,
                format!(
                    "the literal is treated as the property name `{}`",
                    one_line(&name)
                ),
            )
            .with_help("write the property name without quotes"),
        );
        Field {
            path: name,
            span,
            from_literal: true,
            ty: None,
        }
    }

    fn from<'a>(&mut self, q: &ast::Query<'a>) -> Option<ir::Name<'a>> {
        let mut object = None;
        for (k, t) in q.from.iter().enumerate() {
            self.alias(&t.alias);
            if k > 0 {
                self.err(
                    Error::new(
                        Code::MultipleObjects,
                        t.span,
                        "only one object type is allowed in `FROM`",
                    )
                    .with_help("query each object type separately"),
                );
                continue;
            }
            match &t.source {
                TableSource::Object { name } => {
                    object = Some(ir::Name {
                        name: name.name.clone(),
                        span: name.span,
                    })
                }
                TableSource::Subquery { span, .. } => {
                    self.err(Error::new(
                        Code::Subquery,
                        *span,
                        "sub-queries are not supported",
                    ));
                }
            }
        }
        object
    }

    fn order_by<'q, 'a>(
        &mut self,
        items: &'q [ast::OrderItem<'a>],
    ) -> Option<ir::SmallList<ir::OrderKey<'a>>> {
        let mut keys: ir::SmallList<ir::OrderKey<'a>> = ir::SmallList::new();
        let mut seen = Repeats::new();
        let mut ok = true;
        if items.len() > 1 {
            if let Some(second) = items.get(1) {
                self.dql_documented(second.span, "sorting by several keys");
            }
        }
        for (i, it) in items.iter().enumerate() {
            if it.direction.is_none() && self.lang == Lang::Dql && !self.extended {
                self.err(
                    Error::new(
                        Code::OrderDirection,
                        it.span,
                        "DQL requires `ASC` or `DESC` after an `ORDER BY` property",
                    )
                    .with_help("write `ASC` or `DESC` (extended mode defaults to `ASC`)"),
                );
                ok = false;
            }
            let Some(field) =
                self.field(&it.expr, Code::OrderByTarget, &"a property name to sort by")
            else {
                ok = false;
                continue;
            };
            // `field` only accepts a column: its name, borrowed from the tree
            let column = |it: &'q ast::OrderItem<'a>| match &it.expr {
                Expr::Column { ident } => Some(&*ident.name),
                _ => None,
            };
            let text = column(it).unwrap_or("");
            let kept = keys.iter().map(|k| &*k.field.path);
            let earlier = || items[..i].iter().filter_map(column);
            if seen.repeat(text, kept, earlier) {
                self.warn(
                    Error::new(
                        Code::DuplicateOrderKey,
                        it.span,
                        format!("`{}` is sorted on twice; the repeat is dropped", field.path),
                    )
                    .with_help("remove the repeated sort key"),
                );
                continue;
            }
            keys.push(ir::OrderKey {
                field,
                direction: it.direction.unwrap_or(Direction::Asc),
                explicit: it.direction.is_some(),
            });
        }
        ok.then_some(keys)
    }

    fn count(&mut self, e: &Expr<'_>, what: &str) -> Option<Count> {
        if let Expr::Number { text, span } = e {
            if let Some(value) = parse_count(text) {
                return Some(Count { value, span: *span });
            }
        }
        self.bad_count(e.span(), what);
        None
    }

    #[cold]
    fn bad_count(&mut self, span: Span, what: &str) {
        self.err(
            Error::new(
                Code::LimitValue,
                span,
                format!("`{what}` must be a whole number from 0 to 18446744073709551615"),
            )
            .with_help(format!("write e.g. `{what} 100`")),
        );
    }

    /// A property reference, or an error naming what was written instead.
    ///
    /// `expected` is only formatted when an error is reported, so a caller
    /// can pass `&format_args!(…)` without allocating on the accepted path.
    fn field<'a>(
        &mut self,
        e: &Expr<'a>,
        code: Code,
        expected: &dyn fmt::Display,
    ) -> Option<Field<'a>> {
        if let Expr::Column { ident } = e {
            return Some(Field {
                path: ident.name.clone(),
                span: ident.span,
                from_literal: false,
                ty: None,
            });
        }
        self.not_a_field(e, code, expected);
        None
    }

    #[cold]
    fn not_a_field(&mut self, e: &Expr<'_>, code: Code, expected: &dyn fmt::Display) {
        match e {
            Expr::Column { .. } => {}
            Expr::String { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. }
            | Expr::Star { .. } => {
                self.err(Error::new(
                    code,
                    e.span(),
                    format!("expected {expected}, found a literal"),
                ));
            }
            other => self.unsupported(other, expected),
        }
    }

    /// Reports an expression that has no place where it stands, naming the construct.
    fn unsupported(&mut self, e: &Expr<'_>, expected: &dyn fmt::Display) {
        let span = e.span();
        let err = match e {
            Expr::Call { call, .. } => Error::new(
                Code::Function,
                span,
                format!(
                    "functions are not supported: `{}`",
                    call.name.name.to_ascii_uppercase()
                ),
            )
            .with_help(
                "select and filter on property names; aggregates and functions are not available",
            ),
            Expr::Arith { .. } | Expr::Neg { .. } => {
                Error::new(Code::Arithmetic, span, "arithmetic is not supported")
                    .with_help("compare a property with a literal, e.g. `amount > 1000`")
            }
            Expr::Subquery { .. } | Expr::InSubquery { .. } => {
                Error::new(Code::Subquery, span, "sub-queries are not supported")
            }
            Expr::Between { .. } => Error::new(Code::Between, span, "`BETWEEN` is not supported")
                .with_help("write `x >= low AND x <= high`"),
            Expr::Compare { .. }
            | Expr::And { .. }
            | Expr::Or { .. }
            | Expr::Not { .. }
            | Expr::Like { .. }
            | Expr::In { .. }
            | Expr::IsNull { .. } => Error::new(
                Code::ExpectedProperty,
                span,
                format!("expected {expected}, found a condition"),
            ),
            Expr::Column { .. }
            | Expr::String { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. }
            | Expr::Star { .. } => {
                Error::new(Code::ExpectedProperty, span, format!("expected {expected}"))
            }
        };
        self.err(err);
    }

    fn count_predicate(&mut self) {
        self.predicates += 1;
    }

    /// A WHERE condition. `negated` tracks whether we are under a NOT (for
    /// the sugarcrm rule that names the construct).
    #[allow(clippy::only_used_in_recursion)]
    fn cond<'a>(&mut self, e: &Expr<'a>, negated: bool) -> Option<Cond<'a>> {
        match e {
            Expr::And { operands, span } | Expr::Or { operands, span } => {
                let is_and = matches!(e, Expr::And { .. });
                let mut out = Vec::with_capacity(operands.len());
                let mut ok = true;
                for o in operands {
                    match self.cond(o, negated) {
                        // flatten same-operator nesting: (a AND b) AND c
                        Some(Cond::And {
                            operands: inner, ..
                        }) if is_and => out.extend(inner),
                        Some(Cond::Or {
                            operands: inner, ..
                        }) if !is_and => out.extend(inner),
                        Some(c) => out.push(c),
                        None => ok = false,
                    }
                }
                let span = *span;
                ok.then_some(if is_and {
                    Cond::And {
                        operands: out,
                        span,
                    }
                } else {
                    Cond::Or {
                        operands: out,
                        span,
                    }
                })
            }
            Expr::Not { expr, span } => {
                self.dql_documented(*span, "`NOT`");
                self.sugar_not(*span, "`NOT (…)`");
                let inner = self.cond(expr, !negated)?;
                Some(Cond::Not {
                    operand: Box::new(inner),
                    span: *span,
                })
            }
            Expr::Compare { op, operands, span } => {
                self.count_predicate();
                self.compare(*op, &operands.lhs, &operands.rhs, *span)
            }
            Expr::Like { like, span } => {
                let ast::Like {
                    expr,
                    pattern,
                    negated: not,
                    escape,
                } = &**like;
                self.count_predicate();
                if let Some(esc) = escape {
                    self.err(
                        Error::new(Code::Escape, esc.span(), "`ESCAPE` is not supported")
                            .with_help("KQL patterns have wildcards only at the start and end: '%kw', 'kw%', '%kw%'"),
                    );
                    return None;
                }
                if *not {
                    self.dql_documented(*span, "`NOT LIKE`");
                    self.sugar_not(*span, "`NOT LIKE`");
                }
                let field = self.field(
                    expr,
                    Code::ExpectedProperty,
                    &"a property name before `LIKE`",
                );
                let pattern = self.like_pattern(pattern);
                let (Some(field), Some(pattern)) = (field, pattern) else {
                    return None;
                };
                Some(match pattern {
                    Classified::Pattern(p) => Cond::Like {
                        field,
                        pattern: p,
                        negated: *not,
                        span: *span,
                    },
                    Classified::Exact(v) => Cond::Compare {
                        field,
                        op: if *not { CmpOp::Ne } else { CmpOp::Eq },
                        value: v,
                        span: *span,
                    },
                    // `x LIKE '%'` is TRUE for every non-null x and UNKNOWN for NULL;
                    // `x NOT LIKE '%'` is FALSE or UNKNOWN. `IS [NOT] NULL` is never
                    // UNKNOWN, so it is exact only where UNKNOWN and FALSE act alike:
                    // under an even number of NOTs for LIKE (then `IS NOT NULL`), an
                    // odd number for NOT LIKE (then `IS NULL`). Elsewhere no
                    // predicate of the subset means the same thing.
                    Classified::Any if negated == *not => Cond::IsNull {
                        field,
                        negated: !*not,
                        span: *span,
                    },
                    Classified::Any => {
                        self.err(
                            Error::new(
                                Code::LikePattern,
                                *span,
                                if *not {
                                    "`NOT LIKE '%'` never matches a row"
                                } else {
                                    "`LIKE '%'` under `NOT` never matches a row"
                                },
                            )
                            .with_help("remove the condition, or write `IS NULL` / `IS NOT NULL`"),
                        );
                        return None;
                    }
                })
            }
            Expr::In { in_list, span } => {
                let ast::InList {
                    expr,
                    list,
                    negated: not,
                } = &**in_list;
                self.count_predicate();
                self.dql_documented(*span, if *not { "`NOT IN`" } else { "`IN`" });
                let field =
                    self.field(expr, Code::ExpectedProperty, &"a property name before `IN`");
                if list.is_empty() {
                    self.err(
                        Error::new(Code::EmptyInList, *span, "the `IN` list is empty")
                            .with_help("list at least one value: `IN ('a', 'b')`"),
                    );
                    return None;
                }
                if list.len() > self.options.limits.max_in_list {
                    self.err(Error::new(
                        Code::InListTooLong,
                        *span,
                        format!(
                            "the `IN` list has {} values, over the limit of {}",
                            list.len(),
                            self.options.limits.max_in_list
                        ),
                    ));
                    return None;
                }
                let mut values = Vec::with_capacity(list.len());
                let mut ok = true;
                let max_string = self.options.limits.max_string_bytes;
                for item in list {
                    // The common case inline: a string within the length
                    // limit that cannot be a date (`may_be_temporal`), which
                    // `value` would turn into a string literal as written.
                    if let Expr::String { value, span } = item {
                        if value.len() <= max_string && !may_be_temporal(value) {
                            values.push(Value {
                                literal: Literal::String(value.clone()),
                                span: *span,
                            });
                            continue;
                        }
                    }
                    if let Expr::Null { span } = item {
                        self.err(
                            Error::new(
                                Code::CompareNull,
                                *span,
                                "`NULL` in an `IN` list never matches",
                            )
                            .with_help("use `IS NULL` (combined with OR) to match missing values"),
                        );
                        ok = false;
                        continue;
                    }
                    match self.value(item) {
                        Some(v) => values.push(v),
                        None => ok = false,
                    }
                }
                let field = field?;
                ok.then_some(Cond::In {
                    field,
                    values,
                    negated: *not,
                    span: *span,
                })
            }
            Expr::IsNull {
                expr,
                negated: not,
                span,
            } => {
                self.count_predicate();
                self.dql_documented(*span, if *not { "`IS NOT NULL`" } else { "`IS NULL`" });
                let field =
                    self.field(expr, Code::ExpectedProperty, &"a property name before `IS`")?;
                Some(Cond::IsNull {
                    field,
                    negated: *not,
                    span: *span,
                })
            }
            Expr::Between { .. }
            | Expr::InSubquery { .. }
            | Expr::Call { .. }
            | Expr::Arith { .. }
            | Expr::Neg { .. }
            | Expr::Subquery { .. } => {
                self.unsupported(e, &"a condition");
                None
            }
            Expr::Column { ident } => {
                self.err(
                    Error::new(
                        Code::NotACondition,
                        ident.span,
                        format!("expected a condition, found the property `{}`", ident.name),
                    )
                    .with_help(format!(
                        "compare it with a value, e.g. `{} = TRUE`",
                        ident.name
                    )),
                );
                None
            }
            Expr::String { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. }
            | Expr::Star { .. } => {
                self.err(
                    Error::new(
                        Code::NotACondition,
                        e.span(),
                        "expected a condition, found a literal",
                    )
                    .with_help("write `property <operator> value`"),
                );
                None
            }
        }
    }

    fn sugar_not(&mut self, span: Span, what: &str) {
        if let Some(e) = self
            .target
            .and_then(|t| capabilities::negation(t, self.extended, span, what))
        {
            self.err(e);
        }
    }

    fn compare<'a>(
        &mut self,
        op: CmpOp,
        lhs: &Expr<'a>,
        rhs: &Expr<'a>,
        span: Span,
    ) -> Option<Cond<'a>> {
        let is_lit = |e: &Expr<'_>| {
            matches!(
                e,
                Expr::String { .. } | Expr::Number { .. } | Expr::Bool { .. } | Expr::Null { .. }
            )
        };
        // `'x' = name`: the documented form is `<property> <op> <value>`.
        let (op, lhs, rhs) = if is_lit(lhs) && matches!(rhs, Expr::Column { .. }) {
            if !self.extended {
                self.err(
                    Error::new(
                        Code::ExpectedProperty,
                        lhs.span(),
                        format!("expected a property name on the left of `{}`", op.symbol()),
                    )
                    .with_help(match (lhs, op) {
                        // `NULL = x` swapped would be `x = NULL`, itself an error.
                        (Expr::Null { .. }, CmpOp::Ne) => format!("write `{rhs} IS NOT NULL`"),
                        (Expr::Null { .. }, _) => format!("write `{rhs} IS NULL`"),
                        _ => one_line(&format!(
                            "write `{rhs} {} {lhs}` (extended mode accepts either order)",
                            op.flipped().symbol()
                        ))
                        .into_owned(),
                    }),
                );
                return None;
            }
            (op.flipped(), rhs, lhs)
        } else {
            (op, lhs, rhs)
        };
        if let Expr::Null { .. } = rhs {
            let (hint, what) = match op {
                CmpOp::Eq => ("IS NULL", "`= NULL` is never true"),
                CmpOp::Ne => ("IS NOT NULL", "`!= NULL` is never true"),
                _ => ("IS NULL", "comparing with `NULL` is never true"),
            };
            self.err(
                Error::new(Code::CompareNull, span, what)
                    .with_help(one_line(&format!("write `{lhs} {hint}`")).into_owned()),
            );
            return None;
        }
        let field = self.field(
            lhs,
            Code::ExpectedProperty,
            &format_args!("a property name on the left of `{}`", op.symbol()),
        );
        let value = if let Expr::Column { ident } = rhs {
            self.err(
                Error::new(
                    Code::ExpectedValue,
                    ident.span,
                    format!(
                        "expected a value on the right of `{}`, found the property `{}`",
                        op.symbol(),
                        ident.name
                    ),
                )
                .with_help(
                    match ["TRUE", "FALSE", "NULL"]
                        .into_iter()
                        .find(|k| k.eq_ignore_ascii_case(&ident.name))
                    {
                        Some(k) => format!("keywords are case-sensitive: write `{k}`"),
                        None => "comparing two properties is not supported; quote text as 'text'"
                            .to_string(),
                    },
                ),
            );
            None
        } else {
            self.value(rhs)
        };
        let (Some(field), Some(value)) = (field, value) else {
            return None;
        };
        Some(Cond::Compare {
            field,
            op,
            value,
            span,
        })
    }

    /// A literal value, typed.
    fn value<'a>(&mut self, e: &Expr<'a>) -> Option<Value<'a>> {
        let span = e.span();
        let literal = match e {
            Expr::String { value, span } => {
                if value.len() > self.options.limits.max_string_bytes {
                    self.err(Error::new(
                        Code::StringTooLong,
                        *span,
                        format!(
                            "string literal is {} bytes, over the limit of {}",
                            value.len(),
                            self.options.limits.max_string_bytes
                        ),
                    ));
                    return None;
                }
                match classify_temporal(value) {
                    Temporal::Date(d) => Literal::Date(d),
                    Temporal::DateTime(dt) => Literal::DateTime(dt),
                    Temporal::Invalid(why) => {
                        self.err(
                            Error::new(Code::InvalidDate, *span, format!("invalid ISO-8601 date or datetime: {why}"))
                                .with_help("write 'YYYY-MM-DD' or 'YYYY-MM-DDThh:mm:ss' followed by `Z` or an offset such as `+00:00`"),
                        );
                        return None;
                    }
                    Temporal::Zoneless => {
                        self.warn(
                            Error::new(
                                Code::ZonelessDatetime,
                                *span,
                                "datetime without a zone is compared as a string",
                            )
                            .with_help(
                                "add `Z` or an offset such as `+00:00` to compare it as a datetime",
                            ),
                        );
                        Literal::String(value.clone())
                    }
                    Temporal::None => Literal::String(value.clone()),
                }
            }
            Expr::Number { text, span } => match normalize_number(text) {
                // unchanged: keep the (borrowed) original
                Some(Cow::Borrowed(_)) => Literal::Number(text.clone()),
                Some(Cow::Owned(n)) => Literal::Number(Cow::Owned(n)),
                None => {
                    self.err(
                        Error::new(
                            Code::NumberRange,
                            *span,
                            "number cannot be written exactly in plain decimal notation",
                        )
                        .with_help(
                            "the exponent is too large; write the number without an exponent",
                        ),
                    );
                    return None;
                }
            },
            Expr::Bool { value, .. } => Literal::Bool(*value),
            Expr::Null { span } => {
                self.err(
                    Error::new(Code::CompareNull, *span, "`NULL` is not a value here")
                        .with_help("use `IS NULL` / `IS NOT NULL`"),
                );
                return None;
            }
            Expr::Column { .. } | Expr::Star { .. } => {
                self.err(Error::new(
                    Code::ExpectedValue,
                    span,
                    "expected a literal value",
                ));
                return None;
            }
            other => {
                self.unsupported(other, &"a literal value");
                return None;
            }
        };
        Some(Value { literal, span })
    }

    fn like_pattern<'a>(&mut self, e: &Expr<'a>) -> Option<Classified<'a>> {
        let Expr::String { value, span } = e else {
            match e {
                Expr::Column { .. }
                | Expr::Number { .. }
                | Expr::Bool { .. }
                | Expr::Null { .. }
                | Expr::Star { .. } => {
                    self.err(
                        Error::new(
                            Code::LiteralType,
                            e.span(),
                            "`LIKE` needs a quoted string pattern",
                        )
                        .with_help("write e.g. `LIKE '%kw%'`"),
                    );
                }
                other => self.unsupported(other, &"a quoted string pattern"),
            }
            return None;
        };
        let span = *span;
        if value.len() > self.options.limits.max_string_bytes {
            self.err(Error::new(
                Code::StringTooLong,
                span,
                format!(
                    "string literal is {} bytes, over the limit of {}",
                    value.len(),
                    self.options.limits.max_string_bytes
                ),
            ));
            return None;
        }
        let forms = "KQL supports '%kw', 'kw%' and '%kw%'";
        let s: &str = value;
        let b = s.as_bytes();
        // One pass over the pattern: is there a `_`, and how many `%`?
        let (mut underscore, mut percents) = (false, 0usize);
        for &c in b {
            underscore |= c == b'_';
            percents += usize::from(c == b'%');
        }
        if underscore {
            self.err(
                Error::new(
                    Code::LikePattern,
                    span,
                    "the single-character wildcard `_` is not supported",
                )
                .with_help(format!("{forms}; `_` cannot be matched literally")),
            );
            return None;
        }
        let lead = b.first() == Some(&b'%');
        let trail = b.len() >= 2 && b.last() == Some(&b'%');
        let inner_start = usize::from(lead);
        let inner_end = if trail { s.len() - 1 } else { s.len() };
        if s == "%" || s == "%%" {
            if !self.extended {
                self.err(
                    Error::new(Code::LikePattern, span, "the pattern matches every value")
                        .with_help("write `IS NOT NULL`, or turn on extended mode"),
                );
                return None;
            }
            return Some(Classified::Any);
        }
        // a `%` that is neither the leading nor the trailing one is inside
        if percents > usize::from(lead) + usize::from(trail) {
            self.err(
                Error::new(
                    Code::LikePattern,
                    span,
                    "`%` is allowed only at the start and end of the pattern",
                )
                .with_help(format!(
                    "{forms}; `%` inside the keyword cannot be matched literally"
                )),
            );
            return None;
        }
        let text = match value {
            Cow::Borrowed(b) => Cow::Borrowed(b.get(inner_start..inner_end).unwrap_or("")),
            Cow::Owned(o) => Cow::Owned(o.get(inner_start..inner_end).unwrap_or("").to_owned()),
        };
        match (lead, trail) {
            (true, true) => Some(Classified::Pattern(LikePattern::Contains(text))),
            (true, false) => {
                self.dql_documented(span, "`LIKE '%kw'`");
                Some(Classified::Pattern(LikePattern::EndsWith(text)))
            }
            (false, true) => {
                self.dql_documented(span, "`LIKE 'kw%'`");
                Some(Classified::Pattern(LikePattern::StartsWith(text)))
            }
            (false, false) => {
                if !self.extended {
                    self.err(
                        Error::new(Code::LikePattern, span, "the pattern has no `%` wildcard")
                            .with_help(format!("{forms}; for an exact match write `=` (extended mode reads this as `=`)")),
                    );
                    return None;
                }
                Some(Classified::Exact(Value {
                    literal: Literal::String(text),
                    span,
                }))
            }
        }
    }
}

/// `text` as a `u64` when it is only ASCII digits (no sign) and fits:
/// what `text.parse::<u64>()` gives for an all-digit text, in one pass.
fn parse_count(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

enum Classified<'a> {
    Pattern(LikePattern<'a>),
    /// No wildcard: equality (extended mode).
    Exact(Value<'a>),
    /// `'%'` / `'%%'`: every non-null value (extended mode).
    Any,
}

/// Plain decimal form of a number literal: sign, digits without leading
/// zeros, optional fraction, exponent expanded. `None` when expanding the
/// exponent would produce an unreasonably long number.
pub(crate) fn normalize_number(text: &str) -> Option<Cow<'_, str>> {
    const MAX_DIGITS: usize = 400;
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(k) => (body.get(..k)?, body.get(k + 1..)?.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(k) => (mantissa.get(..k)?, mantissa.get(k + 1..)?),
        None => (mantissa, ""),
    };
    // Already canonical: no exponent, no leading zero, no `.5`, not `-0`.
    let canonical = exp == 0
        && !body.contains(['e', 'E'])
        && !int.is_empty()
        && (int == "0" || !int.starts_with('0'))
        && !(neg
            && int.trim_start_matches('0').is_empty()
            && frac.trim_start_matches('0').is_empty());
    if canonical {
        return Some(Cow::Borrowed(text));
    }
    if exp.unsigned_abs() as usize > MAX_DIGITS {
        return None;
    }
    let digits: String = format!("{int}{frac}");
    // Position of the decimal point within `digits`.
    let point = int.len() as i64 + exp;
    let (mut ip, mut fp) = if point <= 0 {
        (
            String::from("0"),
            format!("{}{}", "0".repeat(point.unsigned_abs() as usize), digits),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        let (a, b) = digits.split_at(point as usize);
        (a.to_string(), b.to_string())
    };
    let trimmed = ip.trim_start_matches('0');
    ip = if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    };
    if exp != 0 {
        // an exponent says nothing about significant trailing zeros
        while fp.ends_with('0') {
            fp.pop();
        }
    }
    let zero = ip == "0" && fp.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(ip.len() + fp.len() + 2);
    if neg && !zero {
        out.push('-');
    }
    out.push_str(&ip);
    if !fp.is_empty() {
        out.push('.');
        out.push_str(&fp);
    }
    Some(Cow::Owned(out))
}

enum Temporal {
    None,
    Date(Date),
    DateTime(DateTime),
    /// Shaped like a datetime but without a zone.
    Zoneless,
    /// Shaped like a date or datetime, with an impossible value.
    Invalid(&'static str),
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Recognises `YYYY-MM-DD` and `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm|±hhmm)`.
/// Whether `s` has the shape `????-??-??…` that every date and datetime
/// starts with: when not, [`classify_temporal`] is `Temporal::None`.
#[inline]
fn may_be_temporal(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[4] == b'-' && b[7] == b'-'
}

fn classify_temporal(s: &str) -> Temporal {
    if !may_be_temporal(s) {
        return Temporal::None;
    }
    let b = s.as_bytes();
    let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return Temporal::None;
    };
    let date_ok = (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m);
    let bad_date = if (1..=12).contains(&m) {
        "no such day"
    } else {
        "no such month"
    };
    let date = Date {
        year: y as u16,
        month: m as u8,
        day: d as u8,
    };
    if b.len() == 10 {
        return if date_ok {
            Temporal::Date(date)
        } else {
            Temporal::Invalid(bad_date)
        };
    }
    if b.get(10) != Some(&b'T')
        || b.len() < 19
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return Temporal::None;
    }
    let (Some(hh), Some(mi), Some(ss)) =
        (digits(&b[11..13]), digits(&b[14..16]), digits(&b[17..19]))
    else {
        return Temporal::None;
    };
    let mut k = 19;
    let (mut nanos, mut frac_digits) = (0u32, 0u8);
    if b.get(k) == Some(&b'.') {
        let start = k + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let n = end - start;
        if n == 0 || n > 9 {
            return if n == 0 {
                Temporal::None
            } else {
                Temporal::Invalid("more than 9 fraction digits")
            };
        }
        nanos = digits(&b[start..end]).unwrap_or(0) * 10u32.pow(9 - n as u32);
        frac_digits = n as u8;
        k = end;
    }
    let offset = match b.get(k..) {
        Some([]) => {
            // Shaped like a datetime: an impossible one is an error with or without a zone.
            return match (date_ok, hh < 24 && mi < 60 && ss < 60) {
                (true, true) => Temporal::Zoneless,
                (false, _) => Temporal::Invalid(bad_date),
                (true, false) => Temporal::Invalid("time out of range"),
            };
        }
        Some([b'Z']) => None,
        Some([sign @ (b'+' | b'-'), h1, h2, b':', m1, m2])
        | Some([sign @ (b'+' | b'-'), h1, h2, m1, m2]) => {
            let (Some(oh), Some(om)) = (digits(&[*h1, *h2]), digits(&[*m1, *m2])) else {
                return Temporal::None;
            };
            if om > 59 || oh * 60 + om > 14 * 60 {
                return Temporal::Invalid("offset out of range");
            }
            let mins = (oh * 60 + om) as i16;
            Some(if *sign == b'-' { -mins } else { mins })
        }
        _ => return Temporal::None,
    };
    if !date_ok {
        return Temporal::Invalid(bad_date);
    }
    if hh > 23 || mi > 59 || ss > 59 {
        return Temporal::Invalid("time out of range");
    }
    Temporal::DateTime(DateTime {
        date,
        hour: hh as u8,
        minute: mi as u8,
        second: ss as u8,
        nanos,
        frac_digits,
        offset_minutes: offset,
    })
}

/// `S102`: the field `f` is selected twice; the repeat is dropped.
pub(crate) fn duplicate_field(f: &Field<'_>) -> Error {
    Error::new(
        Code::DuplicateField,
        f.span,
        format!(
            "`{}` is selected twice; the repeat is dropped",
            one_line(&f.path)
        ),
    )
    .with_help("remove the repeated field")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `IN`-list shortcut keeps a string as written only when
    /// `may_be_temporal` is false, which must imply `Temporal::None`; and
    /// each `IN` value is validated as the same literal after `=` is.
    #[test]
    fn in_list_shortcut_agrees_with_value() {
        let items = [
            "'abc'",
            "''",
            "'é'",
            "'2024-01-31'",
            "'2024-02-30'",
            "'2024-01-31T10:00:00'",
            "'2024-01-31T10:00:00Z'",
            "'2024x01-31'",
            "'0000-00-0'",
            "'1234-56-78'",
            "'a''b'",
        ];
        for item in items {
            let body = &item[1..item.len() - 1];
            if !may_be_temporal(body) {
                assert!(matches!(classify_temporal(body), Temporal::None), "{item}");
            }
        }
        let mut options = Options::default();
        options.limits.max_string_bytes = 8;
        let long = "'123456789'";
        for item in items.iter().chain([&long]) {
            let one = format!("SELECT a FROM X WHERE a = {item}");
            let list = format!("SELECT a FROM X WHERE a IN ('x', {item})");
            match (
                crate::check(&one, Lang::Kql, None, &options),
                crate::check(&list, Lang::Kql, None, &options),
            ) {
                (Ok(a), Ok(b)) => {
                    let Some(Cond::Compare { value, .. }) = a.filter else {
                        panic!()
                    };
                    let Some(Cond::In { values, .. }) = b.filter else {
                        panic!()
                    };
                    assert_eq!(value.literal, values[1].literal, "{item}");
                    assert_eq!(a.warnings.len(), b.warnings.len(), "{item}");
                }
                (Err(a), Err(b)) => {
                    let codes = |e: &Errors| e.0.iter().map(|e| e.code).collect::<Vec<_>>();
                    assert_eq!(codes(&a), codes(&b), "{item}");
                }
                (a, b) => panic!("{item}: {a:?} {b:?}"),
            }
        }
    }

    #[test]
    fn counts_parse_as_str_parse_does_for_digits() {
        for t in [
            "",
            "0",
            "007",
            "100",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "+5",
            "-1",
            "1.0",
            "1e3",
            "١",
        ] {
            let want = t
                .parse::<u64>()
                .ok()
                .filter(|_| t.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(parse_count(t), want, "{t:?}");
        }
    }

    #[test]
    fn repeats_in_long_lists_are_dropped_in_order() {
        // past the inline few, the hash set takes over with the same result
        let names: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
        let src = format!(
            "SELECT {}, f3, 'f29', f0 FROM Account ORDER BY {}, f1, f28",
            names.join(", "),
            names.join(", ")
        );
        let q = crate::check(&src, Lang::Kql, None, &Options::default()).unwrap();
        let ir::Selection::Fields { fields } = &q.selection else {
            panic!("fields")
        };
        let kept: Vec<&str> = fields.iter().map(|f| &*f.path).collect();
        assert_eq!(kept, names.iter().map(String::as_str).collect::<Vec<_>>());
        let keys: Vec<&str> = q.order_by.iter().map(|k| &*k.field.path).collect();
        assert_eq!(keys, kept);
        let codes: Vec<&str> = q.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(
            codes
                .iter()
                .filter(|c| **c == Code::DuplicateField.as_str())
                .count(),
            3
        );
        assert_eq!(
            codes
                .iter()
                .filter(|c| **c == Code::DuplicateOrderKey.as_str())
                .count(),
            2
        );
    }

    #[test]
    fn numbers_normalise_to_plain_decimals() {
        for (i, o) in [
            ("5", "5"),
            ("-5", "-5"),
            ("007", "7"),
            (".5", "0.5"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("12.50", "12.50"),
            ("1e3", "1000"),
            ("1.5e3", "1500"),
            ("1.5E-3", "0.0015"),
            ("-2.5e1", "-25"),
            ("0e5", "0"),
            ("123e-1", "12.3"),
        ] {
            assert_eq!(normalize_number(i).as_deref(), Some(o), "{i}");
        }
        assert!(matches!(normalize_number("12.50"), Some(Cow::Borrowed(_))));
        assert_eq!(normalize_number("1e999"), None);
        assert_eq!(normalize_number("1e99999999999999999999"), None);
    }

    #[test]
    fn temporal_recognition() {
        assert!(matches!(classify_temporal("2024-02-29"), Temporal::Date(_)));
        assert!(matches!(
            classify_temporal("2023-02-29"),
            Temporal::Invalid(_)
        ));
        assert!(matches!(
            classify_temporal("2018-02-23T03:05:45+00:00"),
            Temporal::DateTime(_)
        ));
        assert!(matches!(
            classify_temporal("2018-02-23T03:05:45.123Z"),
            Temporal::DateTime(_)
        ));
        assert!(matches!(
            classify_temporal("2018-02-23T03:05:45-0530"),
            Temporal::DateTime(DateTime {
                offset_minutes: Some(-330),
                ..
            })
        ));
        assert!(matches!(
            classify_temporal("2018-02-23T03:05:45"),
            Temporal::Zoneless
        ));
        assert!(matches!(
            classify_temporal("2018-02-23T25:05:45Z"),
            Temporal::Invalid(_)
        ));
        assert!(matches!(
            classify_temporal("2018-02-23 03:05:45Z"),
            Temporal::None
        ));
        assert!(matches!(classify_temporal("hello"), Temporal::None));
        assert!(matches!(classify_temporal("2018-02-23x"), Temporal::None));
        assert!(matches!(
            classify_temporal("2018-02-23T03:05:45+15:00"),
            Temporal::Invalid(_)
        ));
        let Temporal::DateTime(dt) = classify_temporal("2018-02-23T03:05:45.120+02:00") else {
            panic!()
        };
        assert_eq!(dt.to_string(), "2018-02-23T03:05:45.120+02:00");
    }
}
