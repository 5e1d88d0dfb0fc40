//! Backend for Microsoft Dynamics 365 / Dataverse: [`ir::Query`] → an OData 4.0
//! Web API `GET` request ([`ODataRequest`]): entity set, `$select`, `$expand`,
//! `$filter`, `$orderby`, `$top`, headers and a client-side paging plan.
//!
//! Sources are the sections of `shared/research/dynamics-odata.md` (cited as
//! §n) and `shared/research/odata-oracles.md` §4 (cited as oracles §4).
//!
//! # Request
//!
//! - **Entity set** (§1): [`Options::entity_set`] when given; else the built-in
//!   map of standard tables, looked up by logical name (`account` → `accounts`,
//!   `usersettings` → `usersettingscollection`) or by entity-set name
//!   (`accounts` stays `accounts`), case-sensitively. An unknown name is a
//!   guess, with warning `B027`: the map entry whose name matches ignoring case
//!   (`Accounts` → `accounts`), else the English plural of the name
//!   (consonant+`y` → `ies`; `s x z ch sh` → `+es`; else `+s`; §1 calls this
//!   heuristic unreliable, hence the warning).
//! - **Query options** are emitted in the order `$select`, `$expand`,
//!   `$filter`, `$orderby`, `$top` (the order of the worked examples, §8), with
//!   the `$` prefix always written (§1: Dataverse is OData 4.0, option names are
//!   case-sensitive). [`ODataRequest::query`] holds the decoded values (all
//!   strings, `$top` too); [`ODataRequest::query_string`] the encoded form.
//! - **Encoding** (§4.1): each option value is percent-encoded as UTF-8 with
//!   `encodeURIComponent`'s set ([`URI_COMPONENT`]: everything but
//!   `A–Z a–z 0–9 - _ . ! ~ * ' ( )`), so a space is `%20`, `+` is `%2B`, `&`
//!   `%26`, `#` `%23`, `%` `%25`; names stay literal, pairs are joined by `&`.
//!   The decoded text is built first (quotes doubled, JSON escaped), then
//!   encoded once.
//! - **Headers** (§1): always `Accept: application/json`,
//!   `OData-MaxVersion: 4.0`, `OData-Version: 4.0`; `If-None-Match: null` when
//!   there is an `$expand` (§1: expanded collections are otherwise served from
//!   cache; without metadata a single-valued navigation property cannot be told
//!   from a collection-valued one, and the header is harmless for the former);
//!   `Prefer: odata.maxpagesize=N` when the client pages (below). Kept in an
//!   ordered map, so the JSON is deterministic.
//! - **URL length** (§6): the URL (`entity_set?query_string` plus
//!   [`SERVICE_ROOT_RESERVE`] characters for `https://<org>…/api/data/v9.2/`)
//!   must not exceed [`MAX_URL_LEN`] = 32,768 characters, else `B026`.
//!
//! # Names
//!
//! Every table, property and navigation-property name, and the
//! [`Options::entity_set`] / [`Options::primary_key`] options, are checked
//! before they are emitted: each `.`-separated segment must match
//! `[A-Za-z_][A-Za-z0-9_]*` and must not be an OData keyword (`and`, `or`,
//! `not`, `eq`, …, `null`, `true`, `false`, `INF`, `NaN`, `asc`, `desc`, `any`,
//! `all`; compared ignoring case) — else `B020` (`B021` for the options).
//! Case is kept as written: property logical names are lower case but
//! navigation property names are case-sensitive and may have capitals (§2), so
//! the grammar admits both and nothing is folded. A literal in the SELECT list
//! (`SELECT 'name'`) is checked like any name, so
//! `SELECT 'Id, (SELECT Id FROM Contacts)'` is rejected, never emitted.
//!
//! # Selection (§2)
//!
//! - `SELECT *` → no `$select` (every column).
//! - `a` → `$select=a`; a lookup column must be written as its `_a_value`
//!   property (a navigation property cannot be selected, §2).
//! - `nav.prop` → `$expand=nav($select=prop)`, grouped by navigation property in
//!   order of first appearance (`nav($select=p,q)`). Deeper paths (`a.b.c`)
//!   are rejected (`B022`): a nested `$expand` would return every column of the
//!   intermediate table, whose primary key we cannot name without metadata.
//! - More than 15 expanded navigation properties → `B025` (§2, §6).
//! - When only related properties are selected, `$select` is the primary key
//!   (below), so the main table does not return every column (§2: the key is
//!   always returned anyway).
//!
//! # Filter (§3)
//!
//! - `= != < <= > >=` → `eq ne lt le gt ge`; `AND`/`OR` → `and`/`or`. Every
//!   `and`/`or` group nested in another is parenthesised (§3.1 decision).
//! - `NOT (…)` → `not (…)`, always parenthesised, also around one comparison
//!   (`not (name eq 'x')`), since `not` binds tighter than `eq` (§3.1, oracles
//!   §4). Negation is folded where it is an identity under SQL's
//!   three-valued logic: `NOT (x LIKE p)` → `not contains(…)`,
//!   `NOT (x IN l)` → `NotIn`, `NOT (x IS NULL)` → `ne null`, `NOT NOT c` → `c`.
//! - `IS NULL` / `IS NOT NULL` → `eq null` / `ne null` (§3.1).
//! - `LIKE '%kw%'` / `'kw%'` / `'%kw'` → `contains` / `startswith` / `endswith`
//!   (§3.3); `NOT LIKE` → `not contains(…)` etc. (the call is atomic, so no
//!   parentheses are needed). Dataverse reads
//!   T-SQL wildcards inside these functions, so the keyword's `%` `_` `[` are
//!   written `[%]` `[_]` `[[]` (§3.3, WILD); `]`, `^`, `-` are literal there.
//! - `IN` / `NOT IN` → `Microsoft.Dynamics.CRM.In` / `NotIn(PropertyName='f',
//!   PropertyValues=["a","b"])`, never OData 4.01 `in` (§3.2). Every value is a
//!   JSON string (numbers as their decimal text, booleans `"true"`/`"false"`,
//!   dates and datetimes as ISO text), escaped `\\`, `\"`, and `\u00XX` for
//!   U+0000–U+001F and U+007F. Where the function cannot be used — a related
//!   property (`PropertyName` is an attribute of the queried table, §3.2) or a
//!   string longer than 850 characters (Unicode scalar values; §3.2 "Condition
//!   limits") — the list is
//!   written as `(f eq a or f eq b)` / `(f ne a and f ne b)`, which SQL defines
//!   to mean the same.
//! - A related property `nav.prop` in WHERE → the path `nav/prop` (§2).
//! - More than 500 conditions → `B024` (§3.2, §6). A comparison, `LIKE`,
//!   `IS NULL` or `In`/`NotIn` call counts one; a list written out counts one
//!   per value.
//!
//! **NULL.** KQL means SQL three-valued logic (grammar/decisions.md R29).
//! Whether Dataverse's `ne`, `NotIn`, `not contains(…)` and `not (…)` exclude
//! NULL rows as SQL does is unverified (§9.1, oracles §3), so the plain
//! operators are emitted: the translation assumes Dataverse's SQL-like
//! behaviour, and if Dataverse includes NULL rows the result is a superset.
//!
//! # Literals (§4)
//!
//! Strings `'…'` with `'` doubled; numbers as the validator's plain decimals;
//! `true`/`false`; dates unquoted `2024-12-31` (`Edm.Date`); datetimes unquoted
//! with their zone as written (`2018-02-23T03:05:45Z`, `…+02:00`). Dataverse
//! compares strings ignoring case (§3.1); the translation inherits that.
//!
//! # Order and paging (§5)
//!
//! `$orderby=f asc,g desc` (direction always written). A related property in
//! ORDER BY is rejected (`B023`, §2 decision). Dataverse has no `$skip`, so
//! `LIMIT`/`OFFSET` become a plan ([`ODataRequest::client_skip`],
//! [`ODataRequest::client_take`], `Prefer` header), with [`MAX_PAGE_SIZE`] = 5,000:
//!
//! 1. no OFFSET, LIMIT ≤ 5,000 → `$top=LIMIT`;
//! 2. no OFFSET, LIMIT > 5,000 or none → no `$top`,
//!    `Prefer: odata.maxpagesize=5000`, `client_take = LIMIT` (`None` without
//!    LIMIT: every page);
//! 3. OFFSET + LIMIT ≤ 5,000 → `$top=OFFSET+LIMIT`, `client_skip = OFFSET`;
//! 4. otherwise → no `$top`, `Prefer: odata.maxpagesize=LIMIT` when
//!    `OFFSET % LIMIT == 0` and LIMIT ≤ 5,000, else 5,000;
//!    `client_skip = OFFSET`, `client_take = LIMIT`.
//!
//! `OFFSET 0` is no offset. `LIMIT 0` → `$top=1` and `client_take = 0`: the
//! result is empty whatever the server does with it (some OData
//! implementations read `$top=0` as "no limit", oracles §5, and Dataverse's
//! reading is unverified), while the request is still checked by the server.
//! Whenever LIMIT (other than 0) or OFFSET (other than 0) is present, the primary key is appended to `$orderby` (`accountid
//! asc`) unless already a key, so pages are stable (§5, ORDPAGE). The primary
//! key is [`Options::primary_key`], else the built-in map (`account` →
//! `accountid`, activities such as `task` → `activityid`, `usersettings` →
//! `systemuserid`), else `<table>id` with warning `B028`.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use crate::ast::{CmpOp, Direction};
use crate::error::{Code, Error, Errors};
use crate::ir::{self, Cond, Field, LikePattern, Literal, Selection, Value};
use crate::span::Span;
use crate::Options;

