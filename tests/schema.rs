//! Schemas (`Options::schema`, issue 13 part 3): the three document shapes
//! and the malformed-document error (`U020`), unknown objects and fields
//! (`U021`, `U022`), literal types (`U023`), Salesforce booleans under
//! `IS [NOT] NULL`, Dataverse lookups, entity sets and keys, unified names
//! mapped before the schema applies, and no change without a schema.
//! The fixtures under `tests/schema/` are in the specification's format.

use kql::schema::{parse_schema, Schema};
use kql::{check, translate, Errors, Lang, Names, Options, Target};

use Target::{Dynamics as D, Salesforce as SF, Sugarcrm as SG};

const SALESFORCE: &str = include_str!("schema/salesforce-account.json");
const DYNAMICS: &str = include_str!("schema/dynamics.json");
const SUGARCRM: &str = include_str!("schema/sugarcrm.json");

fn schema(json: &str) -> Schema {
    match parse_schema(json) {
        Ok(s) => s,
        Err(e) => panic!("{json}\n{}", e.render("")),
    }
}

fn opts(target: Target) -> Options {
    Options {
        schema: Some(schema(match target {
            SF => SALESFORCE,
            D => DYNAMICS,
            SG => SUGARCRM,
        })),
        ..Options::default()
    }
}

/// The request text and the warning codes.
fn ok(src: &str, target: Target, opts: &Options) -> (String, Vec<String>) {
    match translate(src, Lang::Kql, target, opts) {
        Ok(t) => (
            t.request.to_string(),
            t.warnings.iter().map(|w| w.code.to_string()).collect(),
        ),
        Err(e) => panic!("{target}: {src}\n{}", e.render(src)),
    }
}

fn text(src: &str, target: Target) -> String {
    let (t, w) = ok(src, target, &opts(target));
    assert!(w.is_empty(), "{target}: {src}: warnings {w:?}");
    t
}

fn errors(src: &str, target: Target) -> Errors {
    match translate(src, Lang::Kql, target, &opts(target)) {
        Ok(t) => panic!("{target}: {src} was accepted: {}", t.request),
        Err(e) => e,
    }
}

/// `(code, spanned text, help)` of each error.
fn described(src: &str, target: Target) -> Vec<(String, String, String)> {
    errors(src, target)
        .0
        .iter()
        .filter(|e| e.is_error())
        .map(|e| {
            (
                e.code.to_string(),
                src[e.span.start..e.span.end].to_string(),
                e.help.clone().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn codes(src: &str, target: Target) -> Vec<String> {
    described(src, target)
        .into_iter()
        .map(|(c, _, _)| c)
        .collect()
}

#[test]
fn three_document_shapes() {
    // one Retrieve a Schema response
    let s = schema(SALESFORCE);
    assert_eq!(s.objects.len(), 1);
    let account = &s.objects[0];
    assert_eq!(account.service_object_name, "Account");
    let fields = account.fields.as_ref().unwrap();
    // the field with a null service_field_name (a unified field with no raw field) is skipped
    assert_eq!(fields.len(), 10);
    assert_eq!(fields[3].service_field_name, "NumberOfEmployees");
    assert_eq!(fields[3].raw_type.as_deref(), Some("int"));
    // an array of them, with Dataverse metadata
    let s = schema(DYNAMICS);
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.objects[0].entity_set.as_deref(), Some("accounts"));
    assert_eq!(s.objects[0].primary_key.as_deref(), Some("accountid"));
    let founded = &s.objects[0].fields.as_ref().unwrap()[7];
    assert_eq!(founded.raw_type.as_deref(), Some("DateTime"));
    assert!(founded.date_only);
    // Format DateOnly with the UserLocal behaviour stays a datetime
    assert!(!s.objects[0].fields.as_ref().unwrap()[6].date_only);
    // the List Schemas response; an object without `fields`
    let s = schema(SUGARCRM);
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.objects[1].service_object_name, "Contacts");
    assert!(s.objects[1].fields.is_none());
    // Format DateOnly without a behaviour is date-only
    let s = schema(
        r#"{"service_object_name": "x", "fields": [{"service_field_name": "d",
            "raw": {"object": {"AttributeType": "DateTime", "Format": "DateOnly"}}}]}"#,
    );
    assert!(s.objects[0].fields.as_ref().unwrap()[0].date_only);
}

