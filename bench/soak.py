"""Soak benchmark (issue 23): mixed traffic against one daemon for a long
time (default 10 minutes), to show that its cost does not grow with what
it has stored and served.

The hub is a fresh `lienthong init --demo` registry with 20,000 generated
units and five connected systems. Eight client threads, each on its own
keep-alive connection, loop over a fixed mix: unit look-ups, name
searches, change-feed pages, sends of small packages (two recipients each),
a receiver's inbox + fetch + acknowledgement, VXP getReceivedEdocList and
getSentEdocList (the SDK's own calls), and exchange statistics. Every 10 s
the daemon's RSS (and its anonymous part), open descriptors and each
request kind's latencies over the interval are recorded.

Reported: `soak_rss` (growth of the daemon's anonymous memory, its heap and
caches, over the last third of the run against the first third's; goal:
under 10%, the memory levels off; the whole RSS, which also counts the
database pages the readers map and grows with the file, is in the note) and `soak_p99` (the
worst ratio, over request kinds, of a kind's p99 in the last minute to its
p99 in the first; goal: at most 2). The time series is in the details,
with the daemon's CPU time per request and the WAL's size every 10 s."""

import http.client
import json
import os
import random
import threading
import time
import urllib.parse

import benchlib
import exchange
import report
from benchlib import BenchError, log

import ltgen  # noqa: E402  (tests/integration, on the path through exchange)
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402

UNITS = 20000
THREADS = 8
SAMPLE_S = 10.0
SYSTEMS = (("000.00.00.G22", "QLVB Văn phòng Chính phủ"), ("000.00.00.H17", "QLVB Đà Nẵng"),
           ("000.00.00.H26", "QLVB Hà Nội"), ("000.00.00.H14", "QLVB Cao Bằng"), ("000.00.00.H29", "QLVB TP HCM"))
MIX = (("lookup", 40), ("search", 12), ("feed", 5), ("send", 10), ("receive", 15), ("vxp_received", 6),
       ("vxp_sent", 6), ("stats", 6))


