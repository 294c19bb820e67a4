"""Signatures (issue 7): `lienthong sign` and the xmlsec1 command-line tool
agree in both directions; any change to an attachment, the subject or a
recipient breaks verification; the hub's policies bind signers to codes
(registered certificates, or a trusted CA naming the code), and refuse
expired, revoked and wrongly-bound ones under `require`."""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import ltd
import ltpkg

XMLSEC = shutil.which("xmlsec1")
CA_SCRIPT = os.path.join(ltd.SOURCE_DIR, "scripts", "test-ca")
G22, H26, H17 = "000.00.00.G22", "000.00.00.H26", "000.00.00.H17"

TEMPLATE = ('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
            '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<SignatureMethod Algorithm="{alg}"/><Reference URI=""><Transforms>'
            '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>'
            '<DigestMethod Algorithm="{digest}"/><DigestValue/></Reference></SignedInfo><SignatureValue/>'
            '<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>')
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"


class Signatures(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="lt_sig_")
        cls.ca = os.path.join(cls.tmp.name, "ca")
        out = subprocess.run([CA_SCRIPT, cls.ca, G22, "--ec", H17, "--expired", G22, H26],
                             capture_output=True, text=True, check=True).stdout.split()
        cls.rsa_key, cls.rsa_cert, cls.ec_key, cls.ec_cert, cls.old_key, cls.old_cert, cls.h26_key, cls.h26_cert = out
        cls.pkg_bytes, cls.docid = ltpkg.edoc(G22, ["000.00.00.H47", H26], subject="Về việc ký số",
                                              attachments=[("qd.pdf", b"%PDF-1.7 " + os.urandom(3000))])
        cls.pkg = cls.file("pkg.xml", cls.pkg_bytes)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def file(cls, name, data):
        path = os.path.join(cls.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def cli(self, *args):
        return subprocess.run([ltd.CLI, *args], capture_output=True, timeout=60)

    def sign(self, key, cert, src=None, name="signed.xml"):
        p = self.cli("sign", "--key", key, "--cert", cert, src or self.pkg)
        self.assertEqual(p.returncode, 0, p.stderr)
        return self.file(name, p.stdout)

    def verify(self, path, *extra):
        return self.cli("verify", *extra, path)

    # ---- the library against xmlsec1 ----

    @unittest.skipUnless(XMLSEC, "xmlsec1 not installed")
    def test_sign_then_xmlsec1_verifies(self):
        for key, cert in ((self.rsa_key, self.rsa_cert), (self.ec_key, self.ec_cert)):
            signed = self.sign(key, cert)
            with open(signed, "rb") as f:
                text = f.read()
            # The signature sits at the end of edXMLHeader, in the XML-DSig namespace.
            self.assertRegex(text, re.compile(rb'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">.*'
                                              rb'</Signature>\s*</edXML:edXMLHeader>', re.S))
            p = subprocess.run([XMLSEC, "--verify", "--pubkey-cert-pem", cert, signed], capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = subprocess.run([XMLSEC, "--verify", "--trusted-pem", os.path.join(self.ca, "ca.pem"), signed],
                               capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.verify(signed).returncode, 0)

    def xmlsec_signed(self, alg, digest, name):
        tmpl = self.pkg_bytes.replace(b"</edXML:edXMLHeader>",
                                      TEMPLATE.format(alg=alg, digest=digest).encode() + b"</edXML:edXMLHeader>")
        t = self.file(name + ".tmpl", tmpl)
        out = os.path.join(self.tmp.name, name)
        p = subprocess.run([XMLSEC, "--sign", "--privkey-pem", f"{self.rsa_key},{self.rsa_cert}", "--output", out, t],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return out

    @unittest.skipUnless(XMLSEC, "xmlsec1 not installed")
    def test_xmlsec1_signs_then_lienthong_verifies(self):
        signed = self.xmlsec_signed(RSA_SHA256, "http://www.w3.org/2001/04/xmlenc#sha256", "x256.xml")
        p = self.verify(signed, "--ca", os.path.join(self.ca, "ca.pem"), "--code", G22)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Legacy producers sign with RSA-SHA1: accepted on verification.
        legacy = self.xmlsec_signed(RSA_SHA1, "http://www.w3.org/2000/09/xmldsig#sha1", "x1.xml")
        self.assertEqual(self.verify(legacy).returncode, 0)
        # The samples' un-namespaced form (the Signature in the QCVN default namespace).
        with open(signed, "rb") as f:
            text = f.read()
        bare = self.file("bare.xml", text.replace(b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">',
                                                  b"<Signature>"))
        p = self.verify(bare)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_tampering_breaks_it(self):
        signed = self.sign(self.rsa_key, self.rsa_cert)
        with open(signed, "rb") as f:
            text = f.read()
        value = re.search(rb"<edXML:ContentTransferEncoded>([A-Za-z0-9+/=]+)<", text).group(1)
        flipped = value[:100] + (b"B" if value[100:101] != b"B" else b"C") + value[101:]
        cases = {
            "attachment": text.replace(value, flipped),
            "subject": text.replace("Về việc ký số".encode(), "Về việc ký sô".encode()),
            "recipient": text.replace(b"<edXML:OrganId>000.00.00.H26<", b"<edXML:OrganId>000.00.00.H14<"),
        }
        for what, data in cases.items():
            self.assertNotEqual(data, text, what)
            p = self.verify(self.file(f"t_{what}.xml", data))
            self.assertEqual(p.returncode, 1, f"{what}: {p.stderr}")
            self.assertIn(b"does not match", p.stderr)
        p = self.verify(self.pkg)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"not signed", p.stderr)
        # A certificate that names another code, an expired one.
        self.assertEqual(self.verify(signed, "--code", H26).returncode, 1)
        expired = self.sign(self.old_key, self.old_cert, name="expired.xml")
        p = self.verify(expired, "--ca", os.path.join(self.ca, "ca.pem"))
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"expired", p.stderr)

    # ---- the hub's policies ----

    def send(self, d, token, path):
        with open(path, "rb") as f:
            return d.post("/v1/documents", f.read(), token=token, headers={"Content-Type": "application/xml"})

    def test_hub_require(self):
        reg = ltd.Registry()
        try:
            g22 = reg.system_add("VP", G22)["token"]
            admin = reg.token("admin")
            d = ltd.Daemon(reg, SIGNATURE_POLICY="require").start()
            signed = self.sign(self.rsa_key, self.rsa_cert)
            self.assertError(self.send(d, g22, self.pkg), 422, "rule_refused", "not signed")
            self.assertError(self.send(d, g22, signed), 422, "rule_refused", "not bound")
            # An expired certificate cannot be bound; another unit's can, but it does not bind G22.
            with open(self.old_cert) as f:
                self.assertError(d.post(f"/v1/units/{G22}/certificates", f.read(), token=admin,
                                        headers={"Content-Type": "application/x-pem-file"}), 422, contains="expired")
            with open(self.h26_cert) as f:
                r = d.post(f"/v1/units/{H26}/certificates", f.read(), token=admin,
                           headers={"Content-Type": "application/x-pem-file"})
            self.assertStatus(r, 201)
            wrong = self.sign(self.h26_key, self.h26_cert, name="wrong.xml")
            self.assertError(self.send(d, g22, wrong), 422, "rule_refused")
            # Bound: accepted, and the trace says who signed.
            with open(self.rsa_cert) as f:
                r = d.post(f"/v1/units/{G22}/certificates", {"pem": f.read()}, token=admin)
            self.assertStatus(r, 201)
            cert_id = r.json()["id"]
            r = self.send(d, g22, signed)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertTrue(t["signature"]["trusted"], t)
            # A manager outside the unit cannot revoke; the admin can, and then it no longer binds.
            self.assertError(d.request("DELETE", f"/v1/units/{G22}/certificates/{cert_id}",
                                       token=reg.token("manager", scope="000.00.00.H14")), 403)
            self.assertStatus(d.request("DELETE", f"/v1/units/{G22}/certificates/{cert_id}", token=admin), 200)
            # Bound and revoked, each in the audit trail; the refused ones nowhere.
            audit = d.get(f"/v1/audit?target=unit:{G22}", token=admin).json()["items"]
            self.assertEqual([(e["action"], e["detail"]["id"]) for e in audit],
                             [("cert.add", cert_id), ("cert.revoke", cert_id)])
            other, _ = ltpkg.edoc(G22, [H26], number="2", attachments=[("a.pdf", b"x" * 500)])
            resigned = self.sign(self.rsa_key, self.rsa_cert, src=self.file("p2.xml", other), name="p2s.xml")
            self.assertError(self.send(d, g22, resigned), 422, "rule_refused", "revoked")
            self.assertEqual(d.stop(), 0)
        finally:
            reg.close()

    def test_hub_flag_and_trusted_ca(self):
        reg = ltd.Registry()
        try:
            g22 = reg.system_add("VP", G22)["token"]
            d = ltd.Daemon(reg, SIGNATURE_POLICY="flag", TRUSTED_CA=os.path.join(self.ca, "ca.pem")).start()
            r = self.send(d, g22, self.pkg)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertFalse(t["signature"]["trusted"])
            self.assertIn("not signed", t["signature"]["reason"])
            # A certificate from the trusted CA that names G22 binds without registration.
            signed = self.sign(self.rsa_key, self.rsa_cert)
            other, _ = ltpkg.edoc(G22, [H26], number="3", attachments=[("a.pdf", b"y" * 500)])
            signed = self.sign(self.rsa_key, self.rsa_cert, src=self.file("p3.xml", other), name="p3s.xml")
            r = self.send(d, g22, signed)
            self.assertStatus(r, 201)
            t = d.get(f"/v1/documents/{r.json()['id']}/trace", token=g22).json()
            self.assertTrue(t["signature"]["trusted"], t)
            # Status packages can be signed too.
            st = self.file("st.xml", ltpkg.status(G22, H26, self.docid, "13"))
            r = self.send(d, g22, self.sign(self.rsa_key, self.rsa_cert, src=st, name="sts.xml"))
            self.assertStatus(r, 201)
            self.assertEqual(d.stop(), 0)
        finally:
            reg.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
