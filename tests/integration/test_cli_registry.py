#!/usr/bin/env python3
"""Integration test: the registry commands of the CLI (init, import, export,
unit ..., report compliance), driven as a user would, on a fresh database per
test made by `lienthong init --demo`.

The demo applies the real 2025 merger of Quảng Nam (000.00.00.H47) into
Đà Nẵng (000.00.00.H17), effective 2025-07-01, as one plan: each department
merged into its counterpart, the committees and the councils pairwise, the
rest moved; several tests check it is visible through show, resolve,
history, children, search and as-of reads.
Every refusal must leave `lienthong export` byte-identical, and so must
every --dry-run.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# Absolute, because every command runs in its own scratch directory.
SOURCE_DIR = os.path.abspath(os.environ.get("LT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.path.abspath(os.environ.get("LT_BUILD_DIR") or os.path.join(SOURCE_DIR, "build"))
CLI = os.path.join(BUILD_DIR, "lienthong")
DATA_DIR = os.path.join(SOURCE_DIR, "data")

QN, DN = "000.00.00.H47", "000.00.00.H17"  # Quảng Nam, Đà Nẵng
CB = "000.00.00.H14"  # Cao Bằng
QN_NOI_VU = "000.00.02.H47"  # Sở Nội vụ tỉnh Quảng Nam
DN_NOI_VU = "000.00.02.H17"  # Sở Nội vụ thành phố Đà Nẵng, which it merged into
QN_TAM_KY = "000.00.21.H47"  # UBND thành phố Tam Kỳ
QN_AN_MY = "000.01.21.H47"  # UBND phường An Mỹ (under Tam Kỳ)
CB_Y_TE = "000.00.05.H14"  # Sở Y tế: has a level-3 and a level-4 unit below
CB_TTYT = "000.01.05.H14"  # Trung tâm Y tế thành phố Cao Bằng (level 3)
CB_TYT = "001.01.05.H14"  # Trạm Y tế phường Hợp Giang (level 4)
CB_TP = "000.00.31.H14"  # UBND thành phố Cao Bằng (4 communes)
CB_BAO_LAC = "000.00.32.H14"  # UBND huyện Bảo Lạc (3 communes)
CB_HA_QUANG = "000.00.33.H14"  # UBND huyện Hà Quảng (3 communes)
CB_HOA_AN = "000.00.35.H14"  # UBND huyện Hòa An (2 communes)
CB_TU_PHAP = "000.00.04.H14"  # Sở Tư pháp (no children)

DECISION = ["--decision-number", "1234/QĐ-UBND", "--decision-date", "2024-05-02",
            "--decision-issuer", "Ủy ban nhân dân tỉnh Cao Bằng"]


def clean_env(**extra):
    """The caller's environment without any LIENTHONG_* override, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(extra)
    return env


def detail(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


class Registry:
    """A scratch directory with its own database, optionally initialised."""

    def __init__(self, demo=True):
        self.tmp = tempfile.TemporaryDirectory(prefix="lt_test_cli_registry_")
        self.dir = self.tmp.name
        self.db = os.path.join(self.dir, "var", "lienthong.db")
        self.env = clean_env(LIENTHONG_DB=self.db, LIENTHONG_DATA=DATA_DIR)
        if demo is not None:
            p = self.run(*(["init", "--demo"] if demo else ["init"]))
            if p.returncode != 0:
                self.close()
                raise AssertionError("init failed:\n" + detail(p))

    def close(self):
        self.tmp.cleanup()

    def run(self, *args, env=None, cwd=None):
        return subprocess.run([CLI, *args], cwd=cwd or self.dir, env=env or self.env, capture_output=True,
                              encoding="utf-8", errors="replace", timeout=60)

    def json(self, *args):
        p = self.run("--json", *args)
        if p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{detail(p)}")
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"--json output is not JSON ({e}):\n{detail(p)}")

    def export(self, *args):
        p = subprocess.run([CLI, "export", *args], cwd=self.dir, env=self.env, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"export failed: {p.returncode} {p.stderr!r}")
        return p.stdout

    def show(self, code, *args):
        return self.json("unit", "show", code, *args)

    def resolve(self, code):
        return self.json("unit", "resolve", code)["current"]


