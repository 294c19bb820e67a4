#!/usr/bin/env python3
"""Integration test: /openapi.json describes exactly the routes the daemon
answers.

The route table is read out of src/daemon/routes.c (its `{"METHOD",
"/path", handler, body, "summary", …}` entries) and compared with
src/daemon/openapi.json: the same paths and methods, the same {x} path
parameters, every operation with a summary (the route's own) and responses,
every $ref resolvable. Then a daemon on the demo database must serve the same
document at GET /openapi.json, and a sample of real replies must fit the
schemas the document gives for them.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402  (the daemon harness shared by the test_daemon_* files)

ROUTES_C = os.path.join(ltd.SOURCE_DIR, "src", "daemon", "routes.c")
OPENAPI = os.path.join(ltd.SOURCE_DIR, "src", "daemon", "openapi.json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def c_strings(text):
    """The value of adjacent C string literals ("a" "b" → "ab")."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    return "".join(bytes(p, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") for p in parts)


def parse_routes(path=ROUTES_C):
    """[(METHOD, pattern, summary)] of lt_routes[] in routes.c, in order."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    m = re.search(r"lt_routes\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};", src, flags=re.S)
    if not m:
        raise AssertionError(f"no `lt_routes[] = {{ … }};` table in {path}")
    entry = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]*)"\s*,\s*\w+\s*,\s*\w+\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
    routes = [(e.group(1), e.group(2), c_strings(e.group(3))) for e in entry.finditer(m.group(1))]
    if not routes:
        raise AssertionError(f"no route entries found in {path}")
    return routes


def load_doc():
    with open(OPENAPI, "rb") as f:
        raw = f.read()
    return raw, json.loads(raw.decode("utf-8"))


def resolve(doc, node):
    """Follows local $refs ("#/components/…") until a node without one."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise AssertionError(f"$ref {ref!r} is not local")
        target = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise AssertionError(f"$ref {ref!r} does not resolve")
            target = target[part]
        node = target
        seen += 1
        if seen > 50:
            raise AssertionError(f"$ref loop at {ref!r}")
    return node


def all_refs(node, out=None):
    out = [] if out is None else out
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.append(node["$ref"])
        for v in node.values():
            all_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            all_refs(v, out)
    return out


