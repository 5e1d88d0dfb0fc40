//! Diagnostics: one error type with a stable code, a byte span, a one-line
//! message and an optional help line, plus a deterministic text renderer and a
//! JSON form for tools.
//!
//! The library never prints: callers render with [`Error::render`] /
//! [`Errors::render`] or serialise with [`Errors::to_json`].

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::span::Span;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The query is rejected.
    Error,
    /// The query is accepted, but something was ignored or changed.
    Warning,
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $sev:ident; )*) => {
        /// Stable diagnostic codes. `P…` syntax, `S…` documented-subset
        /// rules, `B…` backend (target) limits, `U…` unified names, `L…` resource limits.
        /// A code is never reused for another meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable text form, e.g. `"S004"`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// One-line description of what the code means (the README table).
            pub fn description(self) -> &'static str {
                match self { $( Code::$variant => concat!($($doc),*).trim_ascii(), )* }
            }
        }
    };
}

codes! {
    /// syntax error: the parser expected something else here
    Syntax = "P001", Error;
    /// a string literal is not closed by `'`
    UnterminatedString = "P002", Error;
    /// a character that cannot start any token (`"`, `;`, `$`, a control character, …)
    InvalidCharacter = "P003", Error;
    /// a keyword written in the wrong case (keywords are case-sensitive upper case)
    KeywordCase = "P004", Error;
    /// a malformed number literal
    InvalidNumber = "P005", Error;
    /// the query is empty
    EmptyQuery = "P006", Error;
    /// input after the end of the query
    TrailingInput = "P007", Error;

    /// functions such as `COUNT(*)` are not supported
    Function = "S001", Error;
    /// arithmetic (`amount/10`, `-price`) is not supported
    Arithmetic = "S002", Error;
    /// `JOIN` is not supported (one object type per query)
    Join = "S003", Error;
    /// several objects in `FROM` are not supported
    MultipleObjects = "S004", Error;
    /// `GROUP BY` is not supported
    GroupBy = "S005", Error;
    /// `HAVING` is not supported
    Having = "S006", Error;
    /// sub-queries are not supported
    Subquery = "S007", Error;
    /// `BETWEEN` is not supported
    Between = "S008", Error;
    /// `LIKE … ESCAPE` is not supported
    Escape = "S009", Error;
    /// `SELECT DISTINCT` is not supported
    Distinct = "S010", Error;
    /// a `LIKE` pattern outside the three documented forms `'%kw'`, `'kw%'`, `'%kw%'`
    LikePattern = "S011", Error;
    /// comparison with `NULL` by `=` or `!=` (use `IS NULL` / `IS NOT NULL`)
    CompareNull = "S012", Error;
    /// an empty `IN ()` list
    EmptyInList = "S013", Error;
    /// the language is not supported by the target (DQL is dynamics-only)
    LangTarget = "S014", Error;
    /// `SELECT *` where the language or target does not allow it, or `*` beside other fields
    Wildcard = "S015", Error;
    /// the left side of a predicate must be a property name
    ExpectedProperty = "S016", Error;
    /// the right side of a predicate must be a literal value
    ExpectedValue = "S017", Error;
    /// `NOT LIKE` / `NOT (…)` on sugarcrm outside extended mode
    SugarNot = "S018", Error;
    /// a construct outside the documented subset of the language (allowed with `extended`)
    NotDocumented = "S019", Error;
    /// `LIMIT`/`OFFSET` must be a non-negative whole number below 2^64
    LimitValue = "S020", Error;
    /// `ORDER BY` item without `ASC`/`DESC` where the language requires one
    OrderDirection = "S021", Error;
    /// the `WHERE` clause is not a condition
    NotACondition = "S022", Error;
    /// a literal of the wrong type for the operator (e.g. a number as a `LIKE` pattern)
    LiteralType = "S023", Error;
    /// `ORDER BY` needs a property name
    OrderByTarget = "S024", Error;
    /// set operations (`UNION`, `INTERSECT`, `EXCEPT`) are not supported
    SetOperation = "S025", Error;
    /// a number whose exponent is too large to write exactly in plain decimal notation
    NumberRange = "S026", Error;
    /// a quoted date or datetime with an impossible value (`'2023-02-29'`, hour 25, offset beyond ±14:00)
    InvalidDate = "S027", Error;
    /// an alias (`AS x` or a bare alias) was ignored
    AliasIgnored = "S101", Warning;
    /// a field selected twice; the repeat was dropped
    DuplicateField = "S102", Warning;
    /// a string that looks like a datetime without a zone is compared as a string
    ZonelessDatetime = "S103", Warning;
    /// an `ORDER BY` key repeated; the repeat was dropped
    DuplicateOrderKey = "S104", Warning;
    /// a literal in the SELECT list is treated as a property name
    LiteralAsProperty = "S105", Warning;

    // ---- salesforce backend: B001–B019 (src/backend/soql.rs) ----
    /// salesforce: a field or object name outside the soql identifier grammar (`[A-Za-z][A-Za-z0-9_]*` segments joined by `.`)
    SoqlIdentifier = "B001", Error;
    /// salesforce: a field or object name that is a soql reserved word (any letter case)
    SoqlReserved = "B002", Error;
    /// salesforce: `OFFSET` above 2,000
    SoqlOffsetRange = "B003", Error;
    /// salesforce: a string contains a control character soql cannot escape (only newline, carriage return and tab can be)
    SoqlControlChar = "B004", Error;
    /// salesforce: a string literal longer than 4,000 characters after escaping
    SoqlStringTooLong = "B005", Error;
    /// salesforce: the soql statement is longer than 100,000 characters
    SoqlStatementTooLong = "B006", Error;
    /// salesforce: `IS [NOT] NULL` on a field of unknown type; on a boolean field salesforce reads `= null` as `= false` and `!= null` as `= true`
    SoqlBooleanNull = "B007", Warning;
    /// salesforce: `= ''` or `''` in an `IN` list; salesforce stores an empty text as null, so it would match the null rows
    SoqlEmptyString = "B008", Error;

    // ---- dynamics backend: B020–B039 (src/backend/odata.rs) ----
    /// dynamics: a table, property or navigation property name outside `[A-Za-z_][A-Za-z0-9_]*` per segment, or an OData keyword
    DynamicsIdentifier = "B020", Error;
    /// dynamics: the `entity_set` or `primary_key` option is not a valid Dataverse name
    DynamicsOption = "B021", Error;
    /// dynamics: a selected path deeper than `navigation.property` (`a.b.c`)
    DynamicsSelectPath = "B022", Error;
    /// dynamics: `ORDER BY` a related table's property (`nav.prop`)
    DynamicsOrderByPath = "B023", Error;
    /// dynamics: more than 500 conditions in `$filter` (Dataverse's limit)
    DynamicsTooManyConditions = "B024", Error;
    /// dynamics: more than 15 navigation properties in `$expand` (Dataverse's limit)
    DynamicsTooManyExpands = "B025", Error;
    /// dynamics: the request URL is longer than 32,768 characters (Dataverse's GET limit)
    DynamicsUrlTooLong = "B026", Error;
    /// dynamics: the table is not in the built-in map; its entity set name was guessed
    DynamicsEntitySetGuessed = "B027", Warning;
    /// dynamics: the table's primary key is not known; `<table>id` was assumed
    DynamicsPrimaryKeyGuessed = "B028", Warning;
    /// dynamics: `ORDER BY` a lookup column (`_x_value`); dataverse sorts it by the related row's name, not by its id
    DynamicsLookupOrder = "B029", Error;

    // ---- sugarcrm backend: B040–B059 (src/backend/sugar.rs) ----
    /// a property name that is not a sugarcrm field name (`^[A-Za-z_][A-Za-z0-9_]*$`; a leading `$` would name a filter macro)
    SugarField = "B040", Error;
    /// a `FROM` name that is not a sugarcrm module name (`^[A-Za-z_][A-Za-z0-9_]*$`)
    SugarModule = "B041", Error;
    /// a dotted path where sugarcrm takes none (SELECT list, ORDER BY) or more than one dot (WHERE takes `link.field`)
    SugarPath = "B042", Error;
    /// `%`, `_` or `\` inside a sugarcrm `LIKE` keyword (sugarcrm does not escape LIKE wildcards)
    SugarLikeText = "B043", Error;
    /// `NOT LIKE 'kw%'` / `NOT LIKE '%kw'`: sugarcrm has no negated starts-with or ends-with operator
    SugarNotLike = "B044", Error;
    /// more than 13 nested `$and`/`$or` groups (sugarcrm decodes the body with a JSON depth limit of 32)
    SugarTooDeep = "B045", Error;
    /// a `LIMIT` or `OFFSET` too large for sugarcrm's PHP integers
    SugarCount = "B046", Error;
    /// a datetime with a fraction of a second (sugarcrm drops the fraction before comparing)
    SugarFraction = "B047", Error;
    /// a number sugarcrm's PHP JSON decoder would round: more than 15 significant digits (unless a 64-bit integer) or beyond the float range
    SugarNumber = "B048", Error;
    /// a string value that sugarcrm reads as a date variable (`$nowTime`, `$tomorrowTime`)
    SugarVariable = "B049", Error;
    /// `LIMIT 0`: the request asks for one row and `client_take` 0 tells the caller to discard it (sugarcrm reads `max_num: 0` as 20)
    SugarLimitZero = "B050", Warning;
    /// a numeric comparison under `OR`: on a float, decimal or double field sugarcrm moves it out of the OR
    SugarNumberInOr = "B051", Warning;
    /// a date-only value: on a datetime field sugarcrm does not compare it with midnight UTC
    SugarDateOnly = "B052", Warning;

    // ---- unified names: U001–U019 (src/unified.rs, `--names unified`) ----
    /// unified names: the `FROM` name is not a unified object type (`account`, `contact`, `lead`, `opportunity`, `campaign`, `task`)
    UnifiedUnknownType = "U001", Error;
    /// unified names: a name that is not a unified field of the object type
    UnifiedUnknownField = "U002", Error;
    /// unified names: the unified field has no raw field on the target
    UnifiedUnmapped = "U003", Error;
    /// unified names: a compound field (an address) in `WHERE` or `ORDER BY`
    UnifiedCompound = "U004", Error;
    /// unified names: a dotted path that is not `relation.field` of a relation the target has
    UnifiedRelation = "U005", Error;
    /// unified names: `type`, `raw`, `api` or `href`, which describe the unified response and are not stored fields
    UnifiedMetadata = "U006", Error;
    /// unified names: a malformed Transform document (`Options::transforms`, `--transforms`): not JSON, not a Transform, an object or a list of them, a missing or mistyped attribute, a bad field name
    UnifiedTransform = "U007", Error;
    /// unified names: a Transform's raw field has a segment with an escaped `.` (`1\.0`), which no target's identifier can hold
    UnifiedRawName = "U008", Error;
    // U010–U019: results back to unified (src/unify.rs, `kql unify`)
    /// unify: the records document is not a record, an array of records, or a response with `records` (salesforce, sugarcrm) or `value` (dynamics); or one of its records is not a JSON object
    UnifyInput = "U010", Error;
    // U020–U029: schemas (src/schema.rs, `--schema`)
    /// schema: a malformed Schema document (`Options::schema`, `--schema`): not JSON, not a Retrieve a Schema response, an array of them, or a List Schemas response; a missing or mistyped `service_object_name`, `fields` or `service_field_name`
    SchemaDocument = "U020", Error;
    /// schema: the `FROM` object is not in the schema
    SchemaUnknownObject = "U021", Error;
    /// schema: a field the schema does not list for the object
    SchemaUnknownField = "U022", Error;
    /// schema: a literal of the wrong type for its field (a string against a number field, a datetime against a date-only field, …), or `LIKE` on a field that is not text
    SchemaLiteralType = "U023", Error;

    /// the nesting depth limit was reached
    TooDeep = "L001", Error;
    /// the query text is longer than the input-size limit
    InputTooLarge = "L002", Error;
    /// the query has more predicates than the limit allows
    TooManyPredicates = "L003", Error;
    /// an `IN` list is longer than the limit allows
    InListTooLong = "L004", Error;
    /// a string literal is longer than the limit allows
    StringTooLong = "L005", Error;

    /// an internal invariant was broken (a bug in kql; please report it)
    Internal = "X001", Error;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One diagnostic: a stable [`Code`], a byte [`Span`] into the query, a
/// one-line lowercase message and an optional help line.
///
/// `Display` prints only the message; positions are added by renderers.
///
/// Serialises (for tools) with its keys in this order: `code`, `severity`,
/// `message`, `span` (`start`, `end`), `line`, `column`, `help` (`line` and
/// `column` when known, `help` when there is one).
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One line, lowercase, no trailing period.
    pub message: Cow<'static, str>,
    /// Byte range of the offending text.
    pub span: Span,
    /// 1-based line of `span.start` (lines end at `\n`).
    ///
    /// Set by the functions that are given the query text ([`crate::parse`],
    /// [`crate::check`], [`crate::translate`]) or by [`Errors::locate`];
    /// `None` from [`crate::validate`] and [`crate::lower`], which only see a
    /// tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column of `span.start` on its line, counted in Unicode scalar
    /// values (`char`s; a tab is one), set with [`Error::line`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What to do instead, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Cow<'static, str>>,
}

