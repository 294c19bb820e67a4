#!/usr/bin/env python3
"""Integration test: the shared-catalogue API of lienthongd (formats.md §3.6;
issue 5, acceptance 4), against the real daemon on the demo database.

GET /dmdc/Metadata/qlvanbandieuhanhcap1..4 gives the schema
[{"PropertyCode","PropertyName","PropertyType"}]; GET /dmdc/Category/...cap1
returns every active level-1 unit of the demo data (data/level1.csv less
Quảng Nam 000.00.00.H47, closed by the merger; Đà Nẵng present) under the
documented field names, with the same values as `lienthong export` and
NgayBanHanhQd as dd/MM/yyyy; cap2..4 likewise, with MaDinhDanhCha. POST
adds records: {"MSG":"Done","Count":n}, or {"MSG":"Data not insert:
Record k: …","Count":0} and nothing written (a duplicate, a record outside
the manager's subtree, a bad record among good ones). Unknown categories are
404; a POST without a token is 401, with a reader token 403.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import csv
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB, DN, QN  # noqa: E402

COMMON = ["TenDonVi", "DiaChi", "Email", "SoDienThoai", "Fax", "Website", "QdBanHanhQdSuaDoi", "NgayBanHanhQd",
          "CoQuanBanHanhQd"]
# Record field -> export column.
EXPORT_OF = {"TenDonVi": "name", "DiaChi": "address", "Email": "email", "SoDienThoai": "phone", "Fax": "fax",
             "Website": "website", "QdBanHanhQdSuaDoi": "decision_number", "CoQuanBanHanhQd": "decision_issuer"}


def fields(level):
    return [f"MaDinhDanhCap{level}"] + (["MaDinhDanhCha"] if level > 1 else []) + COMMON


def dmy(iso):
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}" if iso else ""


def level_of(code):
    return 4 - [g.strip("0") == "" for g in code.split(".")[:3]].count(True)


class Dmdc(ltd.DaemonTest):

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_daemon_dmdc_")
        try:
            cls.mgr = cls.reg.token("manager", scope=CB, name="Cao Bằng")
            cls.admin = cls.reg.token("admin")
            cls.reader = cls.reg.token("reader")
            cls.d = ltd.Daemon(cls.reg).start()
        except Exception:
            cls.reg.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.reg.close()

    def category(self, level, **kw):
        r = self.d.get(f"/dmdc/Category/qlvanbandieuhanhcap{level}", **kw)
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        recs = r.json()
        self.assertIsInstance(recs, list)
        return recs

    def post(self, level, records, token=None):
        return self.d.post(f"/dmdc/Category/qlvanbandieuhanhcap{level}", records, token=token)

    def assertNotInserted(self, r, contains=(), statuses=(200, 400, 403, 409, 422)):
        self.assertStatus(r, statuses)
        res = r.json()
        self.assertEqual(set(res), {"MSG", "Count"}, res)
        self.assertEqual(res["Count"], 0, res)
        self.assertTrue(res["MSG"].startswith("Data not insert"), res)
        for c in contains:
            self.assertIn(c, res["MSG"])
        return res

    def test_metadata(self):
        for level in (1, 2, 3, 4):
            r = self.d.get(f"/dmdc/Metadata/qlvanbandieuhanhcap{level}")
            self.assertStatus(r, 200, level)
            meta = r.json()
            self.assertIsInstance(meta, list)
            for m in meta:
                self.assertEqual(set(m), {"PropertyCode", "PropertyName", "PropertyType"}, m)
                self.assertTrue(m["PropertyName"].strip(), m)
            codes = [m["PropertyCode"] for m in meta]
            self.assertEqual(codes, fields(level), f"cap{level}")
            types = {m["PropertyCode"]: m["PropertyType"] for m in meta}
            self.assertEqual(types.pop("NgayBanHanhQd"), "DateTime")
            self.assertEqual(set(types.values()), {"String"})

    def test_level1_category_is_the_demo_level1_table(self):
        recs = self.category(1)
        export = self.reg.export()
        with open(os.path.join(ltd.DATA_DIR, "level1.csv"), encoding="utf-8") as f:
            table = [row["code"] for row in csv.DictReader(f)]
        by_code = {}
        for rec in recs:
            self.assertEqual(list(rec), fields(1), f"documented field names, in order: {rec}")
            for k, v in rec.items():
                self.assertIsInstance(v, str, f"{k} of {rec}")
            self.assertNotIn(rec["MaDinhDanhCap1"], by_code, "each unit once")
            by_code[rec["MaDinhDanhCap1"]] = rec
        self.assertNotIn(QN, by_code, "Quảng Nam is closed after the merger")
        self.assertIn(DN, by_code)
        # Those the 2025 reforms closed (Quảng Nam's among them) are not in it.
        closed = {u["code"] for u in self.d.get("/v1/units?level=1&status=closed&limit=500").json()["items"]}
        self.assertTrue({QN, "000.00.00.K47", "000.00.00.A47", "000.00.00.G05"} <= closed)
        self.assertEqual(set(by_code), set(table) - closed, "every active level-1 unit of data/level1.csv")
        self.assertEqual(set(by_code), {c for c in export if c.startswith("000.00.00.")})
        for code, rec in by_code.items():
            row = export[code]
            for field, col in EXPORT_OF.items():
                self.assertEqual(rec[field], row[col], f"{code} {field}")
            self.assertRegex(rec["NgayBanHanhQd"], r"^\d{2}/\d{2}/\d{4}$", code)
            self.assertEqual(rec["NgayBanHanhQd"], dmy(row["decision_date"]), code)
        self.assertEqual(by_code["000.00.00.H14"]["TenDonVi"], "Ủy ban nhân dân tỉnh Cao Bằng")
        self.assertEqual(by_code["000.00.00.B01"]["NgayBanHanhQd"], "22/07/2020")

    def test_lower_level_categories(self):
        export = self.reg.export()
        for level in (2, 3, 4):
            recs = self.category(level)
            codes = set()
            for rec in recs:
                self.assertEqual(list(rec), fields(level), f"cap{level}: {rec}")
                code = rec[f"MaDinhDanhCap{level}"]
                self.assertEqual(level_of(code), level, code)
                row = export.get(code)
                self.assertIsNotNone(row, f"{code} is not an active unit")
                self.assertEqual(rec["MaDinhDanhCha"], row["parent"], code)
                for field, col in EXPORT_OF.items():
                    self.assertEqual(rec[field], row[col], f"{code} {field}")
                self.assertEqual(rec["NgayBanHanhQd"], dmy(row["decision_date"]), code)
                codes.add(code)
            self.assertEqual(len(codes), len(recs), f"cap{level}: each unit once")
            want = {c for c in export if level_of(c) == level}
            self.assertEqual(codes, want, f"cap{level}: every active level-{level} unit")
            self.assertTrue(codes, f"the demo has level-{level} units")
            self.assertFalse([c for c in codes if c.endswith(".H47")], "nothing of Quảng Nam is active")

    def test_post_new_record_then_duplicate(self):
        seq = self.d.last_seq()
        code = "000.00.41.H14"
        rec = {"MaDinhDanhCap2": code, "MaDinhDanhCha": CB,
               "TenDonVi": "Ban Quản lý Khu kinh tế tỉnh Cao Bằng",
               "DiaChi": "Số 5 Hoàng Đình Giong, phường Hợp Giang, thành phố Cao Bằng",
               "Email": "bqlkkt@caobang.gov.vn",
               "SoDienThoai": "0206 3 858 000", "Fax": "", "Website": "bqlkkt.caobang.gov.vn",
               "QdBanHanhQdSuaDoi": "1220/QĐ-UBND", "NgayBanHanhQd": "16/08/2018",
               "CoQuanBanHanhQd": "Ủy ban nhân dân tỉnh Cao Bằng"}
        r = self.post(2, [rec], token=self.mgr)
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"MSG": "Done", "Count": 1})
        got = [x for x in self.category(2) if x["MaDinhDanhCap2"] == code]
        self.assertEqual(got, [rec], "GET gives back what was posted")
        u = self.d.get(f"/v1/units/{code}").json()
        self.assertEqual((u["name"], u["parent"], u["status"]), (rec["TenDonVi"], CB, "active"))
        self.assertEqual(u["decision"], {"number": "1220/QĐ-UBND", "date": "2018-08-16",
                                         "issuer": "Ủy ban nhân dân tỉnh Cao Bằng"})
        self.assertGreater(self.d.last_seq(), seq, "the feed has the new unit")
        seq = self.d.last_seq()
        # The same record again: refused, naming it; nothing written.
        res = self.assertNotInserted(self.post(2, [rec], token=self.mgr), ("Record 1", code))
        self.assertIn("duplicate", res["MSG"].lower())
        # A good record before a duplicate: all or nothing.
        good = {**rec, "MaDinhDanhCap2": "000.00.42.H14", "TenDonVi": "Ban Dân tộc tỉnh Cao Bằng"}
        self.assertNotInserted(self.post(2, [good, rec], token=self.mgr), ("Record 2", code))
        self.assertNotIn("000.00.42.H14", [x["MaDinhDanhCap2"] for x in self.category(2)])
        self.assertEqual(self.d.last_seq(), seq, "refused posts write nothing")

    def test_post_refusals(self):
        seq = self.d.last_seq()
        base = {"TenDonVi": "Ban X", "QdBanHanhQdSuaDoi": "1/QĐ", "NgayBanHanhQd": "01/02/2026",
                "CoQuanBanHanhQd": "UBND"}
        # Outside the manager's subtree.
        r = self.post(2, [{**base, "MaDinhDanhCap2": "000.00.43.H17", "MaDinhDanhCha": DN}], token=self.mgr)
        self.assertNotInserted(r, ("Record 1",), statuses=(403,))
        # A code of another level, a malformed one, a bad date, a parent that
        # does not fit the code, a closed parent.
        for rec in ({**base, "MaDinhDanhCap2": "000.01.05.H14"}, {**base, "MaDinhDanhCap2": "000.00.43.h14"},
                    {**base, "MaDinhDanhCap2": "000.00.43.H14", "NgayBanHanhQd": "2026-31-12"},
                    {**base, "MaDinhDanhCap2": "000.00.43.H14", "NgayBanHanhQd": "31/02/2026"},
                    {**base, "MaDinhDanhCap2": "000.00.43.H14", "MaDinhDanhCha": DN},
                    {**base, "MaDinhDanhCap2": "000.00.43.H47", "MaDinhDanhCha": QN},
                    {**base, "MaDinhDanhCap2": "000.00.43.H14", "TenDonVi": ""},
                    {**base, "MaDinhDanhCap2": "000.00.43.H14", "MaDinhDanhCap1": CB}):
            self.assertNotInserted(self.post(2, [rec], token=self.admin), ("Record 1",), statuses=(400, 403, 409, 422))
        # Without its decision, or part of it.
        for key in ("QdBanHanhQdSuaDoi", "NgayBanHanhQd", "CoQuanBanHanhQd"):
            rec = {**base, "MaDinhDanhCap2": "000.00.43.H14", "MaDinhDanhCha": CB}
            del rec[key]
            res = self.assertNotInserted(self.post(2, [rec], token=self.admin), ("Record 1", key), statuses=(400,))
            self.assertIn("required", res["MSG"])
            rec[key] = ""
            self.assertNotInserted(self.post(2, [rec], token=self.admin), ("Record 1", key), statuses=(400,))
        # A refusal listing many records with Vietnamese names is cut at a
        # whole character: the reply is still JSON.
        many = [{**base, "MaDinhDanhCap2": f"000.00.{n:02d}.H14", "MaDinhDanhCha": CB,
                 "TenDonVi": "Ủy ban nhân dân phường Hợp Giang " * 3} for n in range(1, 30)]
        res = self.assertNotInserted(self.post(2, many, token=self.admin), ("Record 1",), statuses=(400, 409, 422))
        self.assertTrue(res["MSG"])
        self.assertNotInserted(self.post(2, [], token=self.admin), statuses=(400,))
        self.assertNotInserted(self.post(2, {"MaDinhDanhCap2": "000.00.43.H14"}, token=self.admin), statuses=(400,))
        # Credentials.
        rec = {**base, "MaDinhDanhCap2": "000.00.43.H14", "MaDinhDanhCha": CB}
        r = self.post(2, [rec])
        self.assertStatus(r, 401)
        self.assertIn("Bearer", r.header("WWW-Authenticate") or "")
        self.assertStatus(self.post(2, [rec], token="lt_notavalidtokenatall_0000000000000000000"), 401)
        self.assertStatus(self.post(2, [rec], token=self.reader), 403)
        self.assertEqual(self.d.last_seq(), seq, "refused posts write nothing")
        self.assertNotIn("000.00.43.H14", [x["MaDinhDanhCap2"] for x in self.category(2)])

    def test_unknown_categories(self):
        for cat in ("madantoc", "donvihanhchinhcap1", "qlvanbandieuhanhcap0", "qlvanbandieuhanhcap5",
                    "qlvanbandieuhanhcap1x", "qlvanbandieuhanhcap", "QLVANBANDIEUHANHCAP1"):
            self.assertError(self.d.get(f"/dmdc/Metadata/{cat}"), 404, "not_found", msg=cat)
            self.assertError(self.d.get(f"/dmdc/Category/{cat}"), 404, "not_found", msg=cat)
            r = self.d.post(f"/dmdc/Category/{cat}", [{"x": "y"}], token=self.admin)
            self.assertStatus(r, 404, cat)
        self.assertError(self.d.get("/dmdc/Category"), 404)
        self.assertError(self.d.get("/dmdc/Category/qlvanbandieuhanhcap1/x"), 404)
        r = self.d.request("DELETE", "/dmdc/Category/qlvanbandieuhanhcap1", token=self.admin)
        self.assertError(r, 405)
        self.assertEqual({m.strip() for m in (r.header("Allow") or "").split(",")}, {"GET", "POST"})
        r = self.d.post("/dmdc/Metadata/qlvanbandieuhanhcap1", [], token=self.admin)
        self.assertError(r, 405)

    def test_zz_sigterm_exits_0(self):
        ltd.assert_clean_stop(self, self.d)

    def test_dates_are_day_month_year(self):
        for level in (1, 2, 3, 4):
            for rec in self.category(level):
                v = rec["NgayBanHanhQd"]
                self.assertTrue(v == "" or re.match(r"^(0[1-9]|[12]\d|3[01])/(0[1-9]|1[0-2])/(19|20)\d{2}$", v),
                                f"cap{level} {rec[f'MaDinhDanhCap{level}']}: {v!r}")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
