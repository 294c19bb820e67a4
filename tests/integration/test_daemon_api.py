#!/usr/bin/env python3
"""Integration test: every route of the catalogue API of lienthongd
(design.md §7.2, issue 5), with success and failure cases, against the real
daemon on a free port of 127.0.0.1 and a scratch database made by
`lienthong init --demo` (the real level-1 table, the demo tree, and the
merger of Quảng Nam 000.00.00.H47 into Đà Nẵng 000.00.00.H17 effective
2025-07-01).

Covered: /healthz, /metrics, /openapi.json, /, /v1/me; one unit (ETag and
304, as_of), children, history, resolve, search with cursor paging; issue,
contact update with If-Match (412), rename; reorganizations (dry run writes
nothing, move, split, merge into an existing or a new unit, dissolve, rule
refusals 422); the change feed (paging, ETag/304); the compliance report;
/v1/systems; access control (a manager of 000.00.00.H14 issues under it and
gets 403 under 000.00.00.H17; a reader gets 403 on writes; anonymous 401;
unknown and revoked tokens 401 with WWW-Authenticate; public_read=false);
405 with Allow; the access log (one JSON line per request); and a SIGTERM
while a request is in flight (the request finishes, the daemon exits 0).

Every refusal is checked to leave the feed's last_seq unchanged.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import json
import os
import re
import signal
import socket
import sys
import threading
import time
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB, CB_TP, CB_TU_PHAP, CB_Y_TE, DECISION, DN, QN  # noqa: E402

UNIT_FIELDS = {"code", "name", "level", "parent", "status", "address", "email", "phone", "fax", "website",
               "decision", "valid_from", "valid_to", "successors", "predecessors", "version"}

# Every route of the daemon this issue covers: (method, OpenAPI path).
ROUTES = [
    ("get", "/healthz"), ("get", "/metrics"), ("get", "/openapi.json"), ("get", "/"), ("get", "/v1/me"),
    ("get", "/v1/units"), ("post", "/v1/units"), ("get", "/v1/units/{code}"), ("patch", "/v1/units/{code}"),
    ("get", "/v1/units/{code}/children"), ("get", "/v1/units/{code}/history"),
    ("get", "/v1/units/{code}/resolve"), ("post", "/v1/reorganizations"), ("get", "/v1/changes"),
    ("get", "/v1/reports/compliance"), ("get", "/v1/systems"), ("post", "/v1/systems"),
    ("get", "/dmdc/Metadata/{cat}"), ("get", "/dmdc/Category/{cat}"), ("post", "/dmdc/Category/{cat}"),
]


def q(s):
    return urllib.parse.quote(s, safe="")


class Api(ltd.DaemonTest):
    """One daemon on one demo registry for the whole class; the tests that
    write use units no other test reads."""

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_daemon_api_")
        try:
            cls.admin = cls.reg.token("admin", name="admin of the test")
            cls.mgr_cb = cls.reg.token("manager", scope=CB, name="Cao Bằng")
            cls.reader = cls.reg.token("reader", name="reader")
            cls.sys = cls.reg.system_add("QLVB Sở Y tế Cao Bằng", CB_Y_TE)
            cls.d = ltd.Daemon(cls.reg).start()
        except Exception:
            cls.reg.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()  # normally already stopped by test_zz_sigterm_exits_0
        finally:
            cls.reg.close()

    # ---- helpers ----

    def unit(self, code, **kw):
        r = self.d.get(f"/v1/units/{code}", **kw)
        self.assertStatus(r, 200, code)
        return r.json()

    def assertNothingWritten(self, before, what=""):
        self.assertEqual(self.d.last_seq(), before, f"{what}: the feed's last_seq moved: something was written")

    def assertUnitObject(self, u):
        missing = UNIT_FIELDS - set(u)
        self.assertFalse(missing, f"unit object lacks {missing}: {u}")
        self.assertRegex(u["code"], r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-K][0-9]{2}$")
        self.assertIn(u["status"], ("active", "closed"))
        self.assertIsInstance(u["version"], int)
        self.assertIsInstance(u["successors"], list)
        self.assertIsInstance(u["predecessors"], list)
        self.assertEqual(set(u["decision"]), {"number", "date", "issuer"}, u)
        self.assertRegex(u["valid_from"], r"^\d{4}-\d{2}-\d{2}$")
        if u["valid_to"] is not None:
            self.assertRegex(u["valid_to"], r"^\d{4}-\d{2}-\d{2}$")

    def write(self, method, path, body, token=None, status=(200, 201)):
        r = self.d.request(method, path, body=body, token=token or self.admin)
        self.assertStatus(r, status, f"{method} {path} {body}")
        return r.json()

    # ---- operational routes ----

    def test_healthz(self):
        r = self.d.get("/healthz")
        self.assertStatus(r, 200)
        h = r.json()
        self.assertEqual(h["status"], "ok")
        self.assertIsInstance(h["version"], str)
        self.assertIsInstance(h["last_seq"], int)
        self.assertGreater(h["last_seq"], 0, "the demo wrote events")
        r = self.d.post("/healthz", {})
        self.assertError(r, 405)
        self.assertIn("GET", r.header("Allow") or "", "405 names the allowed methods")

    def test_root_page(self):
        r = self.d.get("/", headers={"Accept": "text/html"})
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/html"), r.header("Content-Type"))
        self.assertIn("<", r.text())

    def test_openapi_describes_every_route(self):
        r = self.d.get("/openapi.json")
        self.assertStatus(r, 200)
        doc = r.json()
        self.assertIsInstance(doc.get("paths"), dict, "openapi.json has paths")
        missing = [f"{m.upper()} {p}" for m, p in ROUTES if m not in (doc["paths"].get(p) or {})]
        self.assertFalse(missing, f"/openapi.json does not describe: {missing}")

    def test_metrics_count_requests(self):
        def counters():
            r = self.d.get("/metrics")
            self.assertStatus(r, 200)
            self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r.header("Content-Type"))
            out = {}
            for line in r.text().splitlines():
                m = re.match(r'^(lienthong_[a-z_]+)(\{.*\})?\s+([0-9.eE+-]+|[+-]Inf|NaN)$', line)
                if m:
                    out[(m.group(1), m.group(2) or "")] = float(m.group(3).replace("Inf", "inf"))
                else:
                    self.assertTrue(line.startswith("#") or not line.strip(), f"not Prometheus text: {line!r}")
            return out, r.text()

        before, _ = counters()
        for _ in range(3):
            self.assertStatus(self.d.get(f"/v1/units/{CB}"), 200)
        self.assertStatus(self.d.get("/v1/units/000.00.98.H14"), 404)
        after, text = counters()
        ok = ("lienthong_http_requests_total", '{route="GET /v1/units/{code}",status="200"}')
        nf = ("lienthong_http_requests_total", '{route="GET /v1/units/{code}",status="404"}')
        self.assertIn(ok, after, f"no counter for GET /v1/units/{{code}} 200:\n{text[:2000]}")
        self.assertEqual(after[ok] - before.get(ok, 0), 3, "three 200 answers counted")
        self.assertEqual(after.get(nf, 0) - before.get(nf, 0), 1, "one 404 counted")
        names = {k[0] for k in after}
        for n in ("lienthong_http_request_duration_seconds_bucket", "lienthong_http_request_duration_seconds_sum",
                  "lienthong_http_request_duration_seconds_count", "lienthong_store_errors_total"):
            self.assertIn(n, names, f"/metrics lacks {n}")
        self.assertIn("# TYPE lienthong_http_request_duration_seconds histogram", text)
        inf = [k for k in after if k[0] == "lienthong_http_request_duration_seconds_bucket"
               and 'route="GET /v1/units/{code}"' in k[1] and 'le="+Inf"' in k[1]]
        self.assertTrue(inf, "the latency histogram has a +Inf bucket per route")

    def test_me(self):
        r = self.d.get("/v1/me")
        self.assertError(r, 401, "unauthorized")
        self.assertIn("Bearer", r.header("WWW-Authenticate") or "", "401 says how to authenticate")
        me = self.d.get("/v1/me", token=self.admin).json()
        self.assertEqual(me["role"], "admin")
        me = self.d.get("/v1/me", token=self.mgr_cb).json()
        self.assertEqual((me["role"], me["scope"]), ("manager", CB))
        self.assertEqual(self.d.get("/v1/me", token=self.reader).json()["role"], "reader")
        me = self.d.get("/v1/me", token=self.sys["token"]).json()
        self.assertEqual(me["role"], "system")
        self.assertEqual(me.get("codes"), [CB_Y_TE])

    def test_bad_tokens_are_401(self):
        for hdr in ("Bearer lt_notarealtoken_notarealtoken_notarealtok", "Bearer ", "Basic YWRtaW46YWRtaW4=",
                    "Bearer " + self.admin + "x", "bearer"):
            r = self.d.get(f"/v1/units/{CB}", headers={"Authorization": hdr})
            self.assertError(r, 401, "unauthorized", msg=hdr)
            self.assertIn("Bearer", r.header("WWW-Authenticate") or "", hdr)
        # A revoked token is refused at once, for reads as for writes.
        tok = self.reg.token("admin", name="to revoke")
        self.assertStatus(self.d.get("/v1/me", token=tok), 200)
        ids = [t["id"] for t in json.loads(self.reg.check("--json", "token", "list")) if t["name"] == "to revoke"]
        self.assertEqual(len(ids), 1)
        self.reg.check("token", "revoke", str(ids[0]))
        before = self.d.last_seq()
        self.assertError(self.d.get("/v1/me", token=tok), 401, "unauthorized")
        r = self.d.post("/v1/units", {"parent": CB, "name": "Không được", "decision": DECISION}, token=tok)
        self.assertError(r, 401, "unauthorized")
        self.assertNothingWritten(before, "revoked token")

    def test_405_and_404(self):
        r = self.d.request("DELETE", f"/v1/units/{CB}")
        self.assertError(r, 405)
        allow = {m.strip() for m in (r.header("Allow") or "").split(",")}
        self.assertEqual(allow, {"GET", "PATCH"}, r.header("Allow"))
        r = self.d.request("PUT", "/v1/changes", body={})
        self.assertError(r, 405)
        self.assertIn("GET", r.header("Allow") or "")
        self.assertError(self.d.get("/v2/units"), 404, "not_found")
        self.assertError(self.d.get(f"/v1/units/{CB}/parents"), 404, "not_found")
        self.assertError(self.d.get("/v1/unit"), 404, "not_found")

    def test_allow_header_only_where_it_is_true(self):
        # POST /v1/units exists: a reply to it must not say that only GET is
        # allowed there.
        r = self.d.post("/v1/units", "{", token=self.admin)
        self.assertError(r, 400, "bad_request")
        allow = r.header("Allow")
        if allow is not None:
            self.assertIn("POST", allow, f"a reply to POST /v1/units carries 'Allow: {allow}'")

    # ---- reads ----

    def test_unit_and_etag(self):
        r = self.d.get(f"/v1/units/{CB}")
        self.assertStatus(r, 200)
        u = r.json()
        self.assertUnitObject(u)
        self.assertEqual((u["code"], u["level"], u["parent"], u["status"]), (CB, 1, None, "active"))
        self.assertEqual(u["name"], "Ủy ban nhân dân tỉnh Cao Bằng")
        etag = r.header("ETag")
        self.assertEqual(etag, f'"v{u["version"]}"')
        r = self.d.get(f"/v1/units/{CB}", headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.body, b"", "a 304 has no body")
        self.assertStatus(self.d.get(f"/v1/units/{CB}", headers={"If-None-Match": '"v999"'}), 200)
        self.assertStatus(self.d.get(f"/v1/units/{CB}", headers={"If-None-Match": f'"v999", {etag}'}), 304)
        h = self.d.request("HEAD", f"/v1/units/{CB}")
        self.assertStatus(h, 200)
        self.assertEqual((h.body, h.header("ETag")), (b"", etag), "HEAD: the same headers, no body")
        c = self.unit(CB_Y_TE)
        self.assertUnitObject(c)
        self.assertEqual((c["level"], c["parent"]), (2, CB))
        self.assertEqual(self.unit("001.01.05.H14")["level"], 4)

    def test_cached_unit_follows_every_change(self):
        """Look-ups are served from a reply cache; a change through the API
        shows on the very next read, one made by the CLI beside the daemon
        within the 50 ms the hub takes to notice another process."""
        # Vụ Kế hoạch - Tài chính, under Bộ Khoa học và Công nghệ since the 2025 merger.
        code = self.d.get("/v1/units/000.00.02.G14/resolve").json()["current"][0]
        first = self.unit(code)
        again = self.d.get(f"/v1/units/{code}")
        self.assertEqual(again.json(), first)
        self.assertEqual(again.header("ETag"), f'"v{first["version"]}"')
        self.assertEqual(again.header("Content-Type"), "application/json; charset=utf-8")
        self.assertStatus(self.d.get(f"/v1/units/{code}", headers={"If-None-Match": again.header("ETag")}), 304)
        self.write("PATCH", f"/v1/units/{code}", {"email": "khtc@mic.gov.vn"})
        u = self.unit(code)
        self.assertEqual(u["email"], "khtc@mic.gov.vn")
        self.assertEqual(u["version"], first["version"] + 1)
        self.reg.check("unit", "rename", code, "--name", "Vụ Kế hoạch và Tài chính", "--decision-number",
                       "12/QĐ-BTTTT", "--decision-date", "2025-03-01", "--decision-issuer",
                       "Bộ Thông tin và Truyền thông")
        time.sleep(0.2)
        u = self.unit(code)
        self.assertEqual(u["name"], "Vụ Kế hoạch và Tài chính")
        self.assertEqual(u["version"], first["version"] + 2)
        # Without the cache (lookup_cache_entries=0) the replies are the same bytes.
        cached = self.d.get(f"/v1/units/{code}")
        plain = ltd.Daemon(self.reg, lookup_cache_entries=0).start()
        try:
            for _ in range(2):
                r = plain.get(f"/v1/units/{code}")
                self.assertEqual((r.status, r.body, r.header("ETag")),
                                 (cached.status, cached.body, cached.header("ETag")))
        finally:
            plain.stop()

    def test_unit_errors(self):
        for bad in ("abc", "000.00.00.h14", "000.00.00.Z99", "00.00.00.H14", "000.00.00.H1", "000.00.00.W01",
                    "000.00.00.H14x", "001.00.10.H47", "%20000.00.00.H14", "000.00.00.H14%20"):
            for suffix in ("", "/children", "/history", "/resolve"):
                self.assertError(self.d.get(f"/v1/units/{bad}{suffix}"), 400, "bad_request", msg=bad + suffix)
        for suffix in ("", "/children", "/history", "/resolve"):
            self.assertError(self.d.get(f"/v1/units/000.00.99.H14{suffix}"), 404, "not_found", msg=suffix)
        for bad in ("2025-13-01", "yesterday", "2025-02-30"):
            self.assertError(self.d.get(f"/v1/units/{QN}?as_of={bad}"), 400, "bad_request", msg=bad)
        self.assertError(self.d.get(f"/v1/units/{CB}?as_of=2025-06-30&as_of=2025-07-01"), 400, "bad_request")

    def test_merger_as_of_and_resolve(self):
        now = self.unit(QN)
        self.assertUnitObject(now)
        self.assertEqual(now["status"], "closed")
        self.assertEqual(now["successors"], [DN])
        self.assertEqual(now["valid_to"], "2025-07-01")
        before = self.d.get(f"/v1/units/{QN}?as_of=2025-06-30")
        self.assertStatus(before, 200)
        b = before.json()
        self.assertEqual((b["code"], b["status"]), (QN, "active"), "Quảng Nam was active on 2025-06-30")
        self.assertIsNone(b["valid_to"], b)
        self.assertEqual(b["decision"]["number"], "20/2020/QĐ-TTg", "the decision in force then")
        self.assertNotEqual(before.header("ETag"), f'"v{now["version"]}"', "an as-of read has its own ETag")
        self.assertEqual(self.d.get(f"/v1/units/{QN}?as_of=2025-07-01").json()["status"], "closed")
        # An as-of date before the unit existed.
        self.assertError(self.d.get(f"/v1/units/{QN}?as_of=2019-01-01"), 404, "not_found")
        self.assertIn(QN, self.unit(DN)["predecessors"])
        res = self.d.get(f"/v1/units/{QN}/resolve").json()
        self.assertEqual(res, {"code": QN, "status": "closed", "current": [DN]})
        res = self.d.get(f"/v1/units/{DN}/resolve").json()
        self.assertEqual(res, {"code": DN, "status": "active", "current": [DN]})
        # A moved department resolves to its new code under Đà Nẵng.
        moved = self.d.get("/v1/units/000.00.02.H47/resolve").json()
        self.assertEqual(moved["status"], "closed")
        self.assertEqual(len(moved["current"]), 1)
        self.assertTrue(moved["current"][0].endswith(".H17"), moved)

    def test_as_of_lineage(self):
        # On 2025-06-30 the merger had not happened: Quảng Nam had no
        # successor yet, as `lienthong unit show --as-of 2025-06-30` says.
        b = self.d.get(f"/v1/units/{QN}?as_of=2025-06-30").json()
        cli = json.loads(self.reg.check("--json", "unit", "show", QN, "--as-of", "2025-06-30"))
        self.assertEqual(cli["successors"], [], cli)
        self.assertEqual(b["successors"], cli["successors"], f"as of 2025-06-30 (CLI: []): {b}")
        d = self.d.get(f"/v1/units/{DN}?as_of=2025-06-30").json()
        self.assertEqual(d["predecessors"], [], f"Đà Nẵng as of 2025-06-30: {d}")

    def test_history(self):
        h = self.d.get(f"/v1/units/{QN}/history").json()
        self.assertEqual(h["code"], QN)
        items = h["items"]
        self.assertGreaterEqual(len(items), 2, h)
        seqs = [e["seq"] for e in items]
        self.assertEqual(seqs, sorted(seqs), "oldest first")
        self.assertEqual(items[-1]["kind"], "merge")
        self.assertEqual(items[-1]["effective"], "2025-07-01")
        for e in items:
            self.assertEqual(e["code"], QN)
            self.assertIn("at", e)

    def test_children(self):
        kids = self.d.get(f"/v1/units/{CB}/children").json()
        self.assertEqual(kids["code"], CB)
        self.assertGreaterEqual(len(kids["items"]), 10)
        for u in kids["items"]:
            self.assertEqual((u["parent"], u["status"], u["level"]), (CB, "active", 2), u["code"])
        self.assertEqual(self.d.get(f"/v1/units/{QN}/children").json()["items"], [],
                         "every child of Quảng Nam moved to Đà Nẵng")
        closed = self.d.get(f"/v1/units/{QN}/children?status=closed").json()["items"]
        self.assertTrue(closed)
        self.assertTrue(all(u["status"] == "closed" and u["parent"] == QN for u in closed))
        every = self.d.get(f"/v1/units/{QN}/children?status=all").json()["items"]
        self.assertEqual({u["code"] for u in every}, {u["code"] for u in closed})
        old = self.d.get(f"/v1/units/{QN}/children?as_of=2025-06-30").json()["items"]
        self.assertEqual({u["code"] for u in old}, {u["code"] for u in closed}, "as of 2025-06-30 all were active")
        self.assertError(self.d.get(f"/v1/units/{CB}/children?status=open"), 400, "bad_request")

    def test_search(self):
        r = self.d.get("/v1/units?q=" + q("da nang"))
        self.assertStatus(r, 200)
        res = r.json()
        self.assertIn("next_cursor", res)
        codes = [u["code"] for u in res["items"]]
        self.assertIn(DN, codes, "'da nang' finds Đà Nẵng without diacritics")
        self.assertNotIn(QN, codes)
        for text in ("Đà Nẵng", "DA NANG", "đà nẵng", "nẵng"):
            self.assertIn(DN, [u["code"] for u in self.d.get("/v1/units?level=1&q=" + q(text)).json()["items"]],
                          text)
        r = self.d.get("/v1/units?q=" + q("Quảng Nam") + "&status=closed&level=1")
        self.assertEqual([u["code"] for u in r.json()["items"]], ["000.00.00.A47", QN, "000.00.00.K47"],
                         "its People's Committee, Council and Party Committee merged")
        # A code fragment.
        self.assertIn(CB_Y_TE, [u["code"] for u in self.d.get("/v1/units?q=05.H14&limit=500").json()["items"]])
        # Cursor paging gives every level-2 unit under Cao Bằng exactly once.
        want = {u["code"] for u in self.d.get(f"/v1/units/{CB}/children").json()["items"]}
        got, cursor, pages = [], None, 0
        while True:
            path = f"/v1/units?level=2&under={CB}&limit=3" + (f"&cursor={q(cursor)}" if cursor else "")
            page = self.d.get(path).json()
            self.assertLessEqual(len(page["items"]), 3)
            got += [u["code"] for u in page["items"]]
            cursor = page["next_cursor"]
            pages += 1
            self.assertLess(pages, 100, "paging does not end")
            if cursor is None:
                break
        self.assertEqual(len(got), len(set(got)), f"a unit came twice: {got}")
        self.assertEqual(set(got), want)
        for u in self.d.get(f"/v1/units?parent={CB_TP}").json()["items"]:
            self.assertEqual(u["parent"], CB_TP)
        # A listing by parent alone says how many children there are on
        # every page; other searches do not.
        kids = self.d.get(f"/v1/units/{CB}/children").json()["items"]
        for path in (f"/v1/units?parent={CB}&limit=2", f"/v1/units?parent={CB}&limit=2&cursor="):
            if path.endswith("="):
                path += q(self.d.get(f"/v1/units?parent={CB}&limit=2").json()["next_cursor"])
            page = self.d.get(path).json()
            self.assertEqual(page["total"], len(kids), path)
            self.assertEqual(len(page["items"]), 2)
        everything = self.d.get(f"/v1/units?parent={CB}&status=all").json()
        self.assertGreaterEqual(everything["total"], len(kids))
        self.assertNotIn("total", self.d.get(f"/v1/units?parent={CB}&q=" + q("so")).json())
        self.assertNotIn("total", self.d.get(f"/v1/units?level=2&under={CB}").json())
        for bad in ("level=9", "level=x", "limit=0", "limit=100000", "limit=-1", "status=gone", "parent=H14",
                    "under=000.00.00.Z01", "q=" + "a" * 300):
            self.assertError(self.d.get("/v1/units?" + bad), 400, "bad_request", msg=bad)

    def test_level1_total_and_has_children(self):
        every = []
        cursor = ""
        while True:
            r = self.d.get(f"/v1/units?level=1&limit=37{cursor}").json()
            every += r["items"]
            self.assertIn("total", r)
            if not r["next_cursor"]:
                break
            cursor = "&cursor=" + urllib.parse.quote(r["next_cursor"])
        first = self.d.get("/v1/units?level=1&limit=5").json()
        self.assertEqual(first["total"], len(every), "the level-1 count on every page")
        self.assertNotIn("total", self.d.get("/v1/units?level=2&limit=5").json())
        kids = self.d.get(f"/v1/units?parent={CB}&has_children=true&limit=500").json()["items"]
        by = {u["code"]: u["has_children"] for u in kids}
        for code, has in by.items():
            n = self.d.get(f"/v1/units?parent={code}&limit=1").json()["total"]
            self.assertEqual(has, n > 0, code)
        self.assertIn(True, by.values())
        self.assertIn(False, by.values())
        self.assertNotIn("has_children", self.d.get(f"/v1/units?parent={CB}&limit=1").json()["items"][0])
        self.assertEqual(self.assertError(self.d.get("/v1/units?level=1&has_children=yes"), 400)["field"],
                         "has_children")

    def test_search_name_pages_every_match_once(self):
        """A name search made of common words pages through its matches in
        index order, each once, under every filter, as a model of the
        catalogue computed here says it should."""
        def words(text):
            text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
            return re.findall(r"[a-z0-9]+", "".join(c for c in text if unicodedata.category(c) != "Mn").lower())

        everything, cursor = [], None
        while True:
            page = self.d.get("/v1/units?status=all&limit=500" + (f"&cursor={q(cursor)}" if cursor else "")).json()
            everything += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        parent_of = {u["code"]: u["parent"] for u in everything}

        def under(code, root):
            p = parent_of.get(code, "")
            while p:
                if p == root:
                    return True
                p = parent_of.get(p, "")
            return False

        def pages(params, limit):
            got, cursor, last = [], None, 0
            for _ in range(500):
                path = f"/v1/units?{params}&limit={limit}" + (f"&cursor={q(cursor)}" if cursor else "")
                r = self.d.get(path)
                self.assertStatus(r, 200)
                page = r.json()
                self.assertNotIn("total", page)
                got += [u["code"] for u in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    self.assertLessEqual(len(page["items"]), limit)
                    return got
                self.assertEqual(len(page["items"]), limit, "only the last page is short")
                self.assertRegex(cursor, r"^@[0-9]+$")
                self.assertGreater(int(cursor[1:]), last, "cursors move forward")
                last = int(cursor[1:])
            self.fail(f"paging does not end: {params}")

        cases = 0
        for text in ("ủy ban nhân dân", "uy ban", "so", "phong", "tinh"):
            qw = words(text)
            for filt in ("", "status=all", "status=closed", "level=1", "level=2", "level=3", f"under={CB}",
                         f"parent={CB}", f"under={DN}&status=all", f"parent={CB}&level=2"):
                f = dict(urllib.parse.parse_qsl(filt))
                status = f.get("status", "active")
                want = {u["code"] for u in everything
                        if all(any(w.startswith(x) for w in words(u["name"])) for x in qw)
                        and (status == "all" or u["status"] == status)
                        and ("level" not in f or u["level"] == int(f["level"]))
                        and ("parent" not in f or u["parent"] == f["parent"])
                        and ("under" not in f or under(u["code"], f["under"]))}
                params = "q=" + q(text) + ("&" + filt if filt else "")
                whole = pages(params, 500)
                self.assertEqual(len(whole), len(set(whole)), f"a unit came twice: {params}")
                self.assertEqual(set(whole), want, params)
                for limit in (1, 4):
                    self.assertEqual(pages(params, limit), whole, f"{params}, {limit} a page")
                cases += bool(want)
        self.assertGreater(cases, 20, "most cases find something")

    def test_compliance(self):
        r = self.d.get("/v1/reports/compliance")
        self.assertStatus(r, 200)
        rep = r.json()
        self.assertIsNone(rep["level1"])
        self.assertIsInstance(rep["items"], list)
        rep = self.d.get(f"/v1/reports/compliance?level1={DN}").json()
        self.assertEqual(rep["level1"], DN)
        self.assertIsInstance(rep["items"], list)
        # The demo's merger is history `init --demo` brought in, recorded
        # four days after its resolution: not late, whatever day the demo
        # was loaded (it once was, by the day of the init).
        self.assertFalse([f for f in rep["items"] if QN in (f.get("codes") or []) or f.get("code") == QN],
                         f"the demo's merger is judged by its own recorded date: {rep}")
        self.assertError(self.d.get("/v1/reports/compliance?level1=H17"), 400, "bad_request")

    # ---- the feed ----

    def test_changes_feed(self):
        last = self.d.last_seq()
        r = self.d.get("/v1/changes")
        self.assertStatus(r, 200)
        page = r.json()
        self.assertGreaterEqual(page["last_seq"], last)
        self.assertEqual(len(page["items"]), min(100, page["last_seq"]), "the default page is 100 items")
        self.assertEqual([i["seq"] for i in page["items"]], list(range(1, len(page["items"]) + 1)))
        item = page["items"][0]
        for k in ("seq", "kind", "code", "at", "effective", "change_id", "unit"):
            self.assertIn(k, item)
        self.assertEqual(item["unit"]["code"], item["code"])
        # Pages of 7 from 95 follow on without a gap.
        p1 = self.d.get("/v1/changes?after=95&limit=7").json()["items"]
        p2 = self.d.get(f"/v1/changes?after={p1[-1]['seq']}&limit=7").json()["items"]
        self.assertEqual([i["seq"] for i in p1 + p2], list(range(96, 110)))
        self.assertEqual(self.d.get(f"/v1/changes?after={page['last_seq']}").json()["items"], [])
        self.assertEqual(len(self.d.get("/v1/changes?limit=1000").json()["items"]), min(1000, page["last_seq"]))
        for bad in ("limit=0", "limit=1001", "after=-1", "after=x", "limit=2.5"):
            self.assertError(self.d.get("/v1/changes?" + bad), 400, "bad_request", msg=bad)
        # Conditional GET.
        r = self.d.get(f"/v1/changes?after={last}")
        etag = r.header("ETag")
        self.assertTrue(etag, "the feed has an ETag")
        r2 = self.d.get(f"/v1/changes?after={last}", headers={"If-None-Match": etag})
        self.assertStatus(r2, 304)
        self.assertEqual(r2.body, b"")
        # A change makes the same request answer again, with the new item.
        u = self.write("PATCH", "/v1/units/000.00.03.H14", {"website": "stc.caobang.gov.vn"})
        r3 = self.d.get(f"/v1/changes?after={last}", headers={"If-None-Match": etag})
        self.assertStatus(r3, 200)
        self.assertNotEqual(r3.header("ETag"), etag)
        items = r3.json()["items"]
        self.assertEqual(items[-1]["code"], "000.00.03.H14")
        self.assertEqual(items[-1]["unit"]["website"], "stc.caobang.gov.vn")
        self.assertEqual(items[-1]["unit"]["version"], u["version"])

    def test_changes_need_read_access(self):
        r = self.d.get("/v1/changes", headers={"Authorization": "Bearer lt_nope"})
        self.assertError(r, 401, "unauthorized")

    # ---- writes ----

    def test_manager_issues_inside_its_subtree_only(self):
        before = self.d.last_seq()
        body = {"parent": CB, "name": "Sở Du lịch tỉnh Cao Bằng", "decision": DECISION,
                "address": "Số 1 Hoàng Đình Giong, Cao Bằng", "email": "sodulich@caobang.gov.vn"}
        r = self.d.post("/v1/units", body, token=self.mgr_cb)
        self.assertStatus(r, 201)
        u = r.json()
        self.assertUnitObject(u)
        self.assertEqual((u["parent"], u["level"], u["status"], u["name"]), (CB, 2, "active", body["name"]))
        self.assertEqual(u["decision"], DECISION)
        self.assertEqual(u["email"], body["email"])
        self.assertEqual(r.header("Location"), f"/v1/units/{u['code']}")
        self.assertEqual(self.unit(u["code"])["name"], body["name"])
        self.assertIn(u["code"], [c["code"] for c in self.d.get(f"/v1/units/{CB}/children").json()["items"]])
        self.assertEqual(self.d.last_seq(), before + 1, "one issue is one feed item")
        # Deeper inside the subtree too.
        r = self.d.post("/v1/units", {"parent": CB_Y_TE, "name": "Trung tâm Kiểm soát bệnh tật",
                                      "decision": DECISION}, token=self.mgr_cb)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["parent"], CB_Y_TE)
        # Not under Đà Nẵng, nor beside itself.
        before = self.d.last_seq()
        for parent in (DN, "000.00.01.H17", "000.00.00.K14"):
            r = self.d.post("/v1/units", {"parent": parent, "name": "Sở Du lịch", "decision": DECISION},
                            token=self.mgr_cb)
            self.assertError(r, 403, "forbidden", msg=parent)
        r = self.d.patch("/v1/units/000.00.02.H17", {"email": "x@danang.gov.vn"}, token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        r = self.d.post("/v1/reorganizations", {"kind": "dissolve", "decision": DECISION,
                                                "from": ["000.00.02.H17"]}, token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        # Moving a unit of its own out of its subtree is refused as well.
        r = self.d.post("/v1/reorganizations", {"kind": "move", "decision": DECISION, "from": [CB_TU_PHAP],
                                                "into": {"parent": DN}}, token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        # Its own root (the province, a level-1 unit) is the admin's to rename
        # or reorganise; the manager keeps its contact data.
        r = self.d.patch(f"/v1/units/{CB}", {"name": "Tỉnh Cao Bằng", "decision": DECISION,
                                               "effective": DECISION["date"]}, token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        self.assertIn("own root", r.json()["error"]["message"])
        r = self.d.post("/v1/reorganizations", {"kind": "dissolve", "decision": DECISION, "from": [CB]},
                        token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        self.assertNothingWritten(before, "manager outside its subtree")
        r = self.d.patch(f"/v1/units/{CB}", {"fax": "0206 3852 000"}, token=self.mgr_cb)
        self.assertStatus(r, 200)
        self.assertEqual(self.unit(CB)["fax"], "0206 3852 000")

    def test_concurrent_issues_get_distinct_codes(self):
        before = self.d.last_seq()
        results = []

        def issue(i):
            try:
                results.append(self.d.post("/v1/units", {"parent": CB_Y_TE, "name": f"Trạm Y tế số {i}",
                                                         "decision": DECISION}, token=self.admin))
            except Exception as e:  # noqa: BLE001
                results.append(e)

        threads = [threading.Thread(target=issue, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(len(results), 12)
        for r in results:
            self.assertIsInstance(r, ltd.Response, r)
            self.assertStatus(r, 201)
        codes = [r.json()["code"] for r in results]
        self.assertEqual(len(set(codes)), 12, f"twelve distinct codes: {codes}")
        items = self.d.get(f"/v1/changes?after={before}").json()["items"]
        self.assertEqual(sorted(i["code"] for i in items), sorted(codes), "one feed item each, nothing else")

    def test_concurrent_writers_are_each_their_own_actor(self):
        """Two tokens write at once: each change in the feed names the token
        that made it (the daemon keeps no actor of its own to share)."""
        before = self.d.last_seq()
        tokens = {"admin": self.admin, "manager": self.mgr_cb}
        ids = {role: self.d.get("/v1/me", token=t).json()["token_id"] for role, t in tokens.items()}
        made, errors = [], []

        def issue(role, i):
            try:
                r = self.d.post("/v1/units", {"parent": CB_Y_TE, "name": f"Phòng khám {role} số {i}",
                                              "decision": DECISION}, token=tokens[role])
                self.assertStatus(r, 201)
                made.append((r.json()["code"], role))
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=issue, args=(role, i)) for i in range(6) for role in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(made), 12)
        items = {i["code"]: i for i in self.d.get(f"/v1/changes?after={before}").json()["items"]}
        for code, role in made:
            self.assertEqual(items[code]["actor"], f"http:{role}:token-{ids[role]}", items[code])

    def test_request_id_in_reply_and_access_log(self):
        r1, r2 = self.d.get(f"/v1/units/{CB}"), self.d.get("/v1/units/000.00.98.H14")
        ids = [r.header("X-Request-Id") for r in (r1, r2)]
        for rid in ids:
            self.assertRegex(rid or "", r"^[0-9a-f]{16}$")
        self.assertNotEqual(ids[0], ids[1])
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            logged = {json.loads(line).get("request_id") for line in self.d.access_lines()}
            if set(ids) <= logged:
                break
            time.sleep(0.05)
        self.assertLessEqual(set(ids), logged, "each request's id is on its access log line")

    def test_access_log_ms_in_microseconds(self):
        for _ in range(20):
            self.d.get(f"/v1/units/{CB}")
        lines = self.d.access_lines(at_least=20)
        for line in lines[-20:]:
            # As written, not as Python reads it back: 0.123, never 0.12300000000000001.
            m = re.search(r'"ms":([0-9.eE+-]+)[,}]', line)
            self.assertTrue(m, line)
            self.assertRegex(m.group(1), r"^\d+(\.\d{1,3})?$", line)

    def test_readers_and_anonymous_cannot_write(self):
        before = self.d.last_seq()
        issue = {"parent": CB, "name": "Ban Dân tộc", "decision": DECISION}
        patch = {"email": "x@caobang.gov.vn"}
        reorg = {"kind": "dissolve", "decision": DECISION, "from": [CB_TU_PHAP]}
        for tok, status, code in ((self.reader, 403, "forbidden"), (self.sys["token"], 403, "forbidden"),
                                  (None, 401, "unauthorized")):
            self.assertError(self.d.post("/v1/units", issue, token=tok), status, code)
            self.assertError(self.d.patch(f"/v1/units/{CB_TU_PHAP}", patch, token=tok), status, code)
            self.assertError(self.d.post("/v1/reorganizations", reorg, token=tok), status, code)
            self.assertError(self.d.post("/v1/systems", {"name": "x", "codes": [CB]}, token=tok), status, code)
        self.assertNothingWritten(before, "reader/system/anonymous writes")

    def test_issue_refusals(self):
        before = self.d.last_seq()
        ok = {"parent": CB, "name": "Ban Quản lý Khu kinh tế", "decision": DECISION}
        cases = [
            ({**ok, "parent": QN}, 422, "rule_refused"),  # under a closed unit
            ({**ok, "parent": "000.00.99.H14"}, 404, "not_found"),
            ({**ok, "parent": "000.00.00.Z14"}, 400, "bad_request"),
            ({**ok, "number": 5}, 409, "conflict"),  # 000.00.05.H14 exists
            ({**ok, "number": 1000}, 400, "bad_request"),
            ({**ok, "number": "7"}, 400, "bad_request"),
            ({**ok, "name": 5}, 400, "bad_request"),
            ({**ok, "name": ""}, 400, "bad_request"),
            ({k: v for k, v in ok.items() if k != "name"}, 400, "bad_request"),
            ({k: v for k, v in ok.items() if k != "decision"}, 400, "bad_request"),
            ({**ok, "decision": {"number": "1/QĐ", "date": "2026-01-02"}}, 400, "bad_request"),
            ({**ok, "decision": {**DECISION, "extra": 1}}, 400, "bad_request"),
            ({**ok, "decision": "1/QĐ"}, 400, "bad_request"),
            ({**ok, "effective": "soon"}, 400, "bad_request"),
            ({**ok, "colour": "red"}, 400, "bad_request"),
            ({**ok, "email": ["a@b"]}, 400, "bad_request"),
            ({**ok, "name": "x" * 5000}, 400, "bad_request"),
            ([ok], 400, "bad_request"),
        ]
        for body, status, code in cases:
            self.assertError(self.d.post("/v1/units", body, token=self.admin), status, code, msg=str(body)[:200])
        for raw in ("{", "", "null", '"x"', '{"parent":"000.00.00.H14","parent":"000.00.00.H14"}', "\xff"):
            self.assertError(self.d.post("/v1/units", raw, token=self.admin), 400, "bad_request", msg=repr(raw))
        for ctype in ("text/plain", "application/jsonx", "application/json-patch+json"):
            r = self.d.post("/v1/units", ok, token=self.admin, headers={"Content-Type": ctype})
            self.assertError(r, 400, "bad_request", msg=ctype)
        self.assertNothingWritten(before, "refused issues")

    def test_contact_update_if_match_and_rename(self):
        code = "000.00.06.H14"
        r = self.d.get(f"/v1/units/{code}")
        v = r.json()["version"]
        etag = r.header("ETag")
        r = self.d.patch(f"/v1/units/{code}", {"email": "sogddt@caobang.gov.vn", "phone": "0206 3 000 000"},
                         token=self.admin, headers={"If-Match": etag})
        self.assertStatus(r, 200)
        u = r.json()
        self.assertEqual((u["email"], u["phone"], u["version"]), ("sogddt@caobang.gov.vn", "0206 3 000 000", v + 1))
        self.assertEqual(r.header("ETag"), f'"v{v + 1}"')
        self.assertTrue(u["address"], "fields not sent stay as they were")
        # A stale ETag or version fails the precondition, and nothing is written.
        before = self.d.last_seq()
        r = self.d.patch(f"/v1/units/{code}", {"email": "lost@caobang.gov.vn"}, token=self.admin,
                         headers={"If-Match": etag})
        self.assertError(r, 412, "precondition_failed", contains="changed since you read it")
        r = self.d.patch(f"/v1/units/{code}", {"email": "lost@caobang.gov.vn", "version": v}, token=self.admin)
        self.assertError(r, 412, "precondition_failed")
        self.assertEqual(self.unit(code)["email"], "sogddt@caobang.gov.vn")
        for body, status, code_ in (({}, 400, "bad_request"),
                                    ({"name": "Sở GD", "email": "a@b.vn", "decision": DECISION}, 400, "bad_request"),
                                    ({"mail": "a@b.vn"}, 400, "bad_request"),
                                    ({"email": 7}, 400, "bad_request"),
                                    ({"email": "a@b.vn", "version": "3"}, 400, "bad_request")):
            self.assertError(self.d.patch(f"/v1/units/{code}", body, token=self.admin), status, code_, msg=str(body))
        self.assertError(self.d.patch(f"/v1/units/{code}", {"email": "a@b.vn"}, token=self.admin,
                                      headers={"If-Match": "yesterday"}), 400, "bad_request")
        self.assertError(self.d.patch("/v1/units/000.00.99.H14", {"email": "a@b.vn"}, token=self.admin), 404,
                         "not_found")
        self.assertError(self.d.patch("/v1/units/000.00.99.h14", {"email": "a@b.vn"}, token=self.admin), 400,
                         "bad_request")
        self.assertError(self.d.patch(f"/v1/units/{QN}", {"email": "a@b.vn"}, token=self.admin), 422,
                         "rule_refused")
        self.assertNothingWritten(before, "refused updates")
        # A rename keeps the code and records the decision.
        r = self.d.patch(f"/v1/units/{code}", {"name": "Sở Giáo dục và Đào tạo tỉnh Cao Bằng (mới)",
                                               "decision": DECISION}, token=self.mgr_cb)
        self.assertStatus(r, 200)
        u = r.json()
        self.assertEqual((u["code"], u["name"]), (code, "Sở Giáo dục và Đào tạo tỉnh Cao Bằng (mới)"))
        self.assertEqual(u["decision"], DECISION)
        self.assertEqual(u["email"], "sogddt@caobang.gov.vn", "a rename keeps the contact data")
        before = self.d.last_seq()
        r = self.d.patch(f"/v1/units/{code}", {"name": "Không quyết định"}, token=self.admin)
        self.assertError(r, (400, 422), msg="a rename needs a decision")
        self.assertNothingWritten(before, "rename without a decision")

    def test_rename_honours_if_match(self):
        code = "000.00.10.H14"  # Sở Thông tin và Truyền thông: no other test uses it
        r = self.d.get(f"/v1/units/{code}")
        old_etag, v = r.header("ETag"), r.json()["version"]
        self.assertStatus(self.d.patch(f"/v1/units/{code}", {"website": "stttt.caobang.gov.vn"}, token=self.admin,
                                       headers={"If-Match": old_etag}), 200)
        before = self.d.last_seq()
        # The unit changed since old_etag: a rename sent with it is a lost
        # update, refused like a contact update.
        r = self.d.patch(f"/v1/units/{code}", {"name": "Tên từ bản cũ", "decision": DECISION}, token=self.admin,
                         headers={"If-Match": old_etag})
        self.assertError(r, 412, "precondition_failed", msg="rename with a stale If-Match")
        r = self.d.patch(f"/v1/units/{code}", {"name": "Tên từ bản cũ", "decision": DECISION, "version": v},
                         token=self.admin)
        self.assertError(r, 412, "precondition_failed", msg="rename with a stale version")
        self.assertNotEqual(self.unit(code)["name"], "Tên từ bản cũ")
        self.assertNothingWritten(before, "renames with a stale version")
        r = self.d.patch(f"/v1/units/{code}", {"name": "Sở Khoa học, Công nghệ và Thông tin tỉnh Cao Bằng",
                                               "decision": DECISION, "version": v + 1}, token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["version"], v + 2)

    def test_reorganizations(self):
        D = DECISION
        before = self.d.last_seq()
        # A dry run reports and writes nothing.
        r = self.d.post("/v1/reorganizations", {"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP],
                                                "dry_run": True}, token=self.admin)
        self.assertStatus(r, 200)
        res = r.json()
        self.assertTrue(res["dry_run"])
        self.assertEqual(res["closed"], [CB_TU_PHAP])
        self.assertIsNone(res.get("id"))
        self.assertEqual(self.unit(CB_TU_PHAP)["status"], "active")
        r = self.d.post("/v1/reorganizations", {"kind": "move", "decision": D, "from": ["000.00.35.H14"],
                                                "into": {"parent": CB_TP}, "dry_run": True}, token=self.admin)
        self.assertStatus(r, 200)
        res = r.json()
        self.assertIn("000.00.35.H14", res["moved"])
        # A dry run names each unit beside its code, the new codes too.
        new = res["moved"]["000.00.35.H14"]
        name = self.unit("000.00.35.H14")["name"]
        self.assertEqual((res["names"]["000.00.35.H14"], res["names"][new]), (name, name))
        self.assertEqual(set(res["names"]), set(res["created"]) | set(res["closed"]))
        self.assertNothingWritten(before, "dry runs")
        self.assertEqual(self.unit("000.00.35.H14")["status"], "active")

        # Refusals.
        refusals = [
            ({"kind": "dissolve", "decision": D, "from": [CB_Y_TE]}, 422, "rule_refused"),  # active children
            ({"kind": "merge", "decision": D, "from": ["000.00.07.H14"], "into": {"code": QN}}, 422, "rule_refused"),
            ({"kind": "dissolve", "decision": D, "from": [QN]}, 422, "rule_refused"),
            ({"kind": "split", "decision": D, "from": [CB_TP],
              "into": [{"parent": CB, "name": "A"}, {"parent": CB, "name": "B"}]}, 422, "rule_refused"),
            ({"kind": "move", "decision": D, "from": [CB_Y_TE], "into": {"parent": CB_TP}}, 422, "rule_refused"),
            ({"kind": "move", "decision": D, "from": ["000.00.07.H14"], "into": {"parent": "000.00.07.H14"}}, 422,
             "rule_refused"),
            ({"kind": "dissolve", "decision": D, "from": ["000.00.99.H14"]}, 404, "not_found"),
            ({"kind": "explode", "decision": D, "from": [CB_TU_PHAP]}, 400, "bad_request"),
            ({"kind": "dissolve", "from": [CB_TU_PHAP]}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": []}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": CB_TU_PHAP}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": [7]}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": ["000.00.04.h14"]}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP], "into": {"parent": CB}}, 400, "bad_request"),
            ({"kind": "move", "decision": D, "from": [CB_TU_PHAP]}, 400, "bad_request"),
            ({"kind": "split", "decision": D, "from": [CB_TU_PHAP], "into": {"parent": CB}}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP], "dry_run": "yes"}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP], "when": "now"}, 400, "bad_request"),
            ({"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP], "effective": "31/02/2026"}, 400,
             "bad_request"),
        ]
        for body, status, code in refusals:
            r = self.d.post("/v1/reorganizations", body, token=self.admin)
            self.assertError(r, status, code, msg=json.dumps(body, ensure_ascii=False))
        self.assertError(self.d.post("/v1/reorganizations", "{nope", token=self.admin), 400, "bad_request")
        self.assertNothingWritten(before, "refused reorganizations")

        # Move: Hòa An (2 communes) goes under the city; its subtree follows.
        kids = [u["code"] for u in self.d.get("/v1/units/000.00.35.H14/children").json()["items"]]
        r = self.d.post("/v1/reorganizations", {"kind": "move", "decision": D, "effective": ltd.TODAY,
                                                "from": ["000.00.35.H14"], "into": {"parent": CB_TP}},
                        token=self.admin)
        self.assertStatus(r, 201)
        res = r.json()
        self.assertFalse(res["dry_run"])
        self.assertIsNotNone(res["id"])
        self.assertEqual(set(res["moved"]), {"000.00.35.H14", *kids})
        new = res["moved"]["000.00.35.H14"]
        self.assertEqual(self.unit(new)["parent"], CB_TP)
        old = self.unit("000.00.35.H14")
        self.assertEqual((old["status"], old["successors"]), ("closed", [new]))
        for k in kids:
            self.assertEqual(self.unit(res["moved"][k])["parent"], new)

        # Split: Trùng Khánh becomes two districts; each takes one commune.
        tk = "000.00.34.H14"
        tk_kids = [u["code"] for u in self.d.get(f"/v1/units/{tk}/children").json()["items"]]
        self.assertEqual(len(tk_kids), 2)
        r = self.d.post("/v1/reorganizations", {
            "kind": "split", "decision": D, "from": [tk],
            "into": [{"parent": CB, "name": "Ủy ban nhân dân huyện Trùng Khánh"},
                     {"parent": CB, "name": "Ủy ban nhân dân huyện Đàm Thủy"}],
            "children": {tk_kids[0]: 0, tk_kids[1]: 1}}, token=self.mgr_cb)
        self.assertStatus(r, 201)
        res = r.json()
        self.assertIn(tk, res["closed"])
        succ = self.unit(tk)["successors"]
        self.assertEqual(len(succ), 2)
        self.assertEqual(sorted(self.d.get(f"/v1/units/{tk}/resolve").json()["current"]), sorted(succ))
        dam_thuy = [c for c in succ if self.unit(c)["name"].endswith("Đàm Thủy")]
        self.assertEqual(len(dam_thuy), 1, succ)
        self.assertEqual(self.unit(res["moved"][tk_kids[1]])["parent"], dam_thuy[0],
                         "the child placed at index 1 went to the second new unit")

        # Merge into an existing unit: Kế hoạch và Đầu tư into Tài chính.
        r = self.d.post("/v1/reorganizations", {"kind": "merge", "decision": D, "from": ["000.00.08.H14"],
                                                "into": {"code": "000.00.03.H14"}}, token=self.admin)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["closed"], ["000.00.08.H14"])
        self.assertEqual(self.unit("000.00.08.H14")["successors"], ["000.00.03.H14"])
        self.assertIn("000.00.08.H14", self.unit("000.00.03.H14")["predecessors"])

        # Merge into a new unit: Bảo Lạc and Hà Quảng become one district.
        r = self.d.post("/v1/reorganizations", {"kind": "merge", "decision": D,
                                                "from": ["000.00.32.H14", "000.00.33.H14"],
                                                "into": {"parent": CB,
                                                         "name": "Ủy ban nhân dân huyện Bảo Quảng"}},
                        token=self.admin)
        self.assertStatus(r, 201)
        res = r.json()
        made = [c for c in res["created"] if self.unit(c)["name"] == "Ủy ban nhân dân huyện Bảo Quảng"]
        self.assertEqual(len(made), 1, res)
        self.assertEqual(len(self.d.get(f"/v1/units/{made[0]}/children").json()["items"]), 6,
                         "the communes of both districts follow")
        for c in ("000.00.32.H14", "000.00.33.H14"):
            self.assertEqual(self.d.get(f"/v1/units/{c}/resolve").json()["current"], made)

        # Dissolve a unit without children.
        r = self.d.post("/v1/reorganizations", {"kind": "dissolve", "decision": D, "from": [CB_TU_PHAP]},
                        token=self.admin)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["closed"], [CB_TU_PHAP])
        self.assertEqual(self.d.get(f"/v1/units/{CB_TU_PHAP}/resolve").json(),
                         {"code": CB_TU_PHAP, "status": "closed", "current": []})
        # A closed code is never reissued.
        r = self.d.post("/v1/units", {"parent": CB, "name": "Sở Tư pháp", "decision": D, "number": 4},
                        token=self.admin)
        self.assertError(r, 409, "conflict")

    # The reorganisation tests below work in provinces no other test reads:
    # Đồng Tháp, Gia Lai, Hải Dương, Hà Nam and Hà Tĩnh.

    def issue(self, parent, name, effective=None):
        body = {"parent": parent, "name": name, "decision": DECISION}
        if effective:
            body["effective"] = effective
        return self.write("POST", "/v1/units", body)["code"]

    def test_reorganizations_respect_later_changes(self):
        """No reorganisation is dated before the last recorded change of any
        unit whose history it writes to: the moved descendants, the merge
        target, the new parent, the parent of a new unit."""
        D, HD, HT = DECISION, "000.00.00.H18", "000.00.00.H27"
        p = self.issue(HD, "Ban P", "2025-01-01")
        c = self.issue(p, "Phòng C", "2025-01-02")
        self.write("PATCH", f"/v1/units/{c}", {"name": "Phòng C mới", "decision": D, "effective": "2030-01-01"})
        s = self.issue(HD, "Ban S", "2025-01-01")
        q = self.issue(HD, "Ban Q", "2026-06-01")
        before = self.d.last_seq()
        move_p = {"kind": "move", "decision": D, "effective": "2026-01-01", "from": [p], "into": {"parent": HT}}
        split_s = {"kind": "split", "decision": D, "effective": "2025-06-01", "from": [s],
                   "into": [{"parent": q, "name": "Ban S1"}, {"parent": q, "name": "Ban S2"}]}
        refusals = [
            (move_p, c, "rename, 2030-01-01"),
            ({**move_p, "kind": "merge", "into": {"code": "000.00.00.H20"}}, c, "rename, 2030-01-01"),
            (split_s, q, "issue, 2026-06-01"),
            ({**split_s, "kind": "merge", "into": {"code": q}}, q, "issue, 2026-06-01"),
            ({**split_s, "kind": "move", "into": {"parent": q}}, q, "issue, 2026-06-01"),
        ]
        for body, code, last in refusals:
            for dry in (False, True):
                r = self.d.post("/v1/reorganizations", {**body, "dry_run": dry}, token=self.admin)
                self.assertError(r, 422, "rule_refused", msg=json.dumps(body, ensure_ascii=False))
                msg = r.json()["error"]["message"]
                for part in ("before the last recorded change of " + code, last):
                    self.assertIn(part, msg, json.dumps(body, ensure_ascii=False))
        self.assertNothingWritten(before, "reorganisations dated before a later change")
        self.assertEqual(self.unit(c)["status"], "active")

        # Dated on or after every change involved, both go through, and the
        # as-of reads agree with each other.
        res = self.write("POST", "/v1/reorganizations", {**move_p, "effective": "2030-01-01"})
        new_c = res["moved"][c]
        self.assertEqual(self.d.get(f"/v1/units/{c}?as_of=2031-01-01").json()["status"], "closed")
        self.assertError(self.d.get(f"/v1/units/{new_c}?as_of=2029-12-31"), 404, "not_found")
        self.assertEqual(self.d.get(f"/v1/units/{new_c}?as_of=2030-01-01").json()["name"], "Phòng C mới")
        res = self.write("POST", "/v1/reorganizations", {**split_s, "effective": "2026-06-01"})
        for made in res["created"]:
            u = self.d.get(f"/v1/units/{made}?as_of=2026-06-01")
            self.assertStatus(u, 200)
            self.assertEqual(u.json()["parent"], q)
        self.assertStatus(self.d.get(f"/v1/units/{q}?as_of=2026-06-01"), 200)

    def test_reorganizations_merge_keeps_every_predecessor(self):
        """A merge of 66 units: every one of them is a predecessor of the
        target, now, as of a date and in its history."""
        HN = "000.00.00.H56"
        target = self.issue(HN, "Sở hợp nhất", "2026-01-01")
        merged = [self.issue(HN, f"Phòng {i}", "2026-01-01") for i in range(1, 67)]
        res = self.write("POST", "/v1/reorganizations", {"kind": "merge", "decision": DECISION,
                                                         "effective": "2026-02-01", "from": merged,
                                                         "into": {"code": target}})
        self.assertEqual(sorted(res["closed"]), sorted(merged))
        self.assertEqual(sorted(self.unit(target)["predecessors"]), sorted(merged))
        then = self.d.get(f"/v1/units/{target}?as_of=2026-03-01").json()
        self.assertEqual(sorted(then["predecessors"]), sorted(merged), "as of 2026-03-01")
        last = self.d.get(f"/v1/units/{target}/history").json()["items"][-1]
        self.assertEqual(last["kind"], "merge")
        self.assertEqual(sorted(last["predecessors"]), sorted(merged), "the merge event in the history")

    def test_reorganizations_move_takes_chosen_number(self):
        """into.number of a move gives the moved unit that number, by the
        rules of an issue; its subtree keeps its own numbers."""
        D, DT, GL = DECISION, "000.00.00.H20", "000.00.00.H21"
        m = self.issue(DT, "Ban M")
        k = self.issue(m, "Phòng K")
        taken = self.issue(GL, "Sở đã có")
        move = {"kind": "move", "decision": D, "from": [m], "into": {"parent": GL}}
        before = self.d.last_seq()
        r = self.d.post("/v1/reorganizations", {**move, "into": {"parent": GL, "number": int(taken[7:9])}},
                        token=self.admin)
        self.assertError(r, 409, "conflict", contains=taken)
        r = self.d.post("/v1/reorganizations", {**move, "into": {"parent": GL, "number": 100}}, token=self.admin)
        self.assertError(r, 400, "bad_request", contains="into.number")
        self.assertNothingWritten(before, "refused numbers")
        r = self.d.post("/v1/reorganizations", {**move, "into": {"parent": GL, "number": 42}, "dry_run": True},
                        token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["moved"][m], "000.00.42.H21")
        self.assertNothingWritten(before, "dry run")
        res = self.write("POST", "/v1/reorganizations", {**move, "into": {"parent": GL, "number": 42}})
        self.assertEqual(res["moved"], {m: "000.00.42.H21", k: k[:7] + "42.H21"})
        self.assertEqual(self.unit("000.00.42.H21")["predecessors"], [m])

    def test_systems(self):
        r = self.d.post("/v1/systems", {"name": "QLVB Văn phòng UBND tỉnh", "codes": ["000.00.01.H14"]},
                        token=self.admin)
        self.assertStatus(r, 201)
        s = r.json()
        for k in ("id", "name", "codes", "token", "vxp_secret"):
            self.assertIn(k, s)
        self.assertEqual(s["codes"], ["000.00.01.H14"])
        me = self.d.get("/v1/me", token=s["token"]).json()
        self.assertEqual((me["role"], me.get("codes")), ("system", ["000.00.01.H14"]))
        listed = self.d.get("/v1/systems", token=self.admin).json()["items"]
        self.assertIn(s["id"], [x["id"] for x in listed])
        for x in listed:
            self.assertNotIn("token", x, "a listing never shows a token again")
            self.assertNotIn("vxp_secret", x)
        # A manager registers systems of its subtree only.
        r = self.d.post("/v1/systems", {"name": "QLVB Sở Nội vụ", "codes": ["000.00.02.H14"]}, token=self.mgr_cb)
        self.assertStatus(r, 201)
        before = self.d.last_seq()
        r = self.d.post("/v1/systems", {"name": "QLVB Đà Nẵng", "codes": ["000.00.02.H17"]}, token=self.mgr_cb)
        self.assertError(r, 403, "forbidden")
        mine = {x["id"] for x in self.d.get("/v1/systems", token=self.mgr_cb).json()["items"]}
        self.assertIn(s["id"], mine)
        # A system sees itself only.
        theirs = self.d.get("/v1/systems", token=s["token"]).json()["items"]
        self.assertEqual([x["id"] for x in theirs], [s["id"]])
        self.assertError(self.d.get("/v1/systems", token=self.reader), 403, "forbidden")
        self.assertError(self.d.get("/v1/systems"), 401, "unauthorized")
        for body in ({"name": "x"}, {"codes": [CB]}, {"name": "x", "codes": []}, {"name": "x", "codes": ["H14"]},
                     {"name": "x", "codes": CB}, {"name": 1, "codes": [CB]}, {"name": "x", "codes": [CB], "a": 1}):
            self.assertError(self.d.post("/v1/systems", body, token=self.admin), 400, "bad_request", msg=str(body))
        self.assertNothingWritten(before, "refused systems")

    # ---- the access log ----

    def test_access_log_one_json_line_per_request(self):
        def lines():
            return self.d.access_lines()

        # The line is written when a request completes, just after its reply
        # reaches the client: let earlier tests' lines land first.
        n0, deadline = len(lines()), time.monotonic() + 2
        while time.monotonic() < deadline:
            time.sleep(0.2)
            n1 = len(lines())
            if n1 == n0:
                break
            n0 = n1
        sent = [("GET", f"/v1/units/{CB}", 200), ("GET", "/v1/units/000.00.98.H14", 404),
                ("GET", "/v1/me", 401), ("DELETE", "/healthz", 405), ("GET", "/v1/units/abc?x=%C4%90", 400)]
        for method, path, status in sent:
            self.assertStatus(self.d.request(method, path), status, path)
        deadline = time.monotonic() + 3
        while len(lines()) < n0 + len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        got = lines()
        self.assertEqual(len(got), n0 + len(sent), f"one line per request:\n" + "\n".join(got[n0:]))
        # Each line is written when its request completes, on whichever
        # server thread had it: the set must match, not the order.
        logged = []
        for line in got[n0:]:
            e = json.loads(line)
            self.assertIn("ts", e)
            logged.append((e.get("method"), e.get("uri"), e.get("status")))
        self.assertEqual(sorted(logged), sorted(sent))
        for line in got:
            json.loads(line)  # every line is one JSON object


    def test_zz_sigterm_exits_0(self):
        """Last of the class (by name): the daemon that served every test
        above stops cleanly."""
        ltd.assert_clean_stop(self, self.d)


class PrivateCatalogue(ltd.DaemonTest):
    """public_read=false: every read needs a token of any role."""

    def test_reads_need_a_token(self):
        reg = ltd.Registry(prefix="lt_test_daemon_private_")
        d = None
        try:
            reader = reg.token("reader")
            d = ltd.Daemon(reg, PUBLIC_READ="false").start()
            self.assertStatus(d.get("/healthz"), 200)
            for path in (f"/v1/units/{CB}", f"/v1/units/{CB}/children", f"/v1/units/{QN}/history",
                         f"/v1/units/{QN}/resolve", "/v1/units?q=cao", "/v1/changes",
                         "/v1/reports/compliance", "/dmdc/Metadata/qlvanbandieuhanhcap1",
                         "/dmdc/Category/qlvanbandieuhanhcap1"):
                r = d.get(path)
                self.assertError(r, 401, "unauthorized", msg=path)
                self.assertIn("Bearer", r.header("WWW-Authenticate") or "", path)
                self.assertStatus(d.get(path, token=reader), 200, path)
            self.assertError(d.get(f"/v1/units/{CB}", headers={"Authorization": "Bearer lt_wrong"}), 401)
            ltd.assert_clean_stop(self, d)
        finally:
            if d:
                d.kill()
            reg.close()


class Shutdown(ltd.DaemonTest):
    """SIGTERM while requests are in flight: they finish, the daemon exits 0."""

    def test_sigterm_finishes_in_flight_requests(self):
        reg = ltd.Registry(prefix="lt_test_daemon_sigterm_")
        d = None
        try:
            d = ltd.Daemon(reg, THREADS=2).start()
            port = d.port
            stop = threading.Event()
            results = {"ok": 0, "refused": 0, "bad": []}

            def hammer():
                # Big shared-catalogue reads in a loop, until SIGTERM: each
                # one that is answered is answered completely.
                while not stop.is_set():
                    try:
                        r = d.get("/dmdc/Category/qlvanbandieuhanhcap2", timeout=10)
                    except (ConnectionError, OSError):
                        results["refused"] += 1
                        time.sleep(0.01)
                        continue
                    if r.status == 200:
                        try:
                            json.loads(r.body)
                            results["ok"] += 1
                        except ValueError:
                            results["bad"].append(f"truncated body of {len(r.body)} bytes")
                    elif r.status != 503:
                        results["bad"].append(repr(r))

            threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
            for t in threads:
                t.start()
            # A request whose head is half sent when SIGTERM comes.
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /dmdc/Category/qlvanbandieuhanhcap1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            time.sleep(0.5)
            d.signal(signal.SIGTERM)
            time.sleep(0.5)
            s.sendall(b"Accept: application/json\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            s.close()
            status, _, body = ltd.parse_raw_reply(data)
            self.assertEqual(status, 200, f"the in-flight request is answered: {data[:300]!r}")
            self.assertGreater(len(json.loads(body)), 100, "completely")
            rc = d.wait(15)
            stop.set()
            for t in threads:
                t.join(15)
            self.assertEqual(rc, 0, "lienthongd exits 0 after SIGTERM")
            self.assertFalse(d.sanitizer_lines(), d.sanitizer_lines()[:20])
            self.assertFalse(results["bad"], results["bad"][:5])
            self.assertGreater(results["ok"], 0, "the loop was served before the signal")
            self.assertIn("SIGTERM", d.stderr())
        finally:
            if d:
                d.kill()
            reg.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
