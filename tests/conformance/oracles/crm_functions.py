"""Shared by the two OData drivers: Dataverse's query functions
Microsoft.Dynamics.CRM.In / NotIn (PropertyName='col', PropertyValues=[...]).

Neither third-party OData library knows them (odata-query's lexer has no `[`,
odatapy has no Microsoft.Dynamics.CRM namespace), so for these two functions the
semantics are this driver's: SQL IN / NOT IN with each value (a JSON string, as
Dataverse's PropertyValues is Collection(Edm.String)) converted to the column's
type. The call is rewritten to the OData 4.01 `in` operator with typed literals,
which both libraries then parse and execute:

    Microsoft.Dynamics.CRM.In(PropertyName='n',PropertyValues=["1","2"])  ->  (n in (1,2))
    Microsoft.Dynamics.CRM.NotIn(...)                                      ->  (not (n in (...)))
    (a one-value list becomes `(n eq 1)`: odata-query reads `(1)` as a parenthesised value)

Both the JSON form `["a","b"]` (what kql emits) and the docs' single-quoted form
`['a','b']` are accepted. Anything malformed raises ValueError (a rejection).
A number string is compared numerically with any numeric column ("940.0" matches
940; "-12.5" matches no integer): driver-defined, as SQL would compare them.
"""
import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation

CALL = re.compile(r"Microsoft\.Dynamics\.CRM\.(In|NotIn)\(\s*PropertyName\s*=\s*'((?:[^']|'')*)'\s*,\s*PropertyValues\s*=\s*\[")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _scan_array(text, start):
    """text[start-1] == '['; returns (end index after ']', list of str values)."""
    i, vals = start, []
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "]" and not vals:
            return i + 1, vals
        if i >= len(text):
            raise ValueError("unterminated PropertyValues array")
        if text[i] == '"':
            dec = json.JSONDecoder()
            val, j = dec.raw_decode(text, i)
            if not isinstance(val, str):
                raise ValueError("PropertyValues items must be strings")
            vals.append(val)
            i = j
        elif text[i] == "'":
            j, buf = i + 1, ""
            while True:
                if j >= len(text):
                    raise ValueError("unterminated string in PropertyValues")
                if text[j] == "'":
                    if j + 1 < len(text) and text[j + 1] == "'":
                        buf += "'"
                        j += 2
                        continue
                    break
                buf += text[j]
                j += 1
            vals.append(buf)
            i = j + 1
        else:
            raise ValueError(f"bad PropertyValues item at {i}")
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == "]":
            return i + 1, vals
        raise ValueError(f"expected , or ] at {i}")


def literal(typ, v):
    """An OData literal of column type `typ` from the string `v`."""
    if typ in ("string",):
        return "'" + v.replace("'", "''") + "'"
    if typ == "guid":
        if not GUID.match(v):
            raise ValueError(f"not a guid: {v!r}")
        return v
    if typ in ("int", "decimal", "float"):
        # Numeric strings are compared numerically, whatever the column's number
        # type (SQL: 940 = 940.0, and -12.5 equals no integer). Whether Dataverse
        # itself converts "940.0" or "-12.5" for an integer column is unverified.
        try:
            d = Decimal(v)
        except InvalidOperation:
            raise ValueError(f"not a number: {v!r}")
        if not d.is_finite():
            raise ValueError(f"not a finite number: {v!r}")
        return format(d, "f")
    if typ == "bool":
        if v not in ("true", "false"):
            raise ValueError(f"not a boolean: {v!r}")
        return v
    if typ == "datetime":
        d = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        if d.tzinfo is None:
            raise ValueError(f"datetime without zone: {v!r}")
        return v
    if typ == "date":
        dt.date.fromisoformat(v)
        return v
    raise ValueError(f"unknown column type {typ}")


def rewrite(text, columns):
    """Rewrites every In/NotIn call of `text` (a decoded $filter)."""
    out, i, quotes = "", 0, 0
    while True:
        m = CALL.search(text, i)
        if not m:
            return out + text[i:]
        # the match must not start inside a string literal ('' inside one keeps the parity)
        quotes += text[i:m.start()].count("'")
        if quotes % 2:
            quotes += text[m.start():m.end()].count("'")
            out += text[i:m.end()]
            i = m.end()
            continue
        func, prop = m.group(1), m.group(2).replace("''", "'")
        if prop not in columns:
            raise ValueError(f"unknown PropertyName {prop!r}")
        end, vals = _scan_array(text, m.end())
        while end < len(text) and text[end] == " ":
            end += 1
        if end >= len(text) or text[end] != ")":
            raise ValueError("expected ) after PropertyValues")
        if not vals:
            raise ValueError("empty PropertyValues")
        lits = ",".join(literal(columns[prop], v) for v in vals)
        # odata-query reads a one-item list `(x)` as a parenthesised expression
        expr = f"({prop} eq {lits})" if len(vals) == 1 else f"({prop} in ({lits}))"
        out += text[i:m.start()] + (expr if func == "In" else f"(not {expr})")
        i = end + 1
