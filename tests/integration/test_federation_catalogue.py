#!/usr/bin/env python3
"""Integration test: the catalogue across hubs (issue 20), with real daemons
on loopback: a national hub N and two provinces, P17 (local_scope H17) and
P14 (local_scope H14), each a lienthongd on its own registry.

- A unit issued on P17 reaches N's catalogue within publish_seconds (the
  publication worker posts it to N's POST /v1/changes with a manager token
  of N scoped to H17), then P14's mirror (snapshot, then N's signed change
  feed), where P14 looks it up and resolves it; P17's compliance report
  judges the 7-day upload rule on the time N accepted it.
- With N killed, P14 keeps answering from its last good copy, and its
  /healthz says the mirror is stale past catalogue_max_age and why N is
  unreachable; the metric lienthong_catalogue_mirror_age_seconds grows.
- Between N and a mirror, a proxy alters a feed page, strips its signature
  or serves another registry's signed page: each is refused, the mirror
  keeps its last good copy and its health says why; a good page afterwards
  is taken again.
- POST /v1/changes refuses whoever's scope does not cover every unit.

Run by ctest as `python3 FILE`; standard library only. Ends with a line
"N passed, M failed".
"""

import base64
import datetime
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402

H17, H14 = ltd.DN, ltd.CB
PUBLISH_SECONDS = 2
MAX_AGE = 10
DECISION = {"number": "77/QĐ-UBND", "date": "2026-11-02", "issuer": "Ủy ban nhân dân thành phố Đà Nẵng"}


def wait_for(what, fn, timeout, step=0.2):
    """fn() until it returns something true; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout}s (last: {last!r})")


def fixed_port_start(d, port, timeout=15):
    """Starts d on a given port: a restarted N keeps the address the
    provinces call."""
    saved = ltd.free_port
    ltd.free_port = lambda: port
    try:
        return d.start(timeout=timeout)
    finally:
        ltd.free_port = saved


def stop_clean(*daemons):
    """SIGTERM each: every one must exit 0 without a sanitizer report."""
    bad = []
    for d in daemons:
        rc = d.stop()
        if rc != 0 or d.sanitizer_lines():
            bad.append(f"daemon #{d.n}: exit {rc}\n" + "\n".join(d.sanitizer_lines()[:20]))
    if bad:
        raise AssertionError("\n".join(bad))


def subtree_system(reg, name, root):
    """A connected system bound to root's whole subtree: {id, token, vxp_secret}."""
    return json.loads(reg.check("system", "add", "--name", name, "--subtree", root, "--json"))


def key_of(reg):
    """The registry's catalogue public key, as `lienthong key show` prints it."""
    return reg.check("key", "show").strip()