/// The most diagnostics [`Errors::render`] writes out; the rest are counted
/// in one last line (see [`Errors::render_limited`]).
pub const MAX_RENDERED: usize = 50;

/// The display columns of query text a rendered diagnostic quotes, at most:
/// a window of its line around the span, with `…` where the line was cut.
pub const WINDOW_COLUMNS: usize = 120;

/// Columns kept before the span when the line is cut on both sides.
const LEFT_CONTEXT: usize = 40;

/// Columns from the span's start that a window starting with the line must
/// show (or the rest of the line, when shorter).
const SPAN_CONTEXT: usize = 40;

/// The most characters quoted from a line, whatever their width (zero-width
/// characters take no column but still take bytes).
const WINDOW_CHARS: usize = 2 * WINDOW_COLUMNS;

/// The most characters of a message or help line in rendered text (the JSON
/// form keeps them whole).
const MAX_TEXT_CHARS: usize = 200;

/// How many further positions the note of a merged warning lists.
const NOTE_POSITIONS: usize = 3;

/// Columns a tab takes in a quoted line (it is shown as that many spaces).
const TAB_COLUMNS: usize = 4;

impl Error {
    /// A diagnostic with the severity of its code.
    pub fn new(code: Code, span: Span, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
            line: None,
            column: None,
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `true` for errors (not warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Deterministic plain-text rendering against the query `src`:
    ///
    /// ```text
    /// error[S001]: functions are not supported: `COUNT`
    ///  --> 1:8
    ///   |
    /// 1 | SELECT COUNT(*) FROM Leads
    ///   |        ^^^^^^^^
    ///   = help: select property names instead
    /// ```
    ///
    /// `line:column` is the position of the span's start (the column counted
    /// in Unicode scalar values, as in the JSON form). The quoted line is a
    /// window of at most [`WINDOW_COLUMNS`] display columns around the span,
    /// with `…` where it was cut; the carets sit under the span by display
    /// width (wide characters take two columns, combining marks none, a tab
    /// is shown as four spaces, control characters as their control
    /// pictures, bidirectional formatting characters as `�`) and never run
    /// past the window. The output is bounded
    /// whatever the length of `src`.
    pub fn render(&self, src: &str) -> String {
        let mut out = String::new();
        let at = positions(src, &[self.span.start]);
        let pos = at.first().copied().unwrap_or_default();
        self.render_into(src, pos, None, &mut out);
        out
    }

    /// Renders this diagnostic at `pos`; `merged` is the number of further
    /// diagnostics like it and the positions of the first few.
    fn render_into(&self, src: &str, pos: Pos, merged: Option<(usize, &[Pos])>, out: &mut String) {
        use std::fmt::Write;
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", self.code, clip(&self.message));
        let start = clamp(src, self.span.start);
        let end = clamp(src, self.span.end).max(start);
        let w = window(src, pos.line_start, start, end);
        let pad = " ".repeat(pos.line.to_string().len());
        let _ = writeln!(out, "{pad}--> {}:{}", pos.line, pos.column);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{} | {}", pos.line, w.text);
        let _ = writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(w.caret_at),
            "^".repeat(w.caret_len)
        );
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {}", clip(help));
        }
        if let Some((more, at)) = merged {
            let _ = write!(out, "{pad} = note: and {more} more like this, at ");
            for (i, p) in at.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}{}:{}", p.line, p.column);
            }
            if more > at.len() {
                out.push_str(", …");
            }
            out.push('\n');
        }
    }
}

