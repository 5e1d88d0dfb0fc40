"""OData oracle `null_as_value`: odata-query 0.10.0 parses $filter, and this driver
evaluates the parsed tree row by row, in Python, with two-valued logic in which NULL
is a value. $orderby, $top, $skip and $select are oracle A's (odata_a.py): the same
SQLAlchemy 2.1.9 / SQLite engine in Dataverse string mode, restricted to the rows the
filter selected. Batch mode, JSON lines.

usage: python odata_nav.py FIXTURE.json < queries.jsonl > results.jsonl
       python odata_nav.py --self-test
  FIXTURE.json, in and out lines: exactly as odata_a.py documents them
  (out: {"id": .., "ok": true, "rows": [...]} | {"id": .., "ok": false, "stage": .., "error": ..}).
  --strings dataverse is accepted (and is the only mode).
  --self-test runs built-in checks on an inline fixture; exit status 1 on a failure.

Why this model exists. Oracle A runs the filter as SQL, where a comparison with NULL
is UNKNOWN and `ne`/`not` never select NULL rows. OData does not say that: its
operators are lifted, "a null value unequal to any non-null value"
(https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-odata/18ddcc64-2ab6-4ddd-a239-24a62f2df2d4),
and Dataverse's `ne` does match rows whose field is NULL
(https://github.com/MarkMpn/Sql4Cds/issues/167). A translation is correct only if it
returns SQL's rows under both readings, so the conformance run checks each one under
this model too.

The rules (every predicate is TRUE or FALSE; nothing is UNKNOWN):
  * `f eq null` TRUE iff f is NULL; `f ne null` TRUE iff f is not NULL (`null eq null` TRUE);
  * a NULL operand of `eq`, `lt`, `le`, `gt`, `ge` makes it FALSE, of `ne` TRUE;
  * contains/startswith/endswith with a NULL argument are FALSE;
  * `x in (v1,...)` is `x eq v1 or ...`: FALSE on a NULL x (the list holds no null);
    Microsoft.Dynamics.CRM.In/NotIn are first rewritten by crm_functions.rewrite
    (NotIn -> `not (p in (...))`), so In is FALSE and NotIn TRUE on NULL;
  * `not`, `and`, `or` are plain Boolean; a Boolean field used as a condition is TRUE
    only when it is true (NULL: FALSE, so `not b` is TRUE on NULL).
Non-NULL values, as oracle A in --strings dataverse: strings (and guid columns, string
and GUID literals) compare case-insensitively (ASCII case folded, as SQLite's NOCASE);
contains/startswith/endswith are T-SQL LIKE patterns with % _ [..] [^..] live
(odata_a.tsql_like); numbers compare numerically and exactly (int, decimal, float
literals and columns as Decimal); datetimes as instants (odata_a.parse_dt: offsets
honoured, naive UTC); dates as dates; booleans false < true.
Errors (an error line, never a crash): an unknown field or navigation path, an operand
type mismatch (e.g. string vs number, date vs datetime, a string literal against a
datetime column), a non-Boolean condition, any function but contains/startswith/endswith
(namespaced ones included, other than the rewritten CRM In/NotIn), arithmetic, lambdas,
and time/duration/geography literals.
"""
import argparse
import datetime as dt
import json
import logging
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crm_functions  # noqa: E402
import odata_a  # noqa: E402
from odata_query import ast  # noqa: E402
from odata_query.grammar import ODataLexer, ODataParser  # noqa: E402

sys.setrecursionlimit(20000)
MODE = "dataverse"
KIND = {"string": "string", "guid": "string", "int": "number", "decimal": "number",
        "float": "number", "bool": "bool", "date": "date", "datetime": "datetime"}
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
SUBSTR = {"contains": "%{}%", "startswith": "{}%", "endswith": "%{}"}


class FilterError(Exception):
    pass


def to_number(v):
    if isinstance(v, bool):
        raise ValueError(f"not a number: {v!r}")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(str(v))


