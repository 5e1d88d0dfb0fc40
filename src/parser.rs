//! The parser: `&str` → [`ast::Query`], as a [nom] grammar over tokens.
//!
//! Two steps:
//!
//! 1. [`lex`] turns the input into a `Vec` of [`Token`]s in one byte loop.
//!    It never fails: text that is no token (an unclosed string, `12abc`,
//!    `--`, a stray character) becomes a token of its own kind, and the
//!    grammar rejects it where it stands, so every error keeps the position
//!    and the message of what the grammar expected there.
//! 2. The grammar is nom 8 combinators over the token slice ([`Toks`]),
//!    one function per rule of `grammar/kql.ebnf` Part 3, named like the
//!    rule: [`statement`], [`query`], [`select_entry`], [`alias`],
//!    [`table_ref`], [`join`], [`join_kind`], [`order_entry`], [`expr`],
//!    [`expr_and`], [`expr_not`], [`expr_pred`], [`infix_tail`],
//!    [`pred_tail`], [`in_body`], [`operand`], [`term`], [`factor`] and
//!    [`primary`]. Every branch is decided on one token, so the grammar
//!    never backtracks; a rule that has read its first token `cut`s, so its
//!    errors are final.
//!
//! The error type is a small `Copy` value ([`PErr`]: a byte offset and what
//! went wrong), so a failing branch costs no allocation; the message, span
//! and help line are built once, from the source text at that offset, by
//! [`to_error`] (ruling R63 in `grammar/decisions.md`).
//!
//! Keywords are upper case and end at a word boundary; the same word in
//! another case is an identifier, and where a keyword was expected the error
//! says so (`P004`).
//!
//! [nom]: https://docs.rs/nom/8

use std::borrow::Cow;

use nom::error::{ErrorKind, ParseError};
use nom::{Err, IResult, Needed, Parser};

use crate::ast::*;
use crate::error::{one_line, Code, Error, Errors};
use crate::span::Span;
use crate::{Lang, Limits};

/// Defines [`KEYWORDS`], the [`Kw`] enum and [`keyword`], from one list.
macro_rules! keywords {
    ($(#[$doc:meta])* $($kw:literal => $v:ident,)*) => {
        $(#[$doc])*
        pub const KEYWORDS: &[&str] = &[$($kw),*];

        /// A keyword.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Kw {
            $($v,)*
        }

        impl Kw {
            /// The keyword's spelling (also what an error says was expected).
            fn text(self) -> &'static str {
                match self {
                    $(Kw::$v => $kw,)*
                }
            }
        }

        /// The keyword the word `w` spells exactly, if any.
        fn keyword(w: &str) -> Option<Kw> {
            // Every keyword starts with an upper-case letter: one compare
            // rules out most names before the `match`.
            if !w.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
                return None;
            }
            match w {
                $($kw => Some(Kw::$v),)*
                _ => None,
            }
        }
    };
}

keywords! {
    /// Every word that is a keyword when written in upper case. None of them can
    /// be an identifier in that spelling; in any other case they are identifiers.
    "ALL" => All,
    "AND" => And,
    "AS" => As,
    "ASC" => Asc,
    "BETWEEN" => Between,
    "BY" => By,
    "CROSS" => Cross,
    "DESC" => Desc,
    "DISTINCT" => Distinct,
    "ESCAPE" => Escape,
    "EXCEPT" => Except,
    "FALSE" => False,
    "FROM" => From,
    "FULL" => Full,
    "GROUP" => Group,
    "HAVING" => Having,
    "IN" => In,
    "INNER" => Inner,
    "INTERSECT" => Intersect,
    "IS" => Is,
    "JOIN" => Join,
    "LEFT" => Left,
    "LIKE" => Like,
    "LIMIT" => Limit,
    "NOT" => Not,
    "NULL" => Null,
    "OFFSET" => Offset,
    "ON" => On,
    "OR" => Or,
    "ORDER" => Order,
    "OUTER" => Outer,
    "RIGHT" => Right,
    "SELECT" => Select,
    "TRUE" => True,
    "UNION" => Union,
    "WHERE" => Where,
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

/// The length in bytes of the word (an [`is_ident_start`] character, then
/// [`is_ident_char`] characters) that starts `s`; 0 if none does.
fn word_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        Some(c) if !c.is_ascii() && s.starts_with(is_ident_start) => {}
        _ => return 0,
    }
    // ASCII bytes one by one; characters are decoded only after a non-ASCII byte.
    let ascii = 1 + b
        .get(1..)
        .unwrap_or_default()
        .iter()
        .position(|&c| !WORD_BYTE[c as usize])
        .unwrap_or(b.len().saturating_sub(1));
    if b.get(ascii).is_none_or(u8::is_ascii) {
        return ascii;
    }
    s.char_indices()
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(s.len(), |(k, _)| k)
}

/// The ASCII bytes that continue a word: one load per byte instead of
/// three range tests. Measured: 9% fewer instructions parsing the spec
/// examples, 4% per translation (spec_kql_leads → sugarcrm stays over its 8x floor).
static WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c == b'_' as usize;
        c += 1;
    }
    t
};

/// The word at the start of `s` and the text after it.
fn word(s: &str) -> Option<(&str, &str)> {
    match word_len(s) {
        0 => None,
        n => Some(s.split_at(n)),
    }
}

// ---- tokens ----------------------------------------------------------------

/// What a [`Token`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A keyword, spelled exactly.
    Kw(Kw),
    /// A path: a word that is not a keyword, then any `.word` segments.
    Name,
    /// A path whose last `.` no word follows (`a.`); the text ends at the `.`.
    BadPath,
    /// A closed string literal with no `''` in it.
    Str,
    /// A closed string literal with a `''`.
    StrEsc,
    /// An unclosed string literal (to the end of the input).
    Unterminated,
    /// A number literal.
    Number,
    /// A malformed number literal (`1.`, `1e`, `12abc`).
    BadNumber,
    /// One of `( ) , * + - / %`. A `-` directly before a number token has
    /// the number in its text, for when it is the number's sign.
    Sym(u8),
    /// A comparison operator.
    Cmp(CmpOp),
    /// `--`.
    Comment,
    /// A character that starts no token.
    Other,
    /// The end of the input.
    Eof,
}

