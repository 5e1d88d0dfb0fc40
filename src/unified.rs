//! Unified object and field names (`Options::names = Names::Unified`, CLI
//! `--names unified`).
//!
//! The specification's six unified object types (`account`, `contact`,
//! `lead`, `opportunity`, `campaign`, `task`) and their unified fields
//! (`name`, `created`, `owner`, …) are mapped to each target's raw object
//! and field by [`resolve`], a pass over the syntax tree between
//! [`crate::parse`] and [`crate::validate`]. The backends never see a
//! unified name.
//!
//! The mapping is data: `grammar/unified-names.json`, embedded in the
//! library and read once. Each (type, target) entry cites the public
//! reference its raw names come from. A unified field without a raw field
//! on a target is an error (`U003`) rather than a guess.
//!
//! ```
//! use kql::{translate, Lang, Names, Options, Target};
//! let opts = Options { names: Names::Unified, ..Options::default() };
//! let t = translate("SELECT name, created FROM account WHERE owner = 'x'",
//!                   Lang::Kql, Target::Salesforce, &opts).unwrap();
//! assert_eq!(t.request.to_string(),
//!            "SELECT Name, CreatedDate FROM Account WHERE OwnerId = 'x'");
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::ast::{self, Expr, Ident, SelectItem, TableSource};
use crate::error::{one_line, Code, Error, Errors};
use crate::span::Span;
use crate::Target;

/// The embedded mapping file.
pub const MAPPING_JSON: &str = include_str!("../grammar/unified-names.json");

/// The mapping file, as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Model {
    #[allow(dead_code)]
    about: String,
    /// Unified fields of every type that describe the response, not a record.
    metadata: Vec<String>,
    types: BTreeMap<String, TypeDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeDef {
    fields: Vec<String>,
    #[serde(default)]
    compound: Vec<String>,
    /// Unified relation name → related unified type.
    #[serde(default)]
    relations: BTreeMap<String, String>,
    salesforce: TargetDef,
    dynamics: TargetDef,
    sugarcrm: TargetDef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDef {
    object: String,
    #[serde(default)]
    #[allow(dead_code)]
    entity_set: Option<String>,
    #[allow(dead_code)]
    sources: Vec<String>,
    fields: BTreeMap<String, String>,
    /// Unified relation name → raw relationship (navigation) name.
    #[serde(default)]
    relations: BTreeMap<String, String>,
    /// Why a unified field has no raw field here (the help line of `U003`).
    #[serde(default)]
    notes: BTreeMap<String, String>,
}

impl TypeDef {
    fn on(&self, target: Target) -> &TargetDef {
        match target {
            Target::Salesforce => &self.salesforce,
            Target::Dynamics => &self.dynamics,
            Target::Sugarcrm => &self.sugarcrm,
        }
    }
}

/// The mapping, read once; `Err` (never expected: a test reads the same
/// file) becomes `X001`.
fn model() -> Result<&'static Model, String> {
    static MODEL: OnceLock<Result<Model, String>> = OnceLock::new();
    MODEL
        .get_or_init(|| serde_json::from_str(MAPPING_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The unified object types, in name order.
pub fn types() -> Vec<&'static str> {
    model()
        .map(|m| m.types.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The raw object a unified type maps to on `target` (`("account",
/// Salesforce)` → `"Account"`).
pub fn raw_object(unified_type: &str, target: Target) -> Option<&'static str> {
    let m = model().ok()?;
    Some(m.types.get(unified_type)?.on(target).object.as_str())
}

/// The raw field a unified field of `unified_type` maps to on `target`
/// (`None` when the type or field is unknown, or has no raw field there).
pub fn raw_field(unified_type: &str, field: &str, target: Target) -> Option<&'static str> {
    let m = model().ok()?;
    m.types
        .get(unified_type)?
        .on(target)
        .fields
        .get(field)
        .map(String::as_str)
}

/// The unified fields of `unified_type` that have a raw field on `target`,
/// as (unified, raw) pairs in the type's field order (`None` when the type
/// is unknown). Used by [`crate::unify`].
pub(crate) fn field_pairs(
    unified_type: &str,
    target: Target,
) -> Option<Vec<(&'static str, &'static str)>> {
    let m = model().ok()?;
    let def = m.types.get(unified_type)?;
    let on = def.on(target);
    Some(
        def.fields
            .iter()
            .filter_map(|f| Some((f.as_str(), on.fields.get(f)?.as_str())))
            .collect(),
    )
}

/// Where a name stands in the query.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Select,
    Where,
    OrderBy,
}

impl Place {
    fn clause(self) -> &'static str {
        match self {
            Place::Select => "SELECT",
            Place::Where => "WHERE",
            Place::OrderBy => "ORDER BY",
        }
    }
}