def convert(typ, v):
    """A fixture value as this evaluator holds it."""
    if v is None:
        return None
    k = KIND[typ]
    if k == "number":
        return to_number(v)
    if k == "datetime":
        return odata_a.parse_dt(v)
    if k == "date":
        return dt.date.fromisoformat(v)
    if k == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"not a boolean: {v!r}")
        return v
    return str(v)


def norm(kind, v):
    return v.translate(ASCII_LOWER) if kind == "string" else v


def compatible(op, ta, tb):
    if ta != "null" and tb != "null" and ta != tb:
        raise FilterError(f"type mismatch: {ta} {op} {tb}")
    return tb if ta == "null" else ta


def equal(kind, a, b):
    if a is None or b is None:
        return a is None and b is None
    return norm(kind, a) == norm(kind, b)


ORDER = {ast.Lt: ("lt", lambda a, b: a < b), ast.LtE: ("le", lambda a, b: a <= b),
         ast.Gt: ("gt", lambda a, b: a > b), ast.GtE: ("ge", lambda a, b: a >= b)}


def compile_node(node, columns):
    """(kind, fn(row) -> value or None); kinds: string number bool date datetime null."""
    if isinstance(node, ast.Identifier):
        name = node.full_name()
        if node.namespace or name not in columns:
            raise FilterError(f"unknown field {name!r}")
        return KIND[columns[name]], lambda row: row[name]
    if isinstance(node, ast.Attribute):
        raise FilterError(f"unknown field: navigation path ending in /{node.attr}")
    if isinstance(node, ast.Null):
        return "null", lambda row: None
    if isinstance(node, (ast.Integer, ast.Float)):
        v = Decimal(node.val)
        if not v.is_finite():
            raise FilterError(f"not a finite number: {node.val}")
        return "number", lambda row: v
    if isinstance(node, ast.Boolean):
        v = node.py_val
        return "bool", lambda row: v
    if isinstance(node, (ast.String, ast.GUID)):
        v = node.val
        return "string", lambda row: v
    if isinstance(node, ast.Date):
        v = dt.date.fromisoformat(node.val)
        return "date", lambda row: v
    if isinstance(node, ast.DateTime):
        v = odata_a.parse_dt(node.val)
        return "datetime", lambda row: v
    if isinstance(node, ast.List):
        raise FilterError("a list outside `in`")
    if isinstance(node, ast._Literal):
        raise FilterError(f"unsupported literal {type(node).__name__}")
    if isinstance(node, ast.UnaryOp):
        t, f = compile_node(node.operand, columns)
        if isinstance(node.op, ast.Not):
            if t != "bool":
                raise FilterError(f"`not` of a {t}")
            return "bool", lambda row: f(row) is not True
        if isinstance(node.op, ast.USub):
            if t not in ("number", "null"):
                raise FilterError(f"unary minus of a {t}")
            return "number", lambda row: None if f(row) is None else -f(row)
        raise FilterError(f"unsupported unary operator {type(node.op).__name__}")
    if isinstance(node, ast.BoolOp):
        tl, fl = compile_node(node.left, columns)
        tr, fr = compile_node(node.right, columns)
        if tl != "bool" or tr != "bool":
            raise FilterError(f"`and`/`or` of {tl} and {tr}")
        if isinstance(node.op, ast.And):
            return "bool", lambda row: fl(row) is True and fr(row) is True
        return "bool", lambda row: fl(row) is True or fr(row) is True
    if isinstance(node, ast.Compare):
        return compile_compare(node, columns)
    if isinstance(node, ast.Call):
        return compile_call(node, columns)
    if isinstance(node, ast.BinOp):
        raise FilterError(f"arithmetic ({type(node.op).__name__}) is not supported")
    raise FilterError(f"unsupported expression {type(node).__name__}")