/// A token: what it is, its text, where it starts and where the token
/// before it ended (so a node's span ends at the last token it consumed,
/// before any blanks).
#[derive(Clone, Copy, Debug)]
struct Token<'s> {
    kind: Tok,
    text: &'s str,
    start: u32,
    prev_end: u32,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`]. Offsets are `u32`:
/// [`parse_query`] refuses longer input.
fn lex(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut toks: Vec<Token<'_>> = Vec::with_capacity(b.len() / 4 + 2);
    let mut at = 0;
    let mut prev_end = 0;
    while let Some(&c) = b.get(at) {
        let (kind, end) = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                at += 1;
                continue;
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                let mut end = at + 1;
                while b.get(end).is_some_and(|&c| WORD_BYTE[usize::from(c)]) {
                    end += 1;
                }
                if b.get(end).is_some_and(|c| !c.is_ascii()) {
                    end = at + word_len(&src[at..]);
                }
                (Tok::Name, end)
            }
            b'\'' => {
                let (kind, len) = string_token(&src[at..]);
                (kind, at + len)
            }
            b'0'..=b'9' | b'.' => {
                let (kind, len) = number_token(&src[at..]);
                // A `-` right before the number also carries it, as its sign.
                if let Some(minus) = toks
                    .last_mut()
                    .filter(|t: &&mut Token| t.kind == Tok::Sym(b'-') && t.start as usize + 1 == at)
                {
                    minus.text = &src[at - 1..at + len];
                }
                (kind, at + len)
            }
            b'-' if b.get(at + 1) == Some(&b'-') => (Tok::Comment, at + 2),
            b'(' | b')' | b',' | b'*' | b'+' | b'-' | b'/' | b'%' => (Tok::Sym(c), at + 1),
            b'<' | b'>' | b'=' | b'!' => match (c, b.get(at + 1)) {
                (b'<', Some(b'=')) => (Tok::Cmp(CmpOp::Le), at + 2),
                (b'>', Some(b'=')) => (Tok::Cmp(CmpOp::Ge), at + 2),
                (b'<', Some(b'>')) | (b'!', Some(b'=')) => (Tok::Cmp(CmpOp::Ne), at + 2),
                (b'<', _) => (Tok::Cmp(CmpOp::Lt), at + 1),
                (b'>', _) => (Tok::Cmp(CmpOp::Gt), at + 1),
                (b'=', _) => (Tok::Cmp(CmpOp::Eq), at + 1),
                _ => (Tok::Other, at + 1),
            },
            _ => match word_len(&src[at..]) {
                0 => (
                    Tok::Other,
                    at + src[at..].chars().next().map_or(1, char::len_utf8),
                ),
                n => (Tok::Name, at + n),
            },
        };
        let mut text = &src[at..end];
        // A word: a keyword, or a path with any `.word` segments.
        let (kind, end) = match kind {
            Tok::Name => match keyword(text) {
                Some(k) => (Tok::Kw(k), end),
                None if b.get(end) == Some(&b'.') => {
                    let (kind, end) = path_tail(src, end);
                    text = &src[at..end];
                    (kind, end)
                }
                None => (kind, end),
            },
            _ => (kind, end),
        };
        toks.push(Token {
            kind,
            text,
            start: at as u32,
            prev_end: prev_end as u32,
        });
        at = end;
        prev_end = end;
    }
    toks.push(Token {
        kind: Tok::Eof,
        text: "",
        start: src.len() as u32,
        prev_end: prev_end as u32,
    });
    toks
}

/// The `.word` segments after a word of a path that ends at `end`: the
/// path's kind and end.
fn path_tail(src: &str, mut end: usize) -> (Tok, usize) {
    while src.as_bytes().get(end) == Some(&b'.') {
        match word_len(&src[end + 1..]) {
            0 => return (Tok::BadPath, end + 1),
            k => end += 1 + k,
        }
    }
    (Tok::Name, end)
}

/// A string literal at the start of `s` (which starts with `'`).
fn string_token(s: &str) -> (Tok, usize) {
    let b = s.as_bytes();
    let mut kind = Tok::Str;
    let mut at = 1;
    loop {
        match b[at..].iter().position(|&c| c == b'\'') {
            None => return (Tok::Unterminated, s.len()),
            Some(k) if b.get(at + k + 1) == Some(&b'\'') => {
                kind = Tok::StrEsc;
                at += k + 2;
            }
            Some(k) => return (kind, at + k + 1),
        }
    }
}

/// What is wrong with a malformed number literal.
#[derive(Clone, Copy)]
enum NumberFault {
    /// No digit after the `.`, at this offset.
    NoFraction(usize),
    /// No digit in the exponent, at this offset (after the `e`).
    NoExponent(usize),
    /// A word character or `.` directly after the number; the glued token
    /// is this long.
    Glued(usize),
}

/// Scans the number literal at the start of `s` (a digit or `.`):
/// `digits ["." digits] [("e"|"E") ["+"|"-"] digits]` or `"." digits …`,
/// not followed by a word character or `.`. Returns its end, or the fault.
fn scan_number(s: &str) -> Result<usize, NumberFault> {
    let b = s.as_bytes();
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = digits(0);
    if b.get(end) == Some(&b'.') {
        let frac = end + 1;
        end = digits(frac);
        if end == frac {
            return Err(NumberFault::NoFraction(frac));
        }
    }
    if let Some(b'e' | b'E') = b.get(end) {
        let exp = end + 1;
        let from = exp + usize::from(matches!(b.get(exp), Some(b'+' | b'-')));
        end = digits(from);
        if end == from {
            return Err(NumberFault::NoExponent(exp));
        }
    }
    let glued = match b.get(end) {
        Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => true,
        Some(&c) => !c.is_ascii() && s[end..].starts_with(is_ident_char),
        None => false,
    };
    if glued {
        let tail = s[end..]
            .find(|c: char| !is_ident_char(c) && c != '.')
            .unwrap_or(s.len() - end);
        return Err(NumberFault::Glued(end + tail));
    }
    Ok(end)
}

/// A number token at the start of `s`.
fn number_token(s: &str) -> (Tok, usize) {
    match scan_number(s) {
        Ok(n) => (Tok::Number, n),
        Err(NumberFault::NoFraction(n) | NumberFault::NoExponent(n) | NumberFault::Glued(n)) => {
            (Tok::BadNumber, n.max(1))
        }
    }
}

// ---- the grammar's input and error ------------------------------------------

/// The grammar's input: the tokens not read yet. Never empty: the last
/// token, [`Tok::Eof`], is never consumed.
#[derive(Clone, Copy, Debug)]
struct Toks<'t, 's>(&'t [Token<'s>]);

impl<'t, 's> Toks<'t, 's> {
    /// The next token.
    #[inline]
    fn peek(self) -> Token<'s> {
        self.0.first().copied().unwrap_or(Token {
            kind: Tok::Eof,
            text: "",
            start: u32::MAX,
            prev_end: u32::MAX,
        })
    }

    /// The tokens after the next one.
    #[inline]
    fn next(self) -> Self {
        match self.0 {
            [_, rest @ ..] if !rest.is_empty() => Toks(rest),
            _ => self,
        }
    }

    /// The span from `start` to the end of the last token consumed.
    #[inline]
    fn span_from(self, start: u32) -> Span {
        let end = self.peek().prev_end.max(start);
        Span::new(start as usize, end as usize)
    }
}

/// The slice methods nom's combinators need.
impl<'t, 's> nom::Input for Toks<'t, 's> {
    type Item = &'t Token<'s>;
    type Iter = std::slice::Iter<'t, Token<'s>>;
    type IterIndices = std::iter::Enumerate<Self::Iter>;

    fn input_len(&self) -> usize {
        self.0.len()
    }
    fn take(&self, index: usize) -> Self {
        Toks(self.0.get(..index).unwrap_or(self.0))
    }
    fn take_from(&self, index: usize) -> Self {
        Toks(self.0.get(index..).unwrap_or_default())
    }
    fn take_split(&self, index: usize) -> (Self, Self) {
        let (a, b) = self.0.split_at(index.min(self.0.len()));
        (Toks(b), Toks(a))
    }
    fn position<P: Fn(Self::Item) -> bool>(&self, predicate: P) -> Option<usize> {
        self.0.iter().position(predicate)
    }
    fn iter_elements(&self) -> Self::Iter {
        self.0.iter()
    }
    fn iter_indices(&self) -> Self::IterIndices {
        self.0.iter().enumerate()
    }
    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        if self.0.len() >= count {
            Ok(count)
        } else {
            Err(Needed::new(count - self.0.len()))
        }
    }
}