#[test]
fn malformed_documents_are_u020() {
    for (json, message) in [
        ("{", "the Schema document is not JSON"),
        (
            "42",
            "the Schema document is neither an object nor an array",
        ),
        (
            r#"{"objects": {}}"#,
            "`objects` of the List Schemas response is not an array",
        ),
        (
            r#"{"objects": [], "extra": 1}"#,
            "the List Schemas response has an unknown attribute `extra`",
        ),
        ("[1]", "schema object 0: not a JSON object"),
        (
            r#"[{"fields": []}]"#,
            "schema object 0: `service_object_name` is missing",
        ),
        (
            r#"[{"service_object_name": ""}]"#,
            "schema object 0: `service_object_name` is not a non-empty string",
        ),
        (
            r#"[{"service_object_name": "a"}, {"service_object_name": "b", "fields": {}}]"#,
            "schema object 1: `fields` is not an array",
        ),
        (
            r#"{"service_object_name": "a", "fields": [7]}"#,
            "schema object 0: field 0: not a JSON object",
        ),
        (
            r#"{"service_object_name": "a", "fields": [{}]}"#,
            "schema object 0: field 0: `service_field_name` is missing",
        ),
        (
            r#"{"service_object_name": "a", "fields": [{"service_field_name": 3}]}"#,
            "schema object 0: field 0: `service_field_name` is not a non-empty string or null",
        ),
    ] {
        let errs = parse_schema(json).unwrap_err();
        assert_eq!(errs.0.len(), 1, "{json}");
        let e = &errs.0[0];
        assert_eq!(e.code.as_str(), "U020", "{json}");
        assert!(e.message.starts_with(message), "{json}: {}", e.message);
        assert_eq!((e.span.start, e.span.end), (0, 0));
        assert!(e.help.is_some());
    }
    // every bad object is reported
    let errs = parse_schema(r#"[1, {"service_object_name": "ok"}, 2]"#).unwrap_err();
    assert_eq!(errs.0.len(), 2);
}

#[test]
fn unknown_objects_and_fields_with_did_you_mean() {
    assert_eq!(
        described("SELECT Id FROM Acount", SF),
        [(
            "U021".into(),
            "Acount".into(),
            "did you mean `Account`?".into()
        )]
    );
    assert_eq!(
        described("SELECT Id FROM Opportunity", SF),
        [(
            "U021".into(),
            "Opportunity".into(),
            "check the object name, or the schema document (`--schema`)".into()
        )]
    );
    assert_eq!(
        described(
            "SELECT Nme FROM Account WHERE Industy = 'x' ORDER BY Zzz",
            SF
        ),
        [
            ("U022".into(), "Nme".into(), "did you mean `Name`?".into()),
            (
                "U022".into(),
                "Industy".into(),
                "did you mean `Industry`?".into()
            ),
            (
                "U022".into(),
                "Zzz".into(),
                "check the field name, or the schema document (`--schema`)".into()
            ),
        ]
    );
    // salesforce names are case-insensitive; dataverse and sugarcrm names exact
    assert_eq!(
        text("SELECT name FROM account WHERE isdeleted = FALSE", SF),
        "SELECT name FROM account WHERE isdeleted = false"
    );
    assert_eq!(
        described("SELECT Name FROM account", D),
        [("U022".into(), "Name".into(), "did you mean `name`?".into())]
    );
    assert_eq!(
        described("SELECT name FROM accounts", SG),
        [(
            "U021".into(),
            "accounts".into(),
            "did you mean `Accounts`?".into()
        )]
    );
    // dotted paths are not checked; an object listed without fields checks no field
    assert_eq!(
        text("SELECT Owner.Name FROM Account", SF),
        "SELECT Owner.Name FROM Account"
    );
    assert_eq!(
        text("SELECT anything FROM Contacts WHERE x = 1", SG),
        r#"{"filter":[{"x":{"$equals":1}}],"fields":"anything"}"#
    );
    // every identifier still goes through its backend's check
    let reserved = Options {
        schema: Some(schema(
            r#"{"service_object_name": "Account", "fields": [{"service_field_name": "Limit",
                "raw": {"object": {"type": "string"}}}]}"#,
        )),
        ..Options::default()
    };
    let e = translate("SELECT Limit FROM Account", Lang::Kql, SF, &reserved).unwrap_err();
    assert_eq!(e.0[0].code.as_str(), "B002");
}

