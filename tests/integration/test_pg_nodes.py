#!/usr/bin/env python3
"""Integration test: several nodes on one PostgreSQL cluster, behind nginx
(issue 18), whatever LT_TEST_DB says.

Three lienthongd on one database of a throw-away cluster (ltpg.py) and one
shared data_dir, behind nginx configured with the very example that
docs/operations.md shows (read from the page between its nginx-upstream
markers; the test puts in its own ports and a throw-away certificate).

The storm: 2,000 small packages (unique DocumentIds, each to one or two of
H14, H26 and H17) sent through nginx by 4 client threads, while one more
thread acknowledges H14's documents `done` through nginx and another
changes units' e-mail addresses through nginx; meanwhile random nodes are
killed with SIGKILL and restarted on their port, and PostgreSQL itself is
stopped and started again once. Clients do what docs/operations.md tells
them: a 502, a 503 or a connection error is answered by sending the same
bytes again (sends are idempotent by DocumentId; so are the e-mail
writes and the acknowledgements).

Then, through each node directly:
- every package answered 2xx is in each of its recipients' inboxes exactly
  once, under the hub id of its reply, and every node lists the same
  inboxes; what H14 acknowledged (200) is in no node's inbox;
- the change feed read from each node is the same, gap-free;
- the export (the shared catalogue, /dmdc/Category levels 1-4) read from
  each node is the same, and holds the last e-mail written to each unit.

And, after the storm (so across restarts of nodes and of the server):
- a write on each node is seen by look-ups on the two others within
  100 ms;
- an acknowledgement through one node removes the document from the inbox
  read through another at once;
- the same DocumentId sent to two nodes at the same moment is one document,
  and both get the same reply;
- the nodes keep one issue journal (one file, as docs/operations.md says):
  codes issued through every node at once are each claimed once, the mark
  ends at the last seq, and a claim in the file is honoured by every node.

Nothing is left running: the nodes and nginx are stopped by the class's
tearDown, and at exit whatever happened (a runner's SIGTERM included); nginx
also runs with a parent-death signal, should this process be killed
outright; the cluster goes with ltpg (atexit, signals, and its watchdog).

Under an ASan build the storm is 1,000 packages. The random seed is printed
(LT_SEED replays it). Run by ctest as `python3 FILE` with LT_BUILD_DIR and
LT_SOURCE_DIR set. Standard library only; ends with "N passed, M failed".
"""

import atexit
import collections
import ctypes
import http.client
import json
import os
import random
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import unittest

os.environ["LT_TEST_DB"] = "postgres"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpg  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14, H17, H26  # noqa: E402

ASAN = ltx.asan()
N_NODES = 3
N_PACKAGES = 1000 if ASAN else 2000
N_CLIENTS = 4
KILLS = (3, 5)
DEADLINE_S = 240 if ASAN else 180  # a bound for a stuck run; a run takes 20-70 s
RETRY = (502, 503, 504)
CONN_ERRORS = (OSError, http.client.HTTPException)
CODES = (H14, H26, H17)
EMAIL_UNITS = ("000.00.04.H14", "000.00.05.H14", "000.00.06.H14", "000.00.31.H14")
DMDC = [f"qlvanbandieuhanhcap{n}" for n in range(1, 5)]
OPERATIONS_MD = os.path.join(ltd.SOURCE_DIR, "docs", "operations.md")


# ---------------------------------------------------------------- nginx


