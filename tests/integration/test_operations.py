#!/usr/bin/env python3
"""Integration test: documents for operators (issue 22), GET /v1/deliveries
and GET /v1/deliveries/waiting, and lienthong_delivery_oldest_waiting_seconds.

Three packages: VPCP (G22) to Cao Bằng (H14), VPCP to Hà Nội (H26), Hà Nội
to Cao Bằng, which Cao Bằng's system fetched (processing). Then:
- the list, newest first, filtered by sender, recipient, state and age,
  paged with a cursor; metadata only, never a body;
- a delivery made to look 3 days old: stuck (pending, never fetched) after
  1 hour, the oldest of its system, the same age in /metrics; a system with
  nothing waiting has 0 there;
- a manager sees only its units' deliveries and the systems it may manage;
  a reader, a system, nobody are refused; bad filters are refused naming
  the field.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26  # noqa: E402


class Operations(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_operations_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)
            cls.cb = cls.reg.system_add("UBND tỉnh Cao Bằng", H14)
            cls.hn = cls.reg.system_add("UBND thành phố Hà Nội", H26)
            cls.admin = cls.reg.token("admin", name="ops")
            cls.mgr14 = cls.reg.token("manager", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.mgr17 = cls.reg.token("manager", scope=H17, name="Sở Nội vụ Đà Nẵng")
            cls.reader = cls.reg.token("reader")
            cls.d = ltd.Daemon(cls.reg).start()
            cls.a = cls.send(cls.vpcp, G22, H14, "1")
            cls.b = cls.send(cls.vpcp, G22, H26, "2")
            cls.c = cls.send(cls.hn, H26, H14, "3")
            r = cls.d.post(f"/v1/documents/{cls.c}/ack", {"state": "processing"}, token=cls.cb["token"])
            if r.status != 200:
                raise AssertionError(f"ack: {r!r}")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def send(cls, sys_, frm, to, number):
        data, _ = ltpkg.edoc(frm, [to], number=number, subject=f"Công văn số {number}",
                             attachments=[("a.pdf", b"%PDF-1.4 noi dung mat " * 10)])
        r = ltx.send(cls.d, sys_["token"], data)
        if r.status != 201:
            raise AssertionError(f"send: {r!r}")
        return r.json()["id"]

    def items(self, query="", token=None):
        r = self.d.get(f"/v1/deliveries{query}", token=token or self.admin)
        self.assertStatus(r, 200)
        return r.json()["items"]

    def docs(self, query="", token=None):
        return [x["document"] for x in self.items(query, token)]

    def test_1_list_and_filters(self):
        r = self.d.get("/v1/deliveries", token=self.admin)
        self.assertStatus(r, 200)
        self.assertNotIn("noi dung mat", r.text())
        items = r.json()["items"]
        self.assertEqual([x["document"] for x in items], [self.c, self.b, self.a], "newest first")
        a = items[2]
        self.assertEqual((a["from"], a["routed_to"], a["system_id"], a["state"], a["subject"], a["kind"]),
                         (G22, H14, self.cb["id"], "pending", "Công văn số 1", "edoc"))
        self.assertTrue(a["waiting_since"] and a["waiting_seconds"] >= 0, a)
        self.assertEqual(items[0]["state"], "processing")
        self.assertEqual(self.docs(f"?sender={G22}"), [self.b, self.a])
        self.assertEqual(self.docs(f"?recipient={H14}"), [self.c, self.a])
        self.assertEqual(self.docs("?state=pending"), [self.b, self.a])
        self.assertEqual(self.docs("?state=waiting"), [self.c, self.b, self.a])
        self.assertEqual(self.docs("?state=done"), [])
        # /metrics counts deliveries under the API's own state names (it
        # once said "waiting" for what the API calls pending).
        by_state = {st: ltx.metric(self.d, "lienthong_exchange_deliveries", {"state": st})
                    for st in ("pending", "processing", "done", "fail", "refused", "merged", "no_system", "expired")}
        self.assertEqual((by_state["pending"], by_state["processing"]),
                         (len(self.docs("?state=pending")), len(self.docs("?state=processing"))))
        self.assertNotIn(None, by_state.values(), by_state)
        self.assertIsNone(ltx.metric(self.d, "lienthong_exchange_deliveries", {"state": "waiting"}))
        self.assertEqual(self.docs(f"?state=pending&recipient={H14}"), [self.a])
        self.assertEqual(self.docs("?older_than_hours=0"), [self.c, self.b, self.a])
        self.assertEqual(self.docs("?older_than_hours=1"), [], "nothing has waited an hour yet")
        # Pages.
        r = self.d.get("/v1/deliveries?limit=2", token=self.admin).json()
        self.assertEqual([x["document"] for x in r["items"]], [self.c, self.b])
        self.assertIsNotNone(r["next_cursor"])
        r = self.d.get(f"/v1/deliveries?limit=2&before={r['next_cursor']}", token=self.admin).json()
        self.assertEqual(([x["document"] for x in r["items"]], r["next_cursor"]), ([self.a], None))

    def test_2_stuck_oldest_and_metric(self):
        days_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3 * 86400))
        self.assertRegex(self.a, "^[0-9a-f]+$")
        self.reg.sql(f"UPDATE xevents SET at = '{days_ago}' WHERE delivery_id = "
                     f"(SELECT id FROM xdeliveries WHERE doc = '{self.a}') AND state = 'pending'")
        self.assertEqual(self.docs("?older_than_hours=1"), [self.a])
        self.assertEqual(self.docs("?older_than_hours=1&state=pending"), [self.a])
        r = self.d.get("/v1/deliveries/waiting?stuck_hours=1", token=self.admin)
        self.assertStatus(r, 200)
        by = {x["system_id"]: x for x in r.json()["items"]}
        self.assertEqual(set(by), {self.cb["id"], self.hn["id"]}, "only systems with waiting deliveries")
        cb = by[self.cb["id"]]
        self.assertEqual((cb["name"], cb["waiting"], cb["stuck"], cb["oldest"]["document"]),
                         ("UBND tỉnh Cao Bằng", 2, 1, self.a))
        self.assertGreaterEqual(cb["oldest"]["seconds"], 3 * 86400 - 60)
        self.assertEqual((by[self.hn["id"]]["waiting"], by[self.hn["id"]]["stuck"]), (1, 0))
        # The processing delivery was fetched: never stuck, even when old.
        r = self.d.get("/v1/deliveries/waiting?stuck_hours=0", token=self.admin).json()
        self.assertEqual({x["system_id"]: x["stuck"] for x in r["items"]}, {self.cb["id"]: 1, self.hn["id"]: 1})
        age = ltx.metric(self.d, "lienthong_delivery_oldest_waiting_seconds", {"system": str(self.cb["id"])})
        self.assertGreaterEqual(age, 3 * 86400 - 60)
        self.assertEqual(ltx.metric(self.d, "lienthong_delivery_oldest_waiting_seconds",
                                    {"system": str(self.vpcp["id"])}), 0)

    def test_3_scope(self):
        self.assertEqual(self.docs(token=self.mgr14), [self.c, self.a])
        self.assertEqual(self.docs(f"?sender={G22}", token=self.mgr14), [self.a])
        self.assertEqual(self.docs(token=self.mgr17), [])
        r = self.d.get("/v1/deliveries/waiting", token=self.mgr14).json()
        self.assertEqual([x["system_id"] for x in r["items"]], [self.cb["id"]])
        self.assertEqual(self.d.get("/v1/deliveries/waiting", token=self.mgr17).json()["items"], [])
        for path in ("/v1/deliveries", "/v1/deliveries/waiting"):
            self.assertError(self.d.get(path), 401)
            for tok in (self.reader, self.cb["token"]):
                self.assertError(self.d.get(path, token=tok), 403)

    def test_4_bad_filters(self):
        for q, field in (("?state=lost", "state"), ("?sender=000.00.4.H14", "sender"),
                         ("?recipient=x", "recipient"), ("?limit=0", "limit"), ("?older_than_hours=-1", "older_than_hours"),
                         ("?before=x", "before")):
            e = self.assertError(self.d.get(f"/v1/deliveries{q}", token=self.admin), 400, "bad_request", msg=q)
            self.assertEqual(e.get("field"), field, q)
        e = self.assertError(self.d.get("/v1/deliveries/waiting?stuck_hours=x", token=self.admin), 400)
        self.assertEqual(e.get("field"), "stuck_hours")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
