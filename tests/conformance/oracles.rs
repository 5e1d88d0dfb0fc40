//! Finding and running the third-party oracles installed by `.ci/oracles.sh`.
//!
//! Every driver is a batch program: JSON lines in (one query each, with an
//! `id`), JSON lines out. One process per batch, so thousands of queries cost
//! one start-up each.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn drivers() -> PathBuf {
    repo().join("tests/conformance/oracles")
}

/// The oracle installation, if complete.
pub struct Oracles {
    pub node_modules: PathBuf,
    pub python: PathBuf,
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Where the oracles are installed: `KQL_ORACLES_DIR`, default `<repo>/.oracles`.
pub fn dir() -> PathBuf {
    std::env::var_os("KQL_ORACLES_DIR").map_or_else(|| repo().join(".oracles"), PathBuf::from)
}

/// What of the oracle installation is missing (empty when complete).
pub fn missing() -> Vec<String> {
    let dir = dir();
    let node_modules = dir.join("node_modules");
    let python = dir.join("venv/bin/python");
    let mut missing = Vec::new();
    if Command::new("node")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        missing.push("node (Node.js) on PATH".to_string());
    }
    for p in ["@salesforce/soql-common", "antlr4ts", "open-soql"] {
        if !node_modules.join(p).is_dir() {
            missing.push(format!("npm package {p} in {}", node_modules.display()));
        }
    }
    if !python.is_file() {
        missing.push(format!("python venv {}", python.display()));
    }
    missing
}

/// Finds the oracles (see [`dir`]). Under `CI=true` a missing oracle fails
/// the test; otherwise it is reported loudly and `None` is returned (and
/// `tests/skipped.rs` prints a `SKIPPED:` line that plain `cargo test` shows).
pub fn find() -> Option<Oracles> {
    let missing = missing();
    if missing.is_empty() {
        let dir = dir();
        return Some(Oracles {
            node_modules: dir.join("node_modules"),
            python: dir.join("venv/bin/python"),
        });
    }
    let msg = format!(
        "\n\n!!! CONFORMANCE ORACLES MISSING: {}\n!!! run `bash .ci/oracles.sh` to install them (pinned, into .oracles/).\n",
        missing.join("; ")
    );
    if in_ci() {
        panic!("{msg}!!! CI=true: a missing oracle fails the run.\n");
    }
    eprintln!("{msg}!!! SKIPPING the third-party oracle checks of this test (not in CI).\n");
    None
}

/// A scratch directory for fixtures and batches of this test process.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir()
        .join(format!("kql-conformance-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Runs one batch: writes `requests` as JSON lines to a file, feeds it to the
/// command's stdin, and returns the JSON-line replies keyed by their `id`.
pub fn batch(mut cmd: Command, requests: &[Value], dir: &Path, tag: &str) -> HashMap<u64, Value> {
    let input = dir.join(format!("{tag}.in.jsonl"));
    {
        let mut f = File::create(&input).expect("batch input");
        for r in requests {
            serde_json::to_writer(&mut f, r).expect("write request");
            f.write_all(b"\n").expect("write request");
        }
    }
    let out = cmd
        .stdin(File::open(&input).expect("batch input"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the {tag} oracle: {e}"));
    assert!(
        out.status.success(),
        "the {tag} oracle failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut replies = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{tag} oracle printed a bad line ({e}): {line}"));
        if let Some(id) = v.get("id").and_then(Value::as_u64) {
            replies.insert(id, v);
        }
    }
    assert_eq!(
        replies.len(),
        requests.len(),
        "the {tag} oracle answered {} of {} requests",
        replies.len(),
        requests.len()
    );
    replies
}

impl Oracles {
    fn node(&self, script: &str) -> Command {
        let mut c = Command::new("node");
        c.arg(drivers().join(script))
            .env("NODE_PATH", &self.node_modules);
        c
    }

    /// `@salesforce/soql-common`: `{"id","q"}` → `{"id","ok","error"?}`.
    pub fn soql_syntax(&self, reqs: &[Value], dir: &Path) -> HashMap<u64, Value> {
        batch(self.node("soql_syntax.js"), reqs, dir, "soql-syntax")
    }

    /// open-soql over `fixture` (`{"Account":[…]}`): `{"id","q"}` → `{"id","ok","rows"|"error"}`.
    pub fn soql_exec(&self, fixture: &Path, reqs: &[Value], dir: &Path) -> HashMap<u64, Value> {
        let mut c = self.node("soql_exec.js");
        c.arg(fixture);
        batch(c, reqs, dir, "open-soql")
    }

    /// odata-query + SQLite (`--strings dataverse`), or parse-only with `fixture = None`.
    pub fn odata_a(
        &self,
        fixture: Option<&Path>,
        reqs: &[Value],
        dir: &Path,
    ) -> HashMap<u64, Value> {
        let mut c = Command::new(&self.python);
        c.arg(drivers().join("odata_a.py"));
        match fixture {
            Some(f) => c.arg(f).args(["--strings", "dataverse"]),
            None => c.arg("--parse-only"),
        };
        batch(
            c,
            reqs,
            dir,
            if fixture.is_some() {
                "odata-query"
            } else {
                "odata-query-parse"
            },
        )
    }

    /// odata-query's AST evaluated row by row under `null_as_value` (two-valued
    /// logic, NULL as a value), ordered and paged as oracle A does.
    pub fn odata_nav(&self, fixture: &Path, reqs: &[Value], dir: &Path) -> HashMap<u64, Value> {
        let mut c = Command::new(&self.python);
        c.arg(drivers().join("odata_nav.py")).arg(fixture);
        batch(c, reqs, dir, "odata-nav")
    }

    /// odatapy over `fixture`.
    pub fn odata_b(&self, fixture: &Path, reqs: &[Value], dir: &Path) -> HashMap<u64, Value> {
        let mut c = Command::new(&self.python);
        c.arg(drivers().join("odata_b.py")).arg(fixture);
        batch(c, reqs, dir, "odatapy")
    }
}