/// What went wrong, without its message (built by [`to_error`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// `P001`: this was expected (a keyword is quoted in the message).
    Expected(&'static str),
    /// `P007`: text after a complete query; this was expected instead.
    Trailing(&'static str),
    /// `P007`: `LIMIT` after `OFFSET`.
    LimitAfterOffset,
    /// `S025`: `UNION`, `INTERSECT` or `EXCEPT` after a query.
    SetOperation,
    /// `P003`: `;` after a query.
    Semicolon,
    /// `P006`.
    Empty,
    /// `L001`: the token at the offset opens this level of nesting.
    TooDeep(u32),
    /// `P002`.
    Unterminated,
    /// `P005`, with this message.
    BadNumber(&'static str),
    /// `P005`: a number with a word glued on, this many bytes long.
    Glued(u32),
    /// `P003`: `--`.
    Comment,
    /// `P003`: `!` (or `!=`) where a value was expected.
    Bang,
    /// An error of nom's own combinators (none is reachable: every rule
    /// builds its own).
    Nom,
}

/// The grammar's error: a byte offset and a [`Fault`]. `Copy`, so
/// failing costs nothing until the message is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PErr {
    at: u32,
    fault: Fault,
}

impl<'t, 's> ParseError<Toks<'t, 's>> for PErr {
    fn from_error_kind(input: Toks<'t, 's>, _: ErrorKind) -> Self {
        PErr {
            at: input.peek().start,
            fault: Fault::Nom,
        }
    }
    fn append(_: Toks<'t, 's>, _: ErrorKind, other: Self) -> Self {
        other
    }
    /// Of two alternatives' errors, the one that got further.
    fn or(self, other: Self) -> Self {
        if other.at >= self.at {
            other
        } else {
            self
        }
    }
}

type PResult<'t, 's, O> = IResult<Toks<'t, 's>, O, PErr>;

/// A recoverable error at the next token.
fn fail<'t, 's, O>(i: Toks<'t, 's>, fault: Fault) -> PResult<'t, 's, O> {
    Err(Err::Error(PErr {
        at: i.peek().start,
        fault,
    }))
}

/// A final error at byte offset `at`.
fn failure<O>(at: u32, fault: Fault) -> Result<O, Err<PErr>> {
    Err(Err::Failure(PErr { at, fault }))
}

/// The nesting level a rule parses at, and the limit.
#[derive(Clone, Copy)]
struct Depth {
    level: u32,
    max: u32,
}

impl Depth {
    /// `by` levels deeper, for the token `t` that opens them; an `L001`
    /// error there past the limit.
    #[inline]
    fn enter(self, t: Token<'_>, by: u32) -> Result<Depth, Err<PErr>> {
        let level = self.level + by;
        if level > self.max {
            return failure(t.start, Fault::TooDeep(level));
        }
        Ok(Depth { level, ..self })
    }
}

// ---- token parsers -----------------------------------------------------------

/// The keyword `k`.
fn kw<'t, 's: 't>(k: Kw) -> impl Fn(Toks<'t, 's>) -> PResult<'t, 's, Span> {
    move |i| {
        let t = i.peek();
        if t.kind == Tok::Kw(k) {
            Ok((i.next(), token_span(t)))
        } else {
            fail(i, Fault::Expected(k.text()))
        }
    }
}

/// The symbol `c`; otherwise an error expecting `expected`.
fn sym<'t, 's: 't>(
    c: u8,
    expected: &'static str,
) -> impl Fn(Toks<'t, 's>) -> PResult<'t, 's, Token<'s>> {
    move |i| {
        let t = i.peek();
        if t.kind == Tok::Sym(c) {
            Ok((i.next(), t))
        } else {
            fail(i, Fault::Expected(expected))
        }
    }
}

/// `path = word - keyword, { ".", word }` (one [`Tok::Name`] token).
fn path<'t, 's: 't>(expected: &'static str) -> impl Fn(Toks<'t, 's>) -> PResult<'t, 's, Ident<'s>> {
    move |i| {
        let t = i.peek();
        match t.kind {
            Tok::Name => Ok((i.next(), ident(t))),
            Tok::BadPath => failure(
                t.start + t.text.len() as u32,
                Fault::Expected("a name after `.`"),
            ),
            _ => fail(i, Fault::Expected(expected)),
        }
    }
}

/// The span of the token `t`.
fn token_span(t: Token<'_>) -> Span {
    Span::new(t.start as usize, t.start as usize + t.text.len())
}

fn ident<'s>(t: Token<'s>) -> Ident<'s> {
    Ident {
        name: Cow::Borrowed(t.text),
        span: token_span(t),
    }
}

/// `item {"," item}`, into any list with `Default` and `push`: a `,`
/// commits to another item.
fn list1<'t, 's: 't, O, L, F>(mut item: F) -> impl FnMut(Toks<'t, 's>) -> PResult<'t, 's, L>
where
    F: Parser<Toks<'t, 's>, Output = O, Error = PErr>,
    L: Default + Extend<O>,
{
    move |i| {
        let (mut i, first) = item.parse(i)?;
        let mut list = L::default();
        list.extend(Some(first));
        while i.peek().kind == Tok::Sym(b',') {
            let (rest, next) = cut(|j| item.parse(j)).parse(i.next())?;
            list.extend(Some(next));
            i = rest;
        }
        Ok((i, list))
    }
}

/// `r` with a recoverable error made final, for a rule that has
/// committed (what `cut` does for a parser).
fn commit<T>(r: Result<T, Err<PErr>>) -> Result<T, Err<PErr>> {
    r.map_err(|e| match e {
        Err::Error(e) => Err::Failure(e),
        e => e,
    })
}

/// `[k p]`: the clause opened by the keyword `k`, if the next token is
/// `k`; after it, `p` is committed.
fn clause<'t, 's: 't, O, P>(
    k: Kw,
    mut p: P,
) -> impl FnMut(Toks<'t, 's>) -> PResult<'t, 's, Option<O>>
where
    P: Parser<Toks<'t, 's>, Output = O, Error = PErr>,
{
    move |i| {
        if i.peek().kind != Tok::Kw(k) {
            return Ok((i, None));
        }
        let (i, o) = commit(p.parse(i.next()))?;
        Ok((i, Some(o)))
    }
}

use nom::combinator::cut;
use nom::sequence::preceded;

// ---- statements ----------------------------------------------------------------

/// `statement = query`, with nothing after it.
fn statement<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Query<'s>> {
    if i.peek().kind == Tok::Eof {
        return fail(i, Fault::Empty);
    }
    let (i, q) = query(i, d)?;
    let t = i.peek();
    let fault = match t.kind {
        Tok::Eof => return Ok((i, q)),
        Tok::Kw(Kw::Union | Kw::Intersect | Kw::Except) => Fault::SetOperation,
        Tok::Kw(Kw::Limit) if q.limit.is_none() && q.offset.is_some() => Fault::LimitAfterOffset,
        Tok::Other if t.text == ";" => Fault::Semicolon,
        _ if q.limit.is_some() || q.offset.is_some() => Fault::Trailing("end of query"),
        _ if !q.order_by.is_empty() => Fault::Trailing("`,`, `LIMIT`, `OFFSET` or end of query"),
        _ if q.where_clause.is_some() => {
            Fault::Trailing("an operator, `AND`, `OR`, `ORDER BY`, `LIMIT` or end of query")
        }
        _ => Fault::Trailing("`WHERE`, `ORDER BY`, `LIMIT` or end of query"),
    };
    failure(t.start, fault)
}

/// `query = "SELECT" ["DISTINCT"] select_entry {"," select_entry} "FROM" …`
fn query<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Query<'s>> {
    let start = i.peek().start;
    let (i, _) = kw(Kw::Select)(i)?;
    let (i, distinct) = match i.peek() {
        t if t.kind == Tok::Kw(Kw::Distinct) => (i.next(), Some(token_span(t))),
        _ => (i, None),
    };
    let (i, select): (_, Vec<_>) = cut(list1(|i| select_entry(i, d))).parse(i)?;
    let (i, _) = match kw(Kw::From)(i) {
        Ok(ok) => ok,
        Err(_) => {
            let expected = if select.len() == 1 && distinct.is_none() && i.peek().kind == Tok::Eof {
                "`,` or `FROM`"
            } else {
                "`,`, an alias or `FROM`"
            };
            return failure(i.peek().start, Fault::Expected(expected));
        }
    };
    let (i, from) = cut(list1(|i| table_ref(i, d))).parse(i)?;
    let mut joins = Vec::new();
    let mut i = i;
    while starts_join(i.peek().kind) {
        let (rest, j) = join(i, d)?;
        joins.push(j);
        i = rest;
    }
    let (i, where_clause) = clause(Kw::Where, |i| expr(i, d)).parse(i)?;
    let gstart = i.peek().start;
    let (i, group_by) =
        clause(Kw::Group, preceded(kw(Kw::By), list1(|i| operand(i, d)))).parse(i)?;
    let group_by = group_by.map(|exprs| GroupBy {
        exprs,
        span: i.span_from(gstart),
    });
    let (i, having) = clause(Kw::Having, |i| expr(i, d)).parse(i)?;
    let (i, order_by) = clause(
        Kw::Order,
        preceded(kw(Kw::By), list1(|i| order_entry(i, d))),
    )
    .parse(i)?;
    let (i, limit) = clause(Kw::Limit, |i| operand(i, d)).parse(i)?;
    let (i, offset) = clause(Kw::Offset, |i| operand(i, d)).parse(i)?;
    Ok((
        i,
        Query {
            distinct,
            select,
            from,
            joins,
            where_clause,
            group_by,
            having,
            order_by: order_by.unwrap_or_default(),
            limit,
            offset,
            span: i.span_from(start),
        },
    ))
}