class Proxy:
    """An HTTP server between a mirror and its upstream that passes replies
    on, or (mode) alters a change-feed page's body, strips its signature,
    or serves another registry's reply instead."""

    def __init__(self, upstream, other):
        self.upstream, self.other, self.mode = upstream, other, "pass"
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                target = proxy.other if proxy.mode == "other" else proxy.upstream
                try:
                    c = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
                    # The other registry does not know the mirror's token; its feed is public.
                    auth = {} if target is proxy.other else {"Authorization": self.headers.get("Authorization", "")}
                    c.request("GET", self.path, headers=auth)
                    r = c.getresponse()
                    body, sig, status = r.read(), r.getheader("X-Lienthong-Signature"), r.status
                    c.close()
                except OSError:
                    self.send_error(502)
                    return
                if self.path.startswith("/v1/changes") and status == 200:
                    if proxy.mode == "alter":
                        body = body.replace("Phường".encode(), "Phuong".encode()).replace(b'"last_seq":',
                                                                                           b'"last_seq": ')
                    elif proxy.mode == "strip":
                        sig = None
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if sig:
                    self.send_header("X-Lienthong-Signature", sig)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CatalogueAcrossHubs(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.regs, cls.daemons = [], []
        cls.n_reg = cls.registry("lt_fed_n_")
        cls.n_pub = key_of(cls.n_reg)
        # The provinces are N's connected systems bound to their subtrees:
        # their tokens read N's catalogue, and P17 publishes with its own.
        cls.p17_sys = subtree_system(cls.n_reg, "Trục tỉnh Đà Nẵng", H17)
        cls.p14_sys = subtree_system(cls.n_reg, "Trục tỉnh Cao Bằng", H14)
        cls.plain_sys = cls.n_reg.system_add("QLVB Sở Nội vụ Đà Nẵng", "000.00.01.H17")
        cls.n_pub17 = cls.n_reg.token("manager", H17, "publication H17")
        cls.n_pub14 = cls.n_reg.token("manager", H14, "publication H14")
        cls.n_admin = cls.n_reg.token("admin")
        cls.n_port = ltd.free_port()
        cls.n = fixed_port_start(ltd.Daemon(cls.n_reg), cls.n_port)
        cls.daemons.append(cls.n)
        cls.p17_reg = cls.registry("lt_fed_p17_")
        cls.p17_admin = cls.p17_reg.token("admin")
        cls.p17 = cls.daemon(cls.p17_reg, LOCAL_SCOPE=H17, UPSTREAM_URL=cls.n.url,
                             UPSTREAM_TOKEN=cls.p17_sys["token"],
                             UPSTREAM_PUBLIC_KEY=cls.n_pub, PUBLISH_SECONDS=PUBLISH_SECONDS,
                             CATALOGUE_POLL_SECONDS=1, RELAY_BACKOFF_MAX=1, UPSTREAM_POLL_WAIT=1)
        cls.p14_reg = cls.registry("lt_fed_p14_")
        cls.cb = cls.p14_reg.system_add("QLVB Sở Tư pháp Cao Bằng", ltd.CB_TU_PHAP)["token"]
        cls.p14 = cls.daemon(cls.p14_reg, LOCAL_SCOPE=H14, UPSTREAM_URL=cls.n.url,
                             UPSTREAM_TOKEN=cls.p14_sys["token"], UPSTREAM_PUBLISH_TOKEN=cls.n_pub14,
                             UPSTREAM_PUBLIC_KEY=cls.n_pub, PUBLISH_SECONDS=PUBLISH_SECONDS,
                             CATALOGUE_POLL_SECONDS=1, CATALOGUE_MAX_AGE=MAX_AGE, RELAY_BACKOFF_MAX=1,
                             UPSTREAM_POLL_WAIT=1)

    @classmethod
    def registry(cls, prefix):
        reg = ltd.Registry(prefix=prefix)
        cls.regs.append(reg)
        return reg

    @classmethod
    def daemon(cls, reg, **env):
        d = ltd.Daemon(reg, **env).start()
        cls.daemons.append(d)
        return d

    @classmethod
    def tearDownClass(cls):
        try:
            stop_clean(*cls.daemons)
        finally:
            for r in cls.regs:
                r.close()

    def health(self, d):
        r = d.get("/healthz")
        self.assertStatus(r, 200)
        return r.json()

    def issue_on_p17(self, name):
        r = self.p17.post("/v1/units", {"parent": H17, "name": name, "decision": DECISION,
                                        "effective": "2026-11-20"}, token=self.p17_admin)
        self.assertStatus(r, 201)
        return r.json()["code"]

    def test_1_unit_travels_p17_to_n_to_p14(self):
        # The mirrors start from N's snapshot.
        wait_for("P14's mirror loaded", lambda: self.health(self.p14)["catalogue_mirror"]["status"] == "ok", 20)
        code = self.issue_on_p17("Phường Hòa Xuân Mới")
        t0 = time.monotonic()
        at_n = wait_for(f"{code} in N's catalogue", lambda: self.n.get(f"/v1/units/{code}").status == 200 and
                        self.n.get(f"/v1/units/{code}").json(), PUBLISH_SECONDS + 3)
        self.assertLessEqual(time.monotonic() - t0, PUBLISH_SECONDS + 3)
        self.assertEqual(at_n["name"], "Phường Hòa Xuân Mới")
        self.assertEqual(at_n["parent"], H17)
        self.assertEqual(at_n["decision"]["number"], DECISION["number"])
        # N recorded it as its own change, by the publishing token.
        hist = self.n.get(f"/v1/units/{code}/history").json()
        self.assertEqual(len(hist["items"]), 1, hist)
        self.assertEqual(hist["items"][0]["kind"], "issue")
        # Then P14's mirror, which answers look-ups and resolves it.
        at_p14 = wait_for(f"{code} in P14's mirror", lambda: self.p14.get(f"/v1/units/{code}").status == 200 and
                          self.p14.get(f"/v1/units/{code}").json(), 10)
        self.assertEqual(at_p14["name"], "Phường Hòa Xuân Mới")
        r = self.p14.get(f"/v1/units/{code}/resolve")
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["current"], [code])
        h = self.health(self.p14)["catalogue_mirror"]
        self.assertTrue(h["verified"])
        self.assertIsNone(h["refused"])
        self.assertGreater(h["units"], 0)
        # P17's publication cursor moved; its report judges on N's acceptance.
        pub = self.health(self.p17)["catalogue_publication"]
        self.assertIsNone(pub["failing"])
        self.assertGreater(pub["published_seq"], 0)
        type(self).code = code

    def send_from_p14(self, code, number):
        data, _ = ltpkg.edoc(ltd.CB_TU_PHAP, [code], number=number, subject="Gửi đơn vị mới của Đà Nẵng")
        r = ltx.send(self.p14, self.cb, data)
        self.assertStatus(r, 201)
        return data, r.json()

    def test_1b_p14_routes_to_the_new_unit(self):
        code = self.code
        # The new unit gets its own system on P17; P14 sends to it: relayed
        # upstream (outside its scope), N hands it to P17, P17 to the system.
        sys17 = self.p17_reg.system_add("QLVB Phường Hòa Xuân", code)["token"]
        data, sent = self.send_from_p14(code, "201")
        self.assertEqual([(x["code"], x["state"]) for x in sent["recipients"]], [(code, "relay")], sent)
        got = wait_for("the document on P17", lambda: ltx.inbox_all(self.p17, sys17), 30)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(self.p17.get(f"/v1/documents/{got[0]['id']}", token=sys17).body, data)
        type(self).sys17 = sys17

    def test_2_rename_follows_and_local_scope_is_never_overwritten(self):
        code = self.code
        r = self.p17.patch(f"/v1/units/{code}", {"name": "Phường Hòa Xuân", "decision": DECISION,
                                                 "effective": "2026-11-21"}, token=self.p17_admin)
        self.assertStatus(r, 200)
        wait_for("the rename in P14's mirror",
                 lambda: self.p14.get(f"/v1/units/{code}").json().get("name") == "Phường Hòa Xuân", 10)
        # N's H14 subtree is mirrored by P14 only outside its scope: P14's own
        # units answer from P14's registry even when N holds them too.
        r = self.n.patch(f"/v1/units/{ltd.CB_TU_PHAP}", {"email": "n-side@example.vn"}, token=self.n_admin)
        self.assertStatus(r, 200)
        seq = self.n.last_seq()
        wait_for("P14's mirror at N's seq", lambda: self.health(self.p14)["catalogue_mirror"]["last_seq"] >= seq, 10)
        self.assertNotEqual(self.p14.get(f"/v1/units/{ltd.CB_TU_PHAP}").json()["email"], "n-side@example.vn")

    def test_3_compliance_judged_on_upstream_acceptance(self):
        late = {"number": "5/QĐ-UBND", "date": "2026-11-01", "issuer": "Ủy ban nhân dân thành phố Đà Nẵng"}
        r = self.p17.post("/v1/units", {"parent": H17, "name": "Ban Quản lý dự án", "decision": late,
                                        "effective": "2026-11-01"}, token=self.p17_admin)
        self.assertStatus(r, 201)
        code = r.json()["code"]
        wait_for(f"{code} in N", lambda: self.n.get(f"/v1/units/{code}").status == 200, PUBLISH_SECONDS + 3)

        def finding():
            items = self.p17.get("/v1/reports/compliance?level1=000.00.00.H17").json()["items"]
            f = [i for i in items if i.get("kind") == "late_upload" and code in i.get("codes", [])]
            return f and f[0].get("accepted_upstream") and f[0]
        f = wait_for("the late upload with N's acceptance", finding, 5)
        self.assertTrue(f["accepted_upstream"].endswith("Z"), f)
        # Days from the decision to N's acceptance (the clock's date, not the
        # test's LIENTHONG_TODAY: the upstream stamps when it took it).
        accepted = datetime.date.fromisoformat(f["accepted_upstream"][:10])
        self.assertEqual(f["days"], (accepted - datetime.date(2026, 11, 1)).days)
        self.assertEqual(f["limit_days"], 7)

    def test_4_publication_refusals(self):
        item = {"seq": 1, "kind": "issue", "code": "000.00.90.H17", "at": "2026-11-23T00:00:00Z",
                "effective": "2026-11-23", "change_id": 1,
                "unit": {"code": "000.00.90.H17", "name": "Đơn vị thử", "level": 2, "parent": H17,
                         "status": "active", "address": "", "email": "", "phone": "", "fax": "", "website": "",
                         "decision": DECISION, "valid_from": "2026-11-23", "version": 1}}
        body = {"items": [item]}
        self.assertError(self.n.post("/v1/changes", body), 401)
        reader = self.n_reg.token("reader")
        self.assertError(self.n.post("/v1/changes", body, token=reader), 403)
        # Another province, as its subtree system or its manager; a system
        # bound to one unit, not a subtree; a requester.
        for tok in (self.p14_sys["token"], self.n_pub14, self.plain_sys["token"],
                    self.n_reg.token("requester", H17)):
            e = self.assertError(self.n.post("/v1/changes", body, token=tok), 403)
            self.assertIn("000.00.90.H17", e["message"])
        # P17's subtree system may not rename its own root: that is N's.
        root = self.n.get(f"/v1/units/{H17}").json()
        ritem = {"seq": 1, "kind": "rename", "code": H17, "at": "2026-11-23T00:00:00Z",
                 "effective": "2026-11-23", "change_id": 2, "unit": dict(root, name="Thành phố Đà Nẵng mới")}
        self.assertError(self.n.post("/v1/changes", {"items": [ritem]}, token=self.p17_sys["token"]), 403)
        self.assertEqual(self.n.get(f"/v1/units/{H17}").json()["name"], root["name"])
        self.assertEqual(self.n.get("/v1/units/000.00.90.H17").status, 404)
        # A batch reaching one unit outside the scope is refused whole.
        other = json.loads(json.dumps(item))
        other["code"] = other["unit"]["code"] = "000.00.90.H14"
        other["unit"]["parent"] = H14
        self.assertError(self.n.post("/v1/changes", {"items": [item, other]}, token=self.n_pub17), 403)
        self.assertEqual(self.n.get("/v1/units/000.00.90.H17").status, 404)
        # Malformed: not an array, an unknown field, a unit not matching its code, a bad name.
        self.assertError(self.n.post("/v1/changes", {"items": {}}, token=self.n_pub17), 400)
        self.assertError(self.n.post("/v1/changes", {"items": [], "x": 1}, token=self.n_pub17), 400)
        bad = json.loads(json.dumps(item))
        bad["code"] = "000.00.91.H17"
        self.assertError(self.n.post("/v1/changes", {"items": [bad]}, token=self.n_pub17), 400)
        bad = json.loads(json.dumps(item))
        bad["unit"]["name"] = ""
        self.assertError(self.n.post("/v1/changes", {"items": [bad]}, token=self.n_pub17), 400)
        # A parent N does not hold.
        orphan = json.loads(json.dumps(item))
        orphan["code"] = orphan["unit"]["code"] = "000.01.90.H17"
        orphan["unit"]["parent"], orphan["unit"]["level"] = "000.00.90.H17", 3
        self.assertError(self.n.post("/v1/changes", {"items": [orphan]}, token=self.n_pub17), 422)
        # The right scope: taken once; the same again changes nothing (by
        # the subtree system or the manager alike).
        r = self.n.post("/v1/changes", body, token=self.p17_sys["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["accepted"], 1)
        r = self.n.post("/v1/changes", body, token=self.n_pub17)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["accepted"], 0)
        # A closed code never reopens.
        closed = json.loads(json.dumps(item))
        closed["kind"], closed["unit"]["status"], closed["unit"]["valid_to"] = "dissolve", "closed", "2026-11-23"
        self.assertStatus(self.n.post("/v1/changes", {"items": [closed]}, token=self.n_pub17), 200)
        self.assertError(self.n.post("/v1/changes", body, token=self.n_pub17), 409)

    def test_5_upstream_down_last_copy_and_stale(self):
        code = self.code
        self.n.kill()
        try:
            r = self.p14.get(f"/v1/units/{code}")
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["name"], "Phường Hòa Xuân")
            self.assertEqual(self.p14.get(f"/v1/units/{code}/resolve").json()["current"], [code])
            h = wait_for("P14's health says stale",
                         lambda: (lambda m: m["status"] == "stale" and m)(self.health(self.p14)["catalogue_mirror"]),
                         MAX_AGE + 10, step=0.5)
            self.assertTrue(h["stale"])
            self.assertGreater(h["age_seconds"], MAX_AGE)
            self.assertTrue(h["unreachable"], h)
            metrics = self.p14.get("/metrics").text()
            line = [x for x in metrics.splitlines() if x.startswith("lienthong_catalogue_mirror_age_seconds ")]
            self.assertEqual(len(line), 1, metrics[-800:])
            self.assertGreater(int(line[0].split()[1]), MAX_AGE)
            # Still served from the last copy, and documents to it are
            # accepted and wait for N.
            self.assertStatus(self.p14.get(f"/v1/units/{code}"), 200)
            data, sent = self.send_from_p14(code, "202")
            self.assertEqual([x["state"] for x in sent["recipients"]], ["relay"], sent)
        finally:
            fixed_port_start(self.n, self.n_port)
        got = wait_for("the document sent while N was down, on P17",
                       lambda: [i for i in ltx.inbox_all(self.p17, self.sys17)
                                if self.p17.get(f"/v1/documents/{i['id']}", token=self.sys17).body == data], 60)
        self.assertEqual(len(got), 1)
        wait_for("P14's mirror fresh again", lambda: self.health(self.p14)["catalogue_mirror"]["status"] == "ok", 20)


