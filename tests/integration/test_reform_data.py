#!/usr/bin/env python3
"""Integration test: the real history shipped in data/.

- data/level1.csv as of 2020, with the Party bodies (group A: each province's
  Party Committee under its province's number, the central bodies above 63)
  and the central social organisations (group J), every row with its source
  and confidence, every code accepted by the real code parser.
- data/reform-2025/*.json, the 2025 reforms as plans: each file parses, uses
  only the known step kinds in their known shapes, names only codes that are
  active at its effective date given level1.csv and the earlier files (or
  units made by its own earlier steps), closes no code twice, carries a
  confidence on every step; the government's ministry merges and the 23
  province mergers are all there, and each province's People's Committee,
  People's Council and Party Committee end up merged alike.
- The same steps applied by the real registry (the lienthong CLI, one
  reorganisation per step, on a registry holding only level1.csv): each
  absorbed code resolves to the unit that carries its work, and as-of
  2025-01-01 reads still show the 2020 table. A unit under 000.00.00.A53
  imports, and a package from it goes through. Where the CLI has `plan
  apply`, the files go through it too, and init leaves every province's
  three codes consistent, with the demo tree and without.

The expected reforms below are written from the resolutions themselves, not
read from the files, so a file that drops or changes one fails here.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""

import csv
import datetime
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402

LEVEL1 = os.path.join(ltd.DATA_DIR, "level1.csv")
REFORM_DIR = os.path.join(ltd.DATA_DIR, "reform-2025")
CODE_RE = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-K][0-9]{2}$")
FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.json$")
COLUMNS = ["code", "name", "parent", "address", "email", "phone", "fax", "website", "decision_number",
           "decision_date", "decision_issuer", "valid_from", "source", "confidence", "note"]
CONFIDENCE = {"V", "S", "G"}
# The fields a plan and each of its steps carry their provenance in, named
# as level1.csv's columns; the plan engine keeps them and acts on none.
ANNOTATIONS = ("confidence", "source", "note")
# Fields each step kind may carry besides kind and the annotations.
STEP_FIELDS = {
    "merge": ({"from", "into"}, {"across_groups"}),
    "split": ({"from", "into"}, {"children"}),
    "move": ({"from", "into"}, set()),
    "dissolve": ({"from"}, set()),
    "issue": ({"parent", "name"}, {"number"}),
    "rename": ({"code", "name"}, set()),
}

# The ministries of Resolution 176/2025/QH15, with the codes QĐ 09/2025/QĐ-TTg
# closed and kept: absorbed -> survivor.
MINISTRY_MERGES = {
    "000.00.00.G05": "000.00.00.G12",  # Kế hoạch và Đầu tư -> Tài chính
    "000.00.00.G04": "000.00.00.G17",  # Giao thông vận tải -> Xây dựng
    "000.00.00.G13": "000.00.00.G10",  # Tài nguyên và Môi trường -> Nông nghiệp và Môi trường
    "000.00.00.G14": "000.00.00.G06",  # Thông tin và Truyền thông -> Khoa học và Công nghệ
    "000.00.00.G07": "000.00.00.G09",  # Lao động - Thương binh và Xã hội -> Nội vụ
}
MINISTRY_NAMES = {
    "000.00.00.G10": "Bộ Nông nghiệp và Môi trường",
    "000.00.00.G21": "Bộ Dân tộc và Tôn giáo",
    "000.00.00.G12": "Bộ Tài chính",
    "000.00.00.G17": "Bộ Xây dựng",
    "000.00.00.G06": "Bộ Khoa học và Công nghệ",
    "000.00.00.G09": "Bộ Nội vụ",
}
GOVERNMENT = {"number": "09/2025/QĐ-TTg", "date": "2025-04-14", "effective": "2025-03-01"}

# Resolution 202/2025/QH15: the province that keeps its name, and the ones it absorbs.
PROVINCE_MERGERS = [
    ("Tuyên Quang", ["Hà Giang"]), ("Lào Cai", ["Yên Bái"]), ("Thái Nguyên", ["Bắc Kạn"]),
    ("Phú Thọ", ["Vĩnh Phúc", "Hòa Bình"]), ("Bắc Ninh", ["Bắc Giang"]), ("Hưng Yên", ["Thái Bình"]),
    ("Hải Phòng", ["Hải Dương"]), ("Ninh Bình", ["Hà Nam", "Nam Định"]), ("Quảng Trị", ["Quảng Bình"]),
    ("Đà Nẵng", ["Quảng Nam"]), ("Quảng Ngãi", ["Kon Tum"]), ("Gia Lai", ["Bình Định"]),
    ("Khánh Hòa", ["Ninh Thuận"]), ("Lâm Đồng", ["Đắk Nông", "Bình Thuận"]), ("Đắk Lắk", ["Phú Yên"]),
    ("Hồ Chí Minh", ["Bình Dương", "Bà Rịa - Vũng Tàu"]), ("Đồng Nai", ["Bình Phước"]),
    ("Tây Ninh", ["Long An"]), ("Cần Thơ", ["Sóc Trăng", "Hậu Giang"]), ("Vĩnh Long", ["Bến Tre", "Trà Vinh"]),
    ("Đồng Tháp", ["Tiền Giang"]), ("Cà Mau", ["Bạc Liêu"]), ("An Giang", ["Kiên Giang"]),
]
PROVINCES = {"number": "202/2025/QH15", "date": "2025-06-12", "issuer": "Quốc hội", "kind": "Nghị quyết",
             "effective": "2025-07-01"}
LOCAL_LETTERS = "HKA"  # People's Committee, People's Council, Party Committee


def level1_rows():
    with open(LEVEL1, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def plan_files():
    return sorted(glob.glob(os.path.join(REFORM_DIR, "*.json")))


def load_plans():
    out = []
    for path in plan_files():
        with open(path, encoding="utf-8") as f:
            out.append((os.path.basename(path), json.load(f)))
    return out


def province_numbers():
    """Province name ("Hà Giang") -> its two-digit number, from the H rows."""
    out = {}
    for r in level1_rows()[1]:
        if r["code"][-3] == "H":
            name = re.sub(r"^Ủy ban nhân dân (tỉnh|thành phố) ", "", r["name"])
            out[name] = r["code"][-2:]
    return out


def is_date(s):
    try:
        return isinstance(s, str) and datetime.date.fromisoformat(s).isoformat() == s
    except ValueError:
        return False


# ---- a model of the registry's rules, to replay the plans -------------------


def child_code(parent, number):
    """The code numbered `number` under `parent`: its next zero group, from the right, filled."""
    g = parent.split(".")
    for i, width in ((2, 2), (1, 2), (0, 3)):
        if int(g[i]) == 0:
            if not 1 <= number <= 10**width - 1:
                raise Refused(f"number {number} does not fit a level-{4 - i} code")
            g[i] = "%0*d" % (width, number)
            return ".".join(g)
    raise Refused(f"{parent} is at level 4 and has no children")


class Refused(Exception):
    pass


class Model:
    """Units by code (or by "file#step#part" for units a step makes, whose
    code only the registry allocates): name, valid_from, closed date and
    successors."""

    def __init__(self, rows):
        self.units = {r["code"]: {"name": r["name"], "from": r["valid_from"], "closed": None, "succ": []}
                      for r in rows}
        self.closed_by = {}  # code -> where it was closed

    def letter(self, ref):
        return ref[-3] if CODE_RE.match(ref) else self.units[ref]["letter"]

    def active(self, ref, date, what):
        u = self.units.get(ref)
        if u is None:
            raise Refused(f"{what} {ref} is neither in level1.csv nor made by an earlier step")
        if u["closed"]:
            raise Refused(f"{what} {ref} was closed on {u['closed']} by {self.closed_by[ref]}")
        if u["from"] > date:
            raise Refused(f"{what} {ref} is valid only from {u['from']}, after {date}")
        return u

    def new(self, key, name, date, letter):
        self.units[key] = {"name": name, "from": date, "closed": None, "succ": [], "letter": letter}
        return key

    def close(self, ref, date, succ, where):
        self.units[ref]["closed"] = date
        self.units[ref]["succ"] = list(succ)
        self.closed_by[ref] = where

    def resolve(self, ref):
        u = self.units[ref]
        if not u["closed"]:
            return [ref]
        out = []
        for s in u["succ"]:
            out += [c for c in self.resolve(s) if c not in out]
        return out


def replay(model, name, plan):
    """Applies one plan to the model; returns [(step index, step, made)]
    where made is what the step created ({"step":I} resolves to it). Raises
    Refused with the step index on the first broken rule."""
    date = plan["effective"]
    made = []

    def ref(r, what, i):
        if isinstance(r, str):
            if not CODE_RE.match(r):
                raise Refused(f"step {i}: {what} {r!r} is not a code")
            return r
        if not isinstance(r, dict) or set(r) - {"step", "part"} or not isinstance(r.get("step"), int):
            raise Refused(f"step {i}: {what} {r!r} is neither a code nor {{\"step\": I}}")
        j, k = r["step"], r.get("part")
        if not 0 <= j < i:
            raise Refused(f"step {i}: {what} refers to step {j}, which is not an earlier step")
        units = made[j]
        if k is None:
            if len(units) != 1:
                raise Refused(f"step {i}: {what} refers to step {j}, which made {len(units)} units: say which part")
            return units[0]
        if not isinstance(k, int) or not 0 <= k < len(units):
            raise Refused(f"step {i}: {what} refers to part {k} of step {j}, which made {len(units)} units")
        return units[k]

    for i, s in enumerate(plan["steps"]):
        where = f"{name} step {i}"
        kind = s["kind"]
        if kind == "rename":
            u = model.active(ref(s["code"], "code", i), date, f"step {i}: code")
            if u["name"] == s["name"]:
                raise Refused(f"step {i}: the rename does not change the name")
            u["name"] = s["name"]
            made.append([])
            continue
        if kind == "issue":
            p = ref(s["parent"], "parent", i)
            model.active(p, date, f"step {i}: parent")
            made.append([model.new(f"{where}#0", s["name"], date, model.letter(p))])
            continue
        frm = [ref(c, "from", i) for c in s["from"]]
        if not frm or len(set(frm)) != len(frm):
            raise Refused(f"step {i}: 'from' must list distinct units")
        for c in frm:
            model.active(c, date, f"step {i}: from")
        if kind == "dissolve":
            for c in frm:
                model.close(c, date, [], where)
            made.append([])
        elif kind == "move":
            if len(frm) != 1 or not {"parent"} <= set(s["into"]) <= {"parent", "number"}:
                raise Refused(f"step {i}: a move takes one unit and into {{\"parent\"[, \"number\"]}}")
            p = ref(s["into"]["parent"], "into.parent", i)
            model.active(p, date, f"step {i}: into.parent")
            number = s["into"].get("number")
            key = child_code(p, number) if number is not None and CODE_RE.match(p) else f"{where}#0"
            if key in model.units:
                raise Refused(f"step {i}: {key} is already taken")
            new = model.new(key, model.units[frm[0]]["name"], date, model.letter(p))
            model.close(frm[0], date, [new], where)
            made.append([new])
        elif kind == "merge":
            into = s["into"]
            if set(into) == {"code"}:
                target = ref(into["code"], "into.code", i)
                model.active(target, date, f"step {i}: into.code")
                if target in frm:
                    raise Refused(f"step {i}: {target} merges into itself")
                made.append([])
            elif set(into) == {"parent", "name"} and len(frm) >= 2:
                p = ref(into["parent"], "into.parent", i)
                model.active(p, date, f"step {i}: into.parent")
                target = model.new(f"{where}#0", into["name"], date, model.letter(p))
                made.append([target])
            else:
                raise Refused(f"step {i}: a merge goes into {{\"code\"}} or, for two or more units, "
                              "{\"parent\", \"name\"}")
            letters = {model.letter(c) for c in frm} | {model.letter(target)}
            if len(letters) > 1 and s.get("across_groups") is not True:
                raise Refused(f"step {i}: a merge across letter groups {sorted(letters)} needs across_groups")
            for c in frm:
                model.close(c, date, [target], where)
        elif kind == "split":
            if len(frm) != 1 or not isinstance(s["into"], list) or len(s["into"]) < 2:
                raise Refused(f"step {i}: a split takes one unit and two or more new units")
            parts = []
            for k, n in enumerate(s["into"]):
                p = ref(n["parent"], f"into[{k}].parent", i)
                model.active(p, date, f"step {i}: into[{k}].parent")
                parts.append(model.new(f"{where}#{k}", n["name"], date, model.letter(p)))
            model.close(frm[0], date, parts, where)
            made.append(parts)
    return made


def replay_all():
    model = Model(level1_rows()[1])
    steps = []
    for name, plan in load_plans():
        try:
            replay(model, name, plan)
        except Refused as e:
            raise AssertionError(f"{name}: {e}") from None
        steps += [(name, plan, s) for s in plan["steps"]]
    return model, steps


# ---- level1.csv -------------------------------------------------------------


class Level1(unittest.TestCase):
    def setUp(self):
        self.columns, self.rows = level1_rows()
        self.by_code = {r["code"]: r for r in self.rows}

    def test_rows_are_level1_codes_with_source_and_confidence(self):
        self.assertEqual(self.columns, COLUMNS)
        self.assertEqual(len(self.by_code), len(self.rows), "duplicate codes")
        for r in self.rows:
            with self.subTest(code=r["code"]):
                self.assertRegex(r["code"], CODE_RE)
                self.assertTrue(r["code"].startswith("000.00.00."), "level 1 only")
                self.assertEqual(r["parent"], "")
                self.assertTrue(r["name"].strip())
                self.assertIn(r["confidence"], CONFIDENCE)
                self.assertTrue(r["source"].strip(), "every row names its source")
                self.assertTrue(is_date(r["valid_from"]) and is_date(r["decision_date"]))
                self.assertLessEqual(r["valid_from"], "2025-12-31")
                if r["confidence"] == "G":
                    self.assertTrue(r["note"].strip(), "a guess says what was assumed")

    def test_party_committee_per_province_under_its_number(self):
        h = {c[-2:]: r for c, r in self.by_code.items() if c[-3] == "H"}
        self.assertEqual(sorted(h), ["%02d" % n for n in range(1, 64)])
        for n, hr in h.items():
            with self.subTest(province=hr["name"]):
                a = self.by_code.get("000.00.00.A" + n)
                self.assertIsNotNone(a, f"no Party Committee A{n}")
                kind, place = re.match(r"^Ủy ban nhân dân (tỉnh|thành phố) (.+)$", hr["name"]).groups()
                self.assertEqual(a["name"].split(" ", 2)[:2], ["Tỉnh", "ủy"] if kind == "tỉnh" else ["Thành", "ủy"])
                self.assertTrue(a["name"].endswith(place), a["name"])
        # The sender of the real Tây Ninh sample, 000.00.01.A53, needs its parent.
        self.assertEqual(self.by_code["000.00.00.A53"]["name"], "Tỉnh ủy Tây Ninh")
        self.assertIn(self.by_code["000.00.00.A53"]["confidence"], {"V", "S"})

    def test_central_party_bodies_and_social_organisations(self):
        central = [r for c, r in self.by_code.items() if c[-3] == "A" and int(c[-2:]) > 63]
        self.assertGreaterEqual(len(central), 8)
        self.assertIn("Văn phòng Trung ương Đảng", {r["name"] for r in central})
        j = sorted(c for c in self.by_code if c[-3] == "J")
        self.assertGreater(len(j), 0)
        self.assertTrue(all(1 <= int(c[-2:]) <= 28 for c in j), "J01-J28 is the group's known range")
        names = [self.by_code[c]["name"] for c in j]
        self.assertEqual(len(set(names)), len(names))

    def test_new_groups_pass_the_code_parser(self):
        codes = [c for c in self.by_code if c[-3] in "AJ"]
        p = subprocess.run([ltd.CLI, "code", "check", "--json", *codes], capture_output=True, encoding="utf-8",
                           env=ltd.clean_env(), timeout=60)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        data = json.loads(p.stdout)
        self.assertEqual([d["input"] for d in data], codes)
        for d in data:
            with self.subTest(code=d["input"]):
                self.assertIs(d["valid"], True)
                self.assertEqual((d["level"], d["parent"], d["canonical"]), (1, None, True))
                self.assertEqual(d["group"]["letter"], d["input"][-3])


# ---- the plan files ---------------------------------------------------------


class PlanFiles(unittest.TestCase):
    def test_files_parse_and_sort_in_application_order(self):
        files = plan_files()
        self.assertGreaterEqual(len(files), 2)
        last = ""
        for path in files:
            name = os.path.basename(path)
            with self.subTest(file=name):
                m = FILE_RE.match(name)
                self.assertIsNotNone(m, "YYYY-MM-DD-words.json")
                with open(path, encoding="utf-8") as f:
                    plan = json.load(f)
                self.assertEqual(m.group(1), plan["effective"], "the name starts with the effective date")
                self.assertGreaterEqual(plan["effective"], last, "files apply in name order")
                last = plan["effective"]

    def test_plan_and_step_shapes(self):
        for name, plan in load_plans():
            with self.subTest(file=name):
                self.assertLessEqual(set(plan), {"decision", "effective", "recorded", "title", "steps", *ANNOTATIONS})
                d = plan["decision"]
                self.assertEqual(set(d), {"number", "date", "issuer", "kind"})
                self.assertTrue(all(isinstance(v, str) and v.strip() for v in d.values()))
                self.assertTrue(is_date(d["date"]) and is_date(plan["effective"]))
                self.assertTrue(plan["title"].strip())
                self.assertIsInstance(plan["steps"], list)
                self.assertGreater(len(plan["steps"]), 0)
                for i, s in enumerate(plan["steps"]):
                    self.assertIn(s.get("kind"), STEP_FIELDS, f"step {i}: unknown kind")
                    need, may = STEP_FIELDS[s["kind"]]
                    self.assertLessEqual(need, set(s), f"step {i}: missing fields")
                    self.assertLessEqual(set(s) - {"kind", *ANNOTATIONS}, need | may, f"step {i}: unknown fields")
                    if "from" in s:
                        self.assertIsInstance(s["from"], list)
                    if "name" in s:
                        self.assertTrue(isinstance(s["name"], str) and s["name"].strip())
                    # Every step says how sure we are of it, on what, and what was assumed.
                    self.assertIn(s.get("confidence"), CONFIDENCE, f"step {i}")
                    self.assertTrue(s.get("source", "").strip(), f"step {i}: no source")
                    self.assertTrue(s.get("note", "").strip(), f"step {i}: no note")

    def test_every_source_named_is_described(self):
        def keys(path):
            with open(path, encoding="utf-8") as f:
                return {k.strip() for row in re.findall(r"^\| ([^|]+) \|", f.read(), re.M) for k in row.split(",")}

        described = keys(os.path.join(REFORM_DIR, "README.md"))
        for name, plan in load_plans():
            for n in [plan] + plan["steps"]:
                for k in n.get("source", "").split(";"):
                    if k.strip():
                        self.assertIn(k.strip(), described, f"{name}: source {k!r} is not in the README's table")
        described = keys(os.path.join(ltd.SOURCE_DIR, "docs", "registry.md"))
        for r in level1_rows()[1]:
            for k in r["source"].split(";"):
                self.assertIn(k, described, f"{r['code']}: source {k!r} is not in docs/registry.md")

    def test_replay_names_only_active_codes_and_closes_none_twice(self):
        model = Model(level1_rows()[1])
        for name, plan in load_plans():
            with self.subTest(file=name):
                try:
                    replay(model, name, plan)
                except Refused as e:
                    self.fail(f"{name}: {e}")

    def test_replay_refuses_what_the_registry_would(self):
        # The replay is what the other checks stand on: it must refuse.
        rows = level1_rows()[1]
        dec = {"number": "1/QĐ", "date": "2025-01-01", "issuer": "x", "kind": "Quyết định"}
        bad = [
            [{"kind": "merge", "from": ["000.00.00.H47"], "into": {"code": "000.00.00.H17"}},
             {"kind": "merge", "from": ["000.00.00.H47"], "into": {"code": "000.00.00.H48"}}],
            [{"kind": "merge", "from": ["000.00.00.K47"], "into": {"code": "000.00.00.H17"}}],
            [{"kind": "rename", "code": "000.00.00.H99", "name": "x"}],
            [{"kind": "rename", "code": "000.00.00.G38", "name": "x"}],  # valid only from 2025-04-14
            [{"kind": "issue", "parent": {"step": 0}, "name": "x"}],
        ]
        for steps in bad:
            with self.subTest(steps=steps), self.assertRaises(Refused):
                replay(Model(rows), "t", {"decision": dec, "effective": "2025-03-01", "title": "t", "steps": steps})
        ok = [{"kind": "merge", "from": ["000.00.00.K47"], "into": {"code": "000.00.00.H17"}, "across_groups": True},
              {"kind": "issue", "parent": "000.00.00.H17", "name": "Sở mới"},
              {"kind": "rename", "code": {"step": 1}, "name": "Sở mới hơn"}]
        replay(Model(rows), "t", {"decision": dec, "effective": "2025-03-01", "title": "t", "steps": ok})

    def test_ministry_merges_of_2025(self):
        model, steps = replay_all()
        merges = {}
        for name, plan, s in steps:
            if s["kind"] == "merge" and "code" in s["into"] and s["into"]["code"][-3] == "G":
                for c in s["from"]:
                    merges[c] = (s["into"]["code"], plan)
        for old, new in MINISTRY_MERGES.items():
            with self.subTest(ministry=old):
                self.assertIn(old, merges)
                into, plan = merges[old]
                self.assertEqual(into, new)
                self.assertEqual((plan["decision"]["number"], plan["decision"]["date"], plan["effective"]),
                                 (GOVERNMENT["number"], GOVERNMENT["date"], GOVERNMENT["effective"]))
                self.assertEqual(plan["decision"]["kind"], "Quyết định")
                self.assertEqual(model.resolve(old), [new])
        for code, name in MINISTRY_NAMES.items():
            self.assertEqual(model.units[code]["name"], name)
            self.assertIsNone(model.units[code]["closed"], code)

    def test_the_23_province_mergers(self):
        num = province_numbers()
        expected = {}
        for keep, gone in PROVINCE_MERGERS:
            for g in gone:
                expected[num[g]] = num[keep]
        self.assertEqual(len(expected), 29)
        model, steps = replay_all()
        seen = {}
        for name, plan, s in steps:
            if s["kind"] != "merge" or "code" not in s["into"] or s["into"]["code"][-3] not in LOCAL_LETTERS:
                continue
            for c in s["from"]:
                seen.setdefault(c, []).append((s["into"]["code"], name, plan))
        wanted = {f"000.00.00.{L}{old}" for old in expected for L in LOCAL_LETTERS}
        self.assertEqual(set(seen), wanted, "province merges: none missing, none extra")
        for keep, gone in PROVINCE_MERGERS:
            with self.subTest(province=keep):
                files = set()
                for g in gone:
                    for L in LOCAL_LETTERS:
                        old, new = f"000.00.00.{L}{num[g]}", f"000.00.00.{L}{num[keep]}"
                        [(into, name, plan)] = seen[old]
                        self.assertEqual(into, new, f"{old} merges into {new}")
                        files.add(name)
                        self.assertEqual(model.resolve(old), [new])
                        d = plan["decision"]
                        self.assertEqual((d["number"], d["date"], d["issuer"], d["kind"], plan["effective"]),
                                         (PROVINCES["number"], PROVINCES["date"], PROVINCES["issuer"],
                                          PROVINCES["kind"], PROVINCES["effective"]))
                self.assertEqual(len(files), 1, "one plan per merger, UBND, HĐND and Party Committee together")

    def test_each_province_three_codes_stay_consistent(self):
        model, _ = replay_all()
        left = 0
        for n in range(1, 64):
            with self.subTest(province=n):
                codes = [f"000.00.00.{L}{n:02d}" for L in LOCAL_LETTERS]
                status = {bool(model.units[c]["closed"]) for c in codes}
                self.assertEqual(len(status), 1, "H, K and A close together or not at all")
                current = [[r[-2:] for r in model.resolve(c)] for c in codes]
                self.assertEqual(current[0], current[1])
                self.assertEqual(current[0], current[2])
                self.assertEqual([c[-3] for c in model.resolve(codes[0])], ["H"])
                left += not status.pop()
        self.assertEqual(left, 34, "63 provinces became 34")


# ---- the real registry ------------------------------------------------------


class RealRegistry(ltd.DaemonTest):
    """The data through the registry's own rules: a registry that holds only
    level1.csv (imported, so whatever init applies does not matter here),
    each step sent as the HTTP body it is, with its plan's decision."""

    def setUp(self):
        self.r = ltd.Registry(prefix="lt_test_reform_", demo=None)
        p = self.r.run("--json", "import", LEVEL1)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.d = None

    def tearDown(self):
        if self.d is not None:
            ltd.assert_clean_stop(self, self.d)
        self.r.close()

    def cli_json(self, *args):
        p = self.r.run(*args, "--json")
        if p.returncode != 0:
            raise AssertionError(f"lienthong {' '.join(args)}:\n{ltd.detail(p)}")
        return json.loads(p.stdout)

    def apply_steps(self, name, plan):
        """Each step as the one request it is: a reorganisation body of
        POST /v1/reorganizations, a rename by PATCH, an issue by POST /v1/units."""
        if self.d is None:
            self.d = ltd.Daemon(self.r).start()
            self.admin = self.r.token("admin")
        d = plan["decision"]
        change = {"decision": {k: d[k] for k in ("number", "date", "issuer")}, "effective": plan["effective"]}
        made = []

        def ref(x):
            return x if isinstance(x, str) else made[x["step"]][x.get("part", 0)]

        def refs(o):
            if isinstance(o, list):
                return [refs(v) for v in o]
            if isinstance(o, dict) and "step" in o:
                return ref(o)
            if isinstance(o, dict):
                return {k: refs(v) for k, v in o.items()}
            return o

        for i, step in enumerate(plan["steps"]):
            body = {k: refs(v) for k, v in step.items() if k not in (*ANNOTATIONS, "across_groups")}
            kind = body.pop("kind")
            if kind == "rename":
                r = self.d.patch(f"/v1/units/{body['code']}", dict(change, name=body["name"]), token=self.admin)
            elif kind == "issue":
                r = self.d.post("/v1/units", dict(change, **body), token=self.admin)
            else:
                r = self.d.post("/v1/reorganizations", dict(change, kind=kind, **body), token=self.admin)
            self.assertIn(r.status, (200, 201), f"{name} step {i}: {r!r}")
            out = r.json()
            if kind == "issue":
                made.append([out["code"]])
            elif kind == "move":
                made.append([out["moved"][body["from"][0]]])
            else:
                made.append(out.get("created", []))

    def check_outcome(self):
        model, _ = replay_all()
        for code, u in model.units.items():
            if not CODE_RE.match(code) or not u["closed"]:
                continue
            with self.subTest(code=code):
                got = self.cli_json("unit", "resolve", code)
                self.assertEqual(got["status"], "closed")
                want = [c for c in model.resolve(code) if CODE_RE.match(c)]
                if len(want) == len(model.resolve(code)):
                    self.assertEqual(got["current"], want)
                else:  # a unit the registry numbered: same parent as the model's
                    self.assertEqual(len(got["current"]), len(model.resolve(code)))
        for code, name in MINISTRY_NAMES.items():
            self.assertEqual(self.cli_json("unit", "show", code)["name"], name)
        self.assertEqual(self.cli_json("unit", "resolve", "000.00.00.G24")["current"], ["000.00.59.G12"])
        self.assertEqual(self.cli_json("unit", "show", "000.00.59.G12")["name"],
                         {r["code"]: r["name"] for r in level1_rows()[1]}["000.00.00.G24"], "a move keeps the name")
        # Now: 34 provinces; as of 2025-01-01: the 2020 table, names included.
        now = list(csv.DictReader(io.StringIO(self.r.export_text())))
        self.assertEqual(sum(1 for r in now if r["code"][-3] == "H" and r["code"].startswith("000.00.00.")), 34)
        # (Huế's renames take effect on 2025-01-01 itself.)
        for day in ("2024-12-31", "2025-01-01"):
            before = {r["code"]: r for r in csv.DictReader(io.StringIO(self.r.export_text("--as-of", day)))}
            table = {r["code"]: r for r in level1_rows()[1] if r["valid_from"] <= day}
            self.assertEqual(set(before), set(table), day)
            then = Model(level1_rows()[1])
            for name, plan in load_plans():
                if plan["effective"] <= day:
                    replay(then, name, plan)
            for code in table:
                self.assertEqual(before[code]["name"], then.units[code]["name"], f"{code} as of {day}")
            if day == "2024-12-31":
                self.assertEqual({c: r["name"] for c, r in before.items()}, {c: r["name"] for c, r in table.items()})

    def test_plans_apply_step_by_step_and_resolve(self):
        for name, plan in load_plans():
            self.apply_steps(name, plan)
        self.check_outcome()

    def test_plans_apply_through_plan_apply(self):
        helptext = self.r.run("--help").stdout
        if not re.search(r"^  plan ", helptext, re.M):
            self.skipTest("this lienthong has no `plan` command yet")
        for path in plan_files():
            p = self.r.run("plan", "apply", path, "--json")
            self.assertEqual(p.returncode, 0, f"{os.path.basename(path)}:\n{ltd.detail(p)}")
        self.check_outcome()

    def test_init_leaves_every_province_consistent(self):
        # What init makes of the plans, with and without the demo tree (whose
        # fuller Quảng Nam plan may stand in for the level-1 one): every
        # absorbed province's three codes resolve to the survivor's.
        if not re.search(r"^  plan ", self.r.run("--help").stdout, re.M):
            self.skipTest("this lienthong's init applies no plans yet")
        num = province_numbers()
        for demo in (False, True):
            reg = ltd.Registry(prefix="lt_test_reform_init_", demo=demo)
            try:
                for keep, gone in PROVINCE_MERGERS:
                    for g in gone:
                        for L in LOCAL_LETTERS:
                            old, new = f"000.00.00.{L}{num[g]}", f"000.00.00.{L}{num[keep]}"
                            with self.subTest(demo=demo, code=old):
                                got = json.loads(reg.check("unit", "resolve", old, "--json"))
                                self.assertEqual((got["status"], got["current"]), ("closed", [new]),
                                                 f"after init{' --demo' if demo else ''}: a plan standing in for "
                                                 "a reform plan must close what that one closes")
            finally:
                reg.close()

    def test_unit_under_tay_ninh_party_committee_imports_and_sends(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=self.r.dir, delete=False, encoding="utf-8") as f:
            f.write("code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
                    "000.00.01.A53,Văn phòng Tỉnh ủy Tây Ninh,000.00.00.A53,1-QĐ/TU,2021-01-04,"
                    "Tỉnh ủy Tây Ninh,2021-01-04\n")
        p = self.r.run("import", f.name)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        office = "000.00.01.A53"
        u = self.cli_json("unit", "show", office)
        self.assertEqual((u["parent"], u["status"], u["level"]), ("000.00.00.A53", "active", 2))
        self.assertEqual(self.cli_json("unit", "show", "000.00.00.A53")["name"], "Tỉnh ủy Tây Ninh")
        # A package from it, as the real Tây Ninh sample, to the province's
        # People's Committee and to the Party's central office.
        tok = {c: self.r.system_add(f"hệ thống {c}", c)["token"] for c in (office, "000.00.00.H53", "000.00.00.A64")}
        self.d = ltd.Daemon(self.r).start()
        data, docid = ltpkg.edoc(office, ["000.00.00.H53", "000.00.00.A64"], number="12", notation="VPTU")
        r = ltx.send(self.d, tok[office], data)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["document_id"], docid)
        self.assertEqual({x["code"]: x["state"] for x in r.json()["recipients"]},
                         {"000.00.00.H53": "pending", "000.00.00.A64": "pending"})
        for c in ("000.00.00.H53", "000.00.00.A64"):
            self.assertIn(r.json()["id"], [it["id"] for it in ltx.inbox_all(self.d, tok[c])], c)

if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
