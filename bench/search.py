"""Search benchmark on the 100,000-unit registry: latency of name searches
(a word or two of a unit's name, typed without diacritics) and of code-prefix
searches, one request at a time on one connection, next to the latency of a
look-up measured the same way, and of the same name searches with one of the
search page's filters; then the throughput of each kind under wrk (64
connections) next to the look-up's, in alternating rounds on one daemon."""
import os
import random
import re
import urllib.parse

import perf_profile
from benchlib import Daemon, fold, latency_run, log, percentile, write_paths, wrk
from lookup import combine
from report import result

WORD = re.compile(r"^[a-z0-9]+$")


def name_queries(names, rnd, n=2000):
    """One or two consecutive words of real names, folded as users type."""
    out = []
    while len(out) < n:
        words = [w for w in fold(rnd.choice(names)).split() if WORD.match(w)]
        if not words:
            continue
        k = min(len(words), rnd.choice((1, 2)))
        i = rnd.randrange(len(words) - k + 1)
        out.append(" ".join(words[i:i + k]))
    return out


def prefix_queries(codes, rnd, n=2000):
    """Code fragments the API takes: 'H14', 'H14.05', 'H14.05.01' (right part,
    reversed), '05.H14', '01.05.H14' (right part as written), a full code."""
    out = []
    for _ in range(n):
        g = rnd.choice(codes).split(".")
        forms = [g[3], g[3] + "." + g[2], g[3] + "." + g[2] + "." + g[1], g[2] + "." + g[3],
                 g[1] + "." + g[2] + "." + g[3], ".".join(g)]
        out.append(rnd.choice(forms))
    return out


def to_paths(queries):
    return ["/v1/units?q=" + urllib.parse.quote(q) for q in queries]


def filtered_paths(queries, codes, rnd):
    """The same name queries with one of the search page's filters: a level,
    a subtree (a level-1 or level-2 unit, picked from the sampled codes'
    ancestors) or every status."""
    out = []
    for q in queries:
        g = rnd.choice(codes).split(".")
        f = rnd.choice(("level=%d" % rnd.randint(1, 4), "under=000.00.00." + g[3],
                        "under=000.00.%s.%s" % (g[2], g[3]) if g[2] != "00" else "under=000.00.00." + g[3],
                        "status=all"))
        out.append("/v1/units?q=%s&%s" % (urllib.parse.quote(q), f))
    return out


def lat_stats(samples):
    ms = [dt * 1000.0 for _, dt in samples]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else 0.0}


def slowest(samples, k=8):
    worst = {}
    for path, dt in samples:
        q = urllib.parse.unquote(path.split("q=", 1)[1]).replace("&", " ")
        worst[q] = max(worst.get(q, 0.0), dt * 1000.0)
    return [{"q": q, "ms": round(ms, 2)} for q, ms in sorted(worst.items(), key=lambda x: -x[1])[:k]]


def run(ctx, db, lookup_paths, lookup_rss_mb):
    rnd = random.Random(8)
    names = name_queries(ctx.sample_names, rnd)
    name_paths = to_paths(names)
    prefix_paths = to_paths(prefix_queries(ctx.sample_codes, rnd))
    # Its own generator, so the other runs draw the same queries as before.
    filtered = filtered_paths(names, ctx.sample_codes, random.Random(9))
    files = {"lookup": write_paths(os.path.join(ctx.tmp, "lookup.paths"), lookup_paths),
             "name": write_paths(os.path.join(ctx.tmp, "search-name.paths"), name_paths),
             "prefix": write_paths(os.path.join(ctx.tmp, "search-prefix.paths"), prefix_paths)}
    daemon = Daemon(ctx.tmp, db, ctx.threads, "lienthongd-search").start()
    try:
        log("warm-up (2 s each)")
        for kind in ("lookup", "name", "prefix"):
            wrk(daemon.url(), files[kind], 2, server=daemon)
        lat = {}
        for kind, paths, secs in (("lookup", lookup_paths, ctx.lat_seconds),
                                  ("name", name_paths, ctx.lat_seconds * 1.5),
                                  ("prefix", prefix_paths, ctx.lat_seconds),
                                  ("name_filtered", filtered, ctx.lat_seconds)):
            samples = latency_run(daemon.port, paths, secs, rnd)
            lat[kind] = lat_stats(samples)
            if kind.startswith("name"):
                lat[kind]["slowest"] = slowest(samples)
            if kind == "name":
                for k in (1, 2):
                    sub = [s for s in samples if urllib.parse.unquote(s[0]).count(" ") == k - 1]
                    lat[kind]["%d_word" % k] = lat_stats(sub)
            log("1 connection: %-13s p50 %.2f ms  p99 %.2f ms  (%d requests)"
                % (kind, lat[kind]["p50_ms"], lat[kind]["p99_ms"], lat[kind]["n"]))
        runs = {"lookup": [], "name": [], "prefix": []}
        for i in range(ctx.rounds):
            order = ["lookup", "name", "prefix"]
            order = order[i % 3:] + order[:i % 3]
            for kind in order:
                r = wrk(daemon.url(), files[kind], ctx.seconds, server=daemon)
                runs[kind].append(r)
                log("search round %d: %-6s %8.0f req/s  p99 %.2f ms" % (i + 1, kind, r["rps"], r["p99_us"] / 1000.0))
        rss = daemon.peak_rss_kb() / 1024.0
        prof = None
        if ctx.profile:
            out = os.path.join(ctx.tmp, "perf-search.data")
            log("name search under perf record (%d s)" % ctx.seconds)
            prof = perf_profile.profile_daemon_under_load(
                daemon, out, lambda: wrk(daemon.url(), files["name"], ctx.seconds))
            prof["what"] = "name searches under wrk, 64 connections"
            if not ctx.keep:
                os.remove(out)
    finally:
        daemon.stop()

    c = {k: combine(v) for k, v in runs.items()}
    details = {"name_queries": len(name_paths), "prefix_queries": len(prefix_paths),
               "examples": {"name": [urllib.parse.unquote(p.split("q=")[1]) for p in name_paths[:8]],
                            "prefix": [urllib.parse.unquote(p.split("q=")[1]) for p in prefix_paths[:8]]},
               "one_connection": lat, "wrk_64_connections": c,
               "rounds": {k: [round(r["rps"]) for r in v] for k, v in runs.items()}}
    lk = lat["lookup"]
    results = []
    for kind, label in (("name", "name search"), ("prefix", "code-prefix search")):
        s = lat[kind]
        results.append(result("search_%s_p50" % kind, s["p50_ms"], "ms", "look-up p50, 1 connection", lk["p50_ms"],
                              None, None, note="%s, 1 connection, %d requests" % (label, s["n"])))
        results.append(result("search_%s_p99" % kind, s["p99_ms"], "ms", "look-up p99, 1 connection", lk["p99_ms"],
                              "p99 < 5 ms", lambda v, r: v < 5.0,
                              note="%s, 1 connection, %d requests" % (label, s["n"])))
    for kind, label in (("name", "name search"), ("prefix", "code-prefix search")):
        results.append(result("search_%s_rps" % kind, c[kind]["rps"], "req/s",
                              "look-up req/s, same daemon, same rounds", c["lookup"]["rps"], None, None,
                              note="%s under wrk, 64 connections" % label))
    results.append(result("search_peak_rss", rss, "MB", "lienthongd peak RSS in the look-up benchmark",
                          lookup_rss_mb, None, None, note="VmHWM of lienthongd over the search benchmark"))
    return results, details, prof