class DmdcPublication(ltd.DaemonTest):
    """Publication to a dmdc-compatible catalogue: the issued unit is posted
    as a record of its level's category, with the province's manager
    token there."""

    @classmethod
    def setUpClass(cls):
        cls.up_reg = ltd.Registry(prefix="lt_fed_dmdc_up_")
        cls.pub17 = cls.up_reg.token("manager", H17, "publication H17")
        cls.up = ltd.Daemon(cls.up_reg).start()
        cls.reg = ltd.Registry(prefix="lt_fed_dmdc_p17_")
        cls.admin = cls.reg.token("admin")
        cls.d = ltd.Daemon(cls.reg, LOCAL_SCOPE=H17, CATALOGUE_PUBLISH_URL=cls.up.url,
                           CATALOGUE_PUBLISH_PROTOCOL="dmdc", UPSTREAM_PUBLISH_TOKEN=cls.pub17,
                           PUBLISH_SECONDS=PUBLISH_SECONDS).start()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            try:
                stop_clean(cls.up)
            finally:
                cls.up_reg.close()

    def test_issued_unit_reaches_the_dmdc_catalogue(self):
        r = self.d.post("/v1/units", {"parent": H17, "name": "Trung tâm Dữ liệu", "decision": DECISION,
                                      "effective": "2026-11-20"}, token=self.admin)
        self.assertStatus(r, 201)
        code = r.json()["code"]
        u = wait_for(f"{code} in the dmdc catalogue", lambda: self.up.get(f"/v1/units/{code}").status == 200 and
                     self.up.get(f"/v1/units/{code}").json(), PUBLISH_SECONDS + 3)
        self.assertEqual(u["name"], "Trung tâm Dữ liệu")
        self.assertEqual(u["decision"]["number"], DECISION["number"])
        pub = self.d.get("/healthz").json()["catalogue_publication"]
        self.assertIsNone(pub["failing"])
        self.assertNotIn("catalogue_mirror", self.d.get("/healthz").json())


