//! Unified names (`Options::names = Names::Unified`, issue 13 part 1): each
//! unified query translates exactly as its hand-written raw twin, every
//! `U…` code with its span, message and help, and the mapping file's
//! coverage and sources.

use std::collections::BTreeSet;

use kql::{check, translate, Errors, Lang, Names, Options, Target};
use serde_json::Value;

fn unified() -> Options {
    Options {
        names: Names::Unified,
        ..Options::default()
    }
}

/// The request as JSON and the warning codes: what a translation means,
/// without the spans (which point into two different texts).
fn meaning(src: &str, target: Target, opts: &Options) -> (String, Vec<String>) {
    match translate(src, Lang::Kql, target, opts) {
        Ok(t) => (
            serde_json::to_string(&t.request).unwrap(),
            t.warnings.iter().map(|w| w.code.to_string()).collect(),
        ),
        Err(e) => panic!("{target}: {src}\n{}", e.render(src)),
    }
}

use Target::{Dynamics as D, Salesforce as SF, Sugarcrm as SG};

/// (target, unified query, raw twin).
const TWINS: &[(Target, &str, &str)] = &[
    // ---- account
    (SF, "SELECT id, name, owner, employees, website FROM account WHERE industry = 'Banking' AND annual_revenue > 1000 OR phone LIKE '555%' ORDER BY created DESC LIMIT 5",
         "SELECT Id, Name, OwnerId, NumberOfEmployees, Website FROM Account WHERE Industry = 'Banking' AND AnnualRevenue > 1000 OR Phone LIKE '555%' ORDER BY CreatedDate DESC LIMIT 5"),
    (D,  "SELECT id, name, owner, employees, website FROM account WHERE industry = 'Banking' AND annual_revenue > 1000 OR phone LIKE '555%' ORDER BY created DESC LIMIT 5",
         "SELECT accountid, name, _ownerid_value, numberofemployees, websiteurl FROM account WHERE industrycode = 'Banking' AND revenue > 1000 OR telephone1 LIKE '555%' ORDER BY createdon DESC LIMIT 5"),
    (SG, "SELECT id, name, owner, employees, website FROM account WHERE industry = 'Banking' AND annual_revenue > 1000 OR phone LIKE '555%' ORDER BY created DESC LIMIT 5",
         "SELECT id, name, assigned_user_id, employees, website FROM Accounts WHERE industry = 'Banking' AND annual_revenue > 1000 OR phone_office LIKE '555%' ORDER BY date_entered DESC LIMIT 5"),
    (SF, "SELECT fax, rating, description, industry_code, billing_address, shipping_address FROM account WHERE modified < '2020-01-01T00:00:00Z'",
         "SELECT Fax, Rating, Description, NaicsCode, BillingAddress, ShippingAddress FROM Account WHERE LastModifiedDate < '2020-01-01T00:00:00Z'"),
    (D,  "SELECT fax, rating, description FROM account WHERE modified < '2020-01-01T00:00:00Z'",
         "SELECT fax, accountratingcode, description FROM account WHERE modifiedon < '2020-01-01T00:00:00Z'"),
    (SG, "SELECT fax, rating, description FROM account WHERE modified < '2020-01-01T00:00:00Z'",
         "SELECT phone_fax, rating, description FROM Accounts WHERE date_modified < '2020-01-01T00:00:00Z'"),
    // a literal in the SELECT list is a property name, and is mapped as one
    (SF, "SELECT 'name' FROM account", "SELECT 'Name' FROM Account"),
    (D,  "SELECT * FROM account WHERE website = 'x'", "SELECT * FROM account WHERE websiteurl = 'x'"),
    // ---- contact
    (SF, "SELECT first_name, last_name, email, account FROM contact WHERE title != 'CEO' AND department IN ('Sales', 'Ops') AND modified IS NOT NULL ORDER BY last_name",
         "SELECT FirstName, LastName, Email, AccountId FROM Contact WHERE Title != 'CEO' AND Department IN ('Sales', 'Ops') AND LastModifiedDate IS NOT NULL ORDER BY LastName"),
    (D,  "SELECT first_name, middle_name, last_name, email, account FROM contact WHERE title != 'CEO' AND department IN ('Sales', 'Ops') AND modified IS NOT NULL ORDER BY last_name",
         "SELECT firstname, middlename, lastname, emailaddress1, _parentcustomerid_value FROM contact WHERE jobtitle != 'CEO' AND department IN ('Sales', 'Ops') AND modifiedon IS NOT NULL ORDER BY lastname"),
    (SG, "SELECT first_name, last_name, email, phone FROM contact WHERE title != 'CEO' AND department IN ('Sales', 'Ops') AND modified IS NOT NULL ORDER BY last_name",
         "SELECT first_name, last_name, email, phone_work FROM Contacts WHERE title != 'CEO' AND department IN ('Sales', 'Ops') AND date_modified IS NOT NULL ORDER BY last_name"),
    (SF, "SELECT name, account.name, mailing_address FROM contact WHERE account.name LIKE 'Acme%' AND owner = '005x'",
         "SELECT Name, Account.Name, MailingAddress FROM Contact WHERE Account.Name LIKE 'Acme%' AND OwnerId = '005x'"),
    (D,  "SELECT name, account.name FROM contact WHERE account.name LIKE 'Acme%' AND owner = 'x'",
         "SELECT fullname, parentcustomerid_account.name FROM contact WHERE parentcustomerid_account.name LIKE 'Acme%' AND _ownerid_value = 'x'"),
    // ---- lead
    (SF, "SELECT name, company, status, email FROM lead WHERE email != '' AND rating = 'Hot' AND industry IS NOT NULL ORDER BY name ASC",
         "SELECT Name, Company, Status, Email FROM Lead WHERE Email != '' AND Rating = 'Hot' AND Industry IS NOT NULL ORDER BY Name ASC"),
    (D,  "SELECT name, company, status, email FROM lead WHERE email != '' AND rating = 'Hot' AND industry IS NOT NULL ORDER BY name ASC",
         "SELECT fullname, companyname, statuscode, emailaddress1 FROM lead WHERE emailaddress1 != '' AND leadqualitycode = 'Hot' AND industrycode IS NOT NULL ORDER BY fullname ASC"),
    (SG, "SELECT first_name, last_name, company, status, email FROM lead WHERE email != '' AND status = 'New' ORDER BY last_name ASC",
         "SELECT first_name, last_name, account_name, status, email FROM Leads WHERE email != '' AND status = 'New' ORDER BY last_name ASC"),
    // ---- opportunity
    (SF, "SELECT name, stage_name, amount, closing_date FROM opportunity WHERE probability >= 50 AND closing_date < '2025-01-01' AND stage_name != 'Closed Lost' ORDER BY amount DESC, name LIMIT 20 OFFSET 40",
         "SELECT Name, StageName, Amount, CloseDate FROM Opportunity WHERE Probability >= 50 AND CloseDate < '2025-01-01' AND StageName != 'Closed Lost' ORDER BY Amount DESC, Name LIMIT 20 OFFSET 40"),
    (D,  "SELECT name, stage_name, amount, closing_date FROM opportunity WHERE probability >= 50 AND closing_date < '2025-01-01' AND stage_name != 'Closed Lost' ORDER BY amount DESC, name LIMIT 20 OFFSET 40",
         "SELECT name, stepname, estimatedvalue, estimatedclosedate FROM opportunity WHERE closeprobability >= 50 AND estimatedclosedate < '2025-01-01' AND stepname != 'Closed Lost' ORDER BY estimatedvalue DESC, name LIMIT 20 OFFSET 40"),
    (SG, "SELECT name, stage_name, amount, closing_date FROM opportunity WHERE probability >= 50 AND closing_date < '2025-01-01' AND stage_name != 'Closed Lost' ORDER BY amount DESC, name LIMIT 20 OFFSET 40",
         "SELECT name, sales_stage, amount, date_closed FROM Opportunities WHERE probability >= 50 AND date_closed < '2025-01-01' AND sales_stage != 'Closed Lost' ORDER BY amount DESC, name LIMIT 20 OFFSET 40"),
    (SF, "SELECT name, next_step, opportunity_type, account.name, campaign.name FROM opportunity WHERE account.industry = 'Energy' OR campaign = '701x'",
         "SELECT Name, NextStep, Type, Account.Name, Campaign.Name FROM Opportunity WHERE Account.Industry = 'Energy' OR CampaignId = '701x'"),
    (D,  "SELECT name, account.name, account, campaign, owner FROM opportunity WHERE account.industry = 'Energy'",
         "SELECT name, parentaccountid.name, _parentaccountid_value, _campaignid_value, _ownerid_value FROM opportunity WHERE parentaccountid.industrycode = 'Energy'"),
    (SG, "SELECT name, next_step, opportunity_type, campaign FROM opportunity WHERE owner = 'u1'",
         "SELECT name, next_step, opportunity_type, campaign_id FROM Opportunities WHERE assigned_user_id = 'u1'"),
    // ---- campaign
    (SF, "SELECT name, campaign_type, start, end, budgeted_cost, actual_cost FROM campaign WHERE status = 'Planned' AND expected_revenue > 0 AND parent IS NULL",
         "SELECT Name, Type, StartDate, EndDate, BudgetedCost, ActualCost FROM Campaign WHERE Status = 'Planned' AND ExpectedRevenue > 0 AND ParentId IS NULL"),
    (D,  "SELECT name, campaign_type, budgeted_cost, description FROM campaign WHERE status = 1 AND expected_revenue > 0",
         "SELECT name, typecode, budgetedcost, description FROM campaign WHERE statuscode = 1 AND expectedrevenue > 0"),
    (SG, "SELECT name, campaign_type, start, end, budgeted_cost, actual_cost FROM campaign WHERE status = 'Planning' AND expected_revenue > 0",
         "SELECT name, campaign_type, start_date, end_date, budget, actual_cost FROM Campaigns WHERE status = 'Planning' AND expected_revenue > 0"),
    // ---- task
    (SF, "SELECT subject, status, priority, owner, account FROM task WHERE subject LIKE '%call%' AND created >= '2024-01-01T00:00:00Z' ORDER BY modified DESC",
         "SELECT Subject, Status, Priority, OwnerId, AccountId FROM Task WHERE Subject LIKE '%call%' AND CreatedDate >= '2024-01-01T00:00:00Z' ORDER BY LastModifiedDate DESC"),
    (D,  "SELECT id, subject, status, priority, owner FROM task WHERE subject LIKE '%call%' AND created >= '2024-01-01T00:00:00Z' ORDER BY modified DESC LIMIT 3",
         "SELECT activityid, subject, statuscode, prioritycode, _ownerid_value FROM task WHERE subject LIKE '%call%' AND createdon >= '2024-01-01T00:00:00Z' ORDER BY modifiedon DESC LIMIT 3"),
    (SG, "SELECT subject, status, priority, owner FROM task WHERE subject LIKE '%call%' AND created >= '2024-01-01T00:00:00Z' ORDER BY modified DESC",
         "SELECT name, status, priority, assigned_user_id FROM Tasks WHERE name LIKE '%call%' AND date_entered >= '2024-01-01T00:00:00Z' ORDER BY date_modified DESC"),
];

