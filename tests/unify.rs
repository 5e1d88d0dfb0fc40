//! `kql::unify` / `kql unify`: raw records back to unified objects.
//!
//! The round trip: every conformance fixture row of every target, unified
//! and mapped forward again (unified field → raw path), gives the original
//! value of every mapped field, absent stays absent, and `raw` is the row.

#[allow(dead_code)]
#[path = "conformance/fixtures.rs"]
mod fixtures;
#[allow(dead_code)]
#[path = "conformance/sugar.rs"]
mod sugar;

use std::process::{Command, Stdio};

use kql::unify::{field_map, raw_path, unify, UnifyOptions};
use kql::Target;
use serde_json::{json, Map, Value};

/// The forward mapping: a unified object back to a raw record (mapped
/// fields only), writing nested objects for dotted raw paths.
fn forward(obj: &Map<String, Value>, target: Target, ty: &str) -> Map<String, Value> {
    let mut raw = Map::new();
    for (u, r) in field_map(ty, target).unwrap() {
        let Some(v) = obj.get(u) else { continue };
        let path = raw_path(r);
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut raw;
        for p in parents {
            at = at
                .entry(p.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap();
        }
        at.insert(last.clone(), v.clone());
    }
    raw
}

fn read<'v>(rec: &'v Map<String, Value>, raw: &str) -> Option<&'v Value> {
    let path = raw_path(raw);
    let (last, parents) = path.split_last().unwrap();
    let mut at = rec;
    for p in parents {
        at = at.get(p)?.as_object()?;
    }
    at.get(last)
}

/// The response document each CRM returns for these rows.
fn response(target: Target, rows: &[Map<String, Value>], object: &str) -> Value {
    match target {
        Target::Salesforce => {
            let recs: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.insert(
                        "attributes".into(),
                        json!({"type": object, "url": format!("/services/data/v59.0/sobjects/{object}/x")}),
                    );
                    Value::Object(r)
                })
                .collect();
            json!({"totalSize": rows.len(), "done": true, "records": recs})
        }
        Target::Dynamics => {
            let recs: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.insert("@odata.etag".into(), json!("W/\"1\""));
                    Value::Object(r)
                })
                .collect();
            json!({"@odata.context": "https://org.crm.dynamics.com/api/data/v9.2/$metadata#accounts", "value": recs})
        }
        Target::Sugarcrm => json!({"next_offset": -1, "records": rows}),
    }
}

#[test]
fn fixtures_round_trip_on_every_target() {
    for fx in [
        fixtures::salesforce(),
        fixtures::dynamics(),
        fixtures::sugarcrm(),
    ] {
        let t = fx.target;
        let pairs = field_map("account", t).unwrap();
        // the fixture object is the unified account's raw object
        assert_eq!(kql::unified::raw_object("account", t), Some(fx.object));
        let out = unify(
            &response(t, &fx.rows, fx.object),
            t,
            "account",
            &UnifyOptions::default(),
        )
        .unwrap();
        let objects = out["objects"].as_array().unwrap();
        assert_eq!(objects.len(), fx.rows.len(), "{t}");
        let mut mapped_columns = 0;
        for (row, obj) in fx.rows.iter().zip(objects) {
            let obj = obj.as_object().unwrap();
            assert_eq!(obj["type"], json!("account"));
            assert_eq!(obj["api"], json!("crm"));
            // raw: the record as returned, less salesforce's `attributes`
            let mut want_raw = row.clone();
            if t == Target::Dynamics {
                want_raw.insert("@odata.etag".into(), json!("W/\"1\""));
            }
            assert_eq!(obj["raw"], Value::Object(want_raw), "{t}");
            // only mapped unified fields, plus the three metadata fields
            for k in obj.keys() {
                assert!(
                    ["type", "api", "raw"].contains(&k.as_str())
                        || pairs.iter().any(|(u, _)| u == k),
                    "{t}: unexpected unified field {k}"
                );
            }
            let back = forward(obj, t, "account");
            for (u, r) in &pairs {
                assert_eq!(read(&back, r), row.get(*r), "{t}: {u} ← {r}");
                assert_eq!(obj.get(*u), row.get(*r), "{t}: {u} ← {r}");
            }
        }
        for (_, r) in &pairs {
            if fx.column(r).is_some() {
                mapped_columns += 1;
            }
        }
        // the round trip covers real columns: id, name, description, … on each target
        assert!(
            mapped_columns >= 4,
            "{t}: only {mapped_columns} mapped columns"
        );
    }
}

