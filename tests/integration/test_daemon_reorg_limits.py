"""POST /v1/reorganizations over HTTP takes as many units as the registry
allows (1000 in `from`), not a smaller limit of its own (the handler once
refused more than 100), and the rules of each kind are the registry's: a
move keeps its name, whichever front sends it.

The units come from one POST /dmdc/Category/qlvanbandieuhanhcap4 of 1000
records, which also shows the records' rules hold in the library: a
manager's records outside its subtree are refused by record number.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB, DECISION, DN  # noqa: E402


def record4(code, parent, name):
    return {"MaDinhDanhCap4": code, "MaDinhDanhCha": parent, "TenDonVi": name,
            "QdBanHanhQdSuaDoi": "55/QĐ-UBND", "NgayBanHanhQd": "02/11/2026", "CoQuanBanHanhQd": "UBND TP Đà Nẵng"}


class ReorgLimits(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_reorg_limits_")
        try:
            cls.admin = cls.reg.token("admin")
            cls.mgr_cb = cls.reg.token("manager", scope=CB, name="Cao Bằng")
            cls.d = ltd.Daemon(cls.reg).start()
        except Exception:
            cls.reg.close()
            raise

    def issue(self, parent, name):
        r = self.d.post("/v1/units", {"parent": parent, "name": name, "decision": DECISION}, token=self.admin)
        self.assertStatus(r, 201)
        return r.json()["code"]

    def test_1000_sources_accepted(self):
        ban = self.issue(DN, "Ban Quản lý thử nghiệm")
        groups = [self.issue(ban, f"Phòng thử nghiệm {i}") for i in (1, 2)]
        codes, records = [], []
        for g in groups:
            for n in range(1, 501):
                code = f"{n:03d}{g[3:]}"
                codes.append(code)
                records.append(record4(code, g, f"Tổ {n} của {g}"))
        # A manager of another province cannot add them; nothing is written.
        before = self.d.last_seq()
        r = self.d.post("/dmdc/Category/qlvanbandieuhanhcap4", records, token=self.mgr_cb)
        self.assertStatus(r, 403)
        self.assertIn("Record 1:", r.json()["MSG"])
        self.assertEqual(self.d.last_seq(), before)
        r = self.d.post("/dmdc/Category/qlvanbandieuhanhcap4", records, token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"MSG": "Done", "Count": 1000})

        dissolve = {"kind": "dissolve", "decision": DECISION, "effective": ltd.TODAY}
        before = self.d.last_seq()
        for n in (101, 1000):
            r = self.d.post("/v1/reorganizations", {**dissolve, "from": codes[:n], "dry_run": True}, token=self.admin)
            self.assertStatus(r, 200, f"a dry run naming {n} units")
            self.assertEqual(len(r.json()["closed"]), n)
        r = self.d.post("/v1/reorganizations", {**dissolve, "from": codes + [groups[0]], "dry_run": True},
                        token=self.admin)
        self.assertError(r, 400, "bad_request", contains="1 to 1000")
        self.assertEqual(self.d.last_seq(), before, "dry runs and refusals write nothing")
        r = self.d.post("/v1/reorganizations", {**dissolve, "from": codes[:101]}, token=self.admin)
        self.assertStatus(r, 201)
        self.assertEqual(sorted(r.json()["closed"]), sorted(codes[:101]))
        r = self.d.post("/v1/reorganizations", {**dissolve, "from": codes[101:]}, token=self.admin)
        self.assertStatus(r, 201)
        self.assertEqual(len(r.json()["closed"]), 899)

    def test_move_keeps_its_name(self):
        unit = self.issue(DN, "Ban sẽ chuyển")
        target = self.issue(DN, "Ban nhận")
        before = self.d.last_seq()
        r = self.d.post("/v1/reorganizations", {"kind": "move", "decision": DECISION, "from": [unit],
                                                "into": {"parent": target, "name": "Tên khác"}}, token=self.admin)
        self.assertError(r, 400, "bad_request", contains="a move keeps the unit's name")
        self.assertEqual(self.d.last_seq(), before)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
