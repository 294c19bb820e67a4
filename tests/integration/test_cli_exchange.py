#!/usr/bin/env python3
"""Integration test: `lienthong send|inbox|fetch|ack|trace`, the CLI that
drives the exchange hub by hand over the daemon's HTTP API (issue 10).

A scratch registry made by `lienthong init --demo` (where Quảng Nam
000.00.00.H47 closed in a merger into Đà Nẵng 000.00.00.H17), two connected
systems (G22 and H17) made by `lienthong system add`, and the real lienthongd
on a free port of 127.0.0.1. Then, all through the CLI: G22 sends a package
to H47 and sees it routed to H17; H17 finds it in its inbox, fetches the
exact bytes (to a file and to stdout), acknowledges it and answers with a
status 01; G22 sees 01 on the trace. Around it: paging, sending from a pipe
(chunked), idempotent resend, and the exit codes of design.md §7.1 — a
wrong token and other refusals exit 1 with the daemon's own message, an
unreachable daemon or a server failure exits 3, a missing file exits 3,
usage errors exit 2 — including against a fake server that fails on purpose
(500, 503, a non-JSON 502, a download cut short, which must leave no file).

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402

G22, H47, H17 = "000.00.00.G22", "000.00.00.H47", "000.00.00.H17"
BAD_TOKEN = "lt_" + "A" * 43  # well formed, never issued


class FakeHandler(http.server.BaseHTTPRequestHandler):
    """A server that fails the way a broken deployment would."""

    def log_message(self, *args):
        pass

    def _send(self, status, body, ctype="application/json", length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        if self.path.startswith("/v1/inbox"):
            self._send(500, b'{"error":{"code":"io_error","message":"the database is on fire"}}')
        elif self.path.endswith("/trace"):
            self._send(503, b'{"error":{"code":"not_ready","message":"the store does not answer yet"}}')
        elif self.path.startswith("/v1/documents/"):
            # Promises 100000 bytes, sends 10 and hangs up.
            self._send(200, b"<edXML>...", ctype="application/xml", length=100000)
            self.close_connection = True
        else:
            self._send(502, b"<html>Bad Gateway</html>", ctype="text/html")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self._send(502, b"<html>Bad Gateway</html>", ctype="text/html")


class CliExchange(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_cli_exchange_")
        cls.d = None
        try:
            cls.g22 = cls.reg.system_add("Văn phòng Chính phủ", G22)["token"]
            cls.h17 = cls.reg.system_add("UBND thành phố Đà Nẵng", H17)["token"]
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise


    # ---- helpers ----

    def cli(self, *args, token=None, url=None, stdin=None, env=None):
        """Runs the CLI in the scratch directory; returns the CompletedProcess
        with stdout as bytes and stderr as text."""
        e = dict(self.reg.env)
        e["LIENTHONG_URL"] = url if url is not None else self.d.url
        if token is not None:
            e["LIENTHONG_TOKEN"] = token
        if env:
            e.update(env)
        p = subprocess.run([ltd.CLI, *args], cwd=self.reg.dir, env=e, input=stdin, capture_output=True,
                           timeout=120)
        p.stderr = p.stderr.decode("utf-8", errors="replace")
        return p

    def ok(self, *args, **kw):
        p = self.cli(*args, **kw)
        self.assertEqual(p.returncode, 0, f"lienthong {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
        return p

    def text(self, p):
        return p.stdout.decode("utf-8")

    def js(self, p):
        return json.loads(p.stdout.decode("utf-8"))

    def fails(self, code, *args, contains=None, **kw):
        p = self.cli(*args, **kw)
        self.assertEqual(p.returncode, code, f"lienthong {' '.join(args)}: expected exit {code}, got "
                                             f"{p.returncode}\nstdout: {p.stdout[:500]!r}\nstderr: {p.stderr}")
        self.assertTrue(p.stderr.startswith("lienthong: "), f"stderr: {p.stderr!r}")
        if contains:
            self.assertIn(contains, p.stderr)
        return p

    def write(self, name, data):
        path = os.path.join(self.reg.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def send_new(self, number, to=(H47,), **kw):
        """G22 sends a fresh package; returns (hub id, bytes, DocumentId)."""
        data, docid = ltpkg.edoc(G22, list(to), number=str(number), **kw)
        path = self.write(f"pkg{number}.xml", data)
        reply = self.js(self.ok("send", path, "--json", token=self.g22))
        return reply["id"], data, docid

    def server_message(self, method, path, token, body=None):
        r = self.d.request(method, path, body=body, token=token)
        self.assertGreaterEqual(r.status, 400, repr(r))
        return r.json()["error"]["message"]

    # ---- the whole round trip ----

    def test_round_trip(self):
        data, docid = ltpkg.edoc(G22, [H47], attachments=[("a.pdf", b"%PDF-1.4 round trip " * 50)])
        pkg = self.write("round.xml", data)

        # send: the hub id and H47 routed to its successor H17
        out = self.text(self.ok("send", pkg, token=self.g22))
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("id: "), out)
        hub_id = lines[0][4:]
        self.assertRegex(hub_id, r"^[0-9a-f]{32}$")
        self.assertIn(f"document_id: {docid}", out)
        self.assertIn(f"sha256: {hashlib.sha256(data).hexdigest()}", out)
        row = [line for line in lines if line.strip().startswith(H47)]
        self.assertEqual(len(row), 1, out)
        self.assertRegex(row[0], rf"{H47}\s+->\s+{H17}\s+pending")
        self.assertIn("closed", row[0])

        # the same package again: the first reply, no second document
        again = self.js(self.ok("send", pkg, "--json", token=self.g22))
        self.assertEqual(again["id"], hub_id)
        self.assertEqual(again["document_id"], docid)
        self.assertEqual([(r["code"], r["routed_to"]) for r in again["recipients"]], [(H47, H17)])

        # inbox as H17, lines and JSON
        out = self.text(self.ok("inbox", token=self.h17))
        mine = [line for line in out.splitlines() if line.startswith(hub_id)]
        self.assertEqual(len(mine), 1, out)
        self.assertIn(f"{H17} (for {H47})", mine[0])
        self.assertIn("pending", mine[0])
        inbox = self.js(self.ok("inbox", "--kind", "edoc", "--json", token=self.h17))
        items = [it for it in inbox["items"] if it["id"] == hub_id]
        self.assertEqual(len(items), 1, inbox)
        self.assertEqual((items[0]["to"], items[0]["routed_to"], items[0]["from"]), (H47, H17, G22))
        self.assertEqual(items[0]["sha256"], hashlib.sha256(data).hexdigest())
        # G22 is not a recipient: not in its inbox
        self.assertNotIn(hub_id, self.text(self.ok("inbox", "--all", token=self.g22)))

        # fetch to a file: exact bytes, no temporary left behind
        p = self.ok("fetch", hub_id, "-o", "got.xml", token=self.h17)
        with open(os.path.join(self.reg.dir, "got.xml"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertIn(hashlib.sha256(data).hexdigest(), self.text(p))
        self.assertEqual([n for n in os.listdir(self.reg.dir) if n.startswith("got.xml.")], [])
        info = self.js(self.ok("fetch", hub_id, "-o", "got2.xml", "--json", token=self.h17))
        self.assertEqual((info["size"], info["sha256"]), (len(data), hashlib.sha256(data).hexdigest()))
        # and to standard output
        self.assertEqual(self.ok("fetch", hub_id, token=self.h17).stdout, data)
        # the sender may read its own package too
        self.assertEqual(self.ok("fetch", hub_id, token=self.g22).stdout, data)

        # ack: processing keeps it in the inbox, done takes it out
        self.assertIn("processing", self.text(self.ok("ack", hub_id, "--state", "processing", token=self.h17)))
        self.assertIn(hub_id, self.text(self.ok("inbox", token=self.h17)))
        ack = self.js(self.ok("ack", hub_id, "--state", "done", "--json", token=self.h17))
        self.assertEqual((ack["id"], ack["state"], ack["deliveries"]), (hub_id, "done", 1))
        self.assertNotIn(hub_id, self.text(self.ok("inbox", "--all", token=self.h17)))

        # H17 answers 01; G22 finds it in its status inbox
        st = self.write("status01.xml", ltpkg.status(H17, G22, docid, "01", description="Đã nhận"))
        st_id = self.js(self.ok("send", st, "--json", token=self.h17))["id"]
        out = self.text(self.ok("inbox", "--kind", "status", token=self.g22))
        line = [line for line in out.splitlines() if line.startswith(st_id)]
        self.assertEqual(len(line), 1, out)
        self.assertIn("status 01 arrived", line[0])
        self.assertIn(docid, line[0])

        # trace as G22: routing, transport timeline and the 01 with its name
        out = self.text(self.ok("trace", hub_id, token=self.g22))
        self.assertIn(f"recipient {H47} -> routed to {H17}: done", out)
        self.assertIn("transport pending", out)
        self.assertIn("transport done", out)
        self.assertRegex(out, rf"status 01 arrived from {H17}")
        self.assertIn("Đã nhận", out)
        self.assertLess(out.index("transport pending"), out.index("status 01"))
        tr = self.js(self.ok("trace", hub_id, "--json", token=self.g22))
        rec = tr["recipients"][0]
        self.assertEqual((rec["code"], rec["routed_to"], rec["state"]), (H47, H17, "done"))
        self.assertEqual([(s["code"], s["name"]) for s in rec["statuses"]], [("01", "arrived")])
        self.assertEqual([e["state"] for e in rec["transport"]][-1], "done")

    def test_send_from_pipe(self):
        """`send -` reads standard input and streams it chunked."""
        data, docid = ltpkg.edoc(G22, [H17], number="41")
        reply = self.js(self.ok("send", "-", "--json", token=self.g22, stdin=data))
        self.assertEqual(reply["document_id"], docid)
        self.assertEqual(self.ok("fetch", reply["id"], token=self.h17).stdout, data)

    def test_large_package_streams(self):
        """A package of several MiB passes both ways intact."""
        blob = os.urandom(6 * 1024 * 1024)
        hub_id, data, _ = self.send_new(42, to=(H17,), attachments=[("big.pdf", blob)])
        info = self.js(self.ok("fetch", hub_id, "-o", "big.xml", "--json", token=self.h17))
        self.assertEqual(info["size"], len(data))
        self.assertEqual(info["sha256"], hashlib.sha256(data).hexdigest())

    def test_inbox_paging(self):
        ids = [self.send_new(50 + i, to=(H17,))[0] for i in range(3)]
        page = self.js(self.ok("inbox", "--limit", "1", "--json", token=self.h17))
        self.assertEqual(len(page["items"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        p = self.ok("inbox", "--limit", "1", token=self.h17)
        self.assertEqual(len(self.text(p).splitlines()), 1)
        self.assertIn("--cursor", p.stderr)
        nxt = self.js(self.ok("inbox", "--limit", "1", "--cursor", str(page["next_cursor"]), "--json",
                              token=self.h17))
        self.assertNotEqual(nxt["items"][0]["delivery"], page["items"][0]["delivery"])
        every = self.js(self.ok("inbox", "--limit", "1", "--all", "--json", token=self.h17))
        self.assertIsNone(every["next_cursor"])
        got = [it["id"] for it in every["items"]]
        for i in ids:
            self.assertIn(i, got)
        self.assertEqual(len(got), len(set((it["delivery"] for it in every["items"]))))
        lines = self.text(self.ok("inbox", "--limit", "2", "--all", token=self.h17)).splitlines()
        self.assertEqual(len(lines), len(got))

    def test_url_from_listen(self):
        """Without --url or LIENTHONG_URL the CLI finds the daemon from the
        config's listen (here LIENTHONG_LISTEN, a wildcard host)."""
        e = {"LIENTHONG_LISTEN": f"0.0.0.0:{self.d.port}"}
        p = self.cli("inbox", "--json", token=self.h17, url="", env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("items", self.js(p))
        # --url wins over the environment
        p = self.cli("inbox", "--json", "--url", self.d.url, token=self.h17, url="http://127.0.0.1:1")
        self.assertEqual(p.returncode, 0, p.stderr)
        # --token wins over LIENTHONG_TOKEN
        p = self.cli("inbox", "--json", "--token", self.h17, token=BAD_TOKEN)
        self.assertEqual(p.returncode, 0, p.stderr)

    # ---- refusals: exit 1 with the daemon's message ----

    def test_wrong_token(self):
        want = self.server_message("GET", "/v1/inbox", BAD_TOKEN)
        self.fails(1, "inbox", token=BAD_TOKEN, contains=f"lienthong: {want}")
        pkg = self.write("wrongtok.xml", ltpkg.edoc(G22, [H17], number="60")[0])
        self.fails(1, "send", pkg, token=BAD_TOKEN, contains=want)
        self.fails(1, "trace", "0" * 32, token=BAD_TOKEN, contains=want)
        # nothing was stored by the refused send
        self.assertNotIn("60/UBND-VP", self.text(self.ok("inbox", "--all", token=self.h17)))

    def test_refusals(self):
        hub_id, _, _ = self.send_new(70, to=(H17,))
        # G22 sent it but is not a recipient: it cannot acknowledge it (403)
        want = self.server_message("POST", f"/v1/documents/{hub_id}/ack", self.g22, {"state": "done"})
        self.fails(1, "ack", hub_id, "--state", "done", token=self.g22, contains=want)
        # an unknown document (404)
        want = self.server_message("GET", "/v1/documents/" + "0" * 32, self.h17)
        self.fails(1, "fetch", "0" * 32, "-o", "none.xml", token=self.h17, contains=want)
        self.assertFalse([n for n in os.listdir(self.reg.dir) if n.startswith("none.xml")])
        self.fails(1, "trace", "f" * 32, token=self.g22, contains="no document")
        # G22 may not speak for H17 (403), and a malformed package (400)
        pkg = self.write("asH17.xml", ltpkg.edoc(H17, [G22], number="71")[0])
        self.fails(1, "send", pkg, token=self.g22)
        bad = self.write("bad.xml", b"<x/>")
        p = self.fails(1, "send", bad, token=self.g22)
        self.assertIn("edXML", p.stderr)

    # ---- failures: exit 3 ----

    def test_daemon_not_running(self):
        url = f"http://127.0.0.1:{ltd.free_port()}"
        p = self.fails(3, "inbox", token=self.h17, url=url, contains="cannot reach the daemon")
        self.assertIn(url, p.stderr)
        pkg = self.write("down.xml", ltpkg.edoc(G22, [H17], number="80")[0])
        self.fails(3, "send", pkg, token=self.g22, url=url)
        self.fails(3, "fetch", "a" * 32, "-o", "down.out", token=self.h17, url=url)
        self.assertFalse([n for n in os.listdir(self.reg.dir) if n.startswith("down.out")])

    def test_missing_file(self):
        p = self.fails(3, "send", "no-such-package.xml", token=self.g22, contains="no-such-package.xml")
        self.assertIn("No such file", p.stderr)
        self.fails(3, "send", ".", token=self.g22, contains="directory")

    def test_server_failures(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHandler)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            url = f"http://127.0.0.1:{srv.server_address[1]}"
            self.fails(3, "inbox", token=self.h17, url=url, contains="lienthong: the database is on fire")
            self.fails(3, "trace", "b" * 32, token=self.h17, url=url, contains="does not answer yet")
            p = self.fails(3, "ack", "b" * 32, "--state", "done", token=self.h17, url=url)
            self.assertIn("502", p.stderr)
            # a download cut short: exit 3 and no file, not even a temporary
            self.fails(3, "fetch", "c" * 32, "-o", "cut.xml", token=self.h17, url=url)
            self.assertFalse([n for n in os.listdir(self.reg.dir) if n.startswith("cut.xml")])
        finally:
            srv.shutdown()
            srv.server_close()

    # ---- usage: exit 2 ----

    def test_usage_errors(self):
        t = self.g22
        self.fails(2, "send", token=t)
        self.fails(2, "send", "a.xml", "b.xml", token=t)
        self.fails(2, "send", "a.xml", "--bogus", token=t)
        self.fails(2, "fetch", token=t)
        self.fails(2, "fetch", "not-an-id", token=t, contains="not a hub document ID")
        self.fails(2, "trace", "../../etc/passwd", token=t)
        self.fails(2, "ack", "a" * 32, token=t, contains="--state")
        self.fails(2, "ack", "a" * 32, "--state", "read", token=t)
        self.fails(2, "inbox", "--kind", "letters", token=t)
        self.fails(2, "inbox", "--limit", "0", token=t)
        self.fails(2, "inbox", "--limit", "x", token=t)
        self.fails(2, "inbox", "--cursor", "abc", token=t)
        self.fails(2, "inbox", "--timeout", "-1", token=t)
        self.fails(2, "inbox", "--url", "ftp://example.org", token=t)
        self.fails(2, "inbox", token="", contains="LIENTHONG_TOKEN")
        self.fails(2, "inbox", "--token", "two words", token="")
        self.fails(2, "inbox", "--limit", token=t)
        # --help is not an error
        p = self.ok("send", "--help")
        self.assertIn("usage: lienthong send", self.text(p))


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