class RegistryTest(unittest.TestCase):
    demo = True

    def setUp(self):
        self.r = Registry(demo=self.demo)

    def tearDown(self):
        self.r.close()

    def assertExit(self, p, code, msg=""):
        self.assertEqual(p.returncode, code, f"{msg}\n{detail(p)}")

    def assertRefused(self, args, code=1, contains=None):
        """Runs args, expects exit code `code` and an unchanged export."""
        before = self.r.export()
        p = self.r.run(*args)
        self.assertExit(p, code, " ".join(args))
        self.assertTrue(p.stderr.strip(), "a refusal says why on stderr")
        self.assertFalse(p.stdout.strip(), f"a refusal prints nothing on stdout:\n{p.stdout}")
        if contains:
            self.assertIn(contains, p.stderr)
        self.assertEqual(before, self.r.export(), f"{' '.join(args)} changed the registry")
        return p

    def assertDryRun(self, args):
        """Runs args with --dry-run: it reports changes and writes nothing."""
        before = self.r.export()
        res = self.r.json(*args, "--dry-run")
        self.assertIsNone(res["id"])
        self.assertTrue(res["dry_run"])
        self.assertTrue(res["closed"], res)
        self.assertEqual(before, self.r.export(), f"{' '.join(args)} --dry-run changed the registry")
        for code in res["closed"]:
            self.assertEqual(self.r.show(code)["status"], "active", f"{code} closed by a dry run")
        return res


class Init(RegistryTest):
    demo = None

    def test_init_demo(self):
        p = self.r.run("init", "--demo")
        self.assertExit(p, 0)
        self.assertTrue(os.path.exists(self.r.db), "init creates the database's directory and file")
        lines = [line for line in p.stdout.split("\n") if line]
        reforms = [n for n in os.listdir(os.path.join(DATA_DIR, "reform-2025")) if n.endswith(".json")]
        self.assertEqual(len(lines), 1 + len(reforms), "what was loaded, then one line per plan applied")
        self.assertIn("loaded", lines[0])
        demo = [line for line in lines if "quang-nam-da-nang.json" in line]
        self.assertEqual(len(demo), 1, "the demo's Quảng Nam plan in place of the level-1 one")
        self.assertIn("Nghị quyết 202/2025/QH15", demo[0])
        rows = list(csv.DictReader(io.StringIO(self.r.export().decode())))
        codes = {row["code"] for row in rows}
        self.assertIn(CB, codes)
        self.assertNotIn("000.00.04.G14", codes, "Bộ Thông tin và Truyền thông merged in 2025")
        self.assertIn(self.r.resolve("000.00.04.G14")[0], codes)
        self.assertNotIn(QN, codes, "Quảng Nam closed in the merger")
        self.assertGreater(len(rows), 172 + 50)

    def test_init_plain_loads_level1_only(self):
        p = self.r.run("--json", "init")
        self.assertExit(p, 0)
        out = json.loads(p.stdout)
        self.assertEqual(out["demo"], 0)
        # The table as of 2020 (units the 2025 decision added come later),
        # then the 2025 reforms.
        then = list(csv.DictReader(io.StringIO(self.r.export("--as-of", "2024-12-31").decode())))
        with open(os.path.join(DATA_DIR, "level1.csv"), encoding="utf-8") as f:
            table = [row["code"] for row in csv.DictReader(f)]
        self.assertEqual(len(table), out["level1"])
        with open(os.path.join(DATA_DIR, "level1.csv"), encoding="utf-8") as f:
            valid = {row["code"] for row in csv.DictReader(f) if row["valid_from"] <= "2024-12-31"}
        self.assertEqual({row["code"] for row in then}, valid)
        self.assertIn(QN, {row["code"] for row in then})
        self.assertTrue(all(row["code"].startswith("000.00.00.") for row in then))
        rows = list(csv.DictReader(io.StringIO(self.r.export().decode())))
        self.assertNotIn(QN, {row["code"] for row in rows})
        self.assertLess(len(rows), out["level1"])
        self.assertEqual(len(out["plans"]), len([n for n in os.listdir(os.path.join(DATA_DIR, "reform-2025"))
                                                 if n.endswith(".json")]))

    def test_second_init_is_refused(self):
        self.assertExit(self.r.run("init", "--demo"), 0)
        before = self.r.export()
        p = self.r.run("init")
        self.assertExit(p, 1)
        self.assertIn("already initialised", p.stderr)
        self.assertEqual(before, self.r.export())
        self.assertExit(self.r.run("init", "--demo"), 1)
        self.assertEqual(before, self.r.export())

    def test_missing_data_leaves_no_database(self):
        env = dict(self.r.env, LIENTHONG_DATA=os.path.join(self.r.dir, "nowhere"))
        p = self.r.run("init", env=env)
        self.assertExit(p, 3)
        self.assertFalse(os.path.exists(self.r.db), "a failed init removes the database it created")

    def test_data_found_in_working_directory(self):
        os.makedirs(os.path.join(self.r.dir, "data"))
        shutil.copy(os.path.join(DATA_DIR, "level1.csv"), os.path.join(self.r.dir, "data"))
        env = clean_env(LIENTHONG_DB=self.r.db)
        self.assertExit(self.r.run("init", env=env), 0)
        # demo.csv is not in this data/ and the lookup does not mix places.
        self.assertExit(self.r.run("unit", "show", CB, env=env), 0)

    def test_data_found_beside_executable(self):
        if not os.path.exists(os.path.join(BUILD_DIR, "..", "data", "level1.csv")):
            self.skipTest("build directory is not inside the source tree")
        env = clean_env(LIENTHONG_DB=self.r.db)
        self.assertExit(self.r.run("init", "--demo", env=env), 0)

    def test_commands_need_a_database(self):
        for args in (["unit", "show", CB], ["export"], ["report", "compliance"]):
            p = self.r.run(*args)
            self.assertExit(p, 3, " ".join(args))
            self.assertIn("init", p.stderr)
        self.assertFalse(os.path.exists(self.r.db), "reads do not create a database")


