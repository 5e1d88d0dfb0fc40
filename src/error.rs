//! Diagnostics: one error type with a stable code, a byte span, a one-line
//! message and an optional help line, plus a deterministic text renderer and a
//! JSON form for tools.
//!
//! The library never prints: callers render with [`Error::render`] /
//! [`Errors::render`] or serialise with [`Errors::to_json`].

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

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
        /// rules, `B…` backend (target) limits, `L…` resource limits.
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
    /// What to do instead, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Cow<'static, str>>,
}

impl Error {
    /// A diagnostic with the severity of its code.
    pub fn new(code: Code, span: Span, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
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
    pub fn render(&self, src: &str) -> String {
        let mut out = String::new();
        self.render_into(src, &mut out);
        out
    }

    fn render_into(&self, src: &str, out: &mut String) {
        use std::fmt::Write;
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", self.code, self.message);
        let start = floor_char_boundary(src, self.span.start.min(src.len()));
        let end = floor_char_boundary(src, self.span.end.min(src.len()).max(start));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line_no = src[..start].matches('\n').count() + 1;
        let line = &src[line_start..line_end];
        let col = display_width(&src[line_start..start]) + 1;
        let gutter = line_no.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {line_no}:{col}");
        let _ = writeln!(out, "{pad} |");
        let shown: String = line.chars().map(visible_char).collect();
        let _ = writeln!(out, "{line_no} | {}", shown.trim_end());
        let caret_end = end.min(line_end);
        let width = display_width(&src[start..caret_end]).max(1);
        let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
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

/// Characters shown one column wide: control characters become `�`-free
/// placeholders so the caret line stays aligned and the terminal safe.
fn visible_char(c: char) -> char {
    if c == '\t' {
        ' '
    } else if c.is_control() {
        '\u{2400}'
    } else {
        c
    }
}

fn display_width(s: &str) -> usize {
    s.chars().count()
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

impl Errors {
    /// Renders every diagnostic (see [`Error::render`]), separated by blank lines.
    pub fn render(&self, src: &str) -> String {
        let mut out = String::new();
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            e.render_into(src, &mut out);
        }
        out
    }

    /// The JSON form for tools:
    /// `{"errors":[{"code","severity","message","span":{"start","end"},"help"}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "errors": self.0 })
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
            assert!(matches!(&s[..1], "P" | "S" | "B" | "L" | "X"), "{s}");
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
