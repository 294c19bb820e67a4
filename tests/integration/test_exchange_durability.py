#!/usr/bin/env python3
"""Integration test: durable, exactly-once delivery across crashes (issue 10,
acceptance 3; design.md §5 "Durability" and "Idempotency").

A scratch registry made by `lienthong init --demo`, a sending system (G22)
and three receiving ones (H14, H26 and H17, the successor of the closed
H47), and the real lienthongd. 2,000 small packages (unique DocumentIds,
each to one or two of H14, H26 and H47) are sent from 6 threads, each on
its own keep-alive connection, while the test kills the daemon with SIGKILL
3–5 times at random moments (when a random share of the packages has been
done, plus a random delay) and restarts it on the same database and
data directory. A client whose request got no reply (connection reset or closed)
retries the same bytes
(a retry of a package that got no reply is allowed), except for every
other package, which it abandons after its first unanswered attempt.

Meanwhile one more thread, the system of H14, pages through its inbox and
acknowledges every document `done` (POST /v1/documents/{id}/ack) on its own
connection, through the same kills; an acknowledgement without a reply is
tried again only if its document comes back in the inbox.

At the end, on the last daemon:
- every package that got a 2xx reply is in each of its recipients' inboxes
  exactly once (inboxes paged through with next_cursor, matched by
  DocumentId), with the hub id of its reply, and no inbox lists a
  DocumentId twice;
- an abandoned package is either absent everywhere or whole: in all its
  recipients' inboxes, with its full bytes;
- the bytes fetched of every stored package are the bytes sent;
- /metrics lienthong_exchange_documents counts exactly the stored packages;
- every acknowledgement answered 200 is durable: its document is not in
  H14's inbox, and its trace shows H14's delivery `done` with one `done`
  event; an acknowledgement without a reply left its document either done
  (likewise) or still in the inbox;
- a resend of every acknowledged package returns its first reply (same id),
  and stores nothing new.

Under an ASan build (LT_BUILD_DIR ending in build-asan) the counts are
reduced (1,000 packages, 3–4 kills) to keep the time reasonable;
the output says so. The random seed is printed (set LT_SEED to replay).

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import collections
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26, H47  # noqa: E402

ASAN = ltx.asan()
N_PACKAGES = 1000 if ASAN else 2000
N_THREADS = 6
KILLS = (3, 4) if ASAN else (3, 5)
ABANDON_EVERY = 2  # package i with i % 2 == 1 is not retried after an unanswered attempt
DEADLINE_S = 600 if ASAN else 120
ROUTE = {H14: H14, H26: H26, H47: H17}
CONN_ERRORS = (OSError, http.client.HTTPException)


class Shared:
    """What the client threads and the killer share."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.port = port
        self.done = 0  # packages answered or abandoned
        self.stop = False