/// The characters `encodeURIComponent` leaves alone are `A–Z a–z 0–9` and
/// `- _ . ! ~ * ' ( )`; everything else is percent-encoded (§4.1).
pub const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Longest GET URL Dataverse accepts, in characters (§6).
pub const MAX_URL_LEN: usize = 32_768;

/// Characters set aside for the service root
/// `https://<org>.<region>.dynamics.com/api/data/v9.2/`, which the library
/// does not know, when checking [`MAX_URL_LEN`].
pub const SERVICE_ROOT_RESERVE: usize = 256;

/// Most conditions in one query (§3.2, `TooManyConditionsInQuery`).
pub const MAX_CONDITIONS: usize = 500;

/// Most `$expand` options in one query (§2).
pub const MAX_EXPANDS: usize = 15;

/// Largest page Dataverse returns, and the largest `$top` emitted (§5).
pub const MAX_PAGE_SIZE: u64 = 5_000;

/// Longest string value `Microsoft.Dynamics.CRM.In`/`NotIn` accepts, in
/// characters (§3.2 "Condition limits").
pub const MAX_IN_VALUE_CHARS: usize = 850;

/// A Dataverse Web API `GET` request: `<service root>/<entity_set>?<query_string>`
/// with [`headers`](Self::headers), plus what the client must do with the rows.
///
/// Serialises as the `kql translate --format json` contract (inside
/// [`crate::Translation`], which adds `target` and `warnings`):
/// `{"entity_set", "query": {"$select", "$expand", "$filter", "$orderby",
/// "$top"}, "query_string", "headers", "client_skip", "client_take"}`.
///
/// `Display` prints the decoded `entity_set?$select=…&$filter=…` (no host, no
/// leading slash).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ODataRequest {
    /// The entity set: the resource path segment, e.g. `accounts`.
    pub entity_set: String,
    /// The query options, decoded (boxed: it is the bulk of the request, and
    /// keeps [`crate::Request`]'s variants of similar size).
    pub query: Box<QueryOptions>,
    /// The query options, percent-encoded and joined by `&`: exactly the bytes
    /// to send after `?` (empty when there is no option).
    pub query_string: String,
    /// Request headers, by name.
    pub headers: BTreeMap<String, String>,
    /// Rows the client drops from the start of the results (`OFFSET`); 0 when none.
    pub client_skip: u64,
    /// Rows the client keeps after skipping, following `@odata.nextLink` until
    /// it has them; `None` when the server's answer is already the result.
    pub client_take: Option<u64>,
}

