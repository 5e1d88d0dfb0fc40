//! Transforms (`Options::transforms`, issue 13 part 2): the three document
//! shapes and every malformed-document error (`U007`), the merge into a
//! built-in unified type and a new type, raw paths per target, `\.` escapes
//! (`U008`), and unified queries with Transforms equal to their raw twins.

use kql::unified::{parse_transforms, Transform};
use kql::{check, translate, Errors, Lang, Names, Options, Target};

use Target::{Dynamics as D, Salesforce as SF, Sugarcrm as SG};

/// A Transform for the built-in `account` type, and one for a new `project` type.
const LIST: &str = r#"{
  "objects": [
    {"id": "t1", "api": "object", "type": "transform",
     "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
     "kloudless_object_name": "account", "service_object_name": "Company__c",
     "bidirectional": {"name": "Legal_Name__c", "tier": "Tier__c",
                       "rating": "Profile__r.Rating__c", "odd": "v1\\.0.name",
                       "billing_address": "BillingCity"}},
    {"kloudless_object_name": "project", "service_object_name": "Project__c",
     "bidirectional": {"name": "Name", "budget": "Budget__c",
                       "owner.name": "Owner.Name", "account_name": "Account__r.Name"}}
  ],
  "count": 2, "page": 1, "next_page": null, "type": "object_list", "api": "object"
}"#;

fn with(transforms: Vec<Transform>) -> Options {
    Options {
        names: Names::Unified,
        transforms,
        ..Options::default()
    }
}

fn opts() -> Options {
    with(parse_transforms(LIST).unwrap())
}

/// The request as JSON and the warning codes.
fn meaning(src: &str, target: Target, opts: &Options) -> (String, Vec<String>) {
    match translate(src, Lang::Kql, target, opts) {
        Ok(t) => (
            serde_json::to_string(&t.request).unwrap(),
            t.warnings.iter().map(|w| w.code.to_string()).collect(),
        ),
        Err(e) => panic!("{target}: {src}\n{}", e.render(src)),
    }
}

fn text(src: &str, target: Target, opts: &Options) -> String {
    match translate(src, Lang::Kql, target, opts) {
        Ok(t) => t.request.to_string(),
        Err(e) => panic!("{target}: {src}\n{}", e.render(src)),
    }
}

fn errors(src: &str, target: Target, opts: &Options) -> Errors {
    match translate(src, Lang::Kql, target, opts) {
        Ok(t) => panic!("{target}: {src} was accepted: {}", t.request),
        Err(e) => e,
    }
}

fn codes(e: &Errors) -> Vec<&str> {
    e.0.iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str())
        .collect()
}

/// The messages of a rejected document.
fn doc_errors(json: &str) -> Vec<String> {
    match parse_transforms(json) {
        Ok(t) => panic!("accepted: {t:?}"),
        Err(e) => {
            for d in &e.0 {
                assert_eq!(d.code.as_str(), "U007", "{d:?}");
                assert_eq!((d.span.start, d.span.end), (0, 0), "{d:?}");
                assert!(d.help.is_some(), "{d:?}");
                assert!(!d.message.contains('\n'), "{d:?}");
            }
            e.0.iter().map(|d| d.message.to_string()).collect()
        }
    }
}

// ---- document shapes

const ONE: &str = r#"{"kloudless_object_name": "lead", "service_object_name": "Lead",
                      "bidirectional": {"score": "Score__c"}}"#;

