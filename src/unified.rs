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
//! The specification's custom mappings (Transforms) are merged in for one
//! compilation from `Options::transforms` ([`Transform`], read by
//! [`parse_transforms`]; merge rules in [`resolve_with`] and ruling R73).
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

use serde::{Deserialize, Serialize};

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
pub fn resolve<'a>(q: ast::Query<'a>, target: Option<Target>) -> (ast::Query<'a>, Vec<Error>) {
    resolve_with(q, target, &[])
}

/// [`resolve`] with custom mappings ([`Transform`]s, `Options::transforms`)
/// merged into the built-in unified names: each Transform applies to
/// `target`, whatever it is (a Transform names no target; ruling R73).
///
/// A Transform for a built-in type merges into it: `service_object_name`
/// replaces the raw object, each `bidirectional` entry overrides or adds a
/// unified field (an overridden compound field becomes a plain one), and the
/// other fields and relations stay. A Transform for a new type defines it
/// with exactly its fields and no relation. A raw field `A.B` becomes the
/// target's path `A.B` (the backends read and check it); a level with an
/// escaped dot (`1\.0`) is `U008`. A dotted unified field of a Transform is
/// matched whole before a relation path.
///
/// ```
/// use kql::{translate, unified, Lang, Names, Options, Target};
/// let transforms = unified::parse_transforms(
///     r#"{"kloudless_object_name": "account", "service_object_name": "Account",
///         "bidirectional": {"rating": "Profile.Rating", "tier": "Tier__c"}}"#).unwrap();
/// let opts = Options { names: Names::Unified, transforms, ..Options::default() };
/// let t = translate("SELECT name, tier FROM account WHERE rating > 3",
///                   Lang::Kql, Target::Salesforce, &opts).unwrap();
/// assert_eq!(t.request.to_string(),
///            "SELECT Name, Tier__c FROM Account WHERE Profile.Rating > 3");
/// ```
pub fn resolve_with<'a>(
    mut q: ast::Query<'a>,
    target: Option<Target>,
    transforms: &[Transform],
) -> (ast::Query<'a>, Vec<Error>) {
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
        transforms,
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

/// [`resolve_with`] as the pipeline uses it: `Err` with the errors of both
/// passes when names could not be mapped.
pub(crate) fn resolve_then_with<'a, T>(
    q: ast::Query<'a>,
    target: Option<Target>,
    transforms: &[Transform],
    next: impl FnOnce(&ast::Query<'a>) -> Result<T, Errors>,
) -> Result<T, Errors> {
    let (q, mut errors) = resolve_with(q, target, transforms);
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

/// A unified type as merged for one compilation: the built-in definition,
/// the Transform for it, or both.
#[derive(Clone, Copy)]
struct Ty<'t> {
    name: &'t str,
    def: Option<&'static TypeDef>,
    tr: Option<&'t Transform>,
}

impl<'t> Ty<'t> {
    /// Whether `name` is a unified field of the merged type.
    fn has(&self, name: &str) -> bool {
        self.def.is_some_and(|d| d.fields.iter().any(|f| f == name))
            || self.tr.is_some_and(|t| t.bidirectional.contains_key(name))
    }

    /// The merged type's unified fields: the built-in ones, then the
    /// Transform's new ones.
    fn fields(&self) -> Vec<&'t str> {
        let mut out: Vec<&'t str> = Vec::new();
        if let Some(d) = self.def {
            out.extend(d.fields.iter().map(String::as_str));
        }
        if let Some(t) = self.tr {
            for k in t.bidirectional.keys() {
                if !out.contains(&k.as_str()) {
                    out.push(k.as_str());
                }
            }
        }
        out
    }
}

struct Resolver<'t> {
    model: &'static Model,
    target: Option<Target>,
    transforms: &'t [Transform],
    /// The unified type in `FROM`.
    ty: Option<Ty<'t>>,
    errors: Vec<Error>,
}

