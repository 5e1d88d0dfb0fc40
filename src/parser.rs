//! The parser: `&str` → [`ast::Query`].
//!
//! A cursor over the borrowed input: the parser keeps the byte offset of the
//! current token and, read once when it moves there, the word that starts
//! at it and the keyword that word spells. Every keyword test is then a
//! one-byte compare, symbols are tested on the byte at the cursor, and no
//! word is scanned twice. Tokens are byte loops (`memchr` for the end of a
//! long string literal), so a token costs no allocation and no character
//! decoding unless it is non-ASCII. The statement and expression structure
//! is a precedence-climbing descent that decides every branch on one token
//! of lookahead, so it never backtracks and runs in time linear in the
//! input. Functions return the parsed value alone (the cursor is in the
//! parser), and a rare error is boxed, so a `Result` is no larger than what
//! it carries.
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

use crate::ast::*;
use crate::error::{one_line, Code, Error};
use crate::span::Span;
use crate::Limits;

/// Defines [`KEYWORDS`], the [`Kw`] enum and the `match` that recognises
/// them, from one list.
macro_rules! keywords {
    ($(#[$doc:meta])* $($kw:literal => $v:ident,)*) => {
        $(#[$doc])*
        pub const KEYWORDS: &[&str] = &[$($kw),*];

        /// A keyword, as recognised in the word at the parser's cursor.
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

        /// The keywords in the order of [`KEYWORDS`].
        const KWS: &[Kw] = &[$(Kw::$v),*];

        /// The keyword `w` spells exactly: the plain definition, which the
        /// hashed lookup of [`keyword_at`] is tested against.
        #[cfg(test)]
        fn keyword_spelling(w: &str) -> Option<Kw> {
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

/// The keyword the word `w` is, if any.
#[cfg(test)]
fn keyword(w: &str) -> Option<Kw> {
    keyword_at(w.as_bytes(), 0, w.len())
}

/// The keyword spelled by the word `b[start..end]`, if any: one hash of
/// its first 8 bytes, read as an integer, and one integer compare.
#[inline(always)]
fn keyword_at(b: &[u8], start: usize, end: usize) -> Option<Kw> {
    // Every keyword is 2 to 9 upper-case ASCII letters: most names are
    // ruled out by their first byte or length without hashing.
    let n = end - start;
    if !(2..=9).contains(&n) || !b[start].is_ascii_uppercase() {
        return None;
    }
    let packed = match b.get(start..start + 8) {
        Some(&[b0, b1, b2, b3, b4, b5, b6, b7]) => {
            let x = u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]);
            if n < 8 {
                x & ((1 << (8 * n)) - 1)
            } else {
                x
            }
        }
        _ => pack(&b[start..end]),
    };
    let k = usize::from(KW_TABLE.slots[kw_hash(packed, KW_TABLE.mult)]);
    let kw = *KWS.get(k)?;
    // The packed bytes and the length; a 9th byte (only `INTERSECT` has
    // one) is compared on its own.
    (KW_TABLE.packed[k] == packed
        && usize::from(KW_TABLE.len[k]) == n
        && (n < 9 || KW_TABLE.ninth[k] == b[start + 8]))
        .then_some(kw)
}

/// The first 8 bytes of `w`, zero-padded, as a little-endian integer.
const fn pack(w: &[u8]) -> u64 {
    let mut x = 0;
    let mut i = 0;
    while i < w.len() && i < 8 {
        x |= (w[i] as u64) << (8 * i);
        i += 1;
    }
    x
}

/// The slot of a packed word in [`KwTable::slots`].
const fn kw_hash(packed: u64, mult: u64) -> usize {
    (packed.wrapping_mul(mult) >> (64 - KW_SLOT_BITS)) as usize
}

const KW_SLOT_BITS: u32 = 7;

/// A perfect hash of [`KEYWORDS`]: multiplicative hashing of the packed
/// spelling, with a multiplier searched for at compile time so that no two
/// keywords share a slot.
struct KwTable {
    mult: u64,
    /// Index into [`KEYWORDS`] per slot; `u8::MAX` for none.
    slots: [u8; 1 << KW_SLOT_BITS],
    /// [`pack`] of each keyword.
    packed: [u64; KEYWORDS.len()],
    /// The length of each keyword.
    len: [u8; KEYWORDS.len()],
    /// The 9th byte of each keyword, 0 if it is shorter.
    ninth: [u8; KEYWORDS.len()],
}

const KW_TABLE: KwTable = {
    let mut packed = [0; KEYWORDS.len()];
    let mut len = [0; KEYWORDS.len()];
    let mut ninth = [0; KEYWORDS.len()];
    let mut k = 0;
    while k < KEYWORDS.len() {
        let w = KEYWORDS[k].as_bytes();
        assert!(w.len() <= 9, "keywords are at most 9 bytes long");
        packed[k] = pack(w);
        len[k] = w.len() as u8;
        if w.len() == 9 {
            ninth[k] = w[8];
        }
        k += 1;
    }
    let mut mult: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut tries = 0;
    loop {
        let mut slots = [u8::MAX; 1 << KW_SLOT_BITS];
        let mut k = 0;
        while k < KEYWORDS.len() {
            let h = kw_hash(packed[k], mult);
            if slots[h] != u8::MAX {
                break;
            }
            slots[h] = k as u8;
            k += 1;
        }
        if k == KEYWORDS.len() {
            break KwTable {
                mult,
                slots,
                packed,
                len,
                ninth,
            };
        }
        tries += 1;
        assert!(tries < 100_000, "no collision-free hash for the keywords");
        mult = mult.wrapping_add(0x2545_F491_4F6C_DD1D) | 1;
    }
};

#[cfg(test)]
fn is_keyword(w: &str) -> bool {
    keyword(w).is_some()
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

/// [`CLASS`] bit: an ASCII letter, digit or `_` (continues a word).
const WORD: u8 = 1;
/// [`CLASS`] bit: an ASCII letter or `_` (starts a word).
const START: u8 = 2;
/// [`CLASS`] bit: a blank between tokens (space, tab, CR, LF).
const BLANK: u8 = 4;

/// The scanners' byte classes: one table load per byte instead of a chain
/// of range compares. Non-ASCII bytes have no bit (the scanners then
/// decode the character).
static CLASS: [u8; 256] = {
    let mut t = [0; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            t[c] = WORD | START;
        } else if b.is_ascii_digit() {
            t[c] = WORD;
        } else if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            t[c] = BLANK;
        }
        c += 1;
    }
    t
};

/// The offset of the first byte at or after `at` that cannot continue an
/// ASCII word.
#[inline(always)]
fn skip_word_bytes(b: &[u8], mut at: usize) -> usize {
    while b
        .get(at)
        .is_some_and(|&c| CLASS[usize::from(c)] & WORD != 0)
    {
        at += 1;
    }
    at
}

/// The length of the identifier-like word that starts `i` (0 if none): an
/// [`is_ident_start`] character, then [`is_ident_char`] characters. ASCII
/// words are scanned inline; anything non-ASCII goes to [`word_len_slow`].
#[inline]
fn word_len(i: &str) -> usize {
    let b = i.as_bytes();
    match b.first() {
        Some(&c) if CLASS[usize::from(c)] & START != 0 => {
            let n = skip_word_bytes(b, 1);
            if b.get(n).is_none_or(u8::is_ascii) {
                n
            } else {
                word_len_slow(i)
            }
        }
        Some(c) if !c.is_ascii() => word_len_slow(i),
        _ => 0,
    }
}

#[cold]
#[inline(never)]
fn word_len_slow(i: &str) -> usize {
    match i.chars().next() {
        Some(c) if is_ident_start(c) => ident_len(i),
        _ => 0,
    }
}

/// The identifier-like word at the start of `i` and the text after it.
fn word(i: &str) -> Option<(&str, &str)> {
    match word_len(i) {
        0 => None,
        n => Some(i.split_at(n)),
    }
}

/// The end (after the closing quote) of a closed `'…'` literal that starts
/// at byte offset `at` of `b` and has no doubled quote in it.
#[inline]
fn plain_string_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'\'') {
        return None;
    }
    let body = at + 1;
    let close = body + find_quote(&b[body..])?;
    if b.get(close + 1) == Some(&b'\'') {
        return None;
    }
    Some(close + 1)
}