def compile_compare(node, columns):
    c = node.comparator
    tl, fl = compile_node(node.left, columns)
    if isinstance(c, ast.In):
        if not isinstance(node.right, ast.List):
            raise FilterError("`in` needs a parenthesised list")
        items = [compile_node(v, columns) for v in node.right.val]
        kind = tl
        for t, _ in items:
            kind = compatible("in", kind, t)
        fs = [f for _, f in items]

        def is_in(row):
            a = fl(row)
            return any(equal(kind, a, f(row)) for f in fs)
        return "bool", is_in
    tr, fr = compile_node(node.right, columns)
    if isinstance(c, (ast.Eq, ast.NotEq)):
        kind = compatible("eq" if isinstance(c, ast.Eq) else "ne", tl, tr)
        if isinstance(c, ast.Eq):
            return "bool", lambda row: equal(kind, fl(row), fr(row))
        return "bool", lambda row: not equal(kind, fl(row), fr(row))
    if type(c) in ORDER:
        op, rel = ORDER[type(c)]
        kind = compatible(op, tl, tr)

        def ordered(row):
            a, b = fl(row), fr(row)
            if a is None or b is None:
                return False
            return rel(norm(kind, a), norm(kind, b))
        return "bool", ordered
    raise FilterError(f"unsupported comparator {type(c).__name__}")


def compile_call(node, columns):
    name = node.func.full_name()
    if node.func.namespace or node.func.name not in SUBSTR:
        raise FilterError(f"unsupported function {name}")
    if len(node.args) != 2 or any(isinstance(a, ast.NamedParam) for a in node.args):
        raise FilterError(f"{name} takes two positional arguments")
    (t1, f1), (t2, f2) = (compile_node(a, columns) for a in node.args)
    for t in (t1, t2):
        if t not in ("string", "null"):
            raise FilterError(f"{name} of a {t}")
    shape = SUBSTR[node.func.name]

    def like(row):
        a, b = f1(row), f2(row)
        if a is None or b is None:
            return False
        return odata_a.tsql_like(a, shape.format(b)) == 1
    return "bool", like


def compile_filter(text, columns):
    """fn(row) -> bool for a decoded $filter."""
    if text == "":
        raise ValueError("empty $filter")
    if "Microsoft.Dynamics.CRM." in text:
        text = crm_functions.rewrite(text, columns)
    t, f = compile_node(ODataParser().parse(ODataLexer().tokenize(text)), columns)
    if t != "bool":
        raise FilterError(f"$filter is a {t}, not a Boolean expression")
    return lambda row: f(row) is True


class Engine:
    def __init__(self, fixture):
        self.columns = fixture["columns"]
        self.eng, self.table = odata_a.build(fixture, MODE)
        self.rows = [{k: convert(t, r.get(k)) for k, t in self.columns.items()}
                     for r in fixture["rows"]]


def run_query(q, e):
    """odata_a.run_query with the filter evaluated here: the rows it keeps are
    handed to oracle A's engine as `_rowid IN (…)` for ordering and paging."""
    def where(text):
        keep = compile_filter(text, e.columns)
        return e.table.c._rowid.in_([i for i, r in enumerate(e.rows) if keep(r)])
    return odata_a.run_query(q, e.eng, e.table, MODE, e.columns, where=where)


SELF_FIXTURE = {
    "table": "accounts",
    "columns": {"accountid": "guid", "name": "string", "n": "int", "rev": "decimal",
                "b": "bool", "d": "date", "on": "datetime"},
    "rows": [
        {"accountid": "00000000-0000-4000-8000-000000000000", "name": "abc", "n": 7, "rev": -12.5,
         "b": True, "d": "2023-06-15", "on": "2024-01-15T10:30:00Z"},
        {"accountid": "00000000-0000-4000-8000-000000000001", "name": "x", "n": 3, "rev": 940.0,
         "b": False, "d": "2020-01-01", "on": "2024-01-15T12:30:00+02:00"},
        {"accountid": "00000000-0000-4000-8000-000000000002", "name": None, "n": None, "rev": None,
         "b": None, "d": None, "on": None},
        {"accountid": "00000000-0000-4000-8000-000000000003", "name": "a[b]c", "n": 10, "rev": 0.5,
         "b": True, "d": "2025-12-31"},
    ],
}


