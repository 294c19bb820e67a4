#!/usr/bin/env python3
"""Integration test: `lienthong code check` and `lienthongd -n`, driven as a
user would, plus a check that every code in data/level1.csv is a valid
level-1 code.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD_DIR = os.environ.get("LT_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
CLI = os.path.join(BUILD_DIR, "lienthong")
DAEMON = os.path.join(BUILD_DIR, "lienthongd")

# Every command runs in a scratch directory, so nothing lands in the tree.
WORK_DIR = tempfile.mkdtemp(prefix="lt_test_cli_code_")


def clean_env(**extra):
    """The caller's environment without any LIENTHONG_* override, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(extra)
    return env


def run(binary, *args, env=None):
    return subprocess.run(
        [binary, *args],
        cwd=WORK_DIR,
        env=env if env is not None else clean_env(),
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )


def check(*args, env=None):
    return run(CLI, "code", "check", *args, env=env)


def check_json(*args):
    """Runs code check --json and returns (process, parsed list)."""
    p = check("--json", *args)
    try:
        data = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"--json output is not JSON ({e}):\n{p.stdout}\n{p.stderr}")
    return p, data


def text_lines(p):
    return [line for line in p.stdout.split("\n") if line]


def detail(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


# code -> (level, parent or None), from formats.md §1.2 and §1.4
VALID = {
    "000.00.00.H14": (1, None),
    "000.00.04.G14": (2, "000.00.00.G14"),
    "000.46.24.H44": (3, "000.00.24.H44"),
    "000.00.24.H44": (2, "000.00.00.H44"),
    "000.00.11.H53": (2, "000.00.00.H53"),
    "000.00.01.A53": (2, "000.00.00.A53"),
    "000.00.00.K41": (1, None),
    "000.00.00.G22": (1, None),
    "000.00.18.G12": (2, "000.00.00.G12"),
    "000.00.00.G66": (1, None),
    "001.46.24.H44": (4, "000.46.24.H44"),
    "999.99.99.K99": (4, "000.99.99.K99"),
}

# input -> a piece of the reason that must be printed
INVALID = {
    "000.00.00.h14": "upper case",
    "000.00.00.L14": "unknown level-1 group letter 'L'",
    "000.00.00.G00": "G00 is not used",
    "000.00.00.W00": "reserved for system identifiers",
    "0000.00.00.H14": "has 4 digits, expected 3",
    "000.00.00.H14.": "ends with a dot",
    "000.00.00,H14": "separated by dots",
    "001.00.10.H47": "lenient mode",
    "H14": "found 1",
    "000.00.00.\u0110\u0031\u0034": "non-ASCII",
}


class CodeCheckText(unittest.TestCase):
    def test_valid_codes_print_level_and_parent(self):
        codes = list(VALID)
        p = check(*codes)
        self.assertEqual(p.returncode, 0, detail(p))
        lines = text_lines(p)
        self.assertEqual(len(lines), len(codes), detail(p))
        for code, line in zip(codes, lines):
            level, parent = VALID[code]
            fields = line.split("\t")
            self.assertEqual(fields[0], code, line)
            self.assertIn(f"level {level}", fields, line)
            self.assertIn(f"parent {parent or '-'}", fields, line)
            self.assertTrue(any(f.startswith(f"group {code[-3]} ") for f in fields), line)
            self.assertNotIn("non-canonical", line)

    def test_each_invalid_code_exits_1_with_its_reason(self):
        for code, reason in INVALID.items():
            with self.subTest(code=code):
                p = check(code)
                self.assertEqual(p.returncode, 1, detail(p))
                out = p.stdout + p.stderr
                self.assertIn("invalid", out, detail(p))
                self.assertIn(reason, out, detail(p))

    def test_mixed_valid_and_invalid(self):
        p = check("000.00.04.G14", "000.00.00.X14", "000.00.00.H14")
        self.assertEqual(p.returncode, 1, detail(p))
        lines = text_lines(p)
        self.assertEqual(len(lines), 3, detail(p))
        self.assertIn("level 2", lines[0])
        self.assertIn("invalid", lines[1])
        self.assertIn("'X'", lines[1])
        self.assertIn("level 1", lines[2])

    def test_usage_errors_exit_2(self):
        cases = [
            ("code", "check"),
            ("code", "check", "--json"),
            ("code", "check", "--bogus", "000.00.00.H14"),
            ("code", "check", "000.00.00.H14", "--strict-ish"),
            ("code",),
            ("code", "frobnicate", "000.00.00.H14"),
            (),
            ("--no-such-option", "code", "check", "000.00.00.H14"),
        ]
        for args in cases:
            with self.subTest(args=args):
                p = run(CLI, *args)
                self.assertEqual(p.returncode, 2, detail(p))
                self.assertNotEqual(p.stderr.strip(), "", detail(p))
        p = check("--bogus", "000.00.00.H14")
        self.assertIn("--bogus", p.stderr)
        self.assertEqual(p.stdout, "")


class CodeCheckJson(unittest.TestCase):
    def test_fields(self):
        codes = list(VALID)
        p, data = check_json(*codes)
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIsInstance(data, list)
        self.assertEqual(len(data), len(codes))
        for code, item in zip(codes, data):
            level, parent = VALID[code]
            self.assertEqual(item["input"], code)
            self.assertIs(item["valid"], True)
            self.assertEqual(item["level"], level)
            self.assertEqual(item["parent"], parent)
            self.assertEqual(item["group"]["letter"], code[-3])
            self.assertIs(item["canonical"], True)

    def test_invalid_items(self):
        p, data = check_json("000.00.00.H14", "000.00.00.h14")
        self.assertEqual(p.returncode, 1, detail(p))
        self.assertEqual(len(data), 2)
        self.assertEqual(data[1]["input"], "000.00.00.h14")
        self.assertIs(data[1]["valid"], False)
        self.assertIn("upper case", data[1]["error"])
        self.assertIs(data[0]["valid"], True)

    def test_global_json_option(self):
        p = run(CLI, "--json", "code", "check", "000.00.04.G14")
        self.assertEqual(p.returncode, 0, detail(p))
        data = json.loads(p.stdout)
        self.assertEqual(data[0]["parent"], "000.00.00.G14")

    def test_non_ascii_input_round_trips_in_json(self):
        p, data = check_json("000.00.00.\u0110\u0031\u0034")
        self.assertEqual(p.returncode, 1, detail(p))
        self.assertEqual(data[0]["input"], "000.00.00.\u0110\u0031\u0034")
        self.assertIn("non-ASCII", data[0]["error"])


class CodeCheckModes(unittest.TestCase):
    def test_lenient_accepts_a_hole(self):
        p = check("001.00.10.H47")
        self.assertEqual(p.returncode, 1, detail(p))
        p = check("--lenient", "001.00.10.H47")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIn("non-canonical", p.stdout)
        p, data = check_json("--lenient", "001.00.10.H47", "999.010.01.H22")
        self.assertEqual(p.returncode, 0, detail(p))
        hole, wide = data
        self.assertIs(hole["valid"], True)
        self.assertIs(hole["canonical"], False)
        self.assertEqual(hole["level"], 3)
        self.assertEqual(hole["parent"], "000.00.10.H47")
        self.assertIn("hole", hole["quirks"])
        self.assertEqual(wide["code"], "999.010.01.H22")
        self.assertEqual(wide["level"], 4)
        self.assertIs(wide["canonical"], False)

    def test_lenient_still_refuses_garbage(self):
        p = check("--lenient", "000.00.00.h14", "000.00.00.W00")
        self.assertEqual(p.returncode, 1, detail(p))
        self.assertEqual(p.stdout.count("invalid"), 2, detail(p))

    def test_system_ids(self):
        p = check("00.22.W00")
        self.assertEqual(p.returncode, 1, detail(p))
        p, data = check_json("--system", "00.22.W00", "02.44.W00")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertEqual([d["code"] for d in data], ["00.22.W00", "02.44.W00"])
        self.assertTrue(all(d["canonical"] is False for d in data))
        p = check("--system", "--lenient", "001.00.41.W00")
        self.assertEqual(p.returncode, 0, detail(p))

    def test_enterprise_identifiers(self):
        p = check("0100109106", "0100109106-001")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIn("enterprise", p.stdout)
        p = check("010010910")
        self.assertEqual(p.returncode, 1, detail(p))
        self.assertIn("10 digits", p.stdout)


class Daemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # -n checks what start-up needs: the default database var/lienthong.db
        # needs its directory (made by `lienthong init`).
        os.makedirs(os.path.join(WORK_DIR, "var"), exist_ok=True)

    def test_check_only(self):
        p = run(DAEMON, "-n")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIn("configuration OK", p.stdout)

    def test_bad_env_value_names_the_key(self):
        p = run(DAEMON, "-n", env=clean_env(LIENTHONG_SIGNATURE_POLICY="bogus"))
        self.assertNotEqual(p.returncode, 0, detail(p))
        out = p.stdout + p.stderr
        self.assertNotIn("configuration OK", out)
        self.assertIn("LIENTHONG_SIGNATURE_POLICY", out)
        self.assertIn("bogus", out)

    def test_good_env_value(self):
        p = run(DAEMON, "-n", env=clean_env(LIENTHONG_SIGNATURE_POLICY="require", LIENTHONG_THREADS="2"))
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIn("configuration OK", p.stdout)

    def test_config_file(self):
        good = os.path.join(WORK_DIR, "good.ini")
        with open(good, "w", encoding="utf-8") as f:
            f.write("; test\n[lienthong]\nlisten = 127.0.0.1:18080\nsignature_policy = off\n")
        p = run(DAEMON, "-c", good, "-n")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertIn("configuration OK", p.stdout)

        bad = os.path.join(WORK_DIR, "bad.ini")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("listen = 127.0.0.1:18080\nno_such_key = 1\n")
        p = run(DAEMON, "-c", bad, "-n")
        self.assertNotEqual(p.returncode, 0, detail(p))
        out = p.stdout + p.stderr
        self.assertNotIn("configuration OK", out)
        self.assertIn(f"{bad}:2:", out)
        self.assertIn("no_such_key", out)

        p = run(DAEMON, "-c", os.path.join(WORK_DIR, "missing.ini"), "-n")
        self.assertNotEqual(p.returncode, 0, detail(p))
        self.assertIn("missing.ini", p.stdout + p.stderr)


class Level1Data(unittest.TestCase):
    def test_every_level1_code_is_valid(self):
        path = os.path.join(SOURCE_DIR, "data", "level1.csv")
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertGreater(len(rows), 0, path)
        codes = [r["code"] for r in rows]
        dups = sorted({c for c in codes if codes.count(c) > 1})
        self.assertEqual(dups, [], "duplicate codes in level1.csv")
        for r in rows:
            self.assertEqual(r["parent"], "", f"{r['code']} is level 1 but has a parent")

        # One call with every code.
        p, data = check_json(*codes)
        bad = [f"{d['input']}: {d.get('error')}" for d in data if not d["valid"]]
        self.assertEqual(bad, [], "codes in level1.csv refused")
        self.assertEqual(p.returncode, 0, detail(p))
        self.assertEqual(len(data), len(codes))
        for code, item in zip(codes, data):
            self.assertEqual(item["input"], code)
            self.assertEqual(item["level"], 1, code)
            self.assertIsNone(item["parent"], code)
            self.assertIs(item["canonical"], True, code)
            self.assertEqual(item["code"], code)
            self.assertEqual(item["group"]["letter"], code[-3])
            self.assertIn(code[-3], "ABCDEFGHIJK")


def main():
    for binary in (CLI, DAEMON):
        if not os.access(binary, os.X_OK):
            print(f"missing binary {binary}: build first (make build)", file=sys.stderr)
            print("0 passed, 1 failed")
            return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    # A failing subTest is reported per case; count each test method once.
    bad = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors}
    failed = len(bad) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(rc)
