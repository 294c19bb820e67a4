#!/usr/bin/env python3
"""Integration test: transition campaigns (issue 19), against the real
daemon on a registry made by `lienthong init --demo`, where Quảng Nam
(000.00.00.H47) has been merged into Đà Nẵng (000.00.00.H17) with its
departments merged into Đà Nẵng's and its districts moved under it.

Systems: Văn phòng Chính phủ (G22), which still addresses the closed
H47; Đà Nẵng's (H17), which still sends as H47 (accepted, recorded:
before, 403); Hội An's, under its new code 000.00.08.H17;
Cao Bằng's (H14), unconcerned. A campaign "under H17 since 2025-07-01":

- lists G22's system with H47 under old_codes_addressed, Đà Nẵng's under
  old_codes_sent_as, Hội An's as bound to a changed code, and not
  Cao Bằng's; catalogue_refreshed follows reads of the change feed, the
  dmdc catalogue and VXP getAgenciesList, map_fetched a download of the
  mapping, each with the system's own credential;
- a probe reaches every unit in scope with a system (H17 and
  000.00.08.H17) as a real edXML package from the hub's code marked as a
  probe, the others are "no_system"; after Đà Nẵng fetches, acknowledges
  and answers 01 and Hội An's does nothing, the report and the
  campaign say exactly that; the progress exports as CSV;
- /v1/transition/stale lists each system's uses of closed codes;
- every route refuses a caller outside its scope, and bad input changes
  nothing.

Standard library only; ends with "N passed, M failed".
"""

import csv
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H47  # noqa: E402

HUB = "000.00.00.G06"  # the unit that runs the hub (hub_code)
HOI_AN = "000.00.08.H17"  # UBND thành phố Hội An, moved from 000.00.22.H47 under Đà Nẵng
CAMPAIGN = {"name": "Sáp nhập Quảng Nam vào Đà Nẵng", "since": "2025-07-01", "under": H17}


