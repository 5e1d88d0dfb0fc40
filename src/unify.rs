//! Results back to unified (`kql unify`): raw records, as a CRM returns
//! them, mapped to the specification's unified objects with the same mapping
//! that [`crate::unified`] uses for queries, read the other way.
//!
//! For each unified field of the type that has a raw field on the target
//! (`grammar/unified-names.json`), the unified object holds the raw field's
//! value, as it is (values are not converted). A raw name is a path: `.`
//! separates the names of nested objects (`Account.Name` reads
//! `{"Account": {"Name": …}}`, as Salesforce returns a relationship and
//! OData an expanded navigation property), and `\.` is a literal dot in a
//! name. A raw field absent from the record is absent from the unified
//! object (a record holds only the selected fields); `null` stays `null`, and
//! so does a path through a `null` related record. A path through a value
//! that is not an object reads nothing.
//!
//! Every unified object also has `type` (the unified type), `api` (`"crm"`)
//! and `raw`: the record as the CRM returned it (without Salesforce's
//! `attributes`), when [`UnifyOptions::raw`] is set.
//!
//! ```
//! use kql::unify::{unify, UnifyOptions};
//! use kql::Target;
//! use serde_json::json;
//!
//! let response = json!({"totalSize": 1, "done": true, "records": [
//!     {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme", "Score__c": 3}
//! ]});
//! let out = unify(&response, Target::Salesforce, "account", &UnifyOptions::default()).unwrap();
//! assert_eq!(out, json!({"objects": [{
//!     "id": "001A", "name": "Acme", "type": "account", "api": "crm",
//!     "raw": {"Id": "001A", "Name": "Acme", "Score__c": 3}
//! }]}));
//! ```

use serde_json::{Map, Value};

use crate::error::{Code, Error, Errors};
use crate::span::Span;
use crate::unified;
use crate::Target;

/// What [`unify`] writes besides the unified fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnifyOptions {
    /// Put the record as the CRM returned it under `raw` (default `true`).
    pub raw: bool,
}

impl Default for UnifyOptions {
    fn default() -> Self {
        UnifyOptions { raw: true }
    }
}

/// Maps raw records of `target` to unified objects of `unified_type`.
///
/// `records` is a CRM response (`{"records": […]}` from Salesforce and
/// SugarCRM, `{"value": […]}` from Dynamics), a bare array of records, or
/// one record. The result is always `{"objects": […]}`, one unified object
/// per record, in order.
///
/// Errors: `U001` for an unknown unified type (with a did-you-mean);
/// `U010` for a document of none of those shapes, or a record that is not a
/// JSON object.
pub fn unify(
    records: &Value,
    target: Target,
    unified_type: &str,
    options: &UnifyOptions,
) -> Result<Value, Errors> {
    let pairs = field_map(unified_type, target).ok_or_else(|| unknown_type(unified_type))?;
    let list = records_of(records, target)?;
    let mut objects = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let Value::Object(rec) = r else {
            return Err(Errors(vec![Error::new(
                Code::UnifyInput,
                Span::default(),
                format!("record {i} is {}, not a JSON object", kind(r)),
            )
            .with_help("each record is an object of raw field names and values")]));
        };
        objects.push(Value::Object(unify_record(
            rec,
            target,
            unified_type,
            &pairs,
            options,
        )));
    }
    let mut out = Map::new();
    out.insert("objects".into(), Value::Array(objects));
    Ok(Value::Object(out))
}

/// The unified fields of `unified_type` that have a raw field on `target`,
/// as (unified, raw) pairs in the type's field order; `None` for an unknown
/// type. The raw name is a path (see [`raw_path`]).
pub fn field_map(unified_type: &str, target: Target) -> Option<Vec<(&'static str, &'static str)>> {
    unified::field_pairs(unified_type, target)
}

/// The names of a raw path: split at each `.`, with `\.` a literal dot
/// (`Account.Name` → `["Account", "Name"]`; `a\.b` → `["a.b"]`).
pub fn raw_path(raw: &str) -> Vec<String> {
    unified::split_raw(raw).0
}