impl<'t> Resolver<'t> {
    /// The merged unified type named `name`, if any.
    fn lookup(&self, name: &str) -> Option<Ty<'t>> {
        let tr = self
            .transforms
            .iter()
            .find(|t| t.kloudless_object_name == name);
        match (self.model.types.get_key_value(name), tr) {
            (Some((key, def)), tr) => Some(Ty {
                name: key.as_str(),
                def: Some(def),
                tr,
            }),
            (None, Some(t)) => Some(Ty {
                name: t.kloudless_object_name.as_str(),
                def: None,
                tr: Some(t),
            }),
            (None, None) => None,
        }
    }

    /// Maps the `FROM` object; its unified type when known.
    fn object(&mut self, name: &mut Ident<'_>) -> Option<Ty<'t>> {
        let Some(ty) = self.lookup(name.name.as_ref()) else {
            let mut names: Vec<&str> = self.model.types.keys().map(String::as_str).collect();
            for t in self.transforms {
                if !names.contains(&t.kloudless_object_name.as_str()) {
                    names.push(t.kloudless_object_name.as_str());
                }
            }
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
            match (ty.tr, ty.def) {
                (Some(tr), _) => name.name = Cow::Owned(tr.service_object_name.clone()),
                (None, Some(def)) => name.name = Cow::Borrowed(def.on(t).object.as_str()),
                (None, None) => {}
            }
        }
        Some(ty)
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
        if let Some(ty) = self.ty {
            self.errors.push(unknown_field(text, &ty, span));
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
        let Some(ty) = self.ty else {
            return false;
        };
        let name = ident.name.to_string();
        let span = ident.span;
        // A Transform's unified field may itself be dotted (`profile.rating`):
        // a field of the type is matched whole before a relation path.
        let mapped = match name.split_once('.') {
            Some((rel, rest)) if !ty.has(&name) => self.path(&name, rel, rest, ty, place, span),
            _ => self.field(&name, ty, place, span),
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
        ty: Ty<'t>,
        place: Place,
        span: Span,
    ) -> Result<Option<Cow<'static, str>>, Error> {
        let tn = ty.name;
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
        if !ty.has(name) {
            return Err(unknown_field(name, &ty, span));
        }
        let custom = ty.tr.and_then(|t| t.bidirectional.get(name));
        let compound = ty.def.is_some_and(|d| d.compound.iter().any(|f| f == name));
        if place != Place::Select && compound && custom.is_none() {
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
        if let Some(raw) = custom {
            return raw_ident(raw, name, tn, target, span).map(|r| Some(Cow::Owned(r)));
        }
        let Some(td) = ty.def else {
            // A field of a Transform-defined type is always in its mapping.
            return Err(Error::new(
                Code::Internal,
                span,
                format!(
                    "unified field `{}` of `{tn}` has no mapping",
                    one_line(name)
                ),
            ));
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
        ty: Ty<'t>,
        place: Place,
        span: Span,
    ) -> Result<Option<Cow<'static, str>>, Error> {
        let tn = ty.name;
        let relation_err = |msg: String, help: String| {
            Error::new(Code::UnifiedRelation, span, msg).with_help(help)
        };
        let related = ty.def.and_then(|td| td.relations.get(rel).map(|r| (td, r)));
        let Some((td, related)) = related else {
            let rels: Vec<&str> = ty
                .def
                .map(|td| td.relations.keys().map(String::as_str).collect())
                .unwrap_or_default();
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
        let Some(rty) = self.lookup(related.as_str()).filter(|t| t.def.is_some()) else {
            return Err(Error::new(
                Code::Internal,
                span,
                format!("the unified relation `{tn}.{rel}` names an unknown type `{related}`"),
            ));
        };
        let inner = self.field(rest, rty, place, span)?;
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

/// A custom mapping (the specification's Transform, section "Custom Mappings
/// (Transforms)"): a unified object type and the raw object and fields it
/// maps to. Plain data; [`parse_transforms`] reads it from the Transform
/// JSON of the specification and checks it.
///
/// A Transform names no target: it applies to the target of the query being
/// compiled (ruling R73).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transform {
    /// The unified object type: a built-in one (the Transform merges into
    /// it) or a new one (the Transform defines it, with exactly its fields).
    pub kloudless_object_name: String,
    /// The raw object on the target; replaces the built-in one.
    pub service_object_name: String,
    /// Unified field → raw field. A raw field's `.` separates the levels of
    /// a relationship path (`Profile.Rating`); `\.` is a literal dot within
    /// one level, which no target can name (`U008`).
    pub bidirectional: BTreeMap<String, String>,
}

/// Attributes of a Transform that are read ([`Transform`]) or allowed and
/// ignored (the ones the API adds to each).
const TRANSFORM_KEYS: [&str; 9] = [
    "kloudless_object_name",
    "service_object_name",
    "bidirectional",
    "id",
    "created_at",
    "updated_at",
    "api",
    "type",
    "href",
];

/// Attributes of a list response besides `objects`, allowed and ignored.
const LIST_KEYS: [&str; 6] = ["count", "page", "next_page", "type", "api", "total"];

/// Reads Transform JSON into [`Options::transforms`](crate::Options::transforms):
/// one Transform object, an array of them, or the List Transforms response
/// (`{"objects": [...], ...}`).
///
/// Each Transform needs `kloudless_object_name` and `service_object_name`
/// (non-empty strings) and `bidirectional` (an object of strings); `id`,
/// `created_at`, `updated_at`, `api`, `type` and `href` are allowed and
/// ignored, any other attribute is an error. A unified field name may be
/// dotted (`profile.rating`, matched whole in a query) but not hold `\`
/// (a query cannot write a literal dot in a name); a raw field is one or
/// more non-empty levels separated by `.`, where `\.` is a literal dot and
/// `\` escapes nothing else. Two Transforms for one unified type are an
/// error (a Transform names no target, so they would conflict).
///
/// Every problem is reported, each as `U007` with an empty span at 0 (the
/// document is not the query text) and the JSON position or the Transform's
/// index in the message.
///
/// ```
/// let t = kql::unified::parse_transforms(
///     r#"{"objects": [{"kloudless_object_name": "project", "service_object_name": "Project__c",
///                      "bidirectional": {"name": "Name", "budget": "Budget__c"}}]}"#).unwrap();
/// assert_eq!(t[0].service_object_name, "Project__c");
/// let err = kql::unified::parse_transforms(r#"{"bidirectional": {}}"#).unwrap_err();
/// assert_eq!(err.0[0].code.as_str(), "U007");
/// ```
pub fn parse_transforms(json: &str) -> Result<Vec<Transform>, Errors> {
    let bad = |msg: String, help: &'static str| {
        Error::new(Code::UnifiedTransform, Span::point(0), msg).with_help(help)
    };
    const SHAPES: &str = "a Transform document is one Transform object, an array of them, or the List Transforms response `{\"objects\": [...]}`";
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            return Err(Errors(vec![bad(
                format!(
                    "the Transform document is not JSON: {}",
                    one_line(&e.to_string())
                ),
                SHAPES,
            )]))
        }
    };
    let items: Vec<&serde_json::Value> = match &value {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) if o.contains_key("objects") => {
            let mut errors = Vec::new();
            for k in o.keys() {
                if k != "objects" && !LIST_KEYS.contains(&k.as_str()) {
                    errors.push(bad(
                        format!("the List Transforms response has an unknown attribute `{}`", one_line(k)),
                        "a list response has `objects` and, ignored, `count`, `page`, `next_page`, `total`, `type`, `api`",
                    ));
                }
            }
            match o.get("objects") {
                Some(serde_json::Value::Array(a)) if errors.is_empty() => a.iter().collect(),
                Some(serde_json::Value::Array(_)) => return Err(Errors(errors)),
                _ => {
                    errors.push(bad(
                        "`objects` of the List Transforms response is not an array".into(),
                        SHAPES,
                    ));
                    return Err(Errors(errors));
                }
            }
        }
        serde_json::Value::Object(_) => vec![&value],
        _ => {
            return Err(Errors(vec![bad(
                "the Transform document is neither an object nor an array".into(),
                SHAPES,
            )]))
        }
    };
    let mut out: Vec<Transform> = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match transform(item) {
            Ok(t) => {
                if out
                    .iter()
                    .any(|o| o.kloudless_object_name == t.kloudless_object_name)
                {
                    errors.push(bad(
                        format!(
                            "Transform {i}: a second Transform for unified type `{}`",
                            one_line(&t.kloudless_object_name)
                        ),
                        "a Transform names no target: give one Transform per unified type for the target you compile",
                    ));
                } else {
                    out.push(t);
                }
            }
            Err(msgs) => {
                for (m, h) in msgs {
                    errors.push(bad(format!("Transform {i}: {m}"), h));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Errors(errors))
    }
}

/// One Transform object, or what is wrong with it (message, help).
fn transform(v: &serde_json::Value) -> Result<Transform, Vec<(String, &'static str)>> {
    const ATTRS: &str = "a Transform has `kloudless_object_name`, `service_object_name` (strings) and `bidirectional` (an object of strings); `id`, `created_at`, `updated_at`, `api`, `type`, `href` are ignored";
    let mut errs: Vec<(String, &'static str)> = Vec::new();
    let Some(o) = v.as_object() else {
        return Err(vec![("is not an object".into(), ATTRS)]);
    };
    for k in o.keys() {
        if !TRANSFORM_KEYS.contains(&k.as_str()) {
            errs.push((format!("unknown attribute `{}`", one_line(k)), ATTRS));
        }
    }
    let name = |key: &str, errs: &mut Vec<(String, &'static str)>| match o.get(key) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        Some(serde_json::Value::String(_)) => {
            errs.push((format!("`{key}` is empty"), ATTRS));
            String::new()
        }
        Some(_) => {
            errs.push((format!("`{key}` is not a string"), ATTRS));
            String::new()
        }
        None => {
            errs.push((format!("`{key}` is missing"), ATTRS));
            String::new()
        }
    };
    let kloudless_object_name = name("kloudless_object_name", &mut errs);
    let service_object_name = name("service_object_name", &mut errs);
    let mut bidirectional = BTreeMap::new();
    match o.get("bidirectional") {
        Some(serde_json::Value::Object(m)) => {
            for (k, v) in m {
                let Some(raw) = v.as_str() else {
                    errs.push((
                        format!("the raw field of `{}` is not a string", one_line(k)),
                        ATTRS,
                    ));
                    continue;
                };
                if let Err(e) = unified_key(k) {
                    errs.push((format!("unified field `{}`: {e}", one_line(k)), KEY_HELP));
                }
                if let Err(e) = raw_segments(raw) {
                    errs.push((
                        format!("raw field `{}` of `{}`: {e}", one_line(raw), one_line(k)),
                        RAW_HELP,
                    ));
                }
                bidirectional.insert(k.clone(), raw.to_string());
            }
        }
        Some(_) => errs.push(("`bidirectional` is not an object".into(), ATTRS)),
        None => errs.push(("`bidirectional` is missing".into(), ATTRS)),
    }
    if errs.is_empty() {
        Ok(Transform {
            kloudless_object_name,
            service_object_name,
            bidirectional,
        })
    } else {
        Err(errs)
    }
}

const KEY_HELP: &str = "a unified field is a name a query can write: non-empty levels separated by `.`, no `\\`, and not `type`, `raw`, `api` or `href`";
const RAW_HELP: &str = "a raw field is one or more non-empty levels separated by `.`; `\\.` is a literal dot and `\\` escapes nothing else";

/// What is wrong with a Transform's unified field name, if anything.
fn unified_key(k: &str) -> Result<(), &'static str> {
    if k.contains('\\') {
        return Err("a query cannot write a name with an escaped `.`");
    }
    if k.split('.').any(str::is_empty) {
        return Err("an empty level");
    }
    if ["type", "raw", "api", "href"].contains(&k) {
        return Err("it describes the unified response and cannot be mapped");
    }
    Ok(())
}