/// Maps the unified names of `q` to `target`'s raw names: the object in
/// `FROM`, and every property name in the SELECT list (a literal there too,
/// which KQL reads as a property name), on either side of a `WHERE`
/// predicate, and in `ORDER BY`. Constructs that validation rejects
/// (functions, `BETWEEN`, sub-queries, …) are left as they are.
///
/// With no target, the names are checked against the unified model and
/// left unified (what `kql check --names unified` without `--target` does).
///
/// Every problem is reported (`U001`–`U006`, each with the name's span, and
/// a did-you-mean where a close name exists); on error the tree is returned
/// too, mapped as far as it could be, so that validation can add its own
/// errors.
pub fn resolve<'a>(mut q: ast::Query<'a>, target: Option<Target>) -> (ast::Query<'a>, Vec<Error>) {
    let model = match model() {
        Ok(m) => m,
        Err(e) => {
            let err = Error::new(
                Code::Internal,
                q.span,
                format!("the built-in unified names cannot be read: {e}"),
            );
            return (q, vec![err]);
        }
    };
    let mut r = Resolver {
        model,
        target,
        ty: None,
        errors: Vec::new(),
    };
    for (i, t) in q.from.iter_mut().enumerate() {
        if let TableSource::Object { name } = &mut t.source {
            let found = r.object(name);
            if i == 0 {
                r.ty = found;
            }
        }
    }
    if r.ty.is_some() {
        for item in &mut q.select {
            if let SelectItem::Expr { expr, .. } = item {
                r.select_expr(expr);
            }
        }
        if let Some(w) = &mut q.where_clause {
            r.condition(w);
        }
        for o in q.order_by.iter_mut() {
            if let Expr::Column { ident } = &mut o.expr {
                r.ident(ident, Place::OrderBy);
            }
        }
    }
    (q, r.errors)
}

/// [`resolve`] as the pipeline uses it: `Err` with the errors of both
/// passes when names could not be mapped.
pub(crate) fn resolve_then<'a, T>(
    q: ast::Query<'a>,
    target: Option<Target>,
    next: impl FnOnce(&ast::Query<'a>) -> Result<T, Errors>,
) -> Result<T, Errors> {
    let (q, mut errors) = resolve(q, target);
    if errors.is_empty() {
        return next(&q);
    }
    // Validation's errors too, all in source order, then its warnings.
    let mut warnings = Vec::new();
    match next(&q) {
        Ok(_) => {}
        Err(e) => {
            for d in e.0 {
                if d.is_error() {
                    errors.push(d);
                } else {
                    warnings.push(d);
                }
            }
        }
    }
    errors.sort_by_key(|e| e.span.start);
    errors.append(&mut warnings);
    Err(Errors(errors))
}

struct Resolver {
    model: &'static Model,
    target: Option<Target>,
    /// The unified type in `FROM`, with its name.
    ty: Option<(&'static str, &'static TypeDef)>,
    errors: Vec<Error>,
}

impl Resolver {
    /// Maps the `FROM` object; its unified type when known.
    fn object(&mut self, name: &mut Ident<'_>) -> Option<(&'static str, &'static TypeDef)> {
        let Some((key, def)) = self.model.types.get_key_value(name.name.as_ref()) else {
            let names: Vec<&str> = self.model.types.keys().map(String::as_str).collect();
            let help = match suggest(&name.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? unified types: {}", names.join(", ")),
                None => format!("unified types: {}", names.join(", ")),
            };
            self.errors.push(
                Error::new(
                    Code::UnifiedUnknownType,
                    name.span,
                    format!("`{}` is not a unified object type", one_line(&name.name)),
                )
                .with_help(help),
            );
            return None;
        };
        if let Some(t) = self.target {
            name.name = Cow::Borrowed(def.on(t).object.as_str());
        }
        Some((key.as_str(), def))
    }

