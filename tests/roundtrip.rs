//! Property tests of the front end.
//!
//! * `generated_trees_round_trip`: for syntax trees of every shape the parser
//!   can produce, `parse(&ast.to_string()) == ast` and printing the re-parsed
//!   tree gives the same text (10,000 cases).
//! * `never_panics_and_spans_stay_inside_*`: arbitrary text through
//!   [`kql::check`] for every language × target × mode never panics; every
//!   diagnostic span lies inside the input on character boundaries; rendering
//!   never panics; whatever parses also round-trips.
//! * `deep_nesting_*`: 100,000 levels of nesting are an `L001` error, not a
//!   stack overflow, in an ordinary test thread.
//!
//! The runs are deterministic: the RNG seed is fixed unless
//! `PROPTEST_RNG_SEED` is set (`PROPTEST_CASES` overrides the case counts of
//! the fuzz-style properties). Failures are persisted in
//! `tests/roundtrip.proptest-regressions`; commit that file.

use std::borrow::Cow;

use kql::ast::{
    Alias, ArithOp, Call, CmpOp, Direction, Expr, GroupBy, Ident, InList, Join, JoinKind, Like,
    Operands, OrderItem, Query, SelectItem, TableRef, TableSource,
};
use kql::{check, parse, Code, Error, Lang, Limits, Options, Span, Target, KEYWORDS};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

// ---------------------------------------------------------------------------
// configuration

/// Fixed seed (deterministic CI) unless `PROPTEST_RNG_SEED` is set.
fn config(cases: u32) -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if c.rng_seed == RngSeed::Random {
        c.rng_seed = RngSeed::Fixed(0x6b71_6c5f_7274_7269);
    }
    c
}

// ---------------------------------------------------------------------------
// strategies: names

fn sp() -> Span {
    Span::default()
}

fn is_keyword(w: &str) -> bool {
    KEYWORDS.contains(&w)
}

fn is_keyword_any_case(w: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

/// Identifier segments the generator picks from most of the time (cheap;
/// regex-generated names add variety).
const NAMES: &[&str] = &[
    "Id",
    "Name",
    "a",
    "b",
    "x",
    "_",
    "_x1",
    "AnnualRevenue",
    "Owner",
    "Account",
    "accountid",
    "date_entered",
    "e5",
    "E",
    "e",
    "NaN",
    "inf",
    "x__y",
    "Ab9",
    "ß",
    "éclair",
    "日本",
    "Ünïcödé",
    "l0ng_identifier_name",
];

/// One identifier segment: mostly from [`NAMES`], sometimes regex-generated
/// (ASCII or non-ASCII letters), often a keyword in lower or title case (an
/// identifier, not a keyword).
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(NAMES).prop_map(str::to_string),
        1 => "[A-Za-z_][A-Za-z0-9_]{0,8}",
        1 => "[a-zA-Zéüßø日本_][a-zA-Z0-9éüßø日本_]{0,5}",
        3 => prop::sample::select(KEYWORDS).prop_flat_map(|k| {
            let lower = k.to_ascii_lowercase();
            let title = format!("{}{}", &k[..1], k[1..].to_ascii_lowercase());
            prop::sample::select(vec![lower, title])
        }),
    ]
}

/// A segment after a dot: any word, upper-case keywords included (`Owner.LIMIT`).
fn later_segment() -> impl Strategy<Value = String> {
    prop_oneof![4 => segment(), 1 => prop::sample::select(KEYWORDS).prop_map(str::to_string)]
}

/// A dotted path whose first segment passes `first_ok`.
fn path_with(first_ok: fn(&str) -> bool) -> impl Strategy<Value = String> {
    (
        segment().prop_filter("first segment", move |s| first_ok(s)),
        prop::collection::vec(later_segment(), 0..=2),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for r in rest {
                s.push('.');
                s.push_str(&r);
            }
            s
        })
}

/// A property, object or function name: the first segment is not an
/// upper-case keyword.
fn ident() -> impl Strategy<Value = Ident<'static>> {
    path_with(|s| !is_keyword(s)).prop_map(|name| Ident {
        name: Cow::Owned(name),
        span: sp(),
    })
}