/// A position in the text: the 1-based line and column (in Unicode scalar
/// values) of an offset, and the offset where its line starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
    line_start: usize,
}

impl Default for Pos {
    fn default() -> Self {
        Pos {
            line: 1,
            column: 1,
            line_start: 0,
        }
    }
}

/// `offset` moved into `src` and back to a character boundary.
fn clamp(src: &str, offset: usize) -> usize {
    floor_char_boundary(src, offset.min(src.len()))
}

/// The position of each offset, in one pass over the text up to the largest
/// one (so locating every diagnostic of a long query costs one read of it,
/// not one per diagnostic).
fn positions(src: &str, offsets: &[usize]) -> Vec<Pos> {
    let mut order: Vec<(usize, usize)> = offsets
        .iter()
        .enumerate()
        .map(|(i, &o)| (clamp(src, o), i))
        .collect();
    order.sort_unstable();
    let mut out = vec![Pos::default(); offsets.len()];
    let mut here = Pos::default();
    let mut at = 0;
    for (offset, i) in order {
        here = advance(src, here, at, offset);
        at = offset;
        if let Some(slot) = out.get_mut(i) {
            *slot = here;
        }
    }
    out
}

/// The position of byte `offset`, from `here`, the position of byte `at`
/// (`at <= offset`, both character boundaries).
fn advance(src: &str, mut here: Pos, at: usize, offset: usize) -> Pos {
    let seg = src.get(at..offset).unwrap_or("");
    // The usual one-line query: a word-at-a-time search finds no newline,
    // and the characters are counted once.
    if !seg.as_bytes().contains(&b'\n') {
        here.column += seg.chars().count();
        return here;
    }
    let last = seg.bytes().rposition(|b| b == b'\n').unwrap_or(0);
    here.line += seg.bytes().filter(|&b| b == b'\n').count();
    here.line_start = at + last + 1;
    here.column = 1 + src
        .get(here.line_start..offset)
        .map_or(0, |s| s.chars().count());
    here
}