#[test]
fn one_object_an_array_and_the_list_response_are_read() {
    let expected = vec![Transform {
        kloudless_object_name: "lead".into(),
        service_object_name: "Lead".into(),
        bidirectional: [("score".to_string(), "Score__c".to_string())].into(),
    }];
    assert_eq!(parse_transforms(ONE).unwrap(), expected);
    assert_eq!(parse_transforms(&format!("[{ONE}]")).unwrap(), expected);
    assert_eq!(
        parse_transforms(&format!(r#"{{"objects": [{ONE}], "count": 1}}"#)).unwrap(),
        expected
    );
    assert_eq!(parse_transforms("[]").unwrap(), vec![]);
    assert_eq!(parse_transforms(r#"{"objects": []}"#).unwrap(), vec![]);
    let all = parse_transforms(LIST).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].kloudless_object_name, "project");
    assert_eq!(all[0].bidirectional["odd"], "v1\\.0.name");
}

#[test]
fn options_carry_the_transforms_as_plain_data() {
    let o = opts();
    let json = serde_json::to_value(&o).unwrap();
    assert_eq!(
        json["transforms"][1]["service_object_name"],
        serde_json::json!("Project__c")
    );
    let back: Vec<Transform> = serde_json::from_value(json["transforms"].clone()).unwrap();
    assert_eq!(back, o.transforms);
}

// ---- malformed documents: each a U007

#[test]
fn malformed_documents_are_u007() {
    let cases: &[(&str, &str)] = &[
        ("", "the Transform document is not JSON"),
        (
            "{\"kloudless_object_name\": ",
            "the Transform document is not JSON",
        ),
        (
            "3",
            "the Transform document is neither an object nor an array",
        ),
        (
            "\"account\"",
            "the Transform document is neither an object nor an array",
        ),
        (
            r#"{"objects": {}}"#,
            "`objects` of the List Transforms response is not an array",
        ),
        (
            r#"{"objects": [], "next": 1}"#,
            "the List Transforms response has an unknown attribute `next`",
        ),
        ("[3]", "Transform 0: is not an object"),
        (
            r#"{"service_object_name": "A", "bidirectional": {}}"#,
            "Transform 0: `kloudless_object_name` is missing",
        ),
        (
            r#"{"kloudless_object_name": "a", "bidirectional": {}}"#,
            "Transform 0: `service_object_name` is missing",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A"}"#,
            "Transform 0: `bidirectional` is missing",
        ),
        (
            r#"{"kloudless_object_name": "", "service_object_name": "A", "bidirectional": {}}"#,
            "Transform 0: `kloudless_object_name` is empty",
        ),
        (
            r#"{"kloudless_object_name": 1, "service_object_name": "A", "bidirectional": {}}"#,
            "Transform 0: `kloudless_object_name` is not a string",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": []}"#,
            "Transform 0: `bidirectional` is not an object",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": 1}}"#,
            "Transform 0: the raw field of `x` is not a string",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {}, "unidirectional": {}}"#,
            "Transform 0: unknown attribute `unidirectional`",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": ""}}"#,
            "Transform 0: raw field `` of `x`: an empty level",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": "A..B"}}"#,
            "Transform 0: raw field `A..B` of `x`: an empty level",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": "A."}}"#,
            "Transform 0: raw field `A.` of `x`: an empty level",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": "A\\B"}}"#,
            "Transform 0: raw field `A\\B` of `x`: `\\` escapes only `.`",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x": "A\\"}}"#,
            "Transform 0: raw field `A\\` of `x`: `\\` escapes only `.`",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"x\\.y": "B"}}"#,
            "Transform 0: unified field `x\\.y`: a query cannot write a name with an escaped `.`",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {".y": "B"}}"#,
            "Transform 0: unified field `.y`: an empty level",
        ),
        (
            r#"{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {"href": "B"}}"#,
            "Transform 0: unified field `href`: it describes the unified response",
        ),
        (
            r#"[{"kloudless_object_name": "a", "service_object_name": "A", "bidirectional": {}},
             {"kloudless_object_name": "a", "service_object_name": "B", "bidirectional": {}}]"#,
            "Transform 1: a second Transform for unified type `a`",
        ),
    ];
    for (json, want) in cases {
        let got = doc_errors(json);
        assert!(
            got.iter().any(|m| m.starts_with(want)),
            "{json}: want `{want}`, got {got:?}"
        );
    }
}