/// `select_entry = "*" | operand [alias]`
fn select_entry<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, SelectItem<'s>> {
    let t = i.peek();
    if t.kind == Tok::Sym(b'*') {
        let span = token_span(t);
        return Ok((i.next(), SelectItem::Wildcard { span }));
    }
    let (i, expr) = match operand(i, d) {
        Ok(ok) => ok,
        // Nothing that could start a value: say what a select item is.
        Err(Err::Error(e) | Err::Failure(e))
            if e.at == t.start && matches!(e.fault, Fault::Expected(_)) =>
        {
            return failure(t.start, Fault::Expected("a property name or `*`"));
        }
        Err(e) => return Err(e),
    };
    let (i, alias) = alias(i)?;
    Ok((i, SelectItem::Expr { expr, alias }))
}

/// `alias = "AS" path | alias_path`: a bare alias is a path whose first
/// word is not a keyword in any case.
fn alias<'t, 's>(i: Toks<'t, 's>) -> PResult<'t, 's, Option<Alias<'s>>> {
    let t = i.peek();
    let (rest, name, explicit) = match t.kind {
        Tok::Kw(Kw::As) => {
            let (rest, name) = cut(path("an alias name after `AS`")).parse(i.next())?;
            (rest, name, true)
        }
        Tok::Name | Tok::BadPath => {
            let first = t.text.split('.').next().unwrap_or_default();
            if keyword_in_other_case(first).is_some() {
                return Ok((i, None));
            }
            let (rest, name) = path("")(i)?;
            (rest, name, false)
        }
        _ => return Ok((i, None)),
    };
    let span = rest.span_from(t.start);
    Ok((
        rest,
        Some(Alias {
            name,
            explicit,
            span,
        }),
    ))
}

/// `table_ref = (path | "(" query ")") [alias]`
fn table_ref<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, TableRef<'s>> {
    let t = i.peek();
    let (i, source) = if t.kind == Tok::Sym(b'(') {
        let inner = i.next();
        if inner.peek().kind != Tok::Kw(Kw::Select) {
            return failure(
                inner.peek().start,
                Fault::Expected("`SELECT` (a sub-query)"),
            );
        }
        let (i, query) = query(inner, d.enter(t, SUBQUERY_DEPTH)?)?;
        let (i, _) = cut(sym(b')', "`)`")).parse(i)?;
        let span = i.span_from(t.start);
        (
            i,
            TableSource::Subquery {
                query: Box::new(query),
                span,
            },
        )
    } else {
        let (i, name) = path("an object name")(i)?;
        (i, TableSource::Object { name })
    };
    let (i, alias) = alias(i)?;
    let span = i.span_from(t.start);
    Ok((
        i,
        TableRef {
            source,
            alias,
            span,
        },
    ))
}

/// `join = join_kind table_ref ["ON" expr]`
fn join<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Join<'s>> {
    let start = i.peek().start;
    let (i, kind) = join_kind(i)?;
    let (i, table) = cut(|i| table_ref(i, d)).parse(i)?;
    let (i, on) = clause(Kw::On, |i| expr(i, d)).parse(i)?;
    let span = i.span_from(start);
    Ok((
        i,
        Join {
            kind,
            table,
            on,
            span,
        },
    ))
}

/// `join_kind = "JOIN" | "INNER" "JOIN" | ("LEFT"|"RIGHT"|"FULL") ["OUTER"] "JOIN" | "CROSS" "JOIN"`
/// Whether a token of kind `k` starts a [`join_kind`].
fn starts_join(k: Tok) -> bool {
    matches!(
        k,
        Tok::Kw(Kw::Join | Kw::Inner | Kw::Left | Kw::Right | Kw::Full | Kw::Cross)
    )
}

fn join_kind<'t, 's>(i: Toks<'t, 's>) -> PResult<'t, 's, JoinKind> {
    let kind = match i.peek().kind {
        Tok::Kw(Kw::Join) => return Ok((i.next(), JoinKind::Plain)),
        Tok::Kw(Kw::Inner) => JoinKind::Inner,
        Tok::Kw(Kw::Left) => JoinKind::Left,
        Tok::Kw(Kw::Right) => JoinKind::Right,
        Tok::Kw(Kw::Full) => JoinKind::Full,
        Tok::Kw(Kw::Cross) => JoinKind::Cross,
        _ => return fail(i, Fault::Expected("`JOIN`")),
    };
    let mut i = i.next();
    if matches!(kind, JoinKind::Left | JoinKind::Right | JoinKind::Full)
        && i.peek().kind == Tok::Kw(Kw::Outer)
    {
        i = i.next();
    }
    let (i, _) = cut(kw(Kw::Join)).parse(i)?;
    Ok((i, kind))
}

/// `order_entry = operand ["ASC" | "DESC"]`
fn order_entry<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, OrderItem<'s>> {
    let start = i.peek().start;
    let (i, expr) = operand(i, d)?;
    let (i, direction) = match i.peek().kind {
        Tok::Kw(Kw::Asc) => (i.next(), Some(Direction::Asc)),
        Tok::Kw(Kw::Desc) => (i.next(), Some(Direction::Desc)),
        _ => (i, None),
    };
    let span = i.span_from(start);
    Ok((
        i,
        OrderItem {
            expr,
            direction,
            span,
        },
    ))
}

// ---- expressions -------------------------------------------------------------
//
// Depth (`Limits::max_depth`, ruling R28) counts what the user nested: one
// level for each `(` (a group, a call's or IN's list) and each `NOT` and
// unary `-`, two for a sub-query, and one for each operator after the first
// in a chain of comparisons or arithmetic (`a = 1 = 2`, `1 + 2 + 3`), which
// nests the tree as deeply as parentheses would. AND and OR chains are flat
// lists and cost nothing.

/// A sub-query costs two levels: its clauses take about twice the stack of
/// an expression level.
const SUBQUERY_DEPTH: u32 = 2;

/// `expr = expr_and {"OR" expr_and}`
fn expr<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    junction(i, d, Kw::Or, expr_and)
}

/// `expr_and = expr_not {"AND" expr_not}`
fn expr_and<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    junction(i, d, Kw::And, expr_not)
}

/// `item {op item}` for `op` = `AND` or `OR`: one n-ary node (R10).
#[inline(always)]
fn junction<'t, 's>(
    i: Toks<'t, 's>,
    d: Depth,
    op: Kw,
    item: fn(Toks<'t, 's>, Depth) -> PResult<'t, 's, Expr<'s>>,
) -> PResult<'t, 's, Expr<'s>> {
    let start = i.peek().start;
    let (mut i, first) = item(i, d)?;
    if i.peek().kind != Tok::Kw(op) {
        return Ok((i, first));
    }
    let mut operands = vec![first];
    while i.peek().kind == Tok::Kw(op) {
        let (rest, next) = cut(|j| item(j, d)).parse(i.next())?;
        operands.push(next);
        i = rest;
    }
    let span = i.span_from(start);
    let e = if op == Kw::And {
        Expr::And { operands, span }
    } else {
        Expr::Or { operands, span }
    };
    Ok((i, e))
}

/// `expr_not = "NOT" expr_not | expr_pred`
fn expr_not<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    let t = i.peek();
    if t.kind != Tok::Kw(Kw::Not) {
        return expr_pred(i, d);
    }
    let (i, (expr, span)) = unary(i, t, d, expr_not)?;
    Ok((i, Expr::Not { expr, span }))
}

/// The prefix operator `t` (`NOT`, `-`) applied to `rule`, one level deeper:
/// the operand and the span from `t`.
fn unary<'t, 's>(
    i: Toks<'t, 's>,
    t: Token<'s>,
    d: Depth,
    rule: fn(Toks<'t, 's>, Depth) -> PResult<'t, 's, Expr<'s>>,
) -> PResult<'t, 's, (Box<Expr<'s>>, Span)> {
    let (i, e) = commit(rule(i.next(), d.enter(t, 1)?))?;
    let span = i.span_from(t.start);
    Ok((i, (Box::new(e), span)))
}

