// SOQL syntax oracle: Salesforce's own grammar (@salesforce/soql-common 0.2.2,
// the parser behind the SOQL language server), batch mode.
//
//   node soql_syntax.js < queries.jsonl > verdicts.jsonl
//   in : one JSON object per line  {"id": ..., "q": "SELECT ..."}
//   out: one JSON object per line  {"id": ..., "ok": true} | {"id": ..., "ok": false, "error": "..."}
//
// Run with NODE_PATH pointing at the oracles' node_modules (the Rust harness does).
'use strict';
const { SOQLParser } = require('@salesforce/soql-common/lib/soql-parser');
const readline = require('readline');

const parser = SOQLParser({ isApex: false, apiVersion: 60.0, isMultiCurrencyEnabled: false });
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on('line', (line) => {
  if (!line.trim()) return;
  let id = null;
  try {
    const req = JSON.parse(line);
    id = req.id;
    // A raw newline inside a literal is a lexer error in this grammar, exactly as the
    // server's; the query is passed through untouched.
    const r = parser.parseQuery(req.q);
    if (r.getSuccess()) out.push(JSON.stringify({ id, ok: true }));
    else out.push(JSON.stringify({ id, ok: false, error: r.getParserErrors().map((e) => e.getMessage()).join('; ') }));
  } catch (e) {
    out.push(JSON.stringify({ id, ok: false, error: 'driver: ' + String(e && e.message || e) }));
  }
  if (out.length >= 256) process.stdout.write(out.splice(0).join('\n') + '\n');
});
rl.on('close', () => { if (out.length) process.stdout.write(out.join('\n') + '\n'); });