class Load:
    def __init__(self, port, codes, words, systems):
        self.port, self.codes, self.words, self.systems = port, codes, words, systems
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.lat = {}  # kind -> [ms] of the current interval
        self.errors = {}
        self.number = 0
        self.max_seq = 1

    def record(self, kind, ms, ok):
        with self.lock:
            self.lat.setdefault(kind, []).append(ms)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1

    def take(self):
        with self.lock:
            out, self.lat = self.lat, {}
            return out

    def next_number(self):
        with self.lock:
            self.number += 1
            return self.number

    def request(self, conn, method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, data

    def worker(self, seed):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        vxp = {code: ltvxp.Client("127.0.0.1", self.port, code, s["vxp_secret"]) for code, s in self.systems.items()}
        kinds = [k for k, w in MIX for _ in range(w)]
        codes = list(self.systems)
        while not self.stop.is_set():
            kind = rnd.choice(kinds)
            t0 = time.monotonic()
            ok = True
            try:
                if kind == "lookup":
                    st, _ = self.request(conn, "GET", "/v1/units/" + rnd.choice(self.codes))
                    ok = st == 200
                elif kind == "search":
                    st, _ = self.request(conn, "GET", "/v1/units?q=%s&limit=20" % rnd.choice(self.words))
                    ok = st == 200
                elif kind == "feed":
                    st, _ = self.request(conn, "GET", "/v1/changes?after=%d&limit=100" % rnd.randrange(self.max_seq))
                    ok = st == 200
                elif kind == "send":
                    sender = rnd.choice(codes)
                    to = rnd.sample([c for c in codes if c != sender], 2)
                    n = self.next_number()
                    pkg, _ = ltpkg.edoc(sender, to, number=str(n), notation="SOAK", subject="Công văn thử %d" % n,
                                        attachments=[("phu-luc.pdf", rnd.randbytes(8000))])
                    st, _ = self.request(conn, "POST", "/v1/documents", pkg,
                                         {"Content-Type": "application/xml",
                                          "Authorization": "Bearer " + self.systems[sender]["token"]})
                    ok = st in (200, 201)
                elif kind == "receive":
                    code = rnd.choice(codes)
                    auth = {"Authorization": "Bearer " + self.systems[code]["token"]}
                    st, body = self.request(conn, "GET", "/v1/inbox?kind=edoc&limit=20", headers=auth)
                    ok = st == 200
                    items = json.loads(body)["items"] if ok else []
                    for it in items:  # a receiver takes everything that waits, as real ones do
                        st, _ = self.request(conn, "GET", "/v1/documents/" + it["id"], headers=auth)
                        ok = ok and st == 200
                        st, _ = self.request(conn, "POST", "/v1/documents/%s/ack" % it["id"], b'{"state":"done"}',
                                             dict(auth, **{"Content-Type": "application/json"}))
                        ok = ok and st == 200
                elif kind == "vxp_received":
                    st, _, _ = vxp[rnd.choice(codes)].raw("POST", "getReceivedEdocList",
                                                          {"servicetype": "eDoc", "messagetype": "edoc"}, b"",
                                                          "application/json", False, timeout=60)
                    ok = st == 200
                elif kind == "vxp_sent":
                    st, _, _ = vxp[rnd.choice(codes)].raw("POST", "getSentEdocList",
                                                          {"servicetype": "eDoc", "messagetype": "edoc"}, b"",
                                                          "application/json", False, timeout=60)
                    ok = st == 200
                elif kind == "stats":
                    code = rnd.choice(codes)  # a system reads its own statistics
                    st, _ = self.request(conn, "GET", "/v1/stats/exchange?by=day",
                                         headers={"Authorization": "Bearer " + self.systems[code]["token"]})
                    ok = st == 200
            except (OSError, http.client.HTTPException, ValueError):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.record(kind, (time.monotonic() - t0) * 1000.0, ok)
        conn.close()


def p99(values):
    return benchlib.percentile(values, 99) if values else None


def server_p99(alog):
    """p99 of the daemon's own time per route over the access-log lines
    written since the last call."""
    by = {}
    for line in alog.readlines():
        try:
            e = json.loads(line)
            by.setdefault("%s %s" % (e["method"], e.get("route") or "-"), []).append(e["ms"])
        except (ValueError, KeyError):
            continue
    return {k: round(p99(v), 2) for k, v in by.items()}


def cpu_seconds(pid):
    """The daemon's user + system CPU time so far (/proc/PID/stat)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def file_kb(path):
    try:
        return os.stat(path).st_size // 1024
    except OSError:
        return 0


def run(ctx):
    seconds = ctx.soak_seconds
    hub = exchange.Hub(ctx.tmp, "soak")
    # The demo registry already holds some of the generated codes (a
    # ministry's departments): those rows are left out, their children
    # hang under the demo's units of the same code.
    import csv
    import io
    known = {r["code"] for r in csv.DictReader(io.StringIO(exchange.cli(hub.env, "export")))}
    rows = [r for r in ltgen.tree(benchlib.ROOT, UNITS)[len(ltgen.level1_rows(benchlib.ROOT)):]
            if r["code"] not in known]
    csv_path = os.path.join(hub.dir, "units.csv")
    ltgen.write_csv(rows, csv_path)
    exchange.cli(hub.env, "import", csv_path)
    codes = [r["code"] for r in rows]
    words = sorted({w for r in rows[:2000] for w in r["name"].split() if len(w) > 3})[:200] or ["Sở"]
    systems = {}
    for code, name in SYSTEMS:
        systems[code] = json.loads(exchange.cli(hub.env, "system", "add", "--name", name, "--code", code, "--json"))
    d = benchlib.Daemon(hub.dir, hub.db, ctx.threads, name="soak")
    # The access log says how long the daemon itself took for each request,
    # by route: a kind that slows down there is the daemon's doing, one that
    # slows only at the client is waiting for a thread.
    access = os.path.join(hub.dir, "soak-access.log")
    d.env["LIENTHONG_ACCESS_LOG"] = access
    d.start()
    alog = open(access, encoding="utf-8", errors="replace")
    load = Load(d.port, codes, [urllib.parse.quote(w) for w in words], systems)
    st, body = benchlib.http_get(d.port, "/v1/changes?after=0&limit=1")
    try:
        load.max_seq = max(1, int(json.loads(body).get("last_seq", 1)))
    except (ValueError, AttributeError):
        load.max_seq = 1
    log("soak: %d s of mixed traffic, %d client threads, %d units" % (seconds, THREADS, UNITS))
    threads = [threading.Thread(target=load.worker, args=(i,), daemon=True) for i in range(THREADS)]
    series = []
    t_start = time.monotonic()
    try:
        for t in threads:
            t.start()
        next_sample = t_start + SAMPLE_S
        cpu_before = cpu_seconds(d.pid)
        while time.monotonic() - t_start < seconds:
            time.sleep(max(0.0, next_sample - time.monotonic()))
            next_sample += SAMPLE_S
            lat = load.take()
            fds = len(os.listdir("/proc/%d/fd" % d.pid))
            cpu = cpu_seconds(d.pid)
            n = sum(len(v) for v in lat.values())
            # CPU per client request (a receive is several HTTP requests)
            # and the WAL's size: on a shared machine these say whether the
            # daemon's own work per request grows, where latencies also
            # follow the other processes' load.
            point = {"t": round(time.monotonic() - t_start, 1),
                     "rss_kb": benchlib.proc_status_kb(d.pid, "VmRSS"),
                     "rss_anon_kb": benchlib.proc_status_kb(d.pid, "RssAnon"), "fds": fds,
                     "requests": {k: len(v) for k, v in lat.items()},
                     "cpu_ms_per_request": round((cpu - cpu_before) * 1000.0 / n, 3) if n else None,
                     "wal_kb": file_kb(hub.db + "-wal"),
                     "p99_ms": {k: round(p99(v), 2) for k, v in lat.items() if v},
                     "server_p99_ms": server_p99(alog)}
            cpu_before = cpu
            series.append(point)
            log("soak: t=%4.0fs RSS %6.1f MB (anon %6.1f) fds %d, %d requests, %s ms CPU each, WAL %d kB" % (
                point["t"], point["rss_kb"] / 1024.0, point["rss_anon_kb"] / 1024.0, fds,
                sum(point["requests"].values()), point["cpu_ms_per_request"], point["wal_kb"]))
    finally:
        load.stop.set()
        for t in threads:
            t.join(60)
        d.stop()
        alog.close()
    if len(series) < 6:
        raise BenchError("the soak ran too short to judge (%d samples): give it a minute at least" % len(series))
    third = len(series) // 3
    last = series[-third:]
    g_first = series[third]["rss_anon_kb"] - series[0]["rss_anon_kb"]
    g_last = last[-1]["rss_anon_kb"] - last[0]["rss_anon_kb"]
    per_minute = max(1, int(60 / SAMPLE_S))
    drift = {}
    for kind, _ in MIX:
        a = [p["p99_ms"][kind] for p in series[:per_minute] if kind in p["p99_ms"]]
        b = [p["p99_ms"][kind] for p in series[-per_minute:] if kind in p["p99_ms"]]
        if a and b:
            drift[kind] = (max(b), max(a))
    worst = max(drift.items(), key=lambda kv: kv[1][0] / max(kv[1][1], 0.001)) if drift else None
    server_drift = {}
    for route in sorted({r for p in series for r in p["server_p99_ms"]}):
        a = [p["server_p99_ms"][route] for p in series[:per_minute] if route in p["server_p99_ms"]]
        b = [p["server_p99_ms"][route] for p in series[-per_minute:] if route in p["server_p99_ms"]]
        if a and b:
            server_drift[route] = {"first_minute_ms": max(a), "last_minute_ms": max(b)}
    cpu = {}
    for name, part in (("first_minute", series[:per_minute]), ("last_minute", series[-per_minute:])):
        n = sum(sum(p["requests"].values()) for p in part)
        spent = sum(p["cpu_ms_per_request"] * sum(p["requests"].values()) for p in part
                    if p["cpu_ms_per_request"] is not None)
        cpu[name] = round(spent / n, 3) if n else None
    total = sum(sum(p["requests"].values()) for p in series)
    errors = dict(load.errors)
    results = [
        report.result("soak_rss", g_last / 1024.0, "MB", "anonymous memory's growth over the first third of the run",
                      max(g_first, 1) / 1024.0, "growth in the last third < 10% of the first third's",
                      lambda v, ratio: ratio is not None and ratio < 0.10,
                      note="%d s, %d requests (%s errors); RSS %.1f → %.1f MB, anonymous %.1f → %.1f MB, "
                           "descriptors %d → %d" % (
                               seconds, total, sum(errors.values()), series[0]["rss_kb"] / 1024.0,
                               series[-1]["rss_kb"] / 1024.0, series[0]["rss_anon_kb"] / 1024.0,
                               series[-1]["rss_anon_kb"] / 1024.0, series[0]["fds"], series[-1]["fds"])),
    ]
    if worst:
        kind, (b, a) = worst
        results.append(report.result(
            "soak_p99", b, "ms", "the same kind's p99 in the first minute (%s)" % kind, a,
            "every kind's last-minute p99 <= 2x its first-minute p99", lambda v, ratio: ratio is not None and
            ratio <= 2.0, note="worst kind %s; per kind last/first: %s; the daemon's CPU per request %s → %s ms" % (
                kind, ", ".join("%s %.1f/%.1f ms" % (k, v[0], v[1]) for k, v in sorted(drift.items())),
                cpu["first_minute"], cpu["last_minute"])))
    return results, {"series": series, "errors": errors, "requests": total,
                     "server_p99_by_route": server_drift, "cpu_ms_per_request": cpu,
                     "wal_kb": {"first": series[0]["wal_kb"], "max": max(p["wal_kb"] for p in series),
                                "last": series[-1]["wal_kb"]}}, None
