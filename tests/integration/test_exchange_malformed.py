#!/usr/bin/env python3
"""Integration test: malformed packages sent to the exchange hub (issue 10,
acceptance 4).

A scratch registry made by `lienthong init --demo`, three connected
systems (VPCP bound to G22 sends; Cao Bằng H14 and Hà Nội H26 receive) and
the real lienthongd on a free port of 127.0.0.1, with a package limit of
4 MiB. The broken samples of tests/data/edxml/bad-*.edxml are sent with
their From rewritten to G22 and their To codes to H14/H26 (invalid codes,
the defect of bad-to-code, are kept). Each of these gets a clear 4xx JSON
error whose message names the defect:

not XML, wrong namespace (and none), missing From, a recipient code that
is not in the registry, bad base64, an attachment listed but absent, a
package cut short inside the XML, a billion-laughs entity expansion, an
external entity (file:///etc/passwd; a FIFO, which would hang a reader
that opened it; an http:// URL and an external DTD pointing at a socket
of this test, which must see no connection), a 2 GB declared
Content-Length (413 at once, without the body being sent), a real body
over the limit (413 with its Content-Length; chunked, a 413 when it is
just over, and a 413 or a closed connection when it keeps coming, as
test_daemon_abuse allows), an empty body, and
every other bad sample with the messages of its .expect file. A truncated
upload (a Content-Length larger than the bytes, then the socket closed,
with FIN and with RST) gets no reply but must leave nothing behind.

After each case nothing is stored: the sender's and the recipients'
inboxes stay empty, /metrics lienthong_exchange_documents is unchanged, no
file appears under <data_dir>/packages, the spool <data_dir>/tmp empties,
and /healthz answers.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import errno
import glob
import os
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltd import parse_raw_reply  # noqa: E402
from ltx import G22, H14, H26, UNKNOWN  # noqa: E402

SAMPLES = os.path.join(ltd.SOURCE_DIR, "tests", "data", "edxml")
LIMIT = 4 * 1024 * 1024
CODE = re.compile(rb"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")


def rewrite_codes(b):
    """From/OrganId → G22; To/OrganId → H14, H26, H14… (valid codes only)."""
    b = re.sub(rb"(<edXML:From>\s*<edXML:OrganId>)([^<]*)",
               lambda m: m.group(1) + (G22.encode() if CODE.fullmatch(m.group(2)) else m.group(2)), b, flags=re.S)
    n = [0]

    def to(m):
        code = m.group(2)
        if CODE.fullmatch(code):
            code = (H14, H26)[n[0] % 2].encode()
            n[0] += 1
        return m.group(1) + code

    return re.sub(rb"(<edXML:To>\s*<edXML:OrganId>)([^<]*)", to, b, flags=re.S)


def sample(name):
    with open(os.path.join(SAMPLES, name + ".edxml"), "rb") as f:
        return rewrite_codes(f.read())


def expected_messages(name):
    with open(os.path.join(SAMPLES, name + ".expect"), encoding="utf-8") as f:
        return [line[len("message "):] for line in f.read().splitlines() if line.startswith("message ")]


def with_doctype(doctype, subject_entity=None, number="1"):
    """A valid package to H14 with a DOCTYPE inserted after the XML
    declaration, and the Subject replaced by an entity reference."""
    data, _ = ltpkg.edoc(G22, [H14], number=number, subject="SUBJECT-PLACEHOLDER")
    head, nl, rest = data.partition(b"\n")
    data = head + nl + doctype.encode() + b"\n" + rest
    if subject_entity:
        data = data.replace(b"SUBJECT-PLACEHOLDER", subject_entity.encode())
    return data


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Listener:
    """A TCP socket of this test that counts the connections it gets."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n<!ENTITY leak 'LEAKED'>")
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.t.join(2)
        self.sock.close()