#[test]
fn literal_types() {
    let q = "SELECT Id FROM Account WHERE NumberOfEmployees = '5' AND Name = 3 \
             AND IsDeleted = 1 AND LastActivityDate > '2024-01-01T00:00:00Z' \
             AND CreatedDate > '2024-01-01' AND AnnualRevenue IN (1, 'x') AND OwnerId = TRUE \
             AND CreatedDate LIKE '2024%'";
    assert_eq!(
        described(q, SF),
        [
            (
                "U023".into(),
                "'5'".into(),
                "write a number such as 42 or 4.5, unquoted".into()
            ),
            (
                "U023".into(),
                "3".into(),
                "write a quoted string such as 'text'".into()
            ),
            ("U023".into(), "1".into(), "write TRUE or FALSE".into()),
            (
                "U023".into(),
                "'2024-01-01T00:00:00Z'".into(),
                "write a quoted date such as '2024-06-30'".into()
            ),
            (
                "U023".into(),
                "'2024-01-01'".into(),
                "write a quoted datetime with a zone such as '2024-06-30T00:00:00Z'".into()
            ),
            (
                "U023".into(),
                "'x'".into(),
                "write a number such as 42 or 4.5, unquoted".into()
            ),
            (
                "U023".into(),
                "TRUE".into(),
                "write a quoted string such as 'text'".into()
            ),
            (
                "U023".into(),
                "CreatedDate".into(),
                "`LIKE` matches text: compare this field with `=`, `<`, `>` or `IN`".into()
            ),
        ]
    );
    let e = errors("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", SF);
    assert_eq!(
        e.0[0].message,
        "a string compared with `NumberOfEmployees`, a number field"
    );
    // the right types pass; a date-like string against a text field stays a string
    assert_eq!(
        text(
            "SELECT Id FROM Account WHERE NumberOfEmployees >= 5 AND Name = '2024-01-01' \
             AND Industry IN ('2024-01-01T00:00:00Z', 'Energy') AND IsDeleted = FALSE \
             AND LastActivityDate < '2024-01-01' AND CreatedDate >= '2024-01-01T00:00:00Z' \
             AND OwnerId = '005000000000001' AND BillingAddress = 3 AND Name LIKE 'A%'",
            SF
        ),
        "SELECT Id FROM Account WHERE NumberOfEmployees >= 5 AND Name = '2024-01-01' \
         AND Industry IN ('2024-01-01T00:00:00Z', 'Energy') AND IsDeleted = false \
         AND LastActivityDate < 2024-01-01 AND CreatedDate >= 2024-01-01T00:00:00Z \
         AND OwnerId = '005000000000001' AND BillingAddress = 3 AND Name LIKE 'A%'"
    );
    // dataverse: a DateOnly column takes a date, a UserLocal one a datetime
    // (whatever its Format); a State is a number
    assert_eq!(
        text(
            "SELECT name FROM account WHERE new_founded = '2024-01-01' \
             AND lastonholdtime > '2024-01-01T00:00:00Z' AND statecode = 0 AND revenue > 1.5",
            D
        ),
        "accounts?$select=name&$filter=new_founded eq 2024-01-01 and lastonholdtime gt 2024-01-01T00:00:00Z and statecode eq 0 and revenue gt 1.5"
    );
    assert_eq!(
        codes("SELECT name FROM account WHERE new_founded = '2024-01-01T00:00:00Z' OR lastonholdtime = '2024-01-01' OR statecode = 'Active' OR donotemail = 'no'", D),
        ["U023", "U023", "U023", "U023"]
    );
    // sugarcrm
    assert_eq!(
        codes("SELECT name FROM Accounts WHERE date_entered > '2024-01-01' OR rating_score = '3' OR deleted = 0 OR next_review = '2024-01-01T00:00:00Z' OR name = 1", SG),
        ["U023", "U023", "U023", "U023", "U023"]
    );
    // a date on a date field: no B052
    assert_eq!(
        ok(
            "SELECT name FROM Accounts WHERE next_review = '2024-01-01' AND rating_score = 3",
            SG,
            &opts(SG)
        )
        .1,
        Vec::<String>::new()
    );
}