/// Sets `line` and `column` of each diagnostic from `src`.
pub(crate) fn locate(src: &str, errs: &mut [Error]) {
    // One diagnostic (an accepted query's usual warning): no lists to sort.
    if let [e] = errs {
        let p = advance(src, Pos::default(), 0, clamp(src, e.span.start));
        e.line = Some(p.line);
        e.column = Some(p.column);
        return;
    }
    if errs.is_empty() {
        return;
    }
    let offsets: Vec<usize> = errs.iter().map(|e| e.span.start).collect();
    for (e, p) in errs.iter_mut().zip(positions(src, &offsets)) {
        e.line = Some(p.line);
        e.column = Some(p.column);
    }
}

/// The quoted part of a line and where its carets go.
struct Window {
    /// The text, with `…` where the line was cut.
    text: String,
    /// Display columns before the first caret.
    caret_at: usize,
    /// Carets: the span's width inside the window, at least one.
    caret_len: usize,
}

/// The window of the line starting at `line_start` around `start..end`, at
/// most [`WINDOW_COLUMNS`] columns. The span's start is always in it. When
/// the line from its start to [`SPAN_CONTEXT`] columns past the span's start
/// fits, the window starts with the line; otherwise it keeps
/// [`LEFT_CONTEXT`] columns before the span (more when the line ends sooner).
/// Reads at most a window's worth of text on each side of `start`.
fn window(src: &str, line_start: usize, start: usize, end: usize) -> Window {
    // Each side, up to a window's worth: (end offset, columns so far).
    let after = src.get(start..).unwrap_or("");
    let mut ahead: Vec<(usize, usize)> = Vec::new();
    let mut more_right = false;
    for (i, c) in after.char_indices() {
        if c == '\n' || (c == '\r' && after.as_bytes().get(i + 1) == Some(&b'\n')) {
            break;
        }
        let w = ahead.last().map_or(0, |&(_, w)| w) + cell_width(c);
        if w > WINDOW_COLUMNS || ahead.len() == WINDOW_CHARS {
            more_right = true;
            break;
        }
        ahead.push((start + i + c.len_utf8(), w));
    }
    let before = src.get(line_start..start).unwrap_or("");
    let mut behind: Vec<(usize, usize)> = Vec::new();
    let mut long_left = false;
    for (i, c) in before.char_indices().rev() {
        let w = behind.last().map_or(0, |&(_, w)| w) + cell_width(c);
        if w > WINDOW_COLUMNS || behind.len() == WINDOW_CHARS {
            long_left = true;
            break;
        }
        behind.push((line_start + i, w));
    }
    let left_w = behind.last().map_or(0, |&(_, w)| w);
    let right_w = if more_right {
        WINDOW_COLUMNS + 1
    } else {
        ahead.last().map_or(0, |&(_, w)| w)
    };
    let left_budget = if !long_left && left_w + right_w.min(SPAN_CONTEXT) <= WINDOW_COLUMNS {
        left_w
    } else {
        LEFT_CONTEXT.max(WINDOW_COLUMNS.saturating_sub(right_w))
    };
    let (mut left, mut taken) = (start, 0);
    for &(offset, w) in &behind {
        if w > left_budget {
            break;
        }
        (left, taken) = (offset, w);
    }
    let more_left = long_left || taken < left_w;
    let mut right = start;
    for &(offset, w) in &ahead {
        if taken + w > WINDOW_COLUMNS {
            more_right = true;
            break;
        }
        right = offset;
    }
    let mut text = String::new();
    if more_left {
        text.push('…');
    }
    let quoted = visible(src.get(left..right).unwrap_or(""));
    if more_right {
        text.push_str(&quoted);
        text.push('…');
    } else {
        text.push_str(quoted.trim_end());
    }
    let caret_at = usize::from(more_left) + visible(src.get(left..start).unwrap_or("")).width();
    let caret_len = visible(src.get(start..end.min(right)).unwrap_or(""))
        .width()
        .max(1);
    Window {
        text,
        caret_at,
        caret_len,
    }
}

