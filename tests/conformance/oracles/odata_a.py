"""OData oracle A: odata-query 0.10.0 parses $filter (and each $orderby item) and
SQLAlchemy 2.1.9 runs it on in-memory SQLite. Batch mode, JSON lines.

usage: python odata_a.py FIXTURE.json [--strings odata|dataverse] < queries.jsonl > results.jsonl
       python odata_a.py --parse-only < queries.jsonl > verdicts.jsonl
  FIXTURE.json : {"table": "accounts", "columns": {"accountid": "guid", "name": "string",
                  "n": "int", "rev": "decimal", "on": "datetime", "d": "date", "b": "bool"},
                  "rows": [{...}, ...]}
  in  (a line) : {"id": .., "filter": "..", "orderby": "..", "select": "a,b", "top": 10, "skip": 0}
                 (decoded option values; every key but id optional)
  out (a line) : {"id": .., "ok": true, "rows": [...]} | {"id": .., "ok": false, "stage": .., "error": ..}

--strings odata     : case-sensitive comparisons; % _ [ inside contains/startswith/endswith are
                      literal characters (the OData specification).
--strings dataverse : string columns use SQLite's NOCASE collation (case-insensitive, ASCII only),
                      and contains/startswith/endswith are T-SQL LIKE patterns in which % _ [..]
                      [^..] are live wildcards, as Dataverse documents. [default]

--parse-only        : no fixture, no execution: $filter and every $orderby item must parse with
                      odata-query's grammar (CRM In/NotIn values taken as strings) and $select must
                      be a comma-separated list of identifiers. Out: {"id": .., "ok": ..}.

Three-valued logic is SQLite's (SQL): `ne` and `not` never return NULL rows.
Rows without $orderby come back in fixture order; $orderby ties are broken by fixture order.
Datetimes are stored and returned in UTC. Microsoft.Dynamics.CRM.In/NotIn: see crm_functions.py.
Fixes over the stock odata-query visitor (research odata-oracles.md §5): datetime offsets are
honoured (normalised to UTC), contains/startswith/endswith escape % and _ in odata mode, and
namespaced functions other than the CRM ones are rejected instead of run as their bare name.
"""
import argparse
import datetime as dt
import json
import logging
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crm_functions  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from odata_query import ast, exceptions as oq_ex  # noqa: E402
from odata_query.grammar import ODataLexer, ODataParser  # noqa: E402
from odata_query.sqlalchemy import AstToSqlAlchemyCoreVisitor  # noqa: E402

sys.setrecursionlimit(20000)
TYPES = {"string": sa.String, "guid": sa.String, "int": sa.Integer, "bool": sa.Boolean,
         "decimal": sa.Float, "float": sa.Float, "datetime": sa.DateTime, "date": sa.Date}


def parse_dt(s):
    d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d.astimezone(dt.timezone.utc).replace(tzinfo=None) if d.tzinfo else d


def tsql_like(value, pattern):
    """T-SQL LIKE (%, _, [set], [^set]), case-insensitive."""
    if value is None or pattern is None:
        return None
    rx, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            rx += ".*"
        elif ch == "_":
            rx += "."
        elif ch == "[" and pattern.find("]", i + 1) > i + 1 and pattern[i + 1:i + 3] != "^]":
            j = pattern.find("]", i + 1)
            body = pattern[i + 1:j]
            neg = body.startswith("^")
            body = (body[1:] if neg else body).replace("\\", "\\\\").replace("[", "\\[")
            rx += "[" + ("^" if neg else "") + body + "]"
            i = j
        else:
            rx += re.escape(ch)
        i += 1
    return 1 if re.fullmatch(rx, value, re.S | re.I) else 0


class Visitor(AstToSqlAlchemyCoreVisitor):
    def __init__(self, table, mode):
        super().__init__(table)
        self.mode = mode

    def visit_DateTime(self, node):
        try:
            return sa.literal(parse_dt(node.val), sa.DateTime())
        except ValueError:
            raise oq_ex.ValueException(node.val)

    def visit_Call(self, node):
        if node.func.namespace:
            raise oq_ex.UnsupportedFunctionException(node.func.full_name())
        return super().visit_Call(node)

    def _substr_function(self, field, substr, func):
        if not isinstance(substr, ast.String):
            return super()._substr_function(field, substr, func)
        col, s = self.visit(field), substr.py_val
        if self.mode == "dataverse":
            pat = {"contains": "%{}%", "startswith": "{}%", "endswith": "%{}"}[func].format(s)
            return sa.func.tsql_like(col, pat) == 1
        return getattr(col, func)(s, autoescape=True)


def build(fixture, mode):
    md = sa.MetaData()
    cols = []
    for name, typ in fixture["columns"].items():
        t = TYPES[typ]()
        if typ in ("string", "guid") and mode == "dataverse":
            t = sa.String(collation="NOCASE")
        cols.append(sa.Column(name, t))
    table = sa.Table(fixture["table"], md, sa.Column("_rowid", sa.Integer, primary_key=True), *cols)
    eng = sa.create_engine("sqlite://")

    @sa.event.listens_for(eng, "connect")
    def _on_connect(dbapi_conn, _):
        dbapi_conn.create_function("tsql_like", 2, tsql_like, deterministic=True)
        if mode == "odata":
            dbapi_conn.execute("PRAGMA case_sensitive_like = ON")

    md.create_all(eng)
    rows = []
    for i, r in enumerate(fixture["rows"]):
        r = {k: r.get(k) for k in fixture["columns"]}
        r["_rowid"] = i
        for k, typ in fixture["columns"].items():
            if r[k] is not None and typ == "datetime":
                r[k] = parse_dt(r[k])
            elif r[k] is not None and typ == "date":
                r[k] = dt.date.fromisoformat(r[k])
        rows.append(r)
    with eng.begin() as c:
        if rows:
            c.execute(table.insert(), rows)
    return eng, table


