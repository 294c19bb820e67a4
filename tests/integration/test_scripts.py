#!/usr/bin/env python3
"""Integration test: the scripts a newcomer meets first (issue 17).

- scripts/deps asks apt-get for Debian's nodejs and npm when the commands are
  missing (a fresh Debian 12 has neither), and for nothing when they are
  there. apt-get, sudo and dpkg-query are stubs on a PATH of our own, so
  nothing is installed.
- scripts/run (what `make run DB=path` runs) prints a token that the
  database at that path knows, for each of two databases in turn and after
  its token file went stale; the daemon it starts on that database accepts
  it; the token file is 0600 and `lienthong token check` reads it.
- scripts/check-format passes a file in the repository's style and names
  one that clang-format would change.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

SCRIPTS = os.path.join(ltd.SOURCE_DIR, "scripts")


def stub(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)


class Client(ltd.Daemon):
    """ltd's HTTP client, for a daemon that scripts/run started."""

    def __init__(self, port):
        self.port = port


class Deps(unittest.TestCase):
    """scripts/deps with every Debian package reported installed, so only the
    node and npm commands decide what it asks for."""

    def run_deps(self, have):
        with tempfile.TemporaryDirectory(prefix="lt_test_deps_") as d:
            bin_dir = os.path.join(d, "bin")
            os.mkdir(bin_dir)
            log = os.path.join(d, "apt.log")
            # Only what the script calls besides shell built-ins, and never
            # the real apt-get: PATH holds nothing else.
            for tool in ("grep", "id"):
                os.symlink(shutil.which(tool), os.path.join(bin_dir, tool))
            stub(os.path.join(bin_dir, "dpkg-query"), "echo 'install ok installed'")
            stub(os.path.join(bin_dir, "apt-get"), f'echo "apt-get $*" >> "{log}"')
            stub(os.path.join(bin_dir, "sudo"), 'exec "$@"')
            for cmd in have:
                stub(os.path.join(bin_dir, cmd), "exit 0")
            p = subprocess.run([os.path.join(SCRIPTS, "deps")], env={"PATH": bin_dir, "HOME": d},
                               capture_output=True, text=True, timeout=60)
            calls = open(log).read().splitlines() if os.path.exists(log) else []
        return p, calls

    def installed(self, calls):
        pkgs = set()
        for c in calls:
            words = c.split()
            if "install" in words:
                pkgs.update(w for w in words[words.index("install") + 1:] if not w.startswith("-"))
        return pkgs

    def test_fresh_debian_gets_nodejs_and_npm(self):
        p, calls = self.run_deps(have=())
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertEqual(self.installed(calls), {"nodejs", "npm"}, calls)
        self.assertIn("nodejs", p.stderr)

    def test_only_the_missing_command(self):
        p, calls = self.run_deps(have=("node",))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertEqual(self.installed(calls), {"npm"}, calls)

    def test_node_from_elsewhere_is_kept(self):
        p, calls = self.run_deps(have=("node", "npm"))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertEqual(calls, [], "nothing is missing: apt-get must not run")


