#!/usr/bin/env python3
"""Integration test: managers' CSV in and out over HTTP (issue 22),
POST /v1/imports and GET /v1/export, and `lienthong import --dry-run
--upsert`, `lienthong export --format dmdc`, against the real lienthongd.

- A dry run reports every bad row with its line, the file's own column name
  (NgayBanHanhQd, not decision_date), a machine kind, the unit's code and
  name, and writes nothing; its preview names each unit and its parent.
- Insert refuses a unit the registry holds; upsert corrects it, counts rows
  inserted, updated, unchanged and refused, and a second upsert of the same
  file changes nothing.
- A manager imports only inside its subtree (403, the row named, nothing
  written); anonymous, reader and system callers are refused before the body
  is read; a body that is not text/csv, a bad mode or dry_run, a body over
  max_bulk_bytes and a CSV syntax error are refused and change nothing.
- The dmdc export has the shared catalogue's columns and dd/MM/yyyy dates,
  and imports back; under= and as_of= select as the CLI's export does.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import csv
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

H14, H17 = "000.00.00.H14", "000.00.00.H17"
H14_TC = "000.00.03.H14"  # Sở Tài chính tỉnh Cao Bằng
H14_TP = "000.00.04.H14"  # Sở Tư pháp tỉnh Cao Bằng
CSV = {"Content-Type": "text/csv; charset=utf-8"}

DMDC_HEADER = ["MaDinhDanhCap1", "MaDinhDanhCap2", "MaDinhDanhCap3", "MaDinhDanhCap4", "MaDinhDanhCha", "TenDonVi",
               "DiaChi", "Email", "SoDienThoai", "Fax", "Website", "QdBanHanhQdSuaDoi", "NgayBanHanhQd",
               "CoQuanBanHanhQd"]


class Imports(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_imports_")
        cls.d = None
        try:
            cls.admin = cls.reg.token("admin")
            cls.mgr14 = cls.reg.token("manager", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.reader = cls.reg.token("reader")
            cls.system = cls.reg.system_add("QLVB Cao Bằng", H14)["token"]
            cls.d = ltd.Daemon(cls.reg, max_bulk_bytes=65536).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def imp(self, text, token=None, dry_run=None, mode=None, headers=CSV):
        q = []
        if dry_run is not None:
            q.append(f"dry_run={'true' if dry_run else 'false'}")
        if mode:
            q.append(f"mode={mode}")
        path = "/v1/imports" + ("?" + "&".join(q) if q else "")
        body = text.encode("utf-8") if isinstance(text, str) else text
        return self.d.request("POST", path, body=body, token=token or self.mgr14, headers=headers)

    def unit(self, code):
        r = self.d.get(f"/v1/units/{code}")
        return r.json() if r.status == 200 else None

    def test_dry_run_names_the_files_columns_and_writes_nothing(self):
        before = self.reg.export_text()
        text = ("MaDinhDanhCap2,TenDonVi,NgayBanHanhQd,DiaChi\n"
                f"{H14_TC},Sở Tài chính (sửa),31/02/2025,Số 3\n"
                "000.00.61.H14,Sở Thử nghiệm,01/02/2025,\n"
                "000.00.62.H14,,01/02/2025,\n")
        r = self.imp(text, dry_run=True, mode="upsert")
        e = self.assertError(r, 400, "bad_request", "2 of 3 rows are refused")
        rep = r.json()["report"]
        self.assertEqual((rep["dry_run"], rep["mode"], rep["ok"], rep["refused"]), (True, "upsert", False, 2))
        errs = {x["line"]: x for x in rep["errors"]}
        self.assertEqual(sorted(errs), [2, 4], rep)
        self.assertEqual((errs[2]["column"], errs[2]["error"], errs[2]["code"], errs[2]["name"]),
                         ("NgayBanHanhQd", "bad_date", H14_TC, "Sở Tài chính (sửa)"))
        self.assertIn("NgayBanHanhQd", errs[2]["reason"])
        self.assertNotIn("decision_date", errs[2]["reason"])
        self.assertEqual((errs[4]["column"], errs[4]["error"], errs[4]["name"]), ("TenDonVi", "bad_name", None))
        self.assertIn("message", e)
        # The good row is previewed with its name and its parent's.
        self.assertEqual([(i["line"], i["action"], i["code"], i["name"], i["parent_name"]) for i in rep["items"]],
                         [(3, "insert", "000.00.61.H14", "Sở Thử nghiệm", "Ủy ban nhân dân tỉnh Cao Bằng")])
        self.assertEqual(self.reg.export_text(), before)

    def test_insert_refuses_what_exists_upsert_corrects_it(self):
        text = ("code,name,address,decision_date\n"
                f"{H14_TP},Sở Tư pháp tỉnh Cao Bằng (đã sửa),Số 5 Hoàng Đình Giong,14/09/2020\n"
                "000.00.63.H14,Sở Mới Một,,01/10/2026\n")
        r = self.imp(text)
        self.assertError(r, 400, "bad_request")
        errs = r.json()["report"]["errors"]
        self.assertEqual([(x["line"], x["error"], x["column"]) for x in errs], [(2, "exists", "code")])
        self.assertIsNone(self.unit("000.00.63.H14"))

        r = self.imp(text, dry_run=True, mode="upsert")
        self.assertStatus(r, 200)
        rep = r.json()
        self.assertEqual((rep["inserted"], rep["updated"], rep["unchanged"], rep["refused"]), (1, 1, 0, 0))
        upd = [i for i in rep["items"] if i["action"] == "update"][0]
        self.assertEqual((upd["code"], upd["old_name"], upd["changed"]),
                         (H14_TP, "Sở Tư pháp tỉnh Cao Bằng", ["name", "address"]))
        self.assertIsNone(self.unit("000.00.63.H14"))

        r = self.imp(text, mode="upsert", dry_run=False)
        self.assertStatus(r, 200)
        rep = r.json()
        self.assertEqual((rep["ok"], rep["inserted"], rep["updated"], rep["unchanged"], rep["refused"],
                          rep["items"]), (True, 1, 1, 0, 0, None))
        u = self.unit(H14_TP)
        self.assertEqual((u["name"], u["address"]), ("Sở Tư pháp tỉnh Cao Bằng (đã sửa)", "Số 5 Hoàng Đình Giong"))
        self.assertEqual(self.unit("000.00.63.H14")["valid_from"], "2026-10-01")
        found = self.d.get("/v1/units?q=tu+phap+da+sua").json()["items"]
        self.assertEqual([x["code"] for x in found], [H14_TP])

        r = self.imp(text, mode="upsert")
        self.assertStatus(r, 200)
        rep = r.json()
        self.assertEqual((rep["inserted"], rep["updated"], rep["unchanged"]), (0, 0, 2))

    def test_manager_outside_its_subtree_is_refused(self):
        text = "code,name\n000.00.64.H17,Sở ngoài phạm vi\n000.00.65.H14,Sở trong phạm vi\n"
        for dry in (True, False):
            r = self.imp(text, dry_run=dry, mode="upsert")
            self.assertError(r, 403, "forbidden", "outside your scope")
            errs = r.json()["report"]["errors"]
            self.assertEqual([(x["line"], x["error"], x["code"]) for x in errs], [(2, "forbidden", "000.00.64.H17")])
        self.assertIsNone(self.unit("000.00.64.H17"))
        self.assertIsNone(self.unit("000.00.65.H14"))
        # An admin may.
        r = self.imp(text, token=self.admin, dry_run=True)
        self.assertStatus(r, 200)

    def test_callers_who_may_not_import(self):
        text = "code,name\n000.00.66.H14,Sở X\n"
        r = self.d.request("POST", "/v1/imports", body=text.encode(), headers=CSV)
        self.assertError(r, 401, "unauthorized")
        for tok in (self.reader, self.system):
            self.assertError(self.imp(text, token=tok), 403, "forbidden")
        self.assertIsNone(self.unit("000.00.66.H14"))

    def test_bad_requests_change_nothing(self):
        before = self.reg.export_text()
        text = "code,name\n000.00.67.H14,Sở X\n"
        self.assertError(self.imp(text, headers={"Content-Type": "application/json"}), 400, "bad_request",
                         "text/csv")
        self.assertEqual(self.assertError(self.imp(text, mode="replace"), 400, "bad_request")["field"], "mode")
        r = self.d.request("POST", "/v1/imports?dry_run=maybe", body=text.encode(), token=self.mgr14, headers=CSV)
        self.assertEqual(self.assertError(r, 400, "bad_request")["field"], "dry_run")
        self.assertError(self.imp('code,name\n000.00.67.H14,"Sở X\n'), 400, "bad_request", "CSV syntax")
        self.assertError(self.imp("code,ten\n000.00.67.H14,Sở X\n"), 400, "bad_request", "name column")
        big = "code,name\n" + "".join(f"000.{i // 100:02d}.{i % 100:02d}.H14,Đơn vị thử số {i}\n"
                                      for i in range(2000))
        self.assertError(self.imp(big), 413, "too_large")
        self.assertEqual(self.reg.export_text(), before)

    def test_export_csv_and_dmdc(self):
        r = self.d.get(f"/v1/export?format=dmdc&under={H14}")
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        rows = list(csv.reader(io.StringIO(r.text())))
        self.assertEqual(rows[0], DMDC_HEADER)
        top = rows[1]
        self.assertEqual((top[0], top[1], top[4], top[5]), (H14, "", "", "Ủy ban nhân dân tỉnh Cao Bằng"))
        self.assertRegex(top[12], r"^\d\d/\d\d/\d{4}$")
        child = [x for x in rows[1:] if x[1] == H14_TC][0]
        self.assertEqual((child[0], child[4]), ("", H14))
        ours = self.d.get(f"/v1/export?under={H14}").text()
        self.assertEqual(ours, self.reg.export_text("--under", H14))
        self.assertEqual(r.text(), self.reg.export_text("--format", "dmdc", "--under", H14))
        past = self.d.get("/v1/export?format=csv&under=000.00.00.H47&as_of=2025-06-30")
        self.assertStatus(past, 200)
        self.assertEqual(past.text(), self.reg.export_text("--under", "000.00.00.H47", "--as-of", "2025-06-30"))
        self.assertEqual(self.assertError(self.d.get("/v1/export?format=xml"), 400)["field"], "format")
        self.assertError(self.d.get("/v1/export?under=H14"), 400)

    def test_dmdc_export_imports_back(self):
        text = self.d.get(f"/v1/export?format=dmdc&under={H17}").text()
        fresh = ltd.Registry(prefix="lt_test_imports_fresh_", demo=False)
        try:
            path = os.path.join(fresh.dir, "h17.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            fresh.check("import", "--upsert", path)
            mine = {k: (v["name"], v["decision_date"], v["address"]) for k, v in self.reg.export("--under", H17).items()}
            theirs = {k: (v["name"], v["decision_date"], v["address"]) for k, v in fresh.export("--under", H17).items()}
            self.assertEqual(theirs, mine)
        finally:
            fresh.close()

    def test_cli_dry_run_shows_names(self):
        path = os.path.join(self.reg.dir, "cli.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"code,name\n000.00.68.H14,Sở Dùng thử\n{H14_TC},Sở Tài chính tỉnh Cao Bằng\n")
        p = self.reg.run("import", "--dry-run", "--upsert", path)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("line 2: insert 000.00.68.H14 Sở Dùng thử, under 000.00.00.H14 Ủy ban nhân dân tỉnh Cao Bằng",
                      p.stdout)
        self.assertIn("dry run, nothing written: 1 inserted, 0 updated, 1 unchanged", p.stdout)
        self.assertIsNone(self.unit("000.00.68.H14"))
        p = self.reg.run("import", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"line 3: {H14_TC} (Sở Tài chính tỉnh Cao Bằng): duplicate", p.stderr)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