/// `s` as quoted in a rendered line: a tab as [`TAB_COLUMNS`] spaces, a
/// control character as its Unicode control picture (`␀`, `␍`, …, `�` for
/// C1 controls) and a bidirectional formatting character as `�`, so the
/// terminal shows what the text holds and the carets line up.
fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str(&" ".repeat(TAB_COLUMNS)),
            c if c.is_control() => out.push(control_picture(c)),
            c if is_bidi(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The display columns `c` takes in a quoted line (see [`visible`]).
fn cell_width(c: char) -> usize {
    if c == '\t' {
        TAB_COLUMNS
    } else if c.is_control() || is_bidi(c) {
        1
    } else {
        c.width().unwrap_or(0)
    }
}

/// Bidirectional formatting characters, which would reorder the quoted line
/// on a terminal (and so move the text away from its carets).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The Unicode control picture of a C0 control or DEL, `�` for the others.
fn control_picture(c: char) -> char {
    match u32::from(c) {
        n @ 0..=0x1F => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
        0x7F => '\u{2421}',
        _ => '\u{FFFD}',
    }
}

/// A message or help line cut to [`MAX_TEXT_CHARS`] characters.
fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((i, _)) => Cow::Owned(format!("{}…", s.get(..i).unwrap_or(""))),
        None => Cow::Borrowed(s),
    }
}