/// The levels of a raw field: `Profile.Rating` → `Profile`, `Rating`;
/// `1\.0.name` → `1.0`, `name`.
fn raw_segments(raw: &str) -> Result<Vec<String>, &'static str> {
    let (segs, clean) = split_raw(raw);
    if !clean {
        return Err("`\\` escapes only `.`");
    }
    if segs.iter().any(String::is_empty) {
        return Err("an empty level");
    }
    Ok(segs)
}

/// A raw field split at each `.`, with `\.` a literal dot; `false` when a
/// `\` escapes anything else (it is then kept as written).
pub(crate) fn split_raw(raw: &str) -> (Vec<String>, bool) {
    let mut segs = vec![String::new()];
    let mut clean = true;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                '.'
            }
            '\\' => {
                clean = false;
                c
            }
            '.' => {
                segs.push(String::new());
                continue;
            }
            c => c,
        };
        if let Some(s) = segs.last_mut() {
            s.push(c);
        }
    }
    (segs, clean)
}

/// A Transform's raw field as the target's path (`A.B`, which SOQL reads as
/// a relationship path, Dynamics as a navigation property, SugarCRM as
/// `link.field`); `U008` when a level holds a literal `.`, `U007` when the
/// raw field is malformed (a Transform built without [`parse_transforms`]).
fn raw_ident(raw: &str, name: &str, tn: &str, target: Target, span: Span) -> Result<String, Error> {
    let segs = raw_segments(raw).map_err(|e| {
        Error::new(
            Code::UnifiedTransform,
            span,
            format!(
                "the Transform of `{}` maps `{}` to a malformed raw field `{}`: {e}",
                one_line(tn),
                one_line(name),
                one_line(raw)
            ),
        )
        .with_help(RAW_HELP)
    })?;
    if let Some(s) = segs.iter().find(|s| s.contains('.')) {
        return Err(Error::new(
            Code::UnifiedRawName,
            span,
            format!(
                "the Transform of `{}` maps `{}` to `{}`, whose level `{}` holds a literal `.`: no {target} identifier can",
                one_line(tn),
                one_line(name),
                one_line(raw),
                one_line(s)
            ),
        )
        .with_help("map the unified field to a raw field each level of which is a plain name; an unescaped `.` separates levels of a relationship path"));
    }
    Ok(segs.join("."))
}

