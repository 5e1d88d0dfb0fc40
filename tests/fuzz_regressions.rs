//! Replays every fuzz regression (`fuzz/regressions/`) and every corpus
//! query through the fuzz targets' invariants (`kql::oracle`).

use std::path::Path;

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.') && n != "README.md")
        {
            out.push(p);
        }
    }
}

#[test]
fn fuzz_regressions_and_corpus_hold_every_invariant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root.join("fuzz/regressions"), &mut all);
    let regressions = all.len();
    files(&root.join("tests/corpus"), &mut all);
    assert!(all.len() > regressions, "the corpus is missing");
    let mut failures = Vec::new();
    for p in &all {
        let data = std::fs::read(p).expect("read input");
        if let Err(e) = kql::oracle::check_input(&data) {
            failures.push(format!("{}: {e}", p.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs broke an invariant:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
