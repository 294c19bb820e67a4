#!/usr/bin/env python3
"""Change requests against the real daemon (issue 21): a district files a
merge of two of its communes with a draft decision, the province returns it,
the district amends it, the province approves it with the decision; the
requester's refusals; an approval after the registry moved on; a request
late for its decision in the compliance report and on /metrics; each route
refused outside the caller's scope."""
import re
import sys

import ltd

CB = "000.00.00.H14"
TP = ltd.CB_TP  # UBND thành phố Cao Bằng: 4 communes
HG, SH, TG = "000.01.31.H14", "000.02.31.H14", "000.03.31.H14"
OTHER = ltd.CB_Y_TE  # a department of the province, outside the city
DEC = {"number": "88/NQ-UBTVQH", "date": "2026-11-20", "issuer": "Ủy ban Thường vụ Quốc hội", "kind": "nghị quyết"}


class Requests(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry()
        cls.requester = cls.reg.token("requester", TP)
        cls.other_requester = cls.reg.token("requester", OTHER)
        cls.manager = cls.reg.token("manager", CB)
        cls.reader = cls.reg.token("reader")
        cls.d = ltd.Daemon(cls.reg, MAX_REQUEST_FILE_BYTES=4096).start()

    def file(self, body, token=None, status=201):
        r = self.d.post("/v1/requests", body, token=token or self.requester)
        self.assertStatus(r, status)
        return r.json()

    def test_1_merge_story(self):
        d = self.d
        since = d.get("/v1/requests/events?after=0", token=self.manager).json()["last_seq"]
        changes = d.last_seq()
        body = {"kind": "merge", "unit": TP, "reason": "Nghị quyết sắp xếp đơn vị hành chính",
                "reorganized": "2026-11-01",
                "proposal": {"from": [HG, SH], "into": {"parent": TP, "name": "Phường Hợp Giang"}}}
        req = self.file(body)
        rid = req["id"]
        self.assertEqual(req["state"], "submitted")
        self.assertEqual(len(req["dry_run"]["created"]), 1)
        r = d.request("POST", f"/v1/requests/{rid}/files?name=du-thao.pdf", b"%PDF-1.4 du thao",
                      token=self.requester, headers={"Content-Type": "application/pdf"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["n"], 1)
        r = d.get(f"/v1/requests/{rid}/files/1", token=self.manager)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"%PDF-1.4 du thao")
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        # The manager's queue holds it.
        q = d.get(f"/v1/requests?state=submitted&under={TP}", token=self.manager).json()["items"]
        self.assertIn(rid, [x["id"] for x in q])
        self.assertStatus(d.post(f"/v1/requests/{rid}/return", {"comment": "Tên phường mới chưa đúng"},
                                 token=self.manager), 200)
        amended = {"proposal": {"from": [HG, SH], "into": {"parent": TP, "name": "Phường Thục Phán"}}}
        r = d.patch(f"/v1/requests/{rid}", amended, token=self.requester)
        self.assertStatus(r, 200)
        self.assertStatus(d.post(f"/v1/requests/{rid}/submit", None, token=self.requester), 200)
        r = d.request("POST", f"/v1/requests/{rid}/files?name=nghi-quyet.pdf", b"%PDF-1.4 nghi quyet",
                      token=self.manager, headers={"Content-Type": "application/pdf"})
        self.assertStatus(r, 201)
        n = r.json()["n"]
        r = d.post(f"/v1/requests/{rid}/approve", {"decision": DEC, "file": n}, token=self.manager)
        self.assertStatus(r, 200)
        new = r.json()["result"]["created"][0]
        unit = d.get(f"/v1/units/{new}").json()
        self.assertEqual(unit["name"], "Phường Thục Phán")
        self.assertEqual(unit["decision"]["number"], DEC["number"])
        self.assertEqual(d.get(f"/v1/units/{HG}").json()["status"], "closed")
        full = d.get(f"/v1/requests/{rid}", token=self.requester).json()
        self.assertEqual([h["kind"] for h in full["history"]],
                         ["filed", "file", "returned", "amended", "submitted", "file", "applied"])
        self.assertEqual(full["decision"]["kind"], "nghị quyết")
        self.assertEqual([f["role"] for f in full["files"]], ["attachment", "decision"])
        self.assertEqual(full["comments"][0]["comment"], "Tên phường mới chưa đúng")
        feed = d.get(f"/v1/changes?after={changes}").json()["items"]
        self.assertIn("merge", [e["kind"] for e in feed])
        ev = d.get(f"/v1/requests/events?after={since}", token=self.requester).json()
        mine = [e for e in ev["items"] if e["request"] == rid]
        self.assertEqual([e["kind"] for e in mine], [h["kind"] for h in full["history"]])
        seqs = [e["seq"] for e in ev["items"]]
        self.assertEqual(seqs, list(range(since + 1, since + 1 + len(seqs))))

    def test_2_requester_refusals(self):
        d = self.d
        r = d.patch(f"/v1/units/{TG}", {"phone": "0206 3852 111"}, token=self.requester)
        self.assertError(r, 403)
        r = d.post("/v1/units", {"parent": TP, "name": "Phường Mới", "decision": ltd.DECISION},
                   token=self.requester)
        self.assertError(r, 403)
        r = d.post("/v1/requests", {"kind": "rename", "unit": OTHER, "proposal": {"name": "Sở Y tế mới"},
                                    "reason": "x"}, token=self.requester)
        self.assertError(r, 403)
        req = self.file({"kind": "rename", "unit": TG, "proposal": {"name": "Phường Tân Giang Mới"}, "reason": "x"})
        rid = req["id"]
        self.assertError(d.post(f"/v1/requests/{rid}/approve", {"decision": DEC}, token=self.requester), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/return", {"comment": "x"}, token=self.requester), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/reject", {"reason": "x"}, token=self.requester), 403)
        # Contact data: applied at once, recorded as a request.
        req = self.file({"kind": "update", "unit": TG, "proposal": {"phone": "0206 3852 777"}})
        self.assertEqual(req["state"], "applied")
        self.assertEqual(d.get(f"/v1/units/{TG}").json()["phone"], "0206 3852 777")
        # A proposal that could never apply is refused with the reason.
        r = d.post("/v1/requests", {"kind": "dissolve", "unit": TP, "proposal": {"from": [TP]}, "reason": "x"},
                   token=self.requester)
        self.assertError(r, 422, contains="active child")
        r = d.post("/v1/requests", {"kind": "rename", "unit": TG, "proposal": {"name": "X", "colour": 1},
                                    "reason": "x"}, token=self.requester)
        self.assertError(r, 400)

    def test_3_out_of_scope_on_every_route(self):
        d = self.d
        rid = self.file({"kind": "rename", "unit": TG, "proposal": {"name": "Phường Tân Giang Hai"},
                         "reason": "x"})["id"]
        o = self.other_requester
        self.assertError(d.get(f"/v1/requests/{rid}", token=o), 403)
        self.assertNotIn(rid, [x["id"] for x in d.get("/v1/requests", token=o).json()["items"]])
        self.assertNotIn(rid, [e["request"] for e in d.get("/v1/requests/events", token=o).json()["items"]])
        self.assertError(d.patch(f"/v1/requests/{rid}", {"reason": "y"}, token=o), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/submit", None, token=o), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/comment", {"comment": "y"}, token=o), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/return", {"comment": "y"}, token=o), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/reject", {"reason": "y"}, token=o), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/approve", {"decision": DEC}, token=o), 403)
        r = d.request("POST", f"/v1/requests/{rid}/files?name=a.pdf", b"x", token=o,
                      headers={"Content-Type": "application/pdf"})
        self.assertError(r, 403)
        self.assertError(d.get(f"/v1/requests/{rid}/files/1", token=o), 403)
        self.assertError(d.get("/v1/requests", token=self.reader), 403)
        self.assertError(d.get("/v1/requests"), 401)
        self.assertError(d.post("/v1/requests", {"kind": "rename", "unit": TG, "proposal": {"name": "Y"}}), 401)
        r = d.request("POST", f"/v1/requests/{rid}/files?name=big.bin", b"x" * 5000, token=self.requester,
                      headers={"Content-Type": "application/octet-stream"})
        self.assertError(r, 413)
        # The manager who filed a request does not approve it.
        own = self.file({"kind": "rename", "unit": TG, "proposal": {"name": "Phường Tân Giang Ba"}, "reason": "x"},
                        token=self.manager)["id"]
        self.assertError(d.post(f"/v1/requests/{own}/approve", {"decision": DEC}, token=self.manager), 403)

    def test_4_registry_moved_on(self):
        d = self.d
        unit = "000.04.31.H14"
        rid = self.file({"kind": "rename", "unit": unit, "proposal": {"name": "Phường Hưng Đạo"},
                         "reason": "lên phường"})["id"]
        r = d.patch(f"/v1/units/{unit}", {"name": "Xã Hưng Đạo (mới)", "decision": ltd.DECISION},
                    token=self.manager)
        self.assertStatus(r, 200)
        r = d.post(f"/v1/requests/{rid}/approve", {"decision": DEC}, token=self.manager)
        self.assertError(r, 409, contains="renamed")
        self.assertEqual(d.get(f"/v1/requests/{rid}", token=self.manager).json()["state"], "submitted")
        self.assertEqual(d.get(f"/v1/units/{unit}").json()["name"], "Xã Hưng Đạo (mới)")

    def test_5_system_files_for_its_own_codes(self):
        d = self.d
        sys_token = self.reg.system_add("QLVB phường Tân Giang", TG)["token"]
        r = d.post("/v1/requests", {"kind": "update", "unit": TG, "proposal": {"email": "vanthu@tangiang.gov.vn"}},
                   token=sys_token)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["state"], "applied")
        rid = self.file({"kind": "rename", "unit": TG, "proposal": {"name": "Phường Tân Giang Bốn"}, "reason": "x"},
                        token=sys_token)["id"]
        self.assertStatus(d.get(f"/v1/requests/{rid}", token=sys_token), 200)
        self.assertError(d.post("/v1/requests", {"kind": "rename", "unit": HG, "proposal": {"name": "X"},
                                                 "reason": "x"}, token=sys_token), 403)
        self.assertError(d.post(f"/v1/requests/{rid}/approve", {"decision": DEC}, token=sys_token), 403)

    def test_6_late_decision_in_compliance_and_metrics(self):
        d = self.d
        rid = self.file({"kind": "rename", "unit": "000.00.04.H14", "proposal": {"name": "Sở Tư pháp Cao Bằng"},
                         "reason": "x", "reorganized": ltd.TODAY}, token=self.manager)["id"]

        def late():
            items = d.get("/v1/reports/compliance").json()["items"]
            return [f for f in items if f["kind"] == "request_late_decision"]

        def gauge():
            m = re.search(r'^lienthong_requests_overdue\{deadline="decision"\} (\d+)$', d.get("/metrics").text(), re.M)
            return int(m.group(1))

        self.assertNotIn(rid, [f["request"] for f in late()])
        self.assertEqual(gauge(), len(late()))
        # 31 days later, the same database.
        self.assertEqual(d.stop(), 0)
        d = type(self).d = ltd.Daemon(self.reg, TODAY="2026-12-24").start()
        mine = [f for f in late() if f["request"] == rid]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["days"], 31)
        self.assertEqual(mine[0]["agency"], "H14")
        self.assertEqual(gauge(), len(late()))
        self.assertGreaterEqual(gauge(), 1)
        r = d.get(f"/v1/requests/{rid}", token=self.manager).json()
        self.assertEqual(r["deadlines"]["decision_due"], "2026-12-23")

if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
