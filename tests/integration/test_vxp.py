#!/usr/bin/env python3
"""Integration test: the VXP-compatible axis API (issue 11; formats.md
§3.2–3.4 and §3.7; design.md §5, §7.2).

A scratch registry made by `lienthong init --demo` (Quảng Nam 000.00.00.H47
merged into Đà Nẵng 000.00.00.H17 on 2025-07-01), three connected systems
made by `lienthong system add` (Văn phòng Chính phủ G22, Đà Nẵng H17, Cao
Bằng H14), and the real lienthongd on a free port of 127.0.0.1. Each system
talks through one ltvxp.Client object for the whole run, the way a
document-management system holds one SDK service object: one frozen
timestamp on every call, keys leaking from earlier calls into later ones,
the signed key order of Java's HashMap, CRLF-terminated sendEdoc bodies with
the unpadded hash-file, `to` in both JSON forms, `Expect: 100-continue` on
getEdoc and updateStatus. Through it:

- the catalogue calls (getAgenciesList, getAgenciesListQD20,
  getSynchronizeUnit) answer from the registry, lineage and change feed;
- registerAgency / deleteAgency connect and disconnect existing units within
  the system's scope, and never create a code;
- G22 sends to H47 (routed through the merger to H17) and H14; each
  recipient lists, counts, fetches (getEdoc base64, downloadEdoc raw: the
  exact bytes without the CRLF) and acknowledges; H17 and H14 answer with
  business status packages; G22's getSentEdocList shows them per recipient;
- the same documents and traces through the native /v1 API;
- replays (sendEdoc, a status package, updateStatus) change nothing;
- refusals in the envelope with 4xx statuses: wrong HMAC, a loose header
  that disagrees with the signed value, an unknown systemid, a wrong
  hash-file, a non-ASCII value mangled as the SDK does for an endpoint with
  an explicit port, and (in a second daemon with vxp_max_clock_skew=60) a
  stale timestamp, which the first daemon (setting off) accepts;
- sendEdoc's hash-file is required and tells whether a trailing CRLF is the
  SDK's or the file's; `to` elements that are not codes and parameters
  signed in two spellings are 400s; what the HTTP layer refuses under /vxp/
  (404, 405, 400, 401, 413, 501) is in the envelope too;
- in a third daemon with max_package_bytes=8192: the 413 states that limit,
  a chunked body that keeps coming gets its 413 before the close, and stored
  text that is not UTF-8 gets an honest 500 naming the row.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402

G22, H47, H17, H14 = "000.00.00.G22", "000.00.00.H47", "000.00.00.H17", "000.00.00.H14"
H17_VP = "000.00.01.H17"      # Văn phòng UBND thành phố Đà Nẵng: active, inside H17
H14_TP = "000.00.04.H14"      # Sở Tư pháp tỉnh Cao Bằng: active, outside H17
H47_VP = "000.00.01.H47"      # merged into H17_VP, its counterpart, in the merger: closed
NOT_ISSUED = "000.00.99.H17"  # well formed, never issued
ENVELOPE = ("status", "ErrorCode", "ErrorDesc")
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
# One stale timestamp (three hours old, the JVM's local time): accepted by the
# daemon with vxp_max_clock_skew off, refused by the one with it at 60 s.
STALE = ltvxp.java_timestamp(ltvxp.vn_now() - datetime.timedelta(hours=3))


def register_body(code, pcode):
    """registerAgency's JSON body as the Java SDK writes it (§3.3)."""
    return json.dumps({"id": "", "pcode": pcode, "code": code, "name": "Đơn vị kết nối", "mail": "",
                       "mobile": "", "fax": ""}, ensure_ascii=False).encode("utf-8")


def replace_header(name, value):
    def mutate(hdrs):
        return [(k, value if k.lower() == name.lower() else v) for k, v in hdrs]
    return mutate


