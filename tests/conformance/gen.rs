//! A seeded generator of KQL/DQL query text over a fixture's columns.
//!
//! It covers the whole KQL subset — SELECT lists (with aliases, literals and
//! repeats now and then) or `*`, comparisons of every operator and literal type
//! (including `<>`, numbers in exponent form and literals on the left in
//! extended mode), the three LIKE forms and NOT LIKE, IN / NOT IN, IS [NOT]
//! NULL, AND / OR / NOT with parentheses, ORDER BY with and without
//! directions, LIMIT and OFFSET — with adversarial literals drawn from the
//! fixture (quotes, backslashes, `%` `_` `[`, `&` `#` `+`, `$`-prefixed and
//! non-ASCII text). What a language × target × mode does not allow is left
//! out, so that the front end accepts every generated query (a rejection by
//! the front end fails the run: it would mean the generator is wrong).
//!
//! Negations land on nullable columns as often as on any other: every query is
//! checked under both NULL models (README.md), so nothing is steered around
//! the two-valued targets. Design rules for the oracles (README.md):
//! salesforce LIKE text has no backslash (open-soql
//! does not match an escaped backslash), datetime literals have no
//! fraction (open-soql cannot parse one) and no IN list holds datetimes
//! (open-soql compares those as text).

use std::fmt::Write as _;

use kql::{Lang, Target};
use serde_json::Value;

use crate::fixtures::{Column, Fixture, Kind, Rng, STRINGS};

/// What the generator may use.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    pub lang: Lang,
    pub target: Target,
    pub extended: bool,
}

