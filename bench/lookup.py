"""Catalogue look-up benchmark: GET /v1/units/{code} for codes picked at
random (by wrk) from a sample of the 100,000-unit registry, against nginx
serving the very same JSON bytes from files, in alternating rounds with the
same wrk settings (64 connections, 2 threads)."""
import http.client
import os

import perf_profile
from benchlib import BenchError, Daemon, Nginx, http_get, log, write_paths, wrk
from report import result


def fetch_bodies(daemon, codes, www):
    """Each sampled unit's JSON from the daemon, once, into www/v1/units/CODE."""
    d = os.path.join(www, "v1", "units")
    os.makedirs(d, exist_ok=True)
    c = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    total = 0
    for code in codes:
        c.request("GET", "/v1/units/" + code)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            raise BenchError("GET /v1/units/%s answered %d: %r" % (code, r.status, body[:200]))
        with open(os.path.join(d, code), "wb") as f:
            f.write(body)
        total += len(body)
    c.close()
    return total / max(1, len(codes))


def combine(runs):
    """Rounds of one server: req/s over all of them, mean of the p50/p99."""
    req = sum(r["requests"] for r in runs)
    dur = sum(r["duration_us"] for r in runs) / 1e6
    n = len(runs)
    cores = sum(r.get("server_cpu_cores", 0) for r in runs) / n
    return {"rps": req / dur, "cpu_us_per_request": cores / (req / dur) * 1e6,
            "p50_ms": sum(r["p50_us"] for r in runs) / n / 1000.0,
            "p99_ms": sum(r["p99_us"] for r in runs) / n / 1000.0,
            "server_cpu_cores": cores,
            "requests": req, "errors": sum(r["errors"] for r in runs)}


def run(ctx, db):
    paths = ["/v1/units/" + c for c in ctx.sample_codes]
    paths_file = write_paths(os.path.join(ctx.tmp, "lookup.paths"), paths)
    www = os.path.join(ctx.tmp, "www")
    daemon = Daemon(ctx.tmp, db, ctx.threads, "lienthongd-lookup").start()
    nginx = None
    try:
        log("fetching %d units' JSON from the daemon for nginx" % len(paths))
        avg_bytes = fetch_bodies(daemon, ctx.sample_codes, www)
        nginx = Nginx(ctx.tmp, www, workers=2).start()
        for code in ctx.sample_codes[:50]:
            a, b = http_get(daemon.port, "/v1/units/" + code), http_get(nginx.port, "/v1/units/" + code)
            if a != b:
                raise BenchError("nginx and the daemon answer /v1/units/%s differently" % code)
        log("warm-up (2 s each)")
        wrk(nginx.url(), paths_file, 2, server=nginx)
        wrk(daemon.url(), paths_file, 2, server=daemon)
        runs = {"lienthongd": [], "nginx": []}
        for i in range(ctx.rounds):
            order = [("nginx", nginx), ("lienthongd", daemon)]
            if i % 2:
                order.reverse()
            for name, srv in order:
                r = wrk(srv.url(), paths_file, ctx.seconds, server=srv)
                runs[name].append(r)
                log("lookup round %d: %-10s %8.0f req/s  p99 %.2f ms  (server CPU %.2f cores)"
                    % (i + 1, name, r["rps"], r["p99_us"] / 1000.0, r["server_cpu_cores"]))
        d, n = combine(runs["lienthongd"]), combine(runs["nginx"])
        rss_d, rss_n = daemon.peak_rss_kb() / 1024.0, nginx.peak_rss_kb() / 1024.0

        prof = None
        if ctx.profile:
            out = os.path.join(ctx.tmp, "perf-lookup.data")
            log("look-up under perf record (%d s)" % ctx.seconds)
            prof = perf_profile.profile_daemon_under_load(
                daemon, out, lambda: wrk(daemon.url(), paths_file, ctx.seconds))
            if not ctx.keep:
                os.remove(out)
    finally:
        if nginx:
            nginx.stop()
        daemon.stop()

    details = {"sample_codes": len(paths), "avg_body_bytes": round(avg_bytes, 1), "daemon_threads": ctx.threads,
               "wrk": "64 connections, 2 threads, %d s per round, --latency" % ctx.seconds,
               "nginx": "2 workers, access_log off, sendfile, open_file_cache, keepalive_requests 1000000",
               "lienthongd": d, "nginx_combined": n,
               "rounds": {k: [{x: v[x] for x in ("rps", "p50_us", "p99_us", "server_cpu_cores", "errors")}
                              for v in vs] for k, vs in runs.items()}}
    results = [
        result("lookup_rps", d["rps"], "req/s", "nginx serving the same JSON from files", n["rps"],
               "ratio >= 0.8", lambda v, r: r >= 0.8,
               note="GET /v1/units/{code}, %d random codes, wrk 64 connections; server CPU per request "
                    "%.1f us (lienthongd) vs %.1f us (nginx)" % (len(paths), d["cpu_us_per_request"],
                                                               n["cpu_us_per_request"])),
        result("lookup_p99", d["p99_ms"], "ms", "nginx p99", n["p99_ms"], "ratio <= 3",
               lambda v, r: r is not None and r <= 3,
               note="wrk --latency p99 at 64 connections, the same load as lookup_rps"),
        result("lookup_peak_rss", rss_d, "MB", "nginx peak RSS (master + 2 workers)", rss_n, None, None,
               note="VmHWM of lienthongd over the look-up benchmark"),
    ]
    return results, d, rss_d, details, prof, paths