/// The value at `path` in `record`: `None` when absent (or under a value
/// that is not an object), `Some(Null)` under a `null` related record.
fn read<'v>(record: &'v Map<String, Value>, path: &[String]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let v = record.get(first)?;
    if rest.is_empty() {
        return Some(v);
    }
    match v {
        Value::Object(inner) => read(inner, rest),
        Value::Null => Some(&Value::Null),
        _ => None,
    }
}

fn unify_record(
    rec: &Map<String, Value>,
    target: Target,
    unified_type: &str,
    pairs: &[(&'static str, &'static str)],
    options: &UnifyOptions,
) -> Map<String, Value> {
    let mut obj = Map::new();
    for &(u, r) in pairs {
        if let Some(v) = read(rec, &raw_path(r)) {
            obj.insert(u.to_string(), v.clone());
        }
    }
    obj.insert("type".into(), Value::String(unified_type.to_string()));
    obj.insert("api".into(), Value::String("crm".into()));
    if options.raw {
        let mut raw = rec.clone();
        if target == Target::Salesforce {
            raw.remove("attributes");
        }
        obj.insert("raw".into(), Value::Object(raw));
    }
    obj
}

/// The records of a response, a bare array, or one record.
fn records_of(doc: &Value, target: Target) -> Result<Vec<&Value>, Errors> {
    let envelope = match target {
        Target::Salesforce | Target::Sugarcrm => "records",
        Target::Dynamics => "value",
    };
    match doc {
        Value::Array(a) => Ok(a.iter().collect()),
        Value::Object(o) => match o.get(envelope) {
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(other) => Err(input_error(
                format!("`{envelope}` is {}, not an array of records", kind(other)),
                format!("a {target} response holds its records in `{envelope}`: [...]"),
            )),
            None => Ok(vec![doc]),
        },
        other => Err(input_error(
            format!("the records document is {}", kind(other)),
            format!(
                "give a {target} response (`{{\"{envelope}\": [...]}}`), an array of records, or one record"
            ),
        )),
    }
}

fn input_error(message: String, help: String) -> Errors {
    Errors(vec![
        Error::new(Code::UnifyInput, Span::default(), message).with_help(help)
    ])
}

fn unknown_type(name: &str) -> Errors {
    let names = unified::types();
    let help = match unified::suggest(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? unified types: {}", names.join(", ")),
        None => format!("unified types: {}", names.join(", ")),
    };
    Errors(vec![Error::new(
        Code::UnifiedUnknownType,
        Span::default(),
        format!(
            "`{}` is not a unified object type",
            crate::error::one_line(name)
        ),
    )
    .with_help(help)])
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_at_unescaped_dots() {
        assert_eq!(raw_path("Name"), vec!["Name"]);
        assert_eq!(raw_path("Account.Name"), vec!["Account", "Name"]);
        assert_eq!(raw_path(r"a\.b.c"), vec!["a.b", "c"]);
        assert_eq!(raw_path(r"a\b"), vec![r"a\b"]);
        assert_eq!(raw_path(""), vec![""]);
    }

    #[test]
    fn nested_paths_read_nested_objects() {
        let rec = serde_json::json!({
            "Account": {"attributes": {"type": "Account"}, "Name": "Acme"},
            "parentcustomerid_account": null,
            "a.b": 1,
            "Rel": {"x.y": 2},
            "Flat": "s"
        });
        let rec = rec.as_object().unwrap();
        let at = |p: &str| read(rec, &raw_path(p)).cloned();
        assert_eq!(at("Account.Name"), Some(Value::from("Acme")));
        assert_eq!(at("Account.Phone"), None);
        assert_eq!(at("parentcustomerid_account.name"), Some(Value::Null));
        assert_eq!(at(r"a\.b"), Some(Value::from(1)));
        assert_eq!(at("a.b"), None);
        assert_eq!(at(r"Rel.x\.y"), Some(Value::from(2)));
        assert_eq!(at("Flat.x"), None);
        assert_eq!(at("Missing.x"), None);
    }
}
