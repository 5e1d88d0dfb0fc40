//! The nom parser: `&str` → [`ast::Query`].
//!
//! Complete-mode nom combinators do the rarer lexing (numbers: `digit1`, …);
//! the hot token scanners — words, blanks, keywords and string bodies — are
//! byte loops over the borrowed input (`memchr` for the closing quote), so a
//! token costs no allocation and no character decoding unless it is
//! non-ASCII. The statement and expression structure is a
//! precedence-climbing descent that decides every branch on one token of
//! lookahead, so it never backtracks and runs in time linear in the input.
//!
//! Grammar (normative copies in `grammar/kql.ebnf` and `grammar/dql.ebnf`):
//!
//! ```text
//! query     = SELECT [DISTINCT] item {"," item} FROM table {"," table} {join}
//!             [WHERE expr] [GROUP BY operand {"," operand}] [HAVING expr]
//!             [ORDER BY operand [ASC|DESC] {"," …}] [LIMIT operand [OFFSET operand]]
//! expr      = conj {OR conj}            conj = neg {AND neg}
//! neg       = NOT neg | predicate
//! predicate = operand [cmp operand | IS [NOT] NULL | [NOT] LIKE operand [ESCAPE operand]
//!                     | [NOT] IN "(" (query | [operand {"," operand}]) ")"
//!                     | [NOT] BETWEEN operand AND operand]
//! operand   = term {("+"|"-") term}     term = unary {("*"|"/"|"%") unary}
//! unary     = "-" unary | primary
//! primary   = string | number | TRUE | FALSE | NULL | "*" | path ["(" [operand {"," operand}] ")"]
//!           | "(" (query | expr) ")"
//! ```
//!
//! Keywords are upper case and end at a word boundary; the same word in
//! another case is an identifier, and where a keyword was expected the error
//! says so (`P004`).

use std::borrow::Cow;
use std::cell::Cell;

use nom::character::complete::digit1;
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser as _};

use crate::ast::*;
use crate::error::{one_line, Code, Error};
use crate::span::Span;
use crate::Limits;

/// Defines [`KEYWORDS`] and the `match` that recognises them from one list.
macro_rules! keywords {
    ($(#[$doc:meta])* $($kw:literal,)*) => {
        $(#[$doc])*
        pub const KEYWORDS: &[&str] = &[$($kw),*];

        /// Whether `w` is in [`KEYWORDS`]: a `match`, compiled to length and
        /// integer compares instead of a search with `memcmp`.
        fn is_keyword_spelling(w: &str) -> bool {
            matches!(w, $($kw)|*)
        }
    };
}

keywords! {
    /// Every word that is a keyword when written in upper case. None of them can
    /// be an identifier in that spelling; in any other case they are identifiers.
    "ALL",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CROSS",
    "DESC",
    "DISTINCT",
    "ESCAPE",
    "EXCEPT",
    "FALSE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INTERSECT",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "RIGHT",
    "SELECT",
    "TRUE",
    "UNION",
    "WHERE",
}

fn is_keyword(w: &str) -> bool {
    // Every keyword is 2 to 9 upper-case ASCII letters: most names are
    // ruled out by their first byte without searching the list.
    let b = w.as_bytes();
    (2..=9).contains(&b.len()) && b[0].is_ascii_uppercase() && is_keyword_spelling(w)
}

/// The upper-case keyword `w` spells in another case, if any.
fn keyword_in_other_case(w: &str) -> Option<&'static str> {
    if w.len() > 9 || !w.is_ascii() {
        return None;
    }
    KEYWORDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(w) && *k != w)
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The length in bytes of the run of [`is_ident_char`] characters that
/// starts `s`: a byte loop over ASCII, decoding characters only after a
/// non-ASCII byte.
fn ident_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    while let Some(&c) = b.get(n) {
        if c.is_ascii_alphanumeric() || c == b'_' {
            n += 1;
        } else if c.is_ascii() {
            return n;
        } else {
            break;
        }
    }
    n + s[n..]
        .char_indices()
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(s.len() - n, |(k, _)| k)
}

/// Whether `i` starts with the word `kw`: `kw` followed by a character that
/// cannot continue a word (what [`Parser::word`] would return, without
/// scanning a longer word that does not start with `kw`).
fn starts_with_word(i: &str, kw: &str) -> bool {
    if !has_prefix(i, kw) {
        return false;
    }
    match i.as_bytes().get(kw.len()) {
        None => true,
        Some(&b) if b.is_ascii() => !(b.is_ascii_alphanumeric() || b == b'_'),
        Some(_) => !i[kw.len()..].chars().next().is_some_and(is_ident_char),
    }
}

/// `i.starts_with(p)` for the short, constant `p` of keywords and symbols:
/// a byte loop that usually stops at the first byte, with no call to `memcmp`.
fn has_prefix(i: &str, p: &str) -> bool {
    let (i, p) = (i.as_bytes(), p.as_bytes());
    i.len() >= p.len() && i.iter().zip(p).all(|(a, b)| a == b)
}

/// The offset of the first `'` in `b`: a byte loop over the first bytes
/// (most literals are short), then `memchr` (long ones).
fn find_quote(b: &[u8]) -> Option<usize> {
    const SHORT: usize = 32;
    match b.iter().take(SHORT).position(|&c| c == b'\'') {
        Some(k) => Some(k),
        None if b.len() > SHORT => memchr::memchr(b'\'', &b[SHORT..]).map(|k| k + SHORT),
        None => None,
    }
}

/// The length of the blanks (`multispace0`: space, tab, CR, LF) starting `s`.
fn blanks_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count()
}

/// The parser's error: where (as the length of the remaining input) and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PErr {
    rest: usize,
    code: Code,
    /// For `Syntax`: what was expected. Otherwise the whole message.
    text: Cow<'static, str>,
    help: Option<Cow<'static, str>>,
    /// Length of the blamed text; `None` = the token at the position.
    len: Option<usize>,
}

impl PErr {
    fn expected(i: &str, what: &'static str) -> Self {
        PErr {
            rest: i.len(),
            code: Code::Syntax,
            text: Cow::Borrowed(what),
            help: None,
            len: None,
        }
    }
    fn coded(i: &str, code: Code, msg: impl Into<Cow<'static, str>>) -> Self {
        PErr {
            rest: i.len(),
            code,
            text: msg.into(),
            help: None,
            len: None,
        }
    }
    fn help(mut self, h: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(h.into());
        self
    }
    fn len(mut self, n: usize) -> Self {
        self.len = Some(n);
        self
    }
}

impl<'a> ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _: ErrorKind) -> Self {
        PErr::expected(input, "valid syntax")
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    /// Keep the error that got furthest (least input left).
    fn or(self, other: Self) -> Self {
        if other.rest <= self.rest {
            other
        } else {
            self
        }
    }
}

type PResult<'a, T> = IResult<&'a str, T, PErr>;

fn fail<T>(e: PErr) -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Error(e))
}

