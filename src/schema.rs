//! Schema-aware compilation: the specification's Schema JSON (`--schema
//! FILE`, [`Options::schema`](crate::Options::schema)) names the objects and
//! fields of one CRM and their types, and a query compiled for a target is
//! checked against it (ruling R74).
//!
//! [`parse_schema`] reads the document; [`apply`] checks a validated query
//! against it, after unified names are mapped to raw names:
//!
//! - an object or field the schema does not list is an error (`U021`,
//!   `U022`) with a did-you-mean; a dotted path (`Account.Name`) is not
//!   checked, nor are the fields of an object listed without `fields`;
//! - a literal of the wrong type for its field is an error (`U023`);
//! - each field gets its [`FieldType`], which the backends use (Salesforce
//!   writes `IS [NOT] NULL` on a boolean exactly, R65, and warns `B007` only
//!   on a field of unknown type);
//! - Dynamics: a lookup written by its logical name (`parentaccountid`) is
//!   written as its value property (`_parentaccountid_value`), and the
//!   entity set and primary key come from the table's `EntitySetName` and
//!   `PrimaryIdAttribute`.
//!
//! Each field's type is read from its upstream metadata under `raw.object`:
//! Salesforce's describe `type`
//! (<https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/field_types.htm>),
//! Dataverse's `AttributeType`, `Format` and `DateTimeBehavior`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/attributemetadata>),
//! SugarCRM's vardef `type`
//! (<https://support.sugarcrm.com/documentation/sugar_developer/sugar_developer_guide_14.0/data_framework/vardefs/>).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{one_line, Code, Error, Errors};
use crate::ir::{self, Cond, Field, FieldType, Literal, Selection, Value};
use crate::span::Span;
use crate::unified::suggest;
use crate::Target;

/// A parsed Schema document: the raw objects of one CRM.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    /// The objects, in document order.
    pub objects: Vec<SchemaObject>,
}

/// One raw object of a [`Schema`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SchemaObject {
    /// `service_object_name`: the raw object (`FROM` name).
    pub service_object_name: String,
    /// Dynamics: `raw.object.EntitySetName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_set: Option<String>,
    /// Dynamics: `raw.object.PrimaryIdAttribute`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<String>,
    /// The fields; `None` when the document lists none for the object (a
    /// List Schemas response), and then no field of it is checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<SchemaField>>,
}

/// One raw field of a [`SchemaObject`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SchemaField {
    /// `service_field_name`: the raw field.
    pub service_field_name: String,
    /// The type as the CRM spells it: `raw.object.AttributeType` when
    /// present (Dataverse), else `raw.object.type` (Salesforce, SugarCRM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_type: Option<String>,
    /// Dataverse: a date-only column (`raw.object.DateTimeBehavior` is
    /// `DateOnly`, or, without a behaviour, `raw.object.Format` is `DateOnly`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub date_only: bool,
}

impl SchemaField {
    /// The field's type on `target`; `lookup` is `true` for a Dataverse
    /// lookup column (`Lookup`, `Customer`, `Owner`).
    fn column(&self, target: Target) -> (FieldType, bool) {
        let t = self.raw_type.as_deref().unwrap_or("");
        let ty = match target {
            Target::Salesforce => match t {
                "boolean" => FieldType::Boolean,
                "string" | "textarea" | "picklist" | "multipicklist" | "combobox" | "email"
                | "phone" | "url" | "encryptedstring" => FieldType::String,
                "int" | "long" | "double" | "currency" | "percent" => FieldType::Number,
                "date" => FieldType::Date,
                "datetime" => FieldType::DateTime,
                "id" | "reference" => FieldType::Id,
                _ => FieldType::Other,
            },
            Target::Dynamics => match t {
                "Boolean" => FieldType::Boolean,
                "String" | "Memo" => FieldType::String,
                "Integer" | "BigInt" | "Decimal" | "Double" | "Money" | "Picklist" | "State"
                | "Status" => FieldType::Number,
                "DateTime" if self.date_only => FieldType::Date,
                "DateTime" => FieldType::DateTime,
                "Lookup" | "Customer" | "Owner" => return (FieldType::Id, true),
                "Uniqueidentifier" => FieldType::Id,
                _ => FieldType::Other,
            },
            Target::Sugarcrm => match t {
                "bool" => FieldType::Boolean,
                "varchar" | "name" | "text" | "longtext" | "enum" | "multienum" | "phone"
                | "url" | "email" | "char" | "relate" => FieldType::String,
                "int" | "integer" | "long" | "decimal" | "currency" | "float" | "double" => {
                    FieldType::Number
                }
                "date" => FieldType::Date,
                "datetime" | "datetimecombo" => FieldType::DateTime,
                "id" => FieldType::Id,
                _ => FieldType::Other,
            },
        };
        (ty, false)
    }
}