/// User text for a one-line message: at most 60 characters; control,
/// invisible and bidirectional-formatting characters (a newline, U+200B,
/// U+202E, …) and backticks written as `\u{…}`, so a message stays on one
/// line and shows what the text really holds.
pub(crate) fn shown(s: &str) -> String {
    use std::fmt::Write;
    const MAX: usize = 60;
    let mut out = String::with_capacity(s.len().min(MAX * 4) + 3);
    for (n, c) in s.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        let invisible = c.is_control()
            || (c.is_whitespace() && c != ' ')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}');
        if invisible || c == '`' {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` with control characters escaped (a string literal may hold newlines),
/// so that messages and help lines stay on one line; borrowed when clean.
pub(crate) fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every diagnostic of one run: errors first reported in source order, then
/// warnings. Returned as the `Err` of the pipeline functions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for e in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{}: {}", e.code, e.message)?;
        }
        Ok(())
    }
}

impl From<Error> for Errors {
    fn from(e: Error) -> Self {
        Errors(vec![e])
    }
}

/// Diagnostics rendered as one: the first, how many more, and the first few
/// of those.
struct Group {
    first: usize,
    more: usize,
    repeats: Vec<usize>,
}

impl Errors {
    /// Renders the diagnostics (each as [`Error::render`] does), separated by
    /// blank lines: at most [`MAX_RENDERED`] of them, see
    /// [`Errors::render_limited`].
    pub fn render(&self, src: &str) -> String {
        self.render_limited(src, MAX_RENDERED)
    }

    /// Renders at most `max` diagnostics (each as [`Error::render`] does),
    /// separated by blank lines, then, when some were left out, the line
    /// `… and K more (use --error-format json for all)`.
    ///
    /// A warning repeated with the same code and message (the same name
    /// sorted on twice, say) is rendered once, at its first place, with a
    /// note `and K more like this, at L:C, L:C, L:C, …` listing the next
    /// three places; it counts as one of the `max`. Errors are never merged.
    ///
    /// The output is bounded whatever the input: at most `max` windows of
    /// [`WINDOW_COLUMNS`] columns, messages cut to 200 characters. The text
    /// is read once to place every rendered diagnostic.
    pub fn render_limited(&self, src: &str, max: usize) -> String {
        use std::collections::hash_map::{Entry, HashMap};
        use std::fmt::Write;
        let mut groups: Vec<Group> = Vec::new();
        let mut seen: HashMap<(Code, &str), usize> = HashMap::new();
        for (i, e) in self.0.iter().enumerate() {
            if e.severity == Severity::Warning {
                match seen.entry((e.code, &*e.message)) {
                    Entry::Occupied(g) => {
                        if let Some(g) = groups.get_mut(*g.get()) {
                            g.more += 1;
                            if g.repeats.len() < NOTE_POSITIONS {
                                g.repeats.push(i);
                            }
                        }
                        continue;
                    }
                    Entry::Vacant(v) => {
                        v.insert(groups.len());
                    }
                }
            }
            groups.push(Group {
                first: i,
                more: 0,
                repeats: Vec::new(),
            });
        }
        let shown = groups.get(..max).unwrap_or(&groups);
        // Every rendered position, found in one pass over the text.
        let offsets: Vec<usize> = shown
            .iter()
            .flat_map(|g| std::iter::once(g.first).chain(g.repeats.iter().copied()))
            .filter_map(|i| self.0.get(i).map(|e| e.span.start))
            .collect();
        let pos = positions(src, &offsets);
        let mut out = String::new();
        let mut next = 0;
        let mut rendered = 0;
        for g in shown {
            let (Some(e), Some(&at)) = (self.0.get(g.first), pos.get(next)) else {
                break;
            };
            let notes = pos.get(next + 1..next + 1 + g.repeats.len()).unwrap_or(&[]);
            next += 1 + g.repeats.len();
            if rendered > 0 {
                out.push('\n');
            }
            let merged = (g.more > 0).then_some((g.more, notes));
            e.render_into(src, at, merged, &mut out);
            rendered += 1 + g.more;
        }
        let left = self.0.len().saturating_sub(rendered);
        if left > 0 {
            if rendered > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "… and {left} more (use --error-format json for all)");
        }
        out
    }

    /// Sets the `line` and `column` of every diagnostic from the query text
    /// `src` (in one pass over it). [`crate::parse`], [`crate::check`] and
    /// [`crate::translate`] do this already; call it on what
    /// [`crate::validate`] or [`crate::lower`] return.
    pub fn locate(&mut self, src: &str) {
        locate(src, &mut self.0);
    }

    /// The JSON form for tools, compact, with every diagnostic (none merged
    /// or left out):
    /// `{"errors":[{"code","severity","message","span":{"start","end"},"line","column","help"}]}`,
    /// keys in that order (as in the `warnings` of a serialised
    /// [`crate::Translation`]).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            errors: &'a [Error],
        }
        serde_json::to_string(&Json { errors: &self.0 })
            .unwrap_or_else(|_| String::from("{\"errors\":[]}"))
    }

    /// `true` when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Error::is_error)
    }

    /// The diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(feature = "miette")]
impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(miette::LabeledSpan::underline(
            self.span.start..self.span.end,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert_eq!(s.len(), 4);
            assert!(matches!(&s[..1], "P" | "S" | "B" | "U" | "L" | "X"), "{s}");
            assert!(!c.description().is_empty());
        }
    }

    #[test]
    fn render_points_at_the_span() {
        let e = Error::new(
            Code::Function,
            Span::new(7, 15),
            "functions are not supported: `COUNT`",
        )
        .with_help("select property names instead");
        let out = e.render("SELECT COUNT(*) FROM Leads");
        assert_eq!(
            out,
            "error[S001]: functions are not supported: `COUNT`\n --> 1:8\n  |\n1 | SELECT COUNT(*) FROM Leads\n  |        ^^^^^^^^\n  = help: select property names instead\n"
        );
    }

    #[test]
    fn render_second_line_and_out_of_range_span() {
        let e = Error::new(Code::Syntax, Span::new(100, 200), "expected x");
        let out = e.render("a\nb");
        assert!(out.contains("--> 2:2"), "{out}");
        let e = Error::new(Code::Syntax, Span::new(2, 3), "x");
        let out = e.render("a\nbc");
        assert!(out.contains("2 | bc\n  | ^\n"), "{out}");
    }

    #[test]
    fn render_never_splits_a_char() {
        let e = Error::new(Code::Syntax, Span::new(1, 2), "x");
        let out = e.render("é");
        assert!(out.starts_with("error[P001]"));
    }
}
