#!/usr/bin/env python3
"""Integration test: who may do what on the exchange hub (issue 10,
acceptance 5).

A scratch registry made by `lienthong init --demo`, three connected
systems (VPCP bound to G22, Cao Bằng bound to H14, Hà Nội bound to H26), a
reader and an admin token, and the real lienthongd on a free port of
127.0.0.1. G22 sends a package to H14. Then:

- a system cannot send as a code it is not bound to (an edoc or a status
  package with someone else's From/OrganId): 403, nothing stored;
- a system cannot read another system's inbox: its own inbox never shows
  documents addressed to others (the sender's inbox does not show what it
  sent, H26's does not show what went to H14);
- a system cannot fetch a document not addressed to it, nor read its
  trace: 403;
- a system cannot acknowledge for another (H26 acking H14's document, the
  sender acking its own document): 403, and the delivery stays pending;
- no credential: 401 on send, inbox, fetch, ack and trace; a token that
  was never issued: 401;
- a reader or admin token cannot send (403) and has no inbox (403);
- a status about a document comes from one of its recipients, and a
  revocation (13) from its sender: a third party's is refused (403) and
  nothing reaches the trace or the sender's inbox.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H26  # noqa: E402

NEVER_ISSUED = "lt_" + "A" * 43


class ExchangeSecurity(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_security_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)["token"]
            cls.cb = cls.reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            cls.hn = cls.reg.system_add("UBND thành phố Hà Nội", H26)["token"]
            cls.reader = cls.reg.token("reader", name="đọc")
            cls.admin = cls.reg.token("admin", name="quản trị")
            cls.d = ltd.Daemon(cls.reg).start()
            data, cls.docid = ltpkg.edoc(G22, [H14], number="7", attachments=[("a.pdf", b"%PDF-1.4 secret" * 20)])
            r = ltx.send(cls.d, cls.vpcp, data)
            if r.status != 201:
                raise AssertionError(f"the first send failed: {r!r}")
            cls.data = data
            cls.hub_id = r.json()["id"]
        except BaseException:
            cls.tearDownClass()
            raise


    def ids(self, token, kind=None):
        return [it["id"] for it in ltx.inbox_all(self.d, token, kind)]

    def h14_state(self):
        r = self.d.get(f"/v1/documents/{self.hub_id}/trace", token=self.vpcp)
        self.assertStatus(r, 200)
        return [x["state"] for x in r.json()["recipients"]]

    def assertNothingStored(self, before_counts, before_files):
        self.assertEqual(ltx.exchange_counts(self.d), before_counts, "lienthong_exchange_documents changed")
        self.assertEqual(ltx.package_files(self.reg.data_dir), before_files, "a package file was stored")

    # ---- sending as a code the system is not bound to ----

    def test_send_as_a_code_not_bound(self):
        counts, files = ltx.exchange_counts(self.d), ltx.package_files(self.reg.data_dir)
        # H26's system sends a package whose From is H14
        data, docid = ltpkg.edoc(H14, [G22], number="8")
        e = self.assertError(ltx.send(self.d, self.hn, data), 403)
        self.assertIn(H14, e["message"], e)
        # a status package speaking for H14
        e = self.assertError(ltx.send(self.d, self.hn, ltpkg.status(H14, G22, self.docid, "06")), 403)
        self.assertIn(H14, e["message"], e)
        # the sender's code, sent by another system
        data, _ = ltpkg.edoc(G22, [H26], number="9")
        self.assertError(ltx.send(self.d, self.cb, data), 403)
        self.assertNothingStored(counts, files)
        self.assertEqual(self.ids(self.vpcp), [], "G22's inbox after refused sends")
        self.assertNotIn(docid, [it["document_id"] for it in ltx.inbox_all(self.d, self.cb)])

    # ---- inboxes ----

    def test_inbox_is_per_system(self):
        self.assertIn(self.hub_id, self.ids(self.cb), "the recipient's inbox")
        self.assertNotIn(self.hub_id, self.ids(self.hn), "H26's inbox shows H14's document")
        self.assertNotIn(self.hub_id, self.ids(self.hn, "edoc"))
        self.assertNotIn(self.hub_id, self.ids(self.vpcp), "the sender's inbox shows what it sent")
        # no query parameter selects somebody else's inbox
        for q in (f"?to={H14}", f"?code={H14}", f"?system=2&routed_to={H14}"):
            r = self.d.get("/v1/inbox" + q, token=self.hn)
            if r.status == 200:
                self.assertNotIn(self.hub_id, [it["id"] for it in r.json()["items"]], q)
            else:
                self.assertError(r, (400, 403), msg=q)

    # ---- fetch and trace ----

    def test_fetch_not_addressed(self):
        e = self.assertError(self.d.get(f"/v1/documents/{self.hub_id}", token=self.hn), 403)
        self.assertNotIn("secret", e["message"])
        self.assertError(self.d.get(f"/v1/documents/{self.hub_id}/trace", token=self.hn), 403)
        # the recipient and the sender may
        r = self.d.get(f"/v1/documents/{self.hub_id}", token=self.cb)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, self.data)
        self.assertStatus(self.d.get(f"/v1/documents/{self.hub_id}/trace", token=self.cb), 200)
        self.assertStatus(self.d.get(f"/v1/documents/{self.hub_id}/trace", token=self.vpcp), 200)
        # a reader token is no recipient either
        self.assertError(self.d.get(f"/v1/documents/{self.hub_id}", token=self.reader), 403)

    # ---- acknowledging ----

    def test_ack_for_another(self):
        self.assertError(self.d.post(f"/v1/documents/{self.hub_id}/ack", {"state": "done"}, token=self.hn), 403)
        self.assertError(self.d.post(f"/v1/documents/{self.hub_id}/ack", {"state": "done"}, token=self.vpcp), 403,
                         msg="the sender acknowledging its own document")
        self.assertError(self.d.post(f"/v1/documents/{self.hub_id}/ack", {"state": "done"}, token=self.reader),
                         (401, 403))
        self.assertEqual(self.h14_state(), ["pending"], "an acknowledgement for another changed the delivery")
        self.assertIn(self.hub_id, self.ids(self.cb), "still in the recipient's inbox")

    # ---- statuses only from the parties of the document ----

    def test_status_from_a_third_party(self):
        # G22 sent a document to H14; H26 never received it. Its statuses
        # about it, and a revocation by anyone but G22, are refused (403), so
        # nobody writes on another's trace or inbox in a recipient's name.
        data, docid = ltpkg.edoc(G22, [H14], number="12")
        hub_id = ltx.send(self.d, self.vpcp, data).json()["id"]
        counts, files = ltx.exchange_counts(self.d), ltx.package_files(self.reg.data_dir)
        for code in ("01", "06", "15", "13"):
            e = self.assertError(ltx.send(self.d, self.hn, ltpkg.status(H26, G22, docid, code)), 403,
                                 msg=f"status {code} from a third party")
            self.assertIn(H26, e["message"], e)
        e = self.assertError(ltx.send(self.d, self.cb, ltpkg.status(H14, G22, docid, "13")), 403,
                             msg="a recipient revoking the sender's document")
        self.assertIn("sender", e["message"], e)
        self.assertNothingStored(counts, files)
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=self.vpcp)
        self.assertStatus(r, 200)
        tr = r.json()
        self.assertEqual([s for x in tr["recipients"] for s in x["statuses"]], [], tr)
        self.assertEqual(tr["sender_statuses"], [], tr)
        self.assertEqual(self.ids(self.vpcp, "status"), [])
        # the recipient's own status is taken (and acknowledged, for the other tests)
        r = ltx.send(self.d, self.cb, ltpkg.status(H14, G22, docid, "01"))
        self.assertStatus(r, 201)
        sid = r.json()["id"]
        self.assertEqual(self.ids(self.vpcp, "status"), [sid])
        self.assertStatus(self.d.post(f"/v1/documents/{sid}/ack", {"state": "done"}, token=self.vpcp), 200)

    # ---- no credential, bad credential, wrong role ----

    def test_anonymous_and_bad_tokens(self):
        data, _ = ltpkg.edoc(G22, [H14], number="10")
        counts, files = ltx.exchange_counts(self.d), ltx.package_files(self.reg.data_dir)
        for token in (None, NEVER_ISSUED):
            self.assertError(ltx.send(self.d, token, data), 401, msg=f"send with {token}")
            self.assertError(self.d.get("/v1/inbox", token=token), 401, msg=f"inbox with {token}")
            self.assertError(self.d.get(f"/v1/documents/{self.hub_id}", token=token), 401)
            self.assertError(self.d.get(f"/v1/documents/{self.hub_id}/trace", token=token), 401)
            self.assertError(self.d.post(f"/v1/documents/{self.hub_id}/ack", {"state": "done"}, token=token), 401)
        r = self.d.request("POST", "/v1/documents", body=data,
                           headers={**ltx.XML, "Authorization": "Basic Zm9vOmJhcg=="})
        self.assertError(r, 401, msg="basic auth")
        self.assertNothingStored(counts, files)
        self.assertEqual(self.h14_state(), ["pending"])

    def test_reader_and_admin_cannot_send(self):
        data, _ = ltpkg.edoc(G22, [H14], number="11")
        counts, files = ltx.exchange_counts(self.d), ltx.package_files(self.reg.data_dir)
        for name, token in (("reader", self.reader), ("admin", self.admin)):
            e = self.assertError(ltx.send(self.d, token, data), 403, msg=name)
            self.assertIn("system", e["message"], e)
            self.assertError(self.d.get("/v1/inbox", token=token), 403, msg=f"{name} inbox")
        self.assertNothingStored(counts, files)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