/// The offset of the first `'` in `b`: a byte loop over the first bytes
/// (most literals are short), then `memchr` (long ones).
fn find_quote(b: &[u8]) -> Option<usize> {
    const SHORT: usize = 32;
    let (short, long) = b.split_at(b.len().min(SHORT));
    match short.iter().position(|&c| c == b'\'') {
        Some(k) => Some(k),
        None => memchr::memchr(b'\'', long).map(|k| k + SHORT),
    }
}

/// The offset of the first byte at or after `at` that is not a blank
/// (space, tab, CR, LF).
#[inline]
fn skip_blanks(b: &[u8], mut at: usize) -> usize {
    while b
        .get(at)
        .is_some_and(|&c| CLASS[usize::from(c)] & BLANK != 0)
    {
        at += 1;
    }
    at
}

/// The offset of the first byte at or after `at` that is not an ASCII digit.
#[inline]
fn skip_digits(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
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
    fn help(mut self, h: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(h.into());
        self
    }
    fn len(mut self, n: usize) -> Self {
        self.len = Some(n);
        self
    }
}

/// A parse result. The error is boxed: it is rare, and a `Result` as small
/// as the value it carries is cheaper to return on the common path.
type PResult<T> = Result<T, Box<PErr>>;

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
    let mut p = Parser {
        src,
        pos: 0,
        word_end: 0,
        kw: None,
        last_end: 0,
        max_depth: limits.max_depth,
    };
    match p.statement() {
        Ok(q) => Ok(q),
        Err(e) => Err(p.to_error(*e)),
    }
}

struct Parser<'s> {
    src: &'s str,
    /// Byte offset of the current token (whitespace before it skipped).
    pos: usize,
    /// End of the word that starts at `pos`; `pos` when none does.
    word_end: usize,
    /// The keyword that word is, if any.
    kw: Option<Kw>,
    /// End offset of the last token consumed (before trailing whitespace).
    last_end: usize,
    max_depth: usize,
}

