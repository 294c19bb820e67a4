#!/usr/bin/env python3
"""Integration test: the security headers of every reply (issue 17, "The
web interface").

Every page, asset and API reply, errors, 304s, the unit look-up cache's
replies, the VXP envelope and the 413 written straight on the socket,
carries a Content-Security-Policy that lets in only the hub's own scripts,
styles and images (no inline script or style, no other origin),
`frame-ancestors 'none'`, `Referrer-Policy: no-referrer` and
`X-Content-Type-Options: nosniff`. And the web interface's own files hold
nothing that policy would block: no inline script, event-handler attribute
or style attribute in index.html, no style attribute set by the scripts.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import glob
import html.parser
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB, parse_raw_reply  # noqa: E402


def csp_directives(value):
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


class Headers(ltd.DaemonTest):

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_daemon_headers_")
        try:
            cls.admin = cls.reg.token("admin", name="headers")
            cls.system = cls.reg.system_add("QLVB Cao Bằng", CB)
            cls.d = ltd.Daemon(cls.reg, MAX_BODY_BYTES=1024).start()
        except Exception:
            cls.reg.close()
            raise

    def assertSecure(self, headers, what):
        get = headers.get if hasattr(headers, "get") else dict(headers).get
        csp = get("Content-Security-Policy") or get("content-security-policy")
        self.assertTrue(csp, f"{what}: no Content-Security-Policy")
        d = csp_directives(csp)
        self.assertEqual(d.get("default-src"), ["'none'"], f"{what}: {csp}")
        self.assertEqual(d.get("script-src"), ["'self'"], f"{what}: {csp}")
        self.assertEqual(d.get("style-src"), ["'self'"], f"{what}: {csp}")
        self.assertEqual(d.get("frame-ancestors"), ["'none'"], f"{what}: {csp}")
        self.assertEqual(d.get("base-uri"), ["'none'"], f"{what}: {csp}")
        for name, sources in d.items():
            for s in sources:
                self.assertNotIn(s, ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "blob:"),
                                 f"{what}: {name} allows {s}")
            if name != "img-src":
                self.assertNotIn("data:", sources, f"{what}: {name} allows data:")
        self.assertEqual((get("Referrer-Policy") or get("referrer-policy") or "").lower(), "no-referrer", what)
        self.assertEqual((get("X-Content-Type-Options") or get("x-content-type-options") or "").lower(), "nosniff",
                         what)

    def test_pages_assets_and_api_replies(self):
        etag = None
        for path, status, token in (("/", 200, None), ("/search?q=cao", 200, None), (f"/units/{CB}", 200, None),
                                    ("/manage", 200, None), ("/assets/app.js", 200, None),
                                    ("/assets/app.css", 200, None), ("/vendor/chart.umd.min.js", 200, None),
                                    ("/assets/nothing.js", 404, None), (f"/v1/units/{CB}", 200, None),
                                    (f"/v1/units/{CB}", 200, None),  # the look-up cache's copy
                                    (f"/v1/units/{CB}/children", 200, None), ("/v1/units/bad", 400, None),
                                    ("/v1/me", 401, None), ("/v1/me", 200, self.admin), ("/v1/systems", 401, None),
                                    ("/healthz", 200, None), ("/metrics", 200, None), ("/openapi.json", 200, None),
                                    ("/no/such/path", 404, None), ("/v1/me?token=x", 401, None)):
            r = self.d.get(path, token=token)
            self.assertStatus(r, status, path)
            self.assertSecure(r.headers, f"GET {path}")
            if path == f"/v1/units/{CB}":
                etag = r.header("ETag")
        r = self.d.get(f"/v1/units/{CB}", headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertSecure(r.headers, "304")
        r = self.d.request("DELETE", f"/v1/units/{CB}", token=self.admin)
        self.assertStatus(r, 405)
        self.assertSecure(r.headers, "405")
        r = self.d.patch(f"/v1/units/{CB}", {"email": "vp@caobang.gov.vn"}, token=self.admin)
        self.assertStatus(r, 200)
        self.assertSecure(r.headers, "PATCH")
        r = self.d.post("/vxp/getAgenciesList", b"")
        self.assertStatus(r, 401)
        self.assertEqual(r.json()["status"], "FAIL")
        self.assertSecure(r.headers, "VXP envelope")

    def test_replies_written_on_the_socket(self):
        """The 413 of a body that keeps coming, written straight on the
        socket, and the 400 of a smuggling attempt carry the headers too."""
        head = (b"POST /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + self.admin.encode() +
                b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(64)) + b"0\r\n\r\n"
        out, _ = self.d.raw(head + body, read_timeout=10)
        st, headers, _ = parse_raw_reply(out)
        self.assertEqual(st, 413, out[:300])
        self.assertSecure(headers, "early 413")
        out, _ = self.d.raw(b"POST /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", read_timeout=10)
        st, headers, _ = parse_raw_reply(out)
        self.assertEqual(st, 400, out[:300])
        self.assertSecure(headers, "400 framing")

    def test_web_files_hold_nothing_the_policy_blocks(self):
        """index.html has no inline script, handler attribute or style; the
        scripts set no style attribute and build no HTML from strings."""
        web = os.path.join(ltd.SOURCE_DIR, "web")

        class Scan(html.parser.HTMLParser):
            def __init__(self):
                super().__init__()
                self.bad = []
                self.tag = None

            def handle_starttag(self, tag, attrs):
                self.tag = tag
                a = dict(attrs)
                if tag == "script" and not a.get("src"):
                    self.bad.append("inline <script>")
                if tag == "style":
                    self.bad.append("<style>")
                for k, v in attrs:
                    if k.startswith("on") or k == "style":
                        self.bad.append(f"<{tag} {k}=…>")
                    if k in ("href", "src") and v and v.strip().lower().startswith("javascript:"):
                        self.bad.append(f"<{tag} {k}=javascript:…>")
                    if k in ("src", "href") and v and re.match(r"(?i)(https?:)?//", v.strip()):
                        self.bad.append(f"<{tag} {k}={v}> from another origin")

        scan = Scan()
        with open(os.path.join(web, "index.html"), encoding="utf-8") as f:
            scan.feed(f.read())
        self.assertEqual(scan.bad, [])
        for path in glob.glob(os.path.join(web, "assets", "*.js")):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            name = os.path.basename(path)
            for pattern in (r"\bstyle\s*:\s*['\"`]", r"setAttribute\(\s*['\"]style", r"\.innerHTML\s*=",
                            r"\.outerHTML\s*=", r"insertAdjacentHTML", r"document\.write", r"\beval\(",
                            r"new Function\("):
                self.assertIsNone(re.search(pattern, text), f"{name}: {pattern}")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
