#!/usr/bin/env python3
"""Integration test: `lienthong backup DIR` while lienthongd runs, and
`lienthong restore DIR` into a fresh location (issue 22, backup and
restore).

A restored registry gives the same export, the same package bytes and
working credentials (a bearer token and a VXP secret still authenticate). A
backup taken while units are issued and packages sent is the registry as of
one commit: its change feed is a prefix of the live one and every package
its rows name downloads with its recorded SHA-256. Restores refuse what
they must: an occupied location, a damaged or tampered backup, a name that
points outside the destination, a sealing key that is not the backup's.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402
import ltx  # noqa: E402

G22, H14 = "000.00.00.G22", "000.00.00.H14"


def feed(d, token=None):
    items, after = [], 0
    while True:
        r = d.get(f"/v1/changes?after={after}&limit=1000", token=token)
        assert r.status == 200, r
        page = r.json()["items"]
        if not page:
            return items
        items += page
        after = page[-1]["seq"]


@ltd.sqlite_backup
class BackupRestore(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_backup_")
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)
            cls.cb = cls.reg.system_add("Cao Bằng", H14)
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.requester = cls.reg.token("requester", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.d = ltd.Daemon(cls.reg).start()
            # A change request with a file: data_dir/requests/ is backed up too.
            r = cls.d.post("/v1/requests", {"kind": "issue", "unit": H14, "reason": "Thành lập",
                                            "proposal": {"parent": H14, "name": "Sở Thử nghiệm sao lưu"}},
                           token=cls.requester)
            assert r.status == 201, r
            cls.request_id = r.json()["id"]
            cls.request_file = b"%PDF-1.4 du thao " + os.urandom(3000)
            r = cls.d.request("POST", f"/v1/requests/{cls.request_id}/files?name=du-thao.pdf",
                              body=cls.request_file, token=cls.requester, headers={"Content-Type": "application/pdf"})
            assert r.status == 201, r
            cls.sent = {}
            for i in range(3):
                data, _ = ltpkg.edoc(G22, [H14], number=str(i + 1),
                                     attachments=[("a.pdf", b"%PDF-1.4 " + os.urandom(2000))])
                r = ltx.send(cls.d, cls.vpcp["token"], data)
                assert r.status == 201, r
                cls.sent[r.json()["id"]] = data
        except BaseException:
            cls.tearDownClass()
            raise

    def backup(self, reg, name, *extra):
        path = os.path.join(reg.dir, name)
        out = reg.check("backup", path, *extra)
        return path, out

    def fresh(self):
        r = ltd.Registry(prefix="lt_test_restored_", demo=None)
        self.addCleanup(r.close)
        return r

    def test_restore_gives_the_same_registry(self):
        path, out = self.backup(self.reg, "bk-same")
        meta = json.load(open(os.path.join(path, "backup.json")))
        self.assertGreaterEqual(meta["bodies"], len(self.sent))
        self.assertIn(f"{meta['bodies']} package bodies", out)
        self.assertEqual(meta["request_files"], 1)
        self.assertIn("1 change request files", out)
        for name in ("lienthong.db", "SHA256SUMS", "backup.json", "seal.key", "catalogue.key"):
            self.assertTrue(os.path.exists(os.path.join(path, name)), name)
        self.assertEqual(os.stat(os.path.join(path, "lienthong.db")).st_mode & 0o077, 0, "the copy is not private")
        if shutil.which("sha256sum"):
            p = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=path, capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(meta["last_seq"], self.d.last_seq())

        new = self.fresh()
        out = new.check("restore", path)
        self.assertIn(f"{meta['bodies']} package bodies", out)
        self.assertEqual(new.export_text(), self.reg.export_text())
        # The same catalogue signing key: its mirrors go on verifying it.
        self.assertEqual(new.check("key", "show"), self.reg.check("key", "show"))
        d2 = ltd.Daemon(new).start()
        try:
            self.assertEqual(feed(d2), feed(self.d))
            # The same bytes, fetched with the receiving system's old token.
            for hub_id, data in self.sent.items():
                r = d2.get(f"/v1/documents/{hub_id}", token=self.cb["token"])
                self.assertStatus(r, 200)
                self.assertEqual(r.body, data)
            # The change request's file.
            r = d2.get(f"/v1/requests/{self.request_id}/files/1", token=self.requester)
            self.assertStatus(r, 200)
            self.assertEqual(r.body, self.request_file)
            # An admin token and a VXP secret made before the backup.
            self.assertStatus(d2.get("/v1/systems", token=self.admin), 200)
            self.assertStatus(d2.get("/v1/systems", token="lt_not-a-token"), 401)
            c = ltvxp.Client("127.0.0.1", d2.port, H14, self.cb["vxp_secret"])
            st, r = c.received()
            self.assertEqual(st, 200, r)
            self.assertTrue(set(self.sent) <= {x["docId"] for x in r["data"]}, r)
            bad = ltvxp.Client("127.0.0.1", d2.port, H14, "wrong-secret")
            st, r = bad.received()
            self.assertNotEqual(st, 200, r)
        finally:
            ltd.assert_clean_stop(self, d2)

    def test_backup_while_writing_is_one_moment(self):
        stop = threading.Event()
        errors = []

        def write():
            n = 0
            while not stop.is_set():
                n += 1
                r = self.d.post("/v1/units", {"parent": "000.00.04.H14", "name": f"Phòng thử {n}",
                                              "decision": ltd.DECISION, "effective": ltd.TODAY}, token=self.admin)
                if r.status != 201:
                    errors.append(r)
                data, _ = ltpkg.edoc(G22, [H14], number=f"w{n}", attachments=[("b.pdf", os.urandom(30000))])
                r = ltx.send(self.d, self.vpcp["token"], data)
                if r.status != 201:
                    errors.append(r)

        t = threading.Thread(target=write)
        t.start()
        try:
            paths = [self.backup(self.reg, f"bk-busy-{i}")[0] for i in range(3)]
        finally:
            stop.set()
            t.join()
        self.assertFalse(errors, errors[:3])
        live = feed(self.d)
        for path in paths:
            new = self.fresh()
            new.check("restore", path)
            meta = json.load(open(os.path.join(path, "backup.json")))
            d2 = ltd.Daemon(new).start()
            try:
                got = feed(d2)
                self.assertEqual(len(got), meta["last_seq"])
                self.assertEqual(got, live[:len(got)], "the backup's feed is not a prefix of the live one")
                for it in ltx.inbox_all(d2, self.cb["token"]):
                    r = d2.get(f"/v1/documents/{it['id']}", token=self.cb["token"])
                    self.assertStatus(r, 200)
                    tr = d2.get(f"/v1/documents/{it['id']}/trace", token=self.admin).json()
                    self.assertEqual(hashlib.sha256(r.body).hexdigest(), tr["sha256"])
            finally:
                ltd.assert_clean_stop(self, d2)

    def test_backup_refusals(self):
        path, _ = self.backup(self.reg, "bk-refuse")
        p = self.reg.run("backup", path)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("not empty", p.stderr)
        p = self.reg.run("backup")
        self.assertEqual(p.returncode, 2, ltd.detail(p))
        # A change request's file is never removed: one gone is damage.
        f = os.path.join(self.reg.data_dir, "requests", str(self.request_id), "1")
        os.rename(f, f + ".away")
        try:
            p = self.reg.run("backup", os.path.join(self.reg.dir, "bk-missing-request"))
        finally:
            os.rename(f + ".away", f)
        self.assertEqual(p.returncode, 3, ltd.detail(p))
        self.assertIn("data_dir is damaged", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.reg.dir, "bk-missing-request", "backup.json")))
        other = self.fresh()
        p = other.run("backup", os.path.join(other.dir, "x"))
        self.assertEqual(p.returncode, 3, ltd.detail(p))
        self.assertIn("does not exist", p.stderr)

    def restore_fails(self, path, code, words):
        new = self.fresh()
        p = new.run("restore", path)
        self.assertEqual(p.returncode, code, ltd.detail(p))
        self.assertIn(words, p.stderr)
        self.assertFalse(os.path.exists(new.db), "a failed restore left a database behind")
        return new

    def copy(self, path, name):
        dst = os.path.join(self.reg.dir, name)
        shutil.copytree(path, dst)
        return dst

    def test_restore_refusals(self):
        path, _ = self.backup(self.reg, "bk-tamper")
        # An occupied location.
        p = self.reg.run("restore", path)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("exists", p.stderr)
        # A damaged body.
        bad = self.copy(path, "bk-bad-body")
        body = next(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(bad, "packages")) for f in fs)
        with open(body, "r+b") as f:
            f.write(b"X")
        self.restore_fails(bad, 3, "does not match")
        # A damaged database.
        bad = self.copy(path, "bk-bad-db")
        with open(os.path.join(bad, "lienthong.db"), "r+b") as f:
            f.seek(100)
            b = f.read(1)
            f.seek(100)
            f.write(bytes([b[0] ^ 0xFF]))
        self.restore_fails(bad, 3, "does not match")
        # A name that leads outside the destination.
        bad = self.copy(path, "bk-escape")
        with open(os.path.join(bad, "SHA256SUMS"), "a") as f:
            f.write("0" * 64 + "  ../../escape.xml\n")
        self.restore_fails(bad, 3, "no backup holds")
        # A damaged change request file.
        bad = self.copy(path, "bk-bad-request")
        with open(os.path.join(bad, "requests", str(self.request_id), "1"), "ab") as f:
            f.write(b"!")
        self.restore_fails(bad, 3, "does not match")
        # A request file name that is not one.
        bad = self.copy(path, "bk-escape-request")
        with open(os.path.join(bad, "SHA256SUMS"), "a") as f:
            f.write("0" * 64 + "  requests/1/../../x\n")
        self.restore_fails(bad, 3, "no backup holds")
        # An interrupted backup has no backup.json.
        bad = self.copy(path, "bk-partial")
        os.unlink(os.path.join(bad, "backup.json"))
        self.restore_fails(bad, 3, "not a complete backup")
        # Another sealing key already in the destination's data_dir.
        new = self.fresh()
        os.makedirs(new.data_dir)
        with open(os.path.join(new.data_dir, "seal.key"), "wb") as f:
            f.write(os.urandom(32))
        p = new.run("restore", path)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        self.assertIn("another sealing key", p.stderr)
        self.assertFalse(os.path.exists(new.db))

    def test_backup_without_key(self):
        path, out = self.backup(self.reg, "bk-nokey", "--without-key")
        self.assertIn("no sealing key", out)
        self.assertFalse(os.path.exists(os.path.join(path, "seal.key")))
        new = self.fresh()
        out = new.check("restore", path, "--key", os.path.join(self.reg.data_dir, "seal.key"))
        d2 = ltd.Daemon(new).start()
        try:
            c = ltvxp.Client("127.0.0.1", d2.port, H14, self.cb["vxp_secret"])
            st, r = c.received()
            self.assertEqual(st, 200, r)
        finally:
            ltd.assert_clean_stop(self, d2)
        new = self.fresh()
        out = new.check("restore", path)
        self.assertIn("no sealing key", out)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