#[test]
fn salesforce_boolean_is_null_is_exact() {
    // a boolean is never NULL on salesforce: IS NULL is never true, IS NOT NULL always
    assert_eq!(
        text("SELECT Id FROM Account WHERE IsDeleted IS NULL", SF),
        "SELECT Id FROM Account WHERE Id = null"
    );
    assert_eq!(
        text(
            "SELECT Id FROM Account WHERE IsDeleted IS NOT NULL OR Name = 'a'",
            SF
        ),
        "SELECT Id FROM Account WHERE Id != null OR Name = 'a'"
    );
    // not a boolean: no B007
    assert_eq!(
        text(
            "SELECT Id FROM Account WHERE Name IS NULL AND BillingAddress IS NOT NULL",
            SF
        ),
        "SELECT Id FROM Account WHERE Name = null AND BillingAddress != null"
    );
    // a dotted path has no type from the schema: B007 as without one
    assert_eq!(
        ok(
            "SELECT Id FROM Account WHERE Owner.IsActive IS NULL",
            SF,
            &opts(SF)
        )
        .1,
        ["B007"]
    );
    // without a schema: B007
    assert_eq!(
        ok(
            "SELECT Id FROM Account WHERE IsDeleted IS NULL",
            SF,
            &Options::default()
        ),
        (
            "SELECT Id FROM Account WHERE IsDeleted = null".into(),
            vec!["B007".into()]
        )
    );
}

#[test]
fn dataverse_lookups_entity_sets_and_keys() {
    assert_eq!(
        text(
            "SELECT name, parentaccountid FROM account WHERE parentaccountid IS NOT NULL \
             AND ownerid = '7A91C4B6-0000-4000-8000-00000000000a' LIMIT 5",
            D
        ),
        "accounts?$select=name,_parentaccountid_value&$filter=_parentaccountid_value ne null \
         and _ownerid_value eq 7A91C4B6-0000-4000-8000-00000000000a&$orderby=accountid asc&$top=5"
    );
    // keys and lookups are Edm.Guid: a GUID is written unquoted (R49) in a
    // comparison (the In function takes strings); anything else is U023
    assert_eq!(
        text(
            "SELECT name FROM account WHERE accountid != '7a91c4b6-0000-4000-8000-000000000001' \
             OR parentaccountid IN ('7a91c4b6-0000-4000-8000-000000000002', '7a91c4b6-0000-4000-8000-000000000003')",
            D
        ),
        "accounts?$select=name&$filter=(accountid ne 7a91c4b6-0000-4000-8000-000000000001 and accountid ne null) \
         or Microsoft.Dynamics.CRM.In(PropertyName='_parentaccountid_value',\
         PropertyValues=[\"7a91c4b6-0000-4000-8000-000000000002\",\"7a91c4b6-0000-4000-8000-000000000003\"])"
    );
    assert_eq!(
        described("SELECT name FROM account WHERE ownerid = 'me' OR accountid = '7a91c4b6-0000-4000-8000-00000000000'", D),
        [
            (
                "U023".into(),
                "'me'".into(),
                "write the row's GUID, quoted: '00000000-0000-0000-0000-000000000000'".into()
            ),
            (
                "U023".into(),
                "'7a91c4b6-0000-4000-8000-00000000000'".into(),
                "write the row's GUID, quoted: '00000000-0000-0000-0000-000000000000'".into()
            ),
        ]
    );
    assert_eq!(
        errors("SELECT name FROM account WHERE ownerid = 'me'", D).0[0].message,
        "a string that is not a GUID compared with `_ownerid_value`, a record id or lookup field"
    );
    // without a schema a GUID stays a quoted string
    assert_eq!(
        ok(
            "SELECT name FROM account WHERE _ownerid_value = '7a91c4b6-0000-4000-8000-000000000001'",
            D,
            &Options::default()
        )
        .0,
        "accounts?$select=name&$filter=_ownerid_value eq '7a91c4b6-0000-4000-8000-000000000001'"
    );
    // already written as the value property
    assert_eq!(
        text("SELECT _parentaccountid_value FROM account", D),
        "accounts?$select=_parentaccountid_value"
    );
    // selected by both names: once, with S102
    assert_eq!(
        ok(
            "SELECT parentaccountid, name, _parentaccountid_value FROM account",
            D,
            &opts(D)
        ),
        (
            "accounts?$select=_parentaccountid_value,name".into(),
            vec!["S102".into()]
        )
    );
    // entity set and key from EntitySetName / PrimaryIdAttribute: no B027, no B028
    assert_eq!(
        text("SELECT new_name FROM new_project WHERE new_customerid IS NULL ORDER BY new_name LIMIT 5", D),
        "new_projectses?$select=new_name&$filter=_new_customerid_value eq null&$orderby=new_name asc,new_projectid asc&$top=5"
    );
    let (_, w) = ok(
        "SELECT new_name FROM new_project LIMIT 5",
        D,
        &Options::default(),
    );
    assert_eq!(w, ["B027", "B028"]);
    // the options win over the schema
    let o = Options {
        entity_set: Some("projects".into()),
        primary_key: Some("projectid".into()),
        ..opts(D)
    };
    assert_eq!(
        ok(
            "SELECT new_name FROM new_project ORDER BY new_name LIMIT 5",
            D,
            &o
        )
        .0,
        "projects?$select=new_name&$orderby=new_name asc,projectid asc&$top=5"
    );
    // ordering by a lookup is B029, now also by its logical name
    assert_eq!(
        described("SELECT name FROM account ORDER BY parentaccountid", D)[0].0,
        "B029"
    );
}

