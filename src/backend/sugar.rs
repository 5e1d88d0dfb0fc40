//! Backend for SugarCRM: [`ir::Query`] → [`SugarRequest`], the module and
//! the JSON body of `POST /rest/v11/<Module>/filter`.
//!
//! Sources: the SugarCRM filter API
//! (<https://support.sugarcrm.com/documentation/sugar_developer/sugar_developer_guide_14.0/integration/web_services/rest_api/endpoints/modulefilter_post/>),
//! as collected in the project's SugarCRM research notes (not published
//! with this repository; cited as §n), and the Sugar 13 server code they
//! name (a public copy: <https://github.com/mikesugarcrm/sugar_13>; FA13 `FilterApi.php`,
//! WHERE13 `SugarQuery/Builder/Where.php`, TD13 `TimeDate.php`, DT13
//! `SugarFieldDatetime.php`).
//!
//! # The body
//!
//! * Keys in a fixed order: `filter`, `fields`, `order_by`, `max_num`,
//!   `offset`; a key is omitted when the query has nothing for it (§1 body
//!   arguments). The body is written once, as compact JSON; [`SugarBody`]
//!   serialises it verbatim.
//! * `fields` is a comma string, omitted for `SELECT *` (§1, §8 rule 11).
//! * `order_by` is a string `"a:asc,b:desc"`, the direction always written
//!   because Sugar 7.1 reads a missing one as DESC (§1, §8 rule 9). Without
//!   `LIMIT` the caller reads every page, each a separate `ORDER BY … LIMIT …
//!   OFFSET …` query in which the database may order ties differently, so a
//!   row could be repeated or skipped across pages: the order then ends with
//!   the unique `id` (`"a:asc,b:desc,id:asc"`, unless `id` is already a
//!   key). Without ORDER BY, Sugar's default order (`date_modified` DESC)
//!   applies.
//! * `max_num` is `LIMIT`, never 0 or negative: Sugar reads `0` as 20 and a
//!   negative number as "no limit" (§1, §8 rule 10). `LIMIT 0` sends
//!   `max_num: 1` with [`SugarRequest::client_take`] `Some(0)`: the caller
//!   discards every row (and may skip the request), warning `B050`. Without
//!   `LIMIT`, Sugar returns pages of 20: the caller follows `next_offset`
//!   until it is `-1`, and does the same when a configured `max_list_limit`
//!   silently shrinks `max_num` (§6).
//! * `LIMIT` above 9223372036854775806 or `OFFSET` above
//!   9223372036854775807 → `B046`: Sugar casts both to PHP integers and adds
//!   1 to the limit (FA13 `getQueryObject`).
//!
//! # The filter (§2, §3, §8 rules 1–3)
//!
//! * Every object has exactly one key and every operator object exactly one
//!   operator: Sugar puts all keys of an object into the *enclosing* group,
//!   so `{"a":1,"b":2}` inside `$or` would mean OR (§2). No object ever
//!   repeats a key (PHP keeps the last one, §2).
//! * The `filter` array is an implicit AND. An AND is written as items of
//!   the enclosing AND (the array itself, or an `$and`), an `$and` group only
//!   inside an `$or`; an OR is an `$or` group. AND-in-AND and OR-in-OR are
//!   flattened (also after pushing NOT down), and a group is never empty (an
//!   empty group means TRUE, §2).
//! * At most 13 nested `$and`/`$or` groups, else `B045`: Sugar decodes the
//!   body with a JSON depth limit of 32 (§1 "JSON nesting limit").
//!
//! | KQL | filter item |
//! |---|---|
//! | `a = v`, `!=`, `<`, `<=`, `>`, `>=` | `{"a":{"$equals":v}}`, `$not_equals`, `$lt`, `$lte`, `$gt`, `$gte` |
//! | `a LIKE 'kw%'`, `'%kw'`, `'%kw%'` | `$starts`, `$ends`, `$contains` with `"kw"` |
//! | `a IN (…)` | `{"a":{"$in":[…]}}` |
//! | `a NOT IN (…)` | `{"a":{"$not_null":""}}` and `{"a":{"$not_in":[…]}}` |
//! | `a IS NULL`, `a IS NOT NULL` | `{"a":{"$is_null":""}}`, `{"a":{"$not_null":""}}` |
//!
//! # NULL and three-valued logic (§4)
//!
//! Sugar's `$not_in` and `$not_contains` also match NULL rows (`col IS NULL
//! OR col NOT IN …`), so both are paired with `$not_null`, which gives SQL's
//! `NOT IN` exactly. Two more compensations come from WHERE13 `in`/`notIn`:
//! an `$in` list holding `""` also matches NULL rows, so it is paired with
//! `$not_null` too; a `$not_in` list loses its `""` entries and gains `IS NOT
//! NULL`, so `NOT IN` with `''` is written `{"a":{"$not_equals":""}}` plus
//! `$not_in` of the other values (if any). `!=` and the ordering operators
//! exclude NULL rows in Sugar as in SQL.
//!
//! # NOT (§4, §8 rule 7)
//!
//! Sugar has no NOT. In documented mode the spec rules out `NOT (…)` and
//! `NOT LIKE` for sugarcrm (`S018`, checked in `capabilities` before this
//! backend runs, also for an IR validated for no target). In extended mode NOT is pushed
//! down to the leaves, each of which has an exact complement under SQL's
//! three-valued logic (Kleene logic satisfies De Morgan, and a comparison and
//! its complement are both UNKNOWN on NULL): `NOT (a = v)` → `$not_equals`,
//! `NOT (a < v)` → `$gte` (and so on), `NOT (a IS NULL)` → `$not_null`,
//! `NOT (a IN …)` → `$not_null` + `$not_in`, `NOT (a NOT IN …)` → `$in`,
//! `a NOT LIKE '%kw%'` → `$not_null` + `$not_contains`, `NOT (p AND q)` →
//! `¬p OR ¬q`, `NOT (p OR q)` → `¬p AND ¬q`, `NOT NOT p` → `p`.
//! `NOT LIKE 'kw%'` and `NOT LIKE '%kw'` have no complement in Sugar → `B044`.
//!
//! # Values (§4, §5, §8 rule 4)
//!
//! * Strings are JSON strings (escaped like `serde_json`: `"`, `\`, control
//!   characters); numbers are JSON numbers written as the IR's decimal text,
//!   never through `f64`; booleans are `true`/`false`. Never `null` (Sugar
//!   binds it as `''` or `0`) and never an object (`{"$field":…}` compares
//!   two columns).
//! * Sugar's PHP decodes a number into a 64-bit integer or a double: a number
//!   that would be rounded (more than 15 significant digits, unless it is a
//!   64-bit integer, or beyond the double range) → `B048`.
//! * Dates are `"YYYY-MM-DD"`; datetimes `"YYYY-MM-DDThh:mm:ss+hh:mm"` with
//!   the offset as written (`Z` → `+00:00`) (§5 "Datetimes"). Sugar's
//!   `TimeDate::fromIso` drops fractions of a second (TD13), so a non-zero
//!   fraction → `B047`; a zero one is left out.
//! * On a datetime field Sugar replaces the strings `$nowTime` and
//!   `$tomorrowTime` by the current time (DT13 `parseVariable`): such a value
//!   → `B049`.
//! * On a datetime field Sugar widens a date-only value to whole days in the
//!   API user's time zone (§3, DT13 `fixForFilter`): warning `B052` (field
//!   types are not known here).
//! * On float, decimal and double fields Sugar writes comparisons as raw SQL
//!   appended to the top-level WHERE, out of any OR (§5 "Other SQL-injection
//!   surfaces"): a numeric comparison under an `$or` → warning `B051`.
//!
//! # LIKE (§5, §8 rule 6)
//!
//! Sugar does not escape LIKE wildcards in `$starts`/`$ends`/`$contains`
//! values, and the database may read `\` (MySQL) or `[` (SQL Server) as
//! special. A keyword holding `%`, `_`, `\` or `[` cannot be matched
//! literally → `B043`.
//!
//! # Names (§1, §2, §8 rule 5)
//!
//! * Field names match `^[A-Za-z_][A-Za-z0-9_]*$` → else `B040` (this also
//!   rejects `$…`, which Sugar reads as a macro such as `$or` or `$owner`,
//!   and literals used as names in the SELECT list). JSON has no reserved
//!   words: a name like `select` is passed on as is.
//! * The SELECT list and `ORDER BY` take own-module fields only; WHERE also
//!   takes `link.field` (one dot: FA13 `verifyField` reads only the first two
//!   segments) → else `B042`.
//! * The module (`FROM`) is passed exactly as written (Sugar matches it
//!   case-sensitively) and must match the same grammar → else `B041`.
//!
//! # Not checked (field types are unknown here)
//!
//! Unknown names in `fields` are silently dropped by Sugar, and conditions on
//! non-db fields are silently ignored (§2); strings longer than a field are
//! truncated before comparing (§4); `name`-type and float fields build raw
//! SQL (§5). The generated request is exact for ordinary stored fields.

use std::fmt::{self, Write as _};

use serde::{Serialize, Serializer};

use super::{DIGIT, IDENT, LETTER, UNDERSCORE};
use crate::error::{shown, Code, Error, Errors};
use crate::ir::{
    self, CmpOp, Cond, Direction, Field, FieldType, LikePattern, Literal, Selection, Value,
};
use crate::span::Span;
use crate::Options;

/// Most nested `$and`/`$or` groups a request may hold (§1: the body is
/// decoded with a JSON depth limit of 32).
pub const MAX_GROUP_DEPTH: usize = 13;

/// Largest `LIMIT` (`max_num`): Sugar adds 1 to it in a PHP integer.
pub const MAX_LIMIT: u64 = i64::MAX as u64 - 1;

/// Largest `OFFSET`: Sugar casts it to a PHP integer.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// Deepest condition tree lowered (the parser's own limit is far lower).
const MAX_NESTING: usize = 256;

/// Strings Sugar replaces by a datetime on datetime fields (DT13 `evaluateVariable`).
const DATE_VARIABLES: [&str; 2] = ["$nowTime", "$tomorrowTime"];

/// A SugarCRM filter request: `POST /rest/v11/<module>/filter` with `body`.
///
/// Serialises as `{"module", "body", "client_take"}`; with the target and
/// warnings of [`crate::Translation`] this is the `kql translate --format
/// json` contract `{"target":"sugarcrm","module":"Accounts","body":{…},
/// "client_take":null,"warnings":[…]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SugarRequest {
    /// The module (`FROM`), exactly as written, e.g. `Accounts`.
    pub module: String,
    /// The JSON body.
    pub body: SugarBody,
    /// `Some(n)`: the caller keeps at most `n` of the returned rows. Only
    /// `LIMIT 0` sets it (to `Some(0)`, with `max_num: 1` in the body): the
    /// caller discards every row and may skip the request altogether.
    /// `None` otherwise.
    pub client_take: Option<u64>,
}

/// The text form printed by `kql translate`: the body as compact JSON.
impl fmt::Display for SugarRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.body.as_str())
    }
}

/// The JSON body of a filter request, kept as the compact JSON text it was
/// written as (so numbers keep their exact decimal text). Serialises as that
/// JSON object, verbatim, through `serde_json`'s `RawValue`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SugarBody(String);

impl SugarBody {
    /// The compact JSON text, e.g. `{"filter":[{"name":{"$starts":"A"}}],"fields":"id,name"}`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SugarBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SugarBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.clone())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// Lowers a validated query to a SugarCRM filter request, with the
/// backend's warnings. Reports every problem, not just the first.
/// Reached through [`crate::backend::lower`], which first refuses what the
/// target cannot express (`capabilities`).
pub(crate) fn lower(
    q: &ir::Query<'_>,
    options: &Options,
) -> Result<(SugarRequest, Vec<Error>), Errors> {
    let mut l = Lowerer {
        // The JSON body is about twice as long as the query: one allocation,
        // not a doubling series (measured: R63).
        out: String::with_capacity(2 * q.span().len() + 64),
        errors: Vec::new(),
        warnings: Vec::new(),
        max_groups: options.limits.sugar_max_groups,
        too_deep: false,
        too_nested: false,
    };
    l.module(&q.object);
    l.out.push('{');
    if let Some(filter) = &q.filter {
        l.key("\"filter\":");
        l.out.push('[');
        l.cond(filter, false, Group::And, At::default());
        l.out.push(']');
    }
    l.fields(&q.selection);
    // Without LIMIT the caller reads every page (`next_offset`).
    l.order_by(&q.order_by, q.limit.is_none());
    let mut client_take = None;
    if let Some(limit) = q.limit {
        if limit.value == 0 {
            client_take = Some(0);
            l.key("\"max_num\":");
            l.out.push('1');
            l.warnings.push(
                Error::new(Code::SugarLimitZero, limit.span, "sugarcrm reads `max_num: 0` as 20 rows: `LIMIT 0` asks for 1 row and sets `client_take` to 0")
                    .with_help("the caller discards every returned row (or skips the request)"),
            );
        } else if limit.value > MAX_LIMIT {
            l.errors.push(
                Error::new(
                    Code::SugarCount,
                    limit.span,
                    format!(
                        "sugarcrm cannot take `LIMIT {}`: the largest is {MAX_LIMIT}",
                        limit.value
                    ),
                )
                .with_help("omit `LIMIT` to read every row (page with `next_offset`)"),
            );
        } else {
            l.key("\"max_num\":");
            l.u64(limit.value);
        }
    }
    if let Some(offset) = q.offset {
        if offset.value > MAX_OFFSET {
            l.errors.push(Error::new(
                Code::SugarCount,
                offset.span,
                format!(
                    "sugarcrm cannot take `OFFSET {}`: the largest is {MAX_OFFSET}",
                    offset.value
                ),
            ));
        } else {
            l.key("\"offset\":");
            l.u64(offset.value);
        }
    }
    l.out.push('}');
    if l.errors.is_empty() {
        let request = SugarRequest {
            module: q.object.name.clone().into_owned(),
            body: SugarBody(l.out),
            client_take,
        };
        return Ok((request, l.warnings));
    }
    let mut all = l.errors;
    all.sort_by_key(|e| (e.span.start, e.span.end));
    all.extend(l.warnings);
    Err(Errors(all))
}

/// A group of the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    And,
    Or,
}