class Merger(RegistryTest):
    """The 2025 merger of Quảng Nam into Đà Nẵng, as init --demo applies it."""

    def test_quang_nam_closed_with_da_nang_as_successor(self):
        u = self.r.show(QN)
        self.assertEqual(u["status"], "closed")
        self.assertEqual(u["valid_to"], "2025-07-01")
        self.assertEqual(u["successors"], [DN])
        self.assertEqual(u["decision"]["number"], "202/2025/QH15")
        self.assertEqual(u["children"], [])
        self.assertEqual(self.r.resolve(QN), [DN])
        dn = self.r.show(DN)
        self.assertEqual(dn["status"], "active")
        self.assertIn(QN, dn["predecessors"])

    def test_department_merged_into_its_counterpart(self):
        res = self.r.json("unit", "resolve", QN_NOI_VU)
        self.assertEqual(res["code"], QN_NOI_VU)
        self.assertEqual(res["status"], "closed")
        self.assertEqual(res["current"], [DN_NOI_VU], "not moved beside it under its old name")
        u = self.r.show(DN_NOI_VU)
        self.assertEqual(u["name"], "Sở Nội vụ thành phố Đà Nẵng")
        self.assertEqual(u["predecessors"], [QN_NOI_VU])
        self.assertEqual(self.r.show(QN_NOI_VU)["successors"], [DN_NOI_VU])

    def test_district_moved_with_a_new_code_under_da_nang(self):
        new = self.r.resolve(QN_TAM_KY)
        self.assertEqual(len(new), 1)
        self.assertTrue(new[0].endswith(".H17") and new[0].startswith("000.00."), new)
        u = self.r.show(new[0])
        self.assertEqual(u["name"], "Ủy ban nhân dân thành phố Tam Kỳ")
        self.assertEqual(u["parent"], DN)
        self.assertEqual(u["predecessors"], [QN_TAM_KY])
        self.assertEqual(u["email"], self.r.show(QN_TAM_KY)["email"], "contact data moves with the unit")
        self.assertIn(new[0], [k["code"] for k in self.r.json("unit", "children", DN)["items"]])

    def test_as_of_before_the_merger(self):
        old = self.r.show(QN_NOI_VU, "--as-of", "2025-06-30")
        self.assertEqual(old["status"], "active")
        self.assertEqual(old["successors"], [], "no successor yet on 2025-06-30")
        self.assertEqual(old["parent"], QN)
        qn = self.r.show(QN, "--as-of", "2025-06-30")
        self.assertEqual(qn["status"], "active")
        self.assertIn(QN_NOI_VU, [k["code"] for k in qn["children"]])
        # The new code did not exist yet.
        new = self.r.resolve(QN_TAM_KY)[0]
        p = self.r.run("unit", "show", new, "--as-of", "2025-06-30")
        self.assertExit(p, 1)
        self.assertIn("2025-06-30", p.stderr)
        # Text form says so too.
        p = self.r.run("unit", "show", QN_NOI_VU, "--as-of", "2025-06-30")
        self.assertExit(p, 0)
        self.assertIn("active", p.stdout)
        self.assertIn("Sở Nội vụ tỉnh Quảng Nam", p.stdout)

    def test_three_level_subtree_moved(self):
        tam_ky = self.r.resolve(QN_TAM_KY)
        an_my = self.r.resolve(QN_AN_MY)
        self.assertEqual(len(tam_ky), 1)
        self.assertEqual(len(an_my), 1)
        u = self.r.show(an_my[0])
        self.assertEqual(u["level"], 3)
        self.assertEqual(u["parent"], tam_ky[0])
        self.assertEqual(self.r.show(tam_ky[0])["parent"], DN)
        self.assertEqual(self.r.show(QN_AN_MY)["status"], "closed")

    def test_history_of_the_closed_province(self):
        events = self.r.json("unit", "history", QN)
        self.assertGreaterEqual(len(events), 2)
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs), "oldest first")
        last = events[-1]
        self.assertEqual(last["kind"], "merge")
        self.assertEqual(last["effective"], "2025-07-01")
        self.assertEqual(last["decision"]["number"], "202/2025/QH15")
        self.assertEqual(last["decision"]["issuer"], "Quốc hội")
        self.assertEqual(last["successors"], [DN])
        p = self.r.run("unit", "history", QN)
        self.assertExit(p, 0)
        self.assertIn("202/2025/QH15", p.stdout)
        new = self.r.resolve(QN_TAM_KY)[0]
        self.assertEqual(self.r.json("unit", "history", new)[0]["predecessors"], [QN_TAM_KY])
        self.assertEqual(self.r.json("unit", "history", DN_NOI_VU)[-1]["predecessors"], [QN_NOI_VU])

    def test_export_as_of_before_and_after(self):
        before = self.r.export("--as-of", "2025-06-30").decode()
        now = self.r.export().decode()
        self.assertIn(QN_NOI_VU, before)
        self.assertNotIn(QN_NOI_VU, now)
        self.assertNotIn("Sở Nội vụ tỉnh Quảng Nam", now, "merged into its counterpart")
        self.assertIn("Ủy ban nhân dân thành phố Tam Kỳ", now, "moved with its name")
        sub = self.r.export("--under", CB).decode()
        codes = [row["code"] for row in csv.DictReader(io.StringIO(sub))]
        self.assertTrue(codes and all(c.endswith(".H14") for c in codes), codes)

    def test_closed_children_and_search(self):
        closed = self.r.json("unit", "children", QN, "--status", "closed")["items"]
        self.assertIn(QN_NOI_VU, [u["code"] for u in closed])
        self.assertEqual(self.r.json("unit", "children", QN)["items"], [])
        found = self.r.json("unit", "search", "uy ban nhan dan thanh pho tam ky")["items"]
        self.assertEqual([u["code"] for u in found], self.r.resolve(QN_TAM_KY))
        found = self.r.json("unit", "search", "Sở", "Nội", "vụ", "--status", "all", "--under", QN)["items"]
        self.assertEqual([u["code"] for u in found], [QN_NOI_VU])