#[test]
fn every_problem_of_a_document_is_reported() {
    let got = doc_errors(
        r#"[{"kloudless_object_name": 1, "bidirectional": {"x": "A\\B", "y": 2}, "z": 0}, 7]"#,
    );
    assert_eq!(
        got,
        [
            "Transform 0: unknown attribute `z`",
            "Transform 0: `kloudless_object_name` is not a string",
            "Transform 0: `service_object_name` is missing",
            "Transform 0: raw field `A\\B` of `x`: `\\` escapes only `.`",
            "Transform 0: the raw field of `y` is not a string",
            "Transform 1: is not an object",
        ]
    );
}

// ---- merge into a built-in type

#[test]
fn a_transform_merges_into_a_builtin_type() {
    let o = opts();
    // override `name`, add `tier`, replace the object, keep the other fields
    assert_eq!(
        text("SELECT name, tier, created FROM account WHERE phone = '1' ORDER BY name", SF, &o),
        "SELECT Legal_Name__c, Tier__c, CreatedDate FROM Company__c WHERE Phone = '1' ORDER BY Legal_Name__c"
    );
    assert_eq!(
        text(
            "SELECT name, tier, created FROM account WHERE phone = '1'",
            SG,
            &o
        ),
        r#"{"filter":[{"phone_office":{"$equals":"1"}}],"fields":"Legal_Name__c,Tier__c,date_entered"}"#
    );
    let t = translate(
        "SELECT name, tier FROM account",
        Lang::Kql,
        D,
        &Options {
            entity_set: Some("companies".into()),
            primary_key: Some("companyid".into()),
            ..o.clone()
        },
    )
    .unwrap();
    assert_eq!(
        t.request.to_string(),
        "companies?$select=Legal_Name__c,Tier__c"
    );
    // a Transform's compound field is a plain field: it can be filtered
    assert_eq!(
        text(
            "SELECT id FROM account WHERE billing_address = 'Paris'",
            SF,
            &o
        ),
        "SELECT Id FROM Company__c WHERE BillingCity = 'Paris'"
    );
    // another built-in type is unchanged
    assert_eq!(
        text("SELECT name FROM lead", SF, &o),
        "SELECT Name FROM Lead"
    );
    // the new field is listed in U002's help
    let e = errors("SELECT tire FROM account", SF, &o);
    assert_eq!(codes(&e), ["U002"]);
    let help = e.0[0].help.as_deref().unwrap();
    assert!(help.starts_with("did you mean `tier`?"), "{help}");
}

#[test]
fn a_transform_of_a_related_type_applies_through_the_relation() {
    let o = opts();
    assert_eq!(
        text(
            "SELECT account.name FROM contact WHERE account.tier = 'A'",
            SF,
            &o
        ),
        "SELECT Account.Legal_Name__c FROM Contact WHERE Account.Tier__c = 'A'"
    );
}

#[test]
fn without_a_target_the_merged_names_are_checked_and_left_unified() {
    let o = opts();
    let q = check(
        "SELECT name, budget FROM project WHERE budget > 1",
        Lang::Kql,
        None,
        &o,
    )
    .unwrap();
    assert_eq!(q.object.name, "project");
    let e = check("SELECT nope FROM project", Lang::Kql, None, &o).unwrap_err();
    assert_eq!(codes(&e), ["U002"]);
}

// ---- a new type

