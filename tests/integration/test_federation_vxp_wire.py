"""The relay worker's VXP client against the SDK's recorded forms: a
provincial hub whose upstream is a capture server on loopback (speaking the
axis's replies) relays a document and takes one in; every request it makes
is compared with what tests/integration/ltvxp.py, the Python model of the
Java SDK, would send for the same call and timestamp: the signed key order
(the orders observed on the wire), the sign string, the HMAC, the header
set, the body (raw file + CRLF for sendEdoc, {} with Expect: 100-continue
for getEdoc and updateStatus, nothing for the list), the unpadded hash-file.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402
import ltx  # noqa: E402

SECRET = "vxp_0123456789abcdef-secret"
SYSTEMID = ltx.H14
LOCAL = ltd.CB_TU_PHAP


class Capture(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls = []
    inbound = {}      # docId -> package bytes offered by getReceivedEdocList
    acked = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        op = self.path.rsplit("/", 1)[-1]
        Capture.calls.append({"path": self.path, "op": op, "headers": list(self.headers.items()), "body": body})
        out = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success"}
        if op == "sendEdoc":
            out["DocId"] = "4711"
        elif op == "getReceivedEdocList":
            mt = dict((k.lower(), v) for k, v in self.headers.items()).get("xroadvnpt-messagetype")
            out["data"] = [{"docId": k, "messageType": "edoc"} for k in Capture.inbound] if mt == "edoc" else []
        elif op == "getEdoc":
            doc = json.loads(dict((k.lower(), v) for k, v in self.headers.items())["xroadvnpt-sign-header"])
            out["data"] = base64.b64encode(Capture.inbound[doc["XroadVnpt-docId"]]).decode()
        elif op == "updateStatus":
            signed = json.loads(dict((k.lower(), v) for k, v in self.headers.items())["xroadvnpt-sign-header"])
            Capture.acked.append((signed["XroadVnpt-docId"], signed["XroadVnpt-status"]))
            Capture.inbound.pop(signed["XroadVnpt-docId"], None)
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def header(call, name):
    for k, v in call["headers"]:
        if k.lower() == name.lower():
            return v
    return None


class VxpWire(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.reg = ltd.Registry(prefix="lt_test_vxpwire_")
        cls.tok = cls.reg.system_add("QLVB Sở Tư pháp", LOCAL)["token"]
        url = f"http://127.0.0.1:{cls.srv.server_address[1]}/vxp"
        cls.d = ltd.Daemon(cls.reg, LOCAL_SCOPE=ltx.H14, UPSTREAM_URL=url, UPSTREAM_PROTOCOL="vxp",
                           UPSTREAM_SYSTEM_ID=SYSTEMID, UPSTREAM_SECRET=SECRET, RELAY_BACKOFF_MAX="1",
                           UPSTREAM_POLL_WAIT="1").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.srv.shutdown()
        cls.reg.close()

    def wait_call(self, op, pred=lambda c: True, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for c in list(Capture.calls):
                if c["op"] == op and pred(c):
                    return c
            time.sleep(0.05)
        raise AssertionError(f"no {op} call within {timeout}s: {[c['op'] for c in Capture.calls]}")

    def assertLikeSdk(self, call, op, params, content_type, body, expect):
        """The request is what ltvxp.Client (the SDK's model) sends for op
        with these parameters and the timestamp this client froze."""
        signed = json.loads(header(call, "XroadVnpt-sign-header"))
        sdk = ltvxp.Client("127.0.0.1", 1, SYSTEMID, SECRET, leak=False, timestamp=signed["XroadVnpt-timestamp"])
        want, keys = sdk.headers_for(params, content_type)
        want = dict(want)
        self.assertEqual(call["path"], f"/vxp/{op}")
        self.assertEqual(header(call, "XroadVnpt-sign-header-key"), ";".join(keys), op)
        self.assertEqual(header(call, "XroadVnpt-sign-header"), want["XroadVnpt-sign-header"], op)
        self.assertEqual(header(call, "XroadVnpt-hash-header"), want["XroadVnpt-hash-header"], op)
        mac = hmac.new(SECRET.encode(), header(call, "XroadVnpt-sign-header").encode(), hashlib.sha256).hexdigest()
        self.assertEqual(header(call, "XroadVnpt-hash-header"), mac)
        for k in keys:
            self.assertEqual(header(call, "XroadVnpt-" + k), want["XroadVnpt-" + k], k)
        for k in ("Content-Type", "User-Agent", "XroadVnpt-version"):
            self.assertEqual(header(call, k), want[k], k)
        self.assertEqual(call["body"], body, op)
        self.assertEqual(header(call, "Expect") == "100-continue", expect, op)
        self.assertIsNone(header(call, "Authorization"))
        self.assertNotIn(SECRET, json.dumps(call["headers"]))
        return keys

    def test_send_edoc(self):
        data, docid = ltpkg.edoc(LOCAL, [ltx.G22], number="77")
        r = ltx.send(self.d, self.tok, data)
        self.assertStatus(r, 201)
        call = self.wait_call("sendEdoc")
        params = {"servicetype": "eDoc", "messagetype": "edoc", "hash-file": ltvxp.sdk_hash_file(data), "from": LOCAL}
        keys = self.assertLikeSdk(call, "sendEdoc", params, "application/octet-stream", data + b"\r\n", False)
        self.assertEqual(";".join(keys), "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type")
        self.assertEqual(header(call, "Cache-Control"), "no-cache")
        self.assertEqual(header(call, "Accept"), ltvxp.LEGACY_ACCEPT)
        # The trace says relayed, with the axis's DocId.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            (rec,) = self.d.get(f"/v1/documents/{r.json()['id']}/trace", token=self.tok).json()["recipients"]
            if rec["state"] == "relayed":
                break
            time.sleep(0.05)
        self.assertEqual(rec["state"], "relayed")
        self.assertIn("relayed upstream as 4711", rec["reason"])
        # One client object: the same frozen timestamp on every call.
        stamps = {json.loads(header(c, "XroadVnpt-sign-header"))["XroadVnpt-timestamp"] for c in Capture.calls}
        self.assertEqual(len(stamps), 1, stamps)

    def test_receive_loop(self):
        lst = self.wait_call("getReceivedEdocList")
        keys = self.assertLikeSdk(lst, "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": header(
            lst, "XroadVnpt-messagetype")}, "application/json", b"", False)
        self.assertEqual(";".join(keys), "systemid;servicetype;messagetype;timestamp;Content-Type")
        data, docid = ltpkg.edoc(ltx.G22, [LOCAL], number="88", subject="Từ trục quốc gia")
        Capture.inbound["9001"] = data
        get = self.wait_call("getEdoc")
        self.assertLikeSdk(get, "getEdoc", {"docId": "9001", "filePath": json.loads(header(
            get, "XroadVnpt-sign-header"))["XroadVnpt-filePath"]}, "application/json", b"{}", True)
        upd = self.wait_call("updateStatus")
        keys = self.assertLikeSdk(upd, "updateStatus", {"docId": "9001", "status": "done"}, "application/json",
                                  b"{}", True)
        self.assertEqual(";".join(keys), "systemid;docId;timestamp;Content-Type;status")
        self.assertIn(("9001", "done"), Capture.acked)
        items = ltx.inbox_all(self.d, self.tok)
        mine = [i for i in items if i["document_id"] == docid]
        self.assertEqual(len(mine), 1, items)
        self.assertEqual(self.d.get(f"/v1/documents/{mine[0]['id']}", token=self.tok).body, data)
        # A package in the name of a local unit is refused here and failed upstream.
        forged, _ = ltpkg.edoc(ltd.CB_Y_TE, [LOCAL], number="89")
        Capture.inbound["9002"] = forged
        self.wait_call("updateStatus", lambda c: json.loads(header(c, "XroadVnpt-sign-header"))[
            "XroadVnpt-docId"] == "9002")
        self.assertIn(("9002", "fail"), Capture.acked)
        self.assertEqual(len([i for i in ltx.inbox_all(self.d, self.tok) if i["from"] == ltd.CB_Y_TE]), 0)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
