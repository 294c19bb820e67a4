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
2. Verification streams (issue 23): a signed package larger than the
   verify_max_bytes budget is verified; only a signature element over
   1 MiB is not: under `flag` it is delivered and its trace says "not
   verified: too large"; under `require` it is refused with 413 and a
   clear message, and nothing is stored.
3. A 200 MiB signed package, written in canonical form so the test can
   sign it without holding it, is verified through the upload path under
   `require` with the daemon's peak RSS growing by less than 32 MiB.
   Skipped under ASan.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import base64
import hashlib
import http.client
import json
import os
import re
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

    def test_streaming_verification(self):
        """Verification streams: a signed package many times the budget of
        verify_max_bytes is verified (it once was refused as too large);
        only a signature element over LT_SIGN_SIG_MAX_BYTES (1 MiB) is
        refused, with 413 under `require` and nothing stored."""
        tmp = tempfile.TemporaryDirectory(prefix="lt_sigmem_ca_")
        reg = ltd.Registry(prefix="lt_test_sigmem_")
        try:
            ca = os.path.join(tmp.name, "ca")
            key, cert = subprocess.run([CA_SCRIPT, ca, G22], capture_output=True, text=True,
                                       check=True).stdout.split()

            def signed(number, raw_size, big_signature=False):
                data, _ = ltpkg.edoc(G22, [H14], number=str(number), subject="Ký số",
                                     attachments=[("qd.pdf", os.urandom(raw_size))])
                src = os.path.join(tmp.name, f"p{number}.xml")
                with open(src, "wb") as f:
                    f.write(data)
                p = subprocess.run([ltd.CLI, "sign", "--key", key, "--cert", cert, src], capture_output=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                out = p.stdout
                if big_signature:  # an Object is not signed: only the size changes
                    out = out.replace(b"</Signature>", b"<Object>" + b"A" * (MIB + 1000) + b"</Object></Signature>")
                return out

            budget = 1 * MIB
            big, huge_sig = signed(2, 3 * MIB), signed(5, 20_000, big_signature=True)
            g22 = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            h14 = reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            data_dir = reg.data_dir

            # flag: the big package verified; the huge signature not, and says why
            d = ltd.Daemon(reg, SIGNATURE_POLICY="flag", VERIFY_MAX_BYTES=budget,
                           TRUSTED_CA=os.path.join(ca, "ca.pem")).start()
            r = ltx.send(d, g22, big)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertTrue(t["signature"]["trusted"], t)
            r = ltx.send(d, g22, huge_sig)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertFalse(t["signature"]["trusted"], t)
            self.assertTrue(t["signature"]["reason"].startswith("not verified: too large"), t)
            self.assertEqual(d.stop(), 0)

            # require: 413, nothing stored; the big one accepted
            big2, huge2 = signed(3, 3 * MIB), signed(4, 20_000, big_signature=True)
            d = ltd.Daemon(reg, SIGNATURE_POLICY="require", VERIFY_MAX_BYTES=budget,
                           TRUSTED_CA=os.path.join(ca, "ca.pem")).start()
            files = ltx.package_files(data_dir) if os.path.isdir(data_dir) else None
            inbox = len(ltx.inbox_all(d, h14))
            r = ltx.send(d, g22, huge2)
            self.assertError(r, 413, contains="too large")
            self.assertIn("signature element", r.json()["error"]["message"], r.json())
            self.assertEqual(len(ltx.inbox_all(d, h14)), inbox, "nothing is delivered")
            if files is not None:
                self.assertEqual(ltx.package_files(data_dir), files, "nothing is stored")
            self.assertEqual(ltx.spool_files(data_dir), [], "no spool file is left")
            r = ltx.send(d, g22, big2)
            self.assertStatus(r, 201)
            self.assertEqual(len(ltx.inbox_all(d, h14)), inbox + 1)
            self.assertEqual(d.stop(), 0)
        finally:
            reg.close()
            tmp.cleanup()

    def test_200_mib_signed_package_in_bounded_memory(self):
        """A 200 MiB signed package (one big attachment), streamed to the
        daemon under `require`: trusted and accepted, with the daemon's peak
        RSS (VmHWM) growing by less than 32 MiB over a small signed one's.
        Skipped under ASan (its shadow memory is not the daemon's, and the
        run would be slow)."""
        if ltx.asan():
            print(f"skipped: {ltd.BUILD_DIR} is an ASan build, whose memory use says nothing about the daemon's "
                  f"(counted as passed)")
            return
        tmp = tempfile.TemporaryDirectory(prefix="lt_sigmem_big_")
        reg = ltd.Registry(prefix="lt_test_sigmem_")
        d = None
        try:
            ca = os.path.join(tmp.name, "ca")
            key, cert = subprocess.run([CA_SCRIPT, ca, G22], capture_output=True, text=True,
                                       check=True).stdout.split()
            small = canonical_signed_package(os.path.join(tmp.name, "small.xml"), key, cert, 1, 64 * 1024)
            bigf = canonical_signed_package(os.path.join(tmp.name, "big.xml"), key, cert, 2, 200 * MIB)
            # The construction is checked by xmlsec1 on the small one.
            p = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", os.path.join(ca, "ca.pem"), small],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertGreaterEqual(os.path.getsize(bigf), 200 * MIB)
            g22 = reg.system_add("Văn phòng Chính phủ", G22)["token"]
            h14 = reg.system_add("UBND tỉnh Cao Bằng", H14)["token"]
            d = ltd.Daemon(reg, SIGNATURE_POLICY="require", MAX_PACKAGE_BYTES=400 * MIB,
                           TRUSTED_CA=os.path.join(ca, "ca.pem")).start(timeout=30)
            status, body = post_file(d.port, g22, small)
            self.assertEqual(status, 201, body[:500])
            before = vm_hwm_kib(d.proc.pid) / 1024
            status, body = post_file(d.port, g22, bigf)
            self.assertEqual(status, 201, body[:500])
            after = vm_hwm_kib(d.proc.pid) / 1024
            t = d.get(f"/v1/documents/{json.loads(body)['id']}/trace", token=g22).json()
            self.assertTrue(t["signature"]["trusted"], t)
            print(f"a {os.path.getsize(bigf) / MIB:.0f} MiB signed package: daemon VmHWM {before:.1f} -> "
                  f"{after:.1f} MiB (+{after - before:.1f})")
            self.assertLess(after - before, 32, "the daemon's RSS growth verifying a 200 MiB package")
            self.assertEqual(len(ltx.inbox_all(d, h14)), 2)
            self.assertEqual(d.stop(60), 0)
            d = None
        finally:
            if d is not None:
                d.kill()
            reg.close()
            tmp.cleanup()


DSIG = "http://www.w3.org/2000/09/xmldsig#"


def canonical_signed_package(path, key, cert, number, attachment_bytes):
    """Writes a signed edoc G22 -> H14 whose attachment has about
    attachment_bytes of base64, without ever holding it: the package is
    written in its exclusive canonical form (no declaration, one default
    namespace, no empty-element tags, nothing to escape), so its digest is
    that of its bytes less the signature, computed as they are written;
    SignedInfo is signed by openssl. Returns path."""
    data, _ = ltpkg.edoc(G22, [H14], number=str(number), subject="Ký số", attachments=[("qd.pdf", b"xyz")])
    text = data.decode().split("\n", 1)[1]
    text = text.replace(' xmlns:edXML="%s"' % ltpkg.NS, "").replace("edXML:", "")
    text = re.sub(r"<(\w+)([^<>]*)/>", r"<\1\2></\1>", text)
    head, tail = text.split(base64.b64encode(b"xyz").decode())
    hdr_end = head.index("</edXMLHeader>")
    line = base64.b64encode(os.urandom(57 * 1000)).decode()  # 76,000 characters
    lines = attachment_bytes // len(line) + 1
    digest = hashlib.sha256()
    digest.update((head[:hdr_end] + head[hdr_end:]).encode())
    for _ in range(lines):
        digest.update(line.encode())
    digest.update(tail.encode())
    inner = ('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></CanonicalizationMethod>'
             '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></SignatureMethod>'
             '<Reference URI=""><Transforms>'
             '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></Transform>'
             '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></Transform></Transforms>'
             '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></DigestMethod>'
             '<DigestValue>%s</DigestValue></Reference>' % base64.b64encode(digest.digest()).decode())
    signed_info = '<SignedInfo xmlns="%s">%s</SignedInfo>' % (DSIG, inner)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signed_info.encode(),
                         capture_output=True, check=True).stdout
    with open(cert) as f:
        der_b64 = "".join(x for x in f.read().splitlines() if x and not x.startswith("-----"))
    signature = ('<Signature xmlns="%s"><SignedInfo>%s</SignedInfo><SignatureValue>%s</SignatureValue>'
                 '<KeyInfo><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></Signature>'
                 % (DSIG, inner, base64.b64encode(sig).decode(), der_b64))
    with open(path, "w", encoding="utf-8") as f:
        f.write(head[:hdr_end] + signature + head[hdr_end:])
        for _ in range(lines):
            f.write(line)
        f.write(tail)
    return path


def post_file(port, token, path):
    """POST /v1/documents streaming the file's bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        with open(path, "rb") as f:
            conn.request("POST", "/v1/documents", body=f, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/xml",
                "Content-Length": str(os.path.getsize(path))})
            resp = conn.getresponse()
            return resp.status, resp.read()
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