class Reads(RegistryTest):
    def test_show_text_and_json_placement(self):
        p = self.r.run("unit", "show", CB_Y_TE)
        self.assertExit(p, 0)
        self.assertIn("Sở Y tế tỉnh Cao Bằng", p.stdout)
        self.assertIn(CB_TTYT, p.stdout)
        a = json.loads(self.r.run("--json", "unit", "show", CB_Y_TE).stdout)
        b = json.loads(self.r.run("unit", "show", CB_Y_TE, "--json").stdout)
        self.assertEqual(a, b)
        for key in ("code", "name", "level", "parent", "status", "address", "email", "phone", "fax", "website",
                    "decision", "valid_from", "valid_to", "successors", "predecessors", "version"):
            self.assertIn(key, a)
        self.assertEqual(a["level"], 2)
        self.assertEqual(a["decision"]["issuer"], "Ủy ban nhân dân tỉnh Cao Bằng")
        self.assertEqual([k["code"] for k in a["children"]], [CB_TTYT])

    def test_search_pages(self):
        first = self.r.json("unit", "search", "--parent", CB, "--limit", "5")
        self.assertEqual(len(first["items"]), 5)
        self.assertTrue(first["next_cursor"])
        second = self.r.json("unit", "search", "--parent", CB, "--limit", "5", "--cursor", first["next_cursor"])
        codes1 = {u["code"] for u in first["items"]}
        self.assertFalse(codes1 & {u["code"] for u in second["items"]})
        lvl = self.r.json("unit", "search", "--under", CB, "--level", "4")["items"]
        self.assertEqual([u["code"] for u in lvl], [CB_TYT])

    def test_read_refusals_and_usage(self):
        self.assertExit(self.r.run("unit", "show", "not-a-code"), 1)
        self.assertExit(self.r.run("unit", "show", "000.00.99.H14"), 1)
        self.assertExit(self.r.run("unit", "show", CB, "--as-of", "2025-02-30"), 1)
        self.assertExit(self.r.run("unit", "resolve", "000.00.00.H99"), 1)
        self.assertExit(self.r.run("unit", "search", "--limit", "0"), 2)
        self.assertExit(self.r.run("unit", "search", "x", "--level", "many"), 2)
        self.assertExit(self.r.run("unit"), 2)
        self.assertExit(self.r.run("unit", "frobnicate"), 2)
        self.assertExit(self.r.run("unit", "show"), 2)
        self.assertExit(self.r.run("unit", "show", CB, CB), 2)
        self.assertExit(self.r.run("unit", "show", CB, "--bogus"), 2)
        self.assertExit(self.r.run("unit", "children", CB, "--status", "sleeping"), 2)
        self.assertExit(self.r.run("unit", "show", "--as-of"), 2)
        self.assertExit(self.r.run("report"), 2)
        self.assertExit(self.r.run("unit", "show", "--help"), 0)

    def test_compliance_report(self):
        findings = self.r.json("report", "compliance")
        self.assertIsInstance(findings, list)
        for f in findings:
            for key in ("kind", "code", "days"):
                self.assertIn(key, f)
        p = self.r.run("report", "compliance")
        self.assertExit(p, 0)
        lines = [line for line in p.stdout.split("\n") if line]
        if findings:
            self.assertEqual(len(lines), len(findings))
            self.assertTrue(all(line.split("\t")[0] == f["kind"] for line, f in zip(lines, findings)))
        self.assertIsInstance(self.r.json("report", "compliance", "--level1", CB), list)