/// `expr_pred = factor {infix_tail}`: comparisons, predicates and
/// arithmetic after a first operand, applied left to right. Every tail
/// after the first nests the tree one level deeper, so it costs a level.
fn expr_pred<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    let start = i.peek().start;
    let (mut i, mut lhs) = operand_start(i, d, factor)?;
    let mut height = d;
    let mut first = true;
    while starts_infix_tail(i.peek().kind) {
        if !first {
            height = height.enter(i.peek(), 1)?;
        }
        first = false;
        (i, lhs) = commit(infix_tail(i, height, lhs, start))?;
    }
    Ok((i, lhs))
}

/// Whether a token of kind `k` starts an [`infix_tail`].
fn starts_infix_tail(k: Tok) -> bool {
    matches!(
        k,
        Tok::Cmp(_)
            | Tok::Sym(b'+' | b'-' | b'*' | b'/' | b'%')
            | Tok::Comment
            | Tok::Kw(Kw::Is | Kw::Like | Kw::In | Kw::Between | Kw::Not)
    )
}

/// `infix_tail = cmp_op operand | ("+"|"-") term | ("*"|"/"|"%") factor | pred_tail`,
/// applied to `lhs`, which starts at byte offset `start`.
fn infix_tail<'t, 's>(
    i: Toks<'t, 's>,
    d: Depth,
    lhs: Expr<'s>,
    start: u32,
) -> PResult<'t, 's, Expr<'s>> {
    let t = i.peek();
    match t.kind {
        Tok::Cmp(op) => {
            let (i, rhs) = operand(i.next(), d)?;
            let operands = Box::new(Operands { lhs, rhs });
            let span = i.span_from(start);
            Ok((i, Expr::Compare { op, operands, span }))
        }
        Tok::Sym(c) if arith_op(c).is_some() => {
            let op = arith_op(c).unwrap_or(ArithOp::Add);
            let rhs_rule = if matches!(op, ArithOp::Add | ArithOp::Sub) {
                term
            } else {
                factor
            };
            let (i, rhs) = rhs_rule(i.next(), d)?;
            Ok((i, arith(op, lhs, rhs, i.span_from(start))))
        }
        Tok::Comment => failure(t.start, Fault::Comment),
        _ => pred_tail(i, d, lhs, start),
    }
}

/// The arithmetic operator the symbol `c` is.
fn arith_op(c: u8) -> Option<ArithOp> {
    Some(match c {
        b'+' => ArithOp::Add,
        b'-' => ArithOp::Sub,
        b'*' => ArithOp::Mul,
        b'/' => ArithOp::Div,
        b'%' => ArithOp::Rem,
        _ => return None,
    })
}

fn arith<'s>(op: ArithOp, lhs: Expr<'s>, rhs: Expr<'s>, span: Span) -> Expr<'s> {
    Expr::Arith {
        op,
        operands: Box::new(Operands { lhs, rhs }),
        span,
    }
}

/// `pred_tail = "IS" ["NOT"] "NULL" | ["NOT"] ("LIKE" operand ["ESCAPE" operand]
/// | "IN" "(" in_body ")" | "BETWEEN" operand "AND" operand)`
fn pred_tail<'t, 's>(
    i: Toks<'t, 's>,
    d: Depth,
    lhs: Expr<'s>,
    start: u32,
) -> PResult<'t, 's, Expr<'s>> {
    if i.peek().kind == Tok::Kw(Kw::Is) {
        let i = i.next();
        let negated = i.peek().kind == Tok::Kw(Kw::Not);
        let i = if negated { i.next() } else { i };
        if i.peek().kind != Tok::Kw(Kw::Null) {
            let expected = if negated {
                "`NULL`"
            } else {
                "`NULL` or `NOT NULL`"
            };
            return failure(i.peek().start, Fault::Expected(expected));
        }
        let i = i.next();
        let span = i.span_from(start);
        let expr = Box::new(lhs);
        return Ok((
            i,
            Expr::IsNull {
                expr,
                negated,
                span,
            },
        ));
    }
    let negated = i.peek().kind == Tok::Kw(Kw::Not);
    let i = if negated { i.next() } else { i };
    let t = i.peek();
    match t.kind {
        Tok::Kw(Kw::Like) => {
            let (i, pattern) = operand(i.next(), d)?;
            let (i, escape) = clause(Kw::Escape, |j| operand(j, d)).parse(i)?;
            let like = Box::new(Like {
                expr: lhs,
                pattern,
                negated,
                escape,
            });
            Ok((
                i,
                Expr::Like {
                    like,
                    span: i.span_from(start),
                },
            ))
        }
        Tok::Kw(Kw::In) => {
            let i = i.next();
            let open = i.peek();
            if open.kind != Tok::Sym(b'(') {
                return failure(open.start, Fault::Expected("`(` after `IN`"));
            }
            let inner = i.next();
            let expr = Box::new(lhs);
            if inner.peek().kind == Tok::Kw(Kw::Select) {
                let (i, q) = query(inner, d.enter(open, SUBQUERY_DEPTH)?)?;
                let (i, _) = close(i, "`)`")?;
                let query = Box::new(q);
                let span = i.span_from(start);
                return Ok((
                    i,
                    Expr::InSubquery {
                        expr,
                        query,
                        negated,
                        span,
                    },
                ));
            }
            let (i, list) = in_body(inner, d.enter(open, 1)?)?;
            let (i, _) = close(i, "`,` or `)`")?;
            let in_list = Box::new(InList {
                expr: *expr,
                list,
                negated,
            });
            Ok((
                i,
                Expr::In {
                    in_list,
                    span: i.span_from(start),
                },
            ))
        }
        Tok::Kw(Kw::Between) => {
            let (i, low) = operand(i.next(), d)?;
            let (i, _) = cut(kw(Kw::And)).parse(i)?;
            let (i, high) = operand(i, d)?;
            Ok((
                i,
                Expr::Between {
                    expr: Box::new(lhs),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                    span: i.span_from(start),
                },
            ))
        }
        _ => failure(
            t.start,
            Fault::Expected("`LIKE`, `IN` or `BETWEEN` after `NOT`"),
        ),
    }
}

/// `in_body = [operand {"," operand}]`: the values of an `IN` list. A value
/// that is one literal token before `,` or `)` is read here in one step,
/// without the descent through `operand` (measured: 14% fewer instructions
/// parsing `IN` lists of 1,000 to 100,000 values, 8-10% per translation).
fn in_body<'t, 's>(mut i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Vec<Expr<'s>>> {
    let mut list = Vec::new();
    if i.peek().kind == Tok::Sym(b')') {
        return Ok((i, list));
    }
    loop {
        let value = match i.0 {
            [t, next, ..] if matches!(next.kind, Tok::Sym(b',' | b')')) => literal(*t),
            _ => None,
        };
        let (rest, value) = match value {
            Some(v) => (i.next(), v),
            // after a `,` the list has committed
            None if list.is_empty() => operand(i, d)?,
            None => commit(operand(i, d))?,
        };
        list.push(value);
        if rest.peek().kind != Tok::Sym(b',') {
            return Ok((rest, list));
        }
        i = rest.next();
    }
}

/// `)` (or the error expecting `expected`), after a rule has committed.
fn close<'t, 's>(i: Toks<'t, 's>, expected: &'static str) -> PResult<'t, 's, Token<'s>> {
    cut(sym(b')', expected)).parse(i)
}

/// `operand = term {("+"|"-") term}`: a value, no conditions.
fn operand<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    operand_start(i, d, |i, d| {
        chain(i, d, term, |c| matches!(c, b'+' | b'-'), true)
    })
}

