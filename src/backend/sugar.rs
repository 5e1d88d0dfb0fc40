//! Backend for SugarCRM: [`ir::Query`] → [`SugarRequest`], the module and
//! the JSON body of `POST /rest/v11/<Module>/filter`.
//!
//! Sources: the SugarCRM filter research (`research/sugarcrm-filter.md`,
//! cited as §n) and the Sugar 13 server code it names (FA13 `FilterApi.php`,
//! WHERE13 `SugarQuery/Builder/Where.php`, TD13 `TimeDate.php`, DT13
//! `SugarFieldDatetime.php`).
//!
//! # The body
//!
//! * Keys in a fixed order: `filter`, `fields`, `order_by`, `max_num`,
//!   `offset`; a key is omitted when the query has nothing for it (§1 body
//!   arguments). The body is written once, as compact JSON, into one
//!   pre-sized `String`; [`SugarBody`] serialises it verbatim.
//! * `fields` is a comma string, omitted for `SELECT *` (§1, §8 rule 11).
//! * `order_by` is a string `"a:asc,b:desc"`, the direction always written
//!   because Sugar 7.1 reads a missing one as DESC (§1, §8 rule 9).
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
//! `NOT LIKE` for sugarcrm (`S018`, also checked here, since an IR validated
//! for no target can reach this backend). In extended mode NOT is pushed
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