def split_top(s):
    out, depth, q, cur = [], 0, False, ""
    for ch in s:
        if ch == "'":
            q = not q
        elif not q and ch == "(":
            depth += 1
        elif not q and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not q:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def parse_expr(text, table, mode, columns):
    if "Microsoft.Dynamics.CRM." in text:
        text = crm_functions.rewrite(text, columns)
    return Visitor(table, mode).visit(ODataParser().parse(ODataLexer().tokenize(text)))


def fmt(v):
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="microseconds" if v.microsecond else "seconds") + "Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def run_query(q, eng, table, mode, columns, where=None):
    """One request. `where(filter_text)` gives the SQL condition of `$filter`
    (default: odata-query's own translation; odata_nav.py passes its own)."""
    stage = "filter"
    try:
        stmt = sa.select(table)
        if q.get("filter") is not None:
            if q["filter"] == "":
                raise ValueError("empty $filter")
            cond = where(q["filter"]) if where else parse_expr(q["filter"], table, mode, columns)
            stmt = stmt.where(cond)
        stage = "orderby"
        order = []
        if q.get("orderby") is not None:
            for item in split_top(q["orderby"]):
                m = re.fullmatch(r"(\S+?)(?: (asc|desc))?", item)
                if not m:
                    raise ValueError(f"bad $orderby item {item!r}")
                e = parse_expr(m.group(1), table, mode, columns)
                order.append(e.desc() if m.group(2) == "desc" else e.asc())
        stmt = stmt.order_by(*order, table.c._rowid)
        stage = "top/skip"
        for key, meth in (("top", "limit"), ("skip", "offset")):
            v = q.get(key)
            if v is not None:
                if not re.fullmatch(r"\d+", str(v)):
                    raise ValueError(f"${key} must be a non-negative integer, got {v!r}")
                stmt = getattr(stmt, meth)(int(v))
        stage = "select"
        names = [c for c in table.c.keys() if c != "_rowid"]
        if q.get("select") is not None:
            sel = q["select"].split(",")
            bad = [s for s in sel if s not in names]
            if bad or len(set(sel)) != len(sel):
                raise ValueError(f"unknown, empty or repeated $select item(s) {sel!r}")
            names = sel
        stage = "execute"
        with eng.connect() as c:
            res = [dict(r._mapping) for r in c.execute(stmt)]
        return {"id": q.get("id"), "ok": True, "rows": [{k: fmt(r[k]) for k in names} for r in res]}
    except Exception as e:  # parse errors, unknown fields, unsupported functions, ...
        return {"id": q.get("id"), "ok": False, "stage": stage, "error": f"{type(e).__name__}: {e}"}


class AnyColumn(dict):
    def __contains__(self, key):
        return True

    def __missing__(self, key):
        return "string"


def parse_only(q):
    stage = "filter"
    try:
        cols = AnyColumn()
        if q.get("filter") is not None:
            text = q["filter"]
            if "Microsoft.Dynamics.CRM." in text:
                text = crm_functions.rewrite(text, cols)
            ODataParser().parse(ODataLexer().tokenize(text))
        stage = "orderby"
        if q.get("orderby") is not None:
            for item in split_top(q["orderby"]):
                m = re.fullmatch(r"(\S+?)(?: (asc|desc))?", item)
                if not m:
                    raise ValueError(f"bad $orderby item {item!r}")
                ODataParser().parse(ODataLexer().tokenize(m.group(1)))
        stage = "select"
        if q.get("select") is not None:
            for s in q["select"].split(","):
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s):
                    raise ValueError(f"bad $select item {s!r}")
        return {"id": q.get("id"), "ok": True}
    except Exception as e:
        return {"id": q.get("id"), "ok": False, "stage": stage, "error": f"{type(e).__name__}: {e}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture", nargs="?")
    ap.add_argument("--strings", choices=["odata", "dataverse"], default="dataverse")
    ap.add_argument("--parse-only", action="store_true")
    a = ap.parse_args()
    if a.parse_only:
        for line in sys.stdin:
            if line.strip():
                sys.stdout.write(json.dumps(parse_only(json.loads(line)), ensure_ascii=False) + "\n")
        return
    if not a.fixture:
        ap.error("FIXTURE.json is required unless --parse-only")
    with open(a.fixture, encoding="utf-8") as f:
        fixture = json.load(f)
    eng, table = build(fixture, a.strings)
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError as e:
            res = {"id": None, "ok": False, "stage": "input", "error": str(e)}
        else:
            res = run_query(q, eng, table, a.strings, fixture["columns"])
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # odata-query logs "Failed to infer type" noise
    main()