/// Decoded OData system query options, in the order they are emitted. Each
/// value is the text before percent-encoding; absent options are `None` (and
/// left out of the JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueryOptions {
    /// `$select`: comma-separated property names.
    #[serde(rename = "$select", skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
    /// `$expand`: `nav($select=p,q),nav2($select=r)`.
    #[serde(rename = "$expand", skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
    /// `$filter`: the boolean expression.
    #[serde(rename = "$filter", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `$orderby`: `f asc,g desc`.
    #[serde(rename = "$orderby", skip_serializing_if = "Option::is_none")]
    pub orderby: Option<String>,
    /// `$top`: the row count, as decimal text.
    #[serde(rename = "$top", skip_serializing_if = "Option::is_none")]
    pub top: Option<String>,
}

impl QueryOptions {
    /// `(name, decoded value)` of each present option, in emission order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("$select", &self.select),
            ("$expand", &self.expand),
            ("$filter", &self.filter),
            ("$orderby", &self.orderby),
            ("$top", &self.top),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }

    /// The encoded query string: `name=value` pairs joined by `&`, each value
    /// percent-encoded with [`URI_COMPONENT`].
    pub fn encode(&self) -> String {
        let decoded: usize = self.pairs().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = String::with_capacity(decoded + decoded / 2);
        for (k, v) in self.pairs() {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            out.extend(utf8_percent_encode(v, URI_COMPONENT));
        }
        out
    }
}

impl fmt::Display for ODataRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entity_set)?;
        for (i, (k, v)) in self.query.pairs().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            f.write_str(k)?;
            f.write_str("=")?;
            f.write_str(v)?;
        }
        Ok(())
    }
}

/// Lowers a validated query to a Dataverse Web API request, with the
/// backend's warnings (`B027`, `B028`). Reports every problem found, not just
/// the first.
pub fn lower(q: &ir::Query<'_>, options: &Options) -> Result<(ODataRequest, Vec<Error>), Errors> {
    let mut l = Lowerer {
        q,
        options,
        errors: Vec::new(),
        warnings: Vec::new(),
        conditions: 0,
        table: None,
    };
    let request = l.request();
    match request {
        Some(r) if l.errors.is_empty() => Ok((r, l.warnings)),
        _ => {
            if l.errors.is_empty() {
                l.errors.push(Error::new(
                    Code::Internal,
                    q.object.span,
                    "the dynamics backend produced no request and no error",
                ));
            }
            l.errors.sort_by_key(|e| (e.span.start, e.span.end));
            let mut all = l.errors;
            all.extend(l.warnings);
            Err(Errors(all))
        }
    }
}

// ---- built-in table map ---------------------------------------------------

/// `(logical name, entity set name, primary key)` of standard tables, sorted
/// by logical name (§1, §5; TBL). Activities share the key `activityid`.
const TABLES: &[(&str, &str, &str)] = &[
    ("account", "accounts", "accountid"),
    ("accountleads", "accountleadscollection", "accountleadid"),
    ("activityparty", "activityparties", "activitypartyid"),
    ("activitypointer", "activitypointers", "activityid"),
    ("annotation", "annotations", "annotationid"),
    ("appointment", "appointments", "activityid"),
    ("businessunit", "businessunits", "businessunitid"),
    ("campaign", "campaigns", "campaignid"),
    ("campaignactivity", "campaignactivities", "activityid"),
    ("campaignresponse", "campaignresponses", "activityid"),
    ("competitor", "competitors", "competitorid"),
    ("connection", "connections", "connectionid"),
    ("contact", "contacts", "contactid"),
    ("contactleads", "contactleadscollection", "contactleadid"),
    ("contract", "contracts", "contractid"),
    ("email", "emails", "activityid"),
    ("fax", "faxes", "activityid"),
    ("goal", "goals", "goalid"),
    ("incident", "incidents", "incidentid"),
    ("invoice", "invoices", "invoiceid"),
    (
        "knowledgearticle",
        "knowledgearticles",
        "knowledgearticleid",
    ),
    ("lead", "leads", "leadid"),
    ("letter", "letters", "activityid"),
    ("list", "lists", "listid"),
    ("opportunity", "opportunities", "opportunityid"),
    (
        "opportunityproduct",
        "opportunityproducts",
        "opportunityproductid",
    ),
    ("organization", "organizations", "organizationid"),
    ("phonecall", "phonecalls", "activityid"),
    ("pricelevel", "pricelevels", "pricelevelid"),
    ("product", "products", "productid"),
    ("queue", "queues", "queueid"),
    ("quote", "quotes", "quoteid"),
    ("role", "roles", "roleid"),
    ("salesorder", "salesorders", "salesorderid"),
    ("socialactivity", "socialactivities", "activityid"),
    ("systemuser", "systemusers", "systemuserid"),
    ("task", "tasks", "activityid"),
    ("team", "teams", "teamid"),
    ("territory", "territories", "territoryid"),
    (
        "transactioncurrency",
        "transactioncurrencies",
        "transactioncurrencyid",
    ),
    ("usersettings", "usersettingscollection", "systemuserid"),
];