class ImportExport(RegistryTest):
    def write(self, name, text):
        path = os.path.join(self.r.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_import_good_file(self):
        path = self.write("good.csv", "code,name,parent,email,decision_number,decision_date,decision_issuer\n"
                          "000.00.40.H14,Ủy ban nhân dân huyện Thạch An,000.00.00.H14,thachan@caobang.gov.vn,"
                          "0555/QĐ-UBND,2023-02-01,Ủy ban nhân dân tỉnh Cao Bằng\n"
                          "000.01.40.H14,Ủy ban nhân dân thị trấn Đông Khê,,,0555/QĐ-UBND,01/02/2023,"
                          "Ủy ban nhân dân tỉnh Cao Bằng\n")
        p = self.r.run("import", path)
        self.assertExit(p, 0)
        self.assertEqual(p.stdout.strip(), "imported 2 units: 2 inserted, 0 updated, 0 unchanged")
        self.assertEqual(self.r.show("000.01.40.H14")["parent"], "000.00.40.H14")

    def test_import_refusal_names_every_bad_row(self):
        path = self.write("bad.csv", "code,name,email\n"
                          "000.00.41.H14,Fine row,\n"
                          f"{QN_NOI_VU},Reuses a closed code,\n"
                          "000.01.98.H14,Orphan,\n"
                          "000.00.42.H14,Bad email,nobody@\n"
                          "00.00.43.H14,Bad code,\n")
        p = self.assertRefused(["import", path])
        bad = [line for line in p.stderr.split("\n") if line.startswith("line ")]
        self.assertEqual([line.split(":")[0] for line in bad], ["line 3", "line 4", "line 5", "line 6"])
        self.assertTrue(bad[0].startswith(f"line 3: {QN_NOI_VU} (Reuses a closed code): "), bad[0])
        before = self.r.export()
        p = self.r.run("import", path, "--json")
        self.assertExit(p, 1)
        rep = json.loads(p.stdout)
        self.assertEqual(rep["imported"], 0)
        self.assertEqual([e["line"] for e in rep["errors"]], [3, 4, 5, 6])
        self.assertEqual(before, self.r.export())

    def test_import_usage_and_io(self):
        self.assertExit(self.r.run("import"), 2)
        self.assertExit(self.r.run("import", "a.csv", "b.csv"), 2)
        before = self.r.export()
        self.assertExit(self.r.run("import", os.path.join(self.r.dir, "missing.csv")), 3)
        self.assertEqual(before, self.r.export())

    def test_export_round_trip_and_file(self):
        out = os.path.join(self.r.dir, "all.csv")
        self.assertExit(self.r.run("export", "-o", out), 0)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.r.export())
        header = self.r.export().decode().split("\n")[0]
        self.assertEqual(header, "code,name,parent,address,email,phone,fax,website,decision_number,"
                         "decision_date,decision_issuer,valid_from")
        # The subtree of Cao Bằng loads into a fresh registry that has only level 1.
        sub = os.path.join(self.r.dir, "cb.csv")
        self.assertExit(self.r.run("export", "--under", CB, "-o", sub), 0)
        fresh = Registry(demo=False)
        try:
            with open(sub, encoding="utf-8") as f:
                rows = [r for r in csv.DictReader(f) if r["code"] != CB]
            body = io.StringIO()
            w = csv.DictWriter(body, fieldnames=list(rows[0].keys()), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            path = os.path.join(fresh.dir, "cb.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(body.getvalue())
            p = fresh.run("import", path)
            self.assertExit(p, 0)
            self.assertEqual(p.stdout.strip(), f"imported {len(rows)} units: {len(rows)} inserted, 0 updated, 0 unchanged")
        finally:
            fresh.close()
        self.assertExit(self.r.run("export", "--as-of", "yesterday"), 1)
        self.assertExit(self.r.run("export", "--bogus"), 2)
        self.assertExit(self.r.run("export", "-o", os.path.join(self.r.dir, "no", "such", "dir.csv")), 3)


class Issue(RegistryTest):
    def test_add_update_rename(self):
        u = self.r.json("unit", "add", "--parent", CB, "--name", "Sở Khoa học và Công nghệ tỉnh Cao Bằng",
                        *DECISION, "--effective", "2024-06-01", "--email", "skhcn@caobang.gov.vn",
                        "--phone", "0206 3852 444")
        code = u["code"]
        self.assertTrue(code.startswith("000.00.") and code.endswith(".H14"), code)
        self.assertEqual(u["level"], 2)
        self.assertEqual(u["valid_from"], "2024-06-01")
        self.assertEqual(u["decision"]["number"], "1234/QĐ-UBND")
        self.assertEqual(u["version"], 1)

        u = self.r.json("unit", "update", code, "--website", "skhcn.caobang.gov.vn")
        self.assertEqual(u["website"], "skhcn.caobang.gov.vn")
        self.assertEqual(u["email"], "skhcn@caobang.gov.vn", "fields not given keep their value")
        self.assertEqual(u["phone"], "0206 3852 444")
        self.assertEqual(u["version"], 2)
        self.assertRefused(["unit", "update", code, "--fax", "0206 1", "--if-version", "1"], 1)
        self.assertExit(self.r.run("unit", "update", code, "--fax", "0206 3852 445", "--if-version", "2"), 0)
        self.assertRefused(["unit", "update", code, "--email", "not an email"], 1)
        self.assertRefused(["unit", "update", code], 2)
        self.assertRefused(["unit", "update", code, "--if-version", "x", "--fax", "1"], 2)

        p = self.r.run("unit", "rename", code, "--name", "Sở Khoa học, Công nghệ và Chuyển đổi số tỉnh Cao Bằng",
                       *DECISION)
        self.assertExit(p, 0)
        self.assertTrue(p.stdout.startswith("renamed " + code), p.stdout)
        self.assertEqual(self.r.show(code)["name"], "Sở Khoa học, Công nghệ và Chuyển đổi số tỉnh Cao Bằng")
        kinds = [e["kind"] for e in self.r.json("unit", "history", code)]
        self.assertEqual(kinds, ["issue", "update", "update", "rename"])
        self.assertRefused(["unit", "rename", code, "--name", "Sở Khoa học, Công nghệ và Chuyển đổi số tỉnh Cao Bằng",
                            *DECISION], 1)
        self.assertRefused(["unit", "rename", code, *DECISION], 2)
        self.assertRefused(["unit", "rename", QN, "--name", "Quảng Nam mới", *DECISION], 1, DN)

    def test_add_refusals(self):
        name = ["--name", "Sở Du lịch"]
        self.assertRefused(["unit", "add", "--parent", "000.00.00.H99", *name, *DECISION], 1)
        self.assertRefused(["unit", "add", "--parent", QN, *name, *DECISION], 1, DN)
        self.assertRefused(["unit", "add", "--parent", "bad", *name, *DECISION], 1)
        p = self.assertRefused(["unit", "add", "--parent", CB, *name], 1)
        self.assertIn("decision", p.stderr)
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION[:4]], 1, "issuer")
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION, "--decision-date", "2024-02-30"], 1)
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION, "--number", "5"], 1, "never reissued")
        self.assertRefused(["unit", "add", "--parent", CB_TYT, *name, *DECISION], 1, "level")
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION, "--email", "x"], 1)
        self.assertRefused(["unit", "add", "--parent", CB, "--name", "x" * 600, *DECISION], 1)
        self.assertRefused(["unit", "add", *name, *DECISION], 2)
        self.assertRefused(["unit", "add", "--parent", CB, *DECISION], 2)
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION, "--number", "five"], 2)
        self.assertRefused(["unit", "add", "--parent", CB, *name, *DECISION, "--colour", "red"], 2)
        self.assertRefused(["unit", "add", "--parent", CB, *name, "--decision-number"], 2)

    def test_chosen_number(self):
        u = self.r.json("unit", "add", "--parent", CB, "--name", "Sở Du lịch tỉnh Cao Bằng", "--number", "77",
                        *DECISION)
        self.assertEqual(u["code"], "000.00.77.H14")


