#!/usr/bin/env python3
"""Integration test: `lienthong COMMAND [VERB] --help` for every command and
verb `lienthong --help` and `lienthong unit --help` name prints its usage
and exits 0, doing nothing else: no database is opened or created, nothing
is read from standard input, no daemon is called (issue 22: the command
line describes every command).

Before, `token list --help`, `system list|bind|unbind|disable|enable|
rotate-token --help` crashed (the parse returned 0 without an open
registry), `unit history|resolve --help` went on with no registry,
`token check --help` read standard input and `system rotate-secret --help`
opened the seal key.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

# Commands whose first argument is a verb the top-level help spells out.
VERB_COMMANDS = ("token", "system", "code", "report", "org")


def commands_and_verbs():
    out = subprocess.run([ltd.CLI, "--help"], capture_output=True, text=True).stdout
    body = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    seen = []
    for line in body.splitlines():
        synopsis = re.split(r"\s{2,}", line.strip())[0]
        words = synopsis.split()
        cmd = words[0]
        if cmd == "unit":
            continue
        if cmd not in VERB_COMMANDS:
            if [cmd] not in seen:
                seen.append([cmd])
            continue
        # "token create ... | list | revoke ID | check", "system bind|unbind ID CODE | disable|enable ID"
        chunks = " ".join(words[1:]).split("|")
        for chunk in chunks:
            first = chunk.split()[0] if chunk.split() else ""
            if re.fullmatch(r"[a-z][a-z-]*", first) and [cmd, first] not in seen:
                seen.append([cmd, first])
    unit = subprocess.run([ltd.CLI, "unit", "--help"], capture_output=True, text=True).stdout
    for verb in re.findall(r"^\s+lienthong unit (\w+)", unit, re.M):
        seen.append(["unit", verb])
    return seen


class Help(unittest.TestCase):
    def test_every_command_and_verb(self):
        todo = commands_and_verbs()
        for want in (["token", "list"], ["system", "rotate-token"], ["unit", "history"], ["backup"], ["catch-up"]):
            self.assertIn(want, todo)
        with tempfile.TemporaryDirectory(prefix="lt_test_help_") as tmp:
            db = os.path.join(tmp, "none.db")
            env = ltd.clean_env(LIENTHONG_DB=db, LIENTHONG_DATA_DIR=os.path.join(tmp, "data"),
                                LIENTHONG_URL="http://127.0.0.1:1", LIENTHONG_TOKEN="lt_x")
            for args in todo:
                with self.subTest(args=args):
                    # A pipe that is never written or closed: reading it would hang.
                    r, w = os.pipe()
                    try:
                        p = subprocess.run([ltd.CLI, *args, "--help"], stdin=r, capture_output=True, text=True,
                                           env=env, cwd=tmp, timeout=10)
                    finally:
                        os.close(r)
                        os.close(w)
                    self.assertEqual(p.returncode, 0, ltd.detail(p))
                    self.assertTrue(p.stdout.startswith("usage: lienthong " + " ".join(args)), p.stdout)
                    self.assertEqual(p.stderr, "")
            self.assertEqual(os.listdir(tmp), [], "a --help created files")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