/// Attributes of a list response besides `objects`, allowed and ignored.
const LIST_KEYS: [&str; 6] = ["count", "page", "next_page", "type", "api", "total"];

const SHAPES: &str = "a Schema document is one Retrieve a Schema response, an array of them, or the List Schemas response `{\"objects\": [...]}`";

fn bad(msg: String) -> Error {
    Error::new(Code::SchemaDocument, Span::point(0), msg).with_help(SHAPES)
}

/// Reads Schema JSON into [`Options::schema`](crate::Options::schema): one
/// Retrieve a Schema response (an object with its `fields`), an array of
/// them, or the List Schemas response (`{"objects": [...], ...}`).
///
/// Each object needs `service_object_name` (a non-empty string); `fields`,
/// when present, is an array of objects each with `service_field_name` (a
/// string, or `null` for a unified field with no raw field: skipped). Of
/// `raw.object` the keys `EntitySetName`, `PrimaryIdAttribute` (objects)
/// and `type`, `AttributeType`, `Format`, `DateTimeBehavior` (fields) are
/// read; every other attribute is ignored.
///
/// Every problem is reported, each as `U020` with an empty span at 0 (the
/// document is not the query text) and the object's index in the message.
///
/// ```
/// let s = kql::schema::parse_schema(
///     r#"{"service_object_name": "Account", "fields": [
///          {"service_field_name": "Name", "raw": {"object": {"type": "string"}}}]}"#).unwrap();
/// assert_eq!(s.objects[0].service_object_name, "Account");
/// let err = kql::schema::parse_schema(r#"{"fields": []}"#).unwrap_err();
/// assert_eq!(err.0[0].code.as_str(), "U020");
/// ```
pub fn parse_schema(json: &str) -> Result<Schema, Errors> {
    let value: Json = serde_json::from_str(json).map_err(|e| {
        Errors(vec![bad(format!(
            "the Schema document is not JSON: {}",
            one_line(&e.to_string())
        ))])
    })?;
    let items: Vec<&Json> = match &value {
        Json::Array(a) => a.iter().collect(),
        Json::Object(o) if o.contains_key("objects") => {
            if let Some(k) = o
                .keys()
                .find(|k| *k != "objects" && !LIST_KEYS.contains(&k.as_str()))
            {
                return Err(Errors(vec![bad(format!(
                    "the List Schemas response has an unknown attribute `{}`",
                    one_line(k)
                ))]));
            }
            match o.get("objects") {
                Some(Json::Array(a)) => a.iter().collect(),
                _ => {
                    return Err(Errors(vec![bad(
                        "`objects` of the List Schemas response is not an array".into(),
                    )]))
                }
            }
        }
        Json::Object(_) => vec![&value],
        _ => {
            return Err(Errors(vec![bad(
                "the Schema document is neither an object nor an array".into(),
            )]))
        }
    };
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match object(item) {
            Ok(o) => objects.push(o),
            Err(msg) => errors.push(bad(format!("schema object {i}: {msg}"))),
        }
    }
    if errors.is_empty() {
        Ok(Schema { objects })
    } else {
        Err(Errors(errors))
    }
}

/// `raw.object` of a schema object or field, when it is a JSON object.
fn raw_object(v: &Json) -> Option<&serde_json::Map<String, Json>> {
    v.get("raw")?.get("object")?.as_object()
}

/// A string attribute of `raw.object`.
fn raw_str(v: &Json, key: &str) -> Option<String> {
    raw_object(v)?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn object(v: &Json) -> Result<SchemaObject, String> {
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let name = match v.get("service_object_name") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err("`service_object_name` is not a non-empty string".into()),
        None => return Err("`service_object_name` is missing".into()),
    };
    let fields = match v.get("fields") {
        None | Some(Json::Null) => None,
        Some(Json::Array(a)) => {
            let mut fields = Vec::with_capacity(a.len());
            for (j, f) in a.iter().enumerate() {
                if let Some(f) = field(f).map_err(|m| format!("field {j}: {m}"))? {
                    fields.push(f);
                }
            }
            Some(fields)
        }
        Some(_) => return Err("`fields` is not an array".into()),
    };
    Ok(SchemaObject {
        service_object_name: name,
        entity_set: raw_str(v, "EntitySetName"),
        primary_key: raw_str(v, "PrimaryIdAttribute"),
        fields,
    })
}