/// `AS name` (not an upper-case keyword) or a bare name (not a keyword in any case).
fn alias() -> impl Strategy<Value = Alias<'static>> {
    prop_oneof![
        path_with(|s| !is_keyword(s)).prop_map(|name| Alias {
            name: Ident {
                name: Cow::Owned(name),
                span: sp()
            },
            explicit: true,
            span: sp()
        }),
        path_with(|s| !is_keyword_any_case(s)).prop_map(|name| Alias {
            name: Ident {
                name: Cow::Owned(name),
                span: sp()
            },
            explicit: false,
            span: sp()
        }),
    ]
}

// ---------------------------------------------------------------------------
// strategies: literals

/// Text of a number literal: `-`? (digits [`.` digits] | `.` digits) [exponent].
fn number_text() -> impl Strategy<Value = String> {
    let digits = prop_oneof![
        3 => any::<u32>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["0", "00", "007", "1", "18446744073709551616"]).prop_map(str::to_string),
    ];
    let fraction = prop::option::weighted(
        0.3,
        prop::sample::select(vec!["0", "5", "50", "125", "000"]),
    );
    let exponent = prop::option::weighted(
        0.2,
        (
            prop::sample::select(vec!["e", "E"]),
            prop::sample::select(vec!["", "+", "-"]),
            0u16..400,
        ),
    );
    (
        any::<bool>(),
        prop::option::weighted(0.9, digits),
        fraction,
        exponent,
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = String::from(if neg { "-" } else { "" });
            // Without an integer part a fraction is required (`.5`).
            let frac = if int.is_none() {
                Some(frac.unwrap_or("5"))
            } else {
                frac
            };
            s.push_str(int.as_deref().unwrap_or(""));
            if let Some(f) = frac {
                s.push('.');
                s.push_str(f);
            }
            if let Some((e, sign, n)) = exp {
                s.push_str(e);
                s.push_str(sign);
                s.push_str(&n.to_string());
            }
            s
        })
}

/// String values: arbitrary Unicode (any `char`, controls included), and
/// quote-heavy text.
fn string_value() -> impl Strategy<Value = String> {
    let quotey = vec![
        'a', 'Z', '\'', ' ', '%', '_', '\n', '\t', '"', '-', ';', 'é', '日', '\0',
    ];
    let fixed = vec![
        "",
        "'",
        "''",
        "'''",
        "%",
        "%kw%",
        "O'Brien",
        "2023-02-29",
        "2018-02-23T03:05:45",
        "line\nbreak",
    ];
    prop_oneof![
        2 => prop::collection::vec(any::<char>(), 0..8).prop_map(|cs| cs.into_iter().collect()),
        2 => prop::collection::vec(prop::sample::select(quotey), 0..10).prop_map(|cs| cs.into_iter().collect()),
        2 => prop::sample::select(fixed).prop_map(str::to_string),
    ]
}

fn leaf() -> impl Strategy<Value = Expr<'static>> {
    prop_oneof![
        4 => ident().prop_map(|ident| Expr::Column { ident }),
        2 => string_value().prop_map(|v| Expr::String { value: Cow::Owned(v), span: sp() }),
        2 => number_text().prop_map(|t| Expr::Number { text: Cow::Owned(t), span: sp() }),
        1 => any::<bool>().prop_map(|value| Expr::Bool { value, span: sp() }),
        1 => Just(Expr::Null { span: sp() }),
        1 => Just(Expr::Star { span: sp() }),
    ]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ])
}

fn arith_op() -> impl Strategy<Value = ArithOp> {
    prop::sample::select(vec![
        ArithOp::Add,
        ArithOp::Sub,
        ArithOp::Mul,
        ArithOp::Div,
        ArithOp::Rem,
    ])
}

