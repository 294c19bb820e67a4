#!/usr/bin/env python3
"""Integration test: a delivery belongs to the system that receives it
(issue 17).

A scratch registry made by `lienthong init --demo`, the real lienthongd on a
free port of 127.0.0.1, and connected systems made by `lienthong system add`
(some while the daemon runs, as an operator would): VPCP (G22), Cao Bằng's
system bound to H14 and to its department Sở Tư pháp (000.00.04.H14), Hà
Nội's (H26). Then:

- the department-binding attack: a system bound later to the department
  code cannot list, fetch, read the trace of or acknowledge what was
  delivered to Cao Bằng's system for that code (403); what is sent after it
  was bound reaches each system as its own delivery, and one's done leaves
  the other's pending and in its inbox; the sender's trace names both
  systems;
- a package to one known and one unknown code: 201, the known one
  delivered, the unknown refused for itself with the reason, on the reply
  and the trace, over /v1 and over VXP sendEdoc; only unknown codes: 422;
- a recipient whose unit has no system: no_system on the reply, the trace
  and getSentEdocList; the system bound to it next receives it;
- managers read the traces of their units' documents and never a body; a
  manager outside them reads neither; the admin reads both;
- in a second daemon (retention_days = 1, hold_days = 2), restarted over a
  database whose deliveries were moved into the past: a package addressed
  to a closed code and to its successor, once done, loses its body (its
  merged delivery kept it forever before), and a delivery that waited for a
  system longer than hold_days is expired;
- a delivery that waits for a system follows its unit through a
  reorganisation: a unit moved while a document waited for it receives the
  document when a system is bound to its new code, and one merged into a
  unit that has a system hands it to that system at once (before, the
  closed code could no longer be bound and the successor's binding did not
  claim it, so it expired).

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26, H29, H47, UNKNOWN  # noqa: E402

H14_TP = "000.00.04.H14"  # Sở Tư pháp tỉnh Cao Bằng, a department of H14


class ExchangeOwnership(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_ownership_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)
            cls.cb = cls.reg.system_add("UBND tỉnh Cao Bằng", H14, H14_TP)
            cls.hn = cls.reg.system_add("UBND thành phố Hà Nội", H26)
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def send(self, sys, to, number, status=201):
        data, docid = ltpkg.edoc(G22, to, number=number, attachments=[("a.pdf", b"%PDF-1.4 bi mat" * 10)])
        r = ltx.send(self.d, sys["token"], data)
        self.assertStatus(r, status)
        return r.json(), data

    def ids(self, sys):
        return [it["id"] for it in ltx.inbox_all(self.d, sys["token"])]

    def trace(self, hub_id, token=None):
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=token or self.admin)
        self.assertStatus(r, 200)
        return r.json()

    def rows(self, hub_id):
        """(code, system id or None, state) per recipient of the trace."""
        return [(x["code"], x["system"]["id"] if x["system"] else None, x["state"])
                for x in self.trace(hub_id)["recipients"]]

    # ---- the department-binding attack ----

    def test_department_binding(self):
        first, data = self.send(self.vpcp, [H14_TP], "1")
        fid = first["id"]
        # A second system is bound to the department code afterwards.
        dept = self.reg.system_add("Phần mềm Sở Tư pháp", H14_TP)
        self.assertNotIn(fid, self.ids(dept), "the later system lists a delivery that is not its own")
        e = self.assertError(self.d.get(f"/v1/documents/{fid}", token=dept["token"]), 403)
        self.assertNotIn("bi mat", e["message"])
        self.assertError(self.d.get(f"/v1/documents/{fid}/trace", token=dept["token"]), 403)
        self.assertError(self.d.post(f"/v1/documents/{fid}/ack", {"state": "done"}, token=dept["token"]), 403)
        self.assertEqual(self.rows(fid), [(H14_TP, self.cb["id"], "pending")], "its ack changed Cao Bằng's")
        self.assertIn(fid, self.ids(self.cb))
        # Over VXP as well.
        c = ltvxp.Client("127.0.0.1", self.d.port, H14_TP, dept["vxp_secret"])
        st, r = c.received()
        self.assertEqual(st, 200, r)
        self.assertNotIn(fid, [x["docId"] for x in r["data"]])
        st, r = c.get_edoc(fid)
        self.assertEqual((st, r["status"]), (403, "FAIL"), r)
        st, r = c.update_status(fid, "done")
        self.assertEqual((st, r["status"]), (403, "FAIL"), r)
        self.assertEqual(self.rows(fid), [(H14_TP, self.cb["id"], "pending")])

        # Sent now: each system gets its own delivery.
        second, data = self.send(self.vpcp, [H14_TP], "2")
        sid = second["id"]
        self.assertEqual(sorted((x["code"], x["system"], x["state"]) for x in second["recipients"]),
                         sorted([(H14_TP, self.cb["id"], "pending"), (H14_TP, dept["id"], "pending")]), second)
        for s in (self.cb, dept):
            self.assertIn(sid, self.ids(s))
            r = self.d.get(f"/v1/documents/{sid}", token=s["token"])
            self.assertStatus(r, 200)
            self.assertEqual(r.body, data)
        r = self.d.post(f"/v1/documents/{sid}/ack", {"state": "done"}, token=dept["token"])
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["state"], r.json()["deliveries"]), ("done", 1), r.json())
        self.assertNotIn(sid, self.ids(dept))
        self.assertIn(sid, self.ids(self.cb), "one system's done took the document from the other's inbox")
        # The sender's trace names each receiving system.
        tr = self.trace(sid, token=self.vpcp["token"])
        got = sorted((x["system"]["id"], x["system"]["name"], x["state"]) for x in tr["recipients"])
        self.assertEqual(got, sorted([(self.cb["id"], "UBND tỉnh Cao Bằng", "pending"),
                                      (dept["id"], "Phần mềm Sở Tư pháp", "done")]), tr)

    # ---- an unknown recipient ----

    def test_unknown_recipient_refused_alone(self):
        reply, _ = self.send(self.vpcp, [H26, UNKNOWN], "3")
        rec = {x["code"]: x for x in reply["recipients"]}
        self.assertEqual((rec[H26]["state"], rec[H26]["system"]), ("pending", self.hn["id"]), reply)
        self.assertEqual(rec[UNKNOWN]["state"], "refused", reply)
        self.assertIn("not a code of the registry", rec[UNKNOWN]["reason"])
        self.assertIn(reply["id"], self.ids(self.hn))
        tr = {x["code"]: x for x in self.trace(reply["id"])["recipients"]}
        self.assertEqual(tr[UNKNOWN]["state"], "refused")
        self.assertIn("not a code of the registry", tr[UNKNOWN]["reason"])
        # Only unknown codes: nothing can be delivered, the package is refused.
        data, _ = ltpkg.edoc(G22, [UNKNOWN], number="4")
        e = self.assertError(ltx.send(self.d, self.vpcp["token"], data), 422)
        self.assertIn(UNKNOWN, e["message"])

    def test_unknown_recipient_over_vxp(self):
        c = ltvxp.Client("127.0.0.1", self.d.port, G22, self.vpcp["vxp_secret"])
        data, _ = ltpkg.edoc(G22, [H26, UNKNOWN], number="5")
        st, r = c.send_edoc(G22, data)
        self.assertEqual((st, r["status"], r["ErrorCode"]), (200, "OK", "0"), r)
        self.assertRegex(r["DocId"], r"^[0-9a-f]{32}$")
        rec = {x["code"]: x for x in r["recipients"]}
        self.assertEqual((rec[H26]["routedTo"], rec[H26]["state"]), (H26, "pending"), r)
        self.assertEqual(rec[UNKNOWN]["state"], "refused", r)
        self.assertIn("not a code of the registry", rec[UNKNOWN]["reason"])
        self.assertIn(r["DocId"], self.ids(self.hn))
        data, _ = ltpkg.edoc(G22, [UNKNOWN], number="6")
        st, r = c.send_edoc(G22, data)
        self.assertEqual((st, r["status"]), (422, "FAIL"), r)
        self.assertIn(UNKNOWN, r["ErrorDesc"])

    # ---- a unit with no receiving system ----

    def test_no_system_then_bound(self):
        reply, _ = self.send(self.vpcp, [H29, H26], "7")
        rec = {x["code"]: x for x in reply["recipients"]}
        self.assertEqual((rec[H29]["state"], rec[H29]["system"]), ("no_system", None), reply)
        self.assertIn("waits up to 30 days", rec[H29]["reason"])
        self.assertIn((H29, None, "no_system"), self.rows(reply["id"]))
        c = ltvxp.Client("127.0.0.1", self.d.port, G22, self.vpcp["vxp_secret"])
        st, r = c.sent()
        self.assertEqual(st, 200, r)
        mine = [x for x in r["data"] if x["senderDocId"] == reply["id"] and x["toCode"] == H29]
        self.assertEqual([x["sendStatus"] for x in mine], ["no_system"], r)
        self.assertIn("no connected system", mine[0]["sendStatusDesc"])
        # A system bound to the code now receives it.
        q1 = self.reg.system_add("UBND Thành phố Hồ Chí Minh", H29)
        self.assertIn(reply["id"], self.ids(q1))
        self.assertIn((H29, q1["id"], "pending"), self.rows(reply["id"]))
        self.assertStatus(self.d.post(f"/v1/documents/{reply['id']}/ack", {"state": "done"}, token=q1["token"]),
                          200)

    # ---- who reads a trace, who reads a body ----

    def test_managers_read_traces_not_bodies(self):
        reply, data = self.send(self.vpcp, [H14], "8")
        hub_id = reply["id"]
        for scope in (H14, G22):  # the recipient's unit, the sender's unit
            tok = self.reg.token("manager", scope=scope, name=f"quản lý {scope}")
            tr = self.trace(hub_id, token=tok)
            self.assertEqual(tr["id"], hub_id)
            e = self.assertError(self.d.get(f"/v1/documents/{hub_id}", token=tok), 403, msg=scope)
            self.assertNotIn("bi mat", e["message"])
        outside = self.reg.token("manager", scope=H26, name="quản lý Hà Nội")
        self.assertError(self.d.get(f"/v1/documents/{hub_id}/trace", token=outside), 403)
        self.assertError(self.d.get(f"/v1/documents/{hub_id}", token=outside), 403)
        reader = self.reg.token("reader", name="đọc")
        self.assertError(self.d.get(f"/v1/documents/{hub_id}/trace", token=reader), 403)
        r = self.d.get(f"/v1/documents/{hub_id}", token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, data)


class ExchangeExpiry(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_expiry_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)
            cls.dn = cls.reg.system_add("UBND thành phố Đà Nẵng", H17)
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.d = ltd.Daemon(cls.reg, RETENTION_DAYS=1, HOLD_DAYS=2).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def trace(self, hub_id):
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=self.admin)
        self.assertStatus(r, 200)
        return r.json()

    def test_merged_and_held_deliveries_expire(self):
        data, _ = ltpkg.edoc(G22, [H47, H17], number="1")
        r = ltx.send(self.d, self.vpcp["token"], data)
        self.assertStatus(r, 201)
        merged = r.json()["id"]
        self.assertEqual(sorted(x["state"] for x in r.json()["recipients"]), ["merged", "pending"], r.json())
        self.assertStatus(self.d.post(f"/v1/documents/{merged}/ack", {"state": "done"}, token=self.dn["token"]), 200)
        data, _ = ltpkg.edoc(G22, [H29], number="2")
        r = ltx.send(self.d, self.vpcp["token"], data)
        self.assertStatus(r, 201)
        held, held_reply = r.json()["id"], r.json()
        # Both happened days ago; the daemon's retention runs at start.
        ltd.assert_clean_stop(self, self.d)
        with sqlite3.connect(self.reg.db) as db:
            db.execute("UPDATE xdeliveries SET updated = '2026-01-01T00:00:00Z'")
        self.__class__.d = self.d = ltd.Daemon(self.reg, RETENTION_DAYS=1, HOLD_DAYS=2).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.trace(merged)["body_removed"]:
            time.sleep(0.1)
        self.assertTrue(self.trace(merged)["body_removed"], "a package with a merged delivery kept its body")
        e = self.assertError(self.d.get(f"/v1/documents/{merged}", token=self.dn["token"]), 404)
        self.assertIn("retention", e["message"])
        self.assertEqual([x["state"] for x in held_reply["recipients"]], ["no_system"], held_reply)
        self.assertIn("waits up to 2 days", held_reply["recipients"][0]["reason"])
        rec = self.trace(held)["recipients"]
        self.assertEqual([x["state"] for x in rec], ["expired"], rec)
        self.assertIn("within 2 days", rec[0]["reason"])
        self.assertEqual([x["state"] for x in rec[0]["transport"]], ["no_system", "expired"], rec)
        # A system bound now does not receive what expired.
        hcm = self.reg.system_add("UBND Thành phố Hồ Chí Minh", H29)
        self.assertEqual(ltx.inbox_all(self.d, hcm["token"]), [])


class HeldThroughReorganisation(ltd.DaemonTest):
    """A document waiting (no_system) for a unit that is then moved or merged."""

    DECISION = ["--decision-number", "12/QĐ-TTg", "--decision-date", "2026-11-20",
                "--decision-issuer", "Thủ tướng Chính phủ"]

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_held_reorg_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)
            cls.tp = cls.reg.system_add("Phần mềm Sở Tư pháp Cao Bằng", H14_TP)
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def held(self, code, number):
        data, _ = ltpkg.edoc(G22, [code], number=number)
        r = ltx.send(self.d, self.vpcp["token"], data)
        self.assertStatus(r, 201)
        self.assertEqual([x["state"] for x in r.json()["recipients"]], ["no_system"], r.json())
        return r.json()["id"]

    def recipient(self, hub_id):
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=self.admin)
        self.assertStatus(r, 200)
        rec = r.json()["recipients"]
        self.assertEqual(len(rec), 1, rec)
        return rec[0]

    def test_moved_unit_bound_later(self):
        hub_id = self.held(H29, "1")
        out = json.loads(self.reg.check("unit", "move", H29, "--to", G22, *self.DECISION, "--json"))
        new = out["moved"][H29]
        hcm = self.reg.system_add("UBND Thành phố Hồ Chí Minh", new)
        rec = self.recipient(hub_id)
        self.assertEqual((rec["routed_to"], rec["system"] and rec["system"]["id"], rec["state"]),
                         (new, hcm["id"], "pending"), rec)
        self.assertIn(hub_id, [x["id"] for x in ltx.inbox_all(self.d, hcm["token"])])
        self.assertStatus(self.d.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=hcm["token"]), 200)

    def test_merged_into_a_unit_with_a_system(self):
        xd = "000.00.07.H14"  # Sở Xây dựng tỉnh Cao Bằng: no system
        hub_id = self.held(xd, "2")
        self.reg.check("unit", "merge", xd, "--into-code", H14_TP, *self.DECISION, "--json")
        rec = self.recipient(hub_id)
        self.assertEqual((rec["routed_to"], rec["system"] and rec["system"]["id"], rec["state"]),
                         (H14_TP, self.tp["id"], "pending"), rec)
        self.assertIn(hub_id, [x["id"] for x in ltx.inbox_all(self.d, self.tp["token"])])

    def test_held_copy_of_a_document_the_successor_has(self):
        """Addressed to a unit and to the one it then merges into: delivered
        once, as routing does for a closed code and its successor."""
        xd = "000.00.08.H14"  # Sở Kế hoạch và Đầu tư: no system
        data, _ = ltpkg.edoc(G22, [xd, H14_TP], number="3")
        r = ltx.send(self.d, self.vpcp["token"], data)
        self.assertStatus(r, 201)
        hub_id = r.json()["id"]
        self.reg.check("unit", "merge", xd, "--into-code", H14_TP, *self.DECISION, "--json")
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=self.admin)
        got = sorted((x["code"], x["routed_to"], x["system"] and x["system"]["id"], x["state"])
                     for x in r.json()["recipients"])
        self.assertEqual(got, [(H14_TP, H14_TP, self.tp["id"], "pending"), (xd, H14_TP, None, "merged")], got)
        self.assertEqual([x["id"] for x in ltx.inbox_all(self.d, self.tp["token"])].count(hub_id), 1)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
