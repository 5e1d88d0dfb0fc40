//! Translates one query for every target of its language, as a service
//! would before calling each CRM.
//!
//! ```sh
//! cargo run --example translate
//! cargo run --example translate -- "SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%' LIMIT 10"
//! cargo run --example translate -- --dql "SELECT name FROM account WHERE name LIKE '%kloud%'"
//! ```

use kql::{translate, Lang, Options, Request};

/// The query translated when none is given.
pub const DEFAULT_QUERY: &str =
    "SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%' AND AnnualRevenue > 1000000 ORDER BY Name LIMIT 10";

/// One block per target: the request to send, its warnings, or the rendered
/// diagnostics of a rejection.
pub fn report(query: &str, lang: Lang) -> String {
    let options = Options::default();
    let mut out = String::new();
    for &target in lang.targets() {
        match translate(query, lang, target, &options) {
            Ok(t) => {
                // One variant per target, each with the parts a client sends;
                // `Display` prints the SOQL, the decoded OData
                // `entity_set?query`, or the SugarCRM body, and serialising
                // `t` gives the `kql translate --format json` object.
                let call = match &t.request {
                    Request::Salesforce(q) => format!("SOQL {}", q.soql),
                    Request::Dynamics(r) => {
                        format!("GET /api/data/v9.2/{}?{}", r.entity_set, r.query_string)
                    }
                    Request::Sugarcrm(r) => {
                        format!("POST /rest/v11/{}/filter {}", r.module, t.request)
                    }
                };
                out.push_str(&format!("{target}: {call}\n"));
                for w in &t.warnings {
                    out.push_str(&format!("  warning[{}]: {}\n", w.code.as_str(), w.message));
                }
            }
            Err(errors) => {
                out.push_str(&format!("{target}: rejected\n"));
                for e in errors.iter() {
                    let level = if e.is_error() { "error" } else { "warning" };
                    out.push_str(&format!("  {level}[{}]: {}\n", e.code.as_str(), e.message));
                }
            }
        }
    }
    out
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let lang = if args.first().is_some_and(|a| a == "--dql") {
        args.remove(0);
        Lang::Dql
    } else {
        Lang::Kql
    };
    let query = args.first().map_or(DEFAULT_QUERY, String::as_str);
    print!("{}", report(query, lang));
}
