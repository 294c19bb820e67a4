#!/usr/bin/env python3
"""Integration test: the exchange hub's round trip (issue 10, acceptance 1).

A scratch registry made by `lienthong init --demo` (Quảng Nam
000.00.00.H47 merged into Đà Nẵng 000.00.00.H17 on 2025-07-01, so H47 is
closed with the successor H17), one connected system per code (G22, H17,
H26, H14, H29) made by `lienthong system add`, and the real lienthongd on
a free port of 127.0.0.1.

- Round trip: G22 sends one package with an attachment to H47, H26 and
  H14. All three deliveries land (H47's at H17, with the reason on the
  reply and the trace); each recipient's inbox lists it, each fetches the
  exact bytes, acknowledges (processing, then done: then its inbox no
  longer lists it) and answers with status packages 01 → 03 → 06; G22's
  status inbox receives all nine, and G22's trace shows, per recipient,
  the transport timeline and the 01/03/06 timeline. The resend of the
  package returns the first reply; the same DocumentId with other content
  is a 409. /v1/stats/exchange (by day, sender, recipient) and /metrics
  count exactly what was accepted.
- A package addressed to both a closed code (H47) and its successor (H17)
  is delivered once (the copy for H47 is "merged"); invalid, unknown and
  malformed ids and acknowledgement states are refused.
- Business flows (formats.md §2.9): revoke (BussinessDocType 1), update
  with a recipient delta (2: the added recipient H29 gets the update),
  replace (3), a receiver's 15, and the sender's status 13, which reaches
  every recipient of the original.
- A status package answering a document the hub never carried is still
  relayed to its ResponseFor/OrganId (design.md §5), through lineage too.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26, H29, H47, HEX32  # noqa: E402


class ExchangeFlow(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_flow_")
        cls.d = None
        try:
            cls.tok = {}
            for code, name in ((G22, "Văn phòng Chính phủ"), (H17, "UBND thành phố Đà Nẵng"),
                               (H26, "UBND thành phố Hà Nội"), (H14, "UBND tỉnh Cao Bằng"),
                               (H29, "UBND Thành phố Hồ Chí Minh")):
                cls.tok[code] = cls.reg.system_add(name, code)["token"]
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise


    # ---- helpers ----

    def send(self, sender, data, status=201):
        r = ltx.send(self.d, self.tok[sender], data)
        self.assertStatus(r, status, f"sending as {sender}")
        return r.json() if r.status < 300 else r

    def inbox(self, code, kind=None):
        return ltx.inbox_all(self.d, self.tok[code], kind)

    def fetch(self, code, hub_id):
        r = self.d.get(f"/v1/documents/{hub_id}", token=self.tok[code], timeout=30)
        self.assertStatus(r, 200, f"fetch {hub_id} as {code}")
        self.assertTrue((r.header("Content-Type") or "").startswith("application/xml"), repr(r.headers))
        return r.body

    def ack(self, code, hub_id, state="done"):
        r = self.d.post(f"/v1/documents/{hub_id}/ack", {"state": state}, token=self.tok[code])
        self.assertStatus(r, 200, f"ack {state} of {hub_id} as {code}")
        self.assertEqual(r.json().get("state"), state, repr(r))
        return r.json()

    def trace(self, code, hub_id):
        r = self.d.get(f"/v1/documents/{hub_id}/trace", token=self.tok[code])
        self.assertStatus(r, 200, f"trace of {hub_id} as {code}")
        return r.json()

    def stats(self, by, **q):
        q["by"] = by
        r = self.d.get("/v1/stats/exchange?" + urllib.parse.urlencode(q), token=self.tok[G22])
        self.assertStatus(r, 200, f"stats by {by}")
        out = r.json()
        self.assertEqual(out.get("by"), by)
        return {it["key"]: it for it in out["items"]}

    def delivered_to(self, code, hub_id, kind="edoc"):
        """The single inbox item of hub_id in code's inbox."""
        items = [it for it in self.inbox(code, kind) if it["id"] == hub_id]
        self.assertEqual(len(items), 1, f"{hub_id} in the {kind} inbox of {code}: {items}")
        return items[0]

    def not_in_inbox(self, code, hub_id, kind=None):
        ids = [it["id"] for it in self.inbox(code, kind)]
        self.assertNotIn(hub_id, ids, f"{hub_id} still in the inbox of {code}")

    def recipients(self, reply):
        return {r["code"]: r for r in reply["recipients"]}

    # ---- acceptance 1: one package, three recipients, one closed ----

    def test_round_trip(self):
        d = self.d
        before = {by: self.stats(by) for by in ("day", "sender", "recipient")}
        edoc0, status0 = ltx.exchange_counts(d)
        self.assertIsNotNone(edoc0, "/metrics has no lienthong_exchange_documents{kind=\"edoc\"}")
        self.assertIsNotNone(status0, "/metrics has no lienthong_exchange_documents{kind=\"status\"}")

        attachment = bytes(range(256)) * 300 + "Công văn số 1".encode()
        data, docid = ltpkg.edoc(G22, [H47, H26, H14], number="1", subject="Về việc thử nghiệm liên thông",
                                 attachments=[("cong-van.pdf", attachment)])
        r = ltx.send(d, self.tok[G22], data)
        self.assertStatus(r, 201)
        first = r.json()
        hub_id = first["id"]
        self.assertRegex(hub_id, HEX32)
        self.assertEqual(first["kind"], "edoc")
        self.assertEqual(first["document_id"], docid)
        self.assertEqual(first["sha256"], ltx.sha256(data))
        loc = r.header("Location")
        if loc is not None:
            self.assertTrue(loc.endswith(f"/v1/documents/{hub_id}"), loc)

        rec = self.recipients(first)
        self.assertEqual(sorted(rec), sorted([H47, H26, H14]), first)
        self.assertEqual(rec[H47]["routed_to"], H17, first)
        self.assertEqual(rec[H47]["state"], "pending", first)
        reason = rec[H47].get("reason") or ""
        for word in (H47, H17, "closed"):
            self.assertIn(word, reason, f"the reason of the re-routing names {word}: {reason!r}")
        for code in (H26, H14):
            self.assertEqual((rec[code]["routed_to"], rec[code]["state"]), (code, "pending"), first)

        # Where each delivery lands: the routed-to code of each addressed one.
        landing = {H47: H17, H26: H26, H14: H14}

        # the trace, straight after the send
        tr = self.trace(G22, hub_id)
        self.assertEqual((tr["id"], tr["document_id"], tr["from"], tr["sha256"], tr["size"]),
                         (hub_id, docid, G22, ltx.sha256(data), len(data)))
        trec = {x["code"]: x for x in tr["recipients"]}
        self.assertEqual(sorted(trec), sorted(landing), tr)
        self.assertEqual(trec[H47]["routed_to"], H17, tr)
        self.assertIn(H17, trec[H47].get("reason") or "", tr)
        self.assertIn("closed", trec[H47].get("reason") or "", tr)
        for code in landing:
            self.assertEqual([e["state"] for e in trec[code]["transport"]], ["pending"], trec[code])
            self.assertEqual(trec[code]["statuses"], [], trec[code])

        # each recipient's inbox shows it once; the sender's does not
        for addressed, code in landing.items():
            it = self.delivered_to(code, hub_id)
            self.assertEqual((it["kind"], it["document_id"], it["from"], it["to"], it["routed_to"]),
                             ("edoc", docid, G22, addressed, code), it)
            self.assertEqual((it["size"], it["sha256"], it["state"]), (len(data), ltx.sha256(data), "pending"), it)
            self.assertEqual(it.get("subject"), "Về việc thử nghiệm liên thông", it)
            self.delivered_to(code, hub_id, kind=None)
            self.not_in_inbox(code, hub_id, kind="status")
        self.not_in_inbox(G22, hub_id)
        self.assertNotIn(hub_id, [it["id"] for it in self.inbox(H29)], "H29 is no recipient")

        # each fetches the exact bytes
        for code in landing.values():
            got = self.fetch(code, hub_id)
            self.assertEqual(ltx.sha256(got), ltx.sha256(data), f"bytes fetched by {code}")
            self.assertEqual(got, data)

        # acknowledgements: processing keeps it in the inbox, done removes it
        self.ack(H26, hub_id, "processing")
        self.assertEqual(self.delivered_to(H26, hub_id)["state"], "processing")
        for code in landing.values():
            out = self.ack(code, hub_id, "done")
            self.assertEqual(out.get("deliveries"), 1, out)
            self.not_in_inbox(code, hub_id)
        # a repeated acknowledgement (a client's retry) changes nothing
        self.ack(H14, hub_id, "done")

        # statuses 01 → 03 → 06 from each recipient, as its own code
        status_ids = {}
        for code in landing.values():
            for n, sc in enumerate(("01", "03", "06")):
                pkg = ltpkg.status(code, G22, docid, sc, description=f"{code} {sc}",
                                   timestamp=f"2026/11/21 {8 + 2 * n:02d}:00:00")
                reply = self.send(code, pkg)
                self.assertEqual(reply["kind"], "status", reply)
                self.assertEqual([(x["code"], x["routed_to"], x["state"]) for x in reply["recipients"]],
                                 [(G22, G22, "pending")], reply)
                status_ids[(code, sc)] = (reply["id"], pkg)

        # the sender's status inbox receives all nine
        st_items = [it for it in self.inbox(G22, "status") if it.get("refers_to") == docid]
        self.assertEqual(sorted((it["from"], it.get("status_code")) for it in st_items), sorted(status_ids), st_items)
        for it in st_items:
            self.assertEqual((it["kind"], it["to"], it["routed_to"], it["state"]), ("status", G22, G22, "pending"), it)
            sid, pkg = status_ids[(it["from"], it["status_code"])]
            self.assertEqual(it["id"], sid)
            self.assertEqual(it["sha256"], ltx.sha256(pkg))
        self.assertEqual([it["id"] for it in self.inbox(G22, "edoc")], [], "G22's edoc inbox")
        sid, pkg = status_ids[(H17, "06")]
        r = d.get(f"/v1/documents/{sid}", token=self.tok[G22])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, pkg, "the status package G22 fetches is the one H17 sent")
        for sid, _ in status_ids.values():
            self.ack(G22, sid, "done")
        self.assertEqual([it for it in self.inbox(G22, "status") if it.get("refers_to") == docid], [])

        # the sender's trace: per recipient, the transport and business timelines
        tr = self.trace(G22, hub_id)
        trec = {x["code"]: x for x in tr["recipients"]}
        for addressed, code in landing.items():
            x = trec[addressed]
            self.assertEqual((x["routed_to"], x["state"]), (code, "done"), x)
            want = ["pending", "processing", "done"] if code == H26 else ["pending", "done"]
            self.assertEqual([e["state"] for e in x["transport"]], want, x)
            for e in x["transport"]:
                self.assertTrue(e.get("at"), x)
            self.assertEqual([s["code"] for s in x["statuses"]], ["01", "03", "06"], x)
            for s in x["statuses"]:
                self.assertEqual(s["from"], code, s)
                self.assertTrue(s.get("name"), s)
                self.assertEqual(s.get("status_id"), status_ids[(code, s["code"])][0], s)
        self.assertEqual(tr.get("sender_statuses", []), [], tr)

        # the resend returns the first reply; the same DocumentId with other content is a conflict
        r = ltx.send(d, self.tok[G22], data)
        self.assertStatus(r, (200, 201), "resend")
        self.assertEqual(r.json(), first, "a resend gets the first reply")
        other, same_docid = ltpkg.edoc(G22, [H47, H26, H14], number="1", subject="Nội dung khác",
                                       attachments=[("cong-van.pdf", attachment)])
        self.assertEqual(same_docid, docid)
        e = self.assertError(ltx.send(d, self.tok[G22], other), 409)
        self.assertIn(docid, e["message"], e)
        for code in landing.values():
            self.assertEqual([it for it in self.inbox(code) if it["document_id"] == docid], [],
                             f"nothing new for {code} after the resend and the conflict")

        # /metrics: one edoc, nine statuses
        self.assertEqual(ltx.exchange_counts(d), (edoc0 + 1, status0 + 9), "lienthong_exchange_documents")

        # /v1/stats/exchange: exactly this document, its deliveries and statuses
        day = tr["received"][:10]
        after = {by: self.stats(by) for by in ("day", "sender", "recipient")}

        def delta(by, key, field):
            old = before[by].get(key, {}).get(field) or 0
            self.assertIn(key, after[by], f"stats by {by}: no {key}: {after[by]}")
            return (after[by][key].get(field) or 0) - old

        for by, key in (("day", day), ("sender", G22)):
            self.assertEqual(delta(by, key, "documents"), 1, after[by])
            self.assertEqual(delta(by, key, "bytes"), len(data), after[by])
            self.assertEqual(delta(by, key, "deliveries"), 3, after[by])
            self.assertEqual(delta(by, key, "answered_01"), 3, after[by])
            self.assertEqual(delta(by, key, "answered_06"), 3, after[by])
            self.assertIsNotNone(after[by][key].get("sent_to_01_seconds"), after[by])
            self.assertIsNotNone(after[by][key].get("sent_to_06_seconds"), after[by])
        for code in landing.values():
            self.assertEqual(delta("recipient", code, "documents"), 1, after["recipient"])
            self.assertEqual(delta("recipient", code, "deliveries"), 1, after["recipient"])
            self.assertEqual(delta("recipient", code, "bytes"), len(data), after["recipient"])
            self.assertEqual(delta("recipient", code, "answered_06"), 1, after["recipient"])
        self.assertNotIn(H47, after["recipient"], "statistics count the routed-to code")
        # from/to bound the days
        self.assertIn(day, self.stats("day", **{"from": day, "to": day}))
        self.assertEqual(self.stats("day", **{"from": "2099-01-01"}), {})
        self.assertIn(day[:7], self.stats("month"))

    # ---- a closed code and its successor both addressed: delivered once ----

    def test_closed_code_and_its_successor_both_addressed(self):
        data, docid = ltpkg.edoc(G22, [H17, H47], number="300")
        reply = self.send(G22, data)
        rec = self.recipients(reply)
        self.assertEqual(sorted(rec), [H17, H47], reply)
        self.assertEqual((rec[H17]["routed_to"], rec[H17]["state"]), (H17, "pending"), reply)
        self.assertEqual((rec[H47]["routed_to"], rec[H47]["state"]), (H17, "merged"), reply)
        items = [it for it in self.inbox(H17) if it["document_id"] == docid]
        self.assertEqual(len(items), 1, f"H17 gets one copy: {items}")
        self.assertEqual(self.ack(H17, reply["id"])["deliveries"], 1)
        self.not_in_inbox(H17, reply["id"])
        # invalid acknowledgements
        r = self.d.post(f"/v1/documents/{reply['id']}/ack", {"state": "read"}, token=self.tok[H17])
        self.assertError(r, 400)
        r = self.d.post(f"/v1/documents/{'0' * 32}/ack", {"state": "done"}, token=self.tok[H17])
        self.assertError(r, 404)
        self.assertError(self.d.get(f"/v1/documents/{'0' * 32}", token=self.tok[H17]), 404)
        self.assertError(self.d.get("/v1/documents/not-an-id", token=self.tok[H17]), 400)

    def test_first_reply_is_the_stored_one(self):
        """The send's reply is built from the rows its commit wrote, not read
        back; the replay's reply is read back from the store. Both say the
        same, for every kind of recipient: a system's (pending), a closed
        code's and its successor's (merged), a code no system receives for
        (no_system) and a code the registry does not know (refused)."""
        data, _ = ltpkg.edoc(G22, [H26, H47, H17, "000.00.00.A05", ltx.UNKNOWN], number="320")
        first = self.send(G22, data)
        states = {r["code"]: r["state"] for r in first["recipients"]}
        self.assertEqual(states, {H26: "pending", H47: "pending", H17: "merged", "000.00.00.A05": "no_system",
                                  ltx.UNKNOWN: "refused"}, first)
        replay = self.send(G22, data, status=(200, 201))
        self.assertEqual(replay, first)
        self.ack(H26, first["id"])
        self.assertEqual(self.send(G22, data, status=(200, 201)), first)

    # ---- formats.md §2.9: revoke, update with a recipient delta, replace, 13 ----

    def test_business_flows(self):
        data, docid = ltpkg.edoc(G22, [H26, H14], number="200", subject="Văn bản gốc")
        orig = self.send(G22, data)
        for code in (H26, H14):
            self.delivered_to(code, orig["id"])
            self.ack(code, orig["id"])

        # revoke: an edoc with BussinessDocType 1 naming the original
        rv, rv_docid = ltpkg.edoc(G22, [H26, H14], number="201", subject="Thu hồi", doctype=1, refers_to=docid)
        revoke = self.send(G22, rv)
        self.assertEqual(sorted(x["routed_to"] for x in revoke["recipients"]), [H14, H26], revoke)
        for code in (H26, H14):
            it = self.delivered_to(code, revoke["id"])
            self.assertEqual(it["document_id"], rv_docid)
            self.assertEqual(self.fetch(code, revoke["id"]), rv)
        tr = self.trace(G22, revoke["id"])
        self.assertEqual(tr.get("business"), {"type": "revoke", "refers_to": docid}, tr)
        # a receiver agrees (15): relayed to the sender
        agree = self.send(H26, ltpkg.status(H26, G22, rv_docid, "15", description="Đồng ý thu hồi"))
        self.assertEqual(self.delivered_to(G22, agree["id"], "status")["status_code"], "15")

        # update: BussinessDocType 2 with a recipient delta adding H29
        up, up_docid = ltpkg.edoc(G22, [H26, H14], number="202", subject="Cập nhật", doctype=2, refers_to=docid,
                                  receivers=[(H29, 1)])
        update = self.send(G22, up)
        rec = self.recipients(update)
        self.assertIn(H29, rec, f"the recipient added by the update is a recipient of it: {update}")
        self.assertEqual((rec[H29]["routed_to"], rec[H29]["state"]), (H29, "pending"), update)
        for code in (H26, H14, H29):
            it = self.delivered_to(code, update["id"])
            self.assertEqual(it["document_id"], up_docid)
            self.assertEqual(self.fetch(code, update["id"]), up)
        tr = self.trace(G22, update["id"])
        self.assertEqual(tr.get("business"), {"type": "update", "refers_to": docid}, tr)
        self.assertNotIn(orig["id"], [it["id"] for it in self.inbox(H29)], "H29 gets the update, not the original")

        # replace: BussinessDocType 3 with a ReplacementInfoList
        rp, rp_docid = ltpkg.edoc(G22, [H26, H14], number="203", subject="Thay thế", doctype=3,
                                  replacements=[(docid, [H26, H14])])
        replace = self.send(G22, rp)
        for code in (H26, H14):
            it = self.delivered_to(code, replace["id"])
            self.assertEqual(it["document_id"], rp_docid)
            self.assertEqual(self.fetch(code, replace["id"]), rp)
        tr = self.trace(G22, replace["id"])
        self.assertEqual((tr.get("business") or {}).get("type"), "replace", tr)

        # status 13 from the sender reaches every recipient of the original
        s13 = ltpkg.status(G22, G22, docid, "13", description="Đề nghị thu hồi")
        sent13 = self.send(G22, s13)
        self.assertEqual(sorted(x["routed_to"] for x in sent13["recipients"] if x["state"] == "pending"),
                         [H14, H26], sent13)
        for code in (H26, H14):
            it = self.delivered_to(code, sent13["id"], "status")
            self.assertEqual((it["from"], it.get("status_code"), it.get("refers_to")), (G22, "13", docid), it)
            self.assertEqual(self.fetch(code, sent13["id"]), s13)
        self.assertNotIn(sent13["id"], [it["id"] for it in self.inbox(H29)], "H29 never got the original")
        tr = self.trace(G22, orig["id"])
        own = tr.get("sender_statuses", [])
        # one entry for the one status package, naming every recipient it reached
        self.assertEqual([(s["code"], s["from"], s.get("status_id")) for s in own], [("13", G22, sent13["id"])], tr)
        self.assertEqual(sorted(own[0].get("reached", [])), [H14, H26], tr)
        # a receiver refuses the revocation (16): on the original's trace
        self.send(H14, ltpkg.status(H14, G22, docid, "16", description="Không đồng ý"))
        tr = self.trace(G22, orig["id"])
        h14 = [x for x in tr["recipients"] if x["code"] == H14][0]
        self.assertEqual([s["code"] for s in h14["statuses"]], ["16"], h14)

    # ---- long Vietnamese text, cut to the hub's fields ----

    def test_long_vietnamese_subject_and_description(self):
        # The hub keeps 511 bytes of a subject or a description; here they end
        # inside a character ("ệ" is 3 bytes), which once made the inbox and
        # the trace answer 500 (invalid UTF-8 in the JSON).
        text = "Về việc " + "ệ" * 200
        self.assertEqual(text.encode()[511] & 0xC0, 0x80, "the cut must fall inside a character")
        data, docid = ltpkg.edoc(G22, [H26], number="310", subject=text)
        sent = self.send(G22, data)
        it = self.delivered_to(H26, sent["id"])  # Response.json() decodes strictly
        self.assertEqual(it["subject"], text[:len(it["subject"])], it)
        self.assertEqual(len(it["subject"].encode()), 510, "every whole character that fits")
        status = self.send(H26, ltpkg.status(H26, G22, docid, "01", description=text))
        tr = self.trace(G22, sent["id"])
        self.assertEqual(tr["subject"], it["subject"])
        (desc,) = [s["description"] for x in tr["recipients"] for s in x["statuses"]]
        self.assertEqual(len(desc.encode()), 510, tr)
        self.assertTrue(text.startswith(desc), desc)
        self.assertEqual(self.delivered_to(G22, status["id"], "status")["refers_to"], docid)
        self.ack(G22, status["id"])
        self.ack(H26, sent["id"])

    # ---- done is final ----

    def test_done_is_final(self):
        data, _ = ltpkg.edoc(G22, [H26], number="311", subject="Đã xong")
        sent = self.send(G22, data)
        self.ack(H26, sent["id"], "done")
        for late in ("processing", "fail"):
            r = self.d.post(f"/v1/documents/{sent['id']}/ack", {"state": late}, token=self.tok[H26])
            self.assertStatus(r, 200, f"{late} after done")
            self.assertEqual((r.json()["state"], r.json()["deliveries"]), ("done", 1), r)
            self.not_in_inbox(H26, sent["id"])
        tr = self.trace(G22, sent["id"])
        self.assertEqual([(x["state"], [e["state"] for e in x["transport"]]) for x in tr["recipients"]],
                         [("done", ["pending", "done"])], tr)

    # ---- design.md §5: statuses for documents the hub never carried ----

    def test_status_for_a_document_never_carried(self):
        foreign = "000.00.00.H26,2026/10/01,77/UBND-VP"
        pkg = ltpkg.status(H14, H26, foreign, "01", description="Đã đến")
        reply = self.send(H14, pkg)
        self.assertEqual([(x["code"], x["routed_to"], x["state"]) for x in reply["recipients"]],
                         [(H26, H26, "pending")], reply)
        it = self.delivered_to(H26, reply["id"], "status")
        self.assertEqual((it["from"], it.get("status_code"), it.get("refers_to")), (H14, "01", foreign), it)
        self.assertEqual(self.fetch(H26, reply["id"]), pkg)
        self.ack(H26, reply["id"])
        self.not_in_inbox(H26, reply["id"])
        # a resend of the same status package is not a second one
        again = self.send(H14, pkg, status=(200, 201))
        self.assertEqual(again["id"], reply["id"])
        self.not_in_inbox(H26, reply["id"])

        # to a closed code: through lineage to its successor
        foreign47 = "000.00.00.H47,2025/05/02,12/UBND-VP"
        pkg = ltpkg.status(H14, H47, foreign47, "06", description="Đã xử lý xong")
        reply = self.send(H14, pkg)
        self.assertEqual([(x["code"], x["routed_to"]) for x in reply["recipients"]], [(H47, H17)], reply)
        it = self.delivered_to(H17, reply["id"], "status")
        self.assertEqual((it.get("status_code"), it.get("refers_to")), ("06", foreign47), it)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
