#!/usr/bin/env python3
"""Organisations outside the state tree against the real daemon (issue 21):
an enterprise 0101234567 and its branch 0101234567-001 are held as
references, found by search (HTTP and CLI), and receive a document through
the system bound to them; a malformed enterprise code is a 400, and only an
admin or a manager adds one."""
import json
import sys

import ltd
import ltpkg
import ltx
from ltx import G22

ENT, BRANCH = "0101234567", "0101234567-001"


class Organizations(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_orgs_")
        cls.admin = cls.reg.token("admin")
        cls.manager = cls.reg.token("manager", "000.00.00.H14")
        cls.reader = cls.reg.token("reader")
        cls.requester = cls.reg.token("requester", "000.00.00.H14")
        cls.g22 = cls.reg.system_add("Văn phòng Chính phủ", G22)["token"]
        cls.d = ltd.Daemon(cls.reg).start()
        d = cls.d
        r = d.post("/v1/organizations", {"code": ENT, "name": "Công ty Cổ phần Thương mại Hà Nội",
                                         "email": "vanthu@thuongmaihn.vn"}, token=cls.admin)
        assert r.status == 201, r
        r = d.post("/v1/organizations", {"code": BRANCH, "name": "Chi nhánh Công ty Cổ phần Thương mại Hà Nội tại "
                                                                 "Cao Bằng"}, token=cls.manager)
        assert r.status == 201, r

    def test_held_with_source_and_status(self):
        o = self.d.get(f"/v1/organizations/{BRANCH}").json()
        self.assertEqual(o["kind"], "dependent")
        self.assertEqual(o["parent"], ENT)
        self.assertEqual(o["status"], "active")
        self.assertIn("đăng ký doanh nghiệp", o["source"])

    def test_found_by_search(self):
        items = self.d.get(f"/v1/organizations?q={ENT}").json()["items"]
        self.assertEqual([o["code"] for o in items], [ENT, BRANCH])
        items = self.d.get("/v1/organizations?q=thuong+mai+ha+noi").json()["items"]
        self.assertEqual([o["code"] for o in items], [ENT, BRANCH])
        items = self.d.get("/v1/organizations?q=chi+nhanh").json()["items"]
        self.assertEqual([o["code"] for o in items], [BRANCH])
        out = json.loads(self.reg.check("org", "search", ENT, "--json"))
        self.assertEqual([o["code"] for o in out], [ENT, BRANCH])
        self.assertIn("dependent", self.reg.check("org", "show", BRANCH))

    def test_refusals(self):
        d = self.d
        for bad in ("010123456", "0101234567-000", "0101234567-01", "000.00.00.H14", "01012345678"):
            with self.subTest(code=bad):
                self.assertError(d.post("/v1/organizations", {"code": bad, "name": "X"}, token=self.admin), 400)
        self.assertError(d.post("/v1/organizations", {"code": ENT, "name": "X"}, token=self.admin), 409)
        self.assertError(d.post("/v1/organizations", {"code": "0109999999-002", "name": "X"}, token=self.admin), 422)
        for tok, status in ((self.reader, 403), (self.requester, 403), (self.g22, 403), (None, 401)):
            self.assertError(d.post("/v1/organizations", {"code": "0105555555", "name": "X"}, token=tok), status)
        self.assertError(d.get("/v1/organizations/0101234567-9"), 400)
        self.assertError(d.get("/v1/organizations/0107777777"), 404)
        p = self.reg.run("org", "add", "12345", "--name", "X")
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertError(d.post("/v1/systems", {"name": "Giả mạo", "codes": [ENT]}, token=self.requester), 403)

    def test_receives_through_bound_system(self):
        d = self.d
        r = d.post("/v1/systems", {"name": "Phần mềm văn thư Công ty Thương mại", "codes": [ENT, BRANCH]},
                   token=self.admin)
        self.assertStatus(r, 201)
        tok = r.json()["token"]
        data, docid = ltpkg.edoc(G22, [BRANCH], number="77", subject="Gửi doanh nghiệp")
        r = ltx.send(d, self.g22, data)
        self.assertStatus(r, 201)
        hub_id = r.json()["id"]
        inbox = ltx.inbox_all(d, tok)
        self.assertIn(hub_id, [i.get("id") for i in inbox])
        self.assertStatus(d.get(f"/v1/documents/{hub_id}", token=tok), 200)
        # An organisation the registry does not hold is refused for itself.
        data, _ = ltpkg.edoc(G22, ["0108888888"], number="78")
        self.assertError(ltx.send(d, self.g22, data), 422, contains="0108888888 is not an organisation held")

    def test_a_manager_does_not_connect_an_organisation(self):
        """An organisation lies in no manager's subtree: a manager of Cao Bằng
        registering a system for a Hà Nội enterprise would receive its own
        copy of every document addressed to it (and claim those waiting for a
        system). Only an admin connects an organisation; a manager still adds
        one to the registry."""
        d = self.d
        e = self.assertError(d.post("/v1/systems", {"name": "Giả mạo", "codes": [ENT]}, token=self.manager), 403)
        self.assertIn(ENT, e["message"])
        e = self.assertError(d.post("/v1/systems", {"name": "Giả mạo", "codes": ["000.00.04.H14", BRANCH]},
                                    token=self.manager), 403)
        names = [s["name"] for s in d.get("/v1/systems", token=self.admin).json()["items"]]
        self.assertNotIn("Giả mạo", names)

if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