impl Group {
    fn key(self) -> &'static str {
        match self {
            Group::And => "$and",
            Group::Or => "$or",
        }
    }

    fn flip(self) -> Group {
        match self {
            Group::And => Group::Or,
            Group::Or => Group::And,
        }
    }
}

/// Where in the filter a condition is written.
#[derive(Clone, Copy, Debug, Default)]
struct At {
    /// Enclosing `$and`/`$or` groups (the `filter` array is not one).
    groups: usize,
    /// Whether an enclosing group is an `$or`.
    under_or: bool,
    /// Depth of the condition tree (recursion guard).
    nesting: usize,
}

/// The operand of one filter operator.
enum Operand<'v, 'a> {
    /// A literal.
    Value(&'v Value<'a>),
    /// A JSON array of literals; `true`: without the empty strings.
    List(&'v [Value<'a>], bool),
    /// A JSON string.
    Text(&'v str),
}

/// `{"<field>":{"<op>":<operand>}}`.
struct Item<'v, 'a> {
    op: &'static str,
    operand: Operand<'v, 'a>,
}

fn item<'v, 'a>(op: &'static str, operand: Operand<'v, 'a>) -> Item<'v, 'a> {
    Item { op, operand }
}

struct Lowerer {
    out: String,
    errors: Vec<Error>,
    warnings: Vec<Error>,
    /// `Limits::sugar_max_groups`.
    max_groups: usize,
    /// `B045` was reported.
    too_deep: bool,
    /// The recursion guard was reported.
    too_nested: bool,
}

impl Lowerer {
    // ---- names -------------------------------------------------------------

    fn module(&mut self, object: &ir::Name<'_>) {
        if is_ident(&object.name) {
            return;
        }
        if let Some(problem) = ident_problem(&object.name) {
            self.errors.push(
                Error::new(
                    Code::SugarModule,
                    object.span,
                    format!("sugarcrm cannot take `{}` as a module name: it {problem}", shown(&object.name)),
                )
                .with_help("sugarcrm module names are case-sensitive names such as `Accounts` or `Opportunities`"),
            );
        }
    }

    /// A field of the SELECT list or of `ORDER BY`: an own-module field,
    /// written as the inside of a JSON string (a valid name needs no
    /// escaping, so it is copied as it is).
    fn own_field(&mut self, f: &Field<'_>, clause: &str) {
        if is_ident(&f.path) {
            self.out.push_str(&f.path); // the usual case, in one scan
            return;
        }
        json_str_body(&mut self.out, &f.path);
        self.bad_own_field(f, clause);
    }

    #[cold]
    fn bad_own_field(&mut self, f: &Field<'_>, clause: &str) {
        if f.is_path() {
            self.errors.push(
                Error::new(Code::SugarPath, f.span, format!("sugarcrm cannot take the path `{}` in {clause}", shown(&f.path)))
                    .with_help(format!("sugarcrm takes only fields of the module itself in {clause}; `link.field` works in WHERE")),
            );
            return;
        }
        self.name(f, &f.path);
    }

    /// A field of WHERE: `field` or `link.field`.
    fn where_field(&mut self, f: &Field<'_>) {
        if is_ident(&f.path) {
            return; // the usual case, in one scan
        }
        let mut segments = f.segments();
        let (first, second) = (segments.next(), segments.next());
        if segments.next().is_some() {
            self.errors.push(
                Error::new(
                    Code::SugarPath,
                    f.span,
                    format!(
                        "sugarcrm cannot filter on the path `{}`: it has more than one `.`",
                        shown(&f.path)
                    ),
                )
                .with_help("sugarcrm filters on `field` or `link.field` (one link deep)"),
            );
            return;
        }
        for segment in [first, second].into_iter().flatten() {
            if !self.name(f, segment) {
                return;
            }
        }
    }

    /// Checks one name (a field or a segment of `f`); `false` after an error.
    fn name(&mut self, f: &Field<'_>, name: &str) -> bool {
        let Some(problem) = ident_problem(name) else {
            return true;
        };
        let (message, help) = if f.from_literal {
            (
                format!(
                    "sugarcrm cannot take the literal '{}' as a field name: it {problem}",
                    shown(&f.path)
                ),
                "a literal in the SELECT list names a field; write a field name such as `name`",
            )
        } else {
            (
                format!("sugarcrm cannot take `{}` as a field name: it {problem}", shown(name)),
                "sugarcrm field names are ASCII letters, digits and `_`, not starting with a digit (`billing_address_city`)",
            )
        };
        self.errors
            .push(Error::new(Code::SugarField, f.span, message).with_help(help));
        false
    }

    // ---- body keys ---------------------------------------------------------

    /// Starts a member of the body; `key` is written as given, quoted and
    /// with its colon (`"\"filter\":"`), in one copy.
    fn key(&mut self, key: &str) {
        if !self.out.ends_with('{') {
            self.out.push(',');
        }
        self.out.push_str(key);
    }

    fn u64(&mut self, n: u64) {
        super::push_u64(&mut self.out, n);
    }

    fn fields(&mut self, selection: &Selection<'_>) {
        let fields = match selection {
            Selection::All { .. } => return,
            Selection::Fields { fields } => fields,
        };
        if fields.is_empty() {
            self.errors.push(Error::new(
                Code::Internal,
                Span::default(),
                "an empty SELECT list reached the sugarcrm backend",
            ));
            return;
        }
        self.key("\"fields\":");
        self.out.push('"');
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                self.out.push(',');
            }
            self.own_field(f, "the SELECT list");
        }
        self.out.push('"');
    }

    /// `paged`: the caller reads page after page, so the order must be total.
    fn order_by(&mut self, keys: &[ir::OrderKey<'_>], paged: bool) {
        if keys.is_empty() {
            return;
        }
        self.key("\"order_by\":");
        self.out.push('"');
        for (k, key) in keys.iter().enumerate() {
            if k > 0 {
                self.out.push(',');
            }
            self.own_field(&key.field, "`ORDER BY`");
            self.out.push_str(match key.direction {
                Direction::Asc => ":asc",
                Direction::Desc => ":desc",
            });
        }
        // Pages are separate `LIMIT … OFFSET …` queries: only a unique last
        // key orders ties the same way on every page.
        if paged && !keys.iter().any(|k| k.field.path == "id") {
            self.out.push_str(",id:asc");
        }
        self.out.push('"');
    }

    // ---- the filter --------------------------------------------------------

    /// A separator before the next item of the current array.
    fn sep(&mut self) {
        if !self.out.ends_with('[') {
            self.out.push(',');
        }
    }

    /// Opens a `$and`/`$or` group; returns the position inside it.
    fn open(&mut self, g: Group, span: Span, at: At) -> At {
        let inner = At {
            groups: at.groups + 1,
            under_or: at.under_or || g == Group::Or,
            nesting: at.nesting,
        };
        if inner.groups > self.max_groups && !self.too_deep {
            self.too_deep = true;
            self.errors.push(
                Error::new(
                    Code::SugarTooDeep,
                    span,
                    format!("sugarcrm takes at most {} nested `$and`/`$or` groups; this condition needs more", self.max_groups),
                )
                .with_help("sugarcrm rejects a deeper body; simplify the alternation of AND and OR"),
            );
        }
        self.sep();
        self.out.push_str("{\"");
        self.out.push_str(g.key());
        self.out.push_str("\":[");
        inner
    }

    fn close(&mut self) {
        self.out.push_str("]}");
    }

    /// Writes `c` (negated when `neg`) as items of the `parent` group.
    fn cond(&mut self, c: &Cond<'_>, neg: bool, parent: Group, at: At) {
        if at.nesting >= MAX_NESTING {
            if !self.too_nested {
                self.too_nested = true;
                self.errors.push(Error::new(
                    Code::TooDeep,
                    c.span(),
                    format!("the condition is nested deeper than sugarcrm's lowering limit of {MAX_NESTING}"),
                ));
            }
            return;
        }
        let at = At {
            nesting: at.nesting + 1,
            ..at
        };
        match c {
            // Without extended mode, refused before lowering
            // (`capabilities::negation`).
            Cond::Not { operand, .. } => {
                self.cond(operand, !neg, parent, at);
            }
            Cond::And { operands, span } | Cond::Or { operands, span } => {
                let written = if matches!(c, Cond::And { .. }) {
                    Group::And
                } else {
                    Group::Or
                };
                let g = if neg { written.flip() } else { written };
                match operands.as_slice() {
                    [] => self.errors.push(Error::new(
                        Code::Internal,
                        *span,
                        "an AND/OR without operands reached the sugarcrm backend",
                    )),
                    [only] => self.cond(only, neg, parent, at),
                    _ if g == parent => {
                        for o in operands {
                            self.cond(o, neg, parent, at);
                        }
                    }
                    _ => {
                        let inner = self.open(g, *span, at);
                        for o in operands {
                            self.cond(o, neg, g, inner);
                        }
                        self.close();
                    }
                }
            }
            Cond::Compare {
                field,
                op,
                value,
                span,
            } => {
                self.where_field(field);
                self.value_check(value);
                if matches!(value.literal, Literal::Number(_))
                    && at.under_or
                    && field.ty.is_none_or(|t| t == FieldType::Number)
                {
                    self.warnings.push(
                        Error::new(
                            Code::SugarNumberInOr,
                            *span,
                            format!("sugarcrm moves a comparison on a float, decimal or double field out of an OR: check that `{}` is not one", shown(&field.path)),
                        )
                        .with_help("on such a field the OR would not hold; integer and currency fields are not affected"),
                    );
                }
                self.date_warning(field, std::slice::from_ref(value), *span);
                let op = if neg { op.negated() } else { *op };
                self.items(
                    field,
                    &[item(cmp_key(op), Operand::Value(value))],
                    parent,
                    *span,
                    at,
                );
            }
            Cond::Like {
                field,
                pattern,
                negated,
                span,
            } => {
                self.where_field(field);
                let text = pattern.text();
                self.like_text(text, *span);
                let positive = *negated == neg;
                match (pattern, positive) {
                    (LikePattern::StartsWith(_), true) => self.items(
                        field,
                        &[item("$starts", Operand::Text(text))],
                        parent,
                        *span,
                        at,
                    ),
                    (LikePattern::EndsWith(_), true) => self.items(
                        field,
                        &[item("$ends", Operand::Text(text))],
                        parent,
                        *span,
                        at,
                    ),
                    (LikePattern::Contains(_), true) => self.items(
                        field,
                        &[item("$contains", Operand::Text(text))],
                        parent,
                        *span,
                        at,
                    ),
                    (LikePattern::Contains(_), false) => self.items(
                        field,
                        &[
                            item("$not_null", Operand::Text("")),
                            item("$not_contains", Operand::Text(text)),
                        ],
                        parent,
                        *span,
                        at,
                    ),
                    (LikePattern::StartsWith(_) | LikePattern::EndsWith(_), false) => {
                        let (form, what) = match pattern {
                            LikePattern::StartsWith(_) => ("'kw%'", "start with"),
                            _ => ("'%kw'", "end with"),
                        };
                        self.errors.push(
                            Error::new(Code::SugarNotLike, *span, format!("sugarcrm cannot negate `LIKE {form}`: it has no \"does not {what}\" operator"))
                                .with_help("sugarcrm can negate only `LIKE '%kw%'` (as `$not_contains`)"),
                        );
                    }
                }
            }
            Cond::In {
                field,
                values,
                negated,
                span,
            } => {
                self.where_field(field);
                for v in values {
                    // Strings are checked only for the date variables, which
                    // start with `$`: the common case skips the call.
                    if !matches!(&v.literal, Literal::String(s) if !s.starts_with('$')) {
                        self.value_check(v);
                    }
                }
                self.date_warning(field, values, *span);
                let positive = *negated == neg;
                let has_empty = values.iter().any(is_empty_string);
                if positive && has_empty {
                    // WHERE13 `in`: a list with '' also matches NULL rows.
                    self.items(
                        field,
                        &[
                            item("$not_null", Operand::Text("")),
                            item("$in", Operand::List(values, false)),
                        ],
                        parent,
                        *span,
                        at,
                    );
                } else if positive {
                    self.items(
                        field,
                        &[item("$in", Operand::List(values, false))],
                        parent,
                        *span,
                        at,
                    );
                } else if has_empty {
                    // WHERE13 `notIn`: '' is dropped from the list and replaced by IS NOT NULL.
                    if values.iter().all(is_empty_string) {
                        self.items(
                            field,
                            &[item("$not_equals", Operand::Text(""))],
                            parent,
                            *span,
                            at,
                        );
                    } else {
                        self.items(
                            field,
                            &[
                                item("$not_equals", Operand::Text("")),
                                item("$not_in", Operand::List(values, true)),
                            ],
                            parent,
                            *span,
                            at,
                        );
                    }
                } else {
                    // §4: `$not_in` also matches NULL rows.
                    self.items(
                        field,
                        &[
                            item("$not_null", Operand::Text("")),
                            item("$not_in", Operand::List(values, false)),
                        ],
                        parent,
                        *span,
                        at,
                    );
                }
            }
            Cond::IsNull {
                field,
                negated,
                span,
            } => {
                self.where_field(field);
                let op = if *negated == neg {
                    "$is_null"
                } else {
                    "$not_null"
                };
                self.items(field, &[item(op, Operand::Text(""))], parent, *span, at);
            }
        }
    }

    /// Writes the items of one predicate: several items are an AND, written
    /// into the enclosing AND or as an `$and` group inside an `$or`.
    fn items(
        &mut self,
        field: &Field<'_>,
        items: &[Item<'_, '_>],
        parent: Group,
        span: Span,
        at: At,
    ) {
        if items.len() > 1 && parent == Group::Or {
            self.open(Group::And, span, at);
            for it in items {
                self.sep();
                self.item(field, it);
            }
            self.close();
        } else {
            for it in items {
                self.sep();
                self.item(field, it);
            }
        }
    }

    fn item(&mut self, field: &Field<'_>, it: &Item<'_, '_>) {
        self.out.push('{');
        json_str(&mut self.out, &field.path);
        self.out.push_str(":{\"");
        self.out.push_str(it.op);
        self.out.push_str("\":");
        match it.operand {
            Operand::Value(v) => self.value(v),
            Operand::Text(t) => json_str(&mut self.out, t),
            Operand::List(values, drop_empty) => {
                self.out.push('[');
                // The common case inline: a string with nothing to escape,
                // copied in one piece. Its closing quote is written with the
                // separator and the next value's opening quote (`","`), so
                // such a value costs two pushes; `open` says whether the last
                // value written is such a string still waiting for its
                // closing quote. The space was reserved up front (`cond_len`).
                let mut first = true;
                let mut open = false;
                for v in values
                    .iter()
                    .filter(|v| !(drop_empty && is_empty_string(v)))
                {
                    match &v.literal {
                        Literal::String(s) if !json_escapes(s) => {
                            // One constant push each (no copy call).
                            if first {
                                self.out.push('"');
                            } else if open {
                                self.out.push_str("\",\"");
                            } else {
                                self.out.push_str(",\"");
                            }
                            self.out.push_str(s);
                            open = true;
                        }
                        _ => {
                            if open {
                                self.out.push_str("\",");
                            } else if !first {
                                self.out.push(',');
                            }
                            self.value(v);
                            open = false;
                        }
                    }
                    first = false;
                }
                self.out.push_str(if open { "\"]" } else { "]" });
            }
        }
        self.out.push_str("}}");
    }

    // ---- values ------------------------------------------------------------

    /// Errors for a value Sugar would not compare exactly.
    fn value_check(&mut self, v: &Value<'_>) {
        match &v.literal {
            Literal::String(s) => {
                if DATE_VARIABLES.contains(&s.as_ref()) {
                    self.errors.push(
                        Error::new(Code::SugarVariable, v.span, format!("sugarcrm reads the value '{s}' as the current time on datetime fields"))
                            .with_help("sugarcrm has no way to compare with this text literally"),
                    );
                }
            }
            Literal::Number(n) => {
                if !is_plain_decimal(n) {
                    self.errors.push(Error::new(
                        Code::Internal,
                        v.span,
                        format!("the number `{}` is not a plain decimal", shown(n)),
                    ));
                } else if !php_exact(n) {
                    self.errors.push(
                        Error::new(Code::SugarNumber, v.span, format!("sugarcrm would round the number {}: PHP reads it as a double", shown(n)))
                            .with_help("write at most 15 significant digits, or quote the value if the field is text"),
                    );
                }
            }
            Literal::DateTime(dt) => {
                if dt.nanos != 0 {
                    self.errors.push(
                        Error::new(Code::SugarFraction, v.span, "sugarcrm drops the fraction of a second from a datetime before comparing")
                            .with_help("write whole seconds; sugarcrm stores datetimes to the second"),
                    );
                }
            }
            Literal::Bool(_) | Literal::Date(_) => {}
        }
    }

    /// Warning `B052` when a predicate compares a field that may be a datetime with a date.
    fn date_warning(&mut self, field: &Field<'_>, values: &[Value<'_>], span: Span) {
        if field.ty != Some(FieldType::Date)
            && values.iter().any(|v| matches!(v.literal, Literal::Date(_)))
        {
            self.warnings.push(
                Error::new(
                    Code::SugarDateOnly,
                    span,
                    format!("sugarcrm compares a date-only value with a datetime field by days in the user's time zone: check that `{}` is a date field", shown(&field.path)),
                )
                .with_help("for a datetime field write a datetime such as '2024-06-30T00:00:00Z'"),
            );
        }
    }

    fn value(&mut self, v: &Value<'_>) {
        match &v.literal {
            Literal::String(s) => json_str(&mut self.out, s),
            // Checked by `value_check`; `0` keeps the (discarded) JSON valid otherwise.
            Literal::Number(n) => self.out.push_str(if is_plain_decimal(n) { n } else { "0" }),
            Literal::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Literal::Date(d) => {
                let _ = write!(self.out, "\"{d}\"");
            }
            Literal::DateTime(dt) => {
                let _ = write!(
                    self.out,
                    "\"{}T{:02}:{:02}:{:02}",
                    dt.date, dt.hour, dt.minute, dt.second
                );
                let m = dt.offset();
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                let _ = write!(self.out, "{sign}{:02}:{:02}\"", m / 60, m % 60);
            }
        }
    }

    fn like_text(&mut self, text: &str, span: Span) {
        // a byte scan: the four characters are ASCII, so the byte found starts one
        let found = text
            .bytes()
            .position(|b| matches!(b, b'%' | b'_' | b'\\' | b'['));
        if let Some(c) = found.and_then(|i| text.get(i..)?.chars().next()) {
            let why = match c {
                '%' | '_' => {
                    "sugarcrm does not escape LIKE wildcards, so it would match any text there"
                }
                '\\' => "the database may read it as LIKE's escape character (MySQL does)",
                _ => "the database may read it as the start of a character class (SQL Server does)",
            };
            self.errors.push(
                Error::new(
                    Code::SugarLikeText,
                    span,
                    format!("sugarcrm cannot match `{c}` literally in a `LIKE` keyword"),
                )
                .with_help(format!(
                    "{why}; search without it, or use `=` for an exact match"
                )),
            );
        }
    }
}

