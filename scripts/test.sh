#!/usr/bin/env bash
# Runs every test, on a fresh machine too: installs the pinned conformance
# oracles into .oracles/ (`bash .ci/oracles.sh`: Node 20 + npm and CPython 3.11,
# from the npm registry and PyPI; a no-op when they are up to date), then runs
# `cargo test --all-features`. Arguments go to cargo test
# (e.g. `bash scripts/test.sh --test cli`). CI runs this script (`.ci/run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/oracles.sh
cargo test --all-features "$@"
