#!/usr/bin/env bash
# Installs the pinned third-party oracles of the conformance tests into .oracles/
# (git-ignored) inside this checkout. Idempotent: a second run with unchanged pins
# does nothing. Needs Node 20 + npm and CPython 3.11; reaches only the npm registry
# and PyPI.
#
#   .oracles/node_modules  npm ci of tests/conformance/oracles/package-lock.json:
#                          @salesforce/soql-common 0.2.2 + antlr4ts 0.5.0-alpha.4
#                          (SOQL syntax), open-soql 0.5.1 (SOQL execution)
#   .oracles/venv          pip --require-hashes of tests/conformance/oracles/requirements.txt:
#                          odata-query 0.10.0 + SQLAlchemy 2.1.9 (oracle A), odatapy 5.3.0 (oracle B)
#
# The tests find them through KQL_ORACLES_DIR (default: <repo>/.oracles).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
src="$root/tests/conformance/oracles"
dest="${KQL_ORACLES_DIR:-$root/.oracles}"
mkdir -p "$dest"
start=$(date +%s)

stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- npm: SOQL oracles -------------------------------------------------------
npm_stamp=$(stamp "$src/package.json" "$src/package-lock.json")
if [[ -f "$dest/.npm-stamp" && "$(cat "$dest/.npm-stamp")" == "$npm_stamp" && -d "$dest/node_modules/open-soql" ]]; then
  echo "oracles: npm packages up to date"
else
  echo "oracles: npm ci (soql-common, antlr4ts, open-soql)"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$npm_stamp" > "$dest/.npm-stamp"
fi

# --- pip: OData oracles ------------------------------------------------------
py="${PYTHON:-python3}"
pip_stamp=$(stamp "$src/requirements.txt"; "$py" --version)
if [[ -f "$dest/.pip-stamp" && "$(cat "$dest/.pip-stamp")" == "$pip_stamp" && -x "$dest/venv/bin/python" ]]; then
  echo "oracles: python venv up to date"
else
  echo "oracles: python venv (odata-query, SQLAlchemy, odatapy)"
  rm -rf "$dest/venv"
  "$py" -m venv "$dest/venv"
  "$dest/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes -r "$src/requirements.txt"
  echo "$pip_stamp" > "$dest/.pip-stamp"
fi

# --- smoke check: every oracle loads ------------------------------------------
(cd "$dest" && node -e '
  const M = require("module"), o = M._resolveFilename;
  M._resolveFilename = function (r, ...a) { return o.call(this, r.replace(/^fruitsconfits\/modules\//, "fruitsconfits/bin/"), ...a); };
  require("@salesforce/soql-common/lib/soql-parser"); require("open-soql");')
"$dest/venv/bin/python" -c 'import odata_query, sqlalchemy, odatapy'
echo "oracles: ready in $dest ($(( $(date +%s) - start ))s)"
