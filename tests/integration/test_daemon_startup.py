"""lienthongd start-up: a start that fails part-way undoes what it started, in
reverse order, and exits with the status table's code; `lienthongd -n`
refuses every configuration start-up would refuse, without binding the port
or creating anything.

Under build-asan the busy-port case once showed a heap-use-after-free (the
retention thread reading the exchange that start-up had already freed) or a
hang; here it must exit 3 at once with a clear message and no sanitizer
report.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer")


def run_daemon(env, *args, timeout=60):
    try:
        return subprocess.run([ltd.DAEMON, *args], env=env, capture_output=True, encoding="utf-8",
                              errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"lienthongd {' '.join(args)} still ran after {timeout}s:\n{e.stderr}")


def sanitizer_lines(text):
    return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKS)]


@ltd.sqlite_only
class BusyPort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_startup_")
        # Package rows for the retention thread to scan while start-up fails:
        # the scan is what the freed exchange and store were used by.
        with sqlite3.connect(cls.reg.db) as db:
            db.executemany("INSERT INTO xdocs(id, kind, document_id, system_id, from_code, sha256, size, received) "
                           "VALUES (?, 'edoc', ?, 1, ?, ?, 10, '2020-01-01')",
                           ((f"{i:032x}", f"doc{i}", ltd.CB, "0" * 64) for i in range(300000)))

    @classmethod
    def tearDownClass(cls):
        cls.reg.close()

    def test_busy_port_unwinds_and_exits_3(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            env = dict(self.reg.env, LIENTHONG_LISTEN=f"127.0.0.1:{port}", LIENTHONG_RETENTION_DAYS="1",
                       LIENTHONG_ACCESS_LOG="-")
            for _ in range(3):
                t = time.monotonic()
                p = run_daemon(env, timeout=60)
                self.assertEqual(p.returncode, 3, ltd.detail(p))
                self.assertIn(f"cannot listen on 127.0.0.1:{port}", p.stderr)
                self.assertFalse(sanitizer_lines(p.stderr), ltd.detail(p))
                self.assertLess(time.monotonic() - t, 30, "start-up failure took too long")
        # The database is whole: the daemon starts on a free port and stops cleanly.
        d = ltd.Daemon(self.reg, RETENTION_DAYS="1").start()
        ltd.assert_clean_stop(self, d)


class CheckOnly(unittest.TestCase):
    """-n: the checks of start-up, made without binding or creating anything."""

    def setUp(self):
        self.reg = ltd.Registry(prefix="lt_test_check_", demo=None)
        self.dir = self.reg.dir
        self.env = dict(self.reg.env, LIENTHONG_LISTEN="127.0.0.1:18080",
                        LIENTHONG_DATA_DIR=os.path.join(self.dir, "var", "data"),
                        LIENTHONG_DB=os.path.join(self.dir, "t.db"), LIENTHONG_ACCESS_LOG="-")

    def tearDown(self):
        self.reg.close()

    def check(self, **settings):
        env = dict(self.env, **{f"LIENTHONG_{k.upper()}": str(v) for k, v in settings.items()})
        return run_daemon(env, "-n", timeout=30)

    def assertRefused(self, key, contains, **settings):
        p = self.check(**settings)
        self.assertNotEqual(p.returncode, 0, ltd.detail(p))
        self.assertNotIn("configuration OK", p.stdout, ltd.detail(p))
        self.assertIn(key, p.stderr, ltd.detail(p))
        self.assertIn(contains, p.stderr, ltd.detail(p))

    def test_good_configuration_creates_nothing(self):
        before = sorted(os.listdir(self.dir))
        p = self.check(TRUSTED_CA=os.path.join(ltd.SOURCE_DIR, "tests", "integration", "ltd.py"),
                       ACCESS_LOG=os.path.join(self.dir, "access.log"))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("configuration OK", p.stdout)
        self.assertEqual(sorted(os.listdir(self.dir)), before, "-n created files")

    def test_listen_is_parsed(self):
        for listen, why in (("foo", "needs a port"), ("127.0.0.1:99999", "0 to 65535"), ("127.0.0.1:", "0 to 65535"),
                            ("127.0.0.1:80x", "0 to 65535"), ("example.org:80", "IP address"),
                            ("[::1:8080", "IP address"), ("[zz]:8080", "IPv6")):
            with self.subTest(listen=listen):
                p = self.check(LISTEN=listen)
                self.assertEqual(p.returncode, 1, ltd.detail(p))
                self.assertNotIn("configuration OK", p.stdout)
                self.assertIn(listen, p.stderr)
                self.assertIn(why, p.stderr)
        for listen in ("127.0.0.1:0", ":8080", "[::1]:8080", "localhost:65535", "*:80"):
            with self.subTest(listen=listen):
                p = self.check(LISTEN=listen)
                self.assertEqual(p.returncode, 0, ltd.detail(p))

    def test_paths_are_checked(self):
        a_file = os.path.join(self.dir, "plain")
        with open(a_file, "w") as f:
            f.write("x")
        missing = os.path.join(self.dir, "no", "such")
        self.assertRefused("db", "No such file", DB=os.path.join(missing, "t.db"))
        self.assertRefused("db", "is a directory", DB=self.dir)
        self.assertRefused("db", "PostgreSQL connection URI", DB="postgresql://x/y?colour=blue")
        self.assertEqual(self.check(DB="postgresql://x/y").returncode, 0, "a well-formed URI is not refused")
        self.assertRefused("data_dir", "ot a directory", DATA_DIR=os.path.join(a_file, "data"))
        self.assertRefused("data_dir", "not a directory", DATA_DIR=a_file)
        self.assertRefused("access_log", "No such file", ACCESS_LOG=os.path.join(missing, "a.log"))
        self.assertRefused("trusted_ca", "cannot read", TRUSTED_CA=os.path.join(missing, "ca.pem"))
        self.assertRefused("web_dir", "not a directory", WEB_DIR=missing)

    def test_a_bad_seal_key_is_refused(self):
        data = os.path.join(self.dir, "var", "data")
        os.makedirs(data)
        with open(os.path.join(data, "seal.key"), "wb") as f:
            f.write(b"short")
        self.assertRefused("data_dir", "seal.key")

    def test_upstream_keys_are_checked(self):
        up = dict(UPSTREAM_URL="http://127.0.0.1:9", LOCAL_SCOPE="000.00.00.H17")
        self.assertRefused("upstream_token", "needs upstream_token", **up)
        self.assertRefused("local_scope", "local_scope is empty", UPSTREAM_URL="http://127.0.0.1:9", UPSTREAM_TOKEN="t")
        self.assertRefused("local_scope", "'H17'", LOCAL_SCOPE="H17")
        self.assertRefused("upstream_url", "not an http", UPSTREAM_URL="x", UPSTREAM_TOKEN="t", LOCAL_SCOPE="000.00.00.H17")
        self.assertRefused("upstream_secret", "upstream_system_id and upstream_secret", UPSTREAM_PROTOCOL="vxp", **up)
        p = self.check(UPSTREAM_TOKEN="tok-never-shown", **up)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        p = self.check(UPSTREAM_PROTOCOL="vxp", UPSTREAM_SYSTEM_ID="000.00.00.H17", UPSTREAM_SECRET="s-never-shown", **up)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertNotIn("never-shown", p.stdout + p.stderr)
        # Start-up refuses what -n refuses, before it creates anything.
        env = dict(self.env, LIENTHONG_UPSTREAM_URL="http://127.0.0.1:9", LIENTHONG_LOCAL_SCOPE="000.00.00.H17")
        p = run_daemon(env, timeout=30)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("needs upstream_token", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "t.db")))
        # A config file holding a secret must not be world-readable.
        conf = os.path.join(self.dir, "up.ini")
        with open(conf, "w") as f:
            f.write("upstream_url = http://127.0.0.1:9\nlocal_scope = 000.00.00.H17\nupstream_token = tok-in-file\n")
        os.chmod(conf, 0o644)
        p = run_daemon(self.env, "-c", conf, "-n", timeout=30)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("others may read it", p.stderr)
        self.assertNotIn("tok-in-file", p.stderr)
        os.chmod(conf, 0o600)
        p = run_daemon(self.env, "-c", conf, "-n", timeout=30)
        self.assertEqual(p.returncode, 0, ltd.detail(p))

    def test_exit_codes(self):
        p = run_daemon(self.env, "--no-such-option", timeout=30)
        self.assertEqual(p.returncode, 2, ltd.detail(p))
        p = self.check(THREADS="0")
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("threads", p.stderr)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