use crate::ast::{CmpOp, Direction};
use crate::error::{Code, Error, Errors};
use crate::ir::{self, Cond, Field, FieldType, LikePattern, Literal, Selection, Value};
use crate::span::Span;
use crate::{Lang, Options};

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
pub fn lower(q: &ir::Query<'_>, options: &Options) -> Result<(SugarRequest, Vec<Error>), Errors> {
    let mut l = Lowerer {
        out: String::with_capacity(estimate(q)),
        errors: Vec::new(),
        warnings: Vec::new(),
        extended: q.extended || options.extended,
        too_deep: false,
        too_nested: false,
    };
    if q.lang != Lang::Kql {
        l.errors.push(
            Error::new(
                Code::LangTarget,
                q.object.span,
                format!("{} is not supported by sugarcrm", q.lang),
            )
            .with_help("DQL compiles to dynamics only; write KQL for salesforce and sugarcrm"),
        );
    }
    l.module(&q.object);
    l.out.push('{');
    if let Some(filter) = &q.filter {
        l.key("filter");
        l.out.push('[');
        l.cond(filter, false, Group::And, At::default());
        l.out.push(']');
    }
    l.fields(&q.selection);
    l.order_by(&q.order_by);
    let mut client_take = None;
    if let Some(limit) = q.limit {
        if limit.value == 0 {
            client_take = Some(0);
            l.key("max_num");
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
            l.key("max_num");
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
            l.key("offset");
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

/// A rough size of the body, so that it is written without reallocating.
fn estimate(q: &ir::Query<'_>) -> usize {
    let mut n = 64;
    if let Selection::Fields { fields } = &q.selection {
        n += fields.iter().map(|f| f.path.len() + 1).sum::<usize>();
    }
    n += q
        .order_by
        .iter()
        .map(|k| k.field.path.len() + 6)
        .sum::<usize>();
    let mut stack: Vec<&Cond<'_>> = q.filter.iter().collect();
    while let Some(c) = stack.pop() {
        n += match c {
            Cond::And { operands, .. } | Cond::Or { operands, .. } => {
                stack.extend(operands);
                12
            }
            Cond::Not { operand, .. } => {
                stack.push(operand);
                0
            }
            Cond::Compare { field, value, .. } => 24 + field.path.len() + value_len(value),
            Cond::Like { field, pattern, .. } => 56 + 2 * field.path.len() + pattern.text().len(),
            Cond::In { field, values, .. } => {
                56 + 2 * field.path.len() + values.iter().map(value_len).sum::<usize>()
            }
            Cond::IsNull { field, .. } => 24 + field.path.len(),
        };
    }
    n
}

fn value_len(v: &Value<'_>) -> usize {
    match &v.literal {
        Literal::String(s) => s.len() + 3,
        Literal::Number(s) => s.len() + 1,
        Literal::Bool(_) => 6,
        Literal::Date(_) => 13,
        Literal::DateTime(_) => 28,
    }
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
    extended: bool,
    /// `B045` was reported.
    too_deep: bool,
    /// The recursion guard was reported.
    too_nested: bool,
}

impl Lowerer {
    // ---- names -------------------------------------------------------------

    fn module(&mut self, object: &ir::Name<'_>) {
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

    /// A field of the SELECT list or of `ORDER BY`: an own-module field.
    fn own_field(&mut self, f: &Field<'_>, clause: &str) {
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

    fn key(&mut self, key: &str) {
        if !self.out.ends_with('{') {
            self.out.push(',');
        }
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn u64(&mut self, n: u64) {
        let _ = write!(self.out, "{n}");
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
        self.key("fields");
        self.out.push('"');
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                self.out.push(',');
            }
            self.own_field(f, "the SELECT list");
            json_str_body(&mut self.out, &f.path);
        }
        self.out.push('"');
    }

    fn order_by(&mut self, keys: &[ir::OrderKey<'_>]) {
        if keys.is_empty() {
            return;
        }
        self.key("order_by");
        self.out.push('"');
        for (k, key) in keys.iter().enumerate() {
            if k > 0 {
                self.out.push(',');
            }
            self.own_field(&key.field, "`ORDER BY`");
            json_str_body(&mut self.out, &key.field.path);
            self.out.push_str(match key.direction {
                Direction::Asc => ":asc",
                Direction::Desc => ":desc",
            });
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
        if inner.groups > MAX_GROUP_DEPTH && !self.too_deep {
            self.too_deep = true;
            self.errors.push(
                Error::new(
                    Code::SugarTooDeep,
                    span,
                    format!("sugarcrm takes at most {MAX_GROUP_DEPTH} nested `$and`/`$or` groups; this condition needs more"),
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
            Cond::Not { operand, span } => {
                if !self.extended {
                    self.errors.push(
                        Error::new(Code::SugarNot, *span, "sugarcrm does not support `NOT (…)`")
                            .with_help("use `!=`, `NOT IN` or `IS NOT NULL`, or turn on extended mode to push NOT down where exact"),
                    );
                }
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
                    && field.ty.map_or(true, |t| t == FieldType::Number)
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
                if *negated && !self.extended {
                    self.errors.push(
                        Error::new(
                            Code::SugarNot,
                            *span,
                            "sugarcrm does not support `NOT LIKE`",
                        )
                        .with_help(
                            "turn on extended mode to write `NOT LIKE '%kw%'` as `$not_contains`",
                        ),
                    );
                }
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
                    self.value_check(v);
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
                let mut first = true;
                for v in values
                    .iter()
                    .filter(|v| !(drop_empty && is_empty_string(v)))
                {
                    if !first {
                        self.out.push(',');
                    }
                    first = false;
                    self.value(v);
                }
                self.out.push(']');
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
        if let Some(c) = text.chars().find(|c| matches!(c, '%' | '_' | '\\' | '[')) {
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
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
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

/// User text for a one-line message: at most 40 characters, control and
/// invisible characters as `\u{…}`.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::with_capacity(s.len().min(MAX * 4) + 3);
    for (k, c) in s.chars().enumerate() {
        if k == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || (!c.is_ascii() && !c.is_alphanumeric()) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
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
    int_ok
        && frac.map_or(true, |f| {
            !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())
        })
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

/// Writes `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    json_str_body(out, s);
    out.push('"');
}

/// Writes the inside of a JSON string, escaped as `serde_json` does: `"`,
/// `\`, `\b` `\f` `\n` `\r` `\t`, other control characters as `\u00XX`.
/// Text without any of them is copied in one piece.
fn json_str_body(out: &mut String, s: &str) {
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

