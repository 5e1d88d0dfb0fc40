// SOQL execution oracle: open-soql 0.5.1 over an in-memory fixture, batch mode.
//
//   node soql_exec.js fixture.json < queries.jsonl > results.jsonl
//   fixture.json: {"Account": [{...}, ...], ...}   (object name -> records)
//   in : {"id": ..., "q": "SELECT ..."} per line
//   out: {"id": ..., "ok": true, "rows": [...]} | {"id": ..., "ok": false, "error": "..."} per line
//
// Pitfalls handled (research soql.md B.3):
//  1. open-soql's CommonJS build requires fruitsconfits' ESM directory; redirect module
//     resolution of fruitsconfits/modules/* to fruitsconfits/bin/*.
//  2. open-soql only honours lower-case operator keywords (upper-case LIKE/IN are silently
//     TRUE, upper-case AND/OR/NOT fail to parse): keywords are lower-cased outside string
//     literals before execution. Salesforce keywords are case-insensitive, so this does not
//     change the query's meaning; the syntax oracle sees the original text.
//  3. The pass-through resolver deletes unselected fields from the records it is given:
//     every query gets its own deep copy of the fixture.
//  4. open-soql places NULLs before it reverses a DESC key, so `DESC NULLS LAST` puts them
//     first and `DESC NULLS FIRST` last (ASC is right; checked on a 3-row fixture): the
//     driver swaps FIRST/LAST after DESC, outside string literals, so that the clause
//     means what Salesforce documents.
// Run with NODE_PATH pointing at the oracles' node_modules (the Rust harness does).
'use strict';
const Module = require('module');
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return origResolve.call(this, request.replace(/^fruitsconfits\/modules\//, 'fruitsconfits/bin/'), ...rest);
};
const fs = require('fs');
const readline = require('readline');
const { build, passThroughResolverBuilder } = require('open-soql');

const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const resolvers = {};
for (const [obj, rows] of Object.entries(data)) {
  resolvers[obj] = passThroughResolverBuilder(obj, () => Promise.resolve(structuredClone(rows)));
}
const { soql } = build({ resolvers: { query: resolvers } });

const KEYWORDS = /'(?:[^'\\]|\\.)*'|\b(SELECT|FROM|WHERE|ORDER|BY|LIMIT|OFFSET|AND|OR|NOT|LIKE|IN|INCLUDES|EXCLUDES|NULL|TRUE|FALSE|ASC|DESC|NULLS|FIRST|LAST)\b/gi;
const lowerKeywords = (q) => q.replace(KEYWORDS, (m, kw) => (kw ? kw.toLowerCase() : m));
const DESC_NULLS = /'(?:[^'\\]|\\.)*'|\bdesc\s+nulls\s+(first|last)\b/g;
const swapDescNulls = (q) => q.replace(DESC_NULLS, (m, w) => (w ? `desc nulls ${w === 'first' ? 'last' : 'first'}` : m));

async function run(req) {
  try {
    const rows = await soql([swapDescNulls(lowerKeywords(req.q))]);
    const clean = rows.map((r) => { const o = { ...r }; delete o.attributes; return o; });
    return { id: req.id, ok: true, rows: clean };
  } catch (e) {
    return { id: req.id, ok: false, error: String((e && e.message) || e).split('\n')[0] };
  }
}

(async () => {
  const lines = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) lines.push(line);
  let buf = [];
  for (const line of lines) {
    let req;
    try { req = JSON.parse(line); } catch (e) { buf.push(JSON.stringify({ id: null, ok: false, error: 'driver: bad input line' })); continue; }
    buf.push(JSON.stringify(await run(req)));
    if (buf.length >= 256) { process.stdout.write(buf.join('\n') + '\n'); buf = []; }
  }
  if (buf.length) process.stdout.write(buf.join('\n') + '\n');
})().catch((e) => { console.error(e); process.exit(2); });