/// Parses `src` as one KQL/DQL statement (the grammar is shared; the
/// languages differ in what validation accepts).
pub(crate) fn parse_query<'a>(src: &'a str, limits: &Limits) -> Result<Query<'a>, Error> {
    if src.len() > limits.max_input_bytes {
        let mut cut = limits.max_input_bytes.min(src.len());
        while !src.is_char_boundary(cut) {
            cut -= 1;
        }
        return Err(Error::new(
            Code::InputTooLarge,
            Span::new(cut, src.len()),
            format!(
                "query is {} bytes, over the limit of {} bytes",
                src.len(),
                limits.max_input_bytes
            ),
        )
        .with_help("shorten the query or raise `Limits::max_input_bytes`"));
    }
    let p = Parser {
        src,
        max_depth: limits.max_depth,
        last_end: Cell::new(0),
    };
    p.statement().map_err(|e| p.to_error(e))
}

struct Parser<'s> {
    src: &'s str,
    max_depth: usize,
    /// End offset of the last token consumed (before trailing whitespace).
    last_end: Cell<usize>,
}

impl<'s> Parser<'s> {
    fn pos(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end.get().max(start))
    }

    /// Marks `rest` as the end of a token and skips the whitespace after it.
    fn token_end(&self, rest: &'s str) -> &'s str {
        self.last_end.set(self.pos(rest));
        &rest[blanks_len(rest)..]
    }

    fn statement(&self) -> Result<Query<'s>, nom::Err<PErr>> {
        let i = self.token_end(self.src);
        self.last_end.set(0);
        if i.is_empty() {
            return fail(
                PErr::coded(i, Code::EmptyQuery, "the query is empty")
                    .help("write a query such as `SELECT Id FROM Account`"),
            );
        }
        let (i, q) = self.query(i, 0)?;
        if !i.is_empty() {
            return fail(self.trailing(i, &q));
        }
        Ok(q)
    }

    /// The error for text left after a complete statement.
    fn trailing(&self, i: &'s str, q: &Query<'s>) -> PErr {
        if let Some((w, _)) = self.word(i) {
            if matches!(w, "UNION" | "INTERSECT" | "EXCEPT") {
                return PErr::coded(
                    i,
                    Code::SetOperation,
                    format!("set operations are not supported: `{w}`"),
                )
                .help("send one query per request")
                .len(w.len());
            }
            if w == "LIMIT" && q.limit.is_none() && q.offset.is_some() {
                return PErr {
                    code: Code::TrailingInput,
                    ..PErr::expected(i, "end of query")
                }
                .help("write `LIMIT` before `OFFSET`");
            }
        }
        if i.starts_with(';') {
            return PErr::coded(i, Code::InvalidCharacter, "unexpected `;`")
                .help("send a single query without a statement terminator")
                .len(1);
        }
        let expected = if q.limit.is_some() || q.offset.is_some() {
            "end of query"
        } else if !q.order_by.is_empty() {
            "`,`, `LIMIT`, `OFFSET` or end of query"
        } else if q.where_clause.is_some() {
            "an operator, `AND`, `OR`, `ORDER BY`, `LIMIT` or end of query"
        } else {
            "`WHERE`, `ORDER BY`, `LIMIT` or end of query"
        };
        PErr {
            code: Code::TrailingInput,
            ..PErr::expected(i, expected)
        }
    }

    // ---- lexical helpers -------------------------------------------------

    /// The identifier-like word at `i`, if `i` starts with one.
    fn word(&self, i: &'s str) -> Option<(&'s str, &'s str)> {
        let &first = i.as_bytes().first()?;
        let starts = if first.is_ascii() {
            first.is_ascii_alphabetic() || first == b'_'
        } else {
            i.chars().next().is_some_and(is_ident_start)
        };
        starts.then(|| i.split_at(ident_len(i)))
    }

    fn peek_kw(&self, i: &'s str, kw: &str) -> bool {
        starts_with_word(i, kw)
    }

    /// Consumes keyword `kw` (upper case, whole word).
    fn kw(&self, i: &'s str, kw: &'static str) -> PResult<'s, Span> {
        if starts_with_word(i, kw) {
            let start = self.pos(i);
            let r = self.token_end(&i[kw.len()..]);
            Ok((r, Span::new(start, start + kw.len())))
        } else {
            fail(PErr::expected(i, kw))
        }
    }

    /// Consumes `kw` if present.
    fn opt_kw(&self, i: &'s str, kw: &'static str) -> (&'s str, Option<Span>) {
        if !starts_with_word(i, kw) {
            return (i, None);
        }
        match self.kw(i, kw) {
            Ok((r, s)) => (r, Some(s)),
            Err(_) => (i, None),
        }
    }

    /// Consumes the symbol `s`.
    fn sym(&self, i: &'s str, s: &'static str, expected: &'static str) -> PResult<'s, Span> {
        if has_prefix(i, s) {
            let start = self.pos(i);
            Ok((
                self.token_end(&i[s.len()..]),
                Span::new(start, start + s.len()),
            ))
        } else {
            fail(PErr::expected(i, expected))
        }
    }

    fn depth_check(&self, i: &'s str, depth: usize) -> Result<(), nom::Err<PErr>> {
        if depth > self.max_depth {
            return Err(nom::Err::Failure(
                PErr::coded(
                    i,
                    Code::TooDeep,
                    format!("nesting is deeper than the limit of {}", self.max_depth),
                )
                .help("flatten the parentheses or raise `Limits::max_depth`")
                .len(i.chars().next().map_or(0, char::len_utf8)),
            ));
        }
        Ok(())
    }

    /// `ident {"." ident}` with no blanks around the dots. After a dot any
    /// word is allowed (`Owner.Limit`); the first segment must not be a keyword.
    fn path(&self, i: &'s str, expected: &'static str) -> PResult<'s, Ident<'s>> {
        let start = self.pos(i);
        let Some((w, mut rest)) = self.word(i) else {
            return fail(PErr::expected(i, expected));
        };
        if is_keyword(w) {
            return fail(PErr::expected(i, expected));
        }
        while let Some(after_dot) = rest.strip_prefix('.') {
            match self.word(after_dot) {
                Some((_, r)) => rest = r,
                None => return fail(PErr::expected(after_dot, "a name after `.`")),
            }
        }
        let end = self.pos(rest);
        let name = Cow::Borrowed(&self.src[start..end]);
        Ok((
            self.token_end(rest),
            Ident {
                name,
                span: Span::new(start, end),
            },
        ))
    }

    /// `'…'` with `''` for a quote. Borrowed unless a quote was doubled.
    fn string(&self, i: &'s str) -> PResult<'s, Expr<'s>> {
        let start = self.pos(i);
        let body = &i[1..];
        let bytes = body.as_bytes();
        match find_quote(bytes) {
            // The usual case: no doubled quote, the value borrows the input.
            Some(k) if bytes.get(k + 1) != Some(&b'\'') => {
                let rest = &body[k + 1..];
                let r = self.token_end(rest);
                Ok((
                    r,
                    Expr::String {
                        value: Cow::Borrowed(&body[..k]),
                        span: Span::new(start, self.pos(rest)),
                    },
                ))
            }
            _ => self.string_unescaping(i),
        }
    }

    /// [`Self::string`] for a literal with a doubled quote (or none at all).
    #[cold]
    fn string_unescaping(&self, i: &'s str) -> PResult<'s, Expr<'s>> {
        let start = self.pos(i);
        let body = &i[1..];
        let mut owned: Option<String> = None;
        let mut from = 0;
        let bytes = body.as_bytes();
        let mut k = 0;
        loop {
            k += find_quote(&bytes[k..]).unwrap_or(body.len() - k);
            if k >= body.len() {
                return Err(nom::Err::Failure(
                    PErr::coded(i, Code::UnterminatedString, "unterminated string literal")
                        .help("close the string with `'`; write `''` for a quote inside it")
                        .len(i.len()),
                ));
            }
            // body[k] is a quote
            if bytes.get(k + 1) == Some(&b'\'') {
                let buf = owned.get_or_insert_with(String::new);
                buf.push_str(&body[from..=k]);
                k += 2;
                from = k;
                continue;
            }
            let value = match owned {
                Some(mut buf) => {
                    buf.push_str(&body[from..k]);
                    Cow::Owned(buf)
                }
                None => Cow::Borrowed(&body[..k]),
            };
            let rest = &body[k + 1..];
            let r = self.token_end(rest);
            return Ok((
                r,
                Expr::String {
                    value,
                    span: Span::new(start, self.pos(rest)),
                },
            ));
        }
    }

    /// `digits ["." digits] [("e"|"E") ["+"|"-"] digits]` or `"." digits …`,
    /// with an optional leading `-` already consumed by the caller (`neg`).
    fn number(&self, i: &'s str, start: usize) -> PResult<'s, Expr<'s>> {
        let bad = |at: &'s str, msg: &'static str| {
            Err(nom::Err::Failure(PErr::coded(at, Code::InvalidNumber, msg)))
        };
        let int: PResult<'s, Option<&'s str>> = opt(digit1).parse(i);
        let (mut rest, int) = int?;
        if let Some(after) = rest.strip_prefix('.') {
            let frac: PResult<'s, &'s str> = digit1(after);
            match frac {
                Ok((r, _)) => rest = r,
                Err(_) => return bad(after, "expected digits after the decimal point"),
            }
        } else if int.is_none() {
            return fail(PErr::expected(i, "a number"));
        }
        if let Some(after) = rest.strip_prefix(['e', 'E']) {
            let exp: PResult<'s, &'s str> =
                recognize((opt(nom::character::complete::one_of("+-")), digit1)).parse(after);
            match exp {
                Ok((r, _)) => rest = r,
                Err(_) => return bad(after, "expected digits in the exponent"),
            }
        }
        if rest.chars().next().is_some_and(is_ident_char) || rest.starts_with('.') {
            let at = self.pos(rest);
            let tail = rest
                .find(|c: char| !is_ident_char(c) && c != '.')
                .unwrap_or(rest.len());
            return Err(nom::Err::Failure(
                PErr::coded(i, Code::InvalidNumber, "invalid number literal")
                    .help("a property name must start with a letter or `_`")
                    .len(at - self.pos(i) + tail),
            ));
        }
        let end = self.pos(rest);
        let text = Cow::Borrowed(&self.src[start..end]);
        Ok((
            self.token_end(rest),
            Expr::Number {
                text,
                span: Span::new(start, end),
            },
        ))
    }

    // ---- statements --------------------------------------------------------

    #[inline(never)]
    fn query(&self, i: &'s str, depth: usize) -> PResult<'s, Query<'s>> {
        self.depth_check(i, depth)?;
        let start = self.pos(i);
        let (i, _) = self.kw(i, "SELECT")?;
        let (i, distinct) = self.opt_kw(i, "DISTINCT");
        let (mut i, first) = self.select_item(i, depth)?;
        let mut select = vec![first];
        while let Ok((r, _)) = self.sym(i, ",", "`,`") {
            let (r, item) = self.select_item(r, depth)?;
            select.push(item);
            i = r;
        }
        let (i, _) = match self.kw(i, "FROM") {
            Ok(x) => x,
            Err(_) => {
                let what = if select.len() == 1 && distinct.is_none() && i.is_empty() {
                    "`,` or `FROM`"
                } else {
                    "`,`, an alias or `FROM`"
                };
                return fail(PErr::expected(i, what));
            }
        };
        let (mut i, t) = self.table_ref(i, depth)?;
        let mut from = vec![t];
        while let Ok((r, _)) = self.sym(i, ",", "`,`") {
            let (r, t) = self.table_ref(r, depth)?;
            from.push(t);
            i = r;
        }
        let mut joins = Vec::new();
        while let Some((r, j)) = self.join(i, depth)? {
            joins.push(j);
            i = r;
        }
        let (i, where_clause) = match self.kw(i, "WHERE") {
            Ok((r, _)) => {
                let (r, e) = self.expr(r, depth)?;
                (r, Some(e))
            }
            Err(_) => (i, None),
        };
        let (i, group_by) = if self.peek_kw(i, "GROUP") {
            let gstart = self.pos(i);
            let (r, _) = self.kw(i, "GROUP")?;
            let (mut r, _) = self.kw(r, "BY")?;
            let mut exprs = Vec::new();
            loop {
                let (r2, e) = self.operand(r, depth)?;
                exprs.push(e);
                r = r2;
                match self.sym(r, ",", "`,`") {
                    Ok((r2, _)) => r = r2,
                    Err(_) => break,
                }
            }
            (
                r,
                Some(GroupBy {
                    exprs,
                    span: self.span_from(gstart),
                }),
            )
        } else {
            (i, None)
        };
        let (i, having) = match self.kw(i, "HAVING") {
            Ok((r, _)) => {
                let (r, e) = self.expr(r, depth)?;
                (r, Some(e))
            }
            Err(_) => (i, None),
        };
        let (i, order_by) = if self.peek_kw(i, "ORDER") {
            let (r, _) = self.kw(i, "ORDER")?;
            let (mut r, _) = self.kw(r, "BY")?;
            let mut items = Vec::new();
            loop {
                let istart = self.pos(r);
                let (r2, expr) = self.operand(r, depth)?;
                let (r2, direction) = match self.opt_kw(r2, "ASC") {
                    (r3, Some(_)) => (r3, Some(Direction::Asc)),
                    (r3, None) => match self.opt_kw(r3, "DESC") {
                        (r4, Some(_)) => (r4, Some(Direction::Desc)),
                        (r4, None) => (r4, None),
                    },
                };
                items.push(OrderItem {
                    expr,
                    direction,
                    span: self.span_from(istart),
                });
                r = r2;
                match self.sym(r, ",", "`,`") {
                    Ok((r2, _)) => r = r2,
                    Err(_) => break,
                }
            }
            (r, items)
        } else {
            (i, Vec::new())
        };
        let (i, limit) = match self.kw(i, "LIMIT") {
            Ok((r, _)) => {
                let (r, e) = self.operand(r, depth)?;
                (r, Some(e))
            }
            Err(_) => (i, None),
        };
        let (i, offset) = match self.kw(i, "OFFSET") {
            Ok((r, _)) => {
                let (r, e) = self.operand(r, depth)?;
                (r, Some(e))
            }
            Err(_) => (i, None),
        };
        let q = Query {
            distinct,
            select,
            from,
            joins,
            where_clause,
            group_by,
            having,
            order_by,
            limit,
            offset,
            span: self.span_from(start),
        };
        Ok((i, q))
    }

    fn select_item(&self, i: &'s str, depth: usize) -> PResult<'s, SelectItem<'s>> {
        if i.starts_with('*') {
            let (r, span) = self.sym(i, "*", "`*`")?;
            return Ok((r, SelectItem::Wildcard { span }));
        }
        let (r, expr) = match self.operand(i, depth) {
            Ok(x) => x,
            Err(nom::Err::Error(e)) if e.rest == i.len() && e.code == Code::Syntax => {
                return fail(PErr::expected(i, "a property name or `*`"));
            }
            Err(e) => return Err(e),
        };
        let (r, alias) = self.alias(r)?;
        Ok((r, SelectItem::Expr { expr, alias }))
    }

    /// `AS name` or a bare name that is not a keyword in any case.
    fn alias(&self, i: &'s str) -> PResult<'s, Option<Alias<'s>>> {
        let start = self.pos(i);
        if let Ok((r, _)) = self.kw(i, "AS") {
            let (r, name) = self.path(r, "an alias name after `AS`")?;
            return Ok((
                r,
                Some(Alias {
                    name,
                    explicit: true,
                    span: self.span_from(start),
                }),
            ));
        }
        match self.word(i) {
            Some((w, _)) if !is_keyword(w) && keyword_in_other_case(w).is_none() => {
                let (r, name) = self.path(i, "an alias")?;
                Ok((
                    r,
                    Some(Alias {
                        name,
                        explicit: false,
                        span: self.span_from(start),
                    }),
                ))
            }
            _ => Ok((i, None)),
        }
    }

    fn table_ref(&self, i: &'s str, depth: usize) -> PResult<'s, TableRef<'s>> {
        let start = self.pos(i);
        let (r, source) = if i.starts_with('(') {
            let (r, _) = self.sym(i, "(", "`(`")?;
            if !self.peek_kw(r, "SELECT") {
                return fail(PErr::expected(r, "`SELECT` (a sub-query)"));
            }
            let (r, query) = self.query(r, depth + SUBQUERY_DEPTH)?;
            let (r, _) = self.sym(r, ")", "`)`")?;
            (
                r,
                TableSource::Subquery {
                    query: Box::new(query),
                    span: self.span_from(start),
                },
            )
        } else {
            let (r, name) = self.path(i, "an object name")?;
            (r, TableSource::Object { name })
        };
        let (r, alias) = self.alias(r)?;
        Ok((
            r,
            TableRef {
                source,
                alias,
                span: self.span_from(start),
            },
        ))
    }

    fn join(
        &self,
        i: &'s str,
        depth: usize,
    ) -> Result<Option<(&'s str, Join<'s>)>, nom::Err<PErr>> {
        let start = self.pos(i);
        let Some((w, _)) = self.word(i) else {
            return Ok(None);
        };
        let kind = match w {
            "JOIN" => JoinKind::Plain,
            "INNER" => JoinKind::Inner,
            "LEFT" => JoinKind::Left,
            "RIGHT" => JoinKind::Right,
            "FULL" => JoinKind::Full,
            "CROSS" => JoinKind::Cross,
            _ => return Ok(None),
        };
        let mut r = i;
        if kind != JoinKind::Plain {
            r = self.kw(r, w_static(kind))?.0;
            if matches!(kind, JoinKind::Left | JoinKind::Right | JoinKind::Full) {
                r = self.opt_kw(r, "OUTER").0;
            }
        }
        let (r, _) = self.kw(r, "JOIN")?;
        let (r, table) = self.table_ref(r, depth)?;
        let (r, on) = match self.kw(r, "ON") {
            Ok((r, _)) => {
                let (r, e) = self.expr(r, depth)?;
                (r, Some(e))
            }
            Err(_) => (r, None),
        };
        Ok(Some((
            r,
            Join {
                kind,
                table,
                on,
                span: self.span_from(start),
            },
        )))
    }

    // ---- expressions -------------------------------------------------------
    //
    // One precedence-climbing function, `expr_bp`, handles every level, so a
    // level of parentheses costs two stack frames (`expr_bp` → `paren`); the
    // rarer branches live in small non-inlined helpers to keep its frame small.

    /// `expr = conj {OR conj}` — a full condition or value.
    pub(crate) fn expr(&self, i: &'s str, depth: usize) -> PResult<'s, Expr<'s>> {
        self.expr_bp(i, depth, PREC_OR)
    }

    /// `operand = term {("+"|"-") term}` — a value, no conditions.
    pub(crate) fn operand(&self, i: &'s str, depth: usize) -> PResult<'s, Expr<'s>> {
        self.expr_bp(i, depth, PREC_ADD)
    }

    /// Parses an expression whose operators all bind at least as tightly as
    /// `min`. `depth` counts nesting (parentheses, prefix operators, and every
    /// descent into an operand: right-hand sides, `LIKE`/`BETWEEN`/`IN`
    /// operands), so it bounds the number of `expr_bp` frames on the stack;
    /// each left-nested operator application also counts, so the tree's
    /// height never exceeds the depth limit.
    fn expr_bp(&self, i: &'s str, depth: usize, min: u8) -> PResult<'s, Expr<'s>> {
        self.depth_check(i, depth)?;
        let start = self.pos(i);
        let (mut i, mut lhs) = self.prefix(i, depth, min)?;
        let mut height = depth;
        // `Some(true)` while `lhs` is an AND built by this loop (extendable), `Some(false)` for OR.
        let mut open_junction: Option<bool> = None;
        loop {
            let Some((prec, op)) = self.peek_infix(i) else {
                return Ok((i, lhs));
            };
            if prec < min {
                return Ok((i, lhs));
            }
            match op {
                Infix::And | Infix::Or => {
                    let is_and = matches!(op, Infix::And);
                    let (r, _) = self.kw(i, if is_and { "AND" } else { "OR" })?;
                    let (r, rhs) = self.expr_bp(r, depth + 1, prec + 1)?;
                    i = r;
                    let span = self.span_from(start);
                    match (&mut lhs, open_junction) {
                        (Expr::And { operands, span: s }, Some(true)) if is_and => {
                            operands.push(rhs);
                            *s = span;
                        }
                        (Expr::Or { operands, span: s }, Some(false)) if !is_and => {
                            operands.push(rhs);
                            *s = span;
                        }
                        _ => {
                            height += 1;
                            self.depth_check(i, height)?;
                            let operands = vec![lhs, rhs];
                            lhs = if is_and {
                                Expr::And { operands, span }
                            } else {
                                Expr::Or { operands, span }
                            };
                            open_junction = Some(is_and);
                        }
                    }
                    continue;
                }
                Infix::Cmp(cmp, len) => {
                    let r = self.token_end(&i[len..]);
                    let (r, rhs) = self.expr_bp(r, depth + 1, PREC_ADD)?;
                    i = r;
                    lhs = Expr::Compare {
                        op: cmp,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    };
                }
                Infix::Arith(a) => {
                    if i.starts_with("--") {
                        return fail(
                            PErr::coded(i, Code::InvalidCharacter, "unexpected `--`")
                                .help("comments are not supported")
                                .len(2),
                        );
                    }
                    let r = self.token_end(&i[1..]);
                    let (r, rhs) = self.expr_bp(r, depth + 1, prec + 1)?;
                    i = r;
                    lhs = Expr::Arith {
                        op: a,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    };
                }
                Infix::Keyword => {
                    let (r, e) = self.predicate_tail(i, lhs, start, depth)?;
                    i = r;
                    lhs = e;
                }
            }
            open_junction = None;
            height += 1;
            self.depth_check(i, height)?;
        }
    }

    /// What follows an operand, with its binding strength.
    fn peek_infix(&self, i: &'s str) -> Option<(u8, Infix)> {
        let b = i.as_bytes();
        match b.first()? {
            b'<' | b'>' | b'=' | b'!' => {
                let (op, len) = match (b[0], b.get(1)) {
                    (b'<', Some(b'=')) => (CmpOp::Le, 2),
                    (b'>', Some(b'=')) => (CmpOp::Ge, 2),
                    (b'<', Some(b'>')) => (CmpOp::Ne, 2),
                    (b'!', Some(b'=')) => (CmpOp::Ne, 2),
                    (b'<', _) => (CmpOp::Lt, 1),
                    (b'>', _) => (CmpOp::Gt, 1),
                    (b'=', _) => (CmpOp::Eq, 1),
                    _ => return None,
                };
                Some((PREC_PRED, Infix::Cmp(op, len)))
            }
            b'+' => Some((PREC_ADD, Infix::Arith(ArithOp::Add))),
            b'-' => Some((PREC_ADD, Infix::Arith(ArithOp::Sub))),
            b'*' => Some((PREC_MUL, Infix::Arith(ArithOp::Mul))),
            b'/' => Some((PREC_MUL, Infix::Arith(ArithOp::Div))),
            b'%' => Some((PREC_MUL, Infix::Arith(ArithOp::Rem))),
            _ => match self.word(i)?.0 {
                "AND" => Some((PREC_AND, Infix::And)),
                "OR" => Some((PREC_OR, Infix::Or)),
                "IS" | "LIKE" | "IN" | "BETWEEN" | "NOT" => Some((PREC_PRED, Infix::Keyword)),
                _ => None,
            },
        }
    }

    /// Prefix position: `NOT`, unary `-`, or a primary.
    fn prefix(&self, i: &'s str, depth: usize, min: u8) -> PResult<'s, Expr<'s>> {
        let start = self.pos(i);
        if min <= PREC_NOT && self.peek_kw(i, "NOT") {
            let (r, _) = self.kw(i, "NOT")?;
            let (r, e) = self.expr_bp(r, depth + 1, PREC_NOT)?;
            return Ok((
                r,
                Expr::Not {
                    expr: Box::new(e),
                    span: self.span_from(start),
                },
            ));
        }
        if let Some(after) = i.strip_prefix('-') {
            if after.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
                return self.number(after, start);
            }
            if after.starts_with('-') {
                return fail(
                    PErr::coded(i, Code::InvalidCharacter, "unexpected `--`")
                        .help("comments are not supported")
                        .len(2),
                );
            }
            let r = self.token_end(after);
            let (r, e) = self.expr_bp(r, depth + 1, PREC_NEG)?;
            return Ok((
                r,
                Expr::Neg {
                    expr: Box::new(e),
                    span: self.span_from(start),
                },
            ));
        }
        if i.starts_with('(') {
            return self.paren(i, depth);
        }
        let (r, e) = self.primary(i)?;
        match e {
            Expr::Column { ident } if r.starts_with('(') => self.call(r, ident, depth, start),
            e => Ok((r, e)),
        }
    }

    /// After an operand: `IS [NOT] NULL`, `[NOT] LIKE …`, `[NOT] IN (…)`, `[NOT] BETWEEN …`.
    #[inline(never)]
    fn predicate_tail(
        &self,
        i: &'s str,
        lhs: Expr<'s>,
        start: usize,
        depth: usize,
    ) -> PResult<'s, Expr<'s>> {
        let lhs = Box::new(lhs);
        if let Ok((r, _)) = self.kw(i, "IS") {
            let (r, not) = self.opt_kw(r, "NOT");
            let (r, _) = match self.kw(r, "NULL") {
                Ok(x) => x,
                Err(_) => {
                    return fail(PErr::expected(
                        r,
                        if not.is_some() {
                            "`NULL`"
                        } else {
                            "`NULL` or `NOT NULL`"
                        },
                    ))
                }
            };
            return Ok((
                r,
                Expr::IsNull {
                    expr: lhs,
                    negated: not.is_some(),
                    span: self.span_from(start),
                },
            ));
        }
        let (r, not) = self.opt_kw(i, "NOT");
        let negated = not.is_some();
        if let Ok((r, _)) = self.kw(r, "LIKE") {
            let (r, pattern) = self.operand(r, depth + 1)?;
            let (r, escape) = match self.kw(r, "ESCAPE") {
                Ok((r, _)) => {
                    let (r, e) = self.operand(r, depth + 1)?;
                    (r, Some(Box::new(e)))
                }
                Err(_) => (r, None),
            };
            return Ok((
                r,
                Expr::Like {
                    expr: lhs,
                    pattern: Box::new(pattern),
                    negated,
                    escape,
                    span: self.span_from(start),
                },
            ));
        }
        if let Ok((r, _)) = self.kw(r, "IN") {
            return self.in_tail(r, lhs, negated, start, depth);
        }
        if let Ok((r, _)) = self.kw(r, "BETWEEN") {
            let (r, low) = self.operand(r, depth + 1)?;
            let (r, _) = self.kw(r, "AND")?;
            let (r, high) = self.operand(r, depth + 1)?;
            let span = self.span_from(start);
            return Ok((
                r,
                Expr::Between {
                    expr: lhs,
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                    span,
                },
            ));
        }
        fail(PErr::expected(r, "`LIKE`, `IN` or `BETWEEN` after `NOT`"))
    }

    /// `"(" (query | [operand {"," operand}]) ")"` after `IN`.
    #[inline(never)]
    fn in_tail(
        &self,
        i: &'s str,
        lhs: Box<Expr<'s>>,
        negated: bool,
        start: usize,
        depth: usize,
    ) -> PResult<'s, Expr<'s>> {
        let (r, _) = self.sym(i, "(", "`(` after `IN`")?;
        if self.peek_kw(r, "SELECT") {
            let (r, q) = self.query(r, depth + SUBQUERY_DEPTH)?;
            let (r, _) = self.sym(r, ")", "`)`")?;
            return Ok((
                r,
                Expr::InSubquery {
                    expr: lhs,
                    query: Box::new(q),
                    negated,
                    span: self.span_from(start),
                },
            ));
        }
        let mut list = Vec::new();
        let mut r = r;
        if !r.starts_with(')') {
            loop {
                let (r2, v) = self.in_value(r, depth + 1)?;
                list.push(v);
                r = r2;
                match self.sym(r, ",", "`,`") {
                    Ok((r2, _)) => r = r2,
                    Err(_) => break,
                }
            }
        }
        let (r, _) = self.sym(r, ")", "`,` or `)`")?;
        Ok((
            r,
            Expr::In {
                expr: lhs,
                list,
                negated,
                span: self.span_from(start),
            },
        ))
    }

    /// One value of an `IN` list: [`Self::operand`], with a shortcut for the
    /// common case of a string literal followed by `,` or `)`, where the
    /// operand can be nothing more than the literal (same result, same errors).
    fn in_value(&self, i: &'s str, depth: usize) -> PResult<'s, Expr<'s>> {
        if i.starts_with('\'') {
            self.depth_check(i, depth)?;
            let (r, e) = self.string(i)?;
            if r.starts_with([',', ')']) {
                return Ok((r, e));
            }
        }
        self.operand(i, depth)
    }

    /// A literal, a path or `*` (never recursive: `(` and calls are handled by `prefix`).
    #[inline(never)]
    fn primary(&self, i: &'s str) -> PResult<'s, Expr<'s>> {
        let start = self.pos(i);
        let Some(c) = i.chars().next() else {
            return fail(PErr::expected(i, "an expression"));
        };
        match c {
            '\'' => self.string(i),
            '0'..='9' | '.' => self.number(i, start),
            '*' => {
                let (r, span) = self.sym(i, "*", "`*`")?;
                Ok((r, Expr::Star { span }))
            }
            '!' => fail(
                PErr::coded(i, Code::InvalidCharacter, "unexpected `!`")
                    .help("write `!=` for not equal")
                    .len(1),
            ),
            '"' | '`' | '[' => fail(
                PErr::coded(
                    i,
                    Code::InvalidCharacter,
                    format!("unexpected {}", quote_char(c)),
                )
                .help(
                    "strings use single quotes ('text'); property names are written without quotes",
                )
                .len(1),
            ),
            c if is_ident_start(c) => {
                let Some((w, rest)) = self.word(i) else {
                    return fail(PErr::expected(i, "an expression"));
                };
                match w {
                    "TRUE" | "FALSE" => {
                        let r = self.token_end(rest);
                        Ok((
                            r,
                            Expr::Bool {
                                value: w == "TRUE",
                                span: self.span_from(start),
                            },
                        ))
                    }
                    "NULL" => {
                        let r = self.token_end(rest);
                        Ok((
                            r,
                            Expr::Null {
                                span: self.span_from(start),
                            },
                        ))
                    }
                    _ if is_keyword(w) => fail(PErr::expected(i, "a property name or value")),
                    _ => {
                        let (r, ident) = self.path(i, "a property name")?;
                        Ok((r, Expr::Column { ident }))
                    }
                }
            }
            _ => fail(PErr::expected(i, "a property name or value")),
        }
    }

    /// `"(" (query | expr) ")"`
    #[inline(never)]
    fn paren(&self, i: &'s str, depth: usize) -> PResult<'s, Expr<'s>> {
        let start = self.pos(i);
        let (r, _) = self.sym(i, "(", "`(`")?;
        self.depth_check(r, depth + 1)?;
        if self.peek_kw(r, "SELECT") {
            let (r, q) = self.query(r, depth + SUBQUERY_DEPTH)?;
            let (r, _) = self.sym(r, ")", "`)`")?;
            return Ok((
                r,
                Expr::Subquery {
                    query: Box::new(q),
                    span: self.span_from(start),
                },
            ));
        }
        let (r, e) = self.expr_bp(r, depth + 1, PREC_OR)?;
        let (r, _) = self.sym(r, ")", "`)` or an operator")?;
        Ok((r, e))
    }

    #[inline(never)]
    fn call(
        &self,
        i: &'s str,
        name: Ident<'s>,
        depth: usize,
        start: usize,
    ) -> PResult<'s, Expr<'s>> {
        let (mut r, _) = self.sym(i, "(", "`(`")?;
        self.depth_check(r, depth + 1)?;
        let mut args = Vec::new();
        if !r.starts_with(')') {
            loop {
                let (r2, a) = self.operand(r, depth + 1)?;
                args.push(a);
                r = r2;
                match self.sym(r, ",", "`,`") {
                    Ok((r2, _)) => r = r2,
                    Err(_) => break,
                }
            }
        }
        let (r, _) = self.sym(r, ")", "`,` or `)`")?;
        Ok((
            r,
            Expr::Call {
                name,
                args,
                span: self.span_from(start),
            },
        ))
    }

    // ---- errors --------------------------------------------------------------

    fn to_error(&self, e: nom::Err<PErr>) -> Error {
        let e = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => {
                return Error::new(
                    Code::Internal,
                    Span::point(self.src.len()),
                    "parser asked for more input",
                )
            }
        };
        let at = self.src.len().saturating_sub(e.rest);
        let rest = self.src.get(at..).unwrap_or("");
        let (found, tok_len) = describe_token(rest);
        let len = e.len.unwrap_or(tok_len);
        let end = (at + len).min(self.src.len());
        let span = Span::new(at, end);
        if e.code != Code::Syntax && e.code != Code::TrailingInput {
            let mut err = Error::new(e.code, span, e.text);
            err.help = e.help;
            return err;
        }
        // A keyword written in another case where a keyword was expected.
        if let Some((w, _)) = self.word(rest) {
            if let Some(k) = keyword_in_other_case(w) {
                return Error::new(
                    Code::KeywordCase,
                    span,
                    format!("expected {}, found `{w}`", quote_expected(&e.text)),
                )
                .with_help(format!("keywords are case-sensitive: write `{k}`"));
            }
        }
        if rest.starts_with("--") {
            return Error::new(
                Code::InvalidCharacter,
                Span::new(at, at + 2),
                "unexpected `--`",
            )
            .with_help("comments are not supported");
        }
        if rest.starts_with('!') && !rest.starts_with("!=") {
            return Error::new(
                Code::InvalidCharacter,
                Span::new(at, at + 1),
                "unexpected `!`",
            )
            .with_help("write `!=` for not equal");
        }
        if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| NON_TOKEN_PUNCTUATION.contains(*c))
        {
            let help = match c {
                '"' | '`' | '[' | ']' => {
                    "strings use single quotes ('text'); property names are written without quotes"
                }
                ';' => "send a single query without a statement terminator",
                '#' => "comments are not supported",
                '$' | ':' | '?' | '@' => {
                    "query parameters are not supported; write the value as a literal"
                }
                _ => "remove the character; it is not part of the query language",
            };
            return Error::new(
                Code::InvalidCharacter,
                Span::new(at, at + 1),
                format!("unexpected {}", quote_char(c)),
            )
            .with_help(help);
        }
        if let Some(c) = rest.chars().next() {
            if !c.is_ascii_graphic() && !c.is_alphanumeric() && !c.is_whitespace() || c.is_control()
            {
                return Error::new(Code::InvalidCharacter, span, format!("unexpected character {}", char_name(c)))
                    .with_help("remove the character; control and invisible characters are not allowed outside strings");
            }
        }
        let mut err = Error::new(
            e.code,
            span,
            format!("expected {}, found {found}", quote_expected(&e.text)),
        );
        err.help = e.help;
        err
    }
}