    /// An item of the SELECT list: a property name, or a literal that KQL
    /// reads as one.
    fn select_expr(&mut self, e: &mut Expr<'_>) {
        match e {
            Expr::Column { ident } => {
                self.ident(ident, Place::Select);
            }
            Expr::String { value, span } => {
                let mut id = Ident {
                    name: Cow::Owned(value.to_string()),
                    span: *span,
                };
                if self.ident(&mut id, Place::Select) {
                    *value = Cow::Owned(id.name.into_owned());
                }
            }
            Expr::Number { text, span } => {
                let text = text.to_string();
                self.not_a_field(&text, *span);
            }
            Expr::Bool { value, span } => {
                self.not_a_field(if *value { "TRUE" } else { "FALSE" }, *span);
            }
            Expr::Null { span } => self.not_a_field("NULL", *span),
            _ => {}
        }
    }

    fn not_a_field(&mut self, text: &str, span: Span) {
        if let Some((tn, td)) = self.ty {
            self.errors.push(unknown_field(text, tn, td, span));
        }
    }

    /// The property names of a `WHERE` condition.
    fn condition(&mut self, e: &mut Expr<'_>) {
        match e {
            Expr::And { operands, .. } | Expr::Or { operands, .. } => {
                for o in operands {
                    self.condition(o);
                }
            }
            Expr::Not { expr, .. } => self.condition(expr),
            Expr::Compare { operands, .. } => {
                self.operand(&mut operands.lhs);
                self.operand(&mut operands.rhs);
            }
            Expr::Like { like, .. } => self.operand(&mut like.expr),
            Expr::In { in_list, .. } => self.operand(&mut in_list.expr),
            Expr::IsNull { expr, .. } => self.operand(expr),
            _ => {}
        }
    }

    fn operand(&mut self, e: &mut Expr<'_>) {
        if let Expr::Column { ident } = e {
            self.ident(ident, Place::Where);
        }
    }

    /// Maps one property name in place; `false` when it could not be mapped
    /// (an error was recorded) or there is no target to map it to.
    fn ident(&mut self, ident: &mut Ident<'_>, place: Place) -> bool {
        let Some((tn, td)) = self.ty else {
            return false;
        };
        let name = ident.name.to_string();
        let span = ident.span;
        let mapped = match name.split_once('.') {
            None => self.field(&name, tn, td, place, span),
            Some((rel, rest)) => self.path(&name, rel, rest, tn, td, place, span),
        };
        match mapped {
            Ok(Some(raw)) => {
                ident.name = raw;
                true
            }
            Ok(None) => false,
            Err(e) => {
                self.errors.push(e);
                false
            }
        }
    }

    /// A unified field of `tn`: its raw name on the target (`None` without one).
    fn field(
        &self,
        name: &str,
        tn: &'static str,
        td: &'static TypeDef,
        place: Place,
        span: Span,
    ) -> Result<Option<Cow<'static, str>>, Error> {
        if self.model.metadata.iter().any(|m| m == name) {
            return Err(Error::new(
                Code::UnifiedMetadata,
                span,
                format!("`{name}` is not a stored field of `{tn}`: it describes the unified response"),
            )
            .with_help(format!(
                "`type` is always `{tn}`, `api` always `crm`; `raw` and `href` are the record's native form and address. Select and filter stored fields"
            )));
        }
        if !td.fields.iter().any(|f| f == name) {
            return Err(unknown_field(name, tn, td, span));
        }
        if place != Place::Select && td.compound.iter().any(|f| f == name) {
            return Err(Error::new(
                Code::UnifiedCompound,
                span,
                format!(
                    "`{name}` is a compound field (an address) and cannot be used in {}",
                    place.clause()
                ),
            )
            .with_help(
                "filter and sort on the address's parts, written with raw names (`--names raw`); a compound field can only be selected, where the target has one",
            ));
        }
        let Some(target) = self.target else {
            return Ok(None);
        };
        let on = td.on(target);
        match on.fields.get(name) {
            Some(raw) => Ok(Some(Cow::Borrowed(raw.as_str()))),
            None => {
                let help = match on.notes.get(name) {
                    Some(n) => Cow::Owned(n.clone()),
                    None => Cow::Borrowed(
                        "leave the field out for this target, or write the query with raw names (`--names raw`)",
                    ),
                };
                Err(Error::new(
                    Code::UnifiedUnmapped,
                    span,
                    format!("unified field `{name}` of `{tn}` has no raw field on {target}"),
                )
                .with_help(help))
            }
        }
    }

    /// `relation.field`: the field of the related type, under the target's
    /// relationship name.
    #[allow(clippy::too_many_arguments)]
    fn path(
        &self,
        whole: &str,
        rel: &str,
        rest: &str,
        tn: &'static str,
        td: &'static TypeDef,
        place: Place,
        span: Span,
    ) -> Result<Option<Cow<'static, str>>, Error> {
        let relation_err = |msg: String, help: String| {
            Error::new(Code::UnifiedRelation, span, msg).with_help(help)
        };
        let Some(related) = td.relations.get(rel) else {
            let rels: Vec<&str> = td.relations.keys().map(String::as_str).collect();
            let help = if rels.is_empty() {
                format!("`{tn}` has no unified relation; select the id field instead")
            } else {
                format!("relations of `{tn}`: {}", rels.join(", "))
            };
            return Err(relation_err(
                format!(
                    "`{}` in `{}` is not a unified relation of `{tn}`",
                    one_line(rel),
                    one_line(whole)
                ),
                help,
            ));
        };
        if rest.contains('.') {
            return Err(relation_err(
                format!("`{}` goes through more than one relation", one_line(whole)),
                "a unified path is `relation.field`, one level deep".into(),
            ));
        }
        let Some((rn, rd)) = self.model.types.get_key_value(related.as_str()) else {
            return Err(Error::new(
                Code::Internal,
                span,
                format!("the unified relation `{tn}.{rel}` names an unknown type `{related}`"),
            ));
        };
        let inner = self.field(rest, rn.as_str(), rd, place, span)?;
        let Some(target) = self.target else {
            return Ok(None);
        };
        let on = td.on(target);
        let Some(prefix) = on.relations.get(rel) else {
            let help = if on.fields.contains_key(rel) {
                format!("filter on `{rel}`, the related record's id, instead")
            } else if let Some(note) = on.notes.get(rel) {
                note.clone()
            } else {
                "write the query with raw names (`--names raw`)".to_string()
            };
            return Err(relation_err(
                format!("the unified relation `{rel}` of `{tn}` is not mapped on {target}"),
                help,
            ));
        };
        Ok(inner.map(|raw| Cow::Owned(format!("{prefix}.{raw}"))))
    }
}