#[test]
fn every_type_round_trips_a_record_with_every_mapped_field() {
    for ty in kql::unified::types() {
        for t in Target::ALL {
            let pairs = field_map(ty, t).unwrap();
            // one record holding every mapped raw field, each a distinct value
            let mut rec = Map::new();
            for (i, (_, r)) in pairs.iter().enumerate() {
                let path = raw_path(r);
                let (last, parents) = path.split_last().unwrap();
                let mut at = &mut rec;
                for p in parents {
                    at = at
                        .entry(p.clone())
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .unwrap();
                }
                at.insert(last.clone(), json!(format!("v{i}")));
            }
            let out = unify(&Value::Object(rec.clone()), t, ty, &UnifyOptions::default()).unwrap();
            let obj = out["objects"][0].as_object().unwrap();
            assert_eq!(obj.len(), pairs.len() + 3, "{ty} on {t}");
            let back = forward(obj, t, ty);
            for (u, r) in &pairs {
                assert_eq!(read(&back, r), read(&rec, r), "{ty} on {t}: {u} ← {r}");
            }
        }
    }
}

#[test]
fn input_shapes() {
    let rec = json!({"Id": "1", "Name": "a"});
    let want =
        json!({"objects": [{"id": "1", "name": "a", "type": "account", "api": "crm", "raw": rec}]});
    let o = UnifyOptions::default();
    // a response, a bare array, one record
    for doc in [
        json!({"totalSize": 1, "done": true, "records": [rec]}),
        json!([rec]),
        rec.clone(),
    ] {
        assert_eq!(
            unify(&doc, Target::Salesforce, "account", &o).unwrap(),
            want
        );
    }
    // dynamics: `value`; annotations are not fields
    let d = json!({"@odata.context": "x", "value": [{"@odata.etag": "e", "accountid": "g", "name": "n",
        "_ownerid_value": "u", "_ownerid_value@OData.Community.Display.V1.FormattedValue": "Ann"}]});
    let out = unify(&d, Target::Dynamics, "account", &o).unwrap();
    let obj = &out["objects"][0];
    assert_eq!(obj["id"], json!("g"));
    assert_eq!(obj["owner"], json!("u"));
    assert_eq!(obj.as_object().unwrap().len(), 6);
    // sugarcrm: `records`; subject of a task is `name`
    let s =
        json!({"next_offset": -1, "records": [{"id": "t1", "name": "call", "_module": "Tasks"}]});
    let out = unify(&s, Target::Sugarcrm, "task", &o).unwrap();
    assert_eq!(out["objects"][0]["subject"], json!("call"));
    assert_eq!(out["objects"][0]["type"], json!("task"));
    // an empty response
    assert_eq!(
        unify(&json!({"records": []}), Target::Sugarcrm, "lead", &o).unwrap(),
        json!({"objects": []})
    );
    // without raw
    let out = unify(
        &rec,
        Target::Salesforce,
        "account",
        &UnifyOptions { raw: false },
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"objects": [{"id": "1", "name": "a", "type": "account", "api": "crm"}]})
    );
}

#[test]
fn absent_stays_absent_and_null_stays_null() {
    let o = UnifyOptions::default();
    let out = unify(
        &json!({"Id": "1", "Name": null}),
        Target::Salesforce,
        "account",
        &o,
    )
    .unwrap();
    let obj = out["objects"][0].as_object().unwrap();
    assert_eq!(obj.get("name"), Some(&Value::Null));
    assert_eq!(obj.get("phone"), None);
}

#[test]
fn nested_paths_and_escaped_dots() {
    assert_eq!(raw_path("Account.Name"), vec!["Account", "Name"]);
    assert_eq!(raw_path(r"odd\.name"), vec!["odd.name"]);
    assert_eq!(raw_path(r"Rel.odd\.name"), vec!["Rel", "odd.name"]);
    // every raw name of the built-in mapping is one plain name today
    // (relations are paths only in queries); the reader follows a path
    // through the nested object a relationship or navigation returns
    for ty in kql::unified::types() {
        for t in Target::ALL {
            for (_, r) in field_map(ty, t).unwrap() {
                assert_eq!(raw_path(r), vec![r.to_string()], "{ty} on {t}");
            }
        }
    }
}