fn bx(e: Expr<'static>) -> Box<Expr<'static>> {
    Box::new(e)
}

// ---------------------------------------------------------------------------
// strategies: expressions and queries

/// Every expression shape. With `sub`, sub-queries appear as values and in
/// `IN (SELECT …)`.
fn expr(sub: Option<BoxedStrategy<Query<'static>>>, depth: u32) -> BoxedStrategy<Expr<'static>> {
    leaf()
        .prop_recursive(depth, 4 * depth, 3, move |inner| {
            let list = |n| prop::collection::vec(inner.clone(), n);
            let mut options: Vec<(u32, BoxedStrategy<Expr<'static>>)> = vec![
                (
                    1,
                    (ident(), list(0..=3))
                        .prop_map(|(name, args)| Expr::Call {
                            call: Box::new(Call { name, args }),
                            span: sp(),
                        })
                        .boxed(),
                ),
                // Any operand, number literals included (`- 5` is not the literal `-5`).
                (
                    1,
                    inner
                        .clone()
                        .prop_map(|e| Expr::Neg {
                            expr: bx(e),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    (arith_op(), inner.clone(), inner.clone())
                        .prop_map(|(op, lhs, rhs)| Expr::Arith {
                            op,
                            operands: Box::new(Operands { lhs, rhs }),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    4,
                    (cmp_op(), inner.clone(), inner.clone())
                        .prop_map(|(op, lhs, rhs)| Expr::Compare {
                            op,
                            operands: Box::new(Operands { lhs, rhs }),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    list(2..=4)
                        .prop_map(|operands| Expr::And {
                            operands,
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    list(2..=4)
                        .prop_map(|operands| Expr::Or {
                            operands,
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    inner
                        .clone()
                        .prop_map(|e| Expr::Not {
                            expr: bx(e),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    (
                        inner.clone(),
                        inner.clone(),
                        any::<bool>(),
                        prop::option::weighted(0.2, inner.clone()),
                    )
                        .prop_map(|(expr, pattern, negated, escape)| Expr::Like {
                            like: Box::new(Like {
                                expr,
                                pattern,
                                negated,
                                escape,
                            }),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    2,
                    (inner.clone(), list(0..=4), any::<bool>())
                        .prop_map(|(expr, list, negated)| Expr::In {
                            in_list: Box::new(InList {
                                expr,
                                list,
                                negated,
                            }),
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    1,
                    (inner.clone(), any::<bool>())
                        .prop_map(|(e, negated)| Expr::IsNull {
                            expr: bx(e),
                            negated,
                            span: sp(),
                        })
                        .boxed(),
                ),
                (
                    1,
                    (inner.clone(), inner.clone(), inner.clone(), any::<bool>())
                        .prop_map(|(e, low, high, negated)| Expr::Between {
                            expr: bx(e),
                            low: bx(low),
                            high: bx(high),
                            negated,
                            span: sp(),
                        })
                        .boxed(),
                ),
            ];
            if let Some(q) = &sub {
                options.push((
                    1,
                    q.clone()
                        .prop_map(|q| Expr::Subquery {
                            query: Box::new(q),
                            span: sp(),
                        })
                        .boxed(),
                ));
                options.push((
                    1,
                    (inner.clone(), q.clone(), any::<bool>())
                        .prop_map(|(e, q, negated)| Expr::InSubquery {
                            expr: bx(e),
                            query: Box::new(q),
                            negated,
                            span: sp(),
                        })
                        .boxed(),
                ));
            }
            prop::strategy::Union::new_weighted(options)
        })
        .boxed()
}

fn table_ref(sub: Option<BoxedStrategy<Query<'static>>>) -> BoxedStrategy<TableRef<'static>> {
    let object = ident()
        .prop_map(|name| TableSource::Object { name })
        .boxed();
    let source = match sub {
        Some(q) => prop_oneof![
            4 => object,
            1 => q.prop_map(|q| TableSource::Subquery { query: Box::new(q), span: sp() }),
        ]
        .boxed(),
        None => object,
    };
    (source, prop::option::weighted(0.3, alias()))
        .prop_map(|(source, alias)| TableRef {
            source,
            alias,
            span: sp(),
        })
        .boxed()
}

fn join_kind() -> impl Strategy<Value = JoinKind> {
    prop::sample::select(vec![
        JoinKind::Plain,
        JoinKind::Inner,
        JoinKind::Left,
        JoinKind::Right,
        JoinKind::Full,
        JoinKind::Cross,
    ])
}

/// A select item. An expression whose text starts with `*` would read back
/// as `SELECT *`, so such items are `Wildcard`s only.
fn select_item(e: BoxedStrategy<Expr<'static>>) -> impl Strategy<Value = SelectItem<'static>> {
    prop_oneof![
        1 => Just(SelectItem::Wildcard { span: sp() }),
        6 => (e.prop_filter("starts with `*`", |e| !e.to_string().starts_with('*')), prop::option::weighted(0.3, alias()))
            .prop_map(|(expr, alias)| SelectItem::Expr { expr, alias }),
    ]
}

/// A statement; `sub` supplies nested statements (sub-queries). The `WHERE`
/// condition nests up to `depth` levels; the other clauses hold mostly small
/// expressions (generating large trees everywhere would be slow, and every
/// clause shares the same expression printer and parser anyway).
fn query(sub: Option<BoxedStrategy<Query<'static>>>, depth: u32) -> BoxedStrategy<Query<'static>> {
    let full = expr(sub.clone(), depth);
    let e = prop_oneof![4 => expr(sub.clone(), 1), 1 => full.clone()].boxed();
    let opt = |p: f64| prop::option::weighted(p, e.clone());
    let joins = prop::collection::vec(
        (join_kind(), table_ref(sub.clone()), opt(0.7)).prop_map(|(kind, table, on)| Join {
            kind,
            table,
            on,
            span: sp(),
        }),
        0..=2,
    );
    let head = (
        prop::option::weighted(0.15, Just(sp())),
        prop::collection::vec(select_item(e.clone()), 1..=3),
        prop::collection::vec(table_ref(sub.clone()), 1..=2),
        prop_oneof![4 => Just(Vec::new()), 1 => joins],
    );
    let tail = (
        prop::option::weighted(0.85, full),
        prop::option::weighted(0.1, prop::collection::vec(e.clone(), 1..=2)),
        opt(0.1),
        prop::collection::vec(
            (
                e.clone(),
                prop::option::of(prop::sample::select(vec![Direction::Asc, Direction::Desc])),
            )
                .prop_map(|(expr, direction)| OrderItem {
                    expr,
                    direction,
                    span: sp(),
                }),
            0..=2,
        ),
        opt(0.4),
        opt(0.25),
    );
    (head, tail)
        .prop_map(
            |(
                (distinct, select, from, joins),
                (where_clause, group_by, having, order_by, limit, offset),
            )| Query {
                distinct,
                select,
                from: from.into(),
                joins,
                where_clause,
                group_by: group_by.map(|exprs| GroupBy { exprs, span: sp() }),
                having,
                order_by: order_by.into(),
                limit,
                offset,
                span: sp(),
            },
        )
        .boxed()
}

/// Statements with sub-queries one level deep (each of which may itself
/// contain arbitrary expressions).
fn any_query() -> BoxedStrategy<Query<'static>> {
    query(Some(query(None, 3)), 6)
}

// ---------------------------------------------------------------------------
// property (a): generated trees round-trip

fn assert_round_trip(ast: &Query<'_>) -> Result<(), TestCaseError> {
    let text = ast.to_string();
    let options = Options {
        limits: Limits {
            max_depth: 256,
            ..Limits::default()
        },
        ..Options::default()
    };
    let reparsed = match parse(&text, Lang::Kql, &options) {
        Ok(q) => q,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "printed tree does not parse:\n{text}\n{}",
                e.render(&text)
            )))
        }
    };
    prop_assert_eq!(&reparsed, ast, "re-parsed tree differs; text: {}", text);
    prop_assert_eq!(&reparsed.to_string(), &text);
    Ok(())
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn generated_trees_round_trip(ast in any_query()) {
        assert_round_trip(&ast)?;
    }
}

// ---------------------------------------------------------------------------
// property (b): arbitrary text never panics, spans stay inside the input

fn assert_span(src: &str, what: &str, start: usize, end: usize) -> Result<(), TestCaseError> {
    prop_assert!(
        start <= end
            && end <= src.len()
            && src.is_char_boundary(start)
            && src.is_char_boundary(end),
        "{} span {}..{} outside the input (len {}) or not on char boundaries: {:?}",
        what,
        start,
        end,
        src.len(),
        src
    );
    Ok(())
}

fn assert_diagnostics(src: &str, diags: &[Error]) -> Result<(), TestCaseError> {
    for d in diags {
        assert_span(src, d.code.as_str(), d.span.start, d.span.end)?;
        prop_assert_eq!(d.severity, d.code.severity());
        // check locates every diagnostic: line and column (in chars) of the start
        let before = &src[..d.span.start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        prop_assert_eq!((d.line, d.column), (Some(line), Some(column)));
        let one_line = |t: &str| !t.chars().any(char::is_control);
        prop_assert!(
            !d.message.is_empty() && one_line(&d.message),
            "message not on one line: {:?}",
            d.message
        );
        prop_assert!(
            d.help.as_deref().is_none_or(one_line),
            "help not on one line: {:?}",
            d.help
        );
        prop_assert!(
            d.code != Code::Internal,
            "internal error for {:?}: {}",
            src,
            d.message
        );
        let rendered = d.render(src);
        let prefix = if d.is_error() { "error[" } else { "warning[" };
        prop_assert!(rendered.starts_with(prefix), "rendering {:?}", rendered);
    }
    Ok(())
}

/// Every `span` object in the JSON form of a syntax tree.
fn tree_spans(v: &serde_json::Value, out: &mut Vec<(usize, usize)>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(s), Some(e)) = (
                m.get("start").and_then(|x| x.as_u64()),
                m.get("end").and_then(|x| x.as_u64()),
            ) {
                out.push((s as usize, e as usize));
            }
            m.values().for_each(|x| tree_spans(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| tree_spans(x, out)),
        _ => {}
    }
}

fn never_panics(src: &str) -> Result<(), TestCaseError> {
    let mut targets = vec![None];
    targets.extend(Target::ALL.map(Some));
    for lang in Lang::ALL {
        for extended in [false, true] {
            let options = Options::default().extended(extended);
            // Whatever parses has in-bounds spans and round-trips.
            if let Ok(ast) = parse(src, lang, &options) {
                let mut spans = Vec::new();
                tree_spans(
                    &serde_json::to_value(&ast).expect("AST serialises"),
                    &mut spans,
                );
                for (s, e) in spans {
                    assert_span(src, "syntax tree", s, e)?;
                }
                assert_round_trip(&ast)?;
            }
            for target in &targets {
                match check(src, lang, *target, &options) {
                    Ok(q) => assert_diagnostics(src, &q.warnings)?,
                    Err(e) => {
                        prop_assert!(e.has_errors(), "Err without errors for {:?}", src);
                        assert_diagnostics(src, &e.0)?;
                        let _ = e.render(src);
                        let _ = e.to_json();
                    }
                }
            }
        }
    }
    Ok(())
}

/// Tokens of the language and its near misses.
fn token() -> impl Strategy<Value = String> {
    let fixed: Vec<&'static str> = vec![
        "=",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "(",
        ")",
        ",",
        ".",
        ";",
        "'",
        "''",
        "\"",
        "`",
        "!",
        "--",
        "_",
        "'%kw%'",
        "'kw%'",
        "'%kw'",
        "'%'",
        "'a_b'",
        "'it''s'",
        "'unterminated",
        "'2023-02-29'",
        "'2018-02-23T03:05:45Z'",
        "'2018-02-23T03:05:45'",
        "'2024-01-01'",
        "1",
        "0",
        "-5",
        "- 5",
        "2.5",
        ".5",
        "1e3",
        "1e999",
        "1.",
        "1e",
        "12abc",
        "18446744073709551616",
        "é",
        "日本",
        "\u{0}",
        "\u{a0}",
        "\u{200b}",
        "$",
        "#",
        "Name",
        "Owner.Name",
        "a.b.c",
        "COUNT",
        "select",
        "from",
        "where",
        "not",
        "null",
        "Like",
    ];
    prop_oneof![
        6 => prop::sample::select(KEYWORDS).prop_map(str::to_string),
        6 => prop::sample::select(fixed).prop_map(str::to_string),
        2 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => "-?[0-9]{1,4}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
        1 => "'[^']{0,6}'",
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", " ", " ", "", "\n", "\t", "  "])
}

fn soup(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec((token(), separator()), n).prop_map(|parts| {
        let mut s = String::new();
        for (t, sep) in parts {
            s.push_str(&t);
            s.push_str(sep);
        }
        s
    })
}

/// A statement skeleton with token soup in the clauses: mostly gets past
/// `SELECT … FROM …`, so validation runs too.
fn skeleton() -> impl Strategy<Value = String> {
    (
        soup(1..=3),
        soup(1..=2),
        prop::option::of(soup(1..=10)),
        prop::option::of(soup(1..=4)),
        prop::option::of(soup(0..=2)),
    )
        .prop_map(|(sel, from, wh, order, limit)| {
            let mut s = format!("SELECT {sel} FROM {from}");
            if let Some(w) = wh {
                s.push_str(" WHERE ");
                s.push_str(&w);
            }
            if let Some(o) = order {
                s.push_str(" ORDER BY ");
                s.push_str(&o);
            }
            if let Some(l) = limit {
                s.push_str(" LIMIT ");
                s.push_str(&l);
            }
            s
        })
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn never_panics_and_spans_stay_inside_printable_text(src in "\\PC*") {
        never_panics(&src)?;
    }

    #[test]
    fn never_panics_and_spans_stay_inside_any_text(src in any::<String>()) {
        never_panics(&src)?;
    }

    #[test]
    fn never_panics_and_spans_stay_inside_token_soup(src in soup(0..=24)) {
        never_panics(&src)?;
    }

    #[test]
    fn never_panics_and_spans_stay_inside_statement_skeletons(src in skeleton()) {
        never_panics(&src)?;
    }

    /// Printed generated trees, with one byte cut off or one token dropped:
    /// almost-valid input exercises the deepest error paths.
    #[test]
    fn never_panics_on_damaged_printed_trees(ast in query(None, 4), cut in any::<prop::sample::Index>()) {
        let text = ast.to_string();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        never_panics(&text[..at])?;
        let mut damaged = String::from(&text[..at]);
        damaged.push_str(text[at..].split_once(' ').map_or("", |(_, rest)| rest));
        never_panics(&damaged)?;
    }
}

// ---------------------------------------------------------------------------
// (c) deep nesting

fn unlimited_input() -> Options {
    Options {
        limits: Limits {
            max_input_bytes: usize::MAX,
            ..Limits::default()
        },
        ..Options::default()
    }
}

fn assert_too_deep(src: &str) {
    for lang in Lang::ALL {
        let e = check(src, lang, None, &unlimited_input())
            .expect_err("nesting beyond the limit is rejected");
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].code, Code::TooDeep, "{e}");
        let sp = e.0[0].span;
        assert!(
            sp.start <= sp.end
                && sp.end <= src.len()
                && src.is_char_boundary(sp.start)
                && src.is_char_boundary(sp.end)
        );
    }
}

const DEEP: usize = 100_000;

#[test]
fn deep_nesting_parentheses() {
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE {}a = 1{}",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT a FROM X WHERE {}", "(".repeat(DEEP)));
    assert_too_deep(&format!(
        "SELECT {}a{} FROM X",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    ));
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE a IN ({})",
        "(".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT a FROM X WHERE a = {}", "f(".repeat(DEEP)));
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE a IN {}",
        "(SELECT a FROM X WHERE a IN ".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT a FROM {}", "(SELECT a FROM ".repeat(DEEP)));
}

#[test]
fn deep_nesting_not() {
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE {}a = 1",
        "NOT ".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT a FROM X WHERE {}", "NOT (".repeat(DEEP)));
}

#[test]
fn deep_nesting_unary_minus() {
    assert_too_deep(&format!("SELECT a FROM X WHERE a = {}1", "- ".repeat(DEEP)));
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE a = -{}b",
        " -".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT {}a FROM X", "-(".repeat(DEEP)));
}

#[test]
fn deep_nesting_operator_chains() {
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE a = 1{}",
        " + 1".repeat(DEEP)
    ));
    assert_too_deep(&format!("SELECT a FROM X WHERE a{}", " = a".repeat(DEEP)));
    assert_too_deep(&format!(
        "SELECT a FROM X WHERE a{}",
        " IS NULL".repeat(DEEP)
    ));
}

/// Every way of nesting, repeated far beyond the limit: each stops with
/// `L001` well inside a test thread's 2 MB stack, even in a debug build.
/// (Before sub-queries and operand descents were charged to the depth, the
/// sub-query shapes overflowed the stack at depth 55–64 in debug builds.)
#[test]
fn deep_nesting_every_shape() {
    let shapes = [
        ("SELECT a FROM X WHERE ", "("),
        ("SELECT a FROM X WHERE ", "(SELECT a FROM X WHERE ("),
        ("SELECT a FROM X WHERE ", "a = (SELECT a FROM X WHERE "),
        ("SELECT a FROM X WHERE ", "a IN (SELECT a FROM X WHERE "),
        ("SELECT a FROM X WHERE ", "a IN ((SELECT a FROM X WHERE "),
        ("SELECT a FROM X WHERE ", "a LIKE (SELECT a FROM X WHERE "),
        ("SELECT a FROM X WHERE ", "NOT ("),
        ("SELECT a FROM X WHERE ", "-("),
        ("SELECT a FROM X WHERE a = ", "f(-("),
        ("SELECT a FROM X WHERE ", "a BETWEEN ("),
        ("SELECT a FROM X WHERE ", "a BETWEEN a AND ("),
        ("SELECT a FROM X WHERE ", "a NOT BETWEEN - ("),
        ("SELECT a FROM X WHERE ", "a LIKE a ESCAPE ("),
        ("SELECT a FROM X WHERE ", "a IN (1, ("),
        ("SELECT a FROM X WHERE ", "a = ("),
        ("SELECT a FROM X WHERE ", "a * -("),
        ("SELECT a FROM X WHERE ", "a = 1 AND (a = 1 OR ("),
        ("SELECT a FROM X WHERE ", "a IS NULL = ("),
        ("SELECT a FROM X ORDER BY ", "(SELECT a FROM X ORDER BY "),
        ("SELECT a FROM X GROUP BY ", "(SELECT a FROM X GROUP BY "),
        ("SELECT a FROM X HAVING ", "(SELECT a FROM X HAVING "),
        ("SELECT a FROM X LIMIT ", "(SELECT a FROM X LIMIT "),
        ("SELECT a FROM X JOIN Y ON ", "(SELECT a FROM X JOIN Y ON "),
        ("SELECT a FROM X JOIN ", "(SELECT a FROM X JOIN "),
        ("SELECT ", "(SELECT "),
        ("SELECT a FROM ", "(SELECT a FROM "),
        (
            "SELECT a FROM X WHERE a IN ",
            "(SELECT a FROM (SELECT a FROM X WHERE a IN ",
        ),
    ];
    for (head, unit) in shapes {
        assert_too_deep(&format!("{head}{}", unit.repeat(DEEP / unit.len())));
    }
}

/// Just below the limit everything works: parse, validate, print, re-parse.
#[test]
fn nesting_just_below_the_limit_is_fine() {
    let max = Limits::default().max_depth;
    let src = format!(
        "SELECT a FROM X WHERE {}a = 1{}",
        "(".repeat(max),
        ")".repeat(max)
    );
    let q = check(&src, Lang::Kql, None, &Options::default()).expect("accepted");
    assert!(q.filter.is_some());
    let src = format!("SELECT a FROM X WHERE {}a = 1", "NOT ".repeat(max));
    let ast = parse(&src, Lang::Kql, &Options::default()).expect("parses");
    assert_eq!(
        parse(&ast.to_string(), Lang::Kql, &Options::default()).as_ref(),
        Ok(&ast)
    );
    check(&src, Lang::Kql, None, &Options::default()).expect("accepted");
    // One more level is rejected.
    let src = format!(
        "SELECT a FROM X WHERE {}a = 1{}",
        "(".repeat(max + 1),
        ")".repeat(max + 1)
    );
    assert_eq!(
        check(&src, Lang::Kql, None, &Options::default())
            .unwrap_err()
            .0[0]
            .code,
        Code::TooDeep
    );
}

// ---------------------------------------------------------------------------
// regressions found while writing these tests

/// `- 5` (negation of a literal) printed as `-5`, which re-parses as the literal.
#[test]
fn negated_number_literal_round_trips() {
    for src in [
        "SELECT a FROM X WHERE a = - 5",
        "SELECT a FROM X WHERE a = - .5",
        "SELECT a FROM X WHERE a = -(5)",
        "SELECT - -5 FROM X",
    ] {
        let ast = parse(src, Lang::Kql, &Options::default()).unwrap();
        let text = ast.to_string();
        assert_eq!(
            parse(&text, Lang::Kql, &Options::default()).as_ref(),
            Ok(&ast),
            "{src} printed as {text}"
        );
    }
    let ast = parse(
        "SELECT a FROM X WHERE a = - 5",
        Lang::Kql,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(ast.to_string(), "SELECT a FROM X WHERE a = - 5");
}

/// The depth-limit span covered one byte, splitting a multi-byte character.
/// It now covers the whole token that opens the level too many (`(`), never
/// the text after it.
#[test]
fn depth_limit_span_covers_a_whole_character() {
    let mut hit = false;
    for n in 0..80 {
        let src = format!(
            "SELECT a FROM X WHERE {}é = 1{}",
            "(".repeat(n),
            ")".repeat(n)
        );
        let Err(e) = check(&src, Lang::Kql, None, &Options::default()) else {
            continue;
        };
        assert_eq!(e.0[0].code, Code::TooDeep);
        let sp = e.0[0].span;
        assert!(
            src.is_char_boundary(sp.start) && src.is_char_boundary(sp.end),
            "{n}: {sp:?}"
        );
        assert_eq!(&src[sp.start..sp.end], "(", "{n}");
        assert_eq!(sp.start, "SELECT a FROM X WHERE ".len() + 64, "{n}");
        hit = true;
    }
    assert!(hit, "no nesting depth reached the limit");
}

/// A string token in a message was shown with its newline, breaking the
/// one-line message.
#[test]
fn messages_stay_on_one_line() {
    for src in [
        "'\n' ",
        "SELECT a FROM X WHERE a IN (1 'x\ny')",
        "SELECT 'a\nb', 'a\nb' FROM X",
        "SELECT a FROM X WHERE 'a\tb' = NULL",
        "SELECT a FROM X WHERE 'a\nb' = c",
    ] {
        for extended in [false, true] {
            let diags = match check(src, Lang::Kql, None, &Options::default().extended(extended)) {
                Ok(q) => q.warnings,
                Err(e) => e.0,
            };
            for d in diags {
                assert!(!d.message.contains(['\n', '\t']), "{src:?}: {}", d.message);
                assert!(
                    !d.help.unwrap_or_default().contains(['\n', '\t']),
                    "{src:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// the generator itself

/// Every `kind` tag and every optional clause appears in generated trees, so
/// the round-trip property really covers every shape.
#[test]
fn generator_covers_every_shape() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    fn walk(v: &serde_json::Value, seen: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    seen.insert(format!("key:{k}"));
                    match (k.as_str(), x) {
                        ("kind" | "op", serde_json::Value::String(s)) => {
                            seen.insert(format!("{k}:{s}"));
                        }
                        ("negated" | "explicit", serde_json::Value::Bool(b)) => {
                            seen.insert(format!("{k}:{b}"));
                        }
                        ("direction", serde_json::Value::String(s)) => {
                            seen.insert(format!("direction:{s}"));
                        }
                        _ => {}
                    }
                    walk(x, seen);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, seen)),
            _ => {}
        }
    }

    let mut runner = TestRunner::new(config(1));
    let strategy = any_query();
    let mut seen = BTreeSet::new();
    let mut texts = String::new();
    for _ in 0..2_000 {
        let q = strategy.new_tree(&mut runner).expect("generate").current();
        walk(&serde_json::to_value(&q).expect("serialise"), &mut seen);
        texts.push_str(&q.to_string());
        texts.push('\n');
    }
    let expected = [
        "kind:column",
        "kind:string",
        "kind:number",
        "kind:bool",
        "kind:null",
        "kind:star",
        "kind:call",
        "kind:neg",
        "kind:arith",
        "kind:compare",
        "kind:and",
        "kind:or",
        "kind:not",
        "kind:like",
        "kind:in",
        "kind:in_subquery",
        "kind:is_null",
        "kind:between",
        "kind:subquery",
        "kind:wildcard",
        "kind:expr",
        "kind:object",
        "kind:plain",
        "kind:inner",
        "kind:left",
        "kind:right",
        "kind:full",
        "kind:cross",
        "op:eq",
        "op:ne",
        "op:lt",
        "op:le",
        "op:gt",
        "op:ge",
        "op:add",
        "op:sub",
        "op:mul",
        "op:div",
        "op:rem",
        "negated:true",
        "negated:false",
        "explicit:true",
        "explicit:false",
        "direction:asc",
        "direction:desc",
        "key:distinct",
        "key:joins",
        "key:on",
        "key:where",
        "key:group_by",
        "key:having",
        "key:order_by",
        "key:limit",
        "key:offset",
        "key:escape",
        "key:alias",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|k| !seen.contains(*k))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    // Lexical corners: keywords after a dot, lower-case keywords as names,
    // quotes and newlines in strings, negated literals, exponents, `.5`.
    for needle in [
        ".LIMIT", "select", "''", "\n", "- -", "e+", "E-", " .5", "- 0", "日",
    ] {
        assert!(
            texts.contains(needle),
            "generated text never contains {needle:?}"
        );
    }
}