class Client(threading.Thread):
    def __init__(self, shared, token, work, packages):
        super().__init__(daemon=True)
        self.shared = shared
        self.token = token
        self.work = work  # package indexes
        self.packages = packages
        self.replies = {}  # i -> (status, reply dict)
        self.unanswered = set()  # abandoned after an attempt without a reply
        self.retried = collections.Counter()  # i -> attempts without a reply
        self.errors = []  # unexpected replies
        self.conn = None
        self.conn_port = None

    def connection(self):
        port = self.shared.port
        if self.conn is None or self.conn_port != port:
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            self.conn_port = port
        return self.conn

    def drop(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def run(self):
        t_end = time.monotonic() + DEADLINE_S
        for i in self.work:
            data = self.packages[i][0]
            while True:
                if self.shared.stop or time.monotonic() > t_end:
                    self.errors.append((i, "gave up: the test's deadline passed"))
                    return
                conn = self.connection()
                if conn.sock is None:
                    try:
                        conn.connect()
                    except OSError:
                        # nothing sent: the daemon is down or restarting
                        self.drop()
                        time.sleep(0.02)
                        continue
                try:
                    conn.request("POST", "/v1/documents", body=data,
                                 headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/xml"})
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.getheader("Connection", "").lower() == "close":
                        self.drop()
                except CONN_ERRORS:
                    self.drop()
                    self.retried[i] += 1
                    if i % ABANDON_EVERY == 1:
                        self.unanswered.add(i)
                        with self.shared.lock:
                            self.shared.done += 1
                        break
                    time.sleep(0.02)
                    continue
                if resp.status == 503:  # not ready: a retry is what it asks for
                    time.sleep(0.05)
                    continue
                try:
                    reply = json.loads(body)
                except ValueError:
                    reply = {"raw": body[:300].decode("utf-8", "replace")}
                if 200 <= resp.status < 300:
                    self.replies[i] = (resp.status, reply)
                    with self.shared.lock:
                        self.shared.done += 1
                else:
                    self.errors.append((i, resp.status, reply))
                break
        self.drop()


class Acker(threading.Thread):
    """The receiving system of one code: pages through its inbox and
    acknowledges each document done, through the daemon's kills."""

    def __init__(self, shared, token):
        super().__init__(daemon=True)
        self.shared = shared
        self.token = token
        self.acked = {}  # hub id -> DocumentId: answered 200
        self.unanswered = {}  # hub id -> DocumentId: sent, no reply
        self.errors = []
        self.conn = None
        self.conn_port = None
        self.halt = False

    def call(self, method, path, body=None):
        """(status, parsed reply), or None when the request got no reply."""
        port = self.shared.port
        if self.conn is None or self.conn_port != port:
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            self.conn_port = port
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except CONN_ERRORS:
            self.conn.close()
            self.conn = None
            return None
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, {"raw": data[:300].decode("utf-8", "replace")}

    def run(self):
        t_end = time.monotonic() + DEADLINE_S
        while not self.halt and time.monotonic() < t_end:
            r = self.call("GET", "/v1/inbox?kind=edoc&limit=50")
            if r is None or r[0] == 503:
                time.sleep(0.02)
                continue
            if r[0] != 200:
                self.errors.append(("inbox", r))
                return
            items = r[1]["items"]
            if not items:
                time.sleep(0.01)
            for it in items:
                if self.halt:
                    break
                a = self.call("POST", f"/v1/documents/{it['id']}/ack", body=b'{"state":"done"}')
                if a is None or a[0] == 503:
                    # It may have committed before the kill; if not, the
                    # document is still in the inbox and is acknowledged again.
                    self.unanswered[it["id"]] = it["document_id"]
                    time.sleep(0.02)
                    break
                if a[0] != 200 or a[1].get("state") != "done" or a[1].get("deliveries") != 1:
                    self.errors.append(("ack", it["id"], a))
                    return
                self.acked[it["id"]] = it["document_id"]
                self.unanswered.pop(it["id"], None)
        if self.conn is not None:
            self.conn.close()


class ExchangeDurability(ltd.DaemonTest):
    def test_sigkill_while_sending(self):
        seed = int(os.environ.get("LT_SEED") or time.time_ns() % 1_000_000)
        rnd = random.Random(seed)
        print(f"seed {seed}; {N_PACKAGES} packages, {N_THREADS} threads"
              + (" (reduced counts: ASan build)" if ASAN else ""))
        reg = ltd.Registry(prefix="lt_test_exchange_durability_")
        d = None
        try:
            vpcp = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            tok = {code: reg.system_add(f"Hệ thống {code}", code)["token"] for code in (H14, H26, H17)}

            # the packages: unique DocumentIds, one or two recipients each
            codes = list(ROUTE)
            packages = []
            for i in range(N_PACKAGES):
                to = rnd.sample(codes, rnd.choice((1, 2)))
                att = [("t.pdf", rnd.randbytes(rnd.randrange(0, 600)))] if i % 3 == 0 else []
                data, docid = ltpkg.edoc(G22, to, number=str(i + 1), notation="BB-DUR",
                                         subject=f"Gói số {i + 1}", attachments=att)
                packages.append((data, docid, to))

            d = ltd.Daemon(reg).start(timeout=60)
            shared = Shared(d.port)
            clients = [Client(shared, vpcp, list(range(k, N_PACKAGES, N_THREADS)), packages)
                       for k in range(N_THREADS)]
            acker = Acker(shared, tok[H14])
            n_kills = rnd.randint(*KILLS)
            marks = sorted(rnd.uniform(0.08, 0.85) for _ in range(n_kills))
            t0 = time.monotonic()
            for c in clients:
                c.start()
            acker.start()
            kills = []
            try:
                for m in marks:
                    # at the mark, and after some progress since the last restart
                    want = max(m * N_PACKAGES, (kills[-1] if kills else 0) + 3 * N_THREADS)
                    while shared.done < want and any(c.is_alive() for c in clients):
                        if time.monotonic() - t0 > DEADLINE_S:
                            raise AssertionError(f"{shared.done} of {N_PACKAGES} done after {DEADLINE_S}s")
                        time.sleep(0.005)
                    time.sleep(rnd.uniform(0, 0.05))
                    at = shared.done
                    d.kill()  # SIGKILL, then waits for it
                    kills.append(at)
                    time.sleep(rnd.uniform(0, 0.2))
                    d.start(timeout=60)
                    shared.port = d.port
            finally:
                for c in clients:
                    c.join(DEADLINE_S)
                shared.stop = True
                acker.halt = True
                acker.join(DEADLINE_S)
            t_send = time.monotonic() - t0

            replies, unanswered, retried, errors = {}, set(), collections.Counter(), []
            for c in clients:
                replies.update(c.replies)
                unanswered |= c.unanswered
                retried.update(c.retried)
                errors.extend(c.errors)
            print(f"sent in {t_send:.1f}s; SIGKILL after {kills} packages; {len(replies)} answered, "
                  f"{len(unanswered)} abandoned without a reply, {sum(retried.values())} attempts without a reply "
                  f"({len([i for i in retried if i in replies])} packages answered after a retry)")
            print(f"H14 acknowledged {len(acker.acked)} documents with a 200 reply; "
                  f"{len(acker.unanswered)} acknowledgements got no reply")
            self.assertEqual(len(kills), n_kills)
            self.assertEqual(errors, [], "unexpected replies")
            self.assertEqual(acker.errors, [], "unexpected replies to H14's inbox or acknowledgements")
            self.assertGreater(len(acker.acked), 0)
            self.assertEqual(len(replies) + len(unanswered), N_PACKAGES)
            self.assertTrue(d.alive())

            # the replies themselves
            ids = {}
            for i, (status, reply) in replies.items():
                data, docid, to = packages[i]
                self.assertIn(status, (200, 201), reply)
                self.assertEqual((reply.get("document_id"), reply.get("sha256"), reply.get("kind")),
                                 (docid, ltx.sha256(data), "edoc"), reply)
                self.assertEqual(sorted((x["code"], x["routed_to"], x["state"]) for x in reply["recipients"]),
                                 sorted((c, ROUTE[c], "pending") for c in to), reply)
                self.assertNotIn(reply["id"], ids, f"two packages got the hub id {reply['id']}")
                ids[reply["id"]] = i

            # every inbox, paged through
            by_docid = {p[1]: i for i, p in enumerate(packages)}
            seen = {}  # routed-to code -> Counter of DocumentId
            hub_of = collections.defaultdict(set)  # package index -> hub ids seen in inboxes
            inbox_n = {}
            for code in (H14, H26, H17):
                items = ltx.inbox_all(d, tok[code], "edoc", limit=500)
                inbox_n[code] = len(items)
                docids = [it["document_id"] for it in items]
                hub_ids = [it["id"] for it in items]
                if code == H14:
                    # what H14 acknowledged left its inbox, for good
                    waiting = set(hub_ids)
                    back = sorted(waiting & set(acker.acked))
                    self.assertEqual(back, [], "documents acknowledged done (200) are back in the inbox of H14")
                    done = dict(acker.acked)
                    done.update({h: di for h, di in acker.unanswered.items() if h not in waiting})
                    self.check_done(d, vpcp, done)
                    docids += list(done.values())
                    hub_ids += list(done)
                cnt = collections.Counter(docids)
                twice = [k for k, v in cnt.items() if v > 1]
                self.assertEqual(twice, [], f"DocumentIds listed twice in the inbox of {code}")
                seen[code] = cnt
                for it in items:
                    self.assertIn(it["document_id"], by_docid, f"a document nobody sent in the inbox of {code}")
                    i = by_docid[it["document_id"]]
                    self.assertEqual(it["routed_to"], code)
                    self.assertIn(it["to"], packages[i][2], it)
                for hub_id, docid in zip(hub_ids, docids):
                    self.assertIn(docid, by_docid, f"a document nobody sent reached {code}")
                    hub_of[by_docid[docid]].add(hub_id)

            for i, (_, reply) in replies.items():
                _, docid, to = packages[i]
                for c in to:
                    self.assertEqual(seen[ROUTE[c]][docid], 1,
                                     f"package {i} ({docid}, answered) in the inbox of {ROUTE[c]}")
                self.assertEqual(hub_of[i], {reply["id"]}, f"package {i}: inbox ids vs the reply")

            # abandoned packages: absent, or whole
            present = set(replies)
            for i in sorted(unanswered):
                _, docid, to = packages[i]
                where = [ROUTE[c] for c in to if seen[ROUTE[c]][docid]]
                if not where:
                    self.assertEqual(hub_of[i], set(), f"package {i}")
                    continue
                self.assertEqual(sorted(where), sorted(ROUTE[c] for c in to),
                                 f"package {i} ({docid}, no reply) is half-present: only at {where}")
                self.assertEqual(len(hub_of[i]), 1, f"package {i} stored under several ids: {hub_of[i]}")
                present.add(i)
            print(f"{len(present) - len(replies)} of the {len(unanswered)} abandoned packages were stored (whole)")

            # the bytes of every stored package
            conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
            try:
                for i in sorted(present):
                    data, _, to = packages[i]
                    (hub_id,) = hub_of[i]
                    conn.request("GET", f"/v1/documents/{hub_id}",
                                 headers={"Authorization": f"Bearer {tok[ROUTE[to[0]]]}"})
                    resp = conn.getresponse()
                    body = resp.read()
                    self.assertEqual(resp.status, 200, body[:300])
                    self.assertEqual(body, data, f"the bytes of package {i}")
            finally:
                conn.close()

            self.assertEqual(ltx.exchange_counts(d)[0], len(present), "lienthong_exchange_documents{kind=edoc}")
            if ltd.ON_POSTGRES:
                # On a shared store a start spares what may be another node's
                # upload in flight (touched within the hour): age what the
                # kills left, and start once more.
                old = time.time() - 7200
                for top, _, names in os.walk(reg.data_dir):
                    for n in names:
                        os.utime(os.path.join(top, n), (old, old))
                self.assertEqual(d.stop(30), 0)
                d.start(timeout=60)
            files = ltx.package_files(reg.data_dir)
            print(f"{len(files)} package files for {len(present)} stored packages; "
                  f"{len(ltx.spool_files(reg.data_dir))} spool files left in data/tmp")
            # every restart swept what the kill before it left: bodies renamed
            # into place whose rows never committed, and spool files
            self.assertEqual(len(files), len(present), "package files without a row after the restarts")
            self.assertEqual(ltx.spool_files(reg.data_dir), [], "spool files left in data/tmp")

            # a resend of every answered package returns its first reply
            order = sorted(replies)
            lock = threading.Lock()
            mismatches = []

            def resend(part):
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
                try:
                    for i in part:
                        c.request("POST", "/v1/documents", body=packages[i][0],
                                  headers={"Authorization": f"Bearer {vpcp}", "Content-Type": "application/xml"})
                        resp = c.getresponse()
                        body = resp.read()
                        try:
                            reply = json.loads(body)
                        except ValueError:
                            reply = body[:200]
                        if resp.status not in (200, 201) or reply != replies[i][1]:
                            with lock:
                                mismatches.append((i, resp.status, reply, replies[i][1]))
                finally:
                    c.close()

            threads = [threading.Thread(target=resend, args=(order[k::N_THREADS],)) for k in range(N_THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(DEADLINE_S)
            self.assertEqual(mismatches[:5], [], f"{len(mismatches)} resends did not get the first reply")
            self.assertEqual(ltx.exchange_counts(d)[0], len(present), "the resends stored something")
            for code in (H14, H26, H17):
                n = len(ltx.inbox_all(d, tok[code], "edoc", limit=500))
                self.assertEqual(n, inbox_n[code], f"the inbox of {code} after the resends")

            rc = d.stop(30)
            self.assertEqual(rc, 0, "lienthongd exit status after SIGTERM")
            self.assertFalse(d.sanitizer_lines(), "\n".join(d.sanitizer_lines()[:20]))
            d = None
        finally:
            if d is not None:
                d.kill()
            reg.close()


    def check_done(self, d, token, done):
        """Each hub id in done: H14's delivery is done, with one done event
        (the sender's trace)."""
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        try:
            for hub_id in sorted(done):
                conn.request("GET", f"/v1/documents/{hub_id}/trace", headers={"Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                body = resp.read()
                self.assertEqual(resp.status, 200, body[:300])
                mine = [r for r in json.loads(body)["recipients"] if r.get("routed_to") == H14]
                self.assertEqual(len(mine), 1, f"{hub_id}: {mine}")
                states = [e["state"] for e in mine[0]["transport"]]
                self.assertEqual((mine[0]["state"], states.count("done"), states[-1]), ("done", 1, "done"),
                                 f"the acknowledgement of {hub_id} by H14: {mine[0]}")
        finally:
            conn.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
