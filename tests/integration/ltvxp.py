"""A VXP client that behaves like the real Java SDK (SDKVXP 2.0.1) on the
wire, quirks included (formats.md §3.2, §3.7): parameters as XroadVnpt-
headers signed with HMAC-SHA256 over a compact JSON in Java HashMap order, a
timestamp frozen per client object, keys leaking from earlier calls, sendEdoc
bodies with a trailing CRLF and an unpadded hash-file, `to` as compact JSON
text, `Expect: 100-continue` on getEdoc and updateStatus, and (with
explicit_port_mangling) non-ASCII header values written one byte per
character as its HttpClient does for an endpoint with an explicit port
(sendEdoc goes through HttpURLConnection and is not mangled).

For refusal tests: Client(timestamp=...) freezes a chosen timestamp,
raw(..., mutate=f) lets f rewrite the header list after signing,
send_edoc(..., hash_file=OMIT) leaves hash-file out (the SDK never does), and
chunked(...) sends a body with Transfer-Encoding: chunked.
Standard library only."""
import datetime
import hashlib
import hmac
import http.client
import json
import socket


def java_hash(s):
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def hashmap_order(keys):
    """Iteration order of a java.util.HashMap holding keys inserted in this
    order (default capacity 16, load factor 0.75, resized by doubling)."""
    cap = 16
    while len(keys) > cap * 0.75:
        cap *= 2
    buckets = {}
    for k in keys:
        h = java_hash(k)
        h ^= h >> 16
        buckets.setdefault(h & (cap - 1), []).append(k)
    out = []
    for i in range(cap):
        out.extend(buckets.get(i, []))
    return out


# hash_file=OMIT: a sendEdoc without the hash-file key the SDK always signs.
OMIT = object()

# What HttpURLConnection (used by sendEdoc) sends as Accept when none is set.
LEGACY_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"


