#!/usr/bin/env python3
"""Integration test: codes are never issued again across a restore (issue
22, backup and restore).

A registry keeps an issue journal (issue_journal) apart from its database.
A backup is taken, two units are issued, and the older backup is restored
elsewhere with the same journal: the restored registry refuses to issue
(CLI exit 1, API 422) and says why; `lienthong catch-up URL` copies the two
missing events from the running daemon's change feed, after which the
restored registry equals the original (export, history, feed) and issues
the next never-used number. A feed that is not this registry's is refused;
numbers the journal claims are never allocated even without a seq mark (a
crash between claim and commit); a damaged journal stops the registry.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

H14 = "000.00.00.H14"
DECISION = ["--decision-number", "15/QĐ-UBND", "--decision-date", "2026-11-20", "--decision-issuer",
            "Ủy ban nhân dân tỉnh Cao Bằng"]


def with_journal(reg, journal):
    reg.env["LIENTHONG_ISSUE_JOURNAL"] = journal
    return reg


def feed(d):
    items, after = [], 0
    while True:
        r = d.get(f"/v1/changes?after={after}&limit=1000")
        assert r.status == 200, r
        page = r.json()["items"]
        if not page:
            return items
        items += page
        after = page[-1]["seq"]


class FakeMirror:
    """An HTTP server that answers every GET with self.reply."""

    def __init__(self):
        self.reply = (200, "{}")
        self.paths = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.paths.append(self.path)
                status, body = outer.reply
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"

    def __enter__(self):
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()
        return self

    def __exit__(self, *a):
        self.srv.shutdown()
        self.srv.server_close()


def number(code):
    return int(code.split(".")[2])


class CatchUp(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_catchup_")
        try:
            cls.journal_dir = os.path.join(cls.reg.dir, "elsewhere")
            os.makedirs(cls.journal_dir)
            cls.journal = os.path.join(cls.journal_dir, "issue.journal")
            with_journal(cls.reg, cls.journal)
            cls.admin = cls.reg.token("admin")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def issue(self, name):
        r = self.d.post("/v1/units", {"parent": H14, "name": name, "decision": ltd.DECISION,
                                      "effective": ltd.TODAY}, token=self.admin)
        self.assertStatus(r, 201)
        return r.json()["code"]

    def fresh(self, journal):
        r = with_journal(ltd.Registry(prefix="lt_test_caught_", demo=None), journal)
        self.addCleanup(r.close)
        return r

    def test_restore_refuses_then_catches_up(self):
        bk = os.path.join(self.reg.dir, "bk-old")
        self.reg.check("backup", bk)
        issued = [self.issue("Sở Khoa học thử nghiệm"), self.issue("Sở Du lịch thử nghiệm")]
        # And a merge of the two into a third, new unit: lineage to copy too.
        r = self.d.post("/v1/reorganizations", {"kind": "merge", "decision": ltd.DECISION, "effective": ltd.TODAY,
                                                "from": issued, "into": {"parent": H14, "name": "Sở hợp nhất thử"}},
                        token=self.admin)
        self.assertStatus(r, 201)
        issued += r.json()["created"]
        before = self.reg.export_text()

        new = self.fresh(self.journal)
        out = new.check("restore", bk)
        self.assertIn("catch-up", out, "restore does not say the registry is behind")
        old_export = new.export_text()
        # Refused, with the reason, by the CLI and by a daemon on it.
        p = new.run("unit", "add", "--parent", H14, "--name", "Sở mới", *DECISION)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("behind its issue journal", p.stderr)
        self.assertIn("lienthong catch-up", p.stderr)
        self.assertEqual(new.export_text(), old_export, "a refused issue changed the registry")
        d2 = ltd.Daemon(new).start()
        try:
            r = d2.post("/v1/units", {"parent": H14, "name": "Sở mới", "decision": ltd.DECISION,
                                      "effective": ltd.TODAY}, token=self.admin)
            self.assertError(r, 422, contains="behind its issue journal")
            # Not only issues: any change would give another event the seq
            # the mirrors already know.
            r = d2.patch(f"/v1/units/{H14}", {"phone": "0206 3852 000"}, token=self.admin)
            self.assertError(r, 422, contains="behind its issue journal")

            p = new.run("catch-up", self.d.url)
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            self.assertIn("5 events applied", p.stdout)
            self.assertIn("changes are taken again", p.stdout)
            self.assertEqual(new.export_text(), before)
            self.assertEqual(feed(d2), feed(self.d))
            for code in issued:
                for what in ("history", "resolve"):
                    a = d2.get(f"/v1/units/{code}/{what}").json()
                    self.assertEqual(a, self.d.get(f"/v1/units/{code}/{what}").json(), f"{code} {what}")
                self.assertEqual(d2.get(f"/v1/units/{code}").json(), self.d.get(f"/v1/units/{code}").json())
            # The copied change is in the compliance report as it is upstream.
            self.assertEqual(d2.get("/v1/reports/compliance").json(), self.d.get("/v1/reports/compliance").json())
            # Caught up: a second run copies nothing.
            p = new.run("catch-up", self.d.url + "/", "--json")
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            self.assertIn('"applied": 0', p.stdout)

            p = new.run("unit", "add", "--parent", H14, "--name", "Sở mới", *DECISION, "--json")
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            code = json.loads(p.stdout)["code"]
            self.assertNotIn(code, issued)
            self.assertEqual(number(code), max(number(c) for c in issued) + 1, "not the next never-used number")
        finally:
            ltd.assert_clean_stop(self, d2)

    def test_a_feed_of_another_registry_is_refused(self):
        self.issue("Sở Ngoại vụ thử nghiệm")
        bk = os.path.join(self.reg.dir, "bk-other")
        self.reg.check("backup", bk)
        self.issue("Sở Nội vụ thử nghiệm")
        # Another registry with the same demo tree and another change after it.
        other = ltd.Registry(prefix="lt_test_other_")
        self.addCleanup(other.close)
        # More changes than this registry has made since the demo tree, so
        # the other feed does reach the restored registry's last seq.
        mark = json.load(open(os.path.join(bk, "backup.json")))["last_seq"]
        seq, n = 0, 0
        while seq <= mark:
            n += 1
            out = json.loads(other.check("unit", "add", "--parent", H14, "--name", f"Sở khác {n}", *DECISION, "--json"))
            seq = json.loads(other.check("unit", "history", out["code"], "--json"))[-1]["seq"]
        d3 = ltd.Daemon(other).start()
        try:
            new = self.fresh(self.journal)
            new.check("restore", bk)
            p = new.run("catch-up", d3.url)
            self.assertEqual(p.returncode, 1, ltd.detail(p))
            self.assertIn("not a mirror of this registry", p.stderr)
            p = new.run("catch-up", "ftp://example.org")
            self.assertEqual(p.returncode, 2, ltd.detail(p))
            p = new.run("catch-up")
            self.assertEqual(p.returncode, 2, ltd.detail(p))
            # Still refused, and the real mirror still works.
            p = new.run("unit", "add", "--parent", H14, "--name", "Sở mới", *DECISION)
            self.assertEqual(p.returncode, 1, ltd.detail(p))
            p = new.run("catch-up", self.d.url)
            self.assertEqual(p.returncode, 0, ltd.detail(p))
        finally:
            ltd.assert_clean_stop(self, d3)

    def test_a_bad_feed_changes_nothing(self):
        self.issue("Sở Văn hóa thử nghiệm")
        bk = os.path.join(self.reg.dir, "bk-bad-feed")
        self.reg.check("backup", bk)
        self.issue("Sở Thể thao thử nghiệm")
        live = feed(self.d)
        new = self.fresh(self.journal)
        new.check("restore", bk)
        before = new.export_text()
        mine = live[:-1]
        nxt = live[-1]

        def broken(**change):
            it = json.loads(json.dumps(nxt))
            for k, v in change.items():
                if v is None:
                    it.pop(k, None)
                elif k == "unit":
                    it["unit"].update(v)
                else:
                    it[k] = v
            return it

        cases = [
            ("a gap", [mine[-1], broken(seq=nxt["seq"] + 1)], "jumps from seq"),
            ("no unit", [mine[-1], broken(unit=None)], "not a change-feed item"),
            ("another code in the unit", [mine[-1], broken(unit={"code": "000.00.77.H14"})], "not a change-feed item"),
            ("a wrong level", [mine[-1], broken(unit={"level": 4})], "level 4"),
            ("an empty name", [mine[-1], broken(unit={"name": ""})], "needs a name"),
            ("a bad date", [mine[-1], broken(effective="07/13/2026")], "not a change-feed item"),
            ("no seq", [mine[-1], broken(seq=None)], "has no seq"),
        ]
        with FakeMirror() as m:
            for what, items, words in cases:
                m.reply = (200, json.dumps({"items": items, "last_seq": nxt["seq"]}))
                p = new.run("catch-up", m.url)
                self.assertNotEqual(p.returncode, 0, f"{what}: {ltd.detail(p)}")
                self.assertIn(words, p.stderr, what)
                self.assertEqual(new.export_text(), before, f"{what} changed the registry")
            for status, body, words, code in [(500, '{"error":{"code":"x","message":"down"}}', "HTTP 500", 3),
                                              (403, '{"error":{"code":"forbidden","message":"no"}}', "HTTP 403", 1),
                                              (200, "<html>", "not a page of the change feed", 3)]:
                m.reply = (status, body)
                p = new.run("catch-up", m.url)
                self.assertEqual(p.returncode, code, ltd.detail(p))
                self.assertIn(words, p.stderr)
            self.assertTrue(all("after=" in path for path in m.paths), m.paths)
        p = new.run("catch-up", f"http://127.0.0.1:{ltd.free_port()}")
        self.assertEqual(p.returncode, 3, ltd.detail(p))
        self.assertEqual(new.export_text(), before)
        # The real feed still brings it back.
        p = new.run("catch-up", self.d.url)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("1 events applied", p.stdout)

    def test_concurrent_writers_keep_one_journal(self):
        """The daemon's worker threads and a CLI beside it append to the
        same journal: every code issued is claimed once, the mark ends at
        the last seq."""
        codes, errors = [], []

        def http_writer(k):
            for i in range(8):
                r = self.d.post("/v1/units", {"parent": H14, "name": f"Phòng song song {k}-{i}",
                                              "decision": ltd.DECISION, "effective": ltd.TODAY}, token=self.admin)
                (codes.append(r.json()["code"]) if r.status == 201 else errors.append(r))

        def cli_writer():
            for i in range(5):
                p = self.reg.run("unit", "add", "--parent", H14, "--name", f"Phòng dòng lệnh {i}", *DECISION, "--json")
                (codes.append(json.loads(p.stdout)["code"]) if p.returncode == 0 else errors.append(p))

        threads = [threading.Thread(target=http_writer, args=(k,)) for k in range(3)]
        threads.append(threading.Thread(target=cli_writer))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertFalse(errors, errors[:3])
        self.assertEqual(len(codes), 29)
        self.assertEqual(len(set(codes)), 29, "a code was issued twice")
        with open(self.journal) as f:
            lines = f.read().splitlines()
        claimed = [line[2:] for line in lines if line.startswith("c ")]
        self.assertEqual(len(claimed), len(set(claimed)), "a code was claimed twice")
        self.assertTrue(set(codes) <= set(claimed))
        marks = [int(line[2:]) for line in lines if line.startswith("s ")]
        self.assertEqual(max(marks), self.d.last_seq())

    def test_claimed_numbers_are_never_allocated(self):
        reg = ltd.Registry(prefix="lt_test_claim_")
        self.addCleanup(reg.close)
        journal = os.path.join(reg.dir, "j")
        # Without a journal, find the next number from a copy.
        probe = ltd.Registry(prefix="lt_test_probe_")
        self.addCleanup(probe.close)
        out = probe.check("unit", "add", "--parent", H14, "--name", "Thử", *DECISION)
        nxt = out.split()[1]
        # A code claimed before a commit that never reached the seq mark.
        with open(journal, "w") as f:
            f.write(f"# lienthong issue journal\nc {nxt}\n")
        with_journal(reg, journal)
        out = reg.check("unit", "add", "--parent", H14, "--name", "Thử", *DECISION)
        got = out.split()[1]
        self.assertEqual(number(got), number(nxt) + 1, out)
        with open(journal) as f:
            self.assertIn(f"c {got}\n", f.read())
        # A torn last line is a crash mid-write: ignored.
        with open(journal, "a") as f:
            f.write("c 000.00.9")
        reg.check("export")
        # Any other unreadable line: the file was edited; nothing is trusted.
        with open(journal, "a") as f:
            f.write("9.H14\nhello\n")
        p = reg.run("unit", "add", "--parent", H14, "--name", "Thử", *DECISION)
        self.assertEqual(p.returncode, 3, ltd.detail(p))
        self.assertIn("is not a record", p.stderr)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