class Reorganise(RegistryTest):
    def test_move_subtree(self):
        self.assertDryRun(["unit", "move", CB_TTYT, "--to", CB_TP, *DECISION])
        res = self.r.json("unit", "move", CB_TTYT, "--to", CB_TP, *DECISION, "--effective", "2024-10-01")
        self.assertIsInstance(res["id"], int)
        self.assertEqual(set(res["closed"]), {CB_TTYT, CB_TYT})
        new = res["moved"][CB_TTYT]
        self.assertTrue(new.endswith(".31.H14"), new)
        self.assertEqual(self.r.show(new)["parent"], CB_TP)
        self.assertEqual(self.r.show(res["moved"][CB_TYT])["parent"], new, "the level-4 unit follows")
        self.assertEqual(self.r.resolve(CB_TYT), [res["moved"][CB_TYT]])
        self.assertEqual(self.r.show(CB_TTYT, "--as-of", "2024-09-30")["status"], "active")
        p = self.r.run("unit", "move", CB_TU_PHAP, "--to", DN, *DECISION)
        self.assertExit(p, 0)
        self.assertIn("closed\t" + CB_TU_PHAP, p.stdout)
        self.assertIn("moved\t" + CB_TU_PHAP + " → ", p.stdout)

    def test_move_refusals(self):
        self.assertRefused(["unit", "move", CB_Y_TE, "--to", CB_TP, *DECISION], 1, "level")
        self.assertRefused(["unit", "move", CB_TTYT, "--to", QN, *DECISION], 1)
        self.assertRefused(["unit", "move", CB_TTYT, "--to", CB_Y_TE, *DECISION], 1, "already")
        self.assertRefused(["unit", "move", CB_Y_TE, "--to", CB_TTYT, *DECISION], 1)
        self.assertRefused(["unit", "move", QN_NOI_VU, "--to", CB, *DECISION], 1)
        self.assertRefused(["unit", "move", CB_TTYT, "--to", "000.00.00.H99", *DECISION], 1)
        self.assertRefused(["unit", "move", CB_TTYT, "--to", CB_TP], 1, "decision")
        self.assertRefused(["unit", "move", CB_TTYT, *DECISION], 2)
        self.assertRefused(["unit", "move", "--to", CB_TP, *DECISION], 2)
        self.assertRefused(["unit", "move", CB_TTYT, CB_TU_PHAP, "--to", CB_TP, *DECISION], 2)

    def test_refused_before_a_later_change(self):
        # The level-4 unit under CB_TTYT is renamed effective 2030: moving its
        # parent (and so it) effective 2026 would rewrite its history.
        self.assertExit(self.r.run("unit", "rename", CB_TYT, "--name", "Trạm Y tế phường Hợp Giang mới", *DECISION,
                                   "--effective", "2030-01-01"), 0)
        move = ["unit", "move", CB_TTYT, "--to", CB_TP, *DECISION, "--effective", "2026-01-01"]
        p = self.assertRefused(move, 1, CB_TYT)
        self.assertIn("rename, 2030-01-01", p.stderr)
        self.assertRefused([*move, "--dry-run"], 1, CB_TYT)
        # New units under a parent issued only in 2030.
        later = self.r.json("unit", "add", "--parent", CB, "--name", "Ban mới", *DECISION, "--effective",
                            "2030-01-01")["code"]
        p = self.assertRefused(["unit", "split", CB_TU_PHAP, "--into", f"{later}:Phòng A", "--into",
                                f"{later}:Phòng B", *DECISION, "--effective", "2026-01-01"], 1, later)
        self.assertIn("issue, 2030-01-01", p.stderr)
        # Dated on or after the later change, the move goes through.
        res = self.r.json(*move[:-1], "2030-01-01")
        self.assertEqual(self.r.show(CB_TYT, "--as-of", "2031-01-01")["status"], "closed")
        self.assertEqual(self.r.show(res["moved"][CB_TYT], "--as-of", "2030-01-01")["name"],
                         "Trạm Y tế phường Hợp Giang mới")

    def test_split(self):
        kids = [u["code"] for u in self.r.json("unit", "children", CB_BAO_LAC)["items"]]
        self.assertEqual(len(kids), 3)
        args = ["unit", "split", CB_BAO_LAC, "--into", f"{CB}:Ủy ban nhân dân huyện Bảo Lạc",
                "--into", f"{CB}:Ủy ban nhân dân huyện Bảo Lâm", "--child", f"{kids[0]}=0",
                "--child", f"{kids[1]}=1", "--child", f"{kids[2]}=1", *DECISION]
        self.assertDryRun(args)
        res = self.r.json(*args)
        self.assertIn(CB_BAO_LAC, res["closed"])
        current = self.r.resolve(CB_BAO_LAC)
        self.assertEqual(len(current), 2, "a split resolves to its parts")
        self.assertEqual(self.r.show(res["moved"][kids[0]])["parent"], current[0])
        self.assertEqual(self.r.show(res["moved"][kids[2]])["parent"], current[1])
        self.assertEqual(sorted(self.r.show(CB_BAO_LAC)["successors"]), sorted(current))

    def test_split_refusals(self):
        into = ["--into", f"{CB}:Huyện A", "--into", f"{CB}:Huyện B"]
        kids = [u["code"] for u in self.r.json("unit", "children", CB_HOA_AN)["items"]]
        self.assertRefused(["unit", "split", CB_HOA_AN, *into, "--child", f"{kids[0]}=0", *DECISION], 1,
                           kids[1])
        self.assertRefused(["unit", "split", CB_HOA_AN, *into, "--child", f"{kids[0]}=0", "--child",
                            f"{kids[1]}=2", *DECISION], 1)
        self.assertRefused(["unit", "split", CB_TU_PHAP, *into], 1, "decision")
        self.assertRefused(["unit", "split", CB_TU_PHAP, "--into", f"{QN}:X", "--into", f"{CB}:Y", *DECISION], 1)
        self.assertRefused(["unit", "split", CB_TU_PHAP, "--into", f"{CB}:Y", *DECISION], 2)
        self.assertRefused(["unit", "split", CB_TU_PHAP, "--into", "no-colon", "--into", f"{CB}:Y", *DECISION], 2)
        self.assertRefused(["unit", "split", CB_HOA_AN, *into, "--child", f"{kids[0]}", *DECISION], 2)
        self.assertRefused(["unit", "split", *into, *DECISION], 2)

    def test_merge_into_new_and_existing(self):
        args = ["unit", "merge", CB_HA_QUANG, CB_HOA_AN, "--into-parent", CB, "--into-name",
                "Ủy ban nhân dân huyện Hà Quảng - Hòa An", *DECISION, "--effective", "2024-12-01"]
        self.assertDryRun(args)
        res = self.r.json(*args)
        self.assertEqual(set(self.r.resolve(CB_HA_QUANG)), set(self.r.resolve(CB_HOA_AN)))
        new = self.r.resolve(CB_HA_QUANG)[0]
        self.assertIn(new, res["created"])
        self.assertEqual(len(self.r.json("unit", "children", new)["items"]), 3 + 2, "the communes follow")
        self.assertEqual(sorted(self.r.show(new)["predecessors"]), [CB_HA_QUANG, CB_HOA_AN])

        res = self.r.json("unit", "merge", "000.00.09.H14", "--into-code", "000.00.08.H14", *DECISION)
        self.assertEqual(res["closed"], ["000.00.09.H14"])
        self.assertEqual(self.r.resolve("000.00.09.H14"), ["000.00.08.H14"])

    def test_merge_refusals(self):
        self.assertRefused(["unit", "merge", CB_TU_PHAP, "--into-code", CB_TU_PHAP, *DECISION], 1)
        self.assertRefused(["unit", "merge", CB_Y_TE, "--into-code", CB_TTYT, *DECISION], 1)
        self.assertRefused(["unit", "merge", QN_NOI_VU, "--into-code", CB_TU_PHAP, *DECISION], 1, "closed")
        self.assertRefused(["unit", "merge", CB_TU_PHAP, "--into-code", QN, *DECISION], 1)
        self.assertRefused(["unit", "merge", CB_TU_PHAP, CB_TU_PHAP, "--into-code", CB_TP, *DECISION], 1)
        self.assertRefused(["unit", "merge", CB_TU_PHAP, "--into-code", CB_TP], 1, "decision")
        self.assertRefused(["unit", "merge", CB_TU_PHAP, *DECISION], 2)
        self.assertRefused(["unit", "merge", CB_TU_PHAP, "--into-code", CB_TP, "--into-name", "X", *DECISION], 2)
        self.assertRefused(["unit", "merge", CB_TU_PHAP, "000.00.03.H14", "--into-parent", CB, *DECISION], 2)
        self.assertRefused(["unit", "merge", "--into-code", CB_TP, *DECISION], 2)

    def test_dissolve(self):
        res = self.assertDryRun(["unit", "dissolve", CB_TU_PHAP, *DECISION])
        self.assertEqual(res["names"], {CB_TU_PHAP: self.r.show(CB_TU_PHAP)["name"]})
        p = self.r.run("unit", "dissolve", CB_TU_PHAP, *DECISION, "--dry-run")
        self.assertIn(f"closed\t{CB_TU_PHAP}\t{self.r.show(CB_TU_PHAP)['name']}\n", p.stdout)
        p = self.r.run("unit", "dissolve", CB_TU_PHAP, *DECISION)
        self.assertExit(p, 0)
        self.assertIn("closed\t" + CB_TU_PHAP, p.stdout)
        res = self.r.json("unit", "resolve", CB_TU_PHAP)
        self.assertEqual((res["status"], res["current"]), ("closed", []))
        self.assertEqual(self.r.show(CB_TU_PHAP)["successors"], [])
        # A unit and all its children together, deepest first.
        kids = [u["code"] for u in self.r.json("unit", "children", CB_HOA_AN)["items"]]
        res = self.r.json("unit", "dissolve", CB_HOA_AN, *kids, *DECISION)
        self.assertEqual(set(res["closed"]), {CB_HOA_AN, *kids})
        # A closed code is never reissued.
        u = self.r.json("unit", "add", "--parent", CB, "--name", "Sở Tư pháp mới", *DECISION)
        self.assertNotEqual(u["code"], CB_TU_PHAP)
        self.assertRefused(["unit", "add", "--parent", CB, "--name", "X", "--number", "4", *DECISION], 1)

    def test_dissolve_refusals(self):
        self.assertRefused(["unit", "dissolve", CB_Y_TE, *DECISION], 1, CB_TTYT)
        self.assertRefused(["unit", "dissolve", QN, *DECISION], 1)
        self.assertRefused(["unit", "dissolve", "000.00.99.H14", *DECISION], 1)
        self.assertRefused(["unit", "dissolve", CB_TU_PHAP], 1, "decision")
        self.assertRefused(["unit", "dissolve", CB_TU_PHAP, *DECISION, "--effective", "soon"], 1)
        self.assertRefused(["unit", "dissolve", *DECISION], 2)
        self.assertRefused(["unit", "dissolve", CB_TU_PHAP, *DECISION, "--decision-date"], 2)


def main():
    if not os.access(CLI, os.X_OK):
        print(f"no CLI binary at {CLI}: build first", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