fn field(v: &Json) -> Result<Option<SchemaField>, String> {
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let name = match v.get("service_field_name") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        Some(Json::Null) => return Ok(None),
        Some(_) => return Err("`service_field_name` is not a non-empty string or null".into()),
        None => return Err("`service_field_name` is missing".into()),
    };
    let behavior = raw_object(v)
        .and_then(|o| o.get("DateTimeBehavior"))
        .and_then(|b| {
            b.as_str()
                .or_else(|| b.get("Value").and_then(Json::as_str))
                .map(str::to_owned)
        });
    let date_only = match behavior {
        Some(b) => b == "DateOnly",
        None => raw_str(v, "Format").as_deref() == Some("DateOnly"),
    };
    Ok(Some(SchemaField {
        service_field_name: name,
        raw_type: raw_str(v, "AttributeType").or_else(|| raw_str(v, "type")),
        date_only,
    }))
}

impl Schema {
    /// The object named `name` on `target` (Salesforce names are
    /// case-insensitive, the others' exact).
    pub fn object(&self, target: Target, name: &str) -> Option<&SchemaObject> {
        self.objects
            .iter()
            .find(|o| same(target, &o.service_object_name, name))
    }
}

fn same(target: Target, a: &str, b: &str) -> bool {
    match target {
        Target::Salesforce => a.eq_ignore_ascii_case(b),
        Target::Dynamics | Target::Sugarcrm => a == b,
    }
}

/// Checks `q` against `schema` for `target` and types its fields (see the
/// module documentation). Returns the object of the schema the query reads.
pub fn apply<'s>(
    q: &mut ir::Query<'_>,
    target: Target,
    schema: &'s Schema,
) -> Result<&'s SchemaObject, Errors> {
    let name: &str = &q.object.name;
    let Some(object) = schema.object(target, name) else {
        let mut e = Error::new(
            Code::SchemaUnknownObject,
            q.object.span,
            format!("the schema has no {target} object `{}`", one_line(name)),
        );
        e = match suggest(
            name,
            schema
                .objects
                .iter()
                .map(|o| o.service_object_name.as_str()),
        ) {
            Some(s) => e.with_help(format!("did you mean `{s}`?")),
            None => e.with_help("check the object name, or the schema document (`--schema`)"),
        };
        return Err(Errors(vec![e]));
    };
    let mut c = Checker {
        target,
        fields: object.fields.as_deref(),
        object: &object.service_object_name,
        errors: Vec::new(),
    };
    if let Selection::Fields { fields } = &mut q.selection {
        for f in fields.iter_mut() {
            c.field(f);
        }
        // a Dataverse lookup selected by both its names is selected once
        let mut kept: Vec<Field<'_>> = Vec::with_capacity(fields.len());
        for f in fields.drain(..) {
            if kept.iter().any(|k| k.path == f.path) {
                q.warnings.push(crate::validate::duplicate_field(&f));
            } else {
                kept.push(f);
            }
        }
        *fields = kept;
    }
    if let Some(cond) = &mut q.filter {
        c.cond(cond);
    }
    for k in q.order_by.iter_mut() {
        c.field(&mut k.field);
    }
    if c.errors.is_empty() {
        Ok(object)
    } else {
        Err(Errors(c.errors))
    }
}

struct Checker<'s> {
    target: Target,
    fields: Option<&'s [SchemaField]>,
    object: &'s str,
    errors: Vec<Error>,
}