/// The built-in entry for a logical or entity-set name, exactly as written.
fn table_entry(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    TABLES
        .binary_search_by(|(logical, _, _)| (*logical).cmp(name))
        .ok()
        .and_then(|i| TABLES.get(i))
        .or_else(|| TABLES.iter().find(|(_, set, _)| *set == name))
}

/// The built-in entry whose logical or entity-set name matches ignoring case.
fn table_entry_ignoring_case(
    name: &str,
) -> Option<&'static (&'static str, &'static str, &'static str)> {
    TABLES.iter().find(|(logical, set, _)| {
        logical.eq_ignore_ascii_case(name) || set.eq_ignore_ascii_case(name)
    })
}

/// English plural of an ASCII name (§1's heuristic): consonant + `y` → `ies`;
/// `s x z ch sh` → `+es`; else `+s`.
fn pluralize(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 3);
    let lower = name.to_ascii_lowercase();
    if let Some(stem) = name.strip_suffix(['y', 'Y']) {
        let before = stem.chars().last().map(|c| c.to_ascii_lowercase());
        if before.is_some_and(|c| c.is_ascii_alphabetic() && !"aeiou".contains(c)) {
            out.push_str(stem);
            out.push_str("ies");
            return out;
        }
    }
    out.push_str(name);
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        out.push_str("es");
    } else {
        out.push('s');
    }
    out
}

// ---- identifiers ------------------------------------------------------------

/// Words an OData 4.0 expression parser reads as operators or literals
/// (URLCONV §5.1.1, ABNF), compared ignoring case.
const RESERVED: &[&str] = &[
    "add", "all", "and", "any", "asc", "desc", "div", "divby", "eq", "false", "ge", "gt", "has",
    "in", "inf", "le", "lt", "mod", "mul", "nan", "ne", "not", "null", "or", "sub", "true",
];

/// Why a name is not a Dataverse identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    Empty,
    Digit,
    Char(char),
    Keyword,
}

/// `None` when `s` matches `[A-Za-z_][A-Za-z0-9_]*` and is not a keyword.
fn ident_problem(s: &str) -> Option<Problem> {
    let mut chars = s.chars();
    let first = match chars.next() {
        None => return Some(Problem::Empty),
        Some(c) => c,
    };
    if first.is_ascii_digit() {
        return Some(Problem::Digit);
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Some(Problem::Char(first));
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Some(Problem::Char(c));
    }
    if RESERVED.iter().any(|k| k.eq_ignore_ascii_case(s)) {
        return Some(Problem::Keyword);
    }
    None
}