#[test]
fn a_new_unified_type_has_exactly_its_fields() {
    let o = opts();
    assert_eq!(
        text(
            "SELECT name, budget FROM project WHERE budget > 100 ORDER BY name",
            SF,
            &o
        ),
        "SELECT Name, Budget__c FROM Project__c WHERE Budget__c > 100 ORDER BY Name"
    );
    // a dotted unified field is matched whole
    assert_eq!(
        text("SELECT owner.name FROM project", SF, &o),
        "SELECT Owner.Name FROM Project__c"
    );
    // only the Transform's fields: `created` is not one
    let e = errors("SELECT created FROM project", SF, &o);
    assert_eq!(codes(&e), ["U002"]);
    assert_eq!(
        e.0[0].help.as_deref(),
        Some("fields of `project`: account_name, budget, name, owner.name")
    );
    // no relation
    let e = errors("SELECT account.name FROM project", SF, &o);
    assert_eq!(codes(&e), ["U005"]);
    // metadata fields stay U006
    let e = errors("SELECT href FROM project", SF, &o);
    assert_eq!(codes(&e), ["U006"]);
    // the type list of U001 includes it
    let e = errors("SELECT name FROM projet", SF, &o);
    assert_eq!(codes(&e), ["U001"]);
    assert!(
        e.0[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `project`?"),
        "{:?}",
        e.0[0].help
    );
    // without Transforms it is not a type
    let e = errors("SELECT name FROM project", SF, &with(vec![]));
    assert_eq!(codes(&e), ["U001"]);
}

// ---- raw paths per target

#[test]
fn dotted_raw_fields_become_each_targets_path() {
    let o = opts();
    assert_eq!(
        text("SELECT id, rating FROM account WHERE rating > 3", SF, &o),
        "SELECT Id, Profile__r.Rating__c FROM Company__c WHERE Profile__r.Rating__c > 3"
    );
    let dyn_opts = Options {
        entity_set: Some("companies".into()),
        primary_key: Some("companyid".into()),
        ..o.clone()
    };
    assert_eq!(
        text("SELECT id, rating FROM account WHERE rating > 3", D, &dyn_opts),
        "companies?$select=accountid&$expand=Profile__r($select=Rating__c)&$filter=Profile__r/Rating__c gt 3"
    );
    // dynamics cannot sort by a related property: the backend's own error
    let e = errors("SELECT id FROM account ORDER BY rating", D, &dyn_opts);
    assert_eq!(codes(&e), ["B023"]);
    // sugarcrm: `link.field` in WHERE, an error in SELECT and ORDER BY
    assert_eq!(
        text("SELECT id FROM account WHERE rating > 3", SG, &o),
        r#"{"filter":[{"Profile__r.Rating__c":{"$gt":3}}],"fields":"id"}"#
    );
    let e = errors("SELECT rating FROM account ORDER BY rating", SG, &o);
    assert_eq!(codes(&e), ["B042", "B042"]);
}

// ---- `\.` escapes

#[test]
fn an_escaped_dot_is_one_level_and_rejected_as_an_identifier() {
    let o = opts();
    for t in Target::ALL {
        for q in [
            "SELECT odd FROM account",
            "SELECT id FROM account WHERE odd = 'x'",
            "SELECT id FROM account ORDER BY odd",
        ] {
            let e = errors(q, t, &o);
            assert_eq!(codes(&e), ["U008"], "{t}: {q}");
            let d = &e.0[0];
            let at = q.find("odd").unwrap();
            assert_eq!((d.span.start, d.span.end), (at, at + 3), "{t}: {q}");
            assert_eq!(
                d.message,
                format!("the Transform of `account` maps `odd` to `v1\\.0.name`, whose level `v1.0` holds a literal `.`: no {t} identifier can")
            );
        }
    }
    // never turned into a path: the same raw field without the escape is one
    let plain = with(
        parse_transforms(
            r#"{"kloudless_object_name": "account", "service_object_name": "Account",
                "bidirectional": {"odd": "v1.0.name"}}"#,
        )
        .unwrap(),
    );
    // `0` is not a SOQL identifier level: the backend's check rejects it
    let e = errors("SELECT odd FROM account", SF, &plain);
    assert!(!codes(&e).is_empty());
    assert!(!codes(&e).contains(&"U008"));
}

#[test]
fn a_transform_built_by_hand_is_checked_when_used() {
    let o = with(vec![Transform {
        kloudless_object_name: "account".into(),
        service_object_name: "Account".into(),
        bidirectional: [("x".to_string(), "A..B".to_string())].into(),
    }]);
    let e = errors("SELECT x FROM account", SF, &o);
    assert_eq!(codes(&e), ["U007"]);
    assert_eq!((e.0[0].span.start, e.0[0].span.end), (7, 8));
}

