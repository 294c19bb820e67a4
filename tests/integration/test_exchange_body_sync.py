#!/usr/bin/env python3
"""Integration test: package bodies are made durable by the group commit,
with the batch's other bodies, before the rows that name them commit
(issue 23).

The real lienthongd; LIENTHONG_TEST_COMMIT_PAUSE_MS holds its commit thread
between a batch's bodies (moved into packages/ and synced) and the commit
of the batch's rows, which makes the window a crash can fall into wide.

- 16 sends at once are carried by fewer body-sync rounds than sends:
  /metrics lienthong_exchange_body_syncs_total grows by less than 16 while
  lienthong_exchange_bodies_synced_total grows by exactly 16, and every
  package is in its recipient's inbox with its bytes.
- A SIGKILL while a body is in packages/ and its rows are not committed:
  the send got no reply; after the restart nothing is visible (no inbox
  item, no document, the counts unchanged) and nothing is left (the body
  and every spool file removed by the start-up sweep; on PostgreSQL, a
  shared store, once it is older than the sweep's grace period, which the
  test simulates by ageing the file).
- A SIGKILL while the body is still a spool file (the commit thread held
  by the store's writer lock, SQLite): likewise nothing visible or left.

Run by ctest as `python3 FILE`; standard library only.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H26  # noqa: E402

GRACE_S = 3600  # hub.c SWEEP_GRACE_S: what a shared store's sweep waits


class BodySync(ltd.DaemonTest):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_bodysync_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add("QLVB " + c, c) for c in (G22, H26, H14)}
        except BaseException:
            cls.tearDownClass()
            raise

    def tearDown(self):
        d, self.d = self.d, None
        if d:
            ltd.assert_clean_stop(self, d)

    def start(self, pause_ms=0):
        extra = {"THREADS": "2"}
        if pause_ms:
            extra["TEST_COMMIT_PAUSE_MS"] = str(pause_ms)
        self.d = ltd.Daemon(self.reg, **extra).start()
        return self.d

    def send_async(self, pkg):
        out = {}

        def run():
            try:
                r = ltx.send(self.d, self.sys[G22]["token"], pkg, timeout=60)
                out["status"] = r.status
            except OSError as e:
                out["error"] = e

        t = threading.Thread(target=run)
        t.start()
        return t, out

    def age(self, paths):
        """On a shared store the sweep leaves what may be another node's
        upload in flight for GRACE_S: make these files look that old."""
        if not ltd.ON_POSTGRES:
            return
        old = time.time() - GRACE_S - 60
        for p in paths:
            os.utime(p, (old, old))

    def assert_nothing_left(self, before_counts, before_files):
        d = self.d
        self.assertEqual(ltx.exchange_counts(d), before_counts)
        self.assertEqual(ltx.inbox_all(d, self.sys[H14]["token"]), [])
        self.assertEqual(ltx.package_files(self.reg.data_dir), before_files)
        self.assertEqual([f for f in ltx.spool_files(self.reg.data_dir) if f.startswith("upload-")], [])

    def test_concurrent_sends_share_body_syncs(self):
        d = self.start(pause_ms=300)
        syncs0 = ltx.metric(d, "lienthong_exchange_body_syncs_total")
        bodies0 = ltx.metric(d, "lienthong_exchange_bodies_synced_total")
        n = 16
        pkgs = [ltpkg.edoc(G22, [H26], number=f"bs-{i}", notation="SYNC", subject=f"Đồng bộ {i}")[0]
                for i in range(n)]
        gate = threading.Barrier(n)
        results = [None] * n

        def one(i):
            gate.wait()
            r = ltx.send(d, self.sys[G22]["token"], pkgs[i], timeout=60)
            results[i] = (r.status, r.json().get("id") if r.status == 201 else r.text())

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertTrue(all(r and r[0] == 201 for r in results), results)
        syncs = ltx.metric(d, "lienthong_exchange_body_syncs_total") - syncs0
        bodies = ltx.metric(d, "lienthong_exchange_bodies_synced_total") - bodies0
        self.assertEqual(bodies, n)
        self.assertGreaterEqual(syncs, 1)
        self.assertLess(syncs, n, f"{n} sends took {syncs} body-sync rounds")
        inbox = {it["id"]: it for it in ltx.inbox_all(d, self.sys[H26]["token"])}
        for i, (_, hub_id) in enumerate(results):
            self.assertIn(hub_id, inbox)
            r = d.get(f"/v1/documents/{hub_id}", token=self.sys[H26]["token"])
            self.assertStatus(r, 200)
            self.assertEqual(r.body, pkgs[i])
            r = d.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=self.sys[H26]["token"])
            self.assertStatus(r, 200)

    def test_kill_between_body_and_commit(self):
        d = self.start(pause_ms=30000)
        counts0 = ltx.exchange_counts(d)
        files0 = ltx.package_files(self.reg.data_dir)
        pkg, _ = ltpkg.edoc(G22, [H14], number="crash-1", notation="SYNC", subject="Mất điện")
        t, out = self.send_async(pkg)
        body = None
        deadline = time.monotonic() + 20
        while body is None and time.monotonic() < deadline:
            new = [f for f in ltx.package_files(self.reg.data_dir) if f not in files0]
            if new:
                body = os.path.join(self.reg.data_dir, "packages", new[0])
            time.sleep(0.01)
        self.assertIsNotNone(body, "the body never reached packages/")
        with open(body, "rb") as f:
            self.assertEqual(f.read(), pkg)  # whole, before any row names it
        hub_id = os.path.basename(body)[:-4]
        d.kill()  # SIGKILL: the rows were never committed
        t.join(30)
        self.assertNotIn("status", out, "the send was answered before its commit")
        self.assertTrue(os.path.exists(body))  # an orphan the crash left
        self.age([body])
        self.d = ltd.Daemon(self.reg, THREADS="2").start()
        self.assert_nothing_left(counts0, files0)
        r = self.d.get(f"/v1/documents/{hub_id}", token=self.sys[H14]["token"])
        self.assertStatus(r, 404)
        # the same package sent again is accepted whole
        r = ltx.send(self.d, self.sys[G22]["token"], pkg)
        self.assertStatus(r, 201)
        got = self.d.get(f"/v1/documents/{r.json()['id']}", token=self.sys[H14]["token"])
        self.assertEqual(got.body, pkg)
        ack = self.d.post(f"/v1/documents/{r.json()['id']}/ack", {"state": "done"}, token=self.sys[H14]["token"])
        self.assertStatus(ack, 200)

    @ltd.sqlite_only
    def test_kill_before_the_body_moves(self):
        d = self.start()
        counts0 = ltx.exchange_counts(d)
        files0 = ltx.package_files(self.reg.data_dir)
        # The store's writer lock held from outside: the commit thread waits
        # for it before it takes the batch, so the body stays a spool file.
        import sqlite3
        db = sqlite3.connect(self.reg.db, timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            pkg, _ = ltpkg.edoc(G22, [H14], number="crash-2", notation="SYNC", subject="Mất điện")
            t, out = self.send_async(pkg)
            deadline = time.monotonic() + 20
            spool = []
            while time.monotonic() < deadline:
                spool = [f for f in ltx.spool_files(self.reg.data_dir) if f.startswith("upload-")]
                if spool and os.path.getsize(os.path.join(self.reg.data_dir, "tmp", spool[0])) == len(pkg):
                    break
                time.sleep(0.01)
            time.sleep(0.2)  # the upload handed to the commit thread
            self.assertTrue(spool, "no spool file")
            d.kill()
        finally:
            db.execute("ROLLBACK")
            db.close()
        t.join(30)
        self.assertNotIn("status", out)
        self.assertEqual(ltx.package_files(self.reg.data_dir), files0)
        self.d = ltd.Daemon(self.reg, THREADS="2").start()
        self.assert_nothing_left(counts0, files0)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