def validate(doc, schema, value, where="$"):
    """Problems of value against an OpenAPI 3.0 schema (the subset the
    document uses); [] when it fits."""
    s = resolve(doc, schema)
    if not isinstance(s, dict):
        return [f"{where}: schema is not an object"]
    if value is None:
        return [] if s.get("nullable") or not s else [f"{where}: null where the schema has no nullable"]
    errs = []
    for sub in s.get("allOf", []):
        errs += validate(doc, sub, value, where)
    if "oneOf" in s:
        fits = [i for i, sub in enumerate(s["oneOf"]) if not validate(doc, sub, value, where)]
        if len(fits) != 1:
            errs.append(f"{where}: fits {len(fits)} of the oneOf alternatives, not exactly one")
    t = s.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t in types and not isinstance(value, types[t]):
        return errs + [f"{where}: {type(value).__name__} where the schema says {t}"]
    if t == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return errs + [f"{where}: {value!r} is not an integer"]
    if t == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return errs + [f"{where}: {value!r} is not a number"]
    if "enum" in s and value not in s["enum"]:
        errs.append(f"{where}: {value!r} is not one of {s['enum']}")
    if isinstance(value, str):
        if "pattern" in s and not re.search(s["pattern"], value):
            errs.append(f"{where}: {value!r} does not match {s['pattern']}")
        if len(value) < s.get("minLength", 0):
            errs.append(f"{where}: shorter than {s['minLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in s and value < s["minimum"]:
            errs.append(f"{where}: {value} < minimum {s['minimum']}")
        if "maximum" in s and value > s["maximum"]:
            errs.append(f"{where}: {value} > maximum {s['maximum']}")
    if isinstance(value, list):
        if len(value) < s.get("minItems", 0) or len(value) > s.get("maxItems", len(value)):
            errs.append(f"{where}: {len(value)} items, outside minItems/maxItems")
        if "items" in s:
            for i, v in enumerate(value):
                errs += validate(doc, s["items"], v, f"{where}[{i}]")
    if isinstance(value, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in value:
                errs.append(f"{where}: required property {k!r} is missing")
        for k, v in value.items():
            if k in props:
                errs += validate(doc, props[k], v, f"{where}.{k}")
            else:
                extra = s.get("additionalProperties", True)
                if extra is False:
                    errs.append(f"{where}: property {k!r} is not in the schema (additionalProperties false)")
                elif isinstance(extra, dict):
                    errs += validate(doc, extra, v, f"{where}.{k}")
    return errs


class DocumentMatchesRoutes(unittest.TestCase):
    """src/daemon/openapi.json against the route table of routes.c."""

    @classmethod
    def setUpClass(cls):
        cls.routes = parse_routes()
        cls.raw, cls.doc = load_doc()

    def operations(self):
        for path, item in self.doc.get("paths", {}).items():
            for method, op in item.items():
                if method in METHODS:
                    yield path, method, item, op

    def test_version_and_json(self):
        self.assertEqual(self.doc.get("openapi"), "3.0.3")
        self.assertIn("title", self.doc.get("info", {}))
        self.assertIn("version", self.doc.get("info", {}))
        # cmake/embed.cmake writes the file into a `const char[]`: bytes
        # over 0x7f do not fit a (signed) char, so the file stays ASCII
        # (\u escapes for Vietnamese text).
        high = [i for i, b in enumerate(self.raw) if b > 0x7F]
        self.assertFalse(high, f"openapi.json has non-ASCII bytes (first at offset {high[:1]}): write \\u escapes")

    def test_route_table_parsed(self):
        pairs = [(m, p) for m, p, _ in self.routes]
        self.assertEqual(len(pairs), len(set(pairs)), "routes.c lists a method and path twice")
        self.assertIn(("GET", "/openapi.json"), pairs)

    def test_same_paths_and_methods(self):
        in_code = {(m.lower(), p) for m, p, _ in self.routes}
        in_doc = {(m, p) for p, m, _, _ in self.operations()}
        missing = sorted(in_code - in_doc)
        extra = sorted(in_doc - in_code)
        self.assertFalse(missing, f"routes of routes.c that openapi.json does not describe: {missing}")
        self.assertFalse(extra, f"operations of openapi.json that routes.c does not have: {extra}")
        for path, item in self.doc["paths"].items():
            self.assertTrue(any(m in item for m in METHODS), f"{path} has no operation")

    def test_path_parameters_match(self):
        for path, method, item, op in self.operations():
            want = set(re.findall(r"\{([^}/]+)\}", path))
            params = [resolve(self.doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            declared = {p.get("name") for p in params if p.get("in") == "path"}
            self.assertEqual(declared, want, f"{method.upper()} {path}: path parameters declared {sorted(declared)}, "
                                             f"the path has {sorted(want)}")
            for p in params:
                self.assertIn("schema", p, f"{method.upper()} {path}: parameter {p.get('name')} has no schema")
                if p.get("in") == "path":
                    self.assertIs(p.get("required"), True, f"{method.upper()} {path}: path parameter "
                                                           f"{p.get('name')} must be required")

    def test_every_operation_has_summary_and_responses(self):
        summaries = {(m.lower(), p): s for m, p, s in self.routes}
        for path, method, _, op in self.operations():
            name = f"{method.upper()} {path}"
            self.assertTrue(str(op.get("summary", "")).strip(), f"{name} has no summary")
            self.assertEqual(op.get("summary"), summaries.get((method, path)),
                             f"{name}: summary differs from the one in routes.c")
            responses = op.get("responses")
            self.assertIsInstance(responses, dict, f"{name} has no responses")
            self.assertTrue(responses, f"{name} has no responses")
            self.assertTrue(any(c.startswith("2") for c in responses), f"{name} declares no 2xx response")
            for code, r in responses.items():
                self.assertRegex(code, r"^[1-5][0-9][0-9]$", f"{name}: response key {code!r}")
                self.assertIn("description", resolve(self.doc, r), f"{name} {code}: no description")

    def test_refs_resolve_and_security_schemes_exist(self):
        for ref in all_refs(self.doc):
            resolve(self.doc, {"$ref": ref})
        schemes = self.doc.get("components", {}).get("securitySchemes", {})
        self.assertIn("bearerAuth", schemes)
        self.assertEqual(schemes["bearerAuth"].get("scheme"), "bearer")
        reqs = list(self.doc.get("security", []))
        for _, _, _, op in self.operations():
            reqs += op.get("security", [])
        for req in reqs:
            for name in req:
                self.assertIn(name, schemes, f"security requirement names unknown scheme {name!r}")

    def test_error_object_and_reorganisations(self):
        err = resolve(self.doc, {"$ref": "#/components/schemas/Error"})
        self.assertEqual(err.get("required"), ["error"])
        inner = resolve(self.doc, err["properties"]["error"])
        self.assertEqual(sorted(inner.get("required", [])), ["code", "message"])
        # The bodies of design.md §7.2 fit the document.
        body = self.doc["paths"]["/v1/reorganizations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        d = {"number": "202/2025/QH15", "date": "2025-06-12", "issuer": "Quốc hội"}
        good = [
            {"kind": "merge", "decision": d, "effective": "2025-07-01", "from": [ltd.QN], "into": {"code": ltd.DN}},
            {"kind": "merge", "decision": d, "effective": "2025-07-01", "from": [ltd.QN, ltd.DN],
             "into": {"parent": ltd.CB, "name": "X"}},
            {"kind": "split", "decision": d, "effective": "2025-07-01", "from": [ltd.CB_TP],
             "into": [{"parent": ltd.CB, "name": "A"}, {"parent": ltd.CB, "name": "B"}],
             "children": {"000.01.31.H14": 0, "000.02.31.H14": 1}},
            {"kind": "move", "decision": d, "effective": "2025-07-01", "from": [ltd.CB_TU_PHAP],
             "into": {"parent": ltd.DN}},
            {"kind": "dissolve", "decision": d, "effective": "2025-07-01", "from": [ltd.CB_TU_PHAP]},
        ]
        for b in good:
            self.assertEqual(validate(self.doc, body, b), [], f"a design.md §7.2 body does not fit: {b}")
        bad = [
            {"kind": "merge", "decision": d, "from": [ltd.QN]},
            {"kind": "split", "decision": d, "from": [ltd.QN], "into": {"parent": ltd.CB}},
            {"kind": "dissolve", "decision": d, "from": [ltd.QN], "colour": "red"},
            {"kind": "rename", "decision": d, "from": [ltd.QN]},
        ]
        for b in bad:
            self.assertTrue(validate(self.doc, body, b), f"a body the daemon refuses fits the document: {b}")


class DaemonServesDocument(ltd.DaemonTest):
    """A daemon on the demo database: the document it serves, and real
    replies checked against it."""

    @classmethod
    def setUpClass(cls):
        cls.raw, cls.doc = load_doc()
        cls.reg = ltd.Registry(prefix="lt_test_openapi_")
        try:
            cls.admin = cls.reg.token("admin", name="openapi-test")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.reg.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.reg.close()

    def check_reply(self, method, template, r, request_body=None):
        """r fits the response the document declares for its status."""
        op = self.doc["paths"][template][method.lower()]
        name = f"{method} {template}"
        self.assertIn(str(r.status), op["responses"], f"{name} answered {r.status}, which the document does not "
                                                      f"declare: {r!r}")
        if request_body is not None:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            self.assertEqual(validate(self.doc, schema, request_body), [], f"{name}: the request body of the test")
        resp = resolve(self.doc, op["responses"][str(r.status)])
        content = resp.get("content", {})
        ctype = (r.header("Content-Type") or "").split(";")[0].strip()
        if "application/json" not in content or ctype != "application/json":
            return
        problems = validate(self.doc, content["application/json"]["schema"], r.json())
        self.assertEqual(problems, [], f"{name} {r.status}: the reply does not fit its schema: {r!r}")

    def test_serves_the_same_document(self):
        r = self.d.get("/openapi.json")
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type"))
        self.assertEqual(r.body, self.raw, "GET /openapi.json differs from src/daemon/openapi.json: run make build")
        self.assertEqual(r.json(), self.doc)

    def test_reads_fit_their_schemas(self):
        cases = [
            ("/healthz", "/healthz", None),
            ("/v1/me", "/v1/me", self.admin),
            ("/v1/units", "/v1/units?q=quang+nam&status=all&limit=3", None),
            ("/v1/units/{code}", f"/v1/units/{ltd.QN}", None),
            ("/v1/units/{code}", f"/v1/units/{ltd.QN}?as_of=2025-06-30", None),
            ("/v1/units/{code}", "/v1/units/000.00.00.H99", None),
            ("/v1/units/{code}", "/v1/units/000.00.00.h17", None),
            ("/v1/units/{code}/children", f"/v1/units/{ltd.DN}/children?status=all", None),
            ("/v1/units/{code}/history", f"/v1/units/{ltd.QN}/history", None),
            ("/v1/units/{code}/resolve", "/v1/units/000.00.01.H47/resolve", None),
            ("/v1/units/{code}/certificates", f"/v1/units/{ltd.CB}/certificates", None),
            ("/v1/changes", "/v1/changes?after=0&limit=50", None),
            ("/v1/changes", "/v1/changes?after=-1", None),
            ("/v1/reports/compliance", "/v1/reports/compliance", None),
            ("/v1/systems", "/v1/systems", self.admin),
            ("/v1/systems", "/v1/systems", None),
            ("/v1/inbox", "/v1/inbox", self.admin),
            ("/v1/stats/exchange", "/v1/stats/exchange?by=month", self.admin),
            ("/dmdc/Metadata/{cat}", "/dmdc/Metadata/qlvanbandieuhanhcap1", None),
            ("/dmdc/Metadata/{cat}", "/dmdc/Metadata/qlvanbandieuhanhcap3", None),
            ("/dmdc/Metadata/{cat}", "/dmdc/Metadata/madantoc", None),
            ("/dmdc/Category/{cat}", "/dmdc/Category/qlvanbandieuhanhcap1", None),
            ("/dmdc/Category/{cat}", f"/dmdc/Category/qlvanbandieuhanhcap2?parent={ltd.CB}", None),
        ]
        for template, path, token in cases:
            with self.subTest(path=path):
                self.check_reply("GET", template, self.d.get(path, token=token))

    def test_writes_fit_their_schemas(self):
        d = ltd.DECISION
        issue = {"parent": ltd.CB, "name": "Sở Khoa học và Công nghệ tỉnh Cao Bằng", "decision": d,
                 "effective": ltd.TODAY, "email": "sokhcn@caobang.gov.vn"}
        r = self.d.post("/v1/units", issue, token=self.admin)
        self.check_reply("POST", "/v1/units", r, issue)
        self.assertStatus(r, 201)
        code = r.json()["code"]
        patch = {"phone": "0206 3852 999"}
        self.check_reply("PATCH", "/v1/units/{code}", self.d.patch(f"/v1/units/{code}", patch, token=self.admin),
                         patch)
        unknown = dict(issue, colour="red")
        r = self.d.post("/v1/units", unknown, token=self.admin)
        self.check_reply("POST", "/v1/units", r)
        self.assertError(r, 400, "bad_request")
        self.assertTrue(validate(self.doc, {"$ref": "#/components/schemas/IssueRequest"}, unknown),
                        "IssueRequest lets an unknown field through that the daemon refuses")
        reorg = {"kind": "move", "decision": d, "effective": ltd.TODAY, "from": [ltd.CB_TU_PHAP],
                 "into": {"parent": ltd.DN}, "dry_run": True}
        self.check_reply("POST", "/v1/reorganizations", self.d.post("/v1/reorganizations", reorg, token=self.admin),
                         reorg)
        system = {"name": "QLVB Cao Bằng", "codes": [ltd.CB]}
        r = self.d.post("/v1/systems", system, token=self.admin)
        self.check_reply("POST", "/v1/systems", r, system)
        self.assertStatus(r, 201)
        records = [{"MaDinhDanhCap2": "000.00.90.H14", "TenDonVi": "Ban thử nghiệm", "NgayBanHanhQd": "02/11/2026",
                    "QdBanHanhQdSuaDoi": "1/QĐ-UBND", "CoQuanBanHanhQd": "Ủy ban nhân dân tỉnh Cao Bằng"}]
        r = self.d.post("/dmdc/Category/qlvanbandieuhanhcap2", records, token=self.admin)
        self.check_reply("POST", "/dmdc/Category/{cat}", r, records)
        self.check_reply("POST", "/dmdc/Category/{cat}",
                         self.d.post("/dmdc/Category/qlvanbandieuhanhcap2", records, token=self.admin))


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