class VxpTest(ltd.DaemonTest):
    """Envelope asserts shared by the VXP tests."""

    def envelope(self, status, headers, body, http=200, ok=True, contains=None, msg=""):
        """Parses a raw reply and checks the §3.4 envelope: status, ErrorCode
        and ErrorDesc present and strings; OK with 200 and "0", or FAIL with
        a 4xx whose number is the ErrorCode."""
        ctype = headers.get("content-type", "")
        self.assertTrue(ctype.startswith("application/json"), f"Content-Type {ctype!r} of {body[:300]!r} {msg}")
        r = json.loads(body.decode("utf-8"))
        self.assertIsInstance(r, dict, msg)
        for k in ENVELOPE:
            self.assertIsInstance(r.get(k), str, f"{k} missing or not a string in {r} {msg}")
        if ok:
            self.assertEqual((status, r["status"], r["ErrorCode"]), (http, "OK", "0"), f"{r} {msg}")
        else:
            self.assertEqual(r["status"], "FAIL", f"{r} {msg}")
            self.assertTrue(400 <= status < 500, f"HTTP {status} for a refusal: {r} {msg}")
            if http:
                self.assertEqual(status, http, f"{r} {msg}")
            self.assertEqual(r["ErrorCode"], str(status), f"ErrorCode vs HTTP status: {r} {msg}")
            self.assertTrue(r["ErrorDesc"].strip(), f"empty ErrorDesc: {r} {msg}")
            if contains:
                for c in (contains if isinstance(contains, (list, tuple)) else [contains]):
                    self.assertIn(c, r["ErrorDesc"], msg)
        return r

    def ok(self, client, op, params=None, body=b"", ctype="application/json", expect=False, msg=""):
        st, h, b = client.raw("POST", op, params or {}, body, ctype, expect, timeout=15)
        return self.envelope(st, h, b, msg=msg or op)

    def refused(self, client, op, params=None, body=b"", http=None, contains=None, ctype="application/json",
                expect=False, mutate=None, method="POST", msg=""):
        st, h, b = client.raw(method, op, params or {}, body, ctype, expect, timeout=15, mutate=mutate)
        return self.envelope(st, h, b, http=http, ok=False, contains=contains, msg=msg or op)

    def send(self, client, from_code, pkg, http=200, ok=True, contains=None, **kw):
        """sendEdoc through raw so the envelope is checked; returns the reply."""
        hash_file = kw.pop("hash_file", None)
        params = {"servicetype": "eDoc", "messagetype": kw.pop("messagetype", "edoc"),
                  "hash-file": ltvxp.sdk_hash_file(pkg) if hash_file is None else hash_file, "from": from_code}
        if hash_file is ltvxp.OMIT:
            del params["hash-file"]
        to = kw.pop("to", None)
        if to is not None:
            params["to"] = json.dumps(to, separators=(",", ":"), ensure_ascii=False)
        body = pkg + b"\r\n" if kw.pop("crlf", True) else pkg
        st, h, b = client.raw("POST", "sendEdoc", params, body, "application/octet-stream", timeout=30,
                              mutate=kw.pop("mutate", None))
        self.assertFalse(kw, f"unknown arguments {kw}")
        r = self.envelope(st, h, b, http=http, ok=ok, contains=contains, msg="sendEdoc")
        if not ok:
            self.assertSdkSeesRefusal(b)
        if ok:
            self.assertIsInstance(r.get("DocId"), str, r)
            self.assertRegex(r["DocId"], r"^[0-9a-f]{32}$")
        return r

    def assertSdkSeesRefusal(self, body, msg=""):
        """A sendEdoc refusal as the SDK returns it to its caller: FAIL with
        the hub's ErrorCode and ErrorDesc, and an empty DocId (the key must
        be there: the SDK reads it unchecked)."""
        res = ltvxp.sdk_send_result(body)
        self.assertEqual(res["status"], "FAIL", f"the SDK sees a result of nulls: {body[:300]!r} {msg}")
        self.assertTrue(res["ErrorCode"] and res["ErrorDesc"], f"{res} {msg}")
        self.assertEqual(res["DocId"], "", f"{res} {msg}")

    def server_failure(self, status, headers, body, http=500, contains=None, msg=""):
        """A 5xx in the envelope: FAIL, the status as ErrorCode, and a reason
        that does not read as success."""
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), f"{headers} {msg}")
        r = json.loads(body.decode("utf-8"))
        for k in ENVELOPE:
            self.assertIsInstance(r.get(k), str, f"{k} missing or not a string in {r} {msg}")
        self.assertEqual((status, r["status"], r["ErrorCode"]), (http, "FAIL", str(http)), f"{r} {msg}")
        self.assertTrue(r["ErrorDesc"].strip(), f"empty ErrorDesc: {r} {msg}")
        self.assertNotIn("success", r["ErrorDesc"].lower(), f"a failure that says success: {r} {msg}")
        if contains:
            self.assertIn(contains, r["ErrorDesc"], f"{r} {msg}")
        return r

    def raw_envelope(self, data, http, contains=None, msg=""):
        """Raw bytes to the daemon: the reply is the envelope with this status
        (4xx or 5xx), never the /v1 error object."""
        out, how = self.d.raw(data, read_timeout=10)
        st, headers, body = ltd.parse_raw_reply(out)
        self.assertEqual(st, http, f"{msg}: {out[:400]!r} ({how})")
        n = int(headers.get("content-length", len(body)))
        if http >= 500:
            r = self.server_failure(st, headers, body[:n], http=http, contains=contains, msg=msg)
        else:
            r = self.envelope(st, headers, body[:n], http=http, ok=False, contains=contains, msg=msg)
        self.assertNotIn("error", r, msg)
        self.assertNotIn("www-authenticate", headers, f"{msg}: the SDK does no bearer auth")
        if data.split(b" ")[1].split(b"?")[0].endswith(b"/sendEdoc"):
            self.assertSdkSeesRefusal(body[:n], msg)
        return r, headers

    def items(self, client, messagetype="edoc"):
        r = self.ok(client, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": messagetype})
        self.assertIsInstance(r.get("data"), list, r)
        return r["data"]

    def count(self, client, op, params=None, body=b"{}"):
        r = self.ok(client, op, params if params is not None else
                    {"servicetype": "eDoc", "messagetype": "status" if op == "countReceiveStatus" else "edoc"},
                    body)
        self.assertIsInstance(r.get("count"), int, r)
        return r["count"]


class VxpSdk(VxpTest):
    """The SDK's whole round trip against one daemon (vxp_max_clock_skew off).
    The tests run in name order and build on each other."""

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_vxp_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add(n, c) for c, n in
                       ((G22, "QLVB Văn phòng Chính phủ"), (H17, "QLVB Đà Nẵng"), (H14, "QLVB Cao Bằng"))}
            cls.d = ltd.Daemon(cls.reg).start()
            # One SDK service object per system for the whole run.
            cls.c = {code: ltvxp.Client("127.0.0.1", cls.d.port, code, s["vxp_secret"])
                     for code, s in cls.sys.items()}
            cls.doc = None       # the hub id of the document G22 sends to H47 and H14
            cls.pkg = None
            cls.document_id = None
            cls.status_ids = {}  # recipient code -> hub id of its status package
        except BaseException:
            cls.tearDownClass()
            raise


    # ---- helpers ----

    def need_doc(self):
        if not self.doc:
            self.skipTest("the document of test_05 was not sent")

    def token(self, code):
        return self.sys[code]["token"]

    def trace(self, doc_id, code=G22):
        r = self.d.get(f"/v1/documents/{doc_id}/trace", token=self.token(code))
        self.assertStatus(r, 200)
        return r.json()

    def recipient(self, trace, routed_to):
        rows = [x for x in trace["recipients"] if x["routed_to"] == routed_to]
        self.assertEqual(len(rows), 1, f"recipients routed to {routed_to}: {trace['recipients']}")
        return rows[0]

    def v1_inbox(self, code, kind="edoc"):
        r = self.d.get(f"/v1/inbox?kind={kind}&limit=500", token=self.token(code))
        self.assertStatus(r, 200)
        return r.json()["items"]

    def system_codes(self, name):
        rows = json.loads(self.reg.check("system", "list", "--json"))
        return [s for s in rows if s["name"] == name][0]["codes"]

    def signed_timestamp(self, client):
        return json.loads(client.last_sign)["XroadVnpt-timestamp"]

    # ---- the SDK client itself ----

    def test_00_client_reproduces_the_sdk_key_orders(self):
        """ltvxp's HashMap order gives the key lists observed on the wire
        (§3.7) for a fresh SDK object, and its sign string is what the SDK
        signs; a sanity check of the instrument the other tests rely on."""
        fresh = lambda: ltvxp.Client("h", 1, G22, "s", leak=False)  # noqa: E731
        cases = [
            ({"servicetype": "eDoc", "messagetype": "edoc"}, "application/json",
             "systemid;servicetype;messagetype;timestamp;Content-Type"),
            ({"servicetype": "eDoc", "messagetype": "edoc", "hash-file": "ab", "from": G22},
             "application/octet-stream", "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type"),
            ({"docId": "x", "status": "done"}, "application/json", "systemid;docId;timestamp;Content-Type;status"),
        ]
        for params, ctype, want in cases:
            hdrs, keys = fresh().headers_for(params, ctype)
            self.assertEqual(";".join(keys), want)
            h = dict(hdrs)
            self.assertEqual(h["XroadVnpt-sign-header-key"], want)
            sign = h["XroadVnpt-sign-header"]
            self.assertEqual(list(json.loads(sign)), ["XroadVnpt-" + k for k in keys])
            self.assertNotIn(", ", sign)  # compact
            self.assertEqual(h["XroadVnpt-hash-header"], hmac.new(b"s", sign.encode(), hashlib.sha256).hexdigest())
        # `to` as JSON text in both forms, escaped again inside the sign string.
        c = fresh()
        hdrs, _ = c.headers_for({"to": '["000.00.00.G22","000.00.00.H14"]'}, "application/octet-stream")
        self.assertIn('"XroadVnpt-to":"[\\"000.00.00.G22\\",\\"000.00.00.H14\\"]"', dict(hdrs)["XroadVnpt-sign-header"])
        # The unpadded hash-file: SHA-256("abc") is ba7816bf8f01cfea…b410ff61f20015ad;
        # Integer.toHexString drops the zero of 01, 03, 00.
        self.assertEqual(ltvxp.sdk_hash_file(b"abc"), "ba7816bf8f1cfea414140de5dae2223b0361a396177a9cb410ff61f2015ad")

    # ---- catalogue ----

    def test_01_get_agencies_list(self):
        cg = self.c[G22]
        r = self.ok(cg, "getAgenciesList")
        data = r["data"]
        self.assertIsInstance(data, list)
        by = {a["code"]: a for a in data}
        self.assertGreater(len(by), 170, "the level-1 table and the demo tree")
        for a in data:
            self.assertEqual(set(a), {"id", "pid", "code", "name", "mail", "oldCode"}, a)
            for k, v in a.items():
                self.assertIsInstance(v, str, f"{k} of {a}")
        self.assertEqual(by[H17]["oldCode"], H47, "H17's predecessor from lineage")
        self.assertEqual(by[H17]["pid"], "")
        self.assertEqual(by[H17_VP]["pid"], H17)
        self.assertEqual(by[H17_VP]["oldCode"], H47_VP, "merged into its counterpart: the old code")
        self.assertEqual(by["000.00.07.H17"]["oldCode"], "000.00.21.H47", "moved in the merger: its old code")
        self.assertEqual(by[H14]["oldCode"], "")
        self.assertNotIn(H47, by, "getAgenciesList lists active units")
        # A body of {} instead of 0 bytes is the same call.
        r2 = self.ok(cg, "getAgenciesList", body=b"{}")
        self.assertEqual(len(r2["data"]), len(data))

    def test_02_get_agencies_list_qd20(self):
        r = self.ok(self.c[G22], "getAgenciesListQD20")
        by = {a["code"]: a for a in r["data"]}
        for a in r["data"]:
            self.assertEqual(set(a), {"id", "code", "name", "mail", "code102"}, a)
            self.assertTrue(all(isinstance(v, str) for v in a.values()), a)
        self.assertEqual(by[H17]["code102"], H47)
        self.assertEqual(by[H17]["name"], "Ủy ban nhân dân thành phố Đà Nẵng")
        self.assertNotIn(H47, by)

    def test_03_get_synchronize_unit(self):
        r = self.ok(self.c[G22], "getSynchronizeUnit")
        by = {a["code"]: a for a in r["data"]}
        fields = {"id", "pid", "code", "name", "mail", "version", "centerCode", "deleted", "modifyDate", "isAgency"}
        for a in r["data"]:
            self.assertEqual(set(a), fields, a)
            self.assertIsInstance(a["version"], int, a)
            self.assertIsInstance(a["deleted"], bool, a)
            self.assertIsInstance(a["isAgency"], bool, a)
            self.assertTrue(a["modifyDate"], a)
        self.assertIn(H47, by, "closed units are reported, as deleted")
        self.assertIs(by[H47]["deleted"], True)
        self.assertIs(by[H47_VP]["deleted"], True)
        self.assertIs(by[H17]["deleted"], False)
        self.assertEqual(by[H17_VP]["centerCode"], H17)
        self.assertEqual(by["000.00.07.H17"]["centerCode"], H17)
        # version and modifyDate come from the change feed: the unit's last event.
        last = {}
        after = 0
        while True:
            resp = self.d.get(f"/v1/changes?after={after}&limit=500", token=self.token(G22))
            self.assertStatus(resp, 200)
            page = resp.json()
            if not page["items"]:
                break
            for ev in page["items"]:
                last[ev["code"]] = ev
                after = ev["seq"]
        for code in (H47, H17, H17_VP, "000.00.07.H17"):
            self.assertIn(code, last, f"no change-feed event for {code}")
            self.assertEqual(by[code]["version"], last[code]["seq"], code)
            self.assertEqual(by[code]["modifyDate"], last[code]["at"], code)
        self.assertGreater(by[H47]["version"], 0)

    def test_04_register_and_delete_agency_are_off_by_default(self):
        """vxp_agency_ops is off unless configured: registerAgency and
        deleteAgency are refused and bind nothing (test_systems_admin.py runs
        them with the setting on)."""
        seq = self.d.last_seq()
        agency = ltvxp.Client("127.0.0.1", self.d.port, H17, self.sys[H17]["vxp_secret"])
        self.refused(agency, "registerAgency", body=register_body(H17_VP, H17), http=403,
                     contains="vxp_agency_ops")
        self.refused(agency, "deleteAgency", {"AgencyCode": H17_VP}, b"{}", http=403, contains="vxp_agency_ops")
        self.assertEqual(self.system_codes("QLVB Đà Nẵng"), [H17])
        self.assertEqual(self.d.last_seq(), seq, "registerAgency changed the registry")

    # ---- the document round trip ----

    def test_05_send_to_two_recipients_one_through_the_merger(self):
        cg = self.c[G22]
        pkg, document_id = ltpkg.edoc(G22, [H47, H14], number="101", notation="VPCP-TH",
                                      subject="Công văn gửi Quảng Nam và Cao Bằng",
                                      attachments=[("quyet-dinh.pdf", PDF)])
        r = self.send(cg, G22, pkg, to=[H47, H14])
        self.assertIn("to", cg.last_keys)
        self.assertIn('"XroadVnpt-to":"[\\"000.00.00.H47\\",\\"000.00.00.H14\\"]"', cg.last_sign)
        # An SDK retry: the identical request again, byte for byte.
        again = self.send(cg, G22, pkg, to=[H47, H14])
        self.assertEqual(again["DocId"], r["DocId"], "a retried sendEdoc returns the first DocId")
        type(self).doc, type(self).pkg, type(self).document_id = r["DocId"], pkg, document_id
        t = self.trace(self.doc)
        self.assertEqual(t["document_id"], document_id)
        self.assertEqual(t["sha256"], hashlib.sha256(pkg).hexdigest(), "stored without the trailing CRLF")
        self.assertEqual(t["size"], len(pkg))
        self.assertEqual(len(t["recipients"]), 2, t["recipients"])
        qn = self.recipient(t, H17)
        self.assertEqual(qn["code"], H47)
        self.assertIn(H17, qn["reason"] or "", "the trace says why it went to H17")
        self.assertEqual(self.recipient(t, H14)["code"], H14)

    def test_06_recipients_list_count_fetch_and_acknowledge(self):
        self.need_doc()
        c17, c14 = self.c[H17], self.c[H14]
        for code, client in ((H17, c17), (H14, c14)):
            rows = [x for x in self.items(client) if x["docId"] == self.doc]
            self.assertEqual(len(rows), 1, f"{code}'s getReceivedEdocList")
            row = rows[0]
            for k in ("docId", "serviceType", "messageType", "created_time", "updated_time", "from", "to",
                      "status", "status_desc"):
                self.assertIsInstance(row.get(k), str, f"{k} of {row}")
            self.assertEqual((row["from"], row["to"], row["messageType"], row["status"]),
                             (G22, code, "edoc", "pending"), row)
            self.assertEqual(self.count(client, "countReceiveEdoc"), len(self.items(client)))
        # getEdoc: a base64 string whose bytes are the file without the CRLF.
        t0 = time.monotonic()
        st, h, b = c17.raw("POST", "getEdoc", {"docId": self.doc, "filePath": "/var/qlvb/edoc"}, b"{}",
                           expect=True, timeout=5)
        elapsed = time.monotonic() - t0
        r = self.envelope(st, h, b, msg="getEdoc")
        self.assertTrue(c17.saw_continue, "getEdoc with Expect: 100-continue got no 100 Continue")
        self.assertLess(elapsed, 1.0, "getEdoc with Expect: 100-continue")
        self.assertIsInstance(r.get("data"), str, "getEdoc data must be a base64 string")
        self.assertEqual(base64.b64decode(r["data"], validate=True), self.pkg)
        # downloadEdoc: GET, the raw bytes.
        st, h, b = c14.raw("GET", "downloadEdoc", {"docId": self.doc, "filePath": "/var/qlvb/edoc"}, timeout=15)
        self.assertEqual(st, 200, b[:300])
        self.assertEqual(b, self.pkg)
        # updateStatus: H17 done (takes it out of the inbox), H14 processing.
        t0 = time.monotonic()
        st, h, b = c17.raw("POST", "updateStatus", {"docId": self.doc, "status": "done"}, b"{}", expect=True,
                           timeout=5)
        elapsed = time.monotonic() - t0
        self.envelope(st, h, b, msg="updateStatus")
        self.assertTrue(c17.saw_continue)
        self.assertLess(elapsed, 1.0, "updateStatus with Expect: 100-continue")
        self.assertNotIn(self.doc, [x["docId"] for x in self.items(c17)], "done takes it out of the inbox")
        self.ok(c14, "updateStatus", {"docId": self.doc, "status": "processing"}, b"{}", expect=True)
        rows = [x for x in self.items(c14) if x["docId"] == self.doc]
        self.assertEqual([x["status"] for x in rows], ["processing"])
        t = self.trace(self.doc)
        self.assertEqual(self.recipient(t, H17)["state"], "done")
        self.assertEqual(self.recipient(t, H14)["state"], "processing")

    def test_07_business_statuses_back_to_the_sender(self):
        self.need_doc()
        cg, c17, c14 = self.c[G22], self.c[H17], self.c[H14]
        # H17 answers 01 with `to` as a quoted string; H14 answers 03 with no `to`.
        s17 = ltpkg.status(H17, G22, self.document_id, "01", "Đã đến")
        r = self.send(c17, H17, s17, messagetype="status", to=G22)
        self.assertIn('"XroadVnpt-to":"\\"000.00.00.G22\\""', c17.last_sign)
        self.status_ids[H17] = r["DocId"]
        s14 = ltpkg.status(H14, G22, self.document_id, "03", "Đã tiếp nhận")
        self.status_ids[H14] = self.send(c14, H14, s14, messagetype="status")["DocId"]
        type(self).status_pkgs = {H17: s17, H14: s14}
        # G22's status inbox.
        rows = {x["docId"]: x for x in self.items(cg, "status")}
        for code, sid in self.status_ids.items():
            self.assertIn(sid, rows)
            self.assertEqual((rows[sid]["from"], rows[sid]["messageType"]), (code, "status"), rows[sid])
        self.assertEqual(self.count(cg, "countReceiveStatus"), len(rows))
        for code, sid in self.status_ids.items():
            r = self.ok(cg, "getEdoc", {"docId": sid, "filePath": "/tmp/st"}, b"{}", expect=True)
            self.assertEqual(base64.b64decode(r["data"]), self.status_pkgs[code])
            self.ok(cg, "updateStatus", {"docId": sid, "status": "done"}, b"{}", expect=True)
        self.assertEqual(self.count(cg, "countReceiveStatus"), 0)
        # getSentEdocList: one row per recipient with its business status. The
        # SDK object now carries a leaked docId (a status G22 received) and
        # status=done; neither filters the list.
        self.assertIn("docId", cg.map)
        r = self.ok(cg, "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc"})
        self.assertIn("docId", cg.last_keys)
        rows = [x for x in r["data"] if x["senderDocId"] == self.doc]
        fields = ("serviceType", "senderDocId", "receiverDocId", "fromCode", "toCode", "title", "notation",
                  "messageType", "sentTime", "receivedTime", "sendStatus", "sendStatusDesc", "receiveStatus",
                  "receiveStatusDesc")
        for row in rows:
            for k in fields:
                self.assertIsInstance(row.get(k), str, f"{k} of {row}")
        by = {x["toCode"]: x for x in rows}
        self.assertEqual(sorted(by), sorted([H17, H14]), rows)
        self.assertEqual((by[H17]["sendStatus"], by[H17]["receiveStatus"]), ("done", "01"), by[H17])
        self.assertEqual((by[H14]["sendStatus"], by[H14]["receiveStatus"]), ("processing", "03"), by[H14])
        self.assertEqual(by[H17]["fromCode"], G22)
        self.assertEqual(by[H17]["title"], "Công văn gửi Quảng Nam và Cao Bằng")
        self.assertTrue(by[H17]["receiveStatusDesc"])

    def test_08_native_api_sees_the_same_documents_and_traces(self):
        self.need_doc()
        if len(self.status_ids) != 2:
            self.skipTest("the statuses of test_07 were not sent")
        # The bytes, through /v1, for a recipient.
        r = self.d.get(f"/v1/documents/{self.doc}", token=self.token(H17))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, self.pkg)
        # H14's /v1 inbox holds it (processing); H17's no longer (done).
        rows = [x for x in self.v1_inbox(H14) if x["id"] == self.doc]
        self.assertEqual([(x["state"], x["from"], x["to"]) for x in rows], [("processing", G22, H14)])
        self.assertNotIn(self.doc, [x["id"] for x in self.v1_inbox(H17)])
        # The trace, as the sender sees it, matches getSentEdocList.
        t = self.trace(self.doc)
        qn, cb = self.recipient(t, H17), self.recipient(t, H14)
        self.assertEqual([x["state"] for x in qn["transport"]], ["pending", "done"])
        self.assertEqual([x["state"] for x in cb["transport"]], ["pending", "processing"])
        self.assertEqual([(s["code"], s["from"], s["status_id"]) for s in qn["statuses"]],
                         [("01", H17, self.status_ids[H17])])
        self.assertEqual([(s["code"], s["from"], s["status_id"]) for s in cb["statuses"]],
                         [("03", H14, self.status_ids[H14])])
        sent = self.ok(self.c[G22], "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc"})["data"]
        for row in [x for x in sent if x["senderDocId"] == self.doc]:
            rec = self.recipient(t, row["toCode"])
            self.assertEqual(row["sendStatus"], rec["state"])
            self.assertEqual(row["receiveStatus"], rec["statuses"][-1]["code"] if rec["statuses"] else "")
        # The recipients see the same trace.
        for code in (H17, H14):
            self.assertEqual(self.trace(self.doc, code)["recipients"], t["recipients"])
        # The status packages are documents too.
        st = self.trace(self.status_ids[H17], H17)
        self.assertEqual((st["kind"], st["from"]), ("status", H17))
        self.assertEqual([(x["routed_to"], x["state"]) for x in st["recipients"]], [(G22, "done")])

    def test_09_replays_change_nothing(self):
        self.need_doc()
        cg, c17, c14 = self.c[G22], self.c[H17], self.c[H14]
        before = self.trace(self.doc)
        inbox14 = self.items(c14)
        # sendEdoc again, later, with other keys leaked into the signature.
        r = self.send(cg, G22, self.pkg, to=[H47, H14])
        self.assertEqual(r["DocId"], self.doc)
        self.assertEqual(self.items(c14), inbox14, "a replayed sendEdoc changed the recipient's list")
        self.assertEqual([x["docId"] for x in self.items(c17)].count(self.doc), 0,
                         "a replayed sendEdoc brought it back into H17's inbox")
        self.assertEqual(len([x for x in self.v1_inbox(H14) if x["document_id"] == self.document_id]), 1)
        # The same file without the SDK's CRLF is the same document too.
        self.assertEqual(self.send(cg, G22, self.pkg, crlf=False)["DocId"], self.doc)
        # A status package again.
        if H17 in getattr(self, "status_pkgs", {}):
            self.assertEqual(self.send(c17, H17, self.status_pkgs[H17], messagetype="status", to=G22)["DocId"],
                             self.status_ids[H17])
            self.assertEqual(self.count(cg, "countReceiveStatus"), 0, "a replayed status reappeared")
        # updateStatus again (the SDK retries POSTs): nothing further.
        for _ in range(2):
            self.ok(c17, "updateStatus", {"docId": self.doc, "status": "done"}, b"{}", expect=True)
            self.ok(c14, "updateStatus", {"docId": self.doc, "status": "processing"}, b"{}", expect=True)
        after = self.trace(self.doc)
        self.assertEqual(after["recipients"], before["recipients"], "a replayed updateStatus changed the trace")
        self.assertEqual(len(self.recipient(after, H17)["transport"]), 2)

    def test_10_frozen_timestamp_across_the_sequence(self):
        """Every client signed every call of this run with the timestamp its
        object was created with (ltvxp freezes it as the SDK does), and the
        hub accepted them all: the defence against replay is idempotency."""
        for code, client in self.c.items():
            self.ok(client, "countReceiveEdoc", {"servicetype": "eDoc", "messagetype": "edoc"}, b"{}")
            self.assertEqual(self.signed_timestamp(client), client.timestamp)
            self.assertGreater(len(client.signed_timestamps), 5, code)
            self.assertEqual(set(client.signed_timestamps), {client.timestamp}, code)
        # A timestamp three hours old is accepted while vxp_max_clock_skew is
        # off (the default); VxpClockSkew refuses this very one.
        old = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"], timestamp=STALE)
        self.assertIsInstance(self.items(old), list)
        self.ok(old, "updateStatus", {"docId": self.doc or "0" * 32, "status": "processing"}, b"{}", expect=True)

    def test_11_bodies_docid_and_leaked_keys(self):
        self.need_doc()
        cg, c14 = self.c[G22], self.c[H14]
        # Two more documents for H14 only. G22's object still carries the
        # leaked `to` [H47, H14] from its earlier sendEdoc: it is signed but
        # the recipients are the package's own To list.
        ids = []
        for n in ("102", "103"):
            pkg, _ = ltpkg.edoc(G22, [H14], number=n, notation="VPCP-TH")
            ids.append(self.send(cg, G22, pkg)["DocId"])
            self.assertIn("to", cg.last_keys)
        for i in ids:
            t = self.trace(i)
            self.assertEqual([x["routed_to"] for x in t["recipients"]], [H14], "a leaked `to` was used for routing")
        # H14 fetches the first and marks it processing: its object now leaks
        # docId=ids[0] and status=processing into every later call.
        self.ok(c14, "getEdoc", {"docId": ids[0], "filePath": "/tmp/a"}, b"{}", expect=True)
        self.ok(c14, "updateStatus", {"docId": ids[0], "status": "processing"}, b"{}", expect=True)
        self.assertEqual((c14.map["docId"], c14.map["status"]), (ids[0], "processing"))
        # A list call with those leaked keys is not filtered by them.
        r = self.ok(c14, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"})
        self.assertIn("docId", c14.last_keys)
        self.assertIn("status", c14.last_keys)
        listed = {x["docId"]: x["status"] for x in r["data"]}
        self.assertEqual({i: listed.get(i) for i in ids}, {ids[0]: "processing", ids[1]: "pending"})
        self.assertIn(self.doc, listed)
        # It also sends a status package: messagetype=status leaks as well.
        s = ltpkg.status(H14, G22, f"{G22},2026/11/20,102/VPCP-TH", "01")
        self.send(c14, H14, s, messagetype="status")
        self.assertEqual(c14.map["messagetype"], "status")
        # A count call signed with the leaked messagetype=status and no
        # messagetype of its own counts what its name says.
        r = self.ok(c14, "countReceiveEdoc", {}, b"{}")
        self.assertIn('"XroadVnpt-messagetype":"status"', c14.last_sign)
        self.assertEqual(r["count"], len(listed))
        # 0-byte and {} bodies on every kind of call.
        self.assertEqual(self.count(c14, "countReceiveEdoc", body=b""), len(listed))
        self.ok(c14, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b"{}")
        self.ok(c14, "getSentEdocList", {"servicetype": "eDoc", "messagetype": "status"}, b"{}")
        r = self.ok(c14, "getEdoc", {"docId": ids[1], "filePath": "/tmp/b"}, b"")
        self.assertIsInstance(r["data"], str)
        self.ok(c14, "updateStatus", {"docId": ids[1], "status": "processing"}, b"")
        # `docid` as Bkav writes it, on a client of its own (one SDK object
        # per integration, with no docId leaked in).
        bkav = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"])
        self.ok(bkav, "updateStatus", {"docid": ids[1], "status": "done"}, b"{}", expect=True)
        self.assertEqual(bkav.last_keys, ["systemid", "docid", "timestamp", "Content-Type", "status"])
        t = self.trace(ids[1])
        self.assertEqual(self.recipient(t, H14)["state"], "done")
        self.assertNotIn(ids[1], [x["docId"] for x in self.items(c14)])

    # ---- refusals ----

    def test_12_refusals_in_the_envelope(self):
        self.need_doc()
        c14 = self.c[H14]
        h14 = self.sys[H14]["vxp_secret"]
        params = {"servicetype": "eDoc", "messagetype": "edoc"}
        # A wrong HMAC.
        wrong = hmac.new(b"not the secret", b"x", hashlib.sha256).hexdigest()
        self.refused(c14, "getReceivedEdocList", params, http=401,
                     mutate=replace_header("XroadVnpt-hash-header", wrong))
        other = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H17]["vxp_secret"])
        self.refused(other, "getReceivedEdocList", params, http=401, contains=H14, msg="another system's secret")
        # The sign string changed after signing (a value edited in it).
        def edit_sign(hdrs):
            return [(k, v.replace('"edoc"', '"status"') if k == "XroadVnpt-sign-header" else v) for k, v in hdrs]
        self.refused(c14, "getReceivedEdocList", params, http=401, mutate=edit_sign)
        # Missing signature headers.
        self.refused(c14, "getReceivedEdocList", params, http=401,
                     mutate=lambda h: [x for x in h if x[0] != "XroadVnpt-hash-header"])
        # A signed value changed in its loose header: refused, nothing done.
        before = self.trace(self.doc)
        self.refused(c14, "updateStatus", {"docId": self.doc, "status": "done"}, b"{}", http=401, expect=True,
                     mutate=replace_header("XroadVnpt-status", "fail"), contains="XroadVnpt-status")
        self.assertEqual(self.trace(self.doc)["recipients"], before["recipients"])
        pkg, _ = ltpkg.edoc(G22, [H14], number="201")
        self.send(self.c[G22], G22, pkg, http=401, ok=False, mutate=replace_header("XroadVnpt-from", H14),
                  contains="XroadVnpt-from")
        # An unknown systemid (a real code with no system; not a code at all).
        for sid in ("000.00.00.H30", "hello"):
            ghost = ltvxp.Client("127.0.0.1", self.d.port, sid, "vxp_" + "A" * 43)
            self.refused(ghost, "getReceivedEdocList", params, http=401, contains=sid)
        # A hash-file that does not match (another file's; over the file with
        # its CRLF is test_19). Nothing is stored.
        n = len(self.v1_inbox(H14))
        pkg, document_id = ltpkg.edoc(G22, [H14], number="202")
        self.send(self.c[G22], G22, pkg, http=400, ok=False, contains="hash-file",
                  hash_file=ltvxp.sdk_hash_file(b"another file"))
        self.send(self.c[G22], G22, pkg, http=400, ok=False, contains="hash-file",
                  hash_file=ltvxp.sdk_hash_file(pkg + b"\r\n\r\n"))
        self.assertEqual(len(self.v1_inbox(H14)), n, "a refused sendEdoc stored something")
        self.assertNotIn(document_id, [x["document_id"] for x in self.v1_inbox(H14)])
        # The same DocumentId with other bytes: 409, as on /v1.
        edited = self.pkg.replace("Công văn gửi".encode(), "Công văn sửa".encode())
        self.send(self.c[G22], G22, edited, http=409, ok=False, to=[H47, H14], contains="other content")
        # Not an edXML package.
        self.send(self.c[G22], G22, b"<not-edxml/>", http=400, ok=False)
        # `to` that is not JSON text of codes (on an SDK object of its own:
        # the bad `to` would leak into every later sendEdoc of this one).
        other = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
        self.send(other, G22, pkg, http=400, ok=False, to="not a code", contains="'to'")
        self.send(other, G22, pkg, http=400, ok=False, hash_file="", to="000.00.00.G22", contains="hash-file")
        # Unknown operation; a document that is not the caller's; unknown id.
        self.refused(c14, "getEdocs", {}, b"{}", http=404, contains="getEdocs")
        if H17 in self.status_ids:  # H17's status package, addressed to G22
            self.refused(c14, "getEdoc", {"docId": self.status_ids[H17]}, b"{}", http=403, expect=True)
        self.refused(c14, "getEdoc", {"docId": "0" * 32}, b"{}", http=404, expect=True)
        self.refused(c14, "updateStatus", {"docId": self.doc, "status": "archived"}, b"{}", http=400, expect=True)
        st, h, b = c14.raw("GET", "downloadEdoc", {"docId": "0" * 32}, timeout=15)
        self.envelope(st, h, b, http=404, ok=False)

    def test_13_non_ascii_mangled_by_an_explicit_port(self):
        """The SDK's HttpClient, for an endpoint with an explicit port, writes
        header values one byte per character ('?' beyond Latin-1) while the
        HMAC covers the UTF-8: refused, naming the cause."""
        self.need_doc()
        secret = self.sys[H14]["vxp_secret"]
        before = self.trace(self.doc)
        mangled = ltvxp.Client("127.0.0.1", self.d.port, H14, secret, explicit_port_mangling=True)
        r = self.refused(mangled, "updateStatus", {"docId": self.doc, "status": "done", "description": "Đã xử lý"},
                         b"{}", expect=True, http=401)
        self.assertIn("port", r["ErrorDesc"], r)
        self.assertEqual(self.trace(self.doc)["recipients"], before["recipients"], "a refused call changed the trace")
        # The same call from an endpoint without an explicit port (UTF-8 on the wire) passes.
        fine = ltvxp.Client("127.0.0.1", self.d.port, H14, secret)
        self.ok(fine, "updateStatus", {"docId": self.doc, "status": "processing", "description": "Đã xử lý"},
                b"{}", expect=True)

    def test_14_non_ascii_mangled_to_question_marks_names_the_cause(self):
        """'Đơn vị' has no Latin-1 character at all: mangled, it arrives as
        plain ASCII '??n v?' that no longer matches the HMAC. The refusal
        must still name the likely cause (issue 11: "a non-ASCII value
        mangled by the SDK's HTTP client gets a refusal that names the
        cause")."""
        self.need_doc()
        mangled = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"],
                               explicit_port_mangling=True)
        r = self.refused(mangled, "updateStatus",
                         {"docId": self.doc, "status": "processing", "description": "Đơn vị"},
                         b"{}", expect=True, http=401)
        self.assertIn("port", r["ErrorDesc"], f"the refusal does not name the cause: {r['ErrorDesc']!r}")

    def test_15_expect_100_continue_is_answered_at_once(self):
        self.need_doc()
        c17 = self.c[H17]
        for op, params in (("getEdoc", {"docId": self.doc, "filePath": "/tmp/e"}),
                           ("updateStatus", {"docId": self.doc, "status": "done"}),
                           ("countReceiveEdoc", {"servicetype": "eDoc", "messagetype": "edoc"})):
            t0 = time.monotonic()
            st, h, b = c17.raw("POST", op, params, b"{}", expect=True, timeout=5)
            elapsed = time.monotonic() - t0
            self.envelope(st, h, b, msg=op)
            self.assertTrue(c17.saw_continue, f"{op}: no 100 Continue before the reply")
            self.assertLess(elapsed, 1.0, f"{op} with Expect: 100-continue took {elapsed:.2f}s")
        # A refused call with Expect gets its refusal at once, without the body.
        bad = ltvxp.Client("127.0.0.1", self.d.port, H17, "vxp_wrong")
        t0 = time.monotonic()
        st, h, b = bad.raw("POST", "updateStatus", {"docId": self.doc, "status": "done"}, b"{}", expect=True,
                           timeout=5)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.envelope(st, h, b, http=401, ok=False)

    def test_16_large_package_that_ends_in_crlf_itself(self):
        """Only the SDK's own CRLF is stripped: a 1.6 MB package whose file
        ends in CRLF arrives in many pieces and is stored byte for byte,
        and getEdoc's streamed base64 decodes to it."""
        cg, c17 = self.c[G22], self.c[H17]
        pkg, _ = ltpkg.edoc(G22, [H17], number="301", attachments=[("lon.pdf", bytes(range(256)) * 4700)])
        pkg += b"\r\n"
        doc = self.send(cg, G22, pkg)["DocId"]
        t = self.trace(doc)
        self.assertEqual((t["size"], t["sha256"]), (len(pkg), hashlib.sha256(pkg).hexdigest()))
        r = self.ok(c17, "getEdoc", {"docId": doc, "filePath": "/tmp/big"}, b"{}", expect=True)
        self.assertEqual(base64.b64decode(r["data"], validate=True), pkg)
        st, h, b = c17.raw("GET", "downloadEdoc", {"docId": doc, "filePath": "/tmp/big"}, timeout=30)
        self.assertEqual((st, b), (200, pkg))
        self.ok(c17, "updateStatus", {"docId": doc, "status": "done"}, b"{}", expect=True)

    def test_17_send_edoc_without_hash_file_is_refused(self):
        """The SDK always signs hash-file (§3.7: systemid;servicetype;
        messagetype;hash-file;from;timestamp;Content-Type): a sendEdoc
        without it is refused before its body is read, and stores nothing."""
        n = len(self.v1_inbox(H14))
        pkg, document_id = ltpkg.edoc(G22, [H14], number="401")
        # A client object of its own: the shared one carries a leaked hash-file.
        fresh = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
        r = self.send(fresh, G22, pkg, http=400, ok=False, hash_file=ltvxp.OMIT, contains="needs hash-file")
        self.assertNotIn("hash-file", fresh.last_keys)
        self.assertIn("XroadVnpt-hash-file", r["ErrorDesc"], "the message says what to sign")
        self.send(fresh, G22, pkg, http=400, ok=False, hash_file="", contains="needs hash-file")
        self.send(fresh, G22, pkg, http=400, ok=False, hash_file="md5:abc", contains="not a SHA-256")
        # Refused at the head: with Expect the body is never sent.
        bare = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
        st, h, b = bare.raw("POST", "sendEdoc", {"servicetype": "eDoc", "messagetype": "edoc", "from": G22},
                            pkg + b"\r\n", "application/octet-stream", expect=True, timeout=5)
        self.envelope(st, h, b, http=400, ok=False, contains="hash-file")
        self.assertFalse(bare.saw_continue, "100 Continue before a refusal")
        self.assertEqual(len(self.v1_inbox(H14)), n, "a sendEdoc without hash-file stored something")
        self.assertNotIn(document_id, [x["document_id"] for x in self.v1_inbox(H14)])
        # With it, the same package goes through.
        self.send(fresh, G22, pkg)

    def test_18_to_with_an_element_that_is_not_a_code(self):
        """`to` [1] or [null]: 400 in the envelope naming the element (was 500)."""
        pkg, _ = ltpkg.edoc(G22, [H14], number="402")
        for to, words in (([1], "'to'[0] is a number"), ([None], "'to'[0] is null"),
                          ([H14, 7], "'to'[1] is a number"), ([H14, {"code": H14}], "'to'[1] is an object")):
            # An SDK object of its own each time: a bad `to` would leak.
            c = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
            self.send(c, G22, pkg, http=400, ok=False, to=to, contains=words)

    def test_19_hash_file_tells_whether_a_trailing_crlf_is_the_files(self):
        """A trailing CRLF is the SDK's when hash-file is the digest without
        it, and the file's own when hash-file covers it: the package is
        stored as the digest says, byte for byte."""
        cg, c14 = self.c[G22], self.c[H14]
        # The SDK: file + CRLF, hash of the file. Stored without the CRLF.
        pkg, _ = ltpkg.edoc(G22, [H14], number="403")
        doc = self.send(cg, G22, pkg)["DocId"]
        self.assertEqual(self.trace(doc)["sha256"], hashlib.sha256(pkg).hexdigest())
        # A client whose hash-file covers the CRLF it sent (the padded form,
        # as a non-SDK client writes it): the CRLF is part of the package.
        pkg2, _ = ltpkg.edoc(G22, [H14], number="404")
        doc2 = self.send(cg, G22, pkg2, hash_file=hashlib.sha256(pkg2 + b"\r\n").hexdigest())["DocId"]
        t = self.trace(doc2)
        self.assertEqual((t["size"], t["sha256"]), (len(pkg2) + 2, hashlib.sha256(pkg2 + b"\r\n").hexdigest()))
        st, h, b = c14.raw("GET", "downloadEdoc", {"docId": doc2}, timeout=15)
        self.assertEqual((st, b), (200, pkg2 + b"\r\n"))
        # A file that ends in CRLF itself, sent as it is (no SDK CRLF) with
        # its own digest: stored whole, not cut.
        pkg3, _ = ltpkg.edoc(G22, [H14], number="405")
        pkg3 += b"\r\n"
        doc3 = self.send(cg, G22, pkg3, crlf=False)["DocId"]
        t = self.trace(doc3)
        self.assertEqual((t["size"], t["sha256"]), (len(pkg3), hashlib.sha256(pkg3).hexdigest()))
        st, h, b = c14.raw("GET", "downloadEdoc", {"docId": doc3}, timeout=15)
        self.assertEqual((st, b), (200, pkg3))
        for d in (doc, doc2, doc3):
            self.ok(c14, "updateStatus", {"docId": d, "status": "done"}, b"{}", expect=True)

    def test_20_parameter_spelt_in_two_cases(self):
        """docId is the SDK's spelling, docid Bkav's: one value under both is
        fine; two values are refused (400, naming both), whatever the call,
        since their loose headers are one header to HTTP."""
        pkg, _ = ltpkg.edoc(G22, [H14], number="406")
        doc = self.send(self.c[G22], G22, pkg)["DocId"]
        both = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"])
        r = self.refused(both, "updateStatus", {"docId": doc, "docid": "0" * 32, "status": "done"}, b"{}",
                         http=400, expect=True, contains=["docId", "docid", "once"])
        self.assertIn(doc, r["ErrorDesc"])
        self.assertEqual(self.recipient(self.trace(doc), H14)["state"], "pending", "a refused call acked")
        self.refused(both, "getEdoc", {"docId": doc, "docid": "0" * 32}, b"{}", http=400, expect=True,
                     contains="docid")
        st, h, b = both.raw("GET", "downloadEdoc", {"docId": doc, "docid": "0" * 32}, timeout=15)
        self.envelope(st, h, b, http=400, ok=False, contains="docid")
        self.refused(both, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, http=400,
                     contains="sign each parameter once")
        # The same value in both spellings is one parameter.
        same = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"])
        self.ok(same, "updateStatus", {"docId": doc, "docid": doc, "status": "done"}, b"{}", expect=True)
        self.assertEqual(self.recipient(self.trace(doc), H14)["state"], "done")

    def test_21_http_layer_refusals_in_the_envelope(self):
        """What the HTTP server refuses before an operation runs comes in the
        envelope on /vxp/ paths too (VXP clients read nothing else), with
        no WWW-Authenticate; /v1 keeps its error object."""
        host = b"Host: 127.0.0.1\r\n"
        cases = [
            (b"PUT /vxp/sendEdoc HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 405, "not allowed"),
            (b"DELETE /vxp/getEdoc HTTP/1.1\r\n" + host + b"\r\n", 405, "not allowed"),
            (b"POST /vxp/getEdoc/extra HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 404, "no such"),
            (b"GET /vxp HTTP/1.1\r\n" + host + b"\r\n", 404, "no such"),
            (b"GET /vxp/ HTTP/1.1\r\n" + host + b"\r\n", 404, None),
            (b"POST /vxp/getAgenciesList HTTP/1.1\r\n\r\n", 400, "Host"),
            (b"POST /vxp/getAgenciesList HTTP/1.1\r\n" + host + b"Authorization: Bearer lt_wrong\r\n"
             b"Content-Length: 0\r\n\r\n", 401, None),
            (b"POST /vxp/getAgenciesList HTTP/1.1\r\n" + host + b"Authorization: Basic eDp5\r\n"
             b"Content-Length: 0\r\n\r\n", 401, "Bearer"),
            (b"POST /vxp/sendEdoc HTTP/1.1\r\n" + host + b"Content-Length: 999999999999\r\n\r\n", 413, None),
            (b"POST /vxp/sendEdoc HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 401, None),
            (b"POST /vxp//sendEdoc HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 401, None),
            (b"POST /vxp/sendEdoc HTTP/1.1\r\n" + host + b"Content-Length: 0x10\r\n\r\n", 400, "Content-Length"),
            (b"POST /vxp/sendEdoc HTTP/1.1\r\n" + host + b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n", 400, "NUL"),
            (b"POST /vxp/get%C3Edoc HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 400, "UTF-8"),
            # An operation name cut inside a character in the message: the
            # envelope still goes out, with '?' for the broken bytes.
            (b"POST /vxp/a" + b"%C4%91" * 40 + b" HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 404,
             "unknown VXP operation 'a" + "\u0111" * 29 + "?'"),
        ]
        for data, http, words in cases:
            self.raw_envelope(data, http, contains=words, msg=repr(data[:60]))
        r, _ = self.raw_envelope(b"POST /vxp/getAgenciesList HTTP/1.1\r\n" + host +
                                 b"Transfer-Encoding: gzip\r\n\r\n", 501, contains="Transfer-Encoding")
        # The methods a path does take are still listed.
        _, h = self.raw_envelope(b"PUT /vxp/getEdoc HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", 405)
        self.assertEqual(h.get("allow"), "POST, GET")
        # The native API is unchanged.
        out, _ = self.d.raw(b"PUT /v1/inbox HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n", read_timeout=10)
        st, h, b = ltd.parse_raw_reply(out)
        self.assertEqual(st, 405)
        self.assertIn("error", json.loads(b[:int(h["content-length"])]))
        # A body over 64 KiB on an operation other than sendEdoc: 413 at the
        # head when the length says so, and when it comes chunked.
        c17 = self.c[H17]
        big = b"{" + b" " * 70000 + b"}"
        r = self.refused(c17, "countReceiveEdoc", {"servicetype": "eDoc", "messagetype": "edoc"}, big, http=413,
                         expect=True, contains=["countReceiveEdoc", "65536"])
        self.assertFalse(c17.saw_continue, "413 only after the body was sent")
        st, h, b = c17.chunked("getAgenciesList", {}, [b" " * 8192] * 10)
        self.envelope(st, h, b, http=413, ok=False, contains="65536")

    def test_22_from_and_to_dates_are_the_clients_clock(self):
        """fromDate and toDate carry no zone: they are the client's wall clock,
        Viet Nam's (vxp_utc_offset, UTC+7), whatever the hub's own zone."""
        pkg, _ = ltpkg.edoc(G22, [H14], number="122", notation="VPCP-TH", subject="Lọc theo ngày")
        doc = self.send(self.c[G22], G22, pkg, to=[H14])["DocId"]
        fmt = "%d/%m/%Y %H:%M:%S"
        now = ltvxp.vn_now()
        before, after = (now - datetime.timedelta(minutes=2)).strftime(fmt), (now + datetime.timedelta(minutes=2)).strftime(fmt)

        def listed(**dates):
            params = {"servicetype": "eDoc", "messagetype": "edoc", **dates}
            r = self.ok(self.c[H14], "getReceivedEdocList", params)
            return doc in [x["docId"] for x in r["data"]]

        self.assertTrue(listed(fromDate=before), f"received after {before} (UTC+7)")
        self.assertTrue(listed(fromDate=before, toDate=after))
        self.assertFalse(listed(fromDate=after), f"not received after {after} (UTC+7)")
        self.assertFalse(listed(toDate=before), f"not received before {before} (UTC+7)")

    def test_23_endpoint_with_a_trailing_slash(self):
        """An SDK configured with the endpoint ".../vxp/" calls /vxp//op: it
        is the operation op, for every call; only that one empty segment
        is dropped."""
        c = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"], base="/vxp/")
        r = self.ok(c, "getAgenciesList")
        self.assertIn(H14, [x["code"] for x in r["data"]])
        self.assertIsInstance(self.count(c, "countReceiveEdoc"), int)
        pkg, _ = ltpkg.edoc(H14, [G22], number="123", subject="Qua điểm cuối có dấu gạch chéo")
        doc = self.send(c, H14, pkg)["DocId"]
        st, _, data = c.download_edoc(doc)
        self.assertEqual((st, data), (200, pkg))
        self.send(c, H14, pkg, http=400, ok=False, hash_file=ltvxp.sdk_hash_file(b"x"), contains="hash-file")
        host = b"Host: 127.0.0.1\r\n"
        for target in (b"/vxp///getAgenciesList", b"/vxp//", b"/vxp//getAgenciesList/", b"//vxp/getAgenciesList"):
            out, _ = self.d.raw(b"POST " + target + b" HTTP/1.1\r\n" + host + b"Content-Length: 0\r\n\r\n",
                                read_timeout=10)
            self.assertEqual(ltd.parse_raw_reply(out)[0], 404, f"{target!r}: {out[:300]!r}")
        r = self.d.get("/v1//me", token=self.token(H14))
        self.assertStatus(r, 404)

    def test_24_dates_out_of_range_are_refused(self):
        """fromDate and toDate are range-checked: a year of -2^31 once
        overflowed a signed int (the ASan daemon died); now it, and every
        other date that is not dd/MM/yyyy HH:mm:ss in range, is a 400 in
        the envelope naming the parameter, and the daemon goes on."""
        c14 = self.c[H14]
        for key, value in (("fromDate", "1/1/-2147483648"), ("toDate", "1/1/-2147483648"),
                           ("fromDate", "31/12/2147483647 23:59:59"), ("fromDate", "1/1/99999999999999999999"),
                           ("toDate", "32/01/2026 00:00:00"), ("fromDate", "29/02/2026"),
                           ("fromDate", "01/01/2026 24:00:00"), ("toDate", "yesterday")):
            params = {"servicetype": "eDoc", "messagetype": "edoc", key: value}
            other = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"], leak=False)
            self.refused(other, "getReceivedEdocList", params, http=400, contains=[key, value[:20]])
        self.assertTrue(self.d.alive())
        self.assertFalse(self.d.sanitizer_lines())
        # In range, and at the ends of the range: answered.
        for value in ("01/01/0001 00:00:00", "31/12/9999 23:59:59", "1/1/2026"):
            other = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"], leak=False)
            self.ok(other, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc", "fromDate": value})
        self.assertEqual(self.count(c14, "countReceiveEdoc"), self.count(c14, "countReceiveEdoc"))

    def test_zz_access_log_and_clean_stop(self):
        lines = [json.loads(x) for x in self.d.access_lines() if x.strip()]
        vxp = [x for x in lines if x.get("uri", "").startswith("/vxp/")]
        self.assertGreater(len(vxp), 50)
        # Unrouted: test_21's refusals before a route is found.
        self.assertTrue(all(x.get("route") in ("/vxp/{operation}", None) for x in vxp))
        self.assertEqual({x["status"] for x in vxp if x.get("route") is None}, {400, 404, 405, 501})
        self.assertTrue(any(x["role"] == "system" for x in vxp))
        ltd.assert_clean_stop(self, self.d)


class VxpLimits(VxpTest):
    """A daemon with max_package_bytes=8192: packages over it, announced or
    chunked, ending or endless, get 413 in the envelope stating 8192; and
    stored text that cannot become JSON gets an honest 500."""

    LIMIT = 8192

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_vxp_limits_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add(n, c) for c, n in ((G22, "QLVB Văn phòng Chính phủ"),
                                                                (H14, "QLVB Cao Bằng"))}
            cls.d = ltd.Daemon(cls.reg, MAX_PACKAGE_BYTES=cls.LIMIT).start()
        except BaseException:
            cls.tearDownClass()
            raise


    def client(self, code=G22):
        return ltvxp.Client("127.0.0.1", self.d.port, code, self.sys[code]["vxp_secret"])

    def send_params(self, pkg):
        return {"servicetype": "eDoc", "messagetype": "edoc", "hash-file": ltvxp.sdk_hash_file(pkg), "from": G22}

    def big_package(self, number, size):
        pkg, _ = ltpkg.edoc(G22, [H14], number=number, attachments=[("lon.pdf", b"%PDF" * (size // 3))])
        self.assertGreater(len(pkg), size)
        return pkg

    def test_limit_stated_as_configured(self):
        """The 413 states max_package_bytes, not the CRLF allowance on top."""
        pkg = self.big_package("1", self.LIMIT)
        st, h, b = self.client().raw("POST", "sendEdoc", self.send_params(pkg), pkg + b"\r\n",
                                     "application/octet-stream", expect=True, timeout=15)
        r = self.envelope(st, h, b, http=413, ok=False, contains=[str(len(pkg) + 2), str(self.LIMIT)])
        self.assertNotIn(str(self.LIMIT + 2), r["ErrorDesc"])
        self.assertSdkSeesRefusal(b)
        # Chunked, just over: read to its end, then 413.
        st, h, b = self.client().chunked("sendEdoc", self.send_params(pkg), [pkg[i:i + 4096] for i in
                                                                              range(0, len(pkg), 4096)],
                                         "application/octet-stream")
        r = self.envelope(st, h, b, http=413, ok=False, contains=["over", str(self.LIMIT)])
        self.assertNotIn(str(self.LIMIT + 2), r["ErrorDesc"])
        self.assertSdkSeesRefusal(b)
        # A package of exactly the limit, with the SDK's CRLF, is taken.
        pkg, _ = ltpkg.edoc(G22, [H14], number="2")
        pad = self.LIMIT - len(pkg)
        pkg = pkg.replace(b"</edXML>", b"<!--" + b"x" * (pad - 7) + b"-->" + b"</edXML>")
        self.assertEqual(len(pkg), self.LIMIT)
        self.send(self.client(), G22, pkg)

    def test_endless_chunked_body_gets_413_before_the_close(self):
        """A chunked body that keeps coming far past the limit: the 413
        (envelope on /vxp, JSON on /v1) arrives before the connection
        closes, instead of a bare close."""
        pkg = self.big_package("3", self.LIMIT)
        chunks = [b"<!--" + b"x" * 65536 + b"-->"] * 64  # 4 MiB
        for params in (self.send_params(pkg), {}):  # sendEdoc, and a small operation
            op = "sendEdoc" if params else "countReceiveEdoc"
            t0 = time.monotonic()
            st, h, b = self.client().chunked(op, params, chunks, "application/octet-stream")
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(h.get("connection"), "close", f"{op}: {h}")
            self.envelope(st, h, b, http=413, ok=False, contains="over", msg=op)
            if op == "sendEdoc":
                self.assertSdkSeesRefusal(b, op)
        # The native API answers in its own error object.
        head = (b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                self.sys[G22]["token"].encode() + b"\r\nContent-Type: application/xml\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        out, how = self.d.raw(head + body, read_timeout=10)
        st, h, b = ltd.parse_raw_reply(out)
        self.assertEqual(st, 413, f"{out[:300]!r} ({how})")
        self.assertEqual(json.loads(b[:int(h["content-length"])])["error"]["code"], "too_large")
        # Nothing was stored, and the daemon still answers.
        self.assertEqual(self.count(self.client(H14), "countReceiveEdoc"), 0)

    @ltd.sqlite_only  # PostgreSQL refuses text that is not UTF-8 at the door
    def test_stored_text_that_is_not_utf8_fails_honestly(self):
        """A damaged stored field (bytes that are not UTF-8) makes the row
        unbuildable: the list is a 500 FAIL naming the row, never "success"
        (another fix keeps such bytes out of the store)."""
        pkg, _ = ltpkg.edoc(G22, [H14], number="4", subject="Văn bản sẽ hỏng")
        doc = self.send(self.client(), G22, pkg)["DocId"]
        db = sqlite3.connect(self.reg.db, timeout=10)
        try:
            db.execute("UPDATE xdocs SET subject = CAST(X'56C3FF6E' AS TEXT) WHERE id = ?", (doc,))
            db.execute("UPDATE units SET email = CAST(X'6D61FF6C' AS TEXT) WHERE code = ?", (H14,))
            db.commit()
            c = self.client()
            st, h, b = c.raw("POST", "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, timeout=15)
            self.server_failure(st, h, b, contains=doc, msg="getSentEdocList")
            for op in ("getAgenciesList", "getAgenciesListQD20", "getSynchronizeUnit"):
                st, h, b = c.raw("POST", op, {}, timeout=15)
                self.server_failure(st, h, b, contains=H14, msg=op)
        finally:
            db.execute("UPDATE xdocs SET subject = 'Văn bản' WHERE id = ?", (doc,))
            db.execute("UPDATE units SET email = '' WHERE code = ?", (H14,))
            db.commit()
            db.close()
        self.ok(self.client(), "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc"})


class VxpSentBound(VxpTest):
    """getSentEdocList carries no dates or pages in the SDK and is called in
    a loop, so the hub bounds it: the caller's latest vxp_sent_max
    documents of the last vxp_sent_days, oldest first."""

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_vxp_sent_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add(n, c) for c, n in ((G22, "QLVB Văn phòng Chính phủ"),
                                                                (H14, "QLVB Cao Bằng"))}
            cls.d = ltd.Daemon(cls.reg, VXP_SENT_MAX=2).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def test_latest_documents_only(self):
        c = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
        ids = []
        for n in range(3):
            pkg, _ = ltpkg.edoc(G22, [H14], number=str(700 + n), subject=f"Gửi thứ {n}")
            ids.append(self.send(c, G22, pkg)["DocId"])
            time.sleep(1.1)  # `received` has whole seconds: one apart, so "latest" is plain
        data = self.ok(c, "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc"})["data"]
        self.assertEqual([row["senderDocId"] for row in data], ids[1:], data)
        # a docId of an older document still finds it
        one = self.ok(c, "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc", "docId": ids[0]})
        self.assertEqual([row["senderDocId"] for row in one["data"]], ids[:1])


class VxpClockSkew(VxpTest):
    """vxp_max_clock_skew=60: a timestamp further than a minute from the
    hub's clock is refused; a fresh one passes."""

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_vxp_skew_")
        cls.d = None
        try:
            cls.secret = cls.reg.system_add("QLVB Cao Bằng", H14)["vxp_secret"]
            cls.d = ltd.Daemon(cls.reg, VXP_MAX_CLOCK_SKEW=60).start()
        except BaseException:
            cls.tearDownClass()
            raise


    def client(self, delta=None, timestamp=None):
        ts = timestamp or ltvxp.vn_now() + (delta or datetime.timedelta())
        return ltvxp.Client("127.0.0.1", self.d.port, H14, self.secret, timestamp=ts)

    def test_fresh_timestamp_accepted(self):
        self.assertIsInstance(self.items(self.client()), list)
        self.assertIsInstance(self.items(self.client(datetime.timedelta(seconds=-20))), list)

    def test_stale_timestamp_refused(self):
        params = {"servicetype": "eDoc", "messagetype": "edoc"}
        c = self.client(timestamp=STALE)
        self.refused(c, "getReceivedEdocList", params, http=401, contains=["vxp_max_clock_skew", STALE])
        for delta in (datetime.timedelta(hours=-3), datetime.timedelta(minutes=-5), datetime.timedelta(hours=2)):
            c = self.client(delta)
            r = self.refused(c, "getReceivedEdocList", params, http=401, contains="vxp_max_clock_skew",
                             msg=f"timestamp {c.timestamp}")
            self.assertIn(c.timestamp, r["ErrorDesc"])
        # Refused before anything happens, with Expect too.
        c = self.client(datetime.timedelta(hours=-3))
        t0 = time.monotonic()
        st, h, b = c.raw("POST", "updateStatus", {"docId": "0" * 32, "status": "done"}, b"{}", expect=True, timeout=5)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.envelope(st, h, b, http=401, ok=False, contains="vxp_max_clock_skew")

    def test_unreadable_timestamp_refused(self):
        c = self.client(timestamp="yesterday")
        self.refused(c, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, http=401,
                     contains="timestamp")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