/// `rule` at `i`, except that a one-token value (a name no `(` follows, a
/// string, a number, `TRUE`, `FALSE`, `NULL`) that no operator follows is
/// read here by `primary`: the usual operand, without the descent through
/// `term` and `factor` (measured in R63).
#[inline(always)]
fn operand_start<'t, 's>(
    i: Toks<'t, 's>,
    d: Depth,
    rule: impl FnOnce(Toks<'t, 's>, Depth) -> PResult<'t, 's, Expr<'s>>,
) -> PResult<'t, 's, Expr<'s>> {
    if let [t, next, ..] = i.0 {
        let one_token = match t.kind {
            Tok::Name => next.kind != Tok::Sym(b'('),
            Tok::Str | Tok::StrEsc | Tok::Number => true,
            Tok::Kw(Kw::True | Kw::False | Kw::Null) => true,
            _ => false,
        };
        if one_token
            && !matches!(
                next.kind,
                Tok::Sym(b'+' | b'-' | b'*' | b'/' | b'%') | Tok::Comment
            )
        {
            return primary(i, d);
        }
    }
    rule(i, d)
}

/// `term = factor {("*"|"/"|"%") factor}`
fn term<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    chain(i, d, factor, |c| matches!(c, b'*' | b'/' | b'%'), false)
}

/// `item {op item}` for the arithmetic symbols `is_op` accepts, left to
/// right. Every application after the first costs a level. `comments`:
/// whether `--` in place of the operator is an error here (it is after an
/// operand; a term leaves it to its operand).
#[inline(always)]
fn chain<'t, 's>(
    i: Toks<'t, 's>,
    d: Depth,
    item: fn(Toks<'t, 's>, Depth) -> PResult<'t, 's, Expr<'s>>,
    is_op: fn(u8) -> bool,
    comments: bool,
) -> PResult<'t, 's, Expr<'s>> {
    let start = i.peek().start;
    let (mut i, mut lhs) = item(i, d)?;
    let mut height = d;
    let mut first = true;
    loop {
        let t = i.peek();
        let op = match t.kind {
            Tok::Sym(c) if is_op(c) => arith_op(c).unwrap_or(ArithOp::Add),
            Tok::Comment if comments => return failure(t.start, Fault::Comment),
            _ => return Ok((i, lhs)),
        };
        if !first {
            height = height.enter(t, 1)?;
        }
        first = false;
        let (rest, rhs) = cut(|j| item(j, height)).parse(i.next())?;
        lhs = arith(op, lhs, rhs, rest.span_from(start));
        i = rest;
    }
}

/// `factor = "-" factor | primary` (a `-` glued to a number is its sign).
fn factor<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    let t = i.peek();
    match t.kind {
        Tok::Sym(b'-') => {
            let n = i.next().peek();
            if n.start == t.start + 1 {
                match n.kind {
                    Tok::Number => {
                        let (text, span) = (Cow::Borrowed(t.text), token_span(t));
                        return Ok((i.next().next(), Expr::Number { text, span }));
                    }
                    Tok::BadNumber => return Err(Err::Failure(number_error(n))),
                    _ => {}
                }
            }
            let (i, (expr, span)) = unary(i, t, d, factor)?;
            Ok((i, Expr::Neg { expr, span }))
        }
        Tok::Comment => failure(t.start, Fault::Comment),
        _ => primary(i, d),
    }
}

/// The error of a [`Tok::BadNumber`] token.
fn number_error(t: Token<'_>) -> PErr {
    let (off, fault) = match scan_number(t.text) {
        Err(NumberFault::NoFraction(k)) => (
            k,
            Fault::BadNumber("expected digits after the decimal point"),
        ),
        Err(NumberFault::NoExponent(k)) => (k, Fault::BadNumber("expected digits in the exponent")),
        Err(NumberFault::Glued(len)) => (0, Fault::Glued(len as u32)),
        Ok(_) => (0, Fault::Expected("a number")),
    };
    PErr {
        at: t.start + off as u32,
        fault,
    }
}

/// `primary = string | number | "TRUE" | "FALSE" | "NULL" | "*" | path ["(" [operand {"," operand}] ")"]
/// | "(" (query | expr) ")"`
fn primary<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    let t = i.peek();
    let span = token_span(t);
    let e = match t.kind {
        Tok::Name => {
            let ident = ident(t);
            let rest = i.next();
            let open = rest.peek();
            if open.kind != Tok::Sym(b'(') {
                return Ok((rest, Expr::Column { ident }));
            }
            let inner = rest.next();
            let dl = d.enter(open, 1)?;
            let (i, args) = if inner.peek().kind == Tok::Sym(b')') {
                (inner, Vec::new())
            } else {
                cut(list1(|j| operand(j, dl))).parse(inner)?
            };
            let (i, _) = close(i, "`,` or `)`")?;
            let call = Box::new(Call { name: ident, args });
            return Ok((
                i,
                Expr::Call {
                    call,
                    span: i.span_from(t.start),
                },
            ));
        }
        Tok::Str | Tok::StrEsc | Tok::Number | Tok::Kw(Kw::True | Kw::False | Kw::Null) => {
            match literal(t) {
                Some(e) => e,
                None => return fail(i, Fault::Expected("a property name or value")),
            }
        }
        Tok::Sym(b'*') => Expr::Star { span },
        Tok::Sym(b'(') => return paren(i, d),
        Tok::BadPath => return path("")(i).map(|(i, ident)| (i, Expr::Column { ident })),
        Tok::Unterminated => return failure(t.start, Fault::Unterminated),
        Tok::BadNumber => return Err(Err::Failure(number_error(t))),
        Tok::Cmp(_) if t.text.starts_with('!') => return failure(t.start, Fault::Bang),
        Tok::Eof => return fail(i, Fault::Expected("an expression")),
        _ => return fail(i, Fault::Expected("a property name or value")),
    };
    Ok((i.next(), e))
}

/// The literal the token `t` is (`string | number | "TRUE" | "FALSE" |
/// "NULL"`), if any.
#[inline]
fn literal(t: Token<'_>) -> Option<Expr<'_>> {
    let span = token_span(t);
    let body = || t.text.get(1..t.text.len() - 1).unwrap_or_default();
    Some(match t.kind {
        Tok::Str => Expr::String {
            value: Cow::Borrowed(body()),
            span,
        },
        Tok::StrEsc => Expr::String {
            value: Cow::Owned(body().replace("''", "'")),
            span,
        },
        Tok::Number => Expr::Number {
            text: Cow::Borrowed(t.text),
            span,
        },
        Tok::Kw(Kw::True | Kw::False) => Expr::Bool {
            value: t.kind == Tok::Kw(Kw::True),
            span,
        },
        Tok::Kw(Kw::Null) => Expr::Null { span },
        _ => return None,
    })
}

/// `"(" (query | expr) ")"`: a sub-query costs two levels, a group one.
fn paren<'t, 's>(i: Toks<'t, 's>, d: Depth) -> PResult<'t, 's, Expr<'s>> {
    let open = i.peek();
    let inner = i.next();
    if inner.peek().kind == Tok::Kw(Kw::Select) {
        let (i, q) = query(inner, d.enter(open, SUBQUERY_DEPTH)?)?;
        let (i, _) = close(i, "`)`")?;
        let span = i.span_from(open.start);
        return Ok((
            i,
            Expr::Subquery {
                query: Box::new(q),
                span,
            },
        ));
    }
    let (i, e) = cut(|j| expr(j, d.enter(open, 1)?)).parse(inner)?;
    let (i, _) = close(i, "`)` or an operator")?;
    Ok((i, e))
}

// ---- the entry point and its errors ---------------------------------------------

/// Parses `src` as one statement of `lang` (the grammar is shared; the
/// languages differ in what validation accepts, and here only in the help
/// of an empty query). Every keyword written in the wrong case is reported
/// (`P004`, see [`parse_repairing`]), with the first other error after them.
pub(crate) fn parse_query<'a>(
    src: &'a str,
    lang: Lang,
    limits: &Limits,
) -> Result<Query<'a>, Errors> {
    match parse_repairing(src, lang, limits) {
        (Ok(q), repaired) if repaired.is_empty() => Ok(q),
        (Ok(_), repaired) => Err(Errors(repaired)),
        (Err(e), mut repaired) => {
            repaired.push(e);
            Err(Errors(repaired))
        }
    }
}

/// How many wrong-case keywords one parse repairs (each repair parses the
/// query again) before it reports the next one as the error.
const MAX_REPAIRS: usize = 50;