class VxpMirror(ltd.DaemonTest):
    """A province connected to a VXP upstream mirrors its getAgenciesList,
    signed as the SDK signs it, each poll replacing the copy."""

    @classmethod
    def setUpClass(cls):
        cls.up_reg = ltd.Registry(prefix="lt_fed_vxp_up_")
        p14 = subtree_system(cls.up_reg, "Trục tỉnh Cao Bằng", H14)
        cls.up_admin = cls.up_reg.token("admin")
        cls.up_port = ltd.free_port()
        cls.up = fixed_port_start(ltd.Daemon(cls.up_reg), cls.up_port)
        cls.reg = ltd.Registry(prefix="lt_fed_vxp_p14_")
        cls.d = ltd.Daemon(cls.reg, LOCAL_SCOPE=H14, UPSTREAM_URL=cls.up.url + "/vxp", UPSTREAM_PROTOCOL="vxp",
                           UPSTREAM_SYSTEM_ID=H14, UPSTREAM_SECRET=p14["vxp_secret"], CATALOGUE_POLL_SECONDS=1,
                           CATALOGUE_MAX_AGE=MAX_AGE, RELAY_BACKOFF_MAX=1, UPSTREAM_POLL_WAIT=1).start()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            try:
                stop_clean(cls.up)
            finally:
                cls.up_reg.close()

    def mirror(self):
        r = self.d.get("/healthz")
        self.assertStatus(r, 200)
        return r.json()["catalogue_mirror"]

    def test_agencies_mirrored_and_kept_when_down(self):
        m = wait_for("the agency list loaded", lambda: (lambda m: m["status"] == "ok" and m)(self.mirror()), 20)
        self.assertFalse(m["verified"])
        self.assertGreater(m["units"], 10)
        r = self.up.post("/v1/units", {"parent": H17, "name": "Sở Văn hóa và Thể thao", "decision": DECISION,
                                       "effective": "2026-11-20"}, token=self.up_admin)
        self.assertStatus(r, 201)
        code = r.json()["code"]
        u = wait_for(f"{code} in the mirror", lambda: self.d.get(f"/v1/units/{code}").status == 200 and
                     self.d.get(f"/v1/units/{code}").json(), 10)
        self.assertEqual(u["name"], "Sở Văn hóa và Thể thao")
        self.assertEqual(u["parent"], H17)
        # Its own units are its own.
        self.assertEqual(self.d.get(f"/v1/units/{ltd.CB_TU_PHAP}").json()["name"],
                         self.reg.export()[ltd.CB_TU_PHAP]["name"])
        self.up.kill()
        try:
            m = wait_for("stale", lambda: (lambda m: m["status"] == "stale" and m)(self.mirror()), MAX_AGE + 10,
                         step=0.5)
            self.assertTrue(m["unreachable"])
            self.assertStatus(self.d.get(f"/v1/units/{code}"), 200)
        finally:
            fixed_port_start(self.up, self.up_port)
        wait_for("fresh again", lambda: self.mirror()["status"] == "ok", 20)