#[test]
fn unified_names_are_mapped_before_the_schema() {
    let o = Options {
        names: Names::Unified,
        ..opts(SF)
    };
    assert_eq!(
        ok(
            "SELECT name, created FROM account WHERE employees > 5",
            SF,
            &o
        )
        .0,
        "SELECT Name, CreatedDate FROM Account WHERE NumberOfEmployees > 5"
    );
    let e = translate(
        "SELECT name FROM account WHERE employees = 'many'",
        Lang::Kql,
        SF,
        &o,
    )
    .unwrap_err();
    assert_eq!(e.0[0].code.as_str(), "U023");
    assert_eq!(
        e.0[0].message,
        "a string compared with `NumberOfEmployees`, a number field"
    );
    let o = Options {
        names: Names::Unified,
        ..opts(D)
    };
    assert_eq!(
        ok(
            "SELECT name FROM account WHERE created > '2024-01-01T00:00:00Z'",
            D,
            &o
        )
        .0,
        "accounts?$select=name&$filter=createdon gt 2024-01-01T00:00:00Z"
    );
}

#[test]
fn check_applies_the_schema_only_with_a_target() {
    let o = opts(SF);
    let e = check("SELECT Nme FROM Account", Lang::Kql, Some(SF), &o).unwrap_err();
    assert_eq!(e.0[0].code.as_str(), "U022");
    assert_eq!((e.0[0].line, e.0[0].column), (Some(1), Some(8)));
    assert!(check("SELECT Nme FROM Account", Lang::Kql, None, &o).is_ok());
    // the validated query carries the field types
    let ir = check("SELECT Name FROM Account", Lang::Kql, Some(SF), &o).unwrap();
    let json = serde_json::to_string(&ir.selection).unwrap();
    assert!(json.contains(r#""ty":"string""#), "{json}");
}

#[test]
fn without_a_schema_nothing_changes() {
    for (q, t) in [
        ("SELECT Nme FROM Acount WHERE NumberOfEmployees = '5' AND IsDeleted IS NULL", SF),
        ("SELECT name, parentaccountid FROM account WHERE new_founded = '2024-01-01T00:00:00Z' LIMIT 5", D),
        ("SELECT new_nam FROM new_project LIMIT 5", D),
        ("SELECT name FROM Accounts WHERE date_entered > '2024-01-01' OR rating_score = '3'", SG),
    ] {
        let plain = translate(q, Lang::Kql, t, &Options::default()).unwrap();
        let empty = Options {
            schema: None,
            ..Options::default()
        };
        assert_eq!(translate(q, Lang::Kql, t, &empty).unwrap(), plain);
        assert!(translate(q, Lang::Kql, t, &opts(t)).is_err(), "{t}: {q}");
    }
    // a schema for one CRM applies to the target compiled: another CRM's
    // object is unknown
    assert_eq!(
        translate("SELECT Name FROM Account", Lang::Kql, SF, &opts(SG))
            .unwrap_err()
            .0[0]
            .code
            .as_str(),
        "U021"
    );
}