impl Checker<'_> {
    /// Types `f` (and renames a Dataverse lookup); `None` for an unchecked
    /// or unknown field (reported).
    fn field(&mut self, f: &mut Field<'_>) -> Option<FieldType> {
        let fields = self.fields?;
        if f.is_path() {
            return None;
        }
        let name: &str = &f.path;
        if let Some(sf) = fields
            .iter()
            .find(|sf| same(self.target, &sf.service_field_name, name))
        {
            let (ty, lookup) = sf.column(self.target);
            if lookup {
                f.path = Cow::Owned(format!("_{}_value", sf.service_field_name));
            }
            f.ty = Some(ty);
            return f.ty;
        }
        // a lookup already written as its value property
        if self.target == Target::Dynamics {
            let inner = name
                .strip_prefix('_')
                .and_then(|n| n.strip_suffix("_value"));
            if let Some(sf) =
                inner.and_then(|n| fields.iter().find(|sf| sf.service_field_name == n))
            {
                if let (ty, true) = sf.column(self.target) {
                    f.ty = Some(ty);
                    return f.ty;
                }
            }
        }
        let mut e = Error::new(
            Code::SchemaUnknownField,
            f.span,
            format!(
                "the schema's {} object `{}` has no field `{}`",
                self.target,
                self.object,
                one_line(name)
            ),
        );
        e = match suggest(name, fields.iter().map(|sf| sf.service_field_name.as_str())) {
            Some(s) => e.with_help(format!("did you mean `{s}`?")),
            None => e.with_help("check the field name, or the schema document (`--schema`)"),
        };
        self.errors.push(e);
        None
    }

    fn cond(&mut self, c: &mut Cond<'_>) {
        match c {
            Cond::And { operands, .. } | Cond::Or { operands, .. } => {
                for o in operands {
                    self.cond(o);
                }
            }
            Cond::Not { operand, .. } => self.cond(operand),
            Cond::Compare { field, value, .. } => {
                if let Some(ty) = self.field(field) {
                    self.value(field, ty, value);
                }
            }
            Cond::In { field, values, .. } => {
                if let Some(ty) = self.field(field) {
                    for v in values {
                        self.value(field, ty, v);
                    }
                }
            }
            Cond::Like { field, .. } => {
                if let Some(ty) = self.field(field) {
                    if matches!(
                        ty,
                        FieldType::Number
                            | FieldType::Boolean
                            | FieldType::Date
                            | FieldType::DateTime
                    ) {
                        self.errors.push(
                            Error::new(
                                Code::SchemaLiteralType,
                                field.span,
                                format!(
                                    "`LIKE` on `{}`, a {} field",
                                    one_line(&field.path),
                                    type_name(ty)
                                ),
                            )
                            .with_help("`LIKE` matches text: compare this field with `=`, `<`, `>` or `IN`"),
                        );
                    }
                }
            }
            Cond::IsNull { field, .. } => {
                self.field(field);
            }
        }
    }

    /// Checks a literal against its field's type; a date or datetime
    /// literal against a text or id field becomes the string it was.
    fn value(&mut self, field: &Field<'_>, ty: FieldType, v: &mut Value<'_>) {
        let ok = match (ty, &v.literal) {
            (FieldType::Other, _)
            | (FieldType::Number, Literal::Number(_))
            | (FieldType::Boolean, Literal::Bool(_))
            | (FieldType::Date, Literal::Date(_))
            | (FieldType::DateTime, Literal::DateTime(_))
            | (FieldType::String, Literal::String(_)) => true,
            // Dataverse keys and lookups are Edm.Guid
            (FieldType::Id, Literal::String(s)) => {
                self.target != Target::Dynamics || ir::is_guid(s)
            }
            (FieldType::String | FieldType::Id, Literal::Date(d)) => {
                v.literal = Literal::String(Cow::Owned(d.to_string()));
                true
            }
            (FieldType::String | FieldType::Id, Literal::DateTime(d)) => {
                v.literal = Literal::String(Cow::Owned(d.to_string()));
                true
            }
            _ => false,
        };
        if ok {
            return;
        }
        let help = match ty {
            FieldType::Id if self.target == Target::Dynamics => {
                "write the row's GUID, quoted: '00000000-0000-0000-0000-000000000000'"
            }
            FieldType::String | FieldType::Id => "write a quoted string such as 'text'",
            FieldType::Number => "write a number such as 42 or 4.5, unquoted",
            FieldType::Boolean => "write TRUE or FALSE",
            FieldType::Date => "write a quoted date such as '2024-06-30'",
            FieldType::DateTime => {
                "write a quoted datetime with a zone such as '2024-06-30T00:00:00Z'"
            }
            FieldType::Other => "",
        };
        self.errors.push(
            Error::new(
                Code::SchemaLiteralType,
                v.span,
                format!(
                    "{} compared with `{}`, a {} field",
                    match (&v.literal, ty, self.target) {
                        (Literal::String(_), FieldType::Id, Target::Dynamics) =>
                            "a string that is not a GUID",
                        (l, _, _) => literal_name(l),
                    },
                    one_line(&field.path),
                    type_name(ty)
                ),
            )
            .with_help(help),
        );
    }
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "text",
        FieldType::Number => "number",
        FieldType::Boolean => "boolean",
        FieldType::Date => "date-only",
        FieldType::DateTime => "datetime",
        FieldType::Id => "record id or lookup",
        FieldType::Other => "other",
    }
}

fn literal_name(l: &Literal<'_>) -> &'static str {
    match l {
        Literal::String(_) => "a string",
        Literal::Number(_) => "a number",
        Literal::Bool(_) => "a boolean",
        Literal::Date(_) => "a date",
        Literal::DateTime(_) => "a datetime",
    }
}