def nginx_example():
    """The nginx configuration of docs/operations.md, as the page shows it."""
    with open(OPERATIONS_MD, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- nginx-upstream:begin -->\n```nginx\n(.*?)```\n<!-- nginx-upstream:end -->", text, re.S)
    if not m:
        raise AssertionError("docs/operations.md has no nginx example between its nginx-upstream markers")
    return m.group(1)


def nginx_site(example, ports, listen_port, crt, key):
    """The example with this test's node ports, listening port and
    certificate; everything else as the page says."""
    servers = re.findall(r"^\s*server (\S+:8080) ", example, re.M)
    if len(servers) != len(ports):
        raise AssertionError(f"the example's upstream lists {servers}, the test runs {len(ports)} nodes")
    subs = [(f"server {a} ", f"server 127.0.0.1:{p} ") for a, p in zip(servers, ports)]
    subs += [("listen 443 ssl;", f"listen 127.0.0.1:{listen_port} ssl;")]
    subs += [(re.search(r"ssl_certificate\s+(\S+);", example).group(1), crt),
             (re.search(r"ssl_certificate_key\s+(\S+);", example).group(1), key)]
    for old, new in subs:
        if example.count(old) != 1:
            raise AssertionError(f"the example holds {old!r} {example.count(old)} times, not once")
        example = example.replace(old, new)
    return example


NGINX_MAIN = """# written by tests/integration/test_pg_nodes.py around docs/operations.md's example
{user}
worker_processes 2;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/lienthong.conf;
}}
"""


def die_with_parent():
    """In the child before exec: SIGTERM when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Nginx:
    def __init__(self, directory, node_ports):
        self.dir = os.path.join(directory, "nginx")
        os.makedirs(self.dir)
        self.node_ports = node_ports
        self.proc = None
        self.crt, self.key = os.path.join(self.dir, "hub.crt"), os.path.join(self.dir, "hub.key")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", self.key, "-out", self.crt, "-days", "2", "-subj",
                            "/CN=hub.example.gov.vn"], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"openssl req: {p.stderr}")
        self.tls = ssl.create_default_context(cafile=self.crt)
        self.tls.check_hostname = False  # the test connects to 127.0.0.1; the chain is still checked

    def start(self):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(binary, os.X_OK):
            raise AssertionError("nginx is not installed (scripts/deps installs Debian's nginx-light)")
        conf = os.path.join(self.dir, "nginx.conf")
        for _ in range(5):
            self.port = ltd.free_port()
            with open(os.path.join(self.dir, "lienthong.conf"), "w") as f:
                f.write(nginx_site(nginx_example(), self.node_ports, self.port, self.crt, self.key))
            with open(conf, "w") as f:
                f.write(NGINX_MAIN.format(user="user root;" if os.geteuid() == 0 else "", dir=self.dir))
            argv = [binary, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self.connection(timeout=2).request_status("GET", "/healthz") == 200:
                        return self
                except CONN_ERRORS:
                    pass
                time.sleep(0.05)
            self.stop()
        raise AssertionError("nginx did not start:\n" + self.errors())

    def connection(self, timeout=30):
        return Conn(self, timeout)

    def errors(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Conn:
    """One keep-alive HTTPS connection to nginx, opened again after an error."""

    def __init__(self, nginx, timeout):
        self.nginx, self.timeout, self.c = nginx, timeout, None

    def request(self, method, path, body=None, token=None, ctype=None):
        """(status, headers, body bytes); raises CONN_ERRORS when no reply came."""
        if self.c is None:
            self.c = http.client.HTTPSConnection("127.0.0.1", self.nginx.port, timeout=self.timeout,
                                                 context=self.nginx.tls)
        h = {}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if ctype:
            h["Content-Type"] = ctype
        try:
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
            data = r.read()
        except CONN_ERRORS:
            self.close()
            raise
        if (r.getheader("Connection") or "").lower() == "close":
            self.close()
        return r.status, r, data

    def request_status(self, method, path):
        return self.request(method, path)[0]

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


# ---------------------------------------------------------------- the storm's threads


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = 0
        self.stop = False
        self.retries = collections.Counter()  # what was retried: 502, 503, 504, "no reply"


def call_until_answered(shared, conn, method, path, body=None, token=None, ctype=None, deadline=None):
    """Sends the same request until it gets a reply other than a 502, 503
    or 504; (status, body) or None once the storm is called off."""
    while not shared.stop and time.monotonic() < deadline:
        try:
            status, _, data = conn.request(method, path, body=body, token=token, ctype=ctype)
        except CONN_ERRORS:
            with shared.lock:
                shared.retries["no reply"] += 1
            time.sleep(0.02)
            continue
        if status in RETRY:
            with shared.lock:
                shared.retries[status] += 1
            time.sleep(0.05)
            continue
        return status, data
    return None


class Sender(threading.Thread):
    def __init__(self, shared, nginx, token, work, packages):
        super().__init__(daemon=True)
        self.shared, self.conn, self.token = shared, nginx.connection(), token
        self.work, self.packages = work, packages
        self.replies = {}
        self.errors = []

    def run(self):
        deadline = time.monotonic() + DEADLINE_S
        try:
            for i in self.work:
                r = call_until_answered(self.shared, self.conn, "POST", "/v1/documents", body=self.packages[i][0],
                                        token=self.token, ctype="application/xml", deadline=deadline)
                if r is None:
                    self.errors.append((i, "not answered before the test's deadline"))
                    return
                status, data = r
                if 200 <= status < 300:
                    self.replies[i] = json.loads(data)
                    with self.shared.lock:
                        self.shared.done += 1
                else:
                    self.errors.append((i, status, data[:300]))
        finally:
            self.conn.close()


class Acker(threading.Thread):
    """H14's system: pages through its inbox and acknowledges each document
    done, through nginx."""

    def __init__(self, shared, nginx, token):
        super().__init__(daemon=True)
        self.shared, self.conn, self.token = shared, nginx.connection(), token
        self.acked = {}  # hub id -> DocumentId, answered 200
        self.errors = []

    def run(self):
        deadline = time.monotonic() + DEADLINE_S
        try:
            while not self.shared.stop:
                r = call_until_answered(self.shared, self.conn, "GET", "/v1/inbox?kind=edoc&limit=50",
                                        token=self.token, deadline=deadline)
                if r is None:
                    return
                if r[0] != 200:
                    self.errors.append(("inbox", r))
                    return
                items = json.loads(r[1])["items"]
                if not items:
                    time.sleep(0.02)
                for it in items:
                    a = call_until_answered(self.shared, self.conn, "POST", f"/v1/documents/{it['id']}/ack",
                                            body=b'{"state":"done"}', token=self.token, ctype="application/json",
                                            deadline=deadline)
                    if a is None:
                        return
                    if a[0] != 200 or json.loads(a[1]).get("state") != "done":
                        self.errors.append(("ack", it["id"], a))
                        return
                    self.acked[it["id"]] = it["document_id"]
        finally:
            self.conn.close()


class Editor(threading.Thread):
    """An administrator changing units' e-mail addresses through nginx, one
    write after the other, each until answered."""

    def __init__(self, shared, nginx, token):
        super().__init__(daemon=True)
        self.shared, self.conn, self.token = shared, nginx.connection(), token
        self.last = {}  # code -> the last e-mail answered 200
        self.writes = 0
        self.errors = []

    def run(self):
        deadline = time.monotonic() + DEADLINE_S
        n = 0
        try:
            while not self.shared.stop:
                code = EMAIL_UNITS[n % len(EMAIL_UNITS)]
                email = f"nut{n}@caobang.gov.vn"
                body = json.dumps({"email": email}).encode()
                r = call_until_answered(self.shared, self.conn, "PATCH", f"/v1/units/{code}", body=body,
                                        token=self.token, ctype="application/json", deadline=deadline)
                if r is None:
                    return
                if r[0] != 200:
                    self.errors.append((code, r))
                    return
                self.last[code] = email
                self.writes += 1
                n += 1
                time.sleep(0.05)
        finally:
            self.conn.close()


# ---------------------------------------------------------------- reading each node


def feed(d):
    items, after = [], 0
    while True:
        r = d.get(f"/v1/changes?after={after}&limit=1000", timeout=30)
        if r.status != 200:
            raise AssertionError(f"GET /v1/changes on port {d.port}: {r!r}")
        page = r.json()["items"]
        if not page:
            return items
        items += page
        after = page[-1]["seq"]


def dmdc_export(d):
    out = {}
    for cat in DMDC:
        r = d.get(f"/dmdc/Category/{cat}", timeout=30)
        if r.status != 200:
            raise AssertionError(f"GET /dmdc/Category/{cat} on port {d.port}: {r!r}")
        out[cat] = r.json()
    return out


def inbox_ids(d, token):
    return sorted((it["id"], it["document_id"]) for it in ltx.inbox_all(d, token, "edoc", limit=500))


class SeveralNodes(unittest.TestCase):
    maxDiff = 2000

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_pg_nodes_")
        cls.nginx = None
        cls.nodes = []
        try:
            cls.admin = cls.reg.token("admin")
            cls.g22 = cls.reg.system_add("Văn phòng Chính phủ", G22)["token"]
            cls.tok = {c: cls.reg.system_add(f"Hệ thống {c}", c)["token"] for c in CODES}
            # One issue journal for every node, as docs/operations.md says.
            cls.journal = os.path.join(cls.reg.dir, "shared", "issue.journal")
            os.makedirs(os.path.dirname(cls.journal))
            cls.reg.env["LIENTHONG_ISSUE_JOURNAL"] = cls.journal
            cls.nodes = [ltd.Daemon(cls.reg).start(timeout=60) for _ in range(N_NODES)]
            cls.nginx = Nginx(cls.reg.dir, [d.port for d in cls.nodes]).start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        """Stops everything; a node that does not exit 0 on SIGTERM, or
        printed a sanitizer report, fails the class."""
        bad = []
        try:
            if cls.nginx is not None:
                cls.nginx.stop()
            for k, d in enumerate(cls.nodes):
                rc = d.stop()
                if rc != 0 or d.sanitizer_lines():
                    bad.append(f"node {k}: exit {rc} (None: killed)\n" + "\n".join(d.sanitizer_lines()[:20]))
        finally:
            cls.reg.close()
        if bad:
            raise AssertionError("lienthongd after SIGTERM: " + "\n".join(bad))

    def test_1_storm(self):
        seed = int(os.environ.get("LT_SEED") or time.time_ns() % 1_000_000)
        rnd = random.Random(seed)
        packages = []
        for i in range(N_PACKAGES):
            to = rnd.sample(CODES, rnd.choice((1, 2)))
            att = [("t.pdf", rnd.randbytes(rnd.randrange(0, 400)))] if i % 4 == 0 else []
            data, docid = ltpkg.edoc(G22, to, number=str(i + 1), notation="BB-NODES", subject=f"Gói số {i + 1}",
                                     attachments=att)
            packages.append((data, docid, to))
        n_kills = rnd.randint(*KILLS)
        actions = ["kill"] * n_kills
        actions.insert(rnd.randrange(1, n_kills), "postgres")
        marks = sorted(rnd.uniform(0.05, 0.85) for _ in actions)
        print(f"seed {seed}; {N_PACKAGES} packages, {N_CLIENTS} clients, {N_NODES} nodes; "
              f"{n_kills} SIGKILLs and a PostgreSQL restart" + (" (ASan build: fewer packages)" if ASAN else ""))

        shared = Shared()
        senders = [Sender(shared, self.nginx, self.g22, list(range(k, N_PACKAGES, N_CLIENTS)), packages)
                   for k in range(N_CLIENTS)]
        acker = Acker(shared, self.nginx, self.tok[H14])
        editor = Editor(shared, self.nginx, self.admin)
        done_log = []
        t0 = time.monotonic()
        for t in senders + [acker, editor]:
            t.start()
        try:
            self.storm(shared, senders, actions, marks, rnd, t0, done_log)
        except BaseException:
            shared.stop = True  # cut short (a failure, a runner's SIGTERM): the clients give up at once
            raise
        finally:
            for s in senders:
                s.join(DEADLINE_S)
            shared.stop = True
            acker.join(30)
            editor.join(30)
        print(f"{time.monotonic() - t0:.1f}s: {'; '.join(done_log)}; retried {dict(shared.retries)}; "
              f"H14 acknowledged {len(acker.acked)}; {editor.writes} e-mail writes")
        self.check_storm(packages, senders, acker, editor)

    def storm(self, shared, senders, actions, marks, rnd, t0, done_log):
        """SIGKILLs of random nodes and the restart of the server, at the
        marks (shares of the packages answered)."""
        for what, mark in zip(actions, marks):
            while shared.done < mark * N_PACKAGES and any(s.is_alive() for s in senders):
                if time.monotonic() - t0 > DEADLINE_S:
                    raise AssertionError(f"{shared.done} of {N_PACKAGES} answered after {DEADLINE_S}s")
                time.sleep(0.005)
            time.sleep(rnd.uniform(0, 0.05))
            if what == "kill":
                k = rnd.randrange(N_NODES)
                d = self.nodes[k]
                d.kill()
                done_log.append(f"node {k} killed at {shared.done}")
                time.sleep(rnd.uniform(0, 0.3))
                d.start(timeout=60, port=d.port)
            else:
                cluster = ltpg.cluster()
                cluster.down()
                done_log.append(f"PostgreSQL stopped at {shared.done}")
                time.sleep(rnd.uniform(0.2, 0.8))
                cluster.up()

    def check_storm(self, packages, senders, acker, editor):
        replies, errors = {}, []
        for s in senders:
            replies.update(s.replies)
            errors += s.errors
        self.assertEqual(errors, [], "sends not answered 2xx")
        self.assertEqual(acker.errors, [], "H14's inbox or acknowledgements")
        self.assertEqual(editor.errors, [], "e-mail writes")
        self.assertEqual(len(replies), N_PACKAGES)
        self.assertTrue(all(d.alive() for d in self.nodes))

        ids = {}
        for i, reply in replies.items():
            data, docid, to = packages[i]
            self.assertEqual((reply.get("document_id"), reply.get("sha256")), (docid, ltx.sha256(data)), reply)
            self.assertEqual(sorted(x["code"] for x in reply["recipients"]), sorted(to), reply)
            self.assertNotIn(reply["id"], ids, f"two packages got the hub id {reply['id']}")
            ids[reply["id"]] = i

        # Every inbox, through every node: the same lists, each package once.
        by_docid = {p[1]: i for i, p in enumerate(packages)}
        for code in CODES:
            lists = [inbox_ids(d, self.tok[code]) for d in self.nodes]
            for k in range(1, N_NODES):
                self.assertEqual(lists[k], lists[0], f"the inbox of {code} read through node {k} and node 0")
            listed = lists[0]
            if code == H14:
                back = sorted(set(h for h, _ in listed) & set(acker.acked))
                self.assertEqual(back, [], "documents acknowledged done (200) are back in the inbox of H14")
                listed = listed + sorted(acker.acked.items())
            cnt = collections.Counter(docid for _, docid in listed)
            self.assertEqual([k for k, v in cnt.items() if v > 1], [], f"DocumentIds twice for {code}")
            for hub_id, docid in listed:
                self.assertIn(docid, by_docid, f"a document nobody sent reached {code}")
                self.assertEqual(replies[by_docid[docid]]["id"], hub_id, f"{docid}: the inbox's id vs the reply's")
            want = sorted(p[1] for p in packages if code in p[2])
            self.assertEqual(sorted(cnt), want, f"the packages answered 2xx for {code} vs its inbox")
        for d in self.nodes:
            self.assertEqual(ltx.exchange_counts(d)[0], N_PACKAGES, f"documents counted by node on port {d.port}")

        # The change feed and the export, through every node.
        feeds = [feed(d) for d in self.nodes]
        self.assertEqual([e["seq"] for e in feeds[0]], list(range(1, len(feeds[0]) + 1)), "the feed has gaps")
        for k in range(1, N_NODES):
            self.assertEqual(feeds[k], feeds[0], f"the change feed read through node {k} and node 0")
        exports = [dmdc_export(d) for d in self.nodes]
        for k in range(1, N_NODES):
            self.assertEqual(exports[k], exports[0], f"the export read through node {k} and node 0")
        level2 = {r["MaDinhDanhCap2"]: r for r in exports[0]["qlvanbandieuhanhcap2"]}
        for code, email in editor.last.items():
            self.assertEqual(level2[code]["Email"], email, f"the last e-mail written to {code}")
            for d in self.nodes:
                self.assertEqual(d.get(f"/v1/units/{code}").json()["email"], email, f"{code} on port {d.port}")
        updates = [e for e in feeds[0] if e["kind"] == "update" and e["code"] in EMAIL_UNITS]
        self.assertGreaterEqual(len(updates), editor.writes, "e-mail writes answered 200 without their event")

    def test_2_write_seen_by_every_node_within_100ms(self):
        for k, d in enumerate(self.nodes):
            code = EMAIL_UNITS[k % len(EMAIL_UNITS)]
            others = [o for o in self.nodes if o is not d]
            for o in others:
                self.assertEqual(o.get(f"/v1/units/{code}").status, 200)  # in its reply cache now
            email = f"node{k}-{time.time_ns()}@caobang.gov.vn"
            r = d.patch(f"/v1/units/{code}", {"email": email}, token=self.admin)
            self.assertEqual(r.status, 200, r)
            t = time.monotonic()
            for o in others:
                while True:
                    seen = o.get(f"/v1/units/{code}").json()["email"]
                    if seen == email or time.monotonic() - t > 0.1:
                        break
                    time.sleep(0.005)
                self.assertEqual(seen, email, f"the node on port {o.port} served a stale unit for more than 100 ms")

    def test_3_ack_through_one_node_empties_the_inbox_of_another(self):
        a, b = self.nodes[0], self.nodes[1]
        tok = self.tok[H26]
        for n in range(5):
            data, docid = ltpkg.edoc(G22, [H26], number=str(n + 1), notation="ACK-AB")
            r = ltx.send(a, self.g22, data)
            self.assertEqual(r.status, 201, r)
            hub_id = r.json()["id"]
            self.assertIn(hub_id, [h for h, _ in inbox_ids(b, tok)])
            r = a.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=tok)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(hub_id, [h for h, _ in inbox_ids(b, tok)], "acknowledged through A, still listed by B")
            r = b.post(f"/v1/documents/{hub_id}/ack", {"state": "done"}, token=tok)
            self.assertEqual((r.status, r.json().get("state")), (200, "done"), r)

    def test_4_same_document_to_two_nodes_at_once(self):
        a, b = self.nodes[1], self.nodes[2]
        for n in range(10):
            data, docid = ltpkg.edoc(G22, [H17, H26], number=str(n + 1), notation="TWICE-AB")
            go = threading.Barrier(2)
            out = [None, None]

            def send(k, d):
                go.wait()
                out[k] = ltx.send(d, self.g22, data)

            threads = [threading.Thread(target=send, args=(k, d)) for k, d in enumerate((a, b))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            for r in out:
                self.assertEqual(r.status, 201, r)
            self.assertEqual(out[0].json(), out[1].json(), "two nodes, two replies")
            for code in (H17, H26):
                listed = [h for h, di in inbox_ids(a, self.tok[code]) if di == docid]
                self.assertEqual(listed, [out[0].json()["id"]], f"{docid} in the inbox of {code}")

    def test_5_one_issue_journal_for_every_node(self):
        """Every node appends to the one journal and reads what the others
        appended before it allocates a number."""
        codes, errors = [], []

        def issue(d, name):
            r = d.post("/v1/units", {"parent": H14, "name": name, "decision": ltd.DECISION,
                                     "effective": ltd.TODAY}, token=self.admin)
            (codes.append(r.json()["code"]) if r.status == 201 else errors.append(r))
            return r

        threads = [threading.Thread(target=lambda k=k, d=d: [issue(d, f"Phòng nút {k}-{i}") for i in range(4)])
                   for k, d in enumerate(self.nodes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(set(codes)), 4 * N_NODES, "a code was issued twice")
        with open(self.journal) as f:
            lines = f.read().splitlines()
        claimed = [line[2:] for line in lines if line.startswith("c ")]
        self.assertEqual(len(claimed), len(set(claimed)), "a code was claimed twice")
        self.assertLessEqual(set(codes), set(claimed))
        self.assertEqual(max(int(line[2:]) for line in lines if line.startswith("s ")), self.nodes[0].last_seq())

        # A claim none of the nodes wrote (a node that crashed between its
        # claim and its commit leaves one): no node allocates that number.
        top = max(int(c.split(".")[2]) for c in codes)
        with open(self.journal, "a") as f:
            f.write(f"c 000.00.{top + 1:02d}.H14\n")
        for k, d in enumerate(self.nodes):
            r = issue(d, f"Phòng sau nhận {k}")
            self.assertEqual(r.status, 201, r)
            self.assertEqual(int(r.json()["code"].split(".")[2]), top + 2 + k, f"node {k} ignored the claim")


@atexit.register
def leave_nothing_running():
    """Also when the run is cut short (SIGTERM from a runner's timeout, which
    ltpg turns into an exit): the nodes and nginx go with the cluster."""
    for d in ltd._daemons:
        d.kill()
    if getattr(SeveralNodes, "nginx", None) is not None:
        SeveralNodes.nginx.stop()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