/// Parses `src`, reading a keyword written in another case (`select`) as the
/// keyword where the grammar expects one: the query, or the first error that
/// is not such a keyword, and the `P004` error of each keyword repaired.
/// The well-formed path parses once; each repair parses again.
pub(crate) fn parse_repairing<'a>(
    src: &'a str,
    lang: Lang,
    limits: &Limits,
) -> (Result<Query<'a>, Error>, Vec<Error>) {
    // Token offsets are `u32`: longer input is refused as too large.
    let max = limits.max_input_bytes.min(u32::MAX as usize - 1);
    if src.len() > max {
        let mut cut = max;
        while !src.is_char_boundary(cut) {
            cut -= 1;
        }
        let e = Error::new(
            Code::InputTooLarge,
            Span::new(cut, src.len()),
            format!(
                "query is {} bytes, over the limit of {max} bytes",
                src.len()
            ),
        )
        .with_help("shorten the query or raise `Limits::max_input_bytes`");
        return (Err(e), Vec::new());
    }
    let mut toks = lex(src);
    let depth = Depth {
        level: 0,
        max: u32::try_from(limits.max_depth).unwrap_or(u32::MAX - SUBQUERY_DEPTH),
    };
    let mut repaired = Vec::new();
    loop {
        let e = match statement(Toks(&toks), depth) {
            Ok((_, q)) => return (Ok(q), repaired),
            Err(Err::Error(e) | Err::Failure(e)) => e,
            Err(Err::Incomplete(_)) => PErr {
                at: src.len() as u32,
                fault: Fault::Nom,
            },
        };
        let error = to_error(src, lang, limits, e);
        // The token at the error; when the error is not that token's case,
        // the one before it (`not Id IN …` fails at `Id`).
        let at = toks.iter().position(|t| t.start >= e.at);
        let here = error.code == Code::KeywordCase;
        let candidate = if here {
            at
        } else {
            at.and_then(|i| i.checked_sub(1))
        };
        let fix = candidate
            .filter(|_| repaired.len() < MAX_REPAIRS)
            .and_then(|i| Some((i, miscased(toks.get(i)?)?)));
        let Some((i, k)) = fix else {
            return (Err(error), repaired);
        };
        let name = toks.get(i).copied();
        if let Some(t) = toks.get_mut(i) {
            t.kind = Tok::Kw(k);
        }
        if here {
            repaired.push(error);
            continue;
        }
        // Kept only when the query then parses further than before.
        let further = match statement(Toks(&toks), depth) {
            Ok(_) => true,
            Err(Err::Error(e2) | Err::Failure(e2)) => e2.at > e.at,
            Err(Err::Incomplete(_)) => false,
        };
        match name {
            Some(t) if further => repaired.push(
                Error::new(
                    Code::KeywordCase,
                    token_span(t),
                    format!("expected `{}`, found `{}`", k.text(), t.text),
                )
                .with_help(format!("keywords are case-sensitive: write `{}`", k.text())),
            ),
            _ => {
                if let (Some(slot), Some(t)) = (toks.get_mut(i), name) {
                    *slot = t;
                }
                return (Err(error), repaired);
            }
        }
    }
}

/// The keyword a [`Tok::Name`] token spells in another case, if the whole
/// token does (`from`, not `from.x`).
fn miscased(t: &Token<'_>) -> Option<Kw> {
    if t.kind != Tok::Name {
        return None;
    }
    keyword(keyword_in_other_case(t.text)?)
}

