"""OData oracle B: odatapy 5.3.0 (an Olingo-modelled OData 4.0/4.01 server with an
in-memory store), in-process, batch mode, JSON lines. Same command line, fixture and
line formats as odata_a.py (there is no --strings option: odatapy compares strings
case-sensitively and treats % _ [ in contains/startswith/endswith literally).

usage: python odata_b.py FIXTURE.json < queries.jsonl > results.jsonl

odatapy checks every option against the model (unknown properties and type mismatches
are rejected) and follows the OData specification's null rules: `null ne 'x'` is true,
and `not` over a comparison with null is true (unlike SQL). Microsoft.Dynamics.CRM.In/NotIn
are rewritten to `in` first (crm_functions.py). Rows come back in the same value format
as odata_a.py (datetimes in UTC).
"""
import datetime as dt
import json
import os
import sys
import uuid
from decimal import Decimal
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crm_functions  # noqa: E402
from odatapy.data import Entity, ValueType  # noqa: E402
from odatapy.edm.csdl import (CsdlAbstractEdmProvider, CsdlEntityContainer, CsdlEntitySet,  # noqa: E402
                              CsdlEntityType, CsdlProperty, CsdlPropertyRef, CsdlSchema)
from odatapy.http.method import HttpMethod  # noqa: E402
from odatapy.server import OData  # noqa: E402
from odatapy.server.inmemory import InMemoryDataStore, InMemoryProcessor  # noqa: E402
from odatapy.server.request import ODataRequest  # noqa: E402

EDM = {"string": "Edm.String", "guid": "Edm.Guid", "int": "Edm.Int32", "decimal": "Edm.Decimal",
       "float": "Edm.Double", "bool": "Edm.Boolean", "datetime": "Edm.DateTimeOffset", "date": "Edm.Date"}


def conv(typ, v):
    if v is None:
        return None
    if typ == "datetime":
        return dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if typ == "date":
        return dt.date.fromisoformat(v)
    if typ == "guid":
        return uuid.UUID(v)
    if typ == "decimal":
        return Decimal(str(v))
    return v


def norm(typ, v):
    if v is None:
        return None
    if typ == "datetime":
        d = conv(typ, v) if isinstance(v, str) else v
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return d.isoformat(timespec="microseconds" if d.microsecond else "seconds") + "Z"
    if typ == "decimal" and not isinstance(v, (int, float)):
        return float(v)
    return v


def main():
    sys.setrecursionlimit(20000)
    with open(sys.argv[1], encoding="utf-8") as f:
        fx = json.load(f)
    cols, table = fx["columns"], fx["table"]
    key = next(iter(cols))

    class Provider(CsdlAbstractEdmProvider):
        def get_schemas(self):
            props = [CsdlProperty(name=n, type=EDM[t], nullable=(n != key),
                                  **({"precision": 3} if t == "datetime" else {}))
                     for n, t in cols.items()]
            et = CsdlEntityType(name=table + "_type", key=[CsdlPropertyRef(name=key)], properties=props)
            ec = CsdlEntityContainer(name="C", entity_sets=[CsdlEntitySet(name=table, type="NS." + table + "_type")])
            return [CsdlSchema(namespace="NS", entity_types=[et], entity_container=ec)]

    odata = OData.new_instance()
    handler = odata.create_handler(odata.create_service_metadata(Provider()))
    store = InMemoryDataStore()
    ents = []
    for r in fx["rows"]:
        e = Entity()
        for n, t in cols.items():
            e.set_property(n, conv(t, r.get(n)), ValueType.PRIMITIVE, EDM[t])
        ents.append(e)
    store.set_entities(table, ents)
    handler.register(InMemoryProcessor(store))
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        q = {}
        try:
            q = json.loads(line)
            if q.get("filter") and "Microsoft.Dynamics.CRM." in q["filter"]:
                q["filter"] = crm_functions.rewrite(q["filter"], cols)
            parts = [f"${k}=" + quote(str(q[k]), safe="") for k in ("filter", "orderby", "select", "top", "skip")
                     if q.get(k) is not None]
            query = "&".join(parts)
            req = ODataRequest(method=HttpMethod.GET, raw_odata_path="/" + table, raw_query_path=query or None,
                               raw_base_uri="http://svc", raw_request_uri=f"http://svc/{table}?{query}",
                               body=b"", _headers={"Accept": "application/json"})
            resp = handler.process(req)
            try:
                body = json.loads(resp.content)
            except Exception:
                body = resp.content.decode("utf-8", "replace")
            if resp.status_code == 200:
                keep = q["select"].split(",") if q.get("select") not in (None, "*") else list(cols)
                rows = [{k: norm(cols[k], r.get(k)) for k in keep} for r in body["value"]]
                res = {"id": q.get("id"), "ok": True, "rows": rows}
            else:
                err = body.get("error", {}).get("message") if isinstance(body, dict) else body
                res = {"id": q.get("id"), "ok": False, "status": resp.status_code, "error": err}
        except Exception as e:
            res = {"id": q.get("id"), "ok": False, "error": f"driver: {type(e).__name__}: {e}"}
        out.write(json.dumps(res, ensure_ascii=False, default=str) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