def openssl_verifies(pub, body, header, tmp):
    """What a mirror written by others does (docs/catalogue-mirror.md):
    OpenSSL's Ed25519 over the exact body bytes, the key given as
    'ed25519:<base64>' and the signature taken from the header."""
    m = re.fullmatch(r"ed25519 keyid=([0-9a-f]{16}) sig=(\S+)", header or "")
    if not m:
        return False
    raw = base64.b64decode(pub.split(":", 1)[1])
    if hashlib.sha256(raw).hexdigest()[:16] != m.group(1):
        return False
    paths = {n: os.path.join(tmp, n) for n in ("pub.der", "body", "sig")}
    with open(paths["pub.der"], "wb") as f:
        f.write(bytes.fromhex("302a300506032b6570032100") + raw)
    with open(paths["body"], "wb") as f:
        f.write(body)
    with open(paths["sig"], "wb") as f:
        f.write(base64.b64decode(m.group(2)))
    p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.der"], "-keyform", "DER",
                        "-rawin", "-in", paths["body"], "-sigfile", paths["sig"]], capture_output=True)
    return p.returncode == 0


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class SignedReplies(ltd.DaemonTest):
    """The snapshot and the feed as a mirror written by others sees them,
    on a registry that is not public."""

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_fed_signed_")
        cls.pub = key_of(cls.reg)
        cls.reader = cls.reg.token("reader")
        cls.d = ltd.Daemon(cls.reg, PUBLIC_READ="false").start()

    def test_snapshot_and_feed_verify_with_openssl(self):
        self.assertError(self.d.get("/v1/snapshot"), 401)
        self.assertError(self.d.get("/v1/snapshot", token="lt_not-a-token"), 401)
        r = self.d.get("/v1/snapshot", token=self.reader)
        self.assertStatus(r, 200)
        snap = r.json()
        self.assertEqual(snap["seq"], self.d.last_seq())
        active = {u["code"] for u in snap["units"] if u["status"] == "active"}
        self.assertEqual(active, set(self.reg.export()))
        self.assertTrue(all("successors" in u and "predecessors" in u for u in snap["units"]))
        sig = r.header("X-Lienthong-Signature")
        with tempfile.TemporaryDirectory() as tmp:
            self.assertTrue(openssl_verifies(self.pub, r.body, sig, tmp))
            self.assertFalse(openssl_verifies(self.pub, r.body.replace(b"active", b"closed", 1), sig, tmp))
            page = self.d.get("/v1/changes?after=5&limit=3", token=self.reader)
            self.assertStatus(page, 200)
            self.assertTrue(openssl_verifies(self.pub, page.body, page.header("X-Lienthong-Signature"), tmp))
            self.assertEqual([i["seq"] for i in page.json()["items"]], [6, 7, 8])
            # Another registry's key does not verify them.
            other = ltd.Registry(prefix="lt_fed_signed_other_", demo=None)
            try:
                self.assertFalse(openssl_verifies(key_of(other), page.body,
                                                  page.header("X-Lienthong-Signature"), tmp))
            finally:
                other.close()


