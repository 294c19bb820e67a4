#!/usr/bin/env python3
"""Integration test: a 200 MiB package through the exchange hub in bounded
memory (issue 10, acceptance 2; design.md §5 "Size and memory").

A scratch registry made by `lienthong init --demo`, two connected systems
(G22 sends, H14 receives) and the real lienthongd on a free port of
127.0.0.1 with LIENTHONG_MAX_PACKAGE_BYTES=300000000. The test writes a
200 MiB edXML package with one attachment (150 MiB of random bytes, base64)
to a temporary file, streaming, and sends it with http.client in 1 MiB
chunks read from the file. H14 then finds it in its inbox and fetches it,
streaming the reply into a SHA-256: the bytes are the same as sent. The
daemon's peak RSS (VmHWM of /proc/PID/status), read after a small warm-up
exchange and again at the end, grows by less than 32 MiB.

Skipped (reported as "skipped" and counted as passed) when LT_BUILD_DIR
ends in build-asan: AddressSanitizer's shadow memory and quarantine change
what the RSS means.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import base64
import hashlib
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14  # noqa: E402

MIB = 1024 * 1024
RAW_BYTES = 150 * MIB  # base64: exactly 200 MiB
MAX_PACKAGE = 300_000_000
GROWTH_LIMIT_MIB = 32
MARKER = b"\xfb\xef\xbe" * 4  # base64 "++++++++++++++++", found nowhere else in a package


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def write_big_package(path, raw_bytes):
    """An edoc G22 → H14 with one attachment of raw_bytes random bytes,
    written to path without holding it in memory. Returns (size, sha256,
    DocumentId)."""
    data, docid = ltpkg.edoc(G22, [H14], number="200", notation="VP-LON", subject="Hồ sơ dung lượng lớn",
                             attachments=[("ho-so-lon.pdf", MARKER)])
    enc = base64.b64encode(MARKER)
    assert data.count(enc) == 1
    prefix, suffix = data.split(enc)
    h = hashlib.sha256()
    size = 0
    step = 3 * MIB  # a multiple of 3: no padding inside the stream
    with open(path, "wb") as f:
        for part in (prefix,):
            f.write(part)
            h.update(part)
            size += len(part)
        left = raw_bytes
        while left:
            n = min(step, left)
            chunk = base64.b64encode(os.urandom(n))
            f.write(chunk)
            h.update(chunk)
            size += len(chunk)
            left -= n
        f.write(suffix)
        h.update(suffix)
        size += len(suffix)
    return size, h.hexdigest(), docid


class ExchangeBig(ltd.DaemonTest):
    def test_200_mib_package(self):
        if ltx.asan():
            print(f"skipped: {ltd.BUILD_DIR} is an ASan build, whose memory use says nothing about the daemon's "
                  f"(counted as passed)")
            return
        reg = ltd.Registry(prefix="lt_test_exchange_big_")
        d = None
        try:
            vpcp = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            cb = reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            d = ltd.Daemon(reg, MAX_PACKAGE_BYTES=MAX_PACKAGE).start(timeout=30)
            pid = d.proc.pid

            # warm-up: a small exchange, so the baseline has the daemon's
            # ordinary allocations (threads, store, parser) in it
            small, _ = ltpkg.edoc(G22, [H14], number="1", attachments=[("nho.pdf", os.urandom(MIB))])
            r = ltx.send(d, vpcp, small)
            self.assertStatus(r, 201, "warm-up send")
            r = d.get(f"/v1/documents/{r.json()['id']}", token=cb, timeout=60)
            self.assertStatus(r, 200)
            self.assertEqual(r.body, small)
            before = vm_hwm_kib(pid)

            path = os.path.join(reg.dir, "big.edxml")
            t0 = time.monotonic()
            size, digest, docid = write_big_package(path, RAW_BYTES)
            t_gen = time.monotonic() - t0
            self.assertGreaterEqual(size, 200 * MIB)
            self.assertLess(size, MAX_PACKAGE)

            # send, streaming from the file
            t0 = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=600)
            try:
                conn.putrequest("POST", "/v1/documents")
                conn.putheader("Authorization", f"Bearer {vpcp}")
                conn.putheader("Content-Type", "application/xml")
                conn.putheader("Content-Length", str(size))
                conn.endheaders()
                with open(path, "rb") as f:
                    while True:
                        chunk = f.read(MIB)
                        if not chunk:
                            break
                        conn.send(chunk)
                resp = conn.getresponse()
                body = resp.read()
            finally:
                conn.close()
            t_send = time.monotonic() - t0
            self.assertEqual(resp.status, 201, body[:500])
            reply = json.loads(body)
            self.assertEqual((reply["document_id"], reply["sha256"]), (docid, digest), reply)
            hub_id = reply["id"]
            self.assertEqual([(x["routed_to"], x["state"]) for x in reply["recipients"]], [(H14, "pending")])
            mid = vm_hwm_kib(pid)

            items = [it for it in ltx.inbox_all(d, cb) if it["id"] == hub_id]
            self.assertEqual(len(items), 1)
            self.assertEqual((items[0]["size"], items[0]["sha256"]), (size, digest), items[0])

            # fetch, streaming into a hash
            t0 = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=600)
            try:
                conn.request("GET", f"/v1/documents/{hub_id}", headers={"Authorization": f"Bearer {cb}"})
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200, resp.read(500) if resp.status != 200 else b"")
                self.assertEqual(resp.getheader("Content-Length"), str(size))
                h = hashlib.sha256()
                got = 0
                while True:
                    chunk = resp.read(MIB)
                    if not chunk:
                        break
                    h.update(chunk)
                    got += len(chunk)
            finally:
                conn.close()
            t_fetch = time.monotonic() - t0
            self.assertEqual(got, size, "bytes fetched")
            self.assertEqual(h.hexdigest(), digest, "the fetched package is the one sent")
            os.unlink(path)

            after = vm_hwm_kib(pid)
            grew = (after - before) / 1024
            print(f"package {size / MIB:.1f} MiB: written in {t_gen:.1f}s, sent in {t_send:.1f}s, fetched in "
                  f"{t_fetch:.1f}s; daemon VmHWM {before / 1024:.1f} MiB before, {mid / 1024:.1f} after the send, "
                  f"{after / 1024:.1f} after the fetch (+{grew:.1f} MiB)")
            self.assertLess(grew, GROWTH_LIMIT_MIB,
                            f"the daemon's peak RSS grew by {grew:.1f} MiB for a {size / MIB:.0f} MiB package")

            rc = d.stop(30)
            self.assertEqual(rc, 0, "lienthongd exit status after SIGTERM")
            d = None
        finally:
            if d is not None:
                d.kill()
            reg.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