/// Operators that can follow an operand.
#[derive(Clone, Copy)]
enum Infix {
    And,
    Or,
    /// A comparison symbol and its length in bytes.
    Cmp(CmpOp, usize),
    Arith(ArithOp),
    /// `IS`, `LIKE`, `IN`, `BETWEEN`, or `NOT` before one of the last three.
    Keyword,
}

fn w_static(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Plain => "JOIN",
        JoinKind::Inner => "INNER",
        JoinKind::Left => "LEFT",
        JoinKind::Right => "RIGHT",
        JoinKind::Full => "FULL",
        JoinKind::Cross => "CROSS",
    }
}

/// How many levels of [`Limits::max_depth`] a sub-query costs. A statement's
/// stack frames are about twice those of one expression level, so counting it
/// twice keeps the stack needed at the depth limit about the same for every
/// kind of nesting (under 1.5 MB in a debug build, inside a 2 MB thread stack;
/// `tests/roundtrip.rs` checks the worst shapes).
const SUBQUERY_DEPTH: usize = 2;

/// ASCII punctuation that cannot start any token.
const NON_TOKEN_PUNCTUATION: &str = "\"#$&:;?@[\\]^`{|}~";

/// A character in backticks for a message (a backtick itself as ``` `` ` `` ```).
fn quote_char(c: char) -> String {
    if c == '`' {
        "`` ` ``".to_string()
    } else {
        format!("`{c}`")
    }
}