#[test]
fn unified_queries_translate_as_their_raw_twins() {
    let mut covered = BTreeSet::new();
    for &(target, uq, rq) in TWINS {
        let u = meaning(uq, target, &unified());
        let r = meaning(rq, target, &Options::default());
        assert_eq!(u, r, "{target}:\n  {uq}\n  {rq}");
        let from = uq
            .split(" FROM ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        covered.insert((from.to_string(), target));
    }
    // every type × target has at least one twin
    assert_eq!(covered.len(), 18, "{covered:?}");
}

#[test]
fn the_issue_example_translates_for_every_target() {
    let q = "SELECT name, created FROM account WHERE modified >= '2024-01-01T00:00:00Z' ORDER BY name LIMIT 10";
    let out = |t| {
        translate(q, Lang::Kql, t, &unified())
            .unwrap()
            .request
            .to_string()
    };
    assert_eq!(
        out(SF),
        "SELECT Name, CreatedDate FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z ORDER BY Name, Id LIMIT 10"
    );
    assert_eq!(
        out(D),
        "accounts?$select=name,createdon&$filter=modifiedon ge 2024-01-01T00:00:00Z&$orderby=name asc,accountid asc&$top=10"
    );
    assert_eq!(
        out(SG),
        r#"{"filter":[{"date_modified":{"$gte":"2024-01-01T00:00:00+00:00"}}],"fields":"name,date_entered","order_by":"name:asc","max_num":10}"#
    );
}

#[test]
fn raw_mode_maps_nothing() {
    let t = translate(
        "SELECT name FROM account",
        Lang::Kql,
        SF,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(t.request.to_string(), "SELECT name FROM account");
    // and unified mode rejects a raw name
    let e = translate("SELECT Name FROM Account", Lang::Kql, SF, &unified()).unwrap_err();
    assert_eq!(codes(&e), ["U001"]);
}

fn codes(e: &Errors) -> Vec<&'static str> {
    e.iter().map(|d| d.code.as_str()).collect()
}

/// The one diagnostic of `src` (unified names, `target`): code, the text
/// under its span, message, help.
fn one(src: &str, target: Option<Target>) -> (&'static str, String, String, String) {
    let e = check(src, Lang::Kql, target, &unified()).unwrap_err();
    assert_eq!(e.0.len(), 1, "{}", e.render(src));
    let d = &e.0[0];
    assert!(d.line.is_some() && d.column.is_some());
    (
        d.code.as_str(),
        src[d.span.start..d.span.end].to_string(),
        d.message.to_string(),
        d.help.clone().unwrap_or_default().to_string(),
    )
}

#[test]
fn u001_unknown_type_suggests() {
    let (c, at, msg, help) = one("SELECT name FROM acount", Some(SF));
    assert_eq!((c, at.as_str()), ("U001", "acount"));
    assert_eq!(msg, "`acount` is not a unified object type");
    assert_eq!(
        help,
        "did you mean `account`? unified types: account, campaign, contact, lead, opportunity, task"
    );
    // case, plural, prefix
    for (name, want) in [
        ("Contact", "contact"),
        ("Leads", "lead"),
        ("opp", "opportunity"),
    ] {
        let src = format!("SELECT id FROM {name}");
        let (c, _, _, help) = one(&src, None);
        assert_eq!(c, "U001");
        assert!(
            help.starts_with(&format!("did you mean `{want}`?")),
            "{help}"
        );
    }
    let (_, _, _, help) = one("SELECT id FROM widgets", None);
    assert!(!help.contains("did you mean"), "{help}");
}

#[test]
fn u002_unknown_field_suggests() {
    let (c, at, msg, help) = one("SELECT nme FROM account", Some(D));
    assert_eq!((c, at.as_str()), ("U002", "nme"));
    assert_eq!(msg, "`nme` is not a unified field of `account`");
    assert!(
        help.starts_with("did you mean `name`? fields of `account`: id, name, owner,"),
        "{help}"
    );
    // in WHERE, in ORDER BY, a literal in SELECT, a related type's field
    let (c, at, ..) = one("SELECT id FROM lead WHERE create >= '2024-01-01'", Some(SG));
    assert_eq!((c, at.as_str()), ("U002", "create"));
    let (c, at, _, help) = one("SELECT id FROM task ORDER BY subjct", Some(SG));
    assert_eq!((c, at.as_str()), ("U002", "subjct"));
    assert!(help.starts_with("did you mean `subject`?"));
    let (c, at, ..) = one("SELECT 1 FROM task", Some(SF));
    assert_eq!((c, at.as_str()), ("U002", "1"));
    let (c, at, msg, _) = one("SELECT account.nam FROM contact", Some(SF));
    assert_eq!((c, at.as_str()), ("U002", "account.nam"));
    assert_eq!(msg, "`nam` is not a unified field of `account`");
}

#[test]
fn u003_unmapped_field_names_field_and_target() {
    let (c, at, msg, help) = one("SELECT middle_name FROM contact", Some(SF));
    assert_eq!((c, at.as_str()), ("U003", "middle_name"));
    assert_eq!(
        msg,
        "unified field `middle_name` of `contact` has no raw field on salesforce"
    );
    assert!(help.contains("MiddleName"), "{help}");
    let (c, _, msg, help) = one("SELECT id FROM contact WHERE name LIKE 'A%'", Some(SG));
    assert_eq!(c, "U003");
    assert_eq!(
        msg,
        "unified field `name` of `contact` has no raw field on sugarcrm"
    );
    assert!(help.contains("first_name"), "{help}");
    // a compound field in SELECT where the target has no single raw field
    let (c, at, ..) = one("SELECT billing_address FROM account", Some(D));
    assert_eq!((c, at.as_str()), ("U003", "billing_address"));
    // without a target nothing is unmapped
    assert!(check(
        "SELECT middle_name FROM contact",
        Lang::Kql,
        None,
        &unified()
    )
    .is_ok());
}

#[test]
fn u004_compound_field_in_where_or_order_by() {
    let (c, at, msg, help) = one(
        "SELECT id FROM account WHERE billing_address = 'x'",
        Some(SF),
    );
    assert_eq!((c, at.as_str()), ("U004", "billing_address"));
    assert_eq!(
        msg,
        "`billing_address` is a compound field (an address) and cannot be used in WHERE"
    );
    assert!(help.contains("parts"), "{help}");
    let (c, _, msg, _) = one("SELECT id FROM lead ORDER BY address", None);
    assert_eq!(c, "U004");
    assert!(msg.ends_with("cannot be used in ORDER BY"), "{msg}");
    // selecting it is fine where the target has one
    let t = translate("SELECT address FROM lead", Lang::Kql, SF, &unified()).unwrap();
    assert_eq!(t.request.to_string(), "SELECT Address FROM Lead");
}

#[test]
fn u005_paths() {
    let (c, at, msg, help) = one("SELECT owner.name FROM contact", Some(SF));
    assert_eq!((c, at.as_str()), ("U005", "owner.name"));
    assert_eq!(
        msg,
        "`owner` in `owner.name` is not a unified relation of `contact`"
    );
    assert_eq!(help, "relations of `contact`: account");
    let (c, _, msg, _) = one("SELECT account.owner.name FROM contact", Some(SF));
    assert_eq!(c, "U005");
    assert_eq!(
        msg,
        "`account.owner.name` goes through more than one relation"
    );
    let (c, _, _, help) = one("SELECT account.name FROM lead", None);
    assert_eq!(c, "U005");
    assert_eq!(
        help,
        "`lead` has no unified relation; select the id field instead"
    );
    // a relation the target does not map
    let (c, at, msg, help) = one("SELECT account.name FROM contact", Some(SG));
    assert_eq!((c, at.as_str()), ("U005", "account.name"));
    assert_eq!(
        msg,
        "the unified relation `account` of `contact` is not mapped on sugarcrm"
    );
    assert!(help.contains("`accounts` link"), "{help}");
    let (c, _, _, help) = one("SELECT campaign.name FROM opportunity", Some(D));
    assert_eq!(c, "U005");
    assert_eq!(
        help,
        "filter on `campaign`, the related record's id, instead"
    );
}

#[test]
fn u006_metadata_fields() {
    for f in ["type", "raw", "api", "href"] {
        let src = format!("SELECT {f} FROM campaign");
        let (c, at, msg, help) = one(&src, Some(SG));
        assert_eq!((c, at.as_str()), ("U006", f));
        assert_eq!(
            msg,
            format!("`{f}` is not a stored field of `campaign`: it describes the unified response")
        );
        assert!(help.contains("`type` is always `campaign`"), "{help}");
    }
}

#[test]
fn name_errors_come_with_validation_errors_in_source_order() {
    let src = "SELECT COUNT(*), nme FROM account WHERE a = NULL";
    let e = check(src, Lang::Kql, Some(SF), &unified()).unwrap_err();
    assert_eq!(codes(&e), ["S001", "U002", "U002", "S012"]);
    // every span is inside the text
    for d in e.iter() {
        assert!(d.span.end <= src.len());
    }
}

#[test]
fn every_unified_field_maps_or_is_a_coded_error_on_every_target() {
    let map = mapping();
    for (ty, def) in map["types"].as_object().unwrap() {
        let compound: Vec<&str> = strs(&def["compound"]);
        for field in strs(&def["fields"]) {
            for t in Target::ALL {
                let raw = def[t.name()]["fields"].get(field).and_then(Value::as_str);
                let sel = format!("SELECT {field} FROM {ty}");
                match (raw, translate(&sel, Lang::Kql, t, &unified())) {
                    (Some(raw), Ok(tr)) => {
                        assert!(
                            tr.request.to_string().contains(raw),
                            "{t} {sel}: {}",
                            tr.request
                        )
                    }
                    (None, Err(e)) => assert_eq!(codes(&e), ["U003"], "{t} {sel}"),
                    (raw, r) => panic!("{t} {sel}: mapping {raw:?}, translation {r:?}"),
                }
                let filt = format!("SELECT id FROM {ty} WHERE {field} IS NOT NULL");
                let r = translate(&filt, Lang::Kql, t, &unified());
                if compound.contains(&field) {
                    assert_eq!(codes(&r.unwrap_err()), ["U004"], "{t} {filt}");
                } else if raw.is_some() {
                    assert!(r.is_ok(), "{t} {filt}: {r:?}");
                }
            }
        }
    }
}

fn mapping() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/unified-names.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn the_mapping_covers_six_types_on_three_targets_and_cites_every_source() {
    let map = mapping();
    assert_eq!(
        map.to_string(),
        serde_json::from_str::<Value>(kql::unified::MAPPING_JSON)
            .unwrap()
            .to_string()
    );
    let types = map["types"].as_object().unwrap();
    let names: Vec<&str> = types.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "account",
            "campaign",
            "contact",
            "lead",
            "opportunity",
            "task"
        ]
    );
    assert_eq!(kql::unified::types(), names);
    let metadata = strs(&map["metadata"]);
    assert_eq!(metadata, ["type", "raw", "api", "href"]);
    let hosts = [
        ("salesforce", "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_"),
        ("dynamics", "https://learn.microsoft.com/"),
        ("sugarcrm", "https://github.com/mikesugarcrm/sugar_13/blob/"),
    ];
    for (ty, def) in types {
        let fields = strs(&def["fields"]);
        assert!(
            fields.contains(&"id") && fields.contains(&"created") && fields.contains(&"modified")
        );
        for f in &fields {
            assert!(!metadata.contains(f), "{ty}.{f}");
        }
        for c in strs(&def["compound"]) {
            assert!(fields.contains(&c), "{ty}: compound {c}");
        }
        let relations = def["relations"].as_object().unwrap();
        for (rel, other) in relations {
            assert!(
                fields.contains(&rel.as_str()),
                "{ty}: relation {rel} is also its id field"
            );
            assert!(types.contains_key(other.as_str().unwrap()));
        }
        for (target, prefix) in hosts {
            let on = &def[target];
            let object = on["object"].as_str().unwrap();
            assert!(!object.is_empty());
            assert_eq!(
                kql::unified::raw_object(ty, target.parse().unwrap()),
                Some(object)
            );
            let sources = strs(&on["sources"]);
            assert!(!sources.is_empty(), "{ty} × {target}: no source");
            for s in sources {
                assert!(s.starts_with(prefix), "{ty} × {target}: {s}");
            }
            for (f, raw) in on["fields"].as_object().unwrap() {
                assert!(
                    fields.contains(&f.as_str()),
                    "{ty} × {target}: stray field {f}"
                );
                assert!(!raw.as_str().unwrap().is_empty());
            }
            for (f, _) in on
                .get("notes")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                assert!(fields.contains(&f.as_str()), "{ty} × {target}: note on {f}");
                assert!(
                    on["fields"].get(f).is_none(),
                    "{ty} × {target}: note on mapped {f}"
                );
            }
            for (rel, _) in on
                .get("relations")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                assert!(
                    relations.contains_key(rel),
                    "{ty} × {target}: relation {rel}"
                );
            }
        }
        // the Dataverse entity set: the one the backend uses, with no guess
        let set = def["dynamics"]["entity_set"].as_str().unwrap();
        let t = translate(
            &format!("SELECT id FROM {ty} LIMIT 1"),
            Lang::Kql,
            D,
            &unified(),
        )
        .unwrap();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["entity_set"], set, "{ty}");
        assert!(t.warnings.is_empty(), "{ty}: {:?}", t.warnings);
    }
}