fn cmp_key(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "$equals",
        CmpOp::Ne => "$not_equals",
        CmpOp::Lt => "$lt",
        CmpOp::Le => "$lte",
        CmpOp::Gt => "$gt",
        CmpOp::Ge => "$gte",
    }
}

fn is_empty_string(v: &Value<'_>) -> bool {
    matches!(&v.literal, Literal::String(s) if s.is_empty())
}

/// The [`IDENT`] classes that may continue a name (`[A-Za-z0-9_]`).
const CONTINUES: u8 = LETTER | DIGIT | UNDERSCORE;
/// The [`IDENT`] classes that may start a name (`[A-Za-z_]`).
const STARTS: u8 = LETTER | UNDERSCORE;

/// Whether `name` is a Sugar identifier (`^[A-Za-z_][A-Za-z0-9_]*$`):
/// exactly when [`ident_problem`] finds none, in one table-driven pass.
fn is_ident(name: &str) -> bool {
    let mut need = STARTS;
    for &b in name.as_bytes() {
        if IDENT[usize::from(b)] & need == 0 {
            return false;
        }
        need = CONTINUES;
    }
    need == CONTINUES
}

/// Why `name` is not a Sugar identifier (`^[A-Za-z_][A-Za-z0-9_]*$`), as
/// the end of a sentence starting with "it".
fn ident_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first = match chars.next() {
        None => return Some("is empty".into()),
        Some(c) => c,
    };
    if first == '$' {
        return Some(
            "starts with `$`, which sugarcrm reads as a filter macro (`$or`, `$owner`, …)".into(),
        );
    }
    if first.is_ascii_digit() {
        return Some("starts with a digit".into());
    }
    // Bytes, not chars: an accepted name is ASCII, and the first byte that
    // is not allowed starts a character (every byte before it was ASCII).
    name.as_bytes()
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .and_then(|i| name[i..].chars().next())
        .map(|c| format!("contains {}", describe_char(c)))
}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".into()
    } else if c.is_ascii_graphic() {
        format!("`{c}`")
    } else if c.is_alphanumeric() {
        format!("the non-ASCII letter `{c}`")
    } else {
        format!("the character U+{:04X}", c as u32)
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: a JSON number without exponent.
fn is_plain_decimal(n: &str) -> bool {
    let digits = n.strip_prefix('-').unwrap_or(n);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = int == "0"
        || (int.starts_with(|c: char| matches!(c, '1'..='9'))
            && int.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether PHP's `json_decode` reads the plain decimal `n` without rounding:
/// a 64-bit integer, or at most 15 significant digits within the normal
/// range of a double.
fn php_exact(n: &str) -> bool {
    let digits = n.strip_prefix('-').unwrap_or(n);
    if !digits.contains('.') && n.parse::<i64>().is_ok() {
        return true;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let frac_value = frac.trim_end_matches('0');
    if int.is_empty() && frac_value.is_empty() {
        return true; // zero
    }
    // Significant digits: from the first non-zero digit of `int ++ frac` to
    // the last (counted without building the concatenation).
    let significant = if int.is_empty() {
        frac_value.trim_start_matches('0').len()
    } else if frac_value.is_empty() {
        int.trim_end_matches('0').len()
    } else {
        int.len() + frac_value.len()
    };
    // Decimal exponent of the leading significant digit.
    let exponent = if int.is_empty() {
        -((frac.len() - frac.trim_start_matches('0').len()) as i64) - 1
    } else {
        int.len() as i64 - 1
    };
    significant <= 15 && (-307..=307).contains(&exponent)
}

/// The bytes a JSON string escapes (`"`, `\\`, controls), one table load each.
const JSON_ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

/// Writes `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    json_str_body(out, s);
    out.push('"');
}

/// Writes the inside of a JSON string, escaped as `serde_json` does: `"`,
/// `\`, `\b` `\f` `\n` `\r` `\t`, other control characters as `\u00XX`.
/// Text without any of them is copied in one piece.
#[inline]
fn json_str_body(out: &mut String, s: &str) {
    if !json_escapes(s) {
        out.push_str(s);
    } else {
        json_escape_into(out, s);
    }
}

/// Whether `s` has a byte that a JSON string escapes.
#[inline]
fn json_escapes(s: &str) -> bool {
    s.bytes().any(|b| JSON_ESCAPED[usize::from(b)])
}

/// [`json_str_body`] for text with something to escape.
#[cold]
fn json_escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte, so both ends are character boundaries.
        out.push_str(s.get(start..i).unwrap_or(""));
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::HashSet;

    use proptest::prelude::*;
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::*;
    use crate::Lang;
    use crate::{check, translate, Target, Translation};

    fn opts(extended: bool) -> Options {
        Options::default().extended(extended)
    }

    fn run(src: &str, extended: bool) -> Result<Translation, Errors> {
        translate(src, Lang::Kql, Target::Sugarcrm, &opts(extended))
    }

    /// The body of an accepted query (documented mode), checked to be JSON
    /// without duplicate keys.
    #[track_caller]
    fn body(src: &str) -> String {
        body_in(src, false)
    }

    /// An `IN` list is written as its values one by one (`value`), joined
    /// with `,`, whichever mix of plain strings and other values it has.
    #[test]
    fn in_list_agrees_with_values() {
        let items = [
            "'a'", "'x\"y'", "'é'", "1", "'tab\t'", "TRUE", "'z'", "'b\\c'",
        ];
        let one = |item: &str| {
            let b = body(&format!("SELECT id FROM Accounts WHERE name = {item}"));
            let from = b.find("\"$equals\":").unwrap() + 10;
            b[from..b.find("}}").unwrap()].to_string()
        };
        for n in 1..=items.len() {
            for start in 0..items.len() {
                let pick: Vec<&str> = items.iter().cycle().skip(start).take(n).copied().collect();
                let b = body(&format!(
                    "SELECT id FROM Accounts WHERE name IN ({})",
                    pick.join(", ")
                ));
                let want: Vec<String> = pick.iter().map(|i| one(i)).collect();
                assert!(
                    b.contains(&format!("\"$in\":[{}]}}", want.join(","))),
                    "{b} {want:?}"
                );
            }
        }
    }

    #[track_caller]
    fn body_ext(src: &str) -> String {
        body_in(src, true)
    }

    #[track_caller]
    fn body_in(src: &str, extended: bool) -> String {
        match run(src, extended) {
            Ok(t) => {
                let text = t.request.to_string();
                assert_json(&text);
                text
            }
            Err(e) => panic!("{src}\n{}", e.render(src)),
        }
    }

    /// The `filter` array of `SELECT id FROM Accounts WHERE <cond>`.
    #[track_caller]
    fn filter(cond: &str) -> String {
        filter_in(cond, false)
    }

    #[track_caller]
    fn filter_ext(cond: &str) -> String {
        filter_in(cond, true)
    }

    #[track_caller]
    fn filter_in(cond: &str, extended: bool) -> String {
        let b = body_in(&format!("SELECT id FROM Accounts WHERE {cond}"), extended);
        match b
            .strip_prefix("{\"filter\":")
            .and_then(|r| r.strip_suffix(",\"fields\":\"id\"}"))
        {
            Some(f) => f.to_string(),
            None => panic!("unexpected body {b}"),
        }
    }

    /// The error codes of a rejected query (errors only, in order).
    #[track_caller]
    fn codes(src: &str, extended: bool) -> Vec<&'static str> {
        match run(src, extended) {
            Ok(t) => panic!("{src} was accepted: {}", t.request),
            Err(e) => e
                .iter()
                .filter(|e| e.is_error())
                .map(|e| e.code.as_str())
                .collect(),
        }
    }

    /// The first error of a rejected query.
    #[track_caller]
    fn first_error(src: &str, extended: bool) -> Error {
        match run(src, extended) {
            Ok(t) => panic!("{src} was accepted: {}", t.request),
            Err(e) => e.0.into_iter().find(Error::is_error).expect("an error"),
        }
    }

    /// The codes of the warnings of an accepted query.
    #[track_caller]
    fn warnings(src: &str, extended: bool) -> Vec<&'static str> {
        match run(src, extended) {
            Ok(t) => t.warnings.iter().map(|w| w.code.as_str()).collect(),
            Err(e) => panic!("{src}\n{}", e.render(src)),
        }
    }

    /// Lowers an IR built without a target (so no sugarcrm rule of the
    /// validator ran) straight through this backend.
    fn lower_untargeted(
        src: &str,
        lang: Lang,
        extended: bool,
    ) -> Result<(SugarRequest, Vec<Error>), Errors> {
        let o = opts(extended);
        let q = check(src, lang, None, &o).unwrap_or_else(|e| panic!("{src}\n{}", e.render(src)));
        // through `backend::lower`, which refuses what sugarcrm cannot express
        crate::backend::lower(&q, Target::Sugarcrm, &o).map(|(r, w)| match r {
            crate::Request::Sugarcrm(r) => (r, w),
            other => panic!("not a sugarcrm request: {other}"),
        })
    }

    fn err_codes(r: Result<(SugarRequest, Vec<Error>), Errors>) -> Vec<&'static str> {
        match r {
            Ok((req, _)) => panic!("accepted: {req}"),
            Err(e) => e
                .iter()
                .filter(|e| e.is_error())
                .map(|e| e.code.as_str())
                .collect(),
        }
    }

    /// JSON that rejects a repeated key in any object.
    struct NoDup;

    impl<'de> Deserialize<'de> for NoDup {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(NoDupVisitor)
        }
    }

    struct NoDupVisitor;

    impl<'de> Visitor<'de> for NoDupVisitor {
        type Value = NoDup;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_i64<E>(self, _: i64) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_u64<E>(self, _: u64) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_f64<E>(self, _: f64) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_str<E>(self, _: &str) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_unit<E>(self) -> Result<NoDup, E> {
            Ok(NoDup)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDup, A::Error> {
            while seq.next_element::<NoDup>()?.is_some() {}
            Ok(NoDup)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDup, A::Error> {
            let mut keys = HashSet::new();
            while let Some(k) = map.next_key::<String>()? {
                if !keys.insert(k.clone()) {
                    return Err(de::Error::custom(format!("duplicate key {k}")));
                }
                map.next_value::<NoDup>()?;
            }
            Ok(NoDup)
        }
    }

    /// The body is one JSON object without repeated keys, every filter
    /// object has one key, every operator object one operator, no group is
    /// empty, and no value is `null` or an object.
    #[track_caller]
    fn assert_json(text: &str) {
        serde_json::from_str::<NoDup>(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let v: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        if let Some(items) = v.get("filter") {
            let items = items.as_array().expect("filter is an array");
            assert!(!items.is_empty(), "{text}");
            for it in items {
                assert_item(it, text);
            }
        }
    }

    fn assert_item(it: &serde_json::Value, text: &str) {
        let obj = it
            .as_object()
            .unwrap_or_else(|| panic!("item is not an object: {text}"));
        assert_eq!(obj.len(), 1, "{text}");
        let Some((k, v)) = obj.iter().next() else {
            unreachable!()
        };
        if k == "$and" || k == "$or" {
            let items = v.as_array().expect("group holds an array");
            assert!(items.len() >= 2, "group with fewer than two items: {text}");
            for i in items {
                assert_item(i, text);
            }
        } else {
            assert!(!k.starts_with('$'), "{text}");
            let ops = v.as_object().expect("operator object");
            assert_eq!(ops.len(), 1, "{text}");
            let Some((_, operand)) = ops.iter().next() else {
                unreachable!()
            };
            assert!(!operand.is_null() && !operand.is_object(), "{text}");
        }
    }

    // ---- the spec examples -----------------------------------------------

    /// The two example queries of the spec's KQL section and its `EX:` lines
    /// (written with ASCII quotes: the spec's `‘…’` are typographic).
    #[test]
    fn ident_fast_check_agrees_with_ident_problem() {
        let mut names: Vec<String> = [
            "", "_", "a", "_a1", "1a", "$or", "a.b", "a b", "é", "aé", "A_Z_09",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for b in 0..=255u8 {
            names.push(format!("a{}", char::from(b)));
            names.push(format!("{}a", char::from(b)));
        }
        for n in &names {
            assert_eq!(is_ident(n), ident_problem(n).is_none(), "{n:?}");
        }
    }

    #[test]
    fn spec_kql_examples() {
        assert_eq!(
            body("SELECT id, name, website FROM Accounts WHERE name LIKE 'Jim%' ORDER BY name DESC LIMIT 100 OFFSET 200"),
            r#"{"filter":[{"name":{"$starts":"Jim"}}],"fields":"id,name,website","order_by":"name:desc","max_num":100,"offset":200}"#
        );
        assert_eq!(
            body("SELECT id, name, email, status FROM Leads WHERE name LIKE '%kloudless%' AND email != '' ORDER BY name ASC"),
            r#"{"filter":[{"name":{"$contains":"kloudless"}},{"email":{"$not_equals":""}}],"fields":"id,name,email,status","order_by":"name:asc,id:asc"}"#
        );
        assert_eq!(
            filter("name LIKE '%kloud%'"),
            r#"[{"name":{"$contains":"kloud"}}]"#
        );
        assert_eq!(
            filter("name LIKE 'kloud%'"),
            r#"[{"name":{"$starts":"kloud"}}]"#
        );
        assert_eq!(
            filter("name LIKE '%kloudless'"),
            r#"[{"name":{"$ends":"kloudless"}}]"#
        );
        assert_eq!(
            filter("name = 'kloudless'"),
            r#"[{"name":{"$equals":"kloudless"}}]"#
        );
        assert_eq!(
            filter("name = 'kloudless' AND email LIKE '%kloudless.com'"),
            r#"[{"name":{"$equals":"kloudless"}},{"email":{"$ends":"kloudless.com"}}]"#
        );
        assert_eq!(
            filter("name IN ('kloudless', 'cloudless', 'chloudless')"),
            r#"[{"name":{"$in":["kloudless","cloudless","chloudless"]}}]"#
        );
        assert_eq!(
            filter("website IS NOT NULL"),
            r#"[{"website":{"$not_null":""}}]"#
        );
        assert_eq!(
            filter("created_at >= '2018-02-23T03:05:45+00:00'"),
            r#"[{"created_at":{"$gte":"2018-02-23T03:05:45+00:00"}}]"#
        );
        assert_eq!(
            body("SELECT name, amount FROM Opportunities ORDER BY name ASC, amount DESC"),
            r#"{"fields":"name,amount","order_by":"name:asc,amount:desc,id:asc"}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts LIMIT 100"),
            r#"{"fields":"id","max_num":100}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts LIMIT 100 OFFSET 200"),
            r#"{"fields":"id","max_num":100,"offset":200}"#
        );
    }

    /// sugarcrm-filter.md §7 "Worked examples", 1–19: each produces the body
    /// given there (only the keys the example shows are compared, through
    /// `filter`/`body`), except where a comment says why not.
    #[test]
    fn research_worked_examples() {
        // 1. `=`
        assert_eq!(
            body("SELECT name FROM Accounts WHERE industry = 'Banking'"),
            r#"{"filter":[{"industry":{"$equals":"Banking"}}],"fields":"name"}"#
        );
        // 2. `!=`
        assert_eq!(
            filter("industry != 'Banking'"),
            r#"[{"industry":{"$not_equals":"Banking"}}]"#
        );
        // 3. `<`
        assert_eq!(
            body("SELECT name, amount FROM Opportunities WHERE amount < 10000"),
            r#"{"filter":[{"amount":{"$lt":10000}}],"fields":"name,amount"}"#
        );
        // 4. `<=`
        assert_eq!(
            filter("probability <= 50"),
            r#"[{"probability":{"$lte":50}}]"#
        );
        // 5. `>` on a date field: as in §7, plus warning B052 (the field type is unknown here).
        assert_eq!(
            filter("date_closed > '2024-06-30'"),
            r#"[{"date_closed":{"$gt":"2024-06-30"}}]"#
        );
        assert_eq!(
            warnings(
                "SELECT id FROM Accounts WHERE date_closed > '2024-06-30'",
                false
            ),
            ["B052"]
        );
        // 6. `>=` on a datetime
        assert_eq!(
            filter("date_entered >= '2024-01-01T00:00:00Z'"),
            r#"[{"date_entered":{"$gte":"2024-01-01T00:00:00+00:00"}}]"#
        );
        // 7.–9. LIKE
        assert_eq!(
            filter("name LIKE 'Acme%'"),
            r#"[{"name":{"$starts":"Acme"}}]"#
        );
        assert_eq!(filter("name LIKE '%Inc'"), r#"[{"name":{"$ends":"Inc"}}]"#);
        assert_eq!(
            filter("name LIKE '%bank%'"),
            r#"[{"name":{"$contains":"bank"}}]"#
        );
        // 10. IN
        assert_eq!(
            filter("account_type IN ('Customer','Partner')"),
            r#"[{"account_type":{"$in":["Customer","Partner"]}}]"#
        );
        // 11. NOT IN, the "SQL-exact" form. §7 wraps the two items in an
        // `$and`; at the top level they are written straight into the filter
        // array, which is the same AND (§1: the array is an implicit AND).
        assert_eq!(
            filter("sales_stage NOT IN ('Closed Won','Closed Lost')"),
            r#"[{"sales_stage":{"$not_null":""}},{"sales_stage":{"$not_in":["Closed Won","Closed Lost"]}}]"#
        );
        // 12.–13. NULL
        assert_eq!(
            filter("parent_id IS NULL"),
            r#"[{"parent_id":{"$is_null":""}}]"#
        );
        assert_eq!(
            filter("parent_id IS NOT NULL"),
            r#"[{"parent_id":{"$not_null":""}}]"#
        );
        // 14. AND
        assert_eq!(
            filter("industry = 'Banking' AND billing_address_country = 'USA'"),
            r#"[{"industry":{"$equals":"Banking"}},{"billing_address_country":{"$equals":"USA"}}]"#
        );
        // 15. OR
        assert_eq!(
            filter("industry = 'Banking' OR industry = 'Insurance'"),
            r#"[{"$or":[{"industry":{"$equals":"Banking"}},{"industry":{"$equals":"Insurance"}}]}]"#
        );
        // 16. nested AND/OR
        assert_eq!(
            filter(
                "(industry = 'Banking' OR industry = 'Insurance') AND (name LIKE 'A%' OR (billing_address_country = 'USA' AND account_type IN ('Customer','Partner')))"
            ),
            concat!(
                r#"[{"$or":[{"industry":{"$equals":"Banking"}},{"industry":{"$equals":"Insurance"}}]},"#,
                r#"{"$or":[{"name":{"$starts":"A"}},{"$and":[{"billing_address_country":{"$equals":"USA"}},"#,
                r#"{"account_type":{"$in":["Customer","Partner"]}}]}]}]"#
            )
        );
        // 17. ORDER BY (no LIMIT: the caller pages, so `id` ends the order)
        assert_eq!(
            body("SELECT id FROM Accounts ORDER BY name ASC, date_entered DESC"),
            r#"{"fields":"id","order_by":"name:asc,date_entered:desc,id:asc"}"#
        );
        // 18. LIMIT/OFFSET
        assert_eq!(
            body("SELECT id FROM Accounts LIMIT 50 OFFSET 100"),
            r#"{"fields":"id","max_num":50,"offset":100}"#
        );
        // 19. SELECT fields; `*` omits `fields`.
        assert_eq!(
            body("SELECT id, name, industry FROM Accounts"),
            r#"{"fields":"id,name,industry"}"#
        );
        assert_eq!(body("SELECT * FROM Accounts"), "{}");
    }

    /// sugarcrm-filter.md §7 "Complete request".
    #[test]
    fn research_complete_request() {
        let src = "SELECT name, industry FROM Accounts WHERE industry IN ('Banking','Insurance') AND name LIKE 'A%' ORDER BY name ASC, date_entered DESC LIMIT 25 OFFSET 0";
        let t = run(src, false).expect("accepted");
        let crate::Request::Sugarcrm(req) = &t.request else {
            panic!("not a sugarcrm request")
        };
        assert_eq!(req.module, "Accounts");
        assert_eq!(
            req.body.as_str(),
            r#"{"filter":[{"industry":{"$in":["Banking","Insurance"]}},{"name":{"$starts":"A"}}],"fields":"name,industry","order_by":"name:asc,date_entered:desc","max_num":25,"offset":0}"#
        );
        assert_eq!(req.client_take, None);
    }

    // ---- the JSON contract -----------------------------------------------

    #[test]
    fn json_contract() {
        let t = run(
            "SELECT id, name FROM Accounts WHERE amount >= 12.50 ORDER BY name LIMIT 10",
            false,
        )
        .expect("accepted");
        assert_eq!(
            serde_json::to_string(&t).expect("serialises"),
            r#"{"target":"sugarcrm","module":"Accounts","body":{"filter":[{"amount":{"$gte":12.50}}],"fields":"id,name","order_by":"name:asc","max_num":10},"client_take":null,"warnings":[]}"#
        );
        // Through `serde_json::Value` the body is an object too.
        let v = serde_json::to_value(&t).expect("serialises");
        assert_eq!(
            v["body"]["filter"][0]["amount"]["$gte"],
            serde_json::json!(12.5)
        );
        // Pretty printing keeps the body's exact text.
        let pretty = serde_json::to_string_pretty(&t).expect("serialises");
        assert!(pretty.contains(r#""$gte":12.50"#), "{pretty}");
    }

    /// Without LIMIT the caller reads every page of 20 (following
    /// `next_offset`), and Sugar runs one `ORDER BY … LIMIT 21 OFFSET n` query
    /// per page: with a non-unique sort key (`name`) the database may order
    /// ties differently on each page, so a row can appear twice and another
    /// never. A user ORDER BY then ends with the unique `id`.
    #[test]
    fn order_by_ends_with_the_id_for_stable_pages() {
        assert_eq!(
            body("SELECT id, name FROM Leads ORDER BY name ASC"),
            r#"{"fields":"id,name","order_by":"name:asc,id:asc"}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts ORDER BY a, b DESC OFFSET 100"),
            r#"{"fields":"id","order_by":"a:asc,b:desc,id:asc","offset":100}"#
        );
        // one page (LIMIT): the request is one query, left as written
        assert_eq!(
            body("SELECT id FROM Accounts ORDER BY a, b DESC LIMIT 50 OFFSET 100"),
            r#"{"fields":"id","order_by":"a:asc,b:desc","max_num":50,"offset":100}"#
        );
        // `id` already a key: not repeated; no ORDER BY: Sugar's default order
        assert_eq!(
            body("SELECT id FROM Accounts ORDER BY id DESC, name"),
            r#"{"fields":"id","order_by":"id:desc,name:asc"}"#
        );
        assert_eq!(body("SELECT id FROM Accounts"), r#"{"fields":"id"}"#);
    }

    #[test]
    fn limit_zero_uses_client_take() {
        let src = "SELECT id FROM Accounts LIMIT 0 OFFSET 5";
        let t = run(src, false).expect("accepted");
        assert_eq!(
            serde_json::to_string(&t.request).expect("serialises"),
            r#"{"module":"Accounts","body":{"fields":"id","max_num":1,"offset":5},"client_take":0}"#
        );
        assert_eq!(
            t.request.to_string(),
            r#"{"fields":"id","max_num":1,"offset":5}"#
        );
        assert_eq!(warnings(src, false), ["B050"]);
        let w = &t.warnings[0];
        assert_eq!((w.span.start, w.span.end), (30, 31));
    }

    #[test]
    fn module_is_passed_as_written() {
        let t = run("SELECT id FROM accounts", false).expect("accepted");
        let crate::Request::Sugarcrm(req) = &t.request else {
            panic!()
        };
        assert_eq!(req.module, "accounts");
        let t = run("SELECT id FROM pmse_Project_2", false).expect("accepted");
        let crate::Request::Sugarcrm(req) = &t.request else {
            panic!()
        };
        assert_eq!(req.module, "pmse_Project_2");
    }

    // ---- every construct --------------------------------------------------

    #[test]
    fn comparison_operators_and_literal_types() {
        assert_eq!(filter("a = 'x'"), r#"[{"a":{"$equals":"x"}}]"#);
        assert_eq!(filter("a != 'x'"), r#"[{"a":{"$not_equals":"x"}}]"#);
        assert_eq!(filter("a <> 'x'"), r#"[{"a":{"$not_equals":"x"}}]"#);
        assert_eq!(filter("a < 1"), r#"[{"a":{"$lt":1}}]"#);
        assert_eq!(filter("a <= -1.5"), r#"[{"a":{"$lte":-1.5}}]"#);
        assert_eq!(filter("a > 0"), r#"[{"a":{"$gt":0}}]"#);
        assert_eq!(filter("a >= 12.50"), r#"[{"a":{"$gte":12.50}}]"#);
        // numbers are the IR's plain decimal text, exponents expanded
        assert_eq!(filter("a = 1.5e3"), r#"[{"a":{"$equals":1500}}]"#);
        assert_eq!(filter("a = .25"), r#"[{"a":{"$equals":0.25}}]"#);
        assert_eq!(filter("a = -0"), r#"[{"a":{"$equals":0}}]"#);
        assert_eq!(
            filter("a = 9223372036854775807"),
            r#"[{"a":{"$equals":9223372036854775807}}]"#
        );
        assert_eq!(
            filter("a = -9223372036854775808"),
            r#"[{"a":{"$equals":-9223372036854775808}}]"#
        );
        assert_eq!(
            filter("a = 123456789012345.0"),
            r#"[{"a":{"$equals":123456789012345.0}}]"#
        );
        assert_eq!(
            filter("a = 1e22"),
            r#"[{"a":{"$equals":10000000000000000000000}}]"#
        );
        assert_eq!(filter("a = TRUE"), r#"[{"a":{"$equals":true}}]"#);
        assert_eq!(filter("a != FALSE"), r#"[{"a":{"$not_equals":false}}]"#);
        assert_eq!(
            filter("a = '2024-02-29'"),
            r#"[{"a":{"$equals":"2024-02-29"}}]"#
        );
        assert_eq!(
            filter("a = '2024-02-29T23:59:59Z'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59+00:00"}}]"#
        );
        assert_eq!(
            filter("a = '2024-02-29T23:59:59+05:30'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59+05:30"}}]"#
        );
        assert_eq!(
            filter("a = '2024-02-29T23:59:59-0330'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59-03:30"}}]"#
        );
        assert_eq!(
            filter("a = '2024-02-29T23:59:59-00:00'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59+00:00"}}]"#
        );
        // a zero fraction is the same instant; Sugar would drop it anyway
        assert_eq!(
            filter("a = '2024-02-29T23:59:59.000Z'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59+00:00"}}]"#
        );
        // a zoneless datetime is a string (validator warning S103)
        assert_eq!(
            filter("a = '2024-02-29T23:59:59'"),
            r#"[{"a":{"$equals":"2024-02-29T23:59:59"}}]"#
        );
        // extended mode: the literal may come first
        assert_eq!(filter_ext("5 < a"), r#"[{"a":{"$gt":5}}]"#);
    }

    #[test]
    fn like_in_null() {
        assert_eq!(filter("a LIKE 'x%'"), r#"[{"a":{"$starts":"x"}}]"#);
        assert_eq!(filter("a LIKE '%x'"), r#"[{"a":{"$ends":"x"}}]"#);
        assert_eq!(filter("a LIKE '%x y%'"), r#"[{"a":{"$contains":"x y"}}]"#);
        // extended: no wildcard is `=`, `'%'` is IS NOT NULL
        assert_eq!(filter_ext("a LIKE 'x'"), r#"[{"a":{"$equals":"x"}}]"#);
        assert_eq!(filter_ext("a LIKE '%'"), r#"[{"a":{"$not_null":""}}]"#);
        assert_eq!(
            filter("a IN (1, 2.5, TRUE, 'x', '2024-01-01')"),
            r#"[{"a":{"$in":[1,2.5,true,"x","2024-01-01"]}}]"#
        );
        assert_eq!(filter("a IN ('x')"), r#"[{"a":{"$in":["x"]}}]"#);
        assert_eq!(
            filter("a NOT IN (1)"),
            r#"[{"a":{"$not_null":""}},{"a":{"$not_in":[1]}}]"#
        );
        assert_eq!(filter("a IS NULL"), r#"[{"a":{"$is_null":""}}]"#);
        assert_eq!(filter("a IS NOT NULL"), r#"[{"a":{"$not_null":""}}]"#);
        // link.field in WHERE
        assert_eq!(
            filter("accounts.name = 'x'"),
            r#"[{"accounts.name":{"$equals":"x"}}]"#
        );
    }

    /// WHERE13 `in`/`notIn` treat `''` in a list specially; the request
    /// compensates so that SQL's meaning holds.
    #[test]
    fn empty_string_in_lists() {
        // `in` with '' adds `OR col IS NULL`: pair with `$not_null`.
        assert_eq!(
            filter("a IN ('', 'x')"),
            r#"[{"a":{"$not_null":""}},{"a":{"$in":["","x"]}}]"#
        );
        // `notIn` drops '' and adds `col IS NOT NULL`: exclude '' with `$not_equals`.
        assert_eq!(
            filter("a NOT IN ('', 'x')"),
            r#"[{"a":{"$not_equals":""}},{"a":{"$not_in":["x"]}}]"#
        );
        assert_eq!(filter("a NOT IN ('')"), r#"[{"a":{"$not_equals":""}}]"#);
        assert_eq!(filter("a NOT IN ('', '')"), r#"[{"a":{"$not_equals":""}}]"#);
        // inside an OR the pair is an explicit `$and`
        assert_eq!(
            filter("b = 1 OR a IN ('', 'x')"),
            r#"[{"$or":[{"b":{"$equals":1}},{"$and":[{"a":{"$not_null":""}},{"a":{"$in":["","x"]}}]}]}]"#
        );
        assert_eq!(
            filter_ext("NOT (a NOT IN ('', 'x'))"),
            r#"[{"a":{"$not_null":""}},{"a":{"$in":["","x"]}}]"#
        );
        assert_eq!(
            filter_ext("NOT (a IN (''))"),
            r#"[{"a":{"$not_equals":""}}]"#
        );
    }

    #[test]
    fn and_or_grouping_and_flattening() {
        assert_eq!(
            filter("a = 1 AND b = 2 AND c = 3"),
            r#"[{"a":{"$equals":1}},{"b":{"$equals":2}},{"c":{"$equals":3}}]"#
        );
        assert_eq!(
            filter("a = 1 OR (b = 2 OR c = 3)"),
            r#"[{"$or":[{"a":{"$equals":1}},{"b":{"$equals":2}},{"c":{"$equals":3}}]}]"#
        );
        assert_eq!(
            filter("a = 1 AND b = 2 OR c = 3"),
            r#"[{"$or":[{"$and":[{"a":{"$equals":1}},{"b":{"$equals":2}}]},{"c":{"$equals":3}}]}]"#
        );
        assert_eq!(filter("((a = 1))"), r#"[{"a":{"$equals":1}}]"#);
        // NOT IN inside OR: the pair becomes an `$and` group
        assert_eq!(
            filter("a = 'x' OR b NOT IN ('p', 'q')"),
            r#"[{"$or":[{"a":{"$equals":"x"}},{"$and":[{"b":{"$not_null":""}},{"b":{"$not_in":["p","q"]}}]}]}]"#
        );
    }

    #[test]
    fn selection_order_limit_offset() {
        assert_eq!(
            body("SELECT * FROM Accounts WHERE a = 1"),
            r#"{"filter":[{"a":{"$equals":1}}]}"#
        );
        assert_eq!(
            body("SELECT id, name FROM Accounts"),
            r#"{"fields":"id,name"}"#
        );
        // literals in the SELECT list name fields (spec); duplicates were dropped by validation
        assert_eq!(
            body("SELECT 'id', name, name FROM Accounts"),
            r#"{"fields":"id,name"}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts ORDER BY a, b DESC, c ASC"),
            r#"{"fields":"id","order_by":"a:asc,b:desc,c:asc,id:asc"}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts OFFSET 7"),
            r#"{"fields":"id","offset":7}"#
        );
        assert_eq!(
            body("SELECT * FROM Accounts ORDER BY name LIMIT 1"),
            r#"{"order_by":"name:asc","max_num":1}"#
        );
        assert_eq!(
            body("SELECT id FROM Accounts WHERE a = 1 ORDER BY id DESC LIMIT 5 OFFSET 10"),
            r#"{"filter":[{"a":{"$equals":1}}],"fields":"id","order_by":"id:desc","max_num":5,"offset":10}"#
        );
        assert_eq!(
            body(&format!(
                "SELECT id FROM Accounts LIMIT {MAX_LIMIT} OFFSET {MAX_OFFSET}"
            )),
            r#"{"fields":"id","max_num":9223372036854775806,"offset":9223372036854775807}"#
        );
    }

    // ---- NOT (extended mode) ----------------------------------------------

    #[test]
    fn not_pushdown() {
        for (cond, expected) in [
            ("NOT (a = 1)", r#"[{"a":{"$not_equals":1}}]"#),
            ("NOT (a != 1)", r#"[{"a":{"$equals":1}}]"#),
            ("NOT (a < 1)", r#"[{"a":{"$gte":1}}]"#),
            ("NOT (a <= 1)", r#"[{"a":{"$gt":1}}]"#),
            ("NOT (a > 1)", r#"[{"a":{"$lte":1}}]"#),
            ("NOT (a >= 1)", r#"[{"a":{"$lt":1}}]"#),
            ("NOT (a IS NULL)", r#"[{"a":{"$not_null":""}}]"#),
            ("NOT (a IS NOT NULL)", r#"[{"a":{"$is_null":""}}]"#),
            (
                "NOT (a IN (1, 2))",
                r#"[{"a":{"$not_null":""}},{"a":{"$not_in":[1,2]}}]"#,
            ),
            ("NOT (a NOT IN (1, 2))", r#"[{"a":{"$in":[1,2]}}]"#),
            (
                "a NOT LIKE '%x%'",
                r#"[{"a":{"$not_null":""}},{"a":{"$not_contains":"x"}}]"#,
            ),
            (
                "NOT (a LIKE '%x%')",
                r#"[{"a":{"$not_null":""}},{"a":{"$not_contains":"x"}}]"#,
            ),
            ("NOT (a NOT LIKE '%x%')", r#"[{"a":{"$contains":"x"}}]"#),
            ("NOT (a NOT LIKE 'x%')", r#"[{"a":{"$starts":"x"}}]"#),
            ("NOT (a NOT LIKE '%x')", r#"[{"a":{"$ends":"x"}}]"#),
            ("NOT NOT a = 1", r#"[{"a":{"$equals":1}}]"#),
            ("NOT (NOT (NOT (a = 1)))", r#"[{"a":{"$not_equals":1}}]"#),
            (
                "NOT (a = 1 AND b = 2)",
                r#"[{"$or":[{"a":{"$not_equals":1}},{"b":{"$not_equals":2}}]}]"#,
            ),
            (
                "NOT (a = 1 OR b = 2)",
                r#"[{"a":{"$not_equals":1}},{"b":{"$not_equals":2}}]"#,
            ),
            // De Morgan output is flattened into the enclosing group
            (
                "c = 3 AND NOT (a = 1 OR b = 2)",
                r#"[{"c":{"$equals":3}},{"a":{"$not_equals":1}},{"b":{"$not_equals":2}}]"#,
            ),
            (
                "c = 3 OR NOT (a = 1 AND b = 2)",
                r#"[{"$or":[{"c":{"$equals":3}},{"a":{"$not_equals":1}},{"b":{"$not_equals":2}}]}]"#,
            ),
            (
                "NOT (a = 1 OR (b = 2 AND c LIKE '%z%'))",
                r#"[{"a":{"$not_equals":1}},{"$or":[{"b":{"$not_equals":2}},{"$and":[{"c":{"$not_null":""}},{"c":{"$not_contains":"z"}}]}]}]"#,
            ),
            (
                "NOT (industry = 'Retail' OR account_type IN ('Competitor', 'Other'))",
                r#"[{"industry":{"$not_equals":"Retail"}},{"account_type":{"$not_null":""}},{"account_type":{"$not_in":["Competitor","Other"]}}]"#,
            ),
        ] {
            assert_eq!(filter_ext(cond), expected, "{cond}");
        }
        assert_eq!(
            body_ext(
                "SELECT * FROM Accounts WHERE NOT (name LIKE '%x%' AND a = 1) ORDER BY name DESC"
            ),
            r#"{"filter":[{"$or":[{"$and":[{"name":{"$not_null":""}},{"name":{"$not_contains":"x"}}]},{"a":{"$not_equals":1}}]}],"order_by":"name:desc,id:asc"}"#
        );
    }

    #[test]
    fn not_like_prefix_or_suffix_is_rejected() {
        let src = "SELECT id FROM Accounts WHERE a NOT LIKE 'x%' AND b NOT LIKE '%y'";
        assert_eq!(codes(src, true), ["B044", "B044"]);
        let e = first_error(src, true);
        assert_eq!(
            e.message,
            "sugarcrm cannot negate `LIKE 'kw%'`: it has no \"does not start with\" operator"
        );
        assert_eq!((e.span.start, e.span.end), (30, 45));
        assert_eq!(
            codes("SELECT id FROM Accounts WHERE NOT (a LIKE '%y')", true),
            ["B044"]
        );
    }

    #[test]
    fn documented_mode_rejects_not() {
        // the validator reports S018 for a sugarcrm target
        assert_eq!(
            codes("SELECT id FROM Accounts WHERE NOT (a = 1)", false),
            ["S018"]
        );
        assert_eq!(
            codes("SELECT id FROM Accounts WHERE a NOT LIKE '%x%'", false),
            ["S018"]
        );
        // an IR validated for no target reaches the backend: it checks again
        let r = lower_untargeted(
            "SELECT id FROM Accounts WHERE NOT (a = 1) OR b NOT LIKE '%x%'",
            Lang::Kql,
            false,
        );
        assert_eq!(err_codes(r), ["S018", "S018"]);
        // NOT IN and IS NOT NULL are documented for sugarcrm
        assert_eq!(
            filter("a NOT IN ('x') AND b IS NOT NULL"),
            r#"[{"a":{"$not_null":""}},{"a":{"$not_in":["x"]}},{"b":{"$not_null":""}}]"#
        );
    }

    #[test]
    fn dql_is_rejected() {
        let r = lower_untargeted(
            "SELECT name FROM accounts WHERE name = 'x' ORDER BY name ASC",
            Lang::Dql,
            false,
        );
        assert_eq!(err_codes(r), ["S014"]);
    }

    // ---- nesting ------------------------------------------------------------

    /// `a0 = 0 AND (a1 = 1 OR (a2 = 2 AND (… )))` with `levels` alternations.
    fn alternating(levels: usize) -> String {
        let mut s = format!("a{levels} = {levels}");
        for k in (0..levels).rev() {
            let op = if k % 2 == 0 { "AND" } else { "OR" };
            s = format!("a{k} = {k} {op} ({s})");
        }
        s
    }

    #[test]
    fn group_depth_limit() {
        // the top-level AND is the filter array itself: 13 more alternations are 13 groups
        let ok = format!("SELECT id FROM Accounts WHERE {}", alternating(14));
        let b = body(&ok);
        assert_eq!(
            b.matches("{\"$or\":[").count() + b.matches("{\"$and\":[").count(),
            13
        );
        assert!(b.ends_with(r#"{"$or":[{"a13":{"$equals":13}},{"a14":{"$equals":14}}]}]}]}]}]}]}]}]}]}]}]}]}]}],"fields":"id"}"#), "{b}");
        let deep = format!("SELECT id FROM Accounts WHERE {}", alternating(15));
        assert_eq!(codes(&deep, false), ["B045"]);
        let e = first_error(&deep, false);
        assert_eq!(
            e.message,
            "sugarcrm takes at most 13 nested `$and`/`$or` groups; this condition needs more"
        );
        // a NOT IN pair inside the 13th group needs a 14th
        let pair = format!(
            "SELECT id FROM Accounts WHERE {}",
            alternating(13).replace("a13 = 13", "(z = 1 OR y NOT IN (1))")
        );
        assert_eq!(codes(&pair, false), ["B045"]);
    }

    #[test]
    fn recursion_guard() {
        let q = check(
            "SELECT id FROM Accounts WHERE a = 1",
            Lang::Kql,
            None,
            &opts(true),
        )
        .expect("valid");
        let mut cond = q.filter.clone().expect("filter");
        for _ in 0..300 {
            cond = Cond::Not {
                operand: Box::new(cond),
                span: Span::default(),
            };
        }
        let q = ir::Query {
            filter: Some(cond),
            ..q
        };
        assert_eq!(err_codes(lower(&q, &opts(true))), ["L001"]);
    }

    #[test]
    fn degenerate_groups_from_hand_built_ir() {
        let q = check(
            "SELECT id FROM Accounts WHERE a = 1",
            Lang::Kql,
            None,
            &opts(true),
        )
        .expect("valid");
        let leaf = q.filter.clone().expect("filter");
        let one = ir::Query {
            filter: Some(Cond::Or {
                operands: vec![leaf],
                span: Span::default(),
            }),
            ..q.clone()
        };
        assert_eq!(
            lower(&one, &opts(true)).expect("accepted").0.to_string(),
            r#"{"filter":[{"a":{"$equals":1}}],"fields":"id"}"#
        );
        let none = ir::Query {
            filter: Some(Cond::And {
                operands: vec![],
                span: Span::default(),
            }),
            ..q.clone()
        };
        assert_eq!(err_codes(lower(&none, &opts(true))), ["X001"]);
        let empty = ir::Query {
            selection: Selection::Fields { fields: vec![] },
            ..q
        };
        assert_eq!(err_codes(lower(&empty, &opts(true))), ["X001"]);
    }

    // ---- counts -------------------------------------------------------------

    #[test]
    fn counts_beyond_php_integers() {
        let src = format!(
            "SELECT id FROM Accounts LIMIT {} OFFSET {}",
            MAX_LIMIT + 1,
            MAX_OFFSET + 1
        );
        assert_eq!(codes(&src, false), ["B046", "B046"]);
        let e = first_error(&src, false);
        assert_eq!(
            e.message,
            "sugarcrm cannot take `LIMIT 9223372036854775807`: the largest is 9223372036854775806"
        );
        assert_eq!(
            codes("SELECT id FROM Accounts LIMIT 18446744073709551615", false),
            ["B046"]
        );
    }

    // ---- values ---------------------------------------------------------------

    #[test]
    fn fractional_seconds_are_rejected() {
        let src = "SELECT id FROM Accounts WHERE date_modified >= '2023-06-30T23:59:59.999+02:00' AND date_entered < '2023-07-01T00:00:00.123456789Z'";
        assert_eq!(codes(src, false), ["B047", "B047"]);
        let e = first_error(src, false);
        assert_eq!(
            e.message,
            "sugarcrm drops the fraction of a second from a datetime before comparing"
        );
        assert_eq!(
            &src[e.span.start..e.span.end],
            "'2023-06-30T23:59:59.999+02:00'"
        );
        assert_eq!(
            codes(
                "SELECT id FROM Accounts WHERE d IN ('2023-06-30T23:59:59.5Z')",
                false
            ),
            ["B047"]
        );
    }

    #[test]
    fn numbers_php_would_round() {
        for n in [
            "1234567890123456789012",
            "9223372036854775808",
            "0.1234567890123456",
            "123456789012345.6",
            "1e308",
            "1e-308",
        ] {
            let src = format!("SELECT id FROM Accounts WHERE a = {n}");
            assert_eq!(codes(&src, false), ["B048"], "{n}");
        }
        let e = first_error(
            "SELECT id FROM Accounts WHERE a IN (1, 0.1234567890123456)",
            false,
        );
        assert_eq!(e.code, Code::SugarNumber);
        assert_eq!(
            e.message,
            "sugarcrm would round the number 0.1234567890123456: PHP reads it as a double"
        );
        for n in [
            "12345678901234.5",
            "0.123456789012345",
            "1e307",
            "1e-307",
            "-9223372036854775808",
            "100000000000000000000.000",
        ] {
            let src = format!("SELECT id FROM Accounts WHERE a = {n}");
            assert!(run(&src, false).is_ok(), "{n}");
        }
    }

    #[test]
    fn php_exact_and_plain_decimal() {
        assert!(php_exact("0"));
        assert!(php_exact("0.000"));
        assert!(php_exact("-12.5"));
        assert!(!php_exact("12345678901234567.5"));
        assert!(php_exact("0.000123"));
        assert!(php_exact("12.50"));
        assert!(php_exact("100000000000000000000.000"));
        assert!(php_exact("123456789012345000000000"));
        assert!(!php_exact("1234567890123456000000000"));
        assert!(php_exact("0.000000000000000000001234567890123450"));
        assert!(!php_exact("1000000000000000000000.0000000000001"));
        assert!(is_plain_decimal("-0.5"));
        assert!(is_plain_decimal("10"));
        for bad in [
            "", "-", "01", "1.", ".5", "1e5", "1.2.3", "--1", "+1", "1,0", "NaN", "1 ", "0x10",
        ] {
            assert!(!is_plain_decimal(bad), "{bad:?}");
        }
    }

    #[test]
    fn hand_built_number_that_is_not_a_decimal() {
        let q = check(
            "SELECT id FROM Accounts WHERE a = 1",
            Lang::Kql,
            None,
            &opts(false),
        )
        .expect("valid");
        let Some(Cond::Compare {
            field,
            op,
            value,
            span,
        }) = q.filter.clone()
        else {
            panic!()
        };
        let bad = Value {
            literal: Literal::Number(Cow::Borrowed("1}],\"x\":[{")),
            span: value.span,
        };
        let q = ir::Query {
            filter: Some(Cond::Compare {
                field,
                op,
                value: bad,
                span,
            }),
            ..q
        };
        let Err(e) = lower(&q, &opts(false)) else {
            panic!("accepted")
        };
        assert_eq!(e.0[0].code, Code::Internal);
        assert_eq!(
            e.0[0].message,
            "the number `1}],\"x\":[{` is not a plain decimal"
        );
    }

    #[test]
    fn date_variables_are_rejected() {
        assert_eq!(
            codes(
                "SELECT id FROM Accounts WHERE date_entered > '$nowTime'",
                false
            ),
            ["B049"]
        );
        assert_eq!(
            codes(
                "SELECT id FROM Accounts WHERE d IN ('x', '$tomorrowTime')",
                false
            ),
            ["B049"]
        );
        let e = first_error("SELECT id FROM Accounts WHERE d = '$nowTime'", false);
        assert_eq!(
            e.message,
            "sugarcrm reads the value '$nowTime' as the current time on datetime fields"
        );
        // other `$` values are plain text
        assert_eq!(filter("d = '$now'"), r#"[{"d":{"$equals":"$now"}}]"#);
        // in an `IN` list too (the list skips the check only for strings
        // that do not start with `$`)
        let e = first_error(
            "SELECT id FROM Accounts WHERE d IN ('a', '$tomorrowTime')",
            false,
        );
        assert_eq!(e.code.to_string(), "B049");
        assert_eq!(
            filter("d IN ('a', '$now')"),
            r#"[{"d":{"$in":["a","$now"]}}]"#
        );
    }

    #[test]
    fn warnings_for_number_in_or_and_date_only() {
        assert_eq!(
            warnings(
                "SELECT id FROM Accounts WHERE amount > 5 OR name = 'x'",
                false
            ),
            ["B051"]
        );
        assert_eq!(
            warnings(
                "SELECT id FROM Accounts WHERE a = 'x' OR (b = 'y' AND amount <= 5.5)",
                false
            ),
            ["B051"]
        );
        // not under an OR, or an IN list: no warning
        assert!(warnings(
            "SELECT id FROM Accounts WHERE amount > 5 AND name = 'x'",
            false
        )
        .is_empty());
        assert!(warnings(
            "SELECT id FROM Accounts WHERE amount IN (5, 6) OR name = 'x'",
            false
        )
        .is_empty());
        assert_eq!(
            warnings(
                "SELECT id FROM Accounts WHERE d IN ('2024-01-01', '2024-01-02')",
                false
            ),
            ["B052"]
        );
        assert_eq!(
            warnings(
                "SELECT id FROM Accounts WHERE d = '2024-01-01' AND e != '2024-01-01'",
                false
            ),
            ["B052", "B052"]
        );
        assert!(warnings(
            "SELECT id FROM Accounts WHERE d = '2024-01-01T00:00:00Z'",
            false
        )
        .is_empty());
    }

    // ---- LIKE text ------------------------------------------------------------

    #[test]
    fn like_keywords_sugar_cannot_match_literally() {
        for (src, code) in [
            (r"a LIKE '%a\b%'", "B043"),
            (r"a LIKE '\%'", "B043"),
            ("a LIKE '%[x]%'", "B043"),
            ("a LIKE '%[%'", "B043"),
            // `%` and `_` inside the keyword never pass validation
            ("a LIKE '%a%b%'", "S011"),
            ("a LIKE 'a_b%'", "S011"),
        ] {
            assert_eq!(
                codes(&format!("SELECT id FROM Accounts WHERE {src}"), false),
                [code],
                "{src}"
            );
        }
        let e = first_error(r"SELECT id FROM Accounts WHERE a LIKE '%a\b%'", false);
        assert_eq!(
            e.message,
            r"sugarcrm cannot match `\` literally in a `LIKE` keyword"
        );
        // `]` alone is not special anywhere
        assert_eq!(filter("a LIKE '%x]%'"), r#"[{"a":{"$contains":"x]"}}]"#);
        // a hand-built IR with wildcards in the text is rejected here too
        let q = check(
            "SELECT id FROM Accounts WHERE a LIKE '%x%'",
            Lang::Kql,
            None,
            &opts(false),
        )
        .expect("valid");
        for text in ["a%b", "a_b"] {
            let Some(Cond::Like {
                field,
                negated,
                span,
                ..
            }) = q.filter.clone()
            else {
                panic!()
            };
            let like = Cond::Like {
                field,
                pattern: LikePattern::Contains(Cow::Borrowed(text)),
                negated,
                span,
            };
            let q2 = ir::Query {
                filter: Some(like),
                ..q.clone()
            };
            assert_eq!(err_codes(lower(&q2, &opts(false))), ["B043"], "{text}");
        }
    }

    // ---- identifiers ----------------------------------------------------------

    #[test]
    fn identifiers() {
        // literals in the SELECT list are field names, checked like any other
        let e = first_error("SELECT 'Id, (SELECT Id FROM Contacts)' FROM Account", false);
        assert_eq!(e.code, Code::SugarField);
        assert_eq!(e.message, "sugarcrm cannot take the literal 'Id, (SELECT Id FROM Contacts)' as a field name: it contains `,`");
        for (src, code, message) in [
            ("SELECT 'first name' FROM Leads", "B040", "sugarcrm cannot take the literal 'first name' as a field name: it contains a space"),
            ("SELECT 'id,name' FROM Leads", "B040", "sugarcrm cannot take the literal 'id,name' as a field name: it contains `,`"),
            ("SELECT 'count(id)' FROM Leads", "B040", "sugarcrm cannot take the literal 'count(id)' as a field name: it contains `(`"),
            (
                "SELECT '$or' FROM Leads",
                "B040",
                "sugarcrm cannot take the literal '$or' as a field name: it starts with `$`, which sugarcrm reads as a filter macro (`$or`, `$owner`, …)",
            ),
            ("SELECT 1 FROM Leads", "B040", "sugarcrm cannot take the literal '1' as a field name: it starts with a digit"),
            ("SELECT '' FROM Leads", "B040", "sugarcrm cannot take the literal '' as a field name: it is empty"),
            ("SELECT 'a\"b' FROM Leads", "B040", "sugarcrm cannot take the literal 'a\"b' as a field name: it contains `\"`"),
            ("SELECT 'a\nb' FROM Leads", "B040", "sugarcrm cannot take the literal 'a\\u{000a}b' as a field name: it contains the character U+000A"),
            ("SELECT 'name:desc' FROM Leads", "B040", "sugarcrm cannot take the literal 'name:desc' as a field name: it contains `:`"),
            ("SELECT näme FROM Leads", "B040", "sugarcrm cannot take `näme` as a field name: it contains the non-ASCII letter `ä`"),
            ("SELECT id FROM Leads WHERE näme = 1", "B040", "sugarcrm cannot take `näme` as a field name: it contains the non-ASCII letter `ä`"),
            ("SELECT id FROM Leads ORDER BY straße", "B040", "sugarcrm cannot take `straße` as a field name: it contains the non-ASCII letter `ß`"),
            ("SELECT account.name FROM Leads", "B042", "sugarcrm cannot take the path `account.name` in the SELECT list"),
            ("SELECT 'account.name' FROM Leads", "B042", "sugarcrm cannot take the path `account.name` in the SELECT list"),
            ("SELECT id FROM Leads ORDER BY account.name", "B042", "sugarcrm cannot take the path `account.name` in `ORDER BY`"),
            ("SELECT id FROM Leads WHERE a.b.c = 1", "B042", "sugarcrm cannot filter on the path `a.b.c`: it has more than one `.`"),
            ("SELECT id FROM Leads WHERE accounts.nämé = 1", "B040", "sugarcrm cannot take `nämé` as a field name: it contains the non-ASCII letter `ä`"),
            ("SELECT id FROM Cuentás", "B041", "sugarcrm cannot take `Cuentás` as a module name: it contains the non-ASCII letter `á`"),
        ] {
            let e = first_error(src, false);
            assert_eq!((e.code.as_str(), e.message.as_ref()), (code, message), "{src}");
        }
        // every bad name is reported, with its own span
        let src = "SELECT 'a b', c.d FROM Leads WHERE x.y.z = 1 ORDER BY é";
        assert_eq!(codes(src, false), ["B040", "B042", "B042", "B040"]);
        let spans: Vec<&str> = run(src, false)
            .unwrap_err()
            .iter()
            .filter(|e| e.is_error())
            .map(|e| &src[e.span.start..e.span.end])
            .collect();
        assert_eq!(spans, ["'a b'", "c.d", "x.y.z", "é"]);
        // long names are cut in messages
        let long = format!("SELECT '{}' FROM Leads", "x y".repeat(100));
        // (60 characters, then `…`)
        let cut = format!("'{}…'", &"x y".repeat(20));
        assert!(first_error(&long, false).message.contains(&cut));
    }

    /// JSON has no reserved words: SQL and KQL keywords are plain field names
    /// for sugarcrm (Sugar ignores unknown names in `fields`, §1).
    #[test]
    fn reserved_words_are_plain_names() {
        assert_eq!(
            body("SELECT 'SELECT', 'FROM', 'order', 'null' FROM Accounts"),
            r#"{"fields":"SELECT,FROM,order,null"}"#
        );
        assert_eq!(
            body("SELECT NULL, TRUE FROM Accounts"),
            r#"{"fields":"NULL,TRUE"}"#
        );
        assert_eq!(
            filter("select = 1 AND from_ = 2"),
            r#"[{"select":{"$equals":1}},{"from_":{"$equals":2}}]"#
        );
    }

    #[test]
    fn hand_built_names() {
        let q = check(
            "SELECT id FROM Accounts WHERE a = 1",
            Lang::Kql,
            None,
            &opts(false),
        )
        .expect("valid");
        // a `$` field in WHERE (the parser cannot produce one)
        let Some(Cond::Compare {
            mut field,
            op,
            value,
            span,
        }) = q.filter.clone()
        else {
            panic!()
        };
        field.path = Cow::Borrowed("$owner");
        let q2 = ir::Query {
            filter: Some(Cond::Compare {
                field,
                op,
                value,
                span,
            }),
            ..q.clone()
        };
        assert_eq!(err_codes(lower(&q2, &opts(false))), ["B040"]);
        // a module that would change the URL path
        for module in [
            "Accounts/../Users",
            "Accounts?x=1",
            "Accounts filter",
            "",
            "$Accounts",
            "Acc.ounts",
        ] {
            let q3 = ir::Query {
                object: ir::Name {
                    name: Cow::Borrowed(module),
                    span: Span::default(),
                },
                ..q.clone()
            };
            assert_eq!(err_codes(lower(&q3, &opts(false))), ["B041"], "{module}");
        }
    }

    #[test]
    fn all_errors_are_reported_together() {
        let src = "SELECT 'a b' FROM Accounts WHERE x LIKE '%\\%' OR d = '$nowTime' OR t > '2024-01-01T00:00:00.5Z' LIMIT 9223372036854775807";
        assert_eq!(codes(src, false), ["B040", "B043", "B049", "B047", "B046"]);
        let e = run(src, false).unwrap_err();
        // backend warnings follow the errors
        assert_eq!(e.0.last().map(|w| w.code), Some(Code::LiteralAsProperty));
    }

    // ---- hostile literals -------------------------------------------------------

    /// `name = '<value>'`: the exact JSON literal emitted, and it decodes
    /// back to the value.
    #[test]
    fn hostile_literals() {
        let long = "a'\\\"".repeat(5_000);
        let long_json = format!("\"{}\"", "a'\\\\\\\"".repeat(5_000));
        let table: Vec<(&str, &str)> = vec![
            ("'", r#""'""#),
            ("''", r#""''""#),
            ("\\", r#""\\""#),
            ("\\'", r#""\\'""#),
            ("\\\\'", r#""\\\\'""#),
            ("\\\\\\\\\\", r#""\\\\\\\\\\""#),
            ("a\\", r#""a\\""#),
            ("\"", r#""\"""#),
            ("\"},{\"x\":{\"$or\":[", r#""\"},{\"x\":{\"$or\":[""#),
            ("%", r#""%""#),
            ("_", r#""_""#),
            ("[a]", r#""[a]""#),
            ("&#+=;?/", r#""&#+=;?/""#),
            ("a\nb", r#""a\nb""#),
            ("\r", r#""\r""#),
            ("\t", r#""\t""#),
            ("\u{8}\u{c}", r#""\b\f""#),
            ("\u{0}", r#""\u0000""#),
            ("\u{7}", r#""\u0007""#),
            ("\u{1f}", r#""\u001f""#),
            ("\u{7f}", "\"\u{7f}\""),
            ("Zürich — 日本", "\"Zürich — 日本\""),
            ("🚀👍🏽", "\"🚀👍🏽\""),
            ("O\u{2019}Brien", "\"O\u{2019}Brien\""),
            ("O\u{ff07}Brien", "\"O\u{ff07}Brien\""),
            ("\u{2028}\u{2029}", "\"\u{2028}\u{2029}\""),
            ("$and", r#""$and""#),
            ("$field", r#""$field""#),
            ("{\"$field\":\"id\"}", r#""{\"$field\":\"id\"}""#),
            ("</script>", r#""</script>""#),
            ("null", r#""null""#),
            ("", r#""""#),
            (long.as_str(), long_json.as_str()),
        ];
        assert!(table.len() >= 25);
        for (value, json) in table {
            let src = format!(
                "SELECT id FROM Accounts WHERE name = '{}'",
                value.replace('\'', "''")
            );
            let f = filter(&src["SELECT id FROM Accounts WHERE ".len()..]);
            assert_eq!(
                f,
                format!(r#"[{{"name":{{"$equals":{json}}}}}]"#),
                "{value:?}"
            );
            let decoded: serde_json::Value = serde_json::from_str(&f).expect("JSON");
            assert_eq!(
                decoded[0]["name"]["$equals"],
                serde_json::json!(value),
                "{value:?}"
            );
        }
    }

    /// Hostile text in LIKE keywords and IN lists.
    #[test]
    fn hostile_like_and_in() {
        assert_eq!(
            filter("a LIKE '%O''Brien%'"),
            r#"[{"a":{"$contains":"O'Brien"}}]"#
        );
        assert_eq!(filter("a LIKE '\"}%'"), r#"[{"a":{"$starts":"\"}"}}]"#);
        assert_eq!(
            filter("a LIKE '%\n\u{0}'"),
            r#"[{"a":{"$ends":"\n\u0000"}}]"#
        );
        assert_eq!(
            filter("a LIKE '%&#+=;?/%'"),
            r#"[{"a":{"$contains":"&#+=;?/"}}]"#
        );
        assert_eq!(filter("a LIKE '%🚀%'"), "[{\"a\":{\"$contains\":\"🚀\"}}]");
        assert_eq!(
            filter("a IN ('\"', '\\', '$in')"),
            r#"[{"a":{"$in":["\"","\\","$in"]}}]"#
        );
    }

    proptest! {
        /// The string writer agrees with serde_json on any text.
        #[test]
        fn json_strings_match_serde_json(s in any::<String>()) {
            let mut out = String::new();
            json_str(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_string(&s).expect("serialises"));
        }

        /// Any string literal round-trips through the body.
        #[test]
        fn string_values_round_trip(s in "\\PC*|[\\x00-\\x1f'\"\\\\$%_]*") {
            let src = format!("SELECT id FROM Accounts WHERE name = '{}'", s.replace('\'', "''"));
            if let Ok(t) = run(&src, false) {
                let text = t.request.to_string();
                assert_json(&text);
                let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                prop_assert_eq!(&v["filter"][0]["name"]["$equals"], &serde_json::json!(s));
            }
        }
    }

    // ---- exactness against a model of Sugar (§3, §4, WHERE13) -----------------

    /// Three-valued logic.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum T {
        True,
        False,
        Unknown,
    }

    fn t(b: bool) -> T {
        if b {
            T::True
        } else {
            T::False
        }
    }

    fn and3(a: T, b: T) -> T {
        match (a, b) {
            (T::False, _) | (_, T::False) => T::False,
            (T::True, T::True) => T::True,
            _ => T::Unknown,
        }
    }

    fn or3(a: T, b: T) -> T {
        match (a, b) {
            (T::True, _) | (_, T::True) => T::True,
            (T::False, T::False) => T::False,
            _ => T::Unknown,
        }
    }

    fn not3(a: T) -> T {
        match a {
            T::True => T::False,
            T::False => T::True,
            T::Unknown => T::Unknown,
        }
    }

    type Row = [Option<&'static str>; 2];

    const VALUES: [Option<&str>; 5] = [None, Some(""), Some("x"), Some("xy"), Some("y")];

    fn col(row: &Row, name: &str) -> Option<&'static str> {
        if name == "a" {
            row[0]
        } else {
            row[1]
        }
    }

    fn text(v: &Value<'_>) -> String {
        match &v.literal {
            Literal::String(s) => s.to_string(),
            other => panic!("model values are strings: {other:?}"),
        }
    }

    /// SQL's meaning of the IR.
    fn sql(c: &Cond<'_>, row: &Row) -> T {
        match c {
            Cond::And { operands, .. } => operands
                .iter()
                .fold(T::True, |acc, o| and3(acc, sql(o, row))),
            Cond::Or { operands, .. } => operands
                .iter()
                .fold(T::False, |acc, o| or3(acc, sql(o, row))),
            Cond::Not { operand, .. } => not3(sql(operand, row)),
            Cond::Compare {
                field, op, value, ..
            } => match col(row, &field.path) {
                None => T::Unknown,
                Some(x) => {
                    let v = text(value);
                    t(match op {
                        CmpOp::Eq => x == v,
                        CmpOp::Ne => x != v,
                        CmpOp::Lt => x < v.as_str(),
                        CmpOp::Le => x <= v.as_str(),
                        CmpOp::Gt => x > v.as_str(),
                        CmpOp::Ge => x >= v.as_str(),
                    })
                }
            },
            Cond::Like {
                field,
                pattern,
                negated,
                ..
            } => {
                let r = match col(row, &field.path) {
                    None => T::Unknown,
                    Some(x) => t(match pattern {
                        LikePattern::StartsWith(k) => x.starts_with(k.as_ref()),
                        LikePattern::EndsWith(k) => x.ends_with(k.as_ref()),
                        LikePattern::Contains(k) => x.contains(k.as_ref()),
                    }),
                };
                if *negated {
                    not3(r)
                } else {
                    r
                }
            }
            Cond::In {
                field,
                values,
                negated,
                ..
            } => {
                let r = match col(row, &field.path) {
                    None => T::Unknown,
                    Some(x) => t(values.iter().any(|v| text(v) == x)),
                };
                if *negated {
                    not3(r)
                } else {
                    r
                }
            }
            Cond::IsNull { field, negated, .. } => t(col(row, &field.path).is_none() != *negated),
        }
    }

    /// What Sugar 13 makes of a filter item (§3 operator table, WHERE13 `in`/`notIn`).
    fn sugar(item: &serde_json::Value, row: &Row) -> T {
        let Some((key, spec)) = item.as_object().and_then(|o| o.iter().next()) else {
            panic!("{item}")
        };
        let all = |items: &serde_json::Value| {
            items
                .as_array()
                .expect("array")
                .iter()
                .map(|i| sugar(i, row))
                .collect::<Vec<_>>()
        };
        match key.as_str() {
            "$and" => all(spec).into_iter().fold(T::True, and3),
            "$or" => all(spec).into_iter().fold(T::False, or3),
            field => {
                let Some((op, operand)) = spec.as_object().and_then(|o| o.iter().next()) else {
                    panic!("{spec}")
                };
                let x = col(row, field);
                let s = operand.as_str().unwrap_or("");
                let list: Vec<&str> = operand
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().expect("string")).collect())
                    .unwrap_or_default();
                let cmp = |f: fn(&str, &str) -> bool| x.map_or(T::Unknown, |x| t(f(x, s)));
                let member = |l: &[&str]| x.map_or(T::Unknown, |x| t(l.contains(&x)));
                match op.as_str() {
                    "$equals" => cmp(|x, s| x == s),
                    "$not_equals" => cmp(|x, s| x != s),
                    "$lt" => cmp(|x, s| x < s),
                    "$lte" => cmp(|x, s| x <= s),
                    "$gt" => cmp(|x, s| x > s),
                    "$gte" => cmp(|x, s| x >= s),
                    "$starts" => cmp(|x, s| x.starts_with(s)),
                    "$ends" => cmp(|x, s| x.ends_with(s)),
                    "$contains" => cmp(|x, s| x.contains(s)),
                    // col IS NULL OR col NOT LIKE '%v%'
                    "$not_contains" => or3(t(x.is_none()), not3(cmp(|x, s| x.contains(s)))),
                    "$is_null" => t(x.is_none()),
                    "$not_null" => t(x.is_some()),
                    // '' in the list: (col IS NULL OR col IN (…))
                    "$in" if list.contains(&"") => or3(t(x.is_none()), member(&list)),
                    "$in" => member(&list),
                    // '' in the list: col IS NOT NULL AND (col IS NULL OR col NOT IN rest)
                    "$not_in" if list.contains(&"") => {
                        let rest: Vec<&str> =
                            list.iter().copied().filter(|v| !v.is_empty()).collect();
                        if rest.is_empty() {
                            t(x.is_some())
                        } else {
                            and3(t(x.is_some()), or3(t(x.is_none()), not3(member(&rest))))
                        }
                    }
                    // col IS NULL OR col NOT IN (…)
                    "$not_in" => or3(t(x.is_none()), not3(member(&list))),
                    other => panic!("operator {other}"),
                }
            }
        }
    }

    fn arb_field() -> impl Strategy<Value = Field<'static>> {
        prop_oneof![Just("a"), Just("b")].prop_map(|p| Field {
            path: Cow::Borrowed(p),
            span: Span::default(),
            from_literal: false,
            ty: None,
        })
    }

    fn arb_value() -> impl Strategy<Value = Value<'static>> {
        prop_oneof![Just(""), Just("x"), Just("xy"), Just("y")].prop_map(|s| Value {
            literal: Literal::String(Cow::Borrowed(s)),
            span: Span::default(),
        })
    }

    fn arb_leaf() -> impl Strategy<Value = Cond<'static>> {
        let op = prop_oneof![
            Just(CmpOp::Eq),
            Just(CmpOp::Ne),
            Just(CmpOp::Lt),
            Just(CmpOp::Le),
            Just(CmpOp::Gt),
            Just(CmpOp::Ge)
        ];
        let kw = prop_oneof![Just("x"), Just("y")].prop_map(Cow::Borrowed);
        let pattern = prop_oneof![
            kw.clone().prop_map(LikePattern::StartsWith),
            kw.clone().prop_map(LikePattern::EndsWith),
            kw.prop_map(LikePattern::Contains),
        ];
        let span = Span::default();
        prop_oneof![
            (arb_field(), op, arb_value()).prop_map(move |(field, op, value)| Cond::Compare {
                field,
                op,
                value,
                span
            }),
            (arb_field(), pattern, any::<bool>()).prop_map(move |(field, pattern, negated)| {
                Cond::Like {
                    field,
                    pattern,
                    negated,
                    span,
                }
            }),
            (
                arb_field(),
                prop::collection::vec(arb_value(), 1..4),
                any::<bool>()
            )
                .prop_map(move |(field, values, negated)| Cond::In {
                    field,
                    values,
                    negated,
                    span
                }),
            (arb_field(), any::<bool>()).prop_map(move |(field, negated)| Cond::IsNull {
                field,
                negated,
                span
            }),
        ]
    }

    fn arb_cond() -> impl Strategy<Value = Cond<'static>> {
        arb_leaf().prop_recursive(4, 24, 3, |inner| {
            let span = Span::default();
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(move |operands| Cond::And { operands, span }),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(move |operands| Cond::Or { operands, span }),
                inner.prop_map(move |c| Cond::Not {
                    operand: Box::new(c),
                    span
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// On every row of two nullable columns, the request (read with
        /// Sugar's documented semantics) selects exactly the rows SQL's
        /// three-valued logic selects; refusals are only `B044`.
        #[test]
        fn requests_are_exact(cond in arb_cond()) {
            let q = ir::Query {
                lang: Lang::Kql,
                target: Some(Target::Sugarcrm),
                extended: true,
                object: ir::Name { name: Cow::Borrowed("Accounts"), span: Span::default() },
                selection: Selection::All { span: Span::default() },
                filter: Some(cond.clone()),
                order_by: Vec::new().into(),
                limit: None,
                offset: None,
                warnings: Vec::new(),
            };
            match lower(&q, &opts(true)) {
                Err(e) => {
                    let codes: Vec<&str> = e.iter().map(|e| e.code.as_str()).collect();
                    prop_assert!(codes.iter().all(|c| *c == "B044"), "{:?}", codes);
                }
                Ok((req, _)) => {
                    let text = req.to_string();
                    assert_json(&text);
                    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                    let items = v["filter"].as_array().expect("filter");
                    for a in VALUES {
                        for b in VALUES {
                            let row = [a, b];
                            let want = sql(&cond, &row) == T::True;
                            let got = items.iter().fold(T::True, |acc, i| and3(acc, sugar(i, &row))) == T::True;
                            prop_assert_eq!(got, want, "row {:?}: {}", row, text);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_sugar_code_is_described_and_in_range() {
        let ours: Vec<Code> = Code::ALL
            .iter()
            .copied()
            .filter(|c| c.as_str().starts_with("B0") && ("B040".."B060").contains(&c.as_str()))
            .collect();
        assert_eq!(ours.len(), 13);
        for c in ours {
            assert!(
                c.description().contains("sugarcrm"),
                "{c}: {}",
                c.description()
            );
        }
    }
}
