#!/usr/bin/env python3
"""Integration test: where credentials and the registry's secrets end up
(issue 17, "Files, CSV, logs").

- The database and its -wal and -shm files are created 0600 by the CLI and
  by the daemon, under umask 022 and under umask 000 (before the fix they
  were 0644 and 0666: anyone on the machine could read the token hashes and
  the sealed VXP secrets); the seal key is 0600 in a 0700 data directory.
- A bearer token (or a VXP secret) in the query string is refused with 401
  on every path, and the access log never holds it: query parameters named
  like credentials, and values shaped like a token, are written
  "[redacted]".

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import json
import os
import stat
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class FileModes(ltd.DaemonTest):
    """The CLI creates the database, then the daemon opens it and writes."""

    def check_modes(self, umask):
        old = os.umask(umask)
        try:
            reg = ltd.Registry(prefix="lt_test_secrets_modes_")
            try:
                self.assertEqual(mode(reg.db), 0o600, f"database made by the CLI under umask {umask:03o}")
                reg.token("admin", name="modes")  # a write through the CLI: -wal and -shm come and go
                self.assertEqual(mode(reg.db), 0o600)
                d = ltd.Daemon(reg).start()
                try:
                    tok = reg.token("admin", name="modes 2")
                    r = d.patch(f"/v1/units/{CB}", {"email": "ubnd@caobang.gov.vn"}, token=tok)
                    self.assertStatus(r, 200)
                    for suffix in ("", "-wal", "-shm"):
                        p = reg.db + suffix
                        self.assertTrue(os.path.exists(p), f"{p} while the daemon runs")
                        self.assertEqual(mode(p), 0o600, f"{p} under umask {umask:03o}: {mode(p):03o}")
                    self.assertEqual(mode(os.path.join(reg.data_dir, "seal.key")), 0o600)
                    self.assertEqual(mode(d.access_log) & 0o037, 0, f"access log {mode(d.access_log):03o}")
                    self.assertEqual(mode(reg.data_dir) & 0o077, 0, f"data_dir {mode(reg.data_dir):03o}")
                finally:
                    ltd.assert_clean_stop(self, d)
            finally:
                reg.close()
        finally:
            os.umask(old)

    def test_umask_022(self):
        self.check_modes(0o022)

    def test_umask_000(self):
        self.check_modes(0o000)

    def test_daemon_creates_the_database(self):
        """A daemon started on a path where no database is yet makes it
        0600 too."""
        old = os.umask(0)
        try:
            reg = ltd.Registry(prefix="lt_test_secrets_daemon_", demo=None)
            try:
                self.assertFalse(os.path.exists(reg.db))
                d = ltd.Daemon(reg).start()
                try:
                    for suffix in ("", "-wal", "-shm"):
                        p = reg.db + suffix
                        if os.path.exists(p):
                            self.assertEqual(mode(p), 0o600, f"{p}: {mode(p):03o}")
                    self.assertEqual(mode(reg.db), 0o600)
                finally:
                    ltd.assert_clean_stop(self, d)
            finally:
                reg.close()
        finally:
            os.umask(old)


class TokenInTheUrl(ltd.DaemonTest):

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_secrets_url_")
        try:
            cls.admin = cls.reg.token("admin", name="url")
            cls.system = cls.reg.system_add("QLVB Cao Bằng", CB)
            cls.d = ltd.Daemon(cls.reg).start()
        except Exception:
            cls.reg.close()
            raise

    def secrets(self):
        return [self.admin, self.system["token"], self.system["vxp_secret"]]

    def test_a_token_in_the_query_is_refused(self):
        q = urllib.parse.quote
        tok = self.admin
        for path in (f"/v1/me?token={tok}", f"/v1/me?access_token={tok}", f"/v1/units?q=x&ACCESS_TOKEN={tok}",
                     f"/v1/me?api_key={tok}", f"/v1/me?auth={tok}", f"/v1/me?x={q('Bearer ' + tok)}",
                     f"/v1/me?%74oken={tok}", f"/v1/me?secret={self.system['vxp_secret']}",
                     f"/v1/units/{CB}?t={self.system['token']}", "/healthz?password=hunter2",
                     f"/no/such/path?token={tok}", f"/v1/me?{tok}"):
            r = self.d.get(path)
            self.assertError(r, 401, "unauthorized", contains="Authorization header", msg=path)
            self.assertNotIn(tok, r.text(), "the reply echoes the token")
            # With a good Authorization header too: the URL is still refused.
            r = self.d.get(path, token=self.admin)
            self.assertError(r, 401, "unauthorized", msg=path)
        # On /vxp/ the refusal is in the envelope.
        r = self.d.post(f"/vxp/getAgenciesList?token={tok}", b"")
        self.assertStatus(r, 401)
        self.assertEqual(r.json()["status"], "FAIL")
        # Ordinary parameters are not taken for credentials.
        for path in ("/v1/units?q=token", "/v1/units?q=lt_short", f"/v1/units?parent={CB}&limit=5",
                     "/v1/changes?after=0"):
            self.assertStatus(self.d.get(path, token=self.admin), 200, path)

    def test_the_access_log_holds_no_credential(self):
        tok = self.admin
        before = len(self.d.access_lines())
        self.d.get(f"/v1/me?token={tok}")
        self.d.get(f"/v1/me?session=abc&q={tok}&limit=1")
        self.d.get(f"/{tok}/x?a=1")
        self.d.get(f"/v1/units?q=%ZZ&token={tok}")  # a query that does not parse
        self.d.get("/v1/me?password=hunter2&page=1")
        lines = [json.loads(x) for x in self.d.access_lines(at_least=before + 5) if x.strip()]
        text = "\n".join(self.d.access_lines())
        for s in self.secrets() + ["hunter2"]:
            self.assertNotIn(s, text, "a credential in the access log")
            self.assertNotIn(urllib.parse.quote(s), text)
        uris = [x.get("uri", "") for x in lines]
        self.assertIn("/v1/me?token=[redacted]", uris)
        self.assertIn("/v1/me?session=[redacted]&q=[redacted]&limit=1", uris)
        self.assertIn("/[redacted]/x?a=1", uris)
        self.assertIn("/v1/me?password=[redacted]&page=1", uris)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
