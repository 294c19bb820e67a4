#!/usr/bin/env python3
"""Integration test: what the CLI prints for people (issue 22).

- `token list`, `system list` and `audit` are tables with a header whose
  columns line up by the width a terminal gives each cell: Vietnamese names
  (precomposed, and typed with combining tone marks) no longer push the
  columns after them out of line.
- `unit history` labels its columns.
- Times are shown in display_tz (default Asia/Ho_Chi_Minh) with their
  offset; another zone is honoured.
- An empty inbox says so.
- JSON gives null, never "" or 0, for absent values (a token without scope,
  name or system; a system never disabled), as the API does.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import json
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

H14 = "000.00.00.H14"
QN = "000.00.00.H47"


def width(s):
    """Terminal columns: combining marks none, East Asian wide two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


class Display(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_display_")
        cls.d = None
        try:
            cls.reg.token("manager", scope=H14, name="Sở Nội vụ tỉnh Cao Bằng")
            # The same name typed with combining marks (NFD): more code points, same width.
            cls.reg.token("manager", scope=H14, name=unicodedata.normalize("NFD", "Sở Tư pháp tỉnh Cao Bằng"))
            cls.reg.token("reader")
            cls.reg.token("admin", name="ops")
            cls.sys = cls.reg.system_add("QLVB Ủy ban nhân dân tỉnh Cao Bằng", H14)
            cls.reg.system_add("QLVB", "000.00.04.H14")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def run_cli(self, *args, env=None):
        e = dict(self.reg.env)
        if env:
            e.update(env)
        p = subprocess.run([ltd.CLI, *args], cwd=self.reg.dir, env=e, capture_output=True, encoding="utf-8",
                           timeout=60)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        return p.stdout

    def assertAligned(self, text, header):
        lines = text.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), header, text)
        # Each header word starts at the same display column as its cell in every row.
        starts = [width(lines[0][:m.start()]) for m in re.finditer(r"\S+", lines[0])]
        for line in lines[1:]:
            for col in starts[1:]:
                # The cell before this column ends with two blanks or more at col.
                prefix, k = "", 0
                for ch in line:
                    if width(prefix) >= col:
                        break
                    prefix += ch
                    k += 1
                self.assertEqual(width(prefix), col, f"column at {col} in {line!r}")
                self.assertTrue(prefix.endswith("  "), f"no gap before column {col} in {line!r}\n{text}")
                self.assertNotEqual(line[k:k + 1], " ", f"cell does not start at {col} in {line!r}")
        return lines

    def test_token_list_aligned_and_zoned(self):
        out = self.run_cli("token", "list")
        lines = self.assertAligned(out, ["ID", "ROLE", "SCOPE", "NAME", "CREATED", "REVOKED"])
        self.assertTrue(any("Sở Nội vụ tỉnh Cao Bằng" in x for x in lines))
        self.assertTrue(all(re.search(r" \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+07:00 ", x) for x in lines[1:]), out)
        utc = self.run_cli("token", "list", env={"LIENTHONG_DISPLAY_TZ": "UTC"})
        self.assertTrue(all(re.search(r" \+00:00 ", x) for x in utc.splitlines()[1:]), utc)

    def test_system_list_and_audit_aligned(self):
        self.assertAligned(self.run_cli("system", "list"), ["ID", "NAME", "CREATED", "DISABLED", "CODES"])
        out = self.run_cli("audit")
        self.assertAligned(out, ["ID", "AT", "WHO", "ROLE", "ACTION", "TARGET", "DETAIL"])
        self.assertRegex(out.splitlines()[1], r"\+07:00")

    def test_unit_history_labelled(self):
        out = self.run_cli("unit", "history", QN)
        lines = self.assertAligned(out, ["SEQ", "EFFECTIVE", "WRITTEN", "KIND", "NAME", "DECISION", "LINEAGE"])
        self.assertIn("successors: 000.00.00.H17", lines[-1])
        self.assertIn("202/2025/QH15 of 2025-06-12, Quốc hội", lines[-1])

    def test_empty_inbox_says_so(self):
        e = {"LIENTHONG_URL": self.d.url, "LIENTHONG_TOKEN": self.sys["token"]}
        self.assertEqual(self.run_cli("inbox", env=e), "the inbox is empty: nothing waits for this system\n")
        self.assertEqual(json.loads(self.run_cli("inbox", "--json", env=e))["items"], [])

    def test_json_null_for_absent_values(self):
        tokens = json.loads(self.run_cli("token", "list", "--json"))
        reader = [t for t in tokens if t["role"] == "reader"][0]
        self.assertEqual((reader["scope"], reader["name"], reader["system_id"], reader["revoked"]),
                         (None, None, None, None))
        system = [t for t in tokens if t["role"] == "system"][0]
        self.assertEqual(system["system_id"], self.sys["id"])
        for s in json.loads(self.run_cli("system", "list", "--json")):
            self.assertIsNone(s["disabled_at"])
            self.assertFalse(s["disabled"])
        made = json.loads(self.run_cli("token", "create", "--role", "reader", "--json"))
        self.assertEqual((made["scope"], made["name"]), (None, None))


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
