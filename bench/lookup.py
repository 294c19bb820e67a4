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


# Rounds of each server for the tail: a p99 of a few seconds is at the mercy
# of whatever else wakes on two shared cores, so the figure is the median
# over rounds, and each round of the daemon runs next to one of nginx.
P99_ROUNDS = 5


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2.0


def combine(runs):
    """Rounds of one server: req/s over all of them, the median of the
    rounds' p50/p90/p99 (a mean lets one disturbed round decide)."""
    req = sum(r["requests"] for r in runs)
    dur = sum(r["duration_us"] for r in runs) / 1e6
    n = len(runs)
    cores = sum(r.get("server_cpu_cores", 0) for r in runs) / n
    return {"rps": req / dur, "cpu_us_per_request": cores / (req / dur) * 1e6,
            "p50_ms": median([r["p50_us"] for r in runs]) / 1000.0,
            "p90_ms": median([r["p90_us"] for r in runs]) / 1000.0,
            "p99_ms": median([r["p99_us"] for r in runs]) / 1000.0,
            "p99_mean_ms": sum(r["p99_us"] for r in runs) / n / 1000.0,
            "max_ms": max(r["max_us"] for r in runs) / 1000.0,
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
        for i in range(max(ctx.rounds, P99_ROUNDS)):
            order = [("nginx", nginx), ("lienthongd", daemon)]
            if i % 2:
                order.reverse()
            for name, srv in order:
                r = wrk(srv.url(), paths_file, ctx.seconds, server=srv)
                runs[name].append(r)
                log("lookup round %d: %-10s %8.0f req/s  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  "
                    "(server CPU %.2f cores)" % (i + 1, name, r["rps"], r["p50_us"] / 1000.0, r["p90_us"] / 1000.0,
                                                 r["p99_us"] / 1000.0, r["max_us"] / 1000.0, r["server_cpu_cores"]))
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
               "rounds": {k: [{x: v[x] for x in ("rps", "p50_us", "p90_us", "p99_us", "max_us", "server_cpu_cores",
                                                 "errors")}
                              for v in vs] for k, vs in runs.items()},
               "p99_ratio_by_round": [a["p99_us"] / b["p99_us"] for a, b in zip(runs["lienthongd"], runs["nginx"])]}
    results = [
        result("lookup_rps", d["rps"], "req/s", "nginx serving the same JSON from files", n["rps"],
               "ratio >= 0.8", lambda v, r: r >= 0.8,
               note="GET /v1/units/{code}, %d random codes, wrk 64 connections; server CPU per request "
                    "%.1f us (lienthongd) vs %.1f us (nginx)" % (len(paths), d["cpu_us_per_request"],
                                                               n["cpu_us_per_request"])),
        result("lookup_p99", d["p99_ms"], "ms", "nginx p99, the same rounds", n["p99_ms"], "ratio <= 3",
               lambda v, r: r is not None and r <= 3 and d["rps"] >= 0.8 * n["rps"],
               note="median over %d rounds of wrk --latency's p99 at 64 connections (the load of lookup_rps; the "
                    "goal also asks its throughput >= 0.8x); per round lienthongd/nginx: %s; p90 %.2f vs %.2f ms"
                    % (len(runs["nginx"]), ", ".join("%.2f" % x for x in details["p99_ratio_by_round"]),
                       d["p90_ms"], n["p90_ms"])),
        result("lookup_peak_rss", rss_d, "MB", "nginx peak RSS (master + 2 workers)", rss_n, None, None,
               note="VmHWM of lienthongd over the look-up benchmark"),
    ]
    return results, d, rss_d, details, prof, paths