class ForgedFeed(ltd.DaemonTest):
    """A mirror behind a proxy that tampers with its upstream's replies."""

    @classmethod
    def setUpClass(cls):
        cls.up_reg = ltd.Registry(prefix="lt_fed_up_")
        cls.other_reg = ltd.Registry(prefix="lt_fed_other_")
        cls.up_admin = cls.up_reg.token("admin")
        cls.other_admin = cls.other_reg.token("admin")
        cls.sys = cls.up_reg.system_add("Trục tỉnh Cao Bằng", H14)
        cls.up = ltd.Daemon(cls.up_reg).start()
        cls.other = ltd.Daemon(cls.other_reg).start()
        cls.proxy = Proxy(cls.up, cls.other)
        cls.reg = ltd.Registry(prefix="lt_fed_mirror_")
        cls.d = ltd.Daemon(cls.reg, LOCAL_SCOPE=H14, UPSTREAM_URL=f"http://127.0.0.1:{cls.proxy.port}",
                           UPSTREAM_TOKEN=cls.sys["token"], UPSTREAM_PUBLIC_KEY=key_of(cls.up_reg),
                           CATALOGUE_POLL_SECONDS=1, PUBLISH_SECONDS=1).start()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.proxy.close()
            try:
                stop_clean(cls.up, cls.other)
            finally:
                cls.up_reg.close()
                cls.other_reg.close()

    def mirror(self):
        r = self.d.get("/healthz")
        self.assertStatus(r, 200)
        return r.json()["catalogue_mirror"]

    def rename_upstream(self, d, token, name):
        r = d.patch(f"/v1/units/{ltd.DN}", {"name": name, "decision": DECISION, "effective": "2026-11-22"},
                    token=token)
        self.assertStatus(r, 200)

    def refused_with(self, mode, words):
        self.proxy.mode = mode
        m = wait_for(f"the {mode} page refused",
                     lambda: (lambda m: m["refused"] and words in m["refused"] and m)(self.mirror()), 10)
        self.assertIn(words, m["refused"])
        self.assertEqual(self.d.get(f"/v1/units/{ltd.DN}").json()["name"], "Phường Đà Nẵng Một")
        metrics = self.d.get("/metrics").text()
        self.assertIn("lienthong_catalogue_mirror_refused 1", metrics)

    def test_forged_pages_refused_last_copy_kept(self):
        wait_for("the mirror loaded", lambda: self.mirror()["status"] == "ok", 20)
        # A first good page: the mirror follows the upstream.
        self.rename_upstream(self.up, self.up_admin, "Phường Đà Nẵng Một")
        wait_for("the good page taken", lambda: self.d.get(f"/v1/units/{ltd.DN}").json()["name"] ==
                 "Phường Đà Nẵng Một", 10)
        good_seq = self.mirror()["last_seq"]
        # Then one the proxy alters, one it strips, one from another
        # registry (the proxy tampers before the page exists, so that no
        # genuine copy of it slips through first).
        self.proxy.mode = "alter"
        self.rename_upstream(self.up, self.up_admin, "Phường Đà Nẵng Hai")
        self.rename_upstream(self.other, self.other_admin, "Phường Đà Nẵng Giả")
        self.refused_with("alter", "altered")
        self.refused_with("strip", "unsigned")
        self.refused_with("other", "another key")
        self.assertEqual(self.mirror()["last_seq"], good_seq)
        # The genuine page again: taken, the refusal cleared.
        self.proxy.mode = "pass"
        wait_for("the genuine page taken", lambda: self.d.get(f"/v1/units/{ltd.DN}").json()["name"] ==
                 "Phường Đà Nẵng Hai", 10)
        m = self.mirror()
        self.assertIsNone(m["refused"])
        self.assertGreater(m["last_seq"], good_seq)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
