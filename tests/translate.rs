//! Every accepted corpus query × every target of its language: the request
//! (as the `--format json` contract) or the rendered rejection, snapshotted.
//!
//! Corpus conventions (tests/corpus/README.md): `ext_*` files run in extended
//! mode; `*__<target>.*` files are meant for that one target.

use std::path::Path;

use kql::{Lang, Options, Target};

fn options_for(path: &Path) -> Options {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    Options::default().extended(name.starts_with("ext_"))
}

fn only_target(path: &Path) -> Option<Target> {
    let stem = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
    Target::ALL
        .into_iter()
        .find(|t| stem.ends_with(&format!("__{}", t.name())))
}

/// The snapshot text: the JSON contract of a success, or the rendered errors.
fn outcome(
    src: &str,
    lang: Lang,
    target: Target,
    opts: &Options,
) -> (String, Result<(), Vec<String>>) {
    match kql::translate(src, lang, target, opts) {
        Ok(t) => {
            let json = serde_json::to_string_pretty(&t).expect("translation serialises");
            (format!("{}\n\n{json}", t.request), Ok(()))
        }
        Err(errs) => {
            let codes = errs
                .iter()
                .filter(|e| e.is_error())
                .map(|e| e.code.to_string())
                .collect();
            (errs.render(src), Err(codes))
        }
    }
}

fn subset_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/subset.md"))
        .expect("grammar/subset.md")
}

fn run(pattern_lang: Lang, path: &Path) {
    let src = std::fs::read_to_string(path).expect("corpus file");
    let opts = options_for(path);
    let subset = subset_md();
    let targets: Vec<Target> = match only_target(path) {
        Some(t) => vec![t],
        None => pattern_lang.targets().to_vec(),
    };
    for target in targets {
        let (text, verdict) = outcome(&src, pattern_lang, target, &opts);
        if let Err(codes) = verdict {
            // A target may refuse an accepted query only with a code that
            // grammar/subset.md lists for it (a B… code, or a target rule S…).
            for c in &codes {
                assert!(
                    c.starts_with('B') || matches!(c.as_str(), "S014" | "S015" | "S018"),
                    "{}: {target} rejected an accepted query with {c}:\n{text}",
                    path.display()
                );
                assert!(
                    subset.contains(c.as_str()),
                    "{c} is not listed in grammar/subset.md"
                );
            }
        }
        insta::assert_snapshot!(target.name(), text);
    }
}

#[test]
fn kql_corpus_translates_to_every_target() {
    insta::glob!("corpus/kql/*.kql", |path| run(Lang::Kql, path));
}

#[test]
fn dql_corpus_translates_to_dynamics() {
    insta::glob!("corpus/dql/*.dql", |path| run(Lang::Dql, path));
}