class Run(unittest.TestCase):
    """scripts/run with LIENTHONG_DB (what `make run DB=path` passes) on a
    free port; the printed token is checked against the daemon it started."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lt_test_run_")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        self.tmp.cleanup()

    def env(self, db, port):
        return ltd.clean_env(LIENTHONG_DB=db, LIENTHONG_DATA_DIR=os.path.join(self.tmp.name, "data"),
                             LIENTHONG_LISTEN=f"127.0.0.1:{port}", LIENTHONG_ACCESS_LOG="",
                             LT_BUILD_DIR=ltd.BUILD_DIR)

    def run_script(self, db):
        """Starts scripts/run, reads the token it prints, checks it over HTTP
        against the daemon, stops the daemon. Returns the token."""
        for _ in range(5):
            port = ltd.free_port()
            p = subprocess.Popen([os.path.join(SCRIPTS, "run")], env=self.env(db, port), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.procs.append(p)
            token = None
            banner = []
            for line in p.stdout:
                banner.append(line)
                m = re.search(r"export TOKEN=(\S+)", line)
                if m:
                    token = m.group(1)
                    break
            if token is None:  # stderr is read only then: it stays open while the daemon runs
                p.kill()
                self.fail("scripts/run printed no token:\n" + "".join(banner) + p.stderr.read())
            self.assertIn(db, "".join(banner), "the banner names the database it serves")
            d = Client(port)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and p.poll() is None:
                try:
                    if d.get("/healthz", timeout=2).status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            if p.poll() is not None:
                err = p.stderr.read()
                if "cannot listen" in err:
                    continue  # lost the port to someone else: another one
                self.fail(f"lienthongd exited {p.returncode}:\n{err}")
            me = d.get("/v1/me", token=token)
            self.assertEqual(me.status, 200, f"the printed token against the daemon on {db}: {me!r}")
            self.assertEqual(me.json().get("role"), "admin", me)
            anon = d.get("/v1/me", token="lt_" + "0" * 40)
            self.assertEqual(anon.status, 401, "a token the database does not know is refused")
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=30)
            self.assertEqual(rc, 0, p.stderr.read())
            return token
        self.fail("no free port after 5 tries")

    def check_token_file(self, db, token):
        path = db + ".tour-token"
        st = os.stat(path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, f"{path} holds an admin token: mode 0600")
        with open(path) as f:
            self.assertEqual(f.read().strip(), token)
        p = subprocess.run([ltd.CLI, "token", "check"], input=token + "\n", capture_output=True, text=True,
                           env=ltd.clean_env(LIENTHONG_DB=db), timeout=60)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("admin", p.stdout)

    def test_each_database_gets_its_own_token(self):
        a = os.path.join(self.tmp.name, "a", "x.db")  # a folder that does not exist yet
        b = os.path.join(self.tmp.name, "b.db")
        ta = self.run_script(a)
        self.check_token_file(a, ta)
        tb = self.run_script(b)
        self.check_token_file(b, tb)
        self.assertNotEqual(ta, tb)
        self.assertEqual(self.run_script(a), ta, "a second run on the same database shows the same token")

    def test_stale_token_file_is_replaced(self):
        a = os.path.join(self.tmp.name, "a.db")
        b = os.path.join(self.tmp.name, "b.db")
        tb = self.run_script(b)
        # A token file that another database wrote (or one left by a database
        # that was removed) must not be shown as the tour token.
        with open(a + ".tour-token", "w") as f:
            f.write(tb + "\n")
        ta = self.run_script(a)
        self.assertNotEqual(ta, tb)
        self.check_token_file(a, ta)

    def test_token_check_refuses_unknown_and_empty(self):
        db = os.path.join(self.tmp.name, "c.db")
        env = ltd.clean_env(LIENTHONG_DB=db, LIENTHONG_DATA_DIR=os.path.join(self.tmp.name, "data"))
        subprocess.run([ltd.CLI, "init"], env=env, capture_output=True, check=True, timeout=60)
        for given, why in (("lt_" + "1" * 40 + "\n", "not known"), ("", "empty"), ("nonsense\n", "malformed")):
            p = subprocess.run([ltd.CLI, "token", "check"], input=given, capture_output=True, text=True, env=env,
                               timeout=60)
            self.assertEqual(p.returncode, 1, ltd.detail(p))
            self.assertIn(why, p.stderr)


class CheckFormat(unittest.TestCase):
    GOOD = "int lt_example(int x)\n{\n\tint y = x + 1;\n\treturn y;\n}\n"
    BAD = "int lt_example( int x ) {\n  return x+1;\n}\n"

    def test_names_a_file_clang_format_would_change(self):
        if not shutil.which("clang-format"):
            self.skipTest("clang-format is not installed (scripts/deps installs it)")
        with tempfile.TemporaryDirectory(prefix="lt_test_fmt_") as d:
            good = os.path.join(d, "good.c")
            bad = os.path.join(d, "bad.c")
            with open(good, "w") as f:
                f.write(self.GOOD)
            with open(bad, "w") as f:
                f.write(self.BAD)
            tool = os.path.join(SCRIPTS, "check-format")
            p = subprocess.run([tool, good], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            p = subprocess.run([tool, good, bad], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, ltd.detail(p))
            self.assertIn(bad, p.stdout)
            self.assertNotIn(good, p.stdout)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
