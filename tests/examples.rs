//! The `examples/` programs work: each example's report function is compiled
//! in here and its output checked (`cargo test` also builds the examples
//! themselves).

#[allow(dead_code)]
#[path = "../examples/translate.rs"]
mod translate_example;

#[allow(dead_code)]
#[path = "../examples/check.rs"]
mod check_example;

use kql::{Lang, Target};

#[test]
fn translate_example_reports_every_target() {
    let out = translate_example::report(translate_example::DEFAULT_QUERY, Lang::Kql);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "salesforce: SOQL SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%' AND AnnualRevenue > 1000000 ORDER BY Name, Id LIMIT 10"
    );
    assert!(
        lines[1].starts_with("dynamics: GET /api/data/v9.2/accounts?$select=Id%2CName&$filter="),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "  warning[B027]: dynamics entity set of table `Account` is not known; guessed `accounts`"
    );
    assert_eq!(
        lines[3],
        r#"sugarcrm: POST /rest/v11/Account/filter {"filter":[{"Name":{"$starts":"Acme"}},{"AnnualRevenue":{"$gt":1000000}}],"fields":"Id,Name","order_by":"Name:asc","max_num":10}"#
    );
    assert_eq!(lines.len(), 4, "{out}");
    let out = translate_example::report("SELECT a FROM X WHERE NOT (a = 1)", Lang::Kql);
    assert!(
        out.ends_with("sugarcrm: rejected\n  error[S018]: sugarcrm does not support `NOT (…)`\n"),
        "{out}"
    );
    let out = translate_example::report("SELECT name FROM account", Lang::Dql);
    assert_eq!(out, "dynamics: GET /api/data/v9.2/accounts?$select=name\n");
}

#[test]
fn check_example_reports_each_stage() {
    let (out, ok) = check_example::report(check_example::DEFAULT_QUERY, Target::Salesforce);
    assert!(ok);
    assert!(
        out.starts_with(
            "canonical: SELECT Id, Name AS n FROM Account WHERE Name LIKE '%kloud%' ORDER BY Name\n\
             accepted for salesforce: object `Account`, 1 warning(s)\n\
             warning[S101]: alias `n` is ignored\n"
        ),
        "{out}"
    );
    let (out, ok) = check_example::report(
        "SELECT a FROM X WHERE NOT (a = 1) AND b = NULL",
        Target::Sugarcrm,
    );
    assert!(!ok);
    assert!(
        out.contains("error[S018]") && out.contains("error[S012]"),
        "{out}"
    );
    let (out, ok) = check_example::report("select a", Target::Sugarcrm);
    assert!(!ok);
    assert!(out.starts_with("error[P004]"), "{out}");
}
