//! Checks a query stage by stage — parse, then validate for a target — and
//! prints the canonical query, what was validated, or every diagnostic with
//! the query text underlined.
//!
//! ```sh
//! cargo run --example check
//! cargo run --example check -- sugarcrm "SELECT a FROM X WHERE NOT (a = 1)"
//! ```

use kql::{parse, validate, Lang, Options, Target};

/// The query checked when none is given.
pub const DEFAULT_QUERY: &str =
    "SELECT Id, Name AS n FROM Account WHERE Name LIKE '%kloud%' ORDER BY Name";

/// The report for `query` checked for `target`, and whether it was accepted.
pub fn report(query: &str, target: Target) -> (String, bool) {
    let options = Options::default();
    let ast = match parse(query, Lang::Kql, &options) {
        Ok(ast) => ast,
        // a syntax error: the first one, rendered with the query text
        Err(errors) => return (errors.render(query), false),
    };
    let mut out = format!("canonical: {ast}\n");
    match validate(&ast, Lang::Kql, Some(target), &options) {
        Ok(ir) => {
            out.push_str(&format!(
                "accepted for {target}: object `{}`, {} warning(s)\n",
                ir.object.name,
                ir.warnings.len()
            ));
            for w in &ir.warnings {
                out.push_str(&w.render(query));
            }
            (out, true)
        }
        // every problem at once, each with a stable code, a span and often a help line
        Err(errors) => {
            out.push_str(&errors.render(query));
            (out, false)
        }
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (target, query) = match args.as_slice() {
        [] => (Target::Salesforce, DEFAULT_QUERY),
        [t, q, ..] => match t.parse::<Target>() {
            Ok(t) => (t, q.as_str()),
            Err(e) => {
                eprintln!("{e}");
                return std::process::ExitCode::from(2);
            }
        },
        [_] => {
            eprintln!("usage: check [TARGET QUERY]");
            return std::process::ExitCode::from(2);
        }
    };
    let (text, accepted) = report(query, target);
    print!("{text}");
    if accepted {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