pub struct Gen<'f> {
    fx: &'f Fixture,
    p: Profile,
    rng: Rng,
    /// How many `NOT`s enclose the predicate being generated.
    nots: usize,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl<'f> Gen<'f> {
    pub fn new(fx: &'f Fixture, p: Profile, seed: u64) -> Self {
        Gen {
            fx,
            p,
            rng: Rng::new(seed),
            nots: 0,
        }
    }

    fn documented_dql(&self) -> bool {
        self.p.lang == Lang::Dql && !self.p.extended
    }

    fn sugar_doc(&self) -> bool {
        self.p.target == Target::Sugarcrm && !self.p.extended
    }

    /// Columns of these kinds. Nullable ones are drawn three times as often,
    /// so that most predicates, negated or not, meet NULLs.
    fn columns(&mut self, kinds: &[Kind]) -> Vec<&'f Column> {
        self.fx
            .columns
            .iter()
            .filter(|c| kinds.contains(&c.kind))
            .flat_map(|c| std::iter::repeat_n(c, if c.nullable { 3 } else { 1 }))
            .collect()
    }

    fn value_of(&mut self, c: &Column) -> Option<Value> {
        for _ in 0..8 {
            let r = self.rng.below(self.fx.rows.len());
            if let Some(v) = self.fx.rows[r].get(c.name) {
                if !v.is_null() {
                    return Some(v.clone());
                }
            }
        }
        None
    }

    fn string_lit(&mut self, c: &Column) -> String {
        let mut s = self.rng.pick(STRINGS).to_string();
        if self.rng.chance(70) {
            if let Some(Value::String(v)) = self.value_of(c) {
                s = v;
            }
        }
        // A quoted ISO date or datetime is a date literal in KQL (R19): against a
        // text column that is a type mismatch the CRM rejects. Not generated.
        if s.len() >= 10
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[7] == b'-'
            && s[..4].bytes().all(|b| b.is_ascii_digit())
        {
            s = format!("x{s}");
        }
        s
    }

    fn number_lit(&mut self, c: &Column) -> String {
        let base = match self.value_of(c) {
            Some(Value::Number(n)) => n.to_string(),
            _ => "7".to_string(),
        };
        match self.rng.below(8) {
            0 => "0".into(),
            1 => "-12.5".into(),
            2 if base.contains('.') || base.len() < 12 => {
                // the same value in exponent form: 1234.5 → 12.345e2
                let neg = base.starts_with('-');
                let digits = base.trim_start_matches('-');
                let (i, f) = digits.split_once('.').unwrap_or((digits, ""));
                if i.len() >= 2 {
                    let (hi, lo) = i.split_at(i.len() - 2);
                    format!("{}{hi}.{lo}{f}e2", if neg { "-" } else { "" })
                } else {
                    base
                }
            }
            3 if !base.contains('.') => format!("{base}.0"),
            4 => {
                let v: f64 = base.parse().unwrap_or(0.0);
                format!("{}", (v + 0.5).round())
            }
            _ => base,
        }
    }

    fn datetime_lit(&mut self, c: &Column) -> String {
        let base = match self.value_of(c) {
            Some(Value::String(s)) => s,
            _ => "2024-01-15T10:30:00Z".into(),
        };
        let mut s = base;
        if let Some(p) = s.find('.') {
            // keep or drop the fraction
            let end = s[p..].find(['Z', '+', '-']).map_or(s.len(), |e| p + e);
            if self.p.target != Target::Dynamics || self.rng.chance(50) {
                s.replace_range(p..end, "");
            }
        } else if self.p.target != Target::Salesforce
            && self.rng.chance(if self.p.target == Target::Sugarcrm {
                3
            } else {
                20
            })
        {
            let at = 19.min(s.len());
            s.insert_str(at, ".5");
        }
        if self.rng.chance(30) {
            // the same instant written at another offset is not attempted; just vary the zone
            let zone_at = s
                .rfind(['Z', '+', '-'])
                .filter(|&i| i > 18)
                .unwrap_or(s.len());
            s.truncate(zone_at);
            const ZONES: [&str; 4] = ["Z", "+00:00", "+05:30", "-08:00"];
            let zone = ZONES[self.rng.below(ZONES.len())];
            s.push_str(zone);
        }
        s
    }

    fn date_lit(&mut self, c: &Column) -> String {
        match self.value_of(c) {
            Some(Value::String(s)) if self.rng.chance(80) => s,
            _ => "2023-06-15".into(),
        }
    }

    fn literal(&mut self, c: &Column) -> String {
        match c.kind {
            Kind::Key | Kind::Str => quote(&self.string_lit(c)),
            Kind::Int | Kind::Dec => self.number_lit(c),
            Kind::Bool => if self.rng.chance(50) { "TRUE" } else { "FALSE" }.into(),
            Kind::Date => quote(&self.date_lit(c)),
            Kind::DateTime => quote(&self.datetime_lit(c)),
        }
    }

    fn like_text(&mut self, c: &Column) -> String {
        // Now and then a text whose `[` would be a T-SQL character class if the
        // dynamics backend did not escape it (the fixtures hold look-alikes).
        if self.p.target == Target::Dynamics && self.rng.chance(15) {
            const BRACKETY: [&str; 6] = ["[b]c", "a[b]", "[x]", "[bracket]", "[b", "c]"];
            return BRACKETY[self.rng.below(BRACKETY.len())].to_string();
        }
        let s = self.string_lit(c);
        let chars: Vec<char> = s.chars().collect();
        let text: String = if chars.is_empty() {
            "a".into()
        } else {
            let a = self.rng.below(chars.len());
            let len = 1 + self.rng.below((chars.len() - a).min(6));
            chars[a..a + len].iter().collect()
        };
        let mut t: String = text.chars().filter(|ch| *ch != '%' && *ch != '_').collect();
        if self.p.target == Target::Salesforce {
            t.retain(|ch| ch != '\\');
        }
        if self.p.target == Target::Sugarcrm && !self.rng.chance(3) {
            t.retain(|ch| ch != '\\'); // a backslash is a B rejection on sugarcrm: now and then only
        }
        if t.is_empty() {
            "k".into()
        } else {
            t
        }
    }

    fn atom(&mut self, out: &mut String) {
        let all = [
            Kind::Key,
            Kind::Str,
            Kind::Int,
            Kind::Dec,
            Kind::Bool,
            Kind::Date,
            Kind::DateTime,
        ];
        let doc_dql = self.documented_dql();
        let choice = if doc_dql {
            self.rng.below(2)
        } else {
            self.rng.below(10)
        };
        match choice {
            // comparison
            0 | 2 | 3 | 4 => {
                let ops = ["=", "!=", "<>", "<", "<=", ">", ">="];
                let op = *self.rng.pick(&ops);
                let cols = self.columns(&all);
                let c = *self.rng.pick(&cols);
                let op = if c.kind == Kind::Bool && !["=", "!=", "<>"].contains(&op) {
                    "="
                } else {
                    op
                };
                let lit = self.literal(c);
                if self.p.extended && self.rng.chance(15) {
                    let flipped = match op {
                        "<" => ">",
                        "<=" => ">=",
                        ">" => "<",
                        ">=" => "<=",
                        o => o,
                    };
                    let _ = write!(out, "{lit} {flipped} {}", c.name);
                } else {
                    let _ = write!(out, "{} {op} {lit}", c.name);
                }
            }
            // LIKE
            1 | 5 => {
                let not_like = !doc_dql && !self.sugar_doc() && self.rng.chance(25);
                let mut cols = self.columns(&[Kind::Str]);
                if self.p.target == Target::Salesforce {
                    cols.retain(|c| c.name != "Description"); // newlines: see fixtures.rs
                }
                let c = *self.rng.pick(&cols);
                let text = self.like_text(c).replace('\'', "''");
                let form = if doc_dql {
                    2
                } else {
                    self.rng.below(if self.p.extended { 5 } else { 3 })
                };
                let form = if not_like && self.p.target == Target::Sugarcrm && form != 3 {
                    2
                } else {
                    form
                };
                // LIKE '%' under any NOT is S011 (never matches under 3VL): not generated
                let form = if (not_like || self.nots > 0) && form == 4 {
                    2
                } else {
                    form
                };
                let pat = match form {
                    0 => format!("'{text}%'"),
                    1 => format!("'%{text}'"),
                    2 => format!("'%{text}%'"),
                    3 => format!("'{text}'"),
                    _ => "'%'".to_string(),
                };
                let _ = write!(
                    out,
                    "{} {}LIKE {pat}",
                    c.name,
                    if not_like { "NOT " } else { "" }
                );
            }
            // IN / NOT IN
            6 | 7 => {
                let not_in = self.rng.chance(40);
                // open-soql compares IN-list datetimes as text: none on salesforce
                let kinds: &[Kind] = if self.p.target == Target::Salesforce {
                    &[Kind::Key, Kind::Str, Kind::Int, Kind::Dec, Kind::Date]
                } else {
                    &[
                        Kind::Key,
                        Kind::Str,
                        Kind::Int,
                        Kind::Dec,
                        Kind::Date,
                        Kind::DateTime,
                    ]
                };
                let cols = self.columns(kinds);
                let c = *self.rng.pick(&cols);
                let n = 1 + self.rng.below(4);
                let items: Vec<String> = (0..n).map(|_| self.literal(c)).collect();
                let _ = write!(
                    out,
                    "{} {}IN ({})",
                    c.name,
                    if not_in { "NOT " } else { "" },
                    items.join(", ")
                );
            }
            // IS [NOT] NULL (two-valued: any column)
            _ => {
                let c = self.rng.pick(&self.fx.columns).clone();
                let _ = write!(
                    out,
                    "{} IS {}NULL",
                    c.name,
                    if self.rng.chance(50) { "NOT " } else { "" }
                );
            }
        }
    }

    fn cond(&mut self, depth: usize, out: &mut String) {
        let doc_dql = self.documented_dql();
        let can_not = !doc_dql && !self.sugar_doc();
        let r = self.rng.below(10);
        if depth == 0 || r < 4 {
            if can_not && self.rng.chance(10) {
                out.push_str("NOT ");
                self.nots += 1;
                let paren = self.rng.chance(50);
                if paren {
                    out.push('(');
                }
                self.atom(out);
                self.nots -= 1;
                if paren {
                    out.push(')');
                }
            } else {
                self.atom(out);
            }
            return;
        }
        if can_not && r == 4 {
            out.push_str("NOT (");
            self.nots += 1;
            self.cond(depth - 1, out);
            self.nots -= 1;
            out.push(')');
            return;
        }
        let op = if self.rng.chance(50) { " AND " } else { " OR " };
        let n = 2 + self.rng.below(2);
        for i in 0..n {
            if i > 0 {
                out.push_str(op);
            }
            let paren = self.rng.chance(50);
            if paren {
                out.push('(');
            }
            self.cond(depth - 1, out);
            if paren {
                out.push(')');
            }
        }
    }

    /// One query.
    pub fn query(&mut self) -> String {
        let mut q = String::from("SELECT ");
        let doc_dql = self.documented_dql();
        let star_ok =
            self.p.target != Target::Salesforce && (self.p.lang == Lang::Kql || self.p.extended);
        let key = self.fx.key();
        if star_ok && self.rng.chance(12) {
            q.push('*');
        } else {
            let mut items = vec![key.to_string()];
            for _ in 0..self.rng.below(4) {
                let c = self.rng.pick(&self.fx.columns).name;
                let item = match self.rng.below(12) {
                    0 => format!("{c} AS alias_{}", self.rng.below(9)),
                    1 => format!("'{c}'"),
                    _ => c.to_string(),
                };
                items.push(item);
            }
            q.push_str(&items.join(", "));
        }
        let _ = write!(q, " FROM {}", self.fx.object);
        if self.rng.chance(88) {
            q.push_str(" WHERE ");
            let depth = self.rng.below(4);
            self.cond(depth, &mut q);
        }
        let limit = (!doc_dql && self.rng.chance(40)).then(|| self.rng.below(30));
        let offset = (!doc_dql && self.rng.chance(25)).then(|| self.rng.below(260));
        let paged = limit.is_some() || offset.is_some();
        let mut keys: Vec<(String, Option<&str>)> = Vec::new();
        if self.rng.chance(60) || (paged && self.rng.chance(85)) {
            let n = if doc_dql { 1 } else { 1 + self.rng.below(3) };
            for _ in 0..n {
                let cols: Vec<&Column> = self.fx.columns.iter().filter(|c| c.sortable).collect();
                let c = self.rng.pick(&cols).name.to_string();
                if keys.iter().any(|(k, _)| *k == c) {
                    continue;
                }
                let dir = if doc_dql {
                    Some(*self.rng.pick(&["ASC", "DESC"]))
                } else {
                    *self.rng.pick(&[None, Some("ASC"), Some("DESC")])
                };
                keys.push((c, dir));
            }
            if paged && !doc_dql && !keys.iter().any(|(k, _)| k == key) && self.rng.chance(90) {
                keys.push((key.to_string(), Some("ASC")));
            }
        }
        if !keys.is_empty() {
            let items: Vec<String> = keys
                .iter()
                .map(|(k, d)| d.map_or(k.clone(), |d| format!("{k} {d}")))
                .collect();
            let _ = write!(q, " ORDER BY {}", items.join(", "));
        }
        if let Some(l) = limit {
            let _ = write!(q, " LIMIT {l}");
        }
        if let Some(o) = offset {
            let _ = write!(q, " OFFSET {o}");
        }
        q
    }
}
