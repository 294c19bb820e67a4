#!/usr/bin/env python3
"""Integration test: sends and acknowledgements wait for the shared commit
without holding an HTTP thread (the request is suspended until the hub's
commit thread calls back), over /v1 and over VXP.

The real lienthongd with two HTTP threads, five connected systems:

- 40 sends from 8 client threads at once, then every recipient's
  acknowledgements, all answered (201, 200) and all committed: the
  /metrics counters of group commits and of the jobs they carried add up
  to exactly the sends and acknowledgements made, with fewer commits than
  jobs; every package is in its recipients' inboxes once before the acks
  and in none after.
- VXP sendEdoc and updateStatus go the same way: their replies are the
  SDK's envelopes and the document is done.
- A resend of a package after its commit answers the first reply.

Run by ctest as `python3 FILE`; standard library only.
"""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26, H29  # noqa: E402

CODES = (G22, H17, H26, H14, H29)


class ExchangeCommit(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_commit_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add("QLVB " + c, c) for c in CODES}
            cls.d = ltd.Daemon(cls.reg, THREADS="2").start()
        except BaseException:
            cls.tearDownClass()
            raise

    def counters(self):
        return (ltx.metric(self.d, "lienthong_exchange_commits_total"),
                ltx.metric(self.d, "lienthong_exchange_committed_total"))

    def test_concurrent_sends_and_acks_all_commit(self):
        commits0, jobs0 = self.counters()
        results, lock = {}, threading.Lock()

        def sender(k):
            for n in range(5):
                src = CODES[k % len(CODES)]
                to = [c for c in CODES if c != src][(k + n) % 4]
                pkg, _ = ltpkg.edoc(src, [to], number=f"{k}-{n}", notation="COMMIT", subject=f"Gửi {k}-{n}")
                r = ltx.send(self.d, self.sys[src]["token"], pkg)
                with lock:
                    results[(k, n)] = (r.status, r.json().get("id") if r.status == 201 else r.text(), to)

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(len(results), 40)
        bad = {k: v for k, v in results.items() if v[0] != 201}
        self.assertFalse(bad, bad)
        by_code = {}
        for status, hub_id, to in results.values():
            by_code.setdefault(to, []).append(hub_id)
        acks = 0
        for code, ids in by_code.items():
            waiting = [it["id"] for it in ltx.inbox_all(self.d, self.sys[code]["token"])]
            self.assertEqual(sorted(waiting), sorted(ids), code)
            for hub_id in ids:
                r = self.d.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=self.sys[code]["token"])
                self.assertStatus(r, 200)
                self.assertEqual(r.json()["state"], "done")
                acks += 1
            self.assertEqual(ltx.inbox_all(self.d, self.sys[code]["token"]), [], code)
        commits1, jobs1 = self.counters()
        self.assertEqual(jobs1 - jobs0, 40 + acks)
        self.assertGreaterEqual(commits1 - commits0, 1)
        self.assertLessEqual(commits1 - commits0, jobs1 - jobs0)
        # a resend after its commit: the first reply
        k, n = 0, 0
        src = CODES[0]
        pkg, _ = ltpkg.edoc(src, [[c for c in CODES if c != src][(k + n) % 4]], number="0-0", notation="COMMIT",
                            subject="Gửi 0-0")
        r = ltx.send(self.d, self.sys[src]["token"], pkg)
        self.assertIn(r.status, (200, 201))
        self.assertEqual(r.json()["id"], results[(0, 0)][1])

    def test_vxp_send_and_update_status(self):
        c = ltvxp.Client("127.0.0.1", self.d.port, G22, self.sys[G22]["vxp_secret"])
        pkg, _ = ltpkg.edoc(G22, [H14], number="900", notation="VXP", subject="Qua VXP")
        st, _, body = c.raw("POST", "sendEdoc", {"servicetype": "eDoc", "messagetype": "edoc",
                                                 "hash-file": ltvxp.sdk_hash_file(pkg), "from": G22},
                            pkg + b"\r\n", "application/octet-stream", timeout=30)
        reply = json.loads(body)
        self.assertEqual((st, reply["status"], reply["ErrorCode"]), (200, "OK", "0"), reply)
        doc = reply["DocId"]
        r14 = ltvxp.Client("127.0.0.1", self.d.port, H14, self.sys[H14]["vxp_secret"])
        st, _, body = r14.raw("POST", "updateStatus", {"docId": doc, "status": "done"}, b"{}", timeout=30)
        reply = json.loads(body)
        self.assertEqual((st, reply["status"]), (200, "OK"), reply)
        self.assertNotIn(doc, [it["id"] for it in ltx.inbox_all(self.d, self.sys[H14]["token"])])
        # an unknown document: refused in the envelope, not a hang
        st, _, body = r14.raw("POST", "updateStatus", {"docId": "0" * 32, "status": "done"}, b"{}", timeout=30)
        self.assertEqual(json.loads(body)["status"], "FAIL", body)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