/// A name as shown in a one-line message: control characters escaped, long
/// names shortened.
fn shown(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::with_capacity(s.len().min(MAX * 4) + 3);
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn char_desc(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}` (U+{:04X})", c as u32)
    }
}

fn problem_text(name: &str, p: Problem) -> String {
    match p {
        Problem::Empty => "the name is empty".to_string(),
        Problem::Digit => "it starts with a digit".to_string(),
        Problem::Char(c) if !c.is_ascii() => format!(
            "it contains {}; only ASCII letters are allowed",
            char_desc(c)
        ),
        Problem::Char(c) => format!("it contains {}", char_desc(c)),
        Problem::Keyword => format!("`{}` is an OData keyword", shown(name)),
    }
}

const NAME_HELP: &str =
    "dynamics names are ASCII letters, digits and `_`, not starting with a digit, and not an OData keyword";

// ---- lowering ---------------------------------------------------------------

/// The resolved table: entity set and (lazily) primary key.
struct Table {
    entity_set: String,
    entry: Option<&'static (&'static str, &'static str, &'static str)>,
    primary_key: Option<String>,
}

struct Lowerer<'q, 'a, 'o> {
    q: &'q ir::Query<'a>,
    options: &'o Options,
    errors: Vec<Error>,
    warnings: Vec<Error>,
    /// Conditions written into `$filter` so far.
    conditions: usize,
    table: Option<Table>,
}

/// A leaf condition, with its negation folded in.
enum Leaf<'c, 'a> {
    Compare(&'c Field<'a>, CmpOp, &'c Value<'a>),
    Like(&'c Field<'a>, &'c LikePattern<'a>, bool),
    In(&'c Field<'a>, &'c [Value<'a>], bool),
    IsNull(&'c Field<'a>, bool),
}

impl<'q, 'a, 'o> Lowerer<'q, 'a, 'o> {
    fn request(&mut self) -> Option<ODataRequest> {
        self.resolve_table();
        let (select, expand) = self.selection();
        let filter = self.q.filter.as_ref().map(|c| {
            let src_len = c.span().end.saturating_sub(c.span().start);
            let mut out = String::with_capacity(src_len + src_len / 4 + 32);
            self.cond(&mut out, c, false);
            out
        });
        if self.conditions > MAX_CONDITIONS {
            let span = self
                .q
                .filter
                .as_ref()
                .map_or(self.q.object.span, Cond::span);
            self.errors.push(
                Error::new(
                    Code::DynamicsTooManyConditions,
                    span,
                    format!(
                        "the dynamics `$filter` has {} conditions, over dataverse's limit of {MAX_CONDITIONS}",
                        self.conditions
                    ),
                )
                .with_help("combine equality tests on one property into `IN (…)`, which counts as one condition"),
            );
        }
        let plan = self.plan();
        let orderby = self.order_by(plan.stable);
        let table = self.table.take()?;
        if !self.errors.is_empty() {
            return None;
        }
        let mut headers = BTreeMap::new();
        headers.insert("Accept".to_string(), "application/json".to_string());
        headers.insert("OData-MaxVersion".to_string(), "4.0".to_string());
        headers.insert("OData-Version".to_string(), "4.0".to_string());
        if expand.is_some() {
            headers.insert("If-None-Match".to_string(), "null".to_string());
        }
        if let Some(n) = plan.page_size {
            headers.insert("Prefer".to_string(), format!("odata.maxpagesize={n}"));
        }
        let query = QueryOptions {
            select,
            expand,
            filter,
            orderby,
            top: plan.top.map(|n| n.to_string()),
        };
        let query_string = query.encode();
        let question_mark = usize::from(!query_string.is_empty());
        let url_len =
            SERVICE_ROOT_RESERVE + table.entity_set.len() + question_mark + query_string.len();
        if url_len > MAX_URL_LEN {
            self.errors.push(
                Error::new(
                    Code::DynamicsUrlTooLong,
                    self.whole_span(),
                    format!("the dynamics request url is {url_len} characters, over dataverse's limit of {MAX_URL_LEN}"),
                )
                .with_help(format!(
                    "shorten long string literals or `IN` lists (the count includes {SERVICE_ROOT_RESERVE} characters for the service root)"
                )),
            );
            return None;
        }
        Some(ODataRequest {
            entity_set: table.entity_set,
            query: Box::new(query),
            query_string,
            headers,
            client_skip: plan.client_skip,
            client_take: plan.client_take,
        })
    }

    /// The span of everything the query mentions.
    fn whole_span(&self) -> Span {
        let q = self.q;
        let mut span = q.object.span;
        match &q.selection {
            Selection::All { span: s } => span = span.to(*s),
            Selection::Fields { fields } => {
                for f in fields {
                    span = span.to(f.span);
                }
            }
        }
        if let Some(c) = &q.filter {
            span = span.to(c.span());
        }
        for k in &q.order_by {
            span = span.to(k.field.span);
        }
        for c in [q.limit, q.offset].into_iter().flatten() {
            span = span.to(c.span);
        }
        span
    }

    // ---- names ----

    /// Checks one name; reports `B020` and returns `false` when invalid.
    fn check_name(&mut self, name: &str, construct: &str, span: Span, from_literal: bool) -> bool {
        let Some(p) = ident_problem(name) else {
            return true;
        };
        let help = if from_literal {
            "a literal in the SELECT list is read as a property name; write the property name itself".to_string()
        } else {
            NAME_HELP.to_string()
        };
        self.errors.push(
            Error::new(
                Code::DynamicsIdentifier,
                span,
                format!(
                    "invalid dynamics {construct} `{}`: {}",
                    shown(name),
                    problem_text(name, p)
                ),
            )
            .with_help(help),
        );
        false
    }

    /// Checks every segment of a property path; `true` when all are valid.
    fn check_field(&mut self, f: &Field<'_>) -> bool {
        let exact = !f.from_literal && f.path.len() == f.span.end.saturating_sub(f.span.start);
        let n = f.segments().count();
        let mut ok = true;
        let mut offset = f.span.start;
        for (i, seg) in f.segments().enumerate() {
            let span = if exact {
                Span::new(offset, offset + seg.len())
            } else {
                f.span
            };
            let construct = if i + 1 < n {
                "navigation property name"
            } else {
                "property name"
            };
            ok &= self.check_name(seg, construct, span, f.from_literal);
            offset += seg.len() + 1;
        }
        ok
    }

    /// Checks a name from the trusted options (`B021`).
    fn check_option(&mut self, value: &str, what: &str, flag: &str) -> bool {
        let Some(p) = ident_problem(value) else {
            return true;
        };
        self.errors.push(
            Error::new(
                Code::DynamicsOption,
                self.q.object.span,
                format!(
                    "invalid dynamics {what} option `{}`: {}",
                    shown(value),
                    problem_text(value, p)
                ),
            )
            .with_help(format!(
                "set `{flag}` to a Dataverse name such as `accounts`; {NAME_HELP}"
            )),
        );
        false
    }

    /// Resolves the entity set and checks the name options; leaves
    /// `self.table` empty after an error.
    fn resolve_table(&mut self) {
        let object = &self.q.object;
        let name: &str = &object.name;
        let options = self.options;
        let name_ok = self.check_name(name, "table name", object.span, false);
        let set_ok = options.entity_set.as_deref().map_or(true, |v| {
            self.check_option(v, "entity set", "Options::entity_set")
        });
        let pk_ok = options.primary_key.as_deref().map_or(true, |v| {
            self.check_option(v, "primary key", "Options::primary_key")
        });
        if !(set_ok && pk_ok) {
            return;
        }
        let entry = table_entry(name);
        let entity_set = match &options.entity_set {
            Some(set) => set.clone(),
            None if !name_ok => return,
            None => match entry {
                Some((_, set, _)) => (*set).to_string(),
                None => {
                    let (guess, help) = match table_entry_ignoring_case(name) {
                        Some((logical, set, _)) => (
                            (*set).to_string(),
                            format!(
                                "names are case-sensitive: the built-in map has `{logical}` → `{set}`; or set the entity set (`Options::entity_set`, `--entity-set`)"
                            ),
                        ),
                        None => (
                            pluralize(name),
                            "set the entity set (`Options::entity_set`, `--entity-set`) to the table's EntitySetName"
                                .to_string(),
                        ),
                    };
                    self.warnings.push(
                        Error::new(
                            Code::DynamicsEntitySetGuessed,
                            object.span,
                            format!("dynamics entity set of table `{name}` is not known; guessed `{guess}`"),
                        )
                        .with_help(help),
                    );
                    guess
                }
            },
        };
        let entry = entry.or_else(|| {
            table_entry_ignoring_case(name).filter(|_| self.options.entity_set.is_none())
        });
        self.table = Some(Table {
            entity_set,
            entry,
            primary_key: None,
        });
    }

    /// The primary key (resolved once; `None` after an error).
    fn primary_key(&mut self) -> Option<String> {
        let table = self.table.as_ref()?;
        if let Some(pk) = &table.primary_key {
            return Some(pk.clone());
        }
        let entry = table.entry;
        let pk = match &self.options.primary_key {
            // checked in `resolve_table`
            Some(pk) => pk.clone(),
            None => match entry {
                Some((_, _, pk)) => (*pk).to_string(),
                None => {
                    let name: &str = &self.q.object.name;
                    let guess = format!("{name}id");
                    self.warnings.push(
                        Error::new(
                            Code::DynamicsPrimaryKeyGuessed,
                            self.q.object.span,
                            format!("dynamics primary key of table `{name}` is not known; guessed `{guess}`"),
                        )
                        .with_help("set it (`Options::primary_key`, `--primary-key`): it orders pages and stands in for an empty `$select`"),
                    );
                    guess
                }
            },
        };
        if let Some(t) = self.table.as_mut() {
            t.primary_key = Some(pk.clone());
        }
        Some(pk)
    }

    // ---- selection ----

    /// `($select, $expand)`.
    fn selection(&mut self) -> (Option<String>, Option<String>) {
        let fields = match &self.q.selection {
            Selection::All { .. } => return (None, None),
            Selection::Fields { fields } => fields,
        };
        let mut select = String::with_capacity(fields.iter().map(|f| f.path.len() + 1).sum());
        // (navigation property, its selected properties, first span)
        let mut navs: Vec<(&str, Vec<&str>, Span)> = Vec::new();
        for f in fields {
            let ok = self.check_field(f);
            let mut segs = f.segments();
            let (first, second, third) = (segs.next(), segs.next(), segs.next());
            match (first, second, third) {
                (Some(name), None, _) if ok => {
                    if !select.is_empty() {
                        select.push(',');
                    }
                    select.push_str(name);
                }
                (Some(nav), Some(prop), None) if ok => {
                    match navs.iter_mut().find(|(n, ..)| *n == nav) {
                        Some((_, props, _)) => props.push(prop),
                        None => navs.push((nav, vec![prop], f.span)),
                    }
                }
                (_, Some(_), Some(_)) => {
                    self.errors.push(
                        Error::new(
                            Code::DynamicsSelectPath,
                            f.span,
                            format!(
                                "dynamics cannot select `{}`: only one navigation level (`navigation.property`) is supported",
                                shown(&f.path)
                            ),
                        )
                        .with_help("select `navigation.property` and query the related table separately for deeper levels"),
                    );
                }
                _ => {}
            }
        }
        if navs.is_empty() {
            return (Some(select), None);
        }
        if let Some((_, _, span)) = navs.get(MAX_EXPANDS) {
            self.errors.push(
                Error::new(
                    Code::DynamicsTooManyExpands,
                    *span,
                    format!(
                        "the dynamics `$expand` has {} navigation properties, over dataverse's limit of {MAX_EXPANDS}",
                        navs.len()
                    ),
                )
                .with_help(format!("select properties of at most {MAX_EXPANDS} related tables")),
            );
        }
        if select.is_empty() {
            if let Some(pk) = self.primary_key() {
                select.push_str(&pk);
            }
        }
        let mut expand = String::with_capacity(
            navs.iter()
                .map(|(n, p, _)| n.len() + 10 + p.iter().map(|s| s.len() + 1).sum::<usize>())
                .sum(),
        );
        for (i, (nav, props, _)) in navs.iter().enumerate() {
            if i > 0 {
                expand.push(',');
            }
            expand.push_str(nav);
            expand.push_str("($select=");
            for (j, p) in props.iter().enumerate() {
                if j > 0 {
                    expand.push(',');
                }
                expand.push_str(p);
            }
            expand.push(')');
        }
        ((!select.is_empty()).then_some(select), Some(expand))
    }

    // ---- filter ----

    /// Writes `c`; `nested` when it is an operand of `and`/`or`/`not`, so a
    /// group must be parenthesised.
    fn cond(&mut self, out: &mut String, c: &Cond<'a>, nested: bool) {
        match c {
            Cond::And { operands, .. } | Cond::Or { operands, .. } => {
                let sep = if matches!(c, Cond::And { .. }) {
                    " and "
                } else {
                    " or "
                };
                if nested {
                    out.push('(');
                }
                for (i, o) in operands.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    self.cond(out, o, true);
                }
                if nested {
                    out.push(')');
                }
            }
            Cond::Not { operand, .. } => match operand.as_ref() {
                Cond::Not { operand: inner, .. } => self.cond(out, inner, nested),
                Cond::Like {
                    field,
                    pattern,
                    negated,
                    ..
                } => self.leaf(out, Leaf::Like(field, pattern, !negated), nested),
                Cond::In {
                    field,
                    values,
                    negated,
                    ..
                } => self.leaf(out, Leaf::In(field, values, !negated), nested),
                Cond::IsNull { field, negated, .. } => {
                    self.leaf(out, Leaf::IsNull(field, !negated), nested)
                }
                other @ (Cond::Compare { .. } | Cond::And { .. } | Cond::Or { .. }) => {
                    out.push_str("not (");
                    self.cond(out, other, false);
                    out.push(')');
                }
            },
            Cond::Compare {
                field, op, value, ..
            } => self.leaf(out, Leaf::Compare(field, *op, value), nested),
            Cond::Like {
                field,
                pattern,
                negated,
                ..
            } => self.leaf(out, Leaf::Like(field, pattern, *negated), nested),
            Cond::In {
                field,
                values,
                negated,
                ..
            } => self.leaf(out, Leaf::In(field, values, *negated), nested),
            Cond::IsNull { field, negated, .. } => {
                self.leaf(out, Leaf::IsNull(field, *negated), nested)
            }
        }
    }

    fn leaf(&mut self, out: &mut String, leaf: Leaf<'_, 'a>, nested: bool) {
        let field = match &leaf {
            Leaf::Compare(f, ..) | Leaf::Like(f, ..) | Leaf::In(f, ..) | Leaf::IsNull(f, ..) => *f,
        };
        if !self.check_field(field) {
            return;
        }
        match leaf {
            Leaf::Compare(field, op, value) => {
                self.conditions += 1;
                push_path(out, field);
                out.push_str(match op {
                    CmpOp::Eq => " eq ",
                    CmpOp::Ne => " ne ",
                    CmpOp::Lt => " lt ",
                    CmpOp::Le => " le ",
                    CmpOp::Gt => " gt ",
                    CmpOp::Ge => " ge ",
                });
                push_literal(out, &value.literal);
            }
            Leaf::IsNull(field, negated) => {
                self.conditions += 1;
                push_path(out, field);
                out.push_str(if negated { " ne null" } else { " eq null" });
            }
            Leaf::Like(field, pattern, negated) => {
                self.conditions += 1;
                if negated {
                    out.push_str("not ");
                }
                out.push_str(match pattern {
                    LikePattern::StartsWith(_) => "startswith(",
                    LikePattern::EndsWith(_) => "endswith(",
                    LikePattern::Contains(_) => "contains(",
                });
                push_path(out, field);
                out.push(',');
                push_like_string(out, pattern.text());
                out.push(')');
            }
            Leaf::In(field, values, negated) => {
                let long = values.iter().any(
                    |v| matches!(&v.literal, Literal::String(s) if s.len() > MAX_IN_VALUE_CHARS && s.chars().count() > MAX_IN_VALUE_CHARS),
                );
                if field.is_path() || long {
                    self.in_as_comparisons(out, field, values, negated, nested);
                    return;
                }
                self.conditions += 1;
                out.push_str(if negated {
                    "Microsoft.Dynamics.CRM.NotIn(PropertyName='"
                } else {
                    "Microsoft.Dynamics.CRM.In(PropertyName='"
                });
                push_path(out, field);
                out.push_str("',PropertyValues=[");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_value(out, &v.literal);
                }
                out.push_str("])");
            }
        }
    }

    /// `(f eq a or f eq b)` / `(f ne a and f ne b)`: SQL's definition of
    /// `IN` / `NOT IN`, for when the query function cannot be used.
    fn in_as_comparisons(
        &mut self,
        out: &mut String,
        field: &Field<'a>,
        values: &[Value<'a>],
        negated: bool,
        nested: bool,
    ) {
        let (op, sep) = if negated {
            (" ne ", " and ")
        } else {
            (" eq ", " or ")
        };
        let group = nested && values.len() > 1;
        if group {
            out.push('(');
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            self.conditions += 1;
            push_path(out, field);
            out.push_str(op);
            push_literal(out, &v.literal);
        }
        if group {
            out.push(')');
        }
    }

    // ---- order and paging ----

    fn order_by(&mut self, stable: bool) -> Option<String> {
        let keys = &self.q.order_by;
        let mut out =
            String::with_capacity(keys.iter().map(|k| k.field.path.len() + 6).sum::<usize>() + 24);
        let mut written = Vec::with_capacity(keys.len());
        for k in keys {
            if k.field.is_path() {
                self.check_field(&k.field);
                self.errors.push(
                    Error::new(
                        Code::DynamicsOrderByPath,
                        k.field.span,
                        format!("dynamics cannot sort by the related property `{}`", shown(&k.field.path)),
                    )
                    .with_help("sort by a property of the queried table: ordering by related-table columns is a Dataverse query anti-pattern"),
                );
                continue;
            }
            if !self.check_field(&k.field) {
                continue;
            }
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&k.field.path);
            out.push_str(match k.direction {
                Direction::Asc => " asc",
                Direction::Desc => " desc",
            });
            written.push(&*k.field.path);
        }
        if stable {
            if let Some(pk) = self.primary_key() {
                if !written.contains(&pk.as_str()) {
                    if !out.is_empty() {
                        out.push(',');
                    }
                    out.push_str(&pk);
                    out.push_str(" asc");
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// The paging plan of §5.
    fn plan(&self) -> Plan {
        let limit = self.q.limit.map(|c| c.value);
        let offset = self.q.offset.map(|c| c.value).filter(|&o| o > 0);
        let mut p = Plan {
            top: None,
            page_size: None,
            client_skip: 0,
            client_take: None,
            stable: true,
        };
        match (limit, offset) {
            (Some(0), _) => {
                p.top = Some(1);
                p.client_take = Some(0);
                p.stable = false;
            }
            // rule 1
            (Some(l), None) if l <= MAX_PAGE_SIZE => p.top = Some(l),
            // rule 2
            (Some(l), None) => {
                p.page_size = Some(MAX_PAGE_SIZE);
                p.client_take = Some(l);
            }
            (None, None) => {
                p.page_size = Some(MAX_PAGE_SIZE);
                p.stable = false;
            }
            // rule 3
            (Some(l), Some(o)) if o.checked_add(l).is_some_and(|n| n <= MAX_PAGE_SIZE) => {
                p.top = Some(o + l);
                p.client_skip = o;
            }
            // rule 4
            (l, Some(o)) => {
                p.page_size = Some(match l {
                    Some(l) if l <= MAX_PAGE_SIZE && o % l == 0 => l,
                    _ => MAX_PAGE_SIZE,
                });
                p.client_skip = o;
                p.client_take = l;
            }
        }
        p
    }
}

/// What the server is asked for and what the client does with the rows.
struct Plan {
    top: Option<u64>,
    page_size: Option<u64>,
    client_skip: u64,
    client_take: Option<u64>,
    /// Append the primary key to `$orderby`.
    stable: bool,
}

// ---- literals -----------------------------------------------------------------

/// An OData string literal: `'…'` with `'` doubled (§4).
fn push_odata_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(part);
    }
    out.push('\'');
}