def vn_now():
    """The wall clock of an SDK client in Viet Nam (UTC+7, no zone in what it sends)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(hours=7)


def java_timestamp(now=None):
    now = now or vn_now()
    return now.strftime("%d%m%YT%H%M%S") + "+%04d" % (now.microsecond // 1000)


class Client:
    def __init__(self, host, port, systemid, secret, base="/vxp", leak=True, explicit_port_mangling=False,
                 timestamp=None):
        self.host, self.port, self.base = host, port, base
        self.secret = secret
        self.map = {}                 # the SDK's never-cleared header map
        self.order = []               # insertion order, for HashMap iteration
        self.leak = leak
        # Frozen for the life of the object; a datetime or a ready string.
        if isinstance(timestamp, datetime.datetime):
            timestamp = java_timestamp(timestamp)
        self.timestamp = timestamp or java_timestamp()
        self.mangle = explicit_port_mangling
        self.saw_continue = False     # whether the last Expect call got 100 Continue first
        self.last_keys, self.last_sign = [], ""
        self.signed_timestamps = []   # the timestamp signed in each call, in order
        # The constructor puts these two; every call then puts Content-Type
        # and its own keys. With HashMap buckets this reproduces the key
        # orders observed on the wire (§3.7).
        self._put("systemid", systemid)
        self._put("timestamp", self.timestamp)

    def _put(self, k, v):
        if k not in self.map:
            self.order.append(k)
        self.map[k] = v

    def headers_for(self, params, content_type):
        if not self.leak:
            systemid = self.map["systemid"]
            self.map, self.order = {}, []
            self._put("systemid", systemid)
            self._put("timestamp", self.timestamp)
        self._put("Content-Type", content_type)
        for k, v in params.items():
            self._put(k, v)
        keys = hashmap_order(self.order)
        sign = "{" + ",".join(json.dumps("XroadVnpt-" + k) + ":" + json.dumps(self.map[k], ensure_ascii=False)
                              for k in keys) + "}"
        mac = hmac.new(self.secret.encode(), sign.encode("utf-8"), hashlib.sha256).hexdigest()
        hdrs = [("XroadVnpt-" + k, self.map[k]) for k in keys]
        hdrs += [("Content-Type", content_type), ("XroadVnpt-sign-header-key", ";".join(keys)),
                 ("XroadVnpt-sign-header", sign), ("XroadVnpt-hash-header", mac),
                 ("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP"), ("XroadVnpt-version", "3.0.201608"),
                 ("Accept-Encoding", "gzip,deflate"), ("Connection", "Keep-Alive")]
        return hdrs, keys

    def raw(self, method, op, params, body=b"", content_type="application/json", expect=False, timeout=30,
            mutate=None):
        """One call on a fresh connection: (HTTP status, headers, body).
        mutate(list of (name, value)) may return a changed header list
        (applied after signing, for refusal tests)."""
        hdrs, keys = self.headers_for(params, content_type)
        self.last_keys = keys         # the signed key order of this call
        self.last_sign = dict(hdrs)["XroadVnpt-sign-header"]
        self.signed_timestamps.append(json.loads(self.last_sign)["XroadVnpt-timestamp"])
        if op == "sendEdoc":
            # HttpURLConnection, not HttpClient: its own header set.
            hdrs = [h for h in hdrs if h[0] not in ("Accept-Encoding", "Connection")]
            hdrs += [("Cache-Control", "no-cache"), ("Pragma", "no-cache"), ("Accept", LEGACY_ACCEPT),
                     ("Connection", "keep-alive")]
        if mutate:
            hdrs = mutate(list(hdrs))
        mangle = self.mangle and op != "sendEdoc"
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            lines = [f"{method} {self.base}/{op} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            blob = ("\r\n".join(lines) + "\r\n").encode()
            for k, v in hdrs:
                enc = v.encode("latin-1", "replace") if mangle else v.encode("utf-8")
                blob += k.encode() + b": " + enc + b"\r\n"
            if method == "POST":
                blob += f"Content-Length: {len(body)}\r\n".encode()
                if expect:
                    blob += b"Expect: 100-continue\r\n"
            blob += b"\r\n"
            s.sendall(blob)
            self.saw_continue = False
            leftover = b""
            if expect:
                first = _read_response(s)
                if first[0] != 100:
                    return first
                self.saw_continue = True
                leftover = first[2]  # whatever followed the interim reply
            if method == "POST" and body:
                s.sendall(body)
            return _read_response(s, leftover)
        finally:
            s.close()

    def chunked(self, op, params, chunks, content_type="application/json", timeout=30):
        """POST with a chunked body on a fresh connection, as a client with no
        length up front would: (HTTP status, headers, body) of the reply, or
        status 0 when the connection ended without one. A server that
        answers early and closes may cut the upload short; the reply is
        still read."""
        hdrs, _ = self.headers_for(params, content_type)
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            blob = f"POST {self.base}/{op} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode()
            for k, v in hdrs:
                blob += k.encode() + b": " + v.encode("utf-8") + b"\r\n"
            blob += b"Transfer-Encoding: chunked\r\n\r\n"
            try:
                s.sendall(blob)
                for c in chunks:
                    s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
                s.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            out = b""
            while not _complete(out):
                try:
                    b = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not b:
                    break
                out += b
        finally:
            s.close()
        if not out.startswith(b"HTTP/1.1 "):
            return 0, {}, out
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        n = int(headers.get("content-length", len(body)))
        return int(lines[0].split()[1]), headers, body[:n]

    def call(self, op, params=None, body=b"", content_type="application/json", expect=False, mutate=None):
        status, headers, data = self.raw("POST", op, params or {}, body, content_type, expect, mutate=mutate)
        return status, json.loads(data)

    # The SDK's operations, as it sends them.
    def get_agencies(self):
        return self.call("getAgenciesList")

    def send_edoc(self, from_code, data, messagetype="edoc", to=None, hash_file=None, crlf=True, mutate=None):
        """to: a list (sent as ["a","b"]) or a str (sent as "a", quotes
        included), as JSON text without spaces like the SDK's."""
        params = {"servicetype": "eDoc", "messagetype": messagetype,
                  "hash-file": hash_file if hash_file is not None else sdk_hash_file(data), "from": from_code}
        if hash_file is OMIT:
            del params["hash-file"]
        if to is not None:
            params["to"] = json.dumps(to, separators=(",", ":"), ensure_ascii=False)
        body = data + b"\r\n" if crlf else data
        return self.call("sendEdoc", params, body, "application/octet-stream", mutate=mutate)

    def received(self, messagetype="edoc"):
        return self.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": messagetype})

    def sent(self, messagetype="edoc"):
        return self.call("getSentEdocList", {"servicetype": "eDoc", "messagetype": messagetype})

    def download_edoc(self, doc_id):
        """GET downloadEdoc: (HTTP status, headers, raw bytes)."""
        return self.raw("GET", "downloadEdoc", {"docId": doc_id, "filePath": "/tmp/edoc"})

    def count(self, op):
        """countReceiveEdoc / countReceiveStatus: keys as for the list calls, body {}."""
        mt = "status" if op == "countReceiveStatus" else "edoc"
        return self.call(op, {"servicetype": "eDoc", "messagetype": mt}, b"{}")

    def get_edoc(self, doc_id):
        return self.call("getEdoc", {"docId": doc_id, "filePath": "/tmp/edoc"}, b"{}", expect=True)

    def update_status(self, doc_id, status, description=None):
        p = {"docId": doc_id, "status": status}
        if description is not None:
            p["description"] = description
        return self.call("updateStatus", p, b"{}", expect=True)


def sdk_send_result(body):
    """What the SDK's sendEdoc returns to its caller from a reply body: it
    reads DocId without checking it is there, so a reply without the key
    becomes a result of nulls, the hub's ErrorCode and ErrorDesc lost."""
    try:
        r = json.loads(body)
        return {"status": r["status"], "ErrorCode": r["ErrorCode"], "ErrorDesc": r["ErrorDesc"],
                "DocId": r["DocId"]}
    except (KeyError, TypeError, ValueError):
        return {"status": None, "ErrorCode": None, "ErrorDesc": None, "DocId": None}


def sdk_hash_file(data):
    """SHA-256 rendered per byte with Integer.toHexString: no zero padding."""
    return "".join("%x" % b for b in hashlib.sha256(data).digest())


def _complete(data):
    """Whether data holds a whole reply with a Content-Length."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v)
    return False


def _read_response(s, buf=b""):
    """(status, lower-case headers, body) of one reply; for a 100 the body is
    whatever bytes already followed it."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a reply")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status == 100:
        return status, headers, rest
    n = int(headers.get("content-length", "0"))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        data = rest
        while not data.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        body, out = data, b""
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out += body[:size]
            body = body[size + 2:]
        return status, headers, out
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]