fn unknown_field(name: &str, tn: &str, td: &TypeDef, span: Span) -> Error {
    let help = match suggest(name, td.fields.iter().map(String::as_str)) {
        Some(s) => format!(
            "did you mean `{s}`? fields of `{tn}`: {}",
            td.fields.join(", ")
        ),
        None => format!("fields of `{tn}`: {}", td.fields.join(", ")),
    };
    Error::new(
        Code::UnifiedUnknownField,
        span,
        format!("`{}` is not a unified field of `{tn}`", one_line(name)),
    )
    .with_help(help)
}

/// The candidate closest to `name`: equal ignoring case, else within edit
/// distance 2, else one that starts with `name` or that `name` starts with
/// (each at least 3 characters long, so `a` suggests nothing).
pub(crate) fn suggest<'c>(
    name: &str,
    candidates: impl Iterator<Item = &'c str> + Clone,
) -> Option<&'c str> {
    let lower = name.to_lowercase();
    if let Some(c) = candidates.clone().find(|c| c.eq_ignore_ascii_case(&lower)) {
        return Some(c);
    }
    let best = candidates
        .clone()
        .map(|c| (levenshtein(&lower, c), c))
        .filter(|&(d, _)| d <= 2)
        .min_by_key(|&(d, _)| d);
    if let Some((_, c)) = best {
        return Some(c);
    }
    if lower.chars().count() < 3 {
        return None;
    }
    candidates
        .clone()
        .find(|c| c.starts_with(lower.as_str()) || (c.len() >= 3 && lower.starts_with(c)))
}

/// Edit distance (insertions, deletions, substitutions) between two strings,
/// by characters. Names are short; inputs are cut at 64 characters, so a
/// hostile name costs nothing.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_reads() {
        let m = model().unwrap();
        assert_eq!(m.types.len(), 6);
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("name", "name"), 0);
        assert_eq!(levenshtein("nme", "name"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("créé", "cree"), 2);
    }

    #[test]
    fn suggestions() {
        let c = [
            "account",
            "contact",
            "lead",
            "opportunity",
            "campaign",
            "task",
        ];
        assert_eq!(suggest("acount", c.iter().copied()), Some("account"));
        assert_eq!(suggest("Account", c.iter().copied()), Some("account"));
        assert_eq!(suggest("opp", c.iter().copied()), Some("opportunity"));
        assert_eq!(suggest("leads", c.iter().copied()), Some("lead"));
        assert_eq!(suggest("zzzzzz", c.iter().copied()), None);
        assert_eq!(suggest("x", c.iter().copied()), None);
    }
}