/// The diagnostic for `e`: its message, span and help, built from the text
/// at its offset.
#[cold]
fn to_error(src: &str, lang: Lang, limits: &Limits, e: PErr) -> Error {
    let at = (e.at as usize).min(src.len());
    let rest = src.get(at..).unwrap_or("");
    let (found, tok_len) = describe_token(rest);
    let span = |len: usize| Span::new(at, (at + len).min(src.len()));
    let coded = |code, len, msg: String, help: &'static str| {
        Error::new(code, span(len), msg).with_help(help)
    };
    let (code, expected, help) =
        match e.fault {
            Fault::Expected(x) => (Code::Syntax, x, None),
            Fault::Nom => (Code::Syntax, "a valid query", None),
            Fault::Trailing(x) => (Code::TrailingInput, x, None),
            Fault::LimitAfterOffset => (
                Code::TrailingInput,
                "end of query",
                Some("write `LIMIT` before `OFFSET`"),
            ),
            Fault::SetOperation => {
                let w = word(rest).map_or("", |(w, _)| w);
                return coded(
                    Code::SetOperation,
                    w.len(),
                    format!("set operations are not supported: `{w}`"),
                    "send one query per request",
                );
            }
            Fault::Semicolon => {
                return coded(
                    Code::InvalidCharacter,
                    1,
                    "unexpected `;`".into(),
                    "send a single query without a statement terminator",
                )
            }
            Fault::Empty => {
                let help = match lang {
                    Lang::Kql => "write a query such as `SELECT Id FROM Account`",
                    Lang::Dql => "write a query such as `SELECT name FROM account`",
                };
                return coded(Code::EmptyQuery, tok_len, "the query is empty".into(), help);
            }
            Fault::TooDeep(level) => return coded(
                Code::TooDeep,
                tok_len,
                format!(
                    "more than {} level{} of nesting: this {found} is level {level}",
                    limits.max_depth,
                    if limits.max_depth == 1 { "" } else { "s" }
                ),
                "`(`, `NOT`, unary `-` and each chained operator after the first (`a + b + c`) \
                 count one level, a sub-query two; flatten the query or raise `Limits::max_depth`",
            ),
            Fault::Unterminated => {
                return coded(
                    Code::UnterminatedString,
                    src.len() - at,
                    "unterminated string literal".into(),
                    "close the string with `'`; write `''` for a quote inside it",
                )
            }
            Fault::BadNumber(msg) => {
                return Error::new(Code::InvalidNumber, span(tok_len), msg);
            }
            Fault::Glued(len) => {
                return coded(
                    Code::InvalidNumber,
                    len as usize,
                    "invalid number literal".into(),
                    "a property name must start with a letter or `_`",
                )
            }
            Fault::Comment => (Code::Syntax, "an operator", None),
            Fault::Bang => {
                return coded(
                    Code::InvalidCharacter,
                    1,
                    "unexpected `!`".into(),
                    "write `!=` for not equal",
                )
            }
        };
    let span = span(tok_len);
    // A keyword written in another case where a keyword was expected.
    if let Some((w, _)) = word(rest) {
        if let Some(k) = keyword_in_other_case(w) {
            return Error::new(
                Code::KeywordCase,
                span,
                format!("expected {}, found `{w}`", quote_expected(expected)),
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
        if !c.is_ascii_graphic() && !c.is_alphanumeric() && !c.is_whitespace() || c.is_control() {
            return Error::new(
                Code::InvalidCharacter,
                span,
                format!("unexpected character {}", char_name(c)),
            )
            .with_help(
                "remove the character; control and invisible characters are not allowed outside strings",
            );
        }
    }
    let err = Error::new(
        code,
        span,
        format!("expected {}, found {found}", quote_expected(expected)),
    );
    match help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

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

    /// The query, or the first error.
    fn parse(s: &str) -> Result<Query<'_>, Error> {
        parse_query(s, Lang::Kql, &Limits::default()).map_err(|e| e.0[0].clone())
    }

    fn err(s: &str) -> (String, String) {
        let e = parse(s).expect_err(s);
        (e.code.to_string(), e.message.to_string())
    }

    fn unlimited_input() -> Limits {
        Limits {
            max_input_bytes: usize::MAX,
            ..Limits::default()
        }
    }

    #[test]
    fn keyword_lookup_agrees_with_the_list() {
        for k in KEYWORDS {
            assert_eq!(keyword(k).map(Kw::text), Some(*k));
            assert_eq!(keyword(&k.to_ascii_lowercase()), None, "{k}");
            assert_eq!(keyword(&format!("{k}S")), None, "{k}S");
            assert_eq!(keyword_in_other_case(&k.to_ascii_lowercase()), Some(*k));
            assert_eq!(keyword_in_other_case(k), None);
        }
        for w in ["", "A", "Select", "_AND", "SELECTED", "INTERSECTS", "É"] {
            assert_eq!(keyword(w), None, "{w}");
        }
    }

    #[test]
    fn depth_counts_parentheses_and_not_and_names_the_level() {
        let limits = Limits::default();
        let max = limits.max_depth;
        // `max` levels of mixed parentheses and NOT, with AND/OR between them
        let mut q = String::from("a = 1");
        for level in 0..max {
            q = match level % 3 {
                0 => format!("(b = 2 OR {q})"),
                1 => format!("NOT {q}"),
                _ => format!("(c = 3 AND {q})"),
            };
        }
        let ok = format!("SELECT a FROM X WHERE {q}");
        assert!(parse(&ok).is_ok(), "{max} levels are accepted");
        let deeper = format!("SELECT a FROM X WHERE NOT {q}");
        let e = parse(&deeper).unwrap_err();
        assert_eq!(e.code, Code::TooDeep);
        assert_eq!(
            e.message,
            format!(
                "more than {max} levels of nesting: this `(` is level {}",
                max + 1
            )
        );
        // the innermost `(`, one level too deep once the outer `NOT` is added
        let innermost = deeper.rfind('(').unwrap();
        assert_eq!((e.span.start, e.span.end), (innermost, innermost + 1));
        // 32 parentheses around a chain of AND/OR is 32 levels, not 64
        let mut q = String::from("a = 1");
        for level in 0..32 {
            let op = if level % 2 == 0 { "AND" } else { "OR" };
            q = format!("(b = {level} {op} {q})");
        }
        assert!(parse(&format!("SELECT a FROM X WHERE {q}")).is_ok());
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

    /// The `IN`-list run of plain strings (`plain_strings`) agrees with the
    /// general operand path: every item, mixed with items it leaves to that
    /// path, parses to what the same literal gives as a comparison operand.
    #[test]
    fn in_list_plain_strings_agree_with_operands() {
        let items = [
            "'a'",
            "''",
            "'O''Brien'",
            "'é–ü'",
            "'x\\y'",
            "'2024-01-31'",
            "42",
            "TRUE",
            "b",
            "'z'",
        ];
        for seps in [[", ", ")"], [" ,\t", " )"], [",", ")"]] {
            let list = items.join(seps[0]);
            let q = format!("SELECT a FROM X WHERE a IN ({list}{}", seps[1]);
            let ast = parse(&q).expect(&q);
            let Some(Expr::In { in_list, span }) = &ast.where_clause else {
                panic!("{q}")
            };
            assert_eq!(span.end, q.len(), "{q}");
            assert_eq!(in_list.list.len(), items.len());
            for (item, got) in items.iter().zip(&in_list.list) {
                let one = format!("SELECT a FROM X WHERE a = {item}");
                let one_ast = parse(&one).unwrap();
                let Some(Expr::Compare { operands, .. }) = &one_ast.where_clause else {
                    panic!("{one}")
                };
                assert_eq!(got.to_string(), operands.rhs.to_string(), "{q}");
                let (g, w) = (got.span(), operands.rhs.span());
                assert_eq!(&q[g.start..g.end], &one[w.start..w.end], "{q}");
                if let (Expr::String { value: a, .. }, Expr::String { value: b, .. }) =
                    (got, &operands.rhs)
                {
                    assert_eq!(a, b);
                    assert_eq!(matches!(a, Cow::Borrowed(_)), matches!(b, Cow::Borrowed(_)));
                }
            }
        }
        // Errors after and inside a run are those of the general path.
        let q = "SELECT a FROM X WHERE a IN ('a', 'b' 'c')";
        let e = parse(q).unwrap_err();
        assert_eq!((e.span.start, e.message.contains("`,` or `)`")), (37, true));
        let q = "SELECT a FROM X WHERE a IN ('a', 'b";
        assert_eq!(parse(q).unwrap_err().code, Code::UnterminatedString);
        let q = "SELECT a FROM X WHERE a IN ('a', )";
        assert_eq!(parse(q).unwrap_err().span.start, 33);
        let q = "SELECT a FROM X WHERE a IN ('a',";
        assert!(parse(q).is_err());
    }

    #[test]
    fn strings_unescape_quotes_and_borrow_otherwise() {
        let q = parse("SELECT a FROM X WHERE a = 'O''Brien' AND b = 'plain'").unwrap();
        let Some(Expr::And { operands, .. }) = &q.where_clause else {
            panic!()
        };
        let Expr::Compare { operands: o, .. } = &operands[0] else {
            panic!()
        };
        assert!(matches!(&o.rhs, Expr::String { value: Cow::Owned(v), .. } if v == "O'Brien"));
        let Expr::Compare { operands: o, .. } = &operands[1] else {
            panic!()
        };
        assert!(matches!(
            &o.rhs,
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
            let Some(Expr::Compare { operands, .. }) = q.where_clause else {
                panic!()
            };
            assert!(
                matches!(operands.rhs, Expr::Number { text: ref t, .. } if t == text),
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
    fn every_wrong_case_keyword_is_reported_in_one_run() {
        let src = "select Id from Account where Name like 'x%' and not Id in ('1') order by Name desc limit 5";
        let e = parse_query(src, Lang::Kql, &Limits::default()).unwrap_err();
        let words: Vec<&str> = e.iter().map(|e| &src[e.span.start..e.span.end]).collect();
        assert_eq!(
            words,
            [
                "select", "from", "where", "like", "and", "not", "in", "order", "by", "desc",
                "limit"
            ]
        );
        assert!(e.iter().all(|e| e.code == Code::KeywordCase), "{e:?}");
        assert_eq!(
            e.0[1].help.as_deref(),
            Some("keywords are case-sensitive: write `FROM`")
        );
        // the tree read with the keywords repaired
        let (q, repaired) = parse_repairing(src, Lang::Kql, &Limits::default());
        assert_eq!(repaired.len(), 11);
        assert_eq!(
            q.unwrap().to_string(),
            "SELECT Id FROM Account WHERE Name LIKE 'x%' AND NOT Id IN ('1') ORDER BY Name DESC LIMIT 5"
        );
    }

    #[test]
    fn repairs_stop_at_another_error_and_at_the_cap() {
        // the first other error ends the run, after the repairs before it
        let e = parse_query("select a from b where", Lang::Kql, &Limits::default()).unwrap_err();
        let codes: Vec<&str> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["P004", "P004", "P004", "P001"]);
        // `where` is a name where a name is expected: no error there
        let e = parse_query("select a from where", Lang::Kql, &Limits::default()).unwrap_err();
        assert_eq!(e.0.len(), 2);
        // a word glued into a path is not a keyword: no repair
        let e = parse_query("SELECT a from.x", Lang::Kql, &Limits::default()).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e:?}");
        // at most MAX_REPAIRS repairs; the next wrong-case keyword is the error
        let src = format!("SELECT a FROM b WHERE a = 1{}", " and a = 1".repeat(60));
        let e = parse_query(&src, Lang::Kql, &Limits::default()).unwrap_err();
        assert_eq!(e.0.len(), MAX_REPAIRS + 1);
        assert!(e.iter().all(|e| e.code == Code::KeywordCase));
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
        let e = parse_query(&q, Lang::Kql, &unlimited_input()).unwrap_err();
        assert_eq!(e.0[0].code, Code::TooDeep);
        let q = format!("SELECT a FROM X WHERE {}a = 1", "NOT ".repeat(n));
        let e = parse_query(&q, Lang::Kql, &unlimited_input()).unwrap_err();
        assert_eq!(e.0[0].code, Code::TooDeep);
        let q = format!("SELECT a FROM X WHERE a = 1{}", " + 1".repeat(n));
        let e = parse_query(&q, Lang::Kql, &unlimited_input()).unwrap_err();
        assert_eq!(e.0[0].code, Code::TooDeep);
    }

    #[test]
    fn input_size_limit() {
        let q = format!("SELECT a FROM X WHERE a = '{}'", "x".repeat(200_000));
        assert_eq!(parse(&q).unwrap_err().code, Code::InputTooLarge);
    }
}