#[test]
fn an_impossible_raw_name_is_an_error_never_emitted() {
    let o = with(
        parse_transforms(
            r#"{"kloudless_object_name": "account", "service_object_name": "Account",
                "bidirectional": {"x": "Bad Name", "y": "a'b"}}"#,
        )
        .unwrap(),
    );
    for t in Target::ALL {
        for q in [
            "SELECT x FROM account",
            "SELECT id FROM account WHERE y = 1",
        ] {
            let e = errors(q, t, &o);
            assert!(!codes(&e).is_empty(), "{t}: {q}");
        }
    }
}

#[test]
fn an_impossible_service_object_name_is_the_backends_error() {
    for (so, want) in [
        ("a.b", ["B001", "B020", "B041"]),
        ("a\\\\.b", ["B001", "B020", "B041"]),
    ] {
        let o = with(
            parse_transforms(&format!(
                r#"{{"kloudless_object_name": "thing", "service_object_name": "{so}",
                    "bidirectional": {{"n": "Name"}}}}"#
            ))
            .unwrap(),
        );
        for (t, code) in Target::ALL.into_iter().zip(want) {
            let e = errors("SELECT n FROM thing", t, &o);
            assert_eq!(codes(&e), [code], "{t}: {so}");
        }
    }
}

// ---- twins

/// (target, unified query with `LIST`'s Transforms, raw twin).
const TWINS: &[(Target, &str, &str)] = &[
    (SF, "SELECT name, tier, rating, owner FROM account WHERE tier IN ('A', 'B') AND rating >= 2 ORDER BY created DESC LIMIT 5",
         "SELECT Legal_Name__c, Tier__c, Profile__r.Rating__c, OwnerId FROM Company__c WHERE Tier__c IN ('A', 'B') AND Profile__r.Rating__c >= 2 ORDER BY CreatedDate DESC LIMIT 5"),
    (D,  "SELECT name, tier, owner FROM account WHERE tier IN ('A', 'B') AND rating >= 2 ORDER BY created DESC LIMIT 5",
         "SELECT Legal_Name__c, Tier__c, _ownerid_value FROM Company__c WHERE Tier__c IN ('A', 'B') AND Profile__r.Rating__c >= 2 ORDER BY createdon DESC LIMIT 5"),
    (SG, "SELECT name, tier, owner FROM account WHERE tier IN ('A', 'B') AND rating >= 2 ORDER BY created DESC LIMIT 5",
         "SELECT Legal_Name__c, Tier__c, assigned_user_id FROM Company__c WHERE Tier__c IN ('A', 'B') AND Profile__r.Rating__c >= 2 ORDER BY date_entered DESC LIMIT 5"),
    (SF, "SELECT name, budget, account_name FROM project WHERE account_name LIKE 'Acme%' AND budget IS NOT NULL",
         "SELECT Name, Budget__c, Account__r.Name FROM Project__c WHERE Account__r.Name LIKE 'Acme%' AND Budget__c IS NOT NULL"),
    (D,  "SELECT name, budget, account_name FROM project WHERE account_name LIKE 'Acme%' AND budget IS NOT NULL",
         "SELECT Name, Budget__c, Account__r.Name FROM Project__c WHERE Account__r.Name LIKE 'Acme%' AND Budget__c IS NOT NULL"),
    (SG, "SELECT name, budget FROM project WHERE account_name LIKE 'Acme%' AND budget != 0",
         "SELECT Name, Budget__c FROM Project__c WHERE Account__r.Name LIKE 'Acme%' AND Budget__c != 0"),
    (SF, "SELECT 'tier' FROM account", "SELECT 'Tier__c' FROM Company__c"),
];

#[test]
fn unified_queries_with_transforms_equal_their_raw_twins() {
    let o = opts();
    let raw = Options::default();
    for (t, unified, twin) in TWINS {
        assert_eq!(
            meaning(unified, *t, &o),
            meaning(twin, *t, &raw),
            "{t}: {unified}"
        );
    }
}

#[test]
fn transforms_do_nothing_with_raw_names() {
    let o = Options {
        names: Names::Raw,
        ..opts()
    };
    assert_eq!(
        text("SELECT tier FROM account", SF, &o),
        "SELECT tier FROM account"
    );
}
