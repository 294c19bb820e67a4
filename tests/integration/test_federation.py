"""Federation: three hubs on loopback, each a real lienthongd on its own
database. N is the national hub; P17 (local_scope H17, Đà Nẵng) and P14
(local_scope H14, Cao Bằng) are provincial hubs whose upstream is N, where
each is a connected system bound to its province as a subtree. P17 relays
through N's /v1 API, P14 through N's /vxp as the Java SDK would (so N
checks its key orders and HMACs exactly as for the real SDK).

- A document from a system on P17 to a department under H14 goes
  P17 → N → P14 → the department's system byte-identical, and its 01 and
  06 statuses come back to the sender on P17; each hub's trace tells its
  part (P17: relayed with N's id; N: delivered to P14's system; P14: the
  department's system).
- A document from a system on N to a unit under H17 reaches P17's system.
- N is killed (SIGKILL) while 500 documents are being relayed and
  restarted on the same port: each is delivered exactly once, and their
  statuses come back.
- Subtree systems on N: a unit with a system of its own receives its own
  documents; only an admin, or a manager whose scope holds the subtree,
  may bind one.
"""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402

H17, H14 = ltx.H17, ltx.H14
DN_NOI_VU = "000.00.02.H17"   # Sở Nội vụ Đà Nẵng: its system lives on P17
DN_TAI_CHINH = "000.00.03.H17"
CB_TU_PHAP = ltd.CB_TU_PHAP    # Sở Tư pháp Cao Bằng: its system lives on P14
G22 = ltx.G22                  # Văn phòng Chính phủ: its system lives on N


def fixed_port_start(d, port, timeout=15):
    """Starts d on a given port (a restart keeps its address for the hubs
    that call it)."""
    saved = ltd.free_port
    ltd.free_port = lambda: port
    try:
        return d.start(timeout=timeout)
    finally:
        ltd.free_port = saved


