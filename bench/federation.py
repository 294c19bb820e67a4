"""Federation benchmark (issue 20), figure `federation_relay`: three hubs on
loopback, as in tests/integration/test_federation.py: a national hub N with
the provinces P17 (local_scope H17) and P14 (local_scope H14) bound to it
as subtree systems, each province relaying through N's /v1 with its relay
worker. The same client (Python threads: 4 senders, one receiver that
polls, fetches and acknowledges) measures, in the same run:

- the reference: documents exchanged inside P17 (a system of Sở Nội vụ
  Đà Nẵng to one of Sở Tài chính Đà Nẵng, both on P17), per second from
  the first send to the last fetch;
- the figure: the same number of documents from the same sender to Sở Tư
  pháp Cao Bằng, whose system is on P14: P17 → N → P14, per second, and
  the end-to-end p50 from the sender's 201 to the recipient's fetch.

Goal: relayed/s at least half of exchanged/s (ratio >= 0.5)."""
import http.client
import json
import os
import shutil
import sys
import threading
import time

from benchlib import Daemon, log, percentile
from exchange import Hub
from report import result

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
import ltpkg  # noqa: E402

H17, H14 = "000.00.00.H17", "000.00.00.H14"
SENDER, LOCAL, REMOTE = "000.00.02.H17", "000.00.03.H17", "000.00.04.H14"
SENDERS = 4
ATTACHMENT = b"%PDF-1.4 " + b"x" * 20000  # a package of about 30 KB


def cli_json(hub, *args):
    from exchange import cli
    return json.loads(cli(hub.env, *args, "--json"))


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, ctype=None):
        h = {"Authorization": "Bearer " + self.token}
        if ctype:
            h["Content-Type"] = ctype
        for attempt in range(3):
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        raise RuntimeError("%s %s failed three times" % (method, path))


def measure(send_port, send_tok, recv_port, recv_tok, to_code, n, tag):
    """n documents to to_code, SENDERS threads; returns (docs/s, e2e seconds list)."""
    packages = []
    for i in range(n):
        data, docid = ltpkg.edoc(SENDER, [to_code], number="%s%05d" % (tag, i), notation="BENCH",
                                 attachments=[("phu-luc.pdf", ATTACHMENT)])
        packages.append((docid, data))
    sent_at, got_at, errors = {}, {}, []
    lock = threading.Lock()

    def sender(part):
        c = Client(send_port, send_tok)
        for docid, data in part:
            t = time.monotonic()
            st, body = c.call("POST", "/v1/documents", data, "application/xml")
            if st != 201:
                errors.append("send %d: %s" % (st, body[:200]))
                return
            with lock:
                sent_at[docid] = t

    def receiver():
        c = Client(recv_port, recv_tok)
        deadline = time.monotonic() + 600
        while len(got_at) < n and time.monotonic() < deadline and not errors:
            st, body = c.call("GET", "/v1/inbox?kind=edoc&limit=200")
            items = json.loads(body)["items"] if st == 200 else []
            for it in items:
                st, _ = c.call("GET", "/v1/documents/" + it["id"])
                if st == 200:
                    c.call("POST", "/v1/documents/%s/ack" % it["id"], b'{"state":"done"}', "application/json")
                    with lock:
                        got_at.setdefault(it["document_id"], time.monotonic())
            if not items:
                time.sleep(0.02)

    t0 = time.monotonic()
    threads = [threading.Thread(target=sender, args=(packages[i::SENDERS],)) for i in range(SENDERS)]
    rt = threading.Thread(target=receiver)
    for th in threads + [rt]:
        th.start()
    for th in threads + [rt]:
        th.join()
    if errors or len(got_at) < n:
        raise RuntimeError("federation bench (%s): %d of %d received; %s" % (tag, len(got_at), n, errors[:3]))
    wall = max(got_at.values()) - t0
    return n / wall, [got_at[d] - sent_at[d] for d in got_at if d in sent_at]


def run(ctx):
    n = max(100, min(ctx.xchg_packages, 2000))
    tmp = os.path.join(ctx.tmp, "federation")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    hubs = {name: Hub(tmp, name) for name in ("n", "p17", "p14")}
    p17_on_n = cli_json(hubs["n"], "system", "add", "--name", "P17", "--subtree", H17)["token"]
    p14_on_n = cli_json(hubs["n"], "system", "add", "--name", "P14", "--subtree", H14)["token"]
    sender = hubs["p17"].add_system("QLVB Sở Nội vụ", SENDER)
    local = hubs["p17"].add_system("QLVB Sở Tài chính", LOCAL)
    remote = hubs["p14"].add_system("QLVB Sở Tư pháp", REMOTE)
    daemons = []
    try:
        nd = Daemon(hubs["n"].dir, hubs["n"].db, ctx.threads, "lienthongd-n").start()
        daemons.append(nd)
        for name, scope, tok in (("p17", H17, p17_on_n), ("p14", H14, p14_on_n)):
            d = Daemon(hubs[name].dir, hubs[name].db, ctx.threads, "lienthongd-" + name)
            d.env.update(LIENTHONG_LOCAL_SCOPE=scope, LIENTHONG_UPSTREAM_URL=nd.url(), LIENTHONG_UPSTREAM_TOKEN=tok,
                         LIENTHONG_UPSTREAM_POLL_WAIT="1", LIENTHONG_RELAY_BACKOFF_MAX="2")
            daemons.append(d.start())
        p17, p14 = daemons[1], daemons[2]
        log("federation: %d documents of ~30 KB inside P17 (reference)" % n)
        local_rate, local_e2e = measure(p17.port, sender, p17.port, local, LOCAL, n, "L")
        log("federation: %d documents P17 -> N -> P14" % n)
        relay_rate, relay_e2e = measure(p17.port, sender, p14.port, remote, REMOTE, n, "R")
    finally:
        for d in reversed(daemons):
            d.stop()
    p50 = percentile(relay_e2e, 50)
    log("federation: %.0f relayed/s against %.0f exchanged/s inside one hub (ratio %.2f); e2e p50 %.0f ms"
        % (relay_rate, local_rate, relay_rate / local_rate, p50 * 1000))
    results = [
        result("federation_relay", relay_rate, "docs/s", "documents exchanged per second inside one hub (P17)",
               local_rate, "relayed/s P17 → N → P14 ≥ 0.5 × exchanged/s inside one hub", lambda v, r: r >= 0.5,
               note="%d documents of ~30 KB, 4 sending threads, one receiver polling, fetching, acknowledging"
               % n),
        result("federation_e2e_p50", p50 * 1000, "ms", "the same inside one hub", percentile(local_e2e, 50) * 1000,
               None, lambda v, r: True, note="from the sender's 201 on P17 to the fetch on P14"),
    ]
    details = {"documents": n, "relayed_per_s": relay_rate, "exchanged_per_s": local_rate,
               "relay_e2e_p50_ms": p50 * 1000, "relay_e2e_p99_ms": percentile(relay_e2e, 99) * 1000,
               "local_e2e_p50_ms": percentile(local_e2e, 50) * 1000}
    return results, details, None