impl<'s> Parser<'s> {
    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end.max(start))
    }

    /// The input from the cursor on.
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    /// The byte at the cursor, if any.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    /// Whether the current token is the keyword `kw`.
    #[inline(always)]
    fn at(&self, kw: Kw) -> bool {
        self.kw == Some(kw)
    }

    /// Whether a word that is not a keyword starts at the cursor.
    #[inline(always)]
    fn at_name(&self) -> bool {
        self.word_end > self.pos && self.kw.is_none()
    }

    /// Marks `end` as the end of a token, skips the blanks after it and
    /// reads the word (and keyword) at the new cursor.
    #[inline(always)]
    fn advance(&mut self, end: usize) {
        self.last_end = end;
        self.pos = skip_blanks(self.src.as_bytes(), end);
        self.read_word();
    }

    /// Sets `word_end` and `kw` for the token at `pos`.
    #[inline]
    fn read_word(&mut self) {
        let b = self.src.as_bytes();
        let p = self.pos;
        self.word_end = p;
        self.kw = None;
        match b.get(p) {
            Some(&c) if CLASS[usize::from(c)] & START != 0 => {
                let end = skip_word_bytes(b, p + 1);
                if b.get(end).is_some_and(|c| !c.is_ascii()) {
                    return self.read_word_slow();
                }
                self.word_end = end;
                self.kw = keyword_at(b, p, end);
            }
            Some(c) if !c.is_ascii() => self.read_word_slow(),
            _ => {}
        }
    }

    /// [`Self::read_word`] for a word with a non-ASCII character.
    #[cold]
    #[inline(never)]
    fn read_word_slow(&mut self) {
        self.word_end = self.pos + word_len_slow(self.rest());
        self.kw = keyword_at(self.src.as_bytes(), self.pos, self.word_end);
    }

    /// Consumes the current token if it is the keyword `kw`.
    #[inline]
    fn eat(&mut self, kw: Kw) -> Option<Span> {
        if !self.at(kw) {
            return None;
        }
        let span = Span::new(self.pos, self.word_end);
        self.advance(self.word_end);
        Some(span)
    }

    /// Consumes the keyword `kw`, or fails expecting it.
    #[inline]
    fn expect_kw(&mut self, kw: Kw) -> PResult<Span> {
        match self.eat(kw) {
            Some(s) => Ok(s),
            None => Err(self.expected(kw.text())),
        }
    }

    /// Consumes the one-byte symbol `c` if it is at the cursor.
    #[inline]
    fn eat_byte(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.advance(self.pos + 1);
            true
        } else {
            false
        }
    }

    /// Consumes the one-byte symbol `c`, or fails expecting `expected`.
    #[inline]
    fn expect_byte(&mut self, c: u8, expected: &'static str) -> PResult<()> {
        if self.eat_byte(c) {
            Ok(())
        } else {
            Err(self.expected(expected))
        }
    }

    // ---- errors (built only on failure) -------------------------------------

    /// A syntax error at the cursor: `expected` was expected.
    #[cold]
    #[inline(never)]
    fn expected(&self, expected: &'static str) -> Box<PErr> {
        self.expected_at(self.pos, expected)
    }

    /// A syntax error at byte offset `at`.
    #[cold]
    #[inline(never)]
    fn expected_at(&self, at: usize, expected: &'static str) -> Box<PErr> {
        Box::new(self.coded_at(at, Code::Syntax, expected))
    }

    /// An error with its own code and message at byte offset `at`.
    #[cold]
    fn coded_at(&self, at: usize, code: Code, msg: impl Into<Cow<'static, str>>) -> PErr {
        PErr {
            rest: self.src.len() - at,
            code,
            text: msg.into(),
            help: None,
            len: None,
        }
    }

    /// `--` at the cursor: a comment, which the language does not have.
    #[cold]
    #[inline(never)]
    fn comment_error(&self) -> Box<PErr> {
        Box::new(
            self.coded_at(self.pos, Code::InvalidCharacter, "unexpected `--`")
                .help("comments are not supported")
                .len(2),
        )
    }

    fn statement(&mut self) -> PResult<Query<'s>> {
        self.advance(0);
        if self.pos == self.src.len() {
            return Err(Box::new(
                self.coded_at(self.pos, Code::EmptyQuery, "the query is empty")
                    .help("write a query such as `SELECT Id FROM Account`"),
            ));
        }
        let q = self.query(0)?;
        if self.pos != self.src.len() {
            return Err(self.trailing(&q));
        }
        Ok(q)
    }

    /// The error for text left after a complete statement.
    #[cold]
    fn trailing(&self, q: &Query<'s>) -> Box<PErr> {
        let i = self.rest();
        if let Some((w, _)) = word(i) {
            if matches!(w, "UNION" | "INTERSECT" | "EXCEPT") {
                return Box::new(
                    self.coded_at(
                        self.pos,
                        Code::SetOperation,
                        format!("set operations are not supported: `{w}`"),
                    )
                    .help("send one query per request")
                    .len(w.len()),
                );
            }
            if w == "LIMIT" && q.limit.is_none() && q.offset.is_some() {
                return Box::new(
                    self.coded_at(self.pos, Code::TrailingInput, "end of query")
                        .help("write `LIMIT` before `OFFSET`"),
                );
            }
        }
        if i.starts_with(';') {
            return Box::new(
                self.coded_at(self.pos, Code::InvalidCharacter, "unexpected `;`")
                    .help("send a single query without a statement terminator")
                    .len(1),
            );
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
        Box::new(self.coded_at(self.pos, Code::TrailingInput, expected))
    }

    #[inline]
    fn depth_check(&self, depth: usize) -> PResult<()> {
        if depth > self.max_depth {
            return Err(self.too_deep());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self) -> Box<PErr> {
        Box::new(
            self.coded_at(
                self.pos,
                Code::TooDeep,
                format!("nesting is deeper than the limit of {}", self.max_depth),
            )
            .help("flatten the parentheses or raise `Limits::max_depth`")
            .len(self.rest().chars().next().map_or(0, char::len_utf8)),
        )
    }

    /// `ident {"." ident}` with no blanks around the dots. After a dot any
    /// word is allowed (`Owner.Limit`); the first segment must not be a keyword.
    fn path(&mut self, expected: &'static str) -> PResult<Ident<'s>> {
        if !self.at_name() {
            return Err(self.expected(expected));
        }
        self.path_rest()
    }

    /// [`Self::path`] once its first word, the one at the cursor, has been
    /// found not to be a keyword.
    #[inline]
    fn path_rest(&mut self) -> PResult<Ident<'s>> {
        let start = self.pos;
        let mut end = self.word_end;
        while self.src.as_bytes().get(end) == Some(&b'.') {
            match word_len(&self.src[end + 1..]) {
                0 => return Err(self.expected_at(end + 1, "a name after `.`")),
                n => end += 1 + n,
            }
        }
        self.advance(end);
        Ok(Ident {
            name: Cow::Borrowed(&self.src[start..end]),
            span: Span::new(start, end),
        })
    }

    /// `'…'` with `''` for a quote. Borrowed unless a quote was doubled.
    fn string(&mut self) -> PResult<Expr<'s>> {
        match plain_string_end(self.src.as_bytes(), self.pos) {
            // The usual case: no doubled quote, the value borrows the input.
            Some(end) => {
                let start = self.pos;
                self.advance(end);
                Ok(Expr::String {
                    value: Cow::Borrowed(&self.src[start + 1..end - 1]),
                    span: Span::new(start, end),
                })
            }
            None => self.string_unescaping(),
        }
    }

    /// [`Self::string`] for a literal with a doubled quote (or none at all).
    #[cold]
    fn string_unescaping(&mut self) -> PResult<Expr<'s>> {
        let start = self.pos;
        let body = &self.src[start + 1..];
        let mut owned: Option<String> = None;
        let mut from = 0;
        let bytes = body.as_bytes();
        let mut k = 0;
        loop {
            k += find_quote(&bytes[k..]).unwrap_or(body.len() - k);
            if k >= body.len() {
                return Err(Box::new(
                    self.coded_at(
                        start,
                        Code::UnterminatedString,
                        "unterminated string literal",
                    )
                    .help("close the string with `'`; write `''` for a quote inside it")
                    .len(self.src.len() - start),
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
            let end = start + 1 + k + 1;
            self.advance(end);
            return Ok(Expr::String {
                value,
                span: Span::new(start, end),
            });
        }
    }

    /// `digits ["." digits] [("e"|"E") ["+"|"-"] digits]` or `"." digits …`
    /// starting at byte offset `at`; `start` is where the literal starts,
    /// before the leading `-` that the caller (`prefix`) consumed, if any.
    fn number(&mut self, at: usize, start: usize) -> PResult<Expr<'s>> {
        let b = self.src.as_bytes();
        let int_end = skip_digits(b, at);
        let mut end = int_end;
        if b.get(end) == Some(&b'.') {
            let frac = end + 1;
            end = skip_digits(b, frac);
            if end == frac {
                return Err(self.bad_number(frac, "expected digits after the decimal point"));
            }
        } else if int_end == at {
            return Err(self.expected_at(at, "a number"));
        }
        if let Some(b'e' | b'E') = b.get(end) {
            let exp = end + 1;
            let digits = exp + usize::from(matches!(b.get(exp), Some(b'+' | b'-')));
            end = skip_digits(b, digits);
            if end == digits {
                return Err(self.bad_number(exp, "expected digits in the exponent"));
            }
        }
        match b.get(end) {
            Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                return Err(self.glued_number(at, end));
            }
            Some(&c) if !c.is_ascii() && self.src[end..].starts_with(is_ident_char) => {
                return Err(self.glued_number(at, end));
            }
            _ => {}
        }
        self.advance(end);
        Ok(Expr::Number {
            text: Cow::Borrowed(&self.src[start..end]),
            span: Span::new(start, end),
        })
    }

    #[cold]
    #[inline(never)]
    fn bad_number(&self, at: usize, msg: &'static str) -> Box<PErr> {
        Box::new(self.coded_at(at, Code::InvalidNumber, msg))
    }

    /// A number followed by a word character or a dot (`12abc`, `1.2.3`):
    /// the error blames the whole glued token from `at`.
    #[cold]
    #[inline(never)]
    fn glued_number(&self, at: usize, end: usize) -> Box<PErr> {
        let rest = &self.src[end..];
        let tail = rest
            .find(|c: char| !is_ident_char(c) && c != '.')
            .unwrap_or(rest.len());
        Box::new(
            self.coded_at(at, Code::InvalidNumber, "invalid number literal")
                .help("a property name must start with a letter or `_`")
                .len(end - at + tail),
        )
    }

    // ---- statements --------------------------------------------------------

    #[inline(never)]
    fn query(&mut self, depth: usize) -> PResult<Query<'s>> {
        self.depth_check(depth)?;
        let start = self.pos;
        self.expect_kw(Kw::Select)?;
        let distinct = self.eat(Kw::Distinct);
        let first = self.select_item(depth)?;
        // Room for a few items up front: growing a Vec from one element
        // costs a reallocation.
        let mut select = Vec::with_capacity(4);
        select.push(first);
        while self.eat_byte(b',') {
            select.push(self.select_item(depth)?);
        }
        if self.eat(Kw::From).is_none() {
            let what = if select.len() == 1 && distinct.is_none() && self.pos == self.src.len() {
                "`,` or `FROM`"
            } else {
                "`,`, an alias or `FROM`"
            };
            return Err(self.expected(what));
        }
        let mut from = SmallList::One(self.table_ref(depth)?);
        while self.eat_byte(b',') {
            from.push(self.table_ref(depth)?);
        }
        let mut joins = Vec::new();
        while let Some(j) = self.join(depth)? {
            joins.push(j);
        }
        let where_clause = match self.eat(Kw::Where) {
            Some(_) => Some(self.expr(depth)?),
            None => None,
        };
        let group_by = if self.at(Kw::Group) {
            let gstart = self.pos;
            self.advance(self.word_end);
            self.expect_kw(Kw::By)?;
            let mut exprs = Vec::new();
            loop {
                exprs.push(self.operand(depth)?);
                if !self.eat_byte(b',') {
                    break;
                }
            }
            Some(GroupBy {
                exprs,
                span: self.span_from(gstart),
            })
        } else {
            None
        };
        let having = match self.eat(Kw::Having) {
            Some(_) => Some(self.expr(depth)?),
            None => None,
        };
        let order_by = if self.at(Kw::Order) {
            self.advance(self.word_end);
            self.expect_kw(Kw::By)?;
            let mut items = SmallList::new();
            loop {
                let istart = self.pos;
                let expr = self.operand(depth)?;
                let direction = match self.kw {
                    Some(Kw::Asc) => Some(Direction::Asc),
                    Some(Kw::Desc) => Some(Direction::Desc),
                    _ => None,
                };
                if direction.is_some() {
                    self.advance(self.word_end);
                }
                items.push(OrderItem {
                    expr,
                    direction,
                    span: self.span_from(istart),
                });
                if !self.eat_byte(b',') {
                    break;
                }
            }
            items
        } else {
            SmallList::new()
        };
        let limit = match self.eat(Kw::Limit) {
            Some(_) => Some(self.operand(depth)?),
            None => None,
        };
        let offset = match self.eat(Kw::Offset) {
            Some(_) => Some(self.operand(depth)?),
            None => None,
        };
        Ok(Query {
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
        })
    }

    fn select_item(&mut self, depth: usize) -> PResult<SelectItem<'s>> {
        if self.peek() == Some(b'*') {
            let span = Span::new(self.pos, self.pos + 1);
            self.advance(self.pos + 1);
            return Ok(SelectItem::Wildcard { span });
        }
        let at = self.pos;
        let expr = match self.operand(depth) {
            Ok(e) => e,
            // Nothing that could start a value: say what a select item is.
            Err(e) if e.rest == self.src.len() - at && e.code == Code::Syntax => {
                return Err(self.expected_at(at, "a property name or `*`"));
            }
            Err(e) => return Err(e),
        };
        let alias = self.alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    /// `AS name` or a bare name that is not a keyword in any case.
    #[inline]
    fn alias(&mut self) -> PResult<Option<Alias<'s>>> {
        let start = self.pos;
        let explicit = if self.eat(Kw::As).is_some() {
            true
        } else if self.at_name() && keyword_in_other_case(self.word()).is_none() {
            false
        } else {
            return Ok(None);
        };
        let name = if explicit {
            self.path("an alias name after `AS`")?
        } else {
            self.path_rest()?
        };
        Ok(Some(Alias {
            name,
            explicit,
            span: self.span_from(start),
        }))
    }

    /// The word at the cursor (empty if none).
    fn word(&self) -> &'s str {
        &self.src[self.pos..self.word_end]
    }

    fn table_ref(&mut self, depth: usize) -> PResult<TableRef<'s>> {
        let start = self.pos;
        let source = if self.eat_byte(b'(') {
            if !self.at(Kw::Select) {
                return Err(self.expected("`SELECT` (a sub-query)"));
            }
            let query = self.query(depth + SUBQUERY_DEPTH)?;
            self.expect_byte(b')', "`)`")?;
            TableSource::Subquery {
                query: Box::new(query),
                span: self.span_from(start),
            }
        } else {
            TableSource::Object {
                name: self.path("an object name")?,
            }
        };
        let alias = self.alias()?;
        Ok(TableRef {
            source,
            alias,
            span: self.span_from(start),
        })
    }

    fn join(&mut self, depth: usize) -> PResult<Option<Join<'s>>> {
        let start = self.pos;
        let kind = match self.kw {
            Some(Kw::Join) => JoinKind::Plain,
            Some(Kw::Inner) => JoinKind::Inner,
            Some(Kw::Left) => JoinKind::Left,
            Some(Kw::Right) => JoinKind::Right,
            Some(Kw::Full) => JoinKind::Full,
            Some(Kw::Cross) => JoinKind::Cross,
            _ => return Ok(None),
        };
        if kind != JoinKind::Plain {
            self.advance(self.word_end);
            if matches!(kind, JoinKind::Left | JoinKind::Right | JoinKind::Full) {
                self.eat(Kw::Outer);
            }
        }
        self.expect_kw(Kw::Join)?;
        let table = self.table_ref(depth)?;
        let on = match self.eat(Kw::On) {
            Some(_) => Some(self.expr(depth)?),
            None => None,
        };
        Ok(Some(Join {
            kind,
            table,
            on,
            span: self.span_from(start),
        }))
    }

    // ---- expressions -------------------------------------------------------
    //
    // One precedence-climbing function, `expr_bp`, handles every level, so a
    // level of parentheses costs three stack frames (`expr_bp` → `prefix` →
    // `paren`); the rarer branches live in small non-inlined helpers to keep
    // the frames small.

    /// `expr = conj {OR conj}` — a full condition or value.
    pub(crate) fn expr(&mut self, depth: usize) -> PResult<Expr<'s>> {
        self.expr_bp(depth, PREC_OR)
    }

    /// `operand = term {("+"|"-") term}` — a value, no conditions.
    pub(crate) fn operand(&mut self, depth: usize) -> PResult<Expr<'s>> {
        // The common case: a name that no `(` or arithmetic operator
        // follows is the whole operand (what `expr_bp` would return),
        // built without its operator loop.
        if self.at_name() && depth <= self.max_depth {
            let ident = self.path_rest()?;
            if !matches!(self.peek(), Some(b'(' | b'+' | b'-' | b'*' | b'/' | b'%')) {
                return Ok(Expr::Column { ident });
            }
            let start = ident.span.start;
            let lhs = if self.peek() == Some(b'(') {
                self.call(ident, depth, start)?
            } else {
                Expr::Column { ident }
            };
            return self.infix(lhs, start, depth, PREC_ADD);
        }
        self.expr_bp(depth, PREC_ADD)
    }

    /// Parses an expression whose operators all bind at least as tightly as
    /// `min`. `depth` counts nesting (parentheses, prefix operators, and every
    /// descent into an operand: right-hand sides, `LIKE`/`BETWEEN`/`IN`
    /// operands), so it bounds the number of `expr_bp` frames on the stack;
    /// each left-nested operator application also counts, so the tree's
    /// height never exceeds the depth limit.
    fn expr_bp(&mut self, depth: usize, min: u8) -> PResult<Expr<'s>> {
        self.depth_check(depth)?;
        let start = self.pos;
        let lhs = self.prefix(depth, min)?;
        self.infix(lhs, start, depth, min)
    }

    /// The operator loop of [`Self::expr_bp`] after its first operand
    /// `lhs`, which starts at `start`.
    #[inline(always)]
    fn infix(
        &mut self,
        mut lhs: Expr<'s>,
        start: usize,
        depth: usize,
        min: u8,
    ) -> PResult<Expr<'s>> {
        let mut height = depth;
        // `Some(true)` while `lhs` is an AND built by this loop (extendable), `Some(false)` for OR.
        let mut open_junction: Option<bool> = None;
        loop {
            let Some((prec, op)) = self.peek_infix() else {
                return Ok(lhs);
            };
            if prec < min {
                return Ok(lhs);
            }
            match op {
                Infix::And | Infix::Or => {
                    let is_and = matches!(op, Infix::And);
                    self.advance(self.word_end);
                    let rhs = self.expr_bp(depth + 1, prec + 1)?;
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
                            self.depth_check(height)?;
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
                    self.advance(self.pos + len);
                    let rhs = self.expr_bp(depth + 1, PREC_ADD)?;
                    lhs = Expr::Compare {
                        op: cmp,
                        operands: Box::new(Operands { lhs, rhs }),
                        span: self.span_from(start),
                    };
                }
                Infix::Arith(a) => {
                    if self.rest().starts_with("--") {
                        return Err(self.comment_error());
                    }
                    self.advance(self.pos + 1);
                    let rhs = self.expr_bp(depth + 1, prec + 1)?;
                    lhs = Expr::Arith {
                        op: a,
                        operands: Box::new(Operands { lhs, rhs }),
                        span: self.span_from(start),
                    };
                }
                Infix::Keyword => {
                    lhs = self.predicate_tail(lhs, start, depth)?;
                }
            }
            open_junction = None;
            height += 1;
            self.depth_check(height)?;
        }
    }

    /// What follows an operand, with its binding strength.
    #[inline]
    fn peek_infix(&self) -> Option<(u8, Infix)> {
        let b = self.src.as_bytes();
        match *b.get(self.pos)? {
            c @ (b'<' | b'>' | b'=' | b'!') => {
                let (op, len) = match (c, b.get(self.pos + 1)) {
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
            _ => match self.kw? {
                Kw::And => Some((PREC_AND, Infix::And)),
                Kw::Or => Some((PREC_OR, Infix::Or)),
                Kw::Is | Kw::Like | Kw::In | Kw::Between | Kw::Not => {
                    Some((PREC_PRED, Infix::Keyword))
                }
                _ => None,
            },
        }
    }

    /// Prefix position: `NOT`, unary `-`, or a primary.
    fn prefix(&mut self, depth: usize, min: u8) -> PResult<Expr<'s>> {
        let start = self.pos;
        // The common case first: a property name (a word that is not a
        // keyword, so not `NOT`, `TRUE`, `FALSE` or `NULL`), exactly what
        // `primary` would read, without its dispatch.
        if self.at_name() {
            let ident = self.path_rest()?;
            if self.peek() == Some(b'(') {
                return self.call(ident, depth, start);
            }
            return Ok(Expr::Column { ident });
        }
        if min <= PREC_NOT && self.at(Kw::Not) {
            self.advance(self.word_end);
            let e = self.expr_bp(depth + 1, PREC_NOT)?;
            return Ok(Expr::Not {
                expr: Box::new(e),
                span: self.span_from(start),
            });
        }
        match self.peek() {
            Some(b'-') => self.negative(depth),
            Some(b'(') => self.paren(depth),
            _ => self.primary(),
        }
    }

    /// `-` at the cursor: a negative number literal, or `-` applied to an
    /// operand.
    #[inline(never)]
    fn negative(&mut self, depth: usize) -> PResult<Expr<'s>> {
        let start = self.pos;
        let after = start + 1;
        match self.src.as_bytes().get(after) {
            Some(b'0'..=b'9' | b'.') => return self.number(after, start),
            Some(b'-') => return Err(self.comment_error()),
            _ => {}
        }
        self.advance(after);
        let e = self.expr_bp(depth + 1, PREC_NEG)?;
        Ok(Expr::Neg {
            expr: Box::new(e),
            span: self.span_from(start),
        })
    }

    /// After an operand: `IS [NOT] NULL`, `[NOT] LIKE …`, `[NOT] IN (…)`, `[NOT] BETWEEN …`.
    #[inline(never)]
    fn predicate_tail(&mut self, lhs: Expr<'s>, start: usize, depth: usize) -> PResult<Expr<'s>> {
        if self.eat(Kw::Is).is_some() {
            let negated = self.eat(Kw::Not).is_some();
            if self.eat(Kw::Null).is_none() {
                return Err(self.expected(if negated {
                    "`NULL`"
                } else {
                    "`NULL` or `NOT NULL`"
                }));
            }
            return Ok(Expr::IsNull {
                expr: Box::new(lhs),
                negated,
                span: self.span_from(start),
            });
        }
        let negated = self.eat(Kw::Not).is_some();
        match self.kw {
            Some(Kw::Like) => {
                self.advance(self.word_end);
                let pattern = self.operand(depth + 1)?;
                let escape = match self.eat(Kw::Escape) {
                    Some(_) => Some(self.operand(depth + 1)?),
                    None => None,
                };
                Ok(Expr::Like {
                    like: Box::new(Like {
                        expr: lhs,
                        pattern,
                        negated,
                        escape,
                    }),
                    span: self.span_from(start),
                })
            }
            Some(Kw::In) => {
                self.advance(self.word_end);
                self.in_tail(lhs, negated, start, depth)
            }
            Some(Kw::Between) => {
                self.advance(self.word_end);
                let low = self.operand(depth + 1)?;
                self.expect_kw(Kw::And)?;
                let high = self.operand(depth + 1)?;
                Ok(Expr::Between {
                    expr: Box::new(lhs),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                    span: self.span_from(start),
                })
            }
            _ => Err(self.expected("`LIKE`, `IN` or `BETWEEN` after `NOT`")),
        }
    }

    /// `"(" (query | [operand {"," operand}]) ")"` after `IN`.
    #[inline(never)]
    fn in_tail(
        &mut self,
        lhs: Expr<'s>,
        negated: bool,
        start: usize,
        depth: usize,
    ) -> PResult<Expr<'s>> {
        self.expect_byte(b'(', "`(` after `IN`")?;
        if self.at(Kw::Select) {
            let q = self.query(depth + SUBQUERY_DEPTH)?;
            self.expect_byte(b')', "`)`")?;
            return Ok(Expr::InSubquery {
                expr: Box::new(lhs),
                query: Box::new(q),
                negated,
                span: self.span_from(start),
            });
        }
        let mut list = Vec::new();
        // Values are operands at `depth + 1`; when that depth is allowed, a
        // run of plain string literals, each followed by `,` or `)`, is read
        // by `plain_strings` (no operator can follow such a literal).
        let shortcut = depth < self.max_depth;
        if self.peek() != Some(b')') {
            loop {
                if shortcut && self.plain_strings(&mut list) {
                    break;
                }
                list.push(self.operand(depth + 1)?);
                if !self.eat_byte(b',') {
                    break;
                }
            }
        }
        self.expect_byte(b')', "`,` or `)`")?;
        Ok(Expr::In {
            in_list: Box::new(InList {
                expr: lhs,
                list,
                negated,
            }),
            span: self.span_from(start),
        })
    }

    /// The fast path of an `IN` list: pushes the values of the run of plain
    /// string literals (no doubled quote) at the cursor, each of which is
    /// followed by `,` or `)`, as [`Self::string`] and the general loop of
    /// [`Self::in_tail`] would, but with a byte loop from one literal to the
    /// next instead of the token machinery (no word is read between them).
    ///
    /// Returns `true` when the run ended at the closing `)`, which is left
    /// at the cursor; `false` when the token at the cursor (after the last
    /// `,` consumed, if any) is not such a literal and is left to the
    /// general path. Either way the cursor state is what `advance` sets.
    #[inline]
    fn plain_strings(&mut self, list: &mut Vec<Expr<'s>>) -> bool {
        let src = self.src;
        let b = src.as_bytes();
        let mut p = self.pos;
        // End of the last `,` consumed; 0 = none yet.
        let mut comma_end = 0;
        while let Some(end) = plain_string_end(b, p) {
            let next = skip_blanks(b, end);
            let close = match b.get(next) {
                Some(b',') => false,
                Some(b')') => true,
                _ => break,
            };
            list.push(Expr::String {
                value: Cow::Borrowed(&src[p + 1..end - 1]),
                span: Span::new(p, end),
            });
            if close {
                // Leave the cursor on the `)`: no word there.
                self.last_end = end;
                self.pos = next;
                self.word_end = next;
                self.kw = None;
                return true;
            }
            comma_end = next + 1;
            p = skip_blanks(b, comma_end);
        }
        if comma_end != 0 {
            // As `advance(comma_end)` after the last `,`.
            self.last_end = comma_end;
            self.pos = p;
            self.read_word();
        }
        false
    }

    /// A literal or `*` (never recursive: `(`, names and calls are handled
    /// by `prefix`).
    #[inline(never)]
    fn primary(&mut self) -> PResult<Expr<'s>> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.expected("an expression"));
        };
        match c {
            b'\'' => self.string(),
            b'0'..=b'9' | b'.' => self.number(start, start),
            b'*' => {
                self.advance(start + 1);
                Ok(Expr::Star {
                    span: Span::new(start, start + 1),
                })
            }
            _ => match self.kw {
                Some(kw @ (Kw::True | Kw::False)) => {
                    self.advance(self.word_end);
                    Ok(Expr::Bool {
                        value: kw == Kw::True,
                        span: self.span_from(start),
                    })
                }
                Some(Kw::Null) => {
                    self.advance(self.word_end);
                    Ok(Expr::Null {
                        span: self.span_from(start),
                    })
                }
                _ if self.at_name() => {
                    // Not reached from `prefix`, which reads names itself.
                    let ident = self.path_rest()?;
                    Ok(Expr::Column { ident })
                }
                _ => Err(self.unexpected_in_primary()),
            },
        }
    }

    /// The error for a token that cannot start a value.
    #[cold]
    #[inline(never)]
    fn unexpected_in_primary(&self) -> Box<PErr> {
        let c = self.rest().chars().next();
        Box::new(match c {
            Some('!') => self
                .coded_at(self.pos, Code::InvalidCharacter, "unexpected `!`")
                .help("write `!=` for not equal")
                .len(1),
            Some(c @ ('"' | '`' | '[')) => self
                .coded_at(
                    self.pos,
                    Code::InvalidCharacter,
                    format!("unexpected {}", quote_char(c)),
                )
                .help(
                    "strings use single quotes ('text'); property names are written without quotes",
                )
                .len(1),
            _ => self.coded_at(self.pos, Code::Syntax, "a property name or value"),
        })
    }

    /// `"(" (query | expr) ")"`
    #[inline(never)]
    fn paren(&mut self, depth: usize) -> PResult<Expr<'s>> {
        let start = self.pos;
        self.expect_byte(b'(', "`(`")?;
        self.depth_check(depth + 1)?;
        if self.at(Kw::Select) {
            let q = self.query(depth + SUBQUERY_DEPTH)?;
            self.expect_byte(b')', "`)`")?;
            return Ok(Expr::Subquery {
                query: Box::new(q),
                span: self.span_from(start),
            });
        }
        let e = self.expr_bp(depth + 1, PREC_OR)?;
        self.expect_byte(b')', "`)` or an operator")?;
        Ok(e)
    }

    #[inline(never)]
    fn call(&mut self, name: Ident<'s>, depth: usize, start: usize) -> PResult<Expr<'s>> {
        self.expect_byte(b'(', "`(`")?;
        self.depth_check(depth + 1)?;
        let mut args = Vec::new();
        if self.peek() != Some(b')') {
            loop {
                args.push(self.operand(depth + 1)?);
                if !self.eat_byte(b',') {
                    break;
                }
            }
        }
        self.expect_byte(b')', "`,` or `)`")?;
        Ok(Expr::Call {
            call: Box::new(Call { name, args }),
            span: self.span_from(start),
        })
    }

    // ---- errors --------------------------------------------------------------

    #[cold]
    fn to_error(&self, e: PErr) -> Error {
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
        if let Some((w, _)) = word(rest) {
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
    fn hashed_keyword_lookup_agrees_with_the_match() {
        let mut words: Vec<String> = [
            "",
            "A",
            "a",
            "_AND",
            "É",
            "INTERSECTS",
            "INTERSECX",
            "SELECTX",
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        for k in KEYWORDS {
            words.push(k.to_string());
            words.push(k.to_ascii_lowercase());
            words.push(format!("{k}S"));
            words.push(format!("{k}_"));
            words.push(format!("X{k}"));
            words.push(k[..k.len() - 1].to_string());
            words.push(k[1..].to_string());
            let mut flipped = k.as_bytes().to_vec();
            *flipped.last_mut().unwrap() ^= 0x20;
            words.push(String::from_utf8(flipped).unwrap());
        }
        for w in &words {
            let want = keyword_spelling(w);
            // at the end of the input (packed byte by byte) …
            assert_eq!(keyword(w), want, "{w:?}");
            // … and followed by more text (packed from 8 bytes at once)
            let long = format!("{w} FROM x WHERE y");
            assert_eq!(keyword_at(long.as_bytes(), 0, w.len()), want, "{w:?}");
            let long = format!("xx{w}ABCDEFGHIJ");
            assert_eq!(keyword_at(long.as_bytes(), 2, 2 + w.len()), want, "{w:?}");
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
            let found = word(s).and_then(|(w, _)| keyword(w)).map(Kw::text);
            assert_eq!(found == Some(kw), want, "{s:?}");
        }
        let long = format!("{}'{}", "a".repeat(40), "b'".repeat(3));
        for s in ["", "'", "abc", "ab'c", &long, "é'", &"x".repeat(100)] {
            assert_eq!(find_quote(s.as_bytes()), s.find('\''), "{s:?}");
        }
        for (s, want) in [
            ("'abc' x", Some(5)),
            ("''", Some(2)),
            ("'é'", Some(4)),
            ("'it''s'", None),
            ("''''", None),
            ("'open", None),
            ("x'a'", None),
            ("", None),
        ] {
            assert_eq!(plain_string_end(s.as_bytes(), 0), want, "{s:?}");
        }
        for s in [
            "",
            "abc",
            "_a1 b",
            "1a",
            "a.b",
            "aé b",
            "éa",
            "\u{300}a",
            "a\u{300}b c",
            "FROM",
            "x\u{2028}y",
            "a'b",
            "ab",
        ] {
            let want = match s.chars().next() {
                Some(c) if is_ident_start(c) => {
                    s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len())
                }
                _ => 0,
            };
            assert_eq!(word_len(s), want, "{s:?}");
        }
        assert_eq!(skip_blanks(b" \t\r\n x", 0), 5);
        assert_eq!(skip_blanks(b"a  ", 1), 3);
        assert_eq!(skip_blanks("\u{a0}x".as_bytes(), 0), 0);
        assert_eq!(skip_digits(b"x123.5", 1), 4);
        assert_eq!(skip_digits(b"12", 0), 2);
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
    fn operand_shortcut_agrees_with_expr_bp() {
        fn run(src: &str, depth: usize, fast: bool) -> String {
            let mut p = Parser {
                src,
                pos: 0,
                word_end: 0,
                kw: None,
                last_end: 0,
                max_depth: 3,
            };
            p.advance(0);
            let r = if fast {
                p.operand(depth)
            } else {
                p.expr_bp(depth, PREC_ADD)
            };
            format!("{r:?} {} {} {:?}", p.pos, p.last_end, p.kw)
        }
        for src in [
            "a",
            "a ,",
            "a.b.c FROM",
            "a. b",
            "a LIKE 'x'",
            "a = 1",
            "a + 1 = 2",
            "a - -1",
            "a * b + c",
            "f(x) AND",
            "f (x, y) + 1",
            "f()",
            "f(",
            "aé b",
            "a--b",
            "a IN (1)",
            "NOT a",
            "'x'",
            "(a)",
            "Account",
        ] {
            for depth in [0, 3, 4] {
                assert_eq!(
                    run(src, depth, true),
                    run(src, depth, false),
                    "{src:?} at {depth}"
                );
            }
        }
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
