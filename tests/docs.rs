//! The README's error-code table is generated from the code registry, so it
//! cannot drift. Run `UPDATE_README=1 cargo test --test docs` after adding a code.

use kql::{Code, Severity};

const START: &str = "<!-- codes:start -->\n";
const END: &str = "<!-- codes:end -->";

fn table() -> String {
    let mut t = String::from("| code | severity | stage | meaning |\n|---|---|---|---|\n");
    for c in Code::ALL {
        let stage = match &c.as_str()[..1] {
            "U" if c.as_str().starts_with("U02") => "schema",
            "P" => "parse",
            "S" => "validate",
            "B" => "backend",
            "U" => "names",
            "L" => "limits",
            _ => "internal",
        };
        let sev = match c.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        t.push_str(&format!(
            "| `{}` | {sev} | {stage} | {} |\n",
            c.as_str(),
            c.description()
        ));
    }
    t
}

#[test]
fn readme_codes_table_matches_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no {START:?} … {END:?} section");
    };
    let current = &readme[a + START.len()..b];
    let wanted = table();
    if current != wanted {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{START}{wanted}{}", &readme[..a], &readme[b..]);
            std::fs::write(path, updated).expect("write README.md");
        } else {
            panic!("README codes table is stale; run `UPDATE_README=1 cargo test --test docs`\n--- wanted ---\n{wanted}");
        }
    }
}

#[test]
fn every_code_is_listed_in_grammar_subset_or_decisions() {
    // subset.md is the single source the validator, README and tests follow:
    // every rejection code must appear there.
    let subset = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/subset.md"))
        .expect("grammar/subset.md");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !c.starts_with('X') && !subset.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes missing from grammar/subset.md: {missing:?}"
    );
}