/// Upper-case keyword names in messages are shown in backticks.
fn quote_expected(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| c.is_ascii_uppercase()) {
        Cow::Owned(format!("`{s}`"))
    } else {
        Cow::Borrowed(s)
    }
}

fn char_name(c: char) -> String {
    if c.is_control() || !c.is_alphanumeric() && !c.is_ascii_punctuation() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

/// A short description of the token at the start of `rest`, and its length.
fn describe_token(rest: &str) -> (String, usize) {
    let Some(c) = rest.chars().next() else {
        return ("end of query".to_string(), 0);
    };
    let len = if is_ident_start(c) || c.is_ascii_digit() {
        rest.find(|c: char| !is_ident_char(c) && c != '.')
            .unwrap_or(rest.len())
    } else if c == '\'' {
        // the whole string when it is closed on this line
        match rest[1..].find(['\'', '\n']) {
            Some(k) if rest.as_bytes()[1 + k] == b'\'' => k + 2,
            _ => 1,
        }
    } else if ["<=", ">=", "<>", "!="].iter().any(|p| rest.starts_with(p)) {
        2
    } else {
        c.len_utf8()
    };
    let tok = &rest[..len];
    let shown: String = if tok.chars().count() > 24 {
        let mut s = one_line(&tok.chars().take(21).collect::<String>()).into_owned();
        s.push('…');
        s
    } else {
        one_line(tok).into_owned()
    };
    if c.is_control() || c.is_whitespace() {
        (format!("character {}", char_name(c)), len)
    } else {
        (format!("`{shown}`"), len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Query<'_>, Error> {
        parse_query(s, &Limits::default())
    }

    fn err(s: &str) -> (String, String) {
        let e = parse(s).expect_err(s);
        (e.code.to_string(), e.message.to_string())
    }

    #[test]
    fn keyword_match_agrees_with_the_list() {
        for k in KEYWORDS {
            assert!((2..=9).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(is_keyword(k), "{k}");
            assert!(!is_keyword(&k.to_ascii_lowercase()), "{k}");
            assert!(!is_keyword(&format!("{k}S")), "{k}S");
            assert!(!is_keyword(&k[..k.len() - 1]) || KEYWORDS.contains(&&k[..k.len() - 1]));
        }
        for w in ["", "A", "Select", "_AND", "SELECTED", "INTERSECTS", "É"] {
            assert!(!is_keyword(w), "{w}");
        }
    }

    #[test]
    fn scanners_match_their_char_definitions() {
        for s in [
            "",
            "abc",
            "a_1 b",
            "aé b",
            "éa",
            "a\u{300}b c",
            "ab'",
            "x\u{2028}y",
            "a-b",
        ] {
            let want = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
            assert_eq!(ident_len(s), want, "{s:?}");
        }
        for (s, kw, want) in [
            ("FROM x", "FROM", true),
            ("FROM", "FROM", true),
            ("FROMx", "FROM", false),
            ("FROM_", "FROM", false),
            ("FROMé", "FROM", false),
            ("FROM\u{2028}", "FROM", true),
            ("FRO", "FROM", false),
            ("from", "FROM", false),
        ] {
            assert_eq!(starts_with_word(s, kw), want, "{s:?}");
        }
        let long = format!("{}'{}", "a".repeat(40), "b'".repeat(3));
        for s in ["", "'", "abc", "ab'c", &long, "é'", &"x".repeat(100)] {
            assert_eq!(find_quote(s.as_bytes()), s.find('\''), "{s:?}");
        }
        assert_eq!(blanks_len(" \t\r\n x"), 5);
        assert_eq!(blanks_len("\u{a0}x"), 0);
    }

    #[test]
    fn in_list_shortcut_keeps_expressions_and_errors() {
        // a string followed by an operator is still a full operand
        let q = parse("SELECT a FROM X WHERE a IN ('x' + 1, 'it''s', 'z', 'w' * 'v')").unwrap();
        assert_eq!(
            q.to_string(),
            "SELECT a FROM X WHERE a IN ('x' + 1, 'it''s', 'z', 'w' * 'v')"
        );
        // the same error as after any other value
        assert_eq!(
            err("SELECT a FROM X WHERE a IN ('x'"),
            err("SELECT a FROM X WHERE a IN (1")
        );
        assert_eq!(
            err("SELECT a FROM X WHERE a IN ('x").0,
            err("SELECT a FROM X WHERE a = 'x").0
        );
    }

    #[test]
    fn keywords_sorted_for_binary_search() {
        let mut k = KEYWORDS.to_vec();
        k.sort_unstable();
        assert_eq!(k, KEYWORDS);
    }

    #[test]
    fn spec_examples_parse_and_print_canonically() {
        for q in [
            "SELECT id, name, website FROM Accounts WHERE name LIKE 'Jim%' ORDER BY name DESC LIMIT 100 OFFSET 200",
            "SELECT id, name, email, status FROM Leads WHERE name LIKE '%kloudless%' AND email != '' ORDER BY name ASC",
            "SELECT accountid, name, numberofemployees FROM account WHERE name LIKE '%kloud%' ORDER BY name ASC",
            "SELECT opportunityid, name, stepname, parentaccountid.accountid FROM opportunity WHERE name LIKE '%kloud%' ORDER BY name ASC",
        ] {
            let ast = parse(q).unwrap();
            assert_eq!(ast.to_string(), q);
        }
    }

    #[test]
    fn spans_exclude_trailing_whitespace() {
        let q = parse("  SELECT  a ,b  FROM X   WHERE  a = 'x'  ").unwrap();
        assert_eq!((q.span.start, q.span.end), (2, 39));
        let w = q.where_clause.unwrap();
        assert_eq!((w.span().start, w.span().end), (32, 39));
    }

    #[test]
    fn precedence_not_and_or() {
        let q = parse("SELECT a FROM X WHERE NOT a = 1 AND b = 2 OR c = 3").unwrap();
        let Some(Expr::Or { operands, .. }) = q.where_clause else {
            panic!()
        };
        assert!(
            matches!(&operands[0], Expr::And { operands, .. } if matches!(operands[0], Expr::Not { .. }))
        );
    }

    #[test]
    fn parenthesised_same_operator_stays_nested() {
        let q = parse("SELECT a FROM X WHERE a = 1 AND (b = 2 AND c = 3)").unwrap();
        assert_eq!(
            q.to_string(),
            "SELECT a FROM X WHERE a = 1 AND (b = 2 AND c = 3)"
        );
    }

    #[test]
    fn strings_unescape_quotes_and_borrow_otherwise() {
        let q = parse("SELECT a FROM X WHERE a = 'O''Brien' AND b = 'plain'").unwrap();
        let Some(Expr::And { operands, .. }) = &q.where_clause else {
            panic!()
        };
        let Expr::Compare { rhs, .. } = &operands[0] else {
            panic!()
        };
        assert!(matches!(&**rhs, Expr::String { value: Cow::Owned(v), .. } if v == "O'Brien"));
        let Expr::Compare { rhs, .. } = &operands[1] else {
            panic!()
        };
        assert!(matches!(
            &**rhs,
            Expr::String {
                value: Cow::Borrowed("plain"),
                ..
            }
        ));
    }

    #[test]
    fn numbers() {
        for (src, text) in [
            ("-5", "-5"),
            ("12.50", "12.50"),
            (".5", ".5"),
            ("1e3", "1e3"),
            ("-2.5E-3", "-2.5E-3"),
        ] {
            let s = format!("SELECT a FROM X WHERE a = {src}");
            let q = parse(&s).unwrap();
            let Some(Expr::Compare { rhs, .. }) = q.where_clause else {
                panic!()
            };
            assert!(
                matches!(*rhs, Expr::Number { text: ref t, .. } if t == text),
                "{src}"
            );
        }
    }

    #[test]
    fn fallible_cases_with_exact_messages() {
        let cases = [
            ("", "P006", "the query is empty"),
            (
                "select id FROM Account",
                "P004",
                "expected `SELECT`, found `select`",
            ),
            (
                "SELECT id from Account",
                "P004",
                "expected `,`, an alias or `FROM`, found `from`",
            ),
            (
                "SELECT id FROM Account where a = 1",
                "P004",
                "expected `WHERE`, `ORDER BY`, `LIMIT` or end of query, found `where`",
            ),
            (
                "SELECT a FROM X WHERE a = 'x",
                "P002",
                "unterminated string literal",
            ),
            ("SELECT a FROM X WHERE a = \"x\"", "P003", "unexpected `\"`"),
            (
                "SELECT a FROM X WHERE a = 12abc",
                "P005",
                "invalid number literal",
            ),
            (
                "SELECT a FROM X WHERE a = 1.",
                "P005",
                "expected digits after the decimal point",
            ),
            (
                "SELECT a FROM X WHERE a = 1e",
                "P005",
                "expected digits in the exponent",
            ),
            ("SELECT a FROM X;", "P003", "unexpected `;`"),
            (
                "SELECT a FROM X UNION SELECT b FROM Y",
                "S025",
                "set operations are not supported: `UNION`",
            ),
            (
                "SELECT a FROM X WHERE a IS 1",
                "P001",
                "expected `NULL` or `NOT NULL`, found `1`",
            ),
            (
                "SELECT a FROM X WHERE a NOT = 1",
                "P001",
                "expected `LIKE`, `IN` or `BETWEEN` after `NOT`, found `=`",
            ),
            ("SELECT a FROM X WHERE a ! 1", "P003", "unexpected `!`"),
            (
                "SELECT FROM X",
                "P001",
                "expected a property name or `*`, found `FROM`",
            ),
            (
                "SELECT a FROM",
                "P001",
                "expected an object name, found end of query",
            ),
            (
                "SELECT a FROM X WHERE (a = 1",
                "P001",
                "expected `)` or an operator, found end of query",
            ),
            (
                "SELECT a FROM X WHERE a IN (1, 2",
                "P001",
                "expected `,` or `)`, found end of query",
            ),
            (
                "SELECT a FROM X OFFSET 1 LIMIT 2",
                "P007",
                "expected end of query, found `LIMIT`",
            ),
            (
                "SELECT a FROM X WHERE a = 1 -- c",
                "P003",
                "unexpected `--`",
            ),
            (
                "SELECT a FROM X WHERE a = 1 b",
                "P007",
                "expected an operator, `AND`, `OR`, `ORDER BY`, `LIMIT` or end of query, found `b`",
            ),
            (
                "SELECT a FROM X WHERE a = 1\u{0}",
                "P003",
                "unexpected character U+0000",
            ),
            (
                "SELECT a.",
                "P001",
                "expected a name after `.`, found end of query",
            ),
        ];
        for (src, code, msg) in cases {
            assert_eq!(err(src), (code.to_string(), msg.to_string()), "{src:?}");
        }
    }

    #[test]
    fn case_hint_names_the_keyword() {
        let e = parse("SELECT id FROM Account WHERE name like 'x%'").unwrap_err();
        assert_eq!(e.code, Code::KeywordCase);
        assert_eq!(
            e.help.as_deref(),
            Some("keywords are case-sensitive: write `LIKE`")
        );
        assert_eq!((e.span.start, e.span.end), (34, 38));
    }

    #[test]
    fn lowercase_keywords_are_identifiers() {
        let q = parse("SELECT from, select FROM where WHERE order = 1").unwrap();
        assert_eq!(
            q.to_string(),
            "SELECT from, select FROM where WHERE order = 1"
        );
    }

    #[test]
    fn unsupported_constructs_parse() {
        for q in [
            "SELECT COUNT(*) FROM Leads",
            "SELECT DISTINCT a FROM X",
            "SELECT a FROM X WHERE 100 > amount / 10",
            "SELECT a FROM X INNER JOIN Y ON X.id = Y.xid",
            "SELECT a FROM X LEFT JOIN Y ON X.id = Y.xid",
            "SELECT a FROM X, Y",
            "SELECT a FROM X GROUP BY a HAVING COUNT(a) > 1",
            "SELECT a FROM X WHERE a IN (SELECT b FROM Y)",
            "SELECT a FROM (SELECT a FROM X)",
            "SELECT a FROM X WHERE a BETWEEN 1 AND 2",
            "SELECT a FROM X WHERE a LIKE 'x!%' ESCAPE '!'",
            "SELECT a AS b FROM X x",
        ] {
            let ast = parse(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
            assert_eq!(ast.to_string(), q);
        }
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let n = 100_000;
        let q = format!(
            "SELECT a FROM X WHERE {}a = 1{}",
            "(".repeat(n),
            ")".repeat(n)
        );
        let e = parse_query(
            &q,
            &Limits {
                max_input_bytes: usize::MAX,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, Code::TooDeep);
        let q = format!("SELECT a FROM X WHERE {}a = 1", "NOT ".repeat(n));
        let e = parse_query(
            &q,
            &Limits {
                max_input_bytes: usize::MAX,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, Code::TooDeep);
        let q = format!("SELECT a FROM X WHERE a = 1{}", " + 1".repeat(n));
        let e = parse_query(
            &q,
            &Limits {
                max_input_bytes: usize::MAX,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, Code::TooDeep);
    }

    #[test]
    fn input_size_limit() {
        let q = format!("SELECT a FROM X WHERE a = '{}'", "x".repeat(200_000));
        assert_eq!(parse(&q).unwrap_err().code, Code::InputTooLarge);
    }
}
