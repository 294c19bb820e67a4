#!/usr/bin/env python3
"""Integration test: the daemon on PostgreSQL (issue 18), whatever
LT_TEST_DB says: this file always starts its own throw-away cluster
(ltpg.py, through scripts/pg-tmp).

- `lienthong init --db postgresql://…` fills an empty database (and
  refuses one that holds a registry), `lienthong --db URI COMMAND` reads it,
  `lienthong backup` says to use PostgreSQL's own tools, and the daemon
  serves the registry from it.
- The server stopped under a running daemon (a restart, a failover): a
  request in that moment is a 503 with Retry-After, the daemon reconnects by
  itself once the server is back, and what was answered 2xx before is
  there.
- scripts/pg-tmp leaves nothing running when its whole process group is
  killed (a test runner's timeout): its watchdog removes the cluster.
- Two daemons on one database and one data_dir: a write through one is read
  through the other at once; the start-up sweep of one never removes what
  may be the other's upload in flight (a body without a row, a spool file,
  touched within the hour), and removes them once they are older.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""

import os
import signal
import subprocess
import sys
import time
import unittest

os.environ["LT_TEST_DB"] = "postgres"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpg  # noqa: E402

CODE = "000.00.06.H14"


class PgDaemon(unittest.TestCase):
    def setUp(self):
        self.reg = ltd.Registry(prefix="lt_test_pg_")
        self.assertTrue(self.reg.db.startswith("postgresql://"), self.reg.db)
        self.admin = self.reg.token("admin")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.kill()
        self.reg.close()

    def daemon(self):
        d = ltd.Daemon(self.reg).start()
        self.daemons.append(d)
        return d

    def set_email(self, d, email):
        return d.patch(f"/v1/units/{CODE}", {"email": email}, token=self.admin)

    def test_init_and_serve(self):
        d = self.daemon()
        r = d.get(f"/v1/units/{CODE}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["code"], CODE)
        r = d.get("/v1/units?q=cao+bang&limit=3")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["items"], r)
        self.assertEqual(d.get("/healthz").status, 200)

    def test_cli_db_option(self):
        uri = ltpg.new_database()
        env = ltd.clean_env(LIENTHONG_DATA=ltd.DATA_DIR, LIENTHONG_TODAY=ltd.TODAY)

        def cli(*args):
            return subprocess.run([ltd.CLI, *args], cwd=self.reg.dir, env=env, capture_output=True, text=True,
                                  timeout=60)

        p = cli("init", "--db", uri)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("initialised postgresql://", p.stdout)
        p = cli("--db", uri, "export")
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("000.00.00.H14", p.stdout)
        p = cli("init", "--db", uri)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("already initialised", p.stderr)
        p = cli("--db", uri, "backup", os.path.join(self.reg.dir, "bk"))
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("pg_basebackup", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.reg.dir, "bk")), "a refused backup left a directory")
        p = cli("init", "--db", "postgresql://x/y?colour=blue")
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("colour", p.stderr)

    def test_server_restart_gives_503_then_reconnects(self):
        d = self.daemon()
        r = self.set_email(d, "before@caobang.gov.vn")
        self.assertEqual(r.status, 200, r)
        cluster = ltpg.cluster()
        cluster.down()
        try:
            r = d.get("/healthz")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.header("Retry-After"), "1")
            r = self.set_email(d, "during@caobang.gov.vn")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.header("Retry-After"), "1")
        finally:
            cluster.up()
        deadline = time.monotonic() + 10
        while d.get("/healthz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        r = d.get(f"/v1/units/{CODE}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["email"], "before@caobang.gov.vn", "a write answered 2xx survives")
        r = self.set_email(d, "after@caobang.gov.vn")
        self.assertEqual(r.status, 200, r)

    def test_two_daemons_share_database_and_data_dir(self):
        a, b = self.daemon(), self.daemon()
        self.assertEqual(b.get(f"/v1/units/{CODE}").status, 200)  # b's reply cache holds it now
        r = self.set_email(a, "shared@caobang.gov.vn")
        self.assertEqual(r.status, 200, r)
        deadline = time.monotonic() + 0.1
        while True:
            email = b.get(f"/v1/units/{CODE}").json()["email"]
            if email == "shared@caobang.gov.vn" or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        self.assertEqual(email, "shared@caobang.gov.vn", "b served its stale copy for more than 100 ms")

        # What could be a's uploads in flight, in the shared data_dir.
        body_dir = os.path.join(self.reg.data_dir, "packages", "ab")
        os.makedirs(body_dir, exist_ok=True)
        body = os.path.join(body_dir, "ab" + "0" * 30 + ".xml")
        spool = os.path.join(self.reg.data_dir, "tmp", "upload-inflight")
        for path in (body, spool):
            with open(path, "w") as f:
                f.write("<edXML/>")
        ltd.assert_clean_stop(self, b)
        b = self.daemon()
        self.assertTrue(os.path.exists(body), "a fresh body without a row was swept by another node's start")
        self.assertTrue(os.path.exists(spool), "a fresh spool file was swept by another node's start")
        # An hour untouched: nobody's upload any more.
        old = time.time() - 2 * 3600
        for path in (body, spool):
            os.utime(path, (old, old))
        ltd.assert_clean_stop(self, b)
        self.daemon()
        self.assertFalse(os.path.exists(body), "an orphan body of long ago stayed")
        self.assertFalse(os.path.exists(spool), "an orphan spool file of long ago stayed")


def running(pid):
    """True while pid runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class PgTmp(unittest.TestCase):
    def test_group_killed_leaves_nothing_running(self):
        p = subprocess.Popen([ltpg.PG_TMP, "run", "sh", "-c", 'echo "$LT_TEST_PG"; exec sleep 60'],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            uri = p.stdout.readline().strip()
            self.assertIn("host=/tmp/lt-pg-", uri)
            directory = uri.split("host=")[1]
            self.assertTrue(os.path.isdir(directory))
            with open(os.path.join(directory, "data", "postmaster.pid")) as f:
                postmaster = int(f.readline())
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and os.path.exists(directory):
            time.sleep(0.2)
        self.assertFalse(os.path.exists(directory), "the cluster's directory outlived its runner")
        self.assertFalse(running(postmaster), "the postmaster outlived its runner")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
