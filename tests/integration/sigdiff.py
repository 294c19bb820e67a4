"""A generator of signed edXML packages for the differential test of the
streaming signature verifier (sig_differential.py):
varied namespaces (default, prefixed, redeclared, unused, the default one
undeclared), prefixes, whitespace, attribute orders, comments, processing
instructions, CDATA and character references, signed by the xmlsec1
command-line tool with every canonicalization the verifier accepts
(inclusive and exclusive, with and without comments, exclusive with and
without an InclusiveNamespaces PrefixList) and SHA-1/256/512 digests; and
tampered copies of each (a byte of text, an attribute, a namespace, a
prefix, SignedInfo, SignatureValue) beside edits that change nothing
canonical (a moved signature, comments, whitespace outside the root, the
document in UTF-16).

Deterministic for a seed. Standard library plus xmlsec1 and openssl.
"""

import os
import random
import re
import subprocess

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = {
    "incl": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "incl-c": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "exc": EXC,
    "exc-c": EXC + "WithComments",
}
DIGEST = {"sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
          "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
          "sha512": "http://www.w3.org/2001/04/xmlenc#sha512"}
METHOD = {"rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
          "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
          "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"}
URIS = ["urn:lt:a", "urn:lt:b", "http://example.org/ns/c", "urn:x:tamper", "http://example.org/ns/d"]
PREFIXES = ["a", "b", "ns1", "q", "edXML"]
WORDS = ["Công văn", "số", "ký", "&amp;", "&lt;x&gt;", "a > b", "&#x1EA1;", "&#13;", "&#9;tab", "\"q\"", "'s'",
         "]]&gt;", "  ", "\n", "\t", "văn bản", "&#xD;&#xA;"]


def make_keys(where):
    """An RSA and an EC self-signed signer: {kind: (key, cert)}."""
    out = {}
    for kind, args in (("rsa", ["-newkey", "rsa:2048"]),
                       ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])):
        key, cert = os.path.join(where, kind + ".key"), os.path.join(where, kind + ".pem")
        if not os.path.exists(cert):
            subprocess.run(["openssl", "req", "-x509", *args, "-nodes", "-keyout", key, "-out", cert, "-days", "3650",
                            "-subj", "/CN=sigdiff " + kind], check=True, capture_output=True)
        out[kind] = (key, cert)
    return out


