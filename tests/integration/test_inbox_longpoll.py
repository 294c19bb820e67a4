#!/usr/bin/env python3
"""Integration test: the inbox long poll, GET /v1/inbox?wait=S.

A scratch registry (`lienthong init --demo`) with three connected systems
(G22, H17, H26) and the real lienthongd with only two HTTP threads, so a
long poll that held a thread would starve the others.

- An empty inbox asked with wait=30 answers as soon as a package for the
  caller's system is committed, with that package, long before 30 s.
- A delivery for another system does not end the wait: the poll answers
  an empty page when its time is up.
- Ten concurrent long polls hold no thread: with two threads, /healthz
  and a send are still answered while they wait, /metrics counts them, and
  each of them gets its own package.
- wait outside 0..60 or not a number is a 400 that names it; wait=0 and
  no wait answer at once.
- SIGTERM while polls wait: they are answered (empty) and the daemon
  exits cleanly.
- A caller that is not a system (an admin) is answered at once.

Run by ctest as `python3 FILE`; standard library only.
"""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H17, H26  # noqa: E402


class Poll(threading.Thread):
    """One GET /v1/inbox?wait= in the background: status, items, seconds."""

    def __init__(self, d, token, wait, extra=""):
        super().__init__(daemon=True)
        self.d, self.token, self.wait, self.extra = d, token, wait, extra
        self.result = None

    def run(self):
        t0 = time.monotonic()
        try:
            r = self.d.get(f"/v1/inbox?wait={self.wait}{self.extra}", token=self.token, timeout=self.wait + 30)
            items = r.json()["items"] if r.status == 200 else None
            self.result = (r.status, items, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.result = (None, repr(e), time.monotonic() - t0)


class InboxLongPoll(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_longpoll_")
        cls.d = None
        try:
            cls.tok = {code: cls.reg.system_add(name, code)["token"]
                       for code, name in ((G22, "Văn phòng Chính phủ"), (H17, "UBND thành phố Đà Nẵng"),
                                          (H26, "UBND thành phố Hà Nội"))}
            cls.d = ltd.Daemon(cls.reg, THREADS="2").start()
        except BaseException:
            cls.tearDownClass()
            raise

    def setUp(self):
        self.drain(H17)
        self.drain(H26)

    def drain(self, code):
        for it in ltx.inbox_all(self.d, self.tok[code]):
            r = self.d.post(f"/v1/documents/{it['id']}/ack", {"state": "done"}, token=self.tok[code])
            self.assertStatus(r, 200)

    def send(self, to, number):
        pkg, _ = ltpkg.edoc(G22, [to], number=str(number), subject=f"Thử chờ hộp thư {number}")
        r = ltx.send(self.d, self.tok[G22], pkg)
        self.assertStatus(r, 201)
        return r.json()["id"]

    def test_answers_when_a_package_arrives(self):
        p = Poll(self.d, self.tok[H17], 30)
        p.start()
        time.sleep(0.5)
        self.assertIsNone(p.result, "the poll answered before anything arrived")
        hub_id = self.send(H17, 101)
        p.join(40)
        status, items, seconds = p.result
        self.assertEqual(status, 200, p.result)
        self.assertEqual([it["id"] for it in items], [hub_id])
        self.assertLess(seconds, 20, "answered only when its wait ran out")

    def test_another_systems_delivery_does_not_end_the_wait(self):
        p = Poll(self.d, self.tok[H17], 2)
        p.start()
        time.sleep(0.3)
        self.send(H26, 102)
        p.join(40)
        status, items, seconds = p.result
        self.assertEqual((status, items), (200, []), p.result)
        self.assertGreaterEqual(seconds, 1.9, p.result)

    def test_waiting_polls_hold_no_thread(self):
        polls = [Poll(self.d, self.tok[H17 if i % 2 else H26], 30) for i in range(10)]
        for p in polls:
            p.start()
        deadline = time.monotonic() + 10
        while ltx.metric(self.d, "lienthong_inbox_long_polls") != 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(ltx.metric(self.d, "lienthong_inbox_long_polls"), 10)
        self.assertTrue(all(p.result is None for p in polls))
        self.assertStatus(self.d.get("/healthz", timeout=5), 200)
        a = self.send(H17, 103)
        b = self.send(H26, 104)
        for p in polls:
            p.join(40)
        for i, p in enumerate(polls):
            status, items, _ = p.result
            self.assertEqual(status, 200, p.result)
            self.assertEqual([it["id"] for it in items], [a if i % 2 else b], p.result)
        self.assertEqual(ltx.metric(self.d, "lienthong_inbox_long_polls"), 0)

    def test_bad_waits_are_refused(self):
        for bad in ("61", "-1", "abc", "1.5", "99999999999999999999"):
            r = self.d.get(f"/v1/inbox?wait={bad}", token=self.tok[H17])
            self.assertError(r, 400, contains="wait", msg=bad)
        for ok in ("/v1/inbox?wait=0", "/v1/inbox"):
            t0 = time.monotonic()
            r = self.d.get(ok, token=self.tok[H17])
            self.assertStatus(r, 200)
            self.assertLess(time.monotonic() - t0, 5)

    def test_an_admin_is_answered_at_once(self):
        admin = self.reg.token("admin")
        t0 = time.monotonic()
        r = self.d.get("/v1/inbox?wait=30", token=admin, timeout=40)
        self.assertIn(r.status, (200, 403), r)
        self.assertLess(time.monotonic() - t0, 10)

    def test_zz_sigterm_answers_the_waiting(self):
        polls = [Poll(self.d, self.tok[H17], 50) for _ in range(3)]
        for p in polls:
            p.start()
        deadline = time.monotonic() + 10
        while ltx.metric(self.d, "lienthong_inbox_long_polls") != 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.d.signal(signal.SIGTERM)
        for p in polls:
            p.join(30)
        for p in polls:
            self.assertEqual(p.result[:2], (200, []), p.result)
            self.assertLess(p.result[2], 30, p.result)
        ltd.assert_clean_stop(self, self.d)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