/// The search text of `contains`/`startswith`/`endswith`: T-SQL wildcards
/// bracketed (`%` → `[%]`, `_` → `[_]`, `[` → `[[]`, §3.3), then quoted.
fn push_like_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    let mut from = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '\'' => "''",
            '%' => "[%]",
            '_' => "[_]",
            '[' => "[[]",
            _ => continue,
        };
        out.push_str(s.get(from..i).unwrap_or_default());
        out.push_str(esc);
        from = i + 1;
    }
    out.push_str(s.get(from..).unwrap_or_default());
    out.push('\'');
}

/// A checked property path with `/` between segments (§2).
fn push_path(out: &mut String, f: &Field<'_>) {
    for (i, seg) in f.segments().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(seg);
    }
}

/// A typed literal in `$filter` (§4).
fn push_literal(out: &mut String, l: &Literal<'_>) {
    match l {
        Literal::String(s) => push_odata_string(out, s),
        Literal::Number(n) => out.push_str(n),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Date(d) => push_display(out, d),
        Literal::DateTime(dt) => {
            let _ = dt.write_iso(out, true);
        }
    }
}

fn push_display(out: &mut String, v: &impl fmt::Display) {
    use fmt::Write as _;
    let _ = write!(out, "{v}");
}

/// A `PropertyValues` element: a JSON string (§3.2).
fn push_json_value(out: &mut String, l: &Literal<'_>) {
    out.push('"');
    match l {
        Literal::String(s) => push_json_text(out, s),
        Literal::Number(n) => out.push_str(n),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Date(d) => push_display(out, d),
        Literal::DateTime(dt) => {
            let _ = dt.write_iso(out, true);
        }
    }
    out.push('"');
}

/// JSON string content: `\` → `\\`, `"` → `\"`, U+0000–U+001F and U+007F →
/// `\u00XX`.
fn push_json_text(out: &mut String, s: &str) {
    let mut from = 0;
    for (i, c) in s.char_indices() {
        if !(c == '"' || c == '\\' || c < ' ' || c == '\u{7f}') {
            continue;
        }
        out.push_str(s.get(from..i).unwrap_or_default());
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => {
                let b = c as u32;
                out.push_str("\\u00");
                out.push(char::from_digit((b >> 4) & 0xf, 16).unwrap_or('0'));
                out.push(char::from_digit(b & 0xf, 16).unwrap_or('0'));
            }
        }
        from = i + 1;
    }
    out.push_str(s.get(from..).unwrap_or_default());
}