class Doc:
    """One random package: its text, with markers the tampering finds."""

    def __init__(self, rnd, n, size_hint=0):
        self.rnd = rnd
        self.n = n
        self.size_hint = size_hint

    def text(self):
        r = self.rnd
        return r.choice(WORDS) + r.choice(["", " ", "x"]) + r.choice(WORDS)

    def attrs(self, scope):
        r = self.rnd
        out = []
        names = r.sample(["id", "z", "a", "kind", "b2", "lang"], r.randint(0, 3))
        for nm in names:
            out.append('%s="%s"' % (nm, r.choice(["1", "x&amp;y", "&lt;", "a&#10;b", "t&#9;u", "&quot;", "v w",
                                                    "c&#13;d", "'"])))
        prefixed = [p for p in scope if p and p != "edXML"]
        taken = set()  # (namespace, local name): two prefixes may name one namespace
        if prefixed and r.random() < 0.5:
            for p in r.sample(prefixed, min(len(prefixed), r.randint(1, 2))):
                local = r.choice(["id", "a", "z"])
                if (scope[p], local) in taken:
                    continue
                taken.add((scope[p], local))
                out.append('%s:%s="%s"' % (p, local, r.choice(["p", "&amp;", "1"])))
        if r.random() < 0.15:
            out.append('xml:lang="vi"')
        r.shuffle(out)
        return out

    def element(self, depth, scope, default):
        """scope: prefix -> uri in scope (for prefixed names); default: the
        default namespace in scope ("" for none)."""
        r = self.rnd
        decls = []
        scope = dict(scope)
        if r.random() < 0.3:
            p = r.choice(PREFIXES[:4])
            u = r.choice(URIS)
            decls.append('xmlns:%s="%s"' % (p, u))
            scope[p] = u
        if r.random() < 0.15:
            nd = r.choice(["", r.choice(URIS)])
            if nd or default:
                decls.append('xmlns="%s"' % nd)
                default = nd
        pfx = r.choice([p for p in scope if p != "edXML"] + [None, None])
        name = (pfx + ":" if pfx else "") + r.choice(["Item", "Data", "v", "Ghi-chu", "x.y"])
        attrs = self.attrs(scope)
        sp = r.choice([" ", "  ", "\n  ", "\t"])
        head = "<" + name + "".join(sp + a for a in decls + attrs) + r.choice(["", " ", "\n"])
        if depth > 3 or r.random() < 0.2:
            return head + "/>"
        body = []
        for _ in range(r.randint(0, 4)):
            k = r.random()
            if k < 0.35:
                body.append(self.text())
            elif k < 0.45:
                body.append("<![CDATA[" + r.choice(["a<b & c", "]]", "x\ny", "&amp;"]) + "]]>")
            elif k < 0.55:
                body.append("<!--" + r.choice([" c ", "", "x-y", "văn"]) + "-->")
            elif k < 0.6:
                body.append("<?pi" + r.choice(["", " data", " d  e "]) + "?>")
            else:
                body.append(self.element(depth + 1, scope, default))
        return head + ">" + "".join(body) + "</" + name + ">"

    def build(self, c14n, si_c14n, digest, method, sig_prefix, ref_list, si_list, default_edxml):
        r = self.rnd
        top = {"edXML": EDXML_NS}
        root_decls = ['xmlns:%s="%s"' % (p, URIS[i]) for i, p in enumerate(PREFIXES[:4]) if r.random() < 0.4]
        for d in root_decls:
            p, u = re.match(r'xmlns:(\w+)="([^"]+)"', d).groups()
            top[p] = u
        if default_edxml:
            e = ""
            root_open = '<edXML xmlns="%s"%s>' % (EDXML_NS, "".join(" " + d for d in root_decls))
        else:
            e = "edXML:"
            root_open = '<edXML:edXML xmlns:edXML="%s"%s>' % (EDXML_NS, "".join(" " + d for d in root_decls))
        dflt = EDXML_NS if default_edxml else ""
        ws = lambda: r.choice(["", "\n", "\n  ", " "])  # noqa: E731
        prolog = r.choice(['<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>', ""])
        prolog += r.choice(["", "<!-- trước -->\n", "<?before x?>", "\n"])
        header_items = []
        for _ in range(r.randint(1, 3)):
            header_items.append(ws() + self.element(1, top, dflt))
        marker = '<%sSubject mk="v%d">MARK%d %s</%sSubject>' % (e, self.n, self.n, self.text(), e)
        tns = '<t:Tns xmlns:t="urn:x:tamper">n</t:Tns>' if r.random() < 0.5 else \
              '<Unused xmlns:t="urn:x:tamper">n</Unused>'
        body_items = [ws() + marker, ws() + tns]
        for _ in range(r.randint(1, 4)):
            body_items.append(ws() + self.element(1, top, dflt))
        if self.size_hint:
            chunk = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw" * 2
            n = max(1, self.size_hint // (len(chunk) + 1))
            body_items.append("<%sAttachment>%s</%sAttachment>" % (e, "\n".join([chunk] * n), e))
        ds = sig_prefix + ":" if sig_prefix else ""
        xmlns_ds = ' xmlns%s="%s"' % (":" + sig_prefix if sig_prefix else "", DSIG_NS)

        def incl(lst):
            return ('<ec:InclusiveNamespaces xmlns:ec="%s" PrefixList="%s"/>' % (EXC, lst)) if lst is not None else ""

        sig = ('<{d}Signature{x}><{d}SignedInfo><{d}CanonicalizationMethod Algorithm="{cm}">{sil}'
               '</{d}CanonicalizationMethod><{d}SignatureMethod Algorithm="{sm}"/><{d}Reference URI="">'
               '<{d}Transforms><{d}Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
               '<{d}Transform Algorithm="{tm}">{rl}</{d}Transform></{d}Transforms>'
               '<{d}DigestMethod Algorithm="{dm}"/><{d}DigestValue></{d}DigestValue></{d}Reference></{d}SignedInfo>'
               '<{d}SignatureValue/><{d}KeyInfo><{d}X509Data><{d}X509Certificate/></{d}X509Data></{d}KeyInfo>'
               '</{d}Signature>').format(d=ds, x=xmlns_ds, cm=C14N[si_c14n], sil=incl(si_list), sm=METHOD[method],
                                         tm=C14N[c14n], rl=incl(ref_list), dm=DIGEST[digest])
        epilog = r.choice(["", "\n<!-- sau -->", "<?after?>\n", "\n"])
        root_close = "</edXML:edXML>" if e else "</edXML>"
        return (prolog + root_open + ws() + "<%sedXMLEnvelope>" % e + ws() + "<%sedXMLHeader>" % e +
                "".join(header_items) + ws() + sig + ws() + "</%sedXMLHeader>" % e + ws() +
                "<%sedXMLBody>" % e + "".join(body_items) + ws() + "</%sedXMLBody>" % e + ws() +
                "</%sedXMLEnvelope>" % e + ws() + root_close + epilog)


def templates(seed, count, size_hint=0):
    """count templates: [(name, kind, text)], kind "rsa" or "ec"."""
    rnd = random.Random(seed)
    out = []
    for n in range(count):
        d = Doc(rnd, n, size_hint)
        c14n = rnd.choice(list(C14N))
        si_c14n = rnd.choice(list(C14N))
        kind = "ec" if rnd.random() < 0.15 else "rsa"
        if kind == "ec":
            digest, method = "sha256", "ecdsa-sha256"
        else:
            digest = rnd.choice(["sha256", "sha256", "sha1", "sha512"])
            method = "rsa-sha1" if digest == "sha1" else "rsa-sha256"
        lists = [None, "", "#default", "a", "a b", "edXML ns1", "#default q t"]
        ref_list = rnd.choice(lists) if c14n.startswith("exc") else None
        si_list = rnd.choice(lists) if si_c14n.startswith("exc") else None
        text = d.build(c14n, si_c14n, digest, method, rnd.choice(["", "ds", "dsig"]), ref_list, si_list,
                       rnd.random() < 0.3)
        out.append(("p%04d" % n, kind, text))
    return out


def sign_all(xmlsec1, keys, tmpls, where):
    """Signs each template with xmlsec1 (one run per key kind); returns
    {name: signed text}."""
    signed = {}
    for kind in ("rsa", "ec"):
        batch = [(nm, t) for nm, k, t in tmpls if k == kind]
        if not batch:
            continue
        files = []
        for nm, t in batch:
            path = os.path.join(where, nm + ".tmpl.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(t)
            files.append(path)
        key, cert = keys[kind]
        p = subprocess.run([xmlsec1, "--sign", "--privkey-pem", key + "," + cert, *files], capture_output=True)
        if p.returncode != 0:
            raise RuntimeError("xmlsec1 --sign: " + p.stderr.decode(errors="replace")[-2000:])
        docs = re.split(rb'(?=<\?xml version="1\.0")', p.stdout)
        docs = [d for d in docs if d.strip()]
        if len(docs) != len(batch):
            raise RuntimeError("xmlsec1 --sign gave %d documents for %d templates" % (len(docs), len(batch)))
        for (nm, _), d in zip(batch, docs):
            signed[nm] = d
    return signed


def _swap_b64(data, tag_re):
    m = re.search(tag_re, data)
    if not m:
        return None
    s, e = m.span(1)
    v = data[s:e]
    i = next(i for i in range(len(v)) if v[i:i + 1].isalnum())
    c = v[i:i + 1]
    return data[:s + i] + (b"B" if c != b"B" else b"C") + data[s + i + 1:]


def variants(name, data, rnd=None, tampered=2, harmless=2):
    """The package itself and edits of it: [(name, data)]. Each edit either
    changes what is signed or changes nothing canonical; the verdicts say
    which, and must agree. With rnd, only `tampered` edits of the first
    kind (text, attr, ns, prefix, siginfo, sigvalue) and `harmless` of the
    second (moved, comment, trail, utf16) are kept, at random: each tampered
    package costs xmlsec1 a run of its own."""
    out = [(name, data)]
    num = int(name[1:])

    def sub(tag, old, new, count=1):
        if old in data:
            out.append((name + "-" + tag, data.replace(old, new, count)))
            return True
        return False

    sub("text", b"MARK%d" % num, b"MARX%d" % num)
    sub("attr", b'mk="v%d"' % num, b'mk="w%d"' % num)
    sub("ns", b'"urn:x:tamper"', b'"urn:x:tampered"')
    if sub("prefix", b"t:Tns", b"u:Tns", -1):
        out[-1] = (out[-1][0], out[-1][1].replace(b'xmlns:t="urn:x:tamper"', b'xmlns:u="urn:x:tamper"'))
    sd = _swap_b64(data, rb"DigestValue>([^<]+)<")
    if sd:
        out.append((name + "-siginfo", sd))
    sv = _swap_b64(data, rb"SignatureValue>([^<]+)<")
    if sv:
        out.append((name + "-sigvalue", sv))
    # the signature moved to the header's start: the rest is unchanged
    m = re.search(rb"<(\w+:)?Signature[ >].*</(\w+:)?Signature>", data, re.S)
    h = re.search(rb"<(\w+:)?edXMLHeader>", data)
    if m and h:
        moved = data[:m.start()] + data[m.end():]
        moved = moved[:h.end()] + data[m.start():m.end()] + moved[h.end():]
        out.append((name + "-moved", moved))
    # insignificant: a comment inside the subject text, a newline after the root
    sub("comment", b"MARK%d" % num, b"MA<!-- x -->RK%d" % num)
    if data.rstrip().endswith(b">"):
        out.append((name + "-trail", data.rstrip() + b"\n\n"))
    # the same document in UTF-16: canonical XML is UTF-8 whatever the input
    body = re.sub(rb"^<\?xml[^>]*\?>", b"", data)
    out.append((name + "-utf16", ('<?xml version="1.0" encoding="UTF-16"?>' + body.decode()).encode("utf-16")))
    if rnd is None:
        return out
    bad = [v for v in out[1:] if v[0].rsplit("-", 1)[1] in ("text", "attr", "ns", "prefix", "siginfo", "sigvalue")]
    good = [v for v in out[1:] if v not in bad]
    return [out[0]] + rnd.sample(bad, min(tampered, len(bad))) + rnd.sample(good, min(harmless, len(good)))
