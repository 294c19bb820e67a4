#!/usr/bin/env python3
"""Integration test: deciding and verifying signatures in bounded memory
(issue 17, "Signatures and memory").

1. Four 30 MB unsigned packages sent at once, each with "Signature" in its
   Subject, in an attribute and as an element outside the header, and with
   4 MB of dense markup that would cost a tree some 180 MB: the daemon's
   peak RSS (VmHWM) stays under 256 MiB, because only a signature element
   among edXMLHeader's children makes a package signed, and the streaming
   reader sees that without a tree. Each trace says "the package is not
   signed". Skipped under ASan (its shadow memory is not the daemon's).
2. A signed package whose verification needs more memory than
   verify_max_bytes: under `flag` it is delivered and its trace says "not
   verified: too large"; under `require` it is refused with 413 and a clear
   message, and nothing is stored; a signed package within the budget is
   verified as before.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltx  # noqa: E402
from ltx import G22, H14  # noqa: E402

MIB = 1024 * 1024
RSS_LIMIT_MIB = 256
CA_SCRIPT = os.path.join(ltd.SOURCE_DIR, "scripts", "test-ca")


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def decoy_package(number, size):
    """An unsigned edoc G22 → H14 of about `size` bytes that names
    Signature everywhere but where a signature lives: in the Subject, in
    an attribute, as an element inside MessageHeader and after the
    envelope. 4 MB of it is markup a tree would hold as a million
    nodes; the rest one attachment."""
    dense = b"<x/>" * (4 * MIB // 4)
    extra = (b'<Extra note="Signature"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>' + dense +
             b"</Extra></edXML:MessageHeader>")
    raw = os.urandom((size - len(dense)) * 3 // 4)
    data, docid = ltpkg.edoc(G22, [H14], number=str(number), subject="Signature: chữ ký số <Signature/>",
                             attachments=[("ho-so.pdf", raw)])
    assert data.count(b"</edXML:MessageHeader>") == 1
    data = data.replace(b"</edXML:MessageHeader>", extra)
    data = data.replace(b"</edXML>", b"<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></edXML>")
    return data, docid


def post(port, token, data, out, i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/v1/documents", body=data,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        resp = conn.getresponse()
        out[i] = (resp.status, resp.read())
    except Exception as e:  # reported by the test
        out[i] = (0, repr(e).encode())
    finally:
        conn.close()


class SignatureMemory(ltd.DaemonTest):
    def test_unsigned_decoys_in_bounded_memory(self):
        if ltx.asan():
            print(f"skipped: {ltd.BUILD_DIR} is an ASan build, whose memory use says nothing about the daemon's "
                  f"(counted as passed)")
            return
        reg = ltd.Registry(prefix="lt_test_sigmem_")
        d = None
        try:
            g22 = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            h14 = reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            d = ltd.Daemon(reg, SIGNATURE_POLICY="flag").start(timeout=30)
            packages = [decoy_package(100 + i, 30 * MIB) for i in range(4)]
            for data, _ in packages:
                self.assertGreaterEqual(len(data), 30 * MIB)
            out = [None] * 4
            threads = [threading.Thread(target=post, args=(d.port, g22, packages[i][0], out, i)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            peak = vm_hwm_kib(d.proc.pid) / 1024
            for status, body in out:
                self.assertEqual(status, 201, body[:500])
                t = d.get(f"/v1/documents/{json.loads(body)['id']}/trace", token=g22).json()
                self.assertEqual(t["signature"], {"trusted": False, "reason": "the package is not signed"}, t)
            print(f"four {len(packages[0][0]) / MIB:.1f} MiB unsigned packages at once: daemon VmHWM {peak:.1f} MiB")
            self.assertLess(peak, RSS_LIMIT_MIB, "the daemon's peak RSS")
            self.assertEqual(len([it for it in ltx.inbox_all(d, h14)]), 4)
            self.assertEqual(d.stop(30), 0)
            d = None
        finally:
            if d is not None:
                d.kill()
            reg.close()

    def test_over_the_verification_budget(self):
        tmp = tempfile.TemporaryDirectory(prefix="lt_sigmem_ca_")
        reg = ltd.Registry(prefix="lt_test_sigmem_")
        try:
            ca = os.path.join(tmp.name, "ca")
            key, cert = subprocess.run([CA_SCRIPT, ca, G22], capture_output=True, text=True,
                                       check=True).stdout.split()

            def signed(number, raw_size):
                data, _ = ltpkg.edoc(G22, [H14], number=str(number), subject="Ký số",
                                     attachments=[("qd.pdf", os.urandom(raw_size))])
                src = os.path.join(tmp.name, f"p{number}.xml")
                with open(src, "wb") as f:
                    f.write(data)
                p = subprocess.run([ltd.CLI, "sign", "--key", key, "--cert", cert, src], capture_output=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                return p.stdout

            budget = 1 * MIB
            small, big = signed(1, 20_000), signed(2, 600_000)  # a tree of ~60 KB; of ~1.6 MB
            g22 = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            h14 = reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            data_dir = reg.data_dir

            # flag: delivered, the verdict says why it was not verified
            d = ltd.Daemon(reg, SIGNATURE_POLICY="flag", VERIFY_MAX_BYTES=budget,
                           TRUSTED_CA=os.path.join(ca, "ca.pem")).start()
            r = ltx.send(d, g22, big)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertFalse(t["signature"]["trusted"], t)
            self.assertTrue(t["signature"]["reason"].startswith("not verified: too large"), t)
            r = ltx.send(d, g22, small)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertTrue(t["signature"]["trusted"], t)
            self.assertEqual(d.stop(), 0)

            # require: 413, nothing stored; within the budget, verified
            big2, small2 = signed(3, 600_000), signed(4, 20_000)
            d = ltd.Daemon(reg, SIGNATURE_POLICY="require", VERIFY_MAX_BYTES=budget,
                           TRUSTED_CA=os.path.join(ca, "ca.pem")).start()
            files = ltx.package_files(data_dir) if os.path.isdir(data_dir) else None
            inbox = len(ltx.inbox_all(d, h14))
            r = ltx.send(d, g22, big2)
            self.assertError(r, 413, contains="too large")
            self.assertIn("verify_max_bytes", r.json()["error"]["message"], r.json())
            self.assertEqual(len(ltx.inbox_all(d, h14)), inbox, "nothing is delivered")
            if files is not None:
                self.assertEqual(ltx.package_files(data_dir), files, "nothing is stored")
            self.assertEqual(ltx.spool_files(data_dir), [], "no spool file is left")
            r = ltx.send(d, g22, small2)
            self.assertStatus(r, 201)
            self.assertEqual(len(ltx.inbox_all(d, h14)), inbox + 1)
            self.assertEqual(d.stop(), 0)
        finally:
            reg.close()
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