fn unknown_field(name: &str, ty: &Ty<'_>, span: Span) -> Error {
    let tn = one_line(ty.name);
    let fields = ty.fields();
    let list = one_line(&fields.join(", ")).into_owned();
    let help = match suggest(name, fields.iter().copied()) {
        Some(s) => format!("did you mean `{}`? fields of `{tn}`: {list}", one_line(s)),
        None => format!("fields of `{tn}`: {list}"),
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
    // compared ignoring case, as the exact match above
    let best = candidates
        .clone()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= 2)
        .min_by_key(|&(d, _)| d);
    if let Some((_, c)) = best {
        return Some(c);
    }
    if lower.chars().count() < 3 {
        return None;
    }
    candidates.clone().find(|c| {
        let c_lower = c.to_lowercase();
        c_lower.starts_with(lower.as_str()) || (c.len() >= 3 && lower.starts_with(&c_lower))
    })
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
        // raw names in mixed case (schemas) are compared ignoring case too
        let raw = ["Id", "Name", "NumberOfEmployees"];
        assert_eq!(suggest("Nmae", raw.iter().copied()), Some("Name"));
        assert_eq!(suggest("nmae", raw.iter().copied()), Some("Name"));
        assert_eq!(
            suggest("numberof", raw.iter().copied()),
            Some("NumberOfEmployees")
        );
    }
}