def wait_for(what, fn, timeout=60, every=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Federation(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.n_reg = ltd.Registry(prefix="lt_test_fed_n_")
        cls.p17_reg = ltd.Registry(prefix="lt_test_fed_p17_")
        cls.p14_reg = ltd.Registry(prefix="lt_test_fed_p14_")
        n = cls.n_reg
        p17 = json_out(n, "system", "add", "--name", "Trục tỉnh Đà Nẵng", "--subtree", H17)
        p14 = json_out(n, "system", "add", "--name", "Trục tỉnh Cao Bằng", "--subtree", H14)
        cls.g22 = n.system_add("QLVB VPCP", G22)["token"]
        cls.n_port = ltd.free_port()
        cls.n = fixed_port_start(ltd.Daemon(n), cls.n_port)
        up = f"http://127.0.0.1:{cls.n_port}"
        common = dict(UPSTREAM_URL=up, UPSTREAM_PROTOCOL="lienthong", RELAY_BACKOFF_MAX="1",
                      UPSTREAM_POLL_WAIT="1")
        cls.dn = cls.p17_reg.system_add("QLVB Sở Nội vụ Đà Nẵng", DN_NOI_VU)["token"]
        cls.cb = cls.p14_reg.system_add("QLVB Sở Tư pháp Cao Bằng", CB_TU_PHAP)["token"]
        cls.p17 = ltd.Daemon(cls.p17_reg, LOCAL_SCOPE=H17, UPSTREAM_TOKEN=p17["token"], **common).start()
        # P14 speaks to N as the VXP Java SDK would (its systemid is its
        # subtree root, the first code it was registered with on N); P17
        # through N's /v1. Both ways are exercised by every test below.
        vxp = dict(common, UPSTREAM_URL=up + "/vxp", UPSTREAM_PROTOCOL="vxp")
        cls.p14 = ltd.Daemon(cls.p14_reg, LOCAL_SCOPE=H14, UPSTREAM_SYSTEM_ID=H14,
                             UPSTREAM_SECRET=p14["vxp_secret"], **vxp).start()
        cls.admin_n = n.token("admin")
        cls.admin_p17 = cls.p17_reg.token("admin")
        cls.admin_p14 = cls.p14_reg.token("admin")

    @classmethod
    def tearDownClass(cls):
        for d in (getattr(cls, "p17", None), getattr(cls, "p14", None), getattr(cls, "n", None)):
            if d:
                d.stop()
        for r in (cls.n_reg, cls.p17_reg, cls.p14_reg):
            r.close()

    def trace(self, d, token, hub_id):
        r = d.get(f"/v1/documents/{hub_id}/trace", token=token)
        self.assertStatus(r, 200, f"trace of {hub_id}")
        return r.json()

    def receive(self, d, token, kind="edoc", n=1, timeout=60):
        return wait_for(f"{n} {kind} in an inbox", lambda: (lambda it: it if len(it) >= n else None)(
            ltx.inbox_all(d, token, kind=kind, limit=500)), timeout=timeout)

    def ack(self, d, token, hub_id):
        self.assertStatus(d.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=token), 200)

    def test_1_province_to_province_and_statuses_back(self):
        data, docid = ltpkg.edoc(DN_NOI_VU, [CB_TU_PHAP], number="101", subject="Liên thông ba trục")
        r = ltx.send(self.p17, self.dn, data)
        self.assertStatus(r, 201)
        sent = r.json()
        self.assertEqual([x["state"] for x in sent["recipients"]], ["relay"], sent)
        items = self.receive(self.p14, self.cb)
        self.assertEqual(len(items), 1, items)
        it = items[0]
        self.assertEqual((it["from"], it["document_id"]), (DN_NOI_VU, docid))
        body = self.p14.get(f"/v1/documents/{it['id']}", token=self.cb)
        self.assertStatus(body, 200)
        self.assertEqual(body.body, data, "the package reached the department byte-identical")
        self.ack(self.p14, self.cb, it["id"])
        for code in ("01", "06"):
            st = ltpkg.status(CB_TU_PHAP, DN_NOI_VU, docid, code, description=f"trạng thái {code}")
            self.assertStatus(ltx.send(self.p14, self.cb, st), 201)
        statuses = self.receive(self.p17, self.dn, kind="status", n=2)
        self.assertEqual(sorted(s["status_code"] for s in statuses), ["01", "06"])
        self.assertTrue(all(s["from"] == CB_TU_PHAP for s in statuses), statuses)
        # P17: relayed, with N's id and time, then the statuses that came back.
        t17 = self.trace(self.p17, self.dn, sent["id"])
        (dl,) = t17["recipients"]
        self.assertEqual(dl["state"], "relayed", t17)
        self.assertIn("relayed upstream as ", dl["reason"])
        n_id = dl["reason"].split("relayed upstream as ")[1].split()[0]
        self.assertRegex(n_id, ltx.HEX32)
        self.assertEqual([e["state"] for e in dl["transport"]], ["relay", "relayed"], dl)
        self.assertEqual(sorted(s["code"] for s in dl["statuses"]), ["01", "06"], t17)
        # N: the document went to P14's system (done), its statuses to P17's.
        tn = self.trace(self.n, self.admin_n, n_id)
        (dn,) = tn["recipients"]
        self.assertEqual((dn["routed_to"], dn["state"]), (CB_TU_PHAP, "done"), tn)
        self.assertEqual(sorted(s["code"] for s in dn["statuses"]), ["01", "06"], tn)
        # P14: the department's own system took it, and answered.
        t14 = self.trace(self.p14, self.cb, it["id"])
        (d14,) = t14["recipients"]
        self.assertEqual((d14["routed_to"], d14["state"]), (CB_TU_PHAP, "done"), t14)
        self.assertEqual(sorted(s["code"] for s in d14["statuses"]), ["01", "06"], t14)
        for s in statuses:
            self.ack(self.p17, self.dn, s["id"])

    def test_2_national_to_province(self):
        data, docid = ltpkg.edoc(G22, [DN_NOI_VU], number="202", subject="Từ trục quốc gia")
        r = ltx.send(self.n, self.g22, data)
        self.assertStatus(r, 201)
        self.assertEqual([x["state"] for x in r.json()["recipients"]], ["pending"], r.json())
        items = self.receive(self.p17, self.dn)
        mine = [i for i in items if i["document_id"] == docid]
        self.assertEqual(len(mine), 1, items)
        body = self.p17.get(f"/v1/documents/{mine[0]['id']}", token=self.dn)
        self.assertEqual(body.body, data)
        self.ack(self.p17, self.dn, mine[0]["id"])
        # N's delivery to P17 was acknowledged by P17's worker, after its commit.
        wait_for("N's delivery to P17 acknowledged", lambda: self.trace(
            self.n, self.admin_n, r.json()["id"])["recipients"][0]["state"] == "done")

    def test_3_own_system_wins_over_subtree(self):
        # On N, Sở Tài chính Đà Nẵng has a system of its own: its documents
        # go there, not to P17.
        own = self.n_reg.system_add("QLVB Sở Tài chính Đà Nẵng (trực tiếp)", DN_TAI_CHINH)["token"]
        data, _ = ltpkg.edoc(G22, [DN_TAI_CHINH], number="303")
        r = ltx.send(self.n, self.g22, data)
        self.assertStatus(r, 201)
        self.assertEqual(len(ltx.inbox_all(self.n, own)), 1)

    def test_4_subtree_binding_is_refused_outside_scope(self):
        mgr14 = self.n_reg.token("manager", scope=H14)
        r = self.n.post("/v1/systems", {"name": "x", "subtrees": [H17]}, token=mgr14)
        self.assertError(r, 403, contains="subtree")
        r = self.n.post("/v1/systems", {"name": "x", "subtrees": [H17]}, token=self.g22)
        self.assertError(r, 403)
        r = self.n.post("/v1/systems", {"name": "x", "subtrees": ["H17"]}, token=self.admin_n)
        self.assertError(r, 400)
        r = self.n.post("/v1/systems", {"name": "x", "subtrees": "000.00.00.H17"}, token=self.admin_n)
        self.assertError(r, 400)
        r = self.n.post("/v1/systems", {"name": "Trục Cao Bằng 2", "subtrees": [ltd.CB_Y_TE]}, token=mgr14)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["subtrees"], [ltd.CB_Y_TE])
        p = self.n_reg.run("system", "add", "--name", "y", "--subtree", "000.00.99.H14")
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        # A subtree system may send for the units in its subtree, not outside.
        tok = r.json()["token"]
        inside, _ = ltpkg.edoc("000.01.05.H14", [G22], number="404")
        self.assertStatus(ltx.send(self.n, tok, inside), 201)
        outside, _ = ltpkg.edoc(CB_TU_PHAP, [G22], number="405")
        self.assertError(ltx.send(self.n, tok, outside), 403)

    def test_6_subtree_follows_a_moved_root(self):
        # Sở Y tế Cao Bằng (bound as a subtree in test 4) moves under Đà
        # Nẵng: its new code keeps the subtree binding, so a unit below it
        # still reaches that system, not P17 (the new province's hub).
        body = {"kind": "move", "decision": ltd.DECISION, "effective": ltd.TODAY, "from": [ltd.CB_Y_TE],
                "into": {"parent": H17}}
        r = self.n.post("/v1/reorganizations", body, token=self.admin_n)
        self.assertStatus(r, 201)
        moved = r.json()["moved"]
        child = moved["000.01.05.H14"]
        r = self.n.get("/v1/systems", token=self.admin_n)
        (sys_,) = [s for s in r.json()["items"] if s["name"] == "Trục Cao Bằng 2"]
        self.assertIn(moved[ltd.CB_Y_TE], sys_["codes"])
        data, _ = ltpkg.edoc(G22, [child], number="606")
        r = ltx.send(self.n, self.g22, data)
        self.assertStatus(r, 201)
        (rec,) = r.json()["recipients"]
        self.assertEqual((rec["routed_to"], rec["state"], rec["system"]), (child, "pending", sys_["id"]), rec)

    def test_7_a_crash_between_the_steps_doubles_nothing(self):
        data, docid = ltpkg.edoc(DN_NOI_VU, [CB_TU_PHAP], number="707", subject="Hai lần")
        r = ltx.send(self.p17, self.dn, data)
        self.assertStatus(r, 201)
        hub_id = r.json()["id"]
        (item,) = [i for i in self.receive(self.p14, self.cb, n=1) if i["document_id"] == docid] or [None]
        n_id = self.trace(self.p17, self.dn, hub_id)["recipients"][0]["reason"].split(" as ")[1].split()[0]
        wait_for("N's delivery to P14 acknowledged", lambda: self.trace(
            self.n, self.admin_n, n_id)["recipients"][0]["state"] == "done")
        # P17 crashed after N took the document and before it wrote so: the
        # queue row is due again. Its resend is the same document on N.
        # (The deliveries first: the worker takes the row as soon as it is due.)
        self.p17_reg.sql(f"UPDATE xdeliveries SET state = 'relay' WHERE doc = '{hub_id}'")
        self.p17_reg.sql(f"UPDATE relay_out SET upstream_id = '', relayed = '' WHERE doc = '{hub_id}'")
        wait_for("the resend recorded", lambda: self.trace(
            self.p17, self.dn, hub_id)["recipients"][0]["state"] == "relayed")
        again = self.trace(self.p17, self.dn, hub_id)["recipients"][0]["reason"]
        self.assertIn(f"relayed upstream as {n_id}", again)
        # P14 crashed after its commit and before its acknowledgement: N
        # lists the document again, and P14 takes it in as the same one.
        self.n_reg.sql(f"UPDATE xdeliveries SET state = 'pending' WHERE doc = '{n_id}'")
        wait_for("N's delivery acknowledged again", lambda: self.trace(
            self.n, self.admin_n, n_id)["recipients"][0]["state"] == "done")
        mine = [i for i in ltx.inbox_all(self.p14, self.cb) if i["document_id"] == docid]
        self.assertEqual([i["id"] for i in mine], [item["id"]])
        self.ack(self.p14, self.cb, item["id"])

    def test_5_upstream_killed_in_the_middle_of_500(self):
        total = 500
        sent = {}
        for i in range(total):
            data, docid = ltpkg.edoc(DN_NOI_VU, [CB_TU_PHAP], number=f"9{i:03d}", subject=f"Lô {i}")
            r = ltx.send(self.p17, self.dn, data)
            self.assertStatus(r, 201)
            sent[docid] = data
            if i == total // 3:
                self.n.signal(signal.SIGKILL)
                self.n.wait(10)
        time.sleep(1.5)
        fixed_port_start(self.n, self.n_port)
        got = {}

        def collect():
            got.clear()
            for it in ltx.inbox_all(self.p14, self.cb, kind="edoc", limit=500):
                if it["document_id"] in sent:
                    got.setdefault(it["document_id"], []).append(it["id"])
            return len(got) == total

        wait_for("500 documents on P14", collect, timeout=80, every=0.5)
        doubled = {k: v for k, v in got.items() if len(v) != 1}
        self.assertEqual(doubled, {}, "a document delivered twice")
        for docid, (hub_id,) in got.items():
            self.ack(self.p14, self.cb, hub_id)
        # N itself holds each once.
        sample = list(sent)[::50]
        for docid in sample[:3]:
            st = ltpkg.status(CB_TU_PHAP, DN_NOI_VU, docid, "01")
            self.assertStatus(ltx.send(self.p14, self.cb, st), 201)
        back = self.receive(self.p17, self.dn, kind="status", n=3)
        self.assertGreaterEqual(len(back), 3)
        for d in (self.n, self.p17, self.p14):
            self.assertEqual(d.sanitizer_lines(), [])
        # P17's worker counted what it sent, and the tries N's death cost.
        self.assertGreaterEqual(ltx.metric(self.p17, "lienthong_relay_documents_total", {"direction": "out"}), total)
        self.assertGreaterEqual(ltx.metric(self.p17, "lienthong_relay_failures_total", {"direction": "out"}), 1)
        self.assertGreaterEqual(ltx.metric(self.p14, "lienthong_relay_documents_total", {"direction": "in"}), total)


def json_out(reg, *args):
    import json
    return json.loads(reg.check(*args, "--json"))


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