class ExchangeMalformed(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_exchange_malformed_")
        cls.d = None
        try:
            cls.vpcp = cls.reg.system_add("Văn phòng Chính phủ", G22)["token"]
            cls.cb = cls.reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            cls.hn = cls.reg.system_add("UBND thành phố Hà Nội", H26)["token"]
            cls.d = ltd.Daemon(cls.reg, MAX_PACKAGE_BYTES=LIMIT).start()
            cls.counts = ltx.exchange_counts(cls.d)
        except BaseException:
            cls.tearDownClass()
            raise


    # ---- helpers ----

    def assertNothingStored(self, what=""):
        # the spool file of a refused upload is removed (at once, or as soon as
        # the daemon sees the connection end)
        deadline = time.monotonic() + 10
        while ltx.spool_files(self.reg.data_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(ltx.spool_files(self.reg.data_dir), [], f"spool files left in data/tmp after {what}")
        self.assertTrue(self.d.alive(), f"lienthongd died ({what})")
        r = self.d.get("/healthz")
        self.assertStatus(r, 200, f"/healthz after {what}")
        for name, tok in (("G22", self.vpcp), ("H14", self.cb), ("H26", self.hn)):
            self.assertEqual(ltx.inbox_all(self.d, tok), [], f"the inbox of {name} after {what}")
        self.assertEqual(ltx.exchange_counts(self.d), self.counts, f"lienthong_exchange_documents after {what}")
        self.assertEqual(ltx.package_files(self.reg.data_dir), [], f"files under data/packages after {what}")

    def refuse(self, data, status=400, names=(), what="", token=None):
        """Sends data as G22: a JSON error with this status whose message
        contains every string of names; then nothing is stored."""
        t0 = time.monotonic()
        r = ltx.send(self.d, token or self.vpcp, data, timeout=30)
        took = time.monotonic() - t0
        e = self.assertError(r, status, msg=what)
        for n in names:
            self.assertIn(n, e["message"], f"{what}: the message names the defect")
        self.assertLess(took, 10, f"{what}: the refusal took {took:.1f}s")
        self.assertNothingStored(what)
        return e

    def raw_head(self, length, extra=b""):
        return (b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + self.vpcp.encode() +
                b"\r\nContent-Type: application/xml\r\nContent-Length: " + str(length).encode() + b"\r\n" + extra +
                b"\r\n")

    def read_reply(self, s, timeout):
        """Reads one HTTP reply (headers and a Content-Length body) or until
        the server closes or timeout passes; returns (bytes, seconds)."""
        t0 = time.monotonic()
        out = b""
        s.settimeout(0.5)
        while time.monotonic() - t0 < timeout:
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
        return out, time.monotonic() - t0

    # ---- the defects named by the acceptance ----

    def test_not_xml(self):
        self.refuse(sample("bad-not-xml"), names=["not well-formed XML"], what="bad-not-xml")
        self.refuse(b"\x00\x01\x02\xff binary, not XML", names=["XML"], what="binary bytes")
        self.refuse(b'{"edXML": "a JSON document"}', names=["XML"], what="JSON")

    def test_wrong_namespace(self):
        e = self.refuse(sample("bad-namespace"), names=["namespace"], what="bad-namespace")
        self.assertIn("http://www.e-doc.vn/Schema/", e["message"])
        self.refuse(sample("bad-no-namespace"), names=["no namespace"], what="bad-no-namespace")

    def test_missing_from(self):
        self.refuse(sample("bad-missing-from"), names=["From is missing"], what="bad-missing-from")

    def test_unknown_recipient(self):
        # With a known recipient beside it, an unknown one is refused for
        # itself only (test_exchange_ownership.py); alone, it refuses the
        # package.
        data, _ = ltpkg.edoc(G22, [UNKNOWN], number="32")
        e = self.assertError(ltx.send(self.d, self.vpcp, data), (400, 422), msg="only an unknown recipient")
        self.assertIn(UNKNOWN, e["message"])
        self.assertNothingStored("only an unknown recipient")
        # a code that is not even well formed
        self.refuse(sample("bad-to-code"), names=["000.00.00.H9X", "not a valid code"], what="bad-to-code")

    def test_bad_base64(self):
        self.refuse(sample("bad-base64"), names=["not base64", "ContentTransferEncoded"], what="bad-base64")
        self.refuse(sample("bad-base64-truncated"), names=["base64", "ContentTransferEncoded"],
                    what="bad-base64-truncated")

    def test_attachment_listed_but_absent(self):
        self.refuse(sample("bad-attachment-absent"), names=["'210'", "listed in the manifest but absent"],
                    what="bad-attachment-absent")

    def test_truncated_xml(self):
        self.refuse(sample("bad-truncated"), names=["truncated"], what="bad-truncated")
        data, _ = ltpkg.edoc(G22, [H14], number="33", attachments=[("a.pdf", b"%PDF" * 5000)])
        self.refuse(data[: len(data) // 2], names=["truncated"], what="a package cut in half")

    def test_truncated_upload(self):
        data, _ = ltpkg.edoc(G22, [H14, H26], number="34", attachments=[("a.pdf", os.urandom(300_000))])
        for how in ("fin", "rst"):
            # the whole, valid package, but a Content-Length 100 000 bytes larger
            for body in (data, data[: len(data) // 3]):
                s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
                try:
                    s.sendall(self.raw_head(len(data) + 100_000) + body)
                    time.sleep(0.2)
                    if how == "rst":
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                finally:
                    s.close()
                self.assertNothingStored(f"an upload cut short ({how}, {len(body)} of {len(data) + 100_000} bytes)")

    def test_billion_laughs(self):
        pid = self.d.proc.pid
        before = vm_hwm_kib(pid)
        e = self.refuse(sample("bad-billion-laughs"), names=["DOCTYPE"], what="bad-billion-laughs")
        self.assertNotIn("lol", e["message"])
        # the classic one, on one line and with parameter entities
        laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
        self.refuse(with_doctype(f'<!DOCTYPE edXML [<!ENTITY l0 "lol">{laughs}]>', "&l9;"), names=["DOCTYPE"],
                    what="billion laughs in the Subject")
        self.refuse(with_doctype('<!DOCTYPE edXML [<!ENTITY % p "<!ENTITY x \'xx\'>"> %p;]>', "&x;"),
                    names=["DOCTYPE"], what="a parameter entity")
        if not ltx.asan():
            grew = (vm_hwm_kib(pid) - before) / 1024
            self.assertLess(grew, 16, f"peak RSS grew by {grew:.1f} MiB on entity expansion")

    def test_external_entity(self):
        e = self.refuse(sample("bad-xxe"), names=["DOCTYPE"], what="bad-xxe (file:///etc/passwd)")
        self.assertNotIn("root:", e["message"])
        # a FIFO: a reader that opened it would block until a writer comes
        fifo = os.path.join(self.reg.dir, "secret.fifo")
        os.mkfifo(fifo)
        data = with_doctype(f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file://{fifo}">]>', "&xxe;", number="35")
        try:
            r = ltx.send(self.d, self.vpcp, data, timeout=10)
        except socket.timeout:
            r = None
        opened = False
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # succeeds only when a reader has it open
            opened = True
            os.write(fd, b"LEAKED")
            os.close(fd)
        except OSError as ex:
            self.assertEqual(ex.errno, errno.ENXIO, ex)
        self.assertFalse(opened, "the daemon opened the file of an external entity")
        self.assertIsNotNone(r, "no reply to a package with an external entity (the daemon blocked on it?)")
        e = self.assertError(r, 400)
        self.assertIn("DOCTYPE", e["message"])
        self.assertNothingStored("an external entity on a FIFO")
        # http:// entities and an external DTD: the hub fetches nothing
        lst = Listener()
        try:
            url = f"http://127.0.0.1:{lst.port}"
            for doctype, ref in ((f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{url}/e">]>', "&xxe;"),
                                 (f'<!DOCTYPE edXML SYSTEM "{url}/evil.dtd">', "&leak;"),
                                 (f'<!DOCTYPE edXML [<!ENTITY % ext SYSTEM "{url}/p.dtd"> %ext;]>', "&leak;"),
                                 (f'<!DOCTYPE edXML PUBLIC "-//X//Y" "{url}/pub.dtd">', None)):
                e = self.refuse(with_doctype(doctype, ref), names=["DOCTYPE"], what=doctype)
                self.assertNotIn("LEAKED", e["message"])
            time.sleep(0.3)
            self.assertEqual(lst.connections, 0, "the daemon connected to an external entity's URL")
        finally:
            lst.close()

    def test_declared_2gb(self):
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        try:
            s.sendall(self.raw_head(2 * 1024 ** 3))  # and no body at all
            out, took = self.read_reply(s, 10)
        finally:
            s.close()
        status, headers, body = parse_raw_reply(out)
        self.assertEqual(status, 413, f"a 2 GB Content-Length: {out[:300]!r}")
        self.assertLess(took, 5, "the 413 comes at once, before any body")
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        self.assertIn(b'"error"', body)
        self.assertIn(b"2147483648", body, "the message names the declared size")
        self.assertNothingStored("a 2 GB declared Content-Length")
        # the same with Expect: 100-continue: no 100, a 413
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        try:
            s.sendall(self.raw_head(2 * 1024 ** 3, b"Expect: 100-continue\r\n"))
            out, took = self.read_reply(s, 10)
        finally:
            s.close()
        status, _, _ = parse_raw_reply(out)
        self.assertEqual(status, 413, f"2 GB with Expect: 100-continue: {out[:300]!r}")
        self.assertNothingStored("a 2 GB declared Content-Length with Expect")

    def raw_exchange(self, head, chunks, timeout=30):
        """Sends head and then each chunk on one socket while a thread reads
        the reply (the server may answer and close before the body is all
        sent: that is no error). Returns the bytes received."""
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=timeout)
        got = []

        def reader():
            got.append(self.read_reply(s, timeout)[0])

        t = threading.Thread(target=reader, daemon=True)
        try:
            s.sendall(head)
            t.start()
            try:
                for c in chunks:
                    s.sendall(c)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server stopped reading after its reply
            t.join(timeout + 5)
        finally:
            s.close()
        return got[0] if got else b""

    def test_over_the_limit(self):
        data, _ = ltpkg.edoc(G22, [H14], number="36", attachments=[("big.pdf", b"%PDF" * (LIMIT // 3))])
        self.assertGreater(len(data), LIMIT)
        step = 256 * 1024
        # with its length declared
        out = self.raw_exchange(self.raw_head(len(data)), (data[i:i + step] for i in range(0, len(data), step)))
        status, _, body = parse_raw_reply(out)
        self.assertEqual(status, 413, f"a body over the limit: {out[:300]!r}")
        self.assertIn(str(len(data)).encode(), body, "the message names the size")
        self.assertNothingStored("a body over the limit")
        # chunked: no length declared, the limit found while reading
        head = (b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                self.vpcp.encode() + b"\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunks = [b"%x\r\n" % len(data[i:i + step]) + data[i:i + step] + b"\r\n" for i in range(0, len(data), step)]
        out = self.raw_exchange(head, chunks + [b"0\r\n\r\n"])
        status, _, body = parse_raw_reply(out)
        # The daemon stops reading a chunked body once it is well over the
        # limit and may close the connection without a reply (as
        # test_daemon_abuse allows); when it answers, it is a 413.
        if out:
            self.assertEqual(status, 413, f"chunked over the limit: {out[:300]!r}")
            self.assertIn(b"too_large", body)
        # a chunked body just over the limit is read to its end and answered
        small, _ = ltpkg.edoc(G22, [H14], number="37", attachments=[("big.pdf", b"%PDF" * (LIMIT * 3 // 16 + 3000))])
        self.assertGreater(len(small), LIMIT + 2)
        self.assertLess(len(small), LIMIT + 65536)
        chunks = [b"%x\r\n" % len(small[i:i + step]) + small[i:i + step] + b"\r\n" for i in range(0, len(small), step)]
        out = self.raw_exchange(head, chunks + [b"0\r\n\r\n"])
        status, _, body = parse_raw_reply(out)
        self.assertEqual(status, 413, f"chunked just over the limit: {out[:300]!r}")
        self.assertIn(b"too_large", body)
        self.assertIn(b"over", body, "the message says the body is over the limit")
        self.assertNothingStored("a chunked body over the limit")

    def test_empty_body(self):
        self.refuse(b"", names=["empty"], what="an empty body")
        self.refuse(b"   \r\n  ", names=["XML"], what="only white space")

    # ---- every other broken sample, with the messages of its .expect ----

    def test_every_bad_sample(self):
        names = sorted(os.path.basename(p)[:-len(".edxml")] for p in glob.glob(os.path.join(SAMPLES, "bad-*.edxml")))
        self.assertGreater(len(names), 20, "the bad samples are there")
        for name in names:
            with self.subTest(sample=name):
                data = sample(name)
                msgs = expected_messages(name)
                if name == "bad-empty":
                    msgs = ["empty"]  # the daemon says "the body is empty" before any parsing
                self.refuse(data, names=msgs, what=name)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
