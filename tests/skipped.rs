//! Says what this `cargo test` run skipped, and how to run it.
//!
//! A `harness = false` test: cargo does not capture its output, so plain
//! `cargo test` shows the `SKIPPED:` line below (the loud messages of the
//! skipping tests themselves are captured, as the output of every passing
//! test is). It never fails: under `CI=true` the skipping tests fail on
//! their own.

#[allow(dead_code)]
#[path = "conformance/oracles.rs"]
mod oracles;

/// The tests whose third-party oracle checks are skipped without the oracles.
const ORACLE_TESTS: [&str; 4] = [
    "conformance_salesforce",
    "conformance_dynamics",
    "commutation_dynamics",
    "odata_nav_self_test",
];
/// Also with them, under `--all-features` (feature `fuzzing`).
const ORACLE_TESTS_FUZZING: [&str; 1] =
    ["injection::outputs_pass_the_targets_third_party_grammars"];
/// The test files that feature `fuzzing` builds.
const FUZZING_FILES: [&str; 2] = ["tests/injection.rs", "tests/fuzz_regressions.rs"];

fn main() {
    // `cargo test -- --list` lists tests: this file has none to list.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let fuzzing = cfg!(feature = "fuzzing");
    let missing = oracles::missing();
    let mut skipped = Vec::new();
    if !missing.is_empty() {
        let mut tests: Vec<&str> = ORACLE_TESTS.to_vec();
        if fuzzing {
            tests.extend(ORACLE_TESTS_FUZZING);
        }
        let node = if missing.iter().any(|m| m.starts_with("node ")) {
            ", and no node on PATH"
        } else {
            ""
        };
        skipped.push(format!(
            "the oracle checks of {} tests ({}): oracles not installed in {}{node}, run `bash .ci/oracles.sh`",
            tests.len(),
            tests.join(", "),
            oracles::dir().display()
        ));
    }
    if !fuzzing {
        skipped.push(format!(
            "{}: feature `fuzzing` off, run `cargo test --all-features`",
            FUZZING_FILES.join(" and ")
        ));
    }
    if skipped.is_empty() {
        println!(
            "\nkql tests: nothing skipped (oracles in {}, feature `fuzzing` on)\n",
            oracles::dir().display()
        );
    } else {
        println!(
            "\nSKIPPED: {}. Run everything: `bash scripts/test.sh`\n",
            skipped.join("; ")
        );
    }
}