#[test]
fn names_mode_is_plain_data() {
    assert_eq!(Names::default(), Names::Raw);
    assert_eq!("unified".parse::<Names>(), Ok(Names::Unified));
    assert_eq!("RAW".parse::<Names>(), Ok(Names::Raw));
    assert!("both"
        .parse::<Names>()
        .unwrap_err()
        .contains("expected raw or unified"));
    let json = serde_json::to_value(unified()).unwrap();
    assert_eq!(json["names"], "unified");
    assert_eq!(
        serde_json::from_str::<Names>("\"raw\"").unwrap(),
        Names::Raw
    );
    assert_eq!(Names::Unified.to_string(), "unified");
}

#[test]
fn check_without_a_target_keeps_unified_names() {
    let ir = check(
        "SELECT name, account.name FROM contact WHERE created > '2024-01-01'",
        Lang::Kql,
        None,
        &unified(),
    )
    .unwrap();
    assert_eq!(ir.object.name, "contact");
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// Names a unified query may hold: real ones, near misses, paths,
    /// metadata, raw names, and text that is no name at all.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "id",
                "name",
                "owner",
                "created",
                "modified",
                "email",
                "account",
                "campaign",
                "account.name",
                "campaign.name",
                "account.owner.name",
                "owner.name",
                "billing_address",
                "mailing_address",
                "address",
                "middle_name",
                "type",
                "raw",
                "Name",
                "nme",
                "stage_name",
                "subject",
                "x.y",
                "a.b.c",
            ])
            .prop_map(String::from),
            "[a-z_]{1,12}(\\.[a-z_]{1,8}){0,2}",
        ]
    }

    fn item() -> impl Strategy<Value = String> {
        prop_oneof![
            word(),
            word().prop_map(|w| format!("'{w}'")),
            "'[^']{0,8}'",
            Just("1".to_string()),
            Just("TRUE".to_string()),
            Just("NULL".to_string()),
            word().prop_map(|w| format!("COUNT({w})")),
        ]
    }

    fn query() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(item(), 1..4),
            prop::sample::select(vec![
                "account",
                "contact",
                "lead",
                "opportunity",
                "campaign",
                "task",
                "Account",
                "acount",
                "x.y",
            ]),
            prop::collection::vec(
                (word(), prop::sample::select(vec!["=", "!=", "<", ">="])),
                0..3,
            ),
            prop::option::of(word()),
        )
            .prop_map(|(items, from, preds, order)| {
                let mut q = format!("SELECT {} FROM {from}", items.join(", "));
                if !preds.is_empty() {
                    let conds: Vec<String> = preds
                        .iter()
                        .map(|(w, op)| format!("{w} {op} 'v'"))
                        .collect();
                    q.push_str(&format!(" WHERE {}", conds.join(" OR ")));
                }
                if let Some(o) = order {
                    q.push_str(&format!(" ORDER BY {o}"));
                }
                q
            })
    }

    proptest! {
        #[test]
        fn unified_names_never_panic_and_point_inside_the_query(src in query()) {
            let mut targets = vec![None];
            targets.extend(Target::ALL.map(Some));
            for target in targets {
                let result = match target {
                    Some(t) => translate(&src, Lang::Kql, t, &unified()).map(|t| t.warnings),
                    None => check(&src, Lang::Kql, None, &unified()).map(|q| q.warnings),
                };
                let diags = match result {
                    Ok(w) => w,
                    Err(e) => {
                        prop_assert!(e.has_errors());
                        e.0
                    }
                };
                for d in &diags {
                    prop_assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "{src}: {d:?}");
                    prop_assert!(d.line.is_some(), "{src}: {d:?}");
                    prop_assert!(!d.message.contains('\n'), "{src}: {d:?}");
                }
            }
        }
    }
}

#[test]
fn a_literal_with_a_newline_keeps_the_message_on_one_line() {
    let src = "SELECT 'a\nb' FROM account";
    let e = check(src, Lang::Kql, Some(SF), &unified()).unwrap_err();
    assert_eq!(codes(&e), ["U002"]);
    assert_eq!(
        e.0[0].message,
        "`a\\nb` is not a unified field of `account`"
    );
}