class Campaigns(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_campaigns_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("QLVB Văn phòng Chính phủ", G22)
            cls.dn = cls.reg.system_add("QLVB Đà Nẵng", H17)
            cls.hoian = cls.reg.system_add("QLVB UBND thành phố Hội An", HOI_AN)
            cls.cb = cls.reg.system_add("QLVB Cao Bằng", H14)
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.m_dn = cls.reg.token("manager", scope=H17, name="Đà Nẵng")
            cls.m_cb = cls.reg.token("manager", scope=H14, name="Cao Bằng")
            cls.reader = cls.reg.token("reader", name="đọc")
            cls.d = ltd.Daemon(cls.reg, hub_code=HUB).start()
            # Before the campaign: G22 addresses the closed code, Đà Nẵng
            # sends as it.
            data, _ = ltpkg.edoc(G22, [H47], number="11", notation="VPCP-TH")
            r = ltx.send(cls.d, cls.vpcp["token"], data)
            assert r.status == 201, r
            assert r.json()["recipients"][0]["routed_to"] == H17, r.json()
            data, _ = ltpkg.edoc(H47, [G22], number="12", notation="UBND-VP")
            cls.sent_as_old = ltx.send(cls.d, cls.dn["token"], data)
            r = cls.d.post("/v1/transitions", CAMPAIGN, token=cls.admin)
            assert r.status == 201, r
            cls.campaign = r.json()
            cls.cid = cls.campaign["id"]
        except BaseException:
            cls.tearDownClass()
            raise

    def get_campaign(self, token=None):
        r = self.d.get(f"/v1/transitions/{self.cid}", token=token or self.admin)
        self.assertStatus(r, 200)
        return r.json()

    def system(self, c, sys):
        for s in c["systems"]:
            if s["id"] == sys["id"]:
                return s
        return None

    # ---- inventory ----

    def test_open_reply(self):
        c = self.campaign
        self.assertEqual(c["name"], CAMPAIGN["name"])
        self.assertEqual(c["under"], H17)
        self.assertEqual(c["since"], "2025-07-01")
        self.assertGreaterEqual(c["codes"], 18)
        r = self.d.get("/v1/transitions", token=self.admin)
        self.assertStatus(r, 200)
        self.assertIn(self.cid, [x["id"] for x in r.json()["items"]])

    def test_changes_listed(self):
        c = self.get_campaign()
        pairs = {(x["old_code"], x.get("new_code")) for x in c["changes"]}
        self.assertIn((H47, H17), pairs)
        self.assertIn(("000.00.22.H47", HOI_AN), pairs)
        h47 = [x for x in c["changes"] if x["old_code"] == H47][0]
        self.assertEqual(h47["old_name"], "Ủy ban nhân dân tỉnh Quảng Nam")
        self.assertEqual(h47["closed"], "2025-07-01")

    def test_by_plan(self):
        r = self.d.get("/v1/plans", token=self.admin)
        self.assertStatus(r, 200)
        plans = r.json()
        plans = plans["items"] if isinstance(plans, dict) else plans
        qn = [p for p in plans if "Quảng Nam" in p["title"]]
        self.assertEqual(len(qn), 1, [p["title"] for p in plans])
        pid = qn[0]["id"]
        r = self.d.post("/v1/transitions", {"name": "Theo Nghị quyết 202/2025/QH15", "plan": pid}, token=self.admin)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["plan"], pid)
        self.assertIsNone(r.json()["since"])
        c = self.d.get(f"/v1/transitions/{r.json()['id']}", token=self.admin).json()
        self.assertEqual(c["plan"]["id"], pid)
        self.assertEqual(c["plan"]["decision"]["kind"], "Nghị quyết")
        pairs = {(x["old_code"], x.get("new_code")) for x in c["changes"]}
        self.assertIn((H47, H17), pairs)
        self.assertIn(("000.00.22.H47", HOI_AN), pairs)
        # Only the plan's codes: no other province's merger.
        self.assertTrue(all(old.endswith("47") for old, _ in pairs), pairs)
        self.assertEqual({s["id"] for s in c["systems"]}, {self.vpcp["id"], self.dn["id"], self.hoian["id"]})
        # A manager of Cao Bằng may not open it over the whole plan, nor under Đà Nẵng.
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": pid}, token=self.m_cb), 403)
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": pid, "under": H17}, token=self.m_cb),
                         403)
        # Under Cao Bằng the plan closed nothing.
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": pid, "under": H14}, token=self.admin),
                         422, contains="closed no code")
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": pid, "since": "2025-07-01"},
                                     token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", {"name": "x"}, token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": 99999}, token=self.admin), 404)
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": -1}, token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", {"name": "x", "plan": "1"}, token=self.admin), 400)

    def test_sender_as_closed_code_accepted(self):
        # Đà Nẵng's system speaks for H17, the successor of H47: its package
        # From H47 is accepted (it was refused with 403 before).
        self.assertStatus(self.sent_as_old, 201)
        # Cao Bằng's does not speak for H17: still refused.
        data, _ = ltpkg.edoc(H47, [G22], number="13", notation="UBND-VP")
        self.assertError(ltx.send(self.d, self.cb["token"], data), 403, contains="not bound to " + H47)

    def test_systems_and_old_codes(self):
        c = self.get_campaign()
        ids = {s["id"] for s in c["systems"]}
        self.assertEqual(ids, {self.vpcp["id"], self.dn["id"], self.hoian["id"]}, c["systems"])
        vp = self.system(c, self.vpcp)
        self.assertFalse(vp["bound"])
        self.assertTrue(vp["exchanged"])
        self.assertEqual(vp["old_codes_addressed"]["count"], 1)
        self.assertEqual(vp["old_codes_addressed"]["codes"], [H47])
        self.assertTrue(vp["old_codes_addressed"]["last_seen"].startswith("20"))
        self.assertEqual(vp["old_codes_sent_as"], {"count": 0, "codes": [], "last_seen": None})
        dn = self.system(c, self.dn)
        self.assertTrue(dn["bound"])
        self.assertEqual(dn["old_codes_sent_as"]["count"], 1)
        self.assertEqual(dn["old_codes_sent_as"]["codes"], [H47])
        self.assertEqual(dn["old_codes_addressed"]["count"], 0)
        nv = self.system(c, self.hoian)
        self.assertTrue(nv["bound"])
        self.assertIsNone(vp["map_fetched"])
        self.assertFalse(nv["ready"])

    def test_catalogue_refreshed(self):
        c = self.get_campaign()
        self.assertIsNone(self.system(c, self.vpcp)["catalogue_refreshed"])
        r = self.d.get("/v1/changes?after=0&limit=5", token=self.dn["token"])
        self.assertStatus(r, 200)
        r = self.d.get("/dmdc/Category/qlvanbandieuhanhcap1", token=self.hoian["token"])
        self.assertStatus(r, 200)
        # Hội An downloads the mapping with its token; an anonymous download
        # is nobody's.
        q = f"/v1/transition/map?since=2025-07-01&under={H17}&format=csv"
        self.assertStatus(self.d.get(q, token=self.hoian["token"]), 200)
        self.assertStatus(self.d.get(q), 200)
        c = self.get_campaign()
        self.assertIsNotNone(self.system(c, self.hoian)["map_fetched"])
        self.assertIsNone(self.system(c, self.dn)["map_fetched"])
        self.assertIsNotNone(self.system(c, self.dn)["catalogue_refreshed"])
        self.assertIsNotNone(self.system(c, self.hoian)["catalogue_refreshed"])
        self.assertIsNone(self.system(c, self.vpcp)["catalogue_refreshed"])
        # VXP getAgenciesList, as the SDK calls it, refreshes too.
        client = ltvxp.Client("127.0.0.1", self.d.port, G22, self.vpcp["vxp_secret"])
        status, reply = client.get_agencies()
        self.assertEqual((status, reply["status"]), (200, "OK"), reply)
        c = self.get_campaign()
        self.assertIsNotNone(self.system(c, self.vpcp)["catalogue_refreshed"])
        # An anonymous read is nobody's refresh.
        self.assertStatus(self.d.get("/v1/changes?after=0&limit=1"), 200)

    def test_stale(self):
        r = self.d.get("/v1/transition/stale?since=2025-01-01", token=self.admin)
        self.assertStatus(r, 200)
        by = {it["system"]["id"]: it["uses"] for it in r.json()["items"]}
        self.assertEqual([(u["code"], u["as"], u["count"], u["current"]) for u in by[self.vpcp["id"]]],
                         [(H47, "recipient", 1, [H17])])
        self.assertEqual([(u["code"], u["as"], u["count"]) for u in by[self.dn["id"]]], [(H47, "sender", 1)])
        self.assertNotIn(self.cb["id"], by)
        # Since a later day than any use: nothing.
        r = self.d.get("/v1/transition/stale?since=2099-01-01", token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["items"], [])
        # A manager sees only the systems it manages.
        r = self.d.get("/v1/transition/stale", token=self.m_cb)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["items"], [])

    # ---- probe ----

    def test_probe(self):
        r = self.d.post(f"/v1/transitions/{self.cid}/probe", None, token=self.admin)
        self.assertStatus(r, 201)
        rep = r.json()
        units = {u["code"]: u for u in rep["units"]}
        self.assertIn(H17, units)
        self.assertIn(HOI_AN, units)
        self.assertNotIn(HUB, units)
        with_system = {c for c, u in units.items() if u["result"] != "no_system"}
        self.assertEqual(with_system, {H17, HOI_AN})
        for c, u in units.items():
            if c not in with_system:
                self.assertEqual(u["systems"], [])
                self.assertIsNone(u["doc"])
        self.assertEqual(rep["counts"]["delivered"], 2)
        self.assertEqual(rep["counts"]["no_system"], len(units) - 2)
        self.assertEqual([s["id"] for s in units[H17]["systems"]], [self.dn["id"]])
        doc = units[H17]["doc"]
        # A real edXML package from the hub's code, marked as a probe.
        inbox = ltx.inbox_all(self.d, self.dn["token"])
        self.assertIn(doc, [it["id"] for it in inbox])
        body = self.d.get(f"/v1/documents/{doc}", token=self.dn["token"])
        self.assertStatus(body, 200)
        text = body.text()
        self.assertIn(f"<edXML:OrganId>{HUB}</edXML:OrganId>", text)
        self.assertIn("<edXML:CodeNotation>LT-THAMDO</edXML:CodeNotation>", text)
        self.assertIn("[THĂM DÒ]", text)
        docid = text.split("<edXML:DocumentId>")[1].split("</edXML:DocumentId>")[0]
        # Đà Nẵng acknowledges and answers 01; Hội An's does nothing.
        self.assertStatus(self.d.post(f"/v1/documents/{doc}/ack", {"state": "done"}, token=self.dn["token"]), 200)
        st = ltpkg.status(H17, HUB, docid, "01", "Đã nhận gói thăm dò")
        r = ltx.send(self.d, self.dn["token"], st)
        self.assertStatus(r, 201)
        # The answer reaches the hub's own system, which consumes it at once:
        # nothing waits in an inbox nobody reads.
        self.assertEqual([x["routed_to"] for x in r.json()["recipients"]], [HUB])
        waiting = self.d.get("/v1/deliveries/waiting", token=self.admin).json()["items"]
        self.assertEqual([w for w in waiting if w["name"].startswith("Trục liên thông")], [])
        r = self.d.get(f"/v1/transitions/{self.cid}/probe", token=self.admin)
        self.assertStatus(r, 200)
        units = {u["code"]: u for u in r.json()["units"]}
        dn = units[H17]
        self.assertEqual(dn["result"], "answered")
        self.assertIsNotNone(dn["status_01"])
        self.assertEqual(dn["systems"][0]["state"], "done")
        self.assertIsNotNone(dn["systems"][0]["fetched"])
        self.assertIsNotNone(dn["systems"][0]["acknowledged"])
        nv = units[HOI_AN]
        self.assertEqual(nv["result"], "delivered")
        self.assertEqual(nv["systems"][0]["id"], self.hoian["id"])
        self.assertEqual(nv["systems"][0]["state"], "pending")
        self.assertIsNone(nv["systems"][0]["fetched"])
        self.assertIsNone(nv["systems"][0]["acknowledged"])
        self.assertIsNone(nv["status_01"])
        self.assertEqual(r.json()["counts"]["answered"], 1)
        self.assertEqual(r.json()["counts"]["delivered"], 1)
        c = self.get_campaign()
        self.assertIsNotNone(self.system(c, self.dn)["probe_acked"])
        self.assertIsNone(self.system(c, self.hoian)["probe_acked"])
        self.assertEqual(self.system(c, self.hoian)["probe"]["state"], "pending")
        # The progress as CSV, one row per system.
        r = self.d.get(f"/v1/transitions/{self.cid}?format=csv", token=self.admin)
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        rows = list(csv.DictReader(io.StringIO(r.text())))
        self.assertEqual({int(x["system_id"]) for x in rows}, {self.vpcp["id"], self.dn["id"], self.hoian["id"]})
        row = [x for x in rows if int(x["system_id"]) == self.vpcp["id"]][0]
        self.assertEqual(row["old_codes_addressed"], "1")
        self.assertEqual(row["old_codes_addressed_codes"], H47)
        self.assertEqual(row["system"], "QLVB Văn phòng Chính phủ")

    # ---- who may ----

    def test_outside_scope_refused(self):
        cid = self.cid
        for tok, status in ((self.m_cb, 403), (self.reader, 403), (self.vpcp["token"], 403), (None, 401)):
            self.assertError(self.d.post("/v1/transitions", CAMPAIGN, token=tok), status)
            self.assertError(self.d.get(f"/v1/transitions/{cid}", token=tok), status)
            self.assertError(self.d.get(f"/v1/transitions/{cid}?format=csv", token=tok), status)
            self.assertError(self.d.post(f"/v1/transitions/{cid}/probe", None, token=tok), status)
            self.assertError(self.d.get(f"/v1/transitions/{cid}/probe", token=tok), status)
        for tok, status in ((self.reader, 403), (self.vpcp["token"], 403), (None, 401)):
            self.assertError(self.d.get("/v1/transitions", token=tok), status)
            self.assertError(self.d.get("/v1/transition/stale", token=tok), status)
        # Cao Bằng's manager lists no campaign of Đà Nẵng's.
        r = self.d.get("/v1/transitions", token=self.m_cb)
        self.assertStatus(r, 200)
        self.assertNotIn(cid, [x["id"] for x in r.json()["items"]])

    def test_manager_in_scope(self):
        r = self.d.post("/v1/transitions", dict(CAMPAIGN, name="Đà Nẵng tự theo dõi"), token=self.m_dn)
        self.assertStatus(r, 201)
        mine = r.json()["id"]
        self.assertStatus(self.d.get(f"/v1/transitions/{mine}", token=self.m_dn), 200)
        self.assertStatus(self.d.get(f"/v1/transitions/{self.cid}", token=self.m_dn), 200)
        # Not the whole registry, nor another province.
        self.assertError(self.d.post("/v1/transitions", {"name": "Cả nước", "since": "2025-07-01"}, token=self.m_dn),
                         403)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, under=H14), token=self.m_dn), 403)

    def test_bad_input(self):
        before = self.d.get("/v1/transitions", token=self.admin).json()["items"]
        self.assertError(self.d.post("/v1/transitions", {"since": "2025-07-01"}, token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, name=""), token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, since="2025-13-01"), token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, under="abc"), token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, under="000.00.99.H17"), token=self.admin),
                         404)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, colour="đỏ"), token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions", dict(CAMPAIGN, under=H14), token=self.admin), 422,
                         contains="no code closed")
        self.assertEqual(self.d.get("/v1/transitions", token=self.admin).json()["items"], before)
        self.assertError(self.d.get("/v1/transitions/abc", token=self.admin), 404)
        self.assertError(self.d.get("/v1/transitions/99999", token=self.admin), 404)
        self.assertError(self.d.get(f"/v1/transitions/{self.cid}?format=xml", token=self.admin), 400)
        self.assertError(self.d.post("/v1/transitions/99999/probe", None, token=self.admin), 404)
        self.assertError(self.d.get("/v1/transition/stale?since=hom-qua", token=self.admin), 400)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