#[test]
fn errors_are_coded() {
    let o = UnifyOptions::default();
    let code = |r: Result<Value, kql::Errors>| r.unwrap_err().0[0].code.as_str();
    let e = unify(&json!([]), Target::Salesforce, "acount", &o).unwrap_err();
    assert_eq!(e.0[0].code.as_str(), "U001");
    assert!(e.0[0]
        .help
        .as_deref()
        .unwrap()
        .contains("did you mean `account`?"));
    assert_eq!(
        code(unify(&json!([]), Target::Salesforce, "Account", &o)),
        "U001"
    );
    assert_eq!(
        code(unify(&json!("x"), Target::Salesforce, "account", &o)),
        "U010"
    );
    assert_eq!(
        code(unify(&json!(null), Target::Dynamics, "account", &o)),
        "U010"
    );
    assert_eq!(
        code(unify(&json!([1]), Target::Sugarcrm, "account", &o)),
        "U010"
    );
    assert_eq!(
        code(unify(
            &json!({"records": {"Id": 1}}),
            Target::Salesforce,
            "account",
            &o
        )),
        "U010"
    );
    assert_eq!(
        code(unify(
            &json!({"value": "x"}),
            Target::Dynamics,
            "account",
            &o
        )),
        "U010"
    );
    let e = unify(&json!([{}, [1]]), Target::Salesforce, "account", &o).unwrap_err();
    assert_eq!(e.0[0].message, "record 1 is an array, not a JSON object");
}

fn kql(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kql"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        // a command that exits before reading (clap rejected it) closes the pipe
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn cli_unify() {
    let doc = r#"{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact"},"Id":"003","LastName":"Lee","Account":{"attributes":{"type":"Account"},"Name":"Acme"}}]}"#;
    let (rc, out, err) = kql(
        &["unify", "--target", "salesforce", "--object", "contact"],
        doc,
    );
    assert_eq!(rc, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({"objects": [{"id": "003", "last_name": "Lee", "type": "contact", "api": "crm",
            "raw": {"Id": "003", "LastName": "Lee", "Account": {"attributes": {"type": "Account"}, "Name": "Acme"}}}]})
    );
    // `-` is stdin; --no-raw
    let (rc, out, _) = kql(
        &[
            "unify", "--target", "dynamics", "--object", "lead", "--no-raw", "-",
        ],
        r#"{"value":[{"leadid":"l","fullname":"A B"}]}"#,
    );
    assert_eq!(rc, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({"objects": [{"id": "l", "name": "A B", "type": "lead", "api": "crm"}]})
    );
    // a file, positional or --file
    let dir = std::env::temp_dir().join(format!("kql-unify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("r.json");
    std::fs::write(&f, r#"[{"id":"x","name":"n"}]"#).unwrap();
    let p = f.to_str().unwrap();
    for args in [
        vec!["unify", "--target", "sugarcrm", "--object", "account", p],
        vec![
            "unify", "--target", "sugarcrm", "--object", "account", "--file", p,
        ],
    ] {
        let (rc, out, err) = kql(&args, "");
        assert_eq!(rc, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["objects"][0]["name"], json!("n"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // unknown type: U001, exit 1
    let (rc, _, err) = kql(
        &["unify", "--target", "salesforce", "--object", "acount"],
        "[]",
    );
    assert_eq!(rc, 1);
    assert!(
        err.starts_with(
            "error[U001]: `acount` is not a unified object type\n  = help: did you mean `account`?"
        ),
        "{err}"
    );
    // wrong shape: U010, exit 1, json diagnostics too
    let (rc, _, err) = kql(
        &[
            "unify",
            "--target",
            "salesforce",
            "--object",
            "account",
            "--error-format",
            "json",
        ],
        "42",
    );
    assert_eq!(rc, 1);
    let e: Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(e["errors"][0]["code"], json!("U010"));
    // not JSON: exit 2
    let (rc, out, err) = kql(
        &["unify", "--target", "salesforce", "--object", "account"],
        "{",
    );
    assert_eq!(rc, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("kql: error: stdin is not a JSON document"),
        "{err}"
    );
    // unknown target: clap, exit 2
    let (rc, _, _) = kql(
        &["unify", "--target", "hubspot", "--object", "account"],
        "[]",
    );
    assert_eq!(rc, 2);
}