def self_test():
    nav, eng_a, table_a = Engine(SELF_FIXTURE), *odata_a.build(SELF_FIXTURE, MODE)
    cols = SELF_FIXTURE["columns"]

    def ids(run, q):
        r = run(dict(q, id=0, select="accountid"))
        return [int(x["accountid"][-1]) for x in r["rows"]] if r["ok"] else "error"

    def both(q):
        return (ids(lambda x: run_query(x, nav), q),
                ids(lambda x: odata_a.run_query(x, eng_a, table_a, MODE, cols), q))

    # (query, odata_nav rows, oracle A rows); None: the same as odata_nav's
    cases = [
        ({"filter": "name ne 'x'"}, [0, 2, 3], [0, 3]),
        ({"filter": "name ne 'x' and name ne null"}, [0, 3], None),
        ({"filter": "not (n lt 5)"}, [0, 2, 3], [0, 3]),
        ({"filter": "not contains(name,'a')"}, [1, 2], [1]),
        ({"filter": "Microsoft.Dynamics.CRM.NotIn(PropertyName='name',PropertyValues=[\"abc\"])"},
         [1, 2, 3], [1, 3]),
        ({"filter": "Microsoft.Dynamics.CRM.In(PropertyName='n',PropertyValues=[\"7\",\"10\"])"}, [0, 3], None),
        ({"filter": "Microsoft.Dynamics.CRM.NotIn(PropertyName='rev',PropertyValues=[\"-12.5\",\"940.0\"])"},
         [2, 3], [3]),
        ({"filter": "b ne true"}, [1, 2], [1]),
        ({"filter": "d ne 2023-06-15"}, [1, 2, 3], [1, 3]),
        ({"filter": "on ne 2024-01-15T10:30:00Z"}, [2, 3], []),
        ({"filter": "on eq 2024-01-15T10:30:00Z"}, [0, 1], None),
        ({"filter": "accountid ne '00000000-0000-4000-8000-000000000000'"}, [1, 2, 3], None),
        ({"filter": "n eq null"}, [2], None),
        ({"filter": "n ne null"}, [0, 1, 3], None),
        ({"filter": "n ge 5"}, [0, 3], None),
        ({"filter": "rev lt 1"}, [0, 3], None),
        ({"filter": "contains(name,'[[]b]')"}, [3], None),
        ({"filter": "startswith(name,'A')"}, [0, 3], None),
        ({"filter": "name eq 'ABC'"}, [0], None),
        ({"filter": "n in (3,10)"}, [1, 3], None),
        ({"filter": "n ge 1", "orderby": "n desc", "top": 2}, [3, 0], None),
        # name asc: 'a[b]c' < 'abc' < 'x'
        ({"filter": "n ge 1", "orderby": "name asc", "skip": 1}, [0, 1], None),
        ({"filter": "n ne 3", "orderby": "n asc", "top": 2}, [2, 0], [0, 3]),
        ({"filter": "nosuch eq 1"}, "error", None),
        ({"filter": "name eq 1"}, "error", None),
        ({"filter": "Foo.contains(name,'a')"}, "error", None),
        ({"filter": "on gt '2021-03-04T05:06:07'"}, "error", None),
    ]
    failed = 0
    for q, want_nav, want_a in cases:
        got_nav, got_a = both(q)
        want_a = want_nav if want_a is None else want_a
        check_a = want_nav != "error"  # oracle A's own errors are not this driver's business
        if got_nav != want_nav or (check_a and got_a != want_a):
            failed += 1
            print(f"FAIL {q}: odata_nav {got_nav} (want {want_nav}), oracle A {got_a} (want {want_a})")
    r = run_query({"id": 1, "filter": "nosuch eq 1"}, nav)
    if r.get("ok") is not False or r.get("stage") != "filter" or "error" not in r:
        failed += 1
        print(f"FAIL error shape: {r}")
    print(f"odata_nav self-test: {len(cases) + 1 - failed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture", nargs="?")
    ap.add_argument("--strings", choices=["dataverse"], default="dataverse")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        sys.exit(self_test())
    if not a.fixture:
        ap.error("FIXTURE.json is required unless --self-test")
    with open(a.fixture, encoding="utf-8") as f:
        engine = Engine(json.load(f))
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError as e:
            res = {"id": None, "ok": False, "stage": "input", "error": str(e)}
        else:
            res = run_query(q, engine)
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # odata-query logs "Failed to infer type" noise
    main()
